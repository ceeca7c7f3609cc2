/* decide.c - admission at the proxy: gather the facts a rule needs, evaluate, record, answer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "db/db.h"
#include "policy/sig/sig.h"
#include "server/auditq.h"
#include "server/facts.h"
#include "server/facts_content.h"
#include "server/inspector.h"
#include "server/scanner.h"
#include "scanreport/scanreport.h"

#define CONFIG_CAP	(8 * 1024 * 1024)	/* image config blobs */
#define MAX_CHILDREN	32			/* platforms gathered per index */

static const char ALL_MANIFEST_TYPES[] = "Accept: "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

enum job_kind { JOB_CONFIG = 1, JOB_CHILD, JOB_TAG_DIGEST, JOB_SIG_MANIFEST,
	JOB_SIG_BLOB, JOB_REF_API, JOB_REF_TAG, JOB_NOTARY_MANIFEST,
	JOB_NOTARY_BLOB, JOB_ATT_MANIFEST, JOB_ATT_BLOB };

/*
 * Every fetch one evaluation may plan, so that none is ever dropped: the
 * tag's digest and the config; per platform its manifest and config; two
 * signature tags (the image's, its index's); one blob per signature; the
 * referrers (API, fallback tag) with a manifest and a blob each; the
 * attestation tag and one blob per attestation.
 */
#define MAX_JOBS	(2 + 2 * MAX_CHILDREN + 2 + FACTS_SIG_MAX + 2 + \
			    2 * FACTS_REFERRERS_MAX + 1 + FACTS_ATT_MAX)

struct job {
	int	 kind;
	int	 child;			/* platform index, or -1 */
	char	 digest[RW_DIGEST_MAX];
};

/* What one evaluation gathers; lives while the request is deciding. */
struct decide_ctx {
	unsigned		 needs;
	struct job		 jobs[MAX_JOBS];
	int			 njobs, next;
	int			 overflow;	/* a job did not fit */
	struct facts_image	 img;
	int			 have_img;
	struct facts_platforms	 plats;
	int			 have_plats;
	struct facts_image	 child_img[MAX_CHILDREN];
	struct policy_platform	 pl[MAX_CHILDREN];
	char			 pin[RW_DIGEST_MAX];
	int			 have_pin;
	char			 tag_digest[RW_DIGEST_MAX];
	int			 have_tag_digest;
	/* scan verdict and exceptions (POLICY_NEED_SCAN) */
	struct db_scan_view	 scanv;
	int			 have_scan;
	struct policy_finding	*pf;
	struct policy_scan_secret *psec;
	struct policy_scan	 ps;
	struct db_exception	*dbx;
	size_t			 ndbx;
	struct policy_exception	*px;
	size_t			 npx;
	int64_t			 first_admitted;	/* POLICY_NEED_GRACE */
	int64_t			*seen;		/* per finding of pf */
	/* signatures (POLICY_NEED_SIGS): layers of sha256-<hex>.sig, then
	 * the Notation and Sigstore bundle referrers */
	struct facts_sig	 sig[FACTS_SIG_MAX];
	int			 nnotary;
	int			 nsig;
	int			 sigs_gathered;
	char			 sig_subject[RW_DIGEST_MAX]; /* "" or the index */
	struct policy_sig_input	 sigin[FACTS_SIG_MAX];
	/* attestations (POLICY_NEED_ATTS): layers of sha256-<hex>.att */
	struct facts_sig	 att[FACTS_ATT_MAX];
	int			 natt;
	int			 atts_gathered;
	size_t			 att_held;	/* of srv->att_bytes */
	/* .att layers, then the Sigstore bundle referrers among SIG */
	struct policy_att_input	 attin[FACTS_ATT_MAX + FACTS_SIG_MAX];
	/* what the layers hold (POLICY_NEED_CONTENT, image manifests) */
	struct facts_content	 fc;
	struct facts_content	 cfc[MAX_CHILDREN];	/* an index's */
	int			 want_content;
	int			 content_ready;
};

/* -------------------------------------------------- attested scans */

/*
 * "as_scan": the scan report of a verified vulnerability attestation is
 * stored as this digest's scan verdict (marked in its artifact as attested
 * by the key), so that the rule's "scan" section judges it as it judges an
 * imported report.  The attestation names the digest: it is added to the
 * digests the report itself names.  Stored once per report (db_scan_put
 * is idempotent by report digest).
 */
