/*
 * mbp.c - meta-buffer-pack encode and decode.
 *
 * Decoding is stricter than the reference: a field outside the data area,
 * an unknown type code or undecodable text fails the whole pack instead of
 * being skipped, because a well-formed pack never contains one.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mbp.h"
#include "proto_err.h"
#include "utf8.h"

static const char *const type_codes[MBP_TYPE_COUNT] = {
	[MBP_U8] = "8", [MBP_I8] = "I8",
	[MBP_U16] = "16", [MBP_U16L] = "16L",
	[MBP_I16] = "I16", [MBP_I16L] = "I16L",
	[MBP_U32] = "32", [MBP_U32L] = "32L",
	[MBP_I32] = "I32", [MBP_I32L] = "I32L",
	[MBP_F32] = "F", [MBP_F32L] = "FL",
	[MBP_BYTES] = "B", [MBP_STRING] = "S", [MBP_NUMBER] = "N",
	[MBP_JSON] = "O", [MBP_BOOL] = "!",
};

const char *
mbp_type_code(enum mbp_type t)
{
	if ((unsigned)t >= MBP_TYPE_COUNT)
		return "?";
	return type_codes[t];
}

size_t
mbp_type_width(enum mbp_type t)
{
	switch (t) {
	case MBP_U8: case MBP_I8: case MBP_BOOL:
		return 1;
	case MBP_U16: case MBP_U16L: case MBP_I16: case MBP_I16L:
		return 2;
	case MBP_U32: case MBP_U32L: case MBP_I32: case MBP_I32L:
	case MBP_F32: case MBP_F32L:
		return 4;
	default:
		return 0;
	}
}

int
mbp_type_parse(const char *code, size_t len, enum mbp_type *t)
{
	char up[MBP_TYPE_MAX];
	bool i, l;

	if (len == 0 || len >= sizeof(up))
		return PROTO_ETYPE;
	for (size_t k = 0; k < len; k++) {
		if (code[k] == '\0')
			return PROTO_ETYPE;
		up[k] = (char)toupper((unsigned char)code[k]);
	}
	up[len] = '\0';
	i = strchr(up, 'I') != NULL;
	l = strchr(up, 'L') != NULL;
	/* The reference tests substrings in exactly this order. */
	if (strchr(up, '8'))
		*t = i ? MBP_I8 : MBP_U8;
	else if (strstr(up, "16"))
		*t = i ? (l ? MBP_I16L : MBP_I16) : (l ? MBP_U16L : MBP_U16);
	else if (strstr(up, "32"))
		*t = i ? (l ? MBP_I32L : MBP_I32) : (l ? MBP_U32L : MBP_U32);
	else if (strchr(up, 'F'))
		*t = l ? MBP_F32L : MBP_F32;
	else if (strcmp(up, "B") == 0)
		*t = MBP_BYTES;
	else if (strcmp(up, "S") == 0)
		*t = MBP_STRING;
	else if (strcmp(up, "N") == 0)
		*t = MBP_NUMBER;
	else if (strcmp(up, "O") == 0)
		*t = MBP_JSON;
	else if (strcmp(up, "!") == 0)
		*t = MBP_BOOL;
	else
		return PROTO_ETYPE;
	return 0;
}

struct mbp_item
mbp_int(const char *name, enum mbp_type t, int64_t v)
{
	struct mbp_item it = { .name = name, .index = -1, .type = t,
	    .num = v };
	return it;
}

struct mbp_item
mbp_bytes(const char *name, enum mbp_type t, const void *data, size_t len)
{
	struct mbp_item it = { .name = name, .index = -1, .type = t,
	    .data = data, .len = len };
	return it;
}

struct mbp_item
mbp_str(const char *name, const char *s)
{
	return mbp_bytes(name, MBP_STRING, s, strlen(s));
}

/* ---- encoding ---- */

static bool
item_named(const struct mbp_item *it)
{
	if (it->index >= 0)
		return true;
	return it->name != NULL && it->name[0] != '\0' &&
	    strchr(it->name, '#') == NULL;
}

