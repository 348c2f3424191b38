/*
 * ctl.c - control sockets: creation, JSON-lines framing, bounded output
 * with back-pressure, trace and watch streams. See doc/control.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

#define LINE_MAX_BYTES	CTLMSG_REQUEST_MAX	/* a request line */
#define OUT_PAUSE	(1u << 20)	/* stop reading requests past this */
#define OUT_RESUME	(256u << 10)
#define STALL_MS	30000		/* not reading for this long: dropped */
#define EVENT_BYTES	512		/* a trace event, roughly, for queues */

struct ctl_listener {
	struct ctl_listener *next;
	struct server *srv;
	int fd;
	ev_io io;
	char *path;
	bool read_only;
};

struct ctl_stream {
	struct ctl_stream *next;
	struct ctl_client *cl;
	json_int_t id;
	struct trace_sub *sub;		/* trace */
	ev_timer timer;			/* watch */
	size_t queue;			/* events a slow reader may owe */
	uint64_t dropped;
};

struct ctl_client {
	struct ctl_client *next, *prev;
	struct server *srv;
	int fd;
	ev_io rd, wr;
	ev_timer stall;
	bool read_only, dead, paused, skipping;
	unsigned refs;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	uint64_t progress_ms;
	struct ucred cred;
	struct ctl_stream *streams;
};

static void client_close(struct ctl_client *cl, const char *why);
static void stream_free(struct ctl_stream *s);

struct server *
ctl_server(const struct ctl_client *cl)
{
	return cl->srv;
}

/* ---- output ---- */

static size_t
pending(const struct ctl_client *cl)
{
	return cl->out_len - cl->out_off;
}

static void
flush(struct ctl_client *cl)
{
	while (pending(cl)) {
		ssize_t n = write(cl->fd, cl->out + cl->out_off, pending(cl));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(cl, "write error");
			return;
		}
		cl->out_off += (size_t)n;
		cl->progress_ms = server_now_ms(cl->srv);
	}
	if (pending(cl) == 0)
		cl->out_off = cl->out_len = 0;
	if (pending(cl)) {
		ev_io_start(cl->srv->loop, &cl->wr);
		if (!ev_is_active(&cl->stall)) {
			ev_timer_set(&cl->stall, 5.0, 5.0);
			ev_timer_start(cl->srv->loop, &cl->stall);
		}
	} else {
		ev_io_stop(cl->srv->loop, &cl->wr);
		ev_timer_stop(cl->srv->loop, &cl->stall);
	}
	/* Back-pressure: a client that does not read stops being read. */
	if (!cl->paused && pending(cl) > OUT_PAUSE) {
		cl->paused = true;
		ev_io_stop(cl->srv->loop, &cl->rd);
	} else if (cl->paused && pending(cl) < OUT_RESUME) {
		cl->paused = false;
		ev_io_start(cl->srv->loop, &cl->rd);
		/* Requests already buffered are handled on the next round. */
		ev_feed_event(cl->srv->loop, &cl->rd, EV_READ);
	}
}

/* One JSON line: whole, never interleaved with another. */
static void
send_line(struct ctl_client *cl, json_t *obj)
{
	char *text;
	size_t n;

	if (cl->dead) {
		json_decref(obj);
		return;
	}
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	json_decref(obj);
	if (text == NULL)
		return;
	n = strlen(text);
	if (cl->out_off > 0 && cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
	if (cl->out_len + n + 1 > cl->out_cap) {
		if (cl->out_off) {	/* slide what is left to the front */
			memmove(cl->out, cl->out + cl->out_off, pending(cl));
			cl->out_len -= cl->out_off;
			cl->out_off = 0;
		}
		size_t ncap = cl->out_cap;
		char *no;

		while (cl->out_len + n + 1 > ncap)
			ncap = ncap ? ncap * 2 : 4096;
		if ((no = realloc(cl->out, ncap)) == NULL) {
			free(text);
			client_close(cl, "out of memory");
			return;
		}
		cl->out = no;
		cl->out_cap = ncap;
	}
	memcpy(cl->out + cl->out_len, text, n);
	cl->out[cl->out_len + n] = '\n';
	cl->out_len += n + 1;
	free(text);
	flush(cl);
}

static json_t *
envelope(json_int_t id)
{
	json_t *o = json_object();

	json_object_set_new(o, "v", json_integer(CTLMSG_VERSION));
	json_object_set_new(o, "id", id >= 0 ? json_integer(id) : json_null());
	return o;
}

void
ctl_ok(struct ctl_client *cl, json_int_t id, json_t *result)
{
	json_t *o = envelope(id);

	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", result ? result : json_null());
	send_line(cl, o);
}

void
ctl_error(struct ctl_client *cl, json_int_t id, enum ctlmsg_err code,
    const char *fmt, ...)
{
	json_t *o = envelope(id), *e = json_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(e, "code", json_string(ctlmsg_err_name(code)));
	json_object_set_new(e, "message", json_string(msg));
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", e);
	send_line(cl, o);
}

static void
send_event(struct ctl_client *cl, const char *event, json_int_t id,
    json_t *body)
{
	json_t *o = json_object();

	json_object_set_new(o, "v", json_integer(CTLMSG_VERSION));
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "id", json_integer(id));
	if (body)
		json_object_update(o, body);
	send_line(cl, o);
}

