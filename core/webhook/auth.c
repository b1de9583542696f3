/* The aggregator's front-proxy certificate and identity headers: see auth.h. */
#include "webhook/auth.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/file.h"

#define CONFIGMAP_SECONDS 60
#define RETRY_SECONDS 5
#define MAX_NAMES 32

struct da_trust {
	X509_STORE *store;
	char *names[MAX_NAMES]; /* allowed CNs; none: any */
	size_t n_names;
	char *user_headers[4]; /* X-Remote-User, ... */
	size_t n_user_headers;
	int refs;
};

static void trust_unref(struct da_trust *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	X509_STORE_free(t->store);
	for (size_t i = 0; i < t->n_names; i++)
		free(t->names[i]);
	for (size_t i = 0; i < t->n_user_headers; i++)
		free(t->user_headers[i]);
	free(t);
}

/* Every certificate of a PEM bundle into a new store. */
static enum da_code store_of(const char *pem, size_t len, X509_STORE **out, struct da_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509_STORE *store = X509_STORE_new();
	X509 *cert;
	int n = 0;

	while (bio && store && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n += X509_STORE_add_cert(store, cert) == 1;
		X509_free(cert);
	}
	BIO_free(bio);
	if (n == 0) {
		X509_STORE_free(store);
		return da_err_set(err, DA_ERR_CONFIG, "the requestheader CA holds no certificate");
	}
	*out = store;
	return DA_OK;
}

/* A JSON string array (the ConfigMap's form) or a comma list into list. */
static void names_of(const char *text, int json, char **list, size_t *n, size_t max)
{
	json_t *array = json ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *item;

	*n = 0;
	if (json) {
		json_array_foreach(array, i, item)
			if (json_string_length(item) > 0 && *n < max)
				list[(*n)++] = strdup(json_string_value(item));
		json_decref(array);
		return;
	}
	for (const char *p = text; p && *p && *n < max;) {
		size_t len = strcspn(p, ",");

		if (len > 0)
			list[(*n)++] = strndup(p, len);
		p += len + (p[len] == ',');
	}
}

static struct da_trust *trust_new(void)
{
	struct da_trust *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->refs = 1;
	return t;
}

static enum da_code from_file(struct da_auth *a, struct da_trust **out, struct da_err *err)
{
	struct da_trust *t = trust_new();
	char *pem = NULL;
	size_t len = 0;
	enum da_code rc = t ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");

	if (rc == DA_OK)
		rc = da_file_read(a->ca_file, DA_FILE_READ_MAX, &pem, &len, err);
	if (rc == DA_OK)
		rc = store_of(pem, len, &t->store, err);
	free(pem);
	if (rc == DA_OK && a->allowed_names)
		names_of(a->allowed_names, 0, t->names, &t->n_names, MAX_NAMES);
	if (rc == DA_OK)
		t->user_headers[t->n_user_headers++] = strdup("X-Remote-User");
	if (rc != DA_OK) {
		trust_unref(t);
		return da_err_wrap(err, "--requestheader-client-ca-file %s", a->ca_file);
	}
	*out = t;
	return DA_OK;
}

static enum da_code from_configmap(struct da_auth *a, struct da_trust **out, struct da_err *err)
{
	const struct da_k8s_ref ref = {"configmaps", "kube-system",
				       "extension-apiserver-authentication"};
	struct da_k8s *k = NULL;
	struct da_trust *t = trust_new();
	json_t *cm = NULL, *data;
	const char *pem, *text;
	enum da_code rc = t ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");

	if (rc == DA_OK)
		rc = da_k8s_open(a->k8s, NULL, &k, err);
	if (rc == DA_OK)
		rc = da_k8s_get(k, &ref, &cm, err);
	if (rc == DA_OK && cm == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "configmaps kube-system/"
				"extension-apiserver-authentication not found");
	data = json_object_get(cm, "data");
	pem = json_string_value(json_object_get(data, "requestheader-client-ca-file"));
	if (rc == DA_OK && pem == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG,
				"configmap kube-system/extension-apiserver-authentication has no "
				"requestheader-client-ca-file: the API server has no front proxy");
	if (rc == DA_OK)
		rc = store_of(pem, strlen(pem), &t->store, err);
	if (rc == DA_OK &&
	    (text = json_string_value(json_object_get(data, "requestheader-allowed-names"))))
		names_of(text, 1, t->names, &t->n_names, MAX_NAMES);
	if (rc == DA_OK &&
	    (text = json_string_value(json_object_get(data, "requestheader-username-headers"))))
		names_of(text, 1, t->user_headers, &t->n_user_headers, 4);
	if (rc == DA_OK && t->n_user_headers == 0)
		t->user_headers[t->n_user_headers++] = strdup("X-Remote-User");
	json_decref(cm);
	da_k8s_free(k);
	if (rc != DA_OK) {
		trust_unref(t);
		return rc;
	}
	*out = t;
	return DA_OK;
}

