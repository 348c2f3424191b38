/*
 * iosmsg.c - IOSignal message parsing and building.
 */
#include <string.h>

#include "iosmsg.h"
#include "proto_err.h"
#include "utf8.h"

static const char *const type_names[256] = {
	[IOS_AUTH_REQ] = "AUTH_REQ",
	[IOS_AUTH_NONCE] = "AUTH_NONCE",
	[IOS_AUTH_HMAC] = "AUTH_HMAC",
	[IOS_AUTH_ACK] = "AUTH_ACK",
	[IOS_AUTH_FAIL] = "AUTH_FAIL",
	[IOS_AUTH_EXT] = "AUTH_EXT",
	[IOS_ENC_PACK] = "ENC_PACK",
	[IOS_ENC_E2E] = "ENC_E2E",
	[IOS_ENC_488] = "ENC_488",
	[IOS_SERVER_READY] = "SERVER_READY",
	[IOS_CID_REQ] = "CID_REQ",
	[IOS_CID_RES] = "CID_RES",
	[IOS_QUOTA_LEVEL] = "QUOTA_LEVEL",
	[IOS_SERVER_CLEAR_AUTH] = "SERVER_CLEAR_AUTH",
	[IOS_SERVER_REDIRECT] = "SERVER_REDIRECT",
	[IOS_LOOP] = "LOOP",
	[IOS_ECHO] = "ECHO",
	[IOS_PING] = "PING",
	[IOS_PONG] = "PONG",
	[IOS_CLOSE] = "CLOSE",
	[IOS_SIGNAL] = "SIGNAL",
	[IOS_SIGNAL_REQ] = "SIGNAL_REQ",
	[IOS_SIGNAL_E2E] = "SIGNAL_E2E",
	[IOS_SUBSCRIBE] = "SUBSCRIBE",
	[IOS_SUBSCRIBE_REQ] = "SUBSCRIBE_REQ",
	[IOS_UNSUBSCRIBE] = "UNSUBSCRIBE",
	[IOS_SERVER_SIGNAL] = "SERVER_SIGNAL",
	[IOS_IAM] = "IAM",
	[IOS_IAM_RES] = "IAM_RES",
	[IOS_SET] = "SET",
	[IOS_RESPONSE_CODE] = "RESPONSE_CODE",
	[IOS_RESPONSE_MBP] = "RESPONSE_MBP",
	[IOS_REQUEST] = "REQUEST",
	[IOS_RESPONSE] = "RESPONSE",
	[IOS_FLOW_MODE] = "FLOW_MODE",
	[IOS_WAIT] = "WAIT",
	[IOS_RESUME] = "RESUME",
	[IOS_TIME_OUT] = "TIME_OUT",
	[IOS_OVER_SIZE] = "OVER_SIZE",
	[IOS_OVER_FLOW] = "OVER_FLOW",
};

static const char *const payload_names[] = {
	[IOS_PAYLOAD_EMPTY] = "EMPTY",
	[IOS_PAYLOAD_TEXT] = "TEXT",
	[IOS_PAYLOAD_BINARY] = "BINARY",
	[IOS_PAYLOAD_OBJECT] = "OBJECT",
	[IOS_PAYLOAD_MJSON] = "MJSON",
	[IOS_PAYLOAD_MBA] = "MBA",
};

const char *
iosmsg_name(uint8_t type)
{
	return type_names[type];
}

const char *
iosmsg_payload_name(uint8_t ptype)
{
	if (ptype >= sizeof(payload_names) / sizeof(payload_names[0]))
		return NULL;
	return payload_names[ptype];
}

bool
iosmsg_always_plain(uint8_t type)
{
	switch (type) {
	case IOS_SERVER_READY:
	case IOS_QUOTA_LEVEL:
	case IOS_SERVER_CLEAR_AUTH:
	case IOS_PING:
	case IOS_PONG:
	case IOS_ECHO:
	case IOS_OVER_SIZE:
		return true;
	default:
		/* Boho handshake messages and the ciphers themselves */
		return type >= IOS_AUTH_REQ && type <= IOS_ENC_488;
	}
}

/* ---- SIGNAL ---- */

int
iosmsg_parse_signal(const uint8_t *m, size_t len, struct ios_signal *s)
{
	size_t tl;

	if (len < 1 || (m[0] != IOS_SIGNAL && m[0] != IOS_SIGNAL_E2E))
		return PROTO_ETYPE;
	if (len < 3)
		return PROTO_ETRUNC;
	tl = m[1];
	if (len < tl + 2)
		return PROTO_ETRUNC;
	s->type = m[0];
	s->tag = m + 2;
	s->tag_len = tl;
	if (!utf8_valid(s->tag, tl))
		return PROTO_EUTF8;
	if (len == tl + 2) {
		s->has_ptype = false;
		s->ptype = 0;
		s->payload = m + len;
		s->payload_len = 0;
	} else {
		s->has_ptype = true;
		s->ptype = m[tl + 2];
		s->payload = m + tl + 3;
		s->payload_len = len - tl - 3;
	}
	return 0;
}

