/*
 * conn.c - connection lifecycle, bounded send queue and writev flushing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "auth.h"
#include "bufmem.h"
#include "conn.h"
#include "filelog.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "server.h"
#include "net_tls.h"
#include "net_ws.h"	/* WS_CLOSE_* codes */

#define LINGER_MS	2000
#define IOV_MAX_BATCH	IOV_MAX		/* segments per writev */
/* A queued message up to this size is copied into the loop's staging
 * buffer (srv->tx); a larger one goes out from where it is. */
#define TX_COPY_MAX	2048
#define QUEUE_MIN	4

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* For the reference's connection.log. */
static const char *const fl_name[] = {
	[TR_WS] = "WS", [TR_WSS] = "WSS", [TR_CONG] = "CS",
};

static const struct transport_ops *
transport_for(enum transport tr)
{
	return tr == TR_CONG ? &cong_transport : &ws_transport;
}

void
conn_opened(struct conn *c)
{
	c->up->opened(c);
}

void
conn_message(struct conn *c, uint8_t *m, size_t len)
{
	c->up->message(c, m, len);
}

/* The address as the reference shows it: IPv4-mapped IPv6 unwrapped and
 * ::1 shown as 127.0.0.1 (Remote.getRemoteIP). */
static void
peer_strings(struct conn *c)
{
	const struct sockaddr *sa = (const struct sockaddr *)&c->peer;
	uint8_t a[16];
	int fam = sa->sa_family;

	if (fam == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		inet_ntop(AF_INET, a, c->ip, sizeof(c->ip));
	} else if (fam == AF_INET6) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		memcpy(a, in6, 16);
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			fam = AF_INET;
			memmove(a, a + 12, 4);
			inet_ntop(AF_INET, a, c->ip, sizeof(c->ip));
		} else if (IN6_IS_ADDR_LOOPBACK(in6))
			strcpy(c->ip, "127.0.0.1");
		else
			inet_ntop(AF_INET6, a, c->ip, sizeof(c->ip));
	} else {
		strcpy(c->ip, "0.0.0.0");
		memset(a, 0, sizeof(a));
		fam = AF_INET;
	}
	if (tag_home_prefix(fam, a, c->home) < 0)
		strcpy(c->home, "PRIVATE:");
}

struct conn *
conn_new(struct server *srv, int fd, enum transport tr,
    const struct sockaddr *sa, socklen_t salen,
    const struct admit_key *key)
{
	struct conn *c = calloc(1, sizeof(*c));

	/* The session is an allocation of its own, so that conn and the
	 * transports under it hold none of its fields (transport.h). */
	if (c != NULL && (c->s = calloc(1, sizeof(*c->s))) == NULL) {
		free(c);
		c = NULL;
	}
	if (c == NULL) {
		srv->m.drops[DROP_NOMEM]++;
		if (log_allow(LC_NOMEM))
			log_warnx("accept: out of memory: connection refused");
		close(fd);
		return NULL;
	}
	c->srv = srv;
	c->akey = *key;
	c->fd = fd;
	c->tr = tr;
	c->ssid = ++srv->next_ssid;
	c->since_ms = server_now_ms(srv);
	memcpy(&c->peer, sa, salen < sizeof(c->peer) ? salen : sizeof(c->peer));
	peer_strings(c);
	ev_io_init(&c->rd, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wr, conn_write_cb, fd, EV_WRITE);
	ev_init(&c->timer, conn_timer_cb);
	c->rd.data = c->wr.data = c->timer.data = c;
	c->ops = transport_for(tr);
	c->up = &session_up;
	server_add_conn(srv, c);
	srv->m.conns_now[tr]++;
	srv->m.conns_total[tr]++;
	session_init(c);
	auth_init(c);
	admit_track(srv, c);
	ev_io_start(srv->loop, &c->rd);
	if (tr == TR_WSS) {
		/* TLS, a byte layer under the transport: no ENC_488 on top
		 * (the reference behind an https proxy does the same). The
		 * TLS handshake has its own deadline, then the transport's
		 * (tls_step). */
		c->tls = true;
		c->state = CONN_HANDSHAKE;
		if ((c->tls_io = tls_new(srv->tls, fd)) == NULL) {
			conn_nomem(c, "out of memory (TLS)");
			return c;
		}
		ev_timer_set(&c->timer, srv->opt.tls_handshake_ms / 1000.0, 0);
		ev_timer_start(srv->loop, &c->timer);
	} else if (c->ops->start(c) < 0) {
		conn_nomem(c, "out of memory (transport)");
		return c;
	}
	log_debug("conn=%u open transport=%s addr=%s", c->ssid,
	    transport_name(tr), c->ip);
	filelog(FL_CONNECTION, "+ IP:%s #%u %s", c->ip, c->ssid, fl_name[tr]);
	return c;
}

