/*
 * scan_claim.c - claims on scans: one scanner run per digest across every
 * process sharing the store.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <string.h>

#include "db/internal.h"

int
db_scan_claim(struct db *db, const char *digest, const char *owner,
    int64_t now, int64_t lease, struct rw_err *err)
{
	/*
	 * One statement, atomic on both engines: a new row, an expired claim
	 * taken over, or a finished one (state 1: its report is in) claimed
	 * again, since only a rescan asks for a digest already scanned; a
	 * running claim, or a failed one within its lease (a failing scanner
	 * is not rerun), leaves no row to return.
	 */
	static const char sql[] = "INSERT INTO scan_claims(digest, owner, "
	    "state, msg, expires) VALUES(?1, ?2, 0, '', ?3) "
	    "ON CONFLICT(digest) DO UPDATE SET owner = excluded.owner, "
	    "state = 0, msg = '', expires = excluded.expires "
	    "WHERE scan_claims.expires <= ?4 OR scan_claims.state = 1 "
	    "RETURNING state";
	struct db_st *st;
	int rc;

	if (digest == NULL || owner == NULL || lease <= 0)
		return rw_err_set(err, RW_EINVAL,
		    "db_scan_claim: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_CLAIM, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, digest) != RW_OK ||
	    db_bind_text(st, 2, owner) != RW_OK ||
	    db_bind_int64(st, 3, now + lease) != RW_OK ||
	    db_bind_int64(st, 4, now) != RW_OK) {
		rc = db_bind_fail(db, err);
		db_stmt_done(st);
		goto out;
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		rc = db_step(st);
		rc = rc == DB_DONE ? 1 : db_fail(db, rc, "sqlite3_step", err);
	} else {
		rc = rc == DB_DONE ? 0 : db_fail(db, rc, "sqlite3_step", err);
	}
	db_stmt_done(st);
out:
	db_unlock(db);
	return rc;
}

int
db_scan_claim_end(struct db *db, const char *digest, const char *owner,
    int state, const char *msg, int64_t now, int64_t keep,
    struct rw_err *err)
{
	static const char sql[] = "UPDATE scan_claims SET state = ?3, "
	    "msg = ?4, expires = ?5 WHERE digest = ?1 AND owner = ?2";
	struct db_st *st;
	int rc;

	if (digest == NULL || owner == NULL || (state != DB_CLAIM_DONE &&
	    state != DB_CLAIM_FAILED))
		return rw_err_set(err, RW_EINVAL,
		    "db_scan_claim_end: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_CLAIM_END, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, digest) != RW_OK ||
	    db_bind_text(st, 2, owner) != RW_OK ||
	    db_bind_int64(st, 3, state) != RW_OK ||
	    db_bind_text(st, 4, msg != NULL ? msg : "") != RW_OK ||
	    db_bind_int64(st, 5, now + keep) != RW_OK) {
		rc = db_bind_fail(db, err);
		db_stmt_done(st);
		goto out;
	}
	rc = db_step_done(db, st, err);
out:
	db_unlock(db);
	return rc;
}

int
db_scan_claim_get(struct db *db, const char *digest, int64_t now,
    int *state, char *msg, size_t size, struct rw_err *err)
{
	static const char sql[] = "SELECT state, msg FROM scan_claims "
	    "WHERE digest = ?1 AND expires > ?2";
	struct db_st *st;
	const char *m;
	int rc;

	*state = DB_CLAIM_NONE;
	if (size > 0)
		msg[0] = '\0';
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_CLAIM_GET, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, digest) != RW_OK ||
	    db_bind_int64(st, 2, now) != RW_OK) {
		rc = db_bind_fail(db, err);
		db_stmt_done(st);
		goto out;
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		*state = (int)db_col_int64(st, 0);
		m = db_col_text(st, 1);
		if (m != NULL && size > 0)
			rw_strlcpy(msg, m, size);
		rc = RW_OK;
	} else {
		rc = rc == DB_DONE ? RW_OK : db_fail(db, rc, "sqlite3_step",
		    err);
	}
	db_stmt_done(st);
out:
	db_unlock(db);
	return rc;
}
