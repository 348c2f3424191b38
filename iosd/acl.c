/*
 * acl.c - channel permissions (rules in memory, loaded from the store)
 * and the --anonymous connection policy. See acl.h for the rules' terms.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "conn.h"
#include "log.h"
#include "presence.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "net_ws.h"

enum who_kind { WHO_ANY, WHO_ANONYMOUS, WHO_LEVEL, WHO_DEVICE };

struct rule {
	int64_t id;
	bool allow;
	unsigned actions;		/* ACL_SUBSCRIBE | ACL_PUBLISH */
	enum who_kind who;
	int lo, hi;			/* WHO_LEVEL */
	char device[STORE_ACL_WHO_MAX];	/* WHO_DEVICE */
	char pattern[STORE_ACL_PATTERN_MAX];
};

struct acl {
	struct rule *rules;		/* in (prio, id) order */
	size_t n, cap;
	bool failed;
};

/* "level:A-B" or "level:N" into lo, hi: true, or false when malformed. */
static bool
parse_level(const char *s, int *lo, int *hi)
{
	char *e;
	long a, b;

	if (strncmp(s, "level:", 6) != 0)
		return false;
	s += 6;
	if (*s < '0' || *s > '9')
		return false;
	a = strtol(s, &e, 10);
	b = a;
	if (*e == '-') {
		if (e[1] < '0' || e[1] > '9')
			return false;
		b = strtol(e + 1, &e, 10);
	}
	if (*e != '\0' || a < 0 || b > 255 || a > b)
		return false;
	*lo = (int)a;
	*hi = (int)b;
	return true;
}

bool
acl_rule_valid(const struct acl_row *r, char *why, size_t len)
{
	int lo, hi;

	if (strcmp(r->effect, "allow") != 0 && strcmp(r->effect, "deny") != 0) {
		snprintf(why, len, "effect must be allow or deny");
		return false;
	}
	if (strcmp(r->action, "subscribe") != 0 &&
	    strcmp(r->action, "publish") != 0 && strcmp(r->action, "both") != 0) {
		snprintf(why, len, "action must be subscribe, publish or both");
		return false;
	}
	if (r->who[0] == '\0' || (strncmp(r->who, "level:", 6) == 0 &&
	    !parse_level(r->who, &lo, &hi))) {
		snprintf(why, len, "who must be a device id, level:A-B (0 to "
		    "255), anonymous or any");
		return false;
	}
	if (strlen(r->who) > BOHO_ID_LEN && strncmp(r->who, "level:", 6) != 0 &&
	    strcmp(r->who, "any") != 0 && strcmp(r->who, "anonymous") != 0) {
		snprintf(why, len, "a device id is at most %d bytes",
		    BOHO_ID_LEN);
		return false;
	}
	if (r->pattern[0] == '\0' || !utf8_valid((const uint8_t *)r->pattern,
	    strlen(r->pattern))) {
		snprintf(why, len, "pattern must be a non-empty UTF-8 glob");
		return false;
	}
	if (r->prio < 0 || r->prio > 1000000) {
		snprintf(why, len, "prio must be from 0 to 1000000");
		return false;
	}
	return true;
}

static void
load_one(void *arg, const struct acl_row *row)
{
	struct acl *a = arg;
	struct rule *r;
	char why[128];

	if (a->failed)
		return;
	if (!acl_rule_valid(row, why, sizeof(why))) {
		log_warnx("acl: rule %lld skipped: %s", (long long)row->id,
		    why);
		return;
	}
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		struct rule *nr = realloc(a->rules, ncap * sizeof(*nr));

		if (nr == NULL) {
			a->failed = true;
			return;
		}
		a->rules = nr;
		a->cap = ncap;
	}
	r = &a->rules[a->n++];
	memset(r, 0, sizeof(*r));
	r->id = row->id;
	r->allow = strcmp(row->effect, "allow") == 0;
	r->actions = strcmp(row->action, "subscribe") == 0 ? ACL_SUBSCRIBE :
	    strcmp(row->action, "publish") == 0 ? ACL_PUBLISH :
	    ACL_SUBSCRIBE | ACL_PUBLISH;
	if (strcmp(row->who, "any") == 0)
		r->who = WHO_ANY;
	else if (strcmp(row->who, "anonymous") == 0)
		r->who = WHO_ANONYMOUS;
	else if (parse_level(row->who, &r->lo, &r->hi))
		r->who = WHO_LEVEL;
	else {
		r->who = WHO_DEVICE;
		snprintf(r->device, sizeof(r->device), "%s", row->who);
	}
	snprintf(r->pattern, sizeof(r->pattern), "%s", row->pattern);
}

static void
acl_destroy(struct acl *a)
{
	if (a == NULL)
		return;
	free(a->rules);
	free(a);
}

long
acl_load(struct server *srv)
{
	struct acl *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		log_warnx("acl: out of memory: rules unchanged");
		return -1;
	}
	if (srv->store && store_acl_list(srv->store, load_one, a) < 0) {
		acl_destroy(a);
		log_warnx("acl: the store failed: rules unchanged");
		return -1;
	}
	if (a->failed) {
		acl_destroy(a);
		log_warnx("acl: out of memory: rules unchanged");
		return -1;
	}
	acl_destroy(srv->acl);
	srv->acl = a;
	return (long)a->n;
}

void
acl_free(struct server *srv)
{
	acl_destroy(srv->acl);
	srv->acl = NULL;
}

size_t
acl_count(const struct server *srv)
{
	return srv->acl ? srv->acl->n : 0;
}

