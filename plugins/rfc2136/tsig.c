/* TSIG (RFC 8945): algorithms, keys, key files, signing and verifying. */
#include "rfc2136_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static const struct r2_alg algorithms[] = {
	{"hmac-sha256", NULL, "SHA256", 32},
	{"hmac-sha512", NULL, "SHA512", 64},
	{"hmac-sha384", NULL, "SHA384", 48},
	{"hmac-sha224", NULL, "SHA224", 28},
	{"hmac-sha1", NULL, "SHA1", 20},
	{"hmac-md5.sig-alg.reg.int", "hmac-md5", "MD5", 16},
};

static int spelled(const char *spelling, size_t len, const char *name)
{
	return name != NULL && strlen(name) == len && strncasecmp(spelling, name, len) == 0;
}

const struct r2_alg *r2_alg_find(const char *spelling)
{
	size_t len = strlen(spelling);

	if (len > 0 && spelling[len - 1] == '.')
		len--; /* lego / miekg write "hmac-sha256." */
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
		if (spelled(spelling, len, algorithms[i].name) ||
		    spelled(spelling, len, algorithms[i].alias))
			return &algorithms[i];
	}
	return NULL;
}

/* Decode standard base64 (padding required, as tsig-keygen writes it). */
static int b64_decode(const char *text, unsigned char *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(text), pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_size)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)text[i]))
			return -1; /* EVP_DecodeBlock would skip some of it silently */
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad)
		return -1;
	*out_len = (size_t)n - pad; /* EVP_DecodeBlock counts padding as zero bytes */
	return 0;
}

enum dnsacme_status r2_key_set(struct r2_key *key, const char *name, const char *algorithm,
			       const char *secret_b64, struct r2_err *err)
{
	memset(key, 0, sizeof(*key));
	if (r2_name_normalize(name, key->name) != 0 || key->name[0] == '\0')
		return r2_fail(err, DNSACME_ERR_CONFIG, "invalid TSIG key name \"%s\"", name);
	key->alg = r2_alg_find(algorithm);
	if (key->alg == NULL)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "unknown TSIG algorithm \"%s\" (use hmac-sha256, hmac-sha512, "
			       "hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5)",
			       algorithm);
	if (b64_decode(secret_b64, key->secret, sizeof(key->secret), &key->secret_len) != 0 ||
	    key->secret_len == 0) {
		r2_key_clear(key);
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "TSIG secret for key %s is not valid base64 (at most %d bytes)",
			       name, R2_SECRET_MAX);
	}
	return DNSACME_OK;
}

void r2_key_clear(struct r2_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

/* ---- key files ---- */

enum token { TOK_END, TOK_WORD, TOK_STRING, TOK_PUNCT, TOK_BAD };

struct lexer {
	const char *p;
	unsigned line;
	char text[512]; /* the token; may hold the secret, cleared at the end */
};

static void skip_space_and_comments(struct lexer *lx)
{
	for (;;) {
		if (*lx->p == '\n')
			lx->line++;
		if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/')) {
			while (*lx->p != '\0' && *lx->p != '\n')
				lx->p++;
		} else if (lx->p[0] == '/' && lx->p[1] == '*') {
			const char *end = strstr(lx->p + 2, "*/");

			for (const char *c = lx->p; c < (end ? end : lx->p + strlen(lx->p)); c++)
				lx->line += *c == '\n';
			lx->p = end ? end + 2 : lx->p + strlen(lx->p);
		} else {
			return;
		}
	}
}

static enum token next_token(struct lexer *lx)
{
	size_t n = 0;

	skip_space_and_comments(lx);
	if (*lx->p == '\0')
		return TOK_END;
	if (strchr("{};", *lx->p) != NULL) {
		lx->text[0] = *lx->p++;
		lx->text[1] = '\0';
		return TOK_PUNCT;
	}
	if (*lx->p == '"') {
		for (lx->p++; *lx->p != '"'; lx->p++) {
			if (*lx->p == '\0' || *lx->p == '\n' || n + 1 >= sizeof(lx->text))
				return TOK_BAD;
			lx->text[n++] = *lx->p;
		}
		lx->p++;
		lx->text[n] = '\0';
		return TOK_STRING;
	}
	while (*lx->p != '\0' && !isspace((unsigned char)*lx->p) &&
	       strchr("{};\"", *lx->p) == NULL) {
		if (n + 1 >= sizeof(lx->text))
			return TOK_BAD;
		lx->text[n++] = *lx->p++;
	}
	lx->text[n] = '\0';
	return TOK_WORD;
}

static int is_punct(const struct lexer *lx, enum token t, char c)
{
	return t == TOK_PUNCT && lx->text[0] == c;
}

/* Read "VALUE ;" after a clause keyword into out. */
static int clause_value(struct lexer *lx, char *out, size_t size)
{
	enum token t = next_token(lx);

	if ((t != TOK_WORD && t != TOK_STRING) || strlen(lx->text) >= size)
		return -1;
	strcpy(out, lx->text);
	return is_punct(lx, next_token(lx), ';') ? 0 : -1;
}

