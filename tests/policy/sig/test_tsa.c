/* test_tsa.c - RFC 3161 timestamps of Sigstore bundles (sig_tsa_verify). */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Each row judges the first timestamp of one sigstore-conformance bundle
 * against that case's trusted root, as a bundle verifier would; then the
 * same material is damaged or re-rooted one way at a time.
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
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/internal.h"
#include "policy/sig/tsa.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define CASES		RW_SOURCE_DIR \
	"/tests/fixtures/sigstore-conformance/bundle-verify"
#define HAPPY		"rekor2-happy-path"
#define EMBEDDED	"rekor2-timestamp-with-embedded-cert"
#define UNEMBEDDED	"rekor2-timestamp-without-embedded-cert"
#define LOCAL_TSA	"rekor2-timestamp-outside-tsa-cert-validity_fail"
#define FREETSA		"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail"
/* 2025-06-12T12:02:20Z, the genTime of HAPPY. */
#define HAPPY_TIME	INT64_C(1749729740)
#define HAPPY_VALID	"timestamped at 2025-06-12T12:02:20Z by " \
	"\"sigstore-tsa\" (timestampAuthorities[0])"

/* One case's material: the timestamp, what it stamps, the trusted root. */
struct material {
	unsigned char	*ts;
	size_t		 tslen;
	unsigned char	*sig;
	size_t		 siglen;
	json_t		*root;		/* trusted_root.json, to edit */
};

/* ---------------------------------------------------------------- helpers */

/*
 * Base64 as a bundle verifier reads it: one fixture's signedTimestamp was
 * made with base64(1) and keeps its line breaks, which Go's decoder skips.
 */
static unsigned char *
b64(const char *s, size_t *len)
{
	struct rw_err err;
	unsigned char *out = NULL;

	assert_non_null(s);
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(s, strlen(s), SIG_B64_LINES, &out,
	    len, &err), RW_OK);
	return out;
}

static json_t *
load_json(const char *dir, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", CASES, dir, file);
	return tu_load_json(path);
}

/* The bundle's first timestamp, its signature bytes and the trusted root. */
static void
material_load(const char *dir, struct material *m)
{
	json_t *b = load_json(dir, "bundle.sigstore.json"), *ts, *sig;

	ts = json_array_get(json_object_get(json_object_get(json_object_get(
	    b, "verificationMaterial"), "timestampVerificationData"),
	    "rfc3161Timestamps"), 0);
	m->ts = b64(json_string_value(json_object_get(ts, "signedTimestamp")),
	    &m->tslen);
	sig = json_object_get(json_object_get(b, "messageSignature"),
	    "signature");
	if (sig == NULL)
		sig = json_object_get(json_array_get(json_object_get(
		    json_object_get(b, "dsseEnvelope"), "signatures"), 0),
		    "sig");
	m->sig = b64(json_string_value(sig), &m->siglen);
	json_decref(b);
	m->root = load_json(dir, "trusted_root.json");
}

static void
material_cleanup(struct material *m)
{
	free(m->ts);
	free(m->sig);
	json_decref(m->root);
}

/* ROOT, parsed as the keyless verifier parses trusted roots. */
static struct sig_trustroot *
root_parse(json_t *root)
{
	struct sig_trustroot *tr = NULL;
	struct rw_err err;
	char *text = json_dumps(root, 0);

	assert_non_null(text);
	rw_err_clear(&err);
	if (sig_trustroot_parse(text, strlen(text), 0, &tr, &err) != RW_OK)
		fail_msg("trusted root: %s", err.msg);
	free(text);
	return tr;
}

/* TS (LEN bytes) over SIG judged by ROOT; returns the verdict. */
static enum sig_verdict
judge(const unsigned char *ts, size_t len, const unsigned char *sig,
    size_t siglen, json_t *root, struct sig_tsa_result *res)
{
	struct sig_trustroot *tr = root_parse(root);
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(sig_tsa_verify(ts, len, sig, siglen, tr, res, &err),
	    RW_OK);
	sig_trustroot_free(tr);
	return res->verdict;
}

/* M as loaded, judged. */
static enum sig_verdict
judge_m(const struct material *m, struct sig_tsa_result *res)
{
	return judge(m->ts, m->tslen, m->sig, m->siglen, m->root, res);
}

