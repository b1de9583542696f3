#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/sleep.h"

#define NAME_MAX_LEN 64
#define FILE_PREFIX "dnsacme-"
#define FILE_SUFFIX ".so"
#define BACKOFF_BASE_MS 1000L
#define BACKOFF_CAP_MS 60000L

/* Where an option's value came from: the debug log says so, and the
 * renewal record keeps how to find a secret again, never the secret. */
enum origin_kind {
	ORIGIN_UNSET = 0,
	ORIGIN_DEFAULT,
	ORIGIN_SETTING,	    /* KEY=value */
	ORIGIN_SETTING_FILE, /* KEY_file=path */
	ORIGIN_ENV,	    /* an option's variable */
	ORIGIN_ENV_FILE	    /* its _FILE form */
};

struct origin {
	enum origin_kind kind;
	const char *variable; /* ORIGIN_ENV*: the provider's name for it */
	char *path;	      /* ORIGIN_*_FILE: the file read (owned) */
};

struct da_plugin {
	void *dl;
	char *name;
	const struct dnsacme_provider *provider;
	size_t n_options;
	char **values;		 /* per option, resolved by da_plugin_open; NULL: unset */
	struct origin *origins;	 /* per option, beside values */

	struct dnsacme_host host; /* host.core points back here */
	struct da_http *http;
	struct da_log *log;
	const volatile sig_atomic_t *stop;
	void *state;
	int opened;
	char error[DA_ERR_MSG_MAX]; /* the provider's last host->error() */
};

int da_plugin_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

enum da_code da_plugin_default_dir(char **dir_out, struct da_err *err)
{
	const char *env = getenv("DNSACME_PLUGIN_DIR");
	char exe[4096], *slash;
	ssize_t len;
	struct da_buf dir = {0};

