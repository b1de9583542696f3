/*
 * SigV4 and request shapes against botocore's vectors (aws-sigv4-route53.json,
 * copied from the shared spec): URL, body, canonical request, string to sign,
 * signature and Authorization, byte for byte. Plus the response parsers on
 * AWS-shaped documents.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "check.h"
#include "sigv4.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Build the vector's request with the plugin's builders; 0 on success. */
static int build(json_t *in, struct r53_request *req)
{
	const char *op = str(in, "operation");
	json_t *p = json_object_get(in, "params");
	static const char *values[8][4];
	json_t *changes, *c, *set, *recs, *rec;
	struct r53_change list[4];
	size_t i, j;

	if (strcmp(op, "list_hosted_zones_by_name") == 0)
		return r53_req_list_zones(req, str(p, "DNSName"), str(p, "HostedZoneId"),
					  str(p, "MaxItems"));
	if (strcmp(op, "list_resource_record_sets") == 0)
		return r53_req_list_rrsets(req, str(p, "HostedZoneId"), str(p, "StartRecordName"),
					   str(p, "StartRecordType"), str(p, "MaxItems"));
	if (strcmp(op, "get_change") == 0)
		return r53_req_get_change(req, str(p, "Id"));
	if (strcmp(op, "change_resource_record_sets") != 0)
		return -1;
	changes = json_object_get(json_object_get(p, "ChangeBatch"), "Changes");
	json_array_foreach(changes, i, c) {
		set = json_object_get(c, "ResourceRecordSet");
		recs = json_object_get(set, "ResourceRecords");
		json_array_foreach(recs, j, rec)
			values[i][j] = str(rec, "Value");
		list[i] = (struct r53_change){str(c, "Action"), str(set, "Name"),
			(unsigned long)json_integer_value(json_object_get(set, "TTL")),
			values[i], json_array_size(recs)};
	}
	return r53_req_change(req, str(p, "HostedZoneId"),
			      str(json_object_get(p, "ChangeBatch"), "Comment"), list,
			      json_array_size(changes));
}

static void check_vector(json_t *v)
{
	json_t *in = json_object_get(v, "inputs"), *want = json_object_get(v, "expected");
	const char *name = str(v, "name"), *signing_region, *base;
	struct r53_request req;
	struct r53_endpoint ep;
	struct r53_sigv4 sig;
	char *url, *query;

	printf("vector %s\n", name);
	base = r53_partition_endpoint(str(in, "region_for_signing"), &signing_region);
	if (strstr(name, "endpoint_override") != NULL)
		base = "http://127.0.0.1:4566";
	CHECK(r53_endpoint_parse(base, &ep) == 0);
	CHECK_STR(signing_region, strstr(name, "_china") ? "cn-northwest-1" :
			strstr(name, "_govcloud") ? "us-gov-west-1" : "us-east-1");
	if (build(in, &req) != 0) {
		CHECK(!"request built");
		return;
	}
	url = r53_request_url(&ep, &req);
	CHECK_STR(url, str(want, "url"));
	CHECK_STR(req.method, str(want, "http_method"));
	CHECK_STR(req.body != NULL ? req.body : "", str(want, "request_body"));

	query = r53_params_encode(req.params, req.n_params, 1);
	struct r53_sigv4_request sr = {
		.method = req.method, .host = ep.host, .path = req.path, .query = query,
		.body = req.body, .body_len = req.body_len, .amz_date = str(in, "amz_date"),
		.region = signing_region, .service = str(in, "service"),
		.access_key_id = str(in, "access_key_id"),
		.secret_access_key = str(in, "secret_access_key"),
		.session_token = str(in, "session_token"),
	};
	CHECK(r53_sigv4_sign(&sr, &sig) == 0);
	CHECK_STR(sig.canonical_request, str(want, "canonical_request"));
	CHECK_STR(sig.string_to_sign, str(want, "string_to_sign"));
	CHECK_STR(sig.signature, str(want, "signature"));
	CHECK_STR(sig.authorization, str(want, "authorization"));
	CHECK_STR(sig.authorization,
		  str(json_object_get(want, "headers_sent"), "Authorization"));
	r53_sigv4_free(&sig);
	free(query);
	free(url);
	r53_request_free(&req);
}

