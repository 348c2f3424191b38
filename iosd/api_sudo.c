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

#include "api_sudo.h"
#include "conn.h"
#include "router.h"
#include "server.h"
#include "store.h"

#define ADMIN_LEVEL 255

/* Where to answer once the store has finished. */
struct reply_to {
	struct server *srv;
	uint32_t ssid;
	uint16_t mid;
	char id[DEVICE_ID_MAX + 1];
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
reply_to(struct conn *c, uint16_t mid, const char *id)
{
	struct reply_to *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		conn_nomem(c, "out of memory (sudo)");
		return NULL;
	}
	t->srv = c->srv;
	t->ssid = c->ssid;
	t->mid = mid;
	if (id)
		snprintf(t->id, sizeof(t->id), "%s", id);
	return t;
}

static void
done_cb(void *arg, int rc, const char *err)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (rc < 0)
			send_error(c, t->mid, err ? err : "store error");
		else if (rc == STORE_NOTFOUND)	/* deleted nothing: 0 */
			session_send_response(c, t->mid, IOS_STATUS_OK,
			    MBP_BYTES, NULL, 0);
		else {
			static const char one[] = "1";
			session_send_response(c, t->mid, IOS_STATUS_OK,
			    MBP_NUMBER, one, 1);
		}
	}
	free(t);
}

static void
get_cb(void *arg, int rc, const struct device *d)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (rc < 0)
			send_error(c, t->mid, "store error");
		else if (rc == STORE_NOTFOUND || d == NULL)
			session_send_response(c, t->mid, IOS_STATUS_OK,
			    MBP_BYTES, NULL, 0);
		else {
			json_t *o = json_object();

			json_object_set_new(o, "key", json_string(d->key));
			json_object_set_new(o, "cid", json_string(d->cid));
			json_object_set_new(o, "level", json_integer(d->level));
			json_object_set_new(o, "disabled",
			    json_boolean(d->disabled));
			send_json(c, t->mid, IOS_STATUS_OK, o);
		}
	}
	free(t);
}

