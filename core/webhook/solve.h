/*
 * Serving challenges: the Issuer's config mapped (issuer.h), its Secrets
 * read from the request's namespace, the plugin loaded and opened for this
 * batch alone, the records published or removed. No propagation wait:
 * cert-manager checks that itself; a provider commit the plugin knows
 * (Route 53's GetChange) is waited for.
 */
#ifndef DA_WEBHOOK_SOLVE_H
#define DA_WEBHOOK_SOLVE_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "base/error.h"
#include "http/http.h"
#include "k8s/k8s.h"
#include "webhook/payload.h"

#define DA_SOLVER_SECRET_CACHE 16

/* One worker's own tools: nothing in it is shared with another request
 * running at the same time. Zero it, set the borrowed members, and
 * da_solver_free() it. */
struct da_solver {
	const char *plugin_dir;		  /* borrowed; never NULL */
	const struct da_k8s_source *k8s; /* borrowed */
	int lenient;
	int allow_endpoints; /* an Issuer may name the provider's API endpoint */
	const volatile sig_atomic_t *stop; /* borrowed */
	const struct da_http *providers; /* borrowed: http is its sibling, so the CAs
					  * are read once for every worker */
	struct da_http *http;	/* the providers' client, made on first use */
	struct da_k8s *api;	/* the Kubernetes API client, made on first use */
	struct {		/* Secrets read in the last few seconds */
		char *ns, *name;
		json_t *data;
		time_t at;
	} cache[DA_SOLVER_SECRET_CACHE];
};

void da_solver_free(struct da_solver *s);

/* A batch shares solver, namespace, config and allowAmbientCredentials. */
struct da_solver_batch {
	const char *solver; /* the URL's solver name */
	struct da_challenge *const *challenges;
	size_t n;
};

/*
 * Serve the batch in one plugin call. DA_OK, or the failure of the whole
 * batch in err (one line naming the solver, the field, the Secret or the
 * provider's error; never a secret).
 */
enum da_code da_solver_run(struct da_solver *s, const struct da_solver_batch *batch,
			   struct da_err *err);

#endif
