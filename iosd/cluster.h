/*
 * cluster.h - several iosd nodes as one server over Redis (--cluster).
 *
 * Two hiredis async connections on the daemon's loop: one for commands
 * (PUBLISH, the CID registry, retained signals), one in subscriber mode
 * holding the channels local clients are subscribed to, the node's own
 * channel (unicasts, duplicate-login kicks) and the hello channel
 * (heartbeats: nodes seen). Redis is never required: while it is away a
 * node serves its local clients alone, and reconnects with backoff.
 *
 * Every hook is a no-op when srv->cluster is NULL (no --cluster).
 */
#ifndef IOSD_CLUSTER_H
#define IOSD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct server;
struct conn;

/* srv->cluster from --cluster, --node-id and --cluster-ttl: 0, or -1
 * with err (a bad URL). */
int cluster_open(struct server *srv, char *err, size_t errlen);
void cluster_close(struct server *srv);

/* ---- hooks of router.c ---- */

/* The first local subscriber of a channel came (on) or the last went. */
void cluster_interest(struct server *srv, const char *key, size_t klen,
    bool on);
/* A signal published here to router key `key`: to the other nodes. */
void cluster_publish(struct server *srv, const struct conn *from,
    const char *key, size_t klen, const uint8_t *m, size_t len);
/* A unicast to a CID that is not here (m already retagged "@topic"):
 * true when it was handed to the cluster. */
bool cluster_unicast(struct server *srv, const struct conn *from,
    const char *cid, size_t cidlen, const uint8_t *m, size_t len);
/* A channel's retained signal, kept in Redis too. */
void cluster_retain(struct server *srv, const char *key, const uint8_t *m,
    size_t len);
/* A new subscriber of a "$" key: true when its retained signal is asked
 * of Redis (and sent to c when it comes, or local one if Redis has none). */
bool cluster_fetch_retained(struct server *srv, struct conn *c,
    const char *key, size_t klen);
/* CIDs: claimed in the registry (login: kick the session elsewhere),
 * released when the client goes. */
void cluster_cid_claim(struct server *srv, const char *cid, bool login);
void cluster_cid_release(struct server *srv, const char *cid);

/* ---- visibility ---- */
void cluster_metrics(struct server *srv, FILE *f);
/* The status's "cluster" object, or NULL without --cluster. */
json_t *cluster_status(struct server *srv);

#endif
