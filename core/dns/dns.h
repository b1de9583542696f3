/*
 * Everything the core asks of DNS: name checks, CNAME following, zone and
 * authoritative nameserver discovery, and the propagation check that polls
 * every authoritative address directly until each TXT value is visible.
 *
 * All network work runs on c-ares 1.18 channels driven by our own poll()
 * loop; nothing here blocks on a system resolver, and the resolvers are
 * configurable so a useless /etc/resolv.conf does not matter.
 */
#ifndef DA_DNS_DNS_H
#define DA_DNS_DNS_H

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/error.h"
#include "base/log.h"

/* The longest name in presentation form, without the trailing dot. */
#define DA_DNS_NAME_MAX 253

/* --- Names (pure) ------------------------------------------------------- */

/*
 * Is name usable as an ACME dns identifier: labels of 1..63 characters from
 * [A-Za-z0-9-], no label starting or ending with '-', at most 253 characters,
 * an optional leading "*." (wildcard) and an optional trailing dot. IDNs must
 * already be punycode ("xn--..."). DA_OK, or DA_ERR_USAGE with a message that
 * names the name and what is wrong with it.
 */
enum da_code da_dns_name_check(const char *name, struct da_err *err);

/*
 * A record name as other clients give it: labels of letters, digits, '-'
 * and '_' (as in "_acme-challenge"), an optional trailing dot. DA_ERR_USAGE
 * naming it otherwise.
 */
enum da_code da_dns_record_name_check(const char *name, struct da_err *err);

/*
 * name in lower case without its trailing dot, in *out (free()). Does not
 * check the name (challenge names hold '_'). DA_ERR_USAGE for an empty or
 * over-long name, DA_ERR_NOMEM.
 */
enum da_code da_dns_name_normalize(const char *name, char **out, struct da_err *err);

/*
 * "_acme-challenge.<domain>" for an ACME identifier, "*." stripped, in lower
 * case without a trailing dot, in *out (free()). Checks domain with
 * da_dns_name_check() and the result's length.
 */
enum da_code da_dns_challenge_name(const char *domain, char **out, struct da_err *err);

/* --- Servers ------------------------------------------------------------ */

/* One nameserver address. */
struct da_dns_server {
	char *label; /* printable, e.g. "ns2.example.com (127.53.1.2)" or "[::1]:5353" */
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port set (53 by default) */
	socklen_t addr_len;
};

/*
 * Parse "HOST[:PORT],..." where HOST is an IPv4 or IPv6 address (an IPv6
 * address with a port is written "[::1]:5353"); spaces around entries are
 * allowed, the port defaults to 53. Host names are refused: they would need
 * the very resolver being configured. On DA_OK *out holds *n_out (>= 1)
 * servers labelled with their address; free with da_dns_servers_free().
 * DA_ERR_CONFIG names the bad entry.
 */
enum da_code da_dns_parse_servers(const char *list, struct da_dns_server **out, size_t *n_out,
				  struct da_err *err);
void da_dns_servers_free(struct da_dns_server *servers, size_t n);

/* --- The resolver object ------------------------------------------------ */

struct da_dns_config {
	/* "HOST[:PORT],..." used for CNAME, SOA, NS and address lookups
	 * (recursion desired); NULL: the system's (/etc/resolv.conf). */
	const char *resolvers;
	/* "HOST[:PORT],..." polled for propagation instead of each zone's
	 * discovered nameservers (split-horizon DNS); NULL: discover. */
	const char *propagation_nameservers;
	/* One attempt of one query; 0: 2000 ms. */
	long query_timeout_ms;
};

struct da_dns; /* opaque: a discovery channel plus this run's caches */

/*
 * Create the resolver object; *out is freed with da_dns_free(). cfg strings
 * are parsed now and not kept. log (may be NULL) and stop (may be NULL; a
 * non-zero value aborts any wait with DA_ERR_INTERRUPTED) must outlive it.
 * DA_ERR_CONFIG for a bad server list, DA_ERR_DNS if c-ares cannot start.
 */
