/* Helpers shared by the store's files; not part of its interface. */
#ifndef DA_STORE_INTERNAL_H
#define DA_STORE_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

/* Eight random hex digits and a NUL, for temporary names. */
void da_store_random_suffix(char out[9]);

/*
 * Create name in directory dirfd (O_EXCL: never an existing file, never
 * through a symlink) with exactly mode, write data and fsync it. Returns 0, or
 * an errno value with nothing left behind (EEXIST: pick another name).
 */
int da_store_create_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/*
 * flock(2) dir/name (created 0600); *fd_out is closed to release it. For a
 * shared lock (reading) a missing directory is no error: *fd_out is -1,
 * nothing to read. With LOCK_NB, a lock held elsewhere is DA_OK with
 * *fd_out -1.
 */
enum da_code da_store_lock(const char *dir, const char *name, int operation, int *fd_out,
			   struct da_err *err);

/* fsync the directory at path; 0 or an errno value. */
int da_store_fsync_dir(const char *path);

#endif
