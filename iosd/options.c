/*
 * options.c - command-line parsing with getopt_long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "options.h"
#include "proto.h"
#include "tls.h"
#include "version.h"

enum {
	OPT_TRUSTED_PROXY = 256, OPT_MAX_SIGNAL, OPT_SENDQ_BYTES,
	OPT_SENDQ_MSGS, OPT_HANDSHAKE, OPT_MAX_SUBS, OPT_RETAIN_MAX,
	OPT_RETAIN_SIZE, OPT_LOG_LEVEL, OPT_MEMBERS_ONLY, OPT_AUTH_FAIL_DELAY,
	OPT_NO_QUOTA, OPT_PUBLISH_COUNTER, OPT_RATE_CLOSE, OPT_CONTROL_RO,
	OPT_NO_METRICS, OPT_METRICS_ALLOW, OPT_TLS_CERT, OPT_TLS_KEY,
	OPT_TLS_PRIORITY, OPT_TLS_HANDSHAKE, OPT_SYSLOG, OPT_STOP_TIMEOUT,
	OPT_CONFIG, OPT_NO_CONFIG, OPT_MAX_CONNS, OPT_MAX_PER_IP,
	OPT_CONN_RATE, OPT_CONN_BURST, OPT_MAX_BUFMEM, OPT_AUDIT_KEEP,
	OPT_MONITOR_PERIOD,
};

#define OPTSTRING	":l:L:W:t:s:oD:d:e:Er::c:f::m:a:Vh"

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "listen-cong", required_argument, NULL, 'L' },
	{ "listen-wss", required_argument, NULL, 'W' },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-priority", required_argument, NULL, OPT_TLS_PRIORITY },
	{ "tls-handshake-timeout", required_argument, NULL, OPT_TLS_HANDSHAKE },
	{ "timeout", required_argument, NULL, 't' },
	{ "show-message", required_argument, NULL, 's' },
	{ "show-options", no_argument, NULL, 'o' },
	{ "db", required_argument, NULL, 'D' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY },
	{ "max-signal", required_argument, NULL, OPT_MAX_SIGNAL },
	{ "send-queue-bytes", required_argument, NULL, OPT_SENDQ_BYTES },
	{ "send-queue-msgs", required_argument, NULL, OPT_SENDQ_MSGS },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE },
	{ "max-subscriptions", required_argument, NULL, OPT_MAX_SUBS },
	{ "retain-max", required_argument, NULL, OPT_RETAIN_MAX },
	{ "retain-size", required_argument, NULL, OPT_RETAIN_SIZE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "auth-file", required_argument, NULL, 'd' },
	{ "auth-param", required_argument, NULL, 'e' },
	{ "auth-env", no_argument, NULL, 'E' },
	{ "redis", optional_argument, NULL, 'r' },
	{ "members-only", no_argument, NULL, OPT_MEMBERS_ONLY },
	{ "auth-fail-delay", required_argument, NULL, OPT_AUTH_FAIL_DELAY },
	{ "no-quota", no_argument, NULL, OPT_NO_QUOTA },
	{ "publish-counter", no_argument, NULL, OPT_PUBLISH_COUNTER },
	{ "rate-close", required_argument, NULL, OPT_RATE_CLOSE },
	{ "control", required_argument, NULL, 'c' },
	{ "control-ro", required_argument, NULL, OPT_CONTROL_RO },
	{ "no-metrics", no_argument, NULL, OPT_NO_METRICS },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "file-logger", optional_argument, NULL, 'f' },
	{ "metric", required_argument, NULL, 'm' },
	{ "monitor-period", required_argument, NULL, OPT_MONITOR_PERIOD },
	{ "api-list", required_argument, NULL, 'a' },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "metrics-allow", required_argument, NULL, OPT_METRICS_ALLOW },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "conn-rate", required_argument, NULL, OPT_CONN_RATE },
	{ "conn-burst", required_argument, NULL, OPT_CONN_BURST },
	{ "max-buffer-memory", required_argument, NULL, OPT_MAX_BUFMEM },
	{ "audit-keep", required_argument, NULL, OPT_AUDIT_KEEP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"usage: iosd [options]\n"
"      --config FILE              options from FILE, \"name = value\" lines\n"
"                                 (default: " IOSD_DEFAULT_CONFIG_TEXT ");\n"
"                                 the command line wins\n"
"      --no-config                read no configuration file\n"
"  -l, --listen [ADDR:]PORT       WebSocket listener (repeatable)\n"
"  -L, --listen-cong [ADDR:]PORT  CongSocket listener (repeatable)\n"
"  -W, --listen-wss [ADDR:]PORT   WebSocket over TLS (repeatable; needs\n"
"                                 --tls-cert and --tls-key)\n"
"                                 ADDR: IPv4, [IPv6] or a name; without it\n"
"                                 every IPv4 and IPv6 address\n"
"  -t, --timeout MS               ping period; a silent client is closed\n"
"                                 on the second period (default 50000)\n"
"  -s, --show-message none|message  print every received message\n"
"  -o, --show-options             print the effective options at start\n"
"  -D, --db PATH                  device database (default "
    IOSD_DEFAULT_DB ")\n"
"  -d, --auth-file FILE           devices from a reference auth_file.json\n"
"  -e, --auth-param ID.KEY.LEVEL,...  devices from the command line\n"
"  -E, --auth-env                 devices from BOHO_AUTH (as -e)\n"
"  -r, --redis[=URL]              devices from Redis (REDIS_HOST/REDIS_PORT)\n"
"  -c, --control PATH             control socket for iosctl and iostui\n"
"                                 (default: " IOSD_DEFAULT_CONTROL_TEXT ")\n"
"      --control-ro PATH          a second control socket, read-only\n"
"      --members-only             only logged-in clients may signal\n"
"      --auth-fail-delay MS       AUTH_FAIL after this delay (default 1000)\n"
"      --no-quota                 do not enforce signalSize and trafficRate\n"
"      --publish-counter          cap recipients at the level's publishCounter\n"
"      --rate-close MS            close a client over its rate this long (5000)\n"
"      --tls-cert FILE            PEM certificate (a chain: leaf first)\n"
"      --tls-key FILE             PEM private key\n"
"      --tls-priority STRING      GnuTLS priorities (default: TLS 1.2, 1.3)\n"
"      --tls-handshake-timeout MS TLS handshake deadline (default 5000)\n"
"      --trusted-proxy ADDR[/N]   believe X-Forwarded-For/-Proto from it\n"
"      --no-metrics               no GET /metrics on the WebSocket ports\n"
"      --metrics-allow ADDR[/N]   GET /metrics only from these (repeatable)\n"
"      --max-connections N        clients at once, all listeners (default\n"
"                                 4096, at most the descriptor limit; 0: that\n"
"                                 limit only)\n"
"      --max-per-ip N             connections from one address not logged in\n"
"                                 (default 64; 0: no limit)\n"
"      --conn-rate N              new connections per second from one\n"
"                                 address (default 20; 0: no limit)\n"
"      --conn-burst N             ... of which this many at once (default 100)\n"
"      --max-buffer-memory BYTES  partial messages and send queues of every\n"
"                                 client together (k, M, G; default 1/8 of\n"
"                                 the RAM, at least 16M); the largest\n"
"                                 consumers are closed first past it\n"
"      --audit-keep AGE[,ROWS]    audit rows kept (s, m, h, d; default\n"
"                                 90d,100000; 0: no limit)\n"
"      --max-signal BYTES         largest message accepted (default 20971520)\n"
"      --send-queue-bytes BYTES   per-client send queue (default 8388608)\n"
"      --send-queue-msgs N        per-client queued messages (default 8192)\n"
"      --handshake-timeout MS     WebSocket upgrade deadline (default 10000)\n"
"      --max-subscriptions N      per client (default 1024)\n"
"      --retain-max N             retained signals kept (default 1000)\n"
"      --retain-size BYTES        a retained signal is smaller (default 100000)\n"
"      --log-level LEVEL          error, warn, info (default) or debug\n"
"      --syslog                   log to syslog (daemon) instead of stderr\n"
"  -f, --file-logger [DIR]        connection.log, auth.log and attack.log\n"
"                                 in DIR (default: the working directory),\n"
"                                 as the reference (reopened on HUP)\n"
"  -m, --metric 1|2|3             print the reference's tables on stdout:\n"
"                                 1 memory and traffic, 2 clients,\n"
"                                 3 channels\n"
"      --monitor-period MS        ... this often (default 5000)\n"
"  -a, --api-list NAME...         answer only these request APIs: reply\n"
"                                 (echo, date, unixtime), sudo (admin);\n"
"                                 none; default: all\n"
"      --stop-timeout MS          on SIGTERM, wait this long for clients\n"
"                                 to take their close (default 3000)\n"
"  -V, --version                  print the version\n"
"  -h, --help                     this help\n"
"\n"
"From io-server (iosignal-cli): -l, -L, -t, -s, -o, -d, -e, -E, -r, -f,\n"
"-m and -a work as there, with more: -r takes a redis:// URL, -f a\n"
"directory. Where io-server has no option, iosd's replace its code:\n"
"the monitor is also GET /metrics, `iosctl watch` and iostui; devices\n"
"are kept in the database (-D, `iosctl enroll`, `iosctl import`).\n";

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
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 50000;
	o->db_path = IOSD_DEFAULT_DB;
	o->max_signal = 20971520;	/* the largest level's signalSize */
	o->anon_signal = 1048576;	/* level 3, the default level */
	o->sendq_bytes = 8u << 20;
	o->sendq_msgs = 8192;
	o->handshake_ms = 10000;
	o->tls_handshake_ms = 5000;
	o->stop_ms = 3000;
	o->max_subs = 1024;
	o->retain_count = 1000;		/* reference retain.limitCounter */
	o->retain_size = 100000;	/* reference retain.limitSize */
	o->log_level = LOG_LVL_INFO;
	o->auth_fail_ms = 1000;		/* serverOption.auth.delay_auth_fail */
	o->quotas = true;
	o->metrics = true;
	o->rate_close_ms = 5000;
	o->control = IOSD_DEFAULT_CONTROL[0] ? IOSD_DEFAULT_CONTROL : NULL;
	o->max_conns = 4096;
	o->max_per_ip = 64;
	o->conn_rate = 20;
	o->conn_burst = 100;
	o->max_bufmem = default_bufmem();
	o->audit_keep_s = 90 * 86400;
	o->audit_keep_rows = 100000;
	o->monitor_ms = 5000;		/* serverOption.monitorPeriod */
	o->apis = OPT_API_ALL;
}

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

