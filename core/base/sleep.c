#include "sleep.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define STOP_POLL_MS 100L

int da_sleep_ms(long ms, const volatile sig_atomic_t *stop)
{
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct timespec slice = {0, STOP_POLL_MS * 1000000L};
		long left_ms;

		if (stop != NULL && *stop)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left_ms <= 0)
			return 0;
		if (left_ms < STOP_POLL_MS)
			slice.tv_nsec = left_ms * 1000000L;
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
