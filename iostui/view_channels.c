/*
 * view_channels.c - the router's channels: key, subscribers, retained
 * signal, recent rate; Enter lists the subscribers of one.
 *
 * The rate is the difference of the channel's "publishes" counter
 * between two refreshes (doc/control.md); "-" until there are two.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctlclient.h"
#include "form.h"
#include "table.h"
#include "ui.h"
#include "view_channels.h"

#define LIMIT		1000

struct chrow {
	char key[280];
	long long subs, retained_bytes, publishes;
	bool retained, has_count;
	double rate;
};

enum { K_KEY, K_SUBS, K_RET, K_RATE, K_COUNT };

static const struct table_col kcols[K_COUNT] = {
	[K_KEY] = { "CHANNEL", 20, 1, false },
	[K_SUBS] = { "SUBSCRIBERS", 11, 0, true },
	[K_RET] = { "RETAINED", 10, 0, true },
	[K_RATE] = { "MSG/S", 8, 0, true },
};

static struct {
	struct ctl *ctl;
	struct chrow *rows;
	size_t nrows;
	int *shown;
	long long total;
	bool busy, subs_busy, loaded;
	uint64_t at_ms;
	struct table t;
	char filter[FORM_VALUE];
	char sel[280];
	bool open;		/* the subscribers pane */
	char open_key[280];
	json_t *subs;		/* its `subscribers` answer */
	bool acl_busy;
	long long acl_rules;	/* channel permission rules; -1 unknown */
	char acl_first[160];	/* the first rule tried, for the header */
} ch = { .acl_rules = -1 };

static const struct chrow *
row_at(int i)
{
	return &ch.rows[ch.shown[i]];
}

static int
cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

static int
cmp_rows(const void *pa, const void *pb)
{
	const struct chrow *a = &ch.rows[*(const int *)pa];
	const struct chrow *b = &ch.rows[*(const int *)pb];
	int r = 0;

	switch (ch.t.sort) {
	case K_KEY: r = strcmp(a->key, b->key); break;
	case K_SUBS: r = cmp_ll(a->subs, b->subs); break;
	case K_RET: r = cmp_ll(a->retained ? a->retained_bytes + 1 : 0,
	    b->retained ? b->retained_bytes + 1 : 0); break;
	case K_RATE: r = (a->rate > b->rate) - (a->rate < b->rate); break;
	}
	if (r == 0)
		r = strcmp(a->key, b->key);
	return ch.t.rev ? -r : r;
}

/* Note the selected row's key, while shown[] still indexes rows. */
static void
snap(void)
{
	if (ch.t.n > 0 && ch.t.cur < ch.t.n)
		snprintf(ch.sel, sizeof(ch.sel), "%s", row_at(ch.t.cur)->key);
}

/* Filter and sort rows into shown[], the noted row selected again. */
static void
reorder(void)
{
	int n = 0;

	free(ch.shown);
	ch.shown = calloc(ch.nrows + 1, sizeof(int));
	for (size_t i = 0; i < ch.nrows; i++)
		if (!ch.filter[0] || strcasestr(ch.rows[i].key, ch.filter))
			ch.shown[n++] = (int)i;
	qsort(ch.shown, (size_t)n, sizeof(int), cmp_rows);
	for (int i = 0; i < n; i++)
		if (strcmp(ch.rows[ch.shown[i]].key, ch.sel) == 0)
			ch.t.cur = i;
	table_set_rows(&ch.t, n);
	view_dirty(&view_channels);
}

static void
rebuild(void)
{
	snap();
	reorder();
}

static void
channels_reply(void *arg, bool ok, json_t *res)
{
	struct chrow *old = ch.rows;
	size_t oldn = ch.nrows, i;
	json_t *list, *o;
	uint64_t now = ctlc_now_ms();
	double dt = (double)(now - ch.at_ms) / 1000.0;

	(void)arg;
	ch.busy = false;
	if (!ok)
		return;
	list = json_object_get(res, "channels");
	snap();		/* before rows change under shown[] */
	ch.rows = calloc(json_array_size(list) + 1, sizeof(*ch.rows));
	json_array_foreach(list, i, o) {
		struct chrow *r = &ch.rows[i];
		json_t *count = json_object_get(o, "publishes");

		snprintf(r->key, sizeof(r->key), "%s",
		    json_string_value(json_object_get(o, "key")) ?
		    json_string_value(json_object_get(o, "key")) : "");
		r->subs = jget_int(o, "subscribers", 0);
		r->retained = json_is_true(json_object_get(o, "retained"));
		r->retained_bytes = jget_int(o, "retained_bytes", 0);
		r->has_count = json_is_integer(count);
		r->publishes = jget_int(o, "publishes", 0);
		r->rate = NAN;
		for (size_t j = 0; r->has_count && ch.loaded && j < oldn; j++)
			if (old[j].has_count && strcmp(old[j].key, r->key) == 0 &&
			    dt > 0.05 && r->publishes >= old[j].publishes) {
				r->rate = (double)(r->publishes - old[j].publishes) /
				    dt;
				break;
			}
	}
	free(old);
	ch.nrows = json_array_size(list);
	ch.total = jget_int(res, "total", 0);
	ch.at_ms = now;
	ch.loaded = true;
	reorder();
}

