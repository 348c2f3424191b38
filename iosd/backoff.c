/*
 * backoff.c - see backoff.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "backoff.h"
#include "xmalloc.h"

#define FORGET_MS	(10 * 60 * 1000)
#define MAX_DELAY_MS	30000
#define MAX_ENTRIES	16384
#define KEY_MAX		96

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

/* Keys apart by a prefix: an id may look like an address. */
static const char *
pair_key(char *buf, const char *id, const char *addr)
{
	snprintf(buf, KEY_MAX, "p:%s\n%s", id, addr);
	return buf;
}

static const char *
addr_key(char *buf, const char *addr)
{
	snprintf(buf, KEY_MAX, "a:%s", addr);
	return buf;
}

static const char *
id_key(char *buf, const char *id)
{
	snprintf(buf, KEY_MAX, "d:%s", id);
	return buf;
}

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

unsigned
backoff_count(const struct backoff *b)
{
	return HASH_COUNT(b->tab);
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

static struct entry *
find(struct backoff *b, const char *key, uint64_t now)
{
	struct entry *e = NULL;

	HASH_FIND_STR(b->tab, key, e);
	if (e && now - e->last_ms > FORGET_MS) {
		HASH_DEL(b->tab, e);
		free(e);
		e = NULL;
	}
	return e;
}

/* One more failure of key; NULL when the table is full (under attack: no
 * new state, and the caller gives the longest delay). */
static struct entry *
count(struct backoff *b, const char *key, uint64_t now, unsigned lock_after)
{
	struct entry *e = find(b, key, now);
	size_t n = strlen(key);

	if (e == NULL) {
		if (HASH_COUNT(b->tab) >= MAX_ENTRIES)
			expire(b, now);
		if (HASH_COUNT(b->tab) >= MAX_ENTRIES ||
		    (e = calloc(1, sizeof(*e) + n + 1)) == NULL)
			return NULL;
		memcpy(e->key, key, n + 1);
		HASH_ADD_STR(b->tab, key, e);
	}
	e->fails++;
	e->last_ms = now;
	/* A lock lasts the delay, counted from the AUTH_FAIL it delays. */
	if (lock_after && e->fails >= lock_after)
		e->locked_until_ms = now + 2 * (uint64_t)delay_of(b, e->fails);
	return e;
}

unsigned
backoff_fail(struct backoff *b, const char *id, const char *addr,
    uint64_t now_ms)
{
	char k[KEY_MAX];
	struct entry *a, *p = NULL;
	unsigned d;

	a = count(b, addr_key(k, addr), now_ms, BACKOFF_ADDR_LOCK);
	if (a == NULL)
		return MAX_DELAY_MS;
	/* An address guessing many ids waits as long as its worst pair,
	 * but it takes more failures than a pair to grow. */
	d = delay_of(b, a->fails / 3 + 1);
	if (id && id[0]) {
		if ((p = count(b, pair_key(k, id, addr), now_ms,
		    BACKOFF_PAIR_LOCK)) == NULL)
			return MAX_DELAY_MS;
		if (delay_of(b, p->fails) > d)
			d = delay_of(b, p->fails);
		(void)count(b, id_key(k, id), now_ms, 0);
	}
	return d;
}

static unsigned
locked(struct backoff *b, const char *key, uint64_t now)
{
	struct entry *e = find(b, key, now);

	if (e == NULL || e->locked_until_ms <= now)
		return 0;
	return (unsigned)(e->locked_until_ms - now);
}

unsigned
backoff_check(struct backoff *b, const char *id, const char *addr,
    uint64_t now_ms, unsigned *slow_ms, const char **why)
{
	char k[KEY_MAX];
	struct entry *e;
	unsigned l;

	*slow_ms = 0;
	*why = NULL;
	if ((l = locked(b, addr_key(k, addr), now_ms)) != 0) {
		*why = "address backed off after failures";
		return l;
	}
	if (id == NULL || id[0] == '\0')
		return 0;
	if ((l = locked(b, pair_key(k, id, addr), now_ms)) != 0) {
		*why = "id backed off after failures from this address";
		return l;
	}
	/* Many failures of this id from everywhere: slower, never refused. */
	e = find(b, id_key(k, id), now_ms);
	if (e && e->fails >= BACKOFF_ID_SLOW) {
		unsigned over = e->fails - BACKOFF_ID_SLOW;
		uint64_t s = 100u << (over < 5 ? over : 5);

		*slow_ms = s < BACKOFF_MAX_SLOW_MS ? (unsigned)s :
		    BACKOFF_MAX_SLOW_MS;
	}
	return 0;
}

void
backoff_ok(struct backoff *b, const char *id, const char *addr)
{
	char k[KEY_MAX];
	struct entry *e = NULL;

	HASH_FIND_STR(b->tab, pair_key(k, id, addr), e);
	if (e) {
		HASH_DEL(b->tab, e);
		free(e);
	}
}
