/* test_metrics.c - metrics counters and their Prometheus text, verbatim. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/metrics.h"
#include "util/util.h"

static char *
render(struct metrics *m)
{
	struct rw_buf b;

	rw_buf_init(&b, 1 << 20);
	assert_int_equal(metrics_render(m, &b), RW_OK);
	return rw_buf_steal(&b, NULL);
}

/* The lines of TEXT that start with PREFIX, in order. */
static char *
grep(const char *text, const char *prefix)
{
	struct rw_buf b;
	const char *p = text, *nl;

	rw_buf_init(&b, 1 << 20);
	assert_int_equal(rw_buf_add(&b, "", 0), RW_OK);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			assert_int_equal(rw_buf_add(&b, p, (size_t)(nl - p + 1)),
			    RW_OK);
		p = nl + 1;
	}
	return rw_buf_steal(&b, NULL);
}

static int
count_lines(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

static void
expect_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("expected:\n%s\ngot:\n%s", want, got);
}

static const char golden[] =
    "# HELP regwarden_build_info regwarden's version; the value is always 1.\n"
    "# TYPE regwarden_build_info gauge\n"
    "regwarden_build_info{version=\"1.2.3\"} 1\n"
    "# HELP regwarden_http_requests_total Client requests answered, by "
    "method and status class.\n"
    "# TYPE regwarden_http_requests_total counter\n"
    "regwarden_http_requests_total{method=\"GET\",code=\"2xx\"} 2\n"
    "regwarden_http_requests_total{method=\"GET\",code=\"3xx\"} 1\n"
    "regwarden_http_requests_total{method=\"GET\",code=\"4xx\"} 0\n"
    "regwarden_http_requests_total{method=\"GET\",code=\"5xx\"} 0\n"
    "regwarden_http_requests_total{method=\"HEAD\",code=\"2xx\"} 0\n"
    "regwarden_http_requests_total{method=\"HEAD\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"HEAD\",code=\"4xx\"} 1\n"
    "regwarden_http_requests_total{method=\"HEAD\",code=\"5xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PUT\",code=\"2xx\"} 1\n"
    "regwarden_http_requests_total{method=\"PUT\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PUT\",code=\"4xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PUT\",code=\"5xx\"} 0\n"
    "regwarden_http_requests_total{method=\"POST\",code=\"2xx\"} 0\n"
    "regwarden_http_requests_total{method=\"POST\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"POST\",code=\"4xx\"} 0\n"
    "regwarden_http_requests_total{method=\"POST\",code=\"5xx\"} 2\n"
    "regwarden_http_requests_total{method=\"PATCH\",code=\"2xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PATCH\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PATCH\",code=\"4xx\"} 0\n"
    "regwarden_http_requests_total{method=\"PATCH\",code=\"5xx\"} 0\n"
    "regwarden_http_requests_total{method=\"DELETE\",code=\"2xx\"} 0\n"
    "regwarden_http_requests_total{method=\"DELETE\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"DELETE\",code=\"4xx\"} 1\n"
    "regwarden_http_requests_total{method=\"DELETE\",code=\"5xx\"} 0\n"
    "regwarden_http_requests_total{method=\"OTHER\",code=\"2xx\"} 0\n"
    "regwarden_http_requests_total{method=\"OTHER\",code=\"3xx\"} 0\n"
    "regwarden_http_requests_total{method=\"OTHER\",code=\"4xx\"} 1\n"
    "regwarden_http_requests_total{method=\"OTHER\",code=\"5xx\"} 1\n"
    "# HELP regwarden_http_response_bytes_total Response body bytes sent to "
    "clients.\n"
    "# TYPE regwarden_http_response_bytes_total counter\n"
    "regwarden_http_response_bytes_total 1024\n"
    "# HELP regwarden_http_requests_in_flight Client requests being served "
    "now.\n"
    "# TYPE regwarden_http_requests_in_flight gauge\n"
    "regwarden_http_requests_in_flight 3\n"
    "# HELP regwarden_decisions_total Admission decisions by verdict; error "
    "means regwarden could not decide and refused.\n"
    "# TYPE regwarden_decisions_total counter\n"
    "regwarden_decisions_total{verdict=\"allow\"} 2\n"
    "regwarden_decisions_total{verdict=\"deny\"} 3\n"
    "regwarden_decisions_total{verdict=\"warn\"} 1\n"
    "regwarden_decisions_total{verdict=\"error\"} 2\n"
    "# HELP regwarden_rule_decisions_total Admission decisions by deciding "
    "rule and verdict; rules past the first 256 seen count as \"other\".\n"
    "# TYPE regwarden_rule_decisions_total counter\n"
    "regwarden_rule_decisions_total{rule=\"apps\",verdict=\"allow\"} 2\n"
    "regwarden_rule_decisions_total{rule=\"apps\",verdict=\"deny\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"apps\",verdict=\"warn\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"apps\",verdict=\"error\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"default\",verdict=\"allow\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"default\",verdict=\"deny\"} 1\n"
    "regwarden_rule_decisions_total{rule=\"default\",verdict=\"warn\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"default\",verdict=\"error\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"allow\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"deny\"} 1\n"
    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"warn\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"error\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"we\\\"ird\\\\rule\\n\","
    "verdict=\"allow\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"we\\\"ird\\\\rule\\n\","
    "verdict=\"deny\"} 0\n"
    "regwarden_rule_decisions_total{rule=\"we\\\"ird\\\\rule\\n\","
    "verdict=\"warn\"} 1\n"
    "regwarden_rule_decisions_total{rule=\"we\\\"ird\\\\rule\\n\","
    "verdict=\"error\"} 1\n"
    "# HELP regwarden_cache_lookups_total Lookups in the in-memory manifest "
    "and decision caches; tag: pulls by tag the upstream answered 304 (hit) "
    "or with the bytes.\n"
    "# TYPE regwarden_cache_lookups_total counter\n"
    "regwarden_cache_lookups_total{cache=\"manifest\",result=\"hit\"} 2\n"
    "regwarden_cache_lookups_total{cache=\"manifest\",result=\"miss\"} 1\n"
    "regwarden_cache_lookups_total{cache=\"decision\",result=\"hit\"} 0\n"
    "regwarden_cache_lookups_total{cache=\"decision\",result=\"miss\"} 1\n"
    "regwarden_cache_lookups_total{cache=\"tag\",result=\"hit\"} 1\n"
    "regwarden_cache_lookups_total{cache=\"tag\",result=\"miss\"} 0\n"
    "# HELP regwarden_upstream_request_duration_seconds Upstream request "
    "time, from sending to the last byte received.\n"
    "# TYPE regwarden_upstream_request_duration_seconds histogram\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.005\"} 2\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.01\"} 3\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.025\"} 3\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.05\"} 3\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.1\"} 3\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.25\"} 4\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"0.5\"} 4\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"1\"} 4\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"2.5\"} 4\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"5\"} 4\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"10\"} 5\n"
    "regwarden_upstream_request_duration_seconds_bucket{le=\"+Inf\"} 6\n"
    "regwarden_upstream_request_duration_seconds_sum 20.130002\n"
    "regwarden_upstream_request_duration_seconds_count 6\n"
    "# HELP regwarden_policy_info Revision of the policy in force; absent "
    "when none is loaded.\n"
    "# TYPE regwarden_policy_info gauge\n"
    "regwarden_policy_info{revision=\"sha256:0123abcd\"} 1\n"
    "# HELP regwarden_policy_load_errors_total Policy loads and reloads that "
    "failed validation.\n"
    "# TYPE regwarden_policy_load_errors_total counter\n"
    "regwarden_policy_load_errors_total 1\n";

