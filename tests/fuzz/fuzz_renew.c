/*
 * libFuzzer target for what renew reads back from disk (core/renew/): the
 * input as a renewal record (STATE_DIR/renewal/NAME.json), as a renew state
 * file (renew-state/NAME.json) and as a config's "certificates" list — files
 * a killed run, a full disk or a hand edit may have left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "renew/renew.h"
#include "renew/state.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/dnsacme-fuzz-renew-XXXXXX";
	static int made;
	const struct da_renew_defaults defaults = {.ca = "https://ca.test/dir",
						   .state_dir = dir, .plugin = "rfc2136"};
	struct da_renew_cert *certs = NULL;
	struct da_renew_state state;
	struct da_err err;
	char *text = malloc(size + 1);
	json_t *list;
	size_t n = 0;

	if (text == NULL || (!made && mkdtemp(dir) == NULL)) {
		free(text);
		return 0;
	}
	made = 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (da_store_renewal_write(dir, "fuzz.example", text, &err) == DA_OK &&
	    da_renew_certs_from_records(dir, &certs, &n, &err) == DA_OK)
		da_renew_certs_free(certs, n);
	if (da_store_renew_state_write(dir, "fuzz.example", text, &err) == DA_OK) {
		da_renew_state_load(dir, "fuzz.example", &state);
		da_renew_state_clear(&state);
	}
	list = json_loadb((const char *)data, size, 0, NULL);
	if (list != NULL &&
	    da_renew_certs_from_list(list, "certificates", &defaults, &certs, &n, &err) == DA_OK)
		da_renew_certs_free(certs, n);
	json_decref(list);
	free(text);
	return 0;
}
