/*
 * session.c - what the server does with each IOSignal message
 * (RemoteCore.onSocketMessage of the reference, with iosd's stricter
 * points from doc/protocol.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acl.h"
#include "api.h"
#include "auth.h"
#include "store.h"
#include "trace.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "presence.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "transport.h"
#include "net_ws.h"

#define DEFAULT_LEVEL 3		/* reference serverOption.defaultQuotaIndex */

const char *
session_state_name(enum session_state s)
{
	static const char *const names[] = {
		[SS_INIT] = "init",
		[SS_SENT_SERVER_READY] = "sent_server_ready",
		[SS_RECV_AUTH_REQ] = "recv_auth_req",
		[SS_SENT_SERVER_NONCE] = "sent_server_nonce",
		[SS_RECV_AUTH_HMAC] = "recv_auth_hmac",
		[SS_AUTH_FAIL] = "auth_fail",
		[SS_AUTH_READY] = "auth_ready",
		[SS_CID_READY] = "cid_ready",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) && names[s] ?
	    names[s] : "unknown";
}

void
session_init(struct conn *c)
{
	struct session *s = c->s;

	memset(s, 0, sizeof(*s));
	s->alive = true;
	session_set_level(c, DEFAULT_LEVEL);
}

void
session_set_level(struct conn *c, int level)
{
	struct session *s = c->s;
	const struct options *o = &c->srv->opt;
	struct quota q = { o->anon_signal, 10, 0 };

	if (c->srv->store && !store_quota(c->srv->store, level, &q))
		q = (struct quota){ o->anon_signal, 10, 0 };
	s->level = (uint8_t)level;
	s->publish_counter = q.publish_counter;
	if (o->quotas) {
		s->max_signal = q.signal_size < o->max_signal ? q.signal_size :
		    o->max_signal;
		s->traffic_rate = q.traffic_rate;
	} else {
		s->max_signal = o->max_signal;
		s->traffic_rate = 0;
	}
	/* A full bucket: one second of the rate. */
	s->tokens = s->traffic_rate;
	s->tokens_ms = server_now_ms(c->srv);
	s->over_since_ms = 0;
	if (c->ops)
		c->ops->set_limit(c, s->max_signal);
}

/* trafficRate: a token bucket of received bytes, one second deep. Over
 * it, messages are dropped. Drops that keep coming, with no quiet second
 * between them, for --rate-close, close the client: a flooder gets some
 * messages through as the bucket refills, and is still a flooder. */
static bool
rate_ok(struct conn *c, size_t len)
{
	struct session *s = c->s;
	uint64_t now = server_now_ms(c->srv);

	s->tokens += (double)(now - s->tokens_ms) * s->traffic_rate / 1000.0;
	if (s->tokens > s->traffic_rate)
		s->tokens = s->traffic_rate;
	s->tokens_ms = now;
	if (s->tokens >= (double)len) {
		s->tokens -= (double)len;
		return true;
	}
	c->srv->m.drops[DROP_RATE]++;
	if (s->over_since_ms == 0 || now - s->last_drop_ms > 1000)
		s->over_since_ms = now;
	s->last_drop_ms = now;
	if (now - s->over_since_ms > c->srv->opt.rate_close_ms) {
		c->srv->m.rate_closes++;
		conn_fail(c, DROP_RATE, WS_CLOSE_POLICY,
		    "traffic rate exceeded");
	}
	return false;
}

const char *
session_nick(const struct conn *c)
{
	return c->s->nick ? c->s->nick : "";
}

void
session_set_nick(struct conn *c, const char *nick, size_t n)
{
	char *p;

	if (n >= SESSION_NICK_MAX)
		n = SESSION_NICK_MAX - 1;
	if (n == 0) {
		free(c->s->nick);
		c->s->nick = NULL;
		return;
	}
	if ((p = realloc(c->s->nick, n + 1)) == NULL)
		return;		/* out of memory: the old nick stays */
	memcpy(p, nick, n);
	p[n] = '\0';
	c->s->nick = p;
}

void
session_free(struct conn *c)
{
	if (c->s == NULL)
		return;
	free(c->s->nick);
	auth_relogin_free(c);
	free(c->s->subs);
	explicit_bzero(c->s, sizeof(*c->s));	/* its keys */
	free(c->s);
	c->s = NULL;
}

/* Whether messages to this client are encrypted: an authorized session on
 * a connection that is not TLS (the reference's send_enc_mode, AUTO). */
static bool
wants_encryption(const struct conn *c)
{
	return c->s->boho.authorized && !c->tls;
}

