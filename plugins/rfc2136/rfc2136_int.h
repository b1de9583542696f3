/*
 * Internals of the rfc2136 plugin, shared by its source files and its unit
 * tests. Nothing here leaves the shared object (hidden visibility); the
 * plugin exports only dnsacme_plugin().
 *
 *   wire.c       DNS message building and parsing (RFC 1035, RFC 2136)
 *   tsig.c       TSIG keys, algorithms, key files, MACs (RFC 8945)
 *   reply.c      what the reply to an UPDATE means, as a status and a message
 *   transport.c  one query/reply exchange over UDP, falling back to TCP
 *   rfc2136.c    options, zone discovery, present/cleanup (the descriptor)
 *
 * Text names are ASCII, lower case, without the trailing dot ("" is the
 * root). Nothing here logs; a failing call fills a struct r2_err.
 */
#ifndef RFC2136_INT_H
#define RFC2136_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsacme/plugin.h"

/* The one-line message of a failing internal call; never holds a secret. */
struct r2_err {
	char msg[512];
};

/* Fill err and return status, so "return r2_fail(err, ...)". */
enum dnsacme_status r2_fail(struct r2_err *err, enum dnsacme_status status, const char *fmt,
			    ...) DNSACME_PRINTF(3, 4);

/* ---- wire.c ---------------------------------------------------------- */

#define R2_NAME_TEXT_MAX 254 /* 253 characters and the NUL */
#define R2_MSG_MAX 65535     /* a DNS message's length must fit TCP's u16 */
#define R2_UDP_MAX 512	     /* without EDNS, larger messages go over TCP */

enum {
	R2_TYPE_SOA = 6,
	R2_TYPE_TXT = 16,
	R2_TYPE_TSIG = 250,
	R2_CLASS_IN = 1,
	R2_CLASS_NONE = 254,
	R2_CLASS_ANY = 255,
	R2_OPCODE_QUERY = 0,
	R2_OPCODE_UPDATE = 5,
	R2_FLAG_QR = 0x8000,
	R2_FLAG_AA = 0x0400,
	R2_FLAG_TC = 0x0200
};

enum r2_rcode {
	R2_NOERROR = 0,
	R2_FORMERR = 1,
	R2_SERVFAIL = 2,
	R2_NXDOMAIN = 3,
	R2_NOTIMP = 4,
	R2_REFUSED = 5,
	R2_YXDOMAIN = 6,
	R2_YXRRSET = 7,
	R2_NXRRSET = 8,
	R2_NOTAUTH = 9,
	R2_NOTZONE = 10,
	/* TSIG error field (RFC 8945 section 3) */
	R2_BADSIG = 16,
	R2_BADKEY = 17,
	R2_BADTIME = 18,
	R2_BADTRUNC = 22
};

/*
 * A growable byte buffer. An append that runs out of memory sets nomem and
 * makes later appends no-ops, so a builder checks once at the end.
 * The buffer owns data; release with r2_buf_free().
 */
struct r2_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	int nomem;
};

void r2_buf_put(struct r2_buf *b, const void *data, size_t len);
void r2_buf_u16(struct r2_buf *b, unsigned v);
void r2_buf_u32(struct r2_buf *b, uint32_t v);
void r2_buf_u48(struct r2_buf *b, uint64_t v);
void r2_buf_free(struct r2_buf *b);

/* 0 when name is a valid text name (labels of 1-63 bytes, no empty label,
 * at most 253 characters; one trailing dot allowed), else -1. */
int r2_name_check(const char *name);

/* Append a checked name in wire form, without compression; lower: fold to
 * lower case (the canonical form the TSIG MAC covers). */
void r2_name_put(struct r2_buf *b, const char *name, int lower);

/* Copy name to out as a text name: lower case, trailing dot removed.
 * 0, or -1 when it is invalid (see r2_name_check). */
int r2_name_normalize(const char *name, char out[R2_NAME_TEXT_MAX]);

/* 1 when name equals zone or lies below it (text names), else 0. */
int r2_name_in_zone(const char *name, const char *zone);

enum r2_update_op {
	R2_UPDATE_ADD,		/* add one TXT value: CLASS IN, the record's TTL */
	R2_UPDATE_DELETE_VALUE	/* delete exactly that value: CLASS NONE, TTL 0 */
};

