/* test_atts.c - attestations: the condition language, DSSE envelopes
 * (tampered every way), and the "attestations" check of policy_eval. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Envelopes are made here in cosign's .att format (a DSSE envelope whose
 * payload is an in-toto statement, signed over the PAE with ECDSA P-256
 * and SHA-256) with keys OpenSSL generates: "ci" and "scanner" are in the
 * policy, "stranger" is not.  Messages are compared whole.
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
#define SLSA1	"https://slsa.dev/provenance/v1"
#define SPDX	"https://spdx.dev/Document"
#define CDX15	"https://cyclonedx.org/bom/v1.5"
#define INTOTO	"application/vnd.in-toto+json"

static EVP_PKEY *k_ci, *k_scanner, *k_stranger;
static struct policy *pol;
static char *kept[64];
static size_t nkept;

static char *
keep(char *s)
{
	assert_non_null(s);
	assert_true(nkept < N(kept));
	kept[nkept++] = s;
	return s;
}

/* ------------------------------------------------------------ envelopes */

static char *
b64(const void *data, size_t len)
{
	char *out = malloc(len * 4 / 3 + 8);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* An in-toto v1 statement about DIGEST's hex. */
static char *
statement(const char *hex, const char *ptype, const char *predicate)
{
	char *s = NULL;

	assert_true(asprintf(&s, "{\"_type\":\"https://in-toto.io/Statement/"
	    "v1\",\"subject\":[{\"name\":\"docker.io/acme/app\",\"digest\":"
	    "{\"sha256\":\"%s\"}}],\"predicateType\":\"%s\",\"predicate\":%s}",
	    hex, ptype, predicate) > 0);
	return s;
}

/* The DSSE envelope of STMT with payload type TYPE, signed by PK. */
static char *
envelope(EVP_PKEY *pk, const char *type, const char *stmt)
{
	unsigned char sig[256];
	size_t slen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *pae = NULL, *p64, *s64, *env = NULL;
	int n;

	n = asprintf(&pae, "DSSEv1 %zu %s %zu %s", strlen(type), type,
	    strlen(stmt), stmt);
	assert_true(n > 0);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen,
	    (unsigned char *)pae, (size_t)n), 1);
	EVP_MD_CTX_free(ctx);
	p64 = b64(stmt, strlen(stmt));
	s64 = b64(sig, slen);
	assert_true(asprintf(&env, "{\"payloadType\":\"%s\",\"payload\":\"%s\","
	    "\"signatures\":[{\"keyid\":\"\",\"sig\":\"%s\"}]}", type, p64,
	    s64) > 0);
	free(pae);
	free(p64);
	free(s64);
	return env;
}

static char *
env_for(EVP_PKEY *pk, const char *hex, const char *ptype, const char *pred)
{
	char *st = statement(hex, ptype, pred), *env;

	env = envelope(pk, INTOTO, st);
	free(st);
	return env;
}

/* ENV with the first occurrence of FROM replaced by TO (same length). */
static char *
swap(const char *env, const char *from, const char *to)
{
	char *s = strdup(env), *at;

	assert_non_null(s);
	at = strstr(s, from);
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
	return s;
}

/* The envelope's payload re-encoded with FROM replaced by TO: tampering
   with the statement while the signature stays. */
static char *
tamper_payload(const char *env, const char *from, const char *to)
{
	json_t *doc = json_loads(env, 0, NULL);
	const char *p64 = json_string_value(json_object_get(doc, "payload"));
	unsigned char *raw;
	size_t rlen;
	char *st, *np, *out;

	assert_int_equal(sig_b64_decode(p64, strlen(p64), 0, &raw, &rlen,
	    NULL), RW_OK);
	st = swap((char *)raw, from, to);
	np = b64(st, strlen(st));
	json_object_set_new(doc, "payload", json_string(np));
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(raw);
	free(st);
	free(np);
	return out;
}

