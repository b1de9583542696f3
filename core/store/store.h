/*
 * Local state and outputs: atomic files, the per-CA account directory, the
 * certificate output set and the cleanup journal.
 *
 * Everything written here survives a crash at any point: a file is either
 * the old one or the new one, never partial, and a certificate set is either
 * the old set or the new one, never a key and a certificate that do not match.
 */
#ifndef DA_STORE_STORE_H
#define DA_STORE_STORE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "dnsacme/types.h" /* struct dnsacme_record */

/*
 * Replace path with data: a temporary file in the same directory, created
 * with mode from the start (a private key is never readable by others, even
 * briefly), is written, fsync'ed and renamed over path; then the directory
 * is fsync'ed. The directory must exist. DA_ERR_IO on failure, with nothing
 * left behind.
 */
enum da_code da_store_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				   struct da_err *err);

/*
 * A copy of the state dir kept elsewhere (the state Secret, k8s/state.h),
 * told after each change that must outlive a kill: the journal before
 * records are published and after they are removed, the account, the
 * renewal records. Borrowed by whoever calls it.
 */
struct da_store_mirror {
	enum da_code (*sync)(void *ctx, struct da_err *err);
	void *ctx;
};

/* mirror->sync(); DA_OK when mirror is NULL (the state dir is all there is). */
enum da_code da_store_mirror_sync(const struct da_store_mirror *mirror, struct da_err *err);

/* mkdir -p: create path and its missing parents with mode (existing
 * directories are left as they are). */
enum da_code da_store_mkdirs(const char *path, mode_t mode, struct da_err *err);

/*
 * DA_OK when only its owner can write dir: its owner is this user or root,
 * and it is neither group- nor world-writable. Else DA_ERR_CONFIG saying
 * why: whoever can write the state dir can plant journal entries (TXT
 * records dnsacme then deletes) or swap the account key.
 */
enum da_code da_store_check_private(const char *dir, struct da_err *err);

/*
 * The directory holding the account for a CA, created 0700:
 * <state_dir>/accounts/<host>[_<port>]/<path with '/' replaced by '_'>, e.g.
 * accounts/acme-v02.api.letsencrypt.org/directory. Characters other than
 * [A-Za-z0-9._-] become '_', and no component starts with '.', so a URL can
 * never name a place outside. The query is ignored. *dir_out: free().
 * DA_ERR_CONFIG for a URL that is not http(s)://host/...
 */
enum da_code da_store_account_dir(const char *state_dir, const char *directory_url, char **dir_out,
				  struct da_err *err);

/*
 * One CA's account files in its account directory: account.key (the key's
 * PEM, 0600) and account.json ({"url": ...}). While open, the directory's
 * account.lock is held exclusively, so two first runs cannot each make a key
 * and save the URL of one account beside the key of the other.
 */
struct da_store_account;

/*
 * Open the account directory of directory_url (da_store_account_dir) and
 * lock it, waiting for another holder; the temporary files of a writer that
 * was killed are removed. *out: da_store_account_close().
 */
enum da_code da_store_account_open(const char *state_dir, const char *directory_url,
				   struct da_store_account **out, struct da_err *err);
void da_store_account_close(struct da_store_account *account);

/* The directory, for messages. */
const char *da_store_account_where(const struct da_store_account *account);

/* The key's PEM in *pem (da_secret_free()), or NULL when none was saved yet.
 * A key that exists but cannot be read is DA_ERR_IO: it is still the
 * account's, and is never replaced. */
enum da_code da_store_account_key_read(const struct da_store_account *account, char **pem,
				       struct da_err *err);
enum da_code da_store_account_key_write(const struct da_store_account *account,
					const char *pem, struct da_err *err);

/* The saved account URL in *url (free()), or NULL when none is saved (or the
 * file does not hold one: the CA is asked again). */
enum da_code da_store_account_url_read(const struct da_store_account *account, char **url,
				       struct da_err *err);
enum da_code da_store_account_url_write(const struct da_store_account *account,
					const char *url, struct da_err *err);

