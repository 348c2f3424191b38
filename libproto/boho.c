/*
 * boho.c - Boho authentication and ciphers over nettle's SHA-256.
 */
#include <string.h>

#include <nettle/base64.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "boho.h"
#include "iosmsg.h"
#include "proto_err.h"

static void
put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

void
boho_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

/* SHA256(K32 || salt12 || data): Boho's keyed hash. */
static void
keyed_hash(const uint8_t k32[BOHO_K32], const uint8_t salt[BOHO_SALT_LEN],
    const uint8_t *data, size_t len, uint8_t out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, BOHO_K32, k32);
	sha256_update(&c, BOHO_SALT_LEN, salt);
	if (len)
		sha256_update(&c, len, data);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

/* XOR data with the key stream SHA256(otp32 || u32LE(i)), i from 1. */
static void
xotp(const uint8_t otp32[32], uint8_t *data, size_t len)
{
	uint8_t blk[36], ks[32];
	uint32_t i = 0;

	memcpy(blk, otp32, 32);
	while (len > 0) {
		size_t n = len < 32 ? len : 32;

		put_u32le(blk + 32, ++i);
		boho_sha256(blk, sizeof(blk), ks);
		for (size_t k = 0; k < n; k++)
			data[k] ^= ks[k];
		data += n;
		len -= n;
	}
}

static void
make_otp(const uint8_t k32[BOHO_K32], const uint8_t salt[BOHO_SALT_LEN],
    uint8_t otp32[32])
{
	keyed_hash(k32, salt, NULL, 0, otp32);
}

/* salt12 = u32LE(sec) || u32LE(ms mod 0xFFFFFFFF) || nonce4 */
static void
clock_salt(const struct boho_env *env, const uint8_t nonce[4],
    uint8_t salt[BOHO_SALT_LEN])
{
	uint64_t now = env->now_ms(env->ctx);

	put_u32le(salt, (uint32_t)(now / 1000));
	put_u32le(salt + 4, (uint32_t)(now % 0xFFFFFFFFu));
	memcpy(salt + 8, nonce, 4);
}

void
boho_key_hash(const void *key, size_t len, uint8_t k32[BOHO_K32])
{
	boho_sha256(key, len, k32);
}

void
boho_stored_key(const void *key, size_t len, char out[BOHO_STORED_KEY_LEN + 1])
{
	uint8_t k32[BOHO_K32];

	boho_key_hash(key, len, k32);
	base64_encode_raw(out, BOHO_K32, k32);
	out[BOHO_STORED_KEY_LEN] = '\0';
}

int
boho_key_from_stored(const char *stored, size_t len, uint8_t k32[BOHO_K32])
{
	struct base64_decode_ctx c;
	uint8_t tmp[BASE64_DECODE_LENGTH(BOHO_STORED_KEY_LEN)];
	size_t n = sizeof(tmp);

	if (len != BOHO_STORED_KEY_LEN) {
		boho_key_hash(stored, len, k32);
		return 0;
	}
	base64_decode_init(&c);
	if (!base64_decode_update(&c, &n, tmp, len, stored) ||
	    !base64_decode_final(&c) || n != BOHO_K32)
		return PROTO_EINVAL;
	memcpy(k32, tmp, BOHO_K32);
	return 0;
}

void
boho_clear(struct boho *b)
{
	memset(b, 0, sizeof(*b));
}

/* ---- server ---- */

void
boho_server_nonce(struct boho *b, const struct boho_env *env,
    uint8_t out[BOHO_AUTH_NONCE_LEN])
{
	uint64_t now = env->now_ms(env->ctx);

	memset(b->k32, 0, sizeof(b->k32));
	memset(b->remote_nonce, 0, sizeof(b->remote_nonce));
	b->authorized = false;
	env->random(env->ctx, b->local_nonce, BOHO_NONCE_LEN);
	put_u32le(b->salt12, (uint32_t)(now / 1000));
	put_u32le(b->salt12 + 4, (uint32_t)(now % 1000));
	memcpy(b->salt12 + 8, b->local_nonce, BOHO_NONCE_LEN);
	b->nonce_sent = true;
	out[0] = IOS_AUTH_NONCE;
	memcpy(out + 1, b->salt12, BOHO_SALT_LEN);
}

int
boho_parse_auth_hmac(const uint8_t *m, size_t len, struct boho_auth_hmac *h)
{
	size_t n = 0;

	if (len < 1 || m[0] != IOS_AUTH_HMAC)
		return PROTO_ETYPE;
	if (len < BOHO_AUTH_HMAC_LEN)
		return PROTO_ETRUNC;
	while (n < BOHO_ID_LEN && m[1 + n] != 0)
		n++;
	memcpy(h->id, m + 1, n);
	h->id[n] = '\0';
	h->id_len = n;
	memcpy(h->cnonce, m + 9, BOHO_NONCE_LEN);
	memcpy(h->hmac32, m + 13, 32);
	return 0;
}