/* Bytes of an item's value, written to out when out != NULL. */
static long
item_value(const struct mbp_item *it, uint8_t *out)
{
	uint8_t b[4];
	size_t w = mbp_type_width(it->type);
	int64_t v = it->num;
	bool le = false;

	switch (it->type) {
	case MBP_U8:
		if (v < 0 || v > 0xFF)
			return PROTO_EINVAL;
		break;
	case MBP_I8:
		if (v < -128 || v > 127)
			return PROTO_EINVAL;
		break;
	case MBP_U16L:
		le = true;
		/* FALLTHROUGH */
	case MBP_U16:
		if (v < 0 || v > 0xFFFF)
			return PROTO_EINVAL;
		break;
	case MBP_I16L:
		le = true;
		/* FALLTHROUGH */
	case MBP_I16:
		if (v < -32768 || v > 32767)
			return PROTO_EINVAL;
		break;
	case MBP_U32L:
		le = true;
		/* FALLTHROUGH */
	case MBP_U32:
		if (v < 0 || v > 0xFFFFFFFFLL)
			return PROTO_EINVAL;
		break;
	case MBP_I32L:
		le = true;
		/* FALLTHROUGH */
	case MBP_I32:
		if (v < -2147483648LL || v > 2147483647LL)
			return PROTO_EINVAL;
		break;
	case MBP_F32L:
		le = true;
		/* FALLTHROUGH */
	case MBP_F32: {
		float f = (float)it->fnum;
		uint32_t u;

		memcpy(&u, &f, 4);
		v = u;
		break;
	}
	case MBP_BOOL:
		if (out)
			out[0] = it->flag ? 1 : 0;
		return 1;
	case MBP_NUMBER:
		if (it->data == NULL) {
			char tmp[24];
			int n = snprintf(tmp, sizeof(tmp), "%lld",
			    (long long)it->num);

			if (out)
				memcpy(out, tmp, (size_t)n);
			return n;
		}
		/* caller-formatted number text: copied like bytes */
		/* FALLTHROUGH */
	case MBP_BYTES:
	case MBP_STRING:
	case MBP_JSON:
		if (it->len > 0 && it->data == NULL)
			return PROTO_EINVAL;
		if (out && it->len)
			memcpy(out, it->data, it->len);
		return (long)it->len;
	default:
		return PROTO_ETYPE;
	}
	for (size_t k = 0; k < w; k++) {
		size_t shift = le ? 8 * k : 8 * (w - 1 - k);
		b[k] = (uint8_t)((uint64_t)v >> shift);
	}
	if (out)
		memcpy(out, b, w);
	return (long)w;
}

/* Append a JSON string the way JSON.stringify writes it. */
static long
json_put_string(const uint8_t *s, size_t len, uint8_t *out)
{
	static const char hex[] = "0123456789abcdef";
	long n = 0;

	if (!utf8_valid(s, len))
		return PROTO_EUTF8;
#define PUT(c) do { if (out) out[n] = (uint8_t)(c); n++; } while (0)
	PUT('"');
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];

		switch (c) {
		case '"': PUT('\\'); PUT('"'); break;
		case '\\': PUT('\\'); PUT('\\'); break;
		case '\b': PUT('\\'); PUT('b'); break;
		case '\f': PUT('\\'); PUT('f'); break;
		case '\n': PUT('\\'); PUT('n'); break;
		case '\r': PUT('\\'); PUT('r'); break;
		case '\t': PUT('\\'); PUT('t'); break;
		default:
			if (c < 0x20) {
				PUT('\\'); PUT('u'); PUT('0'); PUT('0');
				PUT(hex[c >> 4]); PUT(hex[c & 15]);
			} else
				PUT(c);
		}
	}
	PUT('"');
#undef PUT
	return n;
}

static long
put_text(const char *s, uint8_t *out)
{
	size_t n = strlen(s);

	if (out)
		memcpy(out, s, n);
	return (long)n;
}

