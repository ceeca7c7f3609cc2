/* test_grace.c - scan.grace_days: new findings on an image already in use. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every row evaluates one pull against tests/policy/grace.json: an image
 * first admitted at some time (or never), a report whose findings first
 * appeared at their own times, and a clock.  Rows compare the verdict, the
 * whole message and valid_until; mismatches are reported per row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "util/util.h"

#define GRACE_POLICY	RW_TEST_DATA "/grace.json"

/* 2025-06-15 15:06:40 UTC. */
#define NOW	INT64_C(1750000000)
#define DAY	INT64_C(86400)
/* When the image was first admitted, and when the new CVE first appeared. */
#define ADMIT	(NOW - 30 * DAY)
#define SEEN	(NOW - 2 * DAY)

#define DA	"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ALLOW	VERDICT_ALLOW
#define DENY	VERDICT_DENY
#define WARN	VERDICT_WARN
#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* One critical CVE (new), one high (old), one low (new). */
static const struct policy_finding f_one[] = {
	{ "CVE-2025-0001", "openssl", "3.0.1", "3.0.9", POLICY_SEV_CRITICAL,
	  1 },
};
static const int64_t seen_one[] = { SEEN };
static const int64_t seen_before[] = { ADMIT - 1 };
static const int64_t seen_same[] = { ADMIT };
static const int64_t seen_unknown[] = { 0 };

/* A new critical and an old critical: the old one refuses. */
static const struct policy_finding f_two[] = {
	{ "CVE-2025-0001", "openssl", "3.0.1", "3.0.9", POLICY_SEV_CRITICAL,
	  1 },
	{ "CVE-2024-0002", "zlib", "1.2", NULL, POLICY_SEV_CRITICAL, 0 },
};
static const int64_t seen_two[] = { SEEN, ADMIT - DAY };

/* Two new findings, found a day apart: the earlier grace end is shown. */
static const struct policy_finding f_pair[] = {
	{ "CVE-2025-0003", "curl", "8.0", "8.5", POLICY_SEV_CRITICAL, 1 },
	{ "CVE-2025-0001", "openssl", "3.0.1", "3.0.9", POLICY_SEV_CRITICAL,
	  1 },
};
static const int64_t seen_pair[] = { SEEN, SEEN - DAY };

/* New, but below the threshold: nothing to warn about. */
static const struct policy_finding f_low[] = {
	{ "CVE-2025-0004", "bash", "5.2", NULL, POLICY_SEV_LOW, 0 },
};

/* max_counts high 1: an old high within it, a new one over it. */
static const struct policy_finding f_highs[] = {
	{ "CVE-2024-0005", "curl", "8.0", "8.5", POLICY_SEV_HIGH, 1 },
	{ "CVE-2025-0006", "libxml2", "2.9", "2.11", POLICY_SEV_HIGH, 1 },
};
static const int64_t seen_highs[] = { ADMIT - DAY, SEEN };
static const int64_t seen_highs_old[] = { ADMIT - DAY, ADMIT - DAY };

#define SCAN(f)	{ "trivy", "0.50.1", NULL, NOW - DAY, (f), N(f), NULL, 0 }

static const struct policy_scan s_one = SCAN(f_one);
static const struct policy_scan s_two = SCAN(f_two);
static const struct policy_scan s_pair = SCAN(f_pair);
static const struct policy_scan s_low = SCAN(f_low);
static const struct policy_scan s_highs = SCAN(f_highs);

struct row {
	const char		*name;
	const char		*repo;
	const struct policy_scan *scan;
	const int64_t		*seen;
	int64_t			 admitted;	/* 0: never */
	int64_t			 now;
	int			 kind;
	const char		*msg;
	int64_t			 until;
};

#define TAIL_ONE "; scanned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade " \
	"the packages, or ask for an exception: regwarden exceptions add " \
	"CVE-2025-0001 --repo registry.example.com/grace/app --expires 30d " \
	"--reason \"<why>\""
#define REFUSED_ONE "regwarden: registry.example.com/grace/app:1.0 refused " \
	"by rule \"grace\" (grace.json:6): 1 finding above high: CVE-2025-0001" \
	" (critical, openssl 3.0.1 \xe2\x86\x92 3.0.9)" TAIL_ONE ". Ask " \
	"#security in chat."