int
boho_server_verify(struct boho *b, const uint8_t k32[BOHO_K32],
    const struct boho_auth_hmac *h, uint8_t ack[BOHO_AUTH_ACK_LEN])
{
	uint8_t want[32], salt[BOHO_SALT_LEN];

	if (!b->nonce_sent)
		return PROTO_ESTATE;
	b->nonce_sent = false;	/* single use, pass or fail */
	keyed_hash(k32, b->salt12, h->cnonce, BOHO_NONCE_LEN, want);
	if (!memeql_sec(want, h->hmac32, 32))
		return PROTO_EAUTH;
	memcpy(b->k32, k32, BOHO_K32);
	memcpy(b->remote_nonce, h->cnonce, BOHO_NONCE_LEN);
	memcpy(salt, b->local_nonce, 4);
	memcpy(salt + 4, b->remote_nonce, 4);
	memcpy(salt + 8, b->local_nonce, 4);
	ack[0] = IOS_AUTH_ACK;
	keyed_hash(b->k32, salt, b->remote_nonce, BOHO_NONCE_LEN, ack + 1);
	b->authorized = true;
	return 0;
}

/* ---- client ---- */

void
boho_client_set_id_key(struct boho *b, const void *id, size_t id_len,
    const void *key, size_t key_len)
{
	memset(b->id8, 0, sizeof(b->id8));
	memcpy(b->id8, id, id_len < BOHO_ID_LEN ? id_len : BOHO_ID_LEN);
	boho_key_hash(key, key_len, b->k32);
	b->authorized = false;
}

void
boho_auth_req(uint8_t out[BOHO_AUTH_REQ_LEN])
{
	out[0] = IOS_AUTH_REQ;
	out[1] = 0;
}

int
boho_client_auth_hmac(struct boho *b, const struct boho_env *env,
    const uint8_t *nonce_msg, size_t len, uint8_t out[BOHO_AUTH_HMAC_LEN])
{
	if (len < 1 || nonce_msg[0] != IOS_AUTH_NONCE)
		return PROTO_ETYPE;
	if (len < BOHO_AUTH_NONCE_LEN)
		return PROTO_ETRUNC;
	memcpy(b->salt12, nonce_msg + 1, BOHO_SALT_LEN);
	memcpy(b->remote_nonce, nonce_msg + 9, BOHO_NONCE_LEN);
	env->random(env->ctx, b->local_nonce, BOHO_NONCE_LEN);
	out[0] = IOS_AUTH_HMAC;
	memcpy(out + 1, b->id8, BOHO_ID_LEN);
	memcpy(out + 9, b->local_nonce, BOHO_NONCE_LEN);
	keyed_hash(b->k32, b->salt12, b->local_nonce, BOHO_NONCE_LEN, out + 13);
	b->authorized = false;
	return 0;
}

int
boho_client_check_ack(struct boho *b, const uint8_t *ack, size_t len)
{
	uint8_t salt[BOHO_SALT_LEN], want[32];

	if (len < 1 || ack[0] != IOS_AUTH_ACK)
		return PROTO_ETYPE;
	if (len < BOHO_AUTH_ACK_LEN)
		return PROTO_ETRUNC;
	memcpy(salt, b->remote_nonce, 4);
	memcpy(salt + 4, b->local_nonce, 4);
	memcpy(salt + 8, b->remote_nonce, 4);
	keyed_hash(b->k32, salt, b->local_nonce, BOHO_NONCE_LEN, want);
	if (!memeql_sec(want, ack + 1, 32))
		return PROTO_EAUTH;
	b->authorized = true;
	return 0;
}

/* ---- ENC_488 ---- */

static long
seal(uint8_t type, const uint8_t k32[BOHO_K32], const uint8_t salt[12],
    size_t salt_out, const uint8_t *plain, size_t len, uint8_t *out,
    size_t cap)
{
	uint8_t otp[32], mac[32];
	size_t hdr = 1 + 4 + salt_out + 8;

	if (len > 0xFFFFFFFFu)
		return PROTO_EINVAL;
	if (cap < hdr || cap - hdr < len)
		return PROTO_ENOSPC;
	make_otp(k32, salt, otp);
	keyed_hash(k32, salt, plain, len, mac);
	out[0] = type;
	put_u32le(out + 1, (uint32_t)len);
	memcpy(out + 5, salt, salt_out);
	memcpy(out + 5 + salt_out, mac, 8);
	if (len)
		memmove(out + hdr, plain, len);
	xotp(otp, out + hdr, len);
	return (long)(hdr + len);
}

