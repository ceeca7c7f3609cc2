/* test_scan.c - scan verdicts in policy_eval, row by row, and their loading. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every row evaluates one pull against tests/policy/scan.json with a scan
 * report (or none) and a set of exceptions, at a clock the row may move,
 * and compares the verdict, hold, the whole message and one reason.  As in
 * test_eval.c, mismatches are reported per row and fail the test at the
 * end, so one run shows every broken row.
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

#define SCAN_POLICY	RW_TEST_DATA "/scan.json"

/* 2025-06-15 15:06:40 UTC. */
#define NOW	INT64_C(1750000000)
#define DAY	INT64_C(86400)
/* 2026-01-01T00:00:00Z */
#define Y2026	INT64_C(1767225600)

#define DA	"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define PULL	POLICY_OP_PULL
#define PUSH	POLICY_OP_PUSH
#define ALLOW	VERDICT_ALLOW
#define DENY	VERDICT_DENY
#define WARN	VERDICT_WARN
#define N(a)	(sizeof(a) / sizeof((a)[0]))

#define CRIT	POLICY_SEV_CRITICAL
#define HIGH	POLICY_SEV_HIGH
#define MED	POLICY_SEV_MEDIUM
#define LOW	POLICY_SEV_LOW
#define NEGL	POLICY_SEV_NEGLIGIBLE
#define UNK	POLICY_SEV_UNKNOWN

/* ------------------------------------------------------------ findings */

/* One of each severity, listed out of order on purpose. */
static const struct policy_finding f_mixed[] = {
	{ "CVE-2024-0005", "busybox", "1.36.0", "1.36.1", MED, 1 },
	{ "CVE-2024-0002", "zlib", "1.2.11", NULL, CRIT, 0 },
	{ "CVE-2024-0003", "curl", "7.88.1", "8.4.0", HIGH, 1 },
	{ "CVE-2024-0001", "openssl", "1.1.1k", "1.1.1w", CRIT, 1 },
	{ "CVE-2024-0004", "libxml2", "2.9.14", "", HIGH, 0 },
	{ "CVE-2024-0006", "bash", "5.2", NULL, LOW, 0 },
	{ "CVE-2024-0007", "tar", "1.34", NULL, NEGL, 0 },
	{ "CVE-2024-0008", "glibc", "2.36", NULL, UNK, 0 },
};

/* Eight criticals: five are named, "and 3 more". */
static const struct policy_finding f_crits[] = {
	{ "CVE-2023-0108", "pkg8", "1", "2", CRIT, 1 },
	{ "CVE-2023-0103", "pkg3", "1", "2", CRIT, 1 },
	{ "CVE-2023-0101", "pkg1", "1", "2", CRIT, 1 },
	{ "CVE-2023-0106", "pkg6", "1", "2", CRIT, 1 },
	{ "CVE-2023-0102", "pkg2", "1", "2", CRIT, 1 },
	{ "CVE-2023-0107", "pkg7", "1", "2", CRIT, 1 },
	{ "CVE-2023-0105", "pkg5", "1", "2", CRIT, 1 },
	{ "CVE-2023-0104", "pkg4", "1", "2", CRIT, 1 },
};

static const struct policy_finding f_highs[] = {
	{ "CVE-2024-0013", "curl", "7.88.1", "8.4.0", HIGH, 1 },
	{ "CVE-2024-0011", "curl", "7.88.1", "8.4.0", HIGH, 1 },
	{ "CVE-2024-0012", "libxml2", "2.9.14", NULL, HIGH, 0 },
	{ "CVE-2024-0014", "bash", "5.2", "5.2.15", MED, 1 },
};

/* Only findings at or below the usual thresholds. */
static const struct policy_finding f_low[] = {
	{ "CVE-2024-0006", "bash", "5.2", NULL, LOW, 0 },
	{ "CVE-2024-0008", "glibc", "2.36", NULL, UNK, 0 },
};

/* The same CVE in two packages: one exception by id covers both. */
static const struct policy_finding f_twice[] = {
	{ "CVE-2024-0001", "openssl", "1.1.1k", "1.1.1w", CRIT, 1 },
	{ "CVE-2024-0001", "libssl3", "3.0.11", "3.0.13", CRIT, 1 },
};

/* What a hostile report could carry: none of it reaches a shell or tty. */
static const struct policy_finding f_evil[] = {
	{ "$(touch /tmp/x)", "pkg\033[31m", "1\n2", NULL, CRIT, 0 },
};

/* A severity off the scale reads as critical. */
static const struct policy_finding f_offscale[] = {
	{ "CVE-2024-0099", "odd", "1", NULL, 9, 0 },
};

/* ------------------------------------------------------------- reports */

#define SCAN(f, at)	{ "trivy", "0.50.1", "2025-06-14", (at), (f), N(f), \
	    NULL, 0 }

static const struct policy_scan s_mixed = SCAN(f_mixed, NOW - DAY);
static const struct policy_scan s_crits = SCAN(f_crits, NOW - DAY);
static const struct policy_scan s_highs = SCAN(f_highs, NOW - DAY);
static const struct policy_scan s_low = SCAN(f_low, NOW - DAY);
static const struct policy_scan s_twice = SCAN(f_twice, NOW - DAY);
static const struct policy_scan s_evil = SCAN(f_evil, NOW - DAY);
static const struct policy_scan s_offscale = SCAN(f_offscale, NOW - DAY);
static const struct policy_scan s_clean = { "grype", "0.74.0", NULL,
	NOW - DAY, NULL, 0, NULL, 0 };
/* Exactly seven days old at NOW, and one second more. */
static const struct policy_scan s_7d = SCAN(f_low, NOW - 7 * DAY);
static const struct policy_scan s_7d1s = SCAN(f_low, NOW - 7 * DAY - 1);
static const struct policy_scan s_nodate = { "grype", NULL, NULL, -1,
	f_low, N(f_low), NULL, 0 };
static const struct policy_scan s_old_mixed = SCAN(f_mixed, NOW - 40 * DAY);

/* Secret findings (Trivy's Secrets), sorted by file then rule. */
static const struct policy_scan_secret sec_two[] = {
	{ "/app/.env", "aws-access-key-id", "AWS Access Key ID", CRIT },
	/* The same rule again in the same file (another line): one file. */
	{ "/app/.env", "aws-access-key-id", "AWS Access Key ID", CRIT },
	{ "/root/.ssh/id_rsa", "private-key", "Asymmetric Private Key", HIGH },
};
static const struct policy_scan_secret sec_many[] = {
	{ "/a/1", "github-pat", "GitHub Personal Access Token", CRIT },
	{ "/a/2", "github-pat", "GitHub Personal Access Token", CRIT },
	{ "/a/3", "slack-access-token", "Slack token", HIGH },
	{ "/a/4", "private-key", "", HIGH },
	{ "/a/5", "private-key", NULL, HIGH },
};
/* A scanner's words are shown escaped: a terminal never runs them. */
static const struct policy_scan_secret sec_evil[] = {
	{ "/x\x1b]0;pwn\n", "r", "\x1b[31mred\r\nregwarden: admitted", LOW },
	{ "/y", "empty-title", "", LOW },
};
#define SECRETS(sec)	{ "trivy", "0.50.1", "2025-06-14", NOW - DAY, \
	    f_low, N(f_low), (sec), N(sec) }
static const struct policy_scan s_sec_two = SECRETS(sec_two);
static const struct policy_scan s_sec_many = SECRETS(sec_many);
static const struct policy_scan s_sec_evil = SECRETS(sec_evil);

