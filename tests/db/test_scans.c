/* test_scans.c - stored scan reports, the verdict lookup, and exceptions. */
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

/* Only to plant a fault that the verbs cannot be asked to make. */
#include <sqlite3.h>

#include "db/db.h"
#include "tests/testutil.h"
#include "util/util.h"

#define NOW	1700000000
#define M1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define C1 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define I1 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define M2 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define R1 "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"
#define R2 "sha256:aaaa000000000000000000000000000000000000000000000000000000000002"
#define R3 "sha256:aaaa000000000000000000000000000000000000000000000000000000000003"
#define R4 "sha256:aaaa000000000000000000000000000000000000000000000000000000000004"
#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"

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
	rw_strlcpy(f->dir, "/tmp/rwscanXXXXXX", sizeof(f->dir));
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

static const struct db_finding findings[] = {
	{ "CVE-2024-0002", "openssl", "3.0.1", "3.0.2", "fixed", DB_SEV_HIGH, 1 },
	{ "CVE-2024-0001", "musl", "1.2.3", "", "affected", DB_SEV_CRITICAL, 0 },
	{ "CVE-2024-0003", "zlib", "1.2", "", "", DB_SEV_LOW, 0 },
	{ "CVE-2024-0004", "openssl", "3.0.1", "3.0.5", "fixed", DB_SEV_HIGH, 1 },
	/* A repeat of the first: stored once. */
	{ "CVE-2024-0002", "openssl", "3.0.1", "3.0.2", "fixed", DB_SEV_HIGH, 1 },
};

static const struct db_secret secrets[] = {
	{ "/root/.ssh/id_rsa", "private-key", "Asymmetric Private Key", 1,
	  DB_SEV_HIGH },
	{ "/app/deploy.sh", "aws-access-key-id", "AWS Access Key ID", 3,
	  DB_SEV_CRITICAL },
	/* A repeat of the second (file, rule, line): stored once. */
	{ "/app/deploy.sh", "aws-access-key-id", "AWS Access Key ID", 3,
	  DB_SEV_CRITICAL },
};

static const char *const digests_a[] = { M1, C1, I1 };
static const int kinds_a[] = { DB_DIGEST_MANIFEST, DB_DIGEST_CONFIG,
    DB_DIGEST_INDEX };

/* Report A: trivy, scanned at NOW - 100, naming M1, C1 and I1. */
static struct db_scan_report
report_a(void)
{
	struct db_scan_report r = {
		.scanner = "trivy", .scanner_version = "0.50.1",
		.db_version = "", .artifact = "docker.io/library/nginx:1.25",
		.scanned_at = NOW - 100, .report_digest = R1,
		.digests = digests_a, .digest_kinds = kinds_a, .ndigests = 3,
		.findings = findings, .nfindings = 5,
		.secrets = secrets, .nsecrets = 3,
	};

	return r;
}

static int64_t
put(struct fixture *f, const struct db_scan_report *r, int64_t now,
    int want_new)
{
	struct rw_err err;
	int64_t id = -1;
	int fresh = -1;

	rw_err_clear(&err);
	if (db_scan_put(f->db, r, now, &id, &fresh, &err) != RW_OK)
		fail_msg("db_scan_put: %s", err.msg);
	assert_int_equal(fresh, want_new);
	return id;
}

/* The id of the current scan for the one digest D, or 0 when none. */
static int64_t
latest_id(struct fixture *f, const char *d)
{
	struct db_scan_view v;
	struct rw_err err;
	int64_t id;
	int rc;

	rw_err_clear(&err);
	rc = db_scan_latest(f->db, &d, 1, &v, &err);
	if (rc == RW_ENOTFOUND) {
		assert_string_equal(err.msg, "");
		assert_null(v.mem);
		return 0;
	}
	if (rc != RW_OK)
		fail_msg("db_scan_latest: %s", err.msg);
	id = v.id;
	db_scan_view_cleanup(&v);
	return id;
}

static void
test_schema(void **state)
{
	(void)state;
	assert_int_equal(db_schema_version(), 7);
}

