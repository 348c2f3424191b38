/*
 * http.h - plain HTTP on the WebSocket ports, for monitoring: GET
 * /metrics (Prometheus text exposition) and GET /healthz (JSON, 200 or
 * 503), and the HTTP API under /api/ (http_api.h). net_ws.c parses the
 * request with the same size and time limits as an upgrade and hands over
 * the ones that ask for no upgrade.
 */
#ifndef IOSD_HTTP_H
#define IOSD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

/*
 * Answers one request that asked for no upgrade: /metrics, /healthz, and
 * the HTTP API (/api/, http_api.h) with the headers it reads and its
 * body. keep: HTTP/1.1 keep-alive. A request whose body is wanted (a POST to /api/) is read as it
 * arrives, bounded by HTTP_BODY_MAX (413 past it) and by the handshake
 * deadline the transport keeps running; the connection closes after the
 * answer to a request that had a body.
 */
#define HTTP_BODY_MAX	(64 * 1024)	/* bytes of a request body */

struct http_req {
	const char *method, *target;
	/* headers as sent, NULL when absent */
	const char *authorization;
	const char *content_length, *transfer_encoding;
	bool keep;			/* HTTP/1.1 keep-alive: another may follow */
};

enum http_next {
	HTTP_CLOSE,		/* answered: close after the answer */
	HTTP_KEEP,		/* answered: wait for the next request */
	HTTP_BODY,		/* not yet: *body waits for the rest */
};

struct http_body;

/*
 * A request's head. early, elen: the bytes read past the head already
 * (the start of its body). HTTP_BODY: *body holds the request (strings
 * copied) until http_body_read has read the rest; the transport calls it
 * whenever the socket is readable, and http_body_free when it goes.
 */
enum http_next http_request(struct conn *c, const struct http_req *r,
    const uint8_t *early, size_t elen, struct http_body **body);
/* Read what has arrived of *body (conn_read): HTTP_BODY while more is to
 * come, else answered and *body freed (HTTP_CLOSE). */
enum http_next http_body_read(struct conn *c, struct http_body **body);
void http_body_free(struct conn *c, struct http_body *b);

/* One answer: status line, the headers, body (not for HEAD). extra: more
 * header lines, each ending in CRLF, or NULL. */
void http_respond(struct conn *c, int status, const char *reason,
    const char *ctype, const char *body, size_t blen, bool head, bool keep,
    const char *extra);

#endif
