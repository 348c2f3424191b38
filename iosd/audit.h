/*
 * audit.h - what the audit log takes from the network, bounded: failed
 * logins are gathered per (device id, address) and written once per
 * interval as one row with a count, in one transaction; the table is
 * pruned by age and size (--audit-keep) at start, every hour and after
 * each such write, failures first. Successful logins and every
 * administrative change are written as they happen (store.h).
 */
#ifndef IOSD_AUDIT_H
#define IOSD_AUDIT_H

#include <stdint.h>

struct server;
struct audit;

#define AUDIT_INTERVAL_MS	10000
#define AUDIT_PENDING_MAX	1024	/* pairs gathered in one interval */
#define AUDIT_PRUNE_MS		(60 * 60 * 1000)

struct audit *audit_new(struct server *srv);
/* Writes what is gathered, then frees. */
void audit_free(struct audit *a);
void audit_login_fail(struct audit *a, const char *id, const char *addr,
    const char *reason);
/* Write what is gathered now (a stop, a test, iosctl audit). */
void audit_flush(struct audit *a);
void audit_prune(struct audit *a);

#endif
