/*
 * wsock.h - the WebSocket transport: a bounded, time-limited HTTP/1.1
 * upgrade, then wslay for frames. One binary message is one IOSignal
 * message; text messages are validated, counted and ignored.
 */
#ifndef IOSD_WSOCK_H
#define IOSD_WSOCK_H

#include <stddef.h>
#include <stdint.h>

struct conn;

#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_BAD_DATA	1007
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_INTERNAL	1011
#define WS_CLOSE_TRY_AGAIN	1013

/* 0, or -1 out of memory. */
int wsock_init(struct conn *c);
void wsock_free(struct conn *c);
/* Closing: the message being received and the request buffer go now. */
void wsock_drop_input(struct conn *c);
/* The socket is readable. */
void wsock_on_readable(struct conn *c);
/* Frame header for a server binary message of len bytes; returns its size. */
size_t wsock_frame_header(uint8_t hdr[10], size_t len);
void wsock_ping(struct conn *c);
void wsock_pong(struct conn *c);
/* A whole close frame: code (0: none) and a reason cut to fit, on a
 * UTF-8 boundary. Returns its length. */
#define WS_CLOSE_FRAME_MAX	(2 + 125)
size_t wsock_close_frame(uint8_t out[WS_CLOSE_FRAME_MAX], uint16_t code,
    const char *reason);
/* Queue a close frame with code (and move it to the send queue). */
void wsock_send_close(struct conn *c, int code, const char *reason);

#endif
