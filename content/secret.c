/*
 * secret.c - the secret patterns, one table: private keys, PKCS#12 files,
 * credential files with credentials in them, high-confidence tokens.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every pattern is one row of `patterns` and one matcher of `matchers` at
 * the same index; tests/content/test_secret.c has a positive and a near
 * miss for each row.  Token patterns need a boundary before them (not a
 * letter or digit) so that a long random string is not taken for a key,
 * and fixed-length tokens a boundary after them.
 */
#include "content/content.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "content/internal.h"

static const struct content_pattern patterns[CONTENT_NPATTERNS] = {
	{ "pem-rsa", "PEM RSA PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "pem-ec", "PEM EC PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "pem-dsa", "PEM DSA PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "pem-openssh", "OpenSSH PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "pem-encrypted", "PEM ENCRYPTED PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "pem-pkcs8", "PEM PRIVATE KEY", CONTENT_PAT_TEXT },
	{ "aws-access-key-id", "AWS access key id", CONTENT_PAT_TEXT },
	{ "github-token", "GitHub token", CONTENT_PAT_TEXT },
	{ "github-pat", "GitHub fine-grained token", CONTENT_PAT_TEXT },
	{ "gitlab-token", "GitLab token", CONTENT_PAT_TEXT },
	{ "slack-token", "Slack token", CONTENT_PAT_TEXT },
	{ "pkcs12", "PKCS#12 key store", CONTENT_PAT_NAME },
	{ "aws-credentials", "AWS credentials file", CONTENT_PAT_CREDFILE },
	{ "docker-config", "Docker credentials", CONTENT_PAT_CREDFILE },
	{ "npmrc", "npm auth token", CONTENT_PAT_CREDFILE },
	{ "git-credentials", "git credentials", CONTENT_PAT_CREDFILE },
	{ "netrc", ".netrc password", CONTENT_PAT_CREDFILE },
	{ "pgpass", "PostgreSQL password file", CONTENT_PAT_CREDFILE },
};

enum { P_PEM_RSA, P_PEM_EC, P_PEM_DSA, P_PEM_OPENSSH, P_PEM_ENC,
	P_PEM_PKCS8, P_AWS, P_GH, P_GHPAT, P_GL, P_SLACK, P_PKCS12,
	P_AWSCRED, P_DOCKER, P_NPM, P_GITCRED, P_NETRC, P_PGPASS };

const struct content_pattern *
content_patterns(size_t *n)
{
	*n = CONTENT_NPATTERNS;
	return patterns;
}

static int
report(struct content_index *idx, uint32_t *found, int pat, const char *path)
{
	if (found != NULL) {
		if (*found & (1u << pat))
			return RW_OK;
		*found |= 1u << pat;
	}
	return index_add_finding(idx, path, patterns[pat].what);
}

/* ------------------------------------------------------- text patterns */

static int
alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static int
upnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* N bytes of P satisfy CLS (with '_' and '-' when EXTRA says so). */
static int
run(const unsigned char *p, size_t n, int (*cls)(int), const char *extra)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cls(p[i]) && (extra == NULL || p[i] == '\0' ||
		    strchr(extra, p[i]) == NULL))
			return 0;
	return 1;
}

/* The byte after a fixed-length token ends it: the end, or no alnum. */
static int
ends(const unsigned char *p, size_t avail, size_t n)
{
	return avail == n || !alnum(p[n]);
}

static int
lit(const unsigned char *p, size_t avail, const char *s)
{
	size_t n = strlen(s);

	return avail >= n && memcmp(p, s, n) == 0;
}

/*
 * The pattern matching at P (AVAIL bytes from P on, all there are or at
 * least SCAN_LOOKAHEAD), PREV the byte before P or -1; -1 for none.
 */
