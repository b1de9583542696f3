/*
 * The issuing flow (docs/DESIGN.md, "Issuing, step by step"): order, DNS
 * records through the plugin, propagation, challenges, finalize, download
 * and the check of what came — with the records removed again on every path
 * out. It works with borrowed handles, so `issue`, `renew` and a test drive
 * the same code.
 */
#ifndef DA_ISSUE_ISSUE_H
#define DA_ISSUE_ISSUE_H

#include <stddef.h>

#include "acme/acme.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "dns/dns.h"
#include "keyproc/keyproc.h"
#include "plugin/loader.h"

/* What to issue. Strings are borrowed for the call. */
struct da_issue_request {
	const char *const *names; /* checked and normalized (da_dns_name_normalize) */
	size_t n_names;
	enum da_key_type key_type;
	const char *profile;	     /* NULL: the CA's default */
	const char *preferred_chain; /* NULL: the default chain */
	const char *replaces;	     /* ARI CertID of the certificate renewed, or NULL */
	long propagation_timeout;    /* seconds */
	int propagation_skip;
};

/* What the flow works with; all borrowed, all open. */
struct da_issue_handles {
	struct da_acme *acme;	  /* with its account selected (da_acme_account) */
	struct da_dns *dns;
	struct da_plugin *plugin; /* opened */
	const char *state_dir;	  /* where the cleanup journal lives */
	const struct da_store_mirror *state_mirror; /* told when it changed; may be NULL */
	const struct da_log *log; /* may be NULL */
	/* The new certificate's key, in its own process (da_keyproc_certificate()):
	 * it builds the CSR, and writes the key with the chain afterwards. */
	struct da_keyproc *cert_key;
};

/* The certificate issued: freed with da_issued_free(), also after a failure. */
struct da_issued {
	char *chain_pem;	/* leaf first, only CERTIFICATE blocks */
	struct da_chain *chain; /* chain_pem parsed, once */
};

/*
 * Issue req's certificate for h->cert_key: on DA_OK *out holds the chain,
 * checked to name exactly req->names and carry that key. Records published
 * for the order are removed whatever happens; what the plugin cannot remove
 * stays in the journal for the next run.
 */
enum da_code da_issue_run(const struct da_issue_handles *h, const struct da_issue_request *req,
			  struct da_issued *out, struct da_err *err);
void da_issued_free(struct da_issued *issued);

/* How a certificate was issued, for `renew` to do it again unattended.
 * Everything borrowed. */
struct da_issue_record {
	const struct da_issue_request *req;
	const char *ca;
	const char *out;	 /* where the certificate went: a directory */
	const char *secret;	 /* or a Secret, "NAMESPACE/NAME" */
	const char *deploy_hook; /* or NULL */
	const char *dns_resolvers;
	const char *propagation_nameservers;
};

/*
 * Save rec as the renewal record of req->names[0] (da_store_renewal_write),
 * with h->plugin's options (da_plugin_record): secrets only by the file or
 * environment variable they came from, never their values.
 */
enum da_code da_issue_save_record(const struct da_issue_handles *h,
				  const struct da_issue_record *rec, struct da_err *err);

/*
 * Take the state dir's run lock (*run_lock: close() to release, at the end
 * of the run) and, when no other run is in flight, remove the records that a
 * run killed between present and cleanup left behind, for h->plugin; records
 * the plugin fails to remove are a warning and stay in the journal. Call
 * before da_issue_run().
 */
enum da_code da_issue_clean_journal(const struct da_issue_handles *h, int *run_lock,
				    struct da_err *err);

#endif
