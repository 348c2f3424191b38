/*
 * ctl_cmd.h - the commands of the control socket, as a table.
 */
#ifndef IOSD_CTL_CMD_H
#define IOSD_CTL_CMD_H

#include <stdbool.h>

#include <jansson.h>

struct ctl_client;
struct server;

struct ctl_cmd {
	const char *name;
	void (*run)(struct ctl_client *cl, json_int_t id, json_t *args);
	bool read_only;		/* changes nothing: allowed on --control-ro */
};

const struct ctl_cmd *ctl_cmd_find(const char *name);
/* Every counter of the daemon (the metrics command and watch events). */
json_t *ctl_metrics(struct server *srv);

#endif
