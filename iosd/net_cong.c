/*
 * net_cong.c - the CongSocket transport: length-framed messages on raw
 * TCP. Frames are cut straight from the loop's shared read buffer
 * (srv->rx); a connection holds a decoder (libproto's cong decoder) once
 * a frame was partly received, until the next trim finds it between
 * frames: an idle connection holds no buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bufmem.h"
#include "net_cong.h"
#include "conn.h"
#include "server.h"

#define READ_CHUNK	16384
#define READS_PER_EVENT	4	/* then let other clients have a turn */

/* The frame being received, NULL between frames. */
static struct cong_decoder *
decoder(struct conn *c)
{
	return c->tp;
}

static int
cong_start(struct conn *c)
{
	c->state = CONN_OPEN;
	conn_opened(c);
	return 0;
}

static void
cong_drop_input(struct conn *c)
{
	struct cong_decoder *d = decoder(c);

	if (d == NULL)
		return;
	bufmem_shrink(c->srv, c, cong_decoder_capacity(d));
	cong_decoder_free(d);
	free(d);
	c->tp = NULL;
}

static void
cong_free(struct conn *c)
{
	cong_drop_input(c);
}

static void
cong_set_limit(struct conn *c, uint32_t max)
{
	if (decoder(c))
		decoder(c)->max_len = max;
}

static size_t
cong_frame_header(uint8_t hdr[TRANSPORT_HDR_MAX], size_t len)
{
	return cong_header(hdr, (uint32_t)len);
}

static void
cong_ping(struct conn *c)
{
	static const uint8_t ping = IOS_PING;

	session_send_plain(c, &ping, 1);
}

static void
cong_pong(struct conn *c)
{
	static const uint8_t pong = IOS_PONG;

	session_send_plain(c, &pong, 1);
}

/* A frame the stream cannot go on after. */
static void
broken(struct conn *c, long rc)
{
	if (rc == PROTO_ETOOBIG) {
		static const uint8_t over = IOS_OVER_SIZE;

		session_send_plain(c, &over, 1);
		conn_fail(c, DROP_OVERSIZE, 0, "frame above the size limit");
	} else {
		conn_fail(c, DROP_BAD_FRAME, 0, "bad CongSocket header");
	}
}

/* Whole frames from the decoder, up to the session. */
static void
frames(struct conn *c)
{
	struct cong_decoder *d = decoder(c);
	const uint8_t *p;
	uint32_t len;
	int rc = 0;

	while (c->state == CONN_OPEN &&
	    (rc = cong_decoder_next(d, &p, &len)) == 1) {
		if (len == 0)
			continue;	/* the reference drops empty frames */
		/* The decoder's buffer is ours until the next read. */
		conn_message(c, (uint8_t *)p, len);
	}
	if (c->state == CONN_OPEN && rc < 0)
		broken(c, rc);
}

/*
 * Whole frames from n bytes of the shared buffer; what is left of a
 * partial frame goes to a decoder of c's own. false when c stops.
 */
static bool
frames_shared(struct conn *c, uint8_t *buf, size_t n)
{
	struct cong_decoder *d;
	size_t off = 0, grow;

	while (off < n && c->state == CONN_OPEN && !c->doomed) {
		const uint8_t *p;
		uint32_t len;
		long r = cong_parse(buf + off, n - off, c->s->max_signal, &p,
		    &len, NULL);

		if (r < 0) {
			broken(c, r);
			return false;
		}
		if (r == 0)
			break;
		off += (size_t)r;
		if (len)		/* the reference drops empty frames */
			conn_message(c, (uint8_t *)p, len);
	}
	if (c->state != CONN_OPEN || c->doomed)
		return false;
	if (off == n)
		return true;
	/* A frame partly received: its bytes, counted to the budget. */
	if ((d = malloc(sizeof(*d))) == NULL) {
		conn_nomem(c, "out of memory (CongSocket frame)");
		return false;
	}
	cong_decoder_init(d, c->s->max_signal);
	grow = cong_decoder_growth(d, n - off);
	if (!bufmem_grow(c->srv, c, grow)) {
		free(d);
		return false;
	}
	c->tp = d;
	if (cong_decoder_feed(d, buf + off, n - off) < 0) {
		conn_nomem(c, "out of memory (CongSocket frame)");
		return false;
	}
	return true;
}

/* Room to read into the decoder, within the buffer budget: -1 when c
 * must stop (over the budget or out of memory: it is then closed). */
static int
room(struct conn *c, uint8_t **p, size_t *n)
{
	struct cong_decoder *d = decoder(c);
	size_t grow = cong_decoder_growth(d, READ_CHUNK);
	int rc;

	/* The buffer grows with the bytes received, never from the length
	 * a header claims; each growth asks the budget first. */
	if (grow && !bufmem_grow(c->srv, c, grow))
		return -1;
	rc = cong_decoder_space(d, READ_CHUNK, p, n);
	if (rc == PROTO_ENOMEM) {
		bufmem_shrink(c->srv, c, grow);
		conn_nomem(c, "out of memory (CongSocket frame)");
		return -1;
	}
	if (rc < 0 && grow)
		bufmem_shrink(c->srv, c, grow);
	return rc;
}

/* false: stop reading (would block, or c closes). */
static bool
read_error(struct conn *c, ssize_t r)
{
	if (r == 0) {
		c->eof = true;
		conn_close(c, false, 0, "peer closed");
		return false;
	}
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->eof = true;
		conn_close(c, false, 0, "read error");
	}
	return false;
}

static void
cong_readable(struct conn *c)
{
	for (int i = 0; i < READS_PER_EVENT && c->state == CONN_OPEN; i++) {
		uint8_t *p;
		size_t n;
		ssize_t r;

		if (c->doomed)
			return;
		if (decoder(c) == NULL) {
			r = read(c->fd, c->srv->rx, sizeof(c->srv->rx));
			if (r <= 0) {
				if (read_error(c, r))
					continue;
				return;
			}
			c->rx_bytes += (uint64_t)r;
			if (!frames_shared(c, c->srv->rx, (size_t)r) ||
			    (size_t)r < sizeof(c->srv->rx))
				return;
			continue;
		}
		/* A frame can outgrow what we may buffer only by breaking
		 * the limit, which next() reports; drain first. */
		if (room(c, &p, &n) < 0) {
			if (c->doomed)
				return;
			frames(c);
			if (c->state != CONN_OPEN || room(c, &p, &n) < 0)
				return;
		}
		r = read(c->fd, p, n);
		if (r <= 0) {
			if (read_error(c, r))
				continue;
			break;
		}
		c->rx_bytes += (uint64_t)r;
		cong_decoder_commit(decoder(c), (size_t)r);
		frames(c);
		if ((size_t)r < n)
			break;
	}
}

/* Between frames, the decoder goes (cong_transport.trim). */
static void
cong_trim(struct conn *c)
{
	if (decoder(c) && cong_decoder_pending(decoder(c)) == 0)
		cong_drop_input(c);
}

const struct transport_ops cong_transport = {
	.start = cong_start,
	.readable = cong_readable,
	.frame_header = cong_frame_header,
	.ping = cong_ping,
	.pong = cong_pong,
	.set_limit = cong_set_limit,
	.begin_close = NULL,
	.trim = cong_trim,
	.drop_input = cong_drop_input,
	.free = cong_free,
};
