/* proxy_manifest.c - manifest bytes: digests checked on fetch and push, cached, answered. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static void	 add_warning(struct MHD_Response *r, const char *msg);

/* ---------------------------------------------------------- manifests */

/* Counts an upstream's manifest bytes that did not match their digest;
 * returns 0 so it can sit in front of the answer. */
static int
digest_bad(struct request *rq)
{
	metrics_upstream_error(rq->srv->metrics, rq->rt.up->name,
	    METRICS_UP_DIGEST);
	return 0;
}

static int
serve_manifest(struct request *rq, const char *body, size_t len,
    const char *media_type, const char *digest)
{
	struct MHD_Response *r;
	char etag[RW_DIGEST_MAX + 4];

	if (front_buffer(rq, 200, body, len, media_type, &r) != MHD_YES)
		return S_FAIL;
	MHD_add_response_header(r, "Docker-Content-Digest", digest);
	snprintf(etag, sizeof(etag), "\"%s\"", digest);
	MHD_add_response_header(r, "ETag", etag);
	if (rq->dv.kind == VERDICT_WARN)
		add_warning(r, rq->dv.message);
	return proxy_done(front_queue(rq, 200, r));
}

/* A Warning header (RFC 7234 299) with the message as a quoted string:
 * printable ASCII only, quotes escaped, under the 4096-byte limit. */
