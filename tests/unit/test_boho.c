/*
 * test_boho.c - Boho against the real boho 1.0.3 (the known-answer test of
 * protocol-reference.md 7.5 and further vectors), and its failure cases.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "proto.h"
#include "tap.h"

static uint8_t buf[1 << 16];

/* Load 4 nonce bytes from a hex member into a fixed_env's random. */
static void
env_rand(struct fixed_env *f, json_t *v, const char *key)
{
	size_t n;
	uint8_t *b = fx_hex(v, key, &n);

	memcpy(f->rand, b, n < sizeof(f->rand) ? n : sizeof(f->rand));
	f->rand_len = n;
	f->rand_pos = 0;
	free(b);
}

static void
test_auth(json_t *v, const char *label)
{
	const char *id = fx_str(v, "id"), *key = fx_str(v, "key");
	struct fixed_env fe = { 0 };
	struct boho_env env = fixed_env_make(&fe);
	struct boho srv, cli;
	struct boho_auth_hmac h;
	uint8_t k32[BOHO_K32], nonce[BOHO_AUTH_NONCE_LEN];
	uint8_t hm[BOHO_AUTH_HMAC_LEN], ack[BOHO_AUTH_ACK_LEN];
	char stored[BOHO_STORED_KEY_LEN + 1];
	size_t l;
	uint8_t *want;

	boho_key_hash(key, strlen(key), k32);
	want = fx_hex(v, "k32_hex", &l);
	tap_eq_bytes(k32, sizeof(k32), want, l, "%s: K32 of the key", label);
	free(want);
	boho_stored_key(key, strlen(key), stored);
	tap_eq_str(stored, fx_str(v, "stored_key"), "%s: stored key", label);
	{
		uint8_t back[BOHO_K32];
		OK(boho_key_from_stored(stored, strlen(stored), back) == 0 &&
		    memcmp(back, k32, BOHO_K32) == 0,
		    "%s: K32 from the stored key", label);
	}

	boho_auth_req(buf);
	want = fx_hex(v, "auth_req_hex", &l);
	tap_eq_bytes(buf, BOHO_AUTH_REQ_LEN, want, l, "%s: AUTH_REQ", label);
	free(want);

	/* Server: AUTH_NONCE at the fixture's clock and nonce. */
	boho_clear(&srv);
	fe.now_ms = (uint64_t)fx_int(v, json_object_get(v, "now_ms") ?
	    "now_ms" : "now_ms_nonce");
	env_rand(&fe, v, "ns_hex");
	boho_server_nonce(&srv, &env, nonce);
	want = fx_hex(v, "auth_nonce_hex", &l);
	tap_eq_bytes(nonce, sizeof(nonce), want, l, "%s: AUTH_NONCE", label);
	free(want);

	/* Client: AUTH_HMAC from that nonce. */
	boho_clear(&cli);
	boho_client_set_id_key(&cli, id, strlen(id), key, strlen(key));
	env_rand(&fe, v, "nc_hex");
	OK(boho_client_auth_hmac(&cli, &env, nonce, sizeof(nonce), hm) == 0,
	    "%s: client builds AUTH_HMAC", label);
	want = fx_hex(v, "auth_hmac_hex", &l);
	tap_eq_bytes(hm, sizeof(hm), want, l, "%s: AUTH_HMAC", label);

	/* Server: parse and verify the reference's AUTH_HMAC bytes. */
	OK(boho_parse_auth_hmac(want, l, &h) == 0 &&
	    h.id_len == (strlen(id) < 8 ? strlen(id) : 8) &&
	    memcmp(h.id, id, h.id_len) == 0, "%s: id from AUTH_HMAC", label);
	free(want);
	OK(boho_server_verify(&srv, k32, &h, ack) == 0 && srv.authorized,
	    "%s: server verifies", label);
	want = fx_hex(v, "auth_ack_hex", &l);
	tap_eq_bytes(ack, sizeof(ack), want, l, "%s: AUTH_ACK", label);
	OK(boho_client_check_ack(&cli, want, l) == 0 && cli.authorized,
	    "%s: client accepts AUTH_ACK", label);
	free(want);
	tap_eq_long(boho_server_verify(&srv, k32, &h, ack), PROTO_ESTATE,
	    "%s: the nonce is single-use", label);
}

