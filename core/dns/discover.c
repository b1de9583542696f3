/* The resolver object: CNAME following and zone + nameserver discovery. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

#define DEFAULT_TIMEOUT_MS 2000
#define CNAME_DEPTH_MAX 16
/* Bounds on what a zone's NS set may make the propagation check poll: real
 * zones have 2 to 13 nameservers, each with an address or two. */
#define MAX_HOST_ADDRS 8
#define MAX_ZONE_SERVERS 32
/* How long one loop step may sleep before the stop flag is looked at again. */
#define STOP_POLL_MS 250

/* One query through the resolvers and its answer. */
struct lookup {
	const char *name; /* not owned */
	int type;
	bool sent, done;
	int status; /* ARES_SUCCESS or why not */
	unsigned char *answer; /* owned copy */
	size_t len;
};

static void lookup_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lookup *l = arg;

	(void)timeouts;
	l->done = true;
	l->status = status;
	if (status != ARES_SUCCESS || abuf == NULL || alen <= 0)
		return;
	l->answer = malloc((size_t)alen);
	if (l->answer == NULL) {
		l->status = ARES_ENOMEM;
		return;
	}
	memcpy(l->answer, abuf, (size_t)alen);
	l->len = (size_t)alen;
}

/* Is l's query out, its answer not yet in? */
static bool lookup_pending(const struct lookup *l)
{
	return l->sent && !l->done;
}

/* Forget l's answer; l may be sent again. */
static void lookup_reset(struct lookup *l)
{
	free(l->answer);
	*l = (struct lookup){0};
}

static const char *type_name(int type)
{
	switch (type) {
	case DA_DNS_TYPE_A: return "A";
	case DA_DNS_TYPE_NS: return "NS";
	case DA_DNS_TYPE_CNAME: return "CNAME";
	case DA_DNS_TYPE_SOA: return "SOA";
	case DA_DNS_TYPE_AAAA: return "AAAA";
	}
	return "TXT";
}

/*
 * Send l's query through the resolvers; its outcome arrives in the loop. A
 * query that cannot be built (the only failure of da_dns_send) is done at
 * once with the status c-ares gives that: the answer's reader reports it.
 */
static void lookup_send(struct da_dns *dns, struct lookup *l, const char *name, int type)
{
	struct da_err unused;
	enum da_code rc;

	*l = (struct lookup){.name = name, .type = type, .sent = true};
	da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: %s %s?", type_name(type), name);
	rc = da_dns_send(dns->resolver, name, type, true, lookup_done, l, &unused);
	if (rc != DA_OK) {
		l->done = true;
		l->status = rc == DA_ERR_NOMEM ? ARES_ENOMEM : ARES_EBADNAME;
	}
}

/* Did the resolvers fail (rather than the name)? Then the error names them:
 * a wrong --dns-resolvers or resolv.conf is the usual cause. */
static bool resolver_fault(int status)
{
	return status == ARES_ECONNREFUSED || status == ARES_ETIMEOUT ||
	       status == ARES_EREFUSED || status == ARES_ESERVFAIL;
}

/* A done lookup whose failure is an error; on DA_OK *msg reads its answer. */
static enum da_code lookup_answer(const struct da_dns *dns, const struct lookup *l,
				  struct da_dns_msg *msg, struct da_err *err)
{
	if (l->status != ARES_SUCCESS) {
		const char *who = dns->resolvers ? dns->resolvers : "the resolv.conf resolvers";
		char asked[128] = "";

		if (resolver_fault(l->status))
			snprintf(asked, sizeof(asked), " (asked %.100s)", who);
		return da_err_set(err, l->status == ARES_ENOMEM ? DA_ERR_NOMEM : DA_ERR_DNS,
				  "%s lookup of %s failed: %s%s", type_name(l->type), l->name,
				  ares_strerror(l->status), asked);
	}
	if (da_dns_msg_open(msg, l->answer, l->len) != 0)
		return da_err_set(err, DA_ERR_DNS, "%s lookup of %s: malformed answer",
				  type_name(l->type), l->name);
	return DA_OK;
}

enum da_code da_dns_new(struct da_dns **out, const struct da_dns_config *cfg,
			const struct da_log *log, const volatile sig_atomic_t *stop,
			struct da_err *err)
{
	struct da_dns_server *resolvers = NULL;
	size_t n_resolvers = 0;
	struct da_dns *dns;
	enum da_code rc;

