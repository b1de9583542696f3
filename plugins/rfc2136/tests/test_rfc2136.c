/*
 * rfc2136 plugin: dnspython's UPDATE/TSIG vectors byte for byte, real BIND
 * and Knot error replies, key files, algorithm spellings, names, and option
 * validation through the descriptor. No network.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "fake_host.h"
#include "rfc2136_int.h"

#define SECRET "AJdDlD27LaSLlX0SbhHNXatUjZTt31yOHul6ZoB9ZFI="

/* Decode hex into a malloc'ed buffer (free()); NULL on bad input. */
static unsigned char *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *out = malloc(n ? n : 1);

	for (size_t i = 0; out != NULL && i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)v;
	}
	*len = n;
	return out;
}

/* 1 when bytes equal the hex text exactly. */
static int same_hex(const unsigned char *bytes, size_t len, const char *hex)
{
	size_t n;
	unsigned char *want = unhex(hex, &n);
	int same = want != NULL && n == len && memcmp(bytes, want, n) == 0;

	free(want);
	return same;
}

static json_t *load_json(const char *name)
{
	char path[1024];
	json_error_t jerr;
	json_t *root;

	snprintf(path, sizeof(path), "%s/%s", R2_FIXTURES, name);
	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		fprintf(stderr, "%s: %s\n", path, jerr.text);
	return root;
}

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static uint64_t jint(const json_t *obj, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(obj, key));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The MAC input and MAC of the message in message_hex, from its own TSIG. */
static void check_vector_mac(const char *name, const json_t *in, const json_t *exp,
			     const struct r2_key *key)
{
	size_t len, prior_len = 0;
	unsigned char *wire = unhex(jstr(exp, "message_hex"), &len), mac[R2_MAC_MAX];
	unsigned char *prior = NULL;
	struct r2_buf input = {0};
	struct r2_msg msg;
	struct r2_err err;
	size_t mac_len = 0;

	if (jstr(in, "request_mac_hex") != NULL)
		prior = unhex(jstr(in, "request_mac_hex"), &prior_len);
	CHECK(wire != NULL && r2_msg_parse(&msg, wire, len, &err) == DNSACME_OK);
	if (wire == NULL || !msg.has_tsig) {
		fprintf(stderr, "%s: no TSIG parsed\n", name);
		CHECK(0);
		free(wire);
		free(prior);
		return;
	}
	CHECK_STR(msg.tsig.key_name, "acme-update");
	CHECK(msg.tsig.time_signed == jint(in, "time_signed"));
	CHECK(msg.tsig.fudge == 300 && msg.tsig.original_id == jint(in, "message_id"));
	r2_tsig_mac_input(&input, prior, prior_len, wire, msg.tsig_off, msg.tsig.original_id, 1,
			  key, msg.tsig.time_signed, msg.tsig.fudge, msg.tsig.error,
			  msg.tsig.other, msg.tsig.other_len);
	CHECK(same_hex(input.data, input.len, jstr(exp, "mac_input_hex")));
	CHECK(r2_tsig_hmac(key, input.data, input.len, mac, &mac_len, &err) == DNSACME_OK);
	CHECK(same_hex(mac, mac_len, jstr(exp, "mac_hex")));
	CHECK(msg.tsig.mac_len == mac_len && memcmp(msg.tsig.mac, mac, mac_len) == 0);
	r2_buf_free(&input);
	free(wire);
	free(prior);
}

/* Build the add / delete-one-value UPDATE and sign it: the whole message. */
static void check_vector_build(const char *name, const json_t *in, const json_t *exp,
			       const struct r2_key *key)
{
	const char *operation = jstr(in, "operation");
	struct r2_txt txt = {jstr(in, "owner"), jstr(in, "txt_value"), (uint32_t)jint(in, "ttl")};
	struct r2_buf msg = {0};
	struct r2_err err;
	unsigned char mac[R2_MAC_MAX];
	size_t mac_len = 0, want_len;
	unsigned char *want = unhex(jstr(exp, "message_hex"), &want_len);
	enum r2_update_op op =
		strcmp(operation, "add") == 0 ? R2_UPDATE_ADD : R2_UPDATE_DELETE_VALUE;

	CHECK(r2_update_build(&msg, (uint16_t)jint(in, "message_id"), jstr(in, "zone"), &txt, 1,
			      op, !ends_with(name, "_uncompressed"), &err) == DNSACME_OK);
	CHECK(r2_tsig_sign(&msg, key, jint(in, "time_signed"), mac, &mac_len, &err) ==
	      DNSACME_OK);
	CHECK(msg.len == jint(exp, "message_length"));
	if (strcmp(key->alg->name, "hmac-md5.sig-alg.reg.int") == 0) {
		/* dnspython writes this algorithm name in upper case; we write the
		 * canonical lower case. The MAC, over the canonical form, matches. */
		CHECK(want != NULL && msg.len == want_len);
		for (size_t i = 0; want != NULL && i < want_len && i < msg.len; i++)
			CHECK(tolower(msg.data[i]) == tolower(want[i]));
	} else if (!same_hex(msg.data, msg.len, jstr(exp, "message_hex"))) {
		fprintf(stderr, "%s: message differs\n", name);
		CHECK(0);
	}
	CHECK(same_hex(mac, mac_len, jstr(exp, "mac_hex")));
	r2_buf_free(&msg);
	free(want);
}

