/*
 * clock.h - the daemon's one clock for durations: deadlines, locks,
 * rates, expiries, uptime. Milliseconds on CLOCK_MONOTONIC, made proof
 * against that clock stepping: it never does on a plain kernel, but it
 * does under libfaketime (which moves it with the wall clock), after a
 * checkpoint is restored, or in a paused VM. A reading that goes back, or
 * forward by more than CLOCK_LEAP_MS since the one before, is a step: the
 * interval is not counted, and time goes on from there at its own pace.
 * The housekeeping tick reads it every second, so that a gap that long
 * is no normal one (a process stopped that long loses the time too).
 */
#ifndef IOSD_CLOCK_H
#define IOSD_CLOCK_H

#include <stdint.h>

#define CLOCK_LEAP_MS	30000

uint64_t clock_ms(void);
/* Steps seen since start. */
unsigned long long clock_steps(void);

#endif
