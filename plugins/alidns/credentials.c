/* Credential sources: static keys, STS token, RRSA; see credentials.h. */
#include "credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define STS_VERSION "2015-04-01"
/* The longest session STS grants without a role setting saying more. */
#define STS_DURATION "3600"
/* The kubelet's projected token is a JWT of about 1 KiB. */
#define OIDC_TOKEN_MAX 16384

/* A copy of option key's value, NULL when unset or empty. *oom set on failure. */
static char *option_dup(const struct dnsacme_host *host, const char *key, int *oom)
{
	const char *v = host->config_get(host, key);
	char *copy;

	if (v == NULL || *v == '\0')
		return NULL;
	copy = strdup(v);
	if (copy == NULL)
		*oom = 1;
	return copy;
}

/* Free a string that may hold a secret, wiping it first. */
static void secret_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void sts_clear(struct alidns_creds *creds)
{
	secret_free(creds->sts_key_id);
	secret_free(creds->sts_key_secret);
	secret_free(creds->sts_token);
	creds->sts_key_id = creds->sts_key_secret = creds->sts_token = NULL;
	creds->sts_expires = 0;
}

void alidns_creds_free(struct alidns_creds *creds)
{
	secret_free(creds->access_key_id);
	secret_free(creds->access_key_secret);
	secret_free(creds->security_token);
	free(creds->role_arn);
	free(creds->oidc_provider_arn);
	free(creds->oidc_token_file);
	free(creds->role_session_name);
	free(creds->sts_endpoint);
	sts_clear(creds);
	memset(creds, 0, sizeof(*creds));
}

/* The STS base URL (A.7): sts_endpoint, else sts[-vpc].<sts_region>, else
 * the central sts.aliyuncs.com. The VPC endpoint serves pods without internet
 * access, and exists per region only. */
static enum dnsacme_status open_sts_endpoint(struct alidns_creds *creds,
					     const struct dnsacme_host *host)
{
	const char *vpc = host->config_get(host, "sts_vpc");
	const char *region = host->config_get(host, "sts_region");
	int use_vpc = vpc != NULL && strcmp(vpc, "true") == 0;

	if (vpc != NULL && *vpc != '\0' && !use_vpc && strcmp(vpc, "false") != 0) {
		host->error(host, "sts_vpc must be true or false, not \"%s\"", vpc);
		return DNSACME_ERR_CONFIG;
	}
	if (use_vpc && (region == NULL || *region == '\0')) {
		host->error(host, "sts_vpc needs sts_region (ALIBABA_CLOUD_STS_REGION): the VPC "
				  "endpoint is regional");
		return DNSACME_ERR_CONFIG;
	}
	return alidns_endpoint(host, "sts_endpoint", host->config_get(host, "sts_endpoint"),
			       use_vpc ? "sts-vpc" : "sts", region, "", &creds->sts_endpoint);
}

enum dnsacme_status alidns_creds_open(struct alidns_creds *creds, struct alidns_rpc *rpc)
{
	const struct dnsacme_host *host = rpc->host;
	int oom = 0;

	memset(creds, 0, sizeof(*creds));
	creds->rpc = rpc;
	creds->access_key_id = option_dup(host, "access_key_id", &oom);
	creds->access_key_secret = option_dup(host, "access_key_secret", &oom);
	creds->security_token = option_dup(host, "security_token", &oom);
	creds->role_arn = option_dup(host, "role_arn", &oom);
	creds->oidc_provider_arn = option_dup(host, "oidc_provider_arn", &oom);
	creds->oidc_token_file = option_dup(host, "oidc_token_file", &oom);
	creds->role_session_name = option_dup(host, "role_session_name", &oom);
	if (oom) {
		alidns_creds_free(creds);
		host->error(host, "out of memory");
		return DNSACME_ERR_NOMEM;
	}
	if (creds->access_key_id != NULL || creds->access_key_secret != NULL) {
		if (creds->access_key_id == NULL || creds->access_key_secret == NULL) {
			host->error(host, "access_key_id and access_key_secret go together "
					  "(ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY); only %s is set",
				    creds->access_key_id ? "access_key_id" : "access_key_secret");
			alidns_creds_free(creds);
			return DNSACME_ERR_CONFIG;
		}
		host->log(host, DNSACME_LOG_DEBUG, "using AccessKey credentials%s",
			  creds->security_token ? " with an STS security token" : "");
		return DNSACME_OK;
	}
	if (creds->security_token != NULL) {
		host->error(host, "security_token needs access_key_id and access_key_secret "
				  "(the STS AccessKey pair)");
		alidns_creds_free(creds);
		return DNSACME_ERR_CONFIG;
	}
	if (creds->role_arn != NULL && creds->oidc_provider_arn != NULL &&
	    creds->oidc_token_file != NULL) {
		enum dnsacme_status st = open_sts_endpoint(creds, host);

		if (st != DNSACME_OK) {
			alidns_creds_free(creds);
			return st;
		}
		host->log(host, DNSACME_LOG_DEBUG, "using RRSA (role %s, STS at %s)",
			  creds->role_arn, creds->sts_endpoint);
		return DNSACME_OK;
	}
	if (creds->role_arn != NULL || creds->oidc_provider_arn != NULL ||
	    creds->oidc_token_file != NULL) {
		host->error(host, "RRSA needs role_arn, oidc_provider_arn and "
				  "oidc_token_file (ALIBABA_CLOUD_ROLE_ARN, "
				  "ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE)");
	} else {
		host->error(host, "no credentials: set access_key_id and access_key_secret "
				  "(ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY), or RRSA's "
				  "ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and "
				  "ALIBABA_CLOUD_OIDC_TOKEN_FILE");
	}
	alidns_creds_free(creds);
	return DNSACME_ERR_CONFIG;
}

