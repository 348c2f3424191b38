/*
 * admit.c - see admit.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uthash.h>

#include "admit.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "net_ws.h"
#include "xmalloc.h"

#define MAX_ADDRS	65536	/* addresses with state at once */
#define FD_RESERVE	64	/* descriptors kept for listeners, store, ctl */
#define REPORT_MS	10000	/* refusals are summed up this often */

struct entry {
	UT_hash_handle hh;
	struct admit_key key;
	unsigned pre_login;	/* connections not logged in */
	double tokens;		/* --conn-rate bucket */
	uint64_t tokens_ms;
	uint64_t refused;	/* in this report interval */
};

struct ban {
	struct admit_ban pub;
	struct proxy_net net;
};

struct admit {
	struct ban *bans;
	size_t nbans;
	struct entry *tab;
	unsigned n;
	size_t max_conns;	/* effective */
	uint64_t refused[ADMIT_COUNT];		/* since start */
	uint64_t window[ADMIT_COUNT];		/* since the last report */
	uint64_t report_ms, sweep_ms;
};

static const char *const reason_names[ADMIT_COUNT] = {
	[ADMIT_OK] = "ok", [ADMIT_MAX_CONNS] = "max_connections",
	[ADMIT_PER_IP] = "per_ip", [ADMIT_RATE] = "rate",
	[ADMIT_BANNED] = "banned",
};

const char *
admit_reason_name(enum admit_reason r)
{
	return (unsigned)r < ADMIT_COUNT ? reason_names[r] : "?";
}

struct admit *
admit_new(void)
{
	return xcalloc(1, sizeof(struct admit));
}

void
admit_free(struct admit *a)
{
	struct entry *e, *tmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->tab, e, tmp) {
		HASH_DEL(a->tab, e);
		free(e);
	}
	free(a->bans);
	free(a);
}

