/*
 * client_cong.c - the CongSocket transport of netclient: libproto's
 * cong framing ([type][length LE][message]) both ways over plain TCP.
 * A clean close half-closes the socket and waits for the server's end,
 * so that nothing written is lost to a reset.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "cong.h"
#include "nc_int.h"
#include "proto_err.h"

#define CONG_MAX	(32u << 20)	/* above the largest quota (20 MiB) */
#define CONG_READ	16384

struct cong {
	struct cong_decoder dec;
	bool		 half_closed;
};

static int
cong_start(struct nc *nc)
{
	struct cong *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	cong_decoder_init(&c->dec, CONG_MAX);
	nc->tr = c;
	nc_opened(nc);
	return 0;
}

static void
cong_output(struct nc *nc)
{
	struct cong *c = nc->tr;

	if (nc_flush_out(nc) < 0)
		return;
	if (nc->phase == NC_CLOSING && nc_buf_pending(&nc->out) == 0 &&
	    !c->half_closed) {
		c->half_closed = true;
		nc_half_close(nc);
	}
}

static void
cong_input(struct nc *nc)
{
	struct cong *c = nc->tr;
	const uint8_t *msg;
	uint32_t len;
	uint8_t *p;
	size_t room;
	ssize_t n;
	int r;

	for (;;) {
		if (cong_decoder_space(&c->dec, CONG_READ, &p, &room) < 0) {
			nc_fail(nc, "a CongSocket frame over %u bytes",
			    CONG_MAX);
			return;
		}
		n = nc_io_read(nc, p, room);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (nc->phase == NC_CLOSING)
				nc_fail(nc, "closed");
			else
				nc_fail(nc, "the server closed the connection"
				    "%s%s", n < 0 ? ": " : "", n < 0 ?
				    nc->last_err : "");
			return;
		}
		cong_decoder_commit(&c->dec, (size_t)n);
		while ((r = cong_decoder_next(&c->dec, &msg, &len)) == 1) {
			if (len > 0)
				nc_emit(nc, NC_EV_MSG, msg, len);
			if (nc->phase == NC_DEAD)
				return;
		}
		if (r < 0) {
			nc_fail(nc, "bad CongSocket framing from the server "
			    "(%s)", proto_strerror(r));
			return;
		}
	}
}

static short
cong_events(const struct nc *nc)
{
	return (short)(POLLIN | (nc_buf_pending(&nc->out) ? POLLOUT : 0));
}

static int
cong_send(struct nc *nc, const uint8_t *data, size_t len)
{
	uint8_t hdr[CONG_HDR_MAX];
	size_t hl;

	if (len > CONG_MAX)
		return -1;
	hl = cong_header(hdr, (uint32_t)len);
	if (nc_buf_add(&nc->out, hdr, hl) < 0 ||
	    nc_buf_add(&nc->out, data, len) < 0)
		return -1;
	(void)nc_flush_out(nc);
	return 0;
}

static bool
cong_flushed(const struct nc *nc)
{
	return nc_buf_pending(&nc->out) == 0;
}

static void
cong_shutdown(struct nc *nc)
{
	cong_output(nc);
}

static void
cong_free(struct nc *nc)
{
	struct cong *c = nc->tr;

	cong_decoder_free(&c->dec);
	free(c);
	nc->tr = NULL;
}

const struct nc_ops nc_cong_ops = {
	"cong", cong_start, cong_input, cong_output, cong_events, cong_send,
	cong_flushed, cong_shutdown, cong_free
};
