/*
 * tag.h - signal tags: classification and router keys.
 *
 *   "ch"        channel          -> "CH:ch"
 *   "#ch"       home channel     -> home prefix + "#ch"
 *   "cid@topic" unicast          (subscribing to it: "CID:cid@topic")
 *   "@topic"    CID publish      -> "CID:<sender cid>@topic"
 *   "$..."      reserved prefix  (dropped when published)
 *   any '$' in the key: retained
 */
#ifndef PROTO_TAG_H
#define PROTO_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAG_HOME_MAX	32	/* "PRIVATE:" or "IP:" + 16 hex digits, NUL */
#define TAG_KEY_MAX	(TAG_HOME_MAX + 255 + 1)

enum tag_kind {
	TAG_INVALID,		/* empty, or not UTF-8 */
	TAG_CHANNEL,
	TAG_HOME,
	TAG_UNICAST,
	TAG_CID_PUBLISH,
	TAG_RESERVED,
};

struct tag_info {
	enum tag_kind kind;
	bool retained;		/* contains '$' */
	size_t at;		/* index of the first '@', or len */
};

/* How a tag is routed when published. */
int tag_classify(const void *tag, size_t len, struct tag_info *ti);
const char *tag_kind_name(enum tag_kind k);

/*
 * Router key of a tag as the reference's subscribe/unsubscribe and the
 * publish side after the CID-publish rewrite compute it: '#' first ->
 * home + tag; else containing '@' -> "CID:" + tag; else "CH:" + tag.
 * Returns the key length (NUL-terminated in out) or PROTO_ENOSPC.
 */
long tag_router_key(const void *tag, size_t len, const char *home,
    char *out, size_t cap);

/*
 * Home-channel prefix of a client address (family AF_INET / AF_INET6,
 * addr 4 / 16 bytes in network order). IPv4 private, loopback, link-local
 * and 0.0.0.0/8 addresses -> "PRIVATE:"; other IPv4 -> "IP:" + 8 hex
 * digits (reference form). IPv6 loopback, link-local, unique-local ->
 * "PRIVATE:"; IPv4-mapped -> as IPv4; other IPv6 -> "IP:" + hex of the /64
 * prefix (the reference puts every IPv6 client in "IP:00").
 */
int tag_home_prefix(int family, const uint8_t *addr, char out[TAG_HOME_MAX]);

#endif
