/*
 * cmd.c - the command table, the argument parser it drives, and the
 * generic "send one request, show its result" path most commands take.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "cmd.h"
#include "connect.h"
#include "device.h"
#include "show.h"
#include "stream.h"

#define POS(meta, key, kind, min, max, flags, help) \
	{ NULL, meta, key, kind, min, max, flags, help }
#define OPT(opt, meta, key, kind, min, max, help) \
	{ opt, meta, key, kind, min, max, 0, help }
#define FLAG(opt, key, kind, help) \
	{ opt, NULL, key, kind, 0, 0, 0, help }
#define END	{ NULL, NULL, NULL, ARG_STR, 0, 0, 0, NULL }

#define LIMIT(def) \
	OPT("limit", "N", "limit", ARG_INT, 1, 1000, "at most N (default " \
	    #def ", max 1000)"), \
	OPT("offset", "N", "offset", ARG_INT, 0, INT_MAX, "skip the first N")
#define DEVICE_ID \
	POS("ID", "id", ARG_ID, 1, 8, 0, "the device id (1-8 bytes)")
#define KEY_SOURCE \
	OPT("key-file", "FILE", NULL, ARG_STR, 0, 0, \
	    "read the key from FILE (one line)"), \
	FLAG("key-stdin", NULL, ARG_TRUE, "read the key from standard input")

static int help_run(struct cmd_ctx *);

static const struct cmd_arg no_args[] = { END };

static const struct cmd_arg clients_args[] = {
	OPT("filter", "TEXT", "filter", ARG_STR, 0, 0,
	    "a substring of the CID, device or address"),
	OPT("transport", "ws|wss|cong", "transport", ARG_CHOICE, 0, 0,
	    "clients of one transport"),
	FLAG("authorized", "authorized", ARG_TRUE, "logged-in clients only"),
	FLAG("anonymous", "authorized", ARG_FALSE,
	    "clients that have not logged in"),
	OPT("sort", "rx_msgs_s|tx_msgs_s|rx_bytes_s|tx_bytes_s", "sort",
	    ARG_CHOICE, 0, 0, "busiest first by this rate (top talkers)"),
	LIMIT(100),
	END
};

static const struct cmd_arg client_args[] = {
	POS("CID", "cid", ARG_ID, 1, 0, 0, "the client's CID"),
	END
};

/* Which clients: the daemon's selection (doc/control.md, "kick"). */
#define CLIENT_SEL \
	OPT("ssid", "N", "ssid", ARG_INT, 1, 4294967295LL, \
	    "the session number (SSID column)"), \
	OPT("address", "ADDR[/N]", "address", ARG_STR, 0, 0, \
	    "every client from this address or network"), \
	OPT("device", "ID", "device", ARG_ID, 1, 8, \
	    "every client that presented this device id"), \
	FLAG("anonymous", "anonymous", ARG_TRUE, \
	    "only clients that have not logged in"), \
	OPT("transport", "ws|wss|cong", "transport", ARG_CHOICE, 0, 0, \
	    "only clients of one transport")

static const struct cmd_arg kick_args[] = {
	POS("CID", "cid", ARG_ID, 1, 20, ARG_OPTIONAL,
	    "the client's CID (or select with the options)"),
	POS("REASON", "reason", ARG_STR, 0, 0, ARG_OPTIONAL | ARG_REST,
	    "why (as --reason)"),
	CLIENT_SEL,
	OPT("reason", "TEXT", "reason", ARG_STR, 0, 0,
	    "why: sent in the close and written to the daemon's log"),
	END
};

static const struct cmd_arg ban_args[] = {
	POS("ADDR[/N]", "address", ARG_STR, 0, 0, 0,
	    "an address or a network, e.g. 192.0.2.7 or 2001:db8::/48"),
	OPT("for", "DURATION", "for", ARG_STR, 0, 0,
	    "how long: 90s, 15m, 2h, 7d, 1w (default: until unbanned)"),
	OPT("reason", "TEXT", "reason", ARG_STR, 0, 0, "why, for the record"),
	END
};

static const struct cmd_arg unban_args[] = {
	POS("ADDR[/N]", "address", ARG_STR, 0, 0, 0,
	    "the address or network as 'bans' lists it"),
	END
};

static const struct cmd_arg channels_args[] = {
	OPT("filter", "TEXT", "filter", ARG_STR, 0, 0,
	    "a substring of the channel key"),
	LIMIT(100),
	END
};

static const struct cmd_arg subscribers_args[] = {
	POS("CHANNEL", "channel", ARG_ID, 1, 0, 0,
	    "a channel key as 'channels' shows it, e.g. CH:room"),
	END
};

static const struct cmd_arg devices_args[] = {
	LIMIT(100),
	END
};

