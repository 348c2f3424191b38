/*
 * model.h - what iostui knows of the daemon as a whole: its status, and
 * the watch stream of metrics turned into rates (differences of two
 * samples over the interval) with a history for the sparklines.
 */
#ifndef IOSTUI_MODEL_H
#define IOSTUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

#define MODEL_HIST	600	/* samples kept for the sparklines */
#define MODEL_DROPS	32	/* drop reasons kept */

/* X(name, label, kind): the series of the dashboard, in its order. */
#define MODEL_SERIES(X) \
	X(MSG_IN, "messages in", SK_RATE) \
	X(MSG_OUT, "messages out", SK_RATE) \
	X(BYTES_IN, "bytes in", SK_BYTES) \
	X(BYTES_OUT, "bytes out", SK_BYTES) \
	X(PUBLISH, "publishes", SK_RATE) \
	X(FANOUT, "fan-out deliveries", SK_RATE) \
	X(DROPS, "drops", SK_RATE) \
	X(AUTH_FAIL, "auth failures", SK_RATE) \
	X(CONNS, "connections", SK_GAUGE)

enum series_kind { SK_RATE, SK_BYTES, SK_GAUGE };

enum series {
#define X(n, l, k) S_##n,
	MODEL_SERIES(X)
#undef X
	S_COUNT
};

enum transport_ix { TR_WS, TR_WSS, TR_CONG, TR_N };

struct drop_reason {
	char name[32];
	long long total;
	double rate;		/* per second over the last interval */
};

struct model {
	/* status */
	bool have_status;
	char version[32], host[64], backend[24], store_path[200];
	char listeners[256];	/* "ws 127.0.0.1:7777  cong ..." */
	char cluster[200];	/* "node a:7777  redis up  2 other nodes ..." or "" */
	bool cluster_down;	/* clustered, and the Redis link is down */
	long long pid, started;
	/* the latest metrics sample */
	bool have_sample;
	long long uptime_s;
	long long conns_now[TR_N], conns_total[TR_N];
	long long clients, logged_in;	/* from clients; -1 unknown */
	long long channels, subscriptions, retained, auth_ok, auth_fail;
	long long publishes, fanout, msgs_in, msgs_out, bytes_in, bytes_out;
	long long quota_oversize, quota_rate, drops_total;
	struct drop_reason drops[MODEL_DROPS];
	size_t ndrops;
	/* history: hist[s][0..nhist), oldest first; NaN = no data */
	double hist[S_COUNT][MODEL_HIST];
	size_t nhist;
	unsigned long long pushed;	/* samples ever pushed */
	unsigned interval_ms;
	double avg[S_COUNT];	/* over the samples kept */
};

const char *series_label(enum series s);
enum series_kind series_kind(enum series s);

/* interval_ms: the watch interval, also the refresh of iostui. */
void model_init(struct ctl *c, unsigned interval_ms);
const struct model *model_get(void);
/* The connection came up or went down. */
void model_conn(bool up);
/* Once per refresh: status now and then, gaps while down. */
void model_tick(uint64_t now_ms);
/* Ask for the logged-in and anonymous counts (the dashboard shows them). */
void model_poll_clients(void);
/* Bumped whenever something changes: the views compare. */
unsigned model_gen(void);

#endif
