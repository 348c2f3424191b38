/*
 * net_ws.c - WebSocket: HTTP/1.1 upgrade, then frames through wslay's
 * frame layer, read from the loop's shared buffer. A connection holds a
 * frame context only while wslay holds bytes of a frame, and a message
 * buffer only while a message is partly received (or until the next
 * trim): an idle connection holds neither. Every frame iosd sends (data
 * frames framed once per publish, pong, close) goes through the
 * connection's queue, in order.
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
#include "net_ws.h"

#define HS_MAX		8192	/* bytes of request line + headers */
#define HTTP_MAX_REQS	1000	/* plain requests on one connection */
#define RX_MIN		1024
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct ws_state {
	wslay_frame_context_ptr fr;	/* only while wslay holds bytes */
	size_t fr_held;		/* bytes wslay took, not yet handed back */
	const uint8_t *in;	/* read, not yet given to wslay */
	size_t in_len;
	char *hs;		/* handshake bytes, freed once upgraded */
	size_t hs_len;
	bool hs_shared;		/* hs is the loop's buffer (handshake_read) */
	uint8_t *rx;		/* message being assembled */
	size_t rx_len, rx_cap;
	size_t utf8_ok;		/* of a text message: bytes known valid */
	uint64_t frame_got;	/* payload bytes of the frame so far */
	uint8_t rx_opcode;	/* message begun: 1 text, 2 binary, 0 none */
	uint8_t frame_op;	/* of the frame being received */
	bool frame_fin;
	bool in_frame;		/* its header is in, not all its payload */
	bool read_closed;	/* a close frame sent or received */
	bool close_sent;
	bool http_next;		/* a plain request answered: wait for more */
	struct http_body *http_body;	/* a request's body coming (http.h) */
	unsigned http_reqs;
	uint8_t ctl_len;
	uint8_t ctl[125];	/* a control frame's payload */
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
	if (!ws->hs_shared) {
		free(ws->hs);
		bufmem_shrink(c->srv, c, HS_MAX + 1);
	}
	ws->hs = NULL;
	ws->hs_shared = false;
	ws->hs_len = 0;
}

/* A request not read whole in one go keeps its bytes in a buffer of its
 * own until the rest comes. */