static const struct cmd_arg device_args[] = {
	DEVICE_ID,
	END
};

static const struct cmd_arg enroll_args[] = {
	DEVICE_ID,
	OPT("cid", "CID", "cid", ARG_ID, 1, 20,
	    "its CID, 1-20 bytes (default: the id)"),
	OPT("level", "N", "level", ARG_INT, 0, 255,
	    "its quota level (default 1)"),
	FLAG("update", "update", ARG_TRUE,
	    "replace an enrolled device (and its key)"),
	KEY_SOURCE,
	OPT("format", "text|json|env|arduino", NULL, ARG_CHOICE, 0, 0,
	    "how to print it (default text; json with --json)"),
	OPT("host", "HOST", NULL, ARG_STR, 0, 0,
	    "arduino: the server (default: the first IPv4 here)"),
	OPT("port", "PORT", NULL, ARG_INT, 1, 65535,
	    "arduino: the CongSocket port (default: iosd's first)"),
	END
};

static const struct cmd_arg set_level_args[] = {
	DEVICE_ID,
	POS("LEVEL", "level", ARG_INT, 0, 255, 0, "the quota level, 0-255"),
	END
};

static const struct cmd_arg rotate_key_args[] = {
	DEVICE_ID,
	KEY_SOURCE,
	END
};

static const struct cmd_arg import_args[] = {
	POS("FILE", "path", ARG_PATH, 0, 0, 0,
	    "a reference auth_file.json the daemon can read"),
	FLAG("update", "update", ARG_TRUE, "replace devices already enrolled"),
	END
};

static const struct cmd_arg quota_set_args[] = {
	POS("LEVEL", "level", ARG_INT, 0, 255, 0, "the quota level, 0-255"),
	POS("FIELD=VALUE", NULL, ARG_STR, 0, 0, ARG_REST,
	    "signal_size, publish_counter or traffic_rate (bytes/s)"),
	END
};

static const struct cmd_arg audit_args[] = {
	OPT("limit", "N", "limit", ARG_INT, 1, 1000,
	    "the newest N entries (default 50, max 1000)"),
	OPT("device", "ID", "device", ARG_ID, 1, 8, "one device's entries"),
	END
};

static const struct cmd_arg signal_args[] = {
	POS("TAG", "tag", ARG_ID, 1, 0, 0, "the channel tag, or CID@topic"),
	POS("PAYLOAD", "payload", ARG_STR, 0, 0, ARG_OPTIONAL,
	    "the payload (text unless told)"),
	FLAG("json-payload", NULL, ARG_TRUE, "PAYLOAD is JSON"),
	FLAG("binary-base64", NULL, ARG_TRUE, "PAYLOAD is base64 of bytes"),
	FLAG("empty", NULL, ARG_TRUE, "no payload"),
	END
};

static const struct cmd_arg wall_args[] = {
	POS("JSON", "data", ARG_JSON, 0, 0, 0, "the data, any JSON text"),
	OPT("event", "NAME", "event", ARG_STR, 0, 0,
	    "the event name (default wall)"),
	END
};

#define STREAM_STOP \
	OPT("count", "N", NULL, ARG_INT, 1, 1000000000, \
	    "stop after N events"), \
	OPT("duration", "S", NULL, ARG_NUM, 0, 31536000, \
	    "stop after S seconds")

static const struct cmd_arg trace_args[] = {
	OPT("cid", "CID", "cid", ARG_ID, 1, 0, "one client"),
	OPT("device", "ID", "device", ARG_ID, 1, 8, "one device"),
	OPT("tag", "GLOB", "tag", ARG_STR, 0, 0, "tags matching GLOB (* ?)"),
	OPT("type", "NAME", "type", ARG_ID, 1, 0,
	    "one message type, e.g. SIGNAL"),
	OPT("dir", "in|out|route", "dir", ARG_CHOICE, 0, 0,
	    "received, sent, or published to a channel"),
	OPT("transport", "ws|wss|cong", "transport", ARG_CHOICE, 0, 0,
	    "clients of one transport"),
	OPT("queue", "N", "queue", ARG_INT, 1, 100000,
	    "events kept for a slow reader (default 1000)"),
	STREAM_STOP,
	END
};

static const struct cmd_arg watch_args[] = {
	OPT("interval", "MS", "interval_ms", ARG_INT, 100, 3600000,
	    "milliseconds between samples (default 1000, min 100)"),
	STREAM_STOP,
	END
};

static const struct cmd_arg log_level_args[] = {
	POS("error|warn|info|debug", "level", ARG_CHOICE, 0, 0, 0,
	    "the daemon's new log level"),
	END
};