/* The PEM texts (NUL-terminated) and metadata of one certificate. */
struct da_cert_files {
	const char *cert_pem;	   /* the leaf */
	const char *chain_pem;	   /* the intermediates */
	const char *fullchain_pem; /* leaf + intermediates */
	const char *privkey_pem;   /* written 0600 */
	const char *metadata_json;
};

/*
 * Replace the certificate set in out_dir (created 0755 when missing) at once:
 * the five files are written into a new version directory out_dir/..<time>.X,
 * the symlink out_dir/..data is renamed to point at it, and out_dir/cert.pem,
 * chain.pem, fullchain.pem, privkey.pem and metadata.json are symlinks to
 * ..data/<name> (replacing, on first use, regular files another tool left).
 * Then the previous version directory, and any a crash left, are removed.
 * Writers of one out_dir are serialised with flock(2) on the directory.
 * Every member of files is required.
 */
enum da_code da_store_write_certificate(const char *out_dir, const struct da_cert_files *files,
					struct da_err *err);

/*
 * The renewal record of the certificate for name (its first name, "*."
 * stripped): <state_dir>/renewal/<name>.json (0600; the directory 0700),
 * the JSON text that `renew` reads to issue it again; and, beside it in
 * <state_dir>/renew-state/<name>.json, what `renew` learnt about it since.
 * name must be a checked DNS name (it becomes a file name). A read of a
 * file that is not there gives *json NULL and DA_OK.
 */
enum da_code da_store_renewal_write(const char *state_dir, const char *name, const char *json,
				    struct da_err *err);
enum da_code da_store_renewal_read(const char *state_dir, const char *name, char **json,
				   struct da_err *err);
enum da_code da_store_renew_state_write(const char *state_dir, const char *name,
					const char *json, struct da_err *err);
enum da_code da_store_renew_state_read(const char *state_dir, const char *name, char **json,
				       struct da_err *err);

/* The names of every renewal record, sorted, in *names (*n of them; free()
 * each and the array); none when there is no renewal/ yet. */
enum da_code da_store_renewal_list(const char *state_dir, char ***names, size_t *n,
				   struct da_err *err);

/*
 * The cleanup journal, <state_dir>/journal.json (0600): TXT records presented
 * and not yet cleaned up, so a run that was interrupted between present and
 * cleanup removes them next time. Read-modify-write is serialised across
 * processes with flock(2) on <state_dir>/journal.lock.
 */
struct da_journal_entry {
	char *plugin;
	char *fqdn;
	char *zone; /* may be NULL */
	char *value;
};

struct da_journal {
	struct da_journal_entry *entries;
	size_t n;
};

/* Record records for plugin, before presenting them. An entry already there
 * (same plugin, fqdn and value) is not added twice. Creates state_dir 0700. */
enum da_code da_store_journal_add(const char *state_dir, const char *plugin,
				  const struct dnsacme_record *records, size_t n,
				  struct da_err *err);

/* Every entry, in the order added; an empty journal when there is no file.
 * *out is freed with da_store_journal_free(). */
enum da_code da_store_journal_load(const char *state_dir, struct da_journal **out,
				   struct da_err *err);
void da_store_journal_free(struct da_journal *journal);

/*
 * The run lock, <state_dir>/run.lock: every issuing run holds it shared from
 * before its first journal entry to its end, and removing leftovers needs
 * it exclusively, so that one run never cleans up the records another run
 * is still having validated (two timers firing at once). Takes the lock
 * exclusively when no other run holds it (*exclusive set: the journal's
 * entries are all leftovers), else waits for it shared (*exclusive clear:
 * leave the journal alone). Call da_store_journal_run_share() once the leftovers
 * are gone. Creates state_dir 0700. *fd_out: close() to release.
 */
enum da_code da_store_journal_run_lock(const char *state_dir, int *fd_out, int *exclusive,
				       struct da_err *err);
enum da_code da_store_journal_run_share(int fd, struct da_err *err);

/* Forget these records of plugin (matched by fqdn and value) after a
 * successful cleanup; the file is removed when nothing is left. */
enum da_code da_store_journal_remove(const char *state_dir, const char *plugin,
				     const struct dnsacme_record *records, size_t n,
				     struct da_err *err);

#endif
