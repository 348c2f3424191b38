/*
 * http_api.c - see http_api.h. Each endpoint reads its request, calls
 * one admin.c verb, and turns the result into JSON; the control socket's
 * commands (ctl_*.c) do the same with the same verbs, so an answer here
 * has the shape of the command's result (doc/control.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "admin.h"
#include "conn.h"
#include "ctl_cmd.h"
#include "http.h"
#include "http_api.h"
#include "log.h"
#include "server.h"

#define QUERY_MAX	2048	/* bytes of a query string */

/* ---- answers ---- */

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* o (stolen) as the answer. */
static void
send_json(struct conn *c, int status, json_t *o, bool head, bool keep,
    const char *extra)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	size_t n;

	json_decref(o);
	if (text == NULL) {
		static const char oom[] = "{\"error\":{\"code\":\"internal\","
		    "\"message\":\"out of memory\"}}\n";

		http_respond(c, 503, status_text(503), "application/json", oom,
		    sizeof(oom) - 1, head, false, NULL);
		return;
	}
	/* One line, as the control socket's. */
	n = strlen(text);
	text[n] = '\n';
	http_respond(c, status, status_text(status), "application/json", text,
	    n + 1, head, keep, extra);
	free(text);
}

static void
error_extra(struct conn *c, int status, const char *code, const char *message,
    bool head, bool keep, const char *extra)
{
	send_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
	    "message", message), head, keep, extra);
}

void
http_api_error(struct conn *c, int status, const char *code,
    const char *message, bool head, bool keep)
{
	error_extra(c, status, code, message, head, keep, NULL);
}

/* admin.h's errors as HTTP statuses and the control socket's codes. */
static void
admin_error(struct conn *c, enum admin_err e, const char *msg, bool keep)
{
	static const struct {
		int status;
		const char *code;
	} map[ADMIN_ERR_COUNT] = {
		[ADMIN_OK] = { 500, "internal" },
		[ADMIN_NOT_FOUND] = { 404, "not_found" },
		[ADMIN_EXISTS] = { 409, "exists" },
		[ADMIN_BAD_ARGS] = { 400, "bad_args" },
		[ADMIN_STORE] = { 503, "store_error" },
		[ADMIN_NOMEM] = { 503, "internal" },
	};
	unsigned i = (unsigned)e < ADMIN_ERR_COUNT ? (unsigned)e : ADMIN_OK;

	http_api_error(c, map[i].status, map[i].code, msg && *msg ? msg :
	    admin_strerror(e), false, keep);
}

/* ---- routes ---- */

enum route {
	R_PUBLISH,
	R_UNICAST,
	R_CLIENTS,
	R_CHANNELS,
	R_SUBSCRIBERS,
	R_KICK,
	R_COUNT
};

static const struct {
	const char *method;	/* "GET" also answers HEAD */
	enum admin_scope scope;	/* the least a token needs */
	bool body;		/* takes a JSON body */
} routes[R_COUNT] = {
	[R_PUBLISH] = { "POST", ADMIN_SCOPE_PUBLISH, true },
	[R_UNICAST] = { "POST", ADMIN_SCOPE_PUBLISH, true },
	[R_CLIENTS] = { "GET", ADMIN_SCOPE_READ, false },
	[R_CHANNELS] = { "GET", ADMIN_SCOPE_READ, false },
	[R_SUBSCRIBERS] = { "GET", ADMIN_SCOPE_READ, false },
	[R_KICK] = { "POST", ADMIN_SCOPE_ADMIN, true },
};

bool
http_api_path(const char *target)
{
	return strncmp(target, "/api", 4) == 0 && (target[4] == '\0' ||
	    target[4] == '/' || target[4] == '?');
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decoding of n bytes of s into out (cap > n); plus: '+' is a
 * space (a query). false on a bad escape or an encoded NUL. */
static bool
unescape(const char *s, size_t n, bool plus, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n)
				return false;
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0 ||
			    (h == 0 && l == 0))
				return false;
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else
			out[o++] = plus && s[i] == '+' ? ' ' : s[i];
	}
	out[o] = '\0';
	return true;
}

/* The route of a path (without its query); *tag: the channel of
 * /api/channels/{tag}/subscribers, decoded (tag_cap bytes). -1: none;
 * -2: a tag that is not well encoded. */
