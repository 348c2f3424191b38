/*
 * ctl_cmd.c - the control socket's commands (doc/control.md). Each takes
 * the request's args object and answers exactly once, at once or, for
 * device commands (Redis is asynchronous), when the store has answered.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/base64.h>

#include "audit.h"
#include "authsrc.h"
#include "conn.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "version.h"

#define PAGE_DEFAULT	100
#define PAGE_MAX	1000
#define KEY_RANDOM	24	/* bytes of a generated key: 32 base64url chars */

/* ---- arguments ---- */

/* A string argument; NULL (and a bad_args answer when required or when
 * of the wrong type) if it is not there. */
static const char *
arg_str(struct ctl_client *cl, json_int_t id, json_t *args, const char *key,
    bool required, bool *bad)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' is required", key);
			*bad = true;
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be a string", key);
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

static json_int_t
arg_int(struct ctl_client *cl, json_int_t id, json_t *args, const char *key,
    json_int_t dflt, json_int_t min, json_int_t max, bool *bad)
{
	json_t *v = json_object_get(args, key);
	json_int_t n;

	if (v == NULL || json_is_null(v))
		return dflt;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < min || n > max) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be an integer from "
		    "%lld to %lld", key, (long long)min, (long long)max);
		*bad = true;
		return dflt;
	}
	return n;
}

static int
arg_bool(struct ctl_client *cl, json_int_t id, json_t *args, const char *key,
    bool *bad)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be true or false", key);
		*bad = true;
		return 0;
	}
	return json_is_true(v);
}

/* ---- JSON of the daemon's objects ---- */

static json_t *
client_json(const struct conn *c, bool detail)
{
	const struct server *srv = c->srv;
	json_t *o = json_object();

	json_object_set_new(o, "ssid", json_integer(c->ssid));
	json_object_set_new(o, "cid", json_string(c->s.cid));
	json_object_set_new(o, "device", c->s.did[0] ?
	    json_string(c->s.did) : json_null());
	json_object_set_new(o, "transport", json_string(transport_name(c->tr)));
	json_object_set_new(o, "address", json_string(c->ip));
	json_object_set_new(o, "level", json_integer(c->s.level));
	json_object_set_new(o, "authorized", json_boolean(c->s.boho.authorized));
	json_object_set_new(o, "encrypted",
	    json_boolean(c->s.boho.authorized && !c->tls));
	json_object_set_new(o, "subscriptions", json_integer((json_int_t)c->s.nsubs));
	json_object_set_new(o, "tx_msgs", json_integer((json_int_t)c->tx_msgs));
	json_object_set_new(o, "rx_msgs", json_integer((json_int_t)c->rx_msgs));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)c->tx_bytes));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)c->rx_bytes));
	json_object_set_new(o, "queue_msgs", json_integer(c->qlen));
	json_object_set_new(o, "queue_bytes", json_integer((json_int_t)c->qbytes));
	json_object_set_new(o, "since", json_integer((json_int_t)server_wall_of(c->srv,
	    c->since_ms)));
	json_object_set_new(o, "rx_msgs_s", json_real(c->rate.rx_msgs));
	json_object_set_new(o, "tx_msgs_s", json_real(c->rate.tx_msgs));
	json_object_set_new(o, "rx_bytes_s", json_real(c->rate.rx_bytes));
	json_object_set_new(o, "tx_bytes_s", json_real(c->rate.tx_bytes));
	json_object_set_new(o, "state", json_string(session_state_name(
	    c->s.state)));
	if (detail) {
		json_t *ch = json_array();

		json_object_set_new(o, "nick", json_string(c->s.nick));
		json_object_set_new(o, "presented", c->s.presented[0] ?
		    json_string(c->s.presented) : json_null());
		for (size_t i = 0; i < c->s.nsubs; i++)
			json_array_append_new(ch, json_string(c->s.subs[i]->key));
		json_object_set_new(o, "channels", ch);
	}
	(void)srv;
	return o;
}

/* Logged in now: its CID is online, held by a session of this id. */
static bool
device_online(struct server *srv, const struct device *d)
{
	struct conn *c = d->cid[0] ? router_find_cid(srv, d->cid,
	    strlen(d->cid)) : NULL;

	return c && c->state == CONN_OPEN && strcmp(c->s.did, d->id) == 0;
}

static json_t *
device_json(const struct device *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "cid", json_string(d->cid));
	json_object_set_new(o, "level", json_integer(d->level));
	json_object_set_new(o, "disabled", json_boolean(d->disabled));
	json_object_set_new(o, "created", json_integer(d->created));
	json_object_set_new(o, "updated", json_integer(d->updated));
	json_object_set_new(o, "last_seen", d->last_seen ?
	    json_integer(d->last_seen) : json_null());
	json_object_set_new(o, "last_addr", d->last_addr[0] ?
	    json_string(d->last_addr) : json_null());
	json_object_set_new(o, "logins", json_integer(d->logins));
	json_object_set_new(o, "failures", json_integer(d->failures));
	return o;
}

