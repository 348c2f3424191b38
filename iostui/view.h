/*
 * view.h - views are vtables; view.c keeps the list, switches between
 * them, draws the frame around the current one (header, tabs, footer)
 * and only the windows marked dirty, once per pass.
 */
#ifndef IOSTUI_VIEW_H
#define IOSTUI_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include <curses.h>

#include "ctl.h"
#include "keys.h"

struct view {
	const char *name;		/* on its tab */
	int scope;			/* SC_*: its key bindings */
	void (*init)(struct view *v, struct ctl *c);
	void (*free)(struct view *v);
	void (*resize)(struct view *v, int rows, int cols);
	void (*draw)(struct view *v, WINDOW *w);
	void (*key)(struct view *v, enum action a);
	/* Optional. */
	void (*show)(struct view *v, bool shown);	/* entered, left */
	void (*tick)(struct view *v, uint64_t now);	/* refresh, shown */
	void (*conn)(struct view *v, bool up);	/* every view */
	/* A view that throttles its draws: ms until it wants predraw,
	 * -1 for never; predraw marks it dirty when the time came. */
	int (*wait_ms)(struct view *v, uint64_t now);
	void (*predraw)(struct view *v, uint64_t now);
	void *priv;
};

enum view_id { V_DASH, V_CLIENTS, V_CHANNELS, V_DEVICES, V_TRACE, V_HELP,
	V_COUNT };

void view_init(struct ctl *c, enum view_id first);
void view_free(void);
/* The terminal changed size (also: the first layout). */
void view_resize(void);
/* Each refresh interval. */
void view_tick(uint64_t now);
/* The control connection came up or went away. */
void view_conn(bool up);
/* A key: code is a curses key or a character, fn true for a KEY_*
 * code. False when the user wants to quit. */
bool view_key(bool fn, int code);
/* Draw what is dirty and push it to the terminal. */
void view_draw(uint64_t now);
/* Milliseconds until view_draw has something timed to do, -1 none. */
int view_wait_ms(uint64_t now);

/* For the views. */
void view_dirty(const struct view *v);	/* its body needs a draw */
void view_go(enum view_id to);		/* make it the current view */
void view_dirty_all(void);
bool view_is_current(const struct view *v);
__attribute__((format(printf, 2, 3)))
void view_flash(int attr, const char *fmt, ...);

#endif
