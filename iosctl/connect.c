/*
 * connect.c - iosctl connect (connect.h): its options, the poll loop
 * that serves standard input and the connection together, the
 * dot-commands, what it prints (the reference io-client's lines, or
 * --json events), reconnection with backoff, and the exit status.
 *
 * Interactive when standard input is a terminal: libedit's readline
 * interface in callback mode (rl_callback_read_char when poll says a
 * key came), a line run as soon as it is entered. Otherwise commands are
 * read from standard input and each waits until the client is ready
 * (connected, logged in, with its CID), so a script runs in order; the
 * end of input ends the session once they have all been sent.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#include "connect.h"
#include "connshow.h"
#include "ioclient.h"
#include "iosmsg.h"

#define PROMPT		"> "
#define IN_MAX		(1u << 20)	/* unread input held, at most */
#define BACKOFF_MS	500		/* the first reconnection's delay */
#define BACKOFF_MAX_MS	30000
#define HISTORY_MAX	1000

#define COLOR_CONTROL	"\033[33m"
#define COLOR_INCOMING	"\033[32m"
#define COLOR_ERROR	"\033[31m"
#define COLOR_OFF	"\033[39m"

const struct cmd_arg connect_args[] = {
	{ NULL, "URL", NULL, ARG_STR, 0, 0, ARG_OPTIONAL,
	    "ws://, wss://, cong://HOST:PORT; HOST:PORT is ws" },
	{ "id", "ID", NULL, ARG_STR, 0, 0, 0,
	    "-i: log in as this device (with -k)" },
	{ "key", "KEY", NULL, ARG_STR, 0, 0, 0, "-k: the device's key" },
	{ "auth", "ID.KEY", NULL, ARG_STR, 0, 0, 0, "-a: the two in one" },
	{ "join", "CHANNEL", NULL, ARG_STR, 0, 0, 0,
	    "-j: subscribe at connection (a,b: several)" },
	{ "timeout", "MS", NULL, ARG_INT, 0, 0, 0,
	    "-t: ping when quiet MS, give up after 2*MS" },
	{ "json", NULL, NULL, ARG_TRUE, 0, 0, 0,
	    "every event and signal as a JSON line" },
	{ "ca", "FILE", NULL, ARG_STR, 0, 0, 0,
	    "wss: trust the CA certificates of FILE" },
	{ "insecure", NULL, NULL, ARG_TRUE, 0, 0, 0,
	    "wss: no check of the server's certificate" },
	{ "no-reconnect", NULL, NULL, ARG_TRUE, 0, 0, 0,
	    "exit (3) when the connection is lost" },
	{ "retries", "N", NULL, ARG_INT, 0, 0, 0,
	    "exit (3) after N failed reconnections" },
	{ "count", "N", NULL, ARG_INT, 0, 0, 0,
	    "exit after receiving N signals" },
	{ "duration", "S", NULL, ARG_NUM, 0, 0, 0, "exit after S seconds" },
	{ NULL, NULL, NULL, ARG_STR, 0, 0, 0, NULL }
};

const char connect_help[] =
    "An IOSignal client on a listener, as the reference's io-client\n"
    "(default URL ws://localhost:7777). Dot-commands (.help lists all):\n"
    "  .sig TAG [TEXT] (.signal .pub .publish; TAG CID@[topic]: unicast)\n"
    "  .sub TAGS (.subscribe .listen)  .unsub [TAGS]  .json TAG JSON\n"
    "  .bin TAG HEX  .ping  .pong  .id  .iam [NAME]  .login ID KEY (.auth)\n"
    "  .open [URL] (.connect)  .close  .quit (.exit)\n"
    "Standard input not a terminal: commands from it, each once the\n"
    "client is ready; its end closes the session.\n"
    "Exit status: 0 quit, end of input, --count, --duration, a signal;\n"
    "1 login refused; 2 usage; 3 cannot connect, or lost for good.";

struct cx {
	struct cmd_ctx	*ctx;
	struct ioc	 io;
	struct nc_url	 url;
	struct nc_tls	 tls;
	bool		 json, interactive, color;
	int		 ping_ms;	/* -t */
	bool		 reconnect;
	long		 retries;	/* 0: for ever */
	long		 count_max;
	double		 duration;
	int64_t		 end_at;	/* --duration, or -1 */
	long		 received;
	/* the connection */
	bool		 opened;	/* this one reached NC_EV_OPEN */
	bool		 explicit_open;	/* the first, or .open: no retry */
	bool		 first;		/* the program's first connection */
	bool		 user_closed;	/* .close */
	bool		 cleared;	/* SERVER_CLEAR_AUTH */
	bool		 redirect;
	bool		 manual_login;
	int		 attempt;
	int64_t		 retry_at;	/* -1: none due */
	/* -t */
	uint64_t	 rx_seen;
	int64_t		 last_rx, keepalive_at, ping_at;
	/* the end */
	bool		 quitting, done;
	int		 status;
	/* input */
	bool		 in_eof;
	char		*in;
	size_t		 in_len, in_cap;
	bool		 rl_on, in_handler, line_done;
	FILE		*term;		/* the prompt's: stdout, or stderr */
};

static struct cx *the_cx;	/* for libedit's line callback */
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* ---- printing ---- */

enum say { SAY_CONTROL, SAY_INCOMING, SAY_ERROR };

static void
line_out(struct cx *cx, enum say kind, const char *text)
{
	static const char *const colors[] = { COLOR_CONTROL, COLOR_INCOMING,
	    COLOR_ERROR };
	FILE *f = kind == SAY_ERROR && !cx->interactive ? stderr : stdout;
	bool redraw = cx->rl_on && !cx->in_handler;

	if (redraw) {
		fputs("\r\033[K", cx->term);
		fflush(cx->term);
	}
	if (cx->color)
		fprintf(f, "%s%s%s\n", colors[kind], text, COLOR_OFF);
	else
		fprintf(f, "%s\n", text);
	if (fflush(f) == EOF && errno == EPIPE && !cx->quitting) {
		/* Whoever read us has gone: nothing more to say. */
		cx->quitting = cx->done = true;
		return;
	}
	if (redraw)
		rl_forced_update_display();
}

