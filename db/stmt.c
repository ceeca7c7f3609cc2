/*
 * stmt.c - statements of either backend: prepare, bind, step, read,
 * release; failures as text.  The one place the verbs meet a backend.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

int
db_fail(struct db *db, int rc, const char *what, struct rw_err *err)
{
	int code;

	if (db->pg != NULL) {
		if (strncmp(what, "sqlite3_", 8) == 0)
			return rw_err_set(err, db->pg->code, "pq_%s: %s",
			    what + 8, db->pg->msg);
		return rw_err_set(err, db->pg->code, "%s: %s", what,
		    db->pg->msg);
	}
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

	if (db->pg != NULL) {
		rc = db_pg_ready(db, err);
		if (rc != RW_OK)
			return rc;
		rc = db_pg_exec(db, sql);
		return rc == RW_OK ? RW_OK : db_fail(db, rc, what, err);
	}
	rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, what, err);
	return RW_OK;
}

/*
 * "?N" to "$N" outside quotes: the one spelling PostgreSQL needs.  *MAXN
 * is the highest N, the number of parameters PostgreSQL expects even when
 * some are left unbound (SQLite reads those as NULL, and so do we).
 */
static char *
pg_sql(const char *sql, int *maxn)
{
	char *out, *p;
	char quote = 0;
	long n;

	out = strdup(sql);
	if (out == NULL)
		return NULL;
	for (p = out; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			*p = '$';
			n = strtol(p + 1, NULL, 10);
			if (n > *maxn)
				*maxn = (int)n;
		}
	}
	return out;
}

static int
new_pg_stmt(struct db *db, enum db_stmt_slot slot, const char *sql,
    struct rw_err *err)
{
	struct db_st *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	st->pgsql = pg_sql(sql, &st->nparams);
	if (st->pgsql == NULL) {
		free(st);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	if (st->nparams > DB_PG_MAXPARAMS) {
		free(st->pgsql);
		free(st);
		return rw_err_set(err, RW_EINVAL, "a statement has more than "
		    "%d parameters", DB_PG_MAXPARAMS);
	}
	st->db = db;
	st->slot = slot;
	st->row = -1;
	st->blobcol = -1;
	db->st[slot] = st;
	return RW_OK;
}

int
db_stmt(struct db *db, enum db_stmt_slot slot, const char *sql,
    struct db_st **out, struct rw_err *err)
{
	struct db_st *st;
	int rc;

