/* DNS message building and parsing for UPDATE (RFC 2136) and SOA queries. */
#include "rfc2136_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_LEN 12
#define ZONE_NAME_OFF HEADER_LEN /* the zone section's name follows the header */
#define TXT_STRING_MAX 255
#define POINTER_HOPS_MAX 64 /* more jumps than labels means a loop */

enum dnsacme_status r2_fail(struct r2_err *err, enum dnsacme_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

void r2_buf_put(struct r2_buf *b, const void *data, size_t len)
{
	if (b->nomem || len == 0)
		return;
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 512;
		unsigned char *p;

		while (cap - b->len < len) {
			if (cap > (size_t)-1 / 2) {
				b->nomem = 1;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (p == NULL) {
			b->nomem = 1;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void r2_buf_u16(struct r2_buf *b, unsigned v)
{
	unsigned char p[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	r2_buf_put(b, p, sizeof(p));
}

void r2_buf_u32(struct r2_buf *b, uint32_t v)
{
	r2_buf_u16(b, v >> 16);
	r2_buf_u16(b, v & 0xffffu);
}

void r2_buf_u48(struct r2_buf *b, uint64_t v)
{
	r2_buf_u16(b, (unsigned)(v >> 32) & 0xffffu);
	r2_buf_u32(b, (uint32_t)v);
}

void r2_buf_free(struct r2_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Label bytes we accept in text names: printable ASCII but the separator and
 * the presentation format's escape and quote characters, which we do not
 * parse. ACME names only ever hold letters, digits, '-' and '_'. */
static int label_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\' && c != '"';
}

int r2_name_check(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len > R2_NAME_TEXT_MAX - 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (!label_char_ok((unsigned char)name[i]) || ++label > 63) {
			return -1;
		}
	}
	return len > 0 && label == 0 ? -1 : 0;
}

/* Write the labels of name[0..len) (no trailing dot), without the root. */
static void put_labels(struct r2_buf *b, const char *name, size_t len, int lower)
{
	size_t start = 0;

	while (start < len) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - name) : len;
		unsigned char label[63];

		for (size_t i = start; i < end; i++)
			label[i - start] = lower ? (unsigned char)tolower((unsigned char)name[i])
						 : (unsigned char)name[i];
		r2_buf_put(b, (unsigned char[]){(unsigned char)(end - start)}, 1);
		r2_buf_put(b, label, end - start);
		start = end + 1;
	}
}

void r2_name_put(struct r2_buf *b, const char *name, int lower)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	put_labels(b, name, len, lower);
	r2_buf_put(b, "", 1);
}

int r2_name_normalize(const char *name, char out[R2_NAME_TEXT_MAX])
{
	size_t len;

	if (r2_name_check(name) != 0)
		return -1;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[len] = '\0';
	return 0;
}

int r2_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (z == 0)
		return 1;
	if (n == z)
		return strcasecmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' && strcasecmp(name + n - z, zone) == 0;
}

/* One question (or zone), no answers (prerequisites), nscount authority
 * (update) RRs, and no additional RRs yet: r2_tsig_sign() counts its RR. */
static void put_header(struct r2_buf *b, uint16_t id, unsigned flags, unsigned nscount)
{
	r2_buf_u16(b, id);
	r2_buf_u16(b, flags);
	r2_buf_u16(b, 1);
	r2_buf_u16(b, 0);
	r2_buf_u16(b, nscount);
	r2_buf_u16(b, 0);
}

/* TXT RDATA: the value as character-strings of at most 255 bytes each. */
static void put_txt_rdata(struct r2_buf *b, const char *value, size_t len)
{
	size_t off = 0;

	do {
		size_t chunk = len - off > TXT_STRING_MAX ? TXT_STRING_MAX : len - off;

		r2_buf_put(b, (unsigned char[]){(unsigned char)chunk}, 1);
		r2_buf_put(b, value + off, chunk);
		off += chunk;
	} while (off < len);
}

static size_t txt_rdata_len(size_t len)
{
	return len + (len == 0 ? 1 : (len + TXT_STRING_MAX - 1) / TXT_STRING_MAX);
}

enum dnsacme_status r2_update_build(struct r2_buf *out, uint16_t id, const char *zone,
				    const struct r2_txt *txts, size_t n, enum r2_update_op op,
				    int compress, struct r2_err *err)
{
	char zone_name[R2_NAME_TEXT_MAX], owner[R2_NAME_TEXT_MAX];

	if (r2_name_normalize(zone, zone_name) != 0)
		return r2_fail(err, DNSACME_ERR_CONFIG, "invalid zone name \"%s\"", zone);
	if (n > 0xffff)
		return r2_fail(err, DNSACME_ERR_CONFIG, "too many records for one UPDATE");

	put_header(out, id, (unsigned)R2_OPCODE_UPDATE << 11, (unsigned)n);
	r2_name_put(out, zone_name, 0);
	r2_buf_u16(out, R2_TYPE_SOA);
	r2_buf_u16(out, R2_CLASS_IN);

	for (size_t i = 0; i < n; i++) {
		size_t value_len = strlen(txts[i].value), rdlen = txt_rdata_len(value_len);
		size_t owner_len;

		if (r2_name_normalize(txts[i].owner, owner) != 0)
			return r2_fail(err, DNSACME_ERR_CONFIG, "invalid record name \"%s\"",
				       txts[i].owner);
		if (!r2_name_in_zone(owner, zone_name))
			return r2_fail(err, DNSACME_ERR_CONFIG, "record name %s is not in zone %s",
				       owner, zone_name);
		if (rdlen > 0xffff)
			return r2_fail(err, DNSACME_ERR_CONFIG,
				       "TXT value for %s is too long (%zu bytes)", owner,
				       value_len);

		owner_len = strlen(owner);
		if (compress && zone_name[0] != '\0') {
			/* The labels above the zone, then a pointer to the zone name. */
			size_t above = owner_len - strlen(zone_name);

			put_labels(out, owner, above > 0 ? above - 1 : 0, 0);
			r2_buf_u16(out, 0xc000u | ZONE_NAME_OFF);
		} else {
			r2_name_put(out, owner, 0);
		}
		r2_buf_u16(out, R2_TYPE_TXT);
		if (op == R2_UPDATE_ADD) {
			r2_buf_u16(out, R2_CLASS_IN);
			r2_buf_u32(out, txts[i].ttl);
		} else {
			r2_buf_u16(out, R2_CLASS_NONE);
			r2_buf_u32(out, 0);
		}
		r2_buf_u16(out, (unsigned)rdlen);
		put_txt_rdata(out, txts[i].value, value_len);
	}
	if (out->nomem)
		return r2_fail(err, DNSACME_ERR_NOMEM, "out of memory building an UPDATE");
	/* Leave room for the TSIG RR (owner, algorithm, 26 fixed bytes, MAC). */
	if (out->len > R2_MSG_MAX - 2 * R2_NAME_TEXT_MAX - 26 - R2_MAC_MAX)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "the UPDATE for zone %s would exceed 64 KiB (%zu records)",
			       zone_name, n);
	return DNSACME_OK;
}

