/* Keys, JWK thumbprints, JWS, EAB, CSR and chain inspection against published
 * vectors (RFC 7638, RFC 7515, RFC 9773) and against OpenSSL itself. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/b64.h"
#include "check.h"
#include "crypto/crypto.h"

/* RFC 7638 3.1 / RFC 7515 A.2: the RSA public key, and its thumbprint. */
static const char rfc7638_n[] =
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
	"JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
	"DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
	"vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 A.3: ES256 key, and the example JWS's three parts. */
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_protected[] = "eyJhbGciOiJFUzI1NiJ9";
static const char a1_payload[] = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
				 "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char a3_signature[] =
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 A.1: HS256 key and example. */
static const char a1_key[] =
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char a1_protected[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
static const char a1_signature[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

static BIGNUM *b64url_bn(const char *text)
{
	size_t len;
	unsigned char *bytes = da_b64url_decode(text, &len);
	BIGNUM *bn = bytes ? BN_bin2bn(bytes, (int)len, NULL) : NULL;

	free(bytes);
	return bn;
}

/* A public key from JWK members: RSA (n, e) or P-256 (x, y). */
static EVP_PKEY *public_key(const char *kty, const char *a, const char *b)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, kty, NULL);
	EVP_PKEY *key = NULL;
	BIGNUM *n = NULL, *e = NULL;
	unsigned char point[65];
	size_t xlen, ylen;
	unsigned char *x = NULL, *y = NULL;

	if (strcmp(kty, "RSA") == 0) {
		n = b64url_bn(a);
		e = b64url_bn(b);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	} else {
		x = da_b64url_decode(a, &xlen);
		y = da_b64url_decode(b, &ylen);
		if (x == NULL || y == NULL || xlen != 32 || ylen != 32)
			goto out;
		point[0] = 0x04; /* uncompressed */
		memcpy(point + 1, x, 32);
		memcpy(point + 33, y, 32);
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						 sizeof(point));
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
out:
	free(x);
	free(y);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static void test_thumbprint_rfc7638(void)
{
	EVP_PKEY *key = public_key("RSA", rfc7638_n, "AQAB");
	char *thumb = NULL, *txt = NULL;
	json_t *jwk = NULL;

	CHECK(key != NULL);
	CHECK(da_crypto_jwk_thumbprint(key, &thumb, NULL) == DA_OK);
	CHECK_STR(thumb, rfc7638_thumbprint);
	CHECK(da_crypto_jwk_public(key, &jwk, NULL) == DA_OK);
	CHECK_STR(json_string_value(json_object_get(jwk, "n")), rfc7638_n);
	CHECK_STR(json_string_value(json_object_get(jwk, "e")), "AQAB");
	CHECK(json_object_size(jwk) == 3);
	/* RFC 8555 8.4: base64url(SHA-256(token "." thumbprint)); expected
	 * value computed independently with Python's hashlib. */
	CHECK(da_crypto_dns01_txt_value("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", thumb, &txt,
					NULL) == DA_OK);
	CHECK_STR(txt, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	json_decref(jwk);
	free(txt);
	free(thumb);
	EVP_PKEY_free(key);
}

static void test_es256_rfc7515_a3(void)
{
	EVP_PKEY *key = public_key("EC", a3_x, a3_y);
	unsigned char *raw, *der = NULL, back[64];
	size_t raw_len = 0, der_len = 0;
	char tampered[sizeof(a3_signature)];
	json_t *jwk = NULL;
	struct da_err err;

	CHECK(key != NULL);
	CHECK_STR(da_crypto_jws_alg(key), "ES256");
	CHECK(da_crypto_jws_verify(key, a3_protected, a1_payload, a3_signature, &err) == DA_OK);
	memcpy(tampered, a3_signature, sizeof(tampered));
	tampered[sizeof(tampered) - 2] = 'A';
	CHECK(da_crypto_jws_verify(key, a3_protected, a1_payload, tampered, &err) == DA_ERR_CRYPTO);
	CHECK(da_crypto_jws_verify(key, a3_protected, "e30", a3_signature, &err) == DA_ERR_CRYPTO);

	/* r||s -> DER -> r||s gives back the same 64 bytes. */
	raw = da_b64url_decode(a3_signature, &raw_len);
	CHECK(raw != NULL && raw_len == 64);
	CHECK(da_crypto_ecdsa_raw_to_der(raw, 32, &der, &der_len, NULL) == DA_OK);
	CHECK(der_len > 64 && der[0] == 0x30);
	CHECK(da_crypto_ecdsa_der_to_raw(der, der_len, 32, back, NULL) == DA_OK);
	CHECK(memcmp(raw, back, 64) == 0);
	CHECK(da_crypto_ecdsa_der_to_raw(der, der_len - 1, 32, back, &err) == DA_ERR_CRYPTO);

	CHECK(da_crypto_jwk_public(key, &jwk, NULL) == DA_OK);
	CHECK_STR(json_string_value(json_object_get(jwk, "kty")), "EC");
	CHECK_STR(json_string_value(json_object_get(jwk, "crv")), "P-256");
	CHECK_STR(json_string_value(json_object_get(jwk, "x")), a3_x);
	CHECK_STR(json_string_value(json_object_get(jwk, "y")), a3_y);
	json_decref(jwk);
	free(der);
	free(raw);
	EVP_PKEY_free(key);
}

/* The decoded protected header of a flattened JWS body. */
static json_t *jws_header(const json_t *jws)
{
	size_t len;
	unsigned char *text =
		da_b64url_decode(json_string_value(json_object_get(jws, "protected")), &len);
	json_t *header = text ? json_loadb((const char *)text, len, 0, NULL) : NULL;

	free(text);
	return header;
}

static void check_sign_verify(EVP_PKEY *key, const char *alg)
{
	const struct da_signer signer = da_crypto_signer_of(key);
	char *body = NULL;
	json_t *jws, *header;
	const char *prot, *payload, *sig;

	/* With a kid and a payload. */
	CHECK(da_crypto_jws_sign(&signer, "https://ca.test/acct/1", "nonce-1",
				 "https://ca.test/new-order", "{\"a\":1}", &body, NULL) == DA_OK);
	jws = body ? json_loads(body, 0, NULL) : NULL;
	CHECK(jws != NULL && json_object_size(jws) == 3);
	prot = json_string_value(json_object_get(jws, "protected"));
	payload = json_string_value(json_object_get(jws, "payload"));
	sig = json_string_value(json_object_get(jws, "signature"));
	CHECK_STR(payload, "eyJhIjoxfQ");
	CHECK(prot && payload && sig &&
	      da_crypto_jws_verify(key, prot, payload, sig, NULL) == DA_OK);
	header = jws_header(jws);
	CHECK_STR(json_string_value(json_object_get(header, "alg")), alg);
	CHECK_STR(json_string_value(json_object_get(header, "kid")), "https://ca.test/acct/1");
	CHECK_STR(json_string_value(json_object_get(header, "nonce")), "nonce-1");
	CHECK_STR(json_string_value(json_object_get(header, "url")), "https://ca.test/new-order");
	CHECK(json_object_get(header, "jwk") == NULL);
	json_decref(header);
	json_decref(jws);
	free(body);

	/* POST-as-GET with the jwk instead of a kid. */
	CHECK(da_crypto_jws_sign(&signer, NULL, "nonce-2", "https://ca.test/authz/1", NULL, &body,
				 NULL) == DA_OK);
	jws = body ? json_loads(body, 0, NULL) : NULL;
	prot = json_string_value(json_object_get(jws, "protected"));
	sig = json_string_value(json_object_get(jws, "signature"));
	CHECK_STR(json_string_value(json_object_get(jws, "payload")), "");
	CHECK(prot && sig && da_crypto_jws_verify(key, prot, "", sig, NULL) == DA_OK);
	CHECK(prot && sig && da_crypto_jws_verify(key, prot, "e30", sig, NULL) == DA_ERR_CRYPTO);
	header = jws_header(jws);
	CHECK(json_is_object(json_object_get(header, "jwk")));
	CHECK(json_object_get(header, "kid") == NULL);
	json_decref(header);
	json_decref(jws);
	free(body);
}

static void test_key_types(void)
{
	static const struct {
		const char *name;
		const char *alg;
		int bits;
	} want[] = {
		[DA_KEY_EC256] = {"ec256", "ES256", 256},
		[DA_KEY_EC384] = {"ec384", "ES384", 384},
		[DA_KEY_RSA2048] = {"rsa2048", "RS256", 2048},
		[DA_KEY_RSA3072] = {"rsa3072", "RS256", 3072},
		[DA_KEY_RSA4096] = {"rsa4096", "RS256", 4096},
	};
	struct da_err err;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum da_key_type type, got;
		EVP_PKEY *key = NULL, *back = NULL;
		char *pem = NULL;

		CHECK(da_crypto_key_type_parse(want[i].name, &type, NULL) == DA_OK && type == i);
		CHECK_STR(da_crypto_key_type_name(type), want[i].name);
		CHECK(da_crypto_key_generate(type, &key, NULL) == DA_OK);
		if (key == NULL)
			continue;
		CHECK(da_crypto_key_type_of(key, &got, NULL) == DA_OK && got == type);
		CHECK(EVP_PKEY_get_bits(key) == want[i].bits);
		CHECK(EVP_PKEY_is_a(key, want[i].alg[0] == 'E' ? "EC" : "RSA"));
		CHECK_STR(da_crypto_jws_alg(key), want[i].alg);
		check_sign_verify(key, want[i].alg);

		/* PEM round trip: PKCS#8, and the same key comes back. */
		CHECK(da_crypto_key_to_pem(key, &pem, NULL) == DA_OK);
		CHECK(pem && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
		CHECK(pem && da_crypto_key_from_pem(pem, &back, NULL) == DA_OK);
		CHECK(back && EVP_PKEY_eq(key, back) == 1);
		da_secret_free(pem);
		EVP_PKEY_free(back);
		EVP_PKEY_free(key);
	}
	CHECK(da_crypto_key_type_parse("ed25519", &(enum da_key_type){0}, &err) == DA_ERR_USAGE);
	CHECK(strstr(err.msg, "ed25519") != NULL);
	CHECK(da_crypto_key_from_pem("not a key", &(EVP_PKEY *){NULL}, &err) == DA_ERR_CRYPTO);
}

static void test_eab(void)
{
	size_t key_len;
	unsigned char *key = da_b64url_decode(a1_key, &key_len);
	char input[512], *sig = NULL, *jwk_text;
	EVP_PKEY *account = NULL;
	json_t *eab = NULL, *header, *jwk = NULL;
	unsigned char *payload;
	size_t payload_len;
	struct da_err err;

	/* RFC 7515 A.1's HS256 example. */
	snprintf(input, sizeof(input), "%s.%s", a1_protected, a1_payload);
	CHECK(key && da_crypto_jws_hs256(key, key_len, input, &sig, NULL) == DA_OK);
	CHECK_STR(sig, a1_signature);
	free(sig);
	sig = NULL;

	/* RFC 8555 7.3.4: {alg HS256, kid, url} over the account JWK. */
	CHECK(da_crypto_key_generate(DA_KEY_EC256, &account, NULL) == DA_OK);
	CHECK(da_crypto_jws_eab(account, "kid-1", a1_key, "https://ca.test/new-acct", &eab, NULL) ==
	      DA_OK);
	header = jws_header(eab);
	CHECK(json_object_size(header) == 3);
	CHECK_STR(json_string_value(json_object_get(header, "alg")), "HS256");
	CHECK_STR(json_string_value(json_object_get(header, "kid")), "kid-1");
	CHECK_STR(json_string_value(json_object_get(header, "url")), "https://ca.test/new-acct");
	json_decref(header);
	payload = da_b64url_decode(json_string_value(json_object_get(eab, "payload")),
				   &payload_len);
	CHECK(da_crypto_jwk_public(account, &jwk, NULL) == DA_OK);
	jwk_text = json_dumps(jwk, JSON_COMPACT);
	CHECK(payload && jwk_text && payload_len == strlen(jwk_text) &&
	      memcmp(payload, jwk_text, payload_len) == 0);
	snprintf(input, sizeof(input), "%s.%s",
		 json_string_value(json_object_get(eab, "protected")),
		 json_string_value(json_object_get(eab, "payload")));
	CHECK(da_crypto_jws_hs256(key, key_len, input, &sig, NULL) == DA_OK);
	CHECK_STR(json_string_value(json_object_get(eab, "signature")), sig);

	/* A bad key is refused without echoing it. */
	CHECK(da_crypto_jws_eab(account, "kid-1", "not+base64url", "https://ca.test/new-acct",
				&(json_t *){NULL}, &err) == DA_ERR_USAGE);
	CHECK(strstr(err.msg, "not+base64url") == NULL);

	free(jwk_text);
	json_decref(jwk);
	free(payload);
	free(sig);
	json_decref(eab);
	EVP_PKEY_free(account);
	free(key);
}

/* The CSR's dNSName SANs, comma-separated, and its CN ("" when none). */
static void csr_names(const unsigned char *der, size_t len, EVP_PKEY *key, char *sans,
		      size_t sans_size, char *cn, size_t cn_size)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens = NULL;

	sans[0] = cn[0] = '\0';
	CHECK(req != NULL && p == der + len);
	if (req == NULL)
		return;
	CHECK(X509_REQ_verify(req, key) == 1);
	X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
				  (int)cn_size);
	exts = X509_REQ_get_extensions(req);
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name)
			gens = X509V3_EXT_d2i(ext);
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);

		CHECK(gen->type == GEN_DNS);
		if (i > 0)
			strncat(sans, ",", sans_size - strlen(sans) - 1);
		strncat(sans, (const char *)ASN1_STRING_get0_data(gen->d.dNSName),
			sans_size - strlen(sans) - 1);
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
}

