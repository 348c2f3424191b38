/*
 * ctlmsg.h - the control socket's vocabulary (doc/control.md), shared by
 * iosd (the server side) and iosctl and iostui (clients): the envelope
 * version and its rule, the commands with their read-only flag and the
 * shape of their arguments, and the stable error codes. Tables and
 * lookups only: no I/O, no allocation, no global mutable state.
 */
#ifndef CTLMSG_H
#define CTLMSG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * The envelope version: the "v" member of every request, response and
 * event line. Bump it when the framing or the envelope changes (not for
 * a new command or a new member of a result: those are additions an
 * older peer ignores or refuses by name).
 *
 * The rule, applied by both sides to every line they receive: a line
 * without "v" is version 1 (v has been optional from the start); only
 * the version this build speaks is accepted. A peer with a newer version
 * is refused with a message naming both versions and which side to
 * upgrade; an older one likewise; a "v" that is not a positive integer
 * is refused as malformed. iosd answers such a request with bad_request;
 * a client drops the connection with the message.
 */
#define CTLMSG_VERSION		1

/* A request line is at most this many bytes (doc/control.md): iosd
 * answers a longer one with too_large and skips it. */
#define CTLMSG_REQUEST_MAX	65536

/* v: a "v" value. True when this build speaks it (the rule above). */
bool ctlmsg_version_ok(json_int_t v);
/*
 * The envelope of msg (a received line, parsed) checked by the rule:
 * true, or false with why ("control envelope v2 is newer than this
 * iosctl's v1: upgrade iosctl"); self names the program checking.
 */
bool ctlmsg_envelope_ok(const json_t *msg, const char *self, char *why,
    size_t cap);

/*
 * The commands: X(ID, "wire name", RO|RW, "arguments").
 *
 * RO: changes nothing, so the read-only socket accepts it. The
 * arguments are the members of "args", space-separated NAME:TYPE, TYPE
 * one of s (string), i (integer), b (boolean), j (any JSON), followed
 * by ! when the command cannot do without it. Every argument is
 * otherwise optional; a null member counts as absent. This is the shape
 * iosd's handlers check (the ranges and the finer rules, such as client
 * wanting cid or ssid, stay with them and doc/control.md).
 */
#define CTLMSG_RO	true
#define CTLMSG_RW	false

/* Which clients: the selection of clients, client and kick. */
#define CTLMSG_SEL_ARGS \
	"cid:s ssid:i address:s device:s anonymous:b transport:s filter:s"

#define CTLMSG_COMMANDS(X) \
	X(STATUS, "status", CTLMSG_RO, "") \
	X(METRICS, "metrics", CTLMSG_RO, "") \
	X(CLIENTS, "clients", CTLMSG_RO, CTLMSG_SEL_ARGS \
	    " authorized:b sort:s offset:i limit:i") \
	X(CLIENT, "client", CTLMSG_RO, CTLMSG_SEL_ARGS) \
	X(KICK, "kick", CTLMSG_RW, CTLMSG_SEL_ARGS " reason:s") \
	X(BAN, "ban", CTLMSG_RW, "address:s! for:s reason:s") \
	X(UNBAN, "unban", CTLMSG_RW, "address:s!") \
	X(BANS, "bans", CTLMSG_RO, "") \
	X(CHANNELS, "channels", CTLMSG_RO, "filter:s offset:i limit:i") \
	X(SUBSCRIBERS, "subscribers", CTLMSG_RO, "channel:s!") \
	X(DEVICES, "devices", CTLMSG_RO, "offset:i limit:i") \
	X(DEVICE, "device", CTLMSG_RO, "id:s!") \
	X(ENROLL, "enroll", CTLMSG_RW, "id:s! cid:s key:s level:i update:b") \
	X(REVOKE, "revoke", CTLMSG_RW, "id:s!") \
	X(DISABLE, "disable", CTLMSG_RW, "id:s!") \
	X(ENABLE, "enable", CTLMSG_RW, "id:s!") \
	X(SET_LEVEL, "set-level", CTLMSG_RW, "id:s! level:i!") \
	X(ROTATE_KEY, "rotate-key", CTLMSG_RW, "id:s! key:s") \
	X(IMPORT, "import", CTLMSG_RW, "path:s! update:b") \
	X(QUOTA_LIST, "quota-list", CTLMSG_RO, "") \
	X(QUOTA_SET, "quota-set", CTLMSG_RW, "level:i! signal_size:i " \
	    "publish_counter:i traffic_rate:i") \
	X(AUDIT, "audit", CTLMSG_RO, "limit:i device:s") \
	X(SIGNAL, "signal", CTLMSG_RW, "tag:s! payload:s type:s") \
	X(WALL, "wall", CTLMSG_RW, "data:j event:s") \
	X(TRACE, "trace", CTLMSG_RO, "cid:s ssid:i device:s tag:s type:s " \
	    "dir:s transport:s queue:i") \
	X(WATCH, "watch", CTLMSG_RO, "interval_ms:i") \
	X(CANCEL, "cancel", CTLMSG_RO, "stream:i!") \
	X(RELOAD, "reload", CTLMSG_RW, "") \
	X(LOG_LEVEL, "log-level", CTLMSG_RW, "level:s!") \
	X(BACKUP, "backup", CTLMSG_RW, "path:s!") \
	X(TOKEN_CREATE, "token-create", CTLMSG_RW, "scope:s! expires:s name:s") \
	X(TOKEN_LIST, "token-list", CTLMSG_RO, "") \
	X(TOKEN_REVOKE, "token-revoke", CTLMSG_RW, "id:i!") \
	X(ACL_LIST, "acl-list", CTLMSG_RO, "") \
	X(ACL_ADD, "acl-add", CTLMSG_RW, "effect:s! who:s! action:s! " \
	    "pattern:s! prio:i") \
	X(ACL_REMOVE, "acl-remove", CTLMSG_RW, "id:i!")

