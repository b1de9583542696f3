/*
 * libFuzzer target for what the rfc2136 plugin reads from the network and
 * from key files: every byte of a server's reply goes through r2_msg_parse,
 * r2_update_outcome (TSIG verification included) and the SOA check; the
 * same bytes as text go through the key-file parser. Built with
 * -DDNSACME_FUZZ=ON (clang); run: build/tests/fuzz_rfc2136 -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#include "rfc2136_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char request_mac[32] = {1, 2, 3};
	struct r2_key key;
	struct r2_request req = {"example.com", "fuzz:53", &key, request_mac, sizeof(request_mac)};
	struct r2_keyfile kf;
	struct r2_msg msg;
	struct r2_err err;
	char *text;

	if (r2_key_set(&key, "acme-update.", "hmac-sha256",
		       "AJdDlD27LaSLlX0SbhHNXatUjZTt31yOHul6ZoB9ZFI=", &err) != DNSACME_OK)
		abort();
	r2_update_outcome(&req, data, size, 1705307400, &err);
	req.key = NULL;
	r2_update_outcome(&req, data, size, 1705307400, &err);
	if (r2_msg_parse(&msg, data, size, &err) == DNSACME_OK)
		r2_msg_has_soa(&msg, "example.com");

	text = malloc(size + 1);
	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		r2_keyfile_parse(&kf, text, &err);
		free(text);
	}
	r2_key_clear(&key);
	return 0;
}
