#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/store.h"

enum da_code runtime_init(struct runtime *rt, const struct cli_settings *s,
			  const volatile sig_atomic_t *stop, struct da_err *err)
{
	struct da_http_config ca_http_cfg = {.ca_bundle = s->ca_bundle};
	enum dnsacme_log_level level = DNSACME_LOG_INFO;
	enum da_code rc;

	memset(rt, 0, sizeof(*rt));
	rt->settings = s;
	rt->stop = stop;
	rt->run_lock = -1;
	if (s->quiet)
		level = DNSACME_LOG_ERROR;
	else if (s->verbose)
		level = DNSACME_LOG_DEBUG;
	da_log_init(&rt->log, level, stderr);
	/* Secrets given on the command line are redacted from then on. */
	if (da_log_add_secret(&rt->log, s->eab_hmac_key) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (s->server != NULL && s->staging)
		return da_err_set(err, DA_ERR_USAGE,
				  "--staging and --server exclude each other (--staging is "
				  "--server " LETSENCRYPT_STAGING ")");
	rt->directory_url = s->server ? s->server
			    : s->staging ? LETSENCRYPT_STAGING
					 : LETSENCRYPT_PRODUCTION;
	rc = da_http_new(&rt->http, &ca_http_cfg, &rt->log, err);
	if (rc == DA_OK)
		rc = da_http_new(&rt->provider_http, NULL, &rt->log, err);
	return rc;
}

enum da_code runtime_open_dns(struct runtime *rt, struct da_err *err)
{
	struct da_dns_config cfg = {
		.resolvers = rt->settings->dns_resolvers,
		.propagation_nameservers = rt->settings->propagation_nameservers,
	};

	return da_dns_new(&rt->dns, &cfg, &rt->log, rt->stop, err);
}

enum da_code runtime_open_plugin(struct runtime *rt, struct da_err *err)
{
	const struct cli_settings *s = rt->settings;
	char *dir = NULL;
	enum da_code rc;

	if (s->dns == NULL)
		return da_err_set(err, DA_ERR_USAGE,
				  "--dns PLUGIN is required (see `dnsacme plugins`)");
	if (s->plugin_dir == NULL) {
		rc = da_plugin_default_dir(&dir, err);
		if (rc != DA_OK)
			return rc;
	}
	rc = da_plugin_load(s->plugin_dir ? s->plugin_dir : dir, s->dns, &rt->plugin, err);
	free(dir);
	if (rc != DA_OK)
		return rc;
	return da_plugin_open(rt->plugin, s->dns_options, s->n_dns_options, rt->provider_http,
			      &rt->log, rt->stop, err);
}

/* The account key: read it, or with create make and save a new one. */
static enum da_code account_key(struct runtime *rt, const struct da_store_account *files,
				int create, struct da_err *err)
{
	char *pem = NULL;
	enum da_code rc;

	rc = da_store_account_key_read(files, &pem, err);
	if (rc == DA_OK && pem != NULL) {
		rc = da_key_from_pem(pem, &rt->account_key, err);
		da_secret_free(pem);
		return rc == DA_OK ? DA_OK
				   : da_err_wrap(err, "account key in %s",
						 da_store_account_where(files));
	}
	if (rc != DA_OK)
		return rc;
	if (!create)
		return da_err_set(err, DA_ERR_CONFIG,
				  "no account for %s in %s: issue a certificate first",
				  rt->directory_url, rt->settings->state_dir);
	rc = da_key_generate(DA_KEY_EC256, &rt->account_key, err);
	if (rc == DA_OK)
		rc = da_key_to_pem(rt->account_key, &pem, err);
	if (rc == DA_OK)
		rc = da_store_account_key_write(files, pem, err);
	da_secret_free(pem);
	return rc;
}

enum da_code runtime_open_account(struct runtime *rt, int create, struct da_err *err)
{
	const struct cli_settings *s = rt->settings;
	struct da_acme_config cfg = {
		.directory_url = rt->directory_url,
		.http = rt->http,
		.log = &rt->log,
		.stop = rt->stop,
	};
	struct da_acme_account_opts opts = {
		.email = s->email,
		.agree_tos = s->agree_tos,
		.eab_kid = s->eab_kid,
		.eab_hmac_key = s->eab_hmac_key,
	};
	struct da_store_account *files = NULL;
	char *known_url = NULL;
	enum da_code rc;

	if ((s->eab_kid == NULL) != (s->eab_hmac_key == NULL))
		return da_err_set(err, DA_ERR_USAGE, "--eab-kid and --eab-hmac-key go together");
	rc = da_acme_new(&rt->acme, &cfg, err);
	/* Locked from reading the key to saving the URL: two first runs on one
	 * state dir would otherwise register two accounts and keep the key of
	 * one beside the URL of the other. */
	if (rc == DA_OK)
		rc = da_store_account_open(s->state_dir, rt->directory_url, &files, err);
	if (rc == DA_OK)
		rc = account_key(rt, files, create, err);
	if (rc == DA_OK)
		rc = da_store_account_url_read(files, &known_url, err);
	if (rc != DA_OK)
		goto out;
	if (!create) {
		/* Revocation signs with the kid it has; it registers nothing. */
		rt->account_url = known_url;
		known_url = NULL;
		if (rt->account_url == NULL)
			rc = da_err_set(err, DA_ERR_CONFIG, "no account URL in %s",
					da_store_account_where(files));
		goto out;
	}
	opts.known_url = known_url;
	rc = da_acme_account(rt->acme, rt->account_key, &opts, &rt->account_url, err);
	if (rc == DA_OK && (known_url == NULL || strcmp(known_url, rt->account_url) != 0))
		rc = da_store_account_url_write(files, rt->account_url, err);
out:
	da_store_account_close(files);
	free(known_url);
	return rc;
}

enum da_code runtime_save_account_url(struct runtime *rt, struct da_err *err)
{
	const char *in_use = rt->acme ? da_acme_account_url(rt->acme) : NULL;
	struct da_store_account *files = NULL;
	enum da_code rc;

	if (in_use == NULL || rt->account_url == NULL || strcmp(in_use, rt->account_url) == 0)
		return DA_OK;
	rc = da_store_account_open(rt->settings->state_dir, rt->directory_url, &files, err);
	if (rc == DA_OK)
		rc = da_store_account_url_write(files, in_use, err);
	da_store_account_close(files);
	return rc;
}

void runtime_free(struct runtime *rt)
{
	da_plugin_free(rt->plugin);
	da_acme_free(rt->acme);
	da_dns_free(rt->dns);
	da_http_free(rt->http);
	da_http_free(rt->provider_http);
	EVP_PKEY_free(rt->account_key);
	free(rt->account_url);
	if (rt->run_lock >= 0)
		close(rt->run_lock);
	da_log_free(&rt->log);
	memset(rt, 0, sizeof(*rt));
}
