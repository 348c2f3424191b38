/*
 * loadgen.c - the load generator of `make bench` (tests/bench/limits.mjs
 * drives it): raw WebSocket (HTTP upgrade, masked client frames) and
 * CongSocket clients on one epoll loop, closed-loop, with the server's
 * CPU (/proc/PID/stat utime + stime) and RSS (/proc/PID/status VmRSS)
 * sampled around each measurement. One phase per run; one JSON line on
 * stdout with the figures.
 *
 *   loadgen --port P --proto ws|cong --pid SERVER_PID [--host 127.0.0.1]
 *	fanout   [--subs 100] [--window 64] [--size 64] [--warmup 0.5]
 *		 [--seconds 3]
 *	idle     [--conns 10000] [--settle 1]
 *	ping     [--seconds 3]
 *	connrate [--concurrency 32] [--seconds 3]
 *
 * fanout: N subscribers (CID_REQ, SUBSCRIBE_REQ answered) and one
 *   publisher sending SIGNALs of --size bytes of payload (sequence number
 *   and send time in it) on one channel; the publisher keeps at most
 *   --window messages that some subscriber has not received yet (the
 *   slowest subscriber paces it: the server is kept busy, its queues stay
 *   bounded). Deliveries/s, server CPU ns per delivery, p50/p99 of the
 *   latency seen by the subscribers.
 * idle: --conns clients that got their CID, then nothing; RSS delta per
 *   connection.
 * ping: one client, PING, wait for the PONG (a 0xCE message, or on ws a
 *   control pong, as the reference answers), again: pongs/s, RTT.
 * connrate: --concurrency connections at a time, each connect + (ws)
 *   upgrade + SERVER_READY, then closed: connections/s.
 *
 * Every phase is bounded in time: setup gives up after 60 s, and a run
 * where nothing moves for 2 s ends as "stalled".
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cong.h"
#include "iosmsg.h"

#define LEFT_MAX	1024		/* a partial frame kept between reads */
#define SCRATCH		(256 * 1024)
#define SETUP_MS	60000
#define STALL_MS	2000
#define TAG		"bench"
#define MAX_PAYLOAD	4096

enum phase { PH_FANOUT, PH_IDLE, PH_PING, PH_CONNRATE };
enum cstate { C_FREE, C_CONNECTING, C_HTTP, C_WAIT_READY, C_SETUP, C_READY };
enum role { R_PLAIN, R_SUB, R_PUB };

#define GOT_CID	1
#define GOT_SUB	2

struct conn {
	int fd;
	uint8_t state;
	uint8_t role;
	uint8_t want;		/* GOT_* bits still awaited in C_SETUP */
	uint8_t out_blocked;	/* EPOLLOUT armed (publisher) */
	uint16_t left_len;
	uint64_t t0;		/* connect or ping start, ns */
	uint64_t last_seq;	/* subscriber: last sequence number seen */
	uint8_t left[LEFT_MAX];
};

/* Log-linear histogram of nanoseconds: 32 sub-buckets per power of two
 * (about 3 % resolution). */
#define H_SUB	32
#define H_N	(64 + 58 * H_SUB)
struct hist {
	uint64_t n;
	uint64_t b[H_N];
};

static struct {
	enum phase phase;
	bool ws;
	const char *host;
	int port;
	int pid;
	int subs, window, size, conns, concurrency;
	double warmup, seconds, settle;
} opt = {
	.host = "127.0.0.1", .subs = 100, .window = 64, .size = 64,
	.conns = 10000, .concurrency = 32, .warmup = 0.5, .seconds = 3,
	.settle = 1,
};

static int ep = -1;
static struct sockaddr_in srv_addr;
static struct conn *conns;
static int nconns;		/* slots in conns */
static int nopen;		/* sockets open */
static int ninflight;		/* connecting, upgrading, awaiting answers */
static int nready;
static int nstarted;
static uint8_t scratch[SCRATCH];
static long clk_tck;