/* One TXT value at one name. */
struct r2_txt {
	const char *owner; /* a name inside the zone */
	const char *value; /* the text; over 255 bytes it becomes several strings */
	uint32_t ttl;
};

/*
 * Build an unsigned UPDATE (ARCOUNT 0) for zone into out (empty on entry):
 * header with id, the zone section, and one update RR per txt, all the same
 * op. compress: owner names below the zone point back at the zone name in the
 * zone section (as dnspython writes them); otherwise every name is in full.
 * DNSACME_ERR_CONFIG for a bad name or value, DNSACME_ERR_NOMEM.
 */
enum dnsacme_status r2_update_build(struct r2_buf *out, uint16_t id, const char *zone,
				    const struct r2_txt *txts, size_t n, enum r2_update_op op,
				    int compress, struct r2_err *err);

/* Build a non-recursive (RD=0) query for name/type, CLASS IN, into out. */
enum dnsacme_status r2_query_build(struct r2_buf *out, uint16_t id, const char *name,
				   unsigned type, struct r2_err *err);

/* A TSIG RR as read from a message; pointers point into the message. */
struct r2_tsig {
	char key_name[R2_NAME_TEXT_MAX];  /* owner, lower case */
	char algorithm[R2_NAME_TEXT_MAX]; /* lower case */
	uint64_t time_signed;
	unsigned fudge;
	const unsigned char *mac;
	unsigned mac_len;
	unsigned original_id;
	unsigned error;
	const unsigned char *other;
	unsigned other_len;
};

/* A parsed message; borrows data, which must outlive it. */
struct r2_msg {
	const unsigned char *data;
	size_t len;
	unsigned id, flags;
	unsigned qdcount, ancount, nscount, arcount;
	size_t answer_off; /* where the answer section starts */
	int has_tsig;	   /* the last additional RR is a TSIG */
	size_t tsig_off;   /* where that TSIG RR starts */
	struct r2_tsig tsig;
};

#define R2_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define R2_RCODE(flags) ((flags) & 0xfu)

/* Parse and bounds-check a whole message (header, every RR, the TSIG).
 * DNSACME_ERR_PROTOCOL with a message when it is malformed. */
enum dnsacme_status r2_msg_parse(struct r2_msg *msg, const unsigned char *data, size_t len,
				 struct r2_err *err);

/* 1 when msg is an authoritative answer (AA, NOERROR) holding the SOA of
 * name in its answer section, else 0. */
int r2_msg_has_soa(const struct r2_msg *msg, const char *name);

/* ---- tsig.c ---------------------------------------------------------- */

#define R2_MAC_MAX 64	   /* SHA-512 */
#define R2_SECRET_MAX 256  /* decoded bytes; tsig-keygen writes 16-64 */
#define R2_FUDGE 300	   /* seconds, RFC 8945's recommendation */

struct r2_alg {
	const char *name;   /* canonical wire name, e.g. "hmac-sha256" */
	const char *alias;  /* another spelling users write, or NULL */
	const char *digest; /* OpenSSL digest name */
	unsigned mac_len;
};

/* The algorithm for a user's spelling: any case, optional trailing dot,
 * "hmac-md5" for "hmac-md5.sig-alg.reg.int". NULL when unknown. */
const struct r2_alg *r2_alg_find(const char *spelling);

/* A TSIG key. Holds the decoded secret: clear it with r2_key_clear(). */
struct r2_key {
	char name[R2_NAME_TEXT_MAX];
	const struct r2_alg *alg;
	unsigned char secret[R2_SECRET_MAX];
	size_t secret_len;
};

/* Fill key from its name, algorithm spelling and base64 secret.
 * DNSACME_ERR_CONFIG naming the bad part (never the secret). */
enum dnsacme_status r2_key_set(struct r2_key *key, const char *name, const char *algorithm,
			       const char *secret_b64, struct r2_err *err);
void r2_key_clear(struct r2_key *key);

/* The parts of a tsig-keygen / BIND key file:
 *   key "name" { algorithm hmac-sha256; secret "base64"; };
 * Clear with r2_keyfile_clear() (secret). */
struct r2_keyfile {
	char name[R2_NAME_TEXT_MAX];
	char algorithm[64];
	char secret[(R2_SECRET_MAX / 3 + 1) * 4 + 1];
};

