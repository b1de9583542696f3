/*
 * Route 53 and STS wire shapes: request builders (paths, query parameters, XML
 * and form bodies) and response parsers (expat, through xml.h). Pure: no I/O,
 * no clock.
 */
#ifndef R53_API_H
#define R53_API_H

#include <stddef.h>
#include <time.h>

#include "dnsacme/plugin.h"
#include "sigv4.h"

#define R53_XMLNS "https://route53.amazonaws.com/doc/2013-04-01/"

/*
 * One HTTP request before signing. params point at strings the caller keeps
 * alive; body is owned (free with r53_request_free()).
 */
struct r53_request {
	const char *op;	    /* operation name, for messages */
	const char *method;
	char path[256];
	struct r53_param params[6];
	size_t n_params;
	char *body; /* NULL for GET */
	size_t body_len;
	const char *content_type; /* NULL: none sent */
};

void r53_request_free(struct r53_request *req);

/* Where requests go: "scheme://host[:port]" and the Host header it implies
 * (the port dropped when it is the scheme's default, as botocore signs it). */
struct r53_endpoint {
	char base[256];
	char host[256];
};

/* Accepts http:// or https:// URLs without user info, query or path beyond
 * "/". 0, or -1 when url is not such a URL. */
int r53_endpoint_parse(const char *url, struct r53_endpoint *out);

/* The Route 53 endpoint URL of region's partition (aws, aws-cn, aws-us-gov;
 * NULL region: aws) and the SigV4 region that goes with it. */
const char *r53_partition_endpoint(const char *region, const char **signing_region);

/* STS endpoint URL for region: regional "https://sts.<region>.amazonaws.com/"
 * (".com.cn" in China), the global "https://sts.amazonaws.com/" for NULL. */
int r53_sts_endpoint(const char *region, char *out, size_t size);

/* base + path + "?" + wire-order query (allocated, free()), NULL on no memory. */
char *r53_request_url(const struct r53_endpoint *ep, const struct r53_request *req);

/* The last segment of "/hostedzone/Z1" or "/change/C1" (a pointer into id). */
const char *r53_bare_id(const char *id);

/* Builders: 0, or -1 when an id does not fit or memory runs out. */
int r53_req_list_zones(struct r53_request *req, const char *dnsname, const char *zone_id,
		       const char *maxitems);
int r53_req_list_rrsets(struct r53_request *req, const char *zone_id, const char *name,
			const char *type, const char *maxitems);
int r53_req_get_change(struct r53_request *req, const char *change_id);

/* A TXT RRset: name with the trailing dot as Route 53 wants it, values quoted. */
struct r53_rrset {
	char *name;	/* normalised when parsed: lower case, no trailing dot, \ddd decoded */
	char *type;
	unsigned long ttl;
	char **values;	/* as on the wire, quotes included */
	size_t n_values;
	int routed;	/* has a SetIdentifier: a routing-policy set we never touch */
};

struct r53_change {
	const char *action; /* "UPSERT", "DELETE", "CREATE" */
	const char *name;   /* fqdn, with or without the trailing dot */
	unsigned long ttl;
	const char *const *values; /* quoted */
	size_t n_values;
};

int r53_req_change(struct r53_request *req, const char *zone_id, const char *comment,
		   const struct r53_change *changes, size_t n);

/* STS form POSTs to "/"; every string must outlive req. */
int r53_req_sts_web_identity(struct r53_request *req, const char *role_arn,
			     const char *session_name, const char *token);
int r53_req_sts_assume_role(struct r53_request *req, const char *role_arn,
			    const char *session_name, const char *external_id);

/* Parsed answers. Every parser returns 0, or -1 when the document is not what
 * the operation returns (or memory runs out); outputs are then untouched. */

struct r53_zone {
	char *id;   /* bare, e.g. "Z2FDTNDATAQYW2" */
	char *name; /* normalised like r53_rrset.name */
	int private_zone;
};

struct r53_zone_page {
	struct r53_zone *zones;
	size_t n;
	int truncated;
};

int r53_parse_zones(const char *xml, size_t len, struct r53_zone_page *out);
void r53_zone_page_free(struct r53_zone_page *page);

struct r53_rrset_page {
	struct r53_rrset *sets;
	size_t n;
	int truncated;
	char *next_name; /* normalised; NULL when not truncated */
	char *next_type;
};

int r53_parse_rrsets(const char *xml, size_t len, struct r53_rrset_page *out);
void r53_rrset_page_free(struct r53_rrset_page *page);
void r53_rrset_clear(struct r53_rrset *set);

/* ChangeInfo of ChangeResourceRecordSets and GetChange: bare id and status
 * (both allocated, free()). */
int r53_parse_change(const char *xml, size_t len, char **id, char **status);

/* ErrorResponse or InvalidChangeBatch (several messages joined by "; "). Fields
 * are truncated to fit; an unparseable body leaves them empty and returns -1. */
struct r53_error {
	char code[64];
	char message[512];
	char request_id[80];
};

int r53_parse_error(const char *xml, size_t len, struct r53_error *out);

/* The plugin status for an AWS error: signing and credential codes are
 * DNSACME_ERR_AUTH, AccessDenied (or another 403) DNSACME_ERR_DENIED, the
 * rest DNSACME_ERR_API. */
enum dnsacme_status r53_error_status(long http_status, const char *code);

/* Temporary or long-term keys; expires 0 means never. */
struct r53_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	time_t expires;
};

void r53_credentials_clear(struct r53_credentials *c);

/* Credentials of an AssumeRole / AssumeRoleWithWebIdentity answer. */
int r53_parse_sts_credentials(const char *xml, size_t len, struct r53_credentials *out);

/* "2024-01-15T09:30:00Z" (fraction and offset-less forms AWS sends) to time_t;
 * (time_t)-1 when unparseable. */
time_t r53_parse_time(const char *text);

/* Lower-case name without the trailing dot, \ddd escapes decoded. Allocated. */
char *r53_name_normalise(const char *name);

#endif