void
admit_configure(struct server *srv)
{
	struct admit *a = srv->admit;
	struct rlimit rl;
	size_t max = srv->opt.max_conns, fds = SIZE_MAX;

	/* Take all the descriptors we may: a busy server needs them. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY)
			fds = rl.rlim_cur > FD_RESERVE * 2 ? (size_t)rl.rlim_cur -
			    FD_RESERVE : (size_t)rl.rlim_cur / 2;
	}
	if (max == 0 || max > fds) {
		if (max > fds)
			log_warnx("--max-connections %zu: the descriptor "
			    "limit leaves room for %zu", max, fds);
		max = fds;
	}
	a->max_conns = max;
}

size_t
admit_max_conns(const struct server *srv)
{
	return srv->admit->max_conns;
}

/* IPv4 (also IPv4-mapped), or the /64 of an IPv6 address. */
static void
key_of(struct admit_key *k, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(k, 0, sizeof(*k));
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	k->family = (uint8_t)family;
	memcpy(k->addr, addr, family == AF_INET ? 4 : 8);
}

static bool
sockaddr_bytes(const struct sockaddr *sa, int *family, const uint8_t **addr)
{
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		*addr = (const uint8_t *)&((const struct sockaddr_in *)sa)->
		    sin_addr;
	else if (sa->sa_family == AF_INET6)
		*addr = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->
		    sin6_addr;
	else
		return false;
	return true;
}

/* Idle state: nothing counted and a full bucket. */
static bool
idle(const struct server *srv, const struct entry *e, uint64_t now)
{
	double t = e->tokens + (double)(now - e->tokens_ms) *
	    srv->opt.conn_rate / 1000.0;

	return e->pre_login == 0 && (srv->opt.conn_rate == 0 ||
	    t >= srv->opt.conn_burst);
}

static void
sweep(struct server *srv, uint64_t now)
{
	struct admit *a = srv->admit;
	struct entry *e, *tmp;

	HASH_ITER(hh, a->tab, e, tmp)
		if (idle(srv, e, now) && e->refused == 0) {
			HASH_DEL(a->tab, e);
			free(e);
			a->n--;
		}
}

static struct entry *
entry_get(struct server *srv, const struct admit_key *k, uint64_t now)
{
	struct admit *a = srv->admit;
	struct entry *e = NULL;

	HASH_FIND(hh, a->tab, k, sizeof(*k), e);
	if (e)
		return e;
	if (a->n >= MAX_ADDRS)
		sweep(srv, now);
	if (a->n >= MAX_ADDRS || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->key = *k;
	e->tokens = srv->opt.conn_burst;
	e->tokens_ms = now;
	HASH_ADD(hh, a->tab, key, sizeof(e->key), e);
	a->n++;
	return e;
}

/* The per-address limits, for a new connection from k. */
static enum admit_reason
check_addr(struct server *srv, const struct admit_key *k, uint64_t now)
{
	const struct options *o = &srv->opt;
	struct entry *e;

	if (o->conn_rate == 0 && o->max_per_ip == 0)
		return ADMIT_OK;
	/* No room for the state of one more address: refuse rather than
	 * grow (a flood from very many addresses). */
	if ((e = entry_get(srv, k, now)) == NULL)
		return ADMIT_RATE;
	if (o->conn_rate) {
		e->tokens += (double)(now - e->tokens_ms) * o->conn_rate /
		    1000.0;
		if (e->tokens > o->conn_burst)
			e->tokens = o->conn_burst;
		e->tokens_ms = now;
		if (e->tokens < 1.0) {
			e->refused++;
			return ADMIT_RATE;
		}
	}
	if (o->max_per_ip && e->pre_login >= o->max_per_ip) {
		e->refused++;
		return ADMIT_PER_IP;
	}
	if (o->conn_rate)
		e->tokens -= 1.0;
	return ADMIT_OK;
}

/* Whether a ban covers the address; expired bans go on the way. */
static bool
banned(struct server *srv, int family, const uint8_t *addr)
{
	struct admit *a = srv->admit;
	uint64_t now = server_now_ms(srv);

	for (size_t i = 0; i < a->nbans; i++) {
		struct ban *b = &a->bans[i];

		if (b->pub.until_ms && b->pub.until_ms <= now)
			continue;	/* swept by admit_tick */
		if (options_net_match(&b->net, 1, family, addr))
			return true;
	}
	return false;
}

static enum admit_reason
count_refusal(struct server *srv, enum admit_reason r)
{
	if (r != ADMIT_OK) {
		srv->admit->refused[r]++;
		srv->admit->window[r]++;
	}
	return r;
}

enum admit_reason
admit_check(struct server *srv, const struct sockaddr *sa,
    struct admit_key *key)
{
	const uint8_t *addr;
	int family;

	memset(key, 0, sizeof(*key));
	if (!sockaddr_bytes(sa, &family, &addr))
		family = 0;
	/* A banned address is refused even when the server is full. */
	if (family && srv->admit->nbans && banned(srv, family, addr))
		return count_refusal(srv, ADMIT_BANNED);
	if (srv->nconns >= srv->admit->max_conns)
		return count_refusal(srv, ADMIT_MAX_CONNS);
	if (family == 0)
		return ADMIT_OK;
	/* A trusted proxy stands for many clients: they are counted by
	 * their forwarded address, once the request is read. */
	if (options_proxy_trusted(&srv->opt, family, addr))
		return ADMIT_OK;
	key_of(key, family, addr);
	return count_refusal(srv, check_addr(srv, key, server_now_ms(srv)));
}

void
admit_refuse(struct server *srv, int fd, enum transport tr,
    enum admit_reason why, const struct admit_key *key)
{
	static const char *const body[ADMIT_COUNT] = {
		[ADMIT_MAX_CONNS] = "server full: too many connections\n",
		[ADMIT_PER_IP] = "too many connections from this address\n",
		[ADMIT_RATE] = "too many new connections from this address\n",
		[ADMIT_BANNED] = "this address is banned\n",
	};
	char resp[256], sink[4096];
	int n;

	(void)srv;
	(void)key;
	if (tr == TR_WS && body[why]) {
		/* No allocation: the answer is made on the stack. */
		if (why == ADMIT_BANNED)
			n = snprintf(resp, sizeof(resp), "HTTP/1.1 403 "
			    "Forbidden\r\nConnection: close\r\nContent-Type: "
			    "text/plain\r\nContent-Length: %zu\r\n\r\n%s",
			    strlen(body[why]), body[why]);
		else
			n = snprintf(resp, sizeof(resp), "HTTP/1.1 503 Service "
			    "Unavailable\r\nRetry-After: %d\r\nConnection: "
			    "close\r\nContent-Type: text/plain\r\n"
			    "Content-Length: %zu\r\n\r\n%s", why == ADMIT_RATE ?
			    1 : 5, strlen(body[why]), body[why]);
		(void)send(fd, resp, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		/* What the client sent is read, so that close() sends FIN
		 * after the answer rather than a reset that could lose it. */
		(void)recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
	}
	close(fd);
}

void
admit_track(struct server *srv, struct conn *c)
{
	struct entry *e = NULL;

	if (c->akey.family == 0 || srv->opt.max_per_ip == 0 ||
	    c->admit_counted)
		return;
	HASH_FIND(hh, srv->admit->tab, &c->akey, sizeof(c->akey), e);
	if (e == NULL && (e = entry_get(srv, &c->akey,
	    server_now_ms(srv))) == NULL)
		return;
	e->pre_login++;
	c->admit_counted = true;
}

void
admit_untrack(struct server *srv, struct conn *c)
{
	struct entry *e = NULL;

	if (!c->admit_counted)
		return;
	c->admit_counted = false;
	HASH_FIND(hh, srv->admit->tab, &c->akey, sizeof(c->akey), e);
	if (e && e->pre_login)
		e->pre_login--;
}

enum admit_reason
admit_forwarded(struct server *srv, struct conn *c, int family,
    const uint8_t *addr)
{
	struct admit_key k;
	enum admit_reason r;

	if (srv->admit->nbans && banned(srv, family, addr))
		return count_refusal(srv, ADMIT_BANNED);
	key_of(&k, family, addr);
	if (c->akey.family && memcmp(&k, &c->akey, sizeof(k)) == 0)
		return ADMIT_OK;
	admit_untrack(srv, c);
	r = count_refusal(srv, check_addr(srv, &k, server_now_ms(srv)));
	if (r != ADMIT_OK)
		return r;
	c->akey = k;
	admit_track(srv, c);
	return ADMIT_OK;
}

static void
key_str(const struct admit_key *k, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (k->family == AF_INET6) {
		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		snprintf(out, len, "%s/64", a);
	} else if (k->family == AF_INET)
		inet_ntop(AF_INET, k->addr, out, (socklen_t)len);
	else
		snprintf(out, len, "-");
}

void
admit_tick(struct server *srv)
{
	struct admit *a = srv->admit;
	uint64_t now = server_now_ms(srv), total = 0;
	struct entry *e, *tmp, *top = NULL;
	char addr[INET6_ADDRSTRLEN + 4];

	if (now - a->sweep_ms >= REPORT_MS) {
		a->sweep_ms = now;
		sweep(srv, now);
	}
	for (size_t i = 0; i < a->nbans; i++) {
		struct ban *b = &a->bans[i];

		if (b->pub.until_ms == 0 || b->pub.until_ms > now)
			continue;
		log_info("ban: %s expired", b->pub.net);
		store_ban_del(srv->store, b->pub.net);
		store_audit(srv->store, "unban", NULL, b->pub.net, "expired");
		a->bans[i--] = a->bans[--a->nbans];
	}
	if (now - a->report_ms < REPORT_MS)
		return;
	a->report_ms = now;
	for (int r = 1; r < ADMIT_COUNT; r++)
		total += a->window[r];
	if (total == 0)
		return;
	HASH_ITER(hh, a->tab, e, tmp) {
		if (top == NULL || e->refused > top->refused)
			top = e;
	}
	if (top && top->refused)
		key_str(&top->key, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "-");
	log_warnx("admission: refused %llu connections in the last %u s "
	    "(max_connections %llu, per_ip %llu, rate %llu, banned %llu); "
	    "most from %s (%llu)", (unsigned long long)total, REPORT_MS / 1000,
	    (unsigned long long)a->window[ADMIT_MAX_CONNS],
	    (unsigned long long)a->window[ADMIT_PER_IP],
	    (unsigned long long)a->window[ADMIT_RATE],
	    (unsigned long long)a->window[ADMIT_BANNED], addr,
	    (unsigned long long)(top ? top->refused : 0));
	memset(a->window, 0, sizeof(a->window));
	HASH_ITER(hh, a->tab, e, tmp)
		e->refused = 0;
}

uint64_t
admit_refused(const struct server *srv, enum admit_reason r)
{
	return (unsigned)r < ADMIT_COUNT ? srv->admit->refused[r] : 0;
}

unsigned
admit_addresses(const struct server *srv)
{
	return srv->admit->n;
}

/* ---- bans ---- */

/* "ADDR" or "ADDR/N", in its canonical form. */
static void
net_text(const struct proxy_net *n, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(n->family, n->addr, a, sizeof(a));
	if (n->prefix == (n->family == AF_INET ? 32u : 128u))
		snprintf(out, len, "%s", a);
	else
		snprintf(out, len, "%s/%u", a, n->prefix);
}

static struct ban *
ban_find(struct admit *a, const char *net)
{
	for (size_t i = 0; i < a->nbans; i++)
		if (strcmp(a->bans[i].pub.net, net) == 0)
			return &a->bans[i];
	return NULL;
}

static struct ban *
ban_add(struct server *srv, const struct proxy_net *n, const char *text)
{
	struct admit *a = srv->admit;
	struct ban *b = ban_find(a, text), *nb;

	if (b)
		return b;
	if (a->nbans == ADMIT_BANS_MAX ||
	    (nb = realloc(a->bans, (a->nbans + 1) * sizeof(*nb))) == NULL)
		return NULL;
	a->bans = nb;
	b = &a->bans[a->nbans++];
	memset(b, 0, sizeof(*b));
	b->net = *n;
	snprintf(b->pub.net, sizeof(b->pub.net), "%s", text);
	return b;
}

/* The connections a ban covers go, by the address they are known by. */
static int
close_covered(struct server *srv, const struct proxy_net *n,
    const char *why)
{
	int closed = 0;

	for (struct conn *c = srv->conns; c; c = c->next) {
		uint8_t a[16];
		int fam = strchr(c->ip, ':') ? AF_INET6 : AF_INET;

		if (c->state >= CONN_CLOSING || inet_pton(fam, c->ip, a) != 1 ||
		    !options_net_match(n, 1, fam, a))
			continue;
		log_info("conn=%u cid=%s addr=%s closed: %s", c->ssid,
		    c->s->cid[0] ? c->s->cid : "-", c->ip, why);
		conn_close(c, true, WS_CLOSE_POLICY, why);
		closed++;
	}
	return closed;
}

int
admit_ban(struct server *srv, const char *net, uint64_t secs,
    const char *reason, char *err, size_t errlen)
{
	struct proxy_net n;
	struct ban_row row = { 0 };
	struct ban *b;
	char text[64], why[160];

	if (options_net_parse(net, &n) < 0) {
		snprintf(err, errlen, "'%s' is not ADDR or ADDR/N", net);
		return -1;
	}
	net_text(&n, text, sizeof(text));
	if ((b = ban_add(srv, &n, text)) == NULL) {
		snprintf(err, errlen, "too many bans (%d at most)",
		    ADMIT_BANS_MAX);
		return -1;
	}
	b->pub.created = (int64_t)(server_wall_ms() / 1000);
	b->pub.until = secs ? b->pub.created + (int64_t)secs : 0;
	b->pub.until_ms = secs ? server_now_ms(srv) + secs * 1000 : 0;
	snprintf(b->pub.reason, sizeof(b->pub.reason), "%s", reason ?
	    reason : "");
	snprintf(row.net, sizeof(row.net), "%s", text);
	row.until = b->pub.until;
	snprintf(row.reason, sizeof(row.reason), "%s", b->pub.reason);
	if (store_ban_put(srv->store, &row) < 0) {
		/* Refused from now on all the same; said, not hidden. */
		log_warnx("ban: %s is in force but could not be stored: it "
		    "ends with this run", text);
	}
	snprintf(why, sizeof(why), "address banned%s%s", reason && *reason ?
	    ": " : "", reason ? reason : "");
	store_audit(srv->store, "ban", NULL, text, why);
	if (secs)
		log_info("ban: %s for %llu s%s%s", text,
		    (unsigned long long)secs, reason && *reason ? ": " : "",
		    reason ? reason : "");
	else
		log_info("ban: %s until lifted%s%s", text, reason && *reason ?
		    ": " : "", reason ? reason : "");
	return close_covered(srv, &n, "address banned");
}

int
admit_unban(struct server *srv, const char *net, char *err, size_t errlen)
{
	struct admit *a = srv->admit;
	struct proxy_net n;
	struct ban *b;
	char text[64];

	if (options_net_parse(net, &n) < 0) {
		snprintf(err, errlen, "'%s' is not ADDR or ADDR/N", net);
		return -1;
	}
	net_text(&n, text, sizeof(text));
	store_ban_del(srv->store, text);
	if ((b = ban_find(a, text)) == NULL)
		return 0;
	*b = a->bans[--a->nbans];
	store_audit(srv->store, "unban", NULL, text, NULL);
	log_info("ban: %s lifted", text);
	return 1;
}

const struct admit_ban *
admit_ban_find(struct server *srv, const char *net)
{
	struct proxy_net n;
	struct ban *b;
	char text[64];

	if (options_net_parse(net, &n) < 0)
		return NULL;
	net_text(&n, text, sizeof(text));
	b = ban_find(srv->admit, text);
	return b ? &b->pub : NULL;
}

size_t
admit_ban_count(const struct server *srv)
{
	return srv->admit->nbans;
}

const struct admit_ban *
admit_ban_at(const struct server *srv, size_t i)
{
	return i < srv->admit->nbans ? &srv->admit->bans[i].pub : NULL;
}

static void
load_one(void *arg, const struct ban_row *r)
{
	struct server *srv = arg;
	int64_t now = (int64_t)(server_wall_ms() / 1000);
	struct proxy_net n;
	struct ban *b;

	if (options_net_parse(r->net, &n) < 0 ||
	    (b = ban_add(srv, &n, r->net)) == NULL)
		return;
	b->pub.created = r->created;
	b->pub.until = r->until;
	/* What is left of it, on the monotonic clock from now. */
	b->pub.until_ms = r->until ? server_now_ms(srv) + (uint64_t)(r->until >
	    now ? r->until - now : 0) * 1000 : 0;
	snprintf(b->pub.reason, sizeof(b->pub.reason), "%s", r->reason);
}

void
admit_load_bans(struct server *srv)
{
	store_ban_load(srv->store, load_one, srv);
	if (srv->admit->nbans)
		log_info("ban: %zu addresses banned", srv->admit->nbans);
}
