/* The option table engine, on a table of its own (prefix TEST). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "config/config.h"

enum { SCOPE_A = 1, SCOPE_B = 2 };

struct settings {
	const char *name;
	struct da_config_list hosts;
	int force;
	long count;
	struct da_plugin_settings opts;
	const char *only_b;
	const void *extra; /* json_t * */
	const char *config;
	int help;
};

#define FIELD(f) offsetof(struct settings, f)

static const struct da_config_option options[] = {
	{"name", 'n', DA_CONFIG_STRING, FIELD(name), SCOPE_A | SCOPE_B, "NAME", "a name"},
	{"host", 0, DA_CONFIG_LIST, FIELD(hosts), SCOPE_A, "NAME", "hosts"},
	{"force", 'f', DA_CONFIG_BOOL, FIELD(force), SCOPE_A, NULL, "force"},
	{"count", 0, DA_CONFIG_NUMBER, FIELD(count), SCOPE_A, "N", "a count"},
	{"opt", 0, DA_CONFIG_PLUGIN, FIELD(opts), SCOPE_A, "KEY=VALUE", "an option"},
	{"only-b", 0, DA_CONFIG_STRING, FIELD(only_b), SCOPE_B, "X", "B's own"},
	{"extra", 0, DA_CONFIG_JSON, FIELD(extra), SCOPE_A, NULL, "any JSON"},
	{"config", 'c', DA_CONFIG_FILE, FIELD(config), SCOPE_A | SCOPE_B, "FILE", "file"},
	{"help", 'h', DA_CONFIG_HELP, FIELD(help), ~0u, NULL, "help"},
};

static const struct da_config_table table = {options, sizeof(options) / sizeof(options[0]),
					     "TEST"};

static struct da_config c;

static enum da_code load(struct settings *s, unsigned scope, char **argv, int argc,
			 struct da_err *err)
{
	memset(s, 0, sizeof(*s));
	s->count = 99; /* a default */
	return da_config_load(&c, &table, scope, scope == SCOPE_A ? "a" : "b", s, argc, argv,
			      err);
}

static void done(struct settings *s)
{
	da_config_free(&c, &table, s);
}

static void test_defaults_and_file(void)
{
	char *argv[] = {"-c", "config/good.json"};
	struct settings s;
	struct da_err err;

	CHECK(load(&s, SCOPE_A, argv, 0, &err) == DA_OK);
	CHECK(s.count == 99 && s.name == NULL && s.hosts.n == 0);
	done(&s);

	CHECK(load(&s, SCOPE_A, argv, 2, &err) == DA_OK);
	CHECK_STR(s.name, "from-file");
	CHECK(s.hosts.n == 2);
	CHECK_STR(s.hosts.n == 2 ? s.hosts.items[1] : NULL, "b.example");
	CHECK(s.force == 1 && s.count == 7);
	CHECK(s.opts.n == 2);
	CHECK_STR(s.opts.n == 2 ? s.opts.items[1].value : NULL, "60"); /* a number */
	done(&s);

	/* The file may come from its variable; the flag wins over it. */
	setenv("TEST_CONFIG", "config/good.json", 1);
	CHECK(load(&s, SCOPE_A, argv, 0, &err) == DA_OK);
	CHECK_STR(s.name, "from-file");
	done(&s);
	setenv("TEST_CONFIG", "config/does-not-exist.json", 1);
	CHECK(load(&s, SCOPE_A, argv, 2, &err) == DA_OK);
	done(&s);
	unsetenv("TEST_CONFIG");
}

static void test_precedence(void)
{
	char *argv[] = {"-c", "config/good.json", "--host", "flag.example", "--opt",
			"zone=flag.example", "--force", "-f", "--name=flag"};
	struct settings s;
	struct da_err err;

	setenv("TEST_NAME", "env", 1);
	setenv("TEST_HOST", "env1.example, env2.example env3.example", 1);
	setenv("TEST_COUNT", "3", 1);
	setenv("TEST_FORCE", "false", 1);
	CHECK(load(&s, SCOPE_A, argv, 2, &err) == DA_OK);
	CHECK_STR(s.name, "env"); /* the environment beats the file */
	CHECK(s.hosts.n == 3);	  /* and replaces its list, split on commas and spaces */
	CHECK_STR(s.hosts.n == 3 ? s.hosts.items[2] : NULL, "env3.example");
	CHECK(s.count == 3 && s.force == 0);
	CHECK(s.opts.n == 2); /* no variable for plugin options: the file's stay */
	done(&s);

	CHECK(load(&s, SCOPE_A, argv, 9, &err) == DA_OK);
	CHECK_STR(s.name, "flag"); /* flags beat both */
	CHECK(s.hosts.n == 1);
	CHECK_STR(s.hosts.n ? s.hosts.items[0] : NULL, "flag.example");
	CHECK(s.opts.n == 1);
	CHECK_STR(s.opts.n ? s.opts.items[0].value : NULL, "flag.example");
	CHECK(s.force == 2); /* counted */
	done(&s);
	unsetenv("TEST_NAME");
	unsetenv("TEST_HOST");
	unsetenv("TEST_COUNT");
	unsetenv("TEST_FORCE");
}

