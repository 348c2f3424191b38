/*
 * view_dash.c - the dashboard: connections, channels, store, and every
 * rate of the model with its average and a sparkline of the last
 * minutes; the top talkers (the clients sending the most) and drops by
 * reason below.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlclient.h"
#include "model.h"
#include "ui.h"
#include "view_dash.h"

#define SPAN_S		300	/* a sparkline covers five minutes */
#define LABEL_W		20
#define NUM_W		10
#define TOP_N		5	/* top talkers shown */

static struct ctl *dctl;

/* The busiest senders, from `clients` sorted by messages in per second. */
static struct talker {
	long long ssid;
	char cid[32], device[16], address[64], transport[8];
	double in, out;
} top[TOP_N];
static int ntop;
static bool top_busy;

static void
top_reply(void *arg, bool ok, json_t *res)
{
	json_t *o;
	size_t i;

	(void)arg;
	top_busy = false;
	if (!ok)
		return;
	ntop = 0;
	json_array_foreach(json_object_get(res, "clients"), i, o) {
		struct talker *t = &top[ntop];

		if (ntop == TOP_N)
			break;
		t->ssid = jget_int(o, "ssid", 0);
		jget_copy(o, "cid", t->cid, sizeof(t->cid));
		jget_copy(o, "device", t->device, sizeof(t->device));
		jget_copy(o, "address", t->address, sizeof(t->address));
		jget_copy(o, "transport", t->transport, sizeof(t->transport));
		t->in = jget_num(o, "rx_msgs_s", 0);
		t->out = jget_num(o, "tx_msgs_s", 0);
		if (t->in >= 0.05)	/* the silent are no talkers */
			ntop++;
	}
	view_dirty(&view_dash);
}

static void
dash_init(struct view *v, struct ctl *c)
{
	(void)v;
	dctl = c;
}

static void
dash_tick(struct view *v, uint64_t now)
{
	(void)v;
	(void)now;
	model_poll_clients();
	if (!top_busy)
		top_busy = ctl_request(dctl, CTLMSG_CMD_CLIENTS,
		    json_pack("{s:i,s:s}", "limit", TOP_N, "sort", "rx_msgs_s"),
		    top_reply, NULL) >= 0;
}

/* Top talkers: who sends the most, which is how a flooder shows. */
static int
draw_top(WINDOW *w, int y, int rows)
{
	char in[32], out[32];
	int cols = getmaxx(w);

	ui_text(w, y, 0, -1, ui_attr(UC_EM), UI_LEFT,
	    " Top talkers (messages in per second; Clients view: t trace, "
	    "k kick, b ban)");
	if (ntop == 0) {
		ui_text(w, y + 1, 1, -1, ui_attr(UC_DIM), UI_LEFT,
		    "nobody is sending");
		return 2;
	}
	for (int i = 0; i < ntop && i + 1 < rows; i++) {
		const struct talker *t = &top[i];

		ui_printf(w, y + 1 + i, 1, cols - 2, i == 0 && t->in >= 10 &&
		    t->in > 4 * t->out ? ui_attr(UC_WARN) : ui_attr(UC_NORMAL),
		    UI_LEFT, "%8s in  %8s out  #%-5lld %-10s %-8s %-4s %s",
		    fmt_count(in, sizeof(in), t->in), fmt_count(out, sizeof(out),
		    t->out), t->ssid, t->cid[0] ? t->cid : "-", t->device[0] ?
		    t->device : "-", t->transport, t->address);
	}
	return 1 + ntop;
}

static char *
fmt_value(char *buf, size_t cap, enum series s, double v)
{
	char n[32];

	switch (series_kind(s)) {
	case SK_GAUGE:
		return fmt_count(buf, cap, v);
	case SK_BYTES:
		fmt_bytes(n, sizeof(n), v);
		break;
	case SK_RATE:
		fmt_count(n, sizeof(n), v);
		break;
	}
	snprintf(buf, cap, "%.24s/s", isnan(v) ? "-" : n);
	return buf;
}

/* The history in width buckets of k samples each (means), so that the
 * line spans SPAN_S whatever the width; buckets are aligned to the
 * sample count, so they do not shift as samples come. */
