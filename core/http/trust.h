/*
 * The CAs a client trusts, read once and shared by the client and its
 * siblings (da_http_new_sibling()). Left to itself, libcurl reads the bundle
 * again for every handle: Debian's system store is some 140 certificates,
 * about 1 MiB and 30 ms of CPU once parsed, paid again by each of the ACME
 * client's lanes. Internal to core/http.
 */
#ifndef DA_HTTP_TRUST_H
#define DA_HTTP_TRUST_H

#include <stddef.h>

/* Where the trusted CAs come from: PEM text, or a bundle file and/or a
 * hashed directory (libcurl's defaults: the system store). */
struct http_trust_source {
	const char *pem;
	const char *file;
	const char *dir;
};

struct http_trust; /* opaque; counted, and safe to use from several threads */

/* A trust for src (its strings are copied), nothing read yet, one reference;
 * NULL when out of memory. */
struct http_trust *http_trust_new(const struct http_trust_source *src);

/* Another reference to t; each is dropped with http_trust_unref(). */
struct http_trust *http_trust_ref(struct http_trust *t);
void http_trust_unref(struct http_trust *t);

/* Read t's CAs now, or again if the bundle changed, rather than at the next
 * connection. Returns 0, or -1 with a one-line reason in why. */
int http_trust_read(struct http_trust *t, char *why, size_t why_size);

/*
 * Make an OpenSSL SSL_CTX (libcurl's, for one connection) trust exactly t's
 * CAs. They are read on first use, and again when the bundle file has
 * changed since (a renewed system store, a remounted ConfigMap). Returns 0,
 * or -1 with a one-line reason in why (nothing installed: the connection
 * must fail).
 */
int http_trust_install(struct http_trust *t, void *ssl_ctx, char *why, size_t why_size);

#endif
