/*
 * cluster.c - several iosd nodes as one server over Redis.
 *
 * Keys and channels, all under "iosd:<db>:" (Pub/Sub ignores SELECT):
 *   ch:<router key>   a channel's signals (PUBLISH by any node, SUBSCRIBEd
 *                     only by nodes that have local subscribers)
 *   node:<id>         one node's unicasts and duplicate-login kicks
 *   hello             heartbeats, each refresh period
 *   cid:<cid>         the registry: the node holding the CID, with a TTL
 *   ret:<router key>  a channel's retained signal
 *
 * A payload between nodes: one byte of kind ('M' channel signal, 'U'
 * unicast, 'K' kick, 'H' hello), the origin node id and the sender's CID
 * (each a length byte and its bytes), for U and K the target CID (same
 * form), then the IOSignal message as published. A node ignores its own.
 *
 * hiredis 0.14 is used as store_redis.c does: a connection that fails or
 * breaks is freed by hiredis, and retried with backoff (0.5 s doubling to
 * 10 s); the outage is logged and counted once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>
#include <uthash.h>

#include "cluster.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "net_ws.h"

#define RETRY_MIN	0.5
#define RETRY_MAX	10.0
#define ID_MAX		63
#define PFX_MAX		32

enum link_state { LK_DOWN, LK_CONNECTING, LK_UP };

struct cluster;

struct link {
	struct cluster *cl;
	redisAsyncContext *ac;
	enum link_state state;
	bool sub;		/* the subscriber-mode connection */
	double backoff;
	ev_timer retry;
	const char *name;
};

/* A channel with local subscribers (what the sub link holds). */
struct interest {
	UT_hash_handle hh;
	char key[];
};

/* Another node, seen in a heartbeat or a message. */
struct peer {
	UT_hash_handle hh;
	uint64_t in, out;	/* messages from it, unicasts to it */
	uint64_t last_ms;
	char id[ID_MAX + 1];
};

struct cluster {
	struct server *srv;
	struct link cmd, sub;
	char host[256];
	int port, db;
	char where[300];
	char node[ID_MAX + 1];
	char pfx[PFX_MAX];
	size_t pfxlen;
	unsigned ttl;
	ev_timer refresh;
	bool outage;		/* logged once until both links are up */
	uint64_t outages;
	uint64_t out_signals, out_unicasts, in_signals, in_unicasts;
	uint64_t kicks_in, kicks_out, own_ignored, bad_in, dropped_down;
	struct interest *interest;
	struct peer *peers;
};

/* ---- small helpers ---- */

static size_t
name(const struct cluster *cl, char *buf, size_t cap, const char *kind,
    const char *s, size_t len)
{
	int n = snprintf(buf, cap, "%s%s:", cl->pfx, kind);

	if (n < 0 || (size_t)n + len >= cap)
		return 0;
	memcpy(buf + n, s, len);
	buf[n + len] = '\0';
	return (size_t)n + len;
}

static struct peer *
peer_get(struct cluster *cl, const char *id, size_t len)
{
	struct peer *p = NULL;

	if (len == 0 || len > ID_MAX)
		return NULL;
	HASH_FIND(hh, cl->peers, id, len, p);
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return NULL;
		memcpy(p->id, id, len);
		HASH_ADD(hh, cl->peers, id[0], len, p);
		if (p->hh.tbl == NULL) {
			free(p);
			return NULL;
		}
		log_info("cluster: node %s seen", p->id);
	}
	p->last_ms = server_now_ms(cl->srv);
	return p;
}

/* The payload header into buf: its length, or 0 when it does not fit. */
static size_t
header(const struct cluster *cl, uint8_t *buf, size_t cap, char kind,
    const struct conn *from, const char *to, size_t tolen)
{
	size_t nl = strlen(cl->node), n = 0;
	const char *cid = from ? from->s->cid : "";
	size_t cl_ = strlen(cid);

	if (3 + nl + cl_ + (to ? 1 + tolen : 0) > cap || tolen > 255)
		return 0;
	buf[n++] = (uint8_t)kind;
	buf[n++] = (uint8_t)nl;
	memcpy(buf + n, cl->node, nl);
	n += nl;
	buf[n++] = (uint8_t)cl_;
	memcpy(buf + n, cid, cl_);
	n += cl_;
	if (to) {
		buf[n++] = (uint8_t)tolen;
		memcpy(buf + n, to, tolen);
		n += tolen;
	}
	return n;
}

