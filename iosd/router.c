/*
 * router.c - channels, CIDs, retained signals and fan-out.
 *
 * A published message is copied once into a reference-counted msg that
 * every recipient's queue shares; only recipients that need their own
 * encryption get a copy (session_send).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cluster.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "trace.h"

/* A channel: its subscribers in subscription order, its retained signal. */
struct channel {
	UT_hash_handle hh;
	struct conn **subs;	/* in subscription order */
	size_t nsubs, cap;
	struct msg *retained;	/* global "$" signal of this key */
	uint64_t publishes;	/* signals published to it, for rates */
	char key[];
};

/* A CID publisher's own retained signal ("@$topic"), kept on its session. */
struct cid_retained {
	UT_hash_handle hh;
	struct msg *m;
	char topic[];
};

/* The two maps; nothing outside this file walks them. */
struct router {
	struct channel *channels;	/* key -> subscribers */
	struct conn *cids;		/* cid -> connection (conn.hh_cid) */
};

struct router *
router_new(void)
{
	return calloc(1, sizeof(struct router));
}

/* ---- channels ---- */

static struct channel *
channel_find(struct server *srv, const char *key, size_t len)
{
	struct channel *ch = NULL;

	HASH_FIND(hh, srv->router->channels, key, len, ch);
	return ch;
}

static struct channel *
channel_get(struct server *srv, const char *key, size_t len)
{
	struct channel *ch = channel_find(srv, key, len);

	if (ch)
		return ch;
	if ((ch = calloc(1, sizeof(*ch) + len + 1)) == NULL)
		return NULL;
	memcpy(ch->key, key, len);
	HASH_ADD(hh, srv->router->channels, key, len, ch);
	if (ch->hh.tbl == NULL) {	/* the table could not grow */
		free(ch);
		return NULL;
	}
	srv->m.channels++;
	return ch;
}

/* Drop a channel that has neither subscribers nor a retained signal. */
static void
channel_gc(struct server *srv, struct channel *ch)
{
	if (ch->nsubs == 0)	/* the last local subscriber has gone */
		cluster_interest(srv, ch->key, strlen(ch->key), false);
	if (ch->nsubs || ch->retained)
		return;
	HASH_DEL(srv->router->channels, ch);
	srv->m.channels--;
	free(ch->subs);
	free(ch);
}

static bool
channel_has(const struct channel *ch, const struct conn *c)
{
	for (size_t i = 0; i < ch->nsubs; i++)
		if (ch->subs[i] == c)
			return true;
	return false;
}

/* Remove c from ch's subscribers, keeping their order. */
static void
channel_remove(struct channel *ch, const struct conn *c)
{
	for (size_t i = 0; i < ch->nsubs; i++)
		if (ch->subs[i] == c) {
			memmove(ch->subs + i, ch->subs + i + 1,
			    (ch->nsubs - i - 1) * sizeof(*ch->subs));
			ch->nsubs--;
			return;
		}
}

/* Remove ch from c's own list of subscriptions. */
static void
session_forget(struct server *srv, struct conn *c, const struct channel *ch)
{
	struct session *s = c->s;

	for (size_t i = 0; i < s->nsubs; i++)
		if (s->subs[i] == ch) {
			memmove(s->subs + i, s->subs + i + 1,
			    (s->nsubs - i - 1) * sizeof(*s->subs));
			s->nsubs--;
			srv->m.subscriptions--;
			return;
		}
}

static long
key_of(const struct conn *c, const uint8_t *tag, size_t len, char *key,
    size_t cap)
{
	return tag_router_key(tag, len, c->home, key, cap);
}

/* ---- CIDs ---- */

struct conn *
router_find_cid(struct server *srv, const char *cid, size_t len)
{
	struct conn *c = NULL;

	HASH_FIND(hh_cid, srv->router->cids, cid, len, c);
	return c;
}

int
router_assign_cid(struct server *srv, struct conn *c)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	/* '?' + base64url of 3 random bytes, as the reference; drawn again
	 * until it collides with nothing online. */
	for (;;) {
		uint8_t r[3];
		char cid[6];

		srv->env.random(srv->env.ctx, r, sizeof(r));
		cid[0] = '?';
		cid[1] = b64url[r[0] >> 2];
		cid[2] = b64url[((r[0] & 3) << 4) | (r[1] >> 4)];
		cid[3] = b64url[((r[1] & 15) << 2) | (r[2] >> 6)];
		cid[4] = b64url[r[2] & 63];
		cid[5] = '\0';
		if (router_find_cid(srv, cid, 5) == NULL) {
			memcpy(c->s->cid, cid, 6);
			HASH_ADD_KEYPTR(hh_cid, srv->router->cids, c->s->cid, 5, c);
			if (c->hh_cid.tbl == NULL) {
				c->s->cid[0] = '\0';
				return -1;
			}
			cluster_cid_claim(srv, c->s->cid, false);
			return 0;
		}
	}
}

