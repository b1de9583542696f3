/* renew's parts that need no CA: which certificates, the state, the metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/file.h"
#include "check.h"
#include "renew/metrics.h"
#include "renew/renew.h"
#include "renew/state.h"
#include "store/store.h"

static char tmp[] = "/tmp/dnsacme-test-renew-XXXXXX";

static const char *at(const char *rel)
{
	static char path[4][512];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", tmp, rel);
	return path[next];
}

static const char *setting(const struct da_plugin_settings *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].key, key) == 0)
			return s->items[i].value;
	return NULL;
}

static enum da_code from_list(const char *json, struct da_renew_cert **certs, size_t *n,
			      struct da_err *err)
{
	struct da_plugin_settings top = {0};
	const struct da_renew_defaults d = {
		.ca = "https://ca.test/dir",
		.state_dir = "/state",
		.plugin = "rfc2136",
		.plugin_settings = &top,
		.deploy_hook = "reload",
		.propagation_timeout = 120,
	};
	json_t *list = json_loads(json, 0, NULL);
	enum da_code rc;

	da_plugin_settings_add(&top, "nameserver", "192.0.2.1", NULL);
	rc = da_renew_certs_from_list(list, "f.json: certificates", &d, certs, n, err);
	json_decref(list);
	da_plugin_settings_clear(&top);
	return rc;
}

static void test_list(void)
{
	struct da_renew_cert *c = NULL;
	struct da_err err;
	size_t n = 0;

	CHECK(from_list("[{\"domains\": [\"*.Example.COM\", \"example.com.\"]},"
			" {\"name\": \"mail\", \"domains\": [\"mx.example.net\"], \"dns\": \"route53\","
			"  \"out\": \"/srv/mail\", \"key_type\": \"rsa2048\", \"deploy_hook\": \"x\"},"
			" {\"domains\": [\"b.example.org\"], \"dns_options\": {\"zone\": \"org\"}}]",
			&c, &n, &err) == DA_OK);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(c[0].name, "example.com");
		CHECK_STR(c[0].names[0], "*.example.com");
		CHECK_STR(c[0].names[1], "example.com");
		CHECK_STR(c[0].out, "/state/certificates/example.com");
		CHECK_STR(c[0].ca, "https://ca.test/dir");
		CHECK_STR(setting(&c[0].plugin_settings, "nameserver"), "192.0.2.1");
		CHECK(c[0].key_type == DA_KEY_EC256 && c[0].propagation_timeout == 120);
		CHECK_STR(c[0].deploy_hook, "reload");
		CHECK_STR(c[0].source, "f.json: certificates[0]");
		/* Another plugin does not inherit the top-level plugin's options. */
		CHECK_STR(c[1].name, "mail");
		CHECK_STR(c[1].plugin, "route53");
		CHECK(c[1].plugin_settings.n == 0);
		CHECK_STR(c[1].out, "/srv/mail");
		CHECK(c[1].key_type == DA_KEY_RSA2048);
		CHECK_STR(c[1].deploy_hook, "x");
		/* The entry's own options replace the top-level ones. */
		CHECK(c[2].plugin_settings.n == 1);
		CHECK_STR(setting(&c[2].plugin_settings, "zone"), "org");
	}
	da_renew_certs_free(c, n);

	struct {
		const char *json, *msg;
	} bad[] = {
		{"{}", "f.json: certificates: expected a list of certificates"},
		{"[]", "f.json: certificates: expected a list of certificates"},
		{"[\"a.example\"]", "f.json: certificates[0]: expected an object"},
		{"[{\"domains\": [\"a.example\"], \"color\": 1}]",
		 "f.json: certificates[0]: unknown key 'color'"},
		{"[{\"domains\": \"a.example\"}]",
		 "f.json: certificates[0]: domains: wrong type (expected an array of strings)"},
		{"[{\"name\": \"x\"}]", "f.json: certificates[0]: domains: at least one name is needed"},
		{"[{\"domains\": [\"a.example\"]}, {\"domains\": [\"*.a.example\"]}]",
		 "f.json: certificates[1]: a second certificate for a.example"},
		{"[{\"name\": \"../up\", \"domains\": [\"a.example\"]}]",
		 "f.json: certificates[0]: name: '../up' cannot name a file"},
		{"[{\"domains\": [\"a.example\"], \"key_type\": \"dsa\"}]",
		 "f.json: certificates[0]: "},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(from_list(bad[i].json, &c, &n, &err) != DA_OK);
		CHECK(c == NULL && n == 0);
		CHECK(strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) == 0);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fprintf(stderr, "  got: %s\n", err.msg);
	}
}

