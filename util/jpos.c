/* jpos.c - where each value and object key of a JSON text starts, by JSON Pointer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/*
 * jansson refuses documents nested deeper than this, so a text it accepts
 * never makes this recursive scanner give up.
 */
#define JPOS_MAX_DEPTH	2048

/* rw_buf wants a cap; paths are bounded by the text, not by a policy. */
#define JPOS_BUF_CAP	(SIZE_MAX / 4)

struct jpos_ent {
	size_t		 off;	/* path offset in the arena while scanning */
	const char	*path;	/* set once the arena stops moving */
	size_t		 seq;	/* document order: first duplicate wins */
	int		 line, col;
	int		 kline, kcol;	/* 0 for array elements and the root */
};

struct rw_jpos {
	struct jpos_ent	*ents;
	size_t		 n;
	size_t		 alloc;
	struct rw_buf	 arena;	/* NUL-separated paths */
};

struct scan {
	const char	*p;
	const char	*end;
	int		 line, col;
	int		 depth;
	struct rw_jpos	*jp;
	struct rw_buf	 path;	/* pointer of the value being scanned */
	struct rw_buf	 key;	/* decoded key, reused */
};

static int	value(struct scan *s, int kline, int kcol);

static void
adv(struct scan *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else
		s->col++;
	s->p++;
}

static int
peek(const struct scan *s)
{
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

/* Comments count as whitespace so that a caller may blank them or keep them. */
static int
skip_ws(struct scan *s)
{
	for (;;) {
		int c = peek(s);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			adv(s);
		} else if (c == '/' && s->end - s->p >= 2 && s->p[1] == '/') {
			while (s->p < s->end && *s->p != '\n')
				adv(s);
		} else if (c == '/' && s->end - s->p >= 2 && s->p[1] == '*') {
			adv(s);
			adv(s);
			while (s->end - s->p >= 2 &&
			    !(s->p[0] == '*' && s->p[1] == '/'))
				adv(s);
			if (s->end - s->p < 2)
				return -1;	/* unterminated comment */
			adv(s);
			adv(s);
		} else
			return 0;
	}
}

static int
record(struct scan *s, int line, int col, int kline, int kcol)
{
	struct rw_jpos *jp = s->jp;
	struct jpos_ent *e;

	if (jp->n == jp->alloc) {
		size_t na = jp->alloc != 0 ? jp->alloc * 2 : 64;

		e = realloc(jp->ents, na * sizeof(*e));
		if (e == NULL)
			return -1;
		jp->ents = e;
		jp->alloc = na;
	}
	e = &jp->ents[jp->n];
	e->off = jp->arena.len;
	e->path = NULL;
	e->seq = jp->n;
	e->line = line;
	e->col = col;
	e->kline = kline;
	e->kcol = kcol;
	/* Add the terminating NUL too, so paths sit back to back. */
	if (rw_buf_add(&jp->arena, s->path.data != NULL ? s->path.data : "",
	    s->path.len + 1) != RW_OK)
		return -1;
	jp->n++;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long
hex4(struct scan *s)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		h = hexval(peek(s));
		if (h < 0)
			return -1;
		v = v * 16 + h;
		adv(s);
	}
	return v;
}

/* Reads the digits after "\u", joining a surrogate pair into one code point. */
static long
codepoint(struct scan *s)
{
	long hi = hex4(s), lo;

	if (hi < 0xd800 || hi > 0xdfff)
		return hi;	/* also passes -1 through */
	if (hi > 0xdbff || peek(s) != '\\')
		return -1;
	adv(s);
	if (peek(s) != 'u')
		return -1;
	adv(s);
	lo = hex4(s);
	if (lo < 0xdc00 || lo > 0xdfff)
		return -1;
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

static int
put_utf8(struct rw_buf *out, long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return rw_buf_add(out, u, n) == RW_OK ? 0 : -1;
}

/* One escape after the backslash; decoded into OUT when OUT is not NULL. */
static int
escape(struct scan *s, struct rw_buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *m;
	int c = peek(s);
	long cp;

	if (c <= 0)
		return -1;
	if (c == 'u') {
		adv(s);
		cp = codepoint(s);
		/* jansson refuses \u0000 too; a key path cannot hold it. */
		if (cp <= 0)
			return -1;
		return out != NULL ? put_utf8(out, cp) : 0;
	}
	m = strchr(from, c);
	if (m == NULL)
		return -1;
	adv(s);
	if (out != NULL && rw_buf_add(out, &to[m - from], 1) != RW_OK)
		return -1;
	return 0;
}

/* A string starting at the opening quote; decoded into OUT when not NULL. */
static int
string(struct scan *s, struct rw_buf *out)
{
	int c;

	adv(s);
	for (;;) {
		c = peek(s);
		if (c < 0x20)	/* end of text, or a raw control character */
			return -1;
		adv(s);
		if (c == '"')
			return 0;
		if (c == '\\') {
			if (escape(s, out) != 0)
				return -1;
		} else if (out != NULL && rw_buf_add(out, s->p - 1, 1) != RW_OK)
			return -1;
	}
}

static int
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	int c;

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	while (n-- > 0)
		adv(s);
	c = peek(s);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return -1;
	return 0;
}

/* Loose on purpose: jansson validates numbers, we only need their extent. */
static int
number(struct scan *s)
{
	int c, digits = 0;

	for (;;) {
		c = peek(s);
		if (c >= '0' && c <= '9')
			digits++;
		else if (c != '-' && c != '+' && c != '.' && c != 'e' &&
		    c != 'E')
			break;
		adv(s);
	}
	return digits > 0 ? 0 : -1;
}

