/* front.c - the HTTPS front end: libmicrohttpd daemon, request lifecycle, answers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "db/db.h"
#include "server/admin.h"
#include "server/auditq.h"
#include "server/internal.h"
#include "server/upload.h"
#include "scanreport/scanreport.h"
#include "server/rescan.h"
#include "server/tls.h"

#define STREAM_BLOCK	(64 * 1024)

/* ------------------------------------------------------------ config */

struct cfg_holder *
server_cfg_acquire(struct server *srv)
{
	struct cfg_holder *ch;

	pthread_mutex_lock(&srv->cfg_mu);
	ch = srv->active;
	atomic_fetch_add(&ch->refs, 1);
	pthread_mutex_unlock(&srv->cfg_mu);
	return ch;
}

void
server_cfg_release(struct cfg_holder *ch)
{
	if (ch != NULL && atomic_fetch_sub(&ch->refs, 1) == 1) {
		config_free(ch->cfg);
		free(ch);
	}
}

static struct cfg_holder *
holder_new(struct rw_config *cfg)
{
	struct cfg_holder *ch = calloc(1, sizeof(*ch));

	if (ch == NULL)
		return NULL;
	ch->cfg = cfg;
	atomic_init(&ch->refs, 1);
	return ch;
}

void
server_print_diags(const struct rw_diags *d)
{
	char line[600];
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", rw_err_str(&d->e[i], line, sizeof(line)));
	if (d->dropped > 0)
		fprintf(stderr, "(%zu more errors not shown)\n", d->dropped);
}

/* -------------------------------------------------------- responses */

void
front_common_headers(struct request *rq, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Docker-Distribution-API-Version",
	    "registry/2.0");
	MHD_add_response_header(r, "X-Request-Id", rq->id);
	if (rq->routed && rq->rt.ns[0] != '\0')
		MHD_add_response_header(r, "OCI-Namespace", rq->rt.ns);
}

enum MHD_Result
front_queue(struct request *rq, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	front_common_headers(rq, r);
	if (rq->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", rq->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (rq->close || atomic_load(&rq->srv->draining))
		MHD_add_response_header(r, "Connection", "close");
	rq->status = status;
	rq->phase = PH_DONE;
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
front_buffer(struct request *rq, unsigned status, const char *body,
    size_t len, const char *content_type, struct MHD_Response **out)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (content_type != NULL)
		MHD_add_response_header(r, "Content-Type", content_type);
	if (strcmp(rq->method, "HEAD") != 0)
		rq->bytes_out = len;
	if (out != NULL) {
		*out = r;
		return MHD_YES;
	}
	return front_queue(rq, status, r);
}

/*
 * A refusal's message ends with the request's id, "(request 8812c63e...)",
 * which every client prints: a developer quotes it and the admin finds the
 * log line and the audit row.  Only for 403: the other errors are not
 * decisions.  The id is this request's own, so a replayed verdict (the GET
 * of a denial document) shows the id of the request the client made.
 */
static void
with_request_id(const struct request *rq, unsigned status, char *msg,
    size_t size)
{
	size_t n = strlen(msg);

	if (status == 403 && rq->id[0] != '\0')
		snprintf(msg + n, size - n, " (request %s)", rq->id);
}

enum MHD_Result
front_error(struct request *rq, unsigned status, const char *code,
    const char *fmt, ...)
{
	char msg[1024];
	json_t *doc;
	char *text;
	enum MHD_Result ret;
	va_list ap;

	memcpy(msg, "regwarden: ", 11);
	va_start(ap, fmt);
	vsnprintf(msg + 11, sizeof(msg) - 11, fmt, ap);
	va_end(ap);
	rw_strlcpy(rq->note, msg + 11, sizeof(rq->note));
	with_request_id(rq, status, msg, sizeof(msg));
	doc = json_pack("{s:[{s:s,s:s,s:{s:s}}]}", "errors", "code", code,
	    "message", msg, "detail", "request_id", rq->id);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	ret = front_buffer(rq, status, text, strlen(text), "application/json",
	    NULL);
	free(text);
	return ret;
}

enum MHD_Result
front_refuse(struct request *rq, unsigned status, const char *code,
    const char *message, const char *detail_json)
{
	json_t *doc, *detail = NULL;
	char *text, msg[2112];
	enum MHD_Result ret;

	rw_strlcpy(rq->note, message, sizeof(rq->note));
	rw_strlcpy(msg, message, sizeof(msg));
	with_request_id(rq, status, msg, sizeof(msg));
	message = msg;
	if (detail_json != NULL)
		detail = json_loads(detail_json, 0, NULL);
	if (detail == NULL)
		detail = json_object();
	json_object_set_new(detail, "request_id", json_string(rq->id));
	doc = json_pack("{s:[{s:s,s:s,s:o}]}", "errors", "code", code,
	    "message", message, "detail", detail);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	ret = front_buffer(rq, status, text, strlen(text), "application/json",
	    NULL);
	free(text);
	return ret;
}

void
front_client_base(struct request *rq, char *out, size_t size)
{
	const char *host, *p;

	out[0] = '\0';
	host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	    "Host");
	if (host == NULL || *host == '\0' || strlen(host) > 255)
		return;
	for (p = host; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-:[]", *p) != NULL))
			return;
	snprintf(out, size, "https://%s", host);
}

static void
hook_park(void *arg)
{
	struct request *rq = arg;

	MHD_suspend_connection(rq->conn);
}

static void
hook_unpark(void *arg)
{
	struct request *rq = arg;

	MHD_resume_connection(rq->conn);
}

struct xfer_hooks
front_hooks(struct request *rq)
{
	struct xfer_hooks h = { hook_park, hook_unpark, rq };

	return h;
}

/* ---------------------------------------------------- request lifecycle */

static void
request_unref(struct request *rq)
{
	if (atomic_fetch_sub(&rq->refs, 1) != 1)
		return;
	proxy_cleanup(rq);
	server_cfg_release(rq->ch);
	atomic_fetch_sub(&rq->srv->inflight, 1);
	free(rq->uri);
	free(rq);
}

static const char *
client_ip(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	buf[0] = '\0';
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return buf;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
		    (socklen_t)size);
	return buf;
}

