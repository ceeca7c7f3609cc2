/* test_vex.c - OpenVEX: product identifiers, documents parsed row by row,
 * and scan.vex suppressing findings in policy_eval. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Envelopes are made here as cosign writes an OpenVEX attestation (a DSSE
 * envelope over an in-toto statement whose predicate is the OpenVEX
 * document), signed with ECDSA P-256 keys OpenSSL generates: "ci" is
 * trusted for VEX by the policy, "stranger" is not.  Messages are compared
 * whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy/internal.h"
#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "util/util.h"
#include "tests/testutil.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW	INT64_C(1750000000)
#define HEX_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DA	"sha256:" HEX_A
#define DB	"sha256:" HEX_B
#define VEX02	"https://openvex.dev/ns/v0.2.0"
#define INTOTO	"application/vnd.in-toto+json"
#define PURL_A	"pkg:oci/app@sha256%3A" HEX_A "?repository_url=docker.io/acme/app"
#define PURL_B	"pkg:oci/app@sha256%3A" HEX_B "?repository_url=docker.io/acme/app"

static EVP_PKEY *k_ci, *k_stranger;
static struct policy *pol;

/* ------------------------------------------------------------ envelopes */

static char *
b64(const void *data, size_t len)
{
	char *out = malloc(len * 4 / 3 + 8);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* A DSSE envelope over an in-toto statement about HEX, signed by PK (NULL:
 * no signature at all). */
static char *
env_for(EVP_PKEY *pk, const char *hex, const char *ptype, const char *pred)
{
	unsigned char sig[256];
	size_t slen = sizeof(sig);
	char *st = NULL, *pae = NULL, *p64, *s64, *env = NULL;
	EVP_MD_CTX *ctx;
	int n;

	assert_true(asprintf(&st, "{\"_type\":\"https://in-toto.io/Statement/"
	    "v1\",\"subject\":[{\"name\":\"docker.io/acme/app\",\"digest\":"
	    "{\"sha256\":\"%s\"}}],\"predicateType\":\"%s\",\"predicate\":%s}",
	    hex, ptype, pred) > 0);
	n = asprintf(&pae, "DSSEv1 %zu %s %zu %s", strlen(INTOTO), INTOTO,
	    strlen(st), st);
	assert_true(n > 0);
	p64 = b64(st, strlen(st));
	if (pk == NULL) {
		assert_true(asprintf(&env, "{\"payloadType\":\"%s\",\"payload\":"
		    "\"%s\",\"signatures\":[]}", INTOTO, p64) > 0);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen,
	    (unsigned char *)pae, (size_t)n), 1);
	EVP_MD_CTX_free(ctx);
	s64 = b64(sig, slen);
	assert_true(asprintf(&env, "{\"payloadType\":\"%s\",\"payload\":\"%s\","
	    "\"signatures\":[{\"keyid\":\"\",\"sig\":\"%s\"}]}", INTOTO, p64,
	    s64) > 0);
	free(s64);
out:
	free(st);
	free(pae);
	free(p64);
	return env;
}