static void
hs_private(struct conn *c)
{
	struct ws_state *ws = c->tp;
	char *p;

	if (!bufmem_grow(c->srv, c, HS_MAX + 1)) {
		ws->hs = NULL;
		ws->hs_shared = false;
		return;
	}
	if ((p = malloc(HS_MAX + 1)) == NULL) {
		bufmem_shrink(c->srv, c, HS_MAX + 1);
		ws->hs = NULL;
		ws->hs_shared = false;
		conn_nomem(c, "out of memory (handshake)");
		return;
	}
	memcpy(p, ws->hs, ws->hs_len + 1);
	ws->hs = p;
	ws->hs_shared = false;
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
net_ws_close_frame(uint8_t out[WS_CLOSE_FRAME_MAX], uint16_t code,
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

/* ---- frames in: wslay's frame layer, the message rules here ---- */

/*
 * wslay_frame_recv() cuts frames and unmasks them; what wslay's event
 * layer used to add (masking required, opcodes, fragmentation, control
 * frames answered, close codes, UTF-8, the size limit) is checked here.
 * The frame context (4 KiB of input buffer inside) exists only while
 * wslay holds bytes of a frame: an idle connection has none.
 */

/* Bytes a header took: wslay refuses lengths not in their shortest form,
 * so its size follows from what it reports. */
static size_t
frame_header_len(const struct wslay_frame_iocb *io)
{
	return 2 + (io->payload_length >= 65536 ? 8 :
	    io->payload_length >= 126 ? 2 : 0) + (io->mask ? 4 : 0);
}

/*
 * Frame contexts between uses. A context is taken for a burst of input
 * and given back after it; kept here rather than freed, its 4 KiB never
 * leaves a hole between connections' memory. A context is handed back
 * only clean (between frames, holding no byte), as good as a new one, so
 * it reads for whichever connection frames_in sets in frame_conn.
 */
#define FRAME_POOL	64
static wslay_frame_context_ptr frame_pool[FRAME_POOL];
static unsigned frame_npool;
static struct conn *frame_conn;

/* wslay asks for bytes: it gets what this read brought (ws->in). */
static ssize_t
frame_recv_cb(uint8_t *buf, size_t len, int flags, void *user)
{
	struct conn *c = frame_conn;
	struct ws_state *ws = c->tp;
	size_t n = len < ws->in_len ? len : ws->in_len;

	(void)flags;
	(void)user;
	if (n == 0)
		return 0;	/* wslay: WANT_READ */
	memcpy(buf, ws->in, n);
	ws->in += n;
	ws->in_len -= n;
	ws->fr_held += n;
	return (ssize_t)n;
}

static const struct wslay_frame_callbacks frame_callbacks = {
	.recv_callback = frame_recv_cb,	/* never sends: no send, no mask */
};

/* What a frame context holds, charged to the buffer budget while a
 * connection has one: wslay's 4 KiB input buffer and its state. */
#define FRAME_CTX_BYTES	4400

static bool
frame_ctx_get(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (!bufmem_grow(c->srv, c, FRAME_CTX_BYTES))
		return false;		/* c is closed for the budget */
	if (frame_npool) {
		ws->fr = frame_pool[--frame_npool];
		return true;
	}
	if (wslay_frame_context_init(&ws->fr, &frame_callbacks, NULL) != 0) {
		ws->fr = NULL;
		bufmem_shrink(c->srv, c, FRAME_CTX_BYTES);
		conn_nomem(c, "out of memory (WebSocket)");
		return false;
	}
	return true;
}

/* Given back: to the pool when clean, else (a frame cut off by a close)
 * freed. */
static void
frame_ctx_free(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (ws->fr == NULL)
		return;
	if (!ws->in_frame && ws->fr_held == 0 && frame_npool < FRAME_POOL)
		frame_pool[frame_npool++] = ws->fr;
	else
		wslay_frame_context_free(ws->fr);
	bufmem_shrink(c->srv, c, FRAME_CTX_BYTES);
	ws->fr = NULL;
	ws->fr_held = 0;
	ws->in_frame = false;
}

/* A control frame of ours, straight into the send queue. */
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

/* Our close frame, once, with a code and a reason (RFC 6455 7.1.7:
 * nothing is read after it). */
static void
send_close(struct conn *c, uint16_t code, const char *reason)
{
	struct ws_state *ws = c->tp;
	uint8_t f[WS_CLOSE_FRAME_MAX];

	if (ws->close_sent)
		return;
	ws->close_sent = true;
	ws->read_closed = true;
	conn_send_raw(c, f, net_ws_close_frame(f, code, reason ? reason :
	    close_text(code)));
}

/* RFC 6455 7.4: the codes a peer may send. */
static bool
close_code_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1011 && (code < 1004 ||
	    code > 1006)) || (code >= 3000 && code <= 4999);
}

/* The client broke a rule: counted, logged, answered with a close frame
 * that says why, and closed once it is out. */
static void
ws_fail(struct conn *c, enum drop_reason why, uint16_t code,
    const char *reason)
{
	struct ws_state *ws = c->tp;

	if (ws->read_closed || c->state != CONN_OPEN)
		return;
	c->srv->m.drops[why]++;
	if (log_allow(LC_DROP)) {
		if (why == DROP_BAD_FRAME)
			log_info("conn=%u addr=%s WebSocket protocol error: %s",
			    c->ssid, c->ip, reason);
		else
			log_info("conn=%u cid=%s addr=%s refused: %s", c->ssid,
			    c->s->cid[0] ? c->s->cid : "-", c->ip, reason);
	}
	send_close(c, code, reason);
	conn_close(c, true, 0, "refused");
}

/*
 * Where the longest prefix of s[0..n) made of whole code points ends: a
 * sequence at the end that its lead byte says is not complete yet waits
 * for the next fragment. Anything else invalid is left in, for
 * utf8_valid() to refuse at once (the fail-fast of RFC 6455 8.1).
 */
