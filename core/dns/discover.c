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
/* How long one loop step may sleep before the stop flag is looked at again. */
#define STOP_POLL_MS 250

/* One query through the resolvers and its answer. */
struct lookup {
	const char *name; /* not owned */
	int type;
	int status; /* ARES_SUCCESS or why not */
	bool done;
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

static void lookups_free(struct lookup *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].answer);
		l[i].answer = NULL;
	}
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
 * Run every lookup at once through the resolvers. DA_OK once all have an
 * outcome (each one's status says whether it got an answer).
 */
static enum da_code lookup_all(struct da_dns *dns, struct lookup *l, size_t n,
			       struct da_err *err)
{
	size_t pending = n;

	for (size_t i = 0; i < n; i++) {
		enum da_code rc;

		da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: %s %s?", type_name(l[i].type),
			l[i].name);
		rc = da_dns_send(dns->resolver, l[i].name, l[i].type, true, lookup_done, &l[i],
				 err);
		if (rc != DA_OK) {
			ares_cancel(dns->resolver); /* completes those already sent */
			return rc;
		}
	}
	while (pending > 0) {
		enum da_code rc;

		if (dns->stop != NULL && *dns->stop) {
			ares_cancel(dns->resolver);
			return da_err_set(err, DA_ERR_INTERRUPTED, "interrupted");
		}
		rc = da_dns_loop_step(&dns->resolver, 1, STOP_POLL_MS, err);
		if (rc != DA_OK) {
			ares_cancel(dns->resolver);
			return rc;
		}
		pending = 0;
		for (size_t i = 0; i < n; i++)
			pending += !l[i].done;
	}
	return DA_OK;
}

/* Did the resolvers fail (rather than the name)? Then the error names them:
 * a wrong --dns-resolvers or resolv.conf is the usual cause. */
static bool resolver_fault(int status)
{
	return status == ARES_ECONNREFUSED || status == ARES_ETIMEOUT ||
	       status == ARES_EREFUSED || status == ARES_ESERVFAIL;
}

/* One lookup whose failure is an error; on DA_OK *msg reads its answer. */
static enum da_code lookup_one(struct da_dns *dns, struct lookup *l, struct da_dns_msg *msg,
			       struct da_err *err)
{
	enum da_code rc = lookup_all(dns, l, 1, err);

	if (rc != DA_OK)
		return rc;
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

enum da_code da_dns_follow_cname(struct da_dns *dns, const char *fqdn, char **target_out,
				 struct da_err *err)
{
	char *chain[CNAME_DEPTH_MAX + 1];
	size_t depth = 0;
	enum da_code rc;

	*target_out = NULL;
	rc = da_dns_name_normalize(fqdn, &chain[0], err);
	if (rc != DA_OK)
		return rc;
	for (;;) {
		struct lookup l = {.name = chain[depth], .type = DA_DNS_TYPE_CNAME};
		char target[DA_DNS_TEXT_NAME_SIZE];
		struct da_dns_msg msg;
		struct da_dns_rr rr;
		int found;

		rc = lookup_one(dns, &l, &msg, err);
		found = rc == DA_OK ? find_answer(&msg, chain[depth], DA_DNS_TYPE_CNAME, &rr) : 0;
		if (found == 1 && da_dns_rr_name(&msg, &rr, target, sizeof(target)) != 0)
			found = -1;
		lookups_free(&l, 1);
		if (rc != DA_OK)
			break;
		if (found < 0) {
			rc = da_err_set(err, DA_ERR_DNS, "CNAME lookup of %s: malformed answer",
					chain[depth]);
			break;
		}
		if (found == 0) {
			*target_out = chain[depth];
			if (depth > 0)
				da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: %s is a CNAME for %s",
					chain[0], chain[depth]);
			chain[depth] = NULL;
			break;
		}
		for (size_t i = 0; i <= depth && rc == DA_OK; i++)
			if (da_dns_name_equal(chain[i], target))
				rc = da_err_set(err, DA_ERR_DNS, "CNAME loop: %s leads back to %s",
						chain[0], target);
		if (rc == DA_OK && depth == CNAME_DEPTH_MAX)
			rc = da_err_set(err, DA_ERR_DNS, "CNAME chain from %s is longer than %d",
					chain[0], CNAME_DEPTH_MAX);
		if (rc == DA_OK)
			rc = da_dns_name_normalize(target, &chain[depth + 1], err);
		if (rc != DA_OK)
			break;
		depth++;
	}
	for (size_t i = 0; i <= depth; i++)
		free(chain[i]);
	return rc;
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

/*
 * The SOA walk: the zone's name in zone (DA_DNS_TEXT_NAME_SIZE bytes). An
 * SOA owned by the name asked for makes it the apex; otherwise the SOA of an
 * NXDOMAIN or NODATA answer's authority section names the zone directly.
 * Without either (a resolver that drops the authority section) the walk
 * goes up one label.
 */
static enum da_code soa_walk(struct da_dns *dns, const char *name, char *zone,
			     struct da_err *err)
{
	const char *cur = name;