json_t *
ctl_metrics(struct server *srv)
{
	const struct metrics *m = &srv->m;
	json_t *o = json_object(), *conns = json_object(), *in = json_object();
	json_t *out = json_object(), *drops = json_object(), *q;

	for (int t = 0; t < TR_COUNT; t++) {
		q = json_object();
		json_object_set_new(q, "now", json_integer((json_int_t)m->conns_now[t]));
		json_object_set_new(q, "total", json_integer((json_int_t)m->conns_total[t]));
		json_object_set_new(conns, transport_name((enum transport)t), q);
	}
	for (int t = 0; t < 256; t++) {
		const char *name = iosmsg_name((uint8_t)t);
		char other[8];

		if (name == NULL) {
			snprintf(other, sizeof(other), "0x%02x", t);
			name = other;
		}
		if (m->msgs_in[t]) {
			q = json_object();
			json_object_set_new(q, "count", json_integer((json_int_t)m->msgs_in[t]));
			json_object_set_new(q, "bytes", json_integer((json_int_t)m->bytes_in[t]));
			json_object_set_new(in, name, q);
		}
		if (m->msgs_out[t]) {
			q = json_object();
			json_object_set_new(q, "count", json_integer((json_int_t)m->msgs_out[t]));
			json_object_set_new(q, "bytes", json_integer((json_int_t)m->bytes_out[t]));
			json_object_set_new(out, name, q);
		}
	}
	for (int r = 0; r < DROP_COUNT; r++)
		json_object_set_new(drops, drop_reason_name((enum drop_reason)r),
		    json_integer((json_int_t)m->drops[r]));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)
	    server_uptime_s(srv)));
	json_object_set_new(o, "connections", conns);
	json_object_set_new(o, "messages_in", in);
	json_object_set_new(o, "messages_out", out);
	json_object_set_new(o, "publishes", json_integer((json_int_t)m->publishes));
	json_object_set_new(o, "fanout_deliveries",
	    json_integer((json_int_t)m->fanout_deliveries));
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "channels", json_integer((json_int_t)m->channels));
	json_object_set_new(o, "subscriptions", json_integer((json_int_t)m->subscriptions));
	json_object_set_new(o, "retained", json_integer((json_int_t)m->retained));
	q = json_object();
	json_object_set_new(q, "ok", json_integer((json_int_t)m->auth_ok));
	json_object_set_new(q, "fail", json_integer((json_int_t)m->auth_fail));
	json_object_set_new(o, "auth", q);
	q = json_object();
	json_object_set_new(q, "oversize", json_integer((json_int_t)m->drops[DROP_OVERSIZE]));
	json_object_set_new(q, "rate", json_integer((json_int_t)m->drops[DROP_RATE]));
	json_object_set_new(q, "rate_closes", json_integer((json_int_t)m->rate_closes));
	json_object_set_new(q, "publish_capped",
	    json_integer((json_int_t)m->publish_capped));
	json_object_set_new(o, "quota", q);
	q = json_object();
	for (int r = ADMIT_OK + 1; r < ADMIT_COUNT; r++)
		json_object_set_new(q, admit_reason_name((enum admit_reason)r),
		    json_integer((json_int_t)admit_refused(srv,
		    (enum admit_reason)r)));
	json_object_set_new(q, "max_connections",
	    json_integer((json_int_t)admit_max_conns(srv)));
	json_object_set_new(o, "admission", q);
	json_object_set_new(o, "buffer_memory", json_pack("{s:I,s:I,s:I}",
	    "used", (json_int_t)srv->mem.used, "limit",
	    (json_int_t)srv->mem.limit, "closed",
	    (json_int_t)srv->mem.victims));
	return o;
}

/* ---- the daemon ---- */

static void
cmd_status(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	json_t *o = json_object(), *ls = json_array(), *st = json_object();
	size_t clients = 0;

	(void)args;
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = &srv->listeners[i];
		json_t *j = json_object();
		char a[96];

		listener_addr_str(l, a, sizeof(a));
		*strrchr(a, ':') = '\0';
		/* The host alone: "::", not "[::]" (the port is apart). */
		if (a[0] == '[') {
			memmove(a, a + 1, strlen(a));
			a[strlen(a) - 1] = '\0';
		}
		json_object_set_new(j, "transport", json_string(transport_name(l->tr)));
		json_object_set_new(j, "address", json_string(a));
		json_object_set_new(j, "port", json_integer(listener_port(l)));
		json_array_append_new(ls, j);
	}
	for (struct conn *c = srv->conns; c; c = c->next)
		clients += c->state == CONN_OPEN;
	json_object_set_new(o, "version", json_string(IOSD_VERSION));
	json_object_set_new(o, "protocol", json_string(PROTO_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)
	    server_uptime_s(srv)));
	json_object_set_new(o, "started", json_integer((json_int_t)server_wall_of(srv,
	    srv->start_ms)));
	json_object_set_new(o, "listeners", ls);
	json_object_set_new(st, "backend", json_string(store_backend_name(srv->store)));
	json_object_set_new(st, "path", json_string(srv->opt.db_path));
	json_object_set_new(o, "store", st);
	json_object_set_new(o, "clients", json_integer((json_int_t)clients));
	json_object_set_new(o, "channels", json_integer((json_int_t)srv->m.channels));
	json_object_set_new(o, "control", ctl_status(srv));
	ctl_ok(cl, id, o);
}

static void
cmd_metrics(struct ctl_client *cl, json_int_t id, json_t *args)
{
	(void)args;
	ctl_ok(cl, id, ctl_metrics(ctl_server(cl)));
}

static void
cmd_log_level(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *s = arg_str(cl, id, args, "level", true, &bad);
	enum log_level lvl;
	json_t *o;

	if (bad)
		return;
	if (log_level_parse(s, &lvl) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "level is error, warn, info or debug");
		return;
	}
	log_set_level(lvl);
	ctl_log_change(cl, "log-level", s);
	o = json_object();
	json_object_set_new(o, "level", json_string(s));
	ctl_ok(cl, id, o);
}

static void
cmd_reload(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	const char *what[SERVER_RELOAD_MAX];
	size_t n = 0;
	json_t *done, *res;
	char err[512];

	(void)args;
	if (server_reload(srv, what, &n, err, sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "reload refused, nothing changed: "
		    "%s", err);
		return;
	}
	done = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(done, json_string(what[i]));
	ctl_log_change(cl, "reload", NULL);
	res = json_object();
	json_object_set_new(res, "reloaded", done);
	ctl_ok(cl, id, res);
}

/* ---- clients and channels ---- */

/*
 * Which clients a request names: any of cid, ssid, device (logged in as,
 * or only presented at a login), address (ADDR or ADDR/N, the address
 * shown, X-Forwarded-For behind a trusted proxy), anonymous (true: not
 * logged in), transport, and filter (text in cid, device or address).
 * All that are given must hold.
 */
struct client_sel {
	const char *cid, *device, *transport, *filter;
	json_int_t ssid;	/* 0: any */
	struct proxy_net net;
	bool have_net;
	int anonymous;		/* -1: any */
};

static bool
sel_parse(struct ctl_client *cl, json_int_t id, json_t *args,
    struct client_sel *s)
{
	bool bad = false;
	const char *addr;
	json_t *an = json_object_get(args, "anonymous");

	memset(s, 0, sizeof(*s));
	s->cid = arg_str(cl, id, args, "cid", false, &bad);
	s->device = bad ? NULL : arg_str(cl, id, args, "device", false, &bad);
	s->transport = bad ? NULL : arg_str(cl, id, args, "transport", false,
	    &bad);
	s->filter = bad ? NULL : arg_str(cl, id, args, "filter", false, &bad);
	addr = bad ? NULL : arg_str(cl, id, args, "address", false, &bad);
	s->ssid = bad ? 0 : arg_int(cl, id, args, "ssid", 0, 0, UINT32_MAX,
	    &bad);
	if (bad)
		return false;
	if (addr) {
		if (options_net_parse(addr, &s->net) < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "address: '%s' is not "
			    "ADDR or ADDR/N", addr);
			return false;
		}
		s->have_net = true;
	}
	if (an && !json_is_boolean(an)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'anonymous' must be true or false");
		return false;
	}
	s->anonymous = an ? json_is_true(an) : -1;
	return true;
}

