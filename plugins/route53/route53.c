/*
 * dnsacme-route53: TXT records through the AWS Route 53 API.
 *
 * Each present/cleanup call sends one ChangeBatch per hosted zone. A TXT
 * RRset holds every value at a name, so values are added and removed by
 * read-modify-write: read the current sets, then DELETE each as read and
 * CREATE it with the merged values (no CREATE when its last value goes).
 * Values someone else put there stay.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "creds.h"
#include "dnsacme/plugin.h"
#include "send.h"

#define RRSET_PAGE "300"     /* the most ListResourceRecordSets returns */
#define WAIT_FIRST_MS 1000   /* GetChange: Route 53 usually syncs within seconds */
#define WAIT_MAX_MS 5000
#define NAME_ORDER_MAX 512   /* room for any DNS name (255) reversed */

static const struct dnsacme_option options[] = {
	{"access_key_id", {"AWS_ACCESS_KEY_ID"}, DNSACME_OPT_SECRET, NULL, "access key id"},
	{"secret_access_key", {"AWS_SECRET_ACCESS_KEY"}, DNSACME_OPT_SECRET, NULL,
	 "secret access key"},
	{"session_token", {"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}, DNSACME_OPT_SECRET, NULL,
	 "session token of temporary keys"},
	{"profile", {"AWS_PROFILE"}, 0, NULL,
	 "profile in the shared credentials and config files (default: default)"},
	{"shared_credentials_file", {"AWS_SHARED_CREDENTIALS_FILE"}, 0, NULL,
	 "shared credentials file (default: ~/.aws/credentials)"},
	{"config_file", {"AWS_CONFIG_FILE"}, 0, NULL,
	 "shared config file (default: ~/.aws/config)"},
	{"region", {"AWS_REGION", "AWS_DEFAULT_REGION"}, 0, NULL,
	 "region: picks the partition (cn-*, us-gov-*) and the STS endpoint"},
	{"hosted_zone_id", {"AWS_HOSTED_ZONE_ID"}, 0, NULL,
	 "hosted zone id to use instead of looking the zone up"},
	{"private_zone", {"AWS_PRIVATE_ZONE"}, 0, "false",
	 "use the private hosted zone rather than the public one (true/false)"},
	{"ttl", {"AWS_TTL"}, 0, "10", "TTL of the TXT records in seconds"},
	{"role_arn", {"AWS_ROLE_ARN"}, 0, NULL, "role for web identity (IRSA)"},
	{"web_identity_token_file", {"AWS_WEB_IDENTITY_TOKEN_FILE"}, 0, NULL,
	 "web identity token file (IRSA), re-read at each refresh"},
	{"role_session_name", {"AWS_ROLE_SESSION_NAME"}, 0, "dnsacme",
	 "session name for assumed roles"},
	{"container_credentials_full_uri", {"AWS_CONTAINER_CREDENTIALS_FULL_URI"}, 0, NULL,
	 "container credentials URL (EKS Pod Identity)"},
	{"container_credentials_relative_uri", {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}, 0, NULL,
	 "container credentials path on 169.254.170.2 (ECS)"},
	{"container_authorization_token_file", {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}, 0, NULL,
	 "file holding the container credentials token, re-read at each refresh"},
	{"container_authorization_token", {"AWS_CONTAINER_AUTHORIZATION_TOKEN"},
	 DNSACME_OPT_SECRET, NULL, "container credentials token"},
	{"ec2_metadata_service_endpoint", {"AWS_EC2_METADATA_SERVICE_ENDPOINT"}, 0, NULL,
	 "instance metadata endpoint (default: http://169.254.169.254)"},
	{"ec2_metadata_disabled", {"AWS_EC2_METADATA_DISABLED"}, 0, "false",
	 "never ask the instance metadata service (true/false)"},
	{"assume_role_arn", {"AWS_ASSUME_ROLE_ARN"}, 0, NULL,
	 "role to assume with the credentials found"},
	{"external_id", {"AWS_EXTERNAL_ID"}, 0, NULL, "external id for assume_role_arn"},
	{"endpoint", {"AWS_ENDPOINT_URL_ROUTE_53", "AWS_ENDPOINT_URL"}, 0, NULL,
	 "Route 53 endpoint URL (default: the partition's)"},
	{"sts_endpoint", {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}, 0, NULL,
	 "STS endpoint URL (default: regional, or global without a region)"},
	{"max_retries", {"AWS_MAX_RETRIES"}, 0, "5",
	 "retries on throttling, 5xx and network errors"},
	{"wait_timeout", {"AWS_WAIT_TIMEOUT"}, 0, "300",
	 "seconds to wait for changes to be INSYNC"},
	{NULL, {NULL}, 0, NULL, NULL},
};

struct zone_entry {
	char *name; /* normalised candidate name */
	char *id;   /* NULL: no usable hosted zone of this name */
};

struct r53 {
	const struct dnsacme_host *host;
	struct r53_endpoint ep;
	const char *signing_region;
	const char *hosted_zone_id;
	int private_zone;
	unsigned long ttl;
	unsigned max_retries;
	long wait_timeout_s;
	struct r53_creds_config creds_cfg;
	struct r53_creds creds;
	struct zone_entry *zones; /* lookups done so far, kept across calls */
	size_t n_zones;
	char **changes; /* ids from the last present(), for wait() */
	size_t n_changes;
};

/* What one record becomes once its zone is known. */
struct item {
	char *name;  /* normalised fqdn */
	char *value; /* quoted */
	const char *zone_id;
	unsigned long ttl;
};

/* --- small helpers ------------------------------------------------------ */

static enum dnsacme_status nomem(const struct r53 *st)
{
	st->host->error(st->host, "out of memory");
	return DNSACME_ERR_NOMEM;
}

static int parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && *out <= max ? 0 : -1;
}

