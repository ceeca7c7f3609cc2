/* proxy_upstream.c - the upstream request: URL, headers, send, wait, and relaying its answer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SMALL_BODY_CAP	(1024 * 1024)	/* upstream answers we buffer */

/* --------------------------------------------------- upstream request */

int
proxy_upstream_url(const struct route *r, char *out, size_t size)
{
	const char *base = r->up->url;
	int n;

	switch (r->kind) {
	case ROUTE_BASE:
		n = snprintf(out, size, "%s/v2/", base);
		break;
	case ROUTE_CATALOG:
		n = snprintf(out, size, "%s/v2/_catalog%s", base,
		    r->upstream_query);
		break;
	case ROUTE_MANIFEST:
		n = snprintf(out, size, "%s/v2/%s/manifests/%s%s", base,
		    r->name, r->ref, r->upstream_query);
		break;
	case ROUTE_BLOB:
		n = snprintf(out, size, "%s/v2/%s/blobs/%s%s", base, r->name,
		    r->ref, r->upstream_query);
		break;
	case ROUTE_UPLOAD_START:
		n = snprintf(out, size, "%s/v2/%s/blobs/uploads/%s", base,
		    r->name, r->upstream_query);
		break;
	case ROUTE_UPLOAD:
		n = snprintf(out, size, "%s/v2/%s/blobs/uploads/%s%s", base,
		    r->name, r->ref, r->upstream_query);
		break;
	case ROUTE_TAGS:
		n = snprintf(out, size, "%s/v2/%s/tags/list%s", base, r->name,
		    r->upstream_query);
		break;
	case ROUTE_REFERRERS:
		n = snprintf(out, size, "%s/v2/%s/referrers/%s%s", base,
		    r->name, r->ref, r->upstream_query);
		break;
	default:
		return RW_EINVAL;
	}
	return n > 0 && (size_t)n < size ? RW_OK : RW_ETOOBIG;
}

/* Headers of the client's request that go upstream, one "Name: value"
 * string each, collected by MHD's iterator. */
struct fwd {
	struct request	*rq;
	char		*lines[XFER_MAX_HEADERS];
	int		 n;
	unsigned	 want;		/* PROXY_FWD_* */
};

/*
 * An allow-list: framing (Content-Length, Transfer-Encoding), hop-by-hop
 * headers and Host are never among these; libcurl frames what regwarden
 * sends from the body it actually sends.
 */
int
proxy_fwd_wanted(const char *key, unsigned want)
{
	static const struct {
		const char	*name;
		unsigned	 flag;
	} tab[] = {
		{ "Accept", PROXY_FWD_ACCEPT },
		{ "Range", PROXY_FWD_RANGE },
		{ "Content-Type", PROXY_FWD_CTYPE },
		{ "Content-Range", PROXY_FWD_CRANGE },
		{ "User-Agent", PROXY_FWD_UA },
		{ "Authorization", PROXY_FWD_AUTHZ },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(key, tab[i].name) == 0)
			return (want & tab[i].flag) != 0;
	return 0;
}

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct fwd *f = cls;

	(void)kind;
	if (value == NULL || f->n >= XFER_MAX_HEADERS - 2)
		return MHD_YES;
	if (proxy_fwd_wanted(key, f->want) && strpbrk(value, "\r\n") == NULL &&
	    asprintf(&f->lines[f->n], "%s: %s", key, value) > 0)
		f->n++;
	return MHD_YES;
}

static void
fwd_free(struct fwd *f)
{
	int i;

	/* Lines may carry the client's credentials: wipe them. */
	for (i = 0; i < f->n; i++)
		rw_freezero(f->lines[i], strlen(f->lines[i]) + 1);
}

int
proxy_upstream_unreachable(struct request *rq, struct xfer *x)
{
	char why[XFER_ERRMSG_MAX];

	why[0] = '\0';
	if (x != NULL)
		xfer_failed(x, why, sizeof(why));
	log_warnx("upstream %s is down: %s", rq->rt.up->name,
	    why[0] != '\0' ? why : rq->note);
	metrics_upstream_down(rq->srv->metrics);
	if (rq->rt.kind == ROUTE_MANIFEST && !rq->write_op &&
	    rq->srv->cache != NULL && proxy_offline_manifest(rq))
		return S_NEXT;
	/* The version check answered here keeps clients that ping first
	 * (containers/image) pulling what the caches still hold. */
	if (rq->rt.kind == ROUTE_BASE && rq->srv->cache != NULL)
		return proxy_done(front_buffer(rq, 200, "{}", 2,
		    "application/json", NULL));
	return proxy_done(front_error(rq, 502, "UNAVAILABLE",
	    "upstream %s could not be reached: %s", rq->rt.up->name,
	    why[0] != '\0' ? why : rq->note));
}

/* ------------------------------------------------------------- send */

