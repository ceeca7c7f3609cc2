/* sigcheck.c - the "signatures" check: cosign signatures against the keys a
 * rule trusts. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

/* How much of a signature's origin ("sha256-<hex>.sig layer 2") is shown. */
#define SHOW_ORIGIN	100

/* What one signature turned out to be, in the order messages list them. */
enum {
	S_TRUSTED,	/* verified with a key the rule trusts */
	S_UNKNOWN,	/* verified with none of them */
	S_DIGEST,	/* a trusted key signed another manifest */
	S_MALFORMED,	/* undecodable, or a trusted key signed nonsense */
	S_NOTSIG,	/* not a cosign simple-signing layer at all */
	S_NCLASS
};

static const char *const class_words[S_NCLASS] = {
	"by a trusted key",
	"by an unknown key",
	"for another digest",
	"malformed",
	"not a cosign signature",
};

struct tally {
	size_t	 n[S_NCLASS];
	size_t	 examined;
	size_t	 total;
	size_t	 nsigned;			/* keys with a valid signature */
	/* per key the rule lists: the input that verified with it, or -1 */
	long	 by[POLICY_SIG_KEYS_MAX];
	/* per key: the other manifest it signed, when one was found */
	char	 other[POLICY_SIG_KEYS_MAX][RW_DIGEST_MAX];
};

static const struct policy_keyent *
rule_key(const struct policy_ev *e, size_t i)
{
	return &e->p->keys[e->r->sig_keys[i]];
}

/* ------------------------------------------------------------- judging */

/* Verification could not run at all: the decision fails closed. */
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

/*
 * Input IN (number IDX) against every key the rule trusts: its class, or
 * -1 when verification could not run.  A signature that verifies with a
 * key marks that key as satisfied.
 */
static int
classify(struct policy_ev *e, const struct policy_sig_input *in, size_t idx,
    struct tally *t)
{
	const struct policy_rule *r = e->r;
	struct sig_result res;
	struct rw_err err;
	size_t k;
	int best = S_UNKNOWN, rc;

	if (in->media_type == NULL ||
	    strcmp(in->media_type, SIG_COSIGN_MEDIA_TYPE) != 0)
		return S_NOTSIG;
	if (in->payload == NULL || in->sig_b64 == NULL)
		return S_MALFORMED;
	for (k = 0; k < r->nsig_keys; k++) {
		rw_err_clear(&err);
		rc = sig_cosign_verify(rule_key(e, k)->key, in->payload,
		    in->plen, in->sig_b64, e->req->sig_subject != NULL ?
		    e->req->sig_subject : e->req->digest, &res, &err);
		if (rc != RW_OK)
			return broken(e, rc, &err);
		if (res.verdict == SIG_VALID) {
			if (t->by[k] < 0) {
				t->by[k] = (long)idx;
				t->nsigned++;
			}
			/* Keys are distinct (checked at load): no other one
			 * can have made this signature. */
			return S_TRUSTED;
		}
		if (res.verdict == SIG_WRONG_DIGEST) {
			best = S_DIGEST;
			if (t->other[k][0] == '\0')
				rw_strlcpy(t->other[k], res.digest,
				    sizeof(t->other[k]));
		} else if (res.verdict != SIG_BAD_SIGNATURE &&
		    best != S_DIGEST)
			best = S_MALFORMED;
	}
	return best;
}

/* Returns 0, or -1 when verification could not run. */
static int
count(struct policy_ev *e, struct tally *t)
{
	const struct admission_req *q = e->req;
	size_t i;
	int c;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < POLICY_SIG_KEYS_MAX; i++)
		t->by[i] = -1;
	t->total = q->nsigs;
	t->examined = q->nsigs < POLICY_SIG_MAX ? q->nsigs : POLICY_SIG_MAX;
	for (i = 0; i < t->examined; i++) {
		c = classify(e, &q->sigs[i], i, t);
		if (c < 0)
			return -1;
		t->n[c]++;
	}
	return 0;
}

/* ------------------------------------------------------------ messages */

/* Names of the rule's keys that signed (SIGNED) or did not, joined. */
static void
key_names(const struct policy_ev *e, const struct tally *t, int signed_,
    struct policy_sb *sb)
{
	size_t i, n = 0;

	for (i = 0; i < e->r->nsig_keys; i++)
		if (signed_ < 0 || (t->by[i] >= 0) == signed_)
			policy_sb_add(sb, "%s%s", n++ > 0 ? ", " : "",
			    rule_key(e, i)->name);
}

/* "found 3 signatures: 1 by an unknown key, 2 for another digest" */
static void
found(const struct policy_ev *e, const struct tally *t, struct policy_sb *sb)
{
	const char *colon;
	size_t c, n = 0;

	if (t->total == 0) {
		/* The tag cosign writes: the digest with '-' for ':'. */
		colon = strchr(e->digest, ':');
		policy_sb_add(sb, "the image has no cosign signature (no "
		    "%.*s-%s.sig tag in the repository)", colon != NULL ?
		    (int)(colon - e->digest) : 0, e->digest, colon != NULL ?
		    colon + 1 : e->digest);
		return;
	}
	policy_sb_add(sb, "found %zu signature%s", t->total,
	    t->total == 1 ? "" : "s");
	if (t->total > t->examined)
		policy_sb_add(sb, " (only the first %zu examined)", t->examined);
	for (c = 0; c < S_NCLASS; c++)
		if (t->n[c] > 0)
			policy_sb_add(sb, "%s%zu %s", n++ > 0 ? ", " : ": ",
			    t->n[c], class_words[c]);
}

