/*
 * metrics.h - the daemon's counters, kept from the start for the control
 * socket and /metrics. Reasons are enums with name tables, never strings
 * compared at run time.
 */
#ifndef IOSD_METRICS_H
#define IOSD_METRICS_H

#include <stdint.h>

enum transport { TR_WS, TR_WSS, TR_CONG, TR_COUNT };

/* Why a message or a connection was dropped. */
enum drop_reason {
	DROP_SLOW_CONSUMER,	/* send queue over its limit */
	DROP_OVERSIZE,		/* message above the size limit */
	DROP_BAD_FRAME,		/* CongSocket header or WebSocket framing */
	DROP_BAD_MESSAGE,	/* malformed IOSignal message */
	DROP_BAD_TAG,		/* empty, too long or not UTF-8 */
	DROP_RESERVED_TAG,	/* '$' prefix */
	DROP_UNKNOWN_CID,	/* unicast to a CID that is not online */
	DROP_NOT_AUTHORIZED,	/* needs a login */
	DROP_SUB_LIMIT,		/* too many subscriptions */
	DROP_RETAIN_LIMIT,	/* retained store full */
	DROP_HANDSHAKE,		/* bad or late WebSocket upgrade */
	DROP_TIMEOUT,		/* keepalive */
	DROP_EMFILE,		/* accept with no descriptor left */
	DROP_UNKNOWN_TYPE,	/* message type the server ignores */
	DROP_TEXT_FRAME,	/* WebSocket text frames are counted, ignored */
	DROP_RATE,		/* over the level's trafficRate */
	DROP_DECRYPT,		/* ENC_488 / ENC_E2E that does not open */
	DROP_MEMBERS_ONLY,	/* --members-only: anonymous signal */
	DROP_MEMORY,		/* largest consumer over the buffer budget */
	DROP_NOMEM,		/* an allocation for it failed */
	DROP_ACL,		/* refused by a channel permission rule */
	DROP_ANONYMOUS,		/* --anonymous: no login in time */
	DROP_COUNT
};

struct metrics {
	uint64_t conns_now[TR_COUNT];
	uint64_t conns_total[TR_COUNT];
	uint64_t msgs_in[256], bytes_in[256];
	uint64_t msgs_out[256], bytes_out[256];
	uint64_t fanout_deliveries;
	uint64_t publishes;
	uint64_t drops[DROP_COUNT];
	uint64_t channels;	/* gauge */
	uint64_t retained;	/* gauge */
	uint64_t subscriptions;	/* gauge */
	uint64_t auth_ok, auth_fail;
	uint64_t rate_closes;		/* closed for sustained trafficRate */
	uint64_t publish_capped;	/* publishes cut at publishCounter */
};

const char *transport_name(enum transport t);
const char *drop_reason_name(enum drop_reason r);

#endif
