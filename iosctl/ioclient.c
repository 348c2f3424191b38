/*
 * ioclient.c - see ioclient.h. The npm client's onData() switch, its
 * send_enc_mode() policy (ENC_AUTO: encrypted once logged in, unless
 * the line is TLS), its login and subscribe_memory_channels().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ioclient.h"
#include "iosmsg.h"
#include "proto_err.h"

static const char *const state_names[] = {
	[IOC_OPENING] = "opening",
	[IOC_OPEN] = "open",
	[IOC_CLOSING] = "closing",
	[IOC_CLOSED] = "closed",
	[IOC_SERVER_READY] = "server_ready",
	[IOC_AUTH_FAIL] = "auth_fail",
	[IOC_AUTH_READY] = "auth_ready",
	[IOC_READY] = "ready",
};

const char *
ioc_state_name(enum ioc_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ?
	    state_names[s] : "?";
}

static uint64_t
env_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
env_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	nc_random(out, n);
}

void
ioc_init(struct ioc *io, ioc_event_fn *fn, void *arg)
{
	memset(io, 0, sizeof(*io));
	io->state = IOC_CLOSED;
	io->level = 3;		/* IOCore.js: defaultQuotaLevel */
	io->fn = fn;
	io->arg = arg;
	io->env.now_ms = env_now;
	io->env.random = env_random;
}

static void
subs_clear(struct ioc *io)
{
	for (size_t i = 0; i < io->nsubs; i++)
		free(io->subs[i].tags);
	free(io->subs);
	io->subs = NULL;
	io->nsubs = 0;
}

void
ioc_free(struct ioc *io)
{
	if (io->nc)
		nc_free(io->nc);
	io->nc = NULL;
	for (size_t i = 0; i < io->nchans; i++)
		free(io->chans[i]);
	free(io->chans);
	subs_clear(io);
	explicit_bzero(&io->boho, sizeof(io->boho));
	free(io->scratch);
	io->scratch = NULL;
}

void
ioc_set_auth(struct ioc *io, const char *id, const char *key)
{
	size_t il = strlen(id);

	if (il > BOHO_ID_LEN)
		il = BOHO_ID_LEN;
	memcpy(io->id, id, il);
	io->id[il] = '\0';
	boho_client_set_id_key(&io->boho, id, il, key, strlen(key));
	io->use_auth = true;
}

void
ioc_clear_auth(struct ioc *io)
{
	io->use_auth = false;
	io->id[0] = '\0';
	boho_clear(&io->boho);
}

static void
emit(struct ioc *io, enum ioc_event type, const char *text, size_t len)
{
	struct ioc_ev ev = { type, NULL, text, len, io->level, 0 };

	io->fn(io->arg, &ev);
}

bool
ioc_connected(const struct ioc *io)
{
	return io->nc && !nc_dead(io->nc) && io->state != IOC_OPENING &&
	    io->state != IOC_CLOSING && io->state != IOC_CLOSED;
}

bool
ioc_busy(const struct ioc *io)
{
	switch (io->state) {
	case IOC_OPENING:
	case IOC_OPEN:
	case IOC_SERVER_READY:
	case IOC_AUTH_READY:
	case IOC_CLOSING:
		return true;
	case IOC_READY:
	case IOC_AUTH_FAIL:
		return io->auth_pending || io->cid_pending;
	case IOC_CLOSED:
		break;
	}
	return false;
}

/* ---- sending ---- */

static uint8_t *
scratch(struct ioc *io, size_t n)
{
	uint8_t *p;

	if (n <= io->scratch_cap)
		return io->scratch;
	if ((p = realloc(io->scratch, n)) == NULL)
		return NULL;
	io->scratch = p;
	io->scratch_cap = n;
	return p;
}

static int
send_plain(struct ioc *io, const uint8_t *m, size_t len)
{
	if (io->nc == NULL || nc_dead(io->nc))
		return -1;
	return nc_send(io->nc, m, len);
}

/* IOCore.send_enc_mode(), ENC_MODE.AUTO. */
static int
send_enc(struct ioc *io, const uint8_t *m, size_t len)
{
	uint8_t *out;
	long n;

	if (!io->boho.authorized || io->nc == NULL || nc_tls_on(io->nc))
		return send_plain(io, m, len);
	if ((out = malloc(len + BOHO_ENC_HDR)) == NULL)
		return -1;
	n = boho_encrypt_488(&io->boho, &io->env, m, len, out,
	    len + BOHO_ENC_HDR);
	if (n < 0) {
		free(out);
		return -1;
	}
	n = send_plain(io, out, (size_t)n);
	free(out);
	return (int)n;
}

static int
send_type(struct ioc *io, uint8_t type)
{
	return send_plain(io, &type, 1);
}