static int all_chars(const char *s, const char *allowed_punct)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(allowed_punct, *s) == NULL)
			return 0;
	return 1;
}

/* name with its labels reversed and a trailing dot, as Route 53 sorts record
 * sets: "www.example.com" -> "com.example.www.". Cut to fit out. */
static void reversed_name(const char *name, char *out, size_t size)
{
	const char *end = name + strlen(name);
	size_t used = 0;

	out[0] = '\0';
	for (;;) {
		const char *label = end;
		int n;

		while (label > name && label[-1] != '.')
			label--;
		n = snprintf(out + used, size - used, "%.*s.", (int)(end - label), label);
		if (n < 0 || (size_t)n >= size - used || label == name)
			return;
		used += (size_t)n;
		end = label - 1;
	}
}

/* Route 53's listing order: the reversed names compared as whole strings, so
 * the dot after a label counts ("web-1" sorts before "web": '-' < '.'). */
static int name_order(const char *a, const char *b)
{
	char ra[NAME_ORDER_MAX], rb[NAME_ORDER_MAX];

	reversed_name(a, ra, sizeof(ra));
	reversed_name(b, rb, sizeof(rb));
	return strcmp(ra, rb);
}

static int item_order(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = strcmp(a->zone_id, b->zone_id);

	return c != 0 ? c : name_order(a->name, b->name);
}

/* --- one API call, with retries ----------------------------------------- */

static int retryable(long status, const char *code)
{
	return status >= 500 || strcmp(code, "Throttling") == 0 ||
	       strcmp(code, "PriorRequestNotComplete") == 0;
}

/*
 * Sign and send req until it succeeds, retrying throttling, PriorRequest-
 * NotComplete, 5xx and network errors with the host's backoff (each attempt
 * signed afresh). On DNSACME_OK *resp holds a 2xx answer (host->http_free()).
 * Otherwise host->error() has one line with the AWS code, message and request
 * id, and *err (may be NULL) the parsed error.
 */
static enum dnsacme_status call(struct r53 *st, const struct r53_request *req,
				struct dnsacme_http_response *resp, struct r53_error *err)
{
	const struct dnsacme_host *host = st->host;
	struct r53_signer signer = {NULL, "route53", st->signing_region, 0};
	struct r53_error e;
	const char *rid;
	enum dnsacme_status rc;
	unsigned attempt = 0;
	long status = 0;
	int refreshed = 0;

