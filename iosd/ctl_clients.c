/*
 * ctl_clients.c - the commands about connected clients: clients (a page,
 * maybe sorted by a rate), client, kick, and the address bans.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admit.h"
#include "conn.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "router.h"
#include "server.h"

json_t *
ctl_cmd_client_json(const struct conn *c, bool detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "ssid", json_integer(c->ssid));
	json_object_set_new(o, "cid", json_string(c->s->cid));
	json_object_set_new(o, "device", c->s->did[0] ?
	    json_string(c->s->did) : json_null());
	json_object_set_new(o, "transport", json_string(transport_name(c->tr)));
	json_object_set_new(o, "address", json_string(c->ip));
	json_object_set_new(o, "level", json_integer(c->s->level));
	json_object_set_new(o, "authorized", json_boolean(c->s->boho.authorized));
	json_object_set_new(o, "encrypted",
	    json_boolean(c->s->boho.authorized && !c->tls));
	json_object_set_new(o, "subscriptions",
	    json_integer((json_int_t)c->s->nsubs));
	json_object_set_new(o, "tx_msgs", json_integer((json_int_t)c->tx_msgs));
	json_object_set_new(o, "rx_msgs", json_integer((json_int_t)c->rx_msgs));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)c->tx_bytes));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)c->rx_bytes));
	json_object_set_new(o, "queue_msgs", json_integer(c->qlen));
	json_object_set_new(o, "queue_bytes", json_integer((json_int_t)c->qbytes));
	json_object_set_new(o, "since", json_integer((json_int_t)server_wall_of(
	    c->srv, c->since_ms)));
	json_object_set_new(o, "rx_msgs_s", json_real(c->rate.rx_msgs));
	json_object_set_new(o, "tx_msgs_s", json_real(c->rate.tx_msgs));
	json_object_set_new(o, "rx_bytes_s", json_real(c->rate.rx_bytes));
	json_object_set_new(o, "tx_bytes_s", json_real(c->rate.tx_bytes));
	json_object_set_new(o, "state", json_string(session_state_name(
	    c->s->state)));
	if (detail) {
		json_t *ch = json_array();

		json_object_set_new(o, "nick", json_string(session_nick(c)));
		json_object_set_new(o, "presented", c->s->presented[0] ?
		    json_string(c->s->presented) : json_null());
		for (size_t i = 0; i < c->s->nsubs; i++)
			json_array_append_new(ch, json_string(
			    router_channel_key(c->s->subs[i])));
		json_object_set_new(o, "channels", ch);
	}
	return o;
}

/* The selection of a request (admin.h: struct admin_sel); false when it
 * has been answered bad_args. */
static bool
sel_parse(struct ctl_client *cl, json_int_t id, json_t *args,
    struct admin_sel *s)
{
	bool bad = false;
	const char *addr;
	json_t *an = json_object_get(args, "anonymous");
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;

	admin_sel_init(s);
	s->cid = ctl_cmd_arg_str(cl, id, args, "cid", false, &bad);
	s->device = ctl_cmd_arg_str(cl, id, args, "device", false, &bad);
	s->transport = ctl_cmd_arg_str(cl, id, args, "transport", false, &bad);
	s->filter = ctl_cmd_arg_str(cl, id, args, "filter", false, &bad);
	addr = ctl_cmd_arg_str(cl, id, args, "address", false, &bad);
	s->ssid = (uint32_t)ctl_cmd_arg_int(cl, id, args, "ssid", 0, 0,
	    UINT32_MAX, &bad);
	if (bad)
		return false;
	if (addr && (e = admin_sel_address(s, addr, msg, sizeof(msg))) !=
	    ADMIN_OK) {
		ctl_cmd_fail(cl, id, e, msg);
		return false;
	}
	if (an && !json_is_boolean(an)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS,
		    "'anonymous' must be true or false");
		return false;
	}
	s->anonymous = an ? json_is_true(an) : -1;
	return true;
}

/* clients: sorted by a rate, busiest first, for a "top talkers" list. */
static const struct {
	const char *name;
	size_t off;		/* of a float in struct conn_rates */
} sort_keys[] = {
	{ "rx_msgs_s", offsetof(struct conn_rates, rx_msgs) },
	{ "tx_msgs_s", offsetof(struct conn_rates, tx_msgs) },
	{ "rx_bytes_s", offsetof(struct conn_rates, rx_bytes) },
	{ "tx_bytes_s", offsetof(struct conn_rates, tx_bytes) },
};
#define NSORT_KEYS	(sizeof(sort_keys) / sizeof(sort_keys[0]))
static size_t sort_off;

static int
by_rate(const void *pa, const void *pb)
{
	const struct conn *a = *(struct conn *const *)pa;
	const struct conn *b = *(struct conn *const *)pb;
	float x = *(const float *)((const char *)&a->rate + sort_off);
	float y = *(const float *)((const char *)&b->rate + sort_off);

	if (x != y)
		return x < y ? 1 : -1;
	return a->ssid > b->ssid ? 1 : a->ssid < b->ssid ? -1 : 0;
}

