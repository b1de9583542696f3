#include "sleep.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define STOP_POLL_MS 100L

int da_sleep_ms(long ms, const volatile sig_atomic_t *stop)
{
	struct timespec now;
	long long end_ns, left_ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	end_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec + (long long)ms * 1000000LL;
	for (;;) {
		struct timespec slice = {0, STOP_POLL_MS * 1000000L};

		if (stop != NULL && *stop)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Nanoseconds, not milliseconds: rounding the remainder down to
		 * whole milliseconds would end the wait up to 1 ms early. */
		left_ns = end_ns - ((long long)now.tv_sec * 1000000000LL + now.tv_nsec);
		if (left_ns <= 0)
			return 0;
		if (left_ns < slice.tv_nsec)
			slice.tv_nsec = (long)left_ns;
		nanosleep(&slice, NULL);
	}
}

long da_backoff_ms(unsigned attempt, long base_ms, long cap_ms)
{
	long step = base_ms;

	for (unsigned i = 1; i < attempt && step < cap_ms; i++)
		step *= 2;
	if (step > cap_ms)
		step = cap_ms;
	return step / 2 + (long)arc4random_uniform((uint32_t)(step / 2 + 1));
}