/* ---------------------------------------------------------- exceptions */

struct exc_set {
	const struct policy_exception	*x;
	size_t				 n;
};

#define SET(name, ...)							\
	static const struct policy_exception name##_x[] = { __VA_ARGS__ }; \
	static const struct exc_set name = { name##_x, N(name##_x) }

#define SEV_GLOB	"registry.example.com/sev/**"

SET(x_id, { "CVE-2024-0001", NULL, SEV_GLOB, Y2026, "upstream fix pending",
    "cli", 0 });
SET(x_id_lower, { "cve-2024-0001", NULL, SEV_GLOB, Y2026, "lower case",
    "cli", 0 });
SET(x_both_ids,
    { "CVE-2024-0001", NULL, SEV_GLOB, Y2026, "fix pending", "cli", 0 },
    { "CVE-2024-0002", NULL, "registry.example.com/sev/api", Y2026,
      "not reachable", "policy", 41 });
SET(x_pkg, { NULL, "zlib", SEV_GLOB, Y2026, "zlib is not used", "cli", 0 });
SET(x_other_repo, { "CVE-2024-0001", NULL, "registry.example.com/other/**",
    Y2026, "other team", "cli", 0 });
/* At NOW: expired at this very second, or expiring the next one. */
SET(x_at_now, { "CVE-2024-0001", NULL, SEV_GLOB, NOW, "until now", "cli",
    0 });
SET(x_next_s, { "CVE-2024-0001", NULL, SEV_GLOB, NOW + 1, "one more second",
    "cli", 0 });
SET(x_expired_both,
    { "CVE-2024-0001", NULL, SEV_GLOB, NOW - DAY, "was pending", "cli", 0 },
    { "CVE-2024-0002", NULL, SEV_GLOB, NOW - 2 * DAY, "was unused",
      "policy", 40 });
/* Id and package together: both must match. */
SET(x_id_and_pkg, { "CVE-2024-0002", "openssl", SEV_GLOB, Y2026, "wrong pkg",
    "cli", 0 });
SET(x_bad_glob, { "CVE-2024-0001", NULL, "library/nginx", Y2026, "typo",
    "cli", 0 });
SET(x_hub_alias, { "CVE-2024-0001", NULL, "index.docker.io/acme/*", Y2026,
    "alias", "cli", 0 });
SET(x_fix_zlib, { NULL, "openssl", "registry.example.com/fix/**", Y2026,
    "pending", "cli", 0 });
SET(x_high, { "CVE-2024-0011", NULL, "registry.example.com/counts/**",
    Y2026, "triaged", "cli", 0 });

/* ---------------------------------------------------------------- rows */

struct row {
	const char		*name;
	int			 op;
	const char		*host;
	const char		*repo;
	const char		*tag;
	const char		*digest;
	const struct policy_scan *scan;
	const struct exc_set	*exc;
	int64_t			 now;	/* 0: NOW */
	int			 kind;
	const char		*rule;
	int			 hold;
	int			 pin_now;
	const char		*msg;
	const char		*check;	/* a reason to compare, or NULL */
	int			 failed;
	const char		*text;
	const char		*absent; /* a reason that must not be listed */
	int64_t			 until;	/* verdict.valid_until */
};

static const struct row rows[] = {
	/* ---------------------------------------------- max_severity */
	{ .name = "severity-above-high",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule \""
	    "sev-high\" (scan.json:6): 2 findings above high: CVE-2024-0001"
	    " (critical, openssl 1.1.1k → 1.1.1w), CVE-2024-0002 (critica"
	    "l, zlib 1.2.11 → no fix); scanned 2025-06-14T15:06:40Z by tr"
	    "ivy 0.50.1; upgrade the packages, or ask for an exception: reg"
	    "warden exceptions add --from-scan sha256:aaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo registry.ex"
	    "ample.com/sev/api --expires 30d --reason \"<why>\". Ask #secur"
	    "ity in chat.",
	  .check = "scan", .failed = 0,
	  .text = "scanned 2025-06-14T15:06:40Z by trivy 0.50.1 (db 2025-06-14)"
	    ": 2 critical, 2 high, 1 medium, 1 low, 1 negligible, 1 unknown" },
	{ .name = "severity-five-and-more",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_crits,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule \""
	    "sev-high\" (scan.json:6): 8 findings above high: CVE-2023-0101"
	    " (critical, pkg1 1 → 2), CVE-2023-0102 (critical, pkg2 1 →"
	    " 2), CVE-2023-0103 (critical, pkg3 1 → 2), CVE-2023-0104 (cr"
	    "itical, pkg4 1 → 2) and 4 more; scanned 2025-06-14T15:06:40Z"
	    " by trivy 0.50.1; upgrade the packages, or ask for an exceptio"
	    "n: regwarden exceptions add --from-scan sha256:aaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo regis"
	    "try.example.com/sev/api --expires 30d --reason \"<why>\". Ask "
	    "#security in chat." },
	{ .name = "severity-at-limit-passes",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_highs,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above high" },
	{ .name = "severity-clean-report",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = NULL, .digest = DA, .scan = &s_clean,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api@sha256:aaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa admitted by "
	    "rule \"sev-high\" (scan.json:6).",
	  .check = "scan", .failed = 0,
	  .text = "scanned 2025-06-14T15:06:40Z by grype 0.74.0: no findings" },
	{ .name = "severity-offscale-is-critical",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_offscale,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 1 finding above high: CVE-2024-0099"
	    " (critical, odd 1 \xe2\x86\x92 no fix); scanned 2025-06-14T15:06"
	    ":40Z by trivy 0.50.1; upgrade the packages, or ask for an except"
	    "ion: regwarden exceptions add CVE-2024-0099 --repo registry.exam"
	    "ple.com/sev/api --expires 30d --reason \"<why>\". Ask #security "
	    "in chat." },
	{ .name = "severity-hostile-report",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_evil,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 1 finding above high: $(touch /tmp/"
	    "x) (critical, pkg\\x1b[31m 1\\x0a2 \xe2\x86\x92 no fix); scanned"
	    " 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the packages, or "
	    "ask for an exception: regwarden exceptions add <id> --repo regis"
	    "try.example.com/sev/api --expires 30d --reason \"<why>\". Ask #s"
	    "ecurity in chat." },
	{ .name = "unknown-max-counts-everything-known",
	  .op = PULL, .host = "registry.example.com", .repo = "unk/app",
	  .tag = "1.0", .digest = DA, .scan = &s_low,
	  .kind = DENY, .rule = "unknown-max",
	  .msg = "regwarden: registry.example.com/unk/app:1.0 refused by rule "
	    "\"unknown-max\" (scan.json:36): 1 finding above unknown: CVE-20"
	    "24-0006 (low, bash 5.2 \xe2\x86\x92 no fix); scanned 2025-06-14"
	    "T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for an "
	    "exception: regwarden exceptions add CVE-2024-0006 --repo registr"
	    "y.example.com/unk/app --expires 30d --reason \"<why>\"." },
	{ .name = "unknown-max-clean",
	  .op = PULL, .host = "registry.example.com", .repo = "unk/app",
	  .tag = "1.0", .digest = DA, .scan = &s_clean,
	  .kind = ALLOW, .rule = "unknown-max",
	  .msg = "regwarden: registry.example.com/unk/app:1.0 admitted by rule"
	    " \"unknown-max\" (scan.json:36).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above unknown" },

	/* ---------------------------------------------- fixable_only */
	{ .name = "fixable-only-counts-fixes",
	  .op = PULL, .host = "registry.example.com", .repo = "fix/app",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed,
	  .kind = DENY, .rule = "fixable",
	  .msg = "regwarden: registry.example.com/fix/app:1.0 refused by rule \""
	    "fixable\" (scan.json:9): 2 fixable findings above medium: CVE-"
	    "2024-0001 (critical, openssl 1.1.1k → 1.1.1w), CVE-2024-0003"
	    " (high, curl 7.88.1 → 8.4.0); scanned 2025-06-14T15:06:40Z b"
	    "y trivy 0.50.1; upgrade the packages, or ask for an exception:"
	    " regwarden exceptions add --from-scan sha256:aaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo registr"
	    "y.example.com/fix/app --expires 30d --reason \"<why>\"." },
	{ .name = "fixable-only-unfixed-pass",
	  .op = PULL, .host = "registry.example.com", .repo = "fix/app",
	  .tag = "1.0", .digest = DA, .scan = &s_low,
	  .kind = ALLOW, .rule = "fixable",
	  .msg = "regwarden: registry.example.com/fix/app:1.0 admitted by rule"
	    " \"fixable\" (scan.json:9).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no fixable finding above medium" },
	{ .name = "fixable-only-with-package-exception",
	  .op = PULL, .host = "registry.example.com", .repo = "fix/app",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_fix_zlib,
	  .until = Y2026,
	  .kind = DENY, .rule = "fixable",
	  .msg = "regwarden: registry.example.com/fix/app:1.0 refused by rule "
	    "\"fixable\" (scan.json:9): 1 fixable finding above medium: CVE-"
	    "2024-0003 (high, curl 7.88.1 \xe2\x86\x92 8.4.0); scanned 2025-0"
	    "6-14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for"
	    " an exception: regwarden exceptions add CVE-2024-0003 --repo reg"
	    "istry.example.com/fix/app --expires 30d --reason \"<why>\".",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception package openssl for registry.example.com/fix/** "
	    "applies until 2026-01-01T00:00:00Z (cli: pending)" },

	/* ------------------------------------------------ max_counts */
	{ .name = "counts-critical-over-zero",
	  .op = PULL, .host = "registry.example.com", .repo = "counts/app",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed,
	  .kind = DENY, .rule = "counts",
	  .msg = "regwarden: registry.example.com/counts/app:1.0 refused by rule"
	    " \"counts\" (scan.json:12): too many findings: 2 critical (at "
	    "most 0): CVE-2024-0001 (critical, openssl 1.1.1k → 1.1.1w), "
	    "CVE-2024-0002 (critical, zlib 1.2.11 → no fix); scanned 2025"
	    "-06-14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask"
	    " for an exception: regwarden exceptions add --from-scan sha256"
	    ":aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaa --repo registry.example.com/counts/app --expires 30d --rea"
	    "son \"<why>\"." },
	{ .name = "counts-high-over-two",
	  .op = PULL, .host = "registry.example.com", .repo = "counts/app",
	  .tag = "1.0", .digest = DA, .scan = &s_highs,
	  .kind = DENY, .rule = "counts",
	  .msg = "regwarden: registry.example.com/counts/app:1.0 refused by rule"
	    " \"counts\" (scan.json:12): too many findings: 3 high (at most"
	    " 2): CVE-2024-0011 (high, curl 7.88.1 → 8.4.0), CVE-2024-001"
	    "2 (high, libxml2 2.9.14 → no fix), CVE-2024-0013 (high, curl"
	    " 7.88.1 → 8.4.0); scanned 2025-06-14T15:06:40Z by trivy 0.50"
	    ".1; upgrade the packages, or ask for an exception: regwarden e"
	    "xceptions add --from-scan sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo registry.example.co"
	    "m/counts/app --expires 30d --reason \"<why>\"." },
	{ .name = "counts-at-limit-after-exception",
	  .op = PULL, .host = "registry.example.com", .repo = "counts/app",
	  .tag = "1.0", .digest = DA, .scan = &s_highs, .exc = &x_high,
	  .until = Y2026,
	  .kind = ALLOW, .rule = "counts",
	  .msg = "regwarden: registry.example.com/counts/app:1.0 admitted by r"
	    "ule \"counts\" (scan.json:12).",
	  .check = "scan.max_counts", .failed = 0,
	  .text = "findings within limits: 0 critical (at most 0), 2 high (at "
	    "most 2)" },
	{ .name = "counts-clean",
	  .op = PULL, .host = "registry.example.com", .repo = "counts/app",
	  .tag = "1.0", .digest = DA, .scan = &s_low,
	  .kind = ALLOW, .rule = "counts",
	  .msg = "regwarden: registry.example.com/counts/app:1.0 admitted by r"
	    "ule \"counts\" (scan.json:12).",
	  .check = "scan.max_counts", .failed = 0,
	  .text = "findings within limits: 0 critical (at most 0), 0 high (at "
	    "most 2)" },

	/* ------------------------------------------------------- age */
	{ .name = "age-exactly-seven-days",
	  .op = PULL, .host = "registry.example.com", .repo = "age/app",
	  .tag = "1.0", .digest = DA, .scan = &s_7d,
	  .until = NOW + 1,
	  .kind = ALLOW, .rule = "age",
	  .msg = "regwarden: registry.example.com/age/app:1.0 admitted by rule"
	    " \"age\" (scan.json:15).",
	  .check = "scan.max_age_days", .failed = 0,
	  .text = "scan of 2025-06-08T15:06:40Z is 7 days old (at most 7)" },
	{ .name = "age-one-second-over",
	  .op = PULL, .host = "registry.example.com", .repo = "age/app",
	  .tag = "1.0", .digest = DA, .scan = &s_7d1s,
	  .kind = DENY, .rule = "age",
	  .msg = "regwarden: registry.example.com/age/app:1.0 refused by rule "
	    "\"age\" (scan.json:15): scan of 2025-06-08T15:06:39Z is older t"
	    "han 7 days; rescan it and import the report with regwarden scans"
	    " import." },
	{ .name = "age-judged-at-decision-time",
	  .op = PULL, .host = "registry.example.com", .repo = "age/app",
	  .tag = "1.0", .digest = DA, .scan = &s_7d, .now = NOW + 1,
	  .kind = DENY, .rule = "age",
	  .msg = "regwarden: registry.example.com/age/app:1.0 refused by rule "
	    "\"age\" (scan.json:15): scan of 2025-06-08T15:06:40Z is older t"
	    "han 7 days; rescan it and import the report with regwarden scans"
	    " import." },
	{ .name = "age-no-date",
	  .op = PULL, .host = "registry.example.com", .repo = "age/app",
	  .tag = "1.0", .digest = DA, .scan = &s_nodate,
	  .kind = DENY, .rule = "age",
	  .msg = "regwarden: registry.example.com/age/app:1.0 refused by rule "
	    "\"age\" (scan.json:15): scan has no date; rescan it and import t"
	    "he report with regwarden scans import.",
	  .check = "scan", .failed = 0,
	  .text = "scanned (date unknown) by grype: 1 low, 1 unknown" },
	{ .name = "both-severity-counts-age",
	  .op = PULL, .host = "registry.example.com", .repo = "both/app",
	  .tag = "1.0", .digest = DA, .scan = &s_old_mixed,
	  .kind = DENY, .rule = "both",
	  .msg = "regwarden: registry.example.com/both/app:1.0 refused by rule \""
	    "both\" (scan.json:38): 2 findings above high: CVE-2024-0001 (c"
	    "ritical, openssl 1.1.1k → 1.1.1w), CVE-2024-0002 (critical, "
	    "zlib 1.2.11 → no fix); scanned 2025-05-06T15:06:40Z by trivy"
	    " 0.50.1; upgrade the packages, or ask for an exception: regwar"
	    "den exceptions add --from-scan sha256:aaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo registry.examp"
	    "le.com/both/app --expires 30d --reason \"<why>\". Also: too ma"
	    "ny findings: 2 high (at most 1): CVE-2024-0003 (high, curl 7.8"
	    "8.1 → 8.4.0), CVE-2024-0004 (high, libxml2 2.9.14 → no fix"
	    "); scanned 2025-05-06T15:06:40Z by trivy 0.50.1; upgrade the p"
	    "ackages, or ask for an exception: regwarden exceptions add --f"
	    "rom-scan sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaa --repo registry.example.com/both/app --expi"
	    "res 30d --reason \"<why>\". Also: scan of 2025-05-06T15:06:40Z"
	    " is older than 30 days; rescan it and import the report with r"
	    "egwarden scans import." },

	/* ------------------------------------------------ exceptions */
	{ .name = "exception-by-id",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_id,
	  .until = Y2026,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 1 finding above high: CVE-2024-0002"
	    " (critical, zlib 1.2.11 \xe2\x86\x92 no fix); scanned 2025-06-14"
	    "T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for an "
	    "exception: regwarden exceptions add CVE-2024-0002 --repo registr"
	    "y.example.com/sev/api --expires 30d --reason \"<why>\". Ask #sec"
	    "urity in chat.",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception CVE-2024-0001 for registry.example.com/sev/** appl"
	    "ies until 2026-01-01T00:00:00Z (cli: upstream fix pending)" },
	{ .name = "exception-id-any-case",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_id_lower,
	  .until = Y2026,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above high (2 excepted)" },
	{ .name = "exceptions-cover-all",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_both_ids,
	  .until = Y2026,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception CVE-2024-0001 for registry.example.com/sev/** appl"
	    "ies until 2026-01-01T00:00:00Z (cli: fix pending); exception CVE"
	    "-2024-0002 for registry.example.com/sev/api applies until 2026-0"
	    "1-01T00:00:00Z (scan.json:41: not reachable)" },
	{ .name = "exception-by-package",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_pkg,
	  .until = Y2026,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 1 finding above high: CVE-2024-0001"
	    " (critical, openssl 1.1.1k \xe2\x86\x92 1.1.1w); scanned 2025-06"
	    "-14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for "
	    "an exception: regwarden exceptions add CVE-2024-0001 --repo regi"
	    "stry.example.com/sev/api --expires 30d --reason \"<why>\". Ask #"
	    "security in chat.",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception package zlib for registry.example.com/sev/** appli"
	    "es until 2026-01-01T00:00:00Z (cli: zlib is not used)" },
	{ .name = "exception-other-repo",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_other_repo,
	  .absent = "scan.excepted",
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 2 findings above high: CVE-2024-000"
	    "1 (critical, libssl3 3.0.11 \xe2\x86\x92 3.0.13), CVE-2024-0001 "
	    "(critical, openssl 1.1.1k \xe2\x86\x92 1.1.1w); scanned 2025-06-"
	    "14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for a"
	    "n exception: regwarden exceptions add CVE-2024-0001 --repo regis"
	    "try.example.com/sev/api --expires 30d --reason \"<why>\". Ask #s"
	    "ecurity in chat." },
	{ .name = "exception-expired-at-boundary",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_at_now,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 2 findings above high: CVE-2024-000"
	    "1 (critical, libssl3 3.0.11 \xe2\x86\x92 3.0.13; exception expir"
	    "ed 2025-06-15T15:06:40Z), CVE-2024-0001 (critical, openssl 1.1.1"
	    "k \xe2\x86\x92 1.1.1w; exception expired 2025-06-15T15:06:40Z); "
	    "scanned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the packag"
	    "es, or ask for an exception: regwarden exceptions add CVE-2024-0"
	    "001 --repo registry.example.com/sev/api --expires 30d --reason "
	    "\"<why>\". Ask #security in chat.",
	  .check = "scan.expired", .failed = 0,
	  .text = "exception CVE-2024-0001 for registry.example.com/sev/** expi"
	    "red 2025-06-15T15:06:40Z" },
	{ .name = "exception-applies-second-before",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_at_now,
	  .now = NOW - 1,
	  .until = NOW,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception CVE-2024-0001 for registry.example.com/sev/** appl"
	    "ies until 2025-06-15T15:06:40Z (cli: until now)" },
	{ .name = "exception-expires-next-second",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_next_s,
	  .until = NOW + 1,
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above high (2 excepted)" },
	{ .name = "exceptions-expired-listed",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_expired_both,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule \""
	    "sev-high\" (scan.json:6): 2 findings above high: CVE-2024-0001"
	    " (critical, openssl 1.1.1k → 1.1.1w; exception expired 2025-"
	    "06-14T15:06:40Z), CVE-2024-0002 (critical, zlib 1.2.11 → no "
	    "fix; exception expired 2025-06-13T15:06:40Z); scanned 2025-06-"
	    "14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for"
	    " an exception: regwarden exceptions add --from-scan sha256:aaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "--repo registry.example.com/sev/api --expires 30d --reason \"<"
	    "why>\". Ask #security in chat.",
	  .check = "scan.expired", .failed = 0,
	  .text = "exception CVE-2024-0001 for registry.example.com/sev/** expi"
	    "red 2025-06-14T15:06:40Z; exception CVE-2024-0002 for registry.e"
	    "xample.com/sev/** expired 2025-06-13T15:06:40Z" },
	{ .name = "exception-id-and-package-both-needed",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed, .exc = &x_id_and_pkg,
	  .absent = "scan.excepted",
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule \""
	    "sev-high\" (scan.json:6): 2 findings above high: CVE-2024-0001"
	    " (critical, openssl 1.1.1k → 1.1.1w), CVE-2024-0002 (critica"
	    "l, zlib 1.2.11 → no fix); scanned 2025-06-14T15:06:40Z by tr"
	    "ivy 0.50.1; upgrade the packages, or ask for an exception: reg"
	    "warden exceptions add --from-scan sha256:aaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --repo registry.ex"
	    "ample.com/sev/api --expires 30d --reason \"<why>\". Ask #secur"
	    "ity in chat." },
	{ .name = "exception-invalid-glob-ignored",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_bad_glob,
	  .absent = "scan.excepted",
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): 2 findings above high: CVE-2024-000"
	    "1 (critical, libssl3 3.0.11 \xe2\x86\x92 3.0.13), CVE-2024-0001 "
	    "(critical, openssl 1.1.1k \xe2\x86\x92 1.1.1w); scanned 2025-06-"
	    "14T15:06:40Z by trivy 0.50.1; upgrade the packages, or ask for a"
	    "n exception: regwarden exceptions add CVE-2024-0001 --repo regis"
	    "try.example.com/sev/api --expires 30d --reason \"<why>\". Ask #s"
	    "ecurity in chat." },
	{ .name = "exception-hub-alias-glob",
	  .op = PULL, .host = "registry-1.docker.io", .repo = "acme/api",
	  .tag = "1.0", .digest = DA, .scan = &s_twice, .exc = &x_hub_alias,
	  .until = Y2026,
	  .kind = ALLOW, .rule = "hub",
	  .msg = "regwarden: docker.io/acme/api:1.0 admitted by rule \"hub\" "
	    "(scan.json:44).",
	  .check = "scan.excepted", .failed = 0,
	  .text = "exception CVE-2024-0001 for index.docker.io/acme/* applies u"
	    "ntil 2026-01-01T00:00:00Z (cli: alias)" },
	{ .name = "exception-unrelated-not-listed",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA, .scan = &s_low, .exc = &x_both_ids,
	  .absent = "scan.excepted",
	  .kind = ALLOW, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 admitted by rule"
	    " \"sev-high\" (scan.json:6).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above high" },

	/* ------------------------------------------------- unscanned */
	{ .name = "unscanned-deny",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = DA,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): image has no scan verdict; scan it ("
	    "trivy image registry.example.com/sev/api@sha256:aaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and import the"
	    " report with regwarden scans import. Ask #security in chat.",
	  .check = "scan", .failed = 1,
	  .text = "image has no scan verdict; scan it (trivy image registry.exa"
	    "mple.com/sev/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaa) and import the report with regwarden s"
	    "cans import" },
	{ .name = "unscanned-deny-without-digest",
	  .op = PULL, .host = "registry.example.com", .repo = "sev/api",
	  .tag = "1.0", .digest = NULL,
	  .kind = DENY, .rule = "sev-high",
	  .msg = "regwarden: registry.example.com/sev/api:1.0 refused by rule "
	    "\"sev-high\" (scan.json:6): image has no scan verdict; scan it ("
	    "trivy image registry.example.com/sev/api:1.0) and import the rep"
	    "ort with regwarden scans import. Ask #security in chat." },
	{ .name = "unscanned-warn",
	  .op = PULL, .host = "registry.example.com", .repo = "wu/app",
	  .tag = "1.0", .digest = DA,
	  .kind = WARN, .rule = "warn-unscanned",
	  .msg = "regwarden: warning: registry.example.com/wu/app:1.0 admitted"
	    " by rule \"warn-unscanned\" (scan.json:17): image has no scan ve"
	    "rdict; scan it (trivy image registry.example.com/wu/app@sha256:a"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)"
	    " and import the report with regwarden scans import." },
	{ .name = "max-critical-admits-criticals",
	  .op = PULL, .host = "registry.example.com", .repo = "wu/app",
	  .tag = "1.0", .digest = DA, .scan = &s_crits,
	  .kind = ALLOW, .rule = "warn-unscanned",
	  .msg = "regwarden: registry.example.com/wu/app:1.0 admitted by rule "
	    "\"warn-unscanned\" (scan.json:17).",
	  .check = "scan.max_severity", .failed = 0,
	  .text = "no finding above critical" },
	{ .name = "unscanned-allow",
	  .op = PULL, .host = "registry.example.com", .repo = "au/app",
	  .tag = "1.0", .digest = DA,
	  .kind = ALLOW, .rule = "allow-unscanned",
	  .msg = "regwarden: registry.example.com/au/app:1.0 admitted by rule "
	    "\"allow-unscanned\" (scan.json:20).",
	  .check = "scan", .failed = 0,
	  .text = "image has no scan verdict; admitted without one (unscanned: "
	    "allow)" },
	{ .name = "unscanned-allow-scanned-still-judged",
	  .op = PULL, .host = "registry.example.com", .repo = "au/app",
	  .tag = "1.0", .digest = DA, .scan = &s_twice,
	  .kind = DENY, .rule = "allow-unscanned",
	  .msg = "regwarden: registry.example.com/au/app:1.0 refused by rule "
	    "\"allow-unscanned\" (scan.json:20): 2 findings above high: CVE-2"
	    "024-0001 (critical, libssl3 3.0.11 \xe2\x86\x92 3.0.13), CVE-202"
	    "4-0001 (critical, openssl 1.1.1k \xe2\x86\x92 1.1.1w); scanned 2"
	    "025-06-14T15:06:40Z by trivy 0.50.1; upgrade the packages, or as"
	    "k for an exception: regwarden exceptions add CVE-2024-0001 --rep"
	    "o registry.example.com/au/app --expires 30d --reason \"<why>\"." },
	{ .name = "unscanned-hold",
	  .op = PULL, .host = "registry.example.com", .repo = "hold/app",
	  .tag = "1.0", .digest = DA,
	  .kind = DENY, .rule = "hold", .hold = 1,
	  .msg = "regwarden: registry.example.com/hold/app:1.0 is being scanned"
	    ": rule \"hold\" (scan.json:23) admits only scanned images.",
	  .check = "scan", .failed = 1,
	  .text = "image has no scan verdict yet; it is held while it is scanned"
	  },
	{ .name = "unscanned-hold-by-digest",
	  .op = PULL, .host = "registry.example.com", .repo = "hold/app",
	  .tag = NULL, .digest = DA,
	  .kind = DENY, .rule = "hold", .hold = 1,
	  .msg = "regwarden: registry.example.com/hold/app@sha256:aaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa is being sc"
	    "anned: rule \"hold\" (scan.json:23) admits only scanned images." },
	{ .name = "unscanned-hold-other-failure-denies",
	  .op = PULL, .host = "registry.example.com", .repo = "hold/app",
	  .tag = "latest", .digest = DA,
	  .kind = DENY, .rule = "hold", .hold = 0,
	  .msg = "regwarden: registry.example.com/hold/app:latest refused by r"
	    "ule \"hold\" (scan.json:23): tag \"latest\" is not allowed; pin "
	    "the digest: registry.example.com/hold/app@sha256:aaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa or use a versi"
	    "on tag. Also: image has no scan verdict; scan it (trivy image re"
	    "gistry.example.com/hold/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and import the report with "
	    "regwarden scans import." },
	{ .name = "hold-scanned-clean-admits",
	  .op = PULL, .host = "registry.example.com", .repo = "hold/app",
	  .tag = "1.0", .digest = DA, .scan = &s_low,
	  .kind = ALLOW, .rule = "hold", .hold = 0,
	  .msg = "regwarden: registry.example.com/hold/app:1.0 admitted by rul"
	    "e \"hold\" (scan.json:23)." },
	{ .name = "hold-in-warn-mode-serves",
	  .op = PULL, .host = "registry.example.com", .repo = "holdwarn/app",
	  .tag = "1.0", .digest = DA,
	  .kind = WARN, .rule = "hold-warn", .hold = 0,
	  .msg = "regwarden: warning: registry.example.com/holdwarn/app:1.0 wo"
	    "uld be refused by rule \"hold-warn\" (scan.json:26, warn mode): "
	    "image has no scan verdict; scan it (trivy image registry.example"
	    ".com/holdwarn/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaa) and import the report with regwarden "
	    "scans import." },
	{ .name = "hold-never-pins",
	  .op = PULL, .host = "docker.io", .repo = "tofu/app",
	  .tag = "1.0", .digest = DA,
	  .kind = DENY, .rule = "tofu-hold", .hold = 1, .pin_now = 0,
	  .msg = "regwarden: docker.io/tofu/app:1.0 is being scanned: rule \"t"
	    "ofu-hold\" (scan.json:46) admits only scanned images." },
	{ .name = "tofu-scanned-pins",
	  .op = PULL, .host = "docker.io", .repo = "tofu/app",
	  .tag = "1.0", .digest = DA, .scan = &s_clean,
	  .kind = ALLOW, .rule = "tofu-hold", .pin_now = 1,
	  .msg = "regwarden: docker.io/tofu/app:1.0 admitted by rule \"tofu-ho"
	    "ld\" (scan.json:46)." },

	/* ------------------------------------------------ warn, audit */
	{ .name = "warn-mode-findings",
	  .op = PULL, .host = "registry.example.com", .repo = "warned/app",
	  .tag = "1.0", .digest = DA, .scan = &s_offscale,
	  .kind = WARN, .rule = "warned",
	  .msg = "regwarden: warning: registry.example.com/warned/app:1.0 woul"
	    "d be refused by rule \"warned\" (scan.json:29, warn mode): 1 fin"
	    "ding above high: CVE-2024-0099 (critical, odd 1 \xe2\x86\x92 no "
	    "fix); scanned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the "
	    "packages, or ask for an exception: regwarden exceptions add CVE-"
	    "2024-0099 --repo registry.example.com/warned/app --expires 30d -"
	    "-reason \"<why>\". Enforced from 2025-07-01." },
	{ .name = "audit-mode-findings",
	  .op = PULL, .host = "registry.example.com", .repo = "audited/app",
	  .tag = "1.0", .digest = DA, .scan = &s_offscale,
	  .kind = ALLOW, .rule = "audited",
	  .msg = "regwarden: audit: registry.example.com/audited/app:1.0 would"
	    " be refused by rule \"audited\" (scan.json:33, audit mode): 1 fi"
	    "nding above high: CVE-2024-0099 (critical, odd 1 \xe2\x86\x92 no"
	    " fix); scanned 2025-06-14T15:06:40Z by trivy 0.50.1; upgrade the"
	    " packages, or ask for an exception: regwarden exceptions add CVE"
	    "-2024-0099 --repo registry.example.com/audited/app --expires 30d"
	    " --reason \"<why>\"." },
	{ .name = "audit-mode-unscanned",
	  .op = PULL, .host = "registry.example.com", .repo = "audited/app",
	  .tag = "1.0", .digest = DA,
	  .kind = ALLOW, .rule = "audited",
	  .msg = "regwarden: audit: registry.example.com/audited/app:1.0 would"
	    " be refused by rule \"audited\" (scan.json:33, audit mode): imag"
	    "e has no scan verdict; scan it (trivy image registry.example.com"
	    "/audited/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaa) and import the report with regwarden scans"
	    " import." },
	{ .name = "audit-mode-unscanned-warn",
	  .op = PULL, .host = "registry.example.com", .repo = "wuaudit/app",
	  .tag = "1.0", .digest = DA,
	  .kind = ALLOW, .rule = "wu-audit",
	  .msg = "regwarden: audit: registry.example.com/wuaudit/app:1.0 admit"
	    "ted by rule \"wu-audit\" (scan.json:49, audit mode): image has n"
	    "o scan verdict; scan it (trivy image registry.example.com/wuaudi"
	    "t/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaa) and import the report with regwarden scans import"
	    "." },

	/* ------------------------------------------------ operations */
	{ .name = "push-not-scanned",
	  .op = PUSH, .host = "registry.example.com", .repo = "mixed/app",
	  .tag = "1.0", .digest = DA,
	  .kind = ALLOW, .rule = "mixed",
	  .msg = "regwarden: push of registry.example.com/mixed/app:1.0 admitt"
	    "ed by rule \"mixed\" (scan.json:42)." },
	{ .name = "pull-same-rule-needs-scan",
	  .op = PULL, .host = "registry.example.com", .repo = "mixed/app",
	  .tag = "1.0", .digest = DA,
	  .kind = DENY, .rule = "mixed",
	  .msg = "regwarden: registry.example.com/mixed/app:1.0 refused by rul"
	    "e \"mixed\" (scan.json:42): image has no scan verdict; scan it ("
	    "trivy image registry.example.com/mixed/app@sha256:aaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and import t"
	    "he report with regwarden scans import." },
	/* ------------------------------------------------- scan.secrets */
	{ .name = "secrets-deny",
	  .op = PULL, .host = "registry.example.com", .repo = "sec/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_two,
	  .kind = DENY, .rule = "secrets-deny",
	  .msg = "regwarden: registry.example.com/sec/app:1.0 refused by rule \"se"
	    "crets-deny\" (scan.json:52): trivy found 3 secrets in the image:"
	    " /app/.env (AWS Access Key ID), /root/.ssh/id_rsa (Asymmetric Pr"
	    "ivate Key); remove them from the image, rotate them and mount se"
	    "crets at run time." },
	{ .name = "secrets-deny-none",
	  .op = PULL, .host = "registry.example.com", .repo = "sec/app",
	  .tag = "1.0", .digest = DA, .scan = &s_mixed,
	  .kind = ALLOW, .rule = "secrets-deny",
	  .msg = "regwarden: registry.example.com/sec/app:1.0 admitted by rule \"s"
	    "ecrets-deny\" (scan.json:52).",
	  .check = "scan.secrets", .failed = 0,
	  .text = "the scan found no secrets" },
	{ .name = "secrets-deny-many",
	  .op = PULL, .host = "registry.example.com", .repo = "sec/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_many,
	  .kind = DENY, .rule = "secrets-deny",
	  .msg = "regwarden: registry.example.com/sec/app:1.0 refused by rule \"se"
	    "crets-deny\" (scan.json:52): trivy found 5 secrets in the image:"
	    " /a/1 (GitHub Personal Access Token), /a/2 (GitHub Personal Acce"
	    "ss Token), /a/3 (Slack token) and 2 more; remove them from the i"
	    "mage, rotate them and mount secrets at run time." },
	{ .name = "secrets-deny-escaped",
	  .op = PULL, .host = "registry.example.com", .repo = "sec/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_evil,
	  .kind = DENY, .rule = "secrets-deny",
	  .msg = "regwarden: registry.example.com/sec/app:1.0 refused by rule \"se"
	    "crets-deny\" (scan.json:52): trivy found 2 secrets in the image:"
	    " /x\\x1b]0;pwn\\x0a (\\x1b[31mred\\x0d\\x0aregwarden: admitted),"
	    " /y (empty-title); remove them from the image, rotate them and m"
	    "ount secrets at run time." },
	{ .name = "secrets-warn",
	  .op = PULL, .host = "registry.example.com", .repo = "secwarn/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_two,
	  .kind = WARN, .rule = "secrets-warn",
	  .msg = "regwarden: warning: registry.example.com/secwarn/app:1.0 admitte"
	    "d by rule \"secrets-warn\" (scan.json:54): trivy found 3 secrets"
	    " in the image: /app/.env (AWS Access Key ID), /root/.ssh/id_rsa "
	    "(Asymmetric Private Key); remove them from the image, rotate the"
	    "m and mount secrets at run time." },
	{ .name = "secrets-ignore",
	  .op = PULL, .host = "registry.example.com", .repo = "secign/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_two,
	  .kind = ALLOW, .rule = "secrets-ignore",
	  .msg = "regwarden: registry.example.com/secign/app:1.0 admitted by rule "
	    "\"secrets-ignore\" (scan.json:56).",
	  .check = "scan.secrets", .failed = 0,
	  .text = "trivy found 3 secrets in the image: /app/.env (AWS Access Key ID"
	    "), /root/.ssh/id_rsa (Asymmetric Private Key); not judged (secre"
	    "ts: ignore)" },
	/* Another rule's scan section says nothing of secrets. */
	{ .name = "secrets-unjudged",
	  .op = PULL, .host = "registry.example.com", .repo = "wu/app",
	  .tag = "1.0", .digest = DA, .scan = &s_sec_two,
	  .kind = ALLOW, .rule = "warn-unscanned",
	  .msg = "regwarden: registry.example.com/wu/app:1.0 admitted by rule "
	    "\"warn-unscanned\" (scan.json:17).",
	  .absent = "scan.secrets" },
};

static void
fill_req(const struct row *r, struct admission_req *q)
{
	memset(q, 0, sizeof(*q));
	q->op = r->op;
	q->host = r->host;
	q->repo = r->repo;
	q->tag = r->tag;
	q->digest = r->digest;
	q->scan = r->scan;
	if (r->exc != NULL) {
		q->exceptions = r->exc->x;
		q->nexceptions = r->exc->n;
	}
	q->identity = "ci-bot";
	q->media_type = "application/vnd.oci.image.manifest.v1+json";
}

static const struct verdict_reason *
find_reason(const struct verdict *v, const char *check)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, check) == 0)
			return &v->reasons[i];
	return NULL;
}

static void
print_reasons(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		fprintf(stderr, "    [%s] %s: %s\n", v->reasons[i].check,
		    v->reasons[i].failed ? "failed" : "passed",
		    v->reasons[i].text);
}

/* Returns the number of mismatches in row R, reported on stderr. */
static int
check_row(const struct policy *p, const struct row *r)
{
	const struct verdict_reason *rs;
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	int rc, bad = 0;

	fill_req(r, &q);
	rw_err_clear(&err);
	rc = policy_eval(p, &q, r->now != 0 ? r->now : NOW, &v, &err);
	if (rc != RW_OK && ++bad)
		fprintf(stderr, "row %s: rc %d (%s)\n", r->name, rc, err.msg);
	if (v.kind != r->kind && ++bad)
		fprintf(stderr, "row %s: verdict %s, expected %s\n", r->name,
		    verdict_name(v.kind), verdict_name(r->kind));
	if (strcmp(v.rule, r->rule) != 0 && ++bad)
		fprintf(stderr, "row %s: rule \"%s\", expected \"%s\"\n",
		    r->name, v.rule, r->rule);
	if (v.hold != r->hold && ++bad)
		fprintf(stderr, "row %s: hold %d\n", r->name, v.hold);
	if (v.pin_now != r->pin_now && ++bad)
		fprintf(stderr, "row %s: pin_now %d\n", r->name, v.pin_now);
	if (v.valid_until != r->until && ++bad)
		fprintf(stderr, "row %s: valid_until %lld\n", r->name,
		    (long long)v.valid_until);
	if (strcmp(v.message, r->msg) != 0 && ++bad)
		fprintf(stderr, "row %s: message\n  got:  %s\n  want: %s\n",
		    r->name, v.message, r->msg);
	if (strlen(v.message) > 1500 && ++bad)
		fprintf(stderr, "row %s: message longer than 1500\n", r->name);
	if (r->check != NULL) {
		rs = find_reason(&v, r->check);
		if ((rs == NULL || rs->failed != r->failed ||
		    strcmp(rs->text, r->text) != 0) && ++bad) {
			fprintf(stderr, "row %s: reason %s (%s): want: %s\n",
			    r->name, r->check, r->failed ? "failed" : "passed",
			    r->text);
			print_reasons(&v);
		}
	}
	if (r->absent != NULL && find_reason(&v, r->absent) != NULL && ++bad) {
		fprintf(stderr, "row %s: reason %s listed\n", r->name,
		    r->absent);
		print_reasons(&v);
	}
	return bad;
}

static struct policy *
load_scan(void)
{
	struct policy *p = NULL;
	struct rw_diags d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(SCAN_POLICY, &p, &d), RW_OK);
	assert_int_equal(d.n, 0);
	return p;
}

