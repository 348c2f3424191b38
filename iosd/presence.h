/*
 * presence.h - join and leave signals for channels that opt in
 * (--presence PATTERN, repeatable; doc/protocol.md "Presence").
 *
 * A channel whose match string (acl.h: "ch", "#ch", "cid@topic")
 * matches a --presence pattern (fnmatch(3), no flags) tells its other
 * subscribers when one joins or leaves: a SIGNAL tagged "<match
 * string>@presence" with the JSON object {"event":"join"|"leave",
 * "cid":"..."}. The "presence" API (REQUEST target "presence", topic
 * "members", one string argument: the channel's tag as subscribed)
 * answers a member with the CIDs of the channel's subscribers.
 */
#ifndef IOSD_PRESENCE_H
#define IOSD_PRESENCE_H

#include <stdbool.h>

struct server;
struct conn;
struct channel;

/* Whether a channel's match string opted in. */
bool presence_enabled(const struct server *srv, const char *tag);
/* c has just subscribed to ch / is about to leave ch. */
void presence_joined(struct server *srv, struct conn *c,
    const struct channel *ch);
void presence_leaving(struct server *srv, struct conn *c,
    const struct channel *ch);
/* The same by tag as sent in an UNSUBSCRIBE, and for all of c's. */
void presence_leaving_tag(struct server *srv, struct conn *c,
    const void *tag, size_t len);
void presence_leaving_all(struct server *srv, struct conn *c);
/* Whether c subscribes to ch (the presence API's members only). */
bool presence_member(const struct conn *c, const struct channel *ch);

#endif
