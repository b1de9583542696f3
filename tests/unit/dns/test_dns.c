/* core/dns pure functions: names, server lists, and the wire reader. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/dns.h"
#include "dns/wire.h"

static void test_name_check(void)
{
	static const char *const good[] = {
		"example.com", "EXAMPLE.com.", "*.example.com", "a-b.c0m", "xn--bcher-kva.example",
		"localhost", "1.2.3.example", "*.x.y."};
	static const struct {
		const char *name, *says;
	} bad[] = {
		{"", "empty"},
		{".", "has no labels"},
		{"*.", "has no labels"},
		{"a..b", "empty label"},
		{".a.b", "empty label"},
		{"a.com..", "empty label"},
		{"*.a..", "empty label"},
		{"-a.com", "starting with '-'"},
		{"a-.com", "ending with '-'"},
		{"a.com-", "ending with '-'"},
		{"a_b.com", "contains '_'"},
		{"*.*.com", "contains '*'"},
		{"a.*.com", "'*' only as a leading"},
		{"*", "contains '*'"},
		{"exa mple.com", "contains ' '"},
		{"b\xc3\xbc" "cher.example", "punycode"},
	};
	char label63[80], label64[80], long_name[300];
	struct da_err err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err.msg[0] = '\0';
		CHECK(da_dns_name_check(good[i], &err) == DA_OK);
		if (err.msg[0] != '\0')
			fprintf(stderr, "%s: %s\n", good[i], err.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = da_dns_name_check(bad[i].name, &err) == DA_ERR_USAGE &&
			  strstr(err.msg, bad[i].says) != NULL &&
			  (bad[i].name[0] == '\0' || strstr(err.msg, bad[i].name) != NULL);

		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  '%s' -> '%s'\n", bad[i].name, err.msg);
	}

	/* Label and total length limits, at and one past the edge. */
	memset(label63, 'a', 63);
	strcpy(label63 + 63, ".com");
	CHECK(da_dns_name_check(label63, &err) == DA_OK);
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".com");
	CHECK(da_dns_name_check(label64, &err) == DA_ERR_USAGE);
	CHECK(strstr(err.msg, "longer than 63") != NULL);
	/* 4 x 63 + 3 dots = 255; trim to 253 exactly. */
	snprintf(long_name, sizeof(long_name), "%.63s.%.63s.%.63s.%.61s", label63, label63,
		 label63, label63);
	CHECK(strlen(long_name) == 253);
	CHECK(da_dns_name_check(long_name, &err) == DA_OK);
	strcat(long_name, ".");
	CHECK(da_dns_name_check(long_name, &err) == DA_OK); /* the root dot is free */
	long_name[253] = 'a';
	CHECK(da_dns_name_check(long_name, &err) == DA_ERR_USAGE);
	CHECK(strstr(err.msg, "254 characters long") != NULL);
}

static void test_normalize_and_challenge(void)
{
	char name[300], *out = (char *)"unset";
	struct da_err err;

	CHECK(da_dns_name_normalize("Example.COM.", &out, &err) == DA_OK);
	CHECK_STR(out, "example.com");
	free(out);
	CHECK(da_dns_name_normalize("_ACME-Challenge.x", &out, &err) == DA_OK);
	CHECK_STR(out, "_acme-challenge.x");
	free(out);
	CHECK(da_dns_name_normalize(".", &out, &err) == DA_ERR_USAGE && out == NULL);
	CHECK(da_dns_name_normalize("", &out, &err) == DA_ERR_USAGE && out == NULL);

	CHECK(da_dns_challenge_name("*.Example.com", &out, &err) == DA_OK);
	CHECK_STR(out, "_acme-challenge.example.com");
	free(out);
	CHECK(da_dns_challenge_name("www.example.com.", &out, &err) == DA_OK);
	CHECK_STR(out, "_acme-challenge.www.example.com");
	free(out);
	CHECK(da_dns_challenge_name("a_b.example", &out, &err) == DA_ERR_USAGE && out == NULL);

	/* A 240-character domain is valid, its challenge name (256) is not. */
	memset(name, 'a', 240);
	for (int i = 60; i < 240; i += 60)
		name[i] = '.';
	name[240] = '\0';
	CHECK(da_dns_name_check(name, &err) == DA_OK);
	CHECK(da_dns_challenge_name(name, &out, &err) == DA_ERR_USAGE && out == NULL);
	CHECK(strstr(err.msg, "challenge name") != NULL);
}

