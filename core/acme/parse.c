#include "acme/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "crypto/crypto.h"

static const char *const status_names[] = {
	[DA_ACME_UNKNOWN] = "unknown",	   [DA_ACME_PENDING] = "pending",
	[DA_ACME_READY] = "ready",	   [DA_ACME_PROCESSING] = "processing",
	[DA_ACME_VALID] = "valid",	   [DA_ACME_INVALID] = "invalid",
	[DA_ACME_EXPIRED] = "expired",	   [DA_ACME_DEACTIVATED] = "deactivated",
	[DA_ACME_REVOKED] = "revoked",
};
#define N_STATUS (sizeof(status_names) / sizeof(status_names[0]))

enum da_acme_status da_acme_status_parse(const char *text)
{
	for (size_t i = 1; text != NULL && i < N_STATUS; i++)
		if (strcmp(text, status_names[i]) == 0)
			return (enum da_acme_status)i;
	return DA_ACME_UNKNOWN;
}

const char *da_acme_status_name(enum da_acme_status status)
{
	return (size_t)status < N_STATUS ? status_names[status] : "unknown";
}

enum da_code da_acme_json_parse(const char *body, size_t len, const char *url, json_t **out,
				struct da_err *err)
{
	json_error_t jerr;
	json_t *obj = body ? json_loadb(body, len, 0, &jerr) : NULL;

	if (obj == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: the CA's answer is not JSON (%s)", url,
				  body ? jerr.text : "empty body");
	if (!json_is_object(obj)) {
		json_decref(obj);
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: the CA's answer is not a JSON object",
				  url);
	}
	*out = obj;
	return DA_OK;
}

/* obj[key] as a string, or NULL when absent or of another type. */
static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* *dst = copy of obj[key] when it is a string (NULL when absent); -1 when
 * out of memory. */
