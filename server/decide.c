/* decide.c - admission at the proxy: ask for the facts a rule needs, evaluate, record, answer. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The facts themselves (configs, platforms, signatures, attestations, scan
 * verdicts) are fetched and read in decide_gather.c; this file is the
 * request's path through admission: the cached verdict, the evaluation,
 * the record and the answer, and the holds until a scan or an inspection.
 */
#include "server/decide_int.h"

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
#include "server/internal.h"
#include "server/scanner.h"

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

const char *
decide_req_tag(const struct request *rq)
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
	const char *tag = decide_req_tag(rq);
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
	q.tag = decide_req_tag(rq);
	q.digest = rq->digest;
	q.media_type = rq->mtype;
	q.is_index = decide_is_index(rq->mtype);
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
		rc = decide_att_scan(rq, &q, err);
		if (rc != RW_OK)
			return rc;
	}
	if (dx->content_ready && !q.is_index)
		q.content = &dx->fc.pc;
	for (i = 0; dx->content_ready && q.is_index && i < q.nplatforms; i++)
		dx->pl[i].content = dx->cfc[i].layers != NULL ?
		    &dx->cfc[i].pc : NULL;
	if ((dx->needs & POLICY_NEED_SCAN) && !rq->write_op) {
		rc = decide_scan_facts(rq, dx, err);
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
	const char *tag = decide_req_tag(rq);
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
	int by_tag = artifact_tag(decide_req_tag(rq)), yes;
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
	    POLICY_OP_PUSH : POLICY_OP_PULL, decide_req_tag(rq) != NULL,
	    &needs);
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
	if (decide_plan(rq, rq->dx, &err) != RW_OK)
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
	rc = decide_gather(rq, rq->dx, &err);
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
