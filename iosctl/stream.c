/*
 * stream.c - see stream.h.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payload.h"
#include "show.h"
#include "stream.h"

#define CANCEL_WAIT_MS	2000	/* for the answer to our cancel */

struct stream;
typedef void stream_print_fn(struct stream *, const json_t *ev);

struct stream {
	struct cmd_ctx	*ctx;
	stream_print_fn	*print;
	long long	 id;
	unsigned long	 lines;
	/* watch: the previous sample, for rates */
	bool		 have_prev;
	double		 t, in, in_b, out, out_b, pubs, drops;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
field(char *buf, size_t cap, const json_t *ev, const char *key)
{
	const char *s = jget_strdef(ev, key, NULL);

	if (s == NULL)
		return out_text(buf, cap, json_object_get(ev, key) ?
		    json_object_get(ev, key) : json_null());
	return out_clean(buf, cap, *s ? s : "-");
}

#define TRACE_FMT "%-12s %-9s %-4s %-10s %-8s %-12s %-16s %-6s %8s  %s\n"

static void
print_trace(struct stream *s, const json_t *ev)
{
	char tm[32], dir[32], tr[16], cid[64], dev[32], type[32], tag[256];
	char pt[16], len[32], text[320];
	double n;

	/* A header for a person, once; --json is for machines. */
	if (s->lines++ == 0)
		printf(TRACE_FMT, "TIME", "DIR", "TR", "CID", "DEVICE",
		    "TYPE", "TAG", "PTYPE", "LEN", "PAYLOAD");
	fmt_clock(tm, sizeof(tm), jget_num(ev, "t", 0), true);
	field(dir, sizeof(dir), ev, "dir");
	if ((n = jget_num(ev, "recipients", -1)) >= 0) {
		size_t l = strlen(dir);

		snprintf(dir + l, sizeof(dir) - l, "(%.0f)", n);
	}
	fmt_bytes(len, sizeof(len), jget_num(ev, "len", 0));
	printf(TRACE_FMT, tm, dir,
	    field(tr, sizeof(tr), ev, "transport"),
	    field(cid, sizeof(cid), ev, "cid"),
	    field(dev, sizeof(dev), ev, "device"),
	    field(type, sizeof(type), ev, "type"),
	    field(tag, sizeof(tag), ev, "tag"),
	    field(pt, sizeof(pt), ev, "ptype"), len,
	    payload_show(text, sizeof(text), ev));
}

static void
rate(char *buf, size_t cap, double d, double dt, bool nbytes)
{
	char v[32];

	if (dt <= 0)
		snprintf(buf, cap, "-");
	else if (nbytes)
		snprintf(buf, cap, "%s/s", fmt_bytes(v, sizeof(v), d / dt));
	else
		snprintf(buf, cap, "%s msg/s", fmt_count(v, sizeof(v),
		    d / dt));
}

#define WATCH_FMT "%-8s  %7s  %12s  %11s  %12s  %11s  %12s  %6s  %8s\n"

static void
print_watch(struct stream *s, const json_t *ev)
{
	const json_t *m = json_object_get(ev, "metrics"), *v;
	char tm[16], ri[32], rib[32], ro[32], rob[32], rp[32], dr[32];
	char cl[32], ch[32];
	double t, in, in_b, out, out_b, pubs, drops = 0, clients = 0, dt;
	const char *k;

	/* The sample is the event itself, or its "metrics" member. */
	if (!json_is_object(m))
		m = ev;
	if (s->lines++ == 0)
		printf(WATCH_FMT, "TIME", "CLIENTS", "IN", "IN", "OUT", "OUT",
		    "PUBLISHES", "DROPS", "CHANNELS");
	t = jget_num(ev, "t", -1) > 0 ? jget_num(ev, "t", 0) : now_s();
	show_msg_totals(m, "messages_in", &in, &in_b);
	show_msg_totals(m, "messages_out", &out, &out_b);
	pubs = jget_num(m, "publishes", 0);
	json_object_foreach(json_object_get(m, "drops"), k, v)
		drops += json_is_number(v) ? json_number_value(v) : 0;
	json_object_foreach(json_object_get(m, "connections"), k, v)
		clients += jget_num(v, "now", 0);
	dt = s->have_prev ? t - s->t : 0;
	rate(ri, sizeof(ri), in - s->in, dt, false);
	rate(rib, sizeof(rib), in_b - s->in_b, dt, true);
	rate(ro, sizeof(ro), out - s->out, dt, false);
	rate(rob, sizeof(rob), out_b - s->out_b, dt, true);
	rate(rp, sizeof(rp), pubs - s->pubs, dt, false);
	if (s->have_prev)
		snprintf(dr, sizeof(dr), "+%.0f", drops - s->drops);
	else
		snprintf(dr, sizeof(dr), "%.0f", drops);
	fmt_count(cl, sizeof(cl), clients);
	fmt_count(ch, sizeof(ch), jget_num(m, "channels", 0));
	printf(WATCH_FMT, fmt_clock(tm, sizeof(tm), jget_num(ev, "t", 0), false),
	    cl, ri, rib, ro, rob, rp, dr, ch);
	s->have_prev = true;
	s->t = t;
	s->in = in;
	s->in_b = in_b;
	s->out = out;
	s->out_b = out_b;
	s->pubs = pubs;
	s->drops = drops;
}

/* Asks the daemon to stop, and waits a little for it to say so. */
static void
cancel(struct stream *s)
{
	json_t *args = json_pack("{s:I}", "stream", (json_int_t)s->id), *m;
	long long cid;
	double until = now_s() + CANCEL_WAIT_MS / 1000.0;
	int rc;

	rc = ctl_send(s->ctx->ctl, CTLMSG_CMD_CANCEL, args, &cid);
	json_decref(args);
	while (rc == CTL_OK && now_s() < until) {
		rc = ctl_read(s->ctx->ctl, (int)((until - now_s()) * 1000) + 1,
		    NULL, &m);
		if (rc != CTL_OK)
			break;
		if (!ctlc_is_event(m) && ctlc_msg_id(m) == cid) {
			json_decref(m);
			break;
		}
		json_decref(m);
	}
}

static int
run(struct cmd_ctx *ctx, stream_print_fn *print)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct stream s = { .ctx = ctx, .print = print };
	const char *cv = cmd_val(ctx, "count"), *dv = cmd_val(ctx, "duration");
	long long count = cv ? strtoll(cv, NULL, 10) : 0, left;
	double until = dv ? now_s() + strtod(dv, NULL) : -1;
	struct sigaction sa;
	sigset_t block, waitmask;
	json_t *m;
	bool started = false, dropped;
	int rc, st = ST_OK;

