/* proxy.c - one request through the proxy: route, authenticate, forward, verify, answer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "db/db.h"
#include "server/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SMALL_BODY_CAP	(1024 * 1024)	/* upstream answers we buffer */
#define PROBE_CAP	(64 * 1024)
#define TOKEN_CAP	(64 * 1024)


static int	 answer_manifest(struct request *rq);
static int	 answer_upstream(struct request *rq);
static int	 answer_fetched_manifest(struct request *rq);
static int	 accepts(struct request *rq, const char *media_type);
static void	 add_warning(struct MHD_Response *r, const char *msg);
static void	 cache_pushed_manifest(struct request *rq);

/* ------------------------------------------------------------ helpers */

static int
is_method(const struct request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

static int
done(enum MHD_Result r)
{
	return r == MHD_YES ? S_DONE : S_FAIL;
}

static const char *
hdr(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

static int
credentials_mode(const struct request *rq)
{
	return rq->rt.up->auth_mode == CFG_AUTH_CREDENTIALS;
}

/* Build the upstream URL for the routed request into OUT. */
static int
upstream_url(const struct request *rq, char *out, size_t size)
{
	const struct route *r = &rq->rt;
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
	int		 accept, range, ctype, crange, ua;
};

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct fwd *f = cls;
	int want = 0;

	(void)kind;
	if (value == NULL || f->n >= XFER_MAX_HEADERS - 2)
		return MHD_YES;
	if (strcasecmp(key, "Accept") == 0)
		want = f->accept;
	else if (strcasecmp(key, "Range") == 0)
		want = f->range;
	else if (strcasecmp(key, "Content-Type") == 0)
		want = f->ctype;
	else if (strcasecmp(key, "Content-Range") == 0)
		want = f->crange;
	else if (strcasecmp(key, "User-Agent") == 0)
		want = f->ua;
	else if (strcasecmp(key, "Authorization") == 0)
		want = !credentials_mode(f->rq);
	if (want && strpbrk(value, "\r\n") == NULL &&
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

/* ------------------------------------------- pass-through authorization */

/* In pass-through mode a cached manifest may only go to a client the
 * upstream accepted for that repository.  A fetch with the client's own
 * credentials that succeeded is remembered per (upstream, repository,
 * credential) for auth_cache_seconds. */
static void
authz_key(const struct request *rq, char key[RW_DIGEST_MAX])
{
	struct rw_hash h;
	const char *a = rq->authz != NULL ? rq->authz : "";

	rw_hash_init(&h, RW_HASH_SHA256);
	rw_hash_update(&h, rq->rt.up->name, strlen(rq->rt.up->name) + 1);
	rw_hash_update(&h, rq->rt.name, strlen(rq->rt.name) + 1);
	rw_hash_update(&h, a, strlen(a));
	rw_hash_final(&h, key);
}

static unsigned
authz_slot(const char *key)
{
	return (unsigned)strtoul(key + 7 + 58, NULL, 16) % AUTHZ_SLOTS;
}

static int
authz_ok(struct request *rq)
{
	char key[RW_DIGEST_MAX];
	struct authz_slot *s;
	int ok;

	if (credentials_mode(rq))
		return 1;
	if (rq->rt.up->auth_cache_seconds <= 0)
		return 0;
	authz_key(rq, key);
	pthread_mutex_lock(&rq->srv->state_mu);
	s = &rq->srv->authz[authz_slot(key)];
	ok = strcmp(s->key, key) == 0 && s->expires_ms > rw_now_ms();
	pthread_mutex_unlock(&rq->srv->state_mu);
	return ok;
}

static void
authz_store(struct request *rq)
{
	char key[RW_DIGEST_MAX];
	struct authz_slot *s;

	if (credentials_mode(rq) || rq->rt.up->auth_cache_seconds <= 0)
		return;
	authz_key(rq, key);
	pthread_mutex_lock(&rq->srv->state_mu);
	s = &rq->srv->authz[authz_slot(key)];
	memcpy(s->key, key, sizeof(s->key));
	s->expires_ms = rw_now_ms() +
	    (uint64_t)rq->rt.up->auth_cache_seconds * 1000u;
	pthread_mutex_unlock(&rq->srv->state_mu);
}

/* --------------------------------------------------- client identity */

static enum MHD_Result
ask_basic(struct request *rq, const char *why)
{
	struct MHD_Response *r;
	char body[512];

	snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
	    "\"message\":\"regwarden: %s\",\"detail\":{\"request_id\":\"%s\"}}]}",
	    why, rq->id);
	rw_strlcpy(rq->note, why, sizeof(rq->note));
	if (front_buffer(rq, 401, body, strlen(body), "application/json",
	    &r) != MHD_YES)
		return MHD_NO;
	MHD_add_response_header(r, "WWW-Authenticate",
	    "Basic realm=\"regwarden\"");
	return front_queue(rq, 401, r);
}

/* A client certificate that verified against tls.client_ca names the
 * client ("cert:<subject DN>"). */
static int
client_cert(struct request *rq)
{
	const union MHD_ConnectionInfo *ci;

	if (rq->cfg->client_ca == NULL)
		return 0;
	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci != NULL && tls_client_identity(ci->tls_session, rq->identity,
	    sizeof(rq->identity));
}

/*
 * Credentials mode: regwarden's own upstream credentials serve pulls; a
 * client that writes (or presents credentials at all) must prove who it is
 * against the htpasswd file.  Returns S_NEXT or S_DONE/S_FAIL.
 */
static int
client_auth(struct request *rq)
{
	char user[AUTH_USER_MAX + 1], pass[AUTH_PASS_MAX + 1];
	struct auth_htpasswd *h = rq->srv->htpasswd;
	int rc;

	if (!credentials_mode(rq)) {
		rw_strlcpy(rq->identity, rq->authz != NULL ?
		    "passthrough-credentials" : "anonymous",
		    sizeof(rq->identity));
		return S_NEXT;
	}
	if (rq->authz == NULL && client_cert(rq))
		return S_NEXT;		/* a verified TLS client certificate */
	if (rq->authz == NULL) {
		rw_strlcpy(rq->identity, "anonymous", sizeof(rq->identity));
		if (rq->write_op && h == NULL && rq->cfg->client_ca != NULL)
			return done(front_error(rq, 403, "DENIED", "pushes to "
			    "upstream %s need a TLS client certificate signed "
			    "by a CA in tls.client_ca", rq->rt.up->name));
		if (rq->write_op && h == NULL)
			return done(front_error(rq, 403, "DENIED", "pushes to "
			    "upstream %s need client authentication (a TLS "
			    "client certificate or Basic credentials), and "
			    "neither tls.client_ca nor htpasswd is configured",
			    rq->rt.up->name));
		if (rq->write_op || (rq->rt.kind == ROUTE_BASE && h != NULL))
			return done(ask_basic(rq, "authentication required"));
		return S_NEXT;
	}
	if (h == NULL)
		return done(ask_basic(rq, "this regwarden accepts no client "
		    "credentials (no htpasswd file is configured)"));
	if (auth_basic_decode(rq->authz, user, sizeof(user), pass,
	    sizeof(pass)) != RW_OK)
		return done(ask_basic(rq, "malformed Basic credentials"));
	rc = auth_htpasswd_check(h, user, pass);
	rw_wipe(pass, sizeof(pass));
	if (rc != RW_OK)
		return done(ask_basic(rq, "invalid user name or password"));
	snprintf(rq->identity, sizeof(rq->identity), "user:%s", user);
	return S_NEXT;
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

static int
method_allowed(const struct request *rq)
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
	const char *list = allowed[rq->rt.kind], *p;
	size_t n = strlen(rq->method);

	for (p = list; (p = strstr(p, rq->method)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
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
	if (ok == 1)
		return S_NEXT;
	decide_host(rq->rt.up, host, sizeof(host));
	if (ok < 0)
		return done(front_error(rq, 503, "UNAVAILABLE", "could not "
		    "check blob %s: %s", rq->rt.ref, err.msg));
	return done(front_error(rq, 403, "DENIED", "blob %s of %s/%s is not "
	    "part of an image this policy admits; pull the image by tag or "
	    "digest first", rq->rt.ref, host, rq->rt.name));
}

/* Note what the client will send as a body. */
static int
body_setup(struct request *rq)
{
	const char *cl = hdr(rq, "Content-Length");
	const char *te = hdr(rq, "Transfer-Encoding");
	int64_t len = -1;

	if (!is_method(rq, "POST") && !is_method(rq, "PUT") &&
	    !is_method(rq, "PATCH"))
		return S_NEXT;
	if (cl != NULL && rw_parse_i64(cl, 0, INT64_MAX, &len) != RW_OK)
		return done(front_error(rq, 400, "SIZE_INVALID",
		    "invalid Content-Length"));
	rq->body_len = len;
	rq->has_body = len > 0 || (len < 0 && te != NULL);
	if (rq->rt.kind != ROUTE_MANIFEST)
		return S_NEXT;
	rq->body_in_memory = 1;
	if (len > 0 && (uint64_t)len > rq->cfg->max_manifest_bytes)
		return done(front_error(rq, 413, "MANIFEST_INVALID",
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
		return done(front_error(rq, (unsigned)rq->rt.http_status,
		    rq->rt.oci_code, "%s", err.msg));
	rq->routed = 1;
	if (!method_allowed(rq))
		return done(front_error(rq, 405, "UNSUPPORTED",
		    "method %s is not allowed here", rq->method));
	if (rq->rt.up == NULL && rq->rt.kind == ROUTE_BASE)
		return done(front_buffer(rq, 200, "{}", 2, "application/json",
		    NULL));	/* no default upstream: answer the ping here */
	if (rq->rt.up == NULL)
		return done(front_error(rq, 404, "NAME_UNKNOWN", "no default "
		    "upstream; use /v2/<upstream>/<name>"));
	if (rq->rt.kind == ROUTE_CATALOG && !rq->cfg->catalog)
		return done(front_error(rq, 403, "DENIED", "the catalog is "
		    "disabled on this proxy (set \"catalog\": true to allow)"));
	rq->write_op = !is_method(rq, "GET") && !is_method(rq, "HEAD");
	a = hdr(rq, "Authorization");
	if (a != NULL && strlen(a) < 16384 && strpbrk(a, "\r\n") == NULL &&
	    !empty_basic(a))
		rq->authz = strdup(a);
	rc = client_auth(rq);
	if (rc != S_NEXT)
		return rc;
	rc = body_setup(rq);
	if (rc != S_NEXT)
		return rc;
	if (rq->rt.kind == ROUTE_BLOB && is_method(rq, "GET") &&
	    rq->cfg->blob_gate && (rc = blob_gate(rq)) != S_NEXT)
		return rc;
	if (rq->rt.kind == ROUTE_BASE && credentials_mode(rq))
		return done(front_buffer(rq, 200, "{}", 2, "application/json",
		    NULL));
	if (rq->rt.kind == ROUTE_MANIFEST && rq->rt.ref_is_digest &&
	    !rq->write_op) {
		rq->entry = mcache_get(rq->srv->mc, rq->rt.up->name,
		    rq->rt.name, rq->rt.ref);
		metrics_cache(rq->srv->metrics, METRICS_CACHE_MANIFEST,
		    rq->entry != NULL);
		if (rq->entry != NULL && authz_ok(rq) &&
		    accepts(rq, mcache_entry_media_type(rq->entry)))
			return answer_manifest(rq);
	}
	rq->phase = credentials_mode(rq) ? PH_PROBE : PH_SEND;
	return S_NEXT;
}

/* ------------------------------------------------ upstream auth phases */

static struct xfer *
start_simple(struct request *rq, const char *method, const char *url,
    size_t cap, const char *user, const char *pass)
{
	struct xfer_spec s;
	struct rw_err err;
	struct xfer *x;

	memset(&s, 0, sizeof(s));
	s.method = method;
	s.url = url;
	s.up = rq->rt.up;
	s.max_body = cap;
	s.user = user;
	s.pass = pass;
	s.connect_timeout = rq->cfg->connect_timeout;
	s.total_timeout = rq->cfg->request_timeout;
	s.hooks = front_hooks(rq);
	rw_err_clear(&err);
	x = xfer_start(rq->srv->eng, &s, &err);
	if (x == NULL)
		rw_strlcpy(rq->note, err.msg, sizeof(rq->note));
	return x;
}

struct xfer *
proxy_start_aux(struct request *rq, const char *method, const char *url,
    size_t cap, const char *accept, int follow)
{
	const struct cfg_upstream *up = rq->rt.up;
	char *authz = NULL;
	struct xfer_spec s;
	struct rw_err err;
	struct xfer *x;

	memset(&s, 0, sizeof(s));
	s.method = method;
	s.url = url;
	s.up = up;
	s.max_body = cap;
	s.follow = follow;
	s.connect_timeout = rq->cfg->connect_timeout;
	s.total_timeout = rq->cfg->request_timeout;
	s.hooks = front_hooks(rq);
	s.headers[0] = accept;
	if (credentials_mode(rq)) {
		s.bearer = rq->bearer;
		if (s.bearer == NULL && up->username != NULL) {
			s.user = up->username;
			s.pass = up->password;
		}
	} else if (rq->authz != NULL &&
	    asprintf(&authz, "Authorization: %s", rq->authz) > 0) {
		s.headers[accept != NULL ? 1 : 0] = authz;
	}
	rw_err_clear(&err);
	x = xfer_start(rq->srv->eng, &s, &err);
	if (authz != NULL)
		rw_freezero(authz, strlen(authz));
	if (x == NULL)
		rw_strlcpy(rq->note, err.msg, sizeof(rq->note));
	return x;
}

int
proxy_need_auth(struct request *rq, int next)
{
	if (!credentials_mode(rq) || rq->auth_ready)
		return 0;
	rq->after_auth = next;
	rq->phase = PH_PROBE;
	return 1;
}

static int
upstream_unreachable(struct request *rq, struct xfer *x)
{
	char why[XFER_ERRMSG_MAX];

	why[0] = '\0';
	if (x != NULL)
		xfer_failed(x, why, sizeof(why));
	return done(front_error(rq, 502, "UNAVAILABLE",
	    "upstream %s could not be reached: %s", rq->rt.up->name,
	    why[0] != '\0' ? why : rq->note));
}

/* Find (or make) the auth state of UPSTREAM; copy it to OUT.  Returns 1
 * when known.  Caller holds nothing. */
static int
upstate_get(struct server *srv, const char *name, struct upstate *out)
{
	int i, known = 0;

	pthread_mutex_lock(&srv->state_mu);
	for (i = 0; i < UPSTATE_MAX; i++)
		if (srv->upstates[i].known &&
		    strcmp(srv->upstates[i].name, name) == 0) {
			*out = srv->upstates[i];
			known = 1;
			break;
		}
	pthread_mutex_unlock(&srv->state_mu);
	return known;
}

static void
upstate_put(struct server *srv, const char *name,
    const struct auth_challenge *ch)
{
	int i, slot = -1;

	pthread_mutex_lock(&srv->state_mu);
	for (i = 0; i < UPSTATE_MAX; i++) {
		if (srv->upstates[i].known &&
		    strcmp(srv->upstates[i].name, name) == 0) {
			slot = i;
			break;
		}
		if (!srv->upstates[i].known && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		rw_strlcpy(srv->upstates[slot].name, name,
		    sizeof(srv->upstates[slot].name));
		srv->upstates[slot].ch = *ch;
		srv->upstates[slot].known = 1;
	}
	pthread_mutex_unlock(&srv->state_mu);
}

/* Credentials mode: learn how the upstream wants to be authenticated from
 * its /v2/ answer, once per upstream (again after a reload). */
static int
phase_probe(struct request *rq)
{
	struct auth_challenge ch;
	struct upstate st;
	struct rw_err err;
	char url[1024], www[2048];
	long status;

	if (upstate_get(rq->srv, rq->rt.up->name, &st)) {
		rq->phase = PH_TOKEN;
		return S_NEXT;
	}
	if (rq->aux == NULL) {
		snprintf(url, sizeof(url), "%s/v2/", rq->rt.up->url);
		rq->aux = start_simple(rq, "GET", url, PROBE_CAP, NULL, NULL);
		if (rq->aux == NULL)
			return upstream_unreachable(rq, NULL);
	}
	if (!xfer_wait_done(rq->aux))
		return S_PARKED;
	status = xfer_status(rq->aux);
	memset(&ch, 0, sizeof(ch));
	rw_err_clear(&err);
	if (status == 401 && (xfer_header(rq->aux, "WWW-Authenticate", www,
	    sizeof(www)) < 0 || auth_parse_challenge(www, &ch, &err) != RW_OK))
		return done(front_error(rq, 502, "UNAVAILABLE", "upstream %s "
		    "answered 401 with an unusable challenge%s%s",
		    rq->rt.up->name, err.msg[0] != '\0' ? ": " : "", err.msg));
	if (status != 200 && status != 401)
		return upstream_unreachable(rq, rq->aux);
	upstate_put(rq->srv, rq->rt.up->name, &ch);
	xfer_release(rq->aux);
	rq->aux = NULL;
	rq->phase = PH_TOKEN;
	return S_NEXT;
}

/* Upstream credentials are in hand: go where the request was headed. */
static int
auth_done(struct request *rq)
{
	rq->auth_ready = 1;
	rq->phase = rq->after_auth != 0 ? rq->after_auth : PH_SEND;
	rq->after_auth = 0;
	return S_NEXT;
}

static int
token_fetched(struct request *rq)
{
	struct auth_token tok;
	struct rw_err err;
	const char *body;
	size_t len;
	long status = xfer_status(rq->aux);

	if (status != 200) {
		if (status == 0)
			return upstream_unreachable(rq, rq->aux);
		return done(front_error(rq, 502, "UNAVAILABLE", "the token "
		    "service of upstream %s answered %ld for scope %s",
		    rq->rt.up->name, status, rq->scope));
	}
	body = xfer_body(rq->aux, &len);
	rw_err_clear(&err);
	memset(&tok, 0, sizeof(tok));
	if (auth_parse_token_response(body, len, (long)time(NULL), &tok,
	    &err) != RW_OK)
		return done(front_error(rq, 502, "UNAVAILABLE", "the token "
		    "service of upstream %s sent an unusable answer: %s",
		    rq->rt.up->name, err.msg));
	auth_cache_put(rq->srv->tokens, rq->rt.up->name, rq->scope, tok.token,
	    tok.expires_at);
	rq->bearer = strdup(tok.token);
	auth_token_cleanup(&tok);
	xfer_release(rq->aux);
	rq->aux = NULL;
	if (rq->bearer == NULL)
		return done(front_error(rq, 500, "UNKNOWN", "out of memory"));
	return auth_done(rq);
}

static int
phase_token(struct request *rq)
{
	const struct cfg_upstream *up = rq->rt.up;
	char tok[16384 + 1], url[4096];
	struct upstate st;

	if (rq->aux != NULL)
		return xfer_wait_done(rq->aux) ? token_fetched(rq) : S_PARKED;
	if (!upstate_get(rq->srv, up->name, &st) ||
	    st.ch.scheme != AUTH_SCHEME_BEARER)
		return auth_done(rq);	/* none, or Basic with our own user */
	if (rq->rt.kind == ROUTE_CATALOG)
		rw_strlcpy(rq->scope, "registry:catalog:*", sizeof(rq->scope));
	else if (rq->rt.kind == ROUTE_BASE)
		rq->scope[0] = '\0';
	else
		auth_scope_for(rq->rt.name, rq->write_op, rq->scope,
		    sizeof(rq->scope));
	if (auth_cache_get(rq->srv->tokens, up->name, rq->scope,
	    (long)time(NULL), tok, sizeof(tok)) == RW_OK) {
		rq->bearer = strdup(tok);
		rw_wipe(tok, sizeof(tok));
		return rq->bearer != NULL ? auth_done(rq) : S_FAIL;
	}
	/* Credentials go to a plain-HTTP realm only when the admin said the
	 * upstream is insecure anyway. */
	if (strncasecmp(st.ch.realm, "https://", 8) != 0 && !up->insecure)
		return done(front_error(rq, 502, "UNAVAILABLE", "upstream %s "
		    "wants tokens from %s, which is not https; set \"insecure\": "
		    "true to allow that", up->name, st.ch.realm));
	if (auth_token_url(&st.ch, rq->scope, url, sizeof(url)) != RW_OK)
		return done(front_error(rq, 502, "UNAVAILABLE", "cannot build "
		    "the token URL for upstream %s", up->name));
	rq->aux = start_simple(rq, "GET", url, TOKEN_CAP, up->username,
	    up->password);
	if (rq->aux == NULL)
		return upstream_unreachable(rq, NULL);
	return xfer_wait_done(rq->aux) ? token_fetched(rq) : S_PARKED;
}

/* ------------------------------------------------------------- send */

static void
spec_shape(struct request *rq, struct xfer_spec *s, struct fwd *f)
{
	int kind = rq->rt.kind;

	s->method = rq->method;
	s->max_body = SMALL_BODY_CAP;
	f->ua = 1;
	switch (kind) {
	case ROUTE_MANIFEST:
		f->accept = 1;
		f->ctype = rq->write_op;
		if (!rq->write_op) {
			/* Always GET: the bytes are what gets verified. */
			s->method = "GET";
			s->max_body = rq->cfg->max_manifest_bytes + 1;
		}
		break;
	case ROUTE_BLOB:
		f->accept = f->range = 1;
		s->follow = 1;
		s->stream = is_method(rq, "GET");
		/* A whole blob is checked against its digest on the way. */
		if (rq->cfg->verify_blobs && s->stream &&
		    hdr(rq, "Range") == NULL && rw_hash_alg_of(rq->rt.ref) != 0)
			s->verify_digest = rq->rt.ref;
		break;
	case ROUTE_TAGS:
	case ROUTE_REFERRERS:
	case ROUTE_CATALOG:
		f->accept = 1;
		s->stream = 1;
		break;
	case ROUTE_UPLOAD_START:
	case ROUTE_UPLOAD:
		f->ctype = f->crange = 1;
		break;
	default:
		break;
	}
}

static int
phase_send(struct request *rq)
{
	const struct cfg_upstream *up = rq->rt.up;
	struct xfer_spec s;
	struct fwd f;
	struct rw_err err;
	char url[ROUTE_NAME_MAX + ROUTE_REF_MAX + ROUTE_QUERY_MAX + 512];
	int i;

	if (upstream_url(rq, url, sizeof(url)) != RW_OK)
		return done(front_error(rq, 414, "NAME_INVALID",
		    "request URI too long"));
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	f.rq = rq;
	spec_shape(rq, &s, &f);
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, collect, &f);
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
	} else if (rq->has_body) {
		s.send_body = 1;
		s.body_len = rq->body_len;
	}
	if (credentials_mode(rq)) {
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
		return upstream_unreachable(rq, NULL);
	}
	if (rq->has_body && !rq->body_in_memory && rq->body_done)
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
	if (!credentials_mode(rq) || rq->retried || xfer_status(rq->x) != 401 ||
	    (rq->has_body && !rq->body_in_memory))
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

static int
phase_wait(struct request *rq)
{
	int streamed = rq->rt.kind != ROUTE_MANIFEST &&
	    (rq->rt.kind == ROUTE_TAGS || rq->rt.kind == ROUTE_REFERRERS ||
	    rq->rt.kind == ROUTE_CATALOG ||
	    (rq->rt.kind == ROUTE_BLOB && is_method(rq, "GET")));

	/* While the client is still sending, MHD must keep calling us with
	 * its bytes: parking here would stall the upload. */
	if (rq->has_body && !rq->body_in_memory && !rq->body_done)
		return S_PARKED;
	if (streamed ? !xfer_wait_headers(rq->x) : !xfer_wait_done(rq->x))
		return S_PARKED;
	metrics_upstream_latency(rq->srv->metrics,
	    (rw_now_ms() - rq->up_t0) * 1000u);
	if (xfer_failed(rq->x, NULL, 0) && !xfer_too_big(rq->x))
		return upstream_unreachable(rq, rq->x);
	if (retry_auth(rq))
		return S_NEXT;
	if (rq->rt.kind == ROUTE_MANIFEST && !rq->write_op)
		return answer_fetched_manifest(rq);
	return answer_upstream(rq);
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
		if (credentials_mode(rq) && strcasecmp(name,
		    "WWW-Authenticate") == 0)
			continue;	/* the upstream's realm is not the client's */
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
	(void)buf;
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
	if (!credentials_mode(rq) || status != 401)
		return 0;
	return 1;
}

static int
answer_upstream(struct request *rq)
{
	struct MHD_Response *r;
	struct rw_err err;
	const char *body;
	size_t len;
	long status = xfer_status(rq->x);
	int streamed = rq->rt.kind == ROUTE_TAGS ||
	    rq->rt.kind == ROUTE_REFERRERS || rq->rt.kind == ROUTE_CATALOG ||
	    (rq->rt.kind == ROUTE_BLOB && is_method(rq, "GET"));

	if (own_credentials_refused(rq, status))
		return done(front_error(rq, 403, "DENIED", "upstream %s refused "
		    "regwarden's credentials for %s", rq->rt.up->name,
		    rq->rt.name));
	if (streamed && !is_method(rq, "HEAD")) {
		r = front_stream_response(rq, content_length(rq));
	} else if (is_method(rq, "HEAD") && rq->rt.kind == ROUTE_BLOB) {
		/* No body, but the client needs the blob's real length. */
		r = front_head_response(rq, content_length(rq));
	} else {
		body = xfer_body(rq->x, &len);
		if (xfer_too_big(rq->x))
			return done(front_error(rq, 502, "UNKNOWN", "upstream %s "
			    "sent an answer over %d bytes", rq->rt.up->name,
			    SMALL_BODY_CAP));
		front_buffer(rq, (unsigned)status, body, len, NULL, &r);
	}
	if (r == NULL)
		return S_FAIL;
	rw_err_clear(&err);
	if (copy_headers(rq, r, &err) != RW_OK) {
		MHD_destroy_response(r);
		return done(front_error(rq, 502, "UNSUPPORTED", "cannot proxy "
		    "upstream %s's answer: %s", rq->rt.up->name, err.msg));
	}
	if (rq->rt.kind == ROUTE_MANIFEST && is_method(rq, "PUT") &&
	    status == 201)
		cache_pushed_manifest(rq);
	return done(front_queue(rq, (unsigned)status, r));
}

/* ---------------------------------------------------------- manifests */

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
	return done(front_queue(rq, 200, r));
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

/* A verified manifest from the cache: on to admission. */
static int
answer_manifest(struct request *rq)
{
	const struct mcache_entry *e = rq->entry;

	rw_strlcpy(rq->note, "cached", sizeof(rq->note));
	rq->mbody = mcache_entry_body(e);
	rq->mlen = mcache_entry_len(e);
	rw_strlcpy(rq->mtype, mcache_entry_media_type(e), sizeof(rq->mtype));
	rw_strlcpy(rq->digest, mcache_entry_digest(e), sizeof(rq->digest));
	rq->phase = PH_DECIDE;
	return S_NEXT;
}

/* The manifest with the verdict in rq->dv. */
static int
answer_decided(struct request *rq)
{
	char detail[1024];

	if (rq->dv.kind == DV_ERROR)
		return done(front_refuse(rq, 503, "UNAVAILABLE",
		    rq->dv.message, NULL));
	if (rq->dv.kind == VERDICT_DENY && !is_method(rq, "HEAD")) {
		snprintf(detail, sizeof(detail), "{\"verdict\":\"deny\","
		    "\"rule\":\"%s\",\"file\":\"%s\",\"line\":%d,"
		    "\"digest\":\"%s\"}", rq->dv.rule, rq->dv.file,
		    rq->dv.line, rq->digest);
		return done(front_refuse(rq, 403, "DENIED", rq->dv.message,
		    detail));
	}
	if (rq->write_op) {	/* an admitted push goes upstream */
		rq->phase = PH_SEND;
		return S_NEXT;
	}
	/* HEAD answers with the real digest even when the GET will be
	 * refused: the refusal needs a body to reach the client. */
	return serve_manifest(rq, rq->mbody, rq->mlen, rq->mtype, rq->digest);
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
		return done(front_error(rq, 500, "UNKNOWN", "cannot hash"));
	if (rq->rt.ref_is_digest && strcmp(rq->digest, rq->rt.ref) != 0)
		return done(front_error(rq, 502, "DIGEST_INVALID", "upstream %s "
		    "sent manifest bytes whose digest is %s, not the requested "
		    "%s; refusing them", rq->rt.up->name, rq->digest,
		    rq->rt.ref));
	if (xfer_header(rq->x, "Docker-Content-Digest", claimed,
	    sizeof(claimed)) > 0 && rw_hash_alg_of(claimed) == alg &&
	    strcmp(claimed, rq->digest) != 0)
		return done(front_error(rq, 502, "DIGEST_INVALID", "upstream %s "
		    "sent manifest %s:%s with Docker-Content-Digest %s, but "
		    "its bytes hash to %s; refusing them", rq->rt.up->name,
		    rq->rt.name, rq->rt.ref, claimed, rq->digest));
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

static int
answer_fetched_manifest(struct request *rq)
{
	struct mcache_ref *refs = NULL;
	const struct mcache_entry *e;
	struct rw_err err;
	char mt[256];
	const char *body;
	size_t len, nrefs = 0;
	long status = xfer_status(rq->x);
	int rc;

	if (status != 200)
		return answer_upstream(rq);
	if (xfer_too_big(rq->x))
		return done(front_error(rq, 502, "MANIFEST_INVALID", "upstream "
		    "%s sent a manifest over the limit of %zu bytes",
		    rq->rt.up->name, rq->cfg->max_manifest_bytes));
	body = xfer_body(rq->x, &len);
	rc = check_digest(rq, body, len);
	if (rc != S_NEXT)
		return rc;
	rw_err_clear(&err);
	if (mcache_manifest_refs(body, len, &refs, &nrefs, mt, sizeof(mt),
	    &err) != RW_OK)
		return done(front_error(rq, 502, "MANIFEST_INVALID", "upstream "
		    "%s sent a manifest regwarden cannot read: %s",
		    rq->rt.up->name, err.msg));
	if (mt[0] == '\0' && xfer_header(rq->x, "Content-Type", mt,
	    sizeof(mt)) < 0)
		rw_strlcpy(mt, "application/octet-stream", sizeof(mt));
	strip_params(mt);
	e = mcache_put(rq->srv->mc, rq->rt.up->name, rq->rt.name, rq->digest,
	    mt, body, len, refs, nrefs, (int64_t)time(NULL));
	free(refs);
	authz_store(rq);
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
static void
cache_pushed_manifest(struct request *rq)
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
		const char *ct = hdr(rq, "Content-Type");
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
static int
check_pushed_manifest(struct request *rq)
{
	int alg = rq->rt.ref_is_digest ? rw_hash_alg_of(rq->rt.ref) :
	    RW_HASH_SHA256;
	const char *b = rq->body.data != NULL ? rq->body.data : "", *ct;
	struct mcache_ref *refs = NULL;
	struct rw_err err;
	size_t n = 0;

	rw_err_clear(&err);
	if (rw_digest(alg, b, rq->body.len, rq->digest) != RW_OK)
		return done(front_error(rq, 500, "UNKNOWN", "cannot hash"));
	if (rq->rt.ref_is_digest && strcmp(rq->digest, rq->rt.ref) != 0)
		return done(front_error(rq, 400, "DIGEST_INVALID", "the manifest "
		    "bytes hash to %s, not %s", rq->digest, rq->rt.ref));
	if (mcache_manifest_refs(b, rq->body.len, &refs, &n, rq->mtype,
	    sizeof(rq->mtype), &err) != RW_OK)
		return done(front_error(rq, 400, "MANIFEST_INVALID", "%s",
		    err.msg));
	free(refs);
	if (rq->mtype[0] == '\0') {
		ct = hdr(rq, "Content-Type");
		rw_strlcpy(rq->mtype, ct != NULL ? ct : "", sizeof(rq->mtype));
		strip_params(rq->mtype);
	}
	rq->mbody = b;
	rq->mlen = rq->body.len;
	rq->push_checked = 1;
	rq->phase = PH_DECIDE;	/* push admission, then PH_SEND */
	return S_NEXT;
}

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

/* --------------------------------------------------------------- loop */

static enum MHD_Result
advance(struct request *rq)
{
	int rc = S_NEXT;

	while (rc == S_NEXT) {
		switch (rq->phase) {
		case PH_PROBE:
			rc = phase_probe(rq);
			break;
		case PH_TOKEN:
			rc = phase_token(rq);
			break;
		case PH_SEND:
			if (rq->body_in_memory && !rq->body_done)
				return MHD_YES;	/* still receiving it */
			if (rq->body_in_memory && !rq->push_checked) {
				rc = check_pushed_manifest(rq);
				break;
			}
			rc = phase_send(rq);
			break;
		case PH_WAIT:
			rc = phase_wait(rq);
			break;
		case PH_DECIDE:
			rc = decide_step(rq);
			break;
		case PH_ANSWER:
			rc = answer_decided(rq);
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

static int
request_has_body(struct request *rq)
{
	const char *cl = hdr(rq, "Content-Length");

	if (hdr(rq, "Transfer-Encoding") != NULL)
		return 1;
	return cl != NULL && strcmp(cl, "0") != 0;
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
	if (rq->calls == 1 && !request_has_body(rq))
		return MHD_YES;
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
		if (rq->x != NULL && rq->has_body && !rq->body_in_memory)
			xfer_write_eof(rq->x);
	}
	return advance(rq);
}

void
proxy_cleanup(struct request *rq)
{
	decide_cleanup(rq);
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
