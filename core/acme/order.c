/* Orders, authorizations, challenges, finalize and the certificate
 * (RFC 8555 7.4, 7.5, 7.4.2). */
#include "acme/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/parse.h"
#include "base/b64.h"
#include "base/buf.h"
#include "crypto/crypto.h"

/* Polls without Retry-After start at 10 ms and back off, x1.5, to 5 s: a
 * CA that is quick (Pebble validates and finalizes in milliseconds and sends
 * no Retry-After) is not waited for, and a slow one (Let's Encrypt takes a
 * second or two) is asked a dozen times, one request each. */
#define POLL_FIRST_MS 10L
#define POLL_MAX_MS 5000L

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

/*
 * POST-as-GET url and parse the object of a 2xx answer into *obj
 * (json_decref()); *retry_after_ms gets the answer's Retry-After, or -1.
 */
static enum da_code fetch(struct da_acme *client, const char *url, const char *what,
			  json_t **obj, long *retry_after_ms, struct da_err *err)
{
	struct dnsacme_http_response resp;
	enum da_code rc;

	rc = acme_post_account(client, url, NULL, &resp, err);
	if (rc != DA_OK)
		return rc;
	if (retry_after_ms != NULL)
		*retry_after_ms = da_http_retry_after_ms(&resp, time(NULL));
	rc = acme_object(&resp, url, what, obj, err);
	da_http_response_free(&resp);
	return rc;
}

/*
 * Sleep until the next poll: Retry-After when the CA gave one, else
 * *interval_ms, which then grows towards POLL_MAX_MS. DA_ERR_TIMEOUT (err
 * left for the caller to fill) when deadline_ms has passed; the wait never
 * runs past it.
 */
static enum da_code poll_pause(struct da_acme *client, long retry_after_ms, long *interval_ms,
			       long deadline_ms, struct da_err *err)
{
	long left = deadline_ms - now_ms(), delay;

	if (left <= 0)
		return DA_ERR_TIMEOUT;
	delay = retry_after_ms >= 0 ? retry_after_ms : *interval_ms;
	if (*interval_ms < POLL_MAX_MS)
		*interval_ms = *interval_ms * 3 / 2 < POLL_MAX_MS ? *interval_ms * 3 / 2 : POLL_MAX_MS;
	return acme_sleep(client, delay < left ? delay : left, err);
}

void da_acme_order_free(struct da_acme_order *order)
{
	if (order == NULL)
		return;
	for (size_t i = 0; i < order->n_authz; i++)
		da_acme_authz_clear(&order->authz[i]);
	free(order->authz);
	free(order->url);
	free(order->finalize_url);
	free(order->certificate_url);
	free(order);
}

/* The newOrder payload (RFC 8555 7.4, draft-ietf-acme-profiles, RFC 9773
 * 5) in *out (free()). */
static enum da_code order_payload(const char *const *names, size_t n, const char *profile,
				  const char *replaces, char **out, struct da_err *err)
{
	json_t *payload = json_object(), *ids = json_array();
	int fail = payload == NULL || ids == NULL;

	for (size_t i = 0; !fail && i < n; i++)
		fail = json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns", "value",
							    names[i])) != 0;
	if (!fail)
		fail = json_object_set(payload, "identifiers", ids) != 0;
	if (!fail && profile != NULL)
		fail = json_object_set_new(payload, "profile", json_string(profile)) != 0;
	if (!fail && replaces != NULL)
		fail = json_object_set_new(payload, "replaces", json_string(replaces)) != 0;
	if (!fail)
		fail = (*out = json_dumps(payload, JSON_COMPACT)) == NULL;
	json_decref(ids);
	json_decref(payload);
	return fail ? da_err_set(err, DA_ERR_NOMEM, "out of memory") : DA_OK;
}

/* DA_OK when the directory lists profile; a clear refusal otherwise. */
static enum da_code check_profile(const struct da_acme_directory *dir, const char *profile,
				  struct da_err *err)
{
	struct da_buf offered = {0};

