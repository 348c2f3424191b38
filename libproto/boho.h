/*
 * boho.h - Boho authentication and ENC_488 / ENC_E2E / ENC_PACK ciphers
 * (npm boho 1.0.3). SHA-256 comes from nettle.
 *
 * Its "HMAC" is SHA256(K32 || salt12 || data), K32 = SHA256(key), not
 * RFC 2104. The key stream of one packet is SHA256(otp32 || u32LE(i)) for
 * i = 1, 2, ... with otp32 = SHA256(K32 || salt12).
 *
 * Clock and randomness are injected (struct boho_env) so that tests are
 * deterministic. Secrets are compared in constant time.
 */
#ifndef PROTO_BOHO_H
#define PROTO_BOHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOHO_K32		32
#define BOHO_STORED_KEY_LEN	44	/* base64 of SHA-256(key) */
#define BOHO_ID_LEN		8
#define BOHO_NONCE_LEN		4
#define BOHO_SALT_LEN		12
#define BOHO_AUTH_REQ_LEN	2
#define BOHO_AUTH_NONCE_LEN	13
#define BOHO_AUTH_HMAC_LEN	45
#define BOHO_AUTH_ACK_LEN	33
#define BOHO_ENC_HDR		21	/* ENC_488 / ENC_E2E header */
#define BOHO_PACK_HDR		25	/* ENC_PACK header */

struct boho_env {
	uint64_t (*now_ms)(void *ctx);	/* Unix time in milliseconds */
	void (*random)(void *ctx, uint8_t *out, size_t n);
	void *ctx;
};

/* State of one side of one connection. Zeroed = not authorized. */
struct boho {
	uint8_t k32[BOHO_K32];
	uint8_t salt12[BOHO_SALT_LEN];	/* AUTH_NONCE salt (server) */
	uint8_t local_nonce[BOHO_NONCE_LEN];
	uint8_t remote_nonce[BOHO_NONCE_LEN];
	uint8_t id8[BOHO_ID_LEN];	/* client: own id */
	bool nonce_sent;		/* server: AUTH_NONCE out, HMAC awaited */
	bool authorized;
};

void boho_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* K32 = SHA-256 of the secret key text. */
void boho_key_hash(const void *key, size_t len, uint8_t k32[BOHO_K32]);
/* Stored form: base64(SHA-256(key)), 44 chars + NUL. */
void boho_stored_key(const void *key, size_t len,
    char out[BOHO_STORED_KEY_LEN + 1]);
/* K32 from a stored key: a 44-char value is base64-decoded (PROTO_EINVAL
 * if it is not valid base64 of 32 bytes); any other length is a plain key
 * and is hashed, as the reference does. */
int boho_key_from_stored(const char *stored, size_t len,
    uint8_t k32[BOHO_K32]);

void boho_clear(struct boho *b);

/* ---- server side ---- */

/* AUTH_NONCE: b1 sec32LE (ms%1000)32LE Ns4. Starts a new handshake: the
 * previous nonce is forgotten and authorization cleared. */
void boho_server_nonce(struct boho *b, const struct boho_env *env,
    uint8_t out[BOHO_AUTH_NONCE_LEN]);

struct boho_auth_hmac {
	char id[BOHO_ID_LEN + 1];	/* up to the first NUL of id8 */
	size_t id_len;
	uint8_t cnonce[BOHO_NONCE_LEN];
	uint8_t hmac32[32];
};
/* Parse AUTH_HMAC (45 bytes; extra bytes ignored as the reference does). */
int boho_parse_auth_hmac(const uint8_t *m, size_t len,
    struct boho_auth_hmac *h);

/* Verify the client's HMAC against K32 of the claimed id. The nonce is
 * single-use: PROTO_ESTATE when no AUTH_NONCE is outstanding. On success
 * the session is authorized and out receives AUTH_ACK (33 bytes); on
 * failure PROTO_EAUTH and the nonce is spent all the same. */
int boho_server_verify(struct boho *b, const uint8_t k32[BOHO_K32],
    const struct boho_auth_hmac *h, uint8_t ack[BOHO_AUTH_ACK_LEN]);

/* ---- client side (tests, CLI) ---- */

void boho_client_set_id_key(struct boho *b, const void *id, size_t id_len,
    const void *key, size_t key_len);
void boho_auth_req(uint8_t out[BOHO_AUTH_REQ_LEN]);
/* From the server's AUTH_NONCE, build AUTH_HMAC. */
int boho_client_auth_hmac(struct boho *b, const struct boho_env *env,
    const uint8_t *nonce_msg, size_t len, uint8_t out[BOHO_AUTH_HMAC_LEN]);
/* Check AUTH_ACK; sets authorized on success, PROTO_EAUTH otherwise. */
int boho_client_check_ack(struct boho *b, const uint8_t *ack, size_t len);

/* ---- ENC_488 ---- */

/* Encrypt plain into out (21 + len bytes) with the peer's nonce. Needs an
 * authorized session (PROTO_ESTATE otherwise). type is IOS_ENC_488 (b8);
 * ENC_E2E headers use boho_e2e_wrap. */
long boho_encrypt_488(const struct boho *b, const struct boho_env *env,
    const uint8_t *plain, size_t len, uint8_t *out, size_t cap);

/*
 * Decrypt an ENC_488 (or ENC_E2E) packet in place: the xdata after the
 * 21-byte header becomes plaintext. Returns the plaintext length (the
 * packet's len field; pkt + 21 is the plaintext) or PROTO_ETRUNC /
 * PROTO_ETYPE / PROTO_EAUTH (HMAC mismatch: the bytes are restored).
 * Needs an authorized session (PROTO_ESTATE), stricter than the reference.
 */
long boho_decrypt_488(const struct boho *b, uint8_t *pkt, size_t len);

/*
 * ENC_E2E for one recipient: encrypt the SIGNAL_E2E header (3 + tagLen
 * bytes of msg) into out as an ENC_488 with type byte b7. The E2E payload
 * (msg + *hdr_len .. end) follows unchanged: the caller sends out[0..ret]
 * then that payload (writev). Returns the length written to out.
 */
long boho_e2e_wrap(const struct boho *b, const struct boho_env *env,
    const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
    size_t *hdr_len);
/* Turn a received ENC_E2E into the plaintext SIGNAL_E2E in place; returns
 * the offset of the SIGNAL_E2E inside pkt (always 21) or an error. */
long boho_e2e_unwrap(const struct boho *b, uint8_t *pkt, size_t len);

/* ---- ENC_PACK (E2E payload; the server never opens it) ---- */

/* b6 len32LE salt12(sec, ms, rand4) hmac8 xdata, keyed by K32 of e2e key. */
long boho_enc_pack(const uint8_t k32[BOHO_K32], const struct boho_env *env,
    const uint8_t *data, size_t len, uint8_t *out, size_t cap);
/* Decrypt into out; returns the length or an error. */
long boho_dec_pack(const uint8_t k32[BOHO_K32], const uint8_t *pkt,
    size_t len, uint8_t *out, size_t cap);

#endif