static void say(struct cx *cx, enum say kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line for a person (not with --json, errors aside). */
static void
say(struct cx *cx, enum say kind, const char *fmt, ...)
{
	char *text;
	va_list ap;

	if (cx->json && kind != SAY_ERROR)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	if (cx->json) {
		json_t *ev = json_pack("{s:s, s:s?}", "event", "error",
		    "message", text);

		if (ev) {
			char *s = json_dumps(ev, JSON_COMPACT);

			if (s)
				line_out(cx, SAY_INCOMING, s);
			free(s);
			json_decref(ev);
		}
	} else
		line_out(cx, kind, text);
	free(text);
}

/* An event for --json (taken: the reference is given up). */
static void
emit(struct cx *cx, json_t *ev)
{
	char *s;

	if (ev == NULL)
		return;
	if (cx->json && (s = json_dumps(ev, JSON_COMPACT)) != NULL) {
		line_out(cx, SAY_INCOMING, s);
		free(s);
	}
	json_decref(ev);
}

static json_t *
jstr(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *c;

	if (j)
		return j;
	/* Not UTF-8: the text a person would see. */
	c = connshow_clean(s, len);
	j = json_string(c ? c : "");
	free(c);
	return j;
}

/* ---- ending ---- */

static void
finish(struct cx *cx, int status)
{
	if (cx->quitting)
		return;
	cx->quitting = true;
	cx->status = status;
	cx->retry_at = -1;
	if (cx->io.nc && !nc_dead(cx->io.nc))
		ioc_close(&cx->io);	/* done when it has closed */
	else
		cx->done = true;
}

/* ---- connecting ---- */

static void connection_gone(struct cx *cx, const char *why);

static void
open_now(struct cx *cx)
{
	char err[512];

	cx->opened = false;
	cx->retry_at = -1;
	if (cx->attempt == 0) {
		say(cx, SAY_CONTROL, "Connecting to %s", cx->url.text);
		emit(cx, json_pack("{s:s, s:s}", "event", "connecting", "url",
		    cx->url.text));
	}
	if (ioc_open(&cx->io, &cx->url, &cx->tls, err, sizeof(err)) < 0)
		connection_gone(cx, err);
}

static int64_t
backoff(int attempt)
{
	double ms = BACKOFF_MS * pow(2, attempt > 16 ? 16 : attempt - 1);
	unsigned r;

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	/* +-20%, so that many clients do not come back at once. */
	nc_random(&r, sizeof(r));
	return (int64_t)(ms * (0.8 + 0.4 * (r / (double)UINT_MAX)));
}

static void give_up(struct cx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit 3, with why. */
static void
give_up(struct cx *cx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cx->rl_on) {
		fputs("\r\033[K", cx->term);	/* the prompt */
		fflush(cx->term);
	}
	cx->status = fail(FAIL_UNREACHABLE, "%s", msg);
	cx->quitting = cx->done = true;
}

/* The connection ended (or never began): what now. */
static void
connection_gone(struct cx *cx, const char *why)
{
	bool opened = cx->opened;
	char *w = connshow_clean(why, strlen(why));
	int64_t delay;

	cx->opened = false;
	if (w == NULL)
		w = strdup("?");
	if (cx->quitting) {
		cx->done = true;
		goto out;
	}
	if (opened) {
		say(cx, SAY_CONTROL, "closed%s%s", strcmp(w, "closed") ? ": " :
		    "", strcmp(w, "closed") ? w : "");
		emit(cx, json_pack("{s:s, s:s}", "event", "closed", "reason",
		    w));
	}
	if (cx->redirect) {
		/* From the loop, not from inside this connection's events. */
		cx->redirect = false;
		cx->attempt = 0;
		cx->retry_at = nc_now_ms();
		goto out;
	}
	if (cx->cleared) {
		cx->cleared = false;
		if (!cx->interactive)
			finish(cx, ST_REFUSED);
		goto out;
	}
	if (cx->user_closed)
		goto out;
	if (cx->explicit_open && !opened) {
		/* The first connection, or .open's: said, never retried. */
		if (cx->first || !cx->interactive)
			give_up(cx, "cannot connect to %s: %s", cx->url.text, w);
		else
			say(cx, SAY_ERROR, "cannot connect to %s: %s",
			    cx->url.text, w);
		goto out;
	}
	if (!cx->reconnect) {
		give_up(cx, "connection to %s lost: %s", cx->url.text, w);
		goto out;
	}
	if (cx->retries > 0 && cx->attempt >= cx->retries) {
		give_up(cx, "%s: gave up after %d reconnection%s: %s",
		    cx->url.text, cx->attempt, cx->attempt == 1 ? "" : "s", w);
		goto out;
	}
	cx->attempt++;
	delay = backoff(cx->attempt);
	cx->retry_at = nc_now_ms() + delay;
	if (opened)
		say(cx, SAY_CONTROL, "reconnecting in %.1f s (attempt %d)",
		    delay / 1000.0, cx->attempt);
	else
		say(cx, SAY_CONTROL, "reconnecting in %.1f s (attempt %d): %s",
		    delay / 1000.0, cx->attempt, w);
	emit(cx, json_pack("{s:s, s:i, s:I, s:s}", "event", "reconnecting",
	    "attempt", cx->attempt, "in_ms", (json_int_t)delay, "reason", w));
out:
	free(w);
}

/* ---- what the server says ---- */

static void
on_signal_ev(struct cx *cx, const struct ioc_signal *s)
{
	bool unicast = s->tag_len > 0 && s->tag[0] == '@';
	char *tag, *text;
	json_t *ev;

	if (cx->quitting)
		return;		/* --count reached: no more */
	cx->received++;
	if (cx->json) {
		ev = json_pack("{s:s, s:o, s:b, s:b}", "event", "signal",
		    "tag", jstr(s->tag, s->tag_len), "unicast", unicast,
		    "encrypted", s->encrypted);
		if (ev) {
			connshow_payload_json(s, ev);
			emit(cx, ev);
		}
	} else {
		tag = connshow_clean(s->tag, s->tag_len);
		text = connshow_payload(s);
		/* The io-client's listeners: '@' (unicast to this CID) and
		 * each channel's. */
		say(cx, SAY_INCOMING, "%s%s%s%s", unicast ? "CID Message: " :
		    "-message: ", tag ? tag : "?", text && *text ? " " : "",
		    text ? text : "");
		free(tag);
		free(text);
	}
	if (cx->count_max > 0 && cx->received >= cx->count_max)
		finish(cx, ST_OK);
}

static void
on_json_text(struct cx *cx, const char *name, const char *label,
    const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *c = connshow_clean(s ? s : text, s ? strlen(s) : len);

	say(cx, SAY_INCOMING, "%s %s", label, c ? c : "");
	emit(cx, json_pack("{s:s, s:o}", "event", name, "data", j ? j :
	    jstr(text, len)));
	free(c);
	free(s);
}

static void
on_io(void *arg, const struct ioc_ev *ev)
{
	struct cx *cx = arg;
	const char *q;
	char *c;

	switch (ev->type) {
	case IOC_EV_OPEN:
		cx->opened = true;
		cx->explicit_open = cx->first = false;
		cx->last_rx = nc_now_ms();
		cx->keepalive_at = -1;
		break;
	case IOC_EV_READY:
		cx->attempt = 0;
		c = connshow_clean(ev->text, ev->len);
		say(cx, SAY_CONTROL, "ready: cid: %s", c ? c : "");
		emit(cx, json_pack("{s:s, s:o, s:s, s:i, s:s?}", "event",
		    "ready", "cid", jstr(ev->text, ev->len), "url",
		    cx->url.text, "level", cx->io.level, "id",
		    cx->io.boho.authorized ? cx->io.id : NULL));
		free(c);
		break;
	case IOC_EV_QUOTA:
		q = connshow_quota(ev->level);
		say(cx, SAY_CONTROL, ">> QUOTA_LEVEL : %d", ev->level);
		say(cx, SAY_CONTROL, "current quota: %s", q ? q : "undefined");
		emit(cx, json_pack("{s:s, s:i, s:o}", "event", "quota",
		    "level", ev->level, "quota", q ? json_loads(q, 0, NULL) :
		    json_null()));
		break;
	case IOC_EV_LOGIN:
		c = connshow_clean(ev->text, ev->len);
		if (!cx->manual_login)
			say(cx, SAY_CONTROL, "login: %s", c ? c : "");
		cx->manual_login = false;
		emit(cx, json_pack("{s:s, s:o}", "event", "login", "id",
		    jstr(ev->text, ev->len)));
		free(c);
		break;
	case IOC_EV_AUTHORIZED:
		say(cx, SAY_CONTROL, "Boho authorized. TLS: %s",
		    nc_tls_on(cx->io.nc) ? "true" : "false");
		emit(cx, json_pack("{s:s, s:s, s:b, s:b}", "event",
		    "authorized", "id", cx->io.id, "tls", nc_tls_on(cx->io.nc),
		    "encrypted", !nc_tls_on(cx->io.nc)));
		break;
	case IOC_EV_AUTH_FAIL:
		say(cx, SAY_CONTROL, "Boho auth_fail.");
		emit(cx, json_pack("{s:s, s:s, s:s}", "event", "auth_fail",
		    "id", cx->io.id, "reason", ev->text));
		/* Not again at every reconnection. */
		ioc_clear_auth(&cx->io);
		if (!cx->interactive) {
			if (!cx->json)
				fail(FAIL_OTHER, "login refused");
			finish(cx, ST_REFUSED);
			break;
		}
		say(cx, SAY_CONTROL, "going on without a login (.login ID KEY "
		    "to try again)");
		ioc_anonymous(&cx->io);
		break;
	case IOC_EV_AUTH_CLEAR:
		say(cx, SAY_CONTROL, "Boho auth_clear.");
		say(cx, SAY_CONTROL, "the server ended this login (the device "
		    "logged in elsewhere): not reconnecting");
		emit(cx, json_pack("{s:s}", "event", "auth_clear"));
		cx->cleared = true;
		break;
	case IOC_EV_SIGNAL:
		on_signal_ev(cx, ev->sig);
		break;
	case IOC_EV_SUBSCRIBED:
		c = connshow_clean(ev->text, ev->len);
		if (ev->status < 128)
			say(cx, SAY_CONTROL, "subscribed: %s", c ? c : "");
		else
			say(cx, SAY_ERROR, ">> SUBSCRIBE FAIL: %s (status %d)",
			    c ? c : "", ev->status);
		emit(cx, json_pack("{s:s, s:o, s:b, s:i}", "event",
		    "subscribed", "tags", jstr(ev->text, ev->len), "ok",
		    ev->status < 128, "status", ev->status));
		free(c);
		break;
	case IOC_EV_IAM:
		on_json_text(cx, "iam", "<IAM_RES>", ev->text, ev->len);
		break;
	case IOC_EV_SERVER_SIGNAL:
		on_json_text(cx, "server_signal", "SERVER_SIGNAL", ev->text,
		    ev->len);
		break;
	case IOC_EV_ECHO:
		c = connshow_clean(ev->text, ev->len);
		say(cx, SAY_CONTROL, "ECHO %s", c ? c : "");
		emit(cx, json_pack("{s:s, s:o}", "event", "echo", "text",
		    jstr(ev->text, ev->len)));
		free(c);
		break;
	case IOC_EV_PONG:
		if (cx->ping_at >= 0) {
			int64_t ms = nc_now_ms() - cx->ping_at;

			say(cx, SAY_CONTROL, "pong: %lld ms", (long long)ms);
			emit(cx, json_pack("{s:s, s:I}", "event", "pong", "ms",
			    (json_int_t)ms));
			cx->ping_at = -1;
		}
		break;
	case IOC_EV_OVER_SIZE:
		say(cx, SAY_CONTROL, "## server sent: over_size event.");
		emit(cx, json_pack("{s:s}", "event", "over_size"));
		break;
	case IOC_EV_REDIRECT: {
		struct nc_url u;
		char err[512];

		c = connshow_clean(ev->text, ev->len);
		if (nc_url_parse(ev->text, &u, err, sizeof(err)) < 0) {
			say(cx, SAY_ERROR, "a redirect to a bad URL: %s", err);
			free(c);
			break;
		}
		say(cx, SAY_CONTROL, "redirected to %s", u.text);
		emit(cx, json_pack("{s:s, s:s}", "event", "redirect", "url",
		    u.text));
		cx->url = u;
		cx->redirect = true;
		ioc_abort(&cx->io, "redirected");
		free(c);
		break;
	}
	case IOC_EV_CLOSED:
		connection_gone(cx, ev->text);
		break;
	}
}

/* ---- dot-commands ---- */

/* The next word of *p (NUL-terminated in place), or NULL. */
static char *
word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* What is left of the line, from its next word on ("" if nothing). */
static char *
rest(char **p)
{
	char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	*p = s + strlen(s);
	return s;
}

static bool
ready_for(struct cx *cx, const char *what)
{
	if (cx->io.state == IOC_READY && ioc_connected(&cx->io))
		return true;
	say(cx, SAY_ERROR, "%s: not ready (%s)", what,
	    ioc_state_name(cx->io.state));
	return false;
}

static bool
tag_ok(struct cx *cx, const char *cmd, const char *tag)
{
	if (tag == NULL || *tag == '\0') {
		say(cx, SAY_ERROR, "usage: %s", cmd);
		return false;
	}
	if (strlen(tag) > IOS_TAG_MAX) {
		say(cx, SAY_ERROR, "a tag is at most %d bytes", IOS_TAG_MAX);
		return false;
	}
	return true;
}

static void
sent(struct cx *cx, int rc, const char *what)
{
	if (rc < 0)
		say(cx, SAY_ERROR, "%s: not sent (%s)", what,
		    ioc_state_name(cx->io.state));
}

static void
dot_signal(struct cx *cx, char *args)
{
	char *tag = word(&args), *msg = rest(&args), *text;
	size_t n;

	if (!tag_ok(cx, ".sig TAG [MESSAGE]", tag) ||
	    !ready_for(cx, ".sig"))
		return;
	if (*msg == '\0') {
		sent(cx, ioc_signal(&cx->io, tag, IOS_PAYLOAD_EMPTY, NULL, 0),
		    ".sig");
		return;
	}
	/* The message is one text, its NUL included (as the npm
	 * client's getSignalPack makes it). */
	n = strlen(msg) + 1;
	if ((text = strdup(msg)) == NULL)
		return;
	sent(cx, ioc_signal(&cx->io, tag, IOS_PAYLOAD_TEXT, text, n), ".sig");
	free(text);
}

static void
dot_json(struct cx *cx, char *args)
{
	char *tag = word(&args), *text = rest(&args), *s;
	json_error_t jerr;
	json_t *j;

	if (!tag_ok(cx, ".json TAG JSON", tag) || !ready_for(cx, ".json"))
		return;
	if ((j = json_loads(text, JSON_DECODE_ANY, &jerr)) == NULL ||
	    !(json_is_object(j) || json_is_array(j))) {
		say(cx, SAY_ERROR, ".json: a JSON object or array, please%s%s",
		    j ? "" : ": ", j ? "" : jerr.text);
		json_decref(j);
		return;
	}
	/* An object is one argument (OBJECT), an array the arguments
	 * (MJSON), as signal(tag, obj) and signal(tag, a, b) send them. */
	s = json_dumps(j, JSON_COMPACT);
	if (s)
		sent(cx, ioc_signal(&cx->io, tag, json_is_object(j) ?
		    IOS_PAYLOAD_OBJECT : IOS_PAYLOAD_MJSON, s, strlen(s)),
		    ".json");
	free(s);
	json_decref(j);
}

static void
dot_bin(struct cx *cx, char *args)
{
	char *tag = word(&args), *h = rest(&args);
	size_t n = strlen(h);
	uint8_t *b;
	unsigned v;

	if (!tag_ok(cx, ".bin TAG HEX", tag) || !ready_for(cx, ".bin"))
		return;
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		h[--n] = '\0';
	if (n % 2 || (b = malloc(n / 2 + 1)) == NULL) {
		say(cx, SAY_ERROR, ".bin: an even number of hex digits");
		return;
	}
	for (size_t i = 0; i < n / 2; i++) {
		if (!isxdigit((unsigned char)h[2 * i]) ||
		    !isxdigit((unsigned char)h[2 * i + 1]) ||
		    sscanf(h + 2 * i, "%2x", &v) != 1) {
			say(cx, SAY_ERROR, ".bin: not hex: %s", h);
			free(b);
			return;
		}
		b[i] = (uint8_t)v;
	}
	sent(cx, ioc_signal(&cx->io, tag, IOS_PAYLOAD_BINARY, b, n / 2),
	    ".bin");
	free(b);
}

static void
dot_sig_bin(struct cx *cx, char *args)
{
	char *tag = word(&args), *size = word(&args), *end = NULL;
	long n = size ? strtol(size, &end, 10) : -1;
	uint8_t *b;

	if (!tag_ok(cx, ".sig_bin TAG SIZE", tag) || !ready_for(cx,
	    ".sig_bin"))
		return;
	if (n < 0 || *end || n > (20L << 20)) {
		say(cx, SAY_ERROR, "usage: .sig_bin TAG SIZE (bytes, at most "
		    "20 MiB)");
		return;
	}
	if ((b = calloc(1, (size_t)n + 1)) == NULL)
		return;
	say(cx, SAY_CONTROL, "signal tag: %s size: %ld", tag, n);
	sent(cx, ioc_signal(&cx->io, tag, IOS_PAYLOAD_BINARY, b, (size_t)n),
	    ".sig_bin");
	free(b);
}

static void
dot_sub(struct cx *cx, char *args)
{
	char *tags = word(&args);

	if (tags == NULL || *tags == '\0') {
		say(cx, SAY_ERROR, "usage: .sub TAG[,TAG...]");
		return;
	}
	if (strlen(tags) > 0xFFFF) {
		say(cx, SAY_ERROR, ".sub: too long");
		return;
	}
	if (ioc_subscribe(&cx->io, tags) < 0)
		say(cx, SAY_ERROR, ".sub: out of memory");
	else if (cx->io.state != IOC_READY)
		say(cx, SAY_CONTROL, "joined %s: subscribed once ready", tags);
}

static void
dot_unsub(struct cx *cx, char *args)
{
	char *tags = word(&args);

	if (tags && strlen(tags) > IOS_TAG_MAX) {
		say(cx, SAY_ERROR, "a tag is at most %d bytes", IOS_TAG_MAX);
		return;
	}
	sent(cx, ioc_unsubscribe(&cx->io, tags ? tags : ""), ".unsub");
	say(cx, SAY_CONTROL, "unsubscribed: %s", tags ? tags : "(all)");
	emit(cx, json_pack("{s:s, s:s}", "event", "unsubscribed", "tags",
	    tags ? tags : ""));
}

static void
dot_ping(struct cx *cx, char *args)
{
	(void)args;
	if (ioc_ping(&cx->io) < 0)
		say(cx, SAY_ERROR, ".ping: not connected");
	else
		cx->ping_at = nc_now_ms();
}

static void
dot_pong(struct cx *cx, char *args)
{
	(void)args;
	if (ioc_pong(&cx->io) < 0)
		say(cx, SAY_ERROR, ".pong: not connected");
}

static void
dot_id(struct cx *cx, char *args)
{
	char *c = connshow_clean(cx->io.cid, strlen(cx->io.cid));

	(void)args;
	say(cx, SAY_INCOMING, "state: %s cid: %s level: %d",
	    ioc_state_name(cx->io.state), c ? c : "", cx->io.level);
	emit(cx, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:b}", "event",
	    "id", "state", ioc_state_name(cx->io.state), "cid", c ? c : "",
	    "level", cx->io.level, "url", cx->url.text, "login",
	    cx->io.boho.authorized ? cx->io.id : NULL, "encrypted",
	    cx->io.boho.authorized && cx->io.nc && !nc_tls_on(cx->io.nc)));
	free(c);
}