/* The payload: header + m, malloc'ed; NULL out of memory. */
static uint8_t *
payload(const struct cluster *cl, char kind, const struct conn *from,
    const char *to, size_t tolen, const uint8_t *m, size_t len, size_t *out)
{
	uint8_t h[600];
	size_t hl = header(cl, h, sizeof(h), kind, from, to, tolen);
	uint8_t *p;

	if (hl == 0 || (p = malloc(hl + len + 1)) == NULL)
		return NULL;
	memcpy(p, h, hl);
	if (len)
		memcpy(p + hl, m, len);
	*out = hl + len;
	return p;
}

struct parsed {
	char kind;
	const char *origin, *cid, *to;
	size_t olen, clen, tolen;
	const uint8_t *m;
	size_t len;
};

static bool
field(const uint8_t **p, size_t *left, const char **s, size_t *len)
{
	if (*left < 1 || (size_t)(*p)[0] + 1 > *left)
		return false;
	*len = (*p)[0];
	*s = (const char *)*p + 1;
	*left -= *len + 1;
	*p += *len + 1;
	return true;
}

static bool
parse(const uint8_t *b, size_t n, struct parsed *x)
{
	if (n < 3)
		return false;
	x->kind = (char)b[0];
	b++;
	n--;
	if (!field(&b, &n, &x->origin, &x->olen) ||
	    !field(&b, &n, &x->cid, &x->clen))
		return false;
	x->to = NULL;
	x->tolen = 0;
	if ((x->kind == 'U' || x->kind == 'K') &&
	    !field(&b, &n, &x->to, &x->tolen))
		return false;
	x->m = b;
	x->len = n;
	return true;
}

static bool
up(const struct cluster *cl)
{
	return cl->cmd.state == LK_UP && cl->sub.state == LK_UP;
}

/* A command on the command link, with no answer wanted unless fn. */
static bool
command(struct cluster *cl, redisCallbackFn *fn, void *priv, int argc,
    const char **argv, const size_t *lens)
{
	if (cl->cmd.state != LK_UP)
		return false;
	return redisAsyncCommandArgv(cl->cmd.ac, fn, priv, argc, argv,
	    lens) == REDIS_OK;
}

/* ---- the subscriber link ---- */

static void sub_reply(redisAsyncContext *ac, void *reply, void *priv);

static void
subscribe(struct cluster *cl, const char *chan, size_t len, bool on)
{
	const char *argv[2] = { on ? "SUBSCRIBE" : "UNSUBSCRIBE", chan };
	size_t lens[2] = { strlen(argv[0]), len };

	if (cl->sub.state != LK_UP)
		return;
	redisAsyncCommandArgv(cl->sub.ac, on ? sub_reply : NULL, cl, 2, argv,
	    lens);
}

static void
subscribe_key(struct cluster *cl, const char *key, size_t klen, bool on)
{
	char chan[600];
	size_t n = name(cl, chan, sizeof(chan), "ch", key, klen);

	if (n)
		subscribe(cl, chan, n, on);
}

static void
on_channel(struct cluster *cl, const char *key, size_t klen,
    const struct parsed *x)
{
	struct peer *p;

	if (x->olen == strlen(cl->node) &&
	    memcmp(x->origin, cl->node, x->olen) == 0) {
		cl->own_ignored++;	/* delivered here already */
		return;
	}
	if ((p = peer_get(cl, x->origin, x->olen)) != NULL)
		p->in++;
	cl->in_signals++;
	if (x->len > cl->srv->opt.max_signal ||
	    router_cluster_deliver(cl->srv, key, klen, x->m, x->len) < 0)
		cl->bad_in++;
}

