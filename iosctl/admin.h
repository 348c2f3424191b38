/*
 * admin.h - commands whose arguments the table alone cannot turn into a
 * request: quota-set (FIELD=VALUE words), signal (a payload type) and
 * token (create, list or revoke).
 */
#ifndef IOSCTL_ADMIN_H
#define IOSCTL_ADMIN_H

#include "cmd.h"

int admin_quota_set(struct cmd_ctx *ctx);
int admin_signal(struct cmd_ctx *ctx);
int admin_token(struct cmd_ctx *ctx);
int admin_acl(struct cmd_ctx *ctx);

#endif
