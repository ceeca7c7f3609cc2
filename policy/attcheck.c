/*
 * attcheck.c - judging a rule's "attestations": each requirement against
 * the statements verified for the image, and the sentence that says what
 * was required and what was found.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "policy/internal.h"
#include "policy/sig/sig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statements of one requirement's type that a message describes. */
#define FOUND_SHOWN	3

static int
listed(const struct policy_attreq *a, size_t key)
{
	size_t i;

	for (i = 0; i < a->nkeys; i++)
		if (a->keys[i] == key)
			return 1;
	return 0;
}

/* "ci", "scanner (not listed for this requirement)", "an untrusted signer" */
static void
signer(const struct policy *p, const struct policy_attreq *a, size_t key,
    struct rw_sb *sb)
{
	if (key == SIZE_MAX || key >= p->nkeys)
		rw_sb_add(sb, "an untrusted signer");
	else if (!listed(a, key))
		rw_sb_add(sb, "%s (not listed for this requirement)",
		    p->keys[key].name);
	else
		rw_sb_add(sb, "%s", p->keys[key].name);
}

/*
 * Whether S meets every condition of A.  SB (may be NULL) gets the first
 * condition that failed; with LIST_MET, also those met before it, joined
 * by "; ".
 */
static int
conds_met(const struct policy_attreq *a, const struct policy_att_stmt *s,
    struct rw_sb *sb, int list_met)
{
	char buf[sizeof(((struct verdict_reason *)0)->text)];
	struct rw_sb one;
	size_t i;

	for (i = 0; i < a->nconds; i++) {
		rw_sb_init(&one, buf, sizeof(buf));
		if (!policy_cond_eval(&a->conds[i], s->st, &one)) {
			if (sb != NULL)
				rw_sb_add(sb, "%s%s", list_met && i > 0 ?
				    "; " : "", buf);
			return 0;
		}
		if (sb != NULL && list_met)
			rw_sb_add(sb, "%s%s", i == 0 ? "" : "; ", buf);
	}
	return 1;
}

static void
what(const struct policy_attreq *a, struct rw_sb *sb)
{
	if (a->kind == POLICY_ATT_URI && strcmp(policy_att_what(a),
	    "attestation") == 0) {
		rw_sb_add(sb, "attestation of type ");
		rw_sb_safe(sb, a->type, POLICY_SHOW_ITEM * 2);
	} else
		rw_sb_add(sb, "%s", policy_att_what(a));
}

/* "(found: none)", "(found: 1 provenance by ci, <why>)", ... */
static void
found(const struct policy *p, const struct policy_attreq *a,
    const struct policy_att_stmt *s, size_t n, struct rw_sb *sb)
{
	size_t i, total = 0, shown = 0;

	for (i = 0; i < n; i++)
		total += policy_att_type_match(a, s[i].ptype);
	if (total == 0) {
		rw_sb_add(sb, " (found: none)");
		return;
	}
	rw_sb_add(sb, " (found: %zu %s%s", total, policy_att_noun(a),
	    total > 1 ? ":" : "");
	for (i = 0; i < n && shown < FOUND_SHOWN; i++) {
		if (!policy_att_type_match(a, s[i].ptype))
			continue;
		rw_sb_add(sb, shown == 0 ? " by " : "; by ");
		signer(p, a, s[i].key, sb);
		if (s[i].other != NULL)
		{
			rw_sb_add(sb, ", for another image (");
			rw_sb_safe(sb, s[i].other, RW_DIGEST_MAX);
			rw_sb_add(sb, ")");
		}
		else if (listed(a, s[i].key)) {
			rw_sb_add(sb, ", ");
			conds_met(a, &s[i], sb, 0);
		}
		shown++;
	}
	policy_list_more(sb, shown, total);
	rw_sb_add(sb, ")");
}

int
policy_att_judge(const struct policy *p, const struct policy_attreq *a,
    const struct policy_att_stmt *s, size_t n, struct rw_sb *sb)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!policy_att_type_match(a, s[i].ptype) ||
		    s[i].other != NULL || !listed(a, s[i].key) ||
		    !conds_met(a, &s[i], NULL, 0))
			continue;
		what(a, sb);
		rw_sb_add(sb, " by %s", p->keys[s[i].key].name);
		if (a->nconds > 0) {
			rw_sb_add(sb, ": ");
			conds_met(a, &s[i], sb, 1);
		}
		return 1;
	}
	rw_sb_add(sb, "no ");
	what(a, sb);
	rw_sb_add(sb, " by a trusted signer");
	found(p, a, s, n, sb);
	return 0;
}

