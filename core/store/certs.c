/*
 * The certificate set, replaced at once the way Kubernetes' AtomicWriter
 * replaces a volume: the files live in a version directory, a symlink
 * "..data" names the current version, and the visible names are symlinks
 * through it. One rename(2) of "..data" switches every file together.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define DATA_LINK "..data"
#define DATA_LINK_TEMP "..data_tmp"
#define N_FILES 5
/* "..2026_11_28_16_13_48.0123abcd" */
#define VERSION_NAME_MAX 48

struct cert_file {
	const char *name;
	const char *text;
	mode_t mode;
};

/* A version directory is "..<digit>...": what this code creates. */
static int is_version_name(const char *name)
{
	return name[0] == '.' && name[1] == '.' && name[2] >= '0' && name[2] <= '9';
}

/* The directory name inside dir_fd, opened for reading, or NULL. */
static DIR *open_dir_at(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL && fd >= 0)
		close(fd);
	return d;
}

/* Remove a version directory and the files in it (it holds no others). */
static void remove_version(int dir_fd, const char *name)
{
	DIR *d = open_dir_at(dir_fd, name);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	unlinkat(dir_fd, name, AT_REMOVEDIR);
}

/* Remove every version directory but keep, including those a crash left. */
static void remove_old_versions(int dir_fd, const char *keep)
{
	DIR *d = open_dir_at(dir_fd, ".");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (is_version_name(e->d_name) && strcmp(e->d_name, keep) != 0)
			remove_version(dir_fd, e->d_name);
	closedir(d);
}

/* Create out_dir/..<UTC time>.<random> (0755); its name in name. */
static int make_version_dir(int dir_fd, char name[VERSION_NAME_MAX])
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[24], suffix[9];
	int rc = EEXIST;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y_%m_%d_%H_%M_%S", &tm);
	for (int i = 0; i < 100 && rc == EEXIST; i++) {
		da_store_random_suffix(suffix);
		snprintf(name, VERSION_NAME_MAX, "..%s.%s", stamp, suffix);
		rc = mkdirat(dir_fd, name, 0755) == 0 ? 0 : errno;
	}
	/* Readable by a server that drops privileges; privkey.pem is 0600. */
	if (rc == 0 && fchmodat(dir_fd, name, 0755, 0) != 0)
		rc = errno;
	return rc;
}

/* Write the files into the version directory and make them durable. */
static int fill_version(int dir_fd, const char *version, const struct cert_file *files)
{
	int fd = openat(dir_fd, version, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return errno;
	for (size_t i = 0; i < N_FILES && rc == 0; i++)
		rc = da_store_create_at(fd, files[i].name, files[i].text, strlen(files[i].text),
					files[i].mode);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	close(fd);
	return rc;
}

/* Point name at target with one rename(2) over whatever name is now. */
static int replace_symlink(int dir_fd, const char *target, const char *name, const char *temp)
{
	char current[256];
	ssize_t n = readlinkat(dir_fd, name, current, sizeof(current) - 1);

	if (n >= 0) {
		current[n] = '\0';
		if (strcmp(current, target) == 0)
			return 0;
	}
	unlinkat(dir_fd, temp, 0); /* left by a crash */
	if (symlinkat(target, dir_fd, temp) != 0)
		return errno;
	if (renameat(dir_fd, temp, dir_fd, name) != 0) {
		int rc = errno;

		unlinkat(dir_fd, temp, 0);
		return rc;
	}
	return 0;
}

/* Switch ..data to version, then make sure every visible name goes through it. */
static int publish(int dir_fd, const char *version, const struct cert_file *files,
		   const char **failed_name)
{
	char target[64], temp[64];
	int rc;

	*failed_name = DATA_LINK;
	rc = replace_symlink(dir_fd, version, DATA_LINK, DATA_LINK_TEMP);
	for (size_t i = 0; i < N_FILES && rc == 0; i++) {
		*failed_name = files[i].name;
		snprintf(target, sizeof(target), "%s/%s", DATA_LINK, files[i].name);
		snprintf(temp, sizeof(temp), ".%s.tmp", files[i].name);
		rc = replace_symlink(dir_fd, target, files[i].name, temp);
	}
	if (rc == 0 && fsync(dir_fd) != 0)
		rc = errno;
	return rc;
}

enum da_code da_store_write_certificate(const char *out_dir, const struct da_cert_files *files,
					struct da_err *err)
{
	const struct cert_file set[N_FILES] = {
		{"cert.pem", files->cert_pem, 0644},
		{"chain.pem", files->chain_pem, 0644},
		{"fullchain.pem", files->fullchain_pem, 0644},
		{"privkey.pem", files->privkey_pem, 0600},
		{"metadata.json", files->metadata_json, 0644},
	};
	char version[VERSION_NAME_MAX];
	const char *failed_name;
	enum da_code code;
	int dir_fd, rc;

	for (size_t i = 0; i < N_FILES; i++)
		if (set[i].text == NULL)
			return da_err_set(err, DA_ERR_USAGE, "certificate output: no %s given",
					  set[i].name);
	code = da_store_mkdirs(out_dir, 0755, err);
	if (code != DA_OK)
		return code;
	dir_fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return da_err_set(err, DA_ERR_IO, "cannot open %s: %s", out_dir, strerror(errno));
	/* Two writers of one directory would remove each other's versions. */
	if (flock(dir_fd, LOCK_EX) != 0) {
		rc = errno;
		close(dir_fd);
		return da_err_set(err, DA_ERR_IO, "cannot lock %s: %s", out_dir, strerror(rc));
	}

	rc = make_version_dir(dir_fd, version);
	if (rc != 0) {
		close(dir_fd);
		return da_err_set(err, DA_ERR_IO, "cannot create a version directory in %s: %s",
				  out_dir, strerror(rc));
	}
	rc = fill_version(dir_fd, version, set);
	if (rc != 0) {
		remove_version(dir_fd, version);
		close(dir_fd);
		return da_err_set(err, DA_ERR_IO, "cannot write the certificate files in %s/%s: %s",
				  out_dir, version, strerror(rc));
	}
	rc = publish(dir_fd, version, set, &failed_name);
	if (rc != 0) {
		/* Once ..data is switched, whatever points through it points at
		 * complete data: keep it. Before that, the new version is unused. */
		if (strcmp(failed_name, DATA_LINK) == 0)
			remove_version(dir_fd, version);
		close(dir_fd);
		return da_err_set(err, DA_ERR_IO, "cannot link %s/%s: %s", out_dir, failed_name,
				  strerror(rc));
	}
	remove_old_versions(dir_fd, version);
	close(dir_fd);
	return DA_OK;
}