static void
dot_iam(struct cx *cx, char *args)
{
	char *title = rest(&args);

	if (ready_for(cx, ".iam"))
		sent(cx, ioc_iam(&cx->io, title), ".iam");
}

static void
dot_echo(struct cx *cx, char *args)
{
	char *text = rest(&args);

	if (ready_for(cx, ".echo"))
		sent(cx, ioc_echo(&cx->io, text), ".echo");
}

static void
dot_open(struct cx *cx, char *args)
{
	char *u = word(&args), err[512];
	struct nc_url url;

	if (u) {
		if (nc_url_parse(u, &url, err, sizeof(err)) < 0) {
			say(cx, SAY_ERROR, ".open: %s", err);
			return;
		}
	} else
		url = cx->url;
	if (cx->io.nc && !nc_dead(cx->io.nc)) {
		if (strcmp(url.text, cx->url.text) == 0) {
			say(cx, SAY_ERROR, ".open: already connected to %s",
			    cx->url.text);
			return;
		}
		cx->user_closed = true;
		ioc_abort(&cx->io, "closed");
		ioc_reap(&cx->io);
	}
	cx->url = url;
	cx->user_closed = false;
	cx->explicit_open = true;
	cx->attempt = 0;
	open_now(cx);
}

static void
dot_close(struct cx *cx, char *args)
{
	(void)args;
	cx->retry_at = -1;
	cx->attempt = 0;
	if (cx->io.nc == NULL || nc_dead(cx->io.nc)) {
		say(cx, SAY_ERROR, ".close: not connected");
		return;
	}
	cx->user_closed = true;
	ioc_close(&cx->io);
}

