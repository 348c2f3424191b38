/*
 * device.c - see device.h.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "device.h"

enum format { FMT_TEXT, FMT_JSON, FMT_ENV, FMT_ARDUINO, FMT_COUNT };

static const char *const format_names[FMT_COUNT] = {
	[FMT_TEXT] = "text", [FMT_JSON] = "json", [FMT_ENV] = "env",
	[FMT_ARDUINO] = "arduino",
};

/* What enroll prints, whatever the format. */
struct enrolled {
	const char	*id, *cid, *key;
	long long	 level;
	bool		 generated;	/* made here, so shown in text too */
	const char	*host;		/* arduino */
	long long	 port;
};

struct key {
	char	 text[DEVICE_KEY_MAX + 2];
	bool	 generated;
};

/* base64url without padding (RFC 4648, section 5). */
static void
b64url(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
	}
	*out = '\0';
}

static int
key_generate(struct key *k)
{
	uint8_t raw[DEVICE_KEY_BYTES];
	int rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw))) < 0) {
		return fail(FAIL_INTERNAL, "no random key: %s",
		    gnutls_strerror(rc));
	}
	b64url(raw, sizeof(raw), k->text);
	explicit_bzero(raw, sizeof(raw));
	k->generated = true;
	return ST_OK;
}

/* One line typed without echo; ^C arrives as a byte and aborts. */
static ssize_t
read_tty(int fd, char *buf, size_t cap, const char *id)
{
	struct termios old, quiet;
	ssize_t n = 0, r;
	char ch;

	if (tcgetattr(fd, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ISIG);
	quiet.c_lflag |= ICANON;
	fprintf(stderr, "key for %s: ", id);
	fflush(stderr);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return -1;
	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n' && ch != 3) {
		if ((size_t)n < cap)
			buf[n] = ch;
		n++;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', stderr);
	explicit_bzero(&ch, sizeof(ch));
	if (r == 1 && ch == 3) {
		errno = EINTR;
		return -1;
	}
	if (r < 0)
		return -1;
	if ((size_t)n < cap)
		buf[n++] = '\n';
	return n;
}

static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/* The key of --key-file or --key-stdin, else a new one. */
static int
key_get(struct cmd_ctx *ctx, const char *id, struct key *k)
{
	const char *file = cmd_val(ctx, "key-file");
	const char *from = file ? file : "standard input";
	size_t cap = sizeof(k->text) - 1;
	ssize_t n;
	int fd;

	memset(k, 0, sizeof(*k));
	if (file && cmd_val(ctx, "key-stdin"))
		return cmd_bad(ctx, "--key-file and --key-stdin: one or the "
		    "other");
	if (file == NULL && cmd_val(ctx, "key-stdin") == NULL)
		return key_generate(k);
	if (file == NULL)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(FAIL_USAGE, "%s: %s", file, strerror(errno));
	if (file == NULL && isatty(fd))
		n = read_tty(fd, k->text, cap, id);
	else
		n = read_all(fd, k->text, cap);
	if (file)
		close(fd);
	if (n < 0)
		return fail(FAIL_USAGE, "%s: %s", from, strerror(errno));
	if ((size_t)n == cap) {
		explicit_bzero(k->text, sizeof(k->text));
		return fail(FAIL_USAGE, "%s: a key is at most %d bytes", from,
		    DEVICE_KEY_MAX);
	}
	/* One trailing newline (a CRLF one too) is the file's, not the key's. */
	if (n > 0 && k->text[n - 1] == '\n')
		n--;
	if (n > 0 && k->text[n - 1] == '\r')
		n--;
	k->text[n] = '\0';
	if (n == 0)
		return fail(FAIL_USAGE, "%s: empty key", from);
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)k->text[i] < 0x20 || k->text[i] == 0x7f) {
			explicit_bzero(k->text, sizeof(k->text));
			return fail(FAIL_USAGE, "%s: the key must be one line "
			    "of printable text", from);
		}
	return ST_OK;
}

/* Sets args.key; the string is wiped again by wipe_key. */
static int
key_set(struct cmd_ctx *ctx, json_t *args, const struct key *k)
{
	json_t *j = json_string(k->text);

	if (j == NULL)
		return cmd_bad(ctx, "the key is not UTF-8 text");
	json_object_set_new(args, "key", j);
	return ST_OK;
}

