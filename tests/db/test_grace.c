/* test_grace.c - migration 6: first admissions, and when findings first appeared. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "util/util.h"

#include "tests/testutil.h"

#define NOW	INT64_C(1700000000)
#define M1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define C1 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define M2 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define R1 "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"
#define R2 "sha256:aaaa000000000000000000000000000000000000000000000000000000000002"
#define R3 "sha256:aaaa000000000000000000000000000000000000000000000000000000000003"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rw_err err;

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwgraceXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/regwarden.db", f->dir);
	if (tu_pg_url() != NULL)
		rw_strlcpy(f->path, tu_db_target(f->path), sizeof(f->path));
	rw_err_clear(&err);
	if (db_open(f->path, &f->db, &err) != RW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	struct fixture *f = *state;
	char p[160];
	size_t i;

	db_close(f->db);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* *FIRST, or -1 when never admitted. */
static int64_t
first(struct db *db, const char *host, const char *repo, const char *digest)
{
	struct rw_err err;
	int64_t t = 42;
	int rc;

	rw_err_clear(&err);
	rc = db_admitted_first(db, host, repo, digest, &t, &err);
	if (rc == RW_ENOTFOUND) {
		assert_string_equal(err.msg, "");
		assert_int_equal(t, 0);
		return -1;
	}
	if (rc != RW_OK)
		fail_msg("db_admitted_first: %s", err.msg);
	return t;
}

static void
note(struct db *db, const char *host, const char *repo, const char *digest,
    int64_t now)
{
	struct rw_err err;

	rw_err_clear(&err);
	if (db_admitted_note(db, host, repo, digest, now, &err) != RW_OK)
		fail_msg("db_admitted_note: %s", err.msg);
}