	*out = NULL;
	dns = calloc(1, sizeof(*dns));
	if (dns == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	dns->log = log;
	dns->stop = stop;
	dns->timeout_ms = cfg->query_timeout_ms > 0 ? cfg->query_timeout_ms : DEFAULT_TIMEOUT_MS;
	if (cfg->propagation_nameservers != NULL) {
		rc = da_dns_parse_servers(cfg->propagation_nameservers, &dns->overrides,
					  &dns->n_overrides, err);
		if (rc != DA_OK) {
			free(dns);
			return da_err_wrap(err, "propagation nameservers");
		}
	}
	if (cfg->resolvers != NULL) {
		rc = da_dns_parse_servers(cfg->resolvers, &resolvers, &n_resolvers, err);
		if (rc == DA_OK && (dns->resolvers = strdup(cfg->resolvers)) == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		if (rc != DA_OK) {
			da_dns_servers_free(resolvers, n_resolvers);
			da_dns_servers_free(dns->overrides, dns->n_overrides);
			free(dns);
			return da_err_wrap(err, "resolvers");
		}
	}
	ares_library_init(ARES_LIB_INIT_ALL);
	/* Two tries per resolver: a lost UDP packet should not fail a run. */
	rc = da_dns_channel_new(&dns->resolver, resolvers, n_resolvers, 0, 2, dns->timeout_ms,
				err);
	da_dns_servers_free(resolvers, n_resolvers);
	if (rc != DA_OK) {
		da_dns_servers_free(dns->overrides, dns->n_overrides);
		free(dns->resolvers);
		free(dns);
		ares_library_cleanup();
		return rc;
	}
	*out = dns;
	return DA_OK;
}

static void zone_free(struct da_dns_zone *zone)
{
	free(zone->name);
	da_dns_servers_free(zone->servers, zone->n_servers);
	free(zone);
}

void da_dns_free(struct da_dns *dns)
{
	if (dns == NULL)
		return;
	ares_destroy(dns->resolver);
	ares_library_cleanup();
	free(dns->resolvers);
	da_dns_servers_free(dns->overrides, dns->n_overrides);
	for (size_t i = 0; i < dns->n_zones; i++)
		zone_free(dns->zones[i]);
	free(dns->zones);
	for (size_t i = 0; i < dns->n_names; i++)
		free(dns->names[i].name);
	free(dns->names);
	for (size_t i = 0; i < dns->n_hosts; i++) {
		free(dns->hosts[i].host);
		da_dns_servers_free(dns->hosts[i].addrs, dns->hosts[i].n_addrs);
	}
	free(dns->hosts);
	free(dns);
}

/* The first answer record of type owned by name, or 0 if none (-1 malformed). */
static int find_answer(struct da_dns_msg *msg, const char *name, unsigned type,
		       struct da_dns_rr *rr)
{
	int more;

	while ((more = da_dns_msg_next(msg, rr)) == 1)
		if (rr->section == DA_DNS_ANSWER && rr->type == type &&
		    da_dns_name_equal(rr->owner, name))
			return 1;
	return more;
}

/* Is name equal to zone or below it? */
static bool in_zone(const char *name, const char *zone)
{
	size_t ln = strlen(name), lz = strlen(zone);

	if (lz == 0)
		return true;
	if (ln < lz || !da_dns_name_equal(name + ln - lz, zone))
		return false;
	return ln == lz || name[ln - lz - 1] == '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Discovery of many names at once. Each name is a job that goes through
 * its steps (CNAME chain, SOA walk, zone) one answer at a time; a zone not
 * yet known is built once for every job that finds it (NS, then the
 * addresses of NS hosts not yet known, shared between zones). Every query
 * of every job is in flight together on the one resolver channel, so a
 * batch costs the round trips of its longest chain, not their sum. Answers
 * are only recorded by the c-ares callback; the steps run between loop
 * iterations, never inside c-ares.
 */
enum job_step { STEP_CNAME, STEP_SOA, STEP_ZONE, STEP_DONE };

struct zone_work;

struct job {
	bool want_zone;		/* find the zone of the target, not only the target */
	enum job_step step;
	char *chain[CNAME_DEPTH_MAX + 1]; /* normalized; chain[depth] is the name now */
	size_t depth;
	const char *soa_at;	/* the SOA walk's name: a suffix of chain[depth] */
	struct lookup l;
	struct zone_work *zone_work; /* the zone being built, at STEP_ZONE */
	const struct da_dns_zone *zone; /* the outcome: owned by dns */
	enum da_code rc;
	struct da_err err;
};

/* A zone being built: its NS host names, then their addresses. */
struct zone_work {
	struct da_dns_zone *zone; /* in dns->zones once done with DA_OK, else owned */
	struct lookup ns;
	char **hosts;		/* sorted NS names (owned) */
	size_t n_hosts;
	bool done;
	enum da_code rc; /* once done */
	struct da_err err;
};

/* The A and AAAA lookups of one NS host not yet in dns->hosts. */
struct host_work {
	char *host;
	struct lookup a, aaaa;
	bool done; /* its entry, host included, is in dns->hosts */
};

/* One call's work. c-ares holds pointers to the lookups inside, so jobs is
 * allocated once and zones and hosts one by one: none of them moves. */
struct batch {
	struct da_dns *dns;
	struct job *jobs;
	size_t n_jobs;
	struct zone_work **zones;
	size_t n_zones;
	struct host_work **hosts;
	size_t n_hosts;
};

static void job_fail(struct job *j, enum da_code rc)
{
	j->rc = rc;
	/* Only the CNAME step's errors stand alone; the rest concern the zone. */
	if (j->step != STEP_CNAME)
		da_err_wrap(&j->err, "zone of %s", j->chain[j->depth]);
	j->step = STEP_DONE;
}

/* The zone of a name found before, or NULL. */
static const struct da_dns_zone *names_find(const struct da_dns *dns, const char *name)
{
	for (size_t i = 0; i < dns->n_names; i++)
		if (strcmp(dns->names[i].name, name) == 0)
			return dns->names[i].zone;
	return NULL;
}

/* The job is done: its target is in zone, which later calls remember. */
static void job_found(struct da_dns *dns, struct job *j, const struct da_dns_zone *zone)
{
	const char *name = j->chain[j->depth];
	struct da_dns_name_zone *grown;
	char *copy;

	j->zone = zone;
	/* Jobs with one target (CNAMEs to one name) remember it once. */
	if (names_find(dns, name) == NULL) {
		grown = realloc(dns->names, (dns->n_names + 1) * sizeof(*grown));
		if (grown != NULL)
			dns->names = grown;
		copy = grown != NULL ? strdup(name) : NULL;
		if (copy == NULL) {
			job_fail(j, da_err_set(&j->err, DA_ERR_NOMEM, "out of memory"));
			return;
		}
		dns->names[dns->n_names++] = (struct da_dns_name_zone){copy, zone};
	}
	j->step = STEP_DONE;
}

/* The job's target is known: done, or on to its zone. */
static void job_target(struct da_dns *dns, struct job *j)
{
	const char *name = j->chain[j->depth];

	if (!j->want_zone) {
		j->step = STEP_DONE;
		return;
	}
	j->zone = names_find(dns, name);
	if (j->zone != NULL) {
		j->step = STEP_DONE;
		return;
	}
	j->step = STEP_SOA;
	j->soa_at = name;
	lookup_send(dns, &j->l, j->soa_at, DA_DNS_TYPE_SOA);
}

/* The CNAME answer: the chain ends here, or goes on at its target. */
static void job_cname(struct da_dns *dns, struct job *j)
{
	const char *name = j->chain[j->depth];
	char target[DA_DNS_TEXT_NAME_SIZE];
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	int found;
	enum da_code rc = lookup_answer(dns, &j->l, &msg, &j->err);

	found = rc == DA_OK ? find_answer(&msg, name, DA_DNS_TYPE_CNAME, &rr) : 0;
	if (found == 1 && da_dns_rr_name(&msg, &rr, target, sizeof(target)) != 0)
		found = -1;
	lookup_reset(&j->l);
	if (rc == DA_OK && found < 0)
		rc = da_err_set(&j->err, DA_ERR_DNS, "CNAME lookup of %s: malformed answer", name);
	if (rc == DA_OK && found == 0) {
		if (j->depth > 0)
			da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: %s is a CNAME for %s",
				j->chain[0], name);
		job_target(dns, j);
		return;
	}
	for (size_t i = 0; i <= j->depth && rc == DA_OK; i++)
		if (da_dns_name_equal(j->chain[i], target))
			rc = da_err_set(&j->err, DA_ERR_DNS, "CNAME loop: %s leads back to %s",
					j->chain[0], target);
	if (rc == DA_OK && j->depth == CNAME_DEPTH_MAX)
		rc = da_err_set(&j->err, DA_ERR_DNS, "CNAME chain from %s is longer than %d",
				j->chain[0], CNAME_DEPTH_MAX);
	if (rc == DA_OK)
		rc = da_dns_name_normalize(target, &j->chain[j->depth + 1], &j->err);
	if (rc != DA_OK) {
		job_fail(j, rc);
		return;
	}
	j->depth++;
	lookup_send(dns, &j->l, j->chain[j->depth], DA_DNS_TYPE_CNAME);
}

static struct da_dns_host *host_find(struct da_dns *dns, const char *host)
{
	for (size_t i = 0; i < dns->n_hosts; i++)
		if (strcmp(dns->hosts[i].host, host) == 0)
			return &dns->hosts[i];
	return NULL;
}

/* Look up the addresses of every NS host of zw that is neither known nor asked. */
static enum da_code hosts_ask(struct batch *b, const struct zone_work *zw, struct da_err *err)
{
	for (size_t i = 0; i < zw->n_hosts; i++) {
		const char *name = zw->hosts[i];
		struct host_work **grown, *h;
		bool asked = host_find(b->dns, name) != NULL;

		for (size_t k = 0; k < b->n_hosts && !asked; k++)
			asked = strcmp(b->hosts[k]->host, name) == 0;
		if (asked)
			continue;
		grown = realloc(b->hosts, (b->n_hosts + 1) * sizeof(*grown));
		if (grown != NULL)
			b->hosts = grown;
		h = grown != NULL ? calloc(1, sizeof(*h)) : NULL;
		if (h != NULL && (h->host = strdup(name)) == NULL) {
			free(h);
			h = NULL;
		}
		if (h == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		b->hosts[b->n_hosts++] = h;
		lookup_send(b->dns, &h->a, h->host, DA_DNS_TYPE_A);
		lookup_send(b->dns, &h->aaaa, h->host, DA_DNS_TYPE_AAAA);
	}
	return DA_OK;
}

/* The NS answer: the zone's host names, sorted, then their addresses asked. */
static enum da_code zone_read_ns(struct batch *b, struct zone_work *zw)
{
	const char *zone = zw->zone->name;
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	int more = 0;
	enum da_code rc = lookup_answer(b->dns, &zw->ns, &msg, &zw->err);

	while (rc == DA_OK && (more = find_answer(&msg, zone, DA_DNS_TYPE_NS, &rr)) == 1) {
		char host[DA_DNS_TEXT_NAME_SIZE];
		char **grown = realloc(zw->hosts, (zw->n_hosts + 1) * sizeof(*grown));

		if (grown == NULL) {
			rc = da_err_set(&zw->err, DA_ERR_NOMEM, "out of memory");
			break;
		}
		zw->hosts = grown;
		if (da_dns_rr_name(&msg, &rr, host, sizeof(host)) != 0) {
			more = -1;
			break;
		}
		zw->hosts[zw->n_hosts] = strdup(host);
		if (zw->hosts[zw->n_hosts] == NULL)
			rc = da_err_set(&zw->err, DA_ERR_NOMEM, "out of memory");
		else
			zw->n_hosts++;
	}
	lookup_reset(&zw->ns);
	if (rc == DA_OK && more < 0)
		rc = da_err_set(&zw->err, DA_ERR_DNS, "NS lookup of %s: malformed answer", zone);
	if (rc == DA_OK && zw->n_hosts == 0)
		rc = da_err_set(&zw->err, DA_ERR_DNS, "zone %s has no NS records", zone);
	if (rc != DA_OK)
		return rc;
	qsort(zw->hosts, zw->n_hosts, sizeof(*zw->hosts), cmp_str);
	return hosts_ask(b, zw, &zw->err);
}

/* Append copies of n servers to zone. */
static enum da_code zone_add(struct da_dns_zone *zone, const struct da_dns_server *src, size_t n,
			     struct da_err *err)
{
	struct da_dns_server *grown;

	if (n == 0)
		return DA_OK;
	grown = realloc(zone->servers, (zone->n_servers + n) * sizeof(*grown));
	if (grown == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	zone->servers = grown;
	for (size_t i = 0; i < n; i++) {
		if (da_dns_server_copy(&zone->servers[zone->n_servers], &src[i]) != 0)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		zone->n_servers++;
	}
	return DA_OK;
}

static void zone_done(struct zone_work *zw, enum da_code rc)
{
	zw->done = true;
	zw->rc = rc;
}

/*
 * Every NS host of zw has its addresses (or the overrides are in): the zone
 * takes them, in NS name order, and joins dns->zones.
 */
static void zone_finish(struct da_dns *dns, struct zone_work *zw)
{
	struct da_dns_zone *zone = zw->zone, **grown;
	enum da_code rc = DA_OK;

	for (size_t i = 0; rc == DA_OK && i < zw->n_hosts; i++) {
		const struct da_dns_host *h = host_find(dns, zw->hosts[i]);
		size_t n = h->n_addrs;

		if (n == 0)
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: nameserver %s of %s has no "
				"reachable address; not checking it", h->host, zone->name);
		if (n > MAX_ZONE_SERVERS - zone->n_servers) {
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: zone %s has more than %d "
				"nameserver addresses; checking the first %d", zone->name,
				MAX_ZONE_SERVERS, MAX_ZONE_SERVERS);
			rc = zone_add(zone, h->addrs, MAX_ZONE_SERVERS - zone->n_servers, &zw->err);
			break;
		}
		rc = zone_add(zone, h->addrs, n, &zw->err);
	}
	if (rc == DA_OK && zone->n_servers == 0)
		rc = da_err_set(&zw->err, DA_ERR_DNS, "no nameserver of zone %s has a reachable "
				"address", zone->name);
	grown = rc == DA_OK ? realloc(dns->zones, (dns->n_zones + 1) * sizeof(*grown)) : NULL;
	if (rc == DA_OK && grown == NULL)
		rc = da_err_set(&zw->err, DA_ERR_NOMEM, "out of memory");
	zone_done(zw, rc);
	if (rc != DA_OK)
		return;
	dns->zones = grown;
	dns->zones[dns->n_zones++] = zone;
	for (size_t i = 0; i < zone->n_servers; i++)
		da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: zone %s: %s", zone->name,
			zone->servers[i].label);
}

/* The zone work for name: this batch's, or a new one (overrides need no lookups). */
static struct zone_work *zone_work_get(struct batch *b, const char *name, struct da_err *err)
{
	struct zone_work **grown, *zw;

