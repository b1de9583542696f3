/*
 * A plugin for the loader's tests. It records what the core hands it
 * (testplug.h) and fails on request:
 *   endpoint "reject"        open fails with a message holding the token
 *   endpoint "http://..."    open GETs it through host->http first
 *   record value "fail"      present fails with a message
 *   endpoint "fail-present"  present records every record, then fails (half-way)
 *   endpoint "fail-wait"     wait fails after a successful present
 *   record value "silent"    cleanup fails without a message
 * Built several times with TESTPLUG_* definitions into broken variants (wrong
 * ABI, wrong name, no wait, no cleanup, no entry point).
 */
#include <stdio.h>
#include <string.h>

#include "dnsacme/plugin.h"
#include "testplug.h"

#ifndef TESTPLUG_NAME
#define TESTPLUG_NAME "testplug"
#endif
#ifndef TESTPLUG_ABI
#define TESTPLUG_ABI DNSACME_PLUGIN_ABI_VERSION
#endif

static struct testplug_seen seen;

DNSACME_EXPORT const struct testplug_seen *testplug_seen(void);
const struct testplug_seen *testplug_seen(void)
{
	return &seen;
}

static void copy_value(char *dst, size_t size, const char *value)
{
	snprintf(dst, size, "%s", value ? value : "(null)");
}

static enum dnsacme_status testplug_open(const struct dnsacme_host *host, void **state)
{
	int closes = seen.closes;

	memset(&seen, 0, sizeof(seen));
	seen.closes = closes;
	seen.host = host;
	copy_value(seen.endpoint, sizeof(seen.endpoint), host->config_get(host, "endpoint"));
	copy_value(seen.token, sizeof(seen.token), host->config_get(host, "token"));
	copy_value(seen.ttl, sizeof(seen.ttl), host->config_get(host, "ttl"));
	host->log(host, DNSACME_LOG_INFO, "opening %s with token %s", seen.endpoint, seen.token);

	if (strncmp(seen.endpoint, "http://", 7) == 0) {
		struct dnsacme_http_request req = {.method = "GET", .url = seen.endpoint};
		struct dnsacme_http_response resp;
		enum dnsacme_status status = host->http(host, &req, &resp);

		if (status != DNSACME_OK)
			return status; /* the host's message stands */
		seen.http_status = resp.status;
		host->http_free(host, &resp);
	}
	if (strcmp(seen.endpoint, "reject") == 0) {
		host->error(host, "token %s rejected", seen.token);
		return DNSACME_ERR_AUTH;
	}
	*state = &seen;
	return DNSACME_OK;
}

static void testplug_close(void *state)
{
	struct testplug_seen *s = state;

	s->closes++;
}

/* Copy the batch; returns the first record whose value is bad, or NULL. */
static const struct dnsacme_record *record(struct testplug_record *out, size_t *n_out,
					   const struct dnsacme_record *records, size_t n,
					   const char *bad)
{
	const struct dnsacme_record *hit = NULL;

	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		if (i < TESTPLUG_MAX_RECORDS) {
			copy_value(out[i].fqdn, sizeof(out[i].fqdn), records[i].fqdn);
			copy_value(out[i].zone, sizeof(out[i].zone), records[i].zone);
			copy_value(out[i].value, sizeof(out[i].value), records[i].value);
			out[i].ttl = records[i].ttl;
		}
		if (hit == NULL && strcmp(records[i].value, bad) == 0)
			hit = &records[i];
	}
	return hit;
}

static enum dnsacme_status testplug_present(void *state, const struct dnsacme_record *records,
					    size_t n)
{
	struct testplug_seen *s = state;
	const struct dnsacme_record *bad = record(s->present, &s->n_present, records, n, "fail");

	if (bad != NULL) {
		s->host->error(s->host, "cannot add %s", bad->fqdn);
		return DNSACME_ERR_API;
	}
	if (strcmp(s->endpoint, "fail-present") == 0) {
		s->host->error(s->host, "the provider went away half-way");
		return DNSACME_ERR_NETWORK;
	}
	return DNSACME_OK;
}

#ifndef TESTPLUG_NO_CLEANUP
static enum dnsacme_status testplug_cleanup(void *state, const struct dnsacme_record *records,
					    size_t n)
{
	struct testplug_seen *s = state;

	if (record(s->cleanup, &s->n_cleanup, records, n, "silent") != NULL)
		return DNSACME_ERR_DENIED;
	return DNSACME_OK;
}
#endif

#ifndef TESTPLUG_NO_WAIT
static enum dnsacme_status testplug_wait(void *state)
{
	struct testplug_seen *s = state;

	s->waits++;
	if (strcmp(s->endpoint, "fail-wait") == 0) {
		s->host->error(s->host, "the change never committed");
		return DNSACME_ERR_TIMEOUT;
	}
	return DNSACME_OK;
}
#endif

static const struct dnsacme_option options[] = {
	{"endpoint",
	 {"TESTPLUG_ENDPOINT", "TESTPLUG_URL"},
	 DNSACME_OPT_REQUIRED,
	 NULL,
	 "where the fake provider lives"},
	{"token", {"TESTPLUG_TOKEN"}, DNSACME_OPT_SECRET, NULL, "the API token"},
	{"ttl", {"TESTPLUG_TTL"}, 0, "120", "TTL of the records"},
	{NULL, {NULL}, 0, NULL, NULL},
};

static const struct dnsacme_provider provider = {
	.abi_version = TESTPLUG_ABI,
	.name = TESTPLUG_NAME,
	.summary = "records what the core gives it",
	.options = options,
	.open = testplug_open,
	.close = testplug_close,
	.present = testplug_present,
#ifndef TESTPLUG_NO_CLEANUP
	.cleanup = testplug_cleanup,
#endif
#ifndef TESTPLUG_NO_WAIT
	.wait = testplug_wait,
#endif
};

#ifndef TESTPLUG_NO_ENTRY
const struct dnsacme_provider *dnsacme_plugin(void)
{
	return &provider;
}
#else
/* Keep the descriptor referenced so the variant builds warning-free. */
DNSACME_EXPORT const struct dnsacme_provider *not_the_entry_point(void);
const struct dnsacme_provider *not_the_entry_point(void)
{
	return &provider;
}
#endif
