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

#include "base/error.h"
#include "base/log.h"
#include "dnsacme/plugin.h"
#include "http/http.h"

struct da_plugin; /* opaque */

/* One explicit setting, from a flag or the config file. "KEY_file" names a
 * file holding KEY's value. Strings are copied. */
struct da_plugin_setting {
	const char *key;
	const char *value;
};

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

/* The descriptor, e.g. to print the option table; valid until da_plugin_free. */
const struct dnsacme_provider *da_plugin_provider(const struct da_plugin *p);

/*
 * Resolve every option and open the provider. For each option, in order:
 * the explicit setting (KEY or KEY_file; later settings override earlier
 * ones), each environment variable of the option, each variable's _FILE
 * variant (the file's content less one line end, "\n" or "\r\n"), the default.
 * An unknown key, both KEY and KEY_file, or a required option left unset is
 * DA_ERR_CONFIG. Secret values are registered with log before anything is
 * logged. http (NULL: host->http fails with DNSACME_ERR_NETWORK), log (NULL:
 * nothing is logged) and stop (NULL: never interrupted) are borrowed and
 * must outlive p. After a failed open, p may only be opened again or freed.
 * A provider failure maps to DA_ERR_CONFIG / _NETWORK / _TIMEOUT / _NOMEM
 * or DA_ERR_PLUGIN, with the message the plugin gave, prefixed by its name.
 */
enum da_code da_plugin_open(struct da_plugin *p, const struct da_plugin_setting *settings,
			    size_t n_settings, struct da_http *http, struct da_log *log,
			    const volatile sig_atomic_t *stop, struct da_err *err);

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
