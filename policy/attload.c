/*
 * attload.c - a rule's "attestations": requirements, their types, keys
 * and conditions, loaded with positions.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "policy/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- conditions */

static const char *const cond_ops[] = {
	"equals", "in", "matches", "exists", NULL
};

static int
scalar(json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static void
path_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_cond *c = ctx;
	char why[160], q[POLICY_QBUF];
	const char *s = policy_want_string(ld, w, v);
	int rc;

	if (s == NULL)
		return;
	rc = policy_path_compile(s, &c->path, why, sizeof(why));
	if (rc == -2)
		ld->nomem = 1;
	else if (rc != 0)
		policy_bad(ld, w, "path %s: %s", policy_quote(q, sizeof(q), s),
		    why);
}

static void
equals_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_cond *c = ctx;

	if (c->op != -1)
		return;		/* two operators: one_op reports it */
	if (!scalar(v)) {
		policy_bad(ld, w, "expected a string, a number or a boolean");
		return;
	}
	c->op = POLICY_COND_EQUALS;
	c->value = json_deep_copy(v);
	if (c->value == NULL)
		ld->nomem = 1;
}

static void
in_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_cond *c = ctx;
	struct where ew;
	size_t i;
	json_t *e;

	if (c->op != -1)
		return;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		policy_bad(ld, w, "expected a non-empty array of values");
		return;
	}
	if (json_array_size(v) > POLICY_IN_MAX) {
		policy_bad(ld, w, "lists %zu values (at most %d)",
		    json_array_size(v), POLICY_IN_MAX);
		return;
	}
	json_array_foreach(v, i, e)
		if (!scalar(e)) {
			policy_where_idx(&ew, w, i);
			policy_bad(ld, &ew, "expected a string, a number or a "
			    "boolean");
			return;
		}
	c->op = POLICY_COND_IN;
	c->value = json_deep_copy(v);
	if (c->value == NULL)
		ld->nomem = 1;
}

static void
matches_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_cond *c = ctx;
	const char *s = policy_want_string(ld, w, v);
	char *anchored, msg[128], q[POLICY_QBUF];
	size_t n;
	int rc;

	if (s == NULL || c->op != -1)
		return;
	if (s[0] == '\0') {
		policy_bad(ld, w, "must not be empty");
		return;
	}
	/*
	 * Anchored, as "subject_regex" is: a partial match is a mistake.  So
	 * is "^https://a/" meant as a prefix: it would match one text only.
	 */
	n = strlen(s);
	if (s[0] == '^' && s[n - 1] != '$' && (n < 2 ||
	    strcmp(s + n - 2, ".*") != 0)) {
		policy_bad(ld, w, "matches the whole value, so %s admits "
		    "that exact text only; end it with .* to match a prefix",
		    policy_quote(q, sizeof(q), s));
		return;
	}
	n += 5;
	anchored = malloc(n);
	if (anchored == NULL) {
		ld->nomem = 1;
		return;
	}
	snprintf(anchored, n, "^(%s)$", s);
	rc = regcomp(&c->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		regerror(rc, &c->re, msg, sizeof(msg));
		policy_bad(ld, w, "not a POSIX extended regex: %s", msg);
		return;
	}
	c->has_re = 1;
	c->op = POLICY_COND_MATCHES;
	c->value = json_string(s);
	if (c->value == NULL)
		ld->nomem = 1;
}

static void
exists_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_cond *c = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b < 0 || c->op != -1)
		return;
	c->op = POLICY_COND_EXISTS;
	c->exists = b;
}

static const struct policy_key cond_keys[] = {
	{ "path", path_fn, 1 },
	{ "equals", equals_fn, 0 },
	{ "in", in_fn, 0 },
	{ "matches", matches_fn, 0 },
	{ "exists", exists_fn, 0 },
	{ NULL, NULL, 0 },
};

/* Exactly one operator: "path" alone, or two operators, is a mistake. */
static int
one_op(struct ld *ld, const struct where *w, json_t *v)
{
	size_t i, n = 0;

	for (i = 0; cond_ops[i] != NULL; i++)
		n += json_object_get(v, cond_ops[i]) != NULL;
	if (n == 1)
		return 0;
	policy_bad(ld, w, n == 0 ? "needs one of \"equals\", \"in\", "
	    "\"matches\", \"exists\"" : "has %zu operators: a condition "
	    "takes one (write two conditions)", n);
	return -1;
}

static void
cond_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_cond *c)
{
	int before = ld->errors;

	c->op = -1;
	if (policy_walk(ld, w, v, cond_keys, c) != 0)
		return;
	if (one_op(ld, w, v) != 0 || ld->errors != before)
		c->op = -1;
}

static void
cond_free(struct policy_cond *c)
{
	policy_path_free(&c->path);
	json_decref(c->value);
	if (c->has_re)
		regfree(&c->re);
}

static void
conditions_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_attreq *a = ctx;
	struct where ew;
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		policy_bad(ld, w, "expected an array of conditions");
		return;
	}
	if (json_array_size(v) > POLICY_COND_MAX) {
		policy_bad(ld, w, "lists %zu conditions (at most %d)",
		    json_array_size(v), POLICY_COND_MAX);
		return;
	}
	a->conds = calloc(json_array_size(v) + 1, sizeof(*a->conds));
	if (a->conds == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(v, i, e) {
		policy_where_idx(&ew, w, i);
		cond_load(ld, &ew, e, &a->conds[a->nconds++]);
	}
}

