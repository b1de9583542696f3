/*
 * Who may call: kube-apiserver's aggregator, proven by its front-proxy
 * client certificate, which must chain to the requestheader CA and carry an
 * allowed CN; only then are its X-Remote-* headers believed. The CA, the
 * allowed names and the header names come from files (--requestheader-*) or
 * from the ConfigMap kube-system/extension-apiserver-authentication, read
 * again every minute; the last good copy is kept. Until a first copy is in,
 * nobody is let in (fail closed).
 */
#ifndef DA_WEBHOOK_AUTH_H
#define DA_WEBHOOK_AUTH_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "base/error.h"
#include "base/log.h"
#include "k8s/k8s.h"

struct da_trust; /* one loaded copy: the CA store, the names; immutable */

struct da_auth {
	const char *ca_file;		  /* borrowed; NULL: the ConfigMap */
	const char *allowed_names;	  /* borrowed: a comma list, with ca_file */
	const struct da_k8s_source *k8s; /* borrowed */
	const struct da_log *log;	  /* borrowed */
	pthread_mutex_t lock;
	struct da_trust *current; /* NULL until loaded */
	time_t loaded_at;
	struct timespec file_mtime;
};

/* Load a first copy if possible (a failure is logged, and retried by
 * da_auth_refresh()). da_auth_free() when done. */
void da_auth_init(struct da_auth *a);
void da_auth_free(struct da_auth *a);

/* Reload when the file changed, or the ConfigMap every 60 s (every few
 * seconds until the first copy). From one thread at a time. */
void da_auth_refresh(struct da_auth *a);

int da_auth_ready(struct da_auth *a);

/*
 * The caller of a request on ssl, with headers(name) giving a request
 * header's value (NULL: absent; each group header may repeat, only the user
 * is taken). DA_OK with the user in user, else DA_ERR_CONFIG saying why
 * (the answer is a 401).
 */
typedef const char *da_auth_header_fn(void *ctx, const char *name);
enum da_code da_auth_check(struct da_auth *a, SSL *ssl, da_auth_header_fn *header, void *ctx,
			   char *user, size_t size, struct da_err *err);

#endif
