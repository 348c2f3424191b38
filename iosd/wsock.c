/*
 * wsock.c - WebSocket: HTTP/1.1 upgrade, then wslay in no-buffering mode,
 * so a message is assembled in a per-connection buffer that is reused and
 * never exceeds the session's size limit. wslay never touches the socket
 * for writing: what it sends (pong, close) lands in the connection's
 * queue, in order with the data frames iosd frames itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <wslay/wslay.h>

#include "bufmem.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "wsock.h"

#define HS_MAX		8192	/* bytes of request line + headers */
#define HTTP_MAX_REQS	1000	/* plain requests on one connection */
#define RX_MIN		1024
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct ws_state {
	wslay_event_context_ptr ctx;
	char *hs;		/* handshake bytes, freed once upgraded */
	size_t hs_len;
	const uint8_t *left;	/* bytes read past the handshake */
	size_t left_len;
	uint8_t *rx;		/* message being assembled */
	size_t rx_len, rx_cap;
	uint8_t rx_opcode;	/* 1 text, 2 binary, 0 none */
	bool frame_data;	/* current frame belongs to a data message */
	bool frame_fin;
	bool refused;		/* message over the limit: reading stopped */
	bool http_next;		/* a plain request answered: wait for more */
	struct http_body *http_body;	/* a request's body coming (http.h) */
	unsigned http_reqs;
	uint8_t cur_opcode;	/* of the frame being received */
	uint8_t close_rx[2];	/* a received close frame's code */
	uint8_t close_rx_len;
	/* What wslay sends (control frames, header and payload apart) is
	 * looked at on its way out, so that every close frame carries a
	 * code and a reason, whoever detected the error. */
	uint8_t out_pass;	/* payload bytes of a ping to pass on */
	uint8_t out_drop;	/* ... of wslay's pong, to drop */
	bool out_close;		/* a close frame's payload is being held */
	uint8_t out_need, out_have;
	uint8_t out_buf[125];
	/* Why, when wslay's close says only 1002 or 1007, or nothing for
	 * an error wslay reports without a code. */
	const char *proto_reason, *utf8_reason;
	bool force_proto;
};