static int
send_subscribe_req(struct ioc *io, const char *tags)
{
	size_t len = strlen(tags);
	struct ioc_sub *s;
	uint8_t *m;
	long n;
	int rc;

	if ((m = malloc(len + 5)) == NULL)
		return -1;
	if ((n = iosmsg_build_subscribe_req(++io->mid, tags, len, m,
	    len + 5)) < 0) {
		free(m);
		return -1;
	}
	s = realloc(io->subs, (io->nsubs + 1) * sizeof(*io->subs));
	if (s == NULL) {
		free(m);
		return -1;
	}
	io->subs = s;
	if ((s[io->nsubs].tags = strdup(tags)) == NULL) {
		free(m);
		return -1;
	}
	s[io->nsubs++].mid = io->mid;
	rc = send_enc(io, m, (size_t)n);
	free(m);
	return rc;
}

/* ---- receiving ---- */

static void
on_signal(struct ioc *io, const uint8_t *m, size_t len, bool enc)
{
	struct ios_signal s;
	struct ioc_signal sig;
	struct ioc_ev ev = { IOC_EV_SIGNAL, &sig, NULL, 0, io->level, 0 };

	if (iosmsg_parse_signal(m, len, &s) < 0)
		return;
	sig.tag = (const char *)s.tag;
	sig.tag_len = s.tag_len;
	sig.e2e = s.type == IOS_SIGNAL_E2E;
	sig.encrypted = enc;
	sig.has_ptype = s.has_ptype;
	sig.ptype = s.ptype;
	sig.payload = s.payload;
	sig.len = s.payload_len;
	io->fn(io->arg, &ev);
}

static void
on_response(struct ioc *io, const uint8_t *m, size_t len)
{
	struct ios_response *r;
	struct ioc_ev ev = { IOC_EV_SUBSCRIBED, NULL, NULL, 0, io->level, 0 };

	if ((r = malloc(sizeof(*r))) == NULL)
		return;
	if (iosmsg_parse_response(m, len, r) == 0)
		for (size_t i = 0; i < io->nsubs; i++) {
			if (io->subs[i].mid != r->mid)
				continue;
			ev.text = io->subs[i].tags;
			ev.len = strlen(ev.text);
			ev.status = r->status;
			io->fn(io->arg, &ev);
			free(io->subs[i].tags);
			io->subs[i] = io->subs[--io->nsubs];
			break;
		}
	free(r);
}

static void
on_cid(struct ioc *io, const uint8_t *m, size_t len)
{
	size_t n = len - 1 < IOC_CID_MAX ? len - 1 : IOC_CID_MAX;
	char *all;
	size_t total = 0;

	memcpy(io->cid, m + 1, n);
	io->cid[n] = '\0';
	io->state = IOC_READY;
	io->cid_pending = io->auth_pending = false;
	emit(io, IOC_EV_READY, io->cid, n);
	if (io->nchans == 0 || io->state != IOC_READY)
		return;
	/* subscribe_memory_channels(): all of them in one request. */
	for (size_t i = 0; i < io->nchans; i++)
		total += strlen(io->chans[i]) + 1;
	if ((all = malloc(total)) == NULL)
		return;
	all[0] = '\0';
	for (size_t i = 0; i < io->nchans; i++) {
		if (i)
			strcat(all, ",");
		strcat(all, io->chans[i]);
	}
	(void)send_subscribe_req(io, all);
	free(all);
}

static void
on_redirect(struct ioc *io, const uint8_t *m, size_t len)
{
	char url[300];

	if (len == 7)
		snprintf(url, sizeof(url), "cong://%u.%u.%u.%u:%u", m[1], m[2],
		    m[3], m[4], (unsigned)(m[5] << 8 | m[6]));
	else
		snprintf(url, sizeof(url), "%.*s", (int)(len - 1 < 255 ?
		    len - 1 : 255), (const char *)m + 1);
	emit(io, IOC_EV_REDIRECT, url, strlen(url));
}

