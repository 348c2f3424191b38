/*
 * auth.c - see auth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "audit.h"
#include "auth.h"
#include "authsrc.h"
#include "backoff.h"
#include "conn.h"
#include "filelog.h"
#include "log.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "net_ws.h"

/* A lookup in flight; conn is cleared if the client leaves first. A
 * login slowed down (an id under attack from everywhere) waits on the
 * connection's auth timer first. */
struct auth_pending {
	struct conn *conn;
	bool waiting;		/* slowed down, not looked up yet */
	struct boho_auth_hmac h;
};

static void lookup(struct conn *c, struct auth_pending *p);

/* The Boho state a login's handshake runs in: the session's own, or, on
 * a session already logged in, one beside it, so that the keys in use
 * stay until the new login has succeeded. */
static struct boho *
handshake(struct conn *c)
{
	if (!c->s->boho.authorized)
		return &c->s->boho;
	if (c->s->relogin == NULL)
		c->s->relogin = calloc(1, sizeof(*c->s->relogin));
	return c->s->relogin;	/* NULL: out of memory */
}

/* The second login's state is done with: wiped and freed. */
void
auth_relogin_free(struct conn *c)
{
	if (c->s->relogin == NULL)
		return;
	explicit_bzero(c->s->relogin, sizeof(*c->s->relogin));
	free(c->s->relogin);
	c->s->relogin = NULL;
}

static void
pending_free(struct auth_pending *p)
{
	explicit_bzero(p, sizeof(*p));
	free(p);
}

static void
auth_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct auth_pending *p = c->s->auth;
	static const uint8_t fail = IOS_AUTH_FAIL;

	(void)loop;
	(void)revents;
	if (p && p->waiting) {
		p->waiting = false;
		lookup(c, p);
	} else if (c->state == CONN_OPEN) {
		session_send_plain(c, &fail, 1);
		/* A disabled device stays out: it is not left connected as
		 * an anonymous client (with whatever it would send). */
		if (c->s->fail_closes)
			conn_close(c, true, 1008, "device disabled");
	}
}

void
auth_init(struct conn *c)
{
	ev_init(&c->auth_timer, auth_timer_cb);
	c->auth_timer.data = c;
}

void
auth_conn_gone(struct conn *c)
{
	struct auth_pending *p = c->s->auth;

	if (p) {
		c->s->auth = NULL;
		if (p->waiting)
			pending_free(p);	/* no lookup refers to it */
		else
			p->conn = NULL;		/* lookup_done frees it */
	}
	ev_timer_stop(c->srv->loop, &c->auth_timer);
}

/*
 * AUTH_FAIL later, never blocking: the reference waits 1 s; repeated
 * failures of the same id from the same address, or from one address
 * for any id, wait longer (backoff.h). The nonce is spent whatever
 * failed. counted: false for an attempt refused while locked, which must
 * not lengthen the lock (else an attacker could keep a device out).
 */
static void
fail_as(struct conn *c, const char *id, const char *reason, bool counted)
{
	struct server *srv = c->srv;
	unsigned delay = counted ? backoff_fail(srv->fails, id, c->ip,
	    server_now_ms(srv)) : srv->opt.auth_fail_ms;

	struct boho *hs = handshake(c);

	if (hs)
		hs->nonce_sent = false;	/* single use, pass or fail */
	srv->m.auth_fail++;
	c->s->state = SS_AUTH_FAIL;
	if (log_allow(LC_LOGIN)) {
		log_info("conn=%u addr=%s login failed id=%s reason=\"%s\" "
		    "delay=%ums", c->ssid, c->ip, id && id[0] ? id : "-",
		    reason, delay);
		filelog(FL_AUTH, "x IP:%s #%u id:%s fail: %s", c->ip, c->ssid,
		    id && id[0] ? id : "-", reason);
	}
	audit_login_fail(srv->audit, id, c->ip, reason);
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
	struct boho *hs;

	/* A fresh nonce, as the reference, also on a logged-in session (a
	 * second login: see accept_login); its keys stay meanwhile. */
	if (c->s->auth)
		return;		/* a verdict is on its way */
	if (fail_pending(c)) {
		log_debug("conn=%u AUTH_REQ while AUTH_FAIL is due: ignored",
		    c->ssid);
		return;
	}
	if ((hs = handshake(c)) == NULL) {
		conn_nomem(c, "out of memory (login)");
		return;
	}
	c->s->state = SS_RECV_AUTH_REQ;
	boho_server_nonce(hs, &c->srv->env, nonce);
	session_send_plain(c, nonce, sizeof(nonce));
	c->s->state = SS_SENT_SERVER_NONCE;
}

/* Login succeeded for d: the reference's order of events. again: a
 * second login on a session already logged in, whose new keys are in
 * c->s->relogin. */
