/*
 * The one libcurl wrapper: every HTTP exchange of the core and of the plugins
 * (host->http) goes through it, so timeouts, the CA bundle, the proxy and
 * logging are set in one place. One call is one attempt: retry policy belongs
 * to the protocol above (ACME re-signs with a fresh nonce, cloud APIs re-sign
 * with a fresh timestamp).
 */
#ifndef DA_HTTP_HTTP_H
#define DA_HTTP_HTTP_H

#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "dnsacme/types.h" /* struct dnsacme_http_request / _response */

struct da_http_config {
	/* PEM file of the only CAs trusted; NULL: the system store. The ACME
	 * client and the providers' client are separate so that --ca-bundle
	 * replaces the trust of the CA connection and of nothing else. */
	const char *ca_bundle;
	/* Instead of ca_bundle: the trusted CAs as PEM text (a kubeconfig's
	 * certificate-authority-data, a service account's ca.crt). */
	const char *ca_pem;
	/* A TLS client certificate and its key (secret), as PEM text; or NULL. */
	const char *client_cert_pem;
	const char *client_key_pem;
	const char *proxy;	 /* NULL: libcurl's environment (HTTPS_PROXY, ...) */
	long timeout_ms;	 /* whole exchange; 0: 30 s */
	long connect_timeout_ms; /* 0: 10 s */
	const char *user_agent;	 /* NULL: "dnsacme/<version>" */
};

struct da_http; /* opaque: one reusable libcurl handle */

/* Create a client; *out is freed with da_http_free(). cfg (NULL: all
 * defaults) and its strings are copied; log (may be NULL) is borrowed. */
enum da_code da_http_new(struct da_http **out, const struct da_http_config *cfg,
			 const struct da_log *log, struct da_err *err);

/* Another client with of's settings, logging to log (borrowed, may be
 * NULL), for requests on a connection of its own. The two share the trusted
 * CAs, read once for both (and again when the bundle file changes); each is
 * used by one thread at a time and freed with da_http_free(), in any order. */
enum da_code da_http_new_sibling(struct da_http **out, const struct da_http *of,
				 const struct da_log *log, struct da_err *err);
void da_http_free(struct da_http *http);

/* Read the trusted CAs now rather than at the first connection, so that the
 * processes forked after this share them: DA_ERR_TLS when the bundle cannot
 * be read. */
enum da_code da_http_read_trust(struct da_http *http, struct da_err *err);

/*
 * One exchange. On DA_OK *resp holds the answer, of any HTTP status; free it
 * with da_http_response_free(). Otherwise *resp is left empty and the code is
 * DA_ERR_NETWORK or DA_ERR_TIMEOUT (the server could not be reached or did not
 * answer in time), DA_ERR_TLS (its certificate did not verify: not worth
 * retrying), DA_ERR_PROTOCOL (answer over 16 MiB or 256 headers),
 * DA_ERR_USAGE (a method that is not upper-case letters, a header holding a
 * line break) or DA_ERR_NOMEM. Redirects are not followed. No proxy is used
 * for req->flags & DNSACME_HTTP_DIRECT, nor for a host that is "localhost" or
 * a loopback or link-local address (metadata and credential agents: their
 * tokens must not cross a proxy). A debug line
 * "POST https://host/path -> 201 (12 ms)" is logged per exchange; bodies never
 * are, and URLs are shown without userinfo or query.
 */
enum da_code da_http_do(struct da_http *http, const struct dnsacme_http_request *req,
			struct dnsacme_http_response *resp, struct da_err *err);
void da_http_response_free(struct dnsacme_http_response *resp);

/*
 * One raw header line ("Name: value\r\n", not NUL-terminated) into *out:
 * the name lower-cased, the value without surrounding blanks, both in one
 * allocation starting at out->name (free() that). Returns 1 for a header, 0
 * for a line that is none (the blank line, junk), -1 when out of memory.
 */
int da_http_header_parse(const char *line, size_t len, struct dnsacme_http_header *out);

/* A response header's value (name case-insensitive), or NULL. */
const char *da_http_header(const struct dnsacme_http_response *resp, const char *name);

/*
 * Every value of a repeated header, e.g. each Link; *n_out set. Returns a
 * NULL-terminated array of pointers into resp (free() the array only), empty
 * when there is none; NULL only when out of memory.
 */
const char **da_http_headers(const struct dnsacme_http_response *resp, const char *name,
			     size_t *n_out);

/* Where a URL's host points, read with the parser libcurl connects with. */
enum da_http_host {
	DA_HTTP_HOST_INVALID = 0, /* not a URL with a host */
	DA_HTTP_HOST_REMOTE,
	DA_HTTP_HOST_LOOPBACK,	  /* "localhost", 127.0.0.0/8, [::1] */
	DA_HTTP_HOST_LINK_LOCAL	  /* 169.254.0.0/16, [fe80::/10], the EKS agent [fd00:ec2::23] */
};
enum da_http_host da_http_url_host(const char *url);

/* Retry-After (delta-seconds or HTTP-date, RFC 9110 10.2.3) in milliseconds
 * from now, or -1 when absent or unparseable. */
long da_http_retry_after_ms(const struct dnsacme_http_response *resp, time_t now);

#endif
