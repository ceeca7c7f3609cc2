/* rpmspool.c - rpm databases from layers spooled to a file for db/'s SQLite. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/rpmspool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

struct spool {
	int		 fd;
	uint64_t	 len;
	uint64_t	 max;
	char		 path[4200];
};

static void *
sp_open(void *arg)
{
	const struct rpmspool *rs = arg;
	struct spool *s;

	if (rs->dir[0] != '/' || strpbrk(rs->dir, "?#%") != NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->max = rs->max;
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/rpmdb-XXXXXX",
	    rs->dir) >= sizeof(s->path) ||
	    (s->fd = mkstemp(s->path)) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void
sp_discard(void *arg)
{
	struct spool *s = arg;

	if (s == NULL)
		return;
	close(s->fd);
	unlink(s->path);
	free(s);
}

static int
sp_write(void *arg, const void *buf, size_t len)
{
	struct spool *s = arg;
	const char *p = buf;
	ssize_t n;

	if (len > s->max - s->len)
		return RW_ETOOBIG;
	while (len > 0) {
		n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RW_EIO;
		p += n;
		len -= (size_t)n;
		s->len += (uint64_t)n;
	}
	return RW_OK;
}

static int
sp_read(void *arg, content_blob_fn fn, void *fnarg, struct rw_err *err)
{
	struct spool *s = arg;
	int rc;

	/* Closed first: SQLite opens the file by its name, read only. */
	close(s->fd);
	s->fd = -1;
	rc = db_rpmdb_headers(s->path, fn, fnarg, err);
	unlink(s->path);
	free(s);
	return rc;
}

void
rpmspool_init(struct rpmspool *rs, const char *dir, uint64_t max,
    struct content_limits *lim)
{
	char *abs = dir != NULL ? realpath(dir, NULL) : NULL;

	memset(rs, 0, sizeof(*rs));
	/* A relative state_dir still gives the absolute path SQLite needs. */
	snprintf(rs->dir, sizeof(rs->dir), "%s", abs != NULL ? abs :
	    dir != NULL ? dir : "");
	free(abs);
	rs->max = max;
	rs->ops.arg = rs;
	rs->ops.open = sp_open;
	rs->ops.write = sp_write;
	rs->ops.read = sp_read;
	rs->ops.discard = sp_discard;
	lim->rpmdb = &rs->ops;
	lim->rpmdb_max = max;
}
