/*
 * The webhook's HTTPS server (libevent's evhttp over bufferevent_openssl,
 * so the whole binary has one TLS stack, OpenSSL): the event loop answers
 * health, discovery and metrics itself and hands each POST to a worker
 * thread; a worker runs the plugin (blocking provider calls), and the loop
 * sends the answer when the worker is done.
 *
 * Threads: the loop (all of libevent), the workers (the job queue, under
 * queue_lock), the refresher (auth.c's trust, under its own lock), and the
 * metrics (under metrics_lock). A request's job belongs to the loop until
 * queued, to one worker until done, then to the loop again.
 */
#include "webhook/webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/log.h"
#include "base/sleep.h"
#include "http/http.h"
#include "plugin/loader.h"
#include "webhook/auth.h"
#include "webhook/metrics.h"
#include "webhook/payload.h"
#include "webhook/solve.h"

#define MAX_HEADERS_SIZE 16384
#define MAX_BATCH 32
#define MAX_SOLVERS 16
#define RELOAD_EVERY_S 5
/* A provider's answer: well under cert-manager's 30 s per call. */
#define PROVIDER_TIMEOUT_MS 20000

struct job {
	struct server *srv;
	struct evhttp_request *req;
	char solver[64];
	char user[256];
	char batch_key[4096]; /* solver, namespace, ambient, config: who may share a call */
	struct da_challenge challenge;
	struct timespec started;
	int code;     /* the HTTP status to answer */
	char *answer; /* its JSON body */
	int gone;     /* the client hung up: nobody to answer */
	struct job *next;
};

/*
 * A connection's clock: each request must arrive whole within
 * cfg->request_deadline_s of the connection's start or of its previous answer
 * (libevent's idle timeout alone is reset by every byte a trickler sends).
 * Kept as the SSL object's ex_data, freed with it.
 */
struct conn {
	SSL *ssl;
	struct timespec since;
	int busy; /* a request of it is being served: its clock waits */
	struct conn *prev, *next;
};

struct server {
	const struct da_webhook_config *cfg;
	const volatile sig_atomic_t *stop;
	struct da_log log;
	struct event_base *base;
	struct evhttp *https;
	struct evhttp *metrics_http;
	struct evhttp_bound_socket *listener;
	SSL_CTX *tls;	      /* the current serving certificate (loop thread only) */
	struct timespec cert_mtime, key_mtime;
	struct da_auth auth;
	struct da_metrics metrics;
	char *plugin_dir; /* cfg's, else the default, resolved once (owned) */
	struct da_http *providers; /* the workers' provider clients are its siblings */
	char *solvers[MAX_SOLVERS];
	size_t n_solvers;
	char *discovery_list; /* APIResourceList, built once */
	char *discovery_group;
	char *discovery_apis;

	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond;
	struct job *queue, *queue_tail; /* waiting for a worker */
	struct job *done;		/* waiting for the loop to answer */
	int quit;
	pthread_t *workers;
	int n_workers;
	pthread_t refresher;
	struct event *done_event;
	struct event *tick;
	int in_flight; /* POSTs taken, not yet answered (loop thread only) */
	struct conn *conns; /* loop thread only */
	int conn_index;	    /* their SSL ex_data index */
	int draining;
	unsigned long ticks; /* of on_tick, every 100 ms */
};

/* --- answers -------------------------------------------------------------- */

static void reply(struct evhttp_request *req, int code, const char *type, const char *body)
{
	struct evbuffer *out = evbuffer_new();

	if (out != NULL && body != NULL)
		evbuffer_add(out, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, NULL, out);
	evbuffer_free(out);
}

static void reply_status(struct evhttp_request *req, int code, const char *reason,
			 const char *message)
{
	char *body = da_payload_status(code, reason, message);

	reply(req, code, "application/json", body ? body : "{}");
	free(body);
}

/* --- TLS -------------------------------------------------------------------- */