static bool
who_matches(const struct rule *r, const struct conn *c)
{
	bool in = c->s->boho.authorized;

	switch (r->who) {
	case WHO_ANY:
		return true;
	case WHO_ANONYMOUS:
		return !in;
	case WHO_LEVEL:
		return in && c->s->level >= r->lo && c->s->level <= r->hi;
	case WHO_DEVICE:
		return in && strcmp(c->s->did, r->device) == 0;
	}
	return false;
}

bool
acl_allowed(struct server *srv, const struct conn *c, enum acl_action a,
    const char *tag, size_t len)
{
	char s[TAG_KEY_MAX];

	if (srv->acl == NULL || srv->acl->n == 0)
		return true;
	if (len >= sizeof(s))
		len = sizeof(s) - 1;
	memcpy(s, tag, len);	/* fnmatch wants a string */
	s[len] = '\0';
	for (size_t i = 0; i < srv->acl->n; i++) {
		const struct rule *r = &srv->acl->rules[i];

		if ((r->actions & a) && who_matches(r, c) &&
		    fnmatch(r->pattern, s, 0) == 0)
			return r->allow;
	}
	return true;
}

const char *
acl_key_tag(const char *key)
{
	const char *h;

	if (strncmp(key, "CH:", 3) == 0)
		return key + 3;
	if (strncmp(key, "CID:", 4) == 0)
		return key + 4;
	h = strchr(key, '#');
	return h ? h : key;
}

static void
refused(struct server *srv, const struct conn *c, const char *what,
    const char *tag)
{
	srv->m.drops[DROP_ACL]++;
	if (log_allow(LC_SUBSCRIBE))
		log_info("conn=%u cid=%s device=%s %s refused by acl: %s",
		    c->ssid, c->s->cid[0] ? c->s->cid : "-",
		    c->s->did[0] ? c->s->did : "-", what, tag);
}

bool
acl_subscribe_ok(struct server *srv, struct conn *c, const uint8_t *tag,
    size_t len)
{
	char key[TAG_KEY_MAX];
	const char *t;
	long kl;

	if (srv->acl == NULL || srv->acl->n == 0)
		return true;
	if (len > IOS_TAG_MAX || !utf8_valid(tag, len) ||
	    (kl = tag_router_key(tag, len, c->home, key, sizeof(key))) < 0)
		return true;	/* the router refuses it anyway */
	t = acl_key_tag(key);
	if (acl_allowed(srv, c, ACL_SUBSCRIBE, t, (size_t)kl -
	    (size_t)(t - key)))
		return true;
	refused(srv, c, "subscribe", t);
	return false;
}

bool
acl_publish_ok(struct server *srv, struct conn *c, const uint8_t *m,
    size_t len)
{
	struct ios_signal s;
	struct tag_info ti;
	char tag[TAG_KEY_MAX], key[TAG_KEY_MAX];
	const char *t;
	size_t tl;
	long kl;

	if (srv->acl == NULL || srv->acl->n == 0)
		return true;
	if (iosmsg_parse_signal(m, len, &s) < 0 ||
	    tag_classify(s.tag, s.tag_len, &ti) < 0 ||
	    s.tag_len > IOS_TAG_MAX)
		return true;	/* the router counts it */
	switch (ti.kind) {
	case TAG_UNICAST:
		memcpy(tag, s.tag, s.tag_len);
		tl = s.tag_len;
		tag[tl] = '\0';
		t = tag;
		break;
	case TAG_CID_PUBLISH:
		tl = strlen(c->s->cid);
		if (tl + s.tag_len >= sizeof(tag))
			return true;
		memcpy(tag, c->s->cid, tl);
		memcpy(tag + tl, s.tag, s.tag_len);
		tl += s.tag_len;
		tag[tl] = '\0';
		t = tag;
		break;
	case TAG_CHANNEL:
	case TAG_HOME:
		if ((kl = tag_router_key(s.tag, s.tag_len, c->home, key,
		    sizeof(key))) < 0)
			return true;
		t = acl_key_tag(key);
		tl = (size_t)kl - (size_t)(t - key);
		break;
	default:
		return true;
	}
	if (acl_allowed(srv, c, ACL_PUBLISH, t, tl))
		return true;
	refused(srv, c, "publish", t);
	return false;
}

size_t
acl_apply(struct server *srv)
{
	size_t removed = 0;

	for (struct conn *c = srv->conns; c; c = c->next) {
		size_t i = c->s->nsubs;

		if (c->state != CONN_OPEN)
			continue;
		while (i-- > 0) {
			const char *key, *t;

			if (i >= c->s->nsubs)
				continue;
			key = router_channel_key(c->s->subs[i]);
			t = acl_key_tag(key);
			if (acl_allowed(srv, c, ACL_SUBSCRIBE, t, strlen(t)))
				continue;
			if (log_allow(LC_SUBSCRIBE))
				log_info("conn=%u cid=%s acl: unsubscribed "
				    "from %s", c->ssid, c->s->cid[0] ?
				    c->s->cid : "-", t);
			presence_leaving(srv, c, c->s->subs[i]);
			router_unsubscribe(srv, c, (const uint8_t *)t,
			    strlen(t));
			removed++;
		}
	}
	return removed;
}

void
acl_anonymous_tick(struct server *srv)
{
	uint64_t now, ms = srv->opt.anon_deadline_ms;
	struct conn *c, *next;

	if (ms == 0)
		return;
	now = server_now_ms(srv);
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->state != CONN_OPEN || c->doomed ||
		    c->s->boho.authorized || c->s->auth != NULL ||
		    now - c->since_ms < ms)
			continue;
		log_info("conn=%u addr=%s closed: no login within %llu ms "
		    "(--anonymous)", c->ssid, c->ip, (unsigned long long)ms);
		conn_fail(c, DROP_ANONYMOUS, WS_CLOSE_POLICY,
		    "anonymous clients are not allowed: no login in time");
	}
}
