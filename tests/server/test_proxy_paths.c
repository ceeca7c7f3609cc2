/* test_proxy_paths.c - no request reaches an upstream manifest URL without being judged, and no framing header is forwarded. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/internal.h"

static char *hub_hosts[] = { "docker.io" };
static char *ghcr_hosts[] = { "ghcr.io" };
static struct cfg_upstream ups[2];
static struct rw_config cfg;

#define D64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Path segments the request paths below are built from: the words the
 * registry's router keys on, a tag, a digest, an upstream prefix. */
static const char *const segs[] = {
	"a", "manifests", "blobs", "uploads", "tags", "list", "referrers",
	"latest", "sha256:" D64, "_catalog", "ghcr", "",
};
#define NSEGS	(sizeof(segs) / sizeof(segs[0]))
#define DEPTH	5

static const char *const methods[] = {
	"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "TRACE",
	"CONNECT", "PROPFIND", "put", "Put",
};

/*
 * Does distribution's router send URL to its manifest handler?  Its route
 * is ^/v2/<name>/manifests/<reference>$: the path's last two segments.
 */
static int
is_manifest_url(const char *url)
{
	char path[2048];
	const char *p = strstr(url, "/v2/");
	char *q, *last;

	assert_non_null(p);
	snprintf(path, sizeof(path), "%s", p);
	q = strchr(path, '?');
	if (q != NULL)
		*q = '\0';
	last = strrchr(path, '/');
	if (last == NULL || last[1] == '\0')
		return 0;
	*last = '\0';
	q = strrchr(path, '/');
	return q != NULL && strcmp(q + 1, "manifests") == 0;
}

struct tally {
	unsigned	 routed;	/* (path, method) pairs served */
	unsigned	 manifest_bodies; /* judged bodies to a manifest URL */
};

static void
check_path(const char *uri, struct tally *t)
{
	struct route rt;
	struct rw_err err;
	char url[ROUTE_NAME_MAX + ROUTE_REF_MAX + ROUTE_QUERY_MAX + 512];
	size_t m;

	memset(&rt, 0, sizeof(rt));
	rw_err_clear(&err);
	if (route_parse(&cfg, uri, &rt, &err) != RW_OK || rt.up == NULL)
		return;		/* refused before any upstream traffic */
	assert_int_equal(proxy_upstream_url(&rt, url, sizeof(url)), RW_OK);
	for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		if (!proxy_method_allowed(rt.kind, methods[m]))
			continue;	/* 405 */
		t->routed++;
		if (!is_manifest_url(url))
			continue;
		if (rt.kind != ROUTE_MANIFEST)
			fail_msg("%s %s goes to manifest URL %s as route kind "
			    "%d", methods[m], uri, url, rt.kind);
		/* A method that carries a body there is judged first. */
		if (strcmp(methods[m], "PUT") == 0 ||
		    strcmp(methods[m], "POST") == 0 ||
		    strcmp(methods[m], "PATCH") == 0) {
			if (!proxy_body_judged(rt.kind, methods[m]))
				fail_msg("%s %s is not judged", methods[m], uri);
			t->manifest_bodies++;
		}
	}
}

static void
walk(char *buf, size_t len, int depth, struct tally *t)
{
	size_t i, n;

	check_path(buf, t);
	if (depth == DEPTH)
		return;
	for (i = 0; i < NSEGS; i++) {
		n = (size_t)snprintf(buf + len, 512 - len, "%s%s",
		    len > 4 ? "/" : "", segs[i]);
		walk(buf, len + n, depth + 1, t);
		buf[len] = '\0';
	}
}

/* Every path of up to DEPTH segments from SEGS, every method: a request
 * that the upstream would route to its manifest handler is a manifest
 * route, and a body sent there is always held and judged. */
