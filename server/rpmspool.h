/*
 * rpmspool.h - rpm sqlite databases found in layers, spooled to a file and
 * read with db/'s SQLite: the struct content_rpmdb_ops content/ calls.
 * SPDX-License-Identifier: Apache-2.0
 *
 * content/ has no SQLite and writes no file; db/ has SQLite and takes a
 * path.  A spool is a file "rpmdb-XXXXXX" made with mkstemp (mode 0600)
 * in a directory the caller names, unlinked when it is read or discarded,
 * and never longer than the content limit's rpmdb_max (the writer stops
 * there).  Each spool belongs to one inspection (one thread).
 */
#ifndef RW_RPMSPOOL_H
#define RW_RPMSPOOL_H

#include "content/content.h"

/* The directory and the ops that spool into it. */
struct rpmspool {
	struct content_rpmdb_ops	 ops;
	char				 dir[4096];
	uint64_t			 max;
};

/**
 * Fill RS so that RS->ops spools into DIR (an absolute path, without '?',
 * '#' or '%', as db_rpmdb_headers requires: a spool elsewhere is never
 * made, and the database is recorded unread) up to MAX bytes, and set
 * LIM's rpmdb and rpmdb_max to use it.  RS must outlive the inspections
 * using LIM.
 */
void	 rpmspool_init(struct rpmspool *rs, const char *dir, uint64_t max,
	    struct content_limits *lim);

#endif /* RW_RPMSPOOL_H */
