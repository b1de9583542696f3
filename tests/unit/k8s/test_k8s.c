/* core/k8s without a server: kubeconfig settings, what is refused and why,
 * object names. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "k8s/internal.h"

#define CONFIG_HEAD                                                                                \
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"                                      \
	"contexts:\n- name: other\n  context: {cluster: x, user: x}\n"                              \
	"- name: ctx\n  context: {cluster: c, user: u, namespace: apps}\n"                          \
	"clusters:\n- name: c\n  cluster:\n    server: https://k8s.example:6443/ignored\n"          \
	"    certificate-authority: ca.crt\n"

static enum da_code parse(const char *text, struct da_k8s **k, struct da_err *err)
{
	return da_k8s_kubeconfig_parse(text, strlen(text), "/etc/kube", k, err);
}

static void test_token_and_relative_files(void)
{
	struct da_k8s *k = NULL;
	struct da_err err = {0};

	CHECK(parse(CONFIG_HEAD "users:\n- name: u\n  user:\n    tokenFile: token\n", &k, &err) ==
	      DA_OK);
	if (k == NULL)
		return;
	CHECK_STR(k->server, "https://k8s.example:6443");
	CHECK_STR(k->ca_file, "/etc/kube/ca.crt");
	CHECK_STR(k->token_file, "/etc/kube/token");
	CHECK_STR(da_k8s_namespace(k), "apps");
	da_k8s_free(k);
}

static void test_client_certificate_data(void)
{
	struct da_k8s *k = NULL;
	struct da_err err = {0};

	/* "-----BEGIN X-----\n" and "-----BEGIN K-----\n", base64. */
	CHECK(parse(CONFIG_HEAD "users:\n- name: u\n  user:\n"
				"    client-certificate-data: LS0tLS1CRUdJTiBYLS0tLS0K\n"
				"    client-key-data: LS0tLS1CRUdJTiBLLS0tLS0K\n",
		    &k, &err) == DA_OK);
	if (k == NULL)
		return;
	CHECK_STR(k->cert_pem, "-----BEGIN X-----\n");
	CHECK_STR(k->key_pem, "-----BEGIN K-----\n");
	da_k8s_free(k);
}

static void test_refused(void)
{
	static const struct {
		const char *text, *words;
	} cases[] = {
		{CONFIG_HEAD "users:\n- name: u\n  user:\n    exec: {command: aws}\n", "exec"},
		{CONFIG_HEAD "users:\n- name: u\n  user: {}\n", "no token"},
		{CONFIG_HEAD "users:\n- name: u\n  user:\n    client-certificate: c.pem\n",
		 "needs its key"},
		{CONFIG_HEAD "users:\n- name: x\n  user: {token: t}\n", "no user named u"},
		{"current-context: ctx\ncontexts: []\n", "no context named ctx"},
		{"apiVersion: v1\n", "no current-context"},
		{"a: &x b\nc: *x\n", "aliases"},
		{"a: [b\n", "YAML line"},
		{"", "empty"},
		{"current-context: ctx\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: 'http://plain:80'}\n"
		 "users:\n- name: u\n  user: {token: t}\n",
		 "https://"},
		{"current-context: ctx\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: 'https://a', insecure-skip-tls-verify: "
		 "true}\nusers:\n- name: u\n  user: {token: t}\n",
		 "insecure-skip-tls-verify"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct da_k8s *k = NULL;
		struct da_err err = {0};

		CHECK(parse(cases[i].text, &k, &err) == DA_ERR_CONFIG);
		CHECK(k == NULL);
		if (strstr(err.msg, cases[i].words) == NULL)
			fprintf(stderr, "case %zu: '%s' does not say '%s'\n", i, err.msg,
				cases[i].words);
		CHECK(strstr(err.msg, cases[i].words) != NULL);
	}
}

static void test_names(void)
{
	char *ns = NULL, *name = NULL;
	struct da_err err = {0};

	CHECK(da_k8s_name_parse("istio-system/istio-ingressgateway-certs", "default", "--secret",
				&ns, &name, &err) == DA_OK);
	CHECK_STR(ns, "istio-system");
	CHECK_STR(name, "istio-ingressgateway-certs");
	free(ns);
	free(name);
	CHECK(da_k8s_name_parse("gw.example.com", "apps", "--secret", &ns, &name, &err) == DA_OK);
	CHECK_STR(ns, "apps");
	CHECK_STR(name, "gw.example.com");
	free(ns);
	free(name);
	CHECK(da_k8s_name_parse("Istio/gw", "d", "--secret", &ns, &name, &err) == DA_ERR_CONFIG);
	CHECK(strstr(err.msg, "--secret Istio/gw") != NULL);
	CHECK(da_k8s_name_parse("ns/../x", "d", "--secret", &ns, &name, &err) == DA_ERR_CONFIG);
	CHECK(da_k8s_name_parse("a/b/c", "d", "--secret", &ns, &name, &err) == DA_ERR_CONFIG);
	CHECK(da_k8s_name_parse("", "d", "--secret", &ns, &name, &err) == DA_ERR_CONFIG);
	CHECK(ns == NULL && name == NULL);
}

int main(void)
{
	test_token_and_relative_files();
	test_client_certificate_data();
	test_refused();
	test_names();
	return check_report();
}
