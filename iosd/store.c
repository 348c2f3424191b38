/*
 * store.c - the SQLite store: migrations, devices, quota levels, audit
 * log, retained signals; Redis (store_redis.c) may serve the devices.
 *
 * Durability. What an operator is answered for (enroll, revoke, level,
 * key, quota, ban) is one statement in autocommit, committed with WAL and
 * synchronous=FULL before the answer: a crash never loses it nor leaves
 * half a device. What clients cause on the hot path (a retained "$"
 * signal, a login's counters and its audit row) is written behind: kept
 * in memory, coalesced (the last value of a retained key wins) and
 * committed in one transaction WRITE_BEHIND_MS later, so a publish or a
 * login never waits for the disk. A crash or power loss can lose that
 * last batch, never more; a clean stop, a backup and every read of the
 * audit commit it first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "migrations.h"
#include "proto.h"
#include "store.h"
#include "xmalloc.h"

#define BUSY_TIMEOUT_MS 5000
#define WRITE_BEHIND_MS	100	/* the batch: at most this old */
#define WRITE_BEHIND_MAX 4096	/* statements held; more commit at once */

/* A statement written behind: up to four text parameters and a blob. */
struct pending {
	struct pending *next;
	const char *sql;
	char *text[4];
	uint8_t *blob;		/* ?5, for a retained message */
	size_t blob_len;
	bool retained;		/* text[0] is the key: the last one wins */
};
struct sqlite_backend {
	struct device_backend b;
	struct store *st;
};

struct store {
	sqlite3 *db;
	struct device_backend *dev;	/* sqlite or redis */
	struct sqlite_backend sqlite;
	struct quota quotas[256];
	bool has_quota[256];
	uint64_t lookups, lookup_ns, lookup_max_ns;	/* device lookups */
	struct backup *backups;		/* online copies in progress */
	struct ev_loop *loop;
	ev_timer behind;		/* commits the written-behind batch */
	struct pending *pend, **pend_tail;
	size_t npend;
	uint64_t behind_batches, behind_lost;
};

/* ---- validation ---- */

static const char *
check_name(const char *s, size_t len, size_t max, const char *what)
{
	static char why[64];

	if (len == 0 || len > max) {
		snprintf(why, sizeof(why), "%s must be 1 to %zu bytes", what,
		    max);
		return why;
	}
	if (memchr(s, '\0', len) || !utf8_valid((const uint8_t *)s, len)) {
		snprintf(why, sizeof(why), "%s must be UTF-8 text", what);
		return why;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Separators of the reference's formats and of tags. */
		if (c <= ' ' || c == 0x7f || strchr(",.@#$\"'\\", c)) {
			snprintf(why, sizeof(why), "%s may not contain '%c'",
			    what, c > ' ' && c != 0x7f ? c : '?');
			return why;
		}
	}
	return NULL;
}

const char *
store_check_id(const char *id, size_t len)
{
	return check_name(id, len, DEVICE_ID_MAX, "device id");
}

const char *
store_check_cid(const char *cid, size_t len)
{
	return check_name(cid, len, DEVICE_CID_MAX, "CID");
}

/* ---- helpers ---- */

const char *
store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK:
		return "done";
	case STORE_NOTFOUND:
		return "not found";
#define STORE_ERR_TEXT(name, value, text) case name: return text;
	STORE_ERRORS(STORE_ERR_TEXT)
#undef STORE_ERR_TEXT
	default:
		return "the store failed";
	}
}

static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Apply every migration above the database's version, each in its own
 * transaction; a failure rolls that one back and stops. */
static int
migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int cur = user_version(db), latest = 0;

	for (size_t i = 0; i < migrations_count; i++)
		if (migrations[i].version > latest)
			latest = migrations[i].version;
	if (cur < 0) {
		snprintf(err, errlen, "%s: cannot read the schema version", path);
		return -1;
	}
	if (cur > latest) {
		snprintf(err, errlen, "%s: schema version %d is newer than this "
		    "iosd knows (%d); use a newer iosd or a backup", path, cur,
		    latest);
		return -1;
	}
	for (size_t i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char sql[64], e[256];

		if (m->version <= cur)
			continue;
		if (exec_sql(db, "BEGIN IMMEDIATE", e, sizeof(e)) < 0 ||
		    exec_sql(db, m->sql, e, sizeof(e)) < 0) {
			exec_sql(db, "ROLLBACK", sql, sizeof(sql));
			snprintf(err, errlen, "%s: migration %s failed: %s", path,
			    m->name, e);
			return -1;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
		if (exec_sql(db, sql, e, sizeof(e)) < 0 ||
		    exec_sql(db, "COMMIT", e, sizeof(e)) < 0) {
			exec_sql(db, "ROLLBACK", sql, sizeof(sql));
			snprintf(err, errlen, "%s: migration %s failed: %s", path,
			    m->name, e);
			return -1;
		}
		log_info("store: %s applied (schema version %d)", m->name,
		    m->version);
	}
	return 0;
}

