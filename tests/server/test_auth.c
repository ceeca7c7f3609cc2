/* test_auth.c - challenges, token responses, token URLs, token cache, htpasswd. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/auth.h"
#include "util/util.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[512];

static void
tmp_make(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rw-auth-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
tmp_remove(void)
{
	assert_int_equal(nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* Copy fixture NAME to TMPDIR/NAME with MODE (git keeps no modes). */
static void
copy_fixture(const char *name, mode_t mode, char *dst, size_t n)
{
	char src[512], buf[4096];
	ssize_t len;
	int fd;

	snprintf(src, sizeof(src), "%s/auth/%s", RW_TEST_DATA, name);
	fd = open(src, O_RDONLY);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof(buf));
	assert_true(len > 0 && len < (ssize_t)sizeof(buf));
	close(fd);
	snprintf(dst, n, "%s/%s", tmpdir, name);
	write_file(dst, buf, (size_t)len, mode);
}

/* ---------------------------------------------------- challenge table */

struct crow {
	const char	*in;
	int		 rc;
	int		 scheme;
	const char	*realm;
	const char	*service;
	const char	*scope;
	const char	*error;
	const char	*msg;	/* for rc != RW_OK */
};

#define B	AUTH_SCHEME_BEARER
#define BA	AUTH_SCHEME_BASIC
#define OK(in, sch, r, sv, sc, e)	{ in, RW_OK, sch, r, sv, sc, e, NULL }
#define BAD(in, rc, msg)		{ in, rc, 0, "", "", "", "", msg }

static const struct crow crows[] = {
	OK("Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
	    "docker.io\",scope=\"repository:library/nginx:pull\"", B,
	    "https://auth.docker.io/token", "registry.docker.io",
	    "repository:library/nginx:pull", ""),
	OK("bEaReR REALM=\"https://a/t\",Service=s1", B, "https://a/t", "s1",
	    "", ""),
	OK("Bearer realm=\"https://a/t\",service=\"s\\\"q\\\\x\"", B,
	    "https://a/t", "s\"q\\x", "", ""),
	OK("Bearer realm=\"https://a/t\",service=\"a\\\\\"", B, "https://a/t",
	    "a\\", "", ""),
	OK("  Bearer   realm = \"https://a/t\" ,  service=reg.io ,scope=\"x\"  ",
	    B, "https://a/t", "reg.io", "x", ""),
	OK("Bearer\trealm=\"https://a/t\"\t", B, "https://a/t", "", "", ""),
	OK("Bearer ,realm=\"https://a/t\",,service=\"s\",", B, "https://a/t",
	    "s", "", ""),
	OK("Bearer realm=\"https://a/t\",error=\"insufficient_scope\",scope="
	    "\"repository:a:pull,push\"", B, "https://a/t", "", 
	    "repository:a:pull,push", "insufficient_scope"),
	OK("Bearer realm=\"https://a/t\",foo=\"b\\\"a,r\",x=y,scope=\"s\"", B,
	    "https://a/t", "", "s", ""),
	OK("Basic realm=\"Registry Realm\"", BA, "Registry Realm", "", "", ""),
	OK("Basic", BA, "", "", "", ""),
	OK("Bearer realm=\"https://a/t\", Basic realm=\"x\"", B,
	    "https://a/t", "", "", ""),
	OK("Basic realm=\"r\", Bearer realm=\"https://a/t\",service=s", BA,
	    "r", "", "", ""),
	OK("Bearer realm=\"HTTP://a:5001/t?x=1\"", B, "HTTP://a:5001/t?x=1",
	    "", "", ""),
	BAD("Bearer service=\"s\"", RW_EPARSE,
	    "WWW-Authenticate: Bearer challenge without a realm"),
	BAD("Bearer", RW_EPARSE,
	    "WWW-Authenticate: Bearer challenge without a realm"),
	BAD("Bearer realm=\"https://a/t", RW_EPARSE,
	    "WWW-Authenticate: unterminated quoted string in \"realm\""),
	BAD("Bearer realm=\"https://a/t\\", RW_EPARSE,
	    "WWW-Authenticate: unterminated quoted string in \"realm\""),
	BAD("Bearer realm=\"https://a/t\",foo=\"x", RW_EPARSE,
	    "WWW-Authenticate: unterminated quoted string in \"foo\""),
	BAD("Digest realm=\"x\"", RW_EUNSUPPORTED, "WWW-Authenticate: "
	    "unsupported auth scheme \"Digest\" (expected Bearer or Basic)"),
	BAD("", RW_EPARSE, "WWW-Authenticate: empty value"),
	BAD(" , ", RW_EPARSE, "WWW-Authenticate: empty value"),
	BAD("Bearer realm=\"https://a/t\" service=\"s\"", RW_EPARSE,
	    "WWW-Authenticate: unexpected 's' at offset 27 (expected ',')"),
	BAD("Bearer realm=\"https://a/t\",Realm=\"https://b/t\"", RW_EPARSE,
	    "WWW-Authenticate: duplicate parameter \"realm\""),
	BAD("Bearer realm=\"https://a/\r\nt\"", RW_EPARSE,
	    "WWW-Authenticate: control character in \"realm\""),
	BAD("Bearer realm=", RW_EPARSE,
	    "WWW-Authenticate: missing value for \"realm\""),
	BAD("Bearer realm=,service=s", RW_EPARSE,
	    "WWW-Authenticate: missing value for \"realm\""),
	BAD("Bearer abc", RW_EPARSE,
	    "WWW-Authenticate: unexpected end of value (expected '=')"),
	BAD("Bearer =x", RW_EPARSE, "WWW-Authenticate: unexpected '=' at "
	    "offset 7 (expected a parameter name)"),
	BAD("Bearer;realm=x", RW_EPARSE, "WWW-Authenticate: unexpected ';' "
	    "at offset 6 after the auth scheme"),
	BAD("Bearer realm=\"ftp://x/t\"", RW_EPARSE, "WWW-Authenticate: realm "
	    "\"ftp://x/t\" is not an http or https URL"),
	BAD("Bearer realm=\"https://a b/t\"", RW_EPARSE, "WWW-Authenticate: "
	    "realm \"https://a b/t\" is not an http or https URL"),
	BAD("Bearer realm=\"https://\"", RW_EPARSE, "WWW-Authenticate: realm "
	    "\"https://\" is not an http or https URL"),
	BAD("\"Bearer\" realm=x", RW_EPARSE, "WWW-Authenticate: unexpected "
	    "'\"' at offset 0 (expected an auth scheme)"),
};

