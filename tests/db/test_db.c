/* test_db.c - db_open, migrations, and the manifest verbs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <pthread.h>
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
#include "util/util.h"

#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"

struct fixture {
	char	 dir[64];
	char	 path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwdbXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/regwarden.db", f->dir);
	/* With PostgreSQL the same tests run against an emptied database. */
	if (tu_pg_url() != NULL)
		rw_strlcpy(f->path, tu_db_target(f->path), sizeof(f->path));
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

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Read or write the 4-byte big-endian field at OFF of the database header. */
static uint32_t
header_u32(const char *path, off_t off)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, off), 4);
	close(fd);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static void
set_user_version(const char *path, uint32_t v)
{
	unsigned char b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
	    v & 0xff };
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	/* user_version lives at offset 60 of the SQLite file header. */
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	close(fd);
}

static void
digest_of(const char *s, char out[RW_DIGEST_MAX])
{
	assert_int_equal(rw_digest(RW_HASH_SHA256, s, strlen(s), out), RW_OK);
}

static struct db *
open_ok(const char *path)
{
	struct rw_err err;
	struct db *db = NULL;

	rw_err_clear(&err);
	assert_int_equal(db_open(path, &db, &err), RW_OK);
	assert_string_equal(err.msg, "");
	assert_non_null(db);
	return db;
}

static void
test_migrations_idempotent(void **state)
{
	struct fixture *f = *state;
	const struct db_ref ref = { DB_REF_LAYER, "sha256:aa" };
	struct rw_err err;
	char mt[64], *body = NULL;
	size_t len = 0;
	struct db *db;

	tu_skip_unless_sqlite();	/* reads the SQLite file header */
	assert_int_equal(db_schema_version(), 7);
	db = open_ok(f->path);
	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", "library/nginx", "sha256:m1",
	    OCI_MANIFEST, "{}", 2, &ref, 1, 1700000000, &err), RW_OK);
	db_close(db);
	/* Bytes 18-19 are 2 in WAL mode; user_version counts migrations. */
	assert_int_equal(header_u32(f->path, 16) & 0xffff, 0x0202);
	assert_int_equal(header_u32(f->path, 60), (uint32_t)db_schema_version());

	db = open_ok(f->path);
	assert_int_equal(db_manifest_get(db, "hub", "library/nginx", "sha256:m1",
	    &body, &len, mt, sizeof(mt), &err), RW_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(body, "{}", 2);
	assert_int_equal(db_blob_referenced(db, "hub", "library/nginx",
	    "sha256:aa", &err), 1);
	free(body);
	db_close(db);
	assert_int_equal(header_u32(f->path, 60), (uint32_t)db_schema_version());
	db_close(NULL);
}

static void
test_newer_version_refused(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	char want[300];
	struct db *db = (struct db *)(uintptr_t)16;	/* must become NULL */

	db_close(open_ok(f->path));
	if (tu_pg_url() != NULL)
		tu_pg_exec("INSERT INTO schema_version VALUES(99)");
	else
		set_user_version(f->path, 99);
	rw_err_clear(&err);
	assert_int_equal(db_open(f->path, &db, &err), RW_EDB);
	assert_null(db);
	snprintf(want, sizeof(want), "%s: database schema version 99 is newer "
	    "than this regwarden supports (%d); upgrade regwarden or use another "
	    "database", f->path, db_schema_version());
	assert_string_equal(err.msg, want);
	if (tu_pg_url() == NULL)
		assert_int_equal(header_u32(f->path, 60), 99);
}

static void
test_failed_migration_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	char want[300];
	struct db *db = NULL;

	tu_skip_unless_sqlite();
	/* Claim version 0 while the tables exist: migration 1 must fail. */
	db_close(open_ok(f->path));
	set_user_version(f->path, 0);
	rw_err_clear(&err);
	assert_int_equal(db_open(f->path, &db, &err), RW_EDB);
	assert_null(db);
	snprintf(want, sizeof(want), "%s: migration 1: table manifests already "
	    "exists", f->path);
	assert_string_equal(err.msg, want);
	assert_int_equal(header_u32(f->path, 60), 0);
}