/* The conntrack entry on_connection gave CONN, or NULL. */
static struct ct_conn *
conn_track(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the first look at a request, with the raw
 * URI before MHD unescapes it; what it returns becomes *con_cls. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct server *srv = cls;
	struct request *rq;
	unsigned long n;

	rq = calloc(1, sizeof(*rq));
	if (rq == NULL)
		return NULL;
	atomic_init(&rq->refs, 1);
	rq->srv = srv;
	rq->conn = conn;
	rq->uri = strdup(uri);
	rq->t0 = rw_now_ms();
	rq->body_len = -1;
	n = atomic_fetch_add(&srv->next_id, 1);
	snprintf(rq->id, sizeof(rq->id), "%s%08lx", srv->id_prefix,
	    n & 0xffffffffUL);
	rq->ch = server_cfg_acquire(srv);
	rq->cfg = rq->ch->cfg;
	client_ip(conn, rq->client_ip, sizeof(rq->client_ip));
	atomic_fetch_add(&srv->inflight, 1);
	/* A request line: the rest of its header must follow in time. */
	conntrack_cap(srv->ct, conn_track(conn), rw_now_ms() + srv->header_ms);
	return rq;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **con_cls)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)url;
	if (rq == NULL || rq->uri == NULL)
		return MHD_NO;	/* out of memory at on_uri: drop */
	rq->method = method;
	rq->http11 = version == NULL || strcmp(version, "HTTP/1.0") != 0;
	rw_log_set_reqid(rq->id);
	if (rq->calls == 0)	/* the whole header is in: no deadline */
		conntrack_set(rq->srv->ct, conn_track(conn), 0);
	if (rq->phase == PH_DONE) {
		/* Answered early (an error); swallow the rest of the body. */
		*size = 0;
		return MHD_YES;
	}
	rq->calls++;
	return proxy_step(rq, data, size);
}

static void
log_request(struct request *rq, enum MHD_RequestTerminationCode toe)
{
	char st[16], bytes[32], ms[32], path[512];
	const char *q;
	size_t n;

	q = strchr(rq->uri, '?');
	n = q != NULL ? (size_t)(q - rq->uri) : strlen(rq->uri);
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, rq->uri, n);
	path[n] = '\0';
	snprintf(st, sizeof(st), "%u", rq->status);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)rq->bytes_out);
	snprintf(ms, sizeof(ms), "%llu",
	    (unsigned long long)(rw_now_ms() - rq->t0));
	rw_log_kv(RW_LOG_INFO, rq->id, "request",
	    "client", rq->client_ip,
	    "identity", rq->identity[0] != '\0' ? rq->identity : NULL,
	    "method", rq->method != NULL ? rq->method : "-",
	    "path", path,
	    "ns", rq->routed && rq->rt.ns[0] != '\0' ? rq->rt.ns : NULL,
	    "upstream", rq->routed && rq->rt.up != NULL ? rq->rt.up->name : NULL,
	    "#status", st, "#bytes", bytes, "#ms", ms,
	    "end", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL :
	    toe == MHD_REQUEST_TERMINATED_WITH_ERROR ? "error" :
	    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout" :
	    toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown" :
	    toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client-abort" :
	    "other",
	    "note", rq->note[0] != '\0' ? rq->note : NULL,
	    (const char *)NULL);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	/* Kept alive, the next request's header must be in within the idle
	 * time (on_uri shortens that once its request line is). */
	conntrack_set(rq->srv->ct, conn_track(conn), rw_now_ms() +
	    rq->srv->idle_ms);
	/* The level first: the line's fields cost three snprintf calls. */
	if (rq->uri != NULL && rw_log_level >= RW_LOG_INFO)
		log_request(rq, toe);
	metrics_request(rq->srv->metrics, rq->method, (int)rq->status);
	metrics_client_latency(rq->srv->metrics, !rq->routed ?
	    METRICS_ROUTE_OTHER : rq->rt.kind == ROUTE_MANIFEST ?
	    METRICS_ROUTE_MANIFEST : rq->rt.kind == ROUTE_BLOB ?
	    METRICS_ROUTE_BLOB : rq->rt.kind == ROUTE_UPLOAD_START ||
	    rq->rt.kind == ROUTE_UPLOAD ? METRICS_ROUTE_UPLOAD :
	    METRICS_ROUTE_OTHER, (rw_now_ms() - rq->t0) * 1000u);
	metrics_bytes_sent(rq->srv->metrics, rq->bytes_out);
	metrics_set_inflight(rq->srv->metrics,
	    atomic_load(&rq->srv->inflight) - 1);
	rw_log_set_reqid(NULL);
	/* Stop the upstream side now; a streamed response may still hold the
	 * request until MHD frees it. */
	xfer_release(rq->x);
	rq->x = NULL;
	xfer_release(rq->aux);
	rq->aux = NULL;
	/* A blob copied on the way is kept only when its client got it all. */
	proxy_blob_done(rq, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	request_unref(rq);
}

