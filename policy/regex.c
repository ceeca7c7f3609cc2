/* regex.c - tag patterns as admins write them (\d, \w, \s) into POSIX ERE. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

/*
 * Admins copy tag patterns from semver docs and other tools, which use Perl
 * escapes; regcomp(3) would read "\d" as a plain "d" and silently match the
 * wrong tags.  So the few shorthand classes are rewritten, and every other
 * escaped letter or digit is refused rather than guessed at.
 */

struct out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 full;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n >= o->size) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
putc1(struct out *o, char c)
{
	char s[2] = { c, '\0' };

	put(o, s);
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

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* The class body for \d, \w or \s (used inside and outside brackets). */
static const char *
class_body(int c)
{
	switch (c) {
	case 'd':
	case 'D':
		return "0-9";
	case 'w':
	case 'W':
		return "A-Za-z0-9_";
	case 's':
	case 'S':
		return "[:space:]";
	}
	return NULL;
}

/* An escape outside brackets: C is the character after the backslash. */
static int
escape_out(struct out *o, int c, char *why, size_t whysize)
{
	const char *body = class_body(c);

	if (body != NULL) {
		put(o, c >= 'a' ? "[" : "[^");
		put(o, body);
		put(o, "]");
		return 0;
	}
	if (is_alnum(c))
		return why_set(why, whysize, "\\%c is not supported (use \\d, "
		    "\\w, \\s, their negations \\D, \\W, \\S, or a bracket "
		    "expression such as [a-z])", c);
	putc1(o, '\\');
	putc1(o, (char)c);
	return 0;
}

/* An escape inside brackets, where POSIX has no escapes at all. */
static int
escape_in(struct out *o, int c, char *why, size_t whysize)
{
	const char *body = class_body(c);

	if (body != NULL && c >= 'a') {
		put(o, body);
		return 0;
	}
	if (body != NULL)
		return why_set(why, whysize, "\\%c cannot be used inside "
		    "[...]; use [^...] instead", c);
	if (is_alnum(c))
		return why_set(why, whysize, "\\%c is not supported inside "
		    "[...]", c);
	if (c == ']' || c == '[' || c == '^' || c == '-')
		return why_set(why, whysize, "\\%c is not supported inside "
		    "[...]; put ']' first, '-' last and '^' anywhere but first",
		    c);
	putc1(o, (char)c);
	return 0;
}

/* Copies a bracket expression starting at *S (just after '['). */
static int
bracket(struct out *o, const char **sp, char *why, size_t whysize)
{
	const char *s = *sp, *close;

	if (*s == '^')
		putc1(o, *s++);
	if (*s == ']')
		putc1(o, *s++);
	while (*s != '\0' && *s != ']') {
		if (*s == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
			/* [:class:], [.coll.], [=equiv=] are copied whole. */
			char end[3] = { s[1], ']', '\0' };

			close = strstr(s + 2, end);
			if (close == NULL)
				break;	/* regcomp reports it */
			while (s < close + 2)
				putc1(o, *s++);
		} else if (*s == '\\') {
			if (s[1] == '\0')
				break;
			if (escape_in(o, (unsigned char)s[1], why, whysize) != 0)
				return -1;
			s += 2;
		} else
			putc1(o, *s++);
	}
	if (*s == ']')
		putc1(o, *s++);
	*sp = s;
	return 0;
}

int
policy_re_translate(const char *in, char *out, size_t outsize, char *why,
    size_t whysize)
{
	struct out o = { out, outsize, 0, 0 };
	const char *s = in;

	out[0] = '\0';
	while (*s != '\0') {
		if (*s == '\\') {
			if (s[1] == '\0')
				return why_set(why, whysize,
				    "ends with a lone backslash");
			if (escape_out(&o, (unsigned char)s[1], why,
			    whysize) != 0)
				return -1;
			s += 2;
		} else if (*s == '[') {
			putc1(&o, *s++);
			if (bracket(&o, &s, why, whysize) != 0)
				return -1;
		} else
			putc1(&o, *s++);
	}
	if (o.full)
		return why_set(why, whysize, "is too long");
	return 0;
}
