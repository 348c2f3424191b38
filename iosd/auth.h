/*
 * auth.h - Boho login on the server side (protocol-reference.md 7.1, 10):
 * AUTH_REQ -> AUTH_NONCE; AUTH_HMAC -> device lookup (the -d/-e/-E table,
 * then the store, possibly asynchronously) -> QUOTA_LEVEL + AUTH_ACK, or
 * AUTH_FAIL after a delay that grows with repeated failures. A session
 * already logged in may log in again (doc/auth.md): the same device
 * renews its keys, another one becomes the session's device.
 */
#ifndef IOSD_AUTH_H
#define IOSD_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct conn;

void auth_init(struct conn *c);
void auth_on_req(struct conn *c);
void auth_on_hmac(struct conn *c, const uint8_t *m, size_t len);
/* The connection is closing: forget lookups in flight, stop timers. */
void auth_conn_gone(struct conn *c);
/* A second login's handshake state, wiped and freed (session_free). */
void auth_relogin_free(struct conn *c);

#endif
