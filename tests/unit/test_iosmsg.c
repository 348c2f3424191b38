/*
 * test_iosmsg.c - IOSignal messages against bytes captured from the real
 * iosignal 2.2.1 client and server code, and on malformed messages.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "proto.h"
#include "tap.h"

static uint8_t out[1 << 16];

static void
test_names(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "names"), i, v)
		tap_eq_str(iosmsg_name((uint8_t)fx_int(v, "type")),
		    fx_str(v, "name"), "name of 0x%02llx", fx_int(v, "type"));
	json_array_foreach(json_object_get(fx, "payload_names"), i, v)
		tap_eq_str(iosmsg_payload_name((uint8_t)fx_int(v, "ptype")),
		    fx_str(v, "name"), "payload type %lld", fx_int(v, "ptype"));
	OK(iosmsg_name(0x00) == NULL && iosmsg_name(0x41) == NULL &&
	    iosmsg_name(0xA0) == NULL, "text range and gaps have no name");
	OK(iosmsg_payload_name(6) == NULL, "payload type 6 has no name");
}

static void
test_signals(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "signals"), i, v) {
		const char *desc = fx_str(v, "desc");
		size_t ml, tl, pl;
		uint8_t *m = fx_hex(v, "hex", &ml);
		uint8_t *tag = fx_hex(v, "tag_hex", &tl);
		uint8_t *pay = json_object_get(v, "payload_hex") ?
		    fx_hex(v, "payload_hex", &pl) : (pl = 0, calloc(1, 1));
		int has = fx_bool(v, "has_ptype");
		struct ios_signal s;
		long n;

		OK(iosmsg_parse_signal(m, ml, &s) == 0 &&
		    s.type == fx_int(v, "type") && s.tag_len == tl &&
		    memcmp(s.tag, tag, tl) == 0 && s.has_ptype == has &&
		    (!has || s.ptype == fx_int(v, "ptype")) &&
		    s.payload_len == pl && memcmp(s.payload, pay, pl) == 0,
		    "signal %s: parse", desc);
		n = iosmsg_build_signal((uint8_t)fx_int(v, "type"), tag, tl,
		    has ? (int)fx_int(v, "ptype") : -1, pay, pl, out,
		    sizeof(out));
		tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml,
		    "signal %s: build", desc);
		free(m);
		free(tag);
		free(pay);
	}
}

static void
check_taglist(const struct ios_taglist *t, json_t *v, const char *what)
{
	size_t wl;
	uint8_t *want = fx_hex(v, "tags_hex", &wl);

	tap_eq_bytes(t->tags, t->len, want, wl, "%s: tags", what);
	free(want);
}

static void
test_request(json_t *v, const uint8_t *m, size_t ml, const char *desc)
{
	static struct ios_request r;
	size_t k;
	json_t *a;
	int same = 1;

	if (!tap_eq_long(iosmsg_parse_request(m, ml, &r), 0,
	    "request %s: parse", desc))
		return;
	tap_eq_long(r.mid, fx_int(v, "mid"), "request %s: mid", desc);
	OK(r.target_len == strlen(fx_str(v, "target")) &&
	    memcmp(r.target, fx_str(v, "target"), r.target_len) == 0 &&
	    r.topic_len == strlen(fx_str(v, "topic")) &&
	    memcmp(r.topic, fx_str(v, "topic"), r.topic_len) == 0,
	    "request %s: target and topic", desc);
	json_array_foreach(json_object_get(v, "args"), k, a) {
		char name[32];
		const struct mbp_field *f;
		size_t al;
		uint8_t *want = fx_hex(a, "hex", &al);

		snprintf(name, sizeof(name), "%zu", k);
		f = mbp_get(&r.pack, name);
		if (f == NULL || f->len != al || memcmp(f->data, want, al) ||
		    strcmp(mbp_type_code(f->type), fx_str(a, "type")))
			same = 0;
		free(want);
	}
	OK(same, "request %s: %zu args, types and bytes", desc,
	    json_array_size(json_object_get(v, "args")));
	OK(r.pack.nargs <= json_array_size(json_object_get(v, "args")),
	    "request %s: args list", desc);
}

static void
test_response(json_t *v, const uint8_t *m, size_t ml, const char *desc)
{
	static struct ios_response r;
	json_t *body = json_object_get(v, "body");
	enum mbp_type bt = MBP_BYTES;
	uint8_t *bb = NULL;
	size_t bl = 0;
	long n;

	if (json_is_object(body)) {
		const char *t = fx_str(body, "type");
		mbp_type_parse(t, strlen(t), &bt);
		bb = fx_hex(body, "hex", &bl);
	}
	n = iosmsg_build_response((uint8_t)fx_int(v, "status"),
	    (uint16_t)fx_int(v, "mid"), bt, bb, bl, out, sizeof(out));
	tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml, "response %s: build",
	    desc);
	OK(iosmsg_parse_response(m, ml, &r) == 0 &&
	    r.status == fx_int(v, "status") && r.mid == fx_int(v, "mid") &&
	    (bb == NULL ? r.body == NULL : (r.body != NULL &&
	    r.body->type == bt && r.body->len == bl &&
	    memcmp(r.body->data, bb, bl) == 0)),
	    "response %s: parse", desc);
	free(bb);
}

static void
test_messages(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "messages"), i, v) {
		const char *kind = fx_str(v, "kind"), *desc = fx_str(v, "desc");
		size_t ml;
		uint8_t *m = fx_hex(v, "hex", &ml);
		struct ios_taglist t;
		uint16_t mid;
		long n;

		if (strcmp(kind, "subscribe") == 0) {
			OK(iosmsg_parse_subscribe(m, ml, &t) == 0 && !t.all,
			    "%s: parse", desc);
			check_taglist(&t, v, desc);
			n = iosmsg_build_subscribe(IOS_SUBSCRIBE, t.tags, t.len,
			    out, sizeof(out));
			tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml,
			    "%s: build", desc);
		} else if (strcmp(kind, "unsubscribe") == 0) {
			OK(iosmsg_parse_unsubscribe(m, ml, &t) == 0 &&
			    t.all == fx_bool(v, "all"), "%s: parse", desc);
			if (!t.all)
				check_taglist(&t, v, desc);
		} else if (strcmp(kind, "subscribe_req") == 0) {
			OK(iosmsg_parse_subscribe_req(m, ml, &mid, &t) == 0 &&
			    mid == fx_int(v, "mid"), "%s: parse", desc);
			check_taglist(&t, v, desc);
			n = iosmsg_build_subscribe_req(mid, t.tags, t.len, out,
			    sizeof(out));
			tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml,
			    "%s: build", desc);
		} else if (strcmp(kind, "request") == 0) {
			test_request(v, m, ml, desc);
		} else if (strcmp(kind, "response") == 0) {
			test_response(v, m, ml, desc);
		} else if (strcmp(kind, "bytes") == 0) {
			size_t dl;
			uint8_t *d = fx_hex(v, "data_hex", &dl);

			n = iosmsg_build_bytes((uint8_t)fx_int(v, "type"), d, dl,
			    out, sizeof(out));
			tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml,
			    "%s: build", desc);
			free(d);
		} else if (strcmp(kind, "quota_level") == 0) {
			n = iosmsg_build_quota_level((uint8_t)fx_int(v, "level"),
			    out, sizeof(out));
			tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, m, ml,
			    "%s: build", desc);
		} else
			OK(0, "unknown fixture kind %s", kind);
		free(m);
	}
}

static void
test_rewrites(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "rewrites"), i, v) {
		size_t il, tl, ol;
		uint8_t *in = fx_hex(v, "in_hex", &il);
		uint8_t *tag = fx_hex(v, "tag_hex", &tl);
		uint8_t *want = fx_hex(v, "out_hex", &ol);
		long n = iosmsg_rewrite_tag(in, il, tag, tl, out, sizeof(out));

		tap_eq_long(iosmsg_rewrite_tag_size(in, il, tl), (long)ol,
		    "rewrite to %s: size", fx_str(v, "tag"));
		tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, want, ol,
		    "rewrite to %s", fx_str(v, "tag"));
		free(in);
		free(tag);
		free(want);
	}
}

#define M(s) (const uint8_t *)(s), sizeof(s) - 1

/* data || meta || u16 BE meta length, then parse it as a REQUEST. */
static int
parse_handmade(const char *data, size_t dlen, const char *meta,
    struct ios_request *r)
{
	size_t ml = strlen(meta);