/* The signed NOERROR reply verifies with the request MAC, and nothing else. */
static void check_reply_vector(const json_t *in, const json_t *exp, const struct r2_key *key)
{
	size_t len, mac_len;
	unsigned char *wire = unhex(jstr(exp, "message_hex"), &len);
	unsigned char *req_mac = unhex(jstr(in, "request_mac_hex"), &mac_len);
	uint64_t t = jint(in, "time_signed");
	struct r2_request req = {"example.com", "192.0.2.1:53", key, req_mac, mac_len};
	struct r2_msg msg;
	struct r2_err err;

	CHECK(r2_msg_parse(&msg, wire, len, &err) == DNSACME_OK);
	CHECK(r2_tsig_verify(&msg, key, req_mac, mac_len, t, &err) == DNSACME_OK);
	CHECK(r2_tsig_verify(&msg, key, req_mac, mac_len, t + 300, &err) == DNSACME_OK);
	CHECK(r2_tsig_verify(&msg, key, req_mac, mac_len, t + 301, &err) == DNSACME_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "301 s away") != NULL);
	CHECK(r2_update_outcome(&req, wire, len, t, &err) == DNSACME_OK);

	req_mac[0] ^= 1; /* another request's MAC */
	CHECK(r2_update_outcome(&req, wire, len, t, &err) == DNSACME_ERR_PROTOCOL);
	CHECK_STR(err.msg, "not trusting the NOERROR reply of server 192.0.2.1:53 for zone "
			   "example.com: the reply's TSIG MAC does not verify");
	req_mac[0] ^= 1;

	wire[len - 10] ^= 1; /* a flipped MAC byte */
	CHECK(r2_update_outcome(&req, wire, len, t, &err) == DNSACME_ERR_PROTOCOL);
	wire[len - 10] ^= 1;

	/* The same reply with its TSIG removed is not trusted either. */
	wire[11] = 0;
	CHECK(r2_update_outcome(&req, wire, msg.tsig_off, t, &err) == DNSACME_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "the reply is not signed") != NULL);
	free(wire);
	free(req_mac);
}

static void test_update_vectors(void)
{
	json_t *root = load_json("tsig-rfc2136-update.json");
	size_t i, built = 0, uncompressed = 0, macs = 0;
	json_t *v;

	CHECK(root != NULL);
	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		const char *name = jstr(v, "name");
		const json_t *in = json_object_get(v, "inputs");
		const json_t *exp = json_object_get(v, "expected");
		const char *op = jstr(in, "operation");
		struct r2_key key;
		struct r2_err err;

		CHECK(r2_key_set(&key, jstr(in, "tsig_key_name"), jstr(in, "algorithm"),
				 jstr(in, "tsig_secret_base64"), &err) == DNSACME_OK);
		check_vector_mac(name, in, exp, &key);
		macs++;
		if (op != NULL && (strcmp(op, "add") == 0 || strcmp(op, "delete_value") == 0)) {
			check_vector_build(name, in, exp, &key);
			built++;
			uncompressed += ends_with(name, "_uncompressed");
		} else if (op == NULL) {
			check_reply_vector(in, exp, &key);
		}
		r2_key_clear(&key);
	}
	CHECK(macs == 9 && built == 7 && uncompressed == 2);
	json_decref(root);
}

