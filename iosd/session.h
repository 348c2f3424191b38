/*
 * session.h - the IOSignal protocol state of one client: CID, login,
 * subscriptions, retained signals, and the handling of every message
 * type (protocol-reference.md 2-5, 9, 10).
 */
#ifndef IOSD_SESSION_H
#define IOSD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct conn;
struct channel;
struct msg;

/* Server-side client states, numbered as the reference's CLIENT_STATE. */
enum session_state {
	SS_INIT = 0,
	SS_SENT_SERVER_READY = 1,
	SS_RECV_AUTH_REQ = 2,
	SS_SENT_SERVER_NONCE = 3,
	SS_RECV_AUTH_HMAC = 4,
	SS_AUTH_FAIL = 5,
	SS_AUTH_READY = 6,
	SS_CID_READY = 7,
};

#define SESSION_CID_MAX 24	/* bytes of a CID (20), NUL included */
#define SESSION_NICK_MAX 128

struct cid_retained;
struct auth_pending;

struct session {
	enum session_state state;
	char cid[SESSION_CID_MAX];	/* "" until CID_REQ or login */
	char did[BOHO_ID_LEN + 1];	/* device id after login */
	char presented[BOHO_ID_LEN + 1];	/* the last id it tried */
	char *nick;			/* IAM's, or the login's CID: NULL
					 * until one (session_nick) */
	uint8_t level;
	bool alive;			/* traffic since the last ping tick */
	struct boho boho;
	struct boho *relogin;		/* a second login's handshake, beside
					 * the keys in use (auth.c); allocated
					 * while one runs */
	uint32_t max_signal;		/* largest message accepted */
	struct channel **subs;		/* in subscription order */
	size_t nsubs, subcap;
	struct cid_retained *retained;	/* own "@$topic" signals */
	struct auth_pending *auth;	/* device lookup in flight */
	bool fail_closes;		/* closed after its AUTH_FAIL */
	/* quota of the level, and the trafficRate token bucket */
	uint32_t traffic_rate;		/* bytes per second, 0 = no limit */
	uint32_t publish_counter;
	double tokens;
	uint64_t tokens_ms;
	uint64_t over_since_ms;		/* first drop of the current excess */
	uint64_t last_drop_ms;
};

/* What the connection calls up (transport.h): opened, message, closed. */
extern const struct conn_up session_up;

/* "cid_ready" and the like, for operators. */
const char *session_state_name(enum session_state s);

/* Apply a level's quota (signalSize, trafficRate, publishCounter). */
void session_set_level(struct conn *c, int level);

/* Its nick ("" when none), and a new one of n bytes (kept out of line:
 * most sessions never have one). */
const char *session_nick(const struct conn *c);
void session_set_nick(struct conn *c, const char *nick, size_t n);

/* c->s is allocated with the connection (conn_new); session_free gives
 * back all of it, c->s too. */
void session_init(struct conn *c);
void session_free(struct conn *c);
/* The connection is up: send SERVER_READY. */
void session_start(struct conn *c);
/* One whole IOSignal message (mutable: decrypted in place). */
void session_on_message(struct conn *c, uint8_t *m, size_t len);
/* Send to this client, encrypting when its session requires it. */
void session_send(struct conn *c, struct msg *m);
/* The same, for fan-out, which traces its deliveries itself. */
void session_deliver(struct conn *c, struct msg *m);
void session_send_bytes(struct conn *c, const void *data, size_t len);
/* Always plain (SERVER_READY, PING, ECHO reply, ...). */
void session_send_plain(struct conn *c, const void *data, size_t len);
void session_send_response(struct conn *c, uint16_t mid, uint8_t status,
    enum mbp_type type, const void *body, size_t len);

#endif
