/* Serving a batch of challenges: see solve.h. */
#include "webhook/solve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/log.h"
#include "plugin/loader.h"
#include "webhook/issuer.h"

/* Secrets change rarely; a burst of challenges reads each once. */
#define CACHE_SECONDS 5
/* Route 53's change to be in sync: well under cert-manager's 30 s per
 * call, retries included. */
#define ROUTE53_WAIT_SECONDS "20"

void da_solver_free(struct da_solver *s)
{
	da_http_free(s->http);
	da_k8s_free(s->api);
	for (size_t i = 0; i < DA_SOLVER_SECRET_CACHE; i++) {
		free(s->cache[i].ns);
		free(s->cache[i].name);
		json_decref(s->cache[i].data);
	}
	memset(s, 0, sizeof(*s));
}

/* The data of Secret ns/name (borrowed from the cache), or NULL when there
 * is none. */
static enum da_code secret_data(struct da_solver *s, const char *ns, const char *name,
				const json_t **data, struct da_err *err)
{
	const struct da_k8s_ref ref = {"secrets", ns, name};
	time_t now = time(NULL);
	size_t oldest = 0;
	json_t *secret = NULL;
	enum da_code rc = DA_OK;

	*data = NULL;
	for (size_t i = 0; i < DA_SOLVER_SECRET_CACHE; i++) {
		if (s->cache[i].ns && strcmp(s->cache[i].ns, ns) == 0 &&
		    strcmp(s->cache[i].name, name) == 0 && now - s->cache[i].at < CACHE_SECONDS) {
			*data = s->cache[i].data;
			return DA_OK;
		}
		if (s->cache[i].at < s->cache[oldest].at)
			oldest = i;
	}
	if (s->api == NULL)
		rc = da_k8s_open(s->k8s, NULL, &s->api, err);
	if (rc == DA_OK)
		rc = da_k8s_get(s->api, &ref, &secret, err);
	if (rc == DA_OK && secret == NULL)
		return da_err_set(err, DA_ERR_CONFIG, "Secret %s/%s not found", ns, name);
	if (rc != DA_OK)
		return rc;
	free(s->cache[oldest].ns);
	free(s->cache[oldest].name);
	json_decref(s->cache[oldest].data);
	s->cache[oldest].ns = strdup(ns);
	s->cache[oldest].name = strdup(name);
	s->cache[oldest].data = json_incref(json_object_get(secret, "data"));
	s->cache[oldest].at = now;
	json_decref(secret);
	if (s->cache[oldest].ns == NULL || s->cache[oldest].name == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	*data = s->cache[oldest].data;
	return DA_OK;
}

/* data[key], decoded and trimmed, into settings under option. keys may be
 * "A|B": the first one present. */
static enum da_code add_value(const json_t *data, const struct da_issuer_ref *r, const char *ns,
			      struct da_plugin_settings *settings, struct da_err *err)
{
	char keys[256], *save = NULL, *value = NULL;
	const char *b64 = NULL;
	size_t len = 0;
	enum da_code rc;

	snprintf(keys, sizeof(keys), "%s", r->key);
	for (char *k = strtok_r(keys, "|", &save); k && !b64; k = strtok_r(NULL, "|", &save))
		b64 = json_string_value(json_object_get(data, k));
	if (b64 == NULL)
		return da_err_set(err, DA_ERR_CONFIG, "config.%s: Secret %s/%s has no key %s",
				  r->field, ns, r->name, r->key);
	value = (char *)da_b64_decode(b64, &len);
	if (value == NULL)
		return da_err_set(err, DA_ERR_CONFIG, "config.%s: Secret %s/%s key %s is not base64",
				  r->field, ns, r->name, r->key);
	/* Surrounding blanks and line ends are a frequent slip of the hand. */
	while (len > 0 && strchr(" \t\r\n", value[len - 1]))
		value[--len] = '\0';
	char *start = value + strspn(value, " \t\r\n");
	rc = DA_OK;
	for (const char *p = start; rc == DA_OK && p < value + len; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rc = da_err_set(err, DA_ERR_CONFIG,
					"config.%s: Secret %s/%s key %s holds control characters",
					r->field, ns, r->name, r->key);
	if (rc == DA_OK && *start == '\0')
		rc = da_err_set(err, DA_ERR_CONFIG, "config.%s: Secret %s/%s key %s is empty",
				r->field, ns, r->name, r->key);
	if (rc == DA_OK)
		rc = da_plugin_settings_add(settings, r->option, start, err);
	explicit_bzero(value, len);
	free(value);
	return rc;
}

static enum da_code resolve(struct da_solver *s, const struct da_challenge *c,
			    struct da_issuer_config *ic, struct da_err *err)
{
	enum da_code rc = DA_OK;

	for (size_t i = 0; rc == DA_OK && i < ic->n_refs; i++) {
		const json_t *data = NULL;
		char *ns = NULL, *name = NULL, ref[600];

		/* Names that are no Kubernetes names never reach a URL. */
		if (strchr(ic->refs[i].name, '/') != NULL)
			rc = da_err_set(err, DA_ERR_CONFIG,
					"config.%s: a Secret name, not NAMESPACE/NAME: Secrets are "
					"read from the request's namespace %s",
					ic->refs[i].field, c->namespace);
		snprintf(ref, sizeof(ref), "%s/%s", c->namespace, ic->refs[i].name);
		if (rc == DA_OK)
			rc = da_k8s_name_parse(ref, "", "config Secret", &ns, &name, err);
		if (rc == DA_OK)
			rc = secret_data(s, ns, name, &data, err);
		if (rc == DA_OK)
			rc = add_value(data, &ic->refs[i], ns, &ic->settings, err);
		free(ns);
		free(name);
	}
	return rc;
}

enum da_code da_solver_run(struct da_solver *s, const struct da_solver_batch *batch,
			   struct da_err *err)
{
	const struct da_challenge *first = batch->challenges[0];
	const char *plugin_name = da_issuer_plugin_of(batch->solver);
	struct da_issuer_config ic = {0};
	struct dnsacme_record records[64];
	struct da_plugin *plugin = NULL;
	struct da_log log;
	enum da_code rc = DA_OK;
	unsigned sources;

	da_log_init(&log, DNSACME_LOG_INFO, stderr);
	if (batch->n > sizeof(records) / sizeof(records[0]))
		rc = da_err_set(err, DA_ERR_INTERNAL, "batch too large");
	if (rc == DA_OK && s->http == NULL)
		rc = da_http_new_sibling(&s->http, s->providers, NULL, err);
	if (rc == DA_OK)
		rc = da_plugin_load(s->plugin_dir, plugin_name, &plugin, err);
	if (rc == DA_OK)
		rc = da_issuer_config_map(batch->solver, first->config, da_plugin_provider(plugin),
					  s->lenient, &ic, err);
	/* An endpoint would have the server send signed requests, and show
	 * the answers' errors, to any address the Issuer's author picks. */
	if (rc == DA_OK && ic.endpoint_given && !s->allow_endpoints)
		rc = da_err_set(err, DA_ERR_CONFIG,
				"%s: an Issuer may not name the API endpoint unless the webhook "
				"runs with --allow-config-endpoints",
				batch->solver);
	if (rc == DA_OK && ic.warning[0])
		da_logf(&log, DNSACME_LOG_WARN, "%s: %s", batch->solver, ic.warning);
	if (rc == DA_OK)
		rc = resolve(s, first, &ic, err);
	for (size_t i = 0; rc == DA_OK && i < ic.settings.n; i++)
		da_log_add_secret(&log, ic.settings.items[i].value);
	if (rc == DA_OK)
		rc = da_issuer_config_check(batch->solver, &ic.settings, err);
	/* Last, so no config raises it: well inside cert-manager's 30 s. */
	if (rc == DA_OK && strcmp(plugin_name, "route53") == 0)
		rc = da_plugin_settings_add(&ic.settings, "wait_timeout", ROUTE53_WAIT_SECONDS, err);
	/* The server's own identity (RRSA, IRSA, instance roles, its
	 * environment) only where the Issuer may use it, and never towards an
	 * endpoint the Issuer chose. */
	sources = first->allow_ambient && !ic.endpoint_given ? DA_PLUGIN_FROM_ENVIRONMENT
							     : DA_PLUGIN_FROM_SETTINGS;
	if (rc == DA_OK)
		rc = da_plugin_open(plugin, ic.settings.items, ic.settings.n, sources, s->http, &log,
				    s->stop, err);
	for (size_t i = 0; rc == DA_OK && i < batch->n; i++)
		records[i] = (struct dnsacme_record){
			.fqdn = batch->challenges[i]->fqdn,
			/* cert-manager's zone is right for an UPDATE's zone section;
			 * hosted zones are found by the longest suffix instead (it
			 * says "com." behind an apex CNAME). */
			.zone = strcmp(plugin_name, "rfc2136") == 0 ? batch->challenges[i]->zone
								     : NULL,
			.value = batch->challenges[i]->key,
		};
	if (rc == DA_OK && first->action == DA_ACTION_PRESENT) {
		rc = da_plugin_present(plugin, records, batch->n, err);
		if (rc == DA_OK)
			rc = da_plugin_wait(plugin, err);
	} else if (rc == DA_OK) {
		rc = da_plugin_cleanup(plugin, records, batch->n, err);
	}
	if (rc != DA_OK) {
		da_log_redact(&log, err->msg, sizeof(err->msg));
		if (strncmp(err->msg, plugin_name, strlen(plugin_name)) != 0)
			da_err_wrap(err, "%s", batch->solver);
	}
	da_plugin_free(plugin);
	da_issuer_config_clear(&ic);
	da_log_free(&log);
	return rc;
}
