/*
 * net_tls.h - TLS under the WebSocket transport (wss), with GnuTLS: server
 * credentials that can be replaced while sessions made with the old ones
 * live on (they hold a reference), and a non-blocking session whose
 * read and writev look like the system calls they stand in for.
 */
#ifndef IOSD_NET_TLS_H
#define IOSD_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* TLS 1.2 and 1.3 only, GnuTLS's sane defaults otherwise. */
#define TLS_DEFAULT_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

struct tls_ctx;
struct tls;

/* Certificate (PEM, a chain accepted) and key; NULL and a message on
 * failure, the message naming the file and GnuTLS's reason. */
struct tls_ctx *tls_ctx_load(const char *cert, const char *key,
    const char *priority, char *err, size_t errlen);
struct tls_ctx *tls_ctx_ref(struct tls_ctx *x);
void tls_ctx_unref(struct tls_ctx *x);
/* "CN=..., expires 2027-01-01" of the leaf, for the log. */
const char *tls_ctx_describe(const struct tls_ctx *x);

/* A server session on a connected, non-blocking socket. */
struct tls *tls_new(struct tls_ctx *x, int fd);
void tls_free(struct tls *t);

/* One step of the handshake: 1 done, 0 call again when the socket is
 * ready (*want_write: for writing), -1 failed with *why. */
int tls_handshake(struct tls *t, bool *want_write, const char **why);
bool tls_done(const struct tls *t);

/* As read(2) and writev(2): -1 with errno EAGAIN, EPIPE or EIO. */
ssize_t tls_read(struct tls *t, void *buf, size_t len);
ssize_t tls_writev(struct tls *t, const struct iovec *iov, int cnt);
/* A record is half-sent: reading waits (a TLS 1.3 KeyUpdate answered
 * meanwhile would break the pending send). */
bool tls_write_pending(const struct tls *t);
/* Decrypted bytes wait inside GnuTLS: read again without polling. */
bool tls_pending(const struct tls *t);
/* close_notify, never blocking: 1 sent (or not to be), 0 call again
 * when the socket is writable. */
int tls_bye(struct tls *t);
/* "TLS1.3 AES-256-GCM", for the log. */
const char *tls_describe(const struct tls *t, char *buf, size_t cap);

#endif
