/* decide_gather.c - the facts a rule needs, fetched and read: configs, platforms, signatures, attestations, scan verdicts. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split from decide.c, which plans nothing itself: it asks decide_plan for
 * the fetches, runs decide_gather until they are in, and evaluates.  What
 * the two share (struct decide_ctx) is in decide_int.h.
 */
#include "server/decide_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db/db.h"
#include "policy/sig/sig.h"
#include "server/facts.h"
#include "server/facts_content.h"
#include "server/internal.h"
#include "scanreport/scanreport.h"

#define CONFIG_CAP	(8 * 1024 * 1024)	/* image config blobs */

static const char ALL_MANIFEST_TYPES[] = "Accept: "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

/* -------------------------------------------------- attested scans */

/*
 * "as_scan": the scan report of a verified vulnerability attestation is
 * stored as this digest's scan verdict (marked in its artifact as attested
 * by the key), so that the rule's "scan" section judges it as it judges an
 * imported report.  The attestation names the digest: it is added to the
 * digests the report itself names.  Stored once per report (db_scan_put
 * is idempotent by report digest).
 */
int
decide_att_scan(struct request *rq, const struct admission_req *q,
    struct rw_err *err)
{
	struct scanreport sr;
	struct db_scan_report r;
	const char *digests[SCANREPORT_MAX_DIGESTS + 1];
	int kinds[SCANREPORT_MAX_DIGESTS + 1];
	char signer[128], artifact[600], *report = NULL;
	size_t len = 0, i;
	int rc;

	rc = policy_att_scan(rq->ph->p, q, &report, &len, signer,
	    sizeof(signer), err);
	if (rc <= 0)
		return rc;
	memset(&sr, 0, sizeof(sr));
	rc = scanreport_parse(report, len, &sr, err);
	free(report);
	if (rc != RW_OK) {
		/* A signed report we cannot read is no verdict: unscanned. */
		scanreport_cleanup(&sr);
		return RW_OK;
	}
	r = *scanreport_report(&sr);
	for (i = 0; i < r.ndigests && i < SCANREPORT_MAX_DIGESTS; i++) {
		digests[i] = r.digests[i];
		kinds[i] = r.digest_kinds[i];
	}
	digests[i] = rq->digest;
	kinds[i] = DB_DIGEST_MANIFEST;
	r.digests = digests;
	r.digest_kinds = kinds;
	r.ndigests = i + 1;
	snprintf(artifact, sizeof(artifact), "attested by %s: %.500s", signer,
	    r.artifact != NULL ? r.artifact : "");
	r.artifact = artifact;
	rc = db_scan_put(rq->srv->db, &r, (int64_t)time(NULL), NULL, NULL, err);
	scanreport_cleanup(&sr);
	return rc;
}


/* ------------------------------------------------------------ gathering */

int
decide_is_index(const char *mt)
{
	return strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
	    strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json")
	    == 0;
}

/* Buildkit lists its attestations in an index as unknown/unknown. */
static int
attestation_entry(const struct policy_platform *p)
{
	return p->os != NULL && strcmp(p->os, "unknown") == 0;
}

/* The config digest a manifest names, or "" when it names none. */
static void
config_digest_of(const char *body, size_t len, char *out, size_t size)
{
	json_t *root, *cfg;

	out[0] = '\0';
	root = json_loadb(body, len, 0, NULL);
	cfg = json_object_get(json_object_get(root, "config"), "digest");
	if (json_is_string(cfg))
		rw_strlcpy(out, json_string_value(cfg), size);
	json_decref(root);
}

static void
add_job(struct decide_ctx *dx, int kind, int child, const char *digest)
{
	struct job *j;

	/* Sized for every plan (MAX_JOBS); if that ever breaks, decide
	 * nothing rather than less. */
	if (dx->njobs >= MAX_JOBS) {
		dx->overflow = 1;
		return;
	}
	j = &dx->jobs[dx->njobs++];
	j->kind = kind;
	j->child = child;
	rw_strlcpy(j->digest, digest != NULL ? digest : "", sizeof(j->digest));
}

