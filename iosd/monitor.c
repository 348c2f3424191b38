/*
 * monitor.c - io-server's -m tables (see monitor.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "conn.h"
#include "monitor.h"
#include "router.h"
#include "server.h"
#include "session.h"

#define MAX_ROWS	1000	/* a list longer than this is cut, and said */
#define MAX_COLS	6

/* A table being filled: cells are copies, freed by table_end. */
struct table {
	const char *head[MAX_COLS];
	size_t ncols;
	char **cells;		/* rows * ncols */
	size_t rows, cap;
};

/* Display width of UTF-8 text: its code points. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void
table_add(struct table *t, const char *cell)
{
	if (t->rows * t->ncols + t->ncols > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
		char **v = realloc(t->cells, cap * sizeof(*v));

		if (v == NULL)
			return;		/* the row is left out */
		t->cells = v;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->rows * t->ncols + i] = NULL;
	t->cells[t->rows * t->ncols] = strdup(cell);
	t->rows++;
}

/* Cells after the first of the last row. */
static void
table_set(struct table *t, size_t col, const char *cell)
{
	if (t->rows && col < t->ncols)
		t->cells[(t->rows - 1) * t->ncols + col] = strdup(cell);
}

static void
rule(FILE *f, const size_t *w, size_t n, const char *l, const char *m,
    const char *r)
{
	fputs(l, f);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < w[i]; k++)
			fputs("─", f);
		fputs(i + 1 < n ? m : r, f);
	}
	fputc('\n', f);
}

/* Centred, as console.table pads its cells. */
static void
cell(FILE *f, const char *s, size_t w)
{
	size_t pad = w - width(s), left = pad / 2;

	fprintf(f, "%*s%s%*s│", (int)left, "", s, (int)(pad - left), "");
}

/* Prints with an "(index)" column first, then frees the cells. */
static void
table_end(struct table *t, FILE *f)
{
	size_t w[MAX_COLS + 1], n = t->ncols + 1;
	char idx[24];

	w[0] = width("(index)") + 2;
	for (size_t c = 0; c < t->ncols; c++) {
		w[c + 1] = width(t->head[c]) + 2;
		for (size_t r = 0; r < t->rows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t cw = (s ? width(s) : 0) + 2;

			if (cw > w[c + 1])
				w[c + 1] = cw;
		}
	}
	snprintf(idx, sizeof(idx), "%zu", t->rows);
	if (width(idx) + 2 > w[0])
		w[0] = width(idx) + 2;
	rule(f, w, n, "┌", "┬", "┐");
	fputs("│", f);
	cell(f, "(index)", w[0]);
	for (size_t c = 0; c < t->ncols; c++)
		cell(f, t->head[c], w[c + 1]);
	fputc('\n', f);
	rule(f, w, n, "├", "┼", "┤");
	for (size_t r = 0; r < t->rows; r++) {
		fputs("│", f);
		snprintf(idx, sizeof(idx), "%zu", r);
		cell(f, idx, w[0]);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			cell(f, s ? s : "", w[c + 1]);
		}
		fputc('\n', f);
	}
	rule(f, w, n, "└", "┴", "┘");
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static unsigned long long
rss_bytes(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (unsigned long long)sysconf(_SC_PAGESIZE);
}

static uint64_t
sum(const uint64_t *v)
{
	uint64_t n = 0;

	for (size_t i = 0; i < 256; i++)
		n += v[i];
	return n;
}

/* 1: the process's memory, then lastSSID, remotes, channels and the
 * bytes of this period (the reference zeroes its counts each period). */
