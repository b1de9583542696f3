/* The Kubernetes API client: see k8s.h. */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/sleep.h"
#include "k8s/internal.h"

void da_k8s_free(struct da_k8s *k)
{
	if (k == NULL)
		return;
	free(k->where);
	free(k->server);
	free(k->ns);
	free(k->ca_pem);
	free(k->ca_file);
	da_secret_free(k->token);
	free(k->token_file);
	free(k->cert_pem);
	da_secret_free(k->key_pem);
	free(k->cert_file);
	free(k->key_file);
	da_http_free(k->http);
	free(k);
}

const char *da_k8s_namespace(const struct da_k8s *k)
{
	return k->ns;
}

/* *pem from path, when *pem is not set yet and path is. */
static enum da_code read_pem(const char *path, char **pem, struct da_err *err)
{
	size_t len;

	if (*pem != NULL || path == NULL)
		return DA_OK;
	return da_file_read(path, DA_FILE_READ_MAX, pem, &len, err);
}

static enum da_code from_kubeconfig(const char *path, struct da_k8s **out, struct da_err *err)
{
	char *text = NULL, *copy = strdup(path);
	size_t len = 0;
	enum da_code rc;

	if (copy == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = da_file_read(path, DA_FILE_READ_MAX, &text, &len, err);
	if (rc == DA_OK)
		rc = da_k8s_kubeconfig_parse(text, len, dirname(copy), out, err);
	if (rc == DA_OK && asprintf(&(*out)->where, "kubeconfig %s", path) < 0) {
		(*out)->where = NULL;
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	da_secret_free(text);
	free(copy);
	return rc == DA_OK ? DA_OK : da_err_wrap(err, "kubeconfig %s", path);
}

static enum da_code in_cluster(const char *dir, struct da_k8s **out, struct da_err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct da_k8s *k;
	char *ns_file = NULL;
	enum da_code rc = DA_OK;

	*out = NULL;
	if (host == NULL || host[0] == '\0')
		return da_err_set(err, DA_ERR_CONFIG,
				  "no Kubernetes API server: not in a pod (no "
				  "KUBERNETES_SERVICE_HOST), and no --kubeconfig or KUBECONFIG");
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	/* An IPv6 address is bracketed in a URL. */
	if (asprintf(&k->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		     port && port[0] ? port : "443") < 0 ||
	    asprintf(&k->token_file, "%s/token", dir) < 0 ||
	    asprintf(&k->ca_file, "%s/ca.crt", dir) < 0 || asprintf(&ns_file, "%s/namespace", dir) < 0 ||
	    (k->where = strdup("the pod's service account")) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = da_file_read_value(ns_file, &k->ns, err);
	free(ns_file);
	if (rc != DA_OK) {
		da_k8s_free(k);
		return da_err_wrap(err, "in-cluster configuration");
	}
	*out = k;
	return DA_OK;
}

enum da_code da_k8s_open(const struct da_k8s_source *src, const struct da_log *log,
			 struct da_k8s **out, struct da_err *err)
{
	const char *kubeconfig = src->kubeconfig;
	char *first = NULL;
	struct da_k8s *k = NULL;
	enum da_code rc;

	*out = NULL;
	/* KUBECONFIG may list files; the first one is used. */
	if (kubeconfig == NULL && getenv("KUBECONFIG") && getenv("KUBECONFIG")[0]) {
		first = strndup(getenv("KUBECONFIG"), strcspn(getenv("KUBECONFIG"), ":"));
		if (first == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		kubeconfig = first;
	}
	rc = kubeconfig ? from_kubeconfig(kubeconfig, &k, err)
			: in_cluster(src->service_account_dir ? src->service_account_dir
							      : DA_K8S_SERVICE_ACCOUNT_DIR,
				     &k, err);
	free(first);
	if (rc != DA_OK)
		return rc;
	k->log = log;
	rc = read_pem(k->ca_file, &k->ca_pem, err);
	if (rc == DA_OK)
		rc = read_pem(k->cert_file, &k->cert_pem, err);
	if (rc == DA_OK)
		rc = read_pem(k->key_file, &k->key_pem, err);
	if (rc == DA_OK) {
		const struct da_http_config cfg = {
			.ca_pem = k->ca_pem,
			.client_cert_pem = k->cert_pem,
			.client_key_pem = k->key_pem,
		};

		rc = da_http_new(&k->http, &cfg, log, err);
	}
	if (rc != DA_OK) {
		da_err_wrap(err, "%s", k->where);
		da_k8s_free(k);
		return rc;
	}
	*out = k;
	return DA_OK;
}

/* Another writer between our read and our write: read again, this often. */
#define MAX_CONFLICTS 5

/* --- names ---------------------------------------------------------------- */

/* RFC 1123 labels joined by dots (dots only when subdomain), at most max. */
static int k8s_name_ok(const char *s, size_t len, size_t max, int subdomain)
{
	if (len == 0 || len > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-' || (subdomain && c == '.')))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

enum da_code da_k8s_name_parse(const char *text, const char *default_ns, const char *what,
			       char **ns, char **name, struct da_err *err)
{
	const char *slash = strchr(text, '/');
	const char *n = slash ? slash + 1 : text;
	size_t ns_len = slash ? (size_t)(slash - text) : strlen(default_ns);

	*ns = *name = NULL;
	if (slash && !k8s_name_ok(text, ns_len, 63, 0))
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s %.300s: the namespace must be a DNS label (a-z, 0-9, '-')",
				  what, text);
	if (!k8s_name_ok(n, strlen(n), 253, 1))
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s %.300s: the name must be NAMESPACE/NAME, lower case a-z, 0-9, "
				  "'-' and '.'",
				  what, text);
	*ns = strndup(slash ? text : default_ns, ns_len);
	*name = strdup(n);
	if (*ns == NULL || *name == NULL) {
		free(*ns);
		free(*name);
		*ns = *name = NULL;
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	return DA_OK;
}

enum da_code da_k8s_resolve(const struct da_k8s_source *src, const char *ref, const char *what,
			    char **ns, char **name, struct da_err *err)
{
	struct da_k8s *k = NULL;
	enum da_code rc;

	*ns = *name = NULL;
	if (strchr(ref, '/') != NULL)
		return da_k8s_name_parse(ref, "", what, ns, name, err);
	rc = da_k8s_open(src, NULL, &k, err);
	if (rc == DA_OK)
		rc = da_k8s_name_parse(ref, k->ns, what, ns, name, err);
	da_k8s_free(k);
	return rc;
}

/* --- requests ------------------------------------------------------------- */

/* The RBAC verb of an HTTP method on one object. */
static const char *verb_of(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return "get";
	if (strcmp(method, "POST") == 0)
		return "create";
	return "update";
}

/* The error for a non-2xx answer: verb, object, status and the Status message. */
static enum da_code refused(const struct da_k8s_ref *ref, const char *method,
			    const struct dnsacme_http_response *resp, struct da_err *err)
{
	json_t *status = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *message = json_string_value(json_object_get(status, "message"));
	const char *verb = verb_of(method);
	char rule[300] = "";
	enum da_code code = DA_ERR_CONFIG;

	if (resp->status == 409)
		code = DA_ERR_CONFLICT;
	else if (resp->status == 429 || resp->status >= 500)
		code = DA_ERR_NETWORK;
	if (resp->status == 403)
		snprintf(rule, sizeof(rule),
			 " (RBAC: the Role bound to dnsacme's service account needs verb \"%s\" on "
			 "resource \"%s\"%s in namespace %s)",
			 verb, ref->resource, strcmp(verb, "create") == 0 ? "" : " for this name",
			 ref->ns);
	da_err_set(err, code, "%s %s %s/%s: the API server answered %ld: %.400s%s", verb,
		   ref->resource, ref->ns, ref->name, resp->status,
		   message ? message : "(no Status message)", rule);
	json_decref(status);
	return code;
}

/* The bearer token in *token (da_secret_free()), read again from its file
 * when it has one; NULL when the user has a client certificate instead. */
static enum da_code bearer(struct da_k8s *k, char **token, struct da_err *err)
{
	*token = NULL;
	if (k->token_file != NULL)
		return da_file_read_value(k->token_file, token, err) == DA_OK
			       ? DA_OK
			       : da_err_wrap(err, "the bearer token");
	if (k->token != NULL && (*token = strdup(k->token)) == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

/*
 * One request on ref (with its name unless POST). *answer is the 2xx body
 * parsed; a 404 on GET is DA_OK with *answer NULL.
 */
static enum da_code request(struct da_k8s *k, const char *method, const struct da_k8s_ref *ref,
			    const json_t *body, json_t **answer, struct da_err *err)
{
	struct dnsacme_http_header headers[3] = {{"accept", "application/json"}};
	struct dnsacme_http_request req = {.method = method, .headers = headers, .n_headers = 1};
	struct dnsacme_http_response resp = {0};
	char *url = NULL, *token = NULL, *auth = NULL, *text = NULL;
	enum da_code rc;
	int n;

	*answer = NULL;
	rc = bearer(k, &token, err);
	if (rc == DA_OK && token != NULL && asprintf(&auth, "Bearer %s", token) < 0)
		auth = NULL;
	n = strcmp(method, "POST") == 0
		    ? asprintf(&url, "%s/api/v1/namespaces/%s/%s", k->server, ref->ns, ref->resource)
		    : asprintf(&url, "%s/api/v1/namespaces/%s/%s/%s", k->server, ref->ns,
			       ref->resource, ref->name);
	if (n < 0)
		url = NULL;
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT);
	if (rc == DA_OK && (url == NULL || (token && !auth) || (body != NULL && text == NULL)))
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (auth != NULL)
		headers[req.n_headers++] = (struct dnsacme_http_header){"authorization", auth};
	if (text != NULL) {
		headers[req.n_headers++] =
			(struct dnsacme_http_header){"content-type", "application/json"};
		req.body = text;
		req.body_len = strlen(text);
	}
	req.url = url;
	if (rc == DA_OK)
		rc = da_http_do(k->http, &req, &resp, err);
	if (rc != DA_OK)
		da_err_wrap(err, "%s %s %s/%s at %s", verb_of(method), ref->resource, ref->ns,
			    ref->name, k->server);
	else if (resp.status == 404 && strcmp(method, "GET") == 0)
		rc = DA_OK;
	else if (resp.status < 200 || resp.status > 299)
		rc = refused(ref, method, &resp, err);
	else if ((*answer = json_loadb(resp.body, resp.body_len, 0, NULL)) == NULL ||
		 !json_is_object(*answer))
		rc = da_err_set(err, DA_ERR_PROTOCOL,
				"%s %s %s/%s: the API server's answer is not a JSON object",
				verb_of(method), ref->resource, ref->ns, ref->name);
	if (rc != DA_OK) {
		json_decref(*answer);
		*answer = NULL;
	}
	da_http_response_free(&resp);
	/* The body may carry a private key: wipe it. */
	da_secret_free(text);
	da_secret_free(auth);
	da_secret_free(token);
	free(url);
	return rc;
}

enum da_code da_k8s_get(struct da_k8s *k, const struct da_k8s_ref *ref, json_t **obj,
			struct da_err *err)
{
	return request(k, "GET", ref, NULL, obj, err);
}

static enum da_code write_object(struct da_k8s *k, const char *method,
				 const struct da_k8s_ref *ref, const json_t *obj, json_t **stored,
				 struct da_err *err)
{
	json_t *answer = NULL;
	enum da_code rc = request(k, method, ref, obj, &answer, err);

	if (stored != NULL)
		*stored = answer;
	else
		json_decref(answer);
	return rc;
}

enum da_code da_k8s_create(struct da_k8s *k, const struct da_k8s_ref *ref, const json_t *obj,
			   json_t **stored, struct da_err *err)
{
	return write_object(k, "POST", ref, obj, stored, err);
}

enum da_code da_k8s_update(struct da_k8s *k, const struct da_k8s_ref *ref,
			   da_k8s_change_fn *change, void *arg, json_t **stored,
			   struct da_err *err)
{
	const char *kind = strcmp(ref->resource, "secrets") == 0 ? "Secret" : "ConfigMap";
	enum da_code rc = DA_ERR_CONFLICT;

	for (int attempt = 0; rc == DA_ERR_CONFLICT && attempt < MAX_CONFLICTS; attempt++) {
		json_t *obj = NULL;
		int exists;

		if (attempt > 0)
			da_sleep_ms(50 + random() % 200, NULL);
		rc = da_k8s_get(k, ref, &obj, err);
		exists = obj != NULL;
		if (rc == DA_OK && !exists &&
		    (obj = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", kind,
				     "metadata", "name", ref->name, "namespace", ref->ns)) == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		if (rc == DA_OK)
			rc = change(obj, exists, arg, err);
		if (rc == DA_OK)
			rc = exists ? da_k8s_replace(k, ref, obj, stored, err)
				    : da_k8s_create(k, ref, obj, stored, err);
		json_decref(obj);
	}
	return rc;
}

enum da_code da_k8s_replace(struct da_k8s *k, const struct da_k8s_ref *ref, const json_t *obj,
			    json_t **stored, struct da_err *err)
{
	return write_object(k, "PUT", ref, obj, stored, err);
}