	while (*cur != '\0') {
		struct lookup l = {.name = cur, .type = DA_DNS_TYPE_SOA};
		struct da_dns_msg msg;
		struct da_dns_rr rr;
		bool cname = false;
		int more;
		enum da_code rc = lookup_one(dns, &l, &msg, err);

		zone[0] = '\0';
		while (rc == DA_OK && (more = da_dns_msg_next(&msg, &rr)) == 1) {
			bool owned = da_dns_name_equal(rr.owner, cur);

			if (rr.section == DA_DNS_ANSWER && rr.type == DA_DNS_TYPE_CNAME && owned)
				cname = true; /* the authority SOA is the target's zone */
			if (rr.type != DA_DNS_TYPE_SOA || !in_zone(cur, rr.owner))
				continue;
			if ((rr.section == DA_DNS_ANSWER && owned) ||
			    (rr.section == DA_DNS_AUTHORITY && !cname))
				snprintf(zone, DA_DNS_TEXT_NAME_SIZE, "%s", rr.owner);
		}
		if (rc == DA_OK && more < 0)
			rc = da_err_set(err, DA_ERR_DNS, "SOA lookup of %s: malformed answer",
					cur);
		lookups_free(&l, 1);
		if (rc != DA_OK)
			return rc;
		if (zone[0] != '\0' && !cname)
			return DA_OK;
		cur = strchr(cur, '.');
		cur = cur != NULL ? cur + 1 : "";
	}
	return da_err_set(err, DA_ERR_DNS, "no zone found for %s: no SOA record at or above it",
			  name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The zone's NS host names, sorted, in *hosts_out (free each and the array). */
static enum da_code zone_ns(struct da_dns *dns, const char *zone, char ***hosts_out,
			    size_t *n_out, struct da_err *err)
{
	struct lookup l = {.name = zone, .type = DA_DNS_TYPE_NS};
	char **hosts = NULL;
	size_t n = 0;
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	int more = 0;
	enum da_code rc = lookup_one(dns, &l, &msg, err);

	while (rc == DA_OK && (more = find_answer(&msg, zone, DA_DNS_TYPE_NS, &rr)) == 1) {
		char host[DA_DNS_TEXT_NAME_SIZE];
		char **grown = realloc(hosts, (n + 1) * sizeof(*hosts));

		if (grown == NULL) {
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			break;
		}
		hosts = grown;
		if (da_dns_rr_name(&msg, &rr, host, sizeof(host)) != 0) {
			more = -1;
			break;
		}
		hosts[n] = strdup(host);
		if (hosts[n++] == NULL)
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (rc == DA_OK && more < 0)
		rc = da_err_set(err, DA_ERR_DNS, "NS lookup of %s: malformed answer", zone);
	if (rc == DA_OK && n == 0)
		rc = da_err_set(err, DA_ERR_DNS, "zone %s has no NS records", zone);
	lookups_free(&l, 1);
	if (rc != DA_OK) {
		for (size_t i = 0; i < n; i++)
			free(hosts[i]);
		free(hosts);
		return rc;
	}
	qsort(hosts, n, sizeof(*hosts), cmp_str);
	*hosts_out = hosts;
	*n_out = n;
	return DA_OK;
}

static struct da_dns_host *host_find(struct da_dns *dns, const char *host)
{
	for (size_t i = 0; i < dns->n_hosts; i++)
		if (strcmp(dns->hosts[i].host, host) == 0)
			return &dns->hosts[i];
	return NULL;
}

/*
 * Can this machine send to the server at all? A UDP connect() asks the
 * routing table without sending a packet. Without it, the AAAA addresses of
 * every NS would be polled in vain until the timeout from a pod or VM that
 * has no IPv6. Other failures are left for the polling to report.
 */
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
			inet_ntop(AF_INET, rr.rdata, text, sizeof(text));
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->addr;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(53);
			memcpy(&sin6->sin6_addr, rr.rdata, 16);
			s->addr_len = sizeof(*sin6);
			inet_ntop(AF_INET6, rr.rdata, text, sizeof(text));
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

/* Look up the addresses of every host not yet in the cache, all at once. */
static enum da_code hosts_resolve(struct da_dns *dns, char **hosts, size_t n,
				  struct da_err *err)
{
	struct lookup *l;
	struct da_dns_host *grown;
	size_t first = dns->n_hosts, nl = 0;
	enum da_code rc;

	grown = realloc(dns->hosts, (dns->n_hosts + n) * sizeof(*grown));
	l = calloc(2 * n, sizeof(*l));
	if (grown != NULL)
		dns->hosts = grown;
	if (grown == NULL || l == NULL) {
		free(l);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (host_find(dns, hosts[i]) != NULL)
			continue;
		memset(&dns->hosts[dns->n_hosts], 0, sizeof(dns->hosts[0]));
		dns->hosts[dns->n_hosts].host = strdup(hosts[i]);
		if (dns->hosts[dns->n_hosts].host == NULL) {
			free(l);
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		}
		dns->n_hosts++;
		l[nl++] = (struct lookup){.name = hosts[i], .type = DA_DNS_TYPE_A};
		l[nl++] = (struct lookup){.name = hosts[i], .type = DA_DNS_TYPE_AAAA};
	}
	rc = lookup_all(dns, l, nl, err);
	for (size_t i = 0; rc == DA_OK && i < nl; i++) {
		if (l[i].status != ARES_SUCCESS)
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: %s lookup of nameserver %s "
				"failed: %s", type_name(l[i].type), l[i].name,
				ares_strerror(l[i].status));
		rc = host_add_addrs(dns, &dns->hosts[first + i / 2], &l[i], err);
	}
	lookups_free(l, nl);
	free(l);
	return rc;
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

/* Build the zone's server list: the overrides, or every address of every NS. */
static enum da_code zone_build(struct da_dns *dns, const char *name, struct da_dns_zone **out,
			       struct da_err *err)
{
	struct da_dns_zone *zone = calloc(1, sizeof(*zone));
	char **hosts = NULL;
	size_t n_hosts = 0;
	enum da_code rc;

	if (zone == NULL || (zone->name = strdup(name)) == NULL) {
		free(zone);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (dns->overrides != NULL) {
		rc = zone_add(zone, dns->overrides, dns->n_overrides, err);
	} else {
		rc = zone_ns(dns, name, &hosts, &n_hosts, err);
		if (rc == DA_OK)
			rc = hosts_resolve(dns, hosts, n_hosts, err);
	}
	for (size_t i = 0; rc == DA_OK && i < n_hosts; i++) {
		const struct da_dns_host *h = host_find(dns, hosts[i]);

		if (h->n_addrs == 0)
			da_logf(dns->log, DNSACME_LOG_WARN, "dns: nameserver %s of %s has no "
				"reachable address; not checking it", hosts[i], name);
		rc = zone_add(zone, h->addrs, h->n_addrs, err);
	}
	for (size_t i = 0; i < n_hosts; i++)
		free(hosts[i]);
	free(hosts);
	if (rc == DA_OK && zone->n_servers == 0)
		rc = da_err_set(err, DA_ERR_DNS, "no nameserver of zone %s has a reachable address",
				name);
	if (rc != DA_OK) {
		zone_free(zone);
		return rc;
	}
	*out = zone;
	return DA_OK;
}

enum da_code da_dns_find_zone(struct da_dns *dns, const char *fqdn,
			      const struct da_dns_zone **zone_out, struct da_err *err)
{
	char zone_name[DA_DNS_TEXT_NAME_SIZE];
	struct da_dns_zone *zone = NULL, **grown_zones;
	struct da_dns_name_zone *grown_names;
	char *name;
	enum da_code rc;

	*zone_out = NULL;
	rc = da_dns_name_normalize(fqdn, &name, err);
	if (rc != DA_OK)
		return rc;
	for (size_t i = 0; i < dns->n_names; i++) {
		if (strcmp(dns->names[i].name, name) == 0) {
			*zone_out = dns->names[i].zone;
			free(name);
			return DA_OK;
		}
	}
	rc = soa_walk(dns, name, zone_name, err);
	for (size_t i = 0; rc == DA_OK && i < dns->n_zones && zone == NULL; i++)
		if (strcmp(dns->zones[i]->name, zone_name) == 0)
			zone = dns->zones[i];
	if (rc == DA_OK && zone == NULL) {
		rc = zone_build(dns, zone_name, &zone, err);
		grown_zones = rc == DA_OK ? realloc(dns->zones, (dns->n_zones + 1) *
							     sizeof(*grown_zones))
					  : NULL;
		if (rc == DA_OK && grown_zones == NULL) {
			zone_free(zone);
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		} else if (rc == DA_OK) {
			dns->zones = grown_zones;
			dns->zones[dns->n_zones++] = zone;
			for (size_t i = 0; i < zone->n_servers; i++)
				da_logf(dns->log, DNSACME_LOG_DEBUG, "dns: zone %s: %s", zone->name,
					zone->servers[i].label);
		}
	}
	if (rc == DA_OK) {
		grown_names = realloc(dns->names, (dns->n_names + 1) * sizeof(*grown_names));
		if (grown_names == NULL) {
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		} else {
			dns->names = grown_names;
			dns->names[dns->n_names++] = (struct da_dns_name_zone){name, zone};
			name = NULL;
			*zone_out = zone;
		}
	}
	free(name);
	if (rc != DA_OK)
		return da_err_wrap(err, "zone of %s", fqdn);
	return DA_OK;
}