/* The timestampAuthorities array of trusted root ROOT (borrowed). */
static json_t *
tsas_of(json_t *root)
{
	json_t *a = json_object_get(root, "timestampAuthorities");

	assert_true(json_is_array(a));
	return a;
}

/* ------------------------------------------------------- fixture rows */

struct row {
	const char	*dir;
	enum sig_verdict verdict;
	const char	*reason;	/* NULL: not pinned */
	int64_t		 time;		/* 0: not pinned */
};

static const struct row rows[] = {
	{ HAPPY, SIG_VALID, HAPPY_VALID, HAPPY_TIME },
	{ EMBEDDED, SIG_VALID, NULL, 0 },
	{ UNEMBEDDED, SIG_VALID, NULL, 0 },
	/* genTime == validFor.end: the window includes its end. */
	{ "trust-root-tsa-validity-end-inclusive", SIG_VALID, HAPPY_VALID,
	    HAPPY_TIME },
	{ "rekor2-dsse-happy-path", SIG_VALID, NULL, 0 },
	{ "rekor2-checkpoint-cosigned", SIG_VALID, NULL, HAPPY_TIME },
	/*
	 * Both fail on the signing certificate, which is the caller's check:
	 * the timestamp itself is good.
	 */
	{ "rekor2-timestamp-with-incorrect-time_fail", SIG_VALID, NULL, 0 },
	{ "intoto-tsa-timestamp-outside-cert-validity_fail", SIG_VALID,
	    "timestamped at 2023-02-02T00:00:00Z by \"tsa signing\" "
	    "(timestampAuthorities[0])", INT64_C(1675296000) },
	{ "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
	    SIG_BAD_SIGNATURE, "timestamp at 2025-06-12T12:02:20Z is outside "
	    "the validity of \"sigstore-tsa\" (timestampAuthorities[0]) in "
	    "the trusted root (from 2025-04-09T00:00:00Z to "
	    "2025-06-01T00:00:00Z)", 0 },
	{ LOCAL_TSA, SIG_BAD_SIGNATURE, "timestamp at 2025-08-07T15:38:32Z "
	    "is outside the validity of TSA certificate \"Test TSA "
	    "Timestamping\" (from 2025-08-07T15:29:08Z to "
	    "2025-08-07T15:37:08Z)", 0 },
	{ "rekor2-timestamp-payload-mismatch_fail", SIG_BAD_SIGNATURE,
	    "timestamp is for other data", 0 },
	{ FREETSA, SIG_BAD_SIGNATURE, "timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa\" (timestampAuthorities[0]): certificate verify "
	    "error (self-signed certificate in certificate chain)", 0 },
	{ "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
	    SIG_BAD_SIGNATURE, "timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa\" (timestampAuthorities[0]): signer certificate "
	    "not found", 0 },
};

static void
test_row(void **state)
{
	const struct row *r = *state;
	struct sig_tsa_result res;
	struct material m;

	material_load(r->dir, &m);
	judge_m(&m, &res);
	if (res.verdict != r->verdict)
		fail_msg("%s: verdict %s (%s), expected %s", r->dir,
		    sig_verdict_str(res.verdict), res.reason,
		    sig_verdict_str(r->verdict));
	if (r->reason != NULL)
		assert_string_equal(res.reason, r->reason);
	if (r->time != 0)
		assert_int_equal(res.time, r->time);
	if (r->verdict != SIG_VALID)
		assert_int_equal(res.time, 0);
	material_cleanup(&m);
}

/* ------------------------------------------------------------ tampering */

/* One byte in the middle of the token's signature, flipped. */
static void
test_flipped_signature(void **state)
{
	struct sig_tsa_result res;
	struct material m;
	const unsigned char *p;
	PKCS7_SIGNER_INFO *si;
	unsigned char *at;
	TS_RESP *r;

	(void)state;
	material_load(HAPPY, &m);
	p = m.ts;
	r = d2i_TS_RESP(NULL, &p, (long)m.tslen);
	assert_non_null(r);
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(
	    TS_RESP_get_token(r)), 0);
	at = memmem(m.ts, m.tslen, ASN1_STRING_get0_data(si->enc_digest),
	    (size_t)ASN1_STRING_length(si->enc_digest));
	assert_non_null(at);
	at[ASN1_STRING_length(si->enc_digest) / 2] ^= 0x01;
	TS_RESP_free(r);
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa\" (timestampAuthorities[0]): signature failure");
	material_cleanup(&m);
}

