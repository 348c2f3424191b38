/*
 * test_mbp.c - meta-buffer-pack against npm meta-buffer-pack 2.0.6, and
 * on malformed packs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "proto.h"
#include "tap.h"

#define MAX_ITEMS 32

/* Turn a fixture item into an mbp_item; data buffers go to *keep. */
static int
item_from(json_t *j, struct mbp_item *it, uint8_t **keep)
{
	json_t *name = json_object_get(j, "name");
	const char *type = fx_str(j, "type");

	memset(it, 0, sizeof(*it));
	it->index = -1;
	if (json_is_integer(name))
		it->index = (int)json_integer_value(name);
	else
		it->name = json_string_value(name);
	if (mbp_type_parse(type, strlen(type), &it->type) < 0)
		return -1;
	if (json_object_get(j, "int"))
		it->num = fx_int(j, "int");
	if (json_object_get(j, "float"))
		it->fnum = json_number_value(json_object_get(j, "float"));
	if (json_object_get(j, "bool"))
		it->flag = fx_bool(j, "bool");
	if (json_object_get(j, "hex")) {
		*keep = fx_hex(j, "hex", &it->len);
		it->data = *keep;
	}
	return 0;
}

static void
check_values(json_t *v, const struct mbp_pack *p, const char *desc)
{
	size_t i;
	json_t *val;

	json_array_foreach(json_object_get(v, "values"), i, val) {
		json_t *jn = json_object_get(val, "name");
		char name[MBP_NAME_MAX];
		const struct mbp_field *f;

		if (json_is_integer(jn))
			snprintf(name, sizeof(name), "%lld",
			    (long long)json_integer_value(jn));
		else
			snprintf(name, sizeof(name), "%s", json_string_value(jn));
		f = mbp_get(p, name);
		if (!OK(f != NULL, "%s: field %s present", desc, name))
			continue;
		if (json_object_get(val, "int")) {
			int64_t x = 0;
			OK(mbp_field_int(f, &x) == 0 && x == fx_int(val, "int"),
			    "%s: %s = %lld", desc, name, fx_int(val, "int"));
		} else if (json_object_get(val, "float")) {
			double d = 0, w = json_number_value(
			    json_object_get(val, "float"));
			OK(mbp_field_double(f, &d) == 0 && d == w,
			    "%s: %s = %g", desc, name, w);
		} else if (json_object_get(val, "bool")) {
			OK((f->data[0] == 1) == fx_bool(val, "bool"),
			    "%s: %s boolean", desc, name);
		} else {
			size_t wl;
			uint8_t *want = fx_hex(val, "hex", &wl);
			tap_eq_bytes(f->data, f->len, want, wl, "%s: %s bytes",
			    desc, name);
			free(want);
		}
	}
}

static void
test_packs(json_t *fx)
{
	static struct mbp_pack p;
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "packs"), i, v) {
		const char *desc = fx_str(v, "desc");
		json_t *items = json_object_get(v, "items"), *meta, *it;
		struct mbp_item mi[MAX_ITEMS];
		uint8_t *keep[MAX_ITEMS] = { 0 };
		size_t n = json_array_size(items), k, wl;
		uint8_t *want = fx_hex(v, "hex", &wl);
		uint8_t *out = malloc(wl + 64);
		long got = -1;
		int bad = n > MAX_ITEMS;

		json_array_foreach(items, k, it)
			if (!bad && item_from(it, &mi[k], &keep[k]) < 0)
				bad = 1;
		if (!bad) {
			got = mbp_encoded_size(mi, n);
			tap_eq_long(got, (long)wl, "%s: encoded size", desc);
			got = mbp_encode(mi, n, out, wl + 64);
		}
		tap_eq_bytes(out, got < 0 ? 0 : (size_t)got, want, wl,
		    "%s: encode", desc);

		meta = json_object_get(v, "meta");
		if (json_is_null(meta)) {
			tap_eq_long(mbp_decode(want, wl, &p), PROTO_EMETA,
			    "%s: no meta to decode", desc);
			tap_eq_long((long)mbp_meta_size(want, wl), 0,
			    "%s: meta size 0", desc);
		} else if (tap_eq_long(mbp_decode(want, wl, &p), 0,
		    "%s: decode", desc)) {
			json_t *m;
			int same = p.nfields == json_array_size(meta);

			json_array_foreach(meta, k, m) {
				const struct mbp_field *f = &p.fields[k];
				json_t *jn = json_array_get(m, 0);
				char name[MBP_NAME_MAX];

				if (!same)
					break;
				if (json_is_integer(jn))
					snprintf(name, sizeof(name), "%lld",
					    (long long)json_integer_value(jn));
				else
					snprintf(name, sizeof(name), "%s",
					    json_string_value(jn));
				same = strcmp(f->name, name) == 0 &&
				    strcmp(mbp_type_code(f->type), json_string_value(
				    json_array_get(m, 1))) == 0 &&
				    f->off == json_integer_value(json_array_get(m, 2)) &&
				    f->len == json_integer_value(json_array_get(m, 3));
			}
			OK(same, "%s: fields match the reference meta", desc);
			tap_eq_long((long)p.nargs, fx_int(v, "args_count"),
			    "%s: args count", desc);
			check_values(v, &p, desc);
		}
		for (k = 0; k < MAX_ITEMS; k++)
			free(keep[k]);
		free(want);
		free(out);
	}
}

