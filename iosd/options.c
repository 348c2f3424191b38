/*
 * options.c - iosd's options, each declared once in optdefs[] below. The
 * table gives getopt_long its long options and short letters, --help its
 * text, the configuration file its keys ("name = value", the long names),
 * -o the effective configuration in the file's syntax, the defaults, and
 * what a reload keeps as it runs (options_keep_restart).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "options.h"
#include "proto.h"
#include "net_tls.h"
#include "version.h"

/* What an option's value is, and so how it is read, shown and printed. */
enum okind {
	K_FLAG,		/* no value: the field true (a file: yes or no) */
	K_NOT,		/* no value: the field false (--no-quota) */
	K_NUM,		/* a decimal number in [min, max] */
	K_SIZE,		/* BYTES with k, M or G, in [min, max] */
	K_PATH,		/* a file name */
	K_STR,		/* free text, printed in quotes */
	K_CHOICE,	/* one of choices[]; its value in the field */
	K_OPTSTR,	/* an optional value: on (field2) and the string */
	K_LISTEN,	/* [ADDR:]PORT, repeatable; the transport in aux */
	K_NET,		/* ADDR[/N], repeatable; the count in field2 */
	K_LIST,		/* a string, repeatable; the count in field2 */
	K_CUSTOM,	/* parse() and print() */
	K_CONFIG, K_NOCONFIG, K_HELP, K_VERSION,	/* the command line's */
};

#define O_CLI		0x01	/* command line only: no key in a file */
#define O_RESTART	0x02	/* a reload keeps the running value */
#define O_NOPRINT	0x04	/* not printed by -o */
#define O_SECRET	0x08	/* -o counts the values, never shows them */
#define O_EMPTY_NONE	0x10	/* "" is none (NULL) */
#define O_WORDS		0x20	/* the following words are more values */

struct choice {
	const char *name;
	unsigned v;
};

struct optdef;
struct parse_state;
typedef int parse_fn(struct options *, struct parse_state *,
    const struct optdef *, const char *);
typedef void print_fn(const struct options *, const struct optdef *, FILE *);

struct optdef {
	const char *name;	/* long option and file key */
	int ch;			/* short option, or 0 */
	enum okind kind;
	unsigned flags;		/* O_* */
	size_t off, size;	/* the field in struct options */
	size_t off2;		/* K_OPTSTR: its bool; K_NET, K_LIST: count */
	bool two;		/* off2 is set */
	unsigned long long min, max;	/* K_NUM, K_SIZE */
	const char *def;	/* the default as a file says it; NULL: 0 */
	const char *next;	/* the value may be the next word, when it
				 * starts so ("": any but an option) */
	const char *bare;	/* K_OPTSTR: the value when none is given */
	const struct choice *choices;	/* K_CHOICE, to a NULL name */
	const char *expect;	/* K_CHOICE: told of a bad value */
	int aux;		/* K_LISTEN: the transport */
	parse_fn *parse;	/* K_CUSTOM */
	print_fn *print;
	const char *arg;	/* --help: what follows the name */
	const char *help;	/* --help: lines apart by \n; {} the default */
};

static parse_fn parse_apis, parse_keep, parse_anonymous;
static print_fn print_apis, print_keep, print_anonymous;

#define FIELD(f)	.off = offsetof(struct options, f), \
			.size = sizeof(((struct options *)0)->f)
#define FIELD2(f)	.off2 = offsetof(struct options, f), .two = true
#define FLAG(f)		.kind = K_FLAG, FIELD(f)
#define NUM(f, lo, hi, d) .kind = K_NUM, FIELD(f), .min = (lo), .max = (hi), \
			.def = (d)
#define PATH(f)		.kind = K_PATH, FIELD(f)
#define LISTEN(tr)	.kind = K_LISTEN, .aux = (tr), .arg = " [ADDR:]PORT"
#define NETS(f, n)	.kind = K_NET, FIELD(f), FIELD2(n), .arg = " ADDR[/N]"
#define LIST(f, n)	.kind = K_LIST, FIELD(f), FIELD2(n)

static const struct choice show_message_choices[] = {
	{ "none", 0 }, { "message", 1 }, { NULL, 0 },
};
static const struct choice log_level_choices[] = {
	{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG }, { NULL, 0 },
};
static const struct choice metric_choices[] = {
	{ "0", 0 }, { "1", 1 }, { "2", 2 }, { "3", 3 }, { "none", 0 },
	{ NULL, 0 },
};

