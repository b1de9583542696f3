/* dnsacme issue: settings -> issuing flow -> files -> deploy hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/utc.h"
#include "cli.h"
#include "issue/due.h"
#include "issue/hook.h"
#include "store/sink.h"

/* A week: longer than any provider takes, and short of overflowing the
 * deadline arithmetic. */
#define MAX_PROPAGATION_TIMEOUT (7 * 24 * 3600)
#define MAX_HOOK_TIMEOUT (24 * 3600)

/* Names as the CA and the CSR will see them: checked, lower case, no dot. */
static enum da_code normalize_names(const struct da_config_list *domains, char ***out,
				    struct da_err *err)
{
	char **names;
	enum da_code rc = DA_OK;

	if (domains->n == 0)
		return da_err_set(err, DA_ERR_USAGE, "at least one -d NAME is required");
	names = calloc(domains->n, sizeof(*names));
	if (names == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == DA_OK && i < domains->n; i++) {
		rc = da_dns_name_check(domains->items[i], err);
		if (rc == DA_OK)
			rc = da_dns_name_normalize(domains->items[i], &names[i], err);
		for (size_t j = 0; rc == DA_OK && j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				rc = da_err_set(err, DA_ERR_USAGE, "name %s given twice", names[i]);
	}
	*out = names;
	return rc;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

static void print_summary(const char *dir, char **names, size_t n, enum da_key_type key_type,
			  const struct da_chain *chain)
{
	const struct da_cert_info *leaf = &chain->certs[0];
	char not_after[DA_UTC_LEN];

	da_utc_format(leaf->not_after, not_after);
	printf("certificate issued for");
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", names[i]);
	printf("\n  issuer     %s\n  serial     %s\n  not after  %s\n  key        %s\n"
	       "  files      %s/{cert,chain,fullchain,privkey}.pem\n",
	       leaf->issuer_cn ? leaf->issuer_cn : "(no CN)", leaf->serial_hex, not_after,
	       da_crypto_key_type_name(key_type), dir);
}

/* --out, else STATE_DIR/certificates/NAME, in *dir_out (free()). */
static enum da_code output_dir(const struct cli_settings *s, const char *first_name,
			       char **dir_out, struct da_err *err)
{
	if (s->out != NULL)
		*dir_out = strdup(s->out);
	else if (asprintf(dir_out, "%s/certificates/%s", s->state_dir,
			  first_name[0] == '*' ? first_name + 2 : first_name) < 0)
		*dir_out = NULL;
	return *dir_out ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

/* With --renew-before: is the certificate in the sink still good? */
static int still_good(const struct cli_settings *s, struct da_sink *sink, char **names,
		      enum da_key_type key_type)
{
	const struct da_due_policy policy = {
		.names = (const char *const *)names,
		.n_names = s->domains.n,
		.ca = s->directory_url,
		.key_type = key_type,
		.renew_before_days = s->renew_before,
		.now = time(NULL),
	};
	struct da_cert_stored *stored = NULL;
	char until[DA_UTC_LEN];
	int good;

	if (da_store_sink_read(sink, &stored, NULL) != DA_OK)
		return 0;
	good = da_issue_due(stored, &policy) == DA_NOT_DUE;
	if (good && !s->quiet) {
		da_utc_format(stored->chain->certs[0].not_after, until);
		printf("certificate in %s is not due: valid until %s, more than %ld days away\n",
		       sink->where, until, s->renew_before);
	}
	da_store_cert_free(stored);
	return good;
}

int cmd_issue(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct da_issue_handles handles;
	struct da_issued issued = {0};
	struct da_issue_request req = {0};
	struct da_sink *sink = NULL;
	struct da_err err = {0}, save_err;
	char **names = NULL, *out_dir = NULL;
	enum da_code rc, save_rc;
	int status;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK)
		rc = normalize_names(&s->domains, &names, &err);
	if (rc == DA_OK)
		rc = da_crypto_key_type_parse(s->key_type ? s->key_type : "ec256", &req.key_type,
					      &err);
	/* Refused now, not after the records are published. */
	if (rc == DA_OK && !s->propagation_skip &&
	    (s->propagation_timeout < 1 || s->propagation_timeout > MAX_PROPAGATION_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--propagation-timeout must be 1 to %d seconds "
				"(--propagation-skip does not wait at all)",
				MAX_PROPAGATION_TIMEOUT);
	if (rc == DA_OK && (s->deploy_hook_timeout < 1 || s->deploy_hook_timeout > MAX_HOOK_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE, "--deploy-hook-timeout must be 1 to %d seconds",
				MAX_HOOK_TIMEOUT);
	if (rc == DA_OK)
		rc = output_dir(s, names[0], &out_dir, &err);
	if (rc == DA_OK)
		rc = da_store_sink_dir_open(out_dir, &sink, &err);
	if (rc == DA_OK && s->renew_before >= 0 && still_good(s, sink, names, req.key_type))
		goto out;
	if (rc == DA_OK)
		rc = da_session_open_dns(&session, &err);
	if (rc == DA_OK)
		rc = da_session_open_plugin(&session, &err);
	handles = da_session_handles(&session);
	if (rc == DA_OK)
		rc = da_issue_clean_journal(&handles, &session.run_lock, &err);
	if (rc == DA_OK)
		rc = da_session_open_account(&session, 1, &err);
	if (rc == DA_OK) {
		handles = da_session_handles(&session);
		req.names = (const char *const *)names;
		req.n_names = s->domains.n;
		req.profile = s->profile;
		req.preferred_chain = s->preferred_chain;
		req.propagation_timeout = s->propagation_timeout;
		req.propagation_skip = s->propagation_skip;
		rc = da_issue_run(&handles, &req, &issued, &err);
		/* Also after a failure: the URL the CA gave is the account's. */
		save_rc = da_session_save_account_url(&session, &save_err);
		if (rc == DA_OK && save_rc != DA_OK) {
			err = save_err;
			rc = save_rc;
		}
	}
	if (rc == DA_OK) {
		const struct da_cert_out cert = {
			.fullchain_pem = issued.chain_pem,
			.key_pem = issued.key_pem,
			.chain = issued.chain,
			.names = req.names,
			.n_names = req.n_names,
			.ca = s->directory_url,
			.key_type = req.key_type,
		};

		rc = da_store_sink_write(sink, &cert, &err);
	}
	if (rc == DA_OK) {
		const struct da_issue_record record = {
			.req = &req,
			.ca = s->directory_url,
			.out = out_dir,
			.deploy_hook = s->deploy_hook,
			.dns_resolvers = s->dns_resolvers,
			.propagation_nameservers = s->propagation_nameservers,
		};

		if (da_issue_save_record(&handles, &record, &err) != DA_OK)
			rc = da_err_wrap(&err, "the certificate is in %s, but", out_dir);
	}
	if (rc == DA_OK && !s->quiet)
		print_summary(out_dir, names, s->domains.n, req.key_type, issued.chain);
	if (rc == DA_OK && s->deploy_hook != NULL) {
		const struct da_hook hook = {
			.command = s->deploy_hook,
			.cert_dir = out_dir,
			.names = req.names,
			.n_names = req.n_names,
			.timeout_seconds = s->deploy_hook_timeout,
			.plugin_dir = s->plugin_dir,
		};

		rc = da_hook_run(&hook, stop, &err);
	}

out:
	status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);
	da_issued_free(&issued);
	da_store_sink_free(sink);
	free_names(names, s->domains.n);
	free(out_dir);
	da_session_free(&session);
	return status;
}
