/*
 * connshow.c - see connshow.h. Text and JSON go through payload.c's
 * formatter, the one trace uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connshow.h"
#include "iosmsg.h"
#include "mbp.h"
#include "payload.h"

#define SHOW_MAX	65536	/* payload bytes shown to a person */
#define BUFFER_SHOWN	50	/* bytes of a Buffer, as Node shows it */

/* iosignal 2.2.1 src/common/quotaTable.js. */
static const struct {
	int		 level;
	const char	*json;
} quotas[] = {
	{ 0, "{\"signalSize\":1500,\"publishCounter\":10,"
	    "\"trafficRate\":10000}" },
	{ 1, "{\"signalSize\":255,\"publishCounter\":10,"
	    "\"trafficRate\":100000}" },
	{ 2, "{\"signalSize\":65535,\"publishCounter\":10,"
	    "\"trafficRate\":1048576}" },
	{ 3, "{\"signalSize\":1048576,\"publishCounter\":10,"
	    "\"trafficRate\":20971520}" },
	{ 10, "{\"signalSize\":1500,\"publishCounter\":5,"
	    "\"trafficRate\":20971520}" },
	{ 11, "{\"signalSize\":65535,\"publishCounter\":10,"
	    "\"trafficRate\":20971520}" },
	{ 12, "{\"signalSize\":1048576,\"publishCounter\":100,"
	    "\"trafficRate\":20971520}" },
	{ 200, "{\"signalSize\":20971520,\"publishCounter\":10000,"
	    "\"trafficRate\":104857600}" },
	{ 255, "{\"signalSize\":20971520,\"publishCounter\":10000,"
	    "\"trafficRate\":104857600}" },
};

const char *
connshow_quota(int level)
{
	for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++)
		if (quotas[i].level == level)
			return quotas[i].json;
	return NULL;
}

static const char *const ptype_names[] = {
	[IOS_PAYLOAD_EMPTY] = "empty",
	[IOS_PAYLOAD_TEXT] = "text",
	[IOS_PAYLOAD_BINARY] = "binary",
	[IOS_PAYLOAD_OBJECT] = "object",
	[IOS_PAYLOAD_MJSON] = "mjson",
	[IOS_PAYLOAD_MBA] = "mba",
};

char *
connshow_clean(const char *s, size_t len)
{
	size_t cap = 4 * len + 1;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	return payload_format(buf, cap, IOS_PAYLOAD_TEXT, (const uint8_t *)s,
	    len);
}

static char *
hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* <Buffer 01 02 ... 7 more bytes>, as Node's console shows a Buffer. */
static char *
buffer_text(const uint8_t *p, size_t n)
{
	size_t shown = n < BUFFER_SHOWN ? n : BUFFER_SHOWN;
	char *s = malloc(3 * shown + 48), *w = s;

	if (s == NULL)
		return NULL;
	w += sprintf(w, "<Buffer");
	for (size_t i = 0; i < shown; i++)
		w += sprintf(w, " %02x", p[i]);
	if (n > shown)
		w += sprintf(w, " ... %zu more byte%s", n - shown,
		    n - shown == 1 ? "" : "s");
	sprintf(w, ">");
	return s;
}

/* One MBA argument as a JSON value; bytes as {"hex": ...}, or for a
 * person as a "<Buffer ...>" string. */
static json_t *
mba_arg(const struct mbp_field *f, bool person)
{
	int64_t v;
	double d;
	char *s;
	json_t *j;

	switch (f->type) {
	case MBP_BYTES:
		s = person ? buffer_text(f->data, f->len) : hex(f->data, f->len);
		j = s == NULL ? json_null() : person ? json_string(s) :
		    json_pack("{s:s}", "hex", s);
		free(s);
		return j;
	case MBP_STRING:
		return json_stringn((const char *)f->data, f->len);
	case MBP_JSON:
		return json_loadb((const char *)f->data, f->len,
		    JSON_DECODE_ANY, NULL);
	case MBP_BOOL:
		return json_boolean(f->len > 0 && f->data[0] == 1);
	case MBP_F32:
	case MBP_F32L:
		return mbp_field_double(f, &d) == 0 ? json_real(d) : NULL;
	case MBP_NUMBER:
		if (mbp_field_int(f, &v) == 0)
			return json_integer(v);
		return mbp_field_double(f, &d) == 0 ? json_real(d) : NULL;
	default:
		return mbp_field_int(f, &v) == 0 ? json_integer(v) : NULL;
	}
}