	for (;;) {
		signer.now = time(NULL);
		rc = r53_creds_get(&st->creds, signer.now, &signer.creds);
		if (rc != DNSACME_OK)
			return rc;
		memset(&e, 0, sizeof(e));
		rc = r53_send_once(host, &st->ep, req, &signer, NULL, 0, 0, resp);
		if (rc == DNSACME_OK && resp->status / 100 == 2)
			return DNSACME_OK;
		if (rc != DNSACME_OK && rc != DNSACME_ERR_NETWORK && rc != DNSACME_ERR_TIMEOUT)
			return rc == DNSACME_ERR_NOMEM ? nomem(st) : rc;
		status = rc == DNSACME_OK ? resp->status : 0;
		if (rc == DNSACME_OK) {
			if (r53_parse_error(resp->body, resp->body_len, &e) != 0)
				snprintf(e.code, sizeof(e.code), "HTTP %ld", status);
			rid = r53_header(resp, "x-amzn-requestid");
			if (e.request_id[0] == '\0' && rid != NULL)
				snprintf(e.request_id, sizeof(e.request_id), "%s", rid);
			host->http_free(host, resp);
		}
		if (err != NULL)
			*err = e;
		/* Temporary keys may have expired under us: fetch new ones once. */
		if (!refreshed && (strcmp(e.code, "ExpiredToken") == 0 ||
				   strcmp(e.code, "InvalidClientTokenId") == 0) &&
		    r53_creds_expire(&st->creds)) {
			refreshed = 1;
			continue;
		}
		if ((rc == DNSACME_OK && !retryable(status, e.code)) || attempt >= st->max_retries)
			break;
		attempt++;
		host->log(host, DNSACME_LOG_INFO, "%s: %s, retrying (%u/%u)", req->op,
			  rc != DNSACME_OK ? "no answer" : e.code, attempt, st->max_retries);
		/* Route 53 needs a moment for a zone's previous change. */
		if (host->backoff(host, attempt,
				  strcmp(e.code, "PriorRequestNotComplete") == 0 ? 1000 : 0) != 0) {
			host->error(host, "%s: interrupted", req->op);
			return DNSACME_ERR_TIMEOUT;
		}
	}
	if (rc != DNSACME_OK) {
		host->error(host, "%s: %s unreachable after %u attempts", req->op, st->ep.base,
			    attempt + 1);
		return rc;
	}
	host->error(host, "%s: %s: %s (HTTP %ld, request id %s)", req->op, e.code,
		    e.message[0] ? e.message : "no message", status,
		    e.request_id[0] ? e.request_id : "none");
	return r53_error_status(status, e.code);
}

/* --- hosted zones ----------------------------------------------------------- */

/* The usable hosted zone called name (*id NULL when there is none), from the
 * cache or from one ListHostedZonesByName, whose answer is then cached. */
static enum dnsacme_status zone_named(struct r53 *st, const char *name, const char **id)
{
	struct dnsacme_http_response resp;
	struct r53_zone_page page;
	struct r53_request req;
	struct zone_entry *grown, *z;
	enum dnsacme_status rc;
	char *dnsname = NULL;
	size_t i, matches = 0;
	const char *found = NULL, *other = NULL;

	for (i = 0; i < st->n_zones; i++) {
		if (strcmp(st->zones[i].name, name) == 0) {
			*id = st->zones[i].id;
			return DNSACME_OK;
		}
	}
	if (asprintf(&dnsname, "%s.", name) < 0)
		return nomem(st);
	if (r53_req_list_zones(&req, dnsname, NULL, "100") != 0) {
		free(dnsname);
		return nomem(st);
	}
	rc = call(st, &req, &resp, NULL);
	r53_request_free(&req);
	free(dnsname);
	if (rc != DNSACME_OK)
		return rc;
	if (r53_parse_zones(resp.body, resp.body_len, &page) != 0) {
		st->host->http_free(st->host, &resp);
		st->host->error(st->host, "ListHostedZonesByName: unexpected answer");
		return DNSACME_ERR_PROTOCOL;
	}
	st->host->http_free(st->host, &resp);
	/* Zones come sorted from name on: the ones called name come first. */
	for (i = 0; i < page.n && strcmp(page.zones[i].name, name) == 0; i++) {
		if (page.zones[i].private_zone != st->private_zone)
			continue;
		if (matches++ == 0)
			found = page.zones[i].id;
		else
			other = page.zones[i].id;
	}
	if (matches > 1) {
		st->host->error(st->host, "several %s hosted zones are named %s (%s, %s): "
				"set hosted_zone_id (AWS_HOSTED_ZONE_ID)",
				st->private_zone ? "private" : "public", name, found, other);
		r53_zone_page_free(&page);
		return DNSACME_ERR_CONFIG;
	}
	grown = realloc(st->zones, (st->n_zones + 1) * sizeof(*grown));
	if (grown == NULL) {
		r53_zone_page_free(&page);
		return nomem(st);
	}
	st->zones = grown;
	z = &st->zones[st->n_zones];
	z->name = strdup(name);
	z->id = found != NULL ? strdup(found) : NULL;
	r53_zone_page_free(&page);
	if (z->name == NULL || (found != NULL && z->id == NULL)) {
		free(z->name);
		free(z->id);
		return nomem(st);
	}
	st->n_zones++;
	*id = z->id;
	return DNSACME_OK;
}

