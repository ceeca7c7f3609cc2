/* db.c - opening and closing the store, statements, transactions, errors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

#define DB_BUSY_TIMEOUT_MS	5000

int
db_fail(struct db *db, int rc, const char *what, struct rw_err *err)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = RW_EBUSY;
		break;
	case SQLITE_NOMEM:
		code = RW_ENOMEM;
		break;
	default:
		code = RW_EDB;
		break;
	}
	return rw_err_set(err, code, "%s: %s", what, sqlite3_errmsg(db->h));
}

int
db_exec(struct db *db, const char *sql, const char *what, struct rw_err *err)
{
	int rc;

	rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, what, err);
	return RW_OK;
}

int
db_stmt(struct db *db, enum db_stmt_slot slot, const char *sql,
    sqlite3_stmt **out, struct rw_err *err)
{
	int rc;

	if (db->st[slot] == NULL) {
		/* Persistent: these live as long as the connection. */
		rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &db->st[slot], NULL);
		if (rc != SQLITE_OK)
			return db_fail(db, rc, "sqlite3_prepare", err);
	}
	*out = db->st[slot];
	return RW_OK;
}

void
db_stmt_done(sqlite3_stmt *st)
{
	/*
	 * Resetting ends the statement's read transaction, so a reader never
	 * pins an old WAL snapshot between verbs.
	 */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
db_bind_texts(struct db *db, sqlite3_stmt *st, int first,
    const char *const *strs, size_t n, struct rw_err *err)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		if (strs[i] == NULL)
			rc = sqlite3_bind_null(st, first + (int)i);
		else
			rc = sqlite3_bind_text(st, first + (int)i, strs[i], -1,
			    SQLITE_STATIC);
	}
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "sqlite3_bind", err);
	return RW_OK;
}

char *
db_copy_texts(sqlite3_stmt *st, const int *cols, size_t n, const char **out)
{
	size_t i, total = 0, len;
	const unsigned char *t;
	char *mem, *p;

	/* Text first, then its size: the order the SQLite docs ask for. */
	for (i = 0; i < n; i++) {
		sqlite3_column_text(st, cols[i]);
		total += (size_t)sqlite3_column_bytes(st, cols[i]) + 1;
	}
	mem = malloc(total > 0 ? total : 1);
	if (mem == NULL)
		return NULL;
	p = mem;
	for (i = 0; i < n; i++) {
		t = sqlite3_column_text(st, cols[i]);
		len = (size_t)sqlite3_column_bytes(st, cols[i]);
		if (t != NULL && len > 0)
			memcpy(p, t, len);
		p[len] = '\0';
		out[i] = p;
		p += len + 1;
	}
	return mem;
}

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