static void
pem_json(EVP_PKEY *pk, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n, i;
	size_t o = 0;

	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	for (i = 0; i < n && o + 3 < size; i++) {
		if (data[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = data[i];
	}
	out[o] = '\0';
	BIO_free(bio);
}

/* The rows cite these lines: keep the layout. */
static struct policy *
load_policy(void)
{
	char ci[1024], *text = NULL;
	struct policy *p = NULL;
	struct rw_diags d;
	int n;

	pem_json(k_ci, ci, sizeof(ci));
	n = asprintf(&text,
	    "{ \"version\": 1,\n"					/* 1 */
	    "  \"keys\": { \"ci\": { \"cosign\": \"%s\" } },\n"		/* 2 */
	    "  \"rules\": [\n"						/* 3 */
	    "    { \"name\": \"vexed\", \"match\": \"docker.io/acme/**\",\n"
	    "      \"scan\": { \"max_severity\": \"high\",\n"		/* 5 */
	    "                \"vex\": { \"keys\": [\"ci\"] } } },\n"	/* 6 */
	    "    { \"name\": \"plain\", \"match\": \"docker.io/plain/**\",\n"
	    "      \"scan\": { \"max_severity\": \"high\" } }\n"	/* 8 */
	    "  ]\n"
	    "}\n", ci);
	assert_true(n > 0);
	memset(&d, 0, sizeof(d));
	if (policy_load_text("vex.json", text, (size_t)n, &p, &d) != RW_OK)
		fail_msg("vex.json: %s", tu_render_diags(&d, 0));
	free(text);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	k_ci = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_stranger = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (k_ci == NULL || k_stranger == NULL)
		return -1;
	pol = load_policy();
	return pol == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	policy_free(pol);
	EVP_PKEY_free(k_ci);
	EVP_PKEY_free(k_stranger);
	return 0;
}

/* ---------------------------------------------------------- identifiers */

static const struct {
	const char	*id;
	int		 names;
} id_rows[] = {
	{ DA, 1 },
	{ PURL_A, 1 },
	{ "pkg:oci/app@sha256%3a" HEX_A, 1 },
	{ "pkg:oci/app@sha256:" HEX_A "#sub", 1 },
	{ "docker.io/acme/app@" DA, 1 },
	{ DB, 0 },
	{ PURL_B, 0 },
	{ "pkg:oci/app@sha256%3A" HEX_A "a", 0 },
	{ "pkg:oci/app@sha256%3A" HEX_A "%", 0 },
	{ "pkg:oci/app?repository_url=x@" DA, 0 },
	{ "pkg:oci/app", 0 },
	{ "pkg:deb/debian/openssl@" DA, 0 },
	{ "docker.io/acme/app:" DA, 0 },
	{ "", 0 },
};

static void
test_ids(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(id_rows); i++)
		if (policy_vex_id_names(id_rows[i].id, DA) != id_rows[i].names)
			fail_msg("row %zu: %s", i, id_rows[i].id);
}

/* ------------------------------------------------------------ documents */

#define DOC(stmts) "{\"@context\":\"" VEX02 "\",\"@id\":\"x\"," \
	"\"author\":\"ci\",\"timestamp\":\"2025-06-01T00:00:00Z\"," \
	"\"version\":1,\"statements\":[" stmts "]}"
#define ST(vuln, prods, rest) "{\"vulnerability\":{\"name\":\"" vuln "\"}," \
	"\"products\":[" prods "]," rest "}"
#define P(id)	"{\"@id\":\"" id "\"}"
#define NA	"\"status\":\"not_affected\",\"justification\":" \
	"\"vulnerable_code_not_in_execute_path\""

static const struct {
	const char	*name;
	const char	*doc;
	int		 rc;
	const char	*why;		/* rc -1 */
	size_t		 n;		/* statements */
	int		 applies;	/* of the first */
	int		 status;
	const char	*detail;	/* first: justification, impact,
					   other product or first package */
	int64_t		 ts;
} parse_rows[] = {
	{ "not_affected", DOC(ST("CVE-2024-0001", P(PURL_A), NA)), 0, NULL, 1,
	    1, POLICY_VEX_NOT_AFFECTED, "vulnerable_code_not_in_execute_path",
	    1748736000 },
	{ "affected", DOC(ST("CVE-2024-0001", P(PURL_A),
	    "\"status\":\"affected\",\"action_statement\":\"upgrade\"")), 0,
	    NULL, 1, 1, POLICY_VEX_AFFECTED, NULL, 1748736000 },
	{ "fixed", DOC(ST("CVE-2024-0001", P(DA), "\"status\":\"fixed\"")), 0,
	    NULL, 1, 1, POLICY_VEX_FIXED, NULL, 1748736000 },
	{ "under_investigation", DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"under_investigation\"")), 0, NULL, 1, 1,
	    POLICY_VEX_UNDER_INVESTIGATION, NULL, 1748736000 },
	{ "impact statement only", DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"not_affected\",\"impact_statement\":\"never "
	    "called\",\"timestamp\":\"2025-06-02T00:00:00Z\"")), 0, NULL, 1, 1,
	    POLICY_VEX_NOT_AFFECTED, "never called", 1748822400 },
	{ "wrong product", DOC(ST("CVE-2024-0001", P(PURL_B) "," P(DB), NA)),
	    0, NULL, 1, 0, POLICY_VEX_NOT_AFFECTED, PURL_B, 1748736000 },
	{ "product by hash", DOC(ST("CVE-2024-0001", "{\"@id\":\"app\","
	    "\"hashes\":{\"sha-256\":\"" HEX_A "\"}}", NA)), 0, NULL, 1, 1,
	    POLICY_VEX_NOT_AFFECTED, "vulnerable_code_not_in_execute_path",
	    1748736000 },
	{ "product by identifiers.purl", DOC(ST("CVE-2024-0001",
	    "{\"@id\":\"app\",\"identifiers\":{\"purl\":\"" PURL_A "\"}}", NA)),
	    0, NULL, 1, 1, POLICY_VEX_NOT_AFFECTED,
	    "vulnerable_code_not_in_execute_path", 1748736000 },
	{ "subcomponent", DOC(ST("CVE-2024-0001", "{\"@id\":\"" PURL_A "\","
	    "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl@3.0.1?arch="
	    "amd64\"}]}", NA)), 0, NULL, 1, 1, POLICY_VEX_NOT_AFFECTED,
	    "openssl", 1748736000 },
	{ "OpenVEX v0.0.1 strings", "{\"statements\":[{\"vulnerability\":"
	    "\"CVE-2024-0001\",\"products\":[\"" DA "\"],\"status\":"
	    "\"fixed\"}]}", 0, NULL, 1, 1, POLICY_VEX_FIXED, NULL, -1 },
	{ "no products", DOC("{\"vulnerability\":{\"name\":\"CVE-1\"},"
	    "\"status\":\"fixed\"}"), 0, NULL, 1, 0, POLICY_VEX_FIXED, NULL,
	    1748736000 },
	{ "empty", DOC(""), 0, NULL, 0, 0, 0, NULL, 0 },
	/* malformed: the whole document counts for nothing */
	{ "no statements", "{\"@context\":\"" VEX02 "\"}", -1,
	    "no statements array", 0, 0, 0, NULL, 0 },
	{ "statements not an array", "{\"statements\":{}}", -1,
	    "no statements array", 0, 0, 0, NULL, 0 },
	{ "statement not an object", DOC(ST("CVE-1", P(DA), NA) ",3"), -1,
	    "statements[1]: not an object", 0, 0, 0, NULL, 0 },
	{ "no vulnerability", DOC("{\"products\":[" P(DA) "]," NA "}"), -1,
	    "statements[0]: no vulnerability.name", 0, 0, 0, NULL, 0 },
	{ "empty vulnerability name", DOC(ST("", P(DA), NA)), -1,
	    "statements[0]: no vulnerability.name", 0, 0, 0, NULL, 0 },
	{ "unknown status", DOC(ST("CVE-1", P(DA), "\"status\":\"maybe\"")),
	    -1, "statements[0]: status \"maybe\" is none of not_affected, "
	    "affected, fixed, under_investigation", 0, 0, 0, NULL, 0 },
	{ "no status", DOC(ST("CVE-1", P(DA), "\"x\":1")), -1,
	    "statements[0]: status (missing) is none of not_affected, "
	    "affected, fixed, under_investigation", 0, 0, 0, NULL, 0 },
	{ "not_affected without why", DOC(ST("CVE-1", P(DA),
	    "\"status\":\"not_affected\"")), -1, "statements[0]: not_affected "
	    "without a justification or an impact_statement", 0, 0, 0, NULL,
	    0 },
	{ "unknown justification", DOC(ST("CVE-1", P(DA),
	    "\"status\":\"not_affected\",\"justification\":\"trust_me\"")), -1,
	    "statements[0]: justification \"trust_me\" is not one of "
	    "OpenVEX's", 0, 0, 0, NULL, 0 },
	{ "bad timestamp", DOC(ST("CVE-1", P(DA),
	    "\"status\":\"fixed\",\"timestamp\":\"yesterday\"")), -1,
	    "statements[0]: timestamp is not an RFC 3339 date and time", 0, 0,
	    0, NULL, 0 },
	{ "bad document timestamp", "{\"timestamp\":3,\"statements\":[]}", -1,
	    "timestamp is not an RFC 3339 date and time", 0, 0, 0, NULL, 0 },
	{ "products not an array", DOC("{\"vulnerability\":{\"name\":"
	    "\"CVE-1\"},\"status\":\"fixed\",\"products\":{}}"), -1, "statements[0]: products is not an array "
	    "of at most 256", 0, 0, 0, NULL, 0 },
	{ "subcomponent without id", DOC(ST("CVE-1", "{\"@id\":\"" DA "\","
	    "\"subcomponents\":[{}]}", NA)), -1, "statements[0]: subcomponent "
	    "0 has no @id", 0, 0, 0, NULL, 0 },
};

