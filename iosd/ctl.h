/*
 * ctl.h - the control socket (doc/control.md): a Unix stream socket
 * speaking JSON lines, for iosctl, iostui and scripts. ctl.c owns sockets,
 * framing, back-pressure and streams; ctl_cmd.c and the ctl_*.c files
 * beside it the commands (ctl_cmd.h).
 */
#ifndef IOSD_CTL_H
#define IOSD_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctlmsg.h"
#include "trace.h"

struct server;
struct ctl_client;

/* Open a control socket at path (read_only: only commands that change
 * nothing). -1 with a message: path in use by a live daemon, not a
 * socket, cannot bind. */
int ctl_listen(struct server *srv, const char *path, bool read_only,
    char *err, size_t errlen);
void ctl_close_all(struct server *srv);
/* Free the control clients closed since the last call (prepare hook). */
void ctl_reap(struct server *srv);
/* The sockets, connected control clients and trace streams, for status. */
json_t *ctl_status(const struct server *srv);

/* ---- for the command handlers ---- */

struct server *ctl_server(const struct ctl_client *cl);
/* Answer request id: ok with result (reference stolen), or an error
 * (its code one of ctlmsg.h's). */
void ctl_ok(struct ctl_client *cl, json_int_t id, json_t *result);
__attribute__((format(printf, 4, 5)))
void ctl_error(struct ctl_client *cl, json_int_t id, enum ctlmsg_err code,
    const char *fmt, ...);
/* Keep cl for an answer that comes later; ctl_release when done. A
 * client that went away meanwhile takes answers silently. */
struct ctl_client *ctl_hold(struct ctl_client *cl);
void ctl_release(struct ctl_client *cl);
/* Log the peer's credentials with a state-changing command. */
void ctl_log_change(const struct ctl_client *cl, const char *cmd,
    const char *what);
/* "peer uid=0 gid=0 pid=42": who is at the other end, for a log line. */
void ctl_peer(const struct ctl_client *cl, char *buf, size_t len);

int ctl_start_trace(struct ctl_client *cl, json_int_t id,
    const struct trace_filter *f, size_t queue);
int ctl_start_watch(struct ctl_client *cl, json_int_t id, unsigned ms);
bool ctl_cancel(struct ctl_client *cl, json_int_t stream);

#endif
