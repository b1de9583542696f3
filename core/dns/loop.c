/* c-ares channels and the poll() loop that drives any number of them. */
#include "internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "wire.h"

/* Answers up to this size come over UDP (the DNS flag day 2020 value). */
#define EDNS_UDP_SIZE 1232

long long da_dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum da_code da_dns_channel_new(ares_channel *out, const struct da_dns_server *servers,
				size_t n, int flags, int tries, long timeout_ms,
				struct da_err *err)
{
	struct ares_options opts;
	struct ares_addr_port_node *nodes = NULL;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int status;

	memset(&opts, 0, sizeof(opts));
	opts.flags = flags;
	opts.timeout = (int)timeout_ms;
	opts.tries = tries;
#if ARES_VERSION >= 0x011700
	/* c-ares >= 1.23 caches answers; a propagation check must see each
	 * server's answer of now, never one from a previous poll. */
	mask |= ARES_OPT_QUERY_CACHE;
	opts.qcache_max_ttl = 0;
#endif
	status = ares_init_options(out, &opts, mask);
	if (status != ARES_SUCCESS)
		return da_err_set(err, DA_ERR_DNS, "cannot start c-ares: %s",
				  ares_strerror(status));
	if (n == 0)
		return DA_OK;
	nodes = calloc(n, sizeof(*nodes));
	if (nodes == NULL) {
		ares_destroy(*out);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&servers[i].addr;
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&servers[i].addr;

		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = servers[i].addr.ss_family;
		if (nodes[i].family == AF_INET) {
			nodes[i].addr.addr4 = sin->sin_addr;
			nodes[i].udp_port = ntohs(sin->sin_port);
		} else {
			memcpy(&nodes[i].addr.addr6, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
			nodes[i].udp_port = ntohs(sin6->sin6_port);
		}
		nodes[i].tcp_port = nodes[i].udp_port;
	}
	status = ares_set_servers_ports(*out, nodes);
	free(nodes);
	if (status != ARES_SUCCESS) {
		ares_destroy(*out);
		return da_err_set(err, DA_ERR_DNS, "cannot set nameservers: %s",
				  ares_strerror(status));
	}
	return DA_OK;
}

enum da_code da_dns_send(ares_channel channel, const char *name, int type, bool recurse,
			 ares_callback callback, void *arg, struct da_err *err)
{
	unsigned char *query;
	unsigned short id;
	int len, status;

	/* A random id, as RFC 5452 asks: with the source port it is all an
	 * off-path forger has to guess. c-ares 1.18 (Debian 12) sends the id
	 * the query was built with (later ones draw their own), and an answer
	 * is matched by its question too, so ids need not differ. */
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return da_err_set(err, DA_ERR_INTERNAL, "cannot draw a DNS query id: %s",
				  strerror(errno));
	/* A non-zero max_udp_size adds the OPT RR. */
	status = ares_create_query(name, DA_DNS_CLASS_IN, type, id, recurse, &query, &len,
				   EDNS_UDP_SIZE);
	if (status != ARES_SUCCESS)
		return da_err_set(err, status == ARES_ENOMEM ? DA_ERR_NOMEM : DA_ERR_DNS,
				  "cannot build a DNS query for %s: %s", name,
				  ares_strerror(status));
	ares_send(channel, query, len, callback, arg);
	ares_free_string(query);
	return DA_OK;
}

enum da_code da_dns_loop_step(ares_channel *channels, size_t n, long max_wait_ms,
			      struct da_err *err)
{
	struct pollfd *fds;
	size_t *owner, nfds = 0;
	long wait_ms = max_wait_ms;
	int ready;

	fds = calloc(n * ARES_GETSOCK_MAXNUM + 1, sizeof(*fds));
	owner = calloc(n * ARES_GETSOCK_MAXNUM + 1, sizeof(*owner));
	if (fds == NULL || owner == NULL) {
		free(fds);
		free(owner);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	for (size_t c = 0; c < n; c++) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		/* ARES_GETSOCK_WRITABLE() shifts a signed 1 into the sign bit for
		 * the last socket; test the bits unsigned. */
		unsigned bits = (unsigned)ares_getsock(channels[c], socks, ARES_GETSOCK_MAXNUM);
		struct timeval max_tv = {wait_ms / 1000, (wait_ms % 1000) * 1000}, tv, *next;

		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short events = 0;

			if (bits & 1u << i)
				events |= POLLIN;
			if (bits & 1u << (i + ARES_GETSOCK_MAXNUM))
				events |= POLLOUT;
			if (events == 0)
				continue;
			fds[nfds].fd = socks[i];
			fds[nfds].events = events;
			owner[nfds++] = c;
		}
		next = ares_timeout(channels[c], &max_tv, &tv);
		wait_ms = next->tv_sec * 1000 + (next->tv_usec + 999) / 1000;
	}
	ready = poll(fds, nfds, (int)wait_ms);
	if (ready < 0 && errno != EINTR) {
		int saved = errno;

		free(fds);
		free(owner);
		return da_err_set(err, DA_ERR_DNS, "poll: %s", strerror(saved));
	}
	for (size_t i = 0; ready > 0 && i < nfds; i++) {
		short ev = fds[i].revents;

		if (ev == 0)
			continue;
		ares_process_fd(channels[owner[i]],
				ev & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
				ev & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* Expire queries whose time is up, on every channel. */
	for (size_t c = 0; c < n; c++)
		ares_process_fd(channels[c], ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	free(fds);
	free(owner);
	return DA_OK;
}

int da_dns_server_copy(struct da_dns_server *dst, const struct da_dns_server *src)
{
	*dst = *src;
	dst->label = strdup(src->label);
	return dst->label != NULL ? 0 : -1;
}

bool da_dns_server_same(const struct da_dns_server *a, const struct da_dns_server *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->addr;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->addr;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->addr;

	if (a->addr.ss_family != b->addr.ss_family)
		return false;
	if (a->addr.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}
