/* dnsacme issue: settings -> issuing flow -> files -> deploy hook. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "base/file.h"
#include "cli.h"
#include "store/store.h"

/* A week: longer than any provider takes, and short of overflowing the
 * deadline arithmetic. */
#define MAX_PROPAGATION_TIMEOUT (7 * 24 * 3600)

/* Names as the CA and the CSR will see them: checked, lower case, no dot. */
static enum da_code normalize_names(const struct cli_list *domains, char ***out,
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

static void format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *metadata_json(const char *ca, char **names, size_t n,
			   enum da_key_type key_type, const struct da_chain *chain)
{
	const struct da_cert_info *leaf = &chain->certs[0];
	json_t *root, *list = json_array();
	char not_before[32], not_after[32];
	char *text;

	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	format_time(leaf->not_before, not_before, sizeof(not_before));
	format_time(leaf->not_after, not_after, sizeof(not_after));
	root = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "names", list,
			 "not_before", not_before, "not_after", not_after, "serial",
			 leaf->serial_hex, "ca", ca, "key_type",
			 da_key_type_name(key_type), "issuer", leaf->issuer_cn, "ari_id",
			 leaf->ari_id);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	return text;
}

/* cert.pem is the leaf; chain.pem the rest; fullchain.pem both. */
static enum da_code write_outputs(const char *ca, const char *dir, char **names,
				  size_t n, enum da_key_type key_type,
				  const struct da_issued *r, struct da_err *err)
{
	const char *rest = strstr(r->chain_pem, "-----END CERTIFICATE-----");
	struct da_cert_files files = {0};
	char *leaf = NULL, *meta;
	enum da_code rc;

	if (rest == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "the CA sent no certificate");
	rest += strlen("-----END CERTIFICATE-----");
	while (*rest == '\r' || *rest == '\n')
		rest++;
	leaf = strndup(r->chain_pem, (size_t)(rest - r->chain_pem));
	meta = metadata_json(ca, names, n, key_type, r->chain);
	if (leaf == NULL || meta == NULL) {
		free(leaf);
		free(meta);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	files.cert_pem = leaf;
	files.chain_pem = rest;
	files.fullchain_pem = r->chain_pem;
	files.privkey_pem = r->key_pem;
	files.metadata_json = meta;
	rc = da_store_write_certificate(dir, &files, err);
	free(leaf);
	free(meta);
	return rc;
}

/* The hook sees certbot's and our own variable names. */
static enum da_code run_deploy_hook(const char *hook, const char *dir, char **names, size_t n,
				    struct da_err *err)
{
	char *joined = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&joined, &len);
	int status;

	for (size_t i = 0; mem != NULL && i < n; i++)
		fprintf(mem, "%s%s", i ? " " : "", names[i]);
	if (mem == NULL || fclose(mem) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	setenv("DNSACME_CERT_DIR", dir, 1);
	setenv("DNSACME_DOMAINS", joined, 1);
	setenv("RENEWED_LINEAGE", dir, 1);
	setenv("RENEWED_DOMAINS", joined, 1);
	free(joined);
	fflush(NULL);
	status = system(hook);
	/* The certificate is in place either way: say so, so nobody issues again. */
	if (status == -1)
		return da_err_set(err, DA_ERR_IO, "cannot run the deploy hook: %s (the certificate "
				  "is in %s)", strerror(errno), dir);
	if (WIFSIGNALED(status))
		return da_err_set(err, DA_ERR_IO, "the deploy hook was killed by signal %d (the "
				  "certificate is in %s)", WTERMSIG(status), dir);
	if (WEXITSTATUS(status) != 0)
		return da_err_set(err, DA_ERR_IO, "the deploy hook failed with exit status %d (the "
				  "certificate is in %s)", WEXITSTATUS(status), dir);
	return DA_OK;
}

static void print_summary(const char *dir, char **names, size_t n, enum da_key_type key_type,
			  const struct da_chain *chain)
{
	const struct da_cert_info *leaf = &chain->certs[0];
	char not_after[32];

	format_time(leaf->not_after, not_after, sizeof(not_after));
	printf("certificate issued for");
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", names[i]);
	printf("\n  issuer     %s\n  serial     %s\n  not after  %s\n  key        %s\n"
	       "  files      %s/{cert,chain,fullchain,privkey}.pem\n",
	       leaf->issuer_cn ? leaf->issuer_cn : "(no CN)", leaf->serial_hex, not_after,
	       da_key_type_name(key_type), dir);
}

/*
 * --out, else STATE_DIR/certificates/NAME, in *dir_out (free()). Created
 * now: a path that cannot be a directory fails before the CA issues a
 * certificate that would then be lost.
 */
static enum da_code make_output_dir(const struct cli_settings *s, const char *first_name,
				    char **dir_out, struct da_err *err)
{
	if (s->out != NULL)
		*dir_out = strdup(s->out);
	else if (asprintf(dir_out, "%s/certificates/%s", s->state_dir,
			  first_name[0] == '*' ? first_name + 2 : first_name) < 0)
		*dir_out = NULL;
	if (*dir_out == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return da_store_mkdirs(*dir_out, 0755, err);
}

/* Does the metadata.json text list exactly names, this CA and key type? */
static int same_request(const char *meta_text, const char *ca, char **names, size_t n,
			enum da_key_type key_type)
{
	json_t *meta = json_loads(meta_text, 0, NULL), *listed = json_object_get(meta, "names");
	const char *meta_ca = json_string_value(json_object_get(meta, "ca"));
	const char *meta_key = json_string_value(json_object_get(meta, "key_type"));
	int same = json_array_size(listed) == n && meta_ca != NULL && strcmp(meta_ca, ca) == 0 &&
		   meta_key != NULL && strcmp(meta_key, da_key_type_name(key_type)) == 0;

	/* Names are unique (normalize_names), so equal counts and each one
	 * found make the same set. */
	for (size_t i = 0; same && i < n; i++) {
		same = 0;
		for (size_t j = 0; !same && j < n; j++) {
			const char *name = json_string_value(json_array_get(listed, j));

			same = name != NULL && strcmp(name, names[i]) == 0;
		}
	}
	json_decref(meta);
	return same;
}

/*
 * With --renew-before DAYS: is the certificate in dir the one asked for
 * (same_request) with more than DAYS days left? *not_after gets its end.
 * Whatever cannot be read counts as no, so it is issued anew.
 */
static int not_due(const struct cli_settings *s, const char *dir, char **names, size_t n,
		   enum da_key_type key_type, time_t *not_after)
{
	char *cert_path = NULL, *meta_path = NULL, *pem = NULL, *meta = NULL;
	struct da_chain *chain = NULL;
	size_t len;
	int good = 0;

	if (asprintf(&cert_path, "%s/cert.pem", dir) < 0)
		cert_path = NULL;
	if (asprintf(&meta_path, "%s/metadata.json", dir) < 0)
		meta_path = NULL;
	if (cert_path != NULL && meta_path != NULL &&
	    da_file_read(cert_path, DA_FILE_READ_MAX, &pem, &len, NULL) == DA_OK &&
	    da_file_read(meta_path, DA_FILE_READ_MAX, &meta, &len, NULL) == DA_OK &&
	    da_chain_parse(pem, &chain, NULL) == DA_OK) {
		time_t left = chain->certs[0].not_after - time(NULL);

		*not_after = chain->certs[0].not_after;
		/* left > DAYS * 86400, written so no DAYS can overflow it. */
		good = same_request(meta, s->directory_url, names, n, key_type) && left > 0 &&
		       (left - 1) / 86400 >= s->renew_before;
	}
	da_chain_free(chain);
	free(meta);
	free(pem);
	free(meta_path);
	free(cert_path);
	return good;
}

int cmd_issue(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct da_issue_handles handles;
	struct da_issued issued = {0};
	struct da_issue_request req = {0};
	struct da_err err = {0}, save_err;
	char **names = NULL, *out_dir = NULL, until[32];
	time_t not_after;
	enum da_code rc, save_rc;
	int status;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK)
		rc = normalize_names(&s->domains, &names, &err);
	if (rc == DA_OK)
		rc = da_key_type_parse(s->key_type ? s->key_type : "ec256", &req.key_type, &err);
	/* Refused now, not after the records are published. */
	if (rc == DA_OK && !s->propagation_skip &&
	    (s->propagation_timeout < 1 || s->propagation_timeout > MAX_PROPAGATION_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--propagation-timeout must be 1 to %d seconds "
				"(--propagation-skip does not wait at all)",
				MAX_PROPAGATION_TIMEOUT);
	if (rc == DA_OK)
		rc = make_output_dir(s, names[0], &out_dir, &err);
	if (rc == DA_OK && s->renew_before >= 0 &&
	    not_due(s, out_dir, names, s->domains.n, req.key_type, &not_after)) {
		format_time(not_after, until, sizeof(until));
		if (!s->quiet)
			printf("certificate in %s is not due: valid until %s, more than %ld days "
			       "away\n",
			       out_dir, until, s->renew_before);
		goto out;
	}
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
	if (rc == DA_OK)
		rc = write_outputs(s->directory_url, out_dir, names, s->domains.n, req.key_type,
				   &issued, &err);
	if (rc == DA_OK && !s->quiet)
		print_summary(out_dir, names, s->domains.n, req.key_type, issued.chain);
	if (rc == DA_OK && s->deploy_hook != NULL)
		rc = run_deploy_hook(s->deploy_hook, out_dir, names, s->domains.n, &err);

out:
	status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);
	da_issued_free(&issued);
	free_names(names, s->domains.n);
	free(out_dir);
	da_session_free(&session);
	return status;
}
