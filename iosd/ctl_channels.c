/*
 * ctl_channels.c - the commands about channels and publishing: channels,
 * subscribers, signal (publish as the server) and wall.
 */
#include <stdlib.h>

#include "admin.h"
#include "conn.h"
#include "ctl.h"
#include "ctl_cmd.h"

static void
channel_one(const char *key, const struct router_channel_info *info,
    void *arg)
{
	json_t *j = json_object();

	json_object_set_new(j, "key", json_string(key));
	json_object_set_new(j, "subscribers",
	    json_integer((json_int_t)info->subscribers));
	json_object_set_new(j, "retained", json_boolean(info->retained));
	json_object_set_new(j, "publishes",
	    json_integer((json_int_t)info->publishes));
	json_object_set_new(j, "retained_bytes",
	    json_integer((json_int_t)info->retained_bytes));
	json_array_append_new(arg, j);
}

void
ctl_cmd_channels(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *filter = ctl_cmd_arg_str(cl, id, args, "filter", false,
	    &bad);
	json_int_t off = ctl_cmd_arg_int(cl, id, args, "offset", 0, 0, 1 << 30,
	    &bad);
	json_int_t lim = ctl_cmd_arg_int(cl, id, args, "limit",
	    CTL_CMD_PAGE_DEFAULT, 1, CTL_CMD_PAGE_MAX, &bad);
	json_t *list;
	size_t total;

	if (bad)
		return;
	list = json_array();
	total = admin_channels(ctl_server(cl), filter, (size_t)off,
	    (size_t)lim, channel_one, list);
	ctl_ok(cl, id, json_pack("{s:I,s:o}", "total", (json_int_t)total,
	    "channels", list));
}

static void
subscriber_one(struct conn *c, void *arg)
{
	json_t *j = json_object();

	json_object_set_new(j, "ssid", json_integer(c->ssid));
	json_object_set_new(j, "cid", json_string(c->s->cid));
	json_array_append_new(arg, j);
}

void
ctl_cmd_subscribers(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *key = ctl_cmd_arg_str(cl, id, args, "channel", true, &bad);
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	json_t *list;

	if (bad)
		return;
	list = json_array();
	if ((e = admin_subscribers(ctl_server(cl), key, subscriber_one, list,
	    msg, sizeof(msg))) != ADMIN_OK) {
		json_decref(list);
		ctl_cmd_fail(cl, id, e, msg);
		return;
	}
	ctl_ok(cl, id, json_pack("{s:s,s:o}", "channel", key, "subscribers",
	    list));
}

void
ctl_cmd_signal(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *tag = ctl_cmd_arg_str(cl, id, args, "tag", true, &bad);
	const char *payload = ctl_cmd_arg_str(cl, id, args, "payload", false,
	    &bad);
	const char *type = ctl_cmd_arg_str(cl, id, args, "type", false, &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;
	size_t n;

	if (bad)
		return;
	ctl_cmd_who(cl, &who);
	if ((e = admin_signal(ctl_server(cl), &who, tag, type, payload, &n,
	    msg, sizeof(msg))) != ADMIN_OK)
		ctl_cmd_fail(cl, id, e, msg);
	else
		ctl_ok(cl, id, json_pack("{s:I}", "delivered", (json_int_t)n));
}

void
ctl_cmd_wall(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *event = ctl_cmd_arg_str(cl, id, args, "event", false, &bad);
	json_t *data = json_object_get(args, "data");
	struct admin_who who;
	char msg[ADMIN_MSG_MAX], *text = NULL;
	enum admin_err e;
	size_t n;

	if (bad)
		return;
	if (data && (text = json_dumps(data, JSON_COMPACT |
	    JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) == NULL) {
		ctl_cmd_fail(cl, id, ADMIN_NOMEM, "cannot encode");
		return;
	}
	ctl_cmd_who(cl, &who);
	e = admin_wall(ctl_server(cl), &who, event, text, &n, msg, sizeof(msg));
	free(text);
	if (e != ADMIN_OK)
		ctl_cmd_fail(cl, id, e, msg);
	else
		ctl_ok(cl, id, json_pack("{s:I}", "clients", (json_int_t)n));
}