	for (size_t i = 0; i < b->n_zones; i++)
		if (strcmp(b->zones[i]->zone->name, name) == 0)
			return b->zones[i];
	grown = realloc(b->zones, (b->n_zones + 1) * sizeof(*grown));
	if (grown != NULL)
		b->zones = grown;
	zw = grown != NULL ? calloc(1, sizeof(*zw)) : NULL;
	if (zw != NULL && (zw->zone = calloc(1, sizeof(*zw->zone))) != NULL &&
	    (zw->zone->name = strdup(name)) == NULL) {
		free(zw->zone);
		zw->zone = NULL;
	}
	if (zw == NULL || zw->zone == NULL) {
		free(zw);
		da_err_set(err, DA_ERR_NOMEM, "out of memory");
		return NULL;
	}
	b->zones[b->n_zones++] = zw;
	if (b->dns->overrides == NULL)
		lookup_send(b->dns, &zw->ns, zw->zone->name, DA_DNS_TYPE_NS);
	else if (zone_add(zw->zone, b->dns->overrides, b->dns->n_overrides, &zw->err) == DA_OK)
		zone_finish(b->dns, zw);
	else
		zone_done(zw, DA_ERR_NOMEM);
	return zw;
}

/* The job's zone is called name: known already, or built with this batch. */
static void job_zone(struct batch *b, struct job *j, const char *name)
{
	for (size_t i = 0; i < b->dns->n_zones; i++)
		if (strcmp(b->dns->zones[i]->name, name) == 0) {
			job_found(b->dns, j, b->dns->zones[i]);
			return;
		}
	j->zone_work = zone_work_get(b, name, &j->err);
	if (j->zone_work == NULL) {
		job_fail(j, DA_ERR_NOMEM);
		return;
	}
	j->step = STEP_ZONE;
}

/*
 * Can this machine send to the server at all? A UDP connect() asks the
 * routing table without sending a packet. Without it, the AAAA addresses of
 * every NS would be polled in vain until the timeout from a pod or VM that
 * has no IPv6. Other failures are left for the polling to report.
 */
/*
 * An address a nameserver cannot have: unspecified, "this network"
 * (0.0.0.0/8), link-local, multicast, broadcast or reserved. A hostile or
 * broken resolver could hand these out to make the propagation check poll
 * the local link. Loopback stays: a local nameserver is real.
 */
static bool bogus_address(int family, const unsigned char *a)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	static const unsigned char unspecified[16];

