/*
 * metrics.c - names for the metrics enums.
 */
#include "metrics.h"

static const char *const transport_names[TR_COUNT] = {
	[TR_WS] = "ws", [TR_WSS] = "wss", [TR_CONG] = "cong",
};

static const char *const drop_names[DROP_COUNT] = {
	[DROP_SLOW_CONSUMER] = "slow_consumer",
	[DROP_OVERSIZE] = "oversize",
	[DROP_BAD_FRAME] = "bad_frame",
	[DROP_BAD_MESSAGE] = "bad_message",
	[DROP_BAD_TAG] = "bad_tag",
	[DROP_RESERVED_TAG] = "reserved_tag",
	[DROP_UNKNOWN_CID] = "unknown_cid",
	[DROP_NOT_AUTHORIZED] = "not_authorized",
	[DROP_SUB_LIMIT] = "subscription_limit",
	[DROP_RETAIN_LIMIT] = "retain_limit",
	[DROP_HANDSHAKE] = "handshake",
	[DROP_TIMEOUT] = "timeout",
	[DROP_EMFILE] = "emfile",
	[DROP_UNKNOWN_TYPE] = "unknown_type",
	[DROP_TEXT_FRAME] = "text_frame",
	[DROP_RATE] = "rate_limited",
	[DROP_DECRYPT] = "decrypt_failed",
	[DROP_MEMBERS_ONLY] = "members_only",
	[DROP_MEMORY] = "buffer_memory",
	[DROP_NOMEM] = "out_of_memory",
	[DROP_ACL] = "acl",
	[DROP_ANONYMOUS] = "anonymous",
};

const char *
transport_name(enum transport t)
{
	return (unsigned)t < TR_COUNT ? transport_names[t] : "?";
}

const char *
drop_reason_name(enum drop_reason r)
{
	return (unsigned)r < DROP_COUNT ? drop_names[r] : "?";
}