static size_t
buckets(const struct model *m, enum series s, int width, double *out,
    size_t *k_out)
{
	size_t span = SPAN_S * 1000 / (m->interval_ms ? m->interval_ms : 1000);
	size_t k, nb = 0, end = m->nhist, part;

	if (span > MODEL_HIST)
		span = MODEL_HIST;
	k = (span + (size_t)width - 1) / (size_t)width;
	if (k == 0)
		k = 1;
	*k_out = k;
	part = (size_t)(m->pushed % k);
	if (part == 0)
		part = k;
	/* Newest bucket first, then backwards. */
	while (end > 0 && nb < (size_t)width) {
		size_t n = nb == 0 ? part : k, first = end > n ? end - n : 0;
		double sum = 0;
		size_t good = 0;

		for (size_t i = first; i < end; i++)
			if (!isnan(m->hist[s][i])) {
				sum += m->hist[s][i];
				good++;
			}
		out[nb++] = good ? sum / (double)good : NAN;
		end = first;
	}
	/* Oldest first for ui_spark. */
	for (size_t i = 0; i < nb / 2; i++) {
		double t = out[i];

		out[i] = out[nb - 1 - i];
		out[nb - 1 - i] = t;
	}
	return nb;
}

static int
cmp_drop(const void *a, const void *b)
{
	const struct drop_reason *x = a, *y = b;

	return (y->total > x->total) - (y->total < x->total);
}

static void
draw_drops(const struct model *m, WINDOW *w, int y, int rows)
{
	struct drop_reason d[MODEL_DROPS];
	int cols = getmaxx(w), x = 1, n = 0;
	char tot[32], rate[48], num[32], buf[128];

	ui_printf(w, y, 0, -1, ui_attr(UC_EM), UI_LEFT,
	    " Drops by reason: %lld in all (quota: oversize %lld, rate %lld)",
	    m->drops_total, m->quota_oversize, m->quota_rate);
	memcpy(d, m->drops, m->ndrops * sizeof(*d));
	qsort(d, m->ndrops, sizeof(*d), cmp_drop);
	y++;
	for (size_t i = 0; i < m->ndrops && rows > 1; i++) {
		int need;

		if (d[i].total == 0)
			continue;
		fmt_count(tot, sizeof(tot), (double)d[i].total);
		if (!isnan(d[i].rate) && d[i].rate > 0)
			snprintf(rate, sizeof(rate), " (%s/s)",
			    fmt_count(num, sizeof(num), d[i].rate));
		else
			rate[0] = '\0';
		snprintf(buf, sizeof(buf), "%.31s %.31s%.47s", d[i].name, tot,
		    rate);
		need = ui_width(buf) + 3;
		if (x + need > cols) {
			if (--rows <= 1)
				break;
			y++;
			x = 1;
		}
		ui_text(w, y, x, -1, d[i].rate > 0 ? ui_attr(UC_WARN) :
		    ui_attr(UC_NORMAL), UI_LEFT, buf);
		x += need;
		n++;
	}
	if (n == 0)
		ui_text(w, y, 1, -1, ui_attr(UC_DIM), UI_LEFT, "none");
}