/* Appends "/" and KEY to the current path, escaping '~' and '/' (RFC 6901). */
static int
push_key(struct scan *s, const char *key, size_t len)
{
	size_t i;
	int rc = rw_buf_add(&s->path, "/", 1);

	for (i = 0; i < len && rc == RW_OK; i++) {
		if (key[i] == '~')
			rc = rw_buf_add(&s->path, "~0", 2);
		else if (key[i] == '/')
			rc = rw_buf_add(&s->path, "~1", 2);
		else
			rc = rw_buf_add(&s->path, &key[i], 1);
	}
	return rc == RW_OK ? 0 : -1;
}

static void
pop(struct scan *s, size_t len)
{
	s->path.len = len;
	if (s->path.data != NULL)
		s->path.data[len] = '\0';
}

/* After "{": members until "}". */
static int
object(struct scan *s)
{
	size_t base = s->path.len;
	int kline, kcol;

	if (skip_ws(s) != 0)
		return -1;
	if (peek(s) == '}') {
		adv(s);
		return 0;
	}
	for (;;) {
		if (skip_ws(s) != 0 || peek(s) != '"')
			return -1;
		kline = s->line;
		kcol = s->col;
		rw_buf_reset(&s->key);
		if (string(s, &s->key) != 0 || skip_ws(s) != 0 ||
		    peek(s) != ':')
			return -1;
		adv(s);
		if (push_key(s, s->key.data != NULL ? s->key.data : "",
		    s->key.len) != 0 || value(s, kline, kcol) != 0)
			return -1;
		pop(s, base);
		if (skip_ws(s) != 0)
			return -1;
		if (peek(s) == '}') {
			adv(s);
			return 0;
		}
		if (peek(s) != ',')
			return -1;
		adv(s);
	}
}

/* After "[": elements until "]". */
static int
array(struct scan *s)
{
	size_t base = s->path.len, i;

	if (skip_ws(s) != 0)
		return -1;
	if (peek(s) == ']') {
		adv(s);
		return 0;
	}
	for (i = 0;; i++) {
		if (rw_buf_addf(&s->path, "/%zu", i) != RW_OK ||
		    value(s, 0, 0) != 0)
			return -1;
		pop(s, base);
		if (skip_ws(s) != 0)
			return -1;
		if (peek(s) == ']') {
			adv(s);
			return 0;
		}
		if (peek(s) != ',')
			return -1;
		adv(s);
	}
}

/* Any value at the current path, whose key (if any) started at KLINE:KCOL. */
static int
value(struct scan *s, int kline, int kcol)
{
	int c, rc;

	if (skip_ws(s) != 0 || record(s, s->line, s->col, kline, kcol) != 0)
		return -1;
	c = peek(s);
	if (c == '{' || c == '[') {
		if (++s->depth > JPOS_MAX_DEPTH)
			return -1;
		adv(s);
		rc = c == '{' ? object(s) : array(s);
		s->depth--;
		return rc;
	}
	if (c == '"')
		return string(s, NULL);
	if (c == 't')
		return literal(s, "true");
	if (c == 'f')
		return literal(s, "false");
	if (c == 'n')
		return literal(s, "null");
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(s);
	return -1;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct jpos_ent *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct rw_jpos *
rw_jpos_new(const char *text, size_t len)
{
	struct rw_jpos *jp;
	struct scan s;
	size_t i;
	int ok;

	jp = calloc(1, sizeof(*jp));
	if (jp == NULL)
		return NULL;
	rw_buf_init(&jp->arena, JPOS_BUF_CAP);
	memset(&s, 0, sizeof(s));
	s.p = text;
	s.end = text + len;
	s.line = s.col = 1;
	s.jp = jp;
	rw_buf_init(&s.path, JPOS_BUF_CAP);
	rw_buf_init(&s.key, JPOS_BUF_CAP);
	ok = value(&s, 0, 0) == 0 && skip_ws(&s) == 0 && s.p == s.end;
	rw_buf_free(&s.path);
	rw_buf_free(&s.key);
	if (!ok) {
		rw_jpos_free(jp);
		return NULL;
	}
	/* The arena no longer grows, so its addresses are now stable. */
	for (i = 0; i < jp->n; i++)
		jp->ents[i].path = jp->arena.data + jp->ents[i].off;
	qsort(jp->ents, jp->n, sizeof(*jp->ents), ent_cmp);
	return jp;
}

void
rw_jpos_free(struct rw_jpos *jp)
{
	if (jp == NULL)
		return;
	free(jp->ents);
	rw_buf_free(&jp->arena);
	free(jp);
}

int
rw_jpos_get(const struct rw_jpos *jp, const char *path, int key, int *line,
    int *col)
{
	size_t lo = 0, hi, mid;
	const struct jpos_ent *e;

	if (jp == NULL || path == NULL)
		return RW_ENOTFOUND;
	/* Lower bound, so that a duplicated key answers with its first use. */
	hi = jp->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(jp->ents[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == jp->n || strcmp(jp->ents[lo].path, path) != 0)
		return RW_ENOTFOUND;
	e = &jp->ents[lo];
	if (key && e->kline == 0)
		return RW_ENOTFOUND;
	*line = key ? e->kline : e->line;
	*col = key ? e->kcol : e->col;
	return RW_OK;
}
