/*
 * ctl_tokens.c - the commands about the HTTP API's bearer tokens
 * (doc/api.md): token-create (the token shown in this answer only),
 * token-list and token-revoke. admin.c makes, keeps and checks them.
 */
#include <time.h>

#include "admin.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "server.h"

static json_t *
token_json(const struct token_row *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(t->id));
	json_object_set_new(o, "scope", json_string(t->scope));
	json_object_set_new(o, "name", t->name[0] ? json_string(t->name) :
	    json_null());
	json_object_set_new(o, "created", json_integer(t->created));
	json_object_set_new(o, "expires", t->expires ?
	    json_integer(t->expires) : json_null());
	json_object_set_new(o, "expired", json_boolean(t->expires &&
	    (int64_t)time(NULL) >= t->expires));
	json_object_set_new(o, "last_used", t->last_used ?
	    json_integer(t->last_used) : json_null());
	return o;
}

void
ctl_cmd_token_create(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *scope = ctl_cmd_arg_str(cl, id, args, "scope", true, &bad);
	const char *expires = ctl_cmd_arg_str(cl, id, args, "expires", false,
	    &bad);
	const char *name = ctl_cmd_arg_str(cl, id, args, "name", false, &bad);
	char token[ADMIN_TOKEN_LEN + 1], msg[ADMIN_MSG_MAX];
	struct admin_who who;
	struct token_row t;
	enum admin_err e;
	json_t *o;

	if (bad)
		return;
	ctl_cmd_who(cl, &who);
	if ((e = admin_token_create(ctl_server(cl), &who, scope, expires, name,
	    &t, token, msg, sizeof(msg))) != ADMIN_OK) {
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	o = token_json(&t);
	json_object_set_new(o, "token", json_string(token));
	explicit_bzero(token, sizeof(token));
	ctl_ok(cl, id, o);
}

static void
token_one(void *arg, const struct token_row *t)
{
	json_array_append_new(arg, token_json(t));
}

void
ctl_cmd_token_list(struct ctl_client *cl, json_int_t id, json_t *args)
{
	json_t *list = json_array();
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	size_t n;

	(void)args;
	if ((e = admin_token_list(ctl_server(cl), token_one, list, &n, msg,
	    sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	ctl_ok(cl, id, json_pack("{s:I,s:o}", "total", (json_int_t)n,
	    "tokens", list));
}

void
ctl_cmd_token_revoke(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t tid = ctl_cmd_arg_int(cl, id, args, "id", 0, 1,
	    INT64_MAX, &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;

	if (bad)
		return;
	if (tid == 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'id' is required");
		return;
	}
	ctl_cmd_who(cl, &who);
	if ((e = admin_token_revoke(ctl_server(cl), &who, (long long)tid, msg,
	    sizeof(msg))) != ADMIN_OK)
		ctl_cmd_fail(cl, id, e, msg);
	else
		ctl_ok(cl, id, json_pack("{s:I}", "revoked", tid));
}
