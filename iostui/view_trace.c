/*
 * view_trace.c - the live message trace: a `trace` stream while the view
 * is shown, a bounded history to scroll back through, filters (cid, tag
 * glob, type, direction) applied by the daemon, pause, and a detail pane
 * with one message in hex and text.
 *
 * Thousands of messages a second must not make iostui fall behind: the
 * daemon keeps only a small queue for us and drops (and counts) the rest
 * while we are busy, the screen is redrawn at most every DRAW_MS, and the
 * rate shown counts the dropped events too. What is kept is a sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlclient.h"
#include "form.h"
#include "table.h"
#include "ui.h"
#include "view_trace.h"

#define HIST		4096	/* events kept for scrolling back */
#define QUEUE		256	/* events the daemon keeps for a slow iostui */
#define DRAW_MS		100	/* at most this often while events pour in */
#define HEX_BYTES	64	/* what a trace event carries */

struct tev {
	double t;
	long long ssid, len, recipients;
	char dir[8], transport[8], cid[32], device[16], type[24];
	char tag[96], ptype[12];
	char hex[HEX_BYTES * 2 + 1];
};

/* The device is in the detail pane: at 80 columns the payload needs
 * the room more. */
enum { T_TIME, T_DIR, T_TR, T_CID, T_TYPE, T_TAG, T_PT, T_LEN, T_TEXT,
	T_COUNT };

static const struct table_col tcols[T_COUNT] = {
	[T_TIME] = { "TIME", 12, 0, false },
	[T_DIR] = { "DIR", 5, 0, false },
	[T_TR] = { "TR", 4, 0, false },
	[T_CID] = { "CID", 8, 1, false },
	[T_TYPE] = { "TYPE", 10, 0, false },
	[T_TAG] = { "TAG", 8, 2, false },
	[T_PT] = { "PT", 6, 0, false },
	[T_LEN] = { "LEN", 6, 0, true },
	[T_TEXT] = { "PAYLOAD", 12, 3, false },
};

/* The filter form's fields, in order; also the stream's arguments. */
enum { F_CID, F_SSID, F_TAG, F_TYPE, F_DIR, F_COUNT };
static const char *const fargs[F_COUNT] = { "cid", "ssid", "tag", "type",
	"dir" };

static struct {
	struct ctl *ctl;
	struct tev *ring;	/* HIST events, oldest at (head - n) */
	size_t head, n;
	struct table t;
	long long stream;	/* -1: none */
	bool shown, up, paused, follow, detail, refused;
	char filter[F_COUNT][FORM_VALUE];
	/* counters since the last clear */
	unsigned long long got, dropped, missed;
	/* the rate: events seen (kept, dropped or missed) per second */
	unsigned long long rate_base;
	uint64_t rate_at;
	double rate;
	uint64_t drawn_at;
	bool pending;		/* events came since the last draw */
} tv;

static const struct tev *
ev_at(int row)
{
	return &tv.ring[(tv.head + HIST - tv.n + (size_t)row) % HIST];
}

static void
mark(void)
{
	uint64_t now = ctlc_now_ms();

	if (now - tv.drawn_at >= DRAW_MS) {
		tv.drawn_at = now;
		tv.pending = false;
		view_dirty(&view_trace);
	} else
		tv.pending = true;
}

static void
keep(const json_t *ev)
{
	struct tev *e = &tv.ring[tv.head];
	json_t *t = json_object_get(ev, "t");

	memset(e, 0, sizeof(*e));
	e->t = json_is_number(t) ? json_number_value(t) : (double)time(NULL);
	e->ssid = jget_int(ev, "ssid", 0);
	e->len = jget_int(ev, "len", 0);
	e->recipients = jget_int(ev, "recipients", -1);
	jget_copy(ev, "dir", e->dir, sizeof(e->dir));
	jget_copy(ev, "transport", e->transport, sizeof(e->transport));
	jget_copy(ev, "cid", e->cid, sizeof(e->cid));
	jget_copy(ev, "device", e->device, sizeof(e->device));
	jget_copy(ev, "type", e->type, sizeof(e->type));
	jget_copy(ev, "tag", e->tag, sizeof(e->tag));
	jget_copy(ev, "ptype", e->ptype, sizeof(e->ptype));
	jget_copy(ev, "hex", e->hex, sizeof(e->hex));
	tv.head = (tv.head + 1) % HIST;
	if (tv.n < HIST)
		tv.n++;
	else if (!tv.follow && tv.t.cur > 0) {
		/* The oldest went: the selected event moves up a row. */
		tv.t.cur--;
		if (tv.t.top > 0)
			tv.t.top--;
	}
	table_set_rows(&tv.t, (int)tv.n);
	if (tv.follow)
		table_move(&tv.t, A_LAST);
}

