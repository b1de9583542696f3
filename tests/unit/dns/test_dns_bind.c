/*
 * core/dns against a real BIND9: the test starts its own named (named.h) on a free
 * high port of 127.0.0.1 and ::1, serving the zones in tests/data/dns, and stops it
 * at the end. Discovery runs through it as the resolver (it answers for its
 * own zones with recursion off); propagation polls it directly through
 * cfg.propagation_nameservers, since the NS addresses use port 53.
 * Fails when named is not installed (scripts/setup.sh installs bind9).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dns/dns.h"
#include "named.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Queries named logged for "NAME IN TXT ..." from one server address. */
static int queries(const struct test_named *n, const char *what, const char *server)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "query: %s (%s)", what, server);
	return test_named_log_count(n, needle);
}

/* named serving the zones of tests/data/dns (the working directory). */
static int named_start(struct test_named *n)
{
	char cwd[PATH_MAX], conf[3 * PATH_MAX + 512];

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		perror("getcwd");
		return -1;
	}
	snprintf(conf, sizeof(conf),
		 "zone \"example.test\" { type primary; file \"%1$s/dns/example.test.zone\"; };\n"
		 "zone \"sub.example.test\" { type primary; "
		 "file \"%1$s/dns/sub.example.test.zone\"; };\n"
		 "zone \"hostile.test\" { type primary; file \"%1$s/dns/hostile.test.zone\"; };\n",
		 cwd);
	return test_named_start(n, conf, NULL);
}

static void test_discovery(const struct test_named *n, struct da_log *log)
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

/* A zone's NS set cannot make the check poll what no nameserver can be
 * (0.0.0.0/8, link-local, multicast, broadcast, ::), nor more than 8
 * addresses of a host or 32 of a zone. */
static void test_hostile_nameservers(const struct test_named *n, struct da_log *log)
{
	char resolvers[64];
	struct da_dns_config cfg = {.resolvers = resolvers, .query_timeout_ms = 1000};
	const struct da_dns_zone *zone = NULL;
	struct da_dns *dns;
	struct da_err err;

	snprintf(resolvers, sizeof(resolvers), "127.0.0.1:%d", n->port);
	CHECK(da_dns_new(&dns, &cfg, log, NULL, &err) == DA_OK);
	CHECK(da_dns_find_zone(dns, "_acme-challenge.hostile.test", &zone, &err) == DA_OK);
	CHECK(zone != NULL && zone->n_servers == 32);
	if (zone != NULL && zone->n_servers == 32) {
		size_t ns2 = 0;

		CHECK_STR(zone->servers[0].label, "ns1.hostile.test (127.0.0.9)");
		for (size_t i = 1; i < zone->n_servers; i++) {
			CHECK(strncmp(zone->servers[i].label, "ns", 2) == 0 &&
			      strstr(zone->servers[i].label, "(127.0.") != NULL);
			ns2 += strncmp(zone->servers[i].label, "ns2.", 4) == 0;
		}
		CHECK(ns2 == 8);
	}
	da_dns_free(dns);
}

/* The line number of the first (or last) query named logged for name and
 * type with recursion desired, -1 if none. */
static int query_line(const struct test_named *n, const char *name, const char *type, int last)
{
	char path[128], needle[300], line[1024];
	int at = -1, no = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/named.log", n->dir);
	snprintf(needle, sizeof(needle), "query: %s IN %s +", name, type);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && (last || at < 0)) {
		if (strstr(line, needle) != NULL)
			at = no;
		no++;
	}
	fclose(f);
	return at;
}

#define BATCH_HOSTS 40 /* in example.test */
#define BATCH_SUBS 20  /* in sub.example.test */
#define BATCH_N (BATCH_HOSTS + BATCH_SUBS + 2)

/*
 * Many names in two zones, a CNAME into the second and a name given twice
 * (an apex and its wildcard), located in one call: every name's first
 * query is out before any answer is acted on, each zone's NS and each NS
 * host's addresses are asked once, and a name given twice once.
 */
