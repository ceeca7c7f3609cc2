/* check.c - the second pass: duplicate names, rules that never match. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Rules named in one "can never match" message. */
#define COVER_MAX	8

static void
rule_where(struct where *out, const struct where *rules, size_t i,
    const char *key)
{
	policy_where_idx(out, rules, i);
	policy_where_key(out, out, key);
}

static void
duplicates(struct ld *ld, const struct where *w)
{
	const struct policy *p = ld->p;
	struct where nw;
	size_t i, j;

	for (j = 1; j < p->nrules; j++) {
		for (i = 0; p->rules[j].name != NULL && i < j; i++) {
			if (p->rules[i].name == NULL ||
			    strcmp(p->rules[i].name, p->rules[j].name) != 0)
				continue;
			rule_where(&nw, w, j, "name");
			policy_bad_at(ld, &nw, "duplicate rule name \"%s\" "
			    "(first defined at %s:%d)", p->rules[j].name,
			    ld->base, p->rules[i].line);
			break;
		}
	}
}

/* The first valid rule before J that takes OP and covers PAT, or SIZE_MAX. */
static size_t
coverer(const struct policy *p, size_t j, unsigned op, const char *pat)
{
	const struct policy_rule *r;
	size_t i, k;

	for (i = 0; i < j; i++) {
		r = &p->rules[i];
		if (!r->valid || (r->ops & op) == 0)
			continue;
		for (k = 0; k < r->nmatch; k++)
			if (policy_glob_covers(r->match[k], pat))
				return i;
	}
	return SIZE_MAX;
}

/* Adds I to the sorted set COV (N entries, COVER_MAX at most). */
static void
cover_add(size_t *cov, size_t *n, size_t i)
{
	size_t k, m;

	for (k = 0; k < *n && cov[k] < i; k++)
		;
	if ((k < *n && cov[k] == i) || *n == COVER_MAX)
		return;
	for (m = *n; m > k; m--)
		cov[m] = cov[m - 1];
	cov[k] = i;
	(*n)++;
}

/*
 * Rule J never matches when, for each operation it takes, every one of its
 * patterns is covered by an earlier rule taking that operation: first match
 * wins, so those earlier rules answer every request J could.  Returns the
 * number of covering rules in COV, or 0 when J can match.
 */
static size_t
shadowed(const struct policy *p, size_t j, size_t *cov)
{
	static const unsigned ops[] = { POLICY_OP_PULL, POLICY_OP_PUSH };
	const struct policy_rule *r = &p->rules[j];
	size_t n = 0, k, o, c;

	for (o = 0; o < 2; o++) {
		if ((r->ops & ops[o]) == 0)
			continue;
		for (k = 0; k < r->nmatch; k++) {
			c = coverer(p, j, ops[o], r->match[k]);
			if (c == SIZE_MAX)
				return 0;
			cover_add(cov, &n, c);
		}
	}
	return n;
}

static void
report_shadow(struct ld *ld, const struct where *w, size_t j,
    const size_t *cov, size_t n)
{
	const struct policy *p = ld->p;
	char list[200];
	struct rw_sb sb;
	struct where mw;
	size_t k;

	rw_sb_init(&sb, list, sizeof(list));
	for (k = 0; k < n && k < 2; k++)
		rw_sb_add(&sb, "%s\"%s\" (%s:%d)", k == 0 ? "" : n == 2 ?
		    " and " : ", ", p->rules[cov[k]].name, ld->base,
		    p->rules[cov[k]].line);
	if (n > 2)
		rw_sb_add(&sb, " and %zu more", n - 2);
	rw_sb_finish(&sb);
	rule_where(&mw, w, j, "match");
	policy_bad_at(ld, &mw, "rule \"%s\" can never match: rule%s %s "
	    "match%s everything it does", p->rules[j].name, n > 1 ? "s" : "",
	    list, n > 1 ? "" : "es");
}

void
policy_check_rules(struct ld *ld, const struct where *w)
{
	const struct policy *p = ld->p;
	size_t cov[COVER_MAX], n, j;

	duplicates(ld, w);
	for (j = 1; j < p->nrules; j++) {
		if (!p->rules[j].valid)
			continue;
		n = shadowed(p, j, cov);
		if (n > 0)
			report_shadow(ld, w, j, cov, n);
	}
}

void
policy_check_pins(struct ld *ld, const struct where *w)
{
	const struct policy *p = ld->p;
	const struct policy_pinent *a, *b;
	struct where iw;
	size_t i, j;

	for (j = 1; j < p->npins; j++) {
		b = &p->pins[j];
		for (i = 0; i < j; i++) {
			a = &p->pins[i];
			if (strcmp(a->host, b->host) != 0 ||
			    strcmp(a->repo, b->repo) != 0 ||
			    strcmp(a->tag, b->tag) != 0)
				continue;
			policy_where_idx(&iw, w, b->at);
			policy_where_key(&iw, &iw, "image");
			policy_bad(ld, &iw, "%s/%s:%s is pinned twice (first at "
			    "%s:%d)", b->host, b->repo, b->tag, ld->base,
			    a->line);
			break;
		}
	}
}
