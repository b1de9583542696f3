/*
 * The deploy hook: `/bin/sh -c COMMAND` once a certificate is in place, with
 * certbot's and dnsacme's variables naming it, and without any variable that
 * may hold a secret. It runs in its own process group, which is stopped
 * (SIGTERM, then SIGKILL) when it runs past its time or the run is stopped.
 */
#ifndef DA_ISSUE_HOOK_H
#define DA_ISSUE_HOOK_H

#include <signal.h>
#include <stddef.h>

#include "base/error.h"

#define DA_HOOK_TIMEOUT_DEFAULT 300 /* seconds */

struct da_hook {
	const char *label;	  /* in messages; NULL: "deploy hook" */
	const char *command;
	const char *where;	  /* the certificate's place, for messages */
	const char *cert_dir; /* DNSACME_CERT_DIR, RENEWED_LINEAGE; or NULL */
	const char *secret;   /* DNSACME_SECRET: NAMESPACE/NAME; or NULL */
	const char *const *names; /* DNSACME_DOMAINS, RENEWED_DOMAINS (space-separated) */
	size_t n_names;
	long timeout_seconds;
	const char *plugin_dir; /* its plugins' secret variables are dropped */
};

/*
 * Run hook and wait for it. DA_ERR_IO when it cannot start, fails, is killed
 * or runs past its time; DA_ERR_INTERRUPTED when *stop is set first. Every
 * message says the certificate is in place, so nobody issues it again.
 */
enum da_code da_hook_run(const struct da_hook *hook, const volatile sig_atomic_t *stop,
			 struct da_err *err);

#endif
