/*
 * cong.h - CongSocket framing: [type][len LE][payload], type 1..4 giving
 * a 1, 2, 3 or 4 byte little-endian length.
 *
 * The decoder owns a linear buffer that the caller reads into directly
 * (cong_decoder_space + cong_decoder_commit) or copies into
 * (cong_decoder_feed). Frames are yielded as pointers into that buffer,
 * valid until the next space/feed/commit call. A declared length above
 * max_len is refused from the header alone, before any byte is buffered.
 */
#ifndef PROTO_CONG_H
#define PROTO_CONG_H

#include <stddef.h>
#include <stdint.h>

#define CONG_HDR_MAX 5

struct cong_decoder {
	uint8_t *buf;
	size_t cap;
	size_t rpos;		/* first unparsed byte */
	size_t wpos;		/* end of valid data */
	uint32_t max_len;	/* largest payload accepted */
	int err;		/* sticky error once the stream is broken */
};

/* Header length (2..5) for a payload of len bytes; writes it to hdr. The
 * smallest form is chosen exactly as the reference does. */
size_t cong_header(uint8_t hdr[CONG_HDR_MAX], uint32_t len);

/* Whole frame into out; returns its length or PROTO_ENOSPC. */
long cong_encode(const uint8_t *payload, uint32_t len, uint8_t *out,
    size_t cap);

/*
 * Stateless parse of one frame at the start of buf. Returns the number of
 * bytes the frame occupies (header + payload) and sets *payload / *plen;
 * 0 when more bytes are needed (*need, if not NULL, is then the total the
 * frame requires when known, else the header size still missing);
 * PROTO_ETYPE for a bad type byte; PROTO_ETOOBIG for a length > max_len.
 */
long cong_parse(const uint8_t *buf, size_t len, uint32_t max_len,
    const uint8_t **payload, uint32_t *plen, size_t *need);

void cong_decoder_init(struct cong_decoder *d, uint32_t max_len);
void cong_decoder_free(struct cong_decoder *d);

/* Make at least `want` bytes writable at *p (*n is what is available,
 * possibly more). Grows the buffer only up to max_len + header.
 * Returns 0 or PROTO_ENOMEM / the sticky error. */
int cong_decoder_space(struct cong_decoder *d, size_t want, uint8_t **p,
    size_t *n);
void cong_decoder_commit(struct cong_decoder *d, size_t n);
/* How many bytes the buffer would grow by for space(want): 0 when it
 * has room (for a caller that budgets its memory). */
size_t cong_decoder_growth(const struct cong_decoder *d, size_t want);
/* The buffer's size now. */
static inline size_t
cong_decoder_capacity(const struct cong_decoder *d)
{
	return d->cap;
}

/* Copy a chunk in (convenience for tests and small inputs). */
int cong_decoder_feed(struct cong_decoder *d, const uint8_t *data,
    size_t len);

/* Next whole frame: 1 and *payload, *len set; 0 when more input is needed;
 * negative when the stream is broken (sticky: every later call fails). */
int cong_decoder_next(struct cong_decoder *d, const uint8_t **payload,
    uint32_t *len);

/* Bytes buffered but not yet returned as frames. */
size_t cong_decoder_pending(const struct cong_decoder *d);

/* Give back a large buffer once it is empty (bounded idle memory). */
void cong_decoder_shrink(struct cong_decoder *d, size_t keep);

#endif
