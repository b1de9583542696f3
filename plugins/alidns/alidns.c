/*
 * Alibaba Cloud DNS (alidns, API 2015-01-09) provider.
 *
 * present: AddDomainRecord per value (DomainRecordDuplicate is success).
 * cleanup: one listing per zone (DescribeSubDomainRecords for a single name,
 * else DescribeDomainRecords of the zone's TXT records), then
 * DeleteDomainRecord for exactly the values asked for; other values at the
 * same name stay. The zone of each name is the longest match among the
 * account's domains (DescribeDomains); the listing is kept for the present and
 * cleanup of an order, and made again when it is old or misses a name. The
 * core's zone hint is not trusted: CNAME flattening on alidns makes it wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "credentials.h"
#include "dnsacme/plugin.h"
#include "rpc.h"
#include "sign.h"

#define ALIDNS_VERSION "2015-01-09"
/* The free edition's minimum, and the API's own default. */
#define TTL_DEFAULT 600
#define TTL_MAX 86400
#define HTTP_TIMEOUT_MAX 600
/* How long a listing of the account's domains is trusted. */
#define ZONES_MAX_AGE 600
/* Page sizes are the API's maxima, so one page usually serves. */
#define DOMAINS_PAGE 100
#define SUBDOMAIN_PAGE 100
#define RECORDS_PAGE 500
/* No listing is longer (10,000 domains, 50,000 records): a TotalCount that
 * says otherwise, or pages that never run short, are the API misbehaving. */
#define MAX_PAGES 100

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const struct dnsacme_option alidns_options[] = {
	{"access_key_id", {"ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "Ali_Key"},
	 DNSACME_OPT_SECRET, NULL, "AccessKey ID of a RAM user (or of STS credentials)"},
	{"access_key_secret",
	 {"ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "Ali_Secret"},
	 DNSACME_OPT_SECRET, NULL, "AccessKey secret"},
	{"security_token", {"ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"},
	 DNSACME_OPT_SECRET, NULL, "STS security token that goes with an STS AccessKey pair"},
	{"role_arn", {"ALIBABA_CLOUD_ROLE_ARN"}, 0, NULL,
	 "RRSA: RAM role to assume with the pod's OIDC token"},
	{"oidc_provider_arn", {"ALIBABA_CLOUD_OIDC_PROVIDER_ARN"}, 0, NULL,
	 "RRSA: ARN of the cluster's OIDC identity provider"},
	{"oidc_token_file", {"ALIBABA_CLOUD_OIDC_TOKEN_FILE"}, 0, NULL,
	 "RRSA: file holding the pod's OIDC token (re-read at every refresh)"},
	{"role_session_name", {"ALIBABA_CLOUD_ROLE_SESSION_NAME"}, 0, "dnsacme",
	 "RRSA: session name of the assumed role"},
	{"region", {"ALICLOUD_REGION_ID"}, 0, "cn-hangzhou",
	 "region of the DNS API endpoint (zones are global; any region works)"},
	{"endpoint", {"ALICLOUD_ENDPOINT"}, 0, NULL,
	 "DNS API base URL, overrides region (VPC endpoint, proxy, test server)"},
	{"sts_region", {"ALIBABA_CLOUD_STS_REGION"}, 0, NULL,
	 "RRSA: region of the STS endpoint (default: sts.aliyuncs.com)"},
	{"sts_endpoint", {"ALIBABA_CLOUD_STS_ENDPOINT"}, 0, NULL,
	 "RRSA: STS base URL, overrides sts_region"},
	{"sts_vpc", {"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"}, 0, "false",
	 "RRSA: \"true\" uses sts-vpc.<sts_region>.aliyuncs.com"},
	{"zone", {NULL}, 0, NULL,
	 "Alibaba Cloud DNS domain that holds every record (skips zone detection)"},
	{"ttl", {"ALICLOUD_TTL"}, 0, STRINGIFY(TTL_DEFAULT),
	 "TTL of the TXT records in seconds (600 is the free edition's minimum)"},
	{"http_timeout", {"ALICLOUD_HTTP_TIMEOUT"}, 0, "10",
	 "timeout of one API request in seconds"},
	{"signature_version", {NULL}, 0, "v1",
	 "v1 (RPC, HMAC-SHA1) or v3 (ACS3-HMAC-SHA256, Alibaba's current one)"},
	{NULL, {NULL}, 0, NULL, NULL},
};

/* The account's domains, from DescribeDomains. */
struct zones {
	char **names; /* as the API spells them; owned */
	char **ascii; /* the same in ASCII (PunyCode); owned */
	size_t n;
	time_t listed; /* 0: never */
};

struct alidns {
	const struct dnsacme_host *host;
	struct alidns_rpc rpc;
	struct alidns_creds creds; /* points at rpc */
	char *endpoint;		   /* DNS API base URL, ends in '/' */
	char *zone;		   /* the zone option, or NULL */
	unsigned ttl;
	struct zones zones;
};

/* Where each record of a batch goes: its zone and its RR in that zone. */
struct batch {
	const char **zone; /* per record: points into the zones or at the option */
	char **rr;	   /* per record; owned */
	size_t n;
};

static void zones_clear(struct zones *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->names[i]);
		free(z->ascii[i]);
	}
	free(z->names);
	free(z->ascii);
	memset(z, 0, sizeof(*z));
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n && b->rr; i++)
		free(b->rr[i]);
	free(b->zone);
	free(b->rr);
	memset(b, 0, sizeof(*b));
}

