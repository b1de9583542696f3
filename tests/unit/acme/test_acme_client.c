/*
 * The client's transport and flow against a scripted HTTP server on
 * loopback: nonce handling (badNonce retried with the nonce that came with
 * the error), 503 + Retry-After, problem documents reported in full,
 * malformed JSON, the stop flag, and a whole order down to the alternate
 * chain. The real CA (Pebble) is the integration tests' job; this checks
 * the rules RFC 8555 sets for the client, request by request.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "acme_server.h"
#include "base/b64.h"
#include "check.h"
#include "crypto/crypto.h"

#define DIRECTORY                                                                          \
	"{\"newNonce\":\"{base}/nonce\",\"newAccount\":\"{base}/new-acct\","              \
	"\"newOrder\":\"{base}/new-order\",\"revokeCert\":\"{base}/revoke\","             \
	"\"meta\":{\"termsOfService\":\"{base}/tos\",\"profiles\":{\"classic\":\"c\"}}}"
#define BAD_NONCE                                                                          \
	"{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"JWS has an invalid "  \
	"anti-replay nonce\"}"
#define ORDER_PENDING                                                                      \
	"{\"status\":\"pending\",\"authorizations\":[\"{base}/authz/1\"],"                   \
	"\"finalize\":\"{base}/order/1/finalize\"}"
#define ORDER(status)                                                                      \
	"{\"status\":\"" status "\",\"authorizations\":[\"{base}/authz/1\"],"             \
	"\"finalize\":\"{base}/order/1/finalize\"}"
#define AUTHZ(status)                                                                      \
	"{\"status\":\"" status "\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.test\"}," \
	"\"wildcard\":true,\"challenges\":[{\"type\":\"dns-01\",\"url\":\"{base}/chal/1\","   \
	"\"token\":\"tok-1\",\"status\":\"pending\"}]}"

struct fixture {
	struct da_log log;
	struct da_http *http;
	struct da_acme *acme;
	EVP_PKEY *key;
	struct da_signer signer; /* over key */
	volatile sig_atomic_t stop;
};

static int fixture_open(struct fixture *f, struct script_server *s)
{
	char url[128];
	struct da_err err;

	da_log_init(&f->log, DNSACME_LOG_ERROR, stderr);
	f->stop = 0;
	f->acme = NULL;
	snprintf(url, sizeof(url), "%s/dir", s->base);
	CHECK(da_crypto_key_generate(DA_KEY_EC256, &f->key, NULL) == DA_OK);
	f->signer = da_crypto_signer_of(f->key);
	CHECK(da_http_new(&f->http, &(struct da_http_config){0}, &f->log, &err) == DA_OK);
	if (da_acme_new(&f->acme,
			&(struct da_acme_config){url, f->http, &f->log, &f->stop, NULL, 0},
			&err) != DA_OK) {
		fprintf(stderr, "da_acme_new: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void fixture_close(struct fixture *f)
{
	da_acme_free(f->acme);
	da_http_free(f->http);
	EVP_PKEY_free(f->key);
	da_log_free(&f->log);
}

/* A CA is HTTPS, or plain HTTP on loopback (test CAs); nothing else is even
 * asked. The scripted server would answer any of these. */
static void test_plain_http_refused(void)
{
	static const char *const refused[] = {
		"http://ca.example.test/dir", "http://203.0.113.7/dir",
		"http://127.0.0.1@ca.example.test/dir", "ftp://127.0.0.1/dir", "/dir",
	};
	struct da_http *http = NULL;
	struct da_acme *acme = NULL;
	struct da_err err;

	CHECK(da_http_new(&http, NULL, NULL, &err) == DA_OK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(da_acme_new(&acme, &(struct da_acme_config){refused[i], http, NULL, NULL, NULL, 0},
				  &err) == DA_ERR_CONFIG);
		CHECK(strstr(err.msg, "is not HTTPS") != NULL);
		CHECK(acme == NULL);
	}
	da_http_free(http);
}

/* A CA that only ever says badNonce: retried 20 times in a row, then the
 * run fails with its problem, not a loop. */
static void test_bad_nonces_bounded(void)
{
#define REFUSAL                                                                                   \
	{"/new-acct", 400, "Replay-Nonce: nx\r\nContent-Type: application/problem+json\r\n", BAD_NONCE}
	static const struct script_answer script[] = {
		{"/dir", 200, "", DIRECTORY}, {"/nonce", 200, "Replay-Nonce: n1\r\n", ""},
		REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL,
		REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL,
		REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL, REFUSAL,
	};
#undef REFUSAL
	struct script_server s;
	struct fixture f;
	char *url = NULL;
	struct da_err err = {0};

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) == 0) {
		CHECK(da_acme_account(f.acme, &f.signer, &(struct da_acme_account_opts){0}, &url,
				      &err) == DA_ERR_CA);
		CHECK(strstr(err.msg, "badNonce") != NULL);
	}
	free(url);
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 2 + 21);
	script_server_free(&s);
}

