/*
 * ctlmsg.c - see ctlmsg.h.
 */
#include <stdio.h>
#include <string.h>

#include "ctlmsg.h"

static const char *const cmd_names[CTLMSG_CMD_COUNT] = {
#define X(id, name, ro, args) [CTLMSG_CMD_##id] = name,
	CTLMSG_COMMANDS(X)
#undef X
};

static const bool cmd_ro_of[CTLMSG_CMD_COUNT] = {
#define X(id, name, ro, args) [CTLMSG_CMD_##id] = ro,
	CTLMSG_COMMANDS(X)
#undef X
};

static const char *const cmd_args_of[CTLMSG_CMD_COUNT] = {
#define X(id, name, ro, args) [CTLMSG_CMD_##id] = args,
	CTLMSG_COMMANDS(X)
#undef X
};

static const char *const err_names[CTLMSG_E_COUNT] = {
#define X(id, name, text) [CTLMSG_E_##id] = name,
	CTLMSG_ERRORS(X)
#undef X
};

static const char *const err_texts[CTLMSG_E_COUNT] = {
#define X(id, name, text) [CTLMSG_E_##id] = text,
	CTLMSG_ERRORS(X)
#undef X
};

/* The index of name in names[0..n), -1 when it is not there. */
static int
index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---- the envelope version ---- */

bool
ctlmsg_version_ok(json_int_t v)
{
	return v == CTLMSG_VERSION;
}

bool
ctlmsg_envelope_ok(const json_t *msg, const char *self, char *why,
    size_t cap)
{
	const json_t *jv = json_object_get(msg, "v");
	json_int_t v = 1;	/* absent: the first version */

	if (jv != NULL) {
		if (!json_is_integer(jv) || json_integer_value(jv) < 1) {
			snprintf(why, cap, "control envelope version is not a "
			    "positive integer");
			return false;
		}
		v = json_integer_value(jv);
	}
	if (ctlmsg_version_ok(v))
		return true;
	if (v > CTLMSG_VERSION)
		snprintf(why, cap, "control envelope v%lld is newer than this "
		    "%s's v%d: upgrade %s", (long long)v, self, CTLMSG_VERSION,
		    self);
	else
		snprintf(why, cap, "control envelope v%lld is older than this "
		    "%s's v%d: upgrade the other side", (long long)v, self,
		    CTLMSG_VERSION);
	return false;
}

/* ---- commands ---- */

static bool
cmd_valid(enum ctlmsg_cmd cmd)
{
	return cmd > CTLMSG_CMD_NONE && cmd < CTLMSG_CMD_COUNT;
}

enum ctlmsg_cmd
ctlmsg_cmd_find(const char *name)
{
	return (enum ctlmsg_cmd)index_of(cmd_names, CTLMSG_CMD_COUNT, name);
}

const char *
ctlmsg_cmd_name(enum ctlmsg_cmd cmd)
{
	return cmd_valid(cmd) ? cmd_names[cmd] : NULL;
}

bool
ctlmsg_cmd_ro(enum ctlmsg_cmd cmd)
{
	return cmd_valid(cmd) && cmd_ro_of[cmd];
}

const char *
ctlmsg_cmd_args(enum ctlmsg_cmd cmd)
{
	return cmd_valid(cmd) ? cmd_args_of[cmd] : "";
}

/* One NAME:TYPE[!] word at *p; advances *p past it. */
static bool
parse_arg(const char **p, struct ctlmsg_arg *a)
{
	const char *s = *p, *colon;
	size_t n;

	while (*s == ' ')
		s++;
	if (*s == '\0' || (colon = strchr(s, ':')) == NULL)
		return false;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(a->name) || memchr(s, ' ', n))
		return false;
	memcpy(a->name, s, n);
	a->name[n] = '\0';
	switch (colon[1]) {
	case 's': a->type = CTLMSG_T_STR; break;
	case 'i': a->type = CTLMSG_T_INT; break;
	case 'b': a->type = CTLMSG_T_BOOL; break;
	case 'j': a->type = CTLMSG_T_ANY; break;
	default: return false;
	}
	s = colon + 2;
	a->required = *s == '!';
	if (a->required)
		s++;
	if (*s != ' ' && *s != '\0')
		return false;
	*p = s;
	return true;
}

bool
ctlmsg_cmd_arg(enum ctlmsg_cmd cmd, size_t i, struct ctlmsg_arg *a)
{
	const char *p = ctlmsg_cmd_args(cmd);

	for (size_t k = 0; parse_arg(&p, a); k++)
		if (k == i)
			return true;
	return false;
}

bool
ctlmsg_cmd_arg_find(enum ctlmsg_cmd cmd, const char *name,
    struct ctlmsg_arg *a)
{
	const char *p = ctlmsg_cmd_args(cmd);

	while (parse_arg(&p, a))
		if (strcmp(a->name, name) == 0)
			return true;
	return false;
}

/* ---- error codes ---- */

static bool
err_valid(enum ctlmsg_err e)
{
	return e > CTLMSG_E_NONE && e < CTLMSG_E_COUNT;
}

const char *
ctlmsg_err_name(enum ctlmsg_err e)
{
	return err_valid(e) ? err_names[e] : NULL;
}

enum ctlmsg_err
ctlmsg_err_find(const char *name)
{
	return (enum ctlmsg_err)index_of(err_names, CTLMSG_E_COUNT, name);
}

const char *
ctlmsg_err_text(enum ctlmsg_err e)
{
	return err_valid(e) ? err_texts[e] : "refused";
}
