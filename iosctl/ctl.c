/*
 * ctl.c - see ctl.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define READ_CHUNK	65536

struct ctl {
	int		 fd;
	long long	 next_id;
	struct ctlc_lines in;		/* what the daemon sent, not read yet */
	int		 err;		/* errno of the last CTL_EIO */
	char		 detail[160];	/* what CTL_EPROTO saw */
};

static const char *const rc_text[] = {
	[-CTL_OK] = "success",
	[-CTL_EIO] = "I/O error",
	[-CTL_ECLOSED] = "the daemon closed the connection",
	[-CTL_EPROTO] = "bad answer from the daemon",
	[-CTL_ETIMEDOUT] = "no answer from the daemon in time",
	[-CTL_EINTR] = "interrupted",
	[-CTL_ETOOBIG] = "request over the control socket's 65536-byte line limit",
};

struct ctl *
ctl_open(const char *path, int timeout_ms)
{
	struct ctl *c;
	int fd;

	if ((fd = ctlc_connect(path, false)) < 0)
		return NULL;
	/* A daemon that stops reading must not hang a script forever. */
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->next_id = 1;
	ctlc_lines_init(&c->in, CTL_MAX_LINE);
	return c;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	ctlc_lines_free(&c->in);
	free(c);
}

static int
write_all(struct ctl *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		/* MSG_NOSIGNAL: a gone daemon is an error, not a SIGPIPE. */
		if ((w = send(c->fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			c->err = errno;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return CTL_ETIMEDOUT;
			if (errno == EPIPE || errno == ECONNRESET)
				return CTL_ECLOSED;
			return CTL_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return CTL_OK;
}

int
ctl_send(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args, long long *id)
{
	char *line;
	size_t n;
	int rc;

	if ((line = ctlc_request_line(cmd, c->next_id, args, &n)) == NULL) {
		c->err = errno;
		return CTL_EIO;
	}
	if (n > CTL_MAX_REQUEST)
		rc = CTL_ETOOBIG;
	else
		rc = write_all(c, line, n);
	/* Requests may carry device keys: leave no copy behind. */
	ctlc_line_free(line, n);
	if (rc == CTL_OK && id)
		*id = c->next_id;
	c->next_id++;
	return rc;
}

/* Waits until the socket is readable; CTL_OK, CTL_ETIMEDOUT, CTL_EINTR. */
static int
wait_readable(struct ctl *c, long long deadline, const sigset_t *mask)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct timespec ts, *tsp;
	long long left;
	int n;

	for (;;) {
		tsp = NULL;
		if (deadline >= 0) {
			left = deadline - (long long)ctlc_now_ms();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tsp = &ts;
		}
		n = ppoll(&pfd, 1, tsp, mask);
		if (n > 0)
			return CTL_OK;
		if (n == 0)
			return CTL_ETIMEDOUT;
		if (errno != EINTR) {
			c->err = errno;
			return CTL_EIO;
		}
		if (mask)
			return CTL_EINTR;
	}
}

static int
too_long(struct ctl *c)
{
	snprintf(c->detail, sizeof(c->detail), "a line over %u MiB",
	    CTL_MAX_LINE >> 20);
	return CTL_EPROTO;
}

int
ctl_read(struct ctl *c, int timeout_ms, const sigset_t *mask, json_t **msg)
{
	long long deadline = timeout_ms < 0 ? -1 :
	    (long long)ctlc_now_ms() + timeout_ms;
	const char *line;
	size_t len, room;
	char *p;
	ssize_t r;
	int rc;

	*msg = NULL;
	for (;;) {
		rc = ctlc_lines_next(&c->in, &line, &len);
		if (rc > 0) {
			*msg = ctlc_parse(line, len, "iosctl", c->detail,
			    sizeof(c->detail));
			return *msg ? CTL_OK : CTL_EPROTO;
		}
		if (rc < 0)
			return too_long(c);
		if ((p = ctlc_lines_room(&c->in, READ_CHUNK, &room)) == NULL) {
			c->err = errno;
			return CTL_EIO;
		}
		if ((rc = wait_readable(c, deadline, mask)) != CTL_OK)
			return rc;
		r = read(c->fd, p, room);
		if (r == 0)
			return CTL_ECLOSED;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->err = errno;
			return errno == ECONNRESET ? CTL_ECLOSED : CTL_EIO;
		}
		ctlc_lines_add(&c->in, (size_t)r);
	}
}

int
ctl_call(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args, int timeout_ms,
    json_t **reply)
{
	long long id, deadline, left;
	json_t *m;
	int rc;

	*reply = NULL;
	if ((rc = ctl_send(c, cmd, args, &id)) != CTL_OK)
		return rc;
	deadline = timeout_ms < 0 ? -1 : (long long)ctlc_now_ms() + timeout_ms;
	for (;;) {
		left = -1;
		if (deadline >= 0 &&
		    (left = deadline - (long long)ctlc_now_ms()) < 0)
			left = 0;
		if ((rc = ctl_read(c, (int)left, NULL, &m)) != CTL_OK)
			return rc;
		/*
		 * Events and answers to other ids are not ours. An error
		 * without an id (a line the daemon could not read) is.
		 */
		if (!ctlc_is_event(m) && (ctlc_msg_id(m) == id ||
		    (ctlc_msg_id(m) < 0 && json_is_false(json_object_get(m,
		    "ok"))))) {
			*reply = m;
			return CTL_OK;
		}
		json_decref(m);
	}
}

const char *
ctl_strerror(const struct ctl *c, int rc)
{
	static char buf[256];

	if (rc > 0 || -rc >= (int)(sizeof(rc_text) / sizeof(rc_text[0])))
		return "unknown error";
	if (c && rc == CTL_EIO && c->err) {
		snprintf(buf, sizeof(buf), "%s", strerror(c->err));
		return buf;
	}
	if (c && rc == CTL_EPROTO && c->detail[0]) {
		snprintf(buf, sizeof(buf), "%s: %s", rc_text[-rc], c->detail);
		return buf;
	}
	return rc_text[-rc];
}
