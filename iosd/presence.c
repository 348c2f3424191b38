/*
 * presence.c - join and leave signals and the "presence" API (see
 * presence.h). Nothing happens unless --presence names a pattern.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acl.h"
#include "conn.h"
#include "msg.h"
#include "presence.h"
#include "router.h"
#include "server.h"
#include "session.h"

bool
presence_enabled(const struct server *srv, const char *tag)
{
	for (size_t i = 0; i < srv->opt.npresence; i++)
		if (fnmatch(srv->opt.presence[i], tag, 0) == 0)
			return true;
	return false;
}

struct notice {
	struct conn *from;
	struct msg *m;
};

static void
notify_one(struct conn *to, void *arg)
{
	struct notice *n = arg;

	if (to != n->from && to->state == CONN_OPEN && !to->doomed)
		session_send(to, n->m);
}

static void
notify(struct server *srv, struct conn *c, const struct channel *ch,
    const char *event)
{
	const char *tag = acl_key_tag(router_channel_key(ch));
	char ptag[TAG_KEY_MAX + 16], body[128];
	struct notice n = { c, NULL };
	int tl, bl;
	long len;

	if (srv->opt.npresence == 0 || !presence_enabled(srv, tag))
		return;
	tl = snprintf(ptag, sizeof(ptag), "%s@presence", tag);
	bl = snprintf(body, sizeof(body), "{\"event\":\"%s\",\"cid\":\"%s\"}",
	    event, c->s->cid);	/* CIDs are base64url or enrolled names */
	if (tl < 0 || (size_t)tl > IOS_TAG_MAX || bl < 0 ||
	    (size_t)bl >= sizeof(body))
		return;
	if ((n.m = msg_new((size_t)tl + (size_t)bl + 8)) == NULL)
		return;
	len = iosmsg_build_signal(IOS_SIGNAL, ptag, (size_t)tl,
	    IOS_PAYLOAD_OBJECT, body, (size_t)bl, n.m->data, n.m->len);
	if (len > 0) {
		n.m->len = (uint32_t)len;
		router_foreach_subscriber(ch, notify_one, &n);
	}
	msg_unref(n.m);
}

void
presence_joined(struct server *srv, struct conn *c, const struct channel *ch)
{
	notify(srv, c, ch, "join");
}

void
presence_leaving(struct server *srv, struct conn *c, const struct channel *ch)
{
	notify(srv, c, ch, "leave");
}

bool
presence_member(const struct conn *c, const struct channel *ch)
{
	for (size_t i = 0; i < c->s->nsubs; i++)
		if (c->s->subs[i] == ch)
			return true;
	return false;
}

void
presence_leaving_tag(struct server *srv, struct conn *c, const void *tag,
    size_t len)
{
	char key[TAG_KEY_MAX];
	struct channel *ch;
	long kl;

	if (srv->opt.npresence == 0 || len > IOS_TAG_MAX ||
	    (kl = tag_router_key(tag, len, c->home, key, sizeof(key))) < 0 ||
	    (ch = router_find_channel(srv, key, (size_t)kl)) == NULL ||
	    !presence_member(c, ch))
		return;
	notify(srv, c, ch, "leave");
}

void
presence_leaving_all(struct server *srv, struct conn *c)
{
	if (srv->opt.npresence == 0)
		return;
	for (size_t i = 0; i < c->s->nsubs; i++)
		notify(srv, c, c->s->subs[i], "leave");
}

