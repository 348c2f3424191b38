/*
 * http.h - plain HTTP on the WebSocket ports, for monitoring: GET
 * /metrics (Prometheus text exposition) and GET /healthz (JSON, 200 or
 * 503). wsock.c parses the request with the same size and time limits as
 * an upgrade and hands over the ones that ask for no upgrade.
 */
#ifndef IOSD_HTTP_H
#define IOSD_HTTP_H

#include <stdbool.h>

struct conn;

/* Queues the answer to one request. keep: the connection stays open for
 * another (HTTP/1.1 keep-alive); otherwise it is closed after the answer.
 * Returns keep, or false when the answer ends the connection. */
bool http_serve(struct conn *c, const char *method, const char *target,
    bool keep);

#endif
