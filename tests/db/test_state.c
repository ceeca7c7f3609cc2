/* test_state.c - migration 2: decisions, the blob gate, audit and pins. */
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

#include "db/db.h"
#include "tests/testutil.h"
#include "db/internal.h"	/* db_glob_match, a unit of its own */
#include "util/util.h"

#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define REV		"sha256:rev1"

static int
setup(void **state)
{
	struct rw_err err;
	struct db *db = NULL;

	rw_err_clear(&err);
	if (db_open(tu_db_target(":memory:"), &db, &err) != RW_OK)
		return -1;
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static void
put_manifest(struct db *db, const char *repo, const char *digest,
    const struct db_ref *refs, size_t nrefs, int64_t now)
{
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", repo, digest, OCI_MANIFEST,
	    "{}", 2, refs, nrefs, now, &err), RW_OK);
}

static void
decide(struct db *db, const char *rev, const char *repo, const char *digest,
    const char *ref, const char *verdict, const char *mode, int64_t expires)
{
	const struct db_decision_key k = { rev, "hub", repo, digest, ref };
	const struct db_decision d = { .verdict = verdict, .mode = mode,
	    .rule = "r", .decided_at = 1, .expires_at = expires };
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_decision_put(db, &k, &d, &err), RW_OK);
	assert_string_equal(err.msg, "");
}

static void
test_schema_version(void **state)
{
	(void)state;
	assert_int_equal(db_schema_version(), 7);
}

static void
test_decision_round_trip(void **state)
{
	struct db *db = *state;
	const struct db_decision_key k = { REV, "hub", "library/nginx",
	    "sha256:m1", "1.25" };
	struct db_decision_key other = k;
	const struct db_decision in = { .verdict = "deny", .mode = "enforce",
	    .rule = "no-root", .rule_file = "/etc/regwarden/policy.json",
	    .rule_line = 14, .reasons_json = "[{\"check\":\"image.user\"}]",
	    .message = "regwarden: runs as root", .decided_at = 1700000000,
	    .expires_at = 1700000300 };
	struct db_decision out;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_decision_put(db, &k, &in, &err), RW_OK);
	assert_int_equal(db_decision_get(db, &k, 1700000000, &out, &err), RW_OK);
	assert_string_equal(out.verdict, "deny");
	assert_string_equal(out.mode, "enforce");
	assert_string_equal(out.rule, "no-root");
	assert_string_equal(out.rule_file, "/etc/regwarden/policy.json");
	assert_int_equal(out.rule_line, 14);
	assert_string_equal(out.reasons_json, "[{\"check\":\"image.user\"}]");
	assert_string_equal(out.message, "regwarden: runs as root");
	assert_int_equal(out.decided_at, 1700000000);
	assert_int_equal(out.expires_at, 1700000300);
	db_decision_cleanup(&out);
	assert_null(out.mem);
	db_decision_cleanup(&out);

	/* The same digest pulled by digest is another decision. */
	other.ref = "";
	assert_int_equal(db_decision_get(db, &other, 1, &out, &err),
	    RW_ENOTFOUND);
	assert_null(out.verdict);
	other = k;
	other.policy_rev = "sha256:rev2";
	assert_int_equal(db_decision_get(db, &other, 1, &out, &err),
	    RW_ENOTFOUND);
	assert_string_equal(err.msg, "");

	/* A new decision replaces the old; NULL texts read back as defaults. */
	decide(db, REV, "library/nginx", "sha256:m1", "1.25", "allow", "warn", 0);
	assert_int_equal(db_decision_get(db, &k, 1, &out, &err), RW_OK);
	assert_string_equal(out.verdict, "allow");
	assert_string_equal(out.mode, "warn");
	assert_string_equal(out.rule_file, "");
	assert_string_equal(out.reasons_json, "[]");
	assert_string_equal(out.message, "");
	assert_int_equal(out.expires_at, 0);
	db_decision_cleanup(&out);
}

