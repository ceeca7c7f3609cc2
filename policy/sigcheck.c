/* sigcheck.c - the "signatures" check: cosign and Notation signatures
 * against the keys a rule trusts. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a signature's origin ("sha256-<hex>.sig layer 2") is shown. */
#define SHOW_ORIGIN	100

/* What one signature turned out to be, in the order messages list them. */
enum {
	S_TRUSTED,	/* verified with a key the rule trusts */
	S_UNKNOWN,	/* verified with none of them */
	S_IDENTITY,	/* a trusted Fulcio CA certified someone else */
	S_CERT,		/* a certificate no trusted root vouches for */
	S_UNLOGGED,	/* no SET from a Rekor the key requires */
	S_NCERT,	/* Notation: no trust store the rule names vouches */
	S_NEXPIRED,	/* Notation: a trusted signature past its expiry */
	S_DIGEST,	/* a trusted key signed another manifest */
	S_MALFORMED,	/* undecodable, or a trusted key signed nonsense */
	S_NOTSIG,	/* not a cosign simple-signing layer at all */
	S_NCLASS
};

static const char *const class_words[S_NCLASS] = {
	"by a trusted key",
	"by an unknown key",
	"by another identity",
	"by an untrusted certificate",
	"not in a trusted Rekor log",
	"Notation signature by an untrusted certificate",
	"Notation signature past its expiry",
	"for another digest",
	"malformed",
	"not a cosign signature",
};

/*
 * When keys disagree about a signature, the most telling class names it:
 * "for another digest" says more than "by an unknown key".
 */