/* Account lookup: badNonce retried with the error's nonce, 503 waited out
 * for its Retry-After, then the account found. */
static void test_nonces_and_retries(void)
{
	static const struct script_answer script[] = {
		{"/dir", 200, "", DIRECTORY},
		{"/nonce", 200, "Replay-Nonce: n1\r\n", ""},
		{"/new-acct", 400, "Replay-Nonce: n2\r\nContent-Type: application/problem+json\r\n",
		 BAD_NONCE},
		{"/new-acct", 503, "Replay-Nonce: n3\r\nRetry-After: 1\r\n", "busy"},
		{"/new-acct", 200, "Replay-Nonce: n4\r\nLocation: {base}/acct/7\r\n",
		 "{\"status\":\"valid\"}"},
	};
	struct script_server s;
	struct fixture f;
	char *url = NULL, v[256];
	struct da_err err;

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) == 0) {
		CHECK(da_acme_account(f.acme, &f.signer, &(struct da_acme_account_opts){0}, &url,
				      &err) == DA_OK);
		if (url != NULL) {
			CHECK(strncmp(url, s.base, strlen(s.base)) == 0);
			CHECK_STR(url + strlen(s.base), "/acct/7");
		}
		CHECK_STR(da_acme_directory(f.acme)->profiles[0].name, "classic");
	}
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 5);
	if (s.n_seen == 5) {
		CHECK_STR(s.seen[1].method, "HEAD");
		CHECK_STR(script_header_of(&s, 2, "nonce", v, sizeof(v)), "n1");
		CHECK_STR(script_header_of(&s, 3, "nonce", v, sizeof(v)), "n2");
		CHECK_STR(script_header_of(&s, 4, "nonce", v, sizeof(v)), "n3");
		/* No account yet: signed with the jwk, not a kid. */
		CHECK(*script_header_of(&s, 2, "kid", v, sizeof(v)) == '\0');
		CHECK_STR(script_header_of(&s, 2, "alg", v, sizeof(v)), "ES256");
		CHECK(s.seen[4].at_ms - s.seen[3].at_ms >= 950);
	}
	script_server_free(&s);
	free(url);
}

/* A full order: wildcard authorization, challenge, polling, finalize, and
 * the alternate chain chosen by its topmost issuer. */