static int dup_str(const json_t *obj, const char *key, char **dst)
{
	const char *s = get_str(obj, key);

	*dst = NULL;
	if (s == NULL)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

enum da_code da_acme_directory_parse(const json_t *obj, const char *url,
				     struct da_acme_directory *dir, struct da_err *err)
{
	const json_t *meta = json_object_get(obj, "meta");
	const json_t *profiles = json_object_get(meta, "profiles");
	const char *name;
	json_t *value;

	memset(dir, 0, sizeof(*dir));
	if (dup_str(obj, "newNonce", &dir->new_nonce) != 0 ||
	    dup_str(obj, "newAccount", &dir->new_account) != 0 ||
	    dup_str(obj, "newOrder", &dir->new_order) != 0 ||
	    dup_str(obj, "revokeCert", &dir->revoke_cert) != 0 ||
	    dup_str(obj, "keyChange", &dir->key_change) != 0 ||
	    dup_str(obj, "renewalInfo", &dir->renewal_info) != 0 ||
	    dup_str(meta, "termsOfService", &dir->terms_of_service) != 0)
		goto nomem;
	dir->external_account_required =
		json_is_true(json_object_get(meta, "externalAccountRequired"));
	if (json_object_size(profiles) > 0) {
		dir->profiles = calloc(json_object_size(profiles), sizeof(*dir->profiles));
		if (dir->profiles == NULL)
			goto nomem;
		json_object_foreach ((json_t *)profiles, name, value) {
			struct da_acme_profile *p = &dir->profiles[dir->n_profiles++];
			const char *text = json_string_value(value);

			p->name = strdup(name);
			p->description = strdup(text ? text : "");
			if (p->name == NULL || p->description == NULL)
				goto nomem;
		}
	}
	if (dir->new_nonce == NULL || dir->new_account == NULL || dir->new_order == NULL) {
		da_acme_directory_clear(dir);
		return da_err_set(err, DA_ERR_PROTOCOL,
				  "%s is not an ACME directory (newNonce, newAccount or newOrder "
				  "missing)",
				  url);
	}
	return DA_OK;
nomem:
	da_acme_directory_clear(dir);
	return da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

void da_acme_directory_clear(struct da_acme_directory *dir)
{
	free(dir->new_nonce);
	free(dir->new_account);
	free(dir->new_order);
	free(dir->revoke_cert);
	free(dir->key_change);
	free(dir->renewal_info);
	free(dir->terms_of_service);
	for (size_t i = 0; i < dir->n_profiles; i++) {
		free(dir->profiles[i].name);
		free(dir->profiles[i].description);
	}
	free(dir->profiles);
	memset(dir, 0, sizeof(*dir));
}

const char *da_acme_problem_type(const json_t *problem)
{
	return get_str(problem, "type");
}

/* "<type>: <detail>", either part possibly missing. */
static void append_problem(struct da_buf *b, const json_t *problem)
{
	const char *type = get_str(problem, "type"), *detail = get_str(problem, "detail");

	if (type && detail)
		da_buf_printf(b, "%s: %s", type, detail);
	else
		da_buf_puts(b, type ? type : detail ? detail : "(no type or detail)");
}

void da_acme_problem_format(const json_t *problem, char *out, size_t size)
{
	const json_t *subs = json_object_get(problem, "subproblems");
	struct da_buf b = {0};
	size_t i;
	json_t *sub;

	append_problem(&b, problem);
	json_array_foreach (subs, i, sub) {
		const char *who = get_str(json_object_get(sub, "identifier"), "value");

		da_buf_printf(&b, "; [%s] ", who ? who : "?");
		append_problem(&b, sub);
	}
	/* Out of memory leaves a shorter line (or none), never a wrong one. */
	snprintf(out, size, "%s", b.data ? b.data : "(out of memory)");
	da_buf_free(&b);
}

/* Does the space-separated relation list [rel, end) hold want? */
static int rel_matches(const char *rel, const char *end, const char *want)
{
	size_t wlen = strlen(want);

	while (rel < end) {
		const char *stop = rel;

		while (stop < end && *stop != ' ')
			stop++;
		if ((size_t)(stop - rel) == wlen && strncasecmp(rel, want, wlen) == 0)
			return 1;
		rel = stop + 1;
	}
	return 0;
}

/* A growing NULL-terminated string vector. */
struct strv {
	char **v;
	size_t n;
};

/* Append a copy of [s, s + len); -1 when out of memory. */
static int strv_push(struct strv *sv, const char *s, size_t len)
{
	char **grown = realloc(sv->v, (sv->n + 2) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	sv->v = grown;
	sv->v[sv->n] = strndup(s, len);
	if (sv->v[sv->n] == NULL)
		return -1;
	sv->v[++sv->n] = NULL;
	return 0;
}

/*
 * One header value: "<url>; rel=\"a b\"; x=y, <url2>; rel=c". For each link
 * whose rel holds want, push its URL.
 */
static int links_in(const char *p, const char *want, struct strv *urls)
{
	while ((p = strchr(p, '<')) != NULL) {
		const char *url = p + 1, *url_end = strchr(url, '>');
		int match = 0;

		if (url_end == NULL)
			return 0;
		p = url_end + 1;
		/* Parameters up to the comma that ends this link (commas inside
		 * quoted strings do not count). */
		while (*p && *p != ',') {
			const char *name, *value, *value_end;
			size_t name_len;

			p += strspn(p, " \t;");
			name = p;
			p += strcspn(p, "=;, \t");
			name_len = (size_t)(p - name);
			p += strspn(p, " \t");
			if (*p != '=')
				continue;
			p++;
			p += strspn(p, " \t");
			if (*p == '"') {
				value = ++p;
				while (*p && *p != '"')
					p += p[0] == '\\' && p[1] ? 2 : 1;
				value_end = p;
				if (*p == '"')
					p++;
			} else {
				value = p;
				p += strcspn(p, ";, \t");
				value_end = p;
			}
			if (name_len == 3 && strncasecmp(name, "rel", 3) == 0 &&
			    rel_matches(value, value_end, want))
				match = 1;
			p += strspn(p, " \t");
		}
		if (match && strv_push(urls, url, (size_t)(url_end - url)) != 0)
			return -1;
	}
	return 0;
}

enum da_code da_acme_links(const char *const *values, size_t n_values, const char *rel,
			   char ***urls, size_t *n, struct da_err *err)
{
	struct strv found = {calloc(1, sizeof(char *)), 0};

	for (size_t i = 0; found.v != NULL && i < n_values; i++) {
		if (links_in(values[i], rel, &found) != 0) {
			da_acme_strv_free(found.v);
			found.v = NULL;
		}
	}
	if (found.v == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	*urls = found.v;
	*n = found.n;
	return DA_OK;
}

void da_acme_strv_free(char **strv)
{
	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		free(strv[i]);
	free(strv);
}

/* The first challenge of this type, or NULL. */
static const json_t *find_challenge(const json_t *authz, const char *type)
{
	const json_t *challenges = json_object_get(authz, "challenges");
	size_t i;
	json_t *ch;

	json_array_foreach (challenges, i, ch) {
		const char *t = get_str(ch, "type");

		if (t != NULL && strcmp(t, type) == 0)
			return ch;
	}
	return NULL;
}

enum da_code da_acme_authz_parse(const json_t *obj, const char *url, const char *thumbprint,
				 struct da_acme_authz *authz, struct da_err *err)
{
	const json_t *ident = json_object_get(obj, "identifier");
	const json_t *ch = find_challenge(obj, "dns-01");
	const char *type = get_str(ident, "type"), *value = get_str(ident, "value");
	enum da_code rc;

	memset(authz, 0, sizeof(*authz));
	if (type == NULL || value == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: authorization without an identifier",
				  url);
	if (strcmp(type, "dns") != 0)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: identifier type %s is not dns", url,
				  type);
	authz->status = da_acme_status_parse(get_str(obj, "status"));
	authz->wildcard = json_is_true(json_object_get(obj, "wildcard"));
	authz->url = strdup(url);
	authz->identifier = strdup(value);
	if (authz->url == NULL || authz->identifier == NULL)
		goto nomem;
	if (ch == NULL) {
		/* A valid authorization may list only the challenge that won. */
		if (authz->status == DA_ACME_VALID)
			return DA_OK;
		rc = da_err_set(err, DA_ERR_CA,
				"%s: the CA offers no dns-01 challenge for %s%s (only dns-01 is "
				"supported)",
				url, authz->wildcard ? "*." : "", value);
		da_acme_authz_clear(authz);
		return rc;
	}
	authz->challenge_status = da_acme_status_parse(get_str(ch, "status"));
	if (dup_str(ch, "url", &authz->challenge_url) != 0 ||
	    dup_str(ch, "token", &authz->token) != 0)
		goto nomem;
	if (authz->challenge_url == NULL || authz->token == NULL) {
		da_acme_authz_clear(authz);
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: dns-01 challenge without url or token",
				  url);
	}
	rc = da_crypto_dns01_txt_value(authz->token, thumbprint, &authz->txt_value, err);
	if (rc != DA_OK)
		da_acme_authz_clear(authz);
	return rc;
nomem:
	da_acme_authz_clear(authz);
	return da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

void da_acme_authz_clear(struct da_acme_authz *authz)
{
	free(authz->url);
	free(authz->identifier);
	free(authz->challenge_url);
	free(authz->token);
	free(authz->txt_value);
	memset(authz, 0, sizeof(*authz));
}

void da_acme_authz_problem(const json_t *obj, char *out, size_t size)
{
	const json_t *ch = find_challenge(obj, "dns-01");
	const json_t *challenges = json_object_get(obj, "challenges");
	const json_t *problem = json_object_get(ch, "error");
	size_t i;
	json_t *c;

	json_array_foreach (challenges, i, c) {
		if (problem != NULL)
			break;
		problem = json_object_get(c, "error");
	}
	if (problem == NULL) {
		snprintf(out, size, "no error given");
		return;
	}
	da_acme_problem_format(problem, out, size);
}

enum da_code da_acme_order_parse(const json_t *obj, const char *url, int create,
				 struct da_acme_order *order, struct da_err *err)
{
	const json_t *authzs = json_object_get(obj, "authorizations");
	const char *finalize = get_str(obj, "finalize"), *cert = get_str(obj, "certificate");
	size_t i;
	json_t *a;

	order->status = da_acme_status_parse(get_str(obj, "status"));
	if (order->status == DA_ACME_UNKNOWN)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: order without a known status", url);
	if (finalize == NULL)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: order without a finalize URL", url);
	if (order->finalize_url == NULL && (order->finalize_url = strdup(finalize)) == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (cert != NULL && order->certificate_url == NULL &&
	    (order->certificate_url = strdup(cert)) == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (!create)
		return DA_OK;
	if (json_array_size(authzs) == 0)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: order without authorizations", url);
	order->authz = calloc(json_array_size(authzs), sizeof(*order->authz));
	if (order->authz == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	json_array_foreach (authzs, i, a) {
		if (!json_is_string(a))
			return da_err_set(err, DA_ERR_PROTOCOL,
					  "%s: authorization URL is not a string", url);
		order->authz[i].url = strdup(json_string_value(a));
		if (order->authz[i].url == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		order->n_authz++;
	}
	return DA_OK;
}

int da_acme_rfc3339_parse(const char *text, time_t *out)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, used = 0, off_h, off_m;
	const char *p;
	long offset = 0;

	if (text == NULL ||
	    sscanf(text, "%4d-%2d-%2d%*1[Tt]%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec,
		   &used) != 6 ||
	    used == 0)
		return -1;
	p = text + used;
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &off_h, &off_m) == 2 &&
		   strlen(p) == 6) {
		offset = (off_h * 60L + off_m) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	*out = timegm(&tm) - offset;
	return 0;
}

enum da_code da_acme_renewal_parse(const json_t *obj, const char *url,
				   struct da_acme_renewal *renewal, struct da_err *err)
{
	const json_t *window = json_object_get(obj, "suggestedWindow");

	if (da_acme_rfc3339_parse(get_str(window, "start"), &renewal->window_start) != 0 ||
	    da_acme_rfc3339_parse(get_str(window, "end"), &renewal->window_end) != 0 ||
	    renewal->window_end < renewal->window_start)
		return da_err_set(err, DA_ERR_PROTOCOL, "%s: no valid suggestedWindow", url);
	if (dup_str(obj, "explanationURL", &renewal->explanation_url) != 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

void da_acme_renewal_clear(struct da_acme_renewal *renewal)
{
	free(renewal->explanation_url);
	memset(renewal, 0, sizeof(*renewal));
}

enum da_acme_progress da_acme_authz_progress(enum da_acme_status status)
{
	switch (status) {
	case DA_ACME_VALID: return DA_ACME_DONE;
	case DA_ACME_PENDING:
	case DA_ACME_PROCESSING: return DA_ACME_WAIT;
	default: return DA_ACME_FAILED;
	}
}

enum da_acme_progress da_acme_order_progress(enum da_acme_status status)
{
	switch (status) {
	case DA_ACME_VALID: return DA_ACME_DONE;
	case DA_ACME_READY:
	case DA_ACME_PROCESSING: return DA_ACME_WAIT;
	default: return DA_ACME_FAILED;
	}
}
