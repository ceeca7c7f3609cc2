/*
 * fuzz_grammar.c - differential: the reference grammars (repository name,
 * tag, digest) of the router (server/route.c) and of the policy
 * (policy/glob.c), and the policy's glob matcher, against small models
 * written here from the distribution spec and POLICY.md.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: up to three lines, PATTERN '\n' NAME '\n' NARROW.  Every model
 * is a dynamic programme or a plain recursive descent, so none shares a
 * walk with the code under test.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "server/route.h"

#define FIELD_MAX	300

static int
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/*
 * component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*, as a recursive
 * descent over S[0..LEN): 1 when the whole range matches.
 */
static int
m_component(const char *s, size_t len)
{
	size_t i = 0, j;

	if (len == 0 || !lower_alnum(s[0]))
		return 0;
	while (i < len && lower_alnum(s[i]))
		i++;
	if (i == len)
		return 1;
	/* A separator, then the rest must again be a component. */
	if (s[i] == '.')
		return m_component(s + i + 1, len - i - 1);
	if (s[i] == '_') {
		if (m_component(s + i + 1, len - i - 1))
			return 1;
		return i + 1 < len && s[i + 1] == '_' &&
		    m_component(s + i + 2, len - i - 2);
	}
	if (s[i] == '-') {
		for (j = i; j < len && s[j] == '-'; j++)
			;
		return m_component(s + j, len - j);
	}
	return 0;
}