#define WARNED_ONE "regwarden: warning: registry.example.com/grace/app:1.0 " \
	"admitted by rule \"grace\" (grace.json:6): 1 new finding within the " \
	"grace period until 2025-06-27T15:06:40Z (scan.grace_days 14): " \
	"CVE-2025-0001 (critical, openssl 3.0.1 \xe2\x86\x92 3.0.9); fix it " \
	"before then" TAIL_ONE ". Ask #security in chat."

static const struct row rows[] = {
	{ .name = "within-grace-warns", .repo = "grace/app", .scan = &s_one,
	  .seen = seen_one, .admitted = ADMIT, .now = NOW, .kind = WARN,
	  .msg = WARNED_ONE, .until = SEEN + 14 * DAY },
	{ .name = "last-second-of-grace-warns", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_one, .admitted = ADMIT,
	  .now = SEEN + 14 * DAY - 1, .kind = WARN, .msg = WARNED_ONE,
	  .until = SEEN + 14 * DAY },
	{ .name = "on-the-boundary-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_one, .admitted = ADMIT,
	  .now = SEEN + 14 * DAY, .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "after-grace-refused", .repo = "grace/app", .scan = &s_one,
	  .seen = seen_one, .admitted = ADMIT, .now = SEEN + 20 * DAY,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "never-admitted-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_one, .admitted = 0, .now = NOW,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "found-before-admission-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_before, .admitted = ADMIT, .now = NOW,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "found-at-admission-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_same, .admitted = ADMIT, .now = NOW,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "first-seen-unknown-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = seen_unknown, .admitted = ADMIT, .now = NOW,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "no-first-seen-refused", .repo = "grace/app",
	  .scan = &s_one, .seen = NULL, .admitted = ADMIT, .now = NOW,
	  .kind = DENY, .msg = REFUSED_ONE },
	{ .name = "grace-days-0-refused", .repo = "none/app", .scan = &s_one,
	  .seen = seen_one, .admitted = ADMIT, .now = NOW, .kind = DENY,
	  .msg = "regwarden: registry.example.com/none/app:1.0 refused by rule"
	    " \"none\" (grace.json:11): 1 finding above high: CVE-2025-0001 (c"
	    "ritical, openssl 3.0.1 \xe2\x86\x92 3.0.9); scanned 2025-06-14T15"
	    ":06:40Z by trivy 0.50.1; upgrade the packages, or ask for an excep"
	    "tion: regwarden exceptions add CVE-2025-0001 --repo registry.examp"
	    "le.com/none/app --expires 30d --reason \"<why>\"." },
	{ .name = "old-finding-still-refuses", .repo = "grace/app",
	  .scan = &s_two, .seen = seen_two, .admitted = ADMIT, .now = NOW,
	  .kind = DENY, .until = SEEN + 14 * DAY,
	  .msg = "regwarden: registry.example.com/grace/app:1.0 refused by rule"
	    " \"grace\" (grace.json:6): 1 finding above high: CVE-2024-0002 (cr"
	    "itical, zlib 1.2 \xe2\x86\x92 no fix); scanned 2025-06-14T15:06:40"
	    "Z by trivy 0.50.1; upgrade the packages, or ask for an exception: "
	    "regwarden exceptions add CVE-2024-0002 --repo registry.example.com"
	    "/grace/app --expires 30d --reason \"<why>\". Also: 1 new finding w"
	    "ithin the grace period until 2025-06-27T15:06:40Z (scan.grace_days"
	    " 14): CVE-2025-0001 (critical, openssl 3.0.1 \xe2\x86\x92 3.0.9); "
	    "fix it before then" TAIL_ONE ". Ask #security in chat." },
	{ .name = "two-new-earliest-end-shown", .repo = "grace/app",
	  .scan = &s_pair, .seen = seen_pair, .admitted = ADMIT, .now = NOW,
	  .kind = WARN, .until = SEEN - DAY + 14 * DAY,
	  .msg = "regwarden: warning: registry.example.com/grace/app:1.0 admitt"
	    "ed by rule \"grace\" (grace.json:6): 2 new findings within the gra"
	    "ce period until 2025-06-26T15:06:40Z (scan.grace_days 14): CVE-202"
	    "5-0001 (critical, openssl 3.0.1 \xe2\x86\x92 3.0.9), CVE-2025-000"
	    "3 (critical, curl 8.0 \xe2\x86\x92 8.5); fix them before then; sca"
	    "nned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the packages, o"
	    "r ask for an exception: regwarden exceptions add --from-scan " DA
	    " --repo registry.example.com/grace/app --expires 30d --reason \"<w"
	    "hy>\". Ask #security in chat." },
	{ .name = "new-below-threshold-admitted", .repo = "grace/app",
	  .scan = &s_low, .seen = seen_one, .admitted = ADMIT, .now = NOW,
	  .kind = ALLOW, .until = SEEN + 14 * DAY,
	  .msg = "regwarden: registry.example.com/grace/app:1.0 admitted by rul"
	    "e \"grace\" (grace.json:6)." },
	{ .name = "counts-new-over-limit-warns", .repo = "counts/app",
	  .scan = &s_highs, .seen = seen_highs, .admitted = ADMIT, .now = NOW,
	  .kind = WARN, .until = SEEN + 7 * DAY,
	  .msg = "regwarden: warning: registry.example.com/counts/app:1.0 admit"
	    "ted by rule \"counts\" (grace.json:9): 1 new finding within the gr"
	    "ace period until 2025-06-20T15:06:40Z (scan.grace_days 7): CVE-202"
	    "5-0006 (high, libxml2 2.9 \xe2\x86\x92 2.11); fix it before then; "
	    "scanned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the packages"
	    ", or ask for an exception: regwarden exceptions add CVE-2025-0006 "
	    "--repo registry.example.com/counts/app --expires 30d --reason \"<w"
	    "hy>\"." },
	{ .name = "counts-old-over-limit-refused", .repo = "counts/app",
	  .scan = &s_highs, .seen = seen_highs_old, .admitted = ADMIT,
	  .now = NOW, .kind = DENY,
	  .msg = "regwarden: registry.example.com/counts/app:1.0 refused by rul"
	    "e \"counts\" (grace.json:9): too many findings: 2 high (at most 1)"
	    ": CVE-2024-0005 (high, curl 8.0 \xe2\x86\x92 8.5), CVE-2025-0006 "
	    "(high, libxml2 2.9 \xe2\x86\x92 2.11); scanned 2025-06-14T15:06:40"
	    "Z by trivy 0.50.1; upgrade the packages, or ask for an exception: "
	    "regwarden exceptions add --from-scan " DA " --repo registry.exampl"
	    "e.com/counts/app --expires 30d --reason \"<why>\"." },
	{ .name = "warn-mode-rule-still-warns", .repo = "warned/app",
	  .scan = &s_one, .seen = seen_one, .admitted = ADMIT, .now = NOW,
	  .kind = WARN, .until = SEEN + 14 * DAY,
	  .msg = "regwarden: warning: registry.example.com/warned/app:1.0 admit"
	    "ted by rule \"warned\" (grace.json:13, warn mode): 1 new finding w"
	    "ithin the grace period until 2025-06-27T15:06:40Z (scan.grace_days"
	    " 14): CVE-2025-0001 (critical, openssl 3.0.1 \xe2\x86\x92 3.0.9); "
	    "fix it before then; scanned 2025-06-14T15:06:40Z by trivy 0.50.1; "
	    "upgrade the packages, or ask for an exception: regwarden exception"
	    "s add CVE-2025-0001 --repo registry.example.com/warned/app --expir"
	    "es 30d --reason \"<why>\"." },
};