static unsigned short port_of(const struct da_dns_server *s)
{
	if (s->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&s->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&s->addr)->sin6_port);
}

static void test_parse_servers(void)
{
	static const char *const bad[] = {"",		  " ",		   "1.2.3.4,,5.6.7.8",
					  "1.2.3.4,",	  "localhost",	   "127.0.0.1:0",
					  "127.0.0.1:65536", "127.0.0.1:",     "1.2.3.4:abc",
					  "[::1",	  "[::1]x",	   "[127.0.0.1]:53",
					  "::1::2",	  "300.1.1.1"};
	struct da_dns_server *s;
	struct da_err err;
	size_t n;

	CHECK(da_dns_parse_servers("127.0.0.1", &s, &n, &err) == DA_OK);
	CHECK(n == 1 && s[0].addr.ss_family == AF_INET && port_of(&s[0]) == 53);
	CHECK(n == 1 && s[0].addr_len == sizeof(struct sockaddr_in));
	CHECK_STR(n == 1 ? s[0].label : NULL, "127.0.0.1");
	da_dns_servers_free(s, n);

	CHECK(da_dns_parse_servers(" 127.0.0.2:5353 ,[::1]:5300, 2001:db8::1 ,[fe80::1]", &s, &n,
				   &err) == DA_OK);
	CHECK(n == 4);
	if (n == 4) {
		struct in6_addr want;

		CHECK(s[0].addr.ss_family == AF_INET && port_of(&s[0]) == 5353);
		CHECK_STR(s[0].label, "127.0.0.2:5353");
		CHECK(s[1].addr.ss_family == AF_INET6 && port_of(&s[1]) == 5300);
		CHECK(s[1].addr_len == sizeof(struct sockaddr_in6));
		CHECK_STR(s[1].label, "[::1]:5300");
		inet_pton(AF_INET6, "2001:db8::1", &want);
		CHECK(s[2].addr.ss_family == AF_INET6 && port_of(&s[2]) == 53);
		CHECK(memcmp(&((struct sockaddr_in6 *)&s[2].addr)->sin6_addr, &want,
			     sizeof(want)) == 0);
		CHECK(s[3].addr.ss_family == AF_INET6 && port_of(&s[3]) == 53);
	}
	da_dns_servers_free(s, n);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (struct da_dns_server *)&err; /* must be reset */
		CHECK(da_dns_parse_servers(bad[i], &s, &n, &err) == DA_ERR_CONFIG);
		CHECK(s == NULL && n == 0);
	}
	CHECK(da_dns_parse_servers("localhost:53", &s, &n, &err) == DA_ERR_CONFIG);
	CHECK(strstr(err.msg, "'localhost:53' is not an IP address") != NULL);
}

static void test_new_bad_config(void)
{
	struct da_dns_config cfg = {.resolvers = "127.0.0.1", .propagation_nameservers = "ns1"};
	struct da_dns *dns = (struct da_dns *)&cfg;
	struct da_err err;

	CHECK(da_dns_new(&dns, &cfg, NULL, NULL, &err) == DA_ERR_CONFIG && dns == NULL);
	CHECK(strncmp(err.msg, "propagation nameservers: nameserver 'ns1'", 41) == 0);
	cfg = (struct da_dns_config){.resolvers = "127.0.0.1:99999"};
	CHECK(da_dns_new(&dns, &cfg, NULL, NULL, &err) == DA_ERR_CONFIG && dns == NULL);
	CHECK(strncmp(err.msg, "resolvers: ", 11) == 0);
}

