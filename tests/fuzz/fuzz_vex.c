/*
 * fuzz_vex.c - policy_vex_parse: the OpenVEX document in a verified
 * attestation's predicate (policy/vex.c), as an image's registry serves it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input is the predicate, read by jansson as take() reads the
 * statement.  A document parsed is checked against its contract: one
 * statement per array element, each with a vulnerability name and a known
 * status, not_affected only with a justification or an impact statement;
 * a statement covers the findings of its vulnerability (or an alias) only
 * when it applies to the image; and policy_vex_decide picks, among the
 * statements covering a finding, one of the latest, a non-suppressing one
 * at a tie (a model written here from the header's words).  A refusal
 * leaves the document empty with a reason.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/internal.h"

#define HEX	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST	"sha256:" HEX

static int
suppresses(int status)
{
	return status == POLICY_VEX_NOT_AFFECTED || status == POLICY_VEX_FIXED;
}

/* The model's choice for F: whether any statement covers it, the latest
 * time among those, and whether one at that time does not suppress. */
static void
model(const struct policy_vex_doc *d, const struct policy_finding *f,
    int *any, int64_t *latest, int *quiet_at_latest)
{
	size_t i;

	*any = 0;
	*latest = INT64_MIN;
	*quiet_at_latest = 0;
	for (i = 0; i < d->n; i++) {
		if (!policy_vex_stmt_covers(&d->s[i], f))
			continue;
		if (!*any || d->s[i].ts > *latest) {
			*latest = d->s[i].ts;
			*quiet_at_latest = 0;
		}
		*any = 1;
		if (d->s[i].ts == *latest && !suppresses(d->s[i].status))
			*quiet_at_latest = 1;
	}
}

/* Statement S's own finding: its vulnerability in its first package. */
static void
check_decide(const struct policy_vex_set *v, const struct policy_vex_stmt *s)
{
	struct policy_finding f;
	const struct policy_vex_stmt *best;
	int64_t latest;
	size_t key = 99;
	int any, quiet;

	memset(&f, 0, sizeof(f));
	f.id = s->vuln;
	f.pkg = s->npkgs > 0 ? s->pkgs[0].name : "anything";
	f.installed = s->npkgs > 0 ? s->pkgs[0].version : NULL;
	FZ_ASSERT(policy_vex_stmt_covers(s, &f) == s->applies,
	    "statement on %s (applies %d) does not cover its own finding",
	    s->vuln, s->applies);
	model(&v->docs[0], &f, &any, &latest, &quiet);
	best = policy_vex_decide(v, &f, &key);
	FZ_ASSERT((best != NULL) == any, "decide found %d, model %d",
	    best != NULL, any);
	if (best == NULL)
		return;
	FZ_ASSERT(key == 7, "signer %zu", key);
	FZ_ASSERT(best->ts == latest, "decided on %lld, latest %lld",
	    (long long)best->ts, (long long)latest);
	FZ_ASSERT(!quiet || !suppresses(best->status),
	    "a suppressing statement won a tie against a non-suppressing one");
	FZ_ASSERT(policy_vex_suppresses(v, &f) == suppresses(best->status),
	    "suppresses disagrees with decide");
}

static void
check_doc(json_t *doc, const struct policy_vex_doc *d)
{
	static struct policy_vex_set v;
	const struct policy_vex_stmt *s;
	size_t i, j;

	FZ_ASSERT(d->n == json_array_size(json_object_get(doc, "statements")),
	    "%zu statements parsed of %zu", d->n,
	    json_array_size(json_object_get(doc, "statements")));
	memset(&v, 0, sizeof(v));
	v.docs[0] = *d;
	v.key[0] = 7;
	v.ndocs = 1;
	for (i = 0; i < d->n; i++) {
		s = &d->s[i];
		FZ_ASSERT(s->vuln != NULL && s->vuln[0] != '\0', "no name");
		FZ_ASSERT(s->status >= POLICY_VEX_NOT_AFFECTED &&
		    s->status <= POLICY_VEX_UNDER_INVESTIGATION, "status %d",
		    s->status);
		FZ_ASSERT(s->status != POLICY_VEX_NOT_AFFECTED ||
		    s->justification != NULL ||
		    (s->impact != NULL && s->impact[0] != '\0'),
		    "not_affected without a reason");
		FZ_ASSERT(s->applies || s->npkgs == 0,
		    "packages of a product that is not the image");
		for (j = 0; j < s->npkgs; j++)
			FZ_ASSERT(s->pkgs[j].name != NULL, "package %zu", j);
		check_decide(&v, s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_vex_doc d;
	char why[200];
	json_t *doc;
	int rc;

	doc = json_loadb((const char *)data, size, 0, NULL);
	if (doc == NULL)
		return 0;
	why[0] = '\0';
	rc = policy_vex_parse(doc, DIGEST, &d, why, sizeof(why));
	if (rc == 0)
		check_doc(doc, &d);
	else
		FZ_ASSERT(rc == -1 && why[0] != '\0' && d.s == NULL &&
		    d.n == 0, "refused (%d) without a reason or with "
		    "statements", rc);
	policy_vex_doc_free(&d);
	json_decref(doc);
	return 0;
}
