/*
 * The renew run: decide (one process, one CA client per CA for renewalInfo),
 * then renew what is due in worker processes, cfg->parallel at a time, each
 * running the job `issue` runs; a worker reports its result over a pipe, so
 * a crashed or killed one is a failed certificate, not a failed run.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "issue/hook.h"
#include "issue/job.h"
#include "issue/session.h"
#include "k8s/k8s.h"
#include "renew/metrics.h"
#include "renew/renew.h"
#include "renew/state.h"

/* The session configuration of one certificate; borrowed from cfg, c and
 * trust (the CAs trusted for the CA, read already; may be NULL). */
static struct da_session_config session_config(const struct da_renew_config *cfg,
					       const struct da_renew_cert *c,
					       const struct da_http *trust)
{
	return (struct da_session_config){
		.log_level = cfg->log_level,
		.directory_url = c->ca,
		.ca_bundle = cfg->ca_bundle,
		.ca_trust_from = trust,
		.ca_connections = cfg->ca_connections,
		.state_dir = cfg->state_dir,
		.state_mirror = cfg->state_mirror,
		.email = cfg->email,
		.agree_tos = cfg->agree_tos,
		.eab_kid = cfg->eab_kid,
		.eab_hmac_key = cfg->eab_hmac_key,
		.dns_resolvers = c->dns_resolvers,
		.propagation_nameservers = c->propagation_nameservers,
		.plugin_dir = cfg->plugin_dir,
		.plugin = c->plugin,
		.plugin_settings = &c->plugin_settings,
		/* The operator's own config and records. */
		.plugin_sources = DA_PLUGIN_FROM_ALL,
	};
}

/* Where c's certificate goes: its Secret, else its directory. */
static enum da_code open_sink(const struct da_renew_config *cfg, const struct da_renew_cert *c,
			      struct da_sink **sink, struct da_err *err)
{
	if (c->secret != NULL)
		return da_k8s_sink_secret_open(cfg->k8s, c->secret, sink, err);
	return da_store_sink_dir_open(c->out, sink, err);
}

/* --- deciding ------------------------------------------------------------- */

/* One CA client per CA, opened when a certificate of it needs renewalInfo. */
struct ca {
	struct da_session_config cfg;
	struct da_session session;
	int opened; /* 1 open, -1 failed to open */
};

struct decide {
	const struct da_renew_config *cfg;
	struct da_http *trust; /* see trust_for() */
	int trust_failed;
	const struct da_log *log;
	const volatile sig_atomic_t *stop;
	struct ca *cas;
	size_t n_cas;
	time_t now;
};

/*
 * The CAs trusted for the CA, read on first need and then shared: by the CA
 * sessions here and by every worker forked after, instead of each reading
 * the system store again (some 140 certificates, 30-odd ms of CPU apiece).
 * NULL when they cannot be read: each then reads them itself, and says what
 * is wrong.
 */
static const struct da_http *trust_for(struct decide *d)
{
	const struct da_http_config cfg = {.ca_bundle = d->cfg->ca_bundle};
	struct da_err err;

	if (d->trust != NULL || d->trust_failed)
		return d->trust;
	if (da_http_new(&d->trust, &cfg, d->log, &err) != DA_OK ||
	    da_http_read_trust(d->trust, &err) != DA_OK) {
		da_http_free(d->trust);
		d->trust = NULL;
		d->trust_failed = 1;
	}
	return d->trust;
}

static struct da_acme *client_for(struct decide *d, const struct da_renew_cert *c)
{
	struct ca *ca = NULL;
	struct da_err err;

	for (size_t i = 0; i < d->n_cas && ca == NULL; i++)
		if (strcmp(d->cas[i].cfg.directory_url, c->ca) == 0)
			ca = &d->cas[i];
	if (ca == NULL) {
		ca = &d->cas[d->n_cas++];
		ca->cfg = session_config(d->cfg, c, trust_for(d));
		ca->opened = da_session_init(&ca->session, &ca->cfg, d->stop, &err) == DA_OK &&
					     da_session_open_ca(&ca->session, &err) == DA_OK
				     ? 1
				     : -1;
		if (ca->opened < 0)
			da_logf(&ca->session.log, DNSACME_LOG_WARN,
				"%s: no renewalInfo from this CA this run: %s", c->ca, err.msg);
	}
	return ca->opened > 0 ? ca->session.acme : NULL;
}

