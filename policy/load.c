/* load.c - the policy file: comments, JSON syntax, top level and pins. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* ------------------------------------------------------------ the text */

/* 1-based line and byte column of offset OFF in TEXT. */
static void
pos_of(const char *text, size_t off, int *line, int *col)
{
	size_t i, bol = 0;

	*line = 1;
	for (i = 0; i < off; i++)
		if (text[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	*col = (int)(off - bol) + 1;
}

/*
 * Replaces comments by spaces, keeping their newlines, so that jansson can
 * parse the text and every position is still the one the admin's editor
 * shows.  Returns 0, or 1 + the offset of an unterminated block comment.
 */
static size_t
blank_comments(char *t, size_t len)
{
	size_t i = 0, start;
	int in_str = 0;

	while (i < len) {
		if (in_str) {
			if (t[i] == '\\')
				i++;
			else if (t[i] == '"')
				in_str = 0;
			i++;
		} else if (t[i] == '"') {
			in_str = 1;
			i++;
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				t[i++] = ' ';
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
			start = i;
			for (i += 2; i + 1 < len && !(t[i] == '*' &&
			    t[i + 1] == '/'); i++)
				;
			if (i + 1 >= len)
				return start + 1;
			for (i += 2; start < i; start++)
				if (t[start] != '\n')
					t[start] = ' ';
		} else
			i++;
	}
	return 0;
}

/*
 * jansson's offset is just past the token it stopped at, and its message
 * quotes the token ("near 'tru'"); stepping back over it points at the
 * token's first byte, where an editor's cursor should go.
 */
static size_t
token_start(const char *text, size_t pos, const char *msg)
{
	const char *near = strstr(msg, "near '"), *end;
	size_t n;

	if (near == NULL)
		return pos > 0 ? pos - 1 : 0;
	near += 6;
	end = strrchr(near, '\'');
	n = end != NULL ? (size_t)(end - near) : 0;
	if (n > 0 && n <= pos && memcmp(text + pos - n, near, n) == 0)
		return pos - n;
	return pos > 0 ? pos - 1 : 0;
}

static void
syntax_error(struct ld *ld, const char *text, size_t len,
    const json_error_t *je)
{
	size_t pos, tok, prev;
	int line, col;

	pos = je->position > 0 && (size_t)je->position <= len ?
	    (size_t)je->position : 0;
	tok = token_start(text, pos, je->text);
	if (strstr(je->text, "end of file") != NULL)
		tok = pos;
	/* "[1, 2,]": name the comma, the one thing to delete. */
	if (tok < len && (text[tok] == '}' || text[tok] == ']')) {
		for (prev = tok; prev > 0 && strchr(" \t\r\n",
		    text[prev - 1]) != NULL; prev--)
			;
		if (prev > 0 && text[prev - 1] == ',') {
			pos_of(text, prev - 1, &line, &col);
			rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col,
			    "trailing comma before '%c' (JSON allows none)",
			    text[tok]);
			ld->errors++;
			return;
		}
	}
	pos_of(text, tok, &line, &col);
	rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col, "invalid JSON: %s",
	    je->text);
	ld->errors++;
}

/* Comments blanked, then jansson.  NULL after reporting. */
static json_t *
parse(struct ld *ld, char *text, size_t len)
{
	json_error_t je;
	json_t *doc;
	size_t bad;
	int line, col;

	/* A byte order mark is an editor's habit, not JSON. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		memset(text, ' ', 3);
	bad = blank_comments(text, len);
	if (bad != 0) {
		pos_of(text, bad - 1, &line, &col);
		rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col,
		    "unterminated /* comment");
		ld->errors++;
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		syntax_error(ld, text, len, &je);
	return doc;
}

/* ------------------------------------------------------------------ pins */

static int
host_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '-' || s[i] == ':'))
			return 0;
	return n > 0;
}