/* Every option, in the order of --help and -o. */
static const struct optdef optdefs[] = {
{ "config", 0, K_CONFIG, O_CLI, .arg = " FILE",
  .help = "options from FILE, \"name = value\" lines\n"
	"(default: " IOSD_DEFAULT_CONFIG_TEXT ");\n"
	"the command line wins" },
{ "no-config", 0, K_NOCONFIG, O_CLI,
  .help = "read no configuration file" },
{ "listen", 'l', LISTEN(TR_WS),
  .help = "WebSocket listener (repeatable)" },
{ "listen-cong", 'L', LISTEN(TR_CONG),
  .help = "CongSocket listener (repeatable)" },
{ "listen-wss", 'W', LISTEN(TR_WSS),
  .help = "WebSocket over TLS (repeatable; needs\n"
	"--tls-cert and --tls-key)\n"
	"ADDR: IPv4, [IPv6] or a name; without it\n"
	"every IPv4 and IPv6 address" },
{ "timeout", 't', NUM(timeout_ms, 1, 86400000, "50000"), .arg = " MS",
  .help = "ping period; a silent client is closed\n"
	"on the second period (default {})" },
{ "show-message", 's', K_CHOICE, FIELD(show_message), .def = "none",
  .choices = show_message_choices,
  .expect = "expected none or message, not", .arg = " none|message",
  .help = "print every received message" },
{ "show-options", 'o', FLAG(show_options), .flags = O_NOPRINT,
  .help = "print the effective options at start" },
{ "db", 'D', PATH(db_path), .flags = O_RESTART, .def = IOSD_DEFAULT_DB,
  .arg = " PATH", .help = "device database (default {})" },
{ "auth-file", 'd', LIST(auth_files, nauth_files), .arg = " FILE",
  .help = "devices from a reference auth_file.json" },
{ "auth-param", 'e', LIST(auth_params, nauth_params), .flags = O_SECRET,
  .arg = " ID.KEY.LEVEL,...", .help = "devices from the command line" },
{ "auth-env", 'E', FLAG(auth_env),
  .help = "devices from BOHO_AUTH (as -e)" },
/* "-r redis://host" as one would type it: the URL may be the next word. */
{ "redis", 'r', K_OPTSTR, O_RESTART, FIELD(redis_url), FIELD2(redis),
  .next = "redis://", .arg = "[=URL]",
  .help = "devices from Redis (REDIS_HOST/REDIS_PORT)" },
{ "cluster", 0, K_STR, O_RESTART | O_EMPTY_NONE, FIELD(cluster_url),
  .arg = " redis://HOST[:PORT][/DB]",
  .help = "one server with the other nodes of this\n"
	"Redis: channels, unicasts, retained signals" },
{ "node-id", 0, K_STR, O_RESTART | O_EMPTY_NONE, FIELD(node_id),
  .arg = " NAME", .help = "this node in the cluster (default: the\n"
	"host name and the first listener's port)" },
{ "cluster-ttl", 0, NUM(cluster_ttl_s, 2, 3600, "30"), .flags = O_RESTART,
  .arg = " S", .help = "a dead node's CIDs expire after (default {})" },
{ "control", 'c', PATH(control), .flags = O_RESTART | O_EMPTY_NONE,
  .def = IOSD_DEFAULT_CONTROL, .arg = " PATH",
  .help = "control socket for iosctl and iostui\n"
	"(default: " IOSD_DEFAULT_CONTROL_TEXT ")" },
{ "control-ro", 0, PATH(control_ro), .flags = O_RESTART, .arg = " PATH",
  .help = "a second control socket, read-only" },
{ "members-only", 0, FLAG(members_only),
  .help = "only logged-in clients may signal" },
{ "anonymous", 0, K_CUSTOM, FIELD(anon_deadline_ms), .def = "allow",
  .parse = parse_anonymous, .print = print_anonymous,
  .arg = " allow|deny|deadline=MS",
  .help = "clients without a login: allow (default),\n"
	"or close them when not logged in within\n"
	"5000 ms (deny) or MS" },
{ "allowed-origin", 0, LIST(origins, norigins), .arg = " ORIGIN",
  .help = "WebSocket upgrades from browsers of this\n"
	"Origin only (repeatable; none: any)" },
{ "presence", 0, LIST(presence, npresence), .arg = " PATTERN",
  .help = "join/leave signals and the presence API\n"
	"on channels matching (repeatable)" },
{ "auth-fail-delay", 0, NUM(auth_fail_ms, 0, 60000, "1000"), .arg = " MS",
  .help = "AUTH_FAIL after this delay (default {})" },
{ "no-quota", 0, K_NOT, FIELD(quotas),
  .help = "do not enforce signalSize and trafficRate" },
{ "publish-counter", 0, FLAG(publish_counter),
  .help = "cap recipients at the level's publishCounter" },
{ "rate-close", 0, NUM(rate_close_ms, 100, 3600000, "5000"), .arg = " MS",
  .help = "close a client over its rate this long ({})" },
{ "tls-cert", 0, PATH(tls_cert), .arg = " FILE",
  .help = "PEM certificate (a chain: leaf first)" },
{ "tls-key", 0, PATH(tls_key), .arg = " FILE",
  .help = "PEM private key" },
{ "tls-priority", 0, K_STR, FIELD(tls_priority),
  .def = TLS_DEFAULT_PRIORITY, .arg = " STRING",
  .help = "GnuTLS priorities (default: TLS 1.2, 1.3)" },
{ "tls-handshake-timeout", 0, NUM(tls_handshake_ms, 1, 3600000, "5000"),
  .arg = " MS", .help = "TLS handshake deadline (default {})" },
{ "trusted-proxy", 0, NETS(proxies, nproxies),
  .help = "believe X-Forwarded-For/-Proto from it" },
{ "no-metrics", 0, K_NOT, FIELD(metrics),
  .help = "no GET /metrics on the WebSocket ports" },
{ "metrics-allow", 0, NETS(metrics_allow, nmetrics_allow),
  .help = "GET /metrics only from these (repeatable)" },
{ "max-connections", 0, NUM(max_conns, 0, 1u << 24, "4096"), .arg = " N",
  .help = "clients at once, all listeners (default\n"
	"{}, at most the descriptor limit; 0: that\n"
	"limit only)" },
{ "max-per-ip", 0, NUM(max_per_ip, 0, 1u << 24, "64"), .arg = " N",
  .help = "connections from one address not logged in\n"
	"(default {}; 0: no limit)" },
{ "conn-rate", 0, NUM(conn_rate, 0, 1000000, "20"), .arg = " N",
  .help = "new connections per second from one\n"
	"address (default {}; 0: no limit)" },
{ "conn-burst", 0, NUM(conn_burst, 1, 1000000, "100"), .arg = " N",
  .help = "... of which this many at once (default {})" },
/* The default depends on the machine: options_defaults() sets it. */
{ "max-buffer-memory", 0, K_SIZE, FIELD(max_bufmem), .min = 1u << 20,
  .max = SIZE_MAX, .arg = " BYTES",
  .help = "partial messages and send queues of every\n"
	"client together (k, M, G; default 1/8 of\n"
	"the RAM, at least 16M); the largest\n"
	"consumers are closed first past it" },
{ "audit-keep", 0, K_CUSTOM, FIELD(audit_keep_s), .def = "90d,100000",
  .parse = parse_keep, .print = print_keep, .arg = " AGE[,ROWS]",
  .help = "audit rows kept (s, m, h, d; default\n"
	"{}; 0: no limit)" },
{ "max-signal", 0, NUM(max_signal, 16, 0x7FFFFFFF, "20971520"),
  .arg = " BYTES", .help = "largest message accepted (default {})" },
{ "send-queue-bytes", 0, NUM(sendq_bytes, 1024, SIZE_MAX, "8388608"),
  .arg = " BYTES", .help = "per-client send queue (default {})" },
{ "send-queue-msgs", 0, NUM(sendq_msgs, 4, 1u << 24, "8192"), .arg = " N",
  .help = "per-client queued messages (default {})" },
{ "handshake-timeout", 0, NUM(handshake_ms, 1, 3600000, "10000"),
  .arg = " MS", .help = "WebSocket upgrade deadline (default {})" },
{ "max-subscriptions", 0, NUM(max_subs, 1, 1u << 20, "1024"), .arg = " N",
  .help = "per client (default {})" },
/* reference retain.limitCounter and retain.limitSize */
{ "retain-max", 0, NUM(retain_count, 0, 1u << 24, "1000"), .arg = " N",
  .help = "retained signals kept (default {})" },
{ "retain-size", 0, NUM(retain_size, 0, 0x7FFFFFFF, "100000"),
  .arg = " BYTES", .help = "a retained signal is smaller (default {})" },
{ "log-level", 0, K_CHOICE, FIELD(log_level), .def = "info",
  .choices = log_level_choices, .expect = "bad level", .arg = " LEVEL",
  .help = "error, warn, info (default) or debug" },
{ "syslog", 0, FLAG(syslog), .flags = O_RESTART,
  .help = "log to syslog (daemon) instead of stderr" },
/* io-server's "-f DIR" next to a bare "-f" (the working directory). */
{ "file-logger", 'f', K_OPTSTR, FIELD(file_logger), .next = "",
  .bare = ".", .arg = " [DIR]",
  .help = "connection.log, auth.log and attack.log\n"
	"in DIR (default: the working directory),\n"
	"as the reference (reopened on HUP)" },
{ "metric", 'm', K_CHOICE, FIELD(metric), .def = "0",
  .choices = metric_choices,
  .expect = "1 (traffic), 2 (clients) or 3 (channels), not",
  .arg = " 1|2|3",
  .help = "print the reference's tables on stdout:\n"
	"1 memory and traffic, 2 clients,\n"
	"3 channels" },
/* serverOption.monitorPeriod */
{ "monitor-period", 0, NUM(monitor_ms, 1000, 86400000, "5000"),
  .arg = " MS", .help = "... this often (default {})" },
/* io-server's "-a api_1 api_2": several words. */
{ "api-list", 'a', K_CUSTOM, O_WORDS, FIELD(apis), .def = "reply,sudo",
  .next = "", .parse = parse_apis, .print = print_apis, .arg = " NAME...",
  .help = "answer only these request APIs: reply\n"
	"(echo, date, unixtime), sudo (admin);\n"
	"none; default: all" },
{ "stop-timeout", 0, NUM(stop_ms, 0, 3600000, "3000"), .arg = " MS",
  .help = "on SIGTERM, wait this long for clients\n"
	"to take their close (default {})" },
{ "version", 'V', K_VERSION, O_CLI, .help = "print the version" },
{ "help", 'h', K_HELP, O_CLI, .help = "this help" },
};

