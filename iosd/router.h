/*
 * router.h - channels, CIDs and retained signals (the reference's
 * Manager.sender/subscribe/unsubscribe/removeRemote).
 *
 * Channel keys: "CH:tag", "CID:cid@topic", or the home prefix + "#tag".
 * A channel lives while it has subscribers or a retained signal.
 */
#ifndef IOSD_ROUTER_H
#define IOSD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

struct server;
struct conn;
struct msg;

struct channel {
	UT_hash_handle hh;
	struct conn **subs;	/* in subscription order */
	size_t nsubs, cap;
	struct msg *retained;	/* global "$" signal of this key */
	uint64_t publishes;	/* signals published to it, for rates */
	char key[];
};

/* A CID publisher's own retained signal ("@$topic"), kept on its session. */
struct cid_retained {
	UT_hash_handle hh;
	struct msg *m;
	char topic[];
};

void router_free(struct server *srv);

/* Publish a SIGNAL or SIGNAL_E2E from c (m is its whole message; c NULL:
 * from the server itself). Returns the number of recipients. */
size_t router_publish(struct server *srv, struct conn *c, const uint8_t *m,
    size_t len);
/* Whether every new subscription of the list fits under c's cap
 * (--max-subscriptions): a request is applied whole or not at all.
 * false is counted and logged. */
struct ios_taglist;
bool router_sub_room(struct server *srv, struct conn *c,
    const struct ios_taglist *t);
/* Subscribe / unsubscribe c to one tag of a tag list. */
void router_subscribe(struct server *srv, struct conn *c, const uint8_t *tag,
    size_t len);
void router_unsubscribe(struct server *srv, struct conn *c,
    const uint8_t *tag, size_t len);
void router_unsubscribe_all(struct server *srv, struct conn *c);

/* CIDs: a random "?xxxx" CID that collides with nothing online. */
/* 0, or -1 out of memory (no CID). */
int router_assign_cid(struct server *srv, struct conn *c);
struct conn *router_find_cid(struct server *srv, const char *cid, size_t len);
/* After a login: c's CID becomes cid ("" = a random one on CID_REQ). */
int router_set_cid(struct server *srv, struct conn *c, const char *cid);
/* Retained signals saved by an earlier run. */
void router_load_retained(struct server *srv);

/* The client is gone: @state signals, subscriptions, retained, CID. */
void router_conn_gone(struct server *srv, struct conn *c);

size_t router_channel_count(const struct server *srv);
/* Every channel, in no particular order; fn must not change the map. */
void router_foreach_channel(struct server *srv,
    void (*fn)(const struct channel *, void *), void *arg);

#endif
