/* upclient.c - a blocking registry client (libcurl easy) for the commands. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/upclient.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "server/auth.h"
#include "server/config.h"
#include "util/util.h"

static const char ACCEPT_MANIFESTS[] = "Accept: "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct upc {
	const struct rw_config		*cfg;
	const struct cfg_upstream	*up;
	const char			*repo;
	unsigned			 flags;
	const char			*agent;
	CURL				*easy;
	char				*bearer;	/* secret */
	int				 basic;
	int				 authed;	/* challenge answered */
	char				 errbuf[CURL_ERROR_SIZE];
};

/* Which credentials a request carries. */
enum { SEND_NONE = 0, SEND_SESSION, SEND_BASIC };

/* One request: what it is and the body it carries. */
struct req {
	const char	*method;	/* "GET", "POST", "PUT" */
	int		 kind;		/* enum upc_kind */
	const char	*ctype;		/* body type, or NULL */
	const void	*data;
	size_t		 len;
};

struct upc *
upc_new(const struct rw_config *cfg, const struct cfg_upstream *up,
    const char *repo, unsigned flags, const char *agent)
{
	struct upc *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->up = up;
	s->repo = repo;
	s->flags = flags;
	s->agent = agent;
	s->easy = curl_easy_init();
	if (s->easy == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
upc_free(struct upc *s)
{
	if (s == NULL)
		return;
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	if (s->bearer != NULL)
		rw_freezero(s->bearer, strlen(s->bearer));
	free(s);
}

const struct rw_config *
upc_config(const struct upc *s)
{
	return s->cfg;
}

const struct cfg_upstream *
upc_upstream(const struct upc *s)
{
	return s->up;
}

const char *
upc_repo(const struct upc *s)
{
	return s->repo;
}

void
upc_resp_init(struct upc_resp *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	rw_buf_init(&r->body, cap);
}

void
upc_resp_cleanup(struct upc_resp *r)
{
	rw_buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

/* Where header NAME (NL bytes) of R is kept, or NULL; *DSZ gets its size. */
static char *
header_slot(struct upc_resp *r, const char *name, size_t nl, size_t *dsz)
{
	if (nl == 12 && strncasecmp(name, "Content-Type", nl) == 0) {
		*dsz = sizeof(r->ctype);
		return r->ctype;
	}
	if (nl == 21 && strncasecmp(name, "Docker-Content-Digest", nl) == 0) {
		*dsz = sizeof(r->dcd);
		return r->dcd;
	}
	if (nl == 16 && strncasecmp(name, "WWW-Authenticate", nl) == 0 &&
	    r->www[0] == '\0') {
		*dsz = sizeof(r->www);
		return r->www;
	}
	if (nl == 8 && strncasecmp(name, "Location", nl) == 0) {
		*dsz = sizeof(r->location);
		return r->location;
	}
	return NULL;
}

/* A header line: keep the few we read.  A status line starts a new
 * response (after a redirect), so what the previous one said is dropped. */
static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct upc_resp *r = arg;
	size_t len = size * n, vl, dsz = 0;
	const char *colon, *v;
	char *dst;

	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		r->ctype[0] = r->dcd[0] = r->www[0] = r->location[0] = '\0';
		return len;
	}
	colon = memchr(buf, ':', len);
	if (colon == NULL)
		return len;
	dst = header_slot(r, buf, (size_t)(colon - buf), &dsz);
	if (dst == NULL)
		return len;
	for (v = colon + 1; v < buf + len && (*v == ' ' || *v == '\t'); v++)
		;
	vl = (size_t)(buf + len - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (vl >= dsz)
		vl = dsz - 1;	/* cut: such a header is refused later */
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	return len;
}

static size_t
on_write(char *buf, size_t size, size_t n, void *arg)
{
	struct upc_resp *r = arg;

	if (rw_buf_add(&r->body, buf, size * n) != RW_OK) {
		r->too_big = 1;
		return 0;	/* aborts the transfer */
	}
	return size * n;
}

static void
set_auth(struct upc *s, int send)
{
	CURL *e = s->easy;

	if (send == SEND_SESSION && s->bearer != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, s->bearer);
	} else if ((send == SEND_BASIC || (send == SEND_SESSION && s->basic)) &&
	    s->up->username != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, s->up->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, s->up->password != NULL ?
		    s->up->password : "");
	}
}

