/*
 * forwarder.c - the bare forwarder of `make bench` (tests/bench/limits.mjs,
 * server "bare"): this machine's limit for the fan-out and ping phases of
 * build/loadgen. A measuring stick, not a server: plain epoll + writev and
 * exactly as much of IOSignal as loadgen uses, nothing more.
 *
 *   forwarder --ws PORT --cong PORT [--host 127.0.0.1]
 *
 * WebSocket: the HTTP upgrade, then masked, unfragmented client frames;
 * CongSocket: [type 1..4][length LE][message]. On open SERVER_READY;
 * CID_REQ -> CID_RES; SUBSCRIBE_REQ -> channels + RESPONSE_MBP {status,
 * mid}; PING -> a WebSocket control pong or a Cong PONG, as the reference
 * answers; SIGNAL -> every subscriber of its tag: the frame header is
 * built once per transport, contiguous with the message, so a delivery is
 * one iovec of a shared buffer, and each connection's queue goes out in
 * one writev per loop iteration. No auth, unicast, quotas or timeouts.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>

#define SCRATCH		(256 * 1024)
#define MAX_MSG		65535		/* largest message accepted */
#define MAX_QUEUE	65536		/* deliveries queued on a connection */
#define HTTP_MAX	8192

enum kind { K_RAW, K_WS, K_CONG };

struct buf {				/* a frame, shared by its deliveries */
	uint32_t refs, len;
	uint8_t data[];
};

struct conn {				/* a slot per descriptor, kept */
	int fd;
	bool ws, http, dirty, blocked, dead;
	uint8_t *in;			/* a partial frame between reads */
	size_t ilen;
	struct buf **q;			/* output queue q[qhead..qtail) */
	size_t qhead, qtail, qcap, qoff;
};

struct chan {
	uint8_t tag[255], len;
	struct conn **subs;
	size_t n, cap;
};

static int ep, lws, lcong;
static struct conn **tab, **dirty;	/* by descriptor; to write */
static size_t ntab, ndirty, nchans;
static struct chan *chans;
static uint8_t scratch[SCRATCH];

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "forwarder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("realloc");
	return p;
}

/* The message m framed for kind k, in a buffer of its own. */
static struct buf *
buf_new(enum kind k, const uint8_t *m, size_t len)
{
	struct buf *b = xrealloc(NULL, sizeof(*b) + len + 4);
	uint8_t *h = b->data;
	size_t n = 0;

	if (k == K_WS) {
		h[n++] = 0x82;
		h[n++] = len < 126 ? (uint8_t)len : 126;
		if (len >= 126) {
			h[n++] = (uint8_t)(len >> 8);
			h[n++] = (uint8_t)len;
		}
	} else if (k == K_CONG) {
		h[n++] = len < 0x100 ? 1 : 2;
		for (size_t i = 0; i < h[0]; i++)
			h[n++] = (uint8_t)(len >> (8 * i));
	}
	memcpy(h + n, m, len);
	b->len = (uint32_t)(n + len);
	b->refs = 0;
	return b;
}

static void
buf_drop(struct buf *b)
{
	if (--b->refs == 0)
		free(b);
}

static void
mark_dirty(struct conn *c)
{
	if (!c->dirty)
		dirty[ndirty++] = c;
	c->dirty = true;
}

static void
enqueue(struct conn *c, struct buf *b)
{
	if (c->dead || c->fd < 0)
		return;
	mark_dirty(c);
	if (c->qtail - c->qhead >= MAX_QUEUE) {
		c->dead = true;		/* a reader that does not read */
		return;
	}
	if (c->qtail == c->qcap && c->qhead > 0) {
		memmove(c->q, c->q + c->qhead,
		    (c->qtail - c->qhead) * sizeof(*c->q));
		c->qtail -= c->qhead;
		c->qhead = 0;
	} else if (c->qtail == c->qcap) {
		c->qcap = c->qcap ? 2 * c->qcap : 64;
		c->q = xrealloc(c->q, c->qcap * sizeof(*c->q));
	}
	c->q[c->qtail++] = b;
	b->refs++;
}

