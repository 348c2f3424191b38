/*
 * test_tag.c - tag classification, router keys and home channels against
 * the reference's Manager and Remote logic; UTF-8 validation.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "fixture.h"
#include "proto.h"
#include "tap.h"

static void
home_of(const char *ip, char out[TAG_HOME_MAX])
{
	uint8_t a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		tag_home_prefix(AF_INET, a, out);
	else if (inet_pton(AF_INET6, ip, a) == 1)
		tag_home_prefix(AF_INET6, a, out);
	else
		strcpy(out, "(bad address)");
}

static void
test_fixtures(json_t *fx)
{
	size_t i;
	json_t *v;
	char home[TAG_HOME_MAX], key[TAG_KEY_MAX];

	json_array_foreach(json_object_get(fx, "home"), i, v) {
		home_of(fx_str(v, "ip"), home);
		tap_eq_str(home, fx_str(v, "home"), "home of %s",
		    fx_str(v, "ip"));
	}
	json_array_foreach(json_object_get(fx, "keys"), i, v) {
		const char *tag = fx_str(v, "tag");
		long n = tag_router_key(tag, strlen(tag), fx_str(v, "home"), key,
		    sizeof(key));

		tap_eq_str(n < 0 ? "" : key, fx_str(v, "key"),
		    "key of \"%s\" at %s", tag, fx_str(v, "home"));
	}
}

static void
test_home_v6(void)
{
	static const struct { const char *ip, *home; } cases[] = {
		{ "::1", "PRIVATE:" },
		{ "fe80::1", "PRIVATE:" },
		{ "fd12:3456::1", "PRIVATE:" },
		{ "fc00::9", "PRIVATE:" },
		{ "2001:db8:1:2::5", "IP:20010db800010002" },
		{ "2001:db8:1:2:ffff::9", "IP:20010db800010002" },
		{ "2001:db8:1:3::5", "IP:20010db800010003" },
		{ "::ffff:8.8.4.4", "IP:08080404" },
		{ "::ffff:192.168.1.2", "PRIVATE:" },
		{ "127.0.0.5", "PRIVATE:" },
		{ "169.254.3.4", "PRIVATE:" },
		{ "172.15.0.1", "IP:ac0f0001" },
	};
	char home[TAG_HOME_MAX];
	uint8_t a[16] = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		home_of(cases[i].ip, home);
		tap_eq_str(home, cases[i].home, "home of %s", cases[i].ip);
	}
	tap_eq_long(tag_home_prefix(AF_UNIX, a, home), PROTO_EINVAL,
	    "no home for a unix address");
}

static void
test_classify(void)
{
	static const struct {
		const char *tag;
		enum tag_kind kind;
		int retained;
		size_t at;
	} cases[] = {
		{ "ch", TAG_CHANNEL, 0, 2 },
		{ "#home", TAG_HOME, 0, 5 },
		{ "cid@topic", TAG_UNICAST, 0, 3 },
		{ "@topic", TAG_CID_PUBLISH, 0, 0 },
		{ "@$state", TAG_CID_PUBLISH, 1, 0 },
		{ "$x", TAG_RESERVED, 1, 2 },
		{ "$a@b", TAG_RESERVED, 1, 2 },
		{ "r$1", TAG_CHANNEL, 1, 3 },
		{ "cid@$st", TAG_UNICAST, 1, 3 },
		{ "#a@b", TAG_UNICAST, 0, 2 },
		{ "a#b", TAG_CHANNEL, 0, 3 },
		{ "x@", TAG_UNICAST, 0, 1 },
		{ "\xec\x98\xa8\xeb\x8f\x84", TAG_CHANNEL, 0, 6 },
	};
	struct tag_info ti;
	char big[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		OK(tag_classify(cases[i].tag, strlen(cases[i].tag), &ti) == 0 &&
		    ti.kind == cases[i].kind &&
		    ti.retained == (cases[i].retained != 0) &&
		    ti.at == cases[i].at, "\"%s\" is %s", cases[i].tag,
		    tag_kind_name(cases[i].kind));
	}
	OK(tag_classify("", 0, &ti) < 0 && ti.kind == TAG_INVALID,
	    "an empty tag is invalid");
	OK(tag_classify("a\xff", 2, &ti) == PROTO_EUTF8 &&
	    ti.kind == TAG_INVALID, "a tag of invalid UTF-8 is invalid");
	memset(big, 'q', 255);
	OK(tag_classify(big, 255, &ti) == 0 && ti.kind == TAG_CHANNEL,
	    "a 255-byte tag is a channel");
	{
		char key[8];
		tap_eq_long(tag_router_key("abcdef", 6, "PRIVATE:", key,
		    sizeof(key)), PROTO_ENOSPC, "router key into a short buffer");
	}
}

static void
test_utf8(void)
{
	static const struct { const char *s; size_t n; int ok; } cases[] = {
		{ "", 0, 1 }, { "ascii", 5, 1 },
		{ "\xc3\xa9", 2, 1 },		/* é */
		{ "\xe2\x82\xac", 3, 1 },	/* € */
		{ "\xf0\x9f\x98\x80", 4, 1 },	/* 😀 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },	/* U+10FFFF */
		{ "\0", 1, 1 },
		{ "\x80", 1, 0 }, { "\xc3", 1, 0 }, { "\xc0\xaf", 2, 0 },
		{ "\xc1\xbf", 2, 0 }, { "\xe0\x80\xaf", 3, 0 },
		{ "\xed\xa0\x80", 3, 0 }, { "\xf0\x80\x80\xaf", 4, 0 },
		{ "\xf4\x90\x80\x80", 4, 0 }, { "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 }, { "\xe2\x82", 2, 0 }, { "a\xe2\x28\xa1", 4, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		OK(utf8_valid((const uint8_t *)cases[i].s, cases[i].n) ==
		    (cases[i].ok != 0), "UTF-8 case %zu is %s", i,
		    cases[i].ok ? "valid" : "invalid");
}

int
main(void)
{
	json_t *fx = fixture_load("tag.json");

	test_fixtures(fx);
	test_home_v6();
	test_classify();
	test_utf8();
	json_decref(fx);
	return tap_done();
}
