/*
 * `dnsacme webhook`: cert-manager's DNS-01 webhook solver API over HTTPS,
 * behind kube-apiserver's aggregation layer (the spec: docs/DESIGN.md, "The
 * webhook"). Discovery and health, Present and CleanUp through the plugins,
 * the aggregator's front-proxy certificate required, requests served by
 * worker threads that share nothing per request.
 */
#ifndef DA_WEBHOOK_WEBHOOK_H
#define DA_WEBHOOK_WEBHOOK_H

#include <signal.h>

#include "base/error.h"
#include "k8s/k8s.h"

/* Everything borrowed. */
struct da_webhook_config {
	const char *group;	      /* the Issuers' groupName */
	const char *bind_address;     /* NULL: every address */
	int port;		      /* HTTPS */
	const char *tls_cert_file;    /* the serving certificate; re-read when it changes */
	const char *tls_key_file;
	const char *client_ca_file;   /* the front proxy's CA; NULL: the ConfigMap */
	const char *allowed_names;    /* with client_ca_file: CNs, comma-separated */
	const char *allowed_users;    /* who may POST, comma-separated; NULL: anyone */
	const char *plugin_dir;
	const struct da_k8s_source *k8s;
	int lenient;		      /* unknown config keys logged, not refused */
	int allow_endpoints;	      /* Issuers may name the providers' API endpoints */
	int metrics_port;	      /* plain-HTTP /metrics; 0: none */
	int workers;		      /* threads serving POSTs */
	long batch_window_ms;	      /* a Present waits this long for others to share its call */
	int request_deadline_s;	      /* to send a whole request, and to stay idle (slowloris) */
};

/*
 * Serve until *stop: then stop accepting, finish the requests in flight and
 * return DA_OK. DA_ERR_CONFIG / DA_ERR_IO when it cannot start (the
 * certificate cannot be read, the port cannot be bound).
 */
enum da_code da_webhook_serve(const struct da_webhook_config *cfg,
			      const volatile sig_atomic_t *stop, struct da_err *err);

#endif