void
ctl_log_change(const struct ctl_client *cl, const char *cmd, const char *what)
{
	char peer[96];

	ctl_peer(cl, peer, sizeof(peer));
	log_info("control: %s %s (%s)", cmd, what ? what : "", peer);
}

void
ctl_peer(const struct ctl_client *cl, char *buf, size_t len)
{
	snprintf(buf, len, "peer uid=%u gid=%u pid=%d", (unsigned)cl->cred.uid,
	    (unsigned)cl->cred.gid, (int)cl->cred.pid);
}

/* ---- holding a client for asynchronous answers ---- */

static void
client_free(struct ctl_client *cl)
{
	struct server *srv = cl->srv;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		srv->ctl_clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	free(cl->in);
	free(cl->out);
	free(cl);
}

struct ctl_client *
ctl_hold(struct ctl_client *cl)
{
	cl->refs++;
	return cl;
}

/* Freed by ctl_reap, never here: the caller may be a callback of cl. */
void
ctl_release(struct ctl_client *cl)
{
	cl->refs--;
}

void
ctl_reap(struct server *srv)
{
	struct ctl_client *cl = srv->ctl_clients, *next;

	if (!srv->ctl_dead)
		return;
	srv->ctl_dead = false;
	for (; cl; cl = next) {
		next = cl->next;
		if (!cl->dead)
			continue;
		if (cl->refs) {
			srv->ctl_dead = true;	/* an answer is still due */
			continue;
		}
		while (cl->streams) {
			struct ctl_stream *s = cl->streams;

			cl->streams = s->next;
			stream_free(s);
		}
		client_free(cl);
	}
}

/* ---- streams ---- */

static void
stream_free(struct ctl_stream *s)
{
	struct server *srv = s->cl->srv;

	if (s->sub)
		trace_detach(srv, s->sub);
	ev_timer_stop(srv->loop, &s->timer);
	free(s);
}

static void
trace_emit(void *ctx, json_t *event)
{
	struct ctl_stream *s = ctx;
	struct ctl_client *cl = s->cl;

	/* A slow reader loses events, and is told how many. */
	if (pending(cl) > s->queue * EVENT_BYTES) {
		s->dropped++;
		return;
	}
	if (s->dropped) {
		json_t *d = json_object();

		json_object_set_new(d, "count", json_integer((json_int_t)s->dropped));
		s->dropped = 0;
		send_event(cl, "dropped", s->id, d);
		json_decref(d);
	}
	send_event(cl, "trace", s->id, event);
}

static struct ctl_stream *
stream_new(struct ctl_client *cl, json_int_t id)
{
	struct ctl_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cl = cl;
	s->id = id;
	s->next = cl->streams;
	cl->streams = s;
	return s;
}

int
ctl_start_trace(struct ctl_client *cl, json_int_t id,
    const struct trace_filter *f, size_t queue)
{
	struct ctl_stream *s = stream_new(cl, id);

	if (s == NULL)
		return -1;
	s->queue = queue;
	ev_init(&s->timer, NULL);
	if ((s->sub = trace_attach(cl->srv, f, trace_emit, s)) == NULL) {
		ctl_cancel(cl, id);
		return -1;
	}
	return 0;
}