static void
test_challenge_table(void **state)
{
	struct auth_challenge c;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(crows) / sizeof(crows[0]); i++) {
		const struct crow *r = &crows[i];

		print_message("row %zu: %s\n", i, r->in);
		rw_err_clear(&err);
		assert_int_equal(auth_parse_challenge(r->in, &c, &err), r->rc);
		if (r->rc != RW_OK) {
			assert_string_equal(err.msg, r->msg);
			assert_int_equal(err.code, r->rc);
			assert_int_equal(c.scheme, 0);
			assert_string_equal(c.realm, "");
			continue;
		}
		assert_string_equal(err.msg, "");
		assert_int_equal(c.scheme, r->scheme);
		assert_string_equal(c.realm, r->realm);
		assert_string_equal(c.service, r->service);
		assert_string_equal(c.scope, r->scope);
		assert_string_equal(c.error, r->error);
	}
}

/* Each kept parameter at its limit parses; one byte more is refused. */
static void
test_challenge_sizes(void **state)
{
	static const struct {
		const char	*name;
		size_t		 max;
	} lim[] = { { "realm", AUTH_REALM_MAX }, { "service", AUTH_SERVICE_MAX },
		{ "scope", AUTH_SCOPE_MAX }, { "error", AUTH_ERROR_MAX } };
	struct auth_challenge c;
	struct rw_err err;
	char hdr[2200], val[1100], want[128];
	const char *field[4];
	size_t i, extra;

	(void)state;
	for (i = 0; i < 4; i++) {
		memset(val, 'x', sizeof(val));
		memcpy(val, "https://", 8);
		for (extra = 0; extra < 2; extra++) {
			val[lim[i].max + extra] = '\0';
			if (i == 0)
				snprintf(hdr, sizeof(hdr), "Bearer realm=\"%s\"",
				    val);
			else
				snprintf(hdr, sizeof(hdr), "Bearer realm="
				    "\"https://a/t\",%s=\"%s\"", lim[i].name,
				    val);
			val[lim[i].max + extra] = 'x';
			rw_err_clear(&err);
			if (extra == 1) {
				assert_int_equal(auth_parse_challenge(hdr, &c,
				    &err), RW_ETOOBIG);
				snprintf(want, sizeof(want), "WWW-Authenticate: "
				    "\"%s\" longer than %zu bytes", lim[i].name,
				    lim[i].max);
				assert_string_equal(err.msg, want);
				continue;
			}
			assert_int_equal(auth_parse_challenge(hdr, &c, &err),
			    RW_OK);
			field[0] = c.realm;
			field[1] = c.service;
			field[2] = c.scope;
			field[3] = c.error;
			assert_int_equal(strlen(field[i]), lim[i].max);
		}
	}
	/* An unknown parameter may be long: it is skipped, not stored. */
	memset(val, 'y', 1099);
	val[1099] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer realm=\"https://a/t\",junk=\"%s\"",
	    val);
	assert_int_equal(auth_parse_challenge(hdr, &c, NULL), RW_OK);
}

/* ------------------------------------------------------ token responses */

static void
parse_ok(const char *body, long now, const char *tok, long in, long at)
{
	struct auth_token t = { 0 };
	struct rw_err err;

	rw_err_clear(&err);
	print_message("body: %s\n", body);
	assert_int_equal(auth_parse_token_response(body, strlen(body), now, &t,
	    &err), RW_OK);
	assert_string_equal(t.token, tok);
	assert_int_equal(t.len, strlen(tok));
	assert_int_equal(t.expires_in, in);
	assert_int_equal(t.expires_at, at);
	auth_token_cleanup(&t);
	assert_null(t.token);
	assert_int_equal(t.len, 0);
}

