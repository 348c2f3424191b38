/*
 * show.c - see show.h.
 */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "show.h"

#define B	64		/* a formatted number */
#define T	512		/* a cleaned string */

/* A member as short text, "-" when absent. */
static const char *
txt(char *buf, size_t cap, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL) {
		snprintf(buf, cap, "-");
		return buf;
	}
	return out_text(buf, cap, v);
}

static const char *
yesno(const json_t *o, const char *key)
{
	int b = jget_bool(o, key);

	return b < 0 ? "-" : b ? "yes" : "no";
}

static const char *
bytes(char *buf, size_t cap, const json_t *o, const char *key)
{
	double v = jget_num(o, key, -1);

	if (v < 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	return fmt_bytes(buf, cap, v);
}

static const char *
ago(char *buf, size_t cap, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	/* A time the daemon sends as text is shown as it is. */
	if (json_is_string(v))
		return out_clean(buf, cap, json_string_value(v));
	return fmt_ago(buf, cap, jget_num(o, key, 0));
}

/* "2025-01-31 12:00:00 (3m ago)", or "never". */
static const char *
when(char *buf, size_t cap, const json_t *o, const char *key)
{
	char d[B], a[B];
	double t = jget_num(o, key, 0);

	if (json_is_string(json_object_get(o, key)) || t <= 0)
		return ago(buf, cap, o, key);
	snprintf(buf, cap, "%s (%s)", fmt_date(d, sizeof(d), t),
	    fmt_ago(a, sizeof(a), t));
	return buf;
}

const json_t *
show_list(const json_t *r)
{
	return json_is_array(r) ? r : json_object_get(r, "list");
}

/* The reference's CLIENT_STATE, by number (iosd's enum session_state). */
static const char *const session_states[] = {
	"init", "sent_server_ready", "recv_auth_req", "sent_server_nonce",
	"recv_auth_hmac", "auth_fail", "auth_ready", "cid_ready",
};

const char *
show_state_name(const json_t *state)
{
	json_int_t n;

	/* A daemon that names its states already: the name as it is. */
	if (json_is_string(state))
		return json_string_value(state);
	if (!json_is_integer(state))
		return NULL;
	n = json_integer_value(state);
	return n >= 0 && n < (json_int_t)(sizeof(session_states) /
	    sizeof(session_states[0])) ? session_states[n] : "unknown";
}

static void
add_state_name(json_t *o)
{
	const char *name = show_state_name(json_object_get(o, "state"));

	if (name)
		json_object_set_new(o, "state_name", json_string(name));
}

void
show_states(json_t *r)
{
	size_t i;
	json_t *e;

	add_state_name(r);
	json_array_foreach(json_object_get(r, "list"), i, e)
		add_state_name(e);
}

/* "12 of 250 clients": on a terminal, when the list is cut. */
static void
footer(const json_t *r, size_t shown, const char *what)
{
	double total = jget_num(r, "total", -1);

	if (shown == 0)
		printf("no %s\n", what);
	else if (out_tty && total > (double)shown)
		printf("%zu of %.0f %s (--offset, --limit)\n", shown, total,
		    what);
}

void
show_status(const json_t *r)
{
	static const char *const cols[] = { "TRANSPORT", "ADDRESS", ">PORT",
	    NULL };
	char a[T], b[B], c[B];
	const json_t *store = json_object_get(r, "store"), *l;
	struct table *t;
	size_t i;

	out_kv("iosd", "%s (pid %s)", txt(a, sizeof(a), r, "version"),
	    txt(b, sizeof(b), r, "pid"));
	if (json_object_get(r, "uptime_s"))
		out_kv("uptime", "%s (since %s)", fmt_duration(b, sizeof(b),
		    jget_num(r, "uptime_s", 0)), fmt_date(c, sizeof(c),
		    jget_num(r, "started", 0)));
	out_kv("clients", "%s", txt(a, sizeof(a), r, "clients"));
	out_kv("channels", "%s", txt(a, sizeof(a), r, "channels"));
	if (json_is_object(store))
		out_kv("store", "%s %s", txt(b, sizeof(b), store, "backend"),
		    txt(a, sizeof(a), store, "path"));
	else if (store)
		out_kv("store", "%s", out_text(a, sizeof(a), store));
	if (json_object_get(r, "control"))
		out_kv("control", "%s", txt(a, sizeof(a), r, "control"));
	if (json_is_object(json_object_get(r, "cluster"))) {
		const json_t *cl = json_object_get(r, "cluster");
		const json_t *nodes = json_object_get(cl, "nodes");

		out_kv("cluster", "node %s, redis %s, link %s, %s nodes seen",
		    txt(a, sizeof(a), cl, "node"), txt(b, sizeof(b), cl,
		    "redis"), txt(c, sizeof(c), cl, "link"),
		    json_is_array(nodes) ? (snprintf(c, sizeof(c), "%zu",
		    json_array_size(nodes)), c) : "0");
		for (i = 0; i < json_array_size(nodes); i++) {
			const json_t *e = json_array_get(nodes, i);

			out_kv("  node", "%s: in %s, unicasts out %s",
			    txt(a, sizeof(a), e, "node"), txt(b, sizeof(b), e,
			    "in"), txt(c, sizeof(c), e, "out"));
		}
	}
	if ((l = show_list(json_object_get(r, "listeners"))) == NULL)
		return;
	t = table_new(cols);
	for (i = 0; i < json_array_size(l); i++) {
		const json_t *e = json_array_get(l, i);

		table_add(t, txt(b, sizeof(b), e, "transport"));
		table_add(t, txt(a, sizeof(a), e, "address"));
		table_add(t, txt(c, sizeof(c), e, "port"));
	}
	putchar('\n');
	table_print(t);
	table_free(t);
}

void
show_msg_totals(const json_t *m, const char *key, double *count,
    double *bytes_)
{
	const char *k;
	json_t *v;

	*count = *bytes_ = 0;
	json_object_foreach(json_object_get(m, key), k, v) {
		*count += jget_num(v, "count", 0);
		*bytes_ += jget_num(v, "bytes", 0);
	}
}

/* One row per message type, received and sent side by side. */
static void
message_table(const json_t *r)
{
	static const char *const cols[] = { "TYPE", ">IN", ">IN BYTES",
	    ">OUT", ">OUT BYTES", NULL };
	const json_t *in = json_object_get(r, "messages_in");
	const json_t *out = json_object_get(r, "messages_out");
	char a[B], b[B];
	struct table *t = table_new(cols);
	const char *k;
	json_t *v;
	double n, nb;

	json_object_foreach((json_t *)in, k, v) {
		const json_t *o = json_object_get(out, k);

		table_add(t, k);
		table_add(t, fmt_count(a, sizeof(a), jget_num(v, "count", 0)));
		table_add(t, fmt_bytes(b, sizeof(b), jget_num(v, "bytes", 0)));
		table_add(t, o ? fmt_count(a, sizeof(a), jget_num(o, "count",
		    0)) : "0");
		table_add(t, fmt_bytes(b, sizeof(b), jget_num(o, "bytes", 0)));
	}
	json_object_foreach((json_t *)out, k, v) {
		if (json_object_get(in, k))
			continue;
		table_add(t, k);
		table_add(t, "0");
		table_add(t, "0 B");
		table_add(t, fmt_count(a, sizeof(a), jget_num(v, "count", 0)));
		table_add(t, fmt_bytes(b, sizeof(b), jget_num(v, "bytes", 0)));
	}
	show_msg_totals(r, "messages_in", &n, &nb);
	if (table_rows(t) > 0) {
		table_add(t, "total");
		table_add(t, fmt_count(a, sizeof(a), n));
		table_add(t, fmt_bytes(b, sizeof(b), nb));
		show_msg_totals(r, "messages_out", &n, &nb);
		table_add(t, fmt_count(a, sizeof(a), n));
		table_add(t, fmt_bytes(b, sizeof(b), nb));
		putchar('\n');
		table_print(t);
	}
	table_free(t);
}

void
show_metrics(const json_t *r)
{
	char line[T], a[B], b[B], c[B];
	const json_t *conns = json_object_get(r, "connections");
	const json_t *drops = json_object_get(r, "drops");
	const json_t *auth = json_object_get(r, "auth");
	const json_t *quota = json_object_get(r, "quota");
	const char *k;
	json_t *v;
	size_t n = 0;

	if (json_object_get(r, "uptime_s"))
		out_kv("uptime", "%s", fmt_duration(a, sizeof(a),
		    jget_num(r, "uptime_s", 0)));
	line[0] = '\0';
	json_object_foreach((json_t *)conns, k, v)
		n += (size_t)snprintf(line + n, n < sizeof(line) ?
		    sizeof(line) - n : 0, "%s%s %s now, %s total", n ? "; " :
		    "", k, txt(a, sizeof(a), v, "now"),
		    txt(b, sizeof(b), v, "total"));
	out_kv("connections", "%s", n ? line : "-");
	out_kv("publishes", "%s (%s deliveries)", txt(a, sizeof(a), r,
	    "publishes"), txt(b, sizeof(b), r, "fanout_deliveries"));
	out_kv("channels", "%s (%s subscriptions, %s retained)",
	    txt(a, sizeof(a), r, "channels"), txt(b, sizeof(b), r,
	    "subscriptions"), txt(c, sizeof(c), r, "retained"));
	out_kv("logins", "%s ok, %s failed", txt(a, sizeof(a), auth, "ok"),
	    txt(b, sizeof(b), auth, "fail"));
	out_kv("quota", "%s oversize, %s over rate", txt(a, sizeof(a), quota,
	    "oversize"), txt(b, sizeof(b), quota, "rate"));
	/* Drops that happened, not the reasons that never did. */
	n = 0;
	line[0] = '\0';
	json_object_foreach((json_t *)drops, k, v)
		if (jget_num(drops, k, 0) > 0)
			n += (size_t)snprintf(line + n, n < sizeof(line) ?
			    sizeof(line) - n : 0, "%s%s %s", n ? ", " : "",
			    k, out_text(a, sizeof(a), v));
	out_kv("drops", "%s", n ? line : "none");
	message_table(r);
}

void
show_clients(const json_t *r)
{
	static const char *const cols[] = { ">SSID", "CID", "DEVICE",
	    "TRANSPORT", "ADDRESS", ">LEVEL", "AUTH", ">SUBS", ">MSG/S IN",
	    ">MSG/S OUT", ">IN", ">OUT", ">QUEUE", "SINCE", NULL };
	const json_t *l = show_list(r);
	char a[T], b[B];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *c = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), c, "ssid"));
		table_add(t, txt(a, sizeof(a), c, "cid"));
		table_add(t, txt(a, sizeof(a), c, "device"));
		table_add(t, txt(a, sizeof(a), c, "transport"));
		table_add(t, txt(a, sizeof(a), c, "address"));
		table_add(t, txt(a, sizeof(a), c, "level"));
		table_add(t, yesno(c, "authorized"));
		table_add(t, txt(a, sizeof(a), c, "subscriptions"));
		snprintf(b, sizeof(b), "%.1f", jget_num(c, "rx_msgs_s", 0));
		table_add(t, b);
		snprintf(b, sizeof(b), "%.1f", jget_num(c, "tx_msgs_s", 0));
		table_add(t, b);
		table_add(t, bytes(b, sizeof(b), c, "rx_bytes"));
		table_add(t, bytes(b, sizeof(b), c, "tx_bytes"));
		table_add(t, bytes(b, sizeof(b), c, "queue_bytes"));
		table_add(t, ago(b, sizeof(b), c, "since"));
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	footer(r, i, "clients");
}