/* AGE[,ROWS]: AGE in s, m, h or d (bare: days), either part 0 or empty
 * for no limit. */
static int
parse_keep(struct options *o, const char *arg)
{
	char age[32];
	const char *comma = strchr(arg, ',');
	size_t al = comma ? (size_t)(comma - arg) : strlen(arg);
	unsigned long long v, mult = 86400, rows = o->audit_keep_rows;

	if (al >= sizeof(age))
		return bad("--audit-keep: bad value '%s'", arg);
	memcpy(age, arg, al);
	age[al] = '\0';
	if (al && strchr("smhd", age[al - 1])) {
		mult = age[al - 1] == 's' ? 1 : age[al - 1] == 'm' ? 60 :
		    age[al - 1] == 'h' ? 3600 : 86400;
		age[--al] = '\0';
	}
	if (al && number(age, 0, 100ull * 365 * 86400 / mult, &v) < 0)
		return bad("--audit-keep: bad age in '%s'", arg);
	if (comma && comma[1] && number(comma + 1, 0, 1ull << 40, &rows) < 0)
		return bad("--audit-keep: bad row count in '%s'", arg);
	if (al)
		o->audit_keep_s = v * mult;
	o->audit_keep_rows = rows;
	return 0;
}

#define SET_NUM(field, min, max, name) do { \
	unsigned long long v_; \
	if (number(arg, (min), (max), &v_) < 0) \
		return bad("%s: bad value '%s'", name, arg); \
	o->field = v_; \
} while (0)