void
session_send(struct conn *c, struct msg *m)
{
	if (c->srv->ntraces)
		trace_out(c->srv, c, m->data, m->len);
	session_deliver(c, m);
}

void
session_deliver(struct conn *c, struct msg *m)
{
	if (!wants_encryption(c) || iosmsg_always_plain(m->data[0])) {
		conn_send_msg(c, m);
		return;
	}
	/* One copy per encrypted recipient: its own key and nonce. */
	{
		size_t hl = 0;
		struct msg *e;
		long n;

		if ((e = msg_new(BOHO_ENC_HDR + m->len)) == NULL) {
			conn_nomem(c, "out of memory (encryption)");
			return;
		}
		if (m->data[0] == IOS_SIGNAL_E2E) {
			n = boho_e2e_wrap(&c->s->boho, &c->srv->env, m->data,
			    m->len, e->data, e->len, &hl);
			if (n >= 0) {
				memcpy(e->data + n, m->data + hl, m->len - hl);
				n += (long)(m->len - hl);
			}
		} else {
			n = boho_encrypt_488(&c->s->boho, &c->srv->env, m->data,
			    m->len, e->data, e->len);
		}
		if (n > 0) {
			e->len = (uint32_t)n;
			conn_send_msg(c, e);
		}
		msg_unref(e);
	}
}

void
session_send_bytes(struct conn *c, const void *data, size_t len)
{
	struct msg *m = msg_copy(data, len);

	if (m == NULL) {
		conn_nomem(c, "out of memory (send)");
		return;
	}
	session_send(c, m);
	msg_unref(m);
}

void
session_send_plain(struct conn *c, const void *data, size_t len)
{
	struct msg *m = msg_copy(data, len);

	if (m == NULL) {
		conn_nomem(c, "out of memory (send)");
		return;
	}
	if (c->srv->ntraces)
		trace_out(c->srv, c, m->data, m->len);

	conn_send_msg(c, m);
	msg_unref(m);
}

void
session_send_response(struct conn *c, uint16_t mid, uint8_t status,
    enum mbp_type type, const void *body, size_t len)
{
	size_t cap = len + 128;
	struct msg *m = msg_new(cap);
	long n;

	if (m == NULL) {
		conn_nomem(c, "out of memory (response)");
		return;
	}
	n = iosmsg_build_response(status, mid, type, body, len, m->data, cap);
	if (n > 0) {
		m->len = (uint32_t)n;
		session_send(c, m);
	}
	msg_unref(m);
}

void
session_start(struct conn *c)
{
	static const uint8_t ready = IOS_SERVER_READY;

	session_send_plain(c, &ready, 1);
	c->s->state = SS_SENT_SERVER_READY;
}

/* ---- message handlers ---- */

static void
on_cid_req(struct conn *c)
{
	uint8_t buf[1 + SESSION_CID_MAX];
	size_t n;

	if (c->s->cid[0] == '\0' && router_assign_cid(c->srv, c) < 0) {
		conn_nomem(c, "out of memory (CID)");
		return;
	}
	n = strlen(c->s->cid);
	buf[0] = IOS_CID_RES;
	memcpy(buf + 1, c->s->cid, n);
	session_send_bytes(c, buf, n + 1);
	c->s->state = SS_CID_READY;
}

static void
on_iam(struct conn *c, const uint8_t *m, size_t len)
{
	json_t *o, *tags;
	char *text;

	if (len > 1) {
		size_t n = len - 1 < SESSION_NICK_MAX - 1 ? len - 1 :
		    SESSION_NICK_MAX - 1;

		/* Keep only whole UTF-8: cut back to a valid prefix. */
		while (n > 0 && !utf8_valid(m + 1, n))
			n--;
		session_set_nick(c, (const char *)m + 1, n);
	}
	/* The reference's key order; undefined members are left out. */
	o = json_object();
	json_object_set_new(o, "ssid", json_integer(c->ssid));
	if (c->s->cid[0])
		json_object_set_new(o, "cid", json_string(c->s->cid));
	if (c->s->did[0])
		json_object_set_new(o, "did", json_string(c->s->did));
	json_object_set_new(o, "nick", json_string(session_nick(c)));
	json_object_set_new(o, "ip", json_string(c->ip));
	tags = json_array();
	for (size_t i = 0; i < c->s->nsubs; i++)
		json_array_append_new(tags, json_string(router_channel_key(
		    c->s->subs[i])));
	json_object_set_new(o, "tag", tags);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL) {
		conn_nomem(c, "out of memory (IAM)");
		return;
	}
	{
		size_t tl = strlen(text);
		struct msg *b = msg_new(tl + 1);

		if (b == NULL) {
			free(text);
			conn_nomem(c, "out of memory (IAM)");
			return;
		}
		b->data[0] = IOS_IAM_RES;
		memcpy(b->data + 1, text, tl);
		session_send(c, b);
		msg_unref(b);
		free(text);
	}
}