static void
wipe_key(json_t *o)
{
	json_t *k = json_object_get(o, "key");

	/* jansson owns the copy; it is ours to clear before it is freed. */
	if (json_is_string(k))
		explicit_bzero((char *)json_string_value(k),
		    json_string_length(k));
}

/* The first IPv4 address of an interface that is up and not loopback. */
static int
local_ipv4(char *buf, size_t cap)
{
	struct ifaddrs *ifs, *i;
	int found = -1;

	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
		    i->ifa_addr)->sin_addr, buf, (socklen_t)cap) != NULL) {
			found = 0;
			break;
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* The port of iosd's first CongSocket listener, from status. */
static int
cong_port(struct cmd_ctx *ctx, long long *port)
{
	json_t *st, *l, *e;
	size_t i;
	int rc;

	if ((rc = cmd_call(ctx, CTLMSG_CMD_STATUS, NULL, &st)) != ST_OK)
		return rc;
	l = json_object_get(st, "listeners");
	json_array_foreach(l, i, e) {
		const json_t *p = json_object_get(e, "port");
		const char *tr = json_string_value(json_object_get(e,
		    "transport"));

		if (tr == NULL || strcmp(tr, "cong") != 0)
			continue;
		if (json_is_integer(p))
			*port = json_integer_value(p);
		else if (json_is_string(p))
			*port = strtoll(json_string_value(p), NULL, 10);
		else
			continue;
		json_decref(st);
		return ST_OK;
	}
	json_decref(st);
	return fail(FAIL_USAGE, "iosd has no CongSocket listener: give "
	    "--port");
}

/* Shell words: bare when safe, else in single quotes. */
static void
sh_quote(const char *s)
{
	const char *p;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-./:@%+,") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (p = s; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	putchar('\'');
}

/* A C string literal; octal escapes cannot swallow the next digit. */
static void
c_quote(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f || *p == '?')
			printf("\\%03o", *p);	/* '?': no trigraphs */
		else
			putchar(*p);
	putchar('"');
}

static void
print_enrolled(enum format f, const struct enrolled *e)
{
	json_t *j;

	switch (f) {
	case FMT_TEXT:
		out_kv("enrolled", "%s", e->id);
		out_kv("cid", "%s", e->cid);
		out_kv("level", "%lld", e->level);
		out_kv("key", "%s", e->generated ? e->key : "(as given)");
		break;
	case FMT_JSON:
		/* As the daemon answers: a key given to us is not echoed. */
		j = json_pack("{s:s, s:s, s:I}", "id", e->id, "cid", e->cid,
		    "level", (json_int_t)e->level);
		if (e->generated)
			json_object_set_new(j, "key", json_string(e->key));
		out_json(j);
		wipe_key(j);
		json_decref(j);
		break;
	case FMT_ENV:
		fputs("IOSD_ID=", stdout);
		sh_quote(e->id);
		fputs("\nIOSD_KEY=", stdout);
		sh_quote(e->key);
		fputs("\nIOSD_CID=", stdout);
		sh_quote(e->cid);
		printf("\nIOSD_LEVEL=%lld\n", e->level);
		break;
	case FMT_ARDUINO:
		fputs("/* iosd device ", stdout);
		/* Only the comment shows the id bare: no '*' '/' in it. */
		for (const char *p = e->id; *p; p++)
			putchar(*p == '*' || (unsigned char)*p < 0x20 ? '?' :
			    *p);
		printf(", level %lld. Keep IOSD_KEY secret. */\n", e->level);
		fputs("#define IOSD_HOST ", stdout);
		c_quote(e->host);
		printf("\n#define IOSD_PORT %lld\n#define IOSD_ID ", e->port);
		c_quote(e->id);
		fputs("\n#define IOSD_KEY ", stdout);
		c_quote(e->key);
		fputs("\n#define IOSD_CID ", stdout);
		c_quote(e->cid);
		putchar('\n');
		break;
	case FMT_COUNT:
		break;
	}
}

/* The result's member if the daemon sent one, else what we asked for. */
static const char *
res_str(const json_t *res, const json_t *args, const char *key)
{
	const char *s = json_string_value(json_object_get(res, key));

	return s ? s : json_string_value(json_object_get(args, key));
}