/* fanout */
static struct conn *pub;
static uint64_t sent, done, lost, misordered, deliveries;
static uint32_t *ring;		/* receipts per outstanding sequence */
static uint64_t ring_mask;
static uint8_t pub_out[256 * 1024];
static size_t pub_olen, pub_opos;
static uint8_t frame_tpl[MAX_PAYLOAD + 64];
static size_t frame_len, frame_seq_off;
static uint8_t ws_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
static bool measuring, publishing;
static struct hist lat;
static uint64_t last_progress;

/* ping, connrate */
static uint64_t pongs, completed;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the server process ---- */

/* utime + stime of the server, ns (0 when unreadable). */
static uint64_t
server_cpu_ns(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", opt.pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "pid (comm) ": state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (unsigned long long)clk_tck);
}

static long
server_rss_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", opt.pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint64_t
self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000000000u + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* ---- histogram ---- */

static void
hist_add(struct hist *h, uint64_t v)
{
	unsigned e, idx;

	if (v < 64)
		idx = (unsigned)v;
	else {
		e = 63u - (unsigned)__builtin_clzll(v);		/* >= 6 */
		idx = 64 + (e - 6) * H_SUB +
		    (unsigned)((v >> (e - 5)) & (H_SUB - 1));
	}
	h->b[idx]++;
	h->n++;
}

/* The lower bound of the bucket that holds the q-quantile, ns. */
static uint64_t
hist_q(const struct hist *h, double q)
{
	uint64_t want, acc = 0;
	unsigned i, e;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < H_N; i++) {
		acc += h->b[i];
		if (acc > want)
			break;
	}
	if (i < 64)
		return i;
	e = (i - 64) / H_SUB + 6;
	return (uint64_t)(H_SUB + (i - 64) % H_SUB) << (e - 5);
}

/* ---- frames ---- */

/* A masked client WebSocket binary frame of msg into out; its length. */
static size_t
ws_wrap(const uint8_t *msg, size_t len, uint8_t *out)
{
	size_t h = 0, i;

	out[h++] = 0x82;
	if (len < 126)
		out[h++] = (uint8_t)(0x80 | len);
	else {
		out[h++] = 0x80 | 126;
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	}
	memcpy(out + h, ws_mask, 4);
	h += 4;
	for (i = 0; i < len; i++)
		out[h + i] = msg[i] ^ ws_mask[i & 3];
	return h + len;
}

static size_t
wrap(const uint8_t *msg, size_t len, uint8_t *out)
{
	long n;

	if (opt.ws)
		return ws_wrap(msg, len, out);
	if ((n = cong_encode(msg, (uint32_t)len, out, len + CONG_HDR_MAX)) < 0)
		die("cong_encode failed");
	return (size_t)n;
}

/* A small message that must go out at once (the socket buffer of a
 * fresh connection has room). */
static void
send_msg(struct conn *c, const uint8_t *msg, size_t len)
{
	uint8_t buf[600];
	size_t n = wrap(msg, len, buf);
	ssize_t w = write(c->fd, buf, n);

	if (w != (ssize_t)n)
		die("short write on a control message (%zd of %zu): %s", w, n,
		    w < 0 ? strerror(errno) : "");
}

/* ---- connections ---- */

static void
conn_close(struct conn *c)
{
	if (c->state == C_FREE)
		return;
	if (c->state != C_READY)
		ninflight--;
	else
		nready--;
	close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
	c->left_len = 0;
	nopen--;
}

static void
conn_open(struct conn *c, enum role role)
{
	struct epoll_event ev;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s (raise ulimit -n?)", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&srv_addr, sizeof(srv_addr)) < 0 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	memset(c, 0, offsetof(struct conn, left));
	c->fd = fd;
	c->state = C_CONNECTING;
	c->role = (uint8_t)role;
	c->t0 = now_ns();
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	nopen++;
	ninflight++;
	nstarted++;
}

static void
conn_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev;

	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void
conn_ready(struct conn *c)
{
	c->state = C_READY;
	ninflight--;
	nready++;
}

static void
on_connected(struct conn *c)
{
	static const char req[] =
	    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	int err = 0;
	socklen_t l = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err)
		die("connect to %s:%d: %s", opt.host, opt.port, strerror(err));
	if (opt.ws) {
		if (write(c->fd, req, sizeof(req) - 1) != sizeof(req) - 1)
			die("upgrade request: %s", strerror(errno));
		c->state = C_HTTP;
	} else
		c->state = C_WAIT_READY;
	conn_events(c, EPOLLIN);
}

