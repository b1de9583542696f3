/* Alibaba Cloud RPC transport with retries; see rpc.h. */
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "credentials.h"

/* Shortest wait before retrying a throttled or busy request. */
#define RETRY_MIN_MS 1000

/* SignatureDoesNotMatch's Message ends with this and the server's string. */
#define SERVER_STRING_TO_SIGN "server string to sign is:"

/* Codes worth another attempt (A.8): the server was busy or failed. */
static const char *const retry_codes[] = {
	"Throttling", "LastOperationNotFinished", "ServiceUnavailable", "InternalError",
	"UnknownError",
};

/* Prefix of a Code -> the plugin status it maps to. */
static const struct {
	const char *prefix;
	enum dnsacme_status status;
} code_status[] = {
	{"SignatureDoesNotMatch", DNSACME_ERR_AUTH},
	{"IncompleteSignature", DNSACME_ERR_AUTH},
	{"SignatureNonceUsed", DNSACME_ERR_AUTH},
	{"InvalidAccessKeyId", DNSACME_ERR_AUTH},
	{"InvalidSecurityToken", DNSACME_ERR_AUTH},
	{"InvalidTimeStamp", DNSACME_ERR_AUTH},
	{"AuthenticationFail", DNSACME_ERR_AUTH},
	{"Forbidden", DNSACME_ERR_DENIED},
	{"NoPermission", DNSACME_ERR_DENIED},
	{"IncorrectDomainUser", DNSACME_ERR_DENIED},
	{"DomainRecordNotBelongToUser", DNSACME_ERR_DENIED},
};

/* What a user should check for codes whose Message does not say it. */
static const struct {
	const char *prefix;
	const char *hint;
} code_hint[] = {
	{"SignatureDoesNotMatch", "check access_key_secret"},
	{"InvalidAccessKeyId", "check access_key_id"},
	{"InvalidTimeStamp", "check the system clock"},
	{"InvalidSecurityToken", "check security_token, or renew the STS credentials"},
	{"Forbidden", "the RAM policy must allow alidns:"},
	{"NoPermission", "the RAM policy must allow alidns:"},
	{"QuotaExceeded.TTL", "the DNS edition refuses this TTL; the free edition's minimum "
			      "is 600 (option ttl)"},
	{"IncorrectDomainUser", "the zone is not in this account"},
};

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int alidns_rpc_failed_with(const struct alidns_rpc *rpc, const char *code)
{
	return strcmp(rpc->code, code) == 0;
}

static int is_retryable(long http_status, const char *code)
{
	for (size_t i = 0; i < sizeof(retry_codes) / sizeof(retry_codes[0]); i++)
		if (has_prefix(code, retry_codes[i]))
			return 1;
	return http_status >= 500;
}

static enum dnsacme_status status_of(const char *code)
{
	for (size_t i = 0; i < sizeof(code_status) / sizeof(code_status[0]); i++)
		if (has_prefix(code, code_status[i].prefix))
			return code_status[i].status;
	return DNSACME_ERR_API;
}

static const char *hint_of(const char *code)
{
	for (size_t i = 0; i < sizeof(code_hint) / sizeof(code_hint[0]); i++)
		if (has_prefix(code, code_hint[i].prefix))
			return code_hint[i].hint;
	return NULL;
}

enum dnsacme_status alidns_endpoint(const struct dnsacme_host *host, const char *key,
				    const char *url, const char *service, const char *region,
				    const char *default_region, char **out)
{
	struct alidns_sb sb = {0};

	*out = NULL;
	if (url != NULL && *url != '\0') {
		if ((!has_prefix(url, "https://") && !has_prefix(url, "http://")) ||
		    strpbrk(url, "?# ") != NULL) {
			host->error(host, "%s must be an http:// or https:// URL without a "
					  "query, not \"%s\"", key, url);
			return DNSACME_ERR_CONFIG;
		}
		alidns_sb_puts(&sb, url);
		if (url[strlen(url) - 1] != '/')
			alidns_sb_puts(&sb, "/");
	} else {
		if (region != NULL && *region == '\0')
			region = NULL;
		if (region != NULL && strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
					      strlen(region)) {
			host->error(host, "bad region \"%s\"", region);
			return DNSACME_ERR_CONFIG;
		}
		alidns_sb_puts(&sb, "https://");
		alidns_sb_puts(&sb, service);
		if (region != NULL && strcmp(region, default_region) != 0) {
			alidns_sb_puts(&sb, ".");
			alidns_sb_puts(&sb, region);
		}
		alidns_sb_puts(&sb, ".aliyuncs.com/");
	}
	*out = alidns_sb_take(&sb);
	return *out ? DNSACME_OK : DNSACME_ERR_NOMEM;
}