static void
on_message(struct ioc *io, const uint8_t *m, size_t len)
{
	uint8_t out[BOHO_AUTH_HMAC_LEN], type = m[0], *buf;
	bool enc = false;
	long n;

	if (type == IOS_ENC_488 || type == IOS_ENC_E2E) {
		/* Without a login there is no key: dropped (IOCore fails to
		 * decrypt it too). */
		if (!io->boho.authorized || (buf = scratch(io, len)) == NULL)
			return;
		memcpy(buf, m, len);
		if (type == IOS_ENC_488) {
			if ((n = boho_decrypt_488(&io->boho, buf, len)) <= 0)
				return;
			m = buf + BOHO_ENC_HDR;
			len = (size_t)n;
		} else {
			if ((n = boho_e2e_unwrap(&io->boho, buf, len)) < 0)
				return;
			m = buf + n;
			len -= (size_t)n;
		}
		type = m[0];
		if (len == 0 || (type >= IOS_AUTH_REQ && type <= IOS_ENC_488))
			return;
		enc = true;
	}
	switch (type) {
	case IOS_SERVER_READY:
		io->state = IOC_SERVER_READY;
		if (io->use_auth) {
			(void)ioc_login(io);
		} else {
			io->cid_pending = true;
			(void)send_type(io, IOS_CID_REQ);
		}
		break;
	case IOS_CID_RES:
		on_cid(io, m, len);
		break;
	case IOS_QUOTA_LEVEL:
		if (len >= 2) {
			io->level = m[1];
			emit(io, IOC_EV_QUOTA, NULL, 0);
		}
		break;
	case IOS_SERVER_CLEAR_AUTH:
		ioc_clear_auth(io);
		emit(io, IOC_EV_AUTH_CLEAR, NULL, 0);
		break;
	case IOS_SERVER_REDIRECT:
		if (len > 1)
			on_redirect(io, m, len);
		break;
	case IOS_SERVER_SIGNAL:
		emit(io, IOC_EV_SERVER_SIGNAL, (const char *)m + 1, len - 1);
		break;
	case IOS_IAM_RES:
		emit(io, IOC_EV_IAM, (const char *)m + 1, len - 1);
		break;
	case IOS_ECHO:
		emit(io, IOC_EV_ECHO, (const char *)m + 1, len - 1);
		break;
	case IOS_PING:
		(void)send_type(io, IOS_PONG);
		break;
	case IOS_PONG:
		emit(io, IOC_EV_PONG, NULL, 0);
		break;
	case IOS_OVER_SIZE:
		emit(io, IOC_EV_OVER_SIZE, NULL, 0);
		break;
	case IOS_SIGNAL:
	case IOS_SIGNAL_E2E:
		on_signal(io, m, len, enc);
		break;
	case IOS_RESPONSE_MBP:
		on_response(io, m, len);
		break;
	case IOS_AUTH_NONCE:
		if (!io->use_auth)
			break;
		if (boho_client_auth_hmac(&io->boho, &io->env, m, len,
		    out) < 0) {
			io->state = IOC_AUTH_FAIL;
			io->auth_pending = false;
			emit(io, IOC_EV_AUTH_FAIL, "invalid AUTH_NONCE", 18);
			break;
		}
		(void)send_plain(io, out, sizeof(out));
		break;
	case IOS_AUTH_ACK:
		if (!io->auth_pending)
			break;
		io->auth_pending = false;
		if (boho_client_check_ack(&io->boho, m, len) < 0) {
			io->state = IOC_AUTH_FAIL;
			emit(io, IOC_EV_AUTH_FAIL, "invalid server HMAC", 19);
			break;
		}
		io->state = IOC_AUTH_READY;
		emit(io, IOC_EV_AUTHORIZED, NULL, 0);
		io->cid_pending = true;
		(void)send_type(io, IOS_CID_REQ);
		break;
	case IOS_AUTH_FAIL:
		io->auth_pending = false;
		io->state = IOC_AUTH_FAIL;
		emit(io, IOC_EV_AUTH_FAIL, "server reject auth", 18);
		break;
	default:
		break;
	}
}

static void
nc_cb(void *arg, enum nc_event ev, const uint8_t *data, size_t len,
    const char *why)
{
	struct ioc *io = arg;

	switch (ev) {
	case NC_EV_OPEN:
		io->state = IOC_OPEN;
		emit(io, IOC_EV_OPEN, NULL, 0);
		break;
	case NC_EV_MSG:
		io->rx++;
		on_message(io, data, len);
		break;
	case NC_EV_PONG:
		io->rx++;
		emit(io, IOC_EV_PONG, NULL, 0);
		break;
	case NC_EV_CLOSED:
		io->state = IOC_CLOSED;
		io->boho.authorized = false;
		io->cid[0] = '\0';
		io->auth_pending = io->cid_pending = false;
		subs_clear(io);
		emit(io, IOC_EV_CLOSED, why, strlen(why));
		break;
	}
}

/* ---- the API ---- */

int
ioc_open(struct ioc *io, const struct nc_url *u, const struct nc_tls *tls,
    char *err, size_t errlen)
{
	if (io->nc) {
		nc_free(io->nc);
		io->nc = NULL;
	}
	io->boho.authorized = false;
	io->cid[0] = '\0';
	io->auth_pending = io->cid_pending = false;
	subs_clear(io);
	if ((io->nc = nc_open(u, tls, nc_cb, io, err, errlen)) == NULL) {
		io->state = IOC_CLOSED;
		return -1;
	}
	io->state = IOC_OPENING;
	return 0;
}

