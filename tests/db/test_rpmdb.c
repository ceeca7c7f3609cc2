/* test_rpmdb.c - db_rpmdb_headers over a real rpm database and hostile files. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/* Only to write the hostile databases the tests read. */
#include <sqlite3.h>

#include "content/content.h"
#include "db/db.h"
#include "tests/testutil.h"
#include "util/util.h"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char cmd[512];

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwrpmdbXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	/* A real database, written by rpm itself (tests/content/mkrpmdb.sh). */
	snprintf(cmd, sizeof(cmd), "bash %s/tests/content/mkrpmdb.sh %s",
	    RW_SOURCE_DIR, f->dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/rpmdb.sqlite", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The packages of the headers seen, "name evr|" each, sorted by rpm. */
struct seen {
	char	text[1024];
	int	n;
	int	stop_at;	/* nonzero: answer RW_EPARSE at that header */
};

static int
one(void *arg, const void *blob, size_t len)
{
	struct seen *s = arg;
	struct content_rpm p;
	struct rw_err err;
	size_t used = strlen(s->text);

	if (++s->n == s->stop_at)
		return RW_EPARSE;
	rw_err_clear(&err);
	if (content_rpm_header(blob, len, &p, &err) != RW_OK)
		fail_msg("header %d: %s", s->n, err.msg);
	snprintf(s->text + used, sizeof(s->text) - used, "%s %s %s|", p.name,
	    p.evr, p.arch);
	return RW_OK;
}

static void
test_real(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	struct rw_err err;

	memset(&s, 0, sizeof(s));
	rw_err_clear(&err);
	assert_int_equal(db_rpmdb_headers(f->path, one, &s, &err), RW_OK);
	/* In hnum order: the order rpm's transaction installed them. */
	assert_string_equal(s.text, "openssh-server 1:8.7p1-34.el9 noarch|"
	    "gcc-c++ 11.4.1-3.el9 noarch|bash 5.1.8-6.el9 noarch|");
	/* Nothing was written beside it: immutable, no -wal, no -shm. */
	{
		char p[200];

		snprintf(p, sizeof(p), "%s-shm", f->path);
		assert_int_equal(access(p, F_OK), -1);
		snprintf(p, sizeof(p), "%s-wal", f->path);
		assert_int_equal(access(p, F_OK), -1);
	}
	/* The callback stops the walk; its code is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	rw_err_clear(&err);
	assert_int_equal(db_rpmdb_headers(f->path, one, &s, &err), RW_EPARSE);
	assert_string_equal(err.msg, "rpm database: header 2 refused");
	assert_int_equal(s.n, 2);
}

/* A database written with SQL SQL (one string of statements) at PATH. */
static void
make_db(const char *path, const char *sql)
{
	sqlite3 *h = NULL;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void
refused(const char *path, int code, const char *msg)
{
	struct seen s;
	struct rw_err err;

	memset(&s, 0, sizeof(s));
	rw_err_clear(&err);
	assert_int_equal(db_rpmdb_headers(path, one, &s, &err), code);
	assert_string_equal(err.msg, msg);
	assert_int_equal(s.n, 0);
}

static void
test_hostile(void **state)
{
	struct fixture *f = *state;
	char p[200], other[200];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/x.sqlite", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("not a database, but long enough to have a header page.......",
	    fp);
	fclose(fp);
	refused(p, RW_EPARSE, "rpm database: no Packages table: file is not "
	    "a database");
	make_db(p, "CREATE TABLE Other(hnum INTEGER PRIMARY KEY, blob BLOB)");
	refused(p, RW_EPARSE, "rpm database: no Packages table: no such "
	    "table: main.Packages");
	/* A view would run whatever its author wrote: views are off. */
	make_db(p, "CREATE TABLE t(hnum INTEGER PRIMARY KEY, blob BLOB);"
	    "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION "
	    "ALL SELECT x + 1 FROM c) SELECT x AS hnum, zeroblob(10) AS blob "
	    "FROM c");
	refused(p, RW_EPARSE, "rpm database: no Packages table: no such "
	    "table: main.c");
	make_db(p, "CREATE TABLE t(hnum INTEGER PRIMARY KEY, blob BLOB);"
	    "CREATE VIEW Packages AS SELECT hnum, blob FROM t");
	refused(p, RW_EPARSE, "rpm database: no Packages table: access to "
	    "view \"Packages\" prohibited");
	/* A value over the 16 MiB bound is refused, not handed on. */
	make_db(p, "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB);"
	    "INSERT INTO Packages VALUES(1, zeroblob(16777217))");
	refused(p, RW_EPARSE, "rpm database: reading Packages: string or blob "
	    "too big");
	/* The real database cut in half. */
	snprintf(other, sizeof(other), "%s/half.sqlite", f->dir);
	{
		size_t len;
		char *b = tu_slurp(f->path, &len);

		fp = fopen(other, "w");
		assert_non_null(fp);
		assert_int_equal(fwrite(b, 1, len / 8, fp), len / 8);
		fclose(fp);
		free(b);
	}
	refused(other, RW_EPARSE, "rpm database: no Packages table: database "
	    "disk image is malformed");
	refused("relative.sqlite", RW_EINVAL, "db_rpmdb_headers: "
	    "relative.sqlite: not a plain absolute path");
	refused("/tmp/a?mode=rwc", RW_EINVAL, "db_rpmdb_headers: "
	    "/tmp/a?mode=rwc: not a plain absolute path");
	snprintf(other, sizeof(other), "%s/missing.sqlite", f->dir);
	refused(other, RW_EPARSE, "rpm database: sqlite3_open_v2: unable to "
	    "open database file");
	unlink(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