static void
spec_shape(struct request *rq, struct xfer_spec *s, struct fwd *f)
{
	int kind = rq->rt.kind;

	s->method = rq->method;
	s->max_body = SMALL_BODY_CAP;
	f->want = PROXY_FWD_UA;
	if (!proxy_credentials_mode(rq))
		f->want |= PROXY_FWD_AUTHZ;
	switch (kind) {
	case ROUTE_MANIFEST:
		f->want |= PROXY_FWD_ACCEPT;
		if (rq->write_op)
			f->want |= PROXY_FWD_CTYPE;
		if (!rq->write_op) {
			/* Always GET: the bytes are what gets verified. */
			s->method = "GET";
			s->max_body = rq->cfg->max_manifest_bytes + 1;
		}
		break;
	case ROUTE_BLOB:
		f->want |= PROXY_FWD_ACCEPT | PROXY_FWD_RANGE;
		s->follow = 1;
		s->stream = proxy_is_method(rq, "GET");
		/* A whole blob is checked against its digest on the way; so is
		 * one the blob cache may keep, which must be hashed anyway:
		 * the engine does it on its own thread, beside the TLS work
		 * of the worker that serves the client (proxy_blob.c). */
		if ((rq->cfg->verify_blobs || rq->cwr != NULL ||
		    rq->cache_fill) && s->stream &&
		    proxy_hdr(rq, "Range") == NULL &&
		    rw_hash_alg_of(rq->rt.ref) != 0)
			s->verify_digest = rq->rt.ref;
		rq->up_verified = s->verify_digest != NULL;
		break;
	case ROUTE_TAGS:
	case ROUTE_REFERRERS:
	case ROUTE_CATALOG:
		f->want |= PROXY_FWD_ACCEPT;
		s->stream = 1;
		break;
	case ROUTE_UPLOAD_START:
	case ROUTE_UPLOAD:
		f->want |= PROXY_FWD_CTYPE | PROXY_FWD_CRANGE;
		break;
	default:
		break;
	}
}

int
proxy_phase_send(struct request *rq)
{
	const struct cfg_upstream *up = rq->rt.up;
	struct xfer_spec s;
	struct fwd f;
	struct rw_err err;
	char url[ROUTE_NAME_MAX + ROUTE_REF_MAX + ROUTE_QUERY_MAX + 512];
	int i;

	if (proxy_upstream_url(&rq->rt, url, sizeof(url)) != RW_OK)
		return proxy_done(front_error(rq, 414, "NAME_INVALID",
		    "request URI too long"));
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	f.rq = rq;
	spec_shape(rq, &s, &f);
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, collect, &f);
	/* collect() leaves room for this one (proxy.c: revalidate_setup). */
	if (rq->revalidating && asprintf(&f.lines[f.n], "If-None-Match: "
	    "\"%s\"", mcache_entry_digest(rq->entry)) > 0)
		f.n++;
	for (i = 0; i < f.n; i++)
		s.headers[i] = f.lines[i];
	s.url = url;
	s.up = up;
	s.ring_size = rq->cfg->stream_buffer_bytes;
	s.connect_timeout = rq->cfg->connect_timeout;
	s.total_timeout = s.stream || rq->has_body ? 0 : rq->cfg->request_timeout;
	s.stall_timeout = rq->cfg->stall_timeout;
	if (rq->body_in_memory) {
		s.body = rq->body.data != NULL ? rq->body.data : "";
		s.body_size = rq->body.len;
	} else if (rq->spool) {
		if (rq->upl == NULL) {	/* never an unread body */
			fwd_free(&f);
			return S_FAIL;
		}
		proxy_upload_spec(rq, &s);
	} else if (rq->has_body) {
		s.send_body = 1;
		s.body_len = rq->body_len;
	}
	if (proxy_credentials_mode(rq)) {
		s.bearer = rq->bearer;
		if (s.bearer == NULL && up->username != NULL) {
			s.user = up->username;
			s.pass = up->password;
		}
	}
	s.hooks = front_hooks(rq);
	rw_err_clear(&err);
	rq->x = xfer_start(rq->srv->eng, &s, &err);
	fwd_free(&f);
	if (rq->x == NULL) {
		rw_strlcpy(rq->note, err.msg, sizeof(rq->note));
		return proxy_upstream_unreachable(rq, NULL);
	}
	if (rq->has_body && !rq->body_in_memory && !rq->spool &&
	    rq->body_done)
		xfer_write_eof(rq->x);
	rq->up_t0 = rw_now_ms();
	rq->phase = PH_WAIT;
	return S_NEXT;
}

/* Credentials mode: a 401 means the cached token went stale; fetch a new
 * one and try once more (only when the body can be sent again). */