static bool
sel_any(const struct client_sel *s)
{
	return s->cid || s->device || s->ssid || s->have_net ||
	    s->anonymous >= 0 || s->transport || s->filter;
}

static bool
sel_match(const struct client_sel *s, const struct conn *c)
{
	if (c->state != CONN_OPEN)
		return false;
	if (s->cid && strcmp(s->cid, c->s.cid) != 0)
		return false;
	if (s->ssid && (json_int_t)c->ssid != s->ssid)
		return false;
	if (s->device && strcmp(s->device, c->s.did) != 0 &&
	    strcmp(s->device, c->s.presented) != 0)
		return false;
	if (s->anonymous >= 0 && c->s.boho.authorized == (s->anonymous != 0))
		return false;
	if (s->transport && strcmp(s->transport, transport_name(c->tr)) != 0)
		return false;
	if (s->filter && !strstr(c->s.cid, s->filter) &&
	    !strstr(c->s.did, s->filter) && !strstr(c->ip, s->filter))
		return false;
	if (s->have_net) {
		uint8_t a[16];
		int fam = strchr(c->ip, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, c->ip, a) != 1 ||
		    !options_net_match(&s->net, 1, fam, a))
			return false;
	}
	return true;
}

/* clients: sorted by a rate, busiest first, for a "top talkers" list. */
static const struct {
	const char *name;
	size_t off;		/* of a float in struct conn_rates */
} sort_keys[] = {
	{ "rx_msgs_s", offsetof(struct conn_rates, rx_msgs) },
	{ "tx_msgs_s", offsetof(struct conn_rates, tx_msgs) },
	{ "rx_bytes_s", offsetof(struct conn_rates, rx_bytes) },
	{ "tx_bytes_s", offsetof(struct conn_rates, tx_bytes) },
};
static size_t sort_off;

static int
by_rate(const void *pa, const void *pb)
{
	const struct conn *a = *(struct conn *const *)pa;
	const struct conn *b = *(struct conn *const *)pb;
	float x = *(const float *)((const char *)&a->rate + sort_off);
	float y = *(const float *)((const char *)&b->rate + sort_off);

	if (x != y)
		return x < y ? 1 : -1;
	return a->ssid > b->ssid ? 1 : a->ssid < b->ssid ? -1 : 0;
}

static void
cmd_clients(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	struct client_sel sel;
	const char *sort = NULL;
	json_int_t off, lim;
	struct conn *c, *last = NULL, **v;
	size_t n = 0, k;
	json_t *list, *o, *ja = json_object_get(args, "authorized");

	if (!sel_parse(cl, id, args, &sel))
		return;
	/* "authorized": the older spelling of !anonymous. */
	if (ja && json_is_boolean(ja) && sel.anonymous < 0)
		sel.anonymous = !json_is_true(ja);
	sort = arg_str(cl, id, args, "sort", false, &bad);
	off = bad ? 0 : arg_int(cl, id, args, "offset", 0, 0, 1 << 30, &bad);
	lim = bad ? 0 : arg_int(cl, id, args, "limit", PAGE_DEFAULT, 1,
	    PAGE_MAX, &bad);
	if (bad)
		return;
	for (k = 0; sort && k < sizeof(sort_keys) / sizeof(sort_keys[0]); k++)
		if (strcmp(sort, sort_keys[k].name) == 0)
			break;
	if (sort && k == sizeof(sort_keys) / sizeof(sort_keys[0])) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "sort is rx_msgs_s, tx_msgs_s, "
		    "rx_bytes_s or tx_bytes_s");
		return;
	}
	if ((v = calloc(srv->nconns + 1, sizeof(*v))) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	/* Oldest first: walk from the tail of the newest-first list. */
	for (c = srv->conns; c; c = c->next)
		last = c;
	for (c = last; c; c = c->prev)
		if (sel_match(&sel, c))
			v[n++] = c;
	if (sort) {
		sort_off = sort_keys[k].off;
		qsort(v, n, sizeof(*v), by_rate);
	}
	list = json_array();
	for (size_t i = (size_t)off; i < n && i < (size_t)(off + lim); i++)
		json_array_append_new(list, client_json(v[i], false));
	free(v);
	o = json_object();
	json_object_set_new(o, "total", json_integer((json_int_t)n));
	json_object_set_new(o, "clients", list);
	ctl_ok(cl, id, o);
}

/* The one client of a cid or ssid. */
static struct conn *
find_one(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct client_sel sel;

	if (!sel_parse(cl, id, args, &sel))
		return NULL;
	if (!sel.cid && !sel.ssid) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "cid or ssid is required");
		return NULL;
	}
	for (struct conn *c = ctl_server(cl)->conns; c; c = c->next)
		if (sel_match(&sel, c))
			return c;
	if (sel.cid)
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no client %s", sel.cid);
	else
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no client #%lld",
		    (long long)sel.ssid);
	return NULL;
}

static void
cmd_client(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct conn *c = find_one(cl, id, args);

	if (c)
		ctl_ok(cl, id, client_json(c, true));
}

/* kick: every client the selection names (at least one criterion). */
static void
cmd_kick(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *reason = arg_str(cl, id, args, "reason", false, &bad);
	struct client_sel sel;
	json_t *list, *o;
	char what[160];
	int n = 0;

	if (bad || !sel_parse(cl, id, args, &sel))
		return;
	if (!sel_any(&sel)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "name the clients: cid, ssid, "
		    "address, device, anonymous, transport or filter");
		return;
	}
	if (reason == NULL)
		reason = "kicked by an operator";
	list = json_array();
	for (struct conn *c = srv->conns; c; c = c->next) {
		if (!sel_match(&sel, c))
			continue;
		json_array_append_new(list, json_pack("{s:I,s:s,s:s}", "ssid",
		    (json_int_t)c->ssid, "cid", c->s.cid, "address", c->ip));
		log_info("conn=%u cid=%s addr=%s kicked: %s", c->ssid,
		    c->s.cid[0] ? c->s.cid : "-", c->ip, reason);
		conn_close(c, true, 1000, reason);
		n++;
	}
	if (n == 0) {
		json_decref(list);
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no client matches");
		return;
	}
	snprintf(what, sizeof(what), "%d client%s, reason \"%s\"", n,
	    n == 1 ? "" : "s", reason);
	ctl_log_change(cl, "kick", what);
	o = json_object();
	json_object_set_new(o, "kicked", json_integer(n));
	json_object_set_new(o, "clients", list);
	ctl_ok(cl, id, o);
}

