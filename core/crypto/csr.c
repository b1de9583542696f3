#include "crypto/crypto.h"
#include "crypto/internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* RFC 5280 appendix A: ub-common-name INTEGER ::= 64 */
#define CN_MAX 64

/* The subjectAltName extension with every name as a dNSName. */
static X509_EXTENSION *san_extension(const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	X509_EXTENSION *ext = NULL;

	if (gens == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		GENERAL_NAME *gen = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		if (gen == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, names[i], -1)) {
			GENERAL_NAME_free(gen);
			ASN1_IA5STRING_free(ia5);
			goto out;
		}
		GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
		if (!sk_GENERAL_NAME_push(gens, gen)) {
			GENERAL_NAME_free(gen);
			goto out;
		}
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
out:
	GENERAL_NAMES_free(gens);
	return ext;
}

enum da_code da_crypto_csr_der(EVP_PKEY *key, const char *const *names, size_t n,
			       unsigned char **der_out, size_t *der_len, struct da_err *err)
{
	enum da_key_type type;
	X509_REQ *req = NULL;
	X509_EXTENSION *san = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *der, *p;
	const EVP_MD *md;
	enum da_code rc;
	int len;

	if (n == 0)
		return da_err_set(err, DA_ERR_USAGE, "a certificate needs at least one name");
	rc = da_crypto_key_type_of(key, &type, err);
	if (rc != DA_OK)
		return rc;
	req = X509_REQ_new();
	if (req == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_pubkey(req, key))
		goto fail;
	if (strlen(names[0]) <= CN_MAX &&
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
					(const unsigned char *)names[0], -1, -1, 0))
		goto fail;
	san = san_extension(names, n);
	exts = sk_X509_EXTENSION_new_null();
	if (san == NULL || exts == NULL || !sk_X509_EXTENSION_push(exts, san) ||
	    !X509_REQ_add_extensions(req, exts))
		goto fail;
	md = EVP_get_digestbyname(type == DA_KEY_EC384 ? "SHA384" : "SHA256");
	if (md == NULL || X509_REQ_sign(req, key, md) <= 0)
		goto fail;
	len = i2d_X509_REQ(req, NULL);
	der = len > 0 ? malloc((size_t)len) : NULL;
	p = der;
	if (der == NULL || i2d_X509_REQ(req, &p) != len) {
		free(der);
		goto fail;
	}
	*der_out = der;
	*der_len = (size_t)len;
	goto out;
fail:
	rc = da_crypto_fail(err, "building the CSR");
out:
	sk_X509_EXTENSION_free(exts);
	X509_EXTENSION_free(san);
	X509_REQ_free(req);
	return rc;
}
