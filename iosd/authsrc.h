/*
 * authsrc.h - the io-server compatibility inputs: -d auth_file.json rows
 * [id, key, cid, level] (or auth_file.mjs, the same rows in the
 * reference's `export const authInfo = [...]`, read by authjs.c),
 * -e / BOHO_AUTH "id.key.level,...". They load into
 * an in-memory table consulted before the store, with the reference's
 * quirks where a client could notice (level 0 or missing -> 3, CID = id
 * for -e/-E).
 */
#ifndef IOSD_AUTHSRC_H
#define IOSD_AUTHSRC_H

#include <stddef.h>

#include "store.h"

struct authsrc;

struct authsrc *authsrc_new(void);
void authsrc_free(struct authsrc *a);
/* 0, or -1 with a message naming the file and the entry. */
int authsrc_load_file(struct authsrc *a, const char *path, char *err,
    size_t errlen);
int authsrc_load_param(struct authsrc *a, const char *spec, const char *what,
    char *err, size_t errlen);
const struct device *authsrc_find(const struct authsrc *a, const char *id);
/* The level of id as the file or option gave it, which the reference
 * keeps and shows (sudo getdevice) before a login turns 0 into 3: 0 when
 * a row has none, -1 when it is not a number (JSON null; -e "id.key" or
 * "id.key.x", NaN in the reference) or id is not there. */
long authsrc_given_level(const struct authsrc *a, const char *id);
size_t authsrc_count(const struct authsrc *a);
/* Call fn for every device (the import command). */
void authsrc_foreach(const struct authsrc *a,
    void (*fn)(void *arg, const struct device *d), void *arg);

#endif