static void
test_decision_expiry(void **state)
{
	struct db *db = *state;
	const struct db_decision_key k = { REV, "hub", "r", "sha256:m", "" };
	const struct db_decision_key forever = { REV, "hub", "r", "sha256:f",
	    "" };
	struct db_decision out;
	struct rw_err err;

	decide(db, REV, "r", "sha256:m", "", "deny", "enforce", 1000);
	decide(db, REV, "r", "sha256:f", "", "allow", "enforce", 0);
	rw_err_clear(&err);
	assert_int_equal(db_decision_get(db, &k, 999, &out, &err), RW_OK);
	db_decision_cleanup(&out);
	/* Expiring at NOW means gone at NOW. */
	assert_int_equal(db_decision_get(db, &k, 1000, &out, &err),
	    RW_ENOTFOUND);
	assert_int_equal(db_decision_get(db, &k, 1001, &out, &err),
	    RW_ENOTFOUND);
	assert_int_equal(db_decision_get(db, &forever, INT64_MAX, &out, &err),
	    RW_OK);
	db_decision_cleanup(&out);
	assert_string_equal(err.msg, "");

	/* Pruning keeps the current revision's live rows only. */
	decide(db, "sha256:old", "r", "sha256:f", "", "allow", "enforce", 0);
	assert_int_equal(db_decision_prune(db, REV, 1000, &err), RW_OK);
	assert_int_equal(db_admitted(db, "sha256:old", "hub", "r", "sha256:f", 1,
	    &err), 0);
	assert_int_equal(db_decision_get(db, &k, 1, &out, &err), RW_ENOTFOUND);
	assert_int_equal(db_decision_get(db, &forever, 1, &out, &err), RW_OK);
	db_decision_cleanup(&out);
}

static void
expect_put_error(struct db *db, const struct db_decision_key *k,
    const struct db_decision *d, const char *want)
{
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_decision_put(db, k, d, &err), RW_EINVAL);
	assert_string_equal(err.msg, want);
}

static void
test_decision_errors(void **state)
{
	struct db *db = *state;
	const struct db_decision_key k = { REV, "hub", "r", "sha256:m", "" };
	const struct db_decision_key nokey = { REV, "hub", "r", "sha256:m",
	    NULL };
	struct db_decision d = { .verdict = "alow", .mode = "enforce" };
	struct db_decision out;
	struct rw_err err;

	expect_put_error(db, &k, &d,
	    "db_decision_put: unknown verdict \"alow\"");
	d.verdict = "deny";
	d.mode = "dry-run";
	expect_put_error(db, &k, &d, "db_decision_put: unknown mode \"dry-run\"");
	d.mode = "audit";
	d.expires_at = -5;
	expect_put_error(db, &k, &d, "db_decision_put: expires_at is negative");
	d.expires_at = 0;
	expect_put_error(db, &nokey, &d, "db_decision_put: missing argument");
	d.mode = NULL;
	expect_put_error(db, &k, &d, "db_decision_put: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_decision_get(db, &nokey, 0, &out, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_decision_get: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_admitted(db, REV, "hub", NULL, "sha256:m", 0, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_admitted: missing argument");
	/* Nothing was stored by the failed puts. */
	assert_int_equal(db_decision_get(db, &k, 0, &out, &err), RW_ENOTFOUND);
}

static void
test_admitted(void **state)
{
	static const struct {
		const char	*verdict, *mode;
		int64_t		 expires;
		int		 want;
	} rows[] = {
		{ "allow", "enforce", 0, 1 },
		{ "warn", "warn", 0, 1 },
		{ "deny", "enforce", 0, 0 },
		{ "deny", "warn", 0, 1 },	/* warn mode serves it */
		{ "deny", "audit", 0, 1 },	/* audit mode only records */
		{ "allow", "enforce", 50, 0 },	/* expired at now = 100 */
		{ "allow", "enforce", 101, 1 },
	};
	struct db *db = *state;
	struct rw_err err;
	char digest[32];
	size_t i;

	rw_err_clear(&err);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(digest, sizeof(digest), "sha256:d%zu", i);
		decide(db, REV, "r", digest, "v1", rows[i].verdict, rows[i].mode,
		    rows[i].expires);
		assert_int_equal(db_admitted(db, REV, "hub", "r", digest, 100,
		    &err), rows[i].want);
		assert_int_equal(db_admitted(db, "sha256:rev2", "hub", "r",
		    digest, 100, &err), 0);
		assert_int_equal(db_admitted(db, REV, "hub", "other", digest,
		    100, &err), 0);
	}
	/* Any reference admitting is enough. */
	decide(db, REV, "r", "sha256:d2", "", "allow", "enforce", 0);
	assert_int_equal(db_admitted(db, REV, "hub", "r", "sha256:d2", 100,
	    &err), 1);
	assert_string_equal(err.msg, "");
}

