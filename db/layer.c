/* layer.c - layer indexes by digest: content/'s encoding, or a refusal. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

int
db_layer_index_put(struct db *db, const char *digest, int format,
    const void *body, size_t len, const char *refusal, int64_t nentries,
    int64_t nfindings, int64_t now, struct rw_err *err)
{
	/* A refusal never overwrites an index: the index is the fact. */
	static const char sql[] = "INSERT INTO layer_index(digest, format, "
	    "body, refusal, nentries, nfindings, indexed_at) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT(digest) DO UPDATE SET format = excluded.format, "
	    "body = excluded.body, refusal = excluded.refusal, "
	    "nentries = excluded.nentries, nfindings = excluded.nfindings, "
	    "indexed_at = excluded.indexed_at "
	    "WHERE layer_index.body IS NULL OR layer_index.format <> "
	    "excluded.format OR excluded.body IS NOT NULL";
	struct db_st *st = NULL;
	int rc;

	if (digest == NULL || (body == NULL) == (refusal == NULL))
		return rw_err_set(err, RW_EINVAL,
		    "db_layer_index_put: give a body or a refusal");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_LAYER_PUT, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, digest) != 0 ||
	    db_bind_int64(st, 2, format) != 0 ||
	    (body != NULL ? db_bind_blob(st, 3, body, len) :
	    db_bind_null(st, 3)) != 0 ||
	    (refusal != NULL ? db_bind_text(st, 4, refusal) :
	    db_bind_null(st, 4)) != 0 ||
	    db_bind_int64(st, 5, nentries) != 0 ||
	    db_bind_int64(st, 6, nfindings) != 0 ||
	    db_bind_int64(st, 7, now) != 0) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step_end(db, st, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

static int
copy(struct db_st *st, void **body, size_t *len, char **refusal,
    struct rw_err *err)
{
	const void *b;
	const char *t;
	size_t n;

	if (!db_col_is_null(st, 0)) {
		b = db_col_blob(st, 0);
		n = db_col_bytes(st, 0);
		if ((*body = malloc(n > 0 ? n : 1)) == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		if (n > 0)
			memcpy(*body, b, n);
		*len = n;
		return RW_OK;
	}
	t = db_col_text(st, 1);
	if ((*refusal = strdup(t != NULL ? t : "")) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return RW_OK;
}

int
db_layer_index_get(struct db *db, const char *digest, int format,
    void **body, size_t *len, char **refusal, struct rw_err *err)
{
	static const char sql[] = "SELECT body, refusal FROM layer_index "
	    "WHERE digest = ?1 AND format = ?2";
	struct db_st *st = NULL;
	int rc;

	*body = NULL;
	*refusal = NULL;
	*len = 0;
	if (digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_layer_index_get: missing digest");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_LAYER_GET, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, digest) != 0 ||
	    db_bind_int64(st, 2, format) != 0) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = copy(st, body, len, refusal, err);
	else if (rc == DB_DONE)
		rc = RW_ENOTFOUND;
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

int
db_layer_index_prune(struct db *db, int64_t before, int limit,
    struct rw_err *err)
{
	/*
	 * Any kind of reference keeps a row: a layer is found by its digest
	 * through manifest_blobs' (blob_digest, kind) index.  Oldest first,
	 * LIMIT at a time, as audit retention does, so writers wait little.
	 */
	static const char sql[] = "DELETE FROM layer_index WHERE digest IN "
	    "(SELECT l.digest FROM layer_index l WHERE l.indexed_at < ?1 AND "
	    "NOT EXISTS (SELECT 1 FROM manifest_blobs b WHERE b.blob_digest = "
	    "l.digest) ORDER BY l.indexed_at, l.digest LIMIT ?2)";
	struct db_st *st;
	int rc;

	if (limit < 1 || limit > 10000)
		return rw_err_set(err, RW_EINVAL,
		    "db_layer_index_prune: limit %d out of range", limit);
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_LAYER_PRUNE, sql, &st, err);
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