/* Each captured error reply maps to its message; signed ones verify. */
static void test_error_replies(void)
{
	static const struct {
		const char *server, *case_prefix;
		enum dnsacme_status status;
		const char *msg;
		int verifies;
	} want[] = {
		{"BIND", "BADTIME", DNSACME_ERR_AUTH,
		 "clock differs from the server's by 1000 s (BADTIME: this host is behind, TSIG "
		 "allows 300 s); synchronise the clocks",
		 1},
		{"BIND", "BADSIG", DNSACME_ERR_AUTH,
		 "wrong TSIG secret or algorithm for key acme-update (server 127.0.0.1:5300 "
		 "answered BADSIG)",
		 0},
		{"BIND", "name outside", DNSACME_ERR_DENIED,
		 "the server refused the update for zone example.com: check update-policy grants "
		 "key acme-update TXT at _acme-challenge names",
		 1},
		{"BIND", "zone not served", DNSACME_ERR_DENIED,
		 "server 127.0.0.1:5300 is not authoritative for zone example.org (NOTAUTH): check "
		 "the zone name, that the server is its primary, and that the key's view holds "
		 "the zone",
		 1},
		{"Knot", "BADTIME", DNSACME_ERR_AUTH,
		 "clock differs from the server's by 1000 s (BADTIME: this host is behind, TSIG "
		 "allows 300 s); synchronise the clocks",
		 1},
		{"Knot", "BADSIG", DNSACME_ERR_AUTH,
		 "wrong TSIG secret or algorithm for key acme-update (server 127.0.0.1:5300 "
		 "answered BADSIG)",
		 0},
		{"Knot", "name outside", DNSACME_ERR_AUTH,
		 "server does not know TSIG key acme-update (server 127.0.0.1:5300 answered "
		 "BADKEY; Knot also does when its ACL denies the update for zone example.com)",
		 0},
		{"Knot", "zone not served", DNSACME_ERR_DENIED,
		 "server 127.0.0.1:5300 is not authoritative for zone example.org (NOTAUTH): check "
		 "the zone name, that the server is its primary, and that the key's view holds "
		 "the zone",
		 0},
	};
	json_t *root = load_json("tsig-server-error-replies.json"), *capture, *x;
	size_t i, j, seen = 0;

	CHECK(root != NULL);
	json_array_foreach(json_object_get(root, "captures"), i, capture) {
		struct r2_key key;
		struct r2_err err;

		CHECK(r2_key_set(&key, jstr(capture, "key_name"), jstr(capture, "algorithm"),
				 jstr(capture, "secret_base64"), &err) == DNSACME_OK);
		json_array_foreach(json_object_get(capture, "exchanges"), j, x) {
			const char *c = jstr(x, "case");
			size_t len, mac_len;
			unsigned char *reply = unhex(jstr(x, "reply_hex"), &len);
			unsigned char *mac = unhex(jstr(x, "request_mac_hex"), &mac_len);
			struct r2_request req = {strstr(c, "example.org") ? "example.org"
									 : "example.com",
						 "127.0.0.1:5300", &key, mac, mac_len};
			struct r2_msg msg;

			for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
				if (strncmp(jstr(capture, "server"), want[k].server, 4) != 0 ||
				    strncmp(c, want[k].case_prefix, strlen(want[k].case_prefix)))
					continue;
				seen++;
				CHECK(r2_update_outcome(&req, reply, len, 1795875607, &err) ==
				      want[k].status);
				CHECK_STR(err.msg, want[k].msg);
				CHECK(strstr(err.msg, SECRET) == NULL);
				CHECK(r2_msg_parse(&msg, reply, len, &err) == DNSACME_OK);
				if (want[k].verifies)
					CHECK(r2_tsig_verify(&msg, &key, mac, mac_len,
							     msg.tsig.time_signed,
							     &err) == DNSACME_OK);
				else
					CHECK(r2_tsig_verify(&msg, &key, mac, mac_len,
							     1795875607,
							     &err) == DNSACME_ERR_PROTOCOL);
			}
			free(reply);
			free(mac);
		}
		r2_key_clear(&key);
	}
	CHECK(seen == sizeof(want) / sizeof(want[0]));
	json_decref(root);
}

