/*
 * DNS messages on the wire (RFC 1035 section 4): a pure, allocation-free
 * reader, and the TXT verdict the propagation check rests on. Internal to
 * core/dns; kept apart so the unit tests can feed it hand-built packets.
 */
#ifndef DA_DNS_WIRE_H
#define DA_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#define DA_DNS_TYPE_A	  1
#define DA_DNS_TYPE_NS	  2
#define DA_DNS_TYPE_CNAME 5
#define DA_DNS_TYPE_SOA	  6
#define DA_DNS_TYPE_TXT	  16
#define DA_DNS_TYPE_AAAA  28
#define DA_DNS_CLASS_IN	  1

#define DA_DNS_RCODE_NXDOMAIN 3

/* A name in presentation form: 255 wire bytes, each at worst "\DDD". */
#define DA_DNS_TEXT_NAME_SIZE 1024

enum da_dns_section { DA_DNS_ANSWER, DA_DNS_AUTHORITY, DA_DNS_ADDITIONAL };

/* A reader over one message; filled by da_dns_msg_open(). */
struct da_dns_msg {
	const unsigned char *buf; /* not owned */
	size_t len;
	bool aa, tc;
	unsigned rcode;
	unsigned count[3]; /* records per section */
	size_t pos;	   /* next record */
	unsigned next;	   /* records read so far */
};

/* One resource record; rdata points into the message. */
struct da_dns_rr {
	enum da_dns_section section;
	char owner[DA_DNS_TEXT_NAME_SIZE]; /* lower case, no trailing dot, root "" */
	unsigned type, rclass;
	const unsigned char *rdata;
	size_t rdlen;
};

/* Read the header and skip the question section: 0, or -1 if malformed. */
int da_dns_msg_open(struct da_dns_msg *msg, const unsigned char *buf, size_t len);

/* The next record of any section: 1, 0 at the end, -1 if malformed. */
int da_dns_msg_next(struct da_dns_msg *msg, struct da_dns_rr *rr);

/*
 * The (possibly compressed) name starting at rdata offset 0 of rr, e.g. a
 * CNAME or NS target or an SOA's MNAME, as da_dns_rr.owner: 0 or -1.
 */
int da_dns_rr_name(const struct da_dns_msg *msg, const struct da_dns_rr *rr, char *out,
		   size_t size);

/* What one answer to a TXT query proves about one value at one name. */
enum da_dns_txt_verdict {
	DA_DNS_TXT_FOUND,	/* authoritative, and a TXT RR at fqdn is value */
	DA_DNS_TXT_MISSING,	/* authoritative, no such value (NXDOMAIN, NODATA, others) */
	DA_DNS_TXT_NOT_AUTH,	/* AA clear: a referral or a cache proves nothing */
	DA_DNS_TXT_TRUNCATED,	/* TC set: the RRset may be incomplete */
	DA_DNS_TXT_RCODE,	/* an error rcode (SERVFAIL, REFUSED, ...) */
	DA_DNS_TXT_MALFORMED
};

/*
 * Judge an answer: value must equal the concatenated strings of one TXT RR
 * owned by fqdn (compared without case, trailing dots ignored). *rcode gets
 * the answer's rcode when the header could be read.
 */
enum da_dns_txt_verdict da_dns_txt_verdict(const unsigned char *buf, size_t len,
					   const char *fqdn, const char *value, unsigned *rcode);

/* "SERVFAIL", "REFUSED", ... or "RCODE<n>". Points to static or buf. */
const char *da_dns_rcode_name(unsigned rcode, char *buf, size_t size);

/* Do two names match without case, ignoring one trailing dot on either? */
bool da_dns_name_equal(const char *a, const char *b);

#endif
