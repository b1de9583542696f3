/*
 * rfc2136: publish ACME TXT records with DNS UPDATE (RFC 2136) signed with
 * TSIG (RFC 8945). One UPDATE per zone carries every value of a batch: adds
 * of single TXT values, deletes of exactly those values, never of RRsets, so
 * a wildcard's and its apex's values at one name never erase each other.
 */
#include "rfc2136_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define KEYFILE_MAX 65536
#define DEFAULT_ALGORITHM "hmac-sha256"
#define DEFAULT_TTL "120"
#define DEFAULT_TIMEOUT "10"

static const struct dnsacme_option options[] = {
	{"nameserver", {"RFC2136_NAMESERVER"}, DNSACME_OPT_REQUIRED, NULL,
	 "primary server that accepts updates: host, host:port or [IPv6]:port (port 53)"},
	{"tsig_key", {"RFC2136_TSIG_KEY"}, 0, NULL,
	 "TSIG key name as in the server's config; unset: send unsigned updates"},
	{"tsig_secret", {"RFC2136_TSIG_SECRET"}, DNSACME_OPT_SECRET, NULL,
	 "TSIG secret, base64 (as tsig-keygen prints it)"},
	{"tsig_algorithm", {"RFC2136_TSIG_ALGORITHM"}, 0, DEFAULT_ALGORITHM,
	 "TSIG algorithm: hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 "
	 "or hmac-md5"},
	{"tsig_file", {"RFC2136_TSIG_FILE"}, 0, NULL,
	 "tsig-keygen key file giving key name, algorithm and secret (instead of tsig_key/secret)"},
	{"ttl", {"RFC2136_TTL"}, 0, DEFAULT_TTL, "TTL of the TXT records, seconds"},
	{"zone", {"RFC2136_ZONE"}, 0, NULL,
	 "zone to update for every record; unset: the core's hint, else an SOA walk at the server"},
	{"timeout", {"RFC2136_DNS_TIMEOUT"}, 0, DEFAULT_TIMEOUT,
	 "seconds to wait for each DNS exchange"},
	{NULL, {NULL}, 0, NULL, NULL}};

struct rfc2136 {
	const struct dnsacme_host *host;
	struct r2_server server;
	int is_signed;
	struct r2_key key; /* when is_signed */
	uint32_t ttl;
	long timeout_ms;
	char zone[R2_NAME_TEXT_MAX]; /* "" unless configured */
};

/* An option's value; an empty one (e.g. RFC2136_TSIG_KEY=) counts as unset. */
static const char *option(const struct rfc2136 *p, const char *key, const char *fallback)
{
	const char *value = p->host->config_get(p->host, key);

	return value != NULL && value[0] != '\0' ? value : fallback;
}

static enum dnsacme_status parse_uint(const char *key, const char *text, unsigned long min,
				      unsigned long max, unsigned long *out, struct r2_err *err)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || *out < min ||
	    *out > max)
		return r2_fail(err, DNSACME_ERR_CONFIG, "%s \"%s\": expected %lu to %lu", key, text,
			       min, max);
	return DNSACME_OK;
}

static enum dnsacme_status key_from_file(struct rfc2136 *p, const char *path,
					 struct r2_err *err)
{
	char *text = malloc(KEYFILE_MAX + 1);
	struct r2_keyfile kf;
	enum dnsacme_status st;
	FILE *f;
	size_t n;

	if (text == NULL)
		return r2_fail(err, DNSACME_ERR_NOMEM, "out of memory");
	f = fopen(path, "r");
	if (f == NULL) {
		free(text);
		return r2_fail(err, DNSACME_ERR_CONFIG, "tsig_file %s: %s", path, strerror(errno));
	}
	n = fread(text, 1, KEYFILE_MAX + 1, f);
	fclose(f);
	text[n > KEYFILE_MAX ? KEYFILE_MAX : n] = '\0';
	if (n > KEYFILE_MAX) {
		st = r2_fail(err, DNSACME_ERR_CONFIG, "tsig_file %s: larger than %d bytes", path,
			     KEYFILE_MAX);
	} else {
		st = r2_keyfile_parse(&kf, text, err);
		if (st == DNSACME_OK) {
			p->host->add_secret(p->host, kf.secret);
			st = r2_key_set(&p->key, kf.name, kf.algorithm, kf.secret, err);
			r2_keyfile_clear(&kf);
		}
	}
	OPENSSL_cleanse(text, KEYFILE_MAX + 1);
	free(text);
	if (st != DNSACME_OK) {
		struct r2_err why = *err;

		return r2_fail(err, st, "tsig_file %s: %.400s", path, why.msg);
	}
	p->is_signed = 1;
	return DNSACME_OK;
}

