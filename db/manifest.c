/* manifest.c - verified manifests by digest and the digests they reference. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static const char *
kind_name(enum db_ref_kind kind)
{
	switch (kind) {
	case DB_REF_CONFIG:
		return "config";
	case DB_REF_LAYER:
		return "layer";
	case DB_REF_CHILD:
		return "child";
	case DB_REF_SUBJECT:
		return "subject";
	}
	return NULL;
}

/* Bind the (upstream, repo, digest) key to parameters 1-3 of ST. */
static int
bind_key(struct db *db, struct db_st *st, const char *upstream,
    const char *repo, const char *digest, struct rw_err *err)
{
	int rc;

	rc = db_bind_text(st, 1, upstream);
	if (rc == RW_OK)
		rc = db_bind_text(st, 2, repo);
	if (rc == RW_OK)
		rc = db_bind_text(st, 3, digest);
	if (rc != RW_OK)
		return db_fail(db, rc, "sqlite3_bind", err);
	return RW_OK;
}

static int
check_put_args(const char *upstream, const char *repo, const char *digest,
    const char *media_type, const struct db_ref *refs, size_t nrefs,
    struct rw_err *err)
{
	size_t i;

	if (upstream == NULL || repo == NULL || digest == NULL ||
	    media_type == NULL || (refs == NULL && nrefs > 0))
		return rw_err_set(err, RW_EINVAL,
		    "db_manifest_put: missing argument");
	for (i = 0; i < nrefs; i++) {
		if (kind_name(refs[i].kind) == NULL || refs[i].digest == NULL)
			return rw_err_set(err, RW_EINVAL, "db_manifest_put: "
			    "reference %zu of %s is invalid", i, digest);
	}
	return RW_OK;
}

