/* test_glob.c - globs, tag patterns, references, root users, secrets. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/internal.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- match */

struct match_row {
	const char	*pat;
	const char	*name;
	int		 want;
};

static const struct match_row match_rows[] = {
	/* literal */
	{ "docker.io/library/nginx", "docker.io/library/nginx", 1 },
	{ "docker.io/library/nginx", "docker.io/library/nginx2", 0 },
	{ "docker.io/library/nginx", "docker.io/library", 0 },
	{ "docker.io/library/nginx", "docker.io/library/nginx/sub", 0 },
	/* '*' is one segment, never a '/' */
	{ "docker.io/library/*", "docker.io/library/nginx", 1 },
	{ "docker.io/library/*", "docker.io/library/nginx/extra", 0 },
	{ "docker.io/library/*", "docker.io/library", 0 },
	{ "docker.io/*/nginx", "docker.io/library/nginx", 1 },
	{ "docker.io/*/nginx", "docker.io/a/b/nginx", 0 },
	/* '*' inside a segment */
	{ "docker.io/library/ngin*", "docker.io/library/nginx", 1 },
	{ "docker.io/library/*nx", "docker.io/library/nginx", 1 },
	{ "docker.io/library/n*x", "docker.io/library/nx", 1 },
	{ "docker.io/library/n*x", "docker.io/library/nginy", 0 },
	{ "docker.io/library/*-*", "docker.io/library/a-b-c", 1 },
	{ "docker.io/library/*-*", "docker.io/library/abc", 0 },
	/* '**' is any number of segments, zero included */
	{ "ghcr.io/acme/**", "ghcr.io/acme/api", 1 },
	{ "ghcr.io/acme/**", "ghcr.io/acme/team/api/v2", 1 },
	{ "ghcr.io/acme/**", "ghcr.io/acme", 1 },
	{ "ghcr.io/acme/**", "ghcr.io/acmecorp/api", 0 },
	{ "ghcr.io/**/api", "ghcr.io/api", 1 },
	{ "ghcr.io/**/api", "ghcr.io/a/b/api", 1 },
	{ "ghcr.io/**/api", "ghcr.io/a/b/api2", 0 },
	{ "ghcr.io/**/team/**/api", "ghcr.io/x/team/y/z/api", 1 },
	{ "ghcr.io/**/team/**/api", "ghcr.io/x/teams/y/api", 0 },
	{ "**", "docker.io/library/nginx", 1 },
	{ "**/nginx", "docker.io/library/nginx", 1 },
	{ "**/nginx", "docker.io/library/redis", 0 },
	/* the host is the first segment, with its port */
	{ "*/library/nginx", "docker.io/library/nginx", 1 },
	{ "*.example.com/**", "registry.example.com/a/b", 1 },
	{ "*.example.com/**", "example.com/a", 0 },
	{ "localhost:5000/**", "localhost:5000/app", 1 },
	{ "localhost:5000/**", "localhost:5001/app", 0 },
	{ "localhost:*/app", "localhost:5001/app", 1 },
	/* regex and shell characters mean nothing special */
	{ "docker.io/a.b/c", "docker.io/axb/c", 0 },
};

static void
test_match(void **state)
{
	const struct match_row *r;
	int bad = 0;

	(void)state;
	assert_true(N(match_rows) >= 30);
	for (r = match_rows; r < match_rows + N(match_rows); r++)
		if (policy_glob_match(r->pat, r->name) != r->want && ++bad)
			fprintf(stderr, "match(\"%s\", \"%s\") != %d\n",
			    r->pat, r->name, r->want);
	assert_int_equal(bad, 0);
}

static const struct match_row cover_rows[] = {
	{ "**", "docker.io/library/*", 1 },
	{ "**", "**", 1 },
	{ "docker.io/**", "docker.io/library/*", 1 },
	{ "docker.io/**", "docker.io/**", 1 },
	{ "docker.io/library/*", "docker.io/library/nginx", 1 },
	{ "docker.io/library/*", "docker.io/library/ngin*", 1 },
	{ "docker.io/library/ngin*", "docker.io/library/*", 0 },
	{ "docker.io/library/*", "docker.io/library/**", 0 },
	{ "docker.io/library/*", "docker.io/**", 0 },
	{ "docker.io/*/nginx", "docker.io/library/nginx", 1 },
	{ "docker.io/library/nginx", "docker.io/*/nginx", 0 },
	{ "docker.io/library/a*", "docker.io/library/*a", 0 },
	{ "*/library/*", "docker.io/library/nginx", 1 },
	{ "ghcr.io/acme/**", "ghcr.io/acme/team/**", 1 },
	{ "ghcr.io/acme/team/**", "ghcr.io/acme/**", 0 },
	{ "ghcr.io/**/api", "ghcr.io/acme/**/api", 1 },
	{ "ghcr.io/acme/api", "ghcr.io/acme/api", 1 },
	{ "ghcr.io/acme/api", "quay.io/acme/api", 0 },
};

