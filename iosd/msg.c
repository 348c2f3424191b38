/*
 * msg.c - see msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "xmalloc.h"

struct msg *
msg_new(size_t len)
{
	struct msg *m = xmalloc(sizeof(*m) + len);

	m->refs = 1;
	m->len = (uint32_t)len;
	return m;
}

struct msg *
msg_copy(const void *data, size_t len)
{
	struct msg *m = msg_new(len);

	if (len)
		memcpy(m->data, data, len);
	return m;
}

void
msg_unref(struct msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}
