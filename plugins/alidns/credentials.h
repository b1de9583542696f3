/*
 * Where the plugin's Alibaba Cloud credentials come from (providers.md A.7),
 * in the order users expect:
 *  1. an AccessKey pair from options or environment, optionally with an STS
 *     SecurityToken (ALICLOUD_SECURITY_TOKEN / ALIBABA_CLOUD_SECURITY_TOKEN);
 *  2. RRSA on ACK pods: the OIDC token file is exchanged for STS credentials
 *     with AssumeRoleWithOIDC, cached until shortly before they expire.
 */
#ifndef ALIDNS_CREDENTIALS_H
#define ALIDNS_CREDENTIALS_H

#include <time.h>

#include "dnsacme/plugin.h"
#include "rpc.h"
#include "sign.h"

/* STS credentials are renewed this long before their Expiration. */
#define ALIDNS_CREDS_REFRESH_MARGIN 300

struct alidns_creds {
	struct alidns_rpc *rpc; /* not owned; carries the host */
	/* Static keys; all owned, NULL when RRSA is used. */
	char *access_key_id;
	char *access_key_secret;
	char *security_token;
	/* RRSA settings; owned, NULL when static keys are used. */
	char *role_arn;
	char *oidc_provider_arn;
	char *oidc_token_file;
	char *role_session_name;
	char *sts_endpoint;
	/* Cached STS credentials from AssumeRoleWithOIDC; owned. */
	char *sts_key_id;
	char *sts_key_secret;
	char *sts_token;
	time_t sts_expires;
};

/* Read the options and pick the source; rpc must outlive creds. On failure
 * host->error() says what is missing. Free with alidns_creds_free(). */
enum dnsacme_status alidns_creds_open(struct alidns_creds *creds, struct alidns_rpc *rpc);
void alidns_creds_free(struct alidns_creds *creds);

/* Usable credentials at time now, fetching STS ones if needed. *out points
 * into creds and stays valid until the next call on creds. */
enum dnsacme_status alidns_creds_get(struct alidns_creds *creds, time_t now,
				     struct alidns_credentials *out);

/* Drop cached STS credentials so the next get fetches new ones; returns
 * non-zero when there was something to refresh (RRSA), 0 for static keys. */
int alidns_creds_invalidate(struct alidns_creds *creds);

#endif