static void
list_cb(void *arg, int rc, const struct device *d, size_t n)
{
	struct reply_to *t = arg;
	struct conn *c = server_find_ssid(t->srv, t->ssid);

	if (c) {
		if (rc < 0)
			send_error(c, t->mid, "store error");
		else {
			json_t *a = json_array();

			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, json_string(d[i].id));
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
		json_object_set_new(o, "id", json_string(t->s.cid));
		json_object_set_new(o, "ssid", json_integer(t->ssid));
		json_object_set_new(o, "cid", json_string(t->s.cid));
		json_object_set_new(o, "uptime", json_integer((json_int_t)up));
		json_object_set_new(o, "tx", json_integer((json_int_t)t->tx_msgs));
		json_object_set_new(o, "rx", json_integer((json_int_t)t->rx_msgs));
		json_object_set_new(o, "txBytes",
		    json_integer((json_int_t)t->tx_bytes));
		json_object_set_new(o, "rxBytes",
		    json_integer((json_int_t)t->rx_bytes));
	} else {
		json_object_set_new(o, "uptime", json_integer((json_int_t)up));
		json_object_set_new(o, "nick", json_string(t->s.nick));
		json_object_set_new(o, "ssid", json_integer(t->ssid));
		if (mode == 3) {
			json_object_set_new(o, "isSecure", json_boolean(t->tls));
			json_object_set_new(o, "isAuth",
			    json_boolean(t->s.boho.authorized));
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

static void
add_device(struct conn *c, const struct ios_request *r)
{
	struct reply_to *t;
	char id[64], key[256], cid[64], lvl[16];
	struct device d;
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
	memset(&d, 0, sizeof(d));
	if (strlen(id) > DEVICE_ID_MAX || strlen(cid) > DEVICE_CID_MAX) {
		send_error(c, r->mid, store_check_id(id, strlen(id)) ?
		    store_check_id(id, strlen(id)) :
		    store_check_cid(cid, strlen(cid)));
		return;
	}
	memcpy(d.id, id, strlen(id) + 1);	/* lengths checked above */
	memcpy(d.cid, cid, strlen(cid) + 1);
	boho_stored_key(key, strlen(key), d.key);
	explicit_bzero(key, sizeof(key));
	d.level = (int)level;
	/* The reference's addAuth overwrites an existing id. */
	if ((t = reply_to(c, r->mid, d.id)) != NULL)
		store_device_put(c->srv->store, &d, true, "sudo adddevice",
		    done_cb, t);
}

void
api_sudo(struct conn *c, const struct ios_request *r)
{
	struct server *srv = c->srv;
	struct reply_to *rt;
	char topic[32], a0[64], a1[16];
	json_t *out;
	size_t n = r->topic_len < sizeof(topic) - 1 ? r->topic_len :
	    sizeof(topic) - 1;

	if (c->s.level < ADMIN_LEVEL) {
		send_error(c, r->mid, "NO_PERMISSION.");
		return;
	}
	for (size_t i = 0; i < n; i++)
		topic[i] = (char)tolower(r->topic[i]);
	topic[n] = '\0';

	if (is(topic, "cid")) {
		out = json_array();
		for (struct conn *t = srv->cids; t; t = t->hh_cid.next)
			json_array_append_new(out, json_string(t->s.cid));
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "remotes") || is(topic, "clients")) {
		out = json_array();
		for (struct conn *t = srv->conns; t; t = t->next) {
			char b[64];

			if (t->state != CONN_OPEN)
				continue;
			snprintf(b, sizeof(b), "#%u:%s(%d)", t->ssid,
			    t->s.cid[0] ? t->s.cid : "undefined", t->s.state);
			json_array_append_new(out, json_string(b));
		}
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "channels")) {
		out = json_array();
		for (struct channel *ch = srv->channels; ch; ch = ch->hh.next)
			json_array_append_new(out, json_string(ch->key));
		send_json(c, r->mid, IOS_STATUS_OK, out);
	} else if (is(topic, "subscribers")) {
		struct channel *ch = NULL;

		out = json_array();
		if (arg_text(r, 0, a0, sizeof(a0)))
			HASH_FIND(hh, srv->channels, a0, strlen(a0), ch);
		for (size_t i = 0; ch && i < ch->nsubs; i++)
			json_array_append_new(out, json_string(ch->subs[i]->s.cid));
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
		struct conn *t = arg_text(r, 0, a0, sizeof(a0)) ?
		    router_find_cid(srv, a0, strlen(a0)) : NULL;

		if (t)
			conn_close(t, true, 1000, "closed by an admin");
		/* 1, or 0 which the reference leaves out as falsy */
		session_send_response(c, r->mid, IOS_STATUS_OK, MBP_NUMBER,
		    t ? "1" : NULL, t ? 1 : 0);
	} else if (is(topic, "addauth") || is(topic, "adddevice")) {
		add_device(c, r);
	} else if (is(topic, "getauth") || is(topic, "getdevice")) {
		if (r->pack.nargs != 1 || !arg_text(r, 0, a0, sizeof(a0)) ||
		    strlen(a0) > DEVICE_ID_MAX)
			send_error(c, r->mid, "getdevice: id");
		else if ((rt = reply_to(c, r->mid, a0)) != NULL)
			store_device_get(srv->store, a0, get_cb, rt);
	} else if (is(topic, "delauth") || is(topic, "deldevice")) {
		if (r->pack.nargs != 1 || !arg_text(r, 0, a0, sizeof(a0)) ||
		    strlen(a0) > DEVICE_ID_MAX)
			send_error(c, r->mid, "deldevice: id");
		else if ((rt = reply_to(c, r->mid, a0)) != NULL)
			store_device_del(srv->store, a0, done_cb, rt);
	} else if (is(topic, "getauthidlist") || is(topic, "getdevicelist")) {
		if ((rt = reply_to(c, r->mid, NULL)) != NULL)
			store_device_list(srv->store, list_cb, rt);
	} else {
		char msg[64];

		snprintf(msg, sizeof(msg), "api sudo: no such a cmd: %s", topic);
		send_error(c, r->mid, msg);
	}
}