static int
match_at(const unsigned char *p, size_t avail, int prev)
{
	static const struct { const char *mid; int pat; } pem[] = {
		{ "RSA ", P_PEM_RSA }, { "EC ", P_PEM_EC },
		{ "DSA ", P_PEM_DSA }, { "OPENSSH ", P_PEM_OPENSSH },
		{ "ENCRYPTED ", P_PEM_ENC }, { "", P_PEM_PKCS8 },
	};
	size_t i, n;

	switch (p[0]) {
	case '-':
		if (!lit(p, avail, "-----BEGIN "))
			return -1;
		for (i = 0; i < sizeof(pem) / sizeof(pem[0]); i++) {
			n = strlen(pem[i].mid);
			if (lit(p + 11, avail - 11, pem[i].mid) &&
			    lit(p + 11 + n, avail - 11 - n,
			    "PRIVATE KEY-----"))
				return pem[i].pat;
		}
		return -1;
	case 'A':
		if (prev >= 0 && alnum(prev))
			return -1;
		if ((lit(p, avail, "AKIA") || lit(p, avail, "ASIA")) &&
		    avail >= 20 && run(p + 4, 16, upnum, NULL) &&
		    ends(p, avail, 20))
			return P_AWS;
		return -1;
	case 'g':
		if (prev >= 0 && alnum(prev))
			return -1;
		if (avail >= 40 && p[1] == 'h' && strchr("pousr", p[2]) &&
		    p[2] != '\0' && p[3] == '_' &&
		    run(p + 4, 36, alnum, NULL) && ends(p, avail, 40))
			return P_GH;
		if (lit(p, avail, "github_pat_") && avail >= 93 &&
		    run(p + 11, 82, alnum, "_") && ends(p, avail, 93))
			return P_GHPAT;
		if (lit(p, avail, "glpat-") && avail >= 26 &&
		    run(p + 6, 20, alnum, "_-") &&
		    (avail == 26 || (!alnum(p[26]) && p[26] != '_' &&
		    p[26] != '-')))
			return P_GL;
		return -1;
	case 'x':
		if (prev >= 0 && alnum(prev))
			return -1;
		if (avail >= 15 && p[1] == 'o' && p[2] == 'x' &&
		    p[3] != '\0' && strchr("baprs", p[3]) && p[4] == '-' &&
		    run(p + 5, 10, alnum, "-"))
			return P_SLACK;
		return -1;
	}
	return -1;
}

static const unsigned char trigger[256] = {
	['-'] = 1, ['A'] = 1, ['g'] = 1, ['x'] = 1,
};

/* Test every position of S->win before END; AVAIL counts to s->fill. */
static int
scan_upto(struct scan_state *s, struct content_index *idx,
    const char *path, size_t end)
{
	const unsigned char *w = s->win;
	size_t i;
	int pat, rc;

	for (i = 0; i < end; i++) {
		if (!trigger[w[i]])
			continue;
		pat = match_at(w + i, s->fill - i, i > 0 ? w[i - 1] : s->prev);
		if (pat >= 0 && (rc = report(idx, &s->found, pat, path)) !=
		    RW_OK)
			return rc;
	}
	return RW_OK;
}

void
scan_begin(struct scan_state *s)
{
	s->fill = 0;
	s->prev = -1;
	s->found = 0;
}

int
scan_feed(struct scan_state *s, struct content_index *idx, const char *path,
    const unsigned char *p, size_t len)
{
	size_t n, keep;
	int rc;

	while (len > 0) {
		n = sizeof(s->win) - s->fill;
		if (n > len)
			n = len;
		memcpy(s->win + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill < sizeof(s->win))
			break;
		/* Full: every position with its whole lookahead is tested,
		 * the last SCAN_LOOKAHEAD bytes wait for more. */
		keep = SCAN_LOOKAHEAD;
		if ((rc = scan_upto(s, idx, path, s->fill - keep)) != RW_OK)
			return rc;
		s->prev = s->win[s->fill - keep - 1];
		memmove(s->win, s->win + s->fill - keep, keep);
		s->fill = keep;
	}
	return RW_OK;
}

int
scan_end(struct scan_state *s, struct content_index *idx, const char *path)
{
	int rc = scan_upto(s, idx, path, s->fill);

	s->fill = 0;
	return rc;
}

int
content_scan_buffer(struct content_index *idx, const char *path,
    const void *data, size_t len)
{
	struct scan_state *s;
	int rc;

	if ((s = malloc(sizeof(*s))) == NULL)
		return RW_ENOMEM;
	scan_begin(s);
	rc = secret_by_name(idx, path, (int64_t)len);
	if (rc == RW_OK)
		rc = scan_feed(s, idx, path, data, len);
	if (rc == RW_OK)
		rc = scan_end(s, idx, path);
	free(s);
	if (rc == RW_OK && secret_is_credfile(path))
		rc = secret_credfile(idx, path, data, len);
	return rc;
}

/* ------------------------------------------------------------- by name */

static int
suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcasecmp(s + n - m, suf) == 0;
}

int
secret_by_name(struct content_index *idx, const char *path, int64_t size)
{
	if (size > 0 && (suffix(path, ".p12") || suffix(path, ".pfx")))
		return report(idx, NULL, P_PKCS12, path);
	return RW_OK;
}

/* --------------------------------------------------- credential files */

/* PATH ends with "/" NAME (a home directory's file, anywhere). */
static int
named(const char *path, const char *name)
{
	size_t n = strlen(path), m = strlen(name);

	return n > m && path[n - m - 1] == '/' &&
	    strcmp(path + n - m, name) == 0;
}

int
secret_is_credfile(const char *path)
{
	return named(path, ".aws/credentials") ||
	    named(path, ".docker/config.json") || named(path, ".npmrc") ||
	    named(path, ".git-credentials") || named(path, ".netrc") ||
	    named(path, ".pgpass");
}

