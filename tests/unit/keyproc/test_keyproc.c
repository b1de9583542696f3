/*
 * core/keyproc: the account key's process makes, saves and reuses the key
 * and signs JWS inputs that verify; a certificate key's process builds a
 * CSR for the key and writes it beside the chain; both are confined by
 * seccomp; a missing key without create, and a child that dies, are errors.
 */
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "keyproc/keyproc.h"

static char scratch[] = "/tmp/dnsacme-keyproc-XXXXXX";

/* The pids of this process's children, as /proc lists them. */
static size_t children(pid_t *pids, size_t max)
{
	char path[64], line[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL)
		for (char *tok = strtok(line, " \n"); tok != NULL && n < max;
		     tok = strtok(NULL, " \n"))
			pids[n++] = (pid_t)atoi(tok);
	fclose(f);
	return n;
}

/* The "Seccomp:" mode of pid (2: filtered), or -1. */
static int seccomp_mode(pid_t pid)
{
	char path[64], line[128];
	int mode = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return mode;
}

/* The only child there is must be filtered. */
static void check_confined(void)
{
	pid_t pids[4];

	CHECK(children(pids, 4) == 1);
	CHECK(seccomp_mode(pids[0]) == 2);
}

static int signs_verifiably(struct da_keyproc *kp)
{
	struct da_signer signer = da_keyproc_signer(kp);
	char *body = NULL;
	int ok;

	ok = da_crypto_jws_sign(&signer, NULL, "n", "https://ca.test/x", "{}", &body, NULL) ==
	     DA_OK;
	if (ok) {
		/* protected.payload.signature, from the flattened JSON. */
		json_t *jws = json_loads(body, 0, NULL);

		ok = jws != NULL &&
		     da_crypto_jws_verify(da_keyproc_public_key(kp),
					  json_string_value(json_object_get(jws, "protected")),
					  json_string_value(json_object_get(jws, "payload")),
					  json_string_value(json_object_get(jws, "signature")),
					  NULL) == DA_OK;
		json_decref(jws);
	}
	free(body);
	return ok;
}

static void test_account(void)
{
	struct da_store_account *files = NULL;
	struct da_keyproc *kp = NULL, *again = NULL;
	struct da_err err;
	char path[256];
	struct stat st;

	CHECK(da_store_account_open(scratch, "https://ca.test/dir", &files, &err) == DA_OK);
	if (files == NULL)
		return;
	CHECK(da_keyproc_account(files, 0, &kp, &err) == DA_ERR_CONFIG && kp == NULL);
	CHECK(strstr(err.msg, "no account key in ") != NULL && strstr(err.msg, "issue a certificate first") != NULL);

	CHECK(da_keyproc_account(files, 1, &kp, &err) == DA_OK);
	snprintf(path, sizeof(path), "%s/account.key", da_store_account_where(files));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	if (kp != NULL) {
		check_confined();
		CHECK(signs_verifiably(kp));
		CHECK(signs_verifiably(kp));
	}
	/* The saved key is the one used next time. */
	CHECK(da_keyproc_account(files, 1, &again, &err) == DA_OK);
	CHECK(kp && again &&
	      EVP_PKEY_eq(da_keyproc_public_key(kp), da_keyproc_public_key(again)) == 1);
	da_keyproc_free(again);
	da_keyproc_free(kp);

	/* A key file that is no key is an error naming the place. */
	CHECK(da_store_write_atomic(path, "junk", 4, 0600, &err) == DA_OK);
	CHECK(da_keyproc_account(files, 1, &kp, &err) != DA_OK && kp == NULL);
	CHECK(strstr(err.msg, "account key in ") != NULL);
	da_store_account_close(files);
}

/* A certificate key's CSR is for the names and the key; the child writes
 * the key beside a chain given to it, and refuses to sign JWS. */
static void test_certificate(void)
{
	static const char *const names[] = {"a.test", "*.a.test"};
	struct da_keyproc *kp = NULL;
	struct da_sink *sink = NULL;
	struct da_err err;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *req = NULL;
	char out[256];

	snprintf(out, sizeof(out), "%s/out", scratch);
	CHECK(da_store_sink_dir_open(out, &sink, &err) == DA_OK);
	CHECK(da_keyproc_certificate(DA_KEY_EC384, sink, &kp, &err) == DA_OK);
	if (kp == NULL) {
		da_store_sink_free(sink);
		return;
	}
	check_confined();
	CHECK(da_keyproc_csr(kp, names, 2, &der, &len, &err) == DA_OK);
	p = der;
	req = der ? d2i_X509_REQ(NULL, &p, (long)len) : NULL;
	CHECK(req != NULL && X509_REQ_verify(req, da_keyproc_public_key(kp)) == 1);
	X509_REQ_free(req);
	free(der);
	CHECK(!signs_verifiably(kp));

	/* Garbage for a chain: the child's error comes back, nothing written. */
	{
		const struct da_cert_out bad = {.fullchain_pem = "no pem", .names = names,
						.n_names = 2, .ca = "https://ca.test/dir",
						.key_type = DA_KEY_EC384};
		char key_path[300];

		CHECK(da_keyproc_write(kp, &bad, &err) == DA_ERR_CRYPTO);
		snprintf(key_path, sizeof(key_path), "%s/privkey.pem", out);
		CHECK(access(key_path, F_OK) != 0);
	}
	da_keyproc_free(kp);
	da_store_sink_free(sink);
}

/* A child killed under the parent: the next request fails, no crash. */
static void test_child_dies(void)
{
	struct da_keyproc *kp = NULL;
	struct da_sink *sink = NULL;
	struct da_err err;
	pid_t pids[4];
	unsigned char *der = NULL;
	size_t len;
	static const char *const names[] = {"b.test"};

	CHECK(da_store_sink_dir_open(scratch, &sink, &err) == DA_OK);
	CHECK(da_keyproc_certificate(DA_KEY_EC256, sink, &kp, &err) == DA_OK);
	if (kp != NULL && children(pids, 4) == 1) {
		kill(pids[0], SIGKILL);
		CHECK(da_keyproc_csr(kp, names, 1, &der, &len, &err) == DA_ERR_INTERNAL);
		CHECK(strstr(err.msg, "key process") != NULL);
	}
	da_keyproc_free(kp);
	da_store_sink_free(sink);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(scratch) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_account();
	test_certificate();
	test_child_dies();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
		CHECK(system(cmd) == 0);
	}
	return check_report();
}