/* ---- bans ---- */

/* "90", "90s", "15m", "2h", "7d", "1w": seconds; -1 if not one. */
static long long
duration_s(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (v < 0 || v > 100LL * 365 * 86400)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	case 'w': v *= 7 * 86400; break;
	default: return -1;
	}
	return *end && end[1] ? -1 : v;
}

static json_t *
ban_json(const struct admit_ban *b)
{
	return json_pack("{s:s,s:o,s:I,s:s}", "address", b->net, "until",
	    b->until ? json_integer(b->until) : json_null(), "created",
	    (json_int_t)b->created, "reason", b->reason);
}

static void
cmd_ban(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *addr = arg_str(cl, id, args, "address", true, &bad);
	const char *dur = bad ? NULL : arg_str(cl, id, args, "for", false, &bad);
	const char *reason = bad ? NULL : arg_str(cl, id, args, "reason", false,
	    &bad);
	long long secs = 0;
	char err[256], what[200];
	int closed;
	json_t *o;

	if (bad)
		return;
	if (dur && (secs = duration_s(dur)) <= 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "for: a duration such as 90s, "
		    "15m, 2h or 7d, not '%s'", dur);
		return;
	}
	if ((closed = admit_ban(srv, addr, (uint64_t)secs, reason, err,
	    sizeof(err))) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "%s", err);
		return;
	}
	snprintf(what, sizeof(what), "%s%s%s", addr, dur ? " for " : "",
	    dur ? dur : "");
	ctl_log_change(cl, "ban", what);
	o = ban_json(admit_ban_find(srv, addr));
	json_object_set_new(o, "closed", json_integer(closed));
	ctl_ok(cl, id, o);
}

static void
cmd_unban(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *addr = arg_str(cl, id, args, "address", true, &bad);
	char err[256];
	int rc;

	if (bad)
		return;
	if ((rc = admit_unban(ctl_server(cl), addr, err, sizeof(err))) < 0)
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "%s", err);
	else if (rc == 0)
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "%s is not banned", addr);
	else {
		ctl_log_change(cl, "unban", addr);
		ctl_ok(cl, id, json_pack("{s:s}", "unbanned", addr));
	}
}

static void
cmd_bans(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	json_t *list = json_array();

	(void)args;
	for (size_t i = 0; i < admit_ban_count(srv); i++)
		json_array_append_new(list, ban_json(admit_ban_at(srv, i)));
	ctl_ok(cl, id, json_pack("{s:I,s:o}", "total",
	    (json_int_t)admit_ban_count(srv), "bans", list));
}

static void
cmd_channels(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *filter = arg_str(cl, id, args, "filter", false, &bad);
	json_int_t off = bad ? 0 : arg_int(cl, id, args, "offset", 0, 0, 1 << 30, &bad);
	json_int_t lim = bad ? 0 : arg_int(cl, id, args, "limit", PAGE_DEFAULT, 1,
	    PAGE_MAX, &bad);
	json_int_t total = 0;
	json_t *list, *o;

	if (bad)
		return;
	list = json_array();
	for (struct channel *ch = srv->channels; ch; ch = ch->hh.next) {
		if (filter && strstr(ch->key, filter) == NULL)
			continue;
		if (total >= off && total < off + lim) {
			json_t *j = json_object();

			json_object_set_new(j, "key", json_string(ch->key));
			json_object_set_new(j, "subscribers",
			    json_integer((json_int_t)ch->nsubs));
			json_object_set_new(j, "retained", json_boolean(ch->retained));
			json_object_set_new(j, "publishes", json_integer(
			    (json_int_t)ch->publishes));
			json_object_set_new(j, "retained_bytes", json_integer(
			    ch->retained ? (json_int_t)ch->retained->len : 0));
			json_array_append_new(list, j);
		}
		total++;
	}
	o = json_object();
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "channels", list);
	ctl_ok(cl, id, o);
}

static void
cmd_subscribers(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *key = arg_str(cl, id, args, "channel", true, &bad);
	struct channel *ch = NULL;
	json_t *list, *o;

	if (bad)
		return;
	HASH_FIND(hh, srv->channels, key, strlen(key), ch);
	if (ch == NULL) {
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no channel %s (keys look like "
		    "CH:name, CID:cid@topic, PRIVATE:#name)", key);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < ch->nsubs; i++) {
		json_t *j = json_object();

		json_object_set_new(j, "ssid", json_integer(ch->subs[i]->ssid));
		json_object_set_new(j, "cid", json_string(ch->subs[i]->s.cid));
		json_array_append_new(list, j);
	}
	o = json_object();
	json_object_set_new(o, "channel", json_string(ch->key));
	json_object_set_new(o, "subscribers", list);
	ctl_ok(cl, id, o);
}

/* ---- devices ---- */

struct dev_op {
	struct ctl_client *cl;
	json_int_t id;
	const char *cmd;
	json_int_t off, lim;
	int level;			/* set-level, -1 = unchanged */
	int disabled;			/* enable/disable, -1 = unchanged */
	char key[64];			/* rotate-key: the new secret */
	bool generated;			/* the key was made here: show it */
	struct device d;
};

static struct dev_op *
dev_op(struct ctl_client *cl, json_int_t id, const char *cmd)
{
	struct dev_op *op = calloc(1, sizeof(*op));

	if (op == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return NULL;
	}
	op->cl = ctl_hold(cl);
	op->id = id;
	op->cmd = cmd;
	op->level = op->disabled = -1;
	return op;
}

static void
dev_op_free(struct dev_op *op)
{
	ctl_release(op->cl);
	explicit_bzero(op, sizeof(*op));
	free(op);
}

/* Close every connection that logged in as the device or presented its
 * id at a login, successful or not (revoke, disable). */
static int
kick_device(struct server *srv, const char *did, const char *why)
{
	int n = 0;

	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->state == CONN_OPEN && (strcmp(c->s.did, did) == 0 ||
		    strcmp(c->s.presented, did) == 0)) {
			log_info("conn=%u cid=%s addr=%s closed: %s", c->ssid,
			    c->s.cid[0] ? c->s.cid : "-", c->ip, why);
			conn_close(c, true, 1008, why);
			n++;
		}
	return n;
}