static void
on_event(void *arg, const char *event, json_t *ev)
{
	(void)arg;
	if (event && strcmp(event, "dropped") == 0) {
		tv.dropped += (unsigned long long)jget_int(ev, "count", 0);
	} else if (tv.paused) {
		tv.missed++;
	} else {
		tv.got++;
		keep(ev);
	}
	mark();
}

static void
on_reply(void *arg, bool ok, json_t *res)
{
	(void)arg;
	if (!ok) {
		const char *m = json_string_value(json_object_get(res, "message"));

		tv.stream = -1;
		tv.refused = true;
		view_flash(ui_attr(UC_BAD), " trace refused: %s", m ? m : "?");
	}
	view_dirty(&view_trace);
}

static void
stream_stop(void)
{
	if (tv.stream >= 0)
		ctl_cancel(tv.ctl, tv.stream);
	tv.stream = -1;
}

/* (Re)start the stream with the current filters, while shown and up. */
static void
stream_start(void)
{
	json_t *args;

	stream_stop();
	if (!tv.shown || !tv.up)
		return;
	args = json_pack("{s:i}", "queue", QUEUE);
	for (int i = 0; i < F_COUNT; i++)
		if (tv.filter[i][0])
			json_object_set_new(args, fargs[i], i == F_SSID ?
			    json_integer(strtoll(tv.filter[i], NULL, 10)) :
			    json_string(tv.filter[i]));
	tv.refused = false;
	tv.stream = ctl_stream(tv.ctl, CTLMSG_CMD_TRACE, args, on_reply,
	    on_event, NULL);
}

static void
history_clear(void)
{
	tv.n = tv.head = 0;
	tv.got = tv.dropped = tv.missed = tv.rate_base = 0;
	tv.rate = 0;
	tv.detail = false;
	table_set_rows(&tv.t, 0);
	tv.follow = true;
}

static void
trace_init(struct view *v, struct ctl *c)
{
	(void)v;
	tv.ctl = c;
	tv.stream = -1;
	tv.follow = true;
	tv.ring = calloc(HIST, sizeof(*tv.ring));
	if (tv.ring == NULL) {
		ui_end();
		fputs("iostui: out of memory\n", stderr);
		exit(1);
	}
	table_init(&tv.t, tcols, T_COUNT, -1);
}

static void
trace_free(struct view *v)
{
	(void)v;
	free(tv.ring);
	tv.ring = NULL;
}

static void
trace_show(struct view *v, bool shown)
{
	(void)v;
	tv.shown = shown;
	if (shown)
		stream_start();
	else
		stream_stop();
}

static void
trace_conn(struct view *v, bool up)
{
	(void)v;
	tv.up = up;
	if (up)
		stream_start();
	else
		tv.stream = -1;		/* streams do not survive a reconnect */
}

static void
trace_tick(struct view *v, uint64_t now)
{
	unsigned long long seen = tv.got + tv.dropped + tv.missed;

	(void)v;
	if (tv.rate_at && now > tv.rate_at)
		tv.rate = (double)(seen - tv.rate_base) * 1000.0 /
		    (double)(now - tv.rate_at);
	tv.rate_base = seen;
	tv.rate_at = now;
	view_dirty(&view_trace);
}

static int
trace_wait(struct view *v, uint64_t now)
{
	(void)v;
	if (!tv.pending)
		return -1;
	return now - tv.drawn_at >= DRAW_MS ? 0 :
	    (int)(DRAW_MS - (now - tv.drawn_at));
}

static void
trace_predraw(struct view *v, uint64_t now)
{
	(void)v;
	if (tv.pending && now - tv.drawn_at >= DRAW_MS) {
		tv.pending = false;
		tv.drawn_at = now;
		view_dirty(&view_trace);
	}
}

/* Printable bytes of the hex, others as '.'. */
static void
hex_text(const char *hex, char *buf, size_t cap, size_t from, size_t max)
{
	size_t n = strlen(hex) / 2, o = 0;

	for (size_t i = from; i < n && i < from + max && o + 1 < cap; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			break;
		if (b == 0 && i + 1 == n)
			break;		/* a TEXT payload's closing NUL */
		buf[o++] = b >= 0x20 && b < 0x7f ? (char)b : '.';
	}
	buf[o] = '\0';
}

/*
 * Where the payload starts in the bytes we have: after the type byte, and
 * for a tagged message after the tag length, the tag and the payload type
 * (protocol.md). A TEXT payload's closing NUL is not shown.
 */
