/*
 * store_redis.c - devices in Redis, in the reference's layout: one hash
 * device:<id> with the fields key, cid and level. iosd adds disabled,
 * created and updated, which the reference never reads; fields nobody
 * knows are ignored, so an existing iosignal Redis works as it is.
 *
 * One hiredis connection on the daemon's loop. Redis is never required to
 * be up: a connection that fails or breaks is retried with backoff (1 s
 * doubling to 30 s) and, until it is back, every operation fails at once
 * with "redis unavailable". hiredis 0.14 has no timeouts, so a watchdog
 * drops a connection that leaves a command unanswered for TIMEOUT seconds.
 *
 * Every operation is an op on the backend's list until its callback has
 * run; it is freed only once hiredis has also returned every reply it
 * waits for (hiredis calls each reply function exactly once, with a NULL
 * reply when the connection goes away).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "log.h"
#include "store.h"
#include "xmalloc.h"

/* The reference's client defaults. */
#define DEFAULT_HOST	"127.0.0.1"
#define DEFAULT_PORT	6379
#define RETRY_MIN	1.0		/* seconds */
#define RETRY_MAX	30.0
#define TIMEOUT		5.0		/* s without an answer */
#define LIST_MAX	100000		/* devices in one list */
#define KEY_PREFIX	"device:"
#define KEY_PREFIX_LEN	(sizeof(KEY_PREFIX) - 1)
#define UNAVAILABLE	"redis unavailable"

/*
 * Writes are one EVAL, which Redis runs atomically: without replace, a
 * device that has a key is left alone ("exists"), with the same notion of
 * existence as get; otherwise the fields are written together and created
 * is set only if the hash has none yet. One command also means no MULTI
 * can be left open on the connection by a half-sent batch.
 */
static const char put_script[] =
    "if ARGV[1] == '0' and redis.call('HEXISTS', KEYS[1], 'key') == 1 "
    "then return 0 end "
    "redis.call('HMSET', KEYS[1], 'key', ARGV[2], 'cid', ARGV[3], "
    "'level', ARGV[4], 'disabled', ARGV[5], 'updated', ARGV[6]) "
    "redis.call('HSETNX', KEYS[1], 'created', ARGV[7]) "
    "return 1";

enum rd_state { RD_DOWN, RD_CONNECTING, RD_UP };
enum op_kind { OP_GET, OP_PUT, OP_DEL, OP_LIST };

struct rd;

struct op {
	TAILQ_ENTRY(op) entry;
	struct rd *b;		/* NULL once the caller is answered */
	enum op_kind kind;
	union {
		store_device_cb *dev;
		store_done_cb *done;
		store_list_cb *list;
	} cb;
	void *arg;
	int refs;		/* hiredis replies still to come */
	char id[DEVICE_ID_MAX + 1];

	/* list: one slot per HGETALL sent, filled in the order the replies
	 * come back, which is the order they were sent. */
	struct device *v;
	size_t n, cap, filled;
	bool scanned;		/* the last SCAN has answered */
};

struct rd {
	struct device_backend b;	/* first: what the store holds */
	struct ev_loop *loop;
	redisAsyncContext *ac;		/* NULL while down */
	enum rd_state state;
	bool closing;
	bool outage_logged;		/* this outage has had its warning */
	unsigned npending;		/* replies awaited on ac */
	double backoff;			/* before the next attempt */
	ev_timer retry, wd;
	TAILQ_HEAD(, op) ops;

	char host[256];
	int port;
	char path[108];			/* unix socket; "" for TCP */
	int db;
	char where[400];		/* for the log */
};

/* ---- the connection ---- */

static void
retry_later(struct rd *b, const char *why)
{
	if (!b->outage_logged)
		log_warnx("redis: %s: %s; retrying in %.0f s", b->where, why,
		    b->backoff);
	else
		log_debug("redis: %s: %s; retrying in %.0f s", b->where, why,
		    b->backoff);
	b->outage_logged = true;
	ev_timer_stop(b->loop, &b->retry);
	ev_timer_set(&b->retry, b->backoff, 0.);
	ev_timer_start(b->loop, &b->retry);
	b->backoff *= 2;
	if (b->backoff > RETRY_MAX)
		b->backoff = RETRY_MAX;
}

