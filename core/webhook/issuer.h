/*
 * An Issuer's solver `config` (JSON from a cluster user: hostile until
 * checked) as a plugin's settings: each plugin option by its camelCase name,
 * a secret option only as `<option>SecretRef: {name, key}`, plus the field
 * names cert-manager's built-in rfc2136 and route53 solvers use and every
 * dialect of the existing alidns webhooks (docs/DESIGN.md, "The webhook").
 * Options that name a file or a credential endpoint of the server are never
 * taken from it.
 */
#ifndef DA_WEBHOOK_ISSUER_H
#define DA_WEBHOOK_ISSUER_H

#include <stddef.h>

#include <jansson.h>

#include "base/error.h"
#include "dnsacme/plugin.h"
#include "plugin/loader.h"

#define DA_ISSUER_MAX_REFS 8

/* A value to read from a Secret in the request's namespace. */
struct da_issuer_ref {
	const char *option; /* the plugin option it fills (static) */
	char *name;	    /* the Secret */
	char *key;	    /* its data key */
	const char *field;  /* the config field it came from, for messages (static) */
};

/* What a config says; da_issuer_config_clear(). */
struct da_issuer_config {
	struct da_plugin_settings settings; /* literal values */
	struct da_issuer_ref refs[DA_ISSUER_MAX_REFS];
	size_t n_refs;
	int endpoint_given; /* an API endpoint came from config: no ambient credentials */
	int inline_secret;  /* a secret was written into the Issuer (cnfatal's dialect) */
	char warning[256];  /* something to log (a weak default, an inline secret), or "" */
};

/*
 * Map config (an object, or NULL: nothing) for solver (the URL's solver
 * name: "rfc2136", "route53", "alidns", "alidns-solver", or another plugin's
 * name) against provider's option table. Unknown keys are DA_ERR_CONFIG
 * naming them all, unless lenient: then they are listed in out->warning.
 */
enum da_code da_issuer_config_map(const char *solver, const json_t *config,
				  const struct dnsacme_provider *provider, int lenient,
				  struct da_issuer_config *out, struct da_err *err);
void da_issuer_config_clear(struct da_issuer_config *c);

/* The plugin a solver name runs ("alidns-solver" is alidns). */
const char *da_issuer_plugin_of(const char *solver);

/*
 * After the Secrets are read (settings complete): an alidns AccessKey ID and
 * secret that are plainly swapped (the secret looks like "LTAI...") are
 * refused, saying so.
 */
enum da_code da_issuer_config_check(const char *solver, const struct da_plugin_settings *settings,
				    struct da_err *err);

#endif
