/*
 * The provider's logic through its descriptor, with a fake host table that
 * records every request and answers with canned responses: zone choice, RR,
 * duplicate and already-deleted handling, cleanup by exact value, retries
 * with fresh nonces, fatal errors in one line without secrets, RRSA.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dnsacme/plugin.h"

#define MAX_REQ 32

struct canned {
	long status;
	const char *body;
};

static struct {
	const char *const *config; /* key, value, key, value, ..., NULL */
	const struct canned *answers;
	size_t n_answers, next;
	char *method[MAX_REQ], *url[MAX_REQ], *body[MAX_REQ];
	char headers[MAX_REQ][1024]; /* "name: value\n" lines */
	size_t n_req;
	unsigned backoffs;
	char error[1024];
	char log[16384];
	char secrets[4096];
} fake;

static void fake_reset(const char *const *config, const struct canned *answers, size_t n)
{
	for (size_t i = 0; i < fake.n_req; i++) {
		free(fake.method[i]);
		free(fake.url[i]);
		free(fake.body[i]);
	}
	memset(&fake, 0, sizeof(fake));
	fake.config = config;
	fake.answers = answers;
	fake.n_answers = n;
}

static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...) DNSACME_PRINTF(3, 4);
static void host_error(const struct dnsacme_host *host, const char *fmt, ...)
	DNSACME_PRINTF(2, 3);

static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...)
{
	size_t len = strlen(fake.log);
	va_list ap;

	(void)host;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(fake.log + len, sizeof(fake.log) - len, fmt, ap);
	va_end(ap);
	len = strlen(fake.log);
	snprintf(fake.log + len, sizeof(fake.log) - len, "\n");
}

static void host_error(const struct dnsacme_host *host, const char *fmt, ...)
{
	va_list ap;

	(void)host;
	va_start(ap, fmt);
	vsnprintf(fake.error, sizeof(fake.error), fmt, ap);
	va_end(ap);
}

static const char *host_config_get(const struct dnsacme_host *host, const char *key)
{
	(void)host;
	for (size_t i = 0; fake.config[i] != NULL; i += 2)
		if (strcmp(fake.config[i], key) == 0)
			return fake.config[i + 1];
	return NULL;
}

static void host_add_secret(const struct dnsacme_host *host, const char *value)
{
	size_t len = strlen(fake.secrets);

	(void)host;
	snprintf(fake.secrets + len, sizeof(fake.secrets) - len, "[%s]", value);
}

static enum dnsacme_status host_http(const struct dnsacme_host *host,
				     const struct dnsacme_http_request *req,
				     struct dnsacme_http_response *resp)
{
	(void)host;
	memset(resp, 0, sizeof(*resp));
	if (fake.n_req < MAX_REQ) {
		fake.method[fake.n_req] = strdup(req->method);
		fake.url[fake.n_req] = strdup(req->url);
		fake.body[fake.n_req] = req->body ? strndup(req->body, req->body_len) : NULL;
		for (size_t i = 0; i < req->n_headers; i++) {
			char *h = fake.headers[fake.n_req];
			size_t len = strlen(h);

			snprintf(h + len, sizeof(fake.headers[0]) - len, "%s: %s\n",
				 req->headers[i].name, req->headers[i].value);
		}
		fake.n_req++;
	}
	if (fake.next == fake.n_answers)
		return DNSACME_ERR_NETWORK;
	resp->status = fake.answers[fake.next].status;
	resp->body = strdup(fake.answers[fake.next].body);
	resp->body_len = strlen(resp->body);
	fake.next++;
	return DNSACME_OK;
}

