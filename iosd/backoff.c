/*
 * backoff.c - see backoff.h.
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "backoff.h"
#include "xmalloc.h"

#define FORGET_MS	(10 * 60 * 1000)
#define MAX_DELAY_MS	30000
#define MAX_ENTRIES	16384

struct entry {
	UT_hash_handle hh;
	uint64_t last_ms;
	uint64_t locked_until_ms;
	unsigned fails;
	char key[];
};

struct backoff {
	struct entry *tab;
	unsigned base_ms;
};

struct backoff *
backoff_new(unsigned base_ms)
{
	struct backoff *b = xcalloc(1, sizeof(*b));

	b->base_ms = base_ms;
	return b;
}

void
backoff_free(struct backoff *b)
{
	struct entry *e, *tmp;

	if (b == NULL)
		return;
	HASH_ITER(hh, b->tab, e, tmp) {
		HASH_DEL(b->tab, e);
		free(e);
	}
	free(b);
}

static void
expire(struct backoff *b, uint64_t now)
{
	struct entry *e, *tmp;

	HASH_ITER(hh, b->tab, e, tmp)
		if (now - e->last_ms > FORGET_MS) {
			HASH_DEL(b->tab, e);
			free(e);
		}
}

static unsigned
delay_of(const struct backoff *b, unsigned fails)
{
	uint64_t d = b->base_ms;

	/* The first failure costs the base delay, each further one doubles. */
	for (unsigned i = 1; i < fails && d < MAX_DELAY_MS; i++)
		d *= 2;
	if (d > MAX_DELAY_MS)
		d = MAX_DELAY_MS;
	return d > b->base_ms ? (unsigned)d : b->base_ms;
}

unsigned
backoff_delay(struct backoff *b, const char *key, uint64_t now_ms)
{
	struct entry *e = NULL;

	HASH_FIND_STR(b->tab, key, e);
	if (e == NULL || now_ms - e->last_ms > FORGET_MS)
		return b->base_ms;
	return delay_of(b, e->fails + 1);
}

unsigned
backoff_fail(struct backoff *b, const char *key, uint64_t now_ms,
    unsigned lock_after)
{
	struct entry *e = NULL;
	size_t n = strlen(key);

	HASH_FIND_STR(b->tab, key, e);
	if (e == NULL) {
		if (HASH_COUNT(b->tab) >= MAX_ENTRIES)
			expire(b, now_ms);
		if (HASH_COUNT(b->tab) >= MAX_ENTRIES)
			return MAX_DELAY_MS;	/* under attack: no new state */
		e = xcalloc(1, sizeof(*e) + n + 1);
		memcpy(e->key, key, n + 1);
		HASH_ADD_STR(b->tab, key, e);
	} else if (now_ms - e->last_ms > FORGET_MS)
		e->fails = 0;
	e->fails++;
	e->last_ms = now_ms;
	/* A lock lasts the delay, counted from the AUTH_FAIL it delays. */
	e->locked_until_ms = e->fails >= lock_after ? now_ms + 2 *
	    (uint64_t)delay_of(b, e->fails) : 0;
	return delay_of(b, e->fails);
}

unsigned
backoff_locked(struct backoff *b, const char *key, uint64_t now_ms)
{
	struct entry *e = NULL;

	HASH_FIND_STR(b->tab, key, e);
	if (e == NULL || e->locked_until_ms <= now_ms)
		return 0;
	return (unsigned)(e->locked_until_ms - now_ms);
}

void
backoff_ok(struct backoff *b, const char *key)
{
	struct entry *e = NULL;

	HASH_FIND_STR(b->tab, key, e);
	if (e) {
		HASH_DEL(b->tab, e);
		free(e);
	}
}