static size_t
ws_frame_header(uint8_t hdr[TRANSPORT_HDR_MAX], size_t len)
{
	hdr[0] = 0x82;		/* FIN, binary */
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

/* The request is read and answered: its buffer goes. */
static void
hs_release(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (ws->hs == NULL)
		return;
	free(ws->hs);
	ws->hs = NULL;
	bufmem_shrink(c->srv, c, HS_MAX + 1);
}

static void ws_readable(struct conn *c);

/* ---- wslay callbacks ---- */

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct conn *c = user;
	struct ws_state *ws = c->tp;
	ssize_t n;

	(void)flags;
	if (ws->left_len) {
		n = (ssize_t)(len < ws->left_len ? len : ws->left_len);
		memcpy(buf, ws->left, (size_t)n);
		ws->left += n;
		ws->left_len -= (size_t)n;
		if (ws->left_len == 0)
			hs_release(c);
		return n;
	}
	n = conn_read(c, buf, len);
	if (n > 0) {
		c->rx_bytes += (uint64_t)n;
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	c->eof = true;
	wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

/* A ping or pong of ours, straight into the send queue. */
static void
control_frame(struct conn *c, uint8_t first, const uint8_t *p, size_t n)
{
	uint8_t f[2 + 125];

	if (n > 125)
		n = 125;
	f[0] = first;
	f[1] = (uint8_t)n;
	if (n)
		memcpy(f + 2, p, n);
	conn_send_raw(c, f, 2 + n);
}

/* The reason sent with a close code when nobody gave one. */
static const char *
close_text(uint16_t code)
{
	switch (code) {
	case WS_CLOSE_PROTOCOL:
		return "protocol error";
	case WS_CLOSE_BAD_DATA:
		return "invalid UTF-8";
	case WS_CLOSE_TOO_BIG:
		return "message too big";
	case WS_CLOSE_POLICY:
		return "policy violation";
	default:
		return NULL;
	}
}

size_t
wsock_close_frame(uint8_t out[WS_CLOSE_FRAME_MAX], uint16_t code,
    const char *reason)
{
	size_t rl = reason ? strlen(reason) : 0;

	if (code == 0) {
		out[0] = 0x88;
		out[1] = 0;
		return 2;
	}
	if (rl > 123)
		rl = 123;	/* a control frame carries at most 125 bytes */
	/* Never cut a reason inside a UTF-8 sequence. */
	while (rl > 0 && !utf8_valid((const uint8_t *)reason, rl))
		rl--;
	out[0] = 0x88;
	out[1] = (uint8_t)(2 + rl);
	out[2] = (uint8_t)(code >> 8);
	out[3] = (uint8_t)code;
	if (rl)
		memcpy(out + 4, reason, rl);
	return 4 + rl;
}

/* wslay's close frame, complete: sent as it is, or with the code of an
 * error we saw and a reason added. */
static void
emit_close(struct conn *c)
{
	struct ws_state *ws = c->tp;
	uint8_t f[WS_CLOSE_FRAME_MAX];
	uint16_t code = ws->out_have >= 2 ? (uint16_t)(ws->out_buf[0] << 8 |
	    ws->out_buf[1]) : 0;
	const char *reason;
	size_t n;

	ws->out_close = false;
	if (ws->out_have > 2 || (code == 0 && !ws->force_proto)) {
		/* An echo of the peer's close, or ours with its reason. */
		f[0] = 0x88;
		f[1] = ws->out_have;
		memcpy(f + 2, ws->out_buf, ws->out_have);
		conn_send_raw(c, f, 2u + ws->out_have);
		return;
	}
	if (code == 0)
		code = WS_CLOSE_PROTOCOL;
	reason = code == WS_CLOSE_PROTOCOL ? ws->proto_reason :
	    code == WS_CLOSE_BAD_DATA ? ws->utf8_reason : NULL;
	if (reason == NULL)
		reason = close_text(code);
	n = wsock_close_frame(f, code, reason);
	conn_send_raw(c, f, n);
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	struct conn *c = user;
	struct ws_state *ws = c->tp;
	size_t done = 0;

	(void)ctx;
	(void)flags;
	while (done < len) {
		const uint8_t *p = data + done;
		size_t n = len - done;

		if (ws->out_pass) {
			if (n > ws->out_pass)
				n = ws->out_pass;
			conn_send_raw(c, p, n);
			ws->out_pass -= (uint8_t)n;
		} else if (ws->out_drop) {
			if (n > ws->out_drop)
				n = ws->out_drop;
			ws->out_drop -= (uint8_t)n;
		} else if (ws->out_close) {
			if (n > (size_t)(ws->out_need - ws->out_have))
				n = ws->out_need - ws->out_have;
			memcpy(ws->out_buf + ws->out_have, p, n);
			ws->out_have += (uint8_t)n;
			if (ws->out_have == ws->out_need)
				emit_close(c);
		} else {
			/* A header: server frames are unmasked control
			 * frames, 2 bytes, as wslay sends them. */
			if (n < 2) {
				conn_send_raw(c, p, n);
				break;
			}
			n = 2;
			if ((p[0] & 0x0f) == WSLAY_CONNECTION_CLOSE) {
				ws->out_close = true;
				ws->out_need = p[1] & 0x7f;
				ws->out_have = 0;
				if (ws->out_need == 0)
					emit_close(c);
			} else if ((p[0] & 0x0f) == WSLAY_PONG) {
				/* wslay's answer to a ping: ours went out
				 * already (msg_recv_cb); swallow its bytes. */
				ws->out_drop = p[1] & 0x7f;
			} else {
				conn_send_raw(c, p, 2);
				ws->out_pass = p[1] & 0x7f;
			}
		}
		done += n;
	}
	return (ssize_t)len;
}

/* RFC 6455 7.4, as wslay checks it: the codes a peer may send. */
static bool
close_code_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1011 && (code < 1004 ||
	    code > 1006)) || (code >= 3000 && code <= 4999);
}

