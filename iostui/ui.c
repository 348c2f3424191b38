/*
 * ui.c - see ui.h.
 */
#include <langinfo.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "ui.h"

#define TEXT_MAX	512	/* characters of one ui_text call */

static volatile sig_atomic_t active;
static bool locale_utf8;	/* decode text as UTF-8 */
static bool glyphs_utf8;	/* and draw Unicode glyphs */
static bool color;
static WINDOW *wins[W_COUNT];
static int attrs[UC_COUNT];

static const char *const glyphs[2][G_COUNT] = {
	{ "*", "o", "|", "^", "v", "~", ">", "<", "=", "-" },
	{ "\u25cf", "\u25cb", "\u2502", "\u25b2", "\u25bc", "\u2026",
	  "\u2192", "\u2190", "\u21d2", "\u2500" },
};

/* Eight heights; the lowest is zero, a gap is a space. */
static const char *const spark_utf8[] = { "\u2581", "\u2582", "\u2583",
	"\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
static const char *const spark_ascii[] = { "_", ".", ",", "-", "=", "+",
	"*", "#" };

/* Colour pairs; without colour each role has plain attributes. */
static const struct {
	short fg, bg;
	int attr;		/* added in colour too */
	int mono;		/* instead, without colour */
} roles[UC_COUNT] = {
	[UC_NORMAL] = { -1, -1, 0, 0 },
	[UC_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[UC_TITLE_BAD] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD },
	[UC_TAB] = { -1, -1, 0, 0 },
	[UC_TAB_CUR] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE | A_BOLD },
	[UC_HEAD] = { COLOR_BLACK, COLOR_GREEN, 0, A_REVERSE },
	[UC_SEL] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[UC_GOOD] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[UC_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[UC_BAD] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[UC_DIM] = { -1, -1, A_DIM, A_DIM },
	[UC_EM] = { -1, -1, A_BOLD, A_BOLD },
	[UC_SPARK] = { COLOR_CYAN, -1, 0, 0 },
	[UC_KEY] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
};

void
ui_init(bool force_ascii, bool no_color)
{
	const char *nc = getenv("NO_COLOR");

	locale_utf8 = strcasecmp(nl_langinfo(CODESET), "UTF-8") == 0;
	glyphs_utf8 = locale_utf8 && !force_ascii;
	initscr();
	active = 1;
	cbreak();		/* ^C stays a signal: we restore and leave */
	noecho();
	nonl();
	curs_set(0);
	set_escdelay(25);	/* Esc closes panes: do not make it wait */
	color = has_colors() && !no_color && !(nc && *nc);
	if (color) {
		start_color();
		use_default_colors();
	}
	for (int i = 0; i < UC_COUNT; i++) {
		if (color && i > 0) {
			init_pair((short)i, roles[i].fg, roles[i].bg);
			attrs[i] = COLOR_PAIR(i) | roles[i].attr;
		} else
			attrs[i] = roles[i].mono;
	}
	ui_layout();
}

void
ui_end(void)
{
	if (!active)
		return;
	active = 0;
	endwin();
}

bool
ui_utf8(void)
{
	return glyphs_utf8;
}

bool
ui_has_color(void)
{
	return color;
}

int
ui_attr(enum ui_color c)
{
	return attrs[c];
}

const char *
ui_glyph(enum ui_glyph g)
{
	return glyphs[glyphs_utf8][g];
}

bool
ui_too_small(void)
{
	return LINES < UI_MIN_ROWS || COLS < UI_MIN_COLS;
}

void
ui_layout(void)
{
	for (int i = 0; i < W_COUNT; i++)
		if (wins[i]) {
			delwin(wins[i]);
			wins[i] = NULL;
		}
	/* The keyboard is read through stdscr, which is never drawn on:
	 * its implicit refresh in wget_wch then changes nothing. */
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	wnoutrefresh(stdscr);
	if (ui_too_small())
		return;
	wins[W_HDR] = newwin(UI_HDR_ROWS, COLS, 0, 0);
	wins[W_BODY] = newwin(LINES - UI_HDR_ROWS - UI_FOOT_ROWS, COLS,
	    UI_HDR_ROWS, 0);
	wins[W_FOOT] = newwin(UI_FOOT_ROWS, COLS, LINES - UI_FOOT_ROWS, 0);
}

WINDOW *
ui_win(enum ui_win w)
{
	return wins[w];
}

/* Decode s into characters and their widths: bad bytes and control
 * characters become '?'. Returns the count, *cols the width. */
static size_t
decode(const char *s, wchar_t *wc, int *cw, size_t cap, int *cols)
{
	mbstate_t st;
	size_t n = 0, left = strlen(s);
	int total = 0;

	memset(&st, 0, sizeof(st));
	while (left && n < cap) {
		wchar_t c;
		int w;

		if (locale_utf8) {
			size_t r = mbrtowc(&c, s, left, &st);

			if (r == (size_t)-1 || r == (size_t)-2) {
				c = L'?';
				r = 1;
				memset(&st, 0, sizeof(st));
			} else if (r == 0)
				break;
			s += r;
			left -= r;
		} else {
			unsigned char b = (unsigned char)*s++;

			left--;
			c = b >= 0x20 && b < 0x7f ? (wchar_t)b : L'?';
		}
		w = wcwidth(c);
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || w < 0) {
			c = L'?';
			w = 1;
		}
		wc[n] = c;
		cw[n++] = w;
		total += w;
	}
	*cols = total;
	return n;
}

