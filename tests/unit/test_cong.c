/*
 * test_cong.c - CongSocket framing against the reference's CongPacket.pack
 * and CongRx, and on broken streams.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "proto.h"
#include "tap.h"

static void
test_headers(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "headers"), i, v) {
		uint32_t len = (uint32_t)fx_int(v, "len");
		size_t wl, need = 0;
		uint8_t *want = fx_hex(v, "header_hex", &wl);
		uint8_t hdr[CONG_HDR_MAX];
		size_t hl = cong_header(hdr, len);
		const uint8_t *p;
		uint32_t pl;

		tap_eq_bytes(hdr, hl, want, wl, "header for %u bytes", len);
		/* Decoding the header alone asks for exactly the frame. */
		tap_eq_long(cong_parse(want, wl, UINT32_MAX, &p, &pl, &need),
		    len == 0 ? (long)wl : 0, "header for %u parses", len);
		if (len > 0)
			tap_eq_long((long)need, (long)(wl + len),
			    "header for %u needs the whole frame", len);
		if (len > 0)
			tap_eq_long(cong_parse(want, wl, len - 1, &p, &pl, NULL),
			    PROTO_ETOOBIG, "%u bytes over a limit of %u refused",
			    len, len - 1);
		free(want);
	}
}

static void
test_encoded(json_t *fx)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(fx, "encoded"), i, v) {
		size_t pl, fl;
		uint8_t *pay = fx_hex(v, "payload_hex", &pl);
		uint8_t *frame = fx_hex(v, "frame_hex", &fl);
		uint8_t *out = malloc(pl + CONG_HDR_MAX);
		long n = cong_encode(pay, (uint32_t)pl, out, pl + CONG_HDR_MAX);
		struct cong_decoder d;
		const uint8_t *p;
		uint32_t len;

		tap_eq_bytes(out, n < 0 ? 0 : (size_t)n, frame, fl,
		    "encode %zu-byte payload", pl);
		tap_eq_long(cong_encode(pay, (uint32_t)pl, out, fl - 1),
		    PROTO_ENOSPC, "encode %zu bytes into a short buffer", pl);
		cong_decoder_init(&d, 1 << 20);
		cong_decoder_feed(&d, frame, fl);
		OK(cong_decoder_next(&d, &p, &len) == 1 &&
		    len == pl && memcmp(p, pay, pl) == 0,
		    "decode %zu-byte frame", pl);
		cong_decoder_free(&d);
		free(pay);
		free(frame);
		free(out);
	}
}

static void
test_streams(json_t *fx)
{
	size_t i, k;
	json_t *v, *c;

	json_array_foreach(json_object_get(fx, "streams"), i, v) {
		struct cong_decoder d;
		json_t *frames = json_object_get(v, "frames_hex");
		size_t nf = 0, bad = 0;
		const char *desc = fx_str(v, "desc");

		cong_decoder_init(&d, 1 << 24);
		json_array_foreach(json_object_get(v, "chunks_hex"), k, c) {
			size_t cl;
			uint8_t *chunk = hex_decode(json_string_value(c), &cl);
			const uint8_t *p;
			uint32_t len;

			if (cong_decoder_feed(&d, chunk, cl) < 0)
				bad++;
			while (cong_decoder_next(&d, &p, &len) == 1) {
				size_t wl;
				uint8_t *want;

				if (len == 0)
					continue;	/* the reference drops them */
				if (nf >= json_array_size(frames)) {
					bad++;
					continue;
				}
				want = hex_decode(json_string_value(
				    json_array_get(frames, nf)), &wl);
				if (wl != len || memcmp(want, p, len) != 0)
					bad++;
				nf++;
				free(want);
			}
			free(chunk);
		}
		OK(bad == 0 && nf == json_array_size(frames),
		    "stream \"%s\": %zu frames as CongRx emits them", desc, nf);
		cong_decoder_free(&d);
	}
}