static void
subscribe_list(struct conn *c, const struct ios_taglist *t)
{
	size_t pos = 0, tl;
	const uint8_t *tag;

	while (iosmsg_taglist_next(t, &pos, &tag, &tl)) {
		size_t before = c->s->nsubs;

		/* Channel permissions: a refused tag is left out. */
		if (!acl_subscribe_ok(c->srv, c, tag, tl))
			continue;
		router_subscribe(c->srv, c, tag, tl);
		if (c->s->nsubs > before)
			presence_joined(c->srv, c, c->s->subs[c->s->nsubs - 1]);
	}
}

/* Whether channel permissions allow every tag of the list. */
static bool
acl_list_ok(struct conn *c, const struct ios_taglist *t)
{
	size_t pos = 0, tl;
	const uint8_t *tag;

	while (iosmsg_taglist_next(t, &pos, &tag, &tl))
		if (!acl_subscribe_ok(c->srv, c, tag, tl))
			return false;
	return true;
}

static void
on_subscribe(struct conn *c, const uint8_t *m, size_t len)
{
	struct ios_taglist t;

	if (iosmsg_parse_subscribe(m, len, &t) < 0) {
		c->srv->m.drops[DROP_BAD_MESSAGE]++;
		return;
	}
	if (router_sub_room(c->srv, c, &t))
		subscribe_list(c, &t);
}

static void
on_subscribe_req(struct conn *c, const uint8_t *m, size_t len)
{
	struct ios_taglist t;
	uint16_t mid = 0;
	int rc = iosmsg_parse_subscribe_req(m, len, &mid, &t);

	if (rc == PROTO_ETRUNC || rc == PROTO_ETYPE) {
		c->srv->m.drops[DROP_BAD_MESSAGE]++;
		return;		/* no mid to answer */
	}
	if (rc < 0) {
		c->srv->m.drops[DROP_BAD_MESSAGE]++;
		session_send_response(c, mid, IOS_STATUS_ERROR, MBP_BYTES, NULL,
		    0);
		return;
	}
	/* Over the cap or refused by a permission: none of the list is
	 * applied, and the client's promise fails. */
	if (!acl_list_ok(c, &t) || !router_sub_room(c->srv, c, &t)) {
		session_send_response(c, mid, IOS_STATUS_ERROR, MBP_BYTES,
		    NULL, 0);
		return;
	}
	subscribe_list(c, &t);
	session_send_response(c, mid, IOS_STATUS_OK, MBP_BYTES, NULL, 0);
}

static void
on_unsubscribe(struct conn *c, const uint8_t *m, size_t len)
{
	struct ios_taglist t;
	size_t pos = 0, tl;
	const uint8_t *tag;

	if (iosmsg_parse_unsubscribe(m, len, &t) < 0) {
		c->srv->m.drops[DROP_BAD_MESSAGE]++;
		return;
	}
	if (t.all) {
		presence_leaving_all(c->srv, c);
		router_unsubscribe_all(c->srv, c);
		return;
	}
	while (iosmsg_taglist_next(&t, &pos, &tag, &tl)) {
		presence_leaving_tag(c->srv, c, tag, tl);
		router_unsubscribe(c->srv, c, tag, tl);
	}
}

/* Whether a client's text can go into the log as it is: UTF-8 without
 * control characters (C0, DEL, C1), quotes or backslashes. */
static bool
loggable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '"' ||
		    p[i] == '\\' || (p[i] == 0xc2 && i + 1 < n &&
		    p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return false;
	return utf8_valid(p, n);
}

#define CLOSE_SHOWN 48	/* bytes of a CLOSE reason in the log */