	*dir_out = NULL;
	if (env != NULL && env[0] != '\0') {
		*dir_out = strdup(env);
		return *dir_out ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return da_err_set(err, DA_ERR_IO, "cannot find the dnsacme binary: %s",
				  strerror(errno));
	if ((size_t)len == sizeof(exe) - 1)
		return da_err_set(err, DA_ERR_IO, "the dnsacme binary's path is too long");
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	if (da_buf_printf(&dir, "%s/%s", exe, DNSACME_PLUGIN_FROM_BIN) != 0 ||
	    (*dir_out = da_buf_take(&dir)) == NULL) {
		da_buf_free(&dir);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	return DA_OK;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void da_plugin_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* NAME when file is "dnsacme-NAME.so" with a valid NAME, else NULL (free()). */
static char *plugin_name_of(const char *file, int *nomem)
{
	size_t len = strlen(file), pre = strlen(FILE_PREFIX), suf = strlen(FILE_SUFFIX);
	char *name;

	if (len <= pre + suf || strncmp(file, FILE_PREFIX, pre) != 0 ||
	    strcmp(file + len - suf, FILE_SUFFIX) != 0)
		return NULL;
	name = strndup(file + pre, len - pre - suf);
	if (name == NULL) {
		*nomem = 1;
		return NULL;
	}
	if (!da_plugin_name_valid(name)) {
		free(name);
		return NULL;
	}
	return name;
}

enum da_code da_plugin_list(const char *dir, char ***names_out, size_t *n_out, struct da_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char **names = NULL, **grown;
	size_t n = 0;
	int nomem = 0;

	*names_out = NULL;
	*n_out = 0;
	if (d == NULL)
		return da_err_set(err, DA_ERR_IO, "cannot read plugin directory %s: %s", dir,
				  strerror(errno));
	while (!nomem && (entry = readdir(d)) != NULL) {
		char *name = plugin_name_of(entry->d_name, &nomem);

		if (name == NULL)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL) {
			free(name);
			nomem = 1;
			break;
		}
		names = grown;
		names[n++] = name;
	}
	closedir(d);
	if (nomem) {
		da_plugin_names_free(names, n);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*names_out = names;
	*n_out = n;
	return DA_OK;
}

/* "unknown DNS plugin 'foo' (available: a, b)", listing dir. */
static enum da_code unknown_plugin(const char *dir, const char *name, struct da_err *err)
{
	char **names;
	size_t n;
	struct da_buf list = {0};
	enum da_code code;

	code = da_plugin_list(dir, &names, &n, err);
	if (code != DA_OK)
		return da_err_wrap(err, "unknown DNS plugin '%s'", name);
	for (size_t i = 0; i < n; i++)
		da_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
	if (n == 0)
		da_err_set(err, DA_ERR_CONFIG, "unknown DNS plugin '%s' (%s holds none)", name,
			   dir);
	else
		da_err_set(err, DA_ERR_CONFIG, "unknown DNS plugin '%s' (available: %s)", name,
			   list.data ? list.data : "?");
	da_buf_free(&list);
	da_plugin_names_free(names, n);
	return DA_ERR_CONFIG;
}

static int option_key_valid(const char *key)
{
	return key != NULL && key[0] != '\0' &&
	       key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0';
}

/* The descriptor checks: everything the core relies on later. */
static enum da_code check_provider(const struct dnsacme_provider *prov, const char *name,
				   size_t *n_options, struct da_err *err)
{
	size_t n = 0;

	if (prov == NULL)
		return da_err_set(err, DA_ERR_PLUGIN, "plugin %s returned no descriptor", name);
	if (prov->abi_version != DNSACME_PLUGIN_ABI_VERSION)
		return da_err_set(err, DA_ERR_PLUGIN,
				  "plugin %s speaks ABI %u, this dnsacme speaks ABI %d", name,
				  prov->abi_version, DNSACME_PLUGIN_ABI_VERSION);
	if (prov->name == NULL || strcmp(prov->name, name) != 0)
		return da_err_set(err, DA_ERR_PLUGIN, "plugin file %s%s%s calls itself '%s'",
				  FILE_PREFIX, name, FILE_SUFFIX,
				  prov->name ? prov->name : "(null)");
	if (prov->open == NULL || prov->close == NULL || prov->present == NULL ||
	    prov->cleanup == NULL)
		return da_err_set(err, DA_ERR_PLUGIN,
				  "plugin %s lacks one of open, close, present, cleanup", name);
	for (; prov->options != NULL && prov->options[n].key != NULL; n++)
		if (!option_key_valid(prov->options[n].key))
			return da_err_set(err, DA_ERR_PLUGIN, "plugin %s has an invalid option key",
					  name);
	*n_options = n;
	return DA_OK;
}

enum da_code da_plugin_load(const char *dir, const char *name, struct da_plugin **out,
			    struct da_err *err)
{
	struct da_buf path = {0};
	struct da_plugin *p;
	dnsacme_plugin_fn entry;
	enum da_code code;

	*out = NULL;
	if (!da_plugin_name_valid(name))
		return da_err_set(err, DA_ERR_CONFIG,
				  "invalid DNS plugin name '%s' (lower-case letters, digits, "
				  "'-' and '_' only)",
				  name ? name : "");
	if (da_buf_printf(&path, "%s/%s%s%s", dir, FILE_PREFIX, name, FILE_SUFFIX) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (access(path.data, F_OK) != 0 && errno == ENOENT) {
		da_buf_free(&path);
		return unknown_plugin(dir, name, err);
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->name = strdup(name)) == NULL) {
		free(p);
		da_buf_free(&path);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	p->dl = dlopen(path.data, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL) {
		code = da_err_set(err, DA_ERR_PLUGIN, "cannot load plugin %s: %s", name, dlerror());
		goto fail;
	}
	entry = (dnsacme_plugin_fn)dlsym(p->dl, DNSACME_PLUGIN_SYMBOL);
	if (entry == NULL) {
		code = da_err_set(err, DA_ERR_PLUGIN, "%s is not a dnsacme plugin (no %s symbol)",
				  path.data, DNSACME_PLUGIN_SYMBOL);
		goto fail;
	}
	p->provider = entry();
	code = check_provider(p->provider, name, &p->n_options, err);
	if (code != DA_OK)
		goto fail;
	da_buf_free(&path);
	*out = p;
	return DA_OK;
fail:
	da_buf_free(&path);
	da_plugin_free(p);
	return code;
}

const char *da_plugin_name(const struct da_plugin *p)
{
	return p->name;
}

const struct dnsacme_provider *da_plugin_provider(const struct da_plugin *p)
{
	return p->provider;
}

/* ---- option resolution ---- */

static void free_value(char *value)
{
	if (value == NULL)
		return;
	/* Values may be secrets: leave no copy in freed memory. */
	memset(value, 0, strlen(value));
	free(value);
}

/* The option index for key, or -1. */
static long option_index(const struct da_plugin *p, const char *key)
{
	for (size_t i = 0; i < p->n_options; i++)
		if (strcmp(p->provider->options[i].key, key) == 0)
			return (long)i;
	return -1;
}

/* A value file's content less one line end, as an allocation. */
static enum da_code read_value_file(const struct da_plugin *p, const char *what, const char *path,
				    char **out, struct da_err *err)
{
	struct da_err read_err;

	if (da_file_read_value(path, out, &read_err) != DA_OK)
		return da_err_set(err, DA_ERR_CONFIG, "%s: %s: %s", p->name, what, read_err.msg);
	return DA_OK;
}

static void set_origin(struct da_plugin *p, size_t i, enum origin_kind kind,
		       const char *variable, const char *path)
{
	free(p->origins[i].path);
	p->origins[i] = (struct origin){kind, variable, path ? strdup(path) : NULL};
}

/* Replace p->values[i]; takes ownership of value. */
static void set_value(struct da_plugin *p, size_t i, char *value)
{
	free_value(p->values[i]);
	p->values[i] = value;
}

/* Explicit settings: later ones override earlier ones. */
static enum da_code apply_settings(struct da_plugin *p, const struct da_plugin_setting *settings,
				   size_t n, unsigned sources, struct da_err *err)
{
	unsigned char *from_file = calloc(p->n_options + 1, 1);
	unsigned char *from_value = calloc(p->n_options + 1, 1);
	enum da_code code = DA_OK;

	if (from_file == NULL || from_value == NULL)
		code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t s = 0; s < n && code == DA_OK; s++) {
		const char *key = settings[s].key ? settings[s].key : "";
		size_t key_len = strlen(key);
		long i = option_index(p, key);
		char *value = NULL;

		if (i < 0 && key_len > 5 && strcmp(key + key_len - 5, "_file") == 0) {
			char stem[128];

			snprintf(stem, sizeof(stem), "%.*s", (int)(key_len - 5), key);
			i = option_index(p, stem);
			if (i >= 0 && !(sources & DA_PLUGIN_FROM_FILES)) {
				code = da_err_set(err, DA_ERR_CONFIG,
						  "%s: %s: options may not name files here; give "
						  "the value itself",
						  p->name, key);
				break;
			}
			if (i >= 0) {
				code = read_value_file(p, key,
						       settings[s].value ? settings[s].value : "",
						       &value, err);
				if (code != DA_OK)
					break;
				from_file[i] = 1;
				set_value(p, (size_t)i, value);
				set_origin(p, (size_t)i, ORIGIN_SETTING_FILE, NULL, settings[s].value);
				continue;
			}
		}
		if (i < 0) {
			code = da_err_set(err, DA_ERR_CONFIG,
					  "%s has no option '%s' (see `dnsacme plugins %s`)",
					  p->name, key, p->name);
			break;
		}
		value = strdup(settings[s].value ? settings[s].value : "");
		if (value == NULL) {
			code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			break;
		}
		from_value[i] = 1;
		set_value(p, (size_t)i, value);
		set_origin(p, (size_t)i, ORIGIN_SETTING, NULL, NULL);
	}
	for (size_t i = 0; i < p->n_options && code == DA_OK; i++)
		if (from_file[i] && from_value[i])
			code = da_err_set(err, DA_ERR_CONFIG, "%s: set %s or %s_file, not both",
					  p->name, p->provider->options[i].key,
					  p->provider->options[i].key);
	free(from_file);
	free(from_value);
	return code;
}

/* Environment, then NAME_FILE, then the default, for an option still unset. */
static enum da_code resolve_unset(struct da_plugin *p, size_t i, unsigned sources,
				  struct da_err *err)
{
	const struct dnsacme_option *opt = &p->provider->options[i];
	const size_t n_env =
		(sources & DA_PLUGIN_FROM_ENVIRONMENT) ? sizeof(opt->env) / sizeof(opt->env[0]) : 0;
	char file_var[256];

	for (size_t e = 0; e < n_env && opt->env[e] != NULL; e++) {
		const char *v = getenv(opt->env[e]);

		if (v != NULL && v[0] != '\0') {
			set_origin(p, i, ORIGIN_ENV, opt->env[e], NULL);
			p->values[i] = strdup(v);
			return p->values[i] ? DA_OK
					    : da_err_set(err, DA_ERR_NOMEM, "out of memory");
		}
	}
	for (size_t e = 0; e < n_env && opt->env[e] != NULL; e++) {
		const char *path;

		snprintf(file_var, sizeof(file_var), "%s_FILE", opt->env[e]);
		path = getenv(file_var);
		if (path != NULL && path[0] != '\0') {
			set_origin(p, i, ORIGIN_ENV_FILE, opt->env[e], path);
			return read_value_file(p, file_var, path, &p->values[i], err);
		}
	}
	if (opt->default_value != NULL) {
		set_origin(p, i, ORIGIN_DEFAULT, NULL, NULL);
		p->values[i] = strdup(opt->default_value);
		return p->values[i] ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	return DA_OK;
}

static enum da_code required_missing(const struct da_plugin *p, const struct dnsacme_option *opt,
				     struct da_err *err)
{
	if (opt->env[0] != NULL)
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s: option %s is required (set %s or --dns-option %s=...)",
				  p->name, opt->key, opt->env[0], opt->key);
	return da_err_set(err, DA_ERR_CONFIG, "%s: option %s is required (set --dns-option %s=...)",
			  p->name, opt->key, opt->key);
}

static void free_values(struct da_plugin *p)
{
	for (size_t i = 0; p->values != NULL && i < p->n_options; i++)
		free_value(p->values[i]);
	for (size_t i = 0; p->origins != NULL && i < p->n_options; i++)
		free(p->origins[i].path);
	free(p->values);
	free(p->origins);
	p->values = NULL;
	p->origins = NULL;
}

static const char *origin_str(const struct origin *o)
{
	switch (o->kind) {
	case ORIGIN_UNSET: break;
	case ORIGIN_DEFAULT: return "the default";
	case ORIGIN_SETTING: return "the settings";
	case ORIGIN_SETTING_FILE: return "a file named in the settings";
	case ORIGIN_ENV:
	case ORIGIN_ENV_FILE: return o->variable;
	}
	return "nowhere";
}

static enum da_code resolve_options(struct da_plugin *p, const struct da_plugin_setting *settings,
				    size_t n_settings, unsigned sources, struct da_err *err)
{
	enum da_code code;

	free_values(p); /* a retry after a failed open starts afresh */
	p->values = calloc(p->n_options + 1, sizeof(*p->values));
	p->origins = calloc(p->n_options + 1, sizeof(*p->origins));
	if (p->values == NULL || p->origins == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	code = apply_settings(p, settings, n_settings, sources, err);
	for (size_t i = 0; i < p->n_options && code == DA_OK; i++)
		if (p->values[i] == NULL)
			code = resolve_unset(p, i, sources, err);
	/* Every secret is known to the log before the first line below. */
	for (size_t i = 0; i < p->n_options && code == DA_OK; i++)
		if ((p->provider->options[i].flags & DNSACME_OPT_SECRET) && p->log != NULL &&
		    da_log_add_secret(p->log, p->values[i]) != 0)
			code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n_options && code == DA_OK; i++) {
		const struct dnsacme_option *opt = &p->provider->options[i];

		if (p->values[i] == NULL && (opt->flags & DNSACME_OPT_REQUIRED))
			code = required_missing(p, opt, err);
		else if (p->values[i] != NULL)
			da_logf(p->log, DNSACME_LOG_DEBUG, "%s: option %s from %s", p->name,
				opt->key, origin_str(&p->origins[i]));
	}
	return code;
}

enum da_code da_plugin_record(const struct da_plugin *p, json_t **out, struct da_err *err)
{
	json_t *options = json_object(), *secrets = json_object();
	int failed = options == NULL || secrets == NULL;

	*out = NULL;
	for (size_t i = 0; !failed && p->origins != NULL && i < p->n_options; i++) {
		const struct dnsacme_option *opt = &p->provider->options[i];
		const struct origin *o = &p->origins[i];
		const char *variable = o->kind == ORIGIN_ENV ? o->variable : opt->env[0];

		if (o->kind == ORIGIN_UNSET || o->kind == ORIGIN_DEFAULT)
			continue; /* a later default applies */
		if (!(opt->flags & DNSACME_OPT_SECRET))
			failed = json_object_set_new(options, opt->key, json_string(p->values[i]));
		else if (o->path != NULL)
			failed = json_object_set_new(secrets, opt->key,
						     json_pack("{s:s}", "file", o->path));
		else if (variable != NULL)
			failed = json_object_set_new(secrets, opt->key,
						     json_pack("{s:s}", "env", variable));
		/* A secret given as a value is not kept: say where renewal looks. */
		if (!failed && (opt->flags & DNSACME_OPT_SECRET) && o->kind == ORIGIN_SETTING)
			da_logf(p->log, DNSACME_LOG_WARN,
				"%s: %s was given as a value, which is not saved for renewal; "
				"renewal reads it from %s%s or %s_file",
				p->name, opt->key, variable ? variable : "", variable ? "," : "",
				opt->key);
	}
	if (!failed)
		*out = json_pack("{s:s, s:o, s:o}", "name", p->name, "options", options, "secrets",
				 secrets);
	else {
		json_decref(options);
		json_decref(secrets);
	}
	return *out ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

/* ---- the host table ---- */

static struct da_plugin *plugin_of(const struct dnsacme_host *host)
{
	return host->core;
}

static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level, const char *fmt,
		     ...) DNSACME_PRINTF(3, 4);
static void host_error(const struct dnsacme_host *host, const char *fmt, ...) DNSACME_PRINTF(2, 3);

static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level, const char *fmt,
		     ...)
{
	struct da_plugin *p = plugin_of(host);
	char *line = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	/* da_logf redacts the whole line, prefix included. */
	da_logf(p->log, level, "%s: %s", p->name, line);
	explicit_bzero(line, (size_t)len);
	free(line);
}

static void host_error(const struct dnsacme_host *host, const char *fmt, ...)
{
	struct da_plugin *p = plugin_of(host);
	char *message = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (len < 0) {
		snprintf(p->error, sizeof(p->error), "out of memory");
		return;
	}
	/* Redacted before it is cut to size: cut first, the end of the
	 * message could hold the start of a secret that no longer matches. */
	if (p->log != NULL)
		da_log_redact(p->log, message, (size_t)len + 1);
	snprintf(p->error, sizeof(p->error), "%s", message);
	explicit_bzero(message, (size_t)len);
	free(message);
}

static const char *host_config_get(const struct dnsacme_host *host, const char *key)
{
	struct da_plugin *p = plugin_of(host);
	long i = key ? option_index(p, key) : -1;

	return i >= 0 && p->values != NULL ? p->values[i] : NULL;
}

static void host_add_secret(const struct dnsacme_host *host, const char *value)
{
	struct da_plugin *p = plugin_of(host);

	/* Out of memory here leaves the value unredacted; the plugin cannot act
	 * on it either, so say so where it shows. */
	if (p->log != NULL && da_log_add_secret(p->log, value) != 0)
		da_logf(p->log, DNSACME_LOG_WARN, "%s: out of memory registering a secret",
			p->name);
}

static enum dnsacme_status host_http(const struct dnsacme_host *host,
				     const struct dnsacme_http_request *req,
				     struct dnsacme_http_response *resp)
{
	struct da_plugin *p = plugin_of(host);
	struct da_err err = {0};

	enum da_code code;

	memset(resp, 0, sizeof(*resp));
	if (p->http == NULL) {
		host_error(host, "no HTTP client available");
		return DNSACME_ERR_NETWORK;
	}
	code = da_http_do(p->http, req, resp, &err);
	if (code == DA_OK)
		return DNSACME_OK;
	/* The plugin may pass the status on without a message of its own. */
	host_error(host, "%s", err.msg);
	switch (code) {
	case DA_ERR_TIMEOUT: return DNSACME_ERR_TIMEOUT;
	case DA_ERR_TLS: return DNSACME_ERR_PROTOCOL;
	case DA_ERR_NOMEM: return DNSACME_ERR_NOMEM;
	case DA_ERR_USAGE: return DNSACME_ERR_INTERNAL;
	default: return DNSACME_ERR_NETWORK;
	}
}

static void host_http_free(const struct dnsacme_host *host, struct dnsacme_http_response *resp)
{
	(void)host;
	da_http_response_free(resp);
}

static int host_backoff(const struct dnsacme_host *host, unsigned attempt, long min_ms)
{
	struct da_plugin *p = plugin_of(host);
	long delay = da_backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);

	return da_sleep_ms(delay < min_ms ? min_ms : delay, p->stop);
}

/* ---- provider calls ---- */

static enum da_code map_status(enum dnsacme_status status)
{
	switch (status) {
	case DNSACME_OK: return DA_OK;
	case DNSACME_ERR_CONFIG: return DA_ERR_CONFIG;
	case DNSACME_ERR_NETWORK: return DA_ERR_NETWORK;
	case DNSACME_ERR_TIMEOUT: return DA_ERR_TIMEOUT;
	case DNSACME_ERR_NOMEM: return DA_ERR_NOMEM;
	default: return DA_ERR_PLUGIN;
	}
}

/* The error of a failed provider call: the plugin's message, or the call's
 * name when it gave none. */
static enum da_code provider_failed(struct da_plugin *p, const char *call,
				    enum dnsacme_status status, struct da_err *err)
{
	enum da_code code = map_status(status);

