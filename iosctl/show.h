/*
 * show.h - each command's result for a person: tables, key/value blocks
 * and one-line confirmations. Members the daemon adds later are ignored;
 * members it leaves out show as "-".
 */
#ifndef IOSCTL_SHOW_H
#define IOSCTL_SHOW_H

#include <jansson.h>

void show_status(const json_t *r);
void show_metrics(const json_t *r);
void show_clients(const json_t *r);
void show_client(const json_t *r);
void show_kick(const json_t *r);
void show_ban(const json_t *r);
void show_unban(const json_t *r);
void show_bans(const json_t *r);
void show_channels(const json_t *r);
void show_subscribers(const json_t *r);
void show_devices(const json_t *r);
void show_device(const json_t *r);
void show_revoke(const json_t *r);
void show_disabled(const json_t *r);
void show_set_level(const json_t *r);
void show_import(const json_t *r);
void show_quota_list(const json_t *r);
void show_quota(const json_t *r);
void show_audit(const json_t *r);
void show_signal(const json_t *r);
void show_wall(const json_t *r);
void show_reload(const json_t *r);
void show_log_level(const json_t *r);
void show_backup(const json_t *r);

/* The array of a list result: r itself, or r.list (cmd_list_shape). */
const json_t *show_list(const json_t *r);
/* A session state by name ("cid_ready"): the daemon's number or name;
 * NULL when state is neither. */
const char *show_state_name(const json_t *state);
/* Adds "state_name" beside the "state" of r and of each of r.list. */
void show_states(json_t *r);
/* Sums the {TYPE: {count, bytes}} of a metrics member. */
void show_msg_totals(const json_t *m, const char *key, double *count,
    double *bytes);

#endif
