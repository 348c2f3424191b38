/*
 * net_tls.c - see net_tls.h.
 *
 * Writes: GnuTLS wants a send that returned GNUTLS_E_AGAIN repeated with
 * the same data. tls_writev copies at most one record's worth of the
 * queue into the session's buffer and, while that record is pending,
 * reports no progress; the queue's head is then still the same bytes, so
 * the retry (with NULL, 0, as GnuTLS allows) and the caller agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "net_tls.h"

#define RECORD_MAX	16384

struct tls_ctx {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	unsigned refs;
	char about[256];
};

struct tls {
	struct tls_ctx *ctx;
	gnutls_session_t s;
	bool done, bye_sent;
	uint8_t *wbuf;		/* the record being sent */
	size_t wlen;		/* its length while GnuTLS owes it, else 0 */
};

static void
describe_cert(struct tls_ctx *x)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	gnutls_datum_t dn = { NULL, 0 };
	time_t exp;
	struct tm tm;
	char when[32] = "?";

	snprintf(x->about, sizeof(x->about), "certificate loaded");
	if (gnutls_certificate_get_x509_crt(x->cred, 0, &crts, &n) < 0 ||
	    n == 0)
		return;
	exp = gnutls_x509_crt_get_expiration_time(crts[0]);
	if (exp != (time_t)-1 && gmtime_r(&exp, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	if (gnutls_x509_crt_get_dn3(crts[0], &dn, 0) == 0) {
		snprintf(x->about, sizeof(x->about), "%.*s, %u in chain, "
		    "expires %s", (int)dn.size, (const char *)dn.data, n, when);
		gnutls_free(dn.data);
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

struct tls_ctx *
tls_ctx_load(const char *cert, const char *key, const char *priority,
    char *err, size_t errlen)
{
	struct tls_ctx *x = calloc(1, sizeof(*x));
	const char *where = NULL;
	int rc;

	if (x == NULL) {
		snprintf(err, errlen, "TLS: out of memory");
		return NULL;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&x->cred)) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(rc));
		free(x);
		return NULL;
	}
	rc = gnutls_certificate_set_x509_key_file2(x->cred, cert, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		snprintf(err, errlen, "TLS certificate %s with key %s: %s",
		    cert, key, gnutls_strerror(rc));
		gnutls_certificate_free_credentials(x->cred);
		free(x);
		return NULL;
	}
	rc = gnutls_priority_init2(&x->prio, priority ? priority :
	    TLS_DEFAULT_PRIORITY, &where, 0);
	if (rc < 0) {
		snprintf(err, errlen, "TLS priority \"%s\": %s at \"%s\"",
		    priority ? priority : TLS_DEFAULT_PRIORITY,
		    gnutls_strerror(rc), where ? where : "");
		gnutls_certificate_free_credentials(x->cred);
		free(x);
		return NULL;
	}
	x->refs = 1;
	describe_cert(x);
	return x;
}

struct tls_ctx *
tls_ctx_ref(struct tls_ctx *x)
{
	x->refs++;
	return x;
}

void
tls_ctx_unref(struct tls_ctx *x)
{
	if (x == NULL || --x->refs > 0)
		return;
	gnutls_priority_deinit(x->prio);
	gnutls_certificate_free_credentials(x->cred);
	free(x);
}

const char *
tls_ctx_describe(const struct tls_ctx *x)
{
	return x->about;
}

struct tls *
tls_new(struct tls_ctx *x, int fd)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"http/1.1", 8 };
	struct tls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (gnutls_init(&t->s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
		free(t);
		return NULL;
	}
	t->ctx = tls_ctx_ref(x);
	gnutls_priority_set(t->s, x->prio);
	gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, x->cred);
	gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_IGNORE);
	gnutls_alpn_set_protocols(t->s, &alpn, 1, 0);
	gnutls_transport_set_int(t->s, fd);
	gnutls_handshake_set_timeout(t->s, 0);	/* ours is on the loop */
	return t;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	gnutls_deinit(t->s);
	tls_ctx_unref(t->ctx);
	free(t->wbuf);
	free(t);
}

int
tls_handshake(struct tls *t, bool *want_write, const char **why)
{
	int rc;

	*want_write = false;
	if (t->done)
		return 1;
	do
		rc = gnutls_handshake(t->s);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	if (rc == GNUTLS_E_AGAIN) {
		*want_write = gnutls_record_get_direction(t->s) == 1;
		return 0;
	}
	if (rc < 0) {
		*why = gnutls_strerror(rc);
		return -1;
	}
	t->done = true;
	return 1;
}

bool
tls_done(const struct tls *t)
{
	return t->done;
}

bool
tls_write_pending(const struct tls *t)
{
	return t->wlen > 0;
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len)
{
	if (t->wlen) {
		errno = EAGAIN;
		return -1;
	}
	for (;;) {
		ssize_t n = gnutls_record_recv(t->s, buf, len);

		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN) {
			errno = EAGAIN;
			return -1;
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;	/* closed without close_notify */
		if (!gnutls_error_is_fatal((int)n))
			continue;	/* a warning alert, a rehandshake */
		errno = EIO;
		return -1;
	}
}

ssize_t
tls_writev(struct tls *t, const struct iovec *iov, int cnt)
{
	ssize_t n;

	if (t->wlen == 0) {
		size_t len = 0;

		if (t->wbuf == NULL && (t->wbuf = malloc(RECORD_MAX)) == NULL) {
			errno = ENOMEM;		/* the connection is closed */
			return -1;
		}
		for (int i = 0; i < cnt && len < RECORD_MAX; i++) {
			size_t k = iov[i].iov_len;

			if (k > RECORD_MAX - len)
				k = RECORD_MAX - len;
			memcpy(t->wbuf + len, iov[i].iov_base, k);
			len += k;
		}
		if (len == 0)
			return 0;
		t->wlen = len;
		n = gnutls_record_send(t->s, t->wbuf, len);
	} else
		n = gnutls_record_send(t->s, NULL, 0);
	for (;;) {
		if (n >= 0) {
			t->wlen = 0;
			return n;
		}
		if (n == GNUTLS_E_AGAIN) {
			errno = EAGAIN;
			return -1;
		}
		if (n != GNUTLS_E_INTERRUPTED)
			break;
		n = gnutls_record_send(t->s, NULL, 0);
	}
	t->wlen = 0;
	errno = EPIPE;
	return -1;
}

bool
tls_pending(const struct tls *t)
{
	return t->done && t->wlen == 0 && gnutls_record_check_pending(t->s) > 0;
}

int
tls_bye(struct tls *t)
{
	int rc;

	if (!t->done || t->bye_sent)
		return 1;
	rc = gnutls_bye(t->s, GNUTLS_SHUT_WR);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return 0;
	t->bye_sent = true;	/* sent, or it never will be */
	return 1;
}

const char *
tls_describe(const struct tls *t, char *buf, size_t cap)
{
	const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(
	    t->s));
	const char *c = gnutls_cipher_get_name(gnutls_cipher_get(t->s));

	snprintf(buf, cap, "%s %s", v ? v : "?", c ? c : "?");
	return buf;
}