/* The timestamp of one bundle over another signature, or over nothing. */
static void
test_other_data(void **state)
{
	struct sig_tsa_result res;
	struct material m;

	(void)state;
	material_load(HAPPY, &m);
	m.sig[m.siglen - 1] ^= 0x01;
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is for other data");
	assert_int_equal(judge(m.ts, m.tslen, NULL, 0, m.root, &res),
	    SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is for other data");
	material_cleanup(&m);
}

/* Stored as a bare TimeStampToken (ContentInfo), it verifies alike. */
static void
test_bare_token(void **state)
{
	struct sig_tsa_result res;
	struct material m;
	const unsigned char *p;
	unsigned char *der = NULL, *longer;
	TS_RESP *r;
	int n;

	(void)state;
	material_load(EMBEDDED, &m);
	p = m.ts;
	r = d2i_TS_RESP(NULL, &p, (long)m.tslen);
	assert_non_null(r);
	n = i2d_PKCS7(TS_RESP_get_token(r), &der);
	assert_true(n > 0);
	TS_RESP_free(r);
	assert_int_equal(judge(der, (size_t)n, m.sig, m.siglen, m.root, &res),
	    SIG_VALID);
	assert_int_equal(res.time, INT64_C(1754506296));
	/* A byte after the token is refused, as after a response. */
	longer = malloc((size_t)n + 1);
	assert_non_null(longer);
	memcpy(longer, der, (size_t)n);
	longer[n] = 0;
	assert_int_equal(judge(longer, (size_t)n + 1, m.sig, m.siglen, m.root,
	    &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp token is followed by 1 "
	    "other bytes");
	free(longer);
	OPENSSL_free(der);
	material_cleanup(&m);
}

/* Nothing, noise, a cut response, and one with a byte after it. */
static void
test_malformed(void **state)
{
	static const unsigned char noise[] = "not a timestamp at all";
	struct sig_tsa_result res;
	struct material m;
	unsigned char *longer;

	(void)state;
	material_load(HAPPY, &m);
	assert_int_equal(judge(NULL, 0, m.sig, m.siglen, m.root, &res),
	    SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp is empty");
	assert_int_equal(judge(noise, sizeof(noise), m.sig, m.siglen, m.root,
	    &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp is neither a DER "
	    "TimeStampResp nor a TimeStampToken");
	assert_int_equal(judge(m.ts, m.tslen - 1, m.sig, m.siglen, m.root,
	    &res), SIG_MALFORMED);
	longer = malloc(m.tslen + 1);
	assert_non_null(longer);
	memcpy(longer, m.ts, m.tslen);
	longer[m.tslen] = 0;
	assert_int_equal(judge(longer, m.tslen + 1, m.sig, m.siglen, m.root,
	    &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp response is followed by 1 "
	    "other bytes");
	free(longer);
	assert_int_equal(judge(m.ts, SIG_TSA_MAX + 1, m.sig, m.siglen,
	    m.root, &res), SIG_MALFORMED);
	material_cleanup(&m);
}

/* ---------------------------------------------------- re-rooted material */

/* A trusted root without timestamp authorities trusts no timestamp. */
static void
test_no_tsa(void **state)
{
	struct sig_tsa_result res;
	struct material m;

	(void)state;
	material_load(HAPPY, &m);
	json_array_clear(tsas_of(m.root));
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "trusted root has no timestamp "
	    "authority");
	json_object_del(m.root, "timestampAuthorities");
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	material_cleanup(&m);
}

/* TSAs are tried in turn: a foreign one first does not hide the right one. */
static void
test_several_tsas(void **state)
{
	struct sig_tsa_result res;
	struct material m, local;

	(void)state;
	material_load(HAPPY, &m);
	material_load(LOCAL_TSA, &local);
	assert_int_equal(json_array_insert(tsas_of(m.root), 0,
	    json_array_get(tsas_of(local.root), 0)), 0);
	assert_int_equal(judge_m(&m, &res), SIG_VALID);
	assert_string_equal(res.reason, "timestamped at 2025-06-12T12:02:20Z "
	    "by \"sigstore-tsa\" (timestampAuthorities[1])");
	/* The local TSA's expired token: its reason beats a stranger's. */
	assert_int_equal(judge(local.ts, local.tslen, local.sig, local.siglen,
	    m.root, &res), SIG_BAD_SIGNATURE);
	assert_non_null(strstr(res.reason, "outside the validity of TSA "
	    "certificate \"Test TSA Timestamping\""));
	material_cleanup(&local);
	material_cleanup(&m);
}

/* Neither of two TSAs signed FreeTSA's token: the first one says why. */
static void
test_several_strangers(void **state)
{
	struct sig_tsa_result res;
	struct material m, local;

	(void)state;
	material_load(FREETSA, &m);
	material_load(LOCAL_TSA, &local);
	assert_int_equal(json_array_append(tsas_of(m.root),
	    json_array_get(tsas_of(local.root), 0)), 0);
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa\" (timestampAuthorities[0]): certificate verify "
	    "error (self-signed certificate in certificate chain) (nor from "
	    "the 1 other TSAs)");
	material_cleanup(&local);
	material_cleanup(&m);
}

/*
 * A TSA listed by its root alone: the leaf must come embedded in the
 * token, and then it chains; without it there is no signer.
 */
static void
test_root_only(void **state)
{
	struct sig_tsa_result res;
	struct material with, without;
	json_t *certs;

	(void)state;
	material_load(EMBEDDED, &with);
	material_load(UNEMBEDDED, &without);
	certs = json_object_get(json_object_get(json_array_get(
	    tsas_of(with.root), 0), "certChain"), "certificates");
	assert_int_equal(json_array_remove(certs, 0), 0);
	assert_int_equal(judge_m(&with, &res), SIG_VALID);
	assert_string_equal(res.reason, "timestamped at 2025-08-06T18:51:36Z "
	    "by \"sigstore-tsa-selfsigned\" (timestampAuthorities[0])");
	assert_int_equal(judge(without.ts, without.tslen, without.sig,
	    without.siglen, with.root, &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa-selfsigned\" (timestampAuthorities[0]): signer "
	    "certificate not found");
	material_cleanup(&without);
	material_cleanup(&with);
}

/* The leaf alone is no anchor: partial chains stay off. */
static void
test_leaf_only(void **state)
{
	struct sig_tsa_result res;
	struct material m;
	json_t *certs;

	(void)state;
	material_load(HAPPY, &m);
	certs = json_object_get(json_object_get(json_array_get(tsas_of(m.root),
	    0), "certChain"), "certificates");
	assert_int_equal(json_array_remove(certs, 1), 0);
	assert_int_equal(judge_m(&m, &res), SIG_BAD_SIGNATURE);
	material_cleanup(&m);
}

/* Bad arguments are errors, not verdicts. */
static void
test_arguments(void **state)
{
	struct sig_tsa_result res;
	struct sig_trustroot *tr;
	struct material m;
	struct rw_err err;

	(void)state;
	material_load(HAPPY, &m);
	tr = root_parse(m.root);
	rw_err_clear(&err);
	assert_int_equal(sig_tsa_verify(m.ts, m.tslen, m.sig, m.siglen, NULL,
	    &res, &err), RW_EINVAL);
	assert_int_equal(res.verdict, SIG_MALFORMED);
	assert_int_equal(sig_tsa_verify(m.ts, m.tslen, m.sig, m.siglen, tr,
	    NULL, NULL), RW_EINVAL);
	assert_int_equal(sig_tsa_verify(NULL, 1, m.sig, m.siglen, tr, &res,
	    NULL), RW_EINVAL);
	assert_int_equal(sig_tsa_verify(m.ts, m.tslen, NULL, 1, tr, &res,
	    NULL), RW_EINVAL);
	/* A TSA whose chain is not PEM: built by hand, not by the parser. */
	free(tr->tsas[0].pem);
	tr->tsas[0].pem = strdup("-----BEGIN CERTIFICATE-----\nAAAA\n");
	tr->tsas[0].len = strlen(tr->tsas[0].pem);
	rw_err_clear(&err);
	assert_int_equal(sig_tsa_verify(m.ts, m.tslen, m.sig, m.siglen, tr,
	    &res, &err), RW_EINVAL);
	assert_string_equal(err.msg, "timestampAuthorities[0]: not PEM "
	    "certificates");
	assert_int_equal(res.verdict, SIG_MALFORMED);
	sig_trustroot_free(tr);
	material_cleanup(&m);
}

/* ------------------------------------------------------- a TSA made here */

/*
 * What no fixture shows needs a TSA of our own: a root, an optional
 * intermediate and two leaves (P-256), stamping through OpenSSL's TS
 * responder with a clock we set.  Certificates run 2024-01-01 to 2034.
 */
#define FAKE_NB		INT64_C(1704067200)
#define FAKE_NA		INT64_C(2019686400)
/* 2025-06-15T15:06:40Z */
#define FAKE_NOW	1750000000L

struct fake {
	EVP_PKEY	*root_key, *mid_key, *leaf_key, *other_key;
	X509		*root, *mid, *leaf, *other;	/* MID may be NULL */
};

static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for KEY named CN, signed by ISSUER with IKEY (both NULL:
 * self-signed), a CA or a leaf, with extended key usage EKU or none.
 */
static X509 *
fake_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    long serial, int ca, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX v3;

	assert_non_null(x);
	n = X509_get_subject_name(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), FAKE_NB));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), FAKE_NA));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	add_ext(x, &v3, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature");
	if (eku != NULL)
		add_ext(x, &v3, NID_ext_key_usage, eku);
	assert_true(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) > 0);
	return x;
}

