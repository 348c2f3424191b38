/*
 * admin.c - see admin.h.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "acl.h"
#include "admin.h"
#include "admit.h"
#include "authsrc.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "server.h"

#define KEY_RANDOM	24	/* bytes of a generated key: 32 base64url chars */

static const char *const err_text[ADMIN_ERR_COUNT] = {
#define ADMIN_X(id, text) [ADMIN_##id] = text,
	ADMIN_ERRORS(ADMIN_X)
#undef ADMIN_X
};

const char *
admin_strerror(enum admin_err e)
{
	return (unsigned)e < ADMIN_ERR_COUNT ? err_text[e] : "unknown error";
}

__attribute__((format(printf, 4, 5)))
static enum admin_err
fail(enum admin_err e, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return e;
}

/* The one log line of a change. */
static void
logged(const struct admin_who *who, const char *cmd, const char *what)
{
	if (who)
		log_info("%s: %s %s (%s)", who->via, cmd, what ? what : "",
		    who->detail);
}

static size_t
open_clients(const struct server *srv)
{
	size_t n = 0;

	for (const struct conn *c = srv->conns; c; c = c->next)
		n += c->state == CONN_OPEN;
	return n;
}

/* ---- clients ---- */

void
admin_sel_init(struct admin_sel *s)
{
	memset(s, 0, sizeof(*s));
	s->anonymous = -1;
}

enum admin_err
admin_sel_address(struct admin_sel *s, const char *addr, char *msg,
    size_t len)
{
	if (options_net_parse(addr, &s->net) < 0)
		return fail(ADMIN_BAD_ARGS, msg, len, "address: '%s' is not "
		    "ADDR or ADDR/N", addr);
	s->have_net = true;
	return ADMIN_OK;
}

bool
admin_sel_any(const struct admin_sel *s)
{
	return s->cid || s->device || s->ssid || s->have_net ||
	    s->anonymous >= 0 || s->transport || s->filter;
}

bool
admin_sel_match(const struct admin_sel *s, const struct conn *c)
{
	if (c->state != CONN_OPEN)
		return false;
	if (s->cid && strcmp(s->cid, c->s->cid) != 0)
		return false;
	if (s->ssid && c->ssid != s->ssid)
		return false;
	if (s->device && strcmp(s->device, c->s->did) != 0 &&
	    strcmp(s->device, c->s->presented) != 0)
		return false;
	if (s->anonymous >= 0 && c->s->boho.authorized == (s->anonymous != 0))
		return false;
	if (s->transport && strcmp(s->transport, transport_name(c->tr)) != 0)
		return false;
	if (s->filter && !strstr(c->s->cid, s->filter) &&
	    !strstr(c->s->did, s->filter) && !strstr(c->ip, s->filter))
		return false;
	if (s->have_net) {
		uint8_t a[16];
		int fam = strchr(c->ip, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, c->ip, a) != 1 ||
		    !options_net_match(&s->net, 1, fam, a))
			return false;
	}
	return true;
}

/* Close the clients of s with code and reason; "kicked" or "closed" in
 * the log. */
static size_t
close_matching(struct server *srv, const struct admin_sel *s, int code,
    const char *verb, const char *reason, admin_conn_fn *fn, void *arg)
{
	size_t n = 0;

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (!admin_sel_match(s, c))
			continue;
		if (fn)
			fn(c, arg);
		log_info("conn=%u cid=%s addr=%s %s: %s", c->ssid,
		    c->s->cid[0] ? c->s->cid : "-", c->ip, verb, reason);
		conn_close(c, true, code, reason);
		n++;
	}
	return n;
}

enum admin_err
admin_kick(struct server *srv, const struct admin_who *who,
    const struct admin_sel *s, const char *reason, admin_conn_fn *fn,
    void *arg, size_t *n, char *msg, size_t len)
{
	char what[160];

	*n = 0;
	if (!admin_sel_any(s))
		return fail(ADMIN_BAD_ARGS, msg, len, "name the clients: cid, "
		    "ssid, address, device, anonymous, transport or filter");
	if (reason == NULL)
		reason = "kicked by an operator";
	if ((*n = close_matching(srv, s, 1000, "kicked", reason, fn,
	    arg)) == 0)
		return fail(ADMIN_NOT_FOUND, msg, len, "no client matches");
	snprintf(what, sizeof(what), "%zu client%s, reason \"%s\"", *n,
	    *n == 1 ? "" : "s", reason);
	logged(who, "kick", what);
	return ADMIN_OK;
}

/* The sessions of a device: logged in as it or presented its id at a
 * login, successful or not (revoke, disable). */
static int
kick_device(struct server *srv, const char *did, const char *why)
{
	struct admin_sel s;

	admin_sel_init(&s);
	s.device = did;
	return (int)close_matching(srv, &s, 1008, "closed", why, NULL, NULL);
}