	if (family == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0)
		return bogus_address(AF_INET, a + 12);
	if (family == AF_INET)
		return a[0] == 0 || (a[0] == 169 && a[1] == 254) || a[0] >= 224;
	return memcmp(a, unspecified, 16) == 0 || a[0] == 0xff ||
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static bool routable(const struct da_dns_server *s)
{
	int fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int failed;

	if (fd < 0)
		return errno != EAFNOSUPPORT;
	failed = connect(fd, (const struct sockaddr *)&s->addr, s->addr_len) != 0 &&
		 (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == EADDRNOTAVAIL);
	close(fd);
	return !failed;
}

/* Append the routable A or AAAA records of one answer to h, labelled
 * "host (address)". */
static enum da_code host_add_addrs(struct da_dns *dns, struct da_dns_host *h,
				   const struct lookup *l, struct da_err *err)
{
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	int more;

	if (l->status != ARES_SUCCESS || da_dns_msg_open(&msg, l->answer, l->len) != 0)
		return DA_OK; /* the caller warns about hosts left without addresses */
	while ((more = da_dns_msg_next(&msg, &rr)) == 1) {
		struct da_dns_server *grown, *s;
		char text[INET6_ADDRSTRLEN];
		size_t need = rr.type == DA_DNS_TYPE_A ? 4 : 16;

		if (rr.section != DA_DNS_ANSWER || rr.type != (unsigned)l->type ||
		    rr.rclass != DA_DNS_CLASS_IN || rr.rdlen != need)
			continue;
		inet_ntop(need == 4 ? AF_INET : AF_INET6, rr.rdata, text, sizeof(text));
		if (bogus_address(need == 4 ? AF_INET : AF_INET6, rr.rdata)) {
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: nameserver %s has the address "
				"%s, which no nameserver can have; not checking it", h->host, text);
			continue;
		}
		if (h->n_addrs >= MAX_HOST_ADDRS) {
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: nameserver %s has more than %d "
				"addresses; checking the first %d", h->host, MAX_HOST_ADDRS,
				MAX_HOST_ADDRS);
			break;
		}
		grown = realloc(h->addrs, (h->n_addrs + 1) * sizeof(*grown));
		if (grown == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		h->addrs = grown;
		s = &h->addrs[h->n_addrs];
		memset(s, 0, sizeof(*s));
		if (rr.type == DA_DNS_TYPE_A) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&s->addr;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(53);
			memcpy(&sin->sin_addr, rr.rdata, 4);
			s->addr_len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->addr;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(53);
			memcpy(&sin6->sin6_addr, rr.rdata, 16);
			s->addr_len = sizeof(*sin6);
		}
		if (!routable(s)) {
			da_logf(dns->log, DNSACME_LOG_INFO, "dns: no route to nameserver %s (%s); "
				"not checking it", h->host, text);
			continue;
		}
		if (asprintf(&s->label, "%s (%s)", h->host, text) < 0)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		h->n_addrs++;
	}
	return DA_OK;
}