long
iosmsg_build_signal(uint8_t type, const void *tag, size_t tag_len, int ptype,
    const void *payload, size_t plen, uint8_t *out, size_t cap)
{
	size_t need;

	if (tag_len > IOS_TAG_MAX || ptype > 255 ||
	    (ptype < 0 && plen > 0))
		return PROTO_EINVAL;
	need = 2 + tag_len + (ptype >= 0 ? 1 + plen : 0);
	if (need > cap)
		return PROTO_ENOSPC;
	out[0] = type;
	out[1] = (uint8_t)tag_len;
	if (tag_len)
		memcpy(out + 2, tag, tag_len);
	if (ptype >= 0) {
		out[2 + tag_len] = (uint8_t)ptype;
		if (plen)
			memcpy(out + 3 + tag_len, payload, plen);
	}
	return (long)need;
}

long
iosmsg_build_text_signal(const char *tag, const char *text, uint8_t *out,
    size_t cap)
{
	size_t tl = strlen(tag), xl = strlen(text);
	long n;

	/* The text and the terminating NUL make the payload. */
	n = iosmsg_build_signal(IOS_SIGNAL, tag, tl, IOS_PAYLOAD_TEXT, text,
	    xl + 1, out, cap);
	return n;
}

long
iosmsg_rewrite_tag_size(const uint8_t *m, size_t len, size_t tag_len)
{
	if (len < 2 || len < (size_t)m[1] + 2)
		return PROTO_ETRUNC;
	if (tag_len > IOS_TAG_MAX)
		return PROTO_EINVAL;
	return (long)(len - m[1] + tag_len);
}

