/*
 * backoff.h - failed logins per address and per device id. Each failure
 * doubles the AUTH_FAIL delay for that key (from the base delay up to a
 * cap); ten quiet minutes forget it. The table is bounded.
 */
#ifndef IOSD_BACKOFF_H
#define IOSD_BACKOFF_H

#include <stdint.h>

struct backoff;

struct backoff *backoff_new(unsigned base_ms);
void backoff_free(struct backoff *b);
/* Record a failure of key; returns the delay its AUTH_FAIL should get. */
unsigned backoff_fail(struct backoff *b, const char *key, uint64_t now_ms);
/* The delay a failure of key would get now, without recording it. */
unsigned backoff_delay(struct backoff *b, const char *key, uint64_t now_ms);
void backoff_ok(struct backoff *b, const char *key);

#endif
