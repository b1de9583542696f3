/* Accounts (RFC 8555 7.3) and revocation (7.6). */
#include "acme/internal.h"

#include <stdlib.h>
#include <string.h>

#include "acme/parse.h"
#include "base/b64.h"
#include "crypto/crypto.h"

#define ACCOUNT_DOES_NOT_EXIST "urn:ietf:params:acme:error:accountDoesNotExist"
#define EAB_REQUIRED "urn:ietf:params:acme:error:externalAccountRequired"
#define EAB_HINT "the CA requires External Account Binding: pass --eab-kid and --eab-hmac-key"

/* POST payload to newAccount signed with the jwk. On DA_OK *url_out is the
 * account URL (free()); problem_type, when not NULL, receives the problem
 * type of a refusal (free()) or NULL. */
static enum da_code new_account(struct da_acme *client, const char *payload, char **url_out,
				char **problem_type, struct da_err *err)
{
	struct acme_signer signer = {client->key, NULL};
	const char *url = client->dir.new_account, *location;
	struct dnsacme_http_response resp;
	json_t *problem = NULL;
	enum da_code rc;

	rc = acme_post(client, &signer, url, payload, NULL, &resp, err);
	if (rc != DA_OK)
		return rc;
	rc = acme_check(&resp, "newAccount", &problem, err);
	if (rc != DA_OK && problem_type != NULL && da_acme_problem_type(problem) != NULL) {
		*problem_type = strdup(da_acme_problem_type(problem));
		if (*problem_type == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	json_decref(problem);
	location = da_http_header(&resp, "location");
	if (rc == DA_OK && location == NULL)
		rc = da_err_set(err, DA_ERR_PROTOCOL, "%s: HTTP %ld without a Location", url,
				resp.status);
	if (rc == DA_OK && (*url_out = strdup(location)) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	da_http_response_free(&resp);
	return rc;
}

/* The newAccount payload that creates an account, in *out (free()). */
static enum da_code creation_payload(struct da_acme *client,
				     const struct da_acme_account_opts *opts, char **out,
				     struct da_err *err)
{
	json_t *payload = json_object(), *eab = NULL, *contact;
	enum da_code rc = DA_OK;

	if (payload == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (opts->agree_tos &&
	    json_object_set_new(payload, "termsOfServiceAgreed", json_true()) != 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK && opts->email != NULL) {
		contact = json_pack("[s+]", "mailto:", opts->email);
		if (contact == NULL || json_object_set_new(payload, "contact", contact) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (rc == DA_OK && opts->eab_kid != NULL) {
		rc = da_crypto_jws_eab(client->key->public_key, opts->eab_kid, opts->eab_hmac_key,
				       client->dir.new_account, &eab, err);
		if (rc == DA_OK && json_object_set_new(payload, "externalAccountBinding", eab) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (rc == DA_OK && (*out = json_dumps(payload, JSON_COMPACT)) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	json_decref(payload);
	return rc;
}

/* Find the account of client->key, or create it; the URL in *url_out. */
static enum da_code find_or_create(struct da_acme *client,
				   const struct da_acme_account_opts *opts, char **url_out,
				   struct da_err *err)
{
	const struct da_acme_directory *dir = &client->dir;
	char *type = NULL, *payload = NULL;
	enum da_code rc;
	int missing;

	rc = new_account(client, "{\"onlyReturnExisting\":true}", url_out, &type, err);
	missing = rc == DA_ERR_CA && type != NULL && strcmp(type, ACCOUNT_DOES_NOT_EXIST) == 0;
	free(type);
	type = NULL;
	if (!missing)
		return rc;

	if (dir->terms_of_service != NULL && !opts->agree_tos)
		return da_err_set(err, DA_ERR_USAGE,
				  "the CA's terms of service (%s) must be accepted: "
				  "pass --agree-tos",
				  dir->terms_of_service);
	if (dir->external_account_required && opts->eab_kid == NULL)
		return da_err_set(err, DA_ERR_USAGE, EAB_HINT);
	if ((opts->eab_kid == NULL) != (opts->eab_hmac_key == NULL))
		return da_err_set(err, DA_ERR_USAGE,
				  "External Account Binding needs both --eab-kid and "
				  "--eab-hmac-key");
	rc = creation_payload(client, opts, &payload, err);
	if (rc != DA_OK)
		return rc;
	rc = new_account(client, payload, url_out, &type, err);
	/* Some CAs want EAB without saying so in their directory. */
	if (rc == DA_ERR_CA && opts->eab_kid == NULL && type != NULL &&
	    strcmp(type, EAB_REQUIRED) == 0)
		rc = da_err_set(err, DA_ERR_USAGE, EAB_HINT);
	free(type);
	free(payload);
	if (rc == DA_OK)
		da_logf(client->log, DNSACME_LOG_INFO, "created ACME account %s", *url_out);
	return rc;
}

enum da_code da_acme_account(struct da_acme *client, const struct da_signer *account_key,
			     const struct da_acme_account_opts *opts, char **url_out,
			     struct da_err *err)
{
	char *url = NULL;
	enum da_code rc;

	free(client->kid);
	free(client->thumbprint);
	client->kid = client->thumbprint = NULL;
	client->key = account_key;
	rc = da_crypto_jwk_thumbprint(account_key->public_key, &client->thumbprint, err);
	if (rc != DA_OK)
		return rc;
	/* A saved URL is taken on trust (no request); acme_post_account()
	 * looks the account up should the CA refuse it. */
	if (opts->known_url != NULL) {
		url = strdup(opts->known_url);
		if (url == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	} else {
		rc = find_or_create(client, opts, &url, err);
		if (rc != DA_OK)
			return rc;
	}
	client->kid_confirmed = opts->known_url == NULL;
	*url_out = strdup(url);
	if (*url_out == NULL) {
		free(url);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	client->kid = url;
	return DA_OK;
}

enum da_code acme_account_relookup(struct da_acme *client, struct da_err *err)
{
	char *url = NULL, *type = NULL;
	enum da_code rc;

	rc = new_account(client, "{\"onlyReturnExisting\":true}", &url, &type, err);
	if (rc == DA_ERR_CA && type != NULL && strcmp(type, ACCOUNT_DOES_NOT_EXIST) == 0)
		rc = da_err_set(err, DA_ERR_CA,
				"the CA refused the saved account URL %s, and the account key has "
				"no account: remove the account files to register anew",
				client->kid);
	free(type);
	if (rc != DA_OK)
		return rc;
	if (strcmp(url, client->kid) == 0)
		da_logf(client->log, DNSACME_LOG_DEBUG,
			"the account URL %s is this key's: the refusal was not about the account",
			url);
	else
		da_logf(client->log, DNSACME_LOG_WARN,
			"the saved account URL %s is not this key's account; using %s", client->kid,
			url);
	free(client->kid);
	client->kid = url;
	client->kid_confirmed = 1;
	return DA_OK;
}

const char *da_acme_account_url(const struct da_acme *client)
{
	return client->kid;
}

enum da_code da_acme_revoke(struct da_acme *client, const struct da_signer *account_key,
			    const char *account_url, const unsigned char *cert_der, size_t len,
			    int reason, struct da_err *err)
{
	struct acme_signer signer = {account_key, account_url};
	const char *url = client->dir.revoke_cert;
	struct dnsacme_http_response resp;
	char *cert = NULL, *payload = NULL;
	json_t *obj;
	enum da_code rc;

	if (url == NULL)
		return da_err_set(err, DA_ERR_CA, "the CA's directory offers no revokeCert");
	cert = da_b64url_encode(cert_der, len);
	obj = cert ? json_pack("{s:s, s:i}", "certificate", cert, "reason", reason) : NULL;
	payload = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	free(cert);
	if (payload == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = acme_post(client, &signer, url, payload, NULL, &resp, err);
	free(payload);
	if (rc != DA_OK)
		return rc;
	rc = acme_check(&resp, "revokeCert", NULL, err);
	da_http_response_free(&resp);
	return rc;
}
