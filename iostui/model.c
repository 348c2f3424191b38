/*
 * model.c - see model.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctlclient.h"
#include "model.h"
#include "ui.h"

#define STATUS_EVERY_MS	30000	/* the status changes little */

/* The counters rates are made of. */
struct counters {
	long long v[S_COUNT];
	long long drops[MODEL_DROPS];
};

static struct model m;
static struct ctl *ctl;
static unsigned interval_ms;
static unsigned gen;
static long long watch_id = -1;
static struct counters prev;
static bool have_prev;
static uint64_t prev_ms, status_ms, gap_ms;
static bool clients_busy, logged_busy;

static const struct {
	const char *label;
	enum series_kind kind;
} series[S_COUNT] = {
#define X(n, l, k) [S_##n] = { l, k },
	MODEL_SERIES(X)
#undef X
};

const char *
series_label(enum series s)
{
	return series[s].label;
}

enum series_kind
series_kind(enum series s)
{
	return series[s].kind;
}

const struct model *
model_get(void)
{
	return &m;
}

unsigned
model_gen(void)
{
	return gen;
}

void
model_init(struct ctl *c, unsigned ms)
{
	ctl = c;
	interval_ms = m.interval_ms = ms;
	m.clients = m.logged_in = -1;
	if (gethostname(m.host, sizeof(m.host)) < 0)
		snprintf(m.host, sizeof(m.host), "?");
	m.host[sizeof(m.host) - 1] = '\0';
	for (int s = 0; s < S_COUNT; s++)
		m.avg[s] = NAN;
}

/* The cluster as one line (status's "cluster", iosd --cluster). */
static void
cluster_summary(const json_t *c)
{
	char node[64], link[16];
	size_t nodes = json_array_size(json_object_get(c, "nodes"));

	m.cluster[0] = '\0';
	m.cluster_down = false;
	if (!json_is_object(c))
		return;
	jget_copy(c, "node", node, sizeof(node));
	jget_copy(c, "link", link, sizeof(link));
	m.cluster_down = strcmp(link, "up") != 0;
	snprintf(m.cluster, sizeof(m.cluster), "node %s   redis %s   %zu "
	    "other node%s   channels in redis %lld   messages in %lld  out "
	    "%lld   outages %lld", node, link, nodes, nodes == 1 ? "" : "s",
	    jget_int(c, "channels", 0), jget_int(c, "in", 0),
	    jget_int(c, "out", 0), jget_int(c, "outages", 0));
}

static void
status_reply(void *arg, bool ok, json_t *res)
{
	json_t *ls, *l, *st;
	size_t i;
	int n = 0;
	long long pid;

	(void)arg;
	if (!ok)
		return;
	pid = jget_int(res, "pid", 0);
	if (m.have_status && pid != m.pid)
		have_prev = false;	/* another daemon: new counters */
	m.have_status = true;
	m.pid = pid;
	m.started = jget_int(res, "started", 0);
	jget_copy(res, "version", m.version, sizeof(m.version));
	st = json_object_get(res, "store");
	jget_copy(st, "backend", m.backend, sizeof(m.backend));
	jget_copy(st, "path", m.store_path, sizeof(m.store_path));
	cluster_summary(json_object_get(res, "cluster"));
	m.listeners[0] = '\0';
	ls = json_object_get(res, "listeners");
	json_array_foreach(ls, i, l) {
		const char *a = json_string_value(json_object_get(l, "address"));
		const char *t = json_string_value(json_object_get(l, "transport"));
		bool v6 = a && strchr(a, ':');

		n += snprintf(m.listeners + n, sizeof(m.listeners) - (size_t)n,
		    "%s%s %s%s%s:%lld", n ? "  " : "", t ? t : "?",
		    v6 ? "[" : "", a ? a : "*", v6 ? "]" : "", jget_int(l, "port", 0));
		if ((size_t)n >= sizeof(m.listeners))
			break;
	}
	gen++;
}

static void
push(const double *v)
{
	if (m.nhist == MODEL_HIST) {
		for (int s = 0; s < S_COUNT; s++)
			memmove(m.hist[s], m.hist[s] + 1,
			    (MODEL_HIST - 1) * sizeof(double));
		m.nhist--;
	}
	for (int s = 0; s < S_COUNT; s++) {
		double sum = 0;
		size_t k = 0;

		m.hist[s][m.nhist] = v[s];
		for (size_t i = 0; i <= m.nhist; i++)
			if (!isnan(m.hist[s][i])) {
				sum += m.hist[s][i];
				k++;
			}
		m.avg[s] = k ? sum / (double)k : NAN;
	}
	m.nhist++;
	m.pushed++;
}

/* Sum of {TYPE: {count, bytes}}. */
static void
sum_types(json_t *o, long long *count, long long *bytes)
{
	const char *k;
	json_t *v;

	*count = *bytes = 0;
	json_object_foreach(o, k, v) {
		*count += jget_int(v, "count", 0);
		*bytes += jget_int(v, "bytes", 0);
	}
}

/* A metrics object, from the metrics reply (baseline: no rate) or a
 * watch event. */
