/* proxy_upload.c - blob uploads under a no_secrets push rule: kept on disk before they are forwarded, read at the final PUT, refused before the registry commits a layer with a secret. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "content/content.h"
#include "db/db.h"
#include "server/auditq.h"
#include "server/upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The registry (distribution) commits a blob only at the upload's final
 * PUT ?digest= (or a POST ?digest= carrying the whole blob); the bytes of
 * PATCH requests wait in its upload area.  So every byte of an inspected
 * upload is written to the spool before it is forwarded, and the request
 * that would commit goes upstream only after the whole upload hashed to
 * its digest and content/ found no secret in it.  A refused upload is
 * cancelled upstream (DELETE), so its bytes never become a blob.
 *
 * Cross-repository mounts are not forwarded for such repositories: the
 * mount and from parameters are dropped, the registry answers 202 with an
 * ordinary upload, and the client sends the bytes, which are read like
 * any other (the blob gate of the source repository is not a judgement
 * of this one's rule).
 */

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* "identity|address": a session serves the client that began it. */
static void
owner_of(const struct request *rq, char *out, size_t size)
{
	snprintf(out, size, "%s|%s", rq->identity, rq->client_ip);
}

static int
reads_uploads(struct request *rq)
{
	struct policy_holder *ph = decide_policy_acquire(rq->srv);
	char host[256];
	int yes;

	if (ph == NULL)
		return 0;
	decide_host(rq->rt.up, host, sizeof(host));
	yes = policy_push_reads_uploads(ph->p, host, rq->rt.name);
	decide_policy_release(ph);
	return yes;
}

/*
 * Give the session back (or end it) as soon as this request's answer is
 * known, before the answer is queued: a client sends its next request on
 * the session the moment it reads this one's answer, maybe before this
 * request's completion callback ran.
 */
static void
release(struct request *rq)
{
	if (rq->upl == NULL)
		return;
	if (rq->upl_end || rq->upl_oneshot)
		upload_end(rq->srv->uploads, rq->upl);
	else
		upload_give(rq->srv->uploads, rq->upl, now_s());
	rq->upl = NULL;
}

/* Take (or make) the session of this request. */
static int
take(struct request *rq, const char *key)
{
	struct rw_err err;
	char owner[sizeof(rq->identity) + 80];
	int rc;

	owner_of(rq, owner, sizeof(owner));
	rw_err_clear(&err);
	rc = upload_take(rq->srv->uploads, key, owner, 1, now_s(), &rq->upl,
	    &err);
	switch (rc) {
	case RW_OK:
		return S_NEXT;
	case RW_EPERM:
		return proxy_done(front_error(rq, 403, "DENIED", "%s",
		    err.msg));
	case RW_EBUSY:
		return proxy_done(front_error(rq, 409, "BLOB_UPLOAD_INVALID",
		    "%s", err.msg));
	case RW_ENOTFOUND:	/* dropped idle: its bytes are gone */
		return proxy_done(front_error(rq, 404, "BLOB_UPLOAD_UNKNOWN",
		    "%s", err.msg));
	default:
		rq->retry_after = 5;
		return proxy_done(front_error(rq, 503, "UNAVAILABLE", "cannot "
		    "take the upload for inspection: %s", err.msg));
	}
}

/* A chunk must start where the upload stands: anything else (out of
 * order, overlapping, a length other than the body's) is refused. */
static int
check_range(struct request *rq)
{
	const char *h = proxy_hdr(rq, "Content-Range");
	uint64_t start, end, at = upload_committed(rq->upl);

	if (h == NULL)
		return S_NEXT;
	if (upload_parse_range(h, &start, &end) != 0) {
		release(rq);
		return proxy_done(front_error(rq, 400, "BLOB_UPLOAD_INVALID",
		    "malformed Content-Range \"%.64s\"", h));
	}
	if (start == at && (rq->body_len < 0 ||
	    end - start + 1 == (uint64_t)rq->body_len))
		return S_NEXT;
	release(rq);
	return proxy_done(front_error(rq, 416, "BLOB_UPLOAD_INVALID",
	    "chunk %llu-%llu does not continue the upload, which holds %llu "
	    "bytes", (unsigned long long)start, (unsigned long long)end,
	    (unsigned long long)at));
}

