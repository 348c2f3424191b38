/*
 * test_router.c - the router without the network: subscriptions and
 * fan-out (who gets a signal, how many), home channels, CID publish and
 * CID@topic unicast, retained signals, CID assignment and collisions, the
 * walks and counts of the router's API. Connections are stubs that record
 * what they are sent (stubs.h).
 */
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "stubs.h"
#include "tap.h"

extern size_t stub_retained_puts;
extern char stub_retained_key[256];

static struct server srv;

static void
sub(struct conn *c, const char *tag)
{
	router_subscribe(&srv, c, (const uint8_t *)tag, strlen(tag));
}

static void
unsub(struct conn *c, const char *tag)
{
	router_unsubscribe(&srv, c, (const uint8_t *)tag, strlen(tag));
}

/* Publish a TEXT signal from c (NULL: the server): the recipients. */
static size_t
pub(struct conn *c, const char *tag, const char *text)
{
	uint8_t m[512];
	long n = iosmsg_build_text_signal(tag, text, m, sizeof(m));

	if (n < 0)
		return (size_t)-1;
	return router_publish(&srv, c, m, (size_t)n);
}

/* The tag and text of the n-th message c was sent, "tag=text". */
static const char *
got(const struct conn *c, size_t n)
{
	static char out[600];
	const struct msg *m = stub_sent_nth(c, n);
	struct ios_signal s;

	if (m == NULL)
		return "(nothing)";
	if (iosmsg_parse_signal(m->data, m->len, &s) < 0)
		return "(not a signal)";
	snprintf(out, sizeof(out), "%.*s=%.*s", (int)s.tag_len,
	    (const char *)s.tag, s.payload_len ? (int)s.payload_len - 1 : 0,
	    (const char *)s.payload);
	return out;
}

static struct router_counts
counts(void)
{
	struct router_counts n;

	router_counts(&srv, &n);
	return n;
}

static bool
has_channel(const char *key)
{
	return router_find_channel(&srv, key, strlen(key)) != NULL;
}

static void
test_fanout(void)
{
	struct conn *a, *b, *c;

	stub_server_init(&srv);
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	b = stub_conn_new(&srv, "10.0.0.2", TR_CONG);
	c = stub_conn_new(&srv, "10.0.0.3", TR_WS);
	sub(b, "room");
	sub(a, "room");
	sub(a, "room");			/* twice: one subscription */
	sub(a, "other");
	tap_eq_long((long)counts().channels, 2, "two channels");
	tap_eq_long((long)counts().subscriptions, 3, "three subscriptions");
	tap_eq_long((long)a->s->nsubs, 2, "a holds two");
	OK(has_channel("CH:room"), "key CH:room");

	tap_eq_long((long)pub(c, "room", "hi"), 2, "c to room: 2 recipients");
	tap_eq_long((long)stub_nsent, 2, "two sends");
	OK(stub_sent[0].to == b && stub_sent[1].to == a,
	    "in subscription order: b, then a");
	OK(stub_sent[0].m == stub_sent[1].m, "one shared message");
	tap_eq_str(got(a, 0), "room=hi", "a got room=hi");
	tap_eq_long((long)stub_sent_to(c), 0, "the publisher got nothing");
	stub_reset();

	tap_eq_long((long)pub(a, "room", "self"), 1,
	    "a to its own room: 1 recipient");
	tap_eq_long((long)stub_sent_to(a), 0, "a is not sent its own");
	tap_eq_long((long)pub(c, "nobody", "x"), 0, "no subscribers: 0");
	OK(!has_channel("CH:nobody"), "publishing makes no channel");
	tap_eq_long((long)srv.m.publishes, 3, "publishes counted");
	tap_eq_long((long)srv.m.fanout_deliveries, 3, "deliveries counted");
	stub_reset();

	unsub(a, "room");
	tap_eq_long((long)pub(c, "room", "again"), 1, "after a unsubscribed: 1");
	tap_eq_str(got(b, 0), "room=again", "b still gets it");
	unsub(b, "room");
	OK(!has_channel("CH:room"), "a channel without subscribers goes");
	tap_eq_long((long)counts().channels, 1, "one channel left");
	tap_eq_long((long)counts().subscriptions, 1, "one subscription left");
	router_unsubscribe_all(&srv, a);
	tap_eq_long((long)counts().channels, 0, "none after unsubscribe_all");
	tap_eq_long((long)srv.m.channels, 0, "the channel gauge follows");
	stub_server_free(&srv);
}