static void
parse_bad(const char *body, int rc, const char *msg)
{
	struct auth_token t = { 0 };
	struct rw_err err;

	rw_err_clear(&err);
	print_message("body: %.60s\n", body);
	assert_int_equal(auth_parse_token_response(body, strlen(body), 1000, &t,
	    &err), rc);
	assert_string_equal(err.msg, msg);
	assert_null(t.token);
	auth_token_cleanup(&t);
}

/* 2024-01-01T00:00:00Z */
#define JAN1	1704067200L

static void
test_token_response(void **state)
{
	(void)state;
	parse_ok("{\"token\":\"abc\",\"expires_in\":300}", 1000, "abc", 300,
	    1300);
	parse_ok("{\"access_token\":\"xyz\"}", 1000, "xyz", 60, 1060);
	parse_ok("{\"token\":\"t1\",\"access_token\":\"a1\"}", 1000, "a1", 60,
	    1060);
	parse_ok("{\"token\":\"t1\",\"access_token\":\"\"}", 1000, "t1", 60,
	    1060);
	parse_ok("{\"token\":null,\"access_token\":\"a1\"}", 1000, "a1", 60,
	    1060);
	parse_ok("{\"token\":\"t\",\"expires_in\":10}", 1000, "t", 60, 1060);
	parse_ok("{\"token\":\"t\",\"expires_in\":-5}", 1000, "t", 60, 1060);
	parse_ok("{\"token\":\"t\",\"expires_in\":61}", 1000, "t", 61, 1061);
	parse_ok("{\"token\":\"t\",\"expires_in\":null}", 1000, "t", 60, 1060);
	/* issued_at in the past starts the lifetime. */
	parse_ok("{\"token\":\"t\",\"expires_in\":120,\"issued_at\":"
	    "\"2024-01-01T00:00:00Z\"}", JAN1 + 30, "t", 120, JAN1 + 120);
	parse_ok("{\"token\":\"t\",\"expires_in\":120,\"issued_at\":"
	    "\"2024-01-01T01:00:00.518741457+01:00\"}", JAN1 + 30, "t", 120,
	    JAN1 + 120);
	parse_ok("{\"token\":\"t\",\"expires_in\":120,\"issued_at\":"
	    "\"2023-12-31t19:30:00-04:30\"}", JAN1 + 30, "t", 120, JAN1 + 120);
	parse_ok("{\"token\":\"t\",\"issued_at\":\"2024-02-29T00:00:00Z\"}",
	    JAN1 + 59 * 86400 + 10, "t", 60, JAN1 + 59 * 86400 + 60);
	/* issued_at ahead of our clock does not stretch the lifetime. */
	parse_ok("{\"token\":\"t\",\"expires_in\":120,\"issued_at\":"
	    "\"2024-01-01T00:00:00Z\"}", JAN1 - 500, "t", 120, JAN1 - 380);
}

