/*
 * api.h - REQUEST -> RESPONSE_MBP: the built-in "reply" API (echo, date,
 * unixtime). An unknown target or topic answers status 255 at once.
 */
#ifndef IOSD_API_H
#define IOSD_API_H

#include <stddef.h>
#include <stdint.h>

struct conn;

void api_request(struct conn *c, const uint8_t *m, size_t len);

#endif