static size_t
utf8_whole(const uint8_t *s, size_t n)
{
	size_t i = n, k = 0, need;
	uint8_t b;

	while (i > 0 && k < 3 && (s[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0)
		return n;
	b = s[i - 1];
	need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 :
	    b >= 0xc2 && b <= 0xdf ? 2 : 1;
	return need > 1 && k + 1 < need ? i - 1 : n;
}

/* A frame's header (with its first payload bytes): its rules, and the
 * size limit before a byte of it is kept. false: the connection fails. */
static bool
frame_begin(struct conn *c, const struct wslay_frame_iocb *io)
{
	struct ws_state *ws = c->tp;

	ws->frame_op = io->opcode;
	ws->frame_fin = io->fin;
	ws->frame_got = 0;
	ws->ctl_len = 0;
	if (io->rsv) {
		ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
		    "reserved bits set (no extension was agreed)");
		return false;
	}
	if (!io->mask) {
		ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
		    "client frame not masked");
		return false;
	}
	switch (io->opcode) {
	case WSLAY_CONNECTION_CLOSE:
		if (io->payload_length == 1) {
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
			    "close frame with a 1-byte payload");
			return false;
		}
		return true;
	case WSLAY_PING:
	case WSLAY_PONG:
		return true;	/* wslay checked: <= 125 bytes, not fragmented */
	case WSLAY_CONTINUATION_FRAME:
		if (ws->rx_opcode == 0) {
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
			    "continuation frame with no message begun");
			return false;
		}
		break;
	case WSLAY_TEXT_FRAME:
	case WSLAY_BINARY_FRAME:
		if (ws->rx_opcode != 0) {
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
			return false;
		}
		ws->rx_opcode = io->opcode;
		ws->rx_len = 0;
		ws->utf8_ok = 0;
		break;
	default:
		ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
		    "unknown opcode");
		return false;
	}
	/* Refused from the header, before a byte of it is buffered. */
	if (io->payload_length > c->s->max_signal - ws->rx_len) {
		if (ws->rx_opcode == WSLAY_BINARY_FRAME) {
			static const uint8_t over = IOS_OVER_SIZE;
			session_send_plain(c, &over, 1);
		}
		ws_fail(c, DROP_OVERSIZE, WS_CLOSE_TOO_BIG, "message too big");
		return false;
	}
	return true;
}

/* Room for n more bytes of the message: false when out of memory or
 * over the buffer budget (c is then closed). The buffer grows as bytes
 * come, never from the length a header claims. */
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
		ncap = c->s->max_signal;	/* frame_begin keeps n within */
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

/* Payload bytes of the current frame. false: the connection fails. */
static bool
frame_data(struct conn *c, const uint8_t *p, size_t n)
{
	struct ws_state *ws = c->tp;
	size_t whole;

	if (n == 0)
		return true;
	if (ws->frame_op & 0x8) {	/* control: <= 125 bytes in all */
		memcpy(ws->ctl + ws->ctl_len, p, n);
		ws->ctl_len = (uint8_t)(ws->ctl_len + n);
		return true;
	}
	if (!rx_room(c, n))
		return false;
	memcpy(ws->rx + ws->rx_len, p, n);
	ws->rx_len += n;
	if (ws->rx_opcode != WSLAY_TEXT_FRAME)
		return true;
	whole = utf8_whole(ws->rx, ws->rx_len);
	if (!utf8_valid(ws->rx + ws->utf8_ok, whole - ws->utf8_ok)) {
		ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_BAD_DATA,
		    "invalid UTF-8 in a text message");
		return false;
	}
	ws->utf8_ok = whole;
	return true;
}

/* The client's close: checked, answered with its code, then closed. */
static void
close_received(struct conn *c)
{
	struct ws_state *ws = c->tp;
	uint16_t code = 0;

	if (ws->ctl_len >= 2) {
		code = (uint16_t)(ws->ctl[0] << 8 | ws->ctl[1]);
		if (!close_code_valid(code)) {
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
			    "close code not allowed on the wire");
			return;
		}
		if (!utf8_valid(ws->ctl + 2, ws->ctl_len - 2u)) {
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_BAD_DATA,
			    "invalid UTF-8 in the close reason");
			return;
		}
	}
	log_debug("conn=%u close frame code=%u", c->ssid, code);
	send_close(c, code, NULL);
	conn_close(c, true, 0, "peer sent close");
}

