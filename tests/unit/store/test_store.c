/* core/store in a scratch directory under /tmp, removed at the end. */
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "check.h"
#include "store/sink.h"
#include "store/store.h"

static char scratch[] = "/tmp/dnsacme-store-XXXXXX";

/* scratch/rel in a static buffer (one at a time). */
static const char *at(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	return path;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* The file's content, or "(unreadable)"; static buffer. */
static const char *content(const char *path)
{
	static char text[256];
	char *data;
	size_t len;
	struct da_err err;

	if (da_file_read(path, DA_FILE_READ_MAX, &data, &len, &err) != DA_OK)
		return "(unreadable)";
	snprintf(text, sizeof(text), "%s", data);
	free(data);
	return text;
}

static void test_atomic_write(void)
{
	struct da_err err = {0};
	char *data;
	size_t len;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", at("files"));
	CHECK(da_store_mkdirs(dir, 0700, &err) == DA_OK);
	CHECK(da_store_write_atomic(at("files/key.pem"), "SECRET KEY\n", 11, 0600, &err) == DA_OK);
	CHECK(mode_of(at("files/key.pem")) == 0600);
	CHECK(da_file_read(at("files/key.pem"), DA_FILE_READ_MAX, &data, &len, &err) == DA_OK);
	CHECK(len == 11 && strcmp(data, "SECRET KEY\n") == 0);
	free(data);

	/* Replacing takes the new mode and content; no temporary stays. */
	CHECK(da_store_write_atomic(at("files/key.pem"), "new", 3, 0644, &err) == DA_OK);
	CHECK(mode_of(at("files/key.pem")) == 0644);
	CHECK_STR(content(at("files/key.pem")), "new");
	CHECK(da_store_write_atomic(at("files/empty"), "", 0, 0600, &err) == DA_OK);
	CHECK(da_file_read(at("files/empty"), DA_FILE_READ_MAX, &data, &len, &err) == DA_OK);
	CHECK(len == 0 && data != NULL && data[0] == '\0');
	free(data);
	CHECK(count_entries(dir) == 2);

	/* A umask never narrows the mode asked for. */
	{
		mode_t old = umask(077);

		CHECK(da_store_write_atomic(at("files/pub"), "x", 1, 0644, &err) == DA_OK);
		umask(old);
		CHECK(mode_of(at("files/pub")) == 0644);
	}

	CHECK(da_store_write_atomic(at("missing/x"), "x", 1, 0600, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "cannot write ") != NULL && strstr(err.msg, "missing/x") != NULL);
	CHECK(da_file_read(at("files/nope"), DA_FILE_READ_MAX, &data, &len, &err) == DA_ERR_IO);
	CHECK(data == NULL && strstr(err.msg, "files/nope") != NULL);
	/* A directory stands where the file should go: the temp goes too. */
	CHECK(da_store_mkdirs(at("files/adir"), 0700, &err) == DA_OK);
	CHECK(da_store_write_atomic(at("files/adir"), "x", 1, 0600, &err) == DA_ERR_IO);
	CHECK(count_entries(dir) == 4);
}

static void test_mkdirs(void)
{
	struct da_err err = {0};

	CHECK(da_store_mkdirs(at("a/b/c/"), 0750, &err) == DA_OK);
	CHECK(mode_of(at("a/b/c")) == 0750);
	CHECK(da_store_mkdirs(at("a/b"), 0700, &err) == DA_OK); /* exists: fine */
	CHECK(da_store_write_atomic(at("a/file"), "x", 1, 0600, &err) == DA_OK);
	CHECK(da_store_mkdirs(at("a/file/sub"), 0700, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "Not a directory") != NULL);
	CHECK(da_store_mkdirs("", 0700, &err) == DA_ERR_IO);
}

static void test_account_dir(void)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
		{"https://acme-v02.api.letsencrypt.org/directory",
		 "accounts/acme-v02.api.letsencrypt.org/directory"},
		{"https://localhost:14000/dir", "accounts/localhost_14000/dir"},
		{"https://CA.Example/acme/v2/directory?x=1",
		 "accounts/ca.example/acme_v2_directory"},
		{"https://[::1]:8443/dir", "accounts/__1_8443/dir"},
		{"http://user@ca.example", "accounts/ca.example/_"},
		{"https://ca.example/../../etc", "accounts/ca.example/_._.._etc"},
		{"https://../x", "accounts/_./x"},
	};
	struct da_err err = {0};
	char state[512], want[1024], *dir;

	snprintf(state, sizeof(state), "%s", at("state"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "%s/%s", state, cases[i].want);
		CHECK(da_store_account_dir(state, cases[i].url, &dir, &err) == DA_OK);
		CHECK_STR(dir, want);
		CHECK(dir != NULL && mode_of(dir) == 0700);
		free(dir);
	}
	CHECK(mode_of(state) == 0700);
	CHECK(da_store_account_dir(state, "ftp://ca.example/dir", &dir, &err) == DA_ERR_CONFIG);
	CHECK(dir == NULL);
	CHECK(da_store_account_dir(state, "https:///dir", &dir, &err) == DA_ERR_CONFIG);
	CHECK_STR(err.msg, "ACME directory URL https:///dir names no host");
}