static void
on_node(struct cluster *cl, const struct parsed *x)
{
	struct server *srv = cl->srv;
	struct conn *to;
	struct peer *p;

	if ((p = peer_get(cl, x->origin, x->olen)) != NULL)
		p->in++;
	to = x->tolen ? router_find_cid(srv, x->to, x->tolen) : NULL;
	if (x->kind == 'U') {
		struct msg *m;

		cl->in_unicasts++;
		if (to == NULL || x->len < 3 || x->len > srv->opt.max_signal) {
			srv->m.drops[DROP_UNKNOWN_CID]++;
			return;
		}
		if ((m = msg_copy(x->m, x->len)) == NULL)
			return;
		session_send(to, m);
		srv->m.fanout_deliveries++;
		msg_unref(m);
	} else if (x->kind == 'K') {
		static const uint8_t clear = IOS_SERVER_CLEAR_AUTH;

		cl->kicks_in++;
		if (to == NULL)
			return;
		log_info("conn=%u duplicate login of cid %s on node %.*s: "
		    "closing", to->ssid, to->s->cid, (int)x->olen, x->origin);
		session_send_plain(to, &clear, 1);
		conn_close(to, true, WS_CLOSE_NORMAL,
		    "duplicate login on another node");
	}
}

static void
sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cluster *cl = priv;
	redisReply *r = reply, *t, *ch, *data;
	struct parsed x;
	size_t pl;

	(void)ac;
	if (r == NULL || cl == NULL || ac->data == NULL ||
	    r->type != REDIS_REPLY_ARRAY || r->elements < 3)
		return;
	t = r->element[0];
	ch = r->element[1];
	data = r->element[2];
	if (t->type != REDIS_REPLY_STRING || ch->type != REDIS_REPLY_STRING)
		return;
	pl = cl->pfxlen;
	if (strcmp(t->str, "unsubscribe") == 0) {
		/* hiredis forgets the channel on this reply, even when a
		 * SUBSCRIBE sent after the UNSUBSCRIBE is on its way: a
		 * channel wanted again is subscribed to again. */
		struct interest *i = NULL;

		if (ch->len > pl + 3 && memcmp(ch->str + pl, "ch:", 3) == 0) {
			HASH_FIND(hh, cl->interest, ch->str + pl + 3,
			    ch->len - pl - 3, i);
			if (i)
				subscribe(cl, ch->str, ch->len, true);
		}
		return;
	}
	if (strcmp(t->str, "message") != 0 ||
	    data->type != REDIS_REPLY_STRING ||
	    !parse((const uint8_t *)data->str, data->len, &x))
		return;
	if (ch->len <= pl || memcmp(ch->str, cl->pfx, pl) != 0)
		return;
	if (ch->len > pl + 3 && memcmp(ch->str + pl, "ch:", 3) == 0 &&
	    x.kind == 'M')
		on_channel(cl, ch->str + pl + 3, ch->len - pl - 3, &x);
	else if (x.kind == 'H') {
		if (x.olen != strlen(cl->node) ||
		    memcmp(x.origin, cl->node, x.olen) != 0)
			peer_get(cl, x.origin, x.olen);
	} else if (x.kind == 'U' || x.kind == 'K')
		on_node(cl, &x);
}

/* ---- connections ---- */

static void link_start(struct link *l);
static void refresh_cids(struct cluster *cl);

static void
outage(struct cluster *cl, struct link *l, const char *why)
{
	if (!cl->outage) {
		cl->outage = true;
		cl->outages++;
		log_warnx("cluster: redis %s: %s (%s link); serving local "
		    "clients alone, reconnecting", cl->where, why, l->name);
	} else
		log_debug("cluster: redis %s: %s (%s link)", cl->where, why,
		    l->name);
}

static void
retry_later(struct link *l)
{
	ev_timer_stop(l->cl->srv->loop, &l->retry);
	ev_timer_set(&l->retry, l->backoff, 0.);
	ev_timer_start(l->cl->srv->loop, &l->retry);
	l->backoff *= 2;
	if (l->backoff > RETRY_MAX)
		l->backoff = RETRY_MAX;
}

/* A link is up: the subscriber link takes its channels again, the
 * command link registers the local CIDs again. */