static void test_records(void)
{
	static const char record[] =
		"{\"version\": 1, \"names\": [\"*.rec.example\", \"rec.example\"],"
		" \"ca\": \"https://ca.test/dir\", \"key_type\": \"ec384\", \"out\": \"/srv/rec\","
		" \"propagation_timeout\": 60, \"deploy_hook\": \"true\","
		" \"dns\": {\"name\": \"rfc2136\", \"options\": {\"nameserver\": \"192.0.2.1\"},"
		"  \"secrets\": {\"tsig_secret\": {\"file\": \"/etc/tsig\"},"
		"   \"other\": {\"env\": \"OTHER_SECRET\"}}}}";
	struct da_renew_cert *c = NULL;
	struct da_err err;
	size_t n = 0;

	CHECK(da_store_renewal_write(tmp, "rec.example", record, &err) == DA_OK);
	CHECK(da_store_renewal_write(tmp, "broken.example", "{\"names\": []}", &err) == DA_OK);
	CHECK(da_renew_certs_from_records(tmp, &c, &n, &err) == DA_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(c[0].name, "broken.example");
		CHECK(c[0].broken != NULL && strstr(c[0].broken, "not a renewal record"));
		CHECK(strstr(c[0].source, "renewal/broken.example.json") != NULL);
		CHECK(c[1].broken == NULL);
		CHECK_STR(c[1].name, "rec.example");
		CHECK(c[1].n_names == 2 && c[1].key_type == DA_KEY_EC384);
		CHECK_STR(c[1].out, "/srv/rec");
		CHECK(c[1].propagation_timeout == 60);
		CHECK_STR(setting(&c[1].plugin_settings, "nameserver"), "192.0.2.1");
		/* A secret from a file is read from it again; from a variable, the
		 * plugin looks the variable up itself. */
		CHECK_STR(setting(&c[1].plugin_settings, "tsig_secret_file"), "/etc/tsig");
		CHECK(setting(&c[1].plugin_settings, "other") == NULL);
		CHECK(setting(&c[1].plugin_settings, "other_file") == NULL);
	}
	da_renew_certs_free(c, n);
}

static void test_state(void)
{
	struct da_renew_state st = {.cert_id = "aa.bb", .has_window = 1, .window_start = 100,
				    .window_end = 200, .next_check = 300, .point = 0.25,
				    .failures = 2, .last_success = 50};
	struct da_renew_state back;
	struct da_err err;
	struct stat first, second;

	CHECK(da_renew_state_save(tmp, "s.example", &st, &err) == DA_OK);
	da_renew_state_load(tmp, "s.example", &back);
	CHECK_STR(back.cert_id, "aa.bb");
	CHECK(back.has_window && back.window_start == 100 && back.window_end == 200);
	CHECK(back.next_check == 300 && back.point == 0.25 && back.failures == 2);
	CHECK(back.last_success == 50 && back.explanation_url == NULL);
	/* Nothing new: the file is not written again. */
	CHECK(stat(at("renew-state/s.example.json"), &first) == 0);
	CHECK(da_renew_state_save(tmp, "s.example", &back, &err) == DA_OK);
	CHECK(stat(at("renew-state/s.example.json"), &second) == 0);
	CHECK(first.st_ino == second.st_ino);
	da_renew_state_clear(&back);
	/* Damaged or missing: an empty state. */
	CHECK(da_store_renew_state_write(tmp, "d.example", "[1,", &err) == DA_OK);
	da_renew_state_load(tmp, "d.example", &back);
	CHECK(back.cert_id == NULL && back.next_check == 0);
	da_renew_state_load(tmp, "none.example", &back);
	CHECK(back.cert_id == NULL);

	CHECK(da_renew_ari_backoff(1) == 60);
	CHECK(da_renew_ari_backoff(2) == 120);
	CHECK(da_renew_ari_backoff(5) == 960);
	CHECK(da_renew_ari_backoff(100) == DA_RENEW_ARI_MAX_WAIT);
	for (int i = 0; i < 100; i++) {
		double p = da_renew_random_point();

		CHECK(p >= 0 && p < 1);
	}
}

static void test_metrics(void)
{
	char *names_a[] = {"a.example"}, *names_b[] = {"b.example"};
	struct da_renew_cert certs[] = {{.name = "a.example", .names = names_a, .n_names = 1},
					{.name = "we\"ird\\", .names = names_b, .n_names = 1}};
	struct da_renew_result results[] = {{.outcome = DA_RENEW_RENEWED, .not_after = 1900000000},
					    {.outcome = DA_RENEW_FAILED}};
	struct da_renew_state states[] = {{.last_success = 1800000000},
					  {.failures = 3, .last_failure = 1800000001}};
	struct da_err err;
	char *text = NULL;
	size_t len;

	CHECK(da_renew_metrics_write(at("metrics.prom"), certs, 2, results, states, &err) ==
	      DA_OK);
	CHECK(da_file_read(at("metrics.prom"), DA_FILE_READ_MAX, &text, &len, &err) == DA_OK);
	if (text == NULL)
		return;
	CHECK(strstr(text, "# TYPE dnsacme_certificate_expiry_timestamp_seconds gauge\n"
			   "dnsacme_certificate_expiry_timestamp_seconds{name=\"a.example\"} "
			   "1900000000\n# HELP") != NULL); /* none for the one without */
	CHECK(strstr(text, "dnsacme_certificate_last_success_timestamp_seconds{name=\"a.example\"}"
			   " 1800000000\n") != NULL);
	CHECK(strstr(text, "dnsacme_certificate_last_failure_timestamp_seconds{name=\"we\\\"ird"
			   "\\\\\"} 1800000001\n") != NULL);
	CHECK(strstr(text, "dnsacme_certificate_failures{name=\"a.example\"} 0\n") != NULL);
	CHECK(strstr(text, "dnsacme_renew_certificates{outcome=\"renewed\"} 1\n") != NULL);
	CHECK(strstr(text, "dnsacme_renew_certificates{outcome=\"failed\"} 1\n") != NULL);
	CHECK(strstr(text, "dnsacme_renew_certificates{outcome=\"not_due\"} 0\n") != NULL);
	CHECK(strstr(text, "dnsacme_renew_last_run_timestamp_seconds ") != NULL);
	free(text);
	CHECK(da_renew_metrics_write(at("no/such/dir/m.prom"), certs, 2, results, states, &err) ==
	      DA_ERR_IO);
	CHECK(strncmp(err.msg, "--metrics-textfile: ", 20) == 0);
}

int main(void)
{
	if (mkdtemp(tmp) == NULL)
		return 1;
	test_list();
	test_records();
	test_state();
	test_metrics();
	return check_report();
}