static void
test_broken(void)
{
	static const uint8_t bad_types[] = { 0x00, 0x05, 0x7f, 0xd0, 0xff };
	static const uint8_t huge[] = { 4, 0xff, 0xff, 0xff, 0xff };
	struct cong_decoder d;
	const uint8_t *p;
	uint32_t len;
	size_t need;

	for (size_t i = 0; i < sizeof(bad_types); i++) {
		uint8_t frame[] = { bad_types[i], 1, 0x41 };

		cong_decoder_init(&d, 1024);
		cong_decoder_feed(&d, frame, sizeof(frame));
		tap_eq_long(cong_decoder_next(&d, &p, &len), PROTO_ETYPE,
		    "type byte 0x%02x is refused", bad_types[i]);
		tap_eq_long(cong_decoder_next(&d, &p, &len), PROTO_ETYPE,
		    "the error is sticky after 0x%02x", bad_types[i]);
		cong_decoder_free(&d);
	}

	/* A 4 GiB declaration is refused from the 5-byte header alone. */
	cong_decoder_init(&d, 1 << 20);
	for (size_t i = 0; i < sizeof(huge); i++)
		cong_decoder_feed(&d, huge + i, 1);
	tap_eq_long(cong_decoder_next(&d, &p, &len), PROTO_ETOOBIG,
	    "4 GiB length refused from the header");
	OK(d.cap <= 512, "nothing was buffered for it (cap %zu)", d.cap);
	tap_eq_long(cong_decoder_feed(&d, huge, 1), PROTO_ETOOBIG,
	    "feeding after the refusal fails");
	cong_decoder_free(&d);

	/* Truncated frames wait for more; need says how much. */
	{
		static const uint8_t part[] = { 2, 0x2c, 0x01, 9, 9 };

		need = 0;
		tap_eq_long(cong_parse(part, 1, 1000, &p, &len, &need), 0,
		    "one header byte: need more");
		tap_eq_long((long)need, 3, "one header byte: header is 3");
		tap_eq_long(cong_parse(part, sizeof(part), 1000, &p, &len,
		    &need), 0, "partial payload: need more");
		tap_eq_long((long)need, 303, "partial payload: frame is 303");
		tap_eq_long(cong_parse(part, 0, 1000, &p, &len, &need), 0,
		    "empty input: need more");
	}

	/* The limit is exact: max_len passes, max_len + 1 does not. */
	{
		uint8_t *big = calloc(1, 70000 + 5);

		cong_header(big, 70000);
		cong_decoder_init(&d, 70000);
		for (size_t off = 0; off < 70004; off += 997) {
			size_t c = 70004 - off < 997 ? 70004 - off : 997;
			cong_decoder_feed(&d, big + off, c);
		}
		OK(cong_decoder_next(&d, &p, &len) == 1 && len == 70000,
		    "a 3-byte-header frame of exactly max_len, fed in pieces");
		OK(d.cap <= 70000 + CONG_HDR_MAX, "buffer within max_len + 5");
		cong_decoder_shrink(&d, 4096);
		tap_eq_long((long)d.cap, 0, "shrink frees an idle buffer");
		cong_decoder_free(&d);
		cong_decoder_init(&d, 69999);
		cong_decoder_feed(&d, big, 4);
		tap_eq_long(cong_decoder_next(&d, &p, &len), PROTO_ETOOBIG,
		    "one byte over max_len is refused");
		cong_decoder_free(&d);
		free(big);
	}

	/* Reading straight into the decoder's buffer. */
	{
		uint8_t *w;
		size_t avail;
		static const uint8_t two[] = { 1, 1, 0xcd, 1, 2, 0xd0, 0x00 };

		cong_decoder_init(&d, 255);
		OK(cong_decoder_space(&d, 4096, &w, &avail) == 0 &&
		    avail >= sizeof(two) && avail <= 255 + CONG_HDR_MAX,
		    "space is bounded by max_len + header (%zu)", avail);
		memcpy(w, two, sizeof(two));
		cong_decoder_commit(&d, sizeof(two));
		OK(cong_decoder_next(&d, &p, &len) == 1 && len == 1 &&
		    p[0] == 0xcd, "first of two frames");
		OK(cong_decoder_next(&d, &p, &len) == 1 && len == 2 &&
		    p[0] == 0xd0, "second of two frames");
		tap_eq_long(cong_decoder_next(&d, &p, &len), 0, "then none");
		tap_eq_long((long)cong_decoder_pending(&d), 0, "nothing pending");
		cong_decoder_free(&d);
	}
}

int
main(void)
{
	json_t *fx = fixture_load("cong.json");

	test_headers(fx);
	test_encoded(fx);
	test_streams(fx);
	test_broken();
	json_decref(fx);
	return tap_done();
}