/* ---- bans ---- */

long long
admin_duration_s(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (v < 0 || v > 100LL * 365 * 86400)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	case 'w': v *= 7 * 86400; break;
	default: return -1;
	}
	return *end && end[1] ? -1 : v;
}

enum admin_err
admin_ban(struct server *srv, const struct admin_who *who, const char *net,
    const char *dur, const char *reason, const struct admit_ban **ban,
    int *closed, char *msg, size_t len)
{
	long long secs = 0;
	char what[200];

	if (dur && (secs = admin_duration_s(dur)) <= 0)
		return fail(ADMIN_BAD_ARGS, msg, len, "for: a duration such as "
		    "90s, 15m, 2h or 7d, not '%s'", dur);
	if ((*closed = admit_ban(srv, net, (uint64_t)secs, reason, msg,
	    len)) < 0)
		return ADMIN_BAD_ARGS;
	snprintf(what, sizeof(what), "%s%s%s", net, dur ? " for " : "",
	    dur ? dur : "");
	logged(who, "ban", what);
	*ban = admit_ban_find(srv, net);
	return ADMIN_OK;
}

enum admin_err
admin_unban(struct server *srv, const struct admin_who *who, const char *net,
    char *msg, size_t len)
{
	int rc = admit_unban(srv, net, msg, len);

	if (rc < 0)
		return ADMIN_BAD_ARGS;
	if (rc == 0)
		return fail(ADMIN_NOT_FOUND, msg, len, "%s is not banned", net);
	logged(who, "unban", net);
	return ADMIN_OK;
}

/* ---- channels ---- */

struct chan_walk {
	const char *filter;
	size_t off, lim, total;
	admin_channel_fn *fn;
	void *arg;
};

static void
chan_one(const struct channel *ch, void *arg)
{
	struct chan_walk *w = arg;
	const char *key = router_channel_key(ch);
	struct router_channel_info info;

	if (w->filter && strstr(key, w->filter) == NULL)
		return;
	if (w->total >= w->off && w->total - w->off < w->lim) {
		router_channel_info(ch, &info);
		w->fn(key, &info, w->arg);
	}
	w->total++;
}

size_t
admin_channels(struct server *srv, const char *filter, size_t off,
    size_t lim, admin_channel_fn *fn, void *arg)
{
	struct chan_walk w = { filter, off, lim, 0, fn, arg };

	router_foreach_channel(srv, chan_one, &w);
	return w.total;
}

enum admin_err
admin_subscribers(struct server *srv, const char *key, admin_conn_fn *fn,
    void *arg, char *msg, size_t len)
{
	const struct channel *ch = router_find_channel(srv, key, strlen(key));

	if (ch == NULL)
		return fail(ADMIN_NOT_FOUND, msg, len, "no channel %s (keys look "
		    "like CH:name, CID:cid@topic, PRIVATE:#name)", key);
	router_foreach_subscriber(ch, fn, arg);
	return ADMIN_OK;
}

/* ---- publishing as the server ---- */

/* The body and payload type of a signal: *body NULL for an empty one. */
static enum admin_err
signal_body(const char *type, const char *payload, int *ptype,
    uint8_t **body, size_t *blen, char *msg, size_t len)
{
	*body = NULL;
	*blen = 0;
	*ptype = IOS_PAYLOAD_TEXT;
	if (type == NULL || strcmp(type, "text") == 0) {
		*blen = payload ? strlen(payload) + 1 : 1;	/* the NUL */
		*body = (uint8_t *)strndup(payload ? payload : "", *blen - 1);
	} else if (strcmp(type, "json") == 0) {
		json_t *j = payload ? json_loads(payload, JSON_DECODE_ANY,
		    NULL) : NULL;

		if (j == NULL)
			return fail(ADMIN_BAD_ARGS, msg, len,
			    "payload is not JSON");
		/* An array is the client's MJSON, anything else OBJECT. */
		*ptype = json_is_array(j) ? IOS_PAYLOAD_MJSON :
		    IOS_PAYLOAD_OBJECT;
		json_decref(j);
		*body = (uint8_t *)strdup(payload);
		*blen = strlen(payload);
	} else if (strcmp(type, "binary") == 0) {
		struct base64_decode_ctx b;
		size_t n = payload ? strlen(payload) : 0;

		*body = malloc(BASE64_DECODE_LENGTH(n) + 1);
		*blen = BASE64_DECODE_LENGTH(n) + 1;
		base64_decode_init(&b);
		if (*body && (!base64_decode_update(&b, blen, *body, n,
		    payload ? payload : "") || !base64_decode_final(&b))) {
			free(*body);
			*body = NULL;
			return fail(ADMIN_BAD_ARGS, msg, len,
			    "payload is not base64");
		}
		*ptype = IOS_PAYLOAD_BINARY;
	} else if (strcmp(type, "empty") == 0) {
		*ptype = IOS_PAYLOAD_EMPTY;
		return ADMIN_OK;
	} else
		return fail(ADMIN_BAD_ARGS, msg, len,
		    "type is text, json, binary or empty");
	if (*body == NULL)
		return fail(ADMIN_NOMEM, msg, len, "out of memory");
	return ADMIN_OK;
}

