/* dnsacme issue: settings -> one job (issue/job.h) -> the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/utc.h"
#include "cli.h"
#include "issue/due.h"
#include "issue/job.h"
#include "k8s/k8s.h"
#include "store/sink.h"

#define MAX_HOOK_TIMEOUT (24 * 3600)

static void print_summary(const struct da_sink *sink, char **names, size_t n,
			  enum da_key_type key_type, const struct da_chain *chain)
{
	const struct da_cert_info *leaf = &chain->certs[0];
	char not_after[DA_UTC_LEN];

	da_utc_format(leaf->not_after, not_after);
	printf("certificate issued for");
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", names[i]);
	printf("\n  issuer     %s\n  serial     %s\n  not after  %s\n  key        %s\n",
	       leaf->issuer_cn ? leaf->issuer_cn : "(no CN)", leaf->serial_hex, not_after,
	       da_crypto_key_type_name(key_type));
	if (sink->networked)
		printf("  in         %s (tls.crt, tls.key)\n", sink->where);
	else
		printf("  files      %s/{cert,chain,fullchain,privkey}.pem\n", sink->where);
}

/* --out, else STATE_DIR/certificates/NAME, in *dir_out (free()); NULL with
 * --secret. */
static enum da_code output_dir(const struct cli_settings *s, const char *first_name,
			       char **dir_out, struct da_err *err)
{
	*dir_out = NULL;
	if (s->secret != NULL && s->out != NULL)
		return da_err_set(err, DA_ERR_USAGE, "--out and --secret exclude each other");
	if (s->secret != NULL)
		return DA_OK;
	if (s->out == NULL && s->state_secret != NULL)
		return da_err_set(err, DA_ERR_USAGE,
				  "with --state-secret, say where the certificate goes: --secret "
				  "or --out");
	if (s->out != NULL)
		*dir_out = strdup(s->out);
	else if (asprintf(dir_out, "%s/certificates/%s", s->state_dir,
			  first_name[0] == '*' ? first_name + 2 : first_name) < 0)
		*dir_out = NULL;
	return *dir_out ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

/* With --renew-before: is stored (what the sink holds, or NULL) still good? */
static int still_good(const struct cli_settings *s, const struct da_sink *sink,
		      const struct da_cert_stored *stored, char **names, enum da_key_type key_type)
{
	const struct da_due_policy policy = {
		.names = (const char *const *)names,
		.n_names = s->domains.n,
		.ca = s->directory_url,
		.key_type = key_type,
		.renew_before_days = s->renew_before,
		.now = time(NULL),
	};
	char until[DA_UTC_LEN];
	int good = da_issue_due(stored, &policy) == DA_NOT_DUE;

	if (good && !s->quiet) {
		da_utc_format(stored->chain->certs[0].not_after, until);
		printf("certificate in %s is not due: valid until %s, more than %ld days away\n",
		       sink->where, until, s->renew_before);
	}
	return good;
}

int cmd_issue(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct da_issued issued = {0};
	struct da_issue_job job = {
		.request = {
			.n_names = s->domains.n,
			.profile = s->profile,
			.preferred_chain = s->preferred_chain,
			.propagation_timeout = s->propagation_timeout,
			.propagation_skip = s->propagation_skip,
		},
		.deploy_hook = s->deploy_hook,
		.deploy_hook_timeout = s->deploy_hook_timeout,
	};
	struct da_err err = {0};
	struct da_cert_stored *stored = NULL;
	char **names = NULL, *out_dir = NULL;
	enum da_code rc;
	int in_place = 0, status;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK)
		rc = da_issue_names(s->domains.items, s->domains.n, &names, &err);
	job.request.names = (const char *const *)names;
	if (rc == DA_OK)
		rc = da_crypto_key_type_parse(s->key_type ? s->key_type : "ec256",
					      &job.request.key_type, &err);
	/* Refused now, not after the records are published. */
	if (rc == DA_OK && !s->propagation_skip &&
	    (s->propagation_timeout < 1 || s->propagation_timeout > CLI_MAX_PROPAGATION_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--propagation-timeout must be 1 to %d seconds "
				"(--propagation-skip does not wait at all)",
				CLI_MAX_PROPAGATION_TIMEOUT);
	if (rc == DA_OK && (s->deploy_hook_timeout < 1 || s->deploy_hook_timeout > MAX_HOOK_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE, "--deploy-hook-timeout must be 1 to %d seconds",
				MAX_HOOK_TIMEOUT);
	if (rc == DA_OK)
		rc = output_dir(s, names[0], &out_dir, &err);
	job.out = out_dir;
	job.secret = s->secret;
	if (rc == DA_OK && s->secret != NULL) {
		const struct da_k8s_source source = cli_k8s_source(s);

		rc = da_k8s_sink_secret_open(&source, s->secret, &job.sink, &err);
	} else if (rc == DA_OK) {
		rc = da_store_sink_dir_open(out_dir, &job.sink, &err);
	}
	/* Read first: a Secret that may not be written (another type,
	 * cert-manager's) is refused before anything is published. */
	if (rc == DA_OK)
		rc = da_store_sink_read(job.sink, &stored, &err);
	if (rc == DA_OK && s->renew_before >= 0 &&
	    still_good(s, job.sink, stored, names, job.request.key_type))
		goto out;
	if (rc == DA_OK)
		rc = da_issue_job_run(&session, &job, &issued, &in_place, &err);
	if (in_place && !s->quiet)
		print_summary(job.sink, names, s->domains.n, job.request.key_type, issued.chain);

out:
	status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);
	da_store_cert_free(stored);
	da_issued_free(&issued);
	da_store_sink_free(job.sink);
	da_issue_names_free(names, s->domains.n);
	free(out_dir);
	da_session_free(&session);
	return status;
}
