/*
 * libFuzzer target for the DNS message reader (core/dns/wire.c): every
 * answer a nameserver sends goes through it. Built with -DDNSACME_FUZZ=ON
 * (clang); run: build/tests/fuzz_dns_wire -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	char name[DA_DNS_TEXT_NAME_SIZE];
	unsigned rcode;

	da_dns_txt_verdict(data, size, "_acme-challenge.example.com", "value", &rcode);
	if (da_dns_msg_open(&msg, data, size) != 0)
		return 0;
	while (da_dns_msg_next(&msg, &rr) == 1)
		da_dns_rr_name(&msg, &rr, name, sizeof(name));
	return 0;
}