static void
test_rows(void **state)
{
	struct policy *p = load_scan();
	size_t i;
	int bad = 0;

	(void)state;
	/* Losing rows must not pass quietly. */
	assert_true(N(rows) >= 40);
	for (i = 0; i < N(rows); i++)
		bad += check_row(p, &rows[i]);
	policy_free(p);
	assert_int_equal(bad, 0);
}

/* The same request gives the same verdict, byte for byte. */
static void
test_deterministic(void **state)
{
	struct policy *p = load_scan();
	struct admission_req q;
	struct verdict a, b;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		fill_req(&rows[i], &q);
		policy_eval(p, &q, NOW, &a, &err);
		policy_eval(p, &q, NOW, &b, &err);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	policy_free(p);
}

/* A scan verdict is fetched for pulls under a rule with "scan", only. */
static void
test_needs(void **state)
{
	struct policy *p = load_scan();
	const struct policy_rule *r;
	unsigned needs = 99;

	(void)state;
	r = policy_match(p, "registry.example.com", "sev/api", PULL, 1, &needs);
	assert_string_equal(policy_rule_name(r), "sev-high");
	assert_int_equal(needs, POLICY_NEED_SCAN);
	r = policy_match(p, "registry.example.com", "sev/api", PULL, 0, &needs);
	assert_int_equal(needs, POLICY_NEED_SCAN);
	r = policy_match(p, "registry.example.com", "mixed/app", PUSH, 1,
	    &needs);
	assert_string_equal(policy_rule_name(r), "mixed");
	assert_int_equal(needs, 0);
	r = policy_match(p, "docker.io", "tofu/app", PULL, 1, &needs);
	assert_int_equal(needs, POLICY_NEED_SCAN | POLICY_NEED_PIN);
	policy_free(p);
}