/* 128 random bits as 32 hex digits: a nonce the API never saw (A.11 #2). */
static int make_nonce(char nonce[33])
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* The request of one attempt; the headers point into it. */
struct attempt {
	char ts[ALIDNS_TIMESTAMP_SIZE];
	char nonce[33];
	char host[256];
	char *url;
	char *body;	      /* anonymous calls' form body, else NULL */
	char *string_to_sign; /* V1 only, for diagnosing SignatureDoesNotMatch */
	struct alidns_signed_v3 v3;
	struct dnsacme_http_header headers[ALIDNS_V3_MAX_HEADERS + 1];
	size_t n_headers;
};

static void attempt_free(struct attempt *at)
{
	free(at->url);
	free(at->body);
	free(at->string_to_sign);
	alidns_signed_v3_free(&at->v3);
	memset(at, 0, sizeof(*at));
}

/* endpoint + "?" + query (no '?' for an empty query) into at->url. */
static enum dnsacme_status set_url(struct attempt *at, const char *endpoint, const char *query)
{
	struct alidns_sb sb = {0};

	alidns_sb_puts(&sb, endpoint);
	if (*query != '\0') {
		alidns_sb_puts(&sb, "?");
		alidns_sb_puts(&sb, query);
	}
	at->url = alidns_sb_take(&sb);
	return at->url ? DNSACME_OK : DNSACME_ERR_NOMEM;
}

/* V3 signs the Host header: the endpoint's authority, sent explicitly so
 * that what is signed is what goes out. */
static enum dnsacme_status set_host(struct attempt *at, const char *endpoint)
{
	const char *start = strstr(endpoint, "://");
	size_t len;

	start = start ? start + 3 : endpoint;
	len = strcspn(start, "/");
	if (len == 0 || len >= sizeof(at->host))
		return DNSACME_ERR_CONFIG;
	memcpy(at->host, start, len);
	at->host[len] = '\0';
	return DNSACME_OK;
}

static enum dnsacme_status build_signed(const struct alidns_rpc *rpc,
					const struct alidns_call *call,
					const struct alidns_credentials *cr, struct attempt *at)
{
	struct alidns_sign_input in = {"GET", call->action, call->version, at->ts, at->nonce, cr};
	struct alidns_param headers[ALIDNS_V3_MAX_HEADERS];
	struct alidns_signed sig;
	enum dnsacme_status st;

	alidns_timestamp(time(NULL), at->ts);
	if (make_nonce(at->nonce) != 0)
		return DNSACME_ERR_INTERNAL;
	if (!rpc->v3) {
		st = alidns_sign(&in, call->params, call->n_params, &sig);
		if (st != DNSACME_OK)
			return st;
		st = set_url(at, call->endpoint, sig.query);
		at->string_to_sign = sig.string_to_sign;
		sig.string_to_sign = NULL;
		alidns_signed_free(&sig);
		return st;
	}
	st = set_host(at, call->endpoint);
	if (st == DNSACME_OK)
		st = alidns_sign_v3(&in, at->host, call->params, call->n_params, &at->v3);
	if (st == DNSACME_OK)
		st = set_url(at, call->endpoint, at->v3.canonical_query);
	if (st != DNSACME_OK)
		return st;
	at->n_headers = alidns_v3_headers(&in, at->host, at->v3.content_sha256, headers);
	for (size_t i = 0; i < at->n_headers; i++)
		at->headers[i] = (struct dnsacme_http_header){headers[i].name, headers[i].value};
	at->headers[at->n_headers++] =
		(struct dnsacme_http_header){"Authorization", at->v3.authorization};
	return DNSACME_OK;
}

