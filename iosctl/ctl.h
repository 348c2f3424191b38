/*
 * ctl.h - the client side of iosd's control socket (doc/control.md):
 * JSON lines over a Unix stream socket, one request at a time, responses
 * matched by id, stream events handed back as they come. The blocking
 * loop (ppoll) is here; the framing, the envelope and reading replies
 * are libctl's (ctlclient.h), shared with iostui.
 */
#ifndef IOSCTL_CTL_H
#define IOSCTL_CTL_H

#include <signal.h>
#include <stdbool.h>

#include <jansson.h>

#include "ctlclient.h"

#define CTL_MAX_REQUEST	CTLMSG_REQUEST_MAX	/* iosd's line limit */
#define CTL_MAX_LINE	(16u << 20)	/* the longest response we accept */

/* What a ctl_* call can fail with; ctl_strerror() says more. */
enum ctl_rc {
	CTL_OK = 0,
	CTL_EIO = -1,		/* a system call failed (errno kept) */
	CTL_ECLOSED = -2,	/* the daemon closed the connection */
	CTL_EPROTO = -3,	/* not JSON lines, or an envelope not ours */
	CTL_ETIMEDOUT = -4,	/* no answer in time */
	CTL_EINTR = -5,		/* a signal let through by the mask arrived */
	CTL_ETOOBIG = -6,	/* our request is over the daemon's limit */
};

struct ctl;

/* NULL with errno set when the socket cannot be reached. */
struct ctl *ctl_open(const char *path, int timeout_ms);
void ctl_close(struct ctl *c);

/* Sends {"v":1,"id":N,"cmd":cmd,"args":args}; args may be NULL. */
int ctl_send(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args, long long *id);

/*
 * The next line from the daemon, a response or an event (new reference).
 * timeout_ms < 0 waits forever; mask, when given, is the signal mask in
 * force while waiting (ppoll), so a blocked SIGINT interrupts only there.
 */
int ctl_read(struct ctl *c, int timeout_ms, const sigset_t *mask,
    json_t **msg);

/* Sends a request and waits for the response with its id. */
int ctl_call(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args,
    int timeout_ms, json_t **reply);

const char *ctl_strerror(const struct ctl *c, int rc);

#endif