static void
sample(json_t *o, bool rate)
{
	static const char *const trs[TR_N] = { "ws", "wss", "cong" };
	struct counters cur;
	json_t *conns = json_object_get(o, "connections"), *v;
	uint64_t now = ctlc_now_ms();
	const char *k;
	double val[S_COUNT], dt = 0;
	bool reset = false;
	long long gauge = 0;

	memset(&cur, 0, sizeof(cur));
	m.uptime_s = jget_int(o, "uptime_s", 0);
	for (int t = 0; t < TR_N; t++) {
		json_t *c = json_object_get(conns, trs[t]);

		m.conns_now[t] = jget_int(c, "now", 0);
		m.conns_total[t] = jget_int(c, "total", 0);
		gauge += m.conns_now[t];
	}
	sum_types(json_object_get(o, "messages_in"), &m.msgs_in, &m.bytes_in);
	sum_types(json_object_get(o, "messages_out"), &m.msgs_out, &m.bytes_out);
	m.publishes = jget_int(o, "publishes", 0);
	m.fanout = jget_int(o, "fanout_deliveries", 0);
	m.channels = jget_int(o, "channels", 0);
	m.subscriptions = jget_int(o, "subscriptions", 0);
	m.retained = jget_int(o, "retained", 0);
	m.auth_ok = jget_int(json_object_get(o, "auth"), "ok", 0);
	m.auth_fail = jget_int(json_object_get(o, "auth"), "fail", 0);
	m.quota_oversize = jget_int(json_object_get(o, "quota"), "oversize", 0);
	m.quota_rate = jget_int(json_object_get(o, "quota"), "rate", 0);
	m.ndrops = 0;
	m.drops_total = 0;
	json_object_foreach(json_object_get(o, "drops"), k, v) {
		struct drop_reason *d;

		if (m.ndrops == MODEL_DROPS)
			break;
		d = &m.drops[m.ndrops];
		snprintf(d->name, sizeof(d->name), "%s", k);
		d->total = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
		cur.drops[m.ndrops++] = d->total;
		m.drops_total += d->total;
	}
	cur.v[S_MSG_IN] = m.msgs_in;
	cur.v[S_MSG_OUT] = m.msgs_out;
	cur.v[S_BYTES_IN] = m.bytes_in;
	cur.v[S_BYTES_OUT] = m.bytes_out;
	cur.v[S_PUBLISH] = m.publishes;
	cur.v[S_FANOUT] = m.fanout;
	cur.v[S_DROPS] = m.drops_total;
	cur.v[S_AUTH_FAIL] = m.auth_fail;
	cur.v[S_CONNS] = gauge;
	m.have_sample = true;

	if (have_prev) {
		/* Samples come every interval_ms from the daemon's timer; what
		 * we see is that plus our read delay, so count whole intervals
		 * (one is lost now and then when we are slow to read). */
		uint64_t n = (now - prev_ms + interval_ms / 2) / interval_ms;

		dt = (double)(n ? n : 1) * interval_ms / 1000.0;
		for (int s = 0; s < S_COUNT; s++)
			if (series[s].kind != SK_GAUGE && cur.v[s] < prev.v[s])
				reset = true;
	}
	for (size_t i = 0; i < m.ndrops; i++)
		m.drops[i].rate = have_prev && !reset && cur.drops[i] >=
		    prev.drops[i] ? (double)(cur.drops[i] - prev.drops[i]) / dt :
		    NAN;
	if (rate) {
		for (int s = 0; s < S_COUNT; s++)
			val[s] = series[s].kind == SK_GAUGE ? (double)cur.v[s] :
			    !have_prev || reset ? NAN :
			    (double)(cur.v[s] - prev.v[s]) / dt;
		push(val);
	}
	prev = cur;
	prev_ms = gap_ms = now;
	have_prev = true;
	gen++;
}

static void
metrics_reply(void *arg, bool ok, json_t *res)
{
	(void)arg;
	if (ok)
		sample(res, false);
}

static void
watch_event(void *arg, const char *event, json_t *ev)
{
	(void)arg;
	if (strcmp(event, "metrics") == 0)
		sample(ev, true);
}

void
model_conn(bool up)
{
	if (!up) {
		watch_id = -1;
		clients_busy = logged_busy = false;
		m.clients = m.logged_in = -1;
		gen++;
		return;
	}
	/* A baseline now, then a sample every interval. */
	have_prev = false;
	status_ms = ctlc_now_ms();
	ctl_request(ctl, CTLMSG_CMD_STATUS, NULL, status_reply, NULL);
	ctl_request(ctl, CTLMSG_CMD_METRICS, NULL, metrics_reply, NULL);
	watch_id = ctl_stream(ctl, CTLMSG_CMD_WATCH, json_pack("{s:i}",
	    "interval_ms", (int)interval_ms), NULL, watch_event, NULL);
}

void
model_tick(uint64_t now)
{
	if (ctl_up(ctl)) {
		if (now - status_ms >= STATUS_EVERY_MS) {
			status_ms = now;
			ctl_request(ctl, CTLMSG_CMD_STATUS, NULL, status_reply,
			    NULL);
		}
		return;
	}
	/* Down: the sparklines keep time with gaps. */
	if (now - gap_ms >= interval_ms) {
		double val[S_COUNT];

		for (int s = 0; s < S_COUNT; s++)
			val[s] = NAN;
		push(val);
		gap_ms = now;
		gen++;
	}
}

static void
clients_reply(void *arg, bool ok, json_t *res)
{
	bool logged = arg != NULL;
	long long n = ok ? jget_int(res, "total", 0) : -1;

	if (logged) {
		logged_busy = false;
		m.logged_in = n;
	} else {
		clients_busy = false;
		m.clients = n;
	}
	gen++;
}

void
model_poll_clients(void)
{
	static int yes = 1;

	if (!ctl_up(ctl))
		return;
	if (!clients_busy)
		clients_busy = ctl_request(ctl, CTLMSG_CMD_CLIENTS,
		    json_pack("{s:i}", "limit", 1), clients_reply, NULL) >= 0;
	if (!logged_busy)
		logged_busy = ctl_request(ctl, CTLMSG_CMD_CLIENTS,
		    json_pack("{s:b, s:i}", "authorized", 1, "limit", 1),
		    clients_reply, &yes) >= 0;
}
