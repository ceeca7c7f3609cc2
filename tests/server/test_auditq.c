/* test_auditq.c - audit rows queued, written in batches, none lost; audit or refuse on a full disk. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/auditq.h"
#include "tests/fullvfs.h"
#include "tests/testutil.h"

struct tally {
	size_t	 n;
	int	 ordered;
	int64_t	 last;
	char	 msg[64];
	char	 first[64];
};

static int
count(const struct db_audit_row *r, void *arg)
{
	struct tally *t = arg;

	if (r->ts < t->last)
		t->ordered = 0;
	t->last = r->ts;
	if (t->n++ == 0)
		snprintf(t->first, sizeof(t->first), "%s", r->message);
	snprintf(t->msg, sizeof(t->msg), "%s", r->message);
	return 0;
}

static size_t
rows(struct db *db, struct tally *t)
{
	struct db_audit_filter f;
	struct rw_err err;

	memset(&f, 0, sizeof(f));
	memset(t, 0, sizeof(*t));
	t->ordered = 1;
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, &f, count, t, &err), RW_OK);
	return t->n;
}

static void
fill(struct db_audit_row *a, int64_t ts, char *msg, size_t size)
{
	memset(a, 0, sizeof(*a));
	snprintf(msg, size, "row %lld", (long long)ts);
	a->ts = ts;
	a->request_id = "r";
	a->client = "127.0.0.1";
	a->identity = "anonymous";
	a->operation = "pull";
	a->upstream = "local";
	a->host = "docker.io";
	a->repo = "e2e/app";
	a->reference = "1.0";
	a->verdict = "allow";
	a->message = msg;
}

/* A database file in a fresh directory: the full-disk VFS sees its writes
 * (":memory:" never writes).  The shutdown log goes to LOG there. */
struct fixture {
	char		 dir[64];
	char		 path[128];
	char		 log[128];
	struct db	*db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rw_err err;

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwauditqXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/regwarden.db", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/regwarden.log", f->dir);
	fullvfs_install();
	fullvfs_set(FULLVFS_OFF);
	fullvfs_stall(0);
	rw_err_clear(&err);
	if (rw_log_open(f->log, "text", &err) != RW_OK ||
	    db_open(f->path, &f->db, &err) != RW_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const suffix[] = { ".db", ".db-wal", ".db-shm",
	    ".log" };
	struct fixture *f = *state;
	struct rw_err err;
	char p[160];
	size_t i;

	fullvfs_set(FULLVFS_OFF);
	fullvfs_stall(0);
	db_close(f->db);
	rw_err_clear(&err);
	rw_log_open(NULL, "text", &err);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s/regwarden%s", f->dir, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Add row TS; returns auditq_add's code, with ERR filled. */
static int
add(struct auditq *q, int64_t ts, struct rw_err *err)
{
	struct db_audit_row a;
	char msg[32];

	fill(&a, ts, msg, sizeof(msg));
	rw_err_clear(err);
	return auditq_add(q, &a, err);	/* copies: msg goes away */
}

/* Wait (bounded: 30 s, only against a hang) until COND(Q) holds. */
static int
wait_for(int (*cond)(struct auditq *), struct auditq *q)
{
	const struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 3000; i++) {
		if (cond(q))
			return 1;
		nanosleep(&ms10, NULL);
	}
	return 0;
}

static unsigned refused_mark;

static int
retried(struct auditq *q)
{
	(void)q;
	return fullvfs_refused() > refused_mark;
}

static int
healthy(struct auditq *q)
{
	struct rw_err err;

	rw_err_clear(&err);
	return auditq_state(q, NULL, &err) == RW_OK;
}

