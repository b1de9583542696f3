/* Reading files whole: configs, certificates, keys, journals, and one-value
 * files (a secret mounted from a Kubernetes Secret, a token file). */
#ifndef DA_BASE_FILE_H
#define DA_BASE_FILE_H

#include <stddef.h>

#include "base/error.h"

/* Configs, certificates, keys and journals are a few KiB; a larger one is
 * a mistake or an attack. */
#define DA_FILE_READ_MAX (1024u * 1024)
/* A value file holds a key, a token or a host name. */
#define DA_FILE_VALUE_MAX (64u * 1024)

/*
 * The whole file as an allocation of *len bytes plus a NUL (free(); it may
 * be a key: wipe it first, or use da_secret_free()). DA_ERR_IO naming the
 * file when it cannot be read or holds more than max bytes; no copy of what
 * was read is left behind.
 */
enum da_code da_file_read(const char *path, size_t max, char **data, size_t *len,
			  struct da_err *err);

/* A one-value file (at most DA_FILE_VALUE_MAX): its content less one line
 * end, "\n" or "\r\n", in *value (da_secret_free()). */
enum da_code da_file_read_value(const char *path, char **value, struct da_err *err);

#endif
