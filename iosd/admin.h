/*
 * admin.h - the administrative verbs, each implemented once: kick, ban,
 * channel listings, publishing as the server, wall, quota levels and the
 * devices (enroll, revoke, disable, set-level, rotate-key, import). The
 * control socket's commands (ctl_*.c) and the in-protocol "sudo" API
 * (api_sudo.c) are thin adapters over them, and any other way in would
 * be one more.
 *
 * Plain C in and out: no JSON documents, no control-socket types. A verb
 * that fails returns an admin_err and writes what went wrong, for a
 * person, into msg. A device verb goes through the store, which may
 * answer later (Redis): once it has returned ADMIN_OK its callback is
 * called exactly once, perhaps before it returns (SQLite); when it
 * returns an error the callback is never called.
 *
 * Each change is logged once, here, with who asked (struct admin_who).
 */
#ifndef IOSD_ADMIN_H
#define IOSD_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "router.h"
#include "store.h"

struct server;
struct conn;
struct admit_ban;

/* X(ID, "what it means"): the ways a verb fails. */
#define ADMIN_ERRORS(X) \
	X(OK, "done") \
	X(NOT_FOUND, "not found") \
	X(EXISTS, "already exists") \
	X(BAD_ARGS, "a missing or wrong argument") \
	X(STORE, "the store failed") \
	X(NOMEM, "out of memory")

enum admin_err {
#define ADMIN_X(id, text) ADMIN_##id,
	ADMIN_ERRORS(ADMIN_X)
#undef ADMIN_X
	ADMIN_ERR_COUNT
};

const char *admin_strerror(enum admin_err e);

#define ADMIN_MSG_MAX	512	/* a msg buffer that holds every message */
#define ADMIN_KEY_MAX	1024	/* bytes of a device key given */

/* Who asks, for the log line of a change: "control: enroll dev1 (peer
 * uid=0 gid=0 pid=42)". NULL: not logged. */
struct admin_who {
	const char *via;		/* "control", "sudo" */
	char detail[160];
};

/* ---- clients ---- */

/*
 * Which clients: any of cid, ssid, device (logged in as, or only
 * presented at a login), address (ADDR or ADDR/N, as shown, that is the
 * X-Forwarded-For behind a trusted proxy), anonymous (not logged in),
 * transport ("ws", "wss", "cong") and filter (text in the cid, device or
 * address). Every criterion given must hold; only open connections
 * match. The strings are the caller's and must outlive the selection.
 */
struct admin_sel {
	const char *cid, *device, *transport, *filter;
	uint32_t ssid;			/* 0: any */
	struct proxy_net net;
	bool have_net;
	int anonymous;			/* -1: any, 0: logged in, 1: not */
};

/* Everyone (no criterion). */
void admin_sel_init(struct admin_sel *s);
/* The address criterion: ADMIN_BAD_ARGS when it is not ADDR[/N]. */
enum admin_err admin_sel_address(struct admin_sel *s, const char *addr,
    char *msg, size_t len);
/* At least one criterion. */
bool admin_sel_any(const struct admin_sel *s);
bool admin_sel_match(const struct admin_sel *s, const struct conn *c);

/*
 * Close every client s names, gracefully (code 1000, reason NULL: "kicked
 * by an operator"); each is shown to fn (may be NULL) before it closes.
 * ADMIN_BAD_ARGS for a selection without criteria (not everyone by
 * mistake), ADMIN_NOT_FOUND when none matches. *n: how many.
 */
typedef void admin_conn_fn(struct conn *c, void *arg);
enum admin_err admin_kick(struct server *srv, const struct admin_who *who,
    const struct admin_sel *s, const char *reason, admin_conn_fn *fn,
    void *arg, size_t *n, char *msg, size_t len);

/* ---- bans ---- */

/* "90", "90s", "15m", "2h", "7d", "1w" as seconds; -1 if not one. */
long long admin_duration_s(const char *s);
/* Ban net (ADDR or ADDR/N) for dur (NULL: until lifted), closing the
 * connections it covers (*closed); *ban: the ban as kept. */
enum admin_err admin_ban(struct server *srv, const struct admin_who *who,
    const char *net, const char *dur, const char *reason,
    const struct admit_ban **ban, int *closed, char *msg, size_t len);
enum admin_err admin_unban(struct server *srv, const struct admin_who *who,
    const char *net, char *msg, size_t len);

