/*
 * msg.h - an immutable, reference-counted message shared by every
 * recipient of a fan-out.
 *
 * A transport's header goes in the room before the payload (head), built
 * once, the first time the message is queued on that transport, so that
 * a delivery is one contiguous write. A fan-out to a second transport
 * gets one framed copy (alt), built once too.
 */
#ifndef IOSD_MSG_H
#define IOSD_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MSG_HEAD_MAX	14	/* room for the longest transport header */

struct msg {
	uint32_t refs;
	uint32_t len;
	uint32_t queued;	/* send queues holding it (bufmem.h) */
	uint8_t hlen;		/* bytes of header before data */
	const void *framed_for;	/* whose header is in head; NULL: none */
	struct msg *alt;	/* the same payload framed for another */
	uint8_t head[MSG_HEAD_MAX];
	uint8_t data[];		/* the payload, right after head */
};

/* NULL when out of memory. */
struct msg *msg_new(size_t len);
struct msg *msg_copy(const void *data, size_t len);
static inline struct msg *
msg_ref(struct msg *m)
{
	m->refs++;
	return m;
}
void msg_unref(struct msg *m);

/* The header a framer writes for a payload of len bytes: its size. */
typedef size_t (*msg_framer)(uint8_t *hdr, size_t len);

/*
 * m, or its copy, with the header of `who` (any stable key: a transport's
 * operations) written before the payload: data - hlen .. data + len is
 * then the whole frame. NULL when out of memory. No new reference.
 */
struct msg *msg_framed(struct msg *m, const void *who, msg_framer frame);

#endif
