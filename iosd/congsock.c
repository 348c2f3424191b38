/*
 * congsock.c - CongSocket: read straight into the frame decoder's buffer,
 * hand each whole frame to the session.
 */
#include <errno.h>
#include <unistd.h>

#include "bufmem.h"
#include "congsock.h"
#include "conn.h"
#include "server.h"

#define READ_CHUNK	16384
#define READS_PER_EVENT	4	/* then let other clients have a turn */

void
congsock_init(struct conn *c)
{
	cong_decoder_init(&c->cong, c->s.max_signal);
}

void
congsock_free(struct conn *c)
{
	cong_decoder_free(&c->cong);
}

void
congsock_drop_input(struct conn *c)
{
	bufmem_shrink(c->srv, c, cong_decoder_capacity(&c->cong));
	cong_decoder_free(&c->cong);
}

static void
frames(struct conn *c)
{
	const uint8_t *p;
	uint32_t len;
	int rc = 0;

	while (c->state == CONN_OPEN &&
	    (rc = cong_decoder_next(&c->cong, &p, &len)) == 1) {
		if (len == 0)
			continue;	/* the reference drops empty frames */
		/* The decoder's buffer is ours until the next read. */
		session_on_message(c, (uint8_t *)p, len);
	}
	if (c->state != CONN_OPEN)
		return;
	if (rc == PROTO_ETOOBIG) {
		static const uint8_t over = IOS_OVER_SIZE;

		session_send_plain(c, &over, 1);
		conn_fail(c, DROP_OVERSIZE, 0, "frame above the size limit");
	} else if (rc < 0) {
		conn_fail(c, DROP_BAD_FRAME, 0, "bad CongSocket header");
	}
}

/* Room to read into, within the buffer budget: -1 when c must stop
 * (over the budget or out of memory: it is then closed). */
static int
room(struct conn *c, uint8_t **p, size_t *n)
{
	size_t grow = cong_decoder_growth(&c->cong, READ_CHUNK);
	int rc;

	/* The buffer grows with the bytes received, never from the length
	 * a header claims; each growth asks the budget first. */
	if (grow && !bufmem_grow(c->srv, c, grow))
		return -1;
	rc = cong_decoder_space(&c->cong, READ_CHUNK, p, n);
	if (rc == PROTO_ENOMEM) {
		bufmem_shrink(c->srv, c, grow);
		conn_nomem(c, "out of memory (CongSocket frame)");
		return -1;
	}
	if (rc < 0 && grow)
		bufmem_shrink(c->srv, c, grow);
	return rc;
}

void
congsock_on_readable(struct conn *c)
{
	for (int i = 0; i < READS_PER_EVENT && c->state == CONN_OPEN; i++) {
		uint8_t *p;
		size_t n;
		ssize_t r;

		/* A frame can outgrow what we may buffer only by breaking
		 * the limit, which next() reports; drain first. */
		if (c->doomed)
			return;
		if (room(c, &p, &n) < 0) {
			if (c->doomed)
				return;
			frames(c);
			if (c->state != CONN_OPEN || room(c, &p, &n) < 0)
				return;
		}
		r = read(c->fd, p, n);
		if (r == 0) {
			c->eof = true;
			conn_close(c, false, 0, "peer closed");
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->eof = true;
				conn_close(c, false, 0, "read error");
			}
			break;
		}
		c->rx_bytes += (uint64_t)r;
		cong_decoder_commit(&c->cong, (size_t)r);
		frames(c);
		if ((size_t)r < n)
			break;
	}
	if (c->state == CONN_OPEN && cong_decoder_pending(&c->cong) == 0) {
		size_t cap = cong_decoder_capacity(&c->cong);

		cong_decoder_shrink(&c->cong, 65536);
		if (cong_decoder_capacity(&c->cong) < cap)
			bufmem_shrink(c->srv, c, cap);
	}
}