static const char *
detail_of(const struct policy_vex_stmt *s)
{
	if (!s->applies && s->other_product != NULL)
		return s->other_product;
	if (s->npkgs > 0)
		return s->pkgs[0].name;
	if (s->justification != NULL)
		return s->justification;
	if (s->impact != NULL)
		return s->impact;
	if (s->other_product != NULL)
		return s->other_product;
	return s->npkgs > 0 ? s->pkgs[0].name : NULL;
}

static void
test_parse(void **state)
{
	struct policy_vex_doc d;
	char why[200];
	json_t *doc;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < N(parse_rows); i++) {
		doc = json_loads(parse_rows[i].doc, JSON_REJECT_DUPLICATES, NULL);
		if (doc == NULL)
			fail_msg("%s: not JSON", parse_rows[i].name);
		why[0] = '\0';
		rc = policy_vex_parse(doc, DA, &d, why, sizeof(why));
		json_decref(doc);
		if (rc != parse_rows[i].rc)
			fail_msg("%s: rc %d (%s)", parse_rows[i].name, rc, why);
		if (rc != 0) {
			assert_string_equal(why, parse_rows[i].why);
			assert_int_equal(d.n, 0);
			continue;
		}
		assert_int_equal(d.n, parse_rows[i].n);
		if (d.n > 0) {
			if (d.s[0].applies != parse_rows[i].applies ||
			    d.s[0].status != parse_rows[i].status ||
			    d.s[0].ts != parse_rows[i].ts)
				fail_msg("%s: applies %d status %d ts %lld",
				    parse_rows[i].name, d.s[0].applies,
				    d.s[0].status, (long long)d.s[0].ts);
			if (parse_rows[i].detail == NULL)
				assert_null(detail_of(&d.s[0]));
			else
				assert_string_equal(detail_of(&d.s[0]),
				    parse_rows[i].detail);
		}
		policy_vex_doc_free(&d);
	}
}

