/* Which certificates renew keeps: a config's list, or issue's records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "config/config.h"
#include "issue/job.h"
#include "renew/renew.h"
#include "store/store.h"

static void free_one(struct da_renew_cert *c)
{
	free(c->name);
	da_issue_names_free(c->names, c->n_names);
	free(c->ca);
	free(c->plugin);
	da_plugin_settings_clear(&c->plugin_settings);
	free(c->profile);
	free(c->preferred_chain);
	free(c->out);
	free(c->secret);
	free(c->deploy_hook);
	free(c->dns_resolvers);
	free(c->propagation_nameservers);
	free(c->source);
	free(c->broken);
}

void da_renew_certs_free(struct da_renew_cert *certs, size_t n)
{
	for (size_t i = 0; certs != NULL && i < n; i++)
		free_one(&certs[i]);
	free(certs);
}

static enum da_code copy_settings(struct da_plugin_settings *to,
				  const struct da_plugin_settings *from, struct da_err *err)
{
	enum da_code rc = DA_OK;

	for (size_t i = 0; from != NULL && rc == DA_OK && i < from->n; i++)
		rc = da_plugin_settings_add(to, from->items[i].key, from->items[i].value, err);
	return rc;
}

/* Names, the name (given, else the first name without "*.") and, without
 * out, the default directory. */
static enum da_code set_names(struct da_renew_cert *c, const char *const *given, size_t n,
			      const char *out, const char *secret, const char *name,
			      const char *state_dir, struct da_err *err)
{
	enum da_code rc = da_issue_names(given, n, &c->names, err);
	const char *first;
	int failed = 0;

	c->n_names = n;
	if (rc != DA_OK)
		return rc;
	first = c->names[0][0] == '*' ? c->names[0] + 2 : c->names[0];
	c->name = da_strdup_or_null(name ? name : first, &failed);
	if (out != NULL && secret != NULL)
		return da_err_set(err, DA_ERR_CONFIG, "out and secret exclude each other");
	if (out == NULL && secret == NULL && state_dir == NULL)
		return da_err_set(err, DA_ERR_CONFIG,
				  "no out or secret: with --state-secret the state dir is not kept, "
				  "so it is no place for the certificate");
	if (secret != NULL)
		c->secret = da_strdup_or_null(secret, &failed);
	else if (out != NULL)
		c->out = da_strdup_or_null(out, &failed);
	else if (asprintf(&c->out, "%s/certificates/%s", state_dir, first) < 0)
		c->out = NULL, failed = 1;
	return failed ? da_err_set(err, DA_ERR_NOMEM, "out of memory") : DA_OK;
}

/* --- a config's "certificates" -------------------------------------------- */

struct entry {
	const char *name;
	struct da_config_list domains;
	const char *dns;
	struct da_plugin_settings dns_options;
	const char *out;
	const char *secret;
	const char *key_type;
	const char *profile;
	const char *preferred_chain;
	const char *deploy_hook;
};

#define FIELD(f) offsetof(struct entry, f)
#define ENTRY 1u

/* The keys an entry may hold, named as the top-level keys are. */
static const struct da_config_option entry_options[] = {
	{"name", 0, DA_CONFIG_STRING, FIELD(name), ENTRY, NULL, NULL},
	{"domain", 0, DA_CONFIG_LIST, FIELD(domains), ENTRY, NULL, NULL},
	{"dns", 0, DA_CONFIG_STRING, FIELD(dns), ENTRY, NULL, NULL},
	{"dns-option", 0, DA_CONFIG_PLUGIN, FIELD(dns_options), ENTRY, NULL, NULL},
	{"out", 0, DA_CONFIG_STRING, FIELD(out), ENTRY, NULL, NULL},
	{"secret", 0, DA_CONFIG_STRING, FIELD(secret), ENTRY, NULL, NULL},
	{"key-type", 0, DA_CONFIG_STRING, FIELD(key_type), ENTRY, NULL, NULL},
	{"profile", 0, DA_CONFIG_STRING, FIELD(profile), ENTRY, NULL, NULL},
	{"preferred-chain", 0, DA_CONFIG_STRING, FIELD(preferred_chain), ENTRY, NULL, NULL},
	{"deploy-hook", 0, DA_CONFIG_STRING, FIELD(deploy_hook), ENTRY, NULL, NULL},
};

static const struct da_config_table entry_table = {
	entry_options, sizeof(entry_options) / sizeof(entry_options[0]), "DNSACME"};

