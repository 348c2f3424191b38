/*
 * view_clients.c - the connected clients: a table sortable by any
 * column and filtered by text, busiest sender first (messages in per
 * second: a flooder stands out from the subscribers it floods, whose
 * messages go out); a details pane for the selected client (its counters
 * and subscriptions, from `client`); its live trace, kick, and a ban of
 * its address, one key each. Rows are keyed by session number, so a
 * client without a CID is one like the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctlclient.h"
#include "form.h"
#include "table.h"
#include "ui.h"
#include "view_clients.h"
#include "view_trace.h"

#define LIMIT		1000	/* the daemon's largest page */

struct crow {
	long long ssid;
	char cid[64], device[64], transport[8], address[64];
	long long level, subs, tx_msgs, rx_msgs, tx_bytes, rx_bytes;
	long long qmsgs, qbytes, since;
	bool authorized, encrypted;
	/* per second, as the daemon measures them */
	double in_rate, out_rate, in_bytes, out_bytes;
};

enum { C_SSID, C_CID, C_DEVICE, C_TR, C_ADDR, C_AUTH, C_IN, C_OUT,
	C_INB, C_OUTB, C_SUBS, C_QUEUE, C_AGE, C_COUNT };

static const struct table_col ccols[C_COUNT] = {
	[C_SSID] = { "#", 4, 0, true },
	[C_CID] = { "CID", 8, 3, false },
	[C_DEVICE] = { "DEVICE", 8, 2, false },
	[C_TR] = { "TR", 4, 0, false },
	[C_ADDR] = { "ADDRESS", 15, 2, false },
	[C_AUTH] = { "AUTH", 4, 0, false },
	[C_IN] = { "IN/S", 6, 0, true },
	[C_OUT] = { "OUT/S", 6, 0, true },
	[C_INB] = { "INB/S", 6, 0, true },
	[C_OUTB] = { "OUTB/S", 6, 0, true },
	[C_SUBS] = { "SUBS", 4, 0, true },
	[C_QUEUE] = { "QUEUE", 5, 0, true },
	[C_AGE] = { "AGE", 7, 0, true },
};

static struct {
	struct ctl *ctl;
	struct crow *rows;	/* as the daemon sent them */
	size_t nrows;
	int *shown;		/* filtered and sorted: indexes into rows */
	long long total;
	bool busy, detail_busy, loaded;
	uint64_t at_ms;		/* when rows came */
	struct table t;
	char filter[FORM_VALUE];
	bool detail;		/* the pane is open */
	json_t *info;		/* the `client` answer for it */
	long long sel_ssid;	/* the selection survives refreshes */
} cv;

static const struct crow *
row_at(int i)
{
	return &cv.rows[cv.shown[i]];
}

static void
auth_text(const struct crow *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s", r->authorized ? "A" : "-",
	    r->encrypted ? "E" : "");
}

static int
cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

/* Rates sort busiest first: the ones to look at come on top. */
static int
cmp_rate(double a, double b)
{
	return (b > a) - (b < a);
}

static int
cmp_rows(const void *pa, const void *pb)
{
	const struct crow *a = &cv.rows[*(const int *)pa];
	const struct crow *b = &cv.rows[*(const int *)pb];
	char x[8], y[8];
	int r = 0;

	switch (cv.t.sort) {
	case C_SSID: r = cmp_ll(a->ssid, b->ssid); break;
	case C_CID: r = strcmp(a->cid, b->cid); break;
	case C_DEVICE: r = strcmp(a->device, b->device); break;
	case C_TR: r = strcmp(a->transport, b->transport); break;
	case C_ADDR: r = strcmp(a->address, b->address); break;
	case C_AUTH:
		auth_text(a, x, sizeof(x));
		auth_text(b, y, sizeof(y));
		r = strcmp(x, y);
		break;
	case C_SUBS: r = cmp_ll(a->subs, b->subs); break;
	case C_IN: r = cmp_rate(a->in_rate, b->in_rate); break;
	case C_OUT: r = cmp_rate(a->out_rate, b->out_rate); break;
	case C_INB: r = cmp_rate(a->in_bytes, b->in_bytes); break;
	case C_OUTB: r = cmp_rate(a->out_bytes, b->out_bytes); break;
	case C_QUEUE: r = cmp_ll(a->qmsgs, b->qmsgs); break;
	case C_AGE: r = cmp_ll(b->since, a->since); break;
	}
	if (r == 0)
		r = cmp_ll(a->ssid, b->ssid);
	return cv.t.rev ? -r : r;
}

