/*
 * stubs_conn.c - connections, sessions, the server and trace taps for the
 * unit tests of daemon modules (stubs.h): nothing goes to a socket.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "router.h"
#include "session.h"
#include "stubs.h"
#include "trace.h"

struct stub_sent stub_sent[STUB_MAX];
size_t stub_nsent;
struct stub_closed stub_closed[STUB_MAX];
size_t stub_nclosed;
size_t stub_nwalls;
char stub_wall[512];

static uint8_t rnd_queue[64];
static size_t rnd_len, rnd_pos;
static uint8_t rnd_next = 1;

void
stub_reset(void)
{
	for (size_t i = 0; i < stub_nsent; i++)
		msg_unref(stub_sent[i].m);
	stub_nsent = stub_nclosed = stub_nwalls = 0;
	stub_wall[0] = '\0';
}

static void
record(struct conn *c, struct msg *m)
{
	if (stub_nsent < STUB_MAX) {
		stub_sent[stub_nsent].to = c;
		stub_sent[stub_nsent++].m = msg_ref(m);
	}
}

size_t
stub_sent_to(const struct conn *c)
{
	size_t n = 0;

	for (size_t i = 0; i < stub_nsent; i++)
		n += stub_sent[i].to == c;
	return n;
}

const struct msg *
stub_sent_nth(const struct conn *c, size_t n)
{
	for (size_t i = 0; i < stub_nsent; i++)
		if (stub_sent[i].to == c && n-- == 0)
			return stub_sent[i].m;
	return NULL;
}

/* ---- session.h ---- */

void
session_send(struct conn *c, struct msg *m)
{
	record(c, m);
}

void
session_deliver(struct conn *c, struct msg *m)
{
	record(c, m);
}

void
session_send_plain(struct conn *c, const void *data, size_t len)
{
	struct msg *m = msg_copy(data, len);

	if (m) {
		record(c, m);
		msg_unref(m);
	}
}

/* ---- conn.h: a close is recorded, and leaves the router at once as
 * conn_close does ---- */

void
conn_close(struct conn *c, bool graceful, int ws_code, const char *reason)
{
	(void)graceful;
	if (c->state >= CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	if (stub_nclosed < STUB_MAX) {
		stub_closed[stub_nclosed].c = c;
		stub_closed[stub_nclosed].code = ws_code;
		snprintf(stub_closed[stub_nclosed++].reason,
		    sizeof(stub_closed[0].reason), "%s", reason);
	}
	router_conn_gone(c->srv, c);
}

void
conn_fail(struct conn *c, enum drop_reason why, int ws_code,
    const char *reason)
{
	c->srv->m.drops[why]++;
	conn_close(c, true, ws_code, reason);
}

void
conn_nomem(struct conn *c, const char *reason)
{
	conn_fail(c, DROP_NOMEM, 0, reason);
}

/* ---- trace.h ---- */

void
trace_route(struct server *srv, const struct conn *from, const uint8_t *m,
    size_t len, size_t recipients)
{
	(void)srv, (void)from, (void)m, (void)len, (void)recipients;
}

void
trace_fanout(struct server *srv, struct conn *const *to, size_t n,
    const struct conn *from, const uint8_t *m, size_t len)
{
	(void)srv, (void)to, (void)n, (void)from, (void)m, (void)len;
}

/* ---- server.h ---- */

void
server_wall(struct server *srv, const char *json, size_t len)
{
	(void)srv;
	stub_nwalls++;
	snprintf(stub_wall, sizeof(stub_wall), "%.*s", (int)len, json);
}

uint64_t
server_now_ms(const struct server *srv)
{
	(void)srv;
	return 1000000;
}

uint64_t
server_wall_ms(void)
{
	return 1700000000000ull;
}

/* ---- the test's server and connections ---- */

void
stub_random_push(const uint8_t *bytes, size_t n)
{
	if (rnd_pos == rnd_len)
		rnd_pos = rnd_len = 0;
	if (n > sizeof(rnd_queue) - rnd_len)
		n = sizeof(rnd_queue) - rnd_len;
	memcpy(rnd_queue + rnd_len, bytes, n);
	rnd_len += n;
}

static void
stub_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (rnd_pos < rnd_len)
			out[i] = rnd_queue[rnd_pos++];
		else {
			rnd_pos = rnd_len = 0;
			out[i] = rnd_next++;
		}
	}
}

static uint64_t
stub_clock(void *ctx)
{
	(void)ctx;
	return server_wall_ms();
}

void
stub_server_init(struct server *srv)
{
	memset(srv, 0, sizeof(*srv));
	options_defaults(&srv->opt);
	srv->env.now_ms = stub_clock;
	srv->env.random = stub_random;
	srv->env.ctx = srv;
	srv->next_ssid = 1;
	if ((srv->router = router_new()) == NULL)
		abort();
}

void
stub_server_free(struct server *srv)
{
	while (srv->conns)
		stub_conn_free(srv->conns);
	router_free(srv);
	options_free(&srv->opt);
	stub_reset();
}

struct conn *
stub_conn_new(struct server *srv, const char *ip, enum transport tr)
{
	struct conn *c = calloc(1, sizeof(*c));
	uint8_t a[16];

	if (c == NULL || (c->s = calloc(1, sizeof(*c->s))) == NULL)
		abort();
	c->srv = srv;
	c->fd = -1;
	c->tr = tr;
	c->state = CONN_OPEN;
	c->ssid = srv->next_ssid++;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	if (inet_pton(AF_INET, ip, a) == 1)
		tag_home_prefix(AF_INET, a, c->home);
	else if (inet_pton(AF_INET6, ip, a) == 1)
		tag_home_prefix(AF_INET6, a, c->home);
	else
		abort();
	c->s->state = SS_SENT_SERVER_READY;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return c;
}

void
stub_conn_free(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->state < CONN_CLOSING)
		router_conn_gone(srv, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c->s->subs);
	free(c->s);
	free(c);
}