static void
link_up(struct link *l)
{
	struct cluster *cl = l->cl;

	l->state = LK_UP;
	l->backoff = RETRY_MIN;
	if (l->sub) {
		char chan[300];
		size_t n = name(cl, chan, sizeof(chan), "node", cl->node,
		    strlen(cl->node));
		struct interest *i, *tmp;

		subscribe(cl, chan, n, true);
		n = name(cl, chan, sizeof(chan), "hello", "", 0);
		subscribe(cl, chan, n - 1, true);	/* no ':' */
		HASH_ITER(hh, cl->interest, i, tmp)
			subscribe_key(cl, i->key, strlen(i->key), true);
	} else {
		char db[16];
		const char *argv[2] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", cl->db);
		if (cl->db)
			redisAsyncCommandArgv(l->ac, NULL, NULL, 2, argv, NULL);
		refresh_cids(cl);
	}
	if (up(cl)) {
		if (cl->outage)
			log_info("cluster: redis %s back: node %s rejoined",
			    cl->where, cl->node);
		else
			log_info("cluster: node %s joined through redis %s",
			    cl->node, cl->where);
		cl->outage = false;
	}
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	struct link *l = cac->data;

	if (l == NULL || l->ac != cac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		l->ac = NULL;
		l->state = LK_DOWN;
		outage(l->cl, l, cac->errstr ? cac->errstr : "cannot connect");
		retry_later(l);
		return;
	}
	link_up(l);
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	struct link *l = cac->data;

	if (l == NULL || l->ac != cac)
		return;
	l->ac = NULL;
	l->state = LK_DOWN;
	l->backoff = RETRY_MIN;
	outage(l->cl, l, status == REDIS_OK || cac->errstr == NULL ?
	    "connection closed" : cac->errstr);
	retry_later(l);
}

static void
link_start(struct link *l)
{
	struct cluster *cl = l->cl;
	redisAsyncContext *ac = redisAsyncConnect(cl->host, cl->port);

	if (ac == NULL) {
		outage(cl, l, "out of memory");
		retry_later(l);
		return;
	}
	if (ac->err) {
		outage(cl, l, ac->errstr);
		retry_later(l);
		redisAsyncFree(ac);
		return;
	}
	ac->data = l;
	if (redisLibevAttach(cl->srv->loop, ac) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, on_connect) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, on_disconnect) != REDIS_OK) {
		outage(cl, l, "cannot attach to the event loop");
		ac->data = NULL;
		redisAsyncFree(ac);
		retry_later(l);
		return;
	}
	l->ac = ac;
	l->state = LK_CONNECTING;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	link_start(w->data);
}

/* ---- the CID registry ---- */

/* Claim: the key is this node's for ttl seconds; at a login a session
 * of the same CID on another node is kicked (SERVER_CLEAR_AUTH). */
static const char claim_script[] =
    "local old = redis.call('GET', KEYS[1]) "
    "if ARGV[3] == '0' and old and old ~= ARGV[1] then return old end "
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
    "if ARGV[3] == '1' and old and old ~= ARGV[1] then "
    "redis.call('PUBLISH', ARGV[4] .. old, ARGV[5]) end "
    "return old";
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";
/* A unicast to the node holding the CID: that node's name, or nil. */
static const char unicast_script[] =
    "local n = redis.call('GET', KEYS[1]) "
    "if n and n ~= ARGV[1] then redis.call('PUBLISH', ARGV[2] .. n, "
    "ARGV[3]) return n end return false";

static void
claim(struct cluster *cl, const char *cid, bool login)
{
	char key[300], ttl[16], nodepfx[PFX_MAX + 8];
	uint8_t *p = NULL;
	size_t kl = name(cl, key, sizeof(key), "cid", cid, strlen(cid)), pl = 0;

	if (kl == 0 || cl->cmd.state != LK_UP)
		return;
	snprintf(ttl, sizeof(ttl), "%u", cl->ttl);
	snprintf(nodepfx, sizeof(nodepfx), "%snode:", cl->pfx);
	if (login && (p = payload(cl, 'K', NULL, cid, strlen(cid), NULL, 0,
	    &pl)) == NULL)
		return;
	{
		const char *argv[] = { "EVAL", claim_script, "1", key,
		    cl->node, ttl, login ? "1" : "0", nodepfx,
		    p ? (const char *)p : "" };
		size_t lens[] = { 4, sizeof(claim_script) - 1, 1, kl,
		    strlen(cl->node), strlen(ttl), 1, strlen(nodepfx), pl };

		command(cl, NULL, NULL, 9, argv, lens);
	}
	if (login)
		cl->kicks_out++;	/* asked; Redis decides */
	free(p);
}