/* Two logged-in ends of one direction: the sender puts the fixture's
 * nonce in its salts, the receiver holds it as its own. */
static void
session_pair(json_t *v, struct boho *snd, struct boho *rcv)
{
	const char *key = fx_str(v, "key");
	size_t nl;
	uint8_t *nonce = fx_hex(v, "nonce_hex", &nl);

	boho_clear(snd);
	boho_key_hash(key, strlen(key), snd->k32);
	snd->authorized = true;
	*rcv = *snd;
	memcpy(snd->remote_nonce, nonce, 4);
	memcpy(rcv->local_nonce, nonce, 4);
	free(nonce);
}

static void
test_enc488(json_t *v)
{
	const char *desc = fx_str(v, "desc");
	struct fixed_env fe = { .now_ms = (uint64_t)fx_int(v, "now_ms") };
	struct boho_env env = fixed_env_make(&fe);
	struct boho snd, rcv;
	size_t pl, kl;
	uint8_t *plain = fx_hex(v, "plain_hex", &pl);
	uint8_t *pkt = fx_hex(v, "packet_hex", &kl);
	long n;

	session_pair(v, &snd, &rcv);
	n = boho_encrypt_488(&snd, &env, plain, pl, buf, sizeof(buf));
	tap_eq_bytes(buf, n < 0 ? 0 : (size_t)n, pkt, kl, "ENC_488 %s: encrypt",
	    desc);
	memcpy(buf, pkt, kl);
	n = boho_decrypt_488(&rcv, buf, kl);
	tap_eq_bytes(buf + BOHO_ENC_HDR, n < 0 ? 0 : (size_t)n, plain, pl,
	    "ENC_488 %s: decrypt", desc);
	free(plain);
	free(pkt);
}

static void
test_e2e(json_t *v)
{
	const char *desc = fx_str(v, "desc");
	struct fixed_env fe = { .now_ms = (uint64_t)fx_int(v, "now_ms") };
	struct boho_env env = fixed_env_make(&fe);
	struct boho snd, rcv;
	size_t sl, kl, hl = 0;
	uint8_t *sig = fx_hex(v, "signal_hex", &sl);
	uint8_t *pkt = fx_hex(v, "packet_hex", &kl);
	long n;

	session_pair(v, &snd, &rcv);
	n = boho_e2e_wrap(&snd, &env, sig, sl, buf, sizeof(buf), &hl);
	if (n > 0) {
		memcpy(buf + n, sig + hl, sl - hl);	/* the clear payload */
		n += (long)(sl - hl);
	}
	tap_eq_bytes(buf, n < 0 ? 0 : (size_t)n, pkt, kl, "E2E %s: wrap", desc);
	memcpy(buf, pkt, kl);
	n = boho_e2e_unwrap(&rcv, buf, kl);
	tap_eq_bytes(buf + BOHO_ENC_HDR, n < 0 ? 0 : kl - BOHO_ENC_HDR, sig, sl,
	    "E2E %s: unwrap gives the SIGNAL_E2E", desc);
	free(sig);
	free(pkt);
}

static void
test_encpack(json_t *v)
{
	const char *desc = fx_str(v, "desc"), *key = fx_str(v, "e2e_key");
	struct fixed_env fe = { .now_ms = (uint64_t)fx_int(v, "now_ms") };
	struct boho_env env = fixed_env_make(&fe);
	uint8_t k32[BOHO_K32], dec[4096];
	size_t dl, kl;
	uint8_t *data = fx_hex(v, "data_hex", &dl);
	uint8_t *pkt = fx_hex(v, "packet_hex", &kl);
	long n;

	env_rand(&fe, v, "rand_hex");
	boho_key_hash(key, strlen(key), k32);
	n = boho_enc_pack(k32, &env, data, dl, buf, sizeof(buf));
	tap_eq_bytes(buf, n < 0 ? 0 : (size_t)n, pkt, kl, "ENC_PACK %s: seal",
	    desc);
	n = boho_dec_pack(k32, pkt, kl, dec, sizeof(dec));
	tap_eq_bytes(dec, n < 0 ? 0 : (size_t)n, data, dl, "ENC_PACK %s: open",
	    desc);
	free(data);
	free(pkt);
}