/* Both scanners' spellings map onto one scale. */
static void
test_severity_names(void **state)
{
	static const struct {
		const char	*name;
		int		 sev;
	} cases[] = {
		{ "CRITICAL", CRIT }, { "Critical", CRIT }, { "HIGH", HIGH },
		{ "High", HIGH }, { "MEDIUM", MED }, { "Medium", MED },
		{ "LOW", LOW }, { "Low", LOW }, { "Negligible", NEGL },
		{ "UNKNOWN", UNK }, { "Unknown", UNK }, { "high", HIGH },
		{ "", -1 }, { "severe", -1 }, { "highest", -1 }, { "hi", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		if (policy_severity_parse(cases[i].name) != cases[i].sev)
			fail_msg("severity \"%s\": %d, expected %d",
			    cases[i].name, policy_severity_parse(cases[i].name),
			    cases[i].sev);
	assert_string_equal(policy_severity_name(UNK), "unknown");
	assert_string_equal(policy_severity_name(NEGL), "negligible");
	assert_string_equal(policy_severity_name(LOW), "low");
	assert_string_equal(policy_severity_name(MED), "medium");
	assert_string_equal(policy_severity_name(HIGH), "high");
	assert_string_equal(policy_severity_name(CRIT), "critical");
	assert_string_equal(policy_severity_name(6), "unknown");
	assert_string_equal(policy_severity_name(-1), "unknown");
}

#define SHAPE	"expected an RFC 3339 date and time with a time zone, e.g. " \
		"\"2026-12-31T00:00:00Z\""

static void
test_parse_time(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 t;
		const char	*err;	/* NULL: parses to T */
	} cases[] = {
		{ "2026-01-01T00:00:00Z", Y2026, NULL },
		{ "2026-01-01t00:00:00z", Y2026, NULL },
		{ "2026-01-01T02:00:00+02:00", Y2026, NULL },
		{ "2025-12-31T19:30:00-04:30", Y2026, NULL },
		{ "2026-01-01T00:00:00.999999Z", Y2026, NULL },
		{ "1970-01-01T00:00:00Z", 0, NULL },
		{ "1969-12-31T23:59:59Z", -1, NULL },
		{ "2024-02-29T12:00:00Z", INT64_C(1709208000), NULL },
		{ "2000-02-29T00:00:00Z", INT64_C(951782400), NULL },
		{ "9999-12-31T23:59:59Z", INT64_C(253402300799), NULL },
		{ "2016-12-31T23:59:60Z", INT64_C(1483228800), NULL },
		{ "2026-12-31", 0, SHAPE },
		{ "2026-12-31T00:00:00", 0, SHAPE },
		{ "2026-12-31 00:00:00Z", 0, SHAPE },
		{ "2026-12-31T00:00:00.Z", 0, SHAPE },
		{ "2026-12-31T00:00:00+0100", 0, SHAPE },
		{ "2026-12-31T00:00:00Zjunk", 0, SHAPE },
		{ "26-12-31T00:00:00Z", 0, SHAPE },
		{ "2026-12-31T00:00:00+24:00", 0, SHAPE },
		{ "", 0, SHAPE },
		{ "2026-13-01T00:00:00Z", 0, "no such date" },
		{ "2026-00-10T00:00:00Z", 0, "no such date" },
		{ "2026-02-29T00:00:00Z", 0, "no such date" },
		{ "1900-02-29T00:00:00Z", 0, "no such date" },
		{ "2026-04-31T00:00:00Z", 0, "no such date" },
		{ "2026-12-31T24:00:00Z", 0, "no such time" },
		{ "2026-12-31T23:60:00Z", 0, "no such time" },
		{ "2026-12-31T23:59:61Z", 0, "no such time" },
	};
	struct rw_err err;
	int64_t t;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		rw_err_clear(&err);
		t = 42;
		rc = rw_parse_time(cases[i].in, &t, &err);
		if (cases[i].err == NULL && (rc != RW_OK || t != cases[i].t))
			fail_msg("\"%s\": rc %d, %lld (%s)", cases[i].in, rc,
			    (long long)t, err.msg);
		if (cases[i].err != NULL && (rc != RW_EINVAL || t != 42 ||
		    strcmp(err.msg, cases[i].err) != 0))
			fail_msg("\"%s\": rc %d, \"%s\"", cases[i].in, rc,
			    err.msg);
	}
}

