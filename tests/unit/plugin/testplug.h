/* What the test plugin (testplug.c) saw, read back by test_plugin.c through
 * the plugin's exported testplug_seen(). */
#ifndef DNSACME_TESTPLUG_H
#define DNSACME_TESTPLUG_H

#include "dnsacme/plugin.h"

#define TESTPLUG_MAX_RECORDS 4
#define TESTPLUG_SEEN_SYMBOL "testplug_seen"

struct testplug_record {
	char fqdn[128];
	char zone[128]; /* "(null)" for a NULL zone */
	char value[128];
	unsigned ttl;
};

struct testplug_seen {
	const struct dnsacme_host *host; /* lent at the last open */
	char endpoint[256];		 /* config_get() at open; "(null)" when unset */
	char token[256];
	char ttl[64];
	long http_status; /* of the GET to an http:// endpoint, else 0 */
	size_t n_present;
	struct testplug_record present[TESTPLUG_MAX_RECORDS];
	size_t n_cleanup;
	struct testplug_record cleanup[TESTPLUG_MAX_RECORDS];
	int waits;
	int closes; /* counts across opens: not reset by open */
};

typedef const struct testplug_seen *(*testplug_seen_fn)(void);

#endif
