/*
 * api.c - REQUEST handling. The built-in "reply" API answers echo, date
 * and unixtime (reference src/api/api_reply.js); anything else gets
 * status 255 with a reason, so the client's promise fails at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "api_sudo.h"
#include "conn.h"
#include "acl.h"
#include "presence.h"
#include "router.h"
#include "server.h"
#include "session.h"

/* The JavaScript value MBP.unpack gives a field, as JSON. */
static json_t *
field_json(const struct mbp_field *f)
{
	int64_t i;
	double d;

	switch (f->type) {
	case MBP_STRING:
		return json_stringn((const char *)f->data, f->len);
	case MBP_JSON:
		return json_loadb((const char *)f->data, f->len,
		    JSON_DECODE_ANY, NULL);
	case MBP_BOOL:
		return json_boolean((int8_t)f->data[0] == 1);
	case MBP_BYTES: {
		/* JSON.stringify of a Buffer */
		json_t *o = json_object(), *a = json_array();

		for (uint32_t k = 0; k < f->len; k++)
			json_array_append_new(a, json_integer(f->data[k]));
		json_object_set_new(o, "type", json_string("Buffer"));
		json_object_set_new(o, "data", a);
		return o;
	}
	default:
		if (mbp_field_int(f, &i) == 0)
			return json_integer(i);
		if (mbp_field_double(f, &d) == 0)
			return json_real(d);
		return json_null();
	}
}

static void
reply_echo(struct conn *c, const struct ios_request *r)
{
	json_t *args;
	char *text;

	if (r->pack.nargs == 0) {
		static const char msg[] = "no message to echo";
		session_send_response(c, r->mid, IOS_STATUS_ERROR, MBP_STRING,
		    msg, sizeof(msg) - 1);
		return;
	}
	args = json_array();
	for (size_t i = 0; i < r->pack.nargs; i++) {
		json_t *v = field_json(r->pack.args[i]);
		json_array_append_new(args, v ? v : json_null());
	}
	text = json_dumps(args, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	json_decref(args);
	if (text == NULL)
		return;
	session_send_response(c, r->mid, IOS_STATUS_OK, MBP_JSON, text,
	    strlen(text));
	free(text);
}

static void
reply_date(struct conn *c, const struct ios_request *r)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(server_wall_ms() / 1000);
	struct tm tm;
	char buf[64];
	int n;

	/* Date.prototype.toUTCString(), independent of the locale. */
	gmtime_r(&t, &tm);
	n = snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	session_send_response(c, r->mid, IOS_STATUS_OK, MBP_STRING, buf,
	    (size_t)n);
}

static void
reply_unixtime(struct conn *c, const struct ios_request *r)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%llu",
	    (unsigned long long)(server_wall_ms() / 1000));

	session_send_response(c, r->mid, IOS_STATUS_OK, MBP_NUMBER, buf,
	    (size_t)n);
}

static const struct {
	const char *topic;
	void (*fn)(struct conn *, const struct ios_request *);
} reply_topics[] = {
	{ "echo", reply_echo },
	{ "date", reply_date },
	{ "unixtime", reply_unixtime },
};

static void
add_cid(struct conn *m, void *arg)
{
	if (m->s->cid[0])
		json_array_append_new(arg, json_string(m->s->cid));
}

static void
presence_fail(struct conn *c, const struct ios_request *r, const char *why)
{
	session_send_response(c, r->mid, IOS_STATUS_ERROR, MBP_STRING, why,
	    strlen(why));
}

/* --presence: REQUEST presence/members CHANNEL (presence.h). */
static void
presence_request(struct conn *c, const struct ios_request *r)
{
	struct server *srv = c->srv;
	const struct mbp_field *f = r->pack.nargs ? r->pack.args[0] : NULL;
	char key[TAG_KEY_MAX];
	struct channel *ch;
	json_t *list;
	char *text;
	long kl;

	if (r->topic_len != 7 || memcmp(r->topic, "members", 7) != 0) {
		presence_fail(c, r, "target: presence has not topic name");
		return;
	}
	if (f == NULL || f->type != MBP_STRING || f->len == 0 ||
	    f->len > IOS_TAG_MAX || !utf8_valid(f->data, f->len) ||
	    (kl = tag_router_key(f->data, f->len, c->home, key,
	    sizeof(key))) < 0) {
		presence_fail(c, r, "presence members: a channel tag is required");
		return;
	}
	if (!presence_enabled(srv, acl_key_tag(key))) {
		presence_fail(c, r, "presence members: no presence on this channel");
		return;
	}
	ch = router_find_channel(srv, key, (size_t)kl);
	if (ch == NULL || !presence_member(c, ch)) {
		presence_fail(c, r, "presence members: not a member of this channel");
		return;
	}
	list = json_array();
	router_foreach_subscriber(ch, add_cid, list);
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (text == NULL) {
		conn_nomem(c, "out of memory (presence)");
		return;
	}
	session_send_response(c, r->mid, IOS_STATUS_OK, MBP_JSON, text,
	    strlen(text));
	free(text);
}

static bool
is(const uint8_t *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* Status 255 with the reason as a string body. */
static void
error_reply(struct conn *c, const struct ios_request *r, bool known_target)
{
	char buf[600];
	int tl = (int)(r->target_len > 256 ? 256 : r->target_len);
	int pl = (int)(r->topic_len > 256 ? 256 : r->topic_len);
	int n;

	if (known_target)	/* the reference's wording */
		n = snprintf(buf, sizeof(buf), "target: %.*s has not topic "
		    "name: %.*s", tl, (const char *)r->target, pl,
		    (const char *)r->topic);
	else
		n = snprintf(buf, sizeof(buf), "unknown target: %.*s",
		    tl, (const char *)r->target);
	session_send_response(c, r->mid, IOS_STATUS_ERROR, MBP_STRING, buf,
	    (size_t)n);
}

void
api_request(struct conn *c, const uint8_t *m, size_t len)
{
	static struct ios_request r;	/* large; one request at a time */

	if (iosmsg_parse_request(m, len, &r) < 0) {
		c->srv->m.drops[DROP_BAD_MESSAGE]++;
		return;
	}
	/* -a: an API left out is answered as an unknown target. */
	if (is(r.target, r.target_len, "reply") &&
	    (c->srv->opt.apis & OPT_API_REPLY)) {
		for (size_t i = 0; i < sizeof(reply_topics) /
		    sizeof(reply_topics[0]); i++)
			if (is(r.topic, r.topic_len, reply_topics[i].topic)) {
				reply_topics[i].fn(c, &r);
				return;
			}
		error_reply(c, &r, true);
		return;
	}
	if (is(r.target, r.target_len, "sudo") &&
	    (c->srv->opt.apis & OPT_API_SUDO)) {
		api_sudo(c, &r);
		return;
	}
	/* --presence: members of a channel that opted in. */
	if (is(r.target, r.target_len, "presence") && c->srv->opt.npresence) {
		presence_request(c, &r);
		return;
	}
	error_reply(c, &r, false);
}