/* Unsigned replies with other RCODEs, to an unsigned request. */
static void test_rcodes(void)
{
	static const struct {
		unsigned rcode;
		enum dnsacme_status status;
		const char *msg;
	} want[] = {
		{R2_SERVFAIL, DNSACME_ERR_API,
		 "server ns:53 failed to apply the update for zone example.com (SERVFAIL): check "
		 "its log (can it write the zone's journal?)"},
		{R2_FORMERR, DNSACME_ERR_PROTOCOL,
		 "server ns:53 could not parse the update for zone example.com (FORMERR)"},
		{R2_NOTZONE, DNSACME_ERR_API,
		 "a record name is not in zone example.com (NOTZONE): check the zone option"},
		{R2_REFUSED, DNSACME_ERR_DENIED,
		 "the server refused the unsigned update for zone example.com: check that "
		 "allow-update admits this host, or configure a TSIG key"},
		{R2_NOTAUTH, DNSACME_ERR_DENIED,
		 "server ns:53 is not authoritative for zone example.com (NOTAUTH): check the zone "
		 "name, that the server is its primary"},
		{R2_NOTIMP, DNSACME_ERR_API,
		 "server ns:53 does not implement dynamic updates (NOTIMP)"},
		{R2_YXRRSET, DNSACME_ERR_API,
		 "server ns:53 answered RCODE 7 to the update for zone example.com"},
		{R2_NOERROR, DNSACME_OK, NULL},
	};
	struct r2_request req = {"example.com", "ns:53", NULL, NULL, 0};
	struct r2_err err;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct r2_buf b = {0};

		CHECK(r2_update_build(&b, 7, "example.com", NULL, 0, R2_UPDATE_ADD, 0, &err) ==
		      DNSACME_OK);
		b.data[2] |= 0x80;
		b.data[3] = (unsigned char)want[i].rcode;
		CHECK(r2_update_outcome(&req, b.data, b.len, 0, &err) == want[i].status);
		if (want[i].msg != NULL)
			CHECK_STR(err.msg, want[i].msg);
		CHECK(r2_update_outcome(&req, b.data, b.len - 1, 0, &err) == DNSACME_ERR_PROTOCOL);
		r2_buf_free(&b);
	}
}

