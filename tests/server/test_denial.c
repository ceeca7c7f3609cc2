/* test_denial.c - the answer plan for refused manifests, denial documents and their table. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "server/denial.h"
#include "tests/testutil.h"

#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"

static struct dverdict
verdict(int kind, const char *rule, const char *msg)
{
	struct dverdict v;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.line = 13;
	rw_strlcpy(v.rule, rule, sizeof(v.rule));
	rw_strlcpy(v.file, "/etc/regwarden/policy.json", sizeof(v.file));
	rw_strlcpy(v.message, msg, sizeof(v.message));
	return v;
}

/*
 * Every combination of method, reference kind, push and verdict: a
 * refusal or an error never serves the real manifest, and only a tag's
 * HEAD stands in a denial document.
 */
static void
test_plan_table(void **state)
{
	static const int kinds[] = { VERDICT_ALLOW, VERDICT_DENY, VERDICT_WARN,
		DV_ERROR, 7 };
	int head, dig, push, k, a, cases = 0;

	(void)state;
	for (head = 0; head <= 1; head++)
	for (dig = 0; dig <= 1; dig++)
	for (push = 0; push <= 1; push++)
	for (k = 0; k < 5; k++) {
		a = denial_plan(head, dig, push, kinds[k]);
		cases++;
		if (kinds[k] == DV_ERROR) {
			assert_int_equal(a, DENIAL_UNAVAILABLE);
		} else if (kinds[k] == VERDICT_DENY) {
			assert_int_equal(a, head && !dig && !push ?
			    DENIAL_SERVE_DOC : DENIAL_REFUSE);
		} else if (kinds[k] == 7) {
			assert_int_equal(a, DENIAL_REFUSE);
		} else {
			assert_int_equal(a, push ? DENIAL_FORWARD :
			    DENIAL_SERVE);
		}
	}
	assert_int_equal(cases, 40);
}

static int
doc_of(const char *ref, const char *rule, const char *msg, const char *rev,
    const char *mt, struct rw_buf *b, char digest[RW_DIGEST_MAX])
{
	struct dverdict v = verdict(VERDICT_DENY, rule, msg);
	struct denial_subject s = { "docker.io", "e2e/app", ref, mt, rev, &v };
	struct rw_err err;

	rw_err_clear(&err);
	return denial_doc(&s, b, digest, &err);
}

/* The exact bytes, so a change to the document is a change to a test. */
static void
test_doc_golden(void **state)
{
	struct rw_buf b;
	char d[RW_DIGEST_MAX], want[RW_DIGEST_MAX];

	(void)state;
	assert_int_equal(doc_of("latest", "apps", "regwarden: no", "sha256:ab",
	    OCI_MANIFEST, &b, d), RW_OK);
	assert_int_equal(b.len, strlen(b.data));
	assert_string_equal(b.data, "{\"annotations\":{"
	    "\"dev.regwarden.denial\":\"v1\","
	    "\"dev.regwarden.message-digest\":\"sha256:"
	    "1e559c83247bedc0c5e4d7dcc3791a00f80908793900cca853a121d383d434e3\","
	    "\"dev.regwarden.policy\":\"sha256:ab\","
	    "\"dev.regwarden.reference\":\"docker.io/e2e/app:latest\","
	    "\"dev.regwarden.rule\":\"apps\","
	    "\"dev.regwarden.verdict\":\"deny\"},"
	    "\"mediaType\":\"" OCI_MANIFEST "\",\"schemaVersion\":2}");
	assert_int_equal(rw_digest(RW_HASH_SHA256, b.data, b.len, want),
	    RW_OK);
	assert_string_equal(d, want);
	assert_true(denial_is_doc(b.data, b.len));
	rw_buf_free(&b);
}

/* Same subject, same bytes; each field that differs gives another one. */
static void
test_doc_deterministic_and_distinct(void **state)
{
	static const char *const v[][5] = {
		{ "latest", "apps", "regwarden: no", "sha256:ab", OCI_MANIFEST },
		{ "1.0", "apps", "regwarden: no", "sha256:ab", OCI_MANIFEST },
		{ "latest", "base", "regwarden: no", "sha256:ab", OCI_MANIFEST },
		{ "latest", "apps", "regwarden: no!", "sha256:ab", OCI_MANIFEST },
		{ "latest", "apps", "regwarden: no", "sha256:cd", OCI_MANIFEST },
		{ "latest", "apps", "regwarden: no", "sha256:ab",
		  "application/vnd.docker.distribution.manifest.v2+json" },
	};
	char d[6][RW_DIGEST_MAX], again[RW_DIGEST_MAX];
	struct rw_buf b;
	size_t i, j;

	(void)state;
	for (i = 0; i < 6; i++) {
		assert_int_equal(doc_of(v[i][0], v[i][1], v[i][2], v[i][3],
		    v[i][4], &b, d[i]), RW_OK);
		rw_buf_free(&b);
		assert_int_equal(doc_of(v[i][0], v[i][1], v[i][2], v[i][3],
		    v[i][4], &b, again), RW_OK);
		rw_buf_free(&b);
		assert_string_equal(d[i], again);
		for (j = 0; j < i; j++)
			assert_string_not_equal(d[i], d[j]);
	}
}