static enum dnsacme_status configure_key(struct rfc2136 *p, struct r2_err *err)
{
	const char *file = option(p, "tsig_file", NULL);
	const char *name = option(p, "tsig_key", NULL);
	const char *secret = option(p, "tsig_secret", NULL);
	enum dnsacme_status st;

	if (file != NULL) {
		if (name != NULL || secret != NULL)
			return r2_fail(err, DNSACME_ERR_CONFIG, "set either tsig_file or "
				       "tsig_key and tsig_secret, not both");
		return key_from_file(p, file, err);
	}
	if (name == NULL && secret == NULL)
		return DNSACME_OK; /* unsigned updates, for servers that allow them by address */
	if (secret == NULL)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "tsig_key is set without tsig_secret (RFC2136_TSIG_SECRET)");
	if (name == NULL)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "tsig_secret is set without tsig_key (RFC2136_TSIG_KEY)");
	st = r2_key_set(&p->key, name, option(p, "tsig_algorithm", DEFAULT_ALGORITHM), secret,
			err);
	p->is_signed = st == DNSACME_OK;
	return st;
}

static enum dnsacme_status configure(struct rfc2136 *p, struct r2_err *err)
{
	const char *nameserver = option(p, "nameserver", NULL);
	const char *zone = option(p, "zone", NULL);
	unsigned long value;
	enum dnsacme_status st;

	if (nameserver == NULL)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "nameserver is not set (RFC2136_NAMESERVER)");
	st = parse_uint("ttl", option(p, "ttl", DEFAULT_TTL), 0, 2147483647, &value, err);
	if (st != DNSACME_OK)
		return st;
	p->ttl = (uint32_t)value;
	st = parse_uint("timeout", option(p, "timeout", DEFAULT_TIMEOUT), 1, 3600, &value, err);
	if (st != DNSACME_OK)
		return st;
	p->timeout_ms = (long)value * 1000;
	if (zone != NULL && (r2_name_normalize(zone, p->zone) != 0 || p->zone[0] == '\0'))
		return r2_fail(err, DNSACME_ERR_CONFIG, "zone \"%s\" is not a valid name", zone);
	st = configure_key(p, err);
	if (st != DNSACME_OK)
		return st;
	return r2_server_resolve(&p->server, nameserver, err);
}

static void rfc2136_close(void *state)
{
	struct rfc2136 *p = state;

	if (p == NULL)
		return;
	r2_key_clear(&p->key);
	free(p);
}

static enum dnsacme_status rfc2136_open(const struct dnsacme_host *host, void **state)
{
	struct rfc2136 *p = calloc(1, sizeof(*p));
	struct r2_err err;
	enum dnsacme_status st;

	if (p == NULL) {
		host->error(host, "out of memory");
		return DNSACME_ERR_NOMEM;
	}
	p->host = host;
	st = configure(p, &err);
	if (st != DNSACME_OK) {
		host->error(host, "%s", err.msg);
		rfc2136_close(p);
		return st;
	}
	if (p->is_signed)
		host->log(host, DNSACME_LOG_DEBUG, "server %s, TSIG key %s (%s)",
			  p->server.label, p->key.name, p->key.alg->name);
	else
		host->log(host, DNSACME_LOG_INFO,
			  "no TSIG key set: updates to %s are sent unsigned",
			  p->server.label);
	*state = p;
	return DNSACME_OK;
}

static enum dnsacme_status random_id(uint16_t *id, struct r2_err *err)
{
	unsigned char b[2];

	/* An unpredictable ID keeps off-path spoofers from matching our replies. */
	if (RAND_bytes(b, sizeof(b)) != 1)
		return r2_fail(err, DNSACME_ERR_INTERNAL, "no random bytes for a DNS message ID");
	*id = (uint16_t)(b[0] << 8 | b[1]);
	return DNSACME_OK;
}

/* *found: whether the server answers an authoritative SOA for name. A reply
 * that does not parse counts as "no": the walk goes on to the parent. */
