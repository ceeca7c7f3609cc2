/* test_admin.c - the admin listener over real HTTP: endpoints, token, limits. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "server/admin.h"
#include "util/util.h"

#define TOKEN	"s3cret-admin-token-0123456789"

/* ------------------------------------------------------- fake server */

struct fake {
	atomic_int	 ready;		/* what the ready hook answers */
	const char	*why;
	atomic_int	 reload_ok;
	const char	*reload_msg;
	atomic_int	 nready, nmetrics, nreload;	/* calls */
	atomic_size_t	 scan_bytes;	/* body size the scans hook saw */
};

static int
fake_ready(void *arg, struct rw_buf *why)
{
	struct fake *f = arg;

	atomic_fetch_add(&f->nready, 1);
	if (f->why != NULL)
		rw_buf_add(why, f->why, strlen(f->why));
	return atomic_load(&f->ready);
}

static void
fake_metrics(void *arg, struct rw_buf *out)
{
	struct fake *f = arg;

	atomic_fetch_add(&f->nmetrics, 1);
	rw_buf_addf(out, "# TYPE regwarden_x counter\nregwarden_x %d\n", 42);
}

static int
fake_reload(void *arg, struct rw_buf *msg)
{
	struct fake *f = arg;

	atomic_fetch_add(&f->nreload, 1);
	if (f->reload_msg != NULL)
		rw_buf_add(msg, f->reload_msg, strlen(f->reload_msg));
	return atomic_load(&f->reload_ok) ? 0 : -1;
}

static int
fake_scans(void *arg, const char *body, size_t len, struct rw_buf *msg)
{
	struct fake *f = arg;
	size_t i;

	atomic_store(&f->scan_bytes, len);
	for (i = 0; i < len; i++)
		if (body[i] != 'x')
			return 400;
	rw_buf_addf(msg, "imported %zu bytes", len);
	return 201;
}

static struct fake fake;
static struct admin_hooks hooks = { &fake, fake_ready, fake_metrics,
	fake_reload, fake_scans };

static void
fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	atomic_store(&fake.ready, 1);
	atomic_store(&fake.reload_ok, 1);
}

/* ------------------------------------------------------------ client */

struct resp {
	CURLcode	 rc;
	long		 status;
	char		 body[4096];
	size_t		 len;
	char		 ctype[128];
	char		 allow[64];
	char		 wwwauth[128];
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (r->len + len >= sizeof(r->body))
		return 0;
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* Keeps the value of header NAME (without CRLF) in OUT. */
static void
keep_header(const char *line, size_t len, const char *name, char *out,
    size_t size)
{
	size_t n = strlen(name);

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && *line == ' ') {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(out, line, len);
	out[len] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;

	keep_header(p, size * n, "Content-Type", r->ctype, sizeof(r->ctype));
	keep_header(p, size * n, "Allow", r->allow, sizeof(r->allow));
	keep_header(p, size * n, "WWW-Authenticate", r->wwwauth,
	    sizeof(r->wwwauth));
	return size * n;
}

/* A chunked upload of `left` bytes of 'x'. */
static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	size_t *left = arg, len = size * n;

	if (len > *left)
		len = *left;
	memset(p, 'x', len);
	*left -= len;
	return len;
}

struct req {
	const char	*host;		/* default 127.0.0.1 */
	int		 port;
	const char	*method;
	const char	*path;
	const char	*auth;		/* Authorization value, or NULL */
	size_t		 body;		/* bytes of body to send */
	int		 chunked;
};