struct parse_state {
	bool cli;		/* the command line, after the file */
	bool apis_set;		/* an -a was read: the default is gone */
	int reset[8];		/* repeatables the command line started anew */
	size_t nreset;
};

/* A repeatable option given on the command line replaces the file's. */
static void
cli_first(struct parse_state *ps, int ch, size_t *count)
{
	for (size_t i = 0; i < ps->nreset; i++)
		if (ps->reset[i] == ch)
			return;
	if (!ps->cli || ps->nreset == sizeof(ps->reset) / sizeof(ps->reset[0]))
		return;
	ps->reset[ps->nreset++] = ch;
	*count = 0;
}

/* The same for one kind of listener: -L on the command line replaces the
 * file's CongSocket listeners and keeps its WebSocket ones. */
static void
cli_first_listen(struct options *o, struct parse_state *ps, int ch)
{
	enum transport tr = ch == 'l' ? TR_WS : ch == 'W' ? TR_WSS : TR_CONG;
	size_t keep = 1, k = 0;

	cli_first(ps, ch, &keep);
	if (keep)
		return;
	for (size_t i = 0; i < o->nlisten; i++)
		if (o->listen[i].tr != tr)
			o->listen[k++] = o->listen[i];
	o->nlisten = k;
}

/*
 * -a NAME...: names apart by commas or blanks, "none" for no API. The
 * first -a of a source starts the list anew; more add to it.
 */