static void
dot_login(struct cx *cx, char *args)
{
	char *id = word(&args), *key = word(&args), *dot;

	if (id && key == NULL && (dot = strchr(id, '.')) != NULL) {
		*dot = '\0';		/* ID.KEY, as set_id_key() splits it */
		key = dot + 1;
	}
	if (id == NULL || key == NULL || *id == '\0') {
		say(cx, SAY_ERROR, "usage: .login ID KEY (or ID.KEY)");
		return;
	}
	if (strlen(id) > BOHO_ID_LEN) {
		say(cx, SAY_ERROR, ".login: a device id is at most %d bytes",
		    BOHO_ID_LEN);
		return;
	}
	if (cx->io.boho.authorized) {
		say(cx, SAY_ERROR, ".login: already logged in as %s: the "
		    "server keeps one login per connection (.close, then "
		    ".login)", cx->io.id);
		return;
	}
	if (cx->io.auth_pending) {
		say(cx, SAY_ERROR, ".login: a login is in progress");
		return;
	}
	ioc_set_auth(&cx->io, id, key);
	say(cx, SAY_CONTROL, "try manual login: %s", id);
	switch (cx->io.state) {
	case IOC_READY:
	case IOC_AUTH_FAIL:
	case IOC_SERVER_READY:
		cx->manual_login = true;
		(void)ioc_login(&cx->io);
		break;
	default:
		say(cx, SAY_CONTROL, "logging in once connected");
		break;
	}
}

