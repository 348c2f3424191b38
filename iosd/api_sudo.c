/*
 * api_sudo.c - see api_sudo.h. Answers keep the reference's shapes; a
 * device command answers when the store has (Redis is asynchronous), to
 * the session if it is still there.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admin.h"
#include "api_sudo.h"
#include "conn.h"
#include "router.h"
#include "server.h"
#include "store.h"

#define SUDO_LEVEL 255

/* Where to answer once the store has finished. */
struct reply_to {
	struct server *srv;
	uint32_t ssid;
	uint16_t mid;
};

static void
send_json(struct conn *c, uint16_t mid, uint8_t status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);

	json_decref(body);
	if (text) {
		session_send_response(c, mid, status, MBP_JSON, text,
		    strlen(text));
		free(text);
	}
}

static void
send_error(struct conn *c, uint16_t mid, const char *msg)
{
	session_send_response(c, mid, IOS_STATUS_ERROR, MBP_STRING, msg,
	    strlen(msg));
}

/* Argument i as text (S, N or a number); NULL when absent. */
static const char *
arg_text(const struct ios_request *r, size_t i, char *buf, size_t len)
{
	const struct mbp_field *f;
	int64_t v;

	if (i >= r->pack.nargs)
		return NULL;
	f = r->pack.args[i];
	if (f->type == MBP_STRING || f->type == MBP_NUMBER) {
		if (f->len >= len)
			return NULL;
		memcpy(buf, f->data, f->len);
		buf[f->len] = '\0';
		return buf;
	}
	if (mbp_field_int(f, &v) == 0) {
		snprintf(buf, len, "%lld", (long long)v);
		return buf;
	}
	return NULL;
}

static struct reply_to *
reply_to(struct conn *c, uint16_t mid)
{
	struct reply_to *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		conn_nomem(c, "out of memory (sudo)");
		return NULL;
	}
	t->srv = c->srv;
	t->ssid = c->ssid;
	t->mid = mid;
	return t;
}

/* The reference answers 1, or nothing (0, which it leaves out as falsy). */
static void
send_flag(struct conn *c, uint16_t mid, bool one)
{
	session_send_response(c, mid, IOS_STATUS_OK, one ? MBP_NUMBER :
	    MBP_BYTES, one ? "1" : NULL, one ? 1 : 0);
}

/* adddevice, deldevice: 1, nothing when there was nothing to delete, or
 * the store's own words. */
static void
done_cb(void *arg, const struct admin_device_result *res)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (res->err == ADMIN_OK || res->err == ADMIN_NOT_FOUND)
			send_flag(c, t->mid, res->err == ADMIN_OK);
		else
			send_error(c, t->mid, res->store_msg ? res->store_msg :
			    "store error");
	}
	free(t);
}

static void
get_cb(void *arg, const struct admin_device_result *res)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (res->err == ADMIN_NOT_FOUND)
			send_flag(c, t->mid, false);
		else if (res->err != ADMIN_OK)
			send_error(c, t->mid, "store error");
		else {
			const struct device *d = res->d;
			json_t *o = json_object();

			json_object_set_new(o, "key", json_string(d->key));
			json_object_set_new(o, "cid", json_string(d->cid));
			/* -d/-e/-E: the reference's auth data as it keeps it
			 * (level as given; null for its NaN) */
			json_object_set_new(o, "level", !res->builtin ?
			    json_integer(d->level) : res->given_level >= 0 ?
			    json_integer(res->given_level) : json_null());
			if (!res->builtin)
				json_object_set_new(o, "disabled",
				    json_boolean(d->disabled));
			send_json(c, t->mid, IOS_STATUS_OK, o);
		}
	}
	free(t);
}

static void
list_cb(void *arg, enum admin_err e, const char *const *ids, size_t n)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (e != ADMIN_OK)
			send_error(c, t->mid, "store error");
		else {
			json_t *a = json_array();

			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, json_string(ids[i]));
			send_json(c, t->mid, IOS_STATUS_OK, a);
		}
	}
	free(t);
}