/* "192.0.2.7 until 2026-12-05 10:00:00 (in 2h)" or "... for good". */
static void
ban_line(const json_t *b, const char *verb)
{
	char a[T], w[B];
	const json_t *u = json_object_get(b, "until");

	printf("%s%s", verb, txt(a, sizeof(a), b, "address"));
	if (json_is_integer(u))
		printf(" until %s", when(w, sizeof(w), b, "until"));
	else
		printf(" until unbanned");
	putchar('\n');
}

void
show_ban(const json_t *r)
{
	double n = jget_num(r, "closed", 0);

	ban_line(r, "banned ");
	if (n > 0)
		printf("closed %.0f connection%s\n", n, n == 1 ? "" : "s");
}

void
show_unban(const json_t *r)
{
	char a[T];

	printf("unbanned %s\n", txt(a, sizeof(a), r, "unbanned"));
}

void
show_bans(const json_t *r)
{
	static const char *const cols[] = { "ADDRESS", "UNTIL", "SINCE",
	    "REASON", NULL };
	const json_t *l = show_list(r);
	char a[T], b[B];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *e = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), e, "address"));
		table_add(t, json_is_integer(json_object_get(e, "until")) ?
		    when(b, sizeof(b), e, "until") : "unbanned");
		table_add(t, ago(b, sizeof(b), e, "created"));
		table_add(t, txt(a, sizeof(a), e, "reason"));
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	footer(r, i, "bans");
}