int
router_set_cid(struct server *srv, struct conn *c, const char *cid)
{
	if (c->s->cid[0] && router_find_cid(srv, c->s->cid, strlen(c->s->cid)) == c) {
		HASH_DELETE(hh_cid, srv->router->cids, c);
		if (strcmp(c->s->cid, cid) != 0)
			cluster_cid_release(srv, c->s->cid);
	}
	snprintf(c->s->cid, sizeof(c->s->cid), "%s", cid);
	cluster_cid_claim(srv, c->s->cid, true);	/* a login */
	if (c->s->cid[0]) {
		HASH_ADD_KEYPTR(hh_cid, srv->router->cids, c->s->cid, strlen(c->s->cid), c);
		if (c->hh_cid.tbl == NULL) {
			c->s->cid[0] = '\0';
			return -1;
		}
	}
	return 0;
}

/* ---- retained ---- */

static size_t
retained_total(const struct server *srv)
{
	return (size_t)srv->m.retained;
}

/* Store m as the retained signal of key (published by c). */
static void
retain(struct server *srv, struct conn *c, const char *key, size_t klen,
    struct channel *ch, struct msg *m)
{
	const struct options *o = &srv->opt;
	const char *at = memchr(key, '@', klen);

	if (m->len >= o->retain_size) {
		srv->m.drops[DROP_RETAIN_LIMIT]++;
		return;
	}
	if (at) {
		/* "CID:cid@topic[@...]": kept on the publisher's session,
		 * by topic as the reference's split('@')[1]. */
		const char *topic = at + 1;
		const char *end = memchr(topic, '@', klen - (size_t)(topic - key));
		size_t tl = end ? (size_t)(end - topic) : klen - (size_t)(topic - key);
		struct cid_retained *r = NULL;

		HASH_FIND(hh, c->s->retained, topic, tl, r);
		if (r == NULL) {
			if (retained_total(srv) >= o->retain_count) {
				srv->m.drops[DROP_RETAIN_LIMIT]++;
				return;
			}
			if ((r = calloc(1, sizeof(*r) + tl + 1)) == NULL) {
				srv->m.drops[DROP_NOMEM]++;
				return;
			}
			memcpy(r->topic, topic, tl);
			HASH_ADD(hh, c->s->retained, topic, tl, r);
			if (r->hh.tbl == NULL) {
				free(r);
				srv->m.drops[DROP_NOMEM]++;
				return;
			}
			srv->m.retained++;
		} else
			msg_unref(r->m);
		r->m = msg_ref(m);
		return;
	}
	if (ch == NULL) {
		if (retained_total(srv) >= o->retain_count) {
			srv->m.drops[DROP_RETAIN_LIMIT]++;
			return;
		}
		if ((ch = channel_get(srv, key, klen)) == NULL) {
			srv->m.drops[DROP_NOMEM]++;
			return;
		}
	}
	if (ch->retained)
		msg_unref(ch->retained);
	else
		srv->m.retained++;
	ch->retained = msg_ref(m);
	if (srv->store)		/* channel retained signals outlive a restart */
		store_retained_put(srv->store, ch->key, m->data, m->len);
	cluster_retain(srv, ch->key, m->data, m->len);
}

static void
load_one(void *arg, const char *key, const uint8_t *m, size_t len)
{
	struct server *srv = arg;
	struct channel *ch;
	struct msg *r;

	if (retained_total(srv) >= srv->opt.retain_count ||
	    len >= srv->opt.retain_size || len < 3 ||
	    (m[0] != IOS_SIGNAL && m[0] != IOS_SIGNAL_E2E))
		return;
	if ((ch = channel_get(srv, key, strlen(key))) == NULL)
		return;
	if ((r = msg_copy(m, len)) == NULL) {
		channel_gc(srv, ch);
		return;
	}
	if (ch->retained == NULL)
		srv->m.retained++;
	else
		msg_unref(ch->retained);
	ch->retained = r;
}