static void
test_limits(void)
{
	struct conn *a;
	struct ios_taglist t = { (const uint8_t *)"x,y,x", 5, false };
	struct ios_taglist t2 = { (const uint8_t *)"y,z", 3, false };

	stub_server_init(&srv);
	srv.opt.max_subs = 2;
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	OK(router_sub_room(&srv, a, &t), "x,y,x fits under 2 (x counted once)");
	sub(a, "x");
	sub(a, "y");
	OK(!router_sub_room(&srv, a, &t2), "y,z does not: z is a third");
	sub(a, "z");
	tap_eq_long((long)a->s->nsubs, 2, "a third subscription is refused");
	tap_eq_long((long)srv.m.drops[DROP_SUB_LIMIT], 2,
	    "refusals counted");
	OK(!has_channel("CH:z"), "no channel for it");
	stub_server_free(&srv);
}

static void
test_home(void)
{
	struct conn *a, *b, *c, *p;
	char key[TAG_KEY_MAX];

	stub_server_init(&srv);
	a = stub_conn_new(&srv, "8.8.8.8", TR_WS);
	b = stub_conn_new(&srv, "1.1.1.1", TR_WS);
	c = stub_conn_new(&srv, "192.168.1.5", TR_CONG);
	p = stub_conn_new(&srv, "8.8.8.8", TR_CONG);
	tap_eq_str(a->home, "IP:08080808", "a public address is its home");
	tap_eq_str(c->home, "PRIVATE:", "a private one is PRIVATE:");
	sub(a, "#news");
	sub(b, "#news");
	sub(c, "#news");
	snprintf(key, sizeof(key), "%s#news", a->home);
	OK(has_channel(key), "key %s", key);
	OK(has_channel("PRIVATE:#news"), "key PRIVATE:#news");
	tap_eq_long((long)counts().channels, 3, "one channel per home");
	tap_eq_long((long)pub(p, "#news", "local"), 1,
	    "from 8.8.8.8: its home only");
	tap_eq_str(got(a, 0), "#news=local", "a got it, tag unchanged");
	tap_eq_long((long)stub_sent_to(b) + (long)stub_sent_to(c), 0,
	    "other homes got nothing");
	stub_reset();
	tap_eq_long((long)pub(NULL, "#news", "srv"), 1,
	    "the server publishes to PRIVATE:");
	tap_eq_long((long)stub_sent_to(c), 1, "c got it");
	stub_server_free(&srv);
}

static void
test_cids(void)
{
	static const uint8_t r1[] = { 0x00, 0x00, 0x00 };
	static const uint8_t r2[] = { 0x00, 0x00, 0x00, 0xff, 0xff, 0xff };
	struct conn *a, *b;

	stub_server_init(&srv);
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	b = stub_conn_new(&srv, "10.0.0.2", TR_WS);
	stub_random_push(r1, sizeof(r1));
	tap_eq_long(router_assign_cid(&srv, a), 0, "a gets a CID");
	tap_eq_str(a->s->cid, "?AAAA", "'?' and base64url of 3 random bytes");
	/* The same bytes again: drawn again until it is free. */
	stub_random_push(r2, sizeof(r2));
	tap_eq_long(router_assign_cid(&srv, b), 0, "b gets a CID");
	tap_eq_str(b->s->cid, "?____", "not a's: the second draw");
	OK(router_find_cid(&srv, "?AAAA", 5) == a, "find ?AAAA: a");
	OK(router_find_cid(&srv, "?____", 5) == b, "find ?____: b");
	OK(router_find_cid(&srv, "?AAA", 4) == NULL, "a prefix is not a CID");
	tap_eq_long((long)counts().cids, 2, "two CIDs");

	tap_eq_long(router_set_cid(&srv, a, "dev1"), 0, "a logs in as dev1");
	OK(router_find_cid(&srv, "dev1", 4) == a, "find dev1: a");
	OK(router_find_cid(&srv, "?AAAA", 5) == NULL, "its old CID is free");
	tap_eq_long((long)counts().cids, 2, "still two CIDs");
	conn_close(b, true, 1000, "bye");
	OK(router_find_cid(&srv, "?____", 5) == NULL, "b's CID goes with it");
	tap_eq_long((long)counts().cids, 1, "one CID");
	stub_server_free(&srv);
}