/* Messages and bytes: "12 msgs, 3.4 kB". */
static void
traffic(const char *label, const json_t *c, const char *msgs,
    const char *nbytes)
{
	char a[B], b[B];

	out_kv(label, "%s msgs, %s", txt(a, sizeof(a), c, msgs),
	    bytes(b, sizeof(b), c, nbytes));
}

void
show_client(const json_t *r)
{
	static const char *const plain[] = { "cid", "nick", "ssid", "device",
	    "state", "transport", "address", "level", NULL };
	const char *state = show_state_name(json_object_get(r, "state"));
	char a[T];

	for (size_t i = 0; plain[i]; i++)
		if (state && strcmp(plain[i], "state") == 0)
			out_kv("state", "%s", out_clean(a, sizeof(a), state));
		else if (json_object_get(r, plain[i]))
			out_kv(plain[i], "%s", txt(a, sizeof(a), r, plain[i]));
	out_kv("authorized", "%s", yesno(r, "authorized"));
	out_kv("encrypted", "%s", yesno(r, "encrypted"));
	out_kv("connected", "%s", when(a, sizeof(a), r, "since"));
	traffic("received", r, "rx_msgs", "rx_bytes");
	traffic("sent", r, "tx_msgs", "tx_bytes");
	traffic("queued", r, "queue_msgs", "queue_bytes");
	out_kv("subscriptions", "%s", txt(a, sizeof(a), r, "subscriptions"));
	if (json_object_get(r, "channels"))
		out_kv("channels", "%s", txt(a, sizeof(a), r, "channels"));
}

