/*
 * test_admin.c - the administrative verbs without the network: which
 * clients a selection names and kick, bans, channel listings, signal and
 * wall, quota levels, and the device verbs' results and error codes
 * against a real SQLite store in a temporary directory. Connections are
 * stubs (stubs.h); the store answers at once, so every callback has run
 * when a verb returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "admin.h"
#include "admit.h"
#include "authsrc.h"
#include "router.h"
#include "store.h"
#include "stubs.h"
#include "tap.h"

static struct server srv;
static char tmp[64];
static char msg[ADMIN_MSG_MAX];
static const struct admin_who who = { "test", "unit" };

/* ---- results of the callbacks ---- */

static struct {
	int calls;
	enum admin_err err;
	char msg[ADMIN_MSG_MAX];
	char store_msg[128];
	bool has_d;
	struct device d;
	bool builtin;
	long given_level;
	char key[64];
	int kicked;
	size_t n;			/* list, import */
	char ids[256];			/* list */
} res;

static void
res_reset(void)
{
	memset(&res, 0, sizeof(res));
	res.err = ADMIN_ERR_COUNT;
	msg[0] = '\0';
}

static void
device_cb(void *arg, const struct admin_device_result *r)
{
	(void)arg;
	res.calls++;
	res.err = r->err;
	snprintf(res.msg, sizeof(res.msg), "%s", r->msg ? r->msg : "");
	snprintf(res.store_msg, sizeof(res.store_msg), "%s", r->store_msg ?
	    r->store_msg : "");
	if ((res.has_d = r->d != NULL))
		res.d = *r->d;
	snprintf(res.key, sizeof(res.key), "%s", r->key ? r->key : "");
	res.kicked = r->kicked;
	res.builtin = r->builtin;
	res.given_level = r->given_level;
}

static void
ids_cb(void *arg, enum admin_err e, const char *const *ids, size_t n)
{
	(void)arg;
	res.calls++;
	res.err = e;
	res.n = n;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(res.ids);

		snprintf(res.ids + l, sizeof(res.ids) - l, "%s%s", l ? " " : "",
		    ids[i]);
	}
}

static void
list_cb(void *arg, enum admin_err e, const struct device *d, size_t n)
{
	(void)arg;
	res.calls++;
	res.err = e;
	res.n = n;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(res.ids);

		snprintf(res.ids + l, sizeof(res.ids) - l, "%s%s", l ? " " : "",
		    d[i].id);
	}
}

static void
import_cb(void *arg, enum admin_err e, size_t n, const char *m)
{
	(void)arg;
	res.calls++;
	res.err = e;
	res.n = n;
	snprintf(res.msg, sizeof(res.msg), "%s", m ? m : "");
}

/* ---- the server ---- */

static struct conn *
client(const char *ip, enum transport tr, const char *cid, const char *did,
    const char *presented)
{
	struct conn *c = stub_conn_new(&srv, ip, tr);

	if (cid)
		router_set_cid(&srv, c, cid);
	else
		router_assign_cid(&srv, c);
	if (did) {
		snprintf(c->s->did, sizeof(c->s->did), "%s", did);
		c->s->boho.authorized = true;
	}
	if (presented)
		snprintf(c->s->presented, sizeof(c->s->presented), "%s",
		    presented);
	return c;
}

static void
setup(void)
{
	char path[128], err[512];

	stub_server_init(&srv);
	snprintf(path, sizeof(path), "%s/iosd.db", tmp);
	srv.store = store_open(ev_default_loop(0), path, NULL, err,
	    sizeof(err));
	if (srv.store == NULL) {
		tap_diag("store_open: %s", err);
		exit(1);
	}
	srv.admit = admit_new();
}

static void
teardown(void)
{
	char path[160];
	static const char *const ext[] = { "", "-wal", "-shm" };

	stub_server_free(&srv);
	store_close(srv.store);
	admit_free(srv.admit);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/iosd.db%s", tmp, ext[i]);
		unlink(path);
	}
}

