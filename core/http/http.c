#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "trust.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
/* No answer we expect (ACME objects, certificate chains, provider APIs) comes
 * near this; a bigger one is a broken or hostile server. */
#define MAX_BODY (16u * 1024 * 1024)
#define MAX_HEADERS 256

struct da_http {
	CURL *curl; /* reused so connections and TLS sessions are kept */
	const struct da_log *log;
	char *ca_bundle;
	char *ca_pem;
	struct http_trust *trust; /* the CAs of ca_bundle, ca_pem or the system, shared */
	char trust_error[DA_ERR_MSG_MAX];
	char *client_cert_pem;
	char *client_key_pem; /* secret */
	char *proxy;
	char *user_agent;
	long timeout_ms;
	long connect_timeout_ms;
	char curl_error[CURL_ERROR_SIZE];
};

/* What the callbacks collect during one exchange. */
struct exchange {
	struct da_buf body;
	struct dnsacme_http_header *headers;
	size_t n_headers;
	int too_large;
	int nomem;
};

/* A new trust for the CAs http's settings name: its PEM text, its bundle,
 * or libcurl's defaults (the system store). NULL when out of memory. */
static struct http_trust *trust_of(const struct da_http *http)
{
	struct http_trust_source src = {.pem = http->ca_pem, .file = http->ca_bundle};

	if (src.pem == NULL && src.file == NULL) {
		curl_easy_getinfo(http->curl, CURLINFO_CAINFO, &src.file);
		curl_easy_getinfo(http->curl, CURLINFO_CAPATH, &src.dir);
	}
	return http_trust_new(&src);
}

/* A client of cfg; its trust is shared (a reference taken here), else its own. */
static enum da_code http_create(struct da_http **out, const struct da_http_config *cfg,
				const struct da_log *log, struct http_trust *shared,
				struct da_err *err)
{
	static const struct da_http_config defaults;
	struct da_http *http;
	int failed = 0;

