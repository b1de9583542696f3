#include "crypto/crypto.h"
#include "crypto/internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

#include "base/b64.h"

enum da_code da_crypto_sha256_b64url(const void *data, size_t len, char **out,
				     struct da_err *err)
{
	unsigned char md[32];

	if (!EVP_Q_digest(NULL, "SHA256", NULL, data, len, md, NULL))
		return da_crypto_fail(err, "SHA-256");
	*out = da_b64url_encode(md, sizeof(md));
	if (*out == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

/* Set obj[name] to base64url of a key parameter, big-endian, left-padded to
 * width bytes (RFC 7518 6.2.1.2 wants fixed-width EC coordinates) or minimal
 * when width is 0 (6.3.1: RSA n and e). */
static enum da_code put_bn(json_t *obj, const char *name, const EVP_PKEY *key,
			   const char *param, size_t width, struct da_err *err)
{
	BIGNUM *bn = NULL;
	unsigned char *bytes = NULL;
	char *text = NULL;
	enum da_code rc = DA_OK;
	int len;

	if (!EVP_PKEY_get_bn_param(key, param, &bn))
		return da_crypto_fail(err, "reading a public key parameter");
	len = width ? (int)width : BN_num_bytes(bn);
	bytes = malloc(len > 0 ? (size_t)len : 1);
	if (bytes == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (BN_bn2binpad(bn, bytes, len) != len) {
		rc = da_crypto_fail(err, "encoding a public key parameter");
		goto out;
	}
	text = da_b64url_encode(bytes, (size_t)len);
	if (text == NULL || json_object_set_new(obj, name, json_string(text)) != 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
out:
	free(text);
	free(bytes);
	BN_free(bn);
	return rc;
}

enum da_code da_crypto_jwk_public(const EVP_PKEY *key, json_t **out, struct da_err *err)
{
	enum da_key_type type;
	enum da_code rc;
	json_t *jwk;

	rc = da_crypto_key_type_of(key, &type, err);
	if (rc != DA_OK)
		return rc;
	jwk = json_object();
	if (jwk == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (type == DA_KEY_EC256 || type == DA_KEY_EC384) {
		size_t width = type == DA_KEY_EC256 ? 32 : 48;

		if (json_object_set_new(jwk, "kty", json_string("EC")) != 0 ||
		    json_object_set_new(jwk, "crv",
					json_string(type == DA_KEY_EC256 ? "P-256" : "P-384")) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		if (rc == DA_OK)
			rc = put_bn(jwk, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, width, err);
		if (rc == DA_OK)
			rc = put_bn(jwk, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, width, err);
	} else {
		if (json_object_set_new(jwk, "kty", json_string("RSA")) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		if (rc == DA_OK)
			rc = put_bn(jwk, "n", key, OSSL_PKEY_PARAM_RSA_N, 0, err);
		if (rc == DA_OK)
			rc = put_bn(jwk, "e", key, OSSL_PKEY_PARAM_RSA_E, 0, err);
	}
	if (rc != DA_OK) {
		json_decref(jwk);
		return rc;
	}
	*out = jwk;
	return DA_OK;
}

enum da_code da_crypto_jwk_thumbprint(const EVP_PKEY *key, char **out, struct da_err *err)
{
	json_t *jwk;
	char *canonical;
	enum da_code rc;

	rc = da_crypto_jwk_public(key, &jwk, err);
	if (rc != DA_OK)
		return rc;
	/* RFC 7638 3.2: only the required members, sorted, no whitespace. The
	 * JWK holds exactly those, and base64url values need no escaping. */
	canonical = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(jwk);
	if (canonical == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = da_crypto_sha256_b64url(canonical, strlen(canonical), out, err);
	free(canonical);
	return rc;
}

enum da_code da_crypto_dns01_txt_value(const char *token, const char *thumbprint, char **out,
				       struct da_err *err)
{
	size_t tlen = strlen(token), plen = strlen(thumbprint);
	char *key_authz = malloc(tlen + 1 + plen + 1);
	enum da_code rc;

	if (key_authz == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	memcpy(key_authz, token, tlen);
	key_authz[tlen] = '.';
	memcpy(key_authz + tlen + 1, thumbprint, plen + 1);
	rc = da_crypto_sha256_b64url(key_authz, tlen + 1 + plen, out, err);
	free(key_authz);
	return rc;
}
