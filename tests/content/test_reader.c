/* test_reader.c - layers the test writes, through content_inspect. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "content/content.h"
#include "util/util.h"

#include "mklayer.h"

#define KEY_PEM	"-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n" \
		"-----END RSA PRIVATE KEY-----\n"

/* A layer with one of each kind of entry, in FILTER. */
static void
sample(struct mklayer *m, int filter)
{
	char longname[400];

	ml_begin(m, filter, 1 << 20);
	ml_dir(m, "./");
	ml_dir(m, "./usr/");
	ml_dir(m, "./usr/bin/");
	ml_entry(m, "./usr/bin/app", AE_IFREG, 04755, "ELF", 3, NULL, NULL);
	ml_entry(m, "./usr/bin/app2", AE_IFREG, 0755, NULL, 0, NULL,
	    "./usr/bin/app");
	ml_entry(m, "usr/bin/sh", AE_IFLNK, 0777, NULL, 0, "../../bin/dash",
	    NULL);
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "opt/", 4);
	longname[sizeof(longname) - 1] = '\0';
	ml_file(m, longname, "long");
	ml_file(m, "app/certs/server.key", KEY_PEM);
	ml_end(m);
}

static void
check_sample(const struct content_index *idx)
{
	const struct content_entry *e;
	char longname[401];

	assert_int_equal(idx->nentries, 8);
	e = ml_find(idx, "/");
	assert_non_null(e);
	assert_int_equal(e->type, CONTENT_DIR);
	e = ml_find(idx, "/usr/bin/app");
	assert_non_null(e);
	assert_int_equal(e->type, CONTENT_FILE);
	assert_int_equal(e->mode, 04755);
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->gid, 1001);
	assert_int_equal(e->size, 3);
	assert_null(e->link);
	e = ml_find(idx, "/usr/bin/app2");
	assert_non_null(e);
	assert_int_equal(e->type, CONTENT_HARDLINK);
	assert_string_equal(e->link, "/usr/bin/app");
	e = ml_find(idx, "/usr/bin/sh");
	assert_non_null(e);
	assert_int_equal(e->type, CONTENT_SYMLINK);
	assert_string_equal(e->link, "../../bin/dash");	/* as written */
	/* "/" and sample()'s 399 bytes: past ustar's 100 and 155. */
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "/opt/", 5);
	longname[sizeof(longname) - 1] = '\0';
	e = ml_find(idx, longname);
	assert_non_null(e);
	assert_int_equal(e->size, 4);
	assert_int_equal(idx->nfindings, 1);
	assert_string_equal(idx->findings[0].path, "/app/certs/server.key");
	assert_string_equal(idx->findings[0].what, "PEM RSA PRIVATE KEY");
	assert_int_equal(idx->file_bytes, 3 + 4 + strlen(KEY_PEM));
}

static void
test_formats(void **state)
{
	static const int filters[] = { ML_NONE, ML_GZIP, ML_ZSTD };
	static const size_t chunks[] = { 1, 7, 65536 };
	struct content_index *idx;
	struct mklayer m;
	struct rw_err err;
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		sample(&m, filters[i]);
		for (j = 0; j < 3; j++) {
			assert_int_equal(ml_inspect(m.buf, m.used, chunks[j],
			    NULL, &idx, &err), RW_OK);
			check_sample(idx);
			content_index_free(idx);
		}
		free(m.buf);
	}
}

/* A key across the scanner's 64 KiB window edge is still found. */
static void
test_straddle(void **state)
{
	struct content_index *idx;
	struct mklayer m;
	struct rw_err err;
	size_t off, n = 200000;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	for (off = 65536 - 20; off < 65536 + 140; off += 13) {
		memset(big, '.', n);
		memcpy(big + off, KEY_PEM, strlen(KEY_PEM));
		ml_begin(&m, ML_GZIP, 1 << 20);
		ml_entry(&m, "big.txt", AE_IFREG, 0644, big, n, NULL, NULL);
		ml_end(&m);
		assert_int_equal(ml_inspect(m.buf, m.used, 4093, NULL, &idx,
		    &err), RW_OK);
		assert_int_equal(idx->nfindings, 1);
		content_index_free(idx);
		free(m.buf);
	}
	free(big);
}

/* Files past scan_max_file are indexed, not scanned (documented). */
static void
test_scan_limit(void **state)
{
	struct content_limits lim;
	struct content_index *idx;
	struct mklayer m;
	struct rw_err err;

	(void)state;
	content_limits_default(&lim);
	lim.scan_max_file = 16;
	ml_begin(&m, ML_NONE, 1 << 16);
	ml_file(&m, "k.pem", KEY_PEM);
	ml_end(&m);
	assert_int_equal(ml_inspect(m.buf, m.used, 512, &lim, &idx, &err),
	    RW_OK);
	assert_int_equal(idx->nentries, 1);
	assert_int_equal(idx->nfindings, 0);
	content_index_free(idx);
	free(m.buf);
}

