/*
 * ctl_acl.c - the commands about channel permissions (acl.h): acl-list,
 * acl-add and acl-remove. admin.c keeps and audits the rules; a change
 * is applied at once to every subscription.
 */
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "admin.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "server.h"

static json_t *
rule_json(const struct acl_row *r)
{
	return json_pack("{s:I,s:i,s:s,s:s,s:s,s:s,s:I}", "id",
	    (json_int_t)r->id, "prio", r->prio, "effect", r->effect, "who",
	    r->who, "action", r->action, "pattern", r->pattern, "created",
	    (json_int_t)r->created);
}

static void
rule_one(void *arg, const struct acl_row *r)
{
	json_array_append_new(arg, rule_json(r));
}

void
ctl_cmd_acl_list(struct ctl_client *cl, json_int_t id, json_t *args)
{
	json_t *list = json_array();
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	size_t n;

	(void)args;
	if ((e = admin_acl_list(ctl_server(cl), rule_one, list, &n, msg,
	    sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	ctl_ok(cl, id, json_pack("{s:I,s:I,s:o}", "total", (json_int_t)n,
	    "loaded", (json_int_t)acl_count(ctl_server(cl)), "rules", list));
}

/* s into a fixed field: false (answered bad_args) when it does not fit. */
static bool
copy(struct ctl_client *cl, json_int_t id, const char *name, char *dst,
    size_t cap, const char *s)
{
	if (strlen(s) >= cap) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' is too long (at "
		    "most %zu bytes)", name, cap - 1);
		return false;
	}
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

void
ctl_cmd_acl_add(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *effect = ctl_cmd_arg_str(cl, id, args, "effect", true,
	    &bad);
	const char *who_s = ctl_cmd_arg_str(cl, id, args, "who", true, &bad);
	const char *action = ctl_cmd_arg_str(cl, id, args, "action", true,
	    &bad);
	const char *pattern = ctl_cmd_arg_str(cl, id, args, "pattern", true,
	    &bad);
	json_int_t prio = ctl_cmd_arg_int(cl, id, args, "prio", 100, 0,
	    1000000, &bad);
	struct acl_row r = { 0 };
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	size_t removed;
	json_t *o;

	if (bad || !copy(cl, id, "effect", r.effect, sizeof(r.effect),
	    effect) || !copy(cl, id, "who", r.who, sizeof(r.who), who_s) ||
	    !copy(cl, id, "action", r.action, sizeof(r.action), action) ||
	    !copy(cl, id, "pattern", r.pattern, sizeof(r.pattern), pattern))
		return;
	r.prio = (int)prio;
	ctl_cmd_who(cl, &who);
	if ((e = admin_acl_add(ctl_server(cl), &who, &r, &removed, msg,
	    sizeof(msg))) != ADMIN_OK) {
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	o = rule_json(&r);
	json_object_set_new(o, "unsubscribed", json_integer(
	    (json_int_t)removed));
	ctl_ok(cl, id, o);
}

void
ctl_cmd_acl_remove(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t rid = ctl_cmd_arg_int(cl, id, args, "id", 0, 1, INT64_MAX,
	    &bad);
	struct acl_row r;
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	size_t removed;
	json_t *o;

	if (bad)
		return;
	if (rid == 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'id' is required");
		return;
	}
	ctl_cmd_who(cl, &who);
	if ((e = admin_acl_remove(ctl_server(cl), &who, (long long)rid, &r,
	    &removed, msg, sizeof(msg))) != ADMIN_OK) {
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	o = rule_json(&r);
	json_object_set_new(o, "unsubscribed", json_integer(
	    (json_int_t)removed));
	ctl_ok(cl, id, o);
}
