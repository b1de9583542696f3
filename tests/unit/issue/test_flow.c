/*
 * da_issue_run's ways out against the scripted ACME server, a real named
 * for zone discovery and the test plugin: the plugin failing half-way, the
 * provider's commit failing, the CA refusing the challenge, and a signal
 * while the CA validates. Whatever happens, every record presented is
 * cleaned up and the journal is empty afterwards. (The way through, down to
 * a certificate, is the integration tests' job against Pebble.)
 */
#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme_server.h"
#include "check.h"
#include "issue/issue.h"
#include "named.h"
#include "store/store.h"
#include "testplug.h"

#define DIRECTORY                                                                          \
	"{\"newNonce\":\"{base}/nonce\",\"newAccount\":\"{base}/new-acct\","              \
	"\"newOrder\":\"{base}/new-order\",\"revokeCert\":\"{base}/revoke\"}"
#define ORDER_PENDING                                                                      \
	"{\"status\":\"pending\",\"authorizations\":[\"{base}/authz/1\"],"                   \
	"\"finalize\":\"{base}/order/1/finalize\"}"
#define ORDER_INVALID                                                                      \
	"{\"status\":\"invalid\",\"authorizations\":[\"{base}/authz/1\"],"                   \
	"\"finalize\":\"{base}/order/1/finalize\"}"
#define AUTHZ(status, challenge)                                                           \
	"{\"status\":\"" status "\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.test\"}," \
	"\"wildcard\":true,\"challenges\":[{\"type\":\"dns-01\",\"url\":\"{base}/chal/1\","   \
	"\"token\":\"tok-1\"," challenge "}]}"
#define HEAD_OF_ORDER                                                                      \
	{"/dir", 200, "", DIRECTORY}, {"/nonce", 200, "Replay-Nonce: n1\r\n", ""},            \
		{"/new-order", 201, "Replay-Nonce: n2\r\nLocation: {base}/order/1\r\n",        \
		 ORDER_PENDING},                                                               \
		{"/authz/1", 200, "Replay-Nonce: n3\r\n",                                      \
		 AUTHZ("pending", "\"status\":\"pending\"")}

static const struct testplug_seen *seen;
static struct test_named named;
static char state_dir[] = "/tmp/dnsacme-flow-XXXXXX";

struct run {
	enum da_code rc;
	struct da_err err;
	size_t journal_left;
	size_t requests;
};

/* One da_issue_run of *.example.test against script, through testplug
 * opened with endpoint; stop_at: the request that raises the stop flag. */
static struct run issue_with(const struct script_answer *script, size_t n, const char *endpoint,
			     size_t stop_at)
{
	const char *names[] = {"*.example.test"};
	const struct da_plugin_setting settings[] = {{"endpoint", endpoint}};
	const struct da_issue_request req = {
		.names = names, .n_names = 1, .key_type = DA_KEY_EC256, .propagation_skip = 1};
	volatile sig_atomic_t stop = 0;
	struct run run = {.rc = DA_ERR_INTERNAL};
	struct script_server s;
	struct da_log log;
	struct da_http *http = NULL;
	struct da_acme *acme = NULL;
	struct da_dns *dns = NULL;
	struct da_plugin *plugin = NULL;
	struct da_journal *journal = NULL;
	struct da_issued issued;
	EVP_PKEY *key = NULL;
	struct da_signer signer;
	struct da_sink *sink = NULL;
	struct da_keyproc *cert_key = NULL;
	char url[128], resolvers[64], out[128], *account = NULL;
	struct da_err err;

	da_log_init(&log, DNSACME_LOG_ERROR, stderr);
	snprintf(resolvers, sizeof(resolvers), "127.0.0.1:%d", named.port);
	/* The key's process first: fork() takes only this thread along, and
	 * the scripted server's thread may hold the allocator's lock. */
	snprintf(out, sizeof(out), "%s/out", state_dir);
	if (da_store_sink_dir_open(out, &sink, &err) != DA_OK ||
	    da_keyproc_certificate(req.key_type, sink, &cert_key, &err) != DA_OK ||
	    script_server_start(&s, script, n) != 0) {
		da_keyproc_free(cert_key);
		da_store_sink_free(sink);
		da_log_free(&log);
		return run;
	}
	s.stop = &stop;
	s.stop_at = stop_at;
	snprintf(url, sizeof(url), "%s/dir", s.base);
	if (da_crypto_key_generate(DA_KEY_EC256, &key, &err) == DA_OK)
		signer = da_crypto_signer_of(key);
	if (key != NULL &&
	    da_http_new(&http, &(struct da_http_config){0}, &log, &err) == DA_OK &&
	    da_acme_new(&acme, &(struct da_acme_config){url, http, &log, &stop, NULL, 0}, &err) == DA_OK &&
	    da_acme_account(acme, &signer, &(struct da_acme_account_opts){.known_url = "https://a/1"},
			    &account, &err) == DA_OK &&
	    da_dns_new(&dns, &(struct da_dns_config){.resolvers = resolvers}, &log, &stop, &err) ==
		DA_OK &&
	    da_plugin_load(TESTPLUG_DIR, "testplug", &plugin, &err) == DA_OK &&
	    da_plugin_open(plugin, settings, 1, DA_PLUGIN_FROM_SETTINGS, NULL, &log, &stop, &err) ==
		DA_OK) {
		const struct da_issue_handles h = {.acme = acme,
						   .dns = dns,
						   .plugin = plugin,
						   .state_dir = state_dir,
						   .log = &log,
						   .cert_key = cert_key};

		run.rc = da_issue_run(&h, &req, &issued, &run.err);
		da_issued_free(&issued);
	} else {
		fprintf(stderr, "setting up: %s\n", err.msg);
	}
	if (da_store_journal_load(state_dir, &journal, &err) == DA_OK)
		run.journal_left = journal->n;
	da_store_journal_free(journal);
	da_plugin_free(plugin);
	da_dns_free(dns);
	da_acme_free(acme);
	da_http_free(http);
	da_keyproc_free(cert_key);
	da_store_sink_free(sink);
	EVP_PKEY_free(key);
	free(account);
	CHECK(script_server_stop(&s) == 0);
	run.requests = s.n_seen;
	script_server_free(&s);
	da_log_free(&log);
	return run;
}

