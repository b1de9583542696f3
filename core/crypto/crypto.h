/*
 * Keys, JWK and thumbprints, JWS signatures, CSRs and certificate inspection:
 * everything dnsacme asks of OpenSSL 3 (EVP interfaces only).
 *
 * Keys are plain EVP_PKEY pointers: the caller owns what a function returns
 * through EVP_PKEY **out and frees it with EVP_PKEY_free(). Functions that
 * take a key only borrow it; those that sign take it non-const because
 * OpenSSL's signing calls do.
 */
#ifndef DA_CRYPTO_CRYPTO_H
#define DA_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/buf.h" /* da_secret_free */
#include "base/error.h"

/* ----------------------------------------------------------------- keys */

enum da_key_type {
	DA_KEY_EC256 = 0, /* ECDSA P-256, the default for accounts and certificates */
	DA_KEY_EC384,
	DA_KEY_RSA2048,
	DA_KEY_RSA3072,
	DA_KEY_RSA4096
};

/* "ec256", "ec384", "rsa2048", "rsa3072", "rsa4096" <-> the enum.
 * parse fails with DA_ERR_USAGE naming the accepted values. */
enum da_code da_crypto_key_type_parse(const char *name, enum da_key_type *out, struct da_err *err);
const char *da_crypto_key_type_name(enum da_key_type type);

/* What kind of key this is; DA_ERR_CRYPTO for any other algorithm or size. */
enum da_code da_crypto_key_type_of(const EVP_PKEY *key, enum da_key_type *out, struct da_err *err);

/* A new private key in *out (EVP_PKEY_free()). */
enum da_code da_crypto_key_generate(enum da_key_type type, EVP_PKEY **out, struct da_err *err);

/*
 * The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"),
 * NUL-terminated, in *pem_out. It is secret: free it with da_secret_free()
 * (base/buf.h), which wipes it first.
 */
enum da_code da_crypto_key_to_pem(const EVP_PKEY *key, char **pem_out, struct da_err *err);

/* Read a private key from PEM (PKCS#8, or the traditional "EC PRIVATE KEY" /
 * "RSA PRIVATE KEY" forms) into *out (EVP_PKEY_free()). Only the key types
 * above are accepted. */
enum da_code da_crypto_key_from_pem(const char *pem, EVP_PKEY **out, struct da_err *err);

/* ------------------------------------------------------ JWK, thumbprint */

/* The public key as a JWK object (RFC 7518 6.2 / 6.3: kty, crv, x, y or
 * kty, n, e) in *out; release with json_decref(). */
enum da_code da_crypto_jwk_public(const EVP_PKEY *key, json_t **out, struct da_err *err);

/* RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)), in *out (free()). */
enum da_code da_crypto_jwk_thumbprint(const EVP_PKEY *key, char **out, struct da_err *err);

/*
 * The dns-01 TXT value (RFC 8555 8.1, 8.4):
 * base64url(SHA-256(token "." thumbprint)), in *out (free()).
 */
enum da_code da_crypto_dns01_txt_value(const char *token, const char *thumbprint, char **out,
				       struct da_err *err);

/* ------------------------------------------------------------------ JWS */

/* The JWS "alg" for a key: "ES256", "ES384" or "RS256"; NULL if unsupported. */
const char *da_crypto_jws_alg(const EVP_PKEY *key);

/*
 * Who signs JWS requests: the public half of a key, which the JWK, the alg
 * and the thumbprint come from, and a function that signs with the private
 * half wherever that is kept — in this process (da_crypto_signer_of()) or
 * in a process of its own (keyproc/keyproc.h), so that the process that
 * talks to the network never holds it. sign() gets the JWS signing input
 * (ASCII(protected "." payload)) and returns the JWS signature, base64url,
 * in *sig_out (free()).
 */
struct da_signer {
	EVP_PKEY *public_key; /* borrowed; may hold the private half too */
	enum da_code (*sign)(void *ctx, const char *input, char **sig_out, struct da_err *err);
	void *ctx;
};

/* A signer over a key held here (borrowed: it must outlive the signer). */
struct da_signer da_crypto_signer_of(EVP_PKEY *key);

/* What a signer's sign() does with the private key in hand. */
enum da_code da_crypto_jws_sign_input(EVP_PKEY *key, const char *input, char **sig_out,
				      struct da_err *err);

/*
 * An RFC 8555 6.2 request body: a flattened JSON JWS (RFC 7515 7.2.2) with
 * protected header {alg, nonce, url} and either kid (when kid != NULL) or the
 * signer's jwk. payload is JSON text, or "" / NULL for POST-as-GET (an empty
 * payload). nonce may be NULL only for requests that need none (EAB's inner
 * JWS is built by da_crypto_jws_eab()). The serialized JSON is returned in
 * *body_out (free()).
 */
