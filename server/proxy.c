/* proxy.c - one request through the proxy: route, vet the request, serve cache hits, run the phases. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "db/db.h"
#include "server/framing.h"

#include <string.h>
#include <strings.h>
#include <time.h>

static void	 revalidate_setup(struct request *rq);
static int	 accepts(struct request *rq, const char *media_type);

/* ------------------------------------------------------------ helpers */

int
proxy_is_method(const struct request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

int
proxy_done(enum MHD_Result r)
{
	return r == MHD_YES ? S_DONE : S_FAIL;
}

const char *
proxy_hdr(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

int
proxy_credentials_mode(const struct request *rq)
{
	return rq->rt.up->auth_mode == CFG_AUTH_CREDENTIALS;
}

/* ------------------------------------------------------------- begin */

/* containers/image answers a Basic challenge it has no credentials for
 * with "Basic Og==" (an empty user and password): that is anonymous. */
static int
empty_basic(const char *a)
{
	return strncasecmp(a, "Basic", 5) == 0 && (a[5] == ' ' ||
	    a[5] == '\t') && strcmp(a + 5 + strspn(a + 5, " \t"), "Og==") == 0;
}

int
proxy_method_allowed(int kind, const char *method)
{
	static const char *const allowed[] = {
		[ROUTE_BASE] = "GET HEAD",
		[ROUTE_CATALOG] = "GET",
		[ROUTE_MANIFEST] = "GET HEAD PUT DELETE",
		[ROUTE_BLOB] = "GET HEAD DELETE",
		[ROUTE_UPLOAD_START] = "POST",
		[ROUTE_UPLOAD] = "GET PATCH PUT DELETE",
		[ROUTE_TAGS] = "GET",
		[ROUTE_REFERRERS] = "GET",
	};
	const char *list, *p;
	size_t n = strlen(method);

	if (kind < ROUTE_BASE || kind > ROUTE_REFERRERS || n == 0)
		return 0;
	list = allowed[kind];
	for (p = list; (p = strstr(p, method)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int
proxy_body_judged(int kind, const char *method)
{
	/* Every body sent to a manifest URL, whatever the method. */
	return kind == ROUTE_MANIFEST && (strcmp(method, "PUT") == 0 ||
	    strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0);
}

/*
 * The blob gate: a layer or config is served only when an admitted manifest
 * of this repository references it, so the blobs of a refused image cannot
 * be fetched by digest.  HEAD stays open (pushes probe with it, and it
 * carries no content).
 */
static int
blob_gate(struct request *rq)
{
	struct policy_holder *ph = decide_policy_acquire(rq->srv);
	struct rw_err err;
	char host[256];
	int ok;

	if (ph == NULL)
		return S_NEXT;		/* no policy: a plain proxy */
	rw_err_clear(&err);
	ok = db_blob_admitted(rq->srv->db, policy_revision(ph->p),
	    rq->rt.up->name, rq->rt.name, rq->rt.ref, (int64_t)time(NULL),
	    &err);
	decide_policy_release(ph);
	if (ok == 1) {
		rq->blob_admitted = 1;
		return S_NEXT;
	}
	decide_host(rq->rt.up, host, sizeof(host));
	if (ok < 0)
		return proxy_done(front_error(rq, 503, "UNAVAILABLE",
		    "could not check blob %s: %s", rq->rt.ref, err.msg));
	return proxy_done(front_error(rq, 403, "DENIED", "blob %s of %s/%s "
	    "is not part of an image this policy admits; pull the image by "
	    "tag or digest first", rq->rt.ref, host, rq->rt.name));
}

/* Note what the client will send as a body, framed as check_framing
 * read it. */
static int
body_setup(struct request *rq)
{
	int64_t len = rq->frame.len;

	if (!proxy_is_method(rq, "POST") && !proxy_is_method(rq, "PUT") &&
	    !proxy_is_method(rq, "PATCH"))
		return S_NEXT;
	rq->body_len = len;
	rq->has_body = len > 0 || rq->frame.chunked;
	if (!proxy_body_judged(rq->rt.kind, rq->method))
		return S_NEXT;
	rq->body_in_memory = 1;
	if (len > 0 && (uint64_t)len > rq->cfg->max_manifest_bytes)
		return proxy_done(front_error(rq, 413, "MANIFEST_INVALID",
		    "manifest of %lld bytes is over the limit of %zu bytes",
		    (long long)len, rq->cfg->max_manifest_bytes));
	rw_buf_init(&rq->body, rq->cfg->max_manifest_bytes);
	return S_NEXT;
}

static int
begin(struct request *rq)
{
	struct rw_err err;
	const char *a;
	int rc;

	rw_err_clear(&err);
	if (route_parse(rq->cfg, rq->uri, &rq->rt, &err) != RW_OK)
		return proxy_done(front_error(rq, (unsigned)rq->rt.http_status,
		    rq->rt.oci_code, "%s", err.msg));
	rq->routed = 1;
	if (!proxy_method_allowed(rq->rt.kind, rq->method))
		return proxy_done(front_error(rq, 405, "UNSUPPORTED",
		    "method %s is not allowed here", rq->method));
	/* No default upstream: answer the ping here. */
	if (rq->rt.up == NULL && rq->rt.kind == ROUTE_BASE)
		return proxy_done(front_buffer(rq, 200, "{}", 2,
		    "application/json", NULL));
	if (rq->rt.up == NULL)
		return proxy_done(front_error(rq, 404, "NAME_UNKNOWN",
		    "no default upstream; use /v2/<upstream>/<name>"));
	if (rq->rt.kind == ROUTE_CATALOG && !rq->cfg->catalog)
		return proxy_done(front_error(rq, 403, "DENIED",
		    "the catalog is disabled on this proxy (set \"catalog\": "
		    "true to allow)"));
	rq->write_op = !proxy_is_method(rq, "GET") &&
	    !proxy_is_method(rq, "HEAD");
	a = proxy_hdr(rq, "Authorization");
	if (a != NULL && strlen(a) < 16384 && strpbrk(a, "\r\n") == NULL &&
	    !empty_basic(a))
		rq->authz = strdup(a);
	rc = proxy_client_auth(rq);
	if (rc != S_NEXT)
		return rc;
	rc = body_setup(rq);
	if (rc != S_NEXT)
		return rc;
	rc = proxy_upload_begin(rq);
	if (rc != S_NEXT)
		return rc;
	if (rq->rt.kind == ROUTE_BLOB && proxy_is_method(rq, "GET") &&
	    rq->cfg->blob_gate && (rc = blob_gate(rq)) != S_NEXT)
		return rc;
	if (rq->rt.kind == ROUTE_BASE && proxy_credentials_mode(rq))
		return proxy_done(front_buffer(rq, 200, "{}", 2,
		    "application/json", NULL));
	if (rq->rt.kind == ROUTE_MANIFEST && rq->rt.ref_is_digest &&
	    !rq->write_op) {
		rc = proxy_denial_lookup(rq);
		if (rc != S_NEXT || rq->phase == PH_ANSWER)
			return rc;
		rq->entry = mcache_get(rq->srv->mc, rq->rt.up->name,
		    rq->rt.name, rq->rt.ref);
		metrics_cache(rq->srv->metrics, METRICS_CACHE_MANIFEST,
		    rq->entry != NULL);
		if (rq->entry != NULL && proxy_authz_ok(rq) &&
		    accepts(rq, mcache_entry_media_type(rq->entry)))
			return proxy_answer_entry(rq, "cached");
	}
	if (rq->rt.kind == ROUTE_MANIFEST && !rq->rt.ref_is_digest &&
	    !rq->write_op)
		revalidate_setup(rq);
	rq->phase = proxy_credentials_mode(rq) ? PH_PROBE : PH_SEND;
	if (rq->rt.kind == ROUTE_BLOB && proxy_is_method(rq, "GET"))
		return proxy_blob_begin(rq);
	return S_NEXT;
}

/* ---------------------------------------------------- cached manifests */

/* Does the client's Accept admit MEDIA_TYPE?  A registry answers a
 * manifest by digest only in a type the client accepts (distribution
 * refuses OCI types to a client that did not name them, even to * / *),
 * so a cached copy is served only when the client named its type;
 * anything else goes upstream and gets the registry's own answer. */
struct accept_scan {
	const char	*want;
	int		 ok;
};

static int
accept_item(const char *p, size_t n, const char *want)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(p, want, n) == 0;
}

static enum MHD_Result
accept_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct accept_scan *a = cls;
	const char *p, *end, *semi;

	(void)kind;
	if (strcasecmp(key, "Accept") != 0 || value == NULL)
		return MHD_YES;
	for (p = value; *p != '\0' && !a->ok; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		semi = memchr(p, ';', (size_t)(end - p));
		a->ok = accept_item(p, (size_t)((semi != NULL ? semi : end) - p),
		    a->want);
	}
	return a->ok ? MHD_NO : MHD_YES;
}

static int
accepts(struct request *rq, const char *media_type)
{
	struct accept_scan a = { media_type, 0 };

	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, accept_one, &a);
	return a.ok;
}

int
proxy_cached_manifest(struct request *rq, const char *digest)
{
	mcache_release(rq->entry);
	rq->entry = mcache_get(rq->srv->mc, rq->rt.up->name, rq->rt.name,
	    digest);
	if (rq->entry == NULL || !proxy_authz_ok(rq) ||
	    !accepts(rq, mcache_entry_media_type(rq->entry)))
		return 0;
	proxy_answer_entry(rq, "cached");
	return 1;
}

/*
 * A pull by tag whose last fetched digest is still cached: the upstream is
 * asked with If-None-Match whether the tag still points there, and a 304 is
 * answered with the cached bytes (proxy_manifest.c).  The upstream still
 * judges the client's credentials and says where the tag points now; only
 * the bytes come from the cache, verified when they were kept.  Only when
 * the client names the cached type: a registry answers a client that does
 * not with other bytes (distribution hands an index's amd64 child to one
 * that does not accept indexes), and a 304 would skip that.
 */
static void
revalidate_setup(struct request *rq)
{
	char digest[RW_DIGEST_MAX];

	if (!proxy_tag_hint_get(rq, digest))
		return;
	/* Memory only: a db read here would put a query (a round trip on
	 * PostgreSQL) on the worker for every pull by tag whose manifest was
	 * evicted; a miss only costs the full fetch. */
	rq->entry = mcache_peek(rq->srv->mc, rq->rt.up->name, rq->rt.name,
	    digest);
	if (rq->entry != NULL &&
	    accepts(rq, mcache_entry_media_type(rq->entry))) {
		rq->revalidating = 1;
		return;
	}
	mcache_release(rq->entry);
	rq->entry = NULL;
}

/* A verified manifest from the cache: on to admission. */
int
proxy_answer_entry(struct request *rq, const char *note)
{
	const struct mcache_entry *e = rq->entry;

	rw_strlcpy(rq->note, note, sizeof(rq->note));
	rq->mbody = mcache_entry_body(e);
	rq->mlen = mcache_entry_len(e);
	rw_strlcpy(rq->mtype, mcache_entry_media_type(e), sizeof(rq->mtype));
	rw_strlcpy(rq->digest, mcache_entry_digest(e), sizeof(rq->digest));
	rq->phase = PH_DECIDE;
	return S_NEXT;
}

/* --------------------------------------------------------------- loop */

static enum MHD_Result
advance(struct request *rq)
{
	int rc = S_NEXT;

	while (rc == S_NEXT) {
		switch (rq->phase) {
		case PH_PROBE:
			rc = proxy_phase_probe(rq);
			break;
		case PH_TOKEN:
			rc = proxy_phase_token(rq);
			break;
		case PH_SEND:
			if ((rq->body_in_memory || rq->spool) &&
			    !rq->body_done)
				return MHD_YES;	/* still receiving it */
			if (rq->spool && !rq->upl_checked) {
				rc = proxy_upload_check(rq);
				break;
			}
			if (rq->body_in_memory && !rq->push_checked) {
				rc = proxy_check_pushed_manifest(rq);
				break;
			}
			rc = proxy_phase_send(rq);
			break;
		case PH_WAIT:
			rc = proxy_phase_wait(rq);
			break;
		case PH_DECIDE:
			rc = decide_step(rq);
			break;
		case PH_ANSWER:
			rc = proxy_answer_decided(rq);
			break;
		case PH_CACHE:
			rc = proxy_phase_cache(rq);
			break;
		default:
			return MHD_YES;
		}
	}
	return rc == S_FAIL ? MHD_NO : MHD_YES;
}

static enum MHD_Result
on_body(struct request *rq, const char *data, size_t *size)
{
	ssize_t n;

	if (rq->spool)
		return proxy_upload_body(rq, data, size);
	if (rq->body_in_memory) {
		if (rw_buf_add(&rq->body, data, *size) != RW_OK) {
			*size = 0;
			return front_error(rq, 413, "MANIFEST_INVALID", "manifest "
			    "is over the limit of %zu bytes",
			    rq->cfg->max_manifest_bytes);
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->x == NULL || rq->phase != PH_WAIT)
		return advance(rq);	/* not sending yet: consume nothing */
	n = xfer_write(rq->x, data, *size);
	if (n > 0)
		*size -= (size_t)n;
	else if (n != XFER_AGAIN)
		*size = 0;	/* the upstream already answered: discard */
	return MHD_YES;
}

static enum MHD_Result
frame_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	framing_add(cls, key, value != NULL ? value : "");
	return MHD_YES;
}

/*
 * One reading of the request's length, before anything else: a request
 * that could be framed two ways is refused and its connection closed (a
 * response queued before the body makes libmicrohttpd discard the body
 * and close; "Connection: close" covers a request without one).
 */
static int
check_framing(struct request *rq)
{
	struct framing f;
	struct rw_err err;
	const char *code = "UNSUPPORTED";

	framing_init(&f);
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, frame_header, &f);
	rw_err_clear(&err);
	if (framing_check(&f, rq->http11, &rq->frame, &code, &err) == RW_OK)
		return S_NEXT;
	rq->close = 1;
	return proxy_done(front_error(rq, 400, code, "%s", err.msg));
}

enum MHD_Result
proxy_step(struct request *rq, const char *data, size_t *size)
{
	int rc;

	/*
	 * A request without a body is not answered from the first call
	 * (headers only): a response queued there makes libmicrohttpd close
	 * the connection afterwards, which would cost every keep-alive client
	 * a TLS handshake per request; the next call comes at once.  A request
	 * with a body starts at once: libmicrohttpd accepts a response only
	 * before the body or after all of it, and an early refusal should not
	 * wait for a whole upload (its connection then closes, which is fine).
	 */
	if (rq->calls == 1) {
		rc = check_framing(rq);
		if (rc != S_NEXT) {
			*size = 0;
			return rc == S_FAIL ? MHD_NO : MHD_YES;
		}
		if (rq->frame.len <= 0 && !rq->frame.chunked)
			return MHD_YES;
	}
	if (!rq->begun) {
		rq->begun = 1;
		rc = begin(rq);
		if (rc != S_NEXT) {
			*size = 0;	/* answered: the body is not wanted */
			return rc == S_FAIL ? MHD_NO : MHD_YES;
		}
		if (rq->calls == 1)	/* headers only: the body comes next */
			return advance(rq);
	}
	if (*size > 0)
		return on_body(rq, data, size);
	if (!rq->body_done) {
		rq->body_done = 1;
		if (rq->x != NULL && rq->has_body && !rq->body_in_memory &&
		    !rq->spool)
			xfer_write_eof(rq->x);
	}
	return advance(rq);
}

void
proxy_cleanup(struct request *rq)
{
	decide_cleanup(rq);
	proxy_upload_cleanup(rq);
	proxy_blob_done(rq, 0);
	xfer_release(rq->x);
	rq->x = NULL;
	xfer_release(rq->aux);
	rq->aux = NULL;
	mcache_release(rq->entry);
	rq->entry = NULL;
	if (rq->authz != NULL)
		rw_freezero(rq->authz, strlen(rq->authz));
	if (rq->bearer != NULL)
		rw_freezero(rq->bearer, strlen(rq->bearer));
	rw_buf_free(&rq->body);
}
