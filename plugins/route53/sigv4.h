/*
 * AWS Signature Version 4 as Route 53 and STS use it. Pure functions: no clock,
 * no I/O, so tests reproduce botocore's vectors byte for byte.
 */
#ifndef R53_SIGV4_H
#define R53_SIGV4_H

#include <stddef.h>
#include <time.h>

/* One query or form parameter; name and value unencoded. */
struct r53_param {
	const char *name;
	const char *value;
};

/*
 * Percent-encode the pairs (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay literal)
 * and join them "name=value&...": in the given order when sorted is 0 (what
 * goes on the wire), sorted by name then value when sorted is 1 (the canonical
 * query). Returns an allocation (free()), "" for n == 0, NULL when out of memory.
 */
char *r53_params_encode(const struct r53_param *params, size_t n, int sorted);

/* "YYYYMMDDTHHMMSSZ" for t (UTC) into out[17]. */
void r53_amz_date(time_t t, char out[17]);

struct r53_sigv4_request {
	const char *method;	  /* "GET", "POST" */
	const char *host;	  /* Host header: host, or host:port when not default */
	const char *path;	  /* as sent, e.g. "/2013-04-01/hostedzone/Z1/rrset/" */
	const char *query;	  /* canonical query (r53_params_encode(..., 1)); "" */
	const char *body;	  /* NULL or body_len bytes */
	size_t body_len;
	const char *amz_date;	  /* X-Amz-Date value */
	const char *region;	  /* credential scope region, e.g. "us-east-1" */
	const char *service;	  /* "route53", "sts" */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term keys */
};

/* Every intermediate step, so tests can compare each one. */
struct r53_sigv4 {
	char *canonical_request; /* owned */
	char *string_to_sign;	 /* owned */
	char signature[65];	 /* lower-case hex */
	char *authorization;	 /* owned: the Authorization header value */
};

/* Sign req into *out (release with r53_sigv4_free()). 0, or -1 when out of
 * memory or OpenSSL fails (then *out holds nothing). */
int r53_sigv4_sign(const struct r53_sigv4_request *req, struct r53_sigv4 *out);
void r53_sigv4_free(struct r53_sigv4 *sig);

#endif
