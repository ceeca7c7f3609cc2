/*
 * test_shared.c - one store, several users at once: replicas racing to pin
 * a tag on first pull (two handles, as two replicas have), and the
 * PostgreSQL connection pool.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "tests/testutil.h"
#include "util/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define ROUNDS	20

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct db	*db;
	struct db	*other;		/* a second replica on the same store */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rw_err err;

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwsharedXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/regwarden.db", f->dir);
	rw_strlcpy(f->path, tu_db_target(f->path), sizeof(f->path));
	rw_err_clear(&err);
	if (db_open(f->path, &f->db, &err) != RW_OK ||
	    db_open(f->path, &f->other, &err) != RW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	struct fixture *f = *state;
	char p[160];
	size_t i;

	db_close(f->db);
	db_close(f->other);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s/regwarden.db%s", f->dir, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/*
 * What server/decide.c does on a first pull: pin the digest it resolved
 * unless the tag is pinned already, and when another got there first, read
 * the winner's pin to judge the pull against it.
 */
static int
first_pull(struct db *db, const char *tag, const char *digest, char *pin)
{
	struct rw_err err;
	int rc;

	rw_err_clear(&err);
	rc = db_pin_set_if_absent(db, "docker.io", "team/app", tag, digest,
	    "puller", "first-pull", 1700000000, &err);
	assert_true(rc == 0 || rc == 1);
	assert_int_equal(db_pin_get(db, "docker.io", "team/app", tag, pin,
	    RW_DIGEST_MAX, &err), RW_OK);
	return rc;
}

/*
 * PostgreSQL: wait (10 s at most) until DB answers pins from its cache,
 * which its listener turns on once connected: a tag read as "not pinned"
 * and then pinned behind its back (no notification) still reads so.
 */
static void
wait_pin_cache(struct db *db)
{
	char pin[RW_DIGEST_MAX], sql[256];
	struct rw_err err;
	int i, rc = RW_OK;

	rw_err_clear(&err);
	for (i = 0; i < 1000 && rc != RW_ENOTFOUND; i++) {
		snprintf(sql, sizeof(sql), "probe%d", i);
		assert_int_equal(db_pin_get(db, "docker.io", "probe", sql, pin,
		    sizeof(pin), &err), RW_ENOTFOUND);
		snprintf(sql, sizeof(sql), "INSERT INTO pins(host, repo, tag, "
		    "digest, pinned_by, source, pinned_at) VALUES('docker.io', "
		    "'probe', 'probe%d', '" D1 "', 't', 'cli', 1)", i);
		tu_pg_exec(sql);
		snprintf(sql, sizeof(sql), "probe%d", i);
		rc = db_pin_get(db, "docker.io", "probe", sql, pin,
		    sizeof(pin), &err);
		if (rc != RW_ENOTFOUND)
			usleep(10 * 1000);
	}
	assert_int_equal(rc, RW_ENOTFOUND);
}

/*
 * The tag moved between two replicas' resolutions: A saw D1, B saw D2.
 * One pin is kept; the loser learns it lost and reads the winner's digest
 * at once, though it had just cached "not pinned" for the tag (and on
 * PostgreSQL even before the winner's notification arrives).
 */
static void
test_race_two_digests(void **state)
{
	struct fixture *f = *state;
	char pin[RW_DIGEST_MAX];
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_pin_get(f->other, "docker.io", "team/app", "1.0",
	    pin, sizeof(pin), &err), RW_ENOTFOUND);
	assert_int_equal(first_pull(f->db, "1.0", D1, pin), 1);
	assert_string_equal(pin, D1);
	assert_int_equal(first_pull(f->other, "1.0", D2, pin), 0);
	assert_string_equal(pin, D1);
	/* The winner's own answer is unchanged by the loser's try. */
	assert_int_equal(db_pin_get(f->db, "docker.io", "team/app", "1.0", pin,
	    sizeof(pin), &err), RW_OK);
	assert_string_equal(pin, D1);
	if (tu_pg_url() == NULL)
		return;
	/*
	 * PostgreSQL: a winner whose notification has not reached this
	 * replica (here it sends none), so its cache still says "not pinned":
	 * losing the insert is what tells the loser to look again.
	 */
	wait_pin_cache(f->other);
	assert_int_equal(db_pin_get(f->other, "docker.io", "team/app", "2.0",
	    pin, sizeof(pin), &err), RW_ENOTFOUND);
	tu_pg_exec("INSERT INTO pins(host, repo, tag, digest, pinned_by, "
	    "source, pinned_at) VALUES('docker.io', 'team/app', '2.0', '" D1
	    "', 'elsewhere', 'first-pull', 1)");
	assert_int_equal(first_pull(f->other, "2.0", D2, pin), 0);
	assert_string_equal(pin, D1);
}