static const struct cmd_arg backup_args[] = {
	POS("FILE", "path", ARG_PATH, 0, 0, 0,
	    "a new file the daemon can write (made absolute here)"),
	END
};

static const struct cmd_arg token_args[] = {
	POS("create|list|revoke", NULL, ARG_CHOICE, 0, 0, 0,
	    "make a token (shown once), list them, or revoke one"),
	POS("ID", NULL, ARG_INT, 1, LLONG_MAX, ARG_OPTIONAL,
	    "revoke: the token's id, as list shows it"),
	OPT("scope", "publish|read|admin", "scope", ARG_CHOICE, 0, 0,
	    "create: read (GET), publish (and unicast) or admin (all)"),
	OPT("expires", "DURATION", "expires", ARG_STR, 0, 0,
	    "create: 90s, 15m, 2h, 7d, 1w (default: until revoked)"),
	OPT("name", "NAME", "name", ARG_STR, 0, 0,
	    "create: what it is for, up to 64 bytes"),
	END
};

static const struct cmd_arg acl_args[] = {
	POS("list|add|remove", NULL, ARG_CHOICE, 0, 0, 0,
	    "list the rules, add one, or remove one by id"),
	POS("allow|deny|ID", NULL, ARG_STR, 0, 0, ARG_OPTIONAL,
	    "add: the effect; remove: the rule's id"),
	POS("WHO", NULL, ARG_STR, 0, 0, ARG_OPTIONAL,
	    "add: a device id, level:A-B, anonymous or any"),
	POS("subscribe|publish|both", NULL, ARG_STR, 0, 0, ARG_OPTIONAL,
	    "add: what the rule is about"),
	POS("PATTERN", NULL, ARG_STR, 0, 0, ARG_OPTIONAL,
	    "add: a glob (fnmatch) over tags: dev/*, #room, *@cmd, *$*"),
	OPT("prio", "N", "prio", ARG_INT, 0, 1000000,
	    "add: lower is tried first (default 100; then by id)"),
	END
};

static const struct cmd_arg help_args[] = {
	POS("COMMAND", NULL, ARG_STR, 0, 0, ARG_OPTIONAL, "one command"),
	END
};

