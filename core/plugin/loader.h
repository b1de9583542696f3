/*
 * The plugin loader: finds dnsacme-NAME.so in the plugin directory, checks its
 * ABI and descriptor, resolves its options (settings, environment, files,
 * defaults), lends it the host table and maps its calls to enum da_code.
 *
 * A loaded plugin holds one open provider state. Callers that need several
 * at once with different settings (the webhook, one per challenge) load the
 * plugin once per use: dlopen() of a library already loaded is cheap.
 */
#ifndef DA_PLUGIN_LOADER_H
#define DA_PLUGIN_LOADER_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "base/error.h"
#include "base/log.h"
#include "dnsacme/plugin.h"
#include "http/http.h"

struct da_plugin; /* opaque */

/* One explicit setting, from a flag or the config file. "KEY_file" names a
 * file holding KEY's value. da_plugin_open() copies what it keeps. */
struct da_plugin_setting {
	const char *key;
	const char *value;
};

/* A list of settings that owns its strings (values are wiped when cleared:
 * they may be secrets). Zero-initialised is empty. */
struct da_plugin_settings {
	struct da_plugin_setting *items;
	size_t n;
};

enum da_code da_plugin_settings_add(struct da_plugin_settings *list, const char *key,
				    const char *value, struct da_err *err);

/* Append each member of a JSON object (a config's "dns_options"): strings,
 * or integers written in decimal; anything else is DA_ERR_CONFIG "where: ...". */
enum da_code da_plugin_settings_add_json(struct da_plugin_settings *list, const json_t *object,
					 const char *where, struct da_err *err);
void da_plugin_settings_clear(struct da_plugin_settings *list);

/*
 * Where da_plugin_open() may look for a value the settings do not give.
 * Values that come from cluster users (a webhook's Issuer config) get
 * DA_PLUGIN_FROM_SETTINGS: they can then name neither a file nor an
 * environment variable of ours.
 */
#define DA_PLUGIN_FROM_SETTINGS 0u
#define DA_PLUGIN_FROM_FILES 0x1u	/* a KEY_file setting names a file to read */
#define DA_PLUGIN_FROM_ENVIRONMENT 0x2u /* the options' variables, and their _FILE forms */
#define DA_PLUGIN_FROM_ALL (DA_PLUGIN_FROM_FILES | DA_PLUGIN_FROM_ENVIRONMENT)

/* The plugin directory: $DNSACME_PLUGIN_DIR when set, else the install's
 * lib/dnsacme found relative to the running binary. *dir_out: free(). */
enum da_code da_plugin_default_dir(char **dir_out, struct da_err *err);

/* Whether name is a valid plugin name, [a-z0-9_-]+ (never a path). */
int da_plugin_name_valid(const char *name);

/*
 * The names of the plugins in dir (dnsacme-NAME.so with a valid NAME),
 * sorted. *names_out (possibly NULL when *n_out is 0) is freed with
 * da_plugin_names_free(). DA_ERR_IO when dir cannot be read.
 */
enum da_code da_plugin_list(const char *dir, char ***names_out, size_t *n_out, struct da_err *err);
void da_plugin_names_free(char **names, size_t n);

/*
 * Load dir/dnsacme-NAME.so and check its descriptor (ABI version, name, the
 * mandatory functions). DA_ERR_CONFIG for a bad or unknown name (the message
 * lists the plugins available), DA_ERR_PLUGIN for a library that is not a
 * usable plugin. *out is freed with da_plugin_free().
 */
enum da_code da_plugin_load(const char *dir, const char *name, struct da_plugin **out,
			    struct da_err *err);

/*
 * The environment variables that may hold a secret for any plugin in dir
 * (each secret option's variables and their _FILE forms): what a deploy
 * hook must not inherit. A plugin that does not load is skipped. *vars_out
 * is freed with da_plugin_names_free().
 */
enum da_code da_plugin_secret_variables(const char *dir, char ***vars_out, size_t *n_out,
					struct da_err *err);

/* The plugin's name, as loaded; valid until da_plugin_free. */
const char *da_plugin_name(const struct da_plugin *p);

/* The descriptor, e.g. to print the option table; valid until da_plugin_free. */
const struct dnsacme_provider *da_plugin_provider(const struct da_plugin *p);

/*
 * Resolve every option and open the provider. For each option, in order:
 * the explicit setting (KEY, or KEY_file with DA_PLUGIN_FROM_FILES; later
 * settings override earlier ones), with DA_PLUGIN_FROM_ENVIRONMENT each
 * environment variable of the option and then each variable's _FILE variant
 * (the file's content less one line end, "\n" or "\r\n"), the default.
 * An unknown key, a KEY_file that sources forbid, both KEY and KEY_file, or
 * a required option left unset is DA_ERR_CONFIG. Secret values are registered with log before anything is
 * logged. http (NULL: host->http fails with DNSACME_ERR_NETWORK), log (NULL:
 * nothing is logged) and stop (NULL: never interrupted) are borrowed and
 * must outlive p. After a failed open, p may only be opened again or freed.
 * A provider failure maps to DA_ERR_CONFIG / _NETWORK / _TIMEOUT / _NOMEM
 * or DA_ERR_PLUGIN, with the message the plugin gave, prefixed by its name.
 */
enum da_code da_plugin_open(struct da_plugin *p, const struct da_plugin_setting *settings,
			    size_t n_settings, unsigned sources, struct da_http *http,
			    struct da_log *log, const volatile sig_atomic_t *stop, struct da_err *err);

/*
 * How to open p again unattended, for the renewal record, after a
 * successful da_plugin_open(): {"name": NAME, "options": {KEY: value},
 * "secrets": {KEY: {"file": PATH} | {"env": VARIABLE}}} in *out
 * (json_decref()). Options left to their default are not listed (a later
 * default applies). A secret's value is never in it: only the file or the
 * variable it came from; a secret given as a value is recorded by the
 * option's first variable, with a warning through the log.
 */
enum da_code da_plugin_record(const struct da_plugin *p, json_t **out, struct da_err *err);

/* Load and open a plugin in one step; everything borrowed as above. */
struct da_plugin_start {
	const char *dir;  /* NULL: da_plugin_default_dir() */
	const char *name; /* NULL: DA_ERR_USAGE, "--dns PLUGIN is required" */
	const struct da_plugin_settings *settings; /* may be NULL */
	unsigned sources;			   /* DA_PLUGIN_FROM_* */
	struct da_http *http;
	struct da_log *log;
	const volatile sig_atomic_t *stop;
};
enum da_code da_plugin_start(const struct da_plugin_start *start, struct da_plugin **out,
			     struct da_err *err);

/* The provider's calls, after a successful da_plugin_open(); errors as there.
 * da_plugin_wait() succeeds at once when the provider has no wait(). */
enum da_code da_plugin_present(struct da_plugin *p, const struct dnsacme_record *records, size_t n,
			       struct da_err *err);
enum da_code da_plugin_cleanup(struct da_plugin *p, const struct dnsacme_record *records, size_t n,
			       struct da_err *err);
enum da_code da_plugin_wait(struct da_plugin *p, struct da_err *err);

/* Close the provider state if open, unload the library, free p (may be NULL). */
void da_plugin_free(struct da_plugin *p);

#endif
