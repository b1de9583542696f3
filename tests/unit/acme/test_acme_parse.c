/* The ACME client's pure functions, on the RFC 8555 examples and Pebble's
 * real answers (tests/data/acme). */
#include <stdlib.h>
#include <string.h>

#include "acme/parse.h"
#include "check.h"

static json_t *load(const char *name)
{
	char path[256];
	json_error_t jerr;
	json_t *obj;

	snprintf(path, sizeof(path), "acme/%s", name);
	obj = json_load_file(path, 0, &jerr);
	if (obj == NULL)
		fprintf(stderr, "%s: %s\n", path, jerr.text);
	CHECK(obj != NULL);
	return obj;
}

static void test_status(void)
{
	CHECK(da_acme_status_parse("pending") == DA_ACME_PENDING);
	CHECK(da_acme_status_parse("ready") == DA_ACME_READY);
	CHECK(da_acme_status_parse("processing") == DA_ACME_PROCESSING);
	CHECK(da_acme_status_parse("valid") == DA_ACME_VALID);
	CHECK(da_acme_status_parse("invalid") == DA_ACME_INVALID);
	CHECK(da_acme_status_parse("expired") == DA_ACME_EXPIRED);
	CHECK(da_acme_status_parse("deactivated") == DA_ACME_DEACTIVATED);
	CHECK(da_acme_status_parse("revoked") == DA_ACME_REVOKED);
	CHECK(da_acme_status_parse("Valid") == DA_ACME_UNKNOWN);
	CHECK(da_acme_status_parse("unknown") == DA_ACME_UNKNOWN);
	CHECK(da_acme_status_parse(NULL) == DA_ACME_UNKNOWN);
	CHECK_STR(da_acme_status_name(DA_ACME_PROCESSING), "processing");
	CHECK_STR(da_acme_status_name((enum da_acme_status)99), "unknown");

	CHECK(da_acme_authz_progress(DA_ACME_VALID) == DA_ACME_DONE);
	CHECK(da_acme_authz_progress(DA_ACME_PENDING) == DA_ACME_WAIT);
	CHECK(da_acme_authz_progress(DA_ACME_PROCESSING) == DA_ACME_WAIT);
	CHECK(da_acme_authz_progress(DA_ACME_INVALID) == DA_ACME_FAILED);
	CHECK(da_acme_authz_progress(DA_ACME_EXPIRED) == DA_ACME_FAILED);
	CHECK(da_acme_authz_progress(DA_ACME_DEACTIVATED) == DA_ACME_FAILED);
	CHECK(da_acme_authz_progress(DA_ACME_REVOKED) == DA_ACME_FAILED);
	CHECK(da_acme_authz_progress(DA_ACME_UNKNOWN) == DA_ACME_FAILED);

	CHECK(da_acme_order_progress(DA_ACME_VALID) == DA_ACME_DONE);
	CHECK(da_acme_order_progress(DA_ACME_PROCESSING) == DA_ACME_WAIT);
	CHECK(da_acme_order_progress(DA_ACME_READY) == DA_ACME_WAIT);
	CHECK(da_acme_order_progress(DA_ACME_PENDING) == DA_ACME_FAILED);
	CHECK(da_acme_order_progress(DA_ACME_INVALID) == DA_ACME_FAILED);
	CHECK(da_acme_order_progress(DA_ACME_UNKNOWN) == DA_ACME_FAILED);
}

static void test_json_parse(void)
{
	static const char good[] = "{\"status\":\"valid\"}";
	json_t *obj = NULL;
	struct da_err err;

	CHECK(da_acme_json_parse(good, strlen(good), "https://ca.test/x", &obj, &err) == DA_OK);
	CHECK(json_is_object(obj));
	json_decref(obj);
	CHECK(da_acme_json_parse("<html>", 6, "https://ca.test/order/1", &obj, &err) ==
	      DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "https://ca.test/order/1") != NULL);
	CHECK(da_acme_json_parse("[1]", 3, "https://ca.test/order/1", &obj, &err) ==
	      DA_ERR_PROTOCOL);
	CHECK(da_acme_json_parse(NULL, 0, "https://ca.test/y", &obj, &err) == DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "https://ca.test/y") != NULL);
}