static void
refuse(struct conn *c, enum drop_reason why, int code, const char *reason)
{
	struct ws_state *ws = c->tp;

	if (ws->refused)
		return;
	ws->refused = true;
	c->srv->m.drops[why]++;
	if (log_allow(LC_DROP))
		log_info("conn=%u cid=%s addr=%s refused: %s", c->ssid,
		    c->s->cid[0] ? c->s->cid : "-", c->ip, reason);
	wslay_event_shutdown_read(ws->ctx);
	wslay_event_queue_close(ws->ctx, (uint16_t)code,
	    (const uint8_t *)reason, strlen(reason));
}

static void
frame_start_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
	struct conn *c = user;
	struct ws_state *ws = c->tp;

	(void)ctx;
	ws->cur_opcode = arg->opcode;
	ws->frame_fin = arg->fin;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		ws->close_rx_len = 0;
		ws->utf8_reason = "invalid UTF-8 in the close reason";
		if (arg->payload_length == 1) {
			ws->force_proto = true;
			ws->proto_reason = "close frame with a 1-byte payload";
		}
	}
	ws->frame_data = arg->opcode == WSLAY_TEXT_FRAME ||
	    arg->opcode == WSLAY_BINARY_FRAME ||
	    arg->opcode == WSLAY_CONTINUATION_FRAME;
	if (!ws->frame_data || ws->refused)
		return;
	if (arg->opcode != WSLAY_CONTINUATION_FRAME) {
		ws->rx_opcode = arg->opcode;
		ws->rx_len = 0;
	}
	/* Refuse from the header, before a byte of it is buffered. */
	if (arg->payload_length > c->s->max_signal - ws->rx_len) {
		if (ws->rx_opcode == WSLAY_BINARY_FRAME) {
			static const uint8_t over = IOS_OVER_SIZE;
			session_send_plain(c, &over, 1);
		}
		refuse(c, DROP_OVERSIZE, WS_CLOSE_TOO_BIG, "message too big");
		return;
	}
	/* The buffer grows as the bytes come (frame_chunk_cb), never from
	 * the length a header claims. */
}

/* Room for n more bytes of the message: false when out of memory or
 * over the buffer budget (c is then closed). */
static bool
rx_room(struct conn *c, size_t n)
{
	struct ws_state *ws = c->tp;
	size_t ncap;
	uint8_t *nb;

	if (n <= ws->rx_cap - ws->rx_len)
		return true;
	ncap = ws->rx_cap ? ws->rx_cap : RX_MIN;
	while (ncap - ws->rx_len < n)
		ncap *= 2;
	if (ncap > c->s->max_signal)
		ncap = c->s->max_signal;	/* the header check keeps n within */
	if (!bufmem_grow(c->srv, c, ncap - ws->rx_cap))
		return false;
	if ((nb = realloc(ws->rx, ncap)) == NULL) {
		bufmem_shrink(c->srv, c, ncap - ws->rx_cap);
		conn_nomem(c, "out of memory (WebSocket message)");
		return false;
	}
	ws->rx = nb;
	ws->rx_cap = ncap;
	return true;
}

static void
rx_release(struct conn *c)
{
	struct ws_state *ws = c->tp;

	bufmem_shrink(c->srv, c, ws->rx_cap);
	free(ws->rx);
	ws->rx = NULL;
	ws->rx_cap = 0;
}

static void
frame_chunk_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
	struct conn *c = user;
	struct ws_state *ws = c->tp;

	if (ws->cur_opcode == WSLAY_CONNECTION_CLOSE) {
		/* Its code, checked before wslay answers it. */
		for (size_t i = 0; i < arg->data_length &&
		    ws->close_rx_len < 2; i++)
			ws->close_rx[ws->close_rx_len++] = arg->data[i];
		if (ws->close_rx_len == 2 && !close_code_valid((uint16_t)(
		    ws->close_rx[0] << 8 | ws->close_rx[1])))
			ws->proto_reason = "close code not allowed on the wire";
		return;
	}
	ws->utf8_reason = "invalid UTF-8 in a text message";
	if (!ws->frame_data || ws->refused || c->doomed ||
	    arg->data_length == 0)
		return;		/* an empty fragment may come before any buffer */
	if (arg->data_length > c->s->max_signal - ws->rx_len)
		return;		/* cannot happen: checked from the header */
	if (!rx_room(c, arg->data_length)) {
		wslay_event_shutdown_read(ctx);
		return;
	}
	memcpy(ws->rx + ws->rx_len, arg->data, arg->data_length);
	ws->rx_len += arg->data_length;
}