/* Both lookups of h are in: h joins dns->hosts with its routable addresses. */
static enum da_code host_finish(struct da_dns *dns, struct host_work *h, struct da_err *err)
{
	const struct lookup *l[] = {&h->a, &h->aaaa};
	struct da_dns_host *grown, *entry;
	enum da_code rc = DA_OK;

	grown = realloc(dns->hosts, (dns->n_hosts + 1) * sizeof(*grown));
	if (grown == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	dns->hosts = grown;
	entry = &dns->hosts[dns->n_hosts++];
	*entry = (struct da_dns_host){.host = h->host};
	h->done = true;
	for (size_t i = 0; rc == DA_OK && i < 2; i++) {
		if (l[i]->status != ARES_SUCCESS)
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: %s lookup of nameserver %s "
				"failed: %s", type_name(l[i]->type), h->host,
				ares_strerror(l[i]->status));
		rc = host_add_addrs(dns, entry, l[i], err);
	}
	return rc;
}

/* The job's SOA answer: its zone, or on up one label. */
static void job_soa(struct batch *b, struct job *j)
{
	const char *cur = j->soa_at;
	char zone[DA_DNS_TEXT_NAME_SIZE] = "";
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	bool cname = false;
	int more = 0;
	enum da_code rc = lookup_answer(b->dns, &j->l, &msg, &j->err);

	/* An SOA owned by the name asked for makes it the apex; otherwise the
	 * SOA of an NXDOMAIN or NODATA answer's authority section names the
	 * zone. Without either (a resolver that drops the authority section)
	 * the walk goes up one label. */
	while (rc == DA_OK && (more = da_dns_msg_next(&msg, &rr)) == 1) {
		bool owned = da_dns_name_equal(rr.owner, cur);

		if (rr.section == DA_DNS_ANSWER && rr.type == DA_DNS_TYPE_CNAME && owned)
			cname = true; /* the authority SOA is the target's zone */
		if (rr.type != DA_DNS_TYPE_SOA || !in_zone(cur, rr.owner))
			continue;
		if ((rr.section == DA_DNS_ANSWER && owned) ||
		    (rr.section == DA_DNS_AUTHORITY && !cname))
			snprintf(zone, sizeof(zone), "%s", rr.owner);
	}
	if (rc == DA_OK && more < 0)
		rc = da_err_set(&j->err, DA_ERR_DNS, "SOA lookup of %s: malformed answer", cur);
	lookup_reset(&j->l);
	if (rc != DA_OK) {
		job_fail(j, rc);
		return;
	}
	if (zone[0] != '\0' && !cname) {
		job_zone(b, j, zone);
		return;
	}
	cur = strchr(cur, '.');
	if (cur == NULL || cur[1] == '\0') {
		job_fail(j, da_err_set(&j->err, DA_ERR_DNS, "no zone found for %s: no SOA record "
				       "at or above it", j->chain[j->depth]));
		return;
	}
	j->soa_at = cur + 1;
	lookup_send(b->dns, &j->l, j->soa_at, DA_DNS_TYPE_SOA);
}

