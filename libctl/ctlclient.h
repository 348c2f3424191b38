/*
 * ctlclient.h - what iosctl and iostui share as clients of iosd's control
 * socket (doc/control.md): connecting, the request line, the JSON lines
 * that come back (a line buffer that yields them, whole, from reads of
 * any size), the envelope check, telling responses from events and
 * reading a reply, and the members of the daemon's JSON with defaults.
 *
 * The I/O loop stays with each program: iosctl waits for one answer at a
 * time (ppoll), iostui keeps many requests in flight from its event loop.
 */
#ifndef LIBCTL_CTLCLIENT_H
#define LIBCTL_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctlmsg.h"

/* ---- the connection ---- */

/* A socket connected to the Unix socket at path, close-on-exec, and
 * non-blocking when asked; -1 with errno (ENAMETOOLONG: over 107 bytes). */
int ctlc_connect(const char *path, bool nonblock);
/* Monotonic milliseconds, for timeouts. */
uint64_t ctlc_now_ms(void);

/* ---- requests ---- */

/*
 * The line of request id: {"v":1,"id":id,"cmd":...,"args":args} and its
 * newline (args borrowed, left out when NULL). A new string of *len
 * bytes (the newline counted, a NUL after it), or NULL when memory ran
 * out. It may carry a device key: ctlc_line_free wipes and frees it.
 */
char *ctlc_request_line(enum ctlmsg_cmd cmd, long long id, json_t *args,
    size_t *len);
void ctlc_line_free(char *line, size_t len);

/* ---- JSON lines in ---- */

/*
 * Bytes read from the socket go in at the end (ctlc_lines_room, then
 * ctlc_lines_add; or ctlc_lines_push); whole lines come out in order
 * (ctlc_lines_next). Lines handed out are wiped once done with (they
 * may carry a key), as is all of it on reset and free.
 */
struct ctlc_lines {
	char	*buf;		/* unread input: buf[rpos..wpos) */
	size_t	 rpos, wpos, cap;
	size_t	 scanned;	/* bytes after rpos known to hold no \n */
	size_t	 wiped;		/* buf[wiped..rpos): handed out, to wipe */
	size_t	 max;		/* the longest line taken */
};

void ctlc_lines_init(struct ctlc_lines *l, size_t max_line);
void ctlc_lines_reset(struct ctlc_lines *l);
void ctlc_lines_free(struct ctlc_lines *l);
/* Where to read to, at least chunk bytes (*room: how many); NULL with
 * errno ENOMEM. */
char *ctlc_lines_room(struct ctlc_lines *l, size_t chunk, size_t *room);
/* n bytes were read into the room. */
void ctlc_lines_add(struct ctlc_lines *l, size_t n);
/* The same for bytes at hand: 0, or -1 when memory ran out. */
int ctlc_lines_push(struct ctlc_lines *l, const void *data, size_t n);
/*
 * The next whole line, its "\n" (or "\r\n") cut off: 1 with *line and
 * *len (valid until the next call on l), 0 when no line is whole yet,
 * -1 when the line being read is already longer than max_line.
 */
int ctlc_lines_next(struct ctlc_lines *l, const char **line, size_t *len);
/* Bytes held that are not a whole line yet. */
size_t ctlc_lines_partial(const struct ctlc_lines *l);

/* ---- messages ---- */

/* A line as a message: a JSON object whose envelope this build speaks
 * (ctlmsg_envelope_ok; self names the program). A new reference, or NULL
 * with why. */
json_t *ctlc_parse(const char *line, size_t len, const char *self,
    char *why, size_t cap);
/* Events carry "event"; responses "ok". */
bool ctlc_is_event(const json_t *msg);
/* Its "id", -1 when it has none (an error about a line without one). */
long long ctlc_msg_id(const json_t *msg);
/*
 * 1 when the reply is ok (*result borrowed, may be NULL); 0 with its
 * error: *code as the daemon named it (NULL when it named none;
 * ctlmsg_err_find maps the names) and *message, never NULL; both
 * borrowed from reply.
 */
int ctlc_reply(const json_t *reply, json_t **result, const char **code,
    const char **message);

/* ---- members of the daemon's JSON, with a default ---- */

/* A string member; def when absent or not a string. */
const char *jget_strdef(const json_t *o, const char *key, const char *def);
/* The same with "" for def. */
const char *jget_str(const json_t *o, const char *key);
/* The same, copied into buf (cut to cap). */
void jget_copy(const json_t *o, const char *key, char *buf, size_t cap);
/* A number member, integer or real; def when there is none. */
double jget_num(const json_t *o, const char *key, double def);
/* An integer member (a real is truncated); def when there is none. */
long long jget_int(const json_t *o, const char *key, long long def);
/* 1 or 0; -1 when absent or not a boolean. */
int jget_bool(const json_t *o, const char *key);

#endif
