/* Alibaba Cloud request signatures, RPC V1 (HMAC-SHA1) and V3; see sign.h. */
#include "sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

void alidns_sb_append(struct alidns_sb *sb, const char *s, size_t len)
{
	if (sb->oom)
		return;
	if (sb->len + len + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		char *p;

		while (cap < sb->len + len + 1)
			cap *= 2;
		p = realloc(sb->data, cap);
		if (p == NULL) {
			sb->oom = 1;
			return;
		}
		sb->data = p;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void alidns_sb_puts(struct alidns_sb *sb, const char *s)
{
	alidns_sb_append(sb, s, strlen(s));
}

void alidns_sb_encode(struct alidns_sb *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~') {
			alidns_sb_append(sb, (const char *)p, 1);
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 0xf]};

			alidns_sb_append(sb, esc, sizeof(esc));
		}
	}
}

char *alidns_sb_take(struct alidns_sb *sb)
{
	char *s = sb->data;

	if (sb->oom) {
		free(sb->data);
		s = NULL;
	} else if (s == NULL) {
		s = strdup("");
	}
	memset(sb, 0, sizeof(*sb));
	return s;
}

void alidns_timestamp(time_t t, char buf[ALIDNS_TIMESTAMP_SIZE])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, ALIDNS_TIMESTAMP_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hex(const unsigned char *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct alidns_param *)a)->name,
		      ((const struct alidns_param *)b)->name);
}

static int has_param(const struct alidns_param *params, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, name) == 0)
			return 1;
	return 0;
}

/* Sort params (in place) and join them as enc(name)=enc(value)&...; the
 * canonical form of both signatures. A new string, or NULL. */
static char *canonical_query(struct alidns_param *params, size_t n)
{
	struct alidns_sb sb = {0};

	qsort(params, n, sizeof(*params), param_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			alidns_sb_puts(&sb, "&");
		alidns_sb_encode(&sb, params[i].name);
		alidns_sb_puts(&sb, "=");
		alidns_sb_encode(&sb, params[i].value);
	}
	return alidns_sb_take(&sb);
}

void alidns_signed_free(struct alidns_signed *s)
{
	free(s->canonical_query);
	free(s->string_to_sign);
	free(s->signature);
	free(s->query);
	memset(s, 0, sizeof(*s));
}

/* Base64(HMAC-SHA1(secret + "&", text)) as a new string, or NULL. */
static char *hmac_sha1_base64(const char *secret, const char *text)
{
	struct alidns_sb key = {0};
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char *k, *b64 = NULL;

	alidns_sb_puts(&key, secret);
	alidns_sb_puts(&key, "&"); /* mandatory, even though nothing follows it */
	k = alidns_sb_take(&key);
	if (k == NULL)
		return NULL;
	if (HMAC(EVP_sha1(), k, (int)strlen(k), (const unsigned char *)text, strlen(text), mac,
		 &mac_len) != NULL) {
		b64 = malloc(4 * ((mac_len + 2) / 3) + 1);
		if (b64 != NULL)
			EVP_EncodeBlock((unsigned char *)b64, mac, (int)mac_len);
	}
	OPENSSL_cleanse(k, strlen(k));
	free(k);
	return b64;
}

enum dnsacme_status alidns_sign(const struct alidns_sign_input *in,
				const struct alidns_param *params, size_t n_params,
				struct alidns_signed *out)
{
	const struct alidns_param common[] = {
		{"AccessKeyId", in->creds->access_key_id},
		{"Action", in->action},
		{"Format", "JSON"},
		{"SecurityToken", in->creds->security_token},
		{"SignatureMethod", "HMAC-SHA1"},
		{"SignatureNonce", in->nonce},
		{"SignatureVersion", "1.0"},
		{"Timestamp", in->timestamp},
		{"Version", in->version},
	};
	size_t n_common = sizeof(common) / sizeof(common[0]);
	struct alidns_param *all;
	struct alidns_sb sb = {0};
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	all = calloc(n_params + n_common, sizeof(*all));
	if (all == NULL)
		return DNSACME_ERR_NOMEM;
	for (size_t i = 0; i < n_params; i++)
		all[n++] = params[i];
	for (size_t i = 0; i < n_common; i++)
		if (common[i].value != NULL && !has_param(params, n_params, common[i].name))
			all[n++] = common[i];
	out->canonical_query = canonical_query(all, n);
	free(all);
	if (out->canonical_query == NULL)
		goto nomem;

	alidns_sb_puts(&sb, in->method);
	alidns_sb_puts(&sb, "&%2F&");
	alidns_sb_encode(&sb, out->canonical_query);
	out->string_to_sign = alidns_sb_take(&sb);
	if (out->string_to_sign == NULL)
		goto nomem;

	out->signature = hmac_sha1_base64(in->creds->access_key_secret, out->string_to_sign);
	if (out->signature == NULL) {
		alidns_signed_free(out);
		return DNSACME_ERR_INTERNAL;
	}

	alidns_sb_puts(&sb, out->canonical_query);
	alidns_sb_puts(&sb, "&Signature=");
	alidns_sb_encode(&sb, out->signature);
	out->query = alidns_sb_take(&sb);
	if (out->query == NULL)
		goto nomem;
	return DNSACME_OK;

nomem:
	alidns_signed_free(out);
	return DNSACME_ERR_NOMEM;
}