static size_t
payload_at(const struct tev *e)
{
	size_t tl = strlen(e->tag);
	unsigned b;

	if (tl == 0 || strlen(e->hex) < 4 || sscanf(e->hex + 2, "%2x", &b) != 1 ||
	    b != tl)
		return 1;
	return 3 + tl;
}

static void
cell(void *arg, int row, int col, char *buf, size_t cap, int *attr)
{
	const struct tev *e = ev_at(row);

	(void)arg;
	switch (col) {
	case T_TIME: fmt_clock(buf, cap, e->t, true); break;
	case T_DIR:
		if (strcmp(e->dir, "route") == 0 && e->recipients >= 0)
			snprintf(buf, cap, "%s%lld", ui_glyph(G_ROUTE),
			    e->recipients);
		else
			snprintf(buf, cap, "%s%s", strcmp(e->dir, "in") == 0 ?
			    ui_glyph(G_IN) : strcmp(e->dir, "out") == 0 ?
			    ui_glyph(G_OUT) : ui_glyph(G_ROUTE), e->dir);
		*attr = strcmp(e->dir, "in") == 0 ? ui_attr(UC_GOOD) :
		    strcmp(e->dir, "out") == 0 ? ui_attr(UC_EM) :
		    ui_attr(UC_NORMAL);
		break;
	case T_TR: snprintf(buf, cap, "%s", e->transport); break;
	case T_CID: snprintf(buf, cap, "%s", e->cid[0] ? e->cid : "-"); break;
	case T_TYPE: snprintf(buf, cap, "%s", e->type); break;
	case T_TAG: snprintf(buf, cap, "%s", e->tag[0] ? e->tag : "-"); break;
	case T_PT: snprintf(buf, cap, "%s", e->ptype[0] ? e->ptype : "-"); break;
	case T_LEN: fmt_bytes(buf, cap, (double)e->len); break;
	case T_TEXT: hex_text(e->hex, buf, cap, payload_at(e), HEX_BYTES); break;
	}
}

static void
draw_detail(WINDOW *w, int y, int h)
{
	const struct tev *e = ev_at(tv.t.cur);
	int cols = getmaxx(w), line = y + 1;
	size_t nbytes = strlen(e->hex) / 2;
	char title[96], when[32], len[32];

	fmt_date(when, sizeof(when), e->t);
	snprintf(title, sizeof(title), "%s %s", e->type, e->dir);
	ui_box(w, y, 0, h, cols, ui_attr(UC_DIM), title);
	ui_printf(w, line++, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
	    "%s.%03d  ssid %lld  cid %s  device %s  %s", when,
	    (int)((e->t - floor(e->t)) * 1000), e->ssid, e->cid[0] ? e->cid :
	    "-", e->device[0] ? e->device : "-", e->transport);
	ui_printf(w, line++, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
	    "tag %s  payload %s  length %s%s", e->tag[0] ? e->tag : "-",
	    e->ptype[0] ? e->ptype : "-", fmt_bytes(len, sizeof(len),
	    (double)e->len), (long long)nbytes < e->len ? " (first 64 bytes "
	    "below)" : "");
	if (e->recipients >= 0)
		ui_printf(w, line++, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
		    "recipients %lld", e->recipients);
	/* 16 bytes a line: offset, hex, text, as hexdump -C does. */
	for (size_t off = 0; off < nbytes && line < y + h - 1; off += 16) {
		char hx[16 * 3 + 2], tx[17];
		size_t o = 0;

		for (size_t i = off; i < off + 16; i++) {
			if (i < nbytes) {
				hx[o++] = e->hex[2 * i];
				hx[o++] = e->hex[2 * i + 1];
			} else {
				hx[o++] = ' ';
				hx[o++] = ' ';
			}
			hx[o++] = i == off + 7 ? '|' : ' ';
		}
		hx[o] = '\0';
		hex_text(e->hex, tx, sizeof(tx), off, 16);
		ui_printf(w, line++, 2, cols - 4, ui_attr(UC_NORMAL), UI_LEFT,
		    "%04zx  %s %s", off, hx, tx);
	}
}

