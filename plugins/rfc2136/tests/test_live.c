/*
 * rfc2136 against a real BIND 9: starts named on 127.0.0.1 at a free high
 * port with a TSIG-guarded zone (update-policy zonesub TXT), drives the
 * plugin through its descriptor, and reads the zone back with dig.
 * Fails when named or dig is missing (scripts/setup.sh installs them). named dies with us
 * (PR_SET_PDEATHSIG) even if this test crashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_host.h"

#define SECRET "AJdDlD27LaSLlX0SbhHNXatUjZTt31yOHul6ZoB9ZFI="
#define WRONG_SECRET "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0NTY="
#define BATCH 100

static char dir[] = "/tmp/rfc2136-live-XXXXXX";
static unsigned port;
static pid_t named_pid = -1;

static const char *find_tool(const char *const *paths)
{
	for (; *paths != NULL; paths++)
		if (access(*paths, X_OK) == 0)
			return *paths;
	return NULL;
}

/* A port free for both UDP and TCP on 127.0.0.1. */
static unsigned free_port(void)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(a);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
		unsigned p = 0;

		if (bind(u, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(u, (struct sockaddr *)&a, &len) == 0 &&
		    bind(t, (struct sockaddr *)&a, sizeof(a)) == 0)
			p = ntohs(a.sin_port);
		close(u);
		close(t);
		if (p != 0)
			return p;
	}
	return 0;
}

static int write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int write_config(void)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "options {\n"
		 "\tdirectory \"%s\";\n"
		 "\tpid-file \"%s/named.pid\";\n"
		 "\tsession-keyfile \"%s/session.key\";\n"
		 "\tlisten-on port %u { 127.0.0.1; };\n"
		 "\tlisten-on-v6 { none; };\n"
		 "\trecursion no;\n"
		 "\tdnssec-validation no;\n"
		 "\tnotify no;\n"
		 "};\n"
		 "controls { };\n"
		 "key \"acme-update.\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
		 "zone \"example.com\" {\n"
		 "\ttype primary;\n"
		 "\tfile \"db.example.com\";\n"
		 "\tupdate-policy { grant acme-update. zonesub TXT; };\n"
		 "};\n",
		 dir, dir, dir, port);
	if (write_file("named.conf", conf) != 0)
		return -1;
	return write_file("db.example.com",
			  "$TTL 300\n"
			  "@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60\n"
			  "@ IN NS ns.example.com.\n"
			  "ns IN A 127.0.0.1\n");
}

