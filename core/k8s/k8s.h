/*
 * A small Kubernetes API client: stable core/v1 objects (Secrets and
 * ConfigMaps) read, created and replaced over HTTPS, as the pod's service
 * account or as a kubeconfig's user.
 *
 * Where the API server is and who dnsacme is to it (da_k8s_open()):
 *   - a kubeconfig file (src->kubeconfig, else $KUBECONFIG's first file): its
 *     current context's cluster (server, certificate-authority or -data) and
 *     user (token, tokenFile, client-certificate/-key or their -data), and the
 *     context's namespace; relative paths are relative to the file;
 *   - else inside a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 *     with the service account's token, ca.crt and namespace.
 * A token file is read again before every request: bound service account
 * tokens rotate about hourly.
 *
 * Errors name the verb, the object and what the API server said (its Status
 * message); a 403 also names the RBAC rule that is missing.
 */
#ifndef DA_K8S_K8S_H
#define DA_K8S_K8S_H

#include <stddef.h>

#include <jansson.h>

#include "base/error.h"
#include "base/log.h"

#define DA_K8S_SERVICE_ACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Borrowed for the call; copied by da_k8s_open(). */
struct da_k8s_source {
	const char *kubeconfig;		 /* NULL: $KUBECONFIG, else in-cluster */
	const char *service_account_dir; /* NULL: DA_K8S_SERVICE_ACCOUNT_DIR (tests) */
};

struct da_k8s; /* opaque */

/* *out: da_k8s_free(). DA_ERR_CONFIG naming the file and the field that is
 * missing or unusable (an exec credential plugin, say). log may be NULL. */
enum da_code da_k8s_open(const struct da_k8s_source *src, const struct da_log *log,
			 struct da_k8s **out, struct da_err *err);
void da_k8s_free(struct da_k8s *k);

/* The context's namespace, or the pod's; "default" when neither says. */
const char *da_k8s_namespace(const struct da_k8s *k);

/* One namespaced object. Strings borrowed. */
struct da_k8s_ref {
	const char *resource; /* "secrets", "configmaps" */
	const char *ns;
	const char *name;
};

/*
 * "NAMESPACE/NAME", or "NAME" in default_ns, checked as Kubernetes names
 * (a DNS label for the namespace, a DNS subdomain for the name). *ns and
 * *name: free(). DA_ERR_CONFIG naming what is wrong, as what (e.g.
 * "--secret").
 */
enum da_code da_k8s_name_parse(const char *text, const char *default_ns, const char *what,
			       char **ns, char **name, struct da_err *err);

/* GET: *obj the object (json_decref()), or NULL when there is none (404). */
enum da_code da_k8s_get(struct da_k8s *k, const struct da_k8s_ref *ref, json_t **obj,
			struct da_err *err);

/* POST: DA_ERR_CONFLICT when it exists already. *stored (NULL: not wanted)
 * the object as the server keeps it, with its resourceVersion. */
enum da_code da_k8s_create(struct da_k8s *k, const struct da_k8s_ref *ref, const json_t *obj,
			   json_t **stored, struct da_err *err);

/* PUT: obj's metadata.resourceVersion must be the one read; DA_ERR_CONFLICT
 * when another writer changed the object since (read again and redo). */
enum da_code da_k8s_replace(struct da_k8s *k, const struct da_k8s_ref *ref, const json_t *obj,
			    json_t **stored, struct da_err *err);

/*
 * The Secret sink (store/sink.h): a kubernetes.io/tls Secret ns/name, with
 * tls.crt (the full chain), tls.key and annotations dnsacme.io/names,
 * not-after, serial, issuer, ca and key-type; created when absent, else
 * replaced with the resourceVersion read (a conflict is read again, a few
 * times), keeping the labels, annotations and data keys others put there.
 * A Secret of another type, or one cert-manager owns, is refused when it is
 * read and when it is written. ref is "NAMESPACE/NAME", or "NAME" in the
 * namespace of src (da_k8s_namespace()); nothing is asked of the API server
 * here. *out: da_store_sink_free().
 */
struct da_sink;
enum da_code da_k8s_sink_secret_open(const struct da_k8s_source *src, const char *ref,
				     struct da_sink **out, struct da_err *err);

/* ref ("NAMESPACE/NAME" or "NAME") as a namespace and a name (free() each),
 * the default namespace src's; what names the setting in errors. */
enum da_code da_k8s_resolve(const struct da_k8s_source *src, const char *ref, const char *what,
			    char **ns, char **name, struct da_err *err);

/*
 * Read-modify-write: read ref and let change() edit the object — or, when
 * there is none, a new one holding only apiVersion, kind, name and
 * namespace (exists 0) — then replace it with the resourceVersion read, or
 * create it. While another writer gets there first (409), again from the
 * read, a few times after a short random pause; then DA_ERR_CONFLICT.
 * change() failing stops it with its code. *stored (NULL: not wanted) as
 * da_k8s_create().
 */
typedef enum da_code da_k8s_change_fn(json_t *obj, int exists, void *arg, struct da_err *err);
enum da_code da_k8s_update(struct da_k8s *k, const struct da_k8s_ref *ref,
			   da_k8s_change_fn *change, void *arg, json_t **stored,
			   struct da_err *err);

/* What a Secret holds, as the sink reads it (also for the fuzz target):
 * *out NULL when tls.crt is no certificate chain; DA_ERR_CONFIG, naming
 * where, for a Secret the sink may not write. */
struct da_cert_stored;
enum da_code da_k8s_secret_stored(const json_t *secret, const char *where,
				  struct da_cert_stored **out, struct da_err *err);

/* The parsers, for the fuzz targets: a YAML document as JSON (mappings,
 * sequences, scalars as strings; anchors refused), and a kubeconfig text's
 * settings (relative paths against dir). */
enum da_code da_k8s_yaml_parse(const char *text, size_t len, json_t **out, struct da_err *err);
enum da_code da_k8s_kubeconfig_parse(const char *text, size_t len, const char *dir,
				     struct da_k8s **out, struct da_err *err);

#endif
