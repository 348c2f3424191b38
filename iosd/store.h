/*
 * store.h - where devices, keys, quota levels, the audit log and retained
 * signals live: SQLite (the default, always open) and, for devices only,
 * optionally Redis in the reference's layout (device:<id> hashes).
 *
 * Device operations are asynchronous: the callback is called exactly once,
 * possibly before the call returns (SQLite), possibly later (Redis). The
 * rest is SQLite and synchronous.
 */
#ifndef IOSD_STORE_H
#define IOSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define DEVICE_ID_MAX	8	/* bytes; Boho carries 8 */
#define DEVICE_CID_MAX	20	/* bytes, as the reference; Arduino boards
				 * take 10 (doc/auth.md) */
/*
 * The rc of every store callback: 0 done, STORE_NOTFOUND for a lookup or
 * delete that found nothing, a negative store error otherwise. The
 * callback's text, when there is one, only adds detail (SQLite's or
 * Redis's own message); the kind of failure is the rc, never the text.
 */
#define STORE_ERRORS(X) \
	X(STORE_FAILED,		-1, "the store failed") \
	X(STORE_EXISTS,		-2, "exists") \
	X(STORE_CID_TAKEN,	-3, "cid in use") \
	X(STORE_BAD_VALUE,	-4, "a value out of its limits") \
	X(STORE_NOMEM,		-5, "out of memory") \
	X(STORE_UNAVAILABLE,	-6, "the store is not reachable")

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
#define STORE_ERR_ENUM(name, value, text) name = value,
	STORE_ERRORS(STORE_ERR_ENUM)
#undef STORE_ERR_ENUM
};

/* What rc means, in words. */
const char *store_strerror(int rc);

struct device {
	char id[DEVICE_ID_MAX + 1];
	char key[64];		/* stored form: base64(SHA-256(key)), 44 chars
				 * (a Redis value of another length is a plain
				 * key, as the reference reads it) */
	char cid[DEVICE_CID_MAX + 1 + 6];	/* Redis may hold "" */
	int level;		/* 0..255 */
	bool disabled;
	int64_t created, updated, last_seen;	/* Unix seconds, 0 = never */
	char last_addr[64];
	int64_t logins, failures;
};

struct quota {
	uint32_t signal_size;		/* bytes of one message */
	uint32_t publish_counter;	/* recipients of one publish */
	uint32_t traffic_rate;		/* bytes per second received */
};

typedef void store_device_cb(void *arg, int rc, const struct device *d);
typedef void store_done_cb(void *arg, int rc, const char *err);
typedef void store_list_cb(void *arg, int rc, const struct device *d,
    size_t n);

/* A device backend: SQLite's own, or Redis. */
struct device_backend {
	const char *name;		/* "sqlite" or "redis" */
	void (*get)(struct device_backend *b, const char *id,
	    store_device_cb *cb, void *arg);
	/* replace: overwrite an existing id; otherwise an existing id is an
	 * error (rc < 0, err "exists"). */
	void (*put)(struct device_backend *b, const struct device *d,
	    bool replace, store_done_cb *cb, void *arg);
	void (*del)(struct device_backend *b, const char *id,
	    store_done_cb *cb, void *arg);
	void (*list)(struct device_backend *b, store_list_cb *cb, void *arg);
	void (*close)(struct device_backend *b);
	/* Connected (Redis); NULL: always. */
	bool (*up)(const struct device_backend *b);
};

struct store;

/* Open (creating with mode 0600, its folder 0700) and migrate the SQLite
 * database; with redis_url, devices come from Redis. NULL + message on
 * failure. */
struct store *store_open(struct ev_loop *loop, const char *path,
    const char *redis_url, char *err, size_t errlen);
void store_close(struct store *st);
/* Commit what is written behind now (see store.c: retained signals, login
 * counters and audit rows wait up to 100 ms); done by store_close. */
void store_flush(struct store *st);
void store_behind_stats(const struct store *st, uint64_t *batches,
    uint64_t *lost, size_t *pending);
const char *store_backend_name(const struct store *st);
/* Device lookups so far: how many, their total and longest time. */
void store_latency(const struct store *st, uint64_t *count, double *sum_s,
    double *max_s);
/* The database answers a query and the device backend is connected. */
bool store_ping(struct store *st);
bool store_backend_up(const struct store *st);

void store_device_get(struct store *st, const char *id, store_device_cb *cb,
    void *arg);
/* Audited once it is done, as event ("enroll" or "update" when NULL). */
void store_device_put(struct store *st, const struct device *d, bool replace,
    const char *event, store_done_cb *cb, void *arg);
void store_device_del(struct store *st, const char *id, store_done_cb *cb,
    void *arg);
void store_device_list(struct store *st, store_list_cb *cb, void *arg);

/* Validation shared by every way in: ids 1..8 bytes, CIDs 1..20 bytes,
 * printable UTF-8 without ',', '.', '@', '#', '$' or spaces in ids and
 * CIDs; NULL when fine, else the reason. */
const char *store_check_id(const char *id, size_t len);
const char *store_check_cid(const char *cid, size_t len);

/* Quota levels (SQLite, cached). false when the level is not defined. */
bool store_quota(struct store *st, int level, struct quota *q);

/* Every defined level, in order; and changing one (applies to new
 * logins). store_quota_reload re-reads the table. */
size_t store_quota_levels(struct store *st, int *levels, size_t max);
int store_quota_set(struct store *st, int level, const struct quota *q,
    char *err, size_t errlen);
