/* Pure name handling and server list parsing. */
#include "dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHALLENGE_PREFIX "_acme-challenge."

enum da_code da_dns_name_check(const char *name, struct da_err *err)
{
	const char *p = name;
	size_t len, label = 0;

	if (name == NULL || *name == '\0')
		return da_err_set(err, DA_ERR_USAGE, "empty domain name");
	len = strlen(name);
	if (name[len - 1] == '.')
		len--;
	if (len > DA_DNS_NAME_MAX)
		return da_err_set(err, DA_ERR_USAGE, "domain name %.64s... is %zu characters long, "
				  "more than %d", name, len, DA_DNS_NAME_MAX);
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (p >= name + len)
		return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has no labels", name);
	for (; p < name + len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0)
				return da_err_set(err, DA_ERR_USAGE,
						  "domain name '%s' has an empty label", name);
			if (p[-1] == '-')
				return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has a "
						  "label ending with '-'", name);
			label = 0;
			continue;
		}
		if (c >= 0x80)
			return da_err_set(err, DA_ERR_USAGE, "domain name '%s' is not ASCII: "
					  "write internationalized names in punycode (xn--...)",
					  name);
		if (!isalnum(c) && c != '-')
			return da_err_set(err, DA_ERR_USAGE, "domain name '%s' contains '%c': "
					  "only letters, digits and '-' are allowed%s", name, c,
					  c == '*' ? " ('*' only as a leading \"*.\")" : "");
		if (label == 0 && c == '-')
			return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has a label "
					  "starting with '-'", name);
		if (++label > 63)
			return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has a label longer "
					  "than 63 characters", name);
	}
	/* Only one trailing dot (the root) was set aside: "a.com.." ends here. */
	if (label == 0)
		return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has an empty label", name);
	if (p[-1] == '-')
		return da_err_set(err, DA_ERR_USAGE, "domain name '%s' has a label ending "
				  "with '-'", name);
	return DA_OK;
}

enum da_code da_dns_name_normalize(const char *name, char **out, struct da_err *err)
{
	size_t len = name != NULL ? strlen(name) : 0;
	char *copy;

	*out = NULL;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return da_err_set(err, DA_ERR_USAGE, "empty DNS name");
	if (len > DA_DNS_NAME_MAX)
		return da_err_set(err, DA_ERR_USAGE, "DNS name %.64s... is longer than %d "
				  "characters", name, DA_DNS_NAME_MAX);
	copy = malloc(len + 1);
	if (copy == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)tolower((unsigned char)name[i]);
	copy[len] = '\0';
	*out = copy;
	return DA_OK;
}

enum da_code da_dns_challenge_name(const char *domain, char **out, struct da_err *err)
{
	char joined[sizeof(CHALLENGE_PREFIX) + DA_DNS_NAME_MAX + 1];
	enum da_code rc;

	*out = NULL;
	rc = da_dns_name_check(domain, err);
	if (rc != DA_OK)
		return rc;
	if (strncmp(domain, "*.", 2) == 0)
		domain += 2;
	/* The check above bounds domain, so the join always fits; only the
	 * normalized result can exceed the DNS limit. */
	snprintf(joined, sizeof(joined), "%s%s", CHALLENGE_PREFIX, domain);
	rc = da_dns_name_normalize(joined, out, err);
	if (rc == DA_ERR_USAGE)
		return da_err_set(err, rc, "challenge name for '%s' would exceed %d characters",
				  domain, DA_DNS_NAME_MAX);
	return rc;
}

void da_dns_servers_free(struct da_dns_server *servers, size_t n)
{
	if (servers == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(servers[i].label);
	free(servers);
}

/* Parse one "HOST[:PORT]" entry of len bytes into *srv (label included). */
static enum da_code parse_server(const char *entry, size_t len, struct da_dns_server *srv,
				 struct da_err *err)
{
	char text[INET6_ADDRSTRLEN + 16], addr_text[INET6_ADDRSTRLEN];
	struct sockaddr_in *sin = (struct sockaddr_in *)&srv->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&srv->addr;
	const char *host, *port = NULL;
	size_t host_len;
	long port_num = 53;

	if (len >= sizeof(text))
		return da_err_set(err, DA_ERR_CONFIG, "nameserver '%.*s' is not an IP address",
				  (int)(len > 64 ? 64 : len), entry);
	memcpy(text, entry, len);
	text[len] = '\0';
	if (text[0] == '[') {
		char *close = strchr(text, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return da_err_set(err, DA_ERR_CONFIG, "nameserver '%s': expected "
					  "[IPv6]:PORT", text);
		host = text + 1;
		host_len = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else {
		char *colon = strchr(text, ':');

		host = text;
		host_len = len;
		/* One colon is a port; more make a bare IPv6 address. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			host_len = (size_t)(colon - text);
			port = colon + 1;
		}
	}
	if (port != NULL) {
		char *end;

		errno = 0;
		port_num = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || errno != 0 || port_num < 1 ||
		    port_num > 65535)
			return da_err_set(err, DA_ERR_CONFIG, "nameserver '%s': bad port", text);
	}
	if (host_len >= sizeof(addr_text))
		return da_err_set(err, DA_ERR_CONFIG, "nameserver '%s' is not an IP address",
				  text);
	memcpy(addr_text, host, host_len);
	addr_text[host_len] = '\0';
	memset(&srv->addr, 0, sizeof(srv->addr));
	if (inet_pton(AF_INET, addr_text, &sin->sin_addr) == 1 && text[0] != '[') {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port_num);
		srv->addr_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr_text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port_num);
		srv->addr_len = sizeof(*sin6);
	} else {
		return da_err_set(err, DA_ERR_CONFIG, "nameserver '%s' is not an IP address "
				  "(host names are not accepted here)", text);
	}
	srv->label = strdup(text);
	if (srv->label == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return DA_OK;
}

enum da_code da_dns_parse_servers(const char *list, struct da_dns_server **out, size_t *n_out,
				  struct da_err *err)
{
	struct da_dns_server *servers = NULL;
	size_t n = 0;
	const char *p = list;

	*out = NULL;
	*n_out = 0;
	if (list == NULL)
		return da_err_set(err, DA_ERR_CONFIG, "empty nameserver list");
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		struct da_dns_server *grown;
		enum da_code rc;

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0) {
			da_dns_servers_free(servers, n);
			return da_err_set(err, DA_ERR_CONFIG, "empty entry in nameserver list "
					  "'%s'", list);
		}
		grown = realloc(servers, (n + 1) * sizeof(*servers));
		if (grown == NULL) {
			da_dns_servers_free(servers, n);
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		}
		servers = grown;
		rc = parse_server(p, len, &servers[n], err);
		if (rc != DA_OK) {
			da_dns_servers_free(servers, n);
			return rc;
		}
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = servers;
	*n_out = n;
	return DA_OK;
}

/* (A domain is checked as an ACME identifier when its challenge name is
 * made: da_dns_challenge_name().) */
enum da_code da_dns_record_name_check(const char *name, struct da_err *err)
{
	size_t label = 0;

	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '.' && label > 0 && label <= 63) {
			label = 0;
			continue;
		}
		if (*p == '.' || !(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return da_err_set(err, DA_ERR_USAGE,
					  "record name '%s' is not a DNS name (labels of letters, "
					  "digits, '-' and '_')",
					  name);
		label++;
	}
	if (name[0] == '\0' || label > 63)
		return da_err_set(err, DA_ERR_USAGE, "record name '%s' is not a DNS name", name);
	return DA_OK;
}
