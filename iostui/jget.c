/*
 * jget.c - see jget.h.
 */
#include <stdio.h>

#include "jget.h"

long long
jget_int(const json_t *o, const char *key, long long def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)json_number_value(v) : def;
}

const char *
jget_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void
jget_copy(const json_t *o, const char *key, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", jget_str(o, key));
}

double
jget_num(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}
