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

/* The table's own rules are tested in tests/unit/config; here, what the
 * commands add: their scopes, their one argument, the defaults that follow. */
static void test_scopes(void)
{
	char *revoke_flag[] = {"--cert", "x.pem"};
	char *dns_flag[] = {"--dns", "rfc2136"};
	char *argument[] = {"example.com", "--state-dir", "/tmp/x"};
	struct cli_settings s;
	struct da_err err;

	CHECK(load(&s, CMD_ISSUE, revoke_flag, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--cert' for 'issue'");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_REVOKE, dns_flag, 2, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unknown option '--dns' for 'revoke'");
	cli_settings_free(&s);
	CHECK(load(&s, CMD_ISSUE, argument, 3, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "unexpected argument 'example.com'");
	cli_settings_free(&s);
}

static void test_defaults(void)
{
	char *argv[] = {"--state-dir", "/tmp/x"};
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	struct cli_settings s;
	struct da_err err;

	CHECK(load(&s, CMD_ISSUE, argv, 2, &err) == DA_OK);
	CHECK_STR(s.directory_url, DA_LETSENCRYPT_PRODUCTION);
	CHECK(s.propagation_timeout == 300 && s.renew_before == -1);
	cli_settings_free(&s);
	/* Root's default is the documented system one; anyone else's is under
	 * $HOME (a relative XDG_DATA_HOME is ignored, as the spec says). */
	{
		char cwd[512], fake_home[600], want[700];

		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		snprintf(fake_home, sizeof(fake_home), "%s/cli/home", cwd);
		snprintf(want, sizeof(want), "%s/.local/share/dnsacme", fake_home);
		setenv("HOME", fake_home, 1);
		setenv("XDG_DATA_HOME", "relative/ignored", 1);
		CHECK(load(&s, CMD_ISSUE, argv, 0, &err) == DA_OK);
		CHECK_STR(s.state_dir, geteuid() == 0 ? "/var/lib/dnsacme" : want);
		cli_settings_free(&s);
		unsetenv("XDG_DATA_HOME");
	}
	/* present and cleanup keep no state and need no home. */
	unsetenv("HOME");
	CHECK(load(&s, CMD_PRESENT, argv, 0, &err) == DA_OK);
	CHECK(s.state_dir == NULL);
	cli_settings_free(&s);
	if (home != NULL)
		setenv("HOME", home, 1);
	free(home);
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
	test_scopes();
	test_defaults();
	test_plugins_argument();
	return check_report();
}