static void
test_put_and_latest(void **state)
{
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	const char *lookup[] = { M2, C1 };
	struct db_scan_view v;
	struct rw_err err;
	int64_t id;

	id = put(f, &r, NOW, 1);
	assert_true(id > 0);
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, lookup, 2, &v, &err), RW_OK);
	assert_int_equal(v.id, id);
	assert_string_equal(v.scanner, "trivy");
	assert_string_equal(v.scanner_version, "0.50.1");
	assert_string_equal(v.db_version, "");
	assert_string_equal(v.artifact, "docker.io/library/nginx:1.25");
	assert_string_equal(v.report_digest, R1);
	assert_int_equal(v.scanned_at, NOW - 100);
	assert_int_equal(v.imported_at, NOW);
	assert_int_equal(v.max_severity, DB_SEV_CRITICAL);
	assert_string_equal(v.matched_digest, C1);
	assert_int_equal(v.matched_kind, DB_DIGEST_CONFIG);
	/* Worst first; the repeated finding is stored once. */
	assert_int_equal(v.nfindings, 4);
	assert_string_equal(v.findings[0].id, "CVE-2024-0001");
	assert_string_equal(v.findings[0].pkg, "musl");
	assert_string_equal(v.findings[0].installed, "1.2.3");
	assert_string_equal(v.findings[0].fixed, "");
	assert_string_equal(v.findings[0].status, "affected");
	assert_int_equal(v.findings[0].severity, DB_SEV_CRITICAL);
	assert_int_equal(v.findings[0].fixable, 0);
	assert_string_equal(v.findings[1].id, "CVE-2024-0002");
	assert_string_equal(v.findings[1].fixed, "3.0.2");
	assert_int_equal(v.findings[1].fixable, 1);
	assert_string_equal(v.findings[2].id, "CVE-2024-0004");
	assert_string_equal(v.findings[3].id, "CVE-2024-0003");
	assert_int_equal(v.counts[DB_SEV_CRITICAL], 1);
	assert_int_equal(v.counts[DB_SEV_HIGH], 2);
	assert_int_equal(v.counts[DB_SEV_MEDIUM], 0);
	assert_int_equal(v.counts[DB_SEV_LOW], 1);
	/* Secrets by file, rule, line; the repeat stored once. */
	assert_int_equal(v.nsecrets, 2);
	assert_string_equal(v.secrets[0].target, "/app/deploy.sh");
	assert_string_equal(v.secrets[0].rule_id, "aws-access-key-id");
	assert_string_equal(v.secrets[0].title, "AWS Access Key ID");
	assert_int_equal(v.secrets[0].line, 3);
	assert_int_equal(v.secrets[0].severity, DB_SEV_CRITICAL);
	assert_string_equal(v.secrets[1].target, "/root/.ssh/id_rsa");
	assert_int_equal(v.secrets[1].severity, DB_SEV_HIGH);
	db_scan_view_cleanup(&v);
	assert_null(v.mem);
	db_scan_view_cleanup(&v);

	assert_int_equal(latest_id(f, M1), id);
	assert_int_equal(latest_id(f, I1), id);
	assert_int_equal(latest_id(f, M2), 0);
}

/* Secrets count in neither the findings nor the worst severity. */
static void
test_secrets_apart(void **state)
{
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	static const struct db_secret bad[] = {
		{ "/a", "r", "", 0, 9 },
	};
	struct db_scan_view v;
	struct rw_err err;
	const char *d = M1;
	int64_t n;

	r.findings = NULL;
	r.nfindings = 0;
	put(f, &r, NOW, 1);
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, &d, 1, &v, &err), RW_OK);
	assert_int_equal(v.nfindings, 0);
	assert_int_equal(v.max_severity, DB_SEV_UNKNOWN);
	assert_int_equal(v.nsecrets, 2);
	db_scan_view_cleanup(&v);
	assert_int_equal(db_count(f->db, "scan_secrets", &n, &err), RW_OK);
	assert_int_equal(n, 2);

	r.report_digest = R2;
	r.secrets = bad;
	r.nsecrets = 1;
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: secret 0 has severity 9");
	rw_err_clear(&err);
	r.secrets = NULL;
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: missing argument");
}