/* ----------------------------------------------------------- verifying */

/* What the attestations of one image turned out to be. */
struct found {
	struct policy_att_stmt	 s[POLICY_ATT_INPUT_MAX];
	char			 ptype[POLICY_ATT_INPUT_MAX][256];
	char			 other[POLICY_ATT_INPUT_MAX][RW_DIGEST_MAX];
	size_t			 n;
	size_t	 keys[POLICY_ATT_MAX * POLICY_SIG_KEYS_MAX];	/* .att */
	size_t			 nkeys;
	size_t	 bkeys[POLICY_ATT_MAX * POLICY_SIG_KEYS_MAX];	/* bundles */
	size_t			 nbkeys;
	char	 text[sizeof(((struct verdict_reason *)0)->text)];
};

static void
add_key(size_t *set, size_t *n, size_t key)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (set[k] == key)
			return;
	set[(*n)++] = key;
}

/*
 * Every key some requirement lists that can verify an attestation: plain
 * cosign keys verify .att envelopes; keys judged by a trusted root (keyless
 * identities, keys with rekor_trusted_root) verify Sigstore bundles, whose
 * logs and times that root vouches for.  A .att envelope carries no log
 * entry a root could check, so those keys verify no .att layer (fail
 * closed), and a Notation trust store verifies no attestation at all.
 */
static void
union_keys(const struct policy_ev *e, struct found *f)
{
	const struct policy_keyent *ke;
	size_t i, j, key;

	for (i = 0; i < e->r->natts; i++)
		for (j = 0; j < e->r->atts[i].nkeys; j++) {
			key = e->r->atts[i].keys[j];
			ke = &e->p->keys[key];
			if (ke->notation)
				continue;
			if (ke->troot != NULL && (ke->keyless ||
			    ke->key != NULL))
				add_key(f->bkeys, &f->nbkeys, key);
			else if (ke->key != NULL && !ke->keyless)
				add_key(f->keys, &f->nkeys, key);
		}
}

static int
broken(struct policy_ev *e, int rc, const struct rw_err *err)
{
	if (e->fail_rc == RW_OK) {
		e->fail_rc = rc;
		snprintf(e->fail_msg, sizeof(e->fail_msg), "%s",
		    err->msg[0] != '\0' ? err->msg : rw_strerror(rc));
	}
	return -1;
}

/* Input IN against every key: one entry of F. */
static int
verify_one(struct policy_ev *e, const struct policy_att_input *in,
    const char *digest, struct found *f)
{
	struct policy_att_stmt *s = &f->s[f->n];
	struct sig_dsse_result res;
	struct rw_err err;
	size_t k;
	int rc;

	s->key = SIZE_MAX;
	s->origin = in->origin;
	s->ptype = f->ptype[f->n];
	f->ptype[f->n][0] = '\0';
	for (k = 0; k < f->nkeys; k++) {
		rw_err_clear(&err);
		rc = sig_dsse_verify(e->p->keys[f->keys[k]].key, in->envelope,
		    in->elen, digest, &res, &err);
		if (rc != RW_OK)
			return broken(e, rc, &err);
		rw_strlcpy(f->ptype[f->n], res.predicate_type,
		    sizeof(f->ptype[f->n]));
		if (res.verdict == SIG_WRONG_DIGEST) {
			s->key = f->keys[k];
			rw_strlcpy(f->other[f->n], res.digest,
			    sizeof(f->other[f->n]));
			s->other = f->other[f->n];
			break;
		}
		if (res.verdict != SIG_VALID)
			continue;
		s->key = f->keys[k];
		s->st = json_loadb(res.statement, res.slen, 0, NULL);
		sig_dsse_result_free(&res);
		if (s->st == NULL)
			return broken(e, RW_ENOMEM, &err);
		break;
	}
	f->n++;
	return 0;
}

/* The first sha256 subject of bundle IN's statement, as "sha256:<hex>". */
void
policy_bundle_subject(const struct policy_att_input *in, char *out,
    size_t size)
{
	char *st = NULL;
	const char *hex;
	size_t slen;
	json_t *doc;

	rw_strlcpy(out, "sha256:?", size);
	if (sig_bundle_statement(in->envelope, in->elen, &st, &slen, NULL) !=
	    RW_OK)
		return;
	doc = json_loadb(st, slen, 0, NULL);
	hex = json_string_value(json_object_get(json_object_get(json_array_get(
	    json_object_get(doc, "subject"), 0), "digest"), "sha256"));
	if (hex != NULL)
		snprintf(out, size, "sha256:%.64s", hex);
	json_decref(doc);
	free(st);
}