static const struct cmd commands[] = {
	{ "status", NULL, 0, CTLMSG_CMD_STATUS, show_status, no_args,
	    "the daemon's version, uptime, listeners and store", NULL, NULL },
	{ "metrics", NULL, 0, CTLMSG_CMD_METRICS, show_metrics, no_args,
	    "counters: connections, messages, drops, logins", NULL, NULL },
	{ "clients", NULL, CMD_SESSIONS, CTLMSG_CMD_CLIENTS, show_clients,
	    clients_args, "connected clients", NULL, "clients" },
	{ "client", NULL, CMD_SESSIONS, CTLMSG_CMD_CLIENT, show_client,
	    client_args, "one client in detail", NULL, NULL },
	{ "kick", NULL, 0, CTLMSG_CMD_KICK, show_kick, kick_args,
	    "disconnect clients: by CID, session, address, device",
	    "At least one of CID or the options; all that are given must\n"
	    "match. e.g. iosctl kick --address 192.0.2.7 --anonymous",
	    NULL },
	{ "ban", NULL, 0, CTLMSG_CMD_BAN, show_ban, ban_args,
	    "refuse new connections from an address or network",
	    "Its open connections are closed. Kept in the database across\n"
	    "restarts, audited, and dropped when it expires.", NULL },
	{ "unban", NULL, 0, CTLMSG_CMD_UNBAN, show_unban, unban_args,
	    "lift a ban", NULL, NULL },
	{ "bans", NULL, 0, CTLMSG_CMD_BANS, show_bans, no_args,
	    "the addresses and networks refused", NULL, "bans" },
	{ "channels", NULL, 0, CTLMSG_CMD_CHANNELS, show_channels,
	    channels_args, "channels with subscribers or retained signals",
	    NULL, "channels" },
	{ "subscribers", NULL, 0, CTLMSG_CMD_SUBSCRIBERS, show_subscribers,
	    subscribers_args, "the clients subscribed to a channel", NULL,
	    "subscribers" },
	{ "devices", NULL, 0, CTLMSG_CMD_DEVICES, show_devices, devices_args,
	    "enrolled devices", NULL, "devices" },
	{ "device", NULL, 0, CTLMSG_CMD_DEVICE, show_device, device_args,
	    "one enrolled device", NULL, NULL },
	{ "enroll", device_enroll, 0, CTLMSG_CMD_ENROLL, NULL, enroll_args,
	    "enroll a device with a new random key, printed once",
	    "The key is 24 random bytes, base64url: 32 characters. It is\n"
	    "printed once and never stored: iosd keeps only its hash.\n"
	    "--key-file and --key-stdin take a key instead (one line).\n"
	    "env: shell assignments of IOSD_ID, IOSD_KEY, IOSD_CID and\n"
	    "IOSD_LEVEL; arduino: #defines of the host, port, id and key.",
	    NULL },
	{ "revoke", NULL, 0, CTLMSG_CMD_REVOKE, show_revoke, device_args,
	    "delete a device and close its session", NULL, NULL },
	{ "disable", NULL, 0, CTLMSG_CMD_DISABLE, show_disabled, device_args,
	    "refuse a device's logins and close its session", NULL, NULL },
	{ "enable", NULL, 0, CTLMSG_CMD_ENABLE, show_disabled, device_args,
	    "accept a disabled device's logins again", NULL, NULL },
	{ "set-level", NULL, 0, CTLMSG_CMD_SET_LEVEL, show_set_level,
	    set_level_args, "change a device's quota level", NULL, NULL },
	{ "rotate-key", device_rotate_key, 0, CTLMSG_CMD_ROTATE_KEY, NULL,
	    rotate_key_args, "give a device a new key, printed once", NULL,
	    NULL },
	{ "import", NULL, 0, CTLMSG_CMD_IMPORT, show_import, import_args,
	    "enroll the devices of a reference auth_file.json",
	    "FILE is made absolute here and read by the daemon.", NULL },
	{ "quota-list", NULL, 0, CTLMSG_CMD_QUOTA_LIST, show_quota_list,
	    no_args, "the quota table", NULL, "" },
	{ "quota-set", admin_quota_set, 0, CTLMSG_CMD_QUOTA_SET, NULL,
	    quota_set_args, "change a quota level (applies to new logins)",
	    "e.g. iosctl quota-set 10 signal_size=4096 traffic_rate=200000",
	    NULL },
	{ "audit", NULL, 0, CTLMSG_CMD_AUDIT, show_audit, audit_args,
	    "the audit log, newest first", NULL, "" },
	{ "signal", admin_signal, 0, CTLMSG_CMD_SIGNAL, NULL, signal_args,
	    "publish a signal as the server", NULL, NULL },
	{ "wall", NULL, 0, CTLMSG_CMD_WALL, show_wall, wall_args,
	    "send a SERVER_SIGNAL to every client",
	    "e.g. iosctl wall '{\"text\":\"restart at 22:00\"}'", NULL },
	{ "trace", stream_trace, CMD_STREAM, CTLMSG_CMD_TRACE, NULL,
	    trace_args, "print messages as iosd sees them",
	    "One line per message until interrupted (^C), --count or\n"
	    "--duration. With --json, one JSON object per line.", NULL },
	{ "watch", stream_watch, CMD_STREAM, CTLMSG_CMD_WATCH, NULL,
	    watch_args, "print metrics and rates every interval",
	    "One line per sample until interrupted (^C), --count or\n"
	    "--duration. With --json, one JSON object per line.", NULL },
	{ "reload", NULL, 0, CTLMSG_CMD_RELOAD, show_reload, no_args,
	    "as SIGHUP: configuration, devices, quotas, TLS, listeners",
	    "All or nothing: a broken part is named and nothing changes.",
	    NULL },
	{ "log-level", NULL, 0, CTLMSG_CMD_LOG_LEVEL, show_log_level,
	    log_level_args, "change the daemon's log level", NULL, NULL },
	{ "backup", NULL, 0, CTLMSG_CMD_BACKUP, show_backup, backup_args,
	    "an online copy of the database into FILE",
	    "SQLite's backup API, a few pages at a time: clients go on.\n"
	    "FILE must not exist; it is made 0600 (it holds key hashes).",
	    NULL },
	{ "token", admin_token, 0, CTLMSG_CMD_TOKEN_CREATE, NULL, token_args,
	    "bearer tokens of the HTTP API (doc/api.md)",
	    "e.g. iosctl token create --scope publish --expires 30d --name ci\n"
	    "The token is printed once; iosd keeps only its SHA-256.", NULL },
	{ "acl", admin_acl, 0, CTLMSG_CMD_ACL_ADD, NULL, acl_args,
	    "channel permissions: who may subscribe or publish what",
	    "e.g. iosctl acl add deny anonymous both 'dev/*'\n"
	    "First match in (prio, id) order decides; no match: allowed.\n"
	    "A change applies at once, to existing subscriptions too.", NULL },
	{ "connect", connect_run, CMD_LOCAL | CMD_RAW, CTLMSG_CMD_NONE, NULL,
	    connect_args, "an interactive IOSignal client (io-client)",
	    connect_help, NULL },
	{ "help", help_run, CMD_LOCAL, CTLMSG_CMD_NONE, NULL, help_args,
	    "this list, or one command's usage", NULL, NULL },
	{ NULL, NULL, 0, CTLMSG_CMD_NONE, NULL, NULL, NULL, NULL, NULL },
};