long
iosmsg_rewrite_tag(const uint8_t *m, size_t len, const void *tag,
    size_t tag_len, uint8_t *out, size_t cap)
{
	long need = iosmsg_rewrite_tag_size(m, len, tag_len);
	size_t old;

	if (need < 0)
		return need;
	if ((size_t)need > cap)
		return PROTO_ENOSPC;
	old = m[1];
	out[0] = m[0];
	out[1] = (uint8_t)tag_len;
	memmove(out + 2 + tag_len, m + 2 + old, len - 2 - old);
	if (tag_len)
		memcpy(out + 2, tag, tag_len);
	return need;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE / SUBSCRIBE_REQ ---- */

/* type tagLen tags, with exactly tagLen bytes of UTF-8 after the header. */
static int
parse_taglist8(uint8_t type, const uint8_t *m, size_t len,
    struct ios_taglist *t)
{
	if (len < 1 || m[0] != type)
		return PROTO_ETYPE;
	if (len < 3)
		return PROTO_ETRUNC;
	if (len != (size_t)m[1] + 2)
		return PROTO_ELEN;
	t->tags = m + 2;
	t->len = m[1];
	t->all = false;
	if (!utf8_valid(t->tags, t->len))
		return PROTO_EUTF8;
	return 0;
}

int
iosmsg_parse_subscribe(const uint8_t *m, size_t len, struct ios_taglist *t)
{
	return parse_taglist8(IOS_SUBSCRIBE, m, len, t);
}

int
iosmsg_parse_unsubscribe(const uint8_t *m, size_t len, struct ios_taglist *t)
{
	if (len == 2 && m[0] == IOS_UNSUBSCRIBE) {
		/* "d5 xx": every channel, whatever the second byte. */
		t->tags = m + 2;
		t->len = 0;
		t->all = true;
		return 0;
	}
	return parse_taglist8(IOS_UNSUBSCRIBE, m, len, t);
}

long
iosmsg_build_subscribe(uint8_t type, const void *tags, size_t len,
    uint8_t *out, size_t cap)
{
	if (len > IOS_TAG_MAX)
		return PROTO_EINVAL;
	if (cap < len + 2)
		return PROTO_ENOSPC;
	out[0] = type;
	out[1] = (uint8_t)len;
	if (len)
		memcpy(out + 2, tags, len);
	return (long)(len + 2);
}

int
iosmsg_parse_subscribe_req(const uint8_t *m, size_t len, uint16_t *mid,
    struct ios_taglist *t)
{
	size_t tl;

	if (len < 1 || m[0] != IOS_SUBSCRIBE_REQ)
		return PROTO_ETYPE;
	if (len < 6)
		return PROTO_ETRUNC;
	*mid = (uint16_t)(m[1] << 8 | m[2]);
	tl = (size_t)m[3] << 8 | m[4];
	if (len != tl + 5)
		return PROTO_ELEN;
	t->tags = m + 5;
	t->len = tl;
	t->all = false;
	if (!utf8_valid(t->tags, t->len))
		return PROTO_EUTF8;
	return 0;
}

long
iosmsg_build_subscribe_req(uint16_t mid, const void *tags, size_t len,
    uint8_t *out, size_t cap)
{
	if (len > 0xFFFF)
		return PROTO_EINVAL;
	if (cap < len + 5)
		return PROTO_ENOSPC;
	out[0] = IOS_SUBSCRIBE_REQ;
	out[1] = (uint8_t)(mid >> 8);
	out[2] = (uint8_t)mid;
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	if (len)
		memcpy(out + 5, tags, len);
	return (long)(len + 5);
}

bool
iosmsg_taglist_next(const struct ios_taglist *t, size_t *pos,
    const uint8_t **tag, size_t *tag_len)
{
	const uint8_t *comma;
	size_t p = *pos;

	/* One past the end marks "done"; an empty list is one empty tag,
	 * as "".split(',') is [""]. */
	if (p > t->len)
		return false;
	comma = p < t->len ? memchr(t->tags + p, ',', t->len - p) : NULL;
	*tag = t->tags + p;
	if (comma) {
		*tag_len = (size_t)(comma - (t->tags + p));
		*pos = p + *tag_len + 1;
	} else {
		*tag_len = t->len - p;
		*pos = t->len + 1;
	}
	return true;
}

/* ---- REQUEST / RESPONSE_MBP ---- */

static int
string_field(const struct mbp_pack *p, const char *name, const uint8_t **s,
    size_t *len)
{
	const struct mbp_field *f = mbp_get(p, name);

	if (f == NULL || f->type != MBP_STRING || f->len == 0)
		return PROTO_EMETA;
	*s = f->data;
	*len = f->len;
	return 0;
}

int
iosmsg_parse_request(const uint8_t *m, size_t len, struct ios_request *r)
{
	const struct mbp_field *f;
	int64_t v;
	int rc;

	if (len < 1 || m[0] != IOS_REQUEST)
		return PROTO_ETYPE;
	rc = mbp_decode(m, len, &r->pack);
	if (rc < 0)
		return rc;
	f = mbp_get(&r->pack, "mid");
	if (f == NULL || mbp_field_int(f, &v) < 0 || v < 0 || v > 0xFFFF)
		return PROTO_EMETA;
	r->mid = (uint16_t)v;
	rc = string_field(&r->pack, "target", &r->target, &r->target_len);
	if (rc == 0)
		rc = string_field(&r->pack, "topic", &r->topic, &r->topic_len);
	return rc;
}

long
iosmsg_build_response(uint8_t status, uint16_t mid, enum mbp_type body_type,
    const void *body, size_t body_len, uint8_t *out, size_t cap)
{
	struct mbp_item it[4] = {
		mbp_int("#type", MBP_U8, IOS_RESPONSE_MBP),
		mbp_int("status", MBP_U8, status),
		mbp_int("mid", MBP_U16, mid),
	};
	size_t n = 3;

	if (body != NULL) {
		switch (body_type) {
		case MBP_BYTES:
		case MBP_STRING:
		case MBP_NUMBER:
		case MBP_JSON:
			break;
		default:
			return PROTO_EINVAL;
		}
		it[n++] = mbp_bytes("body", body_type, body, body_len);
	}
	return mbp_encode(it, n, out, cap);
}

int
iosmsg_parse_response(const uint8_t *m, size_t len, struct ios_response *r)
{
	const struct mbp_field *f;
	int64_t v;
	int rc;

	if (len < 1 || m[0] != IOS_RESPONSE_MBP)
		return PROTO_ETYPE;
	rc = mbp_decode(m, len, &r->pack);
	if (rc < 0)
		return rc;
	f = mbp_get(&r->pack, "status");
	if (f == NULL || mbp_field_int(f, &v) < 0 || v < 0 || v > 255)
		return PROTO_EMETA;
	r->status = (uint8_t)v;
	f = mbp_get(&r->pack, "mid");
	if (f == NULL || mbp_field_int(f, &v) < 0 || v < 0 || v > 0xFFFF)
		return PROTO_EMETA;
	r->mid = (uint16_t)v;
	r->body = mbp_get(&r->pack, "body");
	return 0;
}

/* ---- one type byte + bytes ---- */

long
iosmsg_build_bytes(uint8_t type, const void *data, size_t len, uint8_t *out,
    size_t cap)
{
	if (cap < len + 1)
		return PROTO_ENOSPC;
	out[0] = type;
	if (len)
		memcpy(out + 1, data, len);
	return (long)(len + 1);
}

long
iosmsg_build_quota_level(uint8_t level, uint8_t *out, size_t cap)
{
	return iosmsg_build_bytes(IOS_QUOTA_LEVEL, &level, 1, out, cap);
}