static void
trace_draw(struct view *v, WINDOW *w)
{
	int rows = getmaxy(w), th = rows - 1, dh = 0, x;
	char rate[32], fil[F_COUNT * (FORM_VALUE + 8)], num[3][32];

	(void)v;
	fil[0] = '\0';
	for (int i = 0; i < F_COUNT; i++)
		if (tv.filter[i][0]) {
			size_t l = strlen(fil);

			snprintf(fil + l, sizeof(fil) - l, " %s=%s", fargs[i],
			    tv.filter[i]);
		}
	x = ui_printf(w, 0, 0, -1, ui_attr(UC_DIM), UI_LEFT,
	    " %s events  %s/s  kept %zu of %d  dropped %s", fmt_count(num[0],
	    sizeof(num[0]), (double)tv.got), fmt_count(rate, sizeof(rate),
	    tv.rate), tv.n, HIST, fmt_count(num[1], sizeof(num[1]),
	    (double)tv.dropped));
	if (tv.paused)
		x += ui_printf(w, 0, x, -1, ui_attr(UC_WARN), UI_LEFT,
		    "  PAUSED (%s not kept)", fmt_count(num[2], sizeof(num[2]),
		    (double)tv.missed));
	else if (!tv.follow)
		x += ui_text(w, 0, x, -1, ui_attr(UC_WARN), UI_LEFT,
		    "  scrolled back (G follows)");
	ui_printf(w, 0, x, -1, ui_attr(UC_DIM), UI_LEFT, "  filter%s",
	    fil[0] ? fil : " none");
	if (tv.detail && tv.n > 0) {
		dh = rows / 2 < 9 ? 9 : rows / 2;
		if (dh > rows - 3)
			dh = rows - 3;
		th = rows - 1 - dh;
	}
	table_draw(&tv.t, w, 1, th, cell, NULL);
	if (tv.n == 0)
		ui_text(w, 3, 1, -1, ui_attr(UC_DIM), UI_LEFT, !tv.up ?
		    "not connected to iosd" : tv.refused ? "the daemon refused "
		    "the trace (see the message below)" : fil[0] ?
		    "waiting for messages that match the filter (/ changes it)" :
		    "waiting for messages");
	if (dh > 0)
		draw_detail(w, rows - dh, dh);
}

static void
filter_done(void *arg, struct form_field *f, int n)
{
	(void)arg;
	for (int i = 0; i < F_COUNT && i < n; i++)
		snprintf(tv.filter[i], sizeof(tv.filter[i]), "%s", f[i].value);
	/* Type names are upper case on the wire: signal means SIGNAL. */
	for (char *p = tv.filter[F_TYPE]; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (tv.filter[F_DIR][0] && strcmp(tv.filter[F_DIR], "in") != 0 &&
	    strcmp(tv.filter[F_DIR], "out") != 0 &&
	    strcmp(tv.filter[F_DIR], "route") != 0) {
		view_flash(ui_attr(UC_BAD), " direction: in, out or route");
		tv.filter[F_DIR][0] = '\0';
	}
	stream_start();
	view_dirty(&view_trace);
}

void
view_trace_client(long long ssid, const char *cid)
{
	/* Only this connection, whatever it says (cid for the header). */
	memset(tv.filter, 0, sizeof(tv.filter));
	snprintf(tv.filter[F_SSID], sizeof(tv.filter[F_SSID]), "%lld", ssid);
	history_clear();
	view_go(V_TRACE);
	stream_start();
	view_flash(ui_attr(UC_GOOD), " tracing #%lld %s (Esc: everyone)",
	    ssid, cid && *cid ? cid : "");
	view_dirty(&view_trace);
}

static void
trace_key(struct view *v, enum action a)
{
	(void)v;
	if (table_move(&tv.t, a)) {
		tv.follow = tv.t.n == 0 || tv.t.cur == tv.t.n - 1;
		view_dirty(&view_trace);
		return;
	}
	switch (a) {
	case A_PAUSE:
		tv.paused = !tv.paused;
		if (!tv.paused)
			tv.missed = 0;
		break;
	case A_CLEAR:
		history_clear();
		break;
	case A_FILTER: {
		struct form_field f[F_COUNT] = {
			{ "cid", "one client's CID", "" },
			{ "ssid", "one connection's session number", "" },
			{ "tag", "glob: * and ?", "" },
			{ "type", "e.g. SIGNAL, SUBSCRIBE_REQ", "" },
			{ "direction", "in, out or route", "" },
		};

		for (int i = 0; i < F_COUNT; i++)
			snprintf(f[i].value, sizeof(f[i].value), "%s",
			    tv.filter[i]);
		form_open("Filter the trace (empty: any)", f, F_COUNT,
		    filter_done, NULL);
		break;
	}
	case A_ENTER:
		tv.detail = !tv.detail && tv.n > 0;
		break;
	case A_BACK:
		if (tv.detail)
			tv.detail = false;
		else {
			memset(tv.filter, 0, sizeof(tv.filter));
			stream_start();
		}
		break;
	default:
		break;
	}
	view_dirty(&view_trace);
}

struct view view_trace = {
	.name = "Trace",
	.scope = SC_TRACE,
	.init = trace_init,
	.free = trace_free,
	.draw = trace_draw,
	.key = trace_key,
	.show = trace_show,
	.tick = trace_tick,
	.conn = trace_conn,
	.wait_ms = trace_wait,
	.predraw = trace_predraw,
};
