/*
 * msg.h - an immutable, reference-counted message shared by every
 * recipient of a fan-out. Transports add their own header at write time.
 */
#ifndef IOSD_MSG_H
#define IOSD_MSG_H

#include <stddef.h>
#include <stdint.h>

struct msg {
	uint32_t refs;
	uint32_t len;
	uint32_t queued;	/* send queues holding it (bufmem.h) */
	uint8_t data[];
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

#endif
