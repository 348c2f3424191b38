/*
 * output.c - see output.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"
#include "output.h"

#define KV_WIDTH	15	/* the key column of out_kv */
#define CELL_MAX	512	/* a table cell is cut there */

bool out_tty;

struct table {
	size_t	 ncols;
	char	**cells;	/* row-major, ncells of cap */
	size_t	 ncells, cap;
	size_t	*width;
	bool	*right;
	const char *const *cols;
};

void
out_init(void)
{
	out_tty = isatty(STDOUT_FILENO);
}

void
out_json(const json_t *v)
{
	size_t flags = JSON_ENCODE_ANY | (out_tty ? JSON_INDENT(2) :
	    JSON_COMPACT);

	json_dumpf(v ? v : json_null(), stdout, flags);
	putchar('\n');
}

void
out_json_line(const json_t *v)
{
	json_dumpf(v, stdout, JSON_ENCODE_ANY | JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
}





/*
 * Names, tags and addresses come from remote clients: C0, DEL and the C1
 * range (U+0080..U+009F, c2 80..c2 9f in UTF-8) could drive the terminal.
 */
char *
out_clean(char *buf, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0;

	if (cap == 0)
		return buf;
	while (*p && n + 1 < cap) {
		if (*p < 0x20 || *p == 0x7f)
			buf[n++] = '?';
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf[n++] = '?';
			p++;
		} else
			buf[n++] = (char)*p;
		p++;
	}
	/* Do not end on half a UTF-8 sequence. */
	if (*p)
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
	if (*p && n > 0 && (unsigned char)buf[n - 1] >= 0xc0)
		n--;
	buf[n] = '\0';
	return buf;
}

char *
out_text(char *buf, size_t cap, const json_t *v)
{
	char tmp[CELL_MAX], part[CELL_MAX];
	const char *k;
	json_t *e;
	size_t i, n = 0;

	buf[0] = '\0';
	switch (json_typeof(v)) {
	case JSON_STRING:
		return out_clean(buf, cap, json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, cap, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, cap, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, cap, "no");
		break;
	case JSON_NULL:
		snprintf(buf, cap, "-");
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			out_text(part, sizeof(part), e);
			n += (size_t)snprintf(tmp, sizeof(tmp), "%s%s",
			    i ? ", " : "", part);
			if (n < cap)
				strcat(buf, tmp);
		}
		if (i == 0)
			snprintf(buf, cap, "-");
		break;
	case JSON_OBJECT:
		i = 0;
		json_object_foreach((json_t *)v, k, e) {
			out_text(part, sizeof(part), e);
			n += (size_t)snprintf(tmp, sizeof(tmp), "%s%s %s",
			    i++ ? ", " : "", k, part);
			if (n < cap)
				strcat(buf, tmp);
		}
		if (i == 0)
			snprintf(buf, cap, "-");
		break;
	}
	return buf;
}

void
out_kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-*s ", KV_WIDTH - 1, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Terminal columns of a UTF-8 string (one per code point). */
static size_t
columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

struct table *
table_new(const char *const *cols)
{
	struct table *t;
	size_t n = 0;

	while (cols[n])
		n++;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->width = calloc(n, sizeof(*t->width))) == NULL ||
	    (t->right = calloc(n, sizeof(*t->right))) == NULL) {
		exit(fail(FAIL_IO, "out of memory"));
	}
	t->ncols = n;
	t->cols = cols;
	for (size_t i = 0; i < n; i++) {
		t->right[i] = cols[i][0] == '>';
		t->width[i] = columns(cols[i] + t->right[i]);
	}
	return t;
}

void
table_add(struct table *t, const char *cell)
{
	char clean[CELL_MAX];
	size_t col = t->ncells % t->ncols, w;

	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = realloc(t->cells, t->cap * sizeof(*t->cells));
		if (t->cells == NULL) {
			exit(fail(FAIL_IO, "out of memory"));
		}
	}
	out_clean(clean, sizeof(clean), cell && *cell ? cell : "-");
	if ((t->cells[t->ncells] = strdup(clean)) == NULL) {
		exit(fail(FAIL_IO, "out of memory"));
	}
	t->ncells++;
	if ((w = columns(clean)) > t->width[col])
		t->width[col] = w;
}

void
table_addf(struct table *t, const char *fmt, ...)
{
	char buf[CELL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t, buf);
}

size_t
table_rows(const struct table *t)
{
	return t->ncells / t->ncols;
}

static void
cell(const struct table *t, size_t col, const char *s)
{
	size_t pad = t->width[col] - columns(s);
	bool last = col + 1 == t->ncols;

	if (t->right[col])
		printf("%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%s%*s", s, (int)pad, "");
	fputs(last ? "\n" : "  ", stdout);
}

void
table_print(struct table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		cell(t, i, t->cols[i] + t->right[i]);
	for (size_t i = 0; i + t->ncols <= t->ncells; i += t->ncols)
		for (size_t j = 0; j < t->ncols; j++)
			cell(t, j, t->cells[i + j]);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->right);
	free(t);
}