static enum da_code from_entry(struct da_renew_cert *c, const struct entry *e,
			       const struct da_renew_defaults *d, const char *where,
			       struct da_err *err)
{
	const char *plugin = e->dns ? e->dns : d->plugin;
	const char *key_type = e->key_type ? e->key_type : d->key_type ? d->key_type : "ec256";
	int failed = 0;
	enum da_code rc;

	if (e->domains.n == 0)
		return da_err_set(err, DA_ERR_CONFIG, "%s: domains: at least one name is needed",
				  where);
	if (plugin == NULL)
		return da_err_set(err, DA_ERR_CONFIG, "%s: dns: no plugin, here or at the top",
				  where);
	if (e->name != NULL && (e->name[0] == '\0' || e->name[0] == '.' ||
				strpbrk(e->name, "/\n") != NULL))
		return da_err_set(err, DA_ERR_CONFIG, "%s: name: '%s' cannot name a file", where,
				  e->name);
	rc = set_names(c, e->domains.items, e->domains.n, e->out, e->secret, e->name, d->state_dir,
		       err);
	if (rc != DA_OK)
		return da_err_wrap(err, "%s", where);
	if (da_crypto_key_type_parse(key_type, &c->key_type, err) != DA_OK)
		return da_err_wrap(err, "%s", where);
	/* The top-level options go with the top-level plugin only. */
	if (e->dns_options.n > 0)
		rc = copy_settings(&c->plugin_settings, &e->dns_options, err);
	else if (d->plugin != NULL && strcmp(plugin, d->plugin) == 0)
		rc = copy_settings(&c->plugin_settings, d->plugin_settings, err);
	c->ca = da_strdup_or_null(d->ca, &failed);
	c->plugin = da_strdup_or_null(plugin, &failed);
	c->profile = da_strdup_or_null(e->profile ? e->profile : d->profile, &failed);
	c->preferred_chain = da_strdup_or_null(e->preferred_chain ? e->preferred_chain : d->preferred_chain,
				 &failed);
	c->deploy_hook = da_strdup_or_null(e->deploy_hook ? e->deploy_hook : d->deploy_hook, &failed);
	c->propagation_timeout = d->propagation_timeout;
	c->propagation_skip = d->propagation_skip;
	c->dns_resolvers = da_strdup_or_null(d->dns_resolvers, &failed);
	c->propagation_nameservers = da_strdup_or_null(d->propagation_nameservers, &failed);
	c->source = da_strdup_or_null(where, &failed);
	if (rc == DA_OK && failed)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return rc;
}

enum da_code da_renew_certs_from_list(const void *list, const char *where,
				      const struct da_renew_defaults *d,
				      struct da_renew_cert **certs, size_t *n, struct da_err *err)
{
	const json_t *array = list;
	enum da_code rc = DA_OK;

	*certs = NULL;
	*n = 0;
	if (!json_is_array(array) || json_array_size(array) == 0)
		return da_err_set(err, DA_ERR_CONFIG, "%s: expected a list of certificates",
				  where);
	*certs = calloc(json_array_size(array), sizeof(**certs));
	if (*certs == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == DA_OK && i < json_array_size(array); i++) {
		struct entry e = {0};
		struct da_config held;
		char at[512];

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		(*n)++;
		rc = da_config_load_object(&held, &entry_table, ENTRY, &e,
					   json_array_get(array, i), at, err);
		if (rc == DA_OK)
			rc = from_entry(&(*certs)[i], &e, d, at, err);
		da_config_free(&held, &entry_table, &e);
		for (size_t j = 0; rc == DA_OK && j < i; j++)
			if (strcmp((*certs)[i].name, (*certs)[j].name) == 0)
				rc = da_err_set(err, DA_ERR_CONFIG, "%s: a second certificate for %s",
						at, (*certs)[i].name);
	}
	if (rc != DA_OK) {
		da_renew_certs_free(*certs, *n);
		*certs = NULL;
		*n = 0;
	}
	return rc;
}

/* --- issue's records ------------------------------------------------------ */

static const char *string_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The plugin's options; a secret by where it came from: a file is read by
 * KEY_file, an environment variable is looked up by the plugin itself. */
static enum da_code record_plugin(struct da_renew_cert *c, const json_t *dns, struct da_err *err)
{
	const json_t *options = json_object_get(dns, "options");
	const json_t *secrets = json_object_get(dns, "secrets");
	const char *key, *path;
	const json_t *value;
	char file_key[256];
	enum da_code rc;