static void
on_close(struct conn *c, const uint8_t *m, size_t len)
{
	char reason[2 + 2 * CLOSE_SHOWN + 1];
	const uint8_t *r = m + 1;
	size_t n = len - 1, shown = n < CLOSE_SHOWN ? n : CLOSE_SHOWN;

	if (len < 2)
		return;		/* a bare CLOSE is ignored, as the reference */
	/* As text when it is, else in hex (an Arduino sends 0xFE). */
	if (loggable(r, n)) {
		while (!utf8_valid(r, shown))
			shown--;	/* a whole character at the end */
		snprintf(reason, sizeof(reason), "\"%.*s\"", (int)shown,
		    (const char *)r);
	} else {
		memcpy(reason, "0x", 3);
		for (size_t i = 0; i < shown; i++)
			snprintf(reason + 2 + 2 * i, 3, "%02x", r[i]);
	}
	log_info("conn=%u cid=%s CLOSE reason=%s%s", c->ssid,
	    c->s->cid[0] ? c->s->cid : "-", reason, shown < n ? "..." : "");
	conn_close(c, true, WS_CLOSE_NORMAL, "client sent CLOSE");
}

static void
show_message(const struct conn *c, const uint8_t *m, size_t len)
{
	const char *name = iosmsg_name(m[0]);
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "#%u %s [%s]", c->ssid,
	    c->s->cid[0] ? c->s->cid : "-", name ? name : "undefined");
	if (len > 40)
		printf("%s LEN: %zu\n", line, len);
	else {
		fputs(line, stdout);
		for (size_t i = 0; i < len; i++)
			printf(" %02x", m[i]);
		putchar('\n');
	}
	(void)n;
	fflush(stdout);
}

void
session_on_message(struct conn *c, uint8_t *m, size_t len)
{
	struct server *srv = c->srv;
	uint8_t type;

	if (len == 0 || c->state != CONN_OPEN || c->doomed)
		return;
	c->s->alive = true;
	c->rx_msgs++;
	type = m[0];
	srv->m.msgs_in[type]++;
	srv->m.bytes_in[type] += len;
	if (srv->opt.show_message)
		show_message(c, m, len);

	if (c->s->traffic_rate && !rate_ok(c, len))
		return;

	if (type == IOS_ENC_488 || type == IOS_ENC_E2E) {
		long n;

		/* Without a login there is no key: nothing is decrypted (the
		 * reference accepts packets made with a zero key). */
		if (!c->s->boho.authorized) {
			srv->m.drops[DROP_NOT_AUTHORIZED]++;
			return;
		}
		if (type == IOS_ENC_488) {
			n = boho_decrypt_488(&c->s->boho, m, len);
			if (n > 0) {
				m += BOHO_ENC_HDR;
				len = (size_t)n;
			}
		} else {
			n = boho_e2e_unwrap(&c->s->boho, m, len);
			if (n > 0) {
				m += n;
				len -= (size_t)n;
			}
		}
		if (n <= 0 || (m[0] >= IOS_AUTH_REQ && m[0] <= IOS_ENC_488)) {
			srv->m.drops[DROP_DECRYPT]++;
			return;
		}
		type = m[0];
	}
	if (srv->ntraces)
		trace_in(srv, c, m, len);

	switch (type) {
	case IOS_PING:
		conn_pong(c);
		break;
	case IOS_PONG:
		break;
	case IOS_CID_REQ:
		on_cid_req(c);
		break;
	case IOS_ECHO:
		session_send_plain(c, m, len);	/* the same bytes, plain */
		break;
	case IOS_IAM:
		on_iam(c, m, len);
		break;
	case IOS_SIGNAL:
	case IOS_SIGNAL_E2E:
		if (acl_publish_ok(srv, c, m, len))
			router_publish(srv, c, m, len);
		break;
	case IOS_SUBSCRIBE:
		on_subscribe(c, m, len);
		break;
	case IOS_SUBSCRIBE_REQ:
		on_subscribe_req(c, m, len);
		break;
	case IOS_UNSUBSCRIBE:
		on_unsubscribe(c, m, len);
		break;
	case IOS_REQUEST:
		api_request(c, m, len);
		break;
	case IOS_CLOSE:
		on_close(c, m, len);
		break;
	case IOS_AUTH_REQ:
		auth_on_req(c);
		break;
	case IOS_AUTH_HMAC:
		auth_on_hmac(c, m, len);
		break;
	default:
		srv->m.drops[DROP_UNKNOWN_TYPE]++;
		break;
	}
}

/* The connection is closing: it leaves the router (its @state
 * subscribers hear about it now) and any login in flight. */
static void
session_closed(struct conn *c)
{
	presence_leaving_all(c->srv, c);
	router_conn_gone(c->srv, c);
	auth_conn_gone(c);
}

const struct conn_up session_up = {
	.opened = session_start,
	.message = session_on_message,
	.closed = session_closed,
};