static void
dot_quota(struct cx *cx, char *args)
{
	const char *q = connshow_quota(cx->io.level);

	(void)args;
	say(cx, SAY_INCOMING, "quota: %s", q ? q : "undefined");
	emit(cx, json_pack("{s:s, s:i, s:o}", "event", "quota", "level",
	    cx->io.level, "quota", q ? json_loads(q, 0, NULL) : json_null()));
}

static void
dot_ch(struct cx *cx, char *args)
{
	json_t *a = json_array();
	size_t len = 1;
	char *s;

	(void)args;
	for (size_t i = 0; i < cx->io.nchans; i++) {
		len += strlen(cx->io.chans[i]) + 1;
		json_array_append_new(a, jstr(cx->io.chans[i],
		    strlen(cx->io.chans[i])));
	}
	if ((s = calloc(1, len)) != NULL) {
		for (size_t i = 0; i < cx->io.nchans; i++) {
			if (i)
				strcat(s, ",");
			strcat(s, cx->io.chans[i]);
		}
		say(cx, SAY_INCOMING, "channels: %s", s);
		free(s);
	}
	emit(cx, json_pack("{s:s, s:o}", "event", "channels", "channels", a));
}

static void dot_help(struct cx *, char *);

static void
dot_quit(struct cx *cx, char *args)
{
	(void)args;
	finish(cx, ST_OK);
}