static void test_algorithms(void)
{
	static const struct {
		const char *spelling, *name;
	} cases[] = {
		{"hmac-sha256", "hmac-sha256"},
		{"HMAC-SHA256", "hmac-sha256"},
		{"hmac-sha256.", "hmac-sha256"},
		{"hmac-sha1", "hmac-sha1"},
		{"HMAC-SHA1.", "hmac-sha1"},
		{"hmac-sha224", "hmac-sha224"},
		{"hmac-sha384", "hmac-sha384"},
		{"hmac-sha512.", "hmac-sha512"},
		{"hmac-md5", "hmac-md5.sig-alg.reg.int"},
		{"HMAC-MD5", "hmac-md5.sig-alg.reg.int"},
		{"hmac-md5.sig-alg.reg.int.", "hmac-md5.sig-alg.reg.int"},
		{"HMAC-MD5.SIG-ALG.REG.INT", "hmac-md5.sig-alg.reg.int"},
	};
	static const char *const bad[] = {"",	      ".",	  "sha256",
					  "hmac-sha256..", "hmac-sha", "gss-tsig"};
	struct r2_key key;
	struct r2_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct r2_alg *alg = r2_alg_find(cases[i].spelling);

		CHECK(alg != NULL);
		CHECK_STR(alg ? alg->name : NULL, cases[i].name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(r2_alg_find(bad[i]) == NULL);

	CHECK(r2_key_set(&key, "Acme-Update.", "HMAC-SHA512.", SECRET, &err) == DNSACME_OK);
	CHECK_STR(key.name, "acme-update");
	CHECK(key.secret_len == 32 && key.alg->mac_len == 64);
	CHECK(r2_key_set(&key, "acme-update", "hmac-sha3", SECRET, &err) == DNSACME_ERR_CONFIG);
	CHECK(strstr(err.msg, "unknown TSIG algorithm \"hmac-sha3\"") != NULL);
	CHECK(r2_key_set(&key, "acme..update", "hmac-sha256", SECRET, &err) == DNSACME_ERR_CONFIG);
	CHECK(r2_key_set(&key, "", "hmac-sha256", SECRET, &err) == DNSACME_ERR_CONFIG);
	/* Bad base64, missing padding, whitespace, empty: refused, never echoed. */
	static const char *const bad_secrets[] = {
		"not base64!!", "AJdDlD27LaSLlX0SbhHNXatU=x", "AJdD lD27",
		"AJdDlD27LaSLlX0SbhHNXatUjZTt31yOHul6ZoB9ZFI", ""};
	for (size_t i = 0; i < sizeof(bad_secrets) / sizeof(bad_secrets[0]); i++) {
		CHECK(r2_key_set(&key, "k", "hmac-sha256", bad_secrets[i], &err) ==
		      DNSACME_ERR_CONFIG);
		CHECK(bad_secrets[i][0] == '\0' || strstr(err.msg, bad_secrets[i]) == NULL);
		CHECK(key.secret_len == 0);
	}
	CHECK(r2_key_set(&key, "k", "hmac-md5", "Zm9vYg==", &err) == DNSACME_OK);
	CHECK(key.secret_len == 4 && memcmp(key.secret, "foob", 4) == 0);
	r2_key_clear(&key);
}

static void test_keyfiles(void)
{
	static const struct {
		const char *text, *error;
	} bad[] = {
		{"", "line 1: expected 'key \"name\" { ... };'"},
		{"key \"k\" { algorithm hmac-sha256; };", "key k has no secret"},
		{"key \"k\" { secret \"" SECRET "\"; };", "key k has no algorithm"},
		{"key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }",
		 "line 1: expected ';' after '}'"},
		{"key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n};\n"
		 "key \"j\" { algorithm hmac-sha256; secret \"" SECRET "\"; };",
		 "line 5: more than one key; keep one per file"},
		{"key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\n};",
		 "line 3: bad secret clause"},
		{"key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; owner x; };",
		 "line 1: expected algorithm, secret or '}'"},
		{"key \"k\" { algorithm hmac-sha256 secret \"x\"; };",
		 "line 1: bad algorithm clause"},
		{"options { };", "line 1: expected 'key \"name\" { ... };'"},
	};
	struct r2_keyfile kf;
	struct r2_err err;

	/* tsig-keygen's output, plus comments of every kind. */
	CHECK(r2_keyfile_parse(&kf,
			       "# made by tsig-keygen\n"
			       "key \"acme-update.\" {\n"
			       "\talgorithm hmac-sha512; // comment\n"
			       "\t/* a\n   block */ secret \"" SECRET "\";\n"
			       "};\n",
			       &err) == DNSACME_OK);
	CHECK_STR(kf.name, "acme-update.");
	CHECK_STR(kf.algorithm, "hmac-sha512");
	CHECK_STR(kf.secret, SECRET);
	r2_keyfile_clear(&kf);
	CHECK(kf.secret[0] == '\0');

	CHECK(r2_keyfile_parse(&kf, "key acme { algorithm \"HMAC-SHA1\"; secret Zm9v; };", &err) ==
	      DNSACME_OK);
	CHECK_STR(kf.name, "acme");
	CHECK_STR(kf.algorithm, "HMAC-SHA1");
	CHECK_STR(kf.secret, "Zm9v");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(r2_keyfile_parse(&kf, bad[i].text, &err) == DNSACME_ERR_CONFIG);
		CHECK(strstr(err.msg, bad[i].error) != NULL);
		if (strstr(err.msg, bad[i].error) == NULL)
			fprintf(stderr, "  keyfile %zu: %s\n", i, err.msg);
		CHECK(strstr(err.msg, SECRET) == NULL);
		CHECK(kf.secret[0] == '\0');
	}
}

/* Parse a message whose one question has the given label lengths. */
static enum dnsacme_status parse_question(const unsigned *labels, size_t n)
{
	unsigned char m[400] = {0};
	size_t len = 12;
	struct r2_msg msg;
	struct r2_err err;

	m[5] = 1; /* QDCOUNT */
	for (size_t i = 0; i < n; i++) {
		m[len++] = (unsigned char)labels[i];
		memset(m + len, 'a', labels[i]);
		len += labels[i];
	}
	len += 5; /* root, TYPE 0, CLASS 0 */
	return r2_msg_parse(&msg, m, len, &err);
}

static void test_parse_limits(void)
{
	static const unsigned longest[] = {63, 63, 63, 61}, too_long[] = {63, 63, 63, 62};
	static const unsigned char loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					     0xc0, 12, 0, 6, 0, 1};
	static const unsigned char forward[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
						0xc0, 40, 0, 6, 0, 1};
	struct r2_msg msg;
	struct r2_err err;

	CHECK(parse_question(longest, 4) == DNSACME_OK); /* 253 characters */
	CHECK(parse_question(too_long, 4) == DNSACME_ERR_PROTOCOL);
	CHECK(r2_msg_parse(&msg, loop, sizeof(loop), &err) == DNSACME_ERR_PROTOCOL);
	CHECK(r2_msg_parse(&msg, forward, sizeof(forward), &err) == DNSACME_ERR_PROTOCOL);
	CHECK_STR(err.msg, "malformed DNS reply (question)");
	CHECK(r2_msg_parse(&msg, loop, 11, &err) == DNSACME_ERR_PROTOCOL);
	CHECK_STR(err.msg, "DNS reply too short (11 bytes)");
}

