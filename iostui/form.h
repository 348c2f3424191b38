/*
 * form.h - modal dialogs over the body: a form of text fields, a yes/no
 * confirmation, a notice (the enrolled key, shown once). One at a time;
 * while one is open it takes every key.
 */
#ifndef IOSTUI_FORM_H
#define IOSTUI_FORM_H

#include <stdbool.h>
#include <wchar.h>

#define FORM_FIELDS	6
#define FORM_VALUE	128

struct form_field {
	const char *label;
	const char *hint;		/* after the value, dimmed; may be NULL */
	char value[FORM_VALUE];		/* initial value in, answer out */
};

/* Called with the fields when the form is submitted (not on Esc). */
typedef void form_fn(void *arg, struct form_field *f, int n);
/* Called with what when the answer is yes. */
typedef void confirm_fn(void *arg, const char *what);

void form_open(const char *title, const struct form_field *f, int n,
    form_fn *fn, void *arg);
/* question is shown; what (copied) is handed back to fn. */
void confirm_open(const char *question, const char *what, confirm_fn *fn,
    void *arg);
/* Lines of text; secret (may be NULL) on its own line, emphasized, and
 * wiped from memory when the notice is closed. */
void notice_open(const char *title, const char *text, const char *secret);

bool dlg_active(void);
void dlg_close(void);
/* fn: ch is a KEY_* code; otherwise a character. */
void dlg_key(bool fn, wint_t ch);
/* Draw it over the body (after the body was drawn). */
void dlg_draw(void);

#endif