/* "kicked ?ab12": the CID, or a count and the clients it names. */
void
show_kick(const json_t *r)
{
	const json_t *l = json_object_get(r, "clients"), *e;
	char a[T];
	size_t i;

	if (!json_is_array(l)) {
		printf("kicked %s\n", txt(a, sizeof(a), r, "kicked"));
		return;
	}
	printf("kicked");
	json_array_foreach(l, i, e)
		printf("%s %s", i ? "," : "", txt(a, sizeof(a), e, "cid"));
	putchar('\n');
}

void
show_channels(const json_t *r)
{
	static const char *const cols[] = { "CHANNEL", ">SUBSCRIBERS",
	    ">RETAINED", ">RETAINED BYTES", NULL };
	const json_t *l = show_list(r);
	char a[T], b[B];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *c = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), c, "key"));
		table_add(t, txt(a, sizeof(a), c, "subscribers"));
		table_add(t, txt(a, sizeof(a), c, "retained"));
		table_add(t, bytes(b, sizeof(b), c, "retained_bytes"));
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	footer(r, i, "channels");
}

void
show_subscribers(const json_t *r)
{
	static const char *const cols[] = { ">SSID", "CID", NULL };
	const json_t *l = show_list(r);
	char a[T];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *c = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), c, "ssid"));
		table_add(t, txt(a, sizeof(a), c, "cid"));
	}
	printf("%s: %zu subscriber%s\n", txt(a, sizeof(a), r, "channel"), i,
	    i == 1 ? "" : "s");
	if (table_rows(t))
		table_print(t);
	table_free(t);
}

static const char *
state(const json_t *d)
{
	int b = jget_bool(d, "disabled");

	return b < 0 ? "-" : b ? "disabled" : "enabled";
}

void
show_devices(const json_t *r)
{
	static const char *const cols[] = { "ID", "CID", ">LEVEL", "STATE",
	    "LAST SEEN", "LAST ADDRESS", ">LOGINS", ">FAILURES", "CREATED",
	    NULL };
	const json_t *l = show_list(r);
	char a[T];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *d = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), d, "id"));
		table_add(t, txt(a, sizeof(a), d, "cid"));
		table_add(t, txt(a, sizeof(a), d, "level"));
		table_add(t, state(d));
		table_add(t, ago(a, sizeof(a), d, "last_seen"));
		table_add(t, txt(a, sizeof(a), d, "last_addr"));
		table_add(t, txt(a, sizeof(a), d, "logins"));
		table_add(t, txt(a, sizeof(a), d, "failures"));
		table_add(t, ago(a, sizeof(a), d, "created"));
	}
	if (table_rows(t))
		table_print(t);
	table_free(t);
	footer(r, i, "devices");
}

