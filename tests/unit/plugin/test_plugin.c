/*
 * The plugin loader against the test plugins built from testplug.c (in
 * TESTPLUG_DIR) and the stand-in directory tests/data/plugin/dir.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "plugin/loader.h"
#include "testplug.h"

#define FIXTURE_DIR "plugin/dir"

static const struct testplug_seen *seen;

static void clear_env(void)
{
	static const char *const vars[] = {
		"TESTPLUG_ENDPOINT", "TESTPLUG_URL",   "TESTPLUG_ENDPOINT_FILE",
		"TESTPLUG_URL_FILE", "TESTPLUG_TOKEN", "TESTPLUG_TOKEN_FILE",
		"TESTPLUG_TTL", "TESTPLUG_TTL_FILE"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* Load testplug and open it; *out is NULL unless both succeed. */
static enum da_code open_testplug(const struct da_plugin_setting *settings, size_t n,
				  struct da_log *log, struct da_plugin **out, struct da_err *err)
{
	enum da_code code = da_plugin_load(TESTPLUG_DIR, "testplug", out, err);

	if (code != DA_OK)
		return code;
	code = da_plugin_open(*out, settings, n, DA_PLUGIN_FROM_ALL, NULL, log, NULL, err);
	if (code != DA_OK) {
		da_plugin_free(*out);
		*out = NULL;
	}
	return code;
}

/* The endpoint testplug resolved from these settings and the environment. */
static const char *endpoint_with(const struct da_plugin_setting *settings, size_t n)
{
	static char got[DA_ERR_MSG_MAX + 16];
	struct da_plugin *p;
	struct da_err err = {0};

	if (open_testplug(settings, n, NULL, &p, &err) != DA_OK)
		snprintf(got, sizeof(got), "error: %s", err.msg);
	else
		snprintf(got, sizeof(got), "%s", seen->endpoint);
	da_plugin_free(p);
	return got;
}

