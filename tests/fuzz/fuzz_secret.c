/*
 * libFuzzer target for reading a Kubernetes Secret back (core/k8s/
 * sink_secret.c): the input is the API server's JSON for the Secret a
 * certificate goes to, which anyone allowed to edit that Secret controls:
 * its type, cert-manager's annotations, base64 data, the chain in tls.crt.
 */
#include <jansson.h>

#include "fuzz.h"
#include "k8s/k8s.h"
#include "store/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *secret = json_loadb((const char *)data, size, 0, NULL);
	struct da_cert_stored *stored = NULL;
	struct da_err err;

	if (secret != NULL && da_k8s_secret_stored(secret, "secret ns/name", &stored, &err) == DA_OK)
		da_store_cert_free(stored);
	json_decref(secret);
	return 0;
}