/* Anonymous: the common parameters in the query, the action's in the body. */
static enum dnsacme_status build_anonymous(const struct alidns_call *call, struct attempt *at)
{
	struct alidns_sb sb = {0};

	alidns_timestamp(time(NULL), at->ts);
	alidns_sb_puts(&sb, call->endpoint);
	alidns_sb_puts(&sb, "?Action=");
	alidns_sb_encode(&sb, call->action);
	alidns_sb_puts(&sb, "&Format=JSON&Version=");
	alidns_sb_encode(&sb, call->version);
	alidns_sb_puts(&sb, "&Timestamp=");
	alidns_sb_encode(&sb, at->ts);
	at->url = alidns_sb_take(&sb);
	for (size_t i = 0; i < call->n_params; i++) {
		if (i > 0)
			alidns_sb_puts(&sb, "&");
		alidns_sb_encode(&sb, call->params[i].name);
		alidns_sb_puts(&sb, "=");
		alidns_sb_encode(&sb, call->params[i].value);
	}
	at->body = alidns_sb_take(&sb);
	at->headers[at->n_headers++] =
		(struct dnsacme_http_header){"Content-Type", "application/x-www-form-urlencoded"};
	return at->url && at->body ? DNSACME_OK : DNSACME_ERR_NOMEM;
}

/*
 * The API's Message, fit for one line of an error: control characters become
 * spaces, and the server's string to sign that SignatureDoesNotMatch appends
 * is cut, since it carries the key id and security token.
 */
static void clean_message(const char *msg, char *out, size_t size)
{
	const char *cut = strstr(msg, SERVER_STRING_TO_SIGN);
	size_t n = cut ? (size_t)(cut - msg) : strlen(msg);

	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)msg[i] < 0x20 ? ' ' : msg[i];
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '.' || out[n - 1] == ','))
		n--;
	out[n] = '\0';
}

/* Report a failed response in one line; returns its status. */
static enum dnsacme_status report_response(struct alidns_rpc *rpc, const struct alidns_call *call,
					   long http_status, json_t *json, unsigned attempts)
{
	const struct dnsacme_host *host = rpc->host;
	const char *msg = json_string_value(json_object_get(json, "Message"));
	const char *req = json_string_value(json_object_get(json, "RequestId"));
	const char *hint = hint_of(rpc->code);
	const char *sep = call->subject ? " " : "";
	char clean[512], tries[48] = "";

	if (rpc->code[0] == '\0') {
		host->error(host, "%s%s%s: HTTP %ld from %s without an API error", call->action,
			    sep, call->subject ? call->subject : "", http_status, call->endpoint);
		return http_status == 200 ? DNSACME_ERR_PROTOCOL : DNSACME_ERR_API;
	}
	clean_message(msg ? msg : "", clean, sizeof(clean));
	if (attempts > 1)
		snprintf(tries, sizeof(tries), ", gave up after %u attempts", attempts);
	/* A hint ending in ':' is completed with the action (a RAM permission). */
	host->error(host, "%s%s%s: %s: %s (RequestId %s%s)%s%s%s", call->action, sep,
		    call->subject ? call->subject : "", rpc->code, clean, req ? req : "none", tries,
		    hint ? "; " : "", hint ? hint : "",
		    hint && hint[strlen(hint) - 1] == ':' ? call->action : "");
	return status_of(rpc->code);
}

/* On SignatureDoesNotMatch, log whether the server signed what we signed.
 * Only the verdict: both strings hold the key id and security token. */
