/*
 * migrations.h - the SQL files of migrations/, compiled in by
 * migrations/embed.sh, in ascending version order.
 */
#ifndef IOSD_MIGRATIONS_H
#define IOSD_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

#endif