static void
test_covers(void **state)
{
	const struct match_row *r;
	int bad = 0;

	(void)state;
	for (r = cover_rows; r < cover_rows + N(cover_rows); r++)
		if (policy_glob_covers(r->pat, r->name) != r->want && ++bad)
			fprintf(stderr, "covers(\"%s\", \"%s\") != %d\n",
			    r->pat, r->name, r->want);
	assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------------- check */

struct check_row {
	const char	*pat;
	const char	*want;	/* canonical form, or the reason */
	int		 ok;
};

static const struct check_row check_rows[] = {
	{ "docker.io/library/*", "docker.io/library/*", 1 },
	{ "**", "**", 1 },
	{ "localhost/app", "localhost/app", 1 },
	{ "registry-1.docker.io/library/*", "docker.io/library/*", 1 },
	{ "index.docker.io/**", "docker.io/**", 1 },
	{ "", "must not be empty", 0 },
	{ "Docker.io/x/y", "must be lower case (registry hosts and repository "
	  "names are)", 0 },
	{ "docker.io/lib?ary/x", "'?' is not a wildcard here (only '*' for "
	  "one path segment and '**' for any number of them)", 0 },
	{ "docker.io/a b", "must not contain spaces", 0 },
	{ "docker.io/a+b", "invalid character '+' (expected a-z, 0-9, '.', "
	  "'_', '-', ':', '/' and '*')", 0 },
	{ "docker.io/a\tb", "invalid character 0x09", 0 },
	{ "/docker.io/x", "must not start with '/'", 0 },
	{ "docker.io/x/", "must not end with '/'", 0 },
	{ "docker.io//x", "has an empty path segment (\"//\")", 0 },
	{ "docker.io/x**", "'**' must be a whole path segment, as in "
	  "\"ghcr.io/acme/**\"", 0 },
	{ "docker.io/***", "'**' must be a whole path segment, as in "
	  "\"ghcr.io/acme/**\"", 0 },
	{ "docker.io/a:b", "':' may only appear in the registry host "
	  "(host:port)", 0 },
	{ "library/nginx", "must start with a registry host, as in "
	  "\"docker.io/library/nginx\" (\"library\" is not a host name)", 0 },
	{ "docker.io", "names a registry but no repository; use "
	  "\"docker.io/**\" for every repository on it", 0 },
	{ "*", "names a registry but no repository; use \"*/**\" for every "
	  "repository on it", 0 },
};

static void
test_check(void **state)
{
	const struct check_row *r;
	char out[600], why[200];
	int rc, bad = 0;

	(void)state;
	for (r = check_rows; r < check_rows + N(check_rows); r++) {
		out[0] = why[0] = '\0';
		rc = policy_glob_check(r->pat, out, sizeof(out), why,
		    sizeof(why));
		if ((rc == 0) != r->ok || strcmp(r->ok ? out : why,
		    r->want) != 0) {
			fprintf(stderr, "check(\"%s\"): rc %d out \"%s\" why "
			    "\"%s\"\n", r->pat, rc, out, why);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------- translation */

static const struct check_row re_rows[] = {
	{ "^\\d+\\.\\d+\\.\\d+$", "^[0-9]+\\.[0-9]+\\.[0-9]+$", 1 },
	{ "^v?\\d+$", "^v?[0-9]+$", 1 },
	{ "\\w+-\\D", "[A-Za-z0-9_]+-[^0-9]", 1 },
	{ "\\W\\s\\S", "[^A-Za-z0-9_][[:space:]][^[:space:]]", 1 },
	{ "[\\d.]+", "[0-9.]+", 1 },
	{ "[^\\w]", "[^A-Za-z0-9_]", 1 },
	{ "[]a]", "[]a]", 1 },
	{ "[[:digit:]\\d]", "[[:digit:]0-9]", 1 },
	{ "[\\.]", "[.]", 1 },
	{ "a\\+b", "a\\+b", 1 },
	{ "\\b", "\\b is not supported (use \\d, \\w, \\s, their negations "
	  "\\D, \\W, \\S, or a bracket expression such as [a-z])", 0 },
	{ "\\1", "\\1 is not supported (use \\d, \\w, \\s, their negations "
	  "\\D, \\W, \\S, or a bracket expression such as [a-z])", 0 },
	{ "[\\D]", "\\D cannot be used inside [...]; use [^...] instead", 0 },
	{ "[\\]]", "\\] is not supported inside [...]; put ']' first, '-' "
	  "last and '^' anywhere but first", 0 },
	{ "[\\q]", "\\q is not supported inside [...]", 0 },
	{ "abc\\", "ends with a lone backslash", 0 },
};

static void
test_translate(void **state)
{
	const struct check_row *r;
	char out[256], why[200];
	int rc, bad = 0;

	(void)state;
	for (r = re_rows; r < re_rows + N(re_rows); r++) {
		why[0] = '\0';
		rc = policy_re_translate(r->pat, out, sizeof(out), why,
		    sizeof(why));
		if ((rc == 0) != r->ok || strcmp(r->ok ? out : why,
		    r->want) != 0) {
			fprintf(stderr, "translate(\"%s\"): rc %d out \"%s\" "
			    "why \"%s\"\n", r->pat, rc, out, why);
			bad++;
		}
	}
	rc = policy_re_translate("\\d\\d\\d\\d", out, 12, why, sizeof(why));
	assert_int_equal(rc, -1);
	assert_string_equal(why, "is too long");
	assert_int_equal(bad, 0);
}

/* ----------------------------------------------------------- references */

static void
test_references(void **state)
{
	(void)state;
	assert_true(policy_tag_ok("latest"));
	assert_true(policy_tag_ok("1.25.4-alpine"));
	assert_true(policy_tag_ok("_x"));
	assert_false(policy_tag_ok(""));
	assert_false(policy_tag_ok(".x"));
	assert_false(policy_tag_ok("-x"));
	assert_false(policy_tag_ok("a b"));
	assert_false(policy_tag_ok("a:b"));
	assert_true(policy_tag_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa"));
	assert_false(policy_tag_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa"));

	assert_true(policy_repo_ok("library/nginx"));
	assert_true(policy_repo_ok("a/b-c/d__e/f.g/h---i"));
	assert_false(policy_repo_ok(""));
	assert_false(policy_repo_ok("Library/nginx"));
	assert_false(policy_repo_ok("a//b"));
	assert_false(policy_repo_ok("a/"));
	assert_false(policy_repo_ok("a/-b"));
	assert_false(policy_repo_ok("a/b_"));
	assert_false(policy_repo_ok("a/b___c"));
	assert_false(policy_repo_ok("a/b..c"));

	assert_true(policy_digest_ok("sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(policy_digest_ok("sha256:"
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(policy_digest_ok("sha256:abc"));
	assert_false(policy_digest_ok("md5:0123456789abcdef0123456789abcdef"));
	assert_true(policy_digest_ok("sha512:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

	assert_string_equal(policy_canon_host("registry-1.docker.io"),
	    "docker.io");
	assert_string_equal(policy_canon_host("index.docker.io"), "docker.io");
	assert_string_equal(policy_canon_host("ghcr.io"), "ghcr.io");
}

/* ------------------------------------------------------------ root user */

static void
test_root(void **state)
{
	static const char *const root[] = { "", "root", "0", "0:0",
		"root:root", "0:1000", "root:wheel", "00", ":1000" };
	static const char *const other[] = { "1000", "1000:0", "app",
		"nobody", "65532:65532", "rooty", "10", "r00t" };
	size_t i;

	(void)state;
	for (i = 0; i < N(root); i++)
		if (!policy_user_is_root(root[i]))
			fail_msg("\"%s\" should be root", root[i]);
	for (i = 0; i < N(other); i++)
		if (policy_user_is_root(other[i]))
			fail_msg("\"%s\" should not be root", other[i]);
}

/* -------------------------------------------------------------- secrets */

struct secret_row {
	const char	*env;
	const char	*want;	/* NULL: not a secret; "": by its name */
	int		 hide;
};

static const struct secret_row secret_rows[] = {
	{ "PATH=/usr/bin", NULL, 0 },
	{ "GITHUB_TOKEN=x", "", 0 },
	{ "TOKEN=x", "", 0 },
	{ "TOKENIZERS_PARALLELISM=false", NULL, 0 },
	{ "db_password=x", "", 0 },
	{ "MYSQL_ROOT_PASSWORD=", NULL, 0 },
	{ "POSTGRES_PASSWORD_FILE=/run/secrets/pw", NULL, 0 },
	{ "SECRETS_DIR=/run/secrets", NULL, 0 },
	{ "CERT_PATH=/etc/ssl/private_key.pem", NULL, 0 },
	{ "CLIENT_SECRET=x", "", 0 },
	{ "GPG_PASSPHRASE=x", "", 0 },
	{ "AWS_SECRET_ACCESS_KEY=x", "", 0 },
	{ "API_KEY=x", "", 0 },
	{ "KEY=x", "", 0 },
	{ "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", NULL, 0 },
	{ "RABBITMQ_PGP_KEY=x", NULL, 0 },
	{ "SSH_PUBLIC_KEY=ssh-ed25519 AAAA", NULL, 0 },
	{ "KEYCLOAK_VERSION=24", NULL, 0 },
	{ "APP_PRIVATE_KEY_PEM=x", "", 0 },
	{ "X=-----BEGIN RSA PRIVATE KEY-----\nMIIE", "a private key", 0 },
	{ "X=-----BEGIN PGP PRIVATE KEY BLOCK-----", "a private key", 0 },
	{ "X=-----BEGIN CERTIFICATE-----\nMIIB", NULL, 0 },
	{ "X=-----BEGIN PUBLIC KEY-----", NULL, 0 },
	{ "U=https://bob:pw@example.com/x", "a URL with a password", 0 },
	{ "U=https://bob@example.com/x", NULL, 0 },
	{ "U=https://example.com/a:b@c", NULL, 0 },
	{ "T=ghp_0123456789abcdefghijABCDEFGHIJ012345", "a GitHub token", 0 },
	{ "T=ghp_short", NULL, 0 },
	{ "T=xghp_0123456789abcdefghijABCDEFGHIJ012345", NULL, 0 },
	{ "T=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
	  "a GitHub token", 0 },
	{ "T=glpat-abcdefghij0123456789", "a GitLab token", 0 },
	{ "T=xoxb-1234567890-abc", "a Slack token", 0 },
	{ "T=AKIAIOSFODNN7EXAMPLE", "an AWS access key", 0 },
	{ "T=AKIAiosfodnn7example", NULL, 0 },
	{ "T=sk_live_0123456789abcdefghijKLMN", "a Stripe secret key", 0 },
	{ "T=AIzaSyA-0123456789abcdefghijklmnopqrstu", "a Google API key", 0 },
	{ "T=npm_0123456789abcdefghijABCDEFGHIJ012345", "an npm token", 0 },
	{ "CONFIG=url=https://x.example/?t=ghp_0123456789abcdefghijABCDEFGHIJ012345",
	  "a GitHub token", 0 },
	{ "AKIAIOSFODNN7EXAMPLE=1", "an AWS access key", 1 },
	{ "NO_EQUALS_TOKEN", NULL, 0 },
};

static void
test_secrets(void **state)
{
	const struct secret_row *r;
	const char *got;
	int hide, bad = 0;

	(void)state;
	for (r = secret_rows; r < secret_rows + N(secret_rows); r++) {
		hide = -1;
		got = policy_env_secret(r->env, &hide);
		if ((got == NULL) != (r->want == NULL) || (got != NULL &&
		    strcmp(got, r->want) != 0) || hide != r->hide) {
			fprintf(stderr, "secret(\"%s\"): \"%s\" hide %d\n",
			    r->env, got != NULL ? got : "(null)", hide);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------ safe text */

static void
test_text(void **state)
{
	struct rw_sb sb;
	char buf[16], q[64];

	(void)state;
	rw_sb_init(&sb, buf, sizeof(buf));
	rw_sb_safe(&sb, "a\nb\033c", 64);
	rw_sb_finish(&sb);
	assert_string_equal(buf, "a\\x0ab\\x1bc");
	rw_sb_init(&sb, buf, sizeof(buf));
	rw_sb_safe(&sb, "abcdef", 3);
	assert_string_equal(buf, "abc...");
	/* Cut text ends in "..." and never inside a UTF-8 sequence. */
	rw_sb_init(&sb, buf, sizeof(buf));
	rw_sb_add(&sb, "%s", "0123456789\xc3\xa9\xc3\xa9\xc3\xa9");
	rw_sb_finish(&sb);
	assert_string_equal(buf, "0123456789\xc3\xa9...");
	assert_string_equal(policy_quote(q, sizeof(q), "a\"b\\c\td"),
	    "\"a\\\"b\\\\c\\x09d\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
