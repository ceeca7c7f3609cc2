/* decision.c - the verdict cache and the admission questions asked of it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/*
 * A decision admits when the image was served: allow and warn do, and so
 * does a deny recorded by a rule in warn or audit mode, which only warns or
 * records.  ?5 is now.
 */
#define ADMITS(d)							\
	"(" d ".verdict <> 'deny' OR " d ".mode <> 'enforce') AND "	\
	"(" d ".expires_at IS NULL OR " d ".expires_at > ?5)"

static const char *const verdicts[] = { "allow", "deny", "warn", NULL };
static const char *const modes[] = { "enforce", "warn", "audit", NULL };

static int
one_of(const char *s, const char *const *set)
{
	size_t i;

	for (i = 0; set[i] != NULL; i++) {
		if (strcmp(s, set[i]) == 0)
			return 1;
	}
	return 0;
}

static int
check_key(const struct db_decision_key *k, const char *verb,
    struct rw_err *err)
{
	if (k == NULL || k->policy_rev == NULL || k->upstream == NULL ||
	    k->repo == NULL || k->digest == NULL || k->ref == NULL)
		return rw_err_set(err, RW_EINVAL, "%s: missing argument", verb);
	return RW_OK;
}

static int
check_decision(const struct db_decision *d, struct rw_err *err)
{
	if (d == NULL || d->verdict == NULL || d->mode == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_decision_put: missing argument");
	if (!one_of(d->verdict, verdicts))
		return rw_err_set(err, RW_EINVAL,
		    "db_decision_put: unknown verdict \"%s\"", d->verdict);
	if (!one_of(d->mode, modes))
		return rw_err_set(err, RW_EINVAL,
		    "db_decision_put: unknown mode \"%s\"", d->mode);
	if (d->expires_at < 0)
		return rw_err_set(err, RW_EINVAL,
		    "db_decision_put: expires_at is negative");
	return RW_OK;
}

/* Bind the five key fields to parameters 1-5 of ST. */
static int
bind_key(struct db *db, struct db_st *st, const struct db_decision_key *k,
    struct rw_err *err)
{
	const char *key[] = { k->policy_rev, k->upstream, k->repo, k->digest,
	    k->ref };

	return db_bind_texts(db, st, 1, key, 5, err);
}

static int
bind_decision(struct db *db, struct db_st *st, const struct db_decision *d,
    struct rw_err *err)
{
	const char *text[] = { d->verdict, d->mode,
	    d->rule != NULL ? d->rule : "",
	    d->rule_file != NULL ? d->rule_file : "" };
	const char *tail[] = {
	    d->reasons_json != NULL ? d->reasons_json : "[]",
	    d->message != NULL ? d->message : "" };
	int rc;

	rc = db_bind_texts(db, st, 6, text, 4, err);
	if (rc == RW_OK)
		rc = db_bind_texts(db, st, 11, tail, 2, err);
	if (rc != RW_OK)
		return rc;
	if (db_bind_int64(st, 10, d->rule_line) != RW_OK ||
	    db_bind_int64(st, 13, d->decided_at) != RW_OK ||
	    (d->expires_at > 0 ?
	    db_bind_int64(st, 14, d->expires_at) :
	    db_bind_null(st, 14)) != RW_OK)
		return db_bind_fail(db, err);
	return RW_OK;
}

#define DECISION_INSERT "INSERT INTO decisions(" \
	    "policy_rev, upstream, repo, digest, ref, verdict, mode, rule, " \
	    "rule_file, rule_line, reasons_json, message, decided_at, " \
	    "expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " \
	    "?12, ?13, ?14) ON CONFLICT(policy_rev, upstream, repo, digest, ref) " \
	    "DO UPDATE SET verdict = excluded.verdict, mode = excluded.mode, " \
	    "rule = excluded.rule, rule_file = excluded.rule_file, " \
	    "rule_line = excluded.rule_line, " \
	    "reasons_json = excluded.reasons_json, message = excluded.message, " \
	    "decided_at = excluded.decided_at, expires_at = excluded.expires_at"

/* The decision row; on PostgreSQL with the admission note in front of it. */
static int
put_row(struct db *db, const struct db_decision_key *key,
    const struct db_decision *d, struct rw_err *err)
{
	/*
	 * A data-modifying CTE (PostgreSQL only): the note and the decision
	 * in one round trip, one snapshot, one commit.  ?15 NULL notes nothing.
	 */
	static const char pgsql[] = "WITH note AS (INSERT INTO admitted(host, "
	    "repo, digest, first_at) SELECT CAST(?15 AS TEXT), "
	    "CAST(?3 AS TEXT), CAST(?4 AS TEXT), CAST(?13 AS BIGINT) "
	    "WHERE CAST(?15 AS TEXT) IS NOT NULL ON CONFLICT DO NOTHING) "
	    DECISION_INSERT;
	static const char sql[] = DECISION_INSERT;
	const char *host[] = { d->admitted_host };
	struct db_st *st = NULL;
	int rc;

	if (db->pg != NULL)
		rc = db_stmt(db, DB_ST_DECISION_PUT_PG, pgsql, &st, err);
	else
		rc = db_stmt(db, DB_ST_DECISION_PUT, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = bind_key(db, st, key, err);
	if (rc == RW_OK)
		rc = bind_decision(db, st, d, err);
	if (rc == RW_OK && db->pg != NULL)
		rc = db_bind_texts(db, st, 15, host, 1, err);
	if (rc == RW_OK)
		rc = db_step_end(db, st, err);
	db_stmt_done(st);
	return rc;
}

int
db_decision_put(struct db *db, const struct db_decision_key *key,
    const struct db_decision *d, struct rw_err *err)
{
	int rc, tx;

	rc = check_key(key, "db_decision_put", err);
	if (rc == RW_OK)
		rc = check_decision(d, err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	/* SQLite: two statements, one transaction (and one commit). */
	tx = db->pg == NULL && d->admitted_host != NULL;
	if (tx)
		rc = db_tx_begin(db, err);
	if (rc == RW_OK && tx)
		rc = db_admitted_note_locked(db, d->admitted_host, key->repo,
		    key->digest, d->decided_at, err);
	if (rc == RW_OK)
		rc = put_row(db, key, d, err);
	if (tx && rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (tx && rc != RW_OK)
		db_tx_rollback(db);
	db_unlock(db);
	return rc;
}

static int
copy_decision(struct db_st *st, struct db_decision *out, struct rw_err *err)
{
	static const int cols[] = { 0, 1, 2, 3, 4, 5 };
	const char *s[6];

	out->mem = db_copy_texts(st, cols, 6, s);
	if (out->mem == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	out->verdict = s[0];
	out->mode = s[1];
	out->rule = s[2];
	out->rule_file = s[3];
	out->reasons_json = s[4];
	out->message = s[5];
	out->rule_line = db_col_int64(st, 6);
	out->decided_at = db_col_int64(st, 7);
	out->expires_at = db_col_int64(st, 8);	/* NULL reads as 0 */
	return RW_OK;
}

int
db_decision_get(struct db *db, const struct db_decision_key *key,
    int64_t now, struct db_decision *out, struct rw_err *err)
{
	static const char sql[] = "SELECT verdict, mode, rule, rule_file, "
	    "reasons_json, message, rule_line, decided_at, expires_at "
	    "FROM decisions WHERE policy_rev = ?1 AND upstream = ?2 AND "
	    "repo = ?3 AND digest = ?4 AND ref = ?5 AND "
	    "(expires_at IS NULL OR expires_at > ?6)";
	struct db_st *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_key(key, "db_decision_get", err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_DECISION_GET, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = bind_key(db, st, key, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 6, now) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = copy_decision(st, out, err);
	else if (rc == DB_DONE)
		rc = RW_ENOTFOUND;
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	if (rc != RW_OK)
		db_decision_cleanup(out);
	return rc;
}

void
db_decision_cleanup(struct db_decision *d)
{
	if (d == NULL)
		return;
	free(d->mem);
	memset(d, 0, sizeof(*d));
}

int
db_decision_prune(struct db *db, const char *policy_rev, int64_t now,
    struct rw_err *err)
{
	static const char sql[] = "DELETE FROM decisions WHERE "
	    "policy_rev <> ?1 OR (expires_at IS NOT NULL AND expires_at <= ?2)";
	struct db_st *st = NULL;
	int rc;

	if (policy_rev == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_decision_prune: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_DECISION_PRUNE, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_text(st, 1, policy_rev) !=
	    RW_OK || db_bind_int64(st, 2, now) != RW_OK) {
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

/*
 * Run the cached "SELECT EXISTS(...)" in SLOT with the four strings ARGS
 * bound to ?1-?4 and NOW to ?5.  Returns 1, 0 or a negative RW_E* code.
 */
static int
exists(struct db *db, enum db_stmt_slot slot, const char *sql,
    const char *const args[4], int64_t now, struct rw_err *err)
{
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, slot, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = db_bind_texts(db, st, 1, args, 4, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 5, now) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
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

int
db_admitted(struct db *db, const char *policy_rev, const char *upstream,
    const char *repo, const char *manifest_digest, int64_t now,
    struct rw_err *err)
{
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM decisions d "
	    "WHERE d.policy_rev = ?1 AND d.upstream = ?2 AND d.repo = ?3 AND "
	    "d.digest = ?4 AND " ADMITS("d") ")";
	const char *args[] = { policy_rev, upstream, repo, manifest_digest };

	if (policy_rev == NULL || upstream == NULL || repo == NULL ||
	    manifest_digest == NULL)
		return rw_err_set(err, RW_EINVAL, "db_admitted: missing argument");
	return exists(db, DB_ST_ADMITTED, sql, args, now, err);
}

int
db_blob_admitted(struct db *db, const char *policy_rev, const char *upstream,
    const char *repo, const char *blob_digest, int64_t now,
    struct rw_err *err)
{
	/*
	 * Two ways in, both starting from the by-blob index: the manifest
	 * that lists the blob was admitted itself, or an index listing that
	 * manifest as a child was.
	 */
	static const char sql[] = "SELECT EXISTS("
	    "SELECT 1 FROM manifest_blobs b JOIN decisions d "
	    "ON d.policy_rev = ?1 AND d.upstream = b.upstream AND "
	    "d.repo = b.repo AND d.digest = b.manifest_digest "
	    "WHERE b.upstream = ?2 AND b.repo = ?3 AND b.blob_digest = ?4 AND "
	    "b.kind IN ('config', 'layer') AND " ADMITS("d") " "
	    "UNION ALL "
	    "SELECT 1 FROM manifest_blobs b JOIN manifest_blobs p "
	    "ON p.upstream = b.upstream AND p.repo = b.repo AND "
	    "p.blob_digest = b.manifest_digest AND p.kind = 'child' "
	    "JOIN decisions d ON d.policy_rev = ?1 AND d.upstream = p.upstream "
	    "AND d.repo = p.repo AND d.digest = p.manifest_digest "
	    "WHERE b.upstream = ?2 AND b.repo = ?3 AND b.blob_digest = ?4 AND "
	    "b.kind IN ('config', 'layer') AND " ADMITS("d") ")";
	const char *args[] = { policy_rev, upstream, repo, blob_digest };

	if (policy_rev == NULL || upstream == NULL || repo == NULL ||
	    blob_digest == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_blob_admitted: missing argument");
	return exists(db, DB_ST_BLOB_ADMITTED, sql, args, now, err);
}

int
db_parent_of(struct db *db, const char *upstream, const char *repo,
    const char *child_digest, char *parent, size_t size, struct rw_err *err)
{
	static const char sql[] = "SELECT b.manifest_digest FROM "
	    "manifest_blobs b JOIN manifests m ON m.upstream = b.upstream AND "
	    "m.repo = b.repo AND m.digest = b.manifest_digest "
	    "WHERE b.upstream = ?1 AND b.repo = ?2 AND b.blob_digest = ?3 AND "
	    "b.kind = 'child' ORDER BY m.first_seen DESC, b.manifest_digest "
	    "LIMIT 1";
	const char *args[] = { upstream, repo, child_digest };
	struct db_st *st = NULL;
	const char *d;
	int rc;

	if (upstream == NULL || repo == NULL || child_digest == NULL ||
	    parent == NULL)
		return rw_err_set(err, RW_EINVAL,
		    "db_parent_of: missing argument");
	db = db_lock(db);
	rc = db_stmt(db, DB_ST_PARENT_OF, sql, &st, err);
	if (rc == RW_OK)
		rc = db_bind_texts(db, st, 1, args, 3, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW) {
		d = db_col_text(st, 0);
		if (d == NULL || rw_strlcpy(parent, d, size) >= size)
			rc = rw_err_set(err, RW_ETOOBIG, "parent digest does "
			    "not fit in %zu bytes", size);
		else
			rc = RW_OK;
	} else if (rc == DB_DONE) {
		rc = RW_ENOTFOUND;
	} else {
		rc = db_fail(db, rc, "sqlite3_step", err);
	}
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}