/*
 * Give the connection up and try again later. hiredis answers what waits
 * on it with NULL replies, whose callbacks may even close b: b is not
 * touched once redisAsyncFree is called. Never called from the connect
 * callback, where hiredis would go on using the freed context.
 */
static void
drop(struct rd *b, const char *why)
{
	redisAsyncContext *ac = b->ac;

	b->ac = NULL;
	b->state = RD_DOWN;
	b->npending = 0;
	ev_timer_stop(b->loop, &b->wd);
	retry_later(b, why);
	ac->data = NULL;
	redisAsyncFree(ac);
}

static void
up(struct rd *b)
{
	b->state = RD_UP;
	b->backoff = RETRY_MIN;
	b->outage_logged = false;
	if (b->npending == 0)
		ev_timer_stop(b->loop, &b->wd);
	log_info("redis: connected to %s", b->where);
}

/* A reply came on b's connection: the watchdog starts over. */
static void
progress(struct rd *b)
{
	if (b->npending > 0)
		b->npending--;
	if (b->npending > 0 || b->state == RD_CONNECTING)
		ev_timer_again(b->loop, &b->wd);
	else
		ev_timer_stop(b->loop, &b->wd);
}

static void
select_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rd *b = ac->data;
	redisReply *r = reply;
	char why[300];

	(void)priv;
	if (r == NULL || b == NULL)
		return;
	progress(b);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "SELECT %d: %s", b->db, r->str);
		drop(b, why);	/* in a callback: freed after it */
		return;
	}
	up(b);
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	struct rd *b = cac->data;
	char db[16];
	const char *argv[] = { "SELECT", db };

	if (b == NULL || b->ac != cac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		b->ac = NULL;
		b->state = RD_DOWN;
		b->npending = 0;
		ev_timer_stop(b->loop, &b->wd);
		retry_later(b, cac->errstr ? cac->errstr : "cannot connect");
		return;
	}
	if (b->db == 0) {
		up(b);
		return;
	}
	/* Nothing else is sent before the SELECT has answered. If it cannot
	 * even be queued, the watchdog gives the connection up. */
	snprintf(db, sizeof(db), "%d", b->db);
	if (redisAsyncCommandArgv(b->ac, select_reply, NULL, 2, argv,
	    NULL) == REDIS_OK)
		b->npending++;
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	struct rd *b = cac->data;

	/* NULL: dropped or closed by us, and already dealt with. */
	if (b == NULL || b->ac != cac)
		return;
	b->ac = NULL;
	b->state = RD_DOWN;
	b->npending = 0;
	b->backoff = RETRY_MIN;
	ev_timer_stop(b->loop, &b->wd);
	log_warnx("redis: %s: connection lost: %s", b->where,
	    status == REDIS_OK || cac->errstr == NULL ? "closed" : cac->errstr);
	b->outage_logged = true;
	retry_later(b, "reconnecting");
}

static void
connect_start(struct rd *b)
{
	redisAsyncContext *ac;

	if (b->path[0])
		ac = redisAsyncConnectUnix(b->path);
	else
		ac = redisAsyncConnect(b->host, b->port);
	if (ac == NULL) {
		retry_later(b, "out of memory");
		return;
	}
	if (ac->err) {
		retry_later(b, ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	ac->data = b;
	if (redisLibevAttach(b->loop, ac) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, on_connect) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, on_disconnect) != REDIS_OK) {
		retry_later(b, "cannot attach to the event loop");
		ac->data = NULL;
		redisAsyncFree(ac);
		return;
	}
	b->ac = ac;
	b->state = RD_CONNECTING;
	b->npending = 0;
	ev_timer_again(b->loop, &b->wd);	/* the connect timeout */
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	connect_start(w->data);
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd *b = w->data;

	(void)revents;
	if (b->ac == NULL ||
	    (b->state == RD_UP && b->npending == 0)) {
		ev_timer_stop(loop, w);
		return;
	}
	drop(b, b->state == RD_CONNECTING ? "connect timed out" :
	    "no answer in time");
}

/* ---- ops ---- */

