/*
 * payload.c - see payload.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iosmsg.h"		/* the type bytes, from libproto */
#include "output.h"
#include "payload.h"

#define MSG_MAX		256	/* bytes of hex decoded, at most */

enum body { BODY_NONE, BODY_TEXT, BODY_JSON, BODY_HEX };

/* Each payload type as the client decodes it (IOCore.js). */
static const enum body ptype_body[] = {
	[IOS_PAYLOAD_EMPTY] = BODY_NONE,
	[IOS_PAYLOAD_TEXT] = BODY_TEXT,
	[IOS_PAYLOAD_BINARY] = BODY_HEX,
	[IOS_PAYLOAD_OBJECT] = BODY_JSON,
	[IOS_PAYLOAD_MJSON] = BODY_JSON,
	[IOS_PAYLOAD_MBA] = BODY_HEX,
};

/* The messages other than SIGNAL whose bytes after the type are text or
 * JSON (libproto/iosmsg.h, iosmsg_build_bytes); the rest show as hex. */
static const struct {
	uint8_t		type;
	enum body	body;
} msg_body[] = {
	{ IOS_CID_RES, BODY_TEXT },
	{ IOS_IAM, BODY_TEXT },
	{ IOS_CLOSE, BODY_TEXT },
	{ IOS_ECHO, BODY_TEXT },
	{ IOS_IAM_RES, BODY_JSON },
	{ IOS_SERVER_SIGNAL, BODY_JSON },
};

struct out {
	char	*buf;
	size_t	 cap, n;
};

static void
put(struct out *o, const char *s, size_t len)
{
	if (o->n + len >= o->cap)	/* whole pieces only */
		return;
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n] = '\0';
}

static void
putx(struct out *o, uint8_t b)
{
	static const char hexd[] = "0123456789abcdef";
	char x[4] = { '\\', 'x', hexd[b >> 4], hexd[b & 15] };

	put(o, x, sizeof(x));
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned b;

	for (; n < cap && hex[0] && hex[1]; hex += 2) {
		if (sscanf(hex, "%2x", &b) != 1)
			break;
		out[n++] = (uint8_t)b;
	}
	return n;
}

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629), 0 when
 * it is not one; -1 when it is the start of one that n cuts short.
 */
static int
utf8_len(const uint8_t *p, size_t n)
{
	uint8_t lo = 0x80, hi = 0xbf;
	int len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

/*
 * Text for a terminal: \n \r \t, other control characters (C0, DEL, C1)
 * and bytes that are not UTF-8 as \xNN. cut: the bytes go on past n, so
 * a sequence n cuts short is left out.
 */
static void
put_text(struct out *o, const uint8_t *p, size_t n, bool cut)
{
	static const char esc[][3] = { ['\n'] = "\\n", ['\r'] = "\\r",
	    ['\t'] = "\\t" };
	size_t i = 0;
	int len;

	while (i < n) {
		len = utf8_len(p + i, n - i);
		if (len < 0 && cut)
			break;
		if (len == 1 && p[i] < 0x20 && esc[p[i]][0])
			put(o, esc[p[i]], 2);
		else if (len <= 0 || (len == 1 && (p[i] < 0x20 ||
		    p[i] == 0x7f)) || (len == 2 && p[i] == 0xc2 &&
		    p[i + 1] <= 0x9f)) {
			for (int k = 0; k < (len == 2 ? 2 : 1); k++)
				putx(o, p[i + k]);
			len = len == 2 ? 2 : 1;
		} else
			put(o, (const char *)p + i, (size_t)len);
		i += (size_t)len;
	}
}

static void
put_hex(struct out *o, const uint8_t *p, size_t n)
{
	static const char hexd[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char x[2] = { hexd[p[i] >> 4], hexd[p[i] & 15] };

		put(o, x, 2);
	}
}

/* JSON compact, as the client's JSON.parse would have it; the text as
 * it is when it is cut short or not JSON. */
static void
put_json(struct out *o, const uint8_t *p, size_t n, bool cut)
{
	json_t *j = cut ? NULL : json_loadb((const char *)p, n,
	    JSON_DECODE_ANY, NULL);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (s)
		put_text(o, (const uint8_t *)s, strlen(s), false);
	else
		put_text(o, p, n, cut);
	free(s);
	json_decref(j);
}

char *
payload_show(char *buf, size_t cap, const json_t *ev)
{
	const json_t *hj = json_object_get(ev, "hex");
	uint8_t m[MSG_MAX];
	struct out o = { buf, cap, 0 };
	size_t n, len, at = 1, tl;
	enum body body = BODY_HEX;
	bool cut;
	char more[48];

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	n = json_is_string(hj) ? unhex(json_string_value(hj), m, sizeof(m)) :
	    0;
	len = json_is_integer(json_object_get(ev, "len")) ?
	    (size_t)json_integer_value(json_object_get(ev, "len")) : n;
	if (len < n)
		len = n;
	if (n == 0)
		return buf;
	cut = n < len;
	if (m[0] == IOS_SIGNAL || m[0] == IOS_SIGNAL_E2E) {
		/* type, tag length, tag, payload type, payload */
		tl = n > 1 ? m[1] : 0;
		at = 2 + tl + 1;
		if (!cut && len <= 2 + tl)
			body = BODY_NONE;	/* no payload type byte */
		else if (n >= at)
			body = m[0] == IOS_SIGNAL_E2E ? BODY_HEX :
			    m[at - 1] < sizeof(ptype_body) /
			    sizeof(ptype_body[0]) ? ptype_body[m[at - 1]] :
			    BODY_HEX;
	} else
		for (size_t i = 0; i < sizeof(msg_body) / sizeof(msg_body[0]);
		    i++)
			if (msg_body[i].type == m[0])
				body = msg_body[i].body;
	if (at > n)
		at = n;
	/* A TEXT payload's closing NUL, the reference's, is not shown. */
	if (body == BODY_TEXT && !cut && n > at && m[n - 1] == '\0' &&
	    (m[0] == IOS_SIGNAL))
		n--;
	switch (body) {
	case BODY_NONE:
		break;
	case BODY_TEXT:
		put_text(&o, m + at, n - at, cut);
		break;
	case BODY_JSON:
		put_json(&o, m + at, n - at, cut);
		break;
	case BODY_HEX:
		put_hex(&o, m + at, n - at);
		break;
	}
	if (cut) {
		snprintf(more, sizeof(more), "%s(+%zu bytes)", o.n ? " " : "",
		    len - n);
		/* The mark of a cut has room, whatever the payload took. */
		if (o.n + strlen(more) >= cap)
			o.n = cap > strlen(more) + 1 ? cap - strlen(more) - 1 :
			    0;
		buf[o.n] = '\0';
		put(&o, more, strlen(more));
	}
	return buf;
}

char *
payload_format(char *buf, size_t cap, uint8_t ptype, const uint8_t *p,
    size_t n)
{
	struct out o = { buf, cap, 0 };
	enum body body = ptype < sizeof(ptype_body) / sizeof(ptype_body[0]) ?
	    ptype_body[ptype] : BODY_HEX;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	/* The reference's closing NUL of a TEXT payload is not shown. */
	if (body == BODY_TEXT && n > 0 && p[n - 1] == '\0')
		n--;
	switch (body) {
	case BODY_NONE:
		break;
	case BODY_TEXT:
		put_text(&o, p, n, false);
		break;
	case BODY_JSON:
		put_json(&o, p, n, false);
		break;
	case BODY_HEX:
		put_hex(&o, p, n);
		break;
	}
	return buf;
}
