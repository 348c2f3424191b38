/*
 * listener.h - listening sockets. Accept never spins on EMFILE: a spare
 * descriptor is given up to accept and shut the pending connection.
 */
#ifndef IOSD_LISTENER_H
#define IOSD_LISTENER_H

#include <sys/socket.h>

#include <ev.h>

#include "options.h"

struct server;

struct listener {
	struct server *srv;
	enum transport tr;
	int fd;
	ev_io io;
	struct sockaddr_storage addr;	/* bound address, port resolved */
	socklen_t addrlen;
	struct listen_spec spec;
};

/* Open every listener of the options; exits with a message on failure. */
void listener_open_all(struct server *srv);
void listener_close_all(struct server *srv);
/* Make the open listeners those of n: keep the same, open the new (all
 * of them before anything closes), close the gone. 0, or -1 with err and
 * nothing changed. */
int listener_reconcile(struct server *srv, const struct options *n,
    char *err, size_t errlen);
/* "127.0.0.1:7777" / "[::]:7777" of a bound listener. */
void listener_addr_str(const struct listener *l, char *out, size_t len);
unsigned listener_port(const struct listener *l);

#endif