/* The first admission is kept; a host, repository or digest is its own. */
static void
test_admitted(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	int64_t t;

	assert_int_equal(first(f->db, "docker.io", "library/nginx", M1), -1);
	note(f->db, "docker.io", "library/nginx", M1, NOW);
	note(f->db, "docker.io", "library/nginx", M1, NOW + 50);
	note(f->db, "docker.io", "library/nginx", M1, NOW - 50);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", M1), NOW);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", M2), -1);
	assert_int_equal(first(f->db, "docker.io", "library/redis", M1), -1);
	assert_int_equal(first(f->db, "ghcr.io", "library/nginx", M1), -1);
	rw_err_clear(&err);
	assert_int_equal(db_admitted_note(f->db, NULL, "r", M1, NOW, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_admitted_note: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_admitted_first(f->db, "h", "r", NULL, &t, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_admitted_first: missing argument");
}

static const char *const dig_m1[] = { M1 };
static const char *const dig_c1[] = { C1 };
static const int kind_m[] = { DB_DIGEST_MANIFEST };
static const int kind_c[] = { DB_DIGEST_CONFIG };

static void
put(struct fixture *f, const char *rd, const char *const *digests,
    const int *kinds, const struct db_finding *fs, size_t n, int64_t at)
{
	struct db_scan_report r = {
		.scanner = "trivy", .scanner_version = "0.50.1",
		.db_version = "", .artifact = "x", .scanned_at = at,
		.report_digest = rd, .digests = digests, .digest_kinds = kinds,
		.ndigests = 1, .findings = fs, .nfindings = n,
	};
	struct rw_err err;

	rw_err_clear(&err);
	if (db_scan_put(f->db, &r, at, NULL, NULL, &err) != RW_OK)
		fail_msg("db_scan_put: %s", err.msg);
}

/*
 * A finding's time is the import of the first report of any of the
 * image's digests that had it (same id and package), whatever the
 * installed version; findings new in the latest report get its time.
 */
static void
test_first_seen(void **state)
{
	static const struct db_finding old[] = {
		{ "CVE-1", "openssl", "3.0.1", "3.0.2", "fixed", DB_SEV_HIGH, 1 },
	};
	static const struct db_finding mid[] = {
		{ "CVE-2", "zlib", "1.2", "", "", DB_SEV_LOW, 0 },
	};
	static const struct db_finding now[] = {
		{ "CVE-3", "musl", "1.2.3", "", "", DB_SEV_CRITICAL, 0 },
		{ "CVE-1", "openssl", "3.0.7", "3.0.9", "fixed", DB_SEV_HIGH, 1 },
		{ "CVE-1", "openssl", "3.0.1", "3.0.9", "fixed", DB_SEV_HIGH, 1 },
		{ "CVE-2", "zlib", "1.2", "", "", DB_SEV_LOW, 0 },
		{ "CVE-2", "libz", "1.2", "", "", DB_SEV_LOW, 0 },
	};
	const char *both[] = { M1, C1 };
	struct fixture *f = *state;
	struct db_scan_view v;
	struct rw_err err;
	int64_t seen[5];
	size_t i;

	put(f, R1, dig_m1, kind_m, old, 1, NOW - 300);
	put(f, R2, dig_c1, kind_c, mid, 1, NOW - 200);
	put(f, R3, dig_m1, kind_m, now, 5, NOW);
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, both, 2, &v, &err), RW_OK);
	assert_int_equal(v.nfindings, 5);
	assert_int_equal(db_scan_first_seen(f->db, both, 2, &v, seen, &err),
	    RW_OK);
	/* Worst first: CVE-3 (critical), CVE-1 twice (high), then lows. */
	for (i = 0; i < v.nfindings; i++) {
		const struct db_finding *x = &v.findings[i];
		int64_t want = strcmp(x->id, "CVE-1") == 0 ? NOW - 300 :
		    strcmp(x->id, "CVE-2") == 0 && strcmp(x->pkg, "zlib") == 0 ?
		    NOW - 200 : NOW;

		if (seen[i] != want)
			fail_msg("%s %s %s: %lld, expected %lld", x->id, x->pkg,
			    x->installed, (long long)seen[i], (long long)want);
	}
	/* Through the manifest alone the config's report is not seen. */
	for (i = 0; i < v.nfindings; i++)
		seen[i] = -7;
	assert_int_equal(db_scan_first_seen(f->db, dig_m1, 1, &v, seen, &err),
	    RW_OK);
	for (i = 0; i < v.nfindings; i++)
		if (strcmp(v.findings[i].pkg, "zlib") == 0)
			assert_int_equal(seen[i], NOW);
	assert_int_equal(db_scan_first_seen(f->db, both, 0, &v, seen, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_first_seen: 0 digests (expected "
	    "1 to 8) or nowhere to write");
	db_scan_view_cleanup(&v);
}

static void
audit(struct db *db, int64_t ts, const char *op, const char *host,
    const char *repo, const char *digest, const char *verdict)
{
	struct db_audit_row a;
	struct rw_err err;

	memset(&a, 0, sizeof(a));
	a.ts = ts;
	a.operation = op;
	a.upstream = "hub";
	a.host = host;
	a.repo = repo;
	a.digest = digest;
	a.verdict = verdict;
	rw_err_clear(&err);
	if (db_audit_add(db, &a, &err) != RW_OK)
		fail_msg("db_audit_add: %s", err.msg);
}

/*
 * An installation that predates migration 6 keeps the time each image was
 * first admitted: the table is seeded from the audit trail (pulls and
 * resolves admitted, never refusals, pushes or rows without a digest).
 */
static void
test_seeded_from_audit(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	sqlite3 *h;

	audit(f->db, NOW - 90, "pull", "docker.io", "app", M1, "deny");
	audit(f->db, NOW - 80, "push", "docker.io", "app", M1, "allow");
	audit(f->db, NOW - 70, "resolve", "docker.io", "app", M1, "warn");
	audit(f->db, NOW - 60, "pull", "docker.io", "app", M1, "allow");
	audit(f->db, NOW - 50, "pull", "docker.io", "app", M2, "error");
	audit(f->db, NOW - 40, "pull", "docker.io", "app", NULL, "allow");
	audit(f->db, NOW - 30, "pull", "docker.io", "other", M2, "allow");
	/* Back to schema 5: the tables of 6 and later gone, the version 5. */
	if (tu_pg_url() != NULL) {
		tu_pg_exec("DROP TABLE admitted; DROP TABLE scan_secrets; "
		    "DELETE FROM schema_version WHERE version >= 6");
	} else {
		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "DROP TABLE admitted; "
		    "DROP TABLE scan_secrets; PRAGMA user_version = 5", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	db_close(f->db);
	f->db = NULL;
	rw_err_clear(&err);
	if (db_open(f->path, &f->db, &err) != RW_OK)
		fail_msg("db_open: %s", err.msg);
	assert_int_equal(first(f->db, "docker.io", "app", M1), NOW - 70);
	assert_int_equal(first(f->db, "docker.io", "app", M2), -1);
	assert_int_equal(first(f->db, "docker.io", "other", M2), NOW - 30);
}

/* Record a decision for REF of library/nginx@DIGEST, noting HOST's admission. */
static int
decide(struct fixture *f, const char *digest, const char *ref,
    const char *host, int64_t now, struct rw_err *err)
{
	struct db_decision_key k = { "rev1", "hub", "library/nginx", digest,
	    ref };
	struct db_decision d = { .verdict = "allow", .mode = "enforce",
	    .rule = "r", .decided_at = now, .admitted_host = host };

	rw_err_clear(err);
	return db_decision_put(f->db, &k, &d, err);
}

static void
run_sql(struct fixture *f, const char *pg, const char *lite)
{
	sqlite3 *h;

	if (tu_pg_url() != NULL) {
		tu_pg_exec(pg);
		return;
	}
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, lite, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/*
 * A decision with admitted_host notes the first admission with it (one
 * statement on PostgreSQL): the first is kept, none is noted without a
 * host, and a decision that cannot be written notes nothing either.
 */
static void
test_decision_notes_admission(void **state)
{
	struct fixture *f = *state;
	struct db_decision_key k = { "rev1", "hub", "library/nginx", M1,
	    "1.0" };
	struct db_decision got;
	struct rw_err err;

	assert_int_equal(decide(f, M1, "1.0", "docker.io", NOW, &err), RW_OK);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", M1), NOW);
	assert_int_equal(decide(f, M1, "1.0", "docker.io", NOW + 50, &err),
	    RW_OK);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", M1), NOW);
	rw_err_clear(&err);
	assert_int_equal(db_decision_get(f->db, &k, NOW + 60, &got, &err),
	    RW_OK);
	assert_int_equal(got.decided_at, NOW + 50);
	assert_string_equal(got.verdict, "allow");
	db_decision_cleanup(&got);

	assert_int_equal(decide(f, M2, "2.0", NULL, NOW, &err), RW_OK);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", M2), -1);

	run_sql(f, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
	    "AS $$BEGIN RAISE EXCEPTION 'refused'; END$$; "
	    "CREATE TRIGGER refuse BEFORE INSERT ON decisions FOR EACH ROW "
	    "WHEN (NEW.ref = 'refused') EXECUTE FUNCTION refuse()",
	    "CREATE TRIGGER refuse BEFORE INSERT ON decisions "
	    "WHEN NEW.ref = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); "
	    "END");
	assert_int_equal(decide(f, C1, "refused", "docker.io", NOW, &err),
	    RW_EDB);
	assert_non_null(strstr(err.msg, "refused"));
	assert_int_equal(first(f->db, "docker.io", "library/nginx", C1), -1);
	/* The connection is usable after the failure. */
	assert_int_equal(decide(f, C1, "3.0", "docker.io", NOW + 5, &err),
	    RW_OK);
	assert_int_equal(first(f->db, "docker.io", "library/nginx", C1),
	    NOW + 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_notes_admission,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_seen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seeded_from_audit, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