/* A strong random key: KEY_RANDOM bytes, base64url without padding. */
static void
random_key(char *out, size_t len)
{
	uint8_t r[KEY_RANDOM];
	char b[BASE64_ENCODE_RAW_LENGTH(KEY_RANDOM) + 1];

	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		fatalx("gnutls_rnd failed");
	base64_encode_raw(b, sizeof(r), r);
	b[BASE64_ENCODE_RAW_LENGTH(KEY_RANDOM)] = '\0';
	for (char *p = b; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	snprintf(out, len, "%s", b);
	explicit_bzero(r, sizeof(r));
	explicit_bzero(b, sizeof(b));
}

static void
put_done(void *arg, int rc, const char *err)
{
	struct dev_op *op = arg;
	json_t *o;

	if (rc < 0) {
		ctl_error(op->cl, op->id, err && strcmp(err, "exists") == 0 ?
		    CTLMSG_E_EXISTS : err && strstr(err, "in use") ? CTLMSG_E_EXISTS :
		    CTLMSG_E_STORE_ERROR, "%s: %s", op->d.id, err ? err : "failed");
	} else {
		o = json_object();
		json_object_set_new(o, "id", json_string(op->d.id));
		json_object_set_new(o, "cid", json_string(op->d.cid));
		json_object_set_new(o, "level", json_integer(op->d.level));
		json_object_set_new(o, "disabled", json_boolean(op->d.disabled));
		if (op->generated)
			json_object_set_new(o, "key", json_string(op->key));
		if (op->disabled == 1)
			json_object_set_new(o, "kicked", json_integer(kick_device(
			    ctl_server(op->cl), op->d.id, "device disabled")));
		ctl_ok(op->cl, op->id, o);
	}
	dev_op_free(op);
}

static void
cmd_enroll(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *did = arg_str(cl, id, args, "id", true, &bad);
	const char *cid = bad ? NULL : arg_str(cl, id, args, "cid", false, &bad);
	const char *key = bad ? NULL : arg_str(cl, id, args, "key", false, &bad);
	json_int_t level = bad ? 0 : arg_int(cl, id, args, "level", 1, 0, 255, &bad);
	int update = bad ? 0 : arg_bool(cl, id, args, "update", &bad);
	const char *why;
	struct dev_op *op;

	if (bad)
		return;
	if (cid == NULL)
		cid = did;
	if ((why = store_check_id(did, strlen(did))) != NULL ||
	    (why = store_check_cid(cid, strlen(cid))) != NULL) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "%s", why);
		return;
	}
	if (key && (*key == '\0' || strlen(key) > 1024)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "key must be 1 to 1024 bytes");
		return;
	}
	if ((op = dev_op(cl, id, "enroll")) == NULL)
		return;
	if (key == NULL) {
		random_key(op->key, sizeof(op->key));
		op->generated = true;
		key = op->key;
	}
	snprintf(op->d.id, sizeof(op->d.id), "%s", did);
	snprintf(op->d.cid, sizeof(op->d.cid), "%s", cid);
	op->d.level = (int)level;
	boho_stored_key(key, strlen(key), op->d.key);
	ctl_log_change(cl, update ? "enroll --update" : "enroll", did);
	store_device_put(srv->store, &op->d, update, NULL, put_done, op);
}

/* get, change, put: disable, enable, set-level, rotate-key. */
static void
change_got(void *arg, int rc, const struct device *d)
{
	struct dev_op *op = arg;
	struct server *srv = ctl_server(op->cl);
	char id[DEVICE_ID_MAX + 1];

	snprintf(id, sizeof(id), "%s", op->d.id);
	if (rc != 0 || d == NULL) {
		ctl_error(op->cl, op->id, rc < 0 ? CTLMSG_E_STORE_ERROR : CTLMSG_E_NOT_FOUND,
		    "%s: %s", id, rc < 0 ? "store unavailable" : "no such device");
		dev_op_free(op);
		return;
	}
	op->d = *d;
	if (op->level >= 0)
		op->d.level = op->level;
	if (op->disabled >= 0)
		op->d.disabled = op->disabled != 0;
	if (op->key[0])
		boho_stored_key(op->key, strlen(op->key), op->d.key);
	store_device_put(srv->store, &op->d, true, op->cmd, put_done, op);
}

static struct dev_op *
change_start(struct ctl_client *cl, json_int_t id, json_t *args,
    const char *cmd)
{
	bool bad = false;
	const char *did = arg_str(cl, id, args, "id", true, &bad);
	struct dev_op *op;

	if (bad)
		return NULL;
	if (strlen(did) > DEVICE_ID_MAX) {
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no such device");
		return NULL;
	}
	if ((op = dev_op(cl, id, cmd)) == NULL)
		return NULL;
	snprintf(op->d.id, sizeof(op->d.id), "%s", did);
	return op;
}

static void
change_go(struct dev_op *op)
{
	ctl_log_change(op->cl, op->cmd, op->d.id);
	store_device_get(ctl_server(op->cl)->store, op->d.id, change_got, op);
}

static void
cmd_disable(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct dev_op *op = change_start(cl, id, args, "disable");

	if (op) {
		op->disabled = 1;
		change_go(op);
	}
}

static void
cmd_enable(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct dev_op *op = change_start(cl, id, args, "enable");

	if (op) {
		op->disabled = 0;
		change_go(op);
	}
}

static void
cmd_set_level(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t level = arg_int(cl, id, args, "level", -1, 0, 255, &bad);
	struct dev_op *op;

	if (bad)
		return;
	if (level < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'level' is required");
		return;
	}
	if ((op = change_start(cl, id, args, "level")) != NULL) {
		op->level = (int)level;
		change_go(op);
	}
}

static void
cmd_rotate_key(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *key = arg_str(cl, id, args, "key", false, &bad);
	struct dev_op *op;

	if (bad)
		return;
	if (key && (*key == '\0' || strlen(key) >= sizeof(op->key))) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "key must be 1 to 63 bytes");
		return;
	}
	if ((op = change_start(cl, id, args, "rotate")) == NULL)
		return;
	if (key)
		snprintf(op->key, sizeof(op->key), "%s", key);
	else {
		random_key(op->key, sizeof(op->key));
		op->generated = true;
	}
	change_go(op);
}

