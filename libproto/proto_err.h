/*
 * proto_err.h - error codes shared by every libproto codec.
 *
 * Functions return 0 (or a length) on success and one of these negative
 * codes on failure; proto_strerror() names them for logs.
 */
#ifndef PROTO_ERR_H
#define PROTO_ERR_H

enum proto_err {
	PROTO_OK = 0,
	PROTO_ETRUNC = -1,	/* input shorter than its header or fields say */
	PROTO_ELEN = -2,	/* a length field disagrees with the input */
	PROTO_ETYPE = -3,	/* wrong or unknown type byte / type code */
	PROTO_ETOOBIG = -4,	/* declared size above the caller's limit */
	PROTO_EMETA = -5,	/* MBP meta missing, not JSON, or inconsistent */
	PROTO_EUTF8 = -6,	/* text that must be UTF-8 is not */
	PROTO_EAUTH = -7,	/* HMAC / authentication check failed */
	PROTO_ENOSPC = -8,	/* output buffer too small */
	PROTO_EINVAL = -9,	/* argument out of range */
	PROTO_ENOMEM = -10,	/* allocation failed */
	PROTO_ESTATE = -11,	/* call not valid in the current state */
};
#define PROTO_ERR_COUNT 12

/* Short stable name of an error code ("ETRUNC"), for logs and metrics. */
const char *proto_errname(int err);
/* Human sentence for an error code. */
const char *proto_strerror(int err);

#endif