/* ---- channels ---- */

/* The channels whose key contains filter (NULL: all), in the router's
 * order: those from the off-th on, at most lim of them, to fn. Returns
 * how many match in all. */
typedef void admin_channel_fn(const char *key,
    const struct router_channel_info *info, void *arg);
size_t admin_channels(struct server *srv, const char *filter, size_t off,
    size_t lim, admin_channel_fn *fn, void *arg);
/* The subscribers of the channel with router key key, in order. */
enum admin_err admin_subscribers(struct server *srv, const char *key,
    admin_conn_fn *fn, void *arg, char *msg, size_t len);

/* ---- publishing as the server ---- */

/* A SIGNAL from the server to tag: a channel, "cid@topic" (unicast) or
 * a home channel tag. type: "text" (NULL), "json", "binary" (payload in
 * base64) or "empty". *delivered: the recipients. */
enum admin_err admin_signal(struct server *srv, const struct admin_who *who,
    const char *tag, const char *type, const char *payload,
    size_t *delivered, char *msg, size_t len);
/* The SERVER_SIGNAL {"event": event ("wall" when NULL), "data": data}
 * to every client; data is JSON text (NULL: null). *clients: how many
 * were open. */
enum admin_err admin_wall(struct server *srv, const struct admin_who *who,
    const char *event, const char *data, size_t *clients, char *msg,
    size_t len);

/* ---- quota levels ---- */

/* Every defined level, in order; returns how many. */
typedef void admin_quota_fn(int level, const struct quota *q, void *arg);
size_t admin_quota_list(struct server *srv, admin_quota_fn *fn, void *arg);
/* Change level (0..255): the members of q that are not 0 (a new level
 * needs all three); *out: the level as it is now. Applies to logins from
 * now on. */
enum admin_err admin_quota_set(struct server *srv, const struct admin_who *who,
    int level, const struct quota *q, struct quota *out, char *msg,
    size_t len);

/* ---- devices (through the store) ---- */

struct admin_device_result {
	enum admin_err err;
	const char *msg;		/* err: what went wrong, for a person */
	const char *store_msg;		/* err: the store's own words, or NULL */
	const struct device *d;		/* the device (enroll, changes, get) */
	const char *key;		/* a key made here (shown once), or NULL */
	int kicked;			/* sessions closed (disable, revoke) */
	/* admin_auth_device: d is a -d/-e/-E device, with its level as
	 * given (authsrc_given_level: -1 when not a number) */
	bool builtin;
	long given_level;
};
typedef void admin_device_cb(void *arg, const struct admin_device_result *r);
typedef void admin_list_cb(void *arg, enum admin_err e,
    const struct device *d, size_t n);

/*
 * Enroll id with cid (NULL: the id), key (NULL: a strong random one,
 * given back once in r->key; the caller refuses an empty one if it
 * wants to) and level; replace: overwrite an existing id (otherwise
 * ADMIN_EXISTS). event: its audit name (NULL: "enroll" or "update").
 */
enum admin_err admin_enroll(struct server *srv, const struct admin_who *who,
    const char *id, const char *cid, const char *key, int level,
    bool replace, const char *event, admin_device_cb *cb, void *arg,
    char *msg, size_t len);
/* Delete id; kick: close the sessions that logged in as it or presented
 * it (the sudo API's deldevice leaves them, as the reference does). */
enum admin_err admin_revoke(struct server *srv, const struct admin_who *who,
    const char *id, bool kick, admin_device_cb *cb, void *arg, char *msg,
    size_t len);
/* Disable (closing its sessions) or enable again. */
enum admin_err admin_disable(struct server *srv, const struct admin_who *who,
    const char *id, bool disabled, admin_device_cb *cb, void *arg,
    char *msg, size_t len);
enum admin_err admin_set_level(struct server *srv,
    const struct admin_who *who, const char *id, int level,
    admin_device_cb *cb, void *arg, char *msg, size_t len);
/* A new key (NULL: a random one, in r->key). */
enum admin_err admin_rotate_key(struct server *srv,
    const struct admin_who *who, const char *id, const char *key,
    admin_device_cb *cb, void *arg, char *msg, size_t len);
/* One device, or every one. */
enum admin_err admin_device(struct server *srv, const char *id,
    admin_device_cb *cb, void *arg, char *msg, size_t len);
