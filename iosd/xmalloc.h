/*
 * xmalloc.h - allocation that cannot fail: out of memory is fatal in the
 * daemon (the bounds elsewhere keep it from happening through input).
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
