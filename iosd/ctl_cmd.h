/*
 * ctl_cmd.h - the commands of the control socket: a handler for each of
 * libproto's ctlmsg.h table, which names them and says which are
 * read-only.
 */
#ifndef IOSD_CTL_CMD_H
#define IOSD_CTL_CMD_H

#include <stdbool.h>

#include <jansson.h>

#include "ctlmsg.h"

struct ctl_client;
struct server;

typedef void ctl_cmd_fn(struct ctl_client *cl, json_int_t id, json_t *args);

/* The handler of cmd; NULL for CTLMSG_CMD_NONE. */
ctl_cmd_fn *ctl_cmd_handler(enum ctlmsg_cmd cmd);
/* Every counter of the daemon (the metrics command and watch events). */
json_t *ctl_metrics(struct server *srv);

#endif
