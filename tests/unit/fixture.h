/*
 * fixture.h - read the known-answer fixtures that tests/fixtures/gen.mjs
 * writes from the reference implementation, and helpers around them.
 */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "boho.h"

/* tests/fixtures/NAME (or $FIXTURES/NAME); exits on a missing file. */
json_t *fixture_load(const char *name);

/* Decode lowercase or uppercase hex into a new buffer (never NULL; one
 * spare byte is allocated). Exits on bad hex. */
uint8_t *hex_decode(const char *hex, size_t *len);
/* Members of a fixture object; exit when absent or of the wrong type. */
const char *fx_str(json_t *o, const char *key);
long long fx_int(json_t *o, const char *key);
int fx_bool(json_t *o, const char *key);
uint8_t *fx_hex(json_t *o, const char *key, size_t *len);

/* A deterministic clock and random source for Boho. */
struct fixed_env {
	uint64_t now_ms;
	uint8_t rand[64];
	size_t rand_len, rand_pos;
};
struct boho_env fixed_env_make(struct fixed_env *f);

#endif
