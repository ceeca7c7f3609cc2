/* parse.c - walking the parsed policy and reporting at file:line:col. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A pointer too long for struct where becomes "~", which rw_jpos never
 * records: the error then comes without a position rather than a wrong one.
 */
void
policy_where_key(struct where *out, const struct where *parent,
    const char *key)
{
	struct where p = *parent;	/* OUT may be PARENT */
	size_t n = strlen(p.ptr), i;
	int fits = n + 2 < sizeof(out->ptr);

	memcpy(out->ptr, p.ptr, n);
	if (fits)
		out->ptr[n++] = '/';
	for (i = 0; fits && key[i] != '\0'; i++) {
		if (n + 3 >= sizeof(out->ptr))
			fits = 0;
		else if (key[i] == '~' || key[i] == '/') {
			/* RFC 6901, as rw_jpos records paths. */
			out->ptr[n++] = '~';
			out->ptr[n++] = key[i] == '~' ? '0' : '1';
		} else
			out->ptr[n++] = key[i];
	}
	out->ptr[n] = '\0';
	if (!fits)
		rw_strlcpy(out->ptr, "~", sizeof(out->ptr));
	if (p.disp[0] == '\0')
		rw_strlcpy(out->disp, key, sizeof(out->disp));
	else if (snprintf(out->disp, sizeof(out->disp), "%s.%s", p.disp,
	    key) < 0)
		out->disp[0] = '\0';
}

void
policy_where_idx(struct where *out, const struct where *parent, size_t i)
{
	struct where p = *parent;	/* OUT may be PARENT */
	int n;

	n = snprintf(out->ptr, sizeof(out->ptr), "%s/%zu", p.ptr, i);
	if (n < 0 || (size_t)n >= sizeof(out->ptr))
		rw_strlcpy(out->ptr, "~", sizeof(out->ptr));
	if (snprintf(out->disp, sizeof(out->disp), "%s[%zu]", p.disp, i) < 0)
		out->disp[0] = '\0';
}

const char *
policy_quote(char *buf, size_t size, const char *s)
{
	struct rw_sb sb;
	size_t i;
	unsigned char c;

	rw_sb_init(&sb, buf, size);
	rw_sb_add(&sb, "\"");
	for (i = 0; s[i] != '\0'; i++) {
		if (i == POLICY_QUOTE_MAX) {
			rw_sb_add(&sb, "...");
			break;
		}
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			rw_sb_add(&sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rw_sb_add(&sb, "\\x%02x", c);
		else
			rw_sb_add(&sb, "%c", c);
	}
	rw_sb_add(&sb, "\"");
	return buf;
}

/* Reports at the value of AT (its key when KEY); PREFIX names the place. */
static void
vreport(struct ld *ld, const struct where *at, int key, const char *prefix,
    const char *fmt, va_list ap)
{
	char msg[sizeof(((struct rw_err *)0)->msg)];
	int line = 0, col = 0, n = 0;

	if (rw_jpos_get(ld->jp, at->ptr, key, &line, &col) != RW_OK) {
		line = 0;
		col = 0;
	}
	if (prefix != NULL && prefix[0] != '\0')
		n = snprintf(msg, sizeof(msg), "\"%s\": ", prefix);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col, "%s", msg);
	ld->errors++;
}

void
policy_bad(struct ld *ld, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, w, 0, w->disp, fmt, ap);
	va_end(ap);
}

void
policy_bad_key(struct ld *ld, const struct where *obj, const struct where *w,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, w, 1, obj->disp, fmt, ap);
	va_end(ap);
}

void
policy_bad_at(struct ld *ld, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, w, 0, NULL, fmt, ap);
	va_end(ap);
}

int
policy_line_of(const struct ld *ld, const struct where *w, int key)
{
	int line = 0, col = 0;

	if (rw_jpos_get(ld->jp, w->ptr, key, &line, &col) != RW_OK)
		return 0;
	return line;
}

char *
policy_strdup(struct ld *ld, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		ld->nomem = 1;
	return p;
}

static void
unknown_key(struct ld *ld, const struct where *w, const struct where *kw,
    const char *key, const struct policy_key *keys)
{
	const char *names[32];
	char q[POLICY_QUOTE_MAX * 4 + 16], sug[256];
	size_t n = 0;

	while (keys[n].name != NULL && n < 31) {
		names[n] = keys[n].name;
		n++;
	}
	names[n] = NULL;
	policy_bad_key(ld, w, kw, "unknown key %s %s",
	    policy_quote(q, sizeof(q), key),
	    rw_suggest(sug, sizeof(sug), key, names));
}