static void
test_batches_and_flush(void **state)
{
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	struct db *db;
	int i;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	q = auditq_new(db, &err);
	assert_non_null(q);
	for (i = 1; i <= 1000; i++)
		assert_int_equal(add(q, i, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	assert_int_equal(rows(db, &t), 1000);
	assert_true(t.ordered);
	assert_string_equal(t.msg, "row 1000");
	for (i = 1001; i <= 1500; i++)
		assert_int_equal(add(q, i, &err), RW_OK);
	auditq_free(q);		/* writes what is still queued */
	assert_int_equal(rows(db, &t), 1500);
	db_close(db);
}

static uint64_t prune_want;

static int
pruned_enough(struct auditq *q)
{
	return auditq_pruned(q) >= prune_want;
}

/*
 * Retention: rows older than the days kept go, in batches of
 * AUDITQ_PRUNE_BATCH (three here, the last short), the others stay.
 */
static void
test_retention(void **state)
{
	int64_t now = (int64_t)time(NULL), old = now - 3 * 86400;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	struct db *db;
	int i;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	q = auditq_new(db, &err);
	assert_non_null(q);
	for (i = 0; i < 1200; i++)
		assert_int_equal(add(q, old + i, &err), RW_OK);
	for (i = 0; i < 10; i++)
		assert_int_equal(add(q, now - 86400 + 60 + i, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	assert_int_equal(rows(db, &t), 1210);
	auditq_set_retention(q, 1);
	prune_want = 1200;
	assert_true(wait_for(pruned_enough, q));
	assert_int_equal(auditq_pruned(q), 1200);
	assert_int_equal(rows(db, &t), 10);
	assert_true(t.ordered);
	auditq_free(q);
	/* The verb alone: at most LIMIT, the oldest first. */
	assert_int_equal(db_audit_prune(db, now, 4, &err), 4);
	assert_int_equal(rows(db, &t), 6);
	assert_int_equal(db_audit_prune(db, now - 86400, 4, &err), 0);
	assert_int_equal(db_audit_prune(db, now, 0, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_audit_prune: limit 0 out of range");
	db_close(db);
}

static int
index_pruned_enough(struct auditq *q)
{
	return auditq_index_pruned(q) >= prune_want;
}

/* Whether the layer_index row of DIGEST is there. */
static int
indexed(struct db *db, const char *digest)
{
	struct rw_err err;
	char *refusal = NULL;
	void *body = NULL;
	size_t len;
	int rc;

	rw_err_clear(&err);
	rc = db_layer_index_get(db, digest, 2, &body, &len, &refusal, &err);
	free(body);
	free(refusal);
	assert_true(rc == RW_OK || rc == RW_ENOTFOUND);
	return rc == RW_OK;
}

/*
 * Layer index retention: the indexes of layers no manifest references,
 * read more than the days kept ago, go in batches (three here, the last
 * short); a referenced one stays however old, a recent one stays.
 */
static void
test_index_retention(void **state)
{
	int64_t now = (int64_t)time(NULL), old = now - 40 * 86400;
	const struct db_ref ref = { DB_REF_LAYER,
	    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa" };
	char d[RW_DIGEST_MAX];
	struct auditq *q;
	struct rw_err err;
	struct db *db;
	int i;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	for (i = 0; i < 1100; i++) {
		snprintf(d, sizeof(d), "sha256:%064x", i);
		assert_int_equal(db_layer_index_put(db, d, 2, "x", 1, NULL, 1,
		    0, old + i, &err), RW_OK);
	}
	assert_int_equal(db_layer_index_put(db, ref.digest, 2, "x", 1, NULL,
	    1, 0, old, &err), RW_OK);
	snprintf(d, sizeof(d), "sha256:%064x", 5000);
	assert_int_equal(db_layer_index_put(db, d, 2, "x", 1, NULL, 1, 0,
	    now - 29 * 86400, &err), RW_OK);
	assert_int_equal(db_manifest_put(db, "hub", "library/app",
	    "sha256:1111111111111111111111111111111111111111111111111111111111"
	    "111111", "application/vnd.oci.image.manifest.v1+json", "{}", 2,
	    &ref, 1, old, &err), RW_OK);
	q = auditq_new(db, &err);
	assert_non_null(q);
	auditq_set_index_retention(q, 30);
	prune_want = 1100;
	assert_true(wait_for(index_pruned_enough, q));
	assert_int_equal(auditq_index_pruned(q), 1100);
	assert_false(indexed(db, "sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000"));
	assert_true(indexed(db, ref.digest));
	assert_true(indexed(db, d));
	assert_int_equal(auditq_pruned(q), 0);	/* audit retention is off */
	auditq_free(q);
	db_close(db);
}

static void
test_bad_row_is_refused(void **state)
{
	struct db_audit_row a, bad;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	struct db *db;
	char msg[32];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	q = auditq_new(db, &err);
	assert_int_equal(add(q, 1, &err), RW_OK);
	fill(&a, 2, msg, sizeof(msg));
	bad = a;
	bad.verdict = "maybe";
	rw_err_clear(&err);
	assert_int_equal(auditq_add(q, &bad, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_audit_add: unknown verdict \"maybe\"");
	assert_int_equal(add(q, 3, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	assert_int_equal(rows(db, &t), 2);
	auditq_free(q);
	db_close(db);
}

static int
occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

#define FULL_WHY	"its last write failed (sqlite3_step COMMIT: database " \
			"or disk is full)"

/*
 * The disk fills up: rows taken before the writer knew are kept, not
 * dropped; new rows are refused with the store's reason; the writer tries
 * again by itself, and once there is room every kept row is written, in
 * order, and rows are taken again.
 */
static void
test_full_disk_refuses_then_recovers(void **state)
{
	struct fixture *f = *state;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	size_t waiting;
	char *log;
	int i;

	rw_err_clear(&err);
	q = auditq_new(f->db, &err);
	assert_non_null(q);
	for (i = 1; i <= 10; i++)
		assert_int_equal(add(q, i, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	fullvfs_set(FULLVFS_NOSPACE);
	/* Taken while the store still looked healthy: they count. */
	for (i = 11; i <= 15; i++)
		assert_int_equal(add(q, i, &err), RW_OK);
	rw_err_clear(&err);
	assert_int_equal(auditq_flush(q, &err), RW_EDB);
	assert_string_equal(err.msg, FULL_WHY);
	rw_err_clear(&err);
	assert_int_equal(auditq_state(q, &waiting, &err), RW_EDB);
	assert_string_equal(err.msg, FULL_WHY);
	assert_int_equal(waiting, 5);
	/* While it fails, nothing more is taken (and so nothing served). */
	assert_int_equal(add(q, 16, &err), RW_EDB);
	assert_string_equal(err.msg, FULL_WHY);
	assert_int_equal(rows(f->db, &t), 10);
	/* It tries again by itself, and fails again while the disk is full. */
	refused_mark = fullvfs_refused();
	assert_true(wait_for(retried, q));
	assert_false(healthy(q));
	rw_err_clear(&err);
	assert_int_equal(auditq_state(q, &waiting, &err), RW_EDB);
	assert_int_equal(waiting, 5);
	/* Room again: the kept rows go in without anyone asking. */
	fullvfs_set(FULLVFS_OFF);
	assert_true(wait_for(healthy, q));
	rw_err_clear(&err);
	assert_int_equal(auditq_state(q, &waiting, &err), RW_OK);
	assert_int_equal(waiting, 0);
	assert_int_equal(rows(f->db, &t), 15);
	assert_true(t.ordered);
	assert_string_equal(t.msg, "row 15");
	assert_int_equal(add(q, 17, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	assert_int_equal(rows(f->db, &t), 16);
	auditq_free(q);
	/* One line when it starts failing, one when it is written again. */
	log = tu_slurp(f->log, NULL);
	assert_int_equal(occurrences(log, "cannot write the audit log ("
	    "sqlite3_step COMMIT: database or disk is full): 5 rows kept and "
	    "tried again every 200 ms; until a write succeeds, decisions are "
	    "refused rather than served unaudited\n"), 1);
	assert_int_equal(occurrences(log, "the audit log is written again: "
	    "the 5 rows that waited are in\n"), 1);
	free(log);
}

/* AUDITQ_MAX rows waiting (one batch stuck in a write, the rest queued):
 * the next row is refused, and every row taken is written. */
static void
test_bound(void **state)
{
	struct fixture *f = *state;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	size_t waiting;
	int i;

	rw_err_clear(&err);
	q = auditq_new(f->db, &err);
	assert_non_null(q);
	fullvfs_stall(1);
	assert_int_equal(add(q, 1, &err), RW_OK);
	fullvfs_wait_stalled();		/* the writer holds row 1 */
	for (i = 2; i <= AUDITQ_MAX; i++)
		assert_int_equal(add(q, i, &err), RW_OK);
	assert_int_equal(add(q, AUDITQ_MAX + 1, &err), RW_EBUSY);
	assert_string_equal(err.msg, "8192 rows are waiting to be written");
	rw_err_clear(&err);
	assert_int_equal(auditq_state(q, &waiting, &err), RW_OK);
	assert_int_equal(waiting, AUDITQ_MAX);
	fullvfs_stall(0);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	assert_int_equal(rows(f->db, &t), AUDITQ_MAX);
	assert_true(t.ordered);
	assert_string_equal(t.first, "row 1");
	assert_string_equal(t.msg, "row 8192");
	assert_int_equal(add(q, AUDITQ_MAX + 2, &err), RW_OK);
	auditq_free(q);
	assert_int_equal(rows(f->db, &t), AUDITQ_MAX + 1);
}

/* Shutting down while the disk is still full: one more try, then each row
 * that could not be written is one log line, the record of last resort. */
static void
test_shutdown_while_full(void **state)
{
	struct fixture *f = *state;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	char *log;

	rw_err_clear(&err);
	q = auditq_new(f->db, &err);
	assert_int_equal(add(q, 1, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_OK);
	fullvfs_set(FULLVFS_NOSPACE);
	assert_int_equal(add(q, 2, &err), RW_OK);
	assert_int_equal(add(q, 3, &err), RW_OK);
	assert_int_equal(auditq_flush(q, &err), RW_EDB);
	auditq_free(q);
	fullvfs_set(FULLVFS_OFF);
	assert_int_equal(rows(f->db, &t), 1);
	log = tu_slurp(f->log, NULL);
	assert_non_null(strstr(log, "cannot write the audit log (sqlite3_step "
	    "COMMIT: database or disk is full): 2 rows kept and tried again "
	    "every 200 ms; until a write succeeds, decisions are refused "
	    "rather than served unaudited\n"));
	assert_non_null(strstr(log, "audit row lost at shutdown (sqlite3_step "
	    "COMMIT: database or disk is full): request r, client 127.0.0.1, "
	    "pull docker.io/e2e/app 1.0, digest -, verdict allow, rule -\n"));
	assert_int_equal(occurrences(log, "audit row lost at shutdown"), 2);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_and_flush),
		cmocka_unit_test(test_bad_row_is_refused),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_index_retention),
		cmocka_unit_test_setup_teardown(
		    test_full_disk_refuses_then_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_while_full, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