/*
 * Root, then (with MID_EKU, "" for none) an intermediate, then two leaves
 * under the lowest CA.
 */
static void
fake_init(struct fake *f, const char *mid_eku)
{
	X509 *ca;
	EVP_PKEY *cakey;

	memset(f, 0, sizeof(*f));
	f->root_key = EVP_EC_gen("P-256");
	f->leaf_key = EVP_EC_gen("P-256");
	f->other_key = EVP_EC_gen("P-256");
	assert_true(f->root_key && f->leaf_key && f->other_key);
	f->root = fake_cert(f->root_key, "fake root", NULL, NULL, 1, 1, NULL);
	ca = f->root;
	cakey = f->root_key;
	if (mid_eku != NULL) {
		f->mid_key = EVP_EC_gen("P-256");
		assert_non_null(f->mid_key);
		f->mid = fake_cert(f->mid_key, "fake mid", f->root, f->root_key,
		    2, 1, *mid_eku != '\0' ? mid_eku : NULL);
		ca = f->mid;
		cakey = f->mid_key;
	}
	f->leaf = fake_cert(f->leaf_key, "fake leaf", ca, cakey, 3, 0,
	    "critical,timeStamping");
	f->other = fake_cert(f->other_key, "fake other", ca, cakey, 4, 0,
	    "critical,timeStamping");
}