static void
test_idempotent(void **state)
{
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	char rev1[64], rev2[64];
	struct rw_err err;
	int64_t id;

	rw_err_clear(&err);
	assert_int_equal(db_scans_revision(f->db, rev1, &err), RW_OK);
	id = put(f, &r, NOW, 1);
	assert_int_equal(db_scans_revision(f->db, rev2, &err), RW_OK);
	assert_string_not_equal(rev1, rev2);
	/* The same bytes again, even with other content or later: no change. */
	r.scanned_at = NOW;
	r.nfindings = 1;
	assert_int_equal(put(f, &r, NOW + 50, 0), id);
	assert_int_equal(db_scans_revision(f->db, rev1, &err), RW_OK);
	assert_string_equal(rev1, rev2);
	assert_int_equal(latest_id(f, M1), id);
}

/* A newer scan of any of the digests supersedes; an older one does not. */
static void
test_supersede(void **state)
{
	static const char *const dig_b[] = { C1 };
	static const int kind_b[] = { DB_DIGEST_CONFIG };
	struct fixture *f = *state;
	struct db_scan_report a = report_a(), b = a, old = a, untimed = a,
	    tie = a;
	const char *both[] = { M1, I1 };
	struct db_scan_view v;
	struct rw_err err;
	int64_t ida, idb, idu, idt;

	ida = put(f, &a, NOW, 1);
	/* B scans the config again, later, and finds nothing. */
	b.report_digest = R2;
	b.scanned_at = NOW - 10;
	b.digests = dig_b;
	b.digest_kinds = kind_b;
	b.ndigests = 1;
	b.nfindings = 0;
	idb = put(f, &b, NOW + 1, 1);
	assert_int_equal(latest_id(f, C1), idb);
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, both, 2, &v, &err), RW_OK);
	assert_int_equal(v.id, ida);
	db_scan_view_cleanup(&v);
	/* A lookup by every digest of the image sees B, clean. */
	assert_int_equal(db_scan_latest(f->db, digests_a, 3, &v, &err), RW_OK);
	assert_int_equal(v.id, idb);
	assert_int_equal(v.nfindings, 0);
	assert_null(v.findings);
	assert_int_equal(v.max_severity, DB_SEV_UNKNOWN);
	db_scan_view_cleanup(&v);

	/* An older report imported later does not win. */
	old.report_digest = R3;
	old.scanned_at = NOW - 1000;
	put(f, &old, NOW + 2, 1);
	assert_int_equal(latest_id(f, C1), idb);

	/* A report without a scan time counts at its import time. */
	untimed.report_digest = R4;
	untimed.scanned_at = -1;
	idu = put(f, &untimed, NOW + 3, 1);
	assert_int_equal(latest_id(f, C1), idu);
	assert_int_equal(db_scan_latest(f->db, digests_a, 3, &v, &err), RW_OK);
	assert_int_equal(v.scanned_at, -1);
	assert_int_equal(v.imported_at, NOW + 3);
	db_scan_view_cleanup(&v);

	/* Same scan time: the later import wins. */
	tie.report_digest = "sha256:bbbb";
	tie.scanned_at = NOW + 3;
	idt = put(f, &tie, NOW + 4, 1);
	assert_true(idt > idu);
	assert_int_equal(latest_id(f, C1), idt);
}

static void
test_put_errors(void **state)
{
	static const int bad_kind[] = { DB_DIGEST_MANIFEST, 9, DB_DIGEST_INDEX };
	static const struct db_finding bad_sev[] = {
		{ "CVE-1", "p", "1", "", "", DB_SEV_LOW, 0 },
		{ "CVE-2", "p", "1", "", "", 6, 0 },
	};
	static const struct db_finding no_id[] = {
		{ NULL, "p", "1", "", "", DB_SEV_LOW, 0 },
	};
	struct fixture *f = *state;
	struct db_scan_report r;
	struct rw_err err;
	int64_t id = 77;
	int fresh = 77;

	r = report_a();
	r.scanner = "clair";
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, &r, NOW, &id, &fresh, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: unknown scanner \"clair\"");
	assert_int_equal(id, 77);
	assert_int_equal(fresh, 77);
	r = report_a();
	r.digest_kinds = bad_kind;
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: digest 1 has an unknown kind");
	r = report_a();
	r.findings = bad_sev;
	r.nfindings = 2;
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: finding 1 has severity 6");
	r = report_a();
	r.findings = no_id;
	r.nfindings = 1;
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: missing argument");
	r = report_a();
	r.ndigests = 0;
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_put: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_scan_put(f->db, NULL, NOW, NULL, NULL, &err),
	    RW_EINVAL);
	/* Nothing was stored. */
	assert_int_equal(latest_id(f, M1), 0);
}