/* A resolver that cannot be reached is named in the error: nothing listens
 * on loopback port 1, so the query is refused (or times out) at once. */
static void test_unreachable_resolver(void)
{
	struct da_dns_config cfg = {.resolvers = "127.0.0.1:1", .query_timeout_ms = 300};
	struct da_dns *dns = NULL;
	struct da_err err;
	char *target = NULL;

	CHECK(da_dns_new(&dns, &cfg, NULL, NULL, &err) == DA_OK);
	if (dns == NULL)
		return;
	CHECK(da_dns_follow_cname(dns, "_acme-challenge.example.com", &target, &err) ==
	      DA_ERR_DNS);
	CHECK(target == NULL);
	CHECK(strstr(err.msg, "(asked 127.0.0.1:1)") != NULL);

	/* A batch reports its first name's failure, though the empty second
	 * name fails before any answer could come. */
	const char *names[] = {"_acme-challenge.example.com", ""};
	struct da_dns_location where[2];
	size_t failed = 9;

	CHECK(da_dns_locate(dns, names, 0, where, &failed, &err) == DA_OK);
	CHECK(da_dns_locate(dns, names, 2, where, &failed, &err) == DA_ERR_DNS);
	CHECK(failed == 0 && where[0].fqdn == NULL && where[1].fqdn == NULL);
	CHECK(strncmp(err.msg, "CNAME lookup of _acme-challenge.example.com failed: ", 52) == 0);
	CHECK(da_dns_locate(dns, names + 1, 1, where, &failed, &err) == DA_ERR_USAGE);
	CHECK(failed == 0);
	da_dns_free(dns);
}

/* --- Hand-built answers ------------------------------------------------- */

struct pkt {
	unsigned char b[4096];
	size_t len;
};

static void put8(struct pkt *p, unsigned v)
{
	p->b[p->len++] = (unsigned char)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put_name(struct pkt *p, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");

		put8(p, (unsigned)n);
		memcpy(p->b + p->len, name, n);
		p->len += n;
		name += n + (name[n] == '.');
	}
	put8(p, 0);
}

#define QNAME "_acme-challenge.a.example.com"
#define QNAME_OFFSET 12 /* the question's name, target of compression pointers */
#define AA 0x04
#define TC 0x02

/* Header and question for QNAME TXT; flags are AA / TC. */
static void put_header(struct pkt *p, unsigned flags, unsigned rcode, unsigned an, unsigned ns)
{
	p->len = 0;
	put16(p, 0x1234);
	put8(p, 0x80 | flags); /* QR */
	put8(p, rcode);
	put16(p, 1);
	put16(p, an);
	put16(p, ns);
	put16(p, 0);
	put_name(p, QNAME);
	put16(p, DA_DNS_TYPE_TXT);
	put16(p, DA_DNS_CLASS_IN);
}

/* A TXT RR owned by name (NULL: a pointer to the question's name) holding
 * the NULL-terminated strings. */
static void put_txt(struct pkt *p, const char *name, const char *const *strings)
{
	size_t rdlen_at;

	if (name != NULL) {
		put_name(p, name);
	} else {
		put16(p, 0xc000 | QNAME_OFFSET);
	}
	put16(p, DA_DNS_TYPE_TXT);
	put16(p, DA_DNS_CLASS_IN);
	put16(p, 0);
	put16(p, 60);
	rdlen_at = p->len;
	put16(p, 0);
	for (; *strings; strings++) {
		size_t n = strlen(*strings);

		put8(p, (unsigned)n);
		memcpy(p->b + p->len, *strings, n);
		p->len += n;
	}
	p->b[rdlen_at] = (unsigned char)((p->len - rdlen_at - 2) >> 8);
	p->b[rdlen_at + 1] = (unsigned char)((p->len - rdlen_at - 2) & 0xff);
}