/* Hints after an error, where there is something to do about it. */
static const char *const err_hints[FAIL_COUNT] = {
	[FAIL_READ_ONLY] = "this is the read-only socket: use the "
	    "read-write one (-c)",
	[FAIL_UNKNOWN_COMMAND] = "the daemon is older than this iosctl",
	[FAIL_TOO_LARGE] = "the request is over the daemon's line limit",
	[FAIL_BAD_JSON] = "iosctl and iosd disagree: report a bug",
	[FAIL_BAD_REQUEST] = "iosctl and iosd disagree: report a bug",
	[FAIL_STORE_ERROR] = "the daemon's store failed: see its log",
};

const struct cmd *
cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

bool
cmd_ro(const struct cmd *c)
{
	return ctlmsg_cmd_ro(c->wire);
}

const struct cmd *
cmd_table(void)
{
	return commands;
}

int
cmd_bad(const struct cmd_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	size_t n = 0;
	va_list ap;

	if (ctx->cmd)
		n = (size_t)snprintf(msg, sizeof(msg), "%s: ", ctx->cmd->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	fail(FAIL_USAGE, "%s", msg);
	if (!fail_json())
		fprintf(stderr, "Try 'iosctl %s%s--help'.\n", ctx->cmd ?
		    ctx->cmd->name : "", ctx->cmd ? " " : "");
	return ST_USAGE;
}

/* ---- usage, generated from the table ---- */

static void
arg_usage(const struct cmd_arg *a, char *buf, size_t cap)
{
	const char *open = "", *close = "", *dots = "";

	if (a->opt == NULL) {
		if (a->flags & ARG_OPTIONAL)
			open = "[", close = "]";
		if (a->flags & ARG_REST)
			dots = "...";
		snprintf(buf, cap, "%s%s%s%s", open, a->meta, dots, close);
	} else if (a->meta)
		snprintf(buf, cap, "--%s %s", a->opt, a->meta);
	else
		snprintf(buf, cap, "--%s", a->opt);
}

void
cmd_usage(const struct cmd *c, FILE *f)
{
	char buf[128];
	int col;

	col = fprintf(f, "usage: iosctl %s", c->name);
	for (const struct cmd_arg *a = c->args; a->meta || a->opt; a++) {
		arg_usage(a, buf, sizeof(buf));
		if (col + (int)strlen(buf) + 3 > 78)
			col = fprintf(f, "\n   ");
		col += fprintf(f, a->opt ? " [%s]" : " %s", buf);
	}
	/* The summary starts a sentence here. */
	fprintf(f, "\n\n%c%s%s.\n", toupper((unsigned char)c->summary[0]),
	    c->summary + 1, cmd_ro(c) ?
	    " (also on the read-only socket)" : "");
	if (c->help)
		fprintf(f, "%s\n", c->help);
	if (c->args[0].meta || c->args[0].opt)
		fputc('\n', f);
	for (const struct cmd_arg *a = c->args; a->meta || a->opt; a++) {
		arg_usage(a, buf, sizeof(buf));
		if (strlen(buf) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", buf, "", a->help);
		else
			fprintf(f, "  %-24s  %s\n", buf, a->help);
	}
	if (!(c->flags & CMD_RAW))
		fprintf(f, "\nAlso: -c SOCKET, --json, -t SECONDS; see "
		    "'iosctl help'.\n");
}

void
cmd_help_all(FILE *f)
{
	fputs("usage: iosctl [-c SOCKET] [--json] [-t SECONDS] COMMAND "
	    "[ARGS]\n\nCommands (* also on the read-only socket):\n", f);
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(f, "  %-12s %c %s\n", c->name,
		    cmd_ro(c) ? '*' : ' ', c->summary);
	fputs("\nOptions:\n"
	    "  -c, --control SOCKET   iosd's control socket (default: "
	    "$IOSD_CONTROL,\n"
	    "                         else /run/iosd/control.sock)\n"
	    "  -j, --json             results as JSON, for scripts\n"
	    "  -t, --timeout SECONDS  wait this long for an answer "
	    "(default 60, 0: forever)\n"
	    "  -h, --help             this list; 'iosctl COMMAND --help' "
	    "for one command\n"
	    "  -V, --version          iosctl's version\n"
	    "\nExit status: 0 done, 1 iosd refused, 2 usage, 3 iosd "
	    "unreachable,\n4 not found, 5 already exists, 6 iosd's store "
	    "unavailable (iosctl(8)).\n", f);
}

static int
help_run(struct cmd_ctx *ctx)
{
	const char *name = cmd_val(ctx, "COMMAND");
	const struct cmd *c;

	if (name == NULL) {
		cmd_help_all(stdout);
		return ST_OK;
	}
	if ((c = cmd_find(name)) == NULL)
		return cmd_bad(ctx, "no command '%s'", name);
	cmd_usage(c, stdout);
	return ST_OK;
}

/* ---- parsing ---- */

const char *
cmd_val(const struct cmd_ctx *ctx, const char *name)
{
	const struct cmd_arg *a = ctx->cmd->args;

	for (size_t i = 0; a[i].meta || a[i].opt; i++)
		if (strcmp(a[i].opt ? a[i].opt : a[i].meta, name) == 0)
			return ctx->val[i];
	return NULL;
}

static const char *
arg_name(const struct cmd_arg *a, char *buf, size_t cap)
{
	if (a->opt)
		snprintf(buf, cap, "--%s", a->opt);
	else
		snprintf(buf, cap, "%s", a->meta);
	return buf;
}

static bool
is_choice(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if ((bar ? (size_t)(bar - p) : strlen(p)) == n &&
		    strncmp(p, v, n) == 0 && n > 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

/* A relative path means nothing to the daemon: its cwd is not ours. */
static json_t *
absolute(const char *path)
{
	char cwd[PATH_MAX], *buf;
	json_t *j;
	size_t need;

	if (path[0] == '/')
		return json_string(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; *path == '/'; path++)
			;
	need = strlen(cwd) + strlen(path) + 2;
	if ((buf = malloc(need)) == NULL)
		return NULL;
	snprintf(buf, need, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "",
	    path);
	j = json_string(buf);
	free(buf);
	return j;
}

/* Checks one value and puts it in args when the table says where. */
static int
convert(struct cmd_ctx *ctx, const struct cmd_arg *a, const char *v)
{
	char name[64], *end;
	json_t *j = NULL;
	json_error_t jerr;
	long long n;
	double d;

	arg_name(a, name, sizeof(name));
	switch (a->kind) {
	case ARG_STR:
		j = json_string(v);
		break;
	case ARG_ID:
		if (*v == '\0')
			return cmd_bad(ctx, "%s: empty", name);
		if (a->max > 0 && strlen(v) > (size_t)a->max)
			return cmd_bad(ctx, "%s: '%s' is over %lld bytes",
			    name, v, a->max);
		j = json_string(v);
		break;
	case ARG_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end || errno || n < a->min || n > a->max)
			return cmd_bad(ctx, "%s: expected a whole number "
			    "from %lld to %lld, not '%s'", name, a->min,
			    a->max, v);
		j = json_integer(n);
		break;
	case ARG_NUM:
		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end || errno || !(d > 0) ||
		    d > (double)a->max)
			return cmd_bad(ctx, "%s: expected a number above 0, "
			    "not '%s'", name, v);
		j = json_real(d);
		break;
	case ARG_CHOICE:
		if (!is_choice(a->meta, v) && a->opt == NULL)
			return cmd_bad(ctx, "'%s': expected %s", v, a->meta);
		if (!is_choice(a->meta, v))
			return cmd_bad(ctx, "%s: expected %s, not '%s'", name,
			    a->meta, v);
		j = json_string(v);
		break;
	case ARG_TRUE:
	case ARG_FALSE:
		j = json_boolean(a->kind == ARG_TRUE);
		break;
	case ARG_PATH:
		if (*v == '\0')
			return cmd_bad(ctx, "%s: empty", name);
		if ((j = absolute(v)) == NULL)
			return fail(FAIL_USAGE, "%s: %s", v, strerror(errno));
		break;
	case ARG_JSON:
		j = json_loads(v, JSON_DECODE_ANY, &jerr);
		if (j == NULL)
			return cmd_bad(ctx, "%s: not JSON (%s, at character "
			    "%d)", name, jerr.text, jerr.position);
		break;
	}
	if (j == NULL) {
		/* json_string refuses text that is not UTF-8. */
		return cmd_bad(ctx, "%s: not UTF-8 text", name);
	}
	if (a->key)
		json_object_set_new(ctx->args, a->key, j);
	else
		json_decref(j);
	return ST_OK;
}

/* -c, --json, -t and --help, before the command or after it. */
int
cmd_global_opt(struct cmd_ctx *ctx, int argc, char **argv, int *i,
    bool *done, bool *took)
{
	const char *w = argv[*i], *v = NULL;
	bool sock;
	char *end;
	long long n;

	*took = true;
	if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
		if (ctx->cmd)
			cmd_usage(ctx->cmd, stdout);
		else
			cmd_help_all(stdout);
		*done = true;
		return ST_OK;
	}
	if (strcmp(w, "-j") == 0 || strcmp(w, "--json") == 0) {
		ctx->json = true;
		if (ctx->cmd == NULL)
			ctx->json_global = true;
		return ST_OK;
	}
	if (strcmp(w, "-c") == 0 || strcmp(w, "--control") == 0 ||
	    strcmp(w, "-t") == 0 || strcmp(w, "--timeout") == 0) {
		if (*i + 1 >= argc)
			return cmd_bad(ctx, "%s: missing value", w);
		sock = w[1] == 'c' || w[2] == 'c';
		v = argv[++*i];
	} else if (strncmp(w, "--control=", 10) == 0 ||
	    strncmp(w, "--timeout=", 10) == 0) {
		sock = w[2] == 'c';
		v = w + 10;
	} else {
		*took = false;
		return ST_OK;
	}
	if (sock) {
		if (*v == '\0')
			return cmd_bad(ctx, "-c: empty socket path");
		ctx->socket = v;
		return ST_OK;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end || errno || n < 0 || n > 86400)
		return cmd_bad(ctx, "--timeout: expected seconds from 0 to "
		    "86400, not '%s'", v);
	ctx->timeout_ms = n == 0 ? -1 : (int)n * 1000;
	return ST_OK;
}

int
cmd_parse(struct cmd_ctx *ctx, int argc, char **argv, bool *done)
{
	const struct cmd_arg *args = ctx->cmd->args, *a;
	const char *name, *eq, *v;
	size_t nargs = 0, pos = 0, rlen = 0, len;
	bool opts = true, took;
	int st;

	*done = false;
	if (ctx->cmd->flags & CMD_RAW) {
		ctx->argc = argc;
		ctx->argv = argv;
		return ST_OK;
	}
	while (args[nargs].meta || args[nargs].opt)
		nargs++;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (opts && strcmp(w, "--") == 0) {
			opts = false;
			continue;
		}
		if (opts && w[0] == '-' && w[1] != '\0') {
			if ((st = cmd_global_opt(ctx, argc, argv, &i, done,
			    &took)) != ST_OK || *done)
				return st;
			if (took)
				continue;
			if (w[1] != '-') {
				return cmd_bad(ctx, "unknown option %s", w);
			}
			name = w + 2;
			eq = strchr(name, '=');
			len = eq ? (size_t)(eq - name) : strlen(name);
			for (a = args; a->meta || a->opt; a++)
				if (a->opt && strlen(a->opt) == len &&
				    strncmp(a->opt, name, len) == 0)
					break;
			if (a->opt == NULL) {
				return cmd_bad(ctx, "unknown option --%.*s",
				    (int)len, name);
			}
			if (a->meta == NULL && eq) {
				return cmd_bad(ctx, "--%s takes no value",
				    a->opt);
			}
			if (a->meta == NULL)
				v = "";
			else if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				return cmd_bad(ctx, "--%s: missing %s", a->opt,
				    a->meta);
			}
			ctx->val[a - args] = v;
			continue;
		}
		/* The next positional, or more words for a REST one. */
		while (pos < nargs && (args[pos].opt || (ctx->val[pos] &&
		    !(args[pos].flags & ARG_REST))))
			pos++;
		if (pos == nargs) {
			return cmd_bad(ctx, "unexpected argument '%s'", w);
		}
		if (args[pos].flags & ARG_REST) {
			ctx->restv = realloc(ctx->restv, (ctx->nrest + 1) *
			    sizeof(*ctx->restv));
			if (ctx->restv == NULL)
				exit(fail(FAIL_IO, "%s", strerror(errno)));
			ctx->restv[ctx->nrest++] = argv[i];
			rlen += strlen(w) + 1;
		}
		ctx->val[pos] = w;
	}
	for (size_t i = 0; i < nargs; i++) {
		a = &args[i];
		if (a->opt == NULL && ctx->val[i] == NULL &&
		    !(a->flags & ARG_OPTIONAL)) {
			return cmd_bad(ctx, "missing %s", a->meta);
		}
		if (ctx->val[i] == NULL)
			continue;
		if (a->flags & ARG_REST) {
			/* Words of a REST value are joined by spaces. */
			if ((ctx->rest = malloc(rlen)) == NULL)
				exit(fail(FAIL_IO, "%s", strerror(errno)));
			ctx->rest[0] = '\0';
			for (size_t k = 0; k < ctx->nrest; k++) {
				if (k)
					strcat(ctx->rest, " ");
				strcat(ctx->rest, ctx->restv[k]);
			}
			ctx->val[i] = ctx->rest;
			if (a->key == NULL)
				continue;
		}
		if ((st = convert(ctx, a, ctx->val[i])) != ST_OK)
			return st;
	}
	return ST_OK;
}

