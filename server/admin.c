/* admin.c - the admin listener: /healthz, /readyz, /metrics, POST /reload, POST /scans. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

/* Requests here are rare and small: a scrape, a probe, a reload. */
#define ADMIN_THREADS		2
#define ADMIN_CONNECTIONS	64
#define ADMIN_IDLE_SECONDS	30
#define ADMIN_HEADER_BYTES	(32 * 1024)
/* What the hooks may append: a reason, a metrics page. */
#define ADMIN_REASON_MAX	(16 * 1024)
#define ADMIN_METRICS_MAX	(64 * 1024 * 1024)

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

struct admin {
	struct MHD_Daemon	*d;
	struct admin_hooks	 hooks;
	int			 has_token;
	/* SHA-256 of the tokens, so lengths never show in the comparison time. */
	char			 token_digest[RW_DIGEST_MAX];
	int			 has_metrics_token;
	int			 metrics_open;
	char			 metrics_digest[RW_DIGEST_MAX];
	int			 port;
};

/* What an endpoint needs: nothing (probes), the metrics gate, the admin's. */
enum gate { GATE_OPEN, GATE_METRICS, GATE_ADMIN };

struct endpoint;
struct actx;
typedef enum MHD_Result	(*endpoint_fn)(struct admin *a,
			    struct MHD_Connection *c, struct actx *x);

struct endpoint {
	const char	*path;
	const char	*method;	/* HEAD is also allowed with GET */
	int		 gate;		/* enum gate: which token it needs */
	endpoint_fn	 fn;
	const char	*allow;		/* the Allow header of a 405 */
	size_t		 max_body;	/* bodies kept for fn, or ADMIN_MAX_BODY */
	int		 keep_body;
};

/* One request: what the first call decided, and the body. */
struct actx {
	const struct endpoint	*ep;
	size_t			 body;
	struct rw_buf		 buf;	/* when the endpoint reads it */
};

/* ------------------------------------------------------------- replies */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
	    MHD_YES || MHD_add_response_header(r,
	    MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    (hname != NULL && MHD_add_response_header(r, hname, hvalue) !=
	    MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, CT_TEXT, text, strlen(text), NULL, NULL);
}

/* B's text as a body, always ending in one newline; FALLBACK when empty. */
static enum MHD_Result
reply_buf(struct MHD_Connection *c, unsigned status, struct rw_buf *b,
    const char *fallback)
{
	if (b->len == 0)
		return reply_text(c, status, fallback);
	if (b->data[b->len - 1] != '\n' && rw_buf_add(b, "\n", 1) != RW_OK)
		b->data[b->len - 1] = '\n';	/* at the cap: lose one byte */
	return reply(c, status, CT_TEXT, b->data, b->len, NULL, NULL);
}

/* ----------------------------------------------------------- endpoints */