static bool
matches(const struct crow *r)
{
	return !cv.filter[0] || strcasestr(r->cid, cv.filter) ||
	    strcasestr(r->device, cv.filter) || strcasestr(r->address,
	    cv.filter) || strcasestr(r->transport, cv.filter);
}

/* Note the selected row's session, while shown[] still indexes rows
 * (-1: the first row, whoever it is). */
static void
snap(void)
{
	if (cv.t.n > 0 && cv.t.cur < cv.t.n && cv.sel_ssid != -1)
		cv.sel_ssid = row_at(cv.t.cur)->ssid;
}

/* Filter and sort rows into shown[], the noted row selected again. */
static void
reorder(void)
{
	int n = 0;

	free(cv.shown);
	cv.shown = calloc(cv.nrows + 1, sizeof(int));
	for (size_t i = 0; i < cv.nrows; i++)
		if (matches(&cv.rows[i]))
			cv.shown[n++] = (int)i;
	qsort(cv.shown, (size_t)n, sizeof(int), cmp_rows);
	if (cv.sel_ssid == -1)
		cv.t.cur = 0;
	for (int i = 0; i < n; i++)
		if (cv.rows[cv.shown[i]].ssid == cv.sel_ssid)
			cv.t.cur = i;
	table_set_rows(&cv.t, n);
	view_dirty(&view_clients);
}

static void
rebuild(void)
{
	snap();
	reorder();
}

static void
clients_reply(void *arg, bool ok, json_t *res)
{
	json_t *list, *o;
	struct crow *old = cv.rows;
	size_t n, i;
	uint64_t now = ctlc_now_ms();

	(void)arg;
	cv.busy = false;
	if (!ok)
		return;
	list = json_object_get(res, "clients");
	n = json_array_size(list);
	snap();		/* before rows change under shown[] */
	cv.rows = calloc(n + 1, sizeof(*cv.rows));
	json_array_foreach(list, i, o) {
		struct crow *r = &cv.rows[i];

		r->ssid = jget_int(o, "ssid", 0);
		jget_copy(o, "cid", r->cid, sizeof(r->cid));
		jget_copy(o, "device", r->device, sizeof(r->device));
		jget_copy(o, "transport", r->transport, sizeof(r->transport));
		jget_copy(o, "address", r->address, sizeof(r->address));
		r->level = jget_int(o, "level", 0);
		r->authorized = json_is_true(json_object_get(o, "authorized"));
		r->encrypted = json_is_true(json_object_get(o, "encrypted"));
		r->subs = jget_int(o, "subscriptions", 0);
		r->tx_msgs = jget_int(o, "tx_msgs", 0);
		r->rx_msgs = jget_int(o, "rx_msgs", 0);
		r->tx_bytes = jget_int(o, "tx_bytes", 0);
		r->rx_bytes = jget_int(o, "rx_bytes", 0);
		r->qmsgs = jget_int(o, "queue_msgs", 0);
		r->qbytes = jget_int(o, "queue_bytes", 0);
		r->since = jget_int(o, "since", 0);
		r->in_rate = jget_num(o, "rx_msgs_s", 0);
		r->out_rate = jget_num(o, "tx_msgs_s", 0);
		r->in_bytes = jget_num(o, "rx_bytes_s", 0);
		r->out_bytes = jget_num(o, "tx_bytes_s", 0);
	}
	free(old);
	cv.nrows = n;
	cv.total = jget_int(res, "total", 0);
	cv.at_ms = now;
	cv.loaded = true;
	reorder();
}

static void request_rows(void);

static void
client_reply(void *arg, bool ok, json_t *res)
{
	long long ssid = jget_int(res, "ssid", -1);

	(void)arg;
	cv.detail_busy = false;
	json_decref(cv.info);
	cv.info = NULL;
	/* The selection moved while this was on its way: ask again. */
	if (ok && cv.t.n > 0 && ssid != row_at(cv.t.cur)->ssid) {
		request_rows();
		return;
	}
	cv.info = ok ? json_incref(res) : NULL;
	view_dirty(&view_clients);
}

