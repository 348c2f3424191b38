/*
 * authjs.h - a strict reader of the reference's auth_file.mjs: one
 * `export const authInfo = [ ["id", "key", "cid", level], ... ];` with
 * // and / * * / comments, single- or double-quoted strings (the usual
 * escapes, \uXXXX), integer levels, trailing commas. Nothing else of
 * JavaScript is accepted, and nothing is run: a mistake is reported with
 * its line and column.
 */
#ifndef IOSD_AUTHJS_H
#define IOSD_AUTHJS_H

#include <stdbool.h>
#include <stddef.h>

/* One row; has_level false when it has three members. 0 to go on, -1 to
 * stop (the callback wrote err). */
typedef int authjs_row_fn(void *arg, unsigned line, const char *id,
    const char *key, size_t keylen, const char *cid, long level,
    bool has_level, char *err, size_t errlen);

/* 0, or -1 with "LINE:COL: what was expected" in err. */
int authjs_parse(const char *text, size_t len, authjs_row_fn *fn, void *arg,
    char *err, size_t errlen);

#endif