static void
watch_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_stream *s = w->data;
	json_t *m;

	(void)loop;
	(void)revents;
	if (pending(s->cl) > OUT_RESUME) {	/* no piling up */
		s->dropped++;
		return;
	}
	m = ctl_metrics(s->cl->srv);
	send_event(s->cl, "metrics", s->id, m);
	json_decref(m);
}

int
ctl_start_watch(struct ctl_client *cl, json_int_t id, unsigned ms)
{
	struct ctl_stream *s = stream_new(cl, id);

	if (s == NULL)
		return -1;
	ev_timer_init(&s->timer, watch_cb, ms / 1000.0, ms / 1000.0);
	s->timer.data = s;
	ev_timer_start(cl->srv->loop, &s->timer);
	return 0;
}

bool
ctl_cancel(struct ctl_client *cl, json_int_t stream)
{
	for (struct ctl_stream **p = &cl->streams; *p; p = &(*p)->next)
		if ((*p)->id == stream) {
			struct ctl_stream *s = *p;

			*p = s->next;
			stream_free(s);
			return true;
		}
	return false;
}

/* ---- requests ---- */

static void
dispatch(struct ctl_client *cl, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, 0, &je), *jid, *jcmd, *args;
	enum ctlmsg_cmd cmd;
	ctl_cmd_fn *run = NULL;
	json_int_t id = -1;
	char why[160];

	if (req == NULL) {
		ctl_error(cl, -1, CTLMSG_E_BAD_JSON, "%s (column %d)", je.text,
		    je.column);
		return;
	}
	jid = json_object_get(req, "id");
	jcmd = json_object_get(req, "cmd");
	args = json_object_get(req, "args");
	if (json_is_integer(jid))
		id = json_integer_value(jid);
	/* The envelope version first: a newer request is not ours. */
	if (json_is_object(req) && !ctlmsg_envelope_ok(req, "iosd", why,
	    sizeof(why))) {
		ctl_error(cl, id, CTLMSG_E_BAD_REQUEST, "%s", why);
		json_decref(req);
		return;
	}
	if (!json_is_object(req) || (jid && !json_is_integer(jid)) ||
	    !json_is_string(jcmd) || (args && !json_is_object(args))) {
		ctl_error(cl, id, CTLMSG_E_BAD_REQUEST, "expected {\"id\":N,"
		    "\"cmd\":\"...\",\"args\":{...}}");
		json_decref(req);
		return;
	}
	if ((cmd = ctlmsg_cmd_find(json_string_value(jcmd))) !=
	    CTLMSG_CMD_NONE)
		run = ctl_cmd_handler(cmd);
	if (run == NULL)
		ctl_error(cl, id, CTLMSG_E_UNKNOWN_COMMAND, "no command '%s'",
		    json_string_value(jcmd));
	else if (cl->read_only && !ctlmsg_cmd_ro(cmd))
		ctl_error(cl, id, CTLMSG_E_READ_ONLY, "'%s' changes things: not "
		    "on the read-only socket", ctlmsg_cmd_name(cmd));
	else {
		json_t *empty = args ? NULL : json_object();

		run(cl, id, args ? args : empty);
		json_decref(empty);
	}
	json_decref(req);
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *cl = w->data;
	ssize_t n;
	char *nl;

	(void)loop;
	(void)revents;
	if (cl->dead || cl->paused)
		return;
	n = read(cl->fd, cl->in + cl->in_len, LINE_MAX_BYTES + 1 - cl->in_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		client_close(cl, NULL);
		return;
	}
	if (n > 0)
		cl->in_len += (size_t)n;
	while (!cl->dead && !cl->paused &&
	    (nl = memchr(cl->in, '\n', cl->in_len)) != NULL) {
		size_t len = (size_t)(nl - cl->in);

		if (cl->skipping)
			cl->skipping = false;	/* end of an over-long line */
		else if (len > 0)
			dispatch(cl, cl->in, len);
		memmove(cl->in, nl + 1, cl->in_len - len - 1);
		cl->in_len -= len + 1;
	}
	if (cl->in_len > LINE_MAX_BYTES) {
		if (!cl->skipping)
			ctl_error(cl, -1, CTLMSG_E_TOO_LARGE, "a request line "
			    "is at most %d bytes", LINE_MAX_BYTES);
		cl->skipping = true;
		cl->in_len = 0;
	}
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	flush(w->data);
}