static void
test_latest_errors(void **state)
{
	struct fixture *f = *state;
	const char *nine[9] = { M1, M1, M1, M1, M1, M1, M1, M1, M1 };
	const char *with_null[] = { M1, NULL };
	struct db_scan_view v;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, nine, 0, &v, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_latest: 0 digests (expected 1 "
	    "to 8)");
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, nine, 9, &v, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_latest: 9 digests (expected 1 "
	    "to 8)");
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, with_null, 2, &v, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_latest: missing argument");
	assert_null(v.mem);
	/* Eight is fine. */
	rw_err_clear(&err);
	assert_int_equal(db_scan_latest(f->db, nine, 8, &v, &err), RW_ENOTFOUND);
}

/* A failure after the first rows leaves nothing half-stored. */
static void
test_put_atomic(void **state)
{
	static const struct db_finding boom[] = {
		{ "CVE-1", "p", "1", "", "", DB_SEV_LOW, 0 },
		{ "BOOM", "p", "1", "", "", DB_SEV_LOW, 0 },
	};
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	char rev1[64], rev2[64];
	struct rw_err err;
	sqlite3 *h;

	if (tu_pg_url() != NULL) {
		tu_pg_exec("CREATE FUNCTION boom() RETURNS trigger "
		    "LANGUAGE plpgsql AS $$ BEGIN IF NEW.vuln_id = 'BOOM' "
		    "THEN RAISE EXCEPTION 'planted fault'; END IF; "
		    "RETURN NEW; END $$; CREATE TRIGGER boom BEFORE INSERT "
		    "ON vulns FOR EACH ROW EXECUTE FUNCTION boom()");
	} else {
		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "CREATE TRIGGER boom BEFORE "
		    "INSERT ON vulns WHEN NEW.vuln_id = 'BOOM' BEGIN SELECT "
		    "RAISE(ABORT, 'planted fault'); END", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(h);
	}
	rw_err_clear(&err);
	assert_int_equal(db_scans_revision(f->db, rev1, &err), RW_OK);
	r.findings = boom;
	r.nfindings = 2;
	assert_int_equal(db_scan_put(f->db, &r, NOW, NULL, NULL, &err), RW_EDB);
	assert_string_equal(err.msg, tu_pg_url() != NULL ?
	    "pq_step: planted fault" : "sqlite3_step: planted fault");
	assert_int_equal(latest_id(f, M1), 0);
	assert_int_equal(db_scans_revision(f->db, rev2, &err), RW_OK);
	assert_string_equal(rev1, rev2);
	/* The same report goes in once the fault is gone. */
	r.nfindings = 1;
	assert_true(put(f, &r, NOW, 1) > 0);
}

/* ------------------------------------------------------------- scans ls */

struct rows {
	char	 text[2048];
	size_t	 n;
};

static int
collect(const struct db_scan_row *r, void *arg)
{
	struct rows *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%lld %s %d/%zu "
	    "[%zu %zu %zu %zu] %s%s | %s | %s\n", (long long)r->id, r->scanner,
	    r->max_severity, r->nfindings, r->counts[DB_SEV_CRITICAL],
	    r->counts[DB_SEV_HIGH], r->counts[DB_SEV_MEDIUM],
	    r->counts[DB_SEV_LOW], r->superseded ? "superseded " : "",
	    r->artifact, r->images, r->digests);
	c->n++;
	return 0;
}

static const char *
list(struct fixture *f, const char *glob, int failing, struct rows *c)
{
	struct rw_err err;

	memset(c, 0, sizeof(*c));
	rw_err_clear(&err);
	if (db_scan_list(f->db, glob, failing, collect, c, &err) != RW_OK)
		fail_msg("db_scan_list: %s", err.msg);
	return c->text;
}

static int
stop_at_first(const struct db_scan_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 42;
}

