/* scanload.c - loading a rule's "scan" section and the file's "exceptions". */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer than any advisory id (CVE, GHSA, RUSTSEC, ALAS, DLA ...). */
#define ID_MAX		128
/* npm allows 214 bytes; Go module paths are longer still. */
#define PKG_MAX		256
/* More findings than any image has; a limit above it means none. */
#define COUNT_MAX	1000000

static const char *const sev_names[] = { "unknown", "negligible", "low",
	"medium", "high", "critical", NULL };
/* Follows enum policy_unscanned. */
static const char *const unscanned_names[] = { "deny", "warn", "allow",
	"hold", NULL };

/* ------------------------------------------------------------ the rule */

static void
max_severity_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];
	int k;

	if (s == NULL)
		return;
	k = policy_severity_parse(s);
	if (k < 0)
		policy_bad(ld, w, "unknown severity %s %s", policy_quote(q,
		    sizeof(q), s), rw_suggest(sug, sizeof(sug), s, sev_names));
	else
		r->scan_max_sev = k;
}

/* One "severity": N of "max_counts", at KW (the key's place). */
static void
count_one(struct ld *ld, const struct where *w, const struct where *kw,
    const char *key, json_t *val, struct policy_rule *r)
{
	char q[POLICY_QBUF], sug[128];
	json_int_t n;
	int k = policy_severity_parse(key);

	if (k < 0) {
		policy_bad_key(ld, w, kw, "unknown severity %s %s",
		    policy_quote(q, sizeof(q), key), rw_suggest(sug,
		    sizeof(sug), key, sev_names));
		return;
	}
	if (r->scan_counts[k] >= 0) {
		/* "High" and "high" are two keys to jansson, one to us. */
		policy_bad_key(ld, w, kw, "severity %s is listed twice",
		    sev_names[k]);
		return;
	}
	if (!json_is_integer(val)) {
		policy_bad(ld, kw, "expected a whole number of findings");
		return;
	}
	n = json_integer_value(val);
	if (n < 0 || n > COUNT_MAX) {
		policy_bad(ld, kw, "%lld out of range (0..%d)", (long long)n,
		    COUNT_MAX);
		return;
	}
	r->scan_counts[k] = n;
	r->has_counts = 1;
}

static void
max_counts_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	struct where kw;
	const char *key;
	json_t *val;

	if (!json_is_object(v)) {
		policy_bad(ld, w, "expected an object of severity: count, e.g. "
		    "{\"critical\": 0, \"high\": 5}");
		return;
	}
	if (json_object_size(v) == 0) {
		policy_bad(ld, w, "is empty; give a count per severity, e.g. "
		    "{\"critical\": 0, \"high\": 5}");
		return;
	}
	json_object_foreach(v, key, val) {
		policy_where_key(&kw, w, key);
		count_one(ld, w, &kw, key, val, r);
	}
}

static void
fixable_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		r->scan_fixable = b;
}

static void
scan_age_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
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
	r->scan_max_age = n;
}

static void
grace_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	json_int_t n;

	if (!json_is_integer(v)) {
		policy_bad(ld, w, "expected a whole number of days");
		return;
	}
	n = json_integer_value(v);
	if (n < 0 || n > 365) {
		policy_bad(ld, w, "%lld out of range (0..365)", (long long)n);
		return;
	}
	r->scan_grace = n;
}

static void
unscanned_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];
	int i;

	if (s == NULL)
		return;
	for (i = 0; unscanned_names[i] != NULL; i++)
		if (strcmp(s, unscanned_names[i]) == 0) {
			r->scan_unscanned = i;
			return;
		}
	policy_bad(ld, w, "unknown value %s %s", policy_quote(q, sizeof(q), s),
	    rw_suggest(sug, sizeof(sug), s, unscanned_names));
}

static void
vex_keys_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	char **names = NULL;
	size_t n = 0;

	/* Checked here for shape; policy_vex_resolve resolves the names. */
	if (policy_want_strv(ld, w, v, 0, NULL, &names, &n) == 0 &&
	    n > POLICY_SIG_KEYS_MAX)
		policy_bad(ld, w, "lists %zu keys (at most %d)", n,
		    POLICY_SIG_KEYS_MAX);
	else if (n > 0)
		r->has_vex = 1;
	policy_strv_free(names, n);
}

