/*
 * net_ws.h - the WebSocket transport (ws_transport, transport.h): a
 * bounded, time-limited HTTP/1.1 upgrade, then wslay's frame layer, over
 * the socket or TLS (net_tls.h). One binary message is one IOSignal message;
 * text messages are validated, counted and ignored.
 */
#ifndef IOSD_NET_WS_H
#define IOSD_NET_WS_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

struct conn;

#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_BAD_DATA	1007
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_INTERNAL	1011
#define WS_CLOSE_TRY_AGAIN	1013

/* A whole close frame: code (0: none) and a reason cut to fit, on a
 * UTF-8 boundary. Returns its length. */
#define WS_CLOSE_FRAME_MAX	(2 + 125)
size_t net_ws_close_frame(uint8_t out[WS_CLOSE_FRAME_MAX], uint16_t code,
    const char *reason);

#endif
