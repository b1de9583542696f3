/*
 * The directory sink: the layout certbot users know (cert.pem, chain.pem,
 * fullchain.pem, privkey.pem) plus metadata.json, replaced as one set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/file.h"
#include "base/utc.h"
#include "store/sink.h"
#include "store/store.h"

#define END_CERTIFICATE "-----END CERTIFICATE-----"

struct dir_sink {
	char *dir;
	char *cert_path;
	char *meta_path;
};

/* metadata.json: what was asked for and what came, for people and for the
 * next run's "is it due" (ca, key_type). */
static char *metadata_json(const struct da_cert_out *cert)
{
	const struct da_cert_info *leaf = &cert->chain->certs[0];
	json_t *root, *list = json_array();
	char not_before[DA_UTC_LEN], not_after[DA_UTC_LEN];
	char *text;

	for (size_t i = 0; list != NULL && i < cert->n_names; i++)
		json_array_append_new(list, json_string(cert->names[i]));
	da_utc_format(leaf->not_before, not_before);
	da_utc_format(leaf->not_after, not_after);
	root = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "names", list, "not_before",
			 not_before, "not_after", not_after, "serial", leaf->serial_hex, "ca",
			 cert->ca, "key_type", da_crypto_key_type_name(cert->key_type), "issuer",
			 leaf->issuer_cn, "ari_id", leaf->ari_id);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	return text;
}

/* cert.pem is the leaf; chain.pem the rest; fullchain.pem both. */
static enum da_code dir_write(void *impl, const struct da_cert_out *cert, struct da_err *err)
{
	const struct dir_sink *d = impl;
	const char *rest = strstr(cert->fullchain_pem, END_CERTIFICATE);
	struct da_cert_files files = {0};
	char *leaf, *meta;
	enum da_code rc;

	if (rest == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "the CA sent no certificate");
	rest += strlen(END_CERTIFICATE);
	while (*rest == '\r' || *rest == '\n')
		rest++;
	leaf = strndup(cert->fullchain_pem, (size_t)(rest - cert->fullchain_pem));
	meta = metadata_json(cert);
	if (leaf == NULL || meta == NULL) {
		free(leaf);
		free(meta);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	files.cert_pem = leaf;
	files.chain_pem = rest;
	files.fullchain_pem = cert->fullchain_pem;
	files.privkey_pem = cert->key_pem;
	files.metadata_json = meta;
	rc = da_store_write_certificate(d->dir, &files, err);
	free(leaf);
	free(meta);
	return rc;
}

/* A string member of meta as an allocation, or NULL. */
static char *meta_string(const json_t *meta, const char *key)
{
	const char *value = json_string_value(json_object_get(meta, key));

	return value ? strdup(value) : NULL;
}

static enum da_code dir_read(void *impl, struct da_cert_stored **out, struct da_err *err)
{
	const struct dir_sink *d = impl;
	struct da_cert_stored *stored;
	char *pem = NULL, *meta_text = NULL;
	json_t *meta = NULL;
	size_t len;

	/* Missing or damaged files are no certificate: it is issued anew. */
	if (da_file_read(d->cert_path, DA_FILE_READ_MAX, &pem, &len, NULL) != DA_OK ||
	    da_file_read(d->meta_path, DA_FILE_READ_MAX, &meta_text, &len, NULL) != DA_OK)
		goto out;
	meta = json_loadb(meta_text, len, 0, NULL);
	stored = calloc(1, sizeof(*stored));
	if (stored == NULL) {
		free(pem);
		free(meta_text);
		json_decref(meta);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	stored->ca = meta_string(meta, "ca");
	stored->key_type = meta_string(meta, "key_type");
	if (da_crypto_chain_parse(pem, &stored->chain, NULL) == DA_OK)
		*out = stored;
	else
		da_store_cert_free(stored);
out:
	free(pem);
	free(meta_text);
	json_decref(meta);
	return DA_OK;
}

static void dir_free(void *impl)
{
	struct dir_sink *d = impl;

	if (d == NULL)
		return;
	free(d->dir);
	free(d->cert_path);
	free(d->meta_path);
	free(d);
}

static const struct da_sink_ops dir_ops = {
	.read = dir_read,
	.write = dir_write,
	.free = dir_free,
};

/* dir/name as an allocation, or NULL. */
static char *path_in(const char *dir, const char *name)
{
	char *path;

	return asprintf(&path, "%s/%s", dir, name) < 0 ? NULL : path;
}

enum da_code da_store_sink_dir_open(const char *dir, struct da_sink **out, struct da_err *err)
{
	struct da_sink *sink = calloc(1, sizeof(*sink));
	struct dir_sink *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d != NULL) {
		d->dir = strdup(dir);
		d->cert_path = path_in(dir, "cert.pem");
		d->meta_path = path_in(dir, "metadata.json");
	}
	if (sink == NULL || d == NULL || d->dir == NULL || d->cert_path == NULL ||
	    d->meta_path == NULL || (sink->where = strdup(dir)) == NULL) {
		free(sink);
		dir_free(d);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	sink->ops = &dir_ops;
	sink->impl = d;
	*out = sink;
	return da_store_mkdirs(dir, 0755, err);
}
