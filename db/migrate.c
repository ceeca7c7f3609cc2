/* migrate.c - the numbered schema migrations and the code that applies them. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdio.h>

#include "db/internal.h"

/*
 * Migration N is migrations[N - 1].  Append only: a released migration is
 * never edited, since databases in the field have already applied it.
 */
static const char *const migrations[] = {
	/*
	 * 1: verified manifests by digest (immutable, served without an
	 * upstream round trip) and every digest they reference, indexed by
	 * blob so the blob gate is one lookup.
	 */
	"CREATE TABLE manifests("
	"  upstream TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  media_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  body BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY(upstream, repo, digest));"
	"CREATE TABLE manifest_blobs("
	"  upstream TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  manifest_digest TEXT NOT NULL,"
	"  blob_digest TEXT NOT NULL,"
	"  kind TEXT NOT NULL"
	"    CHECK(kind IN ('config', 'layer', 'child', 'subject')),"
	"  PRIMARY KEY(upstream, repo, manifest_digest, blob_digest, kind),"
	"  FOREIGN KEY(upstream, repo, manifest_digest)"
	"    REFERENCES manifests(upstream, repo, digest) ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE INDEX manifest_blobs_by_blob"
	"  ON manifest_blobs(upstream, repo, blob_digest);",
	/*
	 * 2: the verdict cache, the audit trail and pinned tags.  decisions is
	 * keyed by policy revision so a new policy never reads an old verdict;
	 * ref is the tag, or '' for a pull by digest, because a tag check can
	 * refuse a tag while the same digest pulled by digest is admitted.
	 * expires_at NULL means "until the policy changes".  Audit rows keep
	 * nullable columns for facts not known when the request was refused
	 * (a source denial has no digest yet); "error" is a refusal because
	 * regwarden could not decide.
	 */
	"CREATE TABLE decisions("
	"  policy_rev TEXT NOT NULL,"
	"  upstream TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  verdict TEXT NOT NULL CHECK(verdict IN ('allow', 'deny', 'warn')),"
	"  mode TEXT NOT NULL CHECK(mode IN ('enforce', 'warn', 'audit')),"
	"  rule TEXT NOT NULL,"
	"  rule_file TEXT NOT NULL,"
	"  rule_line INTEGER NOT NULL,"
	"  reasons_json TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  decided_at INTEGER NOT NULL,"
	"  expires_at INTEGER,"
	"  PRIMARY KEY(policy_rev, upstream, repo, digest, ref));"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  request_id TEXT,"
	"  client TEXT,"
	"  identity TEXT,"
	"  operation TEXT NOT NULL,"
	"  upstream TEXT,"
	"  host TEXT,"
	"  repo TEXT NOT NULL,"
	"  reference TEXT,"
	"  digest TEXT,"
	"  verdict TEXT NOT NULL"
	"    CHECK(verdict IN ('allow', 'deny', 'warn', 'error')),"
	"  mode TEXT,"
	"  rule TEXT,"
	"  rule_file TEXT,"
	"  rule_line INTEGER,"
	"  reasons_json TEXT,"
	"  message TEXT);"
	"CREATE INDEX audit_by_ts ON audit(ts);"
	"CREATE INDEX audit_by_repo_ts ON audit(repo, ts);"
	"CREATE TABLE pins("
	"  host TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  tag TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  pinned_by TEXT NOT NULL,"
	"  pinned_at INTEGER NOT NULL,"
	"  source TEXT NOT NULL"
	"    CHECK(source IN ('cli', 'policy', 'first-pull')),"
	"  PRIMARY KEY(host, repo, tag)"
	") WITHOUT ROWID;",
	/*
	 * 3: imported scan reports, the digests each names, their findings,
	 * and CVE exceptions.  A report is stored once (report_digest is the
	 * hash of its bytes); scan_digests is indexed by digest because every
	 * pull decision looks a verdict up by its manifest, config and index
	 * digests.  scanned_at is NULL when the report carries no time.
	 * Exception ids use AUTOINCREMENT so a removed id is never handed out
	 * again to a different exception.  scan_rev counts every change to
	 * scans and exceptions, with a random tag naming this database, so
	 * callers can key caches on it with one read.  The two extra indexes
	 * let `scans ls` find the repositories that hold a scanned digest.
	 */
	"CREATE TABLE scans("
	"  id INTEGER PRIMARY KEY,"
	"  scanner TEXT NOT NULL CHECK(scanner IN ('trivy', 'grype')),"
	"  scanner_version TEXT NOT NULL,"
	"  db_version TEXT NOT NULL,"
	"  artifact TEXT NOT NULL,"
	"  scanned_at INTEGER,"
	"  imported_at INTEGER NOT NULL,"
	"  report_digest TEXT NOT NULL UNIQUE,"
	"  max_severity INTEGER NOT NULL,"
	"  nfindings INTEGER NOT NULL);"
	"CREATE TABLE scan_digests("
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	"  digest TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK(kind IN ('manifest', 'config', 'index')),"
	"  PRIMARY KEY(scan_id, digest)"
	") WITHOUT ROWID;"
	"CREATE INDEX scan_digests_by_digest ON scan_digests(digest);"
	"CREATE TABLE vulns("
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	"  vuln_id TEXT NOT NULL,"
	"  severity INTEGER NOT NULL CHECK(severity BETWEEN 0 AND 5),"
	"  pkg TEXT NOT NULL,"
	"  installed TEXT NOT NULL,"
	"  fixed TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  fixable INTEGER NOT NULL,"
	"  PRIMARY KEY(scan_id, vuln_id, pkg, installed)"
	") WITHOUT ROWID;"
	"CREATE TABLE exceptions("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  vuln_id TEXT,"
	"  pkg TEXT,"
	"  repo_glob TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  added_by TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  source TEXT NOT NULL CHECK(source IN ('cli', 'policy')),"
	"  CHECK(vuln_id IS NOT NULL OR pkg IS NOT NULL));"
	"CREATE TABLE scan_rev("
	"  one INTEGER PRIMARY KEY CHECK(one = 1),"
	"  tag TEXT NOT NULL,"
	"  gen INTEGER NOT NULL);"
	"INSERT INTO scan_rev VALUES(1, lower(hex(randomblob(6))), 0);"
	"CREATE INDEX manifests_by_digest ON manifests(digest);"
	"CREATE INDEX manifest_blobs_by_digest"
	"  ON manifest_blobs(blob_digest, kind);",
	/*
	 * 4: claims on scans, so that replicas sharing a database run the
	 * scanner once per digest: a claim is held until EXPIRES (a lease
	 * that outlives the scanner's timeout); STATE 0 running, 1 done,
	 * 2 failed (MSG says why), kept a while so the others learn it.
	 */
	"CREATE TABLE scan_claims("
	"  digest TEXT PRIMARY KEY,"
	"  owner TEXT NOT NULL,"
	"  state INTEGER NOT NULL CHECK(state IN (0, 1, 2)),"
	"  msg TEXT NOT NULL,"
	"  expires INTEGER NOT NULL);",
	/*
	 * 5: what each layer blob holds, computed once and kept: a layer is
	 * immutable under its digest, so the index is content-addressed and
	 * shared by every repository and image that carries the layer.  body
	 * is content/'s encoding (versioned by format); a layer that could
	 * not be inspected keeps its refusal instead, so that the same
	 * hostile blob is not fetched and unpacked on every pull.
	 */
	"CREATE TABLE layer_index("
	"  digest TEXT PRIMARY KEY,"
	"  format INTEGER NOT NULL,"
	"  body BLOB,"
	"  refusal TEXT,"
	"  nentries INTEGER NOT NULL,"
	"  nfindings INTEGER NOT NULL,"
	"  indexed_at INTEGER NOT NULL,"
	"  CHECK((body IS NULL) <> (refusal IS NULL))"
	") WITHOUT ROWID;",
	/*
	 * 6: when regwarden first admitted each image (a pull, or the HEAD
	 * that resolves one, not refused), by the registry host policies
	 * speak of, the repository and the manifest digest: new scan
	 * findings on an image already in use may get a grace period
	 * (scan.grace_days).  Seeded from the audit trail, so an image
	 * admitted before this migration keeps the time it was first
	 * admitted.
	 */
	"CREATE TABLE admitted("
	"  host TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  first_at INTEGER NOT NULL,"
	"  PRIMARY KEY(host, repo, digest)"
	") WITHOUT ROWID;"
	"INSERT INTO admitted(host, repo, digest, first_at)"
	"  SELECT host, repo, digest, min(ts) FROM audit"
	"  WHERE operation IN ('pull', 'resolve')"
	"  AND verdict IN ('allow', 'warn')"
	"  AND host IS NOT NULL AND digest IS NOT NULL"
	"  GROUP BY host, repo, digest;",
	/*
	 * 7: the secret findings of a scan report (Trivy's Secrets): which
	 * rule matched which file, at which line, how severe.  The matched
	 * text is never stored: Trivy redacts it, and a copy of a secret in
	 * the state database would be a second leak.  A rule matching the
	 * same file at the same line twice counts once.
	 */
	"CREATE TABLE scan_secrets("
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  rule_id TEXT NOT NULL,"
	"  line INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL CHECK(severity BETWEEN 0 AND 5),"
	"  title TEXT NOT NULL,"
	"  PRIMARY KEY(scan_id, target, rule_id, line)"
	") WITHOUT ROWID;",
};