/* What `regwarden exceptions add --repo` stores, checked as rules are. */
static void
test_glob_canon(void **state)
{
	struct rw_err err;
	char out[600], small[8];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(policy_glob_canon("index.docker.io/acme/*", out,
	    sizeof(out), &err), RW_OK);
	assert_string_equal(out, "docker.io/acme/*");
	assert_int_equal(policy_glob_canon("ghcr.io/acme/api", out,
	    sizeof(out), &err), RW_OK);
	assert_string_equal(out, "ghcr.io/acme/api");
	assert_int_equal(policy_glob_canon("acme/api", out, sizeof(out),
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "pattern \"acme/api\": must start with a "
	    "registry host, as in \"docker.io/acme/api\" (\"acme\" is not a "
	    "host name)");
	rw_err_clear(&err);
	assert_int_equal(policy_glob_canon("ghcr.io/acme/api", small,
	    sizeof(small), &err), RW_EINVAL);
	assert_string_equal(err.msg, "pattern is too long");
}

/*
 * Findings with long ids, packages and versions: fewer are named, the rest
 * counted, and the advice at the end survives whole.
 */
static void
test_long_findings(void **state)
{
	static const char id[] = "GHSA-0000-0000-0000-000000000000000000000000"
	    "0000000000000000";
	static const char pkg[] = "github.com/example/a-very-long-module-name-"
	    "for-testing/v2";
	static const char ver[] = "v0.0.0-20240101000000-0123456789abcdef0123"
	    "456789abcdef";
	struct policy_finding f[5];
	const struct policy_scan sc = { "grype", "0.74.0", NULL, NOW, f, 5,
	    NULL, 0 };
	struct policy *p = load_scan();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	const char *tail = "; scanned 2025-06-15T15:06:40Z by grype 0.74.0; "
	    "upgrade the packages, or ask for an exception: regwarden "
	    "exceptions add GHSA-0000-0000-0000-000000000000000000000000"
	    "0000000000000000 --repo registry.example.com/sev/api --expires "
	    "30d --reason \"<why>\"";
	const char *text;
	size_t i, n;

	(void)state;
	for (i = 0; i < 5; i++) {
		f[i].id = id;
		f[i].pkg = pkg;
		f[i].installed = ver;
		f[i].fixed = ver;
		f[i].severity = CRIT;
		f[i].fixable = 1;
	}
	memset(&q, 0, sizeof(q));
	q.op = PULL;
	q.host = "registry.example.com";
	q.repo = "sev/api";
	q.digest = DA;
	q.scan = &sc;
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, DENY);
	text = v.reasons[v.nreasons - 1].text;
	assert_string_equal(v.reasons[v.nreasons - 1].check,
	    "scan.max_severity");
	n = strlen(text);
	assert_true(n > strlen(tail) && n <= 511);
	assert_string_equal(text + n - strlen(tail), tail);
	/* The first finding alone does not fit whole: it is shortened. */
	assert_string_equal(text, "5 findings above high: GHSA-0000-0000-0000-"
	    "0000000000000000000000000000000000000000 (critical, github.com/"
	    "example/a-very-long-module-name-for-testing/v2 v0.0.0-2024010100"
	    "0000-0123456789abcdef0123456789abcdef \xe2\x86\x92 v0.0.0-20240"
	    "101000000-012... and 4 more; scanned 2025-06-15T15:06:40Z by gry"
	    "pe 0.74.0; upgrade the packages, or ask for an exception: regwar"
	    "den exceptions add GHSA-0000-0000-0000-0000000000000000000000000"
	    "000000000000000 --repo registry.example.com/sev/api --expires 30"
	    "d --reason \"<why>\"");
	policy_free(p);
}

