/* test_audit_full.c - audit batches on a full disk: rolled back, tried again, the connection still usable. */
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
#include "tests/fullvfs.h"
#include "util/util.h"

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
	rw_strlcpy(f->dir, "/tmp/rwfullXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/regwarden.db", f->dir);
	fullvfs_install();
	fullvfs_set(FULLVFS_OFF);
	rw_err_clear(&err);
	if (db_open(f->path, &f->db, &err) != RW_OK) {
		free(f);
		return -1;
	}
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

	fullvfs_set(FULLVFS_OFF);
	db_close(f->db);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
count_cb(const struct db_audit_row *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
count(struct db *db)
{
	struct db_audit_filter f;
	struct rw_err err;
	size_t n = 0;

	memset(&f, 0, sizeof(f));
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, &f, count_cb, &n, &err), RW_OK);
	return n;
}

static void
fill(struct db_audit_row *rows, size_t n, int64_t ts)
{
	size_t i;

	memset(rows, 0, n * sizeof(*rows));
	for (i = 0; i < n; i++) {
		rows[i].ts = ts + (int64_t)i;
		rows[i].operation = "pull";
		rows[i].repo = "e2e/app";
		rows[i].verdict = "allow";
		rows[i].message = "admitted";
	}
}

/* Rows N at TS.. in one batch: RW_OK, or the failure with ERR filled. */
static int
add(struct db *db, size_t n, int64_t ts, struct rw_err *err)
{
	struct db_audit_row rows[8];

	assert_true(n <= 8);
	fill(rows, n, ts);
	rw_err_clear(err);
	return db_audit_add_many(db, rows, n, err);
}

static void
test_full_disk_at_commit(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	unsigned before;

	assert_int_equal(add(f->db, 3, 1, &err), RW_OK);
	fullvfs_set(FULLVFS_NOSPACE);
	before = fullvfs_refused();
	/* The inserts fit in memory; the WAL append at COMMIT does not. */
	assert_int_equal(add(f->db, 4, 10, &err), RW_EDB);
	assert_string_equal(err.msg,
	    "sqlite3_step COMMIT: database or disk is full");
	assert_true(fullvfs_refused() > before);
	assert_int_equal(add(f->db, 1, 20, &err), RW_EDB);
	assert_int_equal(count(f->db), 3);	/* all or none */
	/* Room again: the same connection takes the batch that failed. */
	fullvfs_set(FULLVFS_OFF);
	assert_int_equal(add(f->db, 4, 10, &err), RW_OK);
	assert_int_equal(count(f->db), 7);
}

/*
 * A COMMIT that answers SQLITE_BUSY leaves the transaction open.  Without
 * a ROLLBACK the next BEGIN fails ("cannot start a transaction within a
 * transaction"), single rows go into the open transaction and are lost
 * when the connection closes.
 */
static void
test_busy_commit_is_rolled_back(void **state)
{
	struct fixture *f = *state;
	struct db_audit_row one;
	struct rw_err err;

	assert_int_equal(add(f->db, 2, 1, &err), RW_OK);
	fullvfs_set(FULLVFS_BUSY);
	assert_int_equal(add(f->db, 3, 10, &err), RW_EBUSY);
	assert_string_equal(err.msg, "sqlite3_step COMMIT: database is locked");
	fullvfs_set(FULLVFS_OFF);
	assert_int_equal(add(f->db, 3, 10, &err), RW_OK);
	fill(&one, 1, 30);
	rw_err_clear(&err);
	assert_int_equal(db_audit_add(f->db, &one, &err), RW_OK);
	assert_int_equal(count(f->db), 6);
	/* Committed for good: a new connection sees them all. */
	db_close(f->db);
	rw_err_clear(&err);
	assert_int_equal(db_open(f->path, &f->db, &err), RW_OK);
	assert_int_equal(count(f->db), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_disk_at_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_commit_is_rolled_back,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
