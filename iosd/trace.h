/*
 * trace.h - message taps for the control socket's trace streams: what a
 * client sent (after decryption), what was published to a channel, what
 * was sent to a client (before encryption). With no subscriber attached
 * the callers test srv->ntraces and pay nothing else.
 */
#ifndef IOSD_TRACE_H
#define IOSD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct server;
struct conn;

enum trace_dir { TRACE_IN = 1, TRACE_ROUTE = 2, TRACE_OUT = 4 };

struct trace_filter {
	char cid[32];		/* "" = any */
	uint32_t ssid;		/* one connection, 0 = any */
	char device[16];
	char tag[256];		/* glob: * and ? */
	int type;		/* message type byte, -1 = any */
	int dirs;		/* TRACE_* mask, 0 = all */
	int transport;		/* enum transport, -1 = any */
};

/* Called with each matching event (a new reference: the callee decides). */
typedef void trace_emit_fn(void *ctx, json_t *event);

struct trace_sub;

struct trace_sub *trace_attach(struct server *srv,
    const struct trace_filter *f, trace_emit_fn *emit, void *ctx);
void trace_detach(struct server *srv, struct trace_sub *t);

void trace_in(struct server *srv, const struct conn *c, const uint8_t *m,
    size_t len);
void trace_out(struct server *srv, const struct conn *c, const uint8_t *m,
    size_t len);
void trace_route(struct server *srv, const struct conn *from,
    const uint8_t *m, size_t len, size_t recipients);
/* The "out" events of one fan-out: the message is examined once, then
 * only the per-recipient filters run. */
void trace_fanout(struct server *srv, struct conn *const *to, size_t n,
    const struct conn *from, const uint8_t *m, size_t len);

#endif
