/*
 * What renew keeps about one certificate between runs, in
 * STATE_DIR/renew-state/NAME.json: the CA's last renewalInfo answer and when
 * to ask again (RFC 9773 4.2: Retry-After honoured, failures backed off), the
 * point chosen in the window, and the outcomes the metrics report. A timer
 * that fires every few hours then neither misses the window nor asks the CA
 * more than it said to.
 */
#ifndef DA_RENEW_STATE_H
#define DA_RENEW_STATE_H

#include <time.h>

#include "base/error.h"

#define DA_RENEW_ARI_DEFAULT_WAIT (6 * 3600) /* no Retry-After: RFC 9773 4.3's advice */
#define DA_RENEW_ARI_MIN_WAIT 60
#define DA_RENEW_ARI_MAX_WAIT (24 * 3600)    /* ask at least daily */

struct da_renew_state {
	char *cert_id;	       /* the ARI CertID the window is for; NULL: none yet */
	int has_window;
	time_t window_start;
	time_t window_end;
	char *explanation_url; /* or NULL */
	time_t next_check;     /* do not ask for renewalInfo before */
	double point;	       /* in [0, 1): where in the window to renew */
	long ari_failures;     /* renewalInfo requests failed in a row */
	long failures;	       /* renewals failed in a row */
	time_t last_success;   /* 0: never */
	time_t last_failure;
};

/* The saved state of name, or an empty one. */
void da_renew_state_load(const char *state_dir, const char *name, struct da_renew_state *st);
enum da_code da_renew_state_save(const char *state_dir, const char *name,
				 const struct da_renew_state *st, struct da_err *err);
void da_renew_state_clear(struct da_renew_state *st);

/* A uniformly random point in [0, 1), for a new certificate's window. */
double da_renew_random_point(void);

/* Seconds to wait after failures renewalInfo requests failed in a row: one
 * minute, doubling, at most a day. */
time_t da_renew_ari_backoff(long failures);

#endif
