/*
 * main.c - iosd: parse the command line, open the listeners, print the
 * banner, run the loop.
 */
#include <fcntl.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "acl.h"
#include "admit.h"
#include "audit.h"
#include "authsrc.h"
#include "backoff.h"
#include "cluster.h"
#include "ctl.h"
#include "filelog.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "net_tls.h"
#include "version.h"

/*
 * libev cannot handle a failed allocation of its own (it aborts), and it
 * allocates only when its arrays of watchers grow: wait a little and try
 * again, as ev(3) suggests, for about a second before giving up.
 */
static void *
ev_alloc_retry(void *ptr, long size)
{
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	for (int i = 0; i < 1000; i++) {
		void *p = realloc(ptr, (size_t)size);
		struct timespec ts = { 0, 1000000 };

		if (p)
			return p;
		nanosleep(&ts, NULL);
	}
	log_warnx("libev: out of memory for %ld bytes", size);
	abort();
}

static uint64_t
env_now(void *ctx)
{
	(void)ctx;
	return server_wall_ms();	/* Boho salts with Unix time */
}

static void
env_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	if (gnutls_rnd(GNUTLS_RND_NONCE, out, n) < 0)
		fatalx("gnutls_rnd failed");
}

/* The first non-loopback IPv4 address, for the banner's Network lines. */
static void
network_address(char *out, size_t len)
{
	struct ifaddrs *ifa, *i;

	snprintf(out, len, "%s", "");
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *)i->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET ||
		    ntohl(sin->sin_addr.s_addr) >> 24 == 127)
			continue;
		inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)len);
		break;
	}
	freeifaddrs(ifa);
}

#define BANNER_LINES 40
#define BANNER_WIDTH 72

__attribute__((format(printf, 3, 4)))
static void
banner_add(char lines[][BANNER_WIDTH], size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= BANNER_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(lines[(*n)++], BANNER_WIDTH, fmt, ap);
	va_end(ap);
}