/*
 * The CA's window for the certificate with ARI CertID id, from st when it is
 * still fresh, else asked for (and st updated). NULL when there is none: the
 * CA offers no ARI, or asking failed and nothing is known.
 */
static const struct da_acme_renewal *ari_window(struct decide *d, const struct da_renew_cert *c,
						const char *id, struct da_renew_state *st,
						struct da_acme_renewal *window)
{
	struct da_acme *acme;
	struct da_acme_renewal fresh = {0};
	struct da_err err;
	enum da_code rc;

	if (st->cert_id == NULL || strcmp(st->cert_id, id) != 0) {
		/* A new certificate: a new point in its window, nothing known. */
		free(st->cert_id);
		free(st->explanation_url);
		st->cert_id = strdup(id);
		st->explanation_url = NULL;
		st->has_window = 0;
		st->next_check = 0;
		st->ari_failures = 0;
		st->point = da_renew_random_point();
	}
	if (st->next_check <= d->now && (acme = client_for(d, c)) != NULL) {
		rc = da_acme_renewal_info(acme, id, &fresh, &err);
		if (rc == DA_OK) {
			long wait = fresh.retry_after_seconds > 0 ? fresh.retry_after_seconds
								  : DA_RENEW_ARI_DEFAULT_WAIT;

			st->has_window = 1;
			st->window_start = fresh.window_start;
			st->window_end = fresh.window_end;
			free(st->explanation_url);
			st->explanation_url = fresh.explanation_url ? strdup(fresh.explanation_url)
								    : NULL;
			st->ari_failures = 0;
			st->next_check = d->now + (wait < DA_RENEW_ARI_MIN_WAIT   ? DA_RENEW_ARI_MIN_WAIT
						   : wait > DA_RENEW_ARI_MAX_WAIT ? DA_RENEW_ARI_MAX_WAIT
										  : wait);
		} else if (rc == DA_ERR_USAGE) {
			st->has_window = 0; /* the CA offers no ARI */
			st->next_check = d->now + DA_RENEW_ARI_MAX_WAIT;
		} else {
			st->ari_failures++;
			st->next_check = d->now + da_renew_ari_backoff(st->ari_failures);
		}
		da_acme_renewal_clear(&fresh);
	}
	if (!st->has_window)
		return NULL;
	window->window_start = st->window_start;
	window->window_end = st->window_end;
	window->explanation_url = st->explanation_url;
	window->retry_after_seconds = -1;
	return window;
}

/* Whether c is due; *replaces the CertID to send when it is renewed. */
static void decide_one(struct decide *d, const struct da_renew_cert *c, struct da_renew_state *st,
		       struct da_renew_result *r, char **replaces)
{
	struct da_due_policy policy = {
		.names = (const char *const *)c->names,
		.n_names = c->n_names,
		.ca = c->ca,
		.key_type = c->key_type,
		.renew_before_days = d->cfg->renew_before_days,
		.now = d->now,
	};
	struct da_cert_stored *stored = NULL;
	struct da_acme_renewal window;
	struct da_sink *sink = NULL;
	struct stat st_out;
	const char *id;