/* A whole data message: binary to the session; text checked from byte
 * valid_from on, counted and ignored. */
static void
message_in(struct conn *c, uint8_t opcode, uint8_t *m, size_t n,
    size_t valid_from)
{
	if (opcode == WSLAY_BINARY_FRAME) {
		if (n)			/* an empty one is ignored */
			conn_message(c, m, n);
		return;
	}
	if (!utf8_valid(m + valid_from, n - valid_from)) {
		ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_BAD_DATA,
		    "invalid UTF-8 in a text message");
		return;
	}
	/* The reference hands text to the application; no reply. */
	c->srv->m.drops[DROP_TEXT_FRAME]++;
	c->rx_msgs++;
}

/* A whole frame is in. */
static void
frame_end(struct conn *c)
{
	struct ws_state *ws = c->tp;

	c->s->alive = true;
	switch (ws->frame_op) {
	case WSLAY_CONNECTION_CLOSE:
		close_received(c);
		return;
	case WSLAY_PING:
		/* Answered now, in order with what this input makes us
		 * send. */
		control_frame(c, 0x8a, ws->ctl, ws->ctl_len);
		return;
	case WSLAY_PONG:
		return;
	}
	if (!ws->frame_fin)
		return;
	message_in(c, ws->rx_opcode, ws->rx, ws->rx_len, ws->utf8_ok);
	ws->rx_opcode = 0;
	ws->rx_len = 0;
	/* Give back a large buffer once it is no longer needed. */
	if (ws->rx_cap > 65536)
		rx_release(c);
}

/*
 * The usual message: one frame, whole in one piece of wslay's buffer. It
 * goes up from a copy on the stack, and the connection never holds a
 * message buffer (freed later, it would leave a hole in the heap).
 */
static bool
frame_whole(struct conn *c, const struct wslay_frame_iocb *io)
{
	struct ws_state *ws = c->tp;
	uint8_t m[4096];	/* wslay's input buffer: no chunk is larger */

	if (!io->fin || ws->frame_got != io->data_length ||
	    io->data_length != io->payload_length || io->data_length >
	    sizeof(m) || (io->opcode != WSLAY_BINARY_FRAME &&
	    io->opcode != WSLAY_TEXT_FRAME))
		return false;
	if (io->data_length)
		memcpy(m, io->data, io->data_length);
	c->s->alive = true;
	ws->rx_opcode = 0;
	message_in(c, io->opcode, m, io->data_length, 0);
	return true;
}

/* What is open and still reading, after a callback that may close it. */
static bool
reading(const struct conn *c)
{
	const struct ws_state *ws = c->tp;

	return c->state == CONN_OPEN && !c->doomed && !ws->read_closed;
}

/*
 * Every byte of ws->in through wslay, frame by frame. A frame context is
 * taken when bytes come and given back when wslay holds none of them
 * between frames; what a closing connection had not read is dropped.
 */
static void
frames_in(struct conn *c)
{
	struct ws_state *ws = c->tp;

	while (reading(c)) {
		struct wslay_frame_iocb io;
		ssize_t r;

		if (ws->fr == NULL) {
			if (ws->in_len == 0)
				break;
			if (!frame_ctx_get(c))
				break;
		}
		frame_conn = c;
		r = wslay_frame_recv(ws->fr, &io);
		frame_conn = NULL;
		if (r == WSLAY_ERR_WANT_READ)
			break;		/* all of ws->in is wslay's now */
		if (r < 0) {
			/* A control frame over 125 bytes or fragmented, a
			 * length not in its shortest form or over 2^63. */
			ws_fail(c, DROP_BAD_FRAME, WS_CLOSE_PROTOCOL,
			    "invalid frame header");
			break;
		}
		if (!ws->in_frame) {
			ws->in_frame = true;
			ws->fr_held -= frame_header_len(&io);
			if (!frame_begin(c, &io))
				break;
		}
		ws->fr_held -= io.data_length;
		ws->frame_got += io.data_length;
		if (frame_whole(c, &io))
			ws->in_frame = false;
		else if (!frame_data(c, io.data, io.data_length))
			break;
		else if (ws->frame_got == io.payload_length) {
			ws->in_frame = false;
			frame_end(c);
		}
		if (!ws->in_frame && ws->fr_held == 0)
			frame_ctx_free(c);
	}
	ws->in_len = 0;
	if (!reading(c))
		frame_ctx_free(c);
}

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
	/* Its one spelling (an IPv6 address has several). */
	inet_ntop(family, bin, c->ip, sizeof(c->ip));
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
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	conn_send_raw(c, resp, (size_t)n);
	/* What the client sent after the request is the first frames
	 * (handshake_read hands them to frames_in). */
	ws->in = (const uint8_t *)ws->hs + hdr_end;
	ws->in_len = ws->hs_len - hdr_end;
	ev_timer_stop(c->srv->loop, &c->timer);
	c->state = CONN_OPEN;
	conn_opened(c);
}