#define NOPTS	(sizeof(optdefs) / sizeof(optdefs[0]))
#define HELP_COL	33	/* where --help's descriptions start */

static const char usage_tail[] =
"\n"
"From io-server (iosignal-cli): -l, -L, -t, -s, -o, -d, -e, -E, -r, -f,\n"
"-m and -a work as there, with more: -r takes a redis:// URL, -f a\n"
"directory. Where io-server has no option, iosd's replace its code:\n"
"the monitor is also GET /metrics, `iosctl watch` and iostui; devices\n"
"are kept in the database (-D, `iosctl enroll`, `iosctl import`).\n";

struct parse_state {
	bool cli;		/* the command line, after the file */
	bool apis_set;		/* an -a was read: the default is gone */
	bool reset[NOPTS];	/* repeatables the command line started anew */
};

/* While parsing a configuration file: "FILE:LINE: " for messages. */
static char where[4200];
static char last_error[1024];
static bool quiet;		/* reload: the caller reports the error */

/* One line naming what is wrong, a usage hint, exit status 2. */
__attribute__((format(printf, 1, 2)))
static int
bad(const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(last_error, sizeof(last_error), "%s",
	    where);

	va_start(ap, fmt);
	if (n < sizeof(last_error))
		vsnprintf(last_error + n, sizeof(last_error) - n, fmt, ap);
	va_end(ap);
	if (!quiet)
		fprintf(stderr, "iosd: %s\nTry 'iosd --help' for more "
		    "information.\n", last_error);
	return 2;
}

const char *
options_error(void)
{
	return last_error;
}

static int
number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int apply(struct options *o, struct parse_state *ps,
    const struct optdef *d, const char *arg);
static void usage(FILE *f);

/* The fields of the table, by offset and size. */
static void *
field(const struct options *o, size_t off)
{
	return (char *)(uintptr_t)o + off;
}

static const char *
get_str(const struct options *o, size_t off)
{
	return *(const char **)field(o, off);
}

static void
set_str(struct options *o, size_t off, const char *s)
{
	*(const char **)field(o, off) = s;
}

static size_t *
count_of(const struct options *o, const struct optdef *d)
{
	return field(o, d->off2);
}