static int
begin_start(struct request *rq)
{
	char key[96];
	int d;

	if (upload_query_drop_mount(rq->rt.upstream_query))
		rw_strlcpy(rq->note, "mount not forwarded: the layer is read "
		    "as it is uploaded", sizeof(rq->note));
	d = upload_query_param(rq->rt.upstream_query, "digest",
	    rq->upl_digest, sizeof(rq->upl_digest));
	if (d < 0 || (d == 1 && rw_hash_alg_of(rq->upl_digest) == 0))
		return proxy_done(front_error(rq, 400, "DIGEST_INVALID",
		    "the upload's digest parameter is not a digest"));
	if (d == 0) {
		if (!rq->has_body)
			return S_NEXT;	/* a session begins: nothing to keep */
		return proxy_done(front_error(rq, 400, "BLOB_UPLOAD_INVALID",
		    "a POST that starts an upload carries no body unless it "
		    "names the blob's digest"));
	}
	/* The whole blob in one request: a session of its own. */
	snprintf(key, sizeof(key), "post|%s", rq->id);
	rq->spool = 1;
	rq->upl_final = 1;
	rq->upl_oneshot = 1;
	return take(rq, key);
}

static int
begin_session(struct request *rq)
{
	char key[ROUTE_NAME_MAX + ROUTE_REF_MAX + 128];
	char owner[sizeof(rq->identity) + 80];
	struct rw_err err;
	const char *why;
	int d, rc;

	snprintf(key, sizeof(key), "%s|%s|%s", rq->rt.up->name, rq->rt.name,
	    rq->rt.ref);
	if (proxy_is_method(rq, "DELETE")) {
		/* The client gives up: so does the spool (if it is its). */
		owner_of(rq, owner, sizeof(owner));
		rw_err_clear(&err);
		if (upload_take(rq->srv->uploads, key, owner, 0, now_s(),
		    &rq->upl, &err) == RW_OK)
			rq->upl_end = 1;
		return S_NEXT;
	}
	if (proxy_is_method(rq, "PUT")) {
		d = upload_query_param(rq->rt.upstream_query, "digest",
		    rq->upl_digest, sizeof(rq->upl_digest));
		if (d != 1 || rw_hash_alg_of(rq->upl_digest) == 0)
			return proxy_done(front_error(rq, 400,
			    "DIGEST_INVALID", "the final PUT of an upload must "
			    "name the blob's digest"));
		rq->upl_final = 1;
	}
	rq->spool = 1;
	rc = take(rq, key);
	if (rc != S_NEXT)
		return rc;
	why = upload_poisoned(rq->upl);
	if (why != NULL) {
		rw_strlcpy(rq->note, why, sizeof(rq->note));
		release(rq);
		return proxy_done(front_error(rq, 400, "BLOB_UPLOAD_INVALID",
		    "%s; start the upload again", rq->note));
	}
	return check_range(rq);
}

int
proxy_upload_begin(struct request *rq)
{
	if (rq->srv->uploads == NULL)
		return S_NEXT;
	if (rq->rt.kind == ROUTE_UPLOAD_START && proxy_is_method(rq, "POST")) {
		if (!reads_uploads(rq))
			return S_NEXT;
		return begin_start(rq);
	}
	if (rq->rt.kind != ROUTE_UPLOAD || proxy_is_method(rq, "GET"))
		return S_NEXT;
	if (!proxy_is_method(rq, "DELETE") && !reads_uploads(rq))
		return S_NEXT;
	return begin_session(rq);
}

/*
 * A body that cannot be kept is discarded to its end and refused then
 * (proxy_upload_check): libmicrohttpd sends no answer in the middle of a
 * request body, and the client should read why.  Nothing of it goes
 * upstream.
 */
