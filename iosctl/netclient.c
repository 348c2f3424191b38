/*
 * netclient.c - see netclient.h. The socket, name resolution, TCP
 * connect (every address in turn), GnuTLS for wss, the phases and their
 * deadlines; the transports are client_ws.c and client_cong.c.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "nc_int.h"

#define CONNECT_MS	10000	/* TCP, TLS and the upgrade, all told */
#define CLOSE_MS	2000	/* a clean close, before it is cut */

int64_t
nc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
nc_random(void *buf, size_t n)
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, buf, n) < 0) {
		/* Never expected; still, never the same bytes twice. */
		static unsigned seed;
		uint8_t *p = buf;

		seed += (unsigned)nc_now_ms() ^ (unsigned)getpid();
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(rand_r(&seed) >> 7);
	}
}

/* ---- URLs ---- */

static int
url_err(char *err, size_t errlen, const char *what, const char *s)
{
	snprintf(err, errlen, "%s: %s", s, what);
	return -1;
}

int
nc_url_parse(const char *s, struct nc_url *u, char *err, size_t errlen)
{
	static const struct {
		const char	*prefix;
		enum nc_scheme	 scheme;
		const char	*port;
	} schemes[] = {
		{ "ws://", NC_WS, "80" },
		{ "wss://", NC_WSS, "443" },
		{ "cong://", NC_CONG, NULL },
	};
	static const char *const names[] = { "ws", "wss", "cong" };
	const char *p = s, *slash, *hend, *colon, *defport = "80";
	size_t hl;
	char *end;
	long port;

	memset(u, 0, sizeof(*u));
	u->scheme = NC_WS;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(s, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0) {
			u->scheme = schemes[i].scheme;
			defport = schemes[i].port;
			p = s + strlen(schemes[i].prefix);
			break;
		}
	if (p == s && strstr(s, "://"))
		return url_err(err, errlen, "not a ws://, wss:// or "
		    "cong:// URL", s);
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(slash - p))) == NULL)
			return url_err(err, errlen, "no ']' after an "
			    "IPv6 address", s);
		hl = (size_t)(hend - p - 1);
		memcpy(u->host, p + 1, hl < NC_HOST_MAX ? hl : 0);
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (!colon && hend + 1 != slash)
			return url_err(err, errlen, "bad address", s);
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hl = (size_t)((colon ? colon : slash) - p);
		if (hl < NC_HOST_MAX)
			memcpy(u->host, p, hl);
	}
	if (hl == 0 || hl >= NC_HOST_MAX)
		return url_err(err, errlen, "no host (or one too long)", s);
	for (const char *h = u->host; *h; h++)
		if (isspace((unsigned char)*h) || *h == '@')
			return url_err(err, errlen, "bad host", s);
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end != slash || colon + 1 == end || errno || port < 1 ||
		    port > 65535)
			return url_err(err, errlen, "bad port", s);
		snprintf(u->port, sizeof(u->port), "%ld", port);
	} else if (defport)
		snprintf(u->port, sizeof(u->port), "%s", defport);
	else
		return url_err(err, errlen, "a cong:// URL needs a port",
		    s);
	if (strlen(slash) >= NC_PATH_MAX)
		return url_err(err, errlen, "path too long", s);
	snprintf(u->path, sizeof(u->path), "%s", *slash ? slash : "/");
	for (const char *c = u->path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return url_err(err, errlen, "bad character in "
			    "the path", s);
	snprintf(u->text, sizeof(u->text), "%s://%s%s%s:%s%s",
	    names[u->scheme], strchr(u->host, ':') ? "[" : "", u->host,
	    strchr(u->host, ':') ? "]" : "", u->port,
	    u->scheme == NC_CONG ? "" : slash);
	return 0;
}

/* ---- buffers ---- */

