/* dnsacme renew: settings -> the certificates -> da_renew_run -> the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/utc.h"
#include "cli.h"
#include "renew/renew.h"

#define MAX_PARALLEL 64
#define MAX_HOOK_TIMEOUT (24 * 3600)

static enum da_code load_certificates(const struct cli_settings *s, struct da_renew_cert **certs,
				      size_t *n, struct da_err *err)
{
	const struct da_renew_defaults defaults = {
		.ca = s->directory_url,
		/* The state Secret's directory goes when the run ends. */
		.state_dir = s->state ? NULL : s->state_dir,
		.plugin = s->dns,
		.plugin_settings = &s->dns_options,
		.key_type = s->key_type,
		.profile = s->profile,
		.preferred_chain = s->preferred_chain,
		.deploy_hook = s->deploy_hook,
		.propagation_timeout = s->propagation_timeout,
		.propagation_skip = s->propagation_skip,
		.dns_resolvers = s->dns_resolvers,
		.propagation_nameservers = s->propagation_nameservers,
	};
	char where[512];

	if (s->certificates == NULL)
		return da_renew_certs_from_records(s->state_dir, certs, n, err);
	snprintf(where, sizeof(where), "%s: certificates",
		 s->config ? s->config : getenv("DNSACME_CONFIG"));
	return da_renew_certs_from_list(s->certificates, where, &defaults, certs, n, err);
}

/* One line per certificate: renewed / not due until DATE / failed: why. */
static void print_lines(const struct da_renew_cert *certs, size_t n,
			const struct da_renew_result *results, int quiet)
{
	char at[DA_UTC_LEN], until[DA_UTC_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct da_renew_result *r = &results[i];

		da_utc_format(r->not_after, until);
		da_utc_format(r->due_at, at);
		switch (r->outcome) {
		case DA_RENEW_RENEWED:
			if (!quiet)
				printf("%s: renewed (%s), valid until %s%s%s\n", certs[i].name,
				       da_due_str(r->why), until, r->error[0] ? "; but " : "",
				       r->error);
			break;
		case DA_RENEW_NOT_DUE:
			if (!quiet)
				printf("%s: not due until %s (valid until %s)\n", certs[i].name, at,
				       until);
			break;
		case DA_RENEW_DUE:
			if (!quiet)
				printf("%s: due: %s\n", certs[i].name, da_due_str(r->why));
			break;
		case DA_RENEW_FAILED:
			printf("%s: failed: %s\n", certs[i].name,
			       r->error[0] ? r->error : da_due_str(r->why));
			break;
		}
	}
}

static int print_json(const struct da_renew_cert *certs, size_t n,
		      const struct da_renew_result *results)
{
	json_t *list = json_array();
	char *text;

	for (size_t i = 0; list != NULL && i < n; i++) {
		const struct da_renew_result *r = &results[i];
		char until[DA_UTC_LEN], at[DA_UTC_LEN];

		da_utc_format(r->not_after, until);
		da_utc_format(r->due_at, at);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "name",
					certs[i].name, "outcome", da_renew_outcome_str(r->outcome),
					"reason", r->why != DA_NOT_DUE ? da_due_str(r->why) : NULL,
					"not_after", r->not_after ? until : NULL, "due_at",
					r->outcome == DA_RENEW_NOT_DUE ? at : NULL, "error",
					r->error[0] ? r->error : NULL, "out", certs[i].out));
		if (certs[i].secret != NULL)
			json_object_set_new(json_array_get(list, i), "secret",
					    json_string(certs[i].secret));
	}
	text = list ? json_dumps(list, JSON_INDENT(2)) : NULL;
	json_decref(list);
	if (text == NULL)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

enum da_code cli_shard_parse(const char *text, unsigned *index, unsigned *count,
			     struct da_err *err)
{
	const char *slash = strchr(text, '/');
	const char *index_text = slash ? text : getenv("JOB_COMPLETION_INDEX");
	char *end;
	unsigned long i, n;

	if (index_text == NULL)
		return da_err_set(err, DA_ERR_USAGE,
				  "--shard %s: no INDEX/ and no JOB_COMPLETION_INDEX (an Indexed "
				  "Job sets it)",
				  text);
	n = strtoul(slash ? slash + 1 : text, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000)
		return da_err_set(err, DA_ERR_USAGE, "--shard %s: COUNT must be 1 to 1000", text);
	i = strtoul(index_text, &end, 10);
	if ((slash ? end != slash : *end != '\0') || end == index_text || i >= n)
		return da_err_set(err, DA_ERR_USAGE, "--shard %s: INDEX must be 0 to %lu", text,
				  n - 1);
	*index = (unsigned)i;
	*count = (unsigned)n;
	return DA_OK;
}

int cmd_renew(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_k8s_source source = cli_k8s_source(s);
	const struct da_renew_config cfg = {
		.log_level = cli_session_config(s).log_level,
		.state_dir = s->state_dir,
		.state_mirror = s->state ? &s->state_mirror : NULL,
		.k8s = &source,
		.ca_bundle = s->ca_bundle,
		.ca_connections = s->ca_connections,
		.email = s->email,
		.agree_tos = s->agree_tos,
		.eab_kid = s->eab_kid,
		.eab_hmac_key = s->eab_hmac_key,
		.plugin_dir = s->plugin_dir,
		.renew_before_days = s->renew_before,
		.parallel = s->parallel,
		.dry_run = s->dry_run,
		.hook_timeout = s->deploy_hook_timeout,
		.post_hook = s->post_hook,
		.metrics_textfile = s->metrics_textfile,
	};
	struct da_renew_cert *certs = NULL;
	struct da_renew_result *results = NULL;
	struct da_err err = {0};
	size_t n = 0;
	unsigned shard = 0, shards = 1;
	enum da_code rc = DA_OK;
	int status = CLI_EXIT_OK;

	if (s->parallel < 1 || s->parallel > MAX_PARALLEL)
		rc = da_err_set(&err, DA_ERR_USAGE, "--parallel must be 1 to %d", MAX_PARALLEL);
	if (rc == DA_OK && (s->deploy_hook_timeout < 1 || s->deploy_hook_timeout > MAX_HOOK_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE, "--deploy-hook-timeout must be 1 to %d seconds",
				MAX_HOOK_TIMEOUT);
	if (rc == DA_OK && s->shard != NULL)
		rc = cli_shard_parse(s->shard, &shard, &shards, &err);
	if (rc == DA_OK)
		rc = load_certificates(s, &certs, &n, &err);
	if (rc == DA_OK && s->shard != NULL)
		da_renew_certs_shard(certs, &n, shard, shards);
	if (rc == DA_OK && n == 0 && !s->quiet)
		fprintf(stderr, "dnsacme: nothing to renew: no \"certificates\" in a config file and "
				"no records in %s/renewal\n",
			s->state_dir);
	if (rc == DA_OK && n > 0 && (results = calloc(n, sizeof(*results))) == NULL)
		rc = da_err_set(&err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK && n > 0)
		rc = da_renew_run(&cfg, certs, n, results, stop, &err);
	if (results != NULL) {
		if (s->json)
			print_json(certs, n, results);
		else
			print_lines(certs, n, results, s->quiet);
		for (size_t i = 0; i < n; i++)
			if (results[i].outcome == DA_RENEW_FAILED || results[i].error[0])
				status = CLI_EXIT_FAILURE;
	}
	if (rc != DA_OK)
		status = cli_fail(NULL, &err);
	free(results);
	da_renew_certs_free(certs, n);
	return status;
}