static void test_order_flow(void)
{
	static char chain_default[16384], chain_alt[16384];
	static const struct script_answer script_head[] = {
		{"/dir", 200, "", DIRECTORY},
		{"/nonce", 200, "Replay-Nonce: n1\r\n", ""},
		{"/new-order", 201, "Replay-Nonce: n2\r\nLocation: {base}/order/1\r\n",
		 ORDER_PENDING},
		{"/authz/1", 200, "Replay-Nonce: n3\r\n", AUTHZ("pending")},
		{"/chal/1", 200, "Replay-Nonce: n4\r\n", "{\"status\":\"processing\"}"},
		{"/order/1", 200, "Replay-Nonce: n5\r\n", ORDER_PENDING},
		{"/order/1", 200, "Replay-Nonce: n6\r\n", ORDER("ready")},
		{"/order/1/finalize", 200, "Replay-Nonce: n7\r\nRetry-After: 0\r\n",
		 "{\"status\":\"processing\",\"finalize\":\"{base}/order/1/finalize\"}"},
		{"/order/1", 200, "Replay-Nonce: n8\r\n",
		 "{\"status\":\"valid\",\"finalize\":\"{base}/order/1/finalize\","
		 "\"certificate\":\"{base}/cert/1\"}"},
	};
	struct script_answer script[sizeof(script_head) / sizeof(script_head[0]) + 2];
	const char *names[] = {"*.example.test"};
	struct da_acme_order *order = NULL;
	struct script_server s;
	struct fixture f;
	char *url = NULL, *pem = NULL, *thumb = NULL, *txt = NULL, *cut, v[256];
	unsigned char csr[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	FILE *fp = fopen("crypto/chain.pem", "r");
	size_t n = fp ? fread(chain_default, 1, sizeof(chain_default) - 1, fp) : 0;
	struct da_err err;

	if (fp != NULL)
		fclose(fp);
	CHECK(n > 0);
	/* The alternate: the same chain cut to the leaf, whose issuer is the
	 * intermediate rather than the root. */
	memcpy(chain_alt, chain_default, n);
	cut = strstr(chain_alt, "-----END CERTIFICATE-----\n");
	if (cut != NULL)
		cut[sizeof("-----END CERTIFICATE-----\n") - 1] = '\0';
	memcpy(script, script_head, sizeof(script_head));
	script[9] = (struct script_answer){"/cert/1", 200,
				    "Replay-Nonce: n9\r\n"
				    "Link: <{base}/cert/1/1>;rel=\"alternate\"\r\n"
				    "Link: <{base}/dir>;rel=\"index\"\r\n",
				    chain_default};
	script[10] = (struct script_answer){"/cert/1/1", 200, "Replay-Nonce: n10\r\n", chain_alt};

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) == 0) {
		struct da_acme_account_opts opts = {.known_url = "https://ca.test/acct/1"};

		CHECK(da_acme_order_new(f.acme, names, 1, "nope", NULL, &order, &err) ==
		      DA_ERR_USAGE);
		CHECK(strstr(err.msg, "\"nope\"") && strstr(err.msg, "classic"));
		CHECK(da_acme_account(f.acme, &f.signer, &opts, &url, NULL) == DA_OK);
		CHECK(da_acme_order_new(f.acme, names, 1, "classic", NULL, &order, &err) == DA_OK);
	}
	if (order != NULL) {
		CHECK(order->n_authz == 1 && order->authz[0].wildcard);
		CHECK_STR(order->authz[0].identifier, "example.test");
		CHECK(da_crypto_jwk_thumbprint(f.key, &thumb, NULL) == DA_OK);
		CHECK(da_crypto_dns01_txt_value("tok-1", thumb, &txt, NULL) == DA_OK);
		CHECK_STR(order->authz[0].txt_value, txt);
		CHECK(da_acme_challenge_respond(f.acme, order, 0, &err) == DA_OK);
		CHECK(order->authz[0].challenge_status == DA_ACME_PROCESSING);
		CHECK(da_acme_challenge_respond(f.acme, order, 1, &err) == DA_ERR_USAGE);
		CHECK(da_acme_authorizations_wait(f.acme, order, 30, &err) == DA_OK);
		CHECK(order->authz[0].status == DA_ACME_VALID);
		CHECK(da_acme_finalize(f.acme, order, csr, sizeof(csr), 30, &err) == DA_OK);
		CHECK(order->status == DA_ACME_VALID && order->certificate_url != NULL);
		CHECK(da_acme_certificate(f.acme, order, "dnsacme Test Intermediate E1", &pem,
					  &err) == DA_OK);
		CHECK_STR(pem, chain_alt);
	}
	da_acme_order_free(order);
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 11);
	if (s.n_seen == 11) {
		/* Signed with the kid; newOrder carries the profile; the
		 * challenge answer is "{}", polls are POST-as-GET. */
		CHECK_STR(script_header_of(&s, 2, "kid", v, sizeof(v)), "https://ca.test/acct/1");
		CHECK_STR(script_header_of(&s, 5, "url", v, sizeof(v)) + strlen(s.base), "/order/1");
		CHECK(strstr(s.seen[5].body, "\"payload\":\"\"") != NULL);
		CHECK(strstr(s.seen[4].body, "\"payload\":\"e30\"") != NULL);
		CHECK(strstr(s.seen[7].body, "\"payload\":\"eyJjc3IiOiJNQU1DQVFBIn0\"") != NULL);
		CHECK_STR(script_header_of(&s, 10, "nonce", v, sizeof(v)), "n9");
		/* The authorizations are waited for on the order; without
		 * Retry-After the first pause is 10 ms, not a second. */
		CHECK(s.seen[6].at_ms - s.seen[5].at_ms >= 9);
		CHECK(s.seen[6].at_ms - s.seen[5].at_ms < 500);
	}
	script_server_free(&s);
	free(thumb);
	free(txt);
	free(pem);
	free(url);
}