static void
add_warning(struct MHD_Response *r, const char *msg)
{
	char v[4000];
	size_t n = 0;

	n += (size_t)snprintf(v, sizeof(v), "299 - \"");
	for (; *msg != '\0' && n < sizeof(v) - 8; msg++) {
		unsigned char c = (unsigned char)*msg;
		if (strncmp(msg, "\xe2\x86\x92", 3) == 0) {	/* U+2192 */
			v[n++] = '-';
			v[n++] = '>';
			msg += 2;
			continue;
		}
		if (c == '"' || c == '\\')
			v[n++] = '\\';
		v[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	v[n++] = '"';
	v[n] = '\0';
	MHD_add_response_header(r, "Warning", v);
}

/* The 403 body's detail: the rule's file is named relative to the config,
 * never by the server's path. */
static void
refusal_detail(struct request *rq, char *out, size_t size)
{
	json_t *d;
	char *text;

	d = json_pack("{s:s,s:s,s:s,s:i,s:s}", "verdict", "deny", "rule",
	    rq->dv.rule, "file", config_client_path(rq->cfg, rq->dv.file),
	    "line", rq->dv.line, "digest", rq->digest);
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	rw_strlcpy(out, text != NULL ? text : "{}", size);
	free(text);
}

/*
 * A refused tag's HEAD: 200 with the digest of its denial document (see
 * denial.h), remembered so that the GET of that digest is refused with the
 * message.  The real digest never leaves in a refusal.
 */
static int
serve_denial_doc(struct request *rq)
{
	struct denial_subject s;
	struct MHD_Response *r;
	struct rw_buf doc;
	struct rw_err err;
	char host[256], digest[RW_DIGEST_MAX], etag[RW_DIGEST_MAX + 4];
	int rc;

	decide_host(rq->rt.up, host, sizeof(host));
	memset(&s, 0, sizeof(s));
	s.host = host;
	s.repo = rq->rt.name;
	s.ref = rq->rt.ref;
	s.media_type = rq->mtype[0] != '\0' ? rq->mtype :
	    "application/vnd.oci.image.manifest.v1+json";
	s.policy_rev = rq->ph != NULL ? policy_revision(rq->ph->p) : "";
	s.v = &rq->dv;
	rw_err_clear(&err);
	if (denial_doc(&s, &doc, digest, &err) != RW_OK)
		return proxy_done(front_refuse(rq, 403, "DENIED",
		    rq->dv.message, NULL));
	denial_table_put(rq->srv->denials, rq->rt.up->name, rq->rt.name,
	    digest, rq->rt.ref, &rq->dv, rw_now_ms());
	rc = front_buffer(rq, 200, doc.data, doc.len, s.media_type, &r);
	rw_buf_free(&doc);
	if (rc != MHD_YES)
		return S_FAIL;
	MHD_add_response_header(r, "Docker-Content-Digest", digest);
	snprintf(etag, sizeof(etag), "\"%s\"", digest);
	MHD_add_response_header(r, "ETag", etag);
	rw_strlcpy(rq->note, "denial document", sizeof(rq->note));
	return proxy_done(front_queue(rq, 200, r));
}

/* The manifest with the verdict in rq->dv. */
int
proxy_answer_decided(struct request *rq)
{
	char detail[1024];

	switch (denial_plan(proxy_is_method(rq, "HEAD"), rq->rt.ref_is_digest,
	    rq->write_op, rq->dv.kind)) {
	case DENIAL_UNAVAILABLE:
		return proxy_done(front_refuse(rq, 503, "UNAVAILABLE",
		    rq->dv.message, NULL));
	case DENIAL_SERVE_DOC:
		return serve_denial_doc(rq);
	case DENIAL_FORWARD:	/* an admitted push goes upstream */
		rq->phase = PH_SEND;
		return S_NEXT;
	case DENIAL_SERVE:
		return serve_manifest(rq, rq->mbody, rq->mlen, rq->mtype,
		    rq->digest);
	case DENIAL_REFUSE:
	default:
		refusal_detail(rq, detail, sizeof(detail));
		return proxy_done(front_refuse(rq, 403, "DENIED",
		    rq->dv.message, detail));
	}
}

int
proxy_denial_lookup(struct request *rq)
{
	struct dverdict v;
	char ref[200];

	if (rq->rt.kind != ROUTE_MANIFEST || !rq->rt.ref_is_digest ||
	    rq->write_op || !denial_table_get(rq->srv->denials,
	    rq->rt.up->name, rq->rt.name, rq->rt.ref, &v, ref, sizeof(ref),
	    rw_now_ms()))
		return S_NEXT;
	return decide_replay_denial(rq, &v, ref);
}

/* Hash the exact bytes; what the client asked for and what the upstream
 * claims must both agree with them.  Returns S_NEXT when they do. */
static int
check_digest(struct request *rq, const char *body, size_t len)
{
	char claimed[RW_DIGEST_MAX + 8];
	int alg = RW_HASH_SHA256;

	if (rq->rt.ref_is_digest)
		alg = rw_hash_alg_of(rq->rt.ref);
	else if (xfer_header(rq->x, "Docker-Content-Digest", claimed,
	    sizeof(claimed)) > 0 && rw_hash_alg_of(claimed) != 0)
		alg = rw_hash_alg_of(claimed);
	if (rw_digest(alg, body, len, rq->digest) != RW_OK)
		return proxy_done(front_error(rq, 500, "UNKNOWN",
		    "cannot hash"));
	if (rq->rt.ref_is_digest && strcmp(rq->digest, rq->rt.ref) != 0)
		return proxy_done(digest_bad(rq) + front_error(rq, 502,
		    "DIGEST_INVALID",
		    "upstream %s sent manifest bytes whose digest is %s, not "
		    "the requested %s; refusing them", rq->rt.up->name,
		    rq->digest, rq->rt.ref));
	if (xfer_header(rq->x, "Docker-Content-Digest", claimed,
	    sizeof(claimed)) > 0 && rw_hash_alg_of(claimed) == alg &&
	    strcmp(claimed, rq->digest) != 0)
		return proxy_done(digest_bad(rq) + front_error(rq, 502,
		    "DIGEST_INVALID",
		    "upstream %s sent manifest %s:%s with "
		    "Docker-Content-Digest %s, but its bytes hash to %s; "
		    "refusing them", rq->rt.up->name, rq->rt.name, rq->rt.ref,
		    claimed, rq->digest));
	return S_NEXT;
}

static void
strip_params(char *mt)
{
	char *p = strchr(mt, ';');

	if (p != NULL)
		*p = '\0';
	for (p = mt + strlen(mt); p > mt && (p[-1] == ' ' || p[-1] == '\t');)
		*--p = '\0';
}

/*
 * The verified manifest BODY in the manifest cache; its media type into MT.
 * *OUT gets the cache's reference (NULL when it could not be kept).  A tag
 * that still points at a manifest already kept skips the parse: the bytes
 * hash to that entry's digest, so they are the same bytes, already parsed,
 * with their references in the db.  Parsing and storing them again on every
 * pull by tag was about 6% of its CPU.  Returns S_NEXT, or the answer to an
 * unreadable manifest.
 */
static int
keep_manifest(struct request *rq, const char *body, size_t len, char *mt,
    size_t mtsize, const struct mcache_entry **out)
{
	const struct mcache_entry *e;
	struct mcache_ref *refs = NULL;
	struct rw_err err;
	size_t nrefs = 0;

	e = mcache_peek(rq->srv->mc, rq->rt.up->name, rq->rt.name,
	    rq->digest);
	if (e != NULL && mcache_entry_len(e) == len) {
		rw_strlcpy(mt, mcache_entry_media_type(e), mtsize);
		*out = e;
		return S_NEXT;
	}
	mcache_release(e);
	rw_err_clear(&err);
	if (mcache_manifest_refs(body, len, &refs, &nrefs, mt, mtsize,
	    &err) != RW_OK)
		return proxy_done(front_error(rq, 502, "MANIFEST_INVALID",
		    "upstream %s sent a manifest regwarden cannot read: %s",
		    rq->rt.up->name, err.msg));
	if (mt[0] == '\0' && xfer_header(rq->x, "Content-Type", mt,
	    mtsize) < 0)
		rw_strlcpy(mt, "application/octet-stream", mtsize);
	strip_params(mt);
	*out = mcache_put(rq->srv->mc, rq->rt.up->name, rq->rt.name,
	    rq->digest, mt, body, len, refs, nrefs, (int64_t)time(NULL));
	free(refs);
	return S_NEXT;
}

/*
 * The upstream says the tag still points at the cached manifest RQ->entry
 * (proxy.c: revalidate_setup): admission goes on with those bytes.  A 304
 * that names another digest contradicts itself and is refused.
 */
static int
not_modified(struct request *rq)
{
	char claimed[RW_DIGEST_MAX + 8];
	const char *digest = mcache_entry_digest(rq->entry);

	if (xfer_header(rq->x, "Docker-Content-Digest", claimed,
	    sizeof(claimed)) > 0 && strcmp(claimed, digest) != 0)
		return proxy_done(front_error(rq, 502, "DIGEST_INVALID",
		    "upstream %s answered 304 Not Modified for %s:%s, which "
		    "regwarden holds as %s, with Docker-Content-Digest %s; "
		    "refusing it", rq->rt.up->name, rq->rt.name, rq->rt.ref,
		    digest, claimed));
	proxy_authz_store(rq);
	return proxy_answer_entry(rq, "revalidated");
}

int
proxy_answer_fetched_manifest(struct request *rq)
{
	const struct mcache_entry *e = NULL;
	char mt[256];
	const char *body;
	size_t len;
	long status = xfer_status(rq->x);
	int rc;

	if (!rq->rt.ref_is_digest)
		metrics_cache(rq->srv->metrics, METRICS_CACHE_TAG,
		    rq->revalidating && status == 304);
	if (rq->revalidating) {
		rq->revalidating = 0;
		if (status == 304)
			return not_modified(rq);
		mcache_release(rq->entry);	/* the tag moved, or a refusal */
		rq->entry = NULL;
	}
	/* Only a 200 carries bytes to decide on; any other success would
	 * pass undecided. */
	if (status > 200 && status < 300)
		return proxy_done(front_error(rq, 502, "UNKNOWN", "upstream "
		    "%s answered the manifest %s:%s with status %ld instead of "
		    "200", rq->rt.up->name, rq->rt.name, rq->rt.ref, status));
	if (status != 200)
		return proxy_answer_upstream(rq);
	if (xfer_too_big(rq->x))
		return proxy_done(front_error(rq, 502, "MANIFEST_INVALID",
		    "upstream %s sent a manifest over the limit of %zu bytes",
		    rq->rt.up->name, rq->cfg->max_manifest_bytes));
	body = xfer_body(rq->x, &len);
	rc = check_digest(rq, body, len);
	if (rc != S_NEXT)
		return rc;
	if (denial_is_doc(body, len))
		return proxy_done(front_error(rq, 403, "DENIED", "%s/%s:%s is "
		    "a regwarden denial document, which is never served",
		    rq->rt.up->name, rq->rt.name, rq->rt.ref));
	rc = keep_manifest(rq, body, len, mt, sizeof(mt), &e);
	if (rc != S_NEXT)
		return rc;
	if (!rq->rt.ref_is_digest && e != NULL)
		proxy_tag_hint_put(rq);
	proxy_authz_store(rq);
	if (e != NULL) {
		mcache_release(rq->entry);
		rq->entry = e;
	}
	rq->mbody = body;	/* held by rq->x until the request ends */
	rq->mlen = len;
	rw_strlcpy(rq->mtype, mt, sizeof(rq->mtype));
	rq->phase = PH_DECIDE;
	return S_NEXT;
}

/* After the upstream stored a pushed manifest, keep the verified copy. */
void
proxy_cache_pushed_manifest(struct request *rq)
{
	struct mcache_ref *refs = NULL;
	const struct mcache_entry *e;
	struct rw_err err;
	char mt[256];
	size_t nrefs = 0;

	rw_err_clear(&err);
	if (rq->body.data == NULL || mcache_manifest_refs(rq->body.data,
	    rq->body.len, &refs, &nrefs, mt, sizeof(mt), &err) != RW_OK)
		return;
	if (mt[0] == '\0') {
		const char *ct = proxy_hdr(rq, "Content-Type");
		rw_strlcpy(mt, ct != NULL ? ct : "application/octet-stream",
		    sizeof(mt));
	}
	strip_params(mt);
	e = mcache_put(rq->srv->mc, rq->rt.up->name, rq->rt.name, rq->digest,
	    mt, rq->body.data, rq->body.len, refs, nrefs, (int64_t)time(NULL));
	free(refs);
	mcache_release(e);
}

/* A pushed manifest is hashed before it goes upstream; a digest reference
 * must match the bytes. */
int
proxy_check_pushed_manifest(struct request *rq)
{
	int alg = rq->rt.ref_is_digest ? rw_hash_alg_of(rq->rt.ref) :
	    RW_HASH_SHA256;
	const char *b = rq->body.data != NULL ? rq->body.data : "", *ct;
	struct mcache_ref *refs = NULL;
	struct rw_err err;
	size_t n = 0;

	rw_err_clear(&err);
	if (rw_digest(alg, b, rq->body.len, rq->digest) != RW_OK)
		return proxy_done(front_error(rq, 500, "UNKNOWN",
		    "cannot hash"));
	if (rq->rt.ref_is_digest && strcmp(rq->digest, rq->rt.ref) != 0)
		return proxy_done(front_error(rq, 400, "DIGEST_INVALID",
		    "the manifest bytes hash to %s, not %s", rq->digest,
		    rq->rt.ref));
	if (denial_is_doc(b, rq->body.len))
		return proxy_done(front_error(rq, 403, "DENIED", "a manifest "
		    "carrying the \"" DENIAL_MARKER "\" annotation cannot be "
		    "pushed: regwarden answers refusals with such documents"));
	if (mcache_manifest_refs(b, rq->body.len, &refs, &n, rq->mtype,
	    sizeof(rq->mtype), &err) != RW_OK)
		return proxy_done(front_error(rq, 400, "MANIFEST_INVALID", "%s",
		    err.msg));
	free(refs);
	if (rq->mtype[0] == '\0') {
		ct = proxy_hdr(rq, "Content-Type");
		rw_strlcpy(rq->mtype, ct != NULL ? ct : "", sizeof(rq->mtype));
		strip_params(rq->mtype);
	}
	rq->mbody = b;
	rq->mlen = rq->body.len;
	rq->push_checked = 1;
	rq->phase = PH_DECIDE;	/* push admission, then PH_SEND */
	return S_NEXT;
}