static void test_names(void)
{
	static const char *const bad[] = {"../x", "/tmp/x", "", "Route53", "a.b", "a b", "x/y"};
	char too_long[66];
	struct da_plugin *p;
	struct da_err err = {0};

	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	CHECK(!da_plugin_name_valid(too_long));
	too_long[64] = '\0';
	CHECK(da_plugin_name_valid(too_long));

	CHECK(da_plugin_name_valid("rfc2136"));
	CHECK(da_plugin_name_valid("route-53_x"));
	CHECK(!da_plugin_name_valid(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!da_plugin_name_valid(bad[i]));
	CHECK(da_plugin_load(TESTPLUG_DIR, "../plugins/dnsacme-testplug", &p, &err) ==
	      DA_ERR_CONFIG);
	CHECK(p == NULL);
	CHECK(strstr(err.msg, "invalid DNS plugin name '../plugins/dnsacme-testplug'") != NULL);
	CHECK(da_plugin_load(TESTPLUG_DIR, "/tmp/x", &p, &err) == DA_ERR_CONFIG);
}

static void test_list_and_unknown(void)
{
	char **names = NULL;
	size_t n = 0;
	struct da_err err = {0};
	struct da_plugin *p;

	CHECK(da_plugin_list(FIXTURE_DIR, &names, &n, &err) == DA_OK);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(names[0], "alidns");
		CHECK_STR(names[1], "rfc2136");
		CHECK_STR(names[2], "route53");
	}
	da_plugin_names_free(names, n);

	CHECK(da_plugin_load(FIXTURE_DIR, "foo", &p, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "unknown DNS plugin 'foo' (available: alidns, rfc2136, route53)");
	CHECK(da_plugin_load("plugin/nonexistent", "foo", &p, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "unknown DNS plugin 'foo': cannot read plugin directory") != NULL);
	CHECK(da_plugin_list("plugin/nonexistent", &names, &n, &err) == DA_ERR_IO);
	CHECK(names == NULL && n == 0);
	/* An empty file is no shared object. */
	CHECK(da_plugin_load(FIXTURE_DIR, "rfc2136", &p, &err) == DA_ERR_PLUGIN);
	CHECK(strstr(err.msg, "cannot load plugin rfc2136: ") != NULL);
}

static void test_bad_plugins(void)
{
	struct da_plugin *p;
	struct da_err err = {0};

	CHECK(da_plugin_load(TESTPLUG_DIR, "badabi", &p, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "plugin badabi speaks ABI 999, this dnsacme speaks ABI 2");
	CHECK(da_plugin_load(TESTPLUG_DIR, "misnamed", &p, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "plugin file dnsacme-misnamed.so calls itself 'other'");
	CHECK(da_plugin_load(TESTPLUG_DIR, "nocleanup", &p, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "plugin nocleanup lacks one of open, close, present, cleanup");
	CHECK(da_plugin_load(TESTPLUG_DIR, "noentry", &p, &err) == DA_ERR_PLUGIN);
	CHECK(strstr(err.msg, "dnsacme-noentry.so is not a dnsacme plugin (no dnsacme_plugin "
			      "symbol)") != NULL);
	CHECK(p == NULL);
}

static void test_provider(void)
{
	struct da_plugin *p;
	struct da_err err = {0};
	const struct dnsacme_provider *prov;

	CHECK(da_plugin_load(TESTPLUG_DIR, "testplug", &p, &err) == DA_OK);
	prov = da_plugin_provider(p);
	CHECK_STR(prov->name, "testplug");
	CHECK_STR(prov->options[0].key, "endpoint");
	CHECK_STR(prov->options[2].default_value, "120");
	CHECK(prov->options[3].key == NULL);
	/* Present before open is a caller bug, not a crash. */
	CHECK(da_plugin_present(p, NULL, 0, &err) == DA_ERR_USAGE);
	da_plugin_free(p); /* never opened: close is not called */
}

static void test_lookup_order(void)
{
	const struct da_plugin_setting explicit[] = {{"endpoint", "explicit"}};
	const struct da_plugin_setting from_file[] = {{"endpoint_file", "plugin/endpoint.txt"}};
	const struct da_plugin_setting twice[] = {{"endpoint", "first"}, {"endpoint", "second"}};
	const struct da_plugin_setting two_lines[] = {{"endpoint_file", "plugin/twolines.txt"}};
	const struct da_plugin_setting crlf[] = {{"endpoint_file", "plugin/crlf.txt"}};

	clear_env();
	setenv("TESTPLUG_ENDPOINT", "env-one", 1);
	setenv("TESTPLUG_URL", "env-two", 1);
	setenv("TESTPLUG_ENDPOINT_FILE", "plugin/endpoint.txt", 1);
	CHECK_STR(endpoint_with(explicit, 1), "explicit");
	CHECK_STR(endpoint_with(from_file, 1), "from-file");
	CHECK_STR(endpoint_with(twice, 2), "second");
	CHECK_STR(endpoint_with(two_lines, 1), "two-newlines\n"); /* one newline only */
	CHECK_STR(endpoint_with(crlf, 1), "windows");		  /* saved on Windows */
	CHECK_STR(endpoint_with(NULL, 0), "env-one");
	/* Empty is unset; every variable comes before any _FILE. */
	setenv("TESTPLUG_ENDPOINT", "", 1);
	CHECK_STR(endpoint_with(NULL, 0), "env-two");
	unsetenv("TESTPLUG_URL");
	CHECK_STR(endpoint_with(NULL, 0), "from-file");
	setenv("TESTPLUG_ENDPOINT_FILE", "plugin/missing.txt", 1);
	CHECK(strstr(endpoint_with(NULL, 0),
		     "error: testplug: TESTPLUG_ENDPOINT_FILE: cannot read plugin/missing.txt: ") !=
	      NULL);
	unsetenv("TESTPLUG_ENDPOINT_FILE");
	setenv("TESTPLUG_URL_FILE", "plugin/endpoint.txt", 1);
	CHECK_STR(endpoint_with(NULL, 0), "from-file");
	clear_env();
	CHECK_STR(endpoint_with(NULL, 0),
		  "error: testplug: option endpoint is required (set TESTPLUG_ENDPOINT or "
		  "--dns-option endpoint=...)");
}

static void test_defaults_and_keys(void)
{
	const struct da_plugin_setting minimal[] = {{"endpoint", "e"}};
	const struct da_plugin_setting ttl[] = {{"endpoint", "e"}, {"ttl", "60"}};
	const struct da_plugin_setting token_file[] = {{"endpoint", "e"},
						       {"token_file", "plugin/token.txt"}};
	const struct da_plugin_setting typo[] = {{"endpoint", "e"}, {"nameservr", "x"}};
	const struct da_plugin_setting bad_file_key[] = {{"bogus_file", "plugin/token.txt"}};
	const struct da_plugin_setting both[] = {
		{"endpoint", "e"}, {"token", "explicit-token"}, {"token_file", "plugin/token.txt"}};
	struct da_plugin *p;
	struct da_err err = {0};

	clear_env();
	CHECK(open_testplug(minimal, 1, NULL, &p, &err) == DA_OK);
	CHECK_STR(seen->ttl, "120");
	CHECK_STR(seen->token, "(null)"); /* unset and no default: NULL */
	da_plugin_free(p);
	setenv("TESTPLUG_TTL", "90", 1);
	CHECK(open_testplug(minimal, 1, NULL, &p, &err) == DA_OK);
	CHECK_STR(seen->ttl, "90");
	da_plugin_free(p);
	CHECK(open_testplug(ttl, 2, NULL, &p, &err) == DA_OK);
	CHECK_STR(seen->ttl, "60");
	da_plugin_free(p);
	CHECK(open_testplug(token_file, 2, NULL, &p, &err) == DA_OK);
	CHECK_STR(seen->token, "file-token-1234");
	da_plugin_free(p);

	CHECK(open_testplug(typo, 2, NULL, &p, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "testplug has no option 'nameservr' (see `dnsacme plugins testplug`)");
	CHECK(open_testplug(bad_file_key, 1, NULL, &p, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "testplug has no option 'bogus_file' (see `dnsacme plugins testplug`)");
	CHECK(open_testplug(both, 3, NULL, &p, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "testplug: set token or token_file, not both");
	clear_env();
}

/* Settings from cluster users (DA_PLUGIN_FROM_SETTINGS) name neither a file
 * nor an environment variable of ours; only the values given count. */
static void test_sources(void)
{
	const struct da_plugin_setting shadow[] = {{"endpoint", "e"}, {"token_file", "/etc/shadow"}};
	const struct da_plugin_setting minimal[] = {{"endpoint", "e"}};
	struct da_plugin *p = NULL;
	struct da_err err = {0};

	clear_env();
	setenv("TESTPLUG_TOKEN", "env-token", 1);
	setenv("TESTPLUG_TTL_FILE", "plugin/endpoint.txt", 1);
	CHECK(da_plugin_load(TESTPLUG_DIR, "testplug", &p, &err) == DA_OK);
	CHECK(da_plugin_open(p, shadow, 2, DA_PLUGIN_FROM_SETTINGS, NULL, NULL, NULL, &err) ==
	      DA_ERR_CONFIG);
	CHECK_STR(err.msg, "testplug: token_file: options may not name files here; give the "
			   "value itself");
	CHECK(da_plugin_open(p, minimal, 1, DA_PLUGIN_FROM_SETTINGS, NULL, NULL, NULL, &err) ==
	      DA_OK);
	CHECK_STR(seen->token, "(null)"); /* TESTPLUG_TOKEN not read */
	CHECK_STR(seen->ttl, "120");	  /* TESTPLUG_TTL_FILE not read: the default */
	da_plugin_free(p);
	/* The operator's own run reads both. */
	CHECK(open_testplug(minimal, 1, NULL, &p, &err) == DA_OK);
	CHECK_STR(seen->token, "env-token");
	CHECK_STR(seen->ttl, "from-file");
	da_plugin_free(p);
	clear_env();
}

static void test_redaction(void)
{
	const struct da_plugin_setting ok[] = {{"endpoint", "plain"}, {"token", "tok-SECRET-123"}};
	const struct da_plugin_setting reject[] = {{"endpoint", "reject"}};
	struct da_log log;
	struct da_plugin *p;
	struct da_err err = {0};
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);

	clear_env();
	da_log_init(&log, DNSACME_LOG_DEBUG, out);
	CHECK(open_testplug(ok, 2, &log, &p, &err) == DA_OK);
	CHECK_STR(seen->token, "tok-SECRET-123"); /* the plugin sees the real value */
	da_plugin_free(p);

	/* A secret from the environment, leaked by the plugin into its error. */
	setenv("TESTPLUG_TOKEN", "env-SECRET-456", 1);
	CHECK(open_testplug(reject, 1, &log, &p, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "testplug: token *** rejected");
	CHECK(p == NULL);
	clear_env();
	fflush(out);

	CHECK(text != NULL && strstr(text, "testplug: opening plain with token ***\n") != NULL);
	CHECK(text != NULL && strstr(text, "testplug: option token from the settings") != NULL);
	CHECK(text != NULL && strstr(text, "testplug: option token from TESTPLUG_TOKEN") != NULL);
	CHECK(text != NULL && strstr(text, "testplug: option ttl from the default") != NULL);
	CHECK(text != NULL && strstr(text, "SECRET") == NULL);
	da_log_free(&log);
	fclose(out);
	free(text);
}

static void test_calls(void)
{
	const struct da_plugin_setting settings[] = {{"endpoint", "e"}};
	const struct dnsacme_record records[] = {
		{"_acme-challenge.example.com", "example.com", "value-a", 60},
		{"_acme-challenge.example.com", NULL, "value-b", 0},
	};
	const struct dnsacme_record failing[] = {
		{"_acme-challenge.a.example", NULL, "ok", 0},
		{"_acme-challenge.b.example", NULL, "fail", 0},
	};
	const struct dnsacme_record silent[] = {{"_acme-challenge.a.example", NULL, "silent", 0}};
	struct da_plugin *p;
	struct da_err err = {0};
	int closes;

	CHECK(open_testplug(settings, 1, NULL, &p, &err) == DA_OK);
	if (p == NULL)
		return;
	CHECK(da_plugin_present(p, records, 2, &err) == DA_OK);
	CHECK(seen->n_present == 2);
	CHECK_STR(seen->present[0].fqdn, "_acme-challenge.example.com");
	CHECK_STR(seen->present[0].zone, "example.com");
	CHECK_STR(seen->present[0].value, "value-a");
	CHECK(seen->present[0].ttl == 60);
	CHECK_STR(seen->present[1].zone, "(null)");
	CHECK_STR(seen->present[1].value, "value-b");
	CHECK(seen->n_cleanup == 0);
	CHECK(da_plugin_wait(p, &err) == DA_OK);
	CHECK(seen->waits == 1);
	CHECK(da_plugin_cleanup(p, records + 1, 1, &err) == DA_OK);
	CHECK(seen->n_cleanup == 1);
	CHECK_STR(seen->cleanup[0].value, "value-b");

	CHECK(da_plugin_present(p, failing, 2, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "testplug: cannot add _acme-challenge.b.example");
	/* No message from the plugin: the loader names the call. An earlier
	 * call's message must not stand in for it. */
	CHECK(da_plugin_cleanup(p, silent, 1, &err) == DA_ERR_PLUGIN);
	CHECK_STR(err.msg, "testplug: cleanup failed (DNS provider error)");
	CHECK(da_plugin_open(p, settings, 1, DA_PLUGIN_FROM_ALL, NULL, NULL, NULL, &err) == DA_ERR_USAGE);

	closes = seen->closes;
	da_plugin_free(p);
	CHECK(seen->closes == closes + 1);

	CHECK(da_plugin_load(TESTPLUG_DIR, "nowait", &p, &err) == DA_OK);
	CHECK(da_plugin_open(p, settings, 1, DA_PLUGIN_FROM_ALL, NULL, NULL, NULL, &err) == DA_OK);
	CHECK(da_plugin_wait(p, &err) == DA_OK);
	da_plugin_free(p);
}

static void test_host_http(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	struct da_plugin_setting settings[] = {{"endpoint", url}};
	struct da_http *http = NULL;
	struct da_plugin *p;
	struct da_err err = {0};

	/* A port nothing listens on: bound, never listened, then closed. */
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(addr.sin_port));

	clear_env();
	CHECK(da_http_new(&http, NULL, NULL, &err) == DA_OK);
	CHECK(da_plugin_load(TESTPLUG_DIR, "testplug", &p, &err) == DA_OK);
	CHECK(da_plugin_open(p, settings, 1, DA_PLUGIN_FROM_ALL, http, NULL, NULL, &err) == DA_ERR_NETWORK);
	CHECK(strncmp(err.msg, "testplug: GET http://127.0.0.1:", 31) == 0);
	CHECK(da_plugin_open(p, settings, 1, DA_PLUGIN_FROM_ALL, NULL, NULL, NULL, &err) == DA_ERR_NETWORK);
	CHECK_STR(err.msg, "testplug: no HTTP client available");
	da_plugin_free(p);
	da_http_free(http);
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void test_backoff(void)
{
	const struct da_plugin_setting settings[] = {{"endpoint", "e"}};
	volatile sig_atomic_t stop = 1;
	struct da_plugin *p;
	struct da_err err = {0};
	struct timespec start;
	int interrupted;

	CHECK(da_plugin_load(TESTPLUG_DIR, "testplug", &p, &err) == DA_OK);
	CHECK(da_plugin_open(p, settings, 1, DA_PLUGIN_FROM_ALL, NULL, NULL, &stop, &err) == DA_OK);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK(seen->host->backoff(seen->host, 5, 10000) != 0);
	CHECK(elapsed_ms(&start) < 500); /* at once, not after the 10 s */

	/* First retry: half a second fixed, up to half a second of jitter. */
	stop = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	interrupted = seen->host->backoff(seen->host, 1, 0);
	CHECK(interrupted == 0);
	CHECK(elapsed_ms(&start) >= 500 && elapsed_ms(&start) < 3000);
	da_plugin_free(p);
}

static void test_default_dir(void)
{
	char *dir = NULL, exe[4096], *slash, want[4200];
	struct da_err err = {0};
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	setenv("DNSACME_PLUGIN_DIR", "/opt/plugins", 1);
	CHECK(da_plugin_default_dir(&dir, &err) == DA_OK);
	CHECK_STR(dir, "/opt/plugins");
	free(dir);
	unsetenv("DNSACME_PLUGIN_DIR");
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(want, sizeof(want), "%s/%s", exe, DNSACME_PLUGIN_FROM_BIN);
	CHECK(da_plugin_default_dir(&dir, &err) == DA_OK);
	CHECK_STR(dir, want);
	free(dir);
}

int main(void)
{
	/* Hold testplug loaded for the whole run, so what it recorded survives
	 * each da_plugin_free(). */
	void *keep = dlopen(TESTPLUG_DIR "/dnsacme-testplug.so", RTLD_NOW | RTLD_LOCAL);
	testplug_seen_fn seen_fn =
		keep ? (testplug_seen_fn)dlsym(keep, TESTPLUG_SEEN_SYMBOL) : NULL;

	if (seen_fn == NULL) {
		fprintf(stderr, "cannot load the test plugin: %s\n", dlerror());
		return 1;
	}
	seen = seen_fn();
	test_names();
	test_list_and_unknown();
	test_bad_plugins();
	test_provider();
	test_lookup_order();
	test_defaults_and_keys();
	test_sources();
	test_redaction();
	test_calls();
	test_host_http();
	test_backoff();
	test_default_dir();
	dlclose(keep);
	return check_report();
}