static void
fake_cleanup(struct fake *f)
{
	EVP_PKEY_free(f->root_key);
	EVP_PKEY_free(f->mid_key);
	EVP_PKEY_free(f->leaf_key);
	EVP_PKEY_free(f->other_key);
	X509_free(f->root);
	X509_free(f->mid);
	X509_free(f->leaf);
	X509_free(f->other);
}

static json_t *
raw_cert(X509 *x)
{
	unsigned char *der = NULL, *txt;
	json_t *o;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	txt = malloc(((size_t)n + 2) / 3 * 4 + 1);
	assert_non_null(txt);
	assert_true(EVP_EncodeBlock(txt, der, n) > 0);
	o = json_pack("{s:s}", "rawBytes", (const char *)txt);
	assert_non_null(o);
	free(txt);
	OPENSSL_free(der);
	return o;
}

/*
 * HAPPY's trusted root with F as its only TSA, listing the leaf (LEAF:
 * f->leaf or f->other), the intermediate and the root, valid to END.
 */
static json_t *
fake_root(const struct fake *f, X509 *leaf, const char *end)
{
	json_t *root = load_json(HAPPY, "trusted_root.json");
	json_t *certs = json_array(), *tsa;

	assert_int_equal(json_array_append_new(certs, raw_cert(leaf)), 0);
	if (f->mid != NULL)
		assert_int_equal(json_array_append_new(certs,
		    raw_cert(f->mid)), 0);
	assert_int_equal(json_array_append_new(certs, raw_cert(f->root)), 0);
	tsa = json_pack("{s:{s:o}, s:{s:s}}", "certChain", "certificates",
	    certs, "validFor", "start", "2024-01-01T00:00:00Z");
	assert_non_null(tsa);
	if (end != NULL)
		assert_int_equal(json_object_set_new(json_object_get(tsa,
		    "validFor"), "end", json_string(end)), 0);
	json_array_clear(tsas_of(root));
	assert_int_equal(json_array_append_new(tsas_of(root), tsa), 0);
	return root;
}