static struct op *
op_new(struct rd *b, enum op_kind kind, void *arg)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->b = b;
	o->kind = kind;
	o->arg = arg;
	TAILQ_INSERT_TAIL(&b->ops, o, entry);
	return o;
}

/*
 * Answer the caller. o leaves the list first, since the callback may close
 * the backend; it is freed here unless hiredis still owes it replies.
 */
static void
op_done(struct op *o, int rc, const char *err, const struct device *d)
{
	TAILQ_REMOVE(&o->b->ops, o, entry);
	o->b = NULL;
	switch (o->kind) {
	case OP_GET:
		o->cb.dev(o->arg, rc, d);
		break;
	case OP_PUT:
	case OP_DEL:
		o->cb.done(o->arg, rc, err);
		break;
	case OP_LIST:
		o->cb.list(o->arg, rc, rc == 0 ? o->v : NULL,
		    rc == 0 ? o->n : 0);
		break;
	}
	free(o->v);
	o->v = NULL;
	if (o->refs == 0)
		free(o);
}

/* Queue one command for o; false when hiredis refuses it, which means the
 * connection is on its way out. */
static bool
op_send(struct op *o, redisCallbackFn *fn, int argc, const char **argv)
{
	struct rd *b = o->b;

	if (redisAsyncCommandArgv(b->ac, fn, o, argc, argv, NULL) != REDIS_OK)
		return false;
	o->refs++;
	if (b->npending++ == 0)
		ev_timer_again(b->loop, &b->wd);
	return true;
}

/*
 * Account for one reply to o. True when there is something to do with it;
 * false when o had already been answered (and is maybe freed now) or the
 * connection went away (and o has failed).
 */
static bool
op_arrived(redisAsyncContext *ac, struct op *o, const redisReply *r)
{
	struct rd *b = ac->data;

	o->refs--;
	if (r != NULL && b != NULL)
		progress(b);
	if (o->b == NULL) {
		if (o->refs == 0)
			free(o);
		return false;
	}
	if (r == NULL) {
		op_done(o, STORE_UNAVAILABLE, o->b->closing ? "closing" :
		    UNAVAILABLE, NULL);
		return false;
	}
	return true;
}

static bool
key_name(char *buf, size_t len, const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > DEVICE_ID_MAX)
		return false;
	return (size_t)snprintf(buf, len, KEY_PREFIX "%s", id) < len;
}

/* ---- reading a device hash ---- */

static bool
field_is(const redisReply *f, const char *name)
{
	size_t n = strlen(name);

	return f->len == n && memcmp(f->str, name, n) == 0;
}

/* Copy a value that must fit whole, without a NUL inside. */
static bool
copy_value(char *dst, size_t cap, const redisReply *v)
{
	if (v->len >= cap || memchr(v->str, '\0', v->len) != NULL)
		return false;
	memcpy(dst, v->str, v->len);
	dst[v->len] = '\0';
	return true;
}

/* A decimal in [0, max]; the empty string counts as 0 like a missing
 * field. */
static bool
number_value(const redisReply *v, long long max, long long *out)
{
	long long n = 0;

	if (v->len > 18)
		return false;
	for (size_t i = 0; i < v->len; i++) {
		if (v->str[i] < '0' || v->str[i] > '9')
			return false;
		n = n * 10 + (v->str[i] - '0');
	}
	if (n > max)
		return false;
	*out = n;
	return true;
}

/*
 * Fill d from an HGETALL reply. 0; STORE_NOTFOUND without a (non-empty)
 * key, as the reference reads it; -1 and *why when a value does not fit
 * what iosd holds (nothing is truncated).
 */
static int
parse_device(const redisReply *r, const char *id, size_t idlen,
    struct device *d, const char **why)
{
	const redisReply *f, *v;
	bool has_key = false;
	long long n;