static void test_directory(void)
{
	struct da_acme_directory dir;
	json_t *obj;
	struct da_err err;

	obj = load("directory-pebble.json");
	CHECK(da_acme_directory_parse(obj, "https://127.0.0.1:14002/dir", &dir, NULL) == DA_OK);
	CHECK_STR(dir.new_nonce, "https://127.0.0.1:14002/nonce-plz");
	CHECK_STR(dir.new_account, "https://127.0.0.1:14002/sign-me-up");
	CHECK_STR(dir.new_order, "https://127.0.0.1:14002/order-plz");
	CHECK_STR(dir.revoke_cert, "https://127.0.0.1:14002/revoke-cert");
	CHECK_STR(dir.key_change, "https://127.0.0.1:14002/rollover-account-key");
	CHECK(dir.renewal_info == NULL);
	CHECK_STR(dir.terms_of_service, "data:text/plain,Do%20what%20thou%20wilt");
	CHECK(dir.external_account_required == 0);
	CHECK(dir.n_profiles == 0 && dir.profiles == NULL);
	da_acme_directory_clear(&dir);
	json_decref(obj);

	obj = load("directory-rfc8555.json");
	CHECK(da_acme_directory_parse(obj, "https://example.com/dir", &dir, NULL) == DA_OK);
	CHECK_STR(dir.new_nonce, "https://example.com/acme/new-nonce");
	CHECK_STR(dir.new_account, "https://example.com/acme/new-account");
	CHECK_STR(dir.new_order, "https://example.com/acme/new-order");
	CHECK_STR(dir.revoke_cert, "https://example.com/acme/revoke-cert");
	CHECK_STR(dir.key_change, "https://example.com/acme/key-change");
	CHECK_STR(dir.terms_of_service, "https://example.com/acme/terms/2017-5-30");
	CHECK(dir.external_account_required == 0);
	da_acme_directory_clear(&dir);
	json_decref(obj);

	obj = load("directory-profiles.json");
	CHECK(da_acme_directory_parse(obj, "https://acme.example/dir", &dir, NULL) == DA_OK);
	CHECK_STR(dir.renewal_info, "https://acme.example/acme/renewal-info");
	CHECK(dir.terms_of_service == NULL);
	CHECK(dir.external_account_required == 1);
	CHECK(dir.n_profiles == 2);
	if (dir.n_profiles == 2) {
		CHECK_STR(dir.profiles[0].name, "classic");
		CHECK_STR(dir.profiles[0].description, "The profile you know and love");
		CHECK_STR(dir.profiles[1].name, "shortlived");
	}
	da_acme_directory_clear(&dir);
	json_decref(obj);

	obj = load("directory-not-acme.json");
	CHECK(da_acme_directory_parse(obj, "https://example.com/dir", &dir, &err) ==
	      DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "https://example.com/dir") != NULL);
	CHECK(dir.new_nonce == NULL);
	json_decref(obj);
}

static void test_problem(void)
{
	json_t *obj = load("problem-subproblems.json");
	char line[1024], small[40];

	da_acme_problem_format(obj, line, sizeof(line));
	CHECK_STR(line, "urn:ietf:params:acme:error:malformed: Some of the identifiers requested "
			"were rejected; [_example.org] urn:ietf:params:acme:error:malformed: "
			"Invalid underscore in DNS name \"_example.org\"; [example.net] "
			"urn:ietf:params:acme:error:rejectedIdentifier: This CA will not issue "
			"for \"example.net\"");
	CHECK_STR(da_acme_problem_type(obj), "urn:ietf:params:acme:error:malformed");
	da_acme_problem_format(obj, small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1);
	json_decref(obj);

	obj = json_pack("{s:s}", "type", "urn:ietf:params:acme:error:badNonce");
	da_acme_problem_format(obj, line, sizeof(line));
	CHECK_STR(line, "urn:ietf:params:acme:error:badNonce");
	json_decref(obj);
	obj = json_pack("{s:s}", "detail", "just a detail");
	da_acme_problem_format(obj, line, sizeof(line));
	CHECK_STR(line, "just a detail");
	CHECK(da_acme_problem_type(obj) == NULL);
	json_decref(obj);
}