static json_t *
client_info(const struct conn *t, int mode)
{
	json_t *o = json_object();
	uint64_t up = (server_now_ms(t->srv) - t->since_ms) / 1000;

	json_object_set_new(o, "ip", json_string(t->ip));
	if (mode == 1) {
		json_object_set_new(o, "id", json_string(t->s->cid));
		json_object_set_new(o, "ssid", json_integer(t->ssid));
		json_object_set_new(o, "cid", json_string(t->s->cid));
		json_object_set_new(o, "uptime", json_integer((json_int_t)up));
		json_object_set_new(o, "tx", json_integer((json_int_t)t->tx_msgs));
		json_object_set_new(o, "rx", json_integer((json_int_t)t->rx_msgs));
		json_object_set_new(o, "txBytes",
		    json_integer((json_int_t)t->tx_bytes));
		json_object_set_new(o, "rxBytes",
		    json_integer((json_int_t)t->rx_bytes));
	} else {
		json_object_set_new(o, "uptime", json_integer((json_int_t)up));
		json_object_set_new(o, "nick", json_string(session_nick(t)));
		json_object_set_new(o, "ssid", json_integer(t->ssid));
		if (mode == 3) {
			json_object_set_new(o, "isSecure", json_boolean(t->tls));
			json_object_set_new(o, "isAuth",
			    json_boolean(t->s->boho.authorized));
			json_object_set_new(o, "encMode", json_string("AUTO"));
		}
	}
	return o;
}

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Who asks, for admin.c's log line of a change. */
static void
sudo_who(const struct conn *c, struct admin_who *who)
{
	who->via = "sudo";
	snprintf(who->detail, sizeof(who->detail), "conn=%u cid=%s addr=%s",
	    c->ssid, c->s->cid[0] ? c->s->cid : "-", c->ip);
}

static void
add_device(struct conn *c, const struct ios_request *r)
{
	struct reply_to *t;
	struct admin_who who;
	char id[64], key[256], cid[64], lvl[16], msg[ADMIN_MSG_MAX];
	enum admin_err e;
	char *end;
	long level;

	if (r->pack.nargs != 4 || !arg_text(r, 0, id, sizeof(id)) ||
	    !arg_text(r, 1, key, sizeof(key)) ||
	    !arg_text(r, 2, cid, sizeof(cid)) ||
	    !arg_text(r, 3, lvl, sizeof(lvl))) {
		send_error(c, r->mid, "adddevice: id key cid level");
		return;
	}
	level = strtol(lvl, &end, 10);
	if (*end || end == lvl || level < 0 || level > 255) {
		send_error(c, r->mid, "adddevice: level must be 0 to 255");
		return;
	}
	if ((t = reply_to(c, r->mid)) == NULL)
		return;
	sudo_who(c, &who);
	/* The reference's addAuth overwrites an existing id. */
	e = admin_enroll(c->srv, &who, id, cid, key, (int)level, true,
	    "sudo adddevice", done_cb, t, msg, sizeof(msg));
	explicit_bzero(key, sizeof(key));
	if (e != ADMIN_OK) {
		send_error(c, r->mid, msg);
		free(t);
	}
}

/* The device id of getdevice and deldevice, or NULL (answered). */
static const char *
device_id(struct conn *c, const struct ios_request *r, const char *topic,
    char *id, size_t len)
{
	char msg[32];

	if (r->pack.nargs != 1 || !arg_text(r, 0, id, len) ||
	    strlen(id) > DEVICE_ID_MAX) {
		snprintf(msg, sizeof(msg), "%s: id", topic);
		send_error(c, r->mid, msg);
		return NULL;
	}
	return id;
}

static void
add_cid(struct conn *t, void *arg)
{
	json_array_append_new(arg, json_string(t->s->cid));
}

static void
add_key(const char *key, const struct router_channel_info *info, void *arg)
{
	(void)info;
	json_array_append_new(arg, json_string(key));
}