static void host_http_free(const struct dnsacme_host *host, struct dnsacme_http_response *resp)
{
	(void)host;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static int host_backoff(const struct dnsacme_host *host, unsigned attempt, long min_ms)
{
	(void)host;
	(void)attempt;
	(void)min_ms;
	fake.backoffs++;
	return 0;
}

static const struct dnsacme_host host = {
	DNSACME_PLUGIN_ABI_VERSION, NULL,	 host_log,	 host_error,	 host_config_get,
	host_add_secret,	    host_http, host_http_free, host_backoff,
};

/* Parameter name of request i (its query, or its form body), decoded into a
 * static buffer; "" when absent. */
static const char *param(size_t i, const char *name)
{
	static char out[1024];
	const char *src = fake.body[i] ? fake.body[i] : strchr(fake.url[i], '?');
	size_t nlen = strlen(name), o = 0;

	out[0] = '\0';
	for (const char *p = src; p != NULL && *p; p = strchr(p, '&')) {
		p += (*p == '&' || *p == '?');
		if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		for (p += nlen + 1; *p && *p != '&' && o + 1 < sizeof(out); o++) {
			if (*p == '%') {
				char hex[3] = {p[1], p[2], '\0'};

				out[o] = (char)strtol(hex, NULL, 16);
				p += 3;
			} else {
				out[o] = *p++;
			}
		}
		out[o] = '\0';
		break;
	}
	return out;
}

static const char *const static_keys[] = {
	"access_key_id", "LTAItestkeyid", "access_key_secret", "s3cr3t-value",
	"endpoint", "http://127.0.0.1:1/", NULL,
};

static const char domains_json[] =
	"{\"RequestId\":\"R1\",\"TotalCount\":2,\"PageNumber\":1,\"PageSize\":100,"
	"\"Domains\":{\"Domain\":[{\"DomainName\":\"example.com\",\"PunyCode\":\"example.com\"},"
	"{\"DomainName\":\"sub.example.com\",\"PunyCode\":\"sub.example.com\"}]}}";

static const char sts_json[] =
	"{\"RequestId\":\"S\",\"Credentials\":{\"AccessKeyId\":\"STS.NUgYrLnoC37mZZCN\","
	"\"AccessKeySecret\":\"sts-secret-1\",\"SecurityToken\":\"CAIS+token/1=\","
	"\"Expiration\":\"2999-01-01T00:00:00Z\"}}";

static enum dnsacme_status run(int cleanup, const struct dnsacme_record *r, size_t n)
{
	const struct dnsacme_provider *p = dnsacme_plugin();
	enum dnsacme_status st;
	void *state;

	st = p->open(&host, &state);
	if (st != DNSACME_OK)
		return st;
	st = cleanup ? p->cleanup(state, r, n) : p->present(state, r, n);
	p->close(state);
	return st;
}

static void test_descriptor(void)
{
	const struct dnsacme_provider *p = dnsacme_plugin();

	CHECK(p->abi_version == DNSACME_PLUGIN_ABI_VERSION);
	CHECK_STR(p->name, "alidns");
	for (const struct dnsacme_option *o = p->options; o->key; o++)
		if (strstr(o->key, "secret") || strstr(o->key, "token") ||
		    strcmp(o->key, "access_key_id") == 0)
			CHECK(strstr(o->key, "file") || (o->flags & DNSACME_OPT_SECRET));
}

/* Longest zone wins, RR is relative to it, a duplicate counts as present. */
static void test_present(void)
{
	static const struct canned answers[] = {
		{200, domains_json},
		{200, "{\"RequestId\":\"R2\",\"RecordId\":\"9999985\"}"},
		{400, "{\"RequestId\":\"R3\",\"Code\":\"DomainRecordDuplicate\","
		      "\"Message\":\"The DNS record already exists.\"}"},
	};
	const struct dnsacme_record r[] = {
		{"_acme-challenge.a.sub.example.com", "example.com", "v1", 0},
		{"_acme-challenge.example.com", NULL, "v2", 120},
	};

	fake_reset(static_keys, answers, 3);
	CHECK(run(0, r, 2) == DNSACME_OK);
	CHECK(fake.n_req == 3);
	CHECK_STR(param(0, "Action"), "DescribeDomains");
	CHECK_STR(param(1, "Action"), "AddDomainRecord");
	CHECK_STR(param(1, "DomainName"), "sub.example.com");
	CHECK_STR(param(1, "RR"), "_acme-challenge.a");
	CHECK_STR(param(1, "Type"), "TXT");
	CHECK_STR(param(1, "Value"), "v1");
	CHECK_STR(param(1, "TTL"), "600");
	CHECK_STR(param(1, "AccessKeyId"), "LTAItestkeyid");
	CHECK_STR(param(1, "SignatureMethod"), "HMAC-SHA1");
	CHECK(strlen(param(1, "Signature")) == 28);
	CHECK_STR(param(2, "DomainName"), "example.com");
	CHECK_STR(param(2, "RR"), "_acme-challenge");
	CHECK_STR(param(2, "TTL"), "120");
	CHECK(strncmp(fake.url[1], "http://127.0.0.1:1/?", 20) == 0);
	CHECK(strcmp(fake.method[1], "GET") == 0);
}

/* Throttling is retried with backoff; each attempt has a new nonce. */
static void test_throttling_recovers(void)
{
	static const struct canned answers[] = {
		{400, "{\"RequestId\":\"T1\",\"Code\":\"Throttling.User\","
		      "\"Message\":\"Request was denied due to user flow control.\"}"},
		{503, "{\"RequestId\":\"T2\",\"Code\":\"ServiceUnavailable\",\"Message\":\"busy\"}"},
		{200, "{\"RequestId\":\"T3\",\"RecordId\":\"1\"}"},
	};
	const char *const config[] = {"access_key_id", "LTAItestkeyid", "access_key_secret",
				      "s3cr3t-value", "zone", "example.com.", NULL};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};
	char nonce0[64], nonce1[64];

	fake_reset(config, answers, 3);
	CHECK(run(0, r, 1) == DNSACME_OK);
	CHECK(fake.n_req == 3);
	CHECK(fake.backoffs == 2);
	snprintf(nonce0, sizeof(nonce0), "%s", param(0, "SignatureNonce"));
	snprintf(nonce1, sizeof(nonce1), "%s", param(1, "SignatureNonce"));
	CHECK(strlen(nonce0) == 32);
	CHECK(strcmp(nonce0, nonce1) != 0);
	CHECK(strcmp(nonce1, param(2, "SignatureNonce")) != 0);
	CHECK_STR(param(2, "DomainName"), "example.com");
}

