/*
 * test_ctlmsg.c - the control socket's vocabulary (libproto's ctlmsg):
 * the envelope version rule, the command table (lookup, read-only flags,
 * argument shapes), the error codes; and the pure parts of the clients'
 * library (libctl): JSON lines framed from reads of any size, request
 * lines, parsing, the shared unit and time formats.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctlclient.h"
#include "ctlfmt.h"
#include "proto.h"
#include "tap.h"

static void
test_version(void)
{
	static const struct {
		const char *msg;
		int ok;
		const char *says;	/* in the refusal */
	} cases[] = {
		{ "{\"id\":1}", 1, NULL },		/* v is optional */
		{ "{\"v\":1,\"id\":1}", 1, NULL },
		{ "{\"v\":2,\"id\":1}", 0, "v2 is newer than this iosctl's v1: "
		    "upgrade iosctl" },
		{ "{\"v\":99}", 0, "newer" },
		{ "{\"v\":0}", 0, "not a positive integer" },
		{ "{\"v\":-3}", 0, "not a positive integer" },
		{ "{\"v\":\"1\"}", 0, "not a positive integer" },
		{ "{\"v\":1.0}", 0, "not a positive integer" },
		{ "{\"v\":null}", 0, "not a positive integer" },
	};

	OK(CTLMSG_VERSION == 1, "the envelope version is 1");
	OK(ctlmsg_version_ok(CTLMSG_VERSION), "its own version is accepted");
	OK(!ctlmsg_version_ok(CTLMSG_VERSION + 1), "a newer one is refused");
	OK(!ctlmsg_version_ok(0) && !ctlmsg_version_ok(-1),
	    "no version below 1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *m = json_loads(cases[i].msg, 0, NULL);
		char why[160] = "";
		bool ok = ctlmsg_envelope_ok(m, "iosctl", why, sizeof(why));

		OK(ok == (cases[i].ok != 0), "%s is %s", cases[i].msg,
		    cases[i].ok ? "accepted" : "refused");
		if (cases[i].says)
			OK(strstr(why, cases[i].says) != NULL,
			    "%s: the refusal says \"%s\" (%s)", cases[i].msg,
			    cases[i].says, why);
		json_decref(m);
	}
}