	if (db->st[slot] != NULL) {
		*out = db->st[slot];
		return RW_OK;
	}
	if (db->pg != NULL) {
		rc = new_pg_stmt(db, slot, sql, err);
		if (rc != RW_OK)
			return rc;
		*out = db->st[slot];
		return RW_OK;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	st->db = db;
	st->slot = slot;
	/* Persistent: these live as long as the connection. */
	rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->s, NULL);
	if (rc != SQLITE_OK) {
		free(st);
		return db_fail(db, rc, "sqlite3_prepare", err);
	}
	db->st[slot] = st;
	*out = st;
	return RW_OK;
}

void
db_stmt_done(struct db_st *st)
{
	if (st->db->pg != NULL) {
		db_pg_reset(st);
		return;
	}
	/*
	 * Resetting ends the statement's read transaction, so a reader never
	 * pins an old WAL snapshot between verbs.
	 */
	sqlite3_reset(st->s);
	sqlite3_clear_bindings(st->s);
}

void
db_stmt_free(struct db_st *st)
{
	if (st == NULL)
		return;
	if (st->db->pg != NULL)
		db_pg_forget(st);
	else
		sqlite3_finalize(st->s);
	free(st->pgsql);
	free(st);
}

/* Parameter I of a PostgreSQL statement, or NULL when out of range. */
static int
pg_param(struct db_st *st, int i)
{
	if (i < 1 || i > DB_PG_MAXPARAMS) {
		rw_strlcpy(st->db->pg->msg, "parameter index out of range",
		    sizeof(st->db->pg->msg));
		st->db->pg->code = RW_EINVAL;
		return -1;
	}
	if (i > st->nparams)
		st->nparams = i;	/* SQL without "?N": never in ours */
	st->fmts[i - 1] = 0;
	st->lens[i - 1] = 0;
	return i - 1;
}

int
db_bind_text(struct db_st *st, int i, const char *s)
{
	int k;

	if (st->db->pg == NULL)
		return sqlite3_bind_text(st->s, i, s, -1, SQLITE_STATIC);
	if ((k = pg_param(st, i)) < 0)
		return DB_PG_FAIL;
	st->vals[k] = s;
	return RW_OK;
}

int
db_bind_int64(struct db_st *st, int i, int64_t v)
{
	int k;

	if (st->db->pg == NULL)
		return sqlite3_bind_int64(st->s, i, v);
	if ((k = pg_param(st, i)) < 0)
		return DB_PG_FAIL;
	snprintf(st->ints[k], sizeof(st->ints[k]), "%" PRId64, v);
	st->vals[k] = st->ints[k];
	return RW_OK;
}

int
db_bind_null(struct db_st *st, int i)
{
	int k;

	if (st->db->pg == NULL)
		return sqlite3_bind_null(st->s, i);
	if ((k = pg_param(st, i)) < 0)
		return DB_PG_FAIL;
	st->vals[k] = NULL;
	return RW_OK;
}

int
db_bind_blob(struct db_st *st, int i, const void *p, size_t len)
{
	int k;

	if (st->db->pg == NULL)
		return sqlite3_bind_blob64(st->s, i, p, (sqlite3_uint64)len,
		    SQLITE_STATIC);
	if ((k = pg_param(st, i)) < 0)
		return DB_PG_FAIL;
	if (len > INT32_MAX) {
		rw_strlcpy(st->db->pg->msg, "blob too big",
		    sizeof(st->db->pg->msg));
		st->db->pg->code = RW_ETOOBIG;
		return DB_PG_FAIL;
	}
	st->vals[k] = p;
	st->lens[k] = (int)len;
	st->fmts[k] = 1;	/* binary: the bytes as they are */
	return RW_OK;
}

int
db_step(struct db_st *st)
{
	if (st->db->pg != NULL)
		return db_pg_step(st);
	return sqlite3_step(st->s);
}

const char *
db_col_text(struct db_st *st, int i)
{
	if (st->db->pg == NULL)
		return (const char *)sqlite3_column_text(st->s, i);
	if (st->res == NULL || PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

int64_t
db_col_int64(struct db_st *st, int i)
{
	const char *v;

	if (st->db->pg == NULL)
		return sqlite3_column_int64(st->s, i);
	v = db_col_text(st, i);
	if (v == NULL)
		return 0;
	/* Booleans (EXISTS, comparisons) read as SQLite's 1 and 0. */
	if (strcmp(v, "t") == 0)
		return 1;
	if (strcmp(v, "f") == 0)
		return 0;
	return strtoll(v, NULL, 10);
}

/* Unescape PostgreSQL's text form of bytea column I into st->blob, once. */
static void
pg_blob(struct db_st *st, int i)
{
	const char *v;

	if (st->blobcol == i)
		return;
	if (st->blob != NULL)
		PQfreemem(st->blob);
	st->blob = NULL;
	st->bloblen = 0;
	st->blobcol = i;
	v = db_col_text(st, i);
	if (v != NULL)
		st->blob = PQunescapeBytea((const unsigned char *)v,
		    &st->bloblen);
}

const void *
db_col_blob(struct db_st *st, int i)
{
	if (st->db->pg == NULL)
		return sqlite3_column_blob(st->s, i);
	pg_blob(st, i);
	return st->blob;
}

size_t
db_col_bytes(struct db_st *st, int i)
{
	const char *v;

	if (st->db->pg == NULL)
		return (size_t)sqlite3_column_bytes(st->s, i);
	if (st->res != NULL && PQftype(st->res, i) == 17 /* bytea */) {
		pg_blob(st, i);
		return st->bloblen;
	}
	v = db_col_text(st, i);
	return v != NULL ? strlen(v) : 0;
}

int
db_col_is_null(struct db_st *st, int i)
{
	if (st->db->pg == NULL)
		return sqlite3_column_type(st->s, i) == SQLITE_NULL;
	return st->res == NULL || PQgetisnull(st->res, st->row, i);
}

int64_t
db_changes(struct db *db)
{
	if (db->pg != NULL)
		return db->pg->changes;
	return sqlite3_changes(db->h);
}

int
db_bind_texts(struct db *db, struct db_st *st, int first,
    const char *const *strs, size_t n, struct rw_err *err)
{
	size_t i;
	int rc = RW_OK;

	for (i = 0; i < n && rc == RW_OK; i++) {
		if (strs[i] == NULL)
			rc = db_bind_null(st, first + (int)i);
		else
			rc = db_bind_text(st, first + (int)i, strs[i]);
	}
	if (rc != RW_OK)
		return db_fail(db, rc, "sqlite3_bind", err);
	return RW_OK;
}

char *
db_copy_texts(struct db_st *st, const int *cols, size_t n, const char **out)
{
	size_t i, total = 0, len;
	const char *t;
	char *mem, *p;

	/* Text first, then its size: the order the SQLite docs ask for. */
	for (i = 0; i < n; i++) {
		db_col_text(st, cols[i]);
		total += db_col_bytes(st, cols[i]) + 1;
	}
	mem = malloc(total > 0 ? total : 1);
	if (mem == NULL)
		return NULL;
	p = mem;
	for (i = 0; i < n; i++) {
		t = db_col_text(st, cols[i]);
		len = db_col_bytes(st, cols[i]);
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
	return db_fail(db, db->pg != NULL ? DB_PG_FAIL : sqlite3_errcode(db->h),
	    "sqlite3_bind", err);
}

int
db_step_rc(struct db *db, int rc, struct rw_err *err)
{
	return rc == DB_DONE ? RW_OK : db_fail(db, rc, "sqlite3_step", err);
}

int
db_step_end(struct db *db, struct db_st *st, struct rw_err *err)
{
	return db_step_rc(db, db_step(st), err);
}

int
db_step_done(struct db *db, struct db_st *st, struct rw_err *err)
{
	int rc;

	rc = db_step(st);
	/* Released before the message is read: reset keeps the error. */
	db_stmt_done(st);
	if (rc != DB_DONE)
		return db_fail(db, rc, "sqlite3_step", err);
	return RW_OK;
}

int
db_step_id(struct db *db, struct db_st *st, int64_t *id, struct rw_err *err)
{
	int rc;

	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int64(st, 0);
		rc = db_step(st);
	}
	if (rc != DB_DONE) {
		rc = db_fail(db, rc, "sqlite3_step", err);
		db_stmt_done(st);
		return rc;
	}
	db_stmt_done(st);
	return RW_OK;
}
