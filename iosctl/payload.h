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
#include <stdint.h>

#include <jansson.h>

/* "" when the message carries nothing. Returns buf. */
char *payload_show(char *buf, size_t cap, const json_t *ev);

/*
 * One SIGNAL payload of type ptype (IOS_PAYLOAD_*), all n bytes of it,
 * shown the same way (iosctl connect): TEXT as text without its closing
 * NUL, OBJECT and MJSON as compact JSON, EMPTY as "", the rest as hex.
 * A piece that does not fit in cap is left out: give 6 * n + 16.
 */
char *payload_format(char *buf, size_t cap, uint8_t ptype, const uint8_t *p,
    size_t n);

#endif