static void
test_manifest_urls_judged(void **state)
{
	struct tally t = { 0, 0 };
	char buf[512] = "/v2/";

	(void)state;
	walk(buf, strlen(buf), 0, &t);
	print_message("%u (path, method) pairs served, %u manifest bodies\n",
	    t.routed, t.manifest_bodies);
	assert_true(t.routed > 1000);
	assert_true(t.manifest_bodies > 10);
	/* The table itself: PUT is the only body a manifest route takes. */
	assert_true(proxy_method_allowed(ROUTE_MANIFEST, "PUT"));
	assert_false(proxy_method_allowed(ROUTE_MANIFEST, "POST"));
	assert_false(proxy_method_allowed(ROUTE_MANIFEST, "PATCH"));
	assert_true(proxy_body_judged(ROUTE_MANIFEST, "PUT"));
	assert_false(proxy_body_judged(ROUTE_UPLOAD, "PUT"));
}

/* Framing and hop-by-hop headers never go upstream, whatever the
 * request's shape; the ones a shape names do. */
static void
test_framing_never_forwarded(void **state)
{
	static const char *const never[] = {
		"Content-Length", "content-length", "Transfer-Encoding",
		"transfer-encoding", "TE", "Trailer", "Host", "Connection",
		"Keep-Alive", "Upgrade", "Expect", "Proxy-Authorization",
		"Proxy-Connection", "X-Forwarded-For",
	};
	unsigned want;
	size_t i;

	(void)state;
	for (want = 0; want < 0x40u; want++)
		for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
			if (proxy_fwd_wanted(never[i], want))
				fail_msg("%s forwarded with mask %#x", never[i],
				    want);
	assert_true(proxy_fwd_wanted("Accept", PROXY_FWD_ACCEPT));
	assert_true(proxy_fwd_wanted("content-type", PROXY_FWD_CTYPE));
	assert_true(proxy_fwd_wanted("Authorization", PROXY_FWD_AUTHZ));
	assert_false(proxy_fwd_wanted("Authorization", PROXY_FWD_UA));
}

/* Range headers on a cached blob of 1000 bytes, as RFC 9110 reads them. */
static void
test_blob_range(void **state)
{
	static const struct {
		const char	*h;
		int		 want;
		uint64_t	 from, to;
	} cases[] = {
		{ NULL, 0, 0, 0 },
		{ "bytes=0-99", 1, 0, 99 },
		{ "bytes=100-", 1, 100, 999 },
		{ "bytes=990-5000", 1, 990, 999 },
		{ "bytes=-10", 1, 990, 999 },
		{ "bytes=-5000", 1, 0, 999 },
		{ "BYTES=5-5", 1, 5, 5 },
		{ "bytes=0-1,5-6", 0, 0, 0 },	/* several: the whole blob */
		{ "items=0-1", 0, 0, 0 },
		{ "bytes=1000-", -1, 0, 0 },
		{ "bytes=5-4", -1, 0, 0 },
		{ "bytes=-0", -1, 0, 0 },
		{ "bytes=x-1", -1, 0, 0 },
		{ "bytes=1-y", -1, 0, 0 },
		{ "bytes=5", -1, 0, 0 },
	};
	uint64_t from, to;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		from = to = 77;
		got = proxy_blob_range(cases[i].h, 1000, &from, &to);
		if (got != cases[i].want || (got == 1 &&
		    (from != cases[i].from || to != cases[i].to)))
			fail_msg("%s: got %d [%llu, %llu]", cases[i].h != NULL ?
			    cases[i].h : "(none)", got,
			    (unsigned long long)from, (unsigned long long)to);
	}
	assert_int_equal(proxy_blob_range("bytes=0-", 0, &from, &to), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_urls_judged),
		cmocka_unit_test(test_framing_never_forwarded),
		cmocka_unit_test(test_blob_range),
	};

	memset(ups, 0, sizeof(ups));
	ups[0].name = "hub";
	ups[0].url = "https://registry-1.docker.io";
	ups[0].hosts = hub_hosts;
	ups[0].nhosts = 1;
	ups[0].is_default = 1;
	ups[1].name = "ghcr";
	ups[1].url = "https://ghcr.io";
	ups[1].hosts = ghcr_hosts;
	ups[1].nhosts = 1;
	cfg.upstreams = ups;
	cfg.nupstreams = 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
