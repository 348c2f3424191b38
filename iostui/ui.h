/*
 * ui.h - the screen: curses set-up and tear-down, the three windows
 * (header, body, footer), colours that fall back to attributes, glyphs
 * that fall back to ASCII, text that never wraps, sparklines.
 */
#ifndef IOSTUI_UI_H
#define IOSTUI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

/* The number and time formats every view shares, iosctl's too: 9999,
 * 12.3k; 512 B, 1.23 kB; 45s, 12m 3s, 4d 3h (libctl). */
#include "ctlfmt.h"

#define UI_HDR_ROWS	3	/* title, listeners, tabs */
#define UI_FOOT_ROWS	1	/* hints or a message */
#define UI_MIN_COLS	40
#define UI_MIN_ROWS	10

enum ui_color {
	UC_NORMAL, UC_TITLE, UC_TITLE_BAD, UC_TAB, UC_TAB_CUR, UC_HEAD,
	UC_SEL, UC_GOOD, UC_WARN, UC_BAD, UC_DIM, UC_EM, UC_SPARK, UC_KEY,
	UC_COUNT
};

enum ui_glyph {
	G_ON, G_OFF, G_SEP, G_SORT_UP, G_SORT_DOWN, G_MORE, G_IN, G_OUT,
	G_ROUTE, G_HLINE, G_COUNT
};

enum ui_win { W_HDR, W_BODY, W_FOOT, W_COUNT };

/* How ui_text places a string in its width. */
enum ui_align { UI_LEFT, UI_PAD, UI_RIGHT };

/* force_ascii: glyphs and sparklines in ASCII whatever the locale;
 * no_color: attributes only (NO_COLOR does the same). */
void ui_init(bool force_ascii, bool no_color);
/* Give the terminal back; safe to call more than once, and from atexit
 * and signal handlers on the way out. */
void ui_end(void);
bool ui_utf8(void);
bool ui_has_color(void);
int ui_attr(enum ui_color c);
const char *ui_glyph(enum ui_glyph g);

/* (Re)create the windows for the current LINES x COLS. */
void ui_layout(void);
WINDOW *ui_win(enum ui_win w);
bool ui_too_small(void);

/* Text at y, x in at most width columns (-1: to the right edge), with
 * control characters and bad UTF-8 shown as '?', cut with an ellipsis.
 * Returns the columns used. */
int ui_text(WINDOW *w, int y, int x, int width, int attr,
    enum ui_align align, const char *s);
__attribute__((format(printf, 7, 8)))
int ui_printf(WINDOW *w, int y, int x, int width, int attr,
    enum ui_align align, const char *fmt, ...);
/* Columns s takes on screen. */
int ui_width(const char *s);
void ui_fill(WINDOW *w, int y, int x, int width, int attr);
void ui_hline(WINDOW *w, int y, int x, int width, int attr);
/* A box around rows y..y+h-1, columns x..x+w-1, with a title. */
void ui_box(WINDOW *w, int y, int x, int h, int width, int attr,
    const char *title);

/* The last width values of v[0..n) (oldest first) as a sparkline scaled
 * to their maximum; NaN values are gaps. */
void ui_spark(WINDOW *w, int y, int x, int width, const double *v, size_t n,
    int attr);


#endif
