/*
 * auth.c - see auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "authsrc.h"
#include "backoff.h"
#include "conn.h"
#include "filelog.h"
#include "log.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "xmalloc.h"

/* A lookup in flight; conn is cleared if the client leaves first. */
struct auth_pending {
	struct conn *conn;
	struct boho_auth_hmac h;
};

static void
fail_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	static const uint8_t fail = IOS_AUTH_FAIL;

	(void)loop;
	(void)revents;
	if (c->state == CONN_OPEN)
		session_send_plain(c, &fail, 1);
}

void
auth_init(struct conn *c)
{
	ev_init(&c->auth_timer, fail_timer_cb);
	c->auth_timer.data = c;
}

void
auth_conn_gone(struct conn *c)
{
	if (c->s.auth) {
		c->s.auth->conn = NULL;
		c->s.auth = NULL;
	}
	ev_timer_stop(c->srv->loop, &c->auth_timer);
}

/* Backoff keys: addresses and ids in one table, apart by a prefix (an
 * id may look like an IPv6 address). Many devices may share an address
 * (NAT, a proxy), so an address is locked later than an id. */
#define LOCK_ID_AFTER	3	/* failures */
#define LOCK_ADDR_AFTER	5

static const char *
addr_key(const struct conn *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "a:%s", c->ip);
	return buf;
}

static const char *
id_key(const char *id, char *buf, size_t cap)
{
	snprintf(buf, cap, "d:%s", id);
	return buf;
}

/*
 * AUTH_FAIL later, never blocking: the reference waits 1 s; repeated
 * failures from one address or for one id wait longer. The nonce is
 * spent whatever failed. counted: false for an attempt refused while
 * locked, which must not lengthen the lock (else an attacker could keep
 * a device out for good).
 */
static void
fail_as(struct conn *c, const char *id, const char *reason, bool counted)
{
	struct server *srv = c->srv;
	uint64_t now = server_now_ms(srv);
	char k[BOHO_ID_LEN + 64];
	unsigned d1 = counted ? backoff_fail(srv->fails, addr_key(c, k,
	    sizeof(k)), now, LOCK_ADDR_AFTER) : srv->opt.auth_fail_ms;
	unsigned d2 = counted && id && id[0] ? backoff_fail(srv->fails,
	    id_key(id, k, sizeof(k)), now, LOCK_ID_AFTER) : 0;
	unsigned delay = d1 > d2 ? d1 : d2;

	c->s.boho.nonce_sent = false;	/* single use, pass or fail */
	srv->m.auth_fail++;
	c->s.state = SS_AUTH_FAIL;
	log_info("conn=%u addr=%s login failed id=%s reason=\"%s\" delay=%ums",
	    c->ssid, c->ip, id && id[0] ? id : "-", reason, delay);
	filelog(FL_AUTH, "x IP:%s #%u id:%s fail: %s", c->ip, c->ssid,
	    id && id[0] ? id : "-", reason);
	if (id && id[0])
		store_login_fail(srv->store, id, c->ip, reason);
	else
		store_audit(srv->store, "login_fail", NULL, c->ip, reason);
	ev_timer_stop(srv->loop, &c->auth_timer);
	ev_timer_set(&c->auth_timer, delay / 1000.0, 0);
	ev_timer_start(srv->loop, &c->auth_timer);
}

static void
fail(struct conn *c, const char *id, const char *reason)
{
	fail_as(c, id, reason, true);
}

/* An AUTH_FAIL is on its way: the client waits for it before trying
 * again, and one that does not gets nothing new meanwhile. */
static bool
fail_pending(const struct conn *c)
{
	return ev_is_active(&c->auth_timer);
}

void
auth_on_req(struct conn *c)
{
	uint8_t nonce[BOHO_AUTH_NONCE_LEN];

	/* A logged-in session keeps its keys; the reference ignores a
	 * second login on the same connection too. */
	if (c->s.boho.authorized || c->s.auth)
		return;
	if (fail_pending(c)) {
		log_debug("conn=%u AUTH_REQ while AUTH_FAIL is due: ignored",
		    c->ssid);
		return;
	}
	c->s.state = SS_RECV_AUTH_REQ;
	boho_server_nonce(&c->s.boho, &c->srv->env, nonce);
	session_send_plain(c, nonce, sizeof(nonce));
	c->s.state = SS_SENT_SERVER_NONCE;
}

