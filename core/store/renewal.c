/*
 * Two books of one JSON file per certificate, named by its first name ("*."
 * stripped): renewal/ holds how `issue` issued it, renew-state/ what `renew`
 * learnt about it since (ARI answers, failures).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "store/store.h"

#define RECORDS "renewal"
#define STATES "renew-state"

/* <state_dir>/<book>[/<name>.json] in *out (free()); name checked. */
static enum da_code book_path(const char *state_dir, const char *book, const char *name,
			      char **out, struct da_err *err)
{
	int n;

	*out = NULL;
	if (name != NULL && name[0] == '*' && name[1] == '.')
		name += 2;
	/* Checked DNS names hold no '/'; this makes sure of it. */
	if (name != NULL && (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL))
		return da_err_set(err, DA_ERR_USAGE, "'%s' cannot name a renewal record", name);
	n = name ? asprintf(out, "%s/%s/%s.json", state_dir, book, name)
		 : asprintf(out, "%s/%s", state_dir, book);
	if (n < 0) {
		*out = NULL;
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	return DA_OK;
}

static enum da_code book_write(const char *state_dir, const char *book, const char *name,
			       const char *json, struct da_err *err)
{
	char *dir = NULL, *path = NULL;
	enum da_code rc;

	rc = book_path(state_dir, book, NULL, &dir, err);
	if (rc == DA_OK)
		rc = book_path(state_dir, book, name, &path, err);
	if (rc == DA_OK)
		rc = da_store_mkdirs(dir, 0700, err);
	if (rc == DA_OK)
		rc = da_store_write_atomic(path, json, strlen(json), 0600, err);
	free(path);
	free(dir);
	return rc;
}

static enum da_code book_read(const char *state_dir, const char *book, const char *name,
			      char **json, struct da_err *err)
{
	char *path = NULL;
	size_t len;
	enum da_code rc;

	*json = NULL;
	rc = book_path(state_dir, book, name, &path, err);
	if (rc == DA_OK && access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return DA_OK;
	}
	if (rc == DA_OK)
		rc = da_file_read(path, DA_FILE_READ_MAX, json, &len, err);
	free(path);
	return rc;
}

enum da_code da_store_renewal_write(const char *state_dir, const char *name, const char *json,
				    struct da_err *err)
{
	return book_write(state_dir, RECORDS, name, json, err);
}

enum da_code da_store_renewal_read(const char *state_dir, const char *name, char **json,
				   struct da_err *err)
{
	return book_read(state_dir, RECORDS, name, json, err);
}

enum da_code da_store_renew_state_write(const char *state_dir, const char *name,
					const char *json, struct da_err *err)
{
	return book_write(state_dir, STATES, name, json, err);
}

enum da_code da_store_renew_state_read(const char *state_dir, const char *name, char **json,
				       struct da_err *err)
{
	return book_read(state_dir, STATES, name, json, err);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum da_code da_store_renewal_list(const char *state_dir, char ***names, size_t *n,
				   struct da_err *err)
{
	char *dir = NULL;
	DIR *d;
	struct dirent *e;
	enum da_code rc = book_path(state_dir, RECORDS, NULL, &dir, err);

	*names = NULL;
	*n = 0;
	if (rc != DA_OK)
		return rc;
	d = opendir(dir);
	if (d == NULL) {
		rc = errno == ENOENT ? DA_OK
				     : da_err_set(err, DA_ERR_IO, "cannot read %s: %s", dir,
						  strerror(errno));
		free(dir);
		return rc;
	}
	while (rc == DA_OK && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char **grown;

		/* "<name>.json"; a dot file is an unfinished atomic write. */
		if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		grown = realloc(*names, (*n + 1) * sizeof(*grown));
		if (grown == NULL || (grown[*n] = strndup(e->d_name, len - 5)) == NULL) {
			if (grown != NULL)
				*names = grown;
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			break;
		}
		*names = grown;
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (rc != DA_OK) {
		for (size_t i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
		return rc;
	}
	qsort(*names, *n, sizeof(**names), by_name);
	return DA_OK;
}