static void
del_done(void *arg, int rc, const char *err)
{
	struct dev_op *op = arg;
	json_t *o;

	if (rc < 0)
		ctl_error(op->cl, op->id, CTLMSG_E_STORE_ERROR, "%s: %s", op->d.id,
		    err ? err : "failed");
	else if (rc == STORE_NOTFOUND)
		ctl_error(op->cl, op->id, CTLMSG_E_NOT_FOUND, "no device %s", op->d.id);
	else {
		o = json_object();
		json_object_set_new(o, "revoked", json_string(op->d.id));
		json_object_set_new(o, "kicked", json_integer(kick_device(
		    ctl_server(op->cl), op->d.id, "device revoked")));
		ctl_ok(op->cl, op->id, o);
	}
	dev_op_free(op);
}

static void
cmd_revoke(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct dev_op *op = change_start(cl, id, args, "revoke");

	if (op) {
		ctl_log_change(cl, "revoke", op->d.id);
		store_device_del(ctl_server(cl)->store, op->d.id, del_done, op);
	}
}

static void
device_got(void *arg, int rc, const struct device *d)
{
	struct dev_op *op = arg;

	if (rc == 0 && d) {
		json_t *j = device_json(d);

		json_object_set_new(j, "online", json_boolean(device_online(
		    ctl_server(op->cl), d)));
		ctl_ok(op->cl, op->id, j);
	} else
		ctl_error(op->cl, op->id, rc < 0 ? CTLMSG_E_STORE_ERROR : CTLMSG_E_NOT_FOUND,
		    "%s: %s", op->d.id, rc < 0 ? "store unavailable" :
		    "no such device");
	dev_op_free(op);
}

static void
cmd_device(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct dev_op *op = change_start(cl, id, args, "device");

	if (op)
		store_device_get(ctl_server(cl)->store, op->d.id, device_got, op);
}

static void
list_got(void *arg, int rc, const struct device *d, size_t n)
{
	struct dev_op *op = arg;
	json_t *o, *list;

	if (rc < 0) {
		ctl_error(op->cl, op->id, CTLMSG_E_STORE_ERROR, "store unavailable");
		dev_op_free(op);
		return;
	}
	list = json_array();
	for (size_t i = (size_t)op->off; i < n && i < (size_t)(op->off + op->lim); i++) {
		json_t *j = device_json(&d[i]);

		json_object_set_new(j, "online", json_boolean(device_online(
		    ctl_server(op->cl), &d[i])));
		json_array_append_new(list, j);
	}
	o = json_object();
	json_object_set_new(o, "total", json_integer((json_int_t)n));
	json_object_set_new(o, "devices", list);
	ctl_ok(op->cl, op->id, o);
	dev_op_free(op);
}

static void
cmd_devices(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t off = arg_int(cl, id, args, "offset", 0, 0, 1 << 30, &bad);
	json_int_t lim = bad ? 0 : arg_int(cl, id, args, "limit", PAGE_DEFAULT, 1,
	    PAGE_MAX, &bad);
	struct dev_op *op;

	if (bad)
		return;
	if ((op = dev_op(cl, id, "devices")) == NULL)
		return;
	op->off = off;
	op->lim = lim;
	store_device_list(ctl_server(cl)->store, list_got, op);
}

/* import: every row of a reference auth_file.json, answered once all
 * of them are stored. */
struct import_op {
	struct ctl_client *cl;
	json_int_t id;
	struct server *srv;
	bool update;
	size_t total, done, ok;
	char first_err[256];
};

static void
import_one_done(void *arg, int rc, const char *err)
{
	struct import_op *op = arg;

	if (rc == 0)
		op->ok++;
	else if (!op->first_err[0])
		snprintf(op->first_err, sizeof(op->first_err), "%s",
		    err ? err : "failed");
	if (++op->done < op->total)
		return;
	if (op->ok == op->total) {
		json_t *o = json_object();

		json_object_set_new(o, "imported", json_integer((json_int_t)op->ok));
		ctl_ok(op->cl, op->id, o);
	} else
		ctl_error(op->cl, op->id, strcmp(op->first_err, "exists") ?
		    CTLMSG_E_STORE_ERROR : CTLMSG_E_EXISTS, "%zu of %zu imported; first "
		    "error: %s", op->ok, op->total, op->first_err);
	ctl_release(op->cl);
	free(op);
}

static void
import_one(void *arg, const struct device *d)
{
	struct import_op *op = arg;

	store_device_put(op->srv->store, d, op->update, "import",
	    import_one_done, op);
}

static void
cmd_import(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *path = arg_str(cl, id, args, "path", true, &bad);
	int update = bad ? 0 : arg_bool(cl, id, args, "update", &bad);
	struct authsrc *a;
	struct import_op *op;
	char err[512];

	if (bad)
		return;
	if ((a = authsrc_new()) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	if (authsrc_load_file(a, path, err, sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "%s", err);
		authsrc_free(a);
		return;
	}
	if (authsrc_count(a) == 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "%s: no devices", path);
		authsrc_free(a);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		authsrc_free(a);
		return;
	}
	ctl_log_change(cl, "import", path);
	op->cl = ctl_hold(cl);
	op->id = id;
	op->srv = ctl_server(cl);
	op->update = update;
	op->total = authsrc_count(a);
	authsrc_foreach(a, import_one, op);
	authsrc_free(a);
}

/* ---- quotas, audit ---- */

static json_t *
quota_json(int level, const struct quota *q)
{
	json_t *o = json_object();

	json_object_set_new(o, "level", json_integer(level));
	json_object_set_new(o, "signal_size", json_integer(q->signal_size));
	json_object_set_new(o, "publish_counter", json_integer(q->publish_counter));
	json_object_set_new(o, "traffic_rate", json_integer(q->traffic_rate));
	return o;
}

static void
cmd_quota_list(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	int levels[256];
	size_t n = store_quota_levels(srv->store, levels, 256);
	json_t *list = json_array();

	(void)args;
	for (size_t i = 0; i < n; i++) {
		struct quota q;

		if (store_quota(srv->store, levels[i], &q))
			json_array_append_new(list, quota_json(levels[i], &q));
	}
	ctl_ok(cl, id, list);
}