	/* One line per event, as it comes, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((rc = cmd_connect(ctx)) != ST_OK)
		return rc;
	/*
	 * The signals that stop a stream are blocked except while waiting
	 * (ppoll), so none is lost between a check and the wait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&waitmask, sigs[i]);

	if ((rc = ctl_send(ctx->ctl, ctx->cmd->wire, ctx->args, &s.id)) !=
	    CTL_OK)
		return cmd_lost(ctx, rc);
	for (;;) {
		left = started ? -1 : ctx->timeout_ms;
		if (until >= 0) {
			/* Rounded up, so a timeout means the time is up. */
			long long d = (long long)((until - now_s()) * 1000) + 1;

			if (d < 0)
				d = 0;
			if (left < 0 || d < left)
				left = d;
		}
		rc = ctl_read(ctx->ctl, (int)left, &waitmask, &m);
		if (rc == CTL_EINTR)
			break;
		if (rc == CTL_ETIMEDOUT && until >= 0 && now_s() >= until)
			break;
		if (rc != CTL_OK)
			return cmd_lost(ctx, rc);
		if (ctlc_msg_id(m) != s.id) {
			json_decref(m);
			continue;
		}
		if (!ctlc_is_event(m)) {
			if (json_object_get(m, "error")) {
				st = cmd_refused(ctx, m);
				json_decref(m);
				return st;
			}
			started = true;
			json_decref(m);
			continue;
		}
		started = true;
		/* Decided before m (which holds the name) is released. */
		dropped = strcmp(jget_str(m, "event"), "dropped") == 0;
		if (ctx->json)
			out_json_line(m);
		else if (dropped)
			fail_note("%.0f events dropped: iosctl read too slowly",
			    jget_num(m, "count", 0));
		else
			print(&s, m);
		json_decref(m);
		if (ferror(stdout))	/* a reader gone, SIGPIPE ignored */
			break;
		if (!dropped && count > 0 && --count == 0)
			break;
	}
	cancel(&s);
	return st;
}

int
stream_trace(struct cmd_ctx *ctx)
{
	const char *type = cmd_val(ctx, "type");
	char up[64];
	size_t i;

	/* Message type names are upper case: signal means SIGNAL. */
	if (type && strlen(type) < sizeof(up)) {
		for (i = 0; type[i]; i++)
			up[i] = (char)toupper((unsigned char)type[i]);
		up[i] = '\0';
		json_object_set_new(ctx->args, "type", json_string(up));
	}
	return run(ctx, print_trace);
}

int
stream_watch(struct cmd_ctx *ctx)
{
	return run(ctx, print_watch);
}
