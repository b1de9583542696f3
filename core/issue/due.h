/*
 * "Is this certificate due?", decided in one place for `issue
 * --renew-before`, `renew` and the CronJob (docs/DESIGN.md, "Renewal").
 */
#ifndef DA_ISSUE_DUE_H
#define DA_ISSUE_DUE_H

#include <stddef.h>
#include <time.h>

#include "acme/acme.h"
#include "crypto/crypto.h"
#include "store/sink.h"

enum da_due {
	DA_NOT_DUE = 0,
	DA_DUE_MISSING,	     /* no certificate there (or none that can be read) */
	DA_DUE_CHANGED,	     /* other names, another CA or another key type */
	DA_DUE_EXPIRED,	     /* past its notAfter */
	DA_DUE_ARI_WINDOW,   /* inside the CA's suggested renewal window */
	DA_DUE_RENEW_BEFORE, /* no more than renew_before_days left */
	DA_DUE_LIFETIME	     /* less than a third of its lifetime left */
};

/* What the certificate is checked against. */
struct da_due_policy {
	const char *const *names; /* normalized, unique */
	size_t n_names;
	const char *ca;
	enum da_key_type key_type;
	/* Days of notice; -1: the third-of-lifetime rule. */
	long renew_before_days;
	/* The CA's window (da_acme_renewal_info), or NULL. Inside it is due
	 * whatever the days of notice say (a CA moves it forward when it must
	 * revoke); without renew_before_days it replaces the third rule. */
	const struct da_acme_renewal *ari;
	/* Where in the window to renew, in [0, 1): random per certificate, so
	 * that many clients do not all come at its start (RFC 9773 4.2). */
	double ari_point;
	time_t now;
};

/* Whether stored (may be NULL) is due under policy, and why. */
enum da_due da_issue_due(const struct da_cert_stored *stored, const struct da_due_policy *policy);

/* When stored (not NULL, matching the policy) becomes due under policy:
 * what "not due until DATE" says. */
time_t da_issue_due_at(const struct da_cert_stored *stored, const struct da_due_policy *policy);

/* One line saying why, e.g. "inside the CA's renewal window". */
const char *da_due_str(enum da_due due);

#endif