static void test_scopes_and_arguments(void)
{
	char *argv[] = {"first", "--only-b", "x", "-", "second"};
	char *a_only[] = {"--count", "1"};
	/* After "--" even what looks like a flag is an argument. */
	char *ended[] = {"--only-b", "x", "--", "--only-b", "-v"};
	struct settings s;
	struct da_err err;

	CHECK(load(&s, SCOPE_B, argv, 5, &err) == DA_OK);
	CHECK_STR(s.only_b, "x");
	CHECK(c.n_args == 3);
	CHECK_STR(c.n_args == 3 ? c.args[1] : NULL, "-");
	CHECK_STR(c.n_args == 3 ? c.args[2] : NULL, "second");
	done(&s);
	CHECK(load(&s, SCOPE_B, ended, 5, &err) == DA_OK);
	CHECK_STR(s.only_b, "x");
	CHECK(c.n_args == 2);
	CHECK_STR(c.n_args == 2 ? c.args[0] : NULL, "--only-b");
	CHECK_STR(c.n_args == 2 ? c.args[1] : NULL, "-v");
	done(&s);
	CHECK(load(&s, SCOPE_A, argv, 5, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--only-b' for 'a'");
	done(&s);
	CHECK(load(&s, SCOPE_B, a_only, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--count' for 'b'");
	done(&s);
	{
		/* A TXT value may begin with '-': after an operand, what is no
		 * option at all is one too; before any, it is a mistake. */
		char *value[] = {"_acme-challenge.example.test.", "-HFHjFMQq5VKz3NzAhEqhTgjSLNv",
				 "--only-b", "x"};

		CHECK(load(&s, SCOPE_B, value, 4, &err) == DA_OK);
		CHECK(c.n_args == 2);
		CHECK_STR(c.n_args == 2 ? c.args[1] : NULL, "-HFHjFMQq5VKz3NzAhEqhTgjSLNv");
		CHECK_STR(s.only_b, "x");
		done(&s);
		CHECK(load(&s, SCOPE_B, value + 1, 3, &err) == DA_ERR_USAGE);
		CHECK_STR(err.msg, "unknown option '-HFHjFMQq5VKz3NzAhEqhTgjSLNv' for 'b'");
		done(&s);
	}

	/* Out of scope, a variable is not read and a file key is unknown. */
	setenv("TEST_ONLY_B", "from-env", 1);
	CHECK(load(&s, SCOPE_A, argv, 0, &err) == DA_OK);
	CHECK(s.only_b == NULL);
	done(&s);
	unsetenv("TEST_ONLY_B");
	{
		char *file[] = {"--config", "config/other-scope.json"};

		CHECK(load(&s, SCOPE_A, file, 2, &err) == DA_ERR_CONFIG);
		CHECK_STR(err.msg, "config/other-scope.json:2:3: unknown key 'only_b'");
		done(&s);
		CHECK(load(&s, SCOPE_B, file, 2, &err) == DA_OK);
		CHECK_STR(s.only_b, "x");
		done(&s);
	}
}

static void test_flag_errors(void)
{
	struct {
		char *argv[2];
		int argc;
		const char *msg;
	} cases[] = {
		{{"--nmae", "x"}, 2, "unknown option '--nmae' for 'a'"},
		{{"-x"}, 1, "unknown option '-x' for 'a'"},
		{{"-nf"}, 1, "unknown option '-nf' for 'a'"},
		{{"--name"}, 1, "--name needs a value (NAME)"},
		{{"--force=yes"}, 1, "--force takes no value"},
		{{"--count", "-1"}, 2, "--count: expected a number, got '-1'"},
		{{"--count", "9999999999999999999999"}, 2,
		 "--count: expected a number, got '9999999999999999999999'"},
		{{"--count", "3x"}, 2, "--count: expected a number, got '3x'"},
		/* Never the value: it may be a secret. */
		{{"--opt", "tsig_secret:c2VjcmV0"}, 2,
		 "--opt: expected KEY=VALUE (what was given is not shown: it may hold a secret)"},
		{{"--opt", "=value"}, 2,
		 "--opt: expected KEY=VALUE (what was given is not shown: it may hold a secret)"},
	};
	struct settings s;
	struct da_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(load(&s, SCOPE_A, cases[i].argv, cases[i].argc, &err) == DA_ERR_USAGE);
		CHECK_STR(err.msg, cases[i].msg);
		done(&s);
	}
	setenv("TEST_FORCE", "maybe", 1);
	CHECK(load(&s, SCOPE_A, NULL, 0, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "TEST_FORCE: expected true or false, got 'maybe'");
	done(&s);
	unsetenv("TEST_FORCE");
}

static void test_file_errors(void)
{
	struct {
		const char *path, *msg;
	} cases[] = {
		{"config/unknown-key.json", "config/unknown-key.json:3:5: unknown key 'cuont'"},
		{"config/wrong-type.json",
		 "config/wrong-type.json:3:3: hosts: wrong type (expected an array of strings)"},
		{"config/help-key.json", "config/help-key.json:1:2: unknown key 'help'"},
		{"config/array.json", "config/array.json:1:1: expected a JSON object"},
		{"config/does-not-exist.json",
		 "config file: cannot read config/does-not-exist.json: No such file or directory"},
		{"config", "config file: cannot read config: Is a directory"},
	};
	char *malformed[] = {"--config", "config/malformed.json"};
	struct settings s;
	struct da_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {"--config", (char *)cases[i].path};

		CHECK(load(&s, SCOPE_A, argv, 2, &err) == DA_ERR_CONFIG);
		CHECK_STR(err.msg, cases[i].msg);
		done(&s);
	}
	CHECK(load(&s, SCOPE_A, malformed, 2, &err) == DA_ERR_CONFIG);
	CHECK(strncmp(err.msg, "config/malformed.json:4:1: ", 27) == 0);
	done(&s);
}

/* --help stops loading: a broken file or variable must not hide it. */
static void test_help_first(void)
{
	char *argv[] = {"--config", "config/malformed.json", "--help"};
	struct settings s;
	struct da_err err;

	setenv("TEST_COUNT", "soon", 1);
	CHECK(load(&s, SCOPE_B, argv, 3, &err) == DA_OK);
	CHECK(s.help == 1);
	done(&s);
	unsetenv("TEST_COUNT");
}

/* TEST_X_FILE: the value from a file, less one trailing line end. */
static void test_env_file(void)
{
	char path[] = "/tmp/dnsacme-test-config-XXXXXX";
	struct settings s;
	struct da_err err;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, "from a file\r\n", 13) == 13);
	close(fd);
	setenv("TEST_NAME_FILE", path, 1);
	CHECK(load(&s, SCOPE_A, NULL, 0, &err) == DA_OK);
	CHECK_STR(s.name, "from a file");
	done(&s);

	setenv("TEST_NAME", "from-the-variable", 1); /* the variable wins */
	CHECK(load(&s, SCOPE_A, NULL, 0, &err) == DA_OK);
	CHECK_STR(s.name, "from-the-variable");
	done(&s);
	unsetenv("TEST_NAME");

	unlink(path);
	CHECK(load(&s, SCOPE_A, NULL, 0, &err) == DA_ERR_IO);
	CHECK(strncmp(err.msg, "TEST_NAME_FILE: ", 16) == 0);
	done(&s);
	unsetenv("TEST_NAME_FILE");
}

/* A JSON option: the file only; and an object read as a file would be. */
static void test_json_and_objects(void)
{
	char *flag[] = {"--extra", "x"};
	char *file[] = {"--config", "config/good.json"};
	struct settings s, entry;
	struct da_config entry_c;
	struct da_err err;
	const json_t *list;

	CHECK(load(&s, SCOPE_A, flag, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--extra' for 'a'");
	done(&s);
	setenv("TEST_EXTRA", "x", 1);
	CHECK(load(&s, SCOPE_A, file, 2, &err) == DA_OK);
	unsetenv("TEST_EXTRA");
	list = s.extra;
	CHECK(json_is_array(list) && json_array_size(list) == 2);

	memset(&entry, 0, sizeof(entry));
	CHECK(da_config_load_object(&entry_c, &table, SCOPE_A, &entry, json_array_get(list, 0),
				    "extra[0]", &err) == DA_OK);
	CHECK_STR(entry.name, "first");
	CHECK(entry.hosts.n == 1 && entry.opts.n == 1);
	da_config_free(&entry_c, &table, &entry);
	memset(&entry, 0, sizeof(entry));
	CHECK(da_config_load_object(&entry_c, &table, SCOPE_A, &entry, json_array_get(list, 1),
				    "extra[1]", &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "extra[1]: count: wrong type (expected a number)");
	da_config_free(&entry_c, &table, &entry);
	CHECK(da_config_load_object(&entry_c, &table, SCOPE_A, &entry, list, "extra", &err) ==
	      DA_ERR_CONFIG);
	CHECK_STR(err.msg, "extra: expected an object");
	da_config_free(&entry_c, &table, &entry);
	done(&s);
}

static void test_usage(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	da_config_usage(out, &table, SCOPE_B);
	fclose(out);
	CHECK(strstr(text, "  -n, --name NAME") != NULL);
	CHECK(strstr(text, "env TEST_NAME\n") != NULL);
	CHECK(strstr(text, "      --only-b X") != NULL);
	CHECK(strstr(text, "--count") == NULL); /* not in scope B */
	CHECK(strstr(text, "TEST_HELP") == NULL);
	free(text);
}

int main(void)
{
	test_defaults_and_file();
	test_precedence();
	test_scopes_and_arguments();
	test_flag_errors();
	test_file_errors();
	test_help_first();
	test_env_file();
	test_json_and_objects();
	test_usage();
	return check_report();
}