static void
test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	char path[200], want[300], junk[4096];
	struct db *db = NULL;
	FILE *fp;

	tu_skip_unless_sqlite();	/* file errors */

	snprintf(path, sizeof(path), "%s/missing/x.db", f->dir);
	rw_err_clear(&err);
	assert_int_equal(db_open(path, &db, &err), RW_EDB);
	snprintf(want, sizeof(want), "%s: sqlite3_open_v2: unable to open "
	    "database file", path);
	assert_string_equal(err.msg, want);
	assert_null(db);

	memset(junk, 'x', sizeof(junk));
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	rw_err_clear(&err);
	assert_int_equal(db_open(f->path, &db, &err), RW_EDB);
	snprintf(want, sizeof(want), "%s: sqlite3_prepare journal_mode: file is "
	    "not a database", f->path);
	assert_string_equal(err.msg, want);
	assert_null(db);

	rw_err_clear(&err);
	assert_int_equal(db_open("", &db, &err), RW_EINVAL);
	assert_string_equal(err.msg, "database path is empty");
}

/*
 * A PostgreSQL that does not answer: the error names the URL with its
 * password hidden, and nothing is allocated.  Port 1 of 127.0.0.1 refuses.
 */
static void
test_pg_open_errors(void **state)
{
	struct rw_err err;
	struct db *db = (struct db *)(uintptr_t)16;
	char shown[128];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open_pg("postgresql://rw:secret@127.0.0.1:1/x",
	    NULL, &db, &err), RW_EDB);
	assert_null(db);
	assert_non_null(strstr(err.msg, "postgresql://rw:***@127.0.0.1:1/x: "));
	assert_non_null(strstr(err.msg, "Connection refused"));
	assert_null(strstr(err.msg, "secret"));
	rw_err_clear(&err);
	assert_int_equal(db_open_pg("/tmp/x.db", NULL, &db, &err), RW_EINVAL);
	assert_string_equal(err.msg, "not a postgresql:// URL");
	assert_true(db_is_url("postgres://h/d"));
	assert_false(db_is_url("/var/lib/regwarden/regwarden.db"));
	db_url_redact("postgresql://u@h:5432/d?password=no", shown,
	    sizeof(shown));
	assert_string_equal(shown, "postgresql://u@h:5432/d?password=***");
	db_url_redact("postgresql://u:p@h/d", shown, sizeof(shown));
	assert_string_equal(shown, "postgresql://u:***@h/d");
}

static void
test_memory_db(void **state)
{
	struct rw_err err;
	struct db *db;

	(void)state;
	tu_skip_unless_sqlite();
	db = open_ok(":memory:");
	rw_err_clear(&err);
	assert_int_equal(db_blob_referenced(db, "a", "b", "sha256:00", &err), 0);
	db_close(db);
}

static void
test_round_trip_bytes(void **state)
{
	static const char body[] = "{\"a\":\0\"\xff\"}\0tail";
	struct fixture *f = *state;
	struct db *db = open_ok(f->path);
	struct rw_err err;
	char mt[64], small[8], *got = NULL;
	size_t len = 0;

	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", "r", "sha256:b1",
	    OCI_MANIFEST, body, sizeof(body), NULL, 0, 1, &err), RW_OK);
	assert_int_equal(db_manifest_get(db, "hub", "r", "sha256:b1", &got,
	    &len, mt, sizeof(mt), &err), RW_OK);
	assert_int_equal(len, sizeof(body));
	assert_memory_equal(got, body, sizeof(body));
	assert_int_equal(got[len], '\0');
	assert_string_equal(mt, OCI_MANIFEST);
	free(got);

	/* An empty body stays an empty body, not NULL. */
	assert_int_equal(db_manifest_put(db, "hub", "r", "sha256:e",
	    OCI_MANIFEST, NULL, 0, NULL, 0, 1, &err), RW_OK);
	assert_int_equal(db_manifest_get(db, "hub", "r", "sha256:e", &got,
	    &len, mt, sizeof(mt), &err), RW_OK);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	free(got);

	got = mt;
	assert_int_equal(db_manifest_get(db, "hub", "r", "sha256:none", &got,
	    &len, mt, sizeof(mt), &err), RW_ENOTFOUND);
	assert_null(got);
	assert_string_equal(err.msg, "");
	assert_int_equal(db_manifest_get(db, "other", "r", "sha256:b1", &got,
	    &len, mt, sizeof(mt), &err), RW_ENOTFOUND);

	assert_int_equal(db_manifest_get(db, "hub", "r", "sha256:b1", &got,
	    &len, small, sizeof(small), &err), RW_ETOOBIG);
	assert_null(got);
	assert_string_equal(err.msg,
	    "media type of sha256:b1 does not fit in 8 bytes");
	db_close(db);
}