void
cmd_ctx_free(struct cmd_ctx *ctx)
{
	ctl_close(ctx->ctl);
	json_decref(ctx->args);
	free(ctx->rest);
	free(ctx->restv);
}

/* ---- talking to the daemon ---- */

int
cmd_connect(struct cmd_ctx *ctx)
{
	int e;

	if (ctx->ctl)
		return ST_OK;
	if ((ctx->ctl = ctl_open(ctx->socket, ctx->timeout_ms)) != NULL)
		return ST_OK;
	e = errno;
	fail(FAIL_UNREACHABLE, "cannot connect to %s: %s", ctx->socket,
	    strerror(e));
	switch (e) {
	case EACCES:
	case EPERM:
		fail_note("the socket is mode 0660: run iosctl as iosd's user "
		    "or a member of its group");
		break;
	case ENAMETOOLONG:
		fail_note("a socket path is at most 107 bytes");
		break;
	default:
		fail_note("is iosd running? Give its control socket with "
		    "-c SOCKET or IOSD_CONTROL.");
		break;
	}
	return ST_UNREACHABLE;
}

int
cmd_lost(struct cmd_ctx *ctx, int rc)
{
	enum fail_code c;

	switch (rc) {
	case CTL_ETIMEDOUT:
		c = FAIL_TIMEOUT;
		break;
	case CTL_EPROTO:
		c = FAIL_PROTOCOL;
		break;
	case CTL_ETOOBIG:
		c = FAIL_TOO_LARGE;
		break;
	default:
		c = FAIL_UNREACHABLE;
		break;
	}
	return fail(c, "%s: %s", ctx->socket, ctl_strerror(ctx->ctl, rc));
}