static enum dnsacme_status zone_apex(struct rfc2136 *p, const char *name, int *found,
				     struct r2_err *err)
{
	struct r2_buf query = {0}, reply = {0};
	struct r2_msg msg;
	struct r2_err ignored;
	enum dnsacme_status st;
	uint16_t id = 0;

	st = random_id(&id, err);
	if (st == DNSACME_OK)
		st = r2_query_build(&query, id, name, R2_TYPE_SOA, err);
	if (st == DNSACME_OK)
		st = r2_exchange(&p->server, query.data, query.len, p->timeout_ms, &reply, err);
	*found = st == DNSACME_OK &&
		 r2_msg_parse(&msg, reply.data, reply.len, &ignored) == DNSACME_OK &&
		 r2_msg_has_soa(&msg, name);
	r2_buf_free(&query);
	r2_buf_free(&reply);
	return st;
}

/* The zone of fqdn: the first suffix the server answers an SOA for. */
static enum dnsacme_status discover_zone(struct rfc2136 *p, const char *fqdn,
					 char zone[R2_NAME_TEXT_MAX], struct r2_err *err)
{
	for (const char *name = fqdn; name != NULL && *name != '\0';) {
		const char *dot = strchr(name, '.');
		struct r2_err why;
		int found;
		enum dnsacme_status st = zone_apex(p, name, &found, &why);

		if (st != DNSACME_OK)
			return r2_fail(err, st, "finding the zone of %s: %.400s", fqdn, why.msg);
		if (found) {
			snprintf(zone, R2_NAME_TEXT_MAX, "%s", name);
			p->host->log(p->host, DNSACME_LOG_DEBUG, "%s is in zone %s", fqdn,
				     zone);
			return DNSACME_OK;
		}
		name = dot ? dot + 1 : NULL;
	}
	return r2_fail(err, DNSACME_ERR_API,
		       "server %s has no zone holding %s (no authoritative SOA for any parent "
		       "name): set the zone option (RFC2136_ZONE)",
		       p->server.label, fqdn);
}

static int has_hint(const struct dnsacme_record *record)
{
	return record->zone != NULL && record->zone[0] != '\0';
}

/* zones[i] for records[i]: the configured zone, else the core's hint, else
 * discovered (once per distinct name; a failed one stays ""). */
static enum dnsacme_status record_zone(struct rfc2136 *p, const struct dnsacme_record *records,
				       size_t i, char (*zones)[R2_NAME_TEXT_MAX],
				       struct r2_err *err)
{
	char fqdn[R2_NAME_TEXT_MAX];
	enum dnsacme_status st = DNSACME_OK;

	if (records[i].fqdn == NULL || records[i].value == NULL ||
	    r2_name_normalize(records[i].fqdn, fqdn) != 0)
		return r2_fail(err, DNSACME_ERR_CONFIG, "invalid record name \"%s\"",
			       records[i].fqdn ? records[i].fqdn : "(null)");
	if (p->zone[0] != '\0') {
		memcpy(zones[i], p->zone, sizeof(p->zone));
	} else if (has_hint(&records[i])) {
		if (r2_name_normalize(records[i].zone, zones[i]) != 0)
			return r2_fail(err, DNSACME_ERR_CONFIG, "invalid zone \"%s\" for %s",
				       records[i].zone, fqdn);
	} else {
		size_t j = 0;

		while (j < i && (has_hint(&records[j]) || zones[j][0] == '\0' ||
				 strcasecmp(records[j].fqdn, records[i].fqdn) != 0))
			j++;
		if (j < i)
			memcpy(zones[i], zones[j], sizeof(zones[j]));
		else
			st = discover_zone(p, fqdn, zones[i], err);
	}
	if (st == DNSACME_OK && !r2_name_in_zone(fqdn, zones[i]))
		return r2_fail(err, DNSACME_ERR_CONFIG, "record %s is not in zone %s", fqdn,
			       zones[i]);
	return st;
}

/* Send one UPDATE for zone carrying txts and judge the reply. */
static enum dnsacme_status send_update(struct rfc2136 *p, const char *zone,
				       const struct r2_txt *txts, size_t n,
				       enum r2_update_op op, struct r2_err *err)
{
	struct r2_buf msg = {0}, reply = {0};
	unsigned char mac[R2_MAC_MAX];
	struct r2_request req = {.zone = zone, .server = p->server.label};
	enum dnsacme_status st;
	uint16_t id = 0;