void
ctl_cmd_clients(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	struct admin_sel sel;
	const char *sort;
	json_int_t off, lim;
	struct conn *c, *last = NULL, **v;
	size_t n = 0, k;
	json_t *list, *o, *ja = json_object_get(args, "authorized");

	if (!sel_parse(cl, id, args, &sel))
		return;
	/* "authorized": the older spelling of !anonymous. */
	if (ja && json_is_boolean(ja) && sel.anonymous < 0)
		sel.anonymous = !json_is_true(ja);
	sort = ctl_cmd_arg_str(cl, id, args, "sort", false, &bad);
	off = ctl_cmd_arg_int(cl, id, args, "offset", 0, 0, 1 << 30, &bad);
	lim = ctl_cmd_arg_int(cl, id, args, "limit", CTL_CMD_PAGE_DEFAULT, 1,
	    CTL_CMD_PAGE_MAX, &bad);
	if (bad)
		return;
	for (k = 0; sort && k < NSORT_KEYS; k++)
		if (strcmp(sort, sort_keys[k].name) == 0)
			break;
	if (sort && k == NSORT_KEYS) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "sort is rx_msgs_s, "
		    "tx_msgs_s, rx_bytes_s or tx_bytes_s");
		return;
	}
	if ((v = calloc(srv->nconns + 1, sizeof(*v))) == NULL) {
		ctl_cmd_fail(cl, id, ADMIN_NOMEM, NULL);
		return;
	}
	/* Oldest first: walk from the tail of the newest-first list. */
	for (c = srv->conns; c; c = c->next)
		last = c;
	for (c = last; c; c = c->prev)
		if (admin_sel_match(&sel, c))
			v[n++] = c;
	if (sort) {
		sort_off = sort_keys[k].off;
		qsort(v, n, sizeof(*v), by_rate);
	}
	list = json_array();
	for (size_t i = (size_t)off; i < n && i < (size_t)(off + lim); i++)
		json_array_append_new(list, ctl_cmd_client_json(v[i], false));
	free(v);
	o = json_object();
	json_object_set_new(o, "total", json_integer((json_int_t)n));
	json_object_set_new(o, "clients", list);
	ctl_ok(cl, id, o);
}

void
ctl_cmd_client(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct admin_sel sel;

	if (!sel_parse(cl, id, args, &sel))
		return;
	if (!sel.cid && !sel.ssid) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "cid or ssid is required");
		return;
	}
	for (struct conn *c = ctl_server(cl)->conns; c; c = c->next)
		if (admin_sel_match(&sel, c)) {
			ctl_ok(cl, id, ctl_cmd_client_json(c, true));
			return;
		}
	if (sel.cid)
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no client %s", sel.cid);
	else
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no client #%lld",
		    (long long)sel.ssid);
}

static void
kicked_one(struct conn *c, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:s}", "ssid",
	    (json_int_t)c->ssid, "cid", c->s->cid, "address", c->ip));
}

/* kick: every client the selection names (at least one criterion). */
void
ctl_cmd_kick(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *reason = ctl_cmd_arg_str(cl, id, args, "reason", false,
	    &bad);
	struct admin_sel sel;
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	json_t *list;
	size_t n;

	if (bad || !sel_parse(cl, id, args, &sel))
		return;
	ctl_cmd_who(cl, &who);
	list = json_array();
	if ((e = admin_kick(ctl_server(cl), &who, &sel, reason, kicked_one,
	    list, &n, msg, sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	ctl_ok(cl, id, json_pack("{s:I,s:o}", "kicked", (json_int_t)n,
	    "clients", list));
}

/* ---- bans ---- */

static json_t *
ban_json(const struct admit_ban *b)
{
	return json_pack("{s:s,s:o,s:I,s:s}", "address", b->net, "until",
	    b->until ? json_integer(b->until) : json_null(), "created",
	    (json_int_t)b->created, "reason", b->reason);
}

void
ctl_cmd_ban(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *addr = ctl_cmd_arg_str(cl, id, args, "address", true, &bad);
	const char *dur = ctl_cmd_arg_str(cl, id, args, "for", false, &bad);
	const char *reason = ctl_cmd_arg_str(cl, id, args, "reason", false,
	    &bad);
	const struct admit_ban *ban;
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	int closed;
	json_t *o;

	if (bad)
		return;
	ctl_cmd_who(cl, &who);
	if ((e = admin_ban(ctl_server(cl), &who, addr, dur, reason, &ban,
	    &closed, msg, sizeof(msg))) != ADMIN_OK) {
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	o = ban_json(ban);
	json_object_set_new(o, "closed", json_integer(closed));
	ctl_ok(cl, id, o);
}

void
ctl_cmd_unban(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *addr = ctl_cmd_arg_str(cl, id, args, "address", true, &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;

	if (bad)
		return;
	ctl_cmd_who(cl, &who);
	if ((e = admin_unban(ctl_server(cl), &who, addr, msg, sizeof(msg))) !=
	    ADMIN_OK)
		ctl_cmd_fail(cl, id, e, msg);
	else
		ctl_ok(cl, id, json_pack("{s:s}", "unbanned", addr));
}

void
ctl_cmd_bans(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	json_t *list = json_array();

	(void)args;
	for (size_t i = 0; i < admit_ban_count(srv); i++)
		json_array_append_new(list, ban_json(admit_ban_at(srv, i)));
	ctl_ok(cl, id, json_pack("{s:I,s:o}", "total",
	    (json_int_t)admit_ban_count(srv), "bans", list));
}
