/* sqlite.c - the SQLite backend: opening the file and configuring it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <string.h>

#include "db/internal.h"

#define DB_BUSY_TIMEOUT_MS	5000

static int
set_journal_wal(struct db *db, const char *path, struct rw_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, ret = RW_OK;

	rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "sqlite3_prepare journal_mode", err);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = db_fail(db, rc, "sqlite3_step journal_mode", err);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	/* An in-memory database reports "memory"; it has no file to share. */
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    !(strcmp(path, ":memory:") == 0 && strcmp(mode, "memory") == 0)))
		ret = rw_err_set(err, RW_EDB, "cannot switch to WAL "
		    "(journal_mode is %s)", mode != NULL ? mode : "unknown");
out:
	sqlite3_finalize(st);
	return ret;
}

static int
configure(struct db *db, const char *path, struct rw_err *err)
{
	int rc;

	rc = sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "sqlite3_busy_timeout", err);
	rc = set_journal_wal(db, path, err);
	if (rc != RW_OK)
		return rc;
	/* NORMAL is durable across application crashes in WAL mode. */
	rc = db_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
	    "sqlite3_exec", err);
	if (rc != RW_OK)
		return rc;
	return db_glob_register(db, err);
}

int
db_sqlite_open(struct db *db, const char *path, struct rw_err *err)
{
	struct rw_err e;
	int rc;

	if (!sqlite3_threadsafe())
		return rw_err_set(err, RW_EDB,
		    "sqlite3 was built without thread support");
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		/* db->h may be NULL (no memory); sqlite3_errmsg copes. */
		return rw_err_set(err, rc == SQLITE_NOMEM ? RW_ENOMEM : RW_EDB,
		    "%s: sqlite3_open_v2: %s", path, sqlite3_errmsg(db->h));
	}
	/* Name the file: an admin may run several databases. */
	rw_err_clear(&e);
	rc = configure(db, path, &e);
	if (rc != RW_OK)
		return rw_err_set(err, rc, "%s: %s", path, e.msg);
	return RW_OK;
}

void
db_sqlite_close(struct db *db)
{
	sqlite3_close(db->h);
	db->h = NULL;
}
