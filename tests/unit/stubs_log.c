/*
 * stubs_log.c - log.h for the unit tests of daemon modules: nothing is
 * printed; the last line is kept in stub_log for the test to check.
 * fatal() and fatalx() print and abort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "stubs.h"

char stub_log[512];

__attribute__((format(printf, 1, 0)))
static void
keep(const char *fmt, va_list ap)
{
	vsnprintf(stub_log, sizeof(stub_log), fmt, ap);
}

#define KEEP(fmt) do {			\
	va_list ap;			\
	va_start(ap, fmt);		\
	keep(fmt, ap);			\
	va_end(ap);			\
} while (0)

void log_warn(const char *fmt, ...) { KEEP(fmt); }
void log_warnx(const char *fmt, ...) { KEEP(fmt); }
void log_info(const char *fmt, ...) { KEEP(fmt); }

void
log_debug(const char *fmt, ...)
{
	(void)fmt;
}

bool
log_allow(enum log_cat cat)
{
	(void)cat;
	return true;
}

__attribute__((noreturn, format(printf, 1, 0)))
static void
die(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	abort();
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die(fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die(fmt, ap);
}
