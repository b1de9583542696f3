/* One attempt of one request through the host's HTTP client, SigV4-signed
 * when credentials are given. Retry policy belongs to the callers. */
#ifndef R53_SEND_H
#define R53_SEND_H

#include <time.h>

#include "api.h"
#include "dnsacme/plugin.h"

struct r53_signer {
	const struct r53_credentials *creds;
	const char *service; /* "route53", "sts" */
	const char *region;  /* credential scope region */
	time_t now;
};

/*
 * Send req to ep (signer NULL: unsigned). extra (n_extra) are added as they
 * are, unsigned. On DNSACME_OK *resp holds an answer of any status; release
 * it with host->http_free(). Network failures come back as the host's status;
 * DNSACME_ERR_NOMEM when building the request fails.
 */
enum dnsacme_status r53_send_once(const struct dnsacme_host *host,
				  const struct r53_endpoint *ep, const struct r53_request *req,
				  const struct r53_signer *signer,
				  const struct dnsacme_http_header *extra, size_t n_extra,
				  long timeout_ms, struct dnsacme_http_response *resp);

/* A response header's value (name lower case), or NULL. */
const char *r53_header(const struct dnsacme_http_response *resp, const char *name);

#endif