static const struct dot {
	const char	*names;		/* the first is the name */
	void		(*fn)(struct cx *, char *);
	const char	*usage;
	const char	*help;
} dots[] = {
	{ "sig signal pub publish", dot_signal, "TAG [MESSAGE]",
	    "the rest of the line as text; TAG CID@[topic]: unicast" },
	{ "json", dot_json, "TAG JSON", "an object (OBJECT) or an array of "
	    "arguments (MJSON)" },
	{ "bin", dot_bin, "TAG HEX", "bytes (BINARY)" },
	{ "sig_bin", dot_sig_bin, "TAG SIZE", "SIZE zero bytes (BINARY)" },
	{ "sub subscribe listen join", dot_sub, "TAG[,TAG...]",
	    "subscribe, and again after every reconnection" },
	{ "unsub", dot_unsub, "[TAG[,TAG...]]", "unsubscribe (all: no TAG)" },
	{ "ping", dot_ping, "", "PING the server; its pong is timed" },
	{ "pong", dot_pong, "", "send a PONG" },
	{ "id", dot_id, "", "state, CID and quota level" },
	{ "iam", dot_iam, "[NAME]", "IAM: the server answers what it knows" },
	{ "echo", dot_echo, "[TEXT]", "ECHO: the server sends it back" },
	{ "open connect", dot_open, "[URL]", "connect (again, or elsewhere)" },
	{ "close", dot_close, "", "disconnect (no reconnection)" },
	{ "login auth", dot_login, "ID KEY", "Boho login, now and at every "
	    "reconnection; ID.KEY also" },
	{ "quota", dot_quota, "", "the npm client's quota for this level" },
	{ "ch", dot_ch, "", "the joined channels" },
	{ "help", dot_help, "", "this list" },
	{ "quit exit", dot_quit, "", "close and exit" },
};

static void
dot_help(struct cx *cx, char *args)
{
	char names[64], *sp;

	(void)args;
	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
		snprintf(names, sizeof(names), ".%s", dots[i].names);
		for (sp = names; (sp = strchr(sp, ' ')) != NULL; sp += 2) {
			memmove(sp + 2, sp + 1, strlen(sp + 1) + 1);
			sp[1] = '.';
		}
		say(cx, SAY_INCOMING, "%-28s %-16s %s", names, dots[i].usage,
		    dots[i].help);
	}
}

static const struct dot *
dot_find(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++)
		for (const char *p = dots[i].names; p; ) {
			const char *sp = strchr(p, ' ');
			size_t l = sp ? (size_t)(sp - p) : strlen(p);

			if (l == n && strncmp(p, name, n) == 0)
				return &dots[i];
			p = sp ? sp + 1 : NULL;
		}
	return NULL;
}

static void
run_line(struct cx *cx, char *line)
{
	const struct dot *d;
	size_t n = strlen(line);
	char *p, *name;

	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return;		/* blank lines and comments */
	if (*p != '.') {
		say(cx, SAY_ERROR, "not a command: %s (commands start with "
		    "'.': .help lists them)", p);
		return;
	}
	name = word(&p) + 1;
	if ((d = dot_find(name)) == NULL) {
		say(cx, SAY_ERROR, "unknown command .%s. command list: .signal "
		    ".sig .listen .publish .pub .subscribe .sub .unsub .ping "
		    ".pong .id .iam .open .connect .close .login .auth .quit "
		    ".exit (.help)", name);
		return;
	}
	d->fn(cx, p);
}

/* ---- input ---- */

/* Not ready for the next script line: connecting, logging in, waiting
 * to reconnect, or the last one not yet written to the socket. */
static bool
busy(const struct cx *cx)
{
	return ioc_busy(&cx->io) || cx->retry_at >= 0 || (cx->io.nc &&
	    !nc_dead(cx->io.nc) && !nc_flushed(cx->io.nc));
}

/* Script lines, each once the client is ready for it. */
static void
run_lines(struct cx *cx)
{
	char *nl, *line;
	size_t n;

	while (!cx->quitting && !busy(cx) && cx->in_len > 0) {
		nl = memchr(cx->in, '\n', cx->in_len);
		if (nl == NULL && cx->in_len >= IN_MAX) {
			say(cx, SAY_ERROR, "a line over %u bytes: left out",
			    IN_MAX);
			cx->in_len = 0;
			return;
		}
		if (nl == NULL && !cx->in_eof)
			return;
		n = nl ? (size_t)(nl - cx->in) : cx->in_len;
		if ((line = strndup(cx->in, n)) == NULL)
			return;
		n = nl ? n + 1 : n;
		memmove(cx->in, cx->in + n, cx->in_len - n);
		cx->in_len -= n;
		run_line(cx, line);
		free(line);
	}
	if (cx->in_eof && cx->in_len == 0 && !cx->quitting && !busy(cx) &&
	    cx->count_max == 0 && cx->duration <= 0)
		finish(cx, ST_OK);
}

static void
read_input(struct cx *cx)
{
	ssize_t n;

	if (cx->in_cap - cx->in_len < 4096) {
		size_t cap = cx->in_cap ? cx->in_cap * 2 : 8192;
		char *p = realloc(cx->in, cap);

		if (p == NULL) {
			cx->in_eof = true;
			return;
		}
		cx->in = p;
		cx->in_cap = cap;
	}
	n = read(STDIN_FILENO, cx->in + cx->in_len, cx->in_cap - cx->in_len);
	if (n > 0)
		cx->in_len += (size_t)n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		cx->in_eof = true;
}

static void
on_line(char *line)
{
	struct cx *cx = the_cx;

	cx->in_handler = cx->line_done = true;
	if (line == NULL) {
		/* ^D */
		fputc('\n', cx->term);
		finish(cx, ST_OK);
	} else {
		if (*line)
			add_history(line);
		run_line(cx, line);
		free(line);
	}
	cx->in_handler = false;
}

