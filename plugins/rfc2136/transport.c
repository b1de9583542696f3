/* One DNS exchange with the configured server: UDP, then TCP when needed. */
#include "rfc2136_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UDP_TRIES 3 /* updates are idempotent, so resending is safe */

enum dnsacme_status r2_hostport_split(const char *text, char *host, size_t host_size,
				      unsigned *port, struct r2_err *err)
{
	const char *host_start = text, *host_end, *port_text = NULL;
	const char *colon = strchr(text, ':');

	if (text[0] == '[') {
		host_start = text + 1;
		host_end = strchr(host_start, ']');
		if (host_end == NULL || (host_end[1] != '\0' && host_end[1] != ':'))
			return r2_fail(err, DNSACME_ERR_CONFIG,
				       "nameserver \"%s\": expected [address]:port", text);
		if (host_end[1] == ':')
			port_text = host_end + 2;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		host_end = colon;
		port_text = colon + 1;
	} else {
		host_end = text + strlen(text); /* a name, IPv4, or a bare IPv6 address */
	}
	if (host_end == host_start || (size_t)(host_end - host_start) >= host_size)
		return r2_fail(err, DNSACME_ERR_CONFIG, "nameserver \"%s\": bad host", text);
	memcpy(host, host_start, (size_t)(host_end - host_start));
	host[host_end - host_start] = '\0';

	*port = 53;
	if (port_text != NULL) {
		char *end;
		unsigned long p;

		errno = 0;
		p = strtoul(port_text, &end, 10);
		if (port_text[0] < '0' || port_text[0] > '9' || *end != '\0' || errno != 0 ||
		    p == 0 || p > 65535)
			return r2_fail(err, DNSACME_ERR_CONFIG, "nameserver \"%s\": bad port",
				       text);
		*port = (unsigned)p;
	}
	return DNSACME_OK;
}

enum dnsacme_status r2_server_resolve(struct r2_server *srv, const char *text,
				      struct r2_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res;
	char host[256], port_text[8];
	enum dnsacme_status st;
	unsigned port;
	int rc;

	memset(srv, 0, sizeof(*srv));
	st = r2_hostport_split(text, host, sizeof(host), &port, err);
	if (st != DNSACME_OK)
		return st;
	snprintf(port_text, sizeof(port_text), "%u", port);
	rc = getaddrinfo(host, port_text, &hints, &res);
	if (rc != 0)
		return r2_fail(err, DNSACME_ERR_NETWORK, "cannot resolve nameserver %s: %s", host,
			       gai_strerror(rc));
	memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
	srv->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	snprintf(srv->label, sizeof(srv->label), "%s", text);
	return DNSACME_OK;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* The reply to query: same ID, QR set, same opcode. */
static int answers(const unsigned char *query, const unsigned char *reply, size_t len)
{
	unsigned qflags = (unsigned)query[2] << 8 | query[3], rflags;

	if (len < 12)
		return 0;
	rflags = (unsigned)reply[2] << 8 | reply[3];
	return reply[0] == query[0] && reply[1] == query[1] && (rflags & R2_FLAG_QR) &&
	       R2_OPCODE(rflags) == R2_OPCODE(qflags);
}

enum udp_result { UDP_REPLY, UDP_TRUNCATED, UDP_FAILED };

static enum udp_result exchange_udp(const struct r2_server *srv, const unsigned char *query,
				    size_t len, long long deadline, struct r2_buf *reply,
				    enum dnsacme_status *st, struct r2_err *err)
{
	unsigned char buf[R2_MSG_MAX];
	int fd = socket(srv->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	enum udp_result result = UDP_FAILED;

	/* A connected socket only hears from the server, and reports ICMP
	 * "port unreachable" as ECONNREFUSED instead of a timeout. */
	if (fd < 0 || connect(fd, (const struct sockaddr *)&srv->addr, srv->addr_len) != 0) {
		*st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s: %s", srv->label,
			      strerror(errno));
		goto out;
	}
	*st = r2_fail(err, DNSACME_ERR_TIMEOUT,
		      "no reply from nameserver %s over UDP in %lld s (%d tries)", srv->label,
		      (deadline - now_ms() + 999) / 1000, UDP_TRIES);
	for (int try = 0; try < UDP_TRIES; try++) {
		long long try_deadline = now_ms() + (deadline - now_ms()) / (UDP_TRIES - try);

		if (send(fd, query, len, 0) < 0) {
			*st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s: send: %s",
				      srv->label, strerror(errno));
			goto out;
		}
		while (wait_fd(fd, POLLIN, try_deadline) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				*st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s: %s",
					      srv->label, strerror(errno));
				goto out;
			}
			if (!answers(query, buf, (size_t)n))
				continue; /* a stray or late datagram */
			if (buf[2] & (R2_FLAG_TC >> 8)) {
				result = UDP_TRUNCATED;
				goto out;
			}
			r2_buf_put(reply, buf, (size_t)n);
			*st = reply->nomem ? r2_fail(err, DNSACME_ERR_NOMEM, "out of memory")
					   : DNSACME_OK;
			result = UDP_REPLY;
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return result;
}

