/*
 * xmalloc.h - allocation that cannot fail, for start-up only: out of
 * memory there is fatal. Everything a client or an operator can make the
 * running daemon allocate uses malloc and handles NULL by closing that
 * one connection (conn_nomem) or refusing that one request.
 *
 * GMP (under GnuTLS) cannot report a failed allocation and aborts: it is
 * given an allocator from here, before main, that tries again for about a
 * second first, as main.c's does for libev.
 */
#ifndef IOSD_XMALLOC_H
#define IOSD_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