enum dnsacme_status r2_query_build(struct r2_buf *out, uint16_t id, const char *name,
				   unsigned type, struct r2_err *err)
{
	if (r2_name_check(name) != 0)
		return r2_fail(err, DNSACME_ERR_CONFIG, "invalid name \"%s\"", name);
	put_header(out, id, 0, 0); /* QUERY, RD=0: ask the server itself */
	r2_name_put(out, name, 0);
	r2_buf_u16(out, type);
	r2_buf_u16(out, R2_CLASS_IN);
	if (out->nomem)
		return r2_fail(err, DNSACME_ERR_NOMEM, "out of memory building a query");
	return DNSACME_OK;
}

/* ---- parsing ---- */

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * Read the (possibly compressed) name at *off into out as a text name (lower
 * case, no trailing dot) and move *off past it. -1 when malformed, or when a
 * label holds a byte a text name cannot (we compare names as text).
 */
static int name_read(const unsigned char *data, size_t len, size_t *off,
		     char out[R2_NAME_TEXT_MAX])
{
	size_t pos = *off, out_len = 0;
	int hops = 0, jumped = 0;

	for (;;) {
		unsigned c;

		if (pos >= len)
			return -1;
		c = data[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > POINTER_HOPS_MAX)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = (c & 0x3fu) << 8 | data[pos + 1];
			continue;
		}
		if (c & 0xc0)
			return -1; /* 0x40 / 0x80: reserved label types */
		if (c == 0)
			break;
		if (pos + 1 + c > len || out_len + (out_len > 0) + c > R2_NAME_TEXT_MAX - 1)
			return -1;
		if (out_len > 0)
			out[out_len++] = '.';
		for (unsigned i = 1; i <= c; i++) {
			if (!label_char_ok(data[pos + i]))
				return -1;
			out[out_len++] = (char)tolower(data[pos + i]);
		}
		pos += 1 + c;
	}
	if (!jumped)
		*off = pos + 1;
	out[out_len] = '\0';
	return 0;
}