void admin_devices(struct server *srv, admin_list_cb *cb, void *arg);
/*
 * The devices a login finds, as the reference's auth data (the sudo
 * API's getdevice and getdevicelist): the -d/-e/-E devices first, as a
 * login looks them up, then the store's. admin_auth_device answers a
 * -d/-e/-E device with r->builtin; otherwise as admin_device.
 * admin_auth_devices gives the ids, those of -d/-e/-E in the order given,
 * then the store's (an id in both once); the store failing is an error.
 */
enum admin_err admin_auth_device(struct server *srv, const char *id,
    admin_device_cb *cb, void *arg, char *msg, size_t len);
typedef void admin_ids_cb(void *arg, enum admin_err e,
    const char *const *ids, size_t n);
void admin_auth_devices(struct server *srv, admin_ids_cb *cb, void *arg);
/* Logged in now: its CID is online, held by a session of this id. */
bool admin_device_online(struct server *srv, const struct device *d);
/*
 * Every device of a reference auth_file.json at path; replace as for
 * enroll. cb(arg, ADMIN_OK, imported, NULL) once all are stored, or an
 * error with the first failure.
 */
typedef void admin_import_cb(void *arg, enum admin_err e, size_t imported,
    const char *msg);
enum admin_err admin_import(struct server *srv, const struct admin_who *who,
    const char *path, bool replace, admin_import_cb *cb, void *arg,
    char *msg, size_t len);

/* ---- bearer tokens of the HTTP API (doc/api.md) ---- */

#define ADMIN_TOKENS_MAX	100	/* tokens kept at once */
#define ADMIN_TOKEN_LEN		43	/* base64url of 32 random bytes */

/* X(ID, "name"): what a token lets its holder do, each more than the
 * one before: read the GET endpoints; publish (and unicast) too; all. */
#define ADMIN_SCOPES(X) \
	X(READ, "read") \
	X(PUBLISH, "publish") \
	X(ADMIN, "admin")

enum admin_scope {
#define ADMIN_X(id, name) ADMIN_SCOPE_##id,
	ADMIN_SCOPES(ADMIN_X)
#undef ADMIN_X
	ADMIN_SCOPE_COUNT
};

const char *admin_scope_name(enum admin_scope s);
/* The scope of a name; -1 when none. */
int admin_scope_find(const char *name);

/*
 * A new token of scope, working for expires (a duration as for bans;
 * NULL: until revoked), named name (NULL: none). token (ADMIN_TOKEN_LEN
 * + 1 bytes) gets its text, to be shown once: only its SHA-256 is kept.
 * *t: the row as stored. Audited.
 */
enum admin_err admin_token_create(struct server *srv,
    const struct admin_who *who, const char *scope, const char *expires,
    const char *name, struct token_row *t, char *token, char *msg,
    size_t len);
/* Every token to fn, oldest first; *n how many. */
enum admin_err admin_token_list(struct server *srv, store_token_cb *fn,
    void *arg, size_t *n, char *msg, size_t len);
/* Delete token id. Audited. */
enum admin_err admin_token_revoke(struct server *srv,
    const struct admin_who *who, long long id, char *msg, size_t len);
/*
 * The token whose text is token (len bytes, as presented): ADMIN_OK with
 * *t and its *scope; ADMIN_NOT_FOUND for one unknown, malformed or
 * expired (msg says which, for the answer); ADMIN_STORE. The stored hash
 * is compared in constant time.
 */
enum admin_err admin_token_check(struct server *srv, const char *token,
    size_t tlen, struct token_row *t, enum admin_scope *scope, char *msg,
    size_t len);

/* ---- channel permissions (acl.h, migrations/0005_acl.sql) ---- */

/* Every rule to fn in the order they are tried; *n how many. */
enum admin_err admin_acl_list(struct server *srv, store_acl_cb *fn,
    void *arg, size_t *n, char *msg, size_t len);
/* Add rule *r (checked; r->id set), or remove rule id (*r gets it);
 * then the rules are loaded again and applied to every subscription
 * (*removed: how many went). Audited. */
enum admin_err admin_acl_add(struct server *srv, const struct admin_who *who,
    struct acl_row *r, size_t *removed, char *msg, size_t len);
enum admin_err admin_acl_remove(struct server *srv,
    const struct admin_who *who, long long id, struct acl_row *r,
    size_t *removed, char *msg, size_t len);

#endif