static void
test_blob_admitted(void **state)
{
	struct db *db = *state;
	const struct db_ref denied[] = { { DB_REF_CONFIG, "sha256:c1" },
	    { DB_REF_LAYER, "sha256:l1" }, { DB_REF_LAYER, "sha256:shared" } };
	const struct db_ref allowed[] = { { DB_REF_CONFIG, "sha256:c2" },
	    { DB_REF_LAYER, "sha256:l2" }, { DB_REF_LAYER, "sha256:shared" } };
	const struct db_ref sig[] = { { DB_REF_SUBJECT, "sha256:m1" },
	    { DB_REF_LAYER, "sha256:sigblob" } };
	struct rw_err err;

	put_manifest(db, "app", "sha256:m1", denied, 3, 1);
	put_manifest(db, "app", "sha256:m2", allowed, 3, 1);
	put_manifest(db, "app", "sha256:sig", sig, 2, 1);
	decide(db, REV, "app", "sha256:m1", "bad", "deny", "enforce", 0);
	decide(db, REV, "app", "sha256:m2", "good", "allow", "enforce", 500);
	decide(db, REV, "app", "sha256:sig", "", "allow", "enforce", 0);
	rw_err_clear(&err);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:l1", 1,
	    &err), 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:c1", 1,
	    &err), 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:l2", 1,
	    &err), 1);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:c2", 1,
	    &err), 1);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app",
	    "sha256:shared", 1, &err), 1);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app",
	    "sha256:sigblob", 1, &err), 1);
	/* A subject names a manifest: an admitted signature is no way in. */
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:m1", 1,
	    &err), 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:zz", 1,
	    &err), 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "other", "sha256:l2",
	    1, &err), 0);
	assert_int_equal(db_blob_admitted(db, "sha256:rev2", "hub", "app",
	    "sha256:l2", 1, &err), 0);
	/* Once the allow expires, the shared layer has no admitted owner. */
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app",
	    "sha256:shared", 500, &err), 0);
	assert_string_equal(err.msg, "");
	rw_err_clear(&err);
	assert_int_equal(db_blob_admitted(db, REV, NULL, "app", "sha256:l2", 1,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_blob_admitted: missing argument");
}

static void
test_index_children(void **state)
{
	struct db *db = *state;
	const struct db_ref child_refs[] = { { DB_REF_CONFIG, "sha256:cc" },
	    { DB_REF_LAYER, "sha256:lc" } };
	const struct db_ref idx1[] = { { DB_REF_CHILD, "sha256:child" } };
	const struct db_ref idx2[] = { { DB_REF_CHILD, "sha256:child" },
	    { DB_REF_CHILD, "sha256:arm" } };
	struct rw_err err;
	char parent[RW_DIGEST_MAX], small[8];

	put_manifest(db, "app", "sha256:child", child_refs, 2, 5);
	put_manifest(db, "app", "sha256:i1", idx1, 1, 10);
	put_manifest(db, "app", "sha256:i2", idx2, 2, 20);
	rw_err_clear(&err);
	/* The newest index listing the child wins. */
	assert_int_equal(db_parent_of(db, "hub", "app", "sha256:child", parent,
	    sizeof(parent), &err), RW_OK);
	assert_string_equal(parent, "sha256:i2");
	assert_int_equal(db_parent_of(db, "hub", "app", "sha256:arm", parent,
	    sizeof(parent), &err), RW_OK);
	assert_string_equal(parent, "sha256:i2");
	assert_int_equal(db_parent_of(db, "hub", "app", "sha256:i1", parent,
	    sizeof(parent), &err), RW_ENOTFOUND);
	assert_int_equal(db_parent_of(db, "hub", "app", "sha256:cc", parent,
	    sizeof(parent), &err), RW_ENOTFOUND);
	assert_int_equal(db_parent_of(db, "hub", "other", "sha256:child",
	    parent, sizeof(parent), &err), RW_ENOTFOUND);
	assert_string_equal(err.msg, "");
	assert_int_equal(db_parent_of(db, "hub", "app", "sha256:child", small,
	    sizeof(small), &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "parent digest does not fit in 8 bytes");

	/* The child's layers are admitted once an index listing it is. */
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:lc", 1,
	    &err), 0);
	decide(db, REV, "app", "sha256:i1", "v1", "deny", "enforce", 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:lc", 1,
	    &err), 0);
	decide(db, REV, "app", "sha256:i2", "v2", "allow", "enforce", 0);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:lc", 1,
	    &err), 1);
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:cc", 1,
	    &err), 1);
	/* A child named as a blob is not a blob of the index. */
	assert_int_equal(db_blob_admitted(db, REV, "hub", "app", "sha256:child",
	    1, &err), 0);
}