/* A subcomponent narrows a statement to a package (and its version). */
static void
test_covers(void **state)
{
	static const char *doc = DOC(ST("CVE-2024-0001", "{\"@id\":\"" DA "\","
	    "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/openssl@3.0.1\"},"
	    "{\"@id\":\"pkg:golang/github.com/acme/lib@v1.2.0\"}]}", NA) ","
	    "{\"vulnerability\":{\"name\":\"CVE-2024-0002\",\"aliases\":"
	    "[\"GHSA-xxxx-yyyy-zzzz\"]},\"products\":[" P(DA) "],\"status\":"
	    "\"fixed\"}");
	static const struct {
		struct policy_finding	f;
		int			covered;
	} rows[] = {
		{ { "CVE-2024-0001", "openssl", "3.0.1", "3.0.2", 5, 1 }, 1 },
		{ { "cve-2024-0001", "openssl", NULL, NULL, 5, 0 }, 1 },
		{ { "CVE-2024-0001", "openssl", "3.0.0", "3.0.2", 5, 1 }, 0 },
		{ { "CVE-2024-0001", "libssl3", "3.0.1", "3.0.2", 5, 1 }, 0 },
		{ { "CVE-2024-0001", "github.com/acme/lib", "v1.2.0", NULL, 5,
		    0 }, 1 },
		{ { "CVE-2024-0001", "lib", "v1.2.0", NULL, 5, 0 }, 1 },
		{ { "CVE-2024-0009", "openssl", "3.0.1", NULL, 5, 0 }, 0 },
		{ { "GHSA-xxxx-yyyy-zzzz", "x", "1", NULL, 5, 0 }, 1 },
		{ { "CVE-2024-0002", "x", "1", NULL, 5, 0 }, 1 },
		{ { NULL, "openssl", "3.0.1", NULL, 5, 0 }, 0 },
	};
	struct policy_vex_doc d;
	char why[200];
	json_t *j = json_loads(doc, 0, NULL);
	size_t i, k;

	(void)state;
	assert_int_equal(policy_vex_parse(j, DA, &d, why, sizeof(why)), 0);
	json_decref(j);
	for (i = 0; i < N(rows); i++) {
		int got = 0;

		for (k = 0; k < d.n; k++)
			got |= policy_vex_stmt_covers(&d.s[k], &rows[i].f);
		if (got != rows[i].covered)
			fail_msg("row %zu: covered %d", i, got);
	}
	policy_vex_doc_free(&d);
}