/* The hosted zone of fqdn: the core's zone hint when Route 53 has it (one
 * call for a whole order), else the longest suffix of fqdn that is a hosted
 * zone. *id points into st. */
static enum dnsacme_status find_zone(struct r53 *st, const char *fqdn, const char *hint,
				     const char **id)
{
	size_t flen = strlen(fqdn), hlen = hint != NULL ? strlen(hint) : 0;
	enum dnsacme_status rc;
	const char *cand;

	if (st->hosted_zone_id != NULL) {
		*id = st->hosted_zone_id;
		return DNSACME_OK;
	}
	/* Only a hint that is fqdn or one of its parents is worth asking for. */
	if (hint != NULL && (hlen == 0 || hlen > flen || strcmp(fqdn + flen - hlen, hint) != 0 ||
			     (hlen < flen && fqdn[flen - hlen - 1] != '.')))
		hint = NULL;
	if (hint != NULL) {
		rc = zone_named(st, hint, id);
		if (rc != DNSACME_OK || *id != NULL)
			return rc;
	}
	for (cand = fqdn; cand != NULL; cand = strchr(cand, '.') ? strchr(cand, '.') + 1 : NULL) {
		if (hint != NULL && strcmp(cand, hint) == 0)
			continue; /* asked already */
		rc = zone_named(st, cand, id);
		if (rc != DNSACME_OK || *id != NULL)
			return rc;
	}
	st->host->error(st->host, "no %s hosted zone holds %s",
			st->private_zone ? "private" : "public", fqdn);
	return DNSACME_ERR_CONFIG;
}

/* --- reading and changing one zone's sets ----------------------------------- */

/*
 * Where the listing goes on after a truncated page: at the first of our names
 * it has not passed, straight at that name's TXT set when Route 53 would list
 * other names first, so an order costs at most one page per name whatever the
 * zone holds. 1 with *start and *type replaced, 0 when every name is passed,
 * -1 when out of memory, -2 when the page's NextRecordName does not move the
 * listing on (it would loop for ever).
 */
static int next_start(const struct item *items, size_t n, struct r53_rrset_page *page,
		      char **start, char **type)
{
	char *name, *next_type;
	size_t j = 0;
	int jump;

	while (j < n && name_order(items[j].name, page->next_name) < 0)
		j++;
	if (j == n)
		return 0;
	jump = name_order(items[j].name, page->next_name) > 0;
	if (asprintf(&name, "%s.", jump ? items[j].name : page->next_name) < 0)
		return -1;
	if (strcasecmp(name, *start) == 0 &&
	    strcmp(jump ? "TXT" : page->next_type ? page->next_type : "", *type) == 0) {
		free(name);
		return -2;
	}
	next_type = jump ? strdup("TXT") : page->next_type;
	if (next_type == NULL) {
		free(name);
		return -1;
	}
	if (!jump)
		page->next_type = NULL; /* taken */
	free(*start);
	free(*type);
	*start = name;
	*type = next_type;
	return 1;
}

/* The TXT sets at the names items[0..n) (one zone, sorted): one listing from
 * the first name, paged (see next_start) until it passes the last. sets[i] is
 * empty (no name) when items[i] has none; entries of equal names share the
 * first one. */
static enum dnsacme_status read_sets(struct r53 *st, const struct item *items, size_t n,
				     struct r53_rrset *sets)
{
	char *start = NULL, *start_type = strdup("TXT");
	int single = strcmp(items[0].name, items[n - 1].name) == 0;
	enum dnsacme_status rc = DNSACME_OK;