static void
load_quotas(struct store *st)
{
	sqlite3_stmt *s;

	memset(st->has_quota, 0, sizeof(st->has_quota));
	if (sqlite3_prepare_v2(st->db, "SELECT level, signal_size, "
	    "publish_counter, traffic_rate FROM quota_levels", -1, &s,
	    NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int lvl = sqlite3_column_int(s, 0);

		if (lvl < 0 || lvl > 255)
			continue;
		st->quotas[lvl].signal_size = (uint32_t)sqlite3_column_int64(s, 1);
		st->quotas[lvl].publish_counter =
		    (uint32_t)sqlite3_column_int64(s, 2);
		st->quotas[lvl].traffic_rate = (uint32_t)sqlite3_column_int64(s, 3);
		st->has_quota[lvl] = true;
	}
	sqlite3_finalize(s);
}

void
store_quota_reload(struct store *st)
{
	load_quotas(st);
}

size_t
store_quota_levels(struct store *st, int *levels, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < 256 && n < max; i++)
		if (st->has_quota[i])
			levels[n++] = i;
	return n;
}

int
store_quota_set(struct store *st, int level, const struct quota *q,
    char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	if (level < 0 || level > 255 || q->signal_size == 0 ||
	    q->publish_counter == 0 || q->traffic_rate == 0) {
		snprintf(err, errlen, "level 0..255 and positive values");
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, "INSERT INTO quota_levels VALUES "
	    "(?1, ?2, ?3, ?4) ON CONFLICT (level) DO UPDATE SET "
	    "signal_size = ?2, publish_counter = ?3, traffic_rate = ?4", -1,
	    &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	sqlite3_bind_int(s, 1, level);
	sqlite3_bind_int64(s, 2, q->signal_size);
	sqlite3_bind_int64(s, 3, q->publish_counter);
	sqlite3_bind_int64(s, 4, q->traffic_rate);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	load_quotas(st);
	return 0;
}

size_t
store_audit_list(struct store *st, const char *device, struct audit_row *rows,
    size_t max)
{
	sqlite3_stmt *s;
	size_t n = 0;

	store_flush(st);

	if (sqlite3_prepare_v2(st->db, "SELECT seq, at, event, device, addr, "
	    "detail FROM audit WHERE ?1 IS NULL OR device = ?1 ORDER BY seq "
	    "DESC LIMIT ?2", -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (device)
		sqlite3_bind_text(s, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while (n < max && sqlite3_step(s) == SQLITE_ROW) {
		struct audit_row *r = &rows[n++];
		const char *t;

		memset(r, 0, sizeof(*r));
		r->seq = sqlite3_column_int64(s, 0);
		r->at = sqlite3_column_int64(s, 1);
#define COPY(f, i) snprintf(r->f, sizeof(r->f), "%s", \
	(t = (const char *)sqlite3_column_text(s, i)) ? t : "")
		COPY(event, 2);
		COPY(device, 3);
		COPY(addr, 4);
		COPY(detail, 5);
#undef COPY
	}
	sqlite3_finalize(s);
	return n;
}

bool
store_quota(struct store *st, int level, struct quota *q)
{
	if (level < 0 || level > 255 || !st->has_quota[level])
		return false;
	*q = st->quotas[level];
	return true;
}

/* Create the folder (0700) and the file (0600) before SQLite does, so
 * that nobody else ever can read them. */
static int
prepare_path(const char *path, char *err, size_t errlen)
{
	char dir[1024];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash && slash != path) {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir)) {
			snprintf(err, errlen, "%s: path too long", path);
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the SQLite device backend ---- */

static void
row_device(sqlite3_stmt *s, struct device *d)
{
	const char *t;

	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", (t = (const char *)
	    sqlite3_column_text(s, 0)) ? t : "");
	snprintf(d->key, sizeof(d->key), "%s", (t = (const char *)
	    sqlite3_column_text(s, 1)) ? t : "");
	snprintf(d->cid, sizeof(d->cid), "%s", (t = (const char *)
	    sqlite3_column_text(s, 2)) ? t : "");
	d->level = sqlite3_column_int(s, 3);
	d->disabled = sqlite3_column_int(s, 4) != 0;
	d->created = sqlite3_column_int64(s, 5);
	d->updated = sqlite3_column_int64(s, 6);
	d->last_seen = sqlite3_column_int64(s, 7);
	snprintf(d->last_addr, sizeof(d->last_addr), "%s", (t = (const char *)
	    sqlite3_column_text(s, 8)) ? t : "");
	d->logins = sqlite3_column_int64(s, 9);
	d->failures = sqlite3_column_int64(s, 10);
}

#define DEVICE_COLUMNS "id, key, cid, level, disabled, created_at, " \
	"updated_at, last_seen, last_addr, logins, failures"

static void
sq_get(struct device_backend *b, const char *id, store_device_cb *cb,
    void *arg)
{
	struct store *st = ((struct sqlite_backend *)b)->st;
	sqlite3_stmt *s;
	struct device d;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT " DEVICE_COLUMNS
	    " FROM devices WHERE id = ?1", -1, &s, NULL) != SQLITE_OK) {
		cb(arg, STORE_FAILED, NULL);
		return;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_device(s, &d);
		sqlite3_finalize(s);
		cb(arg, 0, &d);
		return;
	}
	sqlite3_finalize(s);
	cb(arg, rc == SQLITE_DONE ? STORE_NOTFOUND : -1, NULL);
}

