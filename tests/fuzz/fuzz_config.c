/*
 * libFuzzer target for the config file reader (core/config/): the input is
 * the JSON file `dnsacme issue --config FILE` reads, through the commands'
 * real option table, key positions included.
 */
#include "cli/cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	char *argv[] = {"--config", (char *)path, "--state-dir", "/nonexistent"};
	struct cli_settings s;
	struct da_err err;

	if (path == NULL)
		return 0;
	cli_settings_load(&s, CMD_ISSUE, 4, argv, &err);
	cli_settings_free(&s);
	return 0;
}
