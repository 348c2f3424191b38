/*
 * http.c - see http.h. The exposition follows Prometheus' text format
 * 0.0.4: every family has HELP and TYPE, counters end in _total, units
 * are seconds and bytes; promtool check metrics accepts it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bufmem.h"
#include "cluster.h"
#include "conn.h"
#include "ctl.h"
#include "http.h"
#include "http_api.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "version.h"

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample(FILE *f, const char *name, const char *labels, double v)
{
	char num[40];

	/* Counters exactly; fractions of seconds to the microsecond. */
	if (v == (double)(long long)v && v < 9007199254740992.0)
		snprintf(num, sizeof(num), "%lld", (long long)v);
	else
		snprintf(num, sizeof(num), "%.6f", v);
	if (labels && *labels)
		fprintf(f, "%s{%s} %s\n", name, labels, num);
	else
		fprintf(f, "%s %s\n", name, num);
}

/* One family of per-type counters: messages and bytes by message type. */
static void
by_type(FILE *f, const char *name, const char *help, const uint64_t *v)
{
	char lab[32];

	family(f, name, "counter", help);
	for (int t = 0; t < 256; t++) {
		const char *n = iosmsg_name((uint8_t)t);

		if (v[t] == 0)
			continue;
		if (n)
			snprintf(lab, sizeof(lab), "type=\"%s\"", n);
		else
			snprintf(lab, sizeof(lab), "type=\"0x%02x\"", t);
		sample(f, name, lab, (double)v[t]);
	}
}