static int
flush_key(const char *id)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* Standard output is what failed: this goes to stderr. */
		fprintf(stderr, "iosctl: standard output: %s\n",
		    strerror(errno));
		fprintf(stderr, "iosctl: %s has a key nobody saw: run 'iosctl "
		    "rotate-key %s'\n", id, id);
		return fail_status(FAIL_IO);
	}
	return ST_OK;
}

int
device_enroll(struct cmd_ctx *ctx)
{
	const char *id = cmd_val(ctx, "ID"), *fv = cmd_val(ctx, "format");
	struct enrolled e = { .id = id, .level = 1, .port = 0 };
	enum format f = ctx->json ? FMT_JSON : FMT_TEXT;
	char host[64];
	struct key k;
	json_t *res, *lv;
	int rc;

	for (int i = 0; fv && i < FMT_COUNT; i++)
		if (strcmp(fv, format_names[i]) == 0)
			f = (enum format)i;
	/* Everything that can fail comes before the key is sent. */
	if (f == FMT_ARDUINO) {
		e.host = cmd_val(ctx, "host");
		if (e.host == NULL) {
			if (local_ipv4(host, sizeof(host)) < 0)
				return fail(FAIL_USAGE, "no IPv4 address here "
				    "to give the device: use --host");
			e.host = host;
		}
		if (cmd_val(ctx, "port"))
			e.port = strtoll(cmd_val(ctx, "port"), NULL, 10);
		else if ((rc = cong_port(ctx, &e.port)) != ST_OK)
			return rc;
	} else if (cmd_val(ctx, "host") || cmd_val(ctx, "port"))
		return cmd_bad(ctx, "--host and --port are for --format "
		    "arduino");
	if ((rc = key_get(ctx, id, &k)) != ST_OK)
		return rc;
	if (json_object_get(ctx->args, "cid") == NULL)
		json_object_set_new(ctx->args, "cid", json_string(id));
	if (json_object_get(ctx->args, "level") == NULL)
		json_object_set_new(ctx->args, "level", json_integer(1));
	if ((rc = key_set(ctx, ctx->args, &k)) != ST_OK)
		goto out;
	rc = cmd_call(ctx, ctx->cmd->wire, ctx->args, &res);
	wipe_key(ctx->args);
	if (rc != ST_OK) {
		if (ctx->last_err == FAIL_EXISTS)
			fail_note("'enroll --update %s' replaces it, with a new "
			    "key", id);
		goto out;
	}
	e.id = res_str(res, ctx->args, "id");
	e.cid = res_str(res, ctx->args, "cid");
	lv = json_object_get(res, "level");
	e.level = json_is_integer(lv) ? json_integer_value(lv) :
	    json_integer_value(json_object_get(ctx->args, "level"));
	e.key = k.text;
	e.generated = k.generated;
	print_enrolled(f, &e);
	rc = flush_key(e.id);
	if (rc == ST_OK && f == FMT_TEXT && k.generated && out_tty)
		fprintf(stderr, "The key is shown this once: iosd keeps only "
		    "its hash.\n");
	wipe_key(res);
	json_decref(res);
out:
	explicit_bzero(&k, sizeof(k));
	return rc;
}

int
device_rotate_key(struct cmd_ctx *ctx)
{
	const char *id = cmd_val(ctx, "ID");
	struct key k;
	json_t *res, *j;
	int rc;

	if ((rc = key_get(ctx, id, &k)) != ST_OK)
		return rc;
	if ((rc = key_set(ctx, ctx->args, &k)) != ST_OK)
		goto out;
	rc = cmd_call(ctx, ctx->cmd->wire, ctx->args, &res);
	wipe_key(ctx->args);
	if (rc != ST_OK)
		goto out;
	if (ctx->json) {
		j = json_pack("{s:s}", "id", res_str(res, ctx->args, "id"));
		if (k.generated)
			json_object_set_new(j, "key", json_string(k.text));
		out_json(j);
		wipe_key(j);
		json_decref(j);
	} else {
		out_kv("rotated", "%s", res_str(res, ctx->args, "id"));
		out_kv("key", "%s", k.generated ? k.text : "(as given)");
	}
	rc = flush_key(id);
	wipe_key(res);
	json_decref(res);
out:
	explicit_bzero(&k, sizeof(k));
	return rc;
}
