/*
 * clock.c - see clock.h.
 */
#include <stdbool.h>
#include <time.h>

#include "clock.h"
#include "log.h"

static unsigned long long steps;

static uint64_t
raw_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
clock_ms(void)
{
	static bool started;
	static uint64_t last, now;
	uint64_t raw = raw_ms();

	if (!started) {
		started = true;
		now = raw;
	} else if (raw >= last && raw - last <= CLOCK_LEAP_MS)
		now += raw - last;
	else {
		/* Not a log_allow category: it calls us. */
		steps++;
		log_warnx("clock: the monotonic clock stepped %s by %llu ms; "
		    "not counted", raw < last ? "back" : "forward",
		    (unsigned long long)(raw < last ? last - raw : raw - last));
	}
	last = raw;
	return now;
}

unsigned long long
clock_steps(void)
{
	return steps;
}
