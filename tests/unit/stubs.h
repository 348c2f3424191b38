/*
 * stubs.h - what the unit tests of daemon modules (router, admin) link
 * instead of the network: connections that only record what they are
 * sent and how they are closed, a server without a loop, a quiet log
 * that keeps its last line: tests/unit/stubs_*.c, as Mosquitto's unit
 * tests link their "_stubs.c" files.
 */
#ifndef TESTS_STUBS_H
#define TESTS_STUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "msg.h"
#include "server.h"

/* What the stubbed session_send/session_deliver/session_send_plain got,
 * in order (each message referenced until stub_reset). */
#define STUB_MAX	256
struct stub_sent {
	struct conn *to;
	struct msg *m;
};
extern struct stub_sent stub_sent[STUB_MAX];
extern size_t stub_nsent;

/* The connections conn_close/conn_fail/conn_nomem closed, in order. */
struct stub_closed {
	struct conn *c;
	int code;
	char reason[128];
};
extern struct stub_closed stub_closed[STUB_MAX];
extern size_t stub_nclosed;

/* server_wall's calls. */
extern size_t stub_nwalls;
extern char stub_wall[512];

/* The last line log_info/log_warnx wrote (not printed). */
extern char stub_log[512];

/* Forget what was recorded (messages unreferenced). */
void stub_reset(void);

/*
 * A server with defaults (options_defaults), a router, and a random
 * source that gives the bytes queued by stub_random_push first, then a
 * counter. No loop, no store unless the test opens one.
 */
void stub_server_init(struct server *srv);
void stub_server_free(struct server *srv);
void stub_random_push(const uint8_t *bytes, size_t n);

/* An open connection from ip (IPv4 or IPv6) over tr, in srv->conns
 * (newest first, as the daemon keeps them); no CID yet. */
struct conn *stub_conn_new(struct server *srv, const char *ip,
    enum transport tr);
/* Gone from the router and srv->conns, and freed. */
void stub_conn_free(struct conn *c);

/* How many messages c was sent since the last stub_reset; the n-th. */
size_t stub_sent_to(const struct conn *c);
const struct msg *stub_sent_nth(const struct conn *c, size_t n);

#endif
