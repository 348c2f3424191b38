/*
 * form.c - see form.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "form.h"
#include "keys.h"
#include "ui.h"

#define DLG_WIDTH	66
#define DLG_LINES	12	/* wrapped lines of text shown */

enum kind { K_NONE, K_FORM, K_CONFIRM, K_NOTICE };

static struct {
	enum kind kind;
	char title[96];
	struct form_field f[FORM_FIELDS];
	int n, cur;
	form_fn *form_fn;
	confirm_fn *confirm_fn;
	void *arg;
	char what[256];
	char text[1024];
	char secret[256];
	WINDOW *win;
} d;

bool
dlg_active(void)
{
	return d.kind != K_NONE;
}

void
dlg_close(void)
{
	if (d.win) {
		delwin(d.win);
		d.win = NULL;
	}
	/* The key of an enrolment lives nowhere once it is off screen. */
	explicit_bzero(d.secret, sizeof(d.secret));
	explicit_bzero(d.f, sizeof(d.f));
	d.kind = K_NONE;
}

static void
open_common(enum kind k, const char *title, void *arg)
{
	dlg_close();
	d.kind = k;
	d.arg = arg;
	snprintf(d.title, sizeof(d.title), "%s", title);
	d.text[0] = d.what[0] = '\0';
	d.n = d.cur = 0;
}

void
form_open(const char *title, const struct form_field *f, int n, form_fn *fn,
    void *arg)
{
	open_common(K_FORM, title, arg);
	d.n = n > FORM_FIELDS ? FORM_FIELDS : n;
	memcpy(d.f, f, (size_t)d.n * sizeof(*f));
	d.form_fn = fn;
}

void
confirm_open(const char *question, const char *what, confirm_fn *fn,
    void *arg)
{
	open_common(K_CONFIRM, "Confirm", arg);
	snprintf(d.text, sizeof(d.text), "%s", question);
	snprintf(d.what, sizeof(d.what), "%s", what);
	d.confirm_fn = fn;
}

void
notice_open(const char *title, const char *text, const char *secret)
{
	open_common(K_NOTICE, title, NULL);
	snprintf(d.text, sizeof(d.text), "%s", text);
	snprintf(d.secret, sizeof(d.secret), "%s", secret ? secret : "");
}

/* ---- keys ---- */

static void
field_add(struct form_field *f, wint_t ch)
{
	char mb[MB_LEN_MAX + 1];
	mbstate_t st;
	size_t len = strlen(f->value), n;

	memset(&st, 0, sizeof(st));
	if ((n = wcrtomb(mb, (wchar_t)ch, &st)) == (size_t)-1)
		return;
	if (len + n < sizeof(f->value)) {
		memcpy(f->value + len, mb, n);
		f->value[len + n] = '\0';
	}
}

static void
field_backspace(struct form_field *f)
{
	size_t len = strlen(f->value);

	/* Back over a whole UTF-8 character. */
	while (len > 0 && ((unsigned char)f->value[--len] & 0xc0) == 0x80)
		;
	f->value[len] = '\0';
}

static void
form_key(bool fn, wint_t ch)
{
	struct form_field *f = &d.f[d.cur];

	if (!fn && ch == KEYS_ESC) {
		dlg_close();
		return;
	}
	if ((!fn && (ch == '\n' || ch == '\r')) || (fn && ch == KEY_ENTER)) {
		if (d.cur + 1 < d.n) {
			d.cur++;
			return;
		}
		/* Submitted: the fields go to the callback, then away. */
		{
			struct form_field copy[FORM_FIELDS];
			form_fn *cb = d.form_fn;
			void *arg = d.arg;
			int n = d.n;

			memcpy(copy, d.f, sizeof(copy));
			dlg_close();
			cb(arg, copy, n);
			explicit_bzero(copy, sizeof(copy));
		}
		return;
	}
	if ((!fn && ch == '\t') || (fn && ch == KEY_DOWN))
		d.cur = (d.cur + 1) % d.n;
	else if (fn && (ch == KEY_BTAB || ch == KEY_UP))
		d.cur = (d.cur + d.n - 1) % d.n;
	else if ((fn && ch == KEY_BACKSPACE) || (!fn && (ch == 127 || ch == 8)))
		field_backspace(f);
	else if (!fn && ch == KEYS_CTRL('u'))
		f->value[0] = '\0';
	else if (!fn && ch >= 0x20 && ch != 0x7f)
		field_add(f, ch);
}