static int
parse_apis(struct options *o, struct parse_state *ps, const char *arg)
{
	static const struct { const char *name; unsigned bit; } apis[] = {
		{ "reply", OPT_API_REPLY }, { "sudo", OPT_API_SUDO },
	};
	size_t fresh = 1;
	const char *p = arg;

	cli_first(ps, 'a', &fresh);
	if (fresh == 0 || !ps->apis_set)
		o->apis = 0;
	ps->apis_set = true;
	while (*p) {
		size_t n = strcspn(p, ", \t"), i;

		if (n == 4 && strncmp(p, "none", 4) == 0)
			o->apis = 0;
		else if (n > 0) {
			for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
				if (strlen(apis[i].name) == n &&
				    strncmp(p, apis[i].name, n) == 0)
					break;
			if (i == sizeof(apis) / sizeof(apis[0]))
				return bad("--api-list: no API '%.*s' (iosd "
				    "has reply and sudo)", (int)n, p);
			o->apis |= apis[i].bit;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return 0;
}

/* One option, from the command line or a file: 0, 2 after bad(), or -1
 * for an option this table does not know. */
static int
apply(struct options *o, struct parse_state *ps, int ch, const char *arg)
{
	int rc;
	enum log_level lvl;

	switch (ch) {
	case 'l':
	case 'L':
	case 'W':
		cli_first_listen(o, ps, ch);
		rc = parse_listen(o, ch == 'l' ? TR_WS : ch == 'W' ?
		    TR_WSS : TR_CONG, arg);
		if (rc)
			return rc;
		break;
	case 't':
		SET_NUM(timeout_ms, 1, 86400000, "--timeout");
		break;
	case 's':
		if (strcmp(arg, "message") == 0)
			o->show_message = true;
		else if (strcmp(arg, "none") == 0)
			o->show_message = false;
		else
			return bad("%s: expected none or message, not '%s'",
			    "--show-message", arg);
		break;
	case 'o':
		o->show_options = true;
		break;
	case 'D':
		o->db_path = arg;
		break;
	case 'd':
		cli_first(ps, 'd', &o->nauth_files);
		if (o->nauth_files == OPT_MAX_LISTEN)
			return bad("--auth-file: too many");
		o->auth_files[o->nauth_files++] = arg;
		break;
	case 'e':
		cli_first(ps, 'e', &o->nauth_params);
		if (o->nauth_params == OPT_MAX_LISTEN)
			return bad("--auth-param: too many");
		o->auth_params[o->nauth_params++] = arg;
		break;
	case 'E':
		o->auth_env = true;
		break;
	case 'r':
		o->redis = true;
		o->redis_url = arg && *arg ? arg : NULL;
		break;
	case 'c':
		o->control = arg[0] ? arg : NULL;
		break;
	case OPT_CONTROL_RO:
		o->control_ro = arg;
		break;
	case OPT_TLS_CERT:
		o->tls_cert = arg;
		break;
	case OPT_TLS_KEY:
		o->tls_key = arg;
		break;
	case OPT_TLS_PRIORITY:
		o->tls_priority = arg;
		break;
	case OPT_TLS_HANDSHAKE:
		SET_NUM(tls_handshake_ms, 1, 3600000,
		    "--tls-handshake-timeout");
		break;
	case OPT_SYSLOG:
		o->syslog = true;
		break;
	case 'f':
		/* Bare -f: the working directory, as the reference. */
		o->file_logger = arg && *arg ? arg : ".";
		break;
	case 'm':
		if (strcmp(arg, "0") == 0 || strcmp(arg, "none") == 0)
			o->metric = 0;
		else if (strlen(arg) == 1 && *arg >= '1' && *arg <= '3')
			o->metric = (unsigned)(*arg - '0');
		else
			return bad("--metric: 1 (traffic), 2 (clients) or 3 "
			    "(channels), not '%s'", arg);
		break;
	case OPT_MONITOR_PERIOD:
		SET_NUM(monitor_ms, 1000, 86400000, "--monitor-period");
		break;
	case 'a':
		if ((rc = parse_apis(o, ps, arg)) != 0)
			return rc;
		break;
	case OPT_STOP_TIMEOUT:
		SET_NUM(stop_ms, 0, 3600000, "--stop-timeout");
		break;
	case OPT_NO_METRICS:
		o->metrics = false;
		break;
	case OPT_METRICS_ALLOW:
		cli_first(ps, ch, &o->nmetrics_allow);
		if ((rc = parse_net(o->metrics_allow, &o->nmetrics_allow,
		    "--metrics-allow", arg)) != 0)
			return rc;
		break;
	case OPT_MEMBERS_ONLY:
		o->members_only = true;
		break;
	case OPT_AUTH_FAIL_DELAY:
		SET_NUM(auth_fail_ms, 0, 60000, "--auth-fail-delay");
		break;
	case OPT_NO_QUOTA:
		o->quotas = false;
		break;
	case OPT_PUBLISH_COUNTER:
		o->publish_counter = true;
		break;
	case OPT_RATE_CLOSE:
		SET_NUM(rate_close_ms, 100, 3600000, "--rate-close");
		break;
	case 'V':
		printf("iosd %s (libproto %s, protocol %s%s)\n",
		    IOSD_VERSION, PROTO_LIB_VERSION, PROTO_VERSION,
		    notify_built_in() ? ", systemd" : "");
		return 1;
	case 'h':
		fputs(usage_text, stdout);
		return 1;
	case OPT_TRUSTED_PROXY:
		cli_first(ps, ch, &o->nproxies);
		if ((rc = parse_net(o->proxies, &o->nproxies,
		    "--trusted-proxy", arg)) != 0)
			return rc;
		break;
	case OPT_MAX_SIGNAL:
		SET_NUM(max_signal, 16, 0x7FFFFFFF, "--max-signal");
		break;
	case OPT_SENDQ_BYTES:
		SET_NUM(sendq_bytes, 1024, SIZE_MAX, "--send-queue-bytes");
		break;
	case OPT_SENDQ_MSGS:
		SET_NUM(sendq_msgs, 4, 1u << 24, "--send-queue-msgs");
		break;
	case OPT_HANDSHAKE:
		SET_NUM(handshake_ms, 1, 3600000, "--handshake-timeout");
		break;
	case OPT_MAX_SUBS:
		SET_NUM(max_subs, 1, 1u << 20, "--max-subscriptions");
		break;
	case OPT_RETAIN_MAX:
		SET_NUM(retain_count, 0, 1u << 24, "--retain-max");
		break;
	case OPT_RETAIN_SIZE:
		SET_NUM(retain_size, 0, 0x7FFFFFFF, "--retain-size");
		break;
	case OPT_MAX_CONNS:
		SET_NUM(max_conns, 0, 1u << 24, "--max-connections");
		break;
	case OPT_MAX_PER_IP:
		SET_NUM(max_per_ip, 0, 1u << 24, "--max-per-ip");
		break;
	case OPT_CONN_RATE:
		SET_NUM(conn_rate, 0, 1000000, "--conn-rate");
		break;
	case OPT_CONN_BURST:
		SET_NUM(conn_burst, 1, 1000000, "--conn-burst");
		break;
	case OPT_MAX_BUFMEM: {
		unsigned long long v;

		if (size_arg(arg, 1u << 20, SIZE_MAX, &v) < 0)
			return bad("%s: bad size '%s' (at least 1M)",
			    "--max-buffer-memory", arg);
		o->max_bufmem = (size_t)v;
		break;
	}
	case OPT_AUDIT_KEEP:
		if ((rc = parse_keep(o, arg)) != 0)
			return rc;
		break;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &lvl) < 0)
			return bad("%s: bad level '%s'", "--log-level",
			    arg);
		o->log_level = (int)lvl;
		break;
	default:
		return -1;
	}
	return 0;
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

static const struct option *
find_long(const char *name, size_t n)
{
	for (const struct option *l = longopts; l->name; l++)
		if (strlen(l->name) == n && strncmp(l->name, name, n) == 0)
			return l;
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
		const struct option *l;
		bool quoted;
		size_t nl;

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
		l = find_long(name, nl);
		if (l == NULL || l->val == 'h' || l->val == 'V' ||
		    strcmp(l->name, "config") == 0 ||
		    strcmp(l->name, "no-config") == 0) {
			rc = bad("unknown option '%.*s'", (int)nl, name);
			break;
		}
		if (l->has_arg == no_argument) {
			if (val && (strcmp(val, "no") == 0 ||
			    strcmp(val, "false") == 0 || strcmp(val, "off") == 0))
				continue;
			if (val && *val && strcmp(val, "yes") != 0 &&
			    strcmp(val, "true") != 0 && strcmp(val, "on") != 0) {
				rc = bad("%s takes no value (or yes/no), not "
				    "'%s'", l->name, val);
				break;
			}
			val = NULL;
		} else if (l->has_arg == optional_argument && val &&
		    (strcmp(val, "yes") == 0 || *val == '\0')) {
			val = NULL;	/* "redis = yes": on, no value */
		} else if (l->has_arg == optional_argument && val &&
		    strcmp(val, "no") == 0) {
			continue;
		} else if (l->has_arg == required_argument &&
		    (val == NULL || (*val == '\0' && !quoted))) {
			/* control = "" says none, as -c '' does. */
			rc = bad("%s needs a value: %s = VALUE", l->name,
			    l->name);
			break;
		}
		if (val && (val = own(o, val, strlen(val))) == NULL) {
			rc = bad("out of memory");
			break;
		}
		rc = apply(o, ps, l->val, val);
	}
	if (rc == 0 && ferror(f))
		rc = bad("%s: read error", path);
	fclose(f);
	where[0] = '\0';
	return rc;
}

