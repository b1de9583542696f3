/* Waiting that a signal can cut short, and how long to wait before a retry. */
#ifndef DA_BASE_SLEEP_H
#define DA_BASE_SLEEP_H

#include <signal.h>

/*
 * Sleep ms milliseconds, looking at *stop (stop may be NULL) every 100 ms.
 * Returns non-zero as soon as *stop is set, 0 after the full wait.
 */
int da_sleep_ms(long ms, const volatile sig_atomic_t *stop);

/*
 * The pause before retry number attempt (1, 2, ...): base_ms doubled per
 * attempt up to cap_ms, half of it fixed and half random ("equal jitter"),
 * so clients that failed together do not retry together.
 */
long da_backoff_ms(unsigned attempt, long base_ms, long cap_ms);

#endif
