/*
 * tap.c - see tap.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int n_run, n_fail;

__attribute__((format(printf, 2, 0)))
static int
report(int cond, const char *fmt, va_list ap)
{
	n_run++;
	if (!cond)
		n_fail++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_run);
	vprintf(fmt, ap);
	putchar('\n');
	return cond;
}

int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

static void
hexdump(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;

	printf("#   %s (%zu):", label, n);
	for (size_t i = 0; i < n && i < 96; i++)
		printf("%s%02x", i % 32 ? "" : "\n#     ", b[i]);
	printf("%s\n", n > 96 ? " ..." : "");
}

int
tap_eq_bytes(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...)
{
	va_list ap;
	int cond = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		hexdump("got", got, glen);
		hexdump("want", want, wlen);
	}
	return cond;
}

int
tap_eq_long(long got, long want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got %ld, want %ld\n", got, want);
	return cond;
}

int
tap_eq_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond = got && want && strcmp(got, want) == 0;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return cond;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

int
tap_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", n_run, n_run - n_fail,
	    n_fail);
	fflush(stdout);
	return n_fail ? 1 : 0;
}