/*
 * io-server's spellings that getopt cannot read: "-f DIR" next to a bare
 * "-f" (optional value), and "-a api_1 api_2" (several words). Rewritten
 * as "--file-logger=DIR" and "--api-list=api_1,api_2" into a vector owned
 * by o; NULL when out of memory.
 */
static char **
io_server_argv(struct options *o, int argc, char **argv)
{
	struct opt_str *a = malloc(sizeof(*a) + (size_t)(argc + 1) *
	    sizeof(char *));
	char **v;
	int n = 0;

	if (a == NULL)
		return NULL;
	a->next = o->strs;
	o->strs = a;
	v = (char **)(void *)a->s;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		bool f = strcmp(w, "-f") == 0 || strcmp(w, "--file-logger") == 0;
		bool api = strcmp(w, "-a") == 0 || strcmp(w, "--api-list") == 0;
		char buf[1024];
		size_t len;

		if (i == 0 || strcmp(w, "--") == 0 || (!f && !api) ||
		    i + 1 == argc || argv[i + 1][0] == '-') {
			v[n++] = argv[i];
			if (i && strcmp(w, "--") == 0)
				while (++i < argc)
					v[n++] = argv[i];
			continue;
		}
		len = (size_t)snprintf(buf, sizeof(buf), "%s=%s", f ?
		    "--file-logger" : "--api-list", argv[++i]);
		while (api && i + 1 < argc && argv[i + 1][0] != '-' &&
		    len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    ",%s", argv[++i]);
		if (len >= sizeof(buf) || (v[n++] = own(o, buf, len)) == NULL)
			return NULL;
	}
	v[n] = NULL;
	return v;
}