/* Stream a response body out of the upstream transfer's ring buffer. */
static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *rq = cls;
	ssize_t n;

	(void)pos;
	if (rq->x == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = xfer_read(rq->x, buf, max);
	if (n == XFER_AGAIN)
		return 0;	/* parked: the connection is suspended */
	if (n > 0)
		return proxy_stream_chunk(rq, buf, (size_t)n);
	if (n == XFER_EOF)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return proxy_stream_failed(rq);
}

static void
stream_free(void *cls)
{
	request_unref(cls);
}

struct MHD_Response *
front_reader_response(struct request *rq, uint64_t size, size_t block,
    MHD_ContentReaderCallback reader)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_callback(size, block, reader, rq,
	    stream_free);
	if (r != NULL)
		atomic_fetch_add(&rq->refs, 1);
	return r;
}

struct MHD_Response *
front_stream_response(struct request *rq, uint64_t size)
{
	return front_reader_response(rq, size, STREAM_BLOCK, stream_reader);
}

static ssize_t
head_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	/* MHD sends no body for HEAD; reaching here would be a bug. */
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

struct MHD_Response *
front_head_response(struct request *rq, uint64_t size)
{
	(void)rq;
	return MHD_create_response_from_callback(size, 1024, head_reader,
	    NULL, NULL);
}

/* ------------------------------------------------------------- daemon */

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
	log_debug("microhttpd: %s", msg);
}

static int
listen_addr(const struct rw_config *cfg, struct sockaddr_storage *ss,
    struct rw_err *err)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->listen_host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->listen_port);
		return RW_OK;
	}
	if (inet_pton(AF_INET6, cfg->listen_host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->listen_port);
		return RW_OK;
	}
	return rw_err_set(err, RW_ECONFIG, "listen: \"%s\" is not an IP address",
	    cfg->listen_host);
}

/*
 * Over TLS, libmicrohttpd writes the header block and the body as separate
 * records.  With Nagle on, the second small write waits for the client's
 * delayed ACK: milliseconds of dead time per keep-alive request.  Every
 * write we make is a whole record, so send at once.
 *
 * Each connection is tracked from here until CLOSED (which libmicrohttpd
 * sends before closing the socket): its TLS handshake and first request
 * header must be done within timeouts.header, or the reaper in
 * wait_signals shuts it down (conntrack.h).
 */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	int one = 1;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conntrack_close(srv->ct, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*socket_ctx = conntrack_open(srv->ct, ci->connect_fd,
	    rw_now_ms() + srv->header_ms);
}

static struct MHD_Daemon *
start_daemon(struct server *srv, const struct rw_config *cfg,
    const struct tls_material *tls, struct rw_err *err)
{
	/* An empty option array stands in when there is no client CA. */
	static const struct MHD_OptionItem trust_none[] = {
		{ MHD_OPTION_END, 0, NULL }
	};
	struct sockaddr_storage ss;
	char *ca = NULL;
	struct MHD_Daemon *d;
	unsigned flags;

	if (listen_addr(cfg, &ss, err) != RW_OK)
		return NULL;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TLS | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* With tls.client_ca, clients are asked (not required) for a
	 * certificate; proxy.c decides what a verified one may do. */
	if (cfg->client_ca != NULL &&
	    tls_read_client_ca(cfg->client_ca, &ca, err) != RW_OK)
		return NULL;
	d = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL,
	    on_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, tls->cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, tls->key_pem,
	    ca != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_ARRAY,
	    ca != NULL ? ca : (const char *)trust_none,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip,
	    MHD_OPTION_HTTPS_PRIORITIES, cfg->tls_priorities != NULL ?
	    cfg->tls_priorities : TLS_PRIORITIES_DEFAULT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header_bytes,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
	    MHD_OPTION_END);
	if (d == NULL)
		rw_err_set(err, RW_EIO, "cannot listen on %s:%d: %s",
		    cfg->listen_host, cfg->listen_port, strerror(errno));
	free(ca);
	return d;
}

/* ------------------------------------------------------- lifecycle */

static int
make_state_dir(const char *dir, struct rw_err *err)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return RW_OK;
	return rw_err_set(err, RW_EIO, "cannot create state_dir %s: %s", dir,
	    strerror(errno));
}

