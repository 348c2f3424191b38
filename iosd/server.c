/*
 * server.c - the loop's housekeeping: deferred flushes and frees in the
 * prepare hook, the keepalive tick, SERVER_SIGNAL to all, and a clean stop.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "admit.h"
#include "authsrc.h"
#include "clock.h"
#include "conn.h"
#include "ctl.h"
#include "filelog.h"
#include "listener.h"
#include "log.h"
#include "monitor.h"
#include "msg.h"
#include "notify.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "net_tls.h"
#include "net_ws.h"

/* Every deadline, lock, rate and expiry counts on the monotonic clock:
 * a Pi has no RTC and steps its wall clock at NTP sync (and clock.h
 * guards against that clock stepping too). */
uint64_t
server_now_ms(const struct server *srv)
{
	(void)srv;
	return clock_ms();
}

uint64_t
server_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
server_uptime_s(const struct server *srv)
{
	return (server_now_ms(srv) - srv->start_ms) / 1000;
}

int64_t
server_wall_of(const struct server *srv, uint64_t mono_ms)
{
	return (int64_t)(server_wall_ms() / 1000) -
	    (int64_t)((server_now_ms(srv) - mono_ms) / 1000);
}

void
server_add_conn(struct server *srv, struct conn *c)
{
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
}

void
server_remove_conn(struct server *srv, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
}

struct conn *
server_find_ssid(struct server *srv, uint32_t ssid)
{
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->ssid == ssid && c->state == CONN_OPEN)
			return c;
	return NULL;
}

void
server_want_flush(struct server *srv, struct conn *c)
{
	if (c->in_wlist)
		return;
	c->in_wlist = true;
	c->wnext = srv->wlist;
	srv->wlist = c;
}

void
server_wall(struct server *srv, const char *json, size_t len)
{
	struct msg *m = msg_new(len + 1);

	if (m == NULL) {
		log_warnx("wall: out of memory: not sent");
		return;
	}
	m->data[0] = IOS_SERVER_SIGNAL;
	memcpy(m->data + 1, json, len);
	for (struct conn *c = srv->conns; c; c = c->next)
		if (c->state == CONN_OPEN)
			session_send(c, m);
	msg_unref(m);
}

/* Before the loop sleeps: write what was queued this round in one writev
 * per connection, and free connections that are done. */
static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *srv = w->data;

	(void)revents;
	while (srv->wlist) {
		struct conn *c = srv->wlist;

		srv->wlist = c->wnext;
		c->in_wlist = false;
		if (c->state == CONN_DEAD)
			conn_destroy(c);
		else
			conn_flush(c);
	}
	ctl_reap(srv);
	if (srv->stopping && srv->nconns == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* A silent client dies on the second tick after its last traffic. */
static void
ping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;

	(void)loop;
	(void)revents;
	size_t open = 0;

	for (struct conn *c = srv->conns; c; c = c->next) {
		if (c->state != CONN_OPEN)
			continue;
		open++;
		if (!c->s->alive) {
			conn_fail(c, DROP_TIMEOUT, WS_CLOSE_GOING_AWAY,
			    "keepalive timeout");
			continue;
		}
		c->s->alive = false;
		conn_ping(c);
	}
	notify_status("%zu clients, %llu channels", open,
	    (unsigned long long)srv->m.channels);
}

static void
stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	log_warnx("stop: clients did not close in time; exiting anyway");
	ev_break(loop, EVBREAK_ALL);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *srv = w->data;

	(void)revents;
	if (srv->stopping)
		return;
	log_info("signal %d: stopping", w->signum);
	notify_stopping();
	srv->stopping = true;
	listener_close_all(srv);
	ev_timer_stop(loop, &srv->ping);
	monitor_stop(srv);
	for (struct conn *c = srv->conns; c; c = c->next)
		conn_close(c, true, WS_CLOSE_GOING_AWAY, "server stopping");
	ev_timer_set(&srv->stop_timer, srv->opt.stop_ms / 1000.0, 0);
	ev_timer_start(loop, &srv->stop_timer);
	ev_unref(loop);		/* the timer alone must not keep us up */
}

/* What only a restart changes (options.c's table marks it): kept as it
 * runs, with a warning. */
static void
keep_running(struct options *n, const struct options *o)
{
	options_keep_restart(n, o);
}