void
router_load_retained(struct server *srv)
{
	store_retained_prune(srv->store, srv->opt.retain_count,
	    srv->opt.retain_size);
	store_retained_load(srv->store, load_one, srv);
	if (srv->m.retained)
		log_info("store: %llu retained signals loaded",
		    (unsigned long long)srv->m.retained);
}

/* ---- publish ---- */

/* Rewrite m's tag into a new msg (CID publish and unicast): 0, -1 for a
 * tag that does not fit, or -2 out of memory (c is then closed). */
static int
retagged(struct server *srv, struct conn *c, const uint8_t *m, size_t len,
    const char *tag, size_t tl, struct msg **out)
{
	long n = iosmsg_rewrite_tag_size(m, len, tl);

	*out = NULL;
	if (n < 0) {
		srv->m.drops[DROP_BAD_TAG]++;
		return -1;
	}
	if ((*out = msg_new((size_t)n)) == NULL) {
		if (c)
			conn_nomem(c, "out of memory (publish)");
		return -2;
	}
	if (iosmsg_rewrite_tag(m, len, tag, tl, (*out)->data, (*out)->len) !=
	    n) {
		msg_unref(*out);
		*out = NULL;
		srv->m.drops[DROP_BAD_TAG]++;
		return -1;
	}
	return 0;
}

static size_t
fan_out(struct server *srv, struct conn *from, struct channel *ch,
    struct msg *m)
{
	size_t sent = 0, limit = ch->nsubs;

	ch->publishes++;
	/* --publish-counter: the publisher's level caps its recipients. */
	if (srv->opt.publish_counter && from && from->s->publish_counter) {
		limit = from->s->publish_counter;
		/* Counted only with the cap on: the scan is O(subscribers),
		 * as the fan-out below. */
		if (limit < ch->nsubs - (size_t)channel_has(ch, from))
			srv->m.publish_capped++;
	}
	if (srv->ntraces)
		trace_fanout(srv, ch->subs, ch->nsubs, from, m->data, m->len);
	for (size_t i = 0; i < ch->nsubs && sent < limit; i++) {
		struct conn *to = ch->subs[i];

		if (to == from)
			continue;
		session_deliver(to, m);
		sent++;
	}
	srv->m.fanout_deliveries += sent;
	return sent;
}

static size_t route(struct server *srv, struct conn *c, const uint8_t *m,
    size_t len);

size_t
router_publish(struct server *srv, struct conn *c, const uint8_t *m,
    size_t len)
{
	if (c && srv->opt.members_only && !c->s->boho.authorized) {
		/* The reference's memberOnly: SERVER_CLEAR_AUTH, then close. */
		static const uint8_t clear = IOS_SERVER_CLEAR_AUTH;

		session_send_plain(c, &clear, 1);
		conn_fail(c, DROP_MEMBERS_ONLY, 1008, "members only");
		return 0;
	}
	return route(srv, c, m, len);
}

