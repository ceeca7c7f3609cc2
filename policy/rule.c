/* rule.c - loading one entry of "rules": its keys and what they imply. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = { "enforce", "warn", "audit", NULL };
static const char *const op_names[] = { "pull", "push", NULL };

static int
one_of(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* ----------------------------------------------------------- name, notes */

static void
name_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF];

	if (s == NULL)
		return;
	if (!rw_name_ok(s, POLICY_NAME_MAX)) {
		policy_bad(ld, w, "invalid rule name %s (expected 1 to %d of "
		    "a-z, 0-9, '.', '_', '-', starting with a letter or digit)",
		    policy_quote(q, sizeof(q), s), POLICY_NAME_MAX);
		return;
	}
	r->name = policy_strdup(ld, s);
}

void
policy_note_load(struct ld *ld, const struct where *w, json_t *v, char **out)
{
	const char *s = policy_want_string(ld, w, v);
	size_t i, n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (n == 0) {
		policy_bad(ld, w, "must not be empty");
		return;
	}
	if (n > POLICY_NOTE_MAX) {
		policy_bad(ld, w, "is too long (%zu bytes; at most %d)", n,
		    POLICY_NOTE_MAX);
		return;
	}
	/* It ends a one-line message: a 403 body, a Warning header. */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			policy_bad(ld, w, "must be a single line (no control "
			    "characters)");
			return;
		}
	free(*out);
	*out = policy_strdup(ld, s);
}

static void
message_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_note_load(ld, w, v, &r->message);
}

/* ------------------------------------------------------ match, operations */

static void
match_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_want_globs(ld, w, v, "", &r->match, &r->nmatch);
}

static void
operations_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	char q[POLICY_QBUF], sug[128];
	unsigned ops = 0, bit;
	struct where ew;
	const char *s;
	size_t i;
	int k, ok = 1;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		policy_bad(ld, w, "expected a non-empty array of \"pull\", "
		    "\"push\"");
		r->ops = 0;
		return;
	}
	for (i = 0; i < json_array_size(v); i++) {
		policy_where_idx(&ew, w, i);
		s = policy_want_string(ld, &ew, json_array_get(v, i));
		k = s != NULL ? one_of(s, op_names) : -1;
		if (s != NULL && k < 0)
			policy_bad(ld, &ew, "unknown operation %s %s",
			    policy_quote(q, sizeof(q), s),
			    rw_suggest(sug, sizeof(sug), s, op_names));
		bit = k == 0 ? POLICY_OP_PULL : POLICY_OP_PUSH;
		if (k >= 0 && (ops & bit) != 0)
			policy_bad(ld, &ew, "\"%s\" is listed twice", s);
		ok &= k >= 0;
		if (k >= 0)
			ops |= bit;
	}
	r->ops = ok ? ops : 0;
}

static void
mode_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];
	int k;

	if (s == NULL)
		return;
	k = one_of(s, mode_names);
	if (k < 0)
		policy_bad(ld, w, "unknown mode %s %s", policy_quote(q,
		    sizeof(q), s), rw_suggest(sug, sizeof(sug), s, mode_names));
	else
		r->mode = k;	/* mode_names follows enum policy_mode */
}

static void
allow_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->allow = b;
}

/* ------------------------------------------------------------------ tags */

static int
tag_ok(struct ld *ld, const struct where *w, const char *s)
{
	char q[POLICY_QBUF];

	if (policy_tag_ok(s))
		return 0;
	policy_bad(ld, w, "invalid tag %s (tags are 1 to 128 of A-Z, a-z, "
	    "0-9, '_', '.', '-', not starting with '.' or '-')",
	    policy_quote(q, sizeof(q), s));
	return -1;
}

static void
deny_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_want_strv(ld, w, v, 1, tag_ok, &r->deny, &r->ndeny);
}

static void
pattern_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char ere[1024], why[200];
	int rc;

	if (s == NULL)
		return;
	if (s[0] == '\0') {
		policy_bad(ld, w, "must not be empty");
		return;
	}
	if (strlen(s) > 256) {
		policy_bad(ld, w, "is too long (%zu bytes; at most 256)",
		    strlen(s));
		return;
	}
	if (policy_re_translate(s, ere, sizeof(ere), why, sizeof(why)) != 0) {
		policy_bad(ld, w, "invalid regular expression: %s", why);
		return;
	}
	rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		/* A failed regcomp leaves nothing to regfree. */
		regerror(rc, &r->re, why, sizeof(why));
		policy_bad(ld, w, "invalid regular expression: %s", why);
		return;
	}
	r->has_re = 1;
	r->pattern = policy_strdup(ld, s);
}