static void
test_token_response_errors(void **state)
{
	char *big;
	size_t n;
	struct auth_token t = { 0 };

	(void)state;
	parse_bad("{\"expires_in\":60}", RW_EPARSE,
	    "token response: no \"token\" or \"access_token\"");
	parse_bad("{\"token\":\"\"}", RW_EPARSE,
	    "token response: no \"token\" or \"access_token\"");
	parse_bad("{\"token\":5}", RW_EPARSE,
	    "token response: \"token\" is not a string");
	parse_bad("{\"token\":\"a\",\"access_token\":[]}", RW_EPARSE,
	    "token response: \"access_token\" is not a string");
	parse_bad("{\"token\":\"a\",\"expires_in\":\"60\"}", RW_EPARSE,
	    "token response: \"expires_in\" is not an integer");
	parse_bad("{\"token\":\"a\",\"expires_in\":60.5}", RW_EPARSE,
	    "token response: \"expires_in\" is not an integer");
	parse_bad("{\"token\":\"a\",\"expires_in\":3000000000}", RW_EPARSE,
	    "token response: \"expires_in\" 3000000000 out of range (at most "
	    "2147483647)");
	parse_bad("{\"token\":\"a\",\"issued_at\":5}", RW_EPARSE,
	    "token response: \"issued_at\" is not a string");
	parse_bad("{\"token\":\"a\",\"issued_at\":\"yesterday\"}", RW_EPARSE,
	    "token response: \"issued_at\" \"yesterday\" is not an RFC 3339 "
	    "time");
	parse_bad("{\"token\":\"a\",\"issued_at\":\"2023-02-29T00:00:00Z\"}",
	    RW_EPARSE, "token response: \"issued_at\" \"2023-02-29T00:00:00Z\" "
	    "is not an RFC 3339 time");
	parse_bad("{\"token\":\"a\",\"issued_at\":\"2024-01-01T00:00:00\"}",
	    RW_EPARSE, "token response: \"issued_at\" \"2024-01-01T00:00:00\" "
	    "is not an RFC 3339 time");
	parse_bad("{\"token\":\"a\",\"issued_at\":\"2024-01-01T24:00:00Z\"}",
	    RW_EPARSE, "token response: \"issued_at\" \"2024-01-01T24:00:00Z\" "
	    "is not an RFC 3339 time");
	parse_bad("[\"token\"]", RW_EPARSE, "token response: not a JSON object");
	parse_bad("{\"token\":\"secret", RW_EPARSE,
	    "token response: not valid JSON (line 1, column 16)");
	parse_bad("{\"token\":\"a\",\"token\":\"b\"}", RW_EPARSE,
	    "token response: not valid JSON (line 1, column 20)");
	parse_bad("{\"token\":\"a b\"}", RW_EPARSE, "token response: token has "
	    "a character that is not allowed in an HTTP header");
	parse_bad("{\"token\":\"a\\r\\nX-Evil: 1\"}", RW_EPARSE, "token response: "
	    "token has a character that is not allowed in an HTTP header");

	/* Token length: at the limit, and one byte over. */
	big = malloc(AUTH_TOKEN_MAX + 32);
	assert_non_null(big);
	n = (size_t)snprintf(big, 16, "{\"token\":\"");
	memset(big + n, 'k', AUTH_TOKEN_MAX);
	memcpy(big + n + AUTH_TOKEN_MAX, "\"}", 3);
	assert_int_equal(auth_parse_token_response(big, strlen(big), 1, &t,
	    NULL), RW_OK);
	assert_int_equal(t.len, AUTH_TOKEN_MAX);
	auth_token_cleanup(&t);
	memset(big + n, 'k', AUTH_TOKEN_MAX + 1);
	memcpy(big + n + AUTH_TOKEN_MAX + 1, "\"}", 3);
	parse_bad(big, RW_ETOOBIG,
	    "token response: token longer than 16384 bytes");
	free(big);
	assert_int_equal(auth_parse_token_response("{}",
	    AUTH_TOKEN_BODY_MAX + 1, 1, &t, NULL), RW_ETOOBIG);
}

/* -------------------------------------------------------- URL and scope */

static void
challenge(struct auth_challenge *c, const char *realm, const char *service)
{
	memset(c, 0, sizeof(*c));
	c->scheme = AUTH_SCHEME_BEARER;
	snprintf(c->realm, sizeof(c->realm), "%s", realm);
	snprintf(c->service, sizeof(c->service), "%s", service);
}

static void
test_token_url(void **state)
{
	struct auth_challenge c;
	char url[512];
	size_t need;

	(void)state;
	challenge(&c, "https://auth.docker.io/token", "registry.docker.io");
	assert_int_equal(auth_token_url(&c, "repository:library/nginx:pull",
	    url, sizeof(url)), RW_OK);
	assert_string_equal(url, "https://auth.docker.io/token?service="
	    "registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull");

	challenge(&c, "https://a/t?x=1", "a b&c=d");
	assert_int_equal(auth_token_url(&c, "repository:a:pull,push", url,
	    sizeof(url)), RW_OK);
	assert_string_equal(url, "https://a/t?x=1&service=a%20b%26c%3Dd"
	    "&scope=repository%3Aa%3Apull%2Cpush");

	challenge(&c, "https://a/t?", "");
	assert_int_equal(auth_token_url(&c, " repository:a:pull  "
	    "repository:b:pull ", url, sizeof(url)), RW_OK);
	assert_string_equal(url, "https://a/t?scope=repository%3Aa%3Apull"
	    "&scope=repository%3Ab%3Apull");

	challenge(&c, "http://a:5001/t", "");
	assert_int_equal(auth_token_url(&c, NULL, url, sizeof(url)), RW_OK);
	assert_string_equal(url, "http://a:5001/t");
	assert_int_equal(auth_token_url(&c, "", url, sizeof(url)), RW_OK);
	assert_string_equal(url, "http://a:5001/t");

	/* Exactly enough room, then one byte short. */
	challenge(&c, "https://a/t", "s");
	need = strlen("https://a/t?service=s&scope=x") + 1;
	assert_int_equal(auth_token_url(&c, "x", url, need), RW_OK);
	assert_string_equal(url, "https://a/t?service=s&scope=x");
	assert_int_equal(auth_token_url(&c, "x", url, need - 1), RW_ETOOBIG);
	assert_string_equal(url, "");
	assert_int_equal(auth_token_url(&c, "x", url, 0), RW_ETOOBIG);

	c.scheme = AUTH_SCHEME_BASIC;
	assert_int_equal(auth_token_url(&c, "x", url, sizeof(url)), RW_EINVAL);
	challenge(&c, "file:///etc/passwd", "");
	assert_int_equal(auth_token_url(&c, "x", url, sizeof(url)), RW_EINVAL);
	assert_int_equal(auth_token_url(NULL, "x", url, sizeof(url)),
	    RW_EINVAL);
}