void store_quota_reload(struct store *st);

struct audit_row {
	int64_t seq, at;
	char event[32], device[DEVICE_ID_MAX + 1], addr[64], detail[256];
};
/* The newest rows first (device NULL: all); returns how many. */
size_t store_audit_list(struct store *st, const char *device,
    struct audit_row *rows, size_t max);

/* Login bookkeeping and the audit log (SQLite). */
void store_login_ok(struct store *st, const char *id, const char *addr);
/* Failed logins of one interval, one row per (id, address), written in
 * one transaction: 0 or -1 (logged). */
struct login_failures {
	char id[DEVICE_ID_MAX + 1];	/* "" when none was given */
	char addr[64];
	unsigned count, span_s;
	char reason[96];		/* the last one */
};
int store_login_failures(struct store *st, const struct login_failures *f,
    size_t n);
/* Audit rows older than max_age_s go; over max_rows, failed logins go
 * first, oldest first (0: no limit). Returns the rows removed. */
long long store_audit_prune(struct store *st, uint64_t max_age_s,
    uint64_t max_rows);
void store_audit(struct store *st, const char *event, const char *device,
    const char *addr, const char *detail);

/* Banned addresses (SQLite): until is Unix seconds, 0 for no end. */
struct ban_row {
	char net[64];
	int64_t until, created;
	char reason[128];
};
int store_ban_put(struct store *st, const struct ban_row *b);
/* 1 when it was there, 0 when not, -1 on error. */
int store_ban_del(struct store *st, const char *net);
/* Every ban not expired yet (expired ones are removed); -1 on error. */
typedef void store_ban_cb(void *arg, const struct ban_row *b);
int store_ban_load(struct store *st, store_ban_cb *cb, void *arg);

/*
 * Bearer tokens of the HTTP API (SQLite, migrations/0004_tokens.sql):
 * only the SHA-256 of a token is kept. expires 0: never.
 */
#define STORE_TOKEN_NAME_MAX	64	/* bytes of a token's name */
#define STORE_TOKEN_HASH	32	/* SHA-256 */
struct token_row {
	int64_t id;
	uint8_t hash[STORE_TOKEN_HASH];
	char scope[16];
	char name[STORE_TOKEN_NAME_MAX + 1];
	int64_t expires, created, last_used;
};
/* Insert t (its id is given back in t->id): STORE_OK, STORE_EXISTS for a
 * hash already there, or another store error. */
int store_token_put(struct store *st, struct token_row *t);
/* The token with this hash: STORE_OK with *t, STORE_NOTFOUND, or an
 * error. Its last use is noted (written behind). */
int store_token_find(struct store *st, const uint8_t hash[STORE_TOKEN_HASH],
    struct token_row *t);
/* Every token, oldest first, to cb; how many, or -1 on error. */
typedef void store_token_cb(void *arg, const struct token_row *t);
long store_token_list(struct store *st, store_token_cb *cb, void *arg);
/* 1 when it was there (and is gone), 0 when not, -1 on error. */
int store_token_del(struct store *st, int64_t id);

/* Retained signals that survive a restart (SQLite). */
void store_retained_put(struct store *st, const char *key,
    const uint8_t *msg, size_t len);
/* Forget what --retain-max (newest kept) and --retain-size leave out. */
void store_retained_prune(struct store *st, size_t count, size_t size);
typedef void store_retained_cb(void *arg, const char *key,
    const uint8_t *msg, size_t len);
void store_retained_load(struct store *st, store_retained_cb *cb, void *arg);

/*
 * An online copy of the SQLite database into path (created 0600, refused
 * if it exists), a few pages per loop turn so clients go on meanwhile;
 * cb(arg, 0, NULL, pages) when done, or rc < 0 with err (the partial file
 * removed). 0 when started, -1 with err when it cannot start.
 */
typedef void store_backup_cb(void *arg, int rc, const char *err, int pages);
int store_backup(struct store *st, struct ev_loop *loop, const char *path,
    store_backup_cb *cb, void *arg, char *err, size_t errlen);
/* Stop every copy in progress: removed, each callback told why. Before
 * the control clients go (their answers are the callbacks). */
void store_abort_backups(struct store *st, const char *why);

/*
 * Channel permission rules (SQLite, migrations/0005_acl.sql; acl.c keeps
 * them in memory). Strings as the table's CHECKs allow them.
 */
#define STORE_ACL_WHO_MAX	65
#define STORE_ACL_PATTERN_MAX	256
struct acl_row {
	int64_t id;
	int prio;
	char effect[8];			/* allow | deny */
	char who[STORE_ACL_WHO_MAX];
	char action[12];		/* subscribe | publish | both */
	char pattern[STORE_ACL_PATTERN_MAX];
	int64_t created;
};
/* Add r (r->id set): STORE_OK, STORE_BAD_VALUE or STORE_FAILED. */
int store_acl_put(struct store *st, struct acl_row *r);
/* Every rule in (prio, id) order to cb; how many, or -1 on error. */
typedef void store_acl_cb(void *arg, const struct acl_row *r);
long store_acl_list(struct store *st, store_acl_cb *cb, void *arg);
/* Remove rule id into *r: 1 when it was there, 0 when not, -1 on error. */
int store_acl_del(struct store *st, int64_t id, struct acl_row *r);

/* Redis backend (store_redis.c): NULL + message when it cannot start. */
struct device_backend *store_redis_open(struct ev_loop *loop,
    const char *url, char *err, size_t errlen);

#endif
