/*
 * The state dir kept in a Secret (--state-secret), so a CronJob's runs share
 * one ACME account, and a run killed between present and cleanup is cleaned
 * up by the next: account keys and URLs, the cleanup journal, the renewal
 * records and what renew learnt (ARI) are the Secret's keys.
 *
 * For the run they are files in a private directory (mkdtemp under $TMPDIR,
 * 0700), which the engine uses as its state dir as it would any other;
 * da_k8s_state_sync() puts what changed back, and is called after each
 * change that must survive a kill (the journal before records are
 * published). The run holds a lease, an annotation "HOLDER UNTIL" on the
 * Secret taken with its resourceVersion and renewed by each sync; a lease a
 * killed run left is taken over once it has expired. Several shards of an
 * Indexed Job share the Secret (and the account), each with its own lease
 * and journal; a write that loses the race to another shard's is merged
 * onto the Secret as it is now, key by key.
 */
#ifndef DA_K8S_STATE_H
#define DA_K8S_STATE_H

#include <signal.h>

#include "base/log.h"
#include "k8s/k8s.h"

/* Borrowed for the call. */
struct da_k8s_state_config {
	const struct da_k8s_source *source;
	const char *ns, *name;
	const char *shard;  /* "0-of-4" names this shard's lease and journal; NULL: none */
	long lease_seconds; /* how long the lease lasts without a sync */
	const struct da_log *log;
	const volatile sig_atomic_t *stop; /* while waiting for the lease */
};

struct da_k8s_state;

/* Take the lease (waiting up to lease_seconds for another holder), read the
 * Secret into a new directory. A missing Secret is created; one that holds
 * other data, or is not Opaque, is refused. *out: da_k8s_state_close(). */
enum da_code da_k8s_state_open(const struct da_k8s_state_config *cfg, struct da_k8s_state **out,
			       struct da_err *err);

/* The directory to use as the state dir. */
const char *da_k8s_state_dir(const struct da_k8s_state *st);

/* Put what changed in the directory into the Secret; renew the lease. Safe
 * from several processes of one run (the renew workers) at once. */
enum da_code da_k8s_state_sync(struct da_k8s_state *st, struct da_err *err);

/* A last sync that releases the lease, then the directory is removed and st
 * freed (also on failure). */
enum da_code da_k8s_state_close(struct da_k8s_state *st, struct da_err *err);

/* Without a last sync (after a failure that must not be saved): the lease
 * stays until it expires; the directory is removed. */
void da_k8s_state_free(struct da_k8s_state *st);

#endif