/* The unsigned IRSA exchange: URL and form body as botocore sends them. */
static void check_sts_vector(json_t *v)
{
	json_t *in = json_object_get(v, "inputs"), *want = json_object_get(v, "expected");
	/* The vector's input shows a placeholder; the token sent is in its body. */
	const char *token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWNtZ"
			    "Tpzb2x2ZXIifQ.c2lnbmF0dXJl";
	struct r53_request req;
	char url[128];

	CHECK(r53_sts_endpoint(NULL, url, sizeof(url)) == 0);
	CHECK_STR(url, str(want, "url"));
	CHECK(r53_req_sts_web_identity(&req, str(in, "RoleArn"), str(in, "RoleSessionName"),
				       token) == 0);
	CHECK_STR(req.method, str(want, "http_method"));
	CHECK_STR(req.body, str(want, "request_body"));
	CHECK_STR(req.content_type,
		  str(json_object_get(want, "headers_sent"), "Content-Type"));
	r53_request_free(&req);
}

static void check_vectors(void)
{
	json_error_t jerr;
	json_t *root = json_load_file(R53_VECTORS, 0, &jerr), *v;
	size_t i, signed_vectors = 0;

	CHECK(root != NULL);
	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		if (json_object_get(json_object_get(v, "inputs"), "operation") != NULL) {
			check_vector(v);
			signed_vectors++;
		} else {
			check_sts_vector(v);
		}
	}
	CHECK(signed_vectors == 11);
	json_decref(root);
}

static void check_encoding_and_endpoints(void)
{
	const struct r53_param p[] = {{"b", "x y*~"}, {"a", "2"}, {"a", "1"}};
	struct r53_endpoint ep;
	const char *region;
	char *s;
	char url[128];

	s = r53_params_encode(p, 3, 0);
	CHECK_STR(s, "b=x%20y%2A~&a=2&a=1");
	free(s);
	s = r53_params_encode(p, 3, 1);
	CHECK_STR(s, "a=1&a=2&b=x%20y%2A~");
	free(s);

	CHECK(r53_endpoint_parse("https://route53.amazonaws.com:443/", &ep) == 0);
	CHECK_STR(ep.host, "route53.amazonaws.com");
	CHECK_STR(ep.base, "https://route53.amazonaws.com:443");
	CHECK(r53_endpoint_parse("http://127.0.0.1:8053", &ep) == 0);
	CHECK_STR(ep.host, "127.0.0.1:8053");
	CHECK(r53_endpoint_parse("ftp://example.com", &ep) != 0);
	CHECK(r53_endpoint_parse("https://user@evil.example", &ep) != 0);
	CHECK(r53_endpoint_parse("https://example.com/path", &ep) != 0);
	CHECK_STR(r53_partition_endpoint("eu-west-1", &region), "https://route53.amazonaws.com");
	CHECK_STR(region, "us-east-1");
	CHECK(r53_sts_endpoint("cn-north-1", url, sizeof(url)) == 0);
	CHECK_STR(url, "https://sts.cn-north-1.amazonaws.com.cn/");
	CHECK(r53_sts_endpoint("eu-west-1", url, sizeof(url)) == 0);
	CHECK_STR(url, "https://sts.eu-west-1.amazonaws.com/");
	CHECK(r53_parse_time("2024-01-15T09:30:00Z") == 1705311000);
	CHECK(r53_parse_time("2024-01-15T09:30:00.000Z") == 1705311000);
	CHECK(r53_parse_time("soon") == (time_t)-1);
	s = r53_name_normalise("\\052.Example.COM.");
	CHECK_STR(s, "*.example.com");
	free(s);
}

