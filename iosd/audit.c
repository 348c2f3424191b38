/*
 * audit.c - see audit.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "audit.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "xmalloc.h"

struct pending {
	UT_hash_handle hh;
	struct login_failures f;
	uint64_t first_ms;
	char key[DEVICE_ID_MAX + 1 + 64 + 2];
};

struct audit {
	struct server *srv;
	struct pending *tab;
	unsigned npending;
	/* Pairs past AUDIT_PENDING_MAX: folded into one row. */
	unsigned overflow;
	uint64_t overflow_first_ms;
	ev_timer flush, prune;
};

static void
flush_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	audit_flush(w->data);
}

static void
prune_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	audit_prune(w->data);
}

struct audit *
audit_new(struct server *srv)
{
	struct audit *a = xcalloc(1, sizeof(*a));

	a->srv = srv;
	ev_init(&a->flush, flush_cb);
	a->flush.data = a;
	ev_timer_init(&a->prune, prune_cb, AUDIT_PRUNE_MS / 1000.0,
	    AUDIT_PRUNE_MS / 1000.0);
	a->prune.data = a;
	ev_timer_start(srv->loop, &a->prune);
	audit_prune(a);
	return a;
}

void
audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	audit_flush(a);
	ev_timer_stop(a->srv->loop, &a->prune);
	free(a);
}

void
audit_login_fail(struct audit *a, const char *id, const char *addr,
    const char *reason)
{
	uint64_t now = server_now_ms(a->srv);
	struct pending *p = NULL;
	char key[sizeof(p->key)];

	snprintf(key, sizeof(key), "%s\n%s", id ? id : "", addr);
	HASH_FIND_STR(a->tab, key, p);
	if (p == NULL) {
		if (a->npending >= AUDIT_PENDING_MAX ||
		    (p = calloc(1, sizeof(*p))) == NULL) {
			if (a->overflow++ == 0)
				a->overflow_first_ms = now;
			goto arm;
		}
		memcpy(p->key, key, sizeof(key));
		snprintf(p->f.id, sizeof(p->f.id), "%s", id ? id : "");
		snprintf(p->f.addr, sizeof(p->f.addr), "%s", addr);
		p->first_ms = now;
		HASH_ADD_STR(a->tab, key, p);
		a->npending++;
	}
	p->f.count++;
	p->f.span_s = (unsigned)((now - p->first_ms) / 1000);
	snprintf(p->f.reason, sizeof(p->f.reason), "%s", reason);
arm:
	if (!ev_is_active(&a->flush)) {
		ev_timer_set(&a->flush, AUDIT_INTERVAL_MS / 1000.0, 0);
		ev_timer_start(a->srv->loop, &a->flush);
	}
}

void
audit_flush(struct audit *a)
{
	struct login_failures *rows;
	struct pending *p, *tmp;
	size_t n = 0;

	ev_timer_stop(a->srv->loop, &a->flush);
	if (a->npending == 0 && a->overflow == 0)
		return;
	rows = calloc(a->npending + 1, sizeof(*rows));
	HASH_ITER(hh, a->tab, p, tmp) {
		if (rows)
			rows[n++] = p->f;
		HASH_DEL(a->tab, p);
		free(p);
	}
	if (rows && a->overflow) {
		struct login_failures *o = &rows[n++];

		snprintf(o->addr, sizeof(o->addr), "*");
		o->count = a->overflow;
		o->span_s = (unsigned)((server_now_ms(a->srv) -
		    a->overflow_first_ms) / 1000);
		snprintf(o->reason, sizeof(o->reason), "from more than %d "
		    "(id, address) pairs", AUDIT_PENDING_MAX);
	}
	if (rows == NULL)
		log_warnx("audit: out of memory: %u failed logins not written",
		    a->npending + a->overflow);
	else
		store_login_failures(a->srv->store, rows, n);
	free(rows);
	a->npending = 0;
	a->overflow = 0;
	/* What was just written counts against --audit-keep now, not at the
	 * hourly prune: a flood of failures from many addresses (up to
	 * AUDIT_PENDING_MAX rows an interval) stays within it. */
	audit_prune(a);
}

void
audit_prune(struct audit *a)
{
	const struct options *o = &a->srv->opt;
	long long n = store_audit_prune(a->srv->store, o->audit_keep_s,
	    o->audit_keep_rows);

	if (n > 0)
		log_info("audit: %lld old rows pruned (--audit-keep)", n);
}