struct racer {
	struct db		*db;
	const char		*digest;
	pthread_barrier_t	*go;
	int			 won[ROUNDS];
	char			 pin[ROUNDS][RW_DIGEST_MAX];
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	char tag[16];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		snprintf(tag, sizeof(tag), "r%d", i);
		pthread_barrier_wait(r->go);
		r->won[i] = first_pull(r->db, tag, r->digest, r->pin[i]);
	}
	return NULL;
}

struct count {
	int	 n;
	char	 digest[ROUNDS][RW_DIGEST_MAX];
};

static int
count_pin(const struct db_pin *p, void *arg)
{
	struct count *c = arg;

	assert_true(c->n < ROUNDS);
	rw_strlcpy(c->digest[c->n++], p->digest, RW_DIGEST_MAX);
	return 0;
}

/*
 * The same race with both replicas let go at once, ROUNDS tags: each tag
 * has one winner, both replicas read its digest, and the store holds that
 * one pin per tag.
 */
static void
test_race_concurrent(void **state)
{
	struct fixture *f = *state;
	struct racer a = { .db = f->db, .digest = D1 };
	struct racer b = { .db = f->other, .digest = D2 };
	pthread_barrier_t go;
	struct count c = { 0 };
	struct rw_err err;
	pthread_t ta, tb;
	int i;

	pthread_barrier_init(&go, NULL, 2);
	a.go = b.go = &go;
	assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&go);
	for (i = 0; i < ROUNDS; i++) {
		assert_int_equal(a.won[i] + b.won[i], 1);
		assert_string_equal(a.pin[i], b.pin[i]);
		assert_string_equal(a.pin[i], a.won[i] ? D1 : D2);
	}
	rw_err_clear(&err);
	assert_int_equal(db_pin_list(f->db, count_pin, &c, &err), RW_OK);
	assert_int_equal(c.n, ROUNDS);
}

static void
test_connections_range(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_set_connections(f->db, 0, &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "database.connections: 0 is out of range (1 to 64)");
	rw_err_clear(&err);
	assert_int_equal(db_set_connections(f->db, 65, &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "database.connections: 65 is out of range (1 to 64)");
	assert_int_equal(db_set_connections(f->db, 3, &err), RW_OK);
}

struct blocked {
	struct db	*db;
	atomic_int	 done;
	int		 rc;
};

static void *
pin_held_tag(void *arg)
{
	struct blocked *b = arg;
	struct rw_err err;

	rw_err_clear(&err);
	b->rc = db_pin_set_if_absent(b->db, "docker.io", "held", "1", D1,
	    "puller", "first-pull", 1700000000, &err);
	atomic_store(&b->done, 1);
	return NULL;
}

/* 1 when some backend waits for a lock (a row another has not committed). */
static int
someone_waits(PGconn *c)
{
	PGresult *res;
	int n;

	res = PQexec(c, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE wait_event_type = 'Lock'");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	n = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n > 0;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
}

/*
 * PostgreSQL with two connections: while one verb waits on the database
 * (its pin insert behind a row another session has not committed), the
 * next verb runs on the other connection and answers.  With one
 * connection it would wait behind the first (and this test would hang
 * until CTest's timeout).
 */
static void
test_pool_verb_does_not_wait(void **state)
{
	struct fixture *f = *state;
	struct blocked b = { .db = f->db };
	char pin[RW_DIGEST_MAX];
	struct db_audit_row row = { .ts = 1700000000, .operation = "pull",
	    .repo = "free", .verdict = "allow" };
	struct rw_err err;
	PGconn *raw, *watch;
	pthread_t t;
	int i;

	if (tu_pg_url() == NULL)
		skip();
	rw_err_clear(&err);
	assert_int_equal(db_set_connections(f->db, 2, &err), RW_OK);
	raw = PQconnectdb(tu_pg_url());
	watch = PQconnectdb(tu_pg_url());
	assert_int_equal(PQstatus(raw), CONNECTION_OK);
	assert_int_equal(PQstatus(watch), CONNECTION_OK);
	exec_ok(raw, "BEGIN");
	exec_ok(raw, "INSERT INTO pins(host, repo, tag, digest, pinned_by, "
	    "source, pinned_at) VALUES('docker.io', 'held', '1', '" D2 "', "
	    "'admin', 'cli', 1)");
	assert_int_equal(pthread_create(&t, NULL, pin_held_tag, &b), 0);
	/* Bounded: 10 s for the insert to reach the row lock. */
	for (i = 0; i < 1000 && !someone_waits(watch); i++)
		usleep(10 * 1000);
	assert_true(someone_waits(watch));

	assert_int_equal(db_pin_get(f->db, "docker.io", "free", "1", pin,
	    sizeof(pin), &err), RW_ENOTFOUND);
	assert_int_equal(db_audit_add(f->db, &row, &err), RW_OK);
	assert_int_equal(atomic_load(&b.done), 0);	/* still waiting */

	exec_ok(raw, "COMMIT");
	pthread_join(t, NULL);
	assert_int_equal(b.rc, 0);	/* the other session pinned it first */
	assert_int_equal(db_pin_get(f->db, "docker.io", "held", "1", pin,
	    sizeof(pin), &err), RW_OK);
	assert_string_equal(pin, D2);
	assert_string_equal(err.msg, "");
	PQfinish(raw);
	PQfinish(watch);
}

static void
pin_is(struct db *db, const char *repo, const char *tag, int want_rc,
    const char *want)
{
	char pin[RW_DIGEST_MAX];
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_pin_get(db, "docker.io", repo, tag, pin,
	    sizeof(pin), &err), want_rc);
	if (want != NULL)
		assert_string_equal(pin, want);
	assert_string_equal(err.msg, "");
}

static void
pin_set(struct db *db, const char *repo, const char *tag, const char *d)
{
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(db_pin_set(db, "docker.io", repo, tag, d, "admin",
	    "cli", 1700000000, &err), RW_OK);
}

/*
 * PostgreSQL: pin TAG of repo "marker" and notify, as another replica
 * would, and wait (10 s at most) until DB has read it: its listener took
 * the notification and no other is on its way.
 */
static void
notified_pin(struct db *db, const char *tag)
{
	char sql[256], pin[RW_DIGEST_MAX];
	struct rw_err err;
	int i, rc = RW_ENOTFOUND;

	snprintf(sql, sizeof(sql), "INSERT INTO pins(host, repo, tag, digest, "
	    "pinned_by, source, pinned_at) VALUES('docker.io', 'marker', "
	    "'%s', '" D1 "', 't', 'cli', 1); SELECT pg_notify('regwarden', "
	    "'pins')", tag);
	tu_pg_exec(sql);
	for (i = 0; i < 1000 && rc == RW_ENOTFOUND; i++) {
		rw_err_clear(&err);
		rc = db_pin_get(db, "docker.io", "marker", tag, pin,
		    sizeof(pin), &err);
		if (rc == RW_ENOTFOUND)
			usleep(10 * 1000);
	}
	assert_int_equal(rc, RW_OK);
}

static void
pin_behind(const char *repo, const char *tag, const char *digest)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO pins(host, repo, tag, digest, "
	    "pinned_by, source, pinned_at) VALUES('docker.io', '%s', '%s', "
	    "'%s', 't', 'cli', 1)", repo, tag, digest);
	tu_pg_exec(sql);
}

