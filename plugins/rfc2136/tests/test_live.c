/*
 * rfc2136 against a real BIND 9: starts a throwaway named (tests/unit/named.h)
 * with a TSIG-guarded zone (update-policy zonesub TXT), drives the plugin
 * through its descriptor, and reads the zone back with dig. Fails when named
 * or dig is missing (scripts/setup.sh installs them).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_host.h"
#include "named.h"

#define SECRET "AJdDlD27LaSLlX0SbhHNXatUjZTt31yOHul6ZoB9ZFI="
#define WRONG_SECRET "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0NTY="
#define BATCH 100

/* The zone is a file of named's own directory: updates journal beside it. */
static const char named_conf[] =
	"key \"acme-update.\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
	"zone \"example.com\" {\n"
	"\ttype primary;\n"
	"\tfile \"db.example.com\";\n"
	"\tupdate-policy { grant acme-update. zonesub TXT; };\n"
	"};\n";
static const char *const named_files[] = {
	"db.example.com",
	"$TTL 300\n"
	"@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60\n"
	"@ IN NS ns.example.com.\n"
	"ns IN A 127.0.0.1\n",
	NULL,
};

/* What every test here drives and reads back with. */
struct live {
	const struct dnsacme_provider *p;
	struct test_named named;
	const char *dig; /* the tool's path */
};