int
ui_width(const char *s)
{
	wchar_t wc[TEXT_MAX];
	int cw[TEXT_MAX], cols;

	decode(s, wc, cw, TEXT_MAX, &cols);
	return cols;
}

int
ui_text(WINDOW *w, int y, int x, int width, int attr, enum ui_align align,
    const char *s)
{
	wchar_t wc[TEXT_MAX + 1];
	int cw[TEXT_MAX], cols, maxx, used = 0, pad;
	size_t n, i;

	if (w == NULL || y < 0 || y >= getmaxy(w) || x < 0 ||
	    x >= (maxx = getmaxx(w)))
		return 0;
	if (width < 0 || x + width > maxx)
		width = maxx - x;
	if (width <= 0)
		return 0;
	n = decode(s ? s : "", wc, cw, TEXT_MAX, &cols);
	if (cols > width) {
		/* Cut, and say so with an ellipsis in the last column. */
		for (i = 0; i < n && used + cw[i] <= width - 1; i++)
			used += cw[i];
		n = i;
		wc[n++] = glyphs_utf8 ? L'\u2026' : L'~';
		used++;
	} else
		used = cols;
	wc[n] = L'\0';
	pad = align == UI_LEFT ? 0 : width - used;
	wattrset(w, attr);
	if (align == UI_RIGHT && pad > 0)
		mvwhline(w, y, x, ' ' | (chtype)attr, pad);
	mvwaddnwstr(w, y, x + (align == UI_RIGHT ? pad : 0), wc, (int)n);
	if (align == UI_PAD && pad > 0)
		mvwhline(w, y, x + used, ' ' | (chtype)attr, pad);
	wattrset(w, A_NORMAL);
	return align == UI_LEFT ? used : width;
}

int
ui_printf(WINDOW *w, int y, int x, int width, int attr, enum ui_align align,
    const char *fmt, ...)
{
	char buf[TEXT_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ui_text(w, y, x, width, attr, align, buf);
}

void
ui_fill(WINDOW *w, int y, int x, int width, int attr)
{
	if (w == NULL || y < 0 || y >= getmaxy(w) || x >= getmaxx(w))
		return;
	if (width < 0 || x + width > getmaxx(w))
		width = getmaxx(w) - x;
	if (width > 0)
		mvwhline(w, y, x, ' ' | (chtype)attr, width);
}

void
ui_hline(WINDOW *w, int y, int x, int width, int attr)
{
	if (w == NULL || y < 0 || y >= getmaxy(w) || x >= getmaxx(w))
		return;
	if (width < 0 || x + width > getmaxx(w))
		width = getmaxx(w) - x;
	if (width > 0)
		mvwhline(w, y, x, (glyphs_utf8 ? ACS_HLINE : '-') |
		    (chtype)attr, width);
}

void
ui_box(WINDOW *w, int y, int x, int h, int width, int attr, const char *title)
{
	chtype hl = glyphs_utf8 ? ACS_HLINE : '-', vl = glyphs_utf8 ?
	    ACS_VLINE : '|', c = '+';

	if (h < 2 || width < 2)
		return;
	mvwhline(w, y, x + 1, hl | (chtype)attr, width - 2);
	mvwhline(w, y + h - 1, x + 1, hl | (chtype)attr, width - 2);
	mvwvline(w, y + 1, x, vl | (chtype)attr, h - 2);
	mvwvline(w, y + 1, x + width - 1, vl | (chtype)attr, h - 2);
	mvwaddch(w, y, x, (glyphs_utf8 ? ACS_ULCORNER : c) | (chtype)attr);
	mvwaddch(w, y, x + width - 1, (glyphs_utf8 ? ACS_URCORNER : c) |
	    (chtype)attr);
	mvwaddch(w, y + h - 1, x, (glyphs_utf8 ? ACS_LLCORNER : c) |
	    (chtype)attr);
	/* The bottom-right cell of the screen cannot take a character
	 * without scrolling; curses reports it, and we ignore that. */
	mvwaddch(w, y + h - 1, x + width - 1, (glyphs_utf8 ? ACS_LRCORNER :
	    c) | (chtype)attr);
	if (title && *title)
		ui_printf(w, y, x + 2, width - 4, attr | A_BOLD, UI_LEFT,
		    " %s ", title);
}

void
ui_spark(WINDOW *w, int y, int x, int width, const double *v, size_t n,
    int attr)
{
	const char *const *lv = glyphs_utf8 ? spark_utf8 : spark_ascii;
	size_t first = n > (size_t)width ? n - (size_t)width : 0;
	double max = 0;
	int col = x + (int)((size_t)width - (n - first));

	if (width <= 0)
		return;
	for (size_t i = first; i < n; i++)
		if (!isnan(v[i]) && v[i] > max)
			max = v[i];
	ui_fill(w, y, x, width, attr);
	wattrset(w, attr);
	for (size_t i = first; i < n; i++, col++) {
		int k;

		if (isnan(v[i]))
			continue;
		/* Zero is the baseline; anything else shows at least a bit. */
		k = v[i] <= 0 || max <= 0 ? 0 : 1 + (int)(v[i] / max * 6.999);
		mvwaddstr(w, y, col, lv[k > 7 ? 7 : k]);
	}
	wattrset(w, A_NORMAL);
}
