/* The renewal records: one JSON file per certificate under renewal/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

enum da_code da_store_renewal_write(const char *state_dir, const char *name, const char *json,
				    struct da_err *err)
{
	char *dir = NULL, *path = NULL;
	enum da_code rc;

	if (name[0] == '*' && name[1] == '.')
		name += 2;
	/* Checked DNS names hold no '/'; this makes sure of it. */
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return da_err_set(err, DA_ERR_USAGE, "'%s' cannot name a renewal record", name);
	if (asprintf(&dir, "%s/renewal", state_dir) < 0)
		dir = NULL;
	if (dir == NULL || asprintf(&path, "%s/%s.json", dir, name) < 0) {
		free(dir);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	rc = da_store_mkdirs(dir, 0700, err);
	if (rc == DA_OK)
		rc = da_store_write_atomic(path, json, strlen(json), 0600, err);
	free(path);
	free(dir);
	return rc;
}