/* A fatal code: one attempt, one line with Code, Message, RequestId; the
 * server's string to sign and the secrets stay out of it. */
static void test_bad_signature(void)
{
	static const struct canned answers[] = {
		{400, "{\"RequestId\":\"4C4A-REQ\",\"Code\":\"SignatureDoesNotMatch\","
		      "\"Message\":\"Specified signature is not matched with our calculation. "
		      "server string to sign is:GET&%2F&AccessKeyId%3DLTAItestkeyid\"}"},
	};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};

	fake_reset(static_keys, answers, 1);
	CHECK(run(0, r, 1) == DNSACME_ERR_AUTH);
	CHECK(fake.n_req == 1);
	CHECK(fake.backoffs == 0);
	CHECK(strstr(fake.error, "DescribeDomains") != NULL);
	CHECK(strstr(fake.error, "SignatureDoesNotMatch") != NULL);
	CHECK(strstr(fake.error, "not matched with our calculation") != NULL);
	CHECK(strstr(fake.error, "4C4A-REQ") != NULL);
	CHECK(strstr(fake.error, "string to sign") == NULL);
	CHECK(strstr(fake.error, "LTAItestkeyid") == NULL);
	CHECK(strstr(fake.error, "s3cr3t") == NULL && strstr(fake.log, "s3cr3t") == NULL);
	CHECK(strchr(fake.error, '\n') == NULL);
	CHECK(strstr(fake.log, "differs from ours") != NULL);
}

/* Cleanup deletes exactly our values; another value at the name stays, and a
 * record deleted meanwhile is success. */
static void test_cleanup_exact_values(void)
{
	static const struct canned answers[] = {
		{200, "{\"RequestId\":\"L\",\"TotalCount\":3,\"DomainRecords\":{\"Record\":["
		      "{\"RecordId\":\"11\",\"RR\":\"_acme-challenge\",\"Type\":\"TXT\",\"Value\":\"v1\"},"
		      "{\"RecordId\":\"12\",\"RR\":\"_acme-challenge\",\"Type\":\"TXT\",\"Value\":\"keep\"},"
		      "{\"RecordId\":\"13\",\"RR\":\"_acme-challenge\",\"Type\":\"TXT\",\"Value\":\"v2\"}"
		      "]}}"},
		{200, "{\"RequestId\":\"D1\",\"RecordId\":\"11\"}"},
		{400, "{\"RequestId\":\"D2\",\"Code\":\"DomainRecordNotBelongToUser\","
		      "\"Message\":\"The DNS record does not belong to you.\"}"},
	};
	const struct dnsacme_record r[] = {
		{"_acme-challenge.example.com", NULL, "v1", 0},
		{"_acme-challenge.example.com", NULL, "v2", 0},
	};
	const char *const config[] = {"access_key_id", "LTAItestkeyid", "access_key_secret",
				      "s3cr3t-value", "zone", "example.com", NULL};

	fake_reset(config, answers, 3);
	CHECK(run(1, r, 2) == DNSACME_OK);
	CHECK(fake.n_req == 3);
	CHECK_STR(param(0, "Action"), "DescribeSubDomainRecords");
	CHECK_STR(param(0, "SubDomain"), "_acme-challenge.example.com");
	CHECK_STR(param(0, "DomainName"), "example.com");
	CHECK_STR(param(1, "Action"), "DeleteDomainRecord");
	CHECK_STR(param(1, "RecordId"), "11");
	CHECK_STR(param(2, "RecordId"), "13");
}