/* PK's public half as PEM, newlines escaped for a JSON string. */
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

static struct sig_key *
key_of(EVP_PKEY *pk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct sig_key *k = NULL;
	char *data;
	long n;

	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(sig_key_load(data, (size_t)n, &k, NULL), RW_OK);
	BIO_free(bio);
	return k;
}

/* --------------------------------------------------------------- policy */

/* The rows cite these lines: keep the layout. */
static struct policy *
load_policy(void)
{
	char ci[1024], sc[1024], *text = NULL;
	struct policy *p = NULL;
	struct rw_diags d;
	int n;

	pem_json(k_ci, ci, sizeof(ci));
	pem_json(k_scanner, sc, sizeof(sc));
	n = asprintf(&text,
	    "{ \"version\": 1,\n"					/* 1 */
	    "  \"keys\": { \"ci\": { \"cosign\": \"%s\" },\n"		/* 2 */
	    "            \"scanner\": { \"cosign\": \"%s\" } },\n"	/* 3 */
	    "  \"rules\": [\n"						/* 4 */
	    "    { \"name\": \"attested\", \"match\": \"docker.io/acme/**\",\n"
	    "      \"attestations\": [\n"				/* 6 */
	    "        { \"type\": \"" SLSA1 "\", \"keys\": [\"ci\"],\n"	/* 7 */
	    "          \"conditions\": [\n"
	    "            { \"path\": \"predicate.runDetails.builder.id\", "
	    "\"equals\": \"https://github.com/actions/runner\" },\n"
	    "            { \"path\": \"predicate.buildDefinition."
	    "externalParameters.workflow.repository\", \"matches\": "
	    "\"https://github.com/acme/.*\" } ] },\n"
	    "        { \"type\": \"sbom\", \"keys\": [\"ci\"] } ] },\n"	/* 11 */
	    "    { \"name\": \"conds\", \"match\": \"docker.io/conds/*\",\n"
	    "      \"attestations\": [ { \"type\": \"custom\", \"keys\": "
	    "[\"ci\"], \"conditions\": [\n"
	    "        { \"path\": \"predicate.builder.id\", \"equals\": "
	    "\"https://github.com/actions/runner\" },\n"		/* c0 */
	    "        { \"path\": \"predicate.n\", \"equals\": 3 },\n"	/* c1 */
	    "        { \"path\": \"predicate.materials[*].uri\", \"in\": "
	    "[\"pkg:deb/debian/bash\", \"x\"] },\n"			/* c2 */
	    "        { \"path\": \"predicate.materials[0].uri\", \"matches\": "
	    "\"git\\\\+https://github\\\\.com/acme/.*\" },\n"		/* c3 */
	    "        { \"path\": \"predicate.materials[1].uri\", \"exists\": "
	    "true },\n"							/* c4 */
	    "        { \"path\": \"predicate.secret\", \"exists\": false },\n"
	    "        { \"path\": \"predicate.ok\", \"equals\": true },\n" /* c6 */
	    "        { \"path\": \"predicate.materials[*].uri\", \"equals\": "
	    "\"z\" },\n"						/* c7 */
	    "        { \"path\": \"predicate.n\", \"matches\": \"3\" }\n" /* c8 */
	    "      ] } ] },\n"
	    "    { \"name\": \"scanned\", \"match\": \"docker.io/vuln/*\",\n"
	    "      \"scan\": { \"max_severity\": \"high\" },\n"
	    "      \"attestations\": [ { \"type\": \"vuln\", \"keys\": "
	    "[\"scanner\"], \"as_scan\": true } ] }\n"
	    "  ]\n"
	    "}\n", ci, sc);
	assert_true(n > 0);
	memset(&d, 0, sizeof(d));
	if (policy_load_text("atts.json", text, (size_t)n, &p, &d) != RW_OK)
		fail_msg("atts.json: %s", tu_render_diags(&d, 0));
	free(text);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	k_ci = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_scanner = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_stranger = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (k_ci == NULL || k_scanner == NULL || k_stranger == NULL)
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
	EVP_PKEY_free(k_scanner);
	EVP_PKEY_free(k_stranger);
	while (nkept > 0)
		free(kept[--nkept]);
	return 0;
}