/*
 * The predicateType bundle IN claims when no key verified it, so that a
 * refusal can say what an untrusted signer offered (as for .att layers);
 * cosign's own signing statement is no attestation, so it stays "".
 */
void
policy_bundle_peek(const struct policy_att_input *in, char *out, size_t size)
{
	char *st = NULL;
	const char *pt;
	size_t slen;
	json_t *doc;

	if (sig_bundle_statement(in->envelope, in->elen, &st, &slen, NULL) !=
	    RW_OK)
		return;
	doc = json_loadb(st, slen, 0, NULL);
	pt = json_string_value(json_object_get(doc, "predicateType"));
	if (pt != NULL && strcmp(pt, SIG_BUNDLE_COSIGN_SIGN) != 0)
		rw_strlcpy(out, pt, size);
	json_decref(doc);
	free(st);
}

int
policy_bundle_check(const struct policy *p, size_t key,
    const struct policy_att_input *in, const char *digest, int64_t now,
    struct sig_bundle_result *res, struct rw_err *err)
{
	const struct policy_keyent *ke = &p->keys[key];
	struct sig_bundle_subject subj = { .data = NULL };
	struct sig_identity id = { ke->subject, ke->subject_regex,
	    ke->issuer };
	struct sig_bundle_trust tr;

	memset(res, 0, sizeof(*res));
	res->verdict = SIG_MALFORMED;
	if (rw_sha256_bytes(digest, subj.sha256) != 0 || ke->troot == NULL)
		return RW_OK;	/* nothing it could verify */
	tr.root = ke->troot;
	tr.key = ke->keyless ? NULL : ke->key;
	tr.id = ke->keyless ? &id : NULL;
	tr.now = now;
	return sig_bundle_verify(in->envelope, in->elen, &tr, &subj, res,
	    err);
}

/* Bundle IN's statement, once KEY's trust verified it, into S. */
static int
bundle_take(struct policy_ev *e, const struct policy_att_input *in,
    struct policy_att_stmt *s, size_t key)
{
	struct rw_err err;
	char *st = NULL;
	size_t slen;
	int rc;

	rw_err_clear(&err);
	rc = sig_bundle_statement(in->envelope, in->elen, &st, &slen, &err);
	if (rc != RW_OK)
		return broken(e, rc, &err);
	s->key = key;
	s->st = json_loadb(st, slen, 0, NULL);
	free(st);
	if (s->st == NULL)
		return broken(e, RW_ENOMEM, &err);
	return 0;
}

/*
 * A Sigstore bundle IN (cosign v3, an OCI referrer) against every key
 * judged by a trusted root: one entry of F.  A bundle over a message (no
 * DSSE statement, a signature) or cosign's own signing statement is no
 * attestation.
 */
static int
verify_bundle(struct policy_ev *e, const struct policy_att_input *in,
    const char *digest, struct found *f)
{
	struct policy_att_stmt *s = &f->s[f->n];
	struct sig_bundle_result res;
	struct rw_err err;
	size_t k;

	s->key = SIZE_MAX;
	s->origin = in->origin;
	s->ptype = f->ptype[f->n];
	f->ptype[f->n][0] = '\0';
	f->n++;
	for (k = 0; k < f->nbkeys; k++) {
		rw_err_clear(&err);
		if (policy_bundle_check(e->p, f->bkeys[k], in, digest, e->now,
		    &res, &err) != RW_OK)
			return broken(e, err.code != 0 ? err.code : RW_ECRYPTO,
			    &err);
		if (res.predicate_type[0] == '\0' || strcmp(res.predicate_type,
		    SIG_BUNDLE_COSIGN_SIGN) == 0)
			continue;
		rw_strlcpy(f->ptype[f->n - 1], res.predicate_type,
		    sizeof(f->ptype[0]));
		if (res.verdict == SIG_WRONG_DIGEST) {
			s->key = f->bkeys[k];
			policy_bundle_subject(in, f->other[f->n - 1],
			    sizeof(f->other[0]));
			s->other = f->other[f->n - 1];
			return 0;
		}
		if (res.verdict == SIG_VALID)
			return bundle_take(e, in, s, f->bkeys[k]);
	}
	policy_bundle_peek(in, f->ptype[f->n - 1], sizeof(f->ptype[0]));
	return 0;
}