/* Login succeeded for d: the reference's order of events. */
static void
accept_login(struct conn *c, const struct device *d, const uint8_t *ack)
{
	struct server *srv = c->srv;
	struct conn *old = d->cid[0] ? router_find_cid(srv, d->cid,
	    strlen(d->cid)) : NULL;
	uint8_t ql[2] = { IOS_QUOTA_LEVEL, (uint8_t)d->level };

	if (old && old != c) {
		/* Duplicate login: the old session is told and closed, and
		 * so is this one; its client retries and gets in. */
		static const uint8_t clear = IOS_SERVER_CLEAR_AUTH;

		log_info("conn=%u duplicate login of %s: closing conn=%u too",
		    c->ssid, d->id, old->ssid);
		store_audit(srv->store, "duplicate_login", d->id, c->ip, NULL);
		session_send_plain(old, &clear, 1);
		conn_close(old, true, 0, "duplicate login (old)");
		conn_close(c, true, 0, "duplicate login (new)");
		return;
	}
	router_set_cid(srv, c, d->cid);
	snprintf(c->s.did, sizeof(c->s.did), "%s", d->id);
	snprintf(c->s.nick, sizeof(c->s.nick), "%s", d->cid);
	session_set_level(c, d->level);
	session_send_plain(c, ql, sizeof(ql));
	session_send_plain(c, ack, BOHO_AUTH_ACK_LEN);
	c->s.state = SS_AUTH_READY;
	{
		char k[BOHO_ID_LEN + 64];

		backoff_ok(srv->fails, addr_key(c, k, sizeof(k)));
		backoff_ok(srv->fails, id_key(d->id, k, sizeof(k)));
	}
	srv->m.auth_ok++;
	log_info("conn=%u addr=%s login id=%s cid=%s level=%d%s", c->ssid,
	    c->ip, d->id, d->cid[0] ? d->cid : "-", d->level,
	    d->level == 255 ? " (admin)" : "");
	filelog(FL_AUTH, "o IP:%s #%u id:%s cid:%s level:%d", c->ip, c->ssid,
	    d->id, d->cid[0] ? d->cid : "-", d->level);
	store_login_ok(srv->store, d->id, c->ip);
}

static void
verify(struct conn *c, const struct boho_auth_hmac *h, int rc,
    const struct device *d)
{
	uint8_t k32[BOHO_K32], ack[BOHO_AUTH_ACK_LEN];
	struct quota q;
	int vr;

	if (rc < 0) {
		fail(c, h->id, "device store unavailable");
		return;
	}
	if (rc == STORE_NOTFOUND || d == NULL) {
		fail(c, h->id, "unknown id");
		return;
	}
	if (d->disabled) {
		fail(c, h->id, "device disabled");
		return;
	}
	if (!store_quota(c->srv->store, d->level, &q)) {
		fail(c, h->id, "level not in the quota table");
		return;
	}
	if (boho_key_from_stored(d->key, strlen(d->key), k32) < 0) {
		fail(c, h->id, "stored key is not valid");
		return;
	}
	vr = boho_server_verify(&c->s.boho, k32, h, ack);
	explicit_bzero(k32, sizeof(k32));
	if (vr == PROTO_ESTATE)
		fail(c, h->id, "AUTH_HMAC without a fresh AUTH_NONCE");
	else if (vr < 0)
		fail(c, h->id, "HMAC mismatch");
	else
		accept_login(c, d, ack);
}

static void
lookup_done(void *arg, int rc, const struct device *d)
{
	struct auth_pending *p = arg;
	struct conn *c = p->conn;

	if (c) {
		c->s.auth = NULL;
		if (c->state == CONN_OPEN)
			verify(c, &p->h, rc, d);
	}
	explicit_bzero(p, sizeof(*p));
	free(p);
}

void
auth_on_hmac(struct conn *c, const uint8_t *m, size_t len)
{
	struct server *srv = c->srv;
	const struct device *d;
	struct auth_pending *p;

	if (c->s.boho.authorized || c->s.auth || fail_pending(c))
		return;		/* re-login, or a retry before AUTH_FAIL */
	c->s.state = SS_RECV_AUTH_HMAC;
	if (!c->s.boho.nonce_sent) {
		fail(c, NULL, "AUTH_HMAC without a fresh AUTH_NONCE");
		return;
	}
	p = xcalloc(1, sizeof(*p));
	if (boho_parse_auth_hmac(m, len, &p->h) < 0) {
		free(p);
		fail(c, NULL, "malformed AUTH_HMAC");
		return;
	}
	{
		char k[BOHO_ID_LEN + 64];
		uint64_t now = server_now_ms(srv);
		unsigned la = backoff_locked(srv->fails, addr_key(c, k,
		    sizeof(k)), now);
		unsigned li = backoff_locked(srv->fails, id_key(p->h.id, k,
		    sizeof(k)), now);

		if (la || li) {
			/* Not even looked at: right or wrong, it fails. */
			fail_as(c, p->h.id, la ? "address backed off after "
			    "failures" : "id backed off after failures", false);
			explicit_bzero(p, sizeof(*p));
			free(p);
			return;
		}
	}
	if ((d = authsrc_find(srv->auth, p->h.id)) != NULL) {
		verify(c, &p->h, 0, d);
		free(p);
		return;
	}
	if (store_check_id(p->h.id, p->h.id_len) != NULL) {
		fail(c, p->h.id, "invalid id");
		free(p);
		return;
	}
	p->conn = c;
	c->s.auth = p;
	store_device_get(srv->store, p->h.id, lookup_done, p);
}
