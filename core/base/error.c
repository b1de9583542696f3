#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages are one line: a CA detail or server text with newlines would
 * break that, so control characters become spaces. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

enum da_code da_err_set(struct da_err *err, enum da_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	one_line(err->msg);
	return code;
}

enum da_code da_err_wrap(struct da_err *err, const char *fmt, ...)
{
	char old[DA_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (err == NULL)
		return DA_ERR_INTERNAL;
	if (err->code == DA_OK)
		err->code = DA_ERR_INTERNAL;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 3 < sizeof(err->msg)) {
		size_t used = (size_t)n + 2, len = strnlen(old, sizeof(err->msg) - used - 1);

		memcpy(err->msg + n, ": ", 2);
		memcpy(err->msg + used, old, len);
		err->msg[used + len] = '\0';
	}
	one_line(err->msg);
	return err->code;
}

const char *da_code_str(enum da_code code)
{
	switch (code) {
	case DA_OK: return "ok";
	case DA_ERR_USAGE: return "usage error";
	case DA_ERR_CONFIG: return "configuration error";
	case DA_ERR_NOMEM: return "out of memory";
	case DA_ERR_IO: return "I/O error";
	case DA_ERR_NETWORK: return "network error";
	case DA_ERR_TLS: return "TLS verification failed";
	case DA_ERR_PROTOCOL: return "protocol error";
	case DA_ERR_CA: return "CA error";
	case DA_ERR_DNS: return "DNS error";
	case DA_ERR_PLUGIN: return "DNS provider error";
	case DA_ERR_CRYPTO: return "crypto error";
	case DA_ERR_TIMEOUT: return "timeout";
	case DA_ERR_INTERRUPTED: return "interrupted";
	case DA_ERR_CONFLICT: return "conflict";
	case DA_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