static void
exposition(struct server *srv, FILE *f)
{
	const struct metrics *m = &srv->m;
	uint64_t logged[TR_COUNT] = { 0 }, anon[TR_COUNT] = { 0 }, n;
	uint64_t batches, lost;
	size_t pending;
	double sum, max;
	char lab[96];

	for (const struct conn *c = srv->conns; c; c = c->next)
		if (c->state == CONN_OPEN) {
			if (c->s->boho.authorized)
				logged[c->tr]++;
			else
				anon[c->tr]++;
		}
	family(f, "iosd_build_info", "gauge", "The iosd version and the "
	    "IOSignal protocol it speaks.");
	snprintf(lab, sizeof(lab), "version=\"%s\",protocol=\"%s\"",
	    IOSD_VERSION, PROTO_VERSION);
	sample(f, "iosd_build_info", lab, 1);
	family(f, "iosd_start_time_seconds", "gauge",
	    "When the daemon started, in Unix seconds.");
	sample(f, "iosd_start_time_seconds", NULL,
	    (double)server_wall_of(srv, srv->start_ms));
	family(f, "iosd_uptime_seconds", "gauge", "Seconds since start.");
	sample(f, "iosd_uptime_seconds", NULL,
	    (double)server_uptime_s(srv));

	family(f, "iosd_connections", "gauge",
	    "Open client connections by transport and login state.");
	for (int t = 0; t < TR_COUNT; t++) {
		snprintf(lab, sizeof(lab), "transport=\"%s\",auth=\"logged_in\"",
		    transport_name((enum transport)t));
		sample(f, "iosd_connections", lab, (double)logged[t]);
		snprintf(lab, sizeof(lab), "transport=\"%s\",auth=\"anonymous\"",
		    transport_name((enum transport)t));
		sample(f, "iosd_connections", lab, (double)anon[t]);
	}
	family(f, "iosd_connections_accepted_total", "counter",
	    "Client connections accepted, by transport.");
	for (int t = 0; t < TR_COUNT; t++) {
		snprintf(lab, sizeof(lab), "transport=\"%s\"",
		    transport_name((enum transport)t));
		sample(f, "iosd_connections_accepted_total", lab,
		    (double)m->conns_total[t]);
	}
	by_type(f, "iosd_messages_received_total",
	    "Messages received from clients, by message type.", m->msgs_in);
	by_type(f, "iosd_received_bytes_total",
	    "Bytes of messages received from clients, by message type.",
	    m->bytes_in);
	by_type(f, "iosd_messages_sent_total",
	    "Messages sent to clients, by message type.", m->msgs_out);
	by_type(f, "iosd_sent_bytes_total",
	    "Bytes of messages sent to clients, by message type.",
	    m->bytes_out);
	family(f, "iosd_publishes_total", "counter",
	    "Signals published to channels.");
	sample(f, "iosd_publishes_total", NULL, (double)m->publishes);
	family(f, "iosd_fanout_deliveries_total", "counter",
	    "Copies of published signals delivered to subscribers.");
	sample(f, "iosd_fanout_deliveries_total", NULL,
	    (double)m->fanout_deliveries);
	family(f, "iosd_drops_total", "counter",
	    "Messages or connections dropped, by reason.");
	for (int r = 0; r < DROP_COUNT; r++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"",
		    drop_reason_name((enum drop_reason)r));
		sample(f, "iosd_drops_total", lab, (double)m->drops[r]);
	}
	family(f, "iosd_logins_total", "counter", "Boho logins by result.");
	sample(f, "iosd_logins_total", "result=\"ok\"", (double)m->auth_ok);
	sample(f, "iosd_logins_total", "result=\"fail\"", (double)m->auth_fail);
	family(f, "iosd_quota_violations_total", "counter",
	    "Messages over a level's quota, by quota.");
	sample(f, "iosd_quota_violations_total", "quota=\"signal_size\"",
	    (double)m->drops[DROP_OVERSIZE]);
	sample(f, "iosd_quota_violations_total", "quota=\"traffic_rate\"",
	    (double)m->drops[DROP_RATE]);
	sample(f, "iosd_quota_violations_total", "quota=\"publish_counter\"",
	    (double)m->publish_capped);
	family(f, "iosd_quota_closes_total", "counter",
	    "Clients closed for staying over their trafficRate.");
	sample(f, "iosd_quota_closes_total", "quota=\"traffic_rate\"",
	    (double)m->rate_closes);
	family(f, "iosd_admission_refused_total", "counter",
	    "Connections refused at accept, by the limit that refused them.");
	for (int r = ADMIT_OK + 1; r < ADMIT_COUNT; r++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"",
		    admit_reason_name((enum admit_reason)r));
		sample(f, "iosd_admission_refused_total", lab,
		    (double)admit_refused(srv, (enum admit_reason)r));
	}
	family(f, "iosd_connections_limit", "gauge",
	    "--max-connections, after the descriptor limit.");
	sample(f, "iosd_connections_limit", NULL,
	    (double)admit_max_conns(srv));
	family(f, "iosd_buffer_memory_bytes", "gauge",
	    "Partial messages and send queues held for clients.");
	sample(f, "iosd_buffer_memory_bytes", NULL, (double)srv->mem.used);
	family(f, "iosd_buffer_memory_limit_bytes", "gauge",
	    "--max-buffer-memory.");
	sample(f, "iosd_buffer_memory_limit_bytes", NULL,
	    (double)srv->mem.limit);
	family(f, "iosd_log_suppressed_total", "counter",
	    "Log lines held back by the rate limit, by category.");
	for (int k = 0; k < LC_COUNT; k++) {
		snprintf(lab, sizeof(lab), "category=\"%s\"",
		    log_cat_name((enum log_cat)k));
		sample(f, "iosd_log_suppressed_total", lab,
		    (double)log_suppressed((enum log_cat)k));
	}
	family(f, "iosd_channels", "gauge", "Channels in the router.");
	sample(f, "iosd_channels", NULL, (double)m->channels);
	family(f, "iosd_subscriptions", "gauge", "Channel subscriptions.");
	sample(f, "iosd_subscriptions", NULL, (double)m->subscriptions);
	family(f, "iosd_retained_signals", "gauge", "Retained signals held.");
	sample(f, "iosd_retained_signals", NULL, (double)m->retained);
	store_latency(srv->store, &n, &sum, &max);
	snprintf(lab, sizeof(lab), "backend=\"%s\"",
	    store_backend_name(srv->store));
	family(f, "iosd_store_lookup_duration_seconds", "summary",
	    "Device lookups in the store, from request to answer.");
	fprintf(f, "iosd_store_lookup_duration_seconds_sum{%s} %.9f\n", lab,
	    sum);
	fprintf(f, "iosd_store_lookup_duration_seconds_count{%s} %llu\n", lab,
	    (unsigned long long)n);
	family(f, "iosd_store_lookup_max_seconds", "gauge",
	    "The longest device lookup so far.");
	sample(f, "iosd_store_lookup_max_seconds", lab, max);
	family(f, "iosd_store_up", "gauge",
	    "1 when the store answers a query and its backend is connected.");
	sample(f, "iosd_store_up", lab, store_ping(srv->store) ? 1 : 0);
	store_behind_stats(srv->store, &batches, &lost, &pending);
	family(f, "iosd_store_batches_total", "counter", "Transactions of "
	    "written-behind writes (retained signals, login counters).");
	sample(f, "iosd_store_batches_total", NULL, (double)batches);
	family(f, "iosd_store_batch_lost_total", "counter",
	    "Written-behind writes lost to a failed transaction.");
	sample(f, "iosd_store_batch_lost_total", NULL, (double)lost);
	family(f, "iosd_store_pending_writes", "gauge",
	    "Writes waiting for the next batch.");
	sample(f, "iosd_store_pending_writes", NULL, (double)pending);
	cluster_metrics(srv, f);
}