int
policy_walk(struct ld *ld, const struct where *w, json_t *v,
    const struct policy_key *keys, void *ctx)
{
	const struct policy_key *k;
	struct where kw;
	const char *key;
	json_t *val;

	if (!json_is_object(v)) {
		policy_bad(ld, w, "expected an object");
		return -1;
	}
	json_object_foreach(v, key, val) {
		policy_where_key(&kw, w, key);
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, key) == 0)
				break;
		if (k->name == NULL)
			unknown_key(ld, w, &kw, key, keys);
		else
			k->fn(ld, &kw, val, ctx);
	}
	for (k = keys; k->name != NULL; k++)
		if (k->required && json_object_get(v, k->name) == NULL)
			policy_bad(ld, w, "missing required key \"%s\"",
			    k->name);
	return 0;
}

const char *
policy_want_string(struct ld *ld, const struct where *w, json_t *v)
{
	if (!json_is_string(v)) {
		policy_bad(ld, w, "expected a string");
		return NULL;
	}
	return json_string_value(v);
}

/* One glob of a "match": checked, canonicalised, refused when repeated. */
static void
want_glob(struct ld *ld, const struct where *w, const char *s, char **v,
    size_t *n)
{
	char canon[600], why[200], q[POLICY_QBUF];
	size_t i;

	if (policy_glob_check(s, canon, sizeof(canon), why, sizeof(why)) != 0) {
		policy_bad(ld, w, "pattern %s: %s", policy_quote(q, sizeof(q),
		    s), why);
		return;
	}
	for (i = 0; i < *n; i++)
		if (strcmp(v[i], canon) == 0) {
			policy_bad(ld, w, "pattern %s is listed twice",
			    policy_quote(q, sizeof(q), s));
			return;
		}
	v[*n] = policy_strdup(ld, canon);
	if (v[*n] != NULL)
		(*n)++;
}

void
policy_want_globs(struct ld *ld, const struct where *w, json_t *v,
    const char *empty_hint, char ***out, size_t *n)
{
	size_t len = json_is_array(v) ? json_array_size(v) : 1, i;
	struct where ew;
	const char *s;

	if (!json_is_string(v) && !json_is_array(v)) {
		policy_bad(ld, w, "expected a pattern or an array of patterns");
		return;
	}
	if (len == 0) {
		policy_bad(ld, w, "needs at least one pattern%s", empty_hint);
		return;
	}
	*out = calloc(len, sizeof(**out));
	*n = 0;
	if (*out == NULL) {
		ld->nomem = 1;
		return;
	}
	if (json_is_string(v)) {
		want_glob(ld, w, json_string_value(v), *out, n);
		return;
	}
	for (i = 0; i < len; i++) {
		policy_where_idx(&ew, w, i);
		s = policy_want_string(ld, &ew, json_array_get(v, i));
		if (s != NULL)
			want_glob(ld, &ew, s, *out, n);
	}
}

int
policy_want_bool(struct ld *ld, const struct where *w, json_t *v)
{
	if (!json_is_boolean(v)) {
		policy_bad(ld, w, "expected true or false");
		return -1;
	}
	return json_is_true(v);
}

void
policy_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Whether S appears among the first N of V. */
static int
strv_has(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int
policy_want_strv(struct ld *ld, const struct where *w, json_t *v,
    int empty_ok, int (*ok)(struct ld *, const struct where *, const char *),
    char ***out, size_t *n)
{
	char q[POLICY_QUOTE_MAX * 4 + 16], **vec;
	struct where ew;
	const char *s;
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		policy_bad(ld, w, "expected an array of strings");
		return -1;
	}
	if (json_array_size(v) == 0 && !empty_ok) {
		policy_bad(ld, w, "must not be empty");
		return -1;
	}
	vec = calloc(json_array_size(v) + 1, sizeof(*vec));
	if (vec == NULL) {
		ld->nomem = 1;
		return -1;
	}
	*n = 0;
	json_array_foreach(v, i, e) {
		policy_where_idx(&ew, w, i);
		s = policy_want_string(ld, &ew, e);
		if (s == NULL)
			continue;
		if (s[0] == '\0')
			policy_bad(ld, &ew, "must not be empty");
		else if (strv_has(vec, *n, s))
			policy_bad(ld, &ew, "%s is listed twice",
			    policy_quote(q, sizeof(q), s));
		else if (ok == NULL || ok(ld, &ew, s) == 0) {
			vec[*n] = policy_strdup(ld, s);
			if (vec[*n] != NULL)
				(*n)++;
		}
	}
	*out = vec;
	return 0;
}