/* A numeric option in [min, max]; 0 when unset, -1 when invalid (reported). */
static long option_number(const struct dnsacme_host *host, const char *key, long min, long max)
{
	const char *v = host->config_get(host, key);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < min || n > max) {
		host->error(host, "%s must be a number from %ld to %ld, not \"%s\"", key,
			    min, max, v);
		return -1;
	}
	return n;
}

static enum dnsacme_status alidns_open(const struct dnsacme_host *host, void **state)
{
	struct alidns *a = calloc(1, sizeof(*a));
	const char *zone = host->config_get(host, "zone");
	const char *signature = host->config_get(host, "signature_version");
	long ttl, timeout;
	enum dnsacme_status st;

	*state = NULL;
	if (a == NULL) {
		host->error(host, "out of memory");
		return DNSACME_ERR_NOMEM;
	}
	a->host = host;
	a->rpc.host = host;
	ttl = option_number(host, "ttl", 1, TTL_MAX);
	timeout = option_number(host, "http_timeout", 1, HTTP_TIMEOUT_MAX);
	if (ttl < 0 || timeout < 0) {
		free(a);
		return DNSACME_ERR_CONFIG;
	}
	a->ttl = ttl ? (unsigned)ttl : TTL_DEFAULT;
	a->rpc.timeout_ms = timeout * 1000;
	if (signature != NULL && strcmp(signature, "v1") != 0 && strcmp(signature, "v3") != 0) {
		host->error(host, "signature_version must be v1 or v3, not \"%s\"", signature);
		free(a);
		return DNSACME_ERR_CONFIG;
	}
	a->rpc.v3 = signature != NULL && strcmp(signature, "v3") == 0;
	st = alidns_endpoint(host, "endpoint", host->config_get(host, "endpoint"), "alidns",
			     host->config_get(host, "region"), "cn-hangzhou", &a->endpoint);
	if (st == DNSACME_OK && zone != NULL && *zone != '\0') {
		size_t len = strlen(zone);

		a->zone = strndup(zone, zone[len - 1] == '.' ? len - 1 : len);
		if (a->zone == NULL)
			st = DNSACME_ERR_NOMEM;
	}
	if (st == DNSACME_OK)
		st = alidns_creds_open(&a->creds, &a->rpc);
	if (st != DNSACME_OK) {
		free(a->endpoint);
		free(a->zone);
		free(a);
		return st;
	}
	host->log(host, DNSACME_LOG_DEBUG, "API at %s, TTL %u", a->endpoint, a->ttl);
	*state = a;
	return DNSACME_OK;
}

static void alidns_close(void *state)
{
	struct alidns *a = state;

	if (a == NULL)
		return;
	alidns_creds_free(&a->creds);
	zones_clear(&a->zones);
	free(a->endpoint);
	free(a->zone);
	free(a);
}

static int ends_with_label(const char *fqdn, const char *zone)
{
	size_t f = strlen(fqdn), z = strlen(zone);

	if (z == 0 || z > f || strcasecmp(fqdn + f - z, zone) != 0)
		return 0;
	return f == z || fqdn[f - z - 1] == '.';
}

