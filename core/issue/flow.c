#include "issue/issue.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* How long the CA may take to validate, and to issue once finalized. */
#define AUTHORIZATION_TIMEOUT 180
#define FINALIZE_TIMEOUT 180

/* The records of one order: one per pending authorization. */
struct flow {
	const struct da_issue_handles *h;
	struct da_acme_order *order;
	size_t n;		       /* pending authorizations */
	size_t *authz_index;	       /* record i answers order->authz[authz_index[i]] */
	char **fqdns;		       /* where record i lives, CNAMEs followed (owned) */
	struct dnsacme_record *records;
	struct da_dns_check *checks;
	int journaled;		       /* records are in the cleanup journal */
	size_t n_answered;		  /* under the responder's lock */
	struct da_acme_responder *answers; /* sends the challenge answers */
};

static void flow_free(struct flow *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->fqdns[i]);
	free(f->fqdns);
	free(f->authz_index);
	free(f->records);
	free(f->checks);
	da_acme_order_free(f->order);
}

/*
 * Fill one record per pending authorization: its name, zone and value. The
 * names are located in one batch, so a large order costs the round trips
 * of one name, not of each.
 */
static enum da_code flow_plan(struct flow *f, struct da_err *err)
{
	struct da_acme_order *order = f->order;
	struct da_dns_location *where;
	char **challenge_names;
	size_t n = 0, failed;
	enum da_code rc = DA_OK;

	f->authz_index = calloc(order->n_authz, sizeof(*f->authz_index));
	f->fqdns = calloc(order->n_authz, sizeof(*f->fqdns));
	f->records = calloc(order->n_authz, sizeof(*f->records));
	f->checks = calloc(order->n_authz, sizeof(*f->checks));
	challenge_names = calloc(order->n_authz, sizeof(*challenge_names));
	where = calloc(order->n_authz, sizeof(*where));
	if (order->n_authz > 0 && (f->authz_index == NULL || f->fqdns == NULL ||
				   f->records == NULL || f->checks == NULL ||
				   challenge_names == NULL || where == NULL))
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");

	for (size_t a = 0; rc == DA_OK && a < order->n_authz; a++) {
		const struct da_acme_authz *authz = &order->authz[a];

		if (authz->status == DA_ACME_VALID)
			continue;
		rc = da_dns_challenge_name(authz->identifier, &challenge_names[n], err);
		if (rc != DA_OK)
			da_err_wrap(err, "%s", authz->identifier);
		else
			f->authz_index[n++] = a;
	}
	if (rc == DA_OK) {
		rc = da_dns_locate(f->h->dns, (const char *const *)challenge_names, n, where,
				   &failed, err);
		if (rc != DA_OK && failed < n)
			da_err_wrap(err, "%s", order->authz[f->authz_index[failed]].identifier);
	}
	for (size_t i = 0; rc == DA_OK && i < n; i++) {
		const struct da_acme_authz *authz = &order->authz[f->authz_index[i]];

		if (strcmp(challenge_names[i], where[i].fqdn) != 0)
			da_logf(f->h->log, DNSACME_LOG_INFO, "%s is a CNAME to %s",
				challenge_names[i], where[i].fqdn);
		f->fqdns[i] = where[i].fqdn;
		f->records[i] = (struct dnsacme_record){
			.fqdn = where[i].fqdn, .zone = where[i].zone->name, .value = authz->txt_value};
		f->checks[i] = (struct da_dns_check){
			.fqdn = where[i].fqdn, .value = authz->txt_value, .zone = where[i].zone};
	}
	if (rc == DA_OK)
		f->n = n;
	for (size_t i = 0; i < n; i++)
		free(challenge_names[i]);
	free(challenge_names);
	free(where);
	return rc;
}

/* The CA took record i's challenge answer (the responder's thread). */
static void on_answered(void *arg, size_t i)
{
	struct flow *f = arg;
	const struct da_acme_authz *authz = &f->order->authz[f->authz_index[i]];

	f->n_answered++;
	da_logf(f->h->log, DNSACME_LOG_INFO, "%s%s: %s is visible, challenge answered (%zu/%zu)",
		authz->wildcard ? "*." : "", authz->identifier, f->records[i].fqdn, f->n_answered,
		f->n);
}