/* ------------------------------------------------------------ conditions */

#define PRED_OK \
	"{\"builder\":{\"id\":\"https://github.com/actions/runner\"}," \
	"\"n\":3,\"ok\":true,\"materials\":[{\"uri\":" \
	"\"git+https://github.com/acme/app\"},{\"uri\":\"pkg:deb/debian/bash\"}]}"

static const struct {
	size_t		 cond;
	const char	*pred;		/* NULL: PRED_OK */
	int		 met;
	const char	*text;
} cond_rows[] = {
	{ 0, NULL, 1, "predicate.builder.id https://github.com/actions/runner "
	    "equals https://github.com/actions/runner" },
	{ 0, "{\"builder\":{\"id\":\"https://github.com/actions/runner/\"}}", 0,
	    "predicate.builder.id https://github.com/actions/runner/ does not "
	    "equal https://github.com/actions/runner" },
	{ 0, "{\"builder\":{}}", 0, "predicate.builder.id is absent" },
	{ 0, "{\"builder\":\"x\"}", 0, "predicate.builder.id is absent" },
	{ 1, NULL, 1, "predicate.n 3 equals 3" },
	{ 1, "{\"n\":4}", 0, "predicate.n 4 does not equal 3" },
	{ 1, "{\"n\":\"3\"}", 0, "predicate.n 3 does not equal 3" },
	{ 2, NULL, 1, "predicate.materials[*].uri pkg:deb/debian/bash is one "
	    "of pkg:deb/debian/bash, x" },
	{ 2, "{\"materials\":[{\"uri\":\"pkg:deb/debian/bas\"}]}", 0,
	    "predicate.materials[*].uri pkg:deb/debian/bas is not one of "
	    "pkg:deb/debian/bash, x" },
	{ 2, "{\"materials\":{\"uri\":\"x\"}}", 0,
	    "predicate.materials[*].uri is absent" },
	{ 3, NULL, 1, "predicate.materials[0].uri git+https://github.com/acme/"
	    "app matches git\\+https://github\\.com/acme/.*" },
	{ 3, "{\"materials\":[{\"uri\":\"git+https://github.com/acme\"}]}", 0,
	    "predicate.materials[0].uri git+https://github.com/acme does not "
	    "match git\\+https://github\\.com/acme/.*" },
	{ 3, "{\"materials\":[{\"uri\":\"xgit+https://github.com/acme/a\"}]}",
	    0, "predicate.materials[0].uri xgit+https://github.com/acme/a does "
	    "not match git\\+https://github\\.com/acme/.*" },
	{ 4, NULL, 1, "predicate.materials[1].uri is present" },
	{ 4, "{\"materials\":[{\"uri\":\"a\"}]}", 0,
	    "predicate.materials[1].uri is absent" },
	{ 5, NULL, 1, "predicate.secret is absent" },
	{ 5, "{\"secret\":null}", 0, "predicate.secret is present" },
	{ 6, NULL, 1, "predicate.ok true equals true" },
	{ 6, "{\"ok\":\"true\"}", 0, "predicate.ok true does not equal true" },
	{ 7, NULL, 0, "predicate.materials[*].uri git+https://github.com/acme/"
	    "app (and 1 more) does not equal z" },
	{ 8, NULL, 0, "predicate.n 3 does not match 3" },
	{ 8, "{\"n\":\"3\"}", 1, "predicate.n 3 matches 3" },
	{ 0, "{\"builder\":{\"id\":\"a\\u001b[2J\"}}", 0,
	    "predicate.builder.id a\\x1b[2J does not equal "
	    "https://github.com/actions/runner" },
};

