/*
 * ctl_cmd.c - the control socket's commands (doc/control.md): which
 * handler answers each, and what the handlers share. Each handler takes
 * the request's args object and answers exactly once, at once or, for
 * device commands (Redis is asynchronous), when the store has answered.
 */
#include "ctl.h"
#include "ctl_cmd.h"

/* ---- arguments ---- */

const char *
ctl_cmd_arg_str(struct ctl_client *cl, json_int_t id, json_t *args,
    const char *key, bool required, bool *bad)
{
	json_t *v = json_object_get(args, key);

	if (*bad)
		return NULL;
	if (v == NULL || json_is_null(v)) {
		if (required) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' is required",
			    key);
			*bad = true;
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be a string",
		    key);
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

json_int_t
ctl_cmd_arg_int(struct ctl_client *cl, json_int_t id, json_t *args,
    const char *key, json_int_t dflt, json_int_t min, json_int_t max,
    bool *bad)
{
	json_t *v = json_object_get(args, key);
	json_int_t n;

	if (*bad || v == NULL || json_is_null(v))
		return dflt;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < min ||
	    n > max) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be an integer "
		    "from %lld to %lld", key, (long long)min, (long long)max);
		*bad = true;
		return dflt;
	}
	return n;
}

int
ctl_cmd_arg_bool(struct ctl_client *cl, json_int_t id, json_t *args,
    const char *key, bool *bad)
{
	json_t *v = json_object_get(args, key);

	if (*bad || v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "'%s' must be true or false",
		    key);
		*bad = true;
		return 0;
	}
	return json_is_true(v);
}

/* ---- the admin layer's answers ---- */

void
ctl_cmd_who(const struct ctl_client *cl, struct admin_who *who)
{
	who->via = "control";
	ctl_peer(cl, who->detail, sizeof(who->detail));
}

/* admin.h's errors as the control socket's codes. */
static const enum ctlmsg_err admin_codes[ADMIN_ERR_COUNT] = {
	[ADMIN_OK] = CTLMSG_E_INTERNAL,		/* not a failure: a bug */
	[ADMIN_NOT_FOUND] = CTLMSG_E_NOT_FOUND,
	[ADMIN_EXISTS] = CTLMSG_E_EXISTS,
	[ADMIN_BAD_ARGS] = CTLMSG_E_BAD_ARGS,
	[ADMIN_STORE] = CTLMSG_E_STORE_ERROR,
	[ADMIN_NOMEM] = CTLMSG_E_INTERNAL,
};

void
ctl_cmd_fail(struct ctl_client *cl, json_int_t id, enum admin_err e,
    const char *msg)
{
	ctl_error(cl, id, (unsigned)e < ADMIN_ERR_COUNT ? admin_codes[e] :
	    CTLMSG_E_INTERNAL, "%s", msg && *msg ? msg : admin_strerror(e));
}

/*
 * The handler of each command of ctlmsg.h's table: a switch without a
 * default, so that a command without a handler does not compile
 * (-Wswitch).
 */
ctl_cmd_fn *
ctl_cmd_handler(enum ctlmsg_cmd cmd)
{
	switch (cmd) {
	case CTLMSG_CMD_STATUS: return ctl_cmd_status;
	case CTLMSG_CMD_METRICS: return ctl_cmd_metrics;
	case CTLMSG_CMD_CLIENTS: return ctl_cmd_clients;
	case CTLMSG_CMD_CLIENT: return ctl_cmd_client;
	case CTLMSG_CMD_KICK: return ctl_cmd_kick;
	case CTLMSG_CMD_BAN: return ctl_cmd_ban;
	case CTLMSG_CMD_UNBAN: return ctl_cmd_unban;
	case CTLMSG_CMD_BANS: return ctl_cmd_bans;
	case CTLMSG_CMD_CHANNELS: return ctl_cmd_channels;
	case CTLMSG_CMD_SUBSCRIBERS: return ctl_cmd_subscribers;
	case CTLMSG_CMD_DEVICES: return ctl_cmd_devices;
	case CTLMSG_CMD_DEVICE: return ctl_cmd_device;
	case CTLMSG_CMD_ENROLL: return ctl_cmd_enroll;
	case CTLMSG_CMD_REVOKE: return ctl_cmd_revoke;
	case CTLMSG_CMD_DISABLE: return ctl_cmd_disable;
	case CTLMSG_CMD_ENABLE: return ctl_cmd_enable;
	case CTLMSG_CMD_SET_LEVEL: return ctl_cmd_set_level;
	case CTLMSG_CMD_ROTATE_KEY: return ctl_cmd_rotate_key;
	case CTLMSG_CMD_IMPORT: return ctl_cmd_import;
	case CTLMSG_CMD_QUOTA_LIST: return ctl_cmd_quota_list;
	case CTLMSG_CMD_QUOTA_SET: return ctl_cmd_quota_set;
	case CTLMSG_CMD_AUDIT: return ctl_cmd_audit;
	case CTLMSG_CMD_SIGNAL: return ctl_cmd_signal;
	case CTLMSG_CMD_WALL: return ctl_cmd_wall;
	case CTLMSG_CMD_TRACE: return ctl_cmd_trace;
	case CTLMSG_CMD_WATCH: return ctl_cmd_watch;
	case CTLMSG_CMD_CANCEL: return ctl_cmd_cancel;
	case CTLMSG_CMD_RELOAD: return ctl_cmd_reload;
	case CTLMSG_CMD_LOG_LEVEL: return ctl_cmd_log_level;
	case CTLMSG_CMD_BACKUP: return ctl_cmd_backup;
	case CTLMSG_CMD_TOKEN_CREATE: return ctl_cmd_token_create;
	case CTLMSG_CMD_TOKEN_LIST: return ctl_cmd_token_list;
	case CTLMSG_CMD_TOKEN_REVOKE: return ctl_cmd_token_revoke;
	case CTLMSG_CMD_ACL_LIST: return ctl_cmd_acl_list;
	case CTLMSG_CMD_ACL_ADD: return ctl_cmd_acl_add;
	case CTLMSG_CMD_ACL_REMOVE: return ctl_cmd_acl_remove;
	case CTLMSG_CMD_NONE:
	case CTLMSG_CMD_COUNT:
		break;
	}
	return NULL;
}