static void install(struct da_auth *a, struct da_trust *t)
{
	struct da_trust *old;

	pthread_mutex_lock(&a->lock);
	old = a->current;
	a->current = t;
	a->loaded_at = time(NULL);
	trust_unref(old); /* counted under the lock, as da_auth_check() counts */
	pthread_mutex_unlock(&a->lock);
}

void da_auth_refresh(struct da_auth *a)
{
	struct da_trust *t = NULL;
	struct da_err err = {0};
	struct stat st;
	time_t now = time(NULL);
	int due;

	if (a->ca_file != NULL) {
		due = stat(a->ca_file, &st) == 0 &&
		      (st.st_mtim.tv_sec != a->file_mtime.tv_sec ||
		       st.st_mtim.tv_nsec != a->file_mtime.tv_nsec);
		if (!due && a->current != NULL)
			return;
		if (from_file(a, &t, &err) == DA_OK) {
			a->file_mtime = st.st_mtim;
			install(a, t);
			return;
		}
	} else {
		if (now - a->loaded_at < (a->current ? CONFIGMAP_SECONDS : RETRY_SECONDS))
			return;
		if (from_configmap(a, &t, &err) == DA_OK) {
			install(a, t);
			return;
		}
		a->loaded_at = now; /* retried after RETRY_SECONDS, or a minute */
	}
	da_logf(a->log, DNSACME_LOG_ERROR, "the front proxy's CA: %s%s", err.msg,
		a->current ? " (the last good copy stays in use)" : "; every request gets 401");
}

void da_auth_init(struct da_auth *a)
{
	pthread_mutex_init(&a->lock, NULL);
	a->current = NULL;
	a->loaded_at = 0;
	a->file_mtime = (struct timespec){0, 0};
	da_auth_refresh(a);
}

void da_auth_free(struct da_auth *a)
{
	trust_unref(a->current);
	a->current = NULL;
	pthread_mutex_destroy(&a->lock);
}

int da_auth_ready(struct da_auth *a)
{
	int ready;

	pthread_mutex_lock(&a->lock);
	ready = a->current != NULL;
	pthread_mutex_unlock(&a->lock);
	return ready;
}

static int allowed(const struct da_trust *t, const char *cn)
{
	if (t->n_names == 0)
		return 1;
	for (size_t i = 0; i < t->n_names; i++)
		if (t->names[i] && strcmp(t->names[i], cn) == 0)
			return 1;
	return 0;
}

enum da_code da_auth_check(struct da_auth *a, SSL *ssl, da_auth_header_fn *header, void *ctx,
			   char *user, size_t size, struct da_err *err)
{
	X509 *leaf = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	STACK_OF(X509) *chain = ssl ? SSL_get_peer_cert_chain(ssl) : NULL;
	X509_STORE_CTX *vctx = NULL;
	struct da_trust *t;
	char cn[256] = "";
	enum da_code rc = DA_OK;

	user[0] = '\0';
	pthread_mutex_lock(&a->lock);
	t = a->current;
	if (t != NULL)
		t->refs++;
	pthread_mutex_unlock(&a->lock);
	if (t == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "the front proxy's CA is not loaded yet");
	else if (leaf == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "no client certificate");
	if (rc == DA_OK && ((vctx = X509_STORE_CTX_new()) == NULL ||
			    X509_STORE_CTX_init(vctx, t->store, leaf, chain) != 1 ||
			    X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT) != 1 ||
			    X509_verify_cert(vctx) != 1))
		rc = da_err_set(err, DA_ERR_CONFIG, "the client certificate does not verify against "
				"the front proxy's CA: %s",
				vctx ? X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx))
				     : "out of memory");
	if (rc == DA_OK) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
					  sizeof(cn));
		if (!allowed(t, cn))
			rc = da_err_set(err, DA_ERR_CONFIG,
					"the client certificate's CN %.100s is not an allowed name", cn);
	}
	for (size_t i = 0; rc == DA_OK && i < t->n_user_headers && !user[0]; i++) {
		const char *value = header(ctx, t->user_headers[i]);

		if (value != NULL && value[0] != '\0')
			snprintf(user, size, "%s", value);
	}
	if (rc == DA_OK && !user[0])
		rc = da_err_set(err, DA_ERR_CONFIG, "no user in the identity headers");
	X509_STORE_CTX_free(vctx);
	X509_free(leaf);
	if (t != NULL) {
		pthread_mutex_lock(&a->lock);
		trust_unref(t);
		pthread_mutex_unlock(&a->lock);
	}
	return rc;
}
