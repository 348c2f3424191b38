/*
 * options.h - iosd's command line, compatible with the reference io-server
 * where the two overlap (-l, -L, -t, -s, -o), and its configuration file.
 * Each option is declared once, in options.c's optdefs[].
 */
#ifndef IOSD_OPTIONS_H
#define IOSD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "metrics.h"

#define OPT_MAX_LISTEN	16
#define OPT_MAX_PROXIES	16

struct listen_spec {
	enum transport tr;
	char host[64];		/* "" = every address, IPv4 and IPv6 */
	char port[8];
};

struct proxy_net {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

/* Strings read from a configuration file, owned by the options. */
struct opt_str {
	struct opt_str *next;
	char s[];
};

/* The request APIs (-a, --api-list): REQUEST targets iosd answers. */
#define OPT_API_REPLY	0x1		/* echo, date, unixtime */
#define OPT_API_SUDO	0x2		/* the admin API, level 255 */
#define OPT_API_ALL	(OPT_API_REPLY | OPT_API_SUDO)

struct options {
	const char *config;		/* the file read, or NULL */
	struct opt_str *strs;
	struct listen_spec listen[OPT_MAX_LISTEN];
	size_t nlisten;
	unsigned timeout_ms;		/* ping period; silent peers die on the 2nd */
	bool show_message;
	bool show_options;
	const char *db_path;
	uint32_t max_signal;		/* global cap on one message */
	uint32_t anon_signal;		/* per-session cap before any login */
	size_t sendq_bytes;		/* per-session send queue */
	size_t sendq_msgs;
	unsigned handshake_ms;		/* WebSocket upgrade deadline */
	size_t max_subs;		/* subscriptions per session */
	size_t retain_count;		/* global retained signals */
	size_t retain_size;		/* bytes of one retained signal */
	struct proxy_net proxies[OPT_MAX_PROXIES];
	size_t nproxies;
	int log_level;
	/* devices, login and quotas */
	const char *auth_files[OPT_MAX_LISTEN];
	size_t nauth_files;
	const char *auth_params[OPT_MAX_LISTEN];
	size_t nauth_params;
	bool auth_env;			/* -E: BOHO_AUTH */
	bool redis;			/* -r: devices from Redis */
	const char *redis_url;		/* NULL: REDIS_HOST / REDIS_PORT */
	bool members_only;
	unsigned auth_fail_ms;		/* AUTH_FAIL delay (reference 1000) */
	bool quotas;			/* enforce signalSize and trafficRate */
	bool publish_counter;		/* cap recipients per publish */
	unsigned rate_close_ms;		/* over trafficRate this long: close */
	const char *control;		/* control socket, NULL = none */
	const char *control_ro;		/* read-only control socket */
	const char *tls_cert, *tls_key;	/* wss, PEM */
	const char *tls_priority;	/* default TLS_DEFAULT_PRIORITY */
	unsigned tls_handshake_ms;
	bool syslog;			/* --syslog */
	const char *file_logger;	/* -f DIR, or NULL */
	unsigned metric;		/* -m 1|2|3: the reference's tables */
	unsigned monitor_ms;		/* ... printed this often */
	unsigned apis;			/* OPT_API_* answered (-a) */
	unsigned stop_ms;		/* SIGTERM: the clients' deadline */
	bool metrics;			/* GET /metrics on WebSocket ports */
	struct proxy_net metrics_allow[OPT_MAX_PROXIES];	/* none: all */
	size_t nmetrics_allow;
	/* admission control and memory (admit.c, bufmem.c) */
	size_t max_conns;		/* 0: the descriptor limit only */
	size_t max_per_ip;		/* not logged in, per address; 0: none */
	unsigned conn_rate;		/* per address per second; 0: none */
	unsigned conn_burst;
	size_t max_bufmem;		/* partial messages + send queues */
	uint64_t audit_keep_s;		/* 0: no age limit */
	uint64_t audit_keep_rows;	/* 0: no size limit */
	/* several nodes as one server (cluster.c) */
	const char *cluster_url;	/* --cluster redis://..., or NULL */
	const char *node_id;		/* NULL: hostname:port */
	unsigned cluster_ttl_s;		/* CID registry entries live this long */
	/* connection policy and presence (acl.c, net_ws.c, presence.c) */
	unsigned anon_deadline_ms;	/* --anonymous: 0 allow, else deny */
	const char *origins[OPT_MAX_LISTEN];	/* --allowed-origin */
	size_t norigins;
	const char *presence[OPT_MAX_LISTEN];	/* --presence patterns */
	size_t npresence;
};

void options_defaults(struct options *o);
/* Parse argv; prints a one-line error and a usage hint and returns 2 on a
 * bad command line, 1 when the program should exit 0 (help, version),
 * 0 to run. */
int options_parse(struct options *o, int argc, char **argv);
void options_print(const struct options *o, FILE *f);
/* A reload: n, just parsed, keeps o's values of the options only a
 * restart changes (marked so in options.c's table), and a warning is
 * logged for each that differs. */
void options_keep_restart(struct options *n, const struct options *o);
/* What the last failed options_parse said; options_quiet(true) keeps it
 * off stderr (a reload reports it its own way). */
const char *options_error(void);
void options_quiet(bool q);
/* Frees the strings of a configuration file; o's pointers into them go. */
void options_free(struct options *o);
/* A copy of s that lives as long as o. */
char *options_own(struct options *o, const char *s);
bool options_proxy_trusted(const struct options *o, int family,
    const uint8_t *addr);
/* ADDR or ADDR/N into *out: 0, or -1 when it is neither. */
int options_net_parse(const char *arg, struct proxy_net *out);
bool options_net_match(const struct proxy_net *nets, size_t n, int family,
    const uint8_t *addr);
/* GET /metrics for a peer: on, and the peer in --metrics-allow if any. */
bool options_metrics_allowed(const struct options *o, int family,
    const uint8_t *addr);

#endif