/* Settings a reload cannot change without a restart. */
static void
warn_static_changes(const struct rw_config *old, const struct rw_config *nw)
{
#define SAME_STR(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && strcmp((a), (b)) == 0)
	if (!SAME_STR(old->listen_host, nw->listen_host) ||
	    old->listen_port != nw->listen_port)
		log_warnx("reload: \"listen\" changed; restart to apply");
	if (!SAME_STR(old->tls_cert, nw->tls_cert) ||
	    !SAME_STR(old->tls_key, nw->tls_key) ||
	    !SAME_STR(old->tls_priorities, nw->tls_priorities))
		log_warnx("reload: \"tls\" changed; restart to apply");
	if (!SAME_STR(old->state_dir, nw->state_dir))
		log_warnx("reload: \"state_dir\" changed; restart to apply");
	if (!SAME_STR(old->db_url, nw->db_url) ||
	    !SAME_STR(old->db_password, nw->db_password) ||
	    old->db_connections != nw->db_connections)
		log_warnx("reload: \"database\" changed; restart to apply");
	if (!SAME_STR(old->htpasswd, nw->htpasswd))
		log_warnx("reload: \"htpasswd\" changed; restart to apply");
	if (!SAME_STR(old->admin_host, nw->admin_host) ||
	    old->admin_port != nw->admin_port ||
	    !SAME_STR(old->admin_token, nw->admin_token) ||
	    !SAME_STR(old->metrics_token, nw->metrics_token) ||
	    old->metrics_open != nw->metrics_open)
		log_warnx("reload: \"admin\" changed (listener or token); "
		    "restart to apply");
	if (old->manifest_cache_bytes != nw->manifest_cache_bytes ||
	    old->decision_max != nw->decision_max)
		log_warnx("reload: cache sizes apply after a restart");
	if (old->scanner_argv != NULL || nw->scanner_argv != NULL)
		log_info("reload: \"scanner\" settings apply after a restart");
	if (old->threads != nw->threads ||
	    old->max_connections != nw->max_connections ||
	    old->max_connections_per_ip != nw->max_connections_per_ip ||
	    old->idle_timeout != nw->idle_timeout ||
	    old->header_timeout != nw->header_timeout ||
	    old->max_header_bytes != nw->max_header_bytes)
		log_warnx("reload: threads, connection limits and client "
		    "timeouts apply after a restart");
	if (old->content_max != nw->content_max ||
	    old->content_upload_max != nw->content_upload_max ||
	    old->content_upload_sessions != nw->content_upload_sessions ||
	    old->content_upload_idle != nw->content_upload_idle)
		log_warnx("reload: \"content\" max_running and upload limits "
		    "apply after a restart");
#undef SAME_STR
}

/* Pins declared in the policy file go into the store the checks read. */
static void
sync_pins(struct server *srv, const struct policy *p)
{
	const char *host, *repo, *tag, *digest;
	struct rw_err err;
	size_t i;

	for (i = 0; i < policy_npins(p); i++) {
		policy_pin(p, i, &host, &repo, &tag, &digest);
		rw_err_clear(&err);
		if (db_pin_set(srv->db, host, repo, tag, digest, "policy",
		    "policy", (int64_t)time(NULL), &err) != RW_OK)
			log_warnx("cannot record the policy's pin %s/%s:%s: %s",
			    host, repo, tag, err.msg);
	}
}

static int64_t
mtime_of(const char *path)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/*
 * Load the policy the config names and swap it in.  A policy that fails
 * validation is reported and the running one stays.  Returns RW_OK or
 * RW_ECONFIG.
 */
static int
load_policy(struct server *srv, const struct rw_config *cfg,
    struct rw_buf *msg)
{
	struct policy_holder *ph = NULL, *old;
	struct policy *p = NULL;
	struct rw_diags d;
	char line[600];
	size_t i;

	srv->policy_mtime = mtime_of(cfg->policy_path);
	if (cfg->policy_path != NULL) {
		memset(&d, 0, sizeof(d));
		if (policy_load(cfg->policy_path, &p, &d) != RW_OK) {
			for (i = 0; i < d.n; i++)
				log_error("policy: %s", rw_err_str(&d.e[i], line,
				    sizeof(line)));
			if (msg != NULL && d.n > 0)
				rw_buf_addf(msg, "%s\n", rw_err_str(&d.e[0], line,
				    sizeof(line)));
			if (d.dropped > 0)
				log_error("policy: %zu more errors", d.dropped);
			metrics_policy_error(srv->metrics);
			metrics_policy_reload(srv->metrics, 0,
			    (int64_t)time(NULL));
			return RW_ECONFIG;
		}
		ph = calloc(1, sizeof(*ph));
		if (ph == NULL) {
			policy_free(p);
			return RW_ENOMEM;
		}
		ph->p = p;
		atomic_init(&ph->refs, 1);
		sync_pins(srv, p);
		log_info("policy %s loaded (revision %s)", cfg->policy_path,
		    policy_revision(p));
	} else {
		log_warnx("\"plain_proxy\": true in %s: no policy, every "
		    "image is admitted (regwarden runs as a plain proxy on "
		    "purpose)", cfg->path);
	}
	pthread_mutex_lock(&srv->cfg_mu);
	old = srv->policy;
	srv->policy = ph;
	pthread_mutex_unlock(&srv->cfg_mu);
	decide_policy_release(old);
	dcache_clear(srv->dc);
	metrics_policy_reload(srv->metrics, 1, (int64_t)time(NULL));
	metrics_set_policy(srv->metrics, ph != NULL ? policy_revision(ph->p) :
	    NULL);
	return RW_OK;
}

/* The policy file changed on disk: load it again. */
static void
watch_policy(struct server *srv)
{
	struct cfg_holder *ch = server_cfg_acquire(srv);
	int rc;

	if (ch->cfg->policy_path != NULL &&
	    mtime_of(ch->cfg->policy_path) != srv->policy_mtime) {
		log_info("policy file %s changed; reloading",
		    ch->cfg->policy_path);
		pthread_mutex_lock(&srv->reload_mu);
		rc = load_policy(srv, ch->cfg, NULL);
		pthread_mutex_unlock(&srv->reload_mu);
		if (rc != RW_OK)
			log_error("policy reload failed; the running policy "
			    "stays");
	}
	server_cfg_release(ch);
}

