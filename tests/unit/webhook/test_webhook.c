/* core/webhook without a server: the ChallengePayload fixtures, the answers,
 * and every Issuer config dialect mapped to plugin settings. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "check.h"
#include "webhook/issuer.h"
#include "webhook/payload.h"

/* Shaped like the alidns, rfc2136 and route53 tables. */
static const struct dnsacme_option options[] = {
	{"access_key_id", {NULL}, DNSACME_OPT_SECRET, NULL, "id"},
	{"access_key_secret", {NULL}, DNSACME_OPT_SECRET, NULL, "secret"},
	{"security_token", {NULL}, DNSACME_OPT_SECRET, NULL, "token"},
	{"oidc_token_file", {NULL}, 0, NULL, "a file"},
	{"container_credentials_full_uri", {NULL}, 0, NULL, "an agent"},
	{"region", {NULL}, 0, NULL, "region"},
	{"endpoint", {NULL}, 0, NULL, "endpoint"},
	{"tsig_secret", {NULL}, DNSACME_OPT_SECRET, NULL, "secret"},
	{"tsig_key", {NULL}, 0, NULL, "key"},
	{"ttl", {NULL}, 0, NULL, "ttl"},
	{NULL, {NULL}, 0, NULL, NULL},
};
static const struct dnsacme_provider provider = {.name = "test", .options = options};

static json_t *fixture(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "webhook/%s", name);
	return json_load_file(path, 0, NULL);
}

static char *fixture_text(const char *name, size_t *len)
{
	char path[256], *text = NULL;

	snprintf(path, sizeof(path), "webhook/%s", name);
	da_file_read(path, DA_FILE_READ_MAX, &text, len, NULL);
	return text;
}

static const char *setting(const struct da_issuer_config *c, const char *key)
{
	for (size_t i = 0; i < c->settings.n; i++)
		if (strcmp(c->settings.items[i].key, key) == 0)
			return c->settings.items[i].value;
	return NULL;
}

static const struct da_issuer_ref *ref(const struct da_issuer_config *c, const char *option)
{
	for (size_t i = 0; i < c->n_refs; i++)
		if (strcmp(c->refs[i].option, option) == 0)
			return &c->refs[i];
	return NULL;
}