/* The meta JSON for items, written to out when out != NULL. */
static long
meta_json(const struct mbp_item *items, size_t n, uint8_t *out)
{
	long pos = 0, r;
	size_t off = 0;
	bool first = true;
	char num[64];

	pos += put_text("[", out ? out + pos : NULL);
	for (size_t i = 0; i < n; i++) {
		long vlen = item_value(&items[i], NULL);

		if (vlen < 0)
			return vlen;
		if (item_named(&items[i])) {
			if (!first)
				pos += put_text(",", out ? out + pos : NULL);
			first = false;
			pos += put_text("[", out ? out + pos : NULL);
			if (items[i].index >= 0) {
				snprintf(num, sizeof(num), "%d", items[i].index);
				pos += put_text(num, out ? out + pos : NULL);
			} else {
				r = json_put_string((const uint8_t *)items[i].name,
				    strlen(items[i].name), out ? out + pos : NULL);
				if (r < 0)
					return r;
				pos += r;
			}
			snprintf(num, sizeof(num), ",\"%s\",%zu,%ld]",
			    mbp_type_code(items[i].type), off, vlen);
			pos += put_text(num, out ? out + pos : NULL);
		}
		off += (size_t)vlen;
	}
	if (first)
		return 0;	/* nothing named: no meta, no tail */
	pos += put_text("]", out ? out + pos : NULL);
	return pos;
}

long
mbp_encoded_size(const struct mbp_item *items, size_t n)
{
	long total = 0, m;

	for (size_t i = 0; i < n; i++) {
		long v = item_value(&items[i], NULL);

		if (v < 0)
			return v;
		total += v;
	}
	m = meta_json(items, n, NULL);
	if (m < 0)
		return m;
	if (m > 0xFFFF)
		return PROTO_EINVAL;
	return m ? total + m + 2 : total;
}

long
mbp_encode(const struct mbp_item *items, size_t n, uint8_t *out, size_t cap)
{
	long size = mbp_encoded_size(items, n), pos = 0, m;

	if (size < 0)
		return size;
	if ((size_t)size > cap)
		return PROTO_ENOSPC;
	for (size_t i = 0; i < n; i++)
		pos += item_value(&items[i], out + pos);
	m = meta_json(items, n, out + pos);
	if (m > 0) {
		pos += m;
		out[pos++] = (uint8_t)(m >> 8);
		out[pos++] = (uint8_t)m;
	}
	return pos;
}

/* ---- decoding ---- */

static json_t *
meta_load(const uint8_t *buf, size_t len, size_t *tail)
{
	size_t t;
	json_t *meta, *first;

	if (len <= 2)
		return NULL;
	t = ((size_t)buf[len - 2] << 8) | buf[len - 1];
	if (t == 0 || t > len - 2)
		return NULL;
	meta = json_loadb((const char *)buf + len - 2 - t, t, 0, NULL);
	if (meta == NULL)
		return NULL;
	/* The reference's shape test: an array whose first item is an array
	 * of at least 3 with a string type and a numeric offset. */
	first = json_array_get(meta, 0);
	if (!json_is_array(meta) || !json_is_array(first) ||
	    json_array_size(first) < 3 ||
	    !json_is_string(json_array_get(first, 1)) ||
	    !json_is_number(json_array_get(first, 2))) {
		json_decref(meta);
		return NULL;
	}
	*tail = t;
	return meta;
}

size_t
mbp_meta_size(const uint8_t *buf, size_t len)
{
	size_t t = 0;
	json_t *meta = meta_load(buf, len, &t);

	if (meta == NULL)
		return 0;
	json_decref(meta);
	return t;
}

/* A JS array index written as a string ("0", "12"; not "01"). */
static int
index_name(const char *s)
{
	long v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}

static bool
json_text_valid(const uint8_t *s, size_t len)
{
	json_t *j = json_loadb((const char *)s, len, JSON_DECODE_ANY, NULL);

	if (j == NULL)
		return false;
	json_decref(j);
	return true;
}