static int
retry_auth(struct request *rq)
{
	if (!proxy_credentials_mode(rq) || rq->retried ||
	    xfer_status(rq->x) != 401 || (rq->has_body && !rq->body_in_memory))
		return 0;
	rq->retried = 1;
	rq->auth_ready = 0;
	auth_cache_drop(rq->srv->tokens, rq->rt.up->name, rq->scope);
	xfer_release(rq->x);
	rq->x = NULL;
	free(rq->bearer);
	rq->bearer = NULL;
	/* The challenge may have changed too (a new realm). */
	pthread_mutex_lock(&rq->srv->state_mu);
	memset(rq->srv->upstates, 0, sizeof(rq->srv->upstates));
	pthread_mutex_unlock(&rq->srv->state_mu);
	rq->phase = PH_PROBE;
	return 1;
}

/* The upstream's answer (or failure) in the per-upstream series. */
static void
count_upstream(struct request *rq)
{
	struct metrics *m = rq->srv->metrics;
	const char *name = rq->rt.up->name;
	int kind;

	if (xfer_failed(rq->x, NULL, 0) && !xfer_too_big(rq->x)) {
		kind = xfer_fail_kind(rq->x);
		metrics_upstream_error(m, name, kind == XFER_FAIL_CONNECT ?
		    METRICS_UP_CONNECT : kind == XFER_FAIL_TIMEOUT ?
		    METRICS_UP_TIMEOUT : METRICS_UP_OTHER);
		return;
	}
	metrics_upstream(m, name, (rw_now_ms() - rq->up_t0) * 1000u);
	if (xfer_status(rq->x) >= 500)
		metrics_upstream_error(m, name, METRICS_UP_5XX);
}

int
proxy_phase_wait(struct request *rq)
{
	int streamed = rq->rt.kind != ROUTE_MANIFEST &&
	    (rq->rt.kind == ROUTE_TAGS || rq->rt.kind == ROUTE_REFERRERS ||
	    rq->rt.kind == ROUTE_CATALOG ||
	    (rq->rt.kind == ROUTE_BLOB && proxy_is_method(rq, "GET")));

	/* While the client is still sending, MHD must keep calling us with
	 * its bytes: parking here would stall the upload. */
	if (rq->has_body && !rq->body_in_memory && !rq->body_done)
		return S_PARKED;
	if (streamed ? !xfer_wait_headers(rq->x) : !xfer_wait_done(rq->x))
		return S_PARKED;
	if (rq->upl_refusing)
		return proxy_upload_cancelled(rq);
	metrics_upstream_latency(rq->srv->metrics,
	    (rw_now_ms() - rq->up_t0) * 1000u);
	count_upstream(rq);
	if (xfer_failed(rq->x, NULL, 0) && !xfer_too_big(rq->x))
		return proxy_upstream_unreachable(rq, rq->x);
	if (retry_auth(rq))
		return S_NEXT;
	if (rq->rt.kind == ROUTE_MANIFEST && !rq->write_op)
		return proxy_answer_fetched_manifest(rq);
	return proxy_answer_upstream(rq);
}

/* ------------------------------------------------------------ answers */

static int
hop_or_ours(const char *n, size_t len)
{
	static const char *const skip[] = {
		"Connection", "Keep-Alive", "Transfer-Encoding", "TE",
		"Trailer", "Upgrade", "Proxy-Authenticate",
		"Proxy-Authorization", "Content-Length", "Date", "Server",
		"Docker-Distribution-Api-Version", "Strict-Transport-Security",
		"X-Request-Id", "OCI-Namespace", NULL,
	};
	int i;

	for (i = 0; skip[i] != NULL; i++)
		if (strlen(skip[i]) == len && strncasecmp(skip[i], n, len) == 0)
			return 1;
	return 0;
}

/* Copy the upstream's headers onto R, rewriting the URLs that point back
 * at the upstream.  Returns RW_OK, or an error when a Location cannot be
 * expressed through the proxy. */
static int
copy_headers(struct request *rq, struct MHD_Response *r, struct rw_err *err)
{
	char name[128], val[8192], out[8192], base[300];
	const char *n, *v;
	size_t pos = 0, nl, vl;
	int rc;

	front_client_base(rq, base, sizeof(base));
	while (xfer_header_next(rq->x, &pos, &n, &nl, &v, &vl)) {
		if (nl >= sizeof(name) || vl >= sizeof(val) || hop_or_ours(n, nl))
			continue;
		memcpy(name, n, nl);
		name[nl] = '\0';
		memcpy(val, v, vl);
		val[vl] = '\0';
		if (proxy_credentials_mode(rq) && strcasecmp(name,
		    "WWW-Authenticate") == 0)
			continue;	/* the upstream's realm is not the client's */
		/* A manifest answer relayed undecided (an error) names no
		 * digest: only a decision may hand one out. */
		if (rq->rt.kind == ROUTE_MANIFEST && !rq->write_op &&
		    (strcasecmp(name, "Docker-Content-Digest") == 0 ||
		    strcasecmp(name, "ETag") == 0))
			continue;
		if (strcasecmp(name, "Location") == 0) {
			rc = route_rewrite_location(&rq->rt, val, base, out,
			    sizeof(out), err);
			if (rc != RW_OK)
				return rc;
			MHD_add_response_header(r, name, out);
		} else if (strcasecmp(name, "Link") == 0) {
			if (route_rewrite_link(&rq->rt, val, base, out,
			    sizeof(out), err) == RW_OK)
				MHD_add_response_header(r, name, out);
		} else {
			MHD_add_response_header(r, name, val);
		}
	}
	return RW_OK;
}

