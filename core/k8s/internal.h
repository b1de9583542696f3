/* What the k8s files share: the client's settings. */
#ifndef DA_K8S_INTERNAL_H
#define DA_K8S_INTERNAL_H

#include "http/http.h"
#include "k8s/k8s.h"

struct da_k8s {
	char *where;	  /* "kubeconfig FILE" or "the pod's service account", for messages */
	char *server;	  /* https://HOST:PORT, without a trailing '/' */
	char *ns;
	char *ca_pem;	  /* the API server's CA; NULL: the system store */
	char *ca_file;	  /* read into ca_pem by da_k8s_open() */
	char *token;	  /* secret */
	char *token_file; /* read again before each request */
	char *cert_pem;	  /* a client certificate, and its key (secret) */
	char *key_pem;
	char *cert_file;
	char *key_file;
	struct da_http *http;
	const struct da_log *log;
};

#endif