static void
test_golden(void **state)
{
	struct metrics *m = metrics_new();
	char *got, *cut;

	(void)state;
	assert_non_null(m);
	metrics_set_version(m, "1.2.3");
	metrics_request(m, "GET", 200);
	metrics_request(m, "GET", 299);
	metrics_request(m, "GET", 304);
	metrics_request(m, "HEAD", 404);
	metrics_request(m, "PUT", 201);
	metrics_request(m, "POST", 599);
	metrics_request(m, "POST", 100);	/* 1xx counts as 5xx */
	metrics_request(m, "DELETE", 499);
	metrics_request(m, "get", 400);		/* methods are case-sensitive */
	metrics_request(m, NULL, 600);
	metrics_bytes_sent(m, 1000);
	metrics_bytes_sent(m, 24);
	metrics_set_inflight(m, 7);
	metrics_set_inflight(m, 3);
	metrics_decision(m, METRICS_ALLOW, "apps");
	metrics_decision(m, METRICS_ALLOW, "apps");
	metrics_decision(m, METRICS_DENY, "default");
	metrics_decision(m, METRICS_DENY, "other");	/* shares the overflow */
	metrics_decision(m, METRICS_DENY, NULL);	/* verdict only */
	metrics_decision(m, METRICS_WARN, "we\"ird\\rule\n");
	metrics_decision(m, METRICS_ERROR, "we\"ird\\rule\n");
	metrics_decision(m, 99, NULL);			/* unknown = error */
	metrics_cache(m, METRICS_CACHE_MANIFEST, 1);
	metrics_cache(m, METRICS_CACHE_MANIFEST, 7);
	metrics_cache(m, METRICS_CACHE_MANIFEST, 0);
	metrics_cache(m, METRICS_CACHE_DECISION, 0);
	metrics_cache(m, METRICS_CACHE_TAG, 1);
	metrics_cache(m, 5, 1);				/* ignored */
	/* Bounds are inclusive ("le"), in microseconds. */
	metrics_upstream_latency(m, 0);
	metrics_upstream_latency(m, 5000);
	metrics_upstream_latency(m, 5001);
	metrics_upstream_latency(m, 120000);
	metrics_upstream_latency(m, 10000000);
	metrics_upstream_latency(m, 10000001);
	metrics_set_policy(m, "sha256:0123abcd");
	metrics_policy_error(m);
	got = render(m);
	/* The operator's series follow (test_ops). */
	cut = strstr(got, "# HELP regwarden_upstream_requests_total");
	assert_non_null(cut);
	*cut = '\0';
	expect_text(got, golden);
	free(got);
	metrics_free(m);
}

