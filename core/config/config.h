/*
 * Settings from four sources, one table: command-line flags, environment
 * variables, a JSON config file and the defaults the caller sets first.
 * Precedence: flags > environment > config file > defaults. The table also
 * prints the help, so the four never disagree. `issue`, `renew` and the
 * webhook each fill their own settings struct through their own table.
 *
 * For an option named "state-dir" of a table whose prefix is "DNSACME":
 *   flag      --state-dir DIR, --state-dir=DIR (and -X for its short name)
 *   variable  DNSACME_STATE_DIR; DNSACME_STATE_DIR_FILE=PATH reads the value
 *             from a file (strings and numbers; one trailing line end dropped)
 *   file key  "state_dir"; lists and plugin options take a plural key
 *             ("domains", "dns_options")
 */
#ifndef DA_CONFIG_CONFIG_H
#define DA_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "plugin/loader.h"

enum da_config_kind {
	DA_CONFIG_STRING,  /* const char * */
	DA_CONFIG_LIST,	   /* struct da_config_list; repeatable flag, comma list in env */
	DA_CONFIG_BOOL,	   /* int; a flag without argument, counted (-v -v) */
	DA_CONFIG_NUMBER,  /* long, >= 0 */
	DA_CONFIG_PLUGIN,  /* struct da_plugin_settings; KEY=VALUE flags, an object in the file */
	DA_CONFIG_HELP,	   /* int; a flag only: loading stops and sets it */
	DA_CONFIG_FILE,	   /* const char *; the JSON file to read (flag or env) */
	DA_CONFIG_JSON	   /* const void * (json_t *); any JSON value, in the file only */
};

struct da_config_option {
	const char *name; /* long flag; the variable and the file key derive from it */
	char short_name;  /* 0 for none */
	enum da_config_kind kind;
	size_t offset;	  /* of its field in the caller's settings struct */
	unsigned scopes;  /* bit mask: the commands that take it */
	const char *arg;  /* the value's placeholder in help, NULL for booleans */
	const char *help;
};

struct da_config_table {
	const struct da_config_option *options;
	size_t n;
	const char *env_prefix; /* "DNSACME" */
};

struct da_config_list {
	const char **items; /* owned array of borrowed strings */
	size_t n;
};

/*
 * What the settings borrow: the parsed config file, values read from _FILE
 * variables and split from lists, and the positional arguments.
 */
struct da_config {
	void *json;	     /* json_t *, owned */
	char **strings;	     /* owned; wiped when freed (some are secrets) */
	size_t n_strings;
	const char **args;   /* positional arguments, borrowed from argv */
	size_t n_args;
};

/*
 * Fill settings (already holding the defaults) from argv, the environment and
 * the config file, for the options whose scopes include scope. scope_name
 * names the command in errors. Strings in settings then borrow from argv, the
 * environment or c: release with da_config_free() after the last use.
 * DA_ERR_USAGE or DA_ERR_CONFIG with a one-line message naming the flag, the
 * variable or FILE:LINE:COLUMN; a value that may be a secret is never echoed.
 */
enum da_code da_config_load(struct da_config *c, const struct da_config_table *t,
			    unsigned scope, const char *scope_name, void *settings, int argc,
			    char **argv, struct da_err *err);

/*
 * Fill settings from the keys of a JSON object (json_t *) as if they stood in
 * a config file: each key one of t's options in scope, named in errors as
 * "<where>: <key>". Strings borrow from object, which must outlive settings;
 * release with da_config_free().
 */
enum da_code da_config_load_object(struct da_config *c, const struct da_config_table *t,
				   unsigned scope, void *settings, const void *object,
				   const char *where, struct da_err *err);

/* Release c and what the table's lists and plugin options hold in settings. */
void da_config_free(struct da_config *c, const struct da_config_table *t, void *settings);

/* One line per option in scope (and its variable) to out. */
void da_config_usage(FILE *out, const struct da_config_table *t, unsigned scope);

#endif
