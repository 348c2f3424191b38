/*
 * msg.c - see msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

struct msg *
msg_new(size_t len)
{
	struct msg *m = malloc(sizeof(*m) + len);

	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->len = (uint32_t)len;
	m->queued = 0;
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
	if (m && --m->refs == 0)
		free(m);
}