enum admin_err
admin_signal(struct server *srv, const struct admin_who *who,
    const char *tag, const char *type, const char *payload,
    size_t *delivered, char *msg, size_t len)
{
	uint8_t *body;
	size_t blen;
	int ptype;
	struct msg *m;
	enum admin_err e;
	long n;

	*delivered = 0;
	if ((e = signal_body(type, payload, &ptype, &body, &blen, msg,
	    len)) != ADMIN_OK)
		return e;
	if ((m = msg_new(2 + strlen(tag) + 1 + blen)) == NULL) {
		free(body);
		return fail(ADMIN_NOMEM, msg, len, "out of memory");
	}
	n = iosmsg_build_signal(IOS_SIGNAL, tag, strlen(tag), ptype, body,
	    blen, m->data, m->len);
	free(body);
	if (n < 0) {
		msg_unref(m);
		return fail(ADMIN_BAD_ARGS, msg, len,
		    "tag must be at most 255 bytes");
	}
	logged(who, "signal", tag);
	*delivered = router_publish(srv, NULL, m->data, (size_t)n);
	msg_unref(m);
	return ADMIN_OK;
}

enum admin_err
admin_wall(struct server *srv, const struct admin_who *who,
    const char *event, const char *data, size_t *clients, char *msg,
    size_t len)
{
	json_t *sig, *d = data ? json_loads(data, JSON_DECODE_ANY, NULL) :
	    json_null();
	char *text;

	*clients = 0;
	if (d == NULL)
		return fail(ADMIN_BAD_ARGS, msg, len, "data is not JSON");
	sig = json_object();
	json_object_set_new(sig, "event", json_string(event ? event : "wall"));
	json_object_set_new(sig, "data", d);
	text = json_dumps(sig, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(sig);
	if (text == NULL)
		return fail(ADMIN_NOMEM, msg, len, "cannot encode");
	*clients = open_clients(srv);
	logged(who, "wall", event ? event : "wall");
	server_wall(srv, text, strlen(text));
	free(text);
	return ADMIN_OK;
}

/* ---- quota levels ---- */

size_t
admin_quota_list(struct server *srv, admin_quota_fn *fn, void *arg)
{
	int levels[256];
	size_t n = store_quota_levels(srv->store, levels, 256), done = 0;

	for (size_t i = 0; i < n; i++) {
		struct quota q;

		if (store_quota(srv->store, levels[i], &q)) {
			fn(levels[i], &q, arg);
			done++;
		}
	}
	return done;
}

enum admin_err
admin_quota_set(struct server *srv, const struct admin_who *who, int level,
    const struct quota *q, struct quota *out, char *msg, size_t len)
{
	struct quota now = { 0, 0, 0 };
	bool had;
	char what[16];

	if (level < 0 || level > 255)
		return fail(ADMIN_BAD_ARGS, msg, len,
		    "level must be 0 to 255");
	had = store_quota(srv->store, level, &now);
	if (q->signal_size)
		now.signal_size = q->signal_size;
	if (q->publish_counter)
		now.publish_counter = q->publish_counter;
	if (q->traffic_rate)
		now.traffic_rate = q->traffic_rate;
	if (!had && (!now.signal_size || !now.publish_counter ||
	    !now.traffic_rate))
		return fail(ADMIN_BAD_ARGS, msg, len, "a new level needs "
		    "signal_size, publish_counter and traffic_rate");
	if (store_quota_set(srv->store, level, &now, msg, len) < 0)
		return ADMIN_STORE;
	snprintf(what, sizeof(what), "%d", level);
	logged(who, "quota-set", what);
	store_audit(srv->store, "quota", NULL, NULL, what);
	*out = now;
	return ADMIN_OK;
}

/* ---- devices ---- */

/* One device verb in flight: get, change, put (or delete). */
struct dev_op {
	struct server *srv;
	admin_device_cb *cb;
	void *arg;
	const char *cmd;		/* for the log and the audit */
	int level;			/* -1: unchanged */
	int disabled;			/* -1: unchanged */
	bool kick;			/* revoke: its sessions go */
	bool new_key;			/* stored_key replaces the key */
	char stored_key[sizeof(((struct device *)0)->key)];
	char made_key[64];		/* a key made here, shown once */
	struct device d;
};

static struct dev_op *
dev_op(struct server *srv, const char *cmd, const char *id,
    admin_device_cb *cb, void *arg)
{
	struct dev_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->srv = srv;
	op->cb = cb;
	op->arg = arg;
	op->cmd = cmd;
	op->level = op->disabled = -1;
	snprintf(op->d.id, sizeof(op->d.id), "%s", id);
	return op;
}

static void
dev_op_free(struct dev_op *op)
{
	explicit_bzero(op, sizeof(*op));
	free(op);
}

/* Report a failure of op ("<id>: what", or "no device <id>" when what
 * is NULL), and free it. */
static void
dev_fail(struct dev_op *op, enum admin_err e, const char *store_msg,
    const char *what)
{
	struct admin_device_result r = { .err = e, .store_msg = store_msg };
	char msg[ADMIN_MSG_MAX];

	if (what)
		snprintf(msg, sizeof(msg), "%s: %s", op->d.id, what);
	else
		snprintf(msg, sizeof(msg), "no device %s", op->d.id);
	r.msg = msg;
	op->cb(op->arg, &r);
	dev_op_free(op);
}

/* A strong random key: KEY_RANDOM bytes, base64url without padding. */
static void
random_key(char *out, size_t len)
{
	uint8_t r[KEY_RANDOM];
	char b[BASE64_ENCODE_RAW_LENGTH(KEY_RANDOM) + 1];

	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		fatalx("gnutls_rnd failed");
	base64_encode_raw(b, sizeof(r), r);
	b[BASE64_ENCODE_RAW_LENGTH(KEY_RANDOM)] = '\0';
	for (char *p = b; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	snprintf(out, len, "%s", b);
	explicit_bzero(r, sizeof(r));
	explicit_bzero(b, sizeof(b));
}

/* A device key given or made here, in its stored (hashed) form. */
static void
take_key(struct dev_op *op, const char *key, char *stored)
{
	if (key == NULL) {
		random_key(op->made_key, sizeof(op->made_key));
		key = op->made_key;
	}
	boho_stored_key(key, strlen(key), stored);
}

static void
put_done(void *arg, int rc, const char *err)
{
	struct dev_op *op = arg;
	struct admin_device_result r = { .err = ADMIN_OK };

	if (rc < 0) {
		dev_fail(op, rc == STORE_EXISTS || rc == STORE_CID_TAKEN ?
		    ADMIN_EXISTS : rc == STORE_BAD_VALUE ? ADMIN_BAD_ARGS :
		    ADMIN_STORE, err ? err : store_strerror(rc),
		    err ? err : store_strerror(rc));
		return;
	}
	r.d = &op->d;
	r.key = op->made_key[0] ? op->made_key : NULL;
	if (op->disabled == 1)
		r.kicked = kick_device(op->srv, op->d.id, "device disabled");
	op->cb(op->arg, &r);
	dev_op_free(op);
}

enum admin_err
admin_enroll(struct server *srv, const struct admin_who *who, const char *id,
    const char *cid, const char *key, int level, bool replace,
    const char *event, admin_device_cb *cb, void *arg, char *msg, size_t len)
{
	const char *why;
	struct dev_op *op;

	if (cid == NULL)
		cid = id;
	if ((why = store_check_id(id, strlen(id))) != NULL ||
	    (why = store_check_cid(cid, strlen(cid))) != NULL)
		return fail(ADMIN_BAD_ARGS, msg, len, "%s", why);
	if (key && strlen(key) > ADMIN_KEY_MAX)
		return fail(ADMIN_BAD_ARGS, msg, len, "key must be 1 to %d bytes",
		    ADMIN_KEY_MAX);
	if (level < 0 || level > 255)
		return fail(ADMIN_BAD_ARGS, msg, len, "level must be 0 to 255");
	if ((op = dev_op(srv, "enroll", id, cb, arg)) == NULL)
		return fail(ADMIN_NOMEM, msg, len, "out of memory");
	snprintf(op->d.cid, sizeof(op->d.cid), "%s", cid);
	op->d.level = level;
	take_key(op, key, op->d.key);
	logged(who, replace ? "enroll --update" : "enroll", id);
	store_device_put(srv->store, &op->d, replace, event, put_done, op);
	return ADMIN_OK;
}

/* get, change, put: disable, enable, set-level, rotate-key. */
static void
change_got(void *arg, int rc, const struct device *d)
{
	struct dev_op *op = arg;

	if (rc != 0 || d == NULL) {
		dev_fail(op, rc < 0 ? ADMIN_STORE : ADMIN_NOT_FOUND, NULL,
		    rc < 0 ? "store unavailable" : "no such device");
		return;
	}
	op->d = *d;
	if (op->level >= 0)
		op->d.level = op->level;
	if (op->disabled >= 0)
		op->d.disabled = op->disabled != 0;
	if (op->new_key)
		memcpy(op->d.key, op->stored_key, sizeof(op->d.key));
	store_device_put(op->srv->store, &op->d, true, op->cmd, put_done, op);
}

/* The op of a verb on an existing device; NULL with msg. */
static struct dev_op *
existing(struct server *srv, const char *cmd, const char *id,
    admin_device_cb *cb, void *arg, enum admin_err *e, char *msg, size_t len)
{
	struct dev_op *op;

	if (strlen(id) > DEVICE_ID_MAX) {
		*e = fail(ADMIN_NOT_FOUND, msg, len, "no such device");
		return NULL;
	}
	if ((op = dev_op(srv, cmd, id, cb, arg)) == NULL)
		*e = fail(ADMIN_NOMEM, msg, len, "out of memory");
	return op;
}

static void
change_go(struct dev_op *op, const struct admin_who *who)
{
	logged(who, op->cmd, op->d.id);
	store_device_get(op->srv->store, op->d.id, change_got, op);
}

enum admin_err
admin_disable(struct server *srv, const struct admin_who *who, const char *id,
    bool disabled, admin_device_cb *cb, void *arg, char *msg, size_t len)
{
	enum admin_err e = ADMIN_OK;
	struct dev_op *op = existing(srv, disabled ? "disable" : "enable", id,
	    cb, arg, &e, msg, len);

	if (op) {
		op->disabled = disabled;
		change_go(op, who);
	}
	return e;
}

enum admin_err
admin_set_level(struct server *srv, const struct admin_who *who,
    const char *id, int level, admin_device_cb *cb, void *arg, char *msg,
    size_t len)
{
	enum admin_err e = ADMIN_OK;
	struct dev_op *op;

	if (level < 0 || level > 255)
		return fail(ADMIN_BAD_ARGS, msg, len, "level must be 0 to 255");
	if ((op = existing(srv, "level", id, cb, arg, &e, msg, len)) != NULL) {
		op->level = level;
		change_go(op, who);
	}
	return e;
}

enum admin_err
admin_rotate_key(struct server *srv, const struct admin_who *who,
    const char *id, const char *key, admin_device_cb *cb, void *arg,
    char *msg, size_t len)
{
	enum admin_err e = ADMIN_OK;
	struct dev_op *op;

	if (key && strlen(key) > ADMIN_KEY_MAX)
		return fail(ADMIN_BAD_ARGS, msg, len, "key must be 1 to %d bytes",
		    ADMIN_KEY_MAX);
	if ((op = existing(srv, "rotate", id, cb, arg, &e, msg, len)) != NULL) {
		take_key(op, key, op->stored_key);
		op->new_key = true;
		change_go(op, who);
	}
	return e;
}

static void
del_done(void *arg, int rc, const char *err)
{
	struct dev_op *op = arg;
	struct admin_device_result r = { .err = ADMIN_OK };

	if (rc < 0)
		dev_fail(op, ADMIN_STORE, err, err ? err : "failed");
	else if (rc == STORE_NOTFOUND)
		dev_fail(op, ADMIN_NOT_FOUND, NULL, NULL);
	else {
		r.d = &op->d;
		if (op->kick)
			r.kicked = kick_device(op->srv, op->d.id,
			    "device revoked");
		op->cb(op->arg, &r);
		dev_op_free(op);
	}
}

enum admin_err
admin_revoke(struct server *srv, const struct admin_who *who, const char *id,
    bool kick, admin_device_cb *cb, void *arg, char *msg, size_t len)
{
	enum admin_err e = ADMIN_OK;
	struct dev_op *op = existing(srv, "revoke", id, cb, arg, &e, msg, len);

	if (op) {
		op->kick = kick;
		logged(who, "revoke", op->d.id);
		store_device_del(srv->store, op->d.id, del_done, op);
	}
	return e;
}

static void
device_got(void *arg, int rc, const struct device *d)
{
	struct dev_op *op = arg;
	struct admin_device_result r = { .err = ADMIN_OK, .d = d };

	if (rc != 0 || d == NULL) {
		dev_fail(op, rc < 0 ? ADMIN_STORE : ADMIN_NOT_FOUND, NULL,
		    rc < 0 ? "store unavailable" : "no such device");
		return;
	}
	op->cb(op->arg, &r);
	dev_op_free(op);
}

enum admin_err
admin_device(struct server *srv, const char *id, admin_device_cb *cb,
    void *arg, char *msg, size_t len)
{
	enum admin_err e = ADMIN_OK;
	struct dev_op *op = existing(srv, "device", id, cb, arg, &e, msg, len);

	if (op) {
		/* An operator sees the logins counted so far (store.c
		 * writes them behind). */
		store_flush(srv->store);
		store_device_get(srv->store, op->d.id, device_got, op);
	}
	return e;
}

struct list_op {
	admin_list_cb *cb;
	void *arg;
};

static void
list_got(void *arg, int rc, const struct device *d, size_t n)
{
	struct list_op *op = arg;

	op->cb(op->arg, rc < 0 ? ADMIN_STORE : ADMIN_OK, rc < 0 ? NULL : d,
	    rc < 0 ? 0 : n);
	free(op);
}

void
admin_devices(struct server *srv, admin_list_cb *cb, void *arg)
{
	struct list_op *op = malloc(sizeof(*op));

	if (op == NULL) {
		cb(arg, ADMIN_NOMEM, NULL, 0);
		return;
	}
	op->cb = cb;
	op->arg = arg;
	store_flush(srv->store);	/* the logins counted so far */
	store_device_list(srv->store, list_got, op);
}

enum admin_err
admin_auth_device(struct server *srv, const char *id, admin_device_cb *cb,
    void *arg, char *msg, size_t len)
{
	const struct device *d = authsrc_find(srv->auth, id);
	struct admin_device_result r = { .err = ADMIN_OK, .d = d,
	    .builtin = true };

	if (d == NULL)
		return admin_device(srv, id, cb, arg, msg, len);
	r.given_level = authsrc_given_level(srv->auth, id);
	cb(arg, &r);
	return ADMIN_OK;
}

struct ids_op {
	struct server *srv;
	admin_ids_cb *cb;
	void *arg;
	const char **ids;
	size_t n;
};

static void
add_builtin(void *arg, const struct device *d)
{
	struct ids_op *op = arg;

	op->ids[op->n++] = d->id;
}

/* The store's list is in: the -d/-e/-E ids first (the table as it is
 * now, after any reload), then the store's they do not hide. */
static void
ids_got(void *arg, enum admin_err e, const struct device *d, size_t n)
{
	struct ids_op *op = arg;
	const struct authsrc *a = op->srv->auth;

	if (e == ADMIN_OK && (op->ids = calloc(authsrc_count(a) + n + 1,
	    sizeof(*op->ids))) == NULL)
		e = ADMIN_NOMEM;
	if (e != ADMIN_OK) {
		op->cb(op->arg, e, NULL, 0);
		free(op);
		return;
	}
	authsrc_foreach(a, add_builtin, op);
	for (size_t i = 0; i < n; i++)
		if (authsrc_find(a, d[i].id) == NULL)
			op->ids[op->n++] = d[i].id;
	op->cb(op->arg, ADMIN_OK, op->ids, op->n);
	free(op->ids);
	free(op);
}

void
admin_auth_devices(struct server *srv, admin_ids_cb *cb, void *arg)
{
	struct ids_op *op = calloc(1, sizeof(*op));

	if (op == NULL) {
		cb(arg, ADMIN_NOMEM, NULL, 0);
		return;
	}
	op->srv = srv;
	op->cb = cb;
	op->arg = arg;
	admin_devices(srv, ids_got, op);
}

bool
admin_device_online(struct server *srv, const struct device *d)
{
	struct conn *c = d->cid[0] ? router_find_cid(srv, d->cid,
	    strlen(d->cid)) : NULL;

	return c && c->state == CONN_OPEN && strcmp(c->s->did, d->id) == 0;
}

/* import: every row of a reference auth_file.json, answered once all
 * of them are stored. */
struct import_op {
	struct server *srv;
	admin_import_cb *cb;
	void *arg;
	bool replace;
	size_t total, done, ok;
	int first_rc;			/* the first row's failure */
	char first_err[256];
};

static void
import_one_done(void *arg, int rc, const char *err)
{
	struct import_op *op = arg;
	char msg[ADMIN_MSG_MAX];

	if (rc == 0)
		op->ok++;
	else if (!op->first_err[0]) {
		op->first_rc = rc;
		snprintf(op->first_err, sizeof(op->first_err), "%s",
		    err ? err : store_strerror(rc));
	}
	if (++op->done < op->total)
		return;
	if (op->ok == op->total)
		op->cb(op->arg, ADMIN_OK, op->ok, NULL);
	else {
		snprintf(msg, sizeof(msg), "%zu of %zu imported; first error: "
		    "%s", op->ok, op->total, op->first_err);
		op->cb(op->arg, op->first_rc == STORE_EXISTS ||
		    op->first_rc == STORE_CID_TAKEN ? ADMIN_EXISTS :
		    ADMIN_STORE, op->ok, msg);
	}
	free(op);
}

static void
import_one(void *arg, const struct device *d)
{
	struct import_op *op = arg;

	store_device_put(op->srv->store, d, op->replace, "import",
	    import_one_done, op);
}

enum admin_err
admin_import(struct server *srv, const struct admin_who *who,
    const char *path, bool replace, admin_import_cb *cb, void *arg,
    char *msg, size_t len)
{
	struct authsrc *a;
	struct import_op *op;
	enum admin_err e = ADMIN_OK;

	if ((a = authsrc_new()) == NULL)
		return fail(ADMIN_NOMEM, msg, len, "out of memory");
	if (authsrc_load_file(a, path, msg, len) < 0)
		e = ADMIN_BAD_ARGS;
	else if (authsrc_count(a) == 0)
		e = fail(ADMIN_BAD_ARGS, msg, len, "%s: no devices", path);
	else if ((op = calloc(1, sizeof(*op))) == NULL)
		e = fail(ADMIN_NOMEM, msg, len, "out of memory");
	else {
		logged(who, "import", path);
		op->srv = srv;
		op->cb = cb;
		op->arg = arg;
		op->replace = replace;
		op->total = authsrc_count(a);
		authsrc_foreach(a, import_one, op);
	}
	authsrc_free(a);
	return e;
}

/* ---- bearer tokens of the HTTP API ---- */

#define TOKEN_RANDOM	32	/* bytes: ADMIN_TOKEN_LEN base64url chars */

static const char *const scope_names[ADMIN_SCOPE_COUNT] = {
#define ADMIN_X(id, name) [ADMIN_SCOPE_##id] = name,
	ADMIN_SCOPES(ADMIN_X)
#undef ADMIN_X
};

const char *
admin_scope_name(enum admin_scope s)
{
	return (unsigned)s < ADMIN_SCOPE_COUNT ? scope_names[s] : "?";
}

int
admin_scope_find(const char *name)
{
	for (int s = 0; name && s < ADMIN_SCOPE_COUNT; s++)
		if (strcmp(name, scope_names[s]) == 0)
			return s;
	return -1;
}

static void
token_hash(const char *token, size_t tlen, uint8_t out[STORE_TOKEN_HASH])
{
	struct sha256_ctx h;

	sha256_init(&h);
	sha256_update(&h, tlen, (const uint8_t *)token);
	sha256_digest(&h, SHA256_DIGEST_SIZE, out);
}

static bool
token_name_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

enum admin_err
admin_token_create(struct server *srv, const struct admin_who *who,
    const char *scope, const char *expires, const char *name,
    struct token_row *t, char *token, char *msg, size_t len)
{
	uint8_t r[TOKEN_RANDOM];
	char b[BASE64_ENCODE_RAW_LENGTH(TOKEN_RANDOM) + 1], what[160];
	long long dur = 0;
	long count;
	int rc;

	memset(t, 0, sizeof(*t));
	if (admin_scope_find(scope) < 0)
		return fail(ADMIN_BAD_ARGS, msg, len, "scope is read, publish "
		    "or admin");
	if (expires && ((dur = admin_duration_s(expires)) <= 0))
		return fail(ADMIN_BAD_ARGS, msg, len, "expires: '%s' is not a "
		    "duration (90s, 15m, 2h, 7d, 1w)", expires);
	if (name && (strlen(name) > STORE_TOKEN_NAME_MAX ||
	    !token_name_ok(name) ||
	    !utf8_valid((const uint8_t *)name, strlen(name))))
		return fail(ADMIN_BAD_ARGS, msg, len, "name: at most %d bytes "
		    "of printable UTF-8", STORE_TOKEN_NAME_MAX);
	if ((count = store_token_list(srv->store, NULL, NULL)) < 0)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	if (count >= ADMIN_TOKENS_MAX)
		return fail(ADMIN_BAD_ARGS, msg, len, "%d tokens already: "
		    "revoke one first", ADMIN_TOKENS_MAX);
	if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
		return fail(ADMIN_NOMEM, msg, len, "no random bytes");
	base64_encode_raw(b, sizeof(r), r);
	for (char *p = b; p < b + ADMIN_TOKEN_LEN; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	memcpy(token, b, ADMIN_TOKEN_LEN);	/* without the '=' */
	token[ADMIN_TOKEN_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
	explicit_bzero(b, sizeof(b));
	token_hash(token, ADMIN_TOKEN_LEN, t->hash);
	snprintf(t->scope, sizeof(t->scope), "%s", scope);
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
	t->expires = dur ? (int64_t)time(NULL) + dur : 0;
	if ((rc = store_token_put(srv->store, t)) != STORE_OK) {
		explicit_bzero(token, ADMIN_TOKEN_LEN);
		return fail(ADMIN_STORE, msg, len, "token not stored: %s",
		    store_strerror(rc));
	}
	t->created = (int64_t)time(NULL);
	snprintf(what, sizeof(what), "id=%lld scope=%s%s%s%s%s",
	    (long long)t->id, scope, name ? " name=" : "", name ? name : "",
	    expires ? " expires=" : "", expires ? expires : "");
	logged(who, "token-create", what);
	store_audit(srv->store, "token_create", NULL, NULL, what);
	return ADMIN_OK;
}

enum admin_err
admin_token_list(struct server *srv, store_token_cb *fn, void *arg,
    size_t *n, char *msg, size_t len)
{
	long k = store_token_list(srv->store, fn, arg);

	*n = k > 0 ? (size_t)k : 0;
	if (k < 0)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	return ADMIN_OK;
}

enum admin_err
admin_token_revoke(struct server *srv, const struct admin_who *who,
    long long id, char *msg, size_t len)
{
	char what[32];
	int rc = store_token_del(srv->store, id);

	if (rc < 0)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	if (rc == 0)
		return fail(ADMIN_NOT_FOUND, msg, len, "no token %lld", id);
	snprintf(what, sizeof(what), "id=%lld", id);
	logged(who, "token-revoke", what);
	store_audit(srv->store, "token_revoke", NULL, NULL, what);
	return ADMIN_OK;
}

enum admin_err
admin_token_check(struct server *srv, const char *token, size_t tlen,
    struct token_row *t, enum admin_scope *scope, char *msg, size_t len)
{
	uint8_t h[STORE_TOKEN_HASH];
	int rc, sc;

	if (tlen != ADMIN_TOKEN_LEN)
		return fail(ADMIN_NOT_FOUND, msg, len, "not a token");
	token_hash(token, tlen, h);
	rc = store_token_find(srv->store, h, t);
	if (rc == STORE_NOTFOUND)
		return fail(ADMIN_NOT_FOUND, msg, len, "unknown token");
	if (rc != STORE_OK)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	/* Found by its hash; the hash itself compared in constant time. */
	if (!memeql_sec(h, t->hash, STORE_TOKEN_HASH))
		return fail(ADMIN_NOT_FOUND, msg, len, "unknown token");
	if (t->expires && (int64_t)time(NULL) >= t->expires)
		return fail(ADMIN_NOT_FOUND, msg, len, "the token has expired");
	if ((sc = admin_scope_find(t->scope)) < 0)
		return fail(ADMIN_STORE, msg, len, "a token of unknown scope");
	*scope = (enum admin_scope)sc;
	return ADMIN_OK;
}

/* ---- channel permissions ---- */

enum admin_err
admin_acl_list(struct server *srv, store_acl_cb *fn, void *arg, size_t *n,
    char *msg, size_t len)
{
	long k = srv->store ? store_acl_list(srv->store, fn, arg) : -1;

	*n = k > 0 ? (size_t)k : 0;
	if (k < 0)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	return ADMIN_OK;
}

static void
acl_what(const struct acl_row *r, char *what, size_t len)
{
	snprintf(what, len, "id=%lld prio=%d %s %s %s %s", (long long)r->id,
	    r->prio, r->effect, r->who, r->action, r->pattern);
}

/* The rules changed: load them and apply them to what is subscribed. */
static enum admin_err
acl_changed(struct server *srv, size_t *removed, char *msg, size_t len)
{
	*removed = 0;
	if (acl_load(srv) < 0)
		return fail(ADMIN_STORE, msg, len, "stored, but not loaded: "
		    "the previous rules stay until a reload");
	*removed = acl_apply(srv);
	return ADMIN_OK;
}

enum admin_err
admin_acl_add(struct server *srv, const struct admin_who *who,
    struct acl_row *r, size_t *removed, char *msg, size_t len)
{
	char what[STORE_ACL_PATTERN_MAX + 128];
	int rc;

	*removed = 0;
	if (!acl_rule_valid(r, msg, len))
		return ADMIN_BAD_ARGS;
	if (srv->store == NULL)
		return fail(ADMIN_STORE, msg, len, "no store");
	if ((rc = store_acl_put(srv->store, r)) != STORE_OK)
		return fail(rc == STORE_BAD_VALUE ? ADMIN_BAD_ARGS :
		    ADMIN_STORE, msg, len, "rule not stored: %s",
		    store_strerror(rc));
	acl_what(r, what, sizeof(what));
	logged(who, "acl-add", what);
	store_audit(srv->store, "acl_add", NULL, NULL, what);
	return acl_changed(srv, removed, msg, len);
}

enum admin_err
admin_acl_remove(struct server *srv, const struct admin_who *who,
    long long id, struct acl_row *r, size_t *removed, char *msg, size_t len)
{
	char what[STORE_ACL_PATTERN_MAX + 128];
	int rc;

	*removed = 0;
	if (srv->store == NULL)
		return fail(ADMIN_STORE, msg, len, "no store");
	if ((rc = store_acl_del(srv->store, id, r)) < 0)
		return fail(ADMIN_STORE, msg, len, "the store failed");
	if (rc == 0)
		return fail(ADMIN_NOT_FOUND, msg, len, "no rule %lld", id);
	acl_what(r, what, sizeof(what));
	logged(who, "acl-remove", what);
	store_audit(srv->store, "acl_remove", NULL, NULL, what);
	return acl_changed(srv, removed, msg, len);
}
