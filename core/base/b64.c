#include "b64.h"

#include <stdlib.h>
#include <string.h>

static const char std_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(const unsigned char *in, size_t len, const char *alphabet, int pad)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	size_t o = 0, i = 0;

	if (out == NULL)
		return NULL;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = alphabet[v >> 6 & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static unsigned char *decode(const char *text, size_t *out_len, const char *alphabet)
{
	size_t len = strlen(text), o = 0;
	unsigned acc = 0;
	int bits = 0;
	unsigned char *out;

	while (len > 0 && text[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return NULL;
	out = malloc(len * 3 / 4 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *p = text[i] ? strchr(alphabet, text[i]) : NULL;

		if (p == NULL) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (unsigned)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

char *da_b64url_encode(const void *data, size_t len)
{
	return encode(data, len, url_alphabet, 0);
}

char *da_b64_encode(const void *data, size_t len)
{
	return encode(data, len, std_alphabet, 1);
}

unsigned char *da_b64url_decode(const char *text, size_t *out_len)
{
	return decode(text, out_len, url_alphabet);
}

unsigned char *da_b64_decode(const char *text, size_t *out_len)
{
	return decode(text, out_len, std_alphabet);
}