static void
test_insert_twice(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->path);
	const struct db_ref r1 = { DB_REF_LAYER, "sha256:l1" };
	const struct db_ref r2 = { DB_REF_LAYER, "sha256:l2" };
	struct rw_err err;
	char mt[64], *got = NULL;
	size_t len = 0;

	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", "r", "sha256:m",
	    OCI_MANIFEST, "first", 5, &r1, 1, 1, &err), RW_OK);
	/* Same key again: the first record stands, references included. */
	assert_int_equal(db_manifest_put(db, "hub", "r", "sha256:m",
	    "text/plain", "second", 6, &r2, 1, 2, &err), RW_OK);
	assert_string_equal(err.msg, "");
	assert_int_equal(db_manifest_get(db, "hub", "r", "sha256:m", &got, &len,
	    mt, sizeof(mt), &err), RW_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "first", 5);
	assert_string_equal(mt, OCI_MANIFEST);
	free(got);
	assert_int_equal(db_blob_referenced(db, "hub", "r", "sha256:l1", &err),
	    1);
	assert_int_equal(db_blob_referenced(db, "hub", "r", "sha256:l2", &err),
	    0);
	db_close(db);
}

static void
test_blob_referenced(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->path);
	const struct db_ref refs[] = {
		{ DB_REF_CONFIG, "sha256:c" }, { DB_REF_LAYER, "sha256:l" },
		{ DB_REF_LAYER, "sha256:l" }, { DB_REF_CHILD, "sha256:k" },
		{ DB_REF_SUBJECT, "sha256:s" },
	};
	const struct db_ref bad = { (enum db_ref_kind)42, "sha256:x" };
	const struct db_ref odd[] = {
		{ DB_REF_LAYER, "sha256:q\"uote" },
		{ DB_REF_LAYER, "sha256:back\\slash" },
		{ DB_REF_CHILD, "sha256:a,{b},NULL" },
	};
	struct rw_err err;
	size_t i;

	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", "team/app", "sha256:m",
	    OCI_MANIFEST, "{}", 2, refs, 5, 1, &err), RW_OK);
	for (i = 0; i < 5; i++)
		assert_int_equal(db_blob_referenced(db, "hub", "team/app",
		    refs[i].digest, &err), 1);
	assert_int_equal(db_blob_referenced(db, "hub", "team/app", "sha256:m",
	    &err), 0);
	assert_int_equal(db_blob_referenced(db, "hub", "team/other",
	    "sha256:l", &err), 0);
	assert_int_equal(db_blob_referenced(db, "ghcr", "team/app", "sha256:l",
	    &err), 0);
	assert_string_equal(err.msg, "");
	/*
	 * PostgreSQL passes the references as array literals: the bytes that
	 * mean something there (quote, backslash, comma, braces) arrive as
	 * they were.
	 */
	assert_int_equal(db_manifest_put(db, "hub", "team/app", "sha256:o",
	    OCI_MANIFEST, "{}", 2, odd, 3, 1, &err), RW_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(db_blob_referenced(db, "hub", "team/app",
		    odd[i].digest, &err), 1);
	assert_int_equal(db_blob_referenced(db, "hub", "team/app",
	    "sha256:q", &err), 0);

	/* A bad reference fails the whole put: the manifest is not kept. */
	assert_int_equal(db_manifest_put(db, "hub", "team/app", "sha256:n",
	    OCI_MANIFEST, "{}", 2, &bad, 1, 1, &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "db_manifest_put: reference 0 of sha256:n is invalid");
	rw_err_clear(&err);
	assert_int_equal(db_blob_referenced(db, "hub", "team/app", NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "db_blob_referenced: missing argument");
	db_close(db);
}

/* db_blob_uses: (upstream, repo, blob) rows, configs and layers only. */
static int
collect_use(const struct db_blob_use *u, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 1024 - n, "%s %s %s\n", u->digest, u->upstream,
	    u->repo);
	return 0;
}

static int
stop_use(const struct db_blob_use *u, void *arg)
{
	(void)u;
	(*(int *)arg)++;
	return 7;
}

static void
test_blob_uses(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->path);
	const struct db_ref a[] = {
		{ DB_REF_CONFIG, "sha256:ca" }, { DB_REF_LAYER, "sha256:base" },
		{ DB_REF_LAYER, "sha256:la" }, { DB_REF_SUBJECT, "sha256:s" },
	};
	const struct db_ref a2[] = {
		{ DB_REF_CONFIG, "sha256:ca2" }, { DB_REF_LAYER, "sha256:base" },
	};
	const struct db_ref b[] = {
		{ DB_REF_CONFIG, "sha256:cb" }, { DB_REF_LAYER, "sha256:base" },
		{ DB_REF_CHILD, "sha256:k" },
	};
	struct rw_err err;
	char buf[1024] = "";
	int calls = 0;

	rw_err_clear(&err);
	assert_int_equal(db_blob_uses(db, collect_use, buf, &err), RW_OK);
	assert_string_equal(buf, "");
	assert_int_equal(db_manifest_put(db, "hub", "team/a", "sha256:m1",
	    OCI_MANIFEST, "{}", 2, a, 4, 1, &err), RW_OK);
	assert_int_equal(db_manifest_put(db, "hub", "team/a", "sha256:m2",
	    OCI_MANIFEST, "{}", 2, a2, 2, 1, &err), RW_OK);
	assert_int_equal(db_manifest_put(db, "ghcr", "team/b", "sha256:m3",
	    OCI_MANIFEST, "{}", 2, b, 3, 1, &err), RW_OK);
	/* One row per repository however many of its manifests use a blob;
	 * the subject and the child are not blobs. */
	assert_int_equal(db_blob_uses(db, collect_use, buf, &err), RW_OK);
	assert_string_equal(buf,
	    "sha256:base ghcr team/b\n"
	    "sha256:base hub team/a\n"
	    "sha256:ca hub team/a\n"
	    "sha256:ca2 hub team/a\n"
	    "sha256:cb ghcr team/b\n"
	    "sha256:la hub team/a\n");
	assert_int_equal(db_blob_uses(db, stop_use, &calls, &err), 7);
	assert_int_equal(calls, 1);
	assert_string_equal(err.msg, "");
	db_close(db);
}