static int
route_of(const char *path, size_t plen, char *tag, size_t tag_cap)
{
	static const char *const fixed[R_COUNT] = {
		[R_PUBLISH] = "/api/publish", [R_UNICAST] = "/api/unicast",
		[R_CLIENTS] = "/api/clients", [R_CHANNELS] = "/api/channels",
		[R_KICK] = "/api/kick",
	};
	static const char pre[] = "/api/channels/", post[] = "/subscribers";
	size_t tl;

	for (int r = 0; r < R_COUNT; r++)
		if (fixed[r] && strlen(fixed[r]) == plen &&
		    strncmp(path, fixed[r], plen) == 0)
			return r;
	if (plen <= sizeof(pre) - 1 + sizeof(post) - 1 ||
	    strncmp(path, pre, sizeof(pre) - 1) != 0 ||
	    strncmp(path + plen - (sizeof(post) - 1), post,
	    sizeof(post) - 1) != 0)
		return -1;
	tl = plen - (sizeof(pre) - 1) - (sizeof(post) - 1);
	if (memchr(path + sizeof(pre) - 1, '/', tl))
		return -1;
	if (tl >= tag_cap || !unescape(path + sizeof(pre) - 1, tl, false, tag))
		return -2;
	return R_SUBSCRIBERS;
}

/* ---- the token ---- */

/* The token of the request, of scope need at least: true with *who, or
 * answered 401 or 403. */
static bool
authorize(struct conn *c, const struct http_req *r, enum admin_scope need,
    bool head, bool keep, struct admin_who *who)
{
	const char *a = r->authorization, *tok;
	struct token_row t;
	enum admin_scope have;
	enum admin_err e;
	char msg[ADMIN_MSG_MAX], extra[160];
	size_t n;

	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0) {
		error_extra(c, 401, "unauthorized", a ? "the Authorization is "
		    "not a Bearer token" : "an Authorization: Bearer token is "
		    "required (iosctl token create)", head, keep,
		    "WWW-Authenticate: Bearer realm=\"iosd\"\r\n");
		return false;
	}
	for (tok = a + 7; *tok == ' '; tok++)
		;
	n = strcspn(tok, " \t");
	e = admin_token_check(c->srv, tok, n, &t, &have, msg, sizeof(msg));
	if (e == ADMIN_OK && tok[n] != '\0')
		e = ADMIN_NOT_FOUND, snprintf(msg, sizeof(msg), "not a token");
	if (e == ADMIN_STORE) {
		http_api_error(c, 503, "store_error", msg, head, keep);
		return false;
	}
	if (e != ADMIN_OK) {
		if (log_allow(LC_LOGIN))
			log_info("conn=%u addr=%s %s %s refused: %s", c->ssid,
			    c->ip, r->method, r->target, msg);
		error_extra(c, 401, "unauthorized", msg, head, keep,
		    "WWW-Authenticate: Bearer realm=\"iosd\", "
		    "error=\"invalid_token\"\r\n");
		return false;
	}
	if (have < need) {
		char m[128];

		snprintf(m, sizeof(m), "this needs a token of scope %s or more "
		    "(this one is %s)", admin_scope_name(need),
		    admin_scope_name(have));
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer "
		    "realm=\"iosd\", error=\"insufficient_scope\", "
		    "scope=\"%s\"\r\n", admin_scope_name(need));
		error_extra(c, 403, "forbidden", m, head, keep, extra);
		return false;
	}
	who->via = "http";
	snprintf(who->detail, sizeof(who->detail), "token %lld%s%s, addr=%s",
	    (long long)t.id, t.name[0] ? " " : "", t.name, c->ip);
	return true;
}

/* ---- the query string ---- */

struct query {
	char buf[QUERY_MAX + 1];	/* decoded values live here */
	char *key[16], *val[16];
	size_t n;
};

/* false on a query too long, with too many members, or badly encoded. */
static bool
query_parse(const char *target, struct query *q)
{
	const char *s = strchr(target, '?');
	size_t len, off = 0;

	q->n = 0;
	if (s == NULL || *++s == '\0')
		return true;
	if ((len = strlen(s)) > QUERY_MAX)
		return false;
	while (*s) {
		size_t part = strcspn(s, "&"), kl = strcspn(s, "=");
		char *k, *v;

		if (kl > part)
			kl = part;
		if (part == 0) {
			s++;
			continue;
		}
		if (q->n == sizeof(q->key) / sizeof(q->key[0]))
			return false;
		k = q->buf + off;
		if (!unescape(s, kl, true, k))
			return false;
		off += strlen(k) + 1;
		v = q->buf + off;
		if (!unescape(s + kl + (kl < part), part - kl - (kl < part),
		    true, v))
			return false;
		off += strlen(v) + 1;
		q->key[q->n] = k;
		q->val[q->n++] = v;
		s += part + (s[part] == '&');
	}
	return true;
}

