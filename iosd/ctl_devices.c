/*
 * ctl_devices.c - the commands about devices (devices, device, enroll,
 * revoke, disable, enable, set-level, rotate-key, import), quota levels
 * and the audit log. Device commands answer when the store has (Redis
 * is asynchronous): the client is held until then.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "server.h"
#include "store.h"

/* Where a device command answers once the store has. */
struct reply {
	struct ctl_client *cl;
	json_int_t id;
	json_int_t off, lim;		/* devices: the page */
	bool disable;			/* disable: say how many it closed */
};

static struct reply *
reply_new(struct ctl_client *cl, json_int_t id)
{
	struct reply *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		ctl_cmd_fail(cl, id, ADMIN_NOMEM, NULL);
		return NULL;
	}
	r->cl = ctl_hold(cl);
	r->id = id;
	return r;
}

static void
reply_free(struct reply *r)
{
	ctl_release(r->cl);
	free(r);
}

/* An admin verb returned e: on failure, answer it and free r. */
static void
started(struct reply *r, enum admin_err e, const char *msg)
{
	if (e != ADMIN_OK) {
		ctl_cmd_fail(r->cl, r->id, e, msg);
		reply_free(r);
	}
}

static json_t *
device_json(struct server *srv, const struct device *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "cid", json_string(d->cid));
	json_object_set_new(o, "level", json_integer(d->level));
	json_object_set_new(o, "disabled", json_boolean(d->disabled));
	json_object_set_new(o, "created", json_integer(d->created));
	json_object_set_new(o, "updated", json_integer(d->updated));
	json_object_set_new(o, "last_seen", d->last_seen ?
	    json_integer(d->last_seen) : json_null());
	json_object_set_new(o, "last_addr", d->last_addr[0] ?
	    json_string(d->last_addr) : json_null());
	json_object_set_new(o, "logins", json_integer(d->logins));
	json_object_set_new(o, "failures", json_integer(d->failures));
	json_object_set_new(o, "online", json_boolean(admin_device_online(srv,
	    d)));
	return o;
}

static void
devices_got(void *arg, enum admin_err e, const struct device *d, size_t n)
{
	struct reply *r = arg;
	json_t *list;

	if (e != ADMIN_OK) {
		ctl_cmd_fail(r->cl, r->id, e, e == ADMIN_STORE ?
		    "store unavailable" : NULL);
		reply_free(r);
		return;
	}
	list = json_array();
	for (size_t i = (size_t)r->off; i < n && i < (size_t)(r->off + r->lim);
	    i++)
		json_array_append_new(list, device_json(ctl_server(r->cl), &d[i]));
	ctl_ok(r->cl, r->id, json_pack("{s:I,s:o}", "total", (json_int_t)n,
	    "devices", list));
	reply_free(r);
}

void
ctl_cmd_devices(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t off = ctl_cmd_arg_int(cl, id, args, "offset", 0, 0, 1 << 30,
	    &bad);
	json_int_t lim = ctl_cmd_arg_int(cl, id, args, "limit",
	    CTL_CMD_PAGE_DEFAULT, 1, CTL_CMD_PAGE_MAX, &bad);
	struct reply *r;

	if (bad || (r = reply_new(cl, id)) == NULL)
		return;
	r->off = off;
	r->lim = lim;
	admin_devices(ctl_server(cl), devices_got, r);
}

static void
device_got(void *arg, const struct admin_device_result *res)
{
	struct reply *r = arg;

	if (res->err != ADMIN_OK)
		ctl_cmd_fail(r->cl, r->id, res->err, res->msg);
	else
		ctl_ok(r->cl, r->id, device_json(ctl_server(r->cl), res->d));
	reply_free(r);
}

void
ctl_cmd_device(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *did = ctl_cmd_arg_str(cl, id, args, "id", true, &bad);
	char msg[ADMIN_MSG_MAX];
	struct reply *r;

	if (bad || (r = reply_new(cl, id)) == NULL)
		return;
	started(r, admin_device(ctl_server(cl), did, device_got, r, msg,
	    sizeof(msg)), msg);
}