#define NTHREADS	4
#define PER_THREAD	50

struct worker {
	struct db	*db;
	int		 id;
	int		 failures;
	char		 msg[256];
};

static void *
put_many(void *arg)
{
	struct worker *w = arg;
	char body[64], d[RW_DIGEST_MAX], layer[RW_DIGEST_MAX];
	struct db_ref ref = { DB_REF_LAYER, layer };
	struct rw_err err;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(body, sizeof(body), "{\"thread\":%d,\"i\":%d}", w->id, i);
		digest_of(body, d);
		snprintf(layer, sizeof(layer), "sha256:layer-%d-%d", w->id, i);
		rw_err_clear(&err);
		/* Every thread also writes one shared manifest, racing. */
		if (db_manifest_put(w->db, "hub", "r", d, OCI_MANIFEST, body,
		    strlen(body), &ref, 1, i, &err) != RW_OK ||
		    db_manifest_put(w->db, "hub", "r", "sha256:shared",
		    OCI_MANIFEST, "{}", 2, NULL, 0, i, &err) != RW_OK) {
			w->failures++;
			rw_strlcpy(w->msg, err.msg, sizeof(w->msg));
		}
	}
	return NULL;
}

static void
test_concurrent_puts(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->path);
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	char body[64], d[RW_DIGEST_MAX], layer[RW_DIGEST_MAX], mt[64];
	struct rw_err err;
	char *got;
	size_t len;
	int i, j;

	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .db = db, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, put_many, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		assert_string_equal(w[i].msg, "");
		assert_int_equal(w[i].failures, 0);
	}
	rw_err_clear(&err);
	for (i = 0; i < NTHREADS; i++) {
		for (j = 0; j < PER_THREAD; j++) {
			snprintf(body, sizeof(body), "{\"thread\":%d,\"i\":%d}", i,
			    j);
			digest_of(body, d);
			assert_int_equal(db_manifest_get(db, "hub", "r", d, &got,
			    &len, mt, sizeof(mt), &err), RW_OK);
			assert_int_equal(len, strlen(body));
			assert_memory_equal(got, body, len);
			free(got);
			snprintf(layer, sizeof(layer), "sha256:layer-%d-%d", i, j);
			assert_int_equal(db_blob_referenced(db, "hub", "r", layer,
			    &err), 1);
		}
	}
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_idempotent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test(test_memory_db),
		cmocka_unit_test(test_pg_open_errors),
		cmocka_unit_test_setup_teardown(test_round_trip_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_insert_twice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_blob_referenced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_blob_uses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_puts, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