/*
 * Take every answer that is in and send what it leads to, until nothing
 * more can move without the network. *busy: are queries still in flight?
 * Fails only for the batch as a whole (out of memory for a shared host).
 */
static enum da_code batch_advance(struct batch *b, bool *busy, struct da_err *err)
{
	bool moved;

	do {
		moved = false;
		for (size_t i = 0; i < b->n_hosts; i++) {
			struct host_work *h = b->hosts[i];
			enum da_code rc;

			if (h->done || !h->a.done || !h->aaaa.done)
				continue;
			rc = host_finish(b->dns, h, err);
			if (rc != DA_OK)
				return rc;
			moved = true;
		}
		for (size_t i = 0; i < b->n_zones; i++) {
			struct zone_work *zw = b->zones[i];
			bool ready = true;

			if (zw->done || lookup_pending(&zw->ns))
				continue;
			if (zw->ns.done) {
				enum da_code rc = zone_read_ns(b, zw);

				moved = true;
				if (rc != DA_OK) {
					zone_done(zw, rc);
					continue;
				}
			}
			for (size_t k = 0; k < zw->n_hosts && ready; k++)
				ready = host_find(b->dns, zw->hosts[k]) != NULL;
			if (ready) {
				zone_finish(b->dns, zw);
				moved = true;
			}
		}
		for (size_t i = 0; i < b->n_jobs; i++) {
			struct job *j = &b->jobs[i];

			if (j->step == STEP_ZONE && j->zone_work->done) {
				if (j->zone_work->rc == DA_OK) {
					job_found(b->dns, j, j->zone_work->zone);
				} else {
					j->err = j->zone_work->err;
					job_fail(j, j->zone_work->rc);
				}
			} else if (j->step == STEP_CNAME && j->l.done) {
				job_cname(b->dns, j);
			} else if (j->step == STEP_SOA && j->l.done) {
				job_soa(b, j);
			} else {
				continue;
			}
			moved = true;
		}
	} while (moved);