static void
refresh_one(struct conn *c, void *arg)
{
	claim(arg, c->s->cid, false);
}

static void
refresh_cids(struct cluster *cl)
{
	router_foreach_cid(cl->srv, refresh_one, cl);
}

static void
refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *cl = w->data;
	char chan[300];
	size_t n = name(cl, chan, sizeof(chan), "hello", "", 0), pl;
	uint8_t *p;
	struct peer *peer, *tmp;
	uint64_t now = server_now_ms(cl->srv);

	(void)loop;
	(void)revents;
	if (cl->cmd.state != LK_UP)
		return;
	refresh_cids(cl);
	if ((p = payload(cl, 'H', NULL, NULL, 0, NULL, 0, &pl)) != NULL) {
		const char *argv[] = { "PUBLISH", chan, (const char *)p };
		size_t lens[] = { 7, n - 1, pl };

		command(cl, NULL, NULL, 3, argv, lens);
		free(p);
	}
	/* Nodes silent for three TTLs are forgotten. */
	HASH_ITER(hh, cl->peers, peer, tmp)
		if (now - peer->last_ms > 3000ull * cl->ttl) {
			log_info("cluster: node %s not seen for %u s: "
			    "forgotten", peer->id, 3 * cl->ttl);
			HASH_DEL(cl->peers, peer);
			free(peer);
		}
}

/* ---- hooks ---- */

void
cluster_interest(struct server *srv, const char *key, size_t klen, bool on)
{
	struct cluster *cl = srv->cluster;
	struct interest *i = NULL;

	if (cl == NULL)
		return;
	HASH_FIND(hh, cl->interest, key, klen, i);
	if (on) {
		if (i)
			return;
		if ((i = calloc(1, sizeof(*i) + klen + 1)) == NULL)
			return;
		memcpy(i->key, key, klen);
		HASH_ADD(hh, cl->interest, key[0], klen, i);
		if (i->hh.tbl == NULL) {
			free(i);
			return;
		}
	} else {
		if (i == NULL)
			return;
		HASH_DEL(cl->interest, i);
		free(i);
	}
	subscribe_key(cl, key, klen, on);
}

void
cluster_publish(struct server *srv, const struct conn *from,
    const char *key, size_t klen, const uint8_t *m, size_t len)
{
	struct cluster *cl = srv->cluster;
	char chan[600];
	size_t n, pl;
	uint8_t *p;

	if (cl == NULL)
		return;
	if (cl->cmd.state != LK_UP) {
		cl->dropped_down++;
		return;
	}
	if ((n = name(cl, chan, sizeof(chan), "ch", key, klen)) == 0 ||
	    (p = payload(cl, 'M', from, NULL, 0, m, len, &pl)) == NULL)
		return;
	{
		const char *argv[] = { "PUBLISH", chan, (const char *)p };
		size_t lens[] = { 7, n, pl };

		if (command(cl, NULL, NULL, 3, argv, lens))
			cl->out_signals++;
	}
	free(p);
}

static void
unicast_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct link *l = ac->data;
	redisReply *r = reply;
	struct peer *p;

	(void)priv;
	if (l == NULL || r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING) {
		if ((p = peer_get(l->cl, r->str, r->len)) != NULL)
			p->out++;
	} else
		l->cl->srv->m.drops[DROP_UNKNOWN_CID]++;
}

bool
cluster_unicast(struct server *srv, const struct conn *from,
    const char *cid, size_t cidlen, const uint8_t *m, size_t len)
{
	struct cluster *cl = srv->cluster;
	char key[300], nodepfx[PFX_MAX + 8];
	size_t kl, pl;
	uint8_t *p;
	bool ok;

	if (cl == NULL || cl->cmd.state != LK_UP ||
	    (kl = name(cl, key, sizeof(key), "cid", cid, cidlen)) == 0 ||
	    (p = payload(cl, 'U', from, cid, cidlen, m, len, &pl)) == NULL)
		return false;
	snprintf(nodepfx, sizeof(nodepfx), "%snode:", cl->pfx);
	{
		const char *argv[] = { "EVAL", unicast_script, "1", key,
		    cl->node, nodepfx, (const char *)p };
		size_t lens[] = { 4, sizeof(unicast_script) - 1, 1, kl,
		    strlen(cl->node), strlen(nodepfx), pl };

		ok = command(cl, unicast_reply, NULL, 7, argv, lens);
	}
	if (ok)
		cl->out_unicasts++;
	free(p);
	return ok;
}

