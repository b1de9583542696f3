/* Base64 (RFC 4648 section 4) and base64url without padding (section 5). */
#ifndef DA_BASE_B64_H
#define DA_BASE_B64_H

#include <stddef.h>

/* Return a NUL-terminated allocation (free()), or NULL when out of memory. */
char *da_b64url_encode(const void *data, size_t len);
char *da_b64_encode(const void *data, size_t len);

/* Decode into an allocation of *out_len bytes (plus a NUL, for convenience).
 * Padding is optional; whitespace is not accepted. NULL on bad input or
 * no memory. */
unsigned char *da_b64url_decode(const char *text, size_t *out_len);
unsigned char *da_b64_decode(const char *text, size_t *out_len);

#endif