/* Several names of one zone: one listing of its _acme-challenge TXT records.
 * Each delete is logged, and fails, under its own name. */
static void test_cleanup_one_listing_per_zone(void)
{
	static const struct canned answers[] = {
		{200, domains_json},
		{200, "{\"RequestId\":\"L\",\"TotalCount\":2,\"DomainRecords\":{\"Record\":["
		      "{\"RecordId\":\"21\",\"RR\":\"_acme-challenge.a\",\"Type\":\"TXT\",\"Value\":\"x\"},"
		      "{\"RecordId\":\"22\",\"RR\":\"_acme-challenge.b\",\"Type\":\"TXT\",\"Value\":\"y\"}"
		      "]}}"},
		{200, "{\"RequestId\":\"D1\",\"RecordId\":\"21\"}"},
		{403, "{\"RequestId\":\"D2\",\"Code\":\"Forbidden.RAM\","
		      "\"Message\":\"User not authorized to operate on the specified resource.\"}"},
	};
	const struct dnsacme_record r[] = {
		{"_acme-challenge.a.example.com", NULL, "x", 0},
		{"_acme-challenge.b.example.com", NULL, "y", 0},
		{"_acme-challenge.c.example.com", NULL, "z", 0},
	};

	fake_reset(static_keys, answers, 4);
	CHECK(run(1, r, 3) == DNSACME_ERR_DENIED);
	CHECK(fake.n_req == 4);
	CHECK_STR(param(1, "Action"), "DescribeDomainRecords");
	CHECK_STR(param(1, "DomainName"), "example.com");
	CHECK_STR(param(1, "RRKeyWord"), "_acme-challenge");
	CHECK_STR(param(1, "TypeKeyWord"), "TXT");
	CHECK_STR(param(2, "RecordId"), "21");
	CHECK_STR(param(3, "RecordId"), "22");
	CHECK(strstr(fake.log, "deleted TXT _acme-challenge.a.example.com in example.com "
			       "(record 21)"));
	CHECK(strstr(fake.error, "DeleteDomainRecord _acme-challenge.b.example.com: "
				 "Forbidden.RAM: "));
}

/* A name in no domain of the account: cleanup still removes the others and
 * then reports it; present refuses the whole batch before adding anything. */
static void test_cleanup_goes_on_without_a_zone(void)
{
	static const struct canned answers[] = {
		{200, domains_json},
		{200, "{\"RequestId\":\"L\",\"TotalCount\":1,\"DomainRecords\":{\"Record\":["
		      "{\"RecordId\":\"41\",\"RR\":\"_acme-challenge\",\"Type\":\"TXT\","
		      "\"Value\":\"v\"}]}}"},
		{200, "{\"RequestId\":\"D\",\"RecordId\":\"41\"}"},
	};
	const struct dnsacme_record r[] = {
		{"_acme-challenge.example.org", NULL, "w", 0},
		{"_acme-challenge.example.com", NULL, "v", 0},
	};

	fake_reset(static_keys, answers, 3);
	CHECK(run(1, r, 2) == DNSACME_ERR_CONFIG);
	CHECK(fake.n_req == 3);
	CHECK_STR(param(1, "SubDomain"), "_acme-challenge.example.com");
	CHECK_STR(param(2, "RecordId"), "41");
	CHECK(strstr(fake.error, "no domain of this account holds _acme-challenge.example.org"));

	fake_reset(static_keys, answers, 3);
	CHECK(run(0, r, 2) == DNSACME_ERR_CONFIG);
	CHECK(fake.n_req == 1);
}

/* One state: present and cleanup share one domain listing; a name outside
 * the listed zones lists them again before it is refused. */