static uint64_t
content_length(struct request *rq)
{
	char v[32];
	int64_t n;

	if (xfer_header(rq->x, "Content-Length", v, sizeof(v)) < 0 ||
	    rw_parse_i64(v, 0, INT64_MAX, &n) != RW_OK)
		return MHD_SIZE_UNKNOWN;
	return (uint64_t)n;
}

/* Account a streamed chunk (blob verification happens in the engine:
 * see xfer_spec.verify_digest). */
ssize_t
proxy_stream_chunk(struct request *rq, const char *buf, size_t n)
{
	if (rq->rt.kind == ROUTE_BLOB)
		proxy_blob_tee(rq, buf, n);
	rq->bytes_out += n;
	return (ssize_t)n;
}

/* The upstream body failed mid-way, or did not hash to its digest: end
 * the response without its last bytes so no client accepts it. */
ssize_t
proxy_stream_failed(struct request *rq)
{
	char got[RW_DIGEST_MAX];

	if (rq->x != NULL && xfer_digest_mismatch(rq->x, got, sizeof(got))) {
		snprintf(rq->note, sizeof(rq->note), "blob digest mismatch: "
		    "upstream bytes hash to %s", got);
		metrics_upstream_error(rq->srv->metrics, rq->rt.up->name,
		    METRICS_UP_DIGEST);
		log_warnx("upstream %s sent blob %s/%s whose bytes hash to %s; "
		    "connection aborted", rq->rt.up->name, rq->rt.name,
		    rq->rt.ref, got);
	} else {
		rw_strlcpy(rq->note, "upstream transfer failed mid-body",
		    sizeof(rq->note));
	}
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Headers for a 401/403 that regwarden's own credentials got upstream. */
static int
own_credentials_refused(struct request *rq, long status)
{
	if (!proxy_credentials_mode(rq) || status != 401)
		return 0;
	return 1;
}

int
proxy_answer_upstream(struct request *rq)
{
	struct MHD_Response *r;
	struct rw_err err;
	const char *body;
	size_t len;
	long status = xfer_status(rq->x);
	int streamed = rq->rt.kind == ROUTE_TAGS ||
	    rq->rt.kind == ROUTE_REFERRERS || rq->rt.kind == ROUTE_CATALOG ||
	    (rq->rt.kind == ROUTE_BLOB && proxy_is_method(rq, "GET"));

	proxy_upload_answered(rq, status);
	if (own_credentials_refused(rq, status))
		return proxy_done(front_error(rq, 403, "DENIED", "upstream %s "
		    "refused regwarden's credentials for %s", rq->rt.up->name,
		    rq->rt.name));
	if (streamed && !proxy_is_method(rq, "HEAD")) {
		if (rq->rt.kind == ROUTE_BLOB)
			proxy_blob_upstream_answer(rq, status,
			    content_length(rq));
		r = front_stream_response(rq, content_length(rq));
	} else if (proxy_is_method(rq, "HEAD") && rq->rt.kind == ROUTE_BLOB) {
		/* No body, but the client needs the blob's real length. */
		r = front_head_response(rq, content_length(rq));
	} else {
		body = xfer_body(rq->x, &len);
		if (xfer_too_big(rq->x))
			return proxy_done(front_error(rq, 502, "UNKNOWN",
			    "upstream %s sent an answer over %d bytes",
			    rq->rt.up->name, SMALL_BODY_CAP));
		front_buffer(rq, (unsigned)status, body, len, NULL, &r);
	}
	if (r == NULL)
		return S_FAIL;
	rw_err_clear(&err);
	if (copy_headers(rq, r, &err) != RW_OK) {
		MHD_destroy_response(r);
		return proxy_done(front_error(rq, 502, "UNSUPPORTED",
		    "cannot proxy upstream %s's answer: %s", rq->rt.up->name,
		    err.msg));
	}
	if (rq->rt.kind == ROUTE_MANIFEST && proxy_is_method(rq, "PUT") &&
	    status == 201)
		proxy_cache_pushed_manifest(rq);
	return proxy_done(front_queue(rq, (unsigned)status, r));
}