static void test_payloads(void)
{
	struct da_challenge c;
	struct da_err err = {0};
	size_t len = 0;
	char *text = fixture_text("present-request.json", &len), *answer;
	json_t *parsed;

	CHECK(da_payload_parse(text, len, "acme.example.com", &c, &err) == DA_OK);
	CHECK(c.action == DA_ACTION_PRESENT);
	CHECK_STR(c.fqdn, "_acme-challenge.example.com");
	CHECK_STR(c.zone, "example.com");
	CHECK_STR(c.namespace, "cert-manager");
	CHECK(c.allow_ambient == 1 && json_is_object(c.config));
	answer = da_payload_answer(&c, NULL);
	parsed = json_loads(answer, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(parsed, "kind")), "ChallengePayload");
	CHECK(json_is_true(json_object_get(json_object_get(parsed, "response"), "success")));
	CHECK(json_object_get(json_object_get(parsed, "request"), "key") != NULL);
	json_decref(parsed);
	free(answer);
	answer = da_payload_answer(&c, "alidns: no zone");
	parsed = json_loads(answer, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(json_object_get(parsed, "response"), "status"), "message")),
		  "alidns: no zone");
	json_decref(parsed);
	free(answer);
	json_decref(c.root);
	free(text);

	text = fixture_text("cleanup-request.json", &len);
	CHECK(da_payload_parse(text, len, "acme.example.com", &c, &err) == DA_OK);
	CHECK(c.action == DA_ACTION_CLEANUP);
	json_decref(c.root);
	free(text);

	static const struct {
		const char *body;
		enum da_code code;
		const char *words;
	} bad[] = {
		{"[1]", DA_ERR_USAGE, "not a JSON object"},
		{"{}", DA_ERR_USAGE, "no request"},
		{"{\"apiVersion\": \"v1\", \"request\": {}}", DA_ERR_USAGE, "apiVersion v1"},
		{"{\"kind\": \"Pod\", \"request\": {}}", DA_ERR_USAGE, "kind Pod"},
		{"{\"request\": {\"action\": \"present\"}}", DA_ERR_USAGE, "Present or CleanUp"},
		{"{\"request\": {\"action\": \"Present\", \"resolvedFQDN\": \"a.b\"}}", DA_ERR_CONFIG,
		 "trailing dot"},
		{"{\"request\": {\"action\": \"Present\", \"resolvedFQDN\": \"a b.c.\"}}",
		 DA_ERR_CONFIG, "resolvedFQDN"},
		{"{\"request\": {\"action\": \"Present\", \"resolvedFQDN\": \"_a.b.\"}}",
		 DA_ERR_CONFIG, "request.key"},
		{"{\"request\": {\"action\": \"Present\", \"resolvedFQDN\": \"_a.b.\", \"key\": "
		 "\"k\"}}",
		 DA_ERR_CONFIG, "resourceNamespace"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(da_payload_parse(bad[i].body, strlen(bad[i].body), "acme.example.com", &c,
				       &err) == bad[i].code);
		CHECK(strstr(err.msg, bad[i].words) != NULL);
		json_decref(c.root);
	}
	{
		/* The URL's group as apiVersion is accepted too: the request is
		 * then what fails (no name). */
		const char *body = "{\"apiVersion\": \"acme.example.com/v1alpha1\", \"request\": "
				   "{\"action\": \"CleanUp\"}}";

		CHECK(da_payload_parse(body, strlen(body), "acme.example.com", &c, &err) ==
		      DA_ERR_CONFIG);
		json_decref(c.root);
	}
}

static void test_alidns_dialects(void)
{
	static const struct {
		const char *fixture, *id_key, *secret_key;
	} dialects[] = {
		{"config-alidns.json", "access-key-id", "access-key-secret"},
		{"config-alidns-compat-pragkent.json", "access-key", "secret-key"},
		{"config-alidns-compat-wjiec.json", "access-key-id", "access-key-secret"},
		{"config-alidns-compat-devmachine.json", "access-token", "secret-key"},
	};

	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		json_t *config = fixture(dialects[i].fixture);
		struct da_issuer_config c;
		struct da_err err = {0};

		CHECK(da_issuer_config_map("alidns", config, &provider, 0, &c, &err) == DA_OK);
		CHECK(ref(&c, "access_key_id") && strcmp(ref(&c, "access_key_id")->key,
							 dialects[i].id_key) == 0);
		CHECK(ref(&c, "access_key_secret") &&
		      strcmp(ref(&c, "access_key_secret")->key, dialects[i].secret_key) == 0);
		da_issuer_config_clear(&c);
		json_decref(config);
	}
}

