/*
 * ctlclient.c - see ctlclient.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"

/* ---- the connection ---- */

int
ctlc_connect(const char *path, bool nonblock)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	/* A Unix socket connects at once or not at all, even non-blocking
	 * (EAGAIN: the daemon's backlog is full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

uint64_t
ctlc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- requests ---- */

char *
ctlc_request_line(enum ctlmsg_cmd cmd, long long id, json_t *args,
    size_t *len)
{
	const char *name = ctlmsg_cmd_name(cmd);
	json_t *req;
	char *text, *line;
	size_t n;

	if (name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	req = json_pack("{s:i, s:I, s:s}", "v", CTLMSG_VERSION, "id",
	    (json_int_t)id, "cmd", name);
	if (req == NULL || (args && json_object_set(req, "args", args) < 0)) {
		json_decref(req);
		errno = ENOMEM;
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(text);
	if ((line = malloc(n + 2)) != NULL) {
		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		*len = n + 1;
	} else
		errno = ENOMEM;
	explicit_bzero(text, n);
	free(text);
	return line;
}

void
ctlc_line_free(char *line, size_t len)
{
	if (line == NULL)
		return;
	explicit_bzero(line, len);
	free(line);
}

/* ---- JSON lines in ---- */

void
ctlc_lines_init(struct ctlc_lines *l, size_t max_line)
{
	memset(l, 0, sizeof(*l));
	l->max = max_line;
}

/* What was handed out is not needed any more. */
static void
wipe_done(struct ctlc_lines *l)
{
	if (l->rpos > l->wiped)
		explicit_bzero(l->buf + l->wiped, l->rpos - l->wiped);
	l->wiped = l->rpos;
}

void
ctlc_lines_reset(struct ctlc_lines *l)
{
	if (l->buf)
		explicit_bzero(l->buf, l->wpos);
	l->rpos = l->wpos = l->scanned = l->wiped = 0;
}

void
ctlc_lines_free(struct ctlc_lines *l)
{
	ctlc_lines_reset(l);
	free(l->buf);
	l->buf = NULL;
	l->cap = 0;
}

char *
ctlc_lines_room(struct ctlc_lines *l, size_t chunk, size_t *room)
{
	wipe_done(l);
	/* Slide what is unread to the front before growing. */
	if (l->rpos > 0 && (l->rpos == l->wpos || l->cap - l->wpos < chunk)) {
		size_t n = l->wpos - l->rpos;

		memmove(l->buf, l->buf + l->rpos, n);
		explicit_bzero(l->buf + n, l->wpos - n);
		l->wpos = n;
		l->rpos = l->wiped = 0;
	}
	if (l->cap - l->wpos < chunk) {
		/* Doubling, up to one chunk past the longest line. */
		size_t want = l->cap ? l->cap * 2 : 2 * chunk;
		char *nb;

		if (want > l->max + chunk)
			want = l->max + chunk;
		if (want < l->wpos + chunk)
			want = l->wpos + chunk;
		/* Not realloc: the old copy is wiped before it is freed. */
		if ((nb = malloc(want)) == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		if (l->buf) {
			memcpy(nb, l->buf, l->wpos);
			explicit_bzero(l->buf, l->wpos);
			free(l->buf);
		}
		l->buf = nb;
		l->cap = want;
	}
	*room = l->cap - l->wpos;
	return l->buf + l->wpos;
}

void
ctlc_lines_add(struct ctlc_lines *l, size_t n)
{
	l->wpos += n;
}

int
ctlc_lines_push(struct ctlc_lines *l, const void *data, size_t n)
{
	size_t room;
	char *p = ctlc_lines_room(l, n, &room);

	if (p == NULL)
		return -1;
	memcpy(p, data, n);
	ctlc_lines_add(l, n);
	return 0;
}

int
ctlc_lines_next(struct ctlc_lines *l, const char **line, size_t *len)
{
	char *start, *nl;
	size_t n;

	wipe_done(l);
	if (l->wpos == l->rpos + l->scanned)
		return l->scanned > l->max ? -1 : 0;
	start = l->buf + l->rpos;
	nl = memchr(start + l->scanned, '\n', l->wpos - l->rpos - l->scanned);
	if (nl == NULL) {
		l->scanned = l->wpos - l->rpos;
		return l->scanned > l->max ? -1 : 0;
	}
	n = (size_t)(nl - start);
	l->rpos += n + 1;
	l->scanned = 0;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	*line = start;
	*len = n;
	return 1;
}

size_t
ctlc_lines_partial(const struct ctlc_lines *l)
{
	return l->wpos - l->rpos;
}

/* ---- messages ---- */

json_t *
ctlc_parse(const char *line, size_t len, const char *self, char *why,
    size_t cap)
{
	json_error_t jerr;
	json_t *m = json_loadb(line, len, 0, &jerr);

	if (m == NULL || !json_is_object(m)) {
		snprintf(why, cap, "%s", m ?
		    "a line that is not a JSON object" : jerr.text);
		json_decref(m);
		return NULL;
	}
	/* The envelope version comes first: a newer one is not ours. */
	if (!ctlmsg_envelope_ok(m, self, why, cap)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

bool
ctlc_is_event(const json_t *msg)
{
	return json_is_string(json_object_get(msg, "event"));
}

long long
ctlc_msg_id(const json_t *msg)
{
	json_t *id = json_object_get(msg, "id");

	return json_is_integer(id) ? (long long)json_integer_value(id) : -1;
}

int
ctlc_reply(const json_t *reply, json_t **result, const char **code,
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

/* ---- members of the daemon's JSON ---- */

const char *
jget_strdef(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

const char *
jget_str(const json_t *o, const char *key)
{
	return jget_strdef(o, key, "");
}

void
jget_copy(const json_t *o, const char *key, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", jget_str(o, key));
}

double
jget_num(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

long long
jget_int(const json_t *o, const char *key, long long def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : def;
}

int
jget_bool(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}