enum MHD_Result
proxy_upload_body(struct request *rq, const char *data, size_t *size)
{
	struct rw_err err;
	int rc;

	if (rq->upl_failed || rq->upl == NULL) {
		*size = 0;
		return MHD_YES;
	}
	rw_err_clear(&err);
	rc = upload_append(rq->srv->uploads, rq->upl, data, *size, &err);
	*size = 0;
	if (rc == RW_OK)
		return MHD_YES;
	rq->upl_failed = 1;
	rq->upl_status = rc == RW_ETOOBIG ? 413 : 507;
	rw_strlcpy(rq->upl_code, rc == RW_ETOOBIG ? "SIZE_INVALID" :
	    "UNKNOWN", sizeof(rq->upl_code));
	rq->upl_refusal = strdup(err.msg);
	release(rq);
	return MHD_YES;
}

/* ------------------------------------------------------------ judging */

/* The index is a fact about the digest: keep it whatever the verdict. */
static void
keep_index(struct request *rq, const struct content_index *idx)
{
	struct rw_err err;

	rw_err_clear(&err);
	if (inspector_keep(rq->srv->db, rq->upl_digest, idx, &err) != RW_OK)
		log_warnx("request %s: the index of uploaded layer %s was not "
		    "kept: %s", rq->id, rq->upl_digest, err.msg);
}

/* One audit row and one log line for a layer judged refused or warned,
 * as for a pull's decision. */
static void
audit_layer(struct request *rq, const struct verdict *v)
{
	struct db_audit_row a;
	struct rw_err err;
	char host[256], *reasons;

	decide_host(rq->rt.up, host, sizeof(host));
	reasons = decide_reasons_json(v);
	memset(&a, 0, sizeof(a));
	a.ts = now_s();
	a.request_id = rq->id;
	a.client = rq->client_ip;
	a.identity = rq->identity;
	a.operation = "push";
	a.upstream = rq->rt.up->name;
	a.host = host;
	a.repo = rq->rt.name;
	a.reference = rq->upl_digest;
	a.digest = rq->upl_digest;
	a.verdict = verdict_name(v->kind);
	a.mode = policy_mode_name(v->mode);
	a.rule = v->rule;
	a.rule_file = v->file;
	a.rule_line = v->line;
	a.reasons_json = reasons;
	a.message = v->message;
	rw_err_clear(&err);
	if (auditq_add(rq->srv->auditq, &a, &err) != RW_OK)
		log_warnx("request %s: no audit row for the judged upload of "
		    "%s: %s", rq->id, rq->upl_digest, err.msg);
	free(reasons);
	rw_log_kv(RW_LOG_INFO, rq->id, "decision", "client", rq->client_ip,
	    "identity", rq->identity, "op", "push", "upstream",
	    rq->rt.up->name, "repo", rq->rt.name, "reference",
	    rq->upl_digest, "digest", rq->upl_digest, "verdict",
	    verdict_name(v->kind), "rule", v->rule, "at", v->file, "message",
	    v->message, (const char *)NULL);
}

/* The layer's secrets under the rule in force now. */
static int
judge_layer(struct request *rq, const struct content_index *idx,
    struct verdict *v, struct rw_err *err)
{
	struct policy_secret *s;
	struct policy_content c;
	struct policy_holder *ph;
	char host[256];
	size_t i;
	int rc;

	s = calloc(idx->nfindings + 1, sizeof(*s));
	if (s == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < idx->nfindings; i++) {
		s[i].path = idx->findings[i].path;
		s[i].what = idx->findings[i].what;
	}
	memset(&c, 0, sizeof(c));
	c.nlayers = 1;
	c.secrets = s;
	c.nsecrets = idx->nfindings;
	c.layer = rq->upl_digest;
	decide_host(rq->rt.up, host, sizeof(host));
	ph = decide_policy_acquire(rq->srv);
	if (ph == NULL) {
		memset(v, 0, sizeof(*v));
		v->kind = VERDICT_ALLOW;	/* no policy any more */
		rc = RW_OK;
	} else {
		rc = policy_eval_layer(ph->p, host, rq->rt.name, &c, v, err);
		decide_policy_release(ph);
	}
	free(s);
	return rc;
}