static void
test_failures(void)
{
	struct fixed_env fe = { .now_ms = 1700000000123ULL,
	    .rand = { 1, 2, 3, 4 }, .rand_len = 4 };
	struct boho_env env = fixed_env_make(&fe);
	struct boho srv, cli, none;
	struct boho_auth_hmac h;
	uint8_t k32[BOHO_K32], wrong[BOHO_K32], nonce[BOHO_AUTH_NONCE_LEN];
	uint8_t hm[BOHO_AUTH_HMAC_LEN], ack[BOHO_AUTH_ACK_LEN];
	uint8_t pkt[128], keep[128];
	long n;

	boho_key_hash("right", 5, k32);
	boho_key_hash("wrong", 5, wrong);
	boho_clear(&srv);
	boho_clear(&cli);
	boho_clear(&none);

	/* A verify without an AUTH_NONCE outstanding. */
	memset(&h, 0, sizeof(h));
	tap_eq_long(boho_server_verify(&srv, k32, &h, ack), PROTO_ESTATE,
	    "AUTH_HMAC before AUTH_NONCE is refused");

	/* A wrong key fails and spends the nonce. */
	boho_server_nonce(&srv, &env, nonce);
	boho_client_set_id_key(&cli, "dev", 3, "wrong", 5);
	boho_client_auth_hmac(&cli, &env, nonce, sizeof(nonce), hm);
	boho_parse_auth_hmac(hm, sizeof(hm), &h);
	tap_eq_long(boho_server_verify(&srv, k32, &h, ack), PROTO_EAUTH,
	    "a wrong key fails");
	OK(!srv.authorized, "and leaves the session unauthorized");
	boho_client_set_id_key(&cli, "dev", 3, "right", 5);
	boho_client_auth_hmac(&cli, &env, nonce, sizeof(nonce), hm);
	boho_parse_auth_hmac(hm, sizeof(hm), &h);
	tap_eq_long(boho_server_verify(&srv, k32, &h, ack), PROTO_ESTATE,
	    "a retry on the spent nonce is refused");
	boho_server_nonce(&srv, &env, nonce);
	boho_client_auth_hmac(&cli, &env, nonce, sizeof(nonce), hm);
	boho_parse_auth_hmac(hm, sizeof(hm), &h);
	OK(boho_server_verify(&srv, k32, &h, ack) == 0,
	    "a fresh nonce with the right key passes");
	OK(boho_client_check_ack(&cli, ack, sizeof(ack)) == 0, "ACK accepted");
	ack[5] ^= 1;
	tap_eq_long(boho_client_check_ack(&cli, ack, sizeof(ack)), PROTO_EAUTH,
	    "a forged ACK is refused");
	tap_eq_long(boho_client_check_ack(&cli, ack, 32), PROTO_ETRUNC,
	    "a short ACK is refused");

	/* Parsing AUTH_HMAC. */
	tap_eq_long(boho_parse_auth_hmac(hm, 44, &h), PROTO_ETRUNC,
	    "AUTH_HMAC of 44 bytes");
	tap_eq_long(boho_parse_auth_hmac(nonce, sizeof(nonce), &h), PROTO_ETYPE,
	    "AUTH_NONCE is not an AUTH_HMAC");
	memcpy(hm + 1, "abcdefgh", 8);
	OK(boho_parse_auth_hmac(hm, sizeof(hm), &h) == 0 && h.id_len == 8 &&
	    strcmp(h.id, "abcdefgh") == 0, "an 8-byte id without NUL");
	memcpy(hm + 1, "ab\0defgh", 8);
	OK(boho_parse_auth_hmac(hm, sizeof(hm), &h) == 0 && h.id_len == 2,
	    "the id ends at its first NUL");
	tap_eq_long(boho_client_auth_hmac(&cli, &env, nonce, 12, hm),
	    PROTO_ETRUNC, "a 12-byte AUTH_NONCE is refused");

	/* ENC_488 needs a logged-in session on both sides. */
	tap_eq_long(boho_encrypt_488(&none, &env, (const uint8_t *)"x", 1, pkt,
	    sizeof(pkt)), PROTO_ESTATE, "no encryption before login");
	n = boho_encrypt_488(&srv, &env, (const uint8_t *)"\xd0\x01" "a\x01" "hi",
	    6, pkt, sizeof(pkt));
	tap_eq_long(n, 27, "ENC_488 of 6 bytes is 27");
	tap_eq_long(boho_decrypt_488(&none, pkt, (size_t)n), PROTO_ESTATE,
	    "no decryption without a key (the reference accepts zero keys)");
	memcpy(keep, pkt, (size_t)n);
	pkt[24] ^= 0x80;
	memcpy(keep + 24, pkt + 24, 1);
	tap_eq_long(boho_decrypt_488(&cli, pkt, (size_t)n), PROTO_EAUTH,
	    "a flipped ciphertext bit fails the HMAC");
	OK(memcmp(pkt, keep, (size_t)n) == 0, "and the bytes are left as sent");
	tap_eq_long(boho_decrypt_488(&cli, pkt, 20), PROTO_ETRUNC,
	    "ENC_488 shorter than its header");
	tap_eq_long(boho_decrypt_488(&cli, pkt, (size_t)n - 1), PROTO_ETRUNC,
	    "ENC_488 shorter than its length field");
	pkt[0] = IOS_SIGNAL;
	tap_eq_long(boho_decrypt_488(&cli, pkt, (size_t)n), PROTO_ETYPE,
	    "a SIGNAL is not an ENC_488");
	n = boho_encrypt_488(&srv, &env, (const uint8_t *)"\xd0\x01" "a\x01",
	    4, pkt, sizeof(pkt));
	pkt[0] = IOS_ENC_E2E;
	tap_eq_long(boho_e2e_unwrap(&cli, pkt, (size_t)n), PROTO_ETYPE,
	    "an ENC_E2E must carry a SIGNAL_E2E");
	tap_eq_long(boho_e2e_wrap(&srv, &env, (const uint8_t *)"\xd0\x01" "a",
	    3, pkt, sizeof(pkt), &(size_t){ 0 }), PROTO_ETYPE,
	    "only a SIGNAL_E2E is wrapped");

	/* ENC_PACK */
	n = boho_enc_pack(k32, &env, (const uint8_t *)"secret", 6, pkt,
	    sizeof(pkt));
	tap_eq_long(boho_dec_pack(wrong, pkt, (size_t)n, keep, sizeof(keep)),
	    PROTO_EAUTH, "ENC_PACK with the wrong key");
	tap_eq_long(boho_dec_pack(k32, pkt, (size_t)n - 1, keep, sizeof(keep)),
	    PROTO_ELEN, "ENC_PACK with a wrong length");
	tap_eq_long(boho_dec_pack(k32, pkt, 24, keep, sizeof(keep)),
	    PROTO_ETRUNC, "ENC_PACK shorter than its header");
	tap_eq_long(boho_dec_pack(k32, pkt, (size_t)n, keep, 5), PROTO_ENOSPC,
	    "ENC_PACK into a short buffer");

	/* Stored keys */
	tap_eq_long(boho_key_from_stored("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
	    44, wrong), PROTO_EINVAL, "44 chars that are not base64");
	OK(boho_key_from_stored("right", 5, wrong) == 0 &&
	    memcmp(wrong, k32, BOHO_K32) == 0,
	    "a value that is not 44 chars is a plain key");
}

int
main(void)
{
	json_t *fx = fixture_load("boho.json");
	size_t i;
	json_t *v;

	test_auth(json_object_get(fx, "kat"), "KAT 7.5");
	json_array_foreach(json_object_get(fx, "auth"), i, v)
		test_auth(v, fx_str(v, "id"));
	json_array_foreach(json_object_get(fx, "enc488"), i, v)
		test_enc488(v);
	json_array_foreach(json_object_get(fx, "e2e"), i, v)
		test_e2e(v);
	json_array_foreach(json_object_get(fx, "encpack"), i, v)
		test_encpack(v);
	json_array_foreach(json_object_get(fx, "stored_keys"), i, v) {
		char s[BOHO_STORED_KEY_LEN + 1];
		const char *k = fx_str(v, "key");

		boho_stored_key(k, strlen(k), s);
		tap_eq_str(s, fx_str(v, "stored"), "stored key of \"%s\"", k);
	}
	test_failures();
	json_decref(fx);
	return tap_done();
}