/* Build data || meta || tail for hand-made malformed packs. */
static size_t
handmade(uint8_t *buf, const char *data, size_t dlen, const char *meta)
{
	size_t ml = strlen(meta);

	memcpy(buf, data, dlen);
	memcpy(buf + dlen, meta, ml);
	buf[dlen + ml] = (uint8_t)(ml >> 8);
	buf[dlen + ml + 1] = (uint8_t)ml;
	return dlen + ml + 2;
}

static void
test_malformed(void)
{
	static struct mbp_pack p;
	static const struct {
		const char *desc, *data;
		size_t dlen;
		const char *meta;
		int want;
	} cases[] = {
		{ "meta not JSON", "ab", 2, "[[\"a\",\"S\",0,2]", PROTO_EMETA },
		{ "meta not an array", "ab", 2, "{\"a\":1}", PROTO_EMETA },
		{ "first item not an array", "ab", 2, "[1,2]", PROTO_EMETA },
		{ "item of two", "ab", 2, "[[\"a\",\"S\"]]", PROTO_EMETA },
		{ "item of five", "ab", 2, "[[\"a\",\"S\",0,2,9]]", PROTO_EMETA },
		{ "unknown type", "ab", 2, "[[\"a\",\"X\",0,2]]", PROTO_ETYPE },
		{ "type too long", "ab", 2, "[[\"a\",\"SSSSSSSSS\",0,2]]", PROTO_ETYPE },
		{ "offset past data", "ab", 2, "[[\"a\",\"S\",3,0]]", PROTO_ETRUNC },
		{ "length past data", "ab", 2, "[[\"a\",\"S\",1,2]]", PROTO_ETRUNC },
		{ "negative offset", "ab", 2, "[[\"a\",\"S\",-1,1]]", PROTO_ETRUNC },
		{ "huge length", "ab", 2, "[[\"a\",\"B\",0,4294967296]]", PROTO_ETRUNC },
		{ "u32 with 2 bytes", "ab", 2, "[[\"a\",\"32\",0,4]]", PROTO_ETRUNC },
		{ "offset as string", "ab", 2, "[[\"a\",\"S\",\"0\",2]]", PROTO_EMETA },
		{ "string without length", "ab", 2, "[[\"a\",\"S\",0]]", PROTO_EMETA },
		{ "name not string", "ab", 2, "[[{},\"S\",0,2]]", PROTO_EMETA },
		{ "invalid UTF-8 string", "a\xff", 2, "[[\"a\",\"S\",0,2]]", PROTO_EUTF8 },
		{ "JSON field not JSON", "{x", 2, "[[\"a\",\"O\",0,2]]", PROTO_EMETA },
		{ "invalid UTF-8 in meta", "ab", 2, "[[\"\xc3\x28\",\"S\",0,2]]", PROTO_EMETA },
		{ "NUL in a name", "ab", 2, "[[\"a\\u0000b\",\"S\",0,2]]", PROTO_EMETA },
		{ "name too long", "ab", 2, "[[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"S\",0,2]]", PROTO_EMETA },
	};
	uint8_t buf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = handmade(buf, cases[i].data, cases[i].dlen,
		    cases[i].meta);
		tap_eq_long(mbp_decode(buf, n, &p), cases[i].want,
		    "malformed: %s", cases[i].desc);
	}
	tap_eq_long(mbp_decode(buf, 0, &p), PROTO_EMETA, "empty input");
	tap_eq_long(mbp_decode((const uint8_t *)"\x00\x01", 2, &p), PROTO_EMETA,
	    "two bytes");
	tap_eq_long(mbp_decode((const uint8_t *)"ab\x00\x00", 4, &p),
	    PROTO_EMETA, "tail of zero");
	tap_eq_long(mbp_decode((const uint8_t *)"ab\xff\xff", 4, &p),
	    PROTO_EMETA, "tail larger than the pack");
	tap_eq_long(mbp_decode((const uint8_t *)"[]\x00\x03", 4, &p),
	    PROTO_EMETA, "tail one past the start");

	/* Too many fields for the fixed table. */
	{
		char meta[8192];
		size_t pos = 0;

		pos += (size_t)snprintf(meta + pos, sizeof(meta) - pos, "[");
		for (int i = 0; i <= MBP_MAX_FIELDS; i++)
			pos += (size_t)snprintf(meta + pos, sizeof(meta) - pos,
			    "%s[\"f%d\",\"8\",0,1]", i ? "," : "", i);
		snprintf(meta + pos, sizeof(meta) - pos, "]");
		{
			uint8_t *b = malloc(strlen(meta) + 8);
			size_t n = handmade(b, "x", 1, meta);
			tap_eq_long(mbp_decode(b, n, &p), PROTO_ETOOBIG,
			    "%d fields refused", MBP_MAX_FIELDS + 1);
			free(b);
		}
	}

	/* Numbers written as text. */
	{
		static const struct { const char *txt; int ok; int64_t v; } nums[] = {
			{ "12", 1, 12 }, { " 7 ", 1, 7 }, { "-3", 1, -3 },
			{ "", 1, 0 }, { "1.5", 0, 0 }, { "abc", 0, 0 },
			{ "nan", 0, 0 }, { "1e3", 1, 1000 },
		};
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			char meta[64];
			size_t n;
			int64_t v = -1;
			int rc;

			snprintf(meta, sizeof(meta), "[[\"n\",\"N\",0,%zu]]",
			    strlen(nums[i].txt));
			n = handmade(buf, nums[i].txt, strlen(nums[i].txt), meta);
			rc = mbp_decode(buf, n, &p);
			if (rc == 0)
				rc = mbp_field_int(&p.fields[0], &v);
			OK(nums[i].ok ? (rc == 0 && v == nums[i].v) : rc < 0,
			    "N \"%s\" %s", nums[i].txt,
			    nums[i].ok ? "reads as an integer" : "is refused");
		}
	}

	/* Args stop at the first falsy value, as in JS. */
	{
		static const struct { const char *data; size_t dlen;
		    const char *meta; size_t nargs; } args[] = {
			{ "ab", 2, "[[0,\"S\",0,1],[1,\"S\",1,1]]", 2 },
			{ "a", 1, "[[0,\"S\",0,1],[1,\"S\",1,0]]", 1 },
			{ "a0", 2, "[[0,\"S\",0,1],[1,\"N\",1,1],[2,\"S\",0,1]]", 1 },
			{ "\x00", 1, "[[0,\"!\",0,1]]", 0 },
			{ "null", 4, "[[0,\"O\",0,4]]", 0 },
			{ "[]", 2, "[[0,\"O\",0,2]]", 1 },
			{ "", 0, "[[0,\"B\",0,0]]", 1 },
			{ "\x00", 1, "[[0,\"8\",0,1]]", 0 },
			{ "ab", 2, "[[\"0\",\"S\",0,1],[\"1\",\"S\",1,1]]", 2 },
			{ "ab", 2, "[[0,\"S\",0,1],[2,\"S\",1,1]]", 1 },
		};
		for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
			size_t n = handmade(buf, args[i].data, args[i].dlen,
			    args[i].meta);
			OK(mbp_decode(buf, n, &p) == 0 &&
			    p.nargs == args[i].nargs,
			    "args of %s: %zu", args[i].meta, args[i].nargs);
		}
	}
}

