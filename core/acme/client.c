/* The client's transport: directory, nonces, signed POSTs and their retries. */
#include "acme/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/parse.h"
#include "base/sleep.h"
#include "crypto/crypto.h"

/* Network errors, 5xx, 429 and 503: this many attempts in all. */
#define MAX_ATTEMPTS 4
/* badNonce answers retried in a row. Each costs one round trip and brings
 * its own fresh nonce; a CA that rejects half its nonces still gets through
 * a 100-name order (300 POSTs) with this many (0.5^21 per POST). */
#define MAX_BAD_NONCES 20
/* A Retry-After longer than this is not waited for: the run fails now and
 * reports the CA's message, rather than hanging a CronJob for hours. */
#define MAX_RETRY_AFTER_MS (120L * 1000)

#define BAD_NONCE "urn:ietf:params:acme:error:badNonce"

enum da_code acme_sleep(const struct da_acme *client, long ms, struct da_err *err)
{
	if (da_sleep_ms(ms, client->stop))
		return da_err_set(err, DA_ERR_INTERRUPTED, "interrupted");
	return DA_OK;
}

/* Is this outcome of one exchange worth another attempt? */
static int transient(enum da_code rc, const struct dnsacme_http_response *resp)
{
	if (rc == DA_ERR_NETWORK || rc == DA_ERR_TIMEOUT)
		return 1;
	return rc == DA_OK && (resp->status >= 500 || resp->status == 429);
}

/*
 * How long to wait before attempt number attempt + 1: the answer's
 * Retry-After when it gave one, else about 1 s, 2 s, 4 s ... with jitter.
 * -1 when Retry-After asks for longer than we are willing to wait.
 */
static long retry_delay_ms(enum da_code rc, const struct dnsacme_http_response *resp,
			   unsigned attempt)
{
	if (rc == DA_OK) {
		long after = da_http_retry_after_ms(resp, time(NULL));

		if (after > MAX_RETRY_AFTER_MS)
			return -1;
		if (after >= 0)
			return after;
	}
	return da_backoff_ms(attempt, 2000L, MAX_RETRY_AFTER_MS);
}

/*
 * Decide about one finished exchange. *final set: the caller returns rc as
 * it is (with *resp when rc is DA_OK). *final clear: *resp was released and
 * the pause before the next attempt is over (DA_OK) or was cut short by the
 * stop flag (DA_ERR_INTERRUPTED).
 */
static enum da_code after_attempt(struct da_acme *client, const char *method, const char *url,
				  enum da_code rc, struct dnsacme_http_response *resp,
				  unsigned attempt, int *final, struct da_err *err)
{
	long delay;

	*final = 1;
	if (!transient(rc, resp) || attempt >= MAX_ATTEMPTS)
		return rc;
	delay = retry_delay_ms(rc, resp, attempt);
	if (delay < 0)
		return rc;
	if (rc == DA_OK)
		da_logf(client->log, DNSACME_LOG_INFO, "%s %s: HTTP %ld, retrying in %ld ms",
			method, url, resp->status, delay);
	else
		da_logf(client->log, DNSACME_LOG_INFO, "%s; retrying in %ld ms",
			err ? err->msg : url, delay);
	da_http_response_free(resp);
	*final = 0;
	return acme_sleep(client, delay, err);
}

static int has_scheme(const char *url, const char *scheme_colon_slashes)
{
	return strncasecmp(url, scheme_colon_slashes, strlen(scheme_colon_slashes)) == 0;
}

/* A URL the CA handed out may not be weaker than its directory: with an
 * HTTPS directory, an http:// order or certificate URL is refused rather
 * than followed in clear. */
static enum da_code check_url(const struct da_acme *client, const char *url, struct da_err *err)
{
	if (url == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "the CA's answer lacks a URL it needs");
	if (has_scheme(url, "https://") || (!client->https && has_scheme(url, "http://")))
		return DA_OK;
	return da_err_set(err, DA_ERR_PROTOCOL,
			  "the CA sent the URL %s, which is not HTTPS like its directory %s", url,
			  client->directory_url);
}

/* The connection this thread sends on: a lane while it runs acme_each()'s
 * calls, else the client's own. Thread-local, so the resource calls stay
 * the same whichever thread runs them. */
static __thread struct da_http *lane;

void acme_use_lane(struct da_http *http)
{
	lane = http;
}

static struct da_http *http_of(const struct da_acme *client)
{
	return lane ? lane : client->http;
}

