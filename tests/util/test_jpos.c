/* test_jpos.c - positions of JSON values and keys by JSON Pointer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/util.h"

static struct rw_jpos *
index_of(const char *text)
{
	struct rw_jpos *jp = rw_jpos_new(text, strlen(text));

	assert_non_null(jp);
	return jp;
}

/* Asserts that PATH (value, or key when KEY) sits at LINE:COL. */
static void
at(const struct rw_jpos *jp, const char *path, int key, int line, int col)
{
	int l = -1, c = -1;

	assert_int_equal(rw_jpos_get(jp, path, key, &l, &c), RW_OK);
	assert_int_equal(l, line);
	assert_int_equal(c, col);
}

static void
absent(const struct rw_jpos *jp, const char *path, int key)
{
	int l = -7, c = -7;

	assert_int_equal(rw_jpos_get(jp, path, key, &l, &c), RW_ENOTFOUND);
	assert_int_equal(l, -7);	/* untouched */
	assert_int_equal(c, -7);
}

static void
test_nested(void **state)
{
	const char *text =
	    "{\n"
	    "  \"listen\": \"127.0.0.1:5443\",\n"
	    "  \"tls\": {\"cert\": \"a.pem\",\n"
	    "\t\"key\":\"k\"},\n"
	    "  \"upstreams\": [\n"
	    "    {\"name\": \"local\", \"url\": \"http://x\"},\n"
	    "    {\"hosts\": [\"a\", \"b\"]}\n"
	    "  ]\n"
	    "}\n";
	struct rw_jpos *jp = index_of(text);

	(void)state;
	at(jp, "", 0, 1, 1);
	absent(jp, "", 1);		/* the root has no key */
	at(jp, "/listen", 1, 2, 3);
	at(jp, "/listen", 0, 2, 13);
	at(jp, "/tls", 0, 3, 10);
	at(jp, "/tls/cert", 1, 3, 11);
	at(jp, "/tls/cert", 0, 3, 19);
	at(jp, "/tls/key", 1, 4, 2);	/* a tab is one column */
	at(jp, "/tls/key", 0, 4, 8);
	at(jp, "/upstreams", 0, 5, 16);
	at(jp, "/upstreams/0", 0, 6, 5);
	absent(jp, "/upstreams/0", 1);	/* array elements have no key */
	at(jp, "/upstreams/0/name", 1, 6, 6);
	at(jp, "/upstreams/0/name", 0, 6, 14);
	at(jp, "/upstreams/0/url", 0, 6, 30);
	at(jp, "/upstreams/1/hosts/0", 0, 7, 16);
	at(jp, "/upstreams/1/hosts/1", 0, 7, 21);
	absent(jp, "/upstreams/2", 0);
	absent(jp, "/upstreams/1/hosts/2", 0);
	absent(jp, "/listen/x", 0);
	absent(jp, "/lis", 0);
	rw_jpos_free(jp);
}

static void
test_comments(void **state)
{
	const char *text =
	    "// leading comment { \"x\": 1 }\n"
	    "{ /* \"a\": [ */ \"a\": /* here */ 1, // \"b\": 2\n"
	    "  \"b\" /* multi\n"
	    "  line */ : [ true , false,null , -1.5e+3 ] }\n"
	    "/* trailing */ // done";
	struct rw_jpos *jp = index_of(text);

	(void)state;
	at(jp, "", 0, 2, 1);
	at(jp, "/a", 1, 2, 16);
	at(jp, "/a", 0, 2, 32);
	at(jp, "/b", 1, 3, 3);
	at(jp, "/b", 0, 4, 13);
	at(jp, "/b/0", 0, 4, 15);
	at(jp, "/b/1", 0, 4, 22);
	at(jp, "/b/2", 0, 4, 28);
	at(jp, "/b/3", 0, 4, 35);
	absent(jp, "/x", 0);
	rw_jpos_free(jp);
}

static void
test_strings(void **state)
{
	/* Braces, brackets, quotes and comment markers inside strings are text. */
	const char *text =
	    "{\"s\": \"{[\\\"}]// /*\", \"t\": 1,\n"
	    " \"a/b\": 2, \"m~n\": 3, \"q\\\"\\u00e9\\ud83d\\ude00\": 4,\n"
	    " \"\": 5}";
	struct rw_jpos *jp = index_of(text);

	(void)state;
	at(jp, "/s", 0, 1, 7);
	at(jp, "/t", 1, 1, 22);
	at(jp, "/t", 0, 1, 27);
	at(jp, "/a~1b", 1, 2, 2);	/* RFC 6901: '/' is ~1 */
	at(jp, "/a~1b", 0, 2, 9);
	at(jp, "/m~0n", 0, 2, 19);	/* '~' is ~0 */
	absent(jp, "/a/b", 0);
	at(jp, "/q\"\xc3\xa9\xf0\x9f\x98\x80", 1, 2, 22);
	at(jp, "/q\"\xc3\xa9\xf0\x9f\x98\x80", 0, 2, 47);
	at(jp, "/", 1, 3, 2);		/* the empty key */
	at(jp, "/", 0, 3, 6);
	rw_jpos_free(jp);
}

static void
test_keys_vs_values(void **state)
{
	/* A value that looks like a key, and duplicate keys: first one wins. */
	const char *text = "{\"k\": \"v\", \"v\": \"k\", \"k\": [\"k\"]}";
	struct rw_jpos *jp = index_of(text);

	(void)state;
	at(jp, "/k", 1, 1, 2);
	at(jp, "/k", 0, 1, 7);
	at(jp, "/v", 1, 1, 12);
	at(jp, "/v", 0, 1, 17);
	at(jp, "/k/0", 0, 1, 28);
	absent(jp, "/k/0", 1);
	rw_jpos_free(jp);

	jp = index_of("  [ 1 , [ ] , { } ]  ");
	at(jp, "", 0, 1, 3);
	at(jp, "/0", 0, 1, 5);
	at(jp, "/1", 0, 1, 9);
	at(jp, "/2", 0, 1, 15);
	absent(jp, "/1/0", 0);
	rw_jpos_free(jp);

	jp = index_of("\"scalar\"");
	at(jp, "", 0, 1, 1);
	rw_jpos_free(jp);
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "{\"a\": tru}",
		"{\"a\": \"x\ny\"}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u12\"}",
		"{\"\\u0000\": 1}", "{\"a\": \"\\ud800\"}", "{} x", "{} /* open",
		"{\"a\": truex}", "{\"a\": -}", "{a: 1}", "[1,]", "{\"a\": \"open",
	};
	size_t i;
	char deep[6000];
	struct rw_jpos *jp;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jp = rw_jpos_new(bad[i], strlen(bad[i]));
		if (jp != NULL)
			fail_msg("accepted malformed input #%zu: %s", i, bad[i]);
	}
	/* Deeper than jansson accepts (2048), yet well formed. */
	memset(deep, '[', 3000);
	memset(deep + 3000, ']', 3000);
	assert_null(rw_jpos_new(deep, sizeof(deep)));
	jp = rw_jpos_new(deep + 3000 - 100, 200);
	assert_non_null(jp);
	rw_jpos_free(jp);
	/* The length bounds the text, not a NUL. */
	assert_null(rw_jpos_new("{}}", 3));
	jp = rw_jpos_new("{}}", 2);
	assert_non_null(jp);
	rw_jpos_free(jp);
	rw_jpos_free(NULL);
	assert_int_equal(rw_jpos_get(NULL, "", 0, NULL, NULL), RW_ENOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_keys_vs_values),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
