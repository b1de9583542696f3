#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

enum da_code da_file_read(const char *path, size_t max, char **data, size_t *len,
			  struct da_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct da_buf content = {0};
	char chunk[16384];
	ssize_t n;
	int rc = 0;

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return da_err_set(err, DA_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno;
			break;
		}
		if ((size_t)n > max - content.len) {
			rc = EFBIG;
			break;
		}
		if (da_buf_append(&content, chunk, (size_t)n) != 0) {
			rc = ENOMEM;
			break;
		}
	}
	close(fd);
	/* The file may be a private key: no copy stays on the stack. */
	explicit_bzero(chunk, sizeof(chunk));
	if (rc == 0) {
		*len = content.len;
		*data = da_buf_take(&content);
		if (*data == NULL)
			rc = ENOMEM;
	}
	if (rc != 0) {
		da_buf_free(&content); /* wiped: the file may be a key */
		*len = 0;
		if (rc == EFBIG)
			return da_err_set(err, DA_ERR_IO, "cannot read %s: larger than %zu KiB", path,
					  max / 1024);
		return da_err_set(err, rc == ENOMEM ? DA_ERR_NOMEM : DA_ERR_IO,
				  "cannot read %s: %s", path, strerror(rc));
	}
	return DA_OK;
}

enum da_code da_file_read_value(const char *path, char **value, struct da_err *err)
{
	size_t len;
	enum da_code code = da_file_read(path, DA_FILE_VALUE_MAX, value, &len, err);

	/* The line end an editor adds, Windows' included: "\r" left in a
	 * secret would make it fail as a wrong one. */
	if (code == DA_OK && len > 0 && (*value)[len - 1] == '\n') {
		(*value)[--len] = '\0';
		if (len > 0 && (*value)[len - 1] == '\r')
			(*value)[--len] = '\0';
	}
	return code;
}