	memcpy(out, data, dlen);
	memcpy(out + dlen, meta, ml);
	out[dlen + ml] = (uint8_t)(ml >> 8);
	out[dlen + ml + 1] = (uint8_t)ml;
	return iosmsg_parse_request(out, dlen + ml + 2, r);
}

static void
test_malformed(void)
{
	struct ios_signal s;
	struct ios_taglist t;
	static struct ios_request r;
	uint16_t mid = 0;
	uint8_t big[300];

	tap_eq_long(iosmsg_parse_signal(M(""), &s), PROTO_ETYPE, "empty signal");
	tap_eq_long(iosmsg_parse_signal(M("\xd0"), &s), PROTO_ETRUNC,
	    "signal of 1 byte");
	tap_eq_long(iosmsg_parse_signal(M("\xd0\x01"), &s), PROTO_ETRUNC,
	    "signal of 2 bytes");
	tap_eq_long(iosmsg_parse_signal(M("\xd0\x05" "ab"), &s), PROTO_ETRUNC,
	    "tag length past the end");
	tap_eq_long(iosmsg_parse_signal(M("\xd0\xff" "a"), &s), PROTO_ETRUNC,
	    "tag length 255 over 1 byte");
	tap_eq_long(iosmsg_parse_signal(M("\xd0\x02\xc3\x28\x01"), &s),
	    PROTO_EUTF8, "invalid UTF-8 tag");
	tap_eq_long(iosmsg_parse_signal(M("\xd0\x02\xed\xa0\x01"), &s),
	    PROTO_EUTF8, "surrogate in a tag");
	tap_eq_long(iosmsg_parse_signal(M("\xd3\x01" "a"), &s), PROTO_ETYPE,
	    "SUBSCRIBE is not a signal");
	OK(iosmsg_parse_signal(M("\xd0\x00\x01"), &s) == 0 && s.tag_len == 0 &&
	    s.ptype == 1, "a 0-byte tag parses (routing refuses it)");
	OK(iosmsg_parse_signal(M("\xd0\x01" "a"), &s) == 0 && !s.has_ptype,
	    "payload type byte is optional");
	memset(big, 'x', sizeof(big));
	big[0] = IOS_SIGNAL;
	big[1] = 255;
	big[257] = IOS_PAYLOAD_BINARY;
	OK(iosmsg_parse_signal(big, 260, &s) == 0 && s.tag_len == 255 &&
	    s.payload_len == 2, "a 255-byte tag parses");
	tap_eq_long(iosmsg_build_signal(IOS_SIGNAL, big, 256, 1, "", 0, out,
	    sizeof(out)), PROTO_EINVAL, "a 256-byte tag cannot be built");
	tap_eq_long(iosmsg_rewrite_tag(M("\xd0\x01" "a\x01"), big, 256, out,
	    sizeof(out)), PROTO_EINVAL, "rewrite to a 256-byte tag refused");
	tap_eq_long(iosmsg_rewrite_tag(M("\xd0\x09" "a"), big, 2, out,
	    sizeof(out)), PROTO_ETRUNC, "rewrite of a truncated signal");
	tap_eq_long(iosmsg_rewrite_tag(M("\xd0\x01" "a\x01"), "bb", 2, out, 4),
	    PROTO_ENOSPC, "rewrite into a short buffer");

	tap_eq_long(iosmsg_parse_subscribe(M("\xd3\x01"), &t), PROTO_ETRUNC,
	    "SUBSCRIBE of 2 bytes");
	tap_eq_long(iosmsg_parse_subscribe(M("\xd3\x02" "a"), &t), PROTO_ELEN,
	    "SUBSCRIBE shorter than its length");
	tap_eq_long(iosmsg_parse_subscribe(M("\xd3\x01" "ab"), &t), PROTO_ELEN,
	    "SUBSCRIBE longer than its length");
	tap_eq_long(iosmsg_parse_subscribe(M("\xd3\x01\xff"), &t), PROTO_EUTF8,
	    "SUBSCRIBE of invalid UTF-8");
	OK(iosmsg_parse_unsubscribe(M("\xd5\x00"), &t) == 0 && t.all,
	    "UNSUBSCRIBE of 2 bytes is every channel");
	OK(iosmsg_parse_unsubscribe(M("\xd5\x07"), &t) == 0 && t.all,
	    "whatever its second byte");
	tap_eq_long(iosmsg_parse_unsubscribe(M("\xd5"), &t), PROTO_ETRUNC,
	    "UNSUBSCRIBE of 1 byte");
	tap_eq_long(iosmsg_parse_unsubscribe(M("\xd5\x05" "ab"), &t),
	    PROTO_ELEN, "UNSUBSCRIBE with a wrong length");

	tap_eq_long(iosmsg_parse_subscribe_req(M("\xd4\x00\x01\x00\x00"), &mid,
	    &t), PROTO_ETRUNC, "SUBSCRIBE_REQ under 6 bytes: no answer");
	mid = 0;
	OK(iosmsg_parse_subscribe_req(M("\xd4\x00\x07\x00\x05" "ab"), &mid,
	    &t) == PROTO_ELEN && mid == 7,
	    "SUBSCRIBE_REQ with a wrong length: mid for the 255 answer");
	OK(iosmsg_parse_subscribe_req(M("\xd4\x01\x02\x00\x01" "z"), &mid,
	    &t) == 0 && mid == 0x0102 && t.len == 1, "SUBSCRIBE_REQ mid is BE");

	/* Tag lists split on commas without trimming. */
	{
		struct ios_taglist l = { (const uint8_t *)"a,,b ", 5, false };
		const uint8_t *tag;
		size_t pos = 0, tl, n = 0, lens[8];

		while (n < 8 && iosmsg_taglist_next(&l, &pos, &tag, &tl))
			lens[n++] = tl;
		OK(n == 3 && lens[0] == 1 && lens[1] == 0 && lens[2] == 2,
		    "\"a,,b \" splits into 3 tags");
		l.len = 0;
		pos = 0;
		n = 0;
		while (n < 8 && iosmsg_taglist_next(&l, &pos, &tag, &tl))
			n++;
		OK(n == 1, "an empty list is one empty tag, as \"\".split(',')");
	}

	tap_eq_long(iosmsg_parse_request(M("\xde"), &r), PROTO_EMETA,
	    "REQUEST of 1 byte");
	tap_eq_long(parse_handmade("\xde\x00\x01" "echo", 7,
	    "[[\"mid\",\"16\",1,2],[\"topic\",\"S\",3,4]]", &r), PROTO_EMETA,
	    "REQUEST without a target");
	tap_eq_long(parse_handmade("\xde\x00\x01" "ab", 5,
	    "[[\"mid\",\"16\",1,2],[\"target\",\"S\",3,1],"
	    "[\"topic\",\"8\",4,1]]", &r), PROTO_EMETA,
	    "REQUEST whose topic is not a string");
	tap_eq_long(parse_handmade("\xde" "ab", 3,
	    "[[\"target\",\"S\",1,1],[\"topic\",\"S\",2,1]]", &r),
	    PROTO_EMETA, "REQUEST without a mid");
	tap_eq_long(parse_handmade("\xde\x00\x01" "ab", 5,
	    "[[\"mid\",\"16\",1,2],[\"target\",\"S\",3,1],"
	    "[\"topic\",\"S\",4,0]]", &r), PROTO_EMETA,
	    "REQUEST with an empty topic");
	OK(parse_handmade("\xde\x00\x09" "ab", 5,
	    "[[\"mid\",\"16\",1,2],[\"target\",\"S\",3,1],"
	    "[\"topic\",\"S\",4,1]]", &r) == 0 && r.mid == 9,
	    "a hand-made REQUEST parses");
	tap_eq_long(iosmsg_build_bytes(IOS_CID_RES, "abc", 3, out, 3),
	    PROTO_ENOSPC, "CID_RES into a short buffer");
	tap_eq_long(iosmsg_build_response(0, 1, MBP_U8, "x", 1, out,
	    sizeof(out)), PROTO_EINVAL, "a u8 response body is refused");
	OK(iosmsg_always_plain(IOS_PING) && iosmsg_always_plain(IOS_AUTH_ACK) &&
	    iosmsg_always_plain(IOS_QUOTA_LEVEL) &&
	    !iosmsg_always_plain(IOS_SIGNAL) &&
	    !iosmsg_always_plain(IOS_CID_RES), "always-plain types");
}

int
main(void)
{
	json_t *fx = fixture_load("iosmsg.json");

	test_names(fx);
	test_signals(fx);
	test_messages(fx);
	test_rewrites(fx);
	test_malformed();
	json_decref(fx);
	return tap_done();
}