static void request_rows(void);

static void
subs_reply(void *arg, bool ok, json_t *res)
{
	const char *key = json_string_value(json_object_get(res, "channel"));

	(void)arg;
	ch.subs_busy = false;
	json_decref(ch.subs);
	ch.subs = NULL;
	/* Another channel was opened while this was on its way. */
	if (ok && ch.open && (key == NULL || strcmp(key, ch.open_key) != 0)) {
		request_rows();
		return;
	}
	ch.subs = ok ? json_incref(res) : NULL;
	view_dirty(&view_channels);
}

/* acl-list: the number of channel permission rules and the first, for
 * the header line (iosctl acl list shows them all). */
static void
acl_reply(void *arg, bool ok, json_t *res)
{
	json_t *first;

	(void)arg;
	ch.acl_busy = false;
	if (!ok)
		return;
	ch.acl_rules = jget_int(res, "total", 0);
	first = json_array_get(json_object_get(res, "rules"), 0);
	if (first)
		snprintf(ch.acl_first, sizeof(ch.acl_first), "%s %s %s %s",
		    json_string_value(json_object_get(first, "effect")),
		    json_string_value(json_object_get(first, "who")),
		    json_string_value(json_object_get(first, "action")),
		    json_string_value(json_object_get(first, "pattern")));
	else
		ch.acl_first[0] = '\0';
	view_dirty(&view_channels);
}

static void
request_rows(void)
{
	if (!ch.acl_busy)
		ch.acl_busy = ctl_request(ch.ctl, CTLMSG_CMD_ACL_LIST, NULL,
		    acl_reply, NULL) >= 0;
	if (!ch.busy)
		ch.busy = ctl_request(ch.ctl, CTLMSG_CMD_CHANNELS,
		    json_pack("{s:i}", "limit", LIMIT), channels_reply,
		    NULL) >= 0;
	if (ch.open && !ch.subs_busy)
		ch.subs_busy = ctl_request(ch.ctl, CTLMSG_CMD_SUBSCRIBERS,
		    json_pack("{s:s}", "channel", ch.open_key), subs_reply,
		    NULL) >= 0;
}

static void
channels_init(struct view *v, struct ctl *c)
{
	(void)v;
	ch.ctl = c;
	table_init(&ch.t, kcols, K_COUNT, K_KEY);
}

static void
channels_free(struct view *v)
{
	(void)v;
	free(ch.rows);
	free(ch.shown);
	json_decref(ch.subs);
}

static void
channels_tick(struct view *v, uint64_t now)
{
	(void)v;
	(void)now;
	request_rows();
}

static void
channels_conn(struct view *v, bool up)
{
	(void)v;
	if (!up)
		ch.busy = ch.subs_busy = ch.acl_busy = false;
}

static void
cell(void *arg, int row, int col, char *buf, size_t cap, int *attr)
{
	const struct chrow *r = row_at(row);

	(void)arg;
	switch (col) {
	case K_KEY: snprintf(buf, cap, "%s", r->key); break;
	case K_SUBS: snprintf(buf, cap, "%lld", r->subs); break;
	case K_RET:
		if (r->retained)
			fmt_bytes(buf, cap, (double)r->retained_bytes);
		else {
			snprintf(buf, cap, "-");
			*attr = ui_attr(UC_DIM);
		}
		break;
	case K_RATE:
		fmt_count(buf, cap, r->rate);
		if (isnan(r->rate))
			*attr = ui_attr(UC_DIM);
		break;
	}
}

