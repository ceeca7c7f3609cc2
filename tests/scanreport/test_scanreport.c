/* test_scanreport.c - Trivy and Grype reports: real fixtures, refusals verbatim. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db/db.h"
#include "scanreport/scanreport.h"
#include "util/util.h"
#include "tests/testutil.h"

/* Real reports made by other tools, kept in tests/fixtures. */
#define FIXTURES	RW_SOURCE_DIR "/tests/fixtures/scan-reports/"

#define ALPINE_CONFIG "sha256:055936d3920576da37aa9bc460d70c5f212028bda1c08c0879aedf03d7a66ea1"
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

/* Scan report fixture NAME from tests/fixtures/scan-reports. */
static char *
slurp(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	return tu_slurp(path, len);
}

/* Parse TEXT, expecting CODE and, on failure, the message MSG. */
static void
refused(const char *text, size_t len, int code, const char *msg)
{
	struct scanreport sr;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(text, len, &sr, &err), code);
	assert_string_equal(err.msg, msg);
	/* Nothing is left behind on failure. */
	assert_null(sr.chunks);
	assert_null(sr.findings);
	assert_null(sr.secrets);
	assert_int_equal(scanreport_report(&sr)->nfindings, 0);
	scanreport_cleanup(&sr);
}

static void
refused_str(const char *text, int code, const char *msg)
{
	refused(text, strlen(text), code, msg);
}

static const struct db_finding *
find(const struct db_scan_report *r, const char *id, const char *pkg)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		if (strcmp(r->findings[i].id, id) == 0 &&
		    strcmp(r->findings[i].pkg, pkg) == 0)
			return &r->findings[i];
	}
	fail_msg("no finding %s in %s", id, pkg);
	return NULL;
}

/* ------------------------------------------------------------- fixtures */

/*
 * Expected values computed once with python3 over the fixture files (per
 * severity counts of Results[].Vulnerabilities[] and matches[], fixable =
 * a fixed version or status "fixed") and sha256sum, then pinned here.
 */
static const struct {
	const char	*file;
	const char	*scanner, *version, *db_version, *artifact;
	int64_t		 scanned_at;
	size_t		 n;
	size_t		 counts[DB_SEV_COUNT];	/* unknown .. critical */
	size_t		 fixable;
	const char	*digests;	/* "kind digest ..." */
	const char	*sha;
} fixtures[] = {
	{ "trivy-alpine-39.json", "trivy", "dev", "",
	  "testdata/fixtures/images/alpine-39.tar.gz", 1629894030, 6,
	  { 0, 0, 0, 4, 0, 2 }, 6, "config " ALPINE_CONFIG,
	  "sha256:cad7a3950b281daededa6dc18cc4e88cc0ba974b61ed072dbb0f104b8f1bd443" },
	{ "trivy-alpine-39-high-critical.json", "trivy", "dev", "",
	  "testdata/fixtures/images/alpine-39.tar.gz", 1629894030, 2,
	  { 0, 0, 0, 0, 0, 2 }, 2, "config " ALPINE_CONFIG,
	  "sha256:36f1abc789afe452464a9bb14a20afc292d570f7c3ef0107f4ac226f5f3052b0" },
	{ "trivy-alpine-39-ignore-cveids.json", "trivy", "dev", "",
	  "testdata/fixtures/images/alpine-39.tar.gz", 1629894030, 2,
	  { 0, 0, 0, 2, 0, 0 }, 2, "config " ALPINE_CONFIG,
	  "sha256:8c84ee8dfd2e1b35bbde888111d274a5b930d9b7a43b2f1fb84b5ea7616cfd09" },
	{ "trivy-alpine-distroless.json", "trivy", "dev", "",
	  "testdata/fixtures/images/alpine-distroless.tar.gz", 1629894030, 1,
	  { 0, 0, 0, 1, 0, 0 }, 1, "config sha256:22848737c0d272ad5d7c7369d8ca"
	  "830a62929e63e38edcb22085139a6ae0688d",
	  "sha256:a567999ebb80b498298e42b1cc13242985442c99d8be082fc7a196b3cc40beed" },
	{ "trivy-centos-7.json", "trivy", "dev", "",
	  "testdata/fixtures/images/centos-7.tar.gz", 1629894030, 3,
	  { 0, 0, 2, 1, 0, 0 }, 2, "config sha256:f1cb7c7d58b73eac859c395882ee"
	  "c49d50651244e342cd6c68a5c7809785f427",
	  "sha256:0f9688818062290bee9e752288ce16b0f95acf1ab3aa003204b4d5bddbd4baf6" },
	{ "grype-imgs.json", "grype", "[not provided]", "", "user-input", -1, 2,
	  { 0, 0, 1, 0, 0, 1 }, 1, "manifest sha256:ca738abb87a8d58f112d3400ebb0"
	  "79b61ceae7dc290beb34bda735be4b1941d5 config sha256:ab5608d634db2716a2"
	  "97adbfa6a5dd5d8f8f5a7d0cab73649ea7fbb8c8da544f",
	  "sha256:e4d1464de2711dde20a1975595949f361ae253fc44f814f2d2e8cb52d27e4077" },
};

