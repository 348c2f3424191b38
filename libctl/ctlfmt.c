/*
 * ctlfmt.c - see ctlfmt.h.
 */
#include <math.h>		/* isfinite, isnan: macros, no -lm */
#include <stdio.h>
#include <time.h>

#include "ctlfmt.h"

/* Decimal units, as the kB and MB of the issue. */
char *
fmt_bytes(char *buf, size_t cap, double n)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
	size_t u = 0;

	if (isnan(n)) {
		snprintf(buf, cap, "-");
		return buf;
	}
	if (!isfinite(n) || n < 0)
		n = 0;
	if (n < 1000) {
		snprintf(buf, cap, "%.0f B", n);
		return buf;
	}
	n /= 1000;
	while (n >= 999.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		n /= 1000;
		u++;
	}
	snprintf(buf, cap, n < 9.995 ? "%.2f %s" : n < 99.95 ? "%.1f %s" :
	    "%.0f %s", n, units[u]);
	return buf;
}

char *
fmt_count(char *buf, size_t cap, double n)
{
	if (isnan(n)) {
		snprintf(buf, cap, "-");
		return buf;
	}
	if (!isfinite(n) || n < 0)
		n = 0;
	if (n < 10 && n != (double)(long long)n)
		snprintf(buf, cap, "%.1f", n);
	else if (n < 10000)
		snprintf(buf, cap, "%.0f", n);
	else if (n < 999950)
		snprintf(buf, cap, "%.1fk", n / 1e3);
	else if (n < 999950000)
		snprintf(buf, cap, "%.1fM", n / 1e6);
	else
		snprintf(buf, cap, "%.1fG", n / 1e9);
	return buf;
}

char *
fmt_duration(char *buf, size_t cap, double secs)
{
	long long v = isfinite(secs) && secs > 0 ? (long long)secs : 0;

	if (v < 60)
		snprintf(buf, cap, "%llds", v);
	else if (v < 3600)
		snprintf(buf, cap, "%lldm %llds", v / 60, v % 60);
	else if (v < 86400)
		snprintf(buf, cap, "%lldh %lldm", v / 3600, v % 3600 / 60);
	else
		snprintf(buf, cap, "%lldd %lldh", v / 86400, v % 86400 / 3600);
	return buf;
}

/* v seconds in its largest unit, between pre and post: "in 2h". */
static char *
one_unit(char *buf, size_t cap, const char *pre, long long v,
    const char *post)
{
	static const struct {
		long long secs;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v < units[u].secs)
		u++;
	snprintf(buf, cap, "%s%lld%c%s", pre, v / units[u].secs,
	    units[u].unit, post);
	return buf;
}

char *
fmt_ago(char *buf, size_t cap, double t)
{
	double d = difftime(time(NULL), 0) - t;

	if (!isfinite(t) || t <= 0) {
		snprintf(buf, cap, "never");
		return buf;
	}
	if (d < -2)		/* ahead: a ban's expiry, "in 2h" */
		return one_unit(buf, cap, "in ", (long long)-d, "");
	if (d < 0)		/* clocks a little apart: not "-1s ago" */
		d = 0;
	if (d >= 90 * 86400)
		return fmt_date(buf, cap, t);
	return one_unit(buf, cap, "", (long long)d, " ago");
}

char *
fmt_clock(char *buf, size_t cap, double t, bool ms)
{
	time_t s;
	struct tm tm;
	char hms[16];

	if (!isfinite(t) || t <= 0)
		t = (double)time(NULL);
	s = (time_t)t;
	localtime_r(&s, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	if (ms)
		snprintf(buf, cap, "%s.%03d", hms,
		    (int)((t - (double)s) * 1000) % 1000);
	else
		snprintf(buf, cap, "%s", hms);
	return buf;
}

char *
fmt_date(char *buf, size_t cap, double t)
{
	time_t s;
	struct tm tm;

	if (!isfinite(t) || t <= 0) {
		snprintf(buf, cap, "never");
		return buf;
	}
	s = (time_t)t;
	localtime_r(&s, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}
