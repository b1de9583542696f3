/*
 * The cleanup journal: {"version": 1, "entries": [{"plugin", "fqdn", "zone",
 * "value"}, ...]} in <state_dir>/journal.json.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/file.h"
#include "internal.h"

#define JOURNAL_FILE "journal.json"
#define LOCK_FILE "journal.lock"
#define RUN_LOCK_FILE "run.lock"
#define JOURNAL_VERSION 1
/* A journal that cannot be read stops every run: say how to get going. */
#define DAMAGED_HINT "; move it aside (its entries are TXT records to remove by hand)"

/* state_dir/name, or NULL when out of memory (free()). */
static char *state_path(const char *state_dir, const char *name)
{
	struct da_buf path = {0};

	if (da_buf_printf(&path, "%s/%s", state_dir, name) != 0) {
		da_buf_free(&path);
		return NULL;
	}
	return da_buf_take(&path);
}

/* A DNS-01 TXT value: base64url of a SHA-256 digest, 43 characters. The
 * journal holds nothing else, so a tampered one cannot make dnsacme
 * delete an SPF or DKIM record with the user's DNS credentials. */
static int is_dns01_value(const char *v)
{
	return v != NULL && strlen(v) == 43 &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43;
}

static int is_string_or_null(const json_t *v)
{
	return v == NULL || json_is_null(v) || json_is_string(v);
}

/* Parse and check the journal; an absent file is an empty journal.
 * *root_out: json_decref(). Called with the lock held. */
static enum da_code read_journal(const char *path, json_t **root_out, struct da_err *err)
{
	struct stat st;
	char *text;
	size_t len, i;
	json_t *root, *entries, *entry;
	json_error_t jerr;
	enum da_code code;

	*root_out = NULL;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		root = json_pack("{s:i, s:[]}", "version", JOURNAL_VERSION, "entries");
		if (root == NULL)
			return da_err_set(err, DA_ERR_NOMEM, "out of memory");
		*root_out = root;
		return DA_OK;
	}
	code = da_file_read(path, DA_FILE_READ_MAX, &text, &len, err);
	if (code != DA_OK)
		return code;
	root = json_loadb(text, len, 0, &jerr);
	free(text);
	if (root == NULL)
		return da_err_set(err, DA_ERR_IO, "%s is corrupt: line %d: %s" DAMAGED_HINT, path,
				  jerr.line, jerr.text);
	entries = json_object_get(root, "entries");
	if (json_integer_value(json_object_get(root, "version")) != JOURNAL_VERSION ||
	    !json_is_array(entries)) {
		json_decref(root);
		return da_err_set(err, DA_ERR_IO, "%s is not a version %d journal" DAMAGED_HINT,
				  path, JOURNAL_VERSION);
	}
	json_array_foreach(entries, i, entry) {
		if (!json_is_string(json_object_get(entry, "plugin")) ||
		    !json_is_string(json_object_get(entry, "fqdn")) ||
		    !json_is_string(json_object_get(entry, "value")) ||
		    !is_string_or_null(json_object_get(entry, "zone"))) {
			json_decref(root);
			return da_err_set(err, DA_ERR_IO,
					  "%s is corrupt: entry %zu is incomplete" DAMAGED_HINT,
					  path, i);
		}
		if (!is_dns01_value(json_string_value(json_object_get(entry, "value")))) {
			json_decref(root);
			return da_err_set(err, DA_ERR_IO,
					  "%s: entry %zu is no DNS-01 value, so it was not written "
					  "by dnsacme and nothing is removed" DAMAGED_HINT,
					  path, i);
		}
	}
	*root_out = root;
	return DA_OK;
}

static int same_record(json_t *entry, const char *plugin, const struct dnsacme_record *r)
{
	return strcmp(json_string_value(json_object_get(entry, "plugin")), plugin) == 0 &&
	       strcmp(json_string_value(json_object_get(entry, "fqdn")), r->fqdn) == 0 &&
	       strcmp(json_string_value(json_object_get(entry, "value")), r->value) == 0;
}

/* The index of the entry for plugin and r, or -1. */
static long find_entry(json_t *entries, const char *plugin, const struct dnsacme_record *r)
{
	size_t i;
	json_t *entry;

	json_array_foreach(entries, i, entry)
		if (same_record(entry, plugin, r))
			return (long)i;
	return -1;
}

/* Store root, or remove the file when it holds no entry. Lock held. */
static enum da_code write_journal(const char *state_dir, const char *path, json_t *root,
				  struct da_err *err)
{
	char *text;
	enum da_code code;

	if (json_array_size(json_object_get(root, "entries")) == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return da_err_set(err, DA_ERR_IO, "cannot remove %s: %s", path,
					  strerror(errno));
		/* Failing to make the removal durable only means a crash could
		 * bring back entries whose cleanup is then repeated: harmless. */
		da_store_fsync_dir(state_dir);
		return DA_OK;
	}
	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	code = da_store_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return code;
}

/* How da_store_journal_add and da_store_journal_remove change the entries. */
typedef enum da_code (*journal_edit)(json_t *entries, const char *plugin,
				     const struct dnsacme_record *records, size_t n);

static enum da_code add_records(json_t *entries, const char *plugin,
				const struct dnsacme_record *records, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *entry;

		if (find_entry(entries, plugin, &records[i]) >= 0)
			continue;
		entry = json_pack("{s:s, s:s, s:s?, s:s}", "plugin", plugin, "fqdn",
				  records[i].fqdn, "zone", records[i].zone, "value",
				  records[i].value);
		if (entry == NULL || json_array_append_new(entries, entry) != 0)
			return DA_ERR_NOMEM;
	}
	return DA_OK;
}