/* Exceptions and findings without the optional strings. */
static void
test_sparse_inputs(void **state)
{
	static const struct policy_finding f[] = {
		{ NULL, NULL, NULL, NULL, CRIT, 0 },
	};
	static const struct policy_exception x[] = {
		{ NULL, NULL, "**", Y2026, NULL, NULL, 0 },
		{ "CVE-1", NULL, NULL, Y2026, NULL, NULL, 0 },
	};
	const struct policy_scan sc = { NULL, NULL, NULL, NOW, f, N(f),
	    NULL, 0 };
	struct policy *p = load_scan();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = PULL;
	q.host = "registry.example.com";
	q.repo = "sev/api";
	q.tag = "1";
	q.digest = DA;
	q.scan = &sc;
	q.exceptions = x;
	q.nexceptions = N(x);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_string_equal(v.message, "regwarden: registry.example.com/sev/ap"
	    "i:1 refused by rule \"sev-high\" (scan.json:6): 1 finding above "
	    "high: (no id) (critical, (no package) \xe2\x86\x92 no fix); "
	    "scanned 2025-06-15T15:06:40Z by an unknown scanner; upgrade the "
	    "packages, or ask for an exception: regwarden exceptions add <id> "
	    "--repo registry.example.com/sev/api --expires 30d --reason "
	    "\"<why>\". Ask #security in chat.");
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_glob_canon),
		cmocka_unit_test(test_long_findings),
		cmocka_unit_test(test_sparse_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