static struct policy *
load_grace(void)
{
	struct policy *p = NULL;
	struct rw_diags d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(GRACE_POLICY, &p, &d), RW_OK);
	assert_int_equal(d.n, 0);
	return p;
}

static int
run_row(const struct policy *p, const struct row *r)
{
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	int bad = 0;

	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "registry.example.com";
	q.repo = r->repo;
	q.tag = "1.0";
	q.digest = DA;
	q.scan = r->scan;
	q.first_admitted = r->admitted;
	q.first_seen = r->seen;
	rw_err_clear(&err);
	if (policy_eval(p, &q, r->now, &v, &err) != RW_OK) {
		print_error("%s: policy_eval: %s\n", r->name, err.msg);
		return 1;
	}
	if (v.kind != r->kind) {
		print_error("%s: verdict %s, expected %s\n", r->name,
		    verdict_name(v.kind), verdict_name(r->kind));
		bad = 1;
	}
	if (strcmp(v.message, r->msg) != 0) {
		print_error("%s: message\n  got:  %s\n  want: %s\n", r->name,
		    v.message, r->msg);
		bad = 1;
	}
	if (v.valid_until != r->until) {
		print_error("%s: valid_until %lld, expected %lld\n", r->name,
		    (long long)v.valid_until, (long long)r->until);
		bad = 1;
	}
	return bad;
}