static json_t *
mba_args(const struct ioc_signal *s, bool person)
{
	struct mbp_pack *pk = malloc(sizeof(*pk));
	json_t *a = NULL, *v;

	if (pk == NULL)
		return NULL;
	if (mbp_decode(s->payload, s->len, pk) == 0 &&
	    (a = json_array()) != NULL)
		for (size_t i = 0; i < pk->nargs; i++) {
			if ((v = mba_arg(pk->args[i], person)) == NULL) {
				json_decref(a);
				a = NULL;
				break;
			}
			json_array_append_new(a, v);
		}
	free(pk);
	return a;
}

char *
connshow_payload(const struct ioc_signal *s)
{
	size_t n = s->len < SHOW_MAX ? s->len : SHOW_MAX, cap;
	char *buf, *more;
	json_t *a;

	if (s->e2e) {
		if (asprintf(&buf, "(end-to-end encrypted, %zu bytes)",
		    s->len) < 0)
			return NULL;
		return buf;
	}
	if (!s->has_ptype || s->ptype == IOS_PAYLOAD_EMPTY)
		return strdup("");
	switch (s->ptype) {
	case IOS_PAYLOAD_BINARY:
		return buffer_text(s->payload, s->len);
	case IOS_PAYLOAD_MBA:
		if ((a = mba_args(s, true)) != NULL) {
			buf = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
			json_decref(a);
			if (buf == NULL)
				return NULL;
			more = connshow_clean(buf, strlen(buf));
			free(buf);
			return more;
		}
		return buffer_text(s->payload, s->len);
	case IOS_PAYLOAD_TEXT:
	case IOS_PAYLOAD_OBJECT:
	case IOS_PAYLOAD_MJSON:
		cap = 6 * n + 64;
		if ((buf = malloc(cap)) == NULL)
			return NULL;
		/* Cut short, JSON is shown as the text it is. */
		payload_format(buf, cap - 40, n < s->len ? IOS_PAYLOAD_TEXT :
		    s->ptype, s->payload, n);
		if (n < s->len)
			snprintf(buf + strlen(buf), 40, " ... (+%zu bytes)",
			    s->len - n);
		return buf;
	default:
		if ((more = buffer_text(s->payload, s->len)) == NULL)
			return NULL;
		if (asprintf(&buf, "(payload type %u) %s", s->ptype, more) < 0)
			buf = NULL;
		free(more);
		return buf;
	}
}

void
connshow_payload_json(const struct ioc_signal *s, json_t *ev)
{
	const uint8_t *p = s->payload;
	size_t n = s->len;
	json_t *data = NULL;
	char *h;

	if (s->e2e)
		json_object_set_new(ev, "type", json_string("e2e"));
	else if (!s->has_ptype)
		json_object_set_new(ev, "type", json_string("empty"));
	else if (s->ptype < sizeof(ptype_names) / sizeof(ptype_names[0]))
		json_object_set_new(ev, "type",
		    json_string(ptype_names[s->ptype]));
	else
		json_object_set_new(ev, "type", json_integer(s->ptype));
	if (!s->e2e && (!s->has_ptype || s->ptype == IOS_PAYLOAD_EMPTY)) {
		json_object_set_new(ev, "data", json_null());
		return;
	}
	if (!s->e2e)
		switch (s->ptype) {
		case IOS_PAYLOAD_TEXT:
			if (n > 0 && p[n - 1] == '\0')
				n--;
			data = json_stringn((const char *)p, n);
			break;
		case IOS_PAYLOAD_OBJECT:
		case IOS_PAYLOAD_MJSON:
			data = json_loadb((const char *)p, n, JSON_DECODE_ANY,
			    NULL);
			break;
		case IOS_PAYLOAD_MBA:
			data = mba_args(s, false);
			break;
		default:
			break;
		}
	if (data) {
		json_object_set_new(ev, "data", data);
		return;
	}
	/* Bytes: binary, E2E, or what did not decode as its type says. */
	if ((h = hex(s->payload, s->len)) == NULL)
		return;
	json_object_set_new(ev, s->e2e || s->ptype == IOS_PAYLOAD_BINARY ||
	    s->ptype > IOS_PAYLOAD_MBA ? "data" : "hex", json_string(h));
	free(h);
}
