/*
 * acl.h - channel permissions and the connection policy (doc/iosd.md,
 * "Channel permissions").
 *
 * Rules live in the store (migrations/0005_acl.sql) and, loaded, in
 * srv->acl. A rule names who (a device id, "level:A-B" or "level:N" for
 * logged-in clients of those quota levels, "anonymous" or "any"), what
 * (subscribe, publish or both), a fnmatch(3) pattern (no flags: '*'
 * matches '/' too) and an effect (allow or deny). Rules are tried in
 * ascending (prio, id) order and the first that matches decides; when
 * none does, the action is allowed, as without any rule.
 *
 * The string a pattern matches is the tag as the router classifies it,
 * its router key without the key's prefix: "ch" for a channel, "#ch"
 * for a home channel, "cid@topic" for unicast and CID channels, and the
 * publisher's own "<cid>@topic" for an "@topic" publish; '$' stays.
 */
#ifndef IOSD_ACL_H
#define IOSD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct conn;
struct channel;
struct acl_row;

enum acl_action {
	ACL_SUBSCRIBE = 1,
	ACL_PUBLISH = 2,
};

/* The rules from the store into srv->acl (replacing what was there):
 * the number of rules, or -1 (the old rules are kept). */
long acl_load(struct server *srv);
void acl_free(struct server *srv);
size_t acl_count(const struct server *srv);

/* A rule as given by an operator: true, or false with why. */
bool acl_rule_valid(const struct acl_row *r, char *why, size_t len);

/* Whether c may do a on the match string tag (len bytes). */
bool acl_allowed(struct server *srv, const struct conn *c,
    enum acl_action a, const char *tag, size_t len);
/* Subscribe hook: c may subscribe to tag (as sent); counted when not. */
bool acl_subscribe_ok(struct server *srv, struct conn *c,
    const uint8_t *tag, size_t len);
/* Publish hook: c may publish the SIGNAL m; dropped and counted (acl)
 * when not. A message that does not parse is left to the router. */
bool acl_publish_ok(struct server *srv, struct conn *c, const uint8_t *m,
    size_t len);
/* The match string of a router key (a pointer into key). */
const char *acl_key_tag(const char *key);
/* The rules again over every subscription: what is no longer allowed is
 * unsubscribed. Returns how many were removed. */
size_t acl_apply(struct server *srv);

/* --anonymous deadline=MS: close clients not logged in by then (called
 * once a second). */
void acl_anonymous_tick(struct server *srv);

#endif
