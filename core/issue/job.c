/* One certificate end to end: see job.h. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "issue/hook.h"
#include "issue/job.h"

enum da_code da_issue_names(const char *const *given, size_t n, char ***out, struct da_err *err)
{
	char **names;
	enum da_code rc = DA_OK;

	*out = NULL;
	if (n == 0)
		return da_err_set(err, DA_ERR_USAGE, "at least one -d NAME is required");
	names = calloc(n, sizeof(*names));
	if (names == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == DA_OK && i < n; i++) {
		rc = da_dns_name_check(given[i], err);
		if (rc == DA_OK)
			rc = da_dns_name_normalize(given[i], &names[i], err);
		for (size_t j = 0; rc == DA_OK && j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				rc = da_err_set(err, DA_ERR_USAGE, "name %s given twice", names[i]);
	}
	*out = names;
	return rc;
}

void da_issue_names_free(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

/* The account's URL is saved even when the flow failed: the one the CA gave
 * is the account's. */
static enum da_code issue(struct da_session *s, const struct da_issue_job *job,
			  struct da_keyproc *key, struct da_issued *issued, struct da_err *err)
{
	struct da_issue_handles handles;
	struct da_err save_err;
	enum da_code rc, save_rc;

	rc = da_session_open_dns(s, err);
	if (rc == DA_OK)
		rc = da_session_open_plugin(s, err);
	handles = da_session_handles(s);
	if (rc == DA_OK && s->run_lock < 0)
		rc = da_issue_clean_journal(&handles, &s->run_lock, err);
	if (rc == DA_OK)
		rc = da_session_open_account(s, 1, err);
	if (rc != DA_OK)
		return rc;
	handles = da_session_handles(s);
	handles.cert_key = key;
	rc = da_issue_run(&handles, &job->request, issued, err);
	save_rc = da_session_save_account_url(s, &save_err);
	if (rc == DA_OK && save_rc != DA_OK) {
		*err = save_err;
		rc = save_rc;
	}
	return rc;
}

enum da_code da_issue_job_run(struct da_session *s, const struct da_issue_job *job,
			      struct da_issued *issued, int *in_place, struct da_err *err)
{
	const struct da_issue_request *req = &job->request;
	const char *ca = s->cfg->directory_url;
	struct da_keyproc *key = NULL;
	enum da_code rc;

	*in_place = 0;
	/* Forked first, so it holds nothing the plugin is given. */
	rc = da_keyproc_certificate(req->key_type, job->sink, &key, err);
	if (rc == DA_OK)
		rc = issue(s, job, key, issued, err);
	if (rc == DA_OK) {
		const struct da_cert_out cert = {
			.fullchain_pem = issued->chain_pem,
			.chain = issued->chain,
			.names = req->names,
			.n_names = req->n_names,
			.ca = ca,
			.key_type = req->key_type,
		};

		rc = da_keyproc_write(key, &cert, err);
		*in_place = rc == DA_OK;
	}
	da_keyproc_free(key);
	if (rc == DA_OK) {
		const struct da_issue_handles handles = da_session_handles(s);
		const struct da_issue_record record = {
			.req = req,
			.ca = ca,
			.out = job->out,
			.secret = job->secret,
			.deploy_hook = job->deploy_hook,
			.dns_resolvers = s->cfg->dns_resolvers,
			.propagation_nameservers = s->cfg->propagation_nameservers,
		};

		if (da_issue_save_record(&handles, &record, err) != DA_OK)
			rc = da_err_wrap(err, "the certificate is in %s, but", job->sink->where);
	}
	if (rc == DA_OK && job->deploy_hook != NULL) {
		const struct da_hook hook = {
			.command = job->deploy_hook,
			.where = job->sink->where,
			.cert_dir = job->out,
			.secret = job->secret,
			.names = req->names,
			.n_names = req->n_names,
			.timeout_seconds = job->deploy_hook_timeout,
			.plugin_dir = s->cfg->plugin_dir,
		};

		rc = da_hook_run(&hook, s->stop, err);
	}
	return rc;
}