void
cluster_retain(struct server *srv, const char *key, const uint8_t *m,
    size_t len)
{
	struct cluster *cl = srv->cluster;
	char k[600];
	size_t kl;

	if (cl == NULL || strncmp(key, "CID:", 4) == 0 ||
	    (kl = name(cl, k, sizeof(k), "ret", key, strlen(key))) == 0)
		return;
	{
		const char *argv[] = { "SET", k, (const char *)m };
		size_t lens[] = { 3, kl, len };

		command(cl, NULL, NULL, 3, argv, lens);
	}
}

/* A retained signal asked of Redis for the connection ssid. */
struct fetch {
	uint32_t ssid;
	char key[];
};

static void
fetch_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fetch *f = priv;
	struct link *l = ac->data;
	redisReply *r = reply;
	struct server *srv;
	struct conn *c;
	struct msg *m = NULL;

	if (l == NULL) {
		free(f);
		return;
	}
	srv = l->cl->srv;
	c = server_find_ssid(srv, f->ssid);
	if (c != NULL && c->state == CONN_OPEN) {
		if (r && r->type == REDIS_REPLY_STRING && r->len >= 3 &&
		    ((uint8_t)r->str[0] == IOS_SIGNAL ||
		    (uint8_t)r->str[0] == IOS_SIGNAL_E2E))
			m = msg_copy(r->str, r->len);
		else if ((m = router_retained_local(srv, f->key,
		    strlen(f->key))) != NULL)
			msg_ref(m);
		if (m) {
			session_send(c, m);
			msg_unref(m);
		}
	}
	free(f);
}

bool
cluster_fetch_retained(struct server *srv, struct conn *c, const char *key,
    size_t klen)
{
	struct cluster *cl = srv->cluster;
	struct fetch *f;
	char k[600];
	size_t kl;

	if (cl == NULL || cl->cmd.state != LK_UP || klen < 3 ||
	    strncmp(key, "CID:", 4) == 0 ||
	    (kl = name(cl, k, sizeof(k), "ret", key, klen)) == 0 ||
	    (f = calloc(1, sizeof(*f) + klen + 1)) == NULL)
		return false;
	f->ssid = c->ssid;
	memcpy(f->key, key, klen);
	{
		const char *argv[] = { "GET", k };
		size_t lens[] = { 3, kl };

		if (!command(cl, fetch_reply, f, 2, argv, lens)) {
			free(f);
			return false;
		}
	}
	return true;
}

void
cluster_cid_claim(struct server *srv, const char *cid, bool login)
{
	if (srv->cluster && cid && cid[0])
		claim(srv->cluster, cid, login);
}

void
cluster_cid_release(struct server *srv, const char *cid)
{
	struct cluster *cl = srv->cluster;
	char key[300];
	size_t kl;

	if (cl == NULL || cid == NULL || cid[0] == '\0' ||
	    (kl = name(cl, key, sizeof(key), "cid", cid, strlen(cid))) == 0)
		return;
	{
		const char *argv[] = { "EVAL", release_script, "1", key,
		    cl->node };
		size_t lens[] = { 4, sizeof(release_script) - 1, 1, kl,
		    strlen(cl->node) };

		command(cl, NULL, NULL, 5, argv, lens);
	}
}

/* ---- visibility ---- */