/* Ask for a client certificate, do not require one (kubelet's probes have
 * none); each request checks it against the front proxy's current CA. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static SSL_CTX *load_tls(const struct da_webhook_config *cfg, struct da_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		da_err_set(err, DA_ERR_CONFIG, "the serving certificate %s with key %s: %s",
			   cfg->tls_cert_file, cfg->tls_key_file,
			   ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"dnsacme", 7);
	return ctx;
}

static int changed(const char *path, struct timespec *seen)
{
	struct stat st;

	if (stat(path, &st) != 0 ||
	    (st.st_mtim.tv_sec == seen->tv_sec && st.st_mtim.tv_nsec == seen->tv_nsec))
		return 0;
	*seen = st.st_mtim;
	return 1;
}

/* cert-manager renews the serving certificate; the kubelet swaps the files. */
static void reload_tls(struct server *srv)
{
	struct da_err err = {0};
	SSL_CTX *fresh;
	int cert = changed(srv->cfg->tls_cert_file, &srv->cert_mtime);
	int key = changed(srv->cfg->tls_key_file, &srv->key_mtime);

	if (!cert && !key)
		return;
	fresh = load_tls(srv->cfg, &err);
	if (fresh == NULL) {
		da_logf(&srv->log, DNSACME_LOG_ERROR, "%s; the previous one stays in use", err.msg);
		return;
	}
	SSL_CTX_free(srv->tls); /* connections keep a reference of their own */
	srv->tls = fresh;
	da_logf(&srv->log, DNSACME_LOG_INFO, "serving certificate reloaded from %s",
		srv->cfg->tls_cert_file);
}

static SSL *ssl_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

/* OpenSSL frees the SSL object with its bufferevent: its clock goes too. */
static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int index, long argl,
		      void *argp)
{
	struct conn *c = ptr;
	struct server *srv = argp;

	(void)parent;
	(void)ad;
	(void)index;
	(void)argl;
	if (c == NULL)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static struct conn *conn_of(struct server *srv, SSL *ssl)
{
	return ssl ? SSL_get_ex_data(ssl, srv->conn_index) : NULL;
}

/* The connection's clock starts again (a request is in, an answer out). */
static void conn_restart(struct server *srv, SSL *ssl, int busy)
{
	struct conn *c = conn_of(srv, ssl);

	if (c != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &c->since);
		c->busy = busy;
	}
}

static struct bufferevent *new_connection(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	SSL *ssl = SSL_new(srv->tls);
	struct conn *c = ssl ? calloc(1, sizeof(*c)) : NULL;

	if (c == NULL || SSL_set_ex_data(ssl, srv->conn_index, c) != 1) {
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	c->ssl = ssl;
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

/* Cut the connections that are too slow to send a request: shut the socket
 * down, and libevent closes it as any closed connection. */
static void cut_slow_connections(struct server *srv)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		if (!c->busy && now.tv_sec - c->since.tv_sec >= srv->cfg->request_deadline_s &&
		    SSL_get_fd(c->ssl) >= 0) {
			shutdown(SSL_get_fd(c->ssl), SHUT_RDWR);
			c->busy = 1; /* once */
		}
}

/* --- discovery -------------------------------------------------------------- */

static enum da_code build_discovery(struct server *srv, struct da_err *err)
{
	const char *group = srv->cfg->group;
	json_t *resources = json_array(), *list, *entry, *group_doc, *apis;
	char version[300];

	snprintf(version, sizeof(version), "%s/v1alpha1", group);
	for (size_t i = 0; resources && i < srv->n_solvers; i++)
		json_array_append_new(
			resources, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:[s]}", "name",
					     srv->solvers[i], "singularName", "ChallengePayload",
					     "namespaced", 0, "group", "webhook.acme.cert-manager.io",
					     "version", "v1alpha1", "kind", "ChallengePayload",
					     "verbs", "create"));
	list = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			 "groupVersion", version, "resources", resources);
	/* The group as GET /apis/<group> names it, and inside GET /apis's list. */
	entry = json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", group, "versions",
			  "groupVersion", version, "version", "v1alpha1", "preferredVersion",
			  "groupVersion", version, "version", "v1alpha1");
	group_doc = entry ? json_deep_copy(entry) : NULL;
	if (group_doc && (json_object_set_new(group_doc, "kind", json_string("APIGroup")) ||
			  json_object_set_new(group_doc, "apiVersion", json_string("v1")))) {
		json_decref(group_doc);
		group_doc = NULL;
	}
	apis = entry ? json_pack("{s:s, s:s, s:[O]}", "kind", "APIGroupList", "apiVersion", "v1",
				 "groups", entry)
		     : NULL;
	json_decref(entry);
	srv->discovery_list = list ? json_dumps(list, JSON_COMPACT) : NULL;
	srv->discovery_group = group_doc ? json_dumps(group_doc, JSON_COMPACT) : NULL;
	srv->discovery_apis = apis ? json_dumps(apis, JSON_COMPACT) : NULL;
	json_decref(list);
	json_decref(group_doc);
	json_decref(apis);
	return srv->discovery_list && srv->discovery_group && srv->discovery_apis
		       ? DA_OK
		       : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

