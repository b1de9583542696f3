#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define API_PREFIX "/2013-04-01"

void r53_request_free(struct r53_request *req)
{
	free(req->body);
	memset(req, 0, sizeof(*req));
}

int r53_endpoint_parse(const char *url, struct r53_endpoint *out)
{
	const char *rest, *end, *colon;
	size_t host_len;
	int https;

	if (strncmp(url, "https://", 8) == 0)
		https = 1;
	else if (strncmp(url, "http://", 7) == 0)
		https = 0;
	else
		return -1;
	rest = url + (https ? 8 : 7);
	end = rest + strcspn(rest, "/?#@");
	if (end == rest || (*end != '\0' && strcmp(end, "/") != 0))
		return -1;
	host_len = (size_t)(end - rest);
	if (host_len + 9 > sizeof(out->base))
		return -1;
	snprintf(out->base, sizeof(out->base), "%s://%.*s", https ? "https" : "http",
		 (int)host_len, rest);
	/* An explicit default port is not part of the signed Host. */
	colon = memrchr(rest, ':', host_len);
	if (colon != NULL && memchr(colon, ']', (size_t)(end - colon)) == NULL &&
	    strncmp(colon, https ? ":443" : ":80", (size_t)(end - colon)) == 0 &&
	    (size_t)(end - colon) == (https ? 4u : 3u))
		host_len = (size_t)(colon - rest);
	snprintf(out->host, sizeof(out->host), "%.*s", (int)host_len, rest);
	return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *r53_partition_endpoint(const char *region, const char **signing_region)
{
	if (has_prefix(region, "cn-")) {
		*signing_region = "cn-northwest-1";
		return "https://route53.amazonaws.com.cn";
	}
	if (has_prefix(region, "us-gov-")) {
		*signing_region = "us-gov-west-1";
		return "https://route53.us-gov.amazonaws.com";
	}
	*signing_region = "us-east-1";
	return "https://route53.amazonaws.com";
}

int r53_sts_endpoint(const char *region, char *out, size_t size)
{
	int n;

	if (region == NULL)
		n = snprintf(out, size, "https://sts.amazonaws.com/");
	else
		n = snprintf(out, size, "https://sts.%s.amazonaws.com%s/", region,
			     has_prefix(region, "cn-") ? ".cn" : "");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

char *r53_request_url(const struct r53_endpoint *ep, const struct r53_request *req)
{
	char *query = r53_params_encode(req->params, req->n_params, 0), *url;

	if (query == NULL)
		return NULL;
	if (asprintf(&url, "%s%s%s%s", ep->base, req->path, query[0] != '\0' ? "?" : "",
		     query) < 0)
		url = NULL;
	free(query);
	return url;
}

const char *r53_bare_id(const char *id)
{
	const char *slash = strrchr(id, '/');

	return slash != NULL ? slash + 1 : id;
}

static void add_param(struct r53_request *req, const char *name, const char *value)
{
	if (value != NULL)
		req->params[req->n_params++] = (struct r53_param){name, value};
}

/* Start a request whose path is API_PREFIX + resource + id + suffix; -1 when
 * it does not fit. */
static int start(struct r53_request *req, const char *op, const char *method,
		 const char *resource, const char *id, const char *suffix)
{
	int n;

	memset(req, 0, sizeof(*req));
	req->op = op;
	req->method = method;
	n = snprintf(req->path, sizeof(req->path), API_PREFIX "%s%s%s", resource, id, suffix);
	return n < 0 || (size_t)n >= sizeof(req->path) ? -1 : 0;
}

int r53_req_list_zones(struct r53_request *req, const char *dnsname, const char *zone_id,
		       const char *maxitems)
{
	if (start(req, "ListHostedZonesByName", "GET", "/hostedzonesbyname", "", "") != 0)
		return -1;
	add_param(req, "dnsname", dnsname);
	add_param(req, "hostedzoneid", zone_id != NULL ? r53_bare_id(zone_id) : NULL);
	add_param(req, "maxitems", maxitems);
	return 0;
}

int r53_req_list_rrsets(struct r53_request *req, const char *zone_id, const char *name,
			const char *type, const char *maxitems)
{
	if (start(req, "ListResourceRecordSets", "GET", "/hostedzone/", r53_bare_id(zone_id),
		  "/rrset") != 0)
		return -1;
	add_param(req, "name", name);
	add_param(req, "type", type);
	add_param(req, "maxitems", maxitems);
	return 0;
}

int r53_req_get_change(struct r53_request *req, const char *change_id)
{
	return start(req, "GetChange", "GET", "/change/", r53_bare_id(change_id), "");
}

/* <name>text</name>, the text escaped. */
static void element(FILE *out, const char *name, const char *text)
{
	fprintf(out, "<%s>", name);
	r53_xml_escape(out, text);
	fprintf(out, "</%s>", name);
}

/* The XML body botocore sends: no declaration, no whitespace. */
static char *change_body(const char *comment, const struct r53_change *changes, size_t n,
			 size_t *len)
{
	char *body = NULL;
	FILE *out = open_memstream(&body, len);

	if (out == NULL)
		return NULL;
	fputs("<ChangeResourceRecordSetsRequest xmlns=\"" R53_XMLNS "\"><ChangeBatch>", out);
	if (comment != NULL)
		element(out, "Comment", comment);
	fputs("<Changes>", out);
	for (size_t i = 0; i < n; i++) {
		const struct r53_change *c = &changes[i];
		size_t nl = strlen(c->name);
		char ttl[24];

		snprintf(ttl, sizeof(ttl), "%lu", c->ttl);
		fputs("<Change>", out);
		element(out, "Action", c->action);
		fputs("<ResourceRecordSet>", out);
		fputs("<Name>", out);
		r53_xml_escape(out, c->name);
		fputs(nl > 0 && c->name[nl - 1] == '.' ? "</Name>" : ".</Name>", out);
		element(out, "Type", "TXT");
		element(out, "TTL", ttl);
		fputs("<ResourceRecords>", out);
		for (size_t j = 0; j < c->n_values; j++) {
			fputs("<ResourceRecord>", out);
			element(out, "Value", c->values[j]);
			fputs("</ResourceRecord>", out);
		}
		fputs("</ResourceRecords></ResourceRecordSet></Change>", out);
	}
	fputs("</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>", out);
	/* A write that failed (no memory) shows in the stream's error flag. */
	if (ferror(out) | fclose(out)) {
		free(body);
		return NULL;
	}
	return body;
}

int r53_req_change(struct r53_request *req, const char *zone_id, const char *comment,
		   const struct r53_change *changes, size_t n)
{
	if (start(req, "ChangeResourceRecordSets", "POST", "/hostedzone/", r53_bare_id(zone_id),
		  "/rrset/") != 0)
		return -1;
	req->body = change_body(comment, changes, n, &req->body_len);
	return req->body != NULL ? 0 : -1;
}

/* STS Query API: form-encoded POST to "/", unsigned for web identity. */
static int sts_form(struct r53_request *req, const char *op, const struct r53_param *params,
		    size_t n)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->method = "POST";
	strcpy(req->path, "/");
	req->content_type = "application/x-www-form-urlencoded; charset=utf-8";
	req->body = r53_params_encode(params, n, 0);
	if (req->body == NULL)
		return -1;
	req->body_len = strlen(req->body);
	return 0;
}

int r53_req_sts_web_identity(struct r53_request *req, const char *role_arn,
			     const char *session_name, const char *token)
{
	const struct r53_param p[] = {
		{"Action", "AssumeRoleWithWebIdentity"}, {"Version", "2011-06-15"},
		{"RoleArn", role_arn}, {"RoleSessionName", session_name},
		{"WebIdentityToken", token},
	};

	return sts_form(req, "AssumeRoleWithWebIdentity", p, sizeof(p) / sizeof(p[0]));
}

int r53_req_sts_assume_role(struct r53_request *req, const char *role_arn,
			    const char *session_name, const char *external_id)
{
	const struct r53_param p[] = {
		{"Action", "AssumeRole"}, {"Version", "2011-06-15"},
		{"RoleArn", role_arn}, {"RoleSessionName", session_name},
		{"ExternalId", external_id},
	};

	return sts_form(req, "AssumeRole", p, external_id != NULL ? 5 : 4);
}

/* --- parsing ------------------------------------------------------------ */

/* Text of parent's child element called name (free()), or NULL. */
static char *child_text(const struct r53_xml *parent, const char *name)
{
	const struct r53_xml *n = r53_xml_child(parent, name);

	return n != NULL ? strdup(n->text) : NULL;
}

static void copy_text(const struct r53_xml *parent, const char *name, char *out, size_t size)
{
	char *text = child_text(parent, name);

	if (text != NULL)
		snprintf(out, size, "%s", text);
	free(text);
}

static int child_true(const struct r53_xml *parent, const char *name)
{
	char *text = child_text(parent, name);
	int yes = text != NULL && strcmp(text, "true") == 0;

	free(text);
	return yes;
}

char *r53_name_normalise(const char *name)
{
	size_t len = strlen(name), i, o = 0;
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\\' && i + 3 < len && isdigit((unsigned char)name[i + 1]) &&
		    isdigit((unsigned char)name[i + 2]) && isdigit((unsigned char)name[i + 3])) {
			c = (unsigned char)((name[i + 1] - '0') * 64 + (name[i + 2] - '0') * 8 +
					    (name[i + 3] - '0'));
			i += 3;
		}
		out[o++] = (char)tolower(c);
	}
	if (o > 0 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
	return out;
}

