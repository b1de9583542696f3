/* What the files of core/dns share: the resolver object and the c-ares loop. */
#ifndef DA_DNS_INTERNAL_H
#define DA_DNS_INTERNAL_H

#include <ares.h>
#include <stdbool.h>

#include "dns.h"

/* A name whose zone is known (names may share one zone). */
struct da_dns_name_zone {
	char *name;
	const struct da_dns_zone *zone; /* one of da_dns.zones */
};

/* The addresses of one nameserver host, labelled "host (address)". */
struct da_dns_host {
	char *host;
	struct da_dns_server *addrs;
	size_t n_addrs;
};

struct da_dns {
	const struct da_log *log;
	const volatile sig_atomic_t *stop;
	long timeout_ms;
	ares_channel resolver; /* recursion desired; cfg.resolvers or the system's */
	char *resolvers;       /* cfg.resolvers, to name in errors; NULL: the system's */
	struct da_dns_server *overrides; /* cfg.propagation_nameservers, or NULL */
	size_t n_overrides;
	struct da_dns_zone **zones;
	size_t n_zones;
	struct da_dns_name_zone *names;
	size_t n_names;
	struct da_dns_host *hosts;
	size_t n_hosts;
};

/* Milliseconds on the monotonic clock. */
long long da_dns_now_ms(void);

/*
 * A channel that asks exactly servers (or the system's resolvers when
 * n == 0), one attempt of timeout_ms per server and try. *out is freed with
 * ares_destroy(). flags are ARES_FLAG_*.
 */
enum da_code da_dns_channel_new(ares_channel *out, const struct da_dns_server *servers,
				size_t n, int flags, int tries, long timeout_ms,
				struct da_err *err);

/* Send one IN query for (name, type) with EDNS0 and a random id; recurse
 * sets RD. On DA_OK the callback runs once, possibly before this returns;
 * on a failure it never does. */
enum da_code da_dns_send(ares_channel channel, const char *name, int type, bool recurse,
			 ares_callback callback, void *arg, struct da_err *err);

/*
 * Wait up to max_wait_ms for socket activity on any channel or the next
 * c-ares timeout, then let c-ares process it (callbacks run here).
 */
enum da_code da_dns_loop_step(ares_channel *channels, size_t n, long max_wait_ms,
			      struct da_err *err);

/* copy into dst, with its label duplicated: 0 or -1 (nomem). */
int da_dns_server_copy(struct da_dns_server *dst, const struct da_dns_server *src);

/* Do a and b hold the same address and port? */
bool da_dns_server_same(const struct da_dns_server *a, const struct da_dns_server *b);

#endif