static enum MHD_Result
ep_healthz(struct admin *a, struct MHD_Connection *c, struct actx *x)
{
	(void)x;
	(void)a;
	return reply_text(c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result
ep_readyz(struct admin *a, struct MHD_Connection *c, struct actx *x)
{
	(void)x;
	struct rw_buf why;
	enum MHD_Result ok;

	rw_buf_init(&why, ADMIN_REASON_MAX);
	if (a->hooks.ready(a->hooks.arg, &why) == 1)
		ok = reply_text(c, MHD_HTTP_OK, "ready\n");
	else
		ok = reply_buf(c, MHD_HTTP_SERVICE_UNAVAILABLE, &why,
		    "not ready\n");
	rw_buf_free(&why);
	return ok;
}

static enum MHD_Result
ep_metrics(struct admin *a, struct MHD_Connection *c, struct actx *x)
{
	(void)x;
	struct rw_buf out;
	enum MHD_Result ok;

	rw_buf_init(&out, ADMIN_METRICS_MAX);
	a->hooks.metrics(a->hooks.arg, &out);
	ok = reply(c, MHD_HTTP_OK, CT_METRICS, out.data != NULL ? out.data :
	    "", out.len, NULL, NULL);
	rw_buf_free(&out);
	return ok;
}

static enum MHD_Result
ep_reload(struct admin *a, struct MHD_Connection *c, struct actx *x)
{
	(void)x;
	struct rw_buf msg;
	enum MHD_Result ok;

	rw_buf_init(&msg, ADMIN_REASON_MAX);
	if (a->hooks.reload(a->hooks.arg, &msg) == 0)
		ok = reply_text(c, MHD_HTTP_OK, "reloaded\n");
	else
		ok = reply_buf(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &msg,
		    "reload failed\n");
	rw_buf_free(&msg);
	return ok;
}

/* A scanner's report (Trivy or Grype JSON) posted as the body. */
static enum MHD_Result
ep_scans(struct admin *a, struct MHD_Connection *c, struct actx *x)
{
	struct rw_buf msg;
	enum MHD_Result ok;
	int status;

	if (a->hooks.post_scans == NULL)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	rw_buf_init(&msg, ADMIN_REASON_MAX);
	status = a->hooks.post_scans(a->hooks.arg, x->buf.data != NULL ?
	    x->buf.data : "", x->buf.len, &msg);
	ok = reply_buf(c, (unsigned)status, &msg, status < 300 ? "imported\n" :
	    "refused\n");
	rw_buf_free(&msg);
	return ok;
}

static const struct endpoint endpoints[] = {
	/* Probes reveal only "ok" and "ready" (or why not): never a secret. */
	{ "/healthz", MHD_HTTP_METHOD_GET, GATE_OPEN, ep_healthz, "GET, HEAD",
	  ADMIN_MAX_BODY, 0 },
	{ "/readyz", MHD_HTTP_METHOD_GET, GATE_OPEN, ep_readyz, "GET, HEAD",
	  ADMIN_MAX_BODY, 0 },
	{ "/metrics", MHD_HTTP_METHOD_GET, GATE_METRICS, ep_metrics,
	  "GET, HEAD", ADMIN_MAX_BODY, 0 },
	{ "/reload", MHD_HTTP_METHOD_POST, GATE_ADMIN, ep_reload, "POST",
	  ADMIN_MAX_BODY, 0 },
	{ "/scans", MHD_HTTP_METHOD_POST, GATE_ADMIN, ep_scans, "POST",
	  ADMIN_MAX_SCAN_BODY, 1 },
};

static const struct endpoint *
find_endpoint(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(url, endpoints[i].path) == 0)
			return &endpoints[i];
	return NULL;
}

static int
method_ok(const struct endpoint *ep, const char *method)
{
	if (strcmp(method, ep->method) == 0)
		return 1;
	return strcmp(ep->method, MHD_HTTP_METHOD_GET) == 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* ------------------------------------------------------------ the gate */

/*
 * "Bearer <token>": the scheme is case-insensitive (RFC 9110 §11.1).  Both
 * sides are compared as SHA-256 digests, whose length is fixed, so neither
 * the token's length nor where a guess goes wrong shows in the timing.
 * Both digests are compared whenever both exist, for the same reason.
 */
static int
bearer_ok(const struct admin *a, struct MHD_Connection *c, int metrics)
{
	const char *h, *t;
	char got[RW_DIGEST_MAX];
	int ok;

	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 ||
	    (h[6] != ' ' && h[6] != '\t'))
		return 0;
	for (t = h + 7; *t == ' ' || *t == '\t'; t++)
		;
	/* Both buffers are compared whole, past the NUL too. */
	memset(got, 0, sizeof(got));
	if (rw_digest(RW_HASH_SHA256, t, strlen(t), got) != RW_OK)
		return 0;
	ok = a->has_token &&
	    CRYPTO_memcmp(got, a->token_digest, sizeof(got)) == 0;
	if (metrics && a->has_metrics_token)
		ok |= CRYPTO_memcmp(got, a->metrics_digest, sizeof(got)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

static int
authorized(const struct admin *a, struct MHD_Connection *c, int gate)
{
	if (gate == GATE_OPEN)
		return 1;
	if (gate == GATE_METRICS)
		return a->metrics_open || (!a->has_token &&
		    !a->has_metrics_token) || bearer_ok(a, c, 1);
	return !a->has_token || bearer_ok(a, c, 0);
}

/* A Content-Length over the cap, seen before any body byte is read. */
static int
announced_too_big(struct MHD_Connection *c, size_t cap)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t n;

	return cl != NULL && rw_parse_i64(cl, 0, INT64_MAX, &n) == RW_OK &&
	    (uint64_t)n > cap;
}

/*
 * The first call for a request, headers only: refusals are answered now,
 * before any body is read; an accepted request waits for the full body.
 */
static enum MHD_Result
first_look(struct admin *a, struct MHD_Connection *c, const char *url,
    const char *method, struct actx *x)
{
	x->ep = find_endpoint(url);
	if (x->ep == NULL)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (!authorized(a, c, x->ep->gate)) {
		log_debug("admin: %s %s: missing or wrong bearer token", method,
		    x->ep->path);
		return reply(c, MHD_HTTP_UNAUTHORIZED, CT_TEXT,
		    "unauthorized\n", 13, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"regwarden-admin\"");
	}
	if (!method_ok(x->ep, method))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, CT_TEXT,
		    "method not allowed\n", 19, MHD_HTTP_HEADER_ALLOW,
		    x->ep->allow);
	if (announced_too_big(c, x->ep->max_body))
		return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "request body too large\n");
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct admin *a = cls;
	struct actx *x = *con_cls;

	(void)version;
	(void)upload_data;
	if (x == NULL) {
		x = calloc(1, sizeof(*x));
		if (x == NULL)
			return MHD_NO;
		*con_cls = x;
		return first_look(a, c, url, method, x);
	}
	if (*upload_data_size > 0) {
		/* Kept for endpoints that read it, else counted and dropped. */
		x->body += *upload_data_size;
		if (x->ep->keep_body && x->buf.cap == 0)
			rw_buf_init(&x->buf, x->ep->max_body);
		if (x->ep->keep_body && rw_buf_add(&x->buf, upload_data,
		    *upload_data_size) != RW_OK)
			return MHD_NO;
		*upload_data_size = 0;
		return x->body > x->ep->max_body ? MHD_NO : MHD_YES;
	}
	return x->ep->fn(a, c, x);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != NULL)
		rw_buf_free(&((struct actx *)*con_cls)->buf);
	free(*con_cls);
	*con_cls = NULL;
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("admin: microhttpd: %s", msg);
}

