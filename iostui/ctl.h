/*
 * ctl.h - iostui's side of iosd's control socket (doc/control.md): JSON
 * lines over a non-blocking Unix stream socket, many requests in flight,
 * replies matched by id, stream events handed to their stream, and a
 * reconnect with back-off whenever the daemon goes away.
 *
 * The caller owns the loop: it polls ctl_fd() for ctl_want() and calls
 * ctl_io() with what poll saw; ctl_wait_ms() says when ctl needs to be
 * called again to try a reconnect. The framing, the envelope and the
 * command names are libctl's and libproto's (ctlclient.h, ctlmsg.h),
 * shared with iosctl.
 */
#ifndef IOSTUI_CTL_H
#define IOSTUI_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ctlclient.h"

/* A reply: ok with its result, or not with the error object
 * {code, message}. Both borrowed. On a lost connection every pending
 * request is answered with code "disconnected". */
typedef void ctl_reply_fn(void *arg, bool ok, json_t *res);
/* A stream event ("trace", "metrics", "dropped"): the whole line,
 * borrowed. */
typedef void ctl_event_fn(void *arg, const char *event, json_t *ev);
/* The connection came up (up) or went away (!up). Streams do not
 * survive: their owners start them again when up. */
typedef void ctl_state_fn(void *arg, bool up);

struct ctl;

struct ctl *ctl_new(const char *path, ctl_state_fn *state, void *arg);
void ctl_free(struct ctl *c);

/* Try to connect if it is time to: call once per loop iteration. */
void ctl_step(struct ctl *c, uint64_t now_ms);
int ctl_fd(const struct ctl *c);
/* POLLIN/POLLOUT wanted now, 0 to leave the socket alone. After a
 * big read (a trace flood) POLLIN rests for a moment unless a reply is
 * owed: the data waits in the socket and is read in one go. */
short ctl_want(const struct ctl *c, uint64_t now_ms);
/* Milliseconds until ctl_step has something to do, -1 for never. */
int ctl_wait_ms(const struct ctl *c, uint64_t now_ms);
/* Read everything that is there (up to a bound), write what is queued. */
void ctl_io(struct ctl *c, short revents, uint64_t now_ms);

bool ctl_up(const struct ctl *c);
/* Why the connection is down ("" when up); when the next try is. */
const char *ctl_why(const struct ctl *c);
uint64_t ctl_retry_at(const struct ctl *c);
const char *ctl_path(const struct ctl *c);

/* Send cmd with args (stolen, may be NULL). The id, or -1 when down
 * (fn is then not called). */
long long ctl_request(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args,
    ctl_reply_fn *fn, void *arg);
/* Start a stream: reply as above, then events until ctl_cancel. */
long long ctl_stream(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args,
    ctl_reply_fn *reply, ctl_event_fn *event, void *arg);
/* Stop a stream: its events are ignored from now on. */
void ctl_cancel(struct ctl *c, long long id);
/* Requests sent and not answered yet. */
unsigned ctl_pending(const struct ctl *c);

#endif