static void test_zone_listing_reused(void)
{
	static const struct canned answers[] = {
		{200, domains_json},
		{200, "{\"RequestId\":\"A\",\"RecordId\":\"31\"}"},
		{200, "{\"RequestId\":\"L\",\"TotalCount\":1,\"DomainRecords\":{\"Record\":["
		      "{\"RecordId\":\"31\",\"RR\":\"_acme-challenge\",\"Type\":\"TXT\","
		      "\"Value\":\"v\"}]}}"},
		{200, "{\"RequestId\":\"D\",\"RecordId\":\"31\"}"},
		{200, domains_json},
	};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};
	const struct dnsacme_record other[] = {{"_acme-challenge.example.org", NULL, "v", 0}};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *state;

	fake_reset(static_keys, answers, 5);
	CHECK(p->open(&host, &state) == DNSACME_OK);
	CHECK(p->present(state, r, 1) == DNSACME_OK);
	CHECK(p->cleanup(state, r, 1) == DNSACME_OK);
	CHECK(fake.n_req == 4);
	CHECK_STR(param(2, "Action"), "DescribeSubDomainRecords");
	CHECK_STR(param(3, "RecordId"), "31");
	CHECK(p->present(state, other, 1) == DNSACME_ERR_CONFIG);
	p->close(state);
	CHECK(fake.n_req == 5);
	CHECK_STR(param(4, "Action"), "DescribeDomains");
	CHECK(strstr(fake.error, "no domain of this account holds _acme-challenge.example.org"));
}

/* A DescribeDomains page of n domains: d0.example.net ... and then last. */
static char *domains_page(const char *request_id, int total, int n, const char *last)
{
	static char page[2][16384];
	static int which;
	char *out = page[which++ % 2];
	int len = snprintf(out, sizeof(page[0]), "{\"RequestId\":\"%s\",\"TotalCount\":%d,"
			   "\"Domains\":{\"Domain\":[", request_id, total);

	for (int i = 0; i < n; i++)
		len += snprintf(out + len, sizeof(page[0]) - (size_t)len,
				"%s{\"DomainName\":\"%s%d.example.net\"}", i ? "," : "",
				i == n - 1 && last ? last : "d", i == n - 1 && last ? 0 : i);
	snprintf(out + len, sizeof(page[0]) - (size_t)len, "]}}");
	return out;
}

/* DescribeDomains is paged while pages are full and TotalCount says more;
 * the longest zone may come last. A TotalCount that promises more than a
 * short page held is not believed. */
static void test_domains_paged(void)
{
	struct canned answers[] = {
		{200, domains_page("P1", 101, 100, NULL)},
		{200, "{\"RequestId\":\"P2\",\"TotalCount\":101,\"PageNumber\":2,"
		      "\"Domains\":{\"Domain\":[{\"DomainName\":\"dev.example.com\","
		      "\"PunyCode\":\"dev.example.com\"}]}}"},
		{200, "{\"RequestId\":\"A\",\"RecordId\":\"5\"}"},
	};
	struct canned short_page[] = {
		{200, "{\"RequestId\":\"P1\",\"TotalCount\":99999999,\"Domains\":{\"Domain\":["
		      "{\"DomainName\":\"dev.example.com\"}]}}"},
		{200, "{\"RequestId\":\"A\",\"RecordId\":\"5\"}"},
	};
	const struct dnsacme_record r[] = {{"_acme-challenge.dev.example.com", NULL, "v", 0}};

	fake_reset(static_keys, answers, 3);
	CHECK(run(0, r, 1) == DNSACME_OK);
	CHECK(fake.n_req == 3);
	CHECK_STR(param(0, "PageSize"), "100");
	CHECK_STR(param(1, "PageNumber"), "2");
	CHECK_STR(param(2, "DomainName"), "dev.example.com");
	CHECK_STR(param(2, "RR"), "_acme-challenge");

	fake_reset(static_keys, short_page, 2);
	CHECK(run(0, r, 1) == DNSACME_OK);
	CHECK(fake.n_req == 2);
	CHECK_STR(param(1, "DomainName"), "dev.example.com");
}