static void
accept_login(struct conn *c, const struct device *d, const uint8_t *ack,
    bool again)
{
	struct server *srv = c->srv;
	struct conn *old = d->cid[0] ? router_find_cid(srv, d->cid,
	    strlen(d->cid)) : NULL;
	uint8_t ql[2] = { IOS_QUOTA_LEVEL, (uint8_t)d->level };
	char was[sizeof(c->s->did) + sizeof(c->s->cid) + 16] = "";

	if (old && old != c) {
		/* Duplicate login: the old session is told and closed, and
		 * so is this one; its client retries and gets in. The
		 * reference closes both without a status; iosd says why
		 * (doc/protocol.md). */
		static const uint8_t clear = IOS_SERVER_CLEAR_AUTH;

		log_info("conn=%u duplicate login of %s: closing conn=%u too",
		    c->ssid, d->id, old->ssid);
		store_audit(srv->store, "duplicate_login", d->id, c->ip, NULL);
		auth_relogin_free(c);
		session_send_plain(old, &clear, 1);
		conn_close(old, true, WS_CLOSE_NORMAL, "duplicate login");
		conn_close(c, true, WS_CLOSE_TRY_AGAIN,
		    "duplicate login, try again");
		return;
	}
	if (again) {
		/* The client has moved to the new nonces: so do we. */
		c->s->boho = *c->s->relogin;
		auth_relogin_free(c);
		if (old == c) {
			/* The same device (its CID) again: as the reference,
			 * the keys are renewed and nothing is answered. */
			log_info("conn=%u login again as id=%s: keys renewed",
			    c->ssid, d->id);
			return;
		}
		/* Another device: the session becomes it, as in the
		 * reference. Its old CID is released (no "close" to its
		 * @state subscribers); subscriptions and its own retained
		 * signals stay. */
		snprintf(was, sizeof(was), " (was id=%s cid=%s)", c->s->did,
		    c->s->cid[0] ? c->s->cid : "-");
	}
	if (router_set_cid(srv, c, d->cid) < 0) {
		conn_nomem(c, "out of memory (login)");
		return;
	}
	admit_untrack(srv, c);		/* logged in: no longer --max-per-ip's */
	snprintf(c->s->did, sizeof(c->s->did), "%s", d->id);
	session_set_nick(c, d->cid, strlen(d->cid));
	session_set_level(c, d->level);
	session_send_plain(c, ql, sizeof(ql));
	session_send_plain(c, ack, BOHO_AUTH_ACK_LEN);
	c->s->state = SS_AUTH_READY;
	backoff_ok(srv->fails, d->id, c->ip);
	srv->m.auth_ok++;
	log_info("conn=%u addr=%s login id=%s cid=%s level=%d%s%s", c->ssid,
	    c->ip, d->id, d->cid[0] ? d->cid : "-", d->level,
	    d->level == 255 ? " (admin)" : "", was);
	filelog(FL_AUTH, "o IP:%s #%u id:%s cid:%s level:%d", c->ip, c->ssid,
	    d->id, d->cid[0] ? d->cid : "-", d->level);
	store_login_ok(srv->store, d->id, c->ip);
}

static void
verify(struct conn *c, const struct boho_auth_hmac *h, int rc,
    const struct device *d)
{
	uint8_t k32[BOHO_K32], ack[BOHO_AUTH_ACK_LEN];
	struct boho *hs = handshake(c);
	struct quota q;
	int vr;

	if (hs == NULL) {
		conn_nomem(c, "out of memory (login)");
		return;
	}
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
		c->s->fail_closes = true;
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
	vr = boho_server_verify(hs, k32, h, ack);
	explicit_bzero(k32, sizeof(k32));
	if (vr == PROTO_ESTATE)
		fail(c, h->id, "AUTH_HMAC without a fresh AUTH_NONCE");
	else if (vr < 0)
		fail(c, h->id, "HMAC mismatch");
	else
		accept_login(c, d, ack, hs != &c->s->boho);
}

static void
lookup_done(void *arg, int rc, const struct device *d)
{
	struct auth_pending *p = arg;
	struct conn *c = p->conn;

	if (c) {
		c->s->auth = NULL;
		if (c->state == CONN_OPEN)
			verify(c, &p->h, rc, d);
	}
	pending_free(p);
}

/* The -d/-e/-E table first, then the store (maybe asynchronous). */
static void
lookup(struct conn *c, struct auth_pending *p)
{
	const struct device *d;

	c->s->auth = NULL;
	if ((d = authsrc_find(c->srv->auth, p->h.id)) != NULL) {
		verify(c, &p->h, 0, d);
		pending_free(p);
		return;
	}
	if (store_check_id(p->h.id, p->h.id_len) != NULL) {
		fail(c, p->h.id, "invalid id");
		pending_free(p);
		return;
	}
	p->conn = c;
	c->s->auth = p;
	store_device_get(c->srv->store, p->h.id, lookup_done, p);
}

void
auth_on_hmac(struct conn *c, const uint8_t *m, size_t len)
{
	struct server *srv = c->srv;
	struct auth_pending *p;
	const char *why;
	unsigned slow;

	if (c->s->auth || fail_pending(c))
		return;		/* a verdict is on its way */
	c->s->state = SS_RECV_AUTH_HMAC;
	if (handshake(c) == NULL || !handshake(c)->nonce_sent) {
		fail(c, NULL, "AUTH_HMAC without a fresh AUTH_NONCE");
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		conn_nomem(c, "out of memory (login)");
		return;
	}
	if (boho_parse_auth_hmac(m, len, &p->h) < 0) {
		pending_free(p);
		fail(c, NULL, "malformed AUTH_HMAC");
		return;
	}
	/* Whether it gets in or not: `disable` closes it too. */
	snprintf(c->s->presented, sizeof(c->s->presented), "%s", p->h.id);
	if (backoff_check(srv->fails, p->h.id, c->ip, server_now_ms(srv),
	    &slow, &why)) {
		/* Not even looked at: right or wrong, it fails. */
		fail_as(c, p->h.id, why, false);
		pending_free(p);
		return;
	}
	if (slow) {
		p->waiting = true;
		c->s->auth = p;
		ev_timer_stop(srv->loop, &c->auth_timer);
		ev_timer_set(&c->auth_timer, slow / 1000.0, 0);
		ev_timer_start(srv->loop, &c->auth_timer);
		return;
	}
	lookup(c, p);
}