static void
digest_only_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->digest_only = b;
}

static const struct policy_key tags_keys[] = {
	{ "deny", deny_fn, 0 },
	{ "pattern", pattern_fn, 0 },
	{ "digest_only", digest_only_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
tags_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	if (policy_walk(ld, w, v, tags_keys, r) != 0)
		return;
	r->has_tags = 1;
	/* "tags" without "deny" still refuses the one tag that always moves. */
	if (json_object_get(v, "deny") != NULL)
		return;
	r->deny = calloc(1, sizeof(*r->deny));
	if (r->deny == NULL) {
		ld->nomem = 1;
		return;
	}
	r->deny[0] = policy_strdup(ld, "latest");
	r->ndeny = r->deny[0] != NULL;
}

/* ------------------------------------------------------ pins, immutable */

static void
enforce_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->pin_require = b;
}

static void
first_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->pin_first = b;
}

static const struct policy_key pins_keys[] = {
	{ "enforce", enforce_fn, 0 },
	{ "pin_on_first_pull", first_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
pins_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	r->pin_require = 1;
	if (policy_walk(ld, w, v, pins_keys, r) == 0)
		r->has_pins = 1;
}

static void
immutable_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->immutable = b;
}

/* ----------------------------------------------------------------- image */

static void
non_root_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->non_root = b;
}

static void
no_secrets_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->no_secrets = b;
}

static void
labels_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_want_strv(ld, w, v, 1, NULL, &r->labels, &r->nlabels);
}

static int
plat_word(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return n > 0;
}

/* "os/arch" or "os/arch/variant", each word [a-z0-9_]+. */
static int
plat_ok(struct ld *ld, const struct where *w, const char *s)
{
	const char *a = strchr(s, '/'), *b = a != NULL ? strchr(a + 1, '/') :
	    NULL;
	char q[POLICY_QBUF];

	if (a != NULL && plat_word(s, (size_t)(a - s)) &&
	    plat_word(a + 1, b != NULL ? (size_t)(b - a - 1) : strlen(a + 1)) &&
	    (b == NULL || plat_word(b + 1, strlen(b + 1))))
		return 0;
	policy_bad(ld, w, "invalid platform %s (expected os/architecture or "
	    "os/architecture/variant, e.g. \"linux/amd64\" or "
	    "\"linux/arm64/v8\")", policy_quote(q, sizeof(q), s));
	return -1;
}

static int
plat_split(struct ld *ld, struct policy_plat *pl, const char *s)
{
	const char *a = strchr(s, '/'), *b = strchr(a + 1, '/');

	pl->text = policy_strdup(ld, s);
	pl->os = strndup(s, (size_t)(a - s));
	pl->arch = b != NULL ? strndup(a + 1, (size_t)(b - a - 1)) :
	    strdup(a + 1);
	pl->variant = b != NULL ? strdup(b + 1) : NULL;
	if (pl->text == NULL || pl->os == NULL || pl->arch == NULL ||
	    (b != NULL && pl->variant == NULL)) {
		ld->nomem = 1;
		return -1;
	}
	return 0;
}

static void
platforms_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	char **vec = NULL;
	size_t n = 0, i;

	if (policy_want_strv(ld, w, v, 0, plat_ok, &vec, &n) != 0)
		return;
	r->plats = calloc(n + 1, sizeof(*r->plats));
	if (r->plats == NULL)
		ld->nomem = 1;
	for (i = 0; r->plats != NULL && i < n; i++)
		if (plat_split(ld, &r->plats[r->nplats++], vec[i]) != 0)
			break;
	policy_strv_free(vec, n);
}

static void
max_age_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	json_int_t n;

	if (!json_is_integer(v)) {
		policy_bad(ld, w, "expected a whole number of days");
		return;
	}
	n = json_integer_value(v);
	if (n < 1 || n > 36500) {
		policy_bad(ld, w, "%lld out of range (1..36500)", (long long)n);
		return;
	}
	r->max_age_days = n;
}