static void
test_conditions(void **state)
{
	const struct policy_attreq *a = &pol->rules[1].atts[0];
	char buf[512], *st;
	struct rw_sb sb;
	json_t *doc;
	size_t i;
	int met;

	(void)state;
	assert_int_equal(a->nconds, 9);
	for (i = 0; i < N(cond_rows); i++) {
		st = statement(HEX_A, "x", cond_rows[i].pred != NULL ?
		    cond_rows[i].pred : PRED_OK);
		doc = json_loads(st, 0, NULL);
		assert_non_null(doc);
		rw_sb_init(&sb, buf, sizeof(buf));
		met = policy_cond_eval(&a->conds[cond_rows[i].cond], doc, &sb);
		if (met != cond_rows[i].met || strcmp(buf,
		    cond_rows[i].text) != 0)
			fail_msg("row %zu: got %d \"%s\"", i, met, buf);
		json_decref(doc);
		free(st);
	}
}

/* --------------------------------------------------------- type names */

static void
test_types(void **state)
{
	static const struct {
		const char	*type;
		const char	*pt;
		int		 match;
	} rows[] = {
		{ "sbom", SPDX, 1 },
		{ "sbom", "https://spdx.dev/Document/v2.3", 1 },
		{ "sbom", CDX15, 1 },
		{ "sbom", "https://cyclonedx.org/bom", 1 },
		{ "sbom", "https://spdx.dev/Documents", 0 },
		{ "sbom", "https://cyclonedx.org/bomb", 0 },
		{ "sbom", SLSA1, 0 },
		{ "spdx", SPDX, 1 },
		{ "spdx", CDX15, 0 },
		{ "spdxjson", SPDX, 1 },
		{ "cyclonedx", CDX15, 1 },
		{ "slsaprovenance", "https://slsa.dev/provenance/v0.2", 1 },
		{ "slsaprovenance", SLSA1, 0 },
		{ "slsaprovenance1", SLSA1, 1 },
		{ "vuln", "https://cosign.sigstore.dev/attestation/vuln/v1", 1 },
		{ "openvex", "https://openvex.dev/ns/v0.2.0", 1 },
		{ "openvex", "https://openvex.dev/ns", 1 },
		{ "custom", "https://cosign.sigstore.dev/attestation/v1", 1 },
		{ SLSA1, SLSA1, 1 },
		{ SLSA1, "https://slsa.dev/provenance/v1.1", 0 },
	};
	struct policy_attreq a;
	char type[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		memset(&a, 0, sizeof(a));
		rw_strlcpy(type, rows[i].type, sizeof(type));
		a.type = type;
		assert_int_equal(policy_att_type(rows[i].type, &a.kind,
		    &a.uri), 0);
		if (policy_att_type_match(&a, rows[i].pt) != rows[i].match)
			fail_msg("row %zu: %s against %s", i, rows[i].type,
			    rows[i].pt);
	}
	assert_int_equal(policy_att_type("slsa", &a.kind, &a.uri), -1);
	assert_int_equal(policy_att_type("https://", &a.kind, &a.uri), -1);
	assert_int_equal(policy_att_type("a b://c", &a.kind, &a.uri), -1);
}

/* ----------------------------------------------------- DSSE verification */