/* Refusals: the problem document in full, a long rate-limit wait not sat
 * out, JSON that is not, an authorization for a name not ordered, a failed
 * authorization, a wait that times out, and the stop flag ending one. */
static void test_failures(void)
{
	static const struct script_answer script[] = {
		{"/dir", 200, "", DIRECTORY},
		{"/nonce", 200, "Replay-Nonce: n1\r\n", ""},
		{"/new-acct", 400, "Replay-Nonce: n2\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:accountDoesNotExist\",\"detail\":\"no\"}"},
		{"/new-order", 429, "Replay-Nonce: n3\r\nRetry-After: 3600\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:rateLimited\",\"detail\":\"too many\"}"},
		{"/new-order", 400, "Replay-Nonce: n3\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":\"no\","
		 "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":"
		 "\"CAA forbids\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}}]}"},
		{"/new-order", 201, "Replay-Nonce: n4\r\nLocation: {base}/order/2\r\n",
		 "{not json"},
		{"/new-order", 201, "Replay-Nonce: n5\r\nLocation: {base}/order/1\r\n",
		 ORDER_PENDING},
		{"/authz/1", 200, "Replay-Nonce: n6\r\n", AUTHZ("pending")},
		{"/new-order", 201, "Replay-Nonce: n5\r\nLocation: {base}/order/1\r\n",
		 ORDER_PENDING},
		{"/authz/1", 200, "Replay-Nonce: n6\r\n", AUTHZ("pending")},
		/* The order fails: its authorization says why. */
		{"/order/1", 200, "Replay-Nonce: n7\r\n", ORDER("invalid")},
		{"/authz/1", 200, "Replay-Nonce: n7\r\n",
		 "{\"status\":\"invalid\","
		 "\"identifier\":{\"type\":\"dns\",\"value\":\"example.test\"},"
		 "\"wildcard\":true,\"challenges\":[{\"type\":\"dns-01\",\"url\":\"{base}/chal/1\","
		 "\"token\":\"tok-1\",\"status\":\"invalid\",\"error\":{\"type\":"
		 "\"urn:ietf:params:acme:error:unauthorized\","
		 "\"detail\":\"Incorrect TXT record\"}}]}"},
		/* The timeout case: asked at 0 and at 1 s, as the CA says, then
		 * the authorization fetched to name it. */
		{"/order/1", 200, "Replay-Nonce: n8\r\nRetry-After: 1\r\n", ORDER_PENDING},
		{"/order/1", 200, "Replay-Nonce: n9\r\n", ORDER_PENDING},
		{"/authz/1", 200, "Replay-Nonce: n9\r\n", AUTHZ("pending")},
		{"/order/1", 200, "Replay-Nonce: n10\r\nRetry-After: 30\r\n", ORDER_PENDING},
	};
	const char *names[] = {"a.test"}, *wildcard[] = {"*.EXAMPLE.test"};
	struct da_acme_order *order = NULL;
	struct script_server s;
	struct fixture f;
	struct da_err err;
	char *url = NULL;
	long started;

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) != 0)
		goto out;
	CHECK(da_acme_renewal_info(f.acme, "x.y", &(struct da_acme_renewal){0}, &err) ==
	      DA_ERR_USAGE);
	/* The CA lists terms of service: creating an account needs --agree-tos. */
	CHECK(da_acme_account(f.acme, &f.signer, &(struct da_acme_account_opts){0}, &url, &err) ==
	      DA_ERR_USAGE);
	CHECK(strstr(err.msg, "/tos) must be accepted: pass --agree-tos") != NULL);
	CHECK(da_acme_account(f.acme, &f.signer, &(struct da_acme_account_opts){.known_url = "k"},
			      &url, NULL) == DA_OK);
	/* An hour's Retry-After is not sat out: the run fails at once. */
	started = script_mono_ms();
	CHECK(da_acme_order_new(f.acme, names, 1, NULL, NULL, &order, &err) == DA_ERR_CA);
	CHECK(script_mono_ms() - started < 1000);
	CHECK_STR(err.msg, "newOrder: urn:ietf:params:acme:error:rateLimited: too many (the CA "
			   "says retry after 3600 s)");
	CHECK(da_acme_order_new(f.acme, names, 1, NULL, NULL, &order, &err) == DA_ERR_CA);
	CHECK_STR(err.msg, "newOrder: urn:ietf:params:acme:error:rejectedIdentifier: no; [a.test] "
			   "urn:ietf:params:acme:error:caa: CAA forbids");
	CHECK(da_acme_order_new(f.acme, names, 1, NULL, NULL, &order, &err) == DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "/new-order") != NULL);
	/* An authorization for a name that was not ordered is refused. */
	CHECK(da_acme_order_new(f.acme, names, 1, NULL, NULL, &order, &err) == DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "authorization for *.example.test, which was not ordered") != NULL);
	CHECK(da_acme_order_new(f.acme, wildcard, 1, NULL, NULL, &order, &err) == DA_OK);
	if (order != NULL) {
		CHECK(da_acme_authorizations_wait(f.acme, order, 30, &err) == DA_ERR_CA);
		CHECK_STR(err.msg, "authorization for *.example.test is invalid: "
				   "urn:ietf:params:acme:error:unauthorized: Incorrect TXT record");
		/* Still pending when the time is up: say which. */
		order->authz[0].status = DA_ACME_PENDING;
		CHECK(da_acme_authorizations_wait(f.acme, order, 1, &err) == DA_ERR_TIMEOUT);
		CHECK_STR(err.msg, "the CA has not validated *.example.test within 1 s");
		/* The stop flag, raised while the CA asks for 30 s, ends the wait. */
		s.stop = &f.stop;
		s.stop_at = 16;
		started = script_mono_ms();
		CHECK(da_acme_authorizations_wait(f.acme, order, 60, &err) == DA_ERR_INTERRUPTED);
		CHECK(script_mono_ms() - started < 2000);
	}