/* Plan the fetches the rule needs.  Returns RW_OK, or an error with ERR
 * set when the facts cannot be planned (an index with too many platforms). */
int
decide_plan(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
{
	char cfg[RW_DIGEST_MAX];
	size_t i;

	if (rq->write_op && (dx->needs & POLICY_NEED_TAG_DIGEST) &&
	    decide_req_tag(rq) != NULL)
		add_job(dx, JOB_TAG_DIGEST, -1, NULL);
	if (dx->needs & POLICY_NEED_SIGS) {
		add_job(dx, JOB_SIG_MANIFEST, -1, NULL);
		add_job(dx, JOB_REF_API, -1, NULL);	/* Notation, OCI 1.1 */
	}
	if (dx->needs & POLICY_NEED_ATTS)
		add_job(dx, JOB_ATT_MANIFEST, -1, NULL);
	/* cosign v3 attaches attestations as Sigstore bundle referrers. */
	if ((dx->needs & POLICY_NEED_ATTS) && !(dx->needs & POLICY_NEED_SIGS))
		add_job(dx, JOB_REF_API, -1, NULL);
	if ((dx->needs & POLICY_NEED_CONTENT) && !decide_is_index(rq->mtype)) {
		if (facts_content_layers(rq->mbody, rq->mlen, &dx->fc,
		    err) != RW_OK)
			return err->code;
		dx->want_content = 1;
	}
	if (decide_is_index(rq->mtype)) {
		if (facts_platforms_parse(rq->mbody, rq->mlen, &dx->plats,
		    err) != RW_OK)
			return err->code;
		dx->have_plats = 1;
		if (!(dx->needs & (POLICY_NEED_CONFIG | POLICY_NEED_CONTENT)))
			return RW_OK;
		if (dx->plats.n > MAX_CHILDREN)
			return rw_err_set(err, RW_ETOOBIG, "the index lists %zu "
			    "platforms; at most %d are checked", dx->plats.n,
			    MAX_CHILDREN);
		/* An index has no layers of its own: each platform's
		 * manifest names them (job_child). */
		dx->want_content = (dx->needs & POLICY_NEED_CONTENT) != 0;
		for (i = 0; i < dx->plats.n; i++)
			if ((dx->needs & POLICY_NEED_CONFIG) ||
			    !attestation_entry(&dx->plats.p[i]))
				add_job(dx, JOB_CHILD, (int)i,
				    dx->plats.digest[i]);
		return RW_OK;
	}
	if (!(dx->needs & POLICY_NEED_CONFIG))
		return RW_OK;
	config_digest_of(rq->mbody, rq->mlen, cfg, sizeof(cfg));
	if (cfg[0] != '\0')
		add_job(dx, JOB_CONFIG, -1, cfg);
	return RW_OK;
}

/* Start the upstream fetch for job J. */
static int
start_job(struct request *rq, const struct job *j)
{
	char url[ROUTE_NAME_MAX + 1024];
	int blob;
	const char *r = rq->rt.name, *base = rq->rt.up->url;

	if (j->kind == JOB_CONFIG)
		snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", base, r,
		    j->digest);
	else if (j->kind == JOB_CHILD)
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", base, r,
		    j->digest);
	else if (j->kind == JOB_SIG_MANIFEST)	/* cosign's tag scheme */
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/sha256-%s.sig",
		    base, r, (j->digest[0] != '\0' ? j->digest : rq->digest) + 7);
	else if (j->kind == JOB_ATT_MANIFEST)	/* cosign attest's tag */
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/sha256-%s.att",
		    base, r, rq->digest + 7);
	else if (j->kind == JOB_SIG_BLOB || j->kind == JOB_NOTARY_BLOB ||
	    j->kind == JOB_ATT_BLOB)
		snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", base, r,
		    j->digest);
	else if (j->kind == JOB_REF_API)
		/* Notation and Sigstore bundles: filtered here, not there. */
		snprintf(url, sizeof(url), "%s/v2/%s/referrers/%s", base, r,
		    rq->digest);
	else if (j->kind == JOB_REF_TAG)	/* the referrers tag schema */
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/sha256-%s", base,
		    r, rq->digest + 7);
	else if (j->kind == JOB_NOTARY_MANIFEST)
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", base, r,
		    j->digest);
	else
		snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", base, r,
		    rq->rt.ref);
	blob = j->kind == JOB_CONFIG || j->kind == JOB_SIG_BLOB ||
	    j->kind == JOB_NOTARY_BLOB || j->kind == JOB_ATT_BLOB;
	/* An envelope is read up to the size its descriptor declared. */
	rq->aux = proxy_start_aux(rq, j->kind == JOB_TAG_DIGEST ? "HEAD" :
	    "GET", url, j->kind == JOB_CONFIG ? CONFIG_CAP :
	    j->kind == JOB_ATT_BLOB ? rq->dx->att[j->child].size + 1 :
	    j->kind == JOB_NOTARY_BLOB ? rq->dx->sig[j->child].size + 1 :
	    blob ? FACTS_SIG_BLOB_CAP + 1 : rq->cfg->max_manifest_bytes + 1,
	    blob ? NULL : ALL_MANIFEST_TYPES, blob);
	return rq->aux != NULL ? RW_OK : RW_EUPSTREAM;
}