/*
 * Whether a listing has pages after this one: this one was full and its
 * TotalCount says so. 1 or 0; -1 (with host->error set) past MAX_PAGES.
 */
static int more_pages(const struct dnsacme_host *host, const char *action, json_t *json,
		      size_t n, unsigned page, unsigned page_size)
{
	json_int_t total = json_integer_value(json_object_get(json, "TotalCount"));

	if (n < page_size || (json_int_t)page * page_size >= total)
		return 0;
	if (page < MAX_PAGES)
		return 1;
	host->error(host, "%s: the listing goes on past %u pages (TotalCount %lld)", action,
		    MAX_PAGES, (long long)total);
	return -1;
}

/* Append one page's Domain[] to z. */
static enum dnsacme_status add_zones(struct zones *z, json_t *list)
{
	size_t n = json_array_size(list), i;
	char **names, **ascii;
	json_t *d;

	if (n == 0)
		return DNSACME_OK;
	names = realloc(z->names, (z->n + n) * sizeof(*names));
	if (names == NULL)
		return DNSACME_ERR_NOMEM;
	z->names = names;
	ascii = realloc(z->ascii, (z->n + n) * sizeof(*ascii));
	if (ascii == NULL)
		return DNSACME_ERR_NOMEM;
	z->ascii = ascii;
	json_array_foreach(list, i, d) {
		const char *name = json_string_value(json_object_get(d, "DomainName"));
		const char *puny = json_string_value(json_object_get(d, "PunyCode"));

		if (name == NULL)
			continue;
		z->names[z->n] = strdup(name);
		z->ascii[z->n] = strdup(puny && *puny ? puny : name);
		if (z->names[z->n] == NULL || z->ascii[z->n] == NULL) {
			free(z->names[z->n]);
			free(z->ascii[z->n]);
			return DNSACME_ERR_NOMEM;
		}
		z->n++;
	}
	return DNSACME_OK;
}

/* List the account's domains afresh (DescribeDomains, paged). */
static enum dnsacme_status list_zones(struct alidns *a)
{
	zones_clear(&a->zones);
	for (unsigned page = 1;; page++) {
		char page_str[16];
		const struct alidns_param params[] = {
			{"PageNumber", page_str},
			{"PageSize", STRINGIFY(DOMAINS_PAGE)},
		};
		const struct alidns_call call = {a->endpoint, ALIDNS_VERSION, "DescribeDomains",
						 params, 2, NULL};
		enum dnsacme_status st;
		json_t *json, *list;
		int more;

		snprintf(page_str, sizeof(page_str), "%u", page);
		st = alidns_rpc_call(&a->rpc, &a->creds, &call, &json);
		if (st != DNSACME_OK)
			return st;
		list = json_object_get(json_object_get(json, "Domains"), "Domain");
		st = add_zones(&a->zones, list);
		more = st == DNSACME_OK ? more_pages(a->host, call.action, json,
						     json_array_size(list), page, DOMAINS_PAGE)
					: 0;
		json_decref(json);
		if (st != DNSACME_OK) {
			a->host->error(a->host, "out of memory");
			return st;
		}
		if (more < 0)
			return DNSACME_ERR_PROTOCOL;
		if (!more) {
			a->zones.listed = time(NULL);
			return DNSACME_OK;
		}
	}
}

/* The zone of fqdn: the zone option, or the longest of the account's domains
 * that fqdn is in; *suffix_len is how much of fqdn it covers. NULL when none. */
static const char *zone_of(const struct alidns *a, const char *fqdn, size_t *suffix_len)
{
	const struct zones *z = &a->zones;
	const char *best = NULL;
	size_t best_len = 0;

	if (a->zone != NULL) {
		*suffix_len = strlen(a->zone);
		return ends_with_label(fqdn, a->zone) ? a->zone : NULL;
	}
	for (size_t i = 0; i < z->n; i++) {
		/* PunyCode matches the ASCII name; DomainName when it is ASCII. */
		const char *match = ends_with_label(fqdn, z->ascii[i])	   ? z->ascii[i]
				    : ends_with_label(fqdn, z->names[i]) ? z->names[i]
									 : NULL;

		if (match != NULL && strlen(match) > best_len) {
			best = z->names[i];
			best_len = strlen(match);
		}
	}
	*suffix_len = best_len;
	return best;
}

