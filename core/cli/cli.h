/*
 * The command line: the commands, their settings (one option table read by
 * config/config.h: flags > DNSACME_<OPTION> > the JSON config file >
 * defaults) and --help.
 */
#ifndef DA_CLI_CLI_H
#define DA_CLI_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/log.h"
#include "config/config.h"
#include "issue/session.h"
#include "k8s/k8s.h"
#include "k8s/state.h"
#include "plugin/loader.h"

enum cli_command {
	CMD_ISSUE = 1u << 0,
	CMD_PRESENT = 1u << 1,
	CMD_CLEANUP = 1u << 2,
	CMD_REVOKE = 1u << 3,
	CMD_PLUGINS = 1u << 4,
	CMD_RENEW = 1u << 5,
	CMD_WEBHOOK = 1u << 6
};

/*
 * Every setting of every command. Strings are borrowed from argv, the
 * environment or sources, which cli_settings_free() releases.
 */
struct cli_settings {
	enum cli_command command;
	struct da_config_list domains;
	const char *dns;
	struct da_plugin_settings dns_options; /* owned */
	const char *value;
	int no_wait;
	const char *server;
	int staging;
	const char *email;
	int agree_tos;
	const char *eab_kid;
	const char *eab_hmac_key;
	const char *key_type;
	const char *profile;
	const char *preferred_chain;
	const char *out;
	const char *secret;
	const char *kubeconfig;
	const char *state_secret;
	long state_lease; /* seconds */
	const char *service_account_dir;
	const char *shard;
	const char *group_name;
	long secure_port;
	const char *bind_address;
	const char *tls_cert_file;
	const char *tls_private_key_file;
	const char *requestheader_client_ca_file;
	const char *requestheader_allowed_names;
	const char *allowed_user;
	int lenient_config;
	int allow_config_endpoints;
	long metrics_port;
	long workers;
	long batch_window;
	long request_deadline;
	const char *state_dir;
	const char *ca_bundle;
	long ca_connections;
	const char *deploy_hook;
	long deploy_hook_timeout; /* seconds */
	const char *dns_resolvers;
	const char *propagation_nameservers;
	long propagation_timeout;
	int propagation_skip;
	long renew_before; /* days; -1: always issue (renew: ARI, else a third) */
	long parallel;
	int dry_run;
	int json;
	const char *post_hook;
	const char *metrics_textfile;
	const void *certificates; /* json_t *: the config file's list */
	const char *plugin_dir;
	const char *config;
	const char *cert;
	long reason;
	int verbose;
	int quiet;
	int help;

	const char *directory_url; /* the CA: --server, --staging's or Let's Encrypt's */
	const char *plugin_name;   /* `dnsacme plugins NAME` */
	char *owned_state_dir;	 /* the computed default, owned */
	struct da_k8s_state *state;	  /* --state-secret's, while the command runs */
	struct da_store_mirror state_mirror; /* syncs it */
	struct da_config sources; /* what the strings borrow from */
	char **kept_args;	  /* webhook: argv less the ignored apiserver flags (owned array) */
};

/*
 * Parse argv (after the command word) and the environment, then the config
 * file; fill *s (cli_settings_free()). DA_ERR_USAGE / DA_ERR_CONFIG with a
 * one-line message naming the flag, variable or file:line:column.
 */
enum da_code cli_settings_load(struct cli_settings *s, enum cli_command command, int argc,
			       char **argv, struct da_err *err);
void cli_settings_free(struct cli_settings *s);

/* The engine's view of the settings; everything in it borrowed from s. */
struct da_session_config cli_session_config(const struct cli_settings *s);

/* --shard "[INDEX/]COUNT": INDEX defaults to $JOB_COMPLETION_INDEX;
 * DA_ERR_USAGE unless 0 <= INDEX < COUNT <= 1000. */
enum da_code cli_shard_parse(const char *text, unsigned *index, unsigned *count,
			     struct da_err *err);

/* The Kubernetes API server of --kubeconfig / --service-account-dir. */
struct da_k8s_source cli_k8s_source(const struct cli_settings *s);

/*
 * Run def's command: with --state-secret, the Secret is read into a
 * directory first (the command's state dir), and put back and its lease
 * released at the end, whatever the command's outcome.
 */
struct cli_command_def;
int cli_run(const struct cli_command_def *def, struct cli_settings *s,
	    const volatile sig_atomic_t *stop);

/* Print the help of one command (or of dnsacme, command 0) to out. */
void cli_usage(FILE *out, enum cli_command command);

/* The commands; each returns the process exit status. */
typedef int cli_run_fn(struct cli_settings *s, const volatile sig_atomic_t *stop);
cli_run_fn cmd_issue, cmd_renew, cmd_dns, cmd_revoke, cmd_plugins, cmd_webhook;

/* One row per command (commands.c): a new command is a row here, its bit
 * in enum cli_command (the options' masks name it) and its cmd_ file. */
struct cli_command_def {
	const char *word; /* NULL ends the table */
	enum cli_command command;
	const char *synopsis;
	const char *summary;
	cli_run_fn *run;
};
extern const struct cli_command_def cli_commands[];

/* The row for a command word or bit, or NULL. */
const struct cli_command_def *cli_command_by_word(const char *word);
const struct cli_command_def *cli_command_by_id(enum cli_command command);

/* --propagation-timeout's bound: a week, longer than any provider takes and
 * short of overflowing the deadline arithmetic. */
#define CLI_MAX_PROPAGATION_TIMEOUT (7 * 24 * 3600)

/* Exit statuses. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

/* Print "dnsacme: error: <msg>" (redacted through log when not NULL) and
 * return the exit status for err->code. */
int cli_fail(const struct da_log *log, const struct da_err *err);

#endif