	*busy = false;
	for (size_t i = 0; i < b->n_jobs && !*busy; i++)
		*busy = lookup_pending(&b->jobs[i].l);
	for (size_t i = 0; i < b->n_zones && !*busy; i++)
		*busy = lookup_pending(&b->zones[i]->ns);
	for (size_t i = 0; i < b->n_hosts && !*busy; i++)
		*busy = lookup_pending(&b->hosts[i]->a) || lookup_pending(&b->hosts[i]->aaaa);
	return DA_OK;
}

/* Drive the batch until no query is in flight. */
static enum da_code batch_run(struct batch *b, struct da_err *err)
{
	struct da_dns *dns = b->dns;
	enum da_code rc;

	for (;;) {
		bool busy = false;

		rc = batch_advance(b, &busy, err);
		if (rc != DA_OK || !busy)
			break;
		if (dns->stop != NULL && *dns->stop) {
			rc = da_err_set(err, DA_ERR_INTERRUPTED, "interrupted");
			break;
		}
		rc = da_dns_loop_step(&dns->resolver, 1, STOP_POLL_MS, err);
		if (rc != DA_OK)
			break;
	}
	if (rc != DA_OK)
		ares_cancel(dns->resolver); /* completes the lookups still in flight */
	return rc;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n_jobs; i++) {
		lookup_reset(&b->jobs[i].l);
		for (size_t k = 0; k <= CNAME_DEPTH_MAX; k++)
			free(b->jobs[i].chain[k]);
	}
	free(b->jobs);
	for (size_t i = 0; i < b->n_zones; i++) {
		struct zone_work *zw = b->zones[i];

		lookup_reset(&zw->ns);
		for (size_t k = 0; k < zw->n_hosts; k++)
			free(zw->hosts[k]);
		free(zw->hosts);
		if (!zw->done || zw->rc != DA_OK)
			zone_free(zw->zone);
		free(zw);
	}
	free(b->zones);
	for (size_t i = 0; i < b->n_hosts; i++) {
		lookup_reset(&b->hosts[i]->a);
		lookup_reset(&b->hosts[i]->aaaa);
		if (!b->hosts[i]->done)
			free(b->hosts[i]->host);
		free(b->hosts[i]);
	}
	free(b->hosts);
}

