/* file.c - read a whole file, with a cap and, for secrets, a mode check. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
read_all(int fd, const char *path, size_t size, char *buf, size_t *len,
    struct rw_err *err)
{
	ssize_t r;

	*len = 0;
	while (*len < size) {
		r = read(fd, buf + *len, size - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rw_err_set(err, RW_EIO, "%s: read: %s", path,
			    strerror(errno));
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	buf[*len] = '\0';
	return RW_OK;
}

int
rw_secret_mode_ok(const struct stat *st)
{
	if ((st->st_mode & 077) == 0)
		return 1;
	return st->st_uid == 0 && geteuid() != 0 && (st->st_mode & 037) == 0;
}

int
rw_read_file(const char *path, size_t cap, int flags, char **out,
    size_t *outlen, struct rw_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t size = 0, len = 0;
	int fd, rc = RW_OK;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return rw_err_set(err, RW_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = rw_err_set(err, RW_EIO, "%s: not a readable regular file",
		    path);
	/* relayd's check_file_secrecy: a key nobody else may read. */
	else if ((flags & RW_FILE_SECRET) && !rw_secret_mode_ok(&st))
		rc = rw_err_set(err, RW_EPERM, "%s: mode %04o is too open: it "
		    "must not be accessible by group or others (chmod 600)",
		    path, (unsigned)(st.st_mode & 07777));
	else if ((uintmax_t)st.st_size > cap)
		rc = rw_err_set(err, RW_ETOOBIG, "%s: larger than %zu bytes",
		    path, cap);
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		rc = rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
	else {
		size = (size_t)st.st_size;
		rc = read_all(fd, path, size, buf, &len, err);
	}
	close(fd);
	if (rc != RW_OK) {
		if (buf != NULL)
			rw_freezero(buf, size + 1);
		return rc;
	}
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return RW_OK;
}