static const struct policy_key vex_keys[] = {
	{ "keys", vex_keys_fn, 1 },
	{ NULL, NULL, 0 },
};

/* "vex": {"keys": [...]}: OpenVEX by these keys suppresses findings. */
static void
vex_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_walk(ld, w, v, vex_keys, ctx);
}

static const struct policy_key scan_keys[] = {
	{ "max_severity", max_severity_fn, 0 },
	{ "max_counts", max_counts_fn, 0 },
	{ "fixable_only", fixable_fn, 0 },
	{ "max_age_days", scan_age_fn, 0 },
	{ "unscanned", unscanned_fn, 0 },
	{ "grace_days", grace_fn, 0 },
	{ "secrets", policy_scan_secrets_load, 0 },
	{ "vex", vex_fn, 0 },
	{ NULL, NULL, 0 },
};

void
policy_scan_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	struct where fw;
	size_t i;

	r->scan_max_sev = -1;
	for (i = 0; i <= POLICY_SEV_CRITICAL; i++)
		r->scan_counts[i] = -1;
	r->scan_unscanned = POLICY_UNSCANNED_DENY;
	if (policy_walk(ld, w, v, scan_keys, r) != 0)
		return;
	r->has_scan = 1;
	/* Alone it would read as a limit while it limits nothing. */
	if (r->scan_fixable && json_object_get(v, "max_severity") == NULL &&
	    json_object_get(v, "max_counts") == NULL) {
		policy_where_key(&fw, w, "fixable_only");
		policy_bad(ld, &fw, "only narrows \"max_severity\" and "
		    "\"max_counts\", and this section has neither");
	}
	if (r->scan_grace > 0 && json_object_get(v, "max_severity") == NULL &&
	    json_object_get(v, "max_counts") == NULL) {
		policy_where_key(&fw, w, "grace_days");
		policy_bad(ld, &fw, "delays what \"max_severity\" and "
		    "\"max_counts\" refuse, and this section has neither");
	}
}

/* ---------------------------------------------------------- exceptions */

/* One entry of "exceptions" while it is read. */
struct exc_ld {
	char	*id;
	char	*pkg;
	char	*reason;
	char	**globs;	/* canonical */
	size_t	 nglobs;
	int64_t	 expires;
	int	 has_expires;
	int	 line;
};

static int
id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._:-", s[i]) != NULL))
			return 0;
	return 1;
}

static void
exc_id_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct exc_ld *x = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF];

	if (s == NULL)
		return;
	if (!id_ok(s)) {
		policy_bad(ld, w, "invalid vulnerability id %s (expected an id "
		    "such as \"CVE-2024-1234\" or \"GHSA-xxxx-xxxx-xxxx\")",
		    policy_quote(q, sizeof(q), s));
		return;
	}
	x->id = policy_strdup(ld, s);
	x->line = policy_line_of(ld, w, 1);
}

static void
exc_pkg_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct exc_ld *x = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF];
	size_t i, n;

	if (s == NULL)
		return;
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	if (n == 0 || n > PKG_MAX || i < n) {
		policy_bad(ld, w, "invalid package name %s (1 to %d printable "
		    "characters, no spaces)", policy_quote(q, sizeof(q), s),
		    PKG_MAX);
		return;
	}
	x->pkg = policy_strdup(ld, s);
	x->line = policy_line_of(ld, w, 1);
}

static void
exc_match_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct exc_ld *x = ctx;

	policy_want_globs(ld, w, v, " (\"**\" for every repository)",
	    &x->globs, &x->nglobs);
}

static void
exc_expires_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct exc_ld *x = ctx;
	const char *s = policy_want_string(ld, w, v);
	struct rw_err err;
	char q[POLICY_QBUF];

	if (s == NULL)
		return;
	rw_err_clear(&err);
	if (rw_parse_time(s, &x->expires, &err) != RW_OK) {
		policy_bad(ld, w, "invalid time %s (%s)", policy_quote(q,
		    sizeof(q), s), err.msg);
		return;
	}
	x->has_expires = 1;
}