void
show_device(const json_t *r)
{
	char a[T];

	out_kv("id", "%s", txt(a, sizeof(a), r, "id"));
	out_kv("cid", "%s", txt(a, sizeof(a), r, "cid"));
	out_kv("level", "%s", txt(a, sizeof(a), r, "level"));
	out_kv("state", "%s", state(r));
	out_kv("created", "%s", when(a, sizeof(a), r, "created"));
	out_kv("updated", "%s", when(a, sizeof(a), r, "updated"));
	out_kv("last seen", "%s", when(a, sizeof(a), r, "last_seen"));
	out_kv("last address", "%s", txt(a, sizeof(a), r, "last_addr"));
	out_kv("logins", "%s", txt(a, sizeof(a), r, "logins"));
	out_kv("failures", "%s", txt(a, sizeof(a), r, "failures"));
}

void
show_revoke(const json_t *r)
{
	char a[T];
	double n = jget_num(r, "kicked", 0);

	printf("revoked %s", txt(a, sizeof(a), r, "revoked"));
	if (n > 0)
		printf(" (closed %.0f session%s)", n, n == 1 ? "" : "s");
	putchar('\n');
}

void
show_disabled(const json_t *r)
{
	char a[T];
	int b = jget_bool(r, "disabled");

	printf("%s %s\n", txt(a, sizeof(a), r, "id"), b < 0 ? "?" : b ?
	    "disabled" : "enabled");
}

void
show_set_level(const json_t *r)
{
	char a[T], b[B];

	printf("%s level %s\n", txt(a, sizeof(a), r, "id"),
	    txt(b, sizeof(b), r, "level"));
}

void
show_import(const json_t *r)
{
	double n = jget_num(r, "imported", 0);

	printf("imported %.0f device%s\n", n, n == 1 ? "" : "s");
}

/*
 * Quotas in exact numbers: they are set that way (quota-set), and
 * 65535 against 65536 matters.
 */
static void
quota_rows(const json_t *l)
{
	static const char *const cols[] = { ">LEVEL", ">SIGNAL_SIZE",
	    ">PUBLISH_COUNTER", ">TRAFFIC_RATE", "RATE", NULL };
	char a[B], b[B];
	struct table *t = table_new(cols);

	for (size_t i = 0; i < json_array_size(l); i++) {
		const json_t *q = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), q, "level"));
		table_add(t, txt(a, sizeof(a), q, "signal_size"));
		table_add(t, txt(a, sizeof(a), q, "publish_counter"));
		table_add(t, txt(a, sizeof(a), q, "traffic_rate"));
		table_addf(t, "%s/s", bytes(b, sizeof(b), q, "traffic_rate"));
	}
	if (table_rows(t))
		table_print(t);
	else
		printf("no quota levels\n");
	table_free(t);
}

void
show_quota_list(const json_t *r)
{
	quota_rows(show_list(r));
}

void
show_quota(const json_t *r)
{
	json_t *l = json_array();

	json_array_append((json_t *)l, (json_t *)r);
	quota_rows(l);
	json_decref(l);
}

void
show_audit(const json_t *r)
{
	static const char *const cols[] = { ">SEQ", "WHEN", "EVENT", "DEVICE",
	    "ADDRESS", "DETAIL", NULL };
	const json_t *l = show_list(r);
	char a[T];
	struct table *t = table_new(cols);
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		const json_t *e = json_array_get(l, i);

		table_add(t, txt(a, sizeof(a), e, "seq"));
		table_add(t, ago(a, sizeof(a), e, "at"));
		table_add(t, txt(a, sizeof(a), e, "event"));
		table_add(t, txt(a, sizeof(a), e, "device"));
		table_add(t, txt(a, sizeof(a), e, "address"));
		table_add(t, txt(a, sizeof(a), e, "detail"));
	}
	if (table_rows(t))
		table_print(t);
	else
		printf("no audit entries\n");
	table_free(t);
}

void
show_signal(const json_t *r)
{
	double n = jget_num(r, "delivered", 0);

	printf("delivered to %.0f client%s\n", n, n == 1 ? "" : "s");
}

void
show_wall(const json_t *r)
{
	double n = jget_num(r, "clients", 0);

	printf("sent to %.0f client%s\n", n, n == 1 ? "" : "s");
}

void
show_reload(const json_t *r)
{
	char a[T];

	printf("reloaded: %s\n", txt(a, sizeof(a), r, "reloaded"));
}

void
show_log_level(const json_t *r)
{
	char a[B];

	printf("log level %s\n", txt(a, sizeof(a), r, "level"));
}

void
show_backup(const json_t *r)
{
	char p[512];

	printf("backup written to %s (%.0f pages)\n", out_clean(p, sizeof(p),
	    jget_strdef(r, "path", "?")), jget_num(r, "pages", 0));
}
