/*
 * fuzz_mbp.c - the meta-buffer-pack decoder on any bytes; every field it
 * reports must lie inside the data area.
 */
#include <stdlib.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mbp_pack p;

	if (size > 65536 + 2)
		return 0;
	(void)mbp_meta_size(data, size);
	if (mbp_decode(data, size, &p) != 0)
		return 0;
	if (p.data_len > size || p.nfields > MBP_MAX_FIELDS ||
	    p.nargs > p.nfields)
		abort();
	for (size_t i = 0; i < p.nfields; i++) {
		const struct mbp_field *f = &p.fields[i];
		int64_t v;
		double d;

		if ((size_t)f->off + f->len > p.data_len ||
		    f->data != data + f->off)
			abort();
		(void)mbp_field_int(f, &v);
		(void)mbp_field_double(f, &d);
		(void)mbp_field_truthy(f);
		(void)mbp_get(&p, f->name);
	}
	return 0;
}
