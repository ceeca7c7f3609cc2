/* explain_sigs.c - an image's signatures for `regwarden explain`, fetched as the proxy does. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/explain_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "policy/sig/sig.h"

/*
 * The proxy (decide.c) runs the same steps asynchronously; both parse with
 * facts_sig.c, so what is counted, capped and checked is the same.  Where
 * the proxy treats a failed fetch as an unusable signature (a blob or a
 * referrer manifest that is missing, too large or does not hash to its
 * digest), so does explain: a payload or envelope is then judged as
 * absent, a referrer is not counted.  Where the proxy cannot decide (the
 * upstream not reached, the .sig tag or the referrers answered with
 * neither 200 nor 404), explain cannot either.
 */

/* GET PATH of S's repository, a KIND of thing, into R capped at CAP. */
static int
get(struct upc *s, const char *path, int kind, size_t cap,
    struct upc_resp *r, struct rw_err *err)
{
	char url[4096];

	snprintf(url, sizeof(url), "%s/v2/%s/%s", upc_upstream(s)->url,
	    upc_repo(s), path);
	upc_resp_init(r, cap);
	return upc_get(s, url, kind, r, err);
}

/*
 * GET PATH for something that may be unusable without the verdict being
 * undecided: *R is filled, and a body past its cap is no error (R->too_big
 * says so).  Other failures are.
 */
static int
get_optional(struct upc *s, const char *path, int kind, size_t cap,
    struct upc_resp *r, struct rw_err *err)
{
	struct rw_err e;
	int rc;

	rw_err_clear(&e);
	rc = get(s, path, kind, cap, r, &e);
	if (rc == RW_ETOOBIG)
		return RW_OK;
	if (rc != RW_OK)
		return rw_err_set(err, rc, "%s", e.msg);
	return RW_OK;
}

static size_t
manifest_cap(const struct upc *s)
{
	return upc_config(s)->max_manifest_bytes + 1;	/* as the proxy */
}

/* The payload or envelope SIG names, kept when it hashes to its digest. */
static int
fetch_blob(struct upc *s, struct facts_sig *sig, struct rw_err *err)
{
	char path[RW_DIGEST_MAX + 16];
	struct upc_resp r;
	int rc;

	snprintf(path, sizeof(path), "blobs/%s", sig->digest);
	rc = get_optional(s, path, UPC_BLOB, sig->cap != 0 ? sig->cap :
	    FACTS_SIG_BLOB_CAP, &r, err);
	if (rc == RW_OK && r.status == 200 && !r.too_big)
		rc = facts_sig_blob(sig, r.body.data, r.body.len, err);
	upc_resp_cleanup(&r);
	return rc;
}

/*
 * The .sig tag of DIGEST: its layers into ES, and their payloads.  *FOUND
 * is 0 when the tag does not exist.
 */
static int
cosign_tag(struct upc *s, const char *digest, struct explain_sigs *es,
    int *found, struct rw_err *err)
{
	char path[RW_DIGEST_MAX + 32], what[RW_DIGEST_MAX + 40];
	struct upc_resp r;
	size_t i, n = 0;
	int rc;

	snprintf(path, sizeof(path), "manifests/sha256-%s.sig", digest + 7);
	snprintf(what, sizeof(what), "the signature tag of %s", digest);
	rc = get(s, path, UPC_MANIFEST, manifest_cap(s), &r, err);
	*found = rc == RW_OK && r.status != 404;
	if (rc == RW_OK && *found && r.status != 200)
		rc = upc_bad_status(s, &r, what, err);
	if (rc == RW_OK && *found)
		n = facts_sig_layers(r.body.data, r.body.len, &es->sig[es->n],
		    FACTS_SIG_MAX - es->n);
	upc_resp_cleanup(&r);
	for (i = es->n; rc == RW_OK && i < es->n + n; i++)
		if (es->sig[i].digest[0] != '\0')
			rc = fetch_blob(s, &es->sig[i], err);
	es->n += n;
	return rc;
}

/*
 * The index the proxy served DIGEST through, from the state db: a
 * multi-arch index signed as a whole admits its platform manifests.  Only
 * a db that exists is opened, and any trouble reading it means "none", as
 * at the proxy.  Returns 1 with OUT set, or 0.
 */
