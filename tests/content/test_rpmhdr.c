/* test_rpmhdr.c - content_rpm_header: rpm header blobs, good and hostile. */
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

/* One index entry of a header being written. */
struct ent {
	uint32_t	tag, type, off, count;
};

/* A header blob: IL entries, then DL bytes of DATA; into OUT, its length. */
static size_t
build(unsigned char *out, size_t cap, const struct ent *e, uint32_t il,
    const void *data, uint32_t dl)
{
	size_t i, n = 8 + (size_t)il * 16 + dl;
	uint32_t v[4];
	int k;

	assert_true(n <= cap);
	for (k = 0; k < 4; k++)
		out[k] = (unsigned char)(il >> (24 - 8 * k));
	for (k = 0; k < 4; k++)
		out[4 + k] = (unsigned char)(dl >> (24 - 8 * k));
	for (i = 0; i < il; i++) {
		v[0] = e[i].tag;
		v[1] = e[i].type;
		v[2] = e[i].off;
		v[3] = e[i].count;
		for (k = 0; k < 16; k++)
			out[8 + i * 16 + (size_t)k] = (unsigned char)(v[k / 4] >>
			    (24 - 8 * (k % 4)));
	}
	memcpy(out + 8 + (size_t)il * 16, data, dl);
	return n;
}

/*
 * The data store of a well-formed header: NAME at 0, VERSION at 15,
 * RELEASE at 21, padding, EPOCH at 28 (aligned), ARCH at 32.
 */
static const char store[] = "openssh-server\0" "8.7p1\0" "34.el9\0"
	"\0\0\0\1" "x86_64";
#define STORE_LEN	((uint32_t)sizeof(store))	/* with the last NUL */

static const struct ent good[] = {
	{ 63, 7, 0, 16 },		/* a region tag: not read */
	{ 1000, 6, 0, 1 },
	{ 1001, 6, 15, 1 },
	{ 1002, 6, 21, 1 },
	{ 1003, 4, 28, 1 },
	{ 1022, 6, 32, 1 },
};

static void
test_good(void **state)
{
	unsigned char b[512];
	struct content_rpm p;
	struct rw_err err;
	size_t n;

	(void)state;
	rw_err_clear(&err);
	n = build(b, sizeof(b), good, 6, store, STORE_LEN);
	assert_int_equal(content_rpm_header(b, n, &p, &err), RW_OK);
	assert_string_equal(p.name, "openssh-server");
	assert_string_equal(p.evr, "1:8.7p1-34.el9");
	assert_string_equal(p.arch, "x86_64");
	/* Without EPOCH and RELEASE: the version alone. */
	n = build(b, sizeof(b), good + 1, 2, store, STORE_LEN);
	assert_int_equal(content_rpm_header(b, n, &p, &err), RW_OK);
	assert_string_equal(p.evr, "8.7p1");
	assert_string_equal(p.arch, "");
}

struct bad_row {
	const char	*name;
	struct ent	 e[3];
	uint32_t	 il;
	int32_t		 len_delta;	/* added to the true length */
	uint32_t	 il_claim;	/* nonzero: the count written instead */
	const char	*msg;
};

static const struct bad_row bad[] = {
	{ "offset past the data", { { 1000, 6, STORE_LEN, 1 } }, 1, 0, 0,
	  "rpm header: tag 1000 (NAME) points past the data" },
	{ "huge offset", { { 1001, 6, 0xffffffffu, 1 } }, 1, 0, 0,
	  "rpm header: tag 1001 (VERSION) points past the data" },
	{ "name not a string", { { 1000, 4, 0, 1 } }, 1, 0, 0,
	  "rpm header: tag 1000 (NAME) has type 4, not a string" },
	{ "twice", { { 1000, 6, 0, 1 }, { 1000, 6, 15, 1 } }, 2, 0, 0,
	  "rpm header: tag 1000 (NAME) appears twice" },
	{ "no version", { { 1000, 6, 0, 1 } }, 1, 0, 0,
	  "rpm header: no VERSION" },
	{ "no name", { { 1001, 6, 15, 1 } }, 1, 0, 0, "rpm header: no NAME" },
	/* Found by fuzz_rpmhdr: an empty VERSION made a package without one. */
	{ "empty version", { { 1000, 6, 0, 1 }, { 1001, 6, 27, 1 } }, 2, 0, 0,
	  "rpm header: no VERSION" },
	{ "empty name", { { 1000, 6, 27, 1 }, { 1001, 6, 15, 1 } }, 2, 0, 0,
	  "rpm header: no NAME" },
	{ "epoch misaligned", { { 1003, 4, 27, 1 } }, 1, 0, 0,
	  "rpm header: tag 1003 (EPOCH) is not one aligned 32-bit integer" },
	{ "epoch past the end", { { 1003, 4, 36, 1 } }, 1, 0, 0,
	  "rpm header: tag 1003 (EPOCH) is not one aligned 32-bit integer" },
	{ "epoch array", { { 1003, 4, 28, 2 } }, 1, 0, 0,
	  "rpm header: tag 1003 (EPOCH) is not one aligned 32-bit integer" },
	{ "one byte short", { { 1000, 6, 0, 1 } }, 1, -1, 0,
	  "rpm header: 1 entries and 39 data bytes do not make its 62 bytes" },
	{ "one byte over", { { 1000, 6, 0, 1 } }, 1, 1, 0,
	  "rpm header: 1 entries and 39 data bytes do not make its 64 bytes" },
	{ "count claims more", { { 1000, 6, 0, 1 } }, 1, 0, 1000,
	  "rpm header: 1000 entries and 39 data bytes do not make its 63 "
	  "bytes" },
	{ "count past rpm's", { { 1000, 6, 0, 1 } }, 1, 0, 0x10000,
	  "rpm header: 65536 entries and 39 data bytes are out of range" },
};