static char *
lower_dup(struct ld *ld, const char *s, size_t n)
{
	char *p = strndup(s, n);
	size_t i;

	if (p == NULL) {
		ld->nomem = 1;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
	return p;
}

/* "host/repository:tag" into PE, or an error at W. */
static void
pin_image(struct ld *ld, const struct where *w, const char *s,
    struct policy_pinent *pe)
{
	const char *slash = strchr(s, '/'), *last = strrchr(s, '/'), *colon;
	char q[POLICY_QBUF], *host, *repo;

	if (strchr(s, '@') != NULL) {
		policy_bad(ld, w, "must name a tag, not a digest (the digest "
		    "goes in \"digest\")");
		return;
	}
	if (slash == NULL || !policy_host_like(s, (size_t)(slash - s))) {
		policy_bad(ld, w, "%s must start with a registry host, as in "
		    "\"docker.io/%s%s\"", policy_quote(q, sizeof(q), s),
		    slash == NULL ? "library/" : "", s);
		return;
	}
	colon = strchr(last, ':');
	if (colon == NULL) {
		policy_bad(ld, w, "%s names no tag (expected "
		    "host/repository:tag, e.g. \"docker.io/library/nginx:"
		    "1.25.4\")", policy_quote(q, sizeof(q), s));
		return;
	}
	if (!host_chars_ok(s, (size_t)(slash - s))) {
		policy_bad(ld, w, "invalid registry host in %s",
		    policy_quote(q, sizeof(q), s));
		return;
	}
	host = lower_dup(ld, s, (size_t)(slash - s));
	repo = strndup(slash + 1, (size_t)(colon - slash - 1));
	if (host == NULL || repo == NULL) {
		ld->nomem = 1;
		free(host);
		free(repo);
		return;
	}
	if (!policy_repo_ok(repo))
		policy_bad(ld, w, "invalid repository name %s (lower-case "
		    "letters and digits, separated by '.', '_', '-' or '/')",
		    policy_quote(q, sizeof(q), repo));
	else if (!policy_tag_ok(colon + 1))
		policy_bad(ld, w, "invalid tag %s", policy_quote(q, sizeof(q),
		    colon + 1));
	else {
		pe->host = policy_strdup(ld, policy_canon_host(host));
		pe->repo = repo;
		pe->tag = policy_strdup(ld, colon + 1);
		pe->line = policy_line_of(ld, w, 0);
		repo = NULL;
	}
	free(host);
	free(repo);
}

static void
pin_image_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	const char *s = policy_want_string(ld, w, v);

	if (s != NULL)
		pin_image(ld, w, s, ctx);
}

static void
pin_digest_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_pinent *pe = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF];

	if (s == NULL)
		return;
	if (!policy_digest_ok(s)) {
		policy_bad(ld, w, "invalid digest %s (expected \"sha256:\" and "
		    "64 lower-case hex digits)", policy_quote(q, sizeof(q), s));
		return;
	}
	pe->digest = policy_strdup(ld, s);
}

static const struct policy_key pin_keys[] = {
	{ "image", pin_image_fn, 1 },
	{ "digest", pin_digest_fn, 1 },
	{ NULL, NULL, 0 },
};

static void
pin_free(struct policy_pinent *pe)
{
	free(pe->host);
	free(pe->repo);
	free(pe->tag);
	free(pe->digest);
	memset(pe, 0, sizeof(*pe));
}

static void
pins_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy *p = ctx;
	struct policy_pinent *pe;
	struct where ew;
	size_t i;

	if (!json_is_array(v)) {
		policy_bad(ld, w, "expected an array of {\"image\": ..., "
		    "\"digest\": ...}");
		return;
	}
	p->pins = calloc(json_array_size(v) + 1, sizeof(*p->pins));
	if (p->pins == NULL) {
		ld->nomem = 1;
		return;
	}
	for (i = 0; i < json_array_size(v); i++) {
		policy_where_idx(&ew, w, i);
		pe = &p->pins[p->npins];
		pe->at = i;
		policy_walk(ld, &ew, json_array_get(v, i), pin_keys, pe);
		if (pe->host != NULL && pe->repo != NULL && pe->tag != NULL &&
		    pe->digest != NULL)
			p->npins++;
		else
			pin_free(pe);
	}
	policy_check_pins(ld, w);
}

/* ------------------------------------------------------------ top level */

static void
schema_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	/* For editors only; the loader has its own idea of the schema. */
	policy_want_string(ld, w, v);
}

