/* Helpers shared by the crypto module's files; not part of its interface. */
#ifndef DA_CRYPTO_INTERNAL_H
#define DA_CRYPTO_INTERNAL_H

#include <stddef.h>

#include <openssl/bn.h>

#include "base/error.h"

/* DA_ERR_CRYPTO "<what> failed: <OpenSSL's first reason>"; clears OpenSSL's
 * error queue. */
enum da_code da_crypto_fail(struct da_err *err, const char *what);

/* base64url of SHA-256(data) in *out (free()). */
enum da_code da_crypto_sha256_b64url(const void *data, size_t len, char **out,
				     struct da_err *err);

#endif