/* ------------------------------------------------------------------ glob */

static void
test_glob(void **state)
{
	static const struct {
		const char	*pat, *text;
		int		 want;
	} cases[] = {
		{ "library/nginx", "library/nginx", 1 },
		{ "library/nginx", "library/nginx2", 0 },
		{ "library/*", "library/nginx", 1 },
		{ "library/*", "library/a/b", 0 },
		{ "library/*", "library/", 1 },
		{ "*", "nginx", 1 },
		{ "*", "a/b", 0 },
		{ "**", "a/b/c", 1 },
		{ "**", "", 1 },
		{ "docker.io/**", "docker.io/library/nginx", 1 },
		{ "docker.io/**", "ghcr.io/library/nginx", 0 },
		{ "a/**/b", "a/b", 1 },
		{ "a/**/b", "a/x/y/b", 1 },
		{ "a/**/b", "a/xb", 0 },
		{ "**/nginx", "nginx", 1 },
		{ "**/nginx", "docker.io/library/nginx", 1 },
		{ "**/nginx", "docker.io/library/xnginx", 0 },
		{ "a**b", "a/x/b", 1 },
		{ "team-*/app", "team-a/app", 1 },
		{ "team-*/app", "team-a/b/app", 0 },
		{ "*/*", "a/b", 1 },
		{ "*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		{ "Library/*", "library/x", 0 },
		{ "", "", 1 },
		{ "", "x", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (db_glob_match(cases[i].pat, cases[i].text) != cases[i].want)
			fail_msg("glob \"%s\" vs \"%s\": expected %d",
			    cases[i].pat, cases[i].text, cases[i].want);
	}
}

/* ----------------------------------------------------------------- audit */

static void
add_audit(struct db *db, int64_t ts, const char *host, const char *repo,
    const char *verdict)
{
	const struct db_audit_row r = { .ts = ts, .request_id = "req",
	    .operation = "pull", .host = host, .repo = repo,
	    .reference = "v1", .verdict = verdict, .mode = "enforce" };
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_audit_add(db, &r, &err), RW_OK);
}

struct seen {
	char	 text[4096];
	size_t	 n;
	size_t	 stop_at;	/* return 7 at this row (1-based); 0 never */
};

static int
collect(const struct db_audit_row *r, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s%lld:%s",
	    len > 0 ? " " : "", (long long)r->ts, r->repo);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

/* Rows passing F, as "ts:repo ts:repo ...". */
static const char *
query(struct db *db, const struct db_audit_filter *f, struct seen *s)
{
	struct rw_err err;

	memset(s, 0, sizeof(*s));
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, f, collect, s, &err), RW_OK);
	assert_string_equal(err.msg, "");
	return s->text;
}