static void
sq_put(struct device_backend *b, const struct device *d, bool replace,
    store_done_cb *cb, void *arg)
{
	struct store *st = ((struct sqlite_backend *)b)->st;
	sqlite3_stmt *s;
	int rc;

	/* Name the id first: SQLite may report the CID's constraint. */
	if (!replace && sqlite3_prepare_v2(st->db, "SELECT 1 FROM devices "
	    "WHERE id = ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, d->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_ROW) {
			cb(arg, STORE_EXISTS, NULL);
			return;
		}
	}
	rc = sqlite3_prepare_v2(st->db, replace ?
	    "INSERT INTO devices (id, key, cid, level, disabled) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
	    "key = ?2, cid = ?3, level = ?4, disabled = ?5, "
	    "updated_at = unixepoch()" :
	    "INSERT INTO devices (id, key, cid, level, disabled) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		cb(arg, STORE_FAILED, sqlite3_errmsg(st->db));
		return;
	}
	sqlite3_bind_text(s, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, d->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->cid, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, d->level);
	sqlite3_bind_int(s, 5, d->disabled ? 1 : 0);
	rc = sqlite3_step(s);
	/* The id is the primary key and the CID unique: SQLite's extended
	 * code tells which was hit. */
	if (rc != SQLITE_DONE)
		rc = sqlite3_extended_errcode(st->db);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		cb(arg, 0, NULL);
	else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		cb(arg, STORE_EXISTS, NULL);
	else if (rc == SQLITE_CONSTRAINT_UNIQUE)
		cb(arg, STORE_CID_TAKEN, NULL);
	else if (rc == SQLITE_CONSTRAINT_CHECK)
		cb(arg, STORE_BAD_VALUE, sqlite3_errmsg(st->db));
	else
		cb(arg, rc == SQLITE_NOMEM ? STORE_NOMEM : STORE_FAILED,
		    sqlite3_errmsg(st->db));
}

static void
sq_del(struct device_backend *b, const char *id, store_done_cb *cb, void *arg)
{
	struct store *st = ((struct sqlite_backend *)b)->st;
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM devices WHERE id = ?1",
	    -1, &s, NULL) != SQLITE_OK) {
		cb(arg, STORE_FAILED, sqlite3_errmsg(st->db));
		return;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		cb(arg, STORE_FAILED, sqlite3_errmsg(st->db));
	else
		cb(arg, sqlite3_changes(st->db) ? 0 : STORE_NOTFOUND, NULL);
}

static void
sq_list(struct device_backend *b, store_list_cb *cb, void *arg)
{
	struct store *st = ((struct sqlite_backend *)b)->st;
	sqlite3_stmt *s;
	struct device *v = NULL;
	size_t n = 0, cap = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT " DEVICE_COLUMNS
	    " FROM devices ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		cb(arg, STORE_FAILED, NULL, 0);
		return;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct device *nv = reallocarray(v, ncap, sizeof(*v));

			if (nv == NULL) {
				sqlite3_finalize(s);
				free(v);
				cb(arg, STORE_FAILED, NULL, 0);
				return;
			}
			v = nv;
			cap = ncap;
		}
		row_device(s, &v[n++]);
	}
	sqlite3_finalize(s);
	cb(arg, 0, v, n);
	free(v);
}

static void
sq_close(struct device_backend *b)
{
	(void)b;	/* the database is closed by store_close */
}

/* ---- the store ---- */

/* ---- written behind ---- */

static void
pending_free(struct pending *p)
{
	for (int i = 0; i < 4; i++)
		free(p->text[i]);
	free(p->blob);
	free(p);
}

void
store_flush(struct store *st)
{
	struct pending *p, *next;
	bool ok;

	if (st == NULL || st->pend == NULL)
		return;
	if (st->loop)
		ev_timer_stop(st->loop, &st->behind);
	ok = exec_sql(st->db, "BEGIN", NULL, 0) == 0;
	for (p = st->pend; p && ok; p = p->next) {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(st->db, p->sql, -1, &s, NULL) !=
		    SQLITE_OK) {
			ok = false;
			break;
		}
		for (int i = 0; i < 4; i++)
			if (p->text[i])
				sqlite3_bind_text(s, i + 1, p->text[i], -1,
				    SQLITE_STATIC);
		if (p->blob)
			sqlite3_bind_blob(s, 5, p->blob, (int)p->blob_len,
			    SQLITE_STATIC);
		ok = sqlite3_step(s) == SQLITE_DONE;
		sqlite3_finalize(s);
	}
	if (ok)
		ok = exec_sql(st->db, "COMMIT", NULL, 0) == 0;
	if (!ok) {
		/* Counted and said once in a while; the batch is given up,
		 * not retried forever against a full or broken disk. */
		st->behind_lost += st->npend;
		if (log_allow(LC_STORE))
			log_warnx("store: written-behind batch of %zu lost: %s",
			    st->npend, sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	st->behind_batches++;
	for (p = st->pend; p; p = next) {
		next = p->next;
		pending_free(p);
	}
	st->pend = NULL;
	st->pend_tail = &st->pend;
	st->npend = 0;
}

static void
behind_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	store_flush(w->data);
}

