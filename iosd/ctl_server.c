/*
 * ctl_server.c - the daemon's own commands: status, metrics, reload,
 * log-level and backup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "cluster.h"
#include "conn.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "version.h"

json_t *
ctl_metrics(struct server *srv)
{
	const struct metrics *m = &srv->m;
	json_t *o = json_object(), *conns = json_object(), *in = json_object();
	json_t *out = json_object(), *drops = json_object(), *q;

	for (int t = 0; t < TR_COUNT; t++) {
		q = json_object();
		json_object_set_new(q, "now", json_integer((json_int_t)m->conns_now[t]));
		json_object_set_new(q, "total", json_integer((json_int_t)m->conns_total[t]));
		json_object_set_new(conns, transport_name((enum transport)t), q);
	}
	for (int t = 0; t < 256; t++) {
		const char *name = iosmsg_name((uint8_t)t);
		char other[8];

		if (name == NULL) {
			snprintf(other, sizeof(other), "0x%02x", t);
			name = other;
		}
		if (m->msgs_in[t]) {
			q = json_object();
			json_object_set_new(q, "count", json_integer((json_int_t)m->msgs_in[t]));
			json_object_set_new(q, "bytes", json_integer((json_int_t)m->bytes_in[t]));
			json_object_set_new(in, name, q);
		}
		if (m->msgs_out[t]) {
			q = json_object();
			json_object_set_new(q, "count", json_integer((json_int_t)m->msgs_out[t]));
			json_object_set_new(q, "bytes", json_integer((json_int_t)m->bytes_out[t]));
			json_object_set_new(out, name, q);
		}
	}
	for (int r = 0; r < DROP_COUNT; r++)
		json_object_set_new(drops, drop_reason_name((enum drop_reason)r),
		    json_integer((json_int_t)m->drops[r]));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)
	    server_uptime_s(srv)));
	json_object_set_new(o, "connections", conns);
	json_object_set_new(o, "messages_in", in);
	json_object_set_new(o, "messages_out", out);
	json_object_set_new(o, "publishes", json_integer((json_int_t)m->publishes));
	json_object_set_new(o, "fanout_deliveries",
	    json_integer((json_int_t)m->fanout_deliveries));
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "channels", json_integer((json_int_t)m->channels));
	json_object_set_new(o, "subscriptions", json_integer((json_int_t)m->subscriptions));
	json_object_set_new(o, "retained", json_integer((json_int_t)m->retained));
	q = json_object();
	json_object_set_new(q, "ok", json_integer((json_int_t)m->auth_ok));
	json_object_set_new(q, "fail", json_integer((json_int_t)m->auth_fail));
	json_object_set_new(o, "auth", q);
	q = json_object();
	json_object_set_new(q, "oversize", json_integer((json_int_t)m->drops[DROP_OVERSIZE]));
	json_object_set_new(q, "rate", json_integer((json_int_t)m->drops[DROP_RATE]));
	json_object_set_new(q, "rate_closes", json_integer((json_int_t)m->rate_closes));
	json_object_set_new(q, "publish_capped",
	    json_integer((json_int_t)m->publish_capped));
	json_object_set_new(o, "quota", q);
	q = json_object();
	for (int r = ADMIT_OK + 1; r < ADMIT_COUNT; r++)
		json_object_set_new(q, admit_reason_name((enum admit_reason)r),
		    json_integer((json_int_t)admit_refused(srv,
		    (enum admit_reason)r)));
	json_object_set_new(q, "max_connections",
	    json_integer((json_int_t)admit_max_conns(srv)));
	json_object_set_new(o, "admission", q);
	json_object_set_new(o, "buffer_memory", json_pack("{s:I,s:I,s:I}",
	    "used", (json_int_t)srv->mem.used, "limit",
	    (json_int_t)srv->mem.limit, "closed",
	    (json_int_t)srv->mem.victims));
	return o;
}

void
ctl_cmd_status(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	json_t *o = json_object(), *ls = json_array(), *st = json_object();
	size_t clients = 0;

	(void)args;
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = &srv->listeners[i];
		json_t *j = json_object();
		char a[96];

		listener_addr_str(l, a, sizeof(a));
		*strrchr(a, ':') = '\0';
		/* The host alone: "::", not "[::]" (the port is apart). */
		if (a[0] == '[') {
			memmove(a, a + 1, strlen(a));
			a[strlen(a) - 1] = '\0';
		}
		json_object_set_new(j, "transport", json_string(transport_name(l->tr)));
		json_object_set_new(j, "address", json_string(a));
		json_object_set_new(j, "port", json_integer(listener_port(l)));
		json_array_append_new(ls, j);
	}
	for (struct conn *c = srv->conns; c; c = c->next)
		clients += c->state == CONN_OPEN;
	json_object_set_new(o, "version", json_string(IOSD_VERSION));
	json_object_set_new(o, "protocol", json_string(PROTO_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)
	    server_uptime_s(srv)));
	json_object_set_new(o, "started", json_integer((json_int_t)server_wall_of(srv,
	    srv->start_ms)));
	json_object_set_new(o, "listeners", ls);
	json_object_set_new(st, "backend", json_string(store_backend_name(srv->store)));
	json_object_set_new(st, "path", json_string(srv->opt.db_path));
	json_object_set_new(o, "store", st);
	json_object_set_new(o, "clients", json_integer((json_int_t)clients));
	json_object_set_new(o, "channels", json_integer((json_int_t)srv->m.channels));
	json_object_set_new(o, "control", ctl_status(srv));
	if (srv->cluster)
		json_object_set_new(o, "cluster", cluster_status(srv));
	ctl_ok(cl, id, o);
}

