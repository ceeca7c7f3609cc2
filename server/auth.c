/* auth.c - upstream token auth helpers, token cache, htpasswd basic auth. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/auth.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <crypt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define HDR	"WWW-Authenticate: "
#define TRESP	"token response: "

/* ------------------------------------------------- WWW-Authenticate */

/* RFC 9110 tchar: the characters a token (scheme, name, bare value) may use. */
static int
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void
skip_ows(const char *s, size_t *i)
{
	while (s[*i] == ' ' || s[*i] == '\t')
		(*i)++;
}

static size_t
token_len(const char *s, size_t i)
{
	size_t n = 0;

	while (is_tchar((unsigned char)s[i + n]))
		n++;
	return n;
}

/* Describe the byte at S[I] for an error message without echoing controls. */
static int
bad_char(const char *s, size_t i, const char *what, struct rw_err *err)
{
	unsigned char c = (unsigned char)s[i];

	if (c == '\0')
		return rw_err_set(err, RW_EPARSE,
		    HDR "unexpected end of value %s", what);
	if (c > 0x20 && c < 0x7f)
		return rw_err_set(err, RW_EPARSE,
		    HDR "unexpected '%c' at offset %zu %s", c, i, what);
	return rw_err_set(err, RW_EPARSE,
	    HDR "unexpected byte 0x%02x at offset %zu %s", c, i, what);
}

/*
 * Read a token or quoted-string value at S[*I] for parameter NAME into DST,
 * which holds MAX bytes plus the NUL; DST NULL reads and discards (unknown
 * parameters are checked for syntax all the same).
 */
static int
read_value(const char *s, size_t *i, const char *name, char *dst,
    size_t max, struct rw_err *err)
{
	size_t n = 0;
	unsigned char c;

	if (s[*i] != '"') {
		for (; is_tchar((unsigned char)s[*i]); (*i)++, n++)
			if (dst != NULL && n < max)
				dst[n] = s[*i];
		if (n == 0)
			return rw_err_set(err, RW_EPARSE,
			    HDR "missing value for \"%s\"", name);
	} else {
		for ((*i)++;; (*i)++, n++) {
			c = (unsigned char)s[*i];
			if (c == '"')
				break;
			if (c == '\\') {	/* quoted-pair: take the next byte */
				(*i)++;
				c = (unsigned char)s[*i];
			}
			if (c == '\0')
				return rw_err_set(err, RW_EPARSE,
				    HDR "unterminated quoted string in \"%s\"",
				    name);
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return rw_err_set(err, RW_EPARSE, HDR
				    "control character in \"%s\"", name);
			if (dst != NULL && n < max)
				dst[n] = (char)c;
		}
		(*i)++;
	}
	if (dst != NULL && n > max)
		return rw_err_set(err, RW_ETOOBIG,
		    HDR "\"%s\" longer than %zu bytes", name, max);
	if (dst != NULL)
		dst[n] = '\0';
	return RW_OK;
}

struct cparam {
	const char	*name;
	size_t		 off;
	size_t		 max;
};

static const struct cparam cparams[] = {
	{ "realm", offsetof(struct auth_challenge, realm), AUTH_REALM_MAX },
	{ "service", offsetof(struct auth_challenge, service), AUTH_SERVICE_MAX },
	{ "scope", offsetof(struct auth_challenge, scope), AUTH_SCOPE_MAX },
	{ "error", offsetof(struct auth_challenge, error), AUTH_ERROR_MAX },
};

/* Read one `name = value` at S[*I] (the name is NLEN bytes long). */
static int
read_param(const char *s, size_t *i, size_t nlen, struct auth_challenge *out,
    unsigned *seen, struct rw_err *err)
{
	char name[33];
	size_t k;

	snprintf(name, sizeof(name), "%.*s", (int)nlen, s + *i);
	*i += nlen;
	skip_ows(s, i);
	(*i)++;				/* the '=' the caller saw */
	skip_ows(s, i);
	for (k = 0; k < sizeof(cparams) / sizeof(cparams[0]); k++) {
		if (strlen(cparams[k].name) != nlen ||
		    strcasecmp(cparams[k].name, name) != 0)
			continue;
		if (*seen & (1u << k))
			return rw_err_set(err, RW_EPARSE,
			    HDR "duplicate parameter \"%s\"", cparams[k].name);
		*seen |= 1u << k;
		return read_value(s, i, cparams[k].name,
		    (char *)out + cparams[k].off, cparams[k].max, err);
	}
	return read_value(s, i, name, NULL, 0, err);
}

