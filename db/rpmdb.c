/*
 * rpmdb.c - the header blobs of an rpm sqlite database taken from an image.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The file comes from a layer, so from whoever built the image: it is
 * opened as SQLite's "Defense Against the Dark Arts" advises for an
 * untrusted database.  Read only and immutable (no journal, no -wal or
 * -shm file is looked for or made), defensive mode, no trusted schema, a
 * bound on one value's size, and a progress handler that stops any query
 * (a view or a corrupt b-tree made to loop) after a fixed amount of work.
 * Packages must be a plain table; a view of that name is refused.
 */
#include "db/db.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

/* SQLite virtual machine steps between two progress calls, and calls. */
#define STEPS		1000
#define MAX_CALLS	200000	/* 2e8 steps: seconds, never minutes */
#define MAX_VALUE	(16 << 20)	/* one header; rpm's own cap is 256 MiB */

static int
progress(void *arg)
{
	int *calls = arg;

	return ++*calls > MAX_CALLS;
}

/* "file:PATH?immutable=1", or RW_EINVAL for a path a URI would misread. */
static int
uri_of(const char *path, char *out, size_t size, struct rw_err *err)
{
	if (strpbrk(path, "?#%") != NULL || path[0] != '/')
		return rw_err_set(err, RW_EINVAL, "db_rpmdb_headers: %s: not "
		    "a plain absolute path", path);
	if ((size_t)snprintf(out, size, "file:%s?immutable=1", path) >= size)
		return rw_err_set(err, RW_EINVAL, "db_rpmdb_headers: path too "
		    "long");
	return RW_OK;
}

static int
harden(sqlite3 *h, int *calls, struct rw_err *err)
{
	if (sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
	    SQLITE_OK || sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA,
	    0, NULL) != SQLITE_OK || sqlite3_db_config(h,
	    SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL) !=
	    SQLITE_OK)
		return rw_err_set(err, RW_EDB, "rpm database: sqlite3_db_config: "
		    "%s", sqlite3_errmsg(h));
	sqlite3_limit(h, SQLITE_LIMIT_LENGTH, MAX_VALUE);
	sqlite3_limit(h, SQLITE_LIMIT_SQL_LENGTH, 4096);
	sqlite3_progress_handler(h, STEPS, progress, calls);
	return RW_OK;
}

/*
 * Every blob of Packages, in hnum order, to FN.  RW_OK; FN's nonzero result
 * (ERR says which header); RW_EPARSE for a file SQLite refuses, no
 * Packages table, or a query stopped by the progress handler.
 */
static int
each_blob(sqlite3 *h, int (*fn)(void *, const void *, size_t), void *arg,
    struct rw_err *err)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc, cb = 0;

	if (sqlite3_prepare_v2(h, "SELECT blob FROM main.Packages ORDER BY "
	    "hnum", -1, &st, NULL) != SQLITE_OK)
		return rw_err_set(err, RW_EPARSE, "rpm database: no Packages "
		    "table: %s", sqlite3_errmsg(h));
	for (;;) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		n++;
		cb = fn(arg, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		if (cb != 0)
			break;
	}
	if (cb != 0)
		rw_err_set(err, cb, "rpm database: header %lld refused", n);
	else if (rc != SQLITE_DONE)
		cb = rw_err_set(err, RW_EPARSE, "rpm database: reading Packages: "
		    "%s", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	return cb;
}

int
db_rpmdb_headers(const char *path, int (*fn)(void *, const void *, size_t),
    void *arg, struct rw_err *err)
{
	char uri[4200];
	sqlite3 *h = NULL;
	int rc, calls = 0;

	rc = uri_of(path, uri, sizeof(uri), err);
	if (rc != RW_OK)
		return rc;
	if (sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = rw_err_set(err, h == NULL ? RW_ENOMEM : RW_EPARSE,
		    "rpm database: sqlite3_open_v2: %s", h == NULL ?
		    "out of memory" : sqlite3_errmsg(h));
		goto out;
	}
	rc = harden(h, &calls, err);
	if (rc == RW_OK)
		rc = each_blob(h, fn, arg, err);
out:
	sqlite3_close(h);
	return rc;
}