static void
test_scan_list(void **state)
{
	static const char *const dig_b[] = { M2 };
	static const int kind_b[] = { DB_DIGEST_MANIFEST };
	static const struct db_ref refs[] = { { DB_REF_CONFIG, C1 } };
	struct fixture *f = *state;
	struct db_scan_report a = report_a(), b = a, c = a;
	struct rows rows;
	struct rw_err err;
	int calls = 0;

	assert_string_equal(list(f, NULL, 0, &rows), "");
	put(f, &a, NOW, 1);
	b.report_digest = R2;
	b.artifact = "ghcr.io/org/app@" M2;
	b.digests = dig_b;
	b.digest_kinds = kind_b;
	b.ndigests = 1;
	b.findings = &findings[2];
	b.nfindings = 1;
	b.scanned_at = NOW - 50;
	put(f, &b, NOW, 1);
	/* Pulled through regwarden: M1 in one repo, its config C1 in another. */
	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(f->db, "hub", "library/nginx", M1,
	    OCI_MANIFEST, "{}", 2, refs, 1, NOW, &err), RW_OK);
	assert_int_equal(db_manifest_put(f->db, "hub", "mirror/nginx", M2,
	    OCI_MANIFEST, "{}", 2, refs, 1, NOW, &err), RW_OK);
	assert_string_equal(list(f, NULL, 0, &rows),
	    "2 trivy 2/1 [0 0 0 1] ghcr.io/org/app@" M2 " | hub/mirror/nginx | "
	    "manifest " M2 "\n"
	    "1 trivy 5/4 [1 2 0 1] docker.io/library/nginx:1.25 | "
	    "hub/library/nginx hub/mirror/nginx | manifest " M1 " index " I1
	    " config " C1 "\n");
	/* Globs see upstream/repo, repo, and the artifact without its tag. */
	assert_string_equal(list(f, "library/*", 0, &rows),
	    "1 trivy 5/4 [1 2 0 1] docker.io/library/nginx:1.25 | "
	    "hub/library/nginx hub/mirror/nginx | manifest " M1 " index " I1
	    " config " C1 "\n");
	list(f, "hub/mirror/**", 0, &rows);
	assert_int_equal(rows.n, 2);
	list(f, "ghcr.io/org/app", 0, &rows);
	assert_int_equal(rows.n, 1);
	assert_true(strncmp(rows.text, "2 ", 2) == 0);
	list(f, "docker.io/library/nginx", 0, &rows);
	assert_int_equal(rows.n, 1);
	list(f, "quay.io/**", 0, &rows);
	assert_int_equal(rows.n, 0);
	/* Failing: worst finding at least the given severity. */
	list(f, NULL, DB_SEV_HIGH, &rows);
	assert_int_equal(rows.n, 1);
	list(f, NULL, DB_SEV_LOW, &rows);
	assert_int_equal(rows.n, 2);
	/* A newer clean scan of M1 supersedes scan 1: no longer failing. */
	c.report_digest = R3;
	c.digests = digests_a;
	c.ndigests = 1;
	c.nfindings = 0;
	c.scanned_at = NOW;
	put(f, &c, NOW, 1);
	list(f, NULL, 0, &rows);
	assert_int_equal(rows.n, 3);
	assert_non_null(strstr(rows.text, "\n1 trivy 5/4 [1 2 0 1] superseded "));
	list(f, NULL, DB_SEV_HIGH, &rows);
	assert_int_equal(rows.n, 0);
	/* The callback's value comes back and stops the listing. */
	assert_int_equal(db_scan_list(f->db, NULL, 0, stop_at_first, &calls,
	    &err), 42);
	assert_int_equal(calls, 1);
	rw_err_clear(&err);
	assert_int_equal(db_scan_list(f->db, NULL, 6, stop_at_first, &calls,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_list: severity 6 is out of range");
	assert_int_equal(calls, 1);
}

/* ----------------------------------------------------------- exceptions */

static int
exc_collect(const struct db_exception *e, void *arg)
{
	struct rows *c = arg;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%lld %s %s %s %lld "
	    "%s %s %lld %s\n", (long long)e->id, e->vuln_id != NULL ?
	    e->vuln_id : "(null)", e->pkg != NULL ? e->pkg : "(null)",
	    e->repo_glob, (long long)e->expires, e->reason, e->added_by,
	    (long long)e->added_at, e->source);
	c->n++;
	return 0;
}

static const char *
exc_list(struct fixture *f, struct rows *c)
{
	struct rw_err err;

	memset(c, 0, sizeof(*c));
	rw_err_clear(&err);
	if (db_exception_list(f->db, exc_collect, c, &err) != RW_OK)
		fail_msg("db_exception_list: %s", err.msg);
	return c->text;
}