/*
 * The next line of [*P, END) into [*LS, *LE), trimmed of blanks; advances
 * *P.  Returns 0 at the end.
 */
static int
next_line(const char **p, const char *end, const char **ls, const char **le)
{
	const char *s = *p, *e;

	if (s >= end)
		return 0;
	e = memchr(s, '\n', (size_t)(end - s));
	*p = e != NULL ? e + 1 : end;
	if (e == NULL)
		e = end;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*ls = s;
	*le = e;
	return 1;
}

/* A line "KEY = VALUE" (blanks optional) with a non-empty VALUE. */
static int
kv_set(const char *s, const char *e, const char *key)
{
	size_t n = strlen(key);

	if ((size_t)(e - s) < n || memcmp(s, key, n) != 0)
		return 0;
	s += n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= e || *s != '=')
		return 0;
	s++;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '"' || *s == '\''))
		s++;
	return s < e;
}

static int
aws_credentials(const char *d, const char *end)
{
	const char *s, *e;

	while (next_line(&d, end, &s, &e))
		if (kv_set(s, e, "aws_secret_access_key") ||
		    kv_set(s, e, "aws_session_token"))
			return 1;
	return 0;
}

/* The value after '=' is "${VAR}": read from the environment, no secret. */
static int
env_ref(const char *s, const char *e)
{
	const char *v = memchr(s, '=', (size_t)(e - s));

	if (v == NULL)
		return 0;
	for (v++; v < e && (*v == ' ' || *v == '"'); v++)
		;
	return e - v >= 2 && v[0] == '$' && v[1] == '{';
}

static int
npmrc(const char *d, const char *end)
{
	const char *s, *e, *k;

	/* "//registry.npmjs.org/:_authToken=..." or "_auth=..." */
	while (next_line(&d, end, &s, &e)) {
		if (s < e && (*s == '#' || *s == ';'))
			continue;
		for (k = s; k < e; k++)
			if (*k == '_' && (kv_set(k, e, "_authToken") ||
			    kv_set(k, e, "_auth") ||
			    kv_set(k, e, "_password")) && !env_ref(k, e))
				return 1;
	}
	return 0;
}

static int
git_credentials(const char *d, const char *end)
{
	const char *s, *e, *p, *at, *colon;

	/* https://user:token@host */
	while (next_line(&d, end, &s, &e)) {
		if ((p = memmem(s, (size_t)(e - s), "://", 3)) == NULL)
			continue;
		p += 3;
		at = memchr(p, '@', (size_t)(e - p));
		colon = memchr(p, ':', (size_t)(e - p));
		if (at != NULL && colon != NULL && colon < at && colon + 1 < at)
			return 1;
	}
	return 0;
}

static int
netrc(const char *d, const char *end)
{
	const char *p = d, *t;
	size_t n;

	/* Tokens separated by blanks; "password X" anywhere. */
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		t = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - t);
		if (n == 8 && memcmp(t, "password", 8) == 0) {
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p < end)
				return 1;
		}
	}
	return 0;
}

static int
pgpass(const char *d, const char *end)
{
	const char *s, *e, *p;
	int fields;

	/* host:port:db:user:password, '\' escapes ':' and '\'. */
	while (next_line(&d, end, &s, &e)) {
		if (s >= e || *s == '#')
			continue;
		fields = 1;
		for (p = s; p < e; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == ':' && ++fields == 5)
				break;
		}
		if (fields == 5 && p + 1 < e)
			return 1;
	}
	return 0;
}

static int
docker_config(const char *d, size_t len)
{
	json_t *root, *auths, *v, *a;
	const char *k;
	int hit = 0;

	root = json_loadb(d, len, 0, NULL);
	if (root == NULL)
		return 0;
	auths = json_object_get(root, "auths");
	json_object_foreach(auths, k, v) {
		a = json_object_get(v, "auth");
		if ((json_is_string(a) && json_string_length(a) > 0) ||
		    json_is_string(json_object_get(v, "identitytoken")))
			hit = 1;
	}
	json_decref(root);
	return hit;
}

int
secret_credfile(struct content_index *idx, const char *path,
    const char *data, size_t len)
{
	const char *end = data + len;

	if (named(path, ".aws/credentials") && aws_credentials(data, end))
		return report(idx, NULL, P_AWSCRED, path);
	if (named(path, ".docker/config.json") && docker_config(data, len))
		return report(idx, NULL, P_DOCKER, path);
	if (named(path, ".npmrc") && npmrc(data, end))
		return report(idx, NULL, P_NPM, path);
	if (named(path, ".git-credentials") && git_credentials(data, end))
		return report(idx, NULL, P_GITCRED, path);
	if (named(path, ".netrc") && netrc(data, end))
		return report(idx, NULL, P_NETRC, path);
	if (named(path, ".pgpass") && pgpass(data, end))
		return report(idx, NULL, P_PGPASS, path);
	return RW_OK;
}