/* A real image manifest is never a denial document, and the document for
 * that very image's reference does not share its digest. */
static void
test_doc_never_a_real_manifest(void **state)
{
	char *m, real[RW_DIGEST_MAX], d[RW_DIGEST_MAX];
	struct rw_buf b;
	size_t len;

	(void)state;
	m = tu_slurp(RW_SOURCE_DIR "/tests/fixtures/cosign/"
	    "dir-img-cosign-valid/manifest.json", &len);
	assert_non_null(m);
	assert_false(denial_is_doc(m, len));
	assert_int_equal(rw_digest(RW_HASH_SHA256, m, len, real), RW_OK);
	assert_int_equal(doc_of(real, "apps", "regwarden: no", "sha256:ab",
	    OCI_MANIFEST, &b, d), RW_OK);
	assert_string_not_equal(d, real);
	assert_false(b.len == len && memcmp(b.data, m, len) == 0);
	rw_buf_free(&b);
	free(m);
	assert_false(denial_is_doc(NULL, 0));
	assert_false(denial_is_doc("{\"dev.regwarden.denial2\":1}", 26));
}

static void
test_doc_bad_args(void **state)
{
	struct dverdict v = verdict(VERDICT_DENY, "apps", "no");
	struct denial_subject s = { "docker.io", "e2e/app", NULL, OCI_MANIFEST,
		"", &v };
	char d[RW_DIGEST_MAX];
	struct rw_buf b;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(denial_doc(&s, &b, d, &err), RW_EINVAL);
	assert_string_equal(err.msg, "denial_doc: missing field");
}

/* Entries are scoped to upstream and repository, and expire. */
static void
test_table(void **state)
{
	struct denial_table *t = denial_table_new(64, 1000);
	struct dverdict v = verdict(VERDICT_DENY, "apps", "regwarden: no"),
	    out;
	char ref[200];
	const char *dg = "sha256:"
	    "1111111111111111111111111111111111111111111111111111111111111111";

	(void)state;
	assert_non_null(t);
	assert_false(denial_table_get(t, "hub", "e2e/app", dg, &out, ref,
	    sizeof(ref), 10));
	denial_table_put(t, "hub", "e2e/app", dg, "latest", &v, 10);
	assert_true(denial_table_get(t, "hub", "e2e/app", dg, &out, ref,
	    sizeof(ref), 500));
	assert_string_equal(out.message, "regwarden: no");
	assert_string_equal(ref, "latest");
	assert_int_equal(out.kind, VERDICT_DENY);
	assert_false(denial_table_get(t, "hub", "e2e/other", dg, &out, ref,
	    sizeof(ref), 500));
	assert_false(denial_table_get(t, "ghcr", "e2e/app", dg, &out, ref,
	    sizeof(ref), 500));
	assert_false(denial_table_get(t, "hub", "e2e/app", dg, &out, ref,
	    sizeof(ref), 1010));
	denial_table_free(t);
	denial_table_free(NULL);
	assert_null(denial_table_new(0, 1000));
}

/* Occurrences of NEEDLE in the file PATH (below the source tree). */
static int
count_in(const char *path, const char *needle)
{
	char full[1024], *text, *p;
	size_t len;
	int n = 0;

	snprintf(full, sizeof(full), "%s/%s", RW_SOURCE_DIR, path);
	text = tu_slurp(full, &len);
	assert_non_null(text);
	for (p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

/*
 * No path answers a manifest with a digest but the two that the plan
 * chooses: the real one (DENIAL_SERVE) and the denial document's.  A new
 * place that sets Docker-Content-Digest on a response, or calls
 * serve_manifest, fails here and must be reasoned about.
 */
static void
test_digest_answers_are_planned(void **state)
{
	static const char *const files[] = { "server/proxy.c",
		"server/proxy_upstream.c", "server/proxy_auth.c",
		"server/decide.c", "server/decide_gather.c", "server/front.c",
		"server/admin.c" };
	char *text, *serve, *call;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_int_equal(count_in(files[i], "\"Docker-Content-Digest\", "),
		    0);
	assert_int_equal(count_in("server/proxy_manifest.c",
	    "MHD_add_response_header(r, \"Docker-Content-Digest\""), 2);
	/* serve_manifest: one call, in the DENIAL_SERVE case of the plan. */
	assert_int_equal(count_in("server/proxy_manifest.c",
	    "serve_manifest(rq"), 1);
	text = tu_slurp(RW_SOURCE_DIR "/server/proxy_manifest.c", &len);
	assert_non_null(text);
	serve = strstr(text, "case DENIAL_SERVE:");
	call = strstr(text, "return serve_manifest(rq");
	assert_non_null(serve);
	assert_non_null(call);
	assert_true(call > serve && call - serve < 40);
	free(text);
	/* Relayed (undecided) manifest answers drop the upstream's digest. */
	assert_int_equal(count_in("server/proxy_upstream.c",
	    "strcasecmp(name, \"Docker-Content-Digest\") == 0"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_table),
		cmocka_unit_test(test_doc_golden),
		cmocka_unit_test(test_doc_deterministic_and_distinct),
		cmocka_unit_test(test_doc_never_a_real_manifest),
		cmocka_unit_test(test_doc_bad_args),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_digest_answers_are_planned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
