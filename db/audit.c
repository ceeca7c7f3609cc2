/* audit.c - the audit trail: one row per decision, and the queries on it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* Rows read per lock: enough to amortise the query, small in memory. */
#define AUDIT_PAGE	256

/*
 * The filter in SQL; ?1 denied_only, ?2 since, ?3 the glob or NULL (the
 * CAST tells PostgreSQL its type, which "?3 IS NULL" alone does not).
 */
#define FILTER								\
	"(?1 = 0 OR verdict IN ('deny', 'error')) AND ts >= ?2 AND "	\
	"(CAST(?3 AS TEXT) IS NULL OR rw_glob(?3, repo) OR "		\
	"rw_glob(?3, host || '/' || repo))"

#define NTEXT	15	/* text columns of a row, see copy_row */

static const char *const verdicts[] = { "allow", "deny", "warn", "error" };

int
db_audit_check(const struct db_audit_row *r, struct rw_err *err)
{
	size_t i;

	if (r == NULL || r->operation == NULL || r->repo == NULL ||
	    r->verdict == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_audit_add: missing argument");
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		if (strcmp(r->verdict, verdicts[i]) == 0)
			return RW_OK;
	}
	return rw_err_set(err, RW_EINVAL, "db_audit_add: unknown verdict \"%s\"",
	    r->verdict);
}

static int
bind_row(struct db *db, struct db_st *st, const struct db_audit_row *r,
    struct rw_err *err)
{
	const char *text[] = { r->request_id, r->client, r->identity,
	    r->operation, r->upstream, r->host, r->repo, r->reference,
	    r->digest, r->verdict, r->mode, r->rule, r->rule_file };
	const char *tail[] = { r->reasons_json, r->message };
	int rc;

	rc = db_bind_texts(db, st, 2, text, 13, err);
	if (rc == RW_OK)
		rc = db_bind_texts(db, st, 16, tail, 2, err);
	if (rc != RW_OK)
		return rc;
	if (db_bind_int64(st, 1, r->ts) != RW_OK ||
	    (r->rule_line > 0 ? db_bind_int64(st, 15, r->rule_line) :
	    db_bind_null(st, 15)) != RW_OK)
		return db_bind_fail(db, err);
	return RW_OK;
}

int
db_audit_add(struct db *db, const struct db_audit_row *row,
    struct rw_err *err)
{
	static const char sql[] = "INSERT INTO audit(ts, request_id, client, "
	    "identity, operation, upstream, host, repo, reference, digest, "
	    "verdict, mode, rule, rule_file, rule_line, reasons_json, message) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17)";
	struct db_st *st = NULL;
	int rc;