	memset(d, 0, sizeof(*d));
	*why = "bad record";
	if (idlen > DEVICE_ID_MAX)
		return -1;
	memcpy(d->id, id, idlen);
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		*why = "not a hash";
		return -1;
	}
	for (size_t i = 0; i < r->elements; i += 2) {
		f = r->element[i];
		v = r->element[i + 1];
		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING) {
			*why = "not a hash";
			return -1;
		}
		if (field_is(f, "key") && v->len > 0)
			has_key = true;
	}
	if (!has_key)
		return STORE_NOTFOUND;
	for (size_t i = 0; i < r->elements; i += 2) {
		f = r->element[i];
		v = r->element[i + 1];
		if (field_is(f, "key")) {
			if (!copy_value(d->key, sizeof(d->key), v))
				return -1;
		} else if (field_is(f, "cid")) {
			if (!copy_value(d->cid, sizeof(d->cid), v))
				return -1;
		} else if (field_is(f, "level")) {
			if (!number_value(v, 255, &n))
				return -1;
			d->level = (int)n;
		} else if (field_is(f, "disabled")) {
			if (!number_value(v, 1, &n))
				return -1;
			d->disabled = n != 0;
		} else if (field_is(f, "created")) {
			if (!number_value(v, INT64_MAX, &n))
				return -1;
			d->created = n;
		} else if (field_is(f, "updated")) {
			if (!number_value(v, INT64_MAX, &n))
				return -1;
			d->updated = n;
		}
	}
	return 0;
}

/* ---- get ---- */

static void
get_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct op *o = priv;
	redisReply *r = reply;
	struct device d;
	const char *why;
	int rc;

	if (!op_arrived(ac, o, r))
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: get %s: %s", o->id, r->str);
		op_done(o, STORE_FAILED, NULL, NULL);
		return;
	}
	rc = parse_device(r, o->id, strlen(o->id), &d, &why);
	if (rc < 0)
		log_warnx("redis: " KEY_PREFIX "%s: %s", o->id, why);
	op_done(o, rc, NULL, rc == 0 ? &d : NULL);
}

static void
rd_get(struct device_backend *db, const char *id, store_device_cb *cb,
    void *arg)
{
	struct rd *b = (struct rd *)db;
	char key[KEY_PREFIX_LEN + DEVICE_ID_MAX + 1];
	const char *argv[] = { "HGETALL", key };
	struct op *o;

	if (!key_name(key, sizeof(key), id)) {
		cb(arg, STORE_NOTFOUND, NULL);	/* cannot be stored */
		return;
	}
	if (b->state != RD_UP) {
		cb(arg, -1, NULL);
		return;
	}
	if ((o = op_new(b, OP_GET, arg)) == NULL) {
		cb(arg, -1, NULL);
		return;
	}
	o->cb.dev = cb;
	memcpy(o->id, key + KEY_PREFIX_LEN, strlen(id) + 1);
	if (!op_send(o, get_reply, 2, argv))
		op_done(o, STORE_FAILED, NULL, NULL);
}

/* ---- put ---- */

static void
put_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct op *o = priv;
	redisReply *r = reply;

	if (!op_arrived(ac, o, r))
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: put %s: %s", o->id, r->str);
		op_done(o, STORE_FAILED, r->str, NULL);
		return;
	}
	if (r->type != REDIS_REPLY_INTEGER) {
		op_done(o, STORE_FAILED, "unexpected reply", NULL);
		return;
	}
	op_done(o, r->integer == 1 ? 0 : STORE_EXISTS, NULL, NULL);
}

static void
rd_put(struct device_backend *db, const struct device *d, bool replace,
    store_done_cb *cb, void *arg)
{
	struct rd *b = (struct rd *)db;
	char key[KEY_PREFIX_LEN + DEVICE_ID_MAX + 1], level[16], now[24],
	    created[24];
	const char *argv[] = { "EVAL", put_script, "1", key,
	    replace ? "1" : "0", d->key, d->cid, level,
	    d->disabled ? "1" : "0", now, created };
	long long t = (long long)time(NULL);
	struct op *o;

	if (!key_name(key, sizeof(key), d->id)) {
		cb(arg, -1, "bad id");
		return;
	}
	if (memchr(d->key, '\0', sizeof(d->key)) == NULL ||
	    memchr(d->cid, '\0', sizeof(d->cid)) == NULL) {
		cb(arg, -1, "bad record");
		return;
	}
	if (b->state != RD_UP) {
		cb(arg, -1, b->closing ? "closing" : UNAVAILABLE);
		return;
	}
	snprintf(level, sizeof(level), "%d", d->level);
	snprintf(now, sizeof(now), "%lld", t);
	snprintf(created, sizeof(created), "%lld",
	    d->created > 0 ? (long long)d->created : t);
	if ((o = op_new(b, OP_PUT, arg)) == NULL) {
		cb(arg, -1, "out of memory");
		return;
	}
	o->cb.done = cb;
	memcpy(o->id, d->id, strlen(d->id) + 1);
	if (!op_send(o, put_reply, (int)(sizeof(argv) / sizeof(argv[0])),
	    argv))
		op_done(o, STORE_UNAVAILABLE, UNAVAILABLE, NULL);
}