static void
fetch(const struct req *q, struct resp *r)
{
	char url[256], hdr[256];
	struct curl_slist *h = NULL;
	size_t left = q->body;
	char *data = NULL;
	CURL *e = curl_easy_init();

	assert_non_null(e);
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://%s:%d%s", q->host != NULL ?
	    q->host : "127.0.0.1", q->port, q->path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	/* Not a timing check: only keeps a broken listener from hanging CI. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
	h = curl_slist_append(h, "Expect:");
	if (q->auth != NULL) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", q->auth);
		h = curl_slist_append(h, hdr);
	}
	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (q->chunked) {
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, &left);
	} else if (q->body > 0 || strcmp(q->method, "POST") == 0) {
		data = malloc(q->body + 1);
		assert_non_null(data);
		memset(data, 'x', q->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->body);
	}
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0 &&
	    strcmp(q->method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	if (strcmp(q->method, "GET") == 0 && q->body > 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	r->rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	free(data);
}

/* METHOD PATH with AUTH must answer STATUS and exactly BODY. */
static void
expect(int port, const char *method, const char *path, const char *auth,
    long status, const char *body)
{
	struct req q = { .port = port, .method = method, .path = path,
		.auth = auth };
	struct resp r;

	fetch(&q, &r);
	if (r.rc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(r.rc));
	if (r.status != status || strcmp(r.body, body) != 0)
		fail_msg("%s %s: expected %ld \"%s\", got %ld \"%s\"", method,
		    path, status, body, r.status, r.body);
}

static struct admin *
start_tok(const char *host, const struct admin_tokens *tok)
{
	struct rw_err err;
	struct admin *a;

	rw_err_clear(&err);
	a = admin_start(host, 0, tok, &hooks, &err);
	if (a == NULL)
		fail_msg("admin_start: %s", err.msg);
	assert_true(admin_port(a) > 0);
	return a;
}

static struct admin *
start(const char *host, const char *token)
{
	struct admin_tokens tok = { token, NULL, 0 };

	return start_tok(host, &tok);
}

/* ------------------------------------------------------------- tests */

static void
test_endpoints(void **state)
{
	struct admin *a;
	struct resp r;
	struct req q = { 0 };
	int port;

	(void)state;
	fake_reset();
	a = start("127.0.0.1", NULL);
	port = admin_port(a);

	expect(port, "GET", "/healthz", NULL, 200, "ok\n");
	expect(port, "GET", "/readyz", NULL, 200, "ready\n");
	assert_int_equal(atomic_load(&fake.nready), 1);
	atomic_store(&fake.ready, 0);
	fake.why = "policy not loaded";
	expect(port, "GET", "/readyz", NULL, 503, "policy not loaded\n");
	fake.why = NULL;
	expect(port, "GET", "/readyz", NULL, 503, "not ready\n");

	q.port = port;
	q.method = "GET";
	q.path = "/metrics";
	fetch(&q, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");

	expect(port, "POST", "/reload", NULL, 200, "reloaded\n");
	atomic_store(&fake.reload_ok, 0);
	fake.reload_msg = "policy.json:3:5: unknown key \"alow\"\n";
	expect(port, "POST", "/reload", NULL, 500,
	    "policy.json:3:5: unknown key \"alow\"\n");
	fake.reload_msg = NULL;
	expect(port, "POST", "/reload", NULL, 500, "reload failed\n");
	assert_int_equal(atomic_load(&fake.nreload), 3);

	q.path = "/healthz";
	fetch(&q, &r);
	assert_string_equal(r.ctype, "text/plain; charset=utf-8");
	/* HEAD wherever GET: the status, no body. */
	q.method = "HEAD";
	q.path = "/readyz";
	fetch(&q, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.len, 0);
	admin_stop(a);
}

static void
test_routing(void **state)
{
	struct admin *a;
	struct resp r;
	struct req q = { 0 };
	int port;

	(void)state;
	fake_reset();
	a = start("127.0.0.1", NULL);
	port = admin_port(a);
	expect(port, "GET", "/", NULL, 404, "not found\n");
	expect(port, "GET", "/healthz/", NULL, 404, "not found\n");
	expect(port, "GET", "/HEALTHZ", NULL, 404, "not found\n");
	expect(port, "GET", "/v2/", NULL, 404, "not found\n");
	/* The query string is not part of the path. */
	expect(port, "GET", "/healthz?verbose=1", NULL, 200, "ok\n");

	q.port = port;
	q.method = "POST";
	q.path = "/healthz";
	fetch(&q, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.body, "method not allowed\n");
	assert_string_equal(r.allow, "GET, HEAD");
	q.method = "GET";
	q.path = "/reload";
	fetch(&q, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	expect(port, "DELETE", "/metrics", NULL, 405, "method not allowed\n");
	expect(port, "PUT", "/reload", NULL, 405, "method not allowed\n");
	/* A refused request never reaches a hook. */
	assert_int_equal(atomic_load(&fake.nreload), 0);
	assert_int_equal(atomic_load(&fake.nmetrics), 0);
	admin_stop(a);
}

static void
test_token(void **state)
{
	struct admin *a;
	struct resp r;
	struct req q = { 0 };
	int port;

	(void)state;
	fake_reset();
	a = start("127.0.0.1", TOKEN);
	port = admin_port(a);

	/* Probes carry no token, and a wrong one does not matter. */
	expect(port, "GET", "/healthz", NULL, 200, "ok\n");
	expect(port, "GET", "/healthz", "Bearer wrong", 200, "ok\n");
	expect(port, "GET", "/readyz", NULL, 200, "ready\n");
	expect(port, "HEAD", "/readyz", NULL, 200, "");
	expect(port, "GET", "/readyz", "Bearer wrong", 200, "ready\n");
	atomic_store(&fake.ready, 0);
	expect(port, "GET", "/readyz", NULL, 503, "not ready\n");
	atomic_store(&fake.ready, 1);
	assert_int_equal(atomic_load(&fake.nready), 4);

	q.port = port;
	q.method = "GET";
	q.path = "/metrics";
	fetch(&q, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "unauthorized\n");
	assert_string_equal(r.wwwauth, "Bearer realm=\"regwarden-admin\"");
	expect(port, "POST", "/reload", NULL, 401, "unauthorized\n");
	expect(port, "POST", "/scans", NULL, 401, "unauthorized\n");
	expect(port, "GET", "/metrics", "Bearer wrong", 401, "unauthorized\n");
	/* A prefix, or the token with more after it, is a different token. */
	expect(port, "GET", "/metrics", "Bearer s3cret-admin-token-012345678",
	    401, "unauthorized\n");
	expect(port, "GET", "/metrics", "Bearer " TOKEN "0", 401,
	    "unauthorized\n");
	expect(port, "GET", "/metrics", "Basic " TOKEN, 401, "unauthorized\n");
	expect(port, "GET", "/metrics", "Bearer" TOKEN, 401, "unauthorized\n");
	expect(port, "GET", "/metrics", TOKEN, 401, "unauthorized\n");
	/* The token is checked before the method: no probing without it. */
	expect(port, "GET", "/reload", NULL, 401, "unauthorized\n");
	/* ...but after the path. */
	expect(port, "GET", "/nope", NULL, 404, "not found\n");
	assert_int_equal(atomic_load(&fake.nreload), 0);
	assert_int_equal(atomic_load(&fake.nmetrics), 0);

	/* The scheme is case-insensitive; blanks after it are skipped. */
	expect(port, "GET", "/metrics", "bearer   " TOKEN, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "GET", "/metrics", "BEARER " TOKEN, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "POST", "/reload", "Bearer " TOKEN, 200, "reloaded\n");
	expect(port, "GET", "/reload", "Bearer " TOKEN, 405,
	    "method not allowed\n");
	assert_int_equal(atomic_load(&fake.nreload), 1);
	admin_stop(a);
}

#define MTOKEN	"prometheus-scrape-token-0123456"

/* /metrics behind its own token, or open, while /reload keeps the admin's. */
static void
test_metrics_gate(void **state)
{
	struct admin_tokens own = { TOKEN, MTOKEN, 0 };
	struct admin_tokens opened = { TOKEN, NULL, 1 };
	struct admin_tokens only = { NULL, MTOKEN, 0 };
	struct admin *a;
	int port;

	(void)state;
	fake_reset();
	a = start_tok("127.0.0.1", &own);
	port = admin_port(a);
	expect(port, "GET", "/metrics", "Bearer " MTOKEN, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "GET", "/metrics", "Bearer " TOKEN, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "GET", "/metrics", NULL, 401, "unauthorized\n");
	expect(port, "GET", "/metrics", "Bearer " MTOKEN "x", 401,
	    "unauthorized\n");
	/* The scrape token opens nothing else. */
	expect(port, "POST", "/reload", "Bearer " MTOKEN, 401,
	    "unauthorized\n");
	expect(port, "POST", "/scans", "Bearer " MTOKEN, 401,
	    "unauthorized\n");
	expect(port, "POST", "/reload", "Bearer " TOKEN, 200, "reloaded\n");
	admin_stop(a);

	a = start_tok("127.0.0.1", &opened);
	port = admin_port(a);
	expect(port, "GET", "/metrics", NULL, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "POST", "/reload", NULL, 401, "unauthorized\n");
	expect(port, "POST", "/reload", "Bearer " TOKEN, 200, "reloaded\n");
	admin_stop(a);

	/* Only a scrape token: /metrics needs it, the rest needs nothing. */
	a = start_tok("127.0.0.1", &only);
	port = admin_port(a);
	expect(port, "GET", "/metrics", NULL, 401, "unauthorized\n");
	expect(port, "GET", "/metrics", "Bearer " MTOKEN, 200,
	    "# TYPE regwarden_x counter\nregwarden_x 42\n");
	expect(port, "POST", "/reload", NULL, 200, "reloaded\n");
	assert_int_equal(atomic_load(&fake.nreload), 3);
	admin_stop(a);
}

static void
test_body_limit(void **state)
{
	struct admin *a;
	struct resp r;
	struct req q = { 0 };

	(void)state;
	fake_reset();
	a = start("127.0.0.1", NULL);
	q.port = admin_port(a);
	q.method = "POST";
	q.path = "/reload";
	q.body = ADMIN_MAX_BODY;
	fetch(&q, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "reloaded\n");
	assert_int_equal(atomic_load(&fake.nreload), 1);

	q.body = ADMIN_MAX_BODY + 1;
	fetch(&q, &r);
	assert_int_equal(r.status, 413);
	assert_string_equal(r.body, "request body too large\n");
	assert_int_equal(atomic_load(&fake.nreload), 1);

	/* A GET with a body counts too. */
	q.method = "GET";
	q.path = "/healthz";
	fetch(&q, &r);
	assert_int_equal(r.status, 413);

	/* Chunked: within the cap it is served... */
	q.method = "POST";
	q.path = "/reload";
	q.chunked = 1;
	q.body = 1000;
	fetch(&q, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(atomic_load(&fake.nreload), 2);
	/* ...past it the connection is dropped, and the hook never runs. */
	q.body = 4 * ADMIN_MAX_BODY;
	fetch(&q, &r);
	assert_int_not_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 0);
	assert_int_equal(atomic_load(&fake.nreload), 2);
	admin_stop(a);
}

/* Whether this host can bind ::1 at all (some containers have no IPv6). */
static int
have_ipv6_loopback(void)
{
	struct sockaddr_in6 s6;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0;
	close(fd);
	return ok;
}

static void
test_ipv6(void **state)
{
	struct admin *a;
	struct req q = { 0 };
	struct resp r;

	(void)state;
	if (!have_ipv6_loopback())
		skip();
	fake_reset();
	a = start("::1", NULL);
	q.host = "[::1]";
	q.port = admin_port(a);
	q.method = "GET";
	q.path = "/healthz";
	fetch(&q, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	admin_stop(a);
}

static void
test_start_errors(void **state)
{
	struct admin_hooks partial = hooks;
	struct admin *a, *b;
	struct rw_err err;
	char want[128];

	(void)state;
	rw_err_clear(&err);
	assert_null(admin_start("localhost", 0, NULL, &hooks, &err));
	assert_int_equal(err.code, RW_EINVAL);
	assert_string_equal(err.msg, "admin: \"localhost\" is not an IP address");

	rw_err_clear(&err);
	assert_null(admin_start("127.0.0.1", 65536, NULL, &hooks, &err));
	assert_int_equal(err.code, RW_EINVAL);
	assert_string_equal(err.msg, "admin: port 65536 out of range (0..65535)");

	partial.reload = NULL;
	rw_err_clear(&err);
	assert_null(admin_start("127.0.0.1", 0, NULL, &partial, &err));
	assert_int_equal(err.code, RW_EINVAL);
	assert_string_equal(err.msg, "admin: every hook is required");
	rw_err_clear(&err);
	assert_null(admin_start("127.0.0.1", 0, NULL, NULL, &err));
	assert_int_equal(err.code, RW_EINVAL);

	/* A port already taken (by another admin listener). */
	a = start("127.0.0.1", NULL);
	rw_err_clear(&err);
	b = admin_start("127.0.0.1", admin_port(a), NULL, &hooks, &err);
	assert_null(b);
	assert_int_equal(err.code, RW_EIO);
	snprintf(want, sizeof(want), "admin: cannot listen on 127.0.0.1:%d: "
	    "Address already in use", admin_port(a));
	assert_string_equal(err.msg, want);
	admin_stop(a);
	admin_stop(NULL);
}

/* POST /scans hands the whole body to the hook, even past 64 KiB. */
static void
test_scans(void **state)
{
	struct admin_hooks none = hooks;
	struct req q = { 0 };
	struct rw_err err;
	struct resp r;
	struct admin *a;

	(void)state;
	fake_reset();
	a = start("127.0.0.1", TOKEN);
	q.port = admin_port(a);
	q.method = "POST";
	q.path = "/scans";
	q.body = 3 * 1024 * 1024;
	q.auth = "Bearer " TOKEN;
	fetch(&q, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "imported 3145728 bytes\n");
	assert_int_equal(atomic_load(&fake.scan_bytes), 3 * 1024 * 1024);
	q.auth = NULL;
	fetch(&q, &r);
	assert_int_equal(r.status, 401);
	expect(q.port, "GET", "/scans", "Bearer " TOKEN, 405,
	    "method not allowed\n");
	admin_stop(a);

	none.post_scans = NULL;
	rw_err_clear(&err);
	a = admin_start("127.0.0.1", 0, NULL, &none, &err);
	assert_non_null(a);
	expect(admin_port(a), "POST", "/scans", NULL, 404, "not found\n");
	admin_stop(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_metrics_gate),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_scans),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
