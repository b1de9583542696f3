/*
 * libFuzzer target for the kubeconfig reader (core/k8s/kubeconfig.c): the
 * input is a kubeconfig file, YAML as an operator or a cloud CLI wrote it,
 * through libyaml into the JSON tree and the current context's settings.
 * Referenced files are named, never read, here.
 */
#include "fuzz.h"
#include "k8s/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct da_k8s *k = NULL;
	struct da_err err;

	if (da_k8s_kubeconfig_parse((const char *)data, size, "/nonexistent", &k, &err) == DA_OK)
		da_k8s_free(k);
	return 0;
}
