/*
 * output.h - what iosctl prints: JSON documents for scripts; for people,
 * aligned tables and key/value blocks (sizes with units and relative
 * times are libctl's ctlfmt.h).
 * Every string that came from the daemon is made safe for a terminal.
 */
#ifndef IOSCTL_OUTPUT_H
#define IOSCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Units and times (libctl, shared with iostui): fmt_bytes "3.4 kB",
 * fmt_count "1.2k", fmt_duration "2h 5m", fmt_ago "3m ago", fmt_clock
 * "12:00:01", fmt_date "2025-01-31 12:00:00"; members of the daemon's
 * JSON with defaults: jget_num, jget_strdef, jget_bool. */
#include "ctlclient.h"
#include "ctlfmt.h"

#define OUT_PRINTF(a, b) __attribute__((format(printf, a, b)))

extern bool out_tty;		/* stdout is a terminal */

void out_init(void);

/* One JSON document: indented on a terminal, else one compact line. */
void out_json(const json_t *v);
/* One compact line, flushed: stream events. */
void out_json_line(const json_t *v);

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

#endif