static void
request_rows(void)
{
	/* The busiest senders first: with more clients than a page, the
	 * ones that matter are the ones kept. */
	if (!cv.busy)
		cv.busy = ctl_request(cv.ctl, CTLMSG_CMD_CLIENTS,
		    json_pack("{s:i,s:s}", "limit", LIMIT, "sort",
		    "rx_msgs_s"), clients_reply, NULL) >= 0;
	if (cv.detail && cv.t.n > 0 && !cv.detail_busy)
		cv.detail_busy = ctl_request(cv.ctl, CTLMSG_CMD_CLIENT,
		    json_pack("{s:I}", "ssid",
		    (json_int_t)row_at(cv.t.cur)->ssid), client_reply,
		    NULL) >= 0;
}

static void
clients_init(struct view *v, struct ctl *c)
{
	(void)v;
	cv.ctl = c;
	table_init(&cv.t, ccols, C_COUNT, C_IN);
}

static void
clients_free(struct view *v)
{
	(void)v;
	free(cv.rows);
	free(cv.shown);
	json_decref(cv.info);
}

static void
clients_tick(struct view *v, uint64_t now)
{
	(void)v;
	(void)now;
	request_rows();
}

/* Coming to the view sorted by a rate: the busiest is the one selected,
 * which is what the operator came for. */
static void
clients_show(struct view *v, bool shown)
{
	(void)v;
	if (!shown || (cv.t.sort != C_IN && cv.t.sort != C_OUT &&
	    cv.t.sort != C_INB && cv.t.sort != C_OUTB) || cv.t.rev)
		return;
	cv.sel_ssid = -1;
	cv.t.cur = cv.t.top = 0;
	view_dirty(&view_clients);
}

static void
clients_conn(struct view *v, bool up)
{
	(void)v;
	if (!up)
		cv.busy = cv.detail_busy = false;
}

static void
cell(void *arg, int row, int col, char *buf, size_t cap, int *attr)
{
	const struct crow *r = row_at(row);

	(void)arg;
	switch (col) {
	case C_SSID: snprintf(buf, cap, "%lld", r->ssid); break;
	case C_CID: snprintf(buf, cap, "%s", r->cid[0] ? r->cid : "-"); break;
	case C_DEVICE:
		snprintf(buf, cap, "%s", r->device[0] ? r->device : "-");
		break;
	case C_TR: snprintf(buf, cap, "%s", r->transport); break;
	case C_ADDR: snprintf(buf, cap, "%s", r->address); break;
	case C_AUTH:
		auth_text(r, buf, cap);
		if (r->authorized)
			*attr = ui_attr(UC_GOOD);
		break;
	case C_SUBS: snprintf(buf, cap, "%lld", r->subs); break;
	case C_IN:
		fmt_count(buf, cap, r->in_rate);
		/* Sending much more than it receives: worth a look. */
		if (r->in_rate >= 10 && r->in_rate > 4 * r->out_rate)
			*attr = ui_attr(UC_WARN);
		break;
	case C_OUT: fmt_count(buf, cap, r->out_rate); break;
	case C_INB: fmt_bytes(buf, cap, r->in_bytes); break;
	case C_OUTB: fmt_bytes(buf, cap, r->out_bytes); break;
	case C_QUEUE:
		fmt_count(buf, cap, (double)r->qmsgs);
		if (r->qmsgs > 0)
			*attr = ui_attr(UC_WARN);
		break;
	case C_AGE:
		fmt_duration(buf, cap, (double)(time(NULL) - r->since));
		break;
	}
}