/* ---- del ---- */

static void
del_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct op *o = priv;
	redisReply *r = reply;

	if (!op_arrived(ac, o, r))
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: del %s: %s", o->id, r->str);
		op_done(o, STORE_FAILED, r->str, NULL);
	} else if (r->type != REDIS_REPLY_INTEGER)
		op_done(o, STORE_FAILED, "unexpected reply", NULL);
	else
		op_done(o, r->integer > 0 ? 0 : STORE_NOTFOUND, NULL, NULL);
}

static void
rd_del(struct device_backend *db, const char *id, store_done_cb *cb,
    void *arg)
{
	struct rd *b = (struct rd *)db;
	char key[KEY_PREFIX_LEN + DEVICE_ID_MAX + 1];
	const char *argv[] = { "DEL", key };
	struct op *o;

	if (!key_name(key, sizeof(key), id)) {
		cb(arg, -1, "bad id");
		return;
	}
	if (b->state != RD_UP) {
		cb(arg, -1, b->closing ? "closing" : UNAVAILABLE);
		return;
	}
	if ((o = op_new(b, OP_DEL, arg)) == NULL) {
		cb(arg, -1, "out of memory");
		return;
	}
	o->cb.done = cb;
	memcpy(o->id, id, strlen(id) + 1);
	if (!op_send(o, del_reply, 2, argv))
		op_done(o, STORE_UNAVAILABLE, UNAVAILABLE, NULL);
}

/* ---- list ---- */

static int
device_cmp(const void *a, const void *b)
{
	return strcmp(((const struct device *)a)->id,
	    ((const struct device *)b)->id);
}

/* All answered: keep the devices (a slot without a key was skipped), in id
 * order, each once (SCAN may return a key twice). */
static void
list_finish(struct op *o)
{
	size_t i, n = 0;

	for (i = 0; i < o->n; i++)
		if (o->v[i].key[0] != '\0')
			o->v[n++] = o->v[i];
	if (n > 1)
		qsort(o->v, n, sizeof(*o->v), device_cmp);
	o->n = 0;
	for (i = 0; i < n; i++)
		if (o->n == 0 || strcmp(o->v[o->n - 1].id, o->v[i].id) != 0)
			o->v[o->n++] = o->v[i];
	op_done(o, 0, NULL, NULL);
}

static void
item_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct op *o = priv;
	redisReply *r = reply;
	struct device *d;
	char id[DEVICE_ID_MAX + 1];
	const char *why;
	int rc;

	if (!op_arrived(ac, o, r))
		return;
	d = &o->v[o->filled++];
	memcpy(id, d->id, sizeof(id));
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: " KEY_PREFIX "%s: %s; not listed", id,
		    r->str);
		d->key[0] = '\0';
	} else if ((rc = parse_device(r, id, strlen(id), d, &why)) != 0) {
		/* Without a key it is no device, as for the reference. */
		if (rc < 0)
			log_warnx("redis: " KEY_PREFIX "%s: %s; not listed",
			    id, why);
		d->key[0] = '\0';
	}
	if (o->scanned && o->refs == 0)
		list_finish(o);
}