static unsigned long long
get_uint(const struct options *o, const struct optdef *d)
{
	const void *p = field(o, d->off);
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (d->size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

static void
set_uint(struct options *o, const struct optdef *d, unsigned long long v)
{
	void *p = field(o, d->off);
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	uint64_t u64 = v;

	switch (d->size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &u64, 8); break;
	}
}

static int
has_arg(const struct optdef *d)
{
	switch (d->kind) {
	case K_FLAG: case K_NOT: case K_NOCONFIG: case K_HELP: case K_VERSION:
		return no_argument;
	case K_OPTSTR:
		return optional_argument;
	default:
		return required_argument;
	}
}

/* An eighth of the machine's memory, at least 16 MiB: a Pi with 1 GB
 * gives 128 MiB to what clients make it hold. */
static size_t
default_bufmem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && psize > 0 ? (uint64_t)pages *
	    (uint64_t)psize : 0;
	uint64_t b = ram / 8;

	if (b < (16u << 20))
		b = 16u << 20;
	return b > SIZE_MAX ? SIZE_MAX : (size_t)b;
}

void
options_defaults(struct options *o)
{
	struct parse_state ps;

	memset(o, 0, sizeof(*o));
	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];

		if (d->kind == K_NOT)
			set_uint(o, d, 1);	/* --no-quota not given */
		else if (d->def && apply(o, &ps, d, d->def) != 0)
			abort();	/* the table's mistake, said by bad() */
	}
	o->anon_signal = 1048576;	/* level 3, the default level */
	o->max_bufmem = default_bufmem();
}

static int
parse_listen(struct options *o, enum transport tr, const char *arg)
{
	struct listen_spec *l;
	const char *port = arg, *colon;
	unsigned long long p;

	if (o->nlisten == OPT_MAX_LISTEN)
		return bad("%s: too many listeners (%s)", "listen", arg);
	l = &o->listen[o->nlisten];
	memset(l, 0, sizeof(*l));
	l->tr = tr;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - arg - 1) >= sizeof(l->host))
			return bad("%s: bad address '%s'", "listen", arg);
		memcpy(l->host, arg + 1, (size_t)(close - arg - 1));
		port = close + 2;
	} else if ((colon = strrchr(arg, ':')) != NULL) {
		if (strchr(arg, ':') != colon)
			return bad("%s: IPv6 addresses go in brackets: '%s'",
			    "listen", arg);
		if ((size_t)(colon - arg) >= sizeof(l->host))
			return bad("%s: bad address '%s'", "listen", arg);
		memcpy(l->host, arg, (size_t)(colon - arg));
		port = colon + 1;
	}
	if (number(port, 0, 65535, &p) < 0)
		return bad("%s: bad port in '%s'", "listen", arg);
	snprintf(l->port, sizeof(l->port), "%llu", p);
	o->nlisten++;
	return 0;
}

/* ADDR[/N] into nets[*n] (for --trusted-proxy, --metrics-allow). */
static int
parse_net(struct proxy_net *nets, size_t *n, const char *opt, const char *arg)
{
	struct proxy_net *p;
	char host[64];
	const char *slash = strchr(arg, '/');
	size_t hl = slash ? (size_t)(slash - arg) : strlen(arg);
	unsigned long long pre;

	if (*n == OPT_MAX_PROXIES)
		return bad("%s: too many (%s)", opt, arg);
	if (hl >= sizeof(host))
		return bad("%s: bad address '%s'", opt, arg);
	p = &nets[*n];
	memcpy(host, arg, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, host, p->addr) == 1)
		p->family = AF_INET6;
	else
		return bad("%s: bad address '%s'", opt, arg);
	p->prefix = p->family == AF_INET ? 32 : 128;
	if (slash) {
		if (number(slash + 1, 0, p->prefix, &pre) < 0)
			return bad("%s: bad prefix in '%s'", opt, arg);
		p->prefix = (unsigned)pre;
	}
	(*n)++;
	return 0;
}

