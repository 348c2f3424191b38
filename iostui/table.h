/*
 * table.h - the scrolling table of the list views: a header with the
 * sort column marked, rows fitted to the width (spare columns go to the
 * flexible columns), the selected row highlighted, cursor movement.
 * The rows themselves stay with the view: it hands out cell text.
 */
#ifndef IOSTUI_TABLE_H
#define IOSTUI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "keys.h"

struct table_col {
	const char *title;
	int width;		/* at least */
	int flex;		/* share of the spare columns */
	bool right;		/* right-aligned: numbers */
};

struct table {
	const struct table_col *cols;
	int ncols;
	int n;			/* rows */
	int cur, top;		/* selected row, first row shown */
	int page;		/* rows shown by the last draw */
	int sort;		/* column, -1 for none */
	bool rev;		/* descending */
};

/* The text of a cell into buf; *attr may be changed from normal. */
typedef void table_cell_fn(void *arg, int row, int col, char *buf,
    size_t cap, int *attr);

void table_init(struct table *t, const struct table_col *cols, int ncols,
    int sort);
/* Rows y..y+h-1 of w: the header, then the rows. */
void table_draw(struct table *t, WINDOW *w, int y, int h, table_cell_fn *cell,
    void *arg);
/* Up, down, pages, top, bottom: true if a was one of them. */
bool table_move(struct table *t, enum action a);
/* After the row count changed. */
void table_set_rows(struct table *t, int n);
/* s / S: the next sort column, the other direction. */
void table_sort_next(struct table *t);
void table_sort_reverse(struct table *t);

#endif
