/*
 * ctl.c - see ctl.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define READ_CHUNK	65536

struct ctl {
	int		 fd;
	long long	 next_id;
	char		*buf;		/* unparsed input: buf[rpos..wpos) */
	size_t		 rpos, wpos, cap;
	size_t		 scanned;	/* bytes after rpos known to hold no \n */
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
	struct sockaddr_un sun;
	struct ctl *c;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
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
	return c;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
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
ctl_send(struct ctl *c, const char *cmd, json_t *args, long long *id)
{
	json_t *req;
	char *line;
	size_t n;
	int rc;

	req = json_pack("{s:i, s:I, s:s}", "v", CTL_VERSION, "id",
	    (json_int_t)c->next_id, "cmd", cmd);
	if (req == NULL) {
		c->err = ENOMEM;
		return CTL_EIO;
	}
	if (args)
		json_object_set(req, "args", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL) {
		c->err = ENOMEM;
		return CTL_EIO;
	}
	n = strlen(line);
	if (n + 1 > CTL_MAX_REQUEST)
		rc = CTL_ETOOBIG;
	else {
		line[n] = '\n';		/* replaces the NUL; n + 1 sent */
		rc = write_all(c, line, n + 1);
	}
	/* Requests may carry device keys: leave no copy behind. */
	explicit_bzero(line, n);
	free(line);
	if (rc == CTL_OK && id)
		*id = c->next_id;
	c->next_id++;
	return rc;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
			left = deadline - now_ms();
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

/* Room for one more chunk; the buffer only grows to the line limit. */
static int
make_room(struct ctl *c)
{
	size_t want;
	char *nb;

	if (c->rpos > 0 && (c->rpos == c->wpos || c->cap - c->wpos <
	    READ_CHUNK)) {
		memmove(c->buf, c->buf + c->rpos, c->wpos - c->rpos);
		c->wpos -= c->rpos;
		c->rpos = 0;
	}
	if (c->cap - c->wpos >= READ_CHUNK)
		return CTL_OK;
	want = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
	if (want > CTL_MAX_LINE + READ_CHUNK)
		want = CTL_MAX_LINE + READ_CHUNK;
	if (want <= c->cap) {
		snprintf(c->detail, sizeof(c->detail),
		    "a line over %u MiB", CTL_MAX_LINE >> 20);
		return CTL_EPROTO;
	}
	if ((nb = realloc(c->buf, want)) == NULL) {
		c->err = ENOMEM;
		return CTL_EIO;
	}
	c->buf = nb;
	c->cap = want;
	return CTL_OK;
}

static int
parse_line(struct ctl *c, const char *p, size_t n, json_t **msg)
{
	json_error_t jerr;
	json_t *m, *v;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	m = json_loadb(p, n, 0, &jerr);
	if (m == NULL || !json_is_object(m)) {
		snprintf(c->detail, sizeof(c->detail), "%s",
		    m ? "a line that is not a JSON object" : jerr.text);
		json_decref(m);
		return CTL_EPROTO;
	}
	/* The envelope version comes first: a newer one is not ours. */
	v = json_object_get(m, "v");
	if (v && (!json_is_integer(v) || json_integer_value(v) != CTL_VERSION)) {
		snprintf(c->detail, sizeof(c->detail),
		    "envelope version %lld (this iosctl speaks %d)",
		    json_is_integer(v) ? (long long)json_integer_value(v) : -1LL,
		    CTL_VERSION);
		json_decref(m);
		return CTL_EPROTO;
	}
	*msg = m;
	return CTL_OK;
}

int
ctl_read(struct ctl *c, int timeout_ms, const sigset_t *mask, json_t **msg)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	char *nl;
	ssize_t r;
	size_t len;
	int rc;

	*msg = NULL;
	for (;;) {
		nl = c->buf == NULL ? NULL : memchr(c->buf + c->rpos +
		    c->scanned, '\n', c->wpos - c->rpos - c->scanned);
		if (nl) {
			len = (size_t)(nl - (c->buf + c->rpos));
			rc = parse_line(c, c->buf + c->rpos, len, msg);
			c->rpos += len + 1;
			c->scanned = 0;
			return rc;
		}
		c->scanned = c->wpos - c->rpos;
		if (c->scanned > CTL_MAX_LINE) {
			snprintf(c->detail, sizeof(c->detail),
			    "a line over %u MiB", CTL_MAX_LINE >> 20);
			return CTL_EPROTO;
		}
		if ((rc = make_room(c)) != CTL_OK)
			return rc;
		if ((rc = wait_readable(c, deadline, mask)) != CTL_OK)
			return rc;
		r = read(c->fd, c->buf + c->wpos, c->cap - c->wpos);
		if (r == 0)
			return CTL_ECLOSED;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->err = errno;
			return errno == ECONNRESET ? CTL_ECLOSED : CTL_EIO;
		}
		c->wpos += (size_t)r;
	}
}

int
ctl_call(struct ctl *c, const char *cmd, json_t *args, int timeout_ms,
    json_t **reply)
{
	long long id, deadline, left;
	json_t *m;
	int rc;

	*reply = NULL;
	if ((rc = ctl_send(c, cmd, args, &id)) != CTL_OK)
		return rc;
	deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		left = -1;
		if (deadline >= 0 && (left = deadline - now_ms()) < 0)
			left = 0;
		if ((rc = ctl_read(c, (int)left, NULL, &m)) != CTL_OK)
			return rc;
		/*
		 * Events and answers to other ids are not ours. An error
		 * without an id (a line the daemon could not read) is.
		 */
		if (!ctl_is_event(m) && (ctl_msg_id(m) == id ||
		    (ctl_msg_id(m) < 0 && json_is_false(json_object_get(m,
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

bool
ctl_is_event(const json_t *msg)
{
	return json_is_string(json_object_get(msg, "event"));
}

long long
ctl_msg_id(const json_t *msg)
{
	json_t *id = json_object_get(msg, "id");

	return json_is_integer(id) ? (long long)json_integer_value(id) : -1;
}

int
ctl_reply(const json_t *reply, json_t **result, const char **code,
    const char **message)
{
	json_t *err, *mj;

	if (json_is_true(json_object_get(reply, "ok"))) {
		*result = json_object_get(reply, "result");
		return 1;
	}
	err = json_object_get(reply, "error");
	*code = json_string_value(json_object_get(err, "code"));
	mj = json_object_get(err, "message");
	if (json_is_string(mj) && json_string_length(mj) > 0)
		*message = json_string_value(mj);
	else if (*code)
		*message = *code;
	else
		*message = "the daemon refused the request";
	return 0;
}