static bool
net_match(const struct proxy_net *nets, size_t n, int family,
    const uint8_t *addr)
{
	uint8_t a4[4];

	/* An IPv4-mapped peer is matched as IPv4. */
	if (family == AF_INET6 && memcmp(addr,
	    "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memcpy(a4, addr + 12, 4);
		addr = a4;
		family = AF_INET;
	}
	for (size_t i = 0; i < n; i++) {
		const struct proxy_net *p = &nets[i];
		unsigned full = p->prefix / 8, rest = p->prefix % 8;

		if (p->family != family)
			continue;
		if (memcmp(p->addr, addr, full) != 0)
			continue;
		if (rest && ((p->addr[full] ^ addr[full]) &
		    (0xFF << (8 - rest)) & 0xFF))
			continue;
		return true;
	}
	return false;
}

int
options_net_parse(const char *arg, struct proxy_net *out)
{
	bool was = quiet;
	size_t n = 0;
	int rc;

	quiet = true;		/* the caller says what is wrong */
	rc = parse_net(out, &n, "address", arg);
	quiet = was;
	return rc == 0 ? 0 : -1;
}

bool
options_net_match(const struct proxy_net *nets, size_t n, int family,
    const uint8_t *addr)
{
	return net_match(nets, n, family, addr);
}

bool
options_metrics_allowed(const struct options *o, int family,
    const uint8_t *addr)
{
	if (!o->metrics)
		return false;
	return o->nmetrics_allow == 0 || net_match(o->metrics_allow,
	    o->nmetrics_allow, family, addr);
}

bool
options_proxy_trusted(const struct options *o, int family,
    const uint8_t *addr)
{
	return net_match(o->proxies, o->nproxies, family, addr);
}

/* BYTES with an optional k, M or G (powers of 1024). */
static int
size_arg(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(num))
		return -1;
	switch (s[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	memcpy(num, s, n + 1);
	if (shift)
		num[n - 1] = '\0';
	if (number(num, 0, ULLONG_MAX >> shift, out) < 0)
		return -1;
	*out <<= shift;
	return *out < min || *out > max ? -1 : 0;
}

/* 1048576 as "1M" for a message. */
static const char *
size_text(unsigned long long v, char *buf, size_t len)
{
	static const char unit[] = "kMG";
	int u = -1;

	while (u < 2 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", v);
	else
		snprintf(buf, len, "%llu%c", v, unit[u]);
	return buf;
}

/* AGE[,ROWS]: AGE in s, m, h or d (bare: days), either part 0 or empty
 * for no limit. */
static int
parse_keep(struct options *o, struct parse_state *ps, const struct optdef *d,
    const char *arg)
{
	char age[32];
	const char *comma = strchr(arg, ',');
	size_t al = comma ? (size_t)(comma - arg) : strlen(arg);
	unsigned long long v, mult = 86400, rows = o->audit_keep_rows;

	(void)ps;
	if (al >= sizeof(age))
		return bad("--%s: bad value '%s'", d->name, arg);
	memcpy(age, arg, al);
	age[al] = '\0';
	if (al && strchr("smhd", age[al - 1])) {
		mult = age[al - 1] == 's' ? 1 : age[al - 1] == 'm' ? 60 :
		    age[al - 1] == 'h' ? 3600 : 86400;
		age[--al] = '\0';
	}
	if (al && number(age, 0, 100ull * 365 * 86400 / mult, &v) < 0)
		return bad("--%s: bad age in '%s'", d->name, arg);
	if (comma && comma[1] && number(comma + 1, 0, 1ull << 40, &rows) < 0)
		return bad("--%s: bad row count in '%s'", d->name, arg);
	if (al)
		o->audit_keep_s = v * mult;
	o->audit_keep_rows = rows;
	return 0;
}

/* --anonymous allow | deny | deadline=MS */
static int
parse_anonymous(struct options *o, struct parse_state *ps,
    const struct optdef *d, const char *arg)
{
	unsigned long long v;

	(void)ps;
	if (strcmp(arg, "allow") == 0)
		o->anon_deadline_ms = 0;
	else if (strcmp(arg, "deny") == 0)
		o->anon_deadline_ms = 5000;
	else if (strncmp(arg, "deadline=", 9) == 0 &&
	    number(arg + 9, 1, 3600000, &v) == 0)
		o->anon_deadline_ms = (unsigned)v;
	else
		return bad("--%s: allow, deny or deadline=MS (1 to 3600000), "
		    "not '%s'", d->name, arg);
	return 0;
}

static void
print_anonymous(const struct options *o, const struct optdef *d, FILE *f)
{
	if (o->anon_deadline_ms == 0)
		fprintf(f, "%s = allow\n", d->name);
	else
		fprintf(f, "%s = deadline=%u\n", d->name, o->anon_deadline_ms);
}

static void
print_keep(const struct options *o, const struct optdef *d, FILE *f)
{
	fprintf(f, "%s = %llus,%llu\n", d->name,
	    (unsigned long long)o->audit_keep_s,
	    (unsigned long long)o->audit_keep_rows);
}

/* A repeatable option given on the command line replaces the file's. */
static void
cli_first(struct parse_state *ps, const struct optdef *d, size_t *count)
{
	size_t i = (size_t)(d - optdefs);

	if (!ps->cli || ps->reset[i])
		return;
	ps->reset[i] = true;
	*count = 0;
}

/* The same for one kind of listener: -L on the command line replaces the
 * file's CongSocket listeners and keeps its WebSocket ones. */
static void
cli_first_listen(struct options *o, struct parse_state *ps,
    const struct optdef *d)
{
	size_t keep = 1, k = 0;

	cli_first(ps, d, &keep);
	if (keep)
		return;
	for (size_t i = 0; i < o->nlisten; i++)
		if ((int)o->listen[i].tr != d->aux)
			o->listen[k++] = o->listen[i];
	o->nlisten = k;
}

static const struct {
	const char *name;
	unsigned bit;
} api_names[] = {
	{ "reply", OPT_API_REPLY }, { "sudo", OPT_API_SUDO },
};

/*
 * -a NAME...: names apart by commas or blanks, "none" for no API. The
 * first -a of a source starts the list anew; more add to it.
 */
static int
parse_apis(struct options *o, struct parse_state *ps, const struct optdef *d,
    const char *arg)
{
	size_t fresh = 1, napi = sizeof(api_names) / sizeof(api_names[0]);
	const char *p = arg;

	cli_first(ps, d, &fresh);
	if (fresh == 0 || !ps->apis_set)
		o->apis = 0;
	ps->apis_set = true;
	while (*p) {
		size_t n = strcspn(p, ", \t"), i;

		if (n == 4 && strncmp(p, "none", 4) == 0)
			o->apis = 0;
		else if (n > 0) {
			for (i = 0; i < napi; i++)
				if (strlen(api_names[i].name) == n &&
				    strncmp(p, api_names[i].name, n) == 0)
					break;
			if (i == napi)
				return bad("--%s: no API '%.*s' (iosd has reply "
				    "and sudo)", d->name, (int)n, p);
			o->apis |= api_names[i].bit;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

static void
print_apis(const struct options *o, const struct optdef *d, FILE *f)
{
	const char *sep = "";

	fprintf(f, "%s = ", d->name);
	for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++)
		if (o->apis & api_names[i].bit) {
			fprintf(f, "%s%s", sep, api_names[i].name);
			sep = ",";
		}
	fprintf(f, "%s\n", o->apis ? "" : "none");
}

/* One option's value, from the command line, a file or the table's
 * default: 0, 2 after bad(), or 1 when the program should exit 0 (help,
 * version). */
static int
apply(struct options *o, struct parse_state *ps, const struct optdef *d,
    const char *arg)
{
	char opt[48], min[32];
	unsigned long long v;
	size_t *n;

	snprintf(opt, sizeof(opt), "--%s", d->name);
	switch (d->kind) {
	case K_FLAG:
	case K_NOT:
		set_uint(o, d, d->kind == K_FLAG);
		return 0;
	case K_NUM:
		if (number(arg, d->min, d->max, &v) < 0)
			return bad("%s: bad value '%s'", opt, arg);
		set_uint(o, d, v);
		return 0;
	case K_SIZE:
		if (size_arg(arg, d->min, d->max, &v) < 0)
			return bad("%s: bad size '%s' (at least %s)", opt, arg,
			    size_text(d->min, min, sizeof(min)));
		set_uint(o, d, v);
		return 0;
	case K_PATH:
	case K_STR:
		set_str(o, d->off, (d->flags & O_EMPTY_NONE) && *arg == '\0' ?
		    NULL : arg);
		return 0;
	case K_CHOICE:
		for (const struct choice *c = d->choices; c->name; c++)
			if (strcmp(c->name, arg) == 0) {
				set_uint(o, d, c->v);
				return 0;
			}
		return bad("%s: %s '%s'", opt, d->expect, arg);
	case K_OPTSTR:
		if (d->two)
			*(bool *)field(o, d->off2) = true;
		set_str(o, d->off, arg && *arg ? arg : d->bare);
		return 0;
	case K_LISTEN:
		cli_first_listen(o, ps, d);
		return parse_listen(o, (enum transport)d->aux, arg);
	case K_NET:
		cli_first(ps, d, count_of(o, d));
		return parse_net(field(o, d->off), count_of(o, d), opt, arg);
	case K_LIST:
		n = count_of(o, d);
		cli_first(ps, d, n);
		if (*n == d->size / sizeof(const char *))
			return bad("%s: too many", opt);
		((const char **)field(o, d->off))[(*n)++] = arg;
		return 0;
	case K_CUSTOM:
		return d->parse(o, ps, d, arg);
	case K_VERSION:
		printf("iosd %s (libproto %s, protocol %s%s)\n",
		    IOSD_VERSION, PROTO_LIB_VERSION, PROTO_VERSION,
		    notify_built_in() ? ", systemd" : "");
		return 1;
	case K_HELP:
		usage(stdout);
		return 1;
	case K_CONFIG:
	case K_NOCONFIG:
		break;		/* read before the file */
	}
	return 0;
}

static void
usage(FILE *f)
{
	fputs("usage: iosd [options]\n", f);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];
		const char *h = d->help, *arg = d->arg ? d->arg : "";
		int n;

		if (d->ch)
			n = fprintf(f, "  -%c, --%s%s", d->ch, d->name, arg);
		else
			n = fprintf(f, "      --%s%s", d->name, arg);
		fprintf(f, "%*s", n < HELP_COL ? HELP_COL - n : 2, "");
		while (*h) {
			size_t len = strcspn(h, "\n");
			const char *def = memmem(h, len, "{}", 2);

			if (def)
				fprintf(f, "%.*s%s%.*s\n", (int)(def - h), h,
				    d->def ? d->def : "",
				    (int)(len - (size_t)(def - h) - 2), def + 2);
			else
				fprintf(f, "%.*s\n", (int)len, h);
			h += len;
			if (*h == '\n' && *++h)
				fprintf(f, "%*s", HELP_COL, "");
		}
	}
	fputs(usage_tail, f);
}

/* A copy of s owned by o (values read from a configuration file). */
static char *
own(struct options *o, const char *s, size_t n)
{
	struct opt_str *a = malloc(sizeof(*a) + n + 1);

	if (a == NULL)
		return NULL;
	memcpy(a->s, s, n);
	a->s[n] = '\0';
	a->next = o->strs;
	o->strs = a;
	return a->s;
}

void
options_free(struct options *o)
{
	while (o->strs) {
		struct opt_str *a = o->strs;

		o->strs = a->next;
		free(a);
	}
}

char *
options_own(struct options *o, const char *s)
{
	return s ? own(o, s, strlen(s)) : NULL;
}

static const struct optdef *
find_key(const char *name, size_t n)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(optdefs[i].name) == n &&
		    strncmp(optdefs[i].name, name, n) == 0)
			return &optdefs[i];
	return NULL;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * "name = value" lines with the long option names; '#' starts a comment
 * at the start of a line or after a blank; a value may be in double
 * quotes (to keep a '#' or blanks). A flag takes no value, or yes/no.
 */
static int
parse_file(struct options *o, struct parse_state *ps, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL)
		return bad("--config %s: %s", path, strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *p = line, *name, *eq, *val, *end;
		const struct optdef *d;
		bool quoted;
		size_t nl;
		int has;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = bad("line over %zu bytes", sizeof(line) - 2);
			break;
		}
		/* A '#' in quotes is the value's. */
		for (char *q = p, in = 0; *q; q++) {
			if (*q == '"')
				in = !in;
			else if (*q == '#' && !in && (q == p || blank(q[-1]))) {
				*q = '\0';
				break;
			}
		}
		while (blank(*p))
			p++;
		end = p + strcspn(p, "\n");
		while (end > p && blank(end[-1]))
			end--;
		*end = '\0';
		if (*p == '\0')
			continue;
		name = p;
		eq = strchr(p, '=');
		nl = eq ? (size_t)(eq - p) : strlen(p);
		while (nl && blank(name[nl - 1]))
			nl--;
		val = eq ? eq + 1 : NULL;
		while (val && blank(*val))
			val++;
		quoted = val && *val == '"';
		if (quoted) {
			size_t vl = strlen(val);

			if (vl < 2 || val[vl - 1] != '"') {
				rc = bad("unterminated quote");
				break;
			}
			val[vl - 1] = '\0';
			val++;
		}
		d = find_key(name, nl);
		if (d == NULL || (d->flags & O_CLI)) {
			rc = bad("unknown option '%.*s'", (int)nl, name);
			break;
		}
		has = has_arg(d);
		if (has == no_argument) {
			if (val && (strcmp(val, "no") == 0 ||
			    strcmp(val, "false") == 0 || strcmp(val, "off") == 0))
				continue;
			if (val && *val && strcmp(val, "yes") != 0 &&
			    strcmp(val, "true") != 0 && strcmp(val, "on") != 0) {
				rc = bad("%s takes no value (or yes/no), not "
				    "'%s'", d->name, val);
				break;
			}
			val = NULL;
		} else if (has == optional_argument && val &&
		    (strcmp(val, "yes") == 0 || *val == '\0')) {
			val = NULL;	/* "redis = yes": on, no value */
		} else if (has == optional_argument && val &&
		    strcmp(val, "no") == 0) {
			continue;
		} else if (has == required_argument &&
		    (val == NULL || (*val == '\0' && !quoted))) {
			/* control = "" says none, as -c '' does. */
			rc = bad("%s needs a value: %s = VALUE", d->name,
			    d->name);
			break;
		}
		if (val && (val = own(o, val, strlen(val))) == NULL) {
			rc = bad("out of memory");
			break;
		}
		rc = apply(o, ps, d, val);
	}
	if (rc == 0 && ferror(f))
		rc = bad("%s: read error", path);
	fclose(f);
	where[0] = '\0';
	return rc;
}