/* The clock of the fake responder. */
struct fake_clock {
	long	sec;
	long	usec;
};

static int
fake_now(struct TS_resp_ctx *ctx, void *data, long *sec, long *usec)
{
	const struct fake_clock *c = data;

	(void)ctx;
	*sec = c->sec;
	*usec = c->usec;
	return 1;
}

/* A TimeStampReq for DATA hashed with MD, as DER in a memory BIO. */
static BIO *
fake_request(const EVP_MD *md, const char *data, int embed)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	TS_REQ *req = TS_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	unsigned int n = 0;

	assert_true(mi && alg && req && b);
	assert_int_equal(EVP_Digest(data, strlen(data), dg, &n, md, NULL), 1);
	X509_ALGOR_set_md(alg, md);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(mi, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(mi, dg, (int)n), 1);
	assert_int_equal(TS_REQ_set_version(req, 1), 1);
	assert_int_equal(TS_REQ_set_msg_imprint(req, mi), 1);
	assert_int_equal(TS_REQ_set_cert_req(req, embed), 1);
	assert_int_equal(i2d_TS_REQ_bio(b, req), 1);
	TS_REQ_free(req);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	return b;
}

/* A granted TimeStampResp from SIGNER (KEY) over DATA, DER in *LEN. */
static unsigned char *
fake_stamp(X509 *signer, EVP_PKEY *key, const EVP_MD *md, const char *data,
    struct fake_clock *clk, int embed, size_t *len)
{
	ASN1_OBJECT *pol = OBJ_txt2obj("1.3.6.1.4.1.57264.2", 1);
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	BIO *req = fake_request(md, data, embed);
	unsigned char *der = NULL, *out;
	TS_RESP *resp;
	int n;

	assert_true(pol && ctx);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, signer), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, key), 1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, pol), 1);
	assert_int_equal(TS_RESP_CTX_add_md(ctx, md), 1);
	assert_int_equal(TS_RESP_CTX_set_clock_precision_digits(ctx, 3), 1);
	TS_RESP_CTX_set_time_cb(ctx, fake_now, clk);
	resp = TS_RESP_create_response(ctx, req);
	assert_non_null(resp);
	assert_int_equal(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(
	    TS_RESP_get_status_info(resp))), TS_STATUS_GRANTED);
	n = i2d_TS_RESP(resp, &der);
	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	TS_RESP_free(resp);
	BIO_free(req);
	TS_RESP_CTX_free(ctx);
	ASN1_OBJECT_free(pol);
	return out;
}

/* F's leaf stamps DATA with MD at CLK; ROOT judges it over SIGNED. */
static enum sig_verdict
fake_judge(struct fake *f, json_t *root, const EVP_MD *md,
    struct fake_clock *clk, const char *signed_text,
    struct sig_tsa_result *res)
{
	unsigned char *ts;
	size_t len;
	enum sig_verdict v;

	ts = fake_stamp(f->leaf, f->leaf_key, md, "the signature", clk, 0,
	    &len);
	v = judge(ts, len, (const unsigned char *)signed_text,
	    strlen(signed_text), root, res);
	free(ts);
	return v;
}

