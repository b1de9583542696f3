/*
 * `renew`: every managed certificate, renewed exactly when it is due, in
 * parallel, with one summary (docs/DESIGN.md, "Renewal"). The certificates
 * come from a config's "certificates" list or from the renewal records
 * `issue` left; each due one is issued by the same job `issue` runs
 * (issue/job.h), in a process of its own, so one failing does not stop the
 * others.
 */
#ifndef DA_RENEW_RENEW_H
#define DA_RENEW_RENEW_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "issue/due.h"
#include "k8s/k8s.h"
#include "plugin/loader.h"
#include "store/store.h"

/* One certificate renew keeps: how to issue it. Everything owned. */
struct da_renew_cert {
	char *name;		/* names[0] without "*.": its record's and its state's name */
	char **names;		/* checked and normalized, n_names of them */
	size_t n_names;
	char *ca;		/* the directory URL */
	char *plugin;
	struct da_plugin_settings plugin_settings;
	enum da_key_type key_type;
	char *profile;		/* or NULL */
	char *preferred_chain;	/* or NULL */
	char *out;		/* the certificate's directory, or NULL */
	char *secret;		/* or its Secret: "NAMESPACE/NAME" or "NAME" */
	char *deploy_hook;	/* or NULL */
	long propagation_timeout;
	int propagation_skip;
	char *dns_resolvers;	       /* or NULL */
	char *propagation_nameservers; /* or NULL */
	char *source;		/* where it is described, for messages */
	char *broken;		/* why it cannot be renewed as described, or NULL */
};

void da_renew_certs_free(struct da_renew_cert *certs, size_t n);

/* What a "certificates" entry does not say; all borrowed. */
struct da_renew_defaults {
	const char *ca;
	/* an entry without "out" or "secret": STATE_DIR/certificates/NAME; NULL:
	 * such an entry is refused (the state is in a Secret, not kept here) */
	const char *state_dir;
	const char *plugin;
	const struct da_plugin_settings *plugin_settings; /* with plugin only */
	const char *key_type;				  /* NULL: ec256 */
	const char *profile;
	const char *preferred_chain;
	const char *deploy_hook;
	long propagation_timeout;
	int propagation_skip;
	const char *dns_resolvers;
	const char *propagation_nameservers;
};

/*
 * The certificates of a config's "certificates" list (json_t *, an array of
 * objects with the keys name, domains, dns, dns_options, out or secret, key_type,
 * profile, preferred_chain, deploy_hook), each filled from d where it is
 * silent. where names the list in errors ("FILE: certificates"). *certs
 * (da_renew_certs_free()) holds *n. DA_ERR_CONFIG naming the entry and key.
 */
enum da_code da_renew_certs_from_list(const void *list, const char *where,
				      const struct da_renew_defaults *d,
				      struct da_renew_cert **certs, size_t *n, struct da_err *err);

/*
 * The certificates `issue` recorded under state_dir/renewal/, sorted by
 * name. A record that cannot be read comes back with ->broken saying why,
 * so that one damaged file fails one certificate, not the run.
 */
enum da_code da_renew_certs_from_records(const char *state_dir, struct da_renew_cert **certs,
					 size_t *n, struct da_err *err);

/*
 * Keep only this shard's certificates: those whose name's FNV-1a hash is
 * index modulo count (the others are freed; *n shrinks). Every shard of an
 * Indexed Job computes the same split, so none is renewed twice.
 */
void da_renew_certs_shard(struct da_renew_cert *certs, size_t *n, unsigned index,
			  unsigned count);

/* How the run goes; all borrowed. */
struct da_renew_config {
	enum dnsacme_log_level log_level;
	const char *state_dir;
	const struct da_store_mirror *state_mirror; /* or NULL */
	const struct da_k8s_source *k8s;	    /* the API server, for Secret outputs */
	const char *ca_bundle;
	long ca_connections; /* to the CA at once, for one order */
	const char *email;
	int agree_tos;
	const char *eab_kid;
	const char *eab_hmac_key;
	const char *plugin_dir;
	long renew_before_days; /* -1: ARI, else a third of the lifetime */
	long parallel;		/* certificates issued at once, >= 1 */
	int dry_run;		/* decide and say, change nothing */
	long hook_timeout;	/* seconds, for the deploy and post hooks */
	const char *post_hook;	/* once, when anything was renewed; or NULL */
	const char *metrics_textfile; /* or NULL */
};

enum da_renew_outcome {
	DA_RENEW_NOT_DUE,
	DA_RENEW_DUE,	  /* --dry-run: would be renewed */
	DA_RENEW_RENEWED,
	DA_RENEW_FAILED
};

/* What became of one certificate. */
struct da_renew_result {
	enum da_renew_outcome outcome;
	enum da_due why;	 /* why it was due (or DA_NOT_DUE) */
	time_t not_after;	 /* of the certificate in place now; 0 when none */
	time_t due_at;		 /* DA_RENEW_NOT_DUE: when it will be */
	char error[DA_ERR_MSG_MAX]; /* DA_RENEW_FAILED: one line, redacted */
};

/*
 * Decide for each of certs whether it is due (ARI where its CA offers it,
 * with what earlier runs learnt), renew those that are, cfg->parallel at a
 * time, run the post hook and write the metrics. results[i] is certs[i]'s.
 * DA_OK when the run itself worked, whatever became of each certificate;
 * else a failure of the run (its metrics file, its post hook, a stop).
 */
enum da_code da_renew_run(const struct da_renew_config *cfg, const struct da_renew_cert *certs,
			  size_t n, struct da_renew_result *results,
			  const volatile sig_atomic_t *stop, struct da_err *err);

const char *da_renew_outcome_str(enum da_renew_outcome outcome);

#endif