#define NS "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""

static void check_parsers(void)
{
	static const char zones[] =
		"<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse " NS "><HostedZones>"
		"<HostedZone><Id>/hostedzone/ZPRIV</Id><Name>Example.com.</Name>"
		"<CallerReference>a</CallerReference><Config><PrivateZone>true</PrivateZone>"
		"</Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>"
		"<HostedZone><Id>/hostedzone/ZPUB</Id><Name>example.com.</Name>"
		"<CallerReference>b</CallerReference><Config><PrivateZone>false</PrivateZone>"
		"</Config></HostedZone></HostedZones><DNSName>example.com.</DNSName>"
		"<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
		"</ListHostedZonesByNameResponse>";
	static const char rrsets[] =
		"<ListResourceRecordSetsResponse " NS "><ResourceRecordSets>"
		"<ResourceRecordSet><Name>_acme-challenge.example.com.</Name><Type>TXT</Type>"
		"<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"a\"</Value>"
		"</ResourceRecord><ResourceRecord><Value>\"b c\"</Value></ResourceRecord>"
		"</ResourceRecords></ResourceRecordSet></ResourceRecordSets>"
		"<IsTruncated>true</IsTruncated><NextRecordName>www.example.com.</NextRecordName>"
		"<NextRecordType>A</NextRecordType><MaxItems>1</MaxItems>"
		"</ListResourceRecordSetsResponse>";
	static const char change[] =
		"<ChangeResourceRecordSetsResponse " NS "><ChangeInfo><Id>/change/C1</Id>"
		"<Status>PENDING</Status><SubmittedAt>2024-01-15T08:30:00.000Z</SubmittedAt>"
		"</ChangeInfo></ChangeResourceRecordSetsResponse>";
	static const char error[] =
		"<ErrorResponse " NS "><Error><Type>Sender</Type><Code>Throttling</Code>"
		"<Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId>"
		"</ErrorResponse>";
	static const char batch[] =
		"<InvalidChangeBatch " NS "><Messages><Message>one</Message><Message>two</Message>"
		"</Messages><RequestId>r-2</RequestId></InvalidChangeBatch>";
	static const char sts[] =
		"<AssumeRoleWithWebIdentityResponse "
		"xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
		"<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
		"<SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>tok</SessionToken>"
		"<Expiration>2024-01-15T09:30:00Z</Expiration></Credentials>"
		"</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
	struct r53_zone_page zp;
	struct r53_rrset_page rp;
	struct r53_error e;
	struct r53_credentials c;
	char *id, *status;

	CHECK(r53_parse_zones(zones, sizeof(zones) - 1, &zp) == 0);
	CHECK(zp.n == 2 && !zp.truncated);
	if (zp.n == 2) {
		CHECK_STR(zp.zones[0].id, "ZPRIV");
		CHECK_STR(zp.zones[0].name, "example.com");
		CHECK(zp.zones[0].private_zone == 1 && zp.zones[1].private_zone == 0);
	}
	r53_zone_page_free(&zp);
	CHECK(r53_parse_zones(rrsets, sizeof(rrsets) - 1, &zp) != 0);

	CHECK(r53_parse_rrsets(rrsets, sizeof(rrsets) - 1, &rp) == 0);
	CHECK(rp.n == 1 && rp.truncated);
	if (rp.n == 1) {
		CHECK_STR(rp.sets[0].name, "_acme-challenge.example.com");
		CHECK(rp.sets[0].ttl == 300 && rp.sets[0].n_values == 2);
		CHECK_STR(rp.sets[0].values[1], "\"b c\"");
	}
	CHECK_STR(rp.next_name, "www.example.com");
	r53_rrset_page_free(&rp);

	CHECK(r53_parse_change(change, sizeof(change) - 1, &id, &status) == 0);
	CHECK_STR(id, "C1");
	CHECK_STR(status, "PENDING");
	free(id);
	free(status);

	CHECK(r53_parse_error(error, sizeof(error) - 1, &e) == 0);
	CHECK_STR(e.code, "Throttling");
	CHECK_STR(e.message, "Rate exceeded");
	CHECK_STR(e.request_id, "r-1");
	CHECK(r53_parse_error(batch, sizeof(batch) - 1, &e) == 0);
	CHECK_STR(e.code, "InvalidChangeBatch");
	CHECK_STR(e.message, "one; two");
	CHECK(r53_parse_error("<html>", 6, &e) != 0);
	{
		static const char lol[] =
			"<!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
			"<ErrorResponse><Error><Code>&b;</Code></Error></ErrorResponse>";

		CHECK(r53_parse_error(lol, sizeof(lol) - 1, &e) != 0);
	}
	CHECK(r53_error_status(403, "SignatureDoesNotMatch") == DNSACME_ERR_AUTH);
	CHECK(r53_error_status(400, "InvalidIdentityToken") == DNSACME_ERR_AUTH);
	CHECK(r53_error_status(403, "AccessDenied") == DNSACME_ERR_DENIED);
	CHECK(r53_error_status(403, "HTTP 403") == DNSACME_ERR_DENIED);
	CHECK(r53_error_status(400, "InvalidChangeBatch") == DNSACME_ERR_API);
	CHECK(r53_error_status(404, "NoSuchHostedZone") == DNSACME_ERR_API);

	CHECK(r53_parse_sts_credentials(sts, sizeof(sts) - 1, &c) == 0);
	CHECK_STR(c.access_key_id, "ASIA1");
	CHECK_STR(c.session_token, "tok");
	CHECK(c.expires == 1705311000);
	r53_credentials_clear(&c);
	CHECK(r53_parse_sts_credentials(error, sizeof(error) - 1, &c) != 0);
}

