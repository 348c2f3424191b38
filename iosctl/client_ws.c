/*
 * client_ws.c - the WebSocket transport of netclient: an HTTP/1.1
 * upgrade request of our own (RFC 6455 4.1), its answer checked
 * (101, Upgrade, Connection, Sec-WebSocket-Accept = base64 of SHA-1 of
 * the key and the GUID), then wslay's event API in client mode, its
 * callbacks reading and writing through nc_io_read / nc_io_write.
 * Each binary (or text) message is one IOSignal message.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <wslay/wslay.h>

#include "../iosd/version.h"
#include "nc_int.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_HDR_MAX	8192		/* the upgrade answer, at most */
#define WS_MSG_MAX	(32u << 20)	/* above the largest quota (20 MiB) */

struct ws {
	char		 key[BASE64_ENCODE_RAW_LENGTH(16) + 1];
	char		 accept[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1];
	char		 hdr[WS_HDR_MAX + 1];
	size_t		 hlen;
	/* Bytes that came after the answer: wslay's before the socket's. */
	uint8_t		*pre;
	size_t		 pre_off, pre_len;
	wslay_event_context_ptr ctx;
	uint16_t	 close_code;	/* of the server's close frame */
	char		 close_reason[124];
	bool		 close_seen;
};

/* ---- wslay's callbacks ---- */

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct nc *nc = user;
	struct ws *ws = nc->tr;
	ssize_t n;

	(void)flags;
	if (ws->pre_off < ws->pre_len) {
		n = (ssize_t)(ws->pre_len - ws->pre_off < len ?
		    ws->pre_len - ws->pre_off : len);
		memcpy(buf, ws->pre + ws->pre_off, (size_t)n);
		ws->pre_off += (size_t)n;
		return n;
	}
	n = nc_io_read(nc, buf, len);
	if (n > 0)
		return n;
	if (n == 0)
		nc->eof = true;
	wslay_event_set_error(ctx, n < 0 && errno == EAGAIN ?
	    WSLAY_ERR_WOULDBLOCK : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	struct nc *nc = user;
	ssize_t n;

	(void)flags;
	n = nc_io_write(nc, data, len);
	if (n >= 0)
		return n;
	wslay_event_set_error(ctx, errno == EAGAIN ? WSLAY_ERR_WOULDBLOCK :
	    WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static int
genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	(void)ctx;
	(void)user;
	nc_random(buf, len);
	return 0;
}

static void
msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg
    *arg, void *user)
{
	struct nc *nc = user;
	struct ws *ws = nc->tr;
	size_t n;

	(void)ctx;
	switch (arg->opcode) {
	case WSLAY_BINARY_FRAME:
	case WSLAY_TEXT_FRAME:
		/* The browser client takes a text frame's bytes too. */
		if (arg->msg_length > 0)
			nc_emit(nc, NC_EV_MSG, arg->msg, arg->msg_length);
		break;
	case WSLAY_PONG:
		nc_emit(nc, NC_EV_PONG, NULL, 0);
		break;
	case WSLAY_CONNECTION_CLOSE:
		ws->close_seen = true;
		ws->close_code = arg->status_code;
		n = arg->msg_length > 2 ? arg->msg_length - 2 : 0;
		if (n >= sizeof(ws->close_reason))
			n = sizeof(ws->close_reason) - 1;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = arg->msg[2 + i];

			ws->close_reason[i] = c < ' ' || c == 0x7f ? '?' :
			    (char)c;
		}
		ws->close_reason[n] = '\0';
		break;
	default:
		break;
	}
}

static const struct wslay_event_callbacks callbacks = {
	recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, msg_cb
};

/* ---- the upgrade ---- */