/* getopt_long's tables, from optdefs[]: a long option's val is its short
 * letter, or 256 + its index. */
static struct option longopts[NOPTS + 1];
static char optstring[3 * NOPTS + 2];

static void
getopt_tables(void)
{
	char *s = optstring;

	if (longopts[0].name)
		return;
	*s++ = ':';		/* a missing value: ':', not '?' */
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];
		int has = has_arg(d);

		longopts[i].name = d->name;
		longopts[i].has_arg = has;
		longopts[i].val = d->ch ? d->ch : 256 + (int)i;
		if (d->ch) {
			*s++ = (char)d->ch;
			if (has != no_argument)
				*s++ = ':';
			if (has == optional_argument)
				*s++ = ':';
		}
	}
	*s = '\0';
}

/* The next word as d's value, when d takes one so (d->next). */
static const char *
take_word(const struct optdef *d, int argc, char **v)
{
	const char *w = optind < argc ? v[optind] : NULL;

	if (w == NULL || d->next == NULL || (*d->next ? strncmp(w, d->next,
	    strlen(d->next)) != 0 : w[0] == '-'))
		return NULL;
	optind++;
	return w;
}

/*
 * getopt_long, and io-server's spellings it cannot read: an optional
 * value as the next word ("-f DIR" next to a bare "-f", "-r redis://...").
 * *dp is the option (NULL for '?' and ':'), *arg its value.
 */
