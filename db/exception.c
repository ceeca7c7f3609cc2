/* exception.c - CVE exceptions added outside the policy file. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* NULL for an empty string: the table stores "not set" as NULL. */
static const char *
null_if_empty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static int
insert(struct db *db, const char *const text[5], int64_t expires,
    int64_t now, int64_t *id, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO exceptions(vuln_id, pkg, "
	    "repo_glob, reason, added_by, expires, added_at, source) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'cli') RETURNING id";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_EXC_ADD, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, text, 5, err);
	if (rc == RW_OK && (db_bind_int64(st, 6, expires) != RW_OK ||
	    db_bind_int64(st, 7, now) != RW_OK))
		rc = db_bind_fail(db, err);
	if (rc != RW_OK) {
		db_stmt_done(st);
		return rc;
	}
	return db_step_id(db, st, id, err);
}

int
db_exception_add(struct db *db, const char *vuln_id, const char *pkg,
    const char *repo_glob, int64_t expires, const char *reason,
    const char *by, int64_t now, int64_t *id, struct rw_err *err)
{
	const char *text[] = { null_if_empty(vuln_id), null_if_empty(pkg),
	    repo_glob, reason, by };
	int64_t newid;
	int rc;

	if ((text[0] == NULL && text[1] == NULL) || repo_glob == NULL ||
	    reason == NULL || by == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_exception_add: missing argument");
	db = db_lock(db);
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	rc = insert(db, text, expires, now, id != NULL ? id : &newid, err);
	if (rc == RW_OK)
		rc = db_scans_bump(db, err);
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	return rc;
}

int
db_exception_rm(struct db *db, int64_t id, struct rw_err *err)
{
	static const char sql[] = "DELETE FROM exceptions WHERE id = ?1";
	struct db_st *st;
	int rc;

	db = db_lock(db);
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	rc = db_stmt(db, DB_ST_EXC_RM, sql, &st, err);
	if (rc == RW_OK) {
		if (db_bind_int64(st, 1, id) == RW_OK) {
			rc = db_step_done(db, st, err);
		} else {
			rc = db_bind_fail(db, err);
			db_stmt_done(st);
		}
	}
	if (rc == RW_OK && db_changes(db) == 0)
		rc = RW_ENOTFOUND;
	if (rc == RW_OK)
		rc = db_scans_bump(db, err);
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	return rc;
}

/* Every exception, copied out so callers run without the lock. */
struct exc_list {
	struct db_exception	*rows;
	char			**mem;
	size_t			 n;
	size_t			 alloc;
};

static void
exc_list_free(struct exc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->mem[i]);
	free(l->rows);
	free(l->mem);
}

/* Columns: id, expires, added_at, then the five texts. */
static int
exc_list_add(struct exc_list *l, struct db_st *st)
{
	static const int cols[] = { 3, 4, 5, 6, 7, 8 };
	struct db_exception *nr;
	const char *s[6];
	char **nm;
	size_t na;

	if (l->n == l->alloc) {
		na = l->alloc > 0 ? l->alloc * 2 : 16;
		nr = realloc(l->rows, na * sizeof(*nr));
		if (nr == NULL)
			return RW_ENOMEM;
		l->rows = nr;
		nm = realloc(l->mem, na * sizeof(*nm));
		if (nm == NULL)
			return RW_ENOMEM;
		l->mem = nm;
		l->alloc = na;
	}
	l->mem[l->n] = db_copy_texts(st, cols, 6, s);
	if (l->mem[l->n] == NULL)
		return RW_ENOMEM;
	l->rows[l->n] = (struct db_exception){
		.id = db_col_int64(st, 0),
		.expires = db_col_int64(st, 1),
		.added_at = db_col_int64(st, 2),
		.vuln_id = null_if_empty(s[0]), .pkg = null_if_empty(s[1]),
		.repo_glob = s[2], .reason = s[3], .added_by = s[4],
		.source = s[5],
	};
	l->n++;
	return RW_OK;
}

static int
read_all(struct db *db, struct exc_list *l, struct rw_err *err)
{
	static const char sql[] = "SELECT id, expires, added_at, vuln_id, pkg, "
	    "repo_glob, reason, added_by, source FROM exceptions ORDER BY id";
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_EXC_LIST, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		if (exc_list_add(l, st) != RW_OK) {
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = db_step_rc(db, rc, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

int
db_exception_list(struct db *db, db_exception_cb cb, void *arg,
    struct rw_err *err)
{
	struct exc_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = read_all(db, &l, err);
	for (i = 0; rc == RW_OK && i < l.n; i++)
		rc = cb(&l.rows[i], arg);
	exc_list_free(&l);
	return rc;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copy S to *P and advance it; NULL stays NULL. */
static const char *
pack(char **p, const char *s)
{
	char *d = *p;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p += n;
	return d;
}

/*
 * One allocation for the rows and their strings, so db_exceptions_free is a
 * single free and a caller that keeps the array keeps everything with it.
 */
static struct db_exception *
pack_all(const struct exc_list *l)
{
	const struct db_exception *e;
	struct db_exception *rows;
	size_t i, total = l->n * sizeof(*rows);
	char *p;

	for (i = 0; i < l->n; i++) {
		e = &l->rows[i];
		total += slen(e->vuln_id) + slen(e->pkg) + slen(e->repo_glob) +
		    slen(e->reason) + slen(e->added_by) + slen(e->source);
	}
	rows = malloc(total);
	if (rows == NULL)
		return NULL;
	p = (char *)(rows + l->n);
	for (i = 0; i < l->n; i++) {
		e = &l->rows[i];
		rows[i] = *e;
		rows[i].vuln_id = pack(&p, e->vuln_id);
		rows[i].pkg = pack(&p, e->pkg);
		rows[i].repo_glob = pack(&p, e->repo_glob);
		rows[i].reason = pack(&p, e->reason);
		rows[i].added_by = pack(&p, e->added_by);
		rows[i].source = pack(&p, e->source);
	}
	return rows;
}

int
db_exceptions_for(struct db *db, struct db_exception **out, size_t *n,
    struct rw_err *err)
{
	struct exc_list l;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&l, 0, sizeof(l));
	rc = read_all(db, &l, err);
	if (rc == RW_OK && l.n > 0) {
		*out = pack_all(&l);
		if (*out == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		else
			*n = l.n;
	}
	exc_list_free(&l);
	return rc;
}

void
db_exceptions_free(struct db_exception *rows, size_t n)
{
	(void)n;
	free(rows);
}