static void handshake_parse(struct conn *c);

static void
handshake_read(struct conn *c)
{
	struct ws_state *ws = c->tp;
	ssize_t n;

	if (ws->http_body) {
		if (http_body_read(c, &ws->http_body) == HTTP_CLOSE)
			conn_close(c, true, 0, "HTTP request answered");
		return;
	}
	/* Most requests come whole in one read: they are parsed where
	 * they land, in the loop's buffer, and a connection never holds a
	 * handshake buffer of its own (a heap hole per connection, later). */
	if (ws->hs == NULL) {
		ws->hs = (char *)c->srv->rx;
		ws->hs_shared = true;
		ws->hs_len = 0;
	}
	n = conn_read(c, ws->hs + ws->hs_len, HS_MAX - ws->hs_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		hs_release(c);
		c->eof = true;
		conn_close(c, false, 0, "closed during handshake");
		return;
	}
	if (n < 0) {
		hs_release(c);
		return;
	}
	c->rx_bytes += (uint64_t)n;
	ws->hs_len += (size_t)n;
	ws->hs[ws->hs_len] = '\0';
	handshake_parse(c);
	/* Not a byte may point into the loop's buffer past this call. */
	if (ws->hs_shared) {
		if (c->state == CONN_HANDSHAKE && ws->hs_len)
			hs_private(c);
		else
			hs_release(c);
	}
}

static void
handshake_parse(struct conn *c)
{
	struct ws_state *ws = c->tp;
	char *end;

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
		if (c->state == CONN_OPEN) {
			frames_in(c);	/* frames already here */
			hs_release(c);
			return;
		}
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

#define READS_PER_EVENT	4	/* then let other clients have a turn */

/* Read into the loop's buffer (srv->rx), frames out of it at once. */
static void
ws_readable(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (c->state == CONN_HANDSHAKE) {
		handshake_read(c);
		return;
	}
	for (int i = 0; i < READS_PER_EVENT && reading(c); i++) {
		ssize_t n = conn_read(c, c->srv->rx, sizeof(c->srv->rx));

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			c->eof = true;
			conn_close(c, false, 0, "peer closed");
			return;
		}
		c->rx_bytes += (uint64_t)n;
		ws->in = c->srv->rx;
		ws->in_len = (size_t)n;
		frames_in(c);
		if ((size_t)n < sizeof(c->srv->rx))
			return;		/* the socket is drained */
	}
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
	ws->in_len = 0;
	frame_ctx_free(c);
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
	frame_ctx_free(c);
	http_body_free(c, ws->http_body);
	if (!ws->hs_shared)
		free(ws->hs);
	free(ws->rx);
	free(ws);
	c->tp = NULL;
}

static void
ws_ping(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (c->state == CONN_OPEN && ws && !ws->close_sent)
		control_frame(c, 0x89, NULL, 0);
}

static void
ws_pong(struct conn *c)
{
	struct ws_state *ws = c->tp;

	if (c->state == CONN_OPEN && ws && !ws->close_sent)
		control_frame(c, 0x8a, NULL, 0);
}

/* A graceful close: a close frame with code, in the send queue. */
static void
ws_begin_close(struct conn *c, int code, const char *reason)
{
	struct ws_state *ws = c->tp;

	if (code == 0 || ws == NULL)
		return;
	send_close(c, (uint16_t)code, reason);
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
