/*
 * Alibaba Cloud request signing: the RPC signature (SignatureMethod HMAC-SHA1,
 * SignatureVersion 1.0; providers.md A.5) and V3 (ACS3-HMAC-SHA256; A.6).
 * Pure functions: the caller supplies the clock and the nonce, so tests
 * reproduce the SDKs' vectors.
 *
 * Also the plugin's small string builder, shared by its other files.
 */
#ifndef ALIDNS_SIGN_H
#define ALIDNS_SIGN_H

#include <stddef.h>
#include <time.h>

#include "dnsacme/plugin.h"

/* A growable NUL-terminated string. An allocation failure is sticky: later
 * appends do nothing and alidns_sb_take() returns NULL, so a builder checks
 * once at the end. */
struct alidns_sb {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	int oom;
};

void alidns_sb_append(struct alidns_sb *sb, const char *s, size_t len);
void alidns_sb_puts(struct alidns_sb *sb, const char *s);
/* Percent-encode s as the RPC signature wants: RFC 3986 unreserved
 * characters stay, every other byte becomes %XX with upper-case hex. */
void alidns_sb_encode(struct alidns_sb *sb, const char *s);
/* The text (free() it), "" when empty, NULL after an allocation failure. */
char *alidns_sb_take(struct alidns_sb *sb);

struct alidns_param {
	const char *name;
	const char *value;
};

struct alidns_credentials {
	const char *access_key_id;
	const char *access_key_secret;
	const char *security_token; /* NULL unless STS */
};

/* What is signed besides the action's own parameters. */
struct alidns_sign_input {
	const char *method;    /* "GET" or "POST" */
	const char *action;    /* e.g. "AddDomainRecord" */
	const char *version;   /* API version, e.g. "2015-01-09" */
	const char *timestamp; /* alidns_timestamp() */
	const char *nonce;     /* fresh per request */
	const struct alidns_credentials *creds;
};

/* Everything the signature produced; every member is owned (free with
 * alidns_signed_free()). */
struct alidns_signed {
	char *canonical_query; /* sorted enc(name)=enc(value) joined by & */
	char *string_to_sign;  /* METHOD&%2F&enc(canonical_query) */
	char *signature;       /* Base64(HMAC-SHA1(secret + "&", string_to_sign)) */
	char *query;	       /* canonical_query&Signature=enc(signature): the
				  GET query string or the POST form body */
};

/*
 * Sign an action with its parameters. The common parameters (Action, Version,
 * Format=JSON, AccessKeyId, SignatureMethod, SignatureVersion, SignatureNonce,
 * Timestamp and, with STS, SecurityToken) are added unless params already
 * holds one of that name, which then wins (e.g. Format=XML). Parameter names
 * must be unique. Returns DNSACME_OK and fills *out, or DNSACME_ERR_NOMEM /
 * DNSACME_ERR_INTERNAL (OpenSSL failed) with *out left empty.
 */
enum dnsacme_status alidns_sign(const struct alidns_sign_input *in,
				const struct alidns_param *params, size_t n_params,
				struct alidns_signed *out);
void alidns_signed_free(struct alidns_signed *s);

/*
 * Signature V3, ACS3-HMAC-SHA256 (A.6). The action's parameters travel in the
 * query, the body is empty; timestamp and nonce go in x-acs-* headers.
 */
#define ALIDNS_V3_MAX_HEADERS 8

/* The signed headers of a V3 request, sorted by name, with values pointing
 * into in and content_sha256 (hex SHA-256 of the empty body). host is the
 * URL's authority ("alidns.aliyuncs.com", "127.0.0.1:8080"). Returns how many
 * of out[ALIDNS_V3_MAX_HEADERS] it filled. */
size_t alidns_v3_headers(const struct alidns_sign_input *in, const char *host,
			 const char *content_sha256, struct alidns_param *out);

/* Owned results (free with alidns_signed_v3_free()). */
struct alidns_signed_v3 {
	char *canonical_query;	 /* the request's query string ("" when none) */
	char *canonical_request;
	char *string_to_sign;	 /* "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical_request)) */
	char *authorization;	 /* the Authorization header's value */
	char content_sha256[65]; /* the x-acs-content-sha256 header's value */
};

/* Sign in (in->timestamp is x-acs-date, in->nonce x-acs-signature-nonce) for
 * host. DNSACME_OK, or DNSACME_ERR_NOMEM / _INTERNAL with *out left empty. */
enum dnsacme_status alidns_sign_v3(const struct alidns_sign_input *in, const char *host,
				   const struct alidns_param *params, size_t n_params,
				   struct alidns_signed_v3 *out);
void alidns_signed_v3_free(struct alidns_signed_v3 *s);

/* "YYYY-MM-DDThh:mm:ssZ" (UTC) into buf; the format both signatures use. */
#define ALIDNS_TIMESTAMP_SIZE 21
void alidns_timestamp(time_t t, char buf[ALIDNS_TIMESTAMP_SIZE]);

#endif