static void test_locate(const struct test_named *n, struct da_log *log)
{
	char resolvers[64], names[BATCH_N][64];
	const char *list[BATCH_N];
	struct da_dns_config cfg = {.resolvers = resolvers, .query_timeout_ms = 1000};
	struct da_dns_location where[BATCH_N];
	int ns_before, sub_ns_before, host_before, dup_before, first_soa = -1, last_cname = -1;
	size_t failed = 0;
	struct da_dns *dns;
	struct da_err err;

	snprintf(resolvers, sizeof(resolvers), "127.0.0.1:%d", n->port);
	for (int i = 0; i < BATCH_HOSTS; i++)
		snprintf(names[i], sizeof(names[i]), "_acme-challenge.batch%02d.example.test", i);
	for (int i = 0; i < BATCH_SUBS; i++)
		snprintf(names[BATCH_HOSTS + i], sizeof(names[0]),
			 "_acme-challenge.batch%02d.sub.example.test", i);
	snprintf(names[BATCH_N - 2], sizeof(names[0]), "_acme-challenge.alias.example.test");
	snprintf(names[BATCH_N - 1], sizeof(names[0]), "_acme-challenge.BATCH00.example.test.");
	for (int i = 0; i < BATCH_N; i++)
		list[i] = names[i];
	ns_before = test_named_log_count(n, "query: example.test IN NS +");
	sub_ns_before = test_named_log_count(n, "query: sub.example.test IN NS +");
	host_before = test_named_log_count(n, "query: ns1.example.test IN A +");
	dup_before = test_named_log_count(n, "query: _acme-challenge.batch00.example.test IN "
					     "CNAME +");

	CHECK(da_dns_new(&dns, &cfg, log, NULL, &err) == DA_OK);
	CHECK(da_dns_locate(dns, list, BATCH_N, where, &failed, &err) == DA_OK);
	for (int i = 0; i < BATCH_N; i++) {
		const char *zone = i < BATCH_HOSTS || i == BATCH_N - 1 ? "example.test"
								       : "sub.example.test";

		CHECK(where[i].zone != NULL && strcmp(where[i].zone->name, zone) == 0);
		CHECK(where[i].zone == where[i < BATCH_HOSTS ? 0 : BATCH_HOSTS].zone ||
		      i >= BATCH_N - 2);
		if (i < BATCH_N - 2)
			CHECK_STR(where[i].fqdn, names[i]);
	}
	CHECK_STR(where[BATCH_N - 2].fqdn, "_acme-challenge.x.sub.example.test");
	CHECK(where[BATCH_N - 2].zone == where[BATCH_HOSTS].zone);
	CHECK_STR(where[BATCH_N - 1].fqdn, "_acme-challenge.batch00.example.test");
	CHECK(where[0].zone->n_servers == 3 && where[BATCH_HOSTS].zone->n_servers == 2);

	/* Overlap, from the order named saw the queries in (it runs one worker):
	 * every name's CNAME query came before the first SOA query. One name
	 * after the other would put name 2's CNAME after name 1's SOA. */
	for (int i = 0; i < BATCH_N - 1; i++) {
		int cname = query_line(n, names[i], "CNAME", 1);
		/* The alias's target was asked by an earlier test. */
		int soa = i < BATCH_N - 2 ? query_line(n, names[i], "SOA", 0) : INT_MAX;

		CHECK(cname >= 0 && soa >= 0);
		last_cname = cname > last_cname ? cname : last_cname;
		first_soa = first_soa < 0 || soa < first_soa ? soa : first_soa;
	}
	CHECK(first_soa > last_cname);
	CHECK(test_named_log_count(n, "query: _acme-challenge.batch00.example.test IN CNAME +") ==
	      dup_before + 1);
	CHECK(test_named_log_count(n, "query: example.test IN NS +") == ns_before + 1);
	CHECK(test_named_log_count(n, "query: sub.example.test IN NS +") == sub_ns_before + 1);
	/* ns1 serves both zones: its addresses are asked once for the two. */
	CHECK(test_named_log_count(n, "query: ns1.example.test IN A +") == host_before + 1);
	for (int i = 0; i < BATCH_N; i++)
		free(where[i].fqdn);

	/* A failed name: the error the single-name calls give, and its index. */
	const char *bad_cname[] = {"_acme-challenge.batch01.example.test", "loop1.example.test"};
	struct da_err single;
	char *target;

	CHECK(da_dns_follow_cname(dns, "loop1.example.test", &target, &single) == DA_ERR_DNS);
	CHECK(da_dns_locate(dns, bad_cname, 2, where, &failed, &err) == DA_ERR_DNS);
	CHECK(failed == 1 && where[0].fqdn == NULL);
	CHECK_STR(err.msg, single.msg);
	da_dns_free(dns);
}

/* A stop request ends a batch with every query still in flight. */
static void test_locate_interrupted(const struct test_named *n, struct da_log *log)
{
	char resolvers[64];
	struct da_dns_config cfg = {.resolvers = resolvers};
	const char *list[] = {"_acme-challenge.alias.example.test", "_acme-challenge.example.test"};
	struct da_dns_location where[2];
	volatile sig_atomic_t stop = 1;
	size_t failed = 0;
	struct da_dns *dns;
	struct da_err err;

	snprintf(resolvers, sizeof(resolvers), "127.0.0.1:%d", n->port);
	CHECK(da_dns_new(&dns, &cfg, log, &stop, &err) == DA_OK);
	CHECK(da_dns_locate(dns, list, 2, where, &failed, &err) == DA_ERR_INTERRUPTED);
	CHECK(failed == 2 && where[0].fqdn == NULL && where[1].fqdn == NULL);
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

static void test_propagation(const struct test_named *n, struct da_log *log)
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

	/* Backing off from 20 ms by half each time: asked at about 0, 20, 50,
	 * 95, 162, 263, 414, 641 and 981 ms within the second, where a fixed
	 * 20 ms would make 50. */
	for (int i = 0; i < 2; i++) {
		int asked = queries(n, "_acme-challenge.nx.example.test IN TXT -E(0)",
				    i == 0 ? "127.0.0.1" : "::1");

		/* Slack for a loaded machine; a fixed schedule is far outside. */
		CHECK(asked >= 5 && asked <= 11);
		if (asked < 5 || asked > 11)
			fprintf(stderr, "  asked %d times\n", asked);
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
	struct test_named n;
	struct da_log log;

	if (access("dns/example.test.zone", R_OK) != 0) {
		fprintf(stderr, "run from tests/data: dns/example.test.zone not found\n");
		return 1;
	}
	if (named_start(&n) != 0)
		return 1; /* it said why */
	da_log_init(&log, DNSACME_LOG_INFO, stderr);
	test_discovery(&n, &log);
	test_hostile_nameservers(&n, &log);
	test_locate(&n, &log);
	test_locate_interrupted(&n, &log);
	test_propagation(&n, &log);
	da_log_free(&log);
	test_named_stop(&n);
	return check_report();
}