out:
	da_acme_order_free(order);
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 16);
	script_server_free(&s);
	free(url);
}

/* renewalInfo: an unsigned GET below the directory's URL, Retry-After kept. */
static void test_renewal_info(void)
{
	static const struct script_answer script[] = {
		{"/dir", 200, "",
		 "{\"newNonce\":\"{base}/nonce\",\"newAccount\":\"{base}/new-acct\","
		 "\"newOrder\":\"{base}/new-order\",\"renewalInfo\":\"{base}/ari/\"}"},
		{"/ari/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", 200, "Retry-After: 21600\r\n",
		 "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\","
		 "\"end\":\"2025-01-03T04:00:00Z\"}}"},
	};
	struct da_acme_renewal r = {0};
	struct script_server s;
	struct fixture f;

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) == 0) {
		const char *id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

		CHECK(da_acme_renewal_info(f.acme, id, &r, NULL) == DA_OK);
		CHECK(r.window_start == 1735790400 && r.window_end == 1735876800);
		CHECK(r.explanation_url == NULL);
		CHECK(r.retry_after_seconds == 21600);
		da_acme_renewal_clear(&r);
	}
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 2 && strcmp(s.seen[1].method, "GET") == 0);
	script_server_free(&s);
}

/* Whether a JWS body's decoded payload holds needle. */
static int payload_has(const char *body, const char *needle)
{
	const char *start = strstr(body, "\"payload\":\"");
	char *b64, *end;
	unsigned char *payload;
	size_t len;
	int found;

	if (start == NULL)
		return 0;
	b64 = strdup(start + strlen("\"payload\":\""));
	end = b64 ? strchr(b64, '"') : NULL;
	if (end == NULL) {
		free(b64);
		return 0;
	}
	*end = '\0';
	payload = da_b64url_decode(b64, &len);
	found = payload != NULL && memmem(payload, len, needle, strlen(needle)) != NULL;
	free(payload);
	free(b64);
	return found;
}