static const char *
query_get(const struct query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->key[i], key) == 0)
			return q->val[i];
	return NULL;
}

/* A whole number in [min, max]; dflt when absent; -1 when bad. */
static long long
query_int(const struct query *q, const char *key, long long dflt,
    long long min, long long max)
{
	const char *v = query_get(q, key);
	char *end;
	long long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < min || n > max)
		return -1;
	return n;
}

/* ---- GET endpoints ---- */

static void
get_clients(struct conn *c, const struct http_req *r, bool head)
{
	static const char *const known[] = { "cid", "ssid", "address",
	    "device", "anonymous", "transport", "filter", "offset", "limit" };
	struct server *srv = c->srv;
	struct query q;
	struct admin_sel sel;
	const char *an, *addr;
	char msg[ADMIN_MSG_MAX];
	long long ssid, off, lim;
	struct conn *k, *last = NULL;
	size_t n = 0;
	enum admin_err e;
	json_t *list;

	if (!query_parse(r->target, &q)) {
		http_api_error(c, 400, "bad_args", "the query is too long or "
		    "not well encoded", head, r->keep);
		return;
	}
	for (size_t i = 0; i < q.n; i++) {
		size_t j = 0;

		while (j < sizeof(known) / sizeof(known[0]) &&
		    strcmp(q.key[i], known[j]) != 0)
			j++;
		if (j == sizeof(known) / sizeof(known[0])) {
			snprintf(msg, sizeof(msg), "no parameter '%.64s' (cid, "
			    "ssid, address, device, anonymous, transport, "
			    "filter, offset, limit)", q.key[i]);
			http_api_error(c, 400, "bad_args", msg, head, r->keep);
			return;
		}
	}
	admin_sel_init(&sel);
	sel.cid = query_get(&q, "cid");
	sel.device = query_get(&q, "device");
	sel.transport = query_get(&q, "transport");
	sel.filter = query_get(&q, "filter");
	ssid = query_int(&q, "ssid", 0, 1, UINT32_MAX);
	off = query_int(&q, "offset", 0, 0, 1 << 30);
	lim = query_int(&q, "limit", CTL_CMD_PAGE_DEFAULT, 1,
	    CTL_CMD_PAGE_MAX);
	if (ssid < 0 || off < 0 || lim < 0) {
		http_api_error(c, 400, "bad_args", "ssid, offset and limit are "
		    "whole numbers (limit 1 to 1000)", head, r->keep);
		return;
	}
	sel.ssid = (uint32_t)ssid;
	if ((an = query_get(&q, "anonymous")) != NULL) {
		if (strcmp(an, "true") == 0 || strcmp(an, "1") == 0)
			sel.anonymous = 1;
		else if (strcmp(an, "false") == 0 || strcmp(an, "0") == 0)
			sel.anonymous = 0;
		else {
			http_api_error(c, 400, "bad_args", "anonymous is true "
			    "or false", head, r->keep);
			return;
		}
	}
	if ((addr = query_get(&q, "address")) != NULL &&
	    (e = admin_sel_address(&sel, addr, msg, sizeof(msg))) !=
	    ADMIN_OK) {
		admin_error(c, e, msg, r->keep);
		return;
	}
	/* Oldest first, as the control socket's clients. */
	list = json_array();
	for (k = srv->conns; k; k = k->next)
		last = k;
	for (k = last; k; k = k->prev) {
		if (!admin_sel_match(&sel, k))
			continue;
		if (n >= (size_t)off && n < (size_t)(off + lim))
			json_array_append_new(list, ctl_cmd_client_json(k,
			    false));
		n++;
	}
	send_json(c, 200, json_pack("{s:I,s:o}", "total", (json_int_t)n,
	    "clients", list), head, r->keep, NULL);
}

static void
channel_one(const char *key, const struct router_channel_info *info,
    void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:I,s:b,s:I,s:I}", "key",
	    key, "subscribers", (json_int_t)info->subscribers, "retained",
	    info->retained, "publishes", (json_int_t)info->publishes,
	    "retained_bytes", (json_int_t)info->retained_bytes));
}

