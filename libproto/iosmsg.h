/*
 * iosmsg.h - IOSignal message types and their codecs (iosignal 2.2.1).
 *
 * Every message starts with one type byte. Parsers never copy: the
 * structures they fill point into the input. Builders write into a buffer
 * the caller gives and return the length, or PROTO_ENOSPC.
 */
#ifndef PROTO_IOSMSG_H
#define PROTO_IOSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbp.h"

enum ios_type {
	/* Boho (boho 1.0.3 constants.js) */
	IOS_AUTH_REQ = 0xB0,
	IOS_AUTH_NONCE = 0xB1,
	IOS_AUTH_HMAC = 0xB2,
	IOS_AUTH_ACK = 0xB3,
	IOS_AUTH_FAIL = 0xB4,
	IOS_AUTH_EXT = 0xB5,
	IOS_ENC_PACK = 0xB6,
	IOS_ENC_E2E = 0xB7,
	IOS_ENC_488 = 0xB8,
	/* IOMsg (iosignal constants.js) */
	IOS_SERVER_READY = 0xC0,
	IOS_CID_REQ = 0xC1,
	IOS_CID_RES = 0xC2,
	IOS_QUOTA_LEVEL = 0xC3,
	IOS_SERVER_CLEAR_AUTH = 0xC4,
	IOS_SERVER_REDIRECT = 0xC5,
	IOS_LOOP = 0xCB,
	IOS_ECHO = 0xCC,
	IOS_PING = 0xCD,
	IOS_PONG = 0xCE,
	IOS_CLOSE = 0xCF,
	IOS_SIGNAL = 0xD0,
	IOS_SIGNAL_REQ = 0xD1,
	IOS_SIGNAL_E2E = 0xD2,
	IOS_SUBSCRIBE = 0xD3,
	IOS_SUBSCRIBE_REQ = 0xD4,
	IOS_UNSUBSCRIBE = 0xD5,
	IOS_SERVER_SIGNAL = 0xD6,
	IOS_IAM = 0xD9,
	IOS_IAM_RES = 0xDA,
	IOS_SET = 0xDB,
	IOS_RESPONSE_CODE = 0xDC,
	IOS_RESPONSE_MBP = 0xDD,
	IOS_REQUEST = 0xDE,
	IOS_RESPONSE = 0xDF,
	IOS_FLOW_MODE = 0xF0,
	IOS_WAIT = 0xF1,
	IOS_RESUME = 0xF2,
	IOS_TIME_OUT = 0xFD,
	IOS_OVER_SIZE = 0xFE,
	IOS_OVER_FLOW = 0xFF,
};

enum ios_payload {
	IOS_PAYLOAD_EMPTY = 0,
	IOS_PAYLOAD_TEXT = 1,	/* UTF-8 and a trailing NUL */
	IOS_PAYLOAD_BINARY = 2,
	IOS_PAYLOAD_OBJECT = 3,	/* JSON of one object */
	IOS_PAYLOAD_MJSON = 4,	/* JSON array of the arguments */
	IOS_PAYLOAD_MBA = 5,	/* MBP pack of the arguments */
};

#define IOS_STATUS_OK		0
#define IOS_STATUS_ERROR	255
#define IOS_TAG_MAX		255	/* SIGNAL/SUBSCRIBE tag length byte */

/* Name of a type byte ("SIGNAL", "AUTH_REQ"), NULL when not defined. */
const char *iosmsg_name(uint8_t type);
/* Name of a payload type ("TEXT"), NULL when not defined. */
const char *iosmsg_payload_name(uint8_t ptype);
/* True for the types that are never encrypted by the server. */
bool iosmsg_always_plain(uint8_t type);

/* SIGNAL (0xD0) and SIGNAL_E2E (0xD2): type tagLen tag [ptype payload]. */
struct ios_signal {
	uint8_t type;
	const uint8_t *tag;
	size_t tag_len;
	bool has_ptype;		/* the payload-type byte is optional */
	uint8_t ptype;
	const uint8_t *payload;
	size_t payload_len;
};
/* Accepts what the reference accepts (len >= 3, len >= tagLen + 2) and
 * additionally requires the tag to be valid UTF-8 (PROTO_EUTF8). */
