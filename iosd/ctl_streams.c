/*
 * ctl_streams.c - the commands that start and stop streams of events:
 * trace (messages as they pass), watch (metrics), cancel.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "ctl_cmd.h"
#include "metrics.h"
#include "proto.h"

/* A stream's answer: its id (events follow, tagged with it), or the
 * error of a stream that could not start. */
static void
started(struct ctl_client *cl, json_int_t id, int rc)
{
	if (rc < 0)
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
	else
		ctl_ok(cl, id, json_pack("{s:I}", "stream", id));
}

void
ctl_cmd_trace(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct trace_filter f = { .type = -1, .transport = -1 };
	bool bad = false;
	const char *cid = ctl_cmd_arg_str(cl, id, args, "cid", false, &bad);
	const char *dev = ctl_cmd_arg_str(cl, id, args, "device", false, &bad);
	const char *tag = ctl_cmd_arg_str(cl, id, args, "tag", false, &bad);
	const char *type = ctl_cmd_arg_str(cl, id, args, "type", false, &bad);
	const char *dir = ctl_cmd_arg_str(cl, id, args, "dir", false, &bad);
	const char *tr = ctl_cmd_arg_str(cl, id, args, "transport", false,
	    &bad);
	json_int_t queue = ctl_cmd_arg_int(cl, id, args, "queue", 1000, 1,
	    100000, &bad);
	json_int_t ssid = ctl_cmd_arg_int(cl, id, args, "ssid", 0, 0,
	    UINT32_MAX, &bad);

	if (bad)
		return;
	f.ssid = (uint32_t)ssid;
	if ((cid && strlen(cid) >= sizeof(f.cid)) ||
	    (dev && strlen(dev) >= sizeof(f.device)) ||
	    (tag && strlen(tag) >= sizeof(f.tag))) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "a filter is too long");
		return;
	}
	snprintf(f.cid, sizeof(f.cid), "%s", cid ? cid : "");
	snprintf(f.device, sizeof(f.device), "%s", dev ? dev : "");
	snprintf(f.tag, sizeof(f.tag), "%s", tag ? tag : "");
	if (type) {
		for (int t = 0; t < 256 && f.type < 0; t++)
			if (iosmsg_name((uint8_t)t) &&
			    strcasecmp(iosmsg_name((uint8_t)t), type) == 0)
				f.type = t;
		if (f.type < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "no message type %s", type);
			return;
		}
	}
	if (dir) {
		f.dirs = strcmp(dir, "in") == 0 ? TRACE_IN : strcmp(dir, "out") == 0 ?
		    TRACE_OUT : strcmp(dir, "route") == 0 ? TRACE_ROUTE : -1;
		if (f.dirs < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "dir is in, out or route");
			return;
		}
	}
	if (tr) {
		for (int t = 0; t < TR_COUNT; t++)
			if (strcmp(tr, transport_name((enum transport)t)) == 0)
				f.transport = t;
		if (f.transport < 0) {
			ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "transport is ws, wss or cong");
			return;
		}
	}
	started(cl, id, ctl_start_trace(cl, id, &f, (size_t)queue));
}

void
ctl_cmd_watch(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t ms = ctl_cmd_arg_int(cl, id, args, "interval_ms", 1000,
	    100, 3600000, &bad);

	if (bad)
		return;
	started(cl, id, ctl_start_watch(cl, id, (unsigned)ms));
}

void
ctl_cmd_cancel(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	json_int_t s = ctl_cmd_arg_int(cl, id, args, "stream", -1, 0,
	    INT64_MAX, &bad);
	json_t *o;

	if (bad)
		return;
	if (s < 0 || !ctl_cancel(cl, s)) {
		ctl_error(cl, id, CTLMSG_E_NOT_FOUND, "no stream %lld", (long long)s);
		return;
	}
	o = json_object();
	json_object_set_new(o, "cancelled", json_integer(s));
	ctl_ok(cl, id, o);
}