void
api_sudo(struct conn *c, const struct ios_request *r)
{
	struct server *srv = c->srv;
	struct reply_to *rt;
	struct admin_who who;
	char topic[32], a0[64], a1[16], msg[ADMIN_MSG_MAX];
	json_t *out;
	size_t n = r->topic_len < sizeof(topic) - 1 ? r->topic_len :
	    sizeof(topic) - 1;

	if (c->s->level < SUDO_LEVEL) {
		send_error(c, r->mid, "NO_PERMISSION.");
		return;
	}
	for (size_t i = 0; i < n; i++)
		topic[i] = (char)tolower(r->topic[i]);
	topic[n] = '\0';

	if (is(topic, "cid")) {
		out = json_array();
		router_foreach_cid(srv, add_cid, out);
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "remotes") || is(topic, "clients")) {
		out = json_array();
		for (struct conn *t = srv->conns; t; t = t->next) {
			char b[64];

			if (t->state != CONN_OPEN)
				continue;
			snprintf(b, sizeof(b), "#%u:%s(%d)", t->ssid,
			    t->s->cid[0] ? t->s->cid : "undefined", t->s->state);
			json_array_append_new(out, json_string(b));
		}
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "channels")) {
		out = json_array();
		admin_channels(srv, NULL, 0, SIZE_MAX, add_key, out);
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "subscribers")) {
		/* No such channel: no subscribers, as the reference. */
		out = json_array();
		if (arg_text(r, 0, a0, sizeof(a0)))
			(void)admin_subscribers(srv, a0, add_cid, out, msg,
			    sizeof(msg));
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "remote") || is(topic, "client")) {
		struct conn *t = arg_text(r, 0, a0, sizeof(a0)) ?
		    router_find_cid(srv, a0, strlen(a0)) : NULL;
		int mode = arg_text(r, 1, a1, sizeof(a1)) ? atoi(a1) : 1;

		if (t == NULL) {
			out = json_object();
			json_object_set_new(out, "result", json_string("nop"));
		} else if (mode < 1 || mode > 3) {
			send_error(c, r->mid, "client: mode is 1, 2 or 3");
			return;
		} else
			out = client_info(t, mode);
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "close")) {
		struct admin_sel sel;
		size_t closed = 0;

		admin_sel_init(&sel);
		sudo_who(c, &who);
		if ((sel.cid = arg_text(r, 0, a0, sizeof(a0))) != NULL)
			(void)admin_kick(srv, &who, &sel, "closed by an admin",
			    NULL, NULL, &closed, msg, sizeof(msg));
		/* 1, or 0 which the reference leaves out as falsy */
		session_send_response(c, r->mid, IOS_STATUS_OK, MBP_NUMBER,
		    closed ? "1" : NULL, closed ? 1 : 0);
	} else if (is(topic, "addauth") || is(topic, "adddevice")) {
		add_device(c, r);
	} else if (is(topic, "getauth") || is(topic, "getdevice")) {
		if (device_id(c, r, "getdevice", a0, sizeof(a0)) &&
		    (rt = reply_to(c, r->mid)) != NULL &&
		    admin_auth_device(srv, a0, get_cb, rt, msg, sizeof(msg)) !=
		    ADMIN_OK) {
			send_error(c, r->mid, msg);
			free(rt);
		}
	} else if (is(topic, "delauth") || is(topic, "deldevice")) {
		sudo_who(c, &who);
		/* Its sessions stay, as with the reference's delAuth. */
		if (device_id(c, r, "deldevice", a0, sizeof(a0)) &&
		    (rt = reply_to(c, r->mid)) != NULL &&
		    admin_revoke(srv, &who, a0, false, done_cb, rt, msg,
		    sizeof(msg)) != ADMIN_OK) {
			send_error(c, r->mid, msg);
			free(rt);
		}
	} else if (is(topic, "getauthidlist") || is(topic, "getdevicelist")) {
		if ((rt = reply_to(c, r->mid)) != NULL)
			admin_auth_devices(srv, list_cb, rt);
	} else {
		snprintf(msg, sizeof(msg), "api sudo: no such a cmd: %s", topic);
		send_error(c, r->mid, msg);
	}
}