/* Parse text (NUL-terminated) holding exactly one key block. C and shell
 * comments are allowed. DNSACME_ERR_CONFIG naming the problem. */
enum dnsacme_status r2_keyfile_parse(struct r2_keyfile *kf, const char *text,
				     struct r2_err *err);
void r2_keyfile_clear(struct r2_keyfile *kf);

/*
 * Append what a TSIG MAC covers to out (RFC 8945 section 4.3): the prior
 * MAC with its u16 length when prior_mac is not NULL (a reply), the message
 * (msg_len bytes: everything before the TSIG RR) with its header ID replaced
 * by original_id and ARCOUNT reduced by arcount_less, then the TSIG
 * variables with key and algorithm names in canonical form.
 */
void r2_tsig_mac_input(struct r2_buf *out, const unsigned char *prior_mac, size_t prior_len,
		       const unsigned char *msg, size_t msg_len, unsigned original_id,
		       unsigned arcount_less, const struct r2_key *key, uint64_t time_signed,
		       unsigned fudge, unsigned error, const unsigned char *other,
		       size_t other_len);

/* HMAC of data with key's algorithm and secret into mac (R2_MAC_MAX bytes). */
enum dnsacme_status r2_tsig_hmac(const struct r2_key *key, const unsigned char *data,
				 size_t len, unsigned char *mac, size_t *mac_len,
				 struct r2_err *err);

/* Sign msg, an unsigned message: append the TSIG RR (time now, fudge 300)
 * and count it in ARCOUNT. mac (R2_MAC_MAX bytes) receives the request MAC
 * that verifies the reply. */
enum dnsacme_status r2_tsig_sign(struct r2_buf *msg, const struct r2_key *key, uint64_t now,
				 unsigned char *mac, size_t *mac_len, struct r2_err *err);

/* Verify reply's TSIG against the request MAC: key name, algorithm, MAC
 * (constant time), |now - time signed| <= fudge. Callers handle a non-zero
 * TSIG error first. DNSACME_ERR_PROTOCOL saying what did not match. */
enum dnsacme_status r2_tsig_verify(const struct r2_msg *reply, const struct r2_key *key,
				   const unsigned char *request_mac, size_t request_mac_len,
				   uint64_t now, struct r2_err *err);

/* ---- reply.c --------------------------------------------------------- */

/* The request an UPDATE reply answers. */
struct r2_request {
	const char *zone;
	const char *server;	 /* for messages: "host:port" as configured */
	const struct r2_key *key; /* NULL: sent unsigned */
	const unsigned char *mac; /* the request's MAC when signed */
	size_t mac_len;
};

/*
 * Judge the reply to an UPDATE: DNSACME_OK only for NOERROR carrying a valid
 * TSIG when the request was signed. Otherwise a status and one line that
 * says what the server objected to and what to check (RCODE, TSIG error,
 * clock difference for BADTIME).
 */
enum dnsacme_status r2_update_outcome(const struct r2_request *req, const unsigned char *reply,
				      size_t len, uint64_t now, struct r2_err *err);

/* ---- transport.c ----------------------------------------------------- */

/* Split "host", "host:port", "[v6]:port", "[v6]" or a bare IPv6 address.
 * host receives at most host_size - 1 bytes; port defaults to 53. */
enum dnsacme_status r2_hostport_split(const char *text, char *host, size_t host_size,
				      unsigned *port, struct r2_err *err);

/* The server UPDATEs and SOA queries go to. */
struct r2_server {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char label[300]; /* as configured, for messages */
};

/* Resolve text (see r2_hostport_split) to the server's first address. */
enum dnsacme_status r2_server_resolve(struct r2_server *srv, const char *text,
				      struct r2_err *err);

/*
 * Send query and wait for its reply (same ID, QR set, same opcode): over UDP
 * with up to three tries when it fits 512 bytes, else - or when the reply
 * is truncated - over TCP. timeout_ms bounds the whole exchange. reply is
 * empty on entry and holds the reply on success.
 */
enum dnsacme_status r2_exchange(const struct r2_server *srv, const unsigned char *query,
				size_t len, long timeout_ms, struct r2_buf *reply,
				struct r2_err *err);

#endif