static void
stall_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_client *cl = w->data;

	(void)loop;
	(void)revents;
	if (pending(cl) && server_now_ms(cl->srv) - cl->progress_ms > STALL_MS)
		client_close(cl, "not reading its answers for 30 s");
}

static void
client_close(struct ctl_client *cl, const char *why)
{
	struct server *srv = cl->srv;

	if (cl->dead)
		return;
	if (why)
		log_warnx("control: client pid=%d dropped: %s",
		    (int)cl->cred.pid, why);
	/* Only marked here: we may be inside one of its callbacks, or a
	 * trace fan-out walking its streams. ctl_reap frees it later. */
	cl->dead = true;
	ev_io_stop(srv->loop, &cl->rd);
	ev_io_stop(srv->loop, &cl->wr);
	ev_timer_stop(srv->loop, &cl->stall);
	for (struct ctl_stream *s = cl->streams; s; s = s->next)
		ev_timer_stop(srv->loop, &s->timer);
	close(cl->fd);
	cl->fd = -1;
	srv->ctl_dead = true;
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_listener *l = w->data;
	struct server *srv = l->srv;
	struct ctl_client *cl;
	socklen_t sl;
	int fd;

	(void)loop;
	(void)revents;
	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			log_warnx("control: out of descriptors");
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->in = malloc(LINE_MAX_BYTES + 1)) == NULL) {
		free(cl);
		close(fd);
		log_warnx("control: out of memory: client refused");
		return;
	}
	cl->srv = srv;
	cl->fd = fd;
	cl->read_only = l->read_only;
	sl = sizeof(cl->cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->cred, &sl) < 0)
		cl->cred.pid = -1;
	ev_io_init(&cl->rd, read_cb, fd, EV_READ);
	ev_io_init(&cl->wr, write_cb, fd, EV_WRITE);
	ev_init(&cl->stall, stall_cb);
	cl->rd.data = cl->wr.data = cl->stall.data = cl;
	cl->progress_ms = server_now_ms(srv);
	cl->next = srv->ctl_clients;
	if (srv->ctl_clients)
		srv->ctl_clients->prev = cl;
	srv->ctl_clients = cl;
	ev_io_start(srv->loop, &cl->rd);
}

/* ---- sockets ---- */

json_t *
ctl_status(const struct server *srv)
{
	json_t *o = json_object(), *socks = json_array();
	size_t clients = 0;

	for (const struct ctl_listener *l = srv->ctl; l; l = l->next)
		json_array_append_new(socks, json_pack("{s:s,s:b}", "path",
		    l->path, "read_only", l->read_only));
	for (const struct ctl_client *cl = srv->ctl_clients; cl; cl = cl->next)
		clients += !cl->dead;
	json_object_set_new(o, "sockets", socks);
	json_object_set_new(o, "clients", json_integer((json_int_t)clients));
	json_object_set_new(o, "traces", json_integer((json_int_t)srv->ntraces));
	return o;
}

int
ctl_listen(struct server *srv, const char *path, bool read_only, char *err,
    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_listener *l;
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket",
			    path);
			return -1;
		}
		/* A live daemon answers: never steal its socket. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa,
		    sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: in use by a running daemon",
			    path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);	/* left by a daemon that died */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Mode 0660 from the start: never a moment with a wider one. */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->srv = srv;
	l->fd = fd;
	l->path = xstrdup(path);
	l->read_only = read_only;
	ev_io_init(&l->io, accept_cb, fd, EV_READ);
	l->io.data = l;
	ev_io_start(srv->loop, &l->io);
	l->next = srv->ctl;
	srv->ctl = l;
	log_info("control: %s%s", path, read_only ? " (read-only)" : "");
	return 0;
}

void
ctl_close_all(struct server *srv)
{
	while (srv->ctl_clients) {
		struct ctl_client *cl = srv->ctl_clients;

		cl->refs = 0;	/* nothing can answer after the loop */
		client_close(cl, NULL);
		ctl_reap(srv);
	}
	while (srv->ctl) {
		struct ctl_listener *l = srv->ctl;

		srv->ctl = l->next;
		ev_io_stop(srv->loop, &l->io);
		close(l->fd);
		unlink(l->path);
		free(l->path);
		free(l);
	}
}
