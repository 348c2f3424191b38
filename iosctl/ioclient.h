/*
 * ioclient.h - the IOSignal client protocol over one netclient
 * connection, as the npm iosignal 2.2.1 client (IOCore.js) speaks it:
 * SERVER_READY -> CID_REQ, or Boho login first (AUTH_REQ, AUTH_HMAC,
 * AUTH_ACK) when credentials are set; CID_RES -> ready, and the joined
 * channels subscribed again; PING answered; ENC_488 decrypted, and what
 * the npm client sends through send_enc_mode encrypted once logged in
 * on a connection without TLS. Everything the server says comes out of
 * one event callback (the same rules as netclient's: no ioc_free in it).
 */
#ifndef IOSCTL_IOCLIENT_H
#define IOSCTL_IOCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boho.h"
#include "netclient.h"

/* The npm client's STATES, with its names (ioc_state_name). */
enum ioc_state {
	IOC_OPENING,
	IOC_OPEN,
	IOC_CLOSING,
	IOC_CLOSED,
	IOC_SERVER_READY,
	IOC_AUTH_FAIL,
	IOC_AUTH_READY,
	IOC_READY,
};

struct ioc_signal {
	const char	*tag;		/* UTF-8, not NUL-terminated */
	size_t		 tag_len;
	bool		 e2e;		/* SIGNAL_E2E: an ENC_PACK payload */
	bool		 encrypted;	/* came in an ENC_488 / ENC_E2E */
	bool		 has_ptype;
	uint8_t		 ptype;		/* IOS_PAYLOAD_* */
	const uint8_t	*payload;
	size_t		 len;
};

enum ioc_event {
	IOC_EV_OPEN,		/* connected; SERVER_READY is next */
	IOC_EV_READY,		/* CID_RES: cid */
	IOC_EV_QUOTA,		/* QUOTA_LEVEL: level */
	IOC_EV_LOGIN,		/* AUTH_REQ sent for id */
	IOC_EV_AUTHORIZED,	/* AUTH_ACK checked */
	IOC_EV_AUTH_FAIL,	/* AUTH_FAIL, or an AUTH_ACK that is wrong */
	IOC_EV_AUTH_CLEAR,	/* SERVER_CLEAR_AUTH */
	IOC_EV_SIGNAL,		/* sig */
	IOC_EV_SUBSCRIBED,	/* the answer to a subscribe: text, status */
	IOC_EV_IAM,		/* IAM_RES: text (JSON) */
	IOC_EV_SERVER_SIGNAL,	/* text (JSON) */
	IOC_EV_ECHO,		/* text */
	IOC_EV_PONG,
	IOC_EV_OVER_SIZE,
	IOC_EV_REDIRECT,	/* text: the URL */
	IOC_EV_CLOSED,		/* text: why */
};

struct ioc_ev {
	enum ioc_event		 type;
	const struct ioc_signal	*sig;
	const char		*text;
	size_t			 len;
	int			 level;
	int			 status;
};

struct ioc;
typedef void ioc_event_fn(void *arg, const struct ioc_ev *ev);

#define IOC_CID_MAX	255

struct ioc {
	struct nc	*nc;
	enum ioc_state	 state;
	char		 cid[IOC_CID_MAX + 1];
	int		 level;		/* the npm client's: 3 until told */
	/* Boho: the credentials are kept for every (re)connection. */
	bool		 use_auth;
	bool		 auth_pending;	/* AUTH_REQ out, no ACK or FAIL yet */
	bool		 cid_pending;	/* CID_REQ out, no CID_RES yet */
	char		 id[BOHO_ID_LEN + 1];
	struct boho	 boho;
	struct boho_env	 env;
	/* The joined channels, subscribed again on every CID_RES. */
	char		**chans;
	size_t		 nchans;
	/* Subscribe requests in flight: mid -> their tags. */
	struct ioc_sub {
		uint16_t mid;
		char	*tags;
	}		*subs;
	size_t		 nsubs;
	uint16_t	 mid;
	uint64_t	 rx;		/* messages and pongs received */
	ioc_event_fn	*fn;
	void		*arg;
	uint8_t		*scratch;	/* decryption and encryption */
	size_t		 scratch_cap;
};

void ioc_init(struct ioc *io, ioc_event_fn *fn, void *arg);
void ioc_free(struct ioc *io);
const char *ioc_state_name(enum ioc_state s);

/* Credentials used at every SERVER_READY from now on (id at most 8
 * bytes, as the npm client cuts it). */
void ioc_set_auth(struct ioc *io, const char *id, const char *key);
void ioc_clear_auth(struct ioc *io);

/* Connects (closing any previous connection first): 0, or -1 with
 * the reason in err. */
int ioc_open(struct ioc *io, const struct nc_url *u,
    const struct nc_tls *tls, char *err, size_t errlen);
bool ioc_connected(const struct ioc *io);	/* transport up, not closing */
/* Logging in or waiting for a CID: not ready for commands yet. */
bool ioc_busy(const struct ioc *io);

/* Login now (AUTH_REQ), when connected. */
int ioc_login(struct ioc *io);
/* After AUTH_FAIL: go on without a login (CID_REQ, if there is no CID). */
void ioc_anonymous(struct ioc *io);

/* These need a connection: -1 when there is none (or out of memory). */
int ioc_signal(struct ioc *io, const char *tag, int ptype,
    const void *payload, size_t len);
/* Joins "a,b,c" (kept for reconnections); asks the server with a
 * SUBSCRIBE_REQ when ready, which IOC_EV_SUBSCRIBED answers. */
int ioc_subscribe(struct ioc *io, const char *tags);
/* Leaves "a,b" or, for "", every channel. */
int ioc_unsubscribe(struct ioc *io, const char *tags);
int ioc_ping(struct ioc *io);
int ioc_pong(struct ioc *io);
int ioc_iam(struct ioc *io, const char *title);
int ioc_echo(struct ioc *io, const char *text);

/* A clean close (IOC_EV_CLOSED when done), or at once. */
void ioc_close(struct ioc *io);
void ioc_abort(struct ioc *io, const char *why);
/* Frees a connection that has closed (after IOC_EV_CLOSED). */
void ioc_reap(struct ioc *io);

#endif