static void
test_dsse(void **state)
{
	struct sig_key *ci = key_of(k_ci), *st = key_of(k_stranger);
	struct sig_dsse_result r;
	char *good, *env, *s;
	size_t i;
	static const char *pred = "{\"builder\":{\"id\":\"b\"}}";
	struct {
		char		*env;
		const struct sig_key *k;
		int		 verdict;
	} rows[12];
	size_t n = 0;

	(void)state;
	good = keep(env_for(k_ci, HEX_A, SLSA1, pred));
	rows[n].env = good, rows[n].k = ci, rows[n++].verdict = SIG_VALID;
	/* the key: another one's envelope */
	rows[n].env = good, rows[n].k = st;
	rows[n++].verdict = SIG_BAD_SIGNATURE;
	/* the statement edited after signing: builder, subject, type */
	rows[n].env = keep(tamper_payload(good, "\"b\"", "\"c\"")),
	rows[n].k = ci, rows[n++].verdict = SIG_BAD_SIGNATURE;
	rows[n].env = keep(tamper_payload(good, HEX_A, HEX_B)),
	rows[n].k = ci, rows[n++].verdict = SIG_BAD_SIGNATURE;
	rows[n].env = keep(tamper_payload(good, "provenance/v1",
	    "provenance/v2")), rows[n].k = ci;
	rows[n++].verdict = SIG_BAD_SIGNATURE;
	/* the payload type, which the PAE covers */
	rows[n].env = keep(swap(good, "in-toto+json", "in-toto+jsom")),
	rows[n].k = ci, rows[n++].verdict = SIG_BAD_SIGNATURE;
	/* the envelope signature: one character of its base64 */
	env = keep(strdup(good));
	s = strstr(env, "\"sig\":\"") + 10;
	*s = *s == 'A' ? 'B' : 'A';
	rows[n].env = env, rows[n].k = ci, rows[n++].verdict = SIG_BAD_SIGNATURE;
	/* signed, but about another image */
	rows[n].env = keep(env_for(k_ci, HEX_B, SLSA1, pred)), rows[n].k = ci;
	rows[n++].verdict = SIG_WRONG_DIGEST;
	/* signed, but not an in-toto payload */
	rows[n].env = keep(envelope(k_ci, "text/plain", "{}")), rows[n].k = ci;
	rows[n++].verdict = SIG_WRONG_TYPE;
	/* signed in-toto, but no statement */
	rows[n].env = keep(envelope(k_ci, INTOTO, "{\"subject\":[]}"));
	rows[n].k = ci, rows[n++].verdict = SIG_MALFORMED;
	rows[n].env = "{\"payload\":\"e30=\"}", rows[n].k = ci;
	rows[n++].verdict = SIG_MALFORMED;
	rows[n].env = "not json", rows[n].k = ci;
	rows[n++].verdict = SIG_MALFORMED;
	for (i = 0; i < n; i++) {
		assert_int_equal(sig_dsse_verify(rows[i].k, rows[i].env,
		    strlen(rows[i].env), DA, &r, NULL), RW_OK);
		if ((int)r.verdict != rows[i].verdict)
			fail_msg("row %zu: %s (%s)", i,
			    sig_verdict_str(r.verdict), r.reason);
		assert_true((r.statement != NULL) == (r.verdict == SIG_VALID));
		sig_dsse_result_free(&r);
	}
	assert_int_equal(sig_dsse_verify(ci, good, strlen(good), DA, &r, NULL),
	    RW_OK);
	assert_string_equal(r.predicate_type, SLSA1);
	assert_non_null(strstr(r.statement, "\"builder\""));
	sig_dsse_result_free(&r);
	assert_int_equal(sig_dsse_verify(ci, rows[7].env,
	    strlen(rows[7].env), DA, &r, NULL), RW_OK);
	assert_string_equal(r.reason, "the in-toto statement is about " DB
	    ", not " DA);
	sig_key_free(ci);
	sig_key_free(st);
}

/* ------------------------------------------------------------ evaluation */

#define PROV_OK \
	"{\"buildDefinition\":{\"externalParameters\":{\"workflow\":" \
	"{\"repository\":\"https://github.com/acme/app\"}}},\"runDetails\":" \
	"{\"builder\":{\"id\":\"https://github.com/actions/runner\"}}}"
#define PROV_EVIL \
	"{\"buildDefinition\":{\"externalParameters\":{\"workflow\":" \
	"{\"repository\":\"https://github.com/acme/app\"}}},\"runDetails\":" \
	"{\"builder\":{\"id\":\"https://evil.example/runner\"}}}"
