/*
 * notify.c - see notify.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "notify.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

static ev_timer watchdog;

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* The loop turned: that is what the watchdog wants to know. */
	sd_notify(0, "WATCHDOG=1");
}

bool
notify_built_in(void)
{
	return true;
}

static void
vstatus(const char *prefix, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sd_notifyf(0, "%sSTATUS=%s", prefix, msg);
}

void
notify_ready(struct ev_loop *loop, const char *fmt, ...)
{
	uint64_t usec = 0;
	va_list ap;

	va_start(ap, fmt);
	vstatus("READY=1\n", fmt, ap);
	va_end(ap);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		/* Twice per period, as sd_watchdog_enabled(3) advises. */
		double half = (double)usec / 2e6;

		ev_timer_init(&watchdog, watchdog_cb, half, half);
		ev_timer_start(loop, &watchdog);
		ev_unref(loop);		/* it alone must not keep iosd up */
		log_info("systemd watchdog every %.3f s", half);
	}
}

void
notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus("", fmt, ap);
	va_end(ap);
}

void
notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void
notify_reloaded(void)
{
	sd_notify(0, "READY=1");
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

#else

bool
notify_built_in(void)
{
	return false;
}

void
notify_ready(struct ev_loop *loop, const char *fmt, ...)
{
	(void)loop;
	(void)fmt;
}

void
notify_status(const char *fmt, ...)
{
	(void)fmt;
}

void
notify_reloading(void)
{
}

void
notify_reloaded(void)
{
}

void
notify_stopping(void)
{
}

#endif