static int
parent_of(struct upc *s, const char *digest, char out[RW_DIGEST_MAX])
{
	struct db *db = NULL;
	struct rw_err e;
	int found;

	if (rw_hash_alg_of(digest) != RW_HASH_SHA256)
		return 0;
	rw_err_clear(&e);
	if (config_open_db(upc_config(s), 1, &db, &e) != RW_OK)
		return 0;
	found = db_parent_of(db, upc_upstream(s)->name, upc_repo(s), digest,
	    out, RW_DIGEST_MAX, &e) == RW_OK;
	db_close(db);
	return found;
}

/* One referrer manifest D of DIGEST: counted when it names DIGEST as its
 * subject, and its envelope fetched. */
static int
referrer(struct upc *s, const char *d, const char *digest, size_t bcap,
    struct explain_sigs *es, struct rw_err *err)
{
	char path[RW_DIGEST_MAX + 16];
	struct facts_sig *sig = &es->sig[es->n];
	struct upc_resp r;
	int rc, yes = 0;

	if (es->n >= FACTS_SIG_MAX)
		return RW_OK;
	snprintf(path, sizeof(path), "manifests/%.*s", RW_DIGEST_MAX - 1, d);
	rc = get_optional(s, path, UPC_MANIFEST, manifest_cap(s), &r, err);
	if (rc == RW_OK && r.status == 200 && !r.too_big)
		yes = facts_att_referrer(r.body.data, r.body.len, d, digest,
		    sig, bcap);
	upc_resp_cleanup(&r);
	if (!yes)
		return rc;
	es->n++;
	return sig->digest[0] != '\0' ? fetch_blob(s, sig, err) : RW_OK;
}

/*
 * The referrers of DIGEST: the OCI 1.1 API, else (404) the tag schema's
 * `sha256-<hex>` index; neither is no referrer.  Sigstore bundles are
 * fetched up to BCAP bytes (see facts_att_referrer).
 */
static int
referrers(struct upc *s, const char *digest, size_t bcap,
    struct explain_sigs *es, struct rw_err *err)
{
	char path[RW_DIGEST_MAX + 32], what[RW_DIGEST_MAX + 40];
	char d[FACTS_REFERRERS_MAX][RW_DIGEST_MAX];
	struct upc_resp r;
	size_t i, n = 0;
	int rc;

	snprintf(what, sizeof(what), "the referrers of %s", digest);
	snprintf(path, sizeof(path), "referrers/%s", digest);
	rc = get(s, path, UPC_MANIFEST, manifest_cap(s), &r, err);
	if (rc == RW_OK && r.status == 404) {
		upc_resp_cleanup(&r);
		snprintf(path, sizeof(path), "manifests/sha256-%s", digest + 7);
		rc = get(s, path, UPC_MANIFEST, manifest_cap(s), &r, err);
	}
	if (rc == RW_OK && r.status != 200 && r.status != 404)
		rc = upc_bad_status(s, &r, what, err);
	if (rc == RW_OK && r.status == 200)
		n = facts_sig_referrers(r.body.data, r.body.len, d,
		    FACTS_REFERRERS_MAX);
	upc_resp_cleanup(&r);
	for (i = 0; rc == RW_OK && i < n; i++)
		rc = referrer(s, d[i], digest, bcap, es, err);
	return rc;
}

int
explain_sigs_gather(struct upc *s, const char *digest,
    struct explain_sigs *es, struct rw_err *err)
{
	char parent[RW_DIGEST_MAX];
	size_t i;
	int rc, found;

	es->gathered = 1;
	rc = cosign_tag(s, digest, es, &found, err);
	if (rc == RW_OK && !found && parent_of(s, digest, parent)) {
		rw_strlcpy(es->subject, parent, sizeof(es->subject));
		rc = cosign_tag(s, parent, es, &found, err);
	}
	if (rc == RW_OK)
		rc = referrers(s, digest, FACTS_SIG_BLOB_CAP, es, err);
	for (i = 0; i < es->n; i++) {
		facts_sig_input(&es->sig[i], &es->in[i]);
		es->shown[i].origin = es->sig[i].origin;
		es->shown[i].media_type = es->sig[i].referrer ?
		    es->sig[i].etype : es->sig[i].media_type;
	}
	return rc;
}