/*
 * Read the auth-params after the scheme.  A token that is not followed by
 * '=' after a comma starts the next challenge, where reading stops.
 */
static int
read_params(const char *s, size_t i, struct auth_challenge *out,
    struct rw_err *err)
{
	unsigned seen = 0;
	size_t nlen, j;
	int rc, need_comma = 0, after_comma = 0;

	for (;;) {
		skip_ows(s, &i);
		if (s[i] == '\0')
			return RW_OK;
		if (s[i] == ',') {
			i++;
			need_comma = 0;
			after_comma = 1;
			continue;
		}
		if (need_comma)
			return bad_char(s, i, "(expected ',')", err);
		nlen = token_len(s, i);
		if (nlen == 0)
			return bad_char(s, i, "(expected a parameter name)", err);
		j = i + nlen;
		skip_ows(s, &j);
		if (s[j] != '=') {
			if (after_comma)
				return RW_OK;	/* the next challenge */
			return bad_char(s, j, "(expected '=')", err);
		}
		rc = read_param(s, &i, nlen, out, &seen, err);
		if (rc != RW_OK)
			return rc;
		need_comma = 1;
	}
}

/* An http(s) URL without spaces, controls or a fragment. */
static int
realm_ok(const char *realm)
{
	const unsigned char *p;

	if (strncasecmp(realm, "https://", 8) != 0 &&
	    strncasecmp(realm, "http://", 7) != 0)
		return 0;
	for (p = (const unsigned char *)realm; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '"')
			return 0;
	return strstr(realm, "://")[3] != '\0';
}

static int
parse_challenge(const char *s, struct auth_challenge *out, struct rw_err *err)
{
	size_t i = 0, n;
	int rc;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == ',')
		i++;
	if (s[i] == '\0')
		return rw_err_set(err, RW_EPARSE, HDR "empty value");
	n = token_len(s, i);
	if (n == 0)
		return bad_char(s, i, "(expected an auth scheme)", err);
	if (n == 6 && strncasecmp(s + i, "Bearer", 6) == 0)
		out->scheme = AUTH_SCHEME_BEARER;
	else if (n == 5 && strncasecmp(s + i, "Basic", 5) == 0)
		out->scheme = AUTH_SCHEME_BASIC;
	else
		return rw_err_set(err, RW_EUNSUPPORTED, HDR "unsupported auth "
		    "scheme \"%.*s\" (expected Bearer or Basic)",
		    (int)(n < 32 ? n : 32), s + i);
	i += n;
	if (s[i] != '\0' && s[i] != ' ' && s[i] != '\t' && s[i] != ',')
		return bad_char(s, i, "after the auth scheme", err);
	rc = read_params(s, i, out, err);
	if (rc != RW_OK)
		return rc;
	if (out->scheme != AUTH_SCHEME_BEARER)
		return RW_OK;
	if (out->realm[0] == '\0')
		return rw_err_set(err, RW_EPARSE,
		    HDR "Bearer challenge without a realm");
	if (!realm_ok(out->realm))
		return rw_err_set(err, RW_EPARSE,
		    HDR "realm \"%.100s\" is not an http or https URL",
		    out->realm);
	return RW_OK;
}