/* SHA-384 and SHA-512 imprints verify; SHA-1 is refused. */
static void
test_fake_hashes(void **state)
{
	struct fake_clock clk = { FAKE_NOW, 0 };
	struct sig_tsa_result res;
	struct fake f;
	json_t *root;

	(void)state;
	fake_init(&f, NULL);
	root = fake_root(&f, f.leaf, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha384(), &clk,
	    "the signature", &res), SIG_VALID);
	assert_string_equal(res.reason, "timestamped at 2025-06-15T15:06:40Z "
	    "by \"fake leaf\" (timestampAuthorities[0])");
	assert_int_equal(res.time, FAKE_NOW);
	assert_int_equal(fake_judge(&f, root, EVP_sha512(), &clk,
	    "the signature", &res), SIG_VALID);
	assert_int_equal(fake_judge(&f, root, EVP_sha512(), &clk,
	    "another signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is for other data");
	assert_int_equal(fake_judge(&f, root, EVP_sha1(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp hashes with sha1, not "
	    "SHA-256, SHA-384 or SHA-512");
	json_decref(root);
	fake_cleanup(&f);
}

/*
 * A genTime half a second past the window's last second is outside it;
 * the window's own end second, and its first one, are inside.
 */
static void
test_fake_fraction(void **state)
{
	struct fake_clock clk = { FAKE_NOW, 500000 };
	struct sig_tsa_result res;
	struct fake f;
	json_t *root;

	(void)state;
	fake_init(&f, NULL);
	root = fake_root(&f, f.leaf, "2025-06-15T15:06:40Z");
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp at 2025-06-15T15:06:40Z is "
	    "outside the validity of \"fake leaf\" (timestampAuthorities[0]) "
	    "in the trusted root (from 2024-01-01T00:00:00Z to "
	    "2025-06-15T15:06:40Z)");
	clk.usec = 0;
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_VALID);
	json_decref(root);
	root = fake_root(&f, f.leaf, "2025-06-15T15:06:41Z");
	clk.usec = 999000;
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_VALID);
	assert_int_equal(res.time, FAKE_NOW);
	clk.sec = (long)FAKE_NB - 1;
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	json_decref(root);
	fake_cleanup(&f);
}

/*
 * The trusted root names the TSA's leaf: another leaf of the same CA is
 * refused even when the token embeds it, and cannot be found without.
 */
