/* The trusted CAs: one X509_STORE per family of clients (see trust.h). */
#include "trust.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "base/buf.h"

/* What identifies the bundle file as it was read. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct http_trust {
	pthread_mutex_t lock; /* everything below */
	unsigned refs;
	char *pem, *file, *dir;
	X509_STORE *store; /* NULL until first needed */
	struct file_id read_from;
};

struct http_trust *http_trust_new(const struct http_trust_source *src)
{
	struct http_trust *t = calloc(1, sizeof(*t));
	int failed = 0;

	if (t == NULL)
		return NULL;
	t->refs = 1;
	t->pem = da_strdup_or_null(src->pem, &failed);
	t->file = da_strdup_or_null(src->file, &failed);
	t->dir = da_strdup_or_null(src->dir, &failed);
	if (failed || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->pem);
		free(t->file);
		free(t->dir);
		free(t);
		return NULL;
	}
	return t;
}

struct http_trust *http_trust_ref(struct http_trust *t)
{
	pthread_mutex_lock(&t->lock);
	t->refs++;
	pthread_mutex_unlock(&t->lock);
	return t;
}

void http_trust_unref(struct http_trust *t)
{
	unsigned refs;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	refs = --t->refs;
	pthread_mutex_unlock(&t->lock);
	if (refs > 0)
		return;
	X509_STORE_free(t->store);
	pthread_mutex_destroy(&t->lock);
	free(t->pem);
	free(t->file);
	free(t->dir);
	free(t);
}

static void file_id_of(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

static int file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* OpenSSL's reason for the last failure, and its queue emptied. */
static const char *openssl_reason(char *buf, size_t size)
{
	unsigned long code = ERR_peek_last_error();

	if (code == 0)
		snprintf(buf, size, "no certificate found");
	else
		ERR_error_string_n(code, buf, size);
	ERR_clear_error();
	return buf;
}

/* Every certificate of a PEM text into store; how many, or -1. */
static int add_pem(X509_STORE *store, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509_INFO) *infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
	int added = infos ? 0 : -1;

	for (int i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (info->x509 == NULL)
			continue;
		if (!X509_STORE_add_cert(store, info->x509)) {
			added = -1;
			break;
		}
		added++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return added;
}

/* A new store of t's CAs, flagged as libcurl flags its own; NULL with why. */
static X509_STORE *store_read(const struct http_trust *t, char *why, size_t why_size)
{
	X509_STORE *store = X509_STORE_new();
	char reason[256];

	if (store == NULL) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if (t->pem != NULL && add_pem(store, t->pem) <= 0) {
		snprintf(why, why_size, "cannot read the trusted CAs given as PEM: %s",
			 openssl_reason(reason, sizeof(reason)));
		goto fail;
	}
	if (t->file != NULL && !X509_STORE_load_file(store, t->file)) {
		snprintf(why, why_size, "cannot read the CA bundle %s: %s", t->file,
			 openssl_reason(reason, sizeof(reason)));
		goto fail;
	}
	/* Looked up by hash when a chain needs it, like libcurl's CA path. */
	if (t->dir != NULL && !X509_STORE_load_path(store, t->dir)) {
		snprintf(why, why_size, "cannot use the CA directory %s: %s", t->dir,
			 openssl_reason(reason, sizeof(reason)));
		goto fail;
	}
	/* libcurl's default: a CA of the bundle may anchor a chain even if it
	 * is not a root. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	return store;
fail:
	X509_STORE_free(store);
	return NULL;
}

/* Make t->store current: read on first use or when the bundle changed.
 * Called with t->lock held; 0, or -1 with why. */
static int store_current(struct http_trust *t, char *why, size_t why_size)
{
	struct file_id now = {0};
	struct stat st;
	X509_STORE *fresh;

	if (t->file != NULL && stat(t->file, &st) == 0)
		file_id_of(&st, &now);
	if (t->store != NULL && (t->file == NULL || file_id_equal(&now, &t->read_from)))
		return 0;
	fresh = store_read(t, why, why_size);
	if (fresh == NULL)
		return -1;
	/* A connection still using the old store keeps its own reference. */
	X509_STORE_free(t->store);
	t->store = fresh;
	t->read_from = now;
	return 0;
}

int http_trust_read(struct http_trust *t, char *why, size_t why_size)
{
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = store_current(t, why, why_size);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int http_trust_install(struct http_trust *t, void *ssl_ctx, char *why, size_t why_size)
{
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = store_current(t, why, why_size);
	if (rc == 0)
		SSL_CTX_set1_cert_store(ssl_ctx, t->store);
	pthread_mutex_unlock(&t->lock);
	return rc;
}