/* The reference's Manager.sender after its memberOnly check. */
static size_t
route(struct server *srv, struct conn *c, const uint8_t *m, size_t len)
{
	struct ios_signal s;
	struct tag_info ti;
	struct msg *out;
	char key[TAG_KEY_MAX], tag[2 * TAG_KEY_MAX];
	size_t tl;
	long kl;
	struct channel *ch;
	size_t sent = 0;

	if (iosmsg_parse_signal(m, len, &s) < 0 ||
	    tag_classify(s.tag, s.tag_len, &ti) < 0) {
		srv->m.drops[DROP_BAD_TAG]++;
		return 0;
	}
	switch (ti.kind) {
	case TAG_RESERVED:
		srv->m.drops[DROP_RESERVED_TAG]++;
		return 0;
	case TAG_UNICAST: {
		/* "cid@topic[@...]" goes to cid alone, retagged "@topic". */
		struct conn *to = router_find_cid(srv, (const char *)s.tag,
		    ti.at);
		const uint8_t *topic = s.tag + ti.at + 1;
		const uint8_t *end = memchr(topic, '@',
		    s.tag_len - ti.at - 1);
		size_t ttl = end ? (size_t)(end - topic) :
		    s.tag_len - ti.at - 1;

		if (to == NULL && srv->cluster == NULL) {
			srv->m.drops[DROP_UNKNOWN_CID]++;
			return 0;
		}
		tag[0] = '@';
		memcpy(tag + 1, topic, ttl);
		if (retagged(srv, c, m, len, tag, ttl + 1, &out) < 0)
			return 0;
		if (to == NULL) {	/* maybe on another node */
			if (!cluster_unicast(srv, c, (const char *)s.tag, ti.at,
			    out->data, out->len))
				srv->m.drops[DROP_UNKNOWN_CID]++;
			msg_unref(out);
			return 0;
		}
		srv->m.publishes++;
		if (srv->ntraces)
			trace_route(srv, c, out->data, out->len, 1);
		session_send(to, out);
		srv->m.fanout_deliveries++;
		msg_unref(out);
		return 1;
	}
	case TAG_CID_PUBLISH:
		/* "@topic" becomes "<own cid>@topic". */
		if (c == NULL || c->s->cid[0] == '\0') {
			srv->m.drops[DROP_BAD_TAG]++;
			return 0;
		}
		tl = strlen(c->s->cid);
		memcpy(tag, c->s->cid, tl);
		memcpy(tag + tl, s.tag, s.tag_len);
		tl += s.tag_len;
		if (retagged(srv, c, m, len, tag, tl, &out) < 0)
			return 0;
		break;
	default:
		memcpy(tag, s.tag, s.tag_len);
		tl = s.tag_len;
		out = NULL;	/* copied below only if someone keeps it */
		break;
	}
	kl = tag_router_key(tag, tl, c ? c->home : "PRIVATE:", key,
	    sizeof(key));
	if (kl < 0) {
		srv->m.drops[DROP_BAD_TAG]++;
		msg_unref(out);
		return 0;
	}
	srv->m.publishes++;
	ch = channel_find(srv, key, (size_t)kl);
	if (out == NULL && (ti.retained || (ch && ch->nsubs > 0)) &&
	    (out = msg_copy(m, len)) == NULL) {
		if (c)
			conn_nomem(c, "out of memory (publish)");
		return 0;
	}
	if (ti.retained && c != NULL)
		retain(srv, c, key, (size_t)kl, ch, out);
	if (ch && out)
		sent = fan_out(srv, c, ch, out);
	if (srv->cluster)	/* and to the other nodes' subscribers */
		cluster_publish(srv, c, key, (size_t)kl, out ? out->data : m,
		    out ? out->len : len);
	if (srv->ntraces)
		trace_route(srv, c, m, len, sent);
	if (out)
		msg_unref(out);
	return sent;
}

/* ---- subscribe ---- */

/* The retained signal a new subscriber of key gets, if any. */
static struct msg *
retained_for(struct server *srv, const char *key, size_t klen,
    const struct channel *ch)
{
	const char *at = memchr(key, '@', klen);

	if (at && klen > 4 && memcmp(key, "CID:", 4) == 0) {
		const char *topic = at + 1;
		const char *end = memchr(topic, '@', klen - (size_t)(topic - key));
		size_t tl = end ? (size_t)(end - topic) :
		    klen - (size_t)(topic - key);
		struct conn *pub = router_find_cid(srv, key + 4,
		    (size_t)(at - key) - 4);
		struct cid_retained *r = NULL;

		if (pub == NULL)
			return NULL;
		HASH_FIND(hh, pub->s->retained, topic, tl, r);
		return r ? r->m : NULL;
	}
	return ch->retained;
}

/* Room for one more pointer in *v (cap *cap, n used): 0 or -1. */
static int
grow_array(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}
#define grow(v, cap, n)	grow_array((void **)(v), (cap), (n), sizeof(**(v)))

