/* A growable, always NUL-terminated byte buffer, and freeing secrets. */
#ifndef DA_BASE_BUF_H
#define DA_BASE_BUF_H

#include <stddef.h>

#include "dnsacme/types.h" /* DNSACME_PRINTF */

/* Its memory is wiped when it grows and when it is freed, so a buffer may
 * hold a secret; what da_buf_take() hands out is the caller's to wipe. */
struct da_buf {
	char *data; /* NULL until the first append; owned by the buffer */
	size_t len;
	size_t cap;
};

/* All return 0, or -1 when out of memory (the buffer is left as it was). */
int da_buf_append(struct da_buf *b, const void *data, size_t len);
int da_buf_puts(struct da_buf *b, const char *s);
int da_buf_printf(struct da_buf *b, const char *fmt, ...) DNSACME_PRINTF(2, 3);

/* Hand the contents to the caller (free() it); the buffer becomes empty.
 * Returns "" (allocated) for an empty buffer, NULL when out of memory. */
char *da_buf_take(struct da_buf *b);

void da_buf_free(struct da_buf *b);

/* A copy of s (free()), or NULL for NULL; a copy that fails sets *failed, so
 * several copies are checked once. */
char *da_strdup_or_null(const char *s, int *failed);

/* Wipe a NUL-terminated secret string, then free() it. NULL is fine. */
void da_secret_free(char *secret);

#endif