/* Whether some record fits none of the listed zones. */
static int some_unzoned(const struct alidns *a, const struct dnsacme_record *records, size_t n)
{
	size_t len;

	for (size_t i = 0; i < n; i++)
		if (zone_of(a, records[i].fqdn, &len) == NULL)
			return 1;
	return 0;
}

/*
 * Resolve every record's zone and RR. The domain listing is made when there
 * is none yet or it is older than ZONES_MAX_AGE, or when a name fits none of
 * the listed zones (one added meanwhile); so an order's present and cleanup
 * usually share one listing. A name in no zone fails present at once; for
 * cleanup (all_or_none 0) its zone stays NULL, the others are resolved, and
 * the first such failure is returned.
 */
static enum dnsacme_status batch_resolve(struct alidns *a, const struct dnsacme_record *records,
					 size_t n, int all_or_none, struct batch *b)
{
	enum dnsacme_status st, first = DNSACME_OK;

	memset(b, 0, sizeof(*b));
	b->zone = calloc(n ? n : 1, sizeof(*b->zone));
	b->rr = calloc(n ? n : 1, sizeof(*b->rr));
	b->n = n;
	if (b->zone == NULL || b->rr == NULL) {
		a->host->error(a->host, "out of memory");
		return DNSACME_ERR_NOMEM;
	}
	if (a->zone == NULL && n > 0 &&
	    (a->zones.listed == 0 || time(NULL) - a->zones.listed >= ZONES_MAX_AGE ||
	     some_unzoned(a, records, n))) {
		st = list_zones(a);
		if (st != DNSACME_OK)
			return st;
	}
	for (size_t i = 0; i < n; i++) {
		const char *fqdn = records[i].fqdn;
		size_t f = strlen(fqdn), z;

		b->zone[i] = zone_of(a, fqdn, &z);
		if (b->zone[i] == NULL) {
			if (a->zone != NULL)
				a->host->error(a->host, "%s is not in the configured zone %s", fqdn,
					       a->zone);
			else
				a->host->error(a->host, "no domain of this account holds %s (%zu "
							"domains listed; add the zone to Alibaba "
							"Cloud DNS or set zone)",
					       fqdn, a->zones.n);
			if (all_or_none)
				return DNSACME_ERR_CONFIG;
			if (first == DNSACME_OK)
				first = DNSACME_ERR_CONFIG;
			continue;
		}
		b->rr[i] = f == z ? strdup("@") : strndup(fqdn, f - z - 1);
		if (b->rr[i] == NULL) {
			a->host->error(a->host, "out of memory");
			return DNSACME_ERR_NOMEM;
		}
	}
	return first;
}

static enum dnsacme_status alidns_present(void *state, const struct dnsacme_record *records,
					  size_t n)
{
	struct alidns *a = state;
	enum dnsacme_status st;
	struct batch b;

	st = batch_resolve(a, records, n, 1, &b);
	for (size_t i = 0; st == DNSACME_OK && i < n; i++) {
		char ttl[16];
		const struct alidns_param params[] = {
			{"DomainName", b.zone[i]}, {"RR", b.rr[i]},
			{"TTL", ttl},		   {"Type", "TXT"},
			{"Value", records[i].value},
		};
		const struct alidns_call call = {a->endpoint, ALIDNS_VERSION, "AddDomainRecord",
						 params, 5, records[i].fqdn};
		json_t *json;

		snprintf(ttl, sizeof(ttl), "%u", records[i].ttl ? records[i].ttl : a->ttl);
		st = alidns_rpc_call(&a->rpc, &a->creds, &call, &json);
		if (st == DNSACME_OK) {
			const char *id = json_string_value(json_object_get(json, "RecordId"));

			a->host->log(a->host, DNSACME_LOG_INFO, "added TXT %s in %s (record %s)",
				     records[i].fqdn, b.zone[i], id ? id : "without an id");
			json_decref(json);
		} else if (alidns_rpc_failed_with(&a->rpc, "DomainRecordDuplicate")) {
			/* Same RR, type and value: already there from an earlier run. */
			a->host->log(a->host, DNSACME_LOG_INFO, "TXT %s already present",
				     records[i].fqdn);
			st = DNSACME_OK;
		}
	}
	batch_free(&b);
	return st;
}