/* Called by the propagation check the moment record i is everywhere: its
 * answer goes out now, while the check goes on with the others. */
static void on_record_visible(void *arg, size_t i)
{
	struct flow *f = arg;

	da_acme_responder_submit(f->answers, f->authz_index[i], i);
}

/* Publish, wait for every nameserver, answer each challenge as it is ready. */
static enum da_code flow_validate(struct flow *f, const struct da_issue_request *p,
				  struct da_err *err)
{
	const struct da_issue_handles *h = f->h;
	const char *plugin = da_plugin_name(h->plugin);
	enum da_code rc;

	/* Journal first: a run killed after present still finds its records. */
	rc = da_store_journal_add(h->state_dir, plugin, f->records, f->n, err);
	if (rc == DA_OK)
		rc = da_store_mirror_sync(h->state_mirror, err);
	if (rc != DA_OK)
		return rc;
	f->journaled = 1;
	da_logf(h->log, DNSACME_LOG_INFO, "publishing %zu TXT record%s through %s", f->n,
		f->n == 1 ? "" : "s", plugin);
	rc = da_plugin_present(h->plugin, f->records, f->n, err);
	if (rc == DA_OK)
		rc = da_plugin_wait(h->plugin, err);
	if (rc != DA_OK)
		return rc;

	rc = da_acme_responder_start(h->acme, f->order, on_answered, f, &f->answers, err);
	if (rc != DA_OK)
		return rc;
	if (p->propagation_skip) {
		for (size_t i = 0; i < f->n; i++)
			on_record_visible(f, i);
	} else {
		rc = da_dns_propagation_wait(h->dns, f->checks, f->n, p->propagation_timeout,
					     on_record_visible, f, err);
	}
	/* Every answer sent is waited for, also when the check failed. */
	if (rc == DA_OK)
		rc = da_acme_responder_finish(f->answers, err);
	else
		da_acme_responder_finish(f->answers, NULL);
	f->answers = NULL;
	if (rc != DA_OK)
		return rc;
	return da_acme_authorizations_wait(h->acme, f->order, AUTHORIZATION_TIMEOUT, err);
}

/* Remove the records whatever happened; the journal keeps what could not be. */
static enum da_code flow_cleanup(struct flow *f, struct da_err *err)
{
	const struct da_issue_handles *h = f->h;
	enum da_code rc;

	if (!f->journaled)
		return DA_OK;
	da_logf(h->log, DNSACME_LOG_INFO, "removing %zu TXT record%s", f->n,
		f->n == 1 ? "" : "s");
	rc = da_plugin_cleanup(h->plugin, f->records, f->n, err);
	if (rc != DA_OK)
		return da_err_wrap(err, "cleanup failed, the records stay in the journal "
					"and are removed by the next run");
	rc = da_store_journal_remove(h->state_dir, da_plugin_name(h->plugin), f->records, f->n,
				     err);
	return rc == DA_OK ? da_store_mirror_sync(h->state_mirror, err) : rc;
}

/* CSR, finalize, download, and a check that what came is what was asked
 * for. */
static enum da_code flow_certificate(struct flow *f, const struct da_issue_request *p,
				     struct da_issued *out, struct da_err *err)
{
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	enum da_code rc;

	rc = da_keyproc_csr(f->h->cert_key, p->names, p->n_names, &csr, &csr_len, err);
	if (rc == DA_OK)
		rc = da_acme_finalize(f->h->acme, f->order, csr, csr_len, FINALIZE_TIMEOUT, err);
	free(csr);
	if (rc == DA_OK)
		rc = da_acme_certificate(f->h->acme, f->order, p->preferred_chain,
					 &out->chain_pem, err);
	if (rc == DA_OK)
		rc = da_crypto_chain_parse(out->chain_pem, &out->chain, err);
	if (rc == DA_OK)
		rc = da_crypto_chain_check_issued(out->chain_pem, out->chain,
						  da_keyproc_public_key(f->h->cert_key), p->names,
						  p->n_names, err);
	return rc;
}

