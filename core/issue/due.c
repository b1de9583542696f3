#include "issue/due.h"

#define DAY 86400

/* left > days * DAY, written so that no number of days can overflow it. */
static int more_days_left(time_t left, long days)
{
	return left > 0 && (left - 1) / DAY >= days;
}

static int in_ari_window(const struct da_acme_renewal *ari, double point, time_t now)
{
	double span = difftime(ari->window_end, ari->window_start);

	if (span < 0)
		span = 0;
	return difftime(now, ari->window_start) >= span * point;
}

enum da_due da_issue_due(const struct da_cert_stored *stored, const struct da_due_policy *policy)
{
	const struct da_cert_info *leaf;
	time_t left, lifetime;

	if (stored == NULL)
		return DA_DUE_MISSING;
	if (!da_store_cert_matches(stored, policy->names, policy->n_names, policy->ca,
				   policy->key_type))
		return DA_DUE_CHANGED;
	leaf = &stored->chain->certs[0];
	left = leaf->not_after - policy->now;
	if (left <= 0)
		return DA_DUE_EXPIRED;
	if (policy->ari != NULL && in_ari_window(policy->ari, policy->ari_point, policy->now))
		return DA_DUE_ARI_WINDOW;
	if (policy->renew_before_days >= 0)
		return more_days_left(left, policy->renew_before_days) ? DA_NOT_DUE
								       : DA_DUE_RENEW_BEFORE;
	/* The CA's window, when it gave one, replaces the rule of thumb. */
	if (policy->ari != NULL)
		return DA_NOT_DUE;
	lifetime = leaf->not_after - leaf->not_before;
	return left < lifetime / 3 ? DA_DUE_LIFETIME : DA_NOT_DUE;
}

time_t da_issue_due_at(const struct da_cert_stored *stored, const struct da_due_policy *policy)
{
	const struct da_cert_info *leaf = &stored->chain->certs[0];
	time_t at = leaf->not_after - (leaf->not_after - leaf->not_before) / 3;

	if (policy->renew_before_days >= 0)
		at = policy->renew_before_days >= (leaf->not_after - leaf->not_before) / DAY
			     ? leaf->not_before
			     : leaf->not_after - (time_t)policy->renew_before_days * DAY;
	if (policy->ari != NULL) {
		double span = difftime(policy->ari->window_end, policy->ari->window_start);
		time_t in_window = policy->ari->window_start +
				   (time_t)((span > 0 ? span : 0) * policy->ari_point);

		if (policy->renew_before_days < 0 || in_window < at)
			at = in_window;
	}
	return at < leaf->not_after ? at : leaf->not_after;
}

const char *da_due_str(enum da_due due)
{
	switch (due) {
	case DA_NOT_DUE: return "not due";
	case DA_DUE_MISSING: return "no certificate yet";
	case DA_DUE_CHANGED: return "the names, the CA or the key type changed";
	case DA_DUE_EXPIRED: return "expired";
	case DA_DUE_ARI_WINDOW: return "inside the CA's renewal window";
	case DA_DUE_RENEW_BEFORE: return "within --renew-before";
	case DA_DUE_LIFETIME: return "less than a third of its lifetime left";
	}
	return "?";
}