static void
get_channels(struct conn *c, const struct http_req *r, bool head)
{
	struct query q;
	long long off, lim;
	json_t *list;
	size_t total;

	if (!query_parse(r->target, &q)) {
		http_api_error(c, 400, "bad_args", "the query is too long or "
		    "not well encoded", head, r->keep);
		return;
	}
	off = query_int(&q, "offset", 0, 0, 1 << 30);
	lim = query_int(&q, "limit", CTL_CMD_PAGE_DEFAULT, 1,
	    CTL_CMD_PAGE_MAX);
	if (off < 0 || lim < 0) {
		http_api_error(c, 400, "bad_args", "offset and limit are whole "
		    "numbers (limit 1 to 1000)", head, r->keep);
		return;
	}
	list = json_array();
	total = admin_channels(c->srv, query_get(&q, "filter"), (size_t)off,
	    (size_t)lim, channel_one, list);
	send_json(c, 200, json_pack("{s:I,s:o}", "total", (json_int_t)total,
	    "channels", list), head, r->keep, NULL);
}

static void
subscriber_one(struct conn *k, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s}", "ssid",
	    (json_int_t)k->ssid, "cid", k->s->cid));
}

static void
get_subscribers(struct conn *c, const struct http_req *r, const char *tag,
    bool head)
{
	char key[TAG_KEY_MAX], msg[ADMIN_MSG_MAX];
	enum admin_err e;
	json_t *list;

	/* The tag as a client publishes to it; a home channel depends on
	 * the client's address, and has no tag that names it here. */
	if (tag[0] == '#' || tag[0] == '$' || tag[0] == '@' ||
	    tag_router_key(tag, strlen(tag), "", key, sizeof(key)) < 0) {
		http_api_error(c, 400, "bad_args", "not a channel tag (a "
		    "channel, or CID@topic)", head, r->keep);
		return;
	}
	list = json_array();
	if ((e = admin_subscribers(c->srv, key, subscriber_one, list, msg,
	    sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		admin_error(c, e, msg, r->keep);
		return;
	}
	send_json(c, 200, json_pack("{s:s,s:s,s:o}", "tag", tag, "channel",
	    key, "subscribers", list), head, r->keep, NULL);
}

/* ---- POST endpoints: a JSON object ---- */

/* Members of body other than those of allowed (NULL-terminated): the
 * first one, or NULL. */
static const char *
unknown_member(json_t *body, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(body, k, v) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], k) != 0)
			i++;
		if (allowed[i] == NULL)
			return k;
	}
	return NULL;
}

/* A string member; NULL when absent; *bad when not a string (or holding
 * a NUL). */
static const char *
member_str(json_t *body, const char *key, bool *bad)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/*
 * The payload of a signal: one of "text" (a string), "json" (any JSON)
 * or "base64" (bytes, standard base64), or none (an empty signal). type
 * and *payload (malloc'd, or NULL) as admin_signal takes them.
 */
static bool
payload_of(json_t *body, const char **type, char **payload, char *msg,
    size_t len)
{
	json_t *t = json_object_get(body, "text");
	json_t *j = json_object_get(body, "json");
	json_t *b = json_object_get(body, "base64");

	*payload = NULL;
	if ((t != NULL) + (j != NULL) + (b != NULL) > 1) {
		snprintf(msg, len, "give one of text, json and base64");
		return false;
	}
	if (t) {
		if (!json_is_string(t) ||
		    strlen(json_string_value(t)) != json_string_length(t)) {
			snprintf(msg, len, "text is a string (without NUL)");
			return false;
		}
		*type = "text";
		*payload = strdup(json_string_value(t));
	} else if (j) {
		*type = "json";
		*payload = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENCODE_ANY);
	} else if (b) {
		if (!json_is_string(b)) {
			snprintf(msg, len, "base64 is a string");
			return false;
		}
		*type = "binary";
		*payload = strdup(json_string_value(b));
	} else {
		*type = "empty";
		return true;
	}
	if (*payload == NULL) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	return true;
}

