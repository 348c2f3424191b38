/*
 * output.h - what iosctl prints: JSON documents for scripts; for people,
 * aligned tables, key/value blocks, sizes with units and relative times.
 * Every string that came from the daemon is made safe for a terminal.
 */
#ifndef IOSCTL_OUTPUT_H
#define IOSCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define OUT_PRINTF(a, b) __attribute__((format(printf, a, b)))

extern bool out_tty;		/* stdout is a terminal */

void out_init(void);

/* One JSON document: indented on a terminal, else one compact line. */
void out_json(const json_t *v);
/* One compact line, flushed: stream events. */
void out_json_line(const json_t *v);

/* Short human forms into buf; each returns buf. */
char *out_bytes(char *buf, size_t cap, double n);	/* "3.4 kB" */
char *out_count(char *buf, size_t cap, double n);	/* "1.2k" */
char *out_ago(char *buf, size_t cap, double t);		/* "3m ago" */
char *out_duration(char *buf, size_t cap, double s);	/* "2h 5m" */
char *out_clock(char *buf, size_t cap, double t, bool ms); /* "12:00:01" */
char *out_date(char *buf, size_t cap, double t);	/* "2025-01-31 12:00" */
/* s with control characters replaced by '?' (escape sequences). */
char *out_clean(char *buf, size_t cap, const char *s);
/* Any JSON value as short text: "a, b", "k v, k v", "yes". */
char *out_text(char *buf, size_t cap, const json_t *v);

/* "key    value" lines, keys in one column. */
void out_kv(const char *key, const char *fmt, ...) OUT_PRINTF(2, 3);

/*
 * Tables: columns given as "NAME" (left-aligned) or ">NAME"
 * (right-aligned); cells are added row after row and printed aligned.
 */
struct table;
struct table *table_new(const char *const *cols);
void table_add(struct table *t, const char *cell);
void table_addf(struct table *t, const char *fmt, ...) OUT_PRINTF(2, 3);
size_t table_rows(const struct table *t);
void table_print(struct table *t);
void table_free(struct table *t);

/* Members of a result object, with a default when absent. */
const char *j_str(const json_t *o, const char *key, const char *def);
double j_num(const json_t *o, const char *key, double def);
/* 1, 0, or -1 when absent or not a boolean. */
int j_bool(const json_t *o, const char *key);

#endif