static void
test_commands(void)
{
	static const struct {
		const char *name;
		enum ctlmsg_cmd cmd;
		bool ro;
	} table[] = {
#define X(id, name, ro, args) { name, CTLMSG_CMD_##id, ro },
		CTLMSG_COMMANDS(X)
#undef X
	};
	/* The read-only socket's commands, as doc/control.md marks them
	 * (and bans, which iosctl marks). */
	static const char *const ro[] = { "status", "metrics", "clients",
	    "client", "bans", "channels", "subscribers", "devices",
	    "device", "quota-list", "audit", "trace", "watch", "cancel",
	    "token-list", "acl-list" };
	size_t nro = 0;
	struct ctlmsg_arg a;

	tap_eq_long(CTLMSG_CMD_COUNT, 36, "36 commands");
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *n = table[i].name;
		size_t words = 0, k;

		tap_eq_long(ctlmsg_cmd_find(n), table[i].cmd, "find %s", n);
		tap_eq_str(ctlmsg_cmd_name(table[i].cmd), n, "the name of %s",
		    n);
		OK(ctlmsg_cmd_ro(table[i].cmd) == table[i].ro,
		    "%s: the read-only flag", n);
		nro += table[i].ro;
		for (k = 0; k < i; k++)
			OK(strcmp(table[k].name, n) != 0, "%s once", n);
		/* Every word of the shape parses, and no name twice. */
		for (const char *p = ctlmsg_cmd_args(table[i].cmd); *p; p++)
			words += *p == ':';
		for (k = 0; ctlmsg_cmd_arg(table[i].cmd, k, &a); k++) {
			struct ctlmsg_arg b;

			OK(ctlmsg_cmd_arg_find(table[i].cmd, a.name, &b) &&
			    b.type == a.type, "%s: argument %s found", n,
			    a.name);
			for (size_t j = 0; j < k; j++) {
				ctlmsg_cmd_arg(table[i].cmd, j, &b);
				OK(strcmp(a.name, b.name) != 0,
				    "%s: argument %s once", n, a.name);
			}
		}
		tap_eq_long((long)k, (long)words, "%s: %zu arguments parse",
		    n, words);
	}
	tap_eq_long((long)nro, (long)(sizeof(ro) / sizeof(ro[0])),
	    "%zu read-only commands", sizeof(ro) / sizeof(ro[0]));
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		OK(ctlmsg_cmd_ro(ctlmsg_cmd_find(ro[i])), "%s is read-only",
		    ro[i]);
	OK(!ctlmsg_cmd_ro(CTLMSG_CMD_KICK) && !ctlmsg_cmd_ro(CTLMSG_CMD_ENROLL)
	    && !ctlmsg_cmd_ro(CTLMSG_CMD_RELOAD) &&
	    !ctlmsg_cmd_ro(CTLMSG_CMD_BACKUP), "kick, enroll, reload, backup "
	    "change things");

	tap_eq_long(ctlmsg_cmd_find("no-such"), CTLMSG_CMD_NONE,
	    "an unknown name");
	tap_eq_long(ctlmsg_cmd_find("Status"), CTLMSG_CMD_NONE,
	    "names are case-sensitive");
	tap_eq_long(ctlmsg_cmd_find(NULL), CTLMSG_CMD_NONE, "no name");
	OK(ctlmsg_cmd_name(CTLMSG_CMD_NONE) == NULL &&
	    ctlmsg_cmd_name(CTLMSG_CMD_COUNT) == NULL, "no name out of range");
	OK(!ctlmsg_cmd_ro(CTLMSG_CMD_NONE), "nothing is read-only by default");
	OK(!ctlmsg_cmd_arg(CTLMSG_CMD_NONE, 0, &a), "no arguments for none");

	/* Shapes. */
	OK(!ctlmsg_cmd_arg(CTLMSG_CMD_STATUS, 0, &a), "status takes none");
	OK(ctlmsg_cmd_arg_find(CTLMSG_CMD_BAN, "address", &a) &&
	    a.type == CTLMSG_T_STR && a.required, "ban: address, required");
	OK(ctlmsg_cmd_arg_find(CTLMSG_CMD_ENROLL, "level", &a) &&
	    a.type == CTLMSG_T_INT && !a.required, "enroll: level, optional");
	OK(ctlmsg_cmd_arg_find(CTLMSG_CMD_ENROLL, "update", &a) &&
	    a.type == CTLMSG_T_BOOL, "enroll: update, a boolean");
	OK(ctlmsg_cmd_arg_find(CTLMSG_CMD_WALL, "data", &a) &&
	    a.type == CTLMSG_T_ANY, "wall: data, any JSON");
	OK(ctlmsg_cmd_arg_find(CTLMSG_CMD_KICK, "anonymous", &a) &&
	    a.type == CTLMSG_T_BOOL, "kick: the client selection");
	OK(ctlmsg_cmd_arg(CTLMSG_CMD_SET_LEVEL, 1, &a) &&
	    strcmp(a.name, "level") == 0 && a.required,
	    "set-level: its second argument is level, required");
	OK(!ctlmsg_cmd_arg_find(CTLMSG_CMD_DEVICE, "cid", &a),
	    "device: no cid");
}

static void
test_errors(void)
{
	/* doc/control.md, "Error codes (stable names)", in its order. */
	static const char *const doc[] = { "bad_json", "bad_request",
	    "unknown_command", "bad_args", "too_large", "not_found", "exists",
	    "read_only", "store_error", "internal" };

	tap_eq_long(CTLMSG_E_COUNT, (long)(sizeof(doc) / sizeof(doc[0])),
	    "%zu error codes", sizeof(doc) / sizeof(doc[0]));
	for (int e = 0; e < CTLMSG_E_COUNT; e++) {
		const char *n = ctlmsg_err_name((enum ctlmsg_err)e);

		tap_eq_str(n, doc[e], "code %d is %s", e, doc[e]);
		tap_eq_long(ctlmsg_err_find(n), e, "%s round trip", doc[e]);
		OK(ctlmsg_err_text((enum ctlmsg_err)e)[0] != '\0',
		    "%s has a default message", doc[e]);
	}
	tap_eq_long(CTLMSG_E_BAD_ARGS, 3, "bad_args by its enum");
	tap_eq_str(ctlmsg_err_name(CTLMSG_E_STORE_ERROR), "store_error",
	    "store_error by its enum");
	tap_eq_long(ctlmsg_err_find("disconnected"), CTLMSG_E_NONE,
	    "an unknown code");
	tap_eq_long(ctlmsg_err_find(""), CTLMSG_E_NONE, "an empty code");
	tap_eq_long(ctlmsg_err_find(NULL), CTLMSG_E_NONE, "no code");
	OK(ctlmsg_err_name(CTLMSG_E_NONE) == NULL &&
	    ctlmsg_err_name(CTLMSG_E_COUNT) == NULL, "no name out of range");
	OK(ctlmsg_err_text(CTLMSG_E_NONE) != NULL, "a message even for none");
}