/* A CA that refuses replaces (409 alreadyReplaced, 403, 5xx) gets the order
 * once more without it, and the answer to that one stands. */
static void test_replaces_refused(void)
{
#define ARI_DIRECTORY                                                                      \
	"{\"newNonce\":\"{base}/nonce\",\"newAccount\":\"{base}/new-acct\","              \
	"\"newOrder\":\"{base}/new-order\",\"renewalInfo\":\"{base}/ari/\"}"
#define ALREADY_REPLACED                                                                   \
	"{\"type\":\"urn:ietf:params:acme:error:alreadyReplaced\",\"detail\":\"no\"}"
	static const struct script_answer script[] = {
		{"/dir", 200, "", ARI_DIRECTORY},
		{"/nonce", 200, "Replay-Nonce: n1\r\n", ""},
		{"/new-order", 409, "Replay-Nonce: n2\r\n", ALREADY_REPLACED},
		{"/new-order", 201, "Replay-Nonce: n3\r\nLocation: {base}/order/1\r\n",
		 ORDER_PENDING},
		{"/authz/1", 200, "Replay-Nonce: n3a\r\n", AUTHZ("valid")},
		{"/new-order", 403, "Replay-Nonce: n4\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"not yours\"}"},
		{"/new-order", 400, "Replay-Nonce: n5\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"bad\"}"},
	};
	const char *names[] = {"*.example.test"};
	struct da_acme_order *order = NULL;
	struct script_server s;
	struct fixture f;
	struct da_err err;
	char *url = NULL;

	CHECK(script_server_start(&s, script, sizeof(script) / sizeof(script[0])) == 0);
	if (fixture_open(&f, &s) == 0) {
		struct da_acme_account_opts opts = {.known_url = "https://ca.test/acct/1"};

		CHECK(da_acme_account(f.acme, &f.signer, &opts, &url, NULL) == DA_OK);
		CHECK(da_acme_order_new(f.acme, names, 1, NULL, "old.cert-id", &order, &err) ==
		      DA_OK);
		da_acme_order_free(order);
		/* The retry without replaces is refused too: that error stands. */
		CHECK(da_acme_order_new(f.acme, names, 1, NULL, "old.cert-id", &order, &err) ==
		      DA_ERR_CA);
		CHECK(strstr(err.msg, "malformed") != NULL);
	}
	fixture_close(&f);
	CHECK(script_server_stop(&s) == 0);
	CHECK(s.n_seen == 7);
	if (s.n_seen == 7) {
		CHECK(payload_has(s.seen[2].body, "\"replaces\":\"old.cert-id\""));
		CHECK(!payload_has(s.seen[3].body, "replaces"));
		CHECK(payload_has(s.seen[5].body, "\"replaces\":\"old.cert-id\""));
		CHECK(!payload_has(s.seen[6].body, "replaces"));
	}
	script_server_free(&s);
	free(url);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_nonces_and_retries();
	test_bad_nonces_bounded();
	test_order_flow();
	test_failures();
	test_plain_http_refused();
	test_renewal_info();
	test_replaces_refused();
	return check_report();
}
