/*
 * The commands' settings: one option table (config/config.h reads flags,
 * DNSACME_* variables and the config file through it), then what follows
 * from them: the default state dir, the CA, the session's configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "issue/hook.h"

#define ALL_DNS (CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP)
#define ACME (CMD_ISSUE | CMD_REVOKE | CMD_RENEW)
#define ISSUING (CMD_ISSUE | CMD_RENEW) /* for renew: the defaults of every certificate */

#define FIELD(f) offsetof(struct cli_settings, f)

static const struct da_config_option options[] = {
	{"domain", 'd', DA_CONFIG_LIST, FIELD(domains), CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP, "NAME",
	 "a name for the certificate (repeat; \"*.example.com\" for a wildcard)"},
	{"dns", 0, DA_CONFIG_STRING, FIELD(dns), ALL_DNS | CMD_RENEW, "PLUGIN",
	 "DNS provider plugin (see `dnsacme plugins`)"},
	{"dns-option", 0, DA_CONFIG_PLUGIN, FIELD(dns_options), ALL_DNS | CMD_RENEW, "KEY=VALUE",
	 "a plugin option (repeat); KEY_file=PATH reads it from a file"},
	{"value", 0, DA_CONFIG_STRING, FIELD(value), CMD_PRESENT | CMD_CLEANUP, "TXT",
	 "the TXT value to publish or remove (present, cleanup: without -d and --value, "
	 "certbot's CERTBOT_DOMAIN and CERTBOT_VALIDATION)"},
	{"no-wait", 0, DA_CONFIG_BOOL, FIELD(no_wait), CMD_PRESENT, NULL,
	 "return once the provider has the record, without checking every nameserver"},
	{"server", 0, DA_CONFIG_STRING, FIELD(server), ACME, "URL",
	 "ACME directory URL (default: Let's Encrypt production)"},
	{"staging", 0, DA_CONFIG_BOOL, FIELD(staging), ACME, NULL,
	 "use Let's Encrypt's staging directory"},
	{"email", 0, DA_CONFIG_STRING, FIELD(email), ISSUING, "ADDR",
	 "contact address for the account"},
	{"agree-tos", 0, DA_CONFIG_BOOL, FIELD(agree_tos), ISSUING, NULL,
	 "agree to the CA's terms of service"},
	{"eab-kid", 0, DA_CONFIG_STRING, FIELD(eab_kid), ISSUING, "ID",
	 "External Account Binding key id (ZeroSSL, Google, Sectigo, ...)"},
	{"eab-hmac-key", 0, DA_CONFIG_STRING, FIELD(eab_hmac_key), ISSUING, "KEY",
	 "External Account Binding HMAC key, base64url"},
	{"key-type", 0, DA_CONFIG_STRING, FIELD(key_type), ISSUING, "TYPE",
	 "certificate key: ec256 (default), ec384, rsa2048, rsa3072, rsa4096"},
	{"profile", 0, DA_CONFIG_STRING, FIELD(profile), ISSUING, "NAME",
	 "certificate profile, when the CA offers profiles"},
	{"preferred-chain", 0, DA_CONFIG_STRING, FIELD(preferred_chain), ISSUING, "ISSUER_CN",
	 "pick the chain whose top certificate is issued by ISSUER_CN"},
	{"out", 0, DA_CONFIG_STRING, FIELD(out), CMD_ISSUE, "DIR",
	 "where to write the certificate (default: STATE_DIR/certificates/NAME)"},
	{"secret", 0, DA_CONFIG_STRING, FIELD(secret), CMD_ISSUE, "[NAMESPACE/]NAME",
	 "write the certificate into this kubernetes.io/tls Secret (tls.crt, tls.key) instead "
	 "of files"},
	{"kubeconfig", 0, DA_CONFIG_STRING, FIELD(kubeconfig), ACME | CMD_WEBHOOK, "FILE",
	 "the Kubernetes API server and credentials for --secret, --state-secret and the "
	 "webhook's Secrets (default: KUBECONFIG, else the pod's service account)"},
	{"state-secret", 0, DA_CONFIG_STRING, FIELD(state_secret), ACME, "[NAMESPACE/]NAME",
	 "keep the state (account, journal, renewal records) in this Secret instead of "
	 "--state-dir, under a lease"},
	{"state-lease", 0, DA_CONFIG_NUMBER, FIELD(state_lease), ACME, "SECONDS",
	 "how long the state Secret's lease lasts unrenewed (each save renews it); a killed "
	 "run's is taken over after it (default 600: longer than a propagation wait)"},
	{"service-account-dir", 0, DA_CONFIG_STRING, FIELD(service_account_dir),
	 ACME | CMD_WEBHOOK, "DIR",
	 "the pod's service account files (default " DA_K8S_SERVICE_ACCOUNT_DIR "; for tests)"},
	{"shard", 0, DA_CONFIG_STRING, FIELD(shard), CMD_RENEW, "[INDEX/]COUNT",
	 "renew only the certificates whose name hashes to INDEX of COUNT (default INDEX: "
	 "JOB_COMPLETION_INDEX, as an Indexed Job sets it)"},
	{"group-name", 0, DA_CONFIG_STRING, FIELD(group_name), CMD_WEBHOOK, "GROUP",
	 "the API group the Issuers' webhook solvers name (default: $GROUP_NAME)"},
	{"secure-port", 0, DA_CONFIG_NUMBER, FIELD(secure_port), CMD_WEBHOOK, "PORT",
	 "serve HTTPS on PORT (default 443)"},
	{"bind-address", 0, DA_CONFIG_STRING, FIELD(bind_address), CMD_WEBHOOK, "ADDR",
	 "listen on this address only (default: every address)"},
	{"tls-cert-file", 0, DA_CONFIG_STRING, FIELD(tls_cert_file), CMD_WEBHOOK, "FILE",
	 "the serving certificate chain (PEM), re-read when it changes"},
	{"tls-private-key-file", 0, DA_CONFIG_STRING, FIELD(tls_private_key_file), CMD_WEBHOOK,
	 "FILE", "its private key"},
	{"requestheader-client-ca-file", 0, DA_CONFIG_STRING, FIELD(requestheader_client_ca_file),
	 CMD_WEBHOOK, "FILE",
	 "the front proxy's CA (default: the ConfigMap kube-system/"
	 "extension-apiserver-authentication, read every minute)"},
	{"requestheader-allowed-names", 0, DA_CONFIG_STRING, FIELD(requestheader_allowed_names),
	 CMD_WEBHOOK, "CN,...", "with the CA file: the front proxy certificate's allowed CNs "
				"(default: any)"},
	{"allowed-user", 0, DA_CONFIG_STRING, FIELD(allowed_user), CMD_WEBHOOK, "USER,...",
	 "only these users (as the API server names them) may present and clean up"},
	{"lenient-config", 0, DA_CONFIG_BOOL, FIELD(lenient_config), CMD_WEBHOOK, NULL,
	 "log unknown keys in an Issuer's config instead of failing the request"},
	{"allow-config-endpoints", 0, DA_CONFIG_BOOL, FIELD(allow_config_endpoints), CMD_WEBHOOK,
	 NULL,
	 "let an Issuer's config name the provider's API endpoint (a VPC endpoint, a proxy); "
	 "its credentials must then come from its Secrets"},
	{"metrics-port", 0, DA_CONFIG_NUMBER, FIELD(metrics_port), CMD_WEBHOOK, "PORT",
	 "also serve /metrics over plain HTTP on PORT (it is always on HTTPS, with the "
	 "client certificate)"},
	{"workers", 0, DA_CONFIG_NUMBER, FIELD(workers), CMD_WEBHOOK, "N",
	 "serve up to N Present/CleanUp calls at once (default 8)"},
	{"request-deadline", 0, DA_CONFIG_NUMBER, FIELD(request_deadline), CMD_WEBHOOK, "SECONDS",
	 "a client must send each request whole, and may stay idle, this long (default 20)"},
	{"batch-window", 0, DA_CONFIG_NUMBER, FIELD(batch_window), CMD_WEBHOOK, "MS",
	 "a Present waits MS milliseconds for others with the same solver and config, to "
	 "publish them in one call (default 20; 0: never waits)"},
	{"state-dir", 0, DA_CONFIG_STRING, FIELD(state_dir), ACME, "DIR",
	 "account keys and the cleanup journal (default: /var/lib/dnsacme as root, "
	 "else ~/.local/share/dnsacme)"},
	{"ca-connections", 0, DA_CONFIG_NUMBER, FIELD(ca_connections), ISSUING, "N",
	 "send one order's authorization fetches and challenge answers on up to N "
	 "connections to the CA at once, 1 to 16 (default 4)"},
	{"ca-bundle", 0, DA_CONFIG_STRING, FIELD(ca_bundle), ACME, "FILE",
	 "trust only these CA certificates (PEM) for the ACME server's HTTPS (DNS providers' "
	 "APIs keep the system's)"},
	{"deploy-hook", 0, DA_CONFIG_STRING, FIELD(deploy_hook), ISSUING, "CMD",
	 "run CMD with /bin/sh after the certificate is written (no secret variables in its "
	 "environment)"},
	{"deploy-hook-timeout", 0, DA_CONFIG_NUMBER, FIELD(deploy_hook_timeout), ISSUING, "SECONDS",
	 "stop the deploy hook (its whole process group) after SECONDS (default 300)"},
	{"dns-resolvers", 0, DA_CONFIG_STRING, FIELD(dns_resolvers), ALL_DNS | CMD_RENEW, "HOST[:PORT],...",
	 "resolvers for CNAME and zone discovery (default: /etc/resolv.conf)"},
	{"propagation-nameservers", 0, DA_CONFIG_STRING, FIELD(propagation_nameservers),
	 ISSUING | CMD_PRESENT,
	 "HOST[:PORT],...", "check these servers instead of each zone's nameservers"},
	{"propagation-timeout", 0, DA_CONFIG_NUMBER, FIELD(propagation_timeout),
	 ISSUING | CMD_PRESENT,
	 "SECONDS", "give up waiting for DNS after this long (default 300)"},
	{"propagation-skip", 0, DA_CONFIG_BOOL, FIELD(propagation_skip), ISSUING, NULL,
	 "do not check the nameservers before asking the CA to validate"},
	{"renew-before", 0, DA_CONFIG_NUMBER, FIELD(renew_before), ISSUING, "DAYS",
	 "renew only once the certificate in place (same CA, key type and names) has DAYS days "
	 "or fewer left (default: issue always; renew follows the CA's renewal window, else "
	 "a third of the lifetime)"},
	{"plugin-dir", 0, DA_CONFIG_STRING, FIELD(plugin_dir),
	 ALL_DNS | CMD_RENEW | CMD_PLUGINS | CMD_WEBHOOK,
	 "DIR",
	 "where dnsacme-NAME.so plugins live"},
	{"parallel", 0, DA_CONFIG_NUMBER, FIELD(parallel), CMD_RENEW, "N",
	 "renew up to N certificates at once (default 4)"},
	{"dry-run", 0, DA_CONFIG_BOOL, FIELD(dry_run), CMD_RENEW, NULL,
	 "say what is due and why; change nothing"},
	{"json", 0, DA_CONFIG_BOOL, FIELD(json), CMD_RENEW, NULL,
	 "print the summary as JSON"},
	{"post-hook", 0, DA_CONFIG_STRING, FIELD(post_hook), CMD_RENEW, "CMD",
	 "run CMD with /bin/sh once after the run when any certificate was renewed"},
	{"metrics-textfile", 0, DA_CONFIG_STRING, FIELD(metrics_textfile), CMD_RENEW, "FILE",
	 "write node_exporter textfile metrics to FILE after the run"},
	{"certificates", 0, DA_CONFIG_JSON, FIELD(certificates), CMD_RENEW, NULL,
	 "the config file's list of certificates"},
	{"cert", 0, DA_CONFIG_STRING, FIELD(cert), CMD_REVOKE, "FILE",
	 "the certificate (PEM) to revoke"},
	{"reason", 0, DA_CONFIG_NUMBER, FIELD(reason), CMD_REVOKE, "N",
	 "RFC 5280 revocation reason code (default 0, unspecified)"},
	{"config", 'c', DA_CONFIG_FILE, FIELD(config), ACME | ALL_DNS, "FILE",
	 "read settings from a JSON file (keys as the flags, '-' written '_')"},
	{"verbose", 'v', DA_CONFIG_BOOL, FIELD(verbose), ACME | ALL_DNS | CMD_PLUGINS | CMD_WEBHOOK,
	 NULL,
	 "log every step and every HTTP request"},
	{"quiet", 'q', DA_CONFIG_BOOL, FIELD(quiet), ACME | ALL_DNS, NULL, "log errors only"},
	{"help", 'h', DA_CONFIG_HELP, FIELD(help), ~0u, NULL, "show this help"},
};