static int
field_load(json_t *e, size_t data_len, const uint8_t *buf,
    struct mbp_field *f)
{
	json_t *jn = json_array_get(e, 0), *jt = json_array_get(e, 1);
	json_t *jo = json_array_get(e, 2), *jl = json_array_get(e, 3);
	size_t w, flen;
	json_int_t off;
	int rc;

	if (!json_is_array(e) || json_array_size(e) < 3 ||
	    json_array_size(e) > 4 || !json_is_string(jt) ||
	    !json_is_integer(jo))
		return PROTO_EMETA;
	if (json_is_integer(jn)) {
		json_int_t v = json_integer_value(jn);

		if (v < 0 || v > 100000000)
			return PROTO_EMETA;
		f->index = (int)v;
		snprintf(f->name, sizeof(f->name), "%d", f->index);
	} else if (json_is_string(jn)) {
		if (json_string_length(jn) >= sizeof(f->name) ||
		    strlen(json_string_value(jn)) != json_string_length(jn))
			return PROTO_EMETA;
		memcpy(f->name, json_string_value(jn),
		    json_string_length(jn) + 1);
		f->index = index_name(f->name);
	} else
		return PROTO_EMETA;
	rc = mbp_type_parse(json_string_value(jt), json_string_length(jt),
	    &f->type);
	if (rc < 0)
		return rc;
	off = json_integer_value(jo);
	w = mbp_type_width(f->type);
	if (w) {
		flen = w;
		if (jl && !json_is_integer(jl))
			return PROTO_EMETA;
	} else {
		if (!json_is_integer(jl) || json_integer_value(jl) < 0)
			return PROTO_EMETA;
		flen = (size_t)json_integer_value(jl);
	}
	if (off < 0 || (size_t)off > data_len || flen > data_len - (size_t)off)
		return PROTO_ETRUNC;
	f->off = (uint32_t)off;
	f->len = (uint32_t)flen;
	f->data = buf + off;
	switch (f->type) {
	case MBP_STRING:
	case MBP_NUMBER:
		if (!utf8_valid(f->data, f->len))
			return PROTO_EUTF8;
		break;
	case MBP_JSON:
		if (!utf8_valid(f->data, f->len))
			return PROTO_EUTF8;
		if (!json_text_valid(f->data, f->len))
			return PROTO_EMETA;
		break;
	default:
		break;
	}
	return 0;
}

int
mbp_decode(const uint8_t *buf, size_t len, struct mbp_pack *out)
{
	size_t tail = 0, n;
	json_t *meta;
	int rc = 0;

	out->nfields = out->nargs = out->data_len = 0;
	meta = meta_load(buf, len, &tail);
	if (meta == NULL)
		return PROTO_EMETA;
	n = json_array_size(meta);
	if (n > MBP_MAX_FIELDS) {
		json_decref(meta);
		return PROTO_ETOOBIG;
	}
	out->data_len = len - 2 - tail;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = field_load(json_array_get(meta, i), out->data_len, buf,
		    &out->fields[i]);
	json_decref(meta);
	if (rc < 0)
		return rc;
	out->nfields = n;
	/* args: 0, 1, ... up to the first missing or falsy one. */
	for (;;) {
		const struct mbp_field *a = NULL;

		for (size_t i = 0; i < n; i++)
			if (out->fields[i].index == (int)out->nargs)
				a = &out->fields[i];	/* the last one wins */
		if (a == NULL || !mbp_field_truthy(a))
			break;
		out->args[out->nargs++] = a;
	}
	return 0;
}

const struct mbp_field *
mbp_get(const struct mbp_pack *p, const char *name)
{
	const struct mbp_field *f = NULL;

	for (size_t i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i].name, name) == 0)
			f = &p->fields[i];
	return f;
}

