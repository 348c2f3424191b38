/*
 * fuzz_boho.c - the Boho unpackers (AUTH_NONCE, AUTH_HMAC, AUTH_ACK,
 * ENC_488, ENC_E2E, ENC_PACK) on any bytes, with an authorized session;
 * and an encrypt/decrypt round trip of the input.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
now(void *ctx)
{
	(void)ctx;
	return 1700000001456ULL;
}

static void
rnd(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0x5a, n);
}

static uint8_t buf[70000], dec[70000];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct boho_env env = { now, rnd, NULL };
	struct boho b = { .authorized = true };
	struct boho_auth_hmac h;
	uint8_t ack[BOHO_AUTH_ACK_LEN], hm[BOHO_AUTH_HMAC_LEN];
	long n, m;

	if (size > 65536)
		return 0;
	memset(b.k32, 7, sizeof(b.k32));
	memcpy(b.local_nonce, "\x11\x22\x33\x44", 4);
	memcpy(b.remote_nonce, "\x11\x22\x33\x44", 4);

	if (boho_parse_auth_hmac(data, size, &h) == 0) {
		struct boho s;

		memset(&s, 0, sizeof(s));
		boho_server_nonce(&s, &env, ack);
		(void)boho_server_verify(&s, b.k32, &h, ack);
		if (boho_server_verify(&s, b.k32, &h, ack) != PROTO_ESTATE)
			abort();	/* the nonce is single-use */
	}
	(void)boho_client_check_ack(&b, data, size);
	{
		struct boho c = b;
		(void)boho_client_auth_hmac(&c, &env, data, size, hm);
	}

	memcpy(buf, data, size);
	n = boho_decrypt_488(&b, buf, size);
	if (n >= 0 && (size_t)n + BOHO_ENC_HDR > size)
		abort();
	memcpy(buf, data, size);
	(void)boho_e2e_unwrap(&b, buf, size);
	(void)boho_dec_pack(b.k32, data, size, dec, sizeof(dec));

	/* Round trips: what is sealed opens to the same bytes. */
	n = boho_encrypt_488(&b, &env, data, size, buf, sizeof(buf));
	if (n != (long)size + BOHO_ENC_HDR)
		abort();
	m = boho_decrypt_488(&b, buf, (size_t)n);
	if (m != (long)size || memcmp(buf + BOHO_ENC_HDR, data, size) != 0)
		abort();
	n = boho_enc_pack(b.k32, &env, data, size, buf, sizeof(buf));
	m = boho_dec_pack(b.k32, buf, (size_t)n, dec, sizeof(dec));
	if (m != (long)size || memcmp(dec, data, size) != 0)
		abort();
	return 0;
}
