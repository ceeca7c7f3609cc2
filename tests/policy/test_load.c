/* test_load.c - policy_load: golden diagnostics, the example, pins. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden files: each tests/policy/bad/NAME.json has NAME.err beside it
 * holding exactly the lines policy_load reports, one per diagnostic,
 * rendered by rw_err_str.  The loader prefixes messages with the path as its
 * caller gave it, so the test chdir()s into tests/policy/bad and passes bare
 * file names.  Other tests use absolute paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "util/util.h"
#include "tests/testutil.h"

#define BAD_DIR		RW_TEST_DATA "/bad"
#define EXAMPLE		RW_SOURCE_DIR "/config/policy.json"

/* Loads PATH expecting failure RC, and checks the report is exactly WANT. */
static void
expect_errors(const char *path, int rc, const char *want)
{
	/* Not NULL, so that the test sees policy_load clear it. */
	struct policy *p = (struct policy *)&p;
	struct rw_diags d;
	char *got;

	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(path, &p, &d), rc);
	assert_null(p);
	got = tu_render_diags(&d, 0);
	if (strcmp(got, want) != 0)
		fail_msg("%s: expected:\n%s\ngot:\n%s", path, want, got);
	assert_int_equal(d.dropped, 0);
	free(got);
}

static struct policy *
load_text_ok(const char *name, const char *text)
{
	struct policy *p = NULL;
	struct rw_diags d;
	char *got;

	memset(&d, 0, sizeof(d));
	if (policy_load_text(name, text, strlen(text), &p, &d) != RW_OK) {
		got = tu_render_diags(&d, 0);
		fail_msg("%s did not load:\n%s", name, got);
	}
	assert_int_equal(d.n, 0);
	assert_non_null(p);
	return p;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_golden(void **state)
{
	char *names[128], errname[PATH_MAX], *want;
	struct dirent *de;
	size_t n = 0, i, len;
	DIR *dir;

	(void)state;
	assert_int_equal(chdir(BAD_DIR), 0);
	dir = opendir(".");
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		assert_true(n < sizeof(names) / sizeof(names[0]));
		names[n] = strdup(de->d_name);
		assert_non_null(names[n++]);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), name_cmp);
	/* Losing fixtures must not pass quietly. */
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		snprintf(errname, sizeof(errname), "%.*s.err",
		    (int)(strlen(names[i]) - 5), names[i]);
		want = tu_slurp(errname, NULL);
		assert_true(want[0] != '\0');
		expect_errors(names[i], RW_ECONFIG, want);
		free(want);
		free(names[i]);
	}
}

static void
test_file_errors(void **state)
{
	(void)state;
	assert_int_equal(chdir(BAD_DIR), 0);
	expect_errors("no-such-file.json", RW_EIO,
	    "no-such-file.json: cannot open: No such file or directory\n");
	expect_errors(".", RW_EIO, ".: not a regular file\n");
}

/* The commented example a new user starts from must load, whole. */
static void
test_example(void **state)
{
	struct policy *p = NULL;
	struct rw_diags d;
	const char *host, *repo, *tag, *digest;
	struct policy_exception x;
	char want[RW_DIGEST_MAX], *text, *got;
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	if (policy_load(EXAMPLE, &p, &d) != RW_OK) {
		got = tu_render_diags(&d, 0);
		fail_msg("config/policy.json did not load:\n%s", got);
	}
	assert_int_equal(d.n, 0);
	/* The revision is the hash of the bytes as they are on disk. */
	text = tu_slurp(EXAMPLE, &len);
	assert_int_equal(rw_digest(RW_HASH_SHA256, text, len, want), RW_OK);
	assert_string_equal(policy_revision(p), want);
	assert_int_equal(policy_npins(p), 1);
	policy_pin(p, 0, &host, &repo, &tag, &digest);
	assert_string_equal(host, "docker.io");
	assert_string_equal(repo, "library/alpine");
	assert_string_equal(tag, "3.19.1");
	assert_string_equal(digest, "sha256:c5b1261d6d3e43071626931fc004f70149"
	    "baeba2c8ec672bd4f27761f8e1ad6b");
	assert_int_equal(policy_nexceptions(p), 1);
	policy_exception(p, 0, &x);
	assert_string_equal(x.id, "CVE-2024-6387");
	assert_null(x.pkg);
	assert_string_equal(x.repo_glob, "registry.example.com/prod/**");
	/* 2027-06-30T00:00:00Z */
	assert_int_equal(x.expires, INT64_C(1814313600));
	assert_string_equal(x.source, "policy");
	free(text);
	policy_free(p);
}