struct fields {
	char	 buf[1024];
	int64_t	 last_id;
};

/* Every field of each row, checked while the row is still valid. */
static int
capture(const struct db_audit_row *r, void *arg)
{
	struct fields *f = arg;
	size_t len = strlen(f->buf);

	snprintf(f->buf + len, sizeof(f->buf) - len, "%s%lld|%s|%s|%s|%s|%s|"
	    "%s|%s|%s|%s|%s|%s|%s|%s|%d|%s|%s", len > 0 ? " || " : "",
	    (long long)r->ts, r->request_id, r->client, r->identity,
	    r->operation, r->upstream, r->host, r->repo, r->reference,
	    r->digest, r->verdict, r->mode, r->rule, r->rule_file,
	    r->rule_line, r->reasons_json, r->message);
	f->last_id = r->id;
	return 0;
}

static void
test_audit_fields(void **state)
{
	struct db *db = *state;
	const struct db_audit_row in = { .ts = 1700000000, .request_id = "r1",
	    .client = "10.0.0.7", .identity = "alice", .operation = "pull",
	    .upstream = "hub", .host = "docker.io", .repo = "library/nginx",
	    .reference = "latest", .digest = "sha256:m", .verdict = "deny",
	    .mode = "enforce", .rule = "no-latest", .rule_file = "p.json",
	    .rule_line = 9, .reasons_json = "[1]", .message = "regwarden: no" };
	const struct db_audit_row sparse = { .ts = 1700000001,
	    .operation = "push", .repo = "x", .verdict = "error" };
	struct db_audit_row bad = sparse;
	struct db_audit_filter f;
	struct rw_err err;
	struct fields got;

	rw_err_clear(&err);
	assert_int_equal(db_audit_add(db, &in, &err), RW_OK);
	assert_int_equal(db_audit_add(db, &sparse, &err), RW_OK);
	memset(&f, 0, sizeof(f));
	memset(&got, 0, sizeof(got));
	assert_int_equal(db_audit_query(db, &f, capture, &got, &err), RW_OK);
	/* NULL columns come back as "" and a missing rule line as 0. */
	assert_string_equal(got.buf, "1700000000|r1|10.0.0.7|alice|pull|hub|"
	    "docker.io|library/nginx|latest|sha256:m|deny|enforce|no-latest|"
	    "p.json|9|[1]|regwarden: no || 1700000001||||push|||x|||error||||0"
	    "||");
	assert_int_equal(got.last_id, 2);

	bad.verdict = "maybe";
	assert_int_equal(db_audit_add(db, &bad, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_audit_add: unknown verdict \"maybe\"");
	rw_err_clear(&err);
	bad.verdict = NULL;
	assert_int_equal(db_audit_add(db, &bad, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_audit_add: missing argument");
}

/*
 * A batch goes to PostgreSQL with COPY, whose text format gives backslash,
 * tab, new line and carriage return a meaning and reads "\N" as NULL: each
 * must come back as written, on both engines, and a batch bigger than one
 * piece of COPY data (64 KiB) arrives whole.
 */
static void
test_audit_batch_text(void **state)
{
	struct db *db = *state;
	static const char odd[] = "tab\there\nline\r\nback\\slash \\N "
	    "\\. 'q' \"d\" caf\xc3\xa9";
	struct db_audit_row rows[600];
	struct db_audit_filter f;
	struct rw_err err;
	struct fields got;
	struct seen s;
	char msg[200];
	size_t i;

	memset(rows, 0, sizeof(rows));
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	for (i = 0; i < 600; i++) {
		rows[i].ts = 2000 + (int64_t)i;
		rows[i].operation = "pull";
		rows[i].repo = "bulk";
		rows[i].verdict = "allow";
		rows[i].message = msg;
	}
	rows[0].repo = "odd";
	rows[0].request_id = "\\N";
	rows[0].reference = odd;
	rows[0].message = odd;
	rows[0].reasons_json = "[\"a\\tb\"]";
	rows[0].rule_line = 3;
	rw_err_clear(&err);
	assert_int_equal(db_audit_add_many(db, rows, 600, &err), RW_OK);

	memset(&f, 0, sizeof(f));
	f.repo_glob = "odd";
	memset(&got, 0, sizeof(got));
	assert_int_equal(db_audit_query(db, &f, capture, &got, &err), RW_OK);
	snprintf(msg, sizeof(msg), "2000|\\N|||pull|||odd|%s||allow||||3|"
	    "[\"a\\tb\"]|%s", odd, odd);
	assert_string_equal(got.buf, msg);
	f.repo_glob = "bulk";
	f.limit = 1000;
	query(db, &f, &s);
	assert_int_equal(s.n, 599);
}

static void
test_audit_filters(void **state)
{
	struct db *db = *state;
	struct db_audit_filter f;
	struct seen s;
	struct rw_err err;

	/* Inserted out of time order: results come back by ts. */
	add_audit(db, 300, "docker.io", "library/nginx", "deny");
	add_audit(db, 100, "docker.io", "library/nginx", "allow");
	add_audit(db, 200, "ghcr.io", "team/app", "error");
	add_audit(db, 400, "docker.io", "library/redis", "warn");
	add_audit(db, 500, NULL, "team/app/sub", "allow");
	memset(&f, 0, sizeof(f));
	assert_string_equal(query(db, &f, &s), "100:library/nginx 200:team/app "
	    "300:library/nginx 400:library/redis 500:team/app/sub");
	f.denied_only = 1;
	assert_string_equal(query(db, &f, &s),
	    "200:team/app 300:library/nginx");
	f.denied_only = 0;
	f.since = 300;
	assert_string_equal(query(db, &f, &s),
	    "300:library/nginx 400:library/redis 500:team/app/sub");
	f.since = 0;
	f.repo_glob = "library/*";
	assert_string_equal(query(db, &f, &s),
	    "100:library/nginx 300:library/nginx 400:library/redis");
	f.repo_glob = "docker.io/library/nginx";
	assert_string_equal(query(db, &f, &s),
	    "100:library/nginx 300:library/nginx");
	f.repo_glob = "team/*";
	assert_string_equal(query(db, &f, &s), "200:team/app");
	f.repo_glob = "team/**";
	assert_string_equal(query(db, &f, &s), "200:team/app 500:team/app/sub");
	f.repo_glob = "*.io/**";
	assert_string_equal(query(db, &f, &s), "100:library/nginx 200:team/app "
	    "300:library/nginx 400:library/redis");
	f.repo_glob = "quay.io/**";
	assert_string_equal(query(db, &f, &s), "");
	/* All filters together. */
	f.repo_glob = "**";
	f.denied_only = 1;
	f.since = 250;
	assert_string_equal(query(db, &f, &s), "300:library/nginx");

	/* A callback's nonzero result stops the query and is returned. */
	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, &f, collect, &s, &err), 7);
	assert_string_equal(s.text, "100:library/nginx 200:team/app");
}

/* Retention's verb: the oldest rows before the bound, LIMIT at a time. */
static void
test_audit_prune(void **state)
{
	struct db *db = *state;
	struct db_audit_filter f;
	struct rw_err err;
	struct seen s;
	int i;

	for (i = 0; i < 7; i++)
		add_audit(db, 100 + i, "h", "r", "allow");
	rw_err_clear(&err);
	assert_int_equal(db_audit_prune(db, 105, 3, &err), 3);
	assert_int_equal(db_audit_prune(db, 105, 3, &err), 2);
	assert_int_equal(db_audit_prune(db, 105, 3, &err), 0);
	memset(&f, 0, sizeof(f));
	assert_string_equal(query(db, &f, &s), "105:r 106:r");
}

static void
test_audit_limit_pages(void **state)
{
	struct db *db = *state;
	struct db_audit_filter f;
	struct rw_err err;
	struct seen s;
	char repo[16];
	int i;

	/* More rows than one page (256), several in the same second. */
	for (i = 0; i < 600; i++) {
		snprintf(repo, sizeof(repo), "r%d", i);
		add_audit(db, 1000 + i / 3, "h", repo, i % 2 ? "deny" : "allow");
	}
	memset(&f, 0, sizeof(f));
	query(db, &f, &s);
	assert_int_equal(s.n, 600);
	assert_memory_equal(s.text, "1000:r0 1000:r1 1000:r2 1001:r3", 31);

	f.limit = 3;
	assert_string_equal(query(db, &f, &s),
	    "1199:r597 1199:r598 1199:r599");
	f.limit = 4;
	assert_string_equal(query(db, &f, &s),
	    "1198:r596 1199:r597 1199:r598 1199:r599");
	f.denied_only = 1;
	f.limit = 2;
	assert_string_equal(query(db, &f, &s), "1199:r597 1199:r599");
	f.denied_only = 0;
	/* The newest 300, oldest first, across two pages. */
	f.limit = 300;
	query(db, &f, &s);
	assert_int_equal(s.n, 300);
	assert_memory_equal(s.text, "1100:r300 1100:r301", 19);
	f.limit = 5000;
	query(db, &f, &s);
	assert_int_equal(s.n, 600);
	f.limit = 256;
	query(db, &f, &s);
	assert_int_equal(s.n, 256);

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	s.stop_at = 300;	/* stop in the second page */
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, &f, collect, &s, &err), 7);
	assert_int_equal(s.n, 300);
}