/* The solvers: each installed plugin, and alidns also as "alidns-solver". */
static enum da_code find_solvers(struct server *srv, struct da_err *err)
{
	char **names = NULL;
	size_t n = 0;
	enum da_code rc = DA_OK;

	/* Once, here: the workers load plugins from this directory. */
	if (srv->cfg->plugin_dir != NULL)
		srv->plugin_dir = strdup(srv->cfg->plugin_dir);
	else
		rc = da_plugin_default_dir(&srv->plugin_dir, err);
	if (rc == DA_OK && srv->plugin_dir == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = da_plugin_list(srv->plugin_dir, &names, &n, err);
	for (size_t i = 0; rc == DA_OK && i < n && srv->n_solvers + 2 <= MAX_SOLVERS; i++) {
		srv->solvers[srv->n_solvers++] = strdup(names[i]);
		if (strcmp(names[i], "alidns") == 0)
			srv->solvers[srv->n_solvers++] = strdup("alidns-solver");
	}
	da_plugin_names_free(names, n);
	if (rc == DA_OK && srv->n_solvers == 0)
		rc = da_err_set(err, DA_ERR_CONFIG, "no plugins installed: nothing to solve with");
	return rc;
}

static int known_solver(const struct server *srv, const char *name)
{
	for (size_t i = 0; i < srv->n_solvers; i++)
		if (strcmp(srv->solvers[i], name) == 0)
			return 1;
	return 0;
}

/* --- workers ---------------------------------------------------------------- */

static void queue_push(struct server *srv, struct job *job)
{
	pthread_mutex_lock(&srv->queue_lock);
	job->next = NULL;
	if (srv->queue_tail)
		srv->queue_tail->next = job;
	else
		srv->queue = job;
	srv->queue_tail = job;
	pthread_cond_signal(&srv->queue_cond);
	pthread_mutex_unlock(&srv->queue_lock);
}

/* How long until job may be taken (0: now). Presents that arrive together
 * (an apex and its wildcard) wait a moment for each other: one plugin call,
 * one UPDATE per zone for rfc2136. */
static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static long wait_ms(const struct job *job, long window)
{
	long age;

	if (job->challenge.action != DA_ACTION_PRESENT)
		return 0;
	age = ms_since(&job->started);
	return age < window ? window - age : 0;
}

/* Take the next job and those queued that may share its plugin call. */
static size_t queue_take(struct server *srv, struct job **batch)
{
	size_t n = 0;
	long wait;

	pthread_mutex_lock(&srv->queue_lock);
	for (;;) {
		while (srv->queue == NULL && !srv->quit)
			pthread_cond_wait(&srv->queue_cond, &srv->queue_lock);
		if (srv->queue == NULL) {
			pthread_mutex_unlock(&srv->queue_lock);
			return 0;
		}
		if ((wait = wait_ms(srv->queue, srv->cfg->batch_window_ms)) == 0)
			break;
		pthread_mutex_unlock(&srv->queue_lock);
		da_sleep_ms(wait, NULL);
		pthread_mutex_lock(&srv->queue_lock);
	}
	batch[n++] = srv->queue;
	srv->queue = srv->queue->next;
	for (struct job **p = &srv->queue; *p != NULL && n < MAX_BATCH &&
					   batch[0]->challenge.action == DA_ACTION_PRESENT;) {
		if ((*p)->challenge.action == DA_ACTION_PRESENT &&
		    strcmp((*p)->batch_key, batch[0]->batch_key) == 0) {
			batch[n++] = *p;
			*p = (*p)->next;
		} else {
			p = &(*p)->next;
		}
	}
	srv->queue_tail = NULL;
	for (struct job *j = srv->queue; j != NULL; j = j->next)
		srv->queue_tail = j;
	pthread_mutex_unlock(&srv->queue_lock);
	return n;
}

static void *worker(void *arg)
{
	struct server *srv = arg;
	struct da_solver solver = {
		.plugin_dir = srv->plugin_dir,
		.k8s = srv->cfg->k8s,
		.lenient = srv->cfg->lenient,
		.allow_endpoints = srv->cfg->allow_endpoints,
		.stop = NULL, /* a stop lets requests in flight finish */
		.providers = srv->providers,
	};
	struct job *batch[MAX_BATCH];
	struct da_challenge *challenges[MAX_BATCH];
	size_t n;

	while ((n = queue_take(srv, batch)) > 0) {
		const struct da_solver_batch b = {batch[0]->solver, challenges, n};
		struct da_err err = {0};
		struct timespec solving;
		enum da_code rc;
		long provider_ms;

		for (size_t i = 0; i < n; i++)
			challenges[i] = &batch[i]->challenge;
		clock_gettime(CLOCK_MONOTONIC, &solving);
		rc = da_solver_run(&solver, &b, &err);
		provider_ms = ms_since(&solving);
		for (size_t i = 0; i < n; i++) {
			struct job *job = batch[i];
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			job->code = 201;
			job->answer = da_payload_answer(&job->challenge, rc == DA_OK ? NULL : err.msg);
			da_metrics_request(&srv->metrics, job->solver,
					   job->challenge.action == DA_ACTION_PRESENT ? "Present"
										      : "CleanUp",
					   rc == DA_OK ? NULL : da_code_str(rc),
					   (double)(now.tv_sec - job->started.tv_sec) +
						   (now.tv_nsec - job->started.tv_nsec) / 1e9);
			da_logf(&srv->log, rc == DA_OK ? DNSACME_LOG_INFO : DNSACME_LOG_WARN,
				"%s %s %s (solver %s, user %s, %zu in the call): %s (%ld ms, the "
				"provider %ld ms)",
				job->challenge.action == DA_ACTION_PRESENT ? "present" : "cleanup",
				job->challenge.fqdn, job->challenge.key, job->solver, job->user, n,
				rc == DA_OK ? "done" : err.msg, ms_since(&job->started), provider_ms);
			pthread_mutex_lock(&srv->queue_lock);
			job->next = srv->done;
			srv->done = job;
			pthread_mutex_unlock(&srv->queue_lock);
		}
		event_active(srv->done_event, EV_READ, 0);
	}
	da_solver_free(&solver);
	return NULL;
}

static void job_free(struct job *job)
{
	json_decref(job->challenge.root);
	free(job->answer);
	free(job);
}

/* A job's answer is written out: its request leaves the count. */
static void on_answered(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;

	evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
	srv->in_flight--;
}

/* The client hung up before its answer was written out. */
static void on_unanswered(struct evhttp_connection *evcon, void *arg)
{
	struct server *srv = arg;

	(void)evcon;
	srv->in_flight--;
}

/*
 * In the loop: answer what the workers finished. An answer stays in flight
 * until it is written out (on_answered) or its client is gone
 * (on_unanswered): a drain that ended when the answer was only queued
 * closed the connection under it.
 */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct job *done;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->queue_lock);
	done = srv->done;
	srv->done = NULL;
	pthread_mutex_unlock(&srv->queue_lock);
	while (done != NULL) {
		struct job *next = done->next;

		if (done->gone) {
			evhttp_request_free(done->req);
			srv->in_flight--;
		} else {
			evhttp_connection_set_closecb(evhttp_request_get_connection(done->req),
						      on_unanswered, srv);
			evhttp_request_set_on_complete_cb(done->req, on_answered, srv);
			conn_restart(srv, ssl_of(done->req), 0);
			if (done->answer)
				reply(done->req, done->code, "application/json", done->answer);
			else
				reply_status(done->req, 500, "InternalError", "out of memory");
		}
		job_free(done);
		done = next;
	}
}