void r53_zone_page_free(struct r53_zone_page *page)
{
	size_t i;

	for (i = 0; i < page->n; i++) {
		free(page->zones[i].id);
		free(page->zones[i].name);
	}
	free(page->zones);
	memset(page, 0, sizeof(*page));
}

int r53_parse_zones(const char *xml, size_t len, struct r53_zone_page *out)
{
	struct r53_xml *root = r53_xml_parse(xml, len);
	const struct r53_xml *list, *n;
	struct r53_zone_page page = {0};
	int rc = -1;

	if (!r53_xml_named(root, "ListHostedZonesByNameResponse") ||
	    (list = r53_xml_child(root, "HostedZones")) == NULL)
		goto out;
	for (n = list->children; n != NULL; n = n->next) {
		struct r53_zone *z, *grown;
		char *id, *name;

		if (!r53_xml_named(n, "HostedZone"))
			continue;
		grown = realloc(page.zones, (page.n + 1) * sizeof(*grown));
		if (grown == NULL)
			goto out;
		page.zones = grown;
		id = child_text(n, "Id");
		name = child_text(n, "Name");
		z = &page.zones[page.n];
		z->id = id != NULL ? strdup(r53_bare_id(id)) : NULL;
		z->name = name != NULL ? r53_name_normalise(name) : NULL;
		z->private_zone = child_true(r53_xml_child(n, "Config"), "PrivateZone");
		free(id);
		free(name);
		page.n++;
		if (z->id == NULL || z->name == NULL)
			goto out;
	}
	page.truncated = child_true(root, "IsTruncated");
	*out = page;
	memset(&page, 0, sizeof(page));
	rc = 0;
out:
	r53_zone_page_free(&page);
	r53_xml_free(root);
	return rc;
}

