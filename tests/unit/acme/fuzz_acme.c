/*
 * libFuzzer target for what the ACME client reads from a CA: the bytes as a
 * JSON body go through the directory, authorization, order, problem and
 * renewalInfo readers; as text through the Link header reader, the RFC 3339
 * reader and the PEM chain reader. Built with -DDNSACME_FUZZ=ON (clang);
 * run: build/tests/fuzz_acme -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/parse.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void json_readers(const char *text, size_t size)
{
	static const char url[] = "https://ca.test/x";
	json_t *obj = NULL;
	struct da_acme_directory dir;
	struct da_acme_authz authz;
	struct da_acme_order order = {0};
	struct da_acme_renewal renewal = {0};
	char line[256];

	if (da_acme_json_parse(text, size, url, &obj, NULL) != DA_OK)
		return;
	if (da_acme_directory_parse(obj, url, &dir, NULL) == DA_OK)
		da_acme_directory_clear(&dir);
	if (da_acme_authz_parse(obj, url, "thumbprint", &authz, NULL) == DA_OK)
		da_acme_authz_clear(&authz);
	da_acme_authz_problem(obj, line, sizeof(line));
	da_acme_problem_format(obj, line, sizeof(line));
	da_acme_order_parse(obj, url, 1, &order, NULL);
	for (size_t i = 0; i < order.n_authz; i++)
		da_acme_authz_clear(&order.authz[i]);
	free(order.authz);
	free(order.finalize_url);
	free(order.certificate_url);
	da_acme_renewal_parse(obj, url, &renewal, NULL);
	da_acme_renewal_clear(&renewal);
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	const char *values[1];
	struct da_chain *chain;
	char **urls;
	size_t n;
	time_t t;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	json_readers(text, size);
	values[0] = text;
	if (da_acme_links(values, 1, "alternate", &urls, &n, NULL) == DA_OK)
		da_acme_strv_free(urls);
	da_acme_rfc3339_parse(text, &t);
	if (da_crypto_chain_parse(text, &chain, NULL) == DA_OK)
		da_crypto_chain_free(chain);
	free(text);
	return 0;
}