/* The client hung up while its job ran: its request is ours to free. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct job *job = arg;

	(void)evcon;
	job->gone = 1;
}

/* --- requests --------------------------------------------------------------- */

static const char *header_of(void *ctx, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(ctx), name);
}

static int listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int is_health(const char *path)
{
	static const char *const paths[] = {"/healthz", "/livez", "/readyz", "/healthz/ping",
					    "/livez/ping", "/readyz/ping"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(path, paths[i]) == 0)
			return 1;
	return 0;
}

static void post(struct server *srv, struct evhttp_request *req, const char *solver,
		 const char *user)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(req),
					      "Content-Type");
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct job *job;
	struct da_err err = {0};
	char *config = NULL;
	size_t len = evbuffer_get_length(in);
	enum da_code rc;

	if (srv->cfg->allowed_users && !listed(srv->cfg->allowed_users, user)) {
		reply_status(req, 403, "Forbidden", "this user may not call the solvers "
			     "(--allowed-user)");
		return;
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		reply_status(req, 415, "UnsupportedMediaType", "the body must be application/json");
		return;
	}
	if (query != NULL && strstr(query, "dryRun") != NULL) {
		reply_status(req, 400, "BadRequest", "dryRun is not supported");
		return;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		reply_status(req, 500, "InternalError", "out of memory");
		return;
	}
	rc = da_payload_parse((const char *)evbuffer_pullup(in, -1), len, srv->cfg->group,
			      &job->challenge, &err);
	if (rc == DA_ERR_USAGE) {
		reply_status(req, 400, "BadRequest", err.msg);
		job_free(job);
		return;
	}
	if (rc != DA_OK) {
		/* Decoded, but not servable: a failure answer, as the solver's. */
		char *answer = da_payload_answer(&job->challenge, err.msg);

		da_metrics_request(&srv->metrics, solver,
				   job->challenge.action == DA_ACTION_PRESENT ? "Present" : "CleanUp",
				   da_code_str(rc), 0);
		reply(req, 201, "application/json", answer ? answer : "{}");
		free(answer);
		job_free(job);
		return;
	}
	snprintf(job->solver, sizeof(job->solver), "%s", solver);
	snprintf(job->user, sizeof(job->user), "%s", user);
	config = job->challenge.config ? json_dumps(job->challenge.config,
						    JSON_COMPACT | JSON_SORT_KEYS)
				       : NULL;
	snprintf(job->batch_key, sizeof(job->batch_key), "%s|%s|%d|%s", solver,
		 job->challenge.namespace, job->challenge.allow_ambient, config ? config : "");
	free(config);
	clock_gettime(CLOCK_MONOTONIC, &job->started);
	job->srv = srv;
	job->req = req;
	evhttp_request_own(req);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, job);
	srv->in_flight++;
	conn_restart(srv, ssl_of(req), 1);
	queue_push(srv, job);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char group_path[300], prefix[320], user[256];
	struct da_err err = {0};
	size_t prefix_len;

	if (path == NULL)
		path = "/";
	conn_restart(srv, ssl_of(req), 0);
	if (is_health(path)) {
		int ready = strncmp(path, "/readyz", 7) != 0 ||
			    (srv->tls != NULL && da_auth_ready(&srv->auth));

		reply(req, ready ? 200 : 500, "text/plain; charset=utf-8", ready ? "ok" : "not ready");
		return;
	}
	/* Nothing else without the front proxy's certificate: never a
	 * fallback to trusting headers. */
	if (da_auth_check(&srv->auth, ssl_of(req), header_of, req, user, sizeof(user), &err) !=
	    DA_OK) {
		reply_status(req, 401, "Unauthorized", "Unauthorized");
		da_logf(&srv->log, DNSACME_LOG_DEBUG, "401 for %s: %s", path, err.msg);
		return;
	}
	if (strcmp(path, "/metrics") == 0 && method == EVHTTP_REQ_GET) {
		char *text = da_metrics_text(&srv->metrics);

		reply(req, 200, "text/plain; version=0.0.4", text ? text : "");
		free(text);
		return;
	}
	snprintf(group_path, sizeof(group_path), "/apis/%s", srv->cfg->group);
	snprintf(prefix, sizeof(prefix), "%s/v1alpha1", group_path);
	prefix_len = strlen(prefix);
	if (strcmp(path, "/apis") == 0 || strcmp(path, group_path) == 0 ||
	    strcmp(path, prefix) == 0) {
		const char *doc = strcmp(path, prefix) == 0	? srv->discovery_list
				  : strcmp(path, group_path) == 0 ? srv->discovery_group
								  : srv->discovery_apis;

		if (method != EVHTTP_REQ_GET)
			reply_status(req, 405, "MethodNotAllowed",
				     "the server does not allow this method on the requested "
				     "resource");
		else
			reply(req, 200, "application/json", doc);
		return;
	}
	if (strncmp(path, prefix, prefix_len) == 0 && path[prefix_len] == '/' &&
	    known_solver(srv, path + prefix_len + 1)) {
		if (method != EVHTTP_REQ_POST)
			reply_status(req, 405, "MethodNotAllowed",
				     "the server does not allow this method on the requested "
				     "resource");
		else if (srv->draining)
			reply_status(req, 503, "ServiceUnavailable", "shutting down");
		else
			post(srv, req, path + prefix_len + 1, user);
		return;
	}
	reply_status(req, 404, "NotFound", "the server could not find the requested resource");
}

