/*
 * stubs_store.c - the retained-signal part of store.h for the router's
 * unit test: puts are counted and the last key kept; nothing is loaded.
 */
#include <stdio.h>

#include "store.h"

size_t stub_retained_puts;
char stub_retained_key[256];

void
store_retained_put(struct store *st, const char *key, const uint8_t *msg,
    size_t len)
{
	(void)st, (void)msg, (void)len;
	stub_retained_puts++;
	snprintf(stub_retained_key, sizeof(stub_retained_key), "%s", key);
}

void
store_retained_prune(struct store *st, size_t count, size_t size)
{
	(void)st, (void)count, (void)size;
}

void
store_retained_load(struct store *st, store_retained_cb *cb, void *arg)
{
	(void)st, (void)cb, (void)arg;
}