/* The answer of enroll and of every change of a device. */
static void
changed(void *arg, const struct admin_device_result *res)
{
	struct reply *r = arg;
	const struct device *d = res->d;
	json_t *o;

	if (res->err != ADMIN_OK) {
		ctl_cmd_fail(r->cl, r->id, res->err, res->msg);
		reply_free(r);
		return;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "cid", json_string(d->cid));
	json_object_set_new(o, "level", json_integer(d->level));
	json_object_set_new(o, "disabled", json_boolean(d->disabled));
	if (res->key)
		json_object_set_new(o, "key", json_string(res->key));
	if (r->disable)
		json_object_set_new(o, "kicked", json_integer(res->kicked));
	ctl_ok(r->cl, r->id, o);
	reply_free(r);
}

void
ctl_cmd_enroll(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *did = ctl_cmd_arg_str(cl, id, args, "id", true, &bad);
	const char *cid = ctl_cmd_arg_str(cl, id, args, "cid", false, &bad);
	const char *key = ctl_cmd_arg_str(cl, id, args, "key", false, &bad);
	json_int_t level = ctl_cmd_arg_int(cl, id, args, "level", 1, 0, 255,
	    &bad);
	int update = ctl_cmd_arg_bool(cl, id, args, "update", &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;

	if (bad)
		return;
	/* An operator never enrolls an empty key (the sudo API may). */
	if (key && *key == '\0') {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS,
		    "key must be 1 to %d bytes", ADMIN_KEY_MAX);
		return;
	}
	if ((r = reply_new(cl, id)) == NULL)
		return;
	ctl_cmd_who(cl, &who);
	started(r, admin_enroll(ctl_server(cl), &who, did, cid, key,
	    (int)level, update, NULL, changed, r, msg, sizeof(msg)), msg);
}

/* The id of a command on one device; NULL when answered bad_args. */
static const char *
device_id(struct ctl_client *cl, json_int_t id, json_t *args,
    struct reply **r, struct admin_who *who)
{
	bool bad = false;
	const char *did = ctl_cmd_arg_str(cl, id, args, "id", true, &bad);

	if (bad || (*r = reply_new(cl, id)) == NULL)
		return NULL;
	ctl_cmd_who(cl, who);
	return did;
}

static void
set_disabled(struct ctl_client *cl, json_int_t id, json_t *args,
    bool disabled)
{
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;
	const char *did = device_id(cl, id, args, &r, &who);

	if (did) {
		r->disable = disabled;
		started(r, admin_disable(ctl_server(cl), &who, did, disabled,
		    changed, r, msg, sizeof(msg)), msg);
	}
}

void
ctl_cmd_disable(struct ctl_client *cl, json_int_t id, json_t *args)
{
	set_disabled(cl, id, args, true);
}

void
ctl_cmd_enable(struct ctl_client *cl, json_int_t id, json_t *args)
{
	set_disabled(cl, id, args, false);
}