static void
test_unicast(void)
{
	struct conn *a, *b, *c;
	char tag[64];

	stub_server_init(&srv);
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	b = stub_conn_new(&srv, "10.0.0.2", TR_CONG);
	c = stub_conn_new(&srv, "10.0.0.3", TR_WS);
	router_set_cid(&srv, a, "lamp");
	router_set_cid(&srv, b, "switch");

	/* cid@topic: to that CID alone, retagged "@topic". */
	sub(c, "lamp@on");	/* a subscriber of the key is not a target */
	tap_eq_long((long)pub(b, "lamp@on", "1"), 1, "lamp@on: 1 recipient");
	tap_eq_str(got(a, 0), "@on=1", "lamp got @on");
	tap_eq_long((long)stub_sent_to(c), 0, "nobody else");
	tap_eq_long((long)pub(b, "lamp@on@x", "2"), 1, "lamp@on@x");
	tap_eq_str(got(a, 1), "@on=2", "the topic ends at the next '@'");
	tap_eq_long((long)pub(NULL, "lamp@cmd", "srv"), 1,
	    "the server unicasts too");
	tap_eq_long((long)pub(b, "nobody@on", "1"), 0, "an unknown CID: 0");
	tap_eq_long((long)srv.m.drops[DROP_UNKNOWN_CID], 1, "and counted");
	stub_reset();

	/* @topic: published as "<own cid>@topic" to its subscribers. */
	unsub(c, "lamp@on");
	sub(c, "switch@state");
	OK(has_channel("CID:switch@state"), "key CID:switch@state");
	tap_eq_long((long)pub(b, "@state", "pressed"), 1, "@state: 1");
	tap_eq_str(got(c, 0), "switch@state=pressed", "retagged with its CID");
	snprintf(tag, sizeof(tag), "@state");
	tap_eq_long((long)pub(NULL, tag, "x"), 0,
	    "the server has no CID to publish under");
	stub_reset();

	/* Leaving: @state subscribers hear "close". */
	conn_close(b, true, 1000, "gone");
	tap_eq_str(got(c, 0), "switch@state=close", "switch@state: close");
	stub_server_free(&srv);
}

