/*
 * authjs.c - see authjs.h. A hand-written scanner is the right tool
 * here: the input is a tiny fixed grammar, and no JavaScript engine is
 * wanted (or available) in the daemon.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authjs.h"

#define STR_MAX	4096	/* a key may be long, not endless */

struct scan {
	const char *p, *end;
	unsigned line, col;
	char *err;
	size_t errlen;
};

static int
fail(struct scan *s, const char *what)
{
	snprintf(s->err, s->errlen, "%u:%u: %s", s->line, s->col, what);
	return -1;
}

static void
advance(struct scan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else
		s->col++;
	s->p++;
}

/* Blanks and comments. */
static int
skip(struct scan *s)
{
	for (;;) {
		while (s->p < s->end && strchr(" \t\r\n", *s->p))
			advance(s);
		if (s->end - s->p >= 2 && s->p[0] == '/' && s->p[1] == '/') {
			while (s->p < s->end && *s->p != '\n')
				advance(s);
		} else if (s->end - s->p >= 2 && s->p[0] == '/' &&
		    s->p[1] == '*') {
			advance(s);
			advance(s);
			while (s->end - s->p >= 2 && !(s->p[0] == '*' &&
			    s->p[1] == '/'))
				advance(s);
			if (s->end - s->p < 2)
				return fail(s, "a comment that never ends");
			advance(s);
			advance(s);
		} else
			return 0;
	}
}

static bool
at(struct scan *s, char c)
{
	return skip(s) == 0 && s->p < s->end && *s->p == c;
}

static int
expect(struct scan *s, char c, const char *what)
{
	if (!at(s, c))
		return fail(s, what);
	advance(s);
	return 0;
}

static bool
ident_char(char c)
{
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
word(struct scan *s, const char *w)
{
	size_t n = strlen(w);
	char msg[64];

	if (skip(s) < 0)
		return -1;
	snprintf(msg, sizeof(msg), "expected '%s'", w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0 ||
	    ((size_t)(s->end - s->p) > n && ident_char(s->p[n])))
		return fail(s, msg);
	for (size_t i = 0; i < n; i++)
		advance(s);
	return 0;
}

static void
put_utf8(char *out, size_t *n, uint32_t c)
{
	if (c < 0x80)
		out[(*n)++] = (char)c;
	else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | c >> 6);
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*n)++] = (char)(0xe0 | c >> 12);
		out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
}

/* A quoted string into out (NUL-terminated), its length in *len. */
static int
string(struct scan *s, char *out, size_t *len)
{
	char q;
	size_t n = 0;

	if (skip(s) < 0)
		return -1;
	if (s->p >= s->end || (*s->p != '"' && *s->p != '\''))
		return fail(s, "expected a quoted string");
	q = *s->p;
	advance(s);
	while (s->p < s->end && *s->p != q) {
		char c = *s->p;

		if (n + 4 >= STR_MAX)
			return fail(s, "a string over 4 KiB");
		if (c == '\n')
			return fail(s, "a string that runs past the line");
		if (c != '\\') {
			out[n++] = c;
			advance(s);
			continue;
		}
		advance(s);
		if (s->p >= s->end)
			break;
		switch (*s->p) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case '\\': case '\'': case '"': out[n++] = *s->p; break;
		case 'u': {
			uint32_t v = 0;

			for (int i = 0; i < 4; i++) {
				int d;

				advance(s);
				if (s->p >= s->end)
					return fail(s, "a \\u escape cut short");
				d = *s->p >= '0' && *s->p <= '9' ? *s->p - '0' :
				    (*s->p | 0x20) >= 'a' && (*s->p | 0x20) <= 'f' ?
				    (*s->p | 0x20) - 'a' + 10 : -1;
				if (d < 0)
					return fail(s, "\\u needs four hex "
					    "digits");
				v = v << 4 | (uint32_t)d;
			}
			if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
				return fail(s, "\\u of NUL or a surrogate");
			put_utf8(out, &n, v);
			break;
		}
		default:
			return fail(s, "an escape other than \\n \\t \\r \\\\ "
			    "\\' \\\" \\uXXXX");
		}
		advance(s);
	}
	if (s->p >= s->end)
		return fail(s, "a string that never ends");
	advance(s);
	out[n] = '\0';
	*len = n;
	if (memchr(out, '\0', n))
		return fail(s, "a string holding NUL");
	return 0;
}

static int
integer(struct scan *s, long *v)
{
	bool neg = false;
	long x = 0;

	if (skip(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '-') {
		neg = true;
		advance(s);
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return fail(s, "expected a level (an integer)");
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (x > 100000)
			return fail(s, "a level out of range");
		x = x * 10 + (*s->p - '0');
		advance(s);
	}
	if (s->p < s->end && strchr(".eExX_", *s->p))
		return fail(s, "a level must be a plain integer");
	*v = neg ? -x : x;
	return 0;
}

/* ["id", "key", "cid"(, level)(,)] */
static int
row(struct scan *s, authjs_row_fn *fn, void *arg)
{
	static char id[STR_MAX], key[STR_MAX], cid[STR_MAX];
	size_t idl, keyl, cidl;
	unsigned line;
	long level = 0;
	bool has = false;
	int rc;

	if (expect(s, '[', "expected a row: [\"id\", \"key\", \"cid\", "
	    "level]") < 0)
		return -1;
	line = s->line;
	if (string(s, id, &idl) < 0 || expect(s, ',', "expected ','") < 0 ||
	    string(s, key, &keyl) < 0 || expect(s, ',', "expected ','") < 0 ||
	    string(s, cid, &cidl) < 0)
		return -1;
	if (at(s, ',')) {
		advance(s);
		if (!at(s, ']')) {
			if (integer(s, &level) < 0)
				return -1;
			has = true;
			if (at(s, ','))
				advance(s);
		}
	}
	if (expect(s, ']', "expected ']' after a row's members") < 0)
		return -1;
	(void)idl;
	(void)cidl;
	rc = fn(arg, line, id, key, keyl, cid, level, has, s->err, s->errlen);
	explicit_bzero(key, sizeof(key));
	return rc;
}

int
authjs_parse(const char *text, size_t len, authjs_row_fn *fn, void *arg,
    char *err, size_t errlen)
{
	struct scan s = { text, text + len, 1, 1, err, errlen };

	if (word(&s, "export") < 0)
		return -1;
	/* const, let or var: the reference imports authInfo whichever. */
	if (skip(&s) < 0)
		return -1;
	if (word(&s, "const") < 0 && word(&s, "let") < 0 &&
	    word(&s, "var") < 0)
		return fail(&s, "expected 'export const authInfo = ['");
	if (word(&s, "authInfo") < 0 || expect(&s, '=', "expected '='") < 0 ||
	    expect(&s, '[', "expected '[' opening the rows") < 0)
		return -1;
	while (!at(&s, ']')) {
		if (s.p >= s.end)
			return fail(&s, "the rows never end: expected ']'");
		if (row(&s, fn, arg) < 0)
			return -1;
		if (at(&s, ','))
			advance(&s);
		else if (!at(&s, ']'))
			return fail(&s, "expected ',' or ']' after a row");
	}
	advance(&s);
	if (at(&s, ';'))
		advance(&s);
	if (skip(&s) < 0)
		return -1;
	if (s.p != s.end)
		return fail(&s, "unexpected text after the authInfo array");
	return 0;
}