/* The account files: nothing saved reads as NULL, what is written reads
 * back (the key 0600), a killed writer's temporary file is removed on open,
 * and a second opener waits for the first to close. */
static void test_account_files(void)
{
	static const char url[] = "https://ca.example/dir";
	struct da_store_account *a = NULL, *b = NULL;
	struct da_err err = {0};
	char state[512], leftover[1024], *text = (char *)"unset";
	int status, go[2];
	pid_t child;

	snprintf(state, sizeof(state), "%s", at("acct"));
	/* Forked before the lock is taken, so the child holds no copy of it;
	 * it opens the account once told to, while we hold it. */
	if (pipe(go) != 0)
		return;
	child = fork();
	if (child == 0) {
		struct da_store_account *c = NULL;
		char byte;
		int ok;

		close(go[1]);
		ok = read(go[0], &byte, 1) == 1 && da_store_account_open(state, url, &c, NULL) == DA_OK;
		da_store_account_close(c);
		_exit(ok ? 0 : 1);
	}
	close(go[0]);
	CHECK(da_store_account_open(state, url, &a, &err) == DA_OK);
	if (a == NULL) {
		close(go[1]);
		waitpid(child, &status, 0);
		return;
	}
	CHECK(da_store_account_key_read(a, &text, &err) == DA_OK && text == NULL);
	CHECK(da_store_account_url_read(a, &text, &err) == DA_OK && text == NULL);
	CHECK(da_store_account_key_write(a, "-----BEGIN PRIVATE KEY-----\n", &err) == DA_OK);
	CHECK(da_store_account_url_write(a, "https://ca.example/acct/7", &err) == DA_OK);
	CHECK(da_store_account_key_read(a, &text, &err) == DA_OK);
	CHECK_STR(text, "-----BEGIN PRIVATE KEY-----\n");
	da_secret_free(text);
	CHECK(da_store_account_url_read(a, &text, &err) == DA_OK);
	CHECK_STR(text, "https://ca.example/acct/7");
	free(text);
	snprintf(leftover, sizeof(leftover), "%s/account.key", da_store_account_where(a));
	CHECK(mode_of(leftover) == 0600);

	CHECK(write(go[1], "x", 1) == 1);
	close(go[1]);
	usleep(200 * 1000);
	CHECK(waitpid(child, &status, WNOHANG) == 0);
	snprintf(leftover, sizeof(leftover), "%s/.account.key.tmp-12345678",
		 da_store_account_where(a));
	CHECK(da_store_write_atomic(leftover, "key", 3, 0600, &err) == DA_OK);
	da_store_account_close(a);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	CHECK(access(leftover, F_OK) != 0); /* the child's open removed it */
	CHECK(da_store_account_open(state, url, &b, &err) == DA_OK);
	da_store_account_close(b);
}

static void cert_set(struct da_cert_files *f, const char *tag, char bufs[5][64])
{
	static const char *const names[] = {"cert", "chain", "fullchain", "key", "meta"};

	for (int i = 0; i < 5; i++)
		snprintf(bufs[i], 64, "%s-%s", names[i], tag);
	f->cert_pem = bufs[0];
	f->chain_pem = bufs[1];
	f->fullchain_pem = bufs[2];
	f->privkey_pem = bufs[3];
	f->metadata_json = bufs[4];
}

/* The version directory ..data points at, or "" (static buffer). */
static const char *data_target(const char *out)
{
	static char target[256];
	char link[512];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/..data", out);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	return target;
}