static int
insert_manifest(struct db *db, const char *upstream, const char *repo,
    const char *digest, const char *media_type, const void *body, size_t len,
    int64_t now, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO manifests(upstream, "
	    "repo, digest, media_type, size, body, first_seen) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_MANIFEST_PUT, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = bind_key(db, st, upstream, repo, digest, err);
	if (rc != RW_OK)
		goto out;
	/* A zero-length blob needs a non-NULL pointer or it binds as NULL. */
	if (db_bind_text(st, 4, media_type) != RW_OK ||
	    db_bind_int64(st, 5, (int64_t)len) != RW_OK ||
	    db_bind_blob(st, 6, body != NULL ? body : "", len) != RW_OK ||
	    db_bind_int64(st, 7, now) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step_end(db, st, err);
out:
	db_stmt_done(st);
	return rc;
}

static int
insert_ref(struct db *db, const char *upstream, const char *repo,
    const char *digest, const struct db_ref *ref, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO manifest_blobs("
	    "upstream, repo, manifest_digest, blob_digest, kind) "
	    "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_REF_PUT, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = bind_key(db, st, upstream, repo, digest, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 4, ref->digest) !=
	    RW_OK || db_bind_text(st, 5, kind_name(ref->kind)) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step_end(db, st, err);
out:
	db_stmt_done(st);
	return rc;
}

/* The text form of a PostgreSQL text[] holding STRS[0..N-1], into B. */
static int
pg_array(struct rw_buf *b, const char *const *strs, size_t n)
{
	const char *p;
	size_t i;
	int rc;

	rc = rw_buf_add(b, "{", 1);
	for (i = 0; rc == RW_OK && i < n; i++) {
		rc = rw_buf_add(b, i > 0 ? ",\"" : "\"", i > 0 ? 2 : 1);
		for (p = strs[i]; rc == RW_OK && *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				rc = rw_buf_add(b, "\\", 1);
			if (rc == RW_OK)
				rc = rw_buf_add(b, p, 1);
		}
		if (rc == RW_OK)
			rc = rw_buf_add(b, "\"", 1);
	}
	return rc == RW_OK ? rw_buf_add(b, "}", 1) : rc;
}

/*
 * PostgreSQL: the manifest and its references in one statement, so one
 * round trip rather than one per row plus BEGIN and COMMIT (a cold
 * decision waits for it).  As below, the references go in only with a
 * manifest that is new; the statement is atomic by itself.
 */
static int
pg_put(struct db *db, const char *const key[4], const void *body,
    size_t len, const struct db_ref *refs, size_t nrefs, int64_t now,
    struct rw_err *err)
{
	static const char sql[] = "WITH m AS (INSERT INTO manifests(upstream, "
	    "repo, digest, media_type, size, body, first_seen) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING "
	    "RETURNING 1) INSERT INTO manifest_blobs(upstream, repo, "
	    "manifest_digest, blob_digest, kind) SELECT ?1, ?2, ?3, r.b, r.k "
	    "FROM unnest(CAST(?8 AS TEXT[]), CAST(?9 AS TEXT[])) AS r(b, k) "
	    "WHERE EXISTS (SELECT 1 FROM m) ON CONFLICT DO NOTHING";
	const char **strs;
	struct rw_buf digests, kinds;
	struct db_st *st = NULL;
	size_t i;
	int rc;

	strs = calloc(nrefs + 1, sizeof(*strs));
	if (strs == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	rw_buf_init(&digests, (size_t)16 << 20);
	rw_buf_init(&kinds, (size_t)1 << 20);
	for (i = 0; i < nrefs; i++)
		strs[i] = refs[i].digest;
	rc = pg_array(&digests, strs, nrefs);
	for (i = 0; i < nrefs; i++)
		strs[i] = kind_name(refs[i].kind);
	if (rc == RW_OK)
		rc = pg_array(&kinds, strs, nrefs);
	if (rc != RW_OK) {
		rc = rw_err_set(err, rc, "db_manifest_put: %s", rc == RW_ETOOBIG ?
		    "too many references" : "out of memory");
		goto out;
	}
	rc = db_stmt(db, DB_ST_MANIFEST_PUT_PG, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = db_bind_texts(db, st, 1, key, 4, err);
	if (rc == RW_OK && (db_bind_int64(st, 5, (int64_t)len) != RW_OK ||
	    db_bind_blob(st, 6, body != NULL ? body : "", len) != RW_OK ||
	    db_bind_int64(st, 7, now) != RW_OK ||
	    db_bind_text(st, 8, digests.data) != RW_OK ||
	    db_bind_text(st, 9, kinds.data) != RW_OK))
		rc = db_bind_fail(db, err);
	if (rc == RW_OK)
		rc = db_step_done(db, st, err);
	else
		db_stmt_done(st);
out:
	rw_buf_free(&digests);
	rw_buf_free(&kinds);
	free(strs);
	return rc;
}

int
db_manifest_put(struct db *db, const char *upstream, const char *repo,
    const char *digest, const char *media_type, const void *body, size_t len,
    const struct db_ref *refs, size_t nrefs, int64_t now, struct rw_err *err)
{
	size_t i;
	int rc;

	rc = check_put_args(upstream, repo, digest, media_type, refs, nrefs,
	    err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	if (db->pg != NULL) {
		const char *const key[] = { upstream, repo, digest, media_type };

		rc = pg_put(db, key, body, len, refs, nrefs, now, err);
		goto out;
	}
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	rc = insert_manifest(db, upstream, repo, digest, media_type, body, len,
	    now, err);
	/*
	 * No change means the manifest was recorded before, together with its
	 * references in the same transaction: nothing left to add.
	 */
	if (rc == RW_OK && db_changes(db) > 0) {
		for (i = 0; i < nrefs && rc == RW_OK; i++)
			rc = insert_ref(db, upstream, repo, digest, &refs[i],
			    err);
	}
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	return rc;
}

static int
copy_row(struct db_st *st, const char *digest, char **body, size_t *len,
    char *media_type, size_t mtsize, struct rw_err *err)
{
	const char *mt = db_col_text(st, 0);
	const void *blob;
	size_t n;

	if (mt == NULL || strlen(mt) >= mtsize)
		return rw_err_set(err, RW_ETOOBIG, "media type of %s does not "
		    "fit in %zu bytes", digest, mtsize);
	rw_strlcpy(media_type, mt, mtsize);
	/* Ask for the pointer before the size, as the SQLite docs require. */
	blob = db_col_blob(st, 1);
	n = (size_t)db_col_bytes(st, 1);
	*body = malloc(n + 1);
	if (*body == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (n > 0)
		memcpy(*body, blob, n);
	(*body)[n] = '\0';
	*len = n;
	return RW_OK;
}

int
db_manifest_get(struct db *db, const char *upstream, const char *repo,
    const char *digest, char **body, size_t *len, char *media_type,
    size_t mtsize, struct rw_err *err)
{
	static const char sql[] = "SELECT media_type, body FROM manifests "
	    "WHERE upstream = ?1 AND repo = ?2 AND digest = ?3";
	struct db_st *st = NULL;
	int rc;

	*body = NULL;
	if (upstream == NULL || repo == NULL || digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_manifest_get: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_MANIFEST_GET, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = bind_key(db, st, upstream, repo, digest, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = copy_row(st, digest, body, len, media_type, mtsize, err);
	else if (rc == DB_DONE)
		rc = RW_ENOTFOUND;
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	if (rc != RW_OK) {
		free(*body);
		*body = NULL;
	}
	return rc;
}

int
db_blob_referenced(struct db *db, const char *upstream, const char *repo,
    const char *blob_digest, struct rw_err *err)
{
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM manifest_blobs "
	    "WHERE upstream = ?1 AND repo = ?2 AND blob_digest = ?3)";
	struct db_st *st = NULL;
	int rc;

	if (upstream == NULL || repo == NULL || blob_digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_blob_referenced: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_BLOB_REF, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = bind_key(db, st, upstream, repo, blob_digest, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = db_col_int64(st, 0) != 0;
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

/* Every use, copied out so the callbacks run without the lock. */
struct use_list {
	struct db_blob_use *uses;
	char		**mem;
	size_t		 n;
	size_t		 alloc;
};

static void
use_list_free(struct use_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->mem[i]);
	free(l->uses);
	free(l->mem);
}

static int
use_list_add(struct use_list *l, struct db_st *st, struct rw_err *err)
{
	static const int cols[] = { 0, 1, 2 };
	struct db_blob_use *nu;
	const char *s[3];
	char **nm;
	size_t na;

	if (l->n == l->alloc) {
		na = l->alloc > 0 ? l->alloc * 2 : 64;
		nu = realloc(l->uses, na * sizeof(*nu));
		if (nu != NULL)
			l->uses = nu;
		nm = nu != NULL ? realloc(l->mem, na * sizeof(*nm)) : NULL;
		if (nm == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		l->mem = nm;
		l->alloc = na;
	}
	l->mem[l->n] = db_copy_texts(st, cols, 3, s);
	if (l->mem[l->n] == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	l->uses[l->n] = (struct db_blob_use){ .upstream = s[0],
	    .repo = s[1], .digest = s[2] };
	l->n++;
	return RW_OK;
}

static int
read_uses(struct db *db, struct use_list *l, struct rw_err *err)
{
	static const char sql[] = "SELECT DISTINCT upstream, repo, blob_digest "
	    "FROM manifest_blobs WHERE kind IN ('config', 'layer') "
	    "ORDER BY blob_digest, upstream, repo";
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_BLOB_USES, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		rc = use_list_add(l, st, err);
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
db_blob_uses(struct db *db, db_blob_use_cb cb, void *arg, struct rw_err *err)
{
	struct use_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = read_uses(db, &l, err);
	for (i = 0; rc == RW_OK && i < l.n; i++)
		rc = cb(&l.uses[i], arg);
	use_list_free(&l);
	return rc;
}
