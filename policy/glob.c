/* glob.c - host/repository globs, and the reference grammars. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

/* Longest pattern we accept: a host (255) and a repository (255). */
#define GLOB_MAX	512

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ------------------------------------------------------------ matching */

static const char *
seg_end(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL ? slash : s + strlen(s);
}

/* The segment after S's, or NULL when S is the last one. */
static const char *
seg_next(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL ? slash + 1 : NULL;
}

static int
is_dstar(const char *s)
{
	return s[0] == '*' && s[1] == '*' && (s[2] == '/' || s[2] == '\0');
}

/*
 * One segment: '*' matches any run of characters (there is no '/' inside a
 * segment).  The classic greedy walk that backtracks to the last star is
 * exact for a single kind of wildcard, and linear in practice.  When the
 * subject is itself a pattern (covers()), its '*' is an ordinary character
 * here, which only a star of P can absorb: exactly the inclusion test.
 */
static int
seg_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char *star = NULL, *mark = NULL;

	while (s < se) {
		if (p < pe && *p == '*') {
			star = ++p;
			mark = s;
		} else if (p < pe && *p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++mark;
		} else
			return 0;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

/*
 * The same walk one level up: "**" matches any number of whole segments.
 * SYM: S is a pattern too, and its "**" segments may only be absorbed by a
 * "**" of P (a one-segment glob never covers any number of segments).
 */
static int
segs_match(const char *p, const char *s, int sym)
{
	const char *star = NULL, *mark = NULL;
	int starred = 0;

	while (s != NULL) {
		if (p != NULL && is_dstar(p)) {
			p = seg_next(p);
			star = p;
			mark = s;
			starred = 1;
		} else if (p != NULL && !(sym && is_dstar(s)) &&
		    seg_match(p, seg_end(p), s, seg_end(s))) {
			p = seg_next(p);
			s = seg_next(s);
		} else if (starred && mark != NULL) {
			mark = seg_next(mark);
			s = mark;
			p = star;
		} else
			return 0;
	}
	while (p != NULL && is_dstar(p))
		p = seg_next(p);
	return p == NULL;
}

int
policy_glob_match(const char *pat, const char *name)
{
	return segs_match(pat, name, 0);
}

int
policy_glob_covers(const char *wide, const char *narrow)
{
	return segs_match(wide, narrow, 1);
}

/* ------------------------------------------------------------ checking */

const char *
policy_canon_host(const char *host)
{
	if (strcmp(host, "registry-1.docker.io") == 0 ||
	    strcmp(host, "index.docker.io") == 0)
		return "docker.io";
	return host;
}

static int __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* Characters a glob may hold; the reason in WHY otherwise. */
static int
glob_chars(const char *pat, char *why, size_t whysize)
{
	const char *s;
	int c;

	for (s = pat; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (is_lower_alnum(c) || c == '.' || c == '_' || c == '-' ||
		    c == '/' || c == '*' || c == ':')
			continue;
		if (c >= 'A' && c <= 'Z')
			return why_set(why, whysize, "must be lower case "
			    "(registry hosts and repository names are)");
		if (c == '?' || c == '[' || c == '{')
			return why_set(why, whysize, "'%c' is not a wildcard "
			    "here (only '*' for one path segment and '**' "
			    "for any number of them)", c);
		if (c == ' ')
			return why_set(why, whysize, "must not contain spaces");
		if (c > 0x20 && c < 0x7f)
			return why_set(why, whysize, "invalid character '%c' "
			    "(expected a-z, 0-9, '.', '_', '-', ':', '/' and "
			    "'*')", c);
		return why_set(why, whysize, "invalid character 0x%02x", c);
	}
	return 0;
}

int
policy_host_like(const char *seg, size_t len)
{
	if (len == 9 && strncmp(seg, "localhost", 9) == 0)
		return 1;
	return memchr(seg, '.', len) != NULL || memchr(seg, ':', len) != NULL ||
	    memchr(seg, '*', len) != NULL;
}

/* Segment-level rules: no empty segments, "**" alone, ':' in the host. */
static int
glob_segments(const char *pat, size_t *nsegs, int *dstar, char *why,
    size_t whysize)
{
	const char *s = pat, *e, *star;

	*nsegs = 0;
	*dstar = 0;
	for (s = pat; s != NULL; s = seg_next(s)) {
		e = seg_end(s);
		if (e == s)
			return why_set(why, whysize, "%s", s == pat ?
			    "must not start with '/'" : *e == '\0' ?
			    "must not end with '/'" :
			    "has an empty path segment (\"//\")");
		star = strstr(s, "**");
		if (star != NULL && star < e && !is_dstar(s))
			return why_set(why, whysize, "'**' must be a whole path "
			    "segment, as in \"ghcr.io/acme/**\"");
		if (*nsegs > 0 && memchr(s, ':', (size_t)(e - s)) != NULL)
			return why_set(why, whysize, "':' may only appear in "
			    "the registry host (host:port)");
		*dstar |= is_dstar(s);
		(*nsegs)++;
	}
	return 0;
}

int
policy_glob_check(const char *pat, char *out, size_t outsize, char *why,
    size_t whysize)
{
	size_t nsegs, hlen;
	const char *host;
	int dstar;

	if (pat[0] == '\0')
		return why_set(why, whysize, "must not be empty");
	if (strlen(pat) > GLOB_MAX)
		return why_set(why, whysize, "is too long (more than %d bytes)",
		    GLOB_MAX);
	if (glob_chars(pat, why, whysize) != 0 ||
	    glob_segments(pat, &nsegs, &dstar, why, whysize) != 0)
		return -1;
	hlen = (size_t)(seg_end(pat) - pat);
	if (!is_dstar(pat) && !policy_host_like(pat, hlen))
		return why_set(why, whysize, "must start with a registry host, "
		    "as in \"docker.io/%s\" (\"%.*s\" is not a host name)",
		    pat, (int)hlen, pat);
	if (nsegs == 1 && !dstar)
		return why_set(why, whysize, "names a registry but no "
		    "repository; use \"%s/**\" for every repository on it",
		    pat);
	/* Requests name Docker Hub "docker.io", whatever the client typed. */
	host = pat;
	if (hlen == 20 && strncmp(pat, "registry-1.docker.io", hlen) == 0)
		host = "docker.io";
	else if (hlen == 15 && strncmp(pat, "index.docker.io", hlen) == 0)
		host = "docker.io";
	if (host != pat)
		snprintf(out, outsize, "%s%s", host, pat + hlen);
	else
		rw_strlcpy(out, pat, outsize);
	return 0;
}

int
policy_glob_canon(const char *pat, char *out, size_t size, struct rw_err *err)
{
	char why[200];

	/* The canonical form is never longer than the pattern. */
	if (strlen(pat) >= size)
		return rw_err_set(err, RW_EINVAL, "pattern is too long");
	if (policy_glob_check(pat, out, size, why, sizeof(why)) != 0)
		return rw_err_set(err, RW_EINVAL, "pattern \"%.80s\": %s", pat,
		    why);
	return RW_OK;
}

int
policy_glob_matches(const char *pat, const char *name)
{
	return policy_glob_match(pat, name);
}

/* ------------------------------------------------------- reference parts */

int
policy_tag_ok(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)tag[i];

		if ((c >= 'A' && c <= 'Z') || is_lower_alnum(c) || c == '_')
			continue;
		if (i > 0 && (c == '.' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

/*
 * One path component: [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*, from the
 * distribution spec.  Returns its length, or 0 when it is malformed.
 */
static size_t
component(const char *s)
{
	size_t i = 0, sep;

	for (;;) {
		if (!is_lower_alnum((unsigned char)s[i]))
			return 0;
		while (is_lower_alnum((unsigned char)s[i]))
			i++;
		if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_'))
			sep = 1;
		else if (s[i] == '_')
			sep = 2;
		else if (s[i] == '-')
			for (sep = 0; s[i + sep] == '-'; sep++)
				;
		else
			return i;
		i += sep;
	}
}

int
policy_repo_ok(const char *repo)
{
	const char *s = repo;
	size_t n;

	if (strlen(repo) > 255)
		return 0;
	for (;;) {
		n = component(s);
		if (n == 0)
			return 0;
		s += n;
		if (*s == '\0')
			return 1;
		if (*s != '/')
			return 0;
		s++;
	}
}

int
policy_digest_ok(const char *digest)
{
	size_t want, i;
	const char *hex;

	if (strncmp(digest, "sha256:", 7) == 0)
		want = 64;
	else if (strncmp(digest, "sha512:", 7) == 0)
		want = 128;
	else
		return 0;
	hex = digest + 7;
	for (i = 0; hex[i] != '\0'; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return i == want;
}