/* SERVER_READY: the connection is up. */
static void
on_server_ready(struct conn *c, uint64_t now)
{
	uint8_t m[64];
	long n;

	if (c->state != C_WAIT_READY)
		return;
	if (opt.phase == PH_CONNRATE) {
		if (measuring) {
			hist_add(&lat, now - c->t0);
			completed++;
		}
		conn_close(c);
		return;
	}
	c->state = C_SETUP;
	m[0] = IOS_CID_REQ;
	send_msg(c, m, 1);
	c->want = GOT_CID;
	if (c->role == R_SUB) {
		n = iosmsg_build_subscribe_req((uint16_t)(c - conns + 1), TAG,
		    strlen(TAG), m, sizeof(m));
		if (n < 0)
			die("iosmsg_build_subscribe_req failed");
		send_msg(c, m, (size_t)n);
		c->want |= GOT_SUB;
	}
}

static void
on_got(struct conn *c, uint8_t bit)
{
	if (c->state != C_SETUP)
		return;
	c->want &= (uint8_t)~bit;
	if (c->want == 0)
		conn_ready(c);
}

/* ---- fanout ---- */

static inline uint64_t
get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void
on_signal(struct conn *c, const uint8_t *m, size_t len, uint64_t now)
{
	uint64_t seq, ts, q;
	size_t off;

	if (c->role != R_SUB || c->state != C_READY)
		return;
	off = 3 + (size_t)m[1];			/* type tagLen tag ptype */
	if (len < off + 16)
		return;
	seq = get64(m + off);
	ts = get64(m + off + 8);
	if (seq <= c->last_seq || seq > sent) {
		misordered++;
		return;
	}
	lost += seq - c->last_seq - 1;
	for (q = c->last_seq + 1; q <= seq; q++)
		ring[q & ring_mask]++;
	c->last_seq = seq;
	while (done < sent && ring[(done + 1) & ring_mask] >= (uint32_t)opt.subs) {
		ring[(done + 1) & ring_mask] = 0;
		done++;
	}
	if (measuring) {
		deliveries++;
		hist_add(&lat, now - ts);
	}
	last_progress = now;
}

/* Keep the publisher's window full. */
static void
pub_pump(void)
{
	ssize_t w;
	uint64_t k, ts;
	uint8_t *f;
	unsigned i;

	if (!publishing || pub == NULL)
		return;
	for (;;) {
		if (pub_opos < pub_olen) {
			w = write(pub->fd, pub_out + pub_opos,
			    pub_olen - pub_opos);
			if (w < 0 && errno != EAGAIN)
				die("publisher write: %s", strerror(errno));
			if (w > 0)
				pub_opos += (size_t)w;
			if (pub_opos < pub_olen) {
				if (!pub->out_blocked) {
					pub->out_blocked = 1;
					conn_events(pub, EPOLLIN | EPOLLOUT);
				}
				return;
			}
		}
		pub_olen = pub_opos = 0;
		if (pub->out_blocked) {
			pub->out_blocked = 0;
			conn_events(pub, EPOLLIN);
		}
		k = (uint64_t)opt.window - (sent - done);
		if ((int64_t)k <= 0)
			return;
		if (k > sizeof(pub_out) / frame_len)
			k = sizeof(pub_out) / frame_len;
		ts = now_ns();
		for (i = 0; i < k; i++) {
			uint8_t v[16];
			unsigned j;

			f = pub_out + pub_olen;
			memcpy(f, frame_tpl, frame_len);
			sent++;
			memcpy(v, &sent, 8);
			memcpy(v + 8, &ts, 8);
			for (j = 0; j < 16; j++)
				f[frame_seq_off + j] = opt.ws ?
				    v[j] ^ ws_mask[j & 3] : v[j];
			pub_olen += frame_len;
		}
	}
}