/* --- the loop ----------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (++srv->ticks % (RELOAD_EVERY_S * 10) == 0)
		reload_tls(srv);
	if (srv->ticks % 10 == 0)
		cut_slow_connections(srv);
	if (*srv->stop && !srv->draining) {
		srv->draining = 1;
		if (srv->listener)
			evhttp_del_accept_socket(srv->https, srv->listener);
		srv->listener = NULL;
		da_logf(&srv->log, DNSACME_LOG_INFO, "stopping: %d request%s in flight",
			srv->in_flight, srv->in_flight == 1 ? "" : "s");
	}
	if (srv->draining && srv->in_flight == 0)
		event_base_loopexit(srv->base, NULL);
}

static void *refresher(void *arg)
{
	struct server *srv = arg;

	while (!srv->quit) {
		da_auth_refresh(&srv->auth);
		da_sleep_ms(1000, NULL);
	}
	return NULL;
}

static enum da_code listen_on(struct server *srv, struct evhttp *http, int port,
			      struct evhttp_bound_socket **handle, struct da_err *err)
{
	const char *address = srv->cfg->bind_address ? srv->cfg->bind_address : "0.0.0.0";

	int one = 1;

	*handle = evhttp_bind_socket_with_handle(http, address, (ev_uint16_t)port);
	if (*handle == NULL)
		return da_err_set(err, DA_ERR_IO, "cannot listen on %s port %d: %s", address, port,
				  strerror(errno));
	/* Accepted sockets inherit it: an answer's TLS records go out at once,
	 * not after the client's delayed ACK. */
	setsockopt(evhttp_bound_socket_get_fd(*handle), IPPROTO_TCP, TCP_NODELAY, &one,
		   sizeof(one));
	return DA_OK;
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char *text;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		reply(req, 404, "text/plain; charset=utf-8", "not found");
		return;
	}
	text = da_metrics_text(&srv->metrics);
	reply(req, 200, "text/plain; version=0.0.4", text ? text : "");
	free(text);
}