static void
test_fake_other_leaf(void **state)
{
	struct fake_clock clk = { FAKE_NOW, 0 };
	struct sig_tsa_result res;
	unsigned char *ts;
	struct fake f;
	json_t *root;
	size_t len;

	(void)state;
	fake_init(&f, NULL);
	root = fake_root(&f, f.leaf, NULL);
	ts = fake_stamp(f.other, f.other_key, EVP_sha256(), "sig", &clk, 1,
	    &len);
	assert_int_equal(judge(ts, len, (const unsigned char *)"sig", 3, root,
	    &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is signed by \"fake "
	    "other\", not by the leaf of \"fake leaf\" "
	    "(timestampAuthorities[0])");
	free(ts);
	ts = fake_stamp(f.other, f.other_key, EVP_sha256(), "sig", &clk, 0,
	    &len);
	assert_int_equal(judge(ts, len, (const unsigned char *)"sig", 3, root,
	    &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"fake leaf\" (timestampAuthorities[0]): signer certificate not "
	    "found");
	free(ts);
	json_decref(root);
	fake_cleanup(&f);
}

/*
 * The trusted root lists a twin of the signing leaf: same key, issuer and
 * serial, other bytes.  The token's ESS signing-certificate hash tells
 * them apart; a twin whose EKU is not critical is unfit anyway.
 */
static void
test_fake_twin_leaf(void **state)
{
	struct fake_clock clk = { FAKE_NOW, 0 };
	struct sig_tsa_result res;
	struct fake f;
	json_t *root;
	X509 *twin;

	(void)state;
	fake_init(&f, NULL);
	/* ECDSA signatures differ every time: the same TBS, other bytes. */
	twin = fake_cert(f.leaf_key, "fake leaf", f.root, f.root_key, 3, 0,
	    "critical,timeStamping");
	root = fake_root(&f, twin, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"fake leaf\" (timestampAuthorities[0]): ess cert id not "
	    "found");
	json_decref(root);
	X509_free(twin);
	twin = fake_cert(f.leaf_key, "fake leaf", f.root, f.root_key, 3, 0,
	    "timeStamping");
	root = fake_root(&f, twin, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "timestamp is not from a trusted TSA: "
	    "\"fake leaf\" (timestampAuthorities[0]): certificate verify "
	    "error (unsuitable certificate purpose)");
	json_decref(root);
	X509_free(twin);
	fake_cleanup(&f);
}

/* An intermediate whose extended key usage leaves out timestamping. */
static void
test_fake_ca_eku(void **state)
{
	struct fake_clock clk = { FAKE_NOW, 0 };
	struct sig_tsa_result res;
	struct fake f;
	json_t *root;

	(void)state;
	fake_init(&f, "codeSigning");
	root = fake_root(&f, f.leaf, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, "TSA CA certificate \"fake mid\" does "
	    "not allow timestamping (extended key usage)");
	json_decref(root);
	fake_cleanup(&f);
	fake_init(&f, "timeStamping");
	root = fake_root(&f, f.leaf, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_VALID);
	json_decref(root);
	fake_cleanup(&f);
	fake_init(&f, "");
	root = fake_root(&f, f.leaf, NULL);
	assert_int_equal(fake_judge(&f, root, EVP_sha256(), &clk,
	    "the signature", &res), SIG_VALID);
	json_decref(root);
	fake_cleanup(&f);
}

/* A CMS signature over plain data is no timestamp token. */
static void
test_fake_not_tstinfo(void **state)
{
	struct sig_tsa_result res;
	unsigned char *der = NULL;
	struct fake f;
	json_t *root;
	PKCS7 *p7;
	BIO *in;
	int n;

	(void)state;
	fake_init(&f, NULL);
	root = fake_root(&f, f.leaf, NULL);
	in = BIO_new_mem_buf("data", 4);
	assert_non_null(in);
	p7 = PKCS7_sign(f.leaf, f.leaf_key, NULL, in, PKCS7_BINARY);
	assert_non_null(p7);
	n = i2d_PKCS7(p7, &der);
	assert_true(n > 0);
	assert_int_equal(judge(der, (size_t)n, (const unsigned char *)"data",
	    4, root, &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp token does not hold a "
	    "TSTInfo");
	OPENSSL_free(der);
	PKCS7_free(p7);
	BIO_free(in);
	json_decref(root);
	fake_cleanup(&f);
}

/* A refusal from the TSA, and a TSTInfo of another version. */
static void
test_status_and_version(void **state)
{
	/* TimeStampResp { status { rejection } }, no token. */
	static const unsigned char rejected[] = { 0x30, 0x05, 0x30, 0x03,
	    0x02, 0x01, 0x02 };
	/* TSTInfo's version 1, then Sigstore's policy OID. */
	static const unsigned char v1[] = { 0x02, 0x01, 0x01, 0x06, 0x09,
	    0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x02 };
	struct sig_tsa_result res;
	struct material m;
	unsigned char *at;

	(void)state;
	material_load(HAPPY, &m);
	assert_int_equal(judge(rejected, sizeof(rejected), m.sig, m.siglen,
	    m.root, &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp response holds no token "
	    "(status 2, rejection)");
	at = memmem(m.ts, m.tslen, v1, sizeof(v1));
	assert_non_null(at);
	at[2] = 2;
	assert_int_equal(judge_m(&m, &res), SIG_MALFORMED);
	assert_string_equal(res.reason, "timestamp is TSTInfo version 2, not "
	    "1");
	material_cleanup(&m);
}

int
main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_flipped_signature),
		cmocka_unit_test(test_other_data),
		cmocka_unit_test(test_bare_token),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_tsa),
		cmocka_unit_test(test_several_tsas),
		cmocka_unit_test(test_several_strangers),
		cmocka_unit_test(test_root_only),
		cmocka_unit_test(test_leaf_only),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_fake_hashes),
		cmocka_unit_test(test_fake_fraction),
		cmocka_unit_test(test_fake_other_leaf),
		cmocka_unit_test(test_fake_twin_leaf),
		cmocka_unit_test(test_fake_ca_eku),
		cmocka_unit_test(test_fake_not_tstinfo),
		cmocka_unit_test(test_status_and_version),
	};
	struct CMUnitTest tests[N(rows) + N(more)];
	size_t i;

	/* One test per fixture row, named after its case. */
	memset(tests, 0, sizeof(tests));
	for (i = 0; i < N(rows); i++) {
		tests[i].name = rows[i].dir;
		tests[i].test_func = test_row;
		tests[i].initial_state = (void *)(uintptr_t)&rows[i];
	}
	for (i = 0; i < N(more); i++)
		tests[N(rows) + i] = more[i];
	return cmocka_run_group_tests_name("sig_tsa", tests, NULL, NULL);
}