/* Refuse with MSG, after cancelling the upload upstream when there is one. */
static int
refuse(struct request *rq, unsigned status, const char *code,
    const char *msg)
{
	char url[ROUTE_NAME_MAX + ROUTE_REF_MAX + ROUTE_QUERY_MAX + 512];
	struct xfer_spec s;
	struct rw_err err;

	rq->upl_status = status;
	rw_strlcpy(rq->upl_code, code, sizeof(rq->upl_code));
	rq->upl_refusal = strdup(msg);
	rq->upl_end = 1;
	if (rq->upl_refusal == NULL)
		return S_FAIL;
	if (rq->upl_oneshot ||
	    proxy_upstream_url(&rq->rt, url, sizeof(url)) != RW_OK)
		return proxy_upload_cancelled(rq);
	memset(&s, 0, sizeof(s));
	s.method = "DELETE";
	s.url = url;
	s.up = rq->rt.up;
	s.max_body = 64 * 1024;
	s.connect_timeout = rq->cfg->connect_timeout;
	s.total_timeout = rq->cfg->request_timeout;
	s.stall_timeout = rq->cfg->stall_timeout;
	if (proxy_credentials_mode(rq)) {
		s.bearer = rq->bearer;
		if (s.bearer == NULL && rq->rt.up->username != NULL) {
			s.user = rq->rt.up->username;
			s.pass = rq->rt.up->password;
		}
	} else if (rq->authz != NULL) {
		if (asprintf(&rq->upl_authz, "Authorization: %s",
		    rq->authz) < 0) {
			rq->upl_authz = NULL;
			return proxy_upload_cancelled(rq);
		}
		s.headers[0] = rq->upl_authz;
	}
	s.hooks = front_hooks(rq);
	rw_err_clear(&err);
	rq->x = xfer_start(rq->srv->eng, &s, &err);
	if (rq->x == NULL)
		return proxy_upload_cancelled(rq);
	rq->upl_refusing = 1;
	rq->phase = PH_WAIT;
	return S_NEXT;
}

/* An allow in audit mode that a failed check would have refused. */
static int
would_refuse(const struct verdict *v)
{
	size_t i;

	for (i = 0; v->kind == VERDICT_ALLOW && i < v->nreasons; i++)
		if (v->reasons[i].failed)
			return 1;
	return 0;
}

/* A reader thread finished: the request goes on (decide.c parks alike). */
static void
job_done(void *arg)
{
	struct request *rq = arg;

	MHD_resume_connection(rq->conn);
}

/* Hand the final read to the table's readers; the request is parked. */
static int
start_job(struct request *rq)
{
	struct upload_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return refuse(rq, 503, "UNAVAILABLE", "out of memory");
	j->u = rq->upl;
	rw_strlcpy(j->digest, rq->upl_digest, sizeof(j->digest));
	j->done = job_done;
	j->arg = rq;
	rq->upl_job = j;
	/* Parked before the job can end, so its wake-up is never lost. */
	MHD_suspend_connection(rq->conn);
	if (upload_judge_start(rq->srv->uploads, j) == RW_OK)
		return S_PARKED;
	MHD_resume_connection(rq->conn);
	free(j);
	rq->upl_job = NULL;
	rq->upl_checked = 1;
	return refuse(rq, 503, "UNAVAILABLE", "regwarden is stopping");
}

/* What the reader found, under the rule in force now. */
static int
verdict_of(struct request *rq, struct upload_job *j)
{
	struct content_index *idx = j->idx;
	struct verdict v;
	struct rw_err err;
	int rc;

	j->idx = NULL;
	if (j->rc == RW_EDIGEST)
		return refuse(rq, 400, "DIGEST_INVALID", j->err.msg);
	if (j->rc != RW_OK)
		return refuse(rq, 503, "UNAVAILABLE", j->err.msg);
	if (idx == NULL)
		return S_NEXT;	/* not a layer: its manifest places it */
	keep_index(rq, idx);
	memset(&v, 0, sizeof(v));
	rw_err_clear(&err);
	rc = judge_layer(rq, idx, &v, &err);
	content_index_free(idx);
	if (rc != RW_OK)
		return refuse(rq, 503, "UNAVAILABLE", err.msg);
	if (v.kind == VERDICT_WARN || would_refuse(&v)) {
		/* Forwarded, but never silently: a warned or audited pull
		 * is logged and audited alike. */
		audit_layer(rq, &v);
		metrics_decision(rq->srv->metrics, v.kind == VERDICT_WARN ?
		    METRICS_WARN : METRICS_ALLOW, v.rule);
		return S_NEXT;
	}
	if (v.kind != VERDICT_DENY)
		return S_NEXT;
	audit_layer(rq, &v);
	metrics_decision(rq->srv->metrics, METRICS_DENY, v.rule);
	return refuse(rq, 403, "DENIED", v.message);
}

