/*
 * bufmem.c - see bufmem.h.
 */
#include "bufmem.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "server.h"

size_t
bufmem_of(const struct conn *c)
{
	return c->bufmem + c->qbytes;
}

/* The connection holding the most, not closing yet; NULL if none. */
static struct conn *
largest(struct server *srv)
{
	struct conn *best = NULL;
	size_t most = 0;

	for (struct conn *c = srv->conns; c; c = c->next) {
		size_t n;

		if (c->doomed || c->state >= CONN_CLOSING)
			continue;
		if ((n = bufmem_of(c)) > most) {
			most = n;
			best = c;
		}
	}
	return best;
}

/* Close the largest consumers until need more bytes fit; false when
 * `self` was one of them. */
static bool
reclaim(struct server *srv, struct conn *self, size_t need)
{
	struct bufmem *b = &srv->mem;

	while (b->used + need > b->limit + b->releasing) {
		struct conn *v = largest(srv);

		if (v == NULL)
			return self == NULL;
		b->victims++;
		v->mem_doomed = bufmem_of(v);
		b->releasing += v->mem_doomed;
		conn_doom(v, DROP_MEMORY, "server buffer memory exhausted "
		    "(largest consumer)");
		if (v == self)
			return false;
		/* Its partial message goes now, not at the next flush: what
		 * this turn of the loop reads must not add to it. */
		conn_drop_input(v);
	}
	return true;
}

bool
bufmem_grow(struct server *srv, struct conn *c, size_t n)
{
	struct bufmem *b = &srv->mem;

	if (c->doomed)
		return false;
	if (b->used + n > b->limit + b->releasing && !reclaim(srv, c, n))
		return false;
	b->used += n;
	c->bufmem += n;
	return true;
}

void
bufmem_shrink(struct server *srv, struct conn *c, size_t n)
{
	if (n > c->bufmem)
		n = c->bufmem;
	c->bufmem -= n;
	srv->mem.used -= n < srv->mem.used ? n : srv->mem.used;
	if (c->mem_doomed) {
		/* A victim giving back what it was closed for: no longer
		 * counted as on its way out. */
		size_t k = n < c->mem_doomed ? n : c->mem_doomed;

		c->mem_doomed -= k;
		srv->mem.releasing -= k < srv->mem.releasing ? k :
		    srv->mem.releasing;
	}
}

void
bufmem_queue_ref(struct server *srv, struct msg *m)
{
	if (m->queued++ == 0)
		srv->mem.used += m->len;
}

void
bufmem_queue_unref(struct server *srv, struct msg *m)
{
	if (--m->queued == 0)
		srv->mem.used -= m->len < srv->mem.used ? m->len :
		    srv->mem.used;
}

void
bufmem_check(struct server *srv)
{
	if (srv->mem.used > srv->mem.limit + srv->mem.releasing)
		(void)reclaim(srv, NULL, 0);
}

void
bufmem_conn_gone(struct server *srv, struct conn *c)
{
	size_t n = c->mem_doomed;

	srv->mem.releasing -= n < srv->mem.releasing ? n :
	    srv->mem.releasing;
	c->mem_doomed = 0;
	if (c->bufmem)
		bufmem_shrink(srv, c, c->bufmem);
}