/* ----------------------------------------------------------- requirements */

static void
type_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_attreq *a = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF];

	if (s == NULL)
		return;
	if (policy_att_type(s, &a->kind, &a->uri) != 0) {
		policy_bad(ld, w, "%s is neither a predicate type URI nor one "
		    "of slsaprovenance, slsaprovenance1, spdx, spdxjson, "
		    "cyclonedx, sbom, vuln, openvex, custom",
		    policy_quote(q, sizeof(q), s));
		return;
	}
	a->type = policy_strdup(ld, s);
}

static void
keys_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	char **names = NULL;
	size_t n = 0;

	/* Checked here for shape; pass two resolves the names. */
	if (policy_want_strv(ld, w, v, 0, NULL, &names, &n) == 0 &&
	    n > POLICY_SIG_KEYS_MAX)
		policy_bad(ld, w, "lists %zu keys (at most %d)", n,
		    POLICY_SIG_KEYS_MAX);
	policy_strv_free(names, n);
}

static void
as_scan_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_attreq *a = ctx;
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		a->as_scan = b;
}

static const struct policy_key att_keys[] = {
	{ "type", type_fn, 1 },
	{ "keys", keys_fn, 1 },
	{ "conditions", conditions_fn, 0 },
	{ "as_scan", as_scan_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
att_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_attreq *a)
{
	struct where sw;

	a->line = policy_line_of(ld, w, 0);
	if (policy_walk(ld, w, v, att_keys, a) != 0)
		return;
	if (a->as_scan && a->type != NULL && a->kind != POLICY_ATT_VULN) {
		policy_where_key(&sw, w, "as_scan");
		policy_bad(ld, &sw, "only for \"type\": \"vuln\" (cosign's "
		    "vulnerability attestation)");
	}
}

void
policy_atts_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	struct where ew;
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		policy_bad(ld, w, "expected a non-empty array of requirements");
		return;
	}
	if (json_array_size(v) > POLICY_ATT_MAX) {
		policy_bad(ld, w, "lists %zu requirements (at most %d)",
		    json_array_size(v), POLICY_ATT_MAX);
		return;
	}
	r->atts = calloc(json_array_size(v), sizeof(*r->atts));
	if (r->atts == NULL) {
		ld->nomem = 1;
		return;
	}
	r->has_atts = 1;
	json_array_foreach(v, i, e) {
		policy_where_idx(&ew, w, i);
		att_load(ld, &ew, e, &r->atts[r->natts++]);
	}
}

void
policy_atts_free(struct policy_rule *r)
{
	size_t i, j;

	for (i = 0; i < r->natts; i++) {
		free(r->atts[i].type);
		free(r->atts[i].keys);
		for (j = 0; j < r->atts[i].nconds; j++)
			cond_free(&r->atts[i].conds[j]);
		free(r->atts[i].conds);
	}
	free(r->atts);
	r->atts = NULL;
	r->natts = 0;
}

/* ------------------------------------------------------------ pass two */

static void
resolve_one(struct ld *ld, const struct where *aw, json_t *keys,
    struct policy_attreq *a)
{
	struct where kw, ew;
	const char *s;
	size_t i, j, k;
	json_t *e;

	a->keys = calloc(json_array_size(keys) + 1, sizeof(*a->keys));
	if (a->keys == NULL) {
		ld->nomem = 1;
		return;
	}
	policy_where_key(&kw, aw, "keys");
	json_array_foreach(keys, i, e) {
		s = json_string_value(e);
		if (s == NULL || s[0] == '\0')
			continue;	/* reported by the first pass */
		k = policy_key_index(ld->p, s);
		if (k == SIZE_MAX) {
			policy_where_idx(&ew, &kw, i);
			policy_key_unknown(ld, &ew, s);
			continue;
		}
		for (j = 0; j < a->nkeys && a->keys[j] != k; j++)
			;
		if (j == a->nkeys)
			a->keys[a->nkeys++] = k;
	}
}

void
policy_atts_resolve(struct ld *ld, json_t *doc)
{
	struct policy *p = ld->p;
	struct where aw;
	json_t *rules, *atts, *keys;
	size_t i, j;

	rules = json_object_get(doc, "rules");
	for (i = 0; i < p->nrules && json_is_array(rules); i++) {
		atts = json_object_get(json_array_get(rules, i),
		    "attestations");
		for (j = 0; j < p->rules[i].natts; j++) {
			keys = json_object_get(json_array_get(atts, j), "keys");
			if (!json_is_array(keys))
				continue;
			memset(&aw, 0, sizeof(aw));
			policy_where_key(&aw, &aw, "rules");
			policy_where_idx(&aw, &aw, i);
			policy_where_key(&aw, &aw, "attestations");
			policy_where_idx(&aw, &aw, j);
			resolve_one(ld, &aw, keys, &p->rules[i].atts[j]);
			/* Known only once the whole rule is read. */
			if (p->rules[i].atts[j].as_scan &&
			    !p->rules[i].has_scan) {
				policy_where_key(&aw, &aw, "as_scan");
				policy_bad(ld, &aw, "needs a \"scan\" "
				    "section in the rule: it judges the "
				    "attested report");
			}
		}
	}
}