/* Queue a statement; false when out of memory (it is then not written). */
static bool
behind(struct store *st, const char *sql, const char *a, const char *b,
    const char *c, const char *d, const uint8_t *blob, size_t blob_len,
    bool retained)
{
	const char *v[4] = { a, b, c, d };
	struct pending *p;

	/* A newer value of the same retained key replaces the queued one. */
	if (retained)
		for (p = st->pend; p; p = p->next)
			if (p->retained && strcmp(p->text[0], a) == 0) {
				uint8_t *nb = malloc(blob_len ? blob_len : 1);

				if (nb == NULL)
					return false;
				memcpy(nb, blob, blob_len);
				free(p->blob);
				p->blob = nb;
				p->blob_len = blob_len;
				return true;
			}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return false;
	p->sql = sql;
	p->retained = retained;
	for (int i = 0; i < 4; i++)
		if (v[i] && (p->text[i] = strdup(v[i])) == NULL)
			goto nomem;
	if (blob) {
		if ((p->blob = malloc(blob_len ? blob_len : 1)) == NULL)
			goto nomem;
		memcpy(p->blob, blob, blob_len);
		p->blob_len = blob_len;
	}
	*st->pend_tail = p;
	st->pend_tail = &p->next;
	if (++st->npend >= WRITE_BEHIND_MAX || st->loop == NULL)
		store_flush(st);
	else if (!ev_is_active(&st->behind)) {
		ev_timer_set(&st->behind, WRITE_BEHIND_MS / 1000.0, 0.);
		ev_timer_start(st->loop, &st->behind);
	}
	return true;
nomem:
	pending_free(p);
	return false;
}

void
store_behind_stats(const struct store *st, uint64_t *batches,
    uint64_t *lost, size_t *pending)
{
	*batches = st ? st->behind_batches : 0;
	*lost = st ? st->behind_lost : 0;
	*pending = st ? st->npend : 0;
}

struct store *
store_open(struct ev_loop *loop, const char *path, const char *redis_url,
    char *err, size_t errlen)
{
	struct store *st;
	char e[512];

	if (prepare_path(path, err, errlen) < 0)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->loop = loop;
	st->pend_tail = &st->pend;
	ev_init(&st->behind, behind_cb);
	st->behind.data = st;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db ?
		    sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 0);
	if (exec_sql(st->db, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", e,
	    sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", path, e);
		goto fail;
	}
	if (migrate(st->db, path, err, errlen) < 0)
		goto fail;
	load_quotas(st);
	st->sqlite.st = st;
	st->sqlite.b = (struct device_backend){ "sqlite", sq_get, sq_put,
	    sq_del, sq_list, sq_close, NULL };
	st->dev = &st->sqlite.b;
	if (redis_url) {
		st->dev = store_redis_open(loop, redis_url, err, errlen);
		if (st->dev == NULL)
			goto fail;
	}
	return st;
fail:
	sqlite3_close(st->db);
	free(st);
	return NULL;
}

void
store_close(struct store *st)
{
	/* A copy left half-done would look whole: it goes. */
	store_abort_backups(st, "the daemon is stopping");
	if (st == NULL)
		return;
	store_flush(st);
	if (st->dev && st->dev != &st->sqlite.b)
		st->dev->close(st->dev);
	/* A clean close checkpoints the WAL into the database file. */
	sqlite3_close(st->db);
	free(st);
}

const char *
store_backend_name(const struct store *st)
{
	return st->dev->name;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A lookup, timed from the call to its answer (Redis: a round trip). */
struct timed {
	struct store *st;
	uint64_t t0;
	store_device_cb *cb;
	void *arg;
};

static void
timed_done(void *arg, int rc, const struct device *d)
{
	struct timed *t = arg;
	uint64_t ns = mono_ns() - t->t0;

	t->st->lookups++;
	t->st->lookup_ns += ns;
	if (ns > t->st->lookup_max_ns)
		t->st->lookup_max_ns = ns;
	t->cb(t->arg, rc, d);
	free(t);
}

void
store_device_get(struct store *st, const char *id, store_device_cb *cb,
    void *arg)
{
	struct timed *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		cb(arg, STORE_FAILED, NULL);	/* as a store that does not answer */
		return;
	}
	t->st = st;
	t->t0 = mono_ns();
	t->cb = cb;
	t->arg = arg;
	st->dev->get(st->dev, id, timed_done, t);
}

