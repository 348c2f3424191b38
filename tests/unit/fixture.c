/*
 * fixture.c - see fixture.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static void
die(const char *what, const char *key)
{
	fprintf(stderr, "fixture: %s: %s\n", what, key ? key : "");
	printf("Bail out! fixture %s %s\n", what, key ? key : "");
	exit(2);
}

json_t *
fixture_load(const char *name)
{
	char path[1024];
	const char *dir = getenv("FIXTURES");
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures",
	    name);
	j = json_load_file(path, 0, &err);
	if (j == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
		die("cannot load", path);
	}
	return j;
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *
hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *b;

	if (n % 2)
		die("odd hex length", hex);
	b = malloc(n / 2 + 1);
	if (b == NULL)
		die("out of memory", NULL);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			die("bad hex", hex);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return b;
}

const char *
fx_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		die("missing string", key);
	return json_string_value(v);
}

long long
fx_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		die("missing integer", key);
	return json_integer_value(v);
}

int
fx_bool(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		die("missing boolean", key);
	return json_is_true(v);
}

uint8_t *
fx_hex(json_t *o, const char *key, size_t *len)
{
	return hex_decode(fx_str(o, key), len);
}

static uint64_t
fixed_now(void *ctx)
{
	return ((struct fixed_env *)ctx)->now_ms;
}

static void
fixed_random(void *ctx, uint8_t *out, size_t n)
{
	struct fixed_env *f = ctx;

	for (size_t i = 0; i < n; i++) {
		out[i] = f->rand_len ? f->rand[f->rand_pos % f->rand_len] : 0;
		f->rand_pos++;
	}
}

struct boho_env
fixed_env_make(struct fixed_env *f)
{
	struct boho_env e = { fixed_now, fixed_random, f };
	return e;
}
