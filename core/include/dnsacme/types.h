/*
 * The vocabulary the plugin ABI and the core share: statuses, log levels, a
 * TXT record, HTTP requests and responses. Part of the plugin ABI
 * (plugin.h includes it; DNSACME_PLUGIN_ABI_VERSION covers it); the core's
 * headers include this one, not plugin.h, when they need only the words.
 */
#ifndef DNSACME_TYPES_H
#define DNSACME_TYPES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DNSACME_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define DNSACME_EXPORT __attribute__((visibility("default")))
#else
#define DNSACME_PRINTF(fmt, args)
#define DNSACME_EXPORT
#endif

enum dnsacme_status {
	DNSACME_OK = 0,
	DNSACME_ERR_CONFIG,	/* an option is missing or invalid */
	DNSACME_ERR_AUTH,	/* the provider refused the credentials */
	DNSACME_ERR_DENIED,	/* authenticated, but not allowed to do this */
	DNSACME_ERR_API,	/* the provider refused the request */
	DNSACME_ERR_NETWORK,	/* the provider could not be reached */
	DNSACME_ERR_TIMEOUT,	/* gave up waiting */
	DNSACME_ERR_PROTOCOL,	/* the provider's answer made no sense */
	DNSACME_ERR_NOMEM,
	DNSACME_ERR_INTERNAL
};

enum dnsacme_log_level {
	DNSACME_LOG_ERROR = 0,
	DNSACME_LOG_WARN,
	DNSACME_LOG_INFO,
	DNSACME_LOG_DEBUG
};

/* One TXT value at one name. */
struct dnsacme_record {
	const char *fqdn;  /* where the TXT lives, CNAMEs already followed */
	const char *zone;  /* the core's zone hint (SOA walk); may be NULL */
	const char *value; /* the TXT text, no quotes */
	unsigned ttl;	   /* 0: the plugin's configured default */
};

struct dnsacme_http_header {
	const char *name;
	const char *value;
};

/* Request flags. */
#define DNSACME_HTTP_DIRECT 0x1u /* never through a proxy: metadata and credential agents */

struct dnsacme_http_request {
	const char *method; /* "GET", "POST", "PUT", "DELETE" */
	const char *url;    /* absolute; http:// allowed (tests, IMDS) */
	const struct dnsacme_http_header *headers;
	size_t n_headers;
	const char *body; /* may be NULL */
	size_t body_len;
	long timeout_ms; /* 0: the core's default */
	unsigned flags;	 /* DNSACME_HTTP_* */
};

/* Filled by host->http(); release with host->http_free(). */
struct dnsacme_http_response {
	long status;  /* HTTP status code */
	char *body;   /* NUL-terminated (body_len excludes the NUL) */
	size_t body_len;
	struct dnsacme_http_header *headers; /* names lower-cased */
	size_t n_headers;
};

#ifdef __cplusplus
}
#endif

#endif