/* ------------------------------------------------------------ evaluation */

static const struct policy_finding findings[] = {
	{ "CVE-2024-0001", "openssl", "3.0.1", "3.0.2", POLICY_SEV_CRITICAL, 1 },
	{ "CVE-2024-0003", "zlib", "1.2.11", NULL, POLICY_SEV_LOW, 0 },
};

#define HEAD "regwarden: docker.io/acme/app@" DA " refused by rule " \
	"\"vexed\" (vex.json:4): "
#define TAIL "; scanned 2025-06-01T00:00:00Z by trivy 0.50.1; upgrade the " \
	"packages, or ask for an exception: regwarden exceptions add " \
	"CVE-2024-0001 --repo docker.io/acme/app --expires 30d --reason " \
	"\"<why>\"."
#define CRIT "1 finding above high: CVE-2024-0001 (critical, openssl 3.0.1 " \
	"\xe2\x86\x92 3.0.2)"
#define SUPPRESSED "CVE-2024-0001 suppressed by OpenVEX from key ci: " \
	"not_affected (vulnerable_code_not_in_execute_path)"

enum { V_NA, V_NA_X, V_NA_OTHER, V_NA_SUBJ, V_AFF, V_FIXED, V_UI,
	V_LATER_AFF, V_SAME_AFF, V_UNSIGNED, V_SUBPKG, V_OTHERPKG, V_BAD,
	V_SBOM, V_N };

static const struct {
	EVP_PKEY	**key;
	const char	*hex;		/* the statement's subject */
	const char	*ptype;
	const char	*pred;
} env_rows[V_N] = {
	[V_NA] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(PURL_A),
	    NA)) },
	[V_NA_X] = { &k_stranger, HEX_A, VEX02, DOC(ST("CVE-2024-0001",
	    P(PURL_A), NA)) },
	[V_NA_OTHER] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001",
	    P(PURL_B), NA)) },
	[V_NA_SUBJ] = { &k_ci, HEX_B, VEX02, DOC(ST("CVE-2024-0001",
	    P(PURL_A), NA)) },
	[V_AFF] = { &k_ci, HEX_A, "https://openvex.dev/ns",
	    DOC(ST("CVE-2024-0001", P(PURL_A), "\"status\":\"affected\"")) },
	[V_FIXED] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"fixed\"")) },
	[V_UI] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"under_investigation\"")) },
	[V_LATER_AFF] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"affected\",\"timestamp\":\"2025-06-02T00:00:00Z\"")) },
	[V_SAME_AFF] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"affected\"")) },
	[V_UNSIGNED] = { NULL, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    NA)) },
	[V_SUBPKG] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001",
	    "{\"@id\":\"" PURL_A "\",\"subcomponents\":[{\"@id\":"
	    "\"pkg:deb/debian/openssl@3.0.1\"}]}", NA)) },
	[V_OTHERPKG] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001",
	    "{\"@id\":\"" PURL_A "\",\"subcomponents\":[{\"@id\":"
	    "\"pkg:deb/debian/libssl3@3.0.1\"}]}", NA)) },
	[V_BAD] = { &k_ci, HEX_A, VEX02, DOC(ST("CVE-2024-0001", P(DA),
	    "\"status\":\"not_affected\"")) },
	/* not OpenVEX: ignored without a word */
	[V_SBOM] = { &k_stranger, HEX_A, "https://spdx.dev/Document",
	    "{\"spdxVersion\":\"SPDX-2.3\"}" },
};