/* da_acme_links() over values, joined with spaces ("" for none). */
static void links(const char *const *values, size_t n_values, const char *rel, char *out,
		  size_t size)
{
	char **urls = NULL;
	size_t n = 99;

	out[0] = '\0';
	CHECK(da_acme_links(values, n_values, rel, &urls, &n, NULL) == DA_OK);
	for (size_t i = 0; urls && urls[i]; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", urls[i]);
	CHECK(urls && urls[n] == NULL);
	da_acme_strv_free(urls);
}

static void test_links(void)
{
	/* RFC 8555 7.4.2's certificate answer. */
	static const char *const rfc[] = {
		"<https://example.com/acme/directory>;rel=\"index\"",
		"<https://example.com/acme/cert/mAt3xBGaobw/1>;rel=\"alternate\"",
	};
	static const char *const one_header[] = {
		"<https://ca.test/cert/1/1>; rel=\"alternate\", <https://ca.test/dir>;rel=index, "
		"<https://ca.test/cert/1/2>;title=\"a, <b>; rel=alternate\";rel=alternate",
	};
	static const char *const tricky[] = {
		"<https://ca.test/a>; REL=\"up Alternate\"",
		"<https://ca.test/b>; rel=\"alternates\"",
		"<https://ca.test/c>; foo; rel = alternate ; x=y",
		"<https://ca.test/broken; rel=alternate",
	};
	char out[512];

	links(rfc, 2, "alternate", out, sizeof(out));
	CHECK_STR(out, "https://example.com/acme/cert/mAt3xBGaobw/1");
	links(rfc, 2, "index", out, sizeof(out));
	CHECK_STR(out, "https://example.com/acme/directory");
	links(rfc, 2, "up", out, sizeof(out));
	CHECK_STR(out, "");
	links(one_header, 1, "alternate", out, sizeof(out));
	CHECK_STR(out, "https://ca.test/cert/1/1 https://ca.test/cert/1/2");
	links(tricky, 4, "alternate", out, sizeof(out));
	CHECK_STR(out, "https://ca.test/a https://ca.test/c");
	links(NULL, 0, "alternate", out, sizeof(out));
	CHECK_STR(out, "");
}

/* RFC 7638 3.1's thumbprint: the TXT values below were computed from it
 * independently (Python hashlib). */
static const char thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

static void test_authz(void)
{
	struct da_acme_authz authz;
	char line[512];
	struct da_err err;
	json_t *obj;

	obj = load("authz-rfc8555.json");
	CHECK(da_acme_authz_parse(obj, "https://example.com/acme/authz/PAniVnsZcis", thumbprint,
				  &authz, NULL) == DA_OK);
	CHECK_STR(authz.url, "https://example.com/acme/authz/PAniVnsZcis");
	CHECK_STR(authz.identifier, "www.example.org");
	CHECK(authz.wildcard == 0);
	CHECK(authz.status == DA_ACME_PENDING);
	CHECK_STR(authz.challenge_url, "https://example.com/acme/chall/Rg5dV14Gh1Q");
	CHECK_STR(authz.token, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
	CHECK(authz.challenge_status == DA_ACME_UNKNOWN);
	CHECK_STR(authz.txt_value, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	da_acme_authz_clear(&authz);
	json_decref(obj);

	obj = load("authz-pebble-wildcard.json");
	CHECK(da_acme_authz_parse(obj, "https://127.0.0.1:14002/authZ/x", thumbprint, &authz,
				  NULL) == DA_OK);
	CHECK_STR(authz.identifier, "example.test");
	CHECK(authz.wildcard == 1);
	CHECK(authz.status == DA_ACME_PENDING);
	CHECK(authz.challenge_status == DA_ACME_PENDING);
	CHECK_STR(authz.token, "SqoCGPz0dJGkt1-b5fDngqGAgYh_IdVocjepJasDwuE");
	CHECK_STR(authz.txt_value, "Q-4raU9zXOYVjFwtU-j7os3g8RXY6hCRB6t2hvB5_IU");
	da_acme_authz_clear(&authz);
	json_decref(obj);

	/* Already valid, listing only the http-01 that won: nothing to do. */
	obj = load("authz-valid-http01.json");
	CHECK(da_acme_authz_parse(obj, "https://ca.test/authz/1", thumbprint, &authz, NULL) ==
	      DA_OK);
	CHECK(authz.status == DA_ACME_VALID);
	CHECK(authz.challenge_url == NULL && authz.txt_value == NULL);
	da_acme_authz_clear(&authz);
	json_decref(obj);

	obj = load("authz-pending-http01.json");
	CHECK(da_acme_authz_parse(obj, "https://ca.test/authz/2", thumbprint, &authz, &err) ==
	      DA_ERR_CA);
	CHECK(strstr(err.msg, "dns-01") != NULL && strstr(err.msg, "example.org") != NULL);
	CHECK(authz.url == NULL);
	json_decref(obj);

	obj = load("authz-invalid.json");
	CHECK(da_acme_authz_parse(obj, "https://ca.test/authz/3", thumbprint, &authz, NULL) ==
	      DA_OK);
	CHECK(authz.status == DA_ACME_INVALID && authz.challenge_status == DA_ACME_INVALID);
	da_acme_authz_clear(&authz);
	da_acme_authz_problem(obj, line, sizeof(line));
	CHECK_STR(line, "urn:ietf:params:acme:error:unauthorized: No TXT record found at "
			"_acme-challenge.www.example.org");
	json_decref(obj);

	obj = load("authz-rfc8555.json");
	da_acme_authz_problem(obj, line, sizeof(line));
	CHECK_STR(line, "no error given");
	json_decref(obj);

	obj = json_pack("{s:s, s:{s:s, s:s}}", "status", "pending", "identifier", "type", "ip",
			"value", "192.0.2.1");
	CHECK(da_acme_authz_parse(obj, "https://ca.test/authz/4", thumbprint, &authz, &err) ==
	      DA_ERR_PROTOCOL);
	json_decref(obj);
}

static void test_order(void)
{
	struct da_acme_order order = {0};
	json_t *obj;
	struct da_err err;

	obj = load("order-pending.json");
	CHECK(da_acme_order_parse(obj, "https://example.com/acme/order/TOlocE8rfgo", 1, &order,
				  NULL) == DA_OK);
	CHECK(order.status == DA_ACME_PENDING);
	CHECK_STR(order.finalize_url, "https://example.com/acme/order/TOlocE8rfgo/finalize");
	CHECK(order.certificate_url == NULL);
	CHECK(order.n_authz == 2);
	if (order.n_authz == 2) {
		CHECK_STR(order.authz[0].url, "https://example.com/acme/authz/PAniVnsZcis");
		CHECK_STR(order.authz[1].url, "https://example.com/acme/authz/r4HqLzrSrpI");
	}
	json_decref(obj);

	/* A later poll updates status and picks up the certificate URL. */
	obj = load("order-valid.json");
	CHECK(da_acme_order_parse(obj, "https://example.com/acme/order/TOlocE8rfgo", 0, &order,
				  NULL) == DA_OK);
	CHECK(order.status == DA_ACME_VALID);
	CHECK(da_acme_order_progress(order.status) == DA_ACME_DONE);
	CHECK_STR(order.certificate_url, "https://example.com/acme/cert/mAt3xBGaobw");
	CHECK(order.n_authz == 2);
	json_decref(obj);

	obj = load("order-invalid.json");
	CHECK(da_acme_order_parse(obj, "https://example.com/acme/order/TOlocE8rfgo", 0, &order,
				  NULL) == DA_OK);
	CHECK(order.status == DA_ACME_INVALID);
	CHECK(da_acme_order_progress(order.status) == DA_ACME_FAILED);
	json_decref(obj);

	for (size_t i = 0; i < order.n_authz; i++)
		da_acme_authz_clear(&order.authz[i]);
	free(order.authz);
	free(order.finalize_url);
	free(order.certificate_url);

	memset(&order, 0, sizeof(order));
	obj = json_pack("{s:s, s:s}", "status", "whatever", "finalize", "https://ca.test/f");
	CHECK(da_acme_order_parse(obj, "https://ca.test/order/9", 1, &order, &err) ==
	      DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "https://ca.test/order/9") != NULL);
	json_decref(obj);
	obj = json_pack("{s:s}", "status", "pending");
	CHECK(da_acme_order_parse(obj, "https://ca.test/order/9", 1, &order, &err) ==
	      DA_ERR_PROTOCOL);
	json_decref(obj);
	obj = json_pack("{s:s, s:s, s:[]}", "status", "pending", "finalize", "https://ca.test/f",
			"authorizations");
	CHECK(da_acme_order_parse(obj, "https://ca.test/order/9", 1, &order, &err) ==
	      DA_ERR_PROTOCOL);
	json_decref(obj);
	free(order.finalize_url);
}

static void test_renewal(void)
{
	struct da_acme_renewal r = {0};
	json_t *obj = load("renewal-info.json");
	struct da_err err;
	time_t t;

	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00Z", &t) == 0 && t == 1735790400);
	CHECK(da_acme_rfc3339_parse("2025-01-02t04:00:00.123456z", &t) == 0 && t == 1735790400);
	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00+05:30", &t) == 0 && t == 1735770600);
	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00-00:30", &t) == 0 &&
	      t == 1735790400 + 1800);
	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00", &t) == -1);
	CHECK(da_acme_rfc3339_parse("2025-01-02 04:00:00Z", &t) == -1);
	CHECK(da_acme_rfc3339_parse("2025-13-02T04:00:00Z", &t) == -1);
	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00Zjunk", &t) == -1);
	CHECK(da_acme_rfc3339_parse("2025-01-02T04:00:00+05:30:00", &t) == -1);
	CHECK(da_acme_rfc3339_parse(NULL, &t) == -1);

	CHECK(da_acme_renewal_parse(obj, "https://ca.test/ari/x", &r, NULL) == DA_OK);
	CHECK(r.window_start == 1735790400 && r.window_end == 1735876800);
	CHECK_STR(r.explanation_url, "https://acme.example.com/docs/ari");
	da_acme_renewal_clear(&r);
	json_decref(obj);

	/* An end before the start is no window. */
	obj = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", "2025-01-03T04:00:00Z", "end",
			"2025-01-02T04:00:00Z");
	CHECK(da_acme_renewal_parse(obj, "https://ca.test/ari/x", &r, &err) == DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "https://ca.test/ari/x") != NULL);
	da_acme_renewal_clear(&r);
	json_decref(obj);
}

int main(void)
{
	test_status();
	test_json_parse();
	test_directory();
	test_problem();
	test_links();
	test_authz();
	test_order();
	test_renewal();
	return check_report();
}