void r53_rrset_clear(struct r53_rrset *set)
{
	size_t i;

	free(set->name);
	free(set->type);
	for (i = 0; i < set->n_values; i++)
		free(set->values[i]);
	free(set->values);
	memset(set, 0, sizeof(*set));
}

void r53_rrset_page_free(struct r53_rrset_page *page)
{
	size_t i;

	for (i = 0; i < page->n; i++)
		r53_rrset_clear(&page->sets[i]);
	free(page->sets);
	free(page->next_name);
	free(page->next_type);
	memset(page, 0, sizeof(*page));
}

static int parse_rrset(const struct r53_xml *n, struct r53_rrset *set)
{
	const struct r53_xml *v, *records = r53_xml_child(n, "ResourceRecords");
	char *name = child_text(n, "Name"), *ttl = child_text(n, "TTL"), *sid;

	memset(set, 0, sizeof(*set));
	set->type = child_text(n, "Type");
	set->name = name != NULL ? r53_name_normalise(name) : NULL;
	set->ttl = ttl != NULL ? strtoul(ttl, NULL, 10) : 0;
	sid = child_text(n, "SetIdentifier");
	set->routed = sid != NULL;
	free(sid);
	free(name);
	free(ttl);
	if (set->name == NULL || set->type == NULL)
		return -1;
	for (v = records != NULL ? records->children : NULL; v != NULL; v = v->next) {
		char **grown, *value;

		if (!r53_xml_named(v, "ResourceRecord") || (value = child_text(v, "Value")) == NULL)
			continue;
		grown = realloc(set->values, (set->n_values + 1) * sizeof(*grown));
		if (grown == NULL) {
			free(value);
			return -1;
		}
		set->values = grown;
		set->values[set->n_values++] = value;
	}
	return 0;
}

int r53_parse_rrsets(const char *xml, size_t len, struct r53_rrset_page *out)
{
	struct r53_xml *root = r53_xml_parse(xml, len);
	const struct r53_xml *list, *n;
	struct r53_rrset_page page = {0};
	char *next;
	int rc = -1;

	if (!r53_xml_named(root, "ListResourceRecordSetsResponse") ||
	    (list = r53_xml_child(root, "ResourceRecordSets")) == NULL)
		goto out;
	for (n = list->children; n != NULL; n = n->next) {
		struct r53_rrset *grown;

		if (!r53_xml_named(n, "ResourceRecordSet"))
			continue;
		grown = realloc(page.sets, (page.n + 1) * sizeof(*grown));
		if (grown == NULL)
			goto out;
		page.sets = grown;
		page.n++;
		if (parse_rrset(n, &page.sets[page.n - 1]) != 0)
			goto out;
	}
	page.truncated = child_true(root, "IsTruncated");
	if (page.truncated) {
		next = child_text(root, "NextRecordName");
		page.next_name = next != NULL ? r53_name_normalise(next) : NULL;
		free(next);
		page.next_type = child_text(root, "NextRecordType");
		if (page.next_name == NULL || page.next_type == NULL)
			goto out;
	}
	*out = page;
	memset(&page, 0, sizeof(page));
	rc = 0;
out:
	r53_rrset_page_free(&page);
	r53_xml_free(root);
	return rc;
}

