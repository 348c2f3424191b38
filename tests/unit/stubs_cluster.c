/*
 * stubs_cluster.c - cluster.h for the unit tests of daemon modules: the
 * router's hooks do nothing (no --cluster), as in a daemon without one.
 */
#include "cluster.h"

void
cluster_interest(struct server *srv, const char *key, size_t klen, bool on)
{
	(void)srv;
	(void)key;
	(void)klen;
	(void)on;
}

void
cluster_publish(struct server *srv, const struct conn *from,
    const char *key, size_t klen, const uint8_t *m, size_t len)
{
	(void)srv;
	(void)from;
	(void)key;
	(void)klen;
	(void)m;
	(void)len;
}

bool
cluster_unicast(struct server *srv, const struct conn *from,
    const char *cid, size_t cidlen, const uint8_t *m, size_t len)
{
	(void)srv;
	(void)from;
	(void)cid;
	(void)cidlen;
	(void)m;
	(void)len;
	return false;
}

void
cluster_retain(struct server *srv, const char *key, const uint8_t *m,
    size_t len)
{
	(void)srv;
	(void)key;
	(void)m;
	(void)len;
}

bool
cluster_fetch_retained(struct server *srv, struct conn *c, const char *key,
    size_t klen)
{
	(void)srv;
	(void)c;
	(void)key;
	(void)klen;
	return false;
}

void
cluster_cid_claim(struct server *srv, const char *cid, bool login)
{
	(void)srv;
	(void)cid;
	(void)login;
}

void
cluster_cid_release(struct server *srv, const char *cid)
{
	(void)srv;
	(void)cid;
}
