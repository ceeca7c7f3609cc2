/*
 * test_hostile.c - archives made to hurt: names leaving the root, absurd
 * and sparse size claims, a decompression bomb, truncated and foreign
 * streams, too many entries.  Each is refused with a clear message in
 * bounded memory (ASan watches), never indexed in part.
 */
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

static int
inspect(const void *p, size_t len, const struct content_limits *lim,
    struct rw_err *err)
{
	struct content_index *idx = (void *)1;
	int rc = ml_inspect(p, len, 4096, lim, &idx, err);

	if (rc != RW_OK)
		assert_null(idx);
	content_index_free(idx);
	return rc;
}

static void
test_traversal(void **state)
{
	struct mklayer m;
	struct rw_err err;

	(void)state;
	ml_begin(&m, ML_NONE, 1 << 16);
	ml_file(&m, "ok", "1");
	ml_file(&m, "a/../../etc/passwd", "root::0:0::/:/bin/sh\n");
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, NULL, &err), RW_EPARSE);
	assert_string_equal(err.msg, "layer entry 2: the path "
	    "\"a/../../etc/passwd\" leaves the root (\"..\")");
	free(m.buf);

	ml_begin(&m, ML_NONE, 1 << 16);
	ml_file(&m, "x", "1");
	ml_entry(&m, "y", AE_IFREG, 0644, NULL, 0, NULL, "../x");
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, NULL, &err), RW_EPARSE);
	assert_string_equal(err.msg, "layer entry 2: the link target "
	    "\"../x\" leaves the root (\"..\")");
	free(m.buf);

	/* A symbolic link may point anywhere: recorded, never followed. */
	ml_begin(&m, ML_NONE, 1 << 16);
	ml_entry(&m, "etc/shadow", AE_IFLNK, 0777, NULL, 0,
	    "../../../../../etc/shadow", NULL);
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, NULL, &err), RW_OK);
	free(m.buf);
}

/* One raw 512-byte tar header; SIZE and REAL (GNU sparse) in base-256. */
static void
header(unsigned char *h, const char *name, char type, uint64_t size,
    uint64_t real, uint64_t sparse_off, uint64_t sparse_len)
{
	unsigned sum = 0;
	int i;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	h[124] = 0x80;
	for (i = 0; i < 8; i++)
		h[135 - i] = (unsigned char)(size >> (8 * i));
	memcpy(h + 136, "00000000000", 11);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar  ", 8);	/* GNU magic and version */
	if (type == 'S') {
		h[386] = 0x80;
		for (i = 0; i < 8; i++)
			h[397 - i] = (unsigned char)(sparse_off >> (8 * i));
		h[398] = 0x80;
		for (i = 0; i < 8; i++)
			h[409 - i] = (unsigned char)(sparse_len >> (8 * i));
		h[483] = 0x80;
		for (i = 0; i < 8; i++)
			h[494 - i] = (unsigned char)(real >> (8 * i));
	}
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void
test_absurd_size(void **state)
{
	unsigned char t[512 * 4];
	struct rw_err err;

	(void)state;
	memset(t, 0, sizeof(t));
	header(t, "huge", '0', (uint64_t)1 << 60, 0, 0, 0);
	memcpy(t + 512, "data", 4);
	assert_int_equal(inspect(t, sizeof(t), NULL, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "layer entry 1 claims "
	    "1152921504606846976 bytes, more than the 8589934592 a layer "
	    "may hold");
}

static void
test_sparse_claim(void **state)
{
	uint64_t ten = (uint64_t)10 << 30;
	unsigned char t[512 * 5];
	struct content_limits lim;
	struct content_index *idx;
	struct rw_err err;

	(void)state;
	memset(t, 0, sizeof(t));
	header(t, "sparse", 'S', 512, ten, ten - 512, 512);
	memset(t + 512, 'x', 512);
	/* Past the default limit: refused by its claim, nothing read. */
	assert_int_equal(inspect(t, sizeof(t), NULL, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "layer entry 1 claims 10737418240 "
	    "bytes, more than the 8589934592 a layer may hold");
	/* Within a larger limit: indexed from its 512 stored bytes, the
	 * 10 GB of holes never made (ASan would run out of time first). */
	content_limits_default(&lim);
	lim.max_stream_bytes = (uint64_t)16 << 30;
	assert_int_equal(ml_inspect(t, sizeof(t), 4096, &lim, &idx, &err),
	    RW_OK);
	assert_int_equal(idx->nentries, 1);
	assert_int_equal(idx->entries[0].size, (int64_t)ten);
	assert_true(idx->stream_bytes < 8192);
	content_index_free(idx);
}

static void
test_bomb(void **state)
{
	struct content_limits lim;
	struct mklayer m;
	struct archive_entry *e;
	struct rw_err err;
	char *zeros = calloc(1, 1 << 20);
	int i;

	(void)state;
	assert_non_null(zeros);
	ml_begin(&m, ML_GZIP, 1 << 20);
	e = archive_entry_new();
	archive_entry_set_pathname(e, "zeros");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)64 << 20);
	assert_int_equal(archive_write_header(m.a, e), ARCHIVE_OK);
	for (i = 0; i < 64; i++)
		assert_int_equal(archive_write_data(m.a, zeros, 1 << 20),
		    1 << 20);
	archive_entry_free(e);
	ml_end(&m);
	assert_true(m.used < (256 << 10));	/* a bomb: 64 MiB in < 256 KiB */
	content_limits_default(&lim);
	lim.max_stream_bytes = (uint64_t)8 << 20;
	assert_int_equal(inspect(m.buf, m.used, &lim, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "layer entry 1 claims 67108864 bytes, "
	    "more than the 8388608 a layer may hold");
	/* A bomb of many small entries meets the stream limit instead. */
	free(m.buf);
	ml_begin(&m, ML_GZIP, 1 << 20);
	for (i = 0; i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "z%d", i);
		ml_entry(&m, name, AE_IFREG, 0644, zeros, 1 << 20, NULL, NULL);
	}
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, &lim, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "the layer expands past 8388608 bytes");
	free(m.buf);
	free(zeros);
}