static void
post_signal(struct conn *c, const struct admin_who *who, json_t *body,
    bool unicast)
{
	static const char *const pub_members[] = { "tag", "text", "json",
	    "base64", NULL };
	static const char *const uni_members[] = { "cid", "topic", "text",
	    "json", "base64", NULL };
	char msg[ADMIN_MSG_MAX], *payload = NULL, *tag = NULL;
	const char *type, *cid = NULL, *topic = NULL, *bad_member;
	bool bad = false;
	enum admin_err e;
	size_t n;

	if ((bad_member = unknown_member(body, unicast ? uni_members :
	    pub_members)) != NULL) {
		snprintf(msg, sizeof(msg), "no member '%.64s' (%s)", bad_member,
		    unicast ? "cid, topic, and text, json or base64" :
		    "tag, and text, json or base64");
		http_api_error(c, 400, "bad_args", msg, false, false);
		return;
	}
	if (unicast) {
		cid = member_str(body, "cid", &bad);
		topic = member_str(body, "topic", &bad);
		if (bad || cid == NULL || topic == NULL || cid[0] == '\0' ||
		    strchr(cid, '@') || cid[0] == '$' || cid[0] == '#') {
			http_api_error(c, 400, "bad_args", "cid (a client's "
			    "CID) and topic are required strings", false,
			    false);
			return;
		}
		if (asprintf(&tag, "%s@%s", cid, topic) < 0) {
			http_api_error(c, 503, "internal", "out of memory",
			    false, false);
			return;
		}
	} else {
		const char *t = member_str(body, "tag", &bad);

		if (bad || t == NULL || t[0] == '\0') {
			http_api_error(c, 400, "bad_args", "tag is a required "
			    "string", false, false);
			return;
		}
		/* As iosctl signal: tags the server cannot publish to. */
		if (t[0] == '$' || t[0] == '@') {
			http_api_error(c, 400, "bad_args", t[0] == '$' ?
			    "'$' tags are reserved" : "'@topic' publishes as "
			    "a client's own CID; the server has none (use "
			    "/api/unicast)", false, false);
			return;
		}
		if ((tag = strdup(t)) == NULL) {
			http_api_error(c, 503, "internal", "out of memory",
			    false, false);
			return;
		}
	}
	if (!payload_of(body, &type, &payload, msg, sizeof(msg))) {
		free(tag);
		http_api_error(c, 400, "bad_args", msg, false, false);
		return;
	}
	e = admin_signal(c->srv, who, tag, type, payload, &n, msg,
	    sizeof(msg));
	free(payload);
	free(tag);
	if (e != ADMIN_OK) {
		admin_error(c, e, msg, false);
		return;
	}
	/* As iosctl signal: a unicast that reached nobody named a CID that
	 * is not connected. */
	if (unicast && n == 0) {
		snprintf(msg, sizeof(msg), "no client with CID %.64s: the signal "
		    "reached nobody", cid);
		http_api_error(c, 404, "not_found", msg, false, false);
		return;
	}
	send_json(c, 200, json_pack("{s:I}", "delivered", (json_int_t)n),
	    false, false, NULL);
}

static void
kicked_one(struct conn *k, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:s}", "ssid",
	    (json_int_t)k->ssid, "cid", k->s->cid, "address", k->ip));
}