static void
version_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	if (!json_is_integer(v))
		policy_bad(ld, w, "expected the number 1");
	else if (json_integer_value(v) != 1)
		policy_bad(ld, w, "unsupported version %lld (this regwarden "
		    "reads version 1)", (long long)json_integer_value(v));
}

static void
default_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	static const char *const names[] = { "deny", "allow", NULL };
	struct policy *p = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];

	if (s == NULL)
		return;
	if (strcmp(s, "deny") == 0 || strcmp(s, "allow") == 0)
		p->default_allow = strcmp(s, "allow") == 0;
	else
		policy_bad(ld, w, "unknown value %s %s", policy_quote(q,
		    sizeof(q), s), rw_suggest(sug, sizeof(sug), s, names));
}

static void
default_message_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy *p = ctx;

	policy_note_load(ld, w, v, &p->default_message);
}

static void
exceptions_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_exceptions_load(ld, w, v);
}

/* "exception_limits": {"max_days": 90, "repo_scope": "single"}. */
static void
max_days_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy *p = ctx;

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 36500) {
		policy_bad(ld, w, "expected a whole number of days from 1 to "
		    "36500");
		return;
	}
	p->exc_max_days = (int)json_integer_value(v);
}

static void
repo_scope_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	static const char *const names[] = { "single", "any", NULL };
	struct policy *p = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];

	if (s == NULL)
		return;
	if (strcmp(s, "single") == 0 || strcmp(s, "any") == 0)
		p->exc_single_repo = strcmp(s, "single") == 0;
	else
		policy_bad(ld, w, "unknown value %s %s", policy_quote(q,
		    sizeof(q), s), rw_suggest(sug, sizeof(sug), s, names));
}

static void
exception_limits_fn(struct ld *ld, const struct where *w, json_t *v,
    void *ctx)
{
	static const struct policy_key keys[] = {
		{ "max_days", max_days_fn, 0 },
		{ "repo_scope", repo_scope_fn, 0 },
		{ NULL, NULL, 0 },
	};

	policy_walk(ld, w, v, keys, ctx);
}

static void
keys_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_keys_load(ld, w, v);
}

static void
rules_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy *p = ctx;
	struct where rw;
	size_t i;

	if (!json_is_array(v)) {
		policy_bad(ld, w, "expected an array of rules");
		return;
	}
	p->rules = calloc(json_array_size(v) + 1, sizeof(*p->rules));
	if (p->rules == NULL) {
		ld->nomem = 1;
		return;
	}
	p->nrules = json_array_size(v);
	for (i = 0; i < p->nrules; i++) {
		policy_where_idx(&rw, w, i);
		policy_rule_load(ld, &rw, json_array_get(v, i), &p->rules[i]);
	}
	policy_check_rules(ld, w);
}

static const struct policy_key root_keys[] = {
	{ "$schema", schema_fn, 0 },
	{ "version", version_fn, 1 },
	{ "default", default_fn, 0 },
	{ "default_message", default_message_fn, 0 },
	{ "pins", pins_fn, 0 },
	{ "exceptions", exceptions_fn, 0 },
	{ "exception_limits", exception_limits_fn, 0 },
	{ "keys", keys_fn, 0 },
	{ "rules", rules_fn, 0 },
	{ NULL, NULL, 0 },
};

/* --------------------------------------------------------------- loading */

/* Orders this load's diagnostics by position; insertion sort keeps ties. */
static void
sort_diags(struct rw_diags *d, size_t from)
{
	struct rw_err tmp;
	size_t i, j;

	for (i = from + 1; i < d->n; i++) {
		tmp = d->e[i];
		for (j = i; j > from && (d->e[j - 1].pos.line > tmp.pos.line ||
		    (d->e[j - 1].pos.line == tmp.pos.line &&
		    d->e[j - 1].pos.col > tmp.pos.col)); j--)
			d->e[j] = d->e[j - 1];
		d->e[j] = tmp;
	}
}