static int
ws_start(struct nc *nc)
{
	struct ws *ws;
	struct sha1_ctx sha;
	uint8_t rnd[16], digest[SHA1_DIGEST_SIZE];
	char req[NC_PATH_MAX + NC_HOST_MAX + 512];
	bool v6 = strchr(nc->url.host, ':') != NULL;
	int n;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return -1;
	nc->tr = ws;
	nc_random(rnd, sizeof(rnd));
	base64_encode_raw(ws->key, sizeof(rnd), rnd);
	ws->key[BASE64_ENCODE_RAW_LENGTH(16)] = '\0';
	sha1_init(&sha);
	sha1_update(&sha, strlen(ws->key), (const uint8_t *)ws->key);
	sha1_update(&sha, strlen(WS_GUID), (const uint8_t *)WS_GUID);
	sha1_digest(&sha, sizeof(digest), digest);
	base64_encode_raw(ws->accept, sizeof(digest), digest);
	ws->accept[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = '\0';
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s%s%s:%s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "User-Agent: iosctl/%s\r\n"
	    "\r\n", nc->url.path, v6 ? "[" : "", nc->url.host, v6 ? "]" : "",
	    nc->url.port, ws->key, IOSD_VERSION);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    nc_buf_add(&nc->out, req, (size_t)n) < 0)
		return -1;
	(void)nc_flush_out(nc);
	return 0;
}

/* The value of header name in the answer's header lines, or NULL. */
static const char *
header(char *lines, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);

	for (char *l = lines; l && *l; ) {
		char *end = strstr(l, "\r\n");
		size_t ll = end ? (size_t)(end - l) : strlen(l);

		if (ll > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			size_t vl = ll - nl - 1;

			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= cap)
				vl = cap - 1;
			memcpy(val, v, vl);
			val[vl] = '\0';
			return val;
		}
		l = end ? end + 2 : NULL;
	}
	return NULL;
}

/* A comma-separated header value holds this token (any case). */
static bool
has_token(const char *list, const char *token)
{
	size_t tl = strlen(token);

	for (const char *p = list; *p; ) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, token, tl) == 0 && (p[tl] == '\0' ||
		    p[tl] == ',' || p[tl] == ' ' || p[tl] == '\t'))
			return true;
		p = strchr(p, ',');
		if (p == NULL)
			break;
	}
	return false;
}

/* The answer is whole (its header ends at end): check it, go on. */
static void
upgraded(struct nc *nc, char *end)
{
	struct ws *ws = nc->tr;
	char val[256], status[128], *lines;
	size_t sl, rest;
	int code = 0;

	*end = '\0';
	lines = strstr(ws->hdr, "\r\n");
	sl = lines ? (size_t)(lines - ws->hdr) : strlen(ws->hdr);
	snprintf(status, sizeof(status), "%.*s", (int)sl, ws->hdr);
	for (char *c = status; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	if (sscanf(ws->hdr, "HTTP/1.%*[01] %3d", &code) != 1 || code != 101) {
		nc_fail(nc, "the server refused the WebSocket upgrade: %s",
		    status);
		return;
	}
	lines = lines ? lines + 2 : end;
	if (!header(lines, "Upgrade", val, sizeof(val)) ||
	    strcasecmp(val, "websocket") != 0 ||
	    !header(lines, "Connection", val, sizeof(val)) ||
	    !has_token(val, "upgrade")) {
		nc_fail(nc, "not a WebSocket upgrade (%s)", status);
		return;
	}
	if (!header(lines, "Sec-WebSocket-Accept", val, sizeof(val)) ||
	    strcmp(val, ws->accept) != 0) {
		nc_fail(nc, "the server's Sec-WebSocket-Accept is wrong");
		return;
	}
	rest = ws->hlen - (size_t)(end + 4 - ws->hdr);
	if (rest > 0) {
		if ((ws->pre = malloc(rest)) == NULL) {
			nc_fail(nc, "out of memory");
			return;
		}
		memcpy(ws->pre, end + 4, rest);
		ws->pre_len = rest;
	}
	if (wslay_event_context_client_init(&ws->ctx, &callbacks, nc) != 0) {
		nc_fail(nc, "out of memory");
		return;
	}
	wslay_event_config_set_max_recv_msg_length(ws->ctx, WS_MSG_MAX);
	nc_opened(nc);
}

static void
upgrade_input(struct nc *nc)
{
	struct ws *ws = nc->tr;
	char *end;
	ssize_t n;

	for (;;) {
		if (ws->hlen == WS_HDR_MAX) {
			nc_fail(nc, "the server's upgrade answer is over %d "
			    "bytes", WS_HDR_MAX);
			return;
		}
		n = nc_io_read(nc, ws->hdr + ws->hlen, WS_HDR_MAX - ws->hlen);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			nc_fail(nc, "the server closed the connection during "
			    "the WebSocket upgrade%s%s", n < 0 ? ": " : "",
			    n < 0 ? nc->last_err : "");
			return;
		}
		ws->hlen += (size_t)n;
		ws->hdr[ws->hlen] = '\0';
		if ((end = strstr(ws->hdr, "\r\n\r\n")) != NULL) {
			upgraded(nc, end);
			return;
		}
	}
}