static void compare_string_to_sign(const struct alidns_rpc *rpc, const struct alidns_call *call,
				   json_t *json, const char *ours)
{
	const char *msg = json_string_value(json_object_get(json, "Message"));
	const char *theirs = msg ? strstr(msg, SERVER_STRING_TO_SIGN) : NULL;
	const char *verdict = "is not given, cannot compare with";

	if (theirs != NULL)
		verdict = strcmp(theirs + strlen(SERVER_STRING_TO_SIGN), ours) == 0 ? "equals"
										     : "differs from";
	rpc->host->log(rpc->host, DNSACME_LOG_DEBUG, "%s: the server's string to sign %s ours",
		       call->action, verdict);
}

enum dnsacme_status alidns_rpc_call(struct alidns_rpc *rpc, struct alidns_creds *creds,
				    const struct alidns_call *call, json_t **out)
{
	const struct dnsacme_host *host = rpc->host;
	unsigned attempt = 0;
	int refreshed = 0;

	*out = NULL;
	for (;;) {
		struct dnsacme_http_request req = {0};
		struct dnsacme_http_response resp = {0};
		struct alidns_credentials cr;
		struct attempt at = {0};
		enum dnsacme_status st;
		json_t *json = NULL;
		const char *code;
		int retry;

		rpc->code[0] = '\0';
		if (creds != NULL) {
			st = alidns_creds_get(creds, time(NULL), &cr);
			if (st != DNSACME_OK)
				return st;
			st = build_signed(rpc, call, &cr, &at);
		} else {
			st = build_anonymous(call, &at);
		}
		if (st != DNSACME_OK) {
			attempt_free(&at);
			host->error(host, "%s: cannot build the request", call->action);
			return st;
		}
		req.method = at.body ? "POST" : "GET";
		req.url = at.url;
		req.body = at.body;
		req.body_len = at.body ? strlen(at.body) : 0;
		req.headers = at.headers;
		req.n_headers = at.n_headers;
		req.timeout_ms = rpc->timeout_ms;
		attempt++;
		st = host->http(host, &req, &resp);
		/* No answer is worth another attempt; a certificate that does not
		 * verify is not (host->error() already says why). */
		retry = st == DNSACME_ERR_NETWORK || st == DNSACME_ERR_TIMEOUT;
		if (st == DNSACME_OK) {
			json = json_loadb(resp.body, resp.body_len, 0, NULL);
			code = json_string_value(json_object_get(json, "Code"));
			if (resp.status == 200 && json_is_object(json) && code == NULL) {
				host->http_free(host, &resp);
				attempt_free(&at);
				*out = json;
				return DNSACME_OK;
			}
			snprintf(rpc->code, sizeof(rpc->code), "%s", code ? code : "");
			retry = is_retryable(resp.status, rpc->code);
			if (alidns_rpc_failed_with(rpc, "SignatureDoesNotMatch") && at.string_to_sign)
				compare_string_to_sign(rpc, call, json, at.string_to_sign);
		}
		attempt_free(&at);
		if (has_prefix(rpc->code, "InvalidSecurityToken") && !refreshed && creds != NULL &&
		    alidns_creds_invalidate(creds)) {
			/* The STS credentials died before their time: fetch new ones, once. */
			refreshed = 1;
			host->http_free(host, &resp);
			json_decref(json);
			continue;
		}
		if (!retry || attempt >= ALIDNS_MAX_ATTEMPTS) {
			if (retry && st != DNSACME_OK)
				host->error(host, "%s: cannot reach %s (gave up after %u attempts)",
					    call->action, call->endpoint, attempt);
			else if (st == DNSACME_OK)
				st = report_response(rpc, call, resp.status, json, attempt);
			host->http_free(host, &resp);
			json_decref(json);
			return st;
		}
		if (st == DNSACME_OK)
			host->log(host, DNSACME_LOG_WARN, "%s: %s (HTTP %ld), retrying", call->action,
				  rpc->code[0] ? rpc->code : "server error", resp.status);
		else
			host->log(host, DNSACME_LOG_WARN, "%s: no answer from %s, retrying",
				  call->action, call->endpoint);
		host->http_free(host, &resp);
		json_decref(json);
		if (host->backoff(host, attempt, RETRY_MIN_MS)) {
			host->error(host, "%s: interrupted", call->action);
			return DNSACME_ERR_TIMEOUT;
		}
	}
}