	*out = NULL;
	if (cfg == NULL)
		cfg = &defaults;
	/* Reference counted by libcurl; paired with the cleanup in da_http_free. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return da_err_set(err, DA_ERR_NETWORK, "cannot initialise libcurl");
	http = calloc(1, sizeof(*http));
	if (http == NULL) {
		curl_global_cleanup();
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	http->log = log;
	http->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	http->connect_timeout_ms =
		cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	http->ca_bundle = da_strdup_or_null(cfg->ca_bundle, &failed);
	http->ca_pem = da_strdup_or_null(cfg->ca_pem, &failed);
	http->client_cert_pem = da_strdup_or_null(cfg->client_cert_pem, &failed);
	http->client_key_pem = da_strdup_or_null(cfg->client_key_pem, &failed);
	http->proxy = da_strdup_or_null(cfg->proxy, &failed);
	http->user_agent = da_strdup_or_null(
		cfg->user_agent ? cfg->user_agent : "dnsacme/" DNSACME_VERSION, &failed);
	http->curl = curl_easy_init();
	if (!failed && http->curl != NULL)
		http->trust = shared ? http_trust_ref(shared) : trust_of(http);
	if (failed || http->curl == NULL || http->trust == NULL) {
		da_http_free(http);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	*out = http;
	return DA_OK;
}

enum da_code da_http_new(struct da_http **out, const struct da_http_config *cfg,
			 const struct da_log *log, struct da_err *err)
{
	return http_create(out, cfg, log, NULL, err);
}

enum da_code da_http_new_sibling(struct da_http **out, const struct da_http *of,
				 const struct da_log *log, struct da_err *err)
{
	const struct da_http_config cfg = {
		.ca_bundle = of->ca_bundle,
		.ca_pem = of->ca_pem,
		.client_cert_pem = of->client_cert_pem,
		.client_key_pem = of->client_key_pem,
		.proxy = of->proxy,
		.timeout_ms = of->timeout_ms,
		.connect_timeout_ms = of->connect_timeout_ms,
		.user_agent = of->user_agent,
	};

	return http_create(out, &cfg, log, of->trust, err);
}

enum da_code da_http_read_trust(struct da_http *http, struct da_err *err)
{
	char why[DA_ERR_MSG_MAX];

	if (http_trust_read(http->trust, why, sizeof(why)) != 0)
		return da_err_set(err, DA_ERR_TLS, "%s", why);
	return DA_OK;
}

void da_http_free(struct da_http *http)
{
	if (http == NULL)
		return;
	if (http->curl != NULL)
		curl_easy_cleanup(http->curl);
	http_trust_unref(http->trust);
	free(http->ca_bundle);
	free(http->ca_pem);
	free(http->client_cert_pem);
	da_secret_free(http->client_key_pem);
	free(http->proxy);
	free(http->user_agent);
	free(http);
	curl_global_cleanup();
}

/*
 * The URL as logs and error messages show it: without userinfo, and with the
 * query replaced by "?...", because some APIs carry credentials there (an STS
 * SecurityToken in an Alibaba Cloud query, a pre-signed URL's signature).
 */
static void url_for_log(const char *url, char *out, size_t size)
{
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end ? scheme_end + 3 : url;
	size_t host_len = strcspn(host, "/?#");
	const char *at = memchr(host, '@', host_len);
	size_t scheme_len = (size_t)(host - url);
	const char *rest;
	size_t path_len;

	if (at != NULL) {
		host_len -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	rest = host + host_len;
	path_len = strcspn(rest, "?#");
	snprintf(out, size, "%.*s%.*s%.*s%s", (int)scheme_len, url, (int)host_len, host,
		 (int)path_len, rest, rest[path_len] == '?' ? "?..." : "");
}

/* Where an IP literal or name (as curl_url() returns hosts) points. */
static enum da_http_host host_kind(const char *host)
{
	static const unsigned char loopback[16] = {[15] = 1};
	static const unsigned char eks_agent[16] = {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23};
	unsigned char a[16];
	char bare[INET6_ADDRSTRLEN];
	size_t len = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return DA_HTTP_HOST_LOOPBACK;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127		   ? DA_HTTP_HOST_LOOPBACK
		       : a[0] == 169 && a[1] == 254 ? DA_HTTP_HOST_LINK_LOCAL
						    : DA_HTTP_HOST_REMOTE;
	if (len < 3 || host[0] != '[' || host[len - 1] != ']' || len - 2 >= sizeof(bare))
		return DA_HTTP_HOST_REMOTE;
	memcpy(bare, host + 1, len - 2);
	bare[len - 2] = '\0';
	if (inet_pton(AF_INET6, bare, a) != 1)
		return DA_HTTP_HOST_REMOTE;
	if (memcmp(a, loopback, 16) == 0)
		return DA_HTTP_HOST_LOOPBACK;
	/* fe80::/10, and the EKS Pod Identity agent's address. */
	if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || memcmp(a, eks_agent, 16) == 0)
		return DA_HTTP_HOST_LINK_LOCAL;
	return DA_HTTP_HOST_REMOTE;
}

enum da_http_host da_http_url_host(const char *url)
{
	CURLU *parsed = curl_url();
	char *host = NULL;
	enum da_http_host kind = DA_HTTP_HOST_INVALID;