static void
draw_subs(WINDOW *w, int y, int h)
{
	json_t *list = json_object_get(ch.subs, "subscribers"), *o;
	int cols = getmaxx(w), x = 2, row = y + 1;
	size_t i;
	char title[320];

	snprintf(title, sizeof(title), "%s: %zu subscriber%s", ch.open_key,
	    json_array_size(list), json_array_size(list) == 1 ? "" : "s");
	ui_box(w, y, 0, h, cols, ui_attr(UC_DIM), title);
	if (ch.subs == NULL) {
		ui_text(w, row, 2, cols - 4, ui_attr(UC_DIM), UI_LEFT,
		    ch.subs_busy ? "loading..." : "the channel is gone");
		return;
	}
	json_array_foreach(list, i, o) {
		const char *cid = json_string_value(json_object_get(o, "cid"));
		char buf[96];
		int need;

		snprintf(buf, sizeof(buf), "%s", cid ? cid : "?");
		need = ui_width(buf) + 3;
		if (x + need > cols - 2) {
			if (++row >= y + h - 1)
				break;
			x = 2;
		}
		x += ui_text(w, row, x, cols - 2 - x, ui_attr(UC_NORMAL), UI_LEFT,
		    buf) + 3;
	}
}

static void
channels_draw(struct view *v, WINDOW *w)
{
	int rows = getmaxy(w), th = rows - 1, dh = 0;

	(void)v;
	if (ch.open) {
		dh = rows / 2 < 6 ? 6 : rows / 2;
		th = rows - 1 - dh;
	}
	if (ch.acl_rules >= 0 && th > 2)
		th--;		/* the acl line below the table */
	ui_printf(w, 0, 0, -1, ui_attr(UC_DIM), UI_LEFT,
	    " %d shown of %lld channels%s%s%s   sorted by %s%s", ch.t.n,
	    ch.total, ch.filter[0] ? "   filter \"" : "", ch.filter,
	    ch.filter[0] ? "\"" : "", kcols[ch.t.sort].title,
	    ch.t.rev ? " (reversed)" : "");
	if (ch.acl_rules >= 0)	/* the permissions, on the last line */
		ui_printf(w, rows - 1 - dh, 0, -1, ui_attr(UC_DIM), UI_LEFT,
		    " acl: %lld rule%s%s%s%s", ch.acl_rules,
		    ch.acl_rules == 1 ? "" : "s", ch.acl_rules ?
		    ", first: " : " (everything allowed)", ch.acl_first,
		    ch.acl_rules ? "   (iosctl acl list)" : "");
	if (!ch.loaded) {
		ui_text(w, 2, 1, -1, ui_attr(UC_DIM), UI_LEFT, "loading...");
		return;
	}
	table_draw(&ch.t, w, 1, th, cell, NULL);
	if (ch.t.n == 0)
		ui_text(w, 3, 1, -1, ui_attr(UC_DIM), UI_LEFT, ch.filter[0] ?
		    "no channel matches the filter (Esc clears it)" :
		    "no channel: nobody has subscribed to anything");
	if (dh > 0)
		draw_subs(w, rows - dh, dh);
}

static void
filter_done(void *arg, struct form_field *f, int n)
{
	(void)arg;
	(void)n;
	snprintf(ch.filter, sizeof(ch.filter), "%s", f[0].value);
	rebuild();
}

static void
channels_key(struct view *v, enum action a)
{
	(void)v;
	if (table_move(&ch.t, a)) {
		view_dirty(&view_channels);
		return;
	}
	switch (a) {
	case A_SORT:
		table_sort_next(&ch.t);
		rebuild();
		break;
	case A_SORT_REV:
		table_sort_reverse(&ch.t);
		rebuild();
		break;
	case A_FILTER: {
		struct form_field f = { "text", "part of a channel key", "" };

		snprintf(f.value, sizeof(f.value), "%s", ch.filter);
		form_open("Filter channels", &f, 1, filter_done, NULL);
		break;
	}
	case A_ENTER:
		if (ch.t.n == 0)
			break;
		ch.open = true;
		snprintf(ch.open_key, sizeof(ch.open_key), "%s",
		    row_at(ch.t.cur)->key);
		json_decref(ch.subs);
		ch.subs = NULL;
		request_rows();
		view_dirty(&view_channels);
		break;
	case A_BACK:
		if (ch.open)
			ch.open = false;
		else
			ch.filter[0] = '\0';
		rebuild();
		break;
	default:
		break;
	}
}

struct view view_channels = {
	.name = "Channels",
	.scope = SC_CHANNELS,
	.init = channels_init,
	.free = channels_free,
	.draw = channels_draw,
	.key = channels_key,
	.tick = channels_tick,
	.conn = channels_conn,
};