enum da_code da_dns_new(struct da_dns **out, const struct da_dns_config *cfg,
			const struct da_log *log, const volatile sig_atomic_t *stop,
			struct da_err *err);
void da_dns_free(struct da_dns *dns);

/*
 * Follow the CNAME chain from fqdn (typically a challenge name) to the name
 * that really holds the TXT record (delegated validation zones). A name with
 * no CNAME yields itself. *target_out is normalized (lower case, no trailing
 * dot); free() it. DA_ERR_DNS for a loop, a chain longer than 16 or a
 * failed lookup; DA_ERR_INTERRUPTED.
 */
enum da_code da_dns_follow_cname(struct da_dns *dns, const char *fqdn, char **target_out,
				 struct da_err *err);

/* A zone and the addresses that serve it. */
struct da_dns_zone {
	char *name; /* lower case, no trailing dot */
	struct da_dns_server *servers; /* every A and AAAA of every NS, port 53 */
	size_t n_servers;
};

/*
 * The zone fqdn belongs to (SOA walk up from fqdn), with every address of
 * every one of its NS (or exactly cfg.propagation_nameservers when set).
 * *zone_out is owned and cached by dns: valid until da_dns_free(), shared by
 * every name of the zone. DA_ERR_DNS when no zone or no address is found;
 * DA_ERR_INTERRUPTED.
 */
enum da_code da_dns_find_zone(struct da_dns *dns, const char *fqdn,
			      const struct da_dns_zone **zone_out, struct da_err *err);

/* Where one challenge name's TXT record lives. */
struct da_dns_location {
	char *fqdn;			/* CNAMEs followed, normalized; free() */
	const struct da_dns_zone *zone; /* owned and cached by dns, as da_dns_find_zone() */
};

/*
 * da_dns_follow_cname() and then da_dns_find_zone() on each of n names,
 * all at once: every name's CNAME and SOA queries are in flight together on
 * one event loop, names that share a zone share its NS and address lookups,
 * and a name given twice is looked up once. So n names cost the round trips
 * of the longest chain, not their sum. On DA_OK out[i] is names[i]'s target
 * and zone (free each fqdn). On failure out[] is zeroed, err holds the error
 * of the first failed name as the two functions would word it, and *failed
 * (may be NULL) is its index, or n when the batch as a whole failed
 * (DA_ERR_INTERRUPTED, DA_ERR_NOMEM).
 */
enum da_code da_dns_locate(struct da_dns *dns, const char *const *challenge_names, size_t n,
			   struct da_dns_location *out, size_t *failed, struct da_err *err);

/* --- Propagation -------------------------------------------------------- */

/* One TXT value that must become visible at one name on every server of zone. */
struct da_dns_check {
	const char *fqdn;		   /* where the TXT lives (CNAMEs followed) */
	const char *value;		   /* the TXT text */
	const struct da_dns_zone *zone;	   /* from da_dns_find_zone() */
};

/* Called once per check, the moment every address of its zone has its value. */
typedef void da_dns_ready_fn(void *arg, size_t index);

/*
 * Poll every address of every check's zone directly (no recursion, EDNS0,
 * TCP when truncated), all queries in flight at once, until each check's
 * value is in the TXT RRset of an authoritative (AA) answer from every
 * address of its zone. on_ready (may be NULL) is called with the check's
 * index as soon as that check is complete. Logs progress at info level.
 * DA_ERR_TIMEOUT after timeout_seconds, naming the servers that still lack
 * which names; DA_ERR_INTERRUPTED when *stop is set; DA_ERR_USAGE for a
 * check without a zone or a timeout <= 0; DA_ERR_DNS, DA_ERR_NOMEM.
 */
enum da_code da_dns_propagation_wait(struct da_dns *dns, const struct da_dns_check *checks,
				     size_t n, long timeout_seconds, da_dns_ready_fn *on_ready,
				     void *arg, struct da_err *err);

#endif
