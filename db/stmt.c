/* stmt.c - statements: prepare, bind, step, release; SQLite errors as text. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

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

int
db_bind_fail(struct db *db, struct rw_err *err)
{
	return db_fail(db, sqlite3_errcode(db->h), "sqlite3_bind", err);
}

int
db_step_rc(struct db *db, int rc, struct rw_err *err)
{
	return rc == SQLITE_DONE ? RW_OK : db_fail(db, rc, "sqlite3_step", err);
}

int
db_step_end(struct db *db, sqlite3_stmt *st, struct rw_err *err)
{
	return db_step_rc(db, sqlite3_step(st), err);
}

int
db_step_done(struct db *db, sqlite3_stmt *st, struct rw_err *err)
{
	int rc;

	rc = sqlite3_step(st);
	/* Released before the message is read: reset keeps the error. */
	db_stmt_done(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, rc, "sqlite3_step", err);
	return RW_OK;
}
