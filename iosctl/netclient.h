/*
 * netclient.h - one client connection to an IOSignal listener, for
 * iosctl connect: ws:// and wss:// (WebSocket in wslay's client mode,
 * over TCP or GnuTLS) and cong:// (libproto's CongSocket framing over
 * TCP). Whole IOSignal messages go in and come out; nothing here knows
 * what they mean (ioclient.c does).
 *
 * Non-blocking, for a poll loop: poll nc_fd() for nc_events(), call
 * nc_process() with what poll returned and nc_tick() when
 * nc_deadline() passes. Everything that happens comes out of one event
 * callback. The callback may send and may call nc_shutdown, never
 * nc_free: after NC_EV_CLOSED the connection is dead and the caller
 * frees it once nc_process (or nc_tick) has returned.
 */
#ifndef IOSCTL_NETCLIENT_H
#define IOSCTL_NETCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nc_scheme { NC_WS, NC_WSS, NC_CONG };

#define NC_HOST_MAX	256
#define NC_PATH_MAX	1024

struct nc_url {
	enum nc_scheme	 scheme;
	char		 host[NC_HOST_MAX];	/* an IPv6 one without [] */
	char		 port[8];
	char		 path[NC_PATH_MAX];	/* ws, wss: "/..." */
	char		 text[NC_HOST_MAX + NC_PATH_MAX + 32];	/* as shown */
};

/*
 * ws://HOST[:PORT][/PATH], wss://..., cong://HOST:PORT, or HOST:PORT
 * (WebSocket, as the reference io-client takes it). Ports default to 80
 * and 443; a CongSocket URL needs one. 0, or -1 with a message in err.
 */
int nc_url_parse(const char *s, struct nc_url *u, char *err, size_t errlen);

/* wss: whom to trust. Neither: the system's trust store. */
struct nc_tls {
	const char	*ca_file;	/* PEM certificates to trust instead */
	bool		 insecure;	/* no verification at all */
};

enum nc_event {
	NC_EV_OPEN,	/* connected (and upgraded): messages may flow */
	NC_EV_MSG,	/* one message: data, len */
	NC_EV_PONG,	/* a WebSocket pong frame */
	NC_EV_CLOSED,	/* gone for good: why */
};

typedef void nc_event_fn(void *arg, enum nc_event ev, const uint8_t *data,
    size_t len, const char *why);

struct nc;

/*
 * Starts connecting (name resolution is done here, blocking). NULL when
 * no connection can even be attempted, with the reason in err.
 */
struct nc *nc_open(const struct nc_url *u, const struct nc_tls *tls,
    nc_event_fn *fn, void *arg, char *err, size_t errlen);
int nc_fd(const struct nc *nc);
/* POLLIN / POLLOUT as the connection needs now; 0 once it is dead. */
short nc_events(const struct nc *nc);
void nc_process(struct nc *nc, short revents);
/* The monotonic ms time of the current phase's deadline, or -1. */
int64_t nc_deadline(const struct nc *nc);
/* Closes it (NC_EV_CLOSED) if the deadline has passed. */
void nc_tick(struct nc *nc, int64_t now_ms);

/* One message, queued (WebSocket: one binary frame). 0 or -1. */
int nc_send(struct nc *nc, const uint8_t *data, size_t len);
/* Everything queued has been written to the socket. */
bool nc_flushed(const struct nc *nc);
/* A clean close: what is queued is sent first, then the WebSocket close
 * handshake or a TCP half-close; NC_EV_CLOSED when it is done. */
void nc_shutdown(struct nc *nc);
/* Closes at once (NC_EV_CLOSED, with why). */
void nc_abort(struct nc *nc, const char *why);
bool nc_open_yet(const struct nc *nc);	/* NC_EV_OPEN happened */
bool nc_dead(const struct nc *nc);
bool nc_tls_on(const struct nc *nc);
void nc_free(struct nc *nc);

/* Monotonic milliseconds. */
int64_t nc_now_ms(void);
/* Random bytes (GnuTLS's nonce generator). */
void nc_random(void *buf, size_t n);

#endif
