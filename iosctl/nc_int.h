/*
 * nc_int.h - what netclient.c shares with its two transports,
 * client_ws.c (the HTTP upgrade, then wslay) and client_cong.c
 * (CongSocket frames). netclient.c owns the socket, GnuTLS and the
 * phases up to "connected"; a transport turns bytes into messages and
 * back, through nc_io_read / nc_io_write only.
 */
#ifndef IOSCTL_NC_INT_H
#define IOSCTL_NC_INT_H

#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "netclient.h"

#define NC_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Bytes waiting to be written: p[off..len). */
struct nc_buf {
	uint8_t	*p;
	size_t	 off, len, cap;
};

int nc_buf_add(struct nc_buf *b, const void *data, size_t n);
size_t nc_buf_pending(const struct nc_buf *b);
void nc_buf_free(struct nc_buf *b);

struct nc_ops {
	const char *name;
	/* TCP (and TLS) are up: begin (the upgrade request, or nothing). */
	int (*start)(struct nc *);
	void (*input)(struct nc *);	/* the socket is readable */
	void (*output)(struct nc *);	/* the socket is writable */
	short (*events)(const struct nc *);
	int (*send)(struct nc *, const uint8_t *, size_t);
	bool (*flushed)(const struct nc *);
	void (*shutdown)(struct nc *);
	void (*free)(struct nc *);
};

extern const struct nc_ops nc_ws_ops;
extern const struct nc_ops nc_cong_ops;

enum nc_phase {
	NC_CONNECTING,		/* TCP connect in progress */
	NC_HANDSHAKE,		/* TLS handshake */
	NC_STARTING,		/* the transport's own start (WS upgrade) */
	NC_OPEN,
	NC_CLOSING,		/* nc_shutdown: draining, then closed */
	NC_DEAD,
};

struct addrinfo;

struct nc {
	struct nc_url	 url;
	enum nc_phase	 phase;
	int		 fd;
	struct addrinfo	*ai_list, *ai_next;
	char		 last_err[128];	/* of the last address tried */
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	bool		 insecure;
	const struct nc_ops *ops;
	void		*tr;		/* the transport's state */
	struct nc_buf	 out;		/* raw bytes for the socket */
	nc_event_fn	*fn;
	void		*arg;
	int64_t		 deadline;	/* of this phase, or -1 */
	bool		 opened;	/* NC_EV_OPEN was emitted */
	bool		 eof;		/* the peer closed its side */
};

/* >0 bytes, 0 at the peer's end, -1 with errno (EAGAIN: later). */
ssize_t nc_io_read(struct nc *nc, void *buf, size_t len);
ssize_t nc_io_write(struct nc *nc, const void *buf, size_t len);
/* Writes what nc->out holds: 0 (all or some of it), -1 when it failed
 * (the connection is then dead). */
int nc_flush_out(struct nc *nc);
/* The connection is up for messages: NC_EV_OPEN. */
void nc_opened(struct nc *nc);
void nc_emit(struct nc *nc, enum nc_event ev, const uint8_t *data,
    size_t len);
/* Dead, with a reason: NC_EV_CLOSED (once). */
void nc_fail(struct nc *nc, const char *fmt, ...) NC_PRINTF(2, 3);
void nc_half_close(struct nc *nc);

#endif