/* dig's short answer for name/type from our named, into out. */
static void dig(const struct live *t, const char *name, const char *type, char *out,
		size_t size)
{
	char cmd[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s +short +norec +time=2 +tries=1 -p %d @127.0.0.1 %s %s",
		 t->dig, t->named.port, name, type);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p == NULL)
		return;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void test_update_cycle(const struct live *t)
{
	const struct dnsacme_provider *p = t->p;
	char server[64], out[2048];
	const char *const config[] = {"nameserver", server, "tsig_key", "acme-update.",
				      "tsig_secret", SECRET, NULL};
	/* The apex and its wildcard share one name; www comes with a zone hint,
	 * the others are found by the SOA walk. All go in one UPDATE. */
	const struct dnsacme_record two[] = {
		{"_acme-challenge.example.com", NULL, "value-one", 0},
		{"_acme-challenge.example.com", NULL, "value-two", 0},
		{"_acme-challenge.www.example.com", "example.com", "value-www", 30},
	};
	struct fake_host fh;
	void *state = NULL;

	snprintf(server, sizeof(server), "127.0.0.1:%d", t->named.port);
	fake_host_init(&fh, config);
	fh.count_pattern = "UPDATE zone example.com";
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state == NULL) {
		fprintf(stderr, "open: %s\n", fh.error);
		return;
	}
	CHECK(p->present(state, two, 3) == DNSACME_OK);
	CHECK(fh.count == 1);
	dig(t, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK(strstr(out, "\"value-one\"") && strstr(out, "\"value-two\"") &&
	      count_lines(out) == 2);
	dig(t, "_acme-challenge.www.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "\"value-www\"\n");
	CHECK(p->present(state, two, 2) == DNSACME_OK); /* already there: still success */

	CHECK(p->cleanup(state, &two[0], 1) == DNSACME_OK);
	dig(t, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "\"value-two\"\n");
	CHECK(p->cleanup(state, &two[1], 2) == DNSACME_OK);
	dig(t, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	dig(t, "_acme-challenge.www.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	CHECK(p->cleanup(state, two, 3) == DNSACME_OK); /* nothing left to delete: fine */
	CHECK(fh.count == 5);
	p->close(state);
}

/* 100 records in one UPDATE (about 6 KB): sent over TCP. */
static void test_batch(const struct live *t)
{
	const struct dnsacme_provider *p = t->p;
	char server[64], out[256], names[BATCH][64], values[BATCH][48];
	const char *const config[] = {"nameserver", server, "tsig_key", "acme-update",
				      "tsig_secret", SECRET, "zone", "example.com.", NULL};
	struct dnsacme_record records[BATCH];
	struct fake_host fh;
	void *state = NULL;

	snprintf(server, sizeof(server), "127.0.0.1:%d", t->named.port);
	for (int i = 0; i < BATCH; i++) {
		snprintf(names[i], sizeof(names[i]), "_acme-challenge.host%d.example.com", i);
		snprintf(values[i], sizeof(values[i]), "batch-value-%d", i);
		records[i] = (struct dnsacme_record){names[i], NULL, values[i], 0};
	}
	fake_host_init(&fh, config);
	fh.count_pattern = "UPDATE zone example.com";
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state == NULL)
		return;
	CHECK(p->present(state, records, BATCH) == DNSACME_OK);
	CHECK(fh.count == 1);
	dig(t, names[0], "TXT", out, sizeof(out));
	CHECK_STR(out, "\"batch-value-0\"\n");
	dig(t, names[BATCH - 1], "TXT", out, sizeof(out));
	CHECK_STR(out, "\"batch-value-99\"\n");
	CHECK(p->cleanup(state, records, BATCH) == DNSACME_OK);
	dig(t, names[BATCH - 1], "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	p->close(state);
}

static void test_failures(const struct live *t)
{
	const struct dnsacme_provider *p = t->p;
	char server[64], out[256], want[256];
	const char *const wrong[] = {"nameserver", server, "tsig_key", "acme-update.",
				     "tsig_secret", WRONG_SECRET, NULL};
	const char *const good[] = {"nameserver", server, "tsig_key", "acme-update.",
				    "tsig_secret", SECRET, NULL};
	const char *const other_zone[] = {"nameserver", server, "tsig_key", "acme-update.",
					  "tsig_secret", SECRET, "zone", "example.org", NULL};
	const struct dnsacme_record rec = {"_acme-challenge.example.com", NULL, "x", 0};
	const struct dnsacme_record org = {"_acme-challenge.example.org", NULL, "x", 0};
	struct fake_host fh;
	void *state = NULL;

	snprintf(server, sizeof(server), "127.0.0.1:%d", t->named.port);
	fake_host_init(&fh, wrong);
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state != NULL) {
		CHECK(p->present(state, &rec, 1) == DNSACME_ERR_AUTH);
		snprintf(want, sizeof(want),
			 "wrong TSIG secret or algorithm for key acme-update (server %s answered "
			 "BADSIG)",
			 server);
		CHECK_STR(fh.error, want);
		p->close(state);
	}
	dig(t, rec.fqdn, "TXT", out, sizeof(out));
	CHECK_STR(out, "");

	state = NULL;
	fake_host_init(&fh, other_zone);
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state != NULL) {
		CHECK(p->present(state, &org, 1) == DNSACME_ERR_DENIED);
		CHECK(strstr(fh.error, "is not authoritative for zone example.org (NOTAUTH)") !=
		      NULL);
		p->close(state);
	}

	/* No zone hint, no zone option, and no zone at the server. */
	state = NULL;
	fake_host_init(&fh, good);
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state != NULL) {
		CHECK(p->present(state, &org, 1) == DNSACME_ERR_API);
		CHECK(strstr(fh.error, "has no zone holding _acme-challenge.example.org") != NULL);
		p->close(state);
	}
}

int main(void)
{
	static const char *const digs[] = {"/usr/bin/dig", "/usr/local/bin/dig", NULL};
	struct live t = {0};
	time_t start = time(NULL);

	for (const char *const *d = digs; *d != NULL && t.dig == NULL; d++)
		if (access(*d, X_OK) == 0)
			t.dig = *d;
	if (t.dig == NULL) {
		fprintf(stderr, "needs dig (dnsutils)\n");
		return 1;
	}
	t.p = fake_host_load(R2_PLUGIN);
	if (t.p == NULL || test_named_start(&t.named, named_conf, named_files) != 0)
		return 1; /* they said why */
	test_update_cycle(&t);
	test_batch(&t);
	test_failures(&t);
	test_named_stop(&t.named);
	CHECK(time(NULL) - start < 15);
	return check_report();
}
