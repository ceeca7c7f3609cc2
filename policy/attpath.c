/*
 * attpath.c - attestation types and the condition path language: dotted
 * keys and [n] / [*] over an in-toto statement, judged by equals, in,
 * matches and exists.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Deliberately small (config/POLICY.md, "attestations"): no expressions,
 * no wildcards for keys, no recursion.  A path may visit many values
 * through [*]; a condition holds when one of them satisfies it.
 */
#include "policy/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ types */

/* cosign's --type names (cosign attest) and the predicate types they set. */
static const struct {
	const char	*name;
	int		 kind;
	const char	*uri;
} att_names[] = {
	{ "slsaprovenance", POLICY_ATT_SLSA,
	    "https://slsa.dev/provenance/v0.2" },
	{ "slsaprovenance02", POLICY_ATT_SLSA,
	    "https://slsa.dev/provenance/v0.2" },
	{ "slsaprovenance1", POLICY_ATT_SLSA,
	    "https://slsa.dev/provenance/v1" },
	{ "spdx", POLICY_ATT_SPDX, "https://spdx.dev/Document" },
	{ "spdxjson", POLICY_ATT_SPDX, "https://spdx.dev/Document" },
	{ "cyclonedx", POLICY_ATT_CYCLONEDX, "https://cyclonedx.org/bom" },
	{ "sbom", POLICY_ATT_SBOM, NULL },
	{ "vuln", POLICY_ATT_VULN,
	    "https://cosign.sigstore.dev/attestation/vuln/v1" },
	{ "openvex", POLICY_ATT_OPENVEX, "https://openvex.dev/ns" },
	{ "custom", POLICY_ATT_CUSTOM,
	    "https://cosign.sigstore.dev/attestation/v1" },
};

int
policy_att_type(const char *type, int *kind, const char **uri)
{
	size_t i;

	for (i = 0; i < sizeof(att_names) / sizeof(att_names[0]); i++)
		if (strcmp(type, att_names[i].name) == 0) {
			*kind = att_names[i].kind;
			*uri = att_names[i].uri;
			return 0;
		}
	/* A URI: a scheme, "://" and something after it. */
	i = strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
	if (i == 0 || strncmp(type + i, "://", 3) != 0 || type[i + 3] == '\0' ||
	    strpbrk(type, " \t\r\n") != NULL)
		return -1;
	*kind = POLICY_ATT_URI;
	*uri = NULL;
	return 0;
}

const char *
policy_att_type_uri(const char *type)
{
	const char *uri;
	int kind;

	if (type == NULL || policy_att_type(type, &kind, &uri) != 0 ||
	    kind == POLICY_ATT_SBOM)
		return NULL;
	return kind == POLICY_ATT_URI ? type : uri;
}

/* PT is BASE, or BASE followed by "/" and a version ("/v2.3"). */
static int
family(const char *pt, const char *base)
{
	size_t n = strlen(base);

	return strncmp(pt, base, n) == 0 && (pt[n] == '\0' || pt[n] == '/');
}

int
policy_att_type_match(const struct policy_attreq *a, const char *pt)
{
	switch (a->kind) {
	case POLICY_ATT_SBOM:
		return family(pt, "https://spdx.dev/Document") ||
		    family(pt, "https://cyclonedx.org/bom");
	case POLICY_ATT_SPDX:
		return family(pt, "https://spdx.dev/Document");
	case POLICY_ATT_CYCLONEDX:
		return family(pt, "https://cyclonedx.org/bom");
	case POLICY_ATT_OPENVEX:
		return family(pt, "https://openvex.dev/ns");
	case POLICY_ATT_URI:
		return strcmp(pt, a->type) == 0;
	default:
		return strcmp(pt, a->uri) == 0;
	}
}

static int
slsa(const struct policy_attreq *a)
{
	return a->kind == POLICY_ATT_SLSA || (a->kind == POLICY_ATT_URI &&
	    family(a->type, "https://slsa.dev/provenance"));
}

const char *
policy_att_what(const struct policy_attreq *a)
{
	if (slsa(a))
		return "SLSA provenance";
	switch (a->kind) {
	case POLICY_ATT_SBOM:
		return "SBOM";
	case POLICY_ATT_SPDX:
		return "SPDX SBOM";
	case POLICY_ATT_CYCLONEDX:
		return "CycloneDX SBOM";
	case POLICY_ATT_VULN:
		return "vulnerability scan";
	case POLICY_ATT_OPENVEX:
		return "OpenVEX document";
	default:
		return "attestation";
	}
}