static const struct {
	const char	*name;
	int		 envs[4];	/* -1 ends */
	int		 kind;
	const char	*message;	/* between HEAD and TAIL; NULL: allowed */
	const char	*vex;		/* the scan.vex reason, or NULL */
	const char	*note;		/* the scan.vex detail, or NULL */
} eval_rows[] = {
	{ "no VEX", { -1 }, VERDICT_DENY, CRIT, NULL, NULL },
	{ "not_affected", { V_NA, -1 }, VERDICT_ALLOW, NULL, SUPPRESSED, NULL },
	{ "fixed", { V_SBOM, V_FIXED, -1 }, VERDICT_ALLOW, NULL,
	    "CVE-2024-0001 suppressed by OpenVEX from key ci: fixed", NULL },
	{ "untrusted key", { V_NA_X, -1 }, VERDICT_DENY, CRIT "; OpenVEX not "
	    "applied: attestation layer 1 is not signed by a key trusted for "
	    "VEX (ci)", NULL, "OpenVEX not applied: attestation layer 1 is not "
	    "signed by a key trusted for VEX (ci)" },
	{ "unsigned", { V_UNSIGNED, -1 }, VERDICT_DENY, CRIT "; OpenVEX not "
	    "applied: attestation layer 1 is not signed by a key trusted for "
	    "VEX (ci)", NULL, NULL },
	{ "another product", { V_NA_OTHER, -1 }, VERDICT_DENY, CRIT "; OpenVEX "
	    "not applied: the statement of key ci on CVE-2024-0001 names "
	    "another product (" PURL_B ")", NULL, NULL },
	{ "another subject", { V_NA_SUBJ, -1 }, VERDICT_DENY, CRIT "; OpenVEX "
	    "not applied: attestation layer 1 by ci is about another image ("
	    DB ")", NULL, NULL },
	{ "affected", { V_AFF, -1 }, VERDICT_DENY, CRIT "; OpenVEX not "
	    "applied: key ci says CVE-2024-0001 is affected", NULL, NULL },
	{ "under_investigation", { V_UI, -1 }, VERDICT_DENY, CRIT "; OpenVEX "
	    "not applied: key ci says CVE-2024-0001 is under_investigation",
	    NULL, NULL },
	{ "a later affected wins", { V_NA, V_LATER_AFF, -1 }, VERDICT_DENY,
	    CRIT "; OpenVEX not applied: key ci says CVE-2024-0001 is "
	    "affected", NULL, NULL },
	{ "at the same time affected wins", { V_SAME_AFF, V_NA, -1 },
	    VERDICT_DENY, CRIT "; OpenVEX not applied: key ci says "
	    "CVE-2024-0001 is affected", NULL, NULL },
	{ "subcomponent", { V_SUBPKG, -1 }, VERDICT_ALLOW, NULL, SUPPRESSED,
	    NULL },
	{ "another subcomponent", { V_OTHERPKG, -1 }, VERDICT_DENY, CRIT, NULL,
	    NULL },
	{ "malformed", { V_BAD, -1 }, VERDICT_DENY, CRIT "; OpenVEX not "
	    "applied: attestation layer 1 by ci is malformed: statements[0]: "
	    "not_affected without a justification or an impact_statement",
	    NULL, NULL },
};