static int	reload_locked(struct server *srv, struct rw_buf *msg);

/* SIGHUP, or POST /reload on the admin listener. */
static int
reload(struct server *srv, struct rw_buf *msg)
{
	int rc;

	pthread_mutex_lock(&srv->reload_mu);
	rc = reload_locked(srv, msg);
	pthread_mutex_unlock(&srv->reload_mu);
	return rc;
}

static int
reload_locked(struct server *srv, struct rw_buf *msg)
{
	struct rw_config *cfg = NULL;
	struct cfg_holder *ch, *old;
	struct rw_diags d;
	struct rw_err err;
	char line[600];
	size_t i;

	rw_err_clear(&err);
	if (rw_log_reopen(&err) != RW_OK)
		log_warnx("%s", err.msg);
	memset(&d, 0, sizeof(d));
	pthread_mutex_lock(&srv->cfg_mu);
	old = srv->active;
	pthread_mutex_unlock(&srv->cfg_mu);
	if (config_load(old->cfg->path, &cfg, &d) != RW_OK) {
		for (i = 0; i < d.n; i++)
			log_error("reload: %s", rw_err_str(&d.e[i], line,
			    sizeof(line)));
		if (msg != NULL && d.n > 0)
			rw_buf_addf(msg, "%s\n", rw_err_str(&d.e[0], line,
			    sizeof(line)));
		log_error("reload failed; the running configuration stays");
		return -1;
	}
	rw_err_clear(&err);
	if (config_check_serve(cfg, &err) != RW_OK) {
		log_error("reload: %s", err.msg);
		if (msg != NULL)
			rw_buf_addf(msg, "%s\n", err.msg);
		config_free(cfg);
		log_error("reload failed; the running configuration stays");
		return -1;
	}
	ch = holder_new(cfg);
	if (ch == NULL) {
		config_free(cfg);
		log_error("reload failed: out of memory");
		return -1;
	}
	warn_static_changes(old->cfg, cfg);
	rw_log_level = cfg->log_level;
	auditq_set_retention(srv->auditq, cfg->audit_retention_days);
	auditq_set_index_retention(srv->auditq, cfg->content_index_days);
	pthread_mutex_lock(&srv->cfg_mu);
	srv->active = ch;
	pthread_mutex_unlock(&srv->cfg_mu);
	/* Upstreams may have new URLs or credentials: learn auth afresh. */
	pthread_mutex_lock(&srv->state_mu);
	memset(srv->upstates, 0, sizeof(srv->upstates));
	memset(srv->authz, 0, sizeof(srv->authz));
	pthread_mutex_unlock(&srv->state_mu);
	auth_cache_free(srv->tokens);
	srv->tokens = auth_cache_new();
	server_cfg_release(old);
	log_info("configuration reloaded from %s", cfg->path);
	if (load_policy(srv, cfg, msg) != RW_OK) {
		log_error("policy reload failed; the running policy stays");
		if (msg != NULL)
			rw_buf_addf(msg, "the configuration was reloaded; the "
			    "policy %s is not valid and the running policy "
			    "stays\n", cfg->policy_path);
		return -1;
	}
	return 0;
}

static void
drain(struct server *srv, int seconds)
{
	uint64_t deadline = rw_now_ms() + (uint64_t)seconds * 1000u;
	MHD_socket fd;

	atomic_store(&srv->draining, 1);
	fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	log_info("shutting down: waiting up to %d s for %d request(s)",
	    seconds, atomic_load(&srv->inflight));
	while (atomic_load(&srv->inflight) > 0 && rw_now_ms() < deadline)
		usleep(50 * 1000);
	if (atomic_load(&srv->inflight) > 0)
		log_warnx("shutdown: ending %d request(s) still in flight",
		    atomic_load(&srv->inflight));
	/* Every parked request is woken (a failed transfer, a failed scan),
	 * so none is left suspended when the daemon stops (MHD requires
	 * that). */
	scanner_free(srv->scanner);
	srv->scanner = NULL;
	inspector_free(srv->inspector);
	srv->inspector = NULL;
	upload_table_stop(srv->uploads);
	up_engine_abort_all(srv->eng);
	deadline = rw_now_ms() + 2000;
	while (up_engine_active(srv->eng) > 0 && rw_now_ms() < deadline)
		usleep(20 * 1000);
	usleep(100 * 1000);
}

static int
wait_signals(struct server *srv)
{
	/* A quarter second: how late a header deadline may be enforced. */
	struct timespec ts = { 0, 250 * 1000 * 1000 };
	uint64_t watched = 0, now;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		now = rw_now_ms();
		conntrack_reap(srv->ct, now);
		if (sig == SIGHUP) {
			reload(srv, NULL);
		} else if (sig == SIGTERM || sig == SIGINT) {
			return sig;
		} else if (now - watched >= 1000) {
			watched = now;
			watch_policy(srv);
		}
	}
}