static int
next_option(int argc, char **v, const struct optdef **dp, const char **arg)
{
	int ch = getopt_long(argc, v, optstring, longopts, NULL);

	*dp = NULL;
	*arg = optarg;
	if (ch == -1 || ch == '?' || ch == ':')
		return ch;
	if (ch >= 256)
		*dp = &optdefs[ch - 256];
	else
		for (size_t i = 0; i < NOPTS && *dp == NULL; i++)
			if (optdefs[i].ch == ch)
				*dp = &optdefs[i];
	if (*dp && *arg == NULL && has_arg(*dp) == optional_argument)
		*arg = take_word(*dp, argc, v);
	return ch;
}

/* A copy of argv owned by o, for getopt to reorder: each pass starts
 * from the words as given, and a reload finds them so. */
static char **
argv_copy(struct options *o, int argc, char **argv)
{
	struct opt_str *a = malloc(sizeof(*a) + (size_t)(argc + 1) *
	    sizeof(char *));
	char **v;

	if (a == NULL)
		return NULL;
	a->next = o->strs;
	o->strs = a;
	v = (char **)(void *)a->s;
	memcpy(v, argv, (size_t)argc * sizeof(char *));
	v[argc] = NULL;
	return v;
}

int
options_parse(struct options *o, int argc, char **argv)
{
	struct parse_state ps;
	const struct optdef *d;
	const char *config = NULL, *arg;
	bool no_config = false;
	char **v;
	int ch, rc;

	memset(&ps, 0, sizeof(ps));
	getopt_tables();
	/* The file first, then the command line over it: a first pass of
	 * getopt finds --config (abbreviated too), the second does the rest. */
	if ((v = argv_copy(o, argc, argv)) == NULL)
		return bad("out of memory");
	opterr = 0;
	optind = 0;
	while ((ch = next_option(argc, v, &d, &arg)) != -1) {
		if (d && d->kind == K_CONFIG)
			config = arg;
		else if (d && d->kind == K_NOCONFIG)
			no_config = true;
		while (d && (d->flags & O_WORDS) && take_word(d, argc, v))
			;
	}
	if (config == NULL && !no_config && IOSD_DEFAULT_CONFIG[0] &&
	    access(IOSD_DEFAULT_CONFIG, R_OK) == 0)
		config = IOSD_DEFAULT_CONFIG;
	if (no_config)
		config = NULL;
	o->config = config;
	if (config && (rc = parse_file(o, &ps, config)) != 0)
		return rc;
	ps.cli = true;
	if ((v = argv_copy(o, argc, argv)) == NULL)
		return bad("out of memory");
	opterr = 0;
	optind = 0;		/* glibc: start afresh (reloads parse again) */
	while ((ch = next_option(argc, v, &d, &arg)) != -1) {
		if (ch == ':')
			return bad("option %s: missing value", v[optind - 1]);
		if (d == NULL)
			return bad("%s: unknown option", v[optind - 1]);
		/* "-a reply sudo": each word one more value. */
		do {
			if ((rc = apply(o, &ps, d, arg)) != 0)
				return rc;
		} while ((d->flags & O_WORDS) &&
		    (arg = take_word(d, argc, v)) != NULL);
	}
	if (optind < argc)
		return bad("'%s': unexpected argument", v[optind]);
	if (o->nlisten == 0)
		return bad("no listener: give -l PORT (WebSocket), -W PORT "
		    "(wss) and/or -L PORT (CongSocket)");
	for (size_t i = 0; i < o->nlisten; i++)
		if (o->listen[i].tr == TR_WSS && (!o->tls_cert || !o->tls_key))
			return bad("-W %s: wss needs --tls-cert FILE and "
			    "--tls-key FILE", o->listen[i].port);
	if (o->anon_signal > o->max_signal)
		o->anon_signal = o->max_signal;
	return 0;
}

