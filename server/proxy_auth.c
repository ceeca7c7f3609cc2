/* proxy_auth.c - client identity, pass-through authorization, regwarden's upstream tokens. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "server/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PROBE_CAP	(64 * 1024)
#define TOKEN_CAP	(64 * 1024)

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

int
proxy_authz_ok(struct request *rq)
{
	char key[RW_DIGEST_MAX];
	struct authz_slot *s;
	int ok;

	if (proxy_credentials_mode(rq))
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

void
proxy_authz_store(struct request *rq)
{
	char key[RW_DIGEST_MAX];
	struct authz_slot *s;

	if (proxy_credentials_mode(rq) || rq->rt.up->auth_cache_seconds <= 0)
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
int
proxy_client_auth(struct request *rq)
{
	char user[AUTH_USER_MAX + 1], pass[AUTH_PASS_MAX + 1];
	struct auth_htpasswd *h = rq->srv->htpasswd;
	unsigned wait;
	int rc;

	if (!proxy_credentials_mode(rq)) {
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
			return proxy_done(front_error(rq, 403, "DENIED",
			    "pushes to upstream %s need a TLS client "
			    "certificate signed by a CA in tls.client_ca",
			    rq->rt.up->name));
		if (rq->write_op && h == NULL)
			return proxy_done(front_error(rq, 403, "DENIED",
			    "pushes to upstream %s need client authentication "
			    "(a TLS client certificate or Basic credentials), "
			    "and neither tls.client_ca nor htpasswd is "
			    "configured", rq->rt.up->name));
		if (rq->write_op || (rq->rt.kind == ROUTE_BASE && h != NULL))
			return proxy_done(ask_basic(rq,
			    "authentication required"));
		return S_NEXT;
	}
	if (h == NULL)
		return proxy_done(ask_basic(rq, "this regwarden accepts no "
		    "client credentials (no htpasswd file is configured)"));
	/* Checked before any bcrypt runs: guessing costs the guesser. */
	wait = auth_limiter_wait(rq->srv->logins, rq->client_ip, rw_now_ms());
	if (wait > 0) {
		rq->retry_after = (int)wait;
		return proxy_done(front_error(rq, 429, "TOOMANYREQUESTS", "too "
		    "many failed logins from %s; try again in %u s",
		    rq->client_ip, wait));
	}
	if (auth_basic_decode(rq->authz, user, sizeof(user), pass,
	    sizeof(pass)) != RW_OK)
		return proxy_done(ask_basic(rq, "malformed Basic credentials"));
	rc = auth_htpasswd_check(h, user, pass);
	rw_wipe(pass, sizeof(pass));
	if (rc != RW_OK) {
		auth_limiter_failed(rq->srv->logins, rq->client_ip, rw_now_ms());
		return proxy_done(ask_basic(rq,
		    "invalid user name or password"));
	}
	snprintf(rq->identity, sizeof(rq->identity), "user:%s", user);
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
	if (proxy_credentials_mode(rq)) {
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
	if (!proxy_credentials_mode(rq) || rq->auth_ready)
		return 0;
	rq->after_auth = next;
	rq->phase = PH_PROBE;
	return 1;
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
int
proxy_phase_probe(struct request *rq)
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
			return proxy_upstream_unreachable(rq, NULL);
	}
	if (!xfer_wait_done(rq->aux))
		return S_PARKED;
	status = xfer_status(rq->aux);
	memset(&ch, 0, sizeof(ch));
	rw_err_clear(&err);
	if (status == 401 && (xfer_header(rq->aux, "WWW-Authenticate", www,
	    sizeof(www)) < 0 || auth_parse_challenge(www, &ch, &err) != RW_OK))
		return proxy_done(front_error(rq, 502, "UNAVAILABLE",
		    "upstream %s answered 401 with an unusable challenge%s%s",
		    rq->rt.up->name, err.msg[0] != '\0' ? ": " : "", err.msg));
	if (status != 200 && status != 401)
		return proxy_upstream_unreachable(rq, rq->aux);
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
			return proxy_upstream_unreachable(rq, rq->aux);
		return proxy_done(front_error(rq, 502, "UNAVAILABLE",
		    "the token service of upstream %s answered %ld for "
		    "scope %s", rq->rt.up->name, status, rq->scope));
	}
	body = xfer_body(rq->aux, &len);
	rw_err_clear(&err);
	memset(&tok, 0, sizeof(tok));
	if (auth_parse_token_response(body, len, (long)time(NULL), &tok,
	    &err) != RW_OK)
		return proxy_done(front_error(rq, 502, "UNAVAILABLE",
		    "the token service of upstream %s sent an unusable "
		    "answer: %s", rq->rt.up->name, err.msg));
	auth_cache_put(rq->srv->tokens, rq->rt.up->name, rq->scope, tok.token,
	    tok.expires_at);
	rq->bearer = strdup(tok.token);
	auth_token_cleanup(&tok);
	xfer_release(rq->aux);
	rq->aux = NULL;
	if (rq->bearer == NULL)
		return proxy_done(front_error(rq, 500, "UNKNOWN",
		    "out of memory"));
	return auth_done(rq);
}

int
proxy_phase_token(struct request *rq)
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
		return proxy_done(front_error(rq, 502, "UNAVAILABLE",
		    "upstream %s wants tokens from %s, which is not https; "
		    "set \"insecure\": true to allow that", up->name,
		    st.ch.realm));
	if (auth_token_url(&st.ch, rq->scope, url, sizeof(url)) != RW_OK)
		return proxy_done(front_error(rq, 502, "UNAVAILABLE",
		    "cannot build the token URL for upstream %s", up->name));
	rq->aux = start_simple(rq, "GET", url, TOKEN_CAP, up->username,
	    up->password);
	if (rq->aux == NULL)
		return proxy_upstream_unreachable(rq, NULL);
	return xfer_wait_done(rq->aux) ? token_fetched(rq) : S_PARKED;
}