static const char ops_golden[] =
    "regwarden_upstream_requests_total{upstream=\"a\\\"b\"} 0\n"
    "regwarden_upstream_requests_total{upstream=\"hub\"} 2\n"
    "regwarden_upstream_errors_total{upstream=\"a\\\"b\",kind=\"connect\"} 1\n"
    "regwarden_upstream_errors_total{upstream=\"a\\\"b\",kind=\"timeout\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"a\\\"b\",kind=\"5xx\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"a\\\"b\",kind=\"digest_mismatch\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"a\\\"b\",kind=\"other\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"hub\",kind=\"connect\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"hub\",kind=\"timeout\"} 0\n"
    "regwarden_upstream_errors_total{upstream=\"hub\",kind=\"5xx\"} 1\n"
    "regwarden_upstream_errors_total{upstream=\"hub\",kind=\"digest_mismatch\"} 1\n"
    "regwarden_upstream_errors_total{upstream=\"hub\",kind=\"other\"} 1\n";

/* The operator's series: per upstream (names escaped, in first-seen
 * order), route classes, reloads, TLS, scanner, signatures, attestations,
 * audit. */
static void
test_ops(void **state)
{
	struct metrics *m = metrics_new();
	char *got, *lines;

	(void)state;
	assert_non_null(m);
	metrics_upstream_error(m, "a\"b", METRICS_UP_CONNECT);
	metrics_upstream(m, "hub", 5000);
	metrics_upstream(m, "hub", 2000000);
	metrics_upstream_error(m, "hub", METRICS_UP_5XX);
	metrics_upstream_error(m, "hub", METRICS_UP_DIGEST);
	metrics_upstream_error(m, "hub", 42);		/* unknown = other */
	metrics_client_latency(m, METRICS_ROUTE_BLOB, 30000);
	metrics_client_latency(m, 9, 1);		/* unknown = other */
	metrics_policy_reload(m, 1, 1700000000);
	metrics_policy_reload(m, 0, 1700000100);
	metrics_set_tls_expiry(m, 1800000000);
	metrics_scanner_run(m, 1, 1500000);
	metrics_scanner_run(m, 0, 100);
	metrics_signature_check(m, 1);
	metrics_signature_check(m, 0);
	metrics_signature_check(m, 0);
	metrics_attestation_check(m, 1);
	metrics_attestation_check(m, 1);
	metrics_attestation_check(m, 1);
	metrics_attestation_check(m, 0);
	metrics_set_auditq(m, 12);
	metrics_audit_drop(m);
	got = render(m);
	lines = grep(got, "regwarden_upstream_requests_total{");
	expect_text(lines, "regwarden_upstream_requests_total{upstream=\"a\\\"b\"} 0\n"
	    "regwarden_upstream_requests_total{upstream=\"hub\"} 2\n");
	free(lines);
	lines = grep(got, "regwarden_upstream_errors_total{");
	expect_text(lines, strstr(ops_golden, "regwarden_upstream_errors"));
	free(lines);
	lines = grep(got, "regwarden_upstream_duration_seconds_bucket{upstream=\"hub\",le=\"0.005\"}");
	expect_text(lines, "regwarden_upstream_duration_seconds_bucket{upstream=\"hub\",le=\"0.005\"} 1\n");
	free(lines);
	lines = grep(got, "regwarden_upstream_duration_seconds_sum{upstream=\"hub\"}");
	expect_text(lines, "regwarden_upstream_duration_seconds_sum{upstream=\"hub\"} 2.005000\n");
	free(lines);
	lines = grep(got, "regwarden_http_request_duration_seconds_count");
	expect_text(lines,
	    "regwarden_http_request_duration_seconds_count{route=\"manifest\"} 0\n"
	    "regwarden_http_request_duration_seconds_count{route=\"blob\"} 1\n"
	    "regwarden_http_request_duration_seconds_count{route=\"upload\"} 0\n"
	    "regwarden_http_request_duration_seconds_count{route=\"other\"} 1\n");
	free(lines);
	lines = grep(got, "regwarden_policy_last_reload");
	expect_text(lines, "regwarden_policy_last_reload_success 0\n"
	    "regwarden_policy_last_reload_timestamp_seconds 1700000100\n"
	    "regwarden_policy_last_reload_success_timestamp_seconds 1700000000\n");
	free(lines);
	lines = grep(got, "regwarden_tls_");
	expect_text(lines,
	    "regwarden_tls_certificate_expiry_timestamp_seconds 1800000000\n");
	free(lines);
	lines = grep(got, "regwarden_scanner_runs_total");
	expect_text(lines, "regwarden_scanner_runs_total{result=\"ok\"} 1\n"
	    "regwarden_scanner_runs_total{result=\"failed\"} 1\n");
	free(lines);
	lines = grep(got, "regwarden_scanner_duration_seconds_sum");
	expect_text(lines, "regwarden_scanner_duration_seconds_sum 1.500100\n");
	free(lines);
	lines = grep(got, "regwarden_signature_verifications_total");
	expect_text(lines, "regwarden_signature_verifications_total{outcome="
	    "\"verified\"} 1\nregwarden_signature_verifications_total{"
	    "outcome=\"failed\"} 2\n");
	free(lines);
	/* Counted apart from signatures, which stay 1 and 2 above. */
	lines = grep(got, "regwarden_attestation_verifications_total");
	expect_text(lines, "regwarden_attestation_verifications_total{outcome="
	    "\"verified\"} 3\nregwarden_attestation_verifications_total{"
	    "outcome=\"failed\"} 1\n");
	free(lines);
	lines = grep(got, "regwarden_audit_");
	expect_text(lines, "regwarden_audit_queue_depth 12\n"
	    "regwarden_audit_rows_dropped_total 1\n");
	free(lines);
	assert_non_null(strstr(got, "\nprocess_start_time_seconds "));
	free(got);
	metrics_free(m);
}