static void
print_traffic(struct server *srv, FILE *f)
{
	struct table t = { .head = { "rss", "buffered", "budget" },
	    .ncols = 3 };
	uint64_t rx = sum(srv->m.bytes_in), tx = sum(srv->m.bytes_out);
	char a[32];

	snprintf(a, sizeof(a), "%llu", rss_bytes());
	table_add(&t, a);
	snprintf(a, sizeof(a), "%zu", srv->mem.used);
	table_set(&t, 1, a);
	snprintf(a, sizeof(a), "%zu", srv->mem.limit);
	table_set(&t, 2, a);
	table_end(&t, f);

	t = (struct table){ .head = { "lastSSID", "remotes", "channels",
	    "txBytes", "rxBytes" }, .ncols = 5 };
	snprintf(a, sizeof(a), "%u", srv->next_ssid ? srv->next_ssid - 1 : 0);
	table_add(&t, a);
	snprintf(a, sizeof(a), "%zu", srv->nconns);
	table_set(&t, 1, a);
	snprintf(a, sizeof(a), "%zu", router_channel_count(srv));
	table_set(&t, 2, a);
	snprintf(a, sizeof(a), "%llu", (unsigned long long)(tx -
	    srv->monitor_tx));
	table_set(&t, 3, a);
	snprintf(a, sizeof(a), "%llu", (unsigned long long)(rx -
	    srv->monitor_rx));
	table_set(&t, 4, a);
	table_end(&t, f);
	srv->monitor_rx = rx;
	srv->monitor_tx = tx;
}

/* A console.table of strings: 'quoted', as Node shows them. */
static void
add_quoted(struct table *t, const char *s)
{
	char *q;
	size_t n = strlen(s) + 3;

	if ((q = malloc(n)) == NULL)
		return;
	snprintf(q, n, "'%s'", s);
	table_add(t, q);
	free(q);
}

/* 2: "#ssid:cid(state)", the state by the reference's number. */
static void
print_clients(struct server *srv, FILE *f)
{
	struct table t = { .head = { "Values" }, .ncols = 1 };
	struct conn *c, *last = NULL;
	size_t n = 0;
	char a[64];

	for (c = srv->conns; c; c = c->next)
		last = c;
	for (c = last; c; c = c->prev) {	/* oldest first */
		if (c->state != CONN_OPEN)
			continue;
		if (n++ == MAX_ROWS)
			continue;
		snprintf(a, sizeof(a), "#%u:%s(%d)", c->ssid, c->s->cid,
		    (int)c->s->state);
		add_quoted(&t, a);
	}
	table_end(&t, f);
	if (n > MAX_ROWS)
		fprintf(f, "... and %zu more\n", n - MAX_ROWS);
}

struct chan_list {
	struct table t;
	size_t n;
};

static void
add_channel(const struct channel *ch, void *arg)
{
	struct chan_list *l = arg;

	if (l->n++ < MAX_ROWS)
		add_quoted(&l->t, router_channel_key(ch));
}

/* 3: the channel keys. */
static void
print_channels(struct server *srv, FILE *f)
{
	struct chan_list l = { .t = { .head = { "Values" }, .ncols = 1 } };

	router_foreach_channel(srv, add_channel, &l);
	table_end(&l.t, f);
	if (l.n > MAX_ROWS)
		fprintf(f, "... and %zu more\n", l.n - MAX_ROWS);
}

void
monitor_print(struct server *srv, FILE *f)
{
	/* A terminal is redrawn from the top, as the reference does. */
	if (f == stdout && isatty(STDOUT_FILENO))
		fputs("\033[H\033[J", f);
	fprintf(f, "monitor metric type: %u\n", srv->opt.metric);
	switch (srv->opt.metric) {
	case 1:
		print_traffic(srv, f);
		break;
	case 2:
		print_clients(srv, f);
		break;
	case 3:
		print_channels(srv, f);
		break;
	default:
		break;
	}
	fflush(f);
}

static void
monitor_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	monitor_print(w->data, stdout);
}

void
monitor_apply(struct server *srv)
{
	double period = srv->opt.monitor_ms / 1000.0;

	monitor_stop(srv);
	if (srv->opt.metric == 0)
		return;
	ev_timer_init(&srv->monitor, monitor_cb, period, period);
	srv->monitor.data = srv;
	ev_timer_start(srv->loop, &srv->monitor);
}

void
monitor_stop(struct server *srv)
{
	if (ev_is_active(&srv->monitor))
		ev_timer_stop(srv->loop, &srv->monitor);
}