static void
test_exceptions(void **state)
{
	struct fixture *f = *state;
	struct db_exception *rows;
	char rev[4][64];
	struct rows c;
	struct rw_err err;
	int64_t id1, id2, id3;
	size_t n;

	rw_err_clear(&err);
	assert_string_equal(exc_list(f, &c), "");
	assert_int_equal(db_exceptions_for(f->db, &rows, &n, &err), RW_OK);
	assert_null(rows);
	assert_int_equal(n, 0);
	assert_int_equal(db_scans_revision(f->db, rev[0], &err), RW_OK);
	assert_int_equal(db_exception_add(f->db, "CVE-2024-0001", NULL,
	    "docker.io/library/nginx", NOW + 86400, "upstream fix pending",
	    "alice", NOW, &id1, &err), RW_OK);
	assert_int_equal(db_scans_revision(f->db, rev[1], &err), RW_OK);
	assert_string_not_equal(rev[0], rev[1]);
	assert_int_equal(db_exception_add(f->db, "", "musl", "docker.io/**",
	    NOW - 1, "expired already", "bob", NOW - 100, &id2, &err), RW_OK);
	assert_int_equal(db_exception_add(f->db, "CVE-2024-0002", "openssl",
	    "ghcr.io/org/*", NOW + 60, "both", "carol", NOW, &id3, &err), RW_OK);
	assert_int_equal(id2, id1 + 1);
	assert_int_equal(id3, id2 + 1);
	assert_string_equal(exc_list(f, &c),
	    "1 CVE-2024-0001 (null) docker.io/library/nginx 1700086400 "
	    "upstream fix pending alice 1700000000 cli\n"
	    "2 (null) musl docker.io/** 1699999999 expired already bob "
	    "1699999900 cli\n"
	    "3 CVE-2024-0002 openssl ghcr.io/org/* 1700000060 both carol "
	    "1700000000 cli\n");
	/* The decision path gets every row, expired ones too, in one block. */
	assert_int_equal(db_exceptions_for(f->db, &rows, &n, &err), RW_OK);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].id, id1);
	assert_string_equal(rows[0].vuln_id, "CVE-2024-0001");
	assert_null(rows[0].pkg);
	assert_string_equal(rows[0].reason, "upstream fix pending");
	assert_null(rows[1].vuln_id);
	assert_string_equal(rows[1].pkg, "musl");
	assert_int_equal(rows[1].expires, NOW - 1);
	assert_string_equal(rows[2].repo_glob, "ghcr.io/org/*");
	assert_string_equal(rows[2].source, "cli");
	db_exceptions_free(rows, n);
	db_exceptions_free(NULL, 0);

	/* Removing the newest never frees its id for another exception. */
	assert_int_equal(db_scans_revision(f->db, rev[1], &err), RW_OK);
	assert_int_equal(db_exception_rm(f->db, id3, &err), RW_OK);
	assert_int_equal(db_scans_revision(f->db, rev[2], &err), RW_OK);
	assert_string_not_equal(rev[1], rev[2]);
	rw_err_clear(&err);
	assert_int_equal(db_exception_rm(f->db, id3, &err), RW_ENOTFOUND);
	assert_string_equal(err.msg, "");
	assert_int_equal(db_scans_revision(f->db, rev[3], &err), RW_OK);
	assert_string_equal(rev[2], rev[3]);
	assert_int_equal(db_exception_add(f->db, "CVE-2024-0009", NULL, "a.io/b",
	    NOW + 5, "r", "dan", NOW, &id3, &err), RW_OK);
	assert_int_equal(id3, 4);
	exc_list(f, &c);
	assert_int_equal(c.n, 3);

	rw_err_clear(&err);
	assert_int_equal(db_exception_add(f->db, NULL, "", "a.io/b", NOW, "r",
	    "dan", NOW, NULL, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_exception_add: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_exception_add(f->db, "CVE-1", NULL, "a.io/b", NOW,
	    NULL, "dan", NOW, NULL, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_exception_add: missing argument");
}

/* The revision lives in the file: other processes and reopens see it. */
static void
test_revision_shared(void **state)
{
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	char a[64], b[64], c[64], pin[RW_DIGEST_MAX] = "";
	struct rw_err err;
	struct db *other;
	int i;

	rw_err_clear(&err);
	assert_int_equal(db_open(f->path, &other, &err), RW_OK);
	assert_int_equal(db_scans_revision(f->db, a, &err), RW_OK);
	assert_int_equal(db_scans_revision(other, b, &err), RW_OK);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 14);	/* 12 hex digits, ".0" */
	assert_string_equal(a + 12, ".0");
	put(f, &r, NOW, 1);
	/*
	 * PostgreSQL: OTHER answers from memory until the notification of
	 * the change arrives (milliseconds); bounded wait, 5 s at most.
	 */
	for (i = 0; i < 500; i++) {
		assert_int_equal(db_scans_revision(other, c, &err), RW_OK);
		if (strcmp(b, c) != 0)
			break;
		usleep(10 * 1000);
	}
	assert_string_not_equal(b, c);
	/* Pins the same way: set through F->db, seen through OTHER. */
	assert_int_equal(db_pin_get(other, "docker.io", "x", "1", pin,
	    sizeof(pin), &err), RW_ENOTFOUND);
	assert_int_equal(db_pin_set(f->db, "docker.io", "x", "1", M1, "dan",
	    "cli", NOW, &err), RW_OK);
	for (i = 0; i < 500; i++) {
		if (db_pin_get(other, "docker.io", "x", "1", pin, sizeof(pin),
		    &err) == RW_OK)
			break;
		usleep(10 * 1000);
	}
	assert_string_equal(pin, M1);
	assert_int_equal(db_scans_revision(f->db, a, &err), RW_OK);
	assert_string_equal(a, c);
	db_close(other);
}

/*
 * db migrate's copy: a SQLite store with a scan, an exception, a pin, an
 * audit row, a manifest and a first admission, copied into the fixture's store (PostgreSQL
 * when the tests run against it); again, adding nothing; ids kept, and new
 * ids past them.
 */
static void
test_copy(void **state)
{
	struct fixture *f = *state;
	struct db_scan_report r = report_a();
	const struct db_ref ref = { DB_REF_LAYER, "sha256:l1" };
	struct db_audit_row row = { .ts = NOW, .request_id = "rq1",
	    .operation = "pull", .repo = "library/nginx", .verdict = "allow" };
	char path[160], digest[RW_DIGEST_MAX], *body = NULL, mt[64];
	int64_t sid, xid, xid2, read, added, n;
	int version;
	struct rw_err err;
	struct db *src;
	size_t i, len;

	snprintf(path, sizeof(path), "%s/source.db", f->dir);
	rw_err_clear(&err);
	assert_int_equal(db_open(path, &src, &err), RW_OK);
	assert_int_equal(db_scan_put(src, &r, NOW, &sid, NULL, &err), RW_OK);
	assert_int_equal(db_exception_add(src, "CVE-2024-0001", NULL,
	    "docker.io/**", NOW + 3600, "why", "dan", NOW, &xid, &err), RW_OK);
	assert_int_equal(db_pin_set(src, "docker.io", "library/nginx", "1.25",
	    M1, "dan", "cli", NOW, &err), RW_OK);
	assert_int_equal(db_audit_add(src, &row, &err), RW_OK);
	assert_int_equal(db_manifest_put(src, "hub", "library/nginx", M1,
	    "application/json", "{\0}", 3, &ref, 1, NOW, &err), RW_OK);
	assert_int_equal(db_admitted_note(src, "docker.io", "library/nginx", M1,
	    NOW - 5, &err), RW_OK);
	for (i = 0; db_table_name(i) != NULL; i++) {
		assert_int_equal(db_copy_table(src, f->db, db_table_name(i),
		    &read, &added, &err), RW_OK);
		assert_int_equal(read, added);
		assert_int_equal(db_count(f->db, db_table_name(i), &n, &err),
		    RW_OK);
		assert_int_equal(n, read);
	}
	assert_int_equal(db_count(f->db, "vulns", &n, &err), RW_OK);
	assert_int_equal(n, 4);
	assert_int_equal(db_count(f->db, "scan_secrets", &n, &err), RW_OK);
	assert_int_equal(n, 2);
	/* Idempotent: every row is there already. */
	for (i = 0; db_table_name(i) != NULL; i++) {
		assert_int_equal(db_copy_table(src, f->db, db_table_name(i),
		    &read, &added, &err), RW_OK);
		assert_int_equal(added, 0);
	}
	assert_int_equal(latest_id(f, M1), sid);
	assert_int_equal(db_pin_get(f->db, "docker.io", "library/nginx",
	    "1.25", digest, sizeof(digest), &err), RW_OK);
	assert_string_equal(digest, M1);
	assert_int_equal(db_manifest_get(f->db, "hub", "library/nginx", M1,
	    &body, &len, mt, sizeof(mt), &err), RW_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(body, "{\0}", 3);
	free(body);
	/* The first admissions travel too (scan grace periods need them). */
	assert_int_equal(db_admitted_first(f->db, "docker.io", "library/nginx",
	    M1, &n, &err), RW_OK);
	assert_int_equal(n, NOW - 5);
	assert_int_equal(db_exception_add(f->db, "CVE-2024-0002", NULL,
	    "docker.io/**", NOW + 3600, "why", "dan", NOW, &xid2, &err),
	    RW_OK);
	assert_true(xid2 > xid);
	assert_int_equal(db_copy_table(src, f->db, "nope", &read, &added,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "unknown table \"nope\"");
	assert_int_equal(db_version(f->db, &version, &err), RW_OK);
	assert_int_equal(version, db_schema_version());
	db_close(src);
	unlink(path);
}

/* One scanner run per digest: the claim, its lease, its outcome. */
static void
test_scan_claims(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	char msg[64];
	int st;

	rw_err_clear(&err);
	assert_int_equal(db_scan_claim(f->db, M1, "a", NOW, 60, &err), 1);
	assert_int_equal(db_scan_claim(f->db, M1, "b", NOW + 59, 60, &err), 0);
	assert_int_equal(db_scan_claim(f->db, M1, "a", NOW, 60, &err), 0);
	assert_int_equal(db_scan_claim(f->db, M2, "b", NOW, 60, &err), 1);
	assert_int_equal(db_scan_claim_get(f->db, M1, NOW, &st, msg,
	    sizeof(msg), &err), RW_OK);
	assert_int_equal(st, DB_CLAIM_RUNNING);
	/* Only the owner ends it. */
	assert_int_equal(db_scan_claim_end(f->db, M1, "b", DB_CLAIM_DONE, "",
	    NOW, 30, &err), RW_OK);
	assert_int_equal(db_scan_claim_get(f->db, M1, NOW, &st, msg,
	    sizeof(msg), &err), RW_OK);
	assert_int_equal(st, DB_CLAIM_RUNNING);
	assert_int_equal(db_scan_claim_end(f->db, M1, "a", DB_CLAIM_FAILED,
	    "the scanner exited with status 1", NOW + 5, 30, &err), RW_OK);
	assert_int_equal(db_scan_claim_get(f->db, M1, NOW + 34, &st, msg,
	    sizeof(msg), &err), RW_OK);
	assert_int_equal(st, DB_CLAIM_FAILED);
	assert_string_equal(msg, "the scanner exited with status 1");
	/* Kept until NOW + 5 + 30, then anyone may claim it again. */
	assert_int_equal(db_scan_claim(f->db, M1, "b", NOW + 34, 60, &err), 0);
	assert_int_equal(db_scan_claim_get(f->db, M1, NOW + 35, &st, msg,
	    sizeof(msg), &err), RW_OK);
	assert_int_equal(st, DB_CLAIM_NONE);
	assert_int_equal(db_scan_claim(f->db, M1, "b", NOW + 35, 60, &err), 1);
	assert_int_equal(db_scan_claim_get(f->db, M1, NOW + 35, &st, msg,
	    sizeof(msg), &err), RW_OK);
	assert_int_equal(st, DB_CLAIM_RUNNING);
	assert_string_equal(msg, "");
	/* A finished scan (its report is in) is claimed again at once: only
	 * a rescan asks for it, and it must run, not reuse the old outcome. */
	assert_int_equal(db_scan_claim_end(f->db, M2, "b", DB_CLAIM_DONE, "",
	    NOW + 1, 30, &err), RW_OK);
	assert_int_equal(db_scan_claim(f->db, M2, "a", NOW + 2, 60, &err), 1);
	assert_int_equal(db_scan_claim(f->db, M2, "b", NOW + 3, 60, &err), 0);
	assert_int_equal(db_scan_claim(f->db, M1, NULL, NOW, 60, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_scan_claim: missing argument");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test_setup_teardown(test_put_and_latest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secrets_apart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supersede, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exceptions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revision_shared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_claims, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