static enum da_code remove_records(json_t *entries, const char *plugin,
				   const struct dnsacme_record *records, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long at;

		while ((at = find_entry(entries, plugin, &records[i])) >= 0)
			json_array_remove(entries, (size_t)at);
	}
	return DA_OK;
}

static int records_valid(const char *plugin, const struct dnsacme_record *records, size_t n)
{
	if (plugin == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (records[i].fqdn == NULL || !is_dns01_value(records[i].value))
			return 0;
	return 1;
}

static enum da_code edit_journal(const char *state_dir, const char *plugin,
				 const struct dnsacme_record *records, size_t n, journal_edit edit,
				 struct da_err *err)
{
	char *path;
	json_t *root = NULL;
	int lock = -1;
	enum da_code code;

	if (!records_valid(plugin, records, n))
		return da_err_set(err, DA_ERR_USAGE,
				  "journal: a record lacks its name or a DNS-01 value");
	code = da_store_mkdirs(state_dir, 0700, err);
	if (code == DA_OK)
		code = da_store_check_private(state_dir, err);
	if (code != DA_OK)
		return code;
	path = state_path(state_dir, JOURNAL_FILE);
	if (path == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	code = da_store_lock(state_dir, LOCK_FILE, LOCK_EX, &lock, err);
	if (code == DA_OK)
		code = read_journal(path, &root, err);
	if (code == DA_OK && edit(json_object_get(root, "entries"), plugin, records, n) != DA_OK)
		code = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (code == DA_OK)
		code = write_journal(state_dir, path, root, err);
	json_decref(root);
	if (lock >= 0)
		close(lock);
	free(path);
	return code;
}

enum da_code da_store_journal_add(const char *state_dir, const char *plugin,
				  const struct dnsacme_record *records, size_t n,
				  struct da_err *err)
{
	return edit_journal(state_dir, plugin, records, n, add_records, err);
}

enum da_code da_store_journal_remove(const char *state_dir, const char *plugin,
				     const struct dnsacme_record *records, size_t n,
				     struct da_err *err)
{
	return edit_journal(state_dir, plugin, records, n, remove_records, err);
}

void da_store_journal_free(struct da_journal *journal)
{
	if (journal == NULL)
		return;
	for (size_t i = 0; i < journal->n; i++) {
		free(journal->entries[i].plugin);
		free(journal->entries[i].fqdn);
		free(journal->entries[i].zone);
		free(journal->entries[i].value);
	}
	free(journal->entries);
	free(journal);
}

/* A copy of a string member, or NULL for null or absent; *failed on nomem. */
static char *copy_member(json_t *entry, const char *key, int *failed)
{
	const char *value = json_string_value(json_object_get(entry, key));
	char *copy;

	if (value == NULL)
		return NULL;
	copy = strdup(value);
	if (copy == NULL)
		*failed = 1;
	return copy;
}

static enum da_code to_journal(json_t *entries, struct da_journal **out, struct da_err *err)
{
	struct da_journal *journal = calloc(1, sizeof(*journal));
	size_t n = json_array_size(entries), i;
	json_t *entry;
	int failed = journal == NULL;

	if (!failed && n > 0) {
		journal->entries = calloc(n, sizeof(*journal->entries));
		failed = journal->entries == NULL;
	}
	json_array_foreach(entries, i, entry) {
		struct da_journal_entry *e;

		if (failed)
			break;
		e = &journal->entries[journal->n++];
		e->plugin = copy_member(entry, "plugin", &failed);
		e->fqdn = copy_member(entry, "fqdn", &failed);
		e->zone = copy_member(entry, "zone", &failed);
		e->value = copy_member(entry, "value", &failed);
	}
	if (failed) {
		da_store_journal_free(journal);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	*out = journal;
	return DA_OK;
}

enum da_code da_store_journal_load(const char *state_dir, struct da_journal **out,
				   struct da_err *err)
{
	char *path = state_path(state_dir, JOURNAL_FILE);
	json_t *root = NULL;
	int lock = -1;
	enum da_code code;

	*out = NULL;
	if (path == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	/* No state dir yet is an empty journal; one that exists must be private. */
	code = access(state_dir, F_OK) == 0 ? da_store_check_private(state_dir, err) : DA_OK;
	if (code == DA_OK)
		code = da_store_lock(state_dir, LOCK_FILE, LOCK_SH, &lock, err);
	if (code == DA_OK)
		code = read_journal(path, &root, err);
	if (code == DA_OK)
		code = to_journal(json_object_get(root, "entries"), out, err);
	json_decref(root);
	if (lock >= 0)
		close(lock);
	free(path);
	return code;
}

enum da_code da_store_journal_run_lock(const char *state_dir, int *fd_out, int *exclusive,
				       struct da_err *err)
{
	enum da_code code;

	*exclusive = 0;
	code = da_store_mkdirs(state_dir, 0700, err);
	if (code == DA_OK)
		code = da_store_check_private(state_dir, err);
	if (code == DA_OK)
		code = da_store_lock(state_dir, RUN_LOCK_FILE, LOCK_EX | LOCK_NB, fd_out, err);
	if (code != DA_OK || *fd_out >= 0) {
		*exclusive = code == DA_OK;
		return code;
	}
	return da_store_lock(state_dir, RUN_LOCK_FILE, LOCK_SH, fd_out, err);
}

enum da_code da_store_journal_run_share(int fd, struct da_err *err)
{
	/* Not atomic (flock(2)), which is harmless: this run has no entries
	 * yet that another run could take for leftovers. */
	if (flock(fd, LOCK_SH) != 0)
		return da_err_set(err, DA_ERR_IO, "cannot share the run lock: %s",
				  strerror(errno));
	return DA_OK;
}