static void test_names_and_txt(void)
{
	char out[R2_NAME_TEXT_MAX], long_name[300], value[600];
	struct r2_txt txt = {"_acme-challenge.Example.COM.", value, 60};
	struct r2_buf b = {0};
	struct r2_err err;

	CHECK(r2_name_check("example.com") == 0 && r2_name_check("example.com.") == 0);
	CHECK(r2_name_check("") == 0 && r2_name_check(".") == 0);
	CHECK(r2_name_check("a..b") != 0 && r2_name_check(".a") != 0);
	CHECK(r2_name_check("a b.com") != 0 && r2_name_check("a\\.b") != 0);
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	CHECK(r2_name_check(long_name) != 0);
	long_name[63] = '\0';
	CHECK(r2_name_check(long_name) == 0);
	for (size_t i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0'; /* "a.a....a": 253 characters */
	CHECK(r2_name_check(long_name) == 0);
	long_name[253] = '.';
	long_name[254] = 'a';
	long_name[255] = '\0';
	CHECK(r2_name_check(long_name) != 0);
	CHECK(r2_name_normalize("WWW.Example.com.", out) == 0);
	CHECK_STR(out, "www.example.com");
	CHECK(r2_name_in_zone("a.example.com", "example.com"));
	CHECK(r2_name_in_zone("example.com", "example.com"));
	CHECK(!r2_name_in_zone("aexample.com", "example.com"));
	CHECK(!r2_name_in_zone("com", "example.com"));

	/* 300 bytes become a 255-byte and a 45-byte character-string. */
	memset(value, 'v', 300);
	value[300] = '\0';
	CHECK(r2_update_build(&b, 1, "example.com", &txt, 1, R2_UPDATE_ADD, 0, &err) ==
	      DNSACME_OK);
	CHECK(b.len == 12 + 13 + 4 + 29 + 10 + 302);
	if (b.len == 12 + 13 + 4 + 29 + 10 + 302) {
		const unsigned char *rr = b.data + 12 + 13 + 4;

		CHECK(memcmp(rr, "\x0f_acme-challenge\x07" "example\x03" "com", 29) == 0);
		CHECK(rr[37] == 0x01 && rr[38] == 0x2e && rr[39] == 255 && rr[295] == 45);
	}
	r2_buf_free(&b);
	value[0] = '\0'; /* an empty value is one empty string */
	CHECK(r2_update_build(&b, 1, "example.com", &txt, 1, R2_UPDATE_ADD, 0, &err) ==
	      DNSACME_OK);
	CHECK(b.len == 12 + 13 + 4 + 29 + 10 + 1 && b.data[b.len - 1] == 0);
	r2_buf_free(&b);

	txt.owner = "_acme-challenge.example.org";
	CHECK(r2_update_build(&b, 1, "example.com", &txt, 1, R2_UPDATE_ADD, 0, &err) ==
	      DNSACME_ERR_CONFIG);
	CHECK_STR(err.msg, "record name _acme-challenge.example.org is not in zone example.com");
	r2_buf_free(&b);
}

static void test_hostport(void)
{
	static const struct {
		const char *text, *host;
		unsigned port;
	} good[] = {
		{"ns1.example.com", "ns1.example.com", 53}, {"192.0.2.1:5353", "192.0.2.1", 5353},
		{"[2001:db8::1]:5300", "2001:db8::1", 5300}, {"[::1]", "::1", 53},
		{"2001:db8::53", "2001:db8::53", 53},
	};
	static const char *const bad[] = {"", ":53", "host:", "host:0", "host:65536", "host:5x",
					  "[::1", "[::1]x", "[]:53", "host:-1"};
	char host[256];
	unsigned port;
	struct r2_err err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(r2_hostport_split(good[i].text, host, sizeof(host), &port, &err) ==
		      DNSACME_OK);
		CHECK_STR(host, good[i].host);
		CHECK(port == good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(r2_hostport_split(bad[i], host, sizeof(host), &port, &err) ==
		      DNSACME_ERR_CONFIG);
}

/* A loopback server: a UDP socket and a TCP listener on one port. */
struct fake_server {
	int udp, tcp;
	struct r2_server srv;
};

static int fake_server_open(struct fake_server *fs)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	struct r2_err err;
	char text[32];

	fs->udp = socket(AF_INET, SOCK_DGRAM, 0);
	fs->tcp = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(fs->udp, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fs->udp, (struct sockaddr *)&a, &len) != 0 ||
	    bind(fs->tcp, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fs->tcp, 1) != 0)
		return -1;
	snprintf(text, sizeof(text), "127.0.0.1:%u", ntohs(a.sin_port));
	return r2_server_resolve(&fs->srv, text, &err) == DNSACME_OK ? 0 : -1;
}

