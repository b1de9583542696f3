/*
 * One table of options drives the flags, the DNSACME_* environment variables,
 * the config file keys and the help text, so the four never disagree.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "cli.h"
#include "issue/hook.h"

enum opt_kind {
	OPT_STRING,	/* const char * */
	OPT_LIST,	/* struct cli_list; repeatable flag, comma list in env */
	OPT_BOOL,	/* int; a flag without argument */
	OPT_NUMBER,	/* long, >= 0 */
	OPT_DNS_OPTION	/* KEY=VALUE pairs for the plugin */
};

enum opt_source { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG };

#define ALL_DNS (CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP)
#define ACME (CMD_ISSUE | CMD_REVOKE)

struct opt {
	const char *name; /* --name; config key with '-' -> '_'; env DNSACME_NAME */
	char short_name;
	enum opt_kind kind;
	size_t offset;
	unsigned commands;
	const char *arg;
	const char *help;
};

#define FIELD(f) offsetof(struct cli_settings, f)

static const struct opt options[] = {
	{"domain", 'd', OPT_LIST, FIELD(domains), CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP, "NAME",
	 "a name for the certificate (repeat; \"*.example.com\" for a wildcard)"},
	{"dns", 0, OPT_STRING, FIELD(dns), ALL_DNS, "PLUGIN",
	 "DNS provider plugin (see `dnsacme plugins`)"},
	{"dns-option", 0, OPT_DNS_OPTION, FIELD(dns_options), ALL_DNS, "KEY=VALUE",
	 "a plugin option (repeat); KEY_file=PATH reads it from a file"},
	{"value", 0, OPT_STRING, FIELD(value), CMD_PRESENT | CMD_CLEANUP, "TXT",
	 "the TXT value to publish or remove"},
	{"server", 0, OPT_STRING, FIELD(server), ACME, "URL",
	 "ACME directory URL (default: Let's Encrypt production)"},
	{"staging", 0, OPT_BOOL, FIELD(staging), ACME, NULL,
	 "use Let's Encrypt's staging directory"},
	{"email", 0, OPT_STRING, FIELD(email), CMD_ISSUE, "ADDR",
	 "contact address for the account"},
	{"agree-tos", 0, OPT_BOOL, FIELD(agree_tos), CMD_ISSUE, NULL,
	 "agree to the CA's terms of service"},
	{"eab-kid", 0, OPT_STRING, FIELD(eab_kid), CMD_ISSUE, "ID",
	 "External Account Binding key id (ZeroSSL, Google, Sectigo, ...)"},
	{"eab-hmac-key", 0, OPT_STRING, FIELD(eab_hmac_key), CMD_ISSUE, "KEY",
	 "External Account Binding HMAC key, base64url"},
	{"key-type", 0, OPT_STRING, FIELD(key_type), CMD_ISSUE, "TYPE",
	 "certificate key: ec256 (default), ec384, rsa2048, rsa3072, rsa4096"},
	{"profile", 0, OPT_STRING, FIELD(profile), CMD_ISSUE, "NAME",
	 "certificate profile, when the CA offers profiles"},
	{"preferred-chain", 0, OPT_STRING, FIELD(preferred_chain), CMD_ISSUE, "ISSUER_CN",
	 "pick the chain whose top certificate is issued by ISSUER_CN"},
	{"out", 0, OPT_STRING, FIELD(out), CMD_ISSUE, "DIR",
	 "where to write the certificate (default: STATE_DIR/certificates/NAME)"},
	{"state-dir", 0, OPT_STRING, FIELD(state_dir), ACME, "DIR",
	 "account keys and the cleanup journal (default: /var/lib/dnsacme as root, "
	 "else ~/.local/share/dnsacme)"},
	{"ca-bundle", 0, OPT_STRING, FIELD(ca_bundle), ACME, "FILE",
	 "trust only these CA certificates (PEM) for the ACME server's HTTPS (DNS providers' "
	 "APIs keep the system's)"},
	{"deploy-hook", 0, OPT_STRING, FIELD(deploy_hook), CMD_ISSUE, "CMD",
	 "run CMD with /bin/sh after the certificate is written (no secret variables in its "
	 "environment)"},
	{"deploy-hook-timeout", 0, OPT_NUMBER, FIELD(deploy_hook_timeout), CMD_ISSUE, "SECONDS",
	 "stop the deploy hook (its whole process group) after SECONDS (default 300)"},
	{"dns-resolvers", 0, OPT_STRING, FIELD(dns_resolvers), ALL_DNS, "HOST[:PORT],...",
	 "resolvers for CNAME and zone discovery (default: /etc/resolv.conf)"},
	{"propagation-nameservers", 0, OPT_STRING, FIELD(propagation_nameservers), CMD_ISSUE,
	 "HOST[:PORT],...", "check these servers instead of each zone's nameservers"},
	{"propagation-timeout", 0, OPT_NUMBER, FIELD(propagation_timeout), CMD_ISSUE,
	 "SECONDS", "give up waiting for DNS after this long (default 300)"},
	{"propagation-skip", 0, OPT_BOOL, FIELD(propagation_skip), CMD_ISSUE, NULL,
	 "do not check the nameservers before asking the CA to validate"},
	{"renew-before", 0, OPT_NUMBER, FIELD(renew_before), CMD_ISSUE, "DAYS",
	 "do nothing while the certificate in --out, from the same CA, key type and names, has "
	 "more than DAYS days left (default: always issue)"},
	{"plugin-dir", 0, OPT_STRING, FIELD(plugin_dir), ALL_DNS | CMD_PLUGINS, "DIR",
	 "where dnsacme-NAME.so plugins live"},
	{"cert", 0, OPT_STRING, FIELD(cert), CMD_REVOKE, "FILE",
	 "the certificate (PEM) to revoke"},
	{"reason", 0, OPT_NUMBER, FIELD(reason), CMD_REVOKE, "N",
	 "RFC 5280 revocation reason code (default 0, unspecified)"},
	{"config", 'c', OPT_STRING, FIELD(config), ACME | ALL_DNS, "FILE",
	 "read settings from a JSON file (keys as the flags, '-' written '_')"},
	{"verbose", 'v', OPT_BOOL, FIELD(verbose), ACME | ALL_DNS | CMD_PLUGINS, NULL,
	 "log every step and every HTTP request"},
	{"quiet", 'q', OPT_BOOL, FIELD(quiet), ACME | ALL_DNS, NULL, "log errors only"},
	{"help", 'h', OPT_BOOL, FIELD(help), ~0u, NULL, "show this help"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char *command_name(enum cli_command command)
{
	const struct cli_command_def *c = cli_command_by_id(command);

	return c ? c->word : "?";
}

/* "state-dir" -> "state_dir"; lists read better in plural: "domains",
 * "dns_options". */
static void config_key(const struct opt *o, char *out, size_t size)
{
	int plural = o->kind == OPT_LIST || o->kind == OPT_DNS_OPTION;

	snprintf(out, size, "%s%s", o->name, plural ? "s" : "");
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

static void env_name(const struct opt *o, char *out, size_t size)
{
	snprintf(out, size, "DNSACME_%s", o->name);
	for (char *p = out; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
}

static int list_push(struct cli_list *list, const char *item)
{
	const char **grown = realloc(list->items, (list->n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	grown[list->n++] = item;
	list->items = grown;
	return 0;
}

static char *keep_string(struct cli_settings *s, char *owned)
{
	char **grown;

	if (owned == NULL)
		return NULL;
	grown = realloc(s->owned_strings, (s->n_owned_strings + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(owned);
		return NULL;
	}
	grown[s->n_owned_strings++] = owned;
	s->owned_strings = grown;
	return owned;
}

/*
 * Apply one textual value from a flag, an environment variable or the config
 * file. A source replaces what a weaker one set; repeated values from one
 * source accumulate in lists. where names the origin for error messages.
 */
static enum da_code apply(struct cli_settings *s, enum opt_source *set_by, const struct opt *o,
			  const char *text, enum opt_source source, const char *where,
			  struct da_err *err)
{
	void *field = (char *)s + o->offset;
	int replace = *set_by != source;
	char *end;
	long number;

	*set_by = source;
	switch (o->kind) {
	case OPT_STRING:
		*(const char **)field = text;
		return DA_OK;
	case OPT_BOOL:
		if (text == NULL || strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			*(int *)field += 1; /* -v -v counts */
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			*(int *)field = 0;
		else
			return da_err_set(err, DA_ERR_USAGE, "%s: expected true or false, got '%s'",
					  where, text);
		return DA_OK;
	case OPT_NUMBER:
		errno = 0;
		number = strtol(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0' || number < 0)
			return da_err_set(err, DA_ERR_USAGE, "%s: expected a number, got '%s'",
					  where, text);
		*(long *)field = number;
		return DA_OK;
	case OPT_LIST: {
		struct cli_list *list = field;

		if (replace)
			list->n = 0;
		if (list_push(list, text) != 0)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		return DA_OK;
	}
	case OPT_DNS_OPTION: {
		const char *eq = strchr(text, '=');
		char *key;
		enum da_code rc;

		if (replace)
			da_plugin_settings_clear(&s->dns_options);
		/* Never echoed: a mistyped "tsig_secret:VALUE" is a secret. */
		if (eq == NULL || eq == text)
			return da_err_set(err, DA_ERR_USAGE,
					  "%s: expected KEY=VALUE (what was given is not shown: it "
					  "may hold a secret)",
					  where);
		key = strndup(text, (size_t)(eq - text));
		if (key == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		rc = da_plugin_settings_add(&s->dns_options, key, eq + 1, err);
		free(key);
		return rc;
	}
	}
	return DA_OK;
}

static const struct opt *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

static const struct opt *find_short(char c)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].short_name == c)
			return &options[i];
	return NULL;
}

/* --- config file ---------------------------------------------------------- */

/*
 * jansson keeps no positions for keys, so find where a top-level key stands
 * by scanning the text: the first string at depth 1 in key position.
 */
static void key_position(const char *text, const char *key, int *line, int *column)
{
	size_t klen = strlen(key);
	int depth = 0, l = 1, c = 1, expect_key = 0;

	*line = *column = 0;
	for (const char *p = text; *p; p++, c++) {
		if (*p == '\n') {
			l++;
			c = 0;
		} else if (*p == '{' || *p == '[') {
			depth++;
			expect_key = *p == '{';
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == ',') {
			expect_key = depth == 1;
		} else if (*p == '"') {
			const char *start = p + 1;
			int at_l = l, at_c = c;

			for (p++; *p && *p != '"'; p++, c++)
				if (*p == '\\' && p[1])
					p++, c++;
			if (*p == '\0')
				return;
			if (depth == 1 && expect_key && (size_t)(p - start) == klen &&
			    strncmp(start, key, klen) == 0) {
				*line = at_l;
				*column = at_c;
				return;
			}
			expect_key = 0;
		}
	}
}

static enum da_code config_value(struct cli_settings *s, enum opt_source *set_by,
				 const struct opt *o, json_t *value, const char *where,
				 struct da_err *err)
{
	enum da_code rc;
	char number[32];
	json_t *item;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_STRING:
		if (o->kind == OPT_DNS_OPTION)
			break;
		return apply(s, set_by, o, json_string_value(value), SRC_FILE, where, err);
	case JSON_TRUE:
	case JSON_FALSE:
		if (o->kind != OPT_BOOL)
			break;
		return apply(s, set_by, o, json_is_true(value) ? "true" : "false", SRC_FILE,
			     where, err);
	case JSON_INTEGER:
		if (o->kind != OPT_NUMBER)
			break;
		snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(value));
		return apply(s, set_by, o, number, SRC_FILE, where, err);
	case JSON_ARRAY:
		if (o->kind != OPT_LIST)
			break;
		json_array_foreach(value, i, item) {
			if (!json_is_string(item))
				return da_err_set(err, DA_ERR_CONFIG, "%s: expected strings",
						  where);
			rc = apply(s, set_by, o, json_string_value(item), SRC_FILE, where, err);
			if (rc != DA_OK)
				return rc;
		}
		return DA_OK;
	case JSON_OBJECT:
		if (o->kind != OPT_DNS_OPTION)
			break;
		da_plugin_settings_clear(&s->dns_options);
		*set_by = SRC_FILE;
		return da_plugin_settings_add_json(&s->dns_options, value, where, err);
	default:
		break;
	}
	return da_err_set(err, DA_ERR_CONFIG, "%s: wrong type (expected %s)", where,
			  o->kind == OPT_LIST	     ? "an array of strings"
			  : o->kind == OPT_BOOL	     ? "true or false"
			  : o->kind == OPT_NUMBER    ? "a number"
			  : o->kind == OPT_DNS_OPTION ? "an object of strings or numbers"
						     : "a string");
}

static enum da_code load_config_file(struct cli_settings *s, enum opt_source *set_by,
				     const char *path, struct da_err *err)
{
	json_error_t jerr;
	json_t *root, *value;
	const char *key;
	char *text = NULL;
	size_t len = 0;
	struct da_err read_err;

	/* Read the text once: jansson parses it, key_position() scans it. */
	if (da_file_read(path, DA_FILE_READ_MAX, &text, &len, &read_err) != DA_OK)
		return da_err_set(err, DA_ERR_CONFIG, "config file: %s", read_err.msg);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		free(text);
		return da_err_set(err, DA_ERR_CONFIG, "%s:%d:%d: %s", path, jerr.line,
				  jerr.column, jerr.text);
	}
	if (!json_is_object(root)) {
		free(text);
		json_decref(root);
		return da_err_set(err, DA_ERR_CONFIG, "%s:1:1: expected a JSON object", path);
	}
	s->config_json = root;
	json_object_foreach(root, key, value) {
		const struct opt *o = NULL;
		char where[512], want[64];
		int line, column;
		enum da_code rc;

		for (size_t i = 0; i < N_OPTIONS && o == NULL; i++) {
			config_key(&options[i], want, sizeof(want));
			if (strcmp(key, want) == 0)
				o = &options[i];
		}
		key_position(text, key, &line, &column);
		snprintf(where, sizeof(where), "%s:%d:%d: %s", path, line, column, key);
		if (o == NULL || strcmp(o->name, "help") == 0 ||
		    strcmp(o->name, "config") == 0) {
			free(text);
			return da_err_set(err, DA_ERR_CONFIG, "%s:%d:%d: unknown key '%s'", path,
					  line, column, key);
		}
		rc = config_value(s, &set_by[o - options], o, value, where, err);
		if (rc != DA_OK) {
			free(text);
			return rc;
		}
	}
	free(text);
	return DA_OK;
}

/* --- environment ---------------------------------------------------------- */

/*
 * DNSACME_X_FILE names a file that holds X's value: Kubernetes mounts secrets
 * as files, and a key on the command line shows in ps. *text is NULL when the
 * variable is unset. One trailing newline (LF or CRLF) is not part of it.
 */
static enum da_code env_file_value(struct cli_settings *s, const char *name, const char **text,
				   struct da_err *err)
{
	char file_var[80];
	const char *path;
	char *data = NULL;

	snprintf(file_var, sizeof(file_var), "%s_FILE", name);
	path = getenv(file_var);
	*text = NULL;
	if (path == NULL || *path == '\0')
		return DA_OK;
	if (da_file_read_value(path, &data, err) != DA_OK)
		return da_err_wrap(err, "%s", file_var);
	*text = keep_string(s, data);
	return *text != NULL ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

static enum da_code load_environment(struct cli_settings *s, enum opt_source *set_by,
				     struct da_err *err)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		char name[64];
		const char *text;
		enum da_code rc;

		if (!(o->commands & s->command) || strcmp(o->name, "help") == 0)
			continue;
		env_name(o, name, sizeof(name));
		text = getenv(name);
		if ((text == NULL || *text == '\0') &&
		    (o->kind == OPT_STRING || o->kind == OPT_NUMBER)) {
			rc = env_file_value(s, name, &text, err);
			if (rc != DA_OK)
				return rc;
		}
		if (text == NULL || *text == '\0')
			continue;
		if (o->kind != OPT_LIST && o->kind != OPT_DNS_OPTION) {
			rc = apply(s, &set_by[i], o, text, SRC_ENV, name, err);
			if (rc != DA_OK)
				return rc;
			continue;
		}
		/* Lists come comma-separated. */
		{
			char *copy = keep_string(s, strdup(text)), *save = NULL;

			if (copy == NULL)
				return da_err_set(err, DA_ERR_NOMEM, "out of memory");
			for (char *item = strtok_r(copy, ", ", &save); item != NULL;
			     item = strtok_r(NULL, ", ", &save)) {
				rc = apply(s, &set_by[i], o, item, SRC_ENV, name, err);
				if (rc != DA_OK)
					return rc;
			}
		}
	}
	return DA_OK;
}

/* --- flags ---------------------------------------------------------------- */

struct flag_value {
	const struct opt *opt;
	const char *text; /* NULL for booleans */
	char where[80];
};

static enum da_code parse_flags(struct cli_settings *s, int argc, char **argv,
				struct flag_value *out, size_t *n_out, struct da_err *err)
{
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *inline_value = NULL;
		const struct opt *o;

		if (arg[0] != '-' || arg[1] == '\0') {
			if (s->command == CMD_PLUGINS && s->plugin_name == NULL) {
				s->plugin_name = arg;
				continue;
			}
			return da_err_set(err, DA_ERR_USAGE, "unexpected argument '%s'", arg);
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			o = find_long(arg + 2, len);
			inline_value = eq ? eq + 1 : NULL;
		} else {
			o = arg[2] == '\0' ? find_short(arg[1]) : NULL;
		}
		if (o == NULL || !(o->commands & s->command))
			return da_err_set(err, DA_ERR_USAGE, "unknown option '%s' for '%s'", arg,
					  command_name(s->command));
		snprintf(out[n].where, sizeof(out[n].where), "--%s", o->name);
		out[n].opt = o;
		out[n].text = NULL;
		if (o->kind == OPT_BOOL) {
			if (inline_value != NULL)
				return da_err_set(err, DA_ERR_USAGE, "--%s takes no value",
						  o->name);
		} else if (inline_value != NULL) {
			out[n].text = inline_value;
		} else if (i + 1 < argc) {
			out[n].text = argv[++i];
		} else {
			return da_err_set(err, DA_ERR_USAGE, "--%s needs a value (%s)", o->name,
					  o->arg);
		}
		n++;
	}
	*n_out = n;
	return DA_OK;
}

static enum da_code default_state_dir(struct cli_settings *s, struct da_err *err)
{
	const char *data_home = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int rc = 0;

	if (s->state_dir != NULL)
		return DA_OK;
	if (geteuid() == 0)
		dir = strdup("/var/lib/dnsacme");
	else if (data_home != NULL && *data_home == '/')
		rc = asprintf(&dir, "%s/dnsacme", data_home);
	else if (home != NULL && *home == '/')
		rc = asprintf(&dir, "%s/.local/share/dnsacme", home);
	else
		return da_err_set(err, DA_ERR_USAGE, "no home directory: pass --state-dir");
	if (rc < 0 || dir == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	s->owned_state_dir = dir;
	s->state_dir = dir;
	return DA_OK;
}

static enum da_code choose_ca(struct cli_settings *s, struct da_err *err)
{
	if (s->server != NULL && s->staging)
		return da_err_set(err, DA_ERR_USAGE,
				  "--staging and --server exclude each other (--staging is "
				  "--server " DA_LETSENCRYPT_STAGING ")");
	s->directory_url = s->server	? s->server
			   : s->staging ? DA_LETSENCRYPT_STAGING
					: DA_LETSENCRYPT_PRODUCTION;
	return DA_OK;
}

enum da_code cli_settings_load(struct cli_settings *s, enum cli_command command, int argc,
			       char **argv, struct da_err *err)
{
	enum opt_source set_by[N_OPTIONS] = {SRC_DEFAULT};
	struct flag_value *flags;
	const char *config_path;
	size_t n_flags = 0;
	enum da_code rc;

	memset(s, 0, sizeof(*s));
	s->command = command;
	s->propagation_timeout = 300;
	s->renew_before = -1;
	s->deploy_hook_timeout = DA_HOOK_TIMEOUT_DEFAULT;
	flags = calloc((size_t)argc + 1, sizeof(*flags));
	if (flags == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = parse_flags(s, argc, argv, flags, &n_flags, err);
	if (rc != DA_OK)
		goto out;
	/* Help needs no settings: a broken config file must not hide it. */
	for (size_t i = 0; i < n_flags; i++)
		if (flags[i].opt->offset == FIELD(help))
			s->help = 1;
	if (s->help)
		goto out;
	config_path = getenv("DNSACME_CONFIG");
	for (size_t i = 0; i < n_flags; i++)
		if (strcmp(flags[i].opt->name, "config") == 0)
			config_path = flags[i].text;
	if (config_path != NULL && *config_path != '\0' && command != CMD_PLUGINS) {
		rc = load_config_file(s, set_by, config_path, err);
		if (rc != DA_OK)
			goto out;
	}
	rc = load_environment(s, set_by, err);
	for (size_t i = 0; rc == DA_OK && i < n_flags; i++)
		rc = apply(s, &set_by[flags[i].opt - options], flags[i].opt, flags[i].text,
			   SRC_FLAG, flags[i].where, err);
	/* present and cleanup keep no state: they need no home directory. */
	if (rc == DA_OK && (command & ACME))
		rc = default_state_dir(s, err);
	if (rc == DA_OK && (command & ACME))
		rc = choose_ca(s, err);
out:
	free(flags);
	return rc;
}

struct da_session_config cli_session_config(const struct cli_settings *s)
{
	enum dnsacme_log_level level = s->quiet	    ? DNSACME_LOG_ERROR
				       : s->verbose ? DNSACME_LOG_DEBUG
						    : DNSACME_LOG_INFO;

	return (struct da_session_config){
		.log_level = level,
		.directory_url = s->directory_url,
		.ca_bundle = s->ca_bundle,
		.state_dir = s->state_dir,
		.email = s->email,
		.agree_tos = s->agree_tos,
		.eab_kid = s->eab_kid,
		.eab_hmac_key = s->eab_hmac_key,
		.dns_resolvers = s->dns_resolvers,
		.propagation_nameservers = s->propagation_nameservers,
		.plugin_dir = s->plugin_dir,
		.plugin = s->dns,
		.plugin_settings = &s->dns_options,
		/* The operator's own flags, environment and files. */
		.plugin_sources = DA_PLUGIN_FROM_ALL,
	};
}

void cli_settings_free(struct cli_settings *s)
{
	free(s->domains.items);
	da_plugin_settings_clear(&s->dns_options);
	json_decref(s->config_json);
	free(s->owned_state_dir);
	/* Some came from DNSACME_<OPTION>_FILE: the EAB key among them. */
	for (size_t i = 0; i < s->n_owned_strings; i++)
		da_secret_free(s->owned_strings[i]);
	free(s->owned_strings);
	memset(s, 0, sizeof(*s));
}

/* --- help ----------------------------------------------------------------- */

void cli_usage(FILE *out, enum cli_command command)
{
	if (command == 0) {
		fprintf(out, "usage: dnsacme COMMAND [options]\n\n"
			     "An ACME client that proves domain control with DNS-01 only.\n\n"
			     "commands:\n");
		for (const struct cli_command_def *c = cli_commands; c->word != NULL; c++)
			fprintf(out, "  %-9s %s\n", c->word, c->summary);
		fprintf(out, "\nRun `dnsacme COMMAND --help` for a command's options.\n");
		return;
	}
	if (cli_command_by_id(command) != NULL)
		fprintf(out, "usage: dnsacme %s\n\n%s\n\noptions:\n",
			cli_command_by_id(command)->synopsis, cli_command_by_id(command)->summary);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		char flag[96], env[64];

		if (!(o->commands & command))
			continue;
		/* "-d, --domain NAME" and "    --dns PLUGIN": the long names align. */
		snprintf(flag, sizeof(flag), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
			 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-36s %s\n", flag, o->help);
		if (strcmp(o->name, "help") != 0) {
			env_name(o, env, sizeof(env));
			fprintf(out, "  %-36s   env %s\n", "", env);
		}
	}
	if (command & (CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP))
		fprintf(out, "\nPlugin options also come from each plugin's environment "
			     "variables: see `dnsacme plugins NAME`.\n");
	fprintf(out, "An option with one value may also come from a file: DNSACME_<OPTION>_FILE=PATH.\n"
		     "Precedence: flags > environment > config file > defaults.\n");
}
