/*
 * test_rpmspool.c - rpm databases in layers: a real rpmdb.sqlite (made by
 * rpm, tests/content/mkrpmdb.sh) in a tar layer, read through the spool
 * and db/'s SQLite into the layer's packages; unreadable databases
 * recorded unread; no spool file left behind.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "content/content.h"
#include "server/rpmspool.h"
#include "tests/content/mklayer.h"
#include "tests/testutil.h"
#include "util/util.h"

#define RPMDB	"var/lib/rpm/rpmdb.sqlite"

struct fixture {
	char		 dir[64];	/* the rpm database is made here */
	char		 spool[80];	/* spools go here */
	unsigned char	*db;
	size_t		 dblen;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char cmd[512], p[128];

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwrpmspXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	snprintf(cmd, sizeof(cmd), "bash %s/tests/content/mkrpmdb.sh %s && "
	    "mkdir %s", RW_SOURCE_DIR, f->dir, f->spool);
	if (system(cmd) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/rpmdb.sqlite", f->dir);
	f->db = (unsigned char *)tu_slurp(p, &f->dblen);
	*state = f;
	return f->db != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->db);
	free(f);
	return 0;
}

/* A layer holding DB (LEN bytes) at PATH and a dpkg status, inspected. */
static struct content_index *
inspect(const char *path, const void *db, size_t len,
    const struct content_limits *lim)
{
	struct content_index *idx = NULL;
	struct mklayer m;
	struct rw_err err;

	ml_begin(&m, ML_GZIP, len + (1 << 20));
	ml_dir(&m, "var/lib/rpm");
	ml_entry(&m, path, AE_IFREG, 0644, db, len, NULL, NULL);
	ml_file(&m, "etc/os-release", "ID=rhel\n");
	ml_end(&m);
	/* Odd chunks: the spool sees blocks of every size. */
	if (ml_inspect(m.buf, m.used, 4093, lim, &idx, &err) != RW_OK)
		fail_msg("inspecting: %s", err.msg);
	free(m.buf);
	return idx;
}

/* "name version db|" for every package of IDX. */
static const char *
packages(const struct content_index *idx, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < idx->npackages && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s %s %s|",
		    idx->packages[i].name, idx->packages[i].version,
		    idx->packages[i].db);
	return buf;
}

/* Whether DIR holds no file: every spool was removed. */
static int
empty_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL)
		n += strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
	closedir(dp);
	return n == 0;
}

static void
test_read(void **state)
{
	struct fixture *f = *state;
	struct content_limits lim;
	struct content_index *idx;
	struct rpmspool rs;
	char buf[1024];

	content_limits_default(&lim);
	rpmspool_init(&rs, f->spool, lim.rpmdb_max, &lim);
	idx = inspect(RPMDB, f->db, f->dblen, &lim);
	assert_string_equal(packages(idx, buf, sizeof(buf)),
	    "openssh-server 1:8.7p1-34.el9 /var/lib/rpm/rpmdb.sqlite|"
	    "gcc-c++ 11.4.1-3.el9 /var/lib/rpm/rpmdb.sqlite|"
	    "bash 5.1.8-6.el9 /var/lib/rpm/rpmdb.sqlite|");
	assert_int_equal(idx->npkgdb_unread, 0);
	content_index_free(idx);
	/* The other place rpm keeps it (Fedora 36 and later). */
	idx = inspect("usr/lib/sysimage/rpm/rpmdb.sqlite", f->db, f->dblen,
	    &lim);
	assert_int_equal(idx->npackages, 3);
	assert_string_equal(idx->packages[2].db,
	    "/usr/lib/sysimage/rpm/rpmdb.sqlite");
	content_index_free(idx);
	assert_true(empty_dir(f->spool));
}

/* Whatever goes wrong, the database is recorded unread, never empty. */
static void
test_unread(void **state)
{
	struct fixture *f = *state;
	struct content_limits lim;
	struct content_index *idx;
	struct rpmspool rs;
	unsigned char *bad;

	/* No ops: as before, present and unread. */
	content_limits_default(&lim);
	idx = inspect(RPMDB, f->db, f->dblen, &lim);
	assert_int_equal(idx->npackages, 0);
	assert_int_equal(idx->npkgdb_unread, 1);
	assert_string_equal(idx->pkgdb_unread[0], "/var/lib/rpm/rpmdb.sqlite");
	content_index_free(idx);
	/* Larger than rpmdb_max: not spooled at all. */
	rpmspool_init(&rs, f->spool, f->dblen - 1, &lim);
	idx = inspect(RPMDB, f->db, f->dblen, &lim);
	assert_int_equal(idx->npackages, 0);
	assert_int_equal(idx->npkgdb_unread, 1);
	content_index_free(idx);
	/* Not a database. */
	rpmspool_init(&rs, f->spool, lim.rpmdb_max, &lim);
	idx = inspect(RPMDB, "garbage", 7, &lim);
	assert_int_equal(idx->npackages, 0);
	assert_int_equal(idx->npkgdb_unread, 1);
	content_index_free(idx);
	/* A header corrupted inside the real database (its NAME offset). */
	bad = malloc(f->dblen);
	assert_non_null(bad);
	memcpy(bad, f->db, f->dblen);
	{
		static const unsigned char name_tag[] = { 0, 0, 3, 0xe8, 0, 0,
			0, 6 };
		unsigned char *p = memmem(bad, f->dblen, name_tag,
		    sizeof(name_tag));

		assert_non_null(p);
		memset(p + 8, 0xff, 4);
	}
	idx = inspect(RPMDB, bad, f->dblen, &lim);
	assert_int_equal(idx->npkgdb_unread, 1);
	content_index_free(idx);
	free(bad);
	/* A spool directory that is not there: unread, nothing left. */
	rpmspool_init(&rs, "/nonexistent/rwspool", lim.rpmdb_max, &lim);
	idx = inspect(RPMDB, f->db, f->dblen, &lim);
	assert_int_equal(idx->npackages, 0);
	assert_int_equal(idx->npkgdb_unread, 1);
	content_index_free(idx);
	assert_true(empty_dir(f->spool));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
