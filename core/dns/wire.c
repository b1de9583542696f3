#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADER_LEN 12
#define WIRE_NAME_MAX 255

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * Expand the name at *pos into out (lower case, no trailing dot) and move
 * *pos past it. Compression pointers must point strictly backwards, which
 * rules out loops; bytes that are not plain printable ASCII, and '.' or '\'
 * inside a label, are written "\DDD" so they can never match a real name.
 */
static int read_name(const unsigned char *buf, size_t len, size_t *pos, char *out, size_t size)
{
	size_t p = *pos, o = 0, wire = 1;
	int jumped = 0;

	for (;;) {
		unsigned c;

		if (p >= len)
			return -1;
		c = buf[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | buf[p + 1];
			if (target >= p)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = target;
			continue;
		}
		if (c & 0xc0) /* obsolete extended label types */
			return -1;
		p++;
		if (c == 0)
			break;
		wire += c + 1;
		if (wire > WIRE_NAME_MAX || p + c > len)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (; c > 0; c--, p++) {
			unsigned char b = buf[p];

			if (o + 5 > size)
				return -1;
			if (b > 0x20 && b < 0x7f && b != '.' && b != '\\')
				out[o++] = (char)tolower(b);
			else
				o += (size_t)snprintf(out + o, size - o, "\\%03u", b);
		}
	}
	if (!jumped)
		*pos = p;
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

int da_dns_msg_open(struct da_dns_msg *msg, const unsigned char *buf, size_t len)
{
	char scratch[DA_DNS_TEXT_NAME_SIZE];
	unsigned qdcount;

	memset(msg, 0, sizeof(*msg));
	if (buf == NULL || len < HEADER_LEN || !(buf[2] & 0x80)) /* QR: a response */
		return -1;
	msg->buf = buf;
	msg->len = len;
	msg->aa = (buf[2] & 0x04) != 0;
	msg->tc = (buf[2] & 0x02) != 0;
	msg->rcode = buf[3] & 0x0f;
	qdcount = get16(buf + 4);
	msg->count[DA_DNS_ANSWER] = get16(buf + 6);
	msg->count[DA_DNS_AUTHORITY] = get16(buf + 8);
	msg->count[DA_DNS_ADDITIONAL] = get16(buf + 10);
	msg->pos = HEADER_LEN;
	for (unsigned i = 0; i < qdcount; i++) {
		if (read_name(buf, len, &msg->pos, scratch, sizeof(scratch)) != 0 ||
		    msg->pos + 4 > len)
			return -1;
		msg->pos += 4; /* QTYPE, QCLASS */
	}
	return 0;
}

int da_dns_msg_next(struct da_dns_msg *msg, struct da_dns_rr *rr)
{
	unsigned an = msg->count[DA_DNS_ANSWER], ns = msg->count[DA_DNS_AUTHORITY];
	size_t rdlen;

	if (msg->next >= an + ns + msg->count[DA_DNS_ADDITIONAL])
		return 0;
	rr->section = msg->next < an ? DA_DNS_ANSWER
		      : msg->next < an + ns ? DA_DNS_AUTHORITY : DA_DNS_ADDITIONAL;
	if (read_name(msg->buf, msg->len, &msg->pos, rr->owner, sizeof(rr->owner)) != 0 ||
	    msg->pos + 10 > msg->len)
		return -1;
	rr->type = get16(msg->buf + msg->pos);
	rr->rclass = get16(msg->buf + msg->pos + 2);
	rdlen = get16(msg->buf + msg->pos + 8); /* after the 32-bit TTL */
	msg->pos += 10;
	if (msg->pos + rdlen > msg->len)
		return -1;
	rr->rdata = msg->buf + msg->pos;
	rr->rdlen = rdlen;
	msg->pos += rdlen;
	msg->next++;
	return 1;
}

int da_dns_rr_name(const struct da_dns_msg *msg, const struct da_dns_rr *rr, char *out,
		   size_t size)
{
	size_t start = (size_t)(rr->rdata - msg->buf), pos = start;

	if (read_name(msg->buf, msg->len, &pos, out, size) != 0 || pos > start + rr->rdlen)
		return -1;
	return 0;
}

bool da_dns_name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Are the character-strings of one TXT RDATA, concatenated, value?
 * 1 yes, 0 no, -1 malformed. */
static int txt_equals(const unsigned char *rdata, size_t rdlen, const char *value)
{
	size_t vlen = strlen(value), done = 0, i = 0;
	int same = 1;

	while (i < rdlen) {
		size_t n = rdata[i++];

		if (i + n > rdlen)
			return -1;
		if (done + n > vlen || memcmp(value + done, rdata + i, n) != 0)
			same = 0;
		else
			done += n;
		i += n;
	}
	return same && done == vlen;
}

enum da_dns_txt_verdict da_dns_txt_verdict(const unsigned char *buf, size_t len,
					   const char *fqdn, const char *value, unsigned *rcode)
{
	struct da_dns_msg msg;
	struct da_dns_rr rr;
	int more, found = 0;

	if (da_dns_msg_open(&msg, buf, len) != 0)
		return DA_DNS_TXT_MALFORMED;
	*rcode = msg.rcode;
	if (msg.tc)
		return DA_DNS_TXT_TRUNCATED;
	if (msg.rcode != 0 && msg.rcode != DA_DNS_RCODE_NXDOMAIN)
		return DA_DNS_TXT_RCODE;
	if (!msg.aa)
		return DA_DNS_TXT_NOT_AUTH;
	while ((more = da_dns_msg_next(&msg, &rr)) == 1) {
		int match;

		if (rr.section != DA_DNS_ANSWER || rr.type != DA_DNS_TYPE_TXT ||
		    rr.rclass != DA_DNS_CLASS_IN || !da_dns_name_equal(rr.owner, fqdn))
			continue;
		match = txt_equals(rr.rdata, rr.rdlen, value);
		if (match < 0)
			return DA_DNS_TXT_MALFORMED;
		found |= match;
	}
	if (more < 0)
		return DA_DNS_TXT_MALFORMED;
	return found ? DA_DNS_TXT_FOUND : DA_DNS_TXT_MISSING;
}

const char *da_dns_rcode_name(unsigned rcode, char *buf, size_t size)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",	"REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, size, "RCODE%u", rcode);
	return buf;
}