static void
exc_reason_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct exc_ld *x = ctx;

	policy_note_load(ld, w, v, &x->reason);
}

static const struct policy_key exc_keys[] = {
	{ "id", exc_id_fn, 0 },
	{ "package", exc_pkg_fn, 0 },
	{ "match", exc_match_fn, 1 },
	{ "expires", exc_expires_fn, 1 },
	{ "reason", exc_reason_fn, 1 },
	{ NULL, NULL, 0 },
};

static void
exc_ld_free(struct exc_ld *x)
{
	free(x->id);
	free(x->pkg);
	free(x->reason);
	policy_strv_free(x->globs, x->nglobs);
	memset(x, 0, sizeof(*x));
}

static void
excent_free(struct policy_excent *pe)
{
	free(pe->id);
	free(pe->pkg);
	free(pe->glob);
	free(pe->reason);
	memset(pe, 0, sizeof(*pe));
}

/*
 * The same finding excepted twice for the same repositories: the second
 * is reported at its "match", naming the first.
 */
static int
duplicate(struct ld *ld, const struct where *w, const struct exc_ld *x,
    const char *glob)
{
	const struct policy *p = ld->p;
	const struct policy_excent *pe;
	struct where mw;
	size_t i;

	for (i = 0; i < p->nexcs; i++) {
		pe = &p->excs[i];
		if (strcmp(pe->glob, glob) != 0 || (pe->id == NULL) !=
		    (x->id == NULL) || (pe->id != NULL &&
		    strcasecmp(pe->id, x->id) != 0) || (pe->pkg == NULL) !=
		    (x->pkg == NULL) || (pe->pkg != NULL &&
		    strcmp(pe->pkg, x->pkg) != 0))
			continue;
		policy_where_key(&mw, w, "match");
		policy_bad_at(ld, &mw, "exception for %s \"%s\" on \"%s\" is "
		    "declared twice (first at %s:%d)", x->id != NULL ? "id" :
		    "package", x->id != NULL ? x->id : x->pkg, glob, ld->base,
		    pe->line);
		return 1;
	}
	return 0;
}

/* X, read whole and valid, becomes one entry of P per glob. */
static void
exc_store(struct ld *ld, const struct where *w, struct exc_ld *x, size_t at)
{
	struct policy *p = ld->p;
	struct policy_excent *pe, *grown;
	size_t i;

	for (i = 0; i < x->nglobs; i++) {
		if (duplicate(ld, w, x, x->globs[i]))
			continue;
		grown = realloc(p->excs, (p->nexcs + 1) * sizeof(*p->excs));
		if (grown == NULL) {
			ld->nomem = 1;
			return;
		}
		p->excs = grown;
		pe = &p->excs[p->nexcs];
		memset(pe, 0, sizeof(*pe));
		pe->id = x->id != NULL ? policy_strdup(ld, x->id) : NULL;
		pe->pkg = x->pkg != NULL ? policy_strdup(ld, x->pkg) : NULL;
		pe->glob = policy_strdup(ld, x->globs[i]);
		pe->reason = policy_strdup(ld, x->reason);
		pe->expires = x->expires;
		pe->line = x->line;
		pe->at = at;
		if ((x->id != NULL && pe->id == NULL) || (x->pkg != NULL &&
		    pe->pkg == NULL) || pe->glob == NULL ||
		    pe->reason == NULL) {
			excent_free(pe);
			return;
		}
		p->nexcs++;
	}
}

static void
exc_one(struct ld *ld, const struct where *w, json_t *v, size_t at)
{
	struct exc_ld x;
	int before = ld->errors;

	memset(&x, 0, sizeof(x));
	if (policy_walk(ld, w, v, exc_keys, &x) != 0)
		return;
	if (json_object_get(v, "id") != NULL &&
	    json_object_get(v, "package") != NULL)
		policy_bad(ld, w, "give \"id\" or \"package\", not both (two "
		    "exceptions if both are meant)");
	else if (json_object_get(v, "id") == NULL &&
	    json_object_get(v, "package") == NULL)
		policy_bad(ld, w, "needs \"id\" (a vulnerability such as "
		    "\"CVE-2024-1234\") or \"package\"");
	if (x.line == 0)
		x.line = policy_line_of(ld, w, 0);
	if (ld->errors == before && x.has_expires && x.reason != NULL)
		exc_store(ld, w, &x, at);
	exc_ld_free(&x);
}

