/* The option table engine: see config.h for the four sources. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "config.h"

enum source { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG };

/* One load: the table, the caller's struct, and which source set each option. */
struct loader {
	const struct da_config_table *t;
	unsigned scope;
	void *settings;
	struct da_config *c;
	enum source *set_by; /* one per option */
};

static int is_plural(const struct da_config_option *o)
{
	return o->kind == DA_CONFIG_LIST || o->kind == DA_CONFIG_PLUGIN;
}

/* "state-dir" -> "state_dir"; lists read better in plural: "domains". */
static void file_key(const struct da_config_option *o, char *out, size_t size)
{
	snprintf(out, size, "%s%s", o->name, is_plural(o) ? "s" : "");
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

static void env_name(const struct da_config_table *t, const struct da_config_option *o,
		     char *out, size_t size)
{
	snprintf(out, size, "%s_%s", t->env_prefix, o->name);
	for (char *p = out; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
}

static void *field_of(const struct loader *l, const struct da_config_option *o)
{
	return (char *)l->settings + o->offset;
}

static int list_push(struct da_config_list *list, const char *item)
{
	const char **grown = realloc(list->items, (list->n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	grown[list->n++] = item;
	list->items = grown;
	return 0;
}

/* Take ownership of owned (freed on failure); NULL when out of memory. */
static char *keep_string(struct da_config *c, char *owned)
{
	char **grown;

	if (owned == NULL)
		return NULL;
	grown = realloc(c->strings, (c->n_strings + 1) * sizeof(*grown));
	if (grown == NULL) {
		da_secret_free(owned);
		return NULL;
	}
	grown[c->n_strings++] = owned;
	c->strings = grown;
	return owned;
}

/*
 * Apply one textual value from a flag, a variable or the config file. A
 * source replaces what a weaker one set; repeated values from one source
 * accumulate in lists. where names the origin for error messages.
 */
static enum da_code apply(struct loader *l, const struct da_config_option *o, const char *text,
			  enum source source, const char *where, struct da_err *err)
{
	enum source *set_by = &l->set_by[o - l->t->options];
	void *field = field_of(l, o);
	int replace = *set_by != source;
	char *end;
	long number;

	*set_by = source;
	switch (o->kind) {
	case DA_CONFIG_STRING:
	case DA_CONFIG_FILE:
		*(const char **)field = text;
		return DA_OK;
	case DA_CONFIG_BOOL:
	case DA_CONFIG_HELP:
		if (text == NULL || strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			*(int *)field += 1;
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			*(int *)field = 0;
		else
			return da_err_set(err, DA_ERR_USAGE, "%s: expected true or false, got '%s'",
					  where, text);
		return DA_OK;
	case DA_CONFIG_NUMBER:
		errno = 0;
		number = strtol(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0' || number < 0)
			return da_err_set(err, DA_ERR_USAGE, "%s: expected a number, got '%s'",
					  where, text);
		*(long *)field = number;
		return DA_OK;
	case DA_CONFIG_LIST:
		if (replace)
			((struct da_config_list *)field)->n = 0;
		if (list_push(field, text) != 0)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		return DA_OK;
	case DA_CONFIG_JSON:
		return da_err_set(err, DA_ERR_USAGE, "%s: only a config file can set it", where);
	case DA_CONFIG_PLUGIN: {
		const char *eq = strchr(text, '=');
		char *key;
		enum da_code rc;

		if (replace)
			da_plugin_settings_clear(field);
		/* Never echoed: a mistyped "tsig_secret:VALUE" is a secret. */
		if (eq == NULL || eq == text)
			return da_err_set(err, DA_ERR_USAGE,
					  "%s: expected KEY=VALUE (what was given is not shown: it "
					  "may hold a secret)",
					  where);
		key = strndup(text, (size_t)(eq - text));
		if (key == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		rc = da_plugin_settings_add(field, key, eq + 1, err);
		free(key);
		return rc;
	}
	}
	return da_err_set(err, DA_ERR_INTERNAL, "%s: unknown option kind", where);
}

static const struct da_config_option *find_option(const struct loader *l, const char *name,
						  size_t len, char short_name)
{
	for (size_t i = 0; i < l->t->n; i++) {
		const struct da_config_option *o = &l->t->options[i];

		if (short_name ? o->short_name == short_name
			       : strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
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

static const char *expected_type(enum da_config_kind kind)
{
	switch (kind) {
	case DA_CONFIG_LIST:
		return "an array of strings";
	case DA_CONFIG_BOOL:
		return "true or false";
	case DA_CONFIG_NUMBER:
		return "a number";
	case DA_CONFIG_PLUGIN:
		return "an object of strings or numbers";
	default:
		return "a string";
	}
}

static enum da_code file_value(struct loader *l, const struct da_config_option *o,
			       json_t *value, const char *where, struct da_err *err)
{
	enum da_code rc;
	char number[32];
	json_t *item;
	size_t i;

	if (o->kind == DA_CONFIG_JSON) {
		*(const void **)field_of(l, o) = value;
		return DA_OK;
	}
	switch (json_typeof(value)) {
	case JSON_STRING:
		if (o->kind != DA_CONFIG_STRING)
			break;
		return apply(l, o, json_string_value(value), SRC_FILE, where, err);
	case JSON_TRUE:
	case JSON_FALSE:
		if (o->kind != DA_CONFIG_BOOL)
			break;
		return apply(l, o, json_is_true(value) ? "true" : "false", SRC_FILE, where, err);
	case JSON_INTEGER:
		if (o->kind != DA_CONFIG_NUMBER)
			break;
		snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(value));
		return apply(l, o, number, SRC_FILE, where, err);
	case JSON_ARRAY:
		if (o->kind != DA_CONFIG_LIST)
			break;
		json_array_foreach(value, i, item) {
			if (!json_is_string(item))
				return da_err_set(err, DA_ERR_CONFIG, "%s: expected strings",
						  where);
			rc = apply(l, o, json_string_value(item), SRC_FILE, where, err);
			if (rc != DA_OK)
				return rc;
		}
		return DA_OK;
	case JSON_OBJECT:
		if (o->kind != DA_CONFIG_PLUGIN)
			break;
		da_plugin_settings_clear(field_of(l, o));
		l->set_by[o - l->t->options] = SRC_FILE;
		return da_plugin_settings_add_json(field_of(l, o), value, where, err);
	default:
		break;
	}
	return da_err_set(err, DA_ERR_CONFIG, "%s: wrong type (expected %s)", where,
			  expected_type(o->kind));
}

/* The option a top-level key of the file sets, or NULL: help and the file's
 * own name are not settings a file can hold. */
static const struct da_config_option *option_of_key(const struct loader *l, const char *key)
{
	char want[64];

	for (size_t i = 0; i < l->t->n; i++) {
		const struct da_config_option *o = &l->t->options[i];

		if (o->kind == DA_CONFIG_HELP || o->kind == DA_CONFIG_FILE ||
		    !(o->scopes & l->scope))
			continue;
		file_key(o, want, sizeof(want));
		if (strcmp(key, want) == 0)
			return o;
	}
	return NULL;
}

/* Apply an object's keys; where is the file (text its content, for key
 * positions) or, with text NULL, what names the object in errors. */
static enum da_code apply_keys(struct loader *l, const char *where, const char *text,
			       json_t *root, struct da_err *err)
{
	const char *key;
	json_t *value;

	json_object_foreach(root, key, value) {
		const struct da_config_option *o = option_of_key(l, key);
		char at[512];
		int line = 0, column = 0;
		enum da_code rc;

		if (text != NULL) {
			key_position(text, key, &line, &column);
			snprintf(at, sizeof(at), "%s:%d:%d", where, line, column);
		} else {
			snprintf(at, sizeof(at), "%s", where);
		}
		if (o == NULL)
			return da_err_set(err, DA_ERR_CONFIG, "%s: unknown key '%s'", at, key);
		snprintf(at + strlen(at), sizeof(at) - strlen(at), ": %s", key);
		rc = file_value(l, o, value, at, err);
		if (rc != DA_OK)
			return rc;
	}
	return DA_OK;
}

static enum da_code load_file(struct loader *l, const char *path, struct da_err *err)
{
	json_error_t jerr;
	json_t *root;
	char *text = NULL;
	size_t len = 0;
	struct da_err read_err;
	enum da_code rc;

	/* Read the text once: jansson parses it, key_position() scans it. */
	if (da_file_read(path, DA_FILE_READ_MAX, &text, &len, &read_err) != DA_OK)
		return da_err_set(err, DA_ERR_CONFIG, "config file: %s", read_err.msg);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		rc = da_err_set(err, DA_ERR_CONFIG, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				jerr.text);
	else if (!json_is_object(root))
		rc = da_err_set(err, DA_ERR_CONFIG, "%s:1:1: expected a JSON object", path);
	else
		rc = apply_keys(l, path, text, root, err);
	/* Settings borrow the file's strings even after a failure: keep it. */
	l->c->json = root;
	da_secret_free(text);
	return rc;
}

/* --- environment ---------------------------------------------------------- */

/*
 * NAME_FILE names a file that holds NAME's value: Kubernetes mounts secrets
 * as files, and a key on the command line shows in ps. *text is NULL when the
 * variable is unset.
 */
static enum da_code env_file_value(struct loader *l, const char *name, const char **text,
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
	*text = keep_string(l->c, data);
	return *text != NULL ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

/* Lists come comma- or space-separated. */
static enum da_code apply_env_list(struct loader *l, const struct da_config_option *o,
				   const char *text, const char *name, struct da_err *err)
{
	char *copy = keep_string(l->c, strdup(text)), *save = NULL;

	if (copy == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (char *item = strtok_r(copy, ", ", &save); item != NULL;
	     item = strtok_r(NULL, ", ", &save)) {
		enum da_code rc = apply(l, o, item, SRC_ENV, name, err);

		if (rc != DA_OK)
			return rc;
	}
	return DA_OK;
}

static enum da_code load_environment(struct loader *l, struct da_err *err)
{
	for (size_t i = 0; i < l->t->n; i++) {
		const struct da_config_option *o = &l->t->options[i];
		char name[64];
		const char *text;
		enum da_code rc;

		if (!(o->scopes & l->scope) || o->kind == DA_CONFIG_HELP ||
		    o->kind == DA_CONFIG_FILE || o->kind == DA_CONFIG_JSON)
			continue;
		env_name(l->t, o, name, sizeof(name));
		text = getenv(name);
		if ((text == NULL || *text == '\0') &&
		    (o->kind == DA_CONFIG_STRING || o->kind == DA_CONFIG_NUMBER)) {
			rc = env_file_value(l, name, &text, err);
			if (rc != DA_OK)
				return rc;
		}
		if (text == NULL || *text == '\0')
			continue;
		rc = is_plural(o) ? apply_env_list(l, o, text, name, err)
				  : apply(l, o, text, SRC_ENV, name, err);
		if (rc != DA_OK)
			return rc;
	}
	return DA_OK;
}

/* --- flags ---------------------------------------------------------------- */

struct flag_value {
	const struct da_config_option *option;
	const char *text; /* NULL for booleans */
	char where[80];
};

/* Split argv into flags (checked against the table) and positional arguments. */
static enum da_code parse_flags(struct loader *l, const char *scope_name, int argc, char **argv,
				struct flag_value *out, size_t *n_out, struct da_err *err)
{
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *inline_value = NULL;
		const struct da_config_option *o;

		if (strcmp(arg, "--") == 0) {
			/* The end of the flags: what follows is positional. */
			while (++i < argc)
				l->c->args[l->c->n_args++] = argv[i];
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			l->c->args[l->c->n_args++] = arg;
			continue;
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			o = find_option(l, arg + 2, len, 0);
			inline_value = eq ? eq + 1 : NULL;
		} else {
			o = arg[2] == '\0' ? find_option(l, NULL, 0, arg[1]) : NULL;
		}
		/* After an operand, what is no option of ours is an operand too:
		 * a TXT value is base64url and may begin with '-' (lego and
		 * acme.sh pass FQDN VALUE with no "--" before them). */
		if (o == NULL && l->c->n_args > 0) {
			l->c->args[l->c->n_args++] = arg;
			continue;
		}
		if (o == NULL || !(o->scopes & l->scope) || o->kind == DA_CONFIG_JSON)
			return da_err_set(err, DA_ERR_USAGE, "unknown option '%s' for '%s'", arg,
					  scope_name);
		snprintf(out[n].where, sizeof(out[n].where), "--%s", o->name);
		out[n].option = o;
		out[n].text = NULL;
		if (o->kind == DA_CONFIG_BOOL || o->kind == DA_CONFIG_HELP) {
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

/* The config file named by its flag, else by its variable, else NULL. */
static const char *file_path(const struct loader *l, const struct flag_value *flags,
			     size_t n_flags)
{
	const char *path = NULL;
	char name[64];

	for (size_t i = 0; i < l->t->n && path == NULL; i++) {
		const struct da_config_option *o = &l->t->options[i];

		if (o->kind != DA_CONFIG_FILE || !(o->scopes & l->scope))
			continue;
		env_name(l->t, o, name, sizeof(name));
		path = getenv(name);
		for (size_t f = 0; f < n_flags; f++)
			if (flags[f].option == o)
				path = flags[f].text;
	}
	return path != NULL && *path != '\0' ? path : NULL;
}

enum da_code da_config_load(struct da_config *c, const struct da_config_table *t,
			    unsigned scope, const char *scope_name, void *settings, int argc,
			    char **argv, struct da_err *err)
{
	struct loader l = {.t = t, .scope = scope, .settings = settings, .c = c};
	struct flag_value *flags;
	const char *path;
	size_t n_flags = 0;
	enum da_code rc;

	memset(c, 0, sizeof(*c));
	l.set_by = calloc(t->n, sizeof(*l.set_by));
	flags = calloc((size_t)argc + 1, sizeof(*flags));
	c->args = calloc((size_t)argc + 1, sizeof(*c->args));
	if (l.set_by == NULL || flags == NULL || c->args == NULL) {
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = parse_flags(&l, scope_name, argc, argv, flags, &n_flags, err);
	if (rc != DA_OK)
		goto out;
	/* Help needs no settings: a broken config file must not hide it. */
	for (size_t i = 0; i < n_flags; i++)
		if (flags[i].option->kind == DA_CONFIG_HELP) {
			*(int *)field_of(&l, flags[i].option) = 1;
			goto out;
		}
	path = file_path(&l, flags, n_flags);
	if (path != NULL)
		rc = load_file(&l, path, err);
	if (rc == DA_OK)
		rc = load_environment(&l, err);
	for (size_t i = 0; rc == DA_OK && i < n_flags; i++)
		rc = apply(&l, flags[i].option, flags[i].text, SRC_FLAG, flags[i].where, err);
out:
	free(flags);
	free(l.set_by);
	return rc;
}

enum da_code da_config_load_object(struct da_config *c, const struct da_config_table *t,
				   unsigned scope, void *settings, const void *object,
				   const char *where, struct da_err *err)
{
	struct loader l = {.t = t, .scope = scope, .settings = settings, .c = c};
	enum da_code rc;

	memset(c, 0, sizeof(*c));
	if (!json_is_object((const json_t *)object))
		return da_err_set(err, DA_ERR_CONFIG, "%s: expected an object", where);
	l.set_by = calloc(t->n, sizeof(*l.set_by));
	if (l.set_by == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = apply_keys(&l, where, NULL, (json_t *)object, err);
	free(l.set_by);
	return rc;
}

void da_config_free(struct da_config *c, const struct da_config_table *t, void *settings)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct da_config_option *o = &t->options[i];
		void *field = (char *)settings + o->offset;

		if (o->kind == DA_CONFIG_LIST) {
			free(((struct da_config_list *)field)->items);
			memset(field, 0, sizeof(struct da_config_list));
		} else if (o->kind == DA_CONFIG_PLUGIN) {
			da_plugin_settings_clear(field);
		}
	}
	json_decref(c->json);
	/* Some came from _FILE variables: the EAB key among them. */
	for (size_t i = 0; i < c->n_strings; i++)
		da_secret_free(c->strings[i]);
	free(c->strings);
	free(c->args);
	memset(c, 0, sizeof(*c));
}

/* --- help ----------------------------------------------------------------- */

void da_config_usage(FILE *out, const struct da_config_table *t, unsigned scope)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct da_config_option *o = &t->options[i];
		char flag[96], env[64];

		if (!(o->scopes & scope) || o->kind == DA_CONFIG_JSON)
			continue;
		/* "-d, --domain NAME" and "    --dns PLUGIN": the long names align. */
		snprintf(flag, sizeof(flag), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
			 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-36s %s\n", flag, o->help);
		if (o->kind != DA_CONFIG_HELP) {
			env_name(t, o, env, sizeof(env));
			fprintf(out, "  %-36s   env %s\n", "", env);
		}
	}
}