/* One unsigned request (GET, HEAD), retried like the POSTs are. */
static enum da_code request(struct da_acme *client, const char *method, const char *url,
			    struct dnsacme_http_response *resp, struct da_err *err)
{
	struct dnsacme_http_request req = {.method = method, .url = url};
	enum da_code checked = check_url(client, url, err);

	if (checked != DA_OK)
		return checked;
	for (unsigned attempt = 1;; attempt++) {
		enum da_code rc = da_http_do(http_of(client), &req, resp, err);
		int final;

		rc = after_attempt(client, method, url, rc, resp, attempt, &final, err);
		if (final || rc != DA_OK)
			return rc;
	}
}

enum da_code acme_get(struct da_acme *client, const char *url,
		      struct dnsacme_http_response *resp, struct da_err *err)
{
	return request(client, "GET", url, resp, err);
}

/* Keep the answer's Replay-Nonce, if it carried one, for a next POST; the
 * oldest goes when the pool is full (a CA may expire old ones first). */
static enum da_code keep_nonce(struct da_acme *client, const struct dnsacme_http_response *resp,
			       struct da_err *err)
{
	const char *nonce = da_http_header(resp, "replay-nonce");
	char *copy;

	if (nonce == NULL || nonce[0] == '\0')
		return DA_OK;
	if ((copy = strdup(nonce)) == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&client->lock);
	if (client->n_nonces == ACME_NONCE_POOL) {
		free(client->nonces[0]);
		memmove(client->nonces, client->nonces + 1,
			(ACME_NONCE_POOL - 1) * sizeof(*client->nonces));
		client->n_nonces--;
	}
	client->nonces[client->n_nonces++] = copy;
	pthread_mutex_unlock(&client->lock);
	return DA_OK;
}

/* The newest nonce of the pool (free()), or NULL when it is empty. */
static char *take_nonce(struct da_acme *client)
{
	char *nonce = NULL;

	pthread_mutex_lock(&client->lock);
	if (client->n_nonces > 0)
		nonce = client->nonces[--client->n_nonces];
	pthread_mutex_unlock(&client->lock);
	return nonce;
}

/* A nonce for one POST in *nonce (free()): the pool's, else a fresh one. */
static enum da_code get_nonce(struct da_acme *client, char **nonce, struct da_err *err)
{
	struct dnsacme_http_response resp;
	enum da_code rc;

	if ((*nonce = take_nonce(client)) != NULL)
		return DA_OK;
	rc = request(client, "HEAD", client->dir.new_nonce, &resp, err);
	if (rc != DA_OK)
		return da_err_wrap(err, "fetching a nonce");
	rc = keep_nonce(client, &resp, err);
	if (rc == DA_OK && (*nonce = take_nonce(client)) == NULL)
		rc = da_err_set(err, DA_ERR_PROTOCOL, "%s: HTTP %ld without a Replay-Nonce",
				client->dir.new_nonce, resp.status);
	da_http_response_free(&resp);
	return rc;
}

/* Is this a badNonce error (RFC 8555 6.5)? */
static int bad_nonce(const struct dnsacme_http_response *resp)
{
	json_t *problem;
	const char *type;
	int hit;

	if (resp->status != 400 || resp->body == NULL)
		return 0;
	problem = json_loadb(resp->body, resp->body_len, 0, NULL);
	type = da_acme_problem_type(problem);
	hit = type != NULL && strcmp(type, BAD_NONCE) == 0;
	json_decref(problem);
	return hit;
}

enum da_code acme_post(struct da_acme *client, const struct acme_signer *signer,
		       const char *url, const char *payload, const char *accept,
		       struct dnsacme_http_response *resp, struct da_err *err)
{
	struct dnsacme_http_header headers[] = {
		{"Content-Type", "application/jose+json"},
		{"Accept", accept},
	};
	struct dnsacme_http_request req = {
		.method = "POST",
		.url = url,
		.headers = headers,
		.n_headers = accept ? 2 : 1,
	};
	unsigned bad_nonces = 0;
	enum da_code checked = check_url(client, url, err);