	rc = options ? da_plugin_settings_add_json(&c->plugin_settings, options, "dns.options", err)
		     : DA_OK;
	json_object_foreach((json_t *)secrets, key, value) {
		if (rc != DA_OK)
			break;
		path = string_of(value, "file");
		if (path == NULL)
			continue;
		snprintf(file_key, sizeof(file_key), "%s_file", key);
		rc = da_plugin_settings_add(&c->plugin_settings, file_key, path, err);
	}
	return rc;
}

static enum da_code from_record(struct da_renew_cert *c, const char *text,
				const char *state_dir, struct da_err *err)
{
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *names, *dns, *item;
	const char **given = NULL;
	size_t i, n;
	int failed = 0;
	enum da_code rc;

	names = json_object_get(root, "names");
	dns = json_object_get(root, "dns");
	n = json_array_size(names);
	if (!json_is_object(root) || n == 0 || string_of(root, "ca") == NULL ||
	    string_of(dns, "name") == NULL ||
	    (string_of(root, "out") == NULL) == (string_of(root, "secret") == NULL)) {
		json_decref(root);
		return da_err_set(err, DA_ERR_CONFIG,
				  "not a renewal record (names, ca, dns.name and out or secret are "
				  "needed)");
	}
	given = calloc(n, sizeof(*given));
	rc = given ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
	json_array_foreach(names, i, item)
		if (rc == DA_OK && (given[i] = json_string_value(item)) == NULL)
			rc = da_err_set(err, DA_ERR_CONFIG, "names: expected strings");
	free(c->name); /* the file's name: the record's own names decide */
	c->name = NULL;
	if (rc == DA_OK)
		rc = set_names(c, given, n, string_of(root, "out"), string_of(root, "secret"), NULL,
			       state_dir, err);
	if (rc == DA_OK)
		rc = da_crypto_key_type_parse(string_of(root, "key_type") ? string_of(root, "key_type")
									 : "ec256",
					      &c->key_type, err);
	if (rc == DA_OK)
		rc = record_plugin(c, dns, err);
	c->ca = da_strdup_or_null(string_of(root, "ca"), &failed);
	c->plugin = da_strdup_or_null(string_of(dns, "name"), &failed);
	c->profile = da_strdup_or_null(string_of(root, "profile"), &failed);
	c->preferred_chain = da_strdup_or_null(string_of(root, "preferred_chain"), &failed);
	c->deploy_hook = da_strdup_or_null(string_of(root, "deploy_hook"), &failed);
	c->dns_resolvers = da_strdup_or_null(string_of(root, "dns_resolvers"), &failed);
	c->propagation_nameservers = da_strdup_or_null(string_of(root, "propagation_nameservers"), &failed);
	c->propagation_timeout = json_is_integer(json_object_get(root, "propagation_timeout"))
					 ? (long)json_integer_value(json_object_get(root, "propagation_timeout"))
					 : 300;
	c->propagation_skip = json_is_true(json_object_get(root, "propagation_skip"));
	if (rc == DA_OK && failed)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	free(given);
	json_decref(root);
	return rc;
}

enum da_code da_renew_certs_from_records(const char *state_dir, struct da_renew_cert **certs,
					 size_t *n, struct da_err *err)
{
	char **names = NULL;
	size_t n_names = 0;
	enum da_code rc = da_store_renewal_list(state_dir, &names, &n_names, err);

	*certs = NULL;
	*n = 0;
	if (rc == DA_OK && n_names > 0 && (*certs = calloc(n_names, sizeof(**certs))) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == DA_OK && i < n_names; i++) {
		struct da_renew_cert *c = &(*certs)[i];
		struct da_err why = {0};
		char *text = NULL;
		int failed = 0;

		(*n)++;
		if (asprintf(&c->source, "%s/renewal/%s.json", state_dir, names[i]) < 0) {
			c->source = NULL;
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			break;
		}
		c->name = da_strdup_or_null(names[i], &failed);
		if (da_store_renewal_read(state_dir, names[i], &text, &why) != DA_OK ||
		    from_record(c, text ? text : "", state_dir, &why) != DA_OK)
			c->broken = da_strdup_or_null(why.msg, &failed);
		if (c->name == NULL) /* a broken record keeps its file's name */
			c->name = da_strdup_or_null(names[i], &failed);
		free(text);
		if (failed)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	if (rc != DA_OK) {
		da_renew_certs_free(*certs, *n);
		*certs = NULL;
		*n = 0;
	}
	return rc;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void da_renew_certs_shard(struct da_renew_cert *certs, size_t *n, unsigned index,
			  unsigned count)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++) {
		if (fnv1a(certs[i].name) % count == index)
			certs[kept++] = certs[i];
		else
			free_one(&certs[i]);
	}
	*n = kept;
}
