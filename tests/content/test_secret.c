/* test_secret.c - every secret pattern: a positive and a near miss. */
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

/* Tokens are spelled in pieces so that the source itself holds none. */
#define A36	"abcdefghijklmnopqrstuvwxyz0123456789"
#define A82	A36 A36 "ABCDEFGHIJ"

struct scase {
	const char	*pattern;	/* a row of content_patterns() */
	const char	*path;
	const char	*hit;		/* one finding of that pattern */
	const char	*miss;		/* none */
};

static const struct scase cases[] = {
	{ "pem-rsa", "/k", "x\n-----BEGIN RSA PRIVATE KEY-----\nMII",
	    "-----BEGIN RSA PUBLIC KEY-----\nMII" },
	{ "pem-ec", "/k", "-----BEGIN EC PRIVATE KEY-----",
	    "-----BEGIN EC PARAMETERS-----" },
	{ "pem-dsa", "/k", "-----BEGIN DSA PRIVATE KEY-----",
	    "----BEGIN DSA PRIVATE KEY-----" },
	{ "pem-openssh", "/k", "-----BEGIN OPENSSH PRIVATE KEY-----",
	    "-----BEGIN OPENSSH PRIVATE KEY----" },
	{ "pem-encrypted", "/k", "-----BEGIN ENCRYPTED PRIVATE KEY-----",
	    "-----BEGIN ENCRYPTED PRIVATE  KEY-----" },
	{ "pem-pkcs8", "/k", "-----BEGIN PRIVATE KEY-----",
	    "-----BEGIN CERTIFICATE-----" },
	{ "aws-access-key-id", "/app/env", "KEY=AK" "IAIOSFODNN7EXAMPLE\n",
	    "KEY=AK" "IAIOSFODNN7EXAMPL\n" },
	{ "aws-access-key-id", "/app/env", "\"AS" "IAIOSFODNN7EXAMPLE\"",
	    "XAK" "IAIOSFODNN7EXAMPLE" },
	{ "aws-access-key-id", "/app/env", "AK" "IAIOSFODNN7EXAMPLE",
	    "AK" "IAIOSFODNN7EXAMPLEX" },
	{ "github-token", "/app/env", "T=gh" "p_" A36 "\n",
	    "T=gh" "x_" A36 "\n" },
	{ "github-token", "/app/env", "gh" "s_" A36, "gh" "s_" A36 "7" },
	{ "github-pat", "/app/env", "github_" "pat_" A82 "\n",
	    "github_" "pat_" "ABC" A36 "\n" },
	{ "gitlab-token", "/app/env", "glpat" "-abcdefghij_-KLMNOPQR\n",
	    "glpat" "-abcdefghij_-KLMNOPQ\n" },
	{ "slack-token", "/app/env", "xox" "b-1234567890-abc",
	    "xox" "q-1234567890-abc" },
	{ "slack-token", "/app/env", "xox" "p-1234567890",
	    "xox" "p-123456789" },
	{ "pkcs12", "/app/keystore.P12", "\x30\x82\x0a", NULL },
	{ "pkcs12", "/app/server.pfx", "\x30\x82\x0a", NULL },
	{ "aws-credentials", "/root/.aws/credentials",
	    "[default]\naws_secret_access_key = wJalrXUtnFEMI\n",
	    "[default]\naws_secret_access_key =\nregion = eu-west-1\n" },
	{ "docker-config", "/home/u/.docker/config.json",
	    "{\"auths\": {\"reg.example\": {\"auth\": \"dXNlcjpwYXNz\"}}}",
	    "{\"auths\": {\"reg.example\": {}}, \"credsStore\": \"pass\"}" },
	{ "npmrc", "/app/.npmrc",
	    "registry=https://r.example/\n//r.example/:_authToken=abc123\n",
	    "//r.example/:_authToken=${NPM_TOKEN}\n" },
	{ "git-credentials", "/root/.git-credentials",
	    "https://bob:s3cret@git.example.com\n",
	    "https://git.example.com\n" },
	{ "netrc", "/root/.netrc", "machine h login bob password s3cret\n",
	    "machine h login bob\n" },
	{ "pgpass", "/root/.pgpass", "db:5432:app:bob:s3cret\n",
	    "# db:5432:app:bob:s3cret\ndb:5432:app:bob:\n" },
};

static const char *
what_of(const char *name)
{
	const struct content_pattern *p;
	size_t i, n;

	p = content_patterns(&n);
	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].what;
	fail_msg("no pattern %s", name);
	return NULL;
}

static size_t
findings(const char *path, const char *text, struct content_index **out)
{
	struct content_index *idx = content_index_new();

	assert_non_null(idx);
	assert_int_equal(content_scan_buffer(idx, path, text, strlen(text)),
	    RW_OK);
	*out = idx;
	return idx->nfindings;
}

static void
test_cases(void **state)
{
	struct content_index *idx;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s: %s\n", cases[i].pattern, cases[i].path);
		assert_int_equal(findings(cases[i].path, cases[i].hit, &idx),
		    1);
		assert_string_equal(idx->findings[0].what,
		    what_of(cases[i].pattern));
		assert_string_equal(idx->findings[0].path, cases[i].path);
		content_index_free(idx);
		if (cases[i].miss == NULL)
			continue;
		assert_int_equal(findings(cases[i].path, cases[i].miss, &idx),
		    0);
		content_index_free(idx);
	}
}

/* The name patterns' near misses: a name that only looks like one. */
static void
test_name_misses(void **state)
{
	struct content_index *idx;

	(void)state;
	assert_int_equal(findings("/app/keystore.p12.md", "x", &idx), 0);
	content_index_free(idx);
	assert_int_equal(findings("/app/empty.p12", "", &idx), 0);
	content_index_free(idx);
	/* Credential rules apply to the file's own name only. */
	assert_int_equal(findings("/root/.aws/credentials.bak",
	    "aws_secret_access_key = x\n", &idx), 0);
	content_index_free(idx);
	assert_int_equal(findings("/root/x.pgpass", "a:b:c:d:e\n", &idx), 0);
	content_index_free(idx);
}

/* Each pattern once per file, however often it occurs. */
static void
test_once_per_file(void **state)
{
	struct content_index *idx;

	(void)state;
	assert_int_equal(findings("/k", "-----BEGIN EC PRIVATE KEY-----\n"
	    "-----BEGIN EC PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\n",
	    &idx), 2);
	assert_string_equal(idx->findings[0].what, "PEM EC PRIVATE KEY");
	assert_string_equal(idx->findings[1].what, "PEM PRIVATE KEY");
	content_index_free(idx);
}

/* The table and the cases agree: every row has a positive. */
static void
test_every_row_tested(void **state)
{
	const struct content_pattern *p;
	size_t i, j, n;
	int seen;

	(void)state;
	p = content_patterns(&n);
	assert_int_equal(n, CONTENT_NPATTERNS);
	for (i = 0; i < n; i++) {
		seen = 0;
		for (j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
			seen |= strcmp(cases[j].pattern, p[i].name) == 0;
		if (!seen)
			fail_msg("pattern %s has no test case", p[i].name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_name_misses),
		cmocka_unit_test(test_once_per_file),
		cmocka_unit_test(test_every_row_tested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
