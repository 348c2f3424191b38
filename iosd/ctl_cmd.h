/*
 * ctl_cmd.h - the commands of the control socket: a handler for each of
 * libproto's ctlmsg.h table, which names them and says which are
 * read-only.
 *
 * ctl_cmd.c has the dispatch and what the command files share (arguments,
 * admin errors); the handlers live by topic: ctl_server.c (status,
 * metrics, reload, log level, backup), ctl_streams.c (trace, watch,
 * cancel), ctl_clients.c (clients, kick, bans), ctl_channels.c (channels,
 * subscribers, signal, wall), ctl_devices.c (devices, quotas, audit) and
 * ctl_tokens.c (the HTTP API's bearer tokens), ctl_acl.c (channel
 * permissions).
 * The administrative verbs themselves are admin.c's: a handler reads its
 * arguments, calls one, and turns the result into JSON.
 */
#ifndef IOSD_CTL_CMD_H
#define IOSD_CTL_CMD_H

#include <stdbool.h>

#include <jansson.h>

#include "admin.h"
#include "ctlmsg.h"

struct ctl_client;
struct server;

typedef void ctl_cmd_fn(struct ctl_client *cl, json_int_t id, json_t *args);

/* The handler of cmd; NULL for CTLMSG_CMD_NONE. */
ctl_cmd_fn *ctl_cmd_handler(enum ctlmsg_cmd cmd);
/* Every counter of the daemon (the metrics command and watch events). */
json_t *ctl_metrics(struct server *srv);

/* ---- for the command files ---- */

#define CTL_CMD_PAGE_DEFAULT	100
#define CTL_CMD_PAGE_MAX	1000

/* Arguments. A missing optional one is NULL or dflt; a missing required
 * one or one of the wrong type is answered bad_args and sets *bad, and
 * the handler answers nothing more. Once *bad is set, the next calls
 * return at once (a chain of them reads as a list). */
const char *ctl_cmd_arg_str(struct ctl_client *cl, json_int_t id,
    json_t *args, const char *key, bool required, bool *bad);
json_int_t ctl_cmd_arg_int(struct ctl_client *cl, json_int_t id,
    json_t *args, const char *key, json_int_t dflt, json_int_t min,
    json_int_t max, bool *bad);
int ctl_cmd_arg_bool(struct ctl_client *cl, json_int_t id, json_t *args,
    const char *key, bool *bad);

/* A connected client as clients and client show it (detail: its nick,
 * presented id and channels too); the HTTP API's clients too. */
struct conn;
json_t *ctl_cmd_client_json(const struct conn *c, bool detail);
/* Who is asking, for admin.c's log line of a change. */
void ctl_cmd_who(const struct ctl_client *cl, struct admin_who *who);
/* Answer an admin verb's failure: its code as the control socket's, and
 * msg (admin_strerror when empty). */
void ctl_cmd_fail(struct ctl_client *cl, json_int_t id, enum admin_err e,
    const char *msg);

/* ctl_server.c */
ctl_cmd_fn ctl_cmd_status, ctl_cmd_metrics, ctl_cmd_reload,
    ctl_cmd_log_level, ctl_cmd_backup;
/* ctl_streams.c */
ctl_cmd_fn ctl_cmd_trace, ctl_cmd_watch, ctl_cmd_cancel;
/* ctl_clients.c */
ctl_cmd_fn ctl_cmd_clients, ctl_cmd_client, ctl_cmd_kick, ctl_cmd_ban,
    ctl_cmd_unban, ctl_cmd_bans;
/* ctl_channels.c */
ctl_cmd_fn ctl_cmd_channels, ctl_cmd_subscribers, ctl_cmd_signal,
    ctl_cmd_wall;
/* ctl_devices.c */
ctl_cmd_fn ctl_cmd_devices, ctl_cmd_device, ctl_cmd_enroll, ctl_cmd_revoke,
    ctl_cmd_disable, ctl_cmd_enable, ctl_cmd_set_level, ctl_cmd_rotate_key,
    ctl_cmd_import, ctl_cmd_quota_list, ctl_cmd_quota_set, ctl_cmd_audit;
/* ctl_tokens.c */
ctl_cmd_fn ctl_cmd_token_create, ctl_cmd_token_list, ctl_cmd_token_revoke;
/* ctl_acl.c */
ctl_cmd_fn ctl_cmd_acl_list, ctl_cmd_acl_add, ctl_cmd_acl_remove;

#endif