	rc = db_audit_check(row, err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_AUDIT_ADD, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = bind_row(db, st, row, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step_end(db, st, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

/* Rows of one page, copied out so the callback runs without the lock. */
struct page {
	struct db_audit_row	 rows[AUDIT_PAGE];
	char			*mem[AUDIT_PAGE];
	size_t			 n;
};

static void
page_clear(struct page *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->mem[i]);
	p->n = 0;
}

/* Columns: id, ts, 13 texts (2-14), rule_line, reasons_json, message. */
static int
copy_row(struct db_st *st, struct page *p, struct rw_err *err)
{
	static const int cols[NTEXT] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	    13, 14, 16, 17 };
	struct db_audit_row *r = &p->rows[p->n];
	const char *s[NTEXT];

	p->mem[p->n] = db_copy_texts(st, cols, NTEXT, s);
	if (p->mem[p->n] == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	*r = (struct db_audit_row){
		.id = db_col_int64(st, 0),
		.ts = db_col_int64(st, 1),
		.request_id = s[0], .client = s[1], .identity = s[2],
		.operation = s[3], .upstream = s[4], .host = s[5],
		.repo = s[6], .reference = s[7], .digest = s[8],
		.verdict = s[9], .mode = s[10], .rule = s[11],
		.rule_file = s[12], .rule_line = db_col_int64(st, 15),
		.reasons_json = s[13], .message = s[14],
	};
	p->n++;
	return RW_OK;
}

static int
bind_filter(struct db *db, struct db_st *st, const struct db_audit_filter *f,
    struct rw_err *err)
{
	const char *glob[] = { f->repo_glob };

	if (db_bind_int64(st, 1, f->denied_only != 0) != RW_OK ||
	    db_bind_int64(st, 2, f->since != 0 ? f->since : INT64_MIN) !=
	    RW_OK)
		return db_bind_fail(db, err);
	return db_bind_texts(db, st, 3, glob, 1, err);
}

/* Where to start so that only the newest F->limit rows are read. */
static int
find_start(struct db *db, const struct db_audit_filter *f, int64_t *ts,
    int64_t *id, struct rw_err *err)
{
	static const char sql[] = "SELECT ts, id FROM audit WHERE " FILTER
	    " ORDER BY ts DESC, id DESC LIMIT 1 OFFSET ?4";
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_AUDIT_START, sql, &st, err);
	if (rc == RW_OK)
		rc = bind_filter(db, st, f, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 4, (int64_t)f->limit - 1) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		/* Start just before that row: the cursor is exclusive. */
		*ts = db_col_int64(st, 0);
		*id = db_col_int64(st, 1) - 1;
		rc = RW_OK;
	} else {
		/* Fewer rows than the limit: start from the oldest. */
		rc = db_step_rc(db, rc, err);
	}
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

/* Read up to WANT rows after the cursor (TS, ID) into P. */
static int
read_page(struct db *db, const struct db_audit_filter *f, int64_t ts,
    int64_t id, size_t want, struct page *p, struct rw_err *err)
{
	static const char sql[] = "SELECT id, ts, request_id, client, "
	    "identity, operation, upstream, host, repo, reference, digest, "
	    "verdict, mode, rule, rule_file, rule_line, reasons_json, message "
	    "FROM audit WHERE " FILTER " AND (ts, id) > (?4, ?5) "
	    "ORDER BY ts, id LIMIT ?6";
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_AUDIT_PAGE, sql, &st, err);
	if (rc == RW_OK)
		rc = bind_filter(db, st, f, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 4, ts) != RW_OK ||
	    db_bind_int64(st, 5, id) != RW_OK ||
	    db_bind_int64(st, 6, (int64_t)want) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		rc = copy_row(st, p, err);
		if (rc != RW_OK)
			goto out;
	}
	rc = db_step_rc(db, rc, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

int
db_audit_query(struct db *db, const struct db_audit_filter *f,
    db_audit_cb cb, void *arg, struct rw_err *err)
{
	int64_t ts = INT64_MIN, id = INT64_MIN;
	size_t left = f->limit, want, i;
	struct page *p;
	int rc = RW_OK;

	if ((uint64_t)f->limit > (uint64_t)INT64_MAX)
		return rw_err_set(err, RW_EINVAL, "db_audit_query: limit %zu "
		    "is too large", f->limit);
	if (f->limit > 0)
		rc = find_start(db, f, &ts, &id, err);
	if (rc != RW_OK)
		return rc;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (;;) {
		want = f->limit > 0 && left < AUDIT_PAGE ? left : AUDIT_PAGE;
		rc = read_page(db, f, ts, id, want, p, err);
		for (i = 0; rc == RW_OK && i < p->n; i++)
			rc = cb(&p->rows[i], arg);
		if (rc != RW_OK || p->n < want)
			break;
		left -= p->n;	/* unused without a limit */
		if (f->limit > 0 && left == 0)
			break;
		ts = p->rows[p->n - 1].ts;
		id = p->rows[p->n - 1].id;
		page_clear(p);
	}
	page_clear(p);
	free(p);
	return rc;
}

int
db_audit_add_many(struct db *db, const struct db_audit_row *rows, size_t n,
    struct rw_err *err)
{
	static const char sql[] = "INSERT INTO audit(ts, request_id, client, "
	    "identity, operation, upstream, host, repo, reference, digest, "
	    "verdict, mode, rule, rule_file, rule_line, reasons_json, message) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17)";
	struct db_st *st = NULL;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = db_audit_check(&rows[i], err);
		if (rc != RW_OK)
			return rc;
	}
	db = db_lock(db);
	if (db->pg != NULL) {
		/* One statement, so all or none: one round trip for N. */
		rc = n > 0 ? db_pg_audit_insert(db, rows, n, err) : RW_OK;
		db_unlock(db);
		return rc;
	}
	/* One transaction for the batch: one WAL commit instead of N. */
	rc = db_tx_begin(db, err);
	for (i = 0; rc == RW_OK && i < n; i++) {
		rc = db_stmt(db, DB_ST_AUDIT_ADD, sql, &st, err);
		if (rc == RW_OK)
			rc = bind_row(db, st, &rows[i], err);
		if (rc == RW_OK)
			rc = db_step_end(db, st, err);
		if (st != NULL)
			db_stmt_done(st);
		st = NULL;
	}
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	/*
	 * A COMMIT that fails can leave the transaction open (SQLITE_BUSY
	 * does; SQLITE_FULL and I/O errors roll back by themselves): without
	 * this ROLLBACK every later row would go into a transaction that is
	 * never committed, and a clean exit would roll them all back.
	 */
	if (rc != RW_OK)
		db_tx_rollback(db);
	db_unlock(db);
	return rc;
}

int
db_audit_prune(struct db *db, int64_t before, int limit, struct rw_err *err)
{
	/* By id through the ts index: both engines delete just these rows. */
	static const char sql[] = "DELETE FROM audit WHERE id IN (SELECT id "
	    "FROM audit WHERE ts < ?1 ORDER BY ts, id LIMIT ?2)";
	struct db_st *st;
	int rc;

	if (limit < 1 || limit > 10000)
		return rw_err_set(err, RW_EINVAL,
		    "db_audit_prune: limit %d out of range", limit);
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_AUDIT_PRUNE, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 1, before) != RW_OK ||
	    db_bind_int64(st, 2, limit) != RW_OK) {
		rc = db_bind_fail(db, err);
		db_stmt_done(st);
		goto out;
	}
	rc = db_step_done(db, st, err);
	if (rc == RW_OK)
		rc = (int)db_changes(db);
out:
	db_unlock(db);
	return rc;
}