bool
router_sub_room(struct server *srv, struct conn *c,
    const struct ios_taglist *t)
{
	size_t room = c->s->nsubs < srv->opt.max_subs ? srv->opt.max_subs -
	    c->s->nsubs : 0, nnew = 0, pos = 0, tl;
	const uint8_t *tag;
	/* The keys new in this list so far, to count a repeated tag once;
	 * never more than room + 1 of them. */
	char (*seen)[TAG_KEY_MAX] = NULL;
	bool fits = true;

	while (iosmsg_taglist_next(t, &pos, &tag, &tl)) {
		char key[TAG_KEY_MAX];
		struct channel *ch;
		long kl;
		size_t i;

		if (tl > IOS_TAG_MAX || !utf8_valid(tag, tl) ||
		    (kl = key_of(c, tag, tl, key, sizeof(key))) < 0)
			continue;	/* refused one by one anyway */
		ch = channel_find(srv, key, (size_t)kl);
		if (ch && channel_has(ch, c))
			continue;
		for (i = 0; i < nnew && strcmp(seen[i], key) != 0; i++)
			;
		if (i < nnew)
			continue;
		if (nnew == room) {
			fits = false;
			break;
		}
		if (seen == NULL && (seen = malloc((room < 64 ? room : 64) *
		    sizeof(*seen))) == NULL)
			return false;
		if (nnew >= 64 && (nnew & (nnew - 1)) == 0) {
			void *n = realloc(seen, 2 * nnew * sizeof(*seen));

			if (n == NULL) {
				free(seen);
				return false;
			}
			seen = n;
		}
		memcpy(seen[nnew++], key, (size_t)kl + 1);
	}
	free(seen);
	if (!fits) {
		srv->m.drops[DROP_SUB_LIMIT]++;
		if (log_allow(LC_SUBSCRIBE))
			log_info("conn=%u cid=%s subscription refused: over the "
			    "limit of %zu", c->ssid, c->s->cid[0] ? c->s->cid :
			    "-", srv->opt.max_subs);
	}
	return fits;
}

void
router_subscribe(struct server *srv, struct conn *c, const uint8_t *tag,
    size_t len)
{
	char key[TAG_KEY_MAX];
	struct channel *ch;
	struct session *s = c->s;
	long kl;

	/* A tag no SIGNAL can carry is never worth a channel. */
	if (len > IOS_TAG_MAX || !utf8_valid(tag, len)) {
		srv->m.drops[DROP_BAD_TAG]++;
		return;
	}
	kl = key_of(c, tag, len, key, sizeof(key));
	if (kl < 0)
		return;
	ch = channel_find(srv, key, (size_t)kl);
	if (ch == NULL || !channel_has(ch, c)) {
		if (s->nsubs >= srv->opt.max_subs) {
			srv->m.drops[DROP_SUB_LIMIT]++;
			if (log_allow(LC_SUBSCRIBE))
				log_info("conn=%u cid=%s subscription limit "
				    "%zu", c->ssid, s->cid[0] ? s->cid : "-",
				    srv->opt.max_subs);
			return;
		}
		if ((ch = channel_get(srv, key, (size_t)kl)) == NULL ||
		    grow(&ch->subs, &ch->cap, ch->nsubs) < 0 ||
		    grow(&s->subs, &s->subcap, s->nsubs) < 0) {
			if (ch)
				channel_gc(srv, ch);
			conn_nomem(c, "out of memory (subscribe)");
			return;
		}
		ch->subs[ch->nsubs++] = c;
		s->subs[s->nsubs++] = ch;
		srv->m.subscriptions++;
		if (ch->nsubs == 1)	/* the first local subscriber */
			cluster_interest(srv, key, (size_t)kl, true);
	}
	if (memchr(key, '$', (size_t)kl) &&
	    !cluster_fetch_retained(srv, c, key, (size_t)kl)) {
		struct msg *r = retained_for(srv, key, (size_t)kl, ch);

		if (r)
			session_send(c, r);
	}
}

void
router_unsubscribe(struct server *srv, struct conn *c, const uint8_t *tag,
    size_t len)
{
	char key[TAG_KEY_MAX];
	struct channel *ch;
	long kl;

	if (len > IOS_TAG_MAX)
		return;
	kl = key_of(c, tag, len, key, sizeof(key));
	if (kl < 0 || (ch = channel_find(srv, key, (size_t)kl)) == NULL)
		return;
	if (!channel_has(ch, c))
		return;
	channel_remove(ch, c);
	session_forget(srv, c, ch);
	channel_gc(srv, ch);
}

void
router_unsubscribe_all(struct server *srv, struct conn *c)
{
	struct session *s = c->s;

	while (s->nsubs) {
		struct channel *ch = s->subs[s->nsubs - 1];

		channel_remove(ch, c);
		s->nsubs--;
		srv->m.subscriptions--;
		channel_gc(srv, ch);
	}
}

/* ---- a client leaves ---- */

static void
state_signal(struct server *srv, struct conn *c, const char *tag)
{
	uint8_t buf[64];
	long n = iosmsg_build_text_signal(tag, "close", buf, sizeof(buf));

	if (n > 0)
		route(srv, c, buf, (size_t)n);
}

