#include "issue/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/store.h"

enum da_code da_session_init(struct da_session *session, const struct da_session_config *cfg,
			     const volatile sig_atomic_t *stop, struct da_err *err)
{
	struct da_http_config ca_http_cfg = {.ca_bundle = cfg->ca_bundle};
	enum da_code rc;

	memset(session, 0, sizeof(*session));
	session->cfg = cfg;
	session->stop = stop;
	session->run_lock = -1;
	da_log_init(&session->log, cfg->log_level, stderr);
	/* Secrets given on the command line are redacted from then on. */
	if (da_log_add_secret(&session->log, cfg->eab_hmac_key) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (cfg->ca_trust_from != NULL)
		rc = da_http_new_sibling(&session->http, cfg->ca_trust_from, &session->log, err);
	else
		rc = da_http_new(&session->http, &ca_http_cfg, &session->log, err);
	for (; rc == DA_OK && (long)session->n_ca_lanes + 1 < cfg->ca_connections &&
	       session->n_ca_lanes < DA_ACME_MAX_LANES;
	     session->n_ca_lanes++)
		rc = da_http_new_sibling(&session->ca_lanes[session->n_ca_lanes], session->http,
					 &session->log, err);
	if (rc == DA_OK)
		rc = da_http_new(&session->provider_http, NULL, &session->log, err);
	return rc;
}

enum da_code da_session_open_dns(struct da_session *session, struct da_err *err)
{
	struct da_dns_config cfg = {
		.resolvers = session->cfg->dns_resolvers,
		.propagation_nameservers = session->cfg->propagation_nameservers,
	};

	return da_dns_new(&session->dns, &cfg, &session->log, session->stop, err);
}

enum da_code da_session_open_plugin(struct da_session *session, struct da_err *err)
{
	const struct da_plugin_start start = {
		.dir = session->cfg->plugin_dir,
		.name = session->cfg->plugin,
		.settings = session->cfg->plugin_settings,
		.sources = session->cfg->plugin_sources,
		.http = session->provider_http,
		.log = &session->log,
		.stop = session->stop,
	};

	return da_plugin_start(&start, &session->plugin, err);
}

enum da_code da_session_open_ca(struct da_session *session, struct da_err *err)
{
	struct da_acme_config acme_cfg = {
		.directory_url = session->cfg->directory_url,
		.http = session->http,
		.log = &session->log,
		.stop = session->stop,
		.lanes = session->ca_lanes,
		.n_lanes = session->n_ca_lanes,
	};

	if (session->acme != NULL)
		return DA_OK;
	return da_acme_new(&session->acme, &acme_cfg, err);
}

enum da_code da_session_open_account(struct da_session *session, int create, struct da_err *err)
{
	const struct da_session_config *cfg = session->cfg;
	struct da_acme_account_opts opts = {
		.email = cfg->email,
		.agree_tos = cfg->agree_tos,
		.eab_kid = cfg->eab_kid,
		.eab_hmac_key = cfg->eab_hmac_key,
	};
	struct da_store_account *files = NULL;
	char *known_url = NULL;
	enum da_code rc;

	if ((cfg->eab_kid == NULL) != (cfg->eab_hmac_key == NULL))
		return da_err_set(err, DA_ERR_USAGE, "--eab-kid and --eab-hmac-key go together");
	rc = da_session_open_ca(session, err);
	/* Locked from reading the key to saving the URL: two first runs on one
	 * state dir would otherwise register two accounts and keep the key of
	 * one beside the URL of the other. */
	if (rc == DA_OK)
		rc = da_store_account_open(cfg->state_dir, cfg->directory_url, &files, err);
	/* The key stays in a process of its own, which signs for this one. */
	if (rc == DA_OK)
		rc = da_keyproc_account(files, create, &session->account_keyproc, err);
	if (rc == DA_OK) {
		session->account = da_keyproc_signer(session->account_keyproc);
		rc = da_store_account_url_read(files, &known_url, err);
	}
	if (rc != DA_OK)
		goto out;
	if (!create) {
		/* Revocation signs with the kid it has; it registers nothing. */
		session->account_url = known_url;
		known_url = NULL;
		if (session->account_url == NULL)
			rc = da_err_set(err, DA_ERR_CONFIG, "no account URL in %s",
					da_store_account_where(files));
		goto out;
	}
	opts.known_url = known_url;
	rc = da_acme_account(session->acme, &session->account, &opts, &session->account_url, err);
	if (rc == DA_OK && (known_url == NULL || strcmp(known_url, session->account_url) != 0))
		rc = da_store_account_url_write(files, session->account_url, err);
	/* A key made now is saved, and the URL (the first one, or a heal). */
	if (rc == DA_OK)
		rc = da_store_mirror_sync(cfg->state_mirror, err);
out:
	da_store_account_close(files);
	free(known_url);
	return rc;
}

enum da_code da_session_save_account_url(struct da_session *session, struct da_err *err)
{
	const char *in_use = session->acme ? da_acme_account_url(session->acme) : NULL;
	struct da_store_account *files = NULL;
	enum da_code rc;

	if (in_use == NULL || session->account_url == NULL || strcmp(in_use, session->account_url) == 0)
		return DA_OK;
	rc = da_store_account_open(session->cfg->state_dir, session->cfg->directory_url, &files, err);
	if (rc == DA_OK)
		rc = da_store_account_url_write(files, in_use, err);
	da_store_account_close(files);
	if (rc == DA_OK)
		rc = da_store_mirror_sync(session->cfg->state_mirror, err);
	return rc;
}

struct da_issue_handles da_session_handles(const struct da_session *session)
{
	return (struct da_issue_handles){
		.acme = session->acme,
		.dns = session->dns,
		.plugin = session->plugin,
		.state_dir = session->cfg->state_dir,
		.state_mirror = session->cfg->state_mirror,
		.log = &session->log,
	};
}

void da_session_free(struct da_session *session)
{
	da_plugin_free(session->plugin);
	da_acme_free(session->acme);
	da_dns_free(session->dns);
	da_http_free(session->http);
	for (size_t i = 0; i < session->n_ca_lanes; i++)
		da_http_free(session->ca_lanes[i]);
	da_http_free(session->provider_http);
	da_keyproc_free(session->account_keyproc);
	free(session->account_url);
	if (session->run_lock >= 0)
		close(session->run_lock);
	da_log_free(&session->log);
	memset(session, 0, sizeof(*session));
}