const char *
policy_att_noun(const struct policy_attreq *a)
{
	if (slsa(a))
		return "provenance";
	switch (a->kind) {
	case POLICY_ATT_SBOM:
	case POLICY_ATT_SPDX:
	case POLICY_ATT_CYCLONEDX:
		return "SBOM";
	case POLICY_ATT_VULN:
		return "scan";
	case POLICY_ATT_OPENVEX:
		return "VEX document";
	default:
		return "attestation";
	}
}

/* ------------------------------------------------------------------ paths */

/* The fields of an in-toto statement (v0.1 and v1): where a path starts. */
static const char *const roots[] = {
	"_type", "subject", "predicateType", "predicate", NULL
};

static int
fail(char *why, size_t size, const char *fmt, size_t at)
{
	snprintf(why, size, fmt, at + 1);
	return -1;
}

/* One key starting at TEXT[*AT]; stops at '.', '[' or the end. */
static int
key_step(const char *text, size_t *at, struct policy_step *st, char *why,
    size_t size)
{
	size_t n = strcspn(text + *at, ".[]");

	if (n == 0)
		return fail(why, size, "empty key at character %zu", *at);
	st->key = strndup(text + *at, n);
	if (st->key == NULL)
		return -2;
	st->idx = 0;
	*at += n;
	return 0;
}

/* "[n]" or "[*]" starting at TEXT[*AT] (the '['). */
static int
idx_step(const char *text, size_t *at, struct policy_step *st, char *why,
    size_t size)
{
	size_t open = *at, n;
	long v = 0;

	st->key = NULL;
	*at += 1;
	if (text[*at] == '*' && text[*at + 1] == ']') {
		st->idx = -1;
		*at += 2;
		return 0;
	}
	n = strspn(text + *at, "0123456789");
	if (n == 0 || text[*at + n] != ']')
		return fail(why, size, strchr(text + open, ']') == NULL ?
		    "unclosed '[' at character %zu" :
		    "index at character %zu must be a number or *", open);
	if (n > 4)
		return fail(why, size, "index at character %zu is larger than "
		    "9999", open);
	for (; n > 0; n--, (*at)++)
		v = v * 10 + (text[*at] - '0');
	st->idx = v;
	*at += 1;
	return 0;
}

static int
root_ok(const char *key, char *why, size_t size)
{
	char sug[160];
	size_t i;

	for (i = 0; roots[i] != NULL; i++)
		if (strcmp(key, roots[i]) == 0)
			return 0;
	snprintf(why, size, "starts with \"%.40s\", not a field of an in-toto "
	    "statement %s", key, rw_suggest(sug, sizeof(sug), key, roots));
	return -1;
}

static int
steps(const char *text, struct policy_path *out, char *why, size_t size)
{
	size_t at = 0;
	int rc;

	while (text[at] != '\0') {
		if (out->n == POLICY_PATH_STEPS) {
			snprintf(why, size, "has more than %d steps",
			    POLICY_PATH_STEPS);
			return -1;
		}
		if (at > 0 && text[at] == '.') {
			at++;
			rc = key_step(text, &at, &out->s[out->n], why, size);
		} else if (at > 0 && text[at] == '[')
			rc = idx_step(text, &at, &out->s[out->n], why, size);
		else if (text[at] == ']')
			return fail(why, size,
			    "unexpected ']' at character %zu", at);
		else if (at > 0)
			return fail(why, size, "expected '.' or '[' at "
			    "character %zu", at);
		else
			rc = key_step(text, &at, &out->s[out->n], why, size);
		if (rc != 0)
			return rc;
		out->n++;
	}
	return root_ok(out->s[0].key, why, size);
}

int
policy_path_compile(const char *text, struct policy_path *out, char *why,
    size_t whysize)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (text[0] == '\0') {
		snprintf(why, whysize, "is empty");
		return -1;
	}
	if (strpbrk(text, " \t\r\n") != NULL) {
		snprintf(why, whysize, "has white space at character %zu",
		    strcspn(text, " \t\r\n") + 1);
		return -1;
	}
	out->s = calloc(POLICY_PATH_STEPS, sizeof(*out->s));
	out->text = strdup(text);
	if (out->s == NULL || out->text == NULL) {
		policy_path_free(out);
		return -2;
	}
	rc = steps(text, out, why, whysize);
	if (rc != 0)
		policy_path_free(out);
	return rc;
}

