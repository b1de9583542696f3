#include "crypto/crypto.h"
#include "crypto/internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "base/b64.h"
#include "base/buf.h"

/* How a key signs: its JWS alg, the digest, and the ECDSA r/s width (0 for
 * RSA, whose PKCS#1 v1.5 signature is used as is). */
struct jws_method {
	const char *alg;
	const char *digest;
	size_t ec_width;
};

static const struct jws_method *jws_method(const EVP_PKEY *key)
{
	static const struct jws_method es256 = {"ES256", "SHA256", 32};
	static const struct jws_method es384 = {"ES384", "SHA384", 48};
	static const struct jws_method rs256 = {"RS256", "SHA256", 0};
	enum da_key_type type;

	if (da_crypto_key_type_of(key, &type, NULL) != DA_OK)
		return NULL;
	switch (type) {
	case DA_KEY_EC256: return &es256;
	case DA_KEY_EC384: return &es384;
	case DA_KEY_RSA2048:
	case DA_KEY_RSA3072:
	case DA_KEY_RSA4096: return &rs256;
	}
	return NULL;
}

const char *da_crypto_jws_alg(const EVP_PKEY *key)
{
	const struct jws_method *m = jws_method(key);

	return m ? m->alg : NULL;
}

enum da_code da_crypto_ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t width,
					unsigned char *raw, struct da_err *err)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	enum da_code rc = DA_OK;

	if (sig == NULL || p != der + der_len) {
		ECDSA_SIG_free(sig);
		return da_crypto_fail(err, "decoding an ECDSA signature");
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, (int)width) < 0 || BN_bn2binpad(s, raw + width, (int)width) < 0)
		rc = da_err_set(err, DA_ERR_CRYPTO, "ECDSA signature wider than %zu bytes", width);
	ECDSA_SIG_free(sig);
	return rc;
}

enum da_code da_crypto_ecdsa_raw_to_der(const unsigned char *raw, size_t width,
					unsigned char **der_out, size_t *der_len,
					struct da_err *err)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)width, NULL);
	BIGNUM *s = BN_bin2bn(raw + width, (int)width, NULL);
	enum da_code rc = DA_OK;
	unsigned char *p;
	int len;

	if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return da_crypto_fail(err, "building an ECDSA signature");
	}
	/* sig owns r and s now. */
	len = i2d_ECDSA_SIG(sig, NULL);
	*der_out = len > 0 ? malloc((size_t)len) : NULL;
	p = *der_out;
	if (*der_out == NULL || i2d_ECDSA_SIG(sig, &p) != len) {
		free(*der_out);
		rc = da_crypto_fail(err, "encoding an ECDSA signature");
	} else {
		*der_len = (size_t)len;
	}
	ECDSA_SIG_free(sig);
	return rc;
}

enum da_code da_crypto_jws_sign_input(EVP_PKEY *key, const char *input, char **sig_out,
				      struct da_err *err)
{
	const struct jws_method *m = jws_method(key);
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL, raw[2 * 48];
	size_t sig_len = 0, in_len = strlen(input);
	enum da_code rc = DA_OK;

	if (m == NULL)
		return da_err_set(err, DA_ERR_CRYPTO, "unsupported key for JWS");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, m->digest, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)input, in_len) != 1) {
		rc = da_crypto_fail(err, "signing");
		goto out;
	}
	sig = malloc(sig_len);
	if (sig == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)input, in_len) != 1) {
		rc = da_crypto_fail(err, "signing");
		goto out;
	}
	/* RSA's PKCS#1 v1.5 signature goes out as is; ECDSA's DER becomes r||s. */
	if (m->ec_width != 0) {
		rc = da_crypto_ecdsa_der_to_raw(sig, sig_len, m->ec_width, raw, err);
		if (rc == DA_OK)
			*sig_out = da_b64url_encode(raw, 2 * m->ec_width);
	} else {
		*sig_out = da_b64url_encode(sig, sig_len);
	}
	if (rc == DA_OK && *sig_out == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

enum da_code da_crypto_jws_verify(EVP_PKEY *key, const char *protected_b64, const char *payload_b64,
				  const char *signature_b64, struct da_err *err)
{
	const struct jws_method *m = jws_method(key);
	unsigned char *sig, *der = NULL;
	size_t sig_len, der_len;
	EVP_MD_CTX *ctx = NULL;
	struct da_buf input = {0};
	enum da_code rc = DA_OK;

	if (m == NULL)
		return da_err_set(err, DA_ERR_CRYPTO, "unsupported key for JWS");
	sig = da_b64url_decode(signature_b64, &sig_len);
	if (sig == NULL)
		return da_err_set(err, DA_ERR_CRYPTO, "JWS signature is not base64url");
	if (m->ec_width != 0) {
		if (sig_len != 2 * m->ec_width) {
			rc = da_err_set(err, DA_ERR_CRYPTO, "%s signature is %zu bytes, not %zu",
					m->alg, sig_len, 2 * m->ec_width);
			goto out;
		}
		rc = da_crypto_ecdsa_raw_to_der(sig, m->ec_width, &der, &der_len, err);
		if (rc != DA_OK)
			goto out;
	}
	if (da_buf_printf(&input, "%s.%s", protected_b64, payload_b64) != 0) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, m->digest, NULL, NULL, key, NULL) != 1) {
		rc = da_crypto_fail(err, "setting up JWS verification");
		goto out;
	}
	if (EVP_DigestVerify(ctx, der ? der : sig, der ? der_len : sig_len,
			     (const unsigned char *)input.data, input.len) != 1)
		rc = da_crypto_fail(err, "verifying the JWS signature");