	if (p->error[0] != '\0')
		return da_err_set(err, code, "%s: %s", p->name, p->error);
	return da_err_set(err, code, "%s: %s failed (%s)", p->name, call, da_code_str(code));
}

enum da_code da_plugin_open(struct da_plugin *p, const struct da_plugin_setting *settings,
			    size_t n_settings, unsigned sources, struct da_http *http,
			    struct da_log *log, const volatile sig_atomic_t *stop, struct da_err *err)
{
	enum dnsacme_status status;
	enum da_code code;

	if (p->opened)
		return da_err_set(err, DA_ERR_USAGE, "%s: already open", p->name);
	p->http = http;
	p->log = log;
	p->stop = stop;
	code = resolve_options(p, settings, n_settings, sources, err);
	if (code != DA_OK)
		return code;

	p->host.abi_version = DNSACME_PLUGIN_ABI_VERSION;
	p->host.core = p;
	p->host.log = host_log;
	p->host.error = host_error;
	p->host.config_get = host_config_get;
	p->host.add_secret = host_add_secret;
	p->host.http = host_http;
	p->host.http_free = host_http_free;
	p->host.backoff = host_backoff;

	p->error[0] = '\0';
	status = p->provider->open(&p->host, &p->state);
	if (status != DNSACME_OK)
		return provider_failed(p, "open", status, err);
	p->opened = 1;
	return DA_OK;
}

static enum da_code not_open(const struct da_plugin *p, struct da_err *err)
{
	return da_err_set(err, DA_ERR_USAGE, "%s: not open", p->name);
}

typedef enum dnsacme_status (*batch_fn)(void *state, const struct dnsacme_record *records,
					size_t n);

static enum da_code call_batch(struct da_plugin *p, batch_fn fn, const char *call,
			       const struct dnsacme_record *records, size_t n, struct da_err *err)
{
	enum dnsacme_status status;

	if (!p->opened)
		return not_open(p, err);
	p->error[0] = '\0';
	status = fn(p->state, records, n);
	return status == DNSACME_OK ? DA_OK : provider_failed(p, call, status, err);
}

enum da_code da_plugin_present(struct da_plugin *p, const struct dnsacme_record *records, size_t n,
			       struct da_err *err)
{
	return call_batch(p, p->provider->present, "present", records, n, err);
}

enum da_code da_plugin_cleanup(struct da_plugin *p, const struct dnsacme_record *records, size_t n,
			       struct da_err *err)
{
	return call_batch(p, p->provider->cleanup, "cleanup", records, n, err);
}

enum da_code da_plugin_wait(struct da_plugin *p, struct da_err *err)
{
	enum dnsacme_status status;