static void
test_encode_errors(void)
{
	struct mbp_item it[2];
	uint8_t out[64];

	it[0] = mbp_int("a", MBP_U8, 256);
	tap_eq_long(mbp_encode(it, 1, out, sizeof(out)), PROTO_EINVAL,
	    "u8 of 256 refused");
	it[0] = mbp_int("a", MBP_I16, -32769);
	tap_eq_long(mbp_encode(it, 1, out, sizeof(out)), PROTO_EINVAL,
	    "i16 of -32769 refused");
	it[0] = mbp_int("a", MBP_U32L, -1);
	tap_eq_long(mbp_encode(it, 1, out, sizeof(out)), PROTO_EINVAL,
	    "u32 of -1 refused");
	it[0] = mbp_str("name", "value");
	tap_eq_long(mbp_encode(it, 1, out, 10), PROTO_ENOSPC,
	    "short output buffer");
	it[0] = mbp_str("a\xff", "x");
	tap_eq_long(mbp_encode(it, 1, out, sizeof(out)), PROTO_EUTF8,
	    "invalid UTF-8 name refused");
	it[0] = mbp_str("q\"\\\n\x01", "x");
	{
		long n = mbp_encode(it, 1, out, sizeof(out));
		static const char want[] =
		    "x[[\"q\\\"\\\\\\n\\u0001\",\"S\",0,1]]";
		OK(n == (long)sizeof(want) - 1 + 2 &&
		    memcmp(out, want, sizeof(want) - 1) == 0,
		    "names escaped as JSON.stringify does");
	}
	it[0] = mbp_int("#hidden", MBP_U8, 1);
	it[1] = mbp_int("", MBP_U8, 2);
	tap_eq_long(mbp_encode(it, 2, out, sizeof(out)), 2,
	    "unnamed items only: raw bytes, no tail");
}

int
main(void)
{
	json_t *fx = fixture_load("mbp.json");

	test_packs(fx);
	test_malformed();
	test_encode_errors();
	json_decref(fx);
	return tap_done();
}