	if (checked != DA_OK)
		return checked;
	for (unsigned attempt = 1;;) {
		char *body = NULL, *nonce = NULL;
		enum da_code rc;
		int final;

		rc = get_nonce(client, &nonce, err);
		/* One signature at a time: the key's process answers one request. */
		if (rc == DA_OK) {
			pthread_mutex_lock(&client->lock);
			rc = da_crypto_jws_sign(signer->key, signer->kid, nonce, url, payload, &body,
						err);
			pthread_mutex_unlock(&client->lock);
		}
		/* A nonce is good for one request, whatever becomes of it. */
		free(nonce);
		if (rc != DA_OK)
			return rc;
		req.body = body;
		req.body_len = strlen(body);
		rc = da_http_do(http_of(client), &req, resp, err);
		free(body);
		if (rc == DA_OK) {
			rc = keep_nonce(client, resp, err);
			if (rc != DA_OK) {
				da_http_response_free(resp);
				return rc;
			}
			if (bad_nonce(resp) && ++bad_nonces <= MAX_BAD_NONCES) {
				da_logf(client->log, DNSACME_LOG_DEBUG,
					"POST %s: badNonce, retrying with a fresh nonce", url);
				da_http_response_free(resp);
				continue;
			}
		}
		rc = after_attempt(client, "POST", url, rc, resp, attempt++, &final, err);
		if (final || rc != DA_OK)
			return rc;
	}
}

/* Did the CA refuse the request for its kid? Pebble says malformed ("JWS
 * verification error") for a kid of another key, Boulder unauthorized;
 * both say accountDoesNotExist for a kid they do not know. */