	if (!p->opened)
		return not_open(p, err);
	if (p->provider->wait == NULL)
		return DA_OK;
	p->error[0] = '\0';
	status = p->provider->wait(p->state);
	return status == DNSACME_OK ? DA_OK : provider_failed(p, "wait", status, err);
}

void da_plugin_free(struct da_plugin *p)
{
	if (p == NULL)
		return;
	if (p->opened)
		p->provider->close(p->state);
	free_values(p);
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->name);
	free(p);
}

enum da_code da_plugin_start(const struct da_plugin_start *start, struct da_plugin **out,
			     struct da_err *err)
{
	const struct da_plugin_settings none = {0};
	const struct da_plugin_settings *settings = start->settings ? start->settings : &none;
	char *dir = NULL;
	enum da_code code = DA_OK;

	*out = NULL;
	if (start->name == NULL)
		return da_err_set(err, DA_ERR_USAGE,
				  "--dns PLUGIN is required (see `dnsacme plugins`)");
	if (start->dir == NULL)
		code = da_plugin_default_dir(&dir, err);
	if (code == DA_OK)
		code = da_plugin_load(start->dir ? start->dir : dir, start->name, out, err);
	free(dir);
	if (code == DA_OK)
		code = da_plugin_open(*out, settings->items, settings->n, start->sources,
				      start->http, start->log, start->stop, err);
	return code;
}

