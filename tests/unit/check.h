/*
 * A tiny test harness: CHECK() records a failure and goes on, so one run shows
 * every broken expectation. main() ends with "return check_report();", which
 * prints "N passed, N failed" and returns non-zero on any failure.
 */
#ifndef DNSACME_TEST_CHECK_H
#define DNSACME_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (cond) {                                                        \
			check_passed++;                                            \
		} else {                                                           \
			check_failed++;                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                            \
		}                                                                  \
	} while (0)

#define CHECK_STR(got, want)                                                       \
	do {                                                                       \
		const char *check_got_ = (got), *check_want_ = (want);             \
		if (check_got_ != NULL && check_want_ != NULL &&                   \
		    strcmp(check_got_, check_want_) == 0) {                        \
			check_passed++;                                            \
		} else {                                                           \
			check_failed++;                                            \
			fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, \
				__LINE__, #got, check_got_ ? check_got_ : "(null)",      \
				check_want_ ? check_want_ : "(null)");             \
		}                                                                  \
	} while (0)

static inline int check_report(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}

#endif