static void
fanout_template(void)
{
	uint8_t msg[MAX_PAYLOAD + 16], payload[MAX_PAYLOAD];
	long n;
	size_t i, hl;

	if (opt.size < 16 || opt.size > MAX_PAYLOAD)
		die("--size: 16 to %d", MAX_PAYLOAD);
	for (i = 0; i < (size_t)opt.size; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	n = iosmsg_build_signal(IOS_SIGNAL, TAG, strlen(TAG),
	    IOS_PAYLOAD_BINARY, payload, (size_t)opt.size, msg, sizeof(msg));
	if (n < 0)
		die("iosmsg_build_signal failed");
	frame_len = wrap(msg, (size_t)n, frame_tpl);
	hl = frame_len - (size_t)n;
	/* the payload starts after type, tagLen, tag and ptype: offset 8,
	 * a multiple of 4, so payload byte j is masked with ws_mask[j & 3] */
	frame_seq_off = hl + 3 + strlen(TAG);
	if ((3 + strlen(TAG)) % 4)
		die("tag length breaks the mask alignment");
}

/* ---- reading ---- */

static void
on_msg(struct conn *c, const uint8_t *m, size_t len, uint64_t now)
{
	if (len == 0)
		return;
	switch (m[0]) {
	case IOS_SERVER_READY:
		on_server_ready(c, now);
		break;
	case IOS_CID_RES:
		on_got(c, GOT_CID);
		break;
	case IOS_RESPONSE_MBP:
		on_got(c, GOT_SUB);
		break;
	case IOS_SIGNAL:
		on_signal(c, m, len, now);
		break;
	case IOS_PONG:
		if (opt.phase == PH_PING && c->state == C_READY && c->t0) {
			if (measuring) {
				pongs++;
				hist_add(&lat, now - c->t0);
			}
			c->t0 = 0;
		}
		break;
	default:
		break;
	}
}

/* Frames in buf; returns the bytes used. May close c (then returns 0
 * and c is free). */
static size_t
parse(struct conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	const uint8_t *p = buf, *end = buf + len, *pl;
	uint32_t plen;
	long r;

	if (c->state == C_HTTP) {
		const uint8_t *e = memmem(p, len, "\r\n\r\n", 4);

		if (e == NULL)
			return 0;
		if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0)
			die("upgrade refused: %.*s", (int)(e - p), (const char *)p);
		p = e + 4;
		c->state = C_WAIT_READY;
	}
	while (p < end && c->state != C_FREE) {
		if (!opt.ws) {
			r = cong_parse(p, (size_t)(end - p), 1u << 24, &pl,
			    &plen, NULL);
			if (r < 0)
				die("bad CongSocket frame from the server");
			if (r == 0)
				break;
			on_msg(c, pl, plen, now);
			p += r;
		} else {
			uint64_t l;
			size_t h = 2;
			uint8_t op;

			if (end - p < 2)
				break;
			op = p[0] & 0x0f;
			l = p[1] & 0x7f;
			if (p[1] & 0x80)
				die("masked frame from the server");
			if (l == 126) {
				if (end - p < 4)
					break;
				l = (uint64_t)p[2] << 8 | p[3];
				h = 4;
			} else if (l == 127) {
				if (end - p < 10)
					break;
				l = 0;
				for (h = 2; h < 10; h++)
					l = l << 8 | p[h];
			}
			if ((uint64_t)(end - p) - h < l)
				break;
			if (op == 0x2)
				on_msg(c, p + h, (size_t)l, now);
			else if (op == 0xA) {
				uint8_t pong = IOS_PONG;

				on_msg(c, &pong, 1, now);
			} else if (op == 0x9) {
				uint8_t f[2 + 4 + 125];
				size_t i;

				f[0] = 0x8A;
				f[1] = (uint8_t)(0x80 | l);
				memcpy(f + 2, ws_mask, 4);
				for (i = 0; i < l && i < 125; i++)
					f[6 + i] = p[h + i] ^ ws_mask[i & 3];
				if (write(c->fd, f, 6 + l) < 0)
					die("pong: %s", strerror(errno));
			} else if (op == 0x8)
				die("the server closed a WebSocket");
			p += h + l;
		}
	}
	return c->state == C_FREE ? 0 : (size_t)(p - buf);
}