/* ------------------------------------------------------------------ pins */

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

struct pin_seen {
	struct db	*db;
	char		 text[1024];
	int		 stop;
};

static int
collect_pin(const struct db_pin *p, void *arg)
{
	struct pin_seen *s = arg;
	char digest[RW_DIGEST_MAX];
	struct rw_err err;
	size_t len = strlen(s->text);

	/* The lock is not held: a callback may use the db. */
	rw_err_clear(&err);
	assert_int_equal(db_pin_get(s->db, p->host, p->repo, p->tag, digest,
	    sizeof(digest), &err), RW_OK);
	assert_string_equal(digest, p->digest);
	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s:%s=%.8s,%s,%s,"
	    "%lld;", p->host, p->repo, p->tag, p->digest + 7, p->pinned_by,
	    p->source, (long long)p->pinned_at);
	return s->stop;
}

static void
test_pins(void **state)
{
	struct db *db = *state;
	struct pin_seen s = { .db = db };
	char digest[RW_DIGEST_MAX];
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_pin_get(db, "docker.io", "library/nginx", "1.25",
	    digest, sizeof(digest), &err), RW_ENOTFOUND);
	assert_int_equal(db_pin_set(db, "docker.io", "library/nginx", "1.25",
	    D1, "alice", "cli", 10, &err), RW_OK);
	assert_int_equal(db_pin_get(db, "docker.io", "library/nginx", "1.25",
	    digest, sizeof(digest), &err), RW_OK);
	assert_string_equal(digest, D1);
	/* Upsert: the new digest and who set it replace the old. */
	assert_int_equal(db_pin_set(db, "docker.io", "library/nginx", "1.25",
	    D2, "bob", "policy", 20, &err), RW_OK);
	assert_int_equal(db_pin_get(db, "docker.io", "library/nginx", "1.25",
	    digest, sizeof(digest), &err), RW_OK);
	assert_string_equal(digest, D2);

	/* First pull never overwrites. */
	assert_int_equal(db_pin_set_if_absent(db, "docker.io", "library/nginx",
	    "1.25", D1, "tofu", "first-pull", 30, &err), 0);
	assert_int_equal(db_pin_set_if_absent(db, "ghcr.io", "org/app", "v1",
	    D1, "tofu", "first-pull", 30, &err), 1);
	assert_int_equal(db_pin_set_if_absent(db, "ghcr.io", "org/app", "v1",
	    D2, "tofu", "first-pull", 31, &err), 0);
	assert_string_equal(err.msg, "");

	assert_int_equal(db_pin_list(db, collect_pin, &s, &err), RW_OK);
	assert_string_equal(s.text,
	    "docker.io/library/nginx:1.25=22222222,bob,policy,20;"
	    "ghcr.io/org/app:v1=11111111,tofu,first-pull,30;");
	s.text[0] = '\0';
	s.stop = 9;
	assert_int_equal(db_pin_list(db, collect_pin, &s, &err), 9);
	assert_string_equal(s.text,
	    "docker.io/library/nginx:1.25=22222222,bob,policy,20;");

	assert_int_equal(db_pin_rm(db, "ghcr.io", "org/app", "v1", &err), RW_OK);
	assert_int_equal(db_pin_rm(db, "ghcr.io", "org/app", "v1", &err),
	    RW_ENOTFOUND);
	assert_string_equal(err.msg, "");
	assert_int_equal(db_pin_get(db, "ghcr.io", "org/app", "v1", digest,
	    sizeof(digest), &err), RW_ENOTFOUND);
	assert_int_equal(db_pin_get(db, "docker.io", "library/nginx", "1.25",
	    digest, 8, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "pinned digest does not fit in 8 bytes");
}

