/*
 * authsrc.c - see authsrc.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <uthash.h>

#include "authjs.h"
#include "authsrc.h"
#include "proto.h"

#define DEFAULT_LEVEL 3
#define JS_MAX (4u << 20)

struct entry {
	UT_hash_handle hh;
	struct device d;
	long given;		/* the level as given (authsrc_given_level) */
};

struct authsrc {
	struct entry *byid;
};

struct authsrc *
authsrc_new(void)
{
	return calloc(1, sizeof(struct authsrc));
}

void
authsrc_free(struct authsrc *a)
{
	struct entry *e, *tmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->byid, e, tmp) {
		HASH_DEL(a->byid, e);
		explicit_bzero(e, sizeof(*e));
		free(e);
	}
	free(a);
}

const struct device *
authsrc_find(const struct authsrc *a, const char *id)
{
	struct entry *e = NULL;

	if (a == NULL)
		return NULL;
	HASH_FIND_STR(a->byid, id, e);
	return e ? &e->d : NULL;
}

void
authsrc_foreach(const struct authsrc *a,
    void (*fn)(void *arg, const struct device *d), void *arg)
{
	struct entry *e, *tmp;

	if (a == NULL)
		return;
	HASH_ITER(hh, a->byid, e, tmp)
		fn(arg, &e->d);
}

long
authsrc_given_level(const struct authsrc *a, const char *id)
{
	struct entry *e = NULL;

	if (a)
		HASH_FIND_STR(a->byid, id, e);
	return e ? e->given : -1;
}

size_t
authsrc_count(const struct authsrc *a)
{
	return a ? HASH_COUNT(a->byid) : 0;
}

/* Add one entry; the secret is hashed at once and never kept. given:
 * the level as the reference keeps it (-1: not a number), level: as a
 * login uses it (0 when given is not a number). */
static int
add(struct authsrc *a, const char *id, const char *key, size_t keylen,
    const char *cid, long given, long level, char *err, size_t errlen)
{
	struct entry *e;
	const char *why;

	if ((why = store_check_id(id, strlen(id))) != NULL ||
	    (why = store_check_cid(cid, strlen(cid))) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (keylen == 0) {
		snprintf(err, errlen, "empty key for '%s'", id);
		return -1;
	}
	/* The reference: a falsy level (0, missing, NaN) becomes 3. */
	if (level == 0)
		level = DEFAULT_LEVEL;
	if (level < 0 || level > 255) {
		snprintf(err, errlen, "level %ld of '%s' is not 0..255", level,
		    id);
		return -1;
	}
	HASH_FIND_STR(a->byid, id, e);
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(e->d.id, sizeof(e->d.id), "%s", id);
		HASH_ADD_STR(a->byid, d.id, e);
		if (e->hh.tbl == NULL) {
			free(e);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	boho_stored_key(key, keylen, e->d.key);
	snprintf(e->d.cid, sizeof(e->d.cid), "%s", cid);
	e->d.level = (int)level;
	e->given = given;
	return 0;
}

struct js_load {
	struct authsrc *a;
	const char *path;
};

static int
js_row(void *arg, unsigned line, const char *id, const char *key,
    size_t keylen, const char *cid, long level, bool has_level, char *err,
    size_t errlen)
{
	struct js_load *l = arg;
	char e[256];

	/* missing: 0 (the reference's addAuth default), which becomes 3 */
	if (add(l->a, id, key, keylen, cid, has_level ? level : 0, level, e,
	    sizeof(e)) < 0) {
		snprintf(err, errlen, "%u: %s", line, e);
		return -1;
	}
	return 0;
}

/* The reference's auth_file.mjs (or .js): read, never run. */
static int
load_js(struct authsrc *a, const char *path, char *err, size_t errlen)
{
	struct js_load l = { a, path };
	char e[300], *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* A device table, not a program: a few MB at most. */
	text = malloc(JS_MAX + 1);
	if (text)
		len = fread(text, 1, JS_MAX + 1, f);
	fclose(f);
	if (text == NULL || len > JS_MAX) {
		free(text);
		snprintf(err, errlen, "%s: %s", path, text ? "over 4 MiB" :
		    "out of memory");
		return -1;
	}
	rc = authjs_parse(text, len, js_row, &l, e, sizeof(e));
	explicit_bzero(text, len);
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s:%s", path, e);
	return rc;
}

static bool
is_js(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (strcasecmp(dot, ".mjs") == 0 ||
	    strcasecmp(dot, ".js") == 0);
}

int
authsrc_load_file(struct authsrc *a, const char *path, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *root, *row;
	size_t i;
	char e[256];

	if (is_js(path))
		return load_js(a, path, err, errlen);
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	if (!json_is_array(root)) {
		snprintf(err, errlen, "%s: expected an array of "
		    "[id, key, cid, level] rows", path);
		json_decref(root);
		return -1;
	}
	json_array_foreach(root, i, row) {
		json_t *jid = json_array_get(row, 0), *jkey = json_array_get(row, 1);
		json_t *jcid = json_array_get(row, 2), *jlvl = json_array_get(row, 3);
		long level = 0, given = 0;

		if (!json_is_array(row) || !json_is_string(jid) ||
		    !json_is_string(jkey) || !json_is_string(jcid) ||
		    (jlvl && !json_is_integer(jlvl) && !json_is_null(jlvl))) {
			snprintf(err, errlen, "%s: row %zu: expected [id, key, "
			    "cid, level] with strings and a number", path, i + 1);
			json_decref(root);
			return -1;
		}
		/* Missing: addAuth's default 0; null stays null there. */
		if (json_is_integer(jlvl))
			given = level = (long)json_integer_value(jlvl);
		else if (json_is_null(jlvl))
			given = -1;
		if (add(a, json_string_value(jid), json_string_value(jkey),
		    json_string_length(jkey), json_string_value(jcid), given,
		    level, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: row %zu: %s", path, i + 1, e);
			json_decref(root);
			return -1;
		}
	}
	json_decref(root);
	return 0;
}

int
authsrc_load_param(struct authsrc *a, const char *spec, const char *what,
    char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int n = 0, rc = 0;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item;
	    item = strtok_r(NULL, ",", &save)) {
		char *dot1 = strchr(item, '.'), *dot2, *end, e[256];
		long level = 0, given = -1;	/* parseInt: NaN */

		n++;
		if (dot1 == NULL || dot1 == item || dot1[1] == '\0' ||
		    dot1[1] == '.') {
			snprintf(err, errlen, "%s: entry %d: expected "
			    "id.key.level", what, n);
			rc = -1;
			break;
		}
		*dot1 = '\0';
		dot2 = strchr(dot1 + 1, '.');
		if (dot2) {
			*dot2 = '\0';
			/* parseInt: leading digits count, junk means 0. */
			level = strtol(dot2 + 1, &end, 10);
			if (end == dot2 + 1)
				level = 0;
			else
				given = level;
		}
		if (add(a, item, dot1 + 1, strlen(dot1 + 1), item, given, level,
		    e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: entry %d: %s", what, n, e);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no entries", what);
		rc = -1;
	}
	explicit_bzero(copy, strlen(spec));
	free(copy);
	return rc;
}