int
server_reload(struct server *srv, const char **what, size_t *nwhat,
    char *err, size_t errlen)
{
	struct options n;
	struct authsrc *a = NULL;
	struct tls_ctx *t = NULL;
	bool wss = false;
	int rc;

	*nwhat = 0;
	filelog_reopen();	/* logrotate moved them: whatever else fails */
	if (srv->stopping) {
		snprintf(err, errlen, "the daemon is stopping");
		return -1;
	}
	options_defaults(&n);
	options_quiet(true);
	rc = options_parse(&n, srv->argc, srv->argv);
	options_quiet(false);
	if (rc != 0) {
		snprintf(err, errlen, "%s", options_error());
		options_free(&n);
		return -1;
	}
	keep_running(&n, &srv->opt);
	if (n.nauth_files || n.nauth_params || n.auth_env) {
		const char *env = getenv("BOHO_AUTH");

		if ((a = authsrc_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < n.nauth_files; i++)
			if (authsrc_load_file(a, n.auth_files[i], err,
			    errlen) < 0)
				goto fail;
		for (size_t i = 0; i < n.nauth_params; i++)
			if (authsrc_load_param(a, n.auth_params[i],
			    "--auth-param", err, errlen) < 0)
				goto fail;
		if (n.auth_env && (env == NULL || authsrc_load_param(a, env,
		    "BOHO_AUTH", err, errlen) < 0)) {
			if (env == NULL)
				snprintf(err, errlen, "BOHO_AUTH is not set");
			goto fail;
		}
	}
	for (size_t i = 0; i < n.nlisten; i++)
		wss |= n.listen[i].tr == TR_WSS;
	if (wss && (t = tls_ctx_load(n.tls_cert, n.tls_key, n.tls_priority,
	    err, errlen)) == NULL)
		goto fail;
	/* Last, as it may bind ports: after it nothing can fail. */
	if (listener_reconcile(srv, &n, err, errlen) < 0)
		goto fail;

	authsrc_free(srv->auth);
	srv->auth = a;
	if (a)
		what[(*nwhat)++] = "auth";
	store_quota_reload(srv->store);
	what[(*nwhat)++] = "quotas";
	/* Sessions made with the old credentials keep them. */
	tls_ctx_unref(srv->tls);
	srv->tls = t;
	if (t) {
		what[(*nwhat)++] = "tls";
		log_info("tls: %s", tls_ctx_describe(t));
	}
	what[(*nwhat)++] = "listeners";
	if (n.timeout_ms != srv->opt.timeout_ms) {
		srv->ping.repeat = n.timeout_ms / 1000.0;
		ev_timer_again(srv->loop, &srv->ping);
	}
	log_set_level((enum log_level)n.log_level);
	if (n.file_logger && (srv->opt.file_logger == NULL ||
	    strcmp(n.file_logger, srv->opt.file_logger) != 0)) {
		filelog_close();
		if (filelog_open(n.file_logger) < 0)
			log_warn("-f %s", n.file_logger);
	} else if (n.file_logger == NULL)
		filelog_stop();
	what[(*nwhat)++] = "options";
	options_free(&srv->opt);
	srv->opt = n;
	monitor_apply(srv);
	admit_configure(srv);
	srv->mem.limit = n.max_bufmem;
	bufmem_check(srv);
	/* Channel permissions again, over the subscriptions there are. */
	if (acl_load(srv) >= 0) {
		acl_apply(srv);
		what[(*nwhat)++] = "acl";
	}
	return 0;
fail:
	authsrc_free(a);
	tls_ctx_unref(t);
	options_free(&n);
	return -1;
}

static void
sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *srv = w->data;
	const char *what[SERVER_RELOAD_MAX];
	char err[512], done[128] = "";
	size_t n;

	(void)loop;
	(void)revents;
	notify_reloading();
	if (server_reload(srv, what, &n, err, sizeof(err)) < 0) {
		log_warnx("SIGHUP: reload refused, nothing changed: %s", err);
		notify_reloaded();
		return;
	}
	notify_reloaded();
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(done);

		snprintf(done + l, sizeof(done) - l, "%s%s", i ? ", " : "",
		    what[i]);
	}
	log_info("SIGHUP: reloaded %s", done);
}

/* Once a second: what the rate-limited logs held back, admission
 * summaries, idle state swept. */
static void
housekeeping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;

	(void)loop;
	(void)revents;
	log_tick();
	admit_tick(srv);
	conn_rates_tick(srv);
	acl_anonymous_tick(srv);
}

void
server_setup(struct server *srv)
{
	struct ev_loop *loop = srv->loop;
	double period = srv->opt.timeout_ms / 1000.0;

	ev_prepare_init(&srv->prepare, prepare_cb);
	srv->prepare.data = srv;
	ev_prepare_start(loop, &srv->prepare);
	ev_timer_init(&srv->ping, ping_cb, period, period);
	srv->ping.data = srv;
	ev_timer_start(loop, &srv->ping);
	ev_timer_init(&srv->housekeeping, housekeeping_cb, 1.0, 1.0);
	srv->housekeeping.data = srv;
	ev_timer_start(loop, &srv->housekeeping);
	ev_signal_init(&srv->sigint, signal_cb, SIGINT);
	ev_signal_init(&srv->sigterm, signal_cb, SIGTERM);
	srv->sigint.data = srv->sigterm.data = srv;
	ev_signal_start(loop, &srv->sigint);
	ev_signal_start(loop, &srv->sigterm);
	ev_signal_init(&srv->sighup, sighup_cb, SIGHUP);
	srv->sighup.data = srv;
	ev_signal_start(loop, &srv->sighup);
	ev_init(&srv->stop_timer, stop_timer_cb);
	srv->stop_timer.data = srv;
	monitor_apply(srv);
}

void
server_teardown(struct server *srv)
{
	/* Whatever is left after the stop deadline. */
	monitor_stop(srv);
	srv->wlist = NULL;
	while (srv->conns) {
		struct conn *c = srv->conns;

		if (c->state != CONN_DEAD) {
			c->eof = true;
			conn_close(c, false, 0, "exit");
		}
		conn_destroy(c);
	}
	listener_close_all(srv);
	free(srv->listeners);
	router_free(srv);
	acl_free(srv);
}
