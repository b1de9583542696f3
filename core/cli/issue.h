/*
 * The issuing flow (DESIGN.md, "Issuing, step by step"): order, DNS records
 * through the plugin, propagation, challenges, finalize, download — with the
 * records removed again on every path out.
 */
#ifndef DA_CLI_ISSUE_H
#define DA_CLI_ISSUE_H

#include "crypto/crypto.h"
#include "runtime.h"

struct issue_params {
	const char *const *names; /* as the user gave them, checked */
	size_t n_names;
	enum da_key_type key_type;
	const char *profile;	     /* NULL: the CA's default */
	const char *preferred_chain; /* NULL: the default chain */
	long propagation_timeout;    /* seconds */
	int propagation_skip;
};

struct issue_result {
	char *chain_pem;	 /* leaf first; free() */
	char *key_pem;		 /* the certificate's private key; da_secret_free() */
	struct da_chain *chain;	 /* parsed chain_pem; da_chain_free() */
};

/*
 * Run the flow with rt's ACME client, DNS and plugin (all open). On DA_OK
 * *out is filled; release it with issue_result_free() in every case.
 */
enum da_code issue_run(struct runtime *rt, const struct issue_params *p,
		       struct issue_result *out, struct da_err *err);
void issue_result_free(struct issue_result *r);

/*
 * Take the state dir's run lock (rt->run_lock, held until runtime_free())
 * and, when no other run is in flight, remove the records that a run killed
 * between present and cleanup left behind (the cleanup journal), for the
 * plugin rt has open; records the plugin fails to remove are a warning and
 * stay in the journal. Call before issue_run().
 */
enum da_code issue_clean_journal(struct runtime *rt, struct da_err *err);

#endif
