/* test_att_bundle.c - attestations carried by Sigstore bundles (cosign v3,
 * OCI referrers): a rule's "attestations" judged over a real public-good
 * bundle holding a SLSA provenance statement in a DSSE envelope. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture is the sigstore-conformance case happy-path-intoto-in-dsse-v3
 * (tests/fixtures/sigstore-conformance, with its provenance there): a
 * keyless signature by the conformance suite's GitHub workflow, logged in
 * the public-good Rekor, over an in-toto statement about a.txt.  Its
 * subject stands in for an image digest here.  Messages are compared whole.
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
#include "policy/sig/sig.h"
#include "util/util.h"
#include "tests/testutil.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define FIX	RW_SOURCE_DIR "/tests/fixtures/sigstore-conformance"
#define BUNDLE	FIX "/bundle-verify/happy-path-intoto-in-dsse-v3/" \
	"bundle.sigstore.json"
/* 2026-01-01T00:00:00Z: after the fixture was logged. */
#define NOW	INT64_C(1767225600)
#define SUBJ	"sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a" \
	"30d56efa01bf"
#define OTHER	"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"bbbb"
#define SUBJECT	"https://github.com/sigstore-conformance/" \
	"extremely-dangerous-public-oidc-beacon/.github/workflows/" \
	"extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define ISSUER	"https://token.actions.githubusercontent.com"

static struct policy *pol;
static char *bundle;
static size_t blen;

static int
setup(void **state)
{
	static const char text[] =
	    "{ \"version\": 1,\n"
	    "  \"keys\": {\n"
	    "    \"gh\": { \"keyless\": { \"trusted_root\": \"" FIX
	    "/trusted_root.public-good.json\", \"issuer\": \"" ISSUER "\", "
	    "\"subject\": \"" SUBJECT "\" } },\n"
	    "    \"other\": { \"keyless\": { \"trusted_root\": \"" FIX
	    "/trusted_root.public-good.json\", \"issuer\": \"" ISSUER "\", "
	    "\"subject\": \"https://github.com/acme/app/.github/workflows/"
	    "build.yml@refs/heads/main\" } } },\n"
	    "  \"rules\": [\n"
	    "    { \"name\": \"prov\", \"match\": \"docker.io/acme/*\",\n"
	    "      \"attestations\": [ { \"type\": \"slsaprovenance1\", "
	    "\"keys\": [\"gh\"], \"conditions\": [ { \"path\": \"predicate."
	    "buildDefinition.externalParameters.workflow.repository\", "
	    "\"equals\": \"https://github.com/loosebazooka/aa-test\" } ] } ] },\n"
	    "    { \"name\": \"fork\", \"match\": \"docker.io/fork/*\",\n"
	    "      \"attestations\": [ { \"type\": \"slsaprovenance1\", "
	    "\"keys\": [\"gh\"], \"conditions\": [ { \"path\": \"predicate."
	    "buildDefinition.externalParameters.workflow.repository\", "
	    "\"equals\": \"https://github.com/acme/app\" } ] } ] },\n"
	    "    { \"name\": \"others\", \"match\": \"docker.io/others/*\",\n"
	    "      \"attestations\": [ { \"type\": \"slsaprovenance1\", "
	    "\"keys\": [\"other\"] } ] },\n"
	    "    { \"name\": \"sbom\", \"match\": \"docker.io/sbom/*\",\n"
	    "      \"attestations\": [ { \"type\": \"sbom\", "
	    "\"keys\": [\"gh\"] } ] }\n"
	    "  ]\n"
	    "}\n";
	struct rw_diags d;
	struct rw_err err;

	(void)state;
	memset(&d, 0, sizeof(d));
	if (policy_load_text("bundle.json", text, sizeof(text) - 1, &pol, &d)
	    != RW_OK)
		fail_msg("bundle.json: %s", tu_render_diags(&d, 0));
	rw_err_clear(&err);
	if (rw_read_file(BUNDLE, 1024 * 1024, 0, &bundle, &blen, &err) != RW_OK)
		fail_msg("%s: %s", BUNDLE, err.msg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	policy_free(pol);
	free(bundle);
	return 0;
}

#define HEAD(repo, rule, line) "regwarden: docker.io/" repo "@" SUBJ \
	" refused by rule \"" rule "\" (bundle.json:" line "): "

static const struct {
	const char	*name;
	const char	*repo;
	const char	*digest;
	int		 tamper;	/* flip a byte of the DSSE signature */
	const char	*media_type;
	int		 kind;
	const char	*message;	/* NULL: allowed */
} rows[] = {
	{ "provenance by the workflow", "acme/app", SUBJ, 0,
	    SIG_BUNDLE_MEDIA_V03, VERDICT_ALLOW, NULL },
	{ "another repository", "fork/app", SUBJ, 0, SIG_BUNDLE_MEDIA_V03,
	    VERDICT_DENY, HEAD("fork/app", "fork", "8") "no SLSA provenance by "
	    "a trusted signer (found: 1 provenance by gh, predicate."
	    "buildDefinition.externalParameters.workflow.repository "
	    "https://github.com/loosebazooka/aa-test does not equal "
	    "https://github.com/acme/app)." },
	{ "another identity", "others/app", SUBJ, 0, SIG_BUNDLE_MEDIA_V03,
	    VERDICT_DENY, HEAD("others/app", "others", "10") "no SLSA "
	    "provenance by a trusted signer (found: 1 provenance by an "
	    "untrusted signer)." },
	{ "another type", "sbom/app", SUBJ, 0, SIG_BUNDLE_MEDIA_V03,
	    VERDICT_DENY, HEAD("sbom/app", "sbom", "12") "no SBOM by a "
	    "trusted signer (found: none)." },
	{ "tampered signature", "acme/app", SUBJ, 1, SIG_BUNDLE_MEDIA_V03,
	    VERDICT_DENY, HEAD("acme/app", "prov", "6") "no SLSA provenance "
	    "by a trusted signer (found: 1 provenance by an untrusted "
	    "signer)." },
	{ "not a bundle's media type", "acme/app", SUBJ, 0,
	    "application/octet-stream", VERDICT_DENY, HEAD("acme/app", "prov",
	    "6") "no SLSA provenance by a trusted signer (found: none)." },
};

static void
test_eval(void **state)
{
	struct policy_att_input in;
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	char *copy, *at;
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		copy = malloc(blen + 1);
		assert_non_null(copy);
		memcpy(copy, bundle, blen);
		copy[blen] = '\0';
		if (rows[i].tamper) {
			at = strstr(copy, "\"sig\"");
			assert_non_null(at);
			at = strchr(at + 5, '"');
			at[3] = at[3] == 'A' ? 'B' : 'A';
		}
		memset(&in, 0, sizeof(in));
		in.envelope = copy;
		in.elen = blen;
		in.media_type = rows[i].media_type;
		in.origin = "Sigstore bundle 0123456789ab";
		memset(&q, 0, sizeof(q));
		q.op = POLICY_OP_PULL;
		q.host = "docker.io";
		q.repo = rows[i].repo;
		q.digest = rows[i].digest;
		q.atts = &in;
		q.natts = 1;
		q.atts_gathered = 1;
		rw_err_clear(&err);
		assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_OK);
		if (v.kind != rows[i].kind)
			fail_msg("%s: %s: %s", rows[i].name,
			    verdict_name(v.kind), v.message);
		if (rows[i].message != NULL && strcmp(v.message,
		    rows[i].message) != 0)
			fail_msg("%s:\nwant %s\ngot  %s", rows[i].name,
			    rows[i].message, v.message);
		free(copy);
	}
}

