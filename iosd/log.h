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
/* Start-up errors and impossible states only: log and exit(1). */
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