static void
test_rows(void **state)
{
	struct policy *p = load_grace();
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < N(rows); i++)
		bad += run_row(p, &rows[i]);
	policy_free(p);
	if (bad > 0)
		fail_msg("%d of %zu rows failed", bad, N(rows));
}

/* explain lists what decided: a pass that names the grace, the warning. */
static void
test_reasons(void **state)
{
	struct policy *p = load_grace();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	size_t i, found = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "registry.example.com";
	q.repo = "grace/app";
	q.digest = DA;
	q.scan = &s_one;
	q.first_admitted = ADMIT;
	q.first_seen = seen_one;
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	for (i = 0; i < v.nreasons; i++) {
		if (strcmp(v.reasons[i].check, "scan.max_severity") == 0) {
			assert_int_equal(v.reasons[i].failed, 0);
			assert_string_equal(v.reasons[i].text, "no finding above "
			    "high (1 within the grace period)");
			found++;
		}
		if (strcmp(v.reasons[i].check, "scan.grace") == 0) {
			assert_int_equal(v.reasons[i].failed, 1);
			found++;
		}
	}
	assert_int_equal(found, 2);
	policy_free(p);
}

/*
 * What was not counted above the threshold is named by kind, one after the
 * other: an excepted finding and one in its grace period.
 */
static void
test_reasons_mixed(void **state)
{
	static const struct policy_exception x[] = {
		{ "CVE-2025-0003", NULL, "registry.example.com/grace/**",
		  NOW + 30 * DAY, "fix in flight", "cli", 0 },
	};
	struct policy *p = load_grace();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	size_t i, found = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "registry.example.com";
	q.repo = "grace/app";
	q.digest = DA;
	q.scan = &s_pair;
	q.first_admitted = ADMIT;
	q.first_seen = seen_pair;
	q.exceptions = x;
	q.nexceptions = N(x);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_WARN);
	for (i = 0; i < v.nreasons; i++) {
		if (strcmp(v.reasons[i].check, "scan.max_severity") != 0)
			continue;
		assert_int_equal(v.reasons[i].failed, 0);
		assert_string_equal(v.reasons[i].text, "no finding above high "
		    "(1 excepted, 1 within the grace period)");
		found++;
	}
	assert_int_equal(found, 1);
	policy_free(p);
}

/* The facts are gathered only for a rule that gives a grace period. */
static void
test_needs(void **state)
{
	struct policy *p = load_grace();
	unsigned needs = 0;

	(void)state;
	assert_non_null(policy_match(p, "registry.example.com", "grace/app",
	    POLICY_OP_PULL, 1, &needs));
	assert_int_equal(needs, POLICY_NEED_SCAN | POLICY_NEED_GRACE);
	assert_non_null(policy_match(p, "registry.example.com", "none/app",
	    POLICY_OP_PULL, 1, &needs));
	assert_int_equal(needs, POLICY_NEED_SCAN);
	assert_non_null(policy_match(p, "registry.example.com", "grace/app",
	    POLICY_OP_PUSH, 1, &needs));
	assert_int_equal(needs, 0);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_reasons_mixed),
		cmocka_unit_test(test_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