static void
test_scope_for(void **state)
{
	char s[64];

	(void)state;
	assert_int_equal(auth_scope_for("library/nginx", 0, s, sizeof(s)),
	    RW_OK);
	assert_string_equal(s, "repository:library/nginx:pull");
	assert_int_equal(auth_scope_for("a/b-c_d.e", 1, s, sizeof(s)), RW_OK);
	assert_string_equal(s, "repository:a/b-c_d.e:pull,push");
	assert_int_equal(auth_scope_for("", 0, s, sizeof(s)), RW_EINVAL);
	assert_int_equal(auth_scope_for("a b", 0, s, sizeof(s)), RW_EINVAL);
	assert_int_equal(auth_scope_for("a,b", 0, s, sizeof(s)), RW_EINVAL);
	assert_int_equal(auth_scope_for(NULL, 0, s, sizeof(s)), RW_EINVAL);
	/* "repository:abc:pull" is 19 bytes plus the NUL. */
	assert_int_equal(auth_scope_for("abc", 0, s, 20), RW_OK);
	assert_int_equal(auth_scope_for("abc", 0, s, 19), RW_ETOOBIG);
	assert_string_equal(s, "");
}

/* ---------------------------------------------------------- token cache */

static void
test_cache_isolation_and_expiry(void **state)
{
	struct auth_cache *c;
	char tok[64];

	(void)state;
	c = auth_cache_new();
	assert_non_null(c);
	assert_int_equal(auth_cache_put(c, "hub", "repository:a:pull", "T1",
	    1000), RW_OK);
	assert_int_equal(auth_cache_get(c, "hub", "repository:a:pull", 500,
	    tok, sizeof(tok)), RW_OK);
	assert_string_equal(tok, "T1");
	/* Same scope, another upstream: never hub's token. */
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 500,
	    tok, sizeof(tok)), RW_ENOTFOUND);
	assert_string_equal(tok, "");
	assert_int_equal(auth_cache_get(c, "hub", "repository:a:pull,push",
	    500, tok, sizeof(tok)), RW_ENOTFOUND);
	assert_int_equal(auth_cache_put(c, "ghcr", "repository:a:pull", "T2",
	    1000), RW_OK);
	assert_int_equal(auth_cache_get(c, "hub", "repository:a:pull", 500,
	    tok, sizeof(tok)), RW_OK);
	assert_string_equal(tok, "T1");
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 500,
	    tok, sizeof(tok)), RW_OK);
	assert_string_equal(tok, "T2");
	/* The NUL between upstream and scope keeps these keys apart. */
	assert_int_equal(auth_cache_put(c, "x:y", "z", "T3", 1000), RW_OK);
	assert_int_equal(auth_cache_get(c, "x", "y:z", 500, tok, sizeof(tok)),
	    RW_ENOTFOUND);

	/* Expired AUTH_CACHE_SKEW (10) seconds early: 989 yes, 990 no. */
	assert_int_equal(auth_cache_get(c, "hub", "repository:a:pull", 989,
	    tok, sizeof(tok)), RW_OK);
	assert_int_equal(auth_cache_count(c), 3);
	assert_int_equal(auth_cache_get(c, "hub", "repository:a:pull", 990,
	    tok, sizeof(tok)), RW_ENOTFOUND);
	assert_int_equal(auth_cache_count(c), 2);	/* removed on sight */

	/* Replacing keeps one entry per key. */
	assert_int_equal(auth_cache_put(c, "ghcr", "repository:a:pull", "T4",
	    2000), RW_OK);
	assert_int_equal(auth_cache_count(c), 2);
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 1500,
	    tok, sizeof(tok)), RW_OK);
	assert_string_equal(tok, "T4");
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 1500,
	    tok, 2), RW_ETOOBIG);
	assert_string_equal(tok, "");
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 1500,
	    tok, 3), RW_OK);

	assert_int_equal(auth_cache_drop(c, "ghcr", "repository:a:pull"),
	    RW_OK);
	assert_int_equal(auth_cache_drop(c, "ghcr", "repository:a:pull"),
	    RW_ENOTFOUND);
	assert_int_equal(auth_cache_get(c, "ghcr", "repository:a:pull", 1500,
	    tok, sizeof(tok)), RW_ENOTFOUND);

	/* An empty scope (a token for /v2/ itself) is a key like any other. */
	assert_int_equal(auth_cache_put(c, "hub", "", "T5", 1000), RW_OK);
	assert_int_equal(auth_cache_get(c, "hub", "", 1, tok, sizeof(tok)),
	    RW_OK);
	assert_int_equal(auth_cache_put(c, "", "s", "T", 1000), RW_EINVAL);
	assert_int_equal(auth_cache_put(c, "hub", "s", "", 1000), RW_EINVAL);
	assert_int_equal(auth_cache_put(c, "hub", NULL, "T", 1000), RW_EINVAL);
	auth_cache_free(c);
	auth_cache_free(NULL);
}