/* Markup in a value is escaped as botocore escapes it; the body parses back. */
static void check_change_escaping(void)
{
	const char *values[] = {"\"a&b<c>d\r\""};
	const struct r53_change change = {.action = "UPSERT", .name = "_acme-challenge.x.test",
					  .ttl = 60, .values = values, .n_values = 1};
	struct r53_request req;

	CHECK(r53_req_change(&req, "/hostedzone/Z1", "a <note>", &change, 1) == 0);
	CHECK(req.body != NULL &&
	      strstr(req.body, "<Comment>a &lt;note&gt;</Comment>") != NULL &&
	      strstr(req.body, "<Name>_acme-challenge.x.test.</Name>") != NULL &&
	      strstr(req.body, "<Value>\"a&amp;b&lt;c&gt;d&#13;\"</Value>") != NULL &&
	      strlen(req.body) == req.body_len);
	r53_request_free(&req);
}

/* Nesting past what a tree reader should follow, and a second root, fail. */
static void check_parser_limits(void)
{
	char deep[70 * 7 + 100] = "<ErrorResponse>";
	struct r53_error e;

	for (int i = 0; i < 70; i++)
		strcat(deep, "<a>");
	for (int i = 0; i < 70; i++)
		strcat(deep, "</a>");
	strcat(deep, "<Error><Code>X</Code></Error></ErrorResponse>");
	CHECK(r53_parse_error(deep, strlen(deep), &e) != 0);
	{
		static const char shallow[] = "<ErrorResponse><a><a></a></a><Error><Code>X</Code>"
					      "</Error></ErrorResponse>";

		CHECK(r53_parse_error(shallow, sizeof(shallow) - 1, &e) == 0);
		CHECK_STR(e.code, "X");
	}
	CHECK(r53_parse_error("<ErrorResponse/><x/>", 20, &e) != 0);
}

int main(void)
{
	check_vectors();
	check_change_escaping();
	check_parser_limits();
	check_encoding_and_endpoints();
	check_parsers();
	return check_report();
}
