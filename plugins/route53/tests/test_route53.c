/*
 * The provider through its descriptor, with a scripted host: each HTTP call
 * is checked against the next expected request and answered with a canned
 * AWS-shaped response. Covers the read-modify-write (foreign values survive
 * present and cleanup), DELETE of a last value, retries on Throttling, error
 * lines, the call counts of a 100-name order, and the credential sources.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "creds.h"
#include "dnsacme/plugin.h"

#define NS "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct step {
	const char *method;
	const char *url_has; /* the request URL must contain this */
	long status;
	const char *body;
};

struct sent {
	char method[8];
	char url[512];
	char *body;
	int signed_req;
	char auth_token[64]; /* Authorization value sent unsigned (container) */
	char amz_date[17];   /* X-Amz-Date, when signed */
	unsigned flags;	     /* DNSACME_HTTP_* */
};

static struct {
	const struct step *script;
	size_t n_script, next;
	struct sent sent[256];
	size_t n_sent;
	const char *const *config; /* key, value, ..., NULL */
	char error[1024];
	char warning[512]; /* the last warning logged */
	unsigned backoffs;
	long max_min_ms; /* the largest min_ms asked of backoff */
	char secrets[8][256];
	size_t n_secrets;
} t;

static void h_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		  const char *fmt, ...) DNSACME_PRINTF(3, 4);
static void h_error(const struct dnsacme_host *host, const char *fmt, ...) DNSACME_PRINTF(2, 3);

static void h_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		  const char *fmt, ...)
{
	va_list ap;

	(void)host;
	if (level != DNSACME_LOG_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(t.warning, sizeof(t.warning), fmt, ap);
	va_end(ap);
}

static void h_error(const struct dnsacme_host *host, const char *fmt, ...)
{
	va_list ap;

	(void)host;
	va_start(ap, fmt);
	vsnprintf(t.error, sizeof(t.error), fmt, ap);
	va_end(ap);
}

static const char *h_config_get(const struct dnsacme_host *host, const char *key)
{
	static const char *const defaults[] = {
		"private_zone", "false", "ttl", "10", "max_retries", "3", "wait_timeout", "30",
		"ec2_metadata_disabled", "true", NULL,
	};
	size_t i;

	(void)host;
	for (i = 0; t.config[i] != NULL; i += 2)
		if (strcmp(t.config[i], key) == 0)
			return t.config[i + 1];
	for (i = 0; defaults[i] != NULL; i += 2)
		if (strcmp(defaults[i], key) == 0)
			return defaults[i + 1];
	return NULL;
}

static void h_add_secret(const struct dnsacme_host *host, const char *value)
{
	(void)host;
	if (t.n_secrets < 8)
		snprintf(t.secrets[t.n_secrets++], sizeof(t.secrets[0]), "%s", value);
}

static enum dnsacme_status h_http(const struct dnsacme_host *host,
				  const struct dnsacme_http_request *req,
				  struct dnsacme_http_response *resp)
{
	struct sent *s = &t.sent[t.n_sent < 256 ? t.n_sent++ : 255];
	const struct step *st;
	size_t i;

	(void)host;
	memset(s, 0, sizeof(*s));
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->url, sizeof(s->url), "%s", req->url);
	s->body = req->body != NULL ? strndup(req->body, req->body_len) : NULL;
	s->flags = req->flags;
	for (i = 0; i < req->n_headers; i++) {
		if (strcmp(req->headers[i].name, "X-Amz-Date") == 0)
			snprintf(s->amz_date, sizeof(s->amz_date), "%s", req->headers[i].value);
		if (strcmp(req->headers[i].name, "Authorization") != 0)
			continue;
		if (strncmp(req->headers[i].value, "AWS4-HMAC-SHA256 ", 17) == 0)
			s->signed_req = 1;
		else
			snprintf(s->auth_token, sizeof(s->auth_token), "%s", req->headers[i].value);
	}
	if (t.next >= t.n_script) {
		fprintf(stderr, "unexpected request %s %s\n", req->method, req->url);
		return DNSACME_ERR_NETWORK;
	}
	st = &t.script[t.next++];
	if (strcmp(st->method, req->method) != 0 || strstr(req->url, st->url_has) == NULL)
		fprintf(stderr, "step %zu: got %s %s, want %s *%s*\n", t.next, req->method,
			req->url, st->method, st->url_has);
	CHECK(strcmp(st->method, req->method) == 0 && strstr(req->url, st->url_has) != NULL);
	if (st->status == 0)
		return DNSACME_ERR_NETWORK;
	memset(resp, 0, sizeof(*resp));
	resp->status = st->status;
	resp->body = strdup(st->body);
	resp->body_len = strlen(st->body);
	return DNSACME_OK;
}