struct rr {
	char owner[R2_NAME_TEXT_MAX];
	unsigned type, rclass;
	uint32_t ttl;
	size_t rdata_off;
	unsigned rdlen;
};

/* Read the RR at *off and move past it; -1 when malformed. */
static int rr_read(const unsigned char *data, size_t len, size_t *off, struct rr *rr)
{
	const unsigned char *p;

	if (name_read(data, len, off, rr->owner) != 0 || len - *off < 10)
		return -1;
	p = data + *off;
	rr->type = get16(p);
	rr->rclass = get16(p + 2);
	rr->ttl = (uint32_t)get16(p + 4) << 16 | get16(p + 6);
	rr->rdlen = get16(p + 8);
	rr->rdata_off = *off + 10;
	if (len - rr->rdata_off < rr->rdlen)
		return -1;
	*off = rr->rdata_off + rr->rdlen;
	return 0;
}

/* The TSIG RDATA (RFC 8945 section 4.2), which must fill rdlen exactly. */
static int tsig_read(const unsigned char *data, const struct rr *rr, struct r2_tsig *t)
{
	size_t end = rr->rdata_off + rr->rdlen, off = rr->rdata_off;
	const unsigned char *p;

	/* Bounded by the RDATA: the name may not run past it. */
	if (name_read(data, end, &off, t->algorithm) != 0 || end - off < 10)
		return -1;
	p = data + off;
	t->time_signed = (uint64_t)get16(p) << 32 | (uint64_t)get16(p + 2) << 16 | get16(p + 4);
	t->fudge = get16(p + 6);
	t->mac_len = get16(p + 8);
	off += 10;
	if (end - off < (size_t)t->mac_len + 6)
		return -1;
	t->mac = data + off;
	off += t->mac_len;
	p = data + off;
	t->original_id = get16(p);
	t->error = get16(p + 2);
	t->other_len = get16(p + 4);
	off += 6;
	if (end - off != t->other_len)
		return -1;
	t->other = data + off;
	memcpy(t->key_name, rr->owner, sizeof(t->key_name));
	return 0;
}

enum dnsacme_status r2_msg_parse(struct r2_msg *msg, const unsigned char *data, size_t len,
				 struct r2_err *err)
{
	size_t off = HEADER_LEN, rrs;
	struct rr rr;

	memset(msg, 0, sizeof(*msg));
	msg->data = data;
	msg->len = len;
	if (len < HEADER_LEN)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "DNS reply too short (%zu bytes)", len);
	msg->id = get16(data);
	msg->flags = get16(data + 2);
	msg->qdcount = get16(data + 4);
	msg->ancount = get16(data + 6);
	msg->nscount = get16(data + 8);
	msg->arcount = get16(data + 10);

	for (unsigned i = 0; i < msg->qdcount; i++) {
		if (name_read(data, len, &off, rr.owner) != 0 || len - off < 4)
			return r2_fail(err, DNSACME_ERR_PROTOCOL, "malformed DNS reply (question)");
		off += 4;
	}
	msg->answer_off = off;
	rrs = (size_t)msg->ancount + msg->nscount + msg->arcount;
	for (size_t i = 0; i < rrs; i++) {
		size_t start = off;

		if (rr_read(data, len, &off, &rr) != 0)
			return r2_fail(err, DNSACME_ERR_PROTOCOL,
				       "malformed DNS reply (record %zu)", i + 1);
		if (rr.type == R2_TYPE_TSIG) {
			/* RFC 8945 5.1: only as the last additional RR. */
			if (i + 1 != rrs || msg->arcount == 0 || rr.rclass != R2_CLASS_ANY ||
			    tsig_read(data, &rr, &msg->tsig) != 0)
				return r2_fail(err, DNSACME_ERR_PROTOCOL,
					       "malformed TSIG record in DNS reply");
			msg->has_tsig = 1;
			msg->tsig_off = start;
		}
	}
	if (off != len)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "DNS reply has %zu trailing bytes",
			       len - off);
	return DNSACME_OK;
}

int r2_msg_has_soa(const struct r2_msg *msg, const char *name)
{
	size_t off = msg->answer_off;
	struct rr rr;

	if (!(msg->flags & R2_FLAG_AA) || R2_RCODE(msg->flags) != R2_NOERROR)
		return 0;
	for (unsigned i = 0; i < msg->ancount; i++) {
		if (rr_read(msg->data, msg->len, &off, &rr) != 0)
			return 0;
		if (rr.type == R2_TYPE_SOA && rr.rclass == R2_CLASS_IN &&
		    strcasecmp(rr.owner, name) == 0)
			return 1;
	}
	return 0;
}