int
auth_parse_challenge(const char *www_authenticate, struct auth_challenge *out,
    struct rw_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (www_authenticate == NULL)
		return rw_err_set(err, RW_EPARSE, HDR "empty value");
	rc = parse_challenge(www_authenticate, out, err);
	if (rc != RW_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------ token responses */

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read exactly N digits at *P into *V. */
static int
digits(const char **p, int n, long *v)
{
	*v = 0;
	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

/* "Z" or "+hh:mm" / "-hh:mm" at *P, as seconds to subtract from local time. */
static int
utc_offset(const char **p, long *off)
{
	long oh, om;
	int sign;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*off = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '+' ? 1 : -1;
	(*p)++;
	if (digits(p, 2, &oh) || expect(p, ':') || digits(p, 2, &om) ||
	    oh > 23 || om > 59)
		return -1;
	*off = sign * (oh * 3600 + om * 60);
	return 0;
}

/*
 * RFC 3339 date-time ("2016-03-15T15:19:23.518741457Z", "...+02:00") to
 * unix seconds; fractions are dropped.  Returns 0 or -1.
 */
static int
parse_rfc3339(const char *p, long *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	long y, mo, d, h, mi, sec, off;
	int leap;

	if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-') || digits(&p, 2, &d))
		return -1;
	if (expect(&p, 'T') != 0 && expect(&p, 't') != 0)
		return -1;
	if (digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) ||
	    expect(&p, ':') || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			continue;
	}
	if (utc_offset(&p, &off) != 0 || *p != '\0')
		return -1;
	leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    off;
	return 0;
}

/* The token string: access_token if non-empty, else token (both typed). */
static int
pick_token(json_t *root, json_t **tok, struct rw_err *err)
{
	static const char *const names[] = { "access_token", "token" };
	json_t *v;
	size_t k;

	*tok = NULL;
	for (k = 0; k < 2; k++) {
		v = json_object_get(root, names[k]);	/* borrowed */
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_string(v))
			return rw_err_set(err, RW_EPARSE,
			    TRESP "\"%s\" is not a string", names[k]);
		if (*tok == NULL && json_string_length(v) > 0)
			*tok = v;
	}
	if (*tok == NULL)
		return rw_err_set(err, RW_EPARSE,
		    TRESP "no \"token\" or \"access_token\"");
	return RW_OK;
}

static int
check_token(const char *t, size_t len, struct rw_err *err)
{
	size_t i;

	if (len > AUTH_TOKEN_MAX)
		return rw_err_set(err, RW_ETOOBIG,
		    TRESP "token longer than %d bytes", AUTH_TOKEN_MAX);
	/* It goes into "Authorization: Bearer <token>": no CR, LF or space. */
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return rw_err_set(err, RW_EPARSE, TRESP "token has a "
			    "character that is not allowed in an HTTP header");
	return RW_OK;
}

/* Lifetime in seconds and its start, from expires_in and issued_at. */
static int
token_times(json_t *root, long now, long *ttl, long *start,
    struct rw_err *err)
{
	json_t *v;
	json_int_t in;
	long at;

	*ttl = AUTH_TOKEN_MIN_TTL;
	v = json_object_get(root, "expires_in");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v))
			return rw_err_set(err, RW_EPARSE,
			    TRESP "\"expires_in\" is not an integer");
		in = json_integer_value(v);
		if (in > INT32_MAX)
			return rw_err_set(err, RW_EPARSE, TRESP "\"expires_in\" "
			    "%lld out of range (at most %ld)", (long long)in,
			    (long)INT32_MAX);
		/* The spec: never less than 60 s; docker raises it too. */
		if (in > AUTH_TOKEN_MIN_TTL)
			*ttl = (long)in;
	}
	*start = now;
	v = json_object_get(root, "issued_at");
	if (v == NULL || json_is_null(v))
		return RW_OK;
	if (!json_is_string(v))
		return rw_err_set(err, RW_EPARSE,
		    TRESP "\"issued_at\" is not a string");
	if (parse_rfc3339(json_string_value(v), &at) != 0)
		return rw_err_set(err, RW_EPARSE, TRESP "\"issued_at\" \"%.40s\" "
		    "is not an RFC 3339 time", json_string_value(v));
	/* A token service clock ahead of ours must not stretch the life. */
	if (at < now)
		*start = at;
	return RW_OK;
}

/*
 * jansson frees without wiping, so overwrite the token strings inside the
 * tree before it goes.  They are jansson's own heap memory, typed const only
 * because callers are not meant to change them.
 */
static void
wipe_tokens(json_t *root)
{
	static const char *const names[] = { "access_token", "token",
	    "refresh_token" };
	json_t *v;
	size_t k;

	for (k = 0; root != NULL && k < 3; k++) {
		v = json_object_get(root, names[k]);
		if (json_is_string(v))
			OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v),
			    json_string_length(v));
	}
}

int
auth_parse_token_response(const char *body, size_t len, long now_unix,
    struct auth_token *out, struct rw_err *err)
{
	json_error_t je;
	json_t *root = NULL, *tok = NULL;
	long ttl = 0, start = 0;
	size_t tlen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > AUTH_TOKEN_BODY_MAX)
		return rw_err_set(err, RW_ETOOBIG,
		    TRESP "larger than %d bytes", AUTH_TOKEN_BODY_MAX);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)	/* je.text may quote the body: leave it out */
		return rw_err_set(err, RW_EPARSE, TRESP "not valid JSON (line "
		    "%d, column %d)", je.line, je.column);
	rc = json_is_object(root) ? RW_OK : rw_err_set(err, RW_EPARSE,
	    TRESP "not a JSON object");
	if (rc == RW_OK)
		rc = pick_token(root, &tok, err);
	if (rc == RW_OK) {
		tlen = json_string_length(tok);
		rc = check_token(json_string_value(tok), tlen, err);
	}
	if (rc == RW_OK)
		rc = token_times(root, now_unix, &ttl, &start, err);
	if (rc != RW_OK)
		goto out;
	out->token = malloc(tlen + 1);
	if (out->token == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, TRESP "out of memory");
		goto out;
	}
	memcpy(out->token, json_string_value(tok), tlen + 1);
	out->len = tlen;
	out->expires_in = ttl;
	out->expires_at = start + ttl;