/* Boxed like the reference io-server's, one section per transport. */
static void
banner(const struct server *srv)
{
	char lines[BANNER_LINES][BANNER_WIDTH], net[INET_ADDRSTRLEN];
	size_t n = 0, w = 0;

	network_address(net, sizeof(net));
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = &srv->listeners[i];

		printf("opening %s Server: %u\n", l->tr == TR_CONG ?
		    "CongSocket" : l->tr == TR_WSS ? "WebSocket (TLS)" :
		    "WebSocket", listener_port(l));
	}
	banner_add(lines, &n, "Serving");
	for (int pass = 0; pass < 2; pass++) {
		enum transport tr = pass ? TR_CONG : TR_WS;
		bool head = false;

		for (size_t i = 0; i < srv->nlisteners; i++) {
			const struct listener *l = &srv->listeners[i];
			const char *host = l->spec.host[0] ? l->spec.host :
			    "localhost";
			unsigned port = listener_port(l);
			const char *scheme = pass ? "cong" : l->tr == TR_WSS ?
			    "wss" : "ws";
			char url[160];

			if (l->tr != tr && !(tr == TR_WS && l->tr == TR_WSS))
				continue;
			if (!head) {
				banner_add(lines, &n, " ");
				banner_add(lines, &n, "IOSignal Over %s", pass ?
				    "CongSocket" : "WebSocket");
				banner_add(lines, &n, "%s", pass ? "Node.js" :
				    "Web Browser & Node.js");
				head = true;
			}
			if (strchr(host, ':'))
				snprintf(url, sizeof(url), "%s://[%s]", scheme,
				    host);
			else
				snprintf(url, sizeof(url), "%s://%s", scheme, host);
			banner_add(lines, &n, "- Local: %s:%u", url, port);
			if (!l->spec.host[0] && net[0]) {
				snprintf(url, sizeof(url), "%s://%s", scheme, net);
				banner_add(lines, &n, "- Network: %s:%u", url, port);
			}
			if (pass) {
				banner_add(lines, &n, "Arduino");
				banner_add(lines, &n, "- host: %s", l->spec.host[0] ?
				    l->spec.host : (net[0] ? net : "localhost"));
				banner_add(lines, &n, "- port: %u", port);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(lines[i]) > w)
			w = strlen(lines[i]);
	fputs("┌", stdout);
	for (size_t i = 0; i < w + 2; i++)
		fputs("─", stdout);
	fputs("┐\n", stdout);
	for (size_t i = 0; i < n; i++)
		printf("│ %-*s │\n", (int)w, lines[i]);
	fputs("└", stdout);
	for (size_t i = 0; i < w + 2; i++)
		fputs("─", stdout);
	fputs("┘\n", stdout);
	fflush(stdout);
}

/* The database (migrated), the -d/-e/-E devices, retained signals. A
 * problem with any of them stops the start with a clear message. */
static void
open_store(struct server *srv)
{
	const struct options *o = &srv->opt;
	char err[512];

	srv->store = store_open(srv->loop, o->db_path, o->redis ?
	    (o->redis_url ? o->redis_url : "") : NULL, err, sizeof(err));
	if (srv->store == NULL)
		fatalx("store: %s", err);
	if (o->nauth_files || o->nauth_params || o->auth_env) {
		if ((srv->auth = authsrc_new()) == NULL)
			fatalx("out of memory");
		for (size_t i = 0; i < o->nauth_files; i++)
			if (authsrc_load_file(srv->auth, o->auth_files[i], err,
			    sizeof(err)) < 0)
				fatalx("--auth-file %s", err);
		for (size_t i = 0; i < o->nauth_params; i++)
			if (authsrc_load_param(srv->auth, o->auth_params[i],
			    "--auth-param", err, sizeof(err)) < 0)
				fatalx("%s", err);
		if (o->auth_env) {
			const char *env = getenv("BOHO_AUTH");

			if (env == NULL || *env == '\0')
				fatalx("--auth-env: BOHO_AUTH is not set");
			if (authsrc_load_param(srv->auth, env, "BOHO_AUTH", err,
			    sizeof(err)) < 0)
				fatalx("%s", err);
		}
		log_info("auth: %zu devices from the command line and files",
		    authsrc_count(srv->auth));
	}
	srv->fails = backoff_new(srv->opt.auth_fail_ms);
	srv->audit = audit_new(srv);
	admit_load_bans(srv);
	router_load_retained(srv);
	if (acl_load(srv) > 0)
		log_info("acl: %zu channel permission rules", acl_count(srv));
	log_info("store: %s, devices in %s", o->db_path,
	    store_backend_name(srv->store));
}

/* The wss credentials, when a -W listener needs them. */
static void
open_tls(struct server *srv)
{
	const struct options *o = &srv->opt;
	char err[512];
	bool wss = false;

	for (size_t i = 0; i < o->nlisten; i++)
		wss |= o->listen[i].tr == TR_WSS;
	if (!wss)
		return;
	srv->tls = tls_ctx_load(o->tls_cert, o->tls_key, o->tls_priority, err,
	    sizeof(err));
	if (srv->tls == NULL)
		fatalx("%s", err);
	log_info("tls: %s", tls_ctx_describe(srv->tls));
}

static void
open_control(struct server *srv)
{
	char err[512];

	if (srv->opt.control &&
	    ctl_listen(srv, srv->opt.control, false, err, sizeof(err)) < 0)
		fatalx("control socket %s", err);
	if (srv->opt.control_ro &&
	    ctl_listen(srv, srv->opt.control_ro, true, err, sizeof(err)) < 0)
		fatalx("control socket %s", err);
}

int
main(int argc, char **argv)
{
	static struct server srv;	/* large: counters per type */
	int rc;

	options_defaults(&srv.opt);
	srv.argc = argc;
	srv.argv = argv;
	rc = options_parse(&srv.opt, argc, argv);
	if (rc == 1)
		return 0;
	if (rc != 0)
		return 2;
	log_init((enum log_level)srv.opt.log_level);
	if (srv.opt.syslog)
		log_syslog();
	if (srv.opt.file_logger && filelog_open(srv.opt.file_logger) < 0)
		fatal("-f %s", srv.opt.file_logger);
	signal(SIGPIPE, SIG_IGN);
	if (gnutls_global_init() < 0)
		fatalx("gnutls_global_init failed");

	/* Large buffers (a message being received, a big send queue) are
	 * mapped on their own and unmapped when freed: memory that a flood
	 * made the daemon hold goes back to the system, instead of staying
	 * in the heap as glibc's moving threshold would leave it. 32 KiB:
	 * a message growing by doubling leaves at most its small steps
	 * (1-16 KiB) behind in the heap, not the 64 KiB one as well. */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	ev_set_allocator(ev_alloc_retry);
	srv.loop = ev_default_loop(EVFLAG_AUTO);
	if (srv.loop == NULL)
		fatalx("cannot initialise libev");
	srv.env.now_ms = env_now;
	srv.env.random = env_random;
	srv.env.ctx = &srv;
	srv.start_ms = server_now_ms(&srv);
	srv.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (srv.opt.show_options)
		options_print(&srv.opt, stdout);
	srv.admit = admit_new();
	admit_configure(&srv);
	if ((srv.router = router_new()) == NULL)
		fatalx("out of memory");
	srv.mem.limit = srv.opt.max_bufmem;
	open_store(&srv);
	{
		char cerr[512];

		if (cluster_open(&srv, cerr, sizeof(cerr)) < 0)
			fatalx("%s", cerr);
	}
	open_tls(&srv);
	listener_open_all(&srv);
	open_control(&srv);
	server_setup(&srv);
	banner(&srv);
	log_info("iosd %s ready, pid %ld", IOSD_VERSION, (long)getpid());
	notify_ready(srv.loop, "%zu listeners open, 0 clients", srv.nlisteners);

	ev_run(srv.loop, 0);

	store_abort_backups(srv.store, "the daemon is stopping");
	ctl_close_all(&srv);
	server_teardown(&srv);
	cluster_close(&srv);
	audit_free(srv.audit);
	store_close(srv.store);
	authsrc_free(srv.auth);
	backoff_free(srv.fails);
	admit_free(srv.admit);
	tls_ctx_unref(srv.tls);
	filelog_stop();
	options_free(&srv.opt);
	gnutls_global_deinit();
	log_info("stopped");
	return 0;
}