	for (size_t i = 0; i < dir->n_profiles; i++) {
		if (strcmp(dir->profiles[i].name, profile) == 0)
			return DA_OK;
		da_buf_printf(&offered, "%s%s", i ? ", " : "", dir->profiles[i].name);
	}
	if (dir->n_profiles == 0)
		da_err_set(err, DA_ERR_USAGE,
			   "the CA offers no certificate profiles, so not \"%s\"", profile);
	else
		da_err_set(err, DA_ERR_USAGE, "the CA offers no profile \"%s\" (it offers: %s)",
			   profile, offered.data ? offered.data : "?");
	da_buf_free(&offered);
	return DA_ERR_USAGE;
}

/* Was authz's identifier among the names ordered? A CA that answers with
 * another name must not make us publish records for it. */
static int ordered(const struct da_acme_authz *authz, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = names[i];
		int wildcard = strncmp(name, "*.", 2) == 0;

		if (wildcard == authz->wildcard && strcasecmp(name + (wildcard ? 2 : 0),
							      authz->identifier) == 0)
			return 1;
	}
	return 0;
}

/* Fetch authz->url and fill authz in from the answer. */
static enum da_code load_authz(struct da_acme *client, struct da_acme_authz *authz,
			       struct da_err *err)
{
	struct da_acme_authz fresh;
	json_t *obj = NULL;
	enum da_code rc;

	rc = fetch(client, authz->url, "fetching an authorization", &obj, NULL, err);
	if (rc == DA_OK)
		rc = da_acme_authz_parse(obj, authz->url, client->thumbprint, &fresh, err);
	json_decref(obj);
	if (rc != DA_OK)
		return rc;
	da_acme_authz_clear(authz);
	*authz = fresh;
	return DA_OK;
}

/* The authorizations of a new order, fetched in parallel (acme_each()). */
struct loading {
	struct da_acme_order *order;
	const char *const *names;
	size_t n;
};

static enum da_code load_one(struct da_acme *client, size_t i, void *arg, struct da_err *err)
{
	const struct loading *l = arg;
	struct da_acme_authz *authz = &l->order->authz[i];
	enum da_code rc = load_authz(client, authz, err);

	if (rc == DA_OK && !ordered(authz, l->names, l->n))
		rc = da_err_set(err, DA_ERR_PROTOCOL,
				"%s: authorization for %s%s, which was not ordered", authz->url,
				authz->wildcard ? "*." : "", authz->identifier);
	return rc;
}

static enum da_code post_new_order(struct da_acme *client, const char *const *names, size_t n,
				   const char *profile, const char *replaces,
				   struct dnsacme_http_response *resp, struct da_err *err)
{
	char *payload = NULL;
	enum da_code rc;

	rc = order_payload(names, n, profile, replaces, &payload, err);
	if (rc == DA_OK)
		rc = acme_post_account(client, client->dir.new_order, payload, resp, err);
	free(payload);
	return rc;
}

/*
 * How CAs refuse a replaces they will not honour: 409 alreadyReplaced (RFC
 * 9773 5), 403 when another account issued the old certificate, and 5xx
 * from CAs whose ARI bookkeeping fails.
 */
static int refuses_replaces(long status)
{
	return status == 409 || status == 403 || status >= 500;
}

enum da_code da_acme_order_new(struct da_acme *client, const char *const *names, size_t n,
			       const char *profile, const char *replaces,
			       struct da_acme_order **out, struct da_err *err)
{
	const char *url = client->dir.new_order, *location;
	struct dnsacme_http_response resp;
	struct da_acme_order *order;
	json_t *obj = NULL;
	enum da_code rc;

