/*
 * payload.h - what a traced message carries, as the npm iosignal client
 * would see it. From the bytes of a trace event (doc/control.md: "hex",
 * the first 64 bytes, and "len"): a SIGNAL's tag and payload type are
 * skipped, TEXT shows as text (without the NUL the reference adds), OBJECT
 * and MJSON as JSON, BINARY, MBA and an E2E payload as hex; the messages
 * whose body is text or JSON (SERVER_SIGNAL, CID_RES, ...) likewise, any
 * other as hex. A message longer than the bytes the event holds ends in
 * " (+N bytes)". Safe for a terminal.
 */
#ifndef IOSCTL_PAYLOAD_H
#define IOSCTL_PAYLOAD_H

#include <stddef.h>

#include <jansson.h>

/* "" when the message carries nothing. Returns buf. */
char *payload_show(char *buf, size_t cap, const json_t *ev);

#endif