static void
scan_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct op *o = priv;
	redisReply *r = reply, *keys;
	const char *cursor;

	if (!op_arrived(ac, o, r))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		log_warnx("redis: list: SCAN: %s", r->type ==
		    REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		op_done(o, STORE_FAILED, NULL, NULL);
		return;
	}
	cursor = r->element[0]->str;
	keys = r->element[1];
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		const char *argv[] = { "HGETALL", k->str };
		size_t idlen;
		struct device *d;

		if (k->type != REDIS_REPLY_STRING ||
		    k->len <= KEY_PREFIX_LEN ||
		    memcmp(k->str, KEY_PREFIX, KEY_PREFIX_LEN) != 0)
			continue;
		idlen = k->len - KEY_PREFIX_LEN;
		if (idlen > DEVICE_ID_MAX ||
		    memchr(k->str, '\0', k->len) != NULL) {
			log_debug("redis: list: %.*s: not a device id; "
			    "skipped", (int)(k->len > 64 ? 64 : k->len),
			    k->str);
			continue;
		}
		if (o->n == LIST_MAX) {
			log_warnx("redis: list: more than %d devices; "
			    "refused", LIST_MAX);
			op_done(o, STORE_FAILED, NULL, NULL);
			return;
		}
		if (o->n == o->cap) {
			size_t ncap = o->cap ? o->cap * 2 : 64;
			struct device *nv = reallocarray(o->v, ncap,
			    sizeof(*o->v));

			if (nv == NULL) {
				op_done(o, STORE_FAILED, NULL, NULL);
				return;
			}
			o->v = nv;
			o->cap = ncap;
		}
		d = &o->v[o->n];
		memset(d, 0, sizeof(*d));
		memcpy(d->id, k->str + KEY_PREFIX_LEN, idlen);
		if (!op_send(o, item_reply, 2, argv)) {
			op_done(o, STORE_FAILED, NULL, NULL);
			return;
		}
		o->n++;
	}
	if (strcmp(cursor, "0") == 0)
		o->scanned = true;
	else {
		const char *argv[] = { "SCAN", cursor, "MATCH",
		    KEY_PREFIX "*", "COUNT", "100" };

		if (!op_send(o, scan_reply, 6, argv)) {
			op_done(o, STORE_FAILED, NULL, NULL);
			return;
		}
	}
	if (o->scanned && o->refs == 0)
		list_finish(o);
}

static void
rd_list(struct device_backend *db, store_list_cb *cb, void *arg)
{
	struct rd *b = (struct rd *)db;
	const char *argv[] = { "SCAN", "0", "MATCH", KEY_PREFIX "*",
	    "COUNT", "100" };
	struct op *o;

	if (b->state != RD_UP) {
		cb(arg, -1, NULL, 0);
		return;
	}
	if ((o = op_new(b, OP_LIST, arg)) == NULL) {
		cb(arg, -1, NULL, 0);
		return;
	}
	o->cb.list = cb;
	if (!op_send(o, scan_reply, 6, argv))
		op_done(o, STORE_FAILED, NULL, NULL);
}

/* ---- close ---- */

static bool
rd_up(const struct device_backend *db)
{
	return ((const struct rd *)db)->state == RD_UP;
}

static void
rd_close(struct device_backend *db)
{
	struct rd *b = (struct rd *)db;
	redisAsyncContext *ac = b->ac;
	struct op *o;

	ev_timer_stop(b->loop, &b->retry);
	ev_timer_stop(b->loop, &b->wd);
	b->ac = NULL;
	b->state = RD_DOWN;
	b->closing = true;
	/* Answered here, once; hiredis's NULL replies that follow only free
	 * them. */
	while ((o = TAILQ_FIRST(&b->ops)) != NULL)
		op_done(o, STORE_FAILED, "closing", NULL);
	if (ac != NULL) {
		ac->data = NULL;
		redisAsyncFree(ac);	/* deferred in a reply callback */
	}
	free(b);
}

/* ---- opening ---- */

static bool
parse_port(const char *s, size_t len, int *port)
{
	int n = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return false;
	*port = n;
	return true;
}

static bool
set_host(struct rd *b, const char *s, size_t len)
{
	if (len == 0 || len >= sizeof(b->host))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || strchr("/@[]?#", c) != NULL)
			return false;
	}
	memcpy(b->host, s, len);
	b->host[len] = '\0';
	return true;
}

/* host, host:port, [v6] or [v6]:port; several colons without brackets
 * are a bare IPv6 address. */
