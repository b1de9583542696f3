/*
 * An RFC 8555 ACME client over da_http: directory, nonces, account, orders,
 * authorizations, challenges, finalize, certificate download and revocation.
 *
 * Every POST is a JWS signed with a fresh nonce. The client retries what is
 * worth retrying: badNonce (with the nonce that came with the error), 5xx and
 * network errors (with backoff, a few attempts), 429 / 503 after Retry-After.
 * A CA refusal is DA_ERR_CA with the whole problem document on err->msg's one
 * line. Waits end early with DA_ERR_INTERRUPTED when *stop becomes non-zero.
 */
#ifndef DA_ACME_ACME_H
#define DA_ACME_ACME_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "base/error.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "http/http.h"

/* Resource status (RFC 8555 7.1.6). */
enum da_acme_status {
	DA_ACME_UNKNOWN = 0, /* absent or not one of the values below */
	DA_ACME_PENDING,
	DA_ACME_READY,
	DA_ACME_PROCESSING,
	DA_ACME_VALID,
	DA_ACME_INVALID,
	DA_ACME_EXPIRED,
	DA_ACME_DEACTIVATED,
	DA_ACME_REVOKED
};

/* "pending" -> DA_ACME_PENDING, ...; anything else DA_ACME_UNKNOWN. */
enum da_acme_status da_acme_status_parse(const char *text);
const char *da_acme_status_name(enum da_acme_status status);

struct da_acme_profile {
	char *name;
	char *description;
};

/* The directory (RFC 8555 7.1.1); URLs absent from it are NULL. */
struct da_acme_directory {
	char *new_nonce;
	char *new_account;
	char *new_order;
	char *revoke_cert;
	char *key_change;
	char *renewal_info; /* RFC 9773 ARI */
	char *terms_of_service;
	int external_account_required;
	struct da_acme_profile *profiles; /* meta.profiles, n_profiles of them */
	size_t n_profiles;
};

#define DA_ACME_MAX_LANES 16

struct da_acme_config {
	const char *directory_url;
	struct da_http *http;			 /* borrowed; outlives the client */
	const struct da_log *log;		 /* borrowed; may be NULL */
	const volatile sig_atomic_t *stop;	 /* may be NULL */
	/* More clients of the same configuration (borrowed): one order's
	 * authorizations, challenges and polls go out on up to 1 + n_lanes
	 * connections at once. NULL / 0: one request at a time. */
	struct da_http *const *lanes;
	size_t n_lanes; /* at most DA_ACME_MAX_LANES are used */
};

struct da_acme; /* opaque */

/*
 * Fetch the directory and create a client in *out (da_acme_free()). The
 * directory URL must be https://, or http:// to a loopback host (test CAs);
 * else DA_ERR_CONFIG before any request. With an HTTPS directory, every URL
 * the CA hands out must be HTTPS too (DA_ERR_PROTOCOL, not followed).
 */
enum da_code da_acme_new(struct da_acme **out, const struct da_acme_config *cfg,
			 struct da_err *err);
void da_acme_free(struct da_acme *client);

/* The parsed directory, owned by the client. */
const struct da_acme_directory *da_acme_directory(const struct da_acme *client);

struct da_acme_account_opts {
	const char *email;	  /* contact "mailto:<email>"; NULL: none */
	int agree_tos;		  /* the user accepted meta.termsOfService */
	const char *eab_kid;	  /* External Account Binding; NULL: none */
	const char *eab_hmac_key; /* base64url, as the CA gives it; never logged */
	const char *known_url;	  /* the account URL from a previous run, or NULL */
};

/*
 * Sign every request from now on with account_key (borrowed: it must outlive
 * the client) and find the account URL (the JWS kid): known_url as is, else
 * newAccount with onlyReturnExisting, else a new account. The URL is returned
 * in *url_out (free()) and kept by the client. Should the CA refuse
 * known_url for this key, the first request that is refused looks the key's
 * account up and goes again: da_acme_account_url() then differs from it.
 */
enum da_code da_acme_account(struct da_acme *client, const struct da_signer *account_key,
			     const struct da_acme_account_opts *opts, char **url_out,
			     struct da_err *err);

/* The account URL in use (owned by the client), or NULL before da_acme_account(). */
const char *da_acme_account_url(const struct da_acme *client);

/* One authorization of an order, and its dns-01 challenge. */
struct da_acme_authz {
	char *url;
	char *identifier; /* the CA's identifier value: "example.com" for "*.example.com" */
	int wildcard;
	enum da_acme_status status; /* DA_ACME_VALID: nothing to do for it */
	char *challenge_url;	    /* dns-01 only */
	char *token;
	enum da_acme_status challenge_status;
	char *txt_value; /* what _acme-challenge.<identifier> must hold */
};

