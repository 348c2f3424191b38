/*
 * ctl.c - see ctl.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define READ_CHUNK	65536
#define READ_BUDGET	(4u << 20)	/* per ctl_io: the keyboard waits */
#define LINE_MAX_BYTES	(16u << 20)	/* the longest line we accept */
#define BUSY_BYTES	16384		/* a read this big means a flood... */
#define BUSY_MS		50		/* ...so read at most 20 times a second */
#define RETRY_MIN_MS	250
#define RETRY_MAX_MS	2000
#define ANSWER_MS	10000		/* a daemon silent this long is hung */

struct pend {
	struct pend	*next;
	long long	 id;
	ctl_reply_fn	*reply;		/* NULL once answered */
	ctl_event_fn	*event;		/* streams only */
	void		*arg;
	uint64_t	 sent_ms;
};

struct ctl {
	char		*path;
	int		 fd;		/* -1 while down */
	bool		 up;
	ctl_state_fn	*state;
	void		*arg;
	long long	 next_id;
	struct pend	*pend;
	unsigned	 npending;	/* replies owed */
	struct ctlc_lines in;		/* what iosd sent, not read yet */
	char		*out;		/* queued requests: out[out_off..out_len) */
	size_t		 out_off, out_len, out_cap;
	uint64_t	 retry_at, busy_until;
	unsigned	 backoff_ms;
	char		 why[192];
};

/* When the oldest reply owed is overdue, 0 if none is owed. */
static uint64_t
answer_due(const struct ctl *c)
{
	uint64_t due = 0;

	for (const struct pend *p = c->pend; p; p = p->next)
		if (p->reply && (due == 0 || p->sent_ms + ANSWER_MS < due))
			due = p->sent_ms + ANSWER_MS;
	return due;
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		abort();	/* a console that cannot allocate cannot help */
	return q;
}

struct ctl *
ctl_new(const char *path, ctl_state_fn *state, void *arg)
{
	struct ctl *c = xrealloc(NULL, sizeof(*c));

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	c->fd = -1;
	c->state = state;
	c->arg = arg;
	c->next_id = 1;
	c->backoff_ms = RETRY_MIN_MS;
	ctlc_lines_init(&c->in, LINE_MAX_BYTES);
	snprintf(c->why, sizeof(c->why), "connecting");
	return c;
}

static void
pend_free_all(struct ctl *c, bool tell)
{
	struct pend *p = c->pend, *next;
	json_t *err = NULL;

	/* Detached first: a reply handler may send a new request. */
	c->pend = NULL;
	c->npending = 0;
	if (tell)
		err = json_pack("{s:s, s:s}", "code", "disconnected",
		    "message", c->why);
	for (; p; p = next) {
		next = p->next;
		if (tell && p->reply)
			p->reply(p->arg, false, err);
		free(p);
	}
	json_decref(err);
}

void
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	pend_free_all(c, false);
	ctlc_lines_free(&c->in);
	free(c->out);
	free(c->path);
	free(c);
}

__attribute__((format(printf, 3, 4)))
static void
conn_down(struct ctl *c, uint64_t now, const char *fmt, ...)
{
	va_list ap;
	bool was_up = c->up;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->up = false;
	ctlc_lines_reset(&c->in);
	c->out_off = c->out_len = 0;
	c->retry_at = now + c->backoff_ms;
	if (!was_up) {
		c->backoff_ms *= 2;
		if (c->backoff_ms > RETRY_MAX_MS)
			c->backoff_ms = RETRY_MAX_MS;
	}
	pend_free_all(c, true);
	if (was_up && c->state)
		c->state(c->arg, false);
}

void
ctl_step(struct ctl *c, uint64_t now)
{
	uint64_t due;
	int fd;

	/* Up but silent: a daemon that takes requests and never answers
	 * (stopped, hung) is as good as gone. */
	if (c->fd >= 0 && (due = answer_due(c)) && now >= due) {
		conn_down(c, now, "no answer from iosd in %d s",
		    ANSWER_MS / 1000);
		return;
	}
	if (c->fd >= 0 || now < c->retry_at)
		return;
	/* EAGAIN (the daemon's backlog is full) is tried again later like
	 * any failure. */
	if ((fd = ctlc_connect(c->path, true)) < 0) {
		conn_down(c, now, "%s: %s", c->path, errno == ENAMETOOLONG ?
		    "path too long" : strerror(errno));
		return;
	}
	c->fd = fd;
	c->up = true;
	c->why[0] = '\0';
	c->backoff_ms = RETRY_MIN_MS;
	c->busy_until = 0;
	if (c->state)
		c->state(c->arg, true);
}

int
ctl_fd(const struct ctl *c)
{
	return c->fd;
}

short
ctl_want(const struct ctl *c, uint64_t now)
{
	short ev = 0;

	if (c->fd < 0)
		return 0;
	if (c->out_len > c->out_off)
		ev |= POLLOUT;
	if (now >= c->busy_until || c->npending)
		ev |= POLLIN;
	return ev;
}

int
ctl_wait_ms(const struct ctl *c, uint64_t now)
{
	uint64_t due;
	int w = -1;

	if (c->fd < 0)
		return c->retry_at > now ? (int)(c->retry_at - now) : 0;
	if (c->busy_until > now)
		w = (int)(c->busy_until - now);
	if ((due = answer_due(c)) != 0) {
		int d = due > now ? (int)(due - now) : 0;

		if (w < 0 || d < w)
			w = d;
	}
	return w;
}

