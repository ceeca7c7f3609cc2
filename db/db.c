/* db.c - opening and closing the store, transactions. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

#define DB_BUSY_TIMEOUT_MS	5000

static int
tx_step(struct db *db, enum db_stmt_slot slot, const char *sql,
    const char *what, struct rw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = db_stmt(db, slot, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = sqlite3_step(st);
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, rc, what, err);
	return RW_OK;
}

int
db_tx_begin(struct db *db, struct rw_err *err)
{
	/*
	 * IMMEDIATE takes the write lock up front: a deferred transaction that
	 * upgrades from read to write can fail with SQLITE_BUSY without the
	 * busy handler being consulted.
	 */
	return tx_step(db, DB_ST_BEGIN, "BEGIN IMMEDIATE", "sqlite3_step BEGIN",
	    err);
}

int
db_tx_commit(struct db *db, struct rw_err *err)
{
	return tx_step(db, DB_ST_COMMIT, "COMMIT", "sqlite3_step COMMIT", err);
}

void
db_tx_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h))
		return;		/* SQLite already rolled back (e.g. on I/O error) */
	tx_step(db, DB_ST_ROLLBACK, "ROLLBACK", "sqlite3_step ROLLBACK", NULL);
}

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
db_open(const char *path, struct db **out, struct rw_err *err)
{
	struct rw_err e;
	struct db *db;
	int rc, ret;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return rw_err_set(err, RW_EINVAL, "database path is empty");
	if (!sqlite3_threadsafe())
		return rw_err_set(err, RW_EDB,
		    "sqlite3 was built without thread support");
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (pthread_mutex_init(&db->mu, NULL) != 0) {
		free(db);
		return rw_err_set(err, RW_ENOMEM, "pthread_mutex_init failed");
	}
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		/* db->h may be NULL (no memory); sqlite3_errmsg copes. */
		ret = rw_err_set(err, rc == SQLITE_NOMEM ? RW_ENOMEM : RW_EDB,
		    "%s: sqlite3_open_v2: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	/* Name the file: an admin may run several databases. */
	rw_err_clear(&e);
	ret = configure(db, path, &e);
	if (ret == RW_OK)
		ret = db_migrate(db, &e);
	if (ret != RW_OK) {
		rw_err_set(err, ret, "%s: %s", path, e.msg);
		goto fail;
	}
	*out = db;
	return RW_OK;
fail:
	db_close(db);
	return ret;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	pthread_mutex_destroy(&db->mu);
	free(db);
}
