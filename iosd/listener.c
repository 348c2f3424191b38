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

#include "admit.h"
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
		struct admit_key key;
		enum admit_reason why;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Give up the spare descriptor to take the
				 * connection off the backlog and shut it,
				 * instead of spinning on a readable socket. */
				srv->m.drops[DROP_EMFILE]++;
				if (log_allow(LC_ADMISSION))
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
		/* Refused before anything is allocated for it. */
		why = admit_check(srv, (struct sockaddr *)&ss, &key);
		if (why != ADMIT_OK) {
			admit_refuse(srv, fd, l->tr, why, &key);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_new(srv, fd, l->tr, (struct sockaddr *)&ss, sl, &key);
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

/* Bind l to spec: 0, or -1 with a message. */
static int
bind_spec(struct server *srv, struct listener *l, const struct listen_spec *spec,
    char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int rc;

	memset(l, 0, sizeof(*l));
	l->srv = srv;
	l->spec = *spec;
	l->tr = spec->tr;
	l->fd = -1;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = spec->host[0] ? AF_UNSPEC : AF_INET6;
	rc = getaddrinfo(spec->host[0] ? spec->host : NULL, spec->port, &hints,
	    &res);
	if (rc != 0 && !spec->host[0]) {
		hints.ai_family = AF_INET;	/* no IPv6 here */
		rc = getaddrinfo(NULL, spec->port, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "listen %s:%s: %s", spec->host,
		    spec->port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && l->fd < 0; ai = ai->ai_next)
		l->fd = open_one(l, ai);
	if (l->fd < 0 && !spec->host[0]) {
		struct addrinfo *r4 = NULL;

		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, spec->port, &hints, &r4) == 0) {
			for (ai = r4; ai && l->fd < 0; ai = ai->ai_next)
				l->fd = open_one(l, ai);
			freeaddrinfo(r4);
		}
	}
	if (l->fd < 0) {
		int e = errno;	/* the caller looks at it: EADDRINUSE */

		freeaddrinfo(res);
		snprintf(err, errlen, "listen %s %s:%s: %s",
		    transport_name(l->tr), spec->host[0] ? spec->host : "*",
		    spec->port, strerror(e));
		errno = e;
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

static void
watch(struct server *srv, struct listener *l)
{
	ev_io_init(&l->io, accept_cb, l->fd, EV_READ);
	l->io.data = l;
	ev_io_start(srv->loop, &l->io);
}

void
listener_open_all(struct server *srv)
{
	const struct options *o = &srv->opt;
	char err[512];

	srv->listeners = xcalloc(o->nlisten, sizeof(*srv->listeners));
	for (size_t i = 0; i < o->nlisten; i++) {
		struct listener *l = &srv->listeners[i];

		if (bind_spec(srv, l, &o->listen[i], err, sizeof(err)) < 0)
			fatalx("%s", err);
		watch(srv, l);
		srv->nlisteners++;
	}
}

static bool
same_spec(const struct listen_spec *a, const struct listen_spec *b)
{
	return a->tr == b->tr && strcmp(a->host, b->host) == 0 &&
	    strcmp(a->port, b->port) == 0;
}

/* An old listener, not kept, on the port spec wants: its socket must
 * go before spec's can bind (a new address or transport, same port). */
static size_t
same_port(const struct server *srv, const bool *kept,
    const struct listen_spec *spec)
{
	for (size_t k = 0; k < srv->nlisteners; k++)
		if (!kept[k] && srv->listeners[k].fd >= 0 &&
		    strcmp(srv->listeners[k].spec.port, spec->port) == 0)
			return k;
	return srv->nlisteners;
}

int
listener_reconcile(struct server *srv, const struct options *n, char *err,
    size_t errlen)
{
	struct listener *nl = calloc(n->nlisten ? n->nlisten : 1,
	    sizeof(*nl));
	bool *kept = calloc(srv->nlisteners + 1, sizeof(bool));
	bool *released = calloc(srv->nlisteners + 1, sizeof(bool));
	size_t *from = calloc(n->nlisten + 1, sizeof(size_t));
	size_t i, k;

	if (!nl || !kept || !released || !from) {
		free(nl);
		free(kept);
		free(released);
		free(from);
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	/* The same listeners stay as they are. */
	for (i = 0; i < n->nlisten; i++)
		for (k = 0; k < srv->nlisteners; k++)
			if (!kept[k] && srv->listeners[k].fd >= 0 &&
			    same_spec(&srv->listeners[k].spec, &n->listen[i])) {
				kept[k] = true;
				from[i] = k + 1;	/* moved below */
				break;
			}
	/* New ones are bound before anything closes, so that a port in use
	 * refuses the reload with nothing changed; but an old listener on
	 * the same port gives its socket up first (and gets it back if the
	 * reload fails). */
	for (i = 0; i < n->nlisten; i++) {
		int rc;

		if (from[i])
			continue;
		rc = bind_spec(srv, &nl[i], &n->listen[i], err, errlen);
		if (rc < 0 && errno == EADDRINUSE &&
		    (k = same_port(srv, kept, &n->listen[i])) <
		    srv->nlisteners) {
			ev_io_stop(srv->loop, &srv->listeners[k].io);
			close(srv->listeners[k].fd);
			srv->listeners[k].fd = -1;
			released[k] = true;
			rc = bind_spec(srv, &nl[i], &n->listen[i], err, errlen);
		}
		if (rc < 0) {
			for (size_t j = 0; j < i; j++)
				if (!from[j])
					close(nl[j].fd);
			for (k = 0; k < srv->nlisteners; k++) {
				struct listen_spec spec;
				char e2[256];

				if (!released[k])
					continue;
				spec = srv->listeners[k].spec;
				if (bind_spec(srv, &srv->listeners[k], &spec, e2,
				    sizeof(e2)) < 0)
					log_warnx("reload: %s (lost)", e2);
				else
					watch(srv, &srv->listeners[k]);
			}
			free(nl);
			free(kept);
			free(released);
			free(from);
			return -1;
		}
	}
	for (i = 0; i < n->nlisten; i++) {
		if (from[i]) {
			/* libev holds the watcher's address: stop, move,
			 * start again. */
			struct listener *old = &srv->listeners[from[i] - 1];

			ev_io_stop(srv->loop, &old->io);
			nl[i] = *old;
		} else
			log_info("listen: %s %s:%s opened",
			    transport_name(nl[i].tr), nl[i].spec.host[0] ?
			    nl[i].spec.host : "*", nl[i].spec.port);
		watch(srv, &nl[i]);
	}
	for (k = 0; k < srv->nlisteners; k++) {
		struct listener *l = &srv->listeners[k];

		if (kept[k])
			continue;
		if (l->fd >= 0) {
			/* Established connections stay: only accepting
			 * stops. */
			ev_io_stop(srv->loop, &l->io);
			close(l->fd);
		}
		log_info("listen: %s %s:%s closed", transport_name(l->tr),
		    l->spec.host[0] ? l->spec.host : "*", l->spec.port);
	}
	free(srv->listeners);
	free(kept);
	free(released);
	free(from);
	srv->listeners = nl;
	srv->nlisteners = n->nlisten;
	return 0;
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
