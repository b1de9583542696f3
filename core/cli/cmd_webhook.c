/* dnsacme webhook: settings -> da_webhook_serve (webhook/webhook.h). */
#include <stdlib.h>

#include "cli.h"
#include "webhook/webhook.h"

#define MAX_WORKERS 256

int cmd_webhook(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_k8s_source source = cli_k8s_source(s);
	const struct da_webhook_config cfg = {
		/* Every Go webhook reads GROUP_NAME: charts set it. */
		.group = s->group_name ? s->group_name : getenv("GROUP_NAME"),
		.bind_address = s->bind_address,
		.port = (int)s->secure_port,
		.tls_cert_file = s->tls_cert_file,
		.tls_key_file = s->tls_private_key_file,
		.client_ca_file = s->requestheader_client_ca_file,
		.allowed_names = s->requestheader_allowed_names,
		.allowed_users = s->allowed_user,
		.plugin_dir = s->plugin_dir,
		.k8s = &source,
		.lenient = s->lenient_config,
		.allow_endpoints = s->allow_config_endpoints,
		.metrics_port = (int)s->metrics_port,
		.workers = (int)s->workers,
		.batch_window_ms = s->batch_window,
		.request_deadline_s = (int)s->request_deadline,
	};
	struct da_err err = {0};
	enum da_code rc = DA_OK;

	if (cfg.group == NULL || cfg.group[0] == '\0')
		rc = da_err_set(&err, DA_ERR_USAGE, "--group-name (or GROUP_NAME) is required: "
				"the groupName the Issuers' webhook solvers give");
	else if (cfg.tls_cert_file == NULL || cfg.tls_key_file == NULL)
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--tls-cert-file and --tls-private-key-file are required");
	else if (s->secure_port < 1 || s->secure_port > 65535 || s->metrics_port < 0 ||
		 s->metrics_port > 65535)
		rc = da_err_set(&err, DA_ERR_USAGE, "--secure-port and --metrics-port: 1 to 65535");
	else if (s->request_deadline < 1 || s->request_deadline > 600)
		rc = da_err_set(&err, DA_ERR_USAGE, "--request-deadline must be 1 to 600 seconds");
	else if (s->batch_window < 0 || s->batch_window > 1000)
		rc = da_err_set(&err, DA_ERR_USAGE, "--batch-window must be 0 to 1000 ms");
	else if (s->workers < 1 || s->workers > MAX_WORKERS)
		rc = da_err_set(&err, DA_ERR_USAGE, "--workers must be 1 to %d", MAX_WORKERS);
	if (rc == DA_OK)
		rc = da_webhook_serve(&cfg, stop, &err);
	return rc == DA_OK ? CLI_EXIT_OK : cli_fail(NULL, &err);
}
