/*
 * fail.c - see fail.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fail.h"
#include "output.h"

/* The one table: code -> its stable name and its exit status. */
static const struct {
	const char	*name;
	int		 status;
} fails[FAIL_COUNT] = {
	[FAIL_OTHER] =		{ "refused", ST_REFUSED },
	[FAIL_BAD_JSON] =	{ "bad_json", ST_REFUSED },
	[FAIL_BAD_REQUEST] =	{ "bad_request", ST_REFUSED },
	[FAIL_UNKNOWN_COMMAND] = { "unknown_command", ST_REFUSED },
	[FAIL_BAD_ARGS] =	{ "bad_args", ST_REFUSED },
	[FAIL_TOO_LARGE] =	{ "too_large", ST_USAGE },
	[FAIL_NOT_FOUND] =	{ "not_found", ST_NOT_FOUND },
	[FAIL_EXISTS] =		{ "exists", ST_EXISTS },
	[FAIL_READ_ONLY] =	{ "read_only", ST_REFUSED },
	[FAIL_STORE_ERROR] =	{ "store_error", ST_UNAVAILABLE },
	[FAIL_INTERNAL] =	{ "internal", ST_REFUSED },
	[FAIL_USAGE] =		{ "usage", ST_USAGE },
	[FAIL_UNREACHABLE] =	{ "unreachable", ST_UNREACHABLE },
	[FAIL_TIMEOUT] =	{ "timeout", ST_UNREACHABLE },
	[FAIL_PROTOCOL] =	{ "protocol", ST_UNREACHABLE },
	[FAIL_IO] =		{ "io", ST_REFUSED },
};

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
	for (int i = 1; name && i < FAIL_COUNT; i++)
		if (strcmp(name, fails[i].name) == 0)
			return (enum fail_code)i;
	return FAIL_OTHER;
}

const char *
fail_name(enum fail_code c)
{
	return (unsigned)c < FAIL_COUNT ? fails[c].name : fails[0].name;
}

int
fail_status(enum fail_code c)
{
	return (unsigned)c < FAIL_COUNT ? fails[c].status : ST_REFUSED;
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
