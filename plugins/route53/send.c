#include "send.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 8

enum dnsacme_status r53_send_once(const struct dnsacme_host *host,
				  const struct r53_endpoint *ep, const struct r53_request *req,
				  const struct r53_signer *signer,
				  const struct dnsacme_http_header *extra, size_t n_extra,
				  long timeout_ms, struct dnsacme_http_response *resp)
{
	struct dnsacme_http_header headers[MAX_HEADERS];
	struct dnsacme_http_request hreq = {0};
	struct r53_sigv4 sig = {0};
	char amz_date[17], *url, *query = NULL;
	enum dnsacme_status rc = DNSACME_ERR_NOMEM;
	size_t n = 0, i;

	memset(resp, 0, sizeof(*resp));
	if (n_extra > MAX_HEADERS - 4)
		return DNSACME_ERR_INTERNAL;
	url = r53_request_url(ep, req);
	if (url == NULL)
		return DNSACME_ERR_NOMEM;
	if (signer != NULL) {
		struct r53_sigv4_request sr = {
			.method = req->method, .host = ep->host, .path = req->path,
			.body = req->body, .body_len = req->body_len, .amz_date = amz_date,
			.region = signer->region, .service = signer->service,
			.access_key_id = signer->creds->access_key_id,
			.secret_access_key = signer->creds->secret_access_key,
			.session_token = signer->creds->session_token,
		};

		r53_amz_date(signer->now, amz_date);
		query = r53_params_encode(req->params, req->n_params, 1);
		sr.query = query;
		if (query == NULL || r53_sigv4_sign(&sr, &sig) != 0)
			goto out;
		headers[n++] = (struct dnsacme_http_header){"X-Amz-Date", amz_date};
		headers[n++] = (struct dnsacme_http_header){"Authorization", sig.authorization};
		if (signer->creds->session_token != NULL)
			headers[n++] = (struct dnsacme_http_header){"X-Amz-Security-Token",
								    signer->creds->session_token};
	}
	if (req->content_type != NULL)
		headers[n++] = (struct dnsacme_http_header){"Content-Type", req->content_type};
	for (i = 0; i < n_extra; i++)
		headers[n++] = extra[i];
	hreq.method = req->method;
	hreq.url = url;
	hreq.headers = headers;
	hreq.n_headers = n;
	hreq.body = req->body;
	hreq.body_len = req->body_len;
	hreq.timeout_ms = timeout_ms;
	rc = host->http(host, &hreq, resp);
out:
	r53_sigv4_free(&sig);
	free(query);
	free(url);
	return rc;
}

const char *r53_header(const struct dnsacme_http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}
