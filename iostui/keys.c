/*
 * keys.c - see keys.h.
 */
#include <stddef.h>

#include "keys.h"

static const struct binding bindings[] = {
#define B(a, sc, fl, k, hi, he, ...) \
	{ A_##a, sc, fl, k, hi, he, { __VA_ARGS__, 0 } },
	KEY_BINDINGS(B)
#undef B
};

#define NBINDINGS	(sizeof(bindings) / sizeof(bindings[0]))

static bool read_only;

void
keys_read_only(bool ro)
{
	read_only = ro;
}

bool
keys_is_read_only(void)
{
	return read_only;
}

enum action
keys_lookup(int code, int sc)
{
	for (size_t i = 0; i < NBINDINGS; i++) {
		const struct binding *b = &bindings[i];

		if (!(b->scope & sc) || (read_only && (b->flags & KF_WRITE)))
			continue;
		for (const int *c = b->codes; *c; c++)
			if (*c == code)
				return b->action;
	}
	return A_NONE;
}

const struct binding *
keys_get(size_t i)
{
	for (size_t j = 0; j < NBINDINGS; j++) {
		if (read_only && (bindings[j].flags & KF_WRITE))
			continue;
		if (i-- == 0)
			return &bindings[j];
	}
	return NULL;
}
