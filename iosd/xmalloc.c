/*
 * xmalloc.c - see xmalloc.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmp.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc %zu", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc %zu*%zu", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatal("realloc %zu", n);
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		fatalx("reallocarray overflow %zu*%zu", n, size);
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- GMP, which cannot fail an allocation ---- */

/*
 * GnuTLS does its public-key arithmetic (the key exchange and signature
 * of each wss handshake) with GMP through nettle, and GMP aborts the
 * process when an allocation fails: it has no way to report one. Its
 * allocations get what main.c gives libev's: wait a little and try again,
 * for about a second, before giving up. A passing failure (another client
 * freeing, the kernel reclaiming) then costs one handshake a millisecond,
 * not the daemon.
 */
static void *
gmp_retry(void *p, size_t n)
{
	for (int i = 0; i < 1000; i++) {
		void *q = realloc(p, n ? n : 1);
		struct timespec ts = { 0, 1000000 };

		if (q != NULL)
			return q;
		nanosleep(&ts, NULL);
	}
	log_warnx("GMP: out of memory for %zu bytes", n);
	abort();
}

static void *
gmp_alloc(size_t n)
{
	return gmp_retry(NULL, n);
}

static void *
gmp_realloc(void *p, size_t old, size_t n)
{
	(void)old;
	return gmp_retry(p, n);
}

static void
gmp_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

/* Before main, so before GnuTLS allocates anything of GMP's (whose own
 * functions are malloc and free too: what they gave, ours may free). */
__attribute__((constructor))
static void
gmp_alloc_init(void)
{
	mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
}