out:
	wipe_tokens(root);
	json_decref(root);
	return rc;
}

void
auth_token_cleanup(struct auth_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->token != NULL)
		rw_freezero(tok->token, tok->len + 1);
	memset(tok, 0, sizeof(*tok));
}

/* ------------------------------------------------------ token URL, scope */

/* A bounded string writer that remembers overflowing. */
struct sbuf {
	char	*p;
	size_t	 n;
	size_t	 len;
	int	 over;
};

static void
sb_put(struct sbuf *b, const char *s, size_t len)
{
	if (b->over || len >= b->n - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/* Percent-encode all but RFC 3986 unreserved characters. */
static void
sb_enc(struct sbuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char e[3];
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			sb_put(b, s + i, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		sb_put(b, e, 3);
	}
}

/* Append "<sep>NAME=<encoded VALUE>"; the separator becomes '&'. */
static void
sb_param(struct sbuf *b, const char **sep, const char *name,
    const char *value, size_t len)
{
	sb_put(b, *sep, strlen(*sep));
	sb_put(b, name, strlen(name));
	sb_put(b, "=", 1);
	sb_enc(b, value, len);
	*sep = "&";
}

int
auth_token_url(const struct auth_challenge *c, const char *scope, char *out,
    size_t n)
{
	struct sbuf b = { out, n, 0, 0 };
	const char *sep, *p;
	size_t rlen, wlen;

	if (n == 0)
		return RW_ETOOBIG;
	out[0] = '\0';
	if (c == NULL || c->scheme != AUTH_SCHEME_BEARER || !realm_ok(c->realm))
		return RW_EINVAL;
	rlen = strlen(c->realm);
	sb_put(&b, c->realm, rlen);
	sep = strchr(c->realm, '?') != NULL ? "&" : "?";
	if (c->realm[rlen - 1] == '?' || c->realm[rlen - 1] == '&')
		sep = "";
	if (c->service[0] != '\0')
		sb_param(&b, &sep, "service", c->service, strlen(c->service));
	for (p = scope; p != NULL && *p != '\0'; p += wlen) {
		while (*p == ' ')
			p++;
		wlen = strcspn(p, " ");
		if (wlen > 0)
			sb_param(&b, &sep, "scope", p, wlen);
	}
	if (b.over) {
		out[0] = '\0';
		return RW_ETOOBIG;
	}
	return RW_OK;
}

int
auth_scope_for(const char *repo, int push, char *out, size_t n)
{
	const char *p;
	int w;

	if (n > 0)
		out[0] = '\0';
	if (repo == NULL || *repo == '\0')
		return RW_EINVAL;
	for (p = repo; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-/:", *p) != NULL))
			return RW_EINVAL;
	w = snprintf(out, n, "repository:%s:%s", repo, push ? "pull,push" :
	    "pull");
	if (w < 0 || (size_t)w >= n) {
		if (n > 0)
			out[0] = '\0';
		return RW_ETOOBIG;
	}
	return RW_OK;
}

/* ----------------------------------------------------------- token cache */

#define CACHE_BUCKETS	1024
#define UPSTREAM_MAX	255

struct centry {
	struct centry	*hnext;		/* bucket chain */
	struct centry	*older;		/* age list: oldest ... newest */
	struct centry	*newer;
	uint64_t	 hash;
	long		 expires_at;
	size_t		 keylen;	/* upstream NUL scope */
	size_t		 toklen;
	size_t		 size;		/* whole allocation, for wiping */
	char		 data[];	/* key, NUL, token, NUL */
};

struct auth_cache {
	pthread_mutex_t	 mu;
	struct centry	*bucket[CACHE_BUCKETS];
	struct centry	*oldest;
	struct centry	*newest;
	size_t		 count;
	uint64_t	 seed;
};

/*
 * FNV-1a with a per-cache random start.  Chains are bounded by the entry
 * limit anyway; the seed just keeps requested repository names from
 * choosing collisions cheaply.
 */
static uint64_t
key_hash(const struct auth_cache *c, const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ c->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* KEY = upstream NUL scope; returns its length, or 0 when invalid. */
static size_t
make_key(char *key, size_t n, const char *upstream, const char *scope)
{
	size_t ul, sl;

	if (upstream == NULL || scope == NULL)
		return 0;
	ul = strlen(upstream);
	sl = strlen(scope);
	if (ul == 0 || ul > UPSTREAM_MAX || sl > AUTH_SCOPE_MAX ||
	    ul + sl + 2 > n)
		return 0;
	memcpy(key, upstream, ul + 1);
	memcpy(key + ul + 1, scope, sl + 1);
	return ul + 1 + sl;
}

static struct centry *
find(struct auth_cache *c, const char *key, size_t len, uint64_t h)
{
	struct centry *e;

	for (e = c->bucket[h % CACHE_BUCKETS]; e != NULL; e = e->hnext)
		if (e->hash == h && e->keylen == len &&
		    memcmp(e->data, key, len) == 0)
			return e;
	return NULL;
}

/* Unlink E from its bucket and the age list, then wipe and free it. */
static void
remove_entry(struct auth_cache *c, struct centry *e)
{
	struct centry **pp;

	for (pp = &c->bucket[e->hash % CACHE_BUCKETS]; *pp != e;
	    pp = &(*pp)->hnext)
		continue;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	rw_freezero(e, e->size);
}

static int
expired(const struct centry *e, long now)
{
	return e->expires_at <= LONG_MIN + AUTH_CACHE_SKEW ||
	    now >= e->expires_at - AUTH_CACHE_SKEW;
}

/* Make room for one entry: drop every expired entry, else the oldest. */
static void
evict(struct auth_cache *c, long now)
{
	struct centry *e, *next;
	size_t before = c->count;

	for (e = c->oldest; e != NULL; e = next) {
		next = e->newer;
		if (expired(e, now))
			remove_entry(c, e);
	}
	if (c->count == before && c->oldest != NULL)
		remove_entry(c, c->oldest);
}

struct auth_cache *
auth_cache_new(void)
{
	struct auth_cache *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		c->seed = (uint64_t)(uintptr_t)c;	/* only spreads buckets */
	return c;
}

void
auth_cache_free(struct auth_cache *cache)
{
	if (cache == NULL)
		return;
	while (cache->oldest != NULL)
		remove_entry(cache, cache->oldest);
	pthread_mutex_destroy(&cache->mu);
	free(cache);
}

int
auth_cache_get(struct auth_cache *cache, const char *upstream,
    const char *scope, long now, char *tok, size_t n)
{
	char key[UPSTREAM_MAX + AUTH_SCOPE_MAX + 2];
	struct centry *e;
	size_t len;
	int rc = RW_ENOTFOUND;

	if (n > 0)
		tok[0] = '\0';
	len = make_key(key, sizeof(key), upstream, scope);
	if (len == 0)
		return RW_ENOTFOUND;
	pthread_mutex_lock(&cache->mu);
	e = find(cache, key, len, key_hash(cache, key, len));
	if (e != NULL && expired(e, now))
		remove_entry(cache, e);
	else if (e != NULL && e->toklen >= n)
		rc = RW_ETOOBIG;
	else if (e != NULL) {
		memcpy(tok, e->data + e->keylen + 1, e->toklen + 1);
		rc = RW_OK;
	}
	pthread_mutex_unlock(&cache->mu);
	return rc;
}

int
auth_cache_put(struct auth_cache *cache, const char *upstream,
    const char *scope, const char *token, long expires_at)
{
	char key[UPSTREAM_MAX + AUTH_SCOPE_MAX + 2];
	struct centry *e, *old;
	size_t len, tlen;

	len = make_key(key, sizeof(key), upstream, scope);
	tlen = token != NULL ? strlen(token) : 0;
	if (len == 0 || tlen == 0 || tlen > AUTH_TOKEN_MAX)
		return RW_EINVAL;
	/* Allocate before taking the lock: the lock guards only the table. */
	e = calloc(1, sizeof(*e) + len + 1 + tlen + 1);
	if (e == NULL)
		return RW_ENOMEM;
	e->size = sizeof(*e) + len + 1 + tlen + 1;
	e->hash = key_hash(cache, key, len);
	e->expires_at = expires_at;
	e->keylen = len;
	e->toklen = tlen;
	memcpy(e->data, key, len + 1);
	memcpy(e->data + len + 1, token, tlen + 1);

	pthread_mutex_lock(&cache->mu);
	old = find(cache, key, len, e->hash);
	if (old != NULL)
		remove_entry(cache, old);
	if (cache->count >= AUTH_CACHE_MAX)
		evict(cache, (long)time(NULL));
	e->hnext = cache->bucket[e->hash % CACHE_BUCKETS];
	cache->bucket[e->hash % CACHE_BUCKETS] = e;
	e->older = cache->newest;
	if (cache->newest != NULL)
		cache->newest->newer = e;
	else
		cache->oldest = e;
	cache->newest = e;
	cache->count++;
	pthread_mutex_unlock(&cache->mu);
	return RW_OK;
}

int
auth_cache_drop(struct auth_cache *cache, const char *upstream,
    const char *scope)
{
	char key[UPSTREAM_MAX + AUTH_SCOPE_MAX + 2];
	struct centry *e;
	size_t len;
	int rc = RW_ENOTFOUND;

	len = make_key(key, sizeof(key), upstream, scope);
	if (len == 0)
		return RW_ENOTFOUND;
	pthread_mutex_lock(&cache->mu);
	e = find(cache, key, len, key_hash(cache, key, len));
	if (e != NULL) {
		remove_entry(cache, e);
		rc = RW_OK;
	}
	pthread_mutex_unlock(&cache->mu);
	return rc;
}

size_t
auth_cache_count(struct auth_cache *cache)
{
	size_t n;

	pthread_mutex_lock(&cache->mu);
	n = cache->count;
	pthread_mutex_unlock(&cache->mu);
	return n;
}

/* ------------------------------------------------------------- htpasswd */

#define HTPASSWD_MAX	(1024 * 1024)
#define HT_SLOTS	1024		/* success cache, direct-mapped */
#define HT_TTL_MS	60000
#define BCRYPT_LEN	60
#define BCRYPT_COST_MAX	16

struct huser {
	const char	*user;		/* into buf */
	const char	*hash;
	int		 line;
};

struct hslot {
	unsigned char	 key[32];
	uint64_t	 expires_ms;	/* 0: empty */
};

struct auth_htpasswd {
	char		*buf;		/* the file, split in place */
	size_t		 buflen;
	struct huser	*users;		/* sorted by name */
	size_t		 nusers;
	unsigned char	 salt[32];
	pthread_mutex_t	 mu;		/* guards slot, hits, runs */
	uint64_t	 hits;
	uint64_t	 runs;
	struct hslot	 slot[HT_SLOTS];
};


static int
is_bcrypt_b64(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '/';
}

/* "$2b$NN$" + 53 characters of bcrypt's base64, with a sane cost. */
static int
check_hash(const char *path, int line, const char *user, const char *h,
    struct rw_err *err)
{
	size_t i;
	int cost;

	if (strncmp(h, "$2a$", 4) != 0 && strncmp(h, "$2b$", 4) != 0 &&
	    strncmp(h, "$2y$", 4) != 0)
		return rw_err_set(err, RW_ECONFIG, "%s:%d: user \"%s\": only "
		    "bcrypt hashes are supported", path, line, user);
	if (strlen(h) != BCRYPT_LEN || h[4] < '0' || h[4] > '9' ||
	    h[5] < '0' || h[5] > '9' || h[6] != '$')
		goto bad;
	for (i = 7; i < BCRYPT_LEN; i++)
		if (!is_bcrypt_b64((unsigned char)h[i]))
			goto bad;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > BCRYPT_COST_MAX)
		return rw_err_set(err, RW_ECONFIG, "%s:%d: user \"%s\": bcrypt "
		    "cost %d out of range (4..%d)", path, line, user, cost,
		    BCRYPT_COST_MAX);
	return RW_OK;
bad:
	return rw_err_set(err, RW_ECONFIG,
	    "%s:%d: user \"%s\": malformed bcrypt hash", path, line, user);
}

/* Strip spaces, tabs and a CR from both ends of LINE, in place. */
static char *
trim(char *line)
{
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
	    line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int
parse_lines(struct auth_htpasswd *h, const char *path, struct rw_err *err)
{
	char *line, *next, *colon;
	int lineno = 0, rc;

	for (line = h->buf; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		colon = strchr(line, ':');
		if (colon == NULL)
			return rw_err_set(err, RW_ECONFIG, "%s:%d: missing ':' "
			    "between user and hash", path, lineno);
		*colon = '\0';
		if (colon == line)
			return rw_err_set(err, RW_ECONFIG,
			    "%s:%d: empty user name", path, lineno);
		if (colon - line > AUTH_USER_MAX)
			return rw_err_set(err, RW_ECONFIG, "%s:%d: user name "
			    "longer than %d bytes", path, lineno, AUTH_USER_MAX);
		rc = check_hash(path, lineno, line, colon + 1, err);
		if (rc != RW_OK)
			return rc;
		h->users[h->nusers].user = line;
		h->users[h->nusers].hash = colon + 1;
		h->users[h->nusers].line = lineno;
		h->nusers++;
	}
	return RW_OK;
}

static int
huser_cmp(const void *a, const void *b)
{
	return strcmp(((const struct huser *)a)->user,
	    ((const struct huser *)b)->user);
}

static int
huser_key_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct huser *)e)->user);
}

