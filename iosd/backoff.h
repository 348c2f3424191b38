/*
 * backoff.h - failed logins, kept so that guessing costs the guesser and
 * never the owner of the device.
 *
 * Three kinds of record, all on the monotonic clock:
 *  - (device id, address): each failure doubles the AUTH_FAIL delay for
 *    that pair, from the base delay up to a cap; from the third on, the
 *    pair is locked for twice that delay, and attempts while it is
 *    locked are refused unchecked (and do not lengthen the lock). A
 *    correct login of the pair clears it. Guessing from one address
 *    therefore never refuses the right key from another.
 *  - address: failures over every id from one address; from the tenth
 *    the address is locked the same way. A correct login does not clear
 *    it (an attacker with a device of its own could reset it).
 *  - device id: failures from every address; past a ceiling, logins of
 *    that id are slowed down (verified later, up to 2 s), never refused.
 * Ten quiet minutes forget a record; the table is bounded.
 */
#ifndef IOSD_BACKOFF_H
#define IOSD_BACKOFF_H

#include <stdint.h>

struct backoff;

#define BACKOFF_PAIR_LOCK	3	/* failures of one (id, address) */
#define BACKOFF_ADDR_LOCK	10	/* failures from one address */
#define BACKOFF_ID_SLOW		10	/* failures of one id, anywhere */
#define BACKOFF_MAX_SLOW_MS	2000

struct backoff *backoff_new(unsigned base_ms);
void backoff_free(struct backoff *b);

/* A failed login (id NULL or "" when none was given): returns the delay
 * its AUTH_FAIL should get. */
unsigned backoff_fail(struct backoff *b, const char *id, const char *addr,
    uint64_t now_ms);
/* Before checking an HMAC: the milliseconds the attempt stays refused
 * unchecked (0: go ahead; *why says which lock), and in *slow_ms how long
 * to wait before verifying it. */
unsigned backoff_check(struct backoff *b, const char *id, const char *addr,
    uint64_t now_ms, unsigned *slow_ms, const char **why);
/* A correct login: the pair is forgotten, the address and id are not. */
void backoff_ok(struct backoff *b, const char *id, const char *addr);
/* Records held (for tests and status). */
unsigned backoff_count(const struct backoff *b);

#endif