/* Every line of in, fed in pieces of step bytes, comes out whole. */
static void
frame(const char *in, size_t step, const char *const *want, size_t nwant)
{
	struct ctlc_lines l;
	size_t n = strlen(in), got = 0, off, len;
	const char *line;
	bool same = true;
	int rc;

	ctlc_lines_init(&l, 1024);
	for (off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;

		if (ctlc_lines_push(&l, in + off, k) < 0)
			break;
		while ((rc = ctlc_lines_next(&l, &line, &len)) > 0) {
			if (got >= nwant || len != strlen(want[got]) ||
			    memcmp(line, want[got], len) != 0)
				same = false;
			got++;
		}
	}
	OK(same && got == nwant, "%zu lines in pieces of %zu bytes", nwant,
	    step);
	tap_eq_long((long)ctlc_lines_partial(&l), 5, "the unfinished line "
	    "is kept (pieces of %zu)", step);
	ctlc_lines_free(&l);
}

static void
test_lines(void)
{
	static const char in[] = "{\"v\":1,\"id\":1,\"ok\":true}\n"
	    "{\"v\":1,\"event\":\"trace\",\"id\":2}\r\n\n"
	    "{\"v\":1,\"id\":3,\"ok\":false}\n{\"v\":";
	static const char *const want[] = {
		"{\"v\":1,\"id\":1,\"ok\":true}",
		"{\"v\":1,\"event\":\"trace\",\"id\":2}",
		"",
		"{\"v\":1,\"id\":3,\"ok\":false}",
	};
	struct ctlc_lines l;
	const char *line, *was;
	char big[300];
	size_t len, room;
	char *p;

	for (size_t step = 1; step <= sizeof(in); step++)
		frame(in, step, want, sizeof(want) / sizeof(want[0]));

	/* Reading straight into the buffer, as both clients do. */
	ctlc_lines_init(&l, 64);
	OK(ctlc_lines_next(&l, &line, &len) == 0, "nothing yet");
	p = ctlc_lines_room(&l, 16, &room);
	OK(p != NULL && room >= 16, "room for a read");
	memcpy(p, "{\"id\":7}\n{\"id\"", 14);
	ctlc_lines_add(&l, 14);
	OK(ctlc_lines_next(&l, &line, &len) == 1 && len == 8 &&
	    memcmp(line, "{\"id\":7}", 8) == 0, "a line read in place");
	was = line;
	OK(ctlc_lines_next(&l, &line, &len) == 0, "then half of one");
	OK(memcmp(was, "\0\0\0\0\0\0\0\0", 8) == 0,
	    "the line handed out is wiped once done with");
	p = ctlc_lines_room(&l, 16, &room);
	memcpy(p, ":8}\n", 4);
	ctlc_lines_add(&l, 4);
	OK(ctlc_lines_next(&l, &line, &len) == 1 && len == 8 &&
	    memcmp(line, "{\"id\":8}", 8) == 0, "the rest of it completes it");

	/* A line longer than the limit, before its end has come. */
	memset(big, 'x', sizeof(big));
	OK(ctlc_lines_push(&l, big, 60) == 0 &&
	    ctlc_lines_next(&l, &line, &len) == 0, "60 bytes: not too long");
	OK(ctlc_lines_push(&l, big, 10) == 0 &&
	    ctlc_lines_next(&l, &line, &len) == -1, "70 bytes: over 64");
	ctlc_lines_reset(&l);
	OK(ctlc_lines_partial(&l) == 0 && ctlc_lines_next(&l, &line,
	    &len) == 0, "reset: empty again");
	/* A whole line is taken whatever its length (the limit is for a
	 * line still coming). */
	big[200] = '\n';
	OK(ctlc_lines_push(&l, big, 201) == 0 &&
	    ctlc_lines_next(&l, &line, &len) == 1 && len == 200,
	    "a whole line of 200 bytes comes out");
	ctlc_lines_free(&l);
}

static json_t *
parse(const char *s, char *why, size_t cap)
{
	return ctlc_parse(s, strlen(s), "iostui", why, cap);
}

