#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void put_encoded(FILE *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (is_unreserved(*p))
			fputc(*p, f);
		else
			fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

static int param_cmp(const void *a, const void *b)
{
	const struct r53_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

char *r53_params_encode(const struct r53_param *params, size_t n, int sorted)
{
	struct r53_param *order = NULL;
	const struct r53_param *list = params;
	char *out = NULL;
	size_t len, i;
	FILE *f;

	if (sorted && n > 1) {
		order = malloc(n * sizeof(*order));
		if (order == NULL)
			return NULL;
		memcpy(order, params, n * sizeof(*order));
		qsort(order, n, sizeof(*order), param_cmp);
		list = order;
	}
	f = open_memstream(&out, &len);
	if (f == NULL) {
		free(order);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc('&', f);
		put_encoded(f, list[i].name);
		fputc('=', f);
		put_encoded(f, list[i].value);
	}
	free(order);
	if (ferror(f) | fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

void r53_amz_date(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void to_hex(const unsigned char *md, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * len] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL))
		return -1;
	to_hex(md, md_len, out);
	return 0;
}

/* One link of the signing-key chain: out = HMAC-SHA256(key, msg). */
static int hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = sizeof(md);

	/* Through md, so key and out may be the same buffer. */
	if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), md,
		 &len) == NULL || len != 32)
		return -1;
	memcpy(out, md, 32);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

void r53_sigv4_free(struct r53_sigv4 *sig)
{
	free(sig->canonical_request);
	free(sig->string_to_sign);
	free(sig->authorization);
	memset(sig, 0, sizeof(*sig));
}

int r53_sigv4_sign(const struct r53_sigv4_request *req, struct r53_sigv4 *out)
{
	const char *signed_headers = req->session_token != NULL ?
		"host;x-amz-date;x-amz-security-token" : "host;x-amz-date";
	char body_hash[65], cr_hash[65], day[9], scope[128];
	unsigned char key[32];
	char *secret_key = NULL;
	size_t len;
	FILE *f;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memcpy(day, req->amz_date, 8);
	day[8] = '\0';
	snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", day, req->region, req->service);
	if (sha256_hex(req->body != NULL ? req->body : "", req->body_len, body_hash) != 0)
		return -1;

	f = open_memstream(&out->canonical_request, &len);
	if (f == NULL)
		return -1;
	fprintf(f, "%s\n%s\n%s\nhost:%s\nx-amz-date:%s\n", req->method, req->path, req->query,
		req->host, req->amz_date);
	if (req->session_token != NULL)
		fprintf(f, "x-amz-security-token:%s\n", req->session_token);
	fprintf(f, "\n%s\n%s", signed_headers, body_hash);
	if (ferror(f) | fclose(f))
		goto out;
	if (sha256_hex(out->canonical_request, len, cr_hash) != 0)
		goto out;
	if (asprintf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", req->amz_date, scope,
		     cr_hash) < 0) {
		out->string_to_sign = NULL;
		goto out;
	}

	if (asprintf(&secret_key, "AWS4%s", req->secret_access_key) < 0) {
		secret_key = NULL;
		goto out;
	}
	if (hmac(secret_key, strlen(secret_key), day, key) != 0 ||
	    hmac(key, sizeof(key), req->region, key) != 0 ||
	    hmac(key, sizeof(key), req->service, key) != 0 ||
	    hmac(key, sizeof(key), "aws4_request", key) != 0 ||
	    hmac(key, sizeof(key), out->string_to_sign, key) != 0)
		goto out;
	to_hex(key, sizeof(key), out->signature);
	if (asprintf(&out->authorization,
		     "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		     req->access_key_id, scope, signed_headers, out->signature) < 0) {
		out->authorization = NULL;
		goto out;
	}
	rc = 0;
out:
	if (secret_key != NULL) {
		OPENSSL_cleanse(secret_key, strlen(secret_key));
		free(secret_key);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0)
		r53_sigv4_free(out);
	return rc;
}