static void
test_cache_eviction(void **state)
{
	struct auth_cache *c;
	char scope[32], tok[32];
	long far = (long)time(NULL) + 86400;
	int i;

	(void)state;
	c = auth_cache_new();
	assert_non_null(c);
	for (i = 0; i < AUTH_CACHE_MAX; i++) {
		snprintf(scope, sizeof(scope), "s%d", i);
		assert_int_equal(auth_cache_put(c, "u", scope, "T", far), RW_OK);
	}
	assert_int_equal(auth_cache_count(c), AUTH_CACHE_MAX);
	/* Full and nothing expired: the oldest goes. */
	assert_int_equal(auth_cache_put(c, "u", "new", "N", far), RW_OK);
	assert_int_equal(auth_cache_count(c), AUTH_CACHE_MAX);
	assert_int_equal(auth_cache_get(c, "u", "s0", 0, tok, sizeof(tok)),
	    RW_ENOTFOUND);
	assert_int_equal(auth_cache_get(c, "u", "s1", 0, tok, sizeof(tok)),
	    RW_OK);
	assert_int_equal(auth_cache_get(c, "u", "new", 0, tok, sizeof(tok)),
	    RW_OK);
	auth_cache_free(c);

	/* Full with some expired entries: all of those go, nothing else. */
	c = auth_cache_new();
	assert_non_null(c);
	for (i = 0; i < AUTH_CACHE_MAX; i++) {
		snprintf(scope, sizeof(scope), "s%d", i);
		assert_int_equal(auth_cache_put(c, "u", scope, "T",
		    i % 100 == 50 ? 1 : far), RW_OK);
	}
	assert_int_equal(auth_cache_put(c, "u", "new", "N", far), RW_OK);
	assert_int_equal(auth_cache_count(c), AUTH_CACHE_MAX - 41 + 1);
	assert_int_equal(auth_cache_get(c, "u", "s0", 0, tok, sizeof(tok)),
	    RW_OK);
	assert_int_equal(auth_cache_get(c, "u", "s50", 0, tok, sizeof(tok)),
	    RW_ENOTFOUND);
	auth_cache_free(c);
}

struct cthread {
	struct auth_cache	*c;
	int			 id;
	int			 bad;
};

static void *
cache_worker(void *arg)
{
	struct cthread *t = arg;
	char scope[32], want[32], tok[32];
	int i, rc;

	for (i = 0; i < 3000; i++) {
		snprintf(scope, sizeof(scope), "s%d", i % 97);
		snprintf(want, sizeof(want), "T%d-%d", t->id, i % 97);
		if (auth_cache_put(t->c, want, scope, want, 5000) != RW_OK)
			t->bad++;
		rc = auth_cache_get(t->c, want, scope, 100, tok, sizeof(tok));
		if (rc == RW_OK && strcmp(tok, want) != 0)
			t->bad++;
		if (i % 7 == 0)
			(void)auth_cache_drop(t->c, want, scope);
	}
	return NULL;
}

/* Concurrent use is safe (ASan/UBSan watch) and never mixes keys. */
static void
test_cache_threads(void **state)
{
	struct cthread t[4];
	pthread_t th[4];
	int i;

	(void)state;
	t[0].c = auth_cache_new();
	assert_non_null(t[0].c);
	for (i = 0; i < 4; i++) {
		t[i].c = t[0].c;
		t[i].id = i;
		t[i].bad = 0;
		assert_int_equal(pthread_create(&th[i], NULL, cache_worker,
		    &t[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(t[i].bad, 0);
	}
	assert_true(auth_cache_count(t[0].c) <= AUTH_CACHE_MAX);
	auth_cache_free(t[0].c);
}

/* ------------------------------------------------------------- htpasswd */

static void
test_htpasswd_check(void **state)
{
	struct auth_htpasswd *h;
	struct rw_err err;
	char path[600];
	uint64_t hits, runs;

	(void)state;
	tmp_make();
	copy_fixture("htpasswd", 0600, path, sizeof(path));
	rw_err_clear(&err);
	h = auth_htpasswd_load(path, &err);
	assert_non_null(h);
	assert_string_equal(err.msg, "");
	assert_int_equal(auth_htpasswd_count(h), 3);

	/* $2y$, $2b$ and $2a$ hashes; a password may hold ':'. */
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderland",
	    1000), RW_OK);
	assert_int_equal(auth_htpasswd_check_at(h, "bob", "builder", 1000),
	    RW_OK);
	assert_int_equal(auth_htpasswd_check_at(h, "carol", "c:o:l:o:n", 1000),
	    RW_OK);
	auth_htpasswd_stats(h, &hits, &runs);
	assert_int_equal(hits, 0);
	assert_int_equal(runs, 3);

	/* Wrong password and unknown user each cost a bcrypt, never cached. */
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "Wonderland",
	    1000), RW_EAUTH);
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "Wonderland",
	    1001), RW_EAUTH);
	assert_int_equal(auth_htpasswd_check_at(h, "mallory", "wonderland",
	    1000), RW_EAUTH);
	assert_int_equal(auth_htpasswd_check_at(h, "", "", 1000), RW_EAUTH);
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "", 1000),
	    RW_EAUTH);
	assert_int_equal(auth_htpasswd_check_at(h, "bob", "wonderland", 1000),
	    RW_EAUTH);
	auth_htpasswd_stats(h, &hits, &runs);
	assert_int_equal(hits, 0);
	assert_int_equal(runs, 9);

	/* A success is remembered for 60 s, to the millisecond. */
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderland",
	    1000 + 59999), RW_OK);
	auth_htpasswd_stats(h, &hits, &runs);
	assert_int_equal(hits, 1);
	assert_int_equal(runs, 9);
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderland",
	    1000 + 60000), RW_OK);
	auth_htpasswd_stats(h, &hits, &runs);
	assert_int_equal(hits, 1);
	assert_int_equal(runs, 10);
	/* The cached success of one password says nothing about another. */
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderlan",
	    61000), RW_EAUTH);
	assert_int_equal(auth_htpasswd_check(h, "alice", "wonderland"), RW_OK);
	assert_int_equal(auth_htpasswd_check(NULL, "alice", "wonderland"),
	    RW_EAUTH);
	auth_htpasswd_free(h);
	auth_htpasswd_free(NULL);
	tmp_remove();
}