static void
send_msg(struct conn *c, enum kind k, const void *m, size_t len)
{
	struct buf *b = buf_new(k, m, len);

	enqueue(c, b);
	if (b->refs == 0)
		free(b);
}

static void
conn_events(struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.fd = c->fd };

	if (c->blocked != out && epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->blocked = out;
}

static void
conn_close(struct conn *c)
{
	for (size_t i = 0; i < nchans; i++)
		for (size_t j = chans[i].n; j-- > 0;)
			if (chans[i].subs[j] == c)
				chans[i].subs[j] = chans[i].subs[--chans[i].n];
	while (c->qhead < c->qtail)
		buf_drop(c->q[c->qhead++]);
	free(c->q);
	free(c->in);
	close(c->fd);
	*c = (struct conn){ .fd = -1, .dirty = c->dirty };
}

/* The queue out, IOV_MAX deliveries a writev, until the socket is full. */
static void
flush(struct conn *c)
{
	struct iovec iov[IOV_MAX];
	size_t n, want, done;
	ssize_t w;

	while (c->qhead < c->qtail) {
		for (n = want = 0; n < IOV_MAX && c->qhead + n < c->qtail; n++) {
			size_t off = n ? 0 : c->qoff;

			iov[n].iov_base = c->q[c->qhead + n]->data + off;
			iov[n].iov_len = c->q[c->qhead + n]->len - off;
			want += iov[n].iov_len;
		}
		if ((w = writev(c->fd, iov, (int)n)) < 0 && errno != EAGAIN) {
			conn_close(c);
			return;
		}
		for (done = w > 0 ? (size_t)w : 0; done > 0;) {
			size_t rest = c->q[c->qhead]->len - c->qoff;

			c->qoff = done < rest ? c->qoff + done : 0;
			if (done < rest)
				break;
			done -= rest;
			buf_drop(c->q[c->qhead++]);
		}
		if (w < 0 || (size_t)w < want) {	/* the socket is full */
			conn_events(c, true);
			return;
		}
	}
	c->qhead = c->qtail = 0;
	conn_events(c, false);
}

static struct chan *
chan_find(const uint8_t *tag, size_t len, bool create)
{
	for (size_t i = 0; i < nchans; i++)
		if (chans[i].len == len && !memcmp(chans[i].tag, tag, len))
			return &chans[i];
	if (!create || len > 255)
		return NULL;
	chans = xrealloc(chans, (nchans + 1) * sizeof(*chans));
	chans[nchans] = (struct chan){ .len = (uint8_t)len };
	memcpy(chans[nchans].tag, tag, len);
	return &chans[nchans++];
}

static void
subscribe(struct conn *c, const uint8_t *tag, size_t len)
{
	struct chan *ch = chan_find(tag, len, true);

	for (size_t i = 0; ch && i < ch->n; i++)
		if (ch->subs[i] == c)
			return;
	if (ch && ch->n == ch->cap) {
		ch->cap = ch->cap ? 2 * ch->cap : 16;
		ch->subs = xrealloc(ch->subs, ch->cap * sizeof(*ch->subs));
	}
	if (ch)
		ch->subs[ch->n++] = c;
}

