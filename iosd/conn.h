/*
 * conn.h - one client connection: its socket, watchers, transport
 * (WebSocket or CongSocket), bounded send queue, and its session.
 *
 * A connection is never freed inside its own callbacks: conn_close() takes
 * it out of the router at once and defers the rest to the loop's prepare
 * hook, where queued bytes are flushed and the socket lingers.
 */
#ifndef IOSD_CONN_H
#define IOSD_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ev.h>
#include <uthash.h>

#include "admit.h"
#include "metrics.h"
#include "proto.h"
#include "session.h"
#include "transport.h"

struct server;
struct msg;

enum conn_state {
	CONN_HANDSHAKE,		/* WebSocket: HTTP upgrade in progress */
	CONN_OPEN,
	CONN_CLOSING,		/* flushing, then lingering */
	CONN_DEAD,		/* socket closed; freed by the prepare hook */
};

struct outq_item {
	struct msg *m;
	uint32_t off;		/* bytes of hdr + payload already written */
	uint8_t hlen;		/* m's header (msg_framed) goes out, or 0 */
};

struct conn {
	struct server *srv;
	int fd;
	enum transport tr;
	enum conn_state state;
	uint32_t ssid;
	ev_io rd, wr;
	ev_timer timer;		/* handshake or linger deadline */
	ev_timer auth_timer;	/* a delayed AUTH_FAIL */

	struct conn *prev, *next;	/* every connection */
	struct conn *wnext;		/* queued for the prepare-hook flush */
	bool in_wlist;
	bool close_after_flush;
	/* To be closed from the prepare hook (conn_doom): we may be inside
	 * a fan-out over a channel it belongs to. */
	bool doomed;
	bool reading;		/* inside its read callback */
	bool eof;
	enum drop_reason doom_why;
	const char *doom_reason;

	struct admit_key akey;	/* the address its limits are kept for */
	bool admit_counted;	/* counted in --max-per-ip (not logged in) */
	union {				/* IPv4 or IPv6, not a whole */
		struct sockaddr sa;	/* sockaddr_storage */
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} peer;
	char ip[INET6_ADDRSTRLEN];	/* as the reference shows it */
	bool tls;		/* wss, or https behind a trusted proxy */
	char home[TAG_HOME_MAX];
	struct tls *tls_io;	/* wss: the GnuTLS session under it all */

	struct outq_item *q;	/* ring buffer */
	uint32_t qcap, qhead, qlen;
	size_t qbytes;
	size_t bufmem;		/* buffers charged to the budget (bufmem.h) */
	size_t mem_doomed;	/* what it held when closed over the budget */

	const struct transport_ops *ops;	/* its transport (transport.h) */
	const struct conn_up *up;	/* its session's callbacks */
	void *tp;			/* the transport's state */

	struct session *s;		/* its own allocation (session.c) */
	UT_hash_handle hh_cid;	/* router's CID map */

	uint64_t since_ms;
	uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes;
	/* Per second, in and out apart, over about the last two seconds
	 * (conn_rates_tick): what finds a flooder among its subscribers. */
	struct conn_rates {
		float rx_msgs, tx_msgs, rx_bytes, tx_bytes;
		uint64_t at_rx_msgs, at_tx_msgs, at_rx_bytes, at_tx_bytes;
		uint64_t at_ms;
	} rate;
};

/* A new connection (admitted, with its admission key): NULL when out of
 * memory, fd then closed. */
struct conn *conn_new(struct server *srv, int fd, enum transport tr,
    const struct sockaddr *sa, socklen_t salen,
    const struct admit_key *key);

/* Up, from the transport: through c->up to the session. */
void conn_opened(struct conn *c);
void conn_message(struct conn *c, uint8_t *m, size_t len);

/* Queue a message with the transport's framing; no copy of m. */
void conn_send_msg(struct conn *c, struct msg *m);
/* Queue bytes that are already framed (WebSocket control frames). */
void conn_send_raw(struct conn *c, const void *data, size_t len);
/* Send the transport's keepalive ping. */
void conn_ping(struct conn *c);
/* Send the transport's pong (answering the client's PING). */
void conn_pong(struct conn *c);

/*
 * Close with a reason for the log. graceful: queued bytes go out first
 * (and a WebSocket close frame with ws_code, when not 0), then the socket
 * lingers briefly so the peer reads them. Safe to call at any depth.
 */
void conn_close(struct conn *c, bool graceful, int ws_code,
    const char *reason);
/* Count a drop reason and close. */
void conn_fail(struct conn *c, enum drop_reason why, int ws_code,
    const char *reason);
/* The same, from the next prepare hook: safe inside a fan-out, and c
 * reads nothing more meanwhile. reason: a constant. */
void conn_doom(struct conn *c, enum drop_reason why, const char *reason);

/* An allocation for c failed: count it and close c alone, deferred as
 * conn_doom (the server goes on). reason: a constant, "out of memory
 * (what for)". */
void conn_nomem(struct conn *c, const char *reason);

/* The socket's bytes, through TLS on wss: as read(2) and writev(2). */
ssize_t conn_read(struct conn *c, void *buf, size_t len);
ssize_t conn_writev(struct conn *c, const struct iovec *iov, int cnt);

/* Once a second: every connection's rates, and what idle ones give back
 * (an empty queue's ring, the transport's buffers between messages). */
void conn_rates_tick(struct server *srv);

/* Called by the server's prepare hook. */
void conn_flush(struct conn *c);
void conn_destroy(struct conn *c);
/* What c was receiving, given back now: c is closing (doomed) and not
 * inside its own read callback (then it goes at its flush). */
void conn_drop_input(struct conn *c);

#endif