static const int class_rank[S_NCLASS] = {
	[S_TRUSTED] = 9, [S_UNKNOWN] = 0, [S_IDENTITY] = 6, [S_CERT] = 4,
	[S_UNLOGGED] = 3, [S_NCERT] = 2, [S_NEXPIRED] = 8, [S_DIGEST] = 7,
	[S_MALFORMED] = 5, [S_NOTSIG] = 1,
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
	/* per keyless key: why the first candidate signature failed */
	char	 note[POLICY_SIG_KEYS_MAX][SIG_REASON_MAX + 1];
	/* per notation key: what its verification level let through */
	char	 logged[POLICY_SIG_KEYS_MAX][SIG_REASON_MAX + 1];
	/* the first S_IDENTITY signature's certificate: who signed instead */
	char	 who[256];
	char	 who_issuer[256];
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

/* K's first note: the first failure explains best why K did not sign. */
static void
note(struct tally *t, size_t k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(struct tally *t, size_t k, const char *fmt, ...)
{
	va_list ap;

	if (t->note[k][0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->note[k], sizeof(t->note[k]), fmt, ap);
	va_end(ap);
}

static int	logged(struct policy_ev *e, const struct policy_sig_input *in,
		    size_t k, struct tally *t, int64_t *at);

/* A key-based key K against IN: its class, or -1. */
static int
by_key(struct policy_ev *e, const struct policy_sig_input *in, size_t k,
    struct tally *t)
{
	struct sig_result res;
	struct rw_err err;
	int64_t at;
	int rc;

	rw_err_clear(&err);
	rc = sig_cosign_verify(rule_key(e, k)->key, in->payload, in->plen,
	    in->sig_b64, e->req->sig_subject != NULL ? e->req->sig_subject :
	    e->req->digest, &res, &err);
	if (rc != RW_OK)
		return broken(e, rc, &err);
	/* With "rekor_trusted_root", a good signature must also be logged. */
	if (res.verdict == SIG_VALID && rule_key(e, k)->troot != NULL)
		return logged(e, in, k, t, &at);
	if (res.verdict == SIG_VALID)
		return S_TRUSTED;
	if (res.verdict == SIG_WRONG_DIGEST) {
		if (t->other[k][0] == '\0')
			rw_strlcpy(t->other[k], res.digest, sizeof(t->other[k]));
		return S_DIGEST;
	}
	return res.verdict == SIG_BAD_SIGNATURE ? S_UNKNOWN : S_MALFORMED;
}

/*
 * The SET of IN's bundle, verified with a Rekor key of K's trusted root
 * whose window holds the entry's integrated time, and tied to K's public
 * key or (keyless) IN's certificate: S_TRUSTED with *AT set, S_UNLOGGED
 * (noted), or -1.
 */
static int
logged(struct policy_ev *e, const struct policy_sig_input *in, size_t k,
    struct tally *t, int64_t *at)
{
	const struct sig_trustroot *tr = rule_key(e, k)->troot;
	char when[32];
	struct sig_rekor sr;
	struct rw_err err;
	size_t i;
	int rc;

	const struct sig_key *signer = rule_key(e, k)->key;

	if (in->bundle_json == NULL) {
		note(t, k, "the signature has no Rekor bundle");
		return S_UNLOGGED;
	}
	for (i = 0; i < tr->ntlogs; i++) {
		rw_err_clear(&err);
		rc = sig_rekor_verify_set(tr->tlogs[i].key, in->bundle_json,
		    strlen(in->bundle_json), in->sig_b64, in->payload, in->plen,
		    signer == NULL ? in->cert_pem : NULL, signer, &sr, &err);
		if (rc != RW_OK)
			return broken(e, rc, &err);
		if (sr.verdict != SIG_VALID)
			continue;
		rw_time_str(when, sizeof(when), sr.integrated_time);
		if (!sig_window_has(&tr->tlogs[i].valid, sr.integrated_time)) {
			note(t, k, "integrated at %s, outside the validity of "
			    "Rekor key %s", when, sig_key_id(tr->tlogs[i].key));
			continue;
		}
		if (sr.integrated_time > e->now) {
			note(t, k, "integrated at %s, in the future", when);
			continue;
		}
		*at = sr.integrated_time;
		return S_TRUSTED;
	}
	note(t, k, "%s", tr->ntlogs == 0 ? "the trusted root has no Rekor "
	    "key" : sr.reason);
	return S_UNLOGGED;
}

/* The class of a sig_keyless_verify result RES for key K. */
static int
keyless_class(const struct sig_result *res, size_t k, struct tally *t)
{
	if (res->verdict == SIG_VALID)
		return S_TRUSTED;
	note(t, k, "%s", res->reason);
	if (res->verdict == SIG_WRONG_DIGEST) {
		if (t->other[k][0] == '\0')
			rw_strlcpy(t->other[k], res->digest,
			    sizeof(t->other[k]));
		return S_DIGEST;
	}
	if (res->verdict != SIG_BAD_SIGNATURE)
		return S_MALFORMED;
	if (strncmp(res->reason, "certificate identity ", 21) == 0 ||
	    strncmp(res->reason, "certificate OIDC issuer ", 24) == 0)
		return S_IDENTITY;
	return S_CERT;
}

/*
 * A keyless key K against IN: logged in a trusted Rekor, then the Fulcio
 * chain, SCT and identity at the integrated time, with the CAs and CT
 * logs of the trusted root valid then.  Its class, or -1.
 */
static int
by_keyless(struct policy_ev *e, const struct policy_sig_input *in, size_t k,
    struct tally *t)
{
	const struct policy_keyent *ke = rule_key(e, k);
	struct sig_identity id = { ke->subject, ke->subject_regex,
	    ke->issuer };
	struct sig_keyless_trust tr;
	struct sig_result res;
	struct rw_err err;
	char *cas = NULL, *cts = NULL, when[32];
	int64_t at = 0;
	int c, rc;

	if (in->cert_pem == NULL)
		return S_UNKNOWN;	/* key-based: not ours to judge */
	c = logged(e, in, k, t, &at);
	if (c != S_TRUSTED)
		return c;
	rw_time_str(when, sizeof(when), at);
	if (sig_trustroot_pems(ke->troot, 1, at, &cas) != 0 ||
	    sig_trustroot_pems(ke->troot, 0, at, &cts) != 0) {
		rw_err_clear(&err);
		c = broken(e, rw_err_set(&err, RW_ENOMEM, "out of memory"),
		    &err);
		goto out;
	}
	c = S_CERT;
	if (cas == NULL) {
		note(t, k, "no Fulcio CA of the trusted root is valid at %s",
		    when);
		goto out;
	}
	/* Without CT logs in the root, SCTs go unchecked, as in cosign. */
	if (cts == NULL && ke->troot->nctlogs > 0) {
		note(t, k, "no CT log key of the trusted root is valid at %s",
		    when);
		goto out;
	}
	tr.roots_pem = cas;
	tr.roots_len = strlen(cas);
	tr.ctlogs_pem = cts;
	tr.ctlogs_len = cts != NULL ? strlen(cts) : 0;
	rw_err_clear(&err);
	rc = sig_keyless_verify(in->cert_pem, strlen(in->cert_pem),
	    in->chain_pem, in->chain_pem != NULL ? strlen(in->chain_pem) : 0,
	    &tr, &id, at, in->payload, in->plen, in->sig_b64,
	    e->req->sig_subject != NULL ? e->req->sig_subject :
	    e->req->digest, &res, &err);
	c = rc != RW_OK ? broken(e, rc, &err) : keyless_class(&res, k, t);
	/* Whom a trusted CA did certify tells the developer what to fix. */
	if (c == S_IDENTITY && t->who[0] == '\0')
		(void)sig_cert_identity(in->cert_pem, t->who,
		    sizeof(t->who), t->who_issuer, sizeof(t->who_issuer));
out:
	free(cas);
	free(cts);
	return c;
}

/* Whether the leaf SUBJECT is one of notation key KE's identities. */
static int
identity_match(const struct policy_keyent *ke, const char *subject)
{
	size_t i;

	if (ke->nidentities == 0)
		return 1;
	for (i = 0; i < ke->nidentities; i++)
		if (strcmp(ke->identities[i], "*") == 0 ||
		    strcmp(ke->identities[i], subject) == 0)
			return 1;
	return 0;
}

/* Whether the image Q names lies in KE's registry scopes. */
static int
in_scope(const struct policy_keyent *ke, const struct admission_req *q)
{
	size_t i, hl;

	if (ke->nscopes == 0)
		return 1;
	hl = strlen(q->host);
	for (i = 0; i < ke->nscopes; i++)
		if (strcmp(ke->scopes[i], "*") == 0 ||
		    (strncmp(ke->scopes[i], q->host, hl) == 0 &&
		    ke->scopes[i][hl] == '/' &&
		    strcmp(ke->scopes[i] + hl + 1, q->repo) == 0))
			return 1;
	return 0;
}

/* The class of a sig_notation result RES for notation key K. */
static int
notation_class(const struct policy_ev *e, const struct sig_notation_result
    *res, size_t k, struct tally *t)
{
	const struct policy_keyent *ke = rule_key(e, k);

	if (res->verdict == SIG_NOTATION_VALID && res->logged != 0 &&
	    t->by[k] < 0)
		snprintf(t->logged[k], sizeof(t->logged[k]), "verification "
		    "level %s let through: %.*s",
		    ke->level == SIG_NOTATION_AUDIT ? "audit" : "permissive",
		    300, res->logged_reason);
	if (res->verdict == SIG_NOTATION_VALID) {
		/* Trusted identities are authenticity: audit only logs them. */
		if (identity_match(ke, res->subject))
			return S_TRUSTED;
		if (ke->level == SIG_NOTATION_AUDIT) {
			if (t->by[k] < 0 && t->logged[k][0] == '\0')
				snprintf(t->logged[k], sizeof(t->logged[k]),
				    "verification level audit let through: "
				    "signed by %s, not a trusted identity",
				    res->subject);
			return S_TRUSTED;
		}
		note(t, k, "signed by %s, not a trusted identity", res->subject);
		if (t->who[0] == '\0')
			rw_strlcpy(t->who, res->subject, sizeof(t->who));
		return S_IDENTITY;
	}
	note(t, k, "%s", res->reason);
	switch (res->verdict) {
	case SIG_NOTATION_UNTRUSTED:
		return S_NCERT;
	case SIG_NOTATION_WRONG_TARGET:
		return S_DIGEST;
	case SIG_NOTATION_EXPIRED:
		return S_NEXPIRED;
	case SIG_NOTATION_BAD_SIGNATURE:
		return S_UNKNOWN;
	default:
		return S_MALFORMED;
	}
}

/*
 * A Notation envelope IN against notation key K's trust store, for the
 * signed manifest (or the index signed as a whole).  Its class, or -1.
 */
static int
by_notation(struct policy_ev *e, const struct policy_sig_input *in,
    size_t k, struct tally *t)
{
	const struct policy_keyent *ke = rule_key(e, k);
	const struct admission_req *q = e->req;
	const char *subject = q->sig_subject != NULL ? q->sig_subject :
	    q->digest;
	struct sig_notation_result res;
	struct rw_err err;
	int rc;

	if (!in_scope(ke, q)) {
		note(t, k, "%s/%s is outside the registry_scopes of %s",
		    q->host, q->repo, ke->name);
		return S_NCERT;
	}
	rw_err_clear(&err);
	if (strcmp(in->envelope_type, "application/cose") == 0)
		rc = sig_notation_verify_cose((const unsigned char *)
		    in->envelope, in->elen, ke->trust_pem, ke->trust_len,
		    subject, q->manifest_size, q->media_type, e->now,
		    ke->level, &res, &err);
	else
		rc = sig_notation_verify_jws(in->envelope, in->elen,
		    ke->trust_pem, ke->trust_len, subject, q->manifest_size,
		    q->media_type, e->now, ke->level, &res, &err);
	if (rc != RW_OK)
		return broken(e, rc, &err);
	return notation_class(e, &res, k, t);
}

/*
 * A Notation input IN against the rule's notation keys (cosign keys cannot
 * have made it): its class, or -1.  With no notation key to vouch for it,
 * it is by an untrusted certificate.
 */
static int
classify_notation(struct policy_ev *e, const struct policy_sig_input *in,
    size_t idx, struct tally *t)
{
	const struct policy_rule *r = e->r;
	int best = S_NCERT, c, any = 0;
	size_t k;

	if (in->envelope_type == NULL ||
	    (strcmp(in->envelope_type, "application/jose+json") != 0 &&
	    strcmp(in->envelope_type, "application/cose") != 0))
		return S_MALFORMED;
	for (k = 0; k < r->nsig_keys; k++) {
		if (!rule_key(e, k)->notation ||
		    rule_key(e, k)->trust_pem == NULL)
			continue;
		c = by_notation(e, in, k, t);
		if (c < 0)
			return -1;
		if (c == S_TRUSTED) {
			if (t->by[k] < 0) {
				t->by[k] = (long)idx;
				t->nsigned++;
			}
			/* Unlike cosign keys, two trust stores may share a
			 * root: one envelope may satisfy each of them. */
			any = 1;
			continue;
		}
		if (class_rank[c] > class_rank[best])
			best = c;
	}
	return any ? S_TRUSTED : best;
}

/* The class of a sig_bundle_verify result RES for key K. */
static int
bundle_class(const struct sig_bundle_result *res, size_t k, struct tally *t,
    int keyless)
{
	if (res->verdict == SIG_VALID &&
	    strcmp(res->predicate_type, "") != 0 &&
	    strcmp(res->predicate_type, SIG_BUNDLE_COSIGN_SIGN) != 0) {
		/* An attestation by a trusted signer is no approval to run. */
		note(t, k, "a Sigstore bundle attesting %.100s, not a signature",
		    res->predicate_type);
		return S_NOTSIG;
	}
	if (res->verdict == SIG_VALID)
		return S_TRUSTED;
	note(t, k, "%s", res->reason);
	if (res->verdict == SIG_WRONG_DIGEST)
		return S_DIGEST;
	if (res->verdict != SIG_BAD_SIGNATURE)
		return S_MALFORMED;
	switch (res->stage) {
	case SIG_BUNDLE_LOG:
	case SIG_BUNDLE_TIME:
		return S_UNLOGGED;
	case SIG_BUNDLE_SIGNER:
		if (keyless && (strncmp(res->reason, "certificate identity ",
		    21) == 0 || strncmp(res->reason, "certificate OIDC issuer ",
		    24) == 0))
			return S_IDENTITY;
		return keyless ? S_CERT : S_UNKNOWN;
	case SIG_BUNDLE_KIND:
		return S_UNKNOWN;
	default:
		return keyless ? S_CERT : S_UNKNOWN;
	}
}

/*
 * A Sigstore bundle IN (cosign v3) against cosign key K: the bundle's
 * signer, logs and times judged by K's trusted root.  Its class, or -1.
 */
static int
by_bundle(struct policy_ev *e, const struct policy_sig_input *in, size_t k,
    struct tally *t)
{
	const struct policy_keyent *ke = rule_key(e, k);
	struct sig_identity id = { ke->subject, ke->subject_regex,
	    ke->issuer };
	struct sig_bundle_subject subj = { .data = NULL };
	struct sig_bundle_trust tr;
	struct sig_bundle_result res;
	struct rw_err err;
	int c;

	if (ke->troot == NULL) {
		note(t, k, "a Sigstore bundle is checked against a trusted "
		    "root; key %s has no rekor_trusted_root", ke->name);
		return S_UNLOGGED;
	}
	if (rw_sha256_bytes(e->req->sig_subject != NULL ? e->req->sig_subject :
	    e->req->digest, subj.sha256) != 0)
		return S_DIGEST;
	tr.root = ke->troot;
	tr.key = ke->keyless ? NULL : ke->key;
	tr.id = ke->keyless ? &id : NULL;
	tr.now = e->now;
	rw_err_clear(&err);
	if (sig_bundle_verify(in->envelope, in->elen, &tr, &subj, &res, &err)
	    != RW_OK)
		return broken(e, err.code != 0 ? err.code : RW_ECRYPTO, &err);
	c = bundle_class(&res, k, t, ke->keyless);
	/* Whom a trusted CA did certify tells the developer what to fix. */
	if (c == S_IDENTITY && t->who[0] == '\0') {
		rw_strlcpy(t->who, res.who, sizeof(t->who));
		rw_strlcpy(t->who_issuer, res.who_issuer, sizeof(t->who_issuer));
	}
	return c;
}

/* How one cosign key judges one input: a class, or -1. */
typedef int (*judge_fn)(struct policy_ev *, const struct policy_sig_input *,
    size_t, struct tally *);

/* A legacy (.sig tag) cosign layer, by a keyless or a key-based key. */
static int
by_layer(struct policy_ev *e, const struct policy_sig_input *in, size_t k,
    struct tally *t)
{
	return rule_key(e, k)->keyless ? by_keyless(e, in, k, t) :
	    by_key(e, in, k, t);
}

/*
 * Input IN (number IDX) judged by JUDGE with each cosign key of the rule:
 * the first key it verifies with is satisfied.  Its class, or -1.
 */
static int
by_cosign_keys(struct policy_ev *e, const struct policy_sig_input *in,
    size_t idx, struct tally *t, judge_fn judge)
{
	const struct policy_rule *r = e->r;
	int best = S_UNKNOWN, c;
	size_t k;

	for (k = 0; k < r->nsig_keys; k++) {
		if (rule_key(e, k)->notation)
			continue;	/* a cosign signature: not its kind */
		c = judge(e, in, k, t);
		if (c < 0)
			return -1;
		if (c == S_TRUSTED) {
			if (t->by[k] < 0) {
				t->by[k] = (long)idx;
				t->nsigned++;
			}
			/* Keys are distinct (checked at load): no other one
			 * can have made this signature. */
			return S_TRUSTED;
		}
		if (class_rank[c] > class_rank[best])
			best = c;
	}
	return best;
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
	if (in->envelope != NULL && in->envelope_type != NULL &&
	    strncmp(in->envelope_type, SIG_BUNDLE_MEDIA_PREFIX,
	    strlen(SIG_BUNDLE_MEDIA_PREFIX)) == 0)
		return by_cosign_keys(e, in, idx, t, by_bundle);
	if (in->envelope != NULL)
		return classify_notation(e, in, idx, t);
	if (in->media_type == NULL ||
	    strcmp(in->media_type, SIG_COSIGN_MEDIA_TYPE) != 0)
		return S_NOTSIG;
	if (in->payload == NULL || in->sig_b64 == NULL)
		return S_MALFORMED;
	return by_cosign_keys(e, in, idx, t, by_layer);
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
    struct rw_sb *sb)
{
	size_t i, n = 0;

	for (i = 0; i < e->r->nsig_keys; i++)
		if (signed_ < 0 || (t->by[i] >= 0) == signed_)
			rw_sb_add(sb, "%s%s", n++ > 0 ? ", " : "",
			    rule_key(e, i)->name);
}

/* "found 3 signatures: 1 by an unknown key, 2 for another digest" */
static void
found(const struct policy_ev *e, const struct tally *t, struct rw_sb *sb)
{
	const char *colon;
	size_t c, n = 0, k;

	for (k = 0; t->total == 0 && k < e->r->nsig_keys; k++)
		if (!rule_key(e, k)->notation)
			break;
	if (t->total == 0 && k == e->r->nsig_keys) {
		rw_sb_add(sb, "the image has no Notation signature (no "
		    "referrer of type application/vnd.cncf.notary.signature)");
		return;
	}
	if (t->total == 0) {
		/* The tag cosign writes: the digest with '-' for ':'. */
		colon = strchr(e->digest, ':');
		rw_sb_add(sb, "the image has no cosign signature (no "
		    "%.*s-%s.sig tag nor Sigstore bundle referrer in the "
		    "repository)", colon != NULL ?
		    (int)(colon - e->digest) : 0, e->digest, colon != NULL ?
		    colon + 1 : e->digest);
		return;
	}
	rw_sb_add(sb, "found %zu signature%s", t->total,
	    t->total == 1 ? "" : "s");
	if (t->total > t->examined)
		rw_sb_add(sb, " (only the first %zu examined)", t->examined);
	for (c = 0; c < S_NCLASS; c++) {
		if (t->n[c] == 0)
			continue;
		rw_sb_add(sb, "%s%zu %s", n++ > 0 ? ", " : ": ", t->n[c],
		    class_words[c]);
		if (c != S_IDENTITY || t->who[0] == '\0')
			continue;
		rw_sb_add(sb, ": ");
		rw_sb_safe(sb, t->who, POLICY_SHOW_ITEM);
		if (t->who_issuer[0] != '\0') {
			rw_sb_add(sb, " via ");
			rw_sb_safe(sb, t->who_issuer, POLICY_SHOW_ITEM);
		}
	}
}

/* The key a developer should sign with next: the first one missing. */
static const struct policy_keyent *
next_key(const struct policy_ev *e, const struct tally *t)
{
	size_t i;

	for (i = 0; i < e->r->nsig_keys; i++)
		if (t->by[i] < 0)
			return rule_key(e, i);
	return rule_key(e, 0);
}

/* The command that would add the missing signature, into SB. */
static void
advice(const struct policy_ev *e, const struct tally *t, struct rw_sb *sb)
{
	const struct policy_keyent *ke = next_key(e, t);

	if (ke->notation) {
		rw_sb_add(sb, ". Sign it with notation sign %s@%s using a "
		    "certificate under %s's trust store", e->name, e->digest,
		    ke->name);
		return;
	}
	if (!ke->keyless) {
		rw_sb_add(sb, ". Sign it: regwarden sign --key <%s key> "
		    "%s@%s", ke->name, e->name, e->digest);
		return;
	}
	/* An identity is proven to Fulcio by logging in, not by a key file. */
	rw_sb_add(sb, ". Sign it as ");
	rw_sb_safe(sb, ke->subject != NULL ? ke->subject :
	    ke->subject_regex, POLICY_SHOW_ITEM);
	rw_sb_add(sb, " via ");
	rw_sb_safe(sb, ke->issuer, POLICY_SHOW_ITEM);
	rw_sb_add(sb, ": cosign sign %s@%s", e->name, e->digest);
}

/* What the rule asked for and what it got, when more than one key must sign. */
static void
quorum(const struct policy_ev *e, const struct tally *t, int need,
    int failed, struct rw_sb *sb)
{
	const struct policy_rule *r = e->r;

	if (!failed) {
		rw_sb_add(sb, "signed by %zu keys trusted for %s (",
		    t->nsigned, r->match[e->pat]);
		key_names(e, t, 1, sb);
		rw_sb_add(sb, "), %d required", need);
		return;
	}
	rw_sb_add(sb, "signed by %zu of the %d required keys", t->nsigned,
	    need);
	if (t->nsigned > 0) {
		rw_sb_add(sb, " (");
		key_names(e, t, 1, sb);
		rw_sb_add(sb, ")");
	}
	if ((size_t)need < r->nsig_keys) {
		rw_sb_add(sb, " among ");
		key_names(e, t, -1, sb);
		rw_sb_add(sb, "; needs %zu more of: ", (size_t)need -
		    t->nsigned);
	} else
		rw_sb_add(sb, "; missing: ");
	key_names(e, t, 0, sb);
}

/* What the rule asked for, met or not. */
static void
requirement(const struct policy_ev *e, const struct tally *t, int need,
    int failed, struct rw_sb *sb)
{
	const struct policy_rule *r = e->r;

	if (need > 1)
		quorum(e, t, need, failed, sb);
	else if (failed) {
		rw_sb_add(sb, "no signature by any key trusted for %s "
		    "(trusted: ", r->match[e->pat]);
		key_names(e, t, -1, sb);
		rw_sb_add(sb, ")");
	} else {
		rw_sb_add(sb, "signed by a key trusted for %s (",
		    r->match[e->pat]);
		key_names(e, t, 1, sb);
		rw_sb_add(sb, ")");
	}
}

/*
 * The reason, with the command that fixes it kept whole: when names are
 * long, the list of what was found is cut ("...") rather than the advice.
 */
static void
summary(struct policy_ev *e, const struct tally *t, int need, int failed)
{
	char fix[sizeof(e->name) + RW_DIGEST_MAX * 4 + POLICY_NAME_MAX +
	    POLICY_SHOW_ITEM * 8 + 64];
	char body[sizeof(((struct verdict_reason *)0)->text)];
	struct rw_sb sb, rb;
	size_t room;

	rw_sb_init(&sb, fix, sizeof(fix));
	if (failed)
		advice(e, t, &sb);
	room = sb.len + 64 < sizeof(body) ? sizeof(body) - sb.len : 64;
	rw_sb_init(&sb, body, room);
	requirement(e, t, need, failed, &sb);
	rw_sb_add(&sb, "; ");
	found(e, t, &sb);
	rw_sb_finish(&sb);
	policy_reason(e, &rb, "signatures", failed);
	rw_sb_add(&rb, "%s%s", body, fix);
	rw_sb_finish(&rb);
}

/* What key KE is, after its name: "(sha256:...)", "(keyless x via y)". */
static void
key_what(const struct policy_keyent *ke, struct rw_sb *sb)
{
	size_t i;

	if (ke->notation) {
		rw_sb_add(sb, " (Notation trust store %s", ke->root_digest);
		for (i = 0; i < ke->nidentities; i++) {
			rw_sb_add(sb, i == 0 ? ", identities " : "; ");
			rw_sb_safe(sb, ke->identities[i], POLICY_SHOW_ITEM);
		}
		rw_sb_add(sb, ")");
		return;
	}
	if (!ke->keyless) {
		rw_sb_add(sb, " (%s)", sig_key_id(ke->key));
		return;
	}
	rw_sb_add(sb, " (keyless ");
	if (ke->subject != NULL)
		rw_sb_safe(sb, ke->subject, POLICY_SHOW_ITEM);
	else {
		rw_sb_add(sb, "matching ");
		rw_sb_safe(sb, ke->subject_regex, POLICY_SHOW_ITEM);
	}
	rw_sb_add(sb, " via ");
	rw_sb_safe(sb, ke->issuer, POLICY_SHOW_ITEM);
	rw_sb_add(sb, ")");
}

/* One reason per trusted key, for explain; never repeated in messages. */
static void
per_key(struct policy_ev *e, const struct tally *t, int need, int failed)
{
	const struct policy_keyent *ke;
	const struct policy_sig_input *in;
	struct rw_sb sb;
	size_t i;

	for (i = 0; i < e->r->nsig_keys; i++) {
		ke = rule_key(e, i);
		policy_detail(e, &sb, "signatures.key", t->by[i] < 0 &&
		    failed);
		if (t->by[i] >= 0) {
			in = &e->req->sigs[t->by[i]];
			rw_sb_add(&sb, "signed by key %s", ke->name);
			key_what(ke, &sb);
			if (in->origin != NULL && in->origin[0] != '\0') {
				rw_sb_add(&sb, ", signature ");
				rw_sb_safe(&sb, in->origin, SHOW_ORIGIN);
			}
			if (t->logged[i][0] != '\0')
				rw_sb_add(&sb, "; %s", t->logged[i]);
		} else {
			rw_sb_add(&sb, "no signature by key %s", ke->name);
			key_what(ke, &sb);
			if (t->other[i][0] != '\0')
				rw_sb_add(&sb, "; it signed %s instead",
				    t->other[i]);
			else if (t->note[i][0] != '\0')
				rw_sb_add(&sb, "; %s", t->note[i]);
			if (!failed)
				rw_sb_add(&sb, "; not needed (%d of %zu "
				    "required)", need, e->r->nsig_keys);
		}
		rw_sb_finish(&sb);
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
