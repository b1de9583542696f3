/*
 * What the fuzz targets share: the input as a file (for readers that take a
 * path) and a plugin host table whose HTTP answers are the input (for the
 * providers' response parsers, driven through the plugin as it runs).
 */
#ifndef DNSACME_TEST_FUZZ_H
#define DNSACME_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "dnsacme/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path whose file holds exactly data (one memfd per process, rewritten on
 * each call); NULL when it cannot be written. */
const char *fuzz_file(const uint8_t *data, size_t size);

/*
 * A host table: config_get answers from config (key, value, ..., NULL); each
 * http() call takes the next answer from the input, whose answers are split
 * at lines "%%": an answer's first line is its status ("200"), the rest its
 * body. When the answers run out, http() fails as a network error does.
 */
const struct dnsacme_host *fuzz_host(const char *const *config, const uint8_t *data,
				     size_t size);

#endif