int iosmsg_parse_signal(const uint8_t *m, size_t len, struct ios_signal *s);
long iosmsg_build_signal(uint8_t type, const void *tag, size_t tag_len,
    int ptype, const void *payload, size_t plen, uint8_t *out, size_t cap);
/* A TEXT payload signal: text bytes followed by the NUL the reference adds. */
long iosmsg_build_text_signal(const char *tag, const char *text,
    uint8_t *out, size_t cap);

/* Replace the tag of a SIGNAL/SIGNAL_E2E, keeping the bytes after it:
 * [type][newLen][newTag][rest]. PROTO_EINVAL for a tag over 255 bytes
 * (the reference silently truncates the length byte). */
long iosmsg_rewrite_tag(const uint8_t *m, size_t len, const void *tag,
    size_t tag_len, uint8_t *out, size_t cap);
/* Size of that rewrite, or a negative error. */
long iosmsg_rewrite_tag_size(const uint8_t *m, size_t len, size_t tag_len);

/* SUBSCRIBE (0xD3) / UNSUBSCRIBE (0xD5): type tagLen "t1,t2". */
struct ios_taglist {
	const uint8_t *tags;
	size_t len;
	bool all;		/* UNSUBSCRIBE of 2 bytes: every channel */
};
int iosmsg_parse_subscribe(const uint8_t *m, size_t len,
    struct ios_taglist *t);
int iosmsg_parse_unsubscribe(const uint8_t *m, size_t len,
    struct ios_taglist *t);
long iosmsg_build_subscribe(uint8_t type, const void *tags, size_t len,
    uint8_t *out, size_t cap);

/* SUBSCRIBE_REQ (0xD4): type mid16BE tagLen16BE tags.
 * PROTO_ETRUNC when shorter than 6 bytes (no mid: ignore it);
 * PROTO_ELEN when the mid is known but the length disagrees (the reference
 * then answers status 255); 0 otherwise. *mid is set in both latter cases. */
int iosmsg_parse_subscribe_req(const uint8_t *m, size_t len, uint16_t *mid,
    struct ios_taglist *t);
long iosmsg_build_subscribe_req(uint16_t mid, const void *tags, size_t len,
    uint8_t *out, size_t cap);

/* Iterate a comma-separated list without trimming ("a,,b" gives "a", "",
 * "b"). *pos starts at 0; returns false when done. */
bool iosmsg_taglist_next(const struct ios_taglist *t, size_t *pos,
    const uint8_t **tag, size_t *tag_len);

/* REQUEST (0xDE): an MBP pack with mid (u16), target (S), topic (S) and
 * MBA args. target and topic must be present and non-empty. */
struct ios_request {
	uint16_t mid;
	const uint8_t *target;
	size_t target_len;
	const uint8_t *topic;
	size_t topic_len;
	struct mbp_pack pack;	/* every field, pack.args for the arguments */
};
int iosmsg_parse_request(const uint8_t *m, size_t len, struct ios_request *r);

/* RESPONSE_MBP (0xDD): #type, status u8, mid u16 BE, optional body. A body
 * of type B, S, N (decimal text) or O (JSON text); body NULL = none. */
long iosmsg_build_response(uint8_t status, uint16_t mid,
    enum mbp_type body_type, const void *body, size_t body_len,
    uint8_t *out, size_t cap);
struct ios_response {
	uint8_t status;
	uint16_t mid;
	const struct mbp_field *body;	/* NULL when absent */
	struct mbp_pack pack;
};
int iosmsg_parse_response(const uint8_t *m, size_t len,
    struct ios_response *r);

/* Messages of one type byte and some bytes of text or JSON after it:
 * CID_RES (cid), IAM (nick), IAM_RES (JSON), SERVER_SIGNAL (JSON),
 * CLOSE (reason), ECHO (text). */
long iosmsg_build_bytes(uint8_t type, const void *data, size_t len,
    uint8_t *out, size_t cap);
/* QUOTA_LEVEL: c3 level. */
long iosmsg_build_quota_level(uint8_t level, uint8_t *out, size_t cap);

#endif
