#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "internal.h"

#define KEY_FILE "account.key"
#define URL_FILE "account.json"
#define LOCK_FILE "account.lock"

struct da_store_account {
	char *dir;
	char *key_path;
	char *url_path;
	int lock;
};

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

/* Temporary files of da_store_write_atomic() (".NAME.tmp-XXXXXXXX") that a
 * killed writer left: one may hold a copy of the key. Called locked. */
static void remove_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp-") != NULL)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

enum da_code da_store_account_open(const char *state_dir, const char *directory_url,
				   struct da_store_account **out, struct da_err *err)
{
	struct da_store_account *a = calloc(1, sizeof(*a));
	enum da_code code;

	*out = NULL;
	if (a == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	a->lock = -1;
	code = da_store_account_dir(state_dir, directory_url, &a->dir, err);
	if (code == DA_OK)
		code = da_store_check_private(state_dir, err);
	if (code == DA_OK && (asprintf(&a->key_path, "%s/" KEY_FILE, a->dir) < 0 ||
			      asprintf(&a->url_path, "%s/" URL_FILE, a->dir) < 0)) {
		a->key_path = a->url_path = NULL;
		code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	if (code == DA_OK)
		code = da_store_lock(a->dir, LOCK_FILE, LOCK_EX, &a->lock, err);
	if (code != DA_OK) {
		da_store_account_close(a);
		return code;
	}
	remove_leftovers(a->dir);
	*out = a;
	return DA_OK;
}

void da_store_account_close(struct da_store_account *account)
{
	if (account == NULL)
		return;
	if (account->lock >= 0)
		close(account->lock);
	free(account->dir);
	free(account->key_path);
	free(account->url_path);
	free(account);
}

const char *da_store_account_where(const struct da_store_account *account)
{
	return account->dir;
}

enum da_code da_store_account_key_read(const struct da_store_account *account, char **pem,
				       struct da_err *err)
{
	size_t len;
	enum da_code code = da_file_read(account->key_path, DA_FILE_READ_MAX, pem, &len, err);

	/* Only a missing key may be made anew: one that cannot be read now
	 * (its mode, a wrong user) still is the account's. */
	if (code != DA_OK && access(account->key_path, F_OK) != 0 && errno == ENOENT)
		return DA_OK;
	return code;
}

enum da_code da_store_account_key_write(const struct da_store_account *account,
					const char *pem, struct da_err *err)
{
	return da_store_write_atomic(account->key_path, pem, strlen(pem), 0600, err);
}

enum da_code da_store_account_url_read(const struct da_store_account *account, char **url,
				       struct da_err *err)
{
	json_t *root = json_load_file(account->url_path, 0, NULL);
	const char *saved = json_string_value(json_object_get(root, "url"));

	*url = NULL;
	if (saved != NULL && (*url = strdup(saved)) == NULL) {
		json_decref(root);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	json_decref(root);
	return DA_OK;
}

enum da_code da_store_account_url_write(const struct da_store_account *account,
					const char *url, struct da_err *err)
{
	json_t *root = json_pack("{s:s}", "url", url);
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	enum da_code code;

	json_decref(root);
	if (text == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	code = da_store_write_atomic(account->url_path, text, strlen(text), 0600, err);
	free(text);
	return code;
}