void
cluster_metrics(struct server *srv, FILE *f)
{
	struct cluster *cl = srv->cluster;
	struct peer *p, *tmp;
	char lab[160];

	if (cl == NULL)
		return;
	fprintf(f, "# HELP iosd_cluster_link_up 1 when both Redis "
	    "connections of the cluster are up.\n# TYPE iosd_cluster_link_up "
	    "gauge\niosd_cluster_link_up %d\n", up(cl) ? 1 : 0);
	fprintf(f, "# HELP iosd_cluster_nodes_seen Other nodes heard from "
	    "lately.\n# TYPE iosd_cluster_nodes_seen gauge\n"
	    "iosd_cluster_nodes_seen %u\n", HASH_COUNT(cl->peers));
	fprintf(f, "# HELP iosd_cluster_outages_total Redis outages.\n"
	    "# TYPE iosd_cluster_outages_total counter\n"
	    "iosd_cluster_outages_total %llu\n",
	    (unsigned long long)cl->outages);
	fprintf(f, "# HELP iosd_cluster_interest_channels Channels this node "
	    "holds in Redis.\n# TYPE iosd_cluster_interest_channels gauge\n"
	    "iosd_cluster_interest_channels %u\n", HASH_COUNT(cl->interest));
	fprintf(f, "# HELP iosd_cluster_messages_out_total Messages sent to "
	    "the other nodes.\n# TYPE iosd_cluster_messages_out_total "
	    "counter\n"
	    "iosd_cluster_messages_out_total{kind=\"signal\"} %llu\n"
	    "iosd_cluster_messages_out_total{kind=\"unicast\"} %llu\n",
	    (unsigned long long)cl->out_signals,
	    (unsigned long long)cl->out_unicasts);
	fprintf(f, "# HELP iosd_cluster_unsent_total Signals not sent to the "
	    "other nodes (Redis away).\n# TYPE iosd_cluster_unsent_total "
	    "counter\niosd_cluster_unsent_total %llu\n",
	    (unsigned long long)cl->dropped_down);
	fprintf(f, "# HELP iosd_cluster_messages_in_total Messages from "
	    "other nodes, by node.\n# TYPE iosd_cluster_messages_in_total "
	    "counter\n");
	HASH_ITER(hh, cl->peers, p, tmp)
		fprintf(f, "iosd_cluster_messages_in_total{node=\"%s\"} %llu\n",
		    p->id, (unsigned long long)p->in);
	fprintf(f, "# HELP iosd_cluster_unicasts_out_total Unicasts "
	    "delivered through another node, by node.\n"
	    "# TYPE iosd_cluster_unicasts_out_total counter\n");
	HASH_ITER(hh, cl->peers, p, tmp)
		fprintf(f, "iosd_cluster_unicasts_out_total{node=\"%s\"} "
		    "%llu\n", p->id, (unsigned long long)p->out);
	(void)lab;
}

json_t *
cluster_status(struct server *srv)
{
	struct cluster *cl = srv->cluster;
	json_t *o, *nodes;
	struct peer *p, *tmp;

	if (cl == NULL)
		return NULL;
	o = json_object();
	nodes = json_array();
	json_object_set_new(o, "node", json_string(cl->node));
	json_object_set_new(o, "redis", json_string(cl->where));
	json_object_set_new(o, "link", json_string(up(cl) ? "up" : "down"));
	json_object_set_new(o, "ttl_s", json_integer(cl->ttl));
	json_object_set_new(o, "outages", json_integer((json_int_t)
	    cl->outages));
	json_object_set_new(o, "channels", json_integer((json_int_t)
	    HASH_COUNT(cl->interest)));
	json_object_set_new(o, "out", json_integer((json_int_t)
	    (cl->out_signals + cl->out_unicasts)));
	json_object_set_new(o, "in", json_integer((json_int_t)
	    (cl->in_signals + cl->in_unicasts)));
	HASH_ITER(hh, cl->peers, p, tmp) {
		json_t *n = json_object();

		json_object_set_new(n, "node", json_string(p->id));
		json_object_set_new(n, "in", json_integer((json_int_t)p->in));
		json_object_set_new(n, "out", json_integer((json_int_t)p->out));
		json_object_set_new(n, "seen_s_ago", json_integer((json_int_t)
		    ((server_now_ms(srv) - p->last_ms) / 1000)));
		json_array_append_new(nodes, n);
	}
	json_object_set_new(o, "nodes", nodes);
	return o;
}

/* ---- opening and closing ---- */