/* One IOSignal message from c. */
static void
on_msg(struct conn *c, const uint8_t *m, size_t len)
{
	static const char meta[] = "[[\"status\",\"8\",1,1],[\"mid\",\"16\",2,2]]";
	const size_t ml = sizeof(meta) - 1;
	enum kind k = c->ws ? K_WS : K_CONG;
	struct buf *b[2] = { NULL, NULL };
	uint8_t r[64];
	struct chan *ch;
	size_t i, s;

	switch (m[0]) {
	case 0xC1:				/* CID_REQ: CID_RES "?xxxx" */
		snprintf((char *)r, sizeof(r), "\xc2?%04x", c->fd & 0xffff);
		send_msg(c, k, r, 6);
		break;
	case 0xCD:				/* PING */
		send_msg(c, K_RAW, c->ws ? "\x8a\x00" : "\x01\x01\xce",
		    c->ws ? 2 : 3);
		break;
	case 0xD4:				/* SUBSCRIBE_REQ mid tagLen tags */
		if (len < 6)
			break;
		r[0] = 0xDD;
		r[1] = len == ((size_t)m[3] << 8 | m[4]) + 5 ? 0 : 255;
		memcpy(r + 2, m + 1, 2);
		memcpy(r + 4, meta, ml);
		r[4 + ml] = 0;
		r[5 + ml] = (uint8_t)ml;
		for (s = i = 5; r[1] == 0 && i <= len; i++)
			if (i == len || m[i] == ',') {
				subscribe(c, m + s, i - s);
				s = i + 1;
			}
		send_msg(c, k, r, 6 + ml);
		break;
	case 0xD0:				/* SIGNAL tagLen tag ... */
		if (len < 3 || len < (size_t)m[1] + 2 ||
		    (ch = chan_find(m + 2, m[1], false)) == NULL)
			break;
		for (i = 0; i < ch->n; i++) {
			struct conn *d = ch->subs[i];

			if (b[d->ws] == NULL)
				b[d->ws] = buf_new(d->ws ? K_WS : K_CONG, m, len);
			enqueue(d, b[d->ws]);
		}
		for (i = 0; i < 2; i++)
			if (b[i] && b[i]->refs == 0)	/* all dead */
				free(b[i]);
		break;
	}
}

/* The upgrade request in p, its headers ending at e: 0, or -1. */
static int
upgrade(struct conn *c, uint8_t *p, uint8_t *e)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char *k, resp[256], acc[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1];
	uint8_t d[SHA1_DIGEST_SIZE];
	struct sha1_ctx sha;
	int n;

	*e = '\0';
	if ((k = strcasestr((char *)p, "\nSec-WebSocket-Key:")) == NULL)
		return -1;
	for (k += 19; *k == ' '; k++)
		;
	sha1_init(&sha);
	sha1_update(&sha, strcspn(k, " \r\n"), (const uint8_t *)k);
	sha1_update(&sha, sizeof(guid) - 1, (const uint8_t *)guid);
	sha1_digest(&sha, sizeof(d), d);
	base64_encode_raw(acc, sizeof(d), d);
	acc[sizeof(acc) - 1] = '\0';
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	send_msg(c, K_RAW, resp, (size_t)n);
	send_msg(c, K_WS, "\xc0", 1);			/* SERVER_READY */
	c->http = false;
	return 0;
}

/* The frames in p (unmasked in place): the bytes used, or -1 to close. */
static long
parse(struct conn *c, uint8_t *p, size_t len)
{
	size_t pos = 0, h, l, have, i;
	uint8_t *f, *e, op = 2;

	if (c->http) {
		if ((e = memmem(p, len, "\r\n\r\n", 4)) == NULL)
			return len > HTTP_MAX ? -1 : 0;
		if (upgrade(c, p, e) < 0)
			return -1;
		pos = (size_t)(e - p) + 4;
	}
	for (; pos < len; pos += h + l) {
		f = p + pos;
		have = len - pos;
		if (!c->ws) {
			if (f[0] < 1 || f[0] > 4)
				return -1;
			if (have < (size_t)f[0] + 1)
				break;
			for (l = 0, h = f[0]; h > 0; h--)
				l = l << 8 | f[h];
			h = (size_t)f[0] + 1;
		} else {
			if (have < 4)
				break;
			if ((f[0] & 0x80) == 0 || (f[1] & 0x80) == 0 ||
			    (f[1] & 0x7f) == 127)
				return -1;	/* fragmented, unmasked, huge */
			op = f[0] & 0x0f;
			l = f[1] & 0x7f;
			h = l == 126 ? 8 : 6;
			if (l == 126)
				l = (size_t)f[2] << 8 | f[3];
		}
		if (l > MAX_MSG)
			return -1;
		if (have < h + l)
			break;
		for (i = 0; c->ws && i < l; i++)
			f[h + i] ^= f[h - 4 + (i & 3)];
		if (op == 0x8)
			return -1;			/* close */
		if (op == 0x9 && l < 126) {		/* ping: pong */
			f[h - 2] = 0x8a;
			f[h - 1] = (uint8_t)l;
			send_msg(c, K_RAW, f + h - 2, l + 2);
		} else if ((op == 1 || op == 2) && l > 0)
			on_msg(c, f + h, l);
	}
	return (long)pos;
}