void
router_conn_gone(struct server *srv, struct conn *c)
{
	struct session *s = c->s;
	struct cid_retained *r, *tmp;

	if (s->cid[0]) {
		/* The reference's removeRemote: subscribers of <cid>@state
		 * and <cid>@$state hear "close". */
		state_signal(srv, c, "@state");
		state_signal(srv, c, "@$state");
	}
	router_unsubscribe_all(srv, c);
	HASH_ITER(hh, s->retained, r, tmp) {
		/* An anonymous publisher's CID channels go with it,
		 * subscribers and all, as in the reference. */
		if (!s->boho.authorized) {
			char key[TAG_KEY_MAX];
			int kl = snprintf(key, sizeof(key), "CID:%s@%s", s->cid,
			    r->topic);
			struct channel *ch;

			if (kl > 0 && (size_t)kl < sizeof(key) &&
			    (ch = channel_find(srv, key, (size_t)kl)) != NULL) {
				while (ch->nsubs) {
					struct conn *sub = ch->subs[--ch->nsubs];
					session_forget(srv, sub, ch);
				}
				channel_gc(srv, ch);
			}
		}
		HASH_DEL(s->retained, r);
		msg_unref(r->m);
		free(r);
		srv->m.retained--;
	}
	if (s->cid[0] && router_find_cid(srv, s->cid, strlen(s->cid)) == c) {
		HASH_DELETE(hh_cid, srv->router->cids, c);
		cluster_cid_release(srv, s->cid);
	}
}

size_t
router_channel_count(const struct server *srv)
{
	return HASH_CNT(hh, srv->router->channels);
}

void
router_counts(const struct server *srv, struct router_counts *n)
{
	n->channels = HASH_CNT(hh, srv->router->channels);
	n->subscriptions = (size_t)srv->m.subscriptions;
	n->retained = (size_t)srv->m.retained;
	n->cids = HASH_CNT(hh_cid, srv->router->cids);
}

void
router_free(struct server *srv)
{
	struct router *r = srv->router;
	struct channel *ch, *tmp;

	if (r == NULL)
		return;
	HASH_ITER(hh, r->channels, ch, tmp) {
		HASH_DEL(r->channels, ch);
		msg_unref(ch->retained);
		free(ch->subs);
		free(ch);
	}
	HASH_CLEAR(hh_cid, r->cids);
	free(r);
	srv->router = NULL;
}

/* ---- lookups and walks, for listings ---- */

struct channel *
router_find_channel(struct server *srv, const char *key, size_t len)
{
	return channel_find(srv, key, len);
}

const char *
router_channel_key(const struct channel *ch)
{
	return ch->key;
}

void
router_channel_info(const struct channel *ch, struct router_channel_info *i)
{
	i->subscribers = ch->nsubs;
	i->retained = ch->retained != NULL;
	i->retained_bytes = ch->retained ? ch->retained->len : 0;
	i->publishes = ch->publishes;
}

void
router_foreach_channel(struct server *srv,
    void (*fn)(const struct channel *, void *), void *arg)
{
	struct channel *ch, *tmp;

	HASH_ITER(hh, srv->router->channels, ch, tmp)
		fn(ch, arg);
}

void
router_foreach_subscriber(const struct channel *ch,
    void (*fn)(struct conn *, void *), void *arg)
{
	for (size_t i = 0; i < ch->nsubs; i++)
		fn(ch->subs[i], arg);
}

void
router_foreach_cid(struct server *srv, void (*fn)(struct conn *, void *),
    void *arg)
{
	struct conn *c, *tmp;

	HASH_ITER(hh_cid, srv->router->cids, c, tmp)
		fn(c, arg);
}

/* ---- the cluster's way in (cluster.c) ---- */

int
router_cluster_deliver(struct server *srv, const char *key, size_t klen,
    const uint8_t *m, size_t len)
{
	struct channel *ch = channel_find(srv, key, klen);
	struct msg *out;

	if (len < 3 || (m[0] != IOS_SIGNAL && m[0] != IOS_SIGNAL_E2E))
		return -1;
	if (ch == NULL || ch->nsubs == 0)
		return 0;
	if ((out = msg_copy(m, len)) == NULL)
		return -1;
	fan_out(srv, NULL, ch, out);
	msg_unref(out);
	return 0;
}

struct msg *
router_retained_local(struct server *srv, const char *key, size_t klen)
{
	struct channel *ch = channel_find(srv, key, klen);

	return ch ? ch->retained : NULL;
}