static void
draw_detail(WINDOW *w, int y, int h)
{
	const struct crow *r = row_at(cv.t.cur);
	json_t *ch = cv.info ? json_object_get(cv.info, "channels") : NULL;
	const char *nick = json_string_value(json_object_get(cv.info, "nick"));
	int cols = getmaxx(w), x = 2, ny;
	char a[32], b[32], c[32], d[32], buf[256];
	json_t *o;
	size_t i;

	snprintf(buf, sizeof(buf), "#%lld %s", r->ssid, r->cid);
	ui_box(w, y, 0, h, cols, ui_attr(UC_DIM), buf);
	ui_printf(w, y + 1, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
	    "device %s  nick %s  %s %s  level %lld  %s  %s  %s",
	    r->device[0] ? r->device : "-", nick && *nick ? nick : "-",
	    r->transport,
	    r->address, r->level, r->authorized ? "logged in" : "anonymous",
	    r->encrypted ? "encrypted" : "not encrypted",
	    jget_str(cv.info, "state"));
	ui_printf(w, y + 2, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
	    "received %s msgs %s   sent %s msgs %s   queued %s msgs %s   "
	    "in %s/s  out %s/s",
	    fmt_count(a, sizeof(a), (double)r->rx_msgs),
	    fmt_bytes(b, sizeof(b), (double)r->rx_bytes),
	    fmt_count(c, sizeof(c), (double)r->tx_msgs),
	    fmt_bytes(d, sizeof(d), (double)r->tx_bytes),
	    fmt_count(buf, 32, (double)r->qmsgs),
	    fmt_bytes(buf + 32, 32, (double)r->qbytes),
	    fmt_count(buf + 64, 32, r->in_rate),
	    fmt_count(buf + 96, 32, r->out_rate));
	ui_printf(w, y + 3, 2, cols - 4, ui_attr(UC_EM), UI_LEFT,
	    "Subscriptions (%zu)%s", json_array_size(ch),
	    json_array_size(ch) ? ":" : "");
	ny = y + 4;
	json_array_foreach(ch, i, o) {
		const char *k = json_string_value(o);
		int need = ui_width(k ? k : "") + 2;

		if (x + need > cols - 2) {
			if (++ny >= y + h - 1)
				break;
			x = 2;
		}
		x += ui_text(w, ny, x, cols - 2 - x, ui_attr(UC_NORMAL), UI_LEFT,
		    k ? k : "") + 2;
	}
}

static void
clients_draw(struct view *v, WINDOW *w)
{
	int rows = getmaxy(w), th = rows - 1, dh = 0;

	(void)v;
	if (cv.detail && cv.t.n > 0) {
		dh = rows / 2 < 8 ? 8 : rows / 2;
		th = rows - 1 - dh;
	}
	ui_printf(w, 0, 0, -1, ui_attr(UC_DIM), UI_LEFT,
	    " %d shown of %lld clients%s%s%s   sorted by %s%s", cv.t.n,
	    cv.total, cv.filter[0] ? "   filter \"" : "", cv.filter,
	    cv.filter[0] ? "\"" : "", ccols[cv.t.sort].title,
	    cv.t.rev ? " (reversed)" : "");
	if (!cv.loaded) {
		ui_text(w, 2, 1, -1, ui_attr(UC_DIM), UI_LEFT, "loading...");
		return;
	}
	table_draw(&cv.t, w, 1, th, cell, NULL);
	if (cv.t.n == 0)
		ui_text(w, 3, 1, -1, ui_attr(UC_DIM), UI_LEFT, cv.filter[0] ?
		    "no client matches the filter (Esc clears it)" :
		    "no client is connected");
	if (dh > 0)
		draw_detail(w, rows - dh, dh);
}

static void
filter_done(void *arg, struct form_field *f, int n)
{
	(void)arg;
	(void)n;
	snprintf(cv.filter, sizeof(cv.filter), "%s", f[0].value);
	rebuild();
}

static void
kick_reply(void *arg, bool ok, json_t *res)
{
	(void)arg;
	if (ok)
		view_flash(ui_attr(UC_GOOD), " kicked %lld client%s",
		    jget_int(res, "kicked", 0), jget_int(res, "kicked", 0) == 1 ?
		    "" : "s");
	else
		view_flash(ui_attr(UC_BAD), " kick failed: %s",
		    jget_str(res, "message"));
	request_rows();
}

static void
kick_yes(void *arg, const char *ssid)
{
	(void)arg;
	if (ctl_request(cv.ctl, CTLMSG_CMD_KICK, json_pack("{s:I, s:s}", "ssid",
	    (json_int_t)strtoll(ssid, NULL, 10), "reason",
	    "kicked by an operator (iostui)"), kick_reply, NULL) < 0)
		view_flash(ui_attr(UC_BAD), " not connected to iosd");
}

