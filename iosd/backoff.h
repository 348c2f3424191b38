/*
 * backoff.h - failed logins per address and per device id. Each failure
 * doubles the AUTH_FAIL delay for that key (from the base delay up to a
 * cap); from the lock_after-th failure on, the key is also locked until
 * that delay has passed once more after the AUTH_FAIL: attempts while it
 * is locked are refused unchecked, right or wrong, so a guesser gets one
 * try per lock. Ten quiet minutes forget it. The table is bounded.
 */
#ifndef IOSD_BACKOFF_H
#define IOSD_BACKOFF_H

#include <stdint.h>

struct backoff;

struct backoff *backoff_new(unsigned base_ms);
void backoff_free(struct backoff *b);
/* Record a failure of key; returns the delay its AUTH_FAIL should get. */
unsigned backoff_fail(struct backoff *b, const char *key, uint64_t now_ms,
    unsigned lock_after);
/* The delay a failure of key would get now, without recording it. */
unsigned backoff_delay(struct backoff *b, const char *key, uint64_t now_ms);
void backoff_ok(struct backoff *b, const char *key);
/* Milliseconds key stays locked by its last failure, 0 if it is not. */
unsigned backoff_locked(struct backoff *b, const char *key, uint64_t now_ms);

#endif
