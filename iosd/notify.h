/*
 * notify.h - telling the service manager how the daemon is: systemd's
 * sd_notify (READY=1, RELOADING=1, STOPPING=1, STATUS=, and WATCHDOG=1
 * when WatchdogSec= is set) through libsystemd when iosd was built with
 * it; nothing otherwise (OpenRC needs none of it).
 */
#ifndef IOSD_NOTIFY_H
#define IOSD_NOTIFY_H

#include <stdbool.h>

#include <ev.h>

#include "log.h"

/* Whether this build speaks sd_notify (iosd --version says). */
bool notify_built_in(void);
/* READY=1 with a STATUS=, and the watchdog timer if one is asked for. */
void notify_ready(struct ev_loop *loop, const char *fmt, ...)
    LOG_PRINTF(2, 3);
void notify_status(const char *fmt, ...) LOG_PRINTF(1, 2);
void notify_reloading(void);
void notify_reloaded(void);
void notify_stopping(void);

#endif