void
ctl_cmd_metrics(struct ctl_client *cl, json_int_t id, json_t *args)
{
	(void)args;
	ctl_ok(cl, id, ctl_metrics(ctl_server(cl)));
}

void
ctl_cmd_log_level(struct ctl_client *cl, json_int_t id, json_t *args)
{
	bool bad = false;
	const char *s = ctl_cmd_arg_str(cl, id, args, "level", true, &bad);
	enum log_level lvl;
	json_t *o;

	if (bad)
		return;
	if (log_level_parse(s, &lvl) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "level is error, warn, info or debug");
		return;
	}
	log_set_level(lvl);
	ctl_log_change(cl, "log-level", s);
	o = json_object();
	json_object_set_new(o, "level", json_string(s));
	ctl_ok(cl, id, o);
}

void
ctl_cmd_reload(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	const char *what[SERVER_RELOAD_MAX];
	size_t n = 0;
	json_t *done, *res;
	char err[512];

	(void)args;
	if (server_reload(srv, what, &n, err, sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "reload refused, nothing changed: "
		    "%s", err);
		return;
	}
	done = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(done, json_string(what[i]));
	ctl_log_change(cl, "reload", NULL);
	res = json_object();
	json_object_set_new(res, "reloaded", done);
	ctl_ok(cl, id, res);
}

/* ---- backup ---- */

struct backup_op {
	struct ctl_client *cl;
	json_int_t id;
	char path[];
};

static void
backup_done(void *arg, int rc, const char *err, int pages)
{
	struct backup_op *op = arg;
	json_t *o;

	if (rc < 0)
		ctl_error(op->cl, op->id, CTLMSG_E_STORE_ERROR, "backup %s: %s",
		    op->path, err);
	else {
		o = json_object();
		json_object_set_new(o, "path", json_string(op->path));
		json_object_set_new(o, "pages", json_integer(pages));
		log_info("backup: %s written (%d pages)", op->path, pages);
		ctl_ok(op->cl, op->id, o);
	}
	ctl_release(op->cl);
	free(op);
}

void
ctl_cmd_backup(struct ctl_client *cl, json_int_t id, json_t *args)
{
	struct server *srv = ctl_server(cl);
	bool bad = false;
	const char *path = ctl_cmd_arg_str(cl, id, args, "path", true, &bad);
	struct backup_op *op;
	char err[512];

	if (bad)
		return;
	if (path[0] != '/') {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "path must be absolute");
		return;
	}
	if ((op = calloc(1, sizeof(*op) + strlen(path) + 1)) == NULL) {
		ctl_error(cl, id, CTLMSG_E_INTERNAL, "out of memory");
		return;
	}
	strcpy(op->path, path);
	op->cl = ctl_hold(cl);
	op->id = id;
	ctl_log_change(cl, "backup", path);
	if (store_backup(srv->store, srv->loop, path, backup_done, op, err,
	    sizeof(err)) < 0) {
		ctl_error(cl, id, CTLMSG_E_BAD_ARGS, "backup: %s", err);
		ctl_release(cl);
		free(op);
	}
}