	*replaces = NULL;
	/* Only read: a dry run must not make the directory. A Secret that
	 * cannot be written to (another type, cert-manager's) fails now. */
	if (c->secret != NULL) {
		struct da_err read_err = {0};

		if (open_sink(d->cfg, c, &sink, &read_err) != DA_OK ||
		    da_store_sink_read(sink, &stored, &read_err) != DA_OK) {
			r->outcome = DA_RENEW_FAILED;
			snprintf(r->error, sizeof(r->error), "%s", read_err.msg);
			da_store_sink_free(sink);
			return;
		}
	} else if (stat(c->out, &st_out) == 0 && open_sink(d->cfg, c, &sink, NULL) == DA_OK) {
		da_store_sink_read(sink, &stored, NULL);
	}
	da_store_sink_free(sink);
	id = stored ? stored->chain->certs[0].ari_id : NULL;
	if (id != NULL && d->cfg->renew_before_days < 0 &&
	    da_store_cert_matches(stored, policy.names, policy.n_names, c->ca, c->key_type)) {
		policy.ari = ari_window(d, c, id, st, &window);
		policy.ari_point = st->point;
		if (policy.ari != NULL && st->explanation_url != NULL)
			da_logf(d->log, DNSACME_LOG_INFO, "%s: the CA explains its window: %s",
				c->name, st->explanation_url);
	}
	r->why = da_issue_due(stored, &policy);
	r->not_after = stored ? stored->chain->certs[0].not_after : 0;
	if (r->why == DA_NOT_DUE) {
		r->outcome = DA_RENEW_NOT_DUE;
		r->due_at = da_issue_due_at(stored, &policy);
	} else {
		r->outcome = DA_RENEW_DUE;
		/* RFC 9773 5: a renewal names what it replaces, at a CA with ARI. */
		if (id != NULL && r->why != DA_DUE_CHANGED && r->why != DA_DUE_MISSING)
			*replaces = strdup(id);
	}
	da_store_cert_free(stored);
}

/* --- renewing ------------------------------------------------------------- */

