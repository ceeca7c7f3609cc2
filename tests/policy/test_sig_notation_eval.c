/* test_sig_notation_eval.c - Notation trust stores in the "signatures" check. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy trusts the Notation fixture's own root (its x5c[0]) under a
 * few identities, a root generated here that signed nothing, and a cosign
 * key generated here.  The envelopes are the fixture's JWS and COSE ones;
 * the manifest they sign is the one oci-layout/index.json lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "util/util.h"
#include "tests/testutil.h"

#define FIX_DIR		RW_SOURCE_DIR \
	"/tests/fixtures/notation/internal-testdata"
#define OTHER_DIGEST \
	"sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef1"
#define NOW		INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */
#define JWS		"application/jose+json"
#define COSE		"application/cose"

static char dir[] = "/tmp/rw-notation-eval-XXXXXX";
static char *jws, *cose, *cosign_payload, *cosign_sig;
static size_t jws_len, cose_len;
static char man_digest[RW_DIGEST_MAX], man_type[128];
static int64_t man_size;
static struct policy *pol;

/* ------------------------------------------------------------- helpers */

static void
write_file(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

/* X as PEM text, written to NAME under the test directory. */
static void
write_cert(const char *name, X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &p);
	write_file(name, p, (size_t)n);
	BIO_free(bio);
}

/* The JWS fixture's x5c[0], its own root: the trust store that fits. */
static void
write_fixture_root(const char *name)
{
	json_t *j = json_loadb(jws, jws_len, 0, NULL), *c;
	const unsigned char *p;
	unsigned char *der;
	size_t dlen;
	X509 *x;

	assert_non_null(j);
	c = json_array_get(json_object_get(json_object_get(j, "header"),
	    "x5c"), 0);
	assert_int_equal(sig_b64_decode(json_string_value(c),
	    json_string_length(c), 0, &der, &dlen, NULL), RW_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)dlen);
	assert_non_null(x);
	write_cert(name, x);
	X509_free(x);
	free(der);
	json_decref(j);
}

/* A self-signed root that signed nothing here. */
static void
write_other_root(const char *name)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *nm;

	assert_true(k != NULL && x != NULL);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
	ASN1_TIME_set(X509_getm_notBefore(x), 1577836800);	/* 2020 */
	ASN1_TIME_set(X509_getm_notAfter(x), 1893456000);	/* 2030 */
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"other root", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	write_cert(name, x);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* The manifest index.json lists: digest, media type and blob size. */
static void
read_manifest(void)
{
	char path[512], *blob, *idx;
	json_t *j, *m;
	size_t len;

	idx = tu_slurp(FIX_DIR "/oci-layout/index.json", &len);
	j = json_loadb(idx, len, 0, NULL);
	assert_non_null(j);
	m = json_array_get(json_object_get(j, "manifests"), 0);
	rw_strlcpy(man_digest, json_string_value(json_object_get(m, "digest")),
	    sizeof(man_digest));
	rw_strlcpy(man_type, json_string_value(json_object_get(m,
	    "mediaType")), sizeof(man_type));
	assert_int_equal(strncmp(man_digest, "sha256:", 7), 0);
	snprintf(path, sizeof(path), "%s/oci-layout/blobs/sha256/%s", FIX_DIR,
	    man_digest + 7);
	blob = tu_slurp(path, &len);
	man_size = (int64_t)len;
	free(blob);
	json_decref(j);
	free(idx);
}

/* A cosign key (its PEM escaped for JSON into OUT) and its signature. */
static void
cosign_key(char *out, size_t size)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char sig[256];
	size_t slen = sizeof(sig), o = 0;
	char *data;
	long n, i;

	assert_true(k != NULL && ctx != NULL && bio != NULL);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	n = BIO_get_mem_data(bio, &data);
	for (i = 0; i < n && o + 3 < size; i++) {
		if (data[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = data[i];
	}
	out[o] = '\0';
	free(cosign_payload);
	free(cosign_sig);
	cosign_payload = malloc(512);
	assert_non_null(cosign_payload);
	snprintf(cosign_payload, 512, "{\"critical\":{\"identity\":{"
	    "\"docker-reference\":\"docker.io/acme/both\"},\"image\":{"
	    "\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},"
	    "\"optional\":null}", man_digest, SIG_COSIGN_TYPE);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL,
	    k, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)
	    cosign_payload, strlen(cosign_payload)), 1);
	cosign_sig = malloc(4 * sizeof(sig) / 3 + 8);
	assert_non_null(cosign_sig);
	EVP_EncodeBlock((unsigned char *)cosign_sig, sig, (int)slen);
	EVP_MD_CTX_free(ctx);
	BIO_free(bio);
	EVP_PKEY_free(k);
}