void
store_latency(const struct store *st, uint64_t *count, double *sum_s,
    double *max_s)
{
	*count = st->lookups;
	*sum_s = (double)st->lookup_ns / 1e9;
	*max_s = (double)st->lookup_max_ns / 1e9;
}

bool
store_backend_up(const struct store *st)
{
	return st->dev->up == NULL || st->dev->up(st->dev);
}

bool
store_ping(struct store *st)
{
	sqlite3_stmt *s;
	bool ok;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM quota_levels",
	    -1, &s, NULL) != SQLITE_OK)
		return false;
	ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return ok && store_backend_up(st);
}

/* A change to a device, audited once its outcome is known. */
struct audited {
	struct store *st;
	const char *event;
	char id[BOHO_ID_LEN + 1];
	store_done_cb *cb;
	void *arg;
};

static struct audited *
audited(struct store *st, const char *event, const char *id,
    store_done_cb *cb, void *arg)
{
	struct audited *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->st = st;
	a->event = event;
	snprintf(a->id, sizeof(a->id), "%s", id);	/* cb may free id */
	a->cb = cb;
	a->arg = arg;
	return a;
}

static void
audit_done(void *arg, int rc, const char *err)
{
	struct audited *a = arg;

	if (rc == 0)
		store_audit(a->st, a->event, a->id, NULL, NULL);
	a->cb(a->arg, rc, err);
	free(a);
}

void
store_device_put(struct store *st, const struct device *d, bool replace,
    const char *event, store_done_cb *cb, void *arg)
{
	struct audited *a;
	const char *why;

	if ((why = store_check_id(d->id, strlen(d->id))) != NULL ||
	    (why = store_check_cid(d->cid, strlen(d->cid))) != NULL) {
		cb(arg, STORE_BAD_VALUE, why);
		return;
	}
	if (d->level < 0 || d->level > 255 || strlen(d->key) != 44) {
		cb(arg, STORE_BAD_VALUE, "level must be 0 to 255 and the key "
		    "44 characters");
		return;
	}
	if (event == NULL)
		event = replace ? "update" : "enroll";
	if ((a = audited(st, event, d->id, cb, arg)) == NULL) {
		cb(arg, STORE_NOMEM, NULL);
		return;
	}
	st->dev->put(st->dev, d, replace, audit_done, a);
}

void
store_device_del(struct store *st, const char *id, store_done_cb *cb,
    void *arg)
{
	struct audited *a = audited(st, "revoke", id, cb, arg);

	if (a == NULL) {
		cb(arg, STORE_NOMEM, NULL);
		return;
	}
	st->dev->del(st->dev, id, audit_done, a);
}

void
store_device_list(struct store *st, store_list_cb *cb, void *arg)
{
	st->dev->list(st->dev, cb, arg);
}

/* Out of memory comes with every login while it lasts: rate-limited with
 * the other allocation failures. */
static void
warn_db(struct store *st)
{
	if (sqlite3_errcode(st->db) != SQLITE_NOMEM || log_allow(LC_NOMEM))
		log_warnx("store: %s", sqlite3_errmsg(st->db));
}

static void
run(struct store *st, const char *sql, const char *a, const char *b,
    const char *c, const char *d)
{
	sqlite3_stmt *s;
	const char *v[4] = { a, b, c, d };

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (v[i])
			sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		warn_db(st);
	sqlite3_finalize(s);
}

void
store_audit(struct store *st, const char *event, const char *device,
    const char *addr, const char *detail)
{
	store_flush(st);	/* rows in the order they happened */
	run(st, "INSERT INTO audit (event, device, addr, detail) "
	    "VALUES (?1, ?2, ?3, ?4)", event, device, addr, detail);
}

void
store_login_ok(struct store *st, const char *id, const char *addr)
{
	/* Every login: written behind (see the top of this file). */
	if (!behind(st, "UPDATE devices SET logins = logins + 1, last_seen = "
	    "unixepoch(), last_addr = ?2 WHERE id = ?1", id, addr, NULL, NULL,
	    NULL, 0, false) ||
	    !behind(st, "INSERT INTO audit (event, device, addr, detail) "
	    "VALUES (?1, ?2, ?3, ?4)", "login_ok", id, addr, NULL, NULL, 0,
	    false))
		log_warnx("store: login of %s not recorded: out of memory", id);
}

