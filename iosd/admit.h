/*
 * admit.h - admission control: who may connect, decided at accept(2)
 * before anything is allocated for the connection.
 *
 *  - --max-connections: connections at once, every listener together,
 *    never more than the descriptor limit leaves room for;
 *  - --max-per-ip: connections from one address that have not logged in
 *    (an IPv6 address counts by its /64, as one host usually holds one);
 *  - --conn-rate / --conn-burst: a token bucket of new connections per
 *    address.
 * A connection from a trusted proxy is counted by the X-Forwarded-For
 * address once its request is read (admit_forwarded); the proxy's own
 * address is not limited. A refused WebSocket client gets a canned
 * "503 Service Unavailable" with Retry-After, a CongSocket (or wss)
 * client a close. Refusals are counted by reason and logged once per
 * interval, not once each.
 */
#ifndef IOSD_ADMIT_H
#define IOSD_ADMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "metrics.h"

struct server;
struct conn;

enum admit_reason {
	ADMIT_OK,
	ADMIT_MAX_CONNS,	/* --max-connections (or the fd limit) */
	ADMIT_PER_IP,		/* --max-per-ip */
	ADMIT_RATE,		/* --conn-rate */
	ADMIT_BANNED,		/* iosctl ban */
	ADMIT_COUNT
};

/* The address a limit is kept for: IPv4, or an IPv6 /64. */
struct admit_key {
	uint8_t family;		/* 0: none (not limited) */
	uint8_t addr[16];
};

struct admit;

struct admit *admit_new(void);
void admit_free(struct admit *a);
/* The effective --max-connections, after the descriptor limit. */
size_t admit_max_conns(const struct server *srv);
/* Called again on reload: the limits may have changed. */
void admit_configure(struct server *srv);

/* At accept: may fd from sa come in? Fills key for admit_track. */
enum admit_reason admit_check(struct server *srv, const struct sockaddr *sa,
    struct admit_key *key);
/* Close a refused socket as cheaply as possible (503 for ws). */
void admit_refuse(struct server *srv, int fd, enum transport tr,
    enum admit_reason why, const struct admit_key *key);

/* c counts against its address until it logs in or goes. */
void admit_track(struct server *srv, struct conn *c);
void admit_untrack(struct server *srv, struct conn *c);
/* Behind a trusted proxy: c's address is now the forwarded one (family,
 * 16 or 4 bytes); ADMIT_OK or why it must be refused (HTTP 503). */
enum admit_reason admit_forwarded(struct server *srv, struct conn *c,
    int family, const uint8_t *addr);

/* Once a second: the refusal summary of the interval, and old state. */
void admit_tick(struct server *srv);

/*
 * Bans: addresses or networks refused at accept (a WebSocket client gets
 * 403), for a time or until lifted, kept in the store across restarts
 * and audited. Adding one closes the connections it covers.
 */
#define ADMIT_BANS_MAX	4096
struct admit_ban {
	char net[64];		/* "ADDR" or "ADDR/N" */
	int64_t until;		/* Unix seconds, 0: until lifted (display) */
	uint64_t until_ms;	/* monotonic, 0: until lifted */
	int64_t created;
	char reason[128];
};
/* Ban net (ADDR[/N]) for secs (0: until lifted): the connections it
 * closed, or -1 with err. */
int admit_ban(struct server *srv, const char *net, uint64_t secs,
    const char *reason, char *err, size_t errlen);
/* 1 lifted, 0 no such ban, -1 with err. */
int admit_unban(struct server *srv, const char *net, char *err,
    size_t errlen);
size_t admit_ban_count(const struct server *srv);
/* The ban of net (any spelling of it), or NULL. */
const struct admit_ban *admit_ban_find(struct server *srv, const char *net);
const struct admit_ban *admit_ban_at(const struct server *srv, size_t i);
/* The bans of the store, at start. */
void admit_load_bans(struct server *srv);

const char *admit_reason_name(enum admit_reason r);
/* Refusals since start, by reason. */
uint64_t admit_refused(const struct server *srv, enum admit_reason r);
/* Addresses with state (gauge). */
unsigned admit_addresses(const struct server *srv);

#endif