static struct policy *
load_policy(void)
{
	char pem[1024], name[256], *text;
	struct policy *p = NULL;
	struct rw_diags d;
	int n;

	cosign_key(pem, sizeof(pem));
	text = malloc(8192);
	assert_non_null(text);
	n = snprintf(text, 8192,
	    "{ \"version\": 1,\n"
	    "  \"rules\": [\n"
	    "    { \"name\": \"notary\", \"match\": \"docker.io/acme/notary\",\n"
	    "      \"signatures\": { \"keys\": [\"notary\"] } },\n"
	    "    { \"name\": \"other\", \"match\": \"docker.io/acme/other\",\n"
	    "      \"signatures\": { \"keys\": [\"other\"] } },\n"
	    "    { \"name\": \"wrongid\", \"match\": \"docker.io/acme/wrongid\",\n"
	    "      \"signatures\": { \"keys\": [\"wrongid\"] } },\n"
	    "    { \"name\": \"both\", \"match\": \"docker.io/acme/both\",\n"
	    "      \"signatures\": { \"keys\": [\"release\", \"anyone\"], "
	    "\"require\": \"all\" } },\n"
	    "    { \"name\": \"audited\", \"match\": \"docker.io/acme/aud*\",\n"
	    "      \"signatures\": { \"keys\": [\"audited\"] } },\n"
	    "    { \"name\": \"scoped\", \"match\": \"docker.io/acme/scoped*\",\n"
	    "      \"signatures\": { \"keys\": [\"scoped\"] } }\n"
	    "  ],\n"
	    "  \"keys\": {\n"
	    "    \"notary\": { \"notation\": { \"trust_store\": \"root.pem\",\n"
	    "      \"identities\": [\"x509.subject: C=US, O=Notary, CN=x\",\n"
	    "        \"x509.subject: C=US, ST=WA, L=Seattle, O=Notary, "
	    "CN=alpine\"] } },\n"
	    "    \"other\": { \"notation\": { \"trust_store\": \"other.pem\" } },\n"
	    "    \"wrongid\": { \"notation\": { \"trust_store\": \"root.pem\",\n"
	    "      \"identities\": [\"x509.subject: C=US, O=Notary, "
	    "CN=release\"] } },\n"
	    "    \"anyone\": { \"notation\": { \"trust_store\": \"root.pem\",\n"
	    "      \"identities\": [\"*\"] } },\n"
	    "    \"audited\": { \"notation\": { \"trust_store\": \"other.pem\",\n"
	    "      \"identities\": [\"x509.subject: CN=nobody\"],\n"
	    "      \"verification_level\": \"audit\" } },\n"
	    "    \"scoped\": { \"notation\": { \"trust_store\": \"root.pem\",\n"
	    "      \"registry_scopes\": [\"index.docker.io/acme/scoped\"],\n"
	    "      \"verification_level\": \"permissive\" } },\n"
	    "    \"release\": { \"cosign\": \"%s\" }\n"
	    "  }\n"
	    "}\n", pem);
	assert_true(n > 0 && n < 8192);
	snprintf(name, sizeof(name), "%s/sigs.json", dir);
	memset(&d, 0, sizeof(d));
	if (policy_load_text(name, text, (size_t)n, &p, &d) != RW_OK)
		fail_msg("sigs.json: %s", d.n > 0 ? d.e[0].msg : "?");
	free(text);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	jws = tu_slurp(FIX_DIR "/jws_signature.sig", &jws_len);
	cose = tu_slurp(FIX_DIR "/cose_signature.sig", &cose_len);
	read_manifest();
	write_fixture_root("root.pem");
	write_other_root("other.pem");
	pol = load_policy();
	return 0;
}