int
proxy_upload_check(struct request *rq)
{
	if (rq->upl_failed) {
		rq->upl_checked = 1;
		return rq->upl_refusal != NULL ? proxy_upload_cancelled(rq) :
		    S_FAIL;
	}
	if (rq->upl == NULL)
		return S_FAIL;
	if (!rq->upl_final) {
		rq->upl_checked = 1;
		return S_NEXT;
	}
	if (rq->upl_job == NULL)
		return start_job(rq);
	if (!upload_job_done(rq->srv->uploads, rq->upl_job))
		return S_PARKED;
	rq->upl_checked = 1;
	return verdict_of(rq, rq->upl_job);
}

/* The refusal, once the upstream upload is cancelled (or could not be). */
int
proxy_upload_cancelled(struct request *rq)
{
	const char *m = rq->upl_refusal;

	release(rq);
	if (rq->x != NULL && (xfer_failed(rq->x, NULL, 0) ||
	    (xfer_status(rq->x) != 204 && xfer_status(rq->x) != 404)))
		log_warnx("request %s: cancelling the refused upload upstream "
		    "answered %ld; the registry drops it when it expires",
		    rq->id, xfer_status(rq->x));
	/* A verdict's message carries its "regwarden: " already. */
	if (rq->upl_status == 403)
		return proxy_done(front_refuse(rq, 403, rq->upl_code, m, NULL));
	return proxy_done(front_error(rq, rq->upl_status, rq->upl_code, "%s",
	    m));
}

/* ------------------------------------------------------- on the wire */

void
proxy_upload_spec(struct request *rq, struct xfer_spec *s)
{
	uint64_t from = upload_committed(rq->upl), to = upload_size(rq->upl);

	if (to == from)
		return;	/* no body: "Content-Length: 0" */
	s->body_file = 1;
	s->body_fd = upload_fd(rq->upl);
	s->body_fd_off = (int64_t)from;
	s->body_fd_len = (int64_t)(to - from);
}

/*
 * The upstream answered: bytes it took are committed, others cut off.  A
 * 202 says how far the registry's upload goes (Range: 0-N): when that is
 * not the spool's size the two have parted, and the upload is refused
 * from here on rather than judged on bytes the registry does not hold.
 */
void
proxy_upload_answered(struct request *rq, long status)
{
	char range[64];
	uint64_t start, end;

	if (rq->upl == NULL)
		return;
	if (rq->upl_final || status != 202) {
		/* committed (201) or not taken: rolled back when given back */
		if (rq->upl_final && status == 201)
			rq->upl_end = 1;
		release(rq);
		return;
	}
	upload_commit(rq->upl);
	/* distribution says "0-0" for an empty upload as for one byte */
	if (xfer_header(rq->x, "Range", range, sizeof(range)) >= 0 &&
	    (upload_parse_range(range, &start, &end) != 0 || start != 0 ||
	    (end + 1 != upload_size(rq->upl) && !(end == 0 &&
	    upload_size(rq->upl) == 0))))
		upload_poison(rq->upl, "the registry's upload and the bytes "
		    "regwarden read have parted");
	release(rq);
}

void
proxy_upload_cleanup(struct request *rq)
{
	/* A job still reading keeps its request parked: never freed here
	 * before its end (upload_table_stop ends every job at shutdown). */
	if (rq->upl_job != NULL &&
	    upload_job_done(rq->srv->uploads, rq->upl_job)) {
		content_index_free(rq->upl_job->idx);
		free(rq->upl_job);
		rq->upl_job = NULL;
	}
	release(rq);
	free(rq->upl_refusal);
	rq->upl_refusal = NULL;
	if (rq->upl_authz != NULL)
		rw_freezero(rq->upl_authz, strlen(rq->upl_authz));
	rq->upl_authz = NULL;
}