#define NMIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

int
db_schema_version(void)
{
	return NMIGRATIONS;
}

static int
user_version(struct db *db, int *out, struct rw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "sqlite3_prepare user_version", err);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = db_fail(db, rc, "sqlite3_step user_version", err);
		sqlite3_finalize(st);
		return rc;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return RW_OK;
}

static int
too_new(int have, struct rw_err *err)
{
	return rw_err_set(err, RW_EDB, "database schema version %d is newer "
	    "than this regwarden supports (%d); upgrade regwarden or use "
	    "another database", have, NMIGRATIONS);
}

/*
 * Apply the next migration in its own transaction.  The version is read
 * again under the write lock because another process (a second replica, the
 * CLI) may have migrated since we looked.
 */
static int
step(struct db *db, int *have, struct rw_err *err)
{
	char sql[64], what[32];
	int rc, v;

	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		return rc;
	rc = user_version(db, &v, err);
	if (rc == RW_OK && v > NMIGRATIONS)
		rc = too_new(v, err);
	if (rc == RW_OK && v < NMIGRATIONS) {
		snprintf(what, sizeof(what), "migration %d", v + 1);
		rc = db_exec(db, migrations[v], what, err);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (rc == RW_OK)
			rc = db_exec(db, sql, what, err);
		v++;
	}
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK) {
		db_tx_rollback(db);
		return rc;
	}
	*have = v;
	return RW_OK;
}

int
db_migrate(struct db *db, struct rw_err *err)
{
	int have, rc;

	rc = user_version(db, &have, err);
	if (rc != RW_OK)
		return rc;
	if (have > NMIGRATIONS)
		return too_new(have, err);
	while (have < NMIGRATIONS) {
		rc = step(db, &have, err);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}