static enum da_code start(struct server *srv, struct da_err *err)
{
	struct evhttp_bound_socket *metrics_socket = NULL;
	const struct timeval tenth = {0, 100000};
	enum da_code rc = DA_OK;

	srv->conn_index = SSL_get_ex_new_index(0, srv, NULL, NULL, conn_free);
	if (srv->conn_index < 0 || evthread_use_pthreads() != 0 ||
	    (srv->base = event_base_new()) == NULL ||
	    (srv->https = evhttp_new(srv->base)) == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "cannot set up the event loop");
	srv->tls = load_tls(srv->cfg, err);
	if (srv->tls == NULL)
		return err->code;
	changed(srv->cfg->tls_cert_file, &srv->cert_mtime);
	changed(srv->cfg->tls_key_file, &srv->key_mtime);
	rc = find_solvers(srv, err);
	if (rc == DA_OK)
		rc = build_discovery(srv, err);
	/* It logs nothing: its siblings outlive every batch's log. */
	if (rc == DA_OK)
		rc = da_http_new(&srv->providers,
				 &(const struct da_http_config){.timeout_ms = PROVIDER_TIMEOUT_MS},
				 NULL, err);
	if (rc != DA_OK)
		return rc;
	evhttp_set_bevcb(srv->https, new_connection, srv);
	evhttp_set_gencb(srv->https, on_request, srv);
	evhttp_set_max_body_size(srv->https, DA_PAYLOAD_MAX_BODY);
	evhttp_set_max_headers_size(srv->https, MAX_HEADERS_SIZE);
	evhttp_set_timeout(srv->https, srv->cfg->request_deadline_s);
	evhttp_set_allowed_methods(srv->https, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						       EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
						       EVHTTP_REQ_HEAD);
	rc = listen_on(srv, srv->https, srv->cfg->port, &srv->listener, err);
	if (rc == DA_OK && srv->cfg->metrics_port > 0) {
		srv->metrics_http = evhttp_new(srv->base);
		if (srv->metrics_http == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		evhttp_set_gencb(srv->metrics_http, on_metrics, srv);
		evhttp_set_timeout(srv->metrics_http, srv->cfg->request_deadline_s);
		rc = listen_on(srv, srv->metrics_http, srv->cfg->metrics_port, &metrics_socket, err);
	}
	if (rc != DA_OK)
		return rc;
	srv->done_event = event_new(srv->base, -1, EV_PERSIST | EV_READ, on_done, srv);
	srv->tick = event_new(srv->base, -1, EV_PERSIST, on_tick, srv);
	if (srv->done_event == NULL || srv->tick == NULL || event_add(srv->done_event, NULL) ||
	    event_add(srv->tick, &tenth))
		return da_err_set(err, DA_ERR_NOMEM, "cannot set up the event loop");
	return DA_OK;
}

static void shut_down(struct server *srv)
{
	pthread_mutex_lock(&srv->queue_lock);
	srv->quit = 1;
	pthread_cond_broadcast(&srv->queue_cond);
	pthread_mutex_unlock(&srv->queue_lock);
	for (int i = 0; i < srv->n_workers; i++)
		pthread_join(srv->workers[i], NULL);
	if (srv->refresher)
		pthread_join(srv->refresher, NULL);
	free(srv->workers);
	if (srv->done_event)
		event_free(srv->done_event);
	if (srv->tick)
		event_free(srv->tick);
	if (srv->metrics_http)
		evhttp_free(srv->metrics_http);
	if (srv->https)
		evhttp_free(srv->https);
	if (srv->base)
		event_base_free(srv->base);
	SSL_CTX_free(srv->tls);
	da_http_free(srv->providers);
	da_auth_free(&srv->auth);
	da_metrics_free(&srv->metrics);
	for (size_t i = 0; i < srv->n_solvers; i++)
		free(srv->solvers[i]);
	free(srv->plugin_dir);
	free(srv->discovery_list);
	free(srv->discovery_group);
	free(srv->discovery_apis);
	pthread_mutex_destroy(&srv->queue_lock);
	pthread_cond_destroy(&srv->queue_cond);
	da_log_free(&srv->log);
}

enum da_code da_webhook_serve(const struct da_webhook_config *cfg,
			      const volatile sig_atomic_t *stop, struct da_err *err)
{
	struct server srv = {.cfg = cfg, .stop = stop};
	enum da_code rc;

	da_log_init(&srv.log, DNSACME_LOG_INFO, stderr);
	/* A client that hangs up mid-answer is an error on its connection,
	 * not the end of the server. */
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&srv.queue_lock, NULL);
	pthread_cond_init(&srv.queue_cond, NULL);
	da_metrics_init(&srv.metrics);
	srv.auth = (struct da_auth){.ca_file = cfg->client_ca_file,
				    .allowed_names = cfg->allowed_names,
				    .k8s = cfg->k8s,
				    .log = &srv.log};
	da_auth_init(&srv.auth);
	rc = start(&srv, err);
	if (rc == DA_OK) {
		srv.workers = calloc((size_t)cfg->workers, sizeof(*srv.workers));
		if (srv.workers == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (int i = 0; rc == DA_OK && i < cfg->workers; i++, srv.n_workers++)
		if (pthread_create(&srv.workers[i], NULL, worker, &srv) != 0)
			rc = da_err_set(err, DA_ERR_INTERNAL, "cannot start a worker thread");
	if (rc == DA_OK && pthread_create(&srv.refresher, NULL, refresher, &srv) != 0)
		rc = da_err_set(err, DA_ERR_INTERNAL, "cannot start the refresher thread");
	if (rc == DA_OK) {
		char names[512] = "";

		for (size_t i = 0; i < srv.n_solvers; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", srv.solvers[i]);
		da_logf(&srv.log, DNSACME_LOG_INFO,
			"serving group %s on port %d: solvers %s; the front proxy's CA %s",
			cfg->group, cfg->port, names,
			da_auth_ready(&srv.auth) ? "is loaded" : "is not loaded yet (401 until it is)");
		event_base_dispatch(srv.base);
	}
	shut_down(&srv);
	return rc;
}