static void
found_free(struct found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		json_decref(f->s[i].st);
	free(f);
}

void
policy_check_atts(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	const char *digest = q->sig_subject != NULL ? q->sig_subject :
	    q->digest;
	const char *mt;
	struct found *f;
	struct rw_sb sb;
	size_t i;
	int ok;

	if (e->r->natts == 0)
		return;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		struct rw_err err;

		rw_err_clear(&err);
		broken(e, RW_ENOMEM, &err);
		return;
	}
	union_keys(e, f);
	for (i = 0; i < q->natts && i < POLICY_ATT_INPUT_MAX; i++) {
		mt = q->atts[i].media_type;
		if (mt != NULL && strcmp(mt, SIG_DSSE_MEDIA) == 0 &&
		    verify_one(e, &q->atts[i], digest, f) != 0)
			goto out;
		if (mt != NULL && strncmp(mt, SIG_BUNDLE_MEDIA_PREFIX,
		    strlen(SIG_BUNDLE_MEDIA_PREFIX)) == 0 &&
		    verify_bundle(e, &q->atts[i], digest, f) != 0)
			goto out;
	}
	for (i = 0; i < e->r->natts; i++) {
		rw_sb_init(&sb, f->text, sizeof(f->text));
		ok = policy_att_judge(e->p, &e->r->atts[i], f->s, f->n, &sb);
		policy_reason(e, &sb, "attestations", !ok);
		rw_sb_add(&sb, "%s", f->text);
	}
out:
	found_free(f);
}

/* ------------------------------------------------------------- as_scan */

/* The scanner.result of IN when KEY verifies it as a vuln statement. */
static int
scan_of(const struct policy_keyent *ke, const struct policy_attreq *a,
    const struct policy_att_input *in, const char *digest, char **report,
    size_t *len, struct rw_err *err)
{
	struct sig_dsse_result res;
	json_t *st, *result;
	int rc;

	rc = sig_dsse_verify(ke->key, in->envelope, in->elen, digest, &res,
	    err);
	if (rc != RW_OK)
		return rc;
	if (res.verdict != SIG_VALID ||
	    !policy_att_type_match(a, res.predicate_type)) {
		sig_dsse_result_free(&res);
		return 0;
	}
	st = json_loadb(res.statement, res.slen, 0, NULL);
	sig_dsse_result_free(&res);
	result = json_object_get(json_object_get(json_object_get(st,
	    "predicate"), "scanner"), "result");
	*report = json_is_object(result) ? json_dumps(result, JSON_COMPACT) :
	    NULL;
	json_decref(st);
	if (*report == NULL)
		return 0;
	*len = strlen(*report);
	return 1;
}

int
policy_att_scan(const struct policy *p, const struct admission_req *req,
    char **report, size_t *len, char *signer, size_t ssize,
    struct rw_err *err)
{
	const struct policy_rule *r;
	const struct policy_attreq *a;
	const struct policy_keyent *ke;
	const char *digest, *mt;
	unsigned needs;
	size_t i, j, k;
	int rc;

	*report = NULL;
	r = policy_match(p, req->host, req->repo, req->op, req->tag != NULL,
	    &needs);
	digest = req->sig_subject != NULL ? req->sig_subject : req->digest;
	if (r == NULL || digest == NULL)
		return 0;
	for (i = 0; i < r->natts; i++) {
		a = &r->atts[i];
		for (j = 0; a->as_scan && j < req->natts &&
		    j < POLICY_ATT_INPUT_MAX; j++) {
			mt = req->atts[j].media_type;
			if (mt == NULL || strcmp(mt, SIG_DSSE_MEDIA) != 0)
				continue;
			for (k = 0; k < a->nkeys; k++) {
				ke = &p->keys[a->keys[k]];
				if (ke->key == NULL || ke->keyless ||
				    ke->notation || ke->troot != NULL)
					continue;
				rc = scan_of(ke, a, &req->atts[j], digest,
				    report, len, err);
				if (rc == 1)
					rw_strlcpy(signer, ke->name, ssize);
				if (rc != 0)
					return rc;
			}
		}
	}
	return 0;
}