static bool
parse_hostport(struct rd *b, const char *s, size_t len)
{
	const char *colon, *port = NULL;
	size_t hlen = len, plen = 0;

	if (len > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', len);
		size_t rest;

		if (end == NULL)
			return false;
		hlen = (size_t)(end - s) - 1;
		rest = len - (size_t)(end + 1 - s);
		if (hlen == 0)
			return false;
		if (rest > 0) {
			if (end[1] != ':')
				return false;
			port = end + 2;
			plen = rest - 1;
		}
		s++;
	} else if ((colon = memchr(s, ':', len)) != NULL &&
	    memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) {
		hlen = (size_t)(colon - s);
		port = colon + 1;
		plen = len - hlen - 1;
	}
	if (!set_host(b, s, hlen))
		return false;
	return port == NULL || parse_port(port, plen, &b->port);
}

static bool
parse_db(const char *s, int *db)
{
	size_t len = strlen(s);
	int n = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	*db = n;
	return true;
}

static int
parse_url(struct rd *b, const char *url, char *err, size_t errlen)
{
	b->port = DEFAULT_PORT;
	if (url == NULL || *url == '\0') {
		const char *h = getenv("REDIS_HOST"), *p = getenv("REDIS_PORT");

		if (h == NULL || *h == '\0')
			h = DEFAULT_HOST;
		if (!set_host(b, h, strlen(h))) {
			snprintf(err, errlen, "REDIS_HOST: \"%s\" is not a "
			    "host name", h);
			return -1;
		}
		if (p != NULL && *p != '\0' &&
		    !parse_port(p, strlen(p), &b->port)) {
			snprintf(err, errlen, "REDIS_PORT: \"%s\" is not a "
			    "port number", p);
			return -1;
		}
		return 0;
	}
	if (strncmp(url, "unix:", 5) == 0) {
		const char *path = url + 5;

		if (strncmp(path, "//", 2) == 0)
			path += 2;
		if (path[0] != '/' || strlen(path) >= sizeof(b->path)) {
			snprintf(err, errlen, "redis %s: unix: needs an "
			    "absolute path of at most %zu bytes", url,
			    sizeof(b->path) - 1);
			return -1;
		}
		memcpy(b->path, path, strlen(path) + 1);
		return 0;
	}
	if (strncmp(url, "redis://", 8) == 0) {
		const char *s = url + 8, *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		if (memchr(s, '@', len) != NULL) {
			snprintf(err, errlen, "redis %s: a user or password "
			    "in the URL is not supported", url);
			return -1;
		}
		if (parse_hostport(b, s, len) && (slash == NULL ||
		    slash[1] == '\0' || parse_db(slash + 1, &b->db)))
			return 0;
	} else if (strstr(url, "://") == NULL &&
	    parse_hostport(b, url, strlen(url)))
		return 0;
	snprintf(err, errlen, "redis %s: expected redis://host[:port][/db], "
	    "host:port or unix:/path", url);
	return -1;
}

struct device_backend *
store_redis_open(struct ev_loop *loop, const char *url, char *err,
    size_t errlen)
{
	struct rd *b = xcalloc(1, sizeof(*b));

	if (parse_url(b, url, err, errlen) < 0) {
		free(b);
		return NULL;
	}
	if (b->path[0])
		snprintf(b->where, sizeof(b->where), "unix:%s", b->path);
	else
		snprintf(b->where, sizeof(b->where), strchr(b->host, ':') ?
		    "[%s]:%d" : "%s:%d", b->host, b->port);
	if (b->db != 0) {
		size_t n = strlen(b->where);

		snprintf(b->where + n, sizeof(b->where) - n, "/%d", b->db);
	}
	b->b = (struct device_backend){ "redis", rd_get, rd_put, rd_del,
	    rd_list, rd_close, rd_up };
	b->loop = loop;
	b->backoff = RETRY_MIN;
	TAILQ_INIT(&b->ops);
	ev_timer_init(&b->retry, retry_cb, 0., 0.);
	b->retry.data = b;
	ev_timer_init(&b->wd, watchdog_cb, 0., TIMEOUT);
	b->wd.data = b;
	connect_start(b);
	return &b->b;
}