void
explain_sigs_req(const struct explain_sigs *es, int64_t manifest_size,
    struct admission_req *q)
{
	q->sigs = es->in;
	q->nsigs = es->n;
	q->sigs_gathered = es->gathered;
	q->manifest_size = manifest_size;
	/* The index's signatures name the index, as at the proxy. */
	q->sig_subject = es->subject[0] != '\0' && es->n > 0 ? es->subject :
	    NULL;
}

/* The Sigstore bundle referrers of DIGEST (cosign v3's attestations). */
static int
bundle_referrers(struct upc *s, const char *digest, struct explain_atts *as,
    struct rw_err *err)
{
	struct explain_sigs *es = calloc(1, sizeof(*es));
	size_t i, cap = upc_config(s)->att_max_bytes;
	int rc;

	if (es == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	/* As the proxy: up to the attestation cap, and what bundles may be. */
	rc = referrers(s, digest, cap < SIG_BUNDLE_MAX ? cap : SIG_BUNDLE_MAX,
	    es, err);
	for (i = 0; i < es->n && as->nref < FACTS_SIG_MAX; i++) {
		/* Moved, not copied: ES no longer owns it. */
		as->ref[as->nref++] = es->sig[i];
		memset(&es->sig[i], 0, sizeof(es->sig[i]));
	}
	explain_sigs_cleanup(es);
	free(es);
	return rc;
}

int
explain_atts_gather(struct upc *s, const char *digest,
    struct explain_atts *as, struct rw_err *err)
{
	char path[RW_DIGEST_MAX + 32], what[RW_DIGEST_MAX + 40];
	struct upc_resp r;
	size_t i, n = 0;
	int rc, found;

	snprintf(path, sizeof(path), "manifests/sha256-%s.att", digest + 7);
	snprintf(what, sizeof(what), "the attestation tag of %s", digest);
	rc = get(s, path, UPC_MANIFEST, manifest_cap(s), &r, err);
	found = rc == RW_OK && r.status != 404;
	if (rc == RW_OK && found && r.status != 200)
		rc = upc_bad_status(s, &r, what, err);
	if (rc == RW_OK && found)
		n = facts_att_layers(r.body.data, r.body.len, as->att,
		    FACTS_ATT_MAX, upc_config(s)->att_max_bytes);
	upc_resp_cleanup(&r);
	for (i = 0; i < n; i++)
		snprintf(as->att[i].origin, sizeof(as->att[i].origin),
		    "attestation layer %zu", i + 1);
	for (i = 0; rc == RW_OK && i < n; i++)
		if (as->att[i].digest[0] != '\0')
			rc = fetch_blob(s, &as->att[i], err);
	as->n = n;
	if (rc == RW_OK)
		rc = bundle_referrers(s, digest, as, err);
	as->gathered = rc == RW_OK;
	for (i = 0; i < n; i++)
		facts_att_input(&as->att[i], &as->in[i]);
	as->nin = n;
	for (i = 0; i < as->nref; i++)
		as->nin += (size_t)facts_att_bundle(&as->ref[i],
		    &as->in[as->nin]);
	return rc;
}

void
explain_atts_req(const struct explain_atts *as, struct admission_req *q)
{
	q->atts = as->in;
	q->natts = as->nin;
	q->atts_gathered = as->gathered;
}

void
explain_atts_cleanup(struct explain_atts *as)
{
	size_t i;

	if (as == NULL)
		return;
	for (i = 0; i < as->n; i++)
		facts_sig_cleanup(&as->att[i]);
	for (i = 0; i < as->nref; i++)
		facts_sig_cleanup(&as->ref[i]);
	memset(as, 0, sizeof(*as));
}

void
explain_sigs_cleanup(struct explain_sigs *es)
{
	size_t i;

	if (es == NULL)
		return;
	for (i = 0; i < es->n; i++)
		facts_sig_cleanup(&es->sig[i]);
	memset(es, 0, sizeof(*es));
}