static enum dnsacme_status keyfile_parse(struct r2_keyfile *kf, struct lexer *lx,
					 struct r2_err *err)
{
	enum token t;

	memset(kf, 0, sizeof(*kf));
	t = next_token(lx);
	if (t != TOK_WORD || strcasecmp(lx->text, "key") != 0)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "TSIG key file, line %u: expected 'key \"name\" { ... };'",
			       lx->line);
	t = next_token(lx);
	if ((t != TOK_WORD && t != TOK_STRING) || strlen(lx->text) >= sizeof(kf->name))
		return r2_fail(err, DNSACME_ERR_CONFIG, "TSIG key file, line %u: bad key name",
			       lx->line);
	strcpy(kf->name, lx->text);
	if (!is_punct(lx, next_token(lx), '{'))
		return r2_fail(err, DNSACME_ERR_CONFIG, "TSIG key file, line %u: expected '{'",
			       lx->line);
	while (!is_punct(lx, t = next_token(lx), '}')) {
		if (t == TOK_WORD && strcasecmp(lx->text, "algorithm") == 0) {
			if (clause_value(lx, kf->algorithm, sizeof(kf->algorithm)) != 0)
				return r2_fail(err, DNSACME_ERR_CONFIG,
					       "TSIG key file, line %u: bad algorithm clause",
					       lx->line);
		} else if (t == TOK_WORD && strcasecmp(lx->text, "secret") == 0) {
			if (clause_value(lx, kf->secret, sizeof(kf->secret)) != 0)
				return r2_fail(err, DNSACME_ERR_CONFIG,
					       "TSIG key file, line %u: bad secret clause",
					       lx->line);
		} else {
			return r2_fail(err, DNSACME_ERR_CONFIG,
				       "TSIG key file, line %u: expected algorithm, secret or '}'",
				       lx->line);
		}
	}
	if (!is_punct(lx, next_token(lx), ';'))
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "TSIG key file, line %u: expected ';' after '}'", lx->line);
	t = next_token(lx);
	if (t != TOK_END)
		return r2_fail(err, DNSACME_ERR_CONFIG,
			       "TSIG key file, line %u: %s", lx->line,
			       t == TOK_WORD && strcasecmp(lx->text, "key") == 0
				       ? "more than one key; keep one per file"
				       : "unexpected text after the key block");
	if (kf->algorithm[0] == '\0' || kf->secret[0] == '\0')
		return r2_fail(err, DNSACME_ERR_CONFIG, "TSIG key file: key %s has no %s",
			       kf->name, kf->algorithm[0] == '\0' ? "algorithm" : "secret");
	return DNSACME_OK;
}

enum dnsacme_status r2_keyfile_parse(struct r2_keyfile *kf, const char *text,
				     struct r2_err *err)
{
	struct lexer lx = {.p = text, .line = 1};
	enum dnsacme_status st = keyfile_parse(kf, &lx, err);

	OPENSSL_cleanse(lx.text, sizeof(lx.text));
	if (st != DNSACME_OK)
		r2_keyfile_clear(kf);
	return st;
}

void r2_keyfile_clear(struct r2_keyfile *kf)
{
	OPENSSL_cleanse(kf, sizeof(*kf));
}

/* ---- MACs ---- */

void r2_tsig_mac_input(struct r2_buf *out, const unsigned char *prior_mac, size_t prior_len,
		       const unsigned char *msg, size_t msg_len, unsigned original_id,
		       unsigned arcount_less, const struct r2_key *key, uint64_t time_signed,
		       unsigned fudge, unsigned error, const unsigned char *other,
		       size_t other_len)
{
	unsigned arcount = (unsigned)msg[10] << 8 | msg[11];

	if (prior_mac != NULL) {
		r2_buf_u16(out, (unsigned)prior_len);
		r2_buf_put(out, prior_mac, prior_len);
	}
	r2_buf_u16(out, original_id);
	r2_buf_put(out, msg + 2, 8);
	r2_buf_u16(out, arcount - arcount_less);
	r2_buf_put(out, msg + 12, msg_len - 12);

	r2_name_put(out, key->name, 1);
	r2_buf_u16(out, R2_CLASS_ANY);
	r2_buf_u32(out, 0); /* TTL */
	r2_name_put(out, key->alg->name, 1);
	r2_buf_u48(out, time_signed);
	r2_buf_u16(out, fudge);
	r2_buf_u16(out, error);
	r2_buf_u16(out, (unsigned)other_len);
	r2_buf_put(out, other, other_len);
}