enum ctlmsg_cmd {
	CTLMSG_CMD_NONE = -1,	/* no such command; a client's local one */
#define CTLMSG_X(id, name, ro, args) CTLMSG_CMD_##id,
	CTLMSG_COMMANDS(CTLMSG_X)
#undef CTLMSG_X
	CTLMSG_CMD_COUNT
};

enum ctlmsg_type {
	CTLMSG_T_STR,		/* s */
	CTLMSG_T_INT,		/* i */
	CTLMSG_T_BOOL,		/* b */
	CTLMSG_T_ANY,		/* j */
};

#define CTLMSG_ARG_NAME_MAX	32

struct ctlmsg_arg {
	char			name[CTLMSG_ARG_NAME_MAX];
	enum ctlmsg_type	type;
	bool			required;
};

/* The command of a wire name; CTLMSG_CMD_NONE when there is none. */
enum ctlmsg_cmd ctlmsg_cmd_find(const char *name);
/* Its wire name; NULL for CTLMSG_CMD_NONE or out of range. */
const char *ctlmsg_cmd_name(enum ctlmsg_cmd cmd);
/* It changes nothing: the read-only socket accepts it. */
bool ctlmsg_cmd_ro(enum ctlmsg_cmd cmd);
/* Its arguments as the table spells them ("" when it takes none). */
const char *ctlmsg_cmd_args(enum ctlmsg_cmd cmd);
/* Its i-th argument (from 0): true with *a filled, false past the last
 * (or on a malformed entry, which the unit test rules out). */
bool ctlmsg_cmd_arg(enum ctlmsg_cmd cmd, size_t i, struct ctlmsg_arg *a);
/* Its argument called name: true with *a filled, false if none. */
bool ctlmsg_cmd_arg_find(enum ctlmsg_cmd cmd, const char *name,
    struct ctlmsg_arg *a);

/* The error codes of a refused request: X(ID, "code", "default message"). */
#define CTLMSG_ERRORS(X) \
	X(BAD_JSON, "bad_json", "the line is not JSON") \
	X(BAD_REQUEST, "bad_request", "not a request: expected " \
	    "{\"id\":N,\"cmd\":\"...\",\"args\":{...}}") \
	X(UNKNOWN_COMMAND, "unknown_command", "no such command") \
	X(BAD_ARGS, "bad_args", "a missing or wrongly typed argument") \
	X(TOO_LARGE, "too_large", "the line is over the limit") \
	X(NOT_FOUND, "not_found", "not found") \
	X(EXISTS, "exists", "already exists") \
	X(READ_ONLY, "read_only", "not on the read-only socket") \
	X(STORE_ERROR, "store_error", "the store failed") \
	X(INTERNAL, "internal", "internal error")

enum ctlmsg_err {
	CTLMSG_E_NONE = -1,	/* a code this build does not know */
#define CTLMSG_X(id, name, text) CTLMSG_E_##id,
	CTLMSG_ERRORS(CTLMSG_X)
#undef CTLMSG_X
	CTLMSG_E_COUNT
};

/* The stable name of a code ("bad_args"); NULL for one out of range. */
const char *ctlmsg_err_name(enum ctlmsg_err e);
/* The code of a name; CTLMSG_E_NONE when unknown (or NULL). */
enum ctlmsg_err ctlmsg_err_find(const char *name);
/* A sentence for a code, when there is nothing better to say. */
const char *ctlmsg_err_text(enum ctlmsg_err e);

#endif