/* The one record was presented, then removed with the same name and value. */
static void check_cleaned_up(const struct run *run)
{
	CHECK(seen->n_present == 1 && seen->n_cleanup == 1);
	if (seen->n_present == 1 && seen->n_cleanup == 1) {
		CHECK_STR(seen->present[0].fqdn, "_acme-challenge.example.test");
		CHECK_STR(seen->present[0].zone, "example.test");
		CHECK_STR(seen->cleanup[0].fqdn, seen->present[0].fqdn);
		CHECK_STR(seen->cleanup[0].value, seen->present[0].value);
	}
	CHECK(run->journal_left == 0);
}

static void test_plugin_fails_half_way(void)
{
	static const struct script_answer script[] = {HEAD_OF_ORDER};
	struct run run = issue_with(script, 4, "fail-present", 0);

	CHECK(run.rc == DA_ERR_NETWORK);
	CHECK(strstr(run.err.msg, "the provider went away half-way") != NULL);
	CHECK(run.requests == 4); /* no challenge answered */
	check_cleaned_up(&run);

	run = issue_with(script, 4, "fail-wait", 0);
	CHECK(run.rc == DA_ERR_TIMEOUT);
	CHECK(strstr(run.err.msg, "the change never committed") != NULL);
	check_cleaned_up(&run);
}

static void test_ca_refuses(void)
{
	static const struct script_answer invalid[] = {
		HEAD_OF_ORDER,
		{"/chal/1", 200, "Replay-Nonce: n4\r\n", "{\"status\":\"processing\"}"},
		{"/order/1", 200, "Replay-Nonce: n5\r\n", ORDER_INVALID},
		{"/authz/1", 200, "Replay-Nonce: n6\r\n",
		 AUTHZ("invalid", "\"status\":\"invalid\",\"error\":{\"type\":"
				  "\"urn:ietf:params:acme:error:unauthorized\",\"detail\":"
				  "\"No TXT record found at _acme-challenge.example.test\"}")},
	};
	static const struct script_answer refused[] = {
		HEAD_OF_ORDER,
		{"/chal/1", 403, "Replay-Nonce: n4\r\nContent-Type: application/problem+json\r\n",
		 "{\"type\":\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"not you\"}"},
	};
	struct run run = issue_with(invalid, 7, "ok", 0);

	CHECK(run.rc == DA_ERR_CA);
	CHECK(strstr(run.err.msg, "No TXT record found at _acme-challenge.example.test") != NULL);
	CHECK(run.requests == 7);
	check_cleaned_up(&run);

	run = issue_with(refused, 5, "ok", 0);
	CHECK(run.rc == DA_ERR_CA);
	CHECK(strstr(run.err.msg, "not you") != NULL);
	check_cleaned_up(&run);
}

static void test_signal(void)
{
	/* The stop flag goes up as the challenge is answered: the run stops
	 * waiting for the CA and still removes the record. */
	static const struct script_answer script[] = {
		HEAD_OF_ORDER,
		{"/chal/1", 200, "Replay-Nonce: n4\r\n", "{\"status\":\"processing\"}"},
		{"/order/1", 200, "Replay-Nonce: n5\r\n", ORDER_PENDING},
	};
	struct run run = issue_with(script, 6, "ok", 5);

	CHECK(run.rc == DA_ERR_INTERRUPTED);
	check_cleaned_up(&run);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	void *keep = dlopen(TESTPLUG_DIR "/dnsacme-testplug.so", RTLD_NOW | RTLD_LOCAL);
	testplug_seen_fn seen_fn = keep ? (testplug_seen_fn)dlsym(keep, TESTPLUG_SEEN_SYMBOL) : NULL;
	char cwd[PATH_MAX], conf[PATH_MAX + 128];

	if (seen_fn == NULL || getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(state_dir) == NULL) {
		fprintf(stderr, "cannot set up: %s\n", keep ? "getcwd/mkdtemp" : dlerror());
		return 1;
	}
	seen = seen_fn();
	snprintf(conf, sizeof(conf),
		 "zone \"example.test\" { type primary; file \"%s/dns/example.test.zone\"; };\n",
		 cwd);
	if (test_named_start(&named, conf, NULL) != 0)
		return 1;
	test_plugin_fails_half_way();
	test_ca_refuses();
	test_signal();
	test_named_stop(&named);
	nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	dlclose(keep);
	return check_report();
}
