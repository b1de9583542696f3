/*
 * The Kubernetes Secret sink: a kubernetes.io/tls Secret, tls.crt the full
 * chain and tls.key its key, in one request, so a reader (an Istio gateway
 * through credentialName) never sees a key beside the wrong certificate.
 * What others put in the Secret (labels, annotations, ca.crt) is kept.
 *
 * Each call opens its own client: the write runs in the certificate key's
 * process (keyproc.h), a fork that must not share a connection with its
 * parent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/utc.h"
#include "k8s/k8s.h"
#include "store/sink.h"

#define TLS_TYPE "kubernetes.io/tls"
#define CERT_MANAGER_ANNOTATION "cert-manager.io/certificate-name"
struct secret_sink {
	char *kubeconfig;
	char *service_account_dir;
	char *ns;
	char *name;
	char *where; /* "secret NS/NAME" */
};

/* What one write puts. */
struct secret_write {
	const struct secret_sink *sink;
	const struct da_cert_out *cert;
};

static enum da_code connect_to(const struct secret_sink *s, struct da_k8s **k,
			       struct da_err *err)
{
	const struct da_k8s_source src = {
		.kubeconfig = s->kubeconfig,
		.service_account_dir = s->service_account_dir,
	};

	return da_k8s_open(&src, NULL, k, err);
}

/* A Secret we may write: ours or new, of the TLS type, not cert-manager's. */
static enum da_code check_ours(const char *where, const json_t *secret, struct da_err *err)
{
	const char *type = json_string_value(json_object_get(secret, "type"));
	const json_t *annotations =
		json_object_get(json_object_get(secret, "metadata"), "annotations");

	if (json_object_get(annotations, CERT_MANAGER_ANNOTATION) != NULL)
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s belongs to cert-manager's Certificate %.200s: delete that "
				  "Certificate first (README: migrating from cert-manager), or "
				  "name another Secret",
				  where,
				  json_string_value(json_object_get(annotations,
								    CERT_MANAGER_ANNOTATION)));
	if (type == NULL || strcmp(type, TLS_TYPE) != 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s is of type %.100s, not " TLS_TYPE
				  ": a gateway cannot read a certificate from it; delete it or "
				  "name another Secret",
				  where, type ? type : "(none)");
	return DA_OK;
}

/* data[key] decoded, as a NUL-terminated allocation (da_secret_free()), or NULL. */
static char *data_of(const json_t *secret, const char *key)
{
	const char *b64 = json_string_value(json_object_get(json_object_get(secret, "data"), key));
	size_t len;
	unsigned char *bytes = b64 ? da_b64_decode(b64, &len) : NULL;

	if (bytes != NULL && memchr(bytes, 0, len) != NULL) {
		da_secret_free((char *)bytes);
		return NULL;
	}
	return (char *)bytes;
}

static char *annotation(const json_t *secret, const char *key)
{
	const char *value = json_string_value(
		json_object_get(json_object_get(json_object_get(secret, "metadata"), "annotations"),
				key));

	return value ? strdup(value) : NULL;
}

enum da_code da_k8s_secret_stored(const json_t *secret, const char *where,
				  struct da_cert_stored **out, struct da_err *err)
{
	struct da_cert_stored *stored = NULL;
	char *pem = NULL;
	enum da_code rc;