int
ioc_login(struct ioc *io)
{
	uint8_t req[BOHO_AUTH_REQ_LEN];

	if (!ioc_connected(io) || !io->use_auth)
		return -1;
	io->auth_pending = true;
	boho_auth_req(req);
	emit(io, IOC_EV_LOGIN, io->id, strlen(io->id));
	return send_plain(io, req, sizeof(req));
}

void
ioc_anonymous(struct ioc *io)
{
	if (!ioc_connected(io))
		return;
	if (io->cid[0]) {
		io->state = IOC_READY;	/* the CID it had is still its */
		return;
	}
	io->cid_pending = true;
	(void)send_type(io, IOS_CID_REQ);
}

int
ioc_signal(struct ioc *io, const char *tag, int ptype, const void *payload,
    size_t len)
{
	size_t tl = strlen(tag), cap = 3 + tl + len;
	uint8_t *m;
	long n;
	int rc;

	if (!ioc_connected(io))
		return -1;
	if ((m = malloc(cap)) == NULL)
		return -1;
	n = iosmsg_build_signal(IOS_SIGNAL, tag, tl, ptype, payload, len, m,
	    cap);
	rc = n < 0 ? -1 : send_enc(io, m, (size_t)n);
	free(m);
	return rc;
}

static bool
joined(const struct ioc *io, const char *tag, size_t len)
{
	for (size_t i = 0; i < io->nchans; i++)
		if (strlen(io->chans[i]) == len &&
		    memcmp(io->chans[i], tag, len) == 0)
			return true;
	return false;
}

int
ioc_subscribe(struct ioc *io, const char *tags)
{
	const char *p = tags, *comma;
	size_t len;
	char **c;

	/* The npm client keeps every one of them ("".split(',')). */
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!joined(io, p, len)) {
			if ((c = realloc(io->chans, (io->nchans + 1) *
			    sizeof(*c))) == NULL)
				return -1;
			io->chans = c;
			if ((c[io->nchans] = strndup(p, len)) == NULL)
				return -1;
			io->nchans++;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (io->state != IOC_READY || !ioc_connected(io))
		return 0;	/* subscribed when it is ready */
	return send_subscribe_req(io, tags);
}

int
ioc_unsubscribe(struct ioc *io, const char *tags)
{
	size_t len = strlen(tags), n;
	uint8_t m[2 + IOS_TAG_MAX];
	const char *p = tags, *comma;
	long r;

	if (len > IOS_TAG_MAX)
		return -1;
	if (len == 0) {
		for (size_t i = 0; i < io->nchans; i++)
			free(io->chans[i]);
		io->nchans = 0;
	} else
		for (;;) {
			comma = strchr(p, ',');
			n = comma ? (size_t)(comma - p) : strlen(p);
			for (size_t i = 0; i < io->nchans; i++)
				if (strlen(io->chans[i]) == n &&
				    memcmp(io->chans[i], p, n) == 0) {
					free(io->chans[i]);
					io->chans[i] = io->chans[--io->nchans];
					break;
				}
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	if (!ioc_connected(io))
		return 0;
	if ((r = iosmsg_build_subscribe(IOS_UNSUBSCRIBE, tags, len, m,
	    sizeof(m))) < 0)
		return -1;
	return send_enc(io, m, (size_t)r);
}

int
ioc_ping(struct ioc *io)
{
	return ioc_connected(io) ? send_type(io, IOS_PING) : -1;
}

int
ioc_pong(struct ioc *io)
{
	return ioc_connected(io) ? send_type(io, IOS_PONG) : -1;
}

static int
send_bytes(struct ioc *io, uint8_t type, const char *text, bool enc)
{
	size_t len = text ? strlen(text) : 0;
	uint8_t *m;
	long n;
	int rc;

	if (!ioc_connected(io))
		return -1;
	if ((m = malloc(len + 1)) == NULL)
		return -1;
	n = iosmsg_build_bytes(type, text, len, m, len + 1);
	rc = n < 0 ? -1 : enc ? send_enc(io, m, (size_t)n) :
	    send_plain(io, m, (size_t)n);
	free(m);
	return rc;
}

int
ioc_iam(struct ioc *io, const char *title)
{
	return send_bytes(io, IOS_IAM, title, true);
}

int
ioc_echo(struct ioc *io, const char *text)
{
	/* IOCore.echo(): a blank one is never encrypted. */
	return send_bytes(io, IOS_ECHO, text, text && *text);
}

void
ioc_close(struct ioc *io)
{
	if (io->nc == NULL || nc_dead(io->nc))
		return;
	io->state = IOC_CLOSING;
	nc_shutdown(io->nc);
}

void
ioc_abort(struct ioc *io, const char *why)
{
	if (io->nc && !nc_dead(io->nc))
		nc_abort(io->nc, why);
}

void
ioc_reap(struct ioc *io)
{
	if (io->nc && nc_dead(io->nc)) {
		nc_free(io->nc);
		io->nc = NULL;
	}
}