static void fake_server_close(struct fake_server *fs)
{
	close(fs->udp);
	close(fs->tcp);
}

/* The child's side: over UDP a stray reply (wrong ID), then the real one
 * truncated; over TCP the full reply, a header with QR set. */
static void serve_truncated_then_tcp(const struct fake_server *fs)
{
	unsigned char q[512], framed[2 + 512];
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n = recvfrom(fs->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &from_len);
	int c;

	if (n < 12)
		_exit(1);
	q[2] |= 0x80;
	q[0] ^= 0xff; /* stray: another ID */
	sendto(fs->udp, q, 12, 0, (struct sockaddr *)&from, from_len);
	q[0] ^= 0xff;
	q[2] |= 0x02; /* TC */
	sendto(fs->udp, q, 12, 0, (struct sockaddr *)&from, from_len);
	q[2] &= (unsigned char)~0x02;
	c = accept(fs->tcp, NULL, NULL);
	if (c < 0 || recv(c, framed, (size_t)n + 2, MSG_WAITALL) != 2 + n)
		_exit(1);
	framed[0] = 0;
	framed[1] = 12;
	memcpy(framed + 2, q, 12);
	send(c, framed, 14, 0);
	close(c);
	_exit(0);
}

static long long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void test_transport(void)
{
	struct fake_server fs;
	struct r2_buf query = {0}, reply = {0};
	struct r2_err err;
	struct timespec start;
	pid_t child;
	int status = -1;

	CHECK(fake_server_open(&fs) == 0);
	CHECK(r2_query_build(&query, 0x4242, "example.com", R2_TYPE_SOA, &err) == DNSACME_OK);

	/* TC over UDP: the same query again over TCP; the stray is ignored. */
	child = fork();
	if (child == 0)
		serve_truncated_then_tcp(&fs);
	CHECK(r2_exchange(&fs.srv, query.data, query.len, 5000, &reply, &err) == DNSACME_OK);
	CHECK(reply.len == 12 && reply.data[0] == 0x42 && reply.data[1] == 0x42);
	CHECK(reply.len == 12 && reply.data[2] == 0x80);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	r2_buf_free(&reply);

	/* Nobody answers: three UDP tries within the timeout. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK(r2_exchange(&fs.srv, query.data, query.len, 600, &reply, &err) ==
	      DNSACME_ERR_TIMEOUT);
	CHECK(elapsed_ms(&start) >= 550 && elapsed_ms(&start) < 2000);
	CHECK(strstr(err.msg, "over UDP in 1 s (3 tries)") != NULL);
	fake_server_close(&fs);

	/* Nothing listening: refused at once, not a timeout. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK(r2_exchange(&fs.srv, query.data, query.len, 5000, &reply, &err) ==
	      DNSACME_ERR_NETWORK);
	CHECK(strstr(err.msg, "Connection refused") != NULL);
	CHECK(elapsed_ms(&start) < 1000);
	r2_buf_free(&reply);
	r2_buf_free(&query);
}

static const struct dnsacme_option *find_option(const struct dnsacme_provider *p,
						const char *key)
{
	for (const struct dnsacme_option *o = p->options; o->key != NULL; o++)
		if (strcmp(o->key, key) == 0)
			return o;
	return NULL;
}

/* open() with a config table: the status, and fh->error on failure. */
static enum dnsacme_status try_open(const struct dnsacme_provider *p, struct fake_host *fh,
				    const char *const *config)
{
	void *state = NULL;
	enum dnsacme_status st;

	fake_host_init(fh, config);
	st = p->open(&fh->host, &state);
	CHECK((st == DNSACME_OK) == (state != NULL));
	CHECK(st == DNSACME_OK || fh->error[0] != '\0');
	CHECK(strstr(fh->error, SECRET) == NULL);
	p->close(state);
	return st;
}

static void test_descriptor(void)
{
	const struct dnsacme_provider *p = fake_host_load(R2_PLUGIN);
	const struct dnsacme_option *o;
	char key_path[1024];
	struct fake_host fh;

	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK(p->abi_version == DNSACME_PLUGIN_ABI_VERSION);
	CHECK_STR(p->name, "rfc2136");
	CHECK(p->wait == NULL && p->present != NULL && p->cleanup != NULL);
	o = find_option(p, "nameserver");
	CHECK(o != NULL && (o->flags & DNSACME_OPT_REQUIRED));
	CHECK_STR(o ? o->env[0] : NULL, "RFC2136_NAMESERVER");
	o = find_option(p, "tsig_secret");
	CHECK(o != NULL && (o->flags & DNSACME_OPT_SECRET));
	CHECK_STR(o ? o->env[0] : NULL, "RFC2136_TSIG_SECRET");
	o = find_option(p, "tsig_algorithm");
	CHECK_STR(o ? o->default_value : NULL, "hmac-sha256");
	o = find_option(p, "ttl");
	CHECK_STR(o ? o->default_value : NULL, "120");
	o = find_option(p, "timeout");
	CHECK_STR(o ? o->env[0] : NULL, "RFC2136_DNS_TIMEOUT");
	CHECK(find_option(p, "tsig_key") && find_option(p, "tsig_file") && find_option(p, "zone"));
	snprintf(key_path, sizeof(key_path), "%s/acme-update.key", R2_FIXTURES);

	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_key", "acme-update.",
					 "tsig_secret", SECRET, NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_OK);
	}
	{
		const char *const c[] = {"nameserver", "[::1]:5353", NULL}; /* unsigned */
		CHECK(try_open(p, &fh, c) == DNSACME_OK);
	}
	{
		/* RFC2136_TSIG_KEY= (empty) counts as unset, as the secret does. */
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_key", "", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_OK);
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_file", key_path, NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_OK);
		CHECK_STR(fh.secret, SECRET); /* the file's secret is registered for redaction */
	}
	{
		const char *const c[] = {"tsig_key", "k", "tsig_secret", SECRET, NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "nameserver is not set (RFC2136_NAMESERVER)");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_key", "k", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "tsig_key is set without tsig_secret (RFC2136_TSIG_SECRET)");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_secret", SECRET, NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "tsig_secret is set without tsig_key (RFC2136_TSIG_KEY)");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_key",	   "k",
					 "tsig_secret", SECRET,	      "tsig_algorithm", "sha256",
					 NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK(strstr(fh.error, "unknown TSIG algorithm \"sha256\"") != NULL);
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_file", key_path,
					 "tsig_key",   "k",	    NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "set either tsig_file or tsig_key and tsig_secret, not both");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "tsig_file",
					 R2_FIXTURES "/no-such.key", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK(strstr(fh.error, "no-such.key: No such file or directory") != NULL);
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "ttl", "2m", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "ttl \"2m\": expected 0 to 2147483647");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "timeout", "0", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "timeout \"0\": expected 1 to 3600");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1:99999", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "nameserver \"127.0.0.1:99999\": bad port");
	}
	{
		const char *const c[] = {"nameserver", "127.0.0.1", "zone", "a..b", NULL};
		CHECK(try_open(p, &fh, c) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error, "zone \"a..b\" is not a valid name");
	}
	{
		/* A record outside the configured zone fails before anything is sent. */
		const char *const c[] = {"nameserver", "127.0.0.1:9", "zone", "example.com", NULL};
		struct dnsacme_record rec = {"_acme-challenge.example.org", NULL, "v", 0};
		void *state = NULL;

		fake_host_init(&fh, c);
		CHECK(p->open(&fh.host, &state) == DNSACME_OK);
		CHECK(state != NULL && p->present(state, &rec, 1) == DNSACME_ERR_CONFIG);
		CHECK_STR(fh.error,
			  "record _acme-challenge.example.org is not in zone example.com");
		p->close(state);
	}
}

int main(void)
{
	test_update_vectors();
	test_error_replies();
	test_rcodes();
	test_algorithms();
	test_keyfiles();
	test_names_and_txt();
	test_parse_limits();
	test_hostport();
	test_transport();
	test_descriptor();
	return check_report();
}
