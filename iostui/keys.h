/*
 * keys.h - every key binding of iostui, written once. The dispatcher
 * (keys.c), the help screen (view_help.c) and the hints on the bottom
 * line are all generated from KEY_BINDINGS.
 *
 * B(action, scope, flags, keys, hint, help, codes...)
 *   scope  the views where the binding applies (SC_* mask)
 *   flags  KF_WRITE: changes something, hidden by --read-only;
 *          KF_HINT: shown on the bottom line
 *   keys   how the help screen names the keys
 *   hint   a word or two for the bottom line
 *   codes  the curses key codes, up to KEY_CODES_MAX
 *
 * The first binding that matches the view and the key wins, so the ones
 * of a single view come before the general ones: in Clients `k` kicks
 * (as the issue asks), everywhere else it moves up like vi; the arrows
 * and `j` move in every view. With --read-only the kick binding is
 * skipped and `k` moves up in Clients too.
 */
#ifndef IOSTUI_KEYS_H
#define IOSTUI_KEYS_H

#include <stdbool.h>

#include <curses.h>

#define KEYS_CTRL(c)	((c) & 0x1f)
#define KEYS_ESC	0x1b
#define KEY_CODES_MAX	4

/* Scopes: one bit per view. */
#define SC_DASH		0x01
#define SC_CLIENTS	0x02
#define SC_CHANNELS	0x04
#define SC_DEVICES	0x08
#define SC_TRACE	0x10
#define SC_HELP		0x20
#define SC_TABLES	(SC_CLIENTS | SC_CHANNELS | SC_DEVICES | SC_TRACE)
#define SC_SCROLL	(SC_TABLES | SC_HELP)
#define SC_SORTED	(SC_CLIENTS | SC_CHANNELS | SC_DEVICES)
#define SC_ALL		0x3f

#define KF_WRITE	0x01
#define KF_HINT		0x02

#define KEY_BINDINGS(B) \
	B(KICK, SC_CLIENTS, KF_WRITE | KF_HINT, "k", "kick", \
	    "kick the selected client (asks first)", 'k') \
	B(BAN, SC_CLIENTS, KF_WRITE | KF_HINT, "b", "ban", \
	    "ban the selected client's address: a form with the address, " \
	    "how long and why; Enter takes them", 'b') \
	B(TRACE_CLIENT, SC_CLIENTS, KF_HINT, "t", "trace", \
	    "the live trace of the selected client", 't') \
	B(ENROLL, SC_DEVICES, KF_WRITE | KF_HINT, "e", "enroll", \
	    "enroll a device: a form for id, cid and level; the key is " \
	    "shown once", 'e') \
	B(REVOKE, SC_DEVICES, KF_WRITE | KF_HINT, "d", "revoke", \
	    "revoke the selected device and close its session (asks first)", \
	    'd') \
	B(TOGGLE, SC_DEVICES, KF_WRITE | KF_HINT, "x", "dis/enable", \
	    "disable or enable the selected device (asks first)", 'x') \
	B(LEVEL, SC_DEVICES, KF_WRITE | KF_HINT, "l", "level", \
	    "change the selected device's level (asks first)", 'l') \
	B(PAUSE, SC_TRACE, KF_HINT, "p", "pause", \
	    "pause or resume the trace; while paused new events are " \
	    "counted, not kept", 'p') \
	B(CLEAR, SC_TRACE, 0, "c", "clear", \
	    "clear the trace history and its counters", 'c') \
	B(UP, SC_SCROLL, 0, "Up k", "", "move up one line", KEY_UP, 'k') \
	B(DOWN, SC_SCROLL, 0, "Down j", "", "move down one line", \
	    KEY_DOWN, 'j') \
	B(PGUP, SC_SCROLL, 0, "PgUp ^B", "", "move up one page", \
	    KEY_PPAGE, KEYS_CTRL('b')) \
	B(PGDN, SC_SCROLL, 0, "PgDn ^F Space", "", "move down one page", \
	    KEY_NPAGE, KEYS_CTRL('f'), ' ') \
	B(FIRST, SC_SCROLL, 0, "Home g", "", "go to the first line", \
	    KEY_HOME, 'g') \
	B(LAST, SC_SCROLL, 0, "End G", "", \
	    "go to the last line (Trace: follow new events)", KEY_END, 'G') \
	B(FILTER, SC_TABLES, KF_HINT, "/", "filter", \
	    "filter: text in any column (Trace: cid, tag glob, type, " \
	    "direction)", '/') \
	B(SORT, SC_SORTED, KF_HINT, "s", "sort", \
	    "sort by the next column", 's') \
	B(SORT_REV, SC_SORTED, 0, "S", "", "reverse the sort order", 'S') \
	B(ENTER, SC_CLIENTS | SC_CHANNELS | SC_TRACE, KF_HINT, "Enter", \
	    "details", \
	    "details of the selected line (Channels: its subscribers)", \
	    '\n', '\r', KEY_ENTER) \
	B(BACK, SC_ALL, 0, "Esc", "", \
	    "close the details pane, clear the filter, leave help", \
	    KEYS_ESC, KEY_BACKSPACE) \
	B(VIEW1, SC_ALL, 0, "1", "", "Dashboard", '1') \
	B(VIEW2, SC_ALL, 0, "2", "", "Clients", '2') \
	B(VIEW3, SC_ALL, 0, "3", "", "Channels", '3') \
	B(VIEW4, SC_ALL, 0, "4", "", "Devices", '4') \
	B(VIEW5, SC_ALL, 0, "5", "", "Trace", '5') \
	B(NEXT, SC_ALL, 0, "Tab", "", "next view", '\t') \
	B(PREV, SC_ALL, 0, "Shift-Tab", "", "previous view", KEY_BTAB) \
	B(HELP, SC_ALL, KF_HINT, "? F1", "help", \
	    "this help (any of its keys again to leave)", '?', KEY_F(1)) \
	B(REDRAW, SC_ALL, 0, "^L", "", "redraw the screen", KEYS_CTRL('l')) \
	B(QUIT, SC_ALL, KF_HINT, "q F10", "quit", "quit iostui", 'q', \
	    KEY_F(10))

enum action {
	A_NONE,
#define B(a, ...) A_##a,
	KEY_BINDINGS(B)
#undef B
	A_COUNT
};

struct binding {
	enum action action;
	int scope, flags;
	const char *keys, *hint, *help;
	int codes[KEY_CODES_MAX + 1];	/* 0-terminated */
};

/* Skip the KF_WRITE bindings from now on (--read-only). */
void keys_read_only(bool ro);
bool keys_is_read_only(void);
/* The action of key code in a view of scope sc, A_NONE if none. */
enum action keys_lookup(int code, int sc);
/* The bindings, for help and hints: NULL past the last one. Read-only
 * mode leaves out the KF_WRITE ones. */
const struct binding *keys_get(size_t i);

#endif
