/* The client's state and its transport (client.c), shared with the resource
 * calls (account.c, order.c, renewal.c). Internal to core/acme. */
#ifndef DA_ACME_INTERNAL_H
#define DA_ACME_INTERNAL_H

#include <pthread.h>

#include <jansson.h>

#include "acme/acme.h"

#define ACME_NONCE_POOL 16

struct da_acme {
	char *directory_url;
	int https;	  /* the directory is HTTPS, so every URL of the CA must be */
	struct da_http *http;
	struct da_http *const *lanes; /* more connections, for requests in parallel */
	size_t n_lanes;
	const struct da_log *log;
	const volatile sig_atomic_t *stop;
	struct da_acme_directory dir;
	/* The nonces the CA handed out and no request used yet (each is good
	 * for one), and the account key's signer: shared by the threads of
	 * acme_each(), under lock. */
	pthread_mutex_t lock;
	char *nonces[ACME_NONCE_POOL];
	size_t n_nonces;
	const struct da_signer *key; /* the account's (borrowed), from da_acme_account() */
	char *kid;		     /* the account URL */
	int kid_confirmed; /* the CA accepted kid for key (or handed it out) */
	char *thumbprint; /* of key */
};

/* How a request is signed: key with kid, or with its jwk when kid is NULL. */
struct acme_signer {
	const struct da_signer *key;
	const char *kid;
};

/*
 * POST a JWS of payload (JSON text; NULL for POST-as-GET) to url, retrying
 * badNonce, network errors, 5xx and (within reason) 429 / 503 with
 * Retry-After. DA_OK when an answer arrived that is not worth retrying, of
 * any status: *resp holds it (da_http_response_free()). accept may be NULL.
 */
enum da_code acme_post(struct da_acme *client, const struct acme_signer *signer,
		       const char *url, const char *payload, const char *accept,
		       struct dnsacme_http_response *resp, struct da_err *err);

/* An unsigned GET (directory, renewalInfo), retried like acme_post(). */
enum da_code acme_get(struct da_acme *client, const char *url,
		      struct dnsacme_http_response *resp, struct da_err *err);

/*
 * A saved account URL the CA refused for the key (a first run that raced
 * another once saved one account's URL beside the other's key): look the
 * key's own account up (onlyReturnExisting) and make it the kid.
 */
enum da_code acme_account_relookup(struct da_acme *client, struct da_err *err);

/* acme_post() signed with the account (da_acme_account() must have run). A
 * saved URL the CA refuses for the key is replaced by the key's own
 * account's, found with acme_account_relookup(), and the POST sent again. */
enum da_code acme_post_account(struct da_acme *client, const char *url, const char *payload,
			       struct dnsacme_http_response *resp, struct da_err *err);

/*
 * DA_OK for a 2xx answer; else DA_ERR_CA "<what>: <problem document>" (or
 * the HTTP status when the body is no problem document). When problem is
 * not NULL it receives the parsed body of an error answer (json_decref()),
 * or NULL.
 */
enum da_code acme_check(const struct dnsacme_http_response *resp, const char *what,
			json_t **problem, struct da_err *err);

/* The JSON object of a 2xx answer (acme_check() then da_acme_json_parse()). */
enum da_code acme_object(const struct dnsacme_http_response *resp, const char *url,
			 const char *what, json_t **out, struct da_err *err);

/*
 * Run fn(client, i, arg, err) for every i < n, on up to 1 + client->n_lanes
 * threads at once: this one on client->http and one per lane, each sending
 * every request of its calls on its own connection. fn must touch only item
 * i of what arg holds. The first failure is returned; the others finish the
 * item they have, take no more. Without lanes (or n < 2), one after another.
 */
typedef enum da_code acme_each_fn(struct da_acme *client, size_t i, void *arg,
				  struct da_err *err);
enum da_code acme_each(struct da_acme *client, size_t n, acme_each_fn *fn, void *arg,
		       struct da_err *err);

/* Send this thread's requests on http (a lane of the client's). */
void acme_use_lane(struct da_http *http);

/* Sleep ms, waking early with DA_ERR_INTERRUPTED when *stop is set. */
enum da_code acme_sleep(const struct da_acme *client, long ms, struct da_err *err);

#endif