/* ---- timers ---- */

static int64_t
min_due(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* -t: ping after ping_ms without a word from the server, give the
 * connection up after twice that. Returns when it is next due. */
static int64_t
keepalive(struct cx *cx, int64_t now)
{
	if (cx->ping_ms <= 0 || !ioc_connected(&cx->io) || cx->quitting)
		return -1;
	if (cx->io.nc && cx->rx_seen != cx->io.rx) {
		cx->rx_seen = cx->io.rx;
		cx->last_rx = now;
		cx->keepalive_at = -1;
	}
	if (now - cx->last_rx >= 2 * (int64_t)cx->ping_ms) {
		char why[64];

		snprintf(why, sizeof(why), "no answer for %d ms", 2 *
		    cx->ping_ms);
		ioc_abort(&cx->io, why);
		return -1;
	}
	if (now - cx->last_rx >= cx->ping_ms && cx->keepalive_at < 0) {
		(void)ioc_ping(&cx->io);
		cx->keepalive_at = now;
	}
	return cx->keepalive_at < 0 ? cx->last_rx + cx->ping_ms :
	    cx->last_rx + 2 * (int64_t)cx->ping_ms;
}

/* ---- options ---- */

static int
opt_num(struct cmd_ctx *ctx, const char *name, const char *v, long min,
    long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end || errno || n < min || n > max)
		return cmd_bad(ctx, "%s: expected a whole number from %ld to "
		    "%ld, not '%s'", name, min, max, v);
	*out = n;
	return ST_OK;
}

static int
parse(struct cx *cx, int argc, char **argv, bool *done)
{
	struct cmd_ctx *ctx = cx->ctx;
	const char *url = NULL, *id = NULL, *key = NULL, *idkey = NULL;
	char err[512], *end;
	bool opts = true;
	long n;
	int st;

	*done = false;

	for (int i = 1; i < argc; i++) {
		const char *w = argv[i], *v = NULL, *eq;
		char name[32];
		size_t len;

		if (opts && strcmp(w, "--") == 0) {
			opts = false;
			continue;
		}
		if (!opts || w[0] != '-' || w[1] == '\0') {
			if (url)
				return cmd_bad(ctx, "unexpected argument '%s'",
				    w);
			url = w;
			continue;
		}
		/* --opt=value */
		eq = strchr(w, '=');
		len = eq && w[1] == '-' ? (size_t)(eq - w) : strlen(w);
		snprintf(name, sizeof(name), "%.*s", (int)(len < 31 ? len : 31),
		    w);
		if (eq && w[1] == '-')
			v = eq + 1;
#define IS(s, l) (strcmp(name, s) == 0 || strcmp(name, l) == 0)
#define VALUE() do {							\
		if (v == NULL && (v = i + 1 < argc ? argv[++i] : NULL) == NULL) \
			return cmd_bad(ctx, "%s: missing value", name);	\
	} while (0)
		if (IS("-h", "--help")) {
			cmd_usage(ctx->cmd, stdout);
			*done = true;
			return ST_OK;
		} else if (IS("--json", "--json")) {
			cx->json = true;
		} else if (IS("--insecure", "--insecure")) {
			cx->tls.insecure = true;
		} else if (IS("--no-reconnect", "--no-reconnect")) {
			cx->reconnect = false;
		} else if (IS("-c", "--connect")) {
			VALUE();
			if (url)
				return cmd_bad(ctx, "two URLs: %s and %s", url,
				    v);
			url = v;
		} else if (IS("-i", "--id")) {
			VALUE();
			id = v;
		} else if (IS("-k", "--key")) {
			VALUE();
			key = v;
		} else if (IS("-a", "--auth") || IS("--auth-idKey",
		    "--auth-idkey")) {
			VALUE();
			idkey = v;
		} else if (IS("-j", "--join") || IS("--join-channel",
		    "--join-channel")) {
			VALUE();
			if (*v == '\0')
				return cmd_bad(ctx, "%s: empty", name);
			if (ioc_subscribe(&cx->io, v) < 0)
				return fail(FAIL_IO, "out of memory");
		} else if (IS("-t", "--timeout")) {
			VALUE();
			if ((st = opt_num(ctx, name, v, 0, 86400000, &n)) !=
			    ST_OK)
				return st;
			cx->ping_ms = (int)n;
		} else if (IS("--ca", "--ca")) {
			VALUE();
			cx->tls.ca_file = v;
		} else if (IS("--retries", "--retries")) {
			VALUE();
			if ((st = opt_num(ctx, name, v, 0, 1000000,
			    &cx->retries)) != ST_OK)
				return st;
		} else if (IS("--count", "--count")) {
			VALUE();
			if ((st = opt_num(ctx, name, v, 1, 1000000000,
			    &cx->count_max)) != ST_OK)
				return st;
		} else if (IS("--duration", "--duration")) {
			VALUE();
			errno = 0;
			cx->duration = strtod(v, &end);
			if (*v == '\0' || *end || errno || !(cx->duration > 0)
			    || cx->duration > 31536000)
				return cmd_bad(ctx, "--duration: expected "
				    "seconds above 0, not '%s'", v);
		} else
			return cmd_bad(ctx, "unknown option %s", w);
#undef IS
#undef VALUE
	}
	if (nc_url_parse(url ? url : "ws://localhost:7777", &cx->url, err,
	    sizeof(err)) < 0)
		return cmd_bad(ctx, "%s", err);
	if (idkey && (id || key))
		return cmd_bad(ctx, "-a ID.KEY or -i ID -k KEY, not both");
	if ((id != NULL) != (key != NULL))
		return cmd_bad(ctx, "-i ID and -k KEY go together");
	if (idkey) {
		const char *dot = strchr(idkey, '.');
		char idbuf[64];

		if (dot == NULL || dot == idkey)
			return cmd_bad(ctx, "-a: expected ID.KEY, not '%s'",
			    idkey);
		if ((size_t)(dot - idkey) > BOHO_ID_LEN)
			return cmd_bad(ctx, "-a: a device id is at most %d "
			    "bytes", BOHO_ID_LEN);
		snprintf(idbuf, sizeof(idbuf), "%.*s", (int)(dot - idkey),
		    idkey);
		ioc_set_auth(&cx->io, idbuf, dot + 1);
	} else if (id) {
		if (*id == '\0' || strlen(id) > BOHO_ID_LEN)
			return cmd_bad(ctx, "-i: a device id is 1 to %d bytes",
			    BOHO_ID_LEN);
		ioc_set_auth(&cx->io, id, key);
	}
	if ((cx->tls.ca_file || cx->tls.insecure) && cx->url.scheme != NC_WSS)
		fail_note("--ca and --insecure are for wss:// only");
	return ST_OK;
}

