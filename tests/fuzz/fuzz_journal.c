/*
 * libFuzzer target for the cleanup journal reader (core/store/journal.c): the
 * input is STATE_DIR/journal.json as a killed run, a full disk or a hand
 * edit may have left it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/dnsacme-fuzz-journal-XXXXXX";
	static int made;
	char path[sizeof(dir) + 16];
	struct da_journal *journal = NULL;
	struct da_err err;
	FILE *f;

	if (!made && mkdtemp(dir) == NULL)
		return 0;
	made = 1;
	snprintf(path, sizeof(path), "%s/journal.json", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return 0;
	if (size > 0)
		fwrite(data, 1, size, f);
	fclose(f);
	if (da_store_journal_load(dir, &journal, &err) == DA_OK)
		da_store_journal_free(journal);
	return 0;
}