/*
 * Comment markers inside strings are text, escaped quotes do not end a
 * string, and a byte order mark is tolerated.
 */
static void
test_comments_in_strings(void **state)
{
	const char *text =
	    "\xef\xbb\xbf// leading comment\n"
	    "{ \"version\": 1, /* a */ \"default_message\": \"see "
	    "https://wiki.example.com/a /* not a comment */ \\\"// nor "
	    "this\\\"\",\n"
	    "  \"rules\": [ { \"name\": \"r\", \"match\": \"docker.io/x/*\", "
	    "\"allow\": false } ] // trailing\n"
	    "}\n// end";
	const struct admission_req q = { .op = POLICY_OP_PULL,
	    .host = "docker.io", .repo = "y/z", .tag = "1" };
	struct policy *p = load_text_ok("c.json", text);
	struct verdict v;
	struct rw_err err;

	(void)state;
	assert_int_equal(policy_eval(p, &q, 0, &v, &err), RW_OK);
	assert_string_equal(v.message, "regwarden: docker.io/y/z:1 refused: no "
	    "rule in c.json matches docker.io/y/z (default: deny). See "
	    "https://wiki.example.com/a /* not a comment */ \"// nor "
	    "this\".");
	policy_free(p);
}

/* Revisions differ when one byte does, comments included. */
static void
test_revision(void **state)
{
	struct policy *a = load_text_ok("a.json", "{\"version\": 1}");
	struct policy *b = load_text_ok("a.json", "{\"version\": 1} //");
	struct policy *c = load_text_ok("b.json", "{\"version\": 1}");

	(void)state;
	assert_string_not_equal(policy_revision(a), policy_revision(b));
	assert_string_equal(policy_revision(a), policy_revision(c));
	assert_string_equal(policy_revision(a), "sha256:"
	    "c3aa9744214caf6eb993d6f88f3f1dda3e4e60d59f712b6463c4ce2c4b00dfa1");
	assert_int_equal(policy_npins(a), 0);
	policy_free(a);
	policy_free(b);
	policy_free(c);
}

/* Only RW_DIAG_MAX errors are kept; the rest are counted. */
static void
test_many_errors(void **state)
{
	struct rw_buf b;
	struct policy *p = NULL;
	struct rw_diags d;
	char *text;
	size_t len;
	int i;

	(void)state;
	rw_buf_init(&b, 1 << 16);
	assert_int_equal(rw_buf_addf(&b, "{\"version\": 1"), RW_OK);
	for (i = 0; i < 25; i++)
		assert_int_equal(rw_buf_addf(&b, ",\n\"k%d\": 0", i), RW_OK);
	assert_int_equal(rw_buf_addf(&b, "}"), RW_OK);
	text = rw_buf_steal(&b, &len);
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load_text("many.json", text, len, &p, &d),
	    RW_ECONFIG);
	assert_null(p);
	assert_int_equal(d.n, RW_DIAG_MAX);
	assert_int_equal(d.dropped, 5);
	assert_string_equal(d.e[0].msg, "unknown key \"k0\" (expected one of: "
	    "$schema, version, default, default_message, pins, exceptions, "
	    "exception_limits, "
	    "keys, rules)");
	assert_int_equal(d.e[0].pos.line, 2);
	assert_int_equal(d.e[0].pos.col, 1);
	free(text);
}