static void
dash_draw(struct view *v, WINDOW *w)
{
	const struct model *m = model_get();
	int cols = getmaxx(w), rows = getmaxy(w), y = 0, sw;
	long long all = 0;
	char a[32], b[32], c[32], span[32];
	double spark[MODEL_HIST];
	size_t k = 1;

	(void)v;
	if (!m->have_sample) {
		ui_text(w, 1, 1, -1, ui_attr(UC_DIM), UI_LEFT,
		    "waiting for the first sample from iosd...");
		return;
	}
	for (int t = 0; t < TR_N; t++)
		all += m->conns_now[t];
	ui_printf(w, y, 0, -1, ui_attr(UC_NORMAL), UI_LEFT, " Connections "
	    "%lld:  ws %lld  wss %lld  cong %lld", all, m->conns_now[TR_WS],
	    m->conns_now[TR_WSS], m->conns_now[TR_CONG]);
	if (m->clients >= 0 && m->logged_in >= 0)
		snprintf(a, sizeof(a), "%lld", m->logged_in);
	else
		snprintf(a, sizeof(a), "-");
	if (m->clients >= 0 && m->logged_in >= 0)
		snprintf(b, sizeof(b), "%lld", m->clients - m->logged_in);
	else
		snprintf(b, sizeof(b), "-");
	ui_printf(w, y + 1, 0, -1, ui_attr(UC_NORMAL), UI_LEFT,
	    " Clients:  logged in %s  anonymous %s   (since start: ws %lld  "
	    "wss %lld  cong %lld)", a, b, m->conns_total[TR_WS],
	    m->conns_total[TR_WSS], m->conns_total[TR_CONG]);
	ui_printf(w, y + 2, 0, -1, ui_attr(UC_NORMAL), UI_LEFT,
	    " Channels %lld  subscriptions %lld  retained %lld   auth ok %lld "
	    "fail %lld   store %s", m->channels, m->subscriptions, m->retained,
	    m->auth_ok, m->auth_fail, m->backend[0] ? m->backend : "-");
	if (!ctl_up(dctl))
		ui_text(w, y + 3, 0, -1, ui_attr(UC_WARN), UI_LEFT,
		    " These are the last numbers seen: iosd is not reachable.");
	else if (m->cluster[0])
		ui_printf(w, y + 3, 0, -1, ui_attr(m->cluster_down ? UC_WARN :
		    UC_NORMAL), UI_LEFT, " Cluster:  %s", m->cluster);
	y += 4;

	/* Rates with sparklines. */
	sw = cols - 1 - LABEL_W - 2 * (NUM_W + 1) - 1;
	if (sw > MODEL_HIST)
		sw = MODEL_HIST;
	if (sw > 4)
		buckets(m, 0, sw, spark, &k);
	snprintf(span, sizeof(span), "trend, last %s", fmt_duration(c,
	    sizeof(c), (double)(k * (size_t)sw * m->interval_ms / 1000)));
	/* The average is over every sample kept, which is not the
	 * sparkline's span: each says its own. */
	snprintf(a, sizeof(a), "avg %s", fmt_duration(b, sizeof(b), (double)
	    (m->nhist * m->interval_ms / 1000)));
	ui_fill(w, y, 0, cols, ui_attr(UC_HEAD));
	ui_text(w, y, 1, LABEL_W, ui_attr(UC_HEAD), UI_PAD, "per second");
	ui_text(w, y, 1 + LABEL_W, NUM_W, ui_attr(UC_HEAD), UI_RIGHT, "now");
	ui_text(w, y, 2 + LABEL_W + NUM_W, NUM_W, ui_attr(UC_HEAD), UI_RIGHT,
	    a);
	if (sw > 4)
		ui_text(w, y, cols - sw - 1, sw, ui_attr(UC_HEAD), UI_PAD, span);
	y++;
	for (int s = 0; s < S_COUNT && y < rows - 3; s++, y++) {
		double now = m->nhist ? m->hist[s][m->nhist - 1] : NAN;
		int attr = ui_attr(UC_NORMAL);

		if ((s == S_DROPS || s == S_AUTH_FAIL) && now > 0)
			attr = ui_attr(UC_WARN);
		ui_text(w, y, 1, LABEL_W, attr, UI_PAD, series_label(s));
		ui_text(w, y, 1 + LABEL_W, NUM_W, attr, UI_RIGHT,
		    fmt_value(a, sizeof(a), s, now));
		ui_text(w, y, 2 + LABEL_W + NUM_W, NUM_W, ui_attr(UC_DIM),
		    UI_RIGHT, fmt_value(b, sizeof(b), s, m->avg[s]));
		if (sw > 4) {
			size_t nb = buckets(m, s, sw, spark, &k);

			ui_spark(w, y, cols - sw - 1, sw, spark, nb,
			    ui_attr(UC_SPARK));
		}
	}
	y++;
	if (y < rows - 3)
		y += draw_top(w, y, rows - y - 2) + 1;
	if (y < rows - 1)
		draw_drops(m, w, y, rows - y);
}

static void
dash_key(struct view *v, enum action a)
{
	(void)v;
	(void)a;
}

struct view view_dash = {
	.name = "Dashboard",
	.scope = SC_DASH,
	.init = dash_init,
	.draw = dash_draw,
	.key = dash_key,
	.tick = dash_tick,
};
