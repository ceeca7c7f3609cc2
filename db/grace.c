/* grace.c - when each image was first admitted, for scan grace periods. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include "db/internal.h"

int
db_admitted_note_locked(struct db *db, const char *host, const char *repo,
    const char *digest, int64_t now, struct rw_err *err)
{
	/* The first admission is the fact; later ones add nothing. */
	static const char sql[] = "INSERT INTO admitted(host, repo, digest, "
	    "first_at) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
	const char *args[] = { host, repo, digest };
	struct db_st *st = NULL;
	int rc;

	rc = db_stmt(db, DB_ST_FIRST_NOTE, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, args, 3, err);
	if (rc == RW_OK && db_bind_int64(st, 4, now) != RW_OK)
		rc = db_bind_fail(db, err);
	if (rc == RW_OK)
		rc = db_step_end(db, st, err);
	db_stmt_done(st);
	return rc;
}

int
db_admitted_note(struct db *db, const char *host, const char *repo,
    const char *digest, int64_t now, struct rw_err *err)
{
	int rc;

	if (host == NULL || repo == NULL || digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_admitted_note: missing argument");
	db = db_lock(db);
	rc = db_admitted_note_locked(db, host, repo, digest, now, err);
	db_unlock(db);
	return rc;
}

int
db_admitted_first(struct db *db, const char *host, const char *repo,
    const char *digest, int64_t *first_at, struct rw_err *err)
{
	static const char sql[] = "SELECT first_at FROM admitted "
	    "WHERE host = ?1 AND repo = ?2 AND digest = ?3";
	const char *args[] = { host, repo, digest };
	struct db_st *st = NULL;
	int rc;

	*first_at = 0;
	if (host == NULL || repo == NULL || digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_admitted_first: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_FIRST_GET, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = db_bind_texts(db, st, 1, args, 3, err);
	if (rc != RW_OK)
		goto done;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*first_at = db_col_int64(st, 0);
		rc = RW_OK;
	} else if (rc == DB_DONE) {
		rc = RW_ENOTFOUND;
	} else {
		rc = db_fail(db, rc, "sqlite3_step", err);
	}
done:
	db_stmt_done(st);
out:
	db_unlock(db);
	return rc;
}
