/*
 * core/dns against a real BIND9: the test starts its own named on a free
 * high port of 127.0.0.1 and ::1, serving the zones in tests/data/dns, and stops it
 * at the end. Discovery runs through it as the resolver (it answers for its
 * own zones with recursion off); propagation polls it directly through
 * cfg.propagation_nameservers, since the NS addresses use port 53.
 * Fails when named is not installed (scripts/setup.sh installs bind9).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dns/dns.h"

#define NAMED "/usr/sbin/named"

struct named {
	pid_t pid;
	int port;
	char dir[64];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Can a socket of type bind port on addr? */
static int port_free_on(int family, int type, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(family, type, 0), ok;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A port free for UDP and TCP on both loopback addresses, or -1. */
static int pick_port(void)
{
	srand((unsigned)getpid() ^ (unsigned)now_ms());
	for (int i = 0; i < 50; i++) {
		int port = 20000 + rand() % 30000;

		if (port_free_on(AF_INET, SOCK_DGRAM, port) &&
		    port_free_on(AF_INET, SOCK_STREAM, port) &&
		    port_free_on(AF_INET6, SOCK_DGRAM, port) &&
		    port_free_on(AF_INET6, SOCK_STREAM, port))
			return port;
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

static void named_stop(struct named *n)
{
	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		waitpid(n->pid, NULL, 0);
		n->pid = 0;
	}
	if (n->dir[0] != '\0')
		nftw(n->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int write_conf(const struct named *n, const char *path)
{
	char cwd[PATH_MAX];
	FILE *f;

	if (getcwd(cwd, sizeof(cwd)) == NULL || (f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
		"options {\n"
		"\tdirectory \"%1$s\";\n"
		"\tpid-file \"%1$s/named.pid\";\n"
		"\tsession-keyfile \"%1$s/session.key\";\n"
		"\tmanaged-keys-directory \"%1$s\";\n"
		"\tlisten-on port %2$d { 127.0.0.1; };\n"
		"\tlisten-on-v6 port %2$d { ::1; };\n"
		"\trecursion no;\n"
		"\tdnssec-validation no;\n"
		"\tnotify no;\n"
		"\tquerylog yes;\n"
		"};\n"
		"controls { };\n"
		"zone \"example.test\" { type primary; file \"%3$s/dns/example.test.zone\"; };\n"
		"zone \"sub.example.test\" { type primary; "
		"file \"%3$s/dns/sub.example.test.zone\"; };\n",
		n->dir, n->port, cwd);
	return fclose(f) == 0 ? 0 : -1;
}

/* How often needle occurs in named's log (its query log included). */
static int log_count(const char *log_path, const char *needle)
{
	FILE *f = fopen(log_path, "r");
	char line[1024];
	int count = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		count += strstr(line, needle) != NULL;
	fclose(f);
	return count;
}

/* Queries named logged for "NAME IN TXT ..." from one server address. */
static int queries(const struct named *n, const char *what, const char *server)
{
	char log_path[128], needle[256];

	snprintf(log_path, sizeof(log_path), "%s/named.log", n->dir);
	snprintf(needle, sizeof(needle), "query: %s (%s)", what, server);
	return log_count(log_path, needle);
}

static int named_start(struct named *n)
{
	char conf[128], log_path[128];
	long long give_up;

	snprintf(n->dir, sizeof(n->dir), "/tmp/dnsacme-dns-test-XXXXXX");
	if (mkdtemp(n->dir) == NULL || (n->port = pick_port()) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/named.conf", n->dir);
	snprintf(log_path, sizeof(log_path), "%s/named.log", n->dir);
	if (write_conf(n, conf) != 0)
		return -1;
	n->pid = fork();
	if (n->pid < 0)
		return -1;
	if (n->pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* named must not outlive a test that crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(NAMED, "named", "-g", "-n", "1", "-c", conf, (char *)NULL);
		_exit(127);
	}
	give_up = now_ms() + 10000;
	while (now_ms() < give_up) {
		if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
			n->pid = 0;
			break;
		}
		if (log_count(log_path, " running\n") > 0)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "named did not start; its log is %s\n", log_path);
	n->dir[0] = '\0'; /* keep the log for a look */
	return -1;
}

static void test_discovery(const struct named *n, struct da_log *log)
{
	char resolvers[64];
	struct da_dns_config cfg = {.resolvers = resolvers, .query_timeout_ms = 1000};
	const struct da_dns_zone *zone = NULL, *again = NULL, *sub = NULL;
	struct da_dns *dns;
	struct da_err err;
	char *target;

	snprintf(resolvers, sizeof(resolvers), "127.0.0.1:%d", n->port);
	CHECK(da_dns_new(&dns, &cfg, log, NULL, &err) == DA_OK);

	CHECK(da_dns_follow_cname(dns, "_acme-challenge.a.example.test", &target, &err) == DA_OK);
	CHECK_STR(target, "_acme-challenge.a.example.test");
	free(target);
	CHECK(da_dns_follow_cname(dns, "_acme-challenge.ALIAS.example.test.", &target, &err) ==
	      DA_OK);
	CHECK_STR(target, "_acme-challenge.x.sub.example.test");
	free(target);
	CHECK(da_dns_follow_cname(dns, "_acme-challenge.nx.example.test", &target, &err) ==
	      DA_OK);
	CHECK_STR(target, "_acme-challenge.nx.example.test");
	free(target);
	CHECK(da_dns_follow_cname(dns, "loop1.example.test", &target, &err) == DA_ERR_DNS);
	CHECK(target == NULL && strstr(err.msg, "CNAME loop") != NULL);

	/* NXDOMAIN: the authority section's SOA names the zone. */
	CHECK(da_dns_find_zone(dns, "_acme-challenge.nx.example.test", &zone, &err) == DA_OK);
	CHECK(zone != NULL);
	if (zone != NULL) {
		CHECK_STR(zone->name, "example.test");
		CHECK(zone->n_servers == 3);
		if (zone->n_servers == 3) {
			const struct sockaddr_in6 *v6 =
				(const struct sockaddr_in6 *)&zone->servers[1].addr;

			CHECK_STR(zone->servers[0].label, "ns1.example.test (127.0.0.1)");
			CHECK_STR(zone->servers[1].label, "ns1.example.test (::1)");
			CHECK_STR(zone->servers[2].label, "ns2.example.test (127.0.0.2)");
			CHECK(v6->sin6_family == AF_INET6 && ntohs(v6->sin6_port) == 53);
		}
	}
	/* Cached: another name of the zone, and the apex (answer-section SOA). */
	CHECK(da_dns_find_zone(dns, "_acme-challenge.a.example.test", &again, &err) == DA_OK);
	CHECK(again == zone);
	CHECK(da_dns_find_zone(dns, "Example.Test.", &again, &err) == DA_OK);
	CHECK(again == zone);
	CHECK(da_dns_find_zone(dns, "_acme-challenge.x.sub.example.test", &sub, &err) == DA_OK);
	CHECK(sub != NULL && sub != zone);
	if (sub != NULL) {
		CHECK_STR(sub->name, "sub.example.test");
		CHECK(sub->n_servers == 2);
	}
	CHECK(da_dns_find_zone(dns, "www.nope.invalid", &again, &err) == DA_ERR_DNS);
	CHECK(again == NULL && strncmp(err.msg, "zone of www.nope.invalid: SOA lookup", 36) == 0);
	da_dns_free(dns);
}

struct ready_log {
	int count[8];
	long long at[8];
};

static void on_ready(void *arg, size_t index)
{
	struct ready_log *r = arg;

	r->count[index]++;
	r->at[index] = now_ms();
}

static void test_propagation(const struct named *n, struct da_log *log)
{
	char servers[64], want[128];
	struct da_dns_config cfg = {.resolvers = servers, .propagation_nameservers = servers};
	const struct da_dns_zone *zone = NULL, *sub = NULL;
	struct ready_log r = {0};
	volatile sig_atomic_t stop = 0;
	struct da_dns *dns;
	struct da_err err;
	long long start;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d,[::1]:%d", n->port, n->port);
	CHECK(da_dns_new(&dns, &cfg, log, &stop, &err) == DA_OK);
	CHECK(da_dns_find_zone(dns, "_acme-challenge.a.example.test", &zone, &err) == DA_OK);
	CHECK(da_dns_find_zone(dns, "_acme-challenge.x.sub.example.test", &sub, &err) == DA_OK);
	if (zone == NULL || sub == NULL) {
		da_dns_free(dns);
		return;
	}
	/* With overrides, exactly those addresses. */
	CHECK(zone->n_servers == 2 && sub->n_servers == 2);
	snprintf(want, sizeof(want), "[::1]:%d", n->port);
	CHECK_STR(zone->servers[1].label, want);

	const struct da_dns_check present[] = {
		{"_acme-challenge.a.example.test", "value-a", zone},
		{"_acme-challenge.b.example.test", "value-b2", zone},
		{"_acme-challenge.b.example.test", "value-b1", zone},
		{"_acme-challenge.split.example.test", "first-half-second-half", zone},
		{"_acme-challenge.big.example.test", "value-big", zone}, /* over TCP */
		{"_acme-challenge.x.sub.example.test", "value-x", sub},
	};
	start = now_ms();
	CHECK(da_dns_propagation_wait(dns, present, 6, 5, on_ready, &r, &err) == DA_OK);
	CHECK(now_ms() - start < 2000);
	for (int i = 0; i < 6; i++)
		CHECK(r.count[i] == 1);
	/* named's query log: no recursion desired ('-'), EDNS0 ("E(0)"); one
	 * query per server for a name two checks share; TCP ('T') after the
	 * truncated UDP answer for the big RRset. */
	CHECK(queries(n, "_acme-challenge.b.example.test IN TXT -E(0)", "127.0.0.1") == 1);
	CHECK(queries(n, "_acme-challenge.b.example.test IN TXT -E(0)", "::1") == 1);
	CHECK(queries(n, "_acme-challenge.big.example.test IN TXT -E(0)T", "127.0.0.1") == 1);
	CHECK(queries(n, "_acme-challenge.big.example.test IN TXT -E(0)T", "::1") == 1);

	/* Missing values time out, naming each server and name; the ready one
	 * is reported at once, not at the end. */
	const struct da_dns_check missing[] = {
		{"_acme-challenge.a.example.test", "value-a", zone},
		{"_acme-challenge.a.example.test", "not-there", zone},
		{"_acme-challenge.nx.example.test", "value", zone},
		{"x.other.invalid", "value", zone},
	};
	memset(&r, 0, sizeof(r));
	start = now_ms();
	CHECK(da_dns_propagation_wait(dns, missing, 4, 1, on_ready, &r, &err) == DA_ERR_TIMEOUT);
	CHECK(now_ms() - start >= 1000 && now_ms() - start < 2500);
	CHECK(r.count[0] == 1 && r.at[0] - start < 500);
	CHECK(r.count[1] == 0 && r.count[2] == 0 && r.count[3] == 0);
	CHECK(strstr(err.msg, "TXT records not visible after 1 s: waiting for 3 of 4 records: ") ==
	      err.msg);
	snprintf(want, sizeof(want), "127.0.0.1:%d lacks _acme-challenge.a.example.test",
		 n->port);
	CHECK(strstr(err.msg, want) != NULL);
	snprintf(want, sizeof(want), "[::1]:%d lacks _acme-challenge.nx.example.test", n->port);
	CHECK(strstr(err.msg, want) != NULL);
	snprintf(want, sizeof(want), "[::1]:%d answered REFUSED for x.other.invalid", n->port);
	CHECK(strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		fprintf(stderr, "  got: %s\n", err.msg);

	/* Backing off from 250 ms: asked at about 0, 250 and 625 ms within the
	 * second, where a fixed 250 ms would make 4 or 5. */
	for (int i = 0; i < 2; i++) {
		int asked = queries(n, "_acme-challenge.nx.example.test IN TXT -E(0)",
				    i == 0 ? "127.0.0.1" : "::1");

		CHECK(asked >= 2 && asked <= 3);
	}

	stop = 1;
	start = now_ms();
	CHECK(da_dns_propagation_wait(dns, missing, 4, 5, on_ready, &r, &err) ==
	      DA_ERR_INTERRUPTED);
	CHECK(now_ms() - start < 500);
	da_dns_free(dns);
}

int main(void)
{
	struct named n = {0};
	struct da_log log;

	if (access(NAMED, X_OK) != 0) {
		fprintf(stderr, "%s not installed (apt-get install bind9)\n", NAMED);
		return 1;
	}
	if (access("dns/example.test.zone", R_OK) != 0) {
		fprintf(stderr, "run from tests/data: dns/example.test.zone not found\n");
		return 1;
	}
	if (named_start(&n) != 0) {
		named_stop(&n);
		fprintf(stderr, "cannot start named\n");
		return 1;
	}
	da_log_init(&log, DNSACME_LOG_INFO, stderr);
	test_discovery(&n, &log);
	test_propagation(&n, &log);
	da_log_free(&log);
	named_stop(&n);
	return check_report();
}
