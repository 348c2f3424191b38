/*
 * listener.c - listening sockets and accept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

#define ACCEPTS_PER_EVENT 64

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct server *srv = l->srv;

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPTS_PER_EVENT && !srv->stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Give up the spare descriptor to take the
				 * connection off the backlog and shut it,
				 * instead of spinning on a readable socket. */
				srv->m.drops[DROP_EMFILE]++;
				log_warnx("accept: out of descriptors; "
				    "refusing a connection");
				if (srv->reserve_fd >= 0) {
					close(srv->reserve_fd);
					fd = accept(l->fd, NULL, NULL);
					if (fd >= 0)
						close(fd);
					srv->reserve_fd = open("/dev/null",
					    O_RDONLY | O_CLOEXEC);
				}
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_new(srv, fd, l->tr, (struct sockaddr *)&ss, sl);
	}
}

static int
open_one(struct listener *l, const struct addrinfo *ai)
{
	int fd, one = 1, zero = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A listener without an address takes IPv4 too, through [::]. */
	if (ai->ai_family == AF_INET6 && l->spec.host[0] == '\0')
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 511) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	l->addrlen = sizeof(l->addr);
	getsockname(fd, (struct sockaddr *)&l->addr, &l->addrlen);
	return fd;
}

void
listener_open_all(struct server *srv)
{
	const struct options *o = &srv->opt;

	srv->listeners = xcalloc(o->nlisten, sizeof(*srv->listeners));
	for (size_t i = 0; i < o->nlisten; i++) {
		struct listener *l = &srv->listeners[i];
		struct addrinfo hints = { 0 }, *res = NULL, *ai;
		int rc;

		l->srv = srv;
		l->spec = o->listen[i];
		l->tr = l->spec.tr;
		l->fd = -1;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		hints.ai_family = l->spec.host[0] ? AF_UNSPEC : AF_INET6;
		rc = getaddrinfo(l->spec.host[0] ? l->spec.host : NULL,
		    l->spec.port, &hints, &res);
		if (rc != 0 && !l->spec.host[0]) {
			hints.ai_family = AF_INET;	/* no IPv6 here */
			rc = getaddrinfo(NULL, l->spec.port, &hints, &res);
		}
		if (rc != 0)
			fatalx("listen %s:%s: %s", l->spec.host, l->spec.port,
			    gai_strerror(rc));
		for (ai = res; ai && l->fd < 0; ai = ai->ai_next)
			l->fd = open_one(l, ai);
		if (l->fd < 0 && !l->spec.host[0]) {
			struct addrinfo *r4 = NULL;
			hints.ai_family = AF_INET;
			if (getaddrinfo(NULL, l->spec.port, &hints, &r4) == 0) {
				for (ai = r4; ai && l->fd < 0; ai = ai->ai_next)
					l->fd = open_one(l, ai);
				freeaddrinfo(r4);
			}
		}
		freeaddrinfo(res);
		if (l->fd < 0)
			fatal("listen %s %s:%s", transport_name(l->tr),
			    l->spec.host[0] ? l->spec.host : "*", l->spec.port);
		ev_io_init(&l->io, accept_cb, l->fd, EV_READ);
		l->io.data = l;
		ev_io_start(srv->loop, &l->io);
		srv->nlisteners++;
	}
}

void
listener_close_all(struct server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		struct listener *l = &srv->listeners[i];

		if (l->fd >= 0) {
			ev_io_stop(srv->loop, &l->io);
			close(l->fd);
			l->fd = -1;
		}
	}
}

unsigned
listener_port(const struct listener *l)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->addr;

	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void
listener_addr_str(const struct listener *l, char *out, size_t len)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->addr;
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, listener_port(l));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
		snprintf(out, len, "%s:%u", host, listener_port(l));
	}
}