void
options_quiet(bool q)
{
	quiet = q;
}

static void
print_nets(FILE *f, const char *name, const struct proxy_net *n, size_t cnt)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < cnt; i++) {
		inet_ntop(n[i].family, n[i].addr, buf, sizeof(buf));
		fprintf(f, "%s = %s/%u\n", name, buf, n[i].prefix);
	}
}

/* name = s, in quotes when the file would not read it back bare. */
static void
print_value(FILE *f, const char *name, const char *s, bool quote)
{
	size_t n = strlen(s);

	quote |= n == 0 || s[0] == '"' || strchr(s, '#') != NULL ||
	    blank(s[0]) || blank(s[n - 1]);
	fprintf(f, "%s = %s%s%s\n", name, quote ? "\"" : "", s,
	    quote ? "\"" : "");
}

/* One option as a file says it: nothing, a line, or one per value. */
static void
print_option(const struct options *o, const struct optdef *d, FILE *f)
{
	const char *s;
	size_t n;

	switch (d->kind) {
	case K_FLAG:
	case K_NOT:
		fprintf(f, "%s = %s\n", d->name, (get_uint(o, d) != 0) ==
		    (d->kind == K_FLAG) ? "yes" : "no");
		break;
	case K_NUM:
	case K_SIZE:
		fprintf(f, "%s = %llu\n", d->name, get_uint(o, d));
		break;
	case K_PATH:
	case K_STR:
		/* None where the default is something: "" says so. */
		s = get_str(o, d->off);
		if (s == NULL && d->def && d->def[0])
			s = "";
		if (s)
			print_value(f, d->name, s, d->kind == K_STR);
		break;
	case K_CHOICE:
		for (const struct choice *c = d->choices; c->name; c++)
			if (c->v == get_uint(o, d)) {
				fprintf(f, "%s = %s\n", d->name, c->name);
				break;
			}
		break;
	case K_OPTSTR:
		s = get_str(o, d->off);
		if (d->two ? *(const bool *)field(o, d->off2) : s != NULL)
			print_value(f, d->name, s ? s : "yes", false);
		break;
	case K_LISTEN:
		for (size_t i = 0; i < o->nlisten; i++) {
			const struct listen_spec *l = &o->listen[i];
			bool v6 = strchr(l->host, ':') != NULL;

			if ((int)l->tr == d->aux)
				fprintf(f, "%s = %s%s%s%s%s\n", d->name, v6 ?
				    "[" : "", l->host, v6 ? "]" : "",
				    l->host[0] ? ":" : "", l->port);
		}
		break;
	case K_NET:
		print_nets(f, d->name, field(o, d->off), *count_of(o, d));
		break;
	case K_LIST:
		n = *count_of(o, d);
		if (d->flags & O_SECRET) {
			if (n)
				fprintf(f, "# %s: %zu list(s), keys not shown\n",
				    d->name, n);
			break;
		}
		for (size_t i = 0; i < n; i++)
			print_value(f, d->name,
			    ((const char **)field(o, d->off))[i], false);
		break;
	case K_CUSTOM:
		d->print(o, d, f);
		break;
	default:
		break;
	}
}

/*
 * The effective configuration in the file's own syntax, so that
 * "iosd -o ... > iosd.conf" gives a file iosd reads back. Keys are not
 * shown: an -e list prints as a comment.
 */
void
options_print(const struct options *o, FILE *f)
{
	fprintf(f, "# iosd %s effective configuration%s%s\n", IOSD_VERSION,
	    o->config ? ", read from " : "", o->config ? o->config : "");
	for (size_t i = 0; i < NOPTS; i++)
		if (!(optdefs[i].flags & (O_CLI | O_NOPRINT)))
			print_option(o, &optdefs[i], f);
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * What only a restart changes (O_RESTART): n, just parsed for a reload,
 * keeps o's running values, with a warning for each that differs.
 * Scalars, strings and optional strings only.
 */
void
options_keep_restart(struct options *n, const struct options *o)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct optdef *d = &optdefs[i];
		bool same = true;

		if (!(d->flags & O_RESTART))
			continue;
		if (d->kind == K_PATH || d->kind == K_STR ||
		    d->kind == K_OPTSTR) {
			same = same_str(get_str(n, d->off), get_str(o, d->off));
			set_str(n, d->off, options_own(n, get_str(o, d->off)));
		} else if (d->size <= sizeof(uint64_t)) {
			same = get_uint(n, d) == get_uint(o, d);
			set_uint(n, d, get_uint(o, d));
		}
		if (d->two) {
			bool *b = field(n, d->off2);

			same &= *b == *(const bool *)field(o, d->off2);
			*b = *(const bool *)field(o, d->off2);
		}
		if (!same)
			log_warnx("reload: %s changed; it takes effect after "
			    "a restart", d->name);
	}
}