/* Move len bytes over a non-blocking TCP socket before deadline. */
static int tcp_io(int fd, unsigned char *buf, size_t len, int writing, long long deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (wait_fd(fd, writing ? POLLOUT : POLLIN, deadline) <= 0)
			return -1;
		n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
			    : recv(fd, buf + done, len - done, 0);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static enum dnsacme_status exchange_tcp(const struct r2_server *srv, const unsigned char *query,
					size_t len, long long deadline, struct r2_buf *reply,
					struct r2_err *err)
{
	unsigned char *out = malloc(len + 2), prefix[2];
	int fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	enum dnsacme_status st = DNSACME_OK;
	size_t reply_len;
	int soerr = 0;
	socklen_t soerr_len = sizeof(soerr);

	if (out == NULL) {
		st = r2_fail(err, DNSACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (fd < 0 || (connect(fd, (const struct sockaddr *)&srv->addr, srv->addr_len) != 0 &&
		       errno != EINPROGRESS)) {
		st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s over TCP: %s", srv->label,
			     strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, deadline) <= 0) {
		st = r2_fail(err, DNSACME_ERR_TIMEOUT, "nameserver %s: TCP connect timed out",
			     srv->label);
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) != 0 || soerr != 0) {
		st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s over TCP: %s", srv->label,
			     strerror(soerr ? soerr : errno));
		goto out;
	}
	/* RFC 1035 4.2.2: each message is preceded by its u16 length. */
	out[0] = (unsigned char)(len >> 8);
	out[1] = (unsigned char)len;
	memcpy(out + 2, query, len);
	if (tcp_io(fd, out, len + 2, 1, deadline) != 0 ||
	    tcp_io(fd, prefix, 2, 0, deadline) != 0) {
		st = r2_fail(err, now_ms() >= deadline ? DNSACME_ERR_TIMEOUT : DNSACME_ERR_NETWORK,
			     "nameserver %s: no reply over TCP", srv->label);
		goto out;
	}
	reply_len = (size_t)prefix[0] << 8 | prefix[1];
	free(out);
	out = malloc(reply_len > 0 ? reply_len : 1);
	if (out == NULL) {
		st = r2_fail(err, DNSACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (tcp_io(fd, out, reply_len, 0, deadline) != 0) {
		st = r2_fail(err, DNSACME_ERR_NETWORK, "nameserver %s: reply cut short over TCP",
			     srv->label);
		goto out;
	}
	if (!answers(query, out, reply_len)) {
		st = r2_fail(err, DNSACME_ERR_PROTOCOL,
			     "nameserver %s answered over TCP with a reply to another message",
			     srv->label);
		goto out;
	}
	r2_buf_put(reply, out, reply_len);
	if (reply->nomem)
		st = r2_fail(err, DNSACME_ERR_NOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	free(out);
	return st;
}

enum dnsacme_status r2_exchange(const struct r2_server *srv, const unsigned char *query,
				size_t len, long timeout_ms, struct r2_buf *reply,
				struct r2_err *err)
{
	long long deadline = now_ms() + timeout_ms;
	enum dnsacme_status st;

	if (len <= R2_UDP_MAX &&
	    exchange_udp(srv, query, len, deadline, reply, &st, err) != UDP_TRUNCATED)
		return st;
	return exchange_tcp(srv, query, len, deadline, reply, err);
}
