/*
 * proto_err.c - names and sentences for libproto error codes.
 */
#include "proto_err.h"

static const struct {
	const char *name;
	const char *text;
} errtab[PROTO_ERR_COUNT] = {
	[0] = { "OK", "success" },
	[-PROTO_ETRUNC] = { "ETRUNC", "message truncated" },
	[-PROTO_ELEN] = { "ELEN", "length field disagrees with message size" },
	[-PROTO_ETYPE] = { "ETYPE", "wrong or unknown type" },
	[-PROTO_ETOOBIG] = { "ETOOBIG", "declared size above the limit" },
	[-PROTO_EMETA] = { "EMETA", "missing or invalid pack meta" },
	[-PROTO_EUTF8] = { "EUTF8", "invalid UTF-8" },
	[-PROTO_EAUTH] = { "EAUTH", "authentication check failed" },
	[-PROTO_ENOSPC] = { "ENOSPC", "output buffer too small" },
	[-PROTO_EINVAL] = { "EINVAL", "invalid argument" },
	[-PROTO_ENOMEM] = { "ENOMEM", "out of memory" },
	[-PROTO_ESTATE] = { "ESTATE", "not valid in this state" },
};

const char *
proto_errname(int err)
{
	if (err > 0)
		err = 0;
	if (-err >= PROTO_ERR_COUNT)
		return "EUNKNOWN";
	return errtab[-err].name;
}

const char *
proto_strerror(int err)
{
	if (err > 0)
		err = 0;
	if (-err >= PROTO_ERR_COUNT)
		return "unknown error";
	return errtab[-err].text;
}