/*
 * PostgreSQL: every pin is read at once, so the first pull of a tag never
 * looked up is answered from memory: a pin written behind the cache's back
 * (no notification) is not seen, and a notified change anywhere makes the
 * next lookup read them all again.
 */
static void
test_pin_snapshot(void **state)
{
	struct fixture *f = *state;

	if (tu_pg_url() == NULL)
		skip();
	wait_pin_cache(f->db);
	pin_behind("team/app", "never", D1);
	pin_is(f->db, "team/app", "never", RW_ENOTFOUND, NULL);
	notified_pin(f->db, "m1");
	pin_is(f->db, "team/app", "never", RW_OK, D1);
	/* Read with every other pin, not one by one: gone behind its back,
	 * a pin never looked up since still reads from memory. */
	pin_behind("team/app", "later", D2);
	notified_pin(f->db, "m2");
	tu_pg_exec("DELETE FROM pins WHERE tag = 'later'");
	pin_is(f->db, "team/app", "later", RW_OK, D2);
	/* A local change moves it at once, without waiting to be told. */
	pin_set(f->db, "team/app", "later", D1);
	pin_is(f->db, "team/app", "later", RW_OK, D1);
}

/*
 * PostgreSQL: up to DB_PIN_SNAP_MAX (4,096) pins are kept all at once;
 * above it each tag is looked up, so a pin written behind the cache's back
 * is seen at its first lookup.
 */
static void
test_pin_snapshot_bound(void **state)
{
	struct fixture *f = *state;

	if (tu_pg_url() == NULL)
		skip();
	wait_pin_cache(f->db);
	tu_pg_exec("DELETE FROM pins; INSERT INTO pins(host, repo, tag, digest, "
	    "pinned_by, source, pinned_at) SELECT 'docker.io', 'big', "
	    "'t' || g, '" D1 "', 't', 'cli', 1 FROM generate_series(1, 4095) g");
	notified_pin(f->db, "m1");			/* 4,096 pins */
	pin_is(f->db, "big", "t1", RW_OK, D1);
	pin_behind("big", "late1", D2);
	pin_is(f->db, "big", "late1", RW_ENOTFOUND, NULL);	/* all kept */
	notified_pin(f->db, "m2");			/* 4,098 */
	pin_is(f->db, "big", "t4095", RW_OK, D1);
	pin_behind("big", "late2", D2);
	pin_is(f->db, "big", "late2", RW_OK, D2);	/* looked up */
	pin_is(f->db, "big", "nothere", RW_ENOTFOUND, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_race_two_digests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_race_concurrent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connections_range, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_verb_does_not_wait,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_snapshot, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pin_snapshot_bound, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