static void
test_messages(void)
{
	json_t *args = json_pack("{s:s}", "id", "uno3"), *m, *res;
	const char *code, *msg;
	char why[160], *line;
	size_t len;

	line = ctlc_request_line(CTLMSG_CMD_ROTATE_KEY, 42, args, &len);
	tap_eq_str(line, "{\"v\":1,\"id\":42,\"cmd\":\"rotate-key\","
	    "\"args\":{\"id\":\"uno3\"}}\n", "a request line");
	tap_eq_long((long)len, line ? (long)strlen(line) : -1,
	    "its length, the newline counted");
	ctlc_line_free(line, len);
	line = ctlc_request_line(CTLMSG_CMD_STATUS, 1, NULL, &len);
	tap_eq_str(line, "{\"v\":1,\"id\":1,\"cmd\":\"status\"}\n",
	    "without args");
	ctlc_line_free(line, len);
	OK(ctlc_request_line(CTLMSG_CMD_NONE, 1, NULL, &len) == NULL,
	    "no line for no command");
	json_decref(args);

	m = parse("{\"v\":1,\"id\":5,\"ok\":false,\"error\":"
	    "{\"code\":\"not_found\",\"message\":\"no client ?ab\"}}", why,
	    sizeof(why));
	OK(m != NULL, "a reply parses");
	OK(!ctlc_is_event(m) && ctlc_msg_id(m) == 5, "a response, id 5");
	OK(ctlc_reply(m, &res, &code, &msg) == 0 &&
	    ctlmsg_err_find(code) == CTLMSG_E_NOT_FOUND &&
	    strcmp(msg, "no client ?ab") == 0, "refused: not_found");
	json_decref(m);
	m = parse("{\"v\":1,\"event\":\"dropped\",\"id\":9,\"count\":3}",
	    why, sizeof(why));
	OK(m && ctlc_is_event(m) && jget_int(m, "count", 0) == 3,
	    "an event");
	json_decref(m);
	OK(parse("{\"v\":2,\"id\":1}", why, sizeof(why)) == NULL &&
	    strstr(why, "upgrade iostui"),
	    "a newer envelope is refused: %s", why);
	OK(parse("[1]", why, sizeof(why)) == NULL &&
	    strstr(why, "not a JSON object"), "an array is refused");
	OK(parse("{\"v\":", why, sizeof(why)) == NULL,
	    "half a line is refused: %s", why);
}

static void
test_formats(void)
{
	static const struct {
		double v;
		const char *bytes, *count, *dur;
	} cases[] = {
		{ 0, "0 B", "0", "0s" },
		{ 0.5, "0 B", "0.5", "0s" },
		{ 45, "45 B", "45", "45s" },
		{ 723, "723 B", "723", "12m 3s" },
		{ 3400, "3.40 kB", "3400", "56m 40s" },
		{ 7500, "7.50 kB", "7500", "2h 5m" },
		{ 12345, "12.3 kB", "12.3k", "3h 25m" },
		{ 356400, "356 kB", "356.4k", "4d 3h" },
		{ 4.5e6, "4.50 MB", "4.5M", "52d 2h" },
		{ -5, "0 B", "0", "0s" },
		{ NAN, "-", "-", "0s" },
	};
	char buf[32];
	double now;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tap_eq_str(fmt_bytes(buf, sizeof(buf), cases[i].v),
		    cases[i].bytes, "bytes %g", cases[i].v);
		tap_eq_str(fmt_count(buf, sizeof(buf), cases[i].v),
		    cases[i].count, "count %g", cases[i].v);
		tap_eq_str(fmt_duration(buf, sizeof(buf), cases[i].v),
		    cases[i].dur, "duration %g", cases[i].v);
	}
	tap_eq_str(fmt_ago(buf, sizeof(buf), 0), "never", "ago: never");
	now = (double)time(NULL);
	tap_eq_str(fmt_ago(buf, sizeof(buf), now - 125), "2m ago", "2m ago");
	tap_eq_str(fmt_ago(buf, sizeof(buf), now - 190), "3m ago", "3m ago");
	tap_eq_str(fmt_ago(buf, sizeof(buf), now - 3 * 86400 - 60), "3d ago",
	    "3d ago");
	tap_eq_str(fmt_ago(buf, sizeof(buf), now + 7210), "in 2h", "in 2h");
	tap_eq_str(fmt_ago(buf, sizeof(buf), now + 1), "0s ago",
	    "a second ahead is now");
	tap_eq_str(fmt_date(buf, sizeof(buf), 0), "never", "date: never");
}

int
main(void)
{
	test_version();
	test_commands();
	test_errors();
	test_lines();
	test_messages();
	test_formats();
	return tap_done();
}
