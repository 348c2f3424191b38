/*
 * tag.c - tag classification, router keys and home-channel prefixes.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proto_err.h"
#include "tag.h"
#include "utf8.h"

static const char *const kind_names[] = {
	[TAG_INVALID] = "invalid",
	[TAG_CHANNEL] = "channel",
	[TAG_HOME] = "home",
	[TAG_UNICAST] = "unicast",
	[TAG_CID_PUBLISH] = "cid-publish",
	[TAG_RESERVED] = "reserved",
};

const char *
tag_kind_name(enum tag_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[k];
}

int
tag_classify(const void *tagp, size_t len, struct tag_info *ti)
{
	const uint8_t *tag = tagp;
	const uint8_t *at;

	ti->kind = TAG_INVALID;
	ti->retained = false;
	ti->at = len;
	if (len == 0)
		return PROTO_EINVAL;
	if (!utf8_valid(tag, len))
		return PROTO_EUTF8;
	ti->retained = memchr(tag, '$', len) != NULL;
	at = memchr(tag, '@', len);
	if (at)
		ti->at = (size_t)(at - tag);
	/* Same order of checks as the reference's Manager.sender(). */
	if (tag[0] == '$')
		ti->kind = TAG_RESERVED;
	else if (ti->at == 0)
		ti->kind = TAG_CID_PUBLISH;
	else if (at)
		ti->kind = TAG_UNICAST;
	else if (tag[0] == '#')
		ti->kind = TAG_HOME;
	else
		ti->kind = TAG_CHANNEL;
	return 0;
}

long
tag_router_key(const void *tag, size_t len, const char *home, char *out,
    size_t cap)
{
	const char *prefix;
	size_t pl;

	if (len > 0 && ((const char *)tag)[0] == '#')
		prefix = home;
	else if (memchr(tag, '@', len))
		prefix = "CID:";
	else
		prefix = "CH:";
	pl = strlen(prefix);
	if (cap < pl + len + 1)
		return PROTO_ENOSPC;
	memcpy(out, prefix, pl);
	if (len)
		memcpy(out + pl, tag, len);
	out[pl + len] = '\0';
	return (long)(pl + len);
}

static bool
ipv4_private(const uint8_t *a)
{
	return a[0] == 0 || a[0] == 10 || a[0] == 127 ||
	    (a[0] == 172 && (a[1] & 0xF0) == 16) ||
	    (a[0] == 192 && a[1] == 168) ||
	    (a[0] == 169 && a[1] == 254);
}

static void
put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
tag_home_prefix(int family, const uint8_t *addr, char out[TAG_HOME_MAX])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xFF, 0xFF };
	static const uint8_t loop6[16] = { [15] = 1 };

	if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET) {
		if (ipv4_private(addr)) {
			strcpy(out, "PRIVATE:");
			return 0;
		}
		memcpy(out, "IP:", 3);
		put_hex(out + 3, addr, 4);
		return 0;
	}
	if (family != AF_INET6)
		return PROTO_EINVAL;
	if (memcmp(addr, loop6, 16) == 0 ||
	    (addr[0] == 0xFE && (addr[1] & 0xC0) == 0x80) ||	/* fe80::/10 */
	    (addr[0] & 0xFE) == 0xFC ||				/* fc00::/7 */
	    memcmp(addr, (const uint8_t[16]){ 0 }, 16) == 0) {
		strcpy(out, "PRIVATE:");
		return 0;
	}
	memcpy(out, "IP:", 3);
	put_hex(out + 3, addr, 8);	/* the /64 a site is given */
	return 0;
}