int
store_login_failures(struct store *st, const struct login_failures *f,
    size_t n)
{
	sqlite3_stmt *ins = NULL, *upd = NULL;
	int rc = -1;

	store_flush(st);

	if (n == 0)
		return 0;
	/* One transaction, so one sync, for the whole interval. */
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO audit (event, device, "
	    "addr, detail) VALUES ('login_fail', ?1, ?2, ?3)", -1, &ins,
	    NULL) != SQLITE_OK || sqlite3_prepare_v2(st->db, "UPDATE devices "
	    "SET failures = failures + ?2 WHERE id = ?1", -1, &upd, NULL) !=
	    SQLITE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char detail[300];

		if (f[i].count == 1)
			snprintf(detail, sizeof(detail), "%s", f[i].reason);
		else
			snprintf(detail, sizeof(detail), "%u failures in %u s, "
			    "last: %s", f[i].count, f[i].span_s, f[i].reason);
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, f[i].id[0] ? f[i].id : NULL, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, f[i].addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, detail, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		if (f[i].id[0]) {
			sqlite3_reset(upd);
			sqlite3_bind_text(upd, 1, f[i].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(upd, 2, f[i].count);
			if (sqlite3_step(upd) != SQLITE_DONE)
				goto out;
		}
	}
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
out:
	if (rc < 0) {
		log_warnx("store: audit of failed logins: %s",
		    sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return rc;
}

static int64_t
one_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

long long
store_audit_prune(struct store *st, uint64_t max_age_s, uint64_t max_rows)
{
	sqlite3_stmt *s;
	long long gone = 0;
	int64_t n;

	store_flush(st);

	if (max_age_s && sqlite3_prepare_v2(st->db, "DELETE FROM audit WHERE "
	    "at < unixepoch() - ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)max_age_s);
		if (sqlite3_step(s) == SQLITE_DONE)
			gone += sqlite3_changes(st->db);
		sqlite3_finalize(s);
	}
	if (max_rows == 0 || (n = one_int(st, "SELECT count(*) FROM audit")) <
	    0 || (uint64_t)n <= max_rows)
		return gone;
	/* Over the size: failed logins go first, oldest first; the rest
	 * (logins, enrollments, changes) only when no failure is left. */
	static const char *const by_size[] = {
		"DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE "
		    "event = 'login_fail' ORDER BY seq LIMIT ?1)",
		"DELETE FROM audit WHERE seq IN (SELECT seq FROM audit "
		    "ORDER BY seq LIMIT ?1)",
	};
	for (size_t i = 0; i < 2 && (uint64_t)n > max_rows; i++) {
		if (sqlite3_prepare_v2(st->db, by_size[i], -1, &s, NULL) !=
		    SQLITE_OK)
			break;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)((uint64_t)n -
		    max_rows));
		if (sqlite3_step(s) == SQLITE_DONE) {
			gone += sqlite3_changes(st->db);
			n -= sqlite3_changes(st->db);
		}
		sqlite3_finalize(s);
	}
	return gone;
}

int
store_ban_put(struct store *st, const struct ban_row *b)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO bans (net, until, reason) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (net) DO UPDATE SET until = ?2, "
	    "reason = ?3", -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: bans: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	sqlite3_bind_text(s, 1, b->net, -1, SQLITE_STATIC);
	if (b->until)
		sqlite3_bind_int64(s, 2, b->until);
	if (b->reason[0])
		sqlite3_bind_text(s, 3, b->reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	if (rc < 0)
		log_warnx("store: bans: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc;
}

int
store_ban_del(struct store *st, const char *net)
{
	sqlite3_stmt *s;
	int rc = -1;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM bans WHERE net = ?1", -1,
	    &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, net, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = sqlite3_changes(st->db) > 0;
	sqlite3_finalize(s);
	return rc;
}

int
store_ban_load(struct store *st, store_ban_cb *cb, void *arg)
{
	sqlite3_stmt *s;

	exec_sql(st->db, "DELETE FROM bans WHERE until IS NOT NULL AND "
	    "until <= unixepoch()", NULL, 0);
	if (sqlite3_prepare_v2(st->db, "SELECT net, coalesce(until, 0), "
	    "coalesce(reason, ''), created_at FROM bans ORDER BY created_at",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct ban_row b = { 0 };
		const char *t = (const char *)sqlite3_column_text(s, 0);
		const char *r = (const char *)sqlite3_column_text(s, 2);

		snprintf(b.net, sizeof(b.net), "%s", t ? t : "");
		b.until = sqlite3_column_int64(s, 1);
		snprintf(b.reason, sizeof(b.reason), "%s", r ? r : "");
		b.created = sqlite3_column_int64(s, 3);
		cb(arg, &b);
	}
	sqlite3_finalize(s);
	return 0;
}

void
store_retained_put(struct store *st, const char *key, const uint8_t *msg,
    size_t len)
{
	/* Every retained publish: written behind, the last value wins. */
	if (!behind(st, "INSERT INTO retained (key, message) VALUES (?1, ?5) "
	    "ON CONFLICT (key) DO UPDATE SET message = ?5, "
	    "updated_at = unixepoch()", key, NULL, NULL, NULL, msg, len, true))
		log_warnx("store: retained %s not saved: out of memory", key);
}

void
store_retained_load(struct store *st, store_retained_cb *cb, void *arg)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "SELECT key, message FROM retained "
	    "ORDER BY updated_at DESC", -1, &s, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const uint8_t *m = sqlite3_column_blob(s, 1);
		int n = sqlite3_column_bytes(s, 1);

		if (key && m && n > 0)
			cb(arg, key, m, (size_t)n);
	}
	sqlite3_finalize(s);
}

void
store_retained_prune(struct store *st, size_t count, size_t size)
{
	char n[24], z[24];

	store_flush(st);

	/* What the limits leave out at load is forgotten, newest kept. */
	snprintf(n, sizeof(n), "%zu", count);
	snprintf(z, sizeof(z), "%zu", size);
	run(st, "DELETE FROM retained WHERE length(message) >= CAST(?2 AS "
	    "INTEGER) OR key NOT IN (SELECT key FROM retained ORDER BY "
	    "updated_at DESC LIMIT CAST(?1 AS INTEGER))", n, z, NULL, NULL);
}

/* ---- online backup ---- */

#define BACKUP_PAGES	128	/* per step: the loop goes on in between */

struct backup {
	struct backup *next;
	struct store *st;
	struct ev_loop *loop;
	sqlite3 *dst;
	sqlite3_backup *b;
	ev_timer step;
	store_backup_cb *cb;
	void *arg;
	char path[];
};

static void
backup_end(struct backup *k, int rc, const char *err)
{
	int pages = k->b ? sqlite3_backup_pagecount(k->b) : 0;

	ev_timer_stop(k->loop, &k->step);
	for (struct backup **pp = &k->st->backups; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	if (k->b)
		sqlite3_backup_finish(k->b);
	sqlite3_close(k->dst);
	if (rc < 0)
		unlink(k->path);
	k->cb(k->arg, rc, err, pages);
	free(k);
}

static void
backup_step(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct backup *k = w->data;
	int rc;

	(void)loop;
	(void)revents;
	rc = sqlite3_backup_step(k->b, BACKUP_PAGES);
	if (rc == SQLITE_DONE)
		backup_end(k, 0, NULL);
	else if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		backup_end(k, -1, sqlite3_errstr(rc));
}

int
store_backup(struct store *st, struct ev_loop *loop, const char *path,
    store_backup_cb *cb, void *arg, char *err, size_t errlen)
{
	struct backup *k;
	int fd;

	store_flush(st);	/* the copy has what was published */

	/* 0600 from the start: the copy holds every device's key hash. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	if ((k = calloc(1, sizeof(*k) + strlen(path) + 1)) == NULL) {
		unlink(path);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	strcpy(k->path, path);
	k->st = st;
	k->loop = loop;
	k->cb = cb;
	k->arg = arg;
	if (sqlite3_open_v2(path, &k->dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || (k->b = sqlite3_backup_init(k->dst, "main", st->db,
	    "main")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, k->dst ?
		    sqlite3_errmsg(k->dst) : "cannot open");
		sqlite3_close(k->dst);
		unlink(path);
		free(k);
		return -1;
	}
	ev_timer_init(&k->step, backup_step, 0, 0.001);
	k->step.data = k;
	ev_timer_start(loop, &k->step);
	k->next = st->backups;
	st->backups = k;
	return 0;
}

void
store_abort_backups(struct store *st, const char *why)
{
	while (st->backups)
		backup_end(st->backups, -1, why);
}

/* ---- bearer tokens of the HTTP API ---- */

int
store_token_put(struct store *st, struct token_row *t)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO tokens (hash, scope, name, "
	    "expires_at) VALUES (?1, ?2, ?3, ?4)", -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return STORE_FAILED;
	}
	sqlite3_bind_blob(s, 1, t->hash, STORE_TOKEN_HASH, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->scope, -1, SQLITE_STATIC);
	if (t->name[0])
		sqlite3_bind_text(s, 3, t->name, -1, SQLITE_STATIC);
	if (t->expires)
		sqlite3_bind_int64(s, 4, t->expires);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		t->id = sqlite3_last_insert_rowid(st->db);
		rc = STORE_OK;
	} else if (sqlite3_extended_errcode(st->db) ==
	    SQLITE_CONSTRAINT_UNIQUE)
		rc = STORE_EXISTS;
	else {
		warn_db(st);
		rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT ?
		    STORE_BAD_VALUE : STORE_FAILED;
	}
	sqlite3_finalize(s);
	return rc;
}

static void
token_row(sqlite3_stmt *s, struct token_row *t)
{
	const void *h = sqlite3_column_blob(s, 1);
	const char *sc = (const char *)sqlite3_column_text(s, 2);
	const char *nm = (const char *)sqlite3_column_text(s, 3);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	if (h && sqlite3_column_bytes(s, 1) == STORE_TOKEN_HASH)
		memcpy(t->hash, h, STORE_TOKEN_HASH);
	snprintf(t->scope, sizeof(t->scope), "%s", sc ? sc : "");
	snprintf(t->name, sizeof(t->name), "%s", nm ? nm : "");
	t->expires = sqlite3_column_int64(s, 4);
	t->created = sqlite3_column_int64(s, 5);
	t->last_used = sqlite3_column_int64(s, 6);
}

#define TOKEN_COLUMNS	"id, hash, scope, name, coalesce(expires_at, 0), " \
	"created_at, coalesce(last_used, 0)"

int
store_token_find(struct store *st, const uint8_t hash[STORE_TOKEN_HASH],
    struct token_row *t)
{
	sqlite3_stmt *s;
	char id[24];
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT " TOKEN_COLUMNS " FROM tokens "
	    "WHERE hash = ?1", -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return STORE_FAILED;
	}
	sqlite3_bind_blob(s, 1, hash, STORE_TOKEN_HASH, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		token_row(s, t);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE)
		rc = STORE_NOTFOUND;
	else {
		warn_db(st);
		rc = STORE_FAILED;
	}
	sqlite3_finalize(s);
	if (rc == STORE_OK) {
		/* Its last use: written behind, as a login's. */
		snprintf(id, sizeof(id), "%lld", (long long)t->id);
		if (!behind(st, "UPDATE tokens SET last_used = unixepoch() "
		    "WHERE id = ?1", id, NULL, NULL, NULL, NULL, 0, false))
			log_warnx("store: use of token %s not recorded: out "
			    "of memory", id);
	}
	return rc;
}