void
ctl_cmd_set_level(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t level = ctl_cmd_arg_int(cl, id, args, "level", -1, 0, 255,
	    &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;
	const char *did;

	if (bad)
		return;
	if (level < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'level' is required");
		return;
	}
	if ((did = device_id(cl, id, args, &r, &who)) != NULL)
		started(r, admin_set_level(ctl_server(cl), &who, did, (int)level,
		    changed, r, msg, sizeof(msg)), msg);
}

void
ctl_cmd_rotate_key(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *key = ctl_cmd_arg_str(cl, id, args, "key", false, &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;
	const char *did;

	if (bad)
		return;
	if (key && (*key == '\0' || strlen(key) > 63)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "key must be 1 to 63 bytes");
		return;
	}
	if ((did = device_id(cl, id, args, &r, &who)) != NULL)
		started(r, admin_rotate_key(ctl_server(cl), &who, did, key,
		    changed, r, msg, sizeof(msg)), msg);
}

static void
revoked(void *arg, const struct admin_device_result *res)
{
	struct reply *r = arg;

	if (res->err != ADMIN_OK)
		ctl_cmd_fail(r->cl, r->id, res->err, res->msg);
	else
		ctl_ok(r->cl, r->id, json_pack("{s:s,s:i}", "revoked",
		    res->d->id, "kicked", res->kicked));
	reply_free(r);
}

void
ctl_cmd_revoke(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;
	const char *did = device_id(cl, id, args, &r, &who);

	if (did)
		started(r, admin_revoke(ctl_server(cl), &who, did, true, revoked,
		    r, msg, sizeof(msg)), msg);
}

static void
imported(void *arg, enum admin_err e, size_t n, const char *msg)
{
	struct reply *r = arg;

	if (e != ADMIN_OK)
		ctl_cmd_fail(r->cl, r->id, e, msg);
	else
		ctl_ok(r->cl, r->id, json_pack("{s:I}", "imported",
		    (json_int_t)n));
	reply_free(r);
}

void
ctl_cmd_import(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *path = ctl_cmd_arg_str(cl, id, args, "path", true, &bad);
	int update = ctl_cmd_arg_bool(cl, id, args, "update", &bad);
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	struct reply *r;

	if (bad || (r = reply_new(cl, id)) == NULL)
		return;
	ctl_cmd_who(cl, &who);
	started(r, admin_import(ctl_server(cl), &who, path, update, imported, r,
	    msg, sizeof(msg)), msg);
}

/* ---- quotas, audit ---- */

static json_t *
quota_json(int level, const struct quota *q)
{
	return json_pack("{s:i,s:I,s:I,s:I}", "level", level, "signal_size",
	    (json_int_t)q->signal_size, "publish_counter",
	    (json_int_t)q->publish_counter, "traffic_rate",
	    (json_int_t)q->traffic_rate);
}

static void
quota_one(int level, const struct quota *q, void *arg)
{
	json_array_append_new(arg, quota_json(level, q));
}

void
ctl_cmd_quota_list(struct ctl_client *cl, json_int_t id, json_t *args)
{
	json_t *list = json_array();

	(void)args;
	admin_quota_list(ctl_server(cl), quota_one, list);
	ctl_ok(cl, id, list);
}

void
ctl_cmd_quota_set(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t level = ctl_cmd_arg_int(cl, id, args, "level", -1, 0, 255,
	    &bad);
	struct quota q, now;
	struct admin_who who;
	char msg[ADMIN_MSG_MAX];
	enum admin_err e;

	if (bad)
		return;
	if (level < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'level' is required");
		return;
	}
	/* 0: unchanged (admin_quota_set). */
	q.signal_size = (uint32_t)ctl_cmd_arg_int(cl, id, args, "signal_size",
	    0, 1, 0x7FFFFFFF, &bad);
	q.publish_counter = (uint32_t)ctl_cmd_arg_int(cl, id, args,
	    "publish_counter", 0, 1, 0x7FFFFFFF, &bad);
	q.traffic_rate = (uint32_t)ctl_cmd_arg_int(cl, id, args,
	    "traffic_rate", 0, 1, 0x7FFFFFFF, &bad);
	if (bad)
		return;
	ctl_cmd_who(cl, &who);
	if ((e = admin_quota_set(ctl_server(cl), &who, (int)level, &q, &now,
	    msg, sizeof(msg))) != ADMIN_OK)
		ctl_cmd_fail(cl, id, e, msg);
	else
		ctl_ok(cl, id, quota_json((int)level, &now));
}

void
ctl_cmd_audit(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t lim = ctl_cmd_arg_int(cl, id, args, "limit", 50, 1, 1000,
	    &bad);
	const char *dev = ctl_cmd_arg_str(cl, id, args, "device", false, &bad);
	struct audit_row *rows;
	json_t *list;
	size_t n;

	if (bad)
		return;
	if ((rows = calloc((size_t)lim, sizeof(*rows))) == NULL) {
		ctl_cmd_fail(cl, id, ADMIN_NOMEM, NULL);
		return;
	}
	/* Failed logins gathered for the interval are part of it. */
	audit_flush(ctl_server(cl)->audit);
	n = store_audit_list(ctl_server(cl)->store, dev, rows, (size_t)lim);
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "seq", json_integer(rows[i].seq));
		json_object_set_new(o, "at", json_integer(rows[i].at));
		json_object_set_new(o, "event", json_string(rows[i].event));
		json_object_set_new(o, "device", rows[i].device[0] ?
		    json_string(rows[i].device) : json_null());
		json_object_set_new(o, "address", rows[i].addr[0] ?
		    json_string(rows[i].addr) : json_null());
		json_object_set_new(o, "detail", rows[i].detail[0] ?
		    json_string(rows[i].detail) : json_null());
		json_array_append_new(list, o);
	}
	free(rows);
	ctl_ok(cl, id, list);
}
