/*
 * trace.c - see trace.h. One event object is built per message and shared
 * by every subscriber whose filter matches.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "server.h"
#include "trace.h"

#define TRACE_BYTES 64		/* bytes of a message shown in an event */

struct trace_sub {
	struct trace_sub *next;
	struct trace_filter f;
	trace_emit_fn *emit;
	void *ctx;
};

struct trace_sub *
trace_attach(struct server *srv, const struct trace_filter *f,
    trace_emit_fn *emit, void *ctx)
{
	struct trace_sub *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->f = *f;
	t->emit = emit;
	t->ctx = ctx;
	t->next = srv->traces;
	srv->traces = t;
	srv->ntraces++;
	return t;
}

void
trace_detach(struct server *srv, struct trace_sub *t)
{
	for (struct trace_sub **p = &srv->traces; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			srv->ntraces--;
			free(t);
			return;
		}
}

/* The tag of a SIGNAL / SIGNAL_E2E as a C string, "" otherwise. */
static void
tag_of(const uint8_t *m, size_t len, char *out, size_t cap, int *ptype)
{
	struct ios_signal s;

	out[0] = '\0';
	*ptype = -1;
	if (iosmsg_parse_signal(m, len, &s) < 0 || s.tag_len >= cap)
		return;
	memcpy(out, s.tag, s.tag_len);
	out[s.tag_len] = '\0';
	if (s.has_ptype)
		*ptype = s.ptype;
}

static bool
matches(const struct trace_filter *f, const struct conn *c, enum trace_dir d,
    uint8_t type, const char *tag)
{
	if (f->dirs && !(f->dirs & (int)d))
		return false;
	if (f->type >= 0 && f->type != type)
		return false;
	if (f->transport >= 0 && (c == NULL || (int)c->tr != f->transport))
		return false;
	if (f->cid[0] && (c == NULL || strcmp(f->cid, c->s->cid) != 0))
		return false;
	if (f->ssid && (c == NULL || c->ssid != f->ssid))
		return false;
	if (f->device[0] && (c == NULL || strcmp(f->device, c->s->did) != 0))
		return false;
	if (f->tag[0] && fnmatch(f->tag, tag, 0) != 0)
		return false;
	return true;
}

static json_t *
event(const struct server *srv, const struct conn *c, enum trace_dir d,
    const uint8_t *m, size_t len, const char *tag, int ptype)
{
	static const char hexd[] = "0123456789abcdef";
	static const char *const dirs[] = { [TRACE_IN] = "in",
	    [TRACE_ROUTE] = "route", [TRACE_OUT] = "out" };
	char hex[2 * TRACE_BYTES + 1], text[TRACE_BYTES + 1];
	size_t n = len < TRACE_BYTES ? len : TRACE_BYTES;
	const char *name = iosmsg_name(m[0]);
	json_t *e = json_object();

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexd[m[i] >> 4];
		hex[2 * i + 1] = hexd[m[i] & 15];
		text[i] = m[i] >= 0x20 && m[i] < 0x7f ? (char)m[i] : '.';
	}
	hex[2 * n] = text[n] = '\0';
	json_object_set_new(e, "t", json_real(ev_now(srv->loop)));
	if (c) {
		json_object_set_new(e, "ssid", json_integer(c->ssid));
		json_object_set_new(e, "cid", json_string(c->s->cid));
		if (c->s->did[0])
			json_object_set_new(e, "device", json_string(c->s->did));
		json_object_set_new(e, "transport",
		    json_string(transport_name(c->tr)));
	}
	json_object_set_new(e, "dir", json_string(dirs[d]));
	json_object_set_new(e, "type", json_string(name ? name : "?"));
	if (tag[0])
		json_object_set_new(e, "tag", json_string(tag));
	if (ptype >= 0 && iosmsg_payload_name((uint8_t)ptype))
		json_object_set_new(e, "ptype",
		    json_string(iosmsg_payload_name((uint8_t)ptype)));
	json_object_set_new(e, "len", json_integer((json_int_t)len));
	json_object_set_new(e, "hex", json_string(hex));
	json_object_set_new(e, "text", json_string(text));
	return e;
}

static void
tap(struct server *srv, const struct conn *c, enum trace_dir d,
    const uint8_t *m, size_t len, long recipients)
{
	char tag[256];
	int ptype;
	json_t *e = NULL;
	struct trace_sub *t, *next;

	if (len == 0)
		return;
	tag_of(m, len, tag, sizeof(tag), &ptype);
	for (t = srv->traces; t; t = next) {
		next = t->next;		/* an emit may detach its own sub */
		if (!matches(&t->f, c, d, m[0], tag))
			continue;
		if (e == NULL) {
			e = event(srv, c, d, m, len, tag, ptype);
			if (recipients >= 0)
				json_object_set_new(e, "recipients",
				    json_integer(recipients));
		}
		t->emit(t->ctx, e);
	}
	json_decref(e);
}

void
trace_fanout(struct server *srv, struct conn *const *to, size_t n,
    const struct conn *from, const uint8_t *m, size_t len)
{
	char tag[256];
	int ptype;
	struct trace_sub *t, *next;

	if (len == 0)
		return;
	tag_of(m, len, tag, sizeof(tag), &ptype);
	for (t = srv->traces; t; t = next) {
		const struct trace_filter *f = &t->f;

		next = t->next;
		/* What every recipient shares is checked once. */
		if ((f->dirs && !(f->dirs & TRACE_OUT)) ||
		    (f->type >= 0 && f->type != m[0]) ||
		    (f->tag[0] && fnmatch(f->tag, tag, 0) != 0))
			continue;
		for (size_t i = 0; i < n; i++) {
			json_t *e;

			if (to[i] == from ||
			    !matches(f, to[i], TRACE_OUT, m[0], tag))
				continue;
			e = event(srv, to[i], TRACE_OUT, m, len, tag, ptype);
			t->emit(t->ctx, e);
			json_decref(e);
		}
	}
}

void
trace_in(struct server *srv, const struct conn *c, const uint8_t *m,
    size_t len)
{
	tap(srv, c, TRACE_IN, m, len, -1);
}

void
trace_out(struct server *srv, const struct conn *c, const uint8_t *m,
    size_t len)
{
	tap(srv, c, TRACE_OUT, m, len, -1);
}

void
trace_route(struct server *srv, const struct conn *from, const uint8_t *m,
    size_t len, size_t recipients)
{
	tap(srv, from, TRACE_ROUTE, m, len, (long)recipients);
}
