/*
 * copy.c - maintenance across stores: the schema version a database has,
 * row counts, and copying every table from one store into another
 * (`regwarden db migrate`, SQLite into PostgreSQL).
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* Rows copied per destination transaction. */
#define COPY_BATCH	1000

/*
 * Every table, parents before children (foreign keys), with its columns
 * and their kinds: t text, i integer, b blob.  Keys are copied as they
 * are, so ids (audit, scans, exceptions) keep their meaning.
 */
static const struct table {
	const char	*name;
	const char	*cols;
	const char	*kinds;
	const char	*id;		/* identity column to move on, or NULL */
} tables[] = {
	{ "manifests", "upstream, repo, digest, media_type, size, body, "
	  "first_seen", "ttttibi", NULL },
	{ "manifest_blobs", "upstream, repo, manifest_digest, blob_digest, "
	  "kind", "ttttt", NULL },
	{ "decisions", "policy_rev, upstream, repo, digest, ref, verdict, "
	  "mode, rule, rule_file, rule_line, reasons_json, message, "
	  "decided_at, expires_at", "tttttttttittii", NULL },
	{ "audit", "id, ts, request_id, client, identity, operation, "
	  "upstream, host, repo, reference, digest, verdict, mode, rule, "
	  "rule_file, rule_line, reasons_json, message",
	  "iittttttttttttttit", "id" },
	{ "pins", "host, repo, tag, digest, pinned_by, pinned_at, source",
	  "tttttit", NULL },
	{ "scans", "id, scanner, scanner_version, db_version, artifact, "
	  "scanned_at, imported_at, report_digest, max_severity, nfindings",
	  "ittttiitii", "id" },
	{ "scan_digests", "scan_id, digest, kind", "itt", NULL },
	{ "vulns", "scan_id, vuln_id, severity, pkg, installed, fixed, "
	  "status, fixable", "ititttti", NULL },
	{ "exceptions", "id, vuln_id, pkg, repo_glob, expires, reason, "
	  "added_by, added_at, source", "itttittit", "id" },
	{ "scan_claims", "digest, owner, state, msg, expires", "ttiti", NULL },
	{ "admitted", "host, repo, digest, first_at", "ttti", NULL },
	{ "scan_secrets", "scan_id, target, rule_id, line, severity, title",
	  "ittiit", NULL },
};

#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

const char *
db_table_name(size_t i)
{
	return i < NTABLES ? tables[i].name : NULL;
}

static const struct table *
find_table(const char *name)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

int
db_version(struct db *db, int *out, struct rw_err *err)
{
	struct db_st *st = NULL;
	int rc;

	*out = 0;
	db = db_lock(db);
	if (db->pg != NULL) {
		rc = db_pg_ready(db, err);
		if (rc == RW_OK)
			rc = db_pg_version(db, out, err);
		db_unlock(db);
		return rc;
	}
	rc = db_stmt(db, DB_ST_VERSION, "PRAGMA user_version", &st, err);
	if (rc == RW_OK) {
		rc = db_step(st);
		if (rc == DB_ROW) {
			*out = (int)db_col_int64(st, 0);
			rc = RW_OK;
		} else {
			rc = db_fail(db, rc, "sqlite3_step", err);
		}
		db_stmt_done(st);
	}
	db_unlock(db);
	return rc;
}

/* A statement outside the cache (table names vary): freed by the caller. */
static int
stmt_once(struct db *db, const char *sql, struct db_st **out,
    struct rw_err *err)
{
	int rc;

	/* The maintenance slot is taken afresh for each statement. */
	db_stmt_free(db->st[DB_ST_MAINT]);
	db->st[DB_ST_MAINT] = NULL;
	rc = db_stmt(db, DB_ST_MAINT, sql, out, err);
	return rc;
}

int
db_count(struct db *db, const char *table, int64_t *out, struct rw_err *err)
{
	const struct table *t = find_table(table);
	struct db_st *st;
	char sql[96];
	int rc;

	*out = 0;
	if (t == NULL)
		return rw_err_set(err, RW_EINVAL, "unknown table \"%s\"", table);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t->name);
	db = db_lock(db);
	rc = stmt_once(db, sql, &st, err);
	if (rc == RW_OK) {
		rc = db_step(st);
		if (rc == DB_ROW) {
			*out = db_col_int64(st, 0);
			rc = RW_OK;
		} else {
			rc = db_fail(db, rc, "sqlite3_step", err);
		}
		db_stmt_done(st);
	}
	db_unlock(db);
	return rc;
}