	if (parsed != NULL && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		kind = host_kind(host);
	curl_free(host);
	curl_url_cleanup(parsed);
	return kind;
}

/* Must this request bypass every proxy? Metadata and credential agents
 * hand out tokens that must not cross one. */
static int direct(const struct dnsacme_http_request *req)
{
	enum da_http_host kind;

	if (req->flags & DNSACME_HTTP_DIRECT)
		return 1;
	kind = da_http_url_host(req->url);
	return kind == DA_HTTP_HOST_LOOPBACK || kind == DA_HTTP_HOST_LINK_LOCAL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct exchange *ex = userdata;
	size_t len = size * nmemb;

	if (len > MAX_BODY - ex->body.len) {
		ex->too_large = 1;
		return 0;
	}
	if (da_buf_append(&ex->body, data, len) != 0) {
		ex->nomem = 1;
		return 0;
	}
	return len;
}

static void free_headers(struct dnsacme_http_header *headers, size_t n)
{
	/* Name and value share one allocation, starting at name. */
	for (size_t i = 0; i < n; i++)
		free((char *)headers[i].name);
	free(headers);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int da_http_header_parse(const char *line, size_t len, struct dnsacme_http_header *out)
{
	const char *colon = memchr(line, ':', len), *value;
	size_t name_len, value_len;
	char *copy;

	if (colon == NULL || colon == line)
		return 0; /* the blank line ending the headers, or junk */
	name_len = (size_t)(colon - line);
	value = colon + 1;
	value_len = len - name_len - 1;
	while (value_len > 0 && is_space(*value)) {
		value++;
		value_len--;
	}
	while (value_len > 0 && is_space(value[value_len - 1]))
		value_len--;
	copy = malloc(name_len + value_len + 2);
	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < name_len; i++)
		copy[i] = (char)tolower((unsigned char)line[i]);
	copy[name_len] = '\0';
	memcpy(copy + name_len + 1, value, value_len);
	copy[name_len + 1 + value_len] = '\0';
	out->name = copy;
	out->value = copy + name_len + 1;
	return 1;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct exchange *ex = userdata;
	size_t len = size * nmemb;
	struct dnsacme_http_header header, *grown;
	int parsed;

	/* A status line starts a new response (after 1xx, a redirect or a
	 * proxy's CONNECT answer): only the final response's headers count. */
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		free_headers(ex->headers, ex->n_headers);
		ex->headers = NULL;
		ex->n_headers = 0;
		return len;
	}
	parsed = da_http_header_parse(line, len, &header);
	if (parsed == 0)
		return len;
	if (parsed > 0 && ex->n_headers >= MAX_HEADERS) {
		free((char *)header.name);
		ex->too_large = 1;
		return 0;
	}
	grown = parsed > 0 ? realloc(ex->headers, (ex->n_headers + 1) * sizeof(*grown)) : NULL;
	if (grown == NULL) {
		if (parsed > 0)
			free((char *)header.name);
		ex->nomem = 1;
		return 0;
	}
	ex->headers = grown;
	ex->headers[ex->n_headers++] = header;
	return len;
}

static int has_line_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* The request's header list, with "Expect:" to skip the 100-continue round
 * trip libcurl would otherwise add to larger bodies. */
static enum da_code build_headers(const struct dnsacme_http_request *req, struct curl_slist **out,
				  struct da_err *err)
{
	struct curl_slist *list = NULL, *next;
	enum da_code code = DA_OK;

	for (size_t i = 0; i < req->n_headers && code == DA_OK; i++) {
		const struct dnsacme_http_header *h = &req->headers[i];
		struct da_buf line = {0};

		if (h->name == NULL || h->name[0] == '\0' || strpbrk(h->name, ":\r\n ") ||
		    has_line_break(h->value)) {
			code = da_err_set(err, DA_ERR_USAGE, "invalid HTTP request header '%s'",
					  h->name ? h->name : "(null)");
			break;
		}
		/* "Name;" is libcurl's way to send a header with an empty value. */
		if (h->value == NULL || h->value[0] == '\0') {
			if (da_buf_printf(&line, "%s;", h->name) != 0)
				code = DA_ERR_NOMEM;
		} else if (da_buf_printf(&line, "%s: %s", h->name, h->value) != 0) {
			code = DA_ERR_NOMEM;
		}
		if (code == DA_OK) {
			next = curl_slist_append(list, line.data);
			if (next == NULL)
				code = DA_ERR_NOMEM;
			else
				list = next;
		}
		da_buf_free(&line);
	}
	if (code == DA_OK) {
		next = curl_slist_append(list, "Expect:");
		if (next == NULL)
			code = DA_ERR_NOMEM;
		else
			list = next;
	}
	if (code == DA_ERR_NOMEM)
		da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (code != DA_OK) {
		curl_slist_free_all(list);
		return code;
	}
	*out = list;
	return DA_OK;
}

/* A PEM text for libcurl, which copies it. */
#define BLOB(pem) ((struct curl_blob){(void *)(pem), strlen(pem), CURL_BLOB_COPY})

static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
	struct da_http *http = arg;

