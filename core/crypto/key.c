#include "crypto/crypto.h"
#include "crypto/internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

static const struct {
	const char *name;
	const char *curve; /* NULL for RSA */
	int rsa_bits;
} key_types[] = {
	[DA_KEY_EC256] = {"ec256", "P-256", 0},
	[DA_KEY_EC384] = {"ec384", "P-384", 0},
	[DA_KEY_RSA2048] = {"rsa2048", NULL, 2048},
	[DA_KEY_RSA3072] = {"rsa3072", NULL, 3072},
	[DA_KEY_RSA4096] = {"rsa4096", NULL, 4096},
};
#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

enum da_code da_crypto_fail(struct da_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	/* The queue may hold more than the first cause; drop it so a later
	 * failure does not report this one. */
	ERR_clear_error();
	if (reason[0] == '\0')
		return da_err_set(err, DA_ERR_CRYPTO, "%s failed", what);
	return da_err_set(err, DA_ERR_CRYPTO, "%s failed: %s", what, reason);
}

enum da_code da_crypto_key_type_parse(const char *name, enum da_key_type *out, struct da_err *err)
{
	for (size_t i = 0; i < N_KEY_TYPES; i++) {
		if (strcmp(name, key_types[i].name) == 0) {
			*out = (enum da_key_type)i;
			return DA_OK;
		}
	}
	return da_err_set(err, DA_ERR_USAGE,
			  "unknown key type \"%s\" (use ec256, ec384, rsa2048, rsa3072 or rsa4096)",
			  name);
}

const char *da_crypto_key_type_name(enum da_key_type type)
{
	if ((size_t)type >= N_KEY_TYPES)
		return "unknown";
	return key_types[type].name;
}

enum da_code da_crypto_key_type_of(const EVP_PKEY *key, enum da_key_type *out, struct da_err *err)
{
	if (EVP_PKEY_is_a(key, "EC")) {
		char group[64];

		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			return da_crypto_fail(err, "reading the EC key's curve");
		/* OpenSSL names P-256 "prime256v1" and P-384 "secp384r1". */
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			*out = DA_KEY_EC256;
			return DA_OK;
		}
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			*out = DA_KEY_EC384;
			return DA_OK;
		}
		return da_err_set(err, DA_ERR_CRYPTO,
				  "unsupported EC curve %s (use P-256 or P-384)", group);
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		int bits = EVP_PKEY_get_bits(key);

		for (size_t i = 0; i < N_KEY_TYPES; i++) {
			if (key_types[i].rsa_bits == bits) {
				*out = (enum da_key_type)i;
				return DA_OK;
			}
		}
		return da_err_set(err, DA_ERR_CRYPTO,
				  "unsupported RSA key size %d (use 2048, 3072 or 4096)", bits);
	}
	return da_err_set(err, DA_ERR_CRYPTO, "unsupported key algorithm %s (use EC or RSA)",
			  EVP_PKEY_get0_type_name(key));
}

enum da_code da_crypto_key_generate(enum da_key_type type, EVP_PKEY **out, struct da_err *err)
{
	EVP_PKEY *key;

	if ((size_t)type >= N_KEY_TYPES)
		return da_err_set(err, DA_ERR_USAGE, "unknown key type %d", (int)type);
	if (key_types[type].curve != NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", key_types[type].curve);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)key_types[type].rsa_bits);
	if (key == NULL)
		return da_crypto_fail(err, "generating a key");
	*out = key;
	return DA_OK;
}

enum da_code da_crypto_key_to_pem(const EVP_PKEY *key, char **pem_out, struct da_err *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	enum da_code rc = DA_OK;
	char *data;
	long len;

	if (bio == NULL)
		return da_crypto_fail(err, "allocating a buffer");
	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"). */
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		rc = da_crypto_fail(err, "writing the private key");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	*pem_out = malloc((size_t)len + 1);
	if (*pem_out == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem_out, data, (size_t)len);
	(*pem_out)[len] = '\0';
out:
	/* The secure-heap BIO wipes its buffer when freed. */
	BIO_free(bio);
	return rc;
}

/* OpenSSL's default would prompt on the terminal for an encrypted key; a
 * non-interactive tool fails instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

enum da_code da_crypto_key_from_pem(const char *pem, EVP_PKEY **out, struct da_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key;
	enum da_key_type type;
	enum da_code rc;

	if (bio == NULL)
		return da_crypto_fail(err, "allocating a buffer");
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (key == NULL)
		return da_crypto_fail(err, "reading a PEM private key (unencrypted PKCS#8 or "
					   "traditional EC / RSA)");
	rc = da_crypto_key_type_of(key, &type, err);
	if (rc != DA_OK) {
		EVP_PKEY_free(key);
		return rc;
	}
	*out = key;
	return DA_OK;
}

