#include "store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* Append text as one safe path component: [A-Za-z0-9._-] kept (letters
 * lower-cased when fold is set), the rest '_', and no leading '.' (no "..",
 * no hidden names). */
static int append_component(struct da_buf *b, const char *text, size_t len, int fold)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		char out = isalnum(c) || c == '-' || c == '_' || c == '.' ? (char)c : '_';

		if (fold)
			out = (char)tolower((unsigned char)out);
		if (i == 0 && out == '.')
			out = '_';
		if (da_buf_append(b, &out, 1) != 0)
			return -1;
	}
	return 0;
}

enum da_code da_store_account_dir(const char *state_dir, const char *directory_url, char **dir_out,
				  struct da_err *err)
{
	const char *authority, *host, *path;
	size_t authority_len, host_len, path_len;
	const char *at, *port = NULL;
	struct da_buf dir = {0};
	enum da_code code;
	int failed;

	*dir_out = NULL;
	if (strncmp(directory_url, "https://", 8) == 0)
		authority = directory_url + 8;
	else if (strncmp(directory_url, "http://", 7) == 0)
		authority = directory_url + 7;
	else
		return da_err_set(err, DA_ERR_CONFIG, "ACME directory URL %s is not http(s)",
				  directory_url);
	authority_len = strcspn(authority, "/?#");
	at = memchr(authority, '@', authority_len);
	host = at ? at + 1 : authority;
	host_len = authority_len - (size_t)(host - authority);
	/* The port follows the last ':' outside an IPv6 literal's brackets. */
	for (size_t i = host_len; i > 0; i--) {
		if (host[i - 1] == ']')
			break;
		if (host[i - 1] == ':') {
			port = host + i;
			host_len = i - 1;
			break;
		}
	}
	if (host_len > 0 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len == 0)
		return da_err_set(err, DA_ERR_CONFIG, "ACME directory URL %s names no host",
				  directory_url);
	path = authority + authority_len;
	path_len = strcspn(path, "?#");
	while (path_len > 0 && path[0] == '/') {
		path++;
		path_len--;
	}

	failed = da_buf_printf(&dir, "%s/accounts/", state_dir) != 0 ||
		 append_component(&dir, host, host_len, 1) != 0;
	if (!failed && port != NULL && port < authority + authority_len)
		failed = da_buf_puts(&dir, "_") != 0 ||
			 append_component(&dir, port, (size_t)(authority + authority_len - port),
					  0) != 0;
	/* '/' in the path becomes '_' along with every other unsafe character. */
	if (!failed)
		failed = da_buf_puts(&dir, "/") != 0 ||
			 (path_len == 0 ? da_buf_puts(&dir, "_") != 0
					: append_component(&dir, path, path_len, 0) != 0);
	if (failed) {
		da_buf_free(&dir);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	code = da_store_mkdirs(dir.data, 0700, err);
	if (code != DA_OK) {
		da_buf_free(&dir);
		return code;
	}
	*dir_out = da_buf_take(&dir);
	return *dir_out ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}