/* A statement about another artifact, by the trusted workflow. */
static void
test_other_digest(void **state)
{
	struct policy_att_input in;
	struct admission_req q;
	struct verdict v;
	struct rw_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.envelope = bundle;
	in.elen = blen;
	in.media_type = SIG_BUNDLE_MEDIA_V03;
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "acme/app";
	q.digest = OTHER;
	q.atts = &in;
	q.natts = 1;
	q.atts_gathered = 1;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(v.message, "regwarden: docker.io/acme/app@" OTHER
	    " refused by rule \"prov\" (bundle.json:6): no SLSA provenance by "
	    "a trusted signer (found: 1 provenance by gh, for another image ("
	    SUBJ ")).");
}

/* The statement a verified bundle carries, and none from a non-DSSE one. */
static void
test_statement(void **state)
{
	char *st = NULL;
	size_t len = 0;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_statement(bundle, blen, &st, &len, &err),
	    RW_OK);
	assert_int_equal(strlen(st), len);
	assert_non_null(strstr(st, "\"predicateType\":\"https://slsa.dev/"
	    "provenance/v1\""));
	free(st);
	assert_int_equal(sig_bundle_statement("{\"messageSignature\":{}}", 23,
	    &st, &len, &err), RW_EPARSE);
	assert_null(st);
	assert_string_equal(err.msg, "the bundle holds no DSSE envelope");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_other_digest),
		cmocka_unit_test(test_statement),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
