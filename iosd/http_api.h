/*
 * http_api.h - the HTTP API on the WebSocket ports (doc/api.md), thin
 * adapters over admin.c as the control socket's commands are:
 *
 *   POST /api/publish                      publish scope
 *   POST /api/unicast                      publish scope
 *   GET  /api/clients?cid=&ssid=&...       read scope
 *   GET  /api/channels                     read scope
 *   GET  /api/channels/{tag}/subscribers   read scope
 *   POST /api/kick                         admin scope
 *
 * Requests carry "Authorization: Bearer TOKEN" (iosctl token create);
 * answers and errors are JSON, an error as {"error":{"code","message"}}.
 * http.c reads the request (http_request) and calls in here twice: the
 * head (route, method, token), then, for a POST, the whole body.
 */
#ifndef IOSD_HTTP_API_H
#define IOSD_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct http_req;

/* target is the API's: "/api" or under "/api/". */
bool http_api_path(const char *target);

enum http_api_next {
	HTTP_API_CLOSE,		/* answered; close after it */
	HTTP_API_KEEP,		/* answered; the connection stays */
	HTTP_API_BODY,		/* route and token good: read the body */
};

/* The head of a request to the API: answered (unknown route, method,
 * token or scope, or a GET), or its body is wanted. */
enum http_api_next http_api_head(struct conn *c, const struct http_req *r);
/* The whole body of a request http_api_head wanted: answered. */
void http_api_body(struct conn *c, const struct http_req *r,
    const uint8_t *body, size_t len);

/* An error answer, {"error":{"code":code,"message":message}}. */
void http_api_error(struct conn *c, int status, const char *code,
    const char *message, bool head, bool keep);

#endif