/* ------------------------------------------------------------ lifecycle */

static int
bind_addr(const char *host, int port, struct sockaddr_storage *ss,
    struct rw_err *err)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535)
		return rw_err_set(err, RW_EINVAL, "admin: port %d out of range "
		    "(0..65535)", port);
	if (host != NULL && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return RW_OK;
	}
	if (host != NULL && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return RW_OK;
	}
	return rw_err_set(err, RW_EINVAL, "admin: \"%s\" is not an IP address",
	    host != NULL ? host : "(null)");
}

static int
set_tokens(struct admin *a, const struct admin_tokens *tok,
    struct rw_err *err)
{
	if (tok == NULL)
		return RW_OK;
	if ((tok->admin != NULL && rw_digest(RW_HASH_SHA256, tok->admin,
	    strlen(tok->admin), a->token_digest) != RW_OK) ||
	    (tok->metrics != NULL && rw_digest(RW_HASH_SHA256, tok->metrics,
	    strlen(tok->metrics), a->metrics_digest) != RW_OK))
		return rw_err_set(err, RW_ENOMEM, "admin: out of memory");
	a->has_token = tok->admin != NULL;
	a->has_metrics_token = tok->metrics != NULL;
	a->metrics_open = tok->metrics_open;
	return RW_OK;
}

struct admin *
admin_start(const char *host, int port, const struct admin_tokens *tok,
    const struct admin_hooks *hooks, struct rw_err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct admin *a;
	unsigned flags;

	if (hooks == NULL || hooks->ready == NULL || hooks->metrics == NULL ||
	    hooks->reload == NULL) {
		rw_err_set(err, RW_EINVAL, "admin: every hook is required");
		return NULL;
	}
	if (bind_addr(host, port, &ss, err) != RW_OK)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		rw_err_set(err, RW_ENOMEM, "admin: out of memory");
		return NULL;
	}
	a->hooks = *hooks;
	if (set_tokens(a, tok, err) != RW_OK)
		goto fail;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request,
	    a, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)ADMIN_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_IDLE_SECONDS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)ADMIN_HEADER_BYTES,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
	    MHD_OPTION_END);
	if (a->d == NULL) {
		rw_err_set(err, RW_EIO, "admin: cannot listen on %s%s%s:%d: %s",
		    ss.ss_family == AF_INET6 ? "[" : "", host,
		    ss.ss_family == AF_INET6 ? "]" : "", port, strerror(errno));
		goto fail;
	}
	info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info != NULL && info->port != 0 ? (int)info->port : port;
	return a;
fail:
	admin_stop(a);
	return NULL;
}

int
admin_port(const struct admin *a)
{
	return a->port;
}

void
admin_stop(struct admin *a)
{
	if (a == NULL)
		return;
	if (a->d != NULL)
		MHD_stop_daemon(a->d);
	OPENSSL_cleanse(a->token_digest, sizeof(a->token_digest));
	OPENSSL_cleanse(a->metrics_digest, sizeof(a->metrics_digest));
	free(a);
}