/* In the worker: issue c and say how it went; never returns. */
static void work(const struct da_renew_config *cfg, const struct da_http *trust,
		 const struct da_renew_cert *c, const char *replaces, int report,
		 const volatile sig_atomic_t *stop)
{
	const struct da_session_config scfg = session_config(cfg, c, trust);
	struct da_renew_result r = {.outcome = DA_RENEW_FAILED};
	struct da_session session;
	struct da_issued issued = {0};
	struct da_issue_job job = {
		.request = {
			.names = (const char *const *)c->names,
			.n_names = c->n_names,
			.key_type = c->key_type,
			.profile = c->profile,
			.preferred_chain = c->preferred_chain,
			.replaces = replaces,
			.propagation_timeout = c->propagation_timeout,
			.propagation_skip = c->propagation_skip,
		},
		.out = c->out,
		.secret = c->secret,
		.deploy_hook = c->deploy_hook,
		.deploy_hook_timeout = cfg->hook_timeout,
	};
	struct da_err err = {0};
	enum da_code rc;
	int in_place = 0;

	rc = da_session_init(&session, &scfg, stop, &err);
	if (rc == DA_OK)
		rc = open_sink(cfg, c, &job.sink, &err);
	if (rc == DA_OK)
		rc = da_issue_job_run(&session, &job, &issued, &in_place, &err);
	if (in_place) {
		r.not_after = issued.chain->certs[0].not_after;
		r.outcome = DA_RENEW_RENEWED; /* a hook failing after does not undo it */
	}
	if (rc != DA_OK) {
		memcpy(r.error, err.msg, sizeof(r.error));
		da_log_redact(&session.log, r.error, sizeof(r.error));
		if (in_place)
			da_logf(&session.log, DNSACME_LOG_ERROR, "%s: %s", c->name, r.error);
	}
	if (write(report, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	da_issued_free(&issued);
	da_store_sink_free(job.sink);
	da_session_free(&session);
	_exit(rc == DA_OK ? 0 : 1);
}

struct worker {
	pid_t pid;
	int report; /* read end */
	size_t index;
};

/* Wait for one worker to end; fill its result. */
static void reap(struct worker *w, size_t *n_workers, struct da_renew_result *results,
		 const struct da_renew_cert *certs)
{
	struct da_renew_result got;
	int status = 0;
	pid_t pid;

	do
		pid = waitpid(-1, &status, 0);
	while (pid < 0 && errno == EINTR);
	for (size_t i = 0; i < *n_workers; i++) {
		struct da_renew_result *r;

		if (w[i].pid != pid)
			continue;
		r = &results[w[i].index];
		if (read(w[i].report, &got, sizeof(got)) == (ssize_t)sizeof(got)) {
			got.why = r->why;
			*r = got;
		} else {
			r->outcome = DA_RENEW_FAILED;
			snprintf(r->error, sizeof(r->error), "the worker renewing %s %s %d",
				 certs[w[i].index].name,
				 WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		close(w[i].report);
		w[i] = w[--*n_workers];
		return;
	}
}

static void renew_due(const struct da_renew_config *cfg, const struct da_http *trust,
		      const struct da_renew_cert *certs, size_t n, struct da_renew_result *results,
		      char **replaces, const volatile sig_atomic_t *stop)
{
	struct worker *w = calloc((size_t)cfg->parallel, sizeof(*w));
	size_t n_workers = 0, next = 0;
	pid_t parent = getpid();
	int stopping = 0;

	if (w == NULL) {
		for (size_t i = 0; i < n; i++)
			if (results[i].outcome == DA_RENEW_DUE) {
				results[i].outcome = DA_RENEW_FAILED;
				snprintf(results[i].error, sizeof(results[i].error), "out of memory");
			}
		return;
	}
	for (;;) {
		while (!*stop && n_workers < (size_t)cfg->parallel && next < n) {
			int fds[2];
			size_t i = next++;

			if (results[i].outcome != DA_RENEW_DUE)
				continue;
			if (pipe(fds) != 0) {
				results[i].outcome = DA_RENEW_FAILED;
				snprintf(results[i].error, sizeof(results[i].error),
					 "cannot start a worker: %s", strerror(errno));
				continue;
			}
			fflush(NULL);
			w[n_workers].pid = fork();
			if (w[n_workers].pid == 0) {
				/* A worker outliving a killed run stops as if told to:
				 * its records are removed, not left to race a rerun. */
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() != parent)
					raise(SIGTERM);
				close(fds[0]);
				work(cfg, trust, &certs[i], replaces[i], fds[1], stop);
			}
			close(fds[1]);
			if (w[n_workers].pid < 0) {
				close(fds[0]);
				results[i].outcome = DA_RENEW_FAILED;
				snprintf(results[i].error, sizeof(results[i].error),
					 "cannot start a worker: %s", strerror(errno));
				continue;
			}
			w[n_workers].report = fds[0];
			w[n_workers].index = i;
			n_workers++;
		}
		if (n_workers == 0)
			break;
		/* A stop reaches the workers even when only we got the signal;
		 * each removes its records on the way out. */
		if (*stop && !stopping) {
			stopping = 1;
			for (size_t i = 0; i < n_workers; i++)
				kill(w[i].pid, SIGTERM);
		}
		reap(w, &n_workers, results, certs);
	}
	free(w);
}

/* --- the run -------------------------------------------------------------- */

static enum da_code post_hook(const struct da_renew_config *cfg,
			      const struct da_renew_cert *certs, size_t n,
			      const struct da_renew_result *results,
			      const volatile sig_atomic_t *stop, struct da_err *err)
{
	const char **names = NULL;
	char *dirs = NULL;
	size_t n_names = 0, len = 0;
	FILE *mem = open_memstream(&dirs, &len);
	enum da_code rc;

	for (size_t i = 0; i < n; i++) {
		const char **grown;

		if (results[i].outcome != DA_RENEW_RENEWED)
			continue;
		grown = realloc(names, (n_names + certs[i].n_names) * sizeof(*grown));
		if (grown == NULL)
			break;
		names = grown;
		for (size_t j = 0; j < certs[i].n_names; j++)
			names[n_names++] = certs[i].names[j];
		if (mem != NULL && certs[i].out != NULL)
			fprintf(mem, "%s%s", ftell(mem) > 0 ? " " : "", certs[i].out);
	}
	if (mem == NULL || fclose(mem) != 0) {
		free(names);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	{
		const struct da_hook hook = {
			.label = "post hook",
			.command = cfg->post_hook,
			.where = "place",
			.cert_dir = dirs,
			.names = names,
			.n_names = n_names,
			.timeout_seconds = cfg->hook_timeout,
			.plugin_dir = cfg->plugin_dir,
		};

		rc = da_hook_run(&hook, stop, err);
	}
	free(names);
	free(dirs);
	return rc;
}

static int any_due(const struct da_renew_result *results, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (results[i].outcome == DA_RENEW_DUE)
			return 1;
	return 0;
}

enum da_code da_renew_run(const struct da_renew_config *cfg, const struct da_renew_cert *certs,
			  size_t n, struct da_renew_result *results,
			  const volatile sig_atomic_t *stop, struct da_err *err)
{
	struct decide d = {.cfg = cfg, .stop = stop, .now = time(NULL)};
	struct da_log log;
	struct da_renew_state *states = calloc(n ? n : 1, sizeof(*states));
	char **replaces = calloc(n ? n : 1, sizeof(*replaces));
	enum da_code rc = DA_OK;
	size_t renewed = 0, decided = 0;

	d.cas = calloc(n ? n : 1, sizeof(*d.cas));
	if (states == NULL || replaces == NULL || d.cas == NULL) {
		free(states);
		free(replaces);
		free(d.cas);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	da_log_init(&log, cfg->log_level, stderr);
	d.log = &log;
	memset(results, 0, n * sizeof(*results));
	for (size_t i = 0; i < n; i++)
		da_renew_state_load(cfg->state_dir, certs[i].name, &states[i]);
	for (; decided < n && !*stop; decided++) {
		size_t i = decided;

		if (certs[i].broken != NULL) {
			results[i].outcome = DA_RENEW_FAILED;
			snprintf(results[i].error, sizeof(results[i].error), "%s: %s",
				 certs[i].source, certs[i].broken);
			continue;
		}
		decide_one(&d, &certs[i], &states[i], &results[i], &replaces[i]);
	}
	for (size_t i = 0; i < d.n_cas; i++)
		da_session_free(&d.cas[i].session);
	free(d.cas);
	if (!cfg->dry_run && any_due(results, decided))
		renew_due(cfg, trust_for(&d), certs, n, results, replaces, stop);
	da_http_free(d.trust);

	/* Stopped before some were even looked at: they are not "not due", and
	 * their saved state is left as it was. */
	for (size_t i = decided; i < n; i++) {
		results[i].outcome = DA_RENEW_FAILED;
		snprintf(results[i].error, sizeof(results[i].error),
			 "interrupted before it was checked");
	}
	for (size_t i = 0; i < decided; i++) {
		struct da_err save_err;

		if (results[i].outcome == DA_RENEW_RENEWED) {
			renewed++;
			states[i].failures = 0;
			states[i].last_success = time(NULL);
		} else if (results[i].outcome == DA_RENEW_FAILED && !cfg->dry_run) {
			states[i].failures++;
			states[i].last_failure = time(NULL);
		}
		if (!cfg->dry_run && certs[i].broken == NULL &&
		    da_renew_state_save(cfg->state_dir, certs[i].name, &states[i], &save_err) !=
			    DA_OK)
			da_logf(&log, DNSACME_LOG_WARN, "%s: renew state not saved: %s",
				certs[i].name, save_err.msg);
	}
	if (*stop)
		rc = da_err_set(err, DA_ERR_INTERRUPTED, "interrupted");
	if (rc == DA_OK && renewed > 0 && cfg->post_hook != NULL)
		rc = post_hook(cfg, certs, n, results, stop, err);
	if (cfg->metrics_textfile != NULL && !cfg->dry_run) {
		struct da_err metrics_err;

		if (da_renew_metrics_write(cfg->metrics_textfile, certs, n, results, states,
					   &metrics_err) != DA_OK && rc == DA_OK) {
			*err = metrics_err;
			rc = metrics_err.code;
		}
	}
	for (size_t i = 0; i < n; i++) {
		da_renew_state_clear(&states[i]);
		free(replaces[i]);
	}
	free(states);
	free(replaces);
	da_log_free(&log);
	return rc;
}

const char *da_renew_outcome_str(enum da_renew_outcome outcome)
{
	switch (outcome) {
	case DA_RENEW_NOT_DUE: return "not due";
	case DA_RENEW_DUE: return "due";
	case DA_RENEW_RENEWED: return "renewed";
	case DA_RENEW_FAILED: return "failed";
	}
	return "?";
}