/* Bind column I of the current row of SRC, of kind K, to parameter I+1. */
static int
bind_col(struct db_st *src, struct db_st *dst, int i, char k)
{
	if (db_col_is_null(src, i))
		return db_bind_null(dst, i + 1);
	if (k == 'i')
		return db_bind_int64(dst, i + 1, db_col_int64(src, i));
	if (k == 'b')
		return db_bind_blob(dst, i + 1, db_col_blob(src, i) != NULL ?
		    db_col_blob(src, i) : "", db_col_bytes(src, i));
	return db_bind_text(dst, i + 1, db_col_text(src, i));
}

/* Insert the current row of SRC into TO with DST; counts a new row. */
static int
copy_row(struct db *to, struct db_st *src, struct db_st *dst,
    const struct table *t, int64_t *added, struct rw_err *err)
{
	int i, rc = RW_OK;

	for (i = 0; t->kinds[i] != '\0' && rc == RW_OK; i++)
		rc = bind_col(src, dst, i, t->kinds[i]);
	if (rc != RW_OK) {
		db_stmt_done(dst);
		return db_bind_fail(to, err);
	}
	rc = db_step_done(to, dst, err);
	if (rc == RW_OK)
		*added += db_changes(to);
	return rc;
}

/* INSERT INTO t(cols) VALUES(?1, ...) ON CONFLICT DO NOTHING, into SQL. */
static void
insert_sql(const struct table *t, char *sql, size_t size)
{
	size_t n = strlen(t->kinds), i, len;

	len = (size_t)snprintf(sql, size, "INSERT INTO %s(%s) VALUES(",
	    t->name, t->cols);
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(sql + len, size - len, "%s?%zu",
		    i > 0 ? ", " : "", i + 1);
	if (len < size)
		snprintf(sql + len, size - len, ") ON CONFLICT DO NOTHING");
}

/* After explicit ids, PostgreSQL's identity must continue past them. */
static int
move_identity(struct db *to, const struct table *t, struct rw_err *err)
{
	char sql[256];

	if (t->id == NULL || to->pg == NULL)
		return RW_OK;
	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
	    "'%s', '%s'), (SELECT coalesce(max(%s), 0) + 1 FROM %s), false)",
	    t->name, t->id, t->id, t->name);
	return db_exec(to, sql, "setval", err);
}

static int
copy_rows(struct db *from, struct db *to, const struct table *t,
    struct db_st *src, int64_t *read, int64_t *added, struct rw_err *err)
{
	char sql[1024];
	struct db_st *dst;
	int rc, step = DB_DONE, inbatch = 0;

	insert_sql(t, sql, sizeof(sql));
	rc = stmt_once(to, sql, &dst, err);
	if (rc == RW_OK)
		rc = db_tx_begin(to, err);
	while (rc == RW_OK && (step = db_step(src)) == DB_ROW) {
		(*read)++;
		rc = copy_row(to, src, dst, t, added, err);
		if (rc == RW_OK && ++inbatch == COPY_BATCH) {
			inbatch = 0;
			rc = db_tx_commit(to, err);
			if (rc == RW_OK)
				rc = db_tx_begin(to, err);
		}
	}
	if (rc == RW_OK && step != DB_DONE)
		rc = db_fail(from, step, "sqlite3_step", err);
	if (rc == RW_OK)
		rc = db_tx_commit(to, err);
	if (rc == RW_OK)
		rc = move_identity(to, t, err);
	if (rc != RW_OK)
		db_tx_rollback(to);
	return rc;
}

int
db_copy_table(struct db *from, struct db *to, const char *table,
    int64_t *read, int64_t *added, struct rw_err *err)
{
	const struct table *t = find_table(table);
	struct db_st *src;
	size_t i, ncols;
	char sql[512];
	int rc;

	*read = *added = 0;
	if (t == NULL)
		return rw_err_set(err, RW_EINVAL, "unknown table \"%s\"", table);
	if (from == to)
		return rw_err_set(err, RW_EINVAL, "copying a store onto itself");
	/* One kind per column: the table above is checked where it is used. */
	for (i = 0, ncols = 1; t->cols[i] != '\0'; i++)
		ncols += t->cols[i] == ',';
	if (ncols != strlen(t->kinds))
		return rw_err_set(err, RW_EINVAL, "table %s: %zu columns, %zu "
		    "kinds", t->name, ncols, strlen(t->kinds));
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s", t->cols, t->name);
	/* Both locks, always in this order: from, then to. */
	from = db_lock(from);
	to = db_lock(to);
	rc = stmt_once(from, sql, &src, err);
	if (rc == RW_OK) {
		rc = copy_rows(from, to, t, src, read, added, err);
		db_stmt_done(src);
	}
	/* Replicas running on TO learn of the copied pins and scans. */
	if (rc == RW_OK && *added > 0) {
		db_pg_notify(to, DB_CHANGED_PINS);
		db_pg_notify(to, DB_CHANGED_SCANS);
	}
	db_unlock(to);
	db_unlock(from);
	return rc;
}
