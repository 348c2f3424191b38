/*
 * view.c - see view.h. The frame: the header (title bar, listeners or
 * why the daemon cannot be reached, tabs) and the footer (a message, or
 * the hints of the current view generated from keys.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "form.h"
#include "model.h"
#include "ui.h"
#include "view.h"
#include "view_channels.h"
#include "view_clients.h"
#include "view_dash.h"
#include "view_devices.h"
#include "view_help.h"
#include "view_trace.h"

#define FLASH_MS	4000

static struct view *views[V_COUNT] = {
	[V_DASH] = &view_dash, [V_CLIENTS] = &view_clients,
	[V_CHANNELS] = &view_channels, [V_DEVICES] = &view_devices,
	[V_TRACE] = &view_trace, [V_HELP] = &view_help,
};

static struct ctl *ctl;
static enum view_id cur, before_help;
static bool hdr_dirty, body_dirty, foot_dirty;
static unsigned seen_gen;
static long long seen_uptime = -1;
static char flash_msg[256];
static int flash_attr;
static uint64_t flash_until;

void
view_init(struct ctl *c, enum view_id first)
{
	ctl = c;
	cur = before_help = first;
	for (int i = 0; i < V_COUNT; i++)
		views[i]->init(views[i], c);
	view_resize();
	if (views[cur]->show)
		views[cur]->show(views[cur], true);
}

void
view_free(void)
{
	dlg_close();
	for (int i = 0; i < V_COUNT; i++)
		if (views[i]->free)
			views[i]->free(views[i]);
}

void
view_dirty_all(void)
{
	hdr_dirty = body_dirty = foot_dirty = true;
}

void
view_dirty(const struct view *v)
{
	if (v == views[cur])
		body_dirty = true;
}

bool
view_is_current(const struct view *v)
{
	return v == views[cur];
}

void
view_flash(int attr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(flash_msg, sizeof(flash_msg), fmt, ap);
	va_end(ap);
	flash_attr = attr;
	flash_until = ctlc_now_ms() + FLASH_MS;
	foot_dirty = true;
}

void
view_resize(void)
{
	ui_layout();
	clearok(curscr, TRUE);	/* repaint all of it: the old is gone */
	if (!ui_too_small())
		for (int i = 0; i < V_COUNT; i++)
			if (views[i]->resize)
				views[i]->resize(views[i], getmaxy(ui_win(W_BODY)),
				    COLS);
	view_dirty_all();
}

void
view_go(enum view_id to)
{
	uint64_t now = ctlc_now_ms();

	if (to == cur)
		return;
	if (to == V_HELP)
		before_help = cur;
	if (views[cur]->show)
		views[cur]->show(views[cur], false);
	cur = to;
	if (views[cur]->show)
		views[cur]->show(views[cur], true);
	if (views[cur]->tick && ctl_up(ctl))
		views[cur]->tick(views[cur], now);
	view_dirty_all();
}

void
view_tick(uint64_t now)
{
	model_tick(now);
	if (!ctl_up(ctl))
		hdr_dirty = true;	/* why it is down may have changed */
	if (views[cur]->tick && ctl_up(ctl))
		views[cur]->tick(views[cur], now);
}

void
view_conn(bool up)
{
	model_conn(up);
	for (int i = 0; i < V_COUNT; i++)
		if (views[i]->conn)
			views[i]->conn(views[i], up);
	if (up && views[cur]->tick)
		views[cur]->tick(views[cur], ctlc_now_ms());
	view_dirty_all();
}

bool
view_key(bool fn, int code)
{
	enum action a;

	foot_dirty = true;
	if (dlg_active()) {
		dlg_key(fn, (wint_t)code);
		body_dirty = true;
		return true;
	}
	/* Characters past ASCII bind nothing (forms take them above). */
	if (!fn && code >= 0x80)
		return true;
	a = keys_lookup(code, views[cur]->scope);
	switch (a) {
	case A_QUIT:
		return false;
	case A_VIEW1: case A_VIEW2: case A_VIEW3: case A_VIEW4: case A_VIEW5:
		view_go((enum view_id)(V_DASH + (a - A_VIEW1)));
		break;
	case A_NEXT:
		view_go(cur == V_HELP ? before_help :
		    (enum view_id)((cur + 1) % V_HELP));
		break;
	case A_PREV:
		view_go(cur == V_HELP ? before_help :
		    (enum view_id)((cur + V_HELP - 1) % V_HELP));
		break;
	case A_HELP:
		view_go(cur == V_HELP ? before_help : V_HELP);
		break;
	case A_BACK:
		if (cur == V_HELP) {
			view_go(before_help);
			break;
		}
		views[cur]->key(views[cur], a);
		break;
	case A_REDRAW:
		clearok(curscr, TRUE);
		view_dirty_all();
		break;
	case A_NONE:
		break;
	default:
		views[cur]->key(views[cur], a);
		break;
	}
	return true;
}

/* ---- the frame ---- */