/* ---- settings lists ---- */

enum da_code da_plugin_settings_add(struct da_plugin_settings *list, const char *key,
				    const char *value, struct da_err *err)
{
	struct da_plugin_setting *grown = realloc(list->items, (list->n + 1) * sizeof(*grown));
	char *k = strdup(key), *v = strdup(value);

	if (grown != NULL)
		list->items = grown;
	if (grown == NULL || k == NULL || v == NULL) {
		free(k);
		da_secret_free(v);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	list->items[list->n++] = (struct da_plugin_setting){k, v};
	return DA_OK;
}

enum da_code da_plugin_settings_add_json(struct da_plugin_settings *list, const json_t *object,
					 const char *where, struct da_err *err)
{
	const char *key;
	json_t *item;
	char number[32];

	if (!json_is_object(object))
		return da_err_set(err, DA_ERR_CONFIG, "%s: expected an object", where);
	json_object_foreach((json_t *)object, key, item) {
		const char *text = json_string_value(item);
		enum da_code code;

		/* "ttl": 60 is as natural as "ttl": "60". */
		if (json_is_integer(item)) {
			snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(item));
			text = number;
		}
		if (text == NULL)
			return da_err_set(err, DA_ERR_CONFIG, "%s: '%s' must be a string or a number",
					  where, key);
		code = da_plugin_settings_add(list, key, text, err);
		if (code != DA_OK)
			return code;
	}
	return DA_OK;
}

