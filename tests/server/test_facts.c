/* test_facts.c - image config and index platform parsing. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/facts.h"

static const char CONFIG[] =
    "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
    "\"created\":\"2024-03-01T12:00:00.123456789Z\","
    "\"config\":{\"User\":\"65532:65532\",\"Env\":[\"PATH=/bin\","
    "\"DB_PASSWORD=hunter2\"],\"Labels\":{\"org.opencontainers.image.source\":"
    "\"https://example.com/app\",\"team\":\"core\"}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static void
test_image_config(void **state)
{
	struct facts_image fi;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(facts_image_parse(CONFIG, strlen(CONFIG), &fi, &err),
	    RW_OK);
	assert_string_equal(fi.img.user, "65532:65532");
	assert_string_equal(fi.img.os, "linux");
	assert_string_equal(fi.img.arch, "arm64");
	assert_string_equal(fi.img.variant, "v8");
	assert_int_equal(fi.img.nenv, 2);
	assert_string_equal(fi.img.env[1], "DB_PASSWORD=hunter2");
	assert_int_equal(fi.img.nlabels, 2);
	assert_string_equal(fi.img.labels[0].key,
	    "org.opencontainers.image.source");
	assert_string_equal(fi.img.labels[1].value, "core");
	assert_int_equal(fi.img.created, 1709294400);
	facts_image_cleanup(&fi);
}

static void
test_image_config_minimal(void **state)
{
	static const char min[] = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
	struct facts_image fi;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(facts_image_parse(min, strlen(min), &fi, &err), RW_OK);
	assert_string_equal(fi.img.user, "");
	assert_int_equal(fi.img.nenv, 0);
	assert_int_equal(fi.img.nlabels, 0);
	assert_int_equal(fi.img.created, -1);
	facts_image_cleanup(&fi);
}

static void
test_image_config_bad(void **state)
{
	static const struct {
		const char	*json;
		int		 rc;
		const char	*msg;
	} rows[] = {
		{ "[1]", RW_EPARSE, "image config: not a JSON object" },
		{ "{\"config\":[]}", RW_EPARSE,
		  "image config: \"config\" is not an object" },
		{ "{\"config\":{\"Env\":[1]}}", RW_EPARSE,
		  "image config: \"config.Env\" is not an array of strings" },
		{ "{\"config\":{\"Env\":\"A=1\"}}", RW_EPARSE,
		  "image config: \"config.Env\" is not an array of strings" },
		{ "{\"config\":{\"Labels\":{\"a\":1}}}", RW_EPARSE,
		  "image config: label \"a\" is not a string" },
		{ "{\"a\":1,\"a\":2}", RW_EPARSE, NULL },
		{ "{", RW_EPARSE, NULL },
	};
	struct facts_image fi;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rw_err_clear(&err);
		assert_int_equal(facts_image_parse(rows[i].json,
		    strlen(rows[i].json), &fi, &err), rows[i].rc);
		if (rows[i].msg != NULL)
			assert_string_equal(err.msg, rows[i].msg);
		assert_null(fi.strings);
	}
}

static void
test_platforms(void **state)
{
	static const char idx[] =
	    "{\"schemaVersion\":2,\"manifests\":["
	    "{\"digest\":\"sha256:a\",\"platform\":{\"architecture\":\"amd64\","
	    "\"os\":\"linux\"}},"
	    "{\"digest\":\"sha256:b\",\"platform\":{\"architecture\":\"arm64\","
	    "\"os\":\"linux\",\"variant\":\"v8\"}},"
	    "{\"digest\":\"sha256:c\",\"platform\":{\"architecture\":\"unknown\","
	    "\"os\":\"unknown\"}},{\"digest\":\"sha256:d\"}]}";
	struct facts_platforms fp;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(facts_platforms_parse(idx, strlen(idx), &fp, &err),
	    RW_OK);
	assert_int_equal(fp.n, 2);
	assert_string_equal(fp.p[0].arch, "amd64");
	assert_string_equal(fp.p[0].variant, "");
	assert_string_equal(fp.p[1].variant, "v8");
	assert_string_equal(fp.digest[1], "sha256:b");
	facts_platforms_cleanup(&fp);
}

static void
test_time(void **state)
{
	(void)state;
	assert_int_equal(facts_parse_time("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(facts_parse_time("2024-03-01T14:00:00+02:00"),
	    1709294400);
	assert_int_equal(facts_parse_time("2024-03-01T10:00:00.5-02:00"),
	    1709294400);
	assert_int_equal(facts_parse_time("2024-03-01 12:00:00"), -1);
	assert_int_equal(facts_parse_time("2024-03-01T12:00:00"), -1);
	assert_int_equal(facts_parse_time(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_config),
		cmocka_unit_test(test_image_config_minimal),
		cmocka_unit_test(test_image_config_bad),
		cmocka_unit_test(test_platforms),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