enum da_code da_issue_run(const struct da_issue_handles *h, const struct da_issue_request *p,
			  struct da_issued *out, struct da_err *err)
{
	struct flow f = {.h = h};
	struct da_err cleanup_err;
	enum da_code rc, cleanup_rc;

	memset(out, 0, sizeof(*out));
	rc = da_acme_order_new(h->acme, p->names, p->n_names, p->profile, p->replaces, &f.order,
			       err);
	if (rc != DA_OK)
		return rc;
	rc = flow_plan(&f, err);
	if (rc == DA_OK && f.n > 0)
		rc = flow_validate(&f, p, err);
	cleanup_rc = flow_cleanup(&f, &cleanup_err);
	if (rc == DA_OK && cleanup_rc != DA_OK) {
		*err = cleanup_err;
		rc = cleanup_rc;
	} else if (cleanup_rc != DA_OK) {
		/* The first failure is the error; this one is its consequence. */
		da_logf(h->log, DNSACME_LOG_WARN, "%s", cleanup_err.msg);
	}
	if (rc == DA_OK)
		rc = flow_certificate(&f, p, out, err);
	flow_free(&f);
	return rc;
}

void da_issued_free(struct da_issued *r)
{
	free(r->chain_pem);
	da_crypto_chain_free(r->chain);
	memset(r, 0, sizeof(*r));
}

enum da_code da_issue_clean_journal(const struct da_issue_handles *h, int *run_lock,
				    struct da_err *err)
{
	const char *plugin = da_plugin_name(h->plugin);
	struct da_journal *journal = NULL;
	struct dnsacme_record *records = NULL;
	size_t n = 0;
	int alone;
	enum da_code rc;

	rc = da_store_journal_run_lock(h->state_dir, run_lock, &alone, err);
	if (rc != DA_OK)
		return rc;
	if (!alone) {
		/* Its entries may be records another run still needs. */
		da_logf(h->log, DNSACME_LOG_DEBUG,
			"another dnsacme run is in progress: leftovers are not cleaned up now");
		return DA_OK;
	}
	rc = da_store_journal_load(h->state_dir, &journal, err);
	if (rc != DA_OK)
		return rc;
	if (journal->n > 0)
		records = calloc(journal->n, sizeof(*records));
	for (size_t i = 0; records != NULL && i < journal->n; i++) {
		const struct da_journal_entry *e = &journal->entries[i];

		if (strcmp(e->plugin, plugin) != 0) {
			da_logf(h->log, DNSACME_LOG_WARN,
				"the journal holds %s from plugin %s: run with --dns %s to "
				"remove it",
				e->fqdn, e->plugin, e->plugin);
			continue;
		}
		records[n++] = (struct dnsacme_record){
			.fqdn = e->fqdn, .zone = e->zone, .value = e->value};
	}
	if (journal->n > 0 && records == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK && n > 0) {
		struct da_err cleanup_err;

		da_logf(h->log, DNSACME_LOG_INFO,
			"removing %zu TXT record%s left behind by an interrupted run", n,
			n == 1 ? "" : "s");
		/* Stale TXT values do not stop validation; a leftover the plugin
		 * can no longer remove (a zone gone, new credentials) must not
		 * stop every issuance from now on. */
		if (da_plugin_cleanup(h->plugin, records, n, &cleanup_err) != DA_OK)
			da_logf(h->log, DNSACME_LOG_WARN,
				"%s; the records stay in the journal for the next run",
				cleanup_err.msg);
		else
			rc = da_store_journal_remove(h->state_dir, plugin, records, n, err);
		if (rc == DA_OK)
			rc = da_store_mirror_sync(h->state_mirror, err);
	}
	free(records);
	da_store_journal_free(journal);
	if (rc == DA_OK)
		rc = da_store_journal_run_share(*run_lock, err);
	return rc;
}