static int
teardown(void **state)
{
	char path[256];

	(void)state;
	policy_free(pol);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other.pem", dir);
	unlink(path);
	rmdir(dir);
	free(jws);
	free(cose);
	free(cosign_payload);
	free(cosign_sig);
	return 0;
}

/* ------------------------------------------------------------- rows */

enum { IN_JWS = 1, IN_COSE = 2, IN_COSIGN = 4 };

struct row {
	const char	*repo;
	const char	*digest;	/* NULL: the fixture's manifest */
	unsigned	 inputs;	/* IN_* */
	int		 kind;
	const char	*message;	/* after "regwarden: docker.io/acme/" */
};

static const struct row rows[] = {
	{ "notary", NULL, IN_JWS, VERDICT_ALLOW, NULL },
	{ "notary", NULL, IN_COSE, VERDICT_ALLOW, NULL },
	{ "other", NULL, IN_JWS, VERDICT_DENY, "other@{d} refused by rule "
	    "\"other\" ({f}:5): no signature by any key trusted for "
	    "docker.io/acme/other (trusted: other); found 1 signature: 1 "
	    "Notation signature by an untrusted certificate. Sign it with "
	    "notation sign docker.io/acme/other@{d} using a certificate under "
	    "other's trust store" },
	{ "wrongid", NULL, IN_COSE, VERDICT_DENY, "wrongid@{d} refused by "
	    "rule \"wrongid\" ({f}:7): no signature by any key trusted for "
	    "docker.io/acme/wrongid (trusted: wrongid); found 1 signature: 1 "
	    "by another identity: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine. "
	    "Sign it with notation sign docker.io/acme/wrongid@{d} using a "
	    "certificate under wrongid's trust store" },
	{ "notary", OTHER_DIGEST, IN_JWS, VERDICT_DENY, "notary@{d} refused "
	    "by rule \"notary\" ({f}:3): no signature by any key trusted for "
	    "docker.io/acme/notary (trusted: notary); found 1 signature: 1 for "
	    "another digest. Sign it with notation sign "
	    "docker.io/acme/notary@{d} using a certificate under notary's "
	    "trust store" },
	{ "both", NULL, IN_JWS | IN_COSIGN, VERDICT_ALLOW, NULL },
	{ "both", NULL, IN_COSIGN, VERDICT_DENY, "both@{d} refused by rule "
	    "\"both\" ({f}:9): signed by 1 of the 2 required keys (release); "
	    "missing: anyone; found 1 signature: 1 by a trusted key. Sign it "
	    "with notation sign docker.io/acme/both@{d} using a certificate "
	    "under anyone's trust store" },
	{ "both", NULL, IN_COSE, VERDICT_DENY, "both@{d} refused by rule "
	    "\"both\" ({f}:9): signed by 1 of the 2 required keys (anyone); "
	    "missing: release; found 1 signature: 1 by a trusted key. Sign it: "
	    "regwarden sign --key <release key> docker.io/acme/both@{d}" },
	/* Audit level: an untrusted chain and identity are only logged. */
	{ "audited", NULL, IN_JWS, VERDICT_ALLOW, NULL },
	{ "audited", NULL, IN_COSE, VERDICT_ALLOW, NULL },
	/* ...but integrity and the target are still enforced. */
	{ "audited", OTHER_DIGEST, IN_JWS, VERDICT_DENY, "audited@{d} refused "
	    "by rule \"audited\" ({f}:11): no signature by any key trusted for "
	    "docker.io/acme/aud* (trusted: audited); found 1 signature: 1 for "
	    "another digest. Sign it with notation sign "
	    "docker.io/acme/audited@{d} using a certificate under audited's "
	    "trust store" },
	/* Registry scopes: docker.io aliases folded; outside, no trust. */
	{ "scoped", NULL, IN_JWS, VERDICT_ALLOW, NULL },
	{ "scopedout", NULL, IN_JWS, VERDICT_DENY, "scopedout@{d} refused by "
	    "rule \"scoped\" ({f}:13): no signature by any key trusted for "
	    "docker.io/acme/scoped* (trusted: scoped); found 1 signature: 1 "
	    "Notation signature by an untrusted certificate. Sign it with "
	    "notation sign docker.io/acme/scopedout@{d} using a certificate "
	    "under scoped's trust store" },
	{ "notary", NULL, 0, VERDICT_DENY, "notary@{d} refused by rule "
	    "\"notary\" ({f}:3): no signature by any key trusted for "
	    "docker.io/acme/notary (trusted: notary); the image has no "
	    "Notation signature (no referrer of type "
	    "application/vnd.cncf.notary.signature). Sign it with notation "
	    "sign docker.io/acme/notary@{d} using a certificate under "
	    "notary's trust store" },
};