/* ---- send queue ---- */

/* The ring's own memory, charged to the budget with the buffers. */
static size_t
qarray_bytes(const struct conn *c)
{
	return (size_t)c->qcap * sizeof(struct outq_item);
}

static bool
queue_push(struct conn *c, struct msg *m, size_t hlen)
{
	const struct options *o = &c->srv->opt;
	struct outq_item *it;

	if (c->state >= CONN_CLOSING && !c->close_after_flush)
		return false;
	if (c->state == CONN_DEAD || c->doomed)
		return false;
	if (c->qlen + 1 > o->sendq_msgs || c->qbytes + m->len > o->sendq_bytes) {
		conn_doom(c, DROP_SLOW_CONSUMER, "send queue full (slow "
		    "consumer)");
		return false;
	}
	if (c->qlen == c->qcap) {
		uint32_t ncap = c->qcap ? c->qcap * 2 : QUEUE_MIN;
		struct outq_item *nq;

		if (!bufmem_grow(c->srv, c, (ncap - c->qcap) * sizeof(*nq)))
			return false;
		if ((nq = calloc(ncap, sizeof(*nq))) == NULL) {
			conn_nomem(c, "out of memory (send queue)");
			return false;
		}

		/* Unroll the ring into the new array. */
		for (uint32_t i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	it = &c->q[(c->qhead + c->qlen) % c->qcap];
	it->m = msg_ref(m);
	bufmem_queue_ref(c->srv, m);
	it->off = 0;
	it->hlen = (uint8_t)hlen;
	c->qlen++;
	c->qbytes += m->len + hlen;
	server_want_flush(c->srv, c);
	if (c->srv->mem.used > c->srv->mem.limit)
		bufmem_check(c->srv);
	return true;
}

void
conn_send_msg(struct conn *c, struct msg *m)
{
	struct msg *f;

	if (m->len == 0)
		return;
	/* The header once per transport and message: one write of it. */
	if ((f = msg_framed(m, c->ops, c->ops->frame_header)) == NULL) {
		conn_nomem(c, "out of memory (send)");
		return;
	}
	if (queue_push(c, f, f->hlen)) {
		c->tx_msgs++;
		c->srv->m.msgs_out[m->data[0]]++;
		c->srv->m.bytes_out[m->data[0]] += m->len;
	}
}

void
conn_send_raw(struct conn *c, const void *data, size_t len)
{
	struct msg *m;

	if (len == 0)
		return;
	if ((m = msg_copy(data, len)) == NULL) {
		conn_nomem(c, "out of memory (send)");
		return;
	}
	queue_push(c, m, 0);
	msg_unref(m);
}

void
conn_ping(struct conn *c)
{
	if (c->state == CONN_OPEN)
		c->ops->ping(c);
}

void
conn_pong(struct conn *c)
{
	if (c->state == CONN_OPEN)
		c->ops->pong(c);
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->tls_io)
		return tls_read(c->tls_io, buf, len);
	do
		n = read(c->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t
conn_writev(struct conn *c, const struct iovec *iov, int cnt)
{
	if (c->tls_io)
		return tls_writev(c->tls_io, iov, cnt);
	return writev(c->fd, iov, cnt);
}

/* wss: one step of the TLS handshake, on either watcher. */
static void
tls_step(struct conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	const char *why = NULL;
	bool want_write;
	char about[64];
	int rc = tls_handshake(c->tls_io, &want_write, &why);

	if (rc < 0) {
		char reason[160];

		/* One line for it, with the rest (conn_fail logs it). */
		snprintf(reason, sizeof(reason), "TLS handshake failed: %s",
		    why);
		conn_fail(c, DROP_HANDSHAKE, 0, reason);
		return;
	}
	if (rc == 0) {
		if (want_write)
			ev_io_start(loop, &c->wr);
		else
			ev_io_stop(loop, &c->wr);
		return;
	}
	ev_io_stop(loop, &c->wr);
	log_debug("conn=%u TLS %s", c->ssid, tls_describe(c->tls_io, about,
	    sizeof(about)));
	/* Now the HTTP upgrade, on its own deadline. */
	ev_timer_stop(loop, &c->timer);
	if (c->ops->start(c) < 0) {
		conn_nomem(c, "out of memory (transport)");
		return;
	}
	if (tls_pending(c->tls_io))
		c->ops->readable(c);
}

static void
queue_clear(struct conn *c)
{
	while (c->qlen) {
		bufmem_queue_unref(c->srv, c->q[c->qhead].m);
		msg_unref(c->q[c->qhead].m);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	c->qbytes = 0;
}

static void
close_socket(struct conn *c)
{
	struct ev_loop *loop = c->srv->loop;

	ev_io_stop(loop, &c->rd);
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->timer);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	queue_clear(c);
	c->state = CONN_DEAD;
	server_want_flush(c->srv, c);	/* the prepare hook frees it */
}

/* Everything is written: half-close and wait briefly for the peer. */
static void
start_linger(struct conn *c)
{
	struct ev_loop *loop = c->srv->loop;

	c->close_after_flush = false;
	if (c->tls_io && !c->eof && tls_bye(c->tls_io) == 0) {
		/* close_notify half-sent: finish it when writable (the
		 * prepare hook's flush calls us again), within the linger
		 * time all the same. */
		c->close_after_flush = true;
		if (!ev_is_active(&c->timer)) {
			ev_timer_stop(loop, &c->timer);
			ev_timer_set(&c->timer, LINGER_MS / 1000.0, 0);
			ev_timer_start(loop, &c->timer);
		}
		ev_io_start(loop, &c->wr);
		return;
	}
	if (c->eof || shutdown(c->fd, SHUT_WR) < 0) {
		close_socket(c);
		return;
	}
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, LINGER_MS / 1000.0, 0);
	ev_timer_start(loop, &c->timer);
	if (!ev_is_active(&c->rd))
		ev_io_start(loop, &c->rd);
}

/*
 * What goes out in one writev, in queue order. Measured on loopback (ws
 * and cong, 1 -> 100 and 1 -> 1000, 64-byte signals): copying small
 * messages into one contiguous buffer costs 12-15 % less server CPU per
 * delivery than an iovec for each, the kernel's per-segment work being
 * dearer than the copy. Bytes not taken by a short write stay in the
 * queue (it->off) and are copied again next time.
 */
static int
gather(struct conn *c, struct iovec iov[IOV_MAX_BATCH])
{
	uint8_t *tx = c->srv->tx;
	size_t used = 0;
	int cnt = 0;
	/* TLS copies into its record buffer anyway (net_tls.c). */
	bool stage = c->tls_io == NULL;

	for (uint32_t i = 0; i < c->qlen && cnt < IOV_MAX_BATCH; i++) {
		struct outq_item *it = &c->q[(c->qhead + i) % c->qcap];
		/* Header and payload are contiguous (msg_framed). */
		uint8_t *p = it->m->data - it->hlen + it->off;
		size_t len = it->hlen + it->m->len - it->off;

		if (!stage || len > TX_COPY_MAX) {
			iov[cnt].iov_base = p;
			iov[cnt++].iov_len = len;
			continue;
		}
		if (len > SERVER_TX_SIZE - used)
			break;
		memcpy(tx + used, p, len);
		if (cnt > 0 && (uint8_t *)iov[cnt - 1].iov_base +
		    iov[cnt - 1].iov_len == tx + used)
			iov[cnt - 1].iov_len += len;
		else {
			iov[cnt].iov_base = tx + used;
			iov[cnt++].iov_len = len;
		}
		used += len;
	}
	return cnt;
}

void
conn_flush(struct conn *c)
{
	struct iovec iov[IOV_MAX_BATCH];
	ssize_t n;

	if (c->state == CONN_DEAD)
		return;
	if (c->tls_io && !tls_done(c->tls_io)) {
		if (c->close_after_flush)
			start_linger(c);	/* nothing can be sent yet */
		return;
	}
	if (c->doomed) {
		/* Counted when doomed; a slow consumer's queue is not worth
		 * flushing, anything else says why in a close frame. */
		bool slow = c->doom_why == DROP_SLOW_CONSUMER;

		/* What it had queued is not worth sending now. */
		if (slow || c->doom_why == DROP_MEMORY)
			queue_clear(c);
		c->srv->m.drops[c->doom_why]--;
		c->doomed = false;
		conn_fail(c, c->doom_why, slow ? 0 : c->doom_why ==
		    DROP_MEMORY ? WS_CLOSE_TRY_AGAIN : WS_CLOSE_INTERNAL,
		    c->doom_reason);
		if (slow)
			close_socket(c);
		if (c->state == CONN_DEAD)
			return;
	}
	/* Closing: nothing more is read, so what was being received goes
	 * now (here, outside any of its callbacks), not after the linger. */
	if (c->state == CONN_CLOSING && c->bufmem > qarray_bytes(c))
		c->ops->drop_input(c);
	while (c->qlen) {
		int cnt = gather(c, iov);

		n = conn_writev(c, iov, cnt);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_io_start(c->srv->loop, &c->wr);
				return;
			}
			if (errno == EINTR)
				continue;
			log_debug("conn=%u write: %s", c->ssid, strerror(errno));
			c->eof = true;
			conn_close(c, false, 0, "write error");
			return;
		}
		c->tx_bytes += (uint64_t)n;
		while (n > 0 && c->qlen) {
			struct outq_item *it = &c->q[c->qhead];
			size_t left = it->hlen + it->m->len - it->off;

			if ((size_t)n < left) {
				it->off += (uint32_t)n;
				c->qbytes -= (size_t)n;
				n = 0;
				break;
			}
			n -= (ssize_t)left;
			c->qbytes -= left;
			bufmem_queue_unref(c->srv, it->m);
			msg_unref(it->m);
			c->qhead = (c->qhead + 1) % c->qcap;
			c->qlen--;
		}
	}
	ev_io_stop(c->srv->loop, &c->wr);
	if (c->tls_io && c->state < CONN_CLOSING && !ev_is_active(&c->rd))
		ev_io_start(c->srv->loop, &c->rd);	/* see conn_read_cb */
	if (c->close_after_flush)
		start_linger(c);
}