static void
post_kick(struct conn *c, const struct admin_who *who, json_t *body)
{
	static const char *const members[] = { "cid", "ssid", "address",
	    "device", "anonymous", "transport", "filter", "reason", NULL };
	const char *addr, *reason, *bad_member;
	json_t *ssid = json_object_get(body, "ssid");
	json_t *an = json_object_get(body, "anonymous");
	struct admin_sel sel;
	char msg[ADMIN_MSG_MAX];
	bool bad = false;
	enum admin_err e;
	json_t *list;
	size_t n;

	if ((bad_member = unknown_member(body, members)) != NULL) {
		snprintf(msg, sizeof(msg), "no member '%.64s' (cid, ssid, "
		    "address, device, anonymous, transport, filter, reason)",
		    bad_member);
		http_api_error(c, 400, "bad_args", msg, false, false);
		return;
	}
	admin_sel_init(&sel);
	sel.cid = member_str(body, "cid", &bad);
	sel.device = member_str(body, "device", &bad);
	sel.transport = member_str(body, "transport", &bad);
	sel.filter = member_str(body, "filter", &bad);
	addr = member_str(body, "address", &bad);
	reason = member_str(body, "reason", &bad);
	if (bad || (ssid && !json_is_null(ssid) && (!json_is_integer(ssid) ||
	    json_integer_value(ssid) < 1 ||
	    json_integer_value(ssid) > UINT32_MAX)) ||
	    (an && !json_is_null(an) && !json_is_boolean(an))) {
		http_api_error(c, 400, "bad_args", "cid, address, device, "
		    "transport, filter and reason are strings, ssid a positive "
		    "integer, anonymous true or false", false, false);
		return;
	}
	if (json_is_integer(ssid))
		sel.ssid = (uint32_t)json_integer_value(ssid);
	if (json_is_boolean(an))
		sel.anonymous = json_is_true(an);
	if (addr && (e = admin_sel_address(&sel, addr, msg, sizeof(msg))) !=
	    ADMIN_OK) {
		admin_error(c, e, msg, false);
		return;
	}
	list = json_array();
	if ((e = admin_kick(c->srv, who, &sel, reason, kicked_one, list, &n,
	    msg, sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		admin_error(c, e, msg, false);
		return;
	}
	send_json(c, 200, json_pack("{s:I,s:o}", "kicked", (json_int_t)n,
	    "clients", list), false, false, NULL);
}

/* ---- the way in ---- */

/* The route of r, answered when there is none or the method is wrong;
 * *head: a HEAD of a GET route. */
static int
route_check(struct conn *c, const struct http_req *r, char *tag,
    size_t tag_cap, bool *head)
{
	const char *q = strchr(r->target, '?');
	size_t plen = q ? (size_t)(q - r->target) : strlen(r->target);
	int rt = route_of(r->target, plen, tag, tag_cap);
	char allow[32];

	*head = strcmp(r->method, "HEAD") == 0;
	if (rt == -2) {
		http_api_error(c, 400, "bad_args", "the tag is not well "
		    "encoded", *head, r->keep);
		return -1;
	}
	if (rt < 0) {
		http_api_error(c, 404, "not_found", "no such endpoint (see "
		    "doc/api.md)", *head, r->keep);
		return -1;
	}
	if (strcmp(r->method, routes[rt].method) == 0 ||
	    (*head && strcmp(routes[rt].method, "GET") == 0))
		return rt;
	snprintf(allow, sizeof(allow), "Allow: %s\r\n",
	    routes[rt].body ? "POST" : "GET, HEAD");
	error_extra(c, 405, "method_not_allowed", routes[rt].body ?
	    "use POST" : "use GET", *head, r->keep, allow);
	return -1;
}

enum http_api_next
http_api_head(struct conn *c, const struct http_req *r)
{
	char tag[256];
	struct admin_who who;
	bool head;
	int rt;

	if ((rt = route_check(c, r, tag, sizeof(tag), &head)) < 0 ||
	    !authorize(c, r, routes[rt].scope, head, r->keep, &who))
		return r->keep ? HTTP_API_KEEP : HTTP_API_CLOSE;
	switch ((enum route)rt) {
	case R_CLIENTS:
		get_clients(c, r, head);
		break;
	case R_CHANNELS:
		get_channels(c, r, head);
		break;
	case R_SUBSCRIBERS:
		get_subscribers(c, r, tag, head);
		break;
	case R_PUBLISH:
	case R_UNICAST:
	case R_KICK:
		return HTTP_API_BODY;
	case R_COUNT:
		break;
	}
	return r->keep ? HTTP_API_KEEP : HTTP_API_CLOSE;
}

void
http_api_body(struct conn *c, const struct http_req *r, const uint8_t *body,
    size_t len)
{
	char tag[256], msg[256];
	struct admin_who who;
	json_error_t jerr;
	json_t *j;
	bool head;
	int rt;

	/* Again: the token may have been revoked while the body came. */
	if ((rt = route_check(c, r, tag, sizeof(tag), &head)) < 0 ||
	    !authorize(c, r, routes[rt].scope, false, false, &who))
		return;
	if ((j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		snprintf(msg, sizeof(msg), "the body is not JSON: %.160s (at "
		    "character %d)", jerr.text, jerr.position);
		http_api_error(c, 400, "bad_json", msg, false, false);
		return;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_api_error(c, 400, "bad_json", "the body is not a JSON "
		    "object", false, false);
		return;
	}
	switch ((enum route)rt) {
	case R_PUBLISH:
		post_signal(c, &who, j, false);
		break;
	case R_UNICAST:
		post_signal(c, &who, j, true);
		break;
	case R_KICK:
		post_kick(c, &who, j);
		break;
	case R_CLIENTS:
	case R_CHANNELS:
	case R_SUBSCRIBERS:
	case R_COUNT:
		break;
	}
	json_decref(j);
}