static const struct verdict_reason *
reason(const struct verdict *v, const char *check, int failed)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, check) == 0 &&
		    v->reasons[i].failed == failed)
			return &v->reasons[i];
	return NULL;
}

static void
expect_reason(const char *row, const struct verdict *v, int failed,
    const char *want)
{
	const struct verdict_reason *r = reason(v, "scan.vex", failed);

	if (want == NULL)
		return;
	if (r == NULL)
		fail_msg("%s: no scan.vex reason (failed %d)", row, failed);
	if (strcmp(r->text, want) != 0)
		fail_msg("%s:\nwant %s\ngot  %s", row, want, r->text);
}

static void
eval_one(size_t i, struct policy_att_input *envs)
{
	struct policy_att_input in[4];
	struct policy_scan scan = { "trivy", "0.50.1", NULL,
	    INT64_C(1748736000), findings, N(findings), NULL, 0 };
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	char want[2048];
	size_t n;

	for (n = 0; eval_rows[i].envs[n] >= 0; n++) {
		in[n] = envs[eval_rows[i].envs[n]];
		in[n].origin = n == 0 ? "attestation layer 1" :
		    "attestation layer 2";
	}
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "acme/app";
	q.digest = DA;
	q.scan = &scan;
	q.atts = in;
	q.natts = n;
	q.atts_gathered = 1;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_OK);
	if (v.kind != eval_rows[i].kind)
		fail_msg("%s: %s: %s", eval_rows[i].name,
		    verdict_name(v.kind), v.message);
	if (eval_rows[i].message != NULL) {
		snprintf(want, sizeof(want), "%s%s%s", HEAD,
		    eval_rows[i].message, TAIL);
		if (strcmp(v.message, want) != 0)
			fail_msg("%s:\nwant %s\ngot  %s", eval_rows[i].name,
			    want, v.message);
	} else if (reason(&v, "scan.max_severity", 0) == NULL ||
	    strcmp(reason(&v, "scan.max_severity", 0)->text, "no finding "
	    "above high (1 suppressed by OpenVEX)") != 0)
		fail_msg("%s: the severity check does not say what was "
		    "suppressed", eval_rows[i].name);
	expect_reason(eval_rows[i].name, &v, 0, eval_rows[i].vex);
	expect_reason(eval_rows[i].name, &v, 1, eval_rows[i].note);
	if (eval_rows[i].vex == NULL)
		assert_null(reason(&v, "scan.vex", 0));
}

static void
test_eval(void **state)
{
	struct policy_att_input envs[V_N];
	char *made[V_N];
	size_t i;

	(void)state;
	memset(envs, 0, sizeof(envs));
	for (i = 0; i < V_N; i++) {
		envs[i].envelope = made[i] = env_for(env_rows[i].key != NULL ?
		    *env_rows[i].key : NULL, env_rows[i].hex, env_rows[i].ptype,
		    env_rows[i].pred);
		envs[i].elen = strlen(envs[i].envelope);
		envs[i].media_type = SIG_DSSE_MEDIA;
	}
	for (i = 0; i < N(eval_rows); i++)
		eval_one(i, envs);
	for (i = 0; i < V_N; i++)
		free(made[i]);
}

/* scan.vex needs the attestations on pulls; a rule without it does not. */
static void
test_needs(void **state)
{
	struct policy_scan scan = { "trivy", NULL, NULL, -1, findings, 1,
	    NULL, 0 };
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	unsigned needs = 0;

	(void)state;
	assert_non_null(policy_match(pol, "docker.io", "acme/app",
	    POLICY_OP_PULL, 0, &needs));
	assert_true(needs & POLICY_NEED_ATTS);
	assert_non_null(policy_match(pol, "docker.io", "plain/app",
	    POLICY_OP_PULL, 0, &needs));
	assert_false(needs & POLICY_NEED_ATTS);
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "acme/app";
	q.digest = DA;
	q.scan = &scan;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_non_null(strstr(v.message, "the attestations of the image"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_needs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