static void
test_truncated(void **state)
{
	static const int filters[] = { ML_NONE, ML_GZIP, ML_ZSTD };
	struct mklayer m;
	struct rw_err err;
	char *text = malloc(100000);
	size_t k;
	int f;

	(void)state;
	assert_non_null(text);
	memset(text, 'a', 99999);
	text[99999] = '\0';
	for (f = 0; f < 3; f++) {
		ml_begin(&m, filters[f], 1 << 20);
		ml_file(&m, "a", text);
		ml_file(&m, "b", text);
		ml_end(&m);
		for (k = 1; k < 8; k++) {
			assert_int_equal(inspect(m.buf, m.used * k / 8, NULL,
			    &err), RW_EPARSE);
			print_message("%d %zu/8: %s\n", f, k, err.msg);
			assert_true(strncmp(err.msg, "layer entry ", 12) == 0 ||
			    strncmp(err.msg, "the layer cannot be read: ", 26) == 0);
		}
		free(m.buf);
	}
	free(text);
}

static void
test_not_tar(void **state)
{
	char junk[4096];
	struct rw_err err;

	(void)state;
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(inspect(junk, sizeof(junk), NULL, &err), RW_EPARSE);
	assert_string_equal(err.msg, "the layer cannot be read: Unrecognized "
	    "archive format");
}

static void
test_read_fails(void **state)
{
	struct ml_src s;
	struct content_index *idx;
	struct mklayer m;
	struct rw_err err;

	(void)state;
	ml_begin(&m, ML_GZIP, 1 << 20);
	ml_file(&m, "a", "1");
	ml_end(&m);
	s.p = m.buf;
	s.left = m.used;
	s.chunk = 16;
	s.fail_after = 2;
	rw_err_clear(&err);
	assert_int_equal(content_inspect(ml_read, &s, NULL, &idx, &err),
	    RW_EIO);
	assert_null(idx);
	assert_string_equal(err.msg, "reading the layer failed");
	free(m.buf);
}

static void
test_limits(void **state)
{
	struct content_limits lim;
	struct mklayer m;
	struct rw_err err;
	char name[64];
	int i;

	(void)state;
	content_limits_default(&lim);
	lim.max_entries = 10;
	lim.max_path = 20;
	ml_begin(&m, ML_NONE, 1 << 16);
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ml_file(&m, name, "");
	}
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, &lim, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "the layer has more than 10 entries");
	free(m.buf);
	ml_begin(&m, ML_NONE, 1 << 16);
	ml_file(&m, "abcdefghij/abcdefghij", "");
	ml_end(&m);
	assert_int_equal(inspect(m.buf, m.used, &lim, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "layer entry 1: the path is longer than "
	    "20 bytes");
	free(m.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_absurd_size),
		cmocka_unit_test(test_sparse_claim),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_tar),
		cmocka_unit_test(test_read_fails),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