static struct pend *
pend_find(struct ctl *c, long long id, struct pend ***prevp)
{
	struct pend **pp;

	for (pp = &c->pend; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			if (prevp)
				*prevp = pp;
			return *pp;
		}
	return NULL;
}

/* One line from the daemon; false when the connection must go. */
static bool
dispatch(struct ctl *c, const char *line, size_t len, uint64_t now)
{
	char why[160];
	json_t *o = ctlc_parse(line, len, "iostui", why, sizeof(why));
	struct pend *p, **pp;

	if (o == NULL) {
		conn_down(c, now, "bad answer from iosd: %s", why);
		return false;
	}
	p = pend_find(c, ctlc_msg_id(o), &pp);
	if (p == NULL)
		;		/* a cancelled stream's tail, a reply to cancel */
	else if (ctlc_is_event(o)) {
		if (p->event)
			p->event(p->arg, jget_str(o, "event"), o);
	} else {
		json_t *ok = json_object_get(o, "ok");
		ctl_reply_fn *fn = p->reply;
		void *arg = p->arg;
		bool good = json_is_true(ok);

		if (fn)
			c->npending--;
		p->reply = NULL;
		/* A stream stays for its events, unless it was refused. */
		if (p->event == NULL || !good) {
			*pp = p->next;
			free(p);
		}
		if (fn)
			fn(arg, good, json_object_get(o, good ? "result" :
			    "error"));
	}
	json_decref(o);
	return true;
}

static bool
do_read(struct ctl *c, uint64_t now)
{
	size_t total = 0;

	while (total < READ_BUDGET) {
		const char *line;
		size_t len, room;
		ssize_t n;
		char *at;
		int rc;

		if ((at = ctlc_lines_room(&c->in, READ_CHUNK, &room)) == NULL)
			abort();	/* as xrealloc */
		n = read(c->fd, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_down(c, now, "read: %s", strerror(errno));
			return false;
		}
		if (n == 0) {
			conn_down(c, now, "iosd closed the control connection");
			return false;
		}
		ctlc_lines_add(&c->in, (size_t)n);
		total += (size_t)n;
		/* An enrolled key may come this way: each line is wiped
		 * once dispatched. */
		while ((rc = ctlc_lines_next(&c->in, &line, &len)) > 0)
			if (len && !dispatch(c, line, len, now))
				return false;
		if (rc < 0) {
			conn_down(c, now, "a line from iosd over %u bytes",
			    LINE_MAX_BYTES);
			return false;
		}
	}
	if (total >= BUSY_BYTES)
		c->busy_until = now + BUSY_MS;
	return true;
}

static void
do_write(struct ctl *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
		    c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_down(c, now, "write: %s", strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
}

void
ctl_io(struct ctl *c, short revents, uint64_t now)
{
	if (c->fd < 0)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		if (!do_read(c, now))
			return;
	if (c->fd >= 0 && c->out_len > c->out_off)
		do_write(c, now);
}

bool
ctl_up(const struct ctl *c)
{
	return c->up;
}

const char *
ctl_why(const struct ctl *c)
{
	return c->why;
}

uint64_t
ctl_retry_at(const struct ctl *c)
{
	return c->retry_at;
}

const char *
ctl_path(const struct ctl *c)
{
	return c->path;
}

unsigned
ctl_pending(const struct ctl *c)
{
	return c->npending;
}

static long long
send_req(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args)
{
	char *text;
	size_t len;
	long long id;

	if (!c->up) {
		json_decref(args);
		return -1;
	}
	id = c->next_id++;
	text = ctlc_request_line(cmd, id, args, &len);
	json_decref(args);
	if (text == NULL)
		return -1;
	if (c->out_cap - c->out_len < len) {
		c->out_cap = c->out_len + len + 4096;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	ctlc_line_free(text, len);
	/* Written by the next ctl_io: poll asks for POLLOUT. */
	return id;
}

static long long
add(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args, ctl_reply_fn *reply,
    ctl_event_fn *event, void *arg)
{
	long long id = send_req(c, cmd, args);
	struct pend *p;

	if (id < 0)
		return -1;
	p = xrealloc(NULL, sizeof(*p));
	p->id = id;
	p->reply = reply;
	p->event = event;
	p->arg = arg;
	p->sent_ms = ctlc_now_ms();
	p->next = c->pend;
	c->pend = p;
	if (reply)
		c->npending++;
	return id;
}

long long
ctl_request(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args,
    ctl_reply_fn *fn, void *arg)
{
	return add(c, cmd, args, fn, NULL, arg);
}

long long
ctl_stream(struct ctl *c, enum ctlmsg_cmd cmd, json_t *args,
    ctl_reply_fn *reply, ctl_event_fn *event, void *arg)
{
	return add(c, cmd, args, reply, event, arg);
}

void
ctl_cancel(struct ctl *c, long long id)
{
	struct pend *p, **pp;

	if (id < 0 || (p = pend_find(c, id, &pp)) == NULL)
		return;
	if (p->reply)
		c->npending--;
	*pp = p->next;
	free(p);
	if (c->up)
		send_req(c, CTLMSG_CMD_CANCEL, json_pack("{s:I}", "stream",
		    (json_int_t)id));
}