static uint64_t
read_uint(const uint8_t *d, size_t w, bool le)
{
	uint64_t v = 0;

	for (size_t k = 0; k < w; k++)
		v |= (uint64_t)d[k] << (le ? 8 * k : 8 * (w - 1 - k));
	return v;
}

/* Number(text) of JavaScript, close enough for numbers a client sends. */
static int
number_text(const uint8_t *d, size_t len, double *v)
{
	char tmp[128], *end;
	size_t a = 0, b = len;

	while (a < b && isspace(d[a]))
		a++;
	while (b > a && isspace(d[b - 1]))
		b--;
	if (a == b) {
		*v = 0;
		return 0;
	}
	if (b - a >= sizeof(tmp))
		return PROTO_ETYPE;
	memcpy(tmp, d + a, b - a);
	tmp[b - a] = '\0';
	if (strcmp(tmp, "Infinity") == 0 || strcmp(tmp, "+Infinity") == 0) {
		*v = INFINITY;
		return 0;
	}
	if (strcmp(tmp, "-Infinity") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (strpbrk(tmp, "nNiI") != NULL)	/* no nan/inf spellings */
		return PROTO_ETYPE;
	*v = strtod(tmp, &end);
	if (*end != '\0')
		return PROTO_ETYPE;
	return 0;
}

int
mbp_field_double(const struct mbp_field *f, double *v)
{
	uint32_t u;
	float fl;

	switch (f->type) {
	case MBP_U8: *v = f->data[0]; return 0;
	case MBP_I8: *v = (int8_t)f->data[0]; return 0;
	case MBP_U16: *v = (double)read_uint(f->data, 2, false); return 0;
	case MBP_U16L: *v = (double)read_uint(f->data, 2, true); return 0;
	case MBP_I16: *v = (int16_t)read_uint(f->data, 2, false); return 0;
	case MBP_I16L: *v = (int16_t)read_uint(f->data, 2, true); return 0;
	case MBP_U32: *v = (double)read_uint(f->data, 4, false); return 0;
	case MBP_U32L: *v = (double)read_uint(f->data, 4, true); return 0;
	case MBP_I32: *v = (int32_t)read_uint(f->data, 4, false); return 0;
	case MBP_I32L: *v = (int32_t)read_uint(f->data, 4, true); return 0;
	case MBP_F32:
	case MBP_F32L:
		u = (uint32_t)read_uint(f->data, 4, f->type == MBP_F32L);
		memcpy(&fl, &u, 4);
		*v = fl;
		return 0;
	case MBP_NUMBER:
		return number_text(f->data, f->len, v);
	default:
		return PROTO_ETYPE;
	}
}

int
mbp_field_int(const struct mbp_field *f, int64_t *v)
{
	double d;
	int rc;

	if (f->type == MBP_F32 || f->type == MBP_F32L)
		return PROTO_ETYPE;
	rc = mbp_field_double(f, &d);
	if (rc < 0)
		return rc;
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) ||
	    d != floor(d))
		return PROTO_ETYPE;
	*v = (int64_t)d;
	return 0;
}

bool
mbp_field_truthy(const struct mbp_field *f)
{
	double d;
	json_t *j;
	bool t;

	switch (f->type) {
	case MBP_BYTES:
		return true;	/* a Buffer object, even empty */
	case MBP_STRING:
		return f->len > 0;
	case MBP_BOOL:
		return (int8_t)f->data[0] == 1;
	case MBP_JSON:
		j = json_loadb((const char *)f->data, f->len, JSON_DECODE_ANY,
		    NULL);
		if (j == NULL)
			return false;
		if (json_is_null(j) || json_is_false(j))
			t = false;
		else if (json_is_integer(j))
			t = json_integer_value(j) != 0;
		else if (json_is_real(j))
			t = json_real_value(j) != 0;
		else if (json_is_string(j))
			t = json_string_length(j) > 0;
		else
			t = true;
		json_decref(j);
		return t;
	default:
		if (mbp_field_double(f, &d) < 0)
			return false;	/* NaN */
		return d != 0 && !isnan(d);
	}
}
