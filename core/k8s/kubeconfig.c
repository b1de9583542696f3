/*
 * kubeconfig files: YAML read with libyaml into a JSON tree (every scalar a
 * string), then the current context's cluster and user taken from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/b64.h"
#include "base/buf.h"
#include "k8s/internal.h"

/* A kubeconfig nests four deep; anything near this is not one. */
#define MAX_DEPTH 32

struct reader {
	yaml_parser_t parser;
	struct da_err *err;
};

static enum da_code next_event(struct reader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return DA_OK;
	return da_err_set(r->err, DA_ERR_CONFIG, "YAML line %zu: %s",
			  r->parser.problem_mark.line + 1,
			  r->parser.problem ? r->parser.problem : "cannot be parsed");
}

/* The node that starts with ev (consumed), as *out. */
static enum da_code node(struct reader *r, yaml_event_t *ev, int depth, json_t **out)
{
	yaml_event_t child;
	json_t *value = NULL, *key = NULL;
	enum da_code rc = DA_OK;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return da_err_set(r->err, DA_ERR_CONFIG, "YAML nested more than %d deep", MAX_DEPTH);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return da_err_set(r->err, DA_ERR_CONFIG, "YAML line %zu: aliases are not supported",
				  ev->start_mark.line + 1);
	case YAML_SCALAR_EVENT:
		*out = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
		return *out ? DA_OK : da_err_set(r->err, DA_ERR_CONFIG,
						 "YAML line %zu: a value that is not UTF-8",
						 ev->start_mark.line + 1);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		return da_err_set(r->err, DA_ERR_CONFIG, "YAML line %zu: unexpected event",
				  ev->start_mark.line + 1);
	}
	value = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
	if (value == NULL)
		return da_err_set(r->err, DA_ERR_NOMEM, "out of memory");
	for (;;) {
		json_t *item = NULL;

		rc = next_event(r, &child);
		if (rc != DA_OK)
			break;
		if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&child);
			break;
		}
		rc = node(r, &child, depth + 1, &item);
		yaml_event_delete(&child);
		if (rc != DA_OK)
			break;
		if (json_is_array(value)) {
			json_array_append_new(value, item);
		} else if (key == NULL) {
			if (!json_is_string(item)) {
				json_decref(item);
				rc = da_err_set(r->err, DA_ERR_CONFIG, "YAML: a key that is not a string");
				break;
			}
			key = item;
		} else {
			json_object_set_new(value, json_string_value(key), item);
			json_decref(key);
			key = NULL;
		}
	}
	json_decref(key);
	if (rc != DA_OK) {
		json_decref(value);
		return rc;
	}
	*out = value;
	return DA_OK;
}

enum da_code da_k8s_yaml_parse(const char *text, size_t len, json_t **out, struct da_err *err)
{
	struct reader r = {.err = err};
	yaml_event_t ev;
	enum da_code rc = DA_OK;

	*out = NULL;
	if (!yaml_parser_initialize(&r.parser))
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	/* Stream start, document start, the root node. */
	while (rc == DA_OK && *out == NULL) {
		rc = next_event(&r, &ev);
		if (rc != DA_OK)
			break;
		if (ev.type == YAML_STREAM_END_EVENT)
			rc = da_err_set(err, DA_ERR_CONFIG, "YAML: the document is empty");
		else if (ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_DOCUMENT_START_EVENT)
			rc = node(&r, &ev, 0, out);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&r.parser);
	return rc;
}

/* --- the kubeconfig ------------------------------------------------------- */

/* list's entry whose "name" is name, its member field (an object), or NULL. */
static json_t *named(json_t *root, const char *list, const char *name, const char *field)
{
	json_t *entries = json_object_get(root, list), *entry;
	size_t i;

	json_array_foreach(entries, i, entry) {
		json_t *value = json_object_get(entry, field);

		if (json_is_string(json_object_get(entry, "name")) &&
		    strcmp(json_string_value(json_object_get(entry, "name")), name) == 0)
			return json_is_object(value) ? value : NULL;
	}
	return NULL;
}

