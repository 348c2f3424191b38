/*
 * log.c - see log.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static int with_time;
static bool to_syslog;
static bool to_journal;		/* stderr is systemd's journal stream */

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error", [LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

void
log_init(enum log_level level)
{
	cur_level = level;
	/* On a terminal nobody adds timestamps for us. */
	with_time = isatty(STDERR_FILENO);
	/* Under systemd, stderr is the journal: a "<N>" prefix gives each
	 * line its priority, so that journalctl -p warning filters. */
	to_journal = !with_time && getenv("JOURNAL_STREAM") != NULL;
}

void
log_syslog(void)
{
	openlog("iosd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

__attribute__((format(printf, 3, 0)))
static void
vlog(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	char buf[1024];

	if (lvl > cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (to_syslog) {
		static const int prio[] = {
			[LOG_LVL_ERROR] = LOG_ERR, [LOG_LVL_WARN] = LOG_WARNING,
			[LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_DEBUG] = LOG_DEBUG,
		};

		if (err)
			syslog(prio[lvl], "%s: %s", buf, strerror(err));
		else
			syslog(prio[lvl], "%s", buf);
		return;
	}
	if (to_journal) {
		static const char *const pfx[] = {
			[LOG_LVL_ERROR] = "<3>", [LOG_LVL_WARN] = "<4>",
			[LOG_LVL_INFO] = "<6>", [LOG_LVL_DEBUG] = "<7>",
		};

		fputs(pfx[lvl], stderr);
	}
	if (with_time) {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&t, &tm));
		fprintf(stderr, "%s ", ts);
	}
	if (err)
		fprintf(stderr, "%s %s: %s\n", level_names[lvl], buf,
		    strerror(err));
	else
		fprintf(stderr, "%s %s\n", level_names[lvl], buf);
}

#define LOGFN(name, lvl, witherr) \
	void name(const char *fmt, ...) \
	{ \
		int e = errno; \
		va_list ap; \
		va_start(ap, fmt); \
		vlog(lvl, witherr ? e : 0, fmt, ap); \
		va_end(ap); \
		errno = e; \
	}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)

/* ---- rate-limited categories ---- */

static const char *const cat_names[LC_COUNT] = {
	[LC_DROP] = "drop", [LC_HANDSHAKE] = "handshake",
	[LC_LOGIN] = "login", [LC_SUBSCRIBE] = "subscribe",
	[LC_ADMISSION] = "admission", [LC_MEMORY] = "memory",
	[LC_NOMEM] = "nomem", [LC_SLOW] = "slow_consumer",
	[LC_STORE] = "store",
};

static struct {
	uint64_t start;		/* this window's first line, monotonic ms */
	unsigned lines;		/* written in this window */
	unsigned long long held;	/* held back in this window */
	unsigned long long total;	/* held back since start */
} cats[LC_COUNT];

const char *
log_cat_name(enum log_cat cat)
{
	return (unsigned)cat < LC_COUNT ? cat_names[cat] : "?";
}

unsigned long long
log_suppressed(enum log_cat cat)
{
	return (unsigned)cat < LC_COUNT ? cats[cat].total : 0;
}

/* A window is over: say what it held back, and start afresh. */
static void
roll(enum log_cat cat, uint64_t now)
{
	if (cats[cat].held)
		log_warnx("%llu more like this in the last %u s (%s)",
		    cats[cat].held, LOG_WINDOW_MS / 1000, cat_names[cat]);
	cats[cat].held = 0;
	cats[cat].lines = 0;
	cats[cat].start = now;
}

bool
log_allow(enum log_cat cat)
{
	uint64_t now = clock_ms();

	if (cats[cat].lines == 0 && cats[cat].held == 0)
		cats[cat].start = now;
	else if (now - cats[cat].start >= LOG_WINDOW_MS)
		roll(cat, now);
	if (cats[cat].lines < LOG_BURST) {
		cats[cat].lines++;
		return true;
	}
	cats[cat].held++;
	cats[cat].total++;
	return false;
}

void
log_tick(void)
{
	uint64_t now = clock_ms();

	for (int i = 0; i < LC_COUNT; i++)
		if (cats[i].held && now - cats[i].start >= LOG_WINDOW_MS)
			roll((enum log_cat)i, now);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