/* The key a developer should sign with next: the first one missing. */
static const char *
next_key(const struct policy_ev *e, const struct tally *t)
{
	size_t i;

	for (i = 0; i < e->r->nsig_keys; i++)
		if (t->by[i] < 0)
			return rule_key(e, i)->name;
	return rule_key(e, 0)->name;
}

/* What the rule asked for and what it got, when more than one key must sign. */
static void
quorum(const struct policy_ev *e, const struct tally *t, int need,
    int failed, struct policy_sb *sb)
{
	const struct policy_rule *r = e->r;

	if (!failed) {
		policy_sb_add(sb, "signed by %zu keys trusted for %s (",
		    t->nsigned, r->match[e->pat]);
		key_names(e, t, 1, sb);
		policy_sb_add(sb, "), %d required", need);
		return;
	}
	policy_sb_add(sb, "signed by %zu of the %d required keys", t->nsigned,
	    need);
	if (t->nsigned > 0) {
		policy_sb_add(sb, " (");
		key_names(e, t, 1, sb);
		policy_sb_add(sb, ")");
	}
	if ((size_t)need < r->nsig_keys) {
		policy_sb_add(sb, " among ");
		key_names(e, t, -1, sb);
		policy_sb_add(sb, "; needs %zu more of: ", (size_t)need -
		    t->nsigned);
	} else
		policy_sb_add(sb, "; missing: ");
	key_names(e, t, 0, sb);
}

/* What the rule asked for, met or not. */
static void
requirement(const struct policy_ev *e, const struct tally *t, int need,
    int failed, struct policy_sb *sb)
{
	const struct policy_rule *r = e->r;

	if (need > 1)
		quorum(e, t, need, failed, sb);
	else if (failed) {
		policy_sb_add(sb, "no signature by any key trusted for %s "
		    "(trusted: ", r->match[e->pat]);
		key_names(e, t, -1, sb);
		policy_sb_add(sb, ")");
	} else {
		policy_sb_add(sb, "signed by a key trusted for %s (",
		    r->match[e->pat]);
		key_names(e, t, 1, sb);
		policy_sb_add(sb, ")");
	}
}

/*
 * The reason, with the command that fixes it kept whole: when names are
 * long, the list of what was found is cut ("...") rather than the advice.
 */
static void
summary(struct policy_ev *e, const struct tally *t, int need, int failed)
{
	char fix[sizeof(e->name) + RW_DIGEST_MAX * 4 + POLICY_NAME_MAX + 64];
	char body[sizeof(((struct verdict_reason *)0)->text)];
	struct policy_sb sb, rb;
	size_t room;

	policy_sb_init(&sb, fix, sizeof(fix));
	if (failed)
		policy_sb_add(&sb, ". Sign it: regwarden sign --key <%s key> "
		    "%s@%s", next_key(e, t), e->name, e->digest);
	room = sb.len + 64 < sizeof(body) ? sizeof(body) - sb.len : 64;
	policy_sb_init(&sb, body, room);
	requirement(e, t, need, failed, &sb);
	policy_sb_add(&sb, "; ");
	found(e, t, &sb);
	policy_sb_finish(&sb);
	policy_reason(e, &rb, "signatures", failed);
	policy_sb_add(&rb, "%s%s", body, fix);
	policy_sb_finish(&rb);
}

/* One reason per trusted key, for explain; never repeated in messages. */
static void
per_key(struct policy_ev *e, const struct tally *t, int need, int failed)
{
	const struct policy_keyent *ke;
	const struct policy_sig_input *in;
	struct policy_sb sb;
	size_t i;

	for (i = 0; i < e->r->nsig_keys; i++) {
		ke = rule_key(e, i);
		policy_detail(e, &sb, "signatures.key", t->by[i] < 0 &&
		    failed);
		if (t->by[i] >= 0) {
			in = &e->req->sigs[t->by[i]];
			policy_sb_add(&sb, "signed by key %s (%s)", ke->name,
			    sig_key_id(ke->key));
			if (in->origin != NULL && in->origin[0] != '\0') {
				policy_sb_add(&sb, ", signature ");
				policy_sb_safe(&sb, in->origin, SHOW_ORIGIN);
			}
		} else {
			policy_sb_add(&sb, "no signature by key %s (%s)",
			    ke->name, sig_key_id(ke->key));
			if (t->other[i][0] != '\0')
				policy_sb_add(&sb, "; it signed %s instead",
				    t->other[i]);
			if (!failed)
				policy_sb_add(&sb, "; not needed (%d of %zu "
				    "required)", need, e->r->nsig_keys);
		}
		policy_sb_finish(&sb);
	}
}

void
policy_check_sigs(struct policy_ev *e)
{
	struct tally t;
	int need, failed;

	if (!e->r->has_sigs || e->r->nsig_keys == 0)
		return;
	if (count(e, &t) != 0)
		return;
	need = e->r->sig_require;
	failed = t.nsigned < (size_t)need;
	summary(e, &t, need, failed);
	per_key(e, &t, need, failed);
}