size_t alidns_v3_headers(const struct alidns_sign_input *in, const char *host,
			 const char *content_sha256, struct alidns_param *out)
{
	const char *token = in->creds->security_token;
	size_t n = 0;

	/* Already in byte order; the STS pair only with a security token, as the
	 * official SDK sends it. */
	out[n++] = (struct alidns_param){"host", host};
	if (token != NULL)
		out[n++] = (struct alidns_param){"x-acs-accesskey-id", in->creds->access_key_id};
	out[n++] = (struct alidns_param){"x-acs-action", in->action};
	out[n++] = (struct alidns_param){"x-acs-content-sha256", content_sha256};
	out[n++] = (struct alidns_param){"x-acs-date", in->timestamp};
	if (token != NULL)
		out[n++] = (struct alidns_param){"x-acs-security-token", token};
	out[n++] = (struct alidns_param){"x-acs-signature-nonce", in->nonce};
	out[n++] = (struct alidns_param){"x-acs-version", in->version};
	return n;
}

void alidns_signed_v3_free(struct alidns_signed_v3 *s)
{
	free(s->canonical_query);
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->authorization);
	memset(s, 0, sizeof(*s));
}

enum dnsacme_status alidns_sign_v3(const struct alidns_sign_input *in, const char *host,
				   const struct alidns_param *params, size_t n_params,
				   struct alidns_signed_v3 *out)
{
	struct alidns_param headers[ALIDNS_V3_MAX_HEADERS], *sorted;
	unsigned char digest[SHA256_DIGEST_LENGTH], mac[EVP_MAX_MD_SIZE];
	char digest_hex[2 * SHA256_DIGEST_LENGTH + 1], mac_hex[2 * EVP_MAX_MD_SIZE + 1];
	enum dnsacme_status st = DNSACME_ERR_NOMEM;
	struct alidns_sb sb = {0};
	unsigned int mac_len = 0;
	char *names = NULL;
	size_t n_headers;

	memset(out, 0, sizeof(*out));
	SHA256((const unsigned char *)"", 0, digest);
	hex(digest, sizeof(digest), out->content_sha256);
	n_headers = alidns_v3_headers(in, host, out->content_sha256, headers);
	for (size_t i = 0; i < n_headers; i++) {
		if (i > 0)
			alidns_sb_puts(&sb, ";");
		alidns_sb_puts(&sb, headers[i].name);
	}
	names = alidns_sb_take(&sb);

	sorted = calloc(n_params ? n_params : 1, sizeof(*sorted));
	if (sorted != NULL) {
		memcpy(sorted, params, n_params * sizeof(*sorted));
		out->canonical_query = canonical_query(sorted, n_params);
		free(sorted);
	}
	if (names == NULL || out->canonical_query == NULL)
		goto out;

	alidns_sb_puts(&sb, in->method);
	alidns_sb_puts(&sb, "\n/\n");
	alidns_sb_puts(&sb, out->canonical_query);
	alidns_sb_puts(&sb, "\n");
	for (size_t i = 0; i < n_headers; i++) {
		alidns_sb_puts(&sb, headers[i].name);
		alidns_sb_puts(&sb, ":");
		alidns_sb_puts(&sb, headers[i].value);
		alidns_sb_puts(&sb, "\n");
	}
	/* The header lines end in a newline already: an empty line follows. */
	alidns_sb_puts(&sb, "\n");
	alidns_sb_puts(&sb, names);
	alidns_sb_puts(&sb, "\n");
	alidns_sb_puts(&sb, out->content_sha256);
	out->canonical_request = alidns_sb_take(&sb);
	if (out->canonical_request == NULL)
		goto out;

	SHA256((const unsigned char *)out->canonical_request, strlen(out->canonical_request),
	       digest);
	hex(digest, sizeof(digest), digest_hex);
	alidns_sb_puts(&sb, "ACS3-HMAC-SHA256\n");
	alidns_sb_puts(&sb, digest_hex);
	out->string_to_sign = alidns_sb_take(&sb);
	if (out->string_to_sign == NULL)
		goto out;

	/* Unlike V1, the key is the bare secret. */
	if (HMAC(EVP_sha256(), in->creds->access_key_secret,
		 (int)strlen(in->creds->access_key_secret),
		 (const unsigned char *)out->string_to_sign, strlen(out->string_to_sign), mac,
		 &mac_len) == NULL) {
		st = DNSACME_ERR_INTERNAL;
		goto out;
	}
	hex(mac, mac_len, mac_hex);
	alidns_sb_puts(&sb, "ACS3-HMAC-SHA256 Credential=");
	alidns_sb_puts(&sb, in->creds->access_key_id);
	alidns_sb_puts(&sb, ",SignedHeaders=");
	alidns_sb_puts(&sb, names);
	alidns_sb_puts(&sb, ",Signature=");
	alidns_sb_puts(&sb, mac_hex);
	out->authorization = alidns_sb_take(&sb);
	if (out->authorization != NULL)
		st = DNSACME_OK;
out:
	free(names);
	if (st != DNSACME_OK)
		alidns_signed_v3_free(out);
	return st;
}