out:
	EVP_MD_CTX_free(ctx);
	da_buf_free(&input);
	free(der);
	free(sig);
	return rc;
}

enum da_code da_crypto_jws_hs256(const unsigned char *key, size_t key_len,
				 const char *signing_input, char **sig_out, struct da_err *err)
{
	unsigned char mac[32];

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len,
		      (const unsigned char *)signing_input, strlen(signing_input), mac, sizeof(mac),
		      NULL) == NULL)
		return da_crypto_fail(err, "HMAC-SHA-256");
	*sig_out = da_b64url_encode(mac, sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (*sig_out == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

static enum da_code sign_here(void *key, const char *input, char **sig_out, struct da_err *err)
{
	return da_crypto_jws_sign_input(key, input, sig_out, err);
}

struct da_signer da_crypto_signer_of(EVP_PKEY *key)
{
	return (struct da_signer){.public_key = key, .sign = sign_here, .ctx = key};
}

/* Who signs a JWS: a signer, or an HMAC key (hmac) when signer is NULL. */
struct jws_signer {
	const struct da_signer *signer;
	const unsigned char *hmac;
	size_t hmac_len;
};

/*
 * The flattened JSON serialization (RFC 7515 7.2.2) of a JWS with this
 * protected header over the bytes of payload ("" allowed), in *out
 * (json_decref()).
 */
static enum da_code jws_build(const json_t *header, const char *payload,
			      const struct jws_signer *signer, json_t **out, struct da_err *err)
{
	char *header_text = json_dumps(header, JSON_COMPACT);
	char *protected_b64 = NULL, *payload_b64 = NULL, *sig = NULL;
	struct da_buf input = {0};
	enum da_code rc = DA_OK;

	if (header_text != NULL)
		protected_b64 = da_b64url_encode(header_text, strlen(header_text));
	payload_b64 = da_b64url_encode(payload, strlen(payload));
	if (protected_b64 == NULL || payload_b64 == NULL ||
	    da_buf_printf(&input, "%s.%s", protected_b64, payload_b64) != 0) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (signer->signer != NULL)
		rc = signer->signer->sign(signer->signer->ctx, input.data, &sig, err);
	else
		rc = da_crypto_jws_hs256(signer->hmac, signer->hmac_len, input.data, &sig, err);
	if (rc != DA_OK)
		goto out;
	*out = json_pack("{s:s, s:s, s:s}", "protected", protected_b64, "payload", payload_b64,
			 "signature", sig);
	if (*out == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
out:
	free(sig);
	da_buf_free(&input);
	free(payload_b64);
	free(protected_b64);
	free(header_text);
	return rc;
}

enum da_code da_crypto_jws_sign(const struct da_signer *by, const char *kid, const char *nonce,
				const char *url, const char *payload, char **body_out,
				struct da_err *err)
{
	const struct jws_signer signer = {by, NULL, 0};
	const char *alg = da_crypto_jws_alg(by->public_key);
	json_t *header, *jwk, *jws = NULL;
	enum da_code rc = DA_OK;

	if (alg == NULL)
		return da_err_set(err, DA_ERR_CRYPTO, "unsupported key for JWS");
	header = json_pack("{s:s, s:s}", "alg", alg, "url", url);
	if (header == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (nonce != NULL && json_object_set_new(header, "nonce", json_string(nonce)) != 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK && kid != NULL) {
		if (json_object_set_new(header, "kid", json_string(kid)) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	} else if (rc == DA_OK) {
		rc = da_crypto_jwk_public(by->public_key, &jwk, err);
		if (rc == DA_OK && json_object_set_new(header, "jwk", jwk) != 0)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (rc == DA_OK)
		rc = jws_build(header, payload ? payload : "", &signer, &jws, err);
	json_decref(header);
	if (rc != DA_OK)
		return rc;
	*body_out = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	if (*body_out == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

enum da_code da_crypto_jws_eab(const EVP_PKEY *account_key, const char *eab_kid,
			       const char *hmac_key_b64url, const char *new_account_url,
			       json_t **out, struct da_err *err)
{
	struct jws_signer signer = {0};
	unsigned char *hmac_key;
	size_t hmac_key_len = 0;
	char *jwk_text = NULL;
	json_t *header = NULL, *jwk = NULL;
	enum da_code rc;

	hmac_key = da_b64url_decode(hmac_key_b64url, &hmac_key_len);
	if (hmac_key == NULL || hmac_key_len == 0) {
		free(hmac_key);
		return da_err_set(err, DA_ERR_USAGE, "the EAB HMAC key is not valid base64url");
	}
	rc = da_crypto_jwk_public(account_key, &jwk, err);
	if (rc != DA_OK)
		goto out;
	jwk_text = json_dumps(jwk, JSON_COMPACT);
	header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url",
			   new_account_url);
	if (jwk_text == NULL || header == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	signer.hmac = hmac_key;
	signer.hmac_len = hmac_key_len;
	rc = jws_build(header, jwk_text, &signer, out, err);
out:
	free(jwk_text);
	json_decref(header);
	json_decref(jwk);
	OPENSSL_cleanse(hmac_key, hmac_key_len);
	free(hmac_key);
	return rc;
}