long
store_token_list(struct store *st, store_token_cb *cb, void *arg)
{
	sqlite3_stmt *s;
	struct token_row t;
	long n = 0;

	store_flush(st);	/* the last uses */
	if (sqlite3_prepare_v2(st->db, "SELECT " TOKEN_COLUMNS " FROM tokens "
	    "ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		token_row(s, &t);
		if (cb)
			cb(arg, &t);
		n++;
	}
	sqlite3_finalize(s);
	return n;
}

int
store_token_del(struct store *st, int64_t id)
{
	sqlite3_stmt *s;
	int rc = -1;

	store_flush(st);	/* no last use written after the delete */
	if (sqlite3_prepare_v2(st->db, "DELETE FROM tokens WHERE id = ?1", -1,
	    &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = sqlite3_changes(st->db) > 0;
	else
		warn_db(st);
	sqlite3_finalize(s);
	return rc;
}

/* ---- channel permission rules (acl.c) ---- */

#define ACL_COLUMNS	"id, prio, effect, who, action, pattern, created_at"

static void
acl_row_of(sqlite3_stmt *s, struct acl_row *r)
{
	const char *t;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->prio = sqlite3_column_int(s, 1);
	t = (const char *)sqlite3_column_text(s, 2);
	snprintf(r->effect, sizeof(r->effect), "%s", t ? t : "");
	t = (const char *)sqlite3_column_text(s, 3);
	snprintf(r->who, sizeof(r->who), "%s", t ? t : "");
	t = (const char *)sqlite3_column_text(s, 4);
	snprintf(r->action, sizeof(r->action), "%s", t ? t : "");
	t = (const char *)sqlite3_column_text(s, 5);
	snprintf(r->pattern, sizeof(r->pattern), "%s", t ? t : "");
	r->created = sqlite3_column_int64(s, 6);
}

int
store_acl_put(struct store *st, struct acl_row *r)
{
	sqlite3_stmt *s;
	int rc;

	store_flush(st);
	if (sqlite3_prepare_v2(st->db, "INSERT INTO acl (prio, effect, who, "
	    "action, pattern) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING "
	    ACL_COLUMNS, -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return STORE_FAILED;
	}
	sqlite3_bind_int(s, 1, r->prio);
	sqlite3_bind_text(s, 2, r->effect, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->who, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->pattern, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		acl_row_of(s, r);
		rc = STORE_OK;
	} else {
		warn_db(st);
		rc = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT ?
		    STORE_BAD_VALUE : STORE_FAILED;
	}
	sqlite3_finalize(s);
	return rc;
}

long
store_acl_list(struct store *st, store_acl_cb *cb, void *arg)
{
	sqlite3_stmt *s;
	struct acl_row r;
	long n = 0;

	if (st == NULL)
		return 0;
	if (sqlite3_prepare_v2(st->db, "SELECT " ACL_COLUMNS " FROM acl "
	    "ORDER BY prio, id", -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		acl_row_of(s, &r);
		if (cb)
			cb(arg, &r);
		n++;
	}
	sqlite3_finalize(s);
	return n;
}

int
store_acl_del(struct store *st, int64_t id, struct acl_row *r)
{
	sqlite3_stmt *s;
	int rc = -1;

	store_flush(st);
	if (sqlite3_prepare_v2(st->db, "DELETE FROM acl WHERE id = ?1 "
	    "RETURNING " ACL_COLUMNS, -1, &s, NULL) != SQLITE_OK) {
		warn_db(st);
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		acl_row_of(s, r);
		rc = 1;
		while (sqlite3_step(s) == SQLITE_ROW)
			;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		warn_db(st);
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}