/* --json before the command or after it; -j after it joins a channel. */
static bool
wants_json(const struct cmd_ctx *ctx)
{
	for (int i = 1; i < ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--") == 0)
			break;
		if (strcmp(ctx->argv[i], "--json") == 0)
			return true;
	}
	return ctx->json_global;
}

/* ---- the loop ---- */

static void
interactive_start(struct cx *cx)
{
	rl_readline_name = "iosctl";
	rl_catch_signals = 0;
	rl_instream = stdin;
	rl_outstream = cx->term;
	using_history();
	stifle_history(HISTORY_MAX);
	rl_callback_handler_install(PROMPT, on_line);
	cx->rl_on = true;
}

static void
interactive_end(struct cx *cx)
{
	if (!cx->rl_on)
		return;
	cx->rl_on = false;
	rl_callback_handler_remove();
	clear_history();
}

static int
loop(struct cx *cx)
{
	sigset_t block, orig;
	struct sigaction sa;
	struct pollfd pfd[2];
	struct timespec ts, *tsp;
	int64_t now, due;
	int npfd, in_i, nc_i, r;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cx->duration > 0)
		cx->end_at = nc_now_ms() + (int64_t)(cx->duration * 1000);
	if (cx->interactive)
		interactive_start(cx);
	open_now(cx);

	while (!cx->done) {
		now = nc_now_ms();
		npfd = 0;
		in_i = nc_i = -1;
		if (!cx->quitting && !cx->in_eof && (cx->interactive ||
		    cx->in_len < IN_MAX)) {
			pfd[npfd].fd = STDIN_FILENO;
			pfd[npfd].events = POLLIN;
			in_i = npfd++;
		}
		due = keepalive(cx, now);
		ioc_reap(&cx->io);
		due = min_due(due, min_due(cx->retry_at, cx->end_at));
		if (cx->io.nc && !nc_dead(cx->io.nc)) {
			pfd[npfd].fd = nc_fd(cx->io.nc);
			pfd[npfd].events = nc_events(cx->io.nc);
			nc_i = npfd++;
			due = min_due(due, nc_deadline(cx->io.nc));
		}
		if (cx->done)
			break;
		tsp = NULL;
		if (due >= 0) {
			int64_t ms = due > now ? due - now : 0;

			ts.tv_sec = (time_t)(ms / 1000);
			ts.tv_nsec = (long)(ms % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(pfd, (nfds_t)npfd, tsp, &orig);
		if (r < 0 && errno != EINTR) {
			cx->status = fail(FAIL_IO, "poll: %s", strerror(errno));
			break;
		}
		if (got_signal) {
			got_signal = 0;
			if (cx->quitting)
				break;		/* a second one: at once */
			if (cx->rl_on)
				fputc('\n', cx->term);
			finish(cx, ST_OK);
		}
		if (r > 0 && nc_i >= 0 && pfd[nc_i].revents && cx->io.nc)
			nc_process(cx->io.nc, pfd[nc_i].revents);
		now = nc_now_ms();
		if (cx->io.nc)
			nc_tick(cx->io.nc, now);
		ioc_reap(&cx->io);
		if (r > 0 && in_i >= 0 && pfd[in_i].revents && !cx->done) {
			if (cx->interactive && (pfd[in_i].revents &
			    (POLLHUP | POLLERR | POLLNVAL))) {
				/* The terminal has gone. */
				cx->in_eof = true;
				finish(cx, ST_OK);
			} else if (cx->interactive) {
				cx->line_done = false;
				rl_callback_read_char();
				/* libedit leaves the line as it was: a new one,
				 * and its prompt. */
				if (cx->line_done && !cx->quitting)
					rl_callback_handler_install(PROMPT,
					    on_line);
			} else
				read_input(cx);
		}
		if (cx->retry_at >= 0 && now >= cx->retry_at && !cx->quitting)
			open_now(cx);
		if (cx->end_at >= 0 && now >= cx->end_at)
			finish(cx, ST_OK);
		if (!cx->interactive)
			run_lines(cx);
		ioc_reap(&cx->io);
	}
	interactive_end(cx);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	fflush(stdout);
	return cx->status;
}

int
connect_run(struct cmd_ctx *ctx)
{
	struct cx cx;
	bool done;
	int st;

	memset(&cx, 0, sizeof(cx));
	cx.ctx = ctx;
	cx.reconnect = true;
	cx.retry_at = cx.end_at = cx.ping_at = cx.keepalive_at = -1;
	cx.first = cx.explicit_open = true;
	ioc_init(&cx.io, on_io, &cx);
	/* main.c took any -j for --json: here it joins a channel. */
	fail_init(wants_json(ctx));
	st = parse(&cx, ctx->argc, ctx->argv, &done);
	if (st != ST_OK || done) {
		ioc_free(&cx.io);
		return st;
	}
	cx.json = cx.json || ctx->json_global;
	fail_init(cx.json);
	cx.interactive = isatty(STDIN_FILENO);
	cx.term = isatty(STDOUT_FILENO) || !isatty(STDERR_FILENO) ? stdout :
	    stderr;
	cx.color = cx.interactive && isatty(STDOUT_FILENO) && !cx.json &&
	    getenv("NO_COLOR") == NULL;
	the_cx = &cx;
	st = loop(&cx);
	ioc_free(&cx.io);
	free(cx.in);
	the_cx = NULL;
	return st;
}