static void
ban_reply(void *arg, bool ok, json_t *res)
{
	(void)arg;
	if (ok)
		view_flash(ui_attr(UC_GOOD), " banned %s (%lld closed)",
		    jget_str(res, "address"), jget_int(res, "closed", 0));
	else
		view_flash(ui_attr(UC_BAD), " ban failed: %s",
		    jget_str(res, "message"));
	request_rows();
}

/* The ban form: the address, how long, why; Enter takes the defaults. */
static void
ban_done(void *arg, struct form_field *f, int n)
{
	json_t *args = json_pack("{s:s}", "address", f[0].value);

	(void)arg;
	(void)n;
	if (f[1].value[0] && strcmp(f[1].value, "forever") != 0)
		json_object_set_new(args, "for", json_string(f[1].value));
	if (f[2].value[0])
		json_object_set_new(args, "reason", json_string(f[2].value));
	if (ctl_request(cv.ctl, CTLMSG_CMD_BAN, args, ban_reply, NULL) < 0)
		view_flash(ui_attr(UC_BAD), " not connected to iosd");
}

static void
clients_key(struct view *v, enum action a)
{
	char q[256];

	(void)v;
	if (table_move(&cv.t, a)) {
		/* A row chosen by hand is followed from now on. */
		if (cv.t.n > 0)
			cv.sel_ssid = row_at(cv.t.cur)->ssid;
		if (cv.detail) {
			json_decref(cv.info);
			cv.info = NULL;
			request_rows();
		}
		view_dirty(&view_clients);
		return;
	}
	switch (a) {
	case A_SORT:
		table_sort_next(&cv.t);
		rebuild();
		break;
	case A_SORT_REV:
		table_sort_reverse(&cv.t);
		rebuild();
		break;
	case A_FILTER: {
		struct form_field f = { "text", "cid, device, address or "
		    "transport", "" };

		snprintf(f.value, sizeof(f.value), "%s", cv.filter);
		form_open("Filter clients", &f, 1, filter_done, NULL);
		break;
	}
	case A_ENTER:
		cv.detail = !cv.detail;
		json_decref(cv.info);
		cv.info = NULL;
		request_rows();
		view_dirty(&view_clients);
		break;
	case A_BACK:
		if (cv.detail)
			cv.detail = false;
		else
			cv.filter[0] = '\0';
		rebuild();
		break;
	case A_KICK: {
		const struct crow *r;
		char ssid[24];

		if (cv.t.n == 0)
			break;
		r = row_at(cv.t.cur);
		snprintf(q, sizeof(q), "Kick client #%lld %s (%s%s%s)? Its "
		    "connection is closed now.", r->ssid, r->cid[0] ? r->cid :
		    "without a CID", r->device[0] ? r->device : "",
		    r->device[0] ? ", " : "", r->address);
		snprintf(ssid, sizeof(ssid), "%lld", r->ssid);
		confirm_open(q, ssid, kick_yes, NULL);
		view_dirty(&view_clients);
		break;
	}
	case A_TRACE_CLIENT:
		if (cv.t.n == 0)
			break;
		view_trace_client(row_at(cv.t.cur)->ssid, row_at(cv.t.cur)->cid);
		break;
	case A_BAN: {
		struct form_field f[3] = {
			{ "address", "ADDR or ADDR/N", "" },
			{ "for", "90s 15m 2h 7d, or forever", "1h" },
			{ "reason", NULL, "flooding (iostui)" },
		};

		if (cv.t.n == 0)
			break;
		snprintf(f[0].value, sizeof(f[0].value), "%s",
		    row_at(cv.t.cur)->address);
		form_open("Ban the address: its connections close, new ones are "
		    "refused", f, 3, ban_done, NULL);
		view_dirty(&view_clients);
		break;
	}
	default:
		break;
	}
}

struct view view_clients = {
	.name = "Clients",
	.scope = SC_CLIENTS,
	.init = clients_init,
	.free = clients_free,
	.draw = clients_draw,
	.key = clients_key,
	.tick = clients_tick,
	.show = clients_show,
	.conn = clients_conn,
};
