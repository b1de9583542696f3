/* The commands: the one table main, the option parser and --help read;
 * and how a command reports its failure. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command_def cli_commands[] = {
	{"issue", CMD_ISSUE, "issue -d NAME [-d NAME ...] --dns PLUGIN [options]",
	 "Issue (or renew) a certificate, proving control of every name with DNS-01.", cmd_issue},
	{"renew", CMD_RENEW, "renew [--config FILE] [options]",
	 "Renew every certificate that is due: the config's \"certificates\", else every one "
	 "`issue` recorded.",
	 cmd_renew},
	{"present", CMD_PRESENT,
	 "present --dns PLUGIN [-d NAME --value TXT | FQDN VALUE | DOMAIN TOKEN KEY_AUTH|VALUE ...] "
	 "[options]",
	 "Publish TXT at _acme-challenge.NAME (CNAMEs followed) and wait until every nameserver "
	 "has it: another client's DNS hook. Without -d and --value: certbot's CERTBOT_DOMAIN "
	 "and CERTBOT_VALIDATION; FQDN VALUE as lego's exec provider and acme.sh give them; "
	 "triples as lego's EXEC_MODE=RAW (the key authorization) and dehydrated's hook (the "
	 "value) give them, published in one batch.",
	 cmd_dns},
	{"cleanup", CMD_CLEANUP,
	 "cleanup --dns PLUGIN [-d NAME --value TXT | FQDN VALUE | DOMAIN TOKEN KEY_AUTH|VALUE ...] "
	 "[options]",
	 "Remove exactly those TXT values (the shapes present takes); other values at the name "
	 "stay.",
	 cmd_dns},
	{"revoke", CMD_REVOKE, "revoke --cert FILE [--reason N] [options]",
	 "Revoke a certificate with the account that issued it.", cmd_revoke},
	{"plugins", CMD_PLUGINS, "plugins [NAME]",
	 "List the DNS plugins, or show one plugin's options and their environment variables.",
	 cmd_plugins},
	{NULL, 0, NULL, NULL, NULL},
};

const struct cli_command_def *cli_command_by_word(const char *word)
{
	for (const struct cli_command_def *c = cli_commands; c->word != NULL; c++)
		if (strcmp(c->word, word) == 0)
			return c;
	return NULL;
}

const struct cli_command_def *cli_command_by_id(enum cli_command command)
{
	for (const struct cli_command_def *c = cli_commands; c->word != NULL; c++)
		if (c->command == command)
			return c;
	return NULL;
}

int cli_fail(const struct da_log *log, const struct da_err *err)
{
	char line[DA_ERR_MSG_MAX];

	memcpy(line, err->msg, sizeof(line));
	if (log != NULL)
		da_log_redact(log, line, sizeof(line));
	fprintf(stderr, "dnsacme: error: %s\n", line);
	return err->code == DA_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}