	if (start_type == NULL || asprintf(&start, "%s.", items[0].name) < 0) {
		free(start_type);
		return nomem(st);
	}
	for (;;) {
		struct dnsacme_http_response resp;
		struct r53_rrset_page page;
		struct r53_request req;
		size_t i, j;
		int more;

		if (r53_req_list_rrsets(&req, items[0].zone_id, start, start_type,
					single ? "1" : RRSET_PAGE) != 0) {
			rc = nomem(st);
			break;
		}
		rc = call(st, &req, &resp, NULL);
		r53_request_free(&req);
		if (rc != DNSACME_OK)
			break;
		if (r53_parse_rrsets(resp.body, resp.body_len, &page) != 0) {
			st->host->http_free(st->host, &resp);
			st->host->error(st->host, "ListResourceRecordSets: unexpected answer");
			rc = DNSACME_ERR_PROTOCOL;
			break;
		}
		st->host->http_free(st->host, &resp);
		for (i = 0; i < page.n && rc == DNSACME_OK; i++) {
			struct r53_rrset *s = &page.sets[i];

			if (strcmp(s->type, "TXT") != 0)
				continue;
			for (j = 0; j < n; j++) {
				if (strcmp(items[j].name, s->name) != 0 || sets[j].name != NULL)
					continue;
				if (s->routed) {
					st->host->error(st->host, "%s has a TXT set with a routing "
							"policy; not touching it", s->name);
					rc = DNSACME_ERR_API;
					break;
				}
				sets[j] = *s;
				memset(s, 0, sizeof(*s));
				break;
			}
		}
		more = rc == DNSACME_OK && page.truncated && !single
			       ? next_start(items, n, &page, &start, &start_type)
			       : 0;
		r53_rrset_page_free(&page);
		if (more == -1)
			rc = nomem(st);
		if (more == -2) {
			st->host->error(st->host, "ListResourceRecordSets: NextRecordName %s does "
					"not move the listing on", start);
			rc = DNSACME_ERR_PROTOCOL;
		}
		if (more <= 0)
			break;
	}
	free(start);
	free(start_type);
	return rc;
}

static int has_value(const char *const *values, size_t n, const char *value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(values[i], value) == 0)
			return 1;
	return 0;
}

static int is_ours(const char *value, const struct item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].value, value) == 0)
			return 1;
	return 0;
}

/*
 * One zone's ChangeBatch. A set is rewritten as DELETE of exactly what was
 * read, then CREATE of the new values: if another writer changed the set in
 * between, AWS refuses the batch (InvalidChangeBatch) and the caller reads
 * again, where an UPSERT would silently drop the other writer's value. Returns
 * the change id (allocated) in *change_id, or NULL when nothing needed
 * changing. The value arrays point into sets.
 */
static enum dnsacme_status change_zone(struct r53 *st, const struct item *items, size_t n,
				       int adding, char **change_id, struct r53_error *err)
{
	struct r53_rrset *sets = calloc(n, sizeof(*sets));
	struct r53_change *changes = calloc(2 * n, sizeof(*changes)); /* DELETE, CREATE */
	const char **values = NULL;
	struct dnsacme_http_response resp;
	struct r53_request req;
	enum dnsacme_status rc;
	size_t i, j, k, n_sets = 0, n_changes = 0, n_values = 0;
	char *status = NULL;

	*change_id = NULL;
	if (sets == NULL || changes == NULL) {
		rc = nomem(st);
		goto out;
	}
	rc = read_sets(st, items, n, sets);
	if (rc != DNSACME_OK)
		goto out;
	/* Room for every current value plus ours, so changes[] can point in. */
	for (i = 0, k = n; i < n; i++)
		k += sets[i].n_values;
	values = calloc(k, sizeof(*values));
	if (values == NULL) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < n; i = j) {
		const struct r53_rrset *cur = &sets[i];
		const char *const *now = (const char *const *)cur->values;
		const char **next = values + n_values;
		size_t n_next = 0;

		/* items[i..j) share one name. */
		for (j = i; j < n && strcmp(items[j].name, items[i].name) == 0; j++)
			;
		if (adding) {
			/* Everything there now, then ours that are missing. */
			for (k = 0; k < cur->n_values; k++)
				next[n_next++] = now[k];
			for (k = i; k < j; k++)
				if (!has_value(next, n_next, items[k].value))
					next[n_next++] = items[k].value;
			if (n_next == cur->n_values)
				continue; /* all there already */
		} else {
			/* Everything there now but ours. */
			for (k = 0; k < cur->n_values; k++)
				if (!is_ours(now[k], items + i, j - i))
					next[n_next++] = now[k];
			if (n_next == cur->n_values)
				continue; /* none of ours there */
		}
		/* A DELETE must match the set exactly as it is. */
		if (cur->n_values > 0)
			changes[n_changes++] = (struct r53_change){"DELETE", items[i].name,
								   cur->ttl, now, cur->n_values};
		/* present writes its TTL; cleanup keeps the set's. */
		if (n_next > 0)
			changes[n_changes++] = (struct r53_change){
				"CREATE", items[i].name, adding ? items[i].ttl : cur->ttl, next,
				n_next};
		n_sets++;
		n_values += n_next;
	}
	if (n_changes == 0)
		goto out;
	if (r53_req_change(&req, items[0].zone_id, "dnsacme ACME challenge", changes,
			   n_changes) != 0) {
		rc = nomem(st);
		goto out;
	}
	rc = call(st, &req, &resp, err);
	r53_request_free(&req);
	if (rc != DNSACME_OK)
		goto out;
	if (r53_parse_change(resp.body, resp.body_len, change_id, &status) != 0) {
		st->host->error(st->host, "ChangeResourceRecordSets: unexpected answer");
		rc = DNSACME_ERR_PROTOCOL;
	}
	st->host->http_free(st->host, &resp);
	st->host->log(st->host, DNSACME_LOG_DEBUG, "zone %s: %zu set(s) changed, change %s %s",
		      items[0].zone_id, n_sets, *change_id ? *change_id : "?",
		      status ? status : "?");
	free(status);
