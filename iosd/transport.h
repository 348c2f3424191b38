/*
 * transport.h - what a transport is to a connection: one table of
 * operations, down (conn -> transport), and one set of callbacks, up
 * (transport -> conn -> session).
 *
 * The layers, bottom up:
 *
 *   socket, or TLS as a byte layer over it (net_tls.c; conn_read/conn_writev)
 *   a transport: bytes <-> whole IOSignal messages (net_ws.c, net_cong.c)
 *   the connection: queue, flushing, lifecycle (conn.c)
 *   the session: the IOSignal protocol (session.c), through conn_up
 *
 * A transport keeps its state behind c->tp (allocated in start, freed in
 * free). Adding a transport is one file that defines a transport_ops and
 * a line in transport_for() (conn.c).
 */
#ifndef IOSD_TRANSPORT_H
#define IOSD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct conn;

/* The longest header a transport puts before a message. */
#define TRANSPORT_HDR_MAX	10

struct transport_ops {
	/* The socket (and TLS under it) is ready: set c->state and, when
	 * the transport has no handshake, call conn_opened(). 0, or -1 out
	 * of memory (the caller closes c). */
	int (*start)(struct conn *c);
	/* The socket is readable (TLS: the handshake is done). */
	void (*readable)(struct conn *c);
	/* Header for an outgoing message of len bytes; its size. */
	size_t (*frame_header)(uint8_t hdr[TRANSPORT_HDR_MAX], size_t len);
	/* Keepalive ping, and the answer to the client's ping. */
	void (*ping)(struct conn *c);
	void (*pong)(struct conn *c);
	/* The session's largest message changed (a login's quota). */
	void (*set_limit)(struct conn *c, uint32_t max);
	/* A graceful close of an open connection begins: queue what says
	 * goodbye (a WebSocket close frame with code, when not 0). May be
	 * NULL. */
	void (*begin_close)(struct conn *c, int code, const char *reason);
	/* Once a second: give back buffers that hold no partial message
	 * (an idle connection holds none; a busy one keeps its own between
	 * messages until then). */
	void (*trim)(struct conn *c);
	/* Closing: what was being received is given back now. */
	void (*drop_input)(struct conn *c);
	/* Everything it holds. */
	void (*free)(struct conn *c);
};

/* Up: what a connection tells its session. */
struct conn_up {
	/* The transport is open (after its handshake). */
	void (*opened)(struct conn *c);
	/* One whole message, mutable, valid until the callback returns. */
	void (*message)(struct conn *c, uint8_t *m, size_t len);
	/* The connection is closing: nothing may be sent to it any more. */
	void (*closed)(struct conn *c);
};

extern const struct transport_ops ws_transport;
extern const struct transport_ops cong_transport;

#endif