	(void)curl;
	if (http_trust_install(http->trust, ssl_ctx, http->trust_error,
			       sizeof(http->trust_error)) != 0)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static int is_https_url(const char *url)
{
	return url != NULL && strncasecmp(url, "https://", 8) == 0;
}

/* Could a request that does not go direct pass a proxy spoken to over TLS?
 * libcurl's variables are read as it reads them, but every one is taken
 * (no_proxy is not), so a doubt falls on the side of libcurl reading the
 * CAs itself. */
static int https_proxy_possible(const struct da_http *http)
{
	static const char *const variables[] = {"https_proxy", "HTTPS_PROXY", "http_proxy",
						"all_proxy", "ALL_PROXY"};

	if (http->proxy != NULL)
		return is_https_url(http->proxy);
	for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++)
		if (is_https_url(getenv(variables[i])))
			return 1;
	return 0;
}

/* Every option, every time: curl_easy_reset() clears the previous request's
 * settings but keeps the connection cache. */
static CURLcode configure(struct da_http *http, const struct dnsacme_http_request *req,
			  struct curl_slist *headers, struct exchange *ex)
{
	CURL *c = http->curl;
	const char *body = req->body ? req->body : "";
	int bypass = direct(req); /* parses the URL: once */
	long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : http->timeout_ms;
	CURLcode rc = CURLE_OK;

	curl_easy_reset(c);
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms);
	SET(CURLOPT_USERAGENT, http->user_agent);
	SET(CURLOPT_ERRORBUFFER, http->curl_error);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, ex);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, ex);
	/* libcurl reads no CAs itself: on_ssl_ctx() hands each connection the
	 * store shared with the siblings (a bundle replaces the system store,
	 * not adds to it). Through an HTTPS proxy the callback would get the
	 * proxy's connection too, so there libcurl reads them as it would. */
	if (bypass || !https_proxy_possible(http)) {
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAPATH, NULL);
		SET(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		SET(CURLOPT_SSL_CTX_DATA, http);
		/* Else libcurl keeps the first connection's store (ours, as it
		 * finds it after the callback) and puts it back on every later
		 * one: a bundle read again would never be used. */
		SET(CURLOPT_CA_CACHE_TIMEOUT, 0L);
	} else if (http->ca_bundle != NULL) {
		SET(CURLOPT_CAINFO, http->ca_bundle);
		SET(CURLOPT_CAPATH, NULL);
	} else if (http->ca_pem != NULL) {
		SET(CURLOPT_CAINFO_BLOB, &BLOB(http->ca_pem));
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAPATH, NULL);
	}
	if (http->client_cert_pem != NULL && http->client_key_pem != NULL) {
		SET(CURLOPT_SSLCERT_BLOB, &BLOB(http->client_cert_pem));
		SET(CURLOPT_SSLKEY_BLOB, &BLOB(http->client_key_pem));
	}
	/* "" turns off the proxy, the environment's too. */
	if (bypass)
		SET(CURLOPT_PROXY, "");
	else if (http->proxy != NULL)
		SET(CURLOPT_PROXY, http->proxy);

	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL || strcmp(req->method, "POST") == 0) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			SET(CURLOPT_POSTFIELDS, body);
		}
	}
#undef SET
	return rc;
}

/* What a failed transfer means to the caller: is another attempt worth it? */
static enum da_code failure_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return DA_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
		return DA_ERR_TLS;
	default:
		return DA_ERR_NETWORK;
	}
}

static int valid_method(const char *method)
{
	if (method == NULL || method[0] == '\0')
		return 0;
	for (const char *p = method; *p; p++)
		if (!isupper((unsigned char)*p))
			return 0;
	return 1;
}

