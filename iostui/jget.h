/*
 * jget.h - members of the daemon's JSON answers, with a default when a
 * member is absent or of another type (the daemon may add or leave out
 * members; the views never check each one by hand).
 */
#ifndef IOSTUI_JGET_H
#define IOSTUI_JGET_H

#include <stddef.h>

#include <jansson.h>

/* An integer member (a real is truncated), def when there is none. */
long long jget_int(const json_t *o, const char *key, long long def);
/* A number member, integer or real, def when there is none. */
double jget_num(const json_t *o, const char *key, double def);
/* A string member, "" when there is none. */
const char *jget_str(const json_t *o, const char *key);
/* The same, copied into buf (cut to cap). */
void jget_copy(const json_t *o, const char *key, char *buf, size_t cap);

#endif