static const char *
kind_name(int kind)
{
	return kind == DB_DIGEST_MANIFEST ? "manifest" :
	    kind == DB_DIGEST_CONFIG ? "config" :
	    kind == DB_DIGEST_INDEX ? "index" : "?";
}

static void
check_fixture(size_t k)
{
	const struct db_scan_report *r;
	size_t counts[DB_SEV_COUNT], len, i, fixable = 0;
	struct scanreport sr;
	struct rw_err err;
	char digests[512] = "";
	char *text;

	text = slurp(fixtures[k].file, &len);
	rw_err_clear(&err);
	if (scanreport_parse(text, len, &sr, &err) != RW_OK)
		fail_msg("%s: %s", fixtures[k].file, err.msg);
	r = scanreport_report(&sr);
	assert_string_equal(r->scanner, fixtures[k].scanner);
	assert_string_equal(r->scanner_version, fixtures[k].version);
	assert_string_equal(r->db_version, fixtures[k].db_version);
	assert_string_equal(r->artifact, fixtures[k].artifact);
	assert_int_equal(r->scanned_at, fixtures[k].scanned_at);
	assert_string_equal(r->report_digest, fixtures[k].sha);
	assert_int_equal(r->nfindings, fixtures[k].n);
	scanreport_counts(r, counts);
	for (i = 0; i < DB_SEV_COUNT; i++) {
		if (counts[i] != fixtures[k].counts[i])
			fail_msg("%s: %zu %s findings, expected %zu",
			    fixtures[k].file, counts[i], scanreport_sev_name(
			    (int)i), fixtures[k].counts[i]);
	}
	for (i = 0; i < r->nfindings; i++)
		fixable += r->findings[i].fixable != 0;
	assert_int_equal(fixable, fixtures[k].fixable);
	for (i = 0; i < r->ndigests; i++)
		snprintf(digests + strlen(digests), sizeof(digests) -
		    strlen(digests), "%s%s %s", i > 0 ? " " : "",
		    kind_name(r->digest_kinds[i]), r->digests[i]);
	assert_string_equal(digests, fixtures[k].digests);
	scanreport_cleanup(&sr);
	free(text);
}

static void
test_fixtures(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(fixtures) / sizeof(fixtures[0]); k++)
		check_fixture(k);
}