static void test_certificate(void)
{
	static const char *const files[] = {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem",
					    "metadata.json"};
	struct da_err err = {0};
	struct da_cert_files f;
	char bufs[5][64], out[512], first[256], path[1024], link[256];
	struct stat st;

	snprintf(out, sizeof(out), "%s", at("certs/www"));
	/* Another tool's files are there first, and a crash's leftover. */
	CHECK(da_store_mkdirs(out, 0755, &err) == DA_OK);
	CHECK(da_store_write_atomic(at("certs/www/cert.pem"), "old", 3, 0644, &err) == DA_OK);
	CHECK(da_store_mkdirs(at("certs/www/..2020_01_01_00_00_00.deadbeef"), 0755, &err) == DA_OK);
	CHECK(da_store_write_atomic(at("certs/www/other.txt"), "keep", 4, 0644, &err) == DA_OK);

	cert_set(&f, "one", bufs);
	CHECK(da_store_write_certificate(out, &f, &err) == DA_OK);
	snprintf(first, sizeof(first), "%s", data_target(out));
	CHECK(strncmp(first, "..", 2) == 0 && strchr(first, '/') == NULL);
	for (size_t i = 0; i < 5; i++) {
		char want[64];
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", out, files[i]);
		snprintf(want, sizeof(want), "..data/%s", files[i]);
		CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		CHECK_STR(link, want);
	}
	CHECK_STR(content(at("certs/www/cert.pem")), "cert-one");
	CHECK_STR(content(at("certs/www/privkey.pem")), "key-one");
	CHECK(mode_of(at("certs/www/privkey.pem")) == 0600);
	CHECK(mode_of(at("certs/www/fullchain.pem")) == 0644);
	CHECK(access(at("certs/www/..2020_01_01_00_00_00.deadbeef"), F_OK) != 0);
	/* 5 links, ..data, the version directory, other.txt. */
	CHECK(count_entries(out) == 8);

	cert_set(&f, "two", bufs);
	CHECK(da_store_write_certificate(out, &f, &err) == DA_OK);
	CHECK(strcmp(data_target(out), first) != 0);
	snprintf(path, sizeof(path), "%s/%s", out, first);
	CHECK(access(path, F_OK) != 0); /* the first version is gone */
	CHECK_STR(content(at("certs/www/chain.pem")), "chain-two");
	CHECK_STR(content(at("certs/www/metadata.json")), "meta-two");
	CHECK(count_entries(out) == 8);
	CHECK_STR(content(at("certs/www/other.txt")), "keep");

	f.chain_pem = NULL;
	CHECK(da_store_write_certificate(out, &f, &err) == DA_ERR_USAGE);
	CHECK_STR(err.msg, "certificate output: no chain.pem given");
	CHECK(count_entries(out) == 8);
}

static int entry_is(const struct da_journal_entry *e, const char *plugin, const char *fqdn,
		    const char *zone, const char *value)
{
	return strcmp(e->plugin, plugin) == 0 && strcmp(e->fqdn, fqdn) == 0 &&
	       (zone == NULL ? e->zone == NULL : e->zone != NULL && strcmp(e->zone, zone) == 0) &&
	       strcmp(e->value, value) == 0;
}

/* The directory sink: the PEM split, metadata.json, and reading it back for
 * the "same certificate?" check (tests/data/crypto/chain.pem: a leaf for
 * example.com and *.example.com, then its intermediate). */
