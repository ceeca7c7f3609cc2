/* test_layer.c - migration 4: layer indexes kept by digest, or refusals. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db/db.h"
#include "util/util.h"

#include "tests/testutil.h"

#define L1	"sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2	"sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define L3	"sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define L4	"sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define M1	"sha256:aaaa111111111111111111111111111111111111111111111111111111111111"
#define DAY	86400
#define NOW	INT64_C(1750000000)

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

static int
get(struct db *db, const char *digest, int format, void **body, size_t *len,
    char **refusal)
{
	struct rw_err err;

	rw_err_clear(&err);
	return db_layer_index_get(db, digest, format, body, len, refusal, &err);
}

static void
test_put_get(void **state)
{
	struct db *db = *state;
	static const char bytes[] = "RWCI\1\0binary\0body";
	struct rw_err err;
	char *refusal;
	void *body;
	size_t len;

	assert_int_equal(get(db, L1, 1, &body, &len, &refusal), RW_ENOTFOUND);
	assert_null(body);
	assert_null(refusal);
	rw_err_clear(&err);
	assert_int_equal(db_layer_index_put(db, L1, 1, bytes, sizeof(bytes),
	    NULL, 12, 1, 1000, &err), RW_OK);
	assert_int_equal(get(db, L1, 1, &body, &len, &refusal), RW_OK);
	assert_null(refusal);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(body, bytes, sizeof(bytes));
	free(body);
	/* Another format is another index: computed again, not misread. */
	assert_int_equal(get(db, L1, 2, &body, &len, &refusal), RW_ENOTFOUND);
	assert_int_equal(get(db, L2, 1, &body, &len, &refusal), RW_ENOTFOUND);
}

static void
test_refusal(void **state)
{
	struct db *db = *state;
	struct rw_err err;
	char *refusal;
	void *body;
	size_t len;

	rw_err_clear(&err);
	assert_int_equal(db_layer_index_put(db, L2, 1, NULL, 0, "the layer "
	    "expands past 8 bytes", 0, 0, 1000, &err), RW_OK);
	assert_int_equal(get(db, L2, 1, &body, &len, &refusal), RW_OK);
	assert_null(body);
	assert_string_equal(refusal, "the layer expands past 8 bytes");
	free(refusal);
	/* An index replaces a refusal (a limit raised)... */
	assert_int_equal(db_layer_index_put(db, L2, 1, "x", 1, NULL, 1, 0,
	    2000, &err), RW_OK);
	/* ...and a refusal never replaces an index. */
	assert_int_equal(db_layer_index_put(db, L2, 1, NULL, 0, "late", 0, 0,
	    3000, &err), RW_OK);
	assert_int_equal(get(db, L2, 1, &body, &len, &refusal), RW_OK);
	assert_null(refusal);
	assert_int_equal(len, 1);
	free(body);
	/* Both or neither is a caller's mistake. */
	assert_int_equal(db_layer_index_put(db, L2, 1, "x", 1, "why", 0, 0, 1,
	    &err), RW_EINVAL);
	rw_err_clear(&err);
	assert_int_equal(db_layer_index_put(db, L2, 1, NULL, 0, NULL, 0, 0, 1,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "db_layer_index_put: give a body or a refusal");
}

/*
 * Pruning keeps what a recorded manifest references and what is recent:
 * L1 old and referenced, L2 and L4 old and referenced by nothing (L4 a
 * refusal), L3 recent and referenced by nothing.
 */
static void
test_prune(void **state)
{
	struct db *db = *state;
	const struct db_ref ref = { DB_REF_LAYER, L1 };
	struct rw_err err;
	char *refusal;
	void *body;
	size_t len;

	rw_err_clear(&err);
	assert_int_equal(db_layer_index_put(db, L1, 2, "a", 1, NULL, 1, 0,
	    NOW - 40 * DAY, &err), RW_OK);
	assert_int_equal(db_layer_index_put(db, L2, 2, "b", 1, NULL, 1, 0,
	    NOW - 31 * DAY, &err), RW_OK);
	assert_int_equal(db_layer_index_put(db, L4, 2, NULL, 0, "refused", 0,
	    0, NOW - 35 * DAY, &err), RW_OK);
	assert_int_equal(db_layer_index_put(db, L3, 2, "c", 1, NULL, 1, 0,
	    NOW - 29 * DAY, &err), RW_OK);
	assert_int_equal(db_manifest_put(db, "hub", "library/app", M1,
	    "application/vnd.oci.image.manifest.v1+json", "{}", 2, &ref, 1,
	    NOW - 40 * DAY, &err), RW_OK);
	/* One at a time: the oldest unreferenced first (L4, then L2). */
	assert_int_equal(db_layer_index_prune(db, NOW - 30 * DAY, 1, &err), 1);
	assert_int_equal(get(db, L4, 2, &body, &len, &refusal), RW_ENOTFOUND);
	assert_int_equal(get(db, L2, 2, &body, &len, &refusal), RW_OK);
	free(body);
	assert_int_equal(db_layer_index_prune(db, NOW - 30 * DAY, 10, &err),
	    1);
	assert_int_equal(get(db, L2, 2, &body, &len, &refusal), RW_ENOTFOUND);
	assert_int_equal(db_layer_index_prune(db, NOW - 30 * DAY, 10, &err),
	    0);
	/* The referenced one stays however old; the recent one until it ages. */
	assert_int_equal(get(db, L1, 2, &body, &len, &refusal), RW_OK);
	free(body);
	assert_int_equal(get(db, L3, 2, &body, &len, &refusal), RW_OK);
	free(body);
	assert_int_equal(db_layer_index_prune(db, NOW, 10, &err), 1);
	assert_int_equal(get(db, L3, 2, &body, &len, &refusal), RW_ENOTFOUND);
	assert_int_equal(get(db, L1, 2, &body, &len, &refusal), RW_OK);
	free(body);
	assert_int_equal(db_layer_index_prune(db, NOW, 0, &err), RW_EINVAL);
	assert_string_equal(err.msg, "db_layer_index_prune: limit 0 out of "
	    "range");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