void
policy_exceptions_load(struct ld *ld, const struct where *w, json_t *v)
{
	struct where ew;
	size_t i;

	if (!json_is_array(v)) {
		policy_bad(ld, w, "expected an array of {\"id\": ..., "
		    "\"match\": ..., \"expires\": ..., \"reason\": ...}");
		return;
	}
	for (i = 0; i < json_array_size(v); i++) {
		policy_where_idx(&ew, w, i);
		exc_one(ld, &ew, json_array_get(v, i), i);
	}
}

void
policy_exceptions_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nexcs; i++)
		excent_free(&p->excs[i]);
	free(p->excs);
	p->excs = NULL;
	p->nexcs = 0;
}

/* ----------------------------------------------------------- accessors */

size_t
policy_nexceptions(const struct policy *p)
{
	return p->nexcs;
}

void
policy_exception(const struct policy *p, size_t i,
    struct policy_exception *out)
{
	const struct policy_excent *pe = &p->excs[i];

	memset(out, 0, sizeof(*out));
	out->id = pe->id;
	out->pkg = pe->pkg;
	out->repo_glob = pe->glob;
	out->expires = pe->expires;
	out->reason = pe->reason;
	out->source = "policy";
	out->line = pe->line;
}

/* ------------------------------------------------------------ pass two */

/*
 * A cosign key verifies OpenVEX in .att layers, a keyless identity or a key
 * with rekor_trusted_root in Sigstore bundles (as for "attestations"); a
 * Notation trust store verifies no attestation, and would read as if it
 * did, so it is an error rather than a silent no-op.
 */
static void
vex_key_ok(struct ld *ld, const struct where *w, size_t k)
{
	const struct policy_keyent *ke = &ld->p->keys[k];
	char q[POLICY_QBUF];

	if (ke->notation)
		policy_bad(ld, w, "key %s is a Notation trust store; OpenVEX "
		    "attestations are verified with cosign keys and keyless "
		    "identities", policy_quote(q, sizeof(q), ke->name));
}

static void
vex_resolve_one(struct ld *ld, const struct where *vw, json_t *keys,
    struct policy_rule *r)
{
	struct where ew;
	const char *s;
	size_t i, j, k;
	json_t *e;

	r->vex_keys = calloc(json_array_size(keys) + 1, sizeof(*r->vex_keys));
	if (r->vex_keys == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(keys, i, e) {
		s = json_string_value(e);
		if (s == NULL || s[0] == '\0')
			continue;	/* reported by the first pass */
		policy_where_idx(&ew, vw, i);
		k = policy_key_index(ld->p, s);
		if (k == SIZE_MAX) {
			policy_key_unknown(ld, &ew, s);
			continue;
		}
		vex_key_ok(ld, &ew, k);
		for (j = 0; j < r->nvex_keys && r->vex_keys[j] != k; j++)
			;
		if (j == r->nvex_keys)
			r->vex_keys[r->nvex_keys++] = k;
	}
}

void
policy_vex_resolve(struct ld *ld, json_t *doc)
{
	struct policy *p = ld->p;
	struct where w;
	json_t *rules, *keys;
	size_t i;

	rules = json_object_get(doc, "rules");
	for (i = 0; i < p->nrules && json_is_array(rules); i++) {
		if (!p->rules[i].has_vex)
			continue;
		keys = json_object_get(json_object_get(json_object_get(
		    json_array_get(rules, i), "scan"), "vex"), "keys");
		if (!json_is_array(keys))
			continue;
		memset(&w, 0, sizeof(w));
		policy_where_key(&w, &w, "rules");
		policy_where_idx(&w, &w, i);
		policy_where_key(&w, &w, "scan");
		policy_where_key(&w, &w, "vex");
		policy_where_key(&w, &w, "keys");
		vex_resolve_one(ld, &w, keys, &p->rules[i]);
	}
}