/* Sort for bsearch; a user listed twice is ambiguous, so refuse it. */
static int
sort_users(struct auth_htpasswd *h, const char *path, struct rw_err *err)
{
	const struct huser *a, *b;
	size_t i;

	qsort(h->users, h->nusers, sizeof(*h->users), huser_cmp);
	for (i = 1; i < h->nusers; i++) {
		a = &h->users[i - 1];
		b = &h->users[i];
		if (strcmp(a->user, b->user) != 0)
			continue;
		if (a->line > b->line) {
			a = b;
			b = &h->users[i - 1];
		}
		return rw_err_set(err, RW_ECONFIG, "%s:%d: user \"%s\" is "
		    "listed twice (first on line %d)", path, b->line, b->user,
		    a->line);
	}
	return RW_OK;
}

struct auth_htpasswd *
auth_htpasswd_load(const char *path, struct rw_err *err)
{
	struct auth_htpasswd *h;
	size_t i, lines = 1;

	h = calloc(1, sizeof(*h));
	if (h == NULL || pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	if (rw_read_file(path, HTPASSWD_MAX, RW_FILE_SECRET, &h->buf, &h->buflen,
	    err) != RW_OK)
		goto fail;
	if (memchr(h->buf, '\0', h->buflen) != NULL) {
		rw_err_set(err, RW_ECONFIG, "%s: contains a NUL byte", path);
		goto fail;
	}
	for (i = 0; i < h->buflen; i++)
		lines += h->buf[i] == '\n';
	h->users = calloc(lines, sizeof(*h->users));
	if (h->users == NULL) {
		rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if (parse_lines(h, path, err) != RW_OK ||
	    sort_users(h, path, err) != RW_OK)
		goto fail;
	if (RAND_bytes(h->salt, sizeof(h->salt)) != 1) {
		rw_err_set(err, RW_ECRYPTO, "%s: RAND_bytes failed", path);
		goto fail;
	}
	return h;
fail:
	auth_htpasswd_free(h);
	return NULL;
}

void
auth_htpasswd_free(struct auth_htpasswd *h)
{
	if (h == NULL)
		return;
	if (h->buf != NULL)
		rw_freezero(h->buf, h->buflen + 1);
	free(h->users);
	pthread_mutex_destroy(&h->mu);
	rw_freezero(h, sizeof(*h));
}

size_t
auth_htpasswd_count(const struct auth_htpasswd *h)
{
	return h != NULL ? h->nusers : 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, padding optional.  Returns 0, or -1 if bad or too long. */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, n = 0, pad = 0;
	int bits = 0, v;

	while (pad < 2 && len > pad && s[len - 1 - pad] == '=')
		pad++;
	if (pad > 0 && len % 4 != 0)
		return -1;
	len -= pad;
	if (len == 0 || len % 4 == 1 || len / 4 * 3 + 2 > cap)
		return -1;
	for (i = 0; i < len; i++) {
		v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*outlen = n;
	return 0;
}

int
auth_basic_decode(const char *authorization_header, char *user, size_t un,
    char *pass, size_t pn)
{
	unsigned char dec[AUTH_USER_MAX + AUTH_PASS_MAX + 2];
	const unsigned char *colon;
	const char *p = authorization_header, *end;
	size_t dlen = 0, ulen, plen, i;
	int rc = RW_EINVAL;

	if (un > 0)
		user[0] = '\0';
	if (pn > 0)
		pass[0] = '\0';
	if (p == NULL || strncasecmp(p, "Basic", 5) != 0 ||
	    (p[5] != ' ' && p[5] != '\t'))
		return RW_EINVAL;
	for (p += 5; *p == ' ' || *p == '\t'; p++)
		continue;
	for (end = p + strlen(p); end > p && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		continue;
	if (b64_decode(p, (size_t)(end - p), dec, sizeof(dec), &dlen) != 0)
		goto out;
	for (i = 0; i < dlen; i++)
		if (dec[i] < 0x20 || dec[i] == 0x7f)
			goto out;
	colon = memchr(dec, ':', dlen);
	if (colon == NULL || colon == dec)
		goto out;
	ulen = (size_t)(colon - dec);
	plen = dlen - ulen - 1;
	if (ulen > AUTH_USER_MAX || plen > AUTH_PASS_MAX || ulen >= un ||
	    plen >= pn)
		goto out;
	memcpy(user, dec, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, plen);
	pass[plen] = '\0';
	rc = RW_OK;
out:
	OPENSSL_cleanse(dec, sizeof(dec));
	return rc;
}

/* One bcrypt run: RW_OK when PASS hashes to HASH (constant-time compare). */
static int
bcrypt_matches(struct auth_htpasswd *h, const char *hash, const char *pass)
{
	struct crypt_data *cd;
	const char *res;
	size_t len = strlen(hash);
	int rc = RW_EAUTH;

	pthread_mutex_lock(&h->mu);
	h->runs++;
	pthread_mutex_unlock(&h->mu);
	/* struct crypt_data is 32 KiB: too big for a worker thread's stack. */
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return RW_EAUTH;
	res = crypt_r(pass, hash, cd);
	if (res != NULL && strlen(res) == len &&
	    CRYPTO_memcmp(res, hash, len) == 0)
		rc = RW_OK;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* SHA-256(salt, user, NUL, pass, NUL, hash): the success cache key. */
static int
check_key(const struct auth_htpasswd *h, const char *user, const char *pass,
    const char *hash, unsigned char key[32])
{
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int ok;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, h->salt, sizeof(h->salt)) == 1 &&
	    EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, pass, strlen(pass) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, hash, strlen(hash)) == 1 &&
	    EVP_DigestFinal_ex(ctx, key, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static struct hslot *
slot_for(struct auth_htpasswd *h, const unsigned char key[32])
{
	return &h->slot[(key[0] | (unsigned)key[1] << 8) % HT_SLOTS];
}

static int
cache_hit(struct auth_htpasswd *h, const unsigned char key[32],
    uint64_t now_ms)
{
	struct hslot *s;
	int hit;

	pthread_mutex_lock(&h->mu);
	s = slot_for(h, key);
	hit = s->expires_ms > now_ms && CRYPTO_memcmp(s->key, key, 32) == 0;
	if (hit)
		h->hits++;
	pthread_mutex_unlock(&h->mu);
	return hit;
}

static void
cache_store(struct auth_htpasswd *h, const unsigned char key[32],
    uint64_t now_ms)
{
	struct hslot *s;

	pthread_mutex_lock(&h->mu);
	s = slot_for(h, key);
	memcpy(s->key, key, 32);
	s->expires_ms = now_ms + HT_TTL_MS;
	pthread_mutex_unlock(&h->mu);
}

int
auth_htpasswd_check_at(struct auth_htpasswd *h, const char *user,
    const char *pass, uint64_t now_ms)
{
	const struct huser *u;
	unsigned char key[32];
	int rc, have_key;

	if (h == NULL || user == NULL || pass == NULL || h->nusers == 0)
		return RW_EAUTH;	/* no users: no existence to hide */
	u = bsearch(user, h->users, h->nusers, sizeof(*h->users),
	    huser_key_cmp);
	if (u == NULL) {
		/* Spend what a real user costs, so timing reveals nothing. */
		(void)bcrypt_matches(h, h->users[0].hash, pass);
		return RW_EAUTH;
	}
	have_key = check_key(h, user, pass, u->hash, key) == 0;
	if (have_key && cache_hit(h, key, now_ms)) {
		rc = RW_OK;
		goto out;
	}
	rc = bcrypt_matches(h, u->hash, pass);
	if (rc == RW_OK && have_key)
		cache_store(h, key, now_ms);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
auth_htpasswd_check(struct auth_htpasswd *h, const char *user,
    const char *pass)
{
	return auth_htpasswd_check_at(h, user, pass, rw_now_ms());
}

void
auth_htpasswd_stats(struct auth_htpasswd *h, uint64_t *cache_hits,
    uint64_t *bcrypt_runs)
{
	pthread_mutex_lock(&h->mu);
	*cache_hits = h->hits;
	*bcrypt_runs = h->runs;
	pthread_mutex_unlock(&h->mu);
}
