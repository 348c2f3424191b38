/*
 * view_help.c - every key, generated from KEY_BINDINGS (keys.h), with
 * the views where it works.
 */
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "ui.h"
#include "view_help.h"

#define KEYS_W		15
#define WHERE_W		20

static struct table t;		/* only for scrolling: no columns drawn */

static void
scope_text(int sc, char *buf, size_t cap)
{
	static const struct {
		int sc;
		const char *name;
	} names[] = {
		{ SC_ALL, "everywhere" }, { SC_SCROLL, "lists, help" },
		{ SC_TABLES, "lists" }, { SC_SORTED, "Cli, Chan, Dev" },
		{ SC_DASH, "Dashboard" }, { SC_CLIENTS, "Clients" },
		{ SC_CHANNELS, "Channels" }, { SC_DEVICES, "Devices" },
		{ SC_TRACE, "Trace" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sc == sc) {
			snprintf(buf, cap, "%s", names[i].name);
			return;
		}
	snprintf(buf, cap, "-");
}

static void
help_init(struct view *v, struct ctl *c)
{
	(void)v;
	(void)c;
	memset(&t, 0, sizeof(t));
}

static void
help_show(struct view *v, bool shown)
{
	(void)v;
	if (shown)
		t.cur = 0;
}

static void
help_draw(struct view *v, WINDOW *w)
{
	int rows = getmaxy(w), cols = getmaxx(w), y = 0, line = 0;
	const struct binding *b;
	char where[32];

	(void)v;
	ui_printf(w, y++, 0, -1, ui_attr(UC_EM), UI_LEFT, " Keys of iostui%s",
	    keys_is_read_only() ? " (read-only: the actions are hidden)" : "");
	ui_text(w, y++, 0, -1, ui_attr(UC_DIM), UI_LEFT, keys_is_read_only() ?
	    " k and j move up and down, as in vi, and so do the arrows." :
	    " k kicks in Clients only (it is up, as in vi, everywhere else); "
	    "the arrows and j move everywhere.");
	ui_fill(w, y, 0, cols, ui_attr(UC_HEAD));
	ui_text(w, y, 1, KEYS_W, ui_attr(UC_HEAD), UI_PAD, "KEYS");
	ui_text(w, y, 2 + KEYS_W, WHERE_W, ui_attr(UC_HEAD), UI_PAD, "WHERE");
	ui_text(w, y++, 3 + KEYS_W + WHERE_W, -1, ui_attr(UC_HEAD), UI_LEFT,
	    "WHAT");
	t.page = rows - y > 0 ? rows - y : 1;
	/* Every binding takes as many lines as its text needs; t counts
	 * lines, and its cursor is the first line shown. */
	for (size_t i = 0; (b = keys_get(i)) != NULL; i++) {
		const char *p = b->help;
		int ww = cols - (3 + KEYS_W + WHERE_W) - 1, first = 1;

		if (ww < 10)
			ww = 10;
		while (*p || first) {
			size_t len = strlen(p), cut = len;
			char part[256];

			if ((int)cut > ww) {
				cut = (size_t)ww;
				while (cut > 0 && p[cut] != ' ')
					cut--;
				if (cut == 0)
					cut = (size_t)ww;
			}
			snprintf(part, sizeof(part), "%.*s", (int)cut, p);
			p += cut;
			while (*p == ' ')
				p++;
			if (line >= t.cur && y < rows) {
				if (first) {
					scope_text(b->scope, where, sizeof(where));
					ui_text(w, y, 1, KEYS_W, ui_attr(UC_KEY),
					    UI_PAD, b->keys);
					ui_text(w, y, 2 + KEYS_W, WHERE_W,
					    ui_attr(UC_NORMAL), UI_PAD, where);
				}
				ui_text(w, y, 3 + KEYS_W + WHERE_W, -1,
				    ui_attr(UC_NORMAL), UI_LEFT, part);
				y++;
			}
			line++;
			first = 0;
		}
	}
	t.n = line;
}

static void
help_key(struct view *v, enum action a)
{
	(void)v;
	if (table_move(&t, a)) {
		/* Scroll rather than move a cursor: stop at the last page. */
		if (t.cur > t.n - t.page)
			t.cur = t.n - t.page > 0 ? t.n - t.page : 0;
		view_dirty(&view_help);
	}
}

struct view view_help = {
	.name = "Help",
	.scope = SC_HELP,
	.init = help_init,
	.draw = help_draw,
	.key = help_key,
	.show = help_show,
};
