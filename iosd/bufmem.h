/*
 * bufmem.h - one memory budget (--max-buffer-memory) for what clients
 * make the daemon hold: partial and reassembled messages, WebSocket
 * frame contexts while a frame is cut short, handshake buffers, and send
 * queues (a message queued for many clients counts once). A
 * connection's buffers grow only as its bytes arrive, each
 * growth asks the budget first, and when the budget is spent the largest
 * consumers are closed (conn_doom, DROP_MEMORY) until it holds again,
 * so the daemon keeps serving everyone else.
 */
#ifndef IOSD_BUFMEM_H
#define IOSD_BUFMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct conn;
struct msg;

struct bufmem {
	size_t limit;
	size_t used;		/* charged now */
	size_t releasing;	/* held by connections closed for it */
	uint64_t victims;	/* connections closed over the budget */
};

/*
 * c's buffers grow by n bytes: true when the budget allows it (maybe
 * after closing bigger consumers), false when c itself is the one to
 * go (it is then doomed and must not grow).
 */
bool bufmem_grow(struct server *srv, struct conn *c, size_t n);
/* c gave back n bytes. */
void bufmem_shrink(struct server *srv, struct conn *c, size_t n);
/* A message enters or leaves a send queue (counted once, whatever the
 * number of queues it is in). */
void bufmem_queue_ref(struct server *srv, struct msg *m);
void bufmem_queue_unref(struct server *srv, struct msg *m);
/* Over the budget after queueing: close the largest consumers. */
void bufmem_check(struct server *srv);
/* c is being freed: what it was closed for is no longer pending. */
void bufmem_conn_gone(struct server *srv, struct conn *c);
/* What one connection holds, as bufmem sees it. */
size_t bufmem_of(const struct conn *c);

#endif