static void test_csr(void)
{
	static const char *const names[] = {"example.com", "*.example.com", "www.example.org"};
	static const char *const long_names[] = {
		"a-very-long-label-that-goes-on-and-on.another-long-label.example.com", "x.test"};
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	char sans[512], cn[128];

	CHECK(da_crypto_key_generate(DA_KEY_EC384, &key, NULL) == DA_OK);
	CHECK(da_crypto_csr_der(key, names, 3, &der, &len, NULL) == DA_OK);
	csr_names(der, len, key, sans, sizeof(sans), cn, sizeof(cn));
	CHECK_STR(sans, "example.com,*.example.com,www.example.org");
	CHECK_STR(cn, "example.com");
	free(der);

	/* Over 64 characters: no CN, but still the SAN. */
	CHECK(strlen(long_names[0]) > 64);
	CHECK(da_crypto_csr_der(key, long_names, 2, &der, &len, NULL) == DA_OK);
	csr_names(der, len, key, sans, sizeof(sans), cn, sizeof(cn));
	CHECK_STR(sans, "a-very-long-label-that-goes-on-and-on.another-long-label.example.com,"
			"x.test");
	CHECK_STR(cn, "");
	free(der);

	CHECK(da_crypto_csr_der(key, names, 0, &der, &len, NULL) == DA_ERR_USAGE);
	EVP_PKEY_free(key);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 65536);

	if (f != NULL && text != NULL)
		text[fread(text, 1, 65535, f)] = '\0';
	if (f != NULL)
		fclose(f);
	return text;
}