static void
frame_end_cb(wslay_event_context_ptr ctx, void *user)
{
	struct conn *c = user;
	struct ws_state *ws = c->tp;

	(void)ctx;
	if (!ws->frame_data || !ws->frame_fin || ws->refused ||
	    c->state != CONN_OPEN)
		return;
	c->s->alive = true;
	if (ws->rx_opcode == WSLAY_BINARY_FRAME) {
		if (ws->rx_len == 0)
			return;		/* empty binary: ignored */
		conn_message(c, ws->rx, ws->rx_len);
	} else {
		if (!utf8_valid(ws->rx, ws->rx_len)) {
			refuse(c, DROP_BAD_FRAME, WS_CLOSE_BAD_DATA,
			    "invalid UTF-8 in a text frame");
			return;
		}
		/* The reference hands text to the application; no reply. */
		c->srv->m.drops[DROP_TEXT_FRAME]++;
		c->rx_msgs++;
	}
	ws->rx_opcode = 0;
	/* Give back a large buffer once it is no longer needed. */
	if (ws->rx_cap > 65536)
		rx_release(c);
	ws->rx_len = 0;
}

static void
msg_recv_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct conn *c = user;

	(void)ctx;
	switch (arg->opcode) {
	case WSLAY_PING:
		/* Answered now, in order with what this batch of input
		 * makes us send (wslay's own pong is dropped in send_cb). */
		if (!((struct ws_state *)c->tp)->refused && !wslay_event_get_close_sent(ctx))
			control_frame(c, 0x8a, arg->msg, arg->msg_length);
		c->s->alive = true;
		break;
	case WSLAY_PONG:
		c->s->alive = true;
		break;
	case WSLAY_CONNECTION_CLOSE:
		log_debug("conn=%u close frame code=%u", c->ssid,
		    arg->status_code);
		break;
	default:
		break;
	}
}

static const struct wslay_event_callbacks callbacks = {
	.recv_callback = recv_cb,
	.send_callback = send_cb,
	.on_frame_recv_start_callback = frame_start_cb,
	.on_frame_recv_chunk_callback = frame_chunk_cb,
	.on_frame_recv_end_callback = frame_end_cb,
	.on_msg_recv_callback = msg_recv_cb,
};

/* ---- HTTP upgrade ---- */

static void
http_reply(struct conn *c, int status, const char *text, const char *why,
    const char *extra)
{
	char buf[512];
	int n;

	if (why == NULL)
		why = text;
	n = snprintf(buf, sizeof(buf),
	    "HTTP/1.1 %d %s\r\nConnection: close\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s\n",
	    status, text, strlen(why) + 1, extra ? extra : "", why);
	conn_send_raw(c, buf, (size_t)n);
	conn_fail(c, DROP_HANDSHAKE, 0, why);
}

static bool
token_in(const char *list, const char *token)
{
	size_t tl = strlen(token);

	while (*list) {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		if (strncasecmp(list, token, tl) == 0 &&
		    (list[tl] == '\0' || list[tl] == ',' || list[tl] == ' ' ||
		    list[tl] == '\t'))
			return true;
		while (*list && *list != ',')
			list++;
	}
	return false;
}

struct hs_fields {
	const char *host, *upgrade, *connection, *key, *version;
	const char *xff, *xfp;
	const char *content_length, *transfer_encoding;
	const char *authorization;
	const char *origin;
};