static struct content_index *
layer_of(void (*fill)(struct mklayer *))
{
	struct content_index *idx;
	struct mklayer m;
	struct rw_err err;

	ml_begin(&m, ML_GZIP, 1 << 20);
	fill(&m);
	ml_end(&m);
	assert_int_equal(ml_inspect(m.buf, m.used, 1000, NULL, &idx, &err),
	    RW_OK);
	free(m.buf);
	return idx;
}

static void
lower(struct mklayer *m)
{
	ml_dir(m, "etc/");
	ml_file(m, "etc/a", "a");
	ml_file(m, "etc/b", "b");
	ml_dir(m, "opt/x/");
	ml_file(m, "opt/x/y", "y");
	ml_dir(m, "opt/x/sub/");
	ml_file(m, "opt/x/sub/z", "z");
	ml_file(m, "opt/xx", "stays: a sibling, not a child, of /opt/x");
	ml_file(m, "root/.aws/credentials", "[default]\n"
	    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
	ml_entry(m, "usr/bin/su", AE_IFREG, 04755, "ELF", 3, NULL, NULL);
}

static void
upper(struct mklayer *m)
{
	ml_file(m, "etc/.wh.a", "");
	ml_dir(m, "opt/x/");
	ml_file(m, "opt/x/.wh..wh..opq", "");
	ml_file(m, "opt/x/new", "new");
	ml_file(m, "root/.aws/.wh.credentials", "");
	ml_file(m, "etc/b", "b2");
}

static void
test_whiteouts(void **state)
{
	struct content_index *l[2];
	struct content_fs *fs;
	const struct content_file *f;
	const struct content_entry *e;
	struct rw_err err;

	(void)state;
	l[0] = layer_of(lower);
	l[1] = layer_of(upper);
	/* Whiteout entries say what they delete; they are not files. */
	e = ml_find(l[1], "/etc/a");
	assert_non_null(e);
	assert_int_equal(e->type, CONTENT_WHITEOUT);
	e = ml_find(l[1], "/root/.aws/credentials");
	assert_int_equal(e->type, CONTENT_WHITEOUT);
	assert_int_equal(l[1]->nfindings, 0);
	/* The deleted key is still in the lower layer's findings. */
	assert_int_equal(l[0]->nfindings, 2);
	assert_string_equal(l[0]->findings[0].what, "AWS access key id");
	assert_string_equal(l[0]->findings[1].what, "AWS credentials file");
	assert_string_equal(l[0]->findings[1].path, "/root/.aws/credentials");

	rw_err_clear(&err);
	assert_int_equal(content_final(l, 2, &fs, &err), RW_OK);
	assert_null(content_fs_get(fs, "/etc/a"));
	assert_null(content_fs_get(fs, "/opt/x/y"));
	assert_null(content_fs_get(fs, "/opt/x/sub"));
	assert_null(content_fs_get(fs, "/opt/x/sub/z"));
	assert_null(content_fs_get(fs, "/root/.aws/credentials"));
	assert_non_null(content_fs_get(fs, "/opt/x"));
	assert_non_null(content_fs_get(fs, "/opt/x/new"));
	assert_non_null(content_fs_get(fs, "/opt/xx"));
	f = content_fs_get(fs, "/etc/b");
	assert_non_null(f);
	assert_int_equal(f->layer, 1);
	assert_int_equal(f->e->size, 2);
	f = content_fs_get(fs, "/usr/bin/su");
	assert_int_equal(f->layer, 0);
	assert_int_equal(f->e->mode & 04000, 04000);
	/* etc, etc/b, opt/x, opt/x/new, opt/xx, usr/bin/su (a directory
	 * no entry names, /root/.aws, is not made up) */
	assert_int_equal(fs->nfiles, 6);
	assert_int_equal(fs->file_bytes, 2 + 3 + 3 +
	    strlen("stays: a sibling, not a child, of /opt/x"));
	content_fs_free(fs);

	/* Alone, the lower layer keeps everything. */
	assert_int_equal(content_final(l, 1, &fs, &err), RW_OK);
	assert_non_null(content_fs_get(fs, "/root/.aws/credentials"));
	assert_int_equal(fs->nfiles, 10);
	content_fs_free(fs);
	content_index_free(l[0]);
	content_index_free(l[1]);
}

static void
opaque_root(struct mklayer *m)
{
	ml_file(m, ".wh..wh..opq", "");
	ml_file(m, "only", "1");
}

static void
test_opaque_root(void **state)
{
	struct content_index *l[2];
	struct content_fs *fs;
	struct rw_err err;

	(void)state;
	l[0] = layer_of(lower);
	l[1] = layer_of(opaque_root);
	assert_int_equal(ml_find(l[1], "/")->type, CONTENT_OPAQUE);
	assert_int_equal(content_final(l, 2, &fs, &err), RW_OK);
	assert_int_equal(fs->nfiles, 1);
	assert_string_equal(fs->files[0].e->path, "/only");
	content_fs_free(fs);
	content_index_free(l[0]);
	content_index_free(l[1]);
}

#define DPKG_STATUS \
	"Package: openssh-server\n" \
	"Status: install ok installed\n" \
	"Architecture: amd64\n" \
	"Version: 1:9.2p1-2+deb12u3\n" \
	"Description: secure shell (SSH) server\n" \
	" continuation line: Package: not-a-package\n" \
	"\n" \
	"Package: libc6\n" \
	"Status: install ok installed\n" \
	"Version: 2.36-9\n" \
	"\n" \
	"Package: gcc-12\n" \
	"Status: deinstall ok config-files\n" \
	"Version: 12.2.0-14\n"

static void
packages(struct mklayer *m)
{
	ml_file(m, "var/lib/dpkg/status", DPKG_STATUS);
	ml_file(m, "var/lib/dpkg/status.d/base-files",
	    "Package: base-files\nVersion: 12.4\n");
	ml_file(m, "var/lib/dpkg/status.d/base-files.md5sums", "x  y\n");
	ml_file(m, "lib/apk/db/installed", "C:Q1abc\nP:musl\nV:1.2.4-r2\n"
	    "A:x86_64\n\nC:Q1def\nP:busybox\nV:1.36.1-r5\n");
	ml_file(m, "var/lib/rpm/rpmdb.sqlite", "SQLite format 3");
}

static void
remove_status(struct mklayer *m)
{
	ml_file(m, "var/lib/dpkg/.wh.status", "");
}

static void
test_packages(void **state)
{
	static const char *const want[][3] = {
		{ "openssh-server", "1:9.2p1-2+deb12u3", "/var/lib/dpkg/status" },
		{ "libc6", "2.36-9", "/var/lib/dpkg/status" },
		{ "base-files", "12.4", "/var/lib/dpkg/status.d/base-files" },
		{ "musl", "1.2.4-r2", "/lib/apk/db/installed" },
		{ "busybox", "1.36.1-r5", "/lib/apk/db/installed" },
	};
	struct content_index *l[2];
	struct content_fs *fs;
	struct rw_err err;
	size_t i;

	(void)state;
	l[0] = layer_of(packages);
	assert_int_equal(l[0]->npackages, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(l[0]->packages[i].name, want[i][0]);
		assert_string_equal(l[0]->packages[i].version, want[i][1]);
		assert_string_equal(l[0]->packages[i].db, want[i][2]);
	}
	assert_int_equal(l[0]->npkgdb_unread, 1);
	assert_string_equal(l[0]->pkgdb_unread[0], "/var/lib/rpm/rpmdb.sqlite");
	assert_int_equal(content_final(l, 1, &fs, &err), RW_OK);
	assert_int_equal(fs->npackages, 5);
	assert_int_equal(fs->npkgdb_unread, 1);
	content_fs_free(fs);
	/* A later layer that deletes the status file takes its packages. */
	l[1] = layer_of(remove_status);
	assert_int_equal(content_final(l, 2, &fs, &err), RW_OK);
	assert_int_equal(fs->npackages, 3);
	assert_string_equal(fs->packages[0].name, "base-files");
	content_fs_free(fs);
	content_index_free(l[0]);
	content_index_free(l[1]);
}

static void
test_codec(void **state)
{
	struct content_index *a, *b;
	struct rw_buf buf, again;
	struct rw_err err;
	size_t cut;

	(void)state;
	a = layer_of(lower);
	rw_buf_init(&buf, 1 << 20);
	rw_buf_init(&again, 1 << 20);
	assert_int_equal(content_encode(a, &buf), RW_OK);
	rw_err_clear(&err);
	assert_int_equal(content_decode(buf.data, buf.len, &b, &err), RW_OK);
	assert_int_equal(b->nentries, a->nentries);
	assert_int_equal(b->nfindings, 2);
	assert_string_equal(b->findings[1].what, "AWS credentials file");
	assert_int_equal(ml_find(b, "/usr/bin/su")->mode, 04755);
	assert_int_equal(b->file_bytes, a->file_bytes);
	assert_int_equal(content_encode(b, &again), RW_OK);
	assert_int_equal(again.len, buf.len);
	assert_memory_equal(again.data, buf.data, buf.len);
	content_index_free(b);
	/* Every truncation is refused, never read past. */
	for (cut = 0; cut < buf.len; cut++) {
		rw_err_clear(&err);
		assert_int_equal(content_decode(buf.data, cut, &b, &err),
		    RW_EPARSE);
		assert_null(b);
	}
	rw_err_clear(&err);
	buf.data[4] = 9;
	assert_int_equal(content_decode(buf.data, buf.len, &b, &err),
	    RW_EPARSE);
	assert_string_equal(err.msg, "content index version 9 is not 2");
	rw_buf_free(&buf);
	rw_buf_free(&again);
	content_index_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_straddle),
		cmocka_unit_test(test_scan_limit),
		cmocka_unit_test(test_whiteouts),
		cmocka_unit_test(test_opaque_root),
		cmocka_unit_test(test_packages),
		cmocka_unit_test(test_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