static void
block_signals(void)
{
	sigset_t set;

	/* Blocked in every thread (they inherit the mask); the main thread
	 * takes them with sigtimedwait, so no handler runs async. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ------------------------------------------------------ scan reports */

/*
 * Import a Trivy or Grype report (from the scanner command or POST /scans)
 * in one transaction.  Every cached decision is dropped: a report can turn
 * any verdict that read the old one.  Sets *WAS_NEW.
 */
static int
import_report(struct server *srv, const char *body, size_t len, int *was_new,
    struct rw_err *err)
{
	const struct db_scan_report *r;
	struct scanreport sr;
	size_t counts[DB_SEV_COUNT];
	int64_t id;
	int rc;

	rc = scanreport_parse(body, len, &sr, err);
	if (rc != RW_OK)
		return rc;
	r = scanreport_report(&sr);
	rc = db_scan_put(srv->db, r, (int64_t)time(NULL), &id, was_new, err);
	if (rc == RW_OK) {
		dcache_clear(srv->dc);
		scanner_report_in(srv->scanner, r->digests, r->ndigests);
		scanreport_counts(r, counts);
		log_info("scan report %s: %s %s, %zu findings (critical %zu, "
		    "high %zu), %zu digests%s", r->report_digest, r->scanner,
		    r->scanner_version != NULL ? r->scanner_version : "",
		    r->nfindings, counts[DB_SEV_CRITICAL], counts[DB_SEV_HIGH],
		    r->ndigests, *was_new ? "" : " (already imported)");
	}
	scanreport_cleanup(&sr);
	return rc;
}

static int
scanner_import(void *arg, const char *body, size_t len, struct rw_err *err)
{
	int was_new = 0;

	return import_report(arg, body, len, &was_new, err);
}

static int
hook_post_scans(void *arg, const char *body, size_t len, struct rw_buf *msg)
{
	struct rw_err err;
	int was_new = 0;

	rw_err_clear(&err);
	if (import_report(arg, body, len, &was_new, &err) != RW_OK) {
		rw_buf_addf(msg, "%s\n", err.msg);
		return err.code == RW_EDB || err.code == RW_EBUSY ? 503 : 400;
	}
	rw_buf_addf(msg, was_new ? "imported\n" : "already imported\n");
	return was_new ? 201 : 200;
}

/* ----------------------------------------------------- admin hooks */

static int
hook_ready(void *arg, struct rw_buf *why)
{
	struct server *srv = arg;
	struct cfg_holder *ch = server_cfg_acquire(srv);
	struct policy_holder *ph = decide_policy_acquire(srv);
	struct rw_err err;
	int ok = 1;

	if (ch->cfg->policy_path != NULL && ph == NULL) {
		rw_buf_addf(why, "policy %s not loaded\n",
		    ch->cfg->policy_path);
		ok = 0;
	}
	if (ch->cfg->nupstreams == 0) {
		rw_buf_addf(why, "no upstreams configured\n");
		ok = 0;
	}
	/* A write proves the database is writable (and prunes stale rows). */
	rw_err_clear(&err);
	if (db_decision_prune(srv->db, ph != NULL ? policy_revision(ph->p) :
	    "", (int64_t)time(NULL), &err) != RW_OK) {
		rw_buf_addf(why, "database not writable: %s\n", err.msg);
		ok = 0;
	}
	if (atomic_load(&srv->draining)) {
		rw_buf_addf(why, "shutting down\n");
		ok = 0;
	}
	decide_policy_release(ph);
	server_cfg_release(ch);
	return ok;
}

static void
hook_metrics(void *arg, struct rw_buf *out)
{
	struct server *srv = arg;

	size_t waiting = 0;
	struct rw_err err;

	metrics_set_inflight(srv->metrics, atomic_load(&srv->inflight));
	rw_err_clear(&err);
	(void)auditq_state(srv->auditq, &waiting, &err);
	metrics_set_auditq(srv->metrics, (int64_t)waiting);
	if (srv->cache != NULL) {
		struct cache_stats cs;
		cache_stats(srv->cache, &cs);
		metrics_set_blob_store(srv->metrics, cs.bytes, cs.entries,
		    cs.evictions);
	}
	metrics_render(srv->metrics, out);
}

static int
hook_reload(void *arg, struct rw_buf *msg)
{
	return reload(arg, msg);
}

static int
start_admin(struct server *srv, const struct rw_config *cfg,
    struct rw_err *err)
{
	static struct admin_hooks hooks;
	struct admin_tokens tok;

	if (cfg->admin_port == 0) {
		log_info("admin listener disabled");
		return RW_OK;
	}
	hooks.arg = srv;
	hooks.ready = hook_ready;
	hooks.metrics = hook_metrics;
	hooks.reload = hook_reload;
	hooks.post_scans = hook_post_scans;
	tok.admin = cfg->admin_token;
	tok.metrics = cfg->metrics_token;
	tok.metrics_open = cfg->metrics_open;
	srv->admin = admin_start(cfg->admin_host, cfg->admin_port, &tok,
	    &hooks, err);
	if (srv->admin == NULL)
		return err->code != 0 ? err->code : RW_EIO;
	log_info("admin listener on http://%s%s%s:%d (/healthz /readyz "
	    "/metrics /reload)%s%s", strchr(cfg->admin_host, ':') ? "[" : "",
	    cfg->admin_host, strchr(cfg->admin_host, ':') ? "]" : "",
	    admin_port(srv->admin), cfg->admin_token != NULL ?
	    ", bearer token required for /reload and /scans" : "",
	    cfg->metrics_open ? ", /metrics open" : cfg->metrics_token != NULL ?
	    ", /metrics with its own token" : "");
	return RW_OK;
}

/* scanner.rescan: every_seconds (tests) or every_hours; neither: off. */
static int
start_rescans(struct server *srv, const struct rw_config *cfg,
    struct rw_err *err)
{
	uint64_t every_ms = cfg->rescan_seconds > 0 ?
	    (uint64_t)cfg->rescan_seconds * 1000u :
	    (uint64_t)cfg->rescan_hours * 3600000u;

	if (every_ms == 0)
		return RW_OK;
	srv->rescan = rescan_start(srv->db, srv->scanner, every_ms,
	    (int64_t)cfg->rescan_days * 86400, err);
	if (srv->rescan == NULL)
		return err->code != 0 ? err->code : RW_ENOMEM;
	log_info("rescans every %llu s of the images pulled in the last %d "
	    "days", (unsigned long long)(every_ms / 1000), cfg->rescan_days);
	return RW_OK;
}

/* A scanner run, for regwarden_scanner_runs_total and its duration. */
static void
scanner_ran(void *arg, int ok, uint64_t ms)
{
	metrics_scanner_run(arg, ok, ms * 1000u);
}

/* A scanner run by webhook has no command; its template is never run. */
static const char *const webhook_argv[] = { "webhook", NULL };

/* The blob cache on disk, when configured; its index is rebuilt here. */
static int
open_blob_cache(struct server *srv, const struct rw_config *cfg,
    struct rw_err *err)
{
	struct cache_cfg cc = { cfg->cache_dir, cfg->cache_max_bytes,
	    cfg->cache_min_free_bytes, 0 };
	struct cache_stats st;

	if (cfg->cache_dir == NULL)
		return RW_OK;
	srv->cache = cache_open(&cc, err);
	if (srv->cache == NULL)
		return err->code;
	cache_stats(srv->cache, &st);
	log_info("blob cache %s: %llu blobs, %llu bytes (max_bytes %zu, "
	    "min_free_bytes %zu)", cfg->cache_dir,
	    (unsigned long long)st.entries, (unsigned long long)st.bytes,
	    cfg->cache_max_bytes, cfg->cache_min_free_bytes);
	return RW_OK;
}

/* Open state, caches and the engine; everything server_serve frees. */
/* The spool of uploads read before they commit (upload.h): a previous
 * run's files are removed here. */
static int
open_uploads(struct server *srv, const struct rw_config *cfg,
    struct rw_err *err)
{
	char dir[1024];

	if (snprintf(dir, sizeof(dir), "%s/uploads", cfg->state_dir) >=
	    (int)sizeof(dir))
		return rw_err_set(err, RW_ETOOBIG, "state_dir is too long");
	srv->uploads = upload_table_new(dir, cfg->content_upload_max,
	    cfg->content_upload_sessions, cfg->content_upload_idle,
	    cfg->content_max, err);
	return srv->uploads != NULL ? RW_OK : err->code;
}

static int
open_state(struct server *srv, const struct rw_config *cfg,
    struct rw_err *err)
{
	char where[1200];

	if (make_state_dir(cfg->state_dir, err) != RW_OK)
		return err->code;
	if (config_open_db(cfg, 0, &srv->db, err) != RW_OK)
		return err->code;
	config_db_where(cfg, where, sizeof(where));
	log_info("database: %s", where);
	srv->auditq = auditq_new(srv->db, err);
	if (srv->auditq == NULL)
		return err->code;
	auditq_set_retention(srv->auditq, cfg->audit_retention_days);
	auditq_set_index_retention(srv->auditq, cfg->content_index_days);
	srv->metrics = metrics_new();
	if (srv->metrics == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	metrics_set_version(srv->metrics, RW_VERSION);
	srv->mc = mcache_new(cfg->manifest_cache_bytes, srv->db);
	if (open_blob_cache(srv, cfg, err) != RW_OK)
		return err->code;
	srv->tokens = auth_cache_new();
	srv->dc = dcache_new(cfg->decision_max);
	srv->denials = denial_table_new(DENIAL_SLOTS, DENIAL_TTL_MS);
	if (srv->mc == NULL || srv->tokens == NULL || srv->dc == NULL ||
	    srv->denials == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (load_policy(srv, cfg, NULL) != RW_OK)
		return rw_err_set(err, RW_ECONFIG, "the policy %s is not valid "
		    "(errors above)", cfg->policy_path);
	if (cfg->htpasswd != NULL) {
		srv->htpasswd = auth_htpasswd_load(cfg->htpasswd, err);
		if (srv->htpasswd == NULL)
			return err->code != 0 ? err->code : RW_EIO;
		srv->logins = auth_limiter_new(cfg->failed_logins, 60);
		if (srv->logins == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	if (cfg->scanner_argv != NULL || cfg->scanner_webhook != NULL) {
		srv->scanner = scanner_new(cfg->scanner_argv != NULL ?
		    (const char *const *)cfg->scanner_argv : webhook_argv,
		    cfg->scanner_timeout, cfg->scanner_max, scanner_import, srv,
		    err);
		if (srv->scanner == NULL)
			return err->code;
		if (cfg->scanner_webhook != NULL && scanner_set_webhook(
		    srv->scanner, cfg->scanner_webhook,
		    cfg->scanner_webhook_token, err) != RW_OK)
			return err->code;
		scanner_set_observer(srv->scanner, scanner_ran, srv->metrics);
		if (start_rescans(srv, cfg, err) != RW_OK)
			return err->code;
		if (scan_shared_attach(srv) != RW_OK)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	srv->ct = conntrack_new();
	if (srv->ct == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	srv->header_ms = (uint64_t)cfg->header_timeout * 1000u;
	srv->idle_ms = (uint64_t)cfg->idle_timeout * 1000u;
	srv->eng = up_engine_new(cfg->max_connections, err);
	if (srv->eng == NULL)
		return err->code;
	srv->inspector = inspector_new(srv->eng, srv->db, cfg->content_max,
	    err);
	if (srv->inspector == NULL)
		return err->code;
	return open_uploads(srv, cfg, err);
}

static void
close_state(struct server *srv)
{
	admin_stop(srv->admin);
	rescan_stop(srv->rescan);	/* before the scanner it feeds */
	scanner_free(srv->scanner);
	scan_shared_free(srv->scan_shared);
	inspector_free(srv->inspector);	/* before the engine it reads through */
	up_engine_free(srv->eng);
	upload_table_free(srv->uploads);
	auth_htpasswd_free(srv->htpasswd);
	auth_limiter_free(srv->logins);
	auth_cache_free(srv->tokens);
	auditq_free(srv->auditq);	/* writes what is still queued */
	mcache_free(srv->mc);
	cache_free(srv->cache);
	decide_policy_release(srv->policy);
	dcache_free(srv->dc);
	denial_table_free(srv->denials);
	metrics_free(srv->metrics);
	db_close(srv->db);
	conntrack_free(srv->ct);	/* empty once the daemon stopped */
}

static int
start(struct server *srv, struct rw_config *cfg, struct tls_material *tls,
    struct rw_err *err)
{
	struct rw_err lerr;

	rw_err_clear(&lerr);
	if (rw_log_open(cfg->log_file, cfg->log_format, &lerr) != RW_OK)
		return rw_err_set(err, lerr.code, "%s", lerr.msg);
	rw_log_level = cfg->log_level;
	if (make_state_dir(cfg->state_dir, err) != RW_OK)
		return err->code;
	if (tls_load_or_create(cfg->tls_cert, cfg->tls_key, cfg->state_dir,
	    cfg->self_signed_names, cfg->nself_signed_names, tls, err) != RW_OK)
		return err->code;
	if (tls->created)
		log_info("created a self-signed TLS certificate %s "
		    "(SHA-256 %s, names %s)%s; clients must trust it or skip "
		    "verification", tls->cert_path, tls->fingerprint,
		    tls->names, tls->renamed ? " in place of one with other "
		    "names than tls.self_signed_names" : "");
	else
		log_info("TLS certificate %s (SHA-256 %s, names %s)",
		    tls->cert_path, tls->fingerprint, tls->names);
	if (open_state(srv, cfg, err) != RW_OK)
		return err->code;
	metrics_set_tls_expiry(srv->metrics, (int64_t)tls->not_after);
	srv->daemon = start_daemon(srv, cfg, tls, err);
	if (srv->daemon == NULL)
		return err->code;
	return start_admin(srv, cfg, err);
}

int
server_serve(const char *path)
{
	struct server *srv;
	struct rw_config *cfg = NULL;
	struct tls_material tls;
	struct rw_diags d;
	struct rw_err err;
	size_t i;
	int rc = 1;

	block_signals();
	memset(&d, 0, sizeof(d));
	if (config_load(path, &cfg, &d) != RW_OK) {
		server_print_diags(&d);
		return 1;
	}
	/* The checks check-config makes, so its "OK" means this starts. */
	if (server_preflight(cfg, &d) != RW_OK) {
		server_print_diags(&d);
		config_free(cfg);
		return 1;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->active = holder_new(cfg)) == NULL) {
		fprintf(stderr, "regwarden: out of memory\n");
		config_free(cfg);
		free(srv);
		return 1;
	}
	pthread_mutex_init(&srv->cfg_mu, NULL);
	pthread_mutex_init(&srv->state_mu, NULL);
	pthread_mutex_init(&srv->reload_mu, NULL);
	rw_random_hex(srv->id_prefix, 8);
	memset(&tls, 0, sizeof(tls));
	rw_err_clear(&err);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (start(srv, cfg, &tls, &err) != RW_OK) {
		log_error("cannot start: %s", err.msg);
		goto out;
	}
	log_info("regwarden listening on https://%s%s%s:%d (%zu upstream%s)",
	    strchr(cfg->listen_host, ':') != NULL ? "[" : "", cfg->listen_host,
	    strchr(cfg->listen_host, ':') != NULL ? "]" : "", cfg->listen_port,
	    cfg->nupstreams, cfg->nupstreams == 1 ? "" : "s");
	for (i = 0; i < cfg->nupstreams; i++)
		log_info("upstream %s: %s (%s)%s", cfg->upstreams[i].name,
		    cfg->upstreams[i].url,
		    cfg->upstreams[i].auth_mode == CFG_AUTH_CREDENTIALS ?
		    "regwarden's credentials" : "pass-through auth",
		    cfg->upstreams[i].is_default ? ", default" : "");
	wait_signals(srv);
	pthread_mutex_lock(&srv->cfg_mu);
	i = (size_t)srv->active->cfg->shutdown_timeout;
	pthread_mutex_unlock(&srv->cfg_mu);
	drain(srv, (int)i);
	rc = 0;
out:
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	close_state(srv);
	tls_material_cleanup(&tls);
	server_cfg_release(srv->active);
	pthread_mutex_destroy(&srv->cfg_mu);
	pthread_mutex_destroy(&srv->state_mu);
	pthread_mutex_destroy(&srv->reload_mu);
	free(srv);
	curl_global_cleanup();
	if (rc == 0)
		log_info("regwarden stopped");
	return rc;
}