static int
att_scan(struct request *rq, const struct admission_req *q,
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

/* ------------------------------------------------------------- policy */

struct policy_holder *
decide_policy_acquire(struct server *srv)
{
	struct policy_holder *ph;

	pthread_mutex_lock(&srv->cfg_mu);
	ph = srv->policy;
	if (ph != NULL)
		atomic_fetch_add(&ph->refs, 1);
	pthread_mutex_unlock(&srv->cfg_mu);
	return ph;
}

void
decide_policy_release(struct policy_holder *ph)
{
	if (ph != NULL && atomic_fetch_sub(&ph->refs, 1) == 1) {
		policy_free(ph->p);
		free(ph);
	}
}

/* ------------------------------------------------------------- helpers */

/* The registry host policies speak of: the upstream's first host name, or
 * the host:port of its URL. */
void
decide_host(const struct cfg_upstream *up, char *out, size_t size)
{
	const char *p, *end;

	if (up->nhosts > 0) {
		rw_strlcpy(out, up->hosts[0], size);
		return;
	}
	p = strstr(up->url, "://");
	p = p != NULL ? p + 3 : up->url;
	end = strchr(p, '/');
	snprintf(out, size, "%.*s", (int)(end != NULL ? end - p : (long)strlen(p)),
	    p);
}

/* cosign's tag scheme and the referrers fallback tag name signatures, not
 * images: they stay pullable so downstream verifiers keep working. */
static int
artifact_tag(const char *tag)
{
	size_t i;

	if (tag == NULL || strncmp(tag, "sha256-", 7) != 0)
		return 0;
	for (i = 7; i < 71; i++)
		if (!((tag[i] >= '0' && tag[i] <= '9') ||
		    (tag[i] >= 'a' && tag[i] <= 'f')))
			return 0;
	return tag[71] == '\0' || strcmp(tag + 71, ".sig") == 0 ||
	    strcmp(tag + 71, ".att") == 0 || strcmp(tag + 71, ".sbom") == 0;
}

static int
head(const struct request *rq)
{
	return strcmp(rq->method, "HEAD") == 0;
}

static const char *
req_tag(const struct request *rq)
{
	return rq->rt.kind == ROUTE_MANIFEST && !rq->rt.ref_is_digest ?
	    rq->rt.ref : NULL;
}

/*
 * The key names everything a cached verdict depends on that can change
 * without the policy changing: the pin of the tag is part of it, so that
 * `regwarden pins add` takes effect at once in a running server.
 */
static int
make_key(struct request *rq, const char *rev, unsigned needs,
    struct rw_err *err)
{
	const char *tag = req_tag(rq);
	char host[256], pin[RW_DIGEST_MAX] = "-", scans[64] = "-";
	int rc;

	if ((needs & POLICY_NEED_PIN) && tag != NULL) {
		decide_host(rq->rt.up, host, sizeof(host));
		rc = db_pin_get(rq->srv->db, host, rq->rt.name, tag, pin,
		    sizeof(pin), err);
		if (rc == RW_ENOTFOUND)
			rw_strlcpy(pin, "none", sizeof(pin));
		else if (rc != RW_OK)
			return rc;
	}
	/* New reports and exceptions change the scan verdicts at once. */
	if ((needs & POLICY_NEED_SCAN) && db_scans_revision(rq->srv->db, scans,
	    err) != RW_OK)
		return err->code;
	snprintf(rq->dkey, sizeof(rq->dkey), "%s|%d|%s|%s|%s|%s|%s|%s", rev,
	    rq->write_op ? POLICY_OP_PUSH : POLICY_OP_PULL, rq->rt.up->name,
	    rq->rt.name, rq->digest, tag != NULL ? tag : "", pin, scans);
	return RW_OK;
}

static void
dcw_park(void *arg)
{
	struct request *rq = arg;

	MHD_suspend_connection(rq->conn);
}

static void
dcw_unpark(void *arg)
{
	struct request *rq = arg;

	MHD_resume_connection(rq->conn);
}

/* ------------------------------------------------------------ gathering */

static int
is_index(const char *mt)
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
static int
plan(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
{
	char cfg[RW_DIGEST_MAX];
	size_t i;

	if (rq->write_op && (dx->needs & POLICY_NEED_TAG_DIGEST) &&
	    req_tag(rq) != NULL)
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
	if ((dx->needs & POLICY_NEED_CONTENT) && !is_index(rq->mtype)) {
		if (facts_content_layers(rq->mbody, rq->mlen, &dx->fc,
		    err) != RW_OK)
			return err->code;
		dx->want_content = 1;
	}
	if (is_index(rq->mtype)) {
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
static int
gather(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
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

static int
scan_facts(struct request *rq, struct decide_ctx *dx, struct rw_err *err)
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

/* ------------------------------------------------------------ evaluate */

/* The attestations for Q: the .att layers, then the bundle referrers. */
static void
atts_view(struct decide_ctx *dx, struct admission_req *q)
{
	size_t i, n;

	for (i = 0; i < (size_t)dx->natt; i++)
		facts_att_input(&dx->att[i], &dx->attin[i]);
	n = (size_t)dx->natt;
	for (i = 0; i < (size_t)dx->nsig; i++)
		n += (size_t)facts_att_bundle(&dx->sig[i], &dx->attin[n]);
	q->atts = dx->attin;
	q->natts = n;
	q->atts_gathered = dx->atts_gathered;
}

static int
evaluate(struct request *rq, struct decide_ctx *dx, struct verdict *v,
    struct rw_err *err)
{
	struct admission_req q;
	char host[256];
	size_t i;
	int rc;

	memset(&q, 0, sizeof(q));
	decide_host(rq->rt.up, host, sizeof(host));
	q.op = rq->write_op ? POLICY_OP_PUSH : POLICY_OP_PULL;
	q.host = host;
	q.repo = rq->rt.name;
	q.tag = req_tag(rq);
	q.digest = rq->digest;
	q.media_type = rq->mtype;
	q.is_index = is_index(rq->mtype);
	if (dx->have_plats) {
		for (i = 0; i < dx->plats.n && i < MAX_CHILDREN; i++) {
			dx->pl[i].os = dx->plats.p[i].os;
			dx->pl[i].arch = dx->plats.p[i].arch;
			dx->pl[i].variant = dx->plats.p[i].variant;
		}
		q.platforms = dx->pl;
		q.nplatforms = i;
	}
	q.image = dx->have_img ? &dx->img.img : NULL;
	if ((dx->needs & POLICY_NEED_PIN) && q.tag != NULL) {
		rc = db_pin_get(rq->srv->db, host, q.repo, q.tag, dx->pin,
		    sizeof(dx->pin), err);
		if (rc != RW_OK && rc != RW_ENOTFOUND)
			return rc;
		if (rc == RW_OK)
			q.pinned_digest = dx->pin;
	}
	q.tag_digest = dx->have_tag_digest ? dx->tag_digest : NULL;
	q.identity = rq->identity;
	if (dx->needs & POLICY_NEED_SIGS) {
		for (i = 0; i < (size_t)dx->nsig; i++)
			facts_sig_input(&dx->sig[i], &dx->sigin[i]);
		q.sigs = dx->sigin;
		q.nsigs = (size_t)dx->nsig;
		q.manifest_size = (int64_t)rq->mlen;
		q.sigs_gathered = dx->sigs_gathered;
		q.sig_subject = dx->sig_subject[0] != '\0' && dx->nsig > 0 ?
		    dx->sig_subject : NULL;
	}
	if (dx->needs & POLICY_NEED_ATTS)
		atts_view(dx, &q);
	if ((dx->needs & POLICY_NEED_SCAN) && (dx->needs & POLICY_NEED_ATTS) &&
	    !rq->write_op) {
		rc = att_scan(rq, &q, err);
		if (rc != RW_OK)
			return rc;
	}
	if (dx->content_ready && !q.is_index)
		q.content = &dx->fc.pc;
	for (i = 0; dx->content_ready && q.is_index && i < q.nplatforms; i++)
		dx->pl[i].content = dx->cfc[i].layers != NULL ?
		    &dx->cfc[i].pc : NULL;
	if ((dx->needs & POLICY_NEED_SCAN) && !rq->write_op) {
		rc = scan_facts(rq, dx, err);
		if (rc != RW_OK)
			return rc;
		q.scan = dx->have_scan ? &dx->ps : NULL;
		q.exceptions = dx->px;
		q.nexceptions = dx->npx;
		q.first_admitted = dx->first_admitted;
		q.first_seen = dx->seen;
	}
	rc = policy_eval(rq->ph->p, &q, (int64_t)time(NULL), v, err);
	for (i = 0; rc == RW_OK && i < v->nreasons; i++) {
		if (strcmp(v->reasons[i].check, "signatures") == 0)
			metrics_signature_check(rq->srv->metrics,
			    !v->reasons[i].failed);
		if (strcmp(v->reasons[i].check, "attestations") == 0)
			metrics_attestation_check(rq->srv->metrics,
			    !v->reasons[i].failed);
	}
	if (rc != RW_OK || !v->pin_now || q.tag == NULL)
		return rc;
	rc = db_pin_set_if_absent(rq->srv->db, host, q.repo, q.tag,
	    rq->digest, rq->identity, "first-pull", (int64_t)time(NULL), err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return RW_OK;
	/*
	 * Another request (here, or on another replica sharing the
	 * database) pinned the tag first: judge this one against that pin.
	 */
	rc = db_pin_get(rq->srv->db, host, q.repo, q.tag, dx->pin,
	    sizeof(dx->pin), err);
	if (rc != RW_OK)
		return rc == RW_ENOTFOUND ? rw_err_set(err, RW_EDB,
		    "the first-pull pin of %s:%s vanished", q.repo, q.tag) : rc;
	q.pinned_digest = dx->pin;
	return policy_eval(rq->ph->p, &q, (int64_t)time(NULL), v, err);
}

char *
decide_reasons_json(const struct verdict *v)
{
	json_t *arr = json_array();
	char *s;
	size_t i;

	for (i = 0; arr != NULL && i < v->nreasons; i++)
		json_array_append_new(arr, json_pack("{s:s,s:b,s:s}", "check",
		    v->reasons[i].check, "failed", v->reasons[i].failed, "text",
		    v->reasons[i].text));
	s = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return s;
}

/*
 * How long a verdict may be reused: the TTL, but a verdict that time alone
 * will change (an exception or an image age running out at VALID_UNTIL,
 * unix seconds) only until that very second, counted in milliseconds of
 * wall time rather than rounded to whole seconds.
 */
static uint64_t
keep_for(int ttl, int64_t valid_until)
{
	struct timespec ts;
	uint64_t keep = (uint64_t)ttl * 1000u, now_ms, until_ms;

	if (valid_until <= 0)
		return keep;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	until_ms = (uint64_t)valid_until * 1000u;
	if (until_ms <= now_ms)
		return 0;
	return until_ms - now_ms < keep ? until_ms - now_ms : keep;
}

/* Keep a fresh decision: in memory for the TTL, and in the db where the
 * blob gate and `regwarden audit` find it. */
static void
store(struct request *rq, const struct verdict *v)
{
	struct db_decision_key k;
	struct db_decision d;
	struct rw_err err;
	const char *tag = req_tag(rq);
	char host[256];
	int64_t now = (int64_t)time(NULL);
	int ttl = v->kind == VERDICT_DENY ? rq->cfg->deny_ttl :
	    rq->cfg->decision_ttl;
	uint64_t keep_ms;

	rq->dv.kind = v->kind;
	rq->dv.mode = v->mode;
	rq->dv.line = v->line;
	rw_strlcpy(rq->dv.rule, v->rule, sizeof(rq->dv.rule));
	rw_strlcpy(rq->dv.file, v->file, sizeof(rq->dv.file));
	rw_strlcpy(rq->dv.message, v->message, sizeof(rq->dv.message));
	keep_ms = keep_for(ttl, v->valid_until);
	if (v->valid_until > 0 && v->valid_until - now < ttl)
		ttl = v->valid_until > now ? (int)(v->valid_until - now) : 0;
	memset(&k, 0, sizeof(k));
	k.policy_rev = policy_revision(rq->ph->p);
	k.upstream = rq->rt.up->name;
	k.repo = rq->rt.name;
	k.digest = rq->digest;
	k.ref = tag != NULL ? tag : "";
	memset(&d, 0, sizeof(d));
	d.verdict = verdict_name(v->kind);
	d.mode = policy_mode_name(v->mode);
	d.rule = v->rule;
	d.rule_file = v->file;
	d.rule_line = v->line;
	d.reasons_json = rq->reasons = decide_reasons_json(v);
	d.message = v->message;
	d.decided_at = now;
	d.expires_at = v->kind == VERDICT_DENY || v->valid_until > 0 ?
	    now + ttl : 0;
	/*
	 * The first admission of an image in a repository starts its use:
	 * new scan findings after it may get a grace period (scan.grace_days).
	 * Noted with the decision, in the same round trip on PostgreSQL.
	 */
	if (!rq->write_op && v->kind != VERDICT_DENY) {
		decide_host(rq->rt.up, host, sizeof(host));
		d.admitted_host = host;
	}
	rw_err_clear(&err);
	if (db_decision_put(rq->srv->db, &k, &d, &err) != RW_OK) {
		/*
		 * The blob gate reads the db, so it refuses this image's blobs
		 * (fails closed).  Not kept in memory either: the next pull
		 * decides again and records it, once the db has room.
		 */
		log_warnx("cannot record decision: %s", err.msg);
		keep_ms = 0;
	}
	dcache_complete(rq->srv->dc, rq->dkey, &rq->dv, rw_now_ms() + keep_ms);
	rq->leading = 0;
	if (tag != NULL && v->kind != VERDICT_DENY && keep_ms > 0)
		proxy_offline_note(rq, tag, (int)(keep_ms / 1000));
}

/* ----------------------------------------------------- record & answer */

/* Queue the decision's audit row: RW_OK, or ERR says why it was not taken. */
static int
audit(struct request *rq, const char *verdict, struct rw_err *err)
{
	struct db_audit_row a;
	char host[256];

	decide_host(rq->rt.up, host, sizeof(host));
	memset(&a, 0, sizeof(a));
	a.ts = (int64_t)time(NULL);
	a.request_id = rq->id;
	a.client = rq->client_ip;
	a.identity = rq->identity;
	a.operation = rq->write_op ? "push" : head(rq) ? "resolve" : "pull";
	a.upstream = rq->rt.up->name;
	a.host = host;
	a.repo = rq->rt.name;
	a.reference = rq->rt.ref;
	a.digest = rq->digest[0] != '\0' ? rq->digest : NULL;
	a.verdict = verdict;
	a.mode = rq->dv.kind == DV_ERROR ? NULL : policy_mode_name(rq->dv.mode);
	a.rule = rq->dv.rule[0] != '\0' ? rq->dv.rule : NULL;
	a.rule_file = rq->dv.file[0] != '\0' ? rq->dv.file : NULL;
	a.rule_line = rq->dv.line;
	a.reasons_json = rq->reasons;
	a.message = rq->dv.message;
	return auditq_add(rq->srv->auditq, &a, err);
}

/*
 * Audit or refuse: the row of a decision that would be served (allow,
 * warn, audit mode) could not be queued, so the decision is not served:
 * it becomes a 503 saying why (not cached: the next pull decides again).
 * A refusal (deny, error) is answered as it is, since it serves nothing;
 * its missing row is logged.  WHY is auditq_add's reason.
 */
static void
unaudited(struct request *rq, const char *verdict, const char *why)
{
	char host[256];

	metrics_audit_drop(rq->srv->metrics);
	if (rq->dv.kind == VERDICT_DENY || rq->dv.kind == DV_ERROR) {
		log_warnx("request %s: no audit row for its %s verdict on %s: "
		    "%s", rq->id, verdict, rq->rt.name, why);
		return;
	}
	decide_host(rq->rt.up, host, sizeof(host));
	memset(&rq->dv, 0, sizeof(rq->dv));
	rq->dv.kind = DV_ERROR;
	snprintf(rq->dv.message, sizeof(rq->dv.message), "regwarden: could "
	    "not record the decision on %s/%s%s%s in the audit log: %s; "
	    "refusing to serve it unaudited", host, rq->rt.name,
	    rq->rt.ref_is_digest ? "@" : ":", rq->rt.ref, why);
}

static void
log_decision(struct request *rq, const char *verdict, int cached)
{
	char line[16];
	/* A refusal is a normal decision; only "could not decide" is a warning. */
	int level = rq->dv.kind == DV_ERROR ? RW_LOG_WARN : RW_LOG_INFO;

	if (level > rw_log_level)	/* before formatting anything */
		return;
	snprintf(line, sizeof(line), "%d", rq->dv.line);
	rw_log_kv(level, rq->id, "decision", "client", rq->client_ip,
	    "identity", rq->identity,
	    "op", rq->write_op ? "push" : "pull",
	    "upstream", rq->rt.up->name, "repo", rq->rt.name,
	    "reference", rq->rt.ref, "digest", rq->digest,
	    "verdict", verdict,
	    "rule", rq->dv.rule[0] != '\0' ? rq->dv.rule : NULL,
	    "at", rq->dv.file[0] != '\0' ? rq->dv.file : NULL,
	    "#line", rq->dv.line > 0 ? line : NULL,
	    "?cached", cached ? "true" : NULL,
	    "message", rq->dv.kind != VERDICT_ALLOW ? rq->dv.message : NULL,
	    (const char *)NULL);
}

/* The verdict for this request is in rq->dv: record it and move on. */
static int
conclude(struct request *rq, int cached)
{
	struct rw_err err;
	const char *verdict;

	verdict = rq->dv.kind == DV_ERROR ? "error" : verdict_name(rq->dv.kind);
	/* Every decision is one audit row, taken before the answer.  A HEAD
	 * counts too (operation "resolve"): a node that holds the content
	 * pulls on the strength of the HEAD alone and sends no GET. */
	rw_err_clear(&err);
	if (audit(rq, verdict, &err) != RW_OK) {
		unaudited(rq, verdict, err.msg);
		verdict = rq->dv.kind == DV_ERROR ? "error" : verdict;
	}
	metrics_decision(rq->srv->metrics, rq->dv.kind == DV_ERROR ?
	    METRICS_ERROR : rq->dv.kind == VERDICT_DENY ? METRICS_DENY :
	    rq->dv.kind == VERDICT_WARN ? METRICS_WARN : METRICS_ALLOW,
	    rq->dv.rule[0] != '\0' ? rq->dv.rule : NULL);
	log_decision(rq, verdict, cached);
	rq->phase = PH_ANSWER;
	return S_NEXT;
}

/*
 * The GET of a denial document is the refusal the client shows: it is
 * recorded like the decision it stands for, under the reference the
 * developer typed, with the denial digest.
 */
int
decide_replay_denial(struct request *rq, const struct dverdict *v,
    const char *ref)
{
	rq->dv = *v;
	rw_strlcpy(rq->digest, rq->rt.ref, sizeof(rq->digest));
	rw_strlcpy(rq->note, ref, sizeof(rq->note));
	return conclude(rq, 1);
}

static int
fail_closed(struct request *rq, const char *why)
{
	char host[256];

	dcache_abandon(rq->srv->dc, rq->dkey);
	rq->leading = 0;
	memset(&rq->dv, 0, sizeof(rq->dv));
	rq->dv.kind = DV_ERROR;
	decide_host(rq->rt.up, host, sizeof(host));
	snprintf(rq->dv.message, sizeof(rq->dv.message), "regwarden: could "
	    "not decide on %s/%s%s%s: %s", host, rq->rt.name,
	    rq->rt.ref_is_digest ? "@" : ":", rq->rt.ref, why);
	return conclude(rq, 0);
}

/*
 * Does the manifest ROOT carry filesystem layers?  A runnable image under a
 * signature tag name is judged like any image, so the exemption for
 * signature artifacts cannot be used to smuggle one in.
 */
static int
runnable(json_t *root)
{
	json_t *l, *mt;
	size_t i;
	int tar = 0;

	json_array_foreach(json_object_get(root, "layers"), i, l) {
		mt = json_object_get(l, "mediaType");
		if (!json_is_string(mt) || strstr(json_string_value(mt), "tar") !=
		    NULL || strstr(json_string_value(mt), "rootfs") != NULL)
			tar = 1;
	}
	/* An index under such a tag (the referrers fallback) is fine: its
	 * children are judged when they are pulled. */
	return tar;
}

/*
 * Is ROOT an OCI 1.1 signature referrer (Notation, a Sigstore bundle,
 * cosign's experimental layout): a "subject", and an artifactType (or
 * config media type) that says so?  Clients that verify (notation, cosign
 * v3) fetch these by digest.
 */
static int
signature_referrer(json_t *root)
{
	const char *at = json_string_value(json_object_get(root,
	    "artifactType"));

	if (at == NULL)
		at = json_string_value(json_object_get(json_object_get(root,
		    "config"), "mediaType"));
	return json_is_object(json_object_get(root, "subject")) && at != NULL &&
	    (strcmp(at, FACTS_NOTARY_TYPE) == 0 || strncmp(at,
	    SIG_BUNDLE_MEDIA_PREFIX, strlen(SIG_BUNDLE_MEDIA_PREFIX)) == 0 ||
	    strcmp(at, "application/vnd.dev.cosign.artifact.sig.v1+json") == 0);
}

/*
 * A signature artifact: under a signature tag name, or a signature
 * referrer, and without filesystem layers.  Every pull asks, so an image
 * (no such tag, no "subject" in its bytes) is answered without parsing; a
 * subject spelt with escapes is only judged like an image.
 */
static int
signature_artifact(struct request *rq)
{
	int by_tag = artifact_tag(req_tag(rq)), yes;
	json_t *root;

	if (!by_tag && (rq->mbody == NULL || memmem(rq->mbody, rq->mlen,
	    "\"subject\"", 9) == NULL))
		return 0;
	root = json_loadb(rq->mbody, rq->mlen, 0, NULL);
	yes = (by_tag || signature_referrer(root)) && !runnable(root);
	json_decref(root);
	return yes;
}

/* A signature artifact is admitted, and recorded so that the blob gate
 * lets its payload through. */
static int
admit_artifact(struct request *rq)
{
	struct verdict v;

	memset(&v, 0, sizeof(v));
	v.kind = VERDICT_ALLOW;
	rw_strlcpy(v.rule, "signature-artifact", sizeof(v.rule));
	snprintf(v.message, sizeof(v.message), "regwarden: %s:%s is a "
	    "signature artifact (no filesystem layers); signature artifacts "
	    "stay pullable and pushable", rq->rt.name, rq->rt.ref);
	rq->leading = 1;	/* store() completes the (absent) flight */
	store(rq, &v);
	return conclude(rq, 0);
}

/* -------------------------------------------------------------- entry */

/* First look: no policy, a signature artifact, or a cached verdict. */
static int
lookup(struct request *rq)
{
	struct rw_err err;
	char host[256];
	unsigned needs = 0;
	int rc;

	if (rq->ph == NULL)
		rq->ph = decide_policy_acquire(rq->srv);
	memset(&rq->dv, 0, sizeof(rq->dv));
	if (rq->ph == NULL) {		/* no policy: a plain proxy */
		rq->phase = PH_ANSWER;
		return S_NEXT;
	}
	decide_host(rq->rt.up, host, sizeof(host));
	policy_match(rq->ph->p, host, rq->rt.name, rq->write_op ?
	    POLICY_OP_PUSH : POLICY_OP_PULL, req_tag(rq) != NULL, &needs);
	rw_err_clear(&err);
	if (make_key(rq, policy_revision(rq->ph->p), needs, &err) != RW_OK)
		return fail_closed(rq, err.msg);
	if (signature_artifact(rq))
		return admit_artifact(rq);
	rq->dcw.park = dcw_park;
	rq->dcw.unpark = dcw_unpark;
	rq->dcw.arg = rq;
	rc = dcache_lookup(rq->srv->dc, rq->dkey, rw_now_ms(), &rq->dv,
	    &rq->dcw);
	metrics_cache(rq->srv->metrics, METRICS_CACHE_DECISION, rc == DC_HIT);
	if (rc == DC_HIT)
		return conclude(rq, 1);
	if (rc == DC_WAIT)
		return S_PARKED;
	rq->leading = 1;
	rq->dx = calloc(1, sizeof(*rq->dx));
	if (rq->dx == NULL)
		return fail_closed(rq, "out of memory");
	rq->dx->needs = needs;
	if (plan(rq, rq->dx, &err) != RW_OK)
		return fail_closed(rq, err.msg);
	return S_NEXT;
}

/* ---------------------------------------------------- hold until scanned */

static void
drop_ctx(struct request *rq)
{
	size_t i;

	if (rq->dx == NULL)
		return;
	facts_image_cleanup(&rq->dx->img);
	facts_platforms_cleanup(&rq->dx->plats);
	for (i = 0; i < MAX_CHILDREN; i++)
		facts_image_cleanup(&rq->dx->child_img[i]);
	db_scan_view_cleanup(&rq->dx->scanv);
	free(rq->dx->pf);
	free(rq->dx->seen);
	free(rq->dx->psec);
	db_exceptions_free(rq->dx->dbx, rq->dx->ndbx);
	free(rq->dx->px);
	for (i = 0; i < (size_t)rq->dx->nsig; i++)
		facts_sig_cleanup(&rq->dx->sig[i]);
	for (i = 0; i < (size_t)rq->dx->natt; i++)
		facts_sig_cleanup(&rq->dx->att[i]);
	rw_budget_give(&rq->srv->att_bytes, rq->dx->att_held);
	facts_content_cleanup(&rq->dx->fc);
	for (i = 0; i < MAX_CHILDREN; i++)
		facts_content_cleanup(&rq->dx->cfc[i]);
	free(rq->dx);
	rq->dx = NULL;
}

/* The scan this request waited for is over (or its hold time is). */
static int
scan_settled(struct request *rq)
{
	char why[320];

	rq->scan_waiting = 0;
	switch (rq->scanw.state) {
	case SCAN_DONE:		/* decide again, with the new verdict */
		drop_ctx(rq);
		rq->dkey[0] = '\0';
		return S_NEXT;
	case SCAN_TIMED_OUT:
		memset(&rq->dv, 0, sizeof(rq->dv));
		rq->dv.kind = DV_ERROR;
		rq->retry_after = rq->cfg->scan_hold;
		snprintf(rq->dv.message, sizeof(rq->dv.message), "regwarden: "
		    "%s is being scanned; retry in %d s", rq->scan_ref,
		    rq->retry_after);
		return conclude(rq, 0);
	default:
		snprintf(why, sizeof(why), "the scan failed: %s", rq->scanw.msg);
		return fail_closed(rq, why);
	}
}

/*
 * The rule holds unscanned images: run the scanner (once per digest, shared
 * by every pull waiting for it) and decide again when its report is in.
 */
static int
hold(struct request *rq)
{
	char host[256];
	int st;

	dcache_abandon(rq->srv->dc, rq->dkey);
	rq->leading = 0;
	if (rq->srv->scanner == NULL)
		return fail_closed(rq, "the rule holds unscanned images until "
		    "they are scanned, but no \"scanner\" is configured");
	decide_host(rq->rt.up, host, sizeof(host));
	snprintf(rq->scan_ref, sizeof(rq->scan_ref), "%s/%s@%s", host,
	    rq->rt.name, rq->digest);
	memset(&rq->scanw, 0, sizeof(rq->scanw));
	rq->scanw.park = dcw_park;
	rq->scanw.unpark = dcw_unpark;
	rq->scanw.arg = rq;
	rq->scanw.deadline_ms = rw_now_ms() +
	    (uint64_t)rq->cfg->scan_hold * 1000u;
	rq->scan_waiting = 1;
	st = scanner_wait(rq->srv->scanner, rq->scan_ref, rq->digest,
	    &rq->scanw);
	return st == SCAN_PENDING ? S_PARKED : scan_settled(rq);
}

/* ------------------------------------------------ hold until inspected */

/* The inspection this request waited for is over (or its hold time is). */
static int
inspect_settled(struct request *rq)
{
	char why[320];

	rq->insp_waiting = 0;
	switch (rq->inspw.state) {
	case INSP_DONE:		/* decide again, from the stored indexes */
		drop_ctx(rq);
		rq->dkey[0] = '\0';
		return S_NEXT;
	case INSP_TIMED_OUT:
		memset(&rq->dv, 0, sizeof(rq->dv));
		rq->dv.kind = DV_ERROR;
		rq->retry_after = rq->cfg->content_hold;
		snprintf(rq->dv.message, sizeof(rq->dv.message), "regwarden: "
		    "the layers of %s are being inspected; retry in %d s",
		    rq->scan_ref, rq->retry_after);
		return conclude(rq, 0);
	default:
		snprintf(why, sizeof(why), "inspecting the layers failed: %s",
		    rq->inspw.msg);
		return fail_closed(rq, why);
	}
}

/*
 * The rule reads the layers: use their stored indexes, or have the
 * inspector read the missing ones (once per image, shared by every pull
 * waiting for it) and decide again when they are in.  Never evaluates
 * without them.
 */
static int
content_step(struct request *rq)
{
	struct decide_ctx *dx = rq->dx;
	struct facts_content *set[MAX_CHILDREN];
	const char **missing = NULL;
	struct insp_spec spec;
	struct rw_err err;
	char host[256], key[ROUTE_NAME_MAX + 2 * RW_DIGEST_MAX];
	size_t i, n = 0, nset = 0;
	int st;

	if (!dx->want_content || dx->content_ready)
		return S_NEXT;
	/* An index: every platform's image (attestations aside). */
	for (i = 0; dx->have_plats && i < dx->plats.n && i < MAX_CHILDREN; i++)
		if (dx->cfc[i].layers != NULL)
			set[nset++] = &dx->cfc[i];
	if (!dx->have_plats)
		set[nset++] = &dx->fc;
	rw_err_clear(&err);
	if (facts_content_load_set(rq->srv->db, set, nset, &missing, &n,
	    &err) != RW_OK) {
		free(missing);
		return fail_closed(rq, err.msg);
	}
	if (n == 0) {
		free(missing);
		dx->content_ready = 1;
		return S_NEXT;
	}
	if (rq->insp_tried || rq->srv->inspector == NULL) {
		free(missing);
		return fail_closed(rq, "the image's layers were not inspected");
	}
	/* Fetching layers needs upstream credentials first. */
	if (proxy_need_auth(rq, PH_DECIDE)) {
		free(missing);
		return S_NEXT;
	}
	dcache_abandon(rq->srv->dc, rq->dkey);
	rq->leading = 0;
	rq->insp_tried = 1;
	decide_host(rq->rt.up, host, sizeof(host));
	snprintf(rq->scan_ref, sizeof(rq->scan_ref), "%s/%s@%s", host,
	    rq->rt.name, rq->digest);
	snprintf(key, sizeof(key), "%s|%s|%s", rq->rt.up->name, rq->rt.name,
	    rq->digest);
	memset(&spec, 0, sizeof(spec));
	spec.key = key;
	spec.ch = rq->ch;
	spec.up = rq->rt.up;
	spec.repo = rq->rt.name;
	spec.layers = missing;
	spec.nlayers = n;
	if (proxy_credentials_mode(rq)) {
		spec.bearer = rq->bearer;
		if (spec.bearer == NULL && rq->rt.up->username != NULL) {
			spec.user = rq->rt.up->username;
			spec.pass = rq->rt.up->password;
		}
	} else
		spec.authz = rq->authz;
	spec.connect_timeout = rq->cfg->connect_timeout;
	spec.stall_timeout = rq->cfg->stall_timeout;
	memset(&rq->inspw, 0, sizeof(rq->inspw));
	rq->inspw.park = dcw_park;
	rq->inspw.unpark = dcw_unpark;
	rq->inspw.arg = rq;
	rq->inspw.deadline_ms = rw_now_ms() +
	    (uint64_t)rq->cfg->content_hold * 1000u;
	rq->insp_waiting = 1;
	st = inspector_wait(rq->srv->inspector, &spec, &rq->inspw);
	free(missing);
	return st == INSP_PENDING ? S_PARKED : inspect_settled(rq);
}

int
decide_step(struct request *rq)
{
	struct verdict v;
	struct rw_err err;
	int rc;

	if (rq->scan_waiting) {
		if (rq->scanw.state == SCAN_PENDING)
			return S_PARKED;
		rc = scan_settled(rq);
		if (rc != S_NEXT || rq->phase != PH_DECIDE)
			return rc;
	}
	if (rq->insp_waiting) {
		if (rq->inspw.state == INSP_PENDING)
			return S_PARKED;
		rc = inspect_settled(rq);
		if (rc != S_NEXT || rq->phase != PH_DECIDE)
			return rc;
	}
	if (!rq->leading) {
		rc = lookup(rq);
		if (rc != S_NEXT || !rq->leading)
			return rc;
	}
	/* Fetches upstream need upstream credentials first. */
	if (rq->dx->next < rq->dx->njobs && proxy_need_auth(rq, PH_DECIDE))
		return S_NEXT;
	rw_err_clear(&err);
	rc = gather(rq, rq->dx, &err);
	if (rc == S_PARKED)
		return rc;
	if (rc == S_FAIL)
		return fail_closed(rq, err.msg);
	rc = content_step(rq);
	if (rc != S_NEXT || rq->phase != PH_DECIDE || rq->insp_waiting)
		return rc;
	memset(&v, 0, sizeof(v));
	if (evaluate(rq, rq->dx, &v, &err) != RW_OK)
		return fail_closed(rq, err.msg);
	if (v.hold)
		return hold(rq);
	store(rq, &v);
	return conclude(rq, 0);
}

void
decide_cleanup(struct request *rq)
{
	dcache_forget(rq->srv->dc, &rq->dcw);
	if (rq->scan_waiting)
		scanner_forget(rq->srv->scanner, &rq->scanw);
	if (rq->insp_waiting)
		inspector_forget(rq->srv->inspector, &rq->inspw);
	if (rq->leading)
		dcache_abandon(rq->srv->dc, rq->dkey);
	rq->leading = 0;
	drop_ctx(rq);
	free(rq->reasons);
	rq->reasons = NULL;
	decide_policy_release(rq->ph);
	rq->ph = NULL;
}
