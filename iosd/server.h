/*
 * server.h - the daemon's one context: the loop, options, metrics, the
 * router and every connection. Passed explicitly; nothing global.
 */
#ifndef IOSD_SERVER_H
#define IOSD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "bufmem.h"
#include "metrics.h"
#include "options.h"
#include "proto.h"

struct conn;
struct router;
struct acl;
struct listener;
struct store;
struct authsrc;
struct backoff;
struct audit;
struct admit;
struct trace_sub;
struct ctl_listener;
struct ctl_client;
struct tls_ctx;
struct cluster;

#define SERVER_RX_SIZE	65536
#define SERVER_TX_SIZE	65536

struct server {
	struct ev_loop *loop;
	struct options opt;
	struct metrics m;
	struct bufmem mem;		/* --max-buffer-memory */
	struct boho_env env;		/* clock and randomness */

	struct listener *listeners;
	size_t nlisteners;

	struct conn *conns;		/* every connection */
	struct conn *wlist;		/* to flush in the prepare hook */
	size_t nconns;
	uint32_t next_ssid;

	struct router *router;		/* channels, CIDs (router.c's) */
	struct acl *acl;		/* channel permissions (acl.c's) */

	struct store *store;		/* SQLite, maybe Redis for devices */
	struct authsrc *auth;		/* -d / -e / -E devices, or NULL */
	struct backoff *fails;		/* failed logins by address and id */
	struct audit *audit;		/* failed logins gathered for the log */
	struct admit *admit;		/* admission control at accept */
	struct trace_sub *traces;	/* trace streams of control clients */
	size_t ntraces;
	struct ctl_listener *ctl;	/* control sockets */
	struct ctl_client *ctl_clients;
	bool ctl_dead;			/* closed control clients to free */
	struct tls_ctx *tls;		/* wss credentials, NULL without -W */
	struct cluster *cluster;	/* --cluster, or NULL (cluster.c) */

	ev_prepare prepare;
	ev_timer ping;
	ev_timer housekeeping;		/* once a second: summaries, sweeps */
	ev_signal sigint, sigterm, sighup;
	ev_timer stop_timer;
	ev_timer monitor;		/* -m: the reference's tables */
	uint64_t monitor_rx, monitor_tx;	/* bytes at the last print */
	int reserve_fd;			/* spare descriptor for EMFILE */
	uint64_t start_ms;
	bool stopping;
	int argc;			/* the command line, for reloads */
	char **argv;
	/* The loop's one read buffer: a transport reads into it and keeps
	 * bytes of its own only while a message is partly received. */
	uint8_t rx[SERVER_RX_SIZE];
	/* The loop's one write staging buffer: small queued messages are
	 * copied into it so that a flush is one contiguous write (conn.c). */
	uint8_t tx[SERVER_TX_SIZE];
};

/* Watchers of the loop (prepare hook, keepalive, signals). */
void server_setup(struct server *srv);
/* Close what is left and free everything after the loop returns. */
void server_teardown(struct server *srv);
/*
 * SIGHUP and `iosctl reload`: the configuration file and command line
 * again, the -d/-e/-E devices, the quota table, the TLS certificate and
 * the listeners, each built aside and swapped in only when all of them
 * loaded, so a broken one changes nothing; established connections stay.
 * what[] gets the names of the parts reloaded. 0, or -1 with err.
 */
#define SERVER_RELOAD_MAX	8
int server_reload(struct server *srv, const char **what, size_t *nwhat,
    char *err, size_t errlen);
/* Monotonic milliseconds: for every timeout, lock, rate and expiry. */
uint64_t server_now_ms(const struct server *srv);
/* Wall clock, for display and the protocol's own timestamps only. */
uint64_t server_wall_ms(void);
uint64_t server_uptime_s(const struct server *srv);
/* The Unix time (seconds) of a server_now_ms() instant, for display. */
int64_t server_wall_of(const struct server *srv, uint64_t mono_ms);
/* Send a SERVER_SIGNAL (JSON text) to every client. */
void server_wall(struct server *srv, const char *json, size_t len);
void server_add_conn(struct server *srv, struct conn *c);
void server_remove_conn(struct server *srv, struct conn *c);
/* Schedule c for the prepare-hook flush. */
void server_want_flush(struct server *srv, struct conn *c);
/* The connection with this session id, or NULL once it is gone. */
struct conn *server_find_ssid(struct server *srv, uint32_t ssid);

#endif