static void
test_empty(void **state)
{
	struct metrics *m = metrics_new();
	char *got, *lines;

	(void)state;
	got = render(m);
	lines = grep(got, "regwarden_build_info");
	expect_text(lines, "regwarden_build_info{version=\"unknown\"} 1\n");
	free(lines);
	/* No rule seen: the family is declared, with no samples. */
	lines = grep(got, "regwarden_rule_decisions_total");
	expect_text(lines, "");
	free(lines);
	lines = grep(got, "regwarden_upstream_request_duration_seconds_sum");
	expect_text(lines,
	    "regwarden_upstream_request_duration_seconds_sum 0.000000\n");
	free(lines);
	free(got);

	/* A policy that was loaded and is gone again leaves no sample. */
	metrics_set_policy(m, "sha256:feed");
	metrics_set_policy(m, NULL);
	got = render(m);
	lines = grep(got, "regwarden_policy_info");
	expect_text(lines, "");
	free(lines);
	assert_non_null(strstr(got, "# TYPE regwarden_policy_info gauge\n"));
	free(got);
	metrics_free(m);
	metrics_free(NULL);
}

static void
test_rule_overflow(void **state)
{
	struct metrics *m = metrics_new();
	char name[32], *got, *lines;
	int i;

	(void)state;
	/* 300 names: the first 256 keep their own series, the rest pool. */
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "r%03d", i);
		metrics_decision(m, METRICS_DENY, name);
	}
	/* A name already in the table still finds its own slot when full. */
	metrics_decision(m, METRICS_ALLOW, "r000");
	metrics_decision(m, METRICS_ALLOW, "r299");
	got = render(m);
	lines = grep(got, "regwarden_rule_decisions_total{rule=\"r000\"");
	expect_text(lines,
	    "regwarden_rule_decisions_total{rule=\"r000\",verdict=\"allow\"} 1\n"
	    "regwarden_rule_decisions_total{rule=\"r000\",verdict=\"deny\"} 1\n"
	    "regwarden_rule_decisions_total{rule=\"r000\",verdict=\"warn\"} 0\n"
	    "regwarden_rule_decisions_total{rule=\"r000\",verdict=\"error\"} 0\n");
	free(lines);
	lines = grep(got, "regwarden_rule_decisions_total{rule=\"r255\",verdict=\"deny\"}");
	expect_text(lines,
	    "regwarden_rule_decisions_total{rule=\"r255\",verdict=\"deny\"} 1\n");
	free(lines);
	lines = grep(got, "regwarden_rule_decisions_total{rule=\"r256\"");
	expect_text(lines, "");
	free(lines);
	lines = grep(got, "regwarden_rule_decisions_total{rule=\"other\"");
	expect_text(lines,
	    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"allow\"} 1\n"
	    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"deny\"} 44\n"
	    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"warn\"} 0\n"
	    "regwarden_rule_decisions_total{rule=\"other\",verdict=\"error\"} 0\n");
	free(lines);
	/* 256 named rules plus "other", four verdicts each. */
	lines = grep(got, "regwarden_rule_decisions_total{");
	assert_int_equal(count_lines(lines), 257 * 4);
	free(lines);
	lines = grep(got, "regwarden_decisions_total{verdict=\"deny\"}");
	expect_text(lines, "regwarden_decisions_total{verdict=\"deny\"} 300\n");
	free(lines);
	free(got);
	metrics_free(m);
}