void
conn_close(struct conn *c, bool graceful, int ws_code, const char *reason)
{
	enum conn_state was = c->state;

	if (c->state >= CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;	/* from here on, never re-entered */
	c->close_after_flush = graceful && !c->eof;
	/* Clients come and go all day; drops are logged by conn_fail. */
	log_debug("conn=%u cid=%s close reason=\"%s\"", c->ssid,
	    c->s->cid[0] ? c->s->cid : "-", reason);
	/* Leave the router first: nobody may send to it any more, and its
	 * @state subscribers hear about it now. */
	c->up->closed(c);
	admit_untrack(c->srv, c);
	if (c->close_after_flush && was == CONN_OPEN && c->ops->begin_close)
		c->ops->begin_close(c, ws_code, reason);
	ev_io_stop(c->srv->loop, &c->rd);
	if (c->close_after_flush)
		server_want_flush(c->srv, c);
	else
		close_socket(c);
}

/* Which rate-limited log category a drop reason is written under. */
static enum log_cat
drop_cat(enum drop_reason why)
{
	switch (why) {
	case DROP_HANDSHAKE:
		return LC_HANDSHAKE;
	case DROP_MEMORY:
		return LC_MEMORY;
	case DROP_NOMEM:
		return LC_NOMEM;
	case DROP_SLOW_CONSUMER:
		return LC_SLOW;
	default:
		return LC_DROP;
	}
}

void
conn_fail(struct conn *c, enum drop_reason why, int ws_code,
    const char *reason)
{
	c->srv->m.drops[why]++;
	if (c->state < CONN_CLOSING && log_allow(drop_cat(why))) {
		log_info("conn=%u cid=%s addr=%s closed: %s (%s)", c->ssid,
		    c->s->cid[0] ? c->s->cid : "-", c->ip, reason,
		    drop_reason_name(why));
		/* Malformed input: what the reference's attack.log keeps. */
		if (why == DROP_BAD_FRAME || why == DROP_BAD_MESSAGE ||
		    why == DROP_HANDSHAKE || why == DROP_OVERSIZE ||
		    why == DROP_DECRYPT)
			filelog(FL_ATTACK, "> %u %s %s (%s)", c->ssid, c->ip,
			    reason, drop_reason_name(why));
	}
	conn_close(c, true, ws_code, reason);
}

void
conn_doom(struct conn *c, enum drop_reason why, const char *reason)
{
	if (c->doomed || c->state >= CONN_CLOSING)
		return;
	c->doomed = true;
	c->doom_why = why;
	c->doom_reason = reason;
	c->srv->m.drops[why]++;		/* now, for the metrics */
	ev_io_stop(c->srv->loop, &c->rd);
	server_want_flush(c->srv, c);
}

void
conn_nomem(struct conn *c, const char *reason)
{
	conn_doom(c, DROP_NOMEM, reason);
}

void
conn_destroy(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->fd >= 0)
		close_socket(c);
	filelog(FL_CONNECTION, "- IP:%s #%u cid:%s %s", c->ip, c->ssid,
	    c->s->cid[0] ? c->s->cid : "-", fl_name[c->tr]);
	srv->m.conns_now[c->tr]--;
	c->ops->free(c);
	queue_clear(c);
	free(c->q);
	tls_free(c->tls_io);
	bufmem_conn_gone(srv, c);
	server_remove_conn(srv, c);
	session_free(c);
	free(c);
}