static void
on_readable(struct conn *c)
{
	ssize_t n;
	long used;

	memcpy(scratch, c->in, c->ilen);
	n = read(c->fd, scratch + c->ilen, sizeof(scratch) - c->ilen - 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (used = parse(c, scratch, c->ilen + (size_t)n)) < 0) {
		conn_close(c);
		return;
	}
	c->ilen += (size_t)n - (size_t)used;
	if (c->ilen) {
		c->in = xrealloc(c->in, c->ilen);
		memcpy(c->in, scratch + used, c->ilen);
	}
}

static void
on_accept(int l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	int fd, one = 1;

	while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((size_t)fd >= ntab || (tab[fd] == NULL &&
		    (tab[fd] = calloc(1, sizeof(*c))) == NULL)) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = tab[fd];			/* maybe still on the dirty list */
		*c = (struct conn){ .fd = fd, .ws = l == lws, .http = l == lws,
		    .dirty = c->dirty };
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
		if (!c->ws)
			send_msg(c, K_CONG, "\xc0", 1);	/* SERVER_READY */
	}
}

static int
listen_on(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		errno = EINVAL, die(host);
	ev.data.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ev.data.fd < 0 || setsockopt(ev.data.fd, SOL_SOCKET, SO_REUSEADDR,
	    &one, sizeof(one)) < 0 || bind(ev.data.fd, (struct sockaddr *)&a,
	    sizeof(a)) < 0 || listen(ev.data.fd, 4096) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
		die("listen");
	return ev.data.fd;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	struct epoll_event evs[512];
	struct rlimit rl;
	int i, n, wsport = 0, congport = 0;

	for (i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--ws"))
			wsport = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--cong"))
			congport = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--host"))
			host = argv[i + 1];
		else
			break;
	if (wsport <= 0 || congport <= 0 || i != argc) {
		fputs("usage: forwarder --ws PORT --cong PORT [--host ADDR]\n",
		    stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive the bench */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	ntab = rl.rlim_cur > 1u << 20 ? 1u << 20 : (size_t)rl.rlim_cur;
	if ((tab = calloc(ntab, sizeof(*tab))) == NULL ||
	    (dirty = calloc(ntab, sizeof(*dirty))) == NULL)
		die("calloc");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	lws = listen_on(host, wsport);
	lcong = listen_on(host, congport);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 512, -1)) < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c = tab[fd];

			if (fd == lws || fd == lcong)
				on_accept(fd);
			if (c == NULL || c->fd < 0)
				continue;
			if (evs[i].events & EPOLLOUT)
				mark_dirty(c);
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(c);
		}
		for (size_t j = 0; j < ndirty; j++) {	/* a writev each */
			dirty[j]->dirty = false;
			if (dirty[j]->fd >= 0 && dirty[j]->dead)
				conn_close(dirty[j]);
			else if (dirty[j]->fd >= 0)
				flush(dirty[j]);
		}
		ndirty = 0;
	}
}