static int
job_config(struct decide_ctx *dx, const struct job *j, const char *body,
    size_t len, struct rw_err *err)
{
	char got[RW_DIGEST_MAX];
	struct facts_image *fi;

	if (rw_digest(rw_hash_alg_of(j->digest) != 0 ?
	    rw_hash_alg_of(j->digest) : RW_HASH_SHA256, body, len, got) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (strcmp(got, j->digest) != 0)
		return rw_err_set(err, RW_EDIGEST, "the image config %s from "
		    "upstream hashes to %s", j->digest, got);
	fi = j->child >= 0 ? &dx->child_img[j->child] : &dx->img;
	if (facts_image_parse(body, len, fi, err) != RW_OK)
		return err->code;
	if (j->child < 0)
		dx->have_img = 1;
	else
		dx->pl[j->child].image = &fi->img;
	return RW_OK;
}

static int
job_child(struct request *rq, struct decide_ctx *dx, const struct job *j,
    const char *body, size_t len, struct rw_err *err)
{
	struct mcache_ref *refs = NULL;
	const struct mcache_entry *e;
	char got[RW_DIGEST_MAX], mt[256], cfg[RW_DIGEST_MAX];
	size_t n = 0;

	if (rw_digest(RW_HASH_SHA256, body, len, got) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (strcmp(got, j->digest) != 0)
		return rw_err_set(err, RW_EDIGEST, "platform manifest %s from "
		    "upstream hashes to %s", j->digest, got);
	if (mcache_manifest_refs(body, len, &refs, &n, mt, sizeof(mt),
	    err) != RW_OK)
		return err->code;
	/* Keep it: the client fetches it next, and the blob gate needs its
	 * references. */
	e = mcache_put(rq->srv->mc, rq->rt.up->name, rq->rt.name, got,
	    mt[0] != '\0' ? mt : "application/vnd.oci.image.manifest.v1+json",
	    body, len, refs, n, (int64_t)time(NULL));
	mcache_release(e);
	free(refs);
	if (dx->want_content && !attestation_entry(&dx->plats.p[j->child]) &&
	    facts_content_layers(body, len, &dx->cfc[j->child], err) != RW_OK)
		return err->code;
	if (!(dx->needs & POLICY_NEED_CONFIG))
		return RW_OK;
	config_digest_of(body, len, cfg, sizeof(cfg));
	if (cfg[0] == '\0')
		return rw_err_set(err, RW_EPARSE, "platform manifest %s names "
		    "no image config", j->digest);
	add_job(dx, JOB_CONFIG, j->child, cfg);
	return RW_OK;
}

/* ---------------------------------------------------- cosign signatures */

/* sha256-<hex>.sig: 404 means unsigned; each layer is one signature. */
static int
job_sig_manifest(struct request *rq, struct decide_ctx *dx, long st,
    const char *body, size_t len, struct rw_err *err)
{
	struct rw_err perr;
	size_t i, n;

	dx->sigs_gathered = 1;
	/* A platform manifest of an index signed as a whole: the index's
	 * signatures admit it. */
	rw_err_clear(&perr);
	if (st == 404 && dx->sig_subject[0] == '\0' &&
	    rw_hash_alg_of(rq->digest) == RW_HASH_SHA256 &&
	    db_parent_of(rq->srv->db, rq->rt.up->name, rq->rt.name, rq->digest,
	    dx->sig_subject, sizeof(dx->sig_subject), &perr) == RW_OK) {
		add_job(dx, JOB_SIG_MANIFEST, -1, dx->sig_subject);
		return RW_OK;
	}
	if (st == 404)
		return RW_OK;
	if (st != 200)
		return rw_err_set(err, RW_EUPSTREAM, "upstream answered %ld for "
		    "the signature tag of %s", st, rq->digest);
	/* Each layer's payload blob is fetched next. */
	n = facts_sig_layers(body, len, &dx->sig[dx->nsig],
	    (size_t)(FACTS_SIG_MAX - dx->nsig));
	for (i = (size_t)dx->nsig; i < (size_t)dx->nsig + n; i++)
		if (dx->sig[i].digest[0] != '\0')
			add_job(dx, JOB_SIG_BLOB, (int)i, dx->sig[i].digest);
	dx->nsig += (int)n;
	return RW_OK;
}

/* A signed payload or a referrer's envelope: kept only when its bytes hash
 * to the digest its descriptor names. */
static int
job_sig_blob(struct decide_ctx *dx, const struct job *j, long st,
    const char *body, size_t len, struct rw_err *err)
{
	if (st != 200)
		return RW_OK;	/* unusable: judged without it */
	return facts_sig_blob(&dx->sig[j->child], body, len, err);
}

/* -------------------------------------------------- cosign attestations */

/* sha256-<hex>.att: 404 means none; each layer is one DSSE envelope. */
static int
job_att_manifest(struct request *rq, struct decide_ctx *dx, long st,
    const char *body, size_t len, struct rw_err *err)
{
	size_t i, n;

	dx->atts_gathered = 1;
	if (st == 404)
		return RW_OK;
	if (st != 200)
		return rw_err_set(err, RW_EUPSTREAM, "upstream answered %ld for "
		    "the attestation tag of %s", st, rq->digest);
	n = facts_att_layers(body, len, dx->att, FACTS_ATT_MAX,
	    rq->cfg->att_max_bytes);
	for (i = 0; i < n; i++) {
		snprintf(dx->att[i].origin, sizeof(dx->att[i].origin),
		    "attestation layer %zu", i + 1);
		if (dx->att[i].digest[0] != '\0')
			add_job(dx, JOB_ATT_BLOB, (int)i, dx->att[i].digest);
	}
	dx->natt = (int)n;
	return RW_OK;
}

/* ---------------------------------------------------- Notation signatures */

/*
 * The referrers of the digest (the OCI 1.1 API, else the tag-schema
 * fallback `sha256-<hex>` when the API answers 404): the Notation signature
 * manifests among them are fetched next.
 */
static int
job_referrers(struct request *rq, struct decide_ctx *dx, const struct job *j,
    long st, const char *body, size_t len, struct rw_err *err)
{
	char d[FACTS_REFERRERS_MAX][RW_DIGEST_MAX];
	size_t i, n;

	if (st == 404 && j->kind == JOB_REF_API) {
		add_job(dx, JOB_REF_TAG, -1, NULL);
		return RW_OK;
	}
	if (st == 404)
		return RW_OK;		/* no referrers */
	if (st != 200)
		return rw_err_set(err, RW_EUPSTREAM, "upstream answered %ld for "
		    "the referrers of %s", st, rq->digest);
	n = facts_sig_referrers(body, len, d,
	    (size_t)(FACTS_REFERRERS_MAX - dx->nnotary));
	for (i = 0; i < n; i++)
		add_job(dx, JOB_NOTARY_MANIFEST, -1, d[i]);
	dx->nnotary += (int)n;
	return RW_OK;
}

/*
 * The largest Sigstore bundle referrer fetched: a signature's cap, or for a
 * rule with attestations, the attestation cap up to what the bundle
 * verifier reads.
 */
static size_t
bundle_cap(const struct request *rq, const struct decide_ctx *dx)
{
	size_t cap = rq->cfg->att_max_bytes;

	if (!(dx->needs & POLICY_NEED_ATTS))
		return FACTS_SIG_BLOB_CAP;
	return cap < SIG_BUNDLE_MAX ? cap : SIG_BUNDLE_MAX;
}

/* A Notation or Sigstore bundle referrer: its one layer is the envelope. */
static int
job_notary_manifest(const struct request *rq, struct decide_ctx *dx,
    const struct job *j, long st, const char *body, size_t len)
{
	struct facts_sig *s = &dx->sig[dx->nsig];

	if (st != 200 || dx->nsig >= FACTS_SIG_MAX ||
	    !facts_att_referrer(body, len, j->digest, rq->digest, s,
	    bundle_cap(rq, dx)))
		return RW_OK;	/* unusable: not counted */
	if (s->digest[0] != '\0')
		add_job(dx, JOB_NOTARY_BLOB, dx->nsig, s->digest);
	dx->nsig++;
	return RW_OK;
}

static int
job_done(struct request *rq, struct decide_ctx *dx, const struct job *j,
    struct rw_err *err)
{
	char why[XFER_ERRMSG_MAX], d[RW_DIGEST_MAX + 8];
	const char *body;
	size_t len;
	long st;

	why[0] = '\0';
	if (xfer_failed(rq->aux, why, sizeof(why)) && !xfer_too_big(rq->aux))
		return rw_err_set(err, RW_EUPSTREAM, "upstream %s could not be "
		    "reached: %s", rq->rt.up->name, why);
	if (xfer_too_big(rq->aux) && (j->kind == JOB_SIG_BLOB ||
	    j->kind == JOB_NOTARY_BLOB || j->kind == JOB_NOTARY_MANIFEST ||
	    j->kind == JOB_ATT_BLOB))
		return RW_OK;	/* too large to be a signature: malformed */
	if (xfer_too_big(rq->aux))
		return rw_err_set(err, RW_ETOOBIG, "%s %s is too large",
		    j->kind == JOB_CONFIG ? "the image config" : "manifest",
		    j->digest);
	st = xfer_status(rq->aux);
	body = xfer_body(rq->aux, &len);
	if (j->kind == JOB_TAG_DIGEST) {
		if (st == 404)
			return RW_OK;
		if (st != 200 || xfer_header(rq->aux, "Docker-Content-Digest",
		    d, sizeof(d)) <= 0)
			return rw_err_set(err, RW_EUPSTREAM, "upstream answered "
			    "%ld when asked what tag %s points to", st,
			    rq->rt.ref);
		rw_strlcpy(dx->tag_digest, d, sizeof(dx->tag_digest));
		dx->have_tag_digest = 1;
		return RW_OK;
	}
	if (j->kind == JOB_SIG_MANIFEST)
		return job_sig_manifest(rq, dx, st, body, len, err);
	if (j->kind == JOB_REF_API || j->kind == JOB_REF_TAG)
		return job_referrers(rq, dx, j, st, body, len, err);
	if (j->kind == JOB_NOTARY_MANIFEST)
		return job_notary_manifest(rq, dx, j, st, body, len);
	if (j->kind == JOB_SIG_BLOB || j->kind == JOB_NOTARY_BLOB)
		return job_sig_blob(dx, j, st, body, len, err);
	if (j->kind == JOB_ATT_MANIFEST)
		return job_att_manifest(rq, dx, st, body, len, err);
	if (j->kind == JOB_ATT_BLOB)
		return st == 200 ? facts_sig_blob(&dx->att[j->child], body, len,
		    err) : RW_OK;
	if (st != 200)
		return rw_err_set(err, RW_EUPSTREAM, "upstream answered %ld for "
		    "%s %s", st, j->kind == JOB_CONFIG ? "the image config" :
		    "platform manifest", j->digest);
	return j->kind == JOB_CONFIG ? job_config(dx, j, body, len, err) :
	    job_child(rq, dx, j, body, len, err);
}

/*
 * Before an envelope is fetched, its declared size is taken from the
 * process's attestation budget, and held until the request is done (the
 * transfer's buffer, then the copy policy_eval reads).  When the budget
 * has no room, the decision fails closed with 503: refusing is safe,
 * running out of memory is not.
 */
static int
att_take(struct request *rq, struct decide_ctx *dx, const struct job *j,
    struct rw_err *err)
{
	const struct facts_sig *s = j->kind == JOB_ATT_BLOB ?
	    &dx->att[j->child] : &dx->sig[j->child];
	size_t n = s->size;

	if (n > rq->cfg->att_budget)
		return rw_err_set(err, RW_ETOOBIG, "%s (%zu bytes) is larger "
		    "than attestations.memory_bytes (%zu bytes); raise it to "
		    "read this image's attestations", s->origin, n,
		    rq->cfg->att_budget);
	if (!rw_budget_take(&rq->srv->att_bytes, n, rq->cfg->att_budget))
		return rw_err_set(err, RW_EBUSY, "%s (%zu bytes) does not fit "
		    "in attestations.memory_bytes (%zu bytes) beside the "
		    "envelopes other pulls hold; try again shortly",
		    s->origin, n, rq->cfg->att_budget);
	dx->att_held += n;
	return RW_OK;
}

/*
 * Whether job J fetches an attestation-sized envelope, which the budget
 * counts: every .att layer, and a bundle referrer past a signature's cap
 * (one only attestations may be).
 */
static int
att_sized(const struct decide_ctx *dx, const struct job *j)
{
	return j->kind == JOB_ATT_BLOB || (j->kind == JOB_NOTARY_BLOB &&
	    dx->sig[j->child].size > FACTS_SIG_BLOB_CAP);
}

/*
 * Run the planned fetches one after another.  Returns S_NEXT when every
 * fact is in, S_PARKED while a fetch is under way, or S_FAIL with ERR set.
 */
int
decide_gather(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
{
	const struct job *j;
	int rc;

	while (dx->next < dx->njobs) {
		j = &dx->jobs[dx->next];
		if (rq->aux == NULL && att_sized(dx, j) &&
		    att_take(rq, dx, j, err) != RW_OK)
			return S_FAIL;
		if (rq->aux == NULL && start_job(rq, j) != RW_OK)
			return rw_err_set(err, RW_EUPSTREAM, "cannot start an "
			    "upstream request: %s", rq->note), S_FAIL;
		if (!xfer_wait_done(rq->aux))
			return S_PARKED;
		rc = job_done(rq, dx, j, err);
		xfer_release(rq->aux);
		rq->aux = NULL;
		if (rc != RW_OK)
			return S_FAIL;
		dx->next++;
	}
	if (dx->overflow)
		return rw_err_set(err, RW_ETOOBIG, "more upstream fetches than "
		    "one decision may make (%d)", MAX_JOBS), S_FAIL;
	return S_NEXT;
}

/* ------------------------------------------------------- scan verdicts */

/*
 * The scan verdict of the image: the newest report naming its manifest,
 * its config or the index it was pulled through (reports name any of
 * them), and the exceptions of the store and of the policy file.
 */
static int	exceptions(struct request *rq, struct decide_ctx *dx,
		    struct rw_err *err);

/*
 * scan.grace_days: when the image was first admitted in this repository,
 * and when each finding of the report first appeared for it.
 */
static int
grace_facts(struct request *rq, struct decide_ctx *dx,
    const char *const *digests, size_t n, struct rw_err *err)
{
	char host[256];
	int rc;

	decide_host(rq->rt.up, host, sizeof(host));
	rc = db_admitted_first(rq->srv->db, host, rq->rt.name, rq->digest,
	    &dx->first_admitted, err);
	if (rc == RW_ENOTFOUND)
		return RW_OK;	/* never admitted: no grace */
	if (rc != RW_OK)
		return rc;
	dx->seen = calloc(dx->scanv.nfindings + 1, sizeof(*dx->seen));
	if (dx->seen == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return db_scan_first_seen(rq->srv->db, digests, n, &dx->scanv,
	    dx->seen, err);
}

int
decide_scan_facts(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
{
	const char *digests[4];
	char cfg[RW_DIGEST_MAX], parent[RW_DIGEST_MAX];
	size_t n = 0, i, nf;
	int rc;

	digests[n++] = rq->digest;
	config_digest_of(rq->mbody, rq->mlen, cfg, sizeof(cfg));
	if (cfg[0] != '\0')
		digests[n++] = cfg;
	if (db_parent_of(rq->srv->db, rq->rt.up->name, rq->rt.name, rq->digest,
	    parent, sizeof(parent), err) == RW_OK)
		digests[n++] = parent;
	rc = db_scan_latest(rq->srv->db, digests, n, &dx->scanv, err);
	if (rc != RW_OK && rc != RW_ENOTFOUND)
		return rc;
	if (rc == RW_OK) {
		nf = dx->scanv.nfindings;
		dx->pf = calloc(nf + 1, sizeof(*dx->pf));
		if (dx->pf == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		for (i = 0; i < nf; i++) {
			const struct db_finding *f = &dx->scanv.findings[i];
			dx->pf[i].id = f->id;
			dx->pf[i].pkg = f->pkg;
			dx->pf[i].installed = f->installed;
			dx->pf[i].fixed = f->fixed;
			dx->pf[i].severity = f->severity;
			dx->pf[i].fixable = f->fixable;
		}
		if ((dx->needs & POLICY_NEED_GRACE) && grace_facts(rq, dx,
		    digests, n, err) != RW_OK)
			return err->code;
		dx->ps.scanner = dx->scanv.scanner;
		dx->ps.scanner_version = dx->scanv.scanner_version;
		dx->ps.db_version = dx->scanv.db_version;
		dx->ps.scanned_at = dx->scanv.scanned_at;
		dx->ps.f = dx->pf;
		dx->ps.nf = nf;
		if (facts_scan_secrets(&dx->scanv, &dx->psec, err) != RW_OK)
			return err->code;
		dx->ps.s = dx->psec;
		dx->ps.ns = dx->scanv.nsecrets;
		dx->have_scan = 1;
	}
	return exceptions(rq, dx, err);
}

static int
exceptions(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
{
	if (db_exceptions_for(rq->srv->db, &dx->dbx, &dx->ndbx, err) != RW_OK)
		return err->code;
	return facts_exceptions(dx->dbx, dx->ndbx, rq->ph->p, &dx->px,
	    &dx->npx, err);
}
