/*
 * fuzz_iosmsg.c - every IOSignal message parser, tag classification and
 * router keys on any bytes; what parses must rebuild to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[70000];

static void
walk_tags(const struct ios_taglist *t)
{
	size_t pos = 0, n = 0, tl;
	const uint8_t *tag;
	char key[TAG_KEY_MAX];
	struct tag_info ti;

	while (iosmsg_taglist_next(t, &pos, &tag, &tl)) {
		if (tag < t->tags || tag + tl > t->tags + t->len)
			abort();
		if (tl <= 255) {
			(void)tag_classify(tag, tl, &ti);
			(void)tag_router_key(tag, tl, "PRIVATE:", key,
			    sizeof(key));
		}
		if (++n > t->len + 1)
			abort();	/* must terminate */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ios_signal s;
	struct ios_taglist t;
	struct ios_request *r;
	struct ios_response *rs;
	uint16_t mid;
	char home[TAG_HOME_MAX];

	if (size > 65536)
		return 0;
	if (size > 0)
		(void)iosmsg_name(data[0]);
	if (iosmsg_parse_signal(data, size, &s) == 0) {
		struct tag_info ti;
		long n = iosmsg_build_signal(s.type, s.tag, s.tag_len,
		    s.has_ptype ? s.ptype : -1, s.payload, s.payload_len,
		    out, sizeof(out));

		if (n != (long)size || memcmp(out, data, size) != 0)
			abort();
		(void)tag_classify(s.tag, s.tag_len, &ti);
		n = iosmsg_rewrite_tag(data, size, "?ab@t", 5, out,
		    sizeof(out));
		if (n != (long)(size - s.tag_len + 5))
			abort();
	}
	if (iosmsg_parse_subscribe(data, size, &t) == 0)
		walk_tags(&t);
	if (iosmsg_parse_unsubscribe(data, size, &t) == 0)
		walk_tags(&t);
	if (iosmsg_parse_subscribe_req(data, size, &mid, &t) == 0)
		walk_tags(&t);
	r = malloc(sizeof(*r));
	rs = malloc(sizeof(*rs));
	if (r && iosmsg_parse_request(data, size, r) == 0) {
		if (r->target_len == 0 || r->topic_len == 0)
			abort();
	}
	if (rs)
		(void)iosmsg_parse_response(data, size, rs);
	free(r);
	free(rs);
	if (size >= 16)
		(void)tag_home_prefix(10 /* AF_INET6 */, data, home);
	if (size >= 4)
		(void)tag_home_prefix(2 /* AF_INET */, data, home);
	return 0;
}