/* TEMPLATE with {d} as DIGEST and {f} as the policy file's name. */
static void
expand(const char *tmpl, const char *digest, char *out, size_t size)
{
	size_t o = 0;

	for (; *tmpl != '\0' && o + 1 < size; tmpl++) {
		if (strncmp(tmpl, "{d}", 3) == 0 || strncmp(tmpl, "{f}",
		    3) == 0) {
			o += (size_t)snprintf(out + o, size - o, "%s",
			    tmpl[1] == 'd' ? digest : "sigs.json");
			tmpl += 2;
		} else
			out[o++] = *tmpl;
	}
	out[o] = '\0';
}

static int
run_row(const struct row *r, struct verdict *v)
{
	struct policy_sig_input in[3];
	struct admission_req q;
	struct rw_err err;
	char repo[64];
	size_t n = 0;

	memset(in, 0, sizeof(in));
	if (r->inputs & IN_COSIGN) {
		in[n].payload = cosign_payload;
		in[n].plen = strlen(cosign_payload);
		in[n].sig_b64 = cosign_sig;
		in[n].media_type = SIG_COSIGN_MEDIA_TYPE;
		in[n++].origin = "cosign layer";
	}
	if (r->inputs & IN_JWS) {
		in[n].envelope = jws;
		in[n].elen = jws_len;
		in[n].envelope_type = JWS;
		in[n++].origin = "notation jws";
	}
	if (r->inputs & IN_COSE) {
		in[n].envelope = cose;
		in[n].elen = cose_len;
		in[n].envelope_type = COSE;
		in[n++].origin = "notation cose";
	}
	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	snprintf(repo, sizeof(repo), "acme/%s", r->repo);
	q.repo = repo;
	q.digest = r->digest != NULL ? r->digest : man_digest;
	q.media_type = man_type;
	q.manifest_size = man_size;
	q.sigs = in;
	q.nsigs = n;
	q.sigs_gathered = 1;
	rw_err_clear(&err);
	return policy_eval(pol, &q, NOW, v, &err);
}

static void
test_rows(void **state)
{
	char want[2048], tmpl[2048];
	struct verdict v;
	size_t i;

	(void)state;
	assert_int_equal(man_size, 481);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(run_row(&rows[i], &v), RW_OK);
		if (v.kind != rows[i].kind)
			fail_msg("row %zu: %s", i, v.message);
		if (rows[i].message == NULL)
			continue;
		snprintf(tmpl, sizeof(tmpl), "regwarden: docker.io/acme/%s.",
		    rows[i].message);
		expand(tmpl, rows[i].digest != NULL ? rows[i].digest :
		    man_digest, want, sizeof(want));
		if (strcmp(v.message, want) != 0)
			fail_msg("row %zu:\n got %s\nwant %s", i, v.message,
			    want);
	}
}

/* Explain names the trust store and why the signature did not count. */
static void
test_key_reason(void **state)
{
	char path[256], digest[RW_DIGEST_MAX], want[1024], *pem;
	struct verdict v;
	size_t len, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	pem = tu_slurp(path, &len);
	assert_int_equal(rw_digest(RW_HASH_SHA256, pem, len, digest), RW_OK);
	free(pem);
	assert_int_equal(run_row(&rows[3], &v), RW_OK);
	snprintf(want, sizeof(want), "no signature by key wrongid (Notation "
	    "trust store %s, identities C=US, O=Notary, CN=release); signed by "
	    "C=US, ST=WA, L=Seattle, O=Notary, CN=alpine, not a trusted "
	    "identity", digest);
	for (i = 0; i < v.nreasons; i++)
		if (strcmp(v.reasons[i].check, "signatures.key") == 0)
			break;
	assert_true(i < v.nreasons);
	assert_string_equal(v.reasons[i].text, want);
	assert_int_equal(v.reasons[i].failed, 1);
}

