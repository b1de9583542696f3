/*
 * Alibaba Cloud RPC request signing, SignatureMethod HMAC-SHA1 /
 * SignatureVersion 1.0 (spec: providers.md A.5). Pure functions: the caller
 * supplies the clock and the nonce, so tests reproduce the SDK's vectors.
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

/* "YYYY-MM-DDThh:mm:ssZ" (UTC) into buf; the format both signatures use. */
#define ALIDNS_TIMESTAMP_SIZE 21
void alidns_timestamp(time_t t, char buf[ALIDNS_TIMESTAMP_SIZE]);

#endif