void
dlg_key(bool fn, wint_t ch)
{
	switch (d.kind) {
	case K_NONE:
		break;
	case K_FORM:
		form_key(fn, ch);
		break;
	case K_CONFIRM:
		if (!fn && (ch == 'y' || ch == 'Y')) {
			char what[sizeof(d.what)];
			confirm_fn *cb = d.confirm_fn;
			void *arg = d.arg;

			snprintf(what, sizeof(what), "%s", d.what);
			dlg_close();
			cb(arg, what);
		} else if (!fn && (ch == 'n' || ch == 'N' || ch == 'q' ||
		    ch == KEYS_ESC))
			dlg_close();
		break;
	case K_NOTICE:
		if ((!fn && (ch == '\n' || ch == '\r' || ch == ' ' ||
		    ch == 'q' || ch == KEYS_ESC)) || (fn && ch == KEY_ENTER))
			dlg_close();
		break;
	}
}

/* ---- drawing ---- */

/* Split text into lines of at most width columns, at spaces when it
 * can; '\n' ends a line. Returns the count (at most max). */
static int
wrap(const char *text, int width, char lines[][160], int max)
{
	int n = 0;
	const char *p = text;

	while (*p && n < max) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), cut = len;

		if (cut > (size_t)width) {
			cut = (size_t)width;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = (size_t)width;
		}
		if (cut >= 160)
			cut = 159;
		memcpy(lines[n], p, cut);
		lines[n++][cut] = '\0';
		p += cut;
		if (*p == ' ' || (*p == '\n' && cut == len))
			p++;
	}
	return n;
}

void
dlg_draw(void)
{
	char lines[DLG_LINES][160];
	int w = COLS - 4 < DLG_WIDTH ? COLS - 4 : DLG_WIDTH, h, nl = 0, y;
	int labw = 0, attr = ui_attr(UC_NORMAL);

	if (d.kind == K_NONE || ui_too_small())
		return;
	if (d.kind == K_FORM) {
		for (int i = 0; i < d.n; i++)
			if ((int)strlen(d.f[i].label) > labw)
				labw = (int)strlen(d.f[i].label);
		h = d.n + 6;
	} else {
		nl = wrap(d.text, w - 4, lines, DLG_LINES);
		h = nl + (d.kind == K_NOTICE && d.secret[0] ? 4 : 0) + 5;
	}
	if (h > LINES - 2)
		h = LINES - 2;
	if (d.win)
		delwin(d.win);
	d.win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	if (d.win == NULL)
		return;
	werase(d.win);
	ui_box(d.win, 0, 0, h, w, d.kind == K_CONFIRM ? ui_attr(UC_WARN) :
	    attr, d.title);
	y = 2;
	if (d.kind == K_FORM) {
		int fx = 3 + labw + 2, fw = w - fx - 3;

		for (int i = 0; i < d.n; i++, y++) {
			const struct form_field *f = &d.f[i];
			int used;

			ui_text(d.win, y, 3, labw, i == d.cur ? ui_attr(UC_EM) :
			    attr, UI_PAD, f->label);
			ui_fill(d.win, y, fx, fw, ui_attr(UC_SEL));
			used = ui_text(d.win, y, fx, fw - 1, ui_attr(UC_SEL),
			    UI_LEFT, f->value);
			if (i == d.cur)	/* a cursor, without the real one */
				ui_text(d.win, y, fx + used, 1, A_REVERSE |
				    A_BLINK, UI_LEFT, "_");
			else if (!f->value[0] && f->hint)
				ui_text(d.win, y, fx + 1, fw - 1, ui_attr(UC_SEL) |
				    A_DIM, UI_LEFT, f->hint);
		}
		ui_text(d.win, h - 2, 3, w - 6, ui_attr(UC_DIM), UI_LEFT,
		    "Enter: next / submit   Tab: move   Esc: cancel");
	} else {
		for (int i = 0; i < nl; i++, y++)
			ui_text(d.win, y - 1, 2, w - 4, attr, UI_LEFT, lines[i]);
		if (d.kind == K_NOTICE && d.secret[0]) {
			int sw = ui_width(d.secret);

			y++;
			ui_text(d.win, y - 1, sw < w - 4 ? (w - sw) / 2 : 2, w - 4,
			    ui_attr(UC_GOOD) | A_BOLD, UI_LEFT, d.secret);
			y += 2;
		}
		ui_text(d.win, h - 2, 2, w - 4, ui_attr(UC_EM), UI_LEFT,
		    d.kind == K_CONFIRM ? "[y] yes    [n] no" :
		    "[Enter] close");
	}
	wnoutrefresh(d.win);
}
