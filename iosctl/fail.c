/*
 * fail.c - see fail.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fail.h"
#include "output.h"

/* The exit status of each of the daemon's codes (ctlmsg.h). */
static const int daemon_status[CTLMSG_E_COUNT] = {
	[CTLMSG_E_BAD_JSON] =		ST_REFUSED,
	[CTLMSG_E_BAD_REQUEST] =	ST_REFUSED,
	[CTLMSG_E_UNKNOWN_COMMAND] =	ST_REFUSED,
	[CTLMSG_E_BAD_ARGS] =		ST_REFUSED,
	[CTLMSG_E_TOO_LARGE] =		ST_USAGE,
	[CTLMSG_E_NOT_FOUND] =		ST_NOT_FOUND,
	[CTLMSG_E_EXISTS] =		ST_EXISTS,
	[CTLMSG_E_READ_ONLY] =		ST_REFUSED,
	[CTLMSG_E_STORE_ERROR] =	ST_UNAVAILABLE,
	[CTLMSG_E_INTERNAL] =		ST_REFUSED,
};

/* iosctl's own codes: their stable names and exit statuses. */
static const struct {
	const char	*name;
	int		 status;
} own[FAIL_COUNT] = {
	[FAIL_OTHER] =		{ "refused", ST_REFUSED },
	[FAIL_USAGE] =		{ "usage", ST_USAGE },
	[FAIL_UNREACHABLE] =	{ "unreachable", ST_UNREACHABLE },
	[FAIL_TIMEOUT] =	{ "timeout", ST_UNREACHABLE },
	[FAIL_PROTOCOL] =	{ "protocol", ST_UNREACHABLE },
	[FAIL_IO] =		{ "io", ST_REFUSED },
};

/* fail.h lists the daemon's codes from ctlmsg.h, in its order. */
_Static_assert(FAIL_OF(CTLMSG_E_COUNT) == FAIL_USAGE,
    "fail.h and ctlmsg.h disagree on the daemon's codes");

/* The daemon's code of c; CTLMSG_E_NONE when c is iosctl's own. */
static enum ctlmsg_err
daemons(enum fail_code c)
{
	if (c > FAIL_OTHER && c < FAIL_OF(CTLMSG_E_COUNT))
		return (enum ctlmsg_err)(c - FAIL_OF(0));
	return CTLMSG_E_NONE;
}

static bool as_json;

void
fail_init(bool json)
{
	as_json = json;
}

bool
fail_json(void)
{
	return as_json;
}

enum fail_code
fail_code(const char *name)
{
	enum ctlmsg_err e = ctlmsg_err_find(name);

	if (e != CTLMSG_E_NONE)
		return FAIL_OF(e);
	for (int i = FAIL_OF(CTLMSG_E_COUNT); name && i < FAIL_COUNT; i++)
		if (strcmp(name, own[i].name) == 0)
			return (enum fail_code)i;
	return FAIL_OTHER;
}

const char *
fail_name(enum fail_code c)
{
	enum ctlmsg_err e = daemons(c);

	if (e != CTLMSG_E_NONE)
		return ctlmsg_err_name(e);
	return (unsigned)c < FAIL_COUNT ? own[c].name : own[0].name;
}

int
fail_status(enum fail_code c)
{
	enum ctlmsg_err e = daemons(c);

	if (e != CTLMSG_E_NONE)
		return daemon_status[e];
	return (unsigned)c < FAIL_COUNT ? own[c].status : ST_REFUSED;
}

int
fail_msg(enum fail_code c, const char *name, const char *msg)
{
	char ascii[1024];
	json_t *j, *m;

	if (name == NULL || *name == '\0')
		name = fail_name(c);
	if (msg == NULL || *msg == '\0')
		msg = name;
	if (!as_json) {
		fflush(stdout);
		fprintf(stderr, "iosctl: %s\n", msg);
		return fail_status(c);
	}
	if ((m = json_string(msg)) == NULL) {
		/* Not UTF-8 (a file name, say): its other bytes as '?'. */
		snprintf(ascii, sizeof(ascii), "%s", msg);
		for (char *p = ascii; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		m = json_string(ascii);
	}
	j = json_pack("{s:{s:s, s:o}}", "error", "code", name, "message", m);
	out_json(j);
	fflush(stdout);
	json_decref(j);
	return fail_status(c);
}

int
fail(enum fail_code c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg(c, NULL, msg);
}

void
fail_note(const char *fmt, ...)
{
	va_list ap;

	if (as_json)
		return;
	fflush(stdout);
	fputs("iosctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
