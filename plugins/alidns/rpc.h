/*
 * One Alibaba Cloud RPC action over host->http, with the retry policy of
 * providers.md A.4 / A.8: throttling, LastOperationNotFinished, 5xx and
 * network errors are retried with host->backoff, every attempt signed afresh
 * (new SignatureNonce and Timestamp); anything else fails at once with one line
 * naming the action, the API's Code, Message and RequestId.
 */
#ifndef ALIDNS_RPC_H
#define ALIDNS_RPC_H

#include <jansson.h>

#include "dnsacme/plugin.h"
#include "sign.h"

#define ALIDNS_MAX_ATTEMPTS 6

struct alidns_creds;

struct alidns_rpc {
	const struct dnsacme_host *host;
	long timeout_ms; /* per exchange; 0: the core's default */
	int v3;		 /* sign with V3 (ACS3-HMAC-SHA256) instead of the RPC V1 */
	char code[64];	 /* the API's Code of the last failed call; "" otherwise */
};

struct alidns_call {
	const char *endpoint; /* base URL, ending in '/' */
	const char *version;  /* API version, e.g. "2015-01-09" */
	const char *action;
	const struct alidns_param *params;
	size_t n_params;
	const char *subject; /* what the call is about, for messages; may be NULL */
};

/*
 * Perform call. creds NULL makes an anonymous call (STS AssumeRoleWithOIDC):
 * unsigned, the parameters in a POST form body. Otherwise the request is a
 * GET signed with V1 (the signature in the query) or V3 (in headers), and
 * creds may be refreshed once when the API says the security token is no
 * longer valid.
 *
 * On DNSACME_OK *out is the parsed response (json_decref() it). On failure
 * host->error() has the reason and rpc->code the API's Code, if any.
 */
enum dnsacme_status alidns_rpc_call(struct alidns_rpc *rpc, struct alidns_creds *creds,
				    const struct alidns_call *call, json_t **out);

/*
 * The base URL of a service into *out (free()): url when given (http:// or
 * https://, no query; a missing trailing '/' is added), else
 * https://SERVICE.REGION.aliyuncs.com/, or https://SERVICE.aliyuncs.com/ when
 * region is NULL or default_region. key names the option in messages.
 */
enum dnsacme_status alidns_endpoint(const struct dnsacme_host *host, const char *key,
				    const char *url, const char *service, const char *region,
				    const char *default_region, char **out);

/* True when the last failure's Code is code (exact match). */
int alidns_rpc_failed_with(const struct alidns_rpc *rpc, const char *code);

#endif