static enum da_dns_txt_verdict verdict(const struct pkt *p, const char *value)
{
	unsigned rcode = 99;

	return da_dns_txt_verdict(p->b, p->len, QNAME, value, &rcode);
}

static void test_txt_verdict(void)
{
	static const char *const one[] = {"value-1", NULL};
	static const char *const split[] = {"val", "ue-", "2", NULL};
	static const char *const other[] = {"something-else", NULL};
	struct pkt p;
	unsigned rcode;

	put_header(&p, AA, 0, 1, 0);
	put_txt(&p, NULL, one);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_FOUND);
	CHECK(verdict(&p, "value-") == DA_DNS_TXT_MISSING);
	CHECK(verdict(&p, "value-12") == DA_DNS_TXT_MISSING);
	CHECK(verdict(&p, "VALUE-1") == DA_DNS_TXT_MISSING); /* values are exact */

	/* Without AA a server proves nothing, even with the value in hand. */
	put_header(&p, 0, 0, 1, 0);
	put_txt(&p, NULL, one);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_NOT_AUTH);

	/* The strings of one RR are one value. */
	put_header(&p, AA, 0, 1, 0);
	put_txt(&p, NULL, split);
	CHECK(verdict(&p, "value-2") == DA_DNS_TXT_FOUND);
	CHECK(verdict(&p, "val") == DA_DNS_TXT_MISSING);

	/* Several RRs: any one may hold it; strings never join across RRs. */
	put_header(&p, AA, 0, 3, 0);
	put_txt(&p, NULL, other);
	put_txt(&p, "_ACME-Challenge.A.Example.COM", one);
	put_txt(&p, NULL, split);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_FOUND);
	CHECK(verdict(&p, "value-2") == DA_DNS_TXT_FOUND);
	CHECK(verdict(&p, "something-else") == DA_DNS_TXT_FOUND);
	CHECK(verdict(&p, "something-elsevalue-1") == DA_DNS_TXT_MISSING);
	CHECK(da_dns_txt_verdict(p.b, p.len, QNAME ".", "value-1", &rcode) == DA_DNS_TXT_FOUND);

	/* A TXT at another name (say a CNAME target) is not the one asked for. */
	put_header(&p, AA, 0, 1, 0);
	put_txt(&p, "_acme-challenge.b.example.com", one);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_MISSING);

	/* Truncated: the RRset may be incomplete, so not even a hit counts. */
	put_header(&p, AA | TC, 0, 1, 0);
	put_txt(&p, NULL, one);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_TRUNCATED);

	put_header(&p, AA, DA_DNS_RCODE_NXDOMAIN, 0, 0);
	rcode = 99;
	CHECK(da_dns_txt_verdict(p.b, p.len, QNAME, "value-1", &rcode) == DA_DNS_TXT_MISSING);
	CHECK(rcode == DA_DNS_RCODE_NXDOMAIN);
	put_header(&p, 0, 5, 0, 0);
	CHECK(da_dns_txt_verdict(p.b, p.len, QNAME, "value-1", &rcode) == DA_DNS_TXT_RCODE);
	CHECK(rcode == 5);
}

static void test_txt_malformed(void)
{
	static const char *const one[] = {"value-1", NULL};
	struct pkt p;
	size_t full;

	put_header(&p, AA, 0, 1, 0);
	put_txt(&p, NULL, one);
	full = p.len;
	/* Every cut short of the full message is malformed. */
	for (size_t len = 0; len < full; len++) {
		unsigned rcode;

		CHECK(da_dns_txt_verdict(p.b, len, QNAME, "value-1", &rcode) ==
		      DA_DNS_TXT_MALFORMED);
	}
	/* A string running past its RDATA. */
	p.b[full - 8]++;
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_MALFORMED);
	p.b[full - 8]--;
	/* A query, not a response. */
	p.b[2] &= 0x7f;
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_MALFORMED);
	p.b[2] |= 0x80;
	/* A compression pointer to itself, and one pointing forwards. */
	CHECK(p.b[full - 20] == 0xc0 && p.b[full - 19] == QNAME_OFFSET);
	p.b[full - 19] = (unsigned char)(full - 20);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_MALFORMED);
	p.b[full - 19] = (unsigned char)(full - 10);
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_MALFORMED);
	p.b[full - 19] = QNAME_OFFSET;
	CHECK(verdict(&p, "value-1") == DA_DNS_TXT_FOUND);
}