/* ---- rates, and idle memory ---- */

/* What an idle connection need not hold: an empty queue's ring, and the
 * transport's buffers between messages. Not inside its read callback
 * (never: this runs from a timer). */
static void
conn_trim(struct conn *c)
{
	if (c->state != CONN_OPEN || c->doomed)
		return;
	if (c->qlen == 0 && c->q) {
		bufmem_shrink(c->srv, c, qarray_bytes(c));
		free(c->q);
		c->q = NULL;
		c->qcap = c->qhead = 0;
	}
	if (c->ops->trim)
		c->ops->trim(c);
}

void
conn_rates_tick(struct server *srv)
{
	uint64_t now = server_now_ms(srv);

	for (struct conn *c = srv->conns; c; c = c->next) {
		struct conn_rates *r = &c->rate;
		double dt = (double)(now - r->at_ms) / 1000.0;

		conn_trim(c);
		if (r->at_ms == 0 || dt <= 0) {
			r->at_rx_msgs = c->rx_msgs;
			r->at_tx_msgs = c->tx_msgs;
			r->at_rx_bytes = c->rx_bytes;
			r->at_tx_bytes = c->tx_bytes;
			r->at_ms = now;
			continue;
		}
		/* Half the last second, half what came before it. */
#define RATE(f) r->f = (float)(0.5 * r->f + 0.5 * \
		    (double)(c->f - r->at_##f) / dt); r->at_##f = c->f
		RATE(rx_msgs);
		RATE(tx_msgs);
		RATE(rx_bytes);
		RATE(tx_bytes);
#undef RATE
		r->at_ms = now;
	}
}

/* ---- watchers ---- */

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->state == CONN_CLOSING) {
		/* Lingering: discard what the peer still sends until EOF. */
		uint8_t sink[4096];
		ssize_t n = c->tls_io && !tls_done(c->tls_io) ?
		    read(c->fd, sink, sizeof(sink)) :
		    conn_read(c, sink, sizeof(sink));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->eof = true;
			if (!c->close_after_flush)
				close_socket(c);
			else
				ev_io_stop(c->srv->loop, &c->rd);
		}
		return;
	}
	c->reading = true;	/* its input buffers are in use below */
	if (c->tls_io && !tls_done(c->tls_io))
		tls_step(c);
	else if (c->tls_io && tls_write_pending(c->tls_io)) {
		/* Read again once the half-sent record is out (conn_flush). */
		ev_io_stop(c->srv->loop, &c->rd);
	} else {
		c->ops->readable(c);
		/* GnuTLS may hold decrypted records the socket will not
		 * signal. */
		for (int i = 0; i < 64 && c->tls_io &&
		    c->state < CONN_CLOSING && tls_pending(c->tls_io); i++)
			c->ops->readable(c);
	}
	c->reading = false;
}

void
conn_drop_input(struct conn *c)
{
	if (c->reading)
		return;		/* freed at its flush, out of its callbacks */
	c->ops->drop_input(c);
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->tls_io && !tls_done(c->tls_io) && c->state == CONN_HANDSHAKE)
		tls_step(c);
	else
		conn_flush(c);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->state == CONN_HANDSHAKE)
		conn_fail(c, DROP_HANDSHAKE, 0, c->tls_io &&
		    !tls_done(c->tls_io) ? "TLS handshake deadline" :
		    "handshake deadline");
	else if (c->state == CONN_CLOSING)
		close_socket(c);	/* linger over */
}
