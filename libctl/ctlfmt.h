/*
 * ctlfmt.h - numbers and times in the short human forms that iosctl and
 * iostui both show: "3.4 kB", "1.2k", "2h 5m", "3m ago", "12:00:01",
 * "2025-01-31 12:00:00". Each writes into buf (cut to cap) and returns
 * it. Not a number (no sample yet) is "-"; a negative or infinite
 * count, size or duration is shown as 0.
 */
#ifndef LIBCTL_CTLFMT_H
#define LIBCTL_CTLFMT_H

#include <stdbool.h>
#include <stddef.h>

/* Decimal units: "512 B", "3.40 kB", "12.3 MB", "999 GB". */
char *fmt_bytes(char *buf, size_t cap, double n);
/* "0.5", "42", "9999", "12.3k", "4.5M", "1.2G". */
char *fmt_count(char *buf, size_t cap, double n);
/* Two units at most: "45s", "12m 3s", "2h 5m", "4d 3h". */
char *fmt_duration(char *buf, size_t cap, double secs);
/* Unix time t from now: "3m ago", "in 2h" (ahead), the date past 90
 * days, "never" for none (0). */
char *fmt_ago(char *buf, size_t cap, double t);
/* Local time of day of Unix time t, "12:00:01" or with ms
 * "12:00:01.250"; now when t is 0. */
char *fmt_clock(char *buf, size_t cap, double t, bool ms);
/* Local date and time "2025-01-31 12:00:00", "never" for 0. */
char *fmt_date(char *buf, size_t cap, double t);

#endif
