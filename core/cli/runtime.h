/*
 * What every command sets up from its settings — log, HTTP client, DNS,
 * plugin, ACME client and account — in one place, torn down in one call.
 * Each runtime_open_* is optional; runtime_free() releases what was opened.
 */
#ifndef DA_CLI_RUNTIME_H
#define DA_CLI_RUNTIME_H

#include <openssl/evp.h>

#include "acme/acme.h"
#include "cli.h"
#include "dns/dns.h"
#include "http/http.h"
#include "plugin/loader.h"

#define LETSENCRYPT_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define LETSENCRYPT_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

struct runtime {
	const struct cli_settings *settings;
	const volatile sig_atomic_t *stop;
	struct da_log log;
	struct da_http *http;	       /* to the CA: --ca-bundle, when given, is all it trusts */
	struct da_http *provider_http; /* the plugins' provider APIs: the system's CA store */
	struct da_dns *dns;
	struct da_plugin *plugin;
	struct da_acme *acme;
	const char *directory_url; /* borrowed from settings or a constant */
	EVP_PKEY *account_key;
	char *account_url;
	int run_lock; /* the journal's run lock (issue), or -1 */
};

/* Log and HTTP clients. Always first; runtime_free() even on failure. */
enum da_code runtime_init(struct runtime *rt, const struct cli_settings *s,
			  const volatile sig_atomic_t *stop, struct da_err *err);

/* The DNS resolver object (--dns-resolvers, --propagation-nameservers). */
enum da_code runtime_open_dns(struct runtime *rt, struct da_err *err);

/* Load and open the --dns plugin with its options. */
enum da_code runtime_open_plugin(struct runtime *rt, struct da_err *err);

/*
 * The ACME client and the account for this CA: the account key and URL are
 * kept under STATE_DIR/accounts/<ca>/; with create set, a missing key is
 * generated and a missing account registered, else their absence is an error.
 */
enum da_code runtime_open_account(struct runtime *rt, int create, struct da_err *err);

/* Save the account URL the ACME client ended up with when the CA refused
 * the saved one (da_acme_account_url() differs from rt->account_url). */
enum da_code runtime_save_account_url(struct runtime *rt, struct da_err *err);

void runtime_free(struct runtime *rt);

#endif