static void test_reader(void)
{
	struct pkt p;
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	char name[DA_DNS_TEXT_NAME_SIZE], rcode[16];
	size_t target;

	/* Answer: QNAME CNAME x.Example.NET; authority: example.net SOA. */
	put_header(&p, AA, DA_DNS_RCODE_NXDOMAIN, 1, 1);
	put16(&p, 0xc000 | QNAME_OFFSET);
	put16(&p, DA_DNS_TYPE_CNAME);
	put16(&p, DA_DNS_CLASS_IN);
	put16(&p, 0);
	put16(&p, 60);
	put16(&p, 15);
	target = p.len;
	put_name(&p, "x.Example.NET");
	put16(&p, 0xc000 | (unsigned)(target + 2)); /* "Example.NET" */
	put16(&p, DA_DNS_TYPE_SOA);
	put16(&p, DA_DNS_CLASS_IN);
	put16(&p, 0);
	put16(&p, 60);
	put16(&p, 2);
	put16(&p, 0xc000 | (unsigned)target);

	CHECK(da_dns_msg_open(&msg, p.b, p.len) == 0);
	CHECK(msg.aa && !msg.tc && msg.rcode == DA_DNS_RCODE_NXDOMAIN);
	CHECK(da_dns_msg_next(&msg, &rr) == 1);
	CHECK(rr.section == DA_DNS_ANSWER && rr.type == DA_DNS_TYPE_CNAME);
	CHECK_STR(rr.owner, QNAME);
	CHECK(da_dns_rr_name(&msg, &rr, name, sizeof(name)) == 0);
	CHECK_STR(name, "x.example.net");
	CHECK(da_dns_msg_next(&msg, &rr) == 1);
	CHECK(rr.section == DA_DNS_AUTHORITY && rr.type == DA_DNS_TYPE_SOA);
	CHECK_STR(rr.owner, "example.net");
	CHECK(da_dns_rr_name(&msg, &rr, name, sizeof(name)) == 0);
	CHECK_STR(name, "x.example.net");
	CHECK(da_dns_msg_next(&msg, &rr) == 0);

	/* Odd bytes in a label are escaped, so they never equal a real name. */
	put_header(&p, AA, 0, 0, 0);
	memcpy(p.b + QNAME_OFFSET + 1, "_acme.ch\\", 9);
	CHECK(da_dns_msg_open(&msg, p.b, p.len) == 0);
	{
		size_t pos = QNAME_OFFSET;
		struct da_dns_rr fake = {.rdata = p.b + pos, .rdlen = p.len - pos};

		CHECK(da_dns_rr_name(&msg, &fake, name, sizeof(name)) == 0);
		CHECK_STR(name, "_acme\\046ch\\092llenge.a.example.com");
	}

	CHECK(da_dns_name_equal("a.example.com.", "A.EXAMPLE.COM"));
	CHECK(!da_dns_name_equal("a.example.com", "b.example.com"));
	CHECK_STR(da_dns_rcode_name(5, rcode, sizeof(rcode)), "REFUSED");
	CHECK_STR(da_dns_rcode_name(23, rcode, sizeof(rcode)), "RCODE23");
}

int main(void)
{
	test_name_check();
	test_normalize_and_challenge();
	test_parse_servers();
	test_new_bad_config();
	test_unreachable_resolver();
	test_txt_verdict();
	test_txt_malformed();
	test_reader();
	return check_report();
}
