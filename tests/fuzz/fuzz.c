/* fuzz.c - helpers shared by the libFuzzer harnesses. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

char *
fz_fixture(const char *rel, size_t *len)
{
	char path[1024];
	char *buf = NULL;
	size_t n = 0;
	struct rw_err err;

	snprintf(path, sizeof(path), "%s/%s", RW_SOURCE_DIR, rel);
	rw_err_clear(&err);
	if (rw_read_file(path, 64u << 20, 0, &buf, &n, &err) != RW_OK) {
		fprintf(stderr, "fuzz: cannot read fixture %s: %s\n", path,
		    err.msg);
		abort();
	}
	if (len != NULL)
		*len = n;
	return buf;
}

char *
fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *
fz_tmpfile(const char *name, const uint8_t *data, size_t size)
{
	static char path[256];
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/rwfuzz-%ld-%s",
	    dir != NULL && *dir != '\0' ? dir : "/tmp", (long)getpid(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		perror(path);
		abort();
	}
	close(fd);
	return path;
}