static const char *string(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A copy of a path, made absolute against dir; NULL path: NULL. */
static enum da_code path_in(const char *path, const char *dir, char **out, struct da_err *err)
{
	int n;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return DA_OK;
	n = path[0] == '/' || dir == NULL ? asprintf(out, "%s", path)
					  : asprintf(out, "%s/%s", dir, path);
	if (n < 0) {
		*out = NULL;
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	return DA_OK;
}

/* field-data (base64 in the file) into *pem. */
static enum da_code pem_data(json_t *obj, const char *field, char **pem, struct da_err *err)
{
	const char *b64 = string(obj, field);
	unsigned char *bytes = NULL;
	size_t len = 0;

	*pem = NULL;
	if (b64 == NULL)
		return DA_OK;
	bytes = da_b64_decode(b64, &len);
	if (bytes == NULL || memchr(bytes, 0, len) != NULL) {
		da_secret_free((char *)bytes);
		return da_err_set(err, DA_ERR_CONFIG, "%s is not base64 of a PEM text", field);
	}
	*pem = (char *)bytes;
	return DA_OK;
}

static enum da_code cluster_settings(struct da_k8s *k, json_t *cluster, const char *dir,
				     struct da_err *err)
{
	const char *server = string(cluster, "server");
	enum da_code rc;

	if (server == NULL || strncmp(server, "https://", 8) != 0)
		return da_err_set(err, DA_ERR_CONFIG, "the cluster's server must be an https:// URL");
	/* Every scalar is a string here (yaml_parse). */
	if (string(cluster, "insecure-skip-tls-verify") &&
	    strcmp(string(cluster, "insecure-skip-tls-verify"), "true") == 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "insecure-skip-tls-verify is not supported: give the cluster's "
				  "certificate-authority");
	k->server = strdup(server);
	if (k->server == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	k->server[strcspn(k->server + 8, "/") + 8] = '\0'; /* a path is not ours to keep */
	rc = pem_data(cluster, "certificate-authority-data", &k->ca_pem, err);
	if (rc == DA_OK && k->ca_pem == NULL)
		rc = path_in(string(cluster, "certificate-authority"), dir, &k->ca_file, err);
	return rc;
}

static enum da_code user_settings(struct da_k8s *k, json_t *user, const char *dir,
				  struct da_err *err)
{
	enum da_code rc = DA_OK;

	if (json_object_get(user, "exec") != NULL || json_object_get(user, "auth-provider") != NULL)
		return da_err_set(err, DA_ERR_CONFIG,
				  "the user's exec or auth-provider credentials are not supported: "
				  "give a token, tokenFile or client certificate");
	if (string(user, "token") != NULL && (k->token = strdup(string(user, "token"))) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = path_in(string(user, "tokenFile"), dir, &k->token_file, err);
	if (rc == DA_OK)
		rc = pem_data(user, "client-certificate-data", &k->cert_pem, err);
	if (rc == DA_OK)
		rc = pem_data(user, "client-key-data", &k->key_pem, err);
	if (rc == DA_OK && k->cert_pem == NULL)
		rc = path_in(string(user, "client-certificate"), dir, &k->cert_file, err);
	if (rc == DA_OK && k->key_pem == NULL)
		rc = path_in(string(user, "client-key"), dir, &k->key_file, err);
	if (rc == DA_OK && !k->token && !k->token_file && !(k->cert_pem || k->cert_file))
		rc = da_err_set(err, DA_ERR_CONFIG,
				"the user has no token, tokenFile or client certificate");
	if (rc == DA_OK && (k->cert_pem || k->cert_file) != (k->key_pem || k->key_file))
		rc = da_err_set(err, DA_ERR_CONFIG,
				"a client certificate needs its key, and a key its certificate");
	return rc;
}

enum da_code da_k8s_kubeconfig_parse(const char *text, size_t len, const char *dir,
				     struct da_k8s **out, struct da_err *err)
{
	struct da_k8s *k;
	json_t *root = NULL, *context = NULL, *cluster = NULL, *user = NULL;
	const char *current;
	enum da_code rc;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = da_k8s_yaml_parse(text, len, &root, err);
	current = rc == DA_OK ? string(root, "current-context") : NULL;
	if (rc == DA_OK && current == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "no current-context");
	if (rc == DA_OK && (context = named(root, "contexts", current, "context")) == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "no context named %.100s", current);
	if (rc == DA_OK && (!string(context, "cluster") || !string(context, "user")))
		rc = da_err_set(err, DA_ERR_CONFIG, "context %.100s names no cluster or no user",
				current);
	if (rc == DA_OK && !(cluster = named(root, "clusters", string(context, "cluster"),
					     "cluster")))
		rc = da_err_set(err, DA_ERR_CONFIG, "no cluster named %.100s",
				string(context, "cluster"));
	if (rc == DA_OK && !(user = named(root, "users", string(context, "user"), "user")))
		rc = da_err_set(err, DA_ERR_CONFIG, "no user named %.100s", string(context, "user"));
	if (rc == DA_OK)
		rc = cluster_settings(k, cluster, dir, err);
	if (rc == DA_OK)
		rc = user_settings(k, user, dir, err);
	if (rc == DA_OK &&
	    (k->ns = strdup(string(context, "namespace") ? string(context, "namespace")
							  : "default")) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	json_decref(root);
	if (rc != DA_OK) {
		da_k8s_free(k);
		return rc;
	}
	*out = k;
	return DA_OK;
}