struct da_acme_order {
	char *url;
	enum da_acme_status status;
	char *finalize_url;
	char *certificate_url; /* NULL until the order is valid */
	struct da_acme_authz *authz;
	size_t n_authz;
};

/*
 * newOrder for names[0..n) (dNS identifiers; "*.example.com" allowed), with
 * an optional profile (refused unless the directory lists it) and an
 * optional ARI "replaces" CertID (sent only to CAs whose directory has
 * renewalInfo). Every authorization is fetched and its
 * dns-01 challenge and TXT value filled in. *out is freed with
 * da_acme_order_free(). Needs da_acme_account() first.
 */
enum da_code da_acme_order_new(struct da_acme *client, const char *const *names, size_t n,
			       const char *profile, const char *replaces,
			       struct da_acme_order **out, struct da_err *err);
void da_acme_order_free(struct da_acme_order *order);

/*
 * Challenge answers sent in the background as they are handed over, on the
 * client's lanes (da_acme_config), so that the caller goes on checking DNS
 * while they travel: each is still sent the moment it is submitted.
 * on_answered(arg, tag) runs for each answer the CA took, from the thread
 * that sent it, one at a time. Without lanes, submit answers at once in the
 * caller's thread. *out: da_acme_responder_finish().
 */
struct da_acme_responder;
enum da_code da_acme_responder_start(struct da_acme *client, struct da_acme_order *order,
				     void (*on_answered)(void *arg, size_t tag), void *arg,
				     struct da_acme_responder **out, struct da_err *err);
/* Answer authorization index's challenge (da_acme_challenge_respond()); tag
 * is handed back to on_answered. After a failure, nothing more is sent. */
void da_acme_responder_submit(struct da_acme_responder *r, size_t index, size_t tag);
/* Wait for every answer submitted, end the threads and free r (NULL: DA_OK):
 * the first failure, or DA_OK. */
enum da_code da_acme_responder_finish(struct da_acme_responder *r, struct da_err *err);

/* Tell the CA that order->authz[index]'s TXT record is in place (POST {}). */
enum da_code da_acme_challenge_respond(struct da_acme *client, struct da_acme_order *order,
				       size_t index, struct da_err *err);

/*
 * Wait, for at most timeout_seconds, until every authorization of order is
 * valid: the order is polled (one request a round), the authorizations only
 * fetched when it fails or time is up. An invalid one is DA_ERR_CA with its
 * challenge's problem document; running out of time is DA_ERR_TIMEOUT
 * naming the names still pending. On DA_OK every order->authz is valid.
 */
enum da_code da_acme_authorizations_wait(struct da_acme *client, struct da_acme_order *order,
					 long timeout_seconds, struct da_err *err);

/*
 * Send the CSR (DER) to the order's finalize URL and poll the order until it
 * is valid (order->certificate_url set), for at most timeout_seconds.
 */
enum da_code da_acme_finalize(struct da_acme *client, struct da_acme_order *order,
			      const unsigned char *csr_der, size_t csr_len,
			      long timeout_seconds, struct da_err *err);

/*
 * Download the certificate chain (PEM) of a valid order into *pem_out
 * (free()). With preferred_chain set, the default chain and each
 * Link rel="alternate" chain are compared by their topmost certificate's
 * issuer CN; the first that matches wins, else the default chain.
 */
enum da_code da_acme_certificate(struct da_acme *client, const struct da_acme_order *order,
				 const char *preferred_chain, char **pem_out,
				 struct da_err *err);

/* A certificate's suggested renewal window (RFC 9773 4.2). */
struct da_acme_renewal {
	time_t window_start;
	time_t window_end;
	char *explanation_url;	  /* NULL when the CA gave none */
	long retry_after_seconds; /* when to ask again; -1 when the CA did not say */
};

/*
 * Fetch renewalInfo for an ARI CertID (struct da_cert_info's ari_id) into
 * *out (da_acme_renewal_clear()). DA_ERR_USAGE when the directory has no
 * renewalInfo. Needs no account.
 */
enum da_code da_acme_renewal_info(struct da_acme *client, const char *cert_id,
				  struct da_acme_renewal *out, struct da_err *err);
void da_acme_renewal_clear(struct da_acme_renewal *renewal);

/*
 * revokeCert (RFC 8555 7.6) for a certificate (DER) with reason (RFC 5280
 * CRLReason; 0 unspecified). Signed with account_key and kid account_url,
 * or, when account_url is NULL, with account_key as the certificate's own
 * key (jwk). Does not need da_acme_account() first.
 */
enum da_code da_acme_revoke(struct da_acme *client, const struct da_signer *account_key,
			    const char *account_url, const unsigned char *cert_der, size_t len,
			    int reason, struct da_err *err);

#endif