void da_plugin_settings_clear(struct da_plugin_settings *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free((char *)list->items[i].key);
		da_secret_free((char *)list->items[i].value);
	}
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

/* Append a copy of name to the list *vars of *n. */
static int push_name(char ***vars, size_t *n, const char *name)
{
	char **grown = realloc(*vars, (*n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	*vars = grown;
	grown[*n] = strdup(name);
	if (grown[*n] == NULL)
		return -1;
	(*n)++;
	return 0;
}

enum da_code da_plugin_secret_variables(const char *dir, char ***vars_out, size_t *n_out,
					struct da_err *err)
{
	char **names = NULL, file_var[256];
	size_t n = 0;
	int failed = 0;
	enum da_code code = da_plugin_list(dir, &names, &n, err);

	*vars_out = NULL;
	*n_out = 0;
	for (size_t i = 0; code == DA_OK && !failed && i < n; i++) {
		struct da_plugin *p = NULL;

		if (da_plugin_load(dir, names[i], &p, NULL) != DA_OK)
			continue;
		for (size_t o = 0; !failed && o < p->n_options; o++) {
			const struct dnsacme_option *opt = &p->provider->options[o];
			const size_t n_env = sizeof(opt->env) / sizeof(opt->env[0]);

			if (!(opt->flags & DNSACME_OPT_SECRET))
				continue;
			for (size_t e = 0; !failed && e < n_env && opt->env[e] != NULL; e++) {
				snprintf(file_var, sizeof(file_var), "%s_FILE", opt->env[e]);
				failed = push_name(vars_out, n_out, opt->env[e]) != 0 ||
					 push_name(vars_out, n_out, file_var) != 0;
			}
		}
		da_plugin_free(p);
	}
	da_plugin_names_free(names, n);
	if (code == DA_OK && failed)
		code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return code;
}