	st = random_id(&id, err);
	if (st == DNSACME_OK)
		st = r2_update_build(&msg, id, zone, txts, n, op, 0, err);
	if (st == DNSACME_OK && p->is_signed) {
		req.key = &p->key;
		req.mac = mac;
		st = r2_tsig_sign(&msg, &p->key, (uint64_t)time(NULL), mac, &req.mac_len, err);
	}
	if (st == DNSACME_OK) {
		p->host->log(p->host, DNSACME_LOG_DEBUG,
			     "UPDATE zone %s: %s %zu TXT value(s), %zu bytes, to %s", zone,
			     op == R2_UPDATE_ADD ? "add" : "delete", n, msg.len, p->server.label);
		st = r2_exchange(&p->server, msg.data, msg.len, p->timeout_ms, &reply, err);
	}
	if (st == DNSACME_OK)
		st = r2_update_outcome(&req, reply.data, reply.len, (uint64_t)time(NULL), err);
	if (st == DNSACME_OK)
		p->host->log(p->host, DNSACME_LOG_INFO, "zone %s: %s %zu TXT value(s)",
			     zone, op == R2_UPDATE_ADD ? "added" : "deleted", n);
	r2_buf_free(&msg);
	r2_buf_free(&reply);
	return st;
}

/*
 * Group records by zone and send one UPDATE per zone. Adding stops at the
 * first failure (the core cleans up); deleting goes on, so one bad zone does
 * not strand the others' records, and reports the first failure.
 */
static enum dnsacme_status apply(struct rfc2136 *p, const struct dnsacme_record *records,
				 size_t n, enum r2_update_op op)
{
	char (*zones)[R2_NAME_TEXT_MAX] = calloc(n ? n : 1, sizeof(*zones));
	unsigned char *state = calloc(n ? n : 1, 1); /* 0 to send, 1 sent/failed */
	struct r2_txt *txts = calloc(n ? n : 1, sizeof(*txts));
	enum dnsacme_status first = DNSACME_OK, st;
	struct r2_err err, first_err;
	int keep_going = op == R2_UPDATE_DELETE_VALUE;

	if (zones == NULL || state == NULL || txts == NULL) {
		first = r2_fail(&first_err, DNSACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		st = record_zone(p, records, i, zones, &err);
		if (st != DNSACME_OK) {
			state[i] = 1;
			if (first == DNSACME_OK) {
				first = st;
				first_err = err;
			}
			if (!keep_going)
				goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;

		if (state[i])
			continue;
		for (size_t j = i; j < n; j++) {
			if (state[j] || strcmp(zones[j], zones[i]) != 0)
				continue;
			txts[m].owner = records[j].fqdn;
			txts[m].value = records[j].value;
			txts[m].ttl = records[j].ttl ? records[j].ttl : p->ttl;
			m++;
			state[j] = 1;
		}
		st = send_update(p, zones[i], txts, m, op, &err);
		if (st != DNSACME_OK && first == DNSACME_OK) {
			first = st;
			first_err = err;
		}
		if (st != DNSACME_OK && !keep_going)
			break;
	}
out:
	if (first != DNSACME_OK)
		p->host->error(p->host, "%s", first_err.msg);
	free(zones);
	free(state);
	free(txts);
	return first;
}

static enum dnsacme_status rfc2136_present(void *state, const struct dnsacme_record *records,
					   size_t n)
{
	return apply(state, records, n, R2_UPDATE_ADD);
}

static enum dnsacme_status rfc2136_cleanup(void *state, const struct dnsacme_record *records,
					   size_t n)
{
	return apply(state, records, n, R2_UPDATE_DELETE_VALUE);
}

static const struct dnsacme_provider provider = {
	.abi_version = DNSACME_PLUGIN_ABI_VERSION,
	.name = "rfc2136",
	.summary = "DNS UPDATE (RFC 2136) signed with TSIG, for BIND, Knot, PowerDNS and others",
	.options = options,
	.open = rfc2136_open,
	.close = rfc2136_close,
	.present = rfc2136_present,
	.cleanup = rfc2136_cleanup,
	.wait = NULL,
};

DNSACME_EXPORT const struct dnsacme_provider *dnsacme_plugin(void)
{
	return &provider;
}