/* Codes whose Message does not say what to fix get a hint. */
static void test_error_hints(void)
{
	static const struct canned ttl[] = {
		{200, domains_json},
		{400, "{\"RequestId\":\"Q\",\"Code\":\"QuotaExceeded.TTL\","
		      "\"Message\":\"The specified TTL is invalid.\"}"},
	};
	static const struct canned ram[] = {
		{200, domains_json},
		{403, "{\"RequestId\":\"F\",\"Code\":\"Forbidden.RAM\",\"Message\":"
		      "\"User not authorized to operate on the specified resource.\"}"},
	};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 60}};

	fake_reset(static_keys, ttl, 2);
	CHECK(run(0, r, 1) == DNSACME_ERR_API);
	CHECK(strstr(fake.error, "QuotaExceeded.TTL: The specified TTL is invalid (RequestId Q)"));
	CHECK(strstr(fake.error, "minimum is 600 (option ttl)") != NULL);
	fake_reset(static_keys, ram, 2);
	CHECK(run(0, r, 1) == DNSACME_ERR_DENIED);
	CHECK(strstr(fake.error, "must allow alidns:AddDomainRecord") != NULL);
	CHECK(fake.backoffs == 0);
}

/* Regions pick the endpoints: alidns.<region> and sts-vpc.<sts_region>. */
static void test_endpoints(void)
{
	static const struct canned sts[] = {{200, sts_json}};
	char path[] = "/tmp/alidns-oidc-XXXXXX";
	int fd = mkstemp(path);
	const char *const regional[] = {"access_key_id", "a", "access_key_secret", "b",
					"region", "ap-southeast-1", "zone", "example.com", NULL};
	const char *const vpc[] = {"role_arn", "r", "oidc_provider_arn", "p",
				   "oidc_token_file", path, "sts_region", "cn-shanghai",
				   "sts_vpc", "true", "zone", "example.com", NULL};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};

	CHECK(fd >= 0 && write(fd, "jwt", 3) == 3);
	close(fd);
	fake_reset(regional, NULL, 0);
	CHECK(run(0, r, 1) == DNSACME_ERR_NETWORK);
	CHECK(strncmp(fake.url[0], "https://alidns.ap-southeast-1.aliyuncs.com/?", 44) == 0);
	fake_reset(vpc, sts, 1);
	CHECK(run(0, r, 1) == DNSACME_ERR_NETWORK);
	CHECK(strncmp(fake.url[0], "https://sts-vpc.cn-shanghai.aliyuncs.com/?Action=", 49) == 0);
	CHECK(strncmp(fake.url[1], "https://alidns.aliyuncs.com/?", 29) == 0);
	unlink(path);
}

/* V3: the parameters alone in the query, the signature in headers. */
static void test_signature_v3(void)
{
	static const struct canned answers[] = {{200, "{\"RequestId\":\"A\",\"RecordId\":\"7\"}"}};
	const char *const config[] = {"access_key_id", "LTAItestkeyid", "access_key_secret",
				      "s3cr3t-value", "endpoint", "http://127.0.0.1:8080",
				      "zone", "example.com", "signature_version", "v3", NULL};
	const char *const bad[] = {"access_key_id", "a", "access_key_secret", "b",
				   "signature_version", "v2", NULL};
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};

	fake_reset(config, answers, 1);
	CHECK(run(0, r, 1) == DNSACME_OK);
	CHECK(fake.n_req == 1);
	CHECK(strncmp(fake.url[0], "http://127.0.0.1:8080/?DomainName=example.com&RR=", 49) == 0);
	CHECK(strstr(fake.url[0], "Signature") == NULL && strstr(fake.url[0], "AccessKeyId") == NULL);
	CHECK(strstr(fake.headers[0], "host: 127.0.0.1:8080\n") != NULL);
	CHECK(strstr(fake.headers[0], "x-acs-action: AddDomainRecord\n") != NULL);
	CHECK(strstr(fake.headers[0], "Authorization: ACS3-HMAC-SHA256 Credential=LTAItestkeyid,"
				      "SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
				      "x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=") != NULL);
	fake_reset(bad, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
}

/* No answer at all: retried, then a clear network error. */
static void test_network_gives_up(void)
{
	const struct dnsacme_record r[] = {{"_acme-challenge.example.com", NULL, "v", 0}};

	fake_reset(static_keys, NULL, 0);
	CHECK(run(0, r, 1) == DNSACME_ERR_NETWORK);
	CHECK(fake.n_req == 6);
	CHECK(fake.backoffs == 5);
	CHECK(strstr(fake.error, "gave up after 6 attempts") != NULL);
}