long
boho_encrypt_488(const struct boho *b, const struct boho_env *env,
    const uint8_t *plain, size_t len, uint8_t *out, size_t cap)
{
	uint8_t salt[BOHO_SALT_LEN];

	if (!b->authorized)
		return PROTO_ESTATE;
	clock_salt(env, b->remote_nonce, salt);
	return seal(IOS_ENC_488, b->k32, salt, 8, plain, len, out, cap);
}

long
boho_decrypt_488(const struct boho *b, uint8_t *pkt, size_t len)
{
	uint8_t salt[BOHO_SALT_LEN], otp[32], mac[32];
	uint32_t n;

	if (!b->authorized)
		return PROTO_ESTATE;
	if (len < 1 || (pkt[0] != IOS_ENC_488 && pkt[0] != IOS_ENC_E2E))
		return PROTO_ETYPE;
	if (len < BOHO_ENC_HDR)
		return PROTO_ETRUNC;
	n = get_u32le(pkt + 1);
	if (n > len - BOHO_ENC_HDR)
		return PROTO_ETRUNC;
	memcpy(salt, pkt + 5, 8);
	memcpy(salt + 8, b->local_nonce, 4);
	make_otp(b->k32, salt, otp);
	xotp(otp, pkt + BOHO_ENC_HDR, n);
	keyed_hash(b->k32, salt, pkt + BOHO_ENC_HDR, n, mac);
	if (!memeql_sec(mac, pkt + 13, 8)) {
		xotp(otp, pkt + BOHO_ENC_HDR, n);	/* leave it as it was */
		return PROTO_EAUTH;
	}
	return (long)n;
}

long
boho_e2e_wrap(const struct boho *b, const struct boho_env *env,
    const uint8_t *msg, size_t len, uint8_t *out, size_t cap, size_t *hdr_len)
{
	size_t h;
	long r;

	if (len < 2 || msg[0] != IOS_SIGNAL_E2E)
		return PROTO_ETYPE;
	if (len < (size_t)msg[1] + 2)
		return PROTO_ETRUNC;
	h = (size_t)msg[1] + 3;
	if (h > len)
		h = len;	/* no payload-type byte */
	r = boho_encrypt_488(b, env, msg, h, out, cap);
	if (r < 0)
		return r;
	out[0] = IOS_ENC_E2E;
	*hdr_len = h;
	return r;
}

long
boho_e2e_unwrap(const struct boho *b, uint8_t *pkt, size_t len)
{
	long n;

	if (len < 1 || pkt[0] != IOS_ENC_E2E)
		return PROTO_ETYPE;
	n = boho_decrypt_488(b, pkt, len);
	if (n < 0)
		return n;
	/* The decrypted header sits right before the clear payload. */
	if (n < 2 || pkt[BOHO_ENC_HDR] != IOS_SIGNAL_E2E)
		return PROTO_ETYPE;
	return BOHO_ENC_HDR;
}

/* ---- ENC_PACK ---- */

long
boho_enc_pack(const uint8_t k32[BOHO_K32], const struct boho_env *env,
    const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	uint8_t salt[BOHO_SALT_LEN], rnd[4];

	env->random(env->ctx, rnd, 4);
	clock_salt(env, rnd, salt);
	return seal(IOS_ENC_PACK, k32, salt, 12, data, len, out, cap);
}

long
boho_dec_pack(const uint8_t k32[BOHO_K32], const uint8_t *pkt, size_t len,
    uint8_t *out, size_t cap)
{
	uint8_t otp[32], mac[32];
	const uint8_t *salt;
	uint32_t n;

	if (len < 1 || pkt[0] != IOS_ENC_PACK)
		return PROTO_ETYPE;
	if (len < BOHO_PACK_HDR)
		return PROTO_ETRUNC;
	n = get_u32le(pkt + 1);
	if (n != len - BOHO_PACK_HDR)
		return PROTO_ELEN;
	if (cap < n)
		return PROTO_ENOSPC;
	salt = pkt + 5;
	make_otp(k32, salt, otp);
	memcpy(out, pkt + BOHO_PACK_HDR, n);
	xotp(otp, out, n);
	keyed_hash(k32, salt, out, n, mac);
	if (!memeql_sec(mac, pkt + 17, 8)) {
		memset(out, 0, n);
		return PROTO_EAUTH;
	}
	return (long)n;
}
