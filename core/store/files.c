#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "internal.h"

/* Tries before giving up on finding an unused temporary name. */
#define TEMP_TRIES 100

void da_store_random_suffix(char out[9])
{
	unsigned int r;

	/* Uniqueness, not secrecy: O_EXCL does the rest. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = (unsigned int)ts.tv_nsec ^ (unsigned int)getpid() << 16;
	}
	snprintf(out, 9, "%08x", r);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int da_store_create_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int rc;

	if (fd < 0)
		return errno;
	/* The umask may have narrowed mode; the caller asked for exactly it. */
	rc = fchmod(fd, mode) != 0 ? errno : 0;
	if (rc == 0)
		rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc != 0)
		unlinkat(dirfd, name, 0);
	return rc;
}

enum da_code da_store_lock(const char *dir, const char *name, int operation, int *fd_out,
			   struct da_err *err)
{
	struct da_buf path = {0};
	int fd, rc;

	*fd_out = -1;
	if (da_buf_printf(&path, "%s/%s", dir, name) != 0) {
		da_buf_free(&path);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	fd = open(path.data, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	rc = fd < 0 ? errno : flock(fd, operation) != 0 ? errno : 0;
	if (fd >= 0 && rc != 0)
		close(fd);
	if ((rc == ENOENT && operation == LOCK_SH) ||
	    (rc == EWOULDBLOCK && (operation & LOCK_NB))) {
		da_buf_free(&path);
		return DA_OK;
	}
	if (rc != 0) {
		da_err_set(err, DA_ERR_IO, "cannot lock %s: %s", path.data, strerror(rc));
		da_buf_free(&path);
		return DA_ERR_IO;
	}
	da_buf_free(&path);
	*fd_out = fd;
	return DA_OK;
}

int da_store_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return errno;
	rc = fsync(fd) != 0 ? errno : 0;
	close(fd);
	return rc;
}

enum da_code da_store_mirror_sync(const struct da_store_mirror *mirror, struct da_err *err)
{
	return mirror != NULL ? mirror->sync(mirror->ctx, err) : DA_OK;
}

enum da_code da_store_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				   struct da_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	struct da_buf temp = {0};
	int dirfd = -1, rc = EEXIST;

	if (dir == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (base[0] == '\0') {
		free(dir);
		return da_err_set(err, DA_ERR_IO, "cannot write %s: not a file name", path);
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		rc = errno;
	for (int i = 0; dirfd >= 0 && rc == EEXIST && i < TEMP_TRIES; i++) {
		char suffix[9];

		da_store_random_suffix(suffix);
		temp.len = 0;
		if (da_buf_printf(&temp, ".%s.tmp-%s", base, suffix) != 0) {
			rc = ENOMEM;
			break;
		}
		rc = da_store_create_at(dirfd, temp.data, data, len, mode);
	}
	if (rc == 0 && renameat(dirfd, temp.data, dirfd, base) != 0) {
		rc = errno;
		unlinkat(dirfd, temp.data, 0);
	}
	/* The rename itself is durable only once the directory is. */
	if (rc == 0 && fsync(dirfd) != 0)
		rc = errno;
	if (dirfd >= 0)
		close(dirfd);
	da_buf_free(&temp);
	free(dir);
	if (rc != 0)
		return da_err_set(err, rc == ENOMEM ? DA_ERR_NOMEM : DA_ERR_IO,
				  "cannot write %s: %s", path, strerror(rc));
	return DA_OK;
}

enum da_code da_store_check_private(const char *dir, struct da_err *err)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return da_err_set(err, DA_ERR_IO, "cannot use %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return da_err_set(err, DA_ERR_CONFIG, "%s is not a directory", dir);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "state dir %s belongs to another user (uid %u): it must be yours",
				  dir, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return da_err_set(err, DA_ERR_CONFIG,
				  "state dir %s is writable by %s: whoever can write it can make "
				  "dnsacme delete DNS records (chmod go-w %s)",
				  dir, st.st_mode & S_IWOTH ? "everyone" : "its group", dir);
	return DA_OK;
}

enum da_code da_store_mkdirs(const char *path, mode_t mode, struct da_err *err)
{
	char *copy = strdup(path);
	struct stat st;
	int rc = 0;

	if (copy == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (copy[0] == '\0')
		rc = ENOENT;
	/* Each prefix ending before a '/', then the whole path. */
	for (char *p = copy + 1; rc == 0; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		/* stat first: mkdir of an existing directory on a read-only or
		 * foreign file system may fail with something else than EEXIST. */
		if (stat(copy, &st) != 0 &&
		    (errno != ENOENT || (mkdir(copy, mode) != 0 && errno != EEXIST) ||
		     stat(copy, &st) != 0))
			rc = errno;
		else if (!S_ISDIR(st.st_mode))
			rc = ENOTDIR;
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	if (rc != 0)
		return da_err_set(err, DA_ERR_IO, "cannot create directory %s: %s", path,
				  strerror(rc));
	return DA_OK;
}