static void
cmd_quota_set(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false, had;
	json_int_t level = arg_int(cl, id, args, "level", -1, 0, 255, &bad);
	struct quota q = { 0, 0, 0 };
	json_int_t v;
	char err[256];

	if (bad)
		return;
	if (level < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'level' is required");
		return;
	}
	had = store_quota(srv->store, (int)level, &q);
	v = arg_int(cl, id, args, "signal_size", q.signal_size, 1, 0x7FFFFFFF, &bad);
	q.signal_size = (uint32_t)v;
	if (!bad)
		q.publish_counter = (uint32_t)arg_int(cl, id, args,
		    "publish_counter", q.publish_counter, 1, 0x7FFFFFFF, &bad);
	if (!bad)
		q.traffic_rate = (uint32_t)arg_int(cl, id, args,
		    "traffic_rate", q.traffic_rate, 1, 0x7FFFFFFF, &bad);
	if (bad)
		return;
	if (!had && (!q.signal_size || !q.publish_counter || !q.traffic_rate)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "a new level needs signal_size, "
		    "publish_counter and traffic_rate");
		return;
	}
	if (store_quota_set(srv->store, (int)level, &q, err, sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_STORE_ERROR, "%s", err);
		return;
	}
	snprintf(err, sizeof(err), "%lld", (long long)level);
	ctl_log_change(cl, "quota-set", err);
	store_audit(srv->store, "quota", NULL, NULL, err);
	ctl_ok(cl, id, quota_json((int)level, &q));
}

static void
cmd_audit(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t lim = arg_int(cl, id, args, "limit", 50, 1, 1000, &bad);
	const char *dev = bad ? NULL : arg_str(cl, id, args, "device", false, &bad);
	struct audit_row *rows;
	json_t *list;
	size_t n;

	if (bad)
		return;
	if ((rows = calloc((size_t)lim, sizeof(*rows))) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	/* Failed logins gathered for the interval are part of it. */
	audit_flush(ctl_server(cl)->audit);
	n = store_audit_list(ctl_server(cl)->store, dev, rows, (size_t)lim);
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "seq", json_integer(rows[i].seq));
		json_object_set_new(o, "at", json_integer(rows[i].at));
		json_object_set_new(o, "event", json_string(rows[i].event));
		json_object_set_new(o, "device", rows[i].device[0] ?
		    json_string(rows[i].device) : json_null());
		json_object_set_new(o, "address", rows[i].addr[0] ?
		    json_string(rows[i].addr) : json_null());
		json_object_set_new(o, "detail", rows[i].detail[0] ?
		    json_string(rows[i].detail) : json_null());
		json_array_append_new(list, o);
	}
	free(rows);
	ctl_ok(cl, id, list);
}

/* ---- publishing as the server ---- */

static void
cmd_signal(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *tag = arg_str(cl, id, args, "tag", true, &bad);
	const char *payload = bad ? NULL : arg_str(cl, id, args, "payload", false, &bad);
	const char *type = bad ? NULL : arg_str(cl, id, args, "type", false, &bad);
	uint8_t *body = NULL;
	size_t blen = 0;
	int ptype = IOS_PAYLOAD_TEXT;
	struct msg *m;
	long n;
	json_t *o;

	if (bad)
		return;
	if (type == NULL || strcmp(type, "text") == 0) {
		blen = payload ? strlen(payload) + 1 : 1;	/* the NUL */
		body = (uint8_t *)strndup(payload ? payload : "", blen - 1);
	} else if (strcmp(type, "json") == 0) {
		json_t *j = payload ? json_loads(payload, JSON_DECODE_ANY, NULL) : NULL;

		if (j == NULL) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "payload is not JSON");
			return;
		}
		/* An array is the client's MJSON, anything else OBJECT. */
		ptype = json_is_array(j) ? IOS_PAYLOAD_MJSON : IOS_PAYLOAD_OBJECT;
		json_decref(j);
		body = (uint8_t *)strdup(payload);
		blen = strlen(payload);
	} else if (strcmp(type, "binary") == 0) {
		struct base64_decode_ctx b;
		size_t len = payload ? strlen(payload) : 0;

		body = malloc(BASE64_DECODE_LENGTH(len) + 1);
		blen = BASE64_DECODE_LENGTH(len) + 1;
		base64_decode_init(&b);
		if (body && (!base64_decode_update(&b, &blen, body, len,
		    payload ? payload : "") || !base64_decode_final(&b))) {
			free(body);
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "payload is not base64");
			return;
		}
		ptype = IOS_PAYLOAD_BINARY;
	} else if (strcmp(type, "empty") == 0)
		ptype = IOS_PAYLOAD_EMPTY;
	else {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "type is text, json, binary or empty");
		return;
	}
	if ((ptype != IOS_PAYLOAD_EMPTY && body == NULL) ||
	    (m = msg_new(2 + strlen(tag) + 1 + blen)) == NULL) {
		free(body);
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	n = iosmsg_build_signal(IOS_SIGNAL, tag, strlen(tag), ptype, body, blen,
	    m->data, m->len);
	free(body);
	if (n < 0) {
		msg_unref(m);
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "tag must be at most 255 bytes");
		return;
	}
	ctl_log_change(cl, "signal", tag);
	o = json_object();
	json_object_set_new(o, "delivered", json_integer((json_int_t)
	    router_publish(srv, NULL, m->data, (size_t)n)));
	msg_unref(m);
	ctl_ok(cl, id, o);
}

static void
cmd_wall(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *event = arg_str(cl, id, args, "event", false, &bad);
	json_t *data = json_object_get(args, "data"), *sig, *o;
	size_t clients = 0;
	char *text;

	if (bad)
		return;
	sig = json_object();
	json_object_set_new(sig, "event", json_string(event ? event : "wall"));
	json_object_set(sig, "data", data ? data : json_null());
	text = json_dumps(sig, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(sig);
	if (text == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "cannot encode");
		return;
	}
	for (struct conn *c = srv->conns; c; c = c->next)
		clients += c->state == CONN_OPEN;
	ctl_log_change(cl, "wall", event ? event : "wall");
	server_wall(srv, text, strlen(text));
	free(text);
	o = json_object();
	json_object_set_new(o, "clients", json_integer((json_int_t)clients));
	ctl_ok(cl, id, o);
}

/* ---- streams ---- */