static void
test_bad(void **state)
{
	unsigned char b[512];
	struct content_rpm p;
	struct rw_err err;
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rw_err_clear(&err);
		n = build(b, sizeof(b), bad[i].e, bad[i].il, store, STORE_LEN);
		if (bad[i].il_claim != 0)
			for (k = 0; k < 4; k++)
				b[k] = (unsigned char)(bad[i].il_claim >>
				    (24 - 8 * k));
		n = (size_t)((int64_t)n + bad[i].len_delta);
		if (content_rpm_header(b, n, &p, &err) != RW_EPARSE)
			fail_msg("row %s: accepted", bad[i].name);
		if (strcmp(err.msg, bad[i].msg) != 0)
			fail_msg("row %s: got \"%s\"", bad[i].name, err.msg);
		assert_string_equal(p.name, "");
	}
}

/* A string without its NUL at the end of the store, and an overlong one. */
static void
test_strings(void **state)
{
	static const struct ent e[] = { { 1000, 6, 0, 1 }, { 1001, 6, 0, 1 } };
	unsigned char b[1024], data[400];
	struct content_rpm p;
	struct rw_err err;
	size_t n;

	(void)state;
	rw_err_clear(&err);
	n = build(b, sizeof(b), e, 2, "abc", 3);
	assert_int_equal(content_rpm_header(b, n, &p, &err), RW_EPARSE);
	assert_string_equal(err.msg, "rpm header: tag 1000 (NAME) is not "
	    "terminated");
	memset(data, 'a', sizeof(data));
	data[sizeof(data) - 1] = '\0';
	rw_err_clear(&err);
	n = build(b, sizeof(b), e, 2, data, sizeof(data));
	assert_int_equal(content_rpm_header(b, n, &p, &err), RW_EPARSE);
	assert_string_equal(err.msg, "rpm header: tag 1000 (NAME) is longer "
	    "than 255 bytes");
	/* 255 bytes is the longest kept. */
	data[255] = '\0';
	rw_err_clear(&err);
	n = build(b, sizeof(b), e, 2, data, sizeof(data));
	assert_int_equal(content_rpm_header(b, n, &p, &err), RW_OK);
	assert_int_equal(strlen(p.name), 255);
	rw_err_clear(&err);
	assert_int_equal(content_rpm_header(b, 7, &p, &err), RW_EPARSE);
	assert_string_equal(err.msg, "rpm header: 7 bytes, too short");
	rw_err_clear(&err);
	assert_int_equal(content_rpm_header(NULL, 0, &p, &err), RW_EPARSE);
}

/* Every truncation of a good header is refused, none read past the end. */
static void
test_truncations(void **state)
{
	unsigned char b[512], *copy;
	struct content_rpm p;
	struct rw_err err;
	size_t n, i;

	(void)state;
	n = build(b, sizeof(b), good, 6, store, STORE_LEN);
	for (i = 0; i < n; i++) {
		/* An exact-size copy, so ASan sees any read past it. */
		copy = malloc(i > 0 ? i : 1);
		assert_non_null(copy);
		memcpy(copy, b, i);
		rw_err_clear(&err);
		assert_int_equal(content_rpm_header(copy, i, &p, &err),
		    RW_EPARSE);
		free(copy);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