/* RecordId as text: the API sends a string, tolerate a number. */
static char *record_id(json_t *rec)
{
	json_t *id = json_object_get(rec, "RecordId");
	char buf[32];

	if (json_is_string(id))
		return strdup(json_string_value(id));
	if (!json_is_integer(id))
		return NULL;
	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	return strdup(buf);
}

/* The records of one zone that a cleanup works on. */
struct group {
	const char *zone;
	size_t *idx; /* indices into the batch; owned */
	size_t n;
	char **ids;  /* RecordIds to delete; owned */
	size_t *of;  /* per RecordId: its record's index into the batch; owned */
	size_t n_ids;
};

/* Remember rec's RecordId when it is one of the group's values. */
static void collect(struct group *g, const struct dnsacme_record *records,
		   const struct batch *b, json_t *rec)
{
	const char *type = json_string_value(json_object_get(rec, "Type"));
	const char *rr = json_string_value(json_object_get(rec, "RR"));
	const char *value = json_string_value(json_object_get(rec, "Value"));

	if (type == NULL || rr == NULL || value == NULL || strcmp(type, "TXT") != 0)
		return;
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->idx[k];

		if (strcasecmp(rr, b->rr[i]) == 0 && strcmp(value, records[i].value) == 0) {
			char *id = record_id(rec);

			if (id != NULL) {
				g->of[g->n_ids] = i;
				g->ids[g->n_ids++] = id;
			}
			return;
		}
	}
}

/*
 * List the group's TXT records: one name -> DescribeSubDomainRecords; several
 * -> one DescribeDomainRecords of the zone, narrowed to "_acme-challenge" RRs
 * when every name has that label. All pages are read before any deletion so
 * deleting cannot shift records past a page boundary.
 */
static enum dnsacme_status list_group(struct alidns *a, const struct dnsacme_record *records,
				      const struct batch *b, struct group *g)
{
	const char *first_rr = b->rr[g->idx[0]];
	int one_name = 1, acme_only = 1;

	for (size_t k = 0; k < g->n; k++) {
		one_name &= strcasecmp(b->rr[g->idx[k]], first_rr) == 0;
		acme_only &= strstr(b->rr[g->idx[k]], "_acme-challenge") != NULL;
	}
	for (unsigned page = 1;; page++) {
		char page_str[16];
		struct alidns_param params[6] = {{"DomainName", g->zone}, {"PageNumber", page_str}};
		struct alidns_call call = {a->endpoint, ALIDNS_VERSION, NULL, params, 2,
					   records[g->idx[0]].fqdn};
		unsigned page_size;
		json_t *json, *list, *rec;
		enum dnsacme_status st;
		size_t i, n;
		int more;

		snprintf(page_str, sizeof(page_str), "%u", page);
		if (one_name) {
			call.action = "DescribeSubDomainRecords";
			params[call.n_params++] =
				(struct alidns_param){"PageSize", STRINGIFY(SUBDOMAIN_PAGE)};
			params[call.n_params++] =
				(struct alidns_param){"SubDomain", records[g->idx[0]].fqdn};
			params[call.n_params++] = (struct alidns_param){"Type", "TXT"};
			page_size = SUBDOMAIN_PAGE;
		} else {
			call.action = "DescribeDomainRecords";
			call.subject = g->zone;
			params[call.n_params++] =
				(struct alidns_param){"PageSize", STRINGIFY(RECORDS_PAGE)};
			if (acme_only)
				params[call.n_params++] =
					(struct alidns_param){"RRKeyWord", "_acme-challenge"};
			params[call.n_params++] = (struct alidns_param){"TypeKeyWord", "TXT"};
			page_size = RECORDS_PAGE;
		}
		st = alidns_rpc_call(&a->rpc, &a->creds, &call, &json);
		if (st != DNSACME_OK)
			return st;
		list = json_object_get(json_object_get(json, "DomainRecords"), "Record");
		n = json_array_size(list);
		json_array_foreach(list, i, rec) {
			if (g->n_ids == g->n)
				break; /* every value found */
			collect(g, records, b, rec);
		}
		more = g->n_ids < g->n ? more_pages(a->host, call.action, json, n, page, page_size)
				       : 0;
		json_decref(json);
		if (more < 0)
			return DNSACME_ERR_PROTOCOL;
		if (!more)
			return DNSACME_OK;
	}
}