	*out = NULL;
	rc = check_ours(where, secret, err);
	if (rc == DA_OK && (pem = data_of(secret, "tls.crt")) != NULL) {
		stored = calloc(1, sizeof(*stored));
		if (stored == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (stored != NULL) {
		stored->ca = annotation(secret, "dnsacme.io/ca");
		stored->key_type = annotation(secret, "dnsacme.io/key-type");
		/* What is not a certificate is none: it is issued anew. */
		if (da_crypto_chain_parse(pem, &stored->chain, NULL) == DA_OK)
			*out = stored;
		else
			da_store_cert_free(stored);
	}
	free(pem);
	return rc;
}

static enum da_code secret_read(void *impl, struct da_cert_stored **out, struct da_err *err)
{
	const struct secret_sink *s = impl;
	const struct da_k8s_ref ref = {"secrets", s->ns, s->name};
	struct da_k8s *k = NULL;
	json_t *secret = NULL;
	enum da_code rc;

	rc = connect_to(s, &k, err);
	if (rc == DA_OK)
		rc = da_k8s_get(k, &ref, &secret, err);
	/* Refused now, before anything is issued for it. */
	if (rc == DA_OK && secret != NULL)
		rc = da_k8s_secret_stored(secret, s->where, out, err);
	json_decref(secret);
	da_k8s_free(k);
	return rc;
}

/* Set obj[key] to a new string of value, base64'd when b64. */
static int set_string(json_t *obj, const char *key, const char *value, int b64)
{
	char *encoded = b64 ? da_b64_encode(value, strlen(value)) : NULL;
	int failed = (b64 && encoded == NULL) ||
		     json_object_set_new(obj, key, json_string(b64 ? encoded : value)) != 0;

	da_secret_free(encoded);
	return failed ? -1 : 0;
}

/* secret (the one read, or an empty new one) with our data and annotations. */
static enum da_code fill(json_t *secret, const struct da_cert_out *cert, struct da_err *err)
{
	const struct da_cert_info *leaf = &cert->chain->certs[0];
	json_t *meta = json_object_get(secret, "metadata");
	json_t *annotations = json_object_get(meta, "annotations");
	json_t *data = json_object_get(secret, "data");
	struct da_buf names = {0};
	char not_after[DA_UTC_LEN];
	int failed = 0;

	if (!json_is_object(annotations)) {
		annotations = json_object();
		failed |= json_object_set_new(meta, "annotations", annotations);
	}
	if (!json_is_object(data)) {
		data = json_object();
		failed |= json_object_set_new(secret, "data", data);
	}
	for (size_t i = 0; i < cert->n_names; i++)
		failed |= da_buf_printf(&names, "%s%s", i ? "," : "", cert->names[i]);
	da_utc_format(leaf->not_after, not_after);
	failed |= set_string(secret, "type", TLS_TYPE, 0) |
		  set_string(data, "tls.crt", cert->fullchain_pem, 1) |
		  set_string(data, "tls.key", cert->key_pem, 1) |
		  set_string(annotations, "dnsacme.io/names", names.data ? names.data : "", 0) |
		  set_string(annotations, "dnsacme.io/not-after", not_after, 0) |
		  set_string(annotations, "dnsacme.io/serial", leaf->serial_hex, 0) |
		  set_string(annotations, "dnsacme.io/issuer",
			     leaf->issuer_cn ? leaf->issuer_cn : "", 0) |
		  set_string(annotations, "dnsacme.io/ca", cert->ca, 0) |
		  set_string(annotations, "dnsacme.io/key-type",
			     da_crypto_key_type_name(cert->key_type), 0);
	da_buf_free(&names);
	return failed ? da_err_set(err, DA_ERR_NOMEM, "out of memory") : DA_OK;
}

static enum da_code change(json_t *secret, int exists, void *arg, struct da_err *err)
{
	const struct secret_write *w = arg;
	enum da_code rc = exists ? check_ours(w->sink->where, secret, err) : DA_OK;

	return rc == DA_OK ? fill(secret, w->cert, err) : rc;
}

static enum da_code secret_write(void *impl, const struct da_cert_out *cert, struct da_err *err)
{
	const struct secret_sink *s = impl;
	const struct da_k8s_ref ref = {"secrets", s->ns, s->name};
	struct secret_write w = {s, cert};
	struct da_k8s *k = NULL;
	enum da_code rc;

	rc = connect_to(s, &k, err);
	if (rc == DA_OK)
		rc = da_k8s_update(k, &ref, change, &w, NULL, err);
	da_k8s_free(k);
	return rc;
}

static void secret_free(void *impl)
{
	struct secret_sink *s = impl;

	if (s == NULL)
		return;
	free(s->kubeconfig);
	free(s->service_account_dir);
	free(s->ns);
	free(s->name);
	free(s->where);
	free(s);
}

static const struct da_sink_ops secret_ops = {
	.read = secret_read,
	.write = secret_write,
	.free = secret_free,
};

enum da_code da_k8s_sink_secret_open(const struct da_k8s_source *src, const char *ref,
				     struct da_sink **out, struct da_err *err)
{
	struct da_sink *sink = NULL;
	struct secret_sink *s = NULL;
	char *ns = NULL, *name = NULL;
	int failed;
	enum da_code rc;

	*out = NULL;
	rc = da_k8s_resolve(src, ref, "secret", &ns, &name, err);
	if (rc != DA_OK)
		return rc;
	sink = calloc(1, sizeof(*sink));
	s = calloc(1, sizeof(*s));
	failed = sink == NULL || s == NULL;
	if (s != NULL) {
		s->kubeconfig = da_strdup_or_null(src->kubeconfig, &failed);
		s->service_account_dir = da_strdup_or_null(src->service_account_dir, &failed);
		s->ns = ns;
		s->name = name;
		ns = name = NULL;
		if (asprintf(&s->where, "secret %s/%s", s->ns, s->name) < 0) {
			s->where = NULL;
			failed = 1;
		}
	}
	if (failed || (sink->where = strdup(s->where)) == NULL) {
		free(ns);
		free(name);
		free(sink);
		secret_free(s);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	sink->ops = &secret_ops;
	sink->impl = s;
	sink->networked = 1;
	*out = sink;
	return DA_OK;
}
