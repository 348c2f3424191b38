/*
 * connshow.h - how iosctl connect shows what it receives: a signal's
 * payload as the npm iosignal client hands it to its listeners (TEXT as
 * a string, OBJECT and MJSON as JSON, BINARY as a Buffer, MBA as the
 * unpacked arguments), for a person (one line, safe for a terminal) or
 * as a JSON value (--json); and the npm client's quota table, which
 * QUOTA_LEVEL names an entry of.
 */
#ifndef IOSCTL_CONNSHOW_H
#define IOSCTL_CONNSHOW_H

#include <jansson.h>

#include "ioclient.h"

/* The payload for a person: "" when there is none. Free it. */
char *connshow_payload(const struct ioc_signal *s);
/*
 * The payload as members of a JSON event: "type" (empty, text, binary,
 * object, mjson, mba, e2e, or the number of an unknown one) and "data":
 * null, a string, hex for bytes, the JSON value, the array of MBA
 * arguments (bytes in them as {"hex": ...}); "hex" instead of "data"
 * when the bytes are not what their type says.
 */
void connshow_payload_json(const struct ioc_signal *s, json_t *ev);

/* The npm client's quotaTable[level] as its JSON.stringify shows it,
 * or NULL for a level it does not have. */
const char *connshow_quota(int level);

/* The bytes of a tag, a CID or a reason, safe for a terminal. Free it. */
char *connshow_clean(const char *s, size_t len);

#endif