static pid_t start_named(const char *named)
{
	char conf[512], log[512];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/named.conf", dir);
	snprintf(log, sizeof(log), "%s/named.log", dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(named, "named", "-g", "-n", "1", "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_named(void)
{
	if (named_pid <= 0)
		return;
	kill(named_pid, SIGTERM);
	for (int i = 0; i < 30; i++) {
		if (waitpid(named_pid, NULL, WNOHANG) == named_pid) {
			named_pid = -1;
			return;
		}
		usleep(100000);
	}
	kill(named_pid, SIGKILL);
	waitpid(named_pid, NULL, 0);
	named_pid = -1;
}

/* dig's short answer for name/type from our named, into out. */
static void dig(const char *tool, const char *name, const char *type, char *out, size_t size)
{
	char cmd[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s +short +norec +time=2 +tries=1 -p %u @127.0.0.1 %s %s",
		 tool, port, name, type);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p == NULL)
		return;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	pclose(p);
}

static int wait_ready(const char *dig_tool)
{
	char out[256];

	for (int i = 0; i < 50; i++) {
		dig(dig_tool, "example.com", "SOA", out, sizeof(out));
		if (strstr(out, "ns.example.com.") != NULL)
			return 0;
		if (waitpid(named_pid, NULL, WNOHANG) == named_pid) {
			named_pid = -1;
			return -1;
		}
		usleep(100000);
	}
	return -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void test_update_cycle(const struct dnsacme_provider *p, const char *dig_tool)
{
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

	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	fake_host_init(&fh, config);
	fh.count_pattern = "UPDATE zone example.com";
	CHECK(p->open(&fh.host, &state) == DNSACME_OK);
	if (state == NULL) {
		fprintf(stderr, "open: %s\n", fh.error);
		return;
	}
	CHECK(p->present(state, two, 3) == DNSACME_OK);
	CHECK(fh.count == 1);
	dig(dig_tool, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK(strstr(out, "\"value-one\"") && strstr(out, "\"value-two\"") &&
	      count_lines(out) == 2);
	dig(dig_tool, "_acme-challenge.www.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "\"value-www\"\n");
	CHECK(p->present(state, two, 2) == DNSACME_OK); /* already there: still success */

	CHECK(p->cleanup(state, &two[0], 1) == DNSACME_OK);
	dig(dig_tool, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "\"value-two\"\n");
	CHECK(p->cleanup(state, &two[1], 2) == DNSACME_OK);
	dig(dig_tool, "_acme-challenge.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	dig(dig_tool, "_acme-challenge.www.example.com", "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	CHECK(p->cleanup(state, two, 3) == DNSACME_OK); /* nothing left to delete: fine */
	CHECK(fh.count == 5);
	p->close(state);
}

/* 100 records in one UPDATE (about 6 KB): sent over TCP. */
static void test_batch(const struct dnsacme_provider *p, const char *dig_tool)
{
	char server[64], out[256], names[BATCH][64], values[BATCH][48];
	const char *const config[] = {"nameserver", server, "tsig_key", "acme-update",
				      "tsig_secret", SECRET, "zone", "example.com.", NULL};
	struct dnsacme_record records[BATCH];
	struct fake_host fh;
	void *state = NULL;

	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
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
	dig(dig_tool, names[0], "TXT", out, sizeof(out));
	CHECK_STR(out, "\"batch-value-0\"\n");
	dig(dig_tool, names[BATCH - 1], "TXT", out, sizeof(out));
	CHECK_STR(out, "\"batch-value-99\"\n");
	CHECK(p->cleanup(state, records, BATCH) == DNSACME_OK);
	dig(dig_tool, names[BATCH - 1], "TXT", out, sizeof(out));
	CHECK_STR(out, "");
	p->close(state);
}

static void test_failures(const struct dnsacme_provider *p, const char *dig_tool)
{
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

	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
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
	dig(dig_tool, rec.fqdn, "TXT", out, sizeof(out));
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
	static const char *const nameds[] = {"/usr/sbin/named", "/usr/local/sbin/named", NULL};
	static const char *const digs[] = {"/usr/bin/dig", "/usr/local/bin/dig", NULL};
	const char *named = find_tool(nameds), *dig_tool = find_tool(digs);
	const struct dnsacme_provider *p;
	time_t start = time(NULL);

	if (named == NULL || dig_tool == NULL) {
		fprintf(stderr, "needs named (bind9) and dig (dnsutils)\n");
		return 1;
	}
	p = fake_host_load(R2_PLUGIN);
	port = free_port();
	if (p == NULL || port == 0 || mkdtemp(dir) == NULL || write_config() != 0) {
		fprintf(stderr, "setup failed: %s\n", strerror(errno));
		return 1;
	}
	named_pid = start_named(named);
	if (named_pid < 0 || wait_ready(dig_tool) != 0) {
		char cmd[600];

		fprintf(stderr, "named did not start; its log:\n");
		snprintf(cmd, sizeof(cmd), "cat %s/named.log >&2", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
		CHECK(0);
	} else {
		test_update_cycle(p, dig_tool);
		test_batch(p, dig_tool);
		test_failures(p, dig_tool);
	}
	stop_named();
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	CHECK(time(NULL) - start < 15);
	return check_report();
}
