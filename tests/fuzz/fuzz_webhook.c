/*
 * libFuzzer target for the webhook's request side (core/webhook/payload.c,
 * issuer.c): the input is a POST body as it reaches the server; when it
 * decodes, its request's config goes through the mapping for each solver
 * dialect against an option table shaped like the real plugins'.
 */
#include <jansson.h>

#include "fuzz.h"
#include "webhook/issuer.h"
#include "webhook/payload.h"

static const struct dnsacme_option options[] = {
	{"nameserver", {NULL}, DNSACME_OPT_REQUIRED, NULL, "server"},
	{"tsig_key", {NULL}, 0, NULL, "key name"},
	{"tsig_secret", {NULL}, DNSACME_OPT_SECRET, NULL, "secret"},
	{"tsig_file", {NULL}, 0, NULL, "a file: never from config"},
	{"access_key_id", {NULL}, DNSACME_OPT_SECRET, NULL, "id"},
	{"access_key_secret", {NULL}, DNSACME_OPT_SECRET, NULL, "secret"},
	{"endpoint", {NULL}, 0, NULL, "an endpoint"},
	{"container_credentials_full_uri", {NULL}, 0, NULL, "never from config"},
	{"ttl", {NULL}, 0, "60", "ttl"},
	{NULL, {NULL}, 0, NULL, NULL},
};

static const struct dnsacme_provider provider = {
	.abi_version = DNSACME_PLUGIN_ABI_VERSION,
	.name = "fuzz",
	.options = options,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const solvers[] = {"rfc2136", "route53", "alidns", "alidns-solver",
					      "fuzz"};
	struct da_challenge c;
	struct da_err err;
	enum da_code rc = da_payload_parse((const char *)data, size, "acme.example.com", &c, &err);

	if (rc == DA_OK || rc == DA_ERR_CONFIG) {
		char *answer = da_payload_answer(&c, rc == DA_OK ? NULL : err.msg);

		json_decref(json_loads(answer ? answer : "", 0, NULL));
		free(answer);
	}
	for (size_t i = 0; rc == DA_OK && i < sizeof(solvers) / sizeof(*solvers); i++) {
		struct da_issuer_config ic;

		for (int lenient = 0; lenient < 2; lenient++)
			if (da_issuer_config_map(solvers[i], c.config, &provider, lenient, &ic,
						 &err) == DA_OK) {
				da_issuer_config_check(solvers[i], &ic.settings, &err);
				da_issuer_config_clear(&ic);
			}
	}
	json_decref(c.root);
	return 0;
}