enum da_code da_crypto_jws_sign(const struct da_signer *signer, const char *kid,
				const char *nonce, const char *url, const char *payload,
				char **body_out, struct da_err *err);

/*
 * The externalAccountBinding value of RFC 8555 7.3.4: an HS256 flattened JWS
 * with protected header {alg: "HS256", kid: eab_kid, url: new_account_url}
 * over the account key's JWK. hmac_key_b64url is the key as the CA hands it
 * out (base64url); it never appears in err. The object is returned in *out
 * (json_decref()).
 */
enum da_code da_crypto_jws_eab(const EVP_PKEY *account_key, const char *eab_kid,
			       const char *hmac_key_b64url, const char *new_account_url,
			       json_t **out, struct da_err *err);

/*
 * HMAC-SHA-256 of a JWS signing input (ASCII(protected "." payload)), as
 * base64url in *sig_out (free()). The building block of da_crypto_jws_eab().
 */
enum da_code da_crypto_jws_hs256(const unsigned char *key, size_t key_len,
				 const char *signing_input, char **sig_out, struct da_err *err);

/*
 * Check a JWS signature made with key (ES256, ES384 or RS256, chosen by the
 * key as da_crypto_jws_alg() does). protected_b64 and payload_b64 are the encoded
 * parts; signature_b64 is base64url. DA_OK when it verifies, DA_ERR_CRYPTO
 * when it does not.
 */
enum da_code da_crypto_jws_verify(EVP_PKEY *key, const char *protected_b64, const char *payload_b64,
				  const char *signature_b64, struct da_err *err);

/*
 * JWS ECDSA signatures are r||s, each left-padded to the curve's byte width
 * (RFC 7518 3.4); OpenSSL speaks DER (ECDSA-Sig-Value). width is 32 for P-256,
 * 48 for P-384. der_to_raw writes 2 * width bytes to raw; raw_to_der returns
 * an allocation in *der_out (free()).
 */
enum da_code da_crypto_ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t width,
					unsigned char *raw, struct da_err *err);
enum da_code da_crypto_ecdsa_raw_to_der(const unsigned char *raw, size_t width,
					unsigned char **der_out, size_t *der_len,
					struct da_err *err);

/* ------------------------------------------------------------------ CSR */

/*
 * A PKCS#10 request (DER, in *der_out, free()) signed by key (SHA-256, or
 * SHA-384 for P-384), for names[0..n): every name as a dNSName in the
 * subjectAltName extension, and the subject CN = names[0] when it fits the
 * 64-character limit of RFC 5280 (otherwise an empty subject, as the SANs
 * carry the names anyway).
 */
enum da_code da_crypto_csr_der(EVP_PKEY *key, const char *const *names, size_t n,
			       unsigned char **der_out, size_t *der_len, struct da_err *err);

/* ------------------------------------------------- certificate inspection */

struct da_cert_info {
	char *subject_cn; /* NULL when the subject has no CN */
	char *issuer_cn;  /* NULL when the issuer has no CN */
	char *serial_hex; /* lower-case hex, no separators */
	char **sans;	  /* dNSName subjectAltNames, n_sans of them */
	size_t n_sans;
	time_t not_before;
	time_t not_after;
	/* RFC 9773 4.1 ARI CertID: base64url(AKI keyIdentifier) "."
	 * base64url(serial DER value); NULL without an AKI keyIdentifier. */
	char *ari_id;
};

struct da_chain {
	struct da_cert_info *certs; /* certs[0] is the leaf, in file order */
	size_t n_certs;
	unsigned char *leaf_der; /* the leaf in DER (for revocation) */
	size_t leaf_der_len;
};

/*
 * Parse every CERTIFICATE block of a PEM chain into *out (da_crypto_chain_free()).
 * A text without any certificate is DA_ERR_CRYPTO. The topmost issuer, as
 * certbot's --preferred-chain matches it, is certs[n_certs - 1].issuer_cn.
 */
enum da_code da_crypto_chain_parse(const char *pem, struct da_chain **out, struct da_err *err);
void da_crypto_chain_free(struct da_chain *chain);

/* Are cert's dNSName SANs exactly names[0..n) (unique; any order and case)? */
int da_crypto_cert_names_are(const struct da_cert_info *cert, const char *const *names, size_t n);

/*
 * Is a chain the CA sent (pem, parsed as chain) exactly what the order
 * asked for: nothing in pem but CERTIFICATE blocks and blank lines, a leaf
 * whose dNSName SANs are names[0..n) (unique; any order and case, none
 * missing, none added), and whose public key is key's? DA_ERR_CRYPTO naming
 * the first thing that differs. Run before anything is written or deployed.
 */
enum da_code da_crypto_chain_check_issued(const char *pem, const struct da_chain *chain,
					  const EVP_PKEY *key, const char *const *names, size_t n,
					  struct da_err *err);

#endif