out:
	for (i = 0; sets != NULL && i < n; i++)
		r53_rrset_clear(&sets[i]);
	free(sets);
	free(changes);
	free(values);
	return rc;
}

static void items_free(struct item *items, size_t n)
{
	size_t i;

	for (i = 0; items != NULL && i < n; i++) {
		free(items[i].name);
		free(items[i].value);
	}
	free(items);
}

/*
 * The items of records, sorted by zone then name, into *out (items_free(*out,
 * *n_out)). present needs every record: the first that fails fails the call,
 * *out NULL. cleanup leaves such a record out and goes on with the others; it
 * returns the first failure, *out holding what could be made.
 */
static enum dnsacme_status make_items(struct r53 *st, const struct dnsacme_record *records,
				      size_t n, int adding, struct item **out, size_t *n_out)
{
	struct item *items = calloc(n, sizeof(*items));
	enum dnsacme_status rc, first = DNSACME_OK;
	size_t i, m = 0;

	*out = NULL;
	if (items == NULL)
		return nomem(st);
	for (i = 0; i < n; i++) {
		const struct dnsacme_record *r = &records[i];
		struct item *it = &items[m];

		/* Quotes and backslashes would need escaping; ACME digests have none. */
		if (strlen(r->value) > 255 || strpbrk(r->value, "\"\\") != NULL) {
			st->host->error(st->host, "TXT value for %s is not a plain string "
					"of at most 255 characters", r->fqdn);
			rc = DNSACME_ERR_CONFIG;
		} else if ((it->name = r53_name_normalise(r->fqdn)) == NULL ||
			   asprintf(&it->value, "\"%s\"", r->value) < 0) {
			it->value = NULL;
			rc = nomem(st);
		} else {
			it->ttl = r->ttl != 0 ? r->ttl : st->ttl;
			rc = find_zone(st, it->name, r->zone, &it->zone_id);
		}
		if (rc == DNSACME_OK) {
			m++;
			continue;
		}
		free(it->name);
		free(it->value);
		memset(it, 0, sizeof(*it));
		if (first == DNSACME_OK)
			first = rc;
		if (adding || rc == DNSACME_ERR_NOMEM) {
			items_free(items, m);
			return first;
		}
	}
	qsort(items, m, sizeof(*items), item_order);
	*out = items;
	*n_out = m;
	return first;
}

static void changes_clear(struct r53 *st)
{
	size_t i;

	for (i = 0; i < st->n_changes; i++)
		free(st->changes[i]);
	free(st->changes);
	st->changes = NULL;
	st->n_changes = 0;
}

/* present (adding) or cleanup every record, one ChangeBatch per zone. present
 * stops at the first record or zone that fails; cleanup still does the others
 * and returns the first failure. */