int
cmd_refused(struct cmd_ctx *ctx, const json_t *reply)
{
	const char *code, *msg;
	json_t *res;
	int st;

	if (ctlc_reply(reply, &res, &code, &msg))
		return ST_OK;
	ctx->last_err = fail_code(code);
	st = fail_msg(ctx->last_err, code, msg);
	if (err_hints[ctx->last_err])
		fail_note("%s", err_hints[ctx->last_err]);
	return st;
}

int
cmd_call(struct cmd_ctx *ctx, enum ctlmsg_cmd wire, json_t *args,
    json_t **result)
{
	json_t *reply, *res;
	const char *code, *msg;
	int rc;

	*result = NULL;
	if ((rc = cmd_connect(ctx)) != ST_OK)
		return rc;
	if ((rc = ctl_call(ctx->ctl, wire, args, ctx->timeout_ms, &reply)) !=
	    CTL_OK)
		return cmd_lost(ctx, rc);
	if (!ctlc_reply(reply, &res, &code, &msg)) {
		rc = cmd_refused(ctx, reply);
		json_decref(reply);
		return rc;
	}
	*result = res ? json_incref(res) : json_object();
	json_decref(reply);
	return ST_OK;
}

json_t *
cmd_list_shape(json_t *result, const char *key)
{
	json_t *o, *l = NULL, *total;

	if ((o = json_is_array(result) ? json_object() : json_copy(result)) ==
	    NULL)
		return json_incref(result);
	if (json_is_array(result))
		l = json_incref(result);
	else {
		if (json_is_array(json_object_get(o, "list")))
			l = json_incref(json_object_get(o, "list"));
		else if (key && *key &&
		    json_is_array(json_object_get(o, key))) {
			l = json_incref(json_object_get(o, key));
			json_object_del(o, key);
		}
	}
	if (l == NULL)
		l = json_array();
	/* A total the daemon did not count is the length of the list. */
	total = json_object_get(o, "total");
	if (!json_is_integer(total))
		json_object_set_new(o, "total",
		    json_integer((json_int_t)json_array_size(l)));
	json_object_set_new(o, "list", l);
	return o;
}

int
cmd_print(const struct cmd_ctx *ctx, const json_t *result, cmd_show_fn *show)
{
	if (ctx->json || show == NULL)
		out_json(result);
	else
		show(result);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* Where the error goes when standard output is what failed. */
		fprintf(stderr, "iosctl: standard output: %s\n",
		    strerror(errno));
		return fail_status(FAIL_IO);
	}
	return ST_OK;
}

int
cmd_run(struct cmd_ctx *ctx)
{
	const struct cmd *c = ctx->cmd;
	json_t *result;
	int st;

	if (c->run)
		return c->run(ctx);
	if ((st = cmd_call(ctx, c->wire, ctx->args, &result)) != ST_OK)
		return st;
	if (c->list) {
		json_t *shaped = cmd_list_shape(result, c->list);

		json_decref(result);
		result = shaped;
	}
	if (c->flags & CMD_SESSIONS)
		show_states(result);
	st = cmd_print(ctx, result, c->show);
	json_decref(result);
	return st;
}