#define PROV_FORK \
	"{\"buildDefinition\":{\"externalParameters\":{\"workflow\":" \
	"{\"repository\":\"https://github.com/mallory/app\"}}},\"runDetails\":" \
	"{\"builder\":{\"id\":\"https://github.com/actions/runner\"}}}"
#define SBOM_PRED	"{\"spdxVersion\":\"SPDX-2.3\"}"

enum { E_PROV, E_EVIL, E_FORK, E_SBOM, E_CDX, E_SBOM_B, E_SBOM_X,
    E_SBOM_SC, E_NENV };

static const char *const HEAD =
    "regwarden: docker.io/acme/app@" DA " refused by rule \"attested\" "
    "(atts.json:5): ";

static const struct {
	const char	*name;
	int		 envs[4];	/* -1 ends */
	int		 kind;
	const char	*message;	/* NULL: allowed */
} eval_rows[] = {
	{ "all", { E_PROV, E_SBOM, -1 }, VERDICT_ALLOW, NULL },
	{ "cyclonedx", { E_CDX, E_PROV, -1 }, VERDICT_ALLOW, NULL },
	{ "one good among bad", { E_EVIL, E_PROV, E_SBOM, -1 },
	    VERDICT_ALLOW, NULL },
	{ "no sbom", { E_PROV, -1 }, VERDICT_DENY,
	    "no SBOM by a trusted signer (found: none)" },
	{ "evil builder", { E_EVIL, E_SBOM, -1 }, VERDICT_DENY,
	    "no SLSA provenance by a trusted signer (found: 1 provenance by "
	    "ci, predicate.runDetails.builder.id https://evil.example/runner "
	    "does not equal https://github.com/actions/runner)" },
	{ "fork", { E_FORK, E_SBOM, -1 }, VERDICT_DENY,
	    "no SLSA provenance by a trusted signer (found: 1 provenance by "
	    "ci, predicate.buildDefinition.externalParameters.workflow."
	    "repository https://github.com/mallory/app does not match "
	    "https://github.com/acme/.*)" },
	{ "other digest", { E_PROV, E_SBOM_B, -1 }, VERDICT_DENY,
	    "no SBOM by a trusted signer (found: 1 SBOM by ci, for another "
	    "image (" DB "))" },
	{ "stranger", { E_PROV, E_SBOM_X, -1 }, VERDICT_DENY,
	    "no SBOM by a trusted signer (found: 1 SBOM by an untrusted "
	    "signer)" },
	{ "not listed", { E_PROV, E_SBOM_SC, -1 }, VERDICT_DENY,
	    "no SBOM by a trusted signer (found: 1 SBOM by an untrusted "
	    "signer)" },
};

