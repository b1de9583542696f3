/*
 * dnsacme plugin ABI.
 *
 * A DNS provider plugin is a shared object, dnsacme-NAME.so, that exports one
 * function, dnsacme_plugin(), returning a pointer to a constant provider
 * descriptor. This header is the only one a plugin includes: it sees nothing of
 * the core but the host table lent to it at open().
 *
 * Conventions
 *  - Every function that can fail returns enum dnsacme_status. On failure it
 *    first calls host->error() with a one-line message naming what was wrong
 *    (never a secret); the core prints that line.
 *  - Strings passed in are owned by the caller and valid for the call only.
 *  - Names are ASCII, lower case, without the trailing dot:
 *    "_acme-challenge.www.example.com".
 */
#ifndef DNSACME_PLUGIN_H
#define DNSACME_PLUGIN_H

#include <stddef.h>

#include "dnsacme/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the structures below.
 * 2: struct dnsacme_http_request gained flags. */
#define DNSACME_PLUGIN_ABI_VERSION 2

/* The one symbol a plugin exports. */
#define DNSACME_PLUGIN_SYMBOL "dnsacme_plugin"

/* Option flags. */
#define DNSACME_OPT_REQUIRED 0x1u /* the core refuses to open without it */
#define DNSACME_OPT_SECRET   0x2u /* never logged; redacted from every line */

/*
 * One setting of a plugin. The table drives `dnsacme plugins NAME`, config
 * validation (unknown keys are an error), environment lookup, the webhook's
 * config mapping and log redaction.
 *
 * Lookup order for a key: command line / config file value, then each
 * environment variable in env[] in order, then NAME_FILE for each of them
 * (the file's content, one trailing "\n" or "\r\n" removed), then default_value.
 * A config key KEY_file (e.g. "tsig_secret_file") likewise names a file.
 */
struct dnsacme_option {
	const char *key;	   /* [a-z0-9_]+, e.g. "access_key_id" */
	const char *env[4];	   /* variables users already know; NULL-padded */
	unsigned flags;		   /* DNSACME_OPT_* */
	const char *default_value; /* NULL: none */
	const char *help;	   /* one line, no trailing period */
};

/*
 * What the core lends a plugin. Every function takes the host itself first.
 * The table and everything it points to outlive the plugin state.
 */
struct dnsacme_host {
	unsigned abi_version;
	void *core; /* opaque to the plugin */

	/* Leveled log; every known secret value is replaced by "***". */
	void (*log)(const struct dnsacme_host *host, enum dnsacme_log_level level,
		    const char *fmt, ...) DNSACME_PRINTF(3, 4);

	/* Record the one-line error for the failing call (last one wins). */
	void (*error)(const struct dnsacme_host *host, const char *fmt, ...)
		DNSACME_PRINTF(2, 3);

	/* An option's value after the lookup order above, or NULL when unset. */
	const char *(*config_get)(const struct dnsacme_host *host, const char *key);

	/* Redact this value from logs and errors from now on (e.g. STS keys). */
	void (*add_secret)(const struct dnsacme_host *host, const char *value);

	/*
	 * One HTTP exchange through the core's client for providers (the
	 * system's CA store, proxy, timeouts, logging). Loopback and link-local
	 * addresses, and requests flagged DNSACME_HTTP_DIRECT, never go through
	 * a proxy. Returns DNSACME_OK when a response arrived, of any status;
	 * DNSACME_ERR_NETWORK or DNSACME_ERR_TIMEOUT when no usable one did
	 * (unreachable, too slow, over 16 MiB) — worth another attempt;
	 * DNSACME_ERR_PROTOCOL when the server's TLS certificate did not
	 * verify — not worth one; DNSACME_ERR_NOMEM; or DNSACME_ERR_INTERNAL
	 * for a request the client refuses (a method not in upper case, a
	 * header holding a line break). On failure host->error() already holds
	 * the reason. It does not retry: signed requests need a fresh
	 * signature per attempt.
	 */
	enum dnsacme_status (*http)(const struct dnsacme_host *host,
				    const struct dnsacme_http_request *req,
				    struct dnsacme_http_response *resp);
	void (*http_free)(const struct dnsacme_host *host,
			  struct dnsacme_http_response *resp);

	/* Wait before the attempt-th retry (1, 2, ...): exponential with jitter,
	 * at least min_ms; returns non-zero when the run is being interrupted. */
	int (*backoff)(const struct dnsacme_host *host, unsigned attempt, long min_ms);
};

struct dnsacme_provider {
	unsigned abi_version; /* DNSACME_PLUGIN_ABI_VERSION */
	const char *name;     /* equals NAME in dnsacme-NAME.so */
	const char *summary;  /* one line */
	const struct dnsacme_option *options; /* terminated by key == NULL */

	/* Validate options and allocate *state. host outlives the state. */
	enum dnsacme_status (*open)(const struct dnsacme_host *host, void **state);
	void (*close)(void *state);

	/*
	 * Publish every record. Idempotent: a value already there is success.
	 * One call carries every record of an order.
	 */
	enum dnsacme_status (*present)(void *state, const struct dnsacme_record *records,
				       size_t n);

	/* Remove exactly these values; other values at the same name stay. A
	 * value already gone is success: the core also cleans up after a
	 * present() that failed part way, and retries leftovers of killed runs. */
	enum dnsacme_status (*cleanup)(void *state, const struct dnsacme_record *records,
				       size_t n);

	/* Optional (may be NULL): block until the provider has committed the
	 * changes of the last present() (e.g. Route 53 GetChange INSYNC). */
	enum dnsacme_status (*wait)(void *state);
};

/* Exported by every plugin. */
typedef const struct dnsacme_provider *(*dnsacme_plugin_fn)(void);
DNSACME_EXPORT const struct dnsacme_provider *dnsacme_plugin(void);

#ifdef __cplusplus
}
#endif
#endif /* DNSACME_PLUGIN_H */