static void h_http_free(const struct dnsacme_host *host, struct dnsacme_http_response *resp)
{
	(void)host;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static int h_backoff(const struct dnsacme_host *host, unsigned attempt, long min_ms)
{
	(void)host;
	(void)attempt;
	t.backoffs++;
	if (min_ms > t.max_min_ms)
		t.max_min_ms = min_ms;
	return 0;
}

/* Whether value was registered with host->add_secret(). */
static int is_secret(const char *value)
{
	size_t i;

	for (i = 0; i < t.n_secrets; i++)
		if (strcmp(t.secrets[i], value) == 0)
			return 1;
	return 0;
}

static const struct dnsacme_host host = {
	DNSACME_PLUGIN_ABI_VERSION, NULL, h_log, h_error, h_config_get, h_add_secret,
	h_http, h_http_free, h_backoff,
};

static const char *const keys_config[] = {
	"access_key_id", "AKIDEXAMPLE", "secret_access_key", SECRET,
	"endpoint", "http://127.0.0.1:9", NULL,
};

static void reset(const struct step *script, size_t n, const char *const *config)
{
	size_t i;

	for (i = 0; i < t.n_sent; i++)
		free(t.sent[i].body);
	memset(&t, 0, sizeof(t));
	t.script = script;
	t.n_script = n;
	t.config = config;
}

static void *open_provider(void)
{
	void *state = NULL;

	CHECK(dnsacme_plugin()->open(&host, &state) == DNSACME_OK);
	return state;
}

#define ZONES(id, name)                                                              \
	"<ListHostedZonesByNameResponse " NS "><HostedZones><HostedZone><Id>/hostedzone/" id \
	"</Id><Name>" name "</Name><CallerReference>x</CallerReference><Config>"       \
	"<PrivateZone>false</PrivateZone></Config></HostedZone></HostedZones>"         \
	"<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"                    \
	"</ListHostedZonesByNameResponse>"
#define RRSET_TXT(name, ttl, values)                                                 \
	"<ResourceRecordSet><Name>" name "</Name><Type>TXT</Type><TTL>" ttl "</TTL>"   \
	"<ResourceRecords>" values "</ResourceRecords></ResourceRecordSet>"
#define VALUE(v) "<ResourceRecord><Value>&quot;" v "&quot;</Value></ResourceRecord>"
#define RRSETS(sets)                                                                  \
	"<ListResourceRecordSetsResponse " NS "><ResourceRecordSets>" sets             \
	"</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems>" \
	"</ListResourceRecordSetsResponse>"
#define CHANGE(root, status)                                                          \
	"<" root " " NS "><ChangeInfo><Id>/change/C42</Id><Status>" status "</Status>"  \
	"<SubmittedAt>2024-01-15T08:30:00.000Z</SubmittedAt></ChangeInfo></" root ">"
#define ERROR(code, msg)                                                              \
	"<ErrorResponse " NS "><Error><Type>Sender</Type><Code>" code "</Code><Message>" \
	msg "</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"

/* One change of a ChangeBatch as the plugin sends it (values quoted). */
#define SENT(action, name, ttl, values)                                               \
	"<Change><Action>" action "</Action><ResourceRecordSet><Name>" name "</Name>"  \
	"<Type>TXT</Type><TTL>" ttl "</TTL><ResourceRecords>" values                   \
	"</ResourceRecords></ResourceRecordSet></Change>"
#define SENT_VALUE(v) "<ResourceRecord><Value>\"" v "\"</Value></ResourceRecord>"

/* Apex + wildcard share a name that already holds a foreign value: present
 * keeps it, adds both (DELETE of the set as read, CREATE of the new one);
 * wait polls until INSYNC; the Throttling is retried. */
static void check_present_and_wait(void)
{
	static const struct step script[] = {
		{"GET", "/hostedzonesbyname?dnsname=example.com.&maxitems=100", 200,
		 ZONES("Z1", "example.com.")},
		{"GET",
		 "/hostedzone/Z1/rrset?name=_acme-challenge.example.com.&type=TXT&maxitems=1",
		 400, ERROR("Throttling", "Rate exceeded")},
		{"GET", "/hostedzone/Z1/rrset?name=_acme-challenge.example.com.", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.example.com.", "300", VALUE("foreign")))},
		{"POST", "/2013-04-01/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
		{"GET", "/2013-04-01/change/C42", 200, CHANGE("GetChangeResponse", "PENDING")},
		{"GET", "/2013-04-01/change/C42", 200, CHANGE("GetChangeResponse", "INSYNC")},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.example.com", "example.com", "apex", 0},
		{"_acme-challenge.example.com", "example.com", "wild", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 6, keys_config);
	st = open_provider();
	CHECK(p->present(st, recs, 2) == DNSACME_OK);
	CHECK(t.backoffs == 1);
	CHECK(t.n_sent == 4 && t.sent[3].body != NULL);
	if (t.n_sent == 4 && t.sent[3].body != NULL) {
		CHECK(strstr(t.sent[3].body,
			     SENT("DELETE", "_acme-challenge.example.com.", "300",
				  SENT_VALUE("foreign"))
			     SENT("CREATE", "_acme-challenge.example.com.", "10",
				  SENT_VALUE("foreign") SENT_VALUE("apex") SENT_VALUE("wild")))
		      != NULL);
		CHECK(t.sent[3].signed_req);
	}
	CHECK(p->wait(st) == DNSACME_OK);
	CHECK(t.next == 6);
	p->close(st);
}

/* Cleanup: a foreign value stays (the set DELETEd as read and CREATEd with
 * the rest at its TTL); a set holding only our value is just DELETEd. */
static void check_cleanup(void)
{
	/* b has no zone hint: the walk asks for its own name and its parent
	 * before example.org, which a's hint then finds in the cache. */
	static const struct step script[] = {
		{"GET", "dnsname=_acme-challenge.b.example.org.", 200, ZONES("Z9", "zzz.org.")},
		{"GET", "dnsname=b.example.org.", 200, ZONES("Z9", "zzz.org.")},
		{"GET", "dnsname=example.org.", 200, ZONES("Z2", "example.org.")},
		{"GET", "rrset?name=_acme-challenge.a.example.org.&type=TXT&maxitems=300", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.a.example.org.", "300",
				  VALUE("foreign") VALUE("v1"))
			"<ResourceRecordSet><Name>_acme-challenge.b.example.org.</Name>"
			"<Type>A</Type>"
			"<TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value>"
			"</ResourceRecord></ResourceRecords></ResourceRecordSet>"
			RRSET_TXT("_acme-challenge.b.example.org.", "60", VALUE("v2")))},
		{"POST", "/hostedzone/Z2/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.b.example.org", NULL, "v2", 0},
		{"_acme-challenge.a.example.org", "example.org", "v1", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 5, keys_config);
	st = open_provider();
	CHECK(p->cleanup(st, recs, 2) == DNSACME_OK);
	CHECK(t.next == 5);
	if (t.n_sent == 5 && t.sent[4].body != NULL) {
		const char *b = t.sent[4].body;
		const char *a_part = strstr(b, "_acme-challenge.a.example.org.");
		const char *b_part = strstr(b, "_acme-challenge.b.example.org.");

		CHECK(a_part != NULL && b_part != NULL && a_part < b_part);
		CHECK(strstr(b, SENT("DELETE", "_acme-challenge.a.example.org.", "300",
				     SENT_VALUE("foreign") SENT_VALUE("v1"))
				SENT("CREATE", "_acme-challenge.a.example.org.", "300",
				     SENT_VALUE("foreign"))
				SENT("DELETE", "_acme-challenge.b.example.org.", "60",
				     SENT_VALUE("v2")) "</Changes>") != NULL);
	}
	p->close(st);
}

/* A refusal comes back as one line with code, message and request id, and
 * nothing secret in it. */
static void check_errors(void)
{
	static const struct step denied[] = {
		{"GET", "hostedzonesbyname", 403,
		 ERROR("AccessDenied", "User: arn:aws:iam::1:user/x is not authorized")},
	};
	static const struct step throttled[] = {
		{"GET", "hostedzonesbyname", 400, ERROR("Throttling", "Rate exceeded")},
		{"GET", "hostedzonesbyname", 400,
		 ERROR("PriorRequestNotComplete", "The request was rejected")},
		{"GET", "hostedzonesbyname", 500, "oops"},
		{"GET", "hostedzonesbyname", 400, ERROR("Throttling", "Rate exceeded")},
	};
	static const struct step bad_sig[] = {
		{"GET", "hostedzonesbyname", 403,
		 ERROR("SignatureDoesNotMatch", "The request signature we calculated does not "
		       "match")},
	};
	const struct dnsacme_record rec = {"_acme-challenge.example.net", "example.net", "v", 0};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(denied, 1, keys_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_ERR_DENIED);
	CHECK_STR(t.error, "ListHostedZonesByName: AccessDenied: User: arn:aws:iam::1:user/x is "
			   "not authorized (HTTP 403, request id req-1)");
	CHECK(strstr(t.error, SECRET) == NULL);
	p->close(st);

	reset(throttled, 4, keys_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_ERR_API);
	CHECK(t.backoffs == 3 && t.next == 4);
	CHECK(t.max_min_ms == 1000); /* PriorRequestNotComplete waits at least 1 s */
	CHECK(strstr(t.error, "Throttling: Rate exceeded") != NULL);
	p->close(st);

	reset(bad_sig, 1, keys_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_ERR_AUTH);
	CHECK(strstr(t.error, "SignatureDoesNotMatch") != NULL && t.backoffs == 0);
	p->close(st);
}

/* 100 names in one zone: one zone lookup, one RRset read and one change for
 * present; cleanup reads again (someone may have written since) and writes
 * once. */
static void check_call_counts(void)
{
	static const struct step script[] = {
		{"GET", "dnsname=example.com.", 200, ZONES("Z1", "example.com.")},
		{"GET", "rrset?name=_acme-challenge.n0.example.com.&type=TXT&maxitems=300", 200,
		 RRSETS("")},
		{"POST", "/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
		{"GET", "rrset?name=_acme-challenge.n0.example.com.&type=TXT&maxitems=300", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.n0.example.com.", "10", VALUE("v")))},
		{"POST", "/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	struct dnsacme_record recs[100];
	char names[100][64];
	void *st;
	size_t i, n_change = 0;
	const char *b;

	for (i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "_acme-challenge.n%zu.example.com", i);
		recs[i] = (struct dnsacme_record){names[i], "example.com", "v", 0};
	}
	reset(script, 5, keys_config);
	st = open_provider();
	CHECK(p->present(st, recs, 100) == DNSACME_OK);
	CHECK(t.n_sent == 3);
	for (b = t.n_sent == 3 ? t.sent[2].body : ""; (b = strstr(b, "<Change>")) != NULL; b++)
		n_change++;
	CHECK(n_change == 100);
	CHECK(p->cleanup(st, recs, 100) == DNSACME_OK);
	CHECK(t.n_sent == 5);
	if (t.n_sent == 5)
		CHECK(strstr(t.sent[4].body, "<Action>DELETE</Action>") != NULL);
	p->close(st);
}

#define ZONE(id, name, private)                                                       \
	"<HostedZone><Id>/hostedzone/" id "</Id><Name>" name "</Name><CallerReference>x"  \
	"</CallerReference><Config><PrivateZone>" private "</PrivateZone></Config>"     \
	"</HostedZone>"
#define ZONE_LIST(zones)                                                              \
	"<ListHostedZonesByNameResponse " NS "><HostedZones>" zones "</HostedZones>"    \
	"<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"                     \
	"</ListHostedZonesByNameResponse>"

/* Split horizon: a public and a private zone of one name; the option picks.
 * Two public zones of one name: refuse to guess. An explicit id skips the
 * lookup, "/hostedzone/" prefix or not. */
static void check_zone_choice(void)
{
	static const struct step private_zone[] = {
		{"GET", "dnsname=example.com.", 200,
		 ZONE_LIST(ZONE("ZPUB", "example.com.", "false")
			   ZONE("ZPRV", "example.com.", "true")
			   ZONE("ZOTHER", "www.example.com.", "false"))},
		{"GET", "/hostedzone/ZPRV/rrset?", 200, RRSETS("")},
		{"POST", "/hostedzone/ZPRV/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	static const struct step twins[] = {
		{"GET", "dnsname=example.com.", 200,
		 ZONE_LIST(ZONE("ZA", "example.com.", "false")
			   ZONE("ZB", "example.com.", "false"))},
	};
	static const struct step by_id[] = {
		{"GET", "/hostedzone/ZGIVEN/rrset?", 200, RRSETS("")},
		{"POST", "/hostedzone/ZGIVEN/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	static const char *const private_config[] = {
		"access_key_id", "AKIDEXAMPLE", "secret_access_key", SECRET,
		"endpoint", "http://127.0.0.1:9", "private_zone", "true", NULL,
	};
	static const char *const id_config[] = {
		"access_key_id", "AKIDEXAMPLE", "secret_access_key", SECRET,
		"endpoint", "http://127.0.0.1:9", "hosted_zone_id", "/hostedzone/ZGIVEN", NULL,
	};
	const struct dnsacme_record rec = {"_acme-challenge.example.com", "example.com", "v", 0};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(private_zone, 3, private_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_OK);
	CHECK(t.next == 3);
	p->close(st);

	reset(twins, 1, keys_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_ERR_CONFIG);
	CHECK_STR(t.error, "several public hosted zones are named example.com (ZA, ZB): "
			   "set hosted_zone_id (AWS_HOSTED_ZONE_ID)");
	p->close(st);

	reset(by_id, 2, id_config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_OK);
	CHECK(t.next == 2);
	p->close(st);
}

/* The set changed between our read and our write (another writer added a
 * value): AWS refuses the DELETE; the plugin reads again and keeps the new
 * value. */
static void check_conflict_reread(void)
{
	static const struct step script[] = {
		{"GET", "dnsname=example.com.", 200, ZONES("Z1", "example.com.")},
		{"GET", "/hostedzone/Z1/rrset?", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.example.com.", "60", VALUE("mine")))},
		{"POST", "/hostedzone/Z1/rrset/", 400,
		 ERROR("InvalidChangeBatch", "[Tried to delete resource record set "
		       "[name='_acme-challenge.example.com.', type='TXT'] but the values provided "
		       "do not match the current values]")},
		{"GET", "/hostedzone/Z1/rrset?", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.example.com.", "60", VALUE("mine")
				  VALUE("theirs")))},
		{"POST", "/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_record rec = {"_acme-challenge.example.com", "example.com", "mine", 0};
	const struct dnsacme_record other = {"_acme-challenge.example.com", "example.com", "new", 0};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 5, keys_config);
	st = open_provider();
	CHECK(p->cleanup(st, &rec, 1) == DNSACME_OK);
	CHECK(t.next == 5);
	if (t.n_sent == 5) {
		CHECK(strstr(t.sent[2].body, "<Action>DELETE</Action>") != NULL);
		CHECK(strstr(t.sent[4].body,
			     SENT("DELETE", "_acme-challenge.example.com.", "60",
				  SENT_VALUE("mine") SENT_VALUE("theirs"))
			     SENT("CREATE", "_acme-challenge.example.com.", "60",
				  SENT_VALUE("theirs")) "</Changes>") != NULL);
	}
	p->close(st);

	/* present likewise: the value added meanwhile is kept, not overwritten. */
	reset(script, 5, keys_config);
	st = open_provider();
	CHECK(p->present(st, &other, 1) == DNSACME_OK);
	CHECK(t.next == 5);
	if (t.n_sent == 5)
		CHECK(strstr(t.sent[4].body,
			     SENT("DELETE", "_acme-challenge.example.com.", "60",
				  SENT_VALUE("mine") SENT_VALUE("theirs"))
			     SENT("CREATE", "_acme-challenge.example.com.", "10",
				  SENT_VALUE("mine") SENT_VALUE("theirs") SENT_VALUE("new"))
			     "</Changes>") != NULL);
	p->close(st);
}

/* Temporary keys that AWS calls expired are fetched again, once. */
static void check_expired_token_refresh(void)
{
	static const struct step script[] = {
		{"GET", "http://127.0.0.1:9/creds", 200,
		 "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s1\",\"Token\":\"t1\","
		 "\"Expiration\":\"2999-01-01T00:00:00Z\"}"},
		{"GET", "dnsname=example.com.", 403,
		 ERROR("ExpiredToken", "The security token included in the request is expired")},
		{"GET", "http://127.0.0.1:9/creds", 200,
		 "{\"AccessKeyId\":\"ASIA2\",\"SecretAccessKey\":\"s2\",\"Token\":\"t2\","
		 "\"Expiration\":\"2999-01-01T00:00:00Z\"}"},
		{"GET", "dnsname=example.com.", 403,
		 ERROR("ExpiredToken", "The security token included in the request is expired")},
	};
	static const char *const config[] = {
		"container_credentials_full_uri", "http://127.0.0.1:9/creds",
		"container_authorization_token", "tok", "endpoint", "http://127.0.0.1:9",
		"shared_credentials_file", "/nonexistent", "config_file", "/nonexistent", NULL,
	};
	const struct dnsacme_record rec = {"_acme-challenge.example.com", "example.com", "v", 0};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 4, config);
	st = open_provider();
	CHECK(p->present(st, &rec, 1) == DNSACME_ERR_AUTH);
	CHECK(t.next == 4 && t.backoffs == 0);
	CHECK(strstr(t.error, "ExpiredToken") != NULL);
	p->close(st);
}

/* A zone with more sets than a page between our names: after a truncated
 * page the listing goes straight to the next of our names (k), or, when
 * NextRecordName is one of them (z), on from there. */
static void check_paging(void)
{
#define PAGE(sets, next)                                                              \
	"<ListResourceRecordSetsResponse " NS "><ResourceRecordSets>" sets             \
	"</ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>" next     \
	"</NextRecordName><NextRecordType>A</NextRecordType><MaxItems>300</MaxItems>"   \
	"</ListResourceRecordSetsResponse>"
	static const struct step script[] = {
		{"GET", "dnsname=example.com.", 200, ZONES("Z1", "example.com.")},
		{"GET", "rrset?name=_acme-challenge.a.example.com.&type=TXT&maxitems=300", 200,
		 PAGE(RRSET_TXT("_acme-challenge.a.example.com.", "60", VALUE("old")),
		      "b.example.com.")},
		{"GET", "rrset?name=_acme-challenge.k.example.com.&type=TXT&maxitems=300", 200,
		 PAGE(RRSET_TXT("_acme-challenge.k.example.com.", "60", VALUE("kk")),
		      "_acme-challenge.z.example.com.")},
		{"GET", "rrset?name=_acme-challenge.z.example.com.&type=A&maxitems=300", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.z.example.com.", "60", VALUE("zz")))},
		{"POST", "/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.z.example.com", "example.com", "new", 0},
		{"_acme-challenge.k.example.com", "example.com", "new", 0},
		{"_acme-challenge.a.example.com", "example.com", "new", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 5, keys_config);
	st = open_provider();
	CHECK(p->present(st, recs, 3) == DNSACME_OK);
	CHECK(t.next == 5);
	if (t.n_sent == 5) {
		CHECK(strstr(t.sent[4].body, "<Value>\"old\"</Value></ResourceRecord>"
				"<ResourceRecord><Value>\"new\"</Value>") != NULL);
		CHECK(strstr(t.sent[4].body, "<Value>\"kk\"</Value></ResourceRecord>"
				"<ResourceRecord><Value>\"new\"</Value>") != NULL);
		CHECK(strstr(t.sent[4].body, "<Value>\"zz\"</Value></ResourceRecord>"
				"<ResourceRecord><Value>\"new\"</Value>") != NULL);
	}
	p->close(st);
#undef PAGE
}

/* A truncated page whose NextRecordName is where the listing already
 * stands would be asked for again and again: the plugin stops with an error. */
static void check_paging_without_progress(void)
{
	static const struct step script[] = {
		{"GET", "dnsname=example.com.", 200, ZONES("Z1", "example.com.")},
		{"GET", "rrset?name=_acme-challenge.a.example.com.&type=TXT&maxitems=300", 200,
		 "<ListResourceRecordSetsResponse " NS "><ResourceRecordSets>"
		 "</ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>"
		 "_acme-challenge.a.example.com.</NextRecordName><NextRecordType>TXT"
		 "</NextRecordType><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>"},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.a.example.com", "example.com", "new", 0},
		{"_acme-challenge.b.example.com", "example.com", "new", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 2, keys_config);
	st = open_provider();
	CHECK(p->present(st, recs, 2) == DNSACME_ERR_PROTOCOL);
	CHECK(t.next == 2);
	CHECK(strstr(t.error, "does not move the listing on") != NULL);
	p->close(st);
}

/* Route 53 sorts the reversed names as strings ("com.example.web-1." before
 * "com.example.web."): the listing starts at web-1, and both sets, read in
 * that order, are found, so the foreign value at web-1 stays. */
static void check_listing_order(void)
{
	static const struct step script[] = {
		{"GET", "dnsname=example.com.", 200, ZONES("Z1", "example.com.")},
		{"GET", "rrset?name=_acme-challenge.web-1.example.com.&type=TXT&maxitems=300", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.web-1.example.com.", "60",
				  VALUE("foreign") VALUE("v1"))
			RRSET_TXT("_acme-challenge.web.example.com.", "60", VALUE("v0")))},
		{"POST", "/hostedzone/Z1/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.web.example.com", "example.com", "v0", 0},
		{"_acme-challenge.web-1.example.com", "example.com", "v1", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 3, keys_config);
	st = open_provider();
	CHECK(p->cleanup(st, recs, 2) == DNSACME_OK);
	CHECK(t.next == 3);
	if (t.n_sent == 3 && t.sent[2].body != NULL) {
		CHECK(strstr(t.sent[2].body,
			     SENT("CREATE", "_acme-challenge.web-1.example.com.", "60",
				  SENT_VALUE("foreign"))
			     SENT("DELETE", "_acme-challenge.web.example.com.", "60",
				  SENT_VALUE("v0")) "</Changes>") != NULL);
	}
	p->close(st);
}

/* Cleanup goes on to the other zones when one fails, and reports the failure. */
static void check_cleanup_continues(void)
{
	static const struct step script[] = {
		{"GET", "dnsname=a.test.", 200, ZONES("ZA", "a.test.")},
		{"GET", "dnsname=b.test.", 200, ZONES("ZB", "b.test.")},
		{"GET", "/hostedzone/ZA/rrset?", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.a.test.", "10", VALUE("v")))},
		{"POST", "/hostedzone/ZA/rrset/", 403, ERROR("AccessDenied", "not on this zone")},
		{"GET", "/hostedzone/ZB/rrset?", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.b.test.", "10", VALUE("v")))},
		{"POST", "/hostedzone/ZB/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	static const struct step lost_zone[] = {
		{"GET", "dnsname=gone.test.", 200, ZONES("ZX", "other.test.")},
		{"GET", "dnsname=_acme-challenge.gone.test.", 200, ZONES("ZX", "other.test.")},
		{"GET", "dnsname=test.", 200, ZONES("ZX", "other.test.")},
		{"GET", "dnsname=b.test.", 200, ZONES("ZB", "b.test.")},
		{"GET", "/hostedzone/ZB/rrset?", 200,
		 RRSETS(RRSET_TXT("_acme-challenge.b.test.", "10", VALUE("v")))},
		{"POST", "/hostedzone/ZB/rrset/", 200,
		 CHANGE("ChangeResourceRecordSetsResponse", "PENDING")},
	};
	const struct dnsacme_record recs[] = {
		{"_acme-challenge.a.test", "a.test", "v", 0},
		{"_acme-challenge.b.test", "b.test", "v", 0},
	};
	/* No hosted zone holds gone.test's name: not the hint, nor any suffix. */
	const struct dnsacme_record lost[] = {
		{"_acme-challenge.gone.test", "gone.test", "v", 0},
		{"_acme-challenge.b.test", "b.test", "v", 0},
	};
	const struct dnsacme_provider *p = dnsacme_plugin();
	void *st;

	reset(script, 6, keys_config);
	st = open_provider();
	CHECK(p->cleanup(st, recs, 2) == DNSACME_ERR_DENIED);
	CHECK(t.next == 6);
	p->close(st);

	/* ...and on to the other records when a record's zone cannot be found;
	 * present, which needs every record, stops there. */
	reset(lost_zone, 6, keys_config);
	st = open_provider();
	CHECK(p->cleanup(st, lost, 2) == DNSACME_ERR_CONFIG);
	CHECK(t.next == 6);
	CHECK(strstr(t.error, "no public hosted zone holds _acme-challenge.gone.test") != NULL);
	p->close(st);
	reset(lost_zone, 6, keys_config);
	st = open_provider();
	CHECK(p->present(st, lost, 2) == DNSACME_ERR_CONFIG);
	CHECK(t.next == 3);
	p->close(st);
}

static void check_bad_options(void)
{
	static const char *const bad[][8] = {
		{"ttl", "ten", NULL},
		{"endpoint", "ftp://route53.example", NULL},
		{"private_zone", "maybe", NULL},
		{"region", "eu-west-1/../x", NULL},
		{"hosted_zone_id", "Z1/../../change", NULL},
	};
	size_t i;
	void *st = NULL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset(NULL, 0, bad[i]);
		CHECK(dnsacme_plugin()->open(&host, &st) == DNSACME_ERR_CONFIG);
		CHECK(t.error[0] != '\0');
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

#define STS_OK(root, result)                                                        \
	"<" root " xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" result ">"     \
	"<Credentials><AccessKeyId>ASIATEMP</AccessKeyId><SecretAccessKey>tempsecret"    \
	"</SecretAccessKey><SessionToken>temptoken</SessionToken><Expiration>"           \
	"2999-01-01T00:00:00Z</Expiration></Credentials></" result "></" root ">"

/* Each credential source, through r53_creds_get with the scripted host. */
static void check_credentials(void)
{
	char dir[] = "/tmp/r53testXXXXXX", cred[128], conf[128], token[128];
	const struct r53_credentials *k;
	struct r53_creds c;
	struct r53_creds_config cfg = {0};
	static const struct step web[] = {
		{"POST", "https://sts.eu-west-1.amazonaws.com/", 200,
		 STS_OK("AssumeRoleWithWebIdentityResponse", "AssumeRoleWithWebIdentityResult")},
	};
	static const struct step assume[] = {
		{"POST", "http://127.0.0.1:9/", 500, "<busy/>"},
		{"POST", "http://127.0.0.1:9/", 200,
		 STS_OK("AssumeRoleResponse", "AssumeRoleResult")},
	};
	static const struct step ecs[] = {
		{"GET", "http://127.0.0.1:9/creds", 200,
		 "{\"AccessKeyId\":\"ASIAPOD\",\"SecretAccessKey\":\"podsecret\","
		 "\"Token\":\"podtok\","
		 "\"Expiration\":\"2999-01-01T00:00:00Z\",\"AccountId\":\"1\"}"},
	};
	static const struct step imds[] = {
		{"PUT", "http://127.0.0.1:9/latest/api/token", 200, "imdstoken"},
		{"GET", "/latest/meta-data/iam/security-credentials/", 200, "myrole\n"},
		{"GET", "/latest/meta-data/iam/security-credentials/myrole", 200,
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAEC2\","
		 "\"SecretAccessKey\":\"ec2secret\","
		 "\"Token\":\"ec2tok\",\"Expiration\":\"2999-01-01T00:00:00Z\"}"},
	};
	static const char *const none[] = {NULL};

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(cred, sizeof(cred), "%s/credentials", dir);
	snprintf(conf, sizeof(conf), "%s/config", dir);
	snprintf(token, sizeof(token), "%s/token", dir);
	write_file(cred, "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n"
			 "[ops]\naws_access_key_id=AKIDOPS\naws_secret_access_key=opssecret\n");
	write_file(conf, "[profile cross]\nrole_arn = arn:aws:iam::1:role/dns\n"
			 "source_profile = ops\n[profile ops]\noutput = json\n");
	write_file(token, "eyJ.token.sig\n");

	/* Shared files: the named profile, keys from the credentials file. */
	reset(NULL, 0, none);
	cfg = (struct r53_creds_config){.profile = "ops", .shared_credentials_file = cred,
					.config_file = conf, .imds_disabled = 1};
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->access_key_id, "AKIDOPS");
	CHECK(k->expires == 0 && t.n_sent == 0);
	CHECK(is_secret("AKIDOPS") && is_secret("opssecret")); /* from a file too */
	r53_creds_free(&c);

	/* Access keys come before a profile, which is then named in a warning. */
	reset(NULL, 0, none);
	cfg.access_key_id = "AKIDKEYS";
	cfg.secret_access_key = "keysecret";
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->access_key_id, "AKIDKEYS");
	CHECK(strstr(t.warning, "profile ops is not used: access keys are set") != NULL);
	r53_creds_free(&c);
	reset(NULL, 0, none);
	cfg.profile = NULL;
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK && t.warning[0] == '\0');
	r53_creds_free(&c);
	cfg = (struct r53_creds_config){.profile = "ops", .shared_credentials_file = cred,
					.config_file = conf, .imds_disabled = 1};

	/* A config profile with role_arn + source_profile assumes the role;
	 * the retry after a 500 is signed at its own time, not the first's. */
	reset(assume, 2, none);
	cfg.profile = "cross";
	cfg.sts_endpoint = "http://127.0.0.1:9";
	cfg.max_retries = 1;
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->access_key_id, "ASIATEMP");
	CHECK_STR(k->session_token, "temptoken");
	CHECK(t.n_sent == 2 && t.sent[0].signed_req && t.sent[1].signed_req);
	CHECK(t.n_sent == 2 && strstr(t.sent[1].body, "Action=AssumeRole&") != NULL);
	CHECK_STR(t.sent[0].amz_date, "19700101T001640Z");
	CHECK(strcmp(t.sent[1].amz_date, "2020") > 0);
	CHECK(is_secret("opssecret") && is_secret("ASIATEMP") && is_secret("tempsecret") &&
	      is_secret("temptoken"));
	/* Cached: no other call. */
	CHECK(r53_creds_get(&c, 2000, &k) == DNSACME_OK && t.n_sent == 2);
	r53_creds_free(&c);

	/* An explicit profile that does not exist is an error, not a fallback. */
	reset(NULL, 0, none);
	cfg.profile = "nope";
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_ERR_CONFIG);
	CHECK(strstr(t.error, "profile nope not found") != NULL);
	r53_creds_free(&c);

	/* Web identity: unsigned, token from the file, registered as secret. */
	reset(web, 1, none);
	cfg = (struct r53_creds_config){.shared_credentials_file = "/nonexistent",
		.config_file = "/nonexistent", .region = "eu-west-1",
		.role_arn = "arn:aws:iam::1:role/irsa", .web_identity_token_file = token,
		.imds_disabled = 1};
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->secret_access_key, "tempsecret");
	CHECK(t.n_sent == 1 && !t.sent[0].signed_req);
	CHECK(t.n_sent == 1 && strstr(t.sent[0].body, "WebIdentityToken=eyJ.token.sig") != NULL);
	CHECK(is_secret("eyJ.token.sig") && is_secret("ASIATEMP") && is_secret("tempsecret") &&
	      is_secret("temptoken"));
	r53_creds_free(&c);

	/* Container credentials with a token file. */
	reset(ecs, 1, none);
	cfg = (struct r53_creds_config){.shared_credentials_file = "/nonexistent",
		.config_file = "/nonexistent", .container_full_uri = "http://127.0.0.1:9/creds",
		.container_token_file = token, .imds_disabled = 1};
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->access_key_id, "ASIAPOD");
	CHECK(t.n_sent == 1);
	CHECK_STR(t.sent[0].auth_token, "eyJ.token.sig");
	CHECK(t.sent[0].flags & DNSACME_HTTP_DIRECT); /* the token never crosses a proxy */
	r53_creds_free(&c);
	CHECK(!r53_container_url_allowed("http://203.0.113.5/creds"));
	CHECK(!r53_container_url_allowed("http://127.evil.example/creds"));
	CHECK(!r53_container_url_allowed("http://169.254.170.2.evil.example/"));
	CHECK(!r53_container_url_allowed("http://localhost@evil.example/"));
	CHECK(!r53_container_url_allowed("ftp://127.0.0.1/"));
	/* Userinfo that looks like an allowed host: libcurl connects to what
	 * follows the '@', so any userinfo is refused. */
	CHECK(!r53_container_url_allowed("http://127.0.0.1:x@evil.example/"));
	CHECK(!r53_container_url_allowed("http://169.254.170.2:1@evil.example/"));
	CHECK(!r53_container_url_allowed("http://u:p@127.0.0.1/creds"));
	CHECK(!r53_container_url_allowed("https://u@creds.example.com/v1"));
	CHECK(!r53_container_url_allowed("http://127.0.0.1\\@evil.example/"));
	CHECK(!r53_container_url_allowed("http://[::ffff:203.0.113.5]/creds"));
	CHECK(!r53_container_url_allowed("not a url"));
	CHECK(r53_container_url_allowed("http://127.1.2.3/creds"));
	CHECK(r53_container_url_allowed("http://[::1]:8080/creds"));
	CHECK(r53_container_url_allowed("http://LOCALHOST/creds"));
	CHECK(r53_container_url_allowed("http://127.0.0.1:8080/creds"));
	CHECK(r53_container_url_allowed("http://169.254.170.23/v1/credentials"));
	CHECK(r53_container_url_allowed("http://[fd00:ec2::23]/v1/credentials"));
	CHECK(r53_container_url_allowed("http://169.254.170.2/v2/credentials/x"));
	CHECK(r53_container_url_allowed("https://creds.example.com/v1"));

	/* IMDSv2. */
	reset(imds, 3, none);
	cfg = (struct r53_creds_config){.shared_credentials_file = "/nonexistent",
		.config_file = "/nonexistent", .imds_endpoint = "http://127.0.0.1:9"};
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_OK);
	CHECK_STR(k->access_key_id, "ASIAEC2");
	CHECK(t.next == 3);
	for (size_t i = 0; i < t.next; i++)
		CHECK(t.sent[i].flags & DNSACME_HTTP_DIRECT);
	r53_creds_free(&c);

	/* Nothing anywhere. */
	reset(NULL, 0, none);
	cfg.imds_disabled = 1;
	r53_creds_init(&c, &host, &cfg);
	CHECK(r53_creds_get(&c, 1000, &k) == DNSACME_ERR_CONFIG);
	CHECK(strstr(t.error, "no AWS credentials found") != NULL);
	r53_creds_free(&c);

	unlink(cred);
	unlink(conf);
	unlink(token);
	rmdir(dir);
}

int main(void)
{
	check_present_and_wait();
	check_cleanup();
	check_errors();
	check_call_counts();
	check_zone_choice();
	check_conflict_reread();
	check_paging();
	check_paging_without_progress();
	check_listing_order();
	check_cleanup_continues();
	check_expired_token_refresh();
	check_bad_options();
	check_credentials();
	reset(NULL, 0, NULL);
	return check_report();
}