/* ---- clients ---- */

static size_t
matching(const struct admin_sel *s)
{
	size_t n = 0;

	for (struct conn *c = srv.conns; c; c = c->next)
		n += admin_sel_match(s, c);
	return n;
}

static void
collect(struct conn *c, void *arg)
{
	char *out = arg;
	size_t l = strlen(out);

	snprintf(out + l, 128 - l, "%s%s", l ? " " : "", c->s->cid);
}

static void
test_selection(void)
{
	struct admin_sel s;
	struct conn *a, *b, *c, *d, *gone;
	char kicked[128] = "";
	size_t n;

	setup();
	a = client("10.0.0.1", TR_WS, "lamp", "lamp1", NULL);
	b = client("10.0.0.2", TR_CONG, "anon-b", NULL, NULL);
	c = client("192.168.1.7", TR_WS, "anon-c", NULL, "dev9");
	d = client("2001:db8::5", TR_WSS, "dev2", "dev2", "dev2");
	gone = client("10.0.0.9", TR_WS, "gone", NULL, NULL);
	conn_close(gone, true, 1000, "closing");
	stub_reset();

	admin_sel_init(&s);
	OK(!admin_sel_any(&s), "no criterion");
	tap_eq_long((long)matching(&s), 4, "everyone open (not a closing one)");
	s.cid = "lamp";
	OK(admin_sel_any(&s), "a criterion");
	tap_eq_long((long)matching(&s), 1, "cid lamp");
	OK(admin_sel_match(&s, a), "it is a");
	admin_sel_init(&s);
	s.ssid = b->ssid;
	OK(matching(&s) == 1 && admin_sel_match(&s, b), "ssid: b");
	admin_sel_init(&s);
	s.device = "dev9";
	OK(matching(&s) == 1 && admin_sel_match(&s, c),
	    "device: presented at a failed login");
	s.device = "lamp1";
	OK(matching(&s) == 1 && admin_sel_match(&s, a), "device: logged in");
	admin_sel_init(&s);
	s.anonymous = 1;
	tap_eq_long((long)matching(&s), 2, "anonymous");
	s.anonymous = 0;
	tap_eq_long((long)matching(&s), 2, "logged in");
	admin_sel_init(&s);
	s.transport = "ws";
	tap_eq_long((long)matching(&s), 2, "transport ws");
	s.transport = "cong";
	tap_eq_long((long)matching(&s), 1, "transport cong");
	admin_sel_init(&s);
	s.filter = "anon";
	tap_eq_long((long)matching(&s), 2, "filter: in the cid");
	s.filter = "192.168.";
	tap_eq_long((long)matching(&s), 1, "filter: in the address");
	admin_sel_init(&s);
	tap_eq_long(admin_sel_address(&s, "10.0.0.0/24", msg, sizeof(msg)),
	    ADMIN_OK, "address 10.0.0.0/24");
	tap_eq_long((long)matching(&s), 2, "two in 10.0.0.0/24");
	s.anonymous = 1;
	OK(matching(&s) == 1 && admin_sel_match(&s, b),
	    "criteria together: anonymous in 10.0.0.0/24 is b");
	admin_sel_init(&s);
	admin_sel_address(&s, "2001:db8::/32", msg, sizeof(msg));
	OK(matching(&s) == 1 && admin_sel_match(&s, d), "an IPv6 network");
	admin_sel_init(&s);
	tap_eq_long(admin_sel_address(&s, "10.0.0.300", msg, sizeof(msg)),
	    ADMIN_BAD_ARGS, "a bad address");
	tap_eq_str(msg, "address: '10.0.0.300' is not ADDR or ADDR/N",
	    "its message");

	/* kick */
	admin_sel_init(&s);
	tap_eq_long(admin_kick(&srv, &who, &s, NULL, NULL, NULL, &n, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "kick without a criterion");
	tap_eq_long((long)stub_nclosed, 0, "closes nobody");
	s.cid = "nobody";
	tap_eq_long(admin_kick(&srv, &who, &s, NULL, NULL, NULL, &n, msg,
	    sizeof(msg)), ADMIN_NOT_FOUND, "kick nobody: not found");
	tap_eq_str(msg, "no client matches", "its message");
	admin_sel_init(&s);
	s.anonymous = 1;
	tap_eq_long(admin_kick(&srv, &who, &s, NULL, collect, kicked, &n, msg,
	    sizeof(msg)), ADMIN_OK, "kick the anonymous");
	tap_eq_long((long)n, 2, "two kicked");
	tap_eq_str(kicked, "anon-c anon-b", "each shown first, newest first");
	OK(stub_nclosed == 2 && stub_closed[0].code == 1000 &&
	    strcmp(stub_closed[0].reason, "kicked by an operator") == 0,
	    "closed gracefully, 1000, the default reason");
	OK(router_find_cid(&srv, "anon-b", 6) == NULL,
	    "a kicked client leaves the router");
	tap_eq_str(stub_log, "test: kick 2 clients, reason \"kicked by an "
	    "operator\" (unit)", "the change is logged with who asked");
	tap_eq_long(admin_kick(&srv, &who, &s, NULL, NULL, NULL, &n, msg,
	    sizeof(msg)), ADMIN_NOT_FOUND, "kicked ones are not open");
	stub_reset();
	admin_sel_init(&s);
	s.cid = "dev2";
	admin_kick(&srv, NULL, &s, "bye", NULL, NULL, &n, msg, sizeof(msg));
	tap_eq_str(stub_closed[0].reason, "bye", "a reason given");
	teardown();
}

static void
test_bans(void)
{
	const struct admit_ban *ban = NULL;
	int closed = -1;

	setup();
	client("10.1.0.1", TR_WS, "x1", NULL, NULL);
	client("10.1.0.2", TR_WS, "x2", NULL, NULL);
	client("10.2.0.1", TR_WS, "y1", NULL, NULL);
	tap_eq_long(admin_duration_s("90"), 90, "90");
	tap_eq_long(admin_duration_s("15m"), 900, "15m");
	tap_eq_long(admin_duration_s("2h"), 7200, "2h");
	tap_eq_long(admin_duration_s("1w"), 604800, "1w");
	tap_eq_long(admin_duration_s("2x"), -1, "2x is not one");
	tap_eq_long(admin_duration_s("1hh"), -1, "1hh is not one");
	tap_eq_long(admin_ban(&srv, &who, "10.1.0.0/16", "soon", NULL, &ban,
	    &closed, msg, sizeof(msg)), ADMIN_BAD_ARGS, "a bad duration");
	tap_eq_long(admin_ban(&srv, &who, "10.1.0.0/99", NULL, NULL, &ban,
	    &closed, msg, sizeof(msg)), ADMIN_BAD_ARGS, "a bad network");
	tap_eq_long((long)admit_ban_count(&srv), 0, "no ban yet");
	tap_eq_long(admin_ban(&srv, &who, "10.1.0.0/16", "1h", "noisy", &ban,
	    &closed, msg, sizeof(msg)), ADMIN_OK, "ban 10.1.0.0/16 for 1h");
	tap_eq_long(closed, 2, "its two connections closed");
	OK(ban && strcmp(ban->net, "10.1.0.0/16") == 0 &&
	    strcmp(ban->reason, "noisy") == 0 && ban->until ==
	    ban->created + 3600, "the ban as kept");
	tap_eq_str(stub_log, "test: ban 10.1.0.0/16 for 1h (unit)", "logged");
	tap_eq_long((long)admit_ban_count(&srv), 1, "one ban");
	tap_eq_long(admin_unban(&srv, &who, "10.9.0.0/16", msg, sizeof(msg)),
	    ADMIN_NOT_FOUND, "unban what is not banned");
	tap_eq_str(msg, "10.9.0.0/16 is not banned", "its message");
	tap_eq_long(admin_unban(&srv, &who, "bad", msg, sizeof(msg)),
	    ADMIN_BAD_ARGS, "unban a bad address");
	tap_eq_long(admin_unban(&srv, &who, "10.1.0.0/16", msg, sizeof(msg)),
	    ADMIN_OK, "unban");
	tap_eq_long((long)admit_ban_count(&srv), 0, "no ban left");
	teardown();
}

/* ---- channels, signal, wall ---- */

static void
channel_one(const char *key, const struct router_channel_info *info,
    void *arg)
{
	char *out = arg;
	size_t l = strlen(out);

	snprintf(out + l, 128 - l, "%s%s/%zu", l ? " " : "", key,
	    info->subscribers);
}

static void
test_channels(void)
{
	struct conn *a, *b;
	char out[128] = "";
	size_t n;

	setup();
	a = client("10.0.0.1", TR_WS, "a", NULL, NULL);
	b = client("10.0.0.2", TR_WS, "b", NULL, NULL);
	router_subscribe(&srv, a, (const uint8_t *)"one", 3);
	router_subscribe(&srv, b, (const uint8_t *)"one", 3);
	router_subscribe(&srv, b, (const uint8_t *)"two", 3);
	router_subscribe(&srv, a, (const uint8_t *)"a@x", 3);
	tap_eq_long((long)admin_channels(&srv, NULL, 0, SIZE_MAX, channel_one,
	    out), 3, "three channels");
	tap_eq_str(out, "CH:one/2 CH:two/1 CID:a@x/1", "keys and subscribers");
	out[0] = '\0';
	tap_eq_long((long)admin_channels(&srv, "CH:", 1, 5, channel_one, out),
	    2, "two match CH:");
	tap_eq_str(out, "CH:two/1", "the page from the second");
	out[0] = '\0';
	tap_eq_long(admin_subscribers(&srv, "CH:one", collect, out, msg,
	    sizeof(msg)), ADMIN_OK, "subscribers of CH:one");
	tap_eq_str(out, "a b", "in order");
	tap_eq_long(admin_subscribers(&srv, "one", collect, out, msg,
	    sizeof(msg)), ADMIN_NOT_FOUND, "a tag is not a key");
	OK(strncmp(msg, "no channel one (keys look like", 30) == 0,
	    "the message says what keys look like");

	/* signal */
	tap_eq_long(admin_signal(&srv, &who, "one", NULL, "hello", &n, msg,
	    sizeof(msg)), ADMIN_OK, "signal one");
	tap_eq_long((long)n, 2, "delivered to 2");
	tap_eq_str(stub_log, "test: signal one (unit)", "logged");
	{
		const struct msg *m = stub_sent_nth(a, 0);
		struct ios_signal s;

		OK(m && iosmsg_parse_signal(m->data, m->len, &s) == 0 &&
		    s.ptype == IOS_PAYLOAD_TEXT && s.payload_len == 6 &&
		    memcmp(s.payload, "hello", 6) == 0,
		    "a TEXT payload with its NUL");
	}
	stub_reset();
	tap_eq_long(admin_signal(&srv, &who, "b@ping", "json", "[1,2]", &n, msg,
	    sizeof(msg)), ADMIN_OK, "unicast b@ping, json");
	tap_eq_long((long)n, 1, "to b alone");
	{
		const struct msg *m = stub_sent_nth(b, 0);
		struct ios_signal s;

		OK(m && iosmsg_parse_signal(m->data, m->len, &s) == 0 &&
		    s.ptype == IOS_PAYLOAD_MJSON && s.tag_len == 5 &&
		    memcmp(s.tag, "@ping", 5) == 0,
		    "an array is MJSON, retagged @ping");
	}
	tap_eq_long(admin_signal(&srv, &who, "two", "binary", "aGk=", &n, msg,
	    sizeof(msg)), ADMIN_OK, "binary");
	tap_eq_long(admin_signal(&srv, &who, "two", "binary", "a*b", &n, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "bad base64");
	tap_eq_str(msg, "payload is not base64", "its message");
	tap_eq_long(admin_signal(&srv, &who, "two", "json", "{", &n, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "bad JSON");
	tap_eq_long(admin_signal(&srv, &who, "two", "xml", "", &n, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "an unknown type");
	tap_eq_long(admin_signal(&srv, &who, "two", "empty", NULL, &n, msg,
	    sizeof(msg)), ADMIN_OK, "empty");
	{
		char tag[300];

		memset(tag, 'x', 299);
		tag[299] = '\0';
		tap_eq_long(admin_signal(&srv, &who, tag, NULL, "x", &n, msg,
		    sizeof(msg)), ADMIN_BAD_ARGS, "a tag over 255 bytes");
	}

	/* wall */
	stub_reset();
	tap_eq_long(admin_wall(&srv, &who, NULL, "{\"a\":1}", &n, msg,
	    sizeof(msg)), ADMIN_OK, "wall");
	tap_eq_long((long)n, 2, "to the 2 open clients");
	tap_eq_str(stub_wall, "{\"event\":\"wall\",\"data\":{\"a\":1}}",
	    "the SERVER_SIGNAL's JSON");
	admin_wall(&srv, &who, "restart", NULL, &n, msg, sizeof(msg));
	tap_eq_str(stub_wall, "{\"event\":\"restart\",\"data\":null}",
	    "an event, no data");
	tap_eq_long(admin_wall(&srv, &who, NULL, "{x", &n, msg, sizeof(msg)),
	    ADMIN_BAD_ARGS, "data that is not JSON");
	tap_eq_long((long)stub_nwalls, 2, "not sent");
	teardown();
}

/* ---- quotas ---- */

static void
quota_one(int level, const struct quota *q, void *arg)
{
	if (level == 9)
		*(struct quota *)arg = *q;
}

static void
test_quotas(void)
{
	struct quota q = { 100, 0, 0 }, out, listed = { 0, 0, 0 };

	setup();
	tap_eq_long(admin_quota_set(&srv, &who, 9, &q, &out, msg, sizeof(msg)),
	    ADMIN_BAD_ARGS, "a new level needs every member");
	q = (struct quota){ 100, 5, 1000 };
	tap_eq_long(admin_quota_set(&srv, &who, 9, &q, &out, msg, sizeof(msg)),
	    ADMIN_OK, "level 9 defined");
	q = (struct quota){ 0, 7, 0 };
	tap_eq_long(admin_quota_set(&srv, &who, 9, &q, &out, msg, sizeof(msg)),
	    ADMIN_OK, "one member changed");
	OK(out.signal_size == 100 && out.publish_counter == 7 &&
	    out.traffic_rate == 1000, "the others kept");
	OK(admin_quota_list(&srv, quota_one, &listed) >= 1 &&
	    listed.publish_counter == 7, "listed");
	tap_eq_long(admin_quota_set(&srv, &who, 256, &q, &out, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "level 256");
	teardown();
}

/* ---- devices ---- */

static void
test_devices(void)
{
	struct conn *on, *other;
	char stored[64];

	setup();
	res_reset();
	tap_eq_long(admin_enroll(&srv, &who, "dev1", NULL, "key1", 2, false,
	    NULL, device_cb, NULL, msg, sizeof(msg)), ADMIN_OK, "enroll dev1");
	OK(res.calls == 1 && res.err == ADMIN_OK, "answered once, ok");
	OK(res.has_d && strcmp(res.d.cid, "dev1") == 0 && res.d.level == 2,
	    "its CID is its id, level 2");
	tap_eq_str(res.key, "", "a key given is not shown");
	boho_stored_key("key1", 4, stored);
	tap_eq_str(res.d.key, stored, "the key is stored hashed");
	tap_eq_str(stub_log, "test: enroll dev1 (unit)", "logged");

	res_reset();
	admin_enroll(&srv, &who, "dev1", "other", "key1", 2, false, NULL,
	    device_cb, NULL, msg, sizeof(msg));
	tap_eq_long(res.err, ADMIN_EXISTS, "again: exists");
	tap_eq_str(res.msg, "dev1: exists", "its message");
	tap_eq_str(res.store_msg, "exists", "the store's words");
	res_reset();
	admin_enroll(&srv, &who, "dev3", "dev1", "k", 1, false, NULL,
	    device_cb, NULL, msg, sizeof(msg));
	tap_eq_long(res.err, ADMIN_EXISTS, "another id with its CID: exists");
	tap_eq_str(res.store_msg, "cid in use", "cid in use");
	res_reset();
	admin_enroll(&srv, &who, "dev1", NULL, NULL, 4, true, NULL, device_cb,
	    NULL, msg, sizeof(msg));
	OK(res.err == ADMIN_OK && res.d.level == 4, "replace: level 4");
	tap_eq_long((long)strlen(res.key), 32, "a key made here is shown");
	tap_eq_str(stub_log, "test: enroll --update dev1 (unit)", "logged");
	res_reset();
	tap_eq_long(admin_enroll(&srv, &who, "a b", NULL, "k", 1, false, NULL,
	    device_cb, NULL, msg, sizeof(msg)), ADMIN_BAD_ARGS, "a bad id");
	OK(res.calls == 0 && msg[0], "refused at once, with a reason");
	tap_eq_long(admin_enroll(&srv, &who, "dev5", "x@y", "k", 1, false,
	    NULL, device_cb, NULL, msg, sizeof(msg)), ADMIN_BAD_ARGS,
	    "a bad CID");
	tap_eq_long(admin_enroll(&srv, &who, "dev5", NULL, "k", 256, false,
	    NULL, device_cb, NULL, msg, sizeof(msg)), ADMIN_BAD_ARGS,
	    "level 256");

	/* get, list */
	res_reset();
	admin_device(&srv, "dev1", device_cb, NULL, msg, sizeof(msg));
	OK(res.err == ADMIN_OK && res.d.level == 4, "device dev1");
	res_reset();
	admin_device(&srv, "nope", device_cb, NULL, msg, sizeof(msg));
	tap_eq_long(res.err, ADMIN_NOT_FOUND, "device nope: not found");
	tap_eq_str(res.msg, "nope: no such device", "its message");
	res_reset();
	tap_eq_long(admin_device(&srv, "toolongid", device_cb, NULL, msg,
	    sizeof(msg)), ADMIN_NOT_FOUND, "an id over 8 bytes: not found");
	OK(res.calls == 0, "at once");
	res_reset();
	admin_enroll(&srv, &who, "dev2", NULL, "key2", 1, false, NULL,
	    device_cb, NULL, msg, sizeof(msg));
	res_reset();
	admin_devices(&srv, list_cb, NULL);
	OK(res.err == ADMIN_OK && res.n == 2, "two devices");
	tap_eq_str(res.ids, "dev1 dev2", "their ids");

	/* changes */
	on = client("10.0.0.1", TR_WS, "dev1", "dev1", "dev1");
	other = client("10.0.0.2", TR_WS, NULL, NULL, "dev1");
	res_reset();
	admin_device(&srv, "dev2", device_cb, NULL, msg, sizeof(msg));
	OK(res.err == ADMIN_OK && !admin_device_online(&srv, &res.d),
	    "dev2 is not online");
	res_reset();
	admin_set_level(&srv, &who, "dev1", 7, device_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && res.d.level == 7 && res.kicked == 0,
	    "set-level 7, nobody closed");
	OK(admin_device_online(&srv, &res.d), "dev1 is online");
	tap_eq_str(stub_log, "test: level dev1 (unit)", "logged");
	res_reset();
	admin_disable(&srv, &who, "dev1", true, device_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && res.d.disabled, "disable");
	tap_eq_long(res.kicked, 2,
	    "its sessions closed: logged in, and presented at a login");
	OK(stub_nclosed == 2 && stub_closed[0].code == 1008 &&
	    strcmp(stub_closed[0].reason, "device disabled") == 0,
	    "1008, device disabled");
	OK(on->state == CONN_CLOSING && other->state == CONN_CLOSING,
	    "both closing");
	res_reset();
	admin_disable(&srv, &who, "dev1", false, device_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && !res.d.disabled && res.kicked == 0,
	    "enable");
	res_reset();
	admin_set_level(&srv, &who, "ghost", 1, device_cb, NULL, msg,
	    sizeof(msg));
	tap_eq_long(res.err, ADMIN_NOT_FOUND, "a change of no device");
	tap_eq_str(res.msg, "ghost: no such device", "its message");
	res_reset();
	admin_rotate_key(&srv, &who, "dev2", "newkey", device_cb, NULL, msg,
	    sizeof(msg));
	boho_stored_key("newkey", 6, stored);
	OK(res.err == ADMIN_OK && strcmp(res.d.key, stored) == 0 &&
	    res.key[0] == '\0', "rotate-key to a given key");
	res_reset();
	admin_rotate_key(&srv, &who, "dev2", NULL, device_cb, NULL, msg,
	    sizeof(msg));
	boho_stored_key(res.key, strlen(res.key), stored);
	OK(res.err == ADMIN_OK && strlen(res.key) == 32 &&
	    strcmp(res.d.key, stored) == 0, "rotate-key to one made here");
	tap_eq_str(stub_log, "test: rotate dev2 (unit)", "logged");

	/* revoke */
	stub_reset();
	on = client("10.0.0.3", TR_WS, "dev2", "dev2", "dev2");
	res_reset();
	admin_revoke(&srv, &who, "dev2", false, device_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && res.kicked == 0 && on->state == CONN_OPEN,
	    "revoke without kick: the session stays (sudo deldevice)");
	res_reset();
	admin_revoke(&srv, &who, "dev2", true, device_cb, NULL, msg,
	    sizeof(msg));
	tap_eq_long(res.err, ADMIN_NOT_FOUND, "revoke again: not found");
	tap_eq_str(res.msg, "no device dev2", "its message");
	res_reset();
	admin_revoke(&srv, &who, "dev1", true, device_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && res.kicked == 0,
	    "revoke dev1 (its sessions already gone)");
	tap_eq_str(stub_log, "test: revoke dev1 (unit)", "logged");
	res_reset();
	admin_devices(&srv, list_cb, NULL);
	tap_eq_long((long)res.n, 0, "no device left");
	teardown();
}

/* The sudo API's view: the -d/-e/-E devices first, then the store's. */
static void
test_auth_view(void)
{
	char err[256];

	setup();
	res_reset();
	admin_auth_devices(&srv, ids_cb, NULL);
	OK(res.calls == 1 && res.err == ADMIN_OK && res.n == 0,
	    "no devices anywhere: an empty list");
	srv.auth = authsrc_new();
	OK(srv.auth && authsrc_load_param(srv.auth, "eb.k2.0,ea.k1,ec.k3.7x",
	    "-e", err, sizeof(err)) == 0, "-e eb.k2.0,ea.k1,ec.k3.7x");
	admin_enroll(&srv, &who, "dev1", NULL, "key1", 2, false, NULL,
	    device_cb, NULL, msg, sizeof(msg));
	admin_enroll(&srv, &who, "ea", "ea-store", "other", 5, false, NULL,
	    device_cb, NULL, msg, sizeof(msg));
	res_reset();
	admin_auth_devices(&srv, ids_cb, NULL);
	OK(res.calls == 1 && res.err == ADMIN_OK, "listed");
	tap_eq_str(res.ids, "eb ea ec dev1",
	    "-e in its order, then the store's it does not hide");
	res_reset();
	admin_devices(&srv, list_cb, NULL);
	tap_eq_str(res.ids, "dev1 ea", "admin_devices: the store alone");

	res_reset();
	tap_eq_long(admin_auth_device(&srv, "eb", device_cb, NULL, msg,
	    sizeof(msg)), ADMIN_OK, "auth device eb");
	OK(res.calls == 1 && res.builtin && res.given_level == 0 &&
	    res.d.level == 3, "eb: -e, given 0, logs in at 3");
	res_reset();
	admin_auth_device(&srv, "ea", device_cb, NULL, msg, sizeof(msg));
	OK(res.builtin && res.given_level == -1 && strcmp(res.d.cid, "ea") ==
	    0, "ea: the -e one (as a login finds it), no level given");
	res_reset();
	admin_auth_device(&srv, "ec", device_cb, NULL, msg, sizeof(msg));
	OK(res.builtin && res.given_level == 7 && res.d.level == 7,
	    "ec: 7x is 7, as parseInt");
	res_reset();
	admin_auth_device(&srv, "dev1", device_cb, NULL, msg, sizeof(msg));
	OK(res.calls == 1 && res.err == ADMIN_OK && !res.builtin &&
	    res.d.level == 2, "dev1: from the store");
	res_reset();
	admin_auth_device(&srv, "nope", device_cb, NULL, msg, sizeof(msg));
	tap_eq_long(res.err, ADMIN_NOT_FOUND, "nope: not found");
	res_reset();
	admin_device(&srv, "ea", device_cb, NULL, msg, sizeof(msg));
	OK(!res.builtin && strcmp(res.d.cid, "ea-store") == 0,
	    "admin_device: the store's ea");
	authsrc_free(srv.auth);
	srv.auth = NULL;
	teardown();
}

static void
test_import(void)
{
	char path[128];
	FILE *f;

	setup();
	snprintf(path, sizeof(path), "%s/auth.json", tmp);
	if ((f = fopen(path, "w")) == NULL)
		exit(1);
	fputs("[[\"imp1\", \"key1\", \"imp1\", 1], [\"imp2\", \"key2\", "
	    "\"cid2\", 2]]\n", f);
	fclose(f);
	res_reset();
	tap_eq_long(admin_import(&srv, &who, path, false, import_cb, NULL, msg,
	    sizeof(msg)), ADMIN_OK, "import");
	OK(res.calls == 1 && res.err == ADMIN_OK && res.n == 2,
	    "answered once: 2 imported");
	res_reset();
	admin_import(&srv, &who, path, false, import_cb, NULL, msg,
	    sizeof(msg));
	tap_eq_long(res.err, ADMIN_EXISTS, "again: exists");
	tap_eq_str(res.msg, "0 of 2 imported; first error: exists",
	    "its message");
	res_reset();
	admin_import(&srv, &who, path, true, import_cb, NULL, msg,
	    sizeof(msg));
	OK(res.err == ADMIN_OK && res.n == 2, "replacing: 2 imported");
	res_reset();
	unlink(path);
	tap_eq_long(admin_import(&srv, &who, path, false, import_cb, NULL, msg,
	    sizeof(msg)), ADMIN_BAD_ARGS, "a missing file");
	OK(res.calls == 0 && strstr(msg, "auth.json") != NULL,
	    "refused at once, naming the file");
	teardown();
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_admin.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	tap_eq_str(admin_strerror(ADMIN_NOT_FOUND), "not found",
	    "admin_strerror");
	tap_eq_str(admin_strerror(ADMIN_ERR_COUNT), "unknown error",
	    "out of range");
	test_selection();
	test_bans();
	test_channels();
	test_quotas();
	test_devices();
	test_auth_view();
	test_import();
	rmdir(tmp);
	return tap_done();
}