static void
test_pin_drops_decisions(void **state)
{
	struct db *db = *state;
	const struct db_decision_key tagged = { REV, "hub", "library/nginx",
	    "sha256:m", "1.25" };
	const struct db_decision_key other = { REV, "hub", "library/nginx",
	    "sha256:m", "1.26" };
	struct db_decision out;
	struct rw_err err;

	rw_err_clear(&err);
	decide(db, REV, "library/nginx", "sha256:m", "1.25", "deny", "enforce",
	    0);
	decide(db, REV, "library/nginx", "sha256:m", "1.26", "allow", "enforce",
	    0);
	assert_int_equal(db_pin_set(db, "docker.io", "library/nginx", "1.25",
	    D1, "a", "cli", 1, &err), RW_OK);
	/* A new pin: the tag's cached verdict went with the old state. */
	assert_int_equal(db_decision_get(db, &tagged, 1, &out, &err),
	    RW_ENOTFOUND);
	assert_int_equal(db_decision_get(db, &other, 1, &out, &err), RW_OK);
	db_decision_cleanup(&out);

	/* Re-pinning the same digest keeps the cache. */
	decide(db, REV, "library/nginx", "sha256:m", "1.25", "allow", "enforce",
	    0);
	assert_int_equal(db_pin_set(db, "docker.io", "library/nginx", "1.25",
	    D1, "b", "cli", 2, &err), RW_OK);
	assert_int_equal(db_decision_get(db, &tagged, 1, &out, &err), RW_OK);
	db_decision_cleanup(&out);
	/* Removing the pin drops it. */
	assert_int_equal(db_pin_rm(db, "docker.io", "library/nginx", "1.25",
	    &err), RW_OK);
	assert_int_equal(db_decision_get(db, &tagged, 1, &out, &err),
	    RW_ENOTFOUND);
	assert_int_equal(db_decision_get(db, &other, 1, &out, &err), RW_OK);
	db_decision_cleanup(&out);
	assert_string_equal(err.msg, "");
}

static void
test_pin_errors(void **state)
{
	struct db *db = *state;
	char digest[RW_DIGEST_MAX];
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_pin_set(db, "h", "r", "t", D1, "a", "manual", 1,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_pin_set: unknown source \"manual\"");
	rw_err_clear(&err);
	assert_int_equal(db_pin_set_if_absent(db, "h", "r", "t", D1, NULL,
	    "cli", 1, &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "db_pin_set_if_absent: missing argument");
	rw_err_clear(&err);
	assert_int_equal(db_pin_rm(db, "h", NULL, "t", &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_pin_rm: missing argument");
	assert_int_equal(db_pin_get(db, "h", "r", "t", digest, sizeof(digest),
	    &err), RW_ENOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_version),
		cmocka_unit_test_setup_teardown(test_decision_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_decision_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_decision_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_admitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_admitted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_index_children, setup,
		    teardown),
		cmocka_unit_test(test_glob),
		cmocka_unit_test_setup_teardown(test_audit_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_batch_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_prune, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_limit_pages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_drops_decisions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pin_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
