/*
 * libFuzzer target for everything the route53 plugin parses from the network:
 * the same bytes go through each Route 53 / STS XML parser, the container /
 * IMDS JSON parser and the name normaliser. Built with -DDNSACME_FUZZ=ON
 * (clang); run: build/tests/fuzz_route53 -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	struct r53_zone_page zones;
	struct r53_rrset_page sets;
	struct r53_credentials creds;
	struct r53_error e;
	char *id, *status, *text, *name;

	if (r53_parse_zones(xml, size, &zones) == 0)
		r53_zone_page_free(&zones);
	if (r53_parse_rrsets(xml, size, &sets) == 0)
		r53_rrset_page_free(&sets);
	if (r53_parse_change(xml, size, &id, &status) == 0) {
		free(id);
		free(status);
	}
	r53_parse_error(xml, size, &e);
	if (r53_parse_sts_credentials(xml, size, &creds) == 0)
		r53_credentials_clear(&creds);
	if (r53_parse_json_credentials(xml, size, &creds) == 0)
		r53_credentials_clear(&creds);

	text = malloc(size + 1);
	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		r53_parse_time(text);
		r53_container_url_allowed(text);
		name = r53_name_normalise(text);
		free(name);
		free(text);
	}
	return 0;
}
