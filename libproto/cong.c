/*
 * cong.c - CongSocket length framing.
 */
#include <stdlib.h>
#include <string.h>

#include "cong.h"
#include "proto_err.h"

#define CONG_MIN_CAP 512

size_t
cong_header(uint8_t hdr[CONG_HDR_MAX], uint32_t len)
{
	/* Same thresholds as the reference CongPacket.pack(). */
	if (len < 256) {
		hdr[0] = 1;
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		hdr[0] = 2;
		hdr[1] = (uint8_t)len;
		hdr[2] = (uint8_t)(len >> 8);
		return 3;
	}
	if (len < (1u << 24)) {
		hdr[0] = 3;
		hdr[1] = (uint8_t)len;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)(len >> 16);
		return 4;
	}
	hdr[0] = 4;
	hdr[1] = (uint8_t)len;
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)(len >> 16);
	hdr[4] = (uint8_t)(len >> 24);
	return 5;
}

long
cong_encode(const uint8_t *payload, uint32_t len, uint8_t *out, size_t cap)
{
	uint8_t hdr[CONG_HDR_MAX];
	size_t hl = cong_header(hdr, len);

	if (cap < hl || cap - hl < len)
		return PROTO_ENOSPC;
	memcpy(out, hdr, hl);
	if (len)
		memcpy(out + hl, payload, len);
	return (long)(hl + len);
}

long
cong_parse(const uint8_t *buf, size_t len, uint32_t max_len,
    const uint8_t **payload, uint32_t *plen, size_t *need)
{
	size_t hl;
	uint32_t n;

	if (len == 0) {
		if (need)
			*need = 1;
		return 0;
	}
	if (buf[0] < 1 || buf[0] > 4)
		return PROTO_ETYPE;
	hl = (size_t)buf[0] + 1;
	if (len < hl) {
		if (need)
			*need = hl;
		return 0;
	}
	n = buf[1];
	if (hl > 2)
		n |= (uint32_t)buf[2] << 8;
	if (hl > 3)
		n |= (uint32_t)buf[3] << 16;
	if (hl > 4)
		n |= (uint32_t)buf[4] << 24;
	if (n > max_len)
		return PROTO_ETOOBIG;
	if (len - hl < n) {
		if (need)
			*need = hl + n;
		return 0;
	}
	*payload = buf + hl;
	*plen = n;
	return (long)(hl + n);
}

void
cong_decoder_init(struct cong_decoder *d, uint32_t max_len)
{
	memset(d, 0, sizeof(*d));
	d->max_len = max_len;
}

void
cong_decoder_free(struct cong_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->rpos = d->wpos = 0;
}

size_t
cong_decoder_pending(const struct cong_decoder *d)
{
	return d->wpos - d->rpos;
}

/* The capacity space(want) needs; d->cap when it needs no more. */
static size_t
needed_cap(const struct cong_decoder *d, size_t want)
{
	size_t limit = (size_t)d->max_len + CONG_HDR_MAX, used, ncap;

	if (want > limit)
		want = limit;
	if (want == 0)
		want = 1;
	used = d->wpos - d->rpos;	/* after sliding to the front */
	if (d->cap - used >= want)
		return d->cap;
	ncap = d->cap ? d->cap : CONG_MIN_CAP;
	while (ncap - used < want)
		ncap *= 2;
	return ncap > limit ? limit : ncap;
}

size_t
cong_decoder_growth(const struct cong_decoder *d, size_t want)
{
	size_t ncap = d->err ? d->cap : needed_cap(d, want);

	return ncap > d->cap ? ncap - d->cap : 0;
}

int
cong_decoder_space(struct cong_decoder *d, size_t want, uint8_t **p,
    size_t *n)
{
	size_t pending, limit;

	if (d->err)
		return d->err;
	limit = (size_t)d->max_len + CONG_HDR_MAX;
	if (want > limit)
		want = limit;
	if (want == 0)
		want = 1;
	if (d->cap - d->wpos < want && d->rpos > 0) {
		/* Slide unparsed bytes to the front before growing. */
		pending = d->wpos - d->rpos;
		memmove(d->buf, d->buf + d->rpos, pending);
		d->rpos = 0;
		d->wpos = pending;
	}
	if (d->cap - d->wpos < want) {
		size_t ncap = needed_cap(d, want);
		uint8_t *nb;

		if (ncap <= d->wpos)
			return PROTO_ENOSPC;	/* full: drain frames first */
		nb = realloc(d->buf, ncap);
		if (nb == NULL)
			return PROTO_ENOMEM;
		d->buf = nb;
		d->cap = ncap;
	}
	*p = d->buf + d->wpos;
	*n = d->cap - d->wpos;
	return 0;
}

void
cong_decoder_commit(struct cong_decoder *d, size_t n)
{
	if (n > d->cap - d->wpos)
		n = d->cap - d->wpos;
	d->wpos += n;
}

int
cong_decoder_feed(struct cong_decoder *d, const uint8_t *data, size_t len)
{
	while (len > 0) {
		uint8_t *p = NULL;
		size_t n = 0;
		int rc;

		/* Ask only for what the frame in progress can still need, so
		 * a hostile header never makes the buffer grow past it. */
		rc = cong_decoder_space(d, len, &p, &n);
		if (rc < 0)
			return rc;
		if (n > len)
			n = len;
		memcpy(p, data, n);
		cong_decoder_commit(d, n);
		data += n;
		len -= n;
		if (len > 0) {
			/* Buffer full: the caller must drain frames first. */
			const uint8_t *pl;
			uint32_t pn;
			size_t need = 0;
			long r = cong_parse(d->buf + d->rpos, d->wpos - d->rpos,
			    d->max_len, &pl, &pn, &need);
			if (r < 0) {
				d->err = (int)r;
				return d->err;
			}
			if (r > 0)
				return PROTO_ENOSPC;
		}
	}
	return 0;
}

int
cong_decoder_next(struct cong_decoder *d, const uint8_t **payload,
    uint32_t *len)
{
	long r;
	size_t need = 0;

	if (d->err)
		return d->err;
	r = cong_parse(d->buf + d->rpos, d->wpos - d->rpos, d->max_len,
	    payload, len, &need);
	if (r < 0) {
		d->err = (int)r;
		return d->err;
	}
	if (r == 0) {
		if (d->rpos == d->wpos)
			d->rpos = d->wpos = 0;
		return 0;
	}
	d->rpos += (size_t)r;
	return 1;
}

void
cong_decoder_shrink(struct cong_decoder *d, size_t keep)
{
	if (d->rpos != d->wpos || d->cap <= keep)
		return;
	free(d->buf);
	d->buf = NULL;
	d->cap = d->rpos = d->wpos = 0;
}