int r53_parse_change(const char *xml, size_t len, char **id, char **status)
{
	struct r53_xml *root = r53_xml_parse(xml, len);
	const struct r53_xml *info = r53_xml_child(root, "ChangeInfo");
	char *raw_id = child_text(info, "Id"), *st = child_text(info, "Status");
	int rc = -1;

	if ((r53_xml_named(root, "ChangeResourceRecordSetsResponse") || r53_xml_named(root, "GetChangeResponse")) &&
	    raw_id != NULL && st != NULL && (*id = strdup(r53_bare_id(raw_id))) != NULL) {
		*status = st;
		st = NULL;
		rc = 0;
	}
	free(raw_id);
	free(st);
	r53_xml_free(root);
	return rc;
}

int r53_parse_error(const char *xml, size_t len, struct r53_error *out)
{
	struct r53_xml *root = r53_xml_parse(xml, len);
	const struct r53_xml *err, *n;
	size_t used;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r53_xml_named(root, "ErrorResponse") && (err = r53_xml_child(root, "Error")) != NULL) {
		copy_text(err, "Code", out->code, sizeof(out->code));
		copy_text(err, "Message", out->message, sizeof(out->message));
		copy_text(root, "RequestId", out->request_id, sizeof(out->request_id));
		rc = out->code[0] != '\0' ? 0 : -1;
	} else if (r53_xml_named(root, "InvalidChangeBatch")) {
		snprintf(out->code, sizeof(out->code), "InvalidChangeBatch");
		for (n = r53_xml_child(root, "Messages"), n = n != NULL ? n->children : NULL;
		     n != NULL; n = n->next) {
			if (!r53_xml_named(n, "Message"))
				continue;
			used = strlen(out->message);
			snprintf(out->message + used, sizeof(out->message) - used, "%s%s",
				 used > 0 ? "; " : "", n->text);
		}
		copy_text(root, "RequestId", out->request_id, sizeof(out->request_id));
		rc = 0;
	}
	r53_xml_free(root);
	return rc;
}

enum dnsacme_status r53_error_status(long http_status, const char *code)
{
	static const char *const auth[] = {
		"SignatureDoesNotMatch", "IncompleteSignature", "InvalidClientTokenId",
		"ExpiredToken", "ExpiredTokenException", "RequestExpired",
		"UnrecognizedClientException", "MissingAuthenticationToken",
		"InvalidIdentityToken",
	};
	size_t i;

	for (i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
		if (strcmp(code, auth[i]) == 0)
			return DNSACME_ERR_AUTH;
	if (strcmp(code, "AccessDenied") == 0 || http_status == 403)
		return DNSACME_ERR_DENIED;
	return DNSACME_ERR_API;
}

void r53_credentials_clear(struct r53_credentials *c)
{
	if (c->secret_access_key != NULL)
		memset(c->secret_access_key, 0, strlen(c->secret_access_key));
	if (c->session_token != NULL)
		memset(c->session_token, 0, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

time_t r53_parse_time(const char *text)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
				   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

int r53_parse_sts_credentials(const char *xml, size_t len, struct r53_credentials *out)
{
	struct r53_xml *root = r53_xml_parse(xml, len);
	const struct r53_xml *result, *creds;
	struct r53_credentials c = {0};
	char *expiration = NULL;
	int rc = -1;

	if (r53_xml_named(root, "AssumeRoleWithWebIdentityResponse"))
		result = r53_xml_child(root, "AssumeRoleWithWebIdentityResult");
	else if (r53_xml_named(root, "AssumeRoleResponse"))
		result = r53_xml_child(root, "AssumeRoleResult");
	else
		result = NULL;
	creds = r53_xml_child(result, "Credentials");
	c.access_key_id = child_text(creds, "AccessKeyId");
	c.secret_access_key = child_text(creds, "SecretAccessKey");
	c.session_token = child_text(creds, "SessionToken");
	expiration = child_text(creds, "Expiration");
	c.expires = r53_parse_time(expiration);
	if (c.access_key_id != NULL && c.secret_access_key != NULL && c.session_token != NULL &&
	    c.expires != (time_t)-1) {
		*out = c;
		memset(&c, 0, sizeof(c));
		rc = 0;
	}
	free(expiration);
	r53_credentials_clear(&c);
	r53_xml_free(root);
	return rc;
}