/* Split "Name: value" lines in place; false on a malformed line. */
static bool
parse_headers(char *p, struct hs_fields *h)
{
	while (*p) {
		char *eol = strstr(p, "\r\n"), *colon, *v, *e;

		if (eol == NULL)
			return false;
		*eol = '\0';
		if (*p == ' ' || *p == '\t')
			return false;	/* obsolete line folding */
		colon = strchr(p, ':');
		if (colon == NULL || colon == p)
			return false;
		*colon = '\0';
		for (char *q = p; *q; q++)
			if (!isgraph((unsigned char)*q))
				return false;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (strcasecmp(p, "host") == 0) {
			if (h->host)
				return false;	/* RFC 7230 5.4: one Host */
			h->host = v;
		} else if (strcasecmp(p, "upgrade") == 0)
			h->upgrade = v;
		else if (strcasecmp(p, "connection") == 0)
			h->connection = v;
		else if (strcasecmp(p, "sec-websocket-key") == 0)
			h->key = v;
		else if (strcasecmp(p, "sec-websocket-version") == 0)
			h->version = v;
		else if (strcasecmp(p, "x-forwarded-for") == 0)
			h->xff = v;
		else if (strcasecmp(p, "x-forwarded-proto") == 0)
			h->xfp = v;
		else if (strcasecmp(p, "content-length") == 0)
			h->content_length = v;
		else if (strcasecmp(p, "transfer-encoding") == 0)
			h->transfer_encoding = v;
		else if (strcasecmp(p, "authorization") == 0)
			h->authorization = v;
		else if (strcasecmp(p, "origin") == 0)
			h->origin = v;
		p = eol + 2;
	}
	return true;
}

static bool
key_valid(const char *key)
{
	struct base64_decode_ctx b;
	uint8_t out[BASE64_DECODE_LENGTH(24)];
	size_t n = sizeof(out);

	if (strlen(key) != 24)
		return false;
	base64_decode_init(&b);
	return base64_decode_update(&b, &n, out, 24, key) &&
	    base64_decode_final(&b) && n == 16;
}

/* --allowed-origin: a browser's Origin must be one of them (compared
 * without regard to case); no Origin header (not a browser) and no
 * --allowed-origin at all are allowed. */
static bool
origin_allowed(const struct options *o, const char *origin)
{
	if (o->norigins == 0 || origin == NULL)
		return true;
	for (size_t i = 0; i < o->norigins; i++)
		if (strcasecmp(o->origins[i], origin) == 0)
			return true;
	return false;
}

/* Behind a trusted proxy, its X-Forwarded-* headers name the client,
 * who is admitted then (admit.h): false when it is refused. */
static bool
apply_forwarded(struct conn *c, const struct hs_fields *h)
{
	const struct sockaddr *sa = (const struct sockaddr *)&c->peer;
	const uint8_t *a;
	uint8_t bin[16];
	char first[64];
	enum admit_reason why;
	int family;
	size_t n;

	if (sa->sa_family == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return true;
	if (!options_proxy_trusted(&c->srv->opt, sa->sa_family, a))
		return true;
	if (h->xfp && strcasecmp(h->xfp, "https") == 0)
		c->tls = true;
	if (h->xff == NULL)
		return true;
	n = strcspn(h->xff, ", ");
	if (n == 0 || n >= sizeof(first))
		return true;
	memcpy(first, h->xff, n);
	first[n] = '\0';
	if (inet_pton(AF_INET, first, bin) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, first, bin) == 1)
		family = AF_INET6;
	else
		return true;
	snprintf(c->ip, sizeof(c->ip), "%s", first);
	tag_home_prefix(family, bin, c->home);
	why = admit_forwarded(c->srv, c, family, bin);
	if (why == ADMIT_BANNED) {
		http_reply(c, 403, "Forbidden", "this address is banned", NULL);
		return false;
	}
	if (why != ADMIT_OK) {
		http_reply(c, 503, "Service Unavailable", why == ADMIT_RATE ?
		    "too many new connections from this address" :
		    "too many connections from this address",
		    "Retry-After: 5\r\n");
		return false;
	}
	return true;
}

/*
 * A request without an upgrade: monitoring and the HTTP API (http.c).
 * Keep-alive as HTTP says, but not after a request with a body nor past
 * HTTP_MAX_REQS; a body is read as it comes (http_body_read).
 */