static enum dnsacme_status apply(void *state, const struct dnsacme_record *records, size_t n,
				 int adding)
{
	struct r53 *st = state;
	struct item *items;
	enum dnsacme_status rc, first;
	size_t i, j, n_items = 0;

	if (n == 0)
		return DNSACME_OK;
	first = make_items(st, records, n, adding, &items, &n_items);
	if (items == NULL)
		return first;
	if (adding)
		changes_clear(st);
	for (i = 0; i < n_items && (first == DNSACME_OK || !adding); i = j) {
		struct r53_error err;
		char *id = NULL, **grown;
		int tries;

		for (j = i; j < n_items && strcmp(items[j].zone_id, items[i].zone_id) == 0; j++)
			;
		/* InvalidChangeBatch after a read usually means the set changed
		 * under us (another writer): read again once. */
		for (tries = 0; tries < 2; tries++) {
			memset(&err, 0, sizeof(err));
			rc = change_zone(st, items + i, j - i, adding, &id, &err);
			if (rc == DNSACME_OK || strcmp(err.code, "InvalidChangeBatch") != 0)
				break;
		}
		if (rc == DNSACME_OK && id != NULL && adding) {
			grown = realloc(st->changes, (st->n_changes + 1) * sizeof(*grown));
			if (grown != NULL) {
				st->changes = grown;
				st->changes[st->n_changes++] = id;
				id = NULL;
			} else {
				rc = nomem(st);
			}
		}
		free(id);
		if (first == DNSACME_OK)
			first = rc;
	}
	items_free(items, n_items);
	return first;
}

static enum dnsacme_status r53_present(void *state, const struct dnsacme_record *records,
				       size_t n)
{
	return apply(state, records, n, 1);
}

static enum dnsacme_status r53_cleanup(void *state, const struct dnsacme_record *records,
				       size_t n)
{
	return apply(state, records, n, 0);
}

/* GetChange until every change of the last present() is INSYNC. */
static enum dnsacme_status r53_wait(void *state)
{
	struct r53 *st = state;
	time_t deadline = time(NULL) + st->wait_timeout_s;
	long interval = WAIT_FIRST_MS;
	size_t i;

	for (i = 0; i < st->n_changes; i++) {
		for (;;) {
			struct dnsacme_http_response resp;
			struct r53_request req;
			enum dnsacme_status rc;
			char *id = NULL, *status = NULL;
			int insync;

			if (r53_req_get_change(&req, st->changes[i]) != 0)
				return nomem(st);
			rc = call(st, &req, &resp, NULL);
			r53_request_free(&req);
			if (rc != DNSACME_OK)
				return rc;
			if (r53_parse_change(resp.body, resp.body_len, &id, &status) != 0) {
				st->host->http_free(st->host, &resp);
				st->host->error(st->host, "GetChange: unexpected answer");
				return DNSACME_ERR_PROTOCOL;
			}
			st->host->http_free(st->host, &resp);
			insync = strcmp(status, "INSYNC") == 0;
			free(id);
			free(status);
			if (insync)
				break;
			if (time(NULL) >= deadline) {
				st->host->error(st->host, "change %s not INSYNC after %ld s",
						st->changes[i], st->wait_timeout_s);
				return DNSACME_ERR_TIMEOUT;
			}
			if (st->host->backoff(st->host, 1, interval) != 0) {
				st->host->error(st->host, "GetChange: interrupted");
				return DNSACME_ERR_TIMEOUT;
			}
			interval = interval * 2 > WAIT_MAX_MS ? WAIT_MAX_MS : interval * 2;
		}
	}
	changes_clear(st);
	return DNSACME_OK;
}

/* --- open / close ---------------------------------------------------------- */

static void r53_close(void *state)
{
	struct r53 *st = state;
	size_t i;

	if (st == NULL)
		return;
	r53_creds_free(&st->creds);
	for (i = 0; i < st->n_zones; i++) {
		free(st->zones[i].name);
		free(st->zones[i].id);
	}
	free(st->zones);
	changes_clear(st);
	free(st);
}

static enum dnsacme_status configure(struct r53 *st)
{
	const struct dnsacme_host *host = st->host;
#define GET(key) host->config_get(host, key)
	struct r53_creds_config *cc = &st->creds_cfg;
	const char *region = GET("region"), *endpoint = GET("endpoint"), *s;
	unsigned long value;
	int flag;