/* The options every request gets: where, how long, TLS, callbacks. */
static void
set_common(struct upc *s, const char *url, struct upc_resp *r)
{
	CURL *e = s->easy;

	curl_easy_reset(e);
	s->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, s->agent);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)s->cfg->connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)s->cfg->request_timeout);
	if (s->up->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->up->ca_file);
	if (s->up->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* The request headers Q needs, appended to *HL.  Returns RW_OK or ENOMEM. */
static int
add_headers(const struct req *q, struct curl_slist **hl)
{
	char ct[300];
	struct curl_slist *n;

	if (q->kind == UPC_MANIFEST) {
		n = curl_slist_append(*hl, ACCEPT_MANIFESTS);
		if (n == NULL)
			return RW_ENOMEM;
		*hl = n;
	}
	if (strcmp(q->method, "GET") == 0)
		return RW_OK;
	snprintf(ct, sizeof(ct), "Content-Type: %s", q->ctype != NULL ?
	    q->ctype : "application/octet-stream");
	/* No "Expect: 100-continue": the bodies are small and some
	 * registries answer it badly. */
	n = curl_slist_append(*hl, ct);
	if (n != NULL)
		*hl = n;
	n = n != NULL ? curl_slist_append(*hl, "Expect:") : NULL;
	if (n == NULL)
		return RW_ENOMEM;
	*hl = n;
	return RW_OK;
}

/*
 * One request Q.  Redirects are followed only for blobs (registries send
 * them to storage); credentials never follow a redirect to another host.
 */
static int
perform(struct upc *s, const char *url, const struct req *q, int send,
    struct upc_resp *r, struct rw_err *err)
{
	struct curl_slist *hl = NULL;
	CURL *e = s->easy;
	CURLcode cc;

	set_common(s, url, r);
	if (q->kind == UPC_BLOB) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (strcmp(q->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->data != NULL ?
		    q->data : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->len);
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	}
	set_auth(s, send);
	if (add_headers(q, &hl) != RW_OK) {
		curl_slist_free_all(hl);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	cc = curl_easy_perform(e);
	curl_slist_free_all(hl);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->too_big)
		return rw_err_set(err, RW_ETOOBIG, "upstream %s sent more than "
		    "%zu bytes", s->up->name, r->body.cap);
	if (cc != CURLE_OK)
		return rw_err_set(err, RW_EUPSTREAM, "upstream %s could not be "
		    "reached: %s", s->up->name, s->errbuf[0] != '\0' ?
		    s->errbuf : curl_easy_strerror(cc));
	return RW_OK;
}

/* "CODE: message" from an OCI error body, printable; "" when none. */
static void
error_summary(const struct upc_resp *r, char *out, size_t size)
{
	json_t *root, *e0;
	const char *code, *msg;
	char raw[256];
	size_t i;

	out[0] = '\0';
	root = json_loadb(r->body.data != NULL ? r->body.data : "",
	    r->body.len, 0, NULL);
	e0 = json_array_get(json_object_get(root, "errors"), 0);
	code = json_string_value(json_object_get(e0, "code"));
	msg = json_string_value(json_object_get(e0, "message"));
	if (code != NULL)
		snprintf(raw, sizeof(raw), "%s%s%s", code, msg != NULL ? ": " :
		    "", msg != NULL ? msg : "");
	json_decref(root);
	if (code == NULL)
		return;
	for (i = 0; raw[i] != '\0' && i + 1 < size; i++)
		out[i] = raw[i] >= 0x20 && raw[i] < 0x7f ? raw[i] : '?';
	out[i] = '\0';
}

/* A token for the repository, from the challenge's realm. */
static int
fetch_token(struct upc *s, const struct auth_challenge *ch,
    struct rw_err *err)
{
	static const struct req q = { "GET", UPC_OTHER, NULL, NULL, 0 };
	char scope[AUTH_SCOPE_MAX + 1], url[4096];
	struct auth_token tok;
	struct upc_resp r;
	int rc;

	if (strncasecmp(ch->realm, "https://", 8) != 0 && !s->up->insecure)
		return rw_err_set(err, RW_EAUTH, "upstream %s wants tokens from "
		    "%s, which is not https; set \"insecure\": true to allow that",
		    s->up->name, ch->realm);
	if (auth_scope_for(s->repo, (s->flags & UPC_PUSH) != 0, scope,
	    sizeof(scope)) != RW_OK ||
	    auth_token_url(ch, scope, url, sizeof(url)) != RW_OK)
		return rw_err_set(err, RW_EAUTH, "cannot build the token URL "
		    "for upstream %s", s->up->name);
	upc_resp_init(&r, AUTH_TOKEN_BODY_MAX);
	rc = perform(s, url, &q, SEND_BASIC, &r, err);
	if (rc == RW_OK && r.status != 200)
		rc = rw_err_set(err, RW_EAUTH, "the token service of upstream "
		    "%s answered %ld for scope %s", s->up->name, r.status, scope);
	memset(&tok, 0, sizeof(tok));
	if (rc == RW_OK)
		rc = auth_parse_token_response(r.body.data, r.body.len,
		    (long)time(NULL), &tok, err);
	if (rc == RW_OK) {
		s->bearer = strdup(tok.token);
		if (s->bearer == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	auth_token_cleanup(&tok);
	if (r.body.data != NULL)
		rw_wipe(r.body.data, r.body.len);
	upc_resp_cleanup(&r);
	return rc;
}

/* Answer the upstream's 401 challenge in R. */
static int
authenticate(struct upc *s, const struct upc_resp *r, struct rw_err *err)
{
	struct auth_challenge ch;
	struct rw_err pe;

	rw_err_clear(&pe);
	if (r->www[0] == '\0')
		return rw_err_set(err, RW_EAUTH, "upstream %s answered 401 "
		    "without a WWW-Authenticate challenge", s->up->name);
	if (auth_parse_challenge(r->www, &ch, &pe) != RW_OK)
		return rw_err_set(err, RW_EAUTH, "upstream %s answered 401 with "
		    "an unusable challenge: %s", s->up->name, pe.msg);
	if (ch.scheme == AUTH_SCHEME_BEARER)
		return fetch_token(s, &ch, err);
	if (s->up->username == NULL)
		return rw_err_set(err, RW_EAUTH, "upstream %s asks for Basic "
		    "credentials and none are configured (credentials_file)",
		    s->up->name);
	s->basic = 1;
	return RW_OK;
}

/* Q to URL into R, answering the session's first 401 challenge. */
static int
request(struct upc *s, const char *url, const struct req *q,
    struct upc_resp *r, struct rw_err *err)
{
	size_t cap = r->body.cap;
	int rc;

	rc = perform(s, url, q, SEND_SESSION, r, err);
	if (rc != RW_OK || r->status != 401 || s->authed)
		return rc;
	s->authed = 1;
	rc = authenticate(s, r, err);
	upc_resp_cleanup(r);
	upc_resp_init(r, cap);
	return rc != RW_OK ? rc : perform(s, url, q, SEND_SESSION, r, err);
}

int
upc_get(struct upc *s, const char *url, int kind, struct upc_resp *r,
    struct rw_err *err)
{
	struct req q = { "GET", kind, NULL, NULL, 0 };

	return request(s, url, &q, r, err);
}

int
upc_send(struct upc *s, const char *method, const char *url,
    const char *ctype, const void *data, size_t len, struct upc_resp *r,
    struct rw_err *err)
{
	struct req q = { method, UPC_OTHER, ctype, data, len };

	if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0)
		return rw_err_set(err, RW_EINVAL, "upc_send: method %s is not "
		    "POST or PUT", method);
	return request(s, url, &q, r, err);
}

int
upc_bad_status(const struct upc *s, const struct upc_resp *r,
    const char *what, struct rw_err *err)
{
	char said[200];

	error_summary(r, said, sizeof(said));
	return rw_err_set(err, RW_EUPSTREAM, "upstream %s answered %ld for %s%s%s"
	    "%s", s->up->name, r->status, what, said[0] != '\0' ? " (" : "",
	    said, said[0] != '\0' ? ")" : "");
}

/* The length of "scheme://host[:port]" at the start of URL, or 0. */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

int
upc_location(const struct upc *s, const struct upc_resp *r, char *out,
    size_t size, struct rw_err *err)
{
	const char *loc = r->location;
	size_t ol;

	if (loc[0] == '\0')
		return rw_err_set(err, RW_EUPSTREAM, "upstream %s answered %ld "
		    "without a Location for the upload", s->up->name, r->status);
	/* The upstream URL has no path (config.h): it is the origin, and a
	 * path from the registry goes right after it. */
	if (loc[0] == '/' && loc[1] != '/') {
		if ((size_t)snprintf(out, size, "%s%s", s->up->url, loc) >= size)
			return rw_err_set(err, RW_ETOOBIG, "upload location from "
			    "upstream %s is too long", s->up->name);
		return RW_OK;
	}
	ol = origin_len(loc);
	if (ol == 0 || ol != origin_len(s->up->url) ||
	    strncasecmp(loc, s->up->url, ol) != 0)
		return rw_err_set(err, RW_EUPSTREAM, "upstream %s sent an upload "
		    "location on another host; refusing to send credentials "
		    "there", s->up->name);
	if (rw_strlcpy(out, loc, size) >= size)
		return rw_err_set(err, RW_ETOOBIG, "upload location from "
		    "upstream %s is too long", s->up->name);
	return RW_OK;
}

int
upc_hash_matches(const char *body, size_t len, const char *want,
    char got[RW_DIGEST_MAX])
{
	int alg = rw_hash_alg_of(want);

	got[0] = '\0';
	if (rw_digest(alg != 0 ? alg : RW_HASH_SHA256, body != NULL ? body : "",
	    len, got) != RW_OK)
		return 0;
	return strcmp(got, want) == 0;
}