void
http_respond(struct conn *c, int status, const char *reason, const char *ctype,
    const char *body, size_t blen, bool head, bool keep, const char *extra)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: %s\r\n%s\r\n", status, reason, ctype, blen,
	    keep ? "keep-alive" : "close", extra ? extra : "");
	conn_send_raw(c, hdr, (size_t)n);
	if (!head && blen)
		conn_send_raw(c, body, blen);
}

static void
text(struct conn *c, int status, const char *reason, bool head, bool keep,
    const char *extra)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%s\n", reason);

	http_respond(c, status, reason, "text/plain; charset=utf-8", body,
	    (size_t)n, head, keep, extra);
}

/* The peer's own address (not X-Forwarded-For): who may scrape. */
static bool
metrics_allowed(const struct conn *c)
{
	const struct sockaddr *sa = (const struct sockaddr *)&c->peer;

	if (sa->sa_family == AF_INET)
		return options_metrics_allowed(&c->srv->opt, AF_INET,
		    (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return options_metrics_allowed(&c->srv->opt, AF_INET6,
		    (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

/* A request outside /api/: /metrics, /healthz, or an error. */
static bool
http_serve(struct conn *c, const char *method, const char *target,
    bool keep)
{
	struct server *srv = c->srv;
	bool head = strcmp(method, "HEAD") == 0;
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	char *body = NULL;
	size_t blen = 0;
	FILE *f;

	if (plen == 8 && strncmp(target, "/metrics", 8) == 0) {
		if (!head && strcmp(method, "GET") != 0) {
			text(c, 405, "Method Not Allowed", false, keep,
			    "Allow: GET, HEAD\r\n");
			return keep;
		}
		if (!srv->opt.metrics) {
			text(c, 404, "Not Found", head, keep, NULL);
			return keep;
		}
		if (!metrics_allowed(c)) {
			log_info("conn=%u addr=%s GET /metrics refused "
			    "(--metrics-allow)", c->ssid, c->ip);
			text(c, 403, "Forbidden", head, keep, NULL);
			return keep;
		}
		if ((f = open_memstream(&body, &blen)) == NULL) {
			text(c, 500, "Internal Server Error", head, false, NULL);
			return false;
		}
		exposition(srv, f);
		fclose(f);
		http_respond(c, 200, "OK", "text/plain; version=0.0.4; "
		    "charset=utf-8", body, blen, head, keep, NULL);
		free(body);
		return keep;
	}
	if (plen == 8 && strncmp(target, "/healthz", 8) == 0) {
		bool up = store_ping(srv->store);
		char js[256];
		int n;

		if (!head && strcmp(method, "GET") != 0) {
			text(c, 405, "Method Not Allowed", false, keep,
			    "Allow: GET, HEAD\r\n");
			return keep;
		}
		/* Answering at all shows the loop runs; the store must too. */
		n = snprintf(js, sizeof(js), "{\"status\":\"%s\",\"version\":"
		    "\"%s\",\"uptime_s\":%llu,\"store\":{\"backend\":\"%s\","
		    "\"up\":%s}}\n", up ? "ok" : "unavailable", IOSD_VERSION,
		    (unsigned long long)server_uptime_s(srv), store_backend_name(srv->store), up ? "true" :
		    "false");
		http_respond(c, up ? 200 : 503, up ? "OK" : "Service Unavailable",
		    "application/json", js, (size_t)n, head, keep, NULL);
		return keep;
	}
	if (strcmp(method, "GET") != 0 && !head) {
		text(c, 405, "Method Not Allowed", false, keep,
		    "Allow: GET, HEAD\r\n");
		return keep;
	}
	if (plen == 1 && target[0] == '/') {
		/* The WebSocket endpoint itself, asked without an upgrade. */
		text(c, 426, "Upgrade Required", head, keep,
		    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
		return keep;
	}
	text(c, 404, "Not Found", head, keep, NULL);
	return keep;
}

/* ---- the HTTP API's way in: headers and a bounded body ---- */

struct http_body {
	struct http_req r;	/* its strings in strs */
	char *strs;
	uint8_t *buf;
	size_t want, have;	/* bytes of the body: Content-Length, read */
};

void
http_body_free(struct conn *c, struct http_body *b)
{
	if (b == NULL)
		return;
	if (b->buf)
		bufmem_shrink(c->srv, c, b->want);
	free(b->buf);
	free(b->strs);
	free(b);
}

/* The whole body is here: the API answers, and the connection closes. */
static enum http_next
body_done(struct conn *c, struct http_body **body)
{
	struct http_body *b = *body;

	*body = NULL;
	b->r.keep = false;
	http_api_body(c, &b->r, b->buf, b->have);
	http_body_free(c, b);
	return HTTP_CLOSE;
}

/* Copy what a request keeps while its body comes. */
static struct http_body *
body_new(const struct http_req *r)
{
	const char *v[3] = { r->method, r->target, r->authorization };
	struct http_body *b = calloc(1, sizeof(*b));
	size_t n = 0, off = 0, l;
	const char **dst[3];

	if (b == NULL)
		return NULL;
	for (int i = 0; i < 3; i++)
		n += v[i] ? strlen(v[i]) + 1 : 0;
	if ((b->strs = malloc(n ? n : 1)) == NULL) {
		free(b);
		return NULL;
	}
	b->r = *r;
	b->r.content_length = b->r.transfer_encoding = NULL;
	dst[0] = &b->r.method;
	dst[1] = &b->r.target;
	dst[2] = &b->r.authorization;
	for (int i = 0; i < 3; i++) {
		if (v[i] == NULL)
			continue;
		l = strlen(v[i]) + 1;
		memcpy(b->strs + off, v[i], l);
		*dst[i] = b->strs + off;
		off += l;
	}
	return b;
}

enum http_next
http_request(struct conn *c, const struct http_req *r, const uint8_t *early,
    size_t elen, struct http_body **body)
{
	struct http_body *b;
	unsigned long long len;
	char *end;

	*body = NULL;
	if (!http_api_path(r->target))
		return http_serve(c, r->method, r->target, r->keep) ?
		    HTTP_KEEP : HTTP_CLOSE;
	switch (http_api_head(c, r)) {
	case HTTP_API_KEEP:
		return HTTP_KEEP;
	case HTTP_API_CLOSE:
		return HTTP_CLOSE;
	case HTTP_API_BODY:
		break;
	}
	/* The body: Content-Length only, within the limit. */
	if (r->transfer_encoding) {
		http_api_error(c, 411, "length_required", "send the body with "
		    "a Content-Length (no Transfer-Encoding)", false, false);
		return HTTP_CLOSE;
	}
	if (r->content_length == NULL) {
		http_api_error(c, 411, "length_required", "a Content-Length is "
		    "required", false, false);
		return HTTP_CLOSE;
	}
	errno = 0;
	len = strtoull(r->content_length, &end, 10);
	if (*r->content_length < '0' || *r->content_length > '9' || *end ||
	    errno) {
		http_api_error(c, 400, "bad_request", "Content-Length is not a "
		    "number", false, false);
		return HTTP_CLOSE;
	}
	if (len > HTTP_BODY_MAX) {
		char m[80];

		snprintf(m, sizeof(m), "the body is over %d bytes",
		    HTTP_BODY_MAX);
		http_api_error(c, 413, "too_large", m, false, false);
		return HTTP_CLOSE;
	}
	if ((b = body_new(r)) == NULL) {
		http_api_error(c, 503, "internal", "out of memory", false,
		    false);
		return HTTP_CLOSE;
	}
	b->want = (size_t)len;
	/* Charged to the budget as the handshake buffer is. */
	if (b->want && !bufmem_grow(c->srv, c, b->want)) {
		http_body_free(c, b);
		return HTTP_CLOSE;
	}
	if (b->want && (b->buf = malloc(b->want)) == NULL) {
		bufmem_shrink(c->srv, c, b->want);
		http_body_free(c, b);
		http_api_error(c, 503, "internal", "out of memory", false,
		    false);
		return HTTP_CLOSE;
	}
	/* What came with the head; anything past the body is not read (the
	 * connection closes after the answer). */
	b->have = elen < b->want ? elen : b->want;
	if (b->have)
		memcpy(b->buf, early, b->have);
	*body = b;
	if (b->have == b->want)
		return body_done(c, body);
	return HTTP_BODY;
}

enum http_next
http_body_read(struct conn *c, struct http_body **body)
{
	struct http_body *b = *body;
	ssize_t n;

	n = conn_read(c, b->buf + b->have, b->want - b->have);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		c->eof = true;
		*body = NULL;
		http_body_free(c, b);
		conn_close(c, false, 0, "closed during an HTTP request body");
		return HTTP_CLOSE;
	}
	if (n < 0)
		return HTTP_BODY;
	c->rx_bytes += (uint64_t)n;
	b->have += (size_t)n;
	if (b->have < b->want)
		return HTTP_BODY;
	return body_done(c, body);
}