/* name := component ('/' component)*, at most CAP bytes. */
static int
m_name(const char *s, size_t len, size_t cap)
{
	size_t start = 0, i;

	if (len == 0 || len > cap)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		if (!m_component(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* tag := [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
static int
m_tag(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 128 || !(alnum(s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < len; i++)
		if (!(alnum(s[i]) || strchr("._-", s[i]) != NULL) ||
		    s[i] == '\0')
			return 0;
	return 1;
}

static int
hexlen(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * The router's three answers: 1 for sha256/sha512 with their hex, -1 for
 * another algorithm := [a-z0-9]+([+._-][a-z0-9]+)* with encoded :=
 * [a-zA-Z0-9=_-]+, 0 otherwise.
 */
static int
m_digest(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t alen, elen, i;

	if (colon == NULL)
		return 0;
	alen = (size_t)(colon - s);
	elen = len - alen - 1;
	if (alen == 0 || elen == 0 || !lower_alnum(s[0]) ||
	    !lower_alnum(s[alen - 1]))
		return 0;
	for (i = 1; i < alen; i++)
		if (!lower_alnum(s[i]) && !(strchr("+._-", s[i]) != NULL &&
		    s[i] != '\0' && lower_alnum(s[i - 1])))
			return 0;
	for (i = 0; i < elen; i++)
		if (!(alnum(colon[1 + i]) || (colon[1 + i] != '\0' &&
		    strchr("=_-", colon[1 + i]) != NULL)))
			return 0;
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		return elen == 64 && hexlen(colon + 1, elen);
	if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		return elen == 128 && hexlen(colon + 1, elen);
	return -1;
}

/* One segment: '*' any run of characters, by dynamic programming. */
static int
m_seg(const char *p, size_t pl, const char *s, size_t sl)
{
	unsigned char dp[FIELD_MAX + 2][FIELD_MAX + 2];
	size_t i, j;

	memset(dp, 0, sizeof(dp));
	dp[0][0] = 1;
	for (i = 1; i <= pl; i++)
		dp[i][0] = dp[i - 1][0] && p[i - 1] == '*';
	for (i = 1; i <= pl; i++)
		for (j = 1; j <= sl; j++)
			dp[i][j] = p[i - 1] == '*' ?
			    (dp[i - 1][j] || dp[i][j - 1]) :
			    (dp[i - 1][j - 1] && p[i - 1] == s[j - 1]);
	return dp[pl][sl];
}

struct segs {
	size_t	 n;
	const char *p[FIELD_MAX];
	size_t	 len[FIELD_MAX];
};

static void
split(const char *s, struct segs *out)
{
	const char *e;

	out->n = 0;
	for (;;) {
		e = strchr(s, '/');
		out->p[out->n] = s;
		out->len[out->n] = e != NULL ? (size_t)(e - s) : strlen(s);
		out->n++;
		if (e == NULL)
			return;
		s = e + 1;
	}
}

/* Segments: "**" any number of whole segments, by dynamic programming. */
static int
m_glob(const char *pat, const char *name)
{
	static unsigned char dp[FIELD_MAX + 2][FIELD_MAX + 2];
	static struct segs ps, ns;
	size_t i, j;
	int dstar;

	split(pat, &ps);
	split(name, &ns);
	memset(dp, 0, sizeof(dp));
	dp[0][0] = 1;
	for (i = 1; i <= ps.n; i++) {
		dstar = ps.len[i - 1] == 2 && memcmp(ps.p[i - 1], "**", 2) == 0;
		dp[i][0] = dp[i - 1][0] && dstar;
		for (j = 1; j <= ns.n; j++)
			dp[i][j] = dstar ? (dp[i - 1][j] || dp[i][j - 1]) :
			    (dp[i - 1][j - 1] && m_seg(ps.p[i - 1],
			    ps.len[i - 1], ns.p[j - 1], ns.len[j - 1]));
	}
	return dp[ps.n][ns.n];
}

/* A name as the policy sees one: a host-like first segment, then a repo. */
static int
policy_name(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && slash > s &&
	    policy_host_like(s, (size_t)(slash - s)) &&
	    strcspn(s, "*") == strlen(s) && strcspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
	    strlen(s) && policy_repo_ok(slash + 1);
}

static void
grammars(const char *s)
{
	size_t len = strlen(s);
	int d = m_digest(s, len);

	FZ_ASSERT(route_valid_name(s, len) == m_name(s, len, ROUTE_NAME_MAX),
	    "route_valid_name(\"%s\") disagrees", s);
	FZ_ASSERT(policy_repo_ok(s) == m_name(s, len, 255),
	    "policy_repo_ok(\"%s\") disagrees", s);
	FZ_ASSERT(route_valid_tag(s, len) == m_tag(s, len),
	    "route_valid_tag(\"%s\") disagrees", s);
	FZ_ASSERT(policy_tag_ok(s) == m_tag(s, len),
	    "policy_tag_ok(\"%s\") disagrees", s);
	FZ_ASSERT(route_valid_digest(s, len) == d,
	    "route_valid_digest(\"%s\") = %d, model %d", s,
	    route_valid_digest(s, len), d);
	FZ_ASSERT(policy_digest_ok(s) == (d == 1),
	    "policy_digest_ok(\"%s\") disagrees", s);
}

static void
globs(const char *pat, const char *name, const char *narrow)
{
	char cpat[FIELD_MAX + 1], cnar[FIELD_MAX + 1], why[200];
	int m;

	if (policy_glob_check(pat, cpat, sizeof(cpat), why, sizeof(why)) != 0)
		return;
	if (policy_name(name)) {
		m = policy_glob_match(cpat, name);
		FZ_ASSERT(m == m_glob(cpat, name),
		    "policy_glob_match(\"%s\", \"%s\") = %d", cpat, name, m);
	}
	if (policy_glob_check(narrow, cnar, sizeof(cnar), why,
	    sizeof(why)) != 0)
		return;
	/* covers() is sound: what NARROW matches, PAT matches too. */
	if (policy_glob_covers(cpat, cnar) && policy_name(name) &&
	    m_glob(cnar, name))
		FZ_ASSERT(m_glob(cpat, name), "\"%s\" said to cover \"%s\", "
		    "but \"%s\" is matched by the second only", cpat, cnar,
		    name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char f[3][FIELD_MAX + 1];
	size_t i, k = 0, n = 0;

	memset(f, 0, sizeof(f));
	for (i = 0; i < size && k < 3; i++) {
		if (data[i] == '\n') {
			k++;
			n = 0;
		} else if (n < FIELD_MAX && data[i] != '\0')
			f[k][n++] = (char)data[i];
		else
			return 0;
	}
	for (i = 0; i < 3; i++)
		grammars(f[i]);
	globs(f[0], f[1], f[2]);
	return 0;
}