static void
draw_header(WINDOW *w)
{
	const struct model *m = model_get();
	int title = ui_attr(UC_TITLE), cols = getmaxx(w), x, rx, n;
	bool up = ctl_up(ctl);
	char buf[320], dur[32];
	const char *state, *sep = ui_glyph(G_SEP);

	werase(w);
	/* Row 0: who and what, and the state of the connection. */
	ui_fill(w, 0, 0, cols, title);
	state = up ? (m->have_status ? "connected" : "connecting") :
	    "DISCONNECTED";
	snprintf(buf, sizeof(buf), " %s %s ", up ? ui_glyph(G_ON) :
	    ui_glyph(G_OFF), state);
	rx = cols - ui_width(buf);
	ui_text(w, 0, rx, -1, up ? title : ui_attr(UC_TITLE_BAD), UI_LEFT, buf);
	n = snprintf(buf, sizeof(buf), " iostui %s %s", sep, m->host);
	if (m->have_status && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, " %s iosd %s %s pid "
		    "%lld %s up %s", sep, m->version, sep, m->pid, sep,
		    up && m->have_sample ? fmt_duration(dur, sizeof(dur),
		    (double)m->uptime_s) : "-");
	ui_text(w, 0, 0, rx - 1, title, UI_LEFT, buf);

	/* Row 1: listeners and store, or why we cannot talk to iosd. */
	if (up) {
		snprintf(buf, sizeof(buf), " %s%s%s%s", m->listeners,
		    m->backend[0] ? "  " : "", m->backend[0] ? "store " : "",
		    m->backend);
		ui_text(w, 1, 0, -1, ui_attr(UC_NORMAL), UI_LEFT, buf);
	} else {
		snprintf(buf, sizeof(buf), " iosd not reachable: %s "
		    "(retrying)", ctl_why(ctl));
		ui_text(w, 1, 0, -1, ui_attr(UC_BAD), UI_LEFT, buf);
	}

	/* Row 2: the tabs. */
	x = 0;
	ui_fill(w, 2, 0, cols, ui_attr(UC_TAB));
	for (int i = 0; i < V_HELP; i++) {
		snprintf(buf, sizeof(buf), " %d %s ", i + 1, views[i]->name);
		x += ui_text(w, 2, x, -1, i == (int)cur ? ui_attr(UC_TAB_CUR) :
		    ui_attr(UC_TAB), UI_LEFT, buf);
		x++;
	}
	snprintf(buf, sizeof(buf), "%s? help ", keys_is_read_only() ?
	    "read-only  " : "");
	if (x + ui_width(buf) < cols)
		ui_text(w, 2, cols - ui_width(buf), -1, cur == V_HELP ?
		    ui_attr(UC_TAB_CUR) : ui_attr(UC_DIM), UI_LEFT, buf);
}

static void
draw_footer(WINDOW *w, uint64_t now)
{
	const struct binding *b;
	int x = 0, cols = getmaxx(w);
	char buf[64];

	werase(w);
	if (now < flash_until) {
		ui_text(w, 0, 0, -1, flash_attr, UI_LEFT, flash_msg);
		return;
	}
	if (dlg_active()) {
		ui_text(w, 0, 0, -1, ui_attr(UC_DIM), UI_LEFT,
		    " a dialog is open: Esc closes it");
		return;
	}
	for (size_t i = 0; (b = keys_get(i)) != NULL; i++) {
		if (!(b->flags & KF_HINT) || !(b->scope & views[cur]->scope))
			continue;
		snprintf(buf, sizeof(buf), "%s", b->keys);
		*strchrnul(buf, ' ') = '\0';	/* the first key is enough */
		if (x + (int)strlen(buf) + 1 + (int)strlen(b->hint) + 2 > cols)
			break;
		x += ui_text(w, 0, x, -1, ui_attr(UC_KEY), UI_LEFT, buf);
		x += ui_text(w, 0, x + 1, -1, ui_attr(UC_NORMAL), UI_LEFT,
		    b->hint) + 3;
	}
}

void
view_draw(uint64_t now)
{
	const struct model *m = model_get();
	bool any = false;

	if (ui_too_small()) {
		if (hdr_dirty || body_dirty || foot_dirty) {
			werase(stdscr);
			mvwprintw(stdscr, 0, 0, "iostui: the terminal is %dx%d; "
			    "it needs %dx%d", COLS, LINES, UI_MIN_COLS,
			    UI_MIN_ROWS);
			wnoutrefresh(stdscr);
			doupdate();
			hdr_dirty = body_dirty = foot_dirty = false;
		}
		return;
	}
	if (views[cur]->predraw)
		views[cur]->predraw(views[cur], now);
	if (flash_until && now >= flash_until) {
		flash_until = 0;
		foot_dirty = true;
	}
	if (model_gen() != seen_gen) {
		seen_gen = model_gen();
		if (m->uptime_s != seen_uptime || !m->have_status) {
			seen_uptime = m->uptime_s;
			hdr_dirty = true;
		}
		if (cur == V_DASH)
			body_dirty = true;
	}
	if (hdr_dirty) {
		draw_header(ui_win(W_HDR));
		wnoutrefresh(ui_win(W_HDR));
		any = true;
	}
	if (body_dirty) {
		werase(ui_win(W_BODY));
		views[cur]->draw(views[cur], ui_win(W_BODY));
		wnoutrefresh(ui_win(W_BODY));
		any = true;
	}
	if (dlg_active() && body_dirty)
		dlg_draw();
	if (foot_dirty) {
		draw_footer(ui_win(W_FOOT), now);
		wnoutrefresh(ui_win(W_FOOT));
		any = true;
	}
	if (any)
		doupdate();
	hdr_dirty = body_dirty = foot_dirty = false;
}

int
view_wait_ms(uint64_t now)
{
	int w = -1, vw;

	if (flash_until)
		w = flash_until > now ? (int)(flash_until - now) : 0;
	if (views[cur]->wait_ms && (vw = views[cur]->wait_ms(views[cur],
	    now)) >= 0 && (w < 0 || vw < w))
		w = vw;
	return w;
}