static void
test_render_cap(void **state)
{
	struct metrics *m = metrics_new();
	struct rw_buf b;

	(void)state;
	rw_buf_init(&b, 256);
	assert_int_equal(metrics_render(m, &b), RW_ETOOBIG);
	/* Whatever fitted stays; the caller must not serve it. */
	assert_true(b.len <= 256);
	rw_buf_free(&b);
	metrics_free(m);
}

/* ---------------------------------------------- many threads at once */

#define THREADS		8
#define ROUNDS		20000

struct worker {
	struct metrics	*m;
	int		 id;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	char rule[16];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		/* 40 rule names shared by every thread, first seen in a race. */
		snprintf(rule, sizeof(rule), "rule-%d", i % 40);
		metrics_request(w->m, "GET", 200);
		metrics_decision(w->m, METRICS_ALLOW, rule);
		metrics_upstream_latency(w->m, 1000);
		metrics_bytes_sent(w->m, 3);
		if (i % 1000 == 0)
			metrics_set_policy(w->m, w->id % 2 ? "sha256:aa" :
			    "sha256:bb");
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct metrics *m = metrics_new();
	pthread_t t[THREADS];
	struct worker w[THREADS];
	char *got, *lines, want[256];
	struct rw_buf b;
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		w[i].m = m;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	/* Scrapes during the updates must succeed and stay well formed. */
	for (i = 0; i < 20; i++) {
		rw_buf_init(&b, 1 << 20);
		assert_int_equal(metrics_render(m, &b), RW_OK);
		rw_buf_free(&b);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	got = render(m);
	snprintf(want, sizeof(want), "regwarden_http_requests_total{method="
	    "\"GET\",code=\"2xx\"} %d\n", THREADS * ROUNDS);
	lines = grep(got, "regwarden_http_requests_total{method=\"GET\",code=\"2xx\"}");
	expect_text(lines, want);
	free(lines);
	snprintf(want, sizeof(want), "regwarden_rule_decisions_total{rule="
	    "\"rule-7\",verdict=\"allow\"} %d\n", THREADS * ROUNDS / 40);
	lines = grep(got, "regwarden_rule_decisions_total{rule=\"rule-7\",verdict=\"allow\"}");
	expect_text(lines, want);
	free(lines);
	/* Each name got exactly one series, however the race went. */
	lines = grep(got, "regwarden_rule_decisions_total{rule=");
	assert_int_equal(count_lines(lines), 40 * 4);
	free(lines);
	snprintf(want, sizeof(want),
	    "regwarden_upstream_request_duration_seconds_sum %d.%06d\n",
	    THREADS * ROUNDS / 1000, 0);
	lines = grep(got, "regwarden_upstream_request_duration_seconds_sum");
	expect_text(lines, want);
	free(lines);
	lines = grep(got, "regwarden_policy_info{");
	if (strcmp(lines, "regwarden_policy_info{revision=\"sha256:aa\"} 1\n") != 0)
		expect_text(lines,
		    "regwarden_policy_info{revision=\"sha256:bb\"} 1\n");
	free(lines);
	free(got);
	metrics_free(m);
}

/* The blob cache's families: absent until a cache reports, then verbatim. */
static void
test_blob_cache(void **state)
{
	struct metrics *m = metrics_new();
	char *text, *lines;

	(void)state;
	assert_non_null(m);
	metrics_blob_lookup(m, METRICS_BLOB_HIT);
	metrics_blob_bytes(m, 1, 1000);
	text = render(m);
	assert_null(strstr(text, "regwarden_blob"));
	free(text);
	metrics_blob_lookup(m, METRICS_BLOB_HIT);
	metrics_blob_lookup(m, METRICS_BLOB_MISS);
	metrics_blob_lookup(m, METRICS_BLOB_FOLLOW);
	metrics_blob_lookup(m, 7);	/* out of range: not counted */
	metrics_blob_bytes(m, 0, 300);
	metrics_set_blob_store(m, 4096, 2, 5);
	metrics_upstream_down(m);
	metrics_upstream_down(m);
	text = render(m);
	lines = grep(text, "regwarden_upstream_unreachable");
	expect_text(lines, "regwarden_upstream_unreachable_total 2\n");
	free(lines);
	lines = grep(text, "regwarden_blob");
	expect_text(lines,
	    "regwarden_blob_cache_lookups_total{result=\"miss\"} 1\n"
	    "regwarden_blob_cache_lookups_total{result=\"hit\"} 2\n"
	    "regwarden_blob_cache_lookups_total{result=\"follow\"} 1\n"
	    "regwarden_blob_bytes_total{source=\"cache\"} 1000\n"
	    "regwarden_blob_bytes_total{source=\"upstream\"} 300\n"
	    "regwarden_blob_cache_evictions_total 5\n"
	    "regwarden_blob_cache_size_bytes 4096\n"
	    "regwarden_blob_cache_blobs 2\n");
	free(lines);
	lines = grep(text, "# TYPE regwarden_blob");
	expect_text(lines,
	    "# TYPE regwarden_blob_cache_lookups_total counter\n"
	    "# TYPE regwarden_blob_bytes_total counter\n"
	    "# TYPE regwarden_blob_cache_evictions_total counter\n"
	    "# TYPE regwarden_blob_cache_size_bytes gauge\n"
	    "# TYPE regwarden_blob_cache_blobs gauge\n");
	free(lines);
	free(text);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_rule_overflow),
		cmocka_unit_test(test_render_cap),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_blob_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