static void
cmd_trace(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct trace_filter f = { .type = -1, .transport = -1 };
	bool bad = false;
	const char *cid = arg_str(cl, id, args, "cid", false, &bad);
	const char *dev = bad ? NULL : arg_str(cl, id, args, "device", false, &bad);
	const char *tag = bad ? NULL : arg_str(cl, id, args, "tag", false, &bad);
	const char *type = bad ? NULL : arg_str(cl, id, args, "type", false, &bad);
	const char *dir = bad ? NULL : arg_str(cl, id, args, "dir", false, &bad);
	const char *tr = bad ? NULL : arg_str(cl, id, args, "transport", false, &bad);
	json_int_t queue = bad ? 0 : arg_int(cl, id, args, "queue", 1000, 1,
	    100000, &bad);
	json_int_t ssid = bad ? 0 : arg_int(cl, id, args, "ssid", 0, 0,
	    UINT32_MAX, &bad);
	json_t *o;

	if (bad)
		return;
	f.ssid = (uint32_t)ssid;
	if ((cid && strlen(cid) >= sizeof(f.cid)) ||
	    (dev && strlen(dev) >= sizeof(f.device)) ||
	    (tag && strlen(tag) >= sizeof(f.tag))) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "a filter is too long");
		return;
	}
	snprintf(f.cid, sizeof(f.cid), "%s", cid ? cid : "");
	snprintf(f.device, sizeof(f.device), "%s", dev ? dev : "");
	snprintf(f.tag, sizeof(f.tag), "%s", tag ? tag : "");
	if (type) {
		for (int t = 0; t < 256 && f.type < 0; t++)
			if (iosmsg_name((uint8_t)t) &&
			    strcasecmp(iosmsg_name((uint8_t)t), type) == 0)
				f.type = t;
		if (f.type < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "no message type %s", type);
			return;
		}
	}
	if (dir) {
		f.dirs = strcmp(dir, "in") == 0 ? TRACE_IN : strcmp(dir, "out") == 0 ?
		    TRACE_OUT : strcmp(dir, "route") == 0 ? TRACE_ROUTE : -1;
		if (f.dirs < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "dir is in, out or route");
			return;
		}
	}
	if (tr) {
		for (int t = 0; t < TR_COUNT; t++)
			if (strcmp(tr, transport_name((enum transport)t)) == 0)
				f.transport = t;
		if (f.transport < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "transport is ws, wss or cong");
			return;
		}
	}
	if (ctl_start_trace(cl, id, &f, (size_t)queue) < 0) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	o = json_object();
	json_object_set_new(o, "stream", json_integer(id));
	ctl_ok(cl, id, o);
}

static void
cmd_watch(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t ms = arg_int(cl, id, args, "interval_ms", 1000, 100, 3600000,
	    &bad);
	json_t *o;

	if (bad)
		return;
	if (ctl_start_watch(cl, id, (unsigned)ms) < 0) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	o = json_object();
	json_object_set_new(o, "stream", json_integer(id));
	ctl_ok(cl, id, o);
}

static void
cmd_cancel(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t s = arg_int(cl, id, args, "stream", -1, 0, INT64_MAX, &bad);
	json_t *o;

	if (bad)
		return;
	if (s < 0 || !ctl_cancel(cl, s)) {
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no stream %lld", (long long)s);
		return;
	}
	o = json_object();
	json_object_set_new(o, "cancelled", json_integer(s));
	ctl_ok(cl, id, o);
}

/* ---- backup ---- */

struct backup_op {
	struct ctl_client *cl;
	json_int_t id;
	char path[];
};

static void
backup_done(void *arg, int rc, const char *err, int pages)
{
	struct backup_op *op = arg;
	json_t *o;

	if (rc < 0)
		ctl_error(op->cl, op->id, CTLMSG_E_STORE_ERROR, "backup %s: %s",
		    op->path, err);
	else {
		o = json_object();
		json_object_set_new(o, "path", json_string(op->path));
		json_object_set_new(o, "pages", json_integer(pages));
		log_info("backup: %s written (%d pages)", op->path, pages);
		ctl_ok(op->cl, op->id, o);
	}
	ctl_release(op->cl);
	free(op);
}

static void
cmd_backup(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *path = arg_str(cl, id, args, "path", true, &bad);
	struct backup_op *op;
	char err[512];

	if (bad)
		return;
	if (path[0] != '/') {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "path must be absolute");
		return;
	}
	if ((op = calloc(1, sizeof(*op) + strlen(path) + 1)) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	strcpy(op->path, path);
	op->cl = ctl_hold(cl);
	op->id = id;
	ctl_log_change(cl, "backup", path);
	if (store_backup(srv->store, srv->loop, path, backup_done, op, err,
	    sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "backup: %s", err);
		ctl_release(cl);
		free(op);
	}
}

/*
 * The handler of each command of ctlmsg.h's table: a switch without a
 * default, so that a command without a handler does not compile
 * (-Wswitch).
 */
ctl_cmd_fn *
ctl_cmd_handler(enum ctlmsg_cmd cmd)
{
	switch (cmd) {
	case CTLMSG_CMD_STATUS: return cmd_status;
	case CTLMSG_CMD_METRICS: return cmd_metrics;
	case CTLMSG_CMD_CLIENTS: return cmd_clients;
	case CTLMSG_CMD_CLIENT: return cmd_client;
	case CTLMSG_CMD_KICK: return cmd_kick;
	case CTLMSG_CMD_BAN: return cmd_ban;
	case CTLMSG_CMD_UNBAN: return cmd_unban;
	case CTLMSG_CMD_BANS: return cmd_bans;
	case CTLMSG_CMD_CHANNELS: return cmd_channels;
	case CTLMSG_CMD_SUBSCRIBERS: return cmd_subscribers;
	case CTLMSG_CMD_DEVICES: return cmd_devices;
	case CTLMSG_CMD_DEVICE: return cmd_device;
	case CTLMSG_CMD_ENROLL: return cmd_enroll;
	case CTLMSG_CMD_REVOKE: return cmd_revoke;
	case CTLMSG_CMD_DISABLE: return cmd_disable;
	case CTLMSG_CMD_ENABLE: return cmd_enable;
	case CTLMSG_CMD_SET_LEVEL: return cmd_set_level;
	case CTLMSG_CMD_ROTATE_KEY: return cmd_rotate_key;
	case CTLMSG_CMD_IMPORT: return cmd_import;
	case CTLMSG_CMD_QUOTA_LIST: return cmd_quota_list;
	case CTLMSG_CMD_QUOTA_SET: return cmd_quota_set;
	case CTLMSG_CMD_AUDIT: return cmd_audit;
	case CTLMSG_CMD_SIGNAL: return cmd_signal;
	case CTLMSG_CMD_WALL: return cmd_wall;
	case CTLMSG_CMD_TRACE: return cmd_trace;
	case CTLMSG_CMD_WATCH: return cmd_watch;
	case CTLMSG_CMD_CANCEL: return cmd_cancel;
	case CTLMSG_CMD_RELOAD: return cmd_reload;
	case CTLMSG_CMD_LOG_LEVEL: return cmd_log_level;
	case CTLMSG_CMD_BACKUP: return cmd_backup;
	case CTLMSG_CMD_NONE:
	case CTLMSG_CMD_COUNT:
		break;
	}
	return NULL;
}
