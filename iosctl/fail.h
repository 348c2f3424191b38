/*
 * fail.h - every error iosctl reports, in one table: its stable code
 * (the daemon's codes of doc/control.md, and iosctl's own: usage,
 * unreachable, timeout, protocol, io) and the exit status of its class
 * (iosctl(8), EXIT STATUS). With --json an error is one JSON object on
 * standard output, {"error":{"code":...,"message":...}}, and nothing goes
 * to standard error; without it, "iosctl: message" on standard error.
 */
#ifndef IOSCTL_FAIL_H
#define IOSCTL_FAIL_H

#include <stdbool.h>

#include "ctlmsg.h"

#define FAIL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit statuses: one per class of error (iosctl(8)). */
enum {
	ST_OK = 0,
	ST_REFUSED = 1,		/* the daemon said no */
	ST_USAGE = 2,		/* iosctl's own argument errors */
	ST_UNREACHABLE = 3,	/* no daemon, no answer, or not iosd's */
	ST_NOT_FOUND = 4,	/* no such device, client, channel */
	ST_EXISTS = 5,		/* already enrolled, imported */
	ST_UNAVAILABLE = 6,	/* the daemon's store failed */
};

enum fail_code {
	FAIL_OTHER,		/* a code this iosctl does not know: refused */
	/* the daemon's, in ctlmsg.h's order: FAIL_BAD_JSON ... */
#define CTLMSG_X(id, name, text) FAIL_##id,
	CTLMSG_ERRORS(CTLMSG_X)
#undef CTLMSG_X
	/* iosctl's */
	FAIL_USAGE, FAIL_UNREACHABLE, FAIL_TIMEOUT, FAIL_PROTOCOL, FAIL_IO,
	FAIL_COUNT
};

/* The daemon's code e as one of ours. */
#define FAIL_OF(e)	((enum fail_code)(FAIL_OTHER + 1 + (e)))

/* --json: errors as JSON on standard output. */
void fail_init(bool json);
bool fail_json(void);

/* The code of a name the daemon sent; FAIL_OTHER when unknown. */
enum fail_code fail_code(const char *name);
const char *fail_name(enum fail_code c);
int fail_status(enum fail_code c);

/* Reports an error; returns its exit status. */
int fail(enum fail_code c, const char *fmt, ...) FAIL_PRINTF(2, 3);
/* The same with the code's name as the daemon spelled it (FAIL_OTHER
 * keeps a code this iosctl does not know), or NULL for fail_name(c). */
int fail_msg(enum fail_code c, const char *name, const char *msg);
/* "iosctl: ..." on standard error, for a person only: hints, warnings. */
void fail_note(const char *fmt, ...) FAIL_PRINTF(1, 2);

#endif