static int
parse_url(struct cluster *cl, const char *url, char *err, size_t errlen)
{
	const char *s = url, *colon, *slash, *end;
	size_t hl;

	if (strncmp(s, "redis://", 8) == 0)
		s += 8;
	cl->port = 6379;
	slash = strchr(s, '/');
	end = slash ? slash : s + strlen(s);
	colon = memchr(s, ':', (size_t)(end - s));
	hl = (size_t)((colon ? colon : end) - s);
	if (hl == 0 || hl >= sizeof(cl->host) || memchr(s, '@', hl))
		goto bad;
	memcpy(cl->host, s, hl);
	cl->host[hl] = '\0';
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);

		if (e != end || p < 1 || p > 65535)
			goto bad;
		cl->port = (int)p;
	}
	if (slash && slash[1]) {
		char *e;
		long d = strtol(slash + 1, &e, 10);

		if (*e || d < 0 || d > 1000000)
			goto bad;
		cl->db = (int)d;
	}
	return 0;
bad:
	snprintf(err, errlen, "--cluster %s: expected redis://HOST[:PORT][/DB]",
	    url);
	return -1;
}

int
cluster_open(struct server *srv, char *err, size_t errlen)
{
	const struct options *o = &srv->opt;
	struct cluster *cl;

	if (o->cluster_url == NULL || o->cluster_url[0] == '\0')
		return 0;
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_url(cl, o->cluster_url, err, errlen) < 0) {
		free(cl);
		return -1;
	}
	cl->srv = srv;
	if (o->node_id && o->node_id[0])
		snprintf(cl->node, sizeof(cl->node), "%s", o->node_id);
	else {
		char host[48] = "iosd";

		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		snprintf(cl->node, sizeof(cl->node), "%s:%s", host,
		    o->nlisten ? o->listen[0].port : "0");
	}
	for (char *p = cl->node; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '_';
	cl->ttl = o->cluster_ttl_s ? o->cluster_ttl_s : 30;
	snprintf(cl->pfx, sizeof(cl->pfx), "iosd:%d:", cl->db);
	cl->pfxlen = strlen(cl->pfx);
	snprintf(cl->where, sizeof(cl->where), "%s:%d/%d", cl->host, cl->port,
	    cl->db);
	cl->cmd = (struct link){ .cl = cl, .backoff = RETRY_MIN,
	    .name = "command" };
	cl->sub = (struct link){ .cl = cl, .sub = true, .backoff = RETRY_MIN,
	    .name = "subscriber" };
	ev_timer_init(&cl->cmd.retry, retry_cb, 0., 0.);
	cl->cmd.retry.data = &cl->cmd;
	ev_timer_init(&cl->sub.retry, retry_cb, 0., 0.);
	cl->sub.retry.data = &cl->sub;
	ev_timer_init(&cl->refresh, refresh_cb, 0.,
	    cl->ttl >= 3 ? cl->ttl / 3.0 : 1.0);
	cl->refresh.data = cl;
	ev_timer_again(srv->loop, &cl->refresh);
	srv->cluster = cl;
	log_info("cluster: node %s, redis %s, CID ttl %u s", cl->node,
	    cl->where, cl->ttl);
	link_start(&cl->cmd);
	link_start(&cl->sub);
	return 0;
}

static void
link_close(struct link *l)
{
	redisAsyncContext *ac = l->ac;

	ev_timer_stop(l->cl->srv->loop, &l->retry);
	l->ac = NULL;
	l->state = LK_DOWN;
	if (ac) {
		ac->data = NULL;
		redisAsyncFree(ac);
	}
}

void
cluster_close(struct server *srv)
{
	struct cluster *cl = srv->cluster;
	struct interest *i, *it;
	struct peer *p, *pt;

	if (cl == NULL)
		return;
	ev_timer_stop(srv->loop, &cl->refresh);
	link_close(&cl->cmd);
	link_close(&cl->sub);
	HASH_ITER(hh, cl->interest, i, it) {
		HASH_DEL(cl->interest, i);
		free(i);
	}
	HASH_ITER(hh, cl->peers, p, pt) {
		HASH_DEL(cl->peers, p);
		free(p);
	}
	free(cl);
	srv->cluster = NULL;
}