static void
on_readable(struct conn *c)
{
	size_t have = c->left_len, used;
	ssize_t n;
	uint64_t now;

	memcpy(scratch, c->left, have);
	n = read(c->fd, scratch + have, sizeof(scratch) - have);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("read: %s", strerror(errno));
	}
	if (n == 0)
		die("the server closed a connection (state %d)", c->state);
	now = now_ns();
	have += (size_t)n;
	used = parse(c, scratch, have, now);
	if (c->state == C_FREE)
		return;
	if (have - used > LEFT_MAX)
		die("a frame larger than %d bytes", LEFT_MAX);
	memcpy(c->left, scratch + used, have - used);
	c->left_len = (uint16_t)(have - used);
}

/* One round of the loop: at most timeout_ms of waiting. */
static void
poll_once(int timeout_ms)
{
	struct epoll_event evs[512];
	int i, n;

	n = epoll_wait(ep, evs, 512, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return;
		die("epoll_wait: %s", strerror(errno));
	}
	for (i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;

		if (c->state == C_FREE)
			continue;
		if (c->state == C_CONNECTING) {
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				on_connected(c);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			on_readable(c);
		if (c == pub && c->state != C_FREE &&
		    (evs[i].events & EPOLLOUT))
			pub_pump();
	}
}

/* Open `want` connections of `role` from slot `first`, at most
 * `inflight` at a time, until every one is ready. */
static void
open_many(int first, int want, enum role role, int inflight)
{
	uint64_t deadline = now_ns() + (uint64_t)SETUP_MS * 1000000u;
	int next = first, target = nready + want;

	while (nready < target) {
		while (next < first + want && ninflight < inflight)
			conn_open(&conns[next++], role);
		poll_once(5);
		if (now_ns() > deadline)
			die("setup: %d of %d connections ready after %d s",
			    nready, target, SETUP_MS / 1000);
	}
}

static void
close_all(void)
{
	int i;

	for (i = 0; i < nconns; i++)
		conn_close(&conns[i]);
}

static void
alloc_conns(int n)
{
	nconns = n;
	if ((conns = calloc((size_t)n, sizeof(*conns))) == NULL)
		die("out of memory");
}

/* Run the loop until `until` (ns), calling pub_pump between rounds. */
static void
run_until(uint64_t until)
{
	while (now_ns() < until) {
		poll_once(1);
		pub_pump();
	}
}

/* ---- phases ---- */

static void
phase_fanout(void)
{
	uint64_t t0, tw, te, c0, c1, l0, l1, end;
	double secs;
	bool stalled = false;
	long rss;

	fanout_template();
	alloc_conns(opt.subs + 1);
	for (ring_mask = 1; ring_mask < (uint64_t)opt.window * 4; ring_mask <<= 1)
		;
	if ((ring = calloc(ring_mask, sizeof(*ring))) == NULL)
		die("out of memory");
	ring_mask--;
	t0 = now_ns();
	open_many(0, opt.subs, R_SUB, 64);
	open_many(opt.subs, 1, R_PUB, 1);
	pub = &conns[opt.subs];
	run_until(now_ns() + 200000000u);	/* let the setup settle */
	fprintf(stderr, "loadgen: %d subscribers ready in %.2f s\n", opt.subs,
	    (double)(now_ns() - t0) / 1e9);

	publishing = true;
	last_progress = now_ns();
	tw = now_ns() + (uint64_t)(opt.warmup * 1e9);
	end = tw + (uint64_t)(opt.seconds * 1e9);
	pub_pump();
	run_until(tw);
	measuring = true;
	c0 = server_cpu_ns();
	l0 = self_cpu_ns();
	tw = now_ns();
	while (now_ns() < end) {
		poll_once(1);
		pub_pump();
		te = now_ns();
		if (te > last_progress &&
		    te - last_progress > (uint64_t)STALL_MS * 1000000u) {
			stalled = true;
			break;
		}
	}
	measuring = false;
	c1 = server_cpu_ns();
	l1 = self_cpu_ns();
	te = now_ns();
	rss = server_rss_kb();
	publishing = false;
	secs = (double)(te - tw) / 1e9;
	printf("{\"phase\":\"fanout\",\"proto\":\"%s\",\"subs\":%d,"
	    "\"window\":%d,\"size\":%d,\"seconds\":%.3f,"
	    "\"messages\":%" PRIu64 ",\"deliveries\":%" PRIu64 ","
	    "\"deliveries_per_s\":%.0f,\"server_cpu_pct\":%.1f,"
	    "\"server_ns_per_delivery\":%.1f,\"loadgen_cpu_pct\":%.1f,"
	    "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lost\":%" PRIu64 ","
	    "\"misordered\":%" PRIu64 ",\"stalled\":%s,\"rss_kb\":%ld}\n",
	    opt.ws ? "ws" : "cong", opt.subs, opt.window, opt.size, secs,
	    sent, deliveries, (double)deliveries / secs,
	    (double)(c1 - c0) / 1e7 / secs,
	    deliveries ? (double)(c1 - c0) / (double)deliveries : 0,
	    (double)(l1 - l0) / 1e7 / secs,
	    (double)hist_q(&lat, 0.50) / 1e3, (double)hist_q(&lat, 0.99) / 1e3,
	    lost, misordered, stalled ? "true" : "false", rss);
}

static void
phase_idle(void)
{
	uint64_t t0, t1;
	long rss0, rss1;

	alloc_conns(opt.conns);
	rss0 = server_rss_kb();
	t0 = now_ns();
	open_many(0, opt.conns, R_PLAIN, 256);
	t1 = now_ns();
	run_until(now_ns() + (uint64_t)(opt.settle * 1e9));
	rss1 = server_rss_kb();
	printf("{\"phase\":\"idle\",\"proto\":\"%s\",\"conns\":%d,"
	    "\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,"
	    "\"bytes_per_conn\":%.0f,\"setup_s\":%.3f}\n",
	    opt.ws ? "ws" : "cong", opt.conns, rss0, rss1,
	    (double)(rss1 - rss0) * 1024 / opt.conns,
	    (double)(t1 - t0) / 1e9);
}

static void
phase_ping(void)
{
	uint8_t m = IOS_PING, f[16];
	size_t fl = wrap(&m, 1, f);
	uint64_t tw, end, t, c0, c1;
	struct conn *c;
	double secs;

	alloc_conns(1);
	open_many(0, 1, R_PLAIN, 1);
	c = &conns[0];
	c->t0 = 0;
	tw = now_ns() + (uint64_t)(opt.warmup * 1e9);
	end = tw + (uint64_t)(opt.seconds * 1e9);
	c0 = 0;
	for (;;) {
		t = now_ns();
		if (!measuring && t >= tw) {
			measuring = true;
			c0 = server_cpu_ns();
			tw = t;
		}
		if (t >= end)
			break;
		if (c->t0 == 0) {
			c->t0 = now_ns();
			if (write(c->fd, f, fl) != (ssize_t)fl)
				die("ping: %s", strerror(errno));
		} else if (t - c->t0 > (uint64_t)STALL_MS * 1000000u)
			die("no PONG in %d ms", STALL_MS);
		poll_once(100);
	}
	c1 = server_cpu_ns();
	secs = (double)(now_ns() - tw) / 1e9;
	measuring = false;
	printf("{\"phase\":\"ping\",\"proto\":\"%s\",\"seconds\":%.3f,"
	    "\"pongs\":%" PRIu64 ",\"pongs_per_s\":%.0f,"
	    "\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f,"
	    "\"server_cpu_pct\":%.1f,\"server_ns_per_pong\":%.0f}\n",
	    opt.ws ? "ws" : "cong", secs, pongs, (double)pongs / secs,
	    (double)hist_q(&lat, 0.50) / 1e3, (double)hist_q(&lat, 0.99) / 1e3,
	    (double)(c1 - c0) / 1e7 / secs,
	    pongs ? (double)(c1 - c0) / (double)pongs : 0);
}

static void
phase_connrate(void)
{
	uint64_t tw, end, c0, c1, l0, l1;
	double secs;
	int i;

	alloc_conns(opt.concurrency);
	measuring = true;
	c0 = server_cpu_ns();
	l0 = self_cpu_ns();
	tw = now_ns();
	end = tw + (uint64_t)(opt.seconds * 1e9);
	while (now_ns() < end) {
		for (i = 0; i < nconns; i++)
			if (conns[i].state == C_FREE)
				conn_open(&conns[i], R_PLAIN);
		poll_once(1);
	}
	measuring = false;
	c1 = server_cpu_ns();
	l1 = self_cpu_ns();
	secs = (double)(now_ns() - tw) / 1e9;
	printf("{\"phase\":\"connrate\",\"proto\":\"%s\",\"concurrency\":%d,"
	    "\"seconds\":%.3f,\"conns\":%" PRIu64 ",\"conns_per_s\":%.0f,"
	    "\"server_cpu_pct\":%.1f,\"server_us_per_conn\":%.1f,"
	    "\"loadgen_cpu_pct\":%.1f,"
	    "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f}\n",
	    opt.ws ? "ws" : "cong", opt.concurrency, secs, completed,
	    (double)completed / secs, (double)(c1 - c0) / 1e7 / secs,
	    completed ? (double)(c1 - c0) / 1e3 / (double)completed : 0,
	    (double)(l1 - l0) / 1e7 / secs,
	    (double)hist_q(&lat, 0.50) / 1e3, (double)hist_q(&lat, 0.99) / 1e3);
}

/* ---- main ---- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen --port P --proto ws|cong --pid PID [--host ADDR]\n"
	    "       fanout [--subs N] [--window W] [--size B] [--warmup S]"
	    " [--seconds S]\n"
	    "       idle [--conns N] [--settle S]\n"
	    "       ping [--seconds S]\n"
	    "       connrate [--concurrency C] [--seconds S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	const char *ph = NULL;
	int i;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	clk_tck = sysconf(_SC_CLK_TCK);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			ph = a;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (!strcmp(a, "--host"))
			opt.host = v;
		else if (!strcmp(a, "--port"))
			opt.port = atoi(v);
		else if (!strcmp(a, "--proto"))
			opt.ws = !strcmp(v, "ws");
		else if (!strcmp(a, "--pid"))
			opt.pid = atoi(v);
		else if (!strcmp(a, "--subs"))
			opt.subs = atoi(v);
		else if (!strcmp(a, "--window"))
			opt.window = atoi(v);
		else if (!strcmp(a, "--size"))
			opt.size = atoi(v);
		else if (!strcmp(a, "--conns"))
			opt.conns = atoi(v);
		else if (!strcmp(a, "--concurrency"))
			opt.concurrency = atoi(v);
		else if (!strcmp(a, "--warmup"))
			opt.warmup = atof(v);
		else if (!strcmp(a, "--seconds"))
			opt.seconds = atof(v);
		else if (!strcmp(a, "--settle"))
			opt.settle = atof(v);
		else
			usage();
	}
	if (ph == NULL || opt.port <= 0 || opt.pid <= 0 || opt.subs < 1 ||
	    opt.window < 1 || opt.conns < 1 || opt.concurrency < 1)
		usage();
	if (!strcmp(ph, "fanout"))
		opt.phase = PH_FANOUT;
	else if (!strcmp(ph, "idle"))
		opt.phase = PH_IDLE;
	else if (!strcmp(ph, "ping"))
		opt.phase = PH_PING;
	else if (!strcmp(ph, "connrate"))
		opt.phase = PH_CONNRATE;
	else
		usage();

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&srv_addr, 0, sizeof(srv_addr));
	srv_addr.sin_family = AF_INET;
	srv_addr.sin_port = htons((uint16_t)opt.port);
	if (inet_pton(AF_INET, opt.host, &srv_addr.sin_addr) != 1)
		die("--host: an IPv4 address");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	/* a last resort: no phase may outlive this */
	alarm(SETUP_MS / 1000 + 60);

	switch (opt.phase) {
	case PH_FANOUT:
		phase_fanout();
		break;
	case PH_IDLE:
		phase_idle();
		break;
	case PH_PING:
		phase_ping();
		break;
	case PH_CONNRATE:
		phase_connrate();
		break;
	}
	close_all();
	return 0;
}
