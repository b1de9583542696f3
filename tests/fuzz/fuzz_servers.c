/*
 * libFuzzer target for the names and server lists dnsacme reads from flags,
 * config files and cluster users (core/dns/name.c): the input as a
 * --dns-resolvers / --propagation-nameservers list and as a domain name.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct da_dns_server *servers;
	struct da_err err;
	char *text = malloc(size + 1), *out;
	size_t n;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (da_dns_parse_servers(text, &servers, &n, &err) == DA_OK)
		da_dns_servers_free(servers, n);
	da_dns_name_check(text, &err);
	if (da_dns_name_normalize(text, &out, &err) == DA_OK)
		free(out);
	if (da_dns_challenge_name(text, &out, &err) == DA_OK)
		free(out);
	free(text);
	return 0;
}