enum dnsacme_status r2_tsig_hmac(const struct r2_key *key, const unsigned char *data,
				 size_t len, unsigned char *mac, size_t *mac_len,
				 struct r2_err *err)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)key->alg->digest,
						 0),
		OSSL_PARAM_construct_end()};
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	int ok = ctx != NULL && EVP_MAC_init(ctx, key->secret, key->secret_len, params) == 1 &&
		 EVP_MAC_update(ctx, data, len) == 1 &&
		 EVP_MAC_final(ctx, mac, mac_len, R2_MAC_MAX) == 1;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	if (!ok)
		return r2_fail(err, DNSACME_ERR_INTERNAL, "HMAC with %s failed in OpenSSL",
			       key->alg->name);
	return DNSACME_OK;
}

enum dnsacme_status r2_tsig_sign(struct r2_buf *msg, const struct r2_key *key, uint64_t now,
				 unsigned char *mac, size_t *mac_len, struct r2_err *err)
{
	struct r2_buf input = {0};
	unsigned id = (unsigned)msg->data[0] << 8 | msg->data[1];
	unsigned arcount = (unsigned)msg->data[10] << 8 | msg->data[11];
	enum dnsacme_status st;
	size_t rdlen_off;

	r2_tsig_mac_input(&input, NULL, 0, msg->data, msg->len, id, 0, key, now, R2_FUDGE, 0,
			  NULL, 0);
	if (input.nomem)
		st = r2_fail(err, DNSACME_ERR_NOMEM, "out of memory signing an UPDATE");
	else
		st = r2_tsig_hmac(key, input.data, input.len, mac, mac_len, err);
	r2_buf_free(&input);
	if (st != DNSACME_OK)
		return st;

	r2_name_put(msg, key->name, 1);
	r2_buf_u16(msg, R2_TYPE_TSIG);
	r2_buf_u16(msg, R2_CLASS_ANY);
	r2_buf_u32(msg, 0);
	rdlen_off = msg->len;
	r2_buf_u16(msg, 0); /* RDLENGTH, filled in below */
	r2_name_put(msg, key->alg->name, 1);
	r2_buf_u48(msg, now);
	r2_buf_u16(msg, R2_FUDGE);
	r2_buf_u16(msg, (unsigned)*mac_len);
	r2_buf_put(msg, mac, *mac_len);
	r2_buf_u16(msg, id);
	r2_buf_u16(msg, 0); /* error */
	r2_buf_u16(msg, 0); /* other length */
	if (msg->nomem)
		return r2_fail(err, DNSACME_ERR_NOMEM, "out of memory signing an UPDATE");
	msg->data[rdlen_off] = (unsigned char)((msg->len - rdlen_off - 2) >> 8);
	msg->data[rdlen_off + 1] = (unsigned char)(msg->len - rdlen_off - 2);
	arcount++;
	msg->data[10] = (unsigned char)(arcount >> 8);
	msg->data[11] = (unsigned char)arcount;
	return DNSACME_OK;
}

enum dnsacme_status r2_tsig_verify(const struct r2_msg *reply, const struct r2_key *key,
				   const unsigned char *request_mac, size_t request_mac_len,
				   uint64_t now, struct r2_err *err)
{
	const struct r2_tsig *t = &reply->tsig;
	const struct r2_alg *alg;
	struct r2_buf input = {0};
	unsigned char mac[R2_MAC_MAX];
	size_t mac_len = 0;
	enum dnsacme_status st;
	uint64_t skew;

	if (!reply->has_tsig)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "the reply is not signed");
	if (strcmp(t->key_name, key->name) != 0)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "the reply is signed with key %s, not %s",
			       t->key_name, key->name);
	alg = r2_alg_find(t->algorithm);
	if (alg != key->alg)
		return r2_fail(err, DNSACME_ERR_PROTOCOL,
			       "the reply is signed with algorithm %s, not %s", t->algorithm,
			       key->alg->name);
	if (t->mac_len != alg->mac_len)
		return r2_fail(err, DNSACME_ERR_PROTOCOL,
			       "the reply's TSIG MAC has %u bytes, expected %u", t->mac_len,
			       alg->mac_len);

	r2_tsig_mac_input(&input, request_mac, request_mac_len, reply->data, reply->tsig_off,
			  t->original_id, 1, key, t->time_signed, t->fudge, t->error, t->other,
			  t->other_len);
	if (input.nomem)
		st = r2_fail(err, DNSACME_ERR_NOMEM, "out of memory verifying a reply");
	else
		st = r2_tsig_hmac(key, input.data, input.len, mac, &mac_len, err);
	r2_buf_free(&input);
	if (st != DNSACME_OK)
		return st;
	if (CRYPTO_memcmp(mac, t->mac, mac_len) != 0)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "the reply's TSIG MAC does not verify");

	skew = now > t->time_signed ? now - t->time_signed : t->time_signed - now;
	if (skew > t->fudge)
		return r2_fail(err, DNSACME_ERR_PROTOCOL,
			       "the reply was signed %llu s away from this host's clock "
			       "(fudge %u s)",
			       (unsigned long long)skew, t->fudge);
	return DNSACME_OK;
}