static void
plain_request(struct conn *c, char *line, char *sp1, char *sp2,
    const struct hs_fields *h, size_t hdr_end)
{
	struct ws_state *ws = c->tp;
	bool http11 = strcmp(sp2 + 1, "HTTP/1.1") == 0, keep;
	struct http_req r;

	*sp1 = '\0';
	*sp2 = '\0';
	if (h->connection)
		keep = http11 ? !token_in(h->connection, "close") :
		    token_in(h->connection, "keep-alive");
	else
		keep = http11;
	if (h->transfer_encoding || (h->content_length &&
	    strcmp(h->content_length, "0") != 0))
		keep = false;
	if (++ws->http_reqs >= HTTP_MAX_REQS)
		keep = false;
	r = (struct http_req){ .method = line, .target = sp1 + 1,
	    .authorization = h->authorization,
	    .content_length = h->content_length,
	    .transfer_encoding = h->transfer_encoding, .keep = keep };
	switch (http_request(c, &r, (const uint8_t *)ws->hs + hdr_end,
	    ws->hs_len - hdr_end, &ws->http_body)) {
	case HTTP_KEEP:
		ws->http_next = true;
		break;
	case HTTP_BODY:		/* handshake_read goes on with it */
		break;
	case HTTP_CLOSE:
		conn_close(c, true, 0, "HTTP request answered");
		break;
	}
}