static void
test_eval(void **state)
{
	struct policy_att_input envs[E_NENV], in[4];
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	char want[2048];
	size_t i, j, n;

	(void)state;
	memset(envs, 0, sizeof(envs));
	envs[E_PROV].envelope = keep(env_for(k_ci, HEX_A, SLSA1, PROV_OK));
	envs[E_EVIL].envelope = keep(env_for(k_ci, HEX_A, SLSA1, PROV_EVIL));
	envs[E_FORK].envelope = keep(env_for(k_ci, HEX_A, SLSA1, PROV_FORK));
	envs[E_SBOM].envelope = keep(env_for(k_ci, HEX_A, SPDX, SBOM_PRED));
	envs[E_CDX].envelope = keep(env_for(k_ci, HEX_A, CDX15, "{}"));
	envs[E_SBOM_B].envelope = keep(env_for(k_ci, HEX_B, SPDX, SBOM_PRED));
	envs[E_SBOM_X].envelope = keep(env_for(k_stranger, HEX_A, SPDX,
	    SBOM_PRED));
	envs[E_SBOM_SC].envelope = keep(env_for(k_scanner, HEX_A, SPDX,
	    SBOM_PRED));
	for (i = 0; i < E_NENV; i++) {
		envs[i].elen = strlen(envs[i].envelope);
		envs[i].media_type = SIG_DSSE_MEDIA;
		envs[i].origin = "sha256-" HEX_A ".att layer";
	}
	for (i = 0; i < N(eval_rows); i++) {
		for (n = 0; eval_rows[i].envs[n] >= 0; n++)
			in[n] = envs[eval_rows[i].envs[n]];
		memset(&q, 0, sizeof(q));
		q.op = POLICY_OP_PULL;
		q.host = "docker.io";
		q.repo = "acme/app";
		q.digest = DA;
		q.atts = in;
		q.natts = n;
		q.atts_gathered = 1;
		rw_err_clear(&err);
		assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_OK);
		if (v.kind != eval_rows[i].kind)
			fail_msg("%s: %s: %s", eval_rows[i].name,
			    verdict_name(v.kind), v.message);
		if (eval_rows[i].message == NULL)
			continue;
		snprintf(want, sizeof(want), "%s%s.", HEAD,
		    eval_rows[i].message);
		if (strcmp(v.message, want) != 0)
			fail_msg("%s:\nwant %s\ngot  %s", eval_rows[i].name,
			    want, v.message);
		/* One reason per requirement, passed or not. */
		for (j = 0, n = 0; j < v.nreasons; j++)
			n += strcmp(v.reasons[j].check, "attestations") == 0;
		assert_int_equal(n, 2);
	}
}

/* A rule with attestations and a caller that did not look: no decision. */
static void
test_not_gathered(void **state)
{
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	unsigned needs = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "acme/app";
	q.digest = DA;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_non_null(strstr(v.message, "the attestations of the image"));
	assert_non_null(policy_match(pol, "docker.io", "acme/app",
	    POLICY_OP_PULL, 0, &needs));
	assert_true(needs & POLICY_NEED_ATTS);
}

/* as_scan: the report of a verified vuln attestation, nothing else. */
static void
test_att_scan(void **state)
{
	static const char *vt = "https://cosign.sigstore.dev/attestation/vuln/v1";
	static const char *pred = "{\"scanner\":{\"uri\":\"pkg:x\",\"result\":"
	    "{\"SchemaVersion\":2}}}";
	struct policy_att_input in[3];
	struct admission_req q;
	char signer[64], *report = NULL;
	size_t len = 0, i;

	(void)state;
	memset(in, 0, sizeof(in));
	in[0].envelope = keep(env_for(k_ci, HEX_A, vt, pred));	/* not listed */
	in[1].envelope = keep(env_for(k_scanner, HEX_B, vt, pred)); /* other */
	in[2].envelope = keep(env_for(k_scanner, HEX_A, vt, pred));
	for (i = 0; i < 3; i++) {
		in[i].elen = strlen(in[i].envelope);
		in[i].media_type = SIG_DSSE_MEDIA;
	}
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "vuln/app";
	q.digest = DA;
	q.atts = in;
	q.natts = 2;
	assert_int_equal(policy_att_scan(pol, &q, &report, &len, signer,
	    sizeof(signer), NULL), 0);
	assert_null(report);
	q.natts = 3;
	assert_int_equal(policy_att_scan(pol, &q, &report, &len, signer,
	    sizeof(signer), NULL), 1);
	assert_string_equal(report, "{\"SchemaVersion\":2}");
	assert_int_equal(len, strlen(report));
	assert_string_equal(signer, "scanner");
	free(report);
	/* a rule without as_scan */
	q.repo = "acme/app";
	assert_int_equal(policy_att_scan(pol, &q, &report, &len, signer,
	    sizeof(signer), NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_dsse),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_not_gathered),
		cmocka_unit_test(test_att_scan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