static void
test_retained(void)
{
	struct conn *a, *b, *c;
	int dummy;

	stub_server_init(&srv);
	srv.store = (struct store *)&dummy;	/* stubs_store.c counts */
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	b = stub_conn_new(&srv, "10.0.0.2", TR_WS);
	c = stub_conn_new(&srv, "10.0.0.3", TR_WS);

	/* A global "$" signal is kept on its channel and saved. */
	tap_eq_long((long)pub(a, "t$temp", "20"), 0, "no subscribers yet");
	OK(has_channel("CH:t$temp"), "the channel is kept for it");
	tap_eq_long((long)counts().retained, 1, "one retained");
	tap_eq_long((long)stub_retained_puts, 1, "saved in the store");
	tap_eq_str(stub_retained_key, "CH:t$temp", "under its key");
	pub(a, "t$temp", "21");
	tap_eq_long((long)counts().retained, 1, "replaced, not added");
	sub(b, "t$temp");
	tap_eq_long((long)stub_sent_to(b), 1, "a new subscriber gets it");
	tap_eq_str(got(b, 0), "t$temp=21", "the latest");
	sub(b, "t$temp");
	tap_eq_long((long)stub_sent_to(b), 2,
	    "subscribing again sends it again");
	router_unsubscribe_all(&srv, b);
	OK(has_channel("CH:t$temp"), "the channel outlives its subscribers");
	{
		struct router_channel_info info;

		router_channel_info(router_find_channel(&srv, "CH:t$temp", 9),
		    &info);
		/* The first publish found no channel yet (retain made it). */
		OK(info.retained && info.subscribers == 0 &&
		    info.publishes == 1 && info.retained_bytes > 0,
		    "channel info: retained, 0 subscribers, 1 publish to it");
	}
	stub_reset();

	/* A CID publisher's "@$topic" is kept on its session. */
	router_set_cid(&srv, a, "sensor");
	tap_eq_long((long)pub(a, "@$hum", "40"), 0, "@$hum: nobody yet");
	tap_eq_long((long)counts().retained, 2, "two retained");
	OK(!has_channel("CID:sensor@$hum"), "not on a channel");
	sub(c, "sensor@$hum");
	tap_eq_str(got(c, 0), "sensor@$hum=40", "a new subscriber gets it");
	tap_eq_long((long)pub(NULL, "x$y", "s"), 0,
	    "the server's own \"$\" is not kept");
	tap_eq_long((long)counts().retained, 2, "still two");
	/* An anonymous publisher's CID channels go with it. */
	conn_close(a, true, 1000, "gone");
	tap_eq_long((long)counts().retained, 1, "its retained signal went");
	OK(!has_channel("CID:sensor@$hum"), "its channel too");
	tap_eq_long((long)c->s->nsubs, 0, "and c's subscription");
	stub_server_free(&srv);
}

struct walk {
	char keys[256];
	size_t n;
};

static void
walk_channel(const struct channel *ch, void *arg)
{
	struct walk *w = arg;
	size_t l = strlen(w->keys);

	snprintf(w->keys + l, sizeof(w->keys) - l, "%s%s", l ? " " : "",
	    router_channel_key(ch));
	w->n++;
}

static void
walk_conn(struct conn *c, void *arg)
{
	struct walk *w = arg;
	size_t l = strlen(w->keys);

	snprintf(w->keys + l, sizeof(w->keys) - l, "%s%s", l ? " " : "",
	    c->s->cid);
	w->n++;
}

static void
test_walks(void)
{
	struct conn *a, *b, *c;
	struct walk w = { "", 0 };
	struct router_counts n;

	stub_server_init(&srv);
	a = stub_conn_new(&srv, "10.0.0.1", TR_WS);
	b = stub_conn_new(&srv, "10.0.0.2", TR_WS);
	c = stub_conn_new(&srv, "10.0.0.3", TR_WS);
	router_set_cid(&srv, a, "a1");
	router_set_cid(&srv, b, "b1");
	router_set_cid(&srv, c, "c1");
	sub(c, "one");
	sub(a, "one");
	sub(b, "two");
	sub(a, "#h");
	router_foreach_channel(&srv, walk_channel, &w);
	tap_eq_str(w.keys, "CH:one CH:two PRIVATE:#h",
	    "channels in insertion order");
	tap_eq_long((long)router_channel_count(&srv), 3, "router_channel_count");
	memset(&w, 0, sizeof(w));
	router_foreach_subscriber(router_find_channel(&srv, "CH:one", 6),
	    walk_conn, &w);
	tap_eq_str(w.keys, "c1 a1", "subscribers in subscription order");
	memset(&w, 0, sizeof(w));
	router_foreach_cid(&srv, walk_conn, &w);
	tap_eq_str(w.keys, "a1 b1 c1", "CIDs in the order they were set");
	pub(a, "k$", "v");
	router_counts(&srv, &n);
	OK(n.channels == 4 && n.subscriptions == 4 && n.retained == 1 &&
	    n.cids == 3, "counts: 4 channels, 4 subscriptions, 1 retained, "
	    "3 CIDs");
	OK(router_find_channel(&srv, "CH:on", 5) == NULL,
	    "a key prefix finds nothing");
	stub_server_free(&srv);
	OK(srv.router == NULL, "router_free clears srv->router");
}

int
main(void)
{
	test_fanout();
	test_limits();
	test_home();
	test_cids();
	test_unicast();
	test_retained();
	test_walks();
	return tap_done();
}
