/*
 * A small host table for driving the plugin through its descriptor in tests:
 * log lines go to stderr, config_get reads a NULL-terminated key/value list,
 * error() keeps the last message, add_secret() keeps the last value, and
 * log lines holding count_pattern are counted.
 */
#ifndef RFC2136_FAKE_HOST_H
#define RFC2136_FAKE_HOST_H

#include "dnsacme/plugin.h"

struct fake_host {
	struct dnsacme_host host; /* first, so the plugin's host pointer is ours */
	const char *const *config; /* key, value, key, value, ..., NULL */
	char error[1024];
	char secret[512];
	const char *count_pattern; /* NULL: count nothing */
	unsigned count;
};

/* Point fh at config (not copied) with empty error and secret. */
void fake_host_init(struct fake_host *fh, const char *const *config);

/* The plugin's descriptor from the shared object at path (dlopen; the
 * handle stays open for the test's life). NULL with a message on stderr. */
const struct dnsacme_provider *fake_host_load(const char *path);

#endif
