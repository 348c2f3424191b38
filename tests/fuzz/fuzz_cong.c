/*
 * fuzz_cong.c - the CongSocket stream decoder on any bytes, in chunks of
 * sizes the input chooses; every frame it yields must be a real frame.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cong_decoder d;
	size_t chunk, pos = 1;
	uint8_t out[MAX_LEN + CONG_HDR_MAX];

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	cong_decoder_init(&d, MAX_LEN);
	while (pos < size) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		const uint8_t *p;
		uint32_t len;
		int rc;

		if (cong_decoder_feed(&d, data + pos, n) < 0)
			break;
		pos += n;
		while ((rc = cong_decoder_next(&d, &p, &len)) == 1) {
			long e;

			if (len > MAX_LEN)
				abort();
			/* Re-encoding a yielded frame must round-trip. */
			e = cong_encode(p, len, out, sizeof(out));
			if (e < 0 || (size_t)e < len)
				abort();
			if (memcmp(out + e - len, p, len) != 0)
				abort();
		}
		if (rc < 0)
			break;
		if (d.cap > MAX_LEN + CONG_HDR_MAX)
			abort();	/* bounded memory */
	}
	cong_decoder_free(&d);
	return 0;
}