enum da_code da_http_do(struct da_http *http, const struct dnsacme_http_request *req,
			struct dnsacme_http_response *resp, struct da_err *err)
{
	struct exchange ex = {0};
	struct curl_slist *headers = NULL;
	char shown[512];
	curl_off_t elapsed_us = 0;
	enum da_code code;
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	if (req->url == NULL || !valid_method(req->method))
		return da_err_set(err, DA_ERR_USAGE, "invalid HTTP request (method or URL)");
	url_for_log(req->url, shown, sizeof(shown));
	code = build_headers(req, &headers, err);
	if (code != DA_OK)
		return code;

	http->curl_error[0] = '\0';
	http->trust_error[0] = '\0';
	rc = configure(http, req, headers, &ex);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(http->curl);
	curl_easy_getinfo(http->curl, CURLINFO_TOTAL_TIME_T, &elapsed_us);
	curl_slist_free_all(headers);

	if (rc == CURLE_OK) {
		size_t body_len = ex.body.len;
		char *body = da_buf_take(&ex.body);

		if (body == NULL) {
			code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		} else {
			curl_easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, &resp->status);
			resp->body_len = body_len;
			resp->body = body;
			resp->headers = ex.headers;
			resp->n_headers = ex.n_headers;
			da_logf(http->log, DNSACME_LOG_DEBUG, "%s %s -> %ld (%ld ms)", req->method,
				shown, resp->status, (long)(elapsed_us / 1000));
			return DA_OK;
		}
	} else if (ex.nomem) {
		code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	} else if (ex.too_large) {
		code = da_err_set(err, DA_ERR_PROTOCOL,
				  "%s %s: the answer is over 16 MiB or has over 256 headers",
				  req->method, shown);
	} else {
		const char *why = http->trust_error[0]	 ? http->trust_error
				  : http->curl_error[0] ? http->curl_error
							: curl_easy_strerror(rc);

		code = da_err_set(err, failure_code(rc), "%s %s: %s", req->method, shown, why);
		da_logf(http->log, DNSACME_LOG_DEBUG, "%s %s -> %s (%ld ms)", req->method, shown,
			why, (long)(elapsed_us / 1000));
	}
	da_buf_free(&ex.body);
	free_headers(ex.headers, ex.n_headers);
	return code;
}

void da_http_response_free(struct dnsacme_http_response *resp)
{
	if (resp == NULL)
		return;
	/* A body may hold a secret: a Kubernetes Secret, an STS key. */
	if (resp->body != NULL)
		explicit_bzero(resp->body, resp->body_len);
	free(resp->body);
	free_headers(resp->headers, resp->n_headers);
	memset(resp, 0, sizeof(*resp));
}

const char *da_http_header(const struct dnsacme_http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

const char **da_http_headers(const struct dnsacme_http_response *resp, const char *name,
			     size_t *n_out)
{
	const char **values = malloc((resp->n_headers + 1) * sizeof(*values));
	size_t n = 0;

	*n_out = 0;
	if (values == NULL)
		return NULL;
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			values[n++] = resp->headers[i].value;
	values[n] = NULL;
	*n_out = n;
	return values;
}

long da_http_retry_after_ms(const struct dnsacme_http_response *resp, time_t now)
{
	const char *value = da_http_header(resp, "retry-after");
	time_t when;

	if (value == NULL || value[0] == '\0')
		return -1;
	if (value[strspn(value, "0123456789")] == '\0') {
		unsigned long long seconds = 0;

		/* Saturate: "wait forever" and "wait a very long time" are alike. */
		for (const char *p = value; *p; p++) {
			seconds = seconds * 10 + (unsigned)(*p - '0');
			if (seconds > (unsigned long long)(LONG_MAX / 1000))
				return LONG_MAX / 1000 * 1000;
		}
		return (long)seconds * 1000;
	}
	when = curl_getdate(value, NULL);
	if (when == (time_t)-1)
		return -1;
	if (when <= now)
		return 0;
	if ((unsigned long long)(when - now) > (unsigned long long)(LONG_MAX / 1000))
		return LONG_MAX / 1000 * 1000;
	return (long)(when - now) * 1000;
}