int
nc_buf_add(struct nc_buf *b, const void *data, size_t n)
{
	size_t need;
	uint8_t *p;

	if (b->off == b->len)
		b->off = b->len = 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -1;
	need = b->len + n;
	if (need > b->cap) {
		if (b->off > 0) {	/* room at the front first */
			memmove(b->p, b->p + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
			need = b->len + n;
		}
		if (need > b->cap) {
			size_t cap = b->cap ? b->cap : 4096;

			while (cap < need)
				cap *= 2;
			if ((p = realloc(b->p, cap)) == NULL)
				return -1;
			b->p = p;
			b->cap = cap;
		}
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

size_t
nc_buf_pending(const struct nc_buf *b)
{
	return b->len - b->off;
}

void
nc_buf_free(struct nc_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- I/O for the transports ---- */

ssize_t
nc_io_read(struct nc *nc, void *buf, size_t len)
{
	ssize_t n;

	if (nc->phase == NC_DEAD) {
		errno = ECONNRESET;
		return -1;
	}
	if (nc->tls) {
		n = gnutls_record_recv(nc->tls, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			errno = EAGAIN;
			return -1;
		}
		/* A peer that closes without close_notify has still closed. */
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		snprintf(nc->last_err, sizeof(nc->last_err), "TLS: %s",
		    gnutls_strerror((int)n));
		errno = EPROTO;
		return -1;
	}
	do
		n = read(nc->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EWOULDBLOCK)
		errno = EAGAIN;
	if (n < 0 && errno != EAGAIN)
		snprintf(nc->last_err, sizeof(nc->last_err), "%s",
		    strerror(errno));
	return n;
}

ssize_t
nc_io_write(struct nc *nc, const void *buf, size_t len)
{
	ssize_t n;

	if (nc->phase == NC_DEAD) {
		errno = ECONNRESET;
		return -1;
	}
	if (nc->tls) {
		n = gnutls_record_send(nc->tls, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			errno = EAGAIN;
			return -1;
		}
		snprintf(nc->last_err, sizeof(nc->last_err), "TLS: %s",
		    gnutls_strerror((int)n));
		errno = EPROTO;
		return -1;
	}
	do
		n = send(nc->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EWOULDBLOCK)
		errno = EAGAIN;
	if (n < 0 && errno != EAGAIN)
		snprintf(nc->last_err, sizeof(nc->last_err), "%s",
		    strerror(errno));
	return n;
}

int
nc_flush_out(struct nc *nc)
{
	ssize_t n;

	while (nc_buf_pending(&nc->out) > 0) {
		n = nc_io_write(nc, nc->out.p + nc->out.off,
		    nc_buf_pending(&nc->out));
		if (n > 0) {
			nc->out.off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return 0;
		nc_fail(nc, "write: %s", nc->last_err[0] ? nc->last_err :
		    "failed");
		return -1;
	}
	nc->out.off = nc->out.len = 0;
	return 0;
}

void
nc_emit(struct nc *nc, enum nc_event ev, const uint8_t *data, size_t len)
{
	if (nc->phase != NC_DEAD || ev == NC_EV_CLOSED)
		nc->fn(nc->arg, ev, data, len, ev == NC_EV_CLOSED ?
		    (const char *)data : NULL);
}

void
nc_fail(struct nc *nc, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	if (nc->phase == NC_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	nc->phase = NC_DEAD;
	nc->deadline = -1;
	if (nc->tls) {
		gnutls_deinit(nc->tls);
		nc->tls = NULL;
	}
	if (nc->fd >= 0) {
		close(nc->fd);
		nc->fd = -1;
	}
	nc->fn(nc->arg, NC_EV_CLOSED, (const uint8_t *)why, strlen(why), why);
}

void
nc_opened(struct nc *nc)
{
	nc->phase = NC_OPEN;
	nc->deadline = -1;
	nc->opened = true;
	nc_emit(nc, NC_EV_OPEN, NULL, 0);
}

void
nc_half_close(struct nc *nc)
{
	if (nc->fd < 0)
		return;
	if (nc->tls)
		(void)gnutls_bye(nc->tls, GNUTLS_SHUT_WR);
	(void)shutdown(nc->fd, SHUT_WR);
}

/* ---- connecting ---- */

static void
start_transport(struct nc *nc)
{
	nc->phase = NC_STARTING;
	if (nc->ops->start(nc) < 0)
		nc_fail(nc, "out of memory");
}

static void
handshake(struct nc *nc)
{
	gnutls_datum_t out;
	unsigned status;
	int r;

	r = gnutls_handshake(nc->tls);
	if (r == GNUTLS_E_SUCCESS) {
		start_transport(nc);
		return;
	}
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
	    !gnutls_error_is_fatal(r))
		return;
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(nc->tls);
		if (gnutls_certificate_verification_status_print(status,
		    gnutls_certificate_type_get(nc->tls), &out, 0) == 0) {
			nc_fail(nc, "TLS: the server's certificate is not "
			    "trusted: %s (--ca FILE trusts a CA, --insecure "
			    "skips the check)", out.data);
			gnutls_free(out.data);
			return;
		}
	}
	nc_fail(nc, "TLS handshake: %s", gnutls_strerror(r));
}

static int
tls_start(struct nc *nc)
{
	struct in6_addr a6;
	struct in_addr a4;
	gnutls_datum_t alpn = { (unsigned char *)"http/1.1", 8 };
	int r;

	if ((r = gnutls_init(&nc->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0)
		goto bad;
	if ((r = gnutls_set_default_priority(nc->tls)) < 0 ||
	    (r = gnutls_credentials_set(nc->tls, GNUTLS_CRD_CERTIFICATE,
	    nc->cred)) < 0)
		goto bad;
	/* SNI names a host, never an address (RFC 6066 3). */
	if (inet_pton(AF_INET, nc->url.host, &a4) != 1 &&
	    inet_pton(AF_INET6, nc->url.host, &a6) != 1 &&
	    (r = gnutls_server_name_set(nc->tls, GNUTLS_NAME_DNS,
	    nc->url.host, strlen(nc->url.host))) < 0)
		goto bad;
	if (!nc->insecure)
		gnutls_session_set_verify_cert(nc->tls, nc->url.host, 0);
	(void)gnutls_alpn_set_protocols(nc->tls, &alpn, 1, 0);
	gnutls_transport_set_int(nc->tls, nc->fd);
	nc->phase = NC_HANDSHAKE;
	handshake(nc);
	return 0;
bad:
	nc_fail(nc, "TLS: %s", gnutls_strerror(r));
	return -1;
}

static void
connected(struct nc *nc)
{
	int one = 1;

	(void)setsockopt(nc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(nc->ai_list);
	nc->ai_list = nc->ai_next = NULL;
	if (nc->url.scheme == NC_WSS)
		(void)tls_start(nc);
	else
		start_transport(nc);
}

static void
addr_text(const struct addrinfo *ai, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST);
	snprintf(buf, cap, "%s", host);
}

/*
 * Tries the next address: 1 connecting (or connected), 0 when none is
 * left (the reason in last_err).
 */
static int
try_next(struct nc *nc)
{
	char where[INET6_ADDRSTRLEN];
	struct addrinfo *ai;

	while ((ai = nc->ai_next) != NULL) {
		nc->ai_next = ai->ai_next;
		nc->fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (nc->fd < 0) {
			snprintf(nc->last_err, sizeof(nc->last_err), "%s",
			    strerror(errno));
			continue;
		}
		if (connect(nc->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			nc->phase = NC_CONNECTING;
			return 1;
		}
		addr_text(ai, where, sizeof(where));
		snprintf(nc->last_err, sizeof(nc->last_err), "%s (%s)",
		    strerror(errno), where);
		close(nc->fd);
		nc->fd = -1;
	}
	return 0;
}

static void
connect_done(struct nc *nc)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(nc->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		e = errno;
	if (e == 0) {
		connected(nc);
		return;
	}
	snprintf(nc->last_err, sizeof(nc->last_err), "%s", strerror(e));
	close(nc->fd);
	nc->fd = -1;
	if (!try_next(nc))
		nc_fail(nc, "%s", nc->last_err);
}

static int
load_trust(struct nc *nc, const struct nc_tls *t, char *err, size_t errlen)
{
	int r;

	nc->insecure = t && t->insecure;
	if ((r = gnutls_certificate_allocate_credentials(&nc->cred)) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
		return -1;
	}
	if (t && t->ca_file) {
		r = gnutls_certificate_set_x509_trust_file(nc->cred,
		    t->ca_file, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "--ca %s: %s", t->ca_file, r < 0 ?
			    gnutls_strerror(r) : "no certificate in it");
			return -1;
		}
	} else if (!nc->insecure) {
		r = gnutls_certificate_set_x509_system_trust(nc->cred);
		if (r <= 0) {
			snprintf(err, errlen, "TLS: no system trust store (%s):"
			    " give --ca FILE", r < 0 ? gnutls_strerror(r) :
			    "empty");
			return -1;
		}
	}
	return 0;
}

struct nc *
nc_open(const struct nc_url *u, const struct nc_tls *tls, nc_event_fn *fn,
    void *arg, char *err, size_t errlen)
{
	struct addrinfo hints;
	struct nc *nc;
	int r;

	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nc->url = *u;
	nc->fd = -1;
	nc->fn = fn;
	nc->arg = arg;
	nc->deadline = nc_now_ms() + CONNECT_MS;
	nc->ops = u->scheme == NC_CONG ? &nc_cong_ops : &nc_ws_ops;
	if (u->scheme == NC_WSS && load_trust(nc, tls, err, errlen) < 0)
		goto fail;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	r = getaddrinfo(u->host, u->port, &hints, &nc->ai_list);
	if (r == EAI_NONAME || r == EAI_ADDRFAMILY) {
		/* AI_ADDRCONFIG hides ::1 on a host with loopback only. */
		hints.ai_flags = 0;
		r = getaddrinfo(u->host, u->port, &hints, &nc->ai_list);
	}
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", u->host, r == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(r));
		goto fail;
	}
	nc->ai_next = nc->ai_list;
	if (!try_next(nc)) {
		snprintf(err, errlen, "%s", nc->last_err);
		goto fail;
	}
	return nc;
fail:
	nc->phase = NC_DEAD;
	nc_free(nc);
	return NULL;
}

/* ---- the loop's side ---- */

int
nc_fd(const struct nc *nc)
{
	return nc->fd;
}

short
nc_events(const struct nc *nc)
{
	switch (nc->phase) {
	case NC_CONNECTING:
		return POLLOUT;
	case NC_HANDSHAKE:
		return gnutls_record_get_direction(nc->tls) ? POLLOUT : POLLIN;
	case NC_STARTING:
	case NC_OPEN:
	case NC_CLOSING:
		return nc->ops->events(nc);
	case NC_DEAD:
		break;
	}
	return 0;
}

void
nc_process(struct nc *nc, short revents)
{
	if (revents == 0)
		return;
	switch (nc->phase) {
	case NC_CONNECTING:
		connect_done(nc);
		break;
	case NC_HANDSHAKE:
		handshake(nc);
		break;
	case NC_STARTING:
	case NC_OPEN:
	case NC_CLOSING:
		if (revents & (POLLIN | POLLHUP | POLLERR))
			nc->ops->input(nc);
		if (nc->phase != NC_DEAD && (revents & POLLOUT))
			nc->ops->output(nc);
		break;
	case NC_DEAD:
		break;
	}
}

int64_t
nc_deadline(const struct nc *nc)
{
	return nc->phase == NC_DEAD ? -1 : nc->deadline;
}

void
nc_tick(struct nc *nc, int64_t now)
{
	static const char *const what[] = {
		[NC_CONNECTING] = "connecting timed out",
		[NC_HANDSHAKE] = "the TLS handshake timed out",
		[NC_STARTING] = "the server did not answer the WebSocket "
		    "upgrade",
		[NC_OPEN] = "timed out",
		[NC_CLOSING] = "closed",
	};

	if (nc->phase == NC_DEAD || nc->deadline < 0 || now < nc->deadline)
		return;
	if (nc->phase == NC_CONNECTING && nc->last_err[0])
		nc_fail(nc, "%s (%s)", what[nc->phase], nc->last_err);
	else
		nc_fail(nc, "%s", what[nc->phase]);
}

int
nc_send(struct nc *nc, const uint8_t *data, size_t len)
{
	if (nc->phase != NC_OPEN)
		return -1;
	return nc->ops->send(nc, data, len);
}

bool
nc_flushed(const struct nc *nc)
{
	return nc->phase == NC_DEAD || (nc->phase >= NC_OPEN &&
	    nc->ops->flushed(nc));
}

void
nc_shutdown(struct nc *nc)
{
	if (nc->phase == NC_DEAD || nc->phase == NC_CLOSING)
		return;
	if (nc->phase != NC_OPEN) {
		nc_fail(nc, "closed");
		return;
	}
	nc->phase = NC_CLOSING;
	nc->deadline = nc_now_ms() + CLOSE_MS;
	nc->ops->shutdown(nc);
}

void
nc_abort(struct nc *nc, const char *why)
{
	nc_fail(nc, "%s", why);
}

bool
nc_open_yet(const struct nc *nc)
{
	return nc->opened;
}

bool
nc_dead(const struct nc *nc)
{
	return nc->phase == NC_DEAD;
}

bool
nc_tls_on(const struct nc *nc)
{
	return nc->url.scheme == NC_WSS;
}

void
nc_free(struct nc *nc)
{
	if (nc == NULL)
		return;
	if (nc->tls)
		gnutls_deinit(nc->tls);
	if (nc->fd >= 0)
		close(nc->fd);
	if (nc->ops && nc->tr)
		nc->ops->free(nc);
	if (nc->cred)
		gnutls_certificate_free_credentials(nc->cred);
	if (nc->ai_list)
		freeaddrinfo(nc->ai_list);
	nc_buf_free(&nc->out);
	free(nc);
}