/* The text of V's first "signatures.key" reason. */
static const char *
key_reason(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, "signatures.key") == 0)
			return v->reasons[i].text;
	fail_msg("no signatures.key reason in: %s", v->message);
	return "";
}

/* What a verification level let through is said; so is a scope miss. */
static void
test_levels_and_scopes(void **state)
{
	struct row r = { "audited", NULL, IN_JWS, VERDICT_ALLOW, NULL };
	struct verdict v;

	(void)state;
	assert_int_equal(run_row(&r, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_ALLOW);
	assert_non_null(strstr(key_reason(&v), "signed by key audited "
	    "(Notation trust store sha256:"));
	assert_non_null(strstr(key_reason(&v), ", signature notation jws; "
	    "verification level audit let through: the certificate chain "
	    "does not lead to the trust store at the signing time "
	    "2023-03-14T08:10:02Z: "));
	r.repo = "scopedout";
	r.kind = VERDICT_DENY;
	assert_int_equal(run_row(&r, &v), RW_OK);
	assert_non_null(strstr(key_reason(&v), "; docker.io/acme/scopedout "
	    "is outside the registry_scopes of scoped"));
}

/* "skip" and scopes that are not repositories are errors in the file. */
static void
test_level_scope_errors(void **state)
{
	static const struct {
		const char	*notation;
		const char	*msg;
	} bad[] = {
		{ "\"verification_level\": \"skip\"", "\"skip\" verifies "
		    "nothing: leave the key out of the rule's \"signatures\" "
		    "(or set the rule's \"mode\" to \"audit\") instead" },
		{ "\"verification_level\": \"lax\"", "expected \"strict\", "
		    "\"permissive\" or \"audit\"" },
		{ "\"registry_scopes\": [\"docker.io/acme/*\"]", "\"docker.io/"
		    "acme/*\" is not a registry scope (expected \"*\" or a "
		    "repository such as \"registry.example.com/acme/api\", "
		    "without wildcard, tag or digest)" },
		{ "\"registry_scopes\": [\"docker.io/acme/api:1.0\"]", NULL },
		{ "\"registry_scopes\": [\"acme\"]", NULL },
		{ "\"registry_scopes\": []", "must not be empty" },
	};
	char text[1024], name[256];
	struct policy *p;
	struct rw_diags d;
	size_t i;
	int n;

	(void)state;
	snprintf(name, sizeof(name), "%s/bad.json", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = snprintf(text, sizeof(text), "{ \"version\": 1, \"keys\": "
		    "{ \"n\": { \"notation\": { \"trust_store\": "
		    "\"root.pem\", %s } } } }", bad[i].notation);
		memset(&d, 0, sizeof(d));
		p = NULL;
		assert_int_not_equal(policy_load_text(name, text, (size_t)n,
		    &p, &d), RW_OK);
		assert_null(p);
		assert_true(d.n >= 1);
		if (bad[i].msg != NULL && strstr(d.e[0].msg, bad[i].msg) ==
		    NULL)
			fail_msg("case %zu: %s", i, d.e[0].msg);
		if (bad[i].msg == NULL && strstr(d.e[0].msg,
		    "is not a registry scope") == NULL)
			fail_msg("case %zu: %s", i, d.e[0].msg);
	}
}

/* The trust store's bytes are part of the revision. */
static void
test_revision(void **state)
{
	char before[RW_DIGEST_MAX];
	struct policy *p;

	(void)state;
	rw_strlcpy(before, policy_revision(pol), sizeof(before));
	write_other_root("other.pem");
	p = load_policy();
	assert_string_not_equal(policy_revision(p), before);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_key_reason),
		cmocka_unit_test(test_levels_and_scopes),
		cmocka_unit_test(test_level_scope_errors),
		cmocka_unit_test(test_revision),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
