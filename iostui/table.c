/*
 * table.c - see table.h.
 */
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "ui.h"

#define TABLE_COLS_MAX	16

void
table_init(struct table *t, const struct table_col *cols, int ncols, int sort)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols > TABLE_COLS_MAX ? TABLE_COLS_MAX : ncols;
	t->sort = sort;
	t->page = 1;
}

static void
clamp(struct table *t)
{
	if (t->cur >= t->n)
		t->cur = t->n - 1;
	if (t->cur < 0)
		t->cur = 0;
	if (t->cur < t->top)
		t->top = t->cur;
	if (t->page > 0 && t->cur >= t->top + t->page)
		t->top = t->cur - t->page + 1;
	if (t->top > t->n - t->page)
		t->top = t->n - t->page;
	if (t->top < 0)
		t->top = 0;
}

void
table_set_rows(struct table *t, int n)
{
	t->n = n;
	clamp(t);
}

bool
table_move(struct table *t, enum action a)
{
	switch (a) {
	case A_UP:
		t->cur--;
		break;
	case A_DOWN:
		t->cur++;
		break;
	case A_PGUP:
		t->cur -= t->page;
		break;
	case A_PGDN:
		t->cur += t->page;
		break;
	case A_FIRST:
		t->cur = 0;
		break;
	case A_LAST:
		t->cur = t->n - 1;
		break;
	default:
		return false;
	}
	clamp(t);
	return true;
}

void
table_sort_next(struct table *t)
{
	t->sort = (t->sort + 1) % t->ncols;
}

void
table_sort_reverse(struct table *t)
{
	t->rev = !t->rev;
}

/* Column widths for the window's width: the minimums, then the spare
 * columns shared by flex. */
static void
widths(const struct table *t, int cols, int *w)
{
	int used = 0, flex = 0, spare;

	for (int i = 0; i < t->ncols; i++) {
		w[i] = t->cols[i].width;
		used += w[i] + (i ? 1 : 0);
		flex += t->cols[i].flex;
	}
	spare = cols - used;
	if (spare <= 0 || flex == 0)
		return;
	for (int i = 0, given = 0, acc = 0; i < t->ncols; i++) {
		int share;

		acc += t->cols[i].flex;
		share = spare * acc / flex - given;
		w[i] += share;
		given += share;
	}
}

void
table_draw(struct table *t, WINDOW *w, int y, int h, table_cell_fn *cell,
    void *arg)
{
	int cw[TABLE_COLS_MAX], cols = getmaxx(w), x = 0;
	int head = ui_attr(UC_HEAD);
	char buf[512];

	if (h < 1)
		return;
	widths(t, cols, cw);
	ui_fill(w, y, 0, cols, head);
	for (int c = 0; c < t->ncols; c++) {
		const struct table_col *col = &t->cols[c];

		snprintf(buf, sizeof(buf), "%s%s", col->title, c == t->sort ?
		    ui_glyph(t->rev ? G_SORT_DOWN : G_SORT_UP) : "");
		ui_text(w, y, x, cw[c], head | (c == t->sort ? A_BOLD : 0),
		    col->right ? UI_RIGHT : UI_PAD, buf);
		x += cw[c] + 1;
	}
	t->page = h - 1 > 0 ? h - 1 : 1;
	clamp(t);
	for (int r = 0; r < t->page && t->top + r < t->n; r++) {
		int row = t->top + r, sel = row == t->cur;
		int base = sel ? ui_attr(UC_SEL) : ui_attr(UC_NORMAL);

		x = 0;
		if (sel)
			ui_fill(w, y + 1 + r, 0, cols, base);
		for (int c = 0; c < t->ncols; c++) {
			int attr = 0;

			buf[0] = '\0';
			cell(arg, row, c, buf, sizeof(buf), &attr);
			ui_text(w, y + 1 + r, x, cw[c], sel ? base : base | attr,
			    t->cols[c].right ? UI_RIGHT : UI_LEFT, buf);
			x += cw[c] + 1;
		}
	}
}