static struct policy *
policy_new(struct ld *ld, const char *name, const char *text, size_t len)
{
	struct policy *p = calloc(1, sizeof(*p));
	const char *slash;

	if (p == NULL)
		return NULL;
	p->file = strdup(name);
	if (p->file == NULL || rw_digest(RW_HASH_SHA256, text, len,
	    p->rev) != RW_OK) {
		policy_free(p);
		return NULL;
	}
	slash = strrchr(p->file, '/');
	p->base = slash != NULL ? slash + 1 : p->file;
	ld->base = p->base;
	return p;
}

int
policy_load_text(const char *name, const char *text, size_t len,
    struct policy **out, struct rw_diags *diags)
{
	struct ld ld;
	struct where root;
	char *copy = NULL;
	json_t *doc = NULL;
	size_t from = diags->n;
	int rc = RW_ENOMEM;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	memset(&root, 0, sizeof(root));
	ld.file = name;
	ld.d = diags;
	ld.p = policy_new(&ld, name, text, len);
	copy = malloc(len + 1);
	if (ld.p == NULL || copy == NULL)
		goto out;
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = RW_ECONFIG;
	doc = parse(&ld, copy, len);
	if (doc == NULL)
		goto out;
	/* Without the index, errors still come out, only without line:col. */
	ld.jp = rw_jpos_new(copy, len);
	if (policy_walk(&ld, &root, doc, root_keys, ld.p) == 0) {
		policy_sigs_resolve(&ld, doc);
		policy_atts_resolve(&ld, doc);
		policy_vex_resolve(&ld, doc);
	}
	if (policy_keys_revision(ld.p) != 0)
		ld.nomem = 1;
	rc = ld.nomem ? RW_ENOMEM : ld.errors > 0 ? RW_ECONFIG : RW_OK;
out:
	sort_diags(diags, from);
	if (rc == RW_ENOMEM && diags->n == from)
		rw_diag_add(diags, RW_ENOMEM, name, 0, 0, "out of memory");
	if (rc == RW_OK) {
		*out = ld.p;
		ld.p = NULL;
	}
	policy_free(ld.p);
	json_decref(doc);
	rw_jpos_free(ld.jp);
	free(copy);
	return rc;
}

/* The whole file, or RW_EIO after reporting. */
static int
slurp(const char *path, char **out, size_t *outlen, struct rw_diags *d)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = RW_EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rw_diag_add(d, RW_EIO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return RW_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rw_diag_add(d, RW_EIO, path, 0, 0, "not a regular file");
		goto out;
	}
	buf = malloc(POLICY_MAX_FILE + 1);
	if (buf == NULL) {
		rc = RW_ENOMEM;
		rw_diag_add(d, RW_ENOMEM, path, 0, 0, "out of memory");
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, POLICY_MAX_FILE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rw_diag_add(d, RW_EIO, path, 0, 0, "read: %s",
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > POLICY_MAX_FILE) {
			rw_diag_add(d, RW_EIO, path, 0, 0, "too large (more "
			    "than %d bytes)", POLICY_MAX_FILE);
			goto out;
		}
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = RW_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

int
policy_load(const char *path, struct policy **out, struct rw_diags *diags)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = slurp(path, &text, &len, diags);
	if (rc != RW_OK)
		return rc;
	rc = policy_load_text(path, text, len, out, diags);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ accessors */

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++)
		policy_rule_cleanup(&p->rules[i]);
	free(p->rules);
	for (i = 0; i < p->npins; i++)
		pin_free(&p->pins[i]);
	free(p->pins);
	policy_exceptions_free(p);
	policy_keys_free(p);
	free(p->default_message);
	free(p->file);
	free(p);
}

const char *
policy_revision(const struct policy *p)
{
	return p->rev;
}

size_t
policy_npins(const struct policy *p)
{
	return p->npins;
}

void
policy_pin(const struct policy *p, size_t i, const char **host,
    const char **repo, const char **tag, const char **digest)
{
	const struct policy_pinent *pe = &p->pins[i];

	*host = pe->host;
	*repo = pe->repo;
	*tag = pe->tag;
	*digest = pe->digest;
}

size_t
policy_nrules(const struct policy *p)
{
	return p->nrules;
}

void
policy_exception_limits(const struct policy *p, int *max_days,
    int *single_repo)
{
	*max_days = p->exc_max_days;
	*single_repo = p->exc_single_repo;
}
