/*
 * libFuzzer target for what the alidns plugin reads from Alibaba Cloud: the
 * input is the sequence of HTTP answers (see tests/fuzz/fuzz.h) to one
 * present and one cleanup of two records, through the plugin as it runs —
 * zone listings and their pages, AddDomainRecord, DescribeSubDomainRecords,
 * DeleteDomainRecord, error bodies and their retry decisions; and, when the
 * input starts with 'R', the STS AssumeRoleWithOIDC answer (RRSA) first.
 */
#include <string.h>

#include "fuzz.h"

static const char *const static_keys[] = {
	"access_key_id", "LTAIfuzzkeyid", "access_key_secret", "fuzz-secret",
	"endpoint", "http://127.0.0.1:1/", NULL,
};

static const char *role_keys[] = {
	"role_arn", "acs:ram::1:role/fuzz", "oidc_provider_arn", "acs:ram::1:oidc-provider/k8s",
	"oidc_token_file", NULL /* set once */, "endpoint", "http://127.0.0.1:1/",
	"sts_endpoint", "http://127.0.0.1:2/", NULL,
};

static const struct dnsacme_record records[] = {
	{"_acme-challenge.example.com", "example.com", "a-value-a-value-a-value-a-value-a-value-a-v", 0},
	{"_acme-challenge.www.sub.example.com", NULL, "b-value-b-value-b-value-b-value-b-value-b-v", 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t token[] = "eyJhbGciOiJSUzI1NiJ9.fuzz.token";
	const struct dnsacme_provider *p = dnsacme_plugin();
	const struct dnsacme_host *host;
	void *state;

	if (role_keys[5] == NULL && (role_keys[5] = fuzz_file(token, sizeof(token) - 1)) == NULL)
		return 0;
	host = fuzz_host(size > 0 && data[0] == 'R' ? role_keys : static_keys, data, size);

	if (p->open(host, &state) != DNSACME_OK)
		return 0;
	if (p->present(state, records, 2) == DNSACME_OK)
		p->cleanup(state, records, 2);
	p->close(state);
	return 0;
}
