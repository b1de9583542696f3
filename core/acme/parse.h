/*
 * The ACME client's pure functions: reading the CA's JSON and headers, and
 * deciding what a status means. No I/O, so the unit tests call them directly.
 * Internal to core/acme.
 */
#ifndef DA_ACME_PARSE_H
#define DA_ACME_PARSE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"

/*
 * Parse a JSON body into *out (json_decref()). Anything but one JSON object
 * is DA_ERR_PROTOCOL naming url.
 */
enum da_code da_acme_json_parse(const char *body, size_t len, const char *url, json_t **out,
				struct da_err *err);

/* Fill dir from a directory object fetched from url; on failure dir is left
 * empty. Release with da_acme_directory_clear(). */
enum da_code da_acme_directory_parse(const json_t *obj, const char *url,
				     struct da_acme_directory *dir, struct da_err *err);
void da_acme_directory_clear(struct da_acme_directory *dir);

/*
 * An RFC 7807 / RFC 8555 6.7 problem document on one line:
 * "<type>: <detail>", then "; [<identifier>] <type>: <detail>" for each
 * subproblem. Truncated to size (always NUL-terminated).
 */
void da_acme_problem_format(const json_t *problem, char *out, size_t size);

/* The problem document's type, or NULL (not a problem document). */
const char *da_acme_problem_type(const json_t *problem);

/*
 * The targets of every Link (RFC 8288) with relation type rel among the
 * header values (each may hold several comma-separated links). Returns a
 * NULL-terminated array of allocated strings in *urls (da_acme_strv_free()),
 * *n set; DA_ERR_NOMEM only.
 */
enum da_code da_acme_links(const char *const *values, size_t n_values, const char *rel,
			   char ***urls, size_t *n, struct da_err *err);
void da_acme_strv_free(char **strv);

/*
 * Fill a fresh authz (url copied) from an authorization object: identifier,
 * wildcard flag, status, and the dns-01 challenge's URL, token, status and
 * TXT value for thumbprint. A pending authorization without a dns-01
 * challenge is DA_ERR_CA; an already valid one needs no challenge. On failure
 * authz is left empty. Release with da_acme_authz_clear().
 */
enum da_code da_acme_authz_parse(const json_t *obj, const char *url, const char *thumbprint,
				 struct da_acme_authz *authz, struct da_err *err);
void da_acme_authz_clear(struct da_acme_authz *authz);

/*
 * Why an authorization failed, on one line: the first challenge error found
 * (dns-01's first), as da_acme_problem_format() writes it, or "no error
 * given".
 */
void da_acme_authz_problem(const json_t *obj, char *out, size_t size);

/*
 * Update order from an order object: status, finalize URL and certificate
 * URL; with create set, also allocate order->authz with each authorization's
 * URL (its other fields stay empty until da_acme_authz_parse()).
 */
enum da_code da_acme_order_parse(const json_t *obj, const char *url, int create,
				 struct da_acme_order *order, struct da_err *err);

/* An RFC 3339 date-time ("2025-01-02T04:00:00Z", fractions and offsets
 * allowed) as time_t; -1 when it is not one. */
int da_acme_rfc3339_parse(const char *text, time_t *out);

/* Fill renewal (retry_after_seconds left alone) from a renewalInfo object
 * fetched from url. Release with da_acme_renewal_clear(). */
enum da_code da_acme_renewal_parse(const json_t *obj, const char *url,
				   struct da_acme_renewal *renewal, struct da_err *err);

/* What a poll learnt from a status. */
enum da_acme_progress {
	DA_ACME_DONE,	 /* the goal is reached */
	DA_ACME_WAIT,	 /* poll again */
	DA_ACME_FAILED	 /* it will never get there */
};

/* An authorization: valid is done, pending / processing wait, the rest fail. */
enum da_acme_progress da_acme_authz_progress(enum da_acme_status status);

/* An order after finalize: valid is done; processing and ready (the CA has
 * not picked the CSR up yet) wait; the rest fail. */
enum da_acme_progress da_acme_order_progress(enum da_acme_status status);

#endif