static const struct policy_key image_keys[] = {
	{ "non_root", non_root_fn, 0 },
	{ "no_secrets", no_secrets_fn, 0 },
	{ "required_labels", labels_fn, 0 },
	{ "platforms", platforms_fn, 0 },
	{ "max_age_days", max_age_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
image_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_walk(ld, w, v, image_keys, ctx);
}

/* ------------------------------------------------------------ scan, sigs */

static void
scan_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_scan_load(ld, w, v, ctx);
}

static void
content_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_content_load(ld, w, v, ctx);
}

static void
signatures_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_sigs_load(ld, w, v, ctx);
}

static void
attestations_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_atts_load(ld, w, v, ctx);
}

/* ------------------------------------------------------------- the rule */

static const struct policy_key rule_keys[] = {
	{ "name", name_fn, 1 },
	{ "match", match_fn, 1 },
	{ "operations", operations_fn, 0 },
	{ "mode", mode_fn, 0 },
	{ "message", message_fn, 0 },
	{ "allow", allow_fn, 0 },
	{ "tags", tags_fn, 0 },
	{ "pins", pins_fn, 0 },
	{ "immutable_tags", immutable_fn, 0 },
	{ "image", image_fn, 0 },
	{ "scan", scan_fn, 0 },
	{ "signatures", signatures_fn, 0 },
	{ "attestations", attestations_fn, 0 },
	{ "content", content_fn, 0 },
	{ NULL, NULL, 0 },
};

/* A check for one operation in a rule that never sees it. */
static void
useless(struct ld *ld, const struct where *rw, const char *key,
    const char *sub, int push)
{
	struct where w;

	policy_where_key(&w, rw, key);
	if (sub != NULL)
		policy_where_key(&w, &w, sub);
	policy_bad(ld, &w, "only checked on %s, but this rule only matches "
	    "%s", push ? "push" : "pull", push ? "pulls" : "pushes");
}

/* What only the whole rule can tell, once its keys are read. */
static void
rule_post(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	struct where nw;

	policy_where_key(&nw, w, "name");
	r->line = policy_line_of(ld, &nw, 1);
	if (r->line == 0)
		r->line = policy_line_of(ld, w, 0);
	if (r->ops == 0)
		return;
	if (r->immutable && (r->ops & POLICY_OP_PUSH) == 0)
		useless(ld, w, "immutable_tags", NULL, 1);
	if (r->has_pins && (r->ops & POLICY_OP_PULL) == 0)
		useless(ld, w, "pins", NULL, 0);
	if (r->digest_only && (r->ops & POLICY_OP_PULL) == 0)
		useless(ld, w, "tags", "digest_only", 0);
	if (r->has_scan && (r->ops & POLICY_OP_PULL) == 0)
		useless(ld, w, "scan", NULL, 0);
}

void
policy_rule_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	int before = ld->errors;

	r->ops = POLICY_OP_PULL | POLICY_OP_PUSH;
	r->mode = POLICY_ENFORCE;
	r->allow = 1;
	if (policy_walk(ld, w, v, rule_keys, r) != 0)
		return;
	rule_post(ld, w, v, r);
	r->valid = ld->errors == before && r->name != NULL && r->nmatch > 0 &&
	    r->ops != 0;
}

void
policy_rule_cleanup(struct policy_rule *r)
{
	size_t i;

	free(r->name);
	policy_strv_free(r->match, r->nmatch);
	free(r->message);
	policy_strv_free(r->deny, r->ndeny);
	free(r->pattern);
	if (r->has_re)
		regfree(&r->re);
	policy_strv_free(r->labels, r->nlabels);
	for (i = 0; i < r->nplats; i++) {
		free(r->plats[i].os);
		free(r->plats[i].arch);
		free(r->plats[i].variant);
		free(r->plats[i].text);
	}
	free(r->plats);
	free(r->sig_keys);
	policy_atts_free(r);
	free(r->vex_keys);
	policy_strv_free(r->c_paths, r->nc_paths);
	policy_strv_free(r->c_pkgs, r->nc_pkgs);
	memset(r, 0, sizeof(*r));
}