/* The OIDC token file's content without trailing white space; re-read at
 * every refresh because the kubelet rotates it. NULL on failure (reported). */
static char *read_oidc_token(const struct alidns_creds *creds)
{
	const struct dnsacme_host *host = creds->rpc->host;
	FILE *f = fopen(creds->oidc_token_file, "r");
	char *token;
	size_t n;

	if (f == NULL) {
		host->error(host, "cannot read the OIDC token file %s: %s",
			    creds->oidc_token_file, strerror(errno));
		return NULL;
	}
	token = malloc(OIDC_TOKEN_MAX + 1);
	n = token ? fread(token, 1, OIDC_TOKEN_MAX + 1, f) : 0;
	fclose(f);
	if (token == NULL || n == 0 || n > OIDC_TOKEN_MAX) {
		host->error(host, "the OIDC token file %s is %s", creds->oidc_token_file,
			    token == NULL ? "too big for memory" : n == 0 ? "empty" : "too large");
		free(token);
		return NULL;
	}
	while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
		n--;
	token[n] = '\0';
	host->add_secret(host, token);
	return token;
}

/* "2024-01-15T09:30:00Z" as a time_t, or -1. */
static time_t parse_expiration(const char *s)
{
	struct tm tm = {0};
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	if (end == NULL || (*end != 'Z' && *end != '\0'))
		return -1;
	return timegm(&tm);
}

static char *member_dup(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v && *v ? strdup(v) : NULL;
}

/* AssumeRoleWithOIDC: trade the pod's OIDC token for STS credentials. */
static enum dnsacme_status assume_role(struct alidns_creds *creds)
{
	const struct dnsacme_host *host = creds->rpc->host;
	char *token = read_oidc_token(creds);
	const struct alidns_param params[] = {
		{"DurationSeconds", STS_DURATION},
		{"OIDCProviderArn", creds->oidc_provider_arn},
		{"OIDCToken", token},
		{"RoleArn", creds->role_arn},
		{"RoleSessionName", creds->role_session_name ? creds->role_session_name : "dnsacme"},
	};
	const struct alidns_call call = {creds->sts_endpoint, STS_VERSION, "AssumeRoleWithOIDC",
					 params, sizeof(params) / sizeof(params[0]),
					 creds->role_arn};
	char until[ALIDNS_TIMESTAMP_SIZE];
	enum dnsacme_status st;
	json_t *json, *c;

	if (token == NULL)
		return DNSACME_ERR_CONFIG;
	st = alidns_rpc_call(creds->rpc, NULL, &call, &json);
	secret_free(token);
	if (st != DNSACME_OK)
		return st;
	c = json_object_get(json, "Credentials");
	sts_clear(creds);
	creds->sts_key_id = member_dup(c, "AccessKeyId");
	creds->sts_key_secret = member_dup(c, "AccessKeySecret");
	creds->sts_token = member_dup(c, "SecurityToken");
	creds->sts_expires = parse_expiration(json_string_value(json_object_get(c, "Expiration")));
	json_decref(json);
	if (creds->sts_key_id == NULL || creds->sts_key_secret == NULL ||
	    creds->sts_token == NULL || creds->sts_expires < 0) {
		sts_clear(creds);
		host->error(host, "AssumeRoleWithOIDC: the answer lacks Credentials "
				  "(AccessKeyId, AccessKeySecret, SecurityToken, Expiration)");
		return DNSACME_ERR_PROTOCOL;
	}
	host->add_secret(host, creds->sts_key_id);
	host->add_secret(host, creds->sts_key_secret);
	host->add_secret(host, creds->sts_token);
	alidns_timestamp(creds->sts_expires, until);
	host->log(host, DNSACME_LOG_INFO, "assumed role %s until %s", creds->role_arn,
		  until);
	return DNSACME_OK;
}

enum dnsacme_status alidns_creds_get(struct alidns_creds *creds, time_t now,
				     struct alidns_credentials *out)
{
	if (creds->access_key_id != NULL) {
		out->access_key_id = creds->access_key_id;
		out->access_key_secret = creds->access_key_secret;
		out->security_token = creds->security_token;
		return DNSACME_OK;
	}
	if (creds->sts_key_id == NULL || now + ALIDNS_CREDS_REFRESH_MARGIN >= creds->sts_expires) {
		enum dnsacme_status st = assume_role(creds);

		if (st != DNSACME_OK)
			return st;
	}
	out->access_key_id = creds->sts_key_id;
	out->access_key_secret = creds->sts_key_secret;
	out->security_token = creds->sts_token;
	return DNSACME_OK;
}

int alidns_creds_invalidate(struct alidns_creds *creds)
{
	if (creds->access_key_id != NULL)
		return 0;
	sts_clear(creds);
	return 1;
}