static void test_dir_sink(void)
{
	const char *names[] = {"example.com", "*.example.com"};
	const char *swapped[] = {"*.example.com", "EXAMPLE.com"};
	const char *fewer[] = {"example.com"};
	const char *ca = "https://ca.test/directory";
	char *fullchain = NULL, *text = NULL;
	const char *second;
	struct da_chain *chain = NULL;
	struct da_sink *sink = NULL;
	struct da_cert_stored *stored = NULL;
	struct da_err err = {0};
	struct stat st;
	size_t len;

	CHECK(da_file_read("crypto/chain.pem", DA_FILE_READ_MAX, &fullchain, &len, &err) == DA_OK);
	CHECK(fullchain != NULL && da_crypto_chain_parse(fullchain, &chain, &err) == DA_OK);
	if (chain == NULL)
		return;
	second = strstr(fullchain + 1, "-----BEGIN CERTIFICATE-----");
	CHECK(da_store_sink_dir_open(at("sink/out"), &sink, &err) == DA_OK);
	CHECK(stat(at("sink/out"), &st) == 0 && S_ISDIR(st.st_mode)); /* made at open */
	CHECK(da_store_sink_read(sink, &stored, &err) == DA_OK && stored == NULL);

	const struct da_cert_out cert = {.fullchain_pem = fullchain, .key_pem = "KEY\n",
					 .chain = chain, .names = names, .n_names = 2,
					 .ca = ca, .key_type = DA_KEY_EC384};
	CHECK(da_store_sink_write(sink, &cert, &err) == DA_OK);
	CHECK(da_file_read(at("sink/out/chain.pem"), DA_FILE_READ_MAX, &text, &len, &err) == DA_OK);
	CHECK_STR(text, second);
	free(text);
	CHECK(da_file_read(at("sink/out/cert.pem"), DA_FILE_READ_MAX, &text, &len, &err) == DA_OK);
	CHECK(text != NULL && second != NULL && len == (size_t)(second - fullchain) &&
	      strncmp(text, fullchain, len) == 0);
	free(text);
	CHECK(stat(at("sink/out/privkey.pem"), &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(da_file_read(at("sink/out/metadata.json"), DA_FILE_READ_MAX, &text, &len, &err) ==
	      DA_OK);
	CHECK(text != NULL && strstr(text, "\"names\": [\n    \"example.com\",\n    \"*.example.com\"") &&
	      strstr(text, "\"ca\": \"https://ca.test/directory\"") &&
	      strstr(text, "\"key_type\": \"ec384\"") &&
	      strstr(text, "\"not_after\": \"2027-02-26T16:11:36Z\"") &&
	      strstr(text, "\"ari_id\": \"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE\""));
	free(text);

	CHECK(da_store_sink_read(sink, &stored, &err) == DA_OK && stored != NULL);
	if (stored != NULL) {
		CHECK(stored->chain->certs[0].not_after == 1803658296);
		CHECK(da_store_cert_matches(stored, names, 2, ca, DA_KEY_EC384));
		CHECK(da_store_cert_matches(stored, swapped, 2, ca, DA_KEY_EC384));
		CHECK(!da_store_cert_matches(stored, fewer, 1, ca, DA_KEY_EC384));
		CHECK(!da_store_cert_matches(stored, names, 2, "https://other.test/dir",
					     DA_KEY_EC384));
		CHECK(!da_store_cert_matches(stored, names, 2, ca, DA_KEY_EC256));
	}
	da_store_cert_free(stored);
	stored = NULL;
	/* A damaged certificate is no certificate: issued anew, not an error. */
	CHECK(da_store_write_atomic(at("sink/out/..data/cert.pem"), "junk", 4, 0644, &err) == DA_OK);
	CHECK(da_store_sink_read(sink, &stored, &err) == DA_OK && stored == NULL);
	da_store_sink_free(sink);

	/* A path that cannot be a directory fails at open, before any order. */
	CHECK(da_store_write_atomic(at("sink/file"), "x", 1, 0644, &err) == DA_OK);
	CHECK(da_store_sink_dir_open(at("sink/file/out"), &sink, &err) == DA_ERR_IO);
	da_store_sink_free(sink);
	da_crypto_chain_free(chain);
	free(fullchain);
}

static void test_journal(void)
{
	const struct dnsacme_record a[] = {
		{"_acme-challenge.example.com", "example.com", "wildcard-value-wildcard-value-wildcard-valu", 0},
		{"_acme-challenge.example.com", "example.com", "apex-value-apex-value-apex-value-apex-value", 0},
	};
	const struct dnsacme_record b[] = {{"_acme-challenge.other.net", NULL, "b-value-b-value-b-value-b-value-b-value-b-v", 0}};
	static const char incomplete[] = "{\"version\":1,\"entries\":[{\"plugin\":1}]}";
	static const char planted[] =
		"{\"version\":1,\"entries\":[{\"plugin\":\"rfc2136\",\"fqdn\":\"example.com\","
		"\"value\":\"v=spf1 include:_spf.example.com ~all\"}]}";
	const struct dnsacme_record spf[] = {{"example.com", NULL, "v=spf1 -all", 0}};
	int lock = -1, exclusive = 0;
	struct da_journal *j = NULL;
	struct da_err err = {0};
	char state[512], journal[600];

	snprintf(state, sizeof(state), "%s", at("jstate/deeper"));
	snprintf(journal, sizeof(journal), "%s/journal.json", state);

	CHECK(da_store_journal_load(state, &j, &err) == DA_OK); /* no state dir yet */
	CHECK(j != NULL && j->n == 0);
	da_store_journal_free(j);

	CHECK(da_store_journal_add(state, "rfc2136", a, 2, &err) == DA_OK);
	CHECK(da_store_journal_add(state, "route53", b, 1, &err) == DA_OK);
	CHECK(da_store_journal_add(state, "rfc2136", a, 1, &err) == DA_OK); /* already there */
	CHECK(mode_of(journal) == 0600);
	CHECK(mode_of(state) == 0700);
	CHECK(da_store_journal_load(state, &j, &err) == DA_OK);
	CHECK(j != NULL && j->n == 3);
	if (j != NULL && j->n == 3) {
		CHECK(entry_is(&j->entries[0], "rfc2136", a[0].fqdn, "example.com",
			       "wildcard-value-wildcard-value-wildcard-valu"));
		CHECK(entry_is(&j->entries[1], "rfc2136", a[1].fqdn, "example.com", "apex-value-apex-value-apex-value-apex-value"));
		CHECK(entry_is(&j->entries[2], "route53", b[0].fqdn, NULL, "b-value-b-value-b-value-b-value-b-value-b-v"));
	}
	da_store_journal_free(j);

	/* The same record under another plugin is not that plugin's. */
	CHECK(da_store_journal_remove(state, "route53", a, 1, &err) == DA_OK);
	CHECK(da_store_journal_remove(state, "rfc2136", a + 1, 1, &err) == DA_OK);
	CHECK(da_store_journal_load(state, &j, &err) == DA_OK);
	CHECK(j != NULL && j->n == 2);
	if (j != NULL && j->n == 2) {
		CHECK(entry_is(&j->entries[0], "rfc2136", a[0].fqdn, "example.com",
			       "wildcard-value-wildcard-value-wildcard-valu"));
		CHECK(entry_is(&j->entries[1], "route53", b[0].fqdn, NULL, "b-value-b-value-b-value-b-value-b-value-b-v"));
	}
	da_store_journal_free(j);

	CHECK(da_store_journal_remove(state, "route53", b, 1, &err) == DA_OK);
	CHECK(da_store_journal_remove(state, "rfc2136", a, 2, &err) == DA_OK);
	CHECK(access(journal, F_OK) != 0); /* empty: the file is gone */
	CHECK(da_store_journal_load(state, &j, &err) == DA_OK);
	CHECK(j != NULL && j->n == 0);
	da_store_journal_free(j);

	/* A damaged journal is reported, not silently replaced. */
	CHECK(da_store_write_atomic(journal, incomplete, strlen(incomplete), 0600, &err) == DA_OK);
	CHECK(da_store_journal_load(state, &j, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "is corrupt: entry 0 is incomplete; move it aside") != NULL);
	CHECK(da_store_journal_add(state, "rfc2136", a, 1, &err) == DA_ERR_IO);
	CHECK(da_store_write_atomic(journal, "{not json", 9, 0600, &err) == DA_OK);
	CHECK(da_store_journal_load(state, &j, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "is corrupt: line 1") != NULL);

	/* Only DNS-01 values: a planted SPF record is never taken for ours. */
	CHECK(da_store_write_atomic(journal, planted, strlen(planted), 0600, &err) == DA_OK);
	CHECK(da_store_journal_load(state, &j, &err) == DA_ERR_IO);
	CHECK(strstr(err.msg, "entry 0 is no DNS-01 value") != NULL);
	CHECK(da_store_journal_add(state, "rfc2136", spf, 1, &err) == DA_ERR_USAGE);
	unlink(journal);

	/* A state dir others can write is refused before it is read. */
	CHECK(chmod(state, 0770) == 0);
	CHECK(da_store_journal_load(state, &j, &err) == DA_ERR_CONFIG);
	CHECK(strstr(err.msg, "is writable by its group") != NULL);
	CHECK(da_store_journal_add(state, "rfc2136", a, 1, &err) == DA_ERR_CONFIG);
	CHECK(chmod(state, 0702) == 0);
	CHECK(da_store_journal_run_lock(state, &lock, &exclusive, &err) == DA_ERR_CONFIG);
	CHECK(strstr(err.msg, "is writable by everyone") != NULL);
	CHECK(chmod(state, 0700) == 0);
}

/* Processes adding at once lose nothing: the lock serialises them. */
static void test_journal_concurrent(void)
{
	enum { WRITERS = 4, EACH = 10 };
	char state[512];
	struct da_journal *j = NULL;
	struct da_err err = {0};
	int ok = 1;

	snprintf(state, sizeof(state), "%s", at("shared"));
	for (int w = 0; w < WRITERS; w++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (int i = 0; i < EACH; i++) {
				char value[44];
				struct dnsacme_record r = {"_acme-challenge.example.com", NULL,
							   value, 0};

				/* DNS-01 shaped: 43 characters of base64url. */
				snprintf(value, sizeof(value), "writer%d-%02d-%032d", w, i, 0);
				if (da_store_journal_add(state, "rfc2136", &r, 1, &err) != DA_OK)
					_exit(1);
			}
			_exit(0);
		}
		CHECK(pid > 0);
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 1;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK(da_store_journal_load(state, &j, &err) == DA_OK);
	CHECK(j != NULL && j->n == WRITERS * EACH);
	da_store_journal_free(j);
}

/* A run that starts while another is in flight leaves the journal alone;
 * the first run to start after every other has ended cleans it. */
static void test_run_lock(void)
{
	char state[512];
	struct da_err err = {0};
	int first = -1, second = -1, third = -1, exclusive = 0;

	snprintf(state, sizeof(state), "%s", at("runs/state"));
	CHECK(da_store_journal_run_lock(state, &first, &exclusive, &err) == DA_OK);
	CHECK(first >= 0 && exclusive);
	CHECK(mode_of(state) == 0700);
	CHECK(first >= 0 && da_store_journal_run_share(first, &err) == DA_OK);
	/* flock(2) locks belong to open files: a second open conflicts like
	 * another process would. */
	CHECK(da_store_journal_run_lock(state, &second, &exclusive, &err) == DA_OK);
	CHECK(second >= 0 && !exclusive);
	if (first >= 0)
		close(first);
	CHECK(da_store_journal_run_lock(state, &third, &exclusive, &err) == DA_OK);
	CHECK(third >= 0 && !exclusive);
	if (second >= 0)
		close(second);
	if (third >= 0)
		close(third);
	CHECK(da_store_journal_run_lock(state, &first, &exclusive, &err) == DA_OK);
	CHECK(first >= 0 && exclusive);
	if (first >= 0)
		close(first);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The two books: records by name, sorted; a missing one is no error. */
static void test_renewal_books(void)
{
	struct da_err err;
	char **names = NULL, *json = NULL;
	size_t n = 9;
	struct stat st;

	CHECK(da_store_renewal_list(at("books"), &names, &n, &err) == DA_OK && n == 0);
	CHECK(da_store_renewal_write(at("books"), "*.b.example", "{\"b\":1}", &err) == DA_OK);
	CHECK(da_store_renewal_write(at("books"), "a.example", "{}", &err) == DA_OK);
	CHECK(da_store_renew_state_write(at("books"), "a.example", "{\"s\":1}", &err) == DA_OK);
	CHECK(da_store_write_atomic(at("books/renewal/.half.json"), "x", 1, 0600, &err) == DA_OK);
	CHECK(da_store_write_atomic(at("books/renewal/notes.txt"), "x", 1, 0600, &err) == DA_OK);
	CHECK(da_store_renewal_list(at("books"), &names, &n, &err) == DA_OK);
	CHECK(n == 2);
	CHECK_STR(n == 2 ? names[0] : NULL, "a.example");
	CHECK_STR(n == 2 ? names[1] : NULL, "b.example");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	CHECK(da_store_renewal_read(at("books"), "b.example", &json, &err) == DA_OK);
	CHECK_STR(json, "{\"b\":1}");
	free(json);
	CHECK(da_store_renew_state_read(at("books"), "a.example", &json, &err) == DA_OK);
	CHECK_STR(json, "{\"s\":1}");
	free(json);
	CHECK(da_store_renew_state_read(at("books"), "b.example", &json, &err) == DA_OK);
	CHECK(json == NULL);
	CHECK(stat(at("books/renew-state/a.example.json"), &st) == 0 &&
	      (st.st_mode & 0777) == 0600);
	CHECK(da_store_renewal_read(at("books"), "../x", &json, &err) == DA_ERR_USAGE);
}

int main(void)
{
	umask(022);
	if (mkdtemp(scratch) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_atomic_write();
	test_mkdirs();
	test_account_dir();
	test_account_files();
	test_certificate();
	test_dir_sink();
	test_journal();
	test_journal_concurrent();
	test_run_lock();
	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	test_renewal_books();
	return check_report();
}