static void
load_bad(const char *text, size_t len, mode_t mode, int rc,
    const char *msg_after_path)
{
	struct auth_htpasswd *h;
	struct rw_err err;
	char path[600], want[900];

	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	write_file(path, text, len, mode);
	rw_err_clear(&err);
	h = auth_htpasswd_load(path, &err);
	assert_null(h);
	assert_int_equal(err.code, rc);
	snprintf(want, sizeof(want), "%s%s", path, msg_after_path);
	assert_string_equal(err.msg, want);
}

#define LINE_A	"alice:$2y$04$3g6A7nsYrh4YzrLhIT5wU.L7g48/XcOk4p355jTsey9XhlAerPe3m\n"
#define T(s)	s, sizeof(s) - 1

static void
test_htpasswd_load_errors(void **state)
{
	struct auth_htpasswd *h;
	struct rw_err err;
	char path[600], want[900];

	(void)state;
	tmp_make();
	copy_fixture("htpasswd-md5", 0600, path, sizeof(path));
	rw_err_clear(&err);
	assert_null(auth_htpasswd_load(path, &err));
	snprintf(want, sizeof(want), "%s:3: user \"bob\": only bcrypt hashes "
	    "are supported", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, RW_ECONFIG);

	copy_fixture("htpasswd", 0644, path, sizeof(path));
	rw_err_clear(&err);
	assert_null(auth_htpasswd_load(path, &err));
	snprintf(want, sizeof(want), "%s: mode 0644 is too open: it must not "
	    "be accessible by group or others (chmod 600)", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, RW_EPERM);
	assert_int_equal(chmod(path, 0640), 0);
	rw_err_clear(&err);
	assert_null(auth_htpasswd_load(path, &err));
	assert_int_equal(err.code, RW_EPERM);
	assert_int_equal(chmod(path, 0400), 0);
	h = auth_htpasswd_load(path, NULL);
	assert_non_null(h);
	auth_htpasswd_free(h);

	snprintf(path, sizeof(path), "%s/absent", tmpdir);
	rw_err_clear(&err);
	assert_null(auth_htpasswd_load(path, &err));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err.msg, want);

	load_bad(T(LINE_A "bob\n"), 0600, RW_ECONFIG,
	    ":2: missing ':' between user and hash");
	load_bad(T("\n" LINE_A ":$2y$04$x\n"), 0600, RW_ECONFIG,
	    ":3: empty user name");
	load_bad(T(LINE_A "#\n" LINE_A), 0600, RW_ECONFIG,
	    ":3: user \"alice\" is listed twice (first on line 1)");
	load_bad(T("bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": only bcrypt hashes are supported");
	load_bad(T("bob:plaintext\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": only bcrypt hashes are supported");
	load_bad(T("bob:$2y$04$tooshort\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": malformed bcrypt hash");
	load_bad(T("bob:$2y$04$3g6A7nsYrh4YzrLhIT5wU.L7g48/XcOk4p355jTsey9Xhl"
	    "AerPe3!\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": malformed bcrypt hash");
	load_bad(T("bob:$2y$17$3g6A7nsYrh4YzrLhIT5wU.L7g48/XcOk4p355jTsey9Xhl"
	    "AerPe3m\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": bcrypt cost 17 out of range (4..16)");
	load_bad(T("bob:$2y$03$3g6A7nsYrh4YzrLhIT5wU.L7g48/XcOk4p355jTsey9Xhl"
	    "AerPe3m\n"), 0600, RW_ECONFIG,
	    ":1: user \"bob\": bcrypt cost 3 out of range (4..16)");
	load_bad(T("a\0b:x\n"), 0600, RW_ECONFIG, ": contains a NUL byte");
	tmp_remove();
}

/* Comments, blank lines, CRLF and surrounding blanks are all fine. */
static void
test_htpasswd_layout(void **state)
{
	static const char text[] = "# users\r\n\r\n  " LINE_A "\r\n\t\n"
	    "# end";
	struct auth_htpasswd *h;
	char path[600];

	(void)state;
	tmp_make();
	snprintf(path, sizeof(path), "%s/ok", tmpdir);
	write_file(path, text, sizeof(text) - 1, 0600);
	h = auth_htpasswd_load(path, NULL);
	assert_non_null(h);
	assert_int_equal(auth_htpasswd_count(h), 1);
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderland", 1),
	    RW_OK);
	auth_htpasswd_free(h);

	/* No users at all: loads, and nobody gets in. */
	write_file(path, "# nobody\n", 9, 0600);
	h = auth_htpasswd_load(path, NULL);
	assert_non_null(h);
	assert_int_equal(auth_htpasswd_count(h), 0);
	assert_int_equal(auth_htpasswd_check_at(h, "alice", "wonderland", 1),
	    RW_EAUTH);
	auth_htpasswd_free(h);
	tmp_remove();
}

/* --------------------------------------------------------- basic header */

static void
basic_ok(const char *hdr, const char *user, const char *pass)
{
	char u[AUTH_USER_MAX + 1], p[AUTH_PASS_MAX + 1];

	print_message("header: %s\n", hdr);
	assert_int_equal(auth_basic_decode(hdr, u, sizeof(u), p, sizeof(p)),
	    RW_OK);
	assert_string_equal(u, user);
	assert_string_equal(p, pass);
}

static void
basic_bad(const char *hdr)
{
	char u[AUTH_USER_MAX + 1] = "x", p[AUTH_PASS_MAX + 1] = "x";

	print_message("header: %s\n", hdr != NULL ? hdr : "(null)");
	assert_int_equal(auth_basic_decode(hdr, u, sizeof(u), p, sizeof(p)),
	    RW_EINVAL);
	assert_string_equal(u, "");
	assert_string_equal(p, "");
}

static void
test_basic_decode(void **state)
{
	char u[8], p[8];

	(void)state;
	basic_ok("Basic YWxpY2U6d29uZGVybGFuZA==", "alice", "wonderland");
	basic_ok("basic YWxpY2U6d29uZGVybGFuZA==", "alice", "wonderland");
	basic_ok("BASIC   YWxpY2U6d29uZGVybGFuZA==  ", "alice", "wonderland");
	basic_ok("Basic\tYWxpY2U6d29uZGVybGFuZA", "alice", "wonderland");
	basic_ok("Basic YWxpY2U6", "alice", "");		/* "alice:" */
	basic_ok("Basic YTpiOmM=", "a", "b:c");			/* "a:b:c" */
	basic_ok("Basic w7xzZXI6cMOkc3M=", "\xc3\xbcser", "p\xc3\xa4ss");

	basic_bad("Bearer YWxpY2U6d29uZGVybGFuZA==");
	basic_bad("Basic");
	basic_bad("Basic ");
	basic_bad("BasicYWxpY2U6d29uZGVybGFuZA==");
	basic_bad("Basic YWxpY2U=");		/* "alice": no ':' */
	basic_bad("Basic OnB3");		/* ":pw": no user */
	basic_bad("Basic YWxpY2U6d29uZGVybGFuZA=");	/* bad padding */
	basic_bad("Basic YWxpY2U6d29uZGVybGFuZA===");
	basic_bad("Basic YQ==YQ==");
	basic_bad("Basic YWxpY2U6d29uZGVybGFuZ");	/* 4n+1 characters */
	basic_bad("Basic YWxp!2U6d29uZGVybGFuZA==");
	basic_bad("Basic YWxp Y2U6d29uZGVybGFuZA==");
	basic_bad("Basic YQpiOmM=");		/* "a\nb:c" */
	basic_bad(NULL);

	/* Output buffers: exactly enough, then one byte short. */
	assert_int_equal(auth_basic_decode("Basic YWxpY2U6d29uZGVy", u, 6, p,
	    7), RW_OK);				/* "alice:wonder" */
	assert_int_equal(auth_basic_decode("Basic YWxpY2U6d29uZGVy", u, 5, p,
	    7), RW_EINVAL);
	assert_int_equal(auth_basic_decode("Basic YWxpY2U6d29uZGVy", u, 6, p,
	    6), RW_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_table),
		cmocka_unit_test(test_challenge_sizes),
		cmocka_unit_test(test_token_response),
		cmocka_unit_test(test_token_response_errors),
		cmocka_unit_test(test_token_url),
		cmocka_unit_test(test_scope_for),
		cmocka_unit_test(test_cache_isolation_and_expiry),
		cmocka_unit_test(test_cache_eviction),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_htpasswd_check),
		cmocka_unit_test(test_htpasswd_load_errors),
		cmocka_unit_test(test_htpasswd_layout),
		cmocka_unit_test(test_basic_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
