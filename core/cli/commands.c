/* The commands: the one table main, the option parser and --help read;
 * and how a command reports its failure. */
#include <stdio.h>
#include <stdlib.h>
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
	{"webhook", CMD_WEBHOOK,
	 "webhook --group-name GROUP --tls-cert-file FILE --tls-private-key-file FILE [options]",
	 "Serve cert-manager's DNS-01 webhook solver API for the installed plugins (solvers "
	 "rfc2136, route53, alidns and its alias alidns-solver), behind kube-apiserver's "
	 "aggregation layer.",
	 cmd_webhook},
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

static enum da_code sync_state(void *ctx, struct da_err *err)
{
	return da_k8s_state_sync(ctx, err);
}

/* The shard's name for its lease and journal, "INDEX-of-COUNT", or NULL. */
static enum da_code shard_name(const struct cli_settings *s, char *out, size_t size,
			       struct da_err *err)
{
	unsigned index, count;

	out[0] = '\0';
	if (s->shard == NULL)
		return DA_OK;
	if (cli_shard_parse(s->shard, &index, &count, err) != DA_OK)
		return err->code;
	snprintf(out, size, "%u-of-%u", index, count);
	return DA_OK;
}

int cli_run(const struct cli_command_def *def, struct cli_settings *s,
	    const volatile sig_atomic_t *stop)
{
	const struct da_k8s_source source = cli_k8s_source(s);
	char shard[64];
	struct da_k8s_state_config cfg = {
		.source = &source,
		.shard = shard,
		.lease_seconds = s->state_lease,
		.stop = stop,
	};
	struct da_err err = {0};
	char *ns = NULL, *name = NULL;
	enum da_code rc;
	int status;

	if (s->state_secret == NULL || !(def->command & (CMD_ISSUE | CMD_RENEW | CMD_REVOKE)))
		return def->run(s, stop);
	rc = s->state_lease < 10 || s->state_lease > 24 * 3600
		     ? da_err_set(&err, DA_ERR_USAGE, "--state-lease must be 10 to 86400 seconds")
		     : DA_OK;
	if (rc == DA_OK)
		rc = shard_name(s, shard, sizeof(shard), &err);
	if (rc == DA_OK)
		rc = da_k8s_resolve(&source, s->state_secret, "--state-secret", &ns, &name, &err);
	cfg.ns = ns;
	cfg.name = name;
	cfg.shard = shard[0] ? shard : NULL;
	if (rc == DA_OK)
		rc = da_k8s_state_open(&cfg, &s->state, &err);
	free(ns);
	free(name);
	if (rc != DA_OK)
		return cli_fail(NULL, &err);
	s->state_dir = da_k8s_state_dir(s->state);
	s->state_mirror = (struct da_store_mirror){sync_state, s->state};
	status = def->run(s, stop);
	rc = da_k8s_state_close(s->state, &err);
	s->state = NULL;
	s->state_dir = NULL;
	if (rc != DA_OK) {
		cli_fail(NULL, &err);
		status = CLI_EXIT_FAILURE;
	}
	return status;
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