static void
upgrade(struct conn *c, size_t hdr_end)
{
	struct ws_state *ws = c->tp;
	struct hs_fields h = { 0 };
	char *line = ws->hs, *eol, *sp1, *sp2, accept[29], resp[256];
	struct sha1_ctx sha;
	uint8_t digest[SHA1_DIGEST_SIZE];
	int n;

	ws->hs[hdr_end - 2] = '\0';	/* keep the last header's CRLF */
	eol = strstr(line, "\r\n");
	if (eol == NULL) {
		http_reply(c, 400, "Bad Request", NULL, NULL);
		return;
	}
	*eol = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		http_reply(c, 400, "Bad Request", NULL, NULL);
		return;
	}
	if (!parse_headers(eol + 2, &h)) {
		http_reply(c, 400, "Bad Request", NULL, NULL);
		return;
	}
	/* RFC 7230 5.4 and RFC 6455 4.1: HTTP/1.1 requires Host. */
	if (h.host == NULL && strcmp(sp2 + 1, "HTTP/1.1") == 0) {
		http_reply(c, 400, "Bad Request", "no Host header", NULL);
		return;
	}
	if (h.upgrade == NULL) {
		plain_request(c, line, sp1, sp2, &h, hdr_end);
		return;
	}
	if ((size_t)(sp1 - line) != 3 || strncmp(line, "GET", 3) != 0) {
		http_reply(c, 405, "Method Not Allowed", NULL, "Allow: GET\r\n");
		return;
	}
	if (strcmp(sp2 + 1, "HTTP/1.1") != 0 || h.upgrade == NULL ||
	    !token_in(h.upgrade, "websocket") || h.connection == NULL ||
	    !token_in(h.connection, "upgrade")) {
		http_reply(c, 426, "Upgrade Required", NULL,
		    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
		return;
	}
	if (h.version == NULL || strcmp(h.version, "13") != 0) {
		http_reply(c, 426, "Upgrade Required", NULL,
		    "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (h.key == NULL || !key_valid(h.key)) {
		http_reply(c, 400, "Bad Request", NULL, NULL);
		return;
	}
	if (!origin_allowed(&c->srv->opt, h.origin)) {
		http_reply(c, 403, "Forbidden", "origin not allowed", NULL);
		return;
	}
	if (!apply_forwarded(c, &h))
		return;

	sha1_init(&sha);
	sha1_update(&sha, strlen(h.key), (const uint8_t *)h.key);
	sha1_update(&sha, strlen(WS_GUID), (const uint8_t *)WS_GUID);
	sha1_digest(&sha, SHA1_DIGEST_SIZE, digest);
	base64_encode_raw(accept, SHA1_DIGEST_SIZE, digest);
	accept[28] = '\0';
	if (wslay_event_context_server_init(&ws->ctx, &callbacks, c) != 0) {
		ws->ctx = NULL;
		conn_nomem(c, "out of memory (WebSocket)");
		return;
	}
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	conn_send_raw(c, resp, (size_t)n);
	wslay_event_config_set_no_buffering(ws->ctx, 1);
	/* The limit is ours (frame_start_cb answers OVER_SIZE, then 1009);
	 * wslay would check first and close without the OVER_SIZE. */
	wslay_event_config_set_max_recv_msg_length(ws->ctx, UINT64_MAX >> 1);
	/* What the client sent after the request is the first frames. */
	ws->left = (const uint8_t *)ws->hs + hdr_end;
	ws->left_len = ws->hs_len - hdr_end;
	if (ws->left_len == 0)
		hs_release(c);
	ev_timer_stop(c->srv->loop, &c->timer);
	c->state = CONN_OPEN;
	conn_opened(c);
}

static void
handshake_read(struct conn *c)
{
	struct ws_state *ws = c->tp;
	ssize_t n;
	char *end;

	if (ws->http_body) {
		if (http_body_read(c, &ws->http_body) == HTTP_CLOSE)
			conn_close(c, true, 0, "HTTP request answered");
		return;
	}
	if (ws->hs == NULL) {
		if (!bufmem_grow(c->srv, c, HS_MAX + 1))
			return;
		if ((ws->hs = malloc(HS_MAX + 1)) == NULL) {
			bufmem_shrink(c->srv, c, HS_MAX + 1);
			conn_nomem(c, "out of memory (handshake)");
			return;
		}
	}
	n = conn_read(c, ws->hs + ws->hs_len, HS_MAX - ws->hs_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->eof = true;
		conn_close(c, false, 0, "closed during handshake");
		return;
	}
	if (n < 0)
		return;
	c->rx_bytes += (uint64_t)n;
	ws->hs_len += (size_t)n;
	ws->hs[ws->hs_len] = '\0';
	for (;;) {
		size_t hdr_end;

		/* Only the request may not hold a NUL: what follows it is
		 * already WebSocket frames (lengths, masks) or the next
		 * request. */
		end = memmem(ws->hs, ws->hs_len, "\r\n\r\n", 4);
		hdr_end = end ? (size_t)(end - ws->hs) + 4 : ws->hs_len;
		if (memchr(ws->hs, '\0', hdr_end)) {
			http_reply(c, 400, "Bad Request", NULL, NULL);
			return;
		}
		if (end == NULL)
			break;
		upgrade(c, hdr_end);
		if (c->state == CONN_OPEN && ws->left_len)
			ws_readable(c);	/* frames already here */
		if (c->state != CONN_HANDSHAKE || !ws->http_next ||
		    ws->http_body)
			return;
		/* Answered, kept alive: the next request starts after it,
		 * with a new deadline. */
		ws->http_next = false;
		memmove(ws->hs, ws->hs + hdr_end, ws->hs_len - hdr_end);
		ws->hs_len -= hdr_end;
		ws->hs[ws->hs_len] = '\0';
		ev_timer_stop(c->srv->loop, &c->timer);
		ev_timer_set(&c->timer, c->srv->opt.handshake_ms / 1000.0, 0);
		ev_timer_start(c->srv->loop, &c->timer);
	}
	if (ws->hs_len == HS_MAX)
		http_reply(c, 431, "Request Header Fields Too Large", NULL, NULL);
}

/* ---- the open connection ---- */

static void
after_io(struct conn *c, int rv)
{
	struct ws_state *ws = c->tp;

	if (rv == WSLAY_ERR_NOMEM) {
		conn_nomem(c, "out of memory (WebSocket)");
		return;
	}
	if (rv == WSLAY_ERR_CALLBACK_FAILURE && !c->eof) {
		/* wslay's frame layer refused a header (a control frame over
		 * 125 bytes or fragmented, a length not in its shortest
		 * form) and queued a close without a code. */
		ws->force_proto = true;
		if (ws->proto_reason == NULL)
			ws->proto_reason = "invalid frame header";
	}
	if ((rv != 0 && !c->eof) || ws->force_proto ||
	    (!wslay_event_get_read_enabled(ws->ctx) &&
	    !wslay_event_get_close_received(ws->ctx))) {
		/* wslay stopped reading on an error of its own; not when we
		 * stopped it, closing for a reason of ours (out of memory,
		 * the buffer budget): that is counted and logged already. */
		if (!ws->refused && !c->eof && !c->doomed) {
			ws->refused = true;
			c->srv->m.drops[DROP_BAD_FRAME]++;
			if (log_allow(LC_DROP))
				log_info("conn=%u addr=%s WebSocket protocol "
				    "error: %s", c->ssid, c->ip,
				    ws->force_proto && ws->proto_reason ?
				    ws->proto_reason : "refused by wslay");
		}
	}
	if (c->state == CONN_OPEN)
		wslay_event_send(ws->ctx);
	if (c->state != CONN_OPEN)
		return;
	if (c->eof) {
		conn_close(c, false, 0, "peer closed");
		return;
	}
	if (wslay_event_get_close_sent(ws->ctx)) {
		conn_close(c, true, 0, wslay_event_get_close_received(ws->ctx) ?
		    "peer sent close" : (ws->refused ? "refused" : "closing"));
	}
}

static void
ws_readable(struct conn *c)
{
	int rv;

	if (c->state == CONN_HANDSHAKE) {
		handshake_read(c);
		return;
	}
	if (c->state != CONN_OPEN)
		return;
	rv = wslay_event_recv(((struct ws_state *)c->tp)->ctx);
	after_io(c, rv);
}

/* After accept, or once TLS is up: the HTTP upgrade, on its deadline. */
static int
ws_start(struct conn *c)
{
	c->state = CONN_HANDSHAKE;
	if ((c->tp = calloc(1, sizeof(struct ws_state))) == NULL)
		return -1;
	ev_timer_stop(c->srv->loop, &c->timer);
	ev_timer_set(&c->timer, c->srv->opt.handshake_ms / 1000.0, 0);
	ev_timer_start(c->srv->loop, &c->timer);
	return 0;
}

/* The limit is read from the session at each frame header. */
static void
ws_set_limit(struct conn *c, uint32_t max)
{
	(void)c;
	(void)max;
}

/* Between messages, the message buffer goes (ws_transport.trim). */
static void
ws_trim(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (ws && ws->rx && ws->rx_len == 0 && ws->rx_opcode == 0)
		rx_release(c);
}

static void
ws_drop_input(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (ws == NULL)
		return;
	ws->left_len = 0;
	http_body_free(c, ws->http_body);
	ws->http_body = NULL;
	hs_release(c);
	rx_release(c);
	ws->rx_len = 0;
}

static void
ws_free(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (ws == NULL)
		return;
	if (ws->ctx)
		wslay_event_context_free(ws->ctx);
	http_body_free(c, ws->http_body);
	free(ws->hs);
	free(ws->rx);
	free(ws);
	c->tp = NULL;
}

static void
ws_ping(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (c->state == CONN_OPEN && ws && ws->ctx &&
	    !wslay_event_get_close_sent(ws->ctx))
		control_frame(c, 0x89, NULL, 0);
}

static void
ws_pong(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (c->state == CONN_OPEN && ws && ws->ctx &&
	    !wslay_event_get_close_sent(ws->ctx))
		control_frame(c, 0x8a, NULL, 0);
}

/* A graceful close: a close frame with code (and wslay's state moved
 * on), in the send queue. */
static void
ws_begin_close(struct conn *c, int code, const char *reason)
{
	struct ws_state *ws = c->tp;

	if (code == 0 || ws == NULL || ws->ctx == NULL)
		return;
	wslay_event_queue_close(ws->ctx, (uint16_t)code,
	    (const uint8_t *)reason, reason ? strlen(reason) : 0);
	wslay_event_send(ws->ctx);
}

const struct transport_ops ws_transport = {
	.start = ws_start,
	.readable = ws_readable,
	.frame_header = ws_frame_header,
	.ping = ws_ping,
	.pong = ws_pong,
	.set_limit = ws_set_limit,
	.begin_close = ws_begin_close,
	.trim = ws_trim,
	.drop_input = ws_drop_input,
	.free = ws_free,
};
