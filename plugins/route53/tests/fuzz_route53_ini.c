/*
 * libFuzzer target for the AWS shared-file reader (creds.c): the input as
 * ~/.aws/credentials ("[NAME]" sections) and as ~/.aws/config
 * ("[profile NAME]", "[default]"), for the default profile and a named one.
 */
#include "creds.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profiles[] = {"default", "ci"};
	const char *path = fuzz_file(data, size);
	struct r53_profile p;

	if (path == NULL)
		return 0;
	for (int config_style = 0; config_style <= 1; config_style++)
		for (size_t i = 0; i < 2; i++)
			if (r53_profile_read(path, profiles[i], config_style, &p) > 0)
				r53_profile_clear(&p);
	return 0;
}