/* Field by field, one finding of each scanner. */
static void
test_fixture_fields(void **state)
{
	const struct db_scan_report *r;
	const struct db_finding *f;
	struct scanreport sr;
	struct rw_err err;
	size_t len;
	char *text;

	(void)state;
	text = slurp("trivy-centos-7.json", &len);
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(text, len, &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	f = find(r, "CVE-2019-18276", "bash");
	assert_string_equal(f->installed, "4.2.46-31.el7");
	assert_string_equal(f->fixed, "");
	assert_string_equal(f->status, "will_not_fix");
	assert_int_equal(f->severity, DB_SEV_LOW);
	assert_int_equal(f->fixable, 0);
	f = find(r, "CVE-2019-1559", "openssl-libs");
	assert_string_equal(f->installed, "1:1.0.2k-16.el7");
	assert_string_equal(f->fixed, "1:1.0.2k-19.el7");
	assert_string_equal(f->status, "fixed");
	assert_int_equal(f->severity, DB_SEV_MEDIUM);
	assert_int_equal(f->fixable, 1);
	scanreport_cleanup(&sr);
	free(text);

	text = slurp("grype-imgs.json", &len);
	assert_int_equal(scanreport_parse(text, len, &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	f = find(r, "CVE-1999-0001", "package-1");
	assert_string_equal(f->installed, "1.1.1");
	assert_string_equal(f->fixed, "1.2.1, 2.1.3, 3.4.0");
	assert_string_equal(f->status, "fixed");
	assert_int_equal(f->severity, DB_SEV_LOW);
	assert_int_equal(f->fixable, 1);
	f = find(r, "CVE-1999-0002", "package-2");
	assert_string_equal(f->installed, "2.2.2");
	assert_string_equal(f->fixed, "");
	assert_string_equal(f->status, "");
	assert_int_equal(f->severity, DB_SEV_CRITICAL);
	assert_int_equal(f->fixable, 0);
	scanreport_cleanup(&sr);
	free(text);
}

static void
test_fixture_no_digest(void **state)
{
	size_t len;
	char *text;

	(void)state;
	text = slurp("grype-empty.json", &len);
	refused(text, len, RW_EPARSE, "the report names no image digest");
	free(text);
}

/* ------------------------------------------------------------ refusals */

#define TRIVY_HEAD "{\"SchemaVersion\": 2, \"Metadata\": {\"ImageID\": \"" D1 "\"}, "

static void
test_malformed(void **state)
{
	static const struct {
		const char	*text;
		int		 code;
		const char	*msg;
	} rows[] = {
		{ "", RW_EPARSE, "not JSON at byte 0: '[' or '{' expected near "
		  "end of file" },
		{ "{\"SchemaVersion\": 2, \"Results\": [", RW_EPARSE,
		  "not JSON at byte 33: ']' expected near end of file" },
		{ "{\"a\": 1} x", RW_EPARSE, "not JSON at byte 10: end of file "
		  "expected near 'x'" },
		{ "{\"SchemaVersion\": 2, \"SchemaVersion\": 2}", RW_EPARSE,
		  "not JSON at byte 36: duplicate object key near '\"SchemaVersion\"'" },
		{ "[]", RW_EUNSUPPORTED, "not a Trivy (SchemaVersion 2) or Grype "
		  "report" },
		{ "{\"bomFormat\": \"CycloneDX\"}", RW_EUNSUPPORTED, "not a Trivy "
		  "(SchemaVersion 2) or Grype report" },
		{ "{\"SchemaVersion\": 1, \"Results\": []}", RW_EUNSUPPORTED,
		  "Trivy report SchemaVersion 1 is not supported (expected 2)" },
		{ "{\"SchemaVersion\": 3}", RW_EUNSUPPORTED, "Trivy report "
		  "SchemaVersion 3 is not supported (expected 2)" },
		{ "{\"SchemaVersion\": \"2\"}", RW_EPARSE,
		  "SchemaVersion: expected an integer" },
		{ TRIVY_HEAD "\"Results\": [{}, {}, {\"Vulnerabilities\": null}, "
		  "{\"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-1\", "
		  "\"PkgName\": \"p\", \"Severity\": 4}]}]}", RW_EPARSE,
		  "Results[3].Vulnerabilities[0].Severity: expected a string" },
		{ TRIVY_HEAD "\"Results\": {}}", RW_EPARSE,
		  "Results: expected an array" },
		{ TRIVY_HEAD "\"Results\": [\"x\"]}", RW_EPARSE,
		  "Results[0]: expected an object" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": {}}]}", RW_EPARSE,
		  "Results[0].Vulnerabilities: expected an array" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": [7]}]}", RW_EPARSE,
		  "Results[0].Vulnerabilities[0]: expected an object" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": [{\"PkgName\": "
		  "\"p\"}]}]}", RW_EPARSE, "Results[0].Vulnerabilities[0]."
		  "VulnerabilityID: expected a non-empty string" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": [{"
		  "\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"\"}]}]}",
		  RW_EPARSE, "Results[0].Vulnerabilities[0].PkgName: expected a "
		  "non-empty string" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": [{"
		  "\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"p\", "
		  "\"FixedVersion\": [\"1\"]}]}]}", RW_EPARSE,
		  "Results[0].Vulnerabilities[0].FixedVersion: expected a string" },
		{ TRIVY_HEAD "\"Results\": [{\"Vulnerabilities\": [{"
		  "\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"p\", "
		  "\"Severity\": \"SEVERE\"}]}]}", RW_EPARSE,
		  "Results[0].Vulnerabilities[0].Severity: unknown severity "
		  "\"SEVERE\"" },
		{ "{\"SchemaVersion\": 2, \"Metadata\": {\"ImageID\": "
		  "\"sha256:12\"}}", RW_EPARSE,
		  "Metadata.ImageID: \"sha256:12\" is not a digest" },
		{ "{\"SchemaVersion\": 2, \"Metadata\": {\"RepoDigests\": "
		  "[\"ghcr.io/a/b@sha256:zz\"]}}", RW_EPARSE,
		  "Metadata.RepoDigests[0]: \"sha256:zz\" is not a digest" },
		{ "{\"SchemaVersion\": 2, \"Metadata\": {\"RepoDigests\": "
		  "\"a@" D1 "\"}}", RW_EPARSE,
		  "Metadata.RepoDigests: expected an array" },
		{ "{\"SchemaVersion\": 2, \"Metadata\": []}", RW_EPARSE,
		  "Metadata: expected an object" },
		{ TRIVY_HEAD "\"CreatedAt\": \"yesterday\"}", RW_EPARSE,
		  "CreatedAt: \"yesterday\" is not an RFC 3339 time" },
		{ TRIVY_HEAD "\"Trivy\": {\"Version\": 50}}", RW_EPARSE,
		  "Trivy.Version: expected a string" },
		{ "{\"SchemaVersion\": 2, \"Results\": []}", RW_EPARSE,
		  "the report names no image digest" },
		{ "{\"matches\": {}}", RW_EPARSE, "matches: expected an array" },
		{ "{\"descriptor\": {\"name\": \"grype\"}}", RW_EPARSE,
		  "matches: expected an array" },
		{ "{\"matches\": [{\"vulnerability\": {\"id\": \"CVE-1\"}}]}",
		  RW_EPARSE, "matches[0].artifact: expected an object" },
		{ "{\"matches\": [{\"artifact\": {\"name\": \"p\"}, "
		  "\"vulnerability\": {\"id\": \"CVE-1\", \"fix\": {\"versions\": "
		  "[\"1\", 2]}}}]}", RW_EPARSE,
		  "matches[0].vulnerability.fix.versions[1]: expected a string" },
		{ "{\"matches\": [{\"artifact\": {\"name\": \"p\"}, "
		  "\"vulnerability\": {\"id\": \"CVE-1\", \"severity\": "
		  "\"Moderate\"}}]}", RW_EPARSE, "matches[0].vulnerability."
		  "severity: unknown severity \"Moderate\"" },
		{ "{\"matches\": [], \"source\": {\"type\": \"image\", \"target\": "
		  "{\"manifestDigest\": \"" D1 "x\"}}}", RW_EPARSE,
		  "source.target.manifestDigest: \"" D1 "x\" is not a digest" },
		{ "{\"matches\": [], \"source\": {\"target\": {\"imageID\": \"" D1
		  "\"}}, \"descriptor\": {\"timestamp\": \"2024-13-01T00:00:00Z\"}}",
		  RW_EPARSE, "descriptor.timestamp: \"2024-13-01T00:00:00Z\" is not "
		  "an RFC 3339 time" },
		{ "{\"matches\": [], \"source\": {\"type\": \"directory\", "
		  "\"target\": \"/src\"}}", RW_EPARSE,
		  "the report names no image digest" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		refused_str(rows[i].text, rows[i].code, rows[i].msg);
}

static void
test_truncated_fixture(void **state)
{
	size_t len;
	char *text, want[128];

	(void)state;
	text = slurp("trivy-alpine-39.json", &len);
	snprintf(want, sizeof(want), "not JSON at byte %zu: string or '}' "
	    "expected near end of file", len / 2);
	/* Cut in the middle of the findings. */
	refused(text, len / 2, RW_EPARSE, want);
	free(text);
}

static void
test_too_big(void **state)
{
	char *big;

	(void)state;
	big = calloc(1, SCANREPORT_MAX_BYTES + 1);
	assert_non_null(big);
	/* Refused on size alone, before a byte is read. */
	refused(big, SCANREPORT_MAX_BYTES + 1, RW_ETOOBIG,
	    "report is larger than 64 MiB");
	free(big);
}

/* A Trivy report with N findings, all different. */
static char *
many_findings(size_t n)
{
	struct rw_buf b;
	size_t i;

	rw_buf_init(&b, SCANREPORT_MAX_BYTES);
	assert_int_equal(rw_buf_addf(&b, "%s\"Results\": [{\"Vulnerabilities\": [",
	    TRIVY_HEAD), RW_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(rw_buf_addf(&b, "%s{\"VulnerabilityID\":\"C%zu\","
		    "\"PkgName\":\"p\"}", i > 0 ? "," : "", i), RW_OK);
	assert_int_equal(rw_buf_addf(&b, "]}]}"), RW_OK);
	return rw_buf_steal(&b, NULL);
}

static void
test_too_many_findings(void **state)
{
	struct scanreport sr;
	struct rw_err err;
	char *text;

	(void)state;
	text = many_findings(SCANREPORT_MAX_FINDINGS);
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(text, strlen(text), &sr, &err), RW_OK);
	assert_int_equal(scanreport_report(&sr)->nfindings,
	    SCANREPORT_MAX_FINDINGS);
	scanreport_cleanup(&sr);
	free(text);
	text = many_findings(SCANREPORT_MAX_FINDINGS + 1);
	refused_str(text, RW_ETOOBIG, "report has more than 200000 findings");
	free(text);
}

static void
test_too_many_digests(void **state)
{
	struct scanreport sr;
	struct rw_buf b;
	struct rw_err err;
	size_t i;

	(void)state;
	rw_buf_init(&b, SCANREPORT_MAX_BYTES);
	assert_int_equal(rw_buf_addf(&b, "{\"SchemaVersion\": 2, \"Metadata\": "
	    "{\"RepoDigests\": ["), RW_OK);
	for (i = 0; i < SCANREPORT_MAX_DIGESTS; i++)
		assert_int_equal(rw_buf_addf(&b, "%s\"r@sha256:%064zx\"",
		    i > 0 ? "," : "", i), RW_OK);
	assert_int_equal(rw_buf_addf(&b, "]}}"), RW_OK);
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(b.data, b.len, &sr, &err), RW_OK);
	assert_int_equal(scanreport_report(&sr)->ndigests, SCANREPORT_MAX_DIGESTS);
	scanreport_cleanup(&sr);
	b.len -= 3;
	assert_int_equal(rw_buf_addf(&b, ",\"r@sha256:%064x\"]}}", 999), RW_OK);
	refused(b.data, b.len, RW_ETOOBIG,
	    "Metadata.RepoDigests[256]: more than 256 digests");
	rw_buf_free(&b);
}

/* ------------------------------------------------------------ semantics */

static void
test_severity_names(void **state)
{
	static const struct {
		const char	*name;
		int		 sev;
	} rows[] = {
		{ "UNKNOWN", DB_SEV_UNKNOWN }, { "Unknown", DB_SEV_UNKNOWN },
		{ "Negligible", DB_SEV_NEGLIGIBLE }, { "NEGLIGIBLE", DB_SEV_NEGLIGIBLE },
		{ "LOW", DB_SEV_LOW }, { "Low", DB_SEV_LOW },
		{ "MEDIUM", DB_SEV_MEDIUM }, { "Medium", DB_SEV_MEDIUM },
		{ "HIGH", DB_SEV_HIGH }, { "High", DB_SEV_HIGH },
		{ "CRITICAL", DB_SEV_CRITICAL }, { "Critical", DB_SEV_CRITICAL },
		{ "critical", DB_SEV_CRITICAL }, { "Moderate", -1 }, { "", -1 },
		{ "crit", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(scanreport_sev_parse(rows[i].name), rows[i].sev);
	assert_string_equal(scanreport_sev_name(DB_SEV_UNKNOWN), "unknown");
	assert_string_equal(scanreport_sev_name(DB_SEV_NEGLIGIBLE), "negligible");
	assert_string_equal(scanreport_sev_name(DB_SEV_CRITICAL), "critical");
	assert_string_equal(scanreport_sev_name(6), "?");
	assert_string_equal(scanreport_sev_name(-1), "?");
	/* The scale policy/ mirrors. */
	assert_int_equal(DB_SEV_UNKNOWN, 0);
	assert_int_equal(DB_SEV_CRITICAL, 5);
}

/* Repeats count once at their worst severity; fixable has two sources. */
static void
test_trivy_semantics(void **state)
{
	static const char text[] = "{\"SchemaVersion\": 2, "
	    "\"Trivy\": {\"Version\": \"0.50.1\"}, "
	    "\"ArtifactName\": \"ghcr.io/org/app:1.2\", "
	    "\"CreatedAt\": \"2024-03-01T10:00:00+01:00\", "
	    "\"Metadata\": {\"ImageID\": \"" D1 "\", \"RepoDigests\": "
	    "[\"ghcr.io/org/app@" D2 "\", \"mirror.io/org/app@" D2 "\", \"" D3
	    "\"]}, \"Results\": ["
	    "{\"Vulnerabilities\": ["
	    "{\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"a\", "
	    "\"InstalledVersion\": \"1\", \"Severity\": \"LOW\"},"
	    "{\"VulnerabilityID\": \"CVE-2\", \"PkgName\": \"a\", "
	    "\"InstalledVersion\": \"1\", \"Status\": \"fixed\"},"
	    "{\"VulnerabilityID\": \"CVE-3\", \"PkgName\": \"b\", "
	    "\"FixedVersion\": \"2.0, 3.1\", \"Status\": \"affected\"}]},"
	    "{\"Target\": \"app.jar\", \"Vulnerabilities\": ["
	    "{\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"a\", "
	    "\"InstalledVersion\": \"1\", \"Severity\": \"HIGH\"},"
	    "{\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"a\", "
	    "\"InstalledVersion\": \"2\", \"Severity\": \"MEDIUM\"}]}]}";
	const struct db_scan_report *r;
	const struct db_finding *f;
	struct scanreport sr;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(text, strlen(text), &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	assert_string_equal(r->scanner_version, "0.50.1");
	assert_string_equal(r->artifact, "ghcr.io/org/app:1.2");
	assert_int_equal(r->scanned_at, 1709283600);
	assert_int_equal(r->ndigests, 3);
	assert_string_equal(r->digests[0], D2);
	assert_int_equal(r->digest_kinds[0], DB_DIGEST_INDEX);
	assert_string_equal(r->digests[1], D3);
	assert_int_equal(r->digest_kinds[1], DB_DIGEST_INDEX);
	assert_string_equal(r->digests[2], D1);
	assert_int_equal(r->digest_kinds[2], DB_DIGEST_CONFIG);
	assert_int_equal(r->nfindings, 4);
	assert_string_equal(r->findings[0].id, "CVE-1");
	assert_int_equal(r->findings[0].severity, DB_SEV_HIGH);
	assert_int_equal(r->findings[0].fixable, 0);
	f = find(r, "CVE-2", "a");
	assert_int_equal(f->severity, DB_SEV_UNKNOWN);
	assert_int_equal(f->fixable, 1);
	f = find(r, "CVE-3", "b");
	assert_string_equal(f->installed, "");
	assert_string_equal(f->fixed, "2.0, 3.1");
	assert_int_equal(f->fixable, 1);
	assert_string_equal(r->findings[3].installed, "2");
	assert_int_equal(r->findings[3].severity, DB_SEV_MEDIUM);
	scanreport_cleanup(&sr);
	/* Cleanup leaves a zeroed struct that may be cleaned again. */
	scanreport_cleanup(&sr);
}

static void
test_grype_semantics(void **state)
{
	static const char v5[] = "{\"matches\": [], \"source\": {\"type\": "
	    "\"image\", \"target\": {\"userInput\": \"alpine:3.19\", "
	    "\"imageID\": \"" D1 "\", \"manifestDigest\": \"" D2 "\", "
	    "\"repoDigests\": [\"alpine@" D3 "\", \"alpine@" D2 "\"]}}, "
	    "\"descriptor\": {\"name\": \"grype\", \"version\": \"0.74.0\", "
	    "\"timestamp\": \"2024-03-01T10:00:00.123456789Z\", \"db\": {"
	    "\"built\": \"2024-02-29T01:23:45Z\", \"schemaVersion\": 5}}}";
	static const char v6[] = "{\"matches\": [], \"source\": {\"target\": {"
	    "\"imageID\": \"" D1 "\"}}, \"descriptor\": {\"name\": \"grype\", "
	    "\"version\": \"0.91.0\", \"db\": {\"status\": {\"schemaVersion\": "
	    "\"v6.0.2\", \"built\": \"2025-04-01T00:00:00Z\"}}}}";
	const struct db_scan_report *r;
	struct scanreport sr;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(v5, strlen(v5), &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	assert_string_equal(r->scanner, "grype");
	assert_string_equal(r->scanner_version, "0.74.0");
	assert_string_equal(r->db_version, "schema 5, built 2024-02-29T01:23:45Z");
	assert_string_equal(r->artifact, "alpine:3.19");
	assert_int_equal(r->scanned_at, 1709287200);
	assert_int_equal(r->nfindings, 0);
	/* The manifest digest is not repeated as an index digest. */
	assert_int_equal(r->ndigests, 3);
	assert_string_equal(r->digests[0], D2);
	assert_int_equal(r->digest_kinds[0], DB_DIGEST_MANIFEST);
	assert_string_equal(r->digests[1], D1);
	assert_int_equal(r->digest_kinds[1], DB_DIGEST_CONFIG);
	assert_string_equal(r->digests[2], D3);
	assert_int_equal(r->digest_kinds[2], DB_DIGEST_INDEX);
	scanreport_cleanup(&sr);

	assert_int_equal(scanreport_parse(v6, strlen(v6), &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	assert_string_equal(r->db_version,
	    "schema v6.0.2, built 2025-04-01T00:00:00Z");
	assert_int_equal(r->scanned_at, -1);
	scanreport_cleanup(&sr);
}

/* ---------------------------------------------------------------- secrets */

/* tests/scanreport/data/README.md says how this report was put together. */
static void
test_trivy_secrets(void **state)
{
	const struct db_scan_report *r;
	const struct db_secret *x;
	struct scanreport sr;
	struct rw_err err;
	size_t len, i;
	char *text;

	(void)state;
	text = tu_slurp(RW_SOURCE_DIR "/tests/scanreport/data/trivy-secrets.json",
	    &len);
	rw_err_clear(&err);
	assert_int_equal(scanreport_parse(text, len, &sr, &err), RW_OK);
	r = scanreport_report(&sr);
	/* The vulnerabilities are those of the report it was made from. */
	assert_int_equal(r->nfindings, 1);
	/* Sorted by file, rule, line; the repeated AWS finding kept once. */
	assert_int_equal(r->nsecrets, 3);
	x = &r->secrets[0];
	assert_string_equal(x->target, "/app/deploy.sh");
	assert_string_equal(x->rule_id, "aws-access-key-id");
	assert_string_equal(x->title, "AWS Access Key ID");
	assert_int_equal(x->line, 3);
	assert_int_equal(x->severity, DB_SEV_CRITICAL);
	assert_string_equal(r->secrets[1].rule_id, "github-pat");
	assert_int_equal(r->secrets[1].line, 5);
	x = &r->secrets[2];
	assert_string_equal(x->target, "/root/.ssh/id_rsa");
	assert_string_equal(x->title, "Asymmetric Private Key");
	assert_int_equal(x->severity, DB_SEV_HIGH);
	/* No byte of a match is kept, redacted or not. */
	for (i = 0; i < r->nsecrets; i++) {
		assert_null(strstr(r->secrets[i].target, "SENTINEL"));
		assert_null(strstr(r->secrets[i].title, "SENTINEL"));
		assert_null(strstr(r->secrets[i].rule_id, "SENTINEL"));
	}
	scanreport_cleanup(&sr);
	free(text);
}

#define SECRETS_HEAD "{\"SchemaVersion\": 2, \"Metadata\": {\"ImageID\": \"" D1 \
	"\"}, \"Results\": [{\"Target\": \"x\"}, "

static void
test_trivy_secrets_malformed(void **state)
{
	(void)state;
	refused_str(SECRETS_HEAD "{\"Secrets\": {}}]}", RW_EPARSE,
	    "Results[1].Secrets: expected an array");
	refused_str(SECRETS_HEAD "{\"Secrets\": [{\"RuleID\": \"r\"}]}]}",
	    RW_EPARSE, "Results[1].Target: expected a non-empty string");
	refused_str(SECRETS_HEAD "{\"Target\": \"/a\", \"Secrets\": [{}]}]}",
	    RW_EPARSE, "Results[1].Secrets[0].RuleID: expected a non-empty "
	    "string");
	refused_str(SECRETS_HEAD "{\"Target\": \"/a\", \"Secrets\": [{\"RuleID\": "
	    "\"r\", \"StartLine\": \"3\"}]}]}", RW_EPARSE,
	    "Results[1].Secrets[0].StartLine: expected a line number");
	refused_str(SECRETS_HEAD "{\"Target\": \"/a\", \"Secrets\": [{\"RuleID\": "
	    "\"r\", \"Severity\": \"SEVERE\"}]}]}", RW_EPARSE,
	    "Results[1].Secrets[0].Severity: unknown severity \"SEVERE\"");
	refused_str(SECRETS_HEAD "{\"Target\": \"/a\", \"Secrets\": [7]}]}",
	    RW_EPARSE, "Results[1].Secrets[0]: expected an object");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixture_fields),
		cmocka_unit_test(test_fixture_no_digest),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_fixture),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_too_many_findings),
		cmocka_unit_test(test_too_many_digests),
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_trivy_semantics),
		cmocka_unit_test(test_grype_semantics),
		cmocka_unit_test(test_trivy_secrets),
		cmocka_unit_test(test_trivy_secrets_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