static int kid_refused(const struct dnsacme_http_response *resp)
{
	static const char *const types[] = {
		"urn:ietf:params:acme:error:accountDoesNotExist",
		"urn:ietf:params:acme:error:unauthorized",
		"urn:ietf:params:acme:error:malformed",
	};
	json_t *problem;
	const char *type;
	int hit = 0;

	if (resp->status != 400 && resp->status != 401 && resp->status != 403)
		return 0;
	problem = json_loadb(resp->body, resp->body_len, 0, NULL);
	type = da_acme_problem_type(problem);
	for (size_t i = 0; type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		hit |= strcmp(type, types[i]) == 0;
	json_decref(problem);
	return hit;
}

enum da_code acme_post_account(struct da_acme *client, const char *url, const char *payload,
			       struct dnsacme_http_response *resp, struct da_err *err)
{
	struct acme_signer signer = {client->key, client->kid};
	enum da_code rc;

	if (client->kid == NULL)
		return da_err_set(err, DA_ERR_USAGE, "no ACME account selected");
	rc = acme_post(client, &signer, url, payload, NULL, resp, err);
	if (rc != DA_OK || client->kid_confirmed)
		return rc;
	if (!kid_refused(resp)) {
		client->kid_confirmed = resp->status >= 200 && resp->status < 300;
		return DA_OK;
	}
	da_http_response_free(resp);
	rc = acme_account_relookup(client, err);
	if (rc != DA_OK)
		return rc;
	signer.kid = client->kid;
	return acme_post(client, &signer, url, payload, NULL, resp, err);
}

enum da_code acme_check(const struct dnsacme_http_response *resp, const char *what,
			json_t **problem, struct da_err *err)
{
	char text[DA_ERR_MSG_MAX], when[64] = "";
	json_t *doc;
	long after;

	if (problem != NULL)
		*problem = NULL;
	if (resp->status >= 200 && resp->status < 300)
		return DA_OK;
	/* A refusal that names a wait (429, 503) says how long. */
	after = da_http_retry_after_ms(resp, time(NULL));
	if (after >= 0)
		snprintf(when, sizeof(when), " (the CA says retry after %ld s)", after / 1000);
	doc = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	if (da_acme_problem_type(doc) == NULL) {
		json_decref(doc);
		return da_err_set(err, DA_ERR_CA, "%s: HTTP %ld%s", what, resp->status, when);
	}
	da_acme_problem_format(doc, text, sizeof(text));
	if (problem != NULL)
		*problem = doc;
	else
		json_decref(doc);
	return da_err_set(err, DA_ERR_CA, "%s: %s%s", what, text, when);
}

enum da_code acme_object(const struct dnsacme_http_response *resp, const char *url,
			 const char *what, json_t **out, struct da_err *err)
{
	enum da_code rc = acme_check(resp, what, NULL, err);

	if (rc != DA_OK)
		return rc;
	return da_acme_json_parse(resp->body, resp->body_len, url, out, err);
}

enum da_code da_acme_new(struct da_acme **out, const struct da_acme_config *cfg,
			 struct da_err *err)
{
	struct dnsacme_http_response resp;
	struct da_acme *client;
	json_t *obj = NULL;
	enum da_code rc;

	/* Plain HTTP only for a test CA on this machine. */
	if (!has_scheme(cfg->directory_url, "https://") &&
	    !(has_scheme(cfg->directory_url, "http://") &&
	      da_http_url_host(cfg->directory_url) == DA_HTTP_HOST_LOOPBACK))
		return da_err_set(err, DA_ERR_CONFIG,
				  "ACME server %s is not HTTPS (plain HTTP is accepted only on "
				  "loopback, for test CAs)",
				  cfg->directory_url);
	client = calloc(1, sizeof(*client));
	if (client == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	client->https = has_scheme(cfg->directory_url, "https://");
	client->http = cfg->http;
	client->lanes = cfg->lanes;
	client->n_lanes = cfg->lanes ? cfg->n_lanes : 0;
	pthread_mutex_init(&client->lock, NULL);
	client->log = cfg->log;
	client->stop = cfg->stop;
	client->directory_url = strdup(cfg->directory_url);
	if (client->directory_url == NULL) {
		pthread_mutex_destroy(&client->lock);
		free(client);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	rc = acme_get(client, client->directory_url, &resp, err);
	if (rc == DA_OK) {
		rc = acme_object(&resp, client->directory_url, "fetching the ACME directory", &obj,
				 err);
		da_http_response_free(&resp);
	}
	if (rc == DA_OK)
		rc = da_acme_directory_parse(obj, client->directory_url, &client->dir, err);
	json_decref(obj);
	if (rc != DA_OK) {
		da_acme_free(client);
		return rc;
	}
	*out = client;
	return DA_OK;
}

void da_acme_free(struct da_acme *client)
{
	if (client == NULL)
		return;
	da_acme_directory_clear(&client->dir);
	free(client->directory_url);
	for (size_t i = 0; i < client->n_nonces; i++)
		free(client->nonces[i]);
	pthread_mutex_destroy(&client->lock);
	free(client->kid);
	free(client->thumbprint);
	free(client);
}

/* --- requests in parallel -------------------------------------------------- */

struct each {
	struct da_acme *client;
	size_t n, next;
	acme_each_fn *fn;
	void *arg;
	pthread_mutex_t lock; /* next, rc, err */
	enum da_code rc;
	struct da_err err;
};

struct each_lane {
	struct each *each;
	struct da_http *http;
};

/* Take items until there are none, or one failed. */
static void each_run(struct each *e)
{
	for (;;) {
		struct da_err err = {0};
		enum da_code rc;
		size_t i;

		pthread_mutex_lock(&e->lock);
		i = e->rc == DA_OK ? e->next++ : e->n;
		pthread_mutex_unlock(&e->lock);
		if (i >= e->n)
			return;
		rc = e->fn(e->client, i, e->arg, &err);
		pthread_mutex_lock(&e->lock);
		if (rc != DA_OK && e->rc == DA_OK) {
			e->rc = rc;
			e->err = err;
		}
		pthread_mutex_unlock(&e->lock);
	}
}

static void *each_thread(void *arg)
{
	struct each_lane *l = arg;

	acme_use_lane(l->http);
	each_run(l->each);
	return NULL;
}

enum da_code acme_each(struct da_acme *client, size_t n, acme_each_fn *fn, void *arg,
		       struct da_err *err)
{
	struct each e = {.client = client, .n = n, .fn = fn, .arg = arg};
	size_t n_threads = client->n_lanes < n ? client->n_lanes : (n > 0 ? n - 1 : 0);
	pthread_t threads[DA_ACME_MAX_LANES];
	struct each_lane lanes[DA_ACME_MAX_LANES];
	size_t started = 0;

	if (n_threads > DA_ACME_MAX_LANES)
		n_threads = DA_ACME_MAX_LANES;

	pthread_mutex_init(&e.lock, NULL);
	for (; started < n_threads; started++) {
		lanes[started] = (struct each_lane){&e, client->lanes[started]};
		if (pthread_create(&threads[started], NULL, each_thread, &lanes[started]) != 0)
			break; /* fewer threads: the items still all get done */
	}
	each_run(&e);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&e.lock);
	if (e.rc != DA_OK && err != NULL)
		*err = e.err;
	return e.rc;
}

const struct da_acme_directory *da_acme_directory(const struct da_acme *client)
{
	return &client->dir;
}
