/*
 * tap.h - a tiny TAP producer for the C unit tests. Each check prints
 * "ok N - what" or "not ok N - what"; tap_done() prints the counts as
 * "# N passed, M failed" for tests/run.sh and returns the exit status.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stddef.h>

__attribute__((format(printf, 2, 3)))
int tap_ok(int cond, const char *fmt, ...);
__attribute__((format(printf, 5, 6)))
int tap_eq_bytes(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int tap_eq_long(long got, long want, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int tap_eq_str(const char *got, const char *want, const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void tap_diag(const char *fmt, ...);
int tap_done(void);

#define OK(cond, ...)	tap_ok(!!(cond), __VA_ARGS__)

#endif
