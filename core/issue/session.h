/*
 * What a run sets up before it issues, revokes or touches DNS — the log, the
 * HTTP clients, DNS, the plugin, the ACME client and its account — from a
 * plain configuration, torn down in one call. Each da_session_open_* is
 * optional; da_session_free() releases what was opened.
 */
#ifndef DA_ISSUE_SESSION_H
#define DA_ISSUE_SESSION_H

#include <signal.h>


#include "acme/acme.h"
#include "dns/dns.h"
#include "http/http.h"
#include "keyproc/keyproc.h"
#include "issue/issue.h"
#include "plugin/loader.h"

#define DA_LETSENCRYPT_PRODUCTION "https://acme-v02.api.letsencrypt.org/directory"
#define DA_LETSENCRYPT_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

/* Everything borrowed: it must outlive the session. */
struct da_session_config {
	enum dnsacme_log_level log_level;
	const char *directory_url; /* the CA */
	const char *ca_bundle;	   /* the only CAs trusted for it; NULL: the system's */
	/* NULL, or a client made for ca_bundle whose CAs, read already, the
	 * session's clients of the CA share (renew's, across its workers). */
	const struct da_http *ca_trust_from;
	long ca_connections;	   /* requests to the CA at once for one order; < 1: 1 */
	const char *state_dir;	   /* accounts and the cleanup journal */
	const struct da_store_mirror *state_mirror; /* told of changes to it; NULL: none */
	const char *email;
	int agree_tos;
	const char *eab_kid;
	const char *eab_hmac_key; /* secret: redacted from every line */
	const char *dns_resolvers;
	const char *propagation_nameservers;
	const char *plugin_dir; /* NULL: da_plugin_default_dir() */
	const char *plugin;	/* --dns */
	const struct da_plugin_settings *plugin_settings;
	unsigned plugin_sources; /* DA_PLUGIN_FROM_* */
};

struct da_session {
	const struct da_session_config *cfg;
	const volatile sig_atomic_t *stop;
	struct da_log log;
	struct da_http *http;	       /* to the CA: cfg->ca_bundle, when given, is all it trusts */
	struct da_http *ca_lanes[DA_ACME_MAX_LANES]; /* more of the same, in parallel */
	size_t n_ca_lanes;
	struct da_http *provider_http; /* the plugins' provider APIs: the system's CA store */
	struct da_dns *dns;
	struct da_plugin *plugin;
	struct da_acme *acme;
	struct da_keyproc *account_keyproc; /* the process holding the account key */
	struct da_signer account;	    /* signs with it, there */
	char *account_url;
	int run_lock; /* the journal's run lock, or -1 */
};

/* Log and HTTP clients. Always first; da_session_free() even on failure. */
enum da_code da_session_init(struct da_session *s, const struct da_session_config *cfg,
			     const volatile sig_atomic_t *stop, struct da_err *err);

/* The DNS resolver object (cfg->dns_resolvers, ->propagation_nameservers). */
enum da_code da_session_open_dns(struct da_session *s, struct da_err *err);

/* Load and open cfg->plugin with its settings. */
enum da_code da_session_open_plugin(struct da_session *s, struct da_err *err);

/* The ACME client for cfg->directory_url, without an account (enough for
 * renewalInfo); da_session_open_account() opens it when it is not yet. */
enum da_code da_session_open_ca(struct da_session *s, struct da_err *err);

/*
 * The ACME client and the account for this CA: the account key and URL are
 * kept under STATE_DIR/accounts/<ca>/ (locked while read and written); with
 * create set, a missing key is generated and a missing account registered,
 * else their absence is an error.
 */
enum da_code da_session_open_account(struct da_session *s, int create, struct da_err *err);

/* Save the account URL the ACME client ended up with when the CA refused
 * the saved one (da_acme_account_url() differs from s->account_url). */
enum da_code da_session_save_account_url(struct da_session *s, struct da_err *err);

/* The flow's handles, borrowed from an open session. */
struct da_issue_handles da_session_handles(const struct da_session *s);

void da_session_free(struct da_session *s);

#endif
