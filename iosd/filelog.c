/*
 * filelog.c - see filelog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filelog.h"

static const char *const names[FL_COUNT] = {
	[FL_CONNECTION] = "connection.log", [FL_AUTH] = "auth.log",
	[FL_ATTACK] = "attack.log",
};

static char *folder;
static int fds[FL_COUNT] = { -1, -1, -1 };

static int
open_all(void)
{
	char path[4096];

	for (int i = 0; i < FL_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", folder, names[i]);
		fds[i] = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0640);
		if (fds[i] < 0)
			return -1;
	}
	return 0;
}

int
filelog_open(const char *dir)
{
	free(folder);
	folder = strdup(dir);
	if (folder == NULL)
		return -1;
	return open_all();
}

void
filelog_close(void)
{
	for (int i = 0; i < FL_COUNT; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

void
filelog_stop(void)
{
	filelog_close();
	free(folder);
	folder = NULL;
}

void
filelog_reopen(void)
{
	if (folder == NULL)
		return;
	filelog_close();
	if (open_all() < 0)
		log_warn("-f: cannot reopen the log files in %s", folder);
}

void
filelog(enum filelog which, const char *fmt, ...)
{
	char line[1024];
	time_t t;
	struct tm tm;
	size_t n;
	va_list ap;

	if (fds[which] < 0)
		return;
	t = time(NULL);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S ",
	    localtime_r(&t, &tm));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	/* One write per line with O_APPEND: whole lines, never blocking
	 * for long on a local file; a full disk loses the line only. */
	if (write(fds[which], line, n) < 0 && errno != EINTR)
		return;
}