/*
 * The one code path of discovery: a job per distinct name (an apex and its
 * wildcard share one challenge name), all run together. follow: follow
 * CNAMEs first; want_zone: find the target's zone. See da_dns_locate().
 */
static enum da_code discover(struct da_dns *dns, const char *const *names, size_t n,
			     bool follow, bool want_zone, struct da_dns_location *out,
			     size_t *failed, struct da_err *err)
{
	struct batch b = {.dns = dns};
	size_t *job_of, dummy;
	enum da_code rc;

	failed = failed != NULL ? failed : &dummy;
	*failed = n;
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return DA_OK;
	b.jobs = calloc(n, sizeof(*b.jobs));
	job_of = calloc(n, sizeof(*job_of));
	if (b.jobs == NULL || job_of == NULL) {
		free(b.jobs);
		free(job_of);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &b.jobs[b.n_jobs];
		char *name;

		j->rc = da_dns_name_normalize(names[i], &name, &j->err);
		if (j->rc != DA_OK) {
			j->step = STEP_DONE;
			job_of[i] = b.n_jobs++;
			continue;
		}
		job_of[i] = b.n_jobs;
		for (size_t k = 0; k < b.n_jobs && job_of[i] == b.n_jobs; k++)
			if (b.jobs[k].chain[0] != NULL && strcmp(b.jobs[k].chain[0], name) == 0)
				job_of[i] = k;
		if (job_of[i] != b.n_jobs) {
			free(name);
			continue;
		}
		b.n_jobs++;
		j->chain[0] = name;
		j->want_zone = want_zone;
		if (follow)
			lookup_send(dns, &j->l, name, DA_DNS_TYPE_CNAME);
		else
			job_target(dns, j);
	}
	rc = batch_run(&b, err);
	for (size_t i = 0; rc == DA_OK && i < n; i++) {
		const struct job *j = &b.jobs[job_of[i]];

		if (j->rc != DA_OK) {
			*err = j->err;
			*failed = i;
			rc = j->rc;
		}
	}
	for (size_t i = 0; rc == DA_OK && i < n; i++) {
		const struct job *j = &b.jobs[job_of[i]];

		out[i].zone = j->zone;
		out[i].fqdn = strdup(j->chain[j->depth]);
		if (out[i].fqdn == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (rc != DA_OK) {
		for (size_t i = 0; i < n; i++)
			free(out[i].fqdn);
		memset(out, 0, n * sizeof(*out));
	}
	batch_free(&b);
	free(job_of);
	return rc;
}

enum da_code da_dns_locate(struct da_dns *dns, const char *const *challenge_names, size_t n,
			   struct da_dns_location *out, size_t *failed, struct da_err *err)
{
	return discover(dns, challenge_names, n, true, true, out, failed, err);
}

enum da_code da_dns_follow_cname(struct da_dns *dns, const char *fqdn, char **target_out,
				 struct da_err *err)
{
	struct da_dns_location where;
	enum da_code rc = discover(dns, &fqdn, 1, true, false, &where, NULL, err);

	*target_out = where.fqdn;
	return rc;
}

enum da_code da_dns_find_zone(struct da_dns *dns, const char *fqdn,
			      const struct da_dns_zone **zone_out, struct da_err *err)
{
	struct da_dns_location where;
	enum da_code rc = discover(dns, &fqdn, 1, false, true, &where, NULL, err);

	free(where.fqdn);
	*zone_out = where.zone;
	return rc;
}