	if (region != NULL && (region[0] == '\0' || !all_chars(region, "-"))) {
		host->error(host, "region %s is not a region name", region);
		return DNSACME_ERR_CONFIG;
	}
	s = r53_partition_endpoint(region, &st->signing_region);
	if (r53_endpoint_parse(endpoint != NULL ? endpoint : s, &st->ep) != 0) {
		host->error(host, "endpoint %s is not an http(s)://host[:port] URL", endpoint);
		return DNSACME_ERR_CONFIG;
	}
	s = GET("hosted_zone_id");
	if (s != NULL) {
		/* "Z1" or "/hostedzone/Z1", as the console and the API show it. */
		st->hosted_zone_id = strncmp(s, "/hostedzone/", 12) == 0 ? s + 12 : s;
		if (st->hosted_zone_id[0] == '\0' || !all_chars(st->hosted_zone_id, "")) {
			host->error(host, "hosted_zone_id %s is not a zone id", s);
			return DNSACME_ERR_CONFIG;
		}
	}
	if (parse_bool(GET("private_zone"), &st->private_zone) != 0) {
		host->error(host, "private_zone must be true or false");
		return DNSACME_ERR_CONFIG;
	}
	if (parse_ulong(GET("ttl"), 2147483647, &st->ttl) != 0) {
		host->error(host, "ttl must be a number of seconds");
		return DNSACME_ERR_CONFIG;
	}
	if (parse_ulong(GET("max_retries"), 20, &value) != 0) {
		host->error(host, "max_retries must be a number from 0 to 20");
		return DNSACME_ERR_CONFIG;
	}
	st->max_retries = (unsigned)value;
	if (parse_ulong(GET("wait_timeout"), 86400, &value) != 0) {
		host->error(host, "wait_timeout must be a number of seconds");
		return DNSACME_ERR_CONFIG;
	}
	st->wait_timeout_s = (long)value;
	if (parse_bool(GET("ec2_metadata_disabled"), &flag) != 0) {
		host->error(host, "ec2_metadata_disabled must be true or false");
		return DNSACME_ERR_CONFIG;
	}
	*cc = (struct r53_creds_config){
		.access_key_id = GET("access_key_id"),
		.secret_access_key = GET("secret_access_key"),
		.session_token = GET("session_token"),
		.profile = GET("profile"),
		.shared_credentials_file = GET("shared_credentials_file"),
		.config_file = GET("config_file"),
		.region = region,
		.role_arn = GET("role_arn"),
		.web_identity_token_file = GET("web_identity_token_file"),
		.role_session_name = GET("role_session_name"),
		.container_full_uri = GET("container_credentials_full_uri"),
		.container_relative_uri = GET("container_credentials_relative_uri"),
		.container_token_file = GET("container_authorization_token_file"),
		.container_token = GET("container_authorization_token"),
		.imds_endpoint = GET("ec2_metadata_service_endpoint"),
		.imds_disabled = flag,
		.assume_role_arn = GET("assume_role_arn"),
		.external_id = GET("external_id"),
		.sts_endpoint = GET("sts_endpoint"),
		.max_retries = st->max_retries,
	};
#undef GET
	return DNSACME_OK;
}

static enum dnsacme_status r53_open(const struct dnsacme_host *host, void **state)
{
	struct r53 *st = calloc(1, sizeof(*st));
	enum dnsacme_status rc;

	if (st == NULL) {
		host->error(host, "out of memory");
		return DNSACME_ERR_NOMEM;
	}
	st->host = host;
	rc = configure(st);
	if (rc != DNSACME_OK) {
		free(st);
		return rc;
	}
	/* Credentials are resolved on first use: open() stays offline. */
	r53_creds_init(&st->creds, host, &st->creds_cfg);
	*state = st;
	return DNSACME_OK;
}

static const struct dnsacme_provider provider = {
	.abi_version = DNSACME_PLUGIN_ABI_VERSION,
	.name = "route53",
	.summary = "AWS Route 53 (ChangeResourceRecordSets, SigV4, the AWS credential chain)",
	.options = options,
	.open = r53_open,
	.close = r53_close,
	.present = r53_present,
	.cleanup = r53_cleanup,
	.wait = r53_wait,
};

DNSACME_EXPORT const struct dnsacme_provider *dnsacme_plugin(void)
{
	return &provider;
}