static void test_mapping(void)
{
	struct da_issuer_config c;
	struct da_err err = {0};
	json_t *config = fixture("config-rfc2136.json");

	CHECK(da_issuer_config_map("rfc2136", config, &provider, 0, &c, &err) == DA_OK);
	CHECK_STR(setting(&c, "tsig_key"), "acme-update");
	CHECK_STR(setting(&c, "tsig_algorithm"), "hmac-sha256");
	CHECK(ref(&c, "tsig_secret") != NULL);
	da_issuer_config_clear(&c);
	json_decref(config);

	config = fixture("config-alidns-ambient.json");
	CHECK(da_issuer_config_map("alidns-solver", config, &provider, 0, &c, &err) == DA_OK);
	CHECK_STR(setting(&c, "region"), "cn-shanghai");
	CHECK_STR(setting(&c, "role_arn"), "acs:ram::1234567890123456:role/cert-manager-dns01");
	CHECK(c.n_refs == 0 && !c.endpoint_given);
	da_issuer_config_clear(&c);
	json_decref(config);

	static const struct {
		const char *solver, *config, *words;
	} refused[] = {
		{"alidns", "{\"accessKeySecretRef\": {\"name\": \"s\", \"key\": \"k\"}}",
		 "ambiguous"},
		{"test", "{\"oidcTokenFile\": \"/etc/shadow\"}", "unknown keys"},
		{"test", "{\"containerCredentialsFullUri\": \"http://169.254.170.2/\"}",
		 "unknown keys"},
		{"test", "{\"tsigSecret_file\": \"/etc/shadow\"}", "unknown keys"},
		{"test", "{\"colour\": 1, \"size\": 2}", "colour, size"},
		{"rfc2136", "{\"tsigAlgorithm\": \"ROT13\"}", "tsigAlgorithm"},
		{"rfc2136", "{\"protocol\": \"QUIC\"}", "TCP or UDP"},
		{"route53", "{\"auth\": {\"kubernetes\": {}}}", "not supported"},
		{"test", "{\"tsigSecretSecretRef\": {\"name\": \"s\"}}", "expected {"},
		{"test", "{\"region\": {\"a\": 1}}", "expected a string"},
		{"test", "[1]", "expected an object"},
		{"test", "{\"tsigSecret\": \"x\"}", "is a secret: put it in a Secret and give "
						    "tsigSecretSecretRef"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		config = json_loads(refused[i].config, 0, NULL);
		CHECK(da_issuer_config_map(refused[i].solver, config, &provider, 0, &c, &err) ==
		      DA_ERR_CONFIG);
		if (strstr(err.msg, refused[i].words) == NULL)
			fprintf(stderr, "case %zu: %s\n", i, err.msg);
		CHECK(strstr(err.msg, refused[i].words) != NULL);
		json_decref(config);
	}

	/* Generic names, an endpoint (no ambient), an unknown key logged. */
	config = json_loads("{\"TSIGKEY\": \"k\", \"ttl\": 60, "
			    "\"endpoint\": \"http://127.0.0.1:1/\", \"unknown\": true}",
			    0, NULL);
	CHECK(da_issuer_config_map("test", config, &provider, 1, &c, &err) == DA_OK);
	CHECK_STR(setting(&c, "tsig_key"), "k");
	CHECK_STR(setting(&c, "ttl"), "60");
	CHECK(!c.inline_secret && c.endpoint_given);
	CHECK(strstr(c.warning, "unknown") != NULL);
	da_issuer_config_clear(&c);
	json_decref(config);

	/* cnfatal's inline keys: taken, and warned about. */
	config = json_loads("{\"accessKeyID\": \"LTAIx\", \"accessKeySecret\": \"s\"}", 0, NULL);
	CHECK(da_issuer_config_map("alidns", config, &provider, 0, &c, &err) == DA_OK);
	CHECK_STR(setting(&c, "access_key_id"), "LTAIx");
	CHECK(c.inline_secret && strstr(c.warning, "holds a secret") != NULL);
	da_issuer_config_clear(&c);
	json_decref(config);
}

static void test_swapped_keys(void)
{
	struct da_plugin_settings s = {0};
	struct da_err err = {0};

	da_plugin_settings_add(&s, "access_key_id", "0123secretlooking", &err);
	da_plugin_settings_add(&s, "access_key_secret", "LTAI5tExample", &err);
	CHECK(da_issuer_config_check("alidns", &s, &err) == DA_ERR_CONFIG);
	CHECK(strstr(err.msg, "swapped") != NULL);
	CHECK(da_issuer_config_check("route53", &s, &err) == DA_OK);
	da_plugin_settings_clear(&s);
	da_plugin_settings_add(&s, "access_key_id", "LTAI5tExample", &err);
	da_plugin_settings_add(&s, "access_key_secret", "0123secretlooking", &err);
	CHECK(da_issuer_config_check("alidns", &s, &err) == DA_OK);
	da_plugin_settings_clear(&s);
}

int main(void)
{
	test_payloads();
	test_alidns_dialects();
	test_mapping();
	test_swapped_keys();
	return check_report();
}