/* Errors already in DIAGS stay first and untouched. */
static void
test_diags_appended(void **state)
{
	struct policy *p = NULL;
	struct rw_diags d;
	const char *text = "{\"version\": 1,\n \"rules\": 3}";

	(void)state;
	memset(&d, 0, sizeof(d));
	rw_diag_add(&d, RW_ECONFIG, "other.json", 9, 9, "earlier");
	assert_int_equal(policy_load_text("p.json", text, strlen(text), &p,
	    &d), RW_ECONFIG);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.e[0].msg, "earlier");
	assert_string_equal(d.e[1].pos.file, "p.json");
	assert_int_equal(d.e[1].pos.line, 2);
	assert_int_equal(d.e[1].pos.col, 11);
	assert_string_equal(d.e[1].msg, "\"rules\": expected an array of rules");
}

/* Pins are canonical: Docker Hub's aliases and host case folded. */
static void
test_pins(void **state)
{
	struct policy *p = load_text_ok("pins.json", "{\"version\": 1, "
	    "\"pins\": [{\"image\": \"Registry-1.Docker.IO/library/nginx:"
	    "1.25.4\", \"digest\": \"sha256:0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\"}, {\"image\": \"localhost:5000"
	    "/team/app:v1\", \"digest\": \"sha512:0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef\"}]}");
	const char *host, *repo, *tag, *digest;

	(void)state;
	assert_int_equal(policy_npins(p), 2);
	policy_pin(p, 0, &host, &repo, &tag, &digest);
	assert_string_equal(host, "docker.io");
	assert_string_equal(repo, "library/nginx");
	assert_string_equal(tag, "1.25.4");
	policy_pin(p, 1, &host, &repo, &tag, &digest);
	assert_string_equal(host, "localhost:5000");
	assert_string_equal(repo, "team/app");
	assert_string_equal(tag, "v1");
	assert_int_equal(strncmp(digest, "sha512:", 7), 0);
	policy_free(p);
}

/*
 * File exceptions: one per glob, globs canonical, the line of the id, and
 * one already expired at load is kept (regwarden check lists it).
 */
static void
test_exceptions(void **state)
{
	struct policy *p = load_text_ok("x.json", "{\"version\": 1,\n"
	    "\"exceptions\": [\n"
	    "  {\"id\": \"CVE-2024-1234\", \"match\": [\"index.docker.io/acme/*\","
	    " \"ghcr.io/acme/**\"],\n"
	    "   \"expires\": \"2026-12-31T01:00:00+01:00\", \"reason\": \"pending\"},"
	    "\n"
	    "  {\"package\": \"openssl\", \"match\": \"**\",\n"
	    "   \"expires\": \"2001-01-01T00:00:00.5Z\", \"reason\": \"long gone\"}"
	    "\n]}");
	struct policy_exception x;

	(void)state;
	assert_int_equal(policy_nexceptions(p), 3);
	policy_exception(p, 0, &x);
	assert_string_equal(x.id, "CVE-2024-1234");
	assert_string_equal(x.repo_glob, "docker.io/acme/*");
	/* 2026-12-31T00:00:00Z */
	assert_int_equal(x.expires, INT64_C(1798675200));
	assert_string_equal(x.reason, "pending");
	assert_int_equal(x.line, 3);
	policy_exception(p, 1, &x);
	assert_string_equal(x.id, "CVE-2024-1234");
	assert_string_equal(x.repo_glob, "ghcr.io/acme/**");
	policy_exception(p, 2, &x);
	assert_null(x.id);
	assert_string_equal(x.pkg, "openssl");
	assert_string_equal(x.repo_glob, "**");
	assert_int_equal(x.expires, INT64_C(978307200));
	assert_string_equal(x.source, "policy");
	assert_int_equal(x.line, 5);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_comments_in_strings),
		cmocka_unit_test(test_revision),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_diags_appended),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_exceptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