	if (n == 0)
		return da_err_set(err, DA_ERR_USAGE, "an order needs at least one name");
	if (profile != NULL && check_profile(&client->dir, profile, err) != DA_OK)
		return DA_ERR_USAGE;
	if (replaces != NULL && client->dir.renewal_info == NULL) {
		/* RFC 9773 5: only for CAs that offer ARI. */
		da_logf(client->log, DNSACME_LOG_DEBUG,
			"the CA offers no ARI; not sending replaces");
		replaces = NULL;
	}
	rc = post_new_order(client, names, n, profile, replaces, &resp, err);
	if (rc == DA_OK && replaces != NULL && refuses_replaces(resp.status)) {
		/* A renewal must not fail for want of ARI's bookkeeping: lego's
		 * did, each time a CA answered alreadyReplaced. */
		da_logf(client->log, DNSACME_LOG_WARN,
			"%s: the CA refused the order replacing %s (HTTP %ld); ordering again "
			"without replaces", url, replaces, resp.status);
		da_http_response_free(&resp);
		rc = post_new_order(client, names, n, profile, NULL, &resp, err);
	}
	if (rc != DA_OK)
		return rc;
	order = calloc(1, sizeof(*order));
	if (order == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = acme_object(&resp, url, "newOrder", &obj, err);
	location = da_http_header(&resp, "location");
	if (rc == DA_OK && location == NULL)
		rc = da_err_set(err, DA_ERR_PROTOCOL, "%s: new order without a Location", url);
	if (rc == DA_OK && (order->url = strdup(location)) == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	da_http_response_free(&resp);
	if (rc == DA_OK)
		rc = da_acme_order_parse(obj, order->url, 1, order, err);
	json_decref(obj);
	if (rc == DA_OK && order->status == DA_ACME_INVALID)
		rc = da_err_set(err, DA_ERR_CA, "the new order %s is already invalid", order->url);
	if (rc == DA_OK) {
		struct loading loading = {order, names, n};

		rc = acme_each(client, order->n_authz, load_one, &loading, err);
	}
	if (rc != DA_OK) {
		da_acme_order_free(order);
		return rc;
	}
	*out = order;
	return DA_OK;
}

enum da_code da_acme_challenge_respond(struct da_acme *client, struct da_acme_order *order,
				       size_t index, struct da_err *err)
{
	struct da_acme_authz *authz;
	struct dnsacme_http_response resp;
	const char *status;
	json_t *obj = NULL;
	enum da_code rc;

	if (index >= order->n_authz)
		return da_err_set(err, DA_ERR_USAGE, "no authorization %zu in the order", index);
	authz = &order->authz[index];
	if (authz->status == DA_ACME_VALID)
		return DA_OK;
	rc = acme_post_account(client, authz->challenge_url, "{}", &resp, err);
	if (rc != DA_OK)
		return rc;
	rc = acme_object(&resp, authz->challenge_url, "responding to the dns-01 challenge", &obj,
			 err);
	da_http_response_free(&resp);
	if (rc != DA_OK)
		return da_err_wrap(err, "%s", authz->identifier);
	status = json_string_value(json_object_get(obj, "status"));
	authz->challenge_status = da_acme_status_parse(status);
	json_decref(obj);
	return DA_OK;
}

/* --- answers in the background --------------------------------------------- */

struct responder_lane {
	struct da_acme_responder *r;
	struct da_http *http;
};

struct da_acme_responder {
	struct da_acme *client;
	struct da_acme_order *order;
	void (*on_answered)(void *arg, size_t tag);
	void *arg;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	size_t (*queue)[2]; /* {index, tag}, one per authorization at most */
	size_t head, tail;
	int closing;
	enum da_code rc; /* the first failure */
	struct da_err err;
	pthread_t threads[DA_ACME_MAX_LANES];
	struct responder_lane lanes[DA_ACME_MAX_LANES];
	size_t n_threads;
};

/* Send one answer; say how it went (called unlocked). */
static void respond(struct da_acme_responder *r, size_t index, size_t tag)
{
	struct da_err err = {0};
	enum da_code rc = da_acme_challenge_respond(r->client, r->order, index, &err);

	pthread_mutex_lock(&r->lock);
	if (rc != DA_OK && r->rc == DA_OK) {
		r->rc = rc;
		r->err = err;
	} else if (rc == DA_OK && r->on_answered) {
		r->on_answered(r->arg, tag);
	}
	pthread_mutex_unlock(&r->lock);
}

static void *responder_thread(void *arg)
{
	struct responder_lane *l = arg;
	struct da_acme_responder *r = l->r;

	acme_use_lane(l->http);
	pthread_mutex_lock(&r->lock);
	for (;;) {
		size_t index, tag;

		while (r->head == r->tail && !r->closing)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->head == r->tail)
			break;
		index = r->queue[r->head][0];
		tag = r->queue[r->head][1];
		r->head++;
		pthread_mutex_unlock(&r->lock);
		respond(r, index, tag);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

enum da_code da_acme_responder_start(struct da_acme *client, struct da_acme_order *order,
				     void (*on_answered)(void *arg, size_t tag), void *arg,
				     struct da_acme_responder **out, struct da_err *err)
{
	struct da_acme_responder *r = calloc(1, sizeof(*r));
	size_t want = client->n_lanes < DA_ACME_MAX_LANES ? client->n_lanes : DA_ACME_MAX_LANES;

	*out = NULL;
	if (r == NULL || (r->queue = calloc(order->n_authz + 1, sizeof(*r->queue))) == NULL) {
		free(r);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	r->client = client;
	r->order = order;
	r->on_answered = on_answered;
	r->arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (; r->n_threads < want && r->n_threads < order->n_authz; r->n_threads++) {
		r->lanes[r->n_threads] = (struct responder_lane){r, client->lanes[r->n_threads]};
		if (pthread_create(&r->threads[r->n_threads], NULL, responder_thread,
				   &r->lanes[r->n_threads]) != 0)
			break; /* fewer lanes, or none: submit answers itself */
	}
	*out = r;
	return DA_OK;
}

void da_acme_responder_submit(struct da_acme_responder *r, size_t index, size_t tag)
{
	int failed;

	if (r->n_threads == 0) {
		pthread_mutex_lock(&r->lock);
		failed = r->rc != DA_OK;
		pthread_mutex_unlock(&r->lock);
		if (!failed)
			respond(r, index, tag);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->rc == DA_OK && r->tail < r->order->n_authz) {
		r->queue[r->tail][0] = index;
		r->queue[r->tail][1] = tag;
		r->tail++;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

enum da_code da_acme_responder_finish(struct da_acme_responder *r, struct da_err *err)
{
	enum da_code rc;

	if (r == NULL)
		return DA_OK;
	pthread_mutex_lock(&r->lock);
	r->closing = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	rc = r->rc;
	if (rc != DA_OK && err != NULL)
		*err = r->err;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r->queue);
	free(r);
	return rc;
}

/* DA_ERR_CA: order, as obj has it, has failed; its problem document says why. */
static enum da_code order_failed(const struct da_acme_order *order, const json_t *obj,
				 struct da_err *err)
{
	char problem[DA_ERR_MSG_MAX / 2];

	if (json_object_get(obj, "error") != NULL)
		da_acme_problem_format(json_object_get(obj, "error"), problem, sizeof(problem));
	else
		snprintf(problem, sizeof(problem), "no error given");
	return da_err_set(err, DA_ERR_CA, "order %s is %s: %s", order->url,
			  da_acme_status_name(order->status), problem);
}

/* Fetch one authorization not known to be valid: DA_ERR_CA with its
 * challenge's problem when it failed. */
static enum da_code check_authz(struct da_acme *client, size_t i, void *arg,
				struct da_err *err)
{
	struct da_acme_authz *authz = &((struct da_acme_order *)arg)->authz[i];
	char problem[DA_ERR_MSG_MAX / 2];
	json_t *obj = NULL;
	enum da_code rc;

	if (authz->status == DA_ACME_VALID)
		return DA_OK;
	rc = fetch(client, authz->url, "fetching an authorization", &obj, NULL, err);
	if (rc != DA_OK)
		return rc;
	authz->status = da_acme_status_parse(json_string_value(json_object_get(obj, "status")));
	if (da_acme_authz_progress(authz->status) == DA_ACME_FAILED) {
		da_acme_authz_problem(obj, problem, sizeof(problem));
		rc = da_err_set(err, DA_ERR_CA, "authorization for %s%s is %s: %s",
				authz->wildcard ? "*." : "", authz->identifier,
				da_acme_status_name(authz->status), problem);
	}
	json_decref(obj);
	return rc;
}

/* DA_ERR_TIMEOUT naming the identifiers the CA has not validated. */
static enum da_code still_pending(const struct da_acme_order *order, long timeout_seconds,
				  struct da_err *err)
{
	struct da_buf names = {0};

	for (size_t i = 0; i < order->n_authz; i++) {
		const struct da_acme_authz *authz = &order->authz[i];

		if (authz->status != DA_ACME_VALID)
			da_buf_printf(&names, "%s%s%s", names.len ? ", " : "",
				      authz->wildcard ? "*." : "", authz->identifier);
	}
	da_err_set(err, DA_ERR_TIMEOUT, "the CA has not validated %s within %ld s",
		   names.data ? names.data : "every authorization", timeout_seconds);
	da_buf_free(&names);
	return DA_ERR_TIMEOUT;
}

/* Time is up with the order still pending: fetch the authorizations to name
 * those the CA has not validated (DA_OK should every one be valid after all). */
static enum da_code timed_out(struct da_acme *client, struct da_acme_order *order,
			      long timeout_seconds, struct da_err *err)
{
	enum da_code rc = acme_each(client, order->n_authz, check_authz, order, err);

	for (size_t i = 0; rc == DA_OK && i < order->n_authz; i++)
		if (order->authz[i].status != DA_ACME_VALID)
			return still_pending(order, timeout_seconds, err);
	return rc;
}

/*
 * The order says how its authorizations stand (RFC 8555 7.1.6: "ready" once
 * every one is valid, "invalid" once one is not), so it is the order that is
 * polled: one request a round, however many names. Only when it has failed,
 * or time is up, are the authorizations fetched (in parallel), to say which
 * and why.
 */
enum da_code da_acme_authorizations_wait(struct da_acme *client, struct da_acme_order *order,
					 long timeout_seconds, struct da_err *err)
{
	long deadline = now_ms() + timeout_seconds * 1000, interval = POLL_FIRST_MS, after = -1;
	json_t *obj = NULL;
	enum da_code rc;

	for (;;) {
		rc = fetch(client, order->url, "polling the order", &obj, &after, err);
		if (rc == DA_OK)
			rc = da_acme_order_parse(obj, order->url, 0, order, err);
		if (rc != DA_OK || order->status != DA_ACME_PENDING)
			break;
		json_decref(obj);
		obj = NULL;
		rc = poll_pause(client, after, &interval, deadline, err);
		if (rc == DA_ERR_TIMEOUT)
			return timed_out(client, order, timeout_seconds, err);
		if (rc != DA_OK)
			return rc;
	}
	if (rc == DA_OK && da_acme_order_progress(order->status) == DA_ACME_FAILED) {
		/* Which name and why: the order's own error, if any, says less. */
		rc = acme_each(client, order->n_authz, check_authz, order, err);
		if (rc == DA_OK)
			rc = order_failed(order, obj, err);
	}
	for (size_t i = 0; rc == DA_OK && i < order->n_authz; i++)
		order->authz[i].status = DA_ACME_VALID;
	json_decref(obj);
	return rc;
}

/* Update order from a fetched order object, and say what that means. */
static enum da_code order_step(struct da_acme_order *order, const json_t *obj, int *done,
			       struct da_err *err)
{
	enum da_code rc = da_acme_order_parse(obj, order->url, 0, order, err);

	*done = 0;
	if (rc != DA_OK)
		return rc;
	switch (da_acme_order_progress(order->status)) {
	case DA_ACME_DONE:
		if (order->certificate_url == NULL)
			return da_err_set(err, DA_ERR_PROTOCOL,
					  "%s: valid order without a certificate", order->url);
		*done = 1;
		return DA_OK;
	case DA_ACME_WAIT:
		return DA_OK;
	case DA_ACME_FAILED:
		break;
	}
	return order_failed(order, obj, err);
}

enum da_code da_acme_finalize(struct da_acme *client, struct da_acme_order *order,
			      const unsigned char *csr_der, size_t csr_len, long timeout_seconds,
			      struct da_err *err)
{
	long deadline = now_ms() + timeout_seconds * 1000, interval = POLL_FIRST_MS, after = -1;
	struct dnsacme_http_response resp;
	char *csr = da_b64url_encode(csr_der, csr_len), *payload = NULL;
	json_t *obj = NULL;
	enum da_code rc;
	int done = 0;

	if (csr != NULL) {
		obj = json_pack("{s:s}", "csr", csr);
		payload = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
		json_decref(obj);
		obj = NULL;
	}
	free(csr);
	if (payload == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = acme_post_account(client, order->finalize_url, payload, &resp, err);
	free(payload);
	if (rc != DA_OK)
		return rc;
	after = da_http_retry_after_ms(&resp, time(NULL));
	rc = acme_object(&resp, order->finalize_url, "finalize", &obj, err);
	da_http_response_free(&resp);
	while (rc == DA_OK) {
		rc = order_step(order, obj, &done, err);
		json_decref(obj);
		obj = NULL;
		if (rc != DA_OK || done)
			break;
		rc = poll_pause(client, after, &interval, deadline, err);
		if (rc == DA_ERR_TIMEOUT)
			rc = da_err_set(err, DA_ERR_TIMEOUT,
					"the CA has not issued the certificate within %ld s "
					"(order %s)",
					timeout_seconds, order->url);
		if (rc == DA_OK)
			rc = fetch(client, order->url, "polling the order", &obj, &after, err);
	}
	return rc;
}

/* Was the topmost certificate of chain issued by issuer_cn? */
static int issued_by(const struct da_chain *chain, const char *issuer_cn)
{
	const char *top = chain->certs[chain->n_certs - 1].issuer_cn;

	return top != NULL && strcmp(top, issuer_cn) == 0;
}

/* POST-as-GET a chain: its PEM in *pem_out (free()), and, when alternates
 * is not NULL, its Link rel="alternate" URLs (da_acme_strv_free()). */
static enum da_code fetch_chain(struct da_acme *client, const char *url, char **pem_out,
				char ***alternates, struct da_err *err)
{
	struct acme_signer signer = {client->key, client->kid};
	struct dnsacme_http_response resp;
	const char **links = NULL;
	size_t n_links = 0, n_alt;
	enum da_code rc;

	rc = acme_post(client, &signer, url, NULL, "application/pem-certificate-chain", &resp,
		       err);
	if (rc != DA_OK)
		return rc;
	rc = acme_check(&resp, "downloading the certificate", NULL, err);
	if (rc == DA_OK && alternates != NULL) {
		links = da_http_headers(&resp, "link", &n_links);
		if (links == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		else
			rc = da_acme_links(links, n_links, "alternate", alternates, &n_alt, err);
		free(links);
	}
	if (rc == DA_OK) {
		*pem_out = resp.body; /* malloc()ed by da_http; taken over */
		resp.body = NULL;
	}
	da_http_response_free(&resp);
	return rc;
}

enum da_code da_acme_certificate(struct da_acme *client, const struct da_acme_order *order,
				 const char *preferred_chain, char **pem_out,
				 struct da_err *err)
{
	char *pem = NULL, **alternates = NULL;
	struct da_chain *chain;
	enum da_code rc;
	int found;

	if (order->certificate_url == NULL)
		return da_err_set(err, DA_ERR_USAGE, "the order %s has no certificate yet",
				  order->url);
	if (client->kid == NULL)
		return da_err_set(err, DA_ERR_USAGE, "no ACME account selected");
	rc = fetch_chain(client, order->certificate_url, &pem,
			 preferred_chain ? &alternates : NULL, err);
	if (rc != DA_OK)
		return rc;
	if (da_crypto_chain_parse(pem, &chain, err) != DA_OK) {
		free(pem);
		da_acme_strv_free(alternates);
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: not a PEM certificate chain",
				  order->certificate_url);
	}
	found = preferred_chain == NULL || issued_by(chain, preferred_chain);
	da_crypto_chain_free(chain);
	for (size_t i = 0; !found && alternates != NULL && alternates[i] != NULL; i++) {
		char *alt = NULL;

		/* An alternate that fails to download or parse is no reason to
		 * fail: the default chain is still good. */
		if (fetch_chain(client, alternates[i], &alt, NULL, err) != DA_OK) {
			da_logf(client->log, DNSACME_LOG_WARN, "%s",
				err ? err->msg : alternates[i]);
			continue;
		}
		if (da_crypto_chain_parse(alt, &chain, NULL) == DA_OK) {
			found = issued_by(chain, preferred_chain);
			da_crypto_chain_free(chain);
		}
		if (found) {
			free(pem);
			pem = alt;
		} else {
			free(alt);
		}
	}
	if (!found)
		da_logf(client->log, DNSACME_LOG_INFO,
			"no chain issued by \"%s\"; using the CA's default chain", preferred_chain);
	da_acme_strv_free(alternates);
	*pem_out = pem;
	return DA_OK;
}
