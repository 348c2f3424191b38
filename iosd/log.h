/*
 * log.h - daemon logging: "LEVEL message" lines on stderr (journald adds
 * the time) or to syslog (--syslog), key=value fields carrying the
 * connection id.
 */
#ifndef IOSD_LOG_H
#define IOSD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(enum log_level level);
/* From now on to syslog (facility daemon) instead of stderr. */
void log_syslog(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *out);

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
/* log_warn appends strerror(errno); the x forms do not. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
/*
 * Events that an attacker can repeat at will are logged through a
 * per-category allowance: log_allow() says whether this one may be
 * written (LOG_BURST lines per LOG_WINDOW_MS and category); the rest are
 * counted, and log_tick() writes "N more like this in the last 10 s"
 * once the window is over. Everything else is logged as it comes.
 */
enum log_cat {
	LC_DROP,		/* a connection closed for bad input */
	LC_HANDSHAKE,		/* upgrade or TLS handshake failed or late */
	LC_LOGIN,		/* a failed login */
	LC_SUBSCRIBE,		/* a refused subscription */
	LC_ADMISSION,		/* connections refused at accept */
	LC_MEMORY,		/* closed over the buffer memory budget */
	LC_NOMEM,		/* an allocation failed */
	LC_SLOW,		/* a slow consumer dropped */
	LC_STORE,		/* a written-behind batch failed */
	LC_COUNT
};
#define LOG_BURST	10
#define LOG_WINDOW_MS	10000
bool log_allow(enum log_cat cat);
/* Summaries of windows that are over; call about once a second. */
void log_tick(void);
/* Lines held back so far in a category (for /metrics). */
unsigned long long log_suppressed(enum log_cat cat);
const char *log_cat_name(enum log_cat cat);

/* Start-up errors and impossible states only: log and exit(1). */
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