static void test_chain(void)
{
	char *pem = read_file("crypto/chain.pem");
	struct da_chain *chain = NULL;
	struct da_err err;

	CHECK(pem && da_crypto_chain_parse(pem, &chain, &err) == DA_OK);
	if (chain == NULL) {
		free(pem);
		return;
	}
	CHECK(chain->n_certs == 2);
	CHECK_STR(chain->certs[0].subject_cn, "example.com");
	CHECK_STR(chain->certs[0].issuer_cn, "dnsacme Test Intermediate E1");
	CHECK_STR(chain->certs[1].subject_cn, "dnsacme Test Intermediate E1");
	CHECK_STR(chain->certs[1].issuer_cn, "dnsacme Test Root X1");
	CHECK(chain->certs[0].n_sans == 2); /* the IP address SAN is not a name */
	if (chain->certs[0].n_sans == 2) {
		CHECK_STR(chain->certs[0].sans[0], "example.com");
		CHECK_STR(chain->certs[0].sans[1], "*.example.com");
	}
	CHECK_STR(chain->certs[0].serial_hex, "87654321");
	CHECK(chain->certs[0].not_before == 1795882296);
	CHECK(chain->certs[0].not_after == 1803658296);
	/* RFC 9773 4.1's example CertID. */
	CHECK_STR(chain->certs[0].ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	CHECK(chain->leaf_der != NULL && chain->leaf_der_len > 100 && chain->leaf_der[0] == 0x30);
	da_crypto_chain_free(chain);

	CHECK(da_crypto_chain_parse("no certificate here", &chain, &err) == DA_ERR_CRYPTO);
	/* A damaged second block is an error, not a shorter chain. */
	pem[strlen(pem) - 60] = '!';
	CHECK(da_crypto_chain_parse(pem, &chain, &err) == DA_ERR_CRYPTO);
	free(pem);
}

/* A self-signed certificate of key with subjectAltName sans, as PEM (free()). */
static char *certificate_pem(EVP_PKEY *key, const char *sans)
{
	X509 *cert = X509_new();
	X509_EXTENSION *ext = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	X509V3_CTX ctx;
	char *data = NULL, *pem = NULL;
	long len;
	int ok = cert != NULL && bio != NULL && X509_set_version(cert, 2) &&
		 ASN1_INTEGER_set(X509_get_serialNumber(cert), 7) &&
		 X509_gmtime_adj(X509_getm_notBefore(cert), 0) &&
		 X509_gmtime_adj(X509_getm_notAfter(cert), 3600) && X509_set_pubkey(cert, key);

	if (ok) {
		X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
		ok = ext != NULL && X509_add_ext(cert, ext, -1) &&
		     X509_sign(cert, key, EVP_sha256()) > 0 && PEM_write_bio_X509(bio, cert);
	}
	/* The memory BIO is not NUL-terminated: copy, do not strndup. */
	if (ok && (len = BIO_get_mem_data(bio, &data)) > 0 && (pem = malloc((size_t)len + 1))) {
		memcpy(pem, data, (size_t)len);
		pem[len] = '\0';
	}
	X509_EXTENSION_free(ext);
	X509_free(cert);
	BIO_free(bio);
	return pem;
}

/* What the CA sent is checked against the order: names, key, PEM shape. */
static void check_issued(const char *pem, EVP_PKEY *key, const char *const *names, size_t n,
			 enum da_code want, const char *message)
{
	struct da_chain *chain = NULL;
	struct da_err err = {0};

	CHECK(pem != NULL && da_crypto_chain_parse(pem, &chain, &err) == DA_OK);
	if (chain == NULL)
		return;
	CHECK(da_crypto_chain_check_issued(pem, chain, key, names, n, &err) == want);
	if (message != NULL)
		CHECK_STR(err.msg, message);
	da_crypto_chain_free(chain);
}

static void test_check_issued(void)
{
	const char *names[] = {"*.a.test", "a.test"}, *more[] = {"a.test", "*.a.test", "b.test"};
	const char *other[] = {"a.test", "c.test"};
	EVP_PKEY *key = NULL, *other_key = NULL;
	char *pem, *extra = NULL;

	CHECK(da_crypto_key_generate(DA_KEY_EC256, &key, NULL) == DA_OK);
	CHECK(da_crypto_key_generate(DA_KEY_EC256, &other_key, NULL) == DA_OK);
	pem = certificate_pem(key, "DNS:a.test,DNS:*.A.test");
	check_issued(pem, key, names, 2, DA_OK, NULL);
	check_issued(pem, other_key, names, 2, DA_ERR_CRYPTO,
		     "the CA's certificate is not for the key this order was finalized with");
	check_issued(pem, key, more, 3, DA_ERR_CRYPTO,
		     "the CA's certificate names 2 DNS names, the order 3");
	check_issued(pem, key, names, 1, DA_ERR_CRYPTO,
		     "the CA's certificate names 2 DNS names, the order 1");
	check_issued(pem, key, other, 2, DA_ERR_CRYPTO, "the CA's certificate does not name c.test");
	/* Blank lines and CRLF are fine; anything else beside the blocks is not. */
	for (size_t i = 0; pem != NULL && i < 4; i++) {
		static const char *const around[][2] = {
			{"\n\r\n", "\n\n"},
			{"", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
			{"junk\n", ""},
			{"", "subject=CN = a.test\n"},
		};

		free(extra);
		if (asprintf(&extra, "%s%s%s", around[i][0], pem, around[i][1]) < 0)
			extra = NULL;
		check_issued(extra, key, names, 2, i == 0 ? DA_OK : DA_ERR_CRYPTO,
			     i == 0 ? NULL : "the CA's chain holds something other than PEM "
					    "certificates");
	}
	free(extra);
	free(pem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
}

int main(void)
{
	test_thumbprint_rfc7638();
	test_es256_rfc7515_a3();
	test_key_types();
	test_eab();
	test_csr();
	test_chain();
	test_check_issued();
	return check_report();
}