int
options_parse(struct options *o, int argc, char **argv)
{
	struct parse_state ps = { 0 };
	const char *config = NULL;
	bool no_config = false;
	int ch, rc;

	argv = io_server_argv(o, argc, argv);
	if (argv == NULL)
		return bad("out of memory, or an argument over 1 KiB");
	for (argc = 0; argv[argc]; argc++)
		;
	/* The file first, then the command line over it: a first pass of
	 * getopt finds --config (abbreviated too), the second does the rest. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		if (ch == OPT_CONFIG)
			config = optarg;
		else if (ch == OPT_NO_CONFIG)
			no_config = true;
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
	opterr = 0;
	optind = 0;		/* glibc: start afresh (reloads parse again) */
	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		const char *arg = optarg;

		if (ch == OPT_CONFIG || ch == OPT_NO_CONFIG)
			continue;	/* read above */
		/* "-r redis://host" as one would type it: the URL may
		 * also be the next word. */
		if (ch == 'r' && arg == NULL && optind < argc &&
		    strncmp(argv[optind], "redis://", 8) == 0)
			arg = argv[optind++];

		if (ch == ':')
			return bad("option %s: missing value", argv[optind - 1]);
		rc = apply(o, &ps, ch, arg);
		if (rc == -1)
			return bad("%s: unknown option", argv[optind - 1]);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return bad("'%s': unexpected argument", argv[optind]);
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

/*
 * The effective configuration in the file's own syntax, so that
 * "iosd -o ... > iosd.conf" gives a file iosd reads back. Keys are not
 * shown: an -e list prints as a comment.
 */
void
options_print(const struct options *o, FILE *f)
{
	static const char *const lopt[] = { [TR_WS] = "listen",
		[TR_WSS] = "listen-wss", [TR_CONG] = "listen-cong" };

	fprintf(f, "# iosd %s effective configuration%s%s\n", IOSD_VERSION,
	    o->config ? ", read from " : "", o->config ? o->config : "");
	for (size_t i = 0; i < o->nlisten; i++) {
		const struct listen_spec *l = &o->listen[i];
		bool v6 = strchr(l->host, ':') != NULL;

		fprintf(f, "%s = %s%s%s%s%s\n", lopt[l->tr], v6 ? "[" : "",
		    l->host, v6 ? "]" : "", l->host[0] ? ":" : "", l->port);
	}
	if (o->tls_cert)
		fprintf(f, "tls-cert = %s\n", o->tls_cert);
	if (o->tls_key)
		fprintf(f, "tls-key = %s\n", o->tls_key);
	fprintf(f, "tls-priority = \"%s\"\ntls-handshake-timeout = %u\n",
	    o->tls_priority ? o->tls_priority : TLS_DEFAULT_PRIORITY,
	    o->tls_handshake_ms);
	fprintf(f, "timeout = %u\nshow-message = %s\ndb = %s\n",
	    o->timeout_ms, o->show_message ? "message" : "none", o->db_path);
	fprintf(f, "max-signal = %u\nsend-queue-bytes = %zu\n"
	    "send-queue-msgs = %zu\n", o->max_signal, o->sendq_bytes,
	    o->sendq_msgs);
	fprintf(f, "handshake-timeout = %u\nmax-subscriptions = %zu\n",
	    o->handshake_ms, o->max_subs);
	fprintf(f, "retain-max = %zu\nretain-size = %zu\n", o->retain_count,
	    o->retain_size);
	for (size_t i = 0; i < o->nauth_files; i++)
		fprintf(f, "auth-file = %s\n", o->auth_files[i]);
	if (o->nauth_params)
		fprintf(f, "# auth-param: %zu list(s), keys not shown\n",
		    o->nauth_params);
	if (o->auth_env)
		fprintf(f, "auth-env = yes\n");
	if (o->redis)
		fprintf(f, "redis = %s\n", o->redis_url ? o->redis_url : "yes");
	if (o->control)
		fprintf(f, "control = %s\n", o->control);
	if (o->control_ro)
		fprintf(f, "control-ro = %s\n", o->control_ro);
	fprintf(f, "members-only = %s\nauth-fail-delay = %u\n",
	    o->members_only ? "yes" : "no", o->auth_fail_ms);
	fprintf(f, "no-quota = %s\npublish-counter = %s\nrate-close = %u\n",
	    o->quotas ? "no" : "yes", o->publish_counter ? "yes" : "no",
	    o->rate_close_ms);
	print_nets(f, "trusted-proxy", o->proxies, o->nproxies);
	fprintf(f, "no-metrics = %s\n", o->metrics ? "no" : "yes");
	print_nets(f, "metrics-allow", o->metrics_allow, o->nmetrics_allow);
	fprintf(f, "log-level = %s\nsyslog = %s\n", o->log_level ==
	    LOG_LVL_ERROR ? "error" : o->log_level == LOG_LVL_WARN ? "warn" :
	    o->log_level == LOG_LVL_DEBUG ? "debug" : "info",
	    o->syslog ? "yes" : "no");
	if (o->file_logger)
		fprintf(f, "file-logger = %s\n", o->file_logger);
	if (o->metric)
		fprintf(f, "metric = %u\n", o->metric);
	fprintf(f, "monitor-period = %u\n", o->monitor_ms);
	fprintf(f, "api-list = %s%s%s\n", o->apis & OPT_API_REPLY ? "reply" :
	    "", o->apis == OPT_API_ALL ? "," : "", o->apis & OPT_API_SUDO ?
	    "sudo" : o->apis ? "" : "none");
	fprintf(f, "stop-timeout = %u\n", o->stop_ms);
	fprintf(f, "max-connections = %zu\nmax-per-ip = %zu\n"
	    "conn-rate = %u\nconn-burst = %u\nmax-buffer-memory = %zu\n",
	    o->max_conns, o->max_per_ip, o->conn_rate, o->conn_burst,
	    o->max_bufmem);
	fprintf(f, "audit-keep = %llus,%llu\n",
	    (unsigned long long)o->audit_keep_s,
	    (unsigned long long)o->audit_keep_rows);
}