static const struct da_config_table table = {options, sizeof(options) / sizeof(options[0]),
					     "DNSACME"};

static enum da_code default_state_dir(struct cli_settings *s, struct da_err *err)
{
	const char *data_home = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int rc = 0;

	if (s->state_dir != NULL && s->state_secret != NULL)
		return da_err_set(err, DA_ERR_USAGE, "--state-dir and --state-secret exclude each other");
	/* The state Secret's directory is made when the command runs. */
	if (s->state_dir != NULL || s->state_secret != NULL)
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

/*
 * The generic apiserver flags the existing webhook charts pass (--v,
 * --authentication-*, --authorization-*, --audit-*) mean nothing here:
 * warned about and dropped, so swapping the image keeps the chart working.
 * A flag without "=" takes the next argument as its value when it is not a
 * flag.
 */
static enum da_code drop_apiserver_flags(struct cli_settings *s, int *argc, char ***argv,
					 struct da_err *err)
{
	static const char *const prefixes[] = {"--authentication-", "--authorization-",
					       "--audit-"};
	char **kept = calloc((size_t)*argc + 1, sizeof(*kept));
	int n = 0;

	if (kept == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (int i = 0; i < *argc; i++) {
		const char *a = (*argv)[i];
		int ignored = strcmp(a, "--v") == 0 || strncmp(a, "--v=", 4) == 0;

		for (size_t p = 0; p < sizeof(prefixes) / sizeof(*prefixes); p++)
			ignored |= strncmp(a, prefixes[p], strlen(prefixes[p])) == 0;
		if (!ignored) {
			kept[n++] = (*argv)[i];
			continue;
		}
		fprintf(stderr, "dnsacme: warning: %s is a Kubernetes apiserver flag: ignored\n", a);
		if (strchr(a, '=') == NULL && i + 1 < *argc && (*argv)[i + 1][0] != '-')
			i++;
	}
	s->kept_args = kept;
	*argc = n;
	*argv = kept;
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

/* `plugins` takes the plugin to describe; `present` and `cleanup` the
 * positional shapes other clients' hooks are called with (cmd_dns.c). */
static enum da_code take_arguments(struct cli_settings *s, struct da_err *err)
{
	size_t allowed = s->command == CMD_PLUGINS ? 1 : 0;

	if (s->command == CMD_PRESENT || s->command == CMD_CLEANUP)
		return DA_OK;
	if (s->sources.n_args > allowed)
		return da_err_set(err, DA_ERR_USAGE, "unexpected argument '%s'",
				  s->sources.args[allowed]);
	if (s->sources.n_args == 1)
		s->plugin_name = s->sources.args[0];
	return DA_OK;
}

enum da_code cli_settings_load(struct cli_settings *s, enum cli_command command, int argc,
			       char **argv, struct da_err *err)
{
	const struct cli_command_def *def = cli_command_by_id(command);
	enum da_code rc;

	memset(s, 0, sizeof(*s));
	s->command = command;
	s->propagation_timeout = 300;
	s->renew_before = -1;
	s->deploy_hook_timeout = DA_HOOK_TIMEOUT_DEFAULT;
	s->parallel = 4;
	s->state_lease = 600;
	s->ca_connections = 4;
	s->secure_port = 443;
	s->workers = 8;
	s->batch_window = 20;
	s->request_deadline = 20;
	if (command == CMD_WEBHOOK) {
		rc = drop_apiserver_flags(s, &argc, &argv, err);
		if (rc != DA_OK)
			return rc;
	}
	rc = da_config_load(&s->sources, &table, command, def ? def->word : "?", s, argc, argv,
			    err);
	if (rc != DA_OK || s->help)
		return rc;
	rc = take_arguments(s, err);
	/* present and cleanup keep no state: they need no home directory. */
	if (rc == DA_OK && (command & ACME))
		rc = default_state_dir(s, err);
	if (rc == DA_OK && (command & ACME))
		rc = choose_ca(s, err);
	if (rc == DA_OK && (s->ca_connections < 1 || s->ca_connections > DA_ACME_MAX_LANES))
		rc = da_err_set(err, DA_ERR_USAGE, "--ca-connections must be 1 to %d",
				DA_ACME_MAX_LANES);
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
		.ca_connections = s->ca_connections,
		.state_dir = s->state_dir,
		.state_mirror = s->state ? &s->state_mirror : NULL,
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

struct da_k8s_source cli_k8s_source(const struct cli_settings *s)
{
	return (struct da_k8s_source){
		.kubeconfig = s->kubeconfig,
		.service_account_dir = s->service_account_dir,
	};
}

void cli_settings_free(struct cli_settings *s)
{
	da_config_free(&s->sources, &table, s);
	free(s->owned_state_dir);
	free(s->kept_args);
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
	da_config_usage(out, &table, command);
	if (command == CMD_RENEW)
		fprintf(out, "\nThe config file's \"certificates\" is a list of objects with the keys "
			     "name, domains, dns,\ndns_options, out, key_type, profile, "
			     "preferred_chain and deploy_hook; the top-level\nkeys are their "
			     "defaults. Without it, every certificate `issue` recorded in\n"
			     "STATE_DIR/renewal/ is renewed with the settings it was issued with.\n");
	if (command & (CMD_ISSUE | CMD_PRESENT | CMD_CLEANUP | CMD_RENEW))
		fprintf(out, "\nPlugin options also come from each plugin's environment "
			     "variables: see `dnsacme plugins NAME`.\n");
	fprintf(out, "An option with one value may also come from a file: DNSACME_<OPTION>_FILE=PATH.\n"
		     "Precedence: flags > environment > config file > defaults.\n");
}