static void test_config_errors(void)
{
	const char *const half[] = {"access_key_id", "LTAItestkeyid", NULL};
	const char *const none[] = {NULL};
	const char *const bad_url[] = {"access_key_id", "a", "access_key_secret", "b",
				       "endpoint", "ftp://x/", NULL};
	const char *const bad_ttl[] = {"access_key_id", "a", "access_key_secret", "b",
				       "ttl", "60s", NULL};
	const char *const token_only[] = {"security_token", "tok", NULL};
	const char *const vpc_no_region[] = {"role_arn", "r", "oidc_provider_arn", "p",
					     "oidc_token_file", "/nonexistent", "sts_vpc", "true",
					     NULL};

	fake_reset(half, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	CHECK(strstr(fake.error, "only access_key_id is set") != NULL);
	fake_reset(none, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	CHECK(strstr(fake.error, "ALICLOUD_ACCESS_KEY") != NULL);
	fake_reset(bad_url, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	fake_reset(bad_ttl, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	CHECK(strstr(fake.error, "ttl") != NULL);
	fake_reset(token_only, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	fake_reset(vpc_no_region, NULL, 0);
	CHECK(run(0, NULL, 0) == DNSACME_ERR_CONFIG);
	CHECK(strstr(fake.error, "sts_region") != NULL);
	CHECK(fake.n_req == 0);
}

/* RRSA: the token file is traded for STS keys once, then the API calls are
 * signed with them and carry the SecurityToken; all three become secrets. An
 * InvalidSecurityToken answer fetches new keys once. */
static void test_rrsa(void)
{
	static const struct canned answers[] = {
		{200, sts_json},
		{200, "{\"RequestId\":\"A1\",\"RecordId\":\"1\"}"},
		{400, "{\"RequestId\":\"A2\",\"Code\":\"InvalidSecurityToken.Expired\","
		      "\"Message\":\"Specified SecurityToken is expired.\"}"},
		{200, sts_json},
		{200, "{\"RequestId\":\"A3\",\"RecordId\":\"2\"}"},
	};
	char path[] = "/tmp/alidns-oidc-XXXXXX";
	int fd = mkstemp(path);
	const char *const config[] = {
		"role_arn", "acs:ram::1234567890123456:role/dnsacme",
		"oidc_provider_arn", "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1",
		"oidc_token_file", path, "sts_endpoint", "http://127.0.0.1:2",
		"endpoint", "http://127.0.0.1:1", "zone", "example.com", NULL,
	};
	const struct dnsacme_record r[] = {
		{"_acme-challenge.example.com", NULL, "v1", 0},
		{"_acme-challenge.www.example.com", NULL, "v2", 0},
	};

	CHECK(fd >= 0 && write(fd, "eyJhbGciOi.jwt.sig\n", 19) == 19);
	close(fd);
	fake_reset(config, answers, 5);
	CHECK(run(0, r, 2) == DNSACME_OK);
	unlink(path);
	CHECK(fake.n_req == 5);
	CHECK_STR(fake.method[0], "POST");
	CHECK(strncmp(fake.url[0], "http://127.0.0.1:2/?Action=AssumeRoleWithOIDC&", 46) == 0);
	CHECK_STR(param(0, "OIDCToken"), "eyJhbGciOi.jwt.sig");
	CHECK_STR(param(0, "RoleArn"), "acs:ram::1234567890123456:role/dnsacme");
	CHECK_STR(param(0, "RoleSessionName"), "dnsacme");
	CHECK_STR(param(1, "AccessKeyId"), "STS.NUgYrLnoC37mZZCN");
	CHECK_STR(param(1, "SecurityToken"), "CAIS+token/1=");
	CHECK_STR(param(2, "RR"), "_acme-challenge.www");
	CHECK(strstr(fake.url[3], "AssumeRoleWithOIDC") != NULL);
	CHECK_STR(param(4, "RR"), "_acme-challenge.www");
	CHECK(strstr(fake.secrets, "[eyJhbGciOi.jwt.sig]") != NULL);
	CHECK(strstr(fake.secrets, "[sts-secret-1]") != NULL);
	CHECK(strstr(fake.secrets, "[CAIS+token/1=]") != NULL);
}

int main(void)
{
	test_descriptor();
	test_present();
	test_throttling_recovers();
	test_bad_signature();
	test_cleanup_exact_values();
	test_cleanup_one_listing_per_zone();
	test_cleanup_goes_on_without_a_zone();
	test_zone_listing_reused();
	test_domains_paged();
	test_error_hints();
	test_endpoints();
	test_signature_v3();
	test_network_gives_up();
	test_config_errors();
	test_rrsa();
	fake_reset(NULL, NULL, 0);
	return check_report();
}