/* Delete the group's listed records; a record already gone is success. */
static enum dnsacme_status delete_group(struct alidns *a, const struct dnsacme_record *records,
					struct group *g)
{
	enum dnsacme_status result = DNSACME_OK;

	for (size_t k = 0; k < g->n_ids; k++) {
		const struct alidns_param params[] = {{"RecordId", g->ids[k]}};
		const char *fqdn = records[g->of[k]].fqdn;
		const struct alidns_call call = {a->endpoint, ALIDNS_VERSION, "DeleteDomainRecord",
						 params, 1, fqdn};
		enum dnsacme_status st;
		json_t *json;

		st = alidns_rpc_call(&a->rpc, &a->creds, &call, &json);
		if (st == DNSACME_OK) {
			json_decref(json);
			a->host->log(a->host, DNSACME_LOG_INFO, "deleted TXT %s in %s (record %s)",
				     fqdn, g->zone, g->ids[k]);
		} else if (!alidns_rpc_failed_with(&a->rpc, "DomainRecordNotBelongToUser")) {
			result = st; /* go on: remove as much as possible */
		}
	}
	return result;
}

static enum dnsacme_status alidns_cleanup(void *state, const struct dnsacme_record *records,
					  size_t n)
{
	struct alidns *a = state;
	enum dnsacme_status st, result;
	struct group g = {0};
	unsigned char *done;
	struct batch b;
	int usable;

	/* Records whose zone is unknown are left out (zone NULL); the others
	 * are still removed. */
	result = batch_resolve(a, records, n, 0, &b);
	usable = result == DNSACME_OK || result == DNSACME_ERR_CONFIG;
	done = calloc(n ? n : 1, 1);
	g.idx = calloc(n ? n : 1, sizeof(*g.idx));
	g.ids = calloc(n ? n : 1, sizeof(*g.ids));
	g.of = calloc(n ? n : 1, sizeof(*g.of));
	if (usable && (done == NULL || g.idx == NULL || g.ids == NULL || g.of == NULL)) {
		a->host->error(a->host, "out of memory");
		result = DNSACME_ERR_NOMEM;
		usable = 0;
	}
	/* Zone by zone; a failing zone does not stop the others' cleanup. */
	for (size_t i = 0; usable && i < n; i++) {
		if (done[i] || b.zone[i] == NULL)
			continue;
		g.zone = b.zone[i];
		g.n = 0;
		for (size_t j = i; j < n; j++) {
			if (!done[j] && b.zone[j] != NULL && strcmp(b.zone[j], g.zone) == 0) {
				g.idx[g.n++] = j;
				done[j] = 1;
			}
		}
		st = list_group(a, records, &b, &g);
		if (st == DNSACME_OK)
			st = delete_group(a, records, &g);
		if (g.n_ids < g.n)
			a->host->log(a->host, DNSACME_LOG_DEBUG,
				     "%zu of %zu values in %s were not there", g.n - g.n_ids,
				     g.n, g.zone);
		for (size_t k = 0; k < g.n_ids; k++)
			free(g.ids[k]);
		g.n_ids = 0;
		if (st != DNSACME_OK)
			result = st;
	}
	free(done);
	free(g.idx);
	free(g.ids);
	free(g.of);
	batch_free(&b);
	return result;
}

static const struct dnsacme_provider alidns_provider = {
	.abi_version = DNSACME_PLUGIN_ABI_VERSION,
	.name = "alidns",
	.summary = "Alibaba Cloud DNS (alidns OpenAPI; AccessKey, STS token or RRSA)",
	.options = alidns_options,
	.open = alidns_open,
	.close = alidns_close,
	.present = alidns_present,
	.cleanup = alidns_cleanup,
	.wait = NULL,
};

DNSACME_EXPORT const struct dnsacme_provider *dnsacme_plugin(void)
{
	return &alidns_provider;
}