void
policy_path_free(struct policy_path *path)
{
	size_t i;

	for (i = 0; path->s != NULL && i < POLICY_PATH_STEPS; i++)
		free(path->s[i].key);
	free(path->s);
	free(path->text);
	memset(path, 0, sizeof(*path));
}

/* ------------------------------------------------------------- evaluation */

/* The values a path reaches, at most VALS_MAX of them (each [*] fans out). */
#define VALS_MAX	256

struct vals {
	json_t	*v[VALS_MAX];
	size_t	 n;
};

static void
walk(const struct policy_path *p, size_t i, json_t *v, struct vals *out)
{
	size_t k;
	json_t *e;

	if (v == NULL || out->n == VALS_MAX)
		return;
	if (i == p->n) {
		out->v[out->n++] = v;
		return;
	}
	if (p->s[i].key != NULL)
		walk(p, i + 1, json_object_get(v, p->s[i].key), out);
	else if (!json_is_array(v))
		return;
	else if (p->s[i].idx >= 0)
		walk(p, i + 1, json_array_get(v, (size_t)p->s[i].idx), out);
	else
		json_array_foreach(v, k, e)
			walk(p, i + 1, e, out);
}

/* V for a message: a string as is (made safe), other scalars as JSON. */
static void
show(struct rw_sb *sb, json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		rw_sb_safe(sb, json_string_value(v), POLICY_SHOW_ITEM);
		return;
	}
	if (json_is_object(v) || json_is_array(v)) {
		rw_sb_add(sb, json_is_object(v) ? "(an object)" : "(an array)");
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY);
	rw_sb_safe(sb, s != NULL ? s : "?", POLICY_SHOW_ITEM);
	free(s);
}

static int
in_list(json_t *list, json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_equal(e, v))
			return 1;
	return 0;
}

static int
one(const struct policy_cond *c, json_t *v)
{
	switch (c->op) {
	case POLICY_COND_EQUALS:
		return json_equal(v, c->value);
	case POLICY_COND_IN:
		return in_list(c->value, v);
	case POLICY_COND_MATCHES:
		return json_is_string(v) && regexec(&c->re,
		    json_string_value(v), 0, NULL, 0) == 0;
	default:
		return 0;
	}
}

static void
show_list(struct rw_sb *sb, json_t *list)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		if (i == POLICY_LIST_MAX) {
			policy_list_more(sb, i, json_array_size(list));
			break;
		}
		rw_sb_add(sb, i == 0 ? "" : ", ");
		show(sb, e);
	}
}

static const char *const verbs[][2] = {
	/* met, not met */
	{ "equals", "does not equal" },
	{ "is one of", "is not one of" },
	{ "matches", "does not match" },
};

int
policy_cond_eval(const struct policy_cond *c, json_t *st, struct rw_sb *sb)
{
	struct vals vals;
	size_t i;
	int met;

	vals.n = 0;
	walk(&c->path, 0, st, &vals);
	rw_sb_safe(sb, c->path.text, POLICY_SHOW_ITEM);
	if (c->op == POLICY_COND_EXISTS) {
		met = (vals.n > 0) == c->exists;
		rw_sb_add(sb, vals.n > 0 ? " is present" : " is absent");
		return met;
	}
	if (vals.n == 0) {
		rw_sb_add(sb, " is absent");
		return 0;
	}
	/* The first value that meets it, or else the first one found. */
	for (i = 0; i < vals.n && !one(c, vals.v[i]); i++)
		;
	met = i < vals.n;
	rw_sb_add(sb, " ");
	show(sb, vals.v[met ? i : 0]);
	if (vals.n > 1 && !met)
		rw_sb_add(sb, " (and %zu more)", vals.n - 1);
	rw_sb_add(sb, " %s ", verbs[c->op][!met]);
	if (c->op == POLICY_COND_IN)
		show_list(sb, c->value);
	else
		show(sb, c->value);
	return met;
}
