/*
 * msg.c - see msg.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

/* A header written before data ends right where data begins. */
_Static_assert(offsetof(struct msg, data) ==
    offsetof(struct msg, head) + MSG_HEAD_MAX, "msg head before data");

struct msg *
msg_new(size_t len)
{
	struct msg *m = malloc(sizeof(*m) + len);

	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->len = (uint32_t)len;
	m->queued = 0;
	m->hlen = 0;
	m->framed_for = NULL;
	m->alt = NULL;
	return m;
}

struct msg *
msg_copy(const void *data, size_t len)
{
	struct msg *m = msg_new(len);

	if (m && len)
		memcpy(m->data, data, len);
	return m;
}

void
msg_unref(struct msg *m)
{
	while (m && --m->refs == 0) {
		struct msg *alt = m->alt;

		free(m);
		m = alt;
	}
}

static void
frame(struct msg *m, const void *who, msg_framer framer)
{
	uint8_t hdr[MSG_HEAD_MAX];
	size_t hl = framer(hdr, m->len);

	memcpy(m->data - hl, hdr, hl);
	m->hlen = (uint8_t)hl;
	m->framed_for = who;
}

struct msg *
msg_framed(struct msg *m, const void *who, msg_framer framer)
{
	struct msg *f;

	for (f = m; f; f = f->alt) {
		if (f->framed_for == who)
			return f;
		if (f->framed_for == NULL) {
			frame(f, who, framer);
			return f;
		}
		if (f->alt == NULL)
			break;
	}
	/* Framed for another transport already: one copy for this one. */
	if ((f->alt = msg_copy(m->data, m->len)) == NULL)
		return NULL;
	frame(f->alt, who, framer);
	return f->alt;
}
