/* The option table: flags > environment > config file > defaults. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/cli.h"

static enum da_code load(struct cli_settings *s, enum cli_command cmd, char **argv, int argc,
			 struct da_err *err)
{
	return cli_settings_load(s, cmd, argc, argv, err);
}

static void test_file_only(void)
{
	char *argv[] = {"--config", "cli/good.json", "--state-dir", "/tmp/x"};
	struct cli_settings s;
	struct da_err err;

	CHECK(load(&s, CMD_ISSUE, argv, 4, &err) == DA_OK);
	CHECK_STR(s.server, "https://file.example/dir");
	CHECK(s.domains.n == 2);
	CHECK_STR(s.domains.n == 2 ? s.domains.items[1] : NULL, "*.file.example");
	CHECK(s.dns_options.n == 2);
	CHECK_STR(s.dns_options.n == 2 ? s.dns_options.items[1].key : NULL, "ttl");
	CHECK_STR(s.dns_options.n == 2 ? s.dns_options.items[1].value : NULL, "60"); /* a number */
	CHECK(s.propagation_timeout == 42);
	CHECK(s.agree_tos == 1);
	cli_settings_free(&s);
}

static void test_precedence(void)
{
	char *argv[] = {"--config", "cli/good.json", "-d", "flag.example", "--dns-option",
			"nameserver=198.51.100.1", "--state-dir", "/tmp/x"};
	struct cli_settings s;
	struct da_err err;

	setenv("DNSACME_SERVER", "https://env.example/dir", 1);
	setenv("DNSACME_EMAIL", "env@example.com", 1);
	setenv("DNSACME_DOMAIN", "env.example, *.env.example", 1);
	CHECK(load(&s, CMD_ISSUE, argv, 8, &err) == DA_OK);
	CHECK_STR(s.server, "https://env.example/dir"); /* env beats file */
	CHECK_STR(s.email, "env@example.com");
	CHECK(s.domains.n == 1); /* flags replace the env's list */
	CHECK_STR(s.domains.n ? s.domains.items[0] : NULL, "flag.example");
	CHECK(s.dns_options.n == 1);
	CHECK_STR(s.dns_options.n ? s.dns_options.items[0].key : NULL, "nameserver");
	CHECK_STR(s.dns_options.n ? s.dns_options.items[0].value : NULL, "198.51.100.1");
	cli_settings_free(&s);
	/* Without the flag, the environment's list replaces the file's. */
	CHECK(load(&s, CMD_ISSUE, argv, 2, &err) == DA_OK);
	CHECK(s.domains.n == 2);
	CHECK_STR(s.domains.n == 2 ? s.domains.items[1] : NULL, "*.env.example");
	cli_settings_free(&s);
	unsetenv("DNSACME_SERVER");
	unsetenv("DNSACME_EMAIL");
	unsetenv("DNSACME_DOMAIN");
}

static void test_errors(void)
{
	char *unknown_flag[] = {"--nameserver", "x"};
	char *no_value[] = {"--server"};
	char *bad_number[] = {"--propagation-timeout", "soon"};
	char *wrong_command[] = {"--cert", "x.pem"};
	char *unknown_key[] = {"--config", "cli/unknown-key.json"};
	char *wrong_type[] = {"--config", "cli/wrong-type.json"};
	char *malformed[] = {"--config", "cli/malformed.json"};
	char *missing[] = {"--config", "cli/does-not-exist.json"};
	char *directory[] = {"--config", "cli"};
	struct cli_settings s;
	struct da_err err;

	CHECK(load(&s, CMD_ISSUE, unknown_flag, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--nameserver' for 'issue'");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, no_value, 1, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "--server needs a value (URL)");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, bad_number, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "--propagation-timeout: expected a number, got 'soon'");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, wrong_command, 2, &err) == DA_ERR_USAGE);
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, unknown_key, 2, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "cli/unknown-key.json:4:5: unknown key 'propagation_timout'");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, wrong_type, 2, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg,
		  "cli/wrong-type.json:3:3: domains: wrong type (expected an array of strings)");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, malformed, 2, &err) == DA_ERR_CONFIG);
	CHECK(strncmp(err.msg, "cli/malformed.json:4:1: ", 24) == 0);
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, missing, 2, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "config file: cannot read cli/does-not-exist.json: "
			   "No such file or directory");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, directory, 2, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "config file: cannot read cli: Is a directory");
	cli_settings_free(&s);
}

/* --help shows the help whatever else is wrong with the settings. */
static void test_help_first(void)
{
	char *argv[] = {"--config", "cli/malformed.json", "--help"};
	struct cli_settings s;
	struct da_err err;

	setenv("DNSACME_PROPAGATION_TIMEOUT", "soon", 1);
	CHECK(load(&s, CMD_ISSUE, argv, 3, &err) == DA_OK);
	CHECK(s.help);
	cli_settings_free(&s);
	unsetenv("DNSACME_PROPAGATION_TIMEOUT");
}

/* DNSACME_X_FILE: the value from a file, less one trailing newline. */
static void test_env_file(void)
{
	char *argv[] = {"--state-dir", "/tmp/x"};
	char path[] = "/tmp/dnsacme-test-cli-XXXXXX";
	struct cli_settings s;
	struct da_err err;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, "c2VjcmV0LWhtYWMta2V5\r\n", 22) == 22);
	close(fd);
	setenv("DNSACME_EAB_HMAC_KEY_FILE", path, 1);
	CHECK(load(&s, CMD_ISSUE, argv, 2, &err) == DA_OK);
	CHECK_STR(s.eab_hmac_key, "c2VjcmV0LWhtYWMta2V5");
	cli_settings_free(&s);

	/* The variable itself wins over its _FILE form. */
	setenv("DNSACME_EAB_HMAC_KEY", "from-the-variable", 1);
	CHECK(load(&s, CMD_ISSUE, argv, 2, &err) == DA_OK);
	CHECK_STR(s.eab_hmac_key, "from-the-variable");
	cli_settings_free(&s);
	unsetenv("DNSACME_EAB_HMAC_KEY");

	unlink(path);
	CHECK(load(&s, CMD_ISSUE, argv, 2, &err) == DA_ERR_IO);
	CHECK(strncmp(err.msg, "DNSACME_EAB_HMAC_KEY_FILE: ", 27) == 0);
	cli_settings_free(&s);
	unsetenv("DNSACME_EAB_HMAC_KEY_FILE");
}

static void test_plugins_argument(void)
{
	char *argv[] = {"rfc2136"};
	struct cli_settings s;
	struct da_err err;

	CHECK(load(&s, CMD_PLUGINS, argv, 1, &err) == DA_OK);
	CHECK_STR(s.plugin_name, "rfc2136");
	cli_settings_free(&s);
}

int main(void)
{
	unsetenv("DNSACME_CONFIG");
	test_file_only();
	test_precedence();
	test_errors();
	test_help_first();
	test_env_file();
	test_plugins_argument();
	return check_report();
}
