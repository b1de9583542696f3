#include "crypto/crypto.h"
#include "crypto/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/b64.h"

/* The first CN of a name as a malloc()ed UTF-8 string; NULL without one.
 * *nomem is set when a CN exists but could not be copied. */
static char *common_name(const X509_NAME *name, int *nomem)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	char *cn;
	int len;

	if (i < 0)
		return NULL;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (len < 0) {
		*nomem = 1;
		return NULL;
	}
	cn = strndup((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	if (cn == NULL)
		*nomem = 1;
	return cn;
}

static int to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

static char *serial_hex(const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *out = hex ? strdup(hex) : NULL;

	BN_free(bn);
	OPENSSL_free(hex);
	for (char *p = out; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* RFC 9773 4.1: base64url(keyIdentifier) "." base64url(serial's DER content
 * octets, with any leading zero that keeps it positive). NULL without an AKI
 * keyIdentifier; *nomem on allocation failure. */
static char *ari_id(X509 *cert, int *nomem)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
	unsigned char *der = NULL;
	char *aki_b64 = NULL, *serial_b64 = NULL, *id = NULL;
	size_t hdr;
	int len;

	if (aki == NULL)
		return NULL;
	len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
	/* Skip the INTEGER's tag and length: short form, or 0x8n + n bytes. */
	hdr = len > 2 ? (der[1] & 0x80 ? 2u + (der[1] & 0x7f) : 2u) : 0;
	if (len > 2 && (size_t)len > hdr) {
		aki_b64 = da_b64url_encode(ASN1_STRING_get0_data(aki),
					   (size_t)ASN1_STRING_length(aki));
		serial_b64 = da_b64url_encode(der + hdr, (size_t)len - hdr);
	}
	if (aki_b64 != NULL && serial_b64 != NULL &&
	    asprintf(&id, "%s.%s", aki_b64, serial_b64) < 0)
		id = NULL;
	if (id == NULL)
		*nomem = 1;
	free(serial_b64);
	free(aki_b64);
	OPENSSL_free(der);
	return id;
}

/* The dNSName SANs of cert into info; -1 when out of memory. */
static int dns_sans(X509 *cert, struct da_cert_info *info)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0, rc = 0;

	if (n > 0) {
		info->sans = calloc((size_t)n, sizeof(*info->sans));
		if (info->sans == NULL)
			rc = -1;
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *ia5;
		char *name;

		if (gen->type != GEN_DNS)
			continue;
		ia5 = gen->d.dNSName;
		name = strndup((const char *)ASN1_STRING_get0_data(ia5),
			       (size_t)ASN1_STRING_length(ia5));
		if (name == NULL)
			rc = -1;
		else
			info->sans[info->n_sans++] = name;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

static enum da_code inspect(X509 *cert, struct da_cert_info *info, struct da_err *err)
{
	int nomem = 0;

	if (to_time_t(X509_get0_notBefore(cert), &info->not_before) != 0 ||
	    to_time_t(X509_get0_notAfter(cert), &info->not_after) != 0)
		return da_crypto_fail(err, "reading a certificate's validity");
	info->subject_cn = common_name(X509_get_subject_name(cert), &nomem);
	info->issuer_cn = common_name(X509_get_issuer_name(cert), &nomem);
	info->serial_hex = serial_hex(X509_get0_serialNumber(cert));
	info->ari_id = ari_id(cert, &nomem);
	if (nomem || info->serial_hex == NULL || dns_sans(cert, info) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

static enum da_code leaf_der(X509 *cert, struct da_chain *chain, struct da_err *err)
{
	int len = i2d_X509(cert, NULL);
	unsigned char *p;

	chain->leaf_der = len > 0 ? malloc((size_t)len) : NULL;
	p = chain->leaf_der;
	if (chain->leaf_der == NULL || i2d_X509(cert, &p) != len)
		return da_crypto_fail(err, "encoding the leaf certificate");
	chain->leaf_der_len = (size_t)len;
	return DA_OK;
}

enum da_code da_crypto_chain_parse(const char *pem, struct da_chain **out, struct da_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	struct da_chain *chain = calloc(1, sizeof(*chain));
	enum da_code rc = DA_OK;
	unsigned long e;
	int at_end;
	X509 *cert;

	if (bio == NULL || chain == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		struct da_cert_info *grown;

		grown = realloc(chain->certs, (chain->n_certs + 1) * sizeof(*grown));
		if (grown == NULL) {
			X509_free(cert);
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			goto out;
		}
		chain->certs = grown;
		memset(&grown[chain->n_certs], 0, sizeof(*grown));
		rc = inspect(cert, &grown[chain->n_certs++], err);
		if (rc == DA_OK && chain->n_certs == 1)
			rc = leaf_der(cert, chain, err);
		X509_free(cert);
		if (rc != DA_OK)
			goto out;
	}
	/* The loop ends with "no start line" at the end of the input, or with
	 * another reason on a block that does not parse. */
	e = ERR_peek_last_error();
	at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	if (chain->n_certs == 0 || (e != 0 && !at_end))
		rc = da_crypto_fail(err, "reading a PEM certificate");
	ERR_clear_error();
out:
	BIO_free(bio);
	if (rc != DA_OK) {
		da_crypto_chain_free(chain);
		return rc;
	}
	*out = chain;
	return DA_OK;
}

void da_crypto_chain_free(struct da_chain *chain)
{
	if (chain == NULL)
		return;
	for (size_t i = 0; i < chain->n_certs; i++) {
		struct da_cert_info *c = &chain->certs[i];

		for (size_t j = 0; j < c->n_sans; j++)
			free(c->sans[j]);
		free(c->sans);
		free(c->subject_cn);
		free(c->issuer_cn);
		free(c->serial_hex);
		free(c->ari_id);
	}
	free(chain->certs);
	free(chain->leaf_der);
	free(chain);
}

/* Does pem hold CERTIFICATE blocks and blank lines, and nothing else? */
static int only_certificates(const char *pem)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	int inside = 0;

	for (const char *line = pem; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		size_t text = len > 0 && line[len - 1] == '\r' ? len - 1 : len;

		if (!inside && text == sizeof(begin) - 1 && memcmp(line, begin, text) == 0)
			inside = 1;
		else if (inside && text == sizeof(end) - 1 && memcmp(line, end, text) == 0)
			inside = 0;
		else if (!inside && strspn(line, " \t\r") < len)
			return 0;
		else if (inside && strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789+/=\r") < len)
			return 0;
		line += len + (line[len] == '\n');
	}
	return !inside;
}

/* Does cert carry name among its dNSName SANs (any case)? */
static int names_one(const struct da_cert_info *cert, const char *name)
{
	for (size_t j = 0; j < cert->n_sans; j++)
		if (strcasecmp(cert->sans[j], name) == 0)
			return 1;
	return 0;
}

int da_crypto_cert_names_are(const struct da_cert_info *cert, const char *const *names, size_t n)
{
	/* names are unique, so equal counts and each one found make the same set. */
	if (cert->n_sans != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!names_one(cert, names[i]))
			return 0;
	return 1;
}

enum da_code da_crypto_chain_check_issued(const char *pem, const struct da_chain *chain,
					  const EVP_PKEY *key, const char *const *names, size_t n,
					  struct da_err *err)
{
	const struct da_cert_info *leaf = &chain->certs[0];
	const unsigned char *der = chain->leaf_der;
	X509 *cert;
	int same_key;

	if (!only_certificates(pem))
		return da_err_set(err, DA_ERR_CRYPTO, "the CA's chain holds something other than "
				  "PEM certificates");
	if (leaf->n_sans != n)
		return da_err_set(err, DA_ERR_CRYPTO, "the CA's certificate names %zu DNS name%s, "
				  "the order %zu", leaf->n_sans, leaf->n_sans == 1 ? "" : "s", n);
	for (size_t i = 0; i < n; i++)
		if (!names_one(leaf, names[i]))
			return da_err_set(err, DA_ERR_CRYPTO,
					  "the CA's certificate does not name %s", names[i]);
	cert = d2i_X509(NULL, &der, (long)chain->leaf_der_len);
	if (cert == NULL)
		return da_crypto_fail(err, "reading the leaf certificate");
	same_key = EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1;
	X509_free(cert);
	ERR_clear_error();
	if (!same_key)
		return da_err_set(err, DA_ERR_CRYPTO, "the CA's certificate is not for the key "
				  "this order was finalized with");
	return DA_OK;
}