/* ---- the transport ---- */

static void
closed_check(struct nc *nc)
{
	struct ws *ws = nc->tr;

	if (nc->phase == NC_DEAD)
		return;
	if (wslay_event_want_read(ws->ctx) || wslay_event_want_write(ws->ctx))
		return;
	/* The close handshake is done both ways. */
	if (nc->phase == NC_CLOSING)
		nc_fail(nc, "closed");
	else if (ws->close_reason[0])
		nc_fail(nc, "closed by the server (%u %s)", ws->close_code,
		    ws->close_reason);
	else
		nc_fail(nc, "closed by the server (%u)", ws->close_code);
}

static void
ws_output(struct nc *nc)
{
	struct ws *ws = nc->tr;

	if (nc->phase == NC_STARTING || ws == NULL || ws->ctx == NULL) {
		(void)nc_flush_out(nc);
		return;
	}
	if (wslay_event_want_write(ws->ctx) && wslay_event_send(ws->ctx) != 0) {
		nc_fail(nc, "write: %s", nc->last_err[0] ? nc->last_err :
		    "failed");
		return;
	}
	closed_check(nc);
}

static void
ws_input(struct nc *nc)
{
	struct ws *ws = nc->tr;

	if (nc->phase == NC_STARTING) {
		upgrade_input(nc);
		/* What came after the answer, in our buffer or GnuTLS's,
		 * which poll does not see: read it now. */
		if (nc->phase != NC_OPEN)
			return;
	}
	if (wslay_event_recv(ws->ctx) != 0 && nc->phase != NC_DEAD) {
		if (nc->eof && ws->close_seen)
			closed_check(nc);
		if (nc->eof)
			nc_fail(nc, nc->phase == NC_CLOSING ? "closed" :
			    "the server closed the connection");
		else
			nc_fail(nc, "%s", nc->last_err[0] ? nc->last_err :
			    "WebSocket protocol error");
		return;
	}
	if (nc->phase == NC_DEAD)
		return;
	/* Pongs to the server's pings, close replies. */
	ws_output(nc);
}

static short
ws_events(const struct nc *nc)
{
	const struct ws *ws = nc->tr;
	short ev = 0;

	if (ws == NULL || ws->ctx == NULL)
		return (short)(POLLIN | (nc_buf_pending(&nc->out) ? POLLOUT :
		    0));
	if (wslay_event_want_read(ws->ctx))
		ev |= POLLIN;
	if (wslay_event_want_write(ws->ctx))
		ev |= POLLOUT;
	return ev;
}

static int
ws_send(struct nc *nc, const uint8_t *data, size_t len)
{
	struct ws *ws = nc->tr;
	struct wslay_event_msg m = { WSLAY_BINARY_FRAME, data, len };

	if (wslay_event_queue_msg(ws->ctx, &m) != 0)
		return -1;
	ws_output(nc);
	return 0;
}

static bool
ws_flushed(const struct nc *nc)
{
	const struct ws *ws = nc->tr;

	return ws == NULL || ws->ctx == NULL ||
	    !wslay_event_want_write(ws->ctx);
}

static void
ws_shutdown(struct nc *nc)
{
	struct ws *ws = nc->tr;

	(void)wslay_event_queue_close(ws->ctx, WSLAY_CODE_NORMAL_CLOSURE,
	    NULL, 0);
	ws_output(nc);
}

static void
ws_free(struct nc *nc)
{
	struct ws *ws = nc->tr;

	if (ws->ctx)
		wslay_event_context_free(ws->ctx);
	free(ws->pre);
	free(ws);
	nc->tr = NULL;
}

const struct nc_ops nc_ws_ops = {
	"ws", ws_start, ws_input, ws_output, ws_events, ws_send, ws_flushed,
	ws_shutdown, ws_free
};
