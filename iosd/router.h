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

struct server;
struct conn;
struct channel;		/* opaque: router.c's */

/*
 * The router of a server (srv->router): the channel map and the CID map,
 * which nothing but router.c touches. router_new before the first use
 * (retained signals are loaded at start); router_free frees both maps
 * and the router, and sets srv->router to NULL.
 */
struct router;
struct router *router_new(void);
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

/* ---- lookups, walks and counts (listings, admin.c, the monitor) ---- */

/* The channel of a router key ("CH:tag", "CID:cid@topic", home + "#tag"),
 * or NULL. */
struct channel *router_find_channel(struct server *srv, const char *key,
    size_t len);
const char *router_channel_key(const struct channel *ch);
struct router_channel_info {
	size_t subscribers;
	bool retained;		/* a global "$" signal is kept */
	size_t retained_bytes;
	uint64_t publishes;	/* signals published to it */
};
void router_channel_info(const struct channel *ch,
    struct router_channel_info *info);

/* Each walk is in insertion order; fn must not change what it walks. */
void router_foreach_channel(struct server *srv,
    void (*fn)(const struct channel *, void *), void *arg);
/* ch's subscribers, in subscription order. */
void router_foreach_subscriber(const struct channel *ch,
    void (*fn)(struct conn *, void *), void *arg);
/* Every connection that holds a CID. */
void router_foreach_cid(struct server *srv,
    void (*fn)(struct conn *, void *), void *arg);

size_t router_channel_count(const struct server *srv);
struct router_counts {
	size_t channels, subscriptions, retained, cids;
};
void router_counts(const struct server *srv, struct router_counts *n);

/* ---- the cluster (cluster.c) ---- */

/* A signal from another node to this node's subscribers of key: 0, or
 * -1 when it is no signal (or out of memory). */
int router_cluster_deliver(struct server *srv, const char *key, size_t klen,
    const uint8_t *m, size_t len);
/* The retained signal held here for key, or NULL (not referenced). */
struct msg;
struct msg *router_retained_local(struct server *srv, const char *key,
    size_t klen);

#endif
