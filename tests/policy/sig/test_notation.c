/* test_notation.c - Notation JWS signatures: fixture and generated. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/sig.h"
#include "tests/testutil.h"

/* Real signatures made by other tools, kept in tests/fixtures. */
#define FIX_DIR		RW_SOURCE_DIR \
	"/tests/fixtures/notation/internal-testdata"
#define MAN_DIGEST \
	"sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"
#define OTHER_DIGEST \
	"sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef1"
#define MAN_SIZE	481
#define MAN_TYPE	"application/vnd.oci.image.manifest.v1+json"
#define FIX_SUBJECT	"C=US, ST=WA, L=Seattle, O=Notary, CN=alpine"
#define NOW		1767225600	/* 2026-01-01T00:00:00Z */
#define EXPIRY		1780272000	/* 2026-06-01T00:00:00Z */
#define GEN_PAYLOAD	"{\"targetArtifact\":{\"digest\":\"" MAN_DIGEST \
	"\",\"mediaType\":\"" MAN_TYPE "\",\"size\":481}}"
#define GEN_PROT(alg, extra_crit, extra) "{\"alg\":\"" alg "\",\"crit\":[" \
	"\"io.cncf.notary.signingScheme\"" extra_crit "],\"cty\":" \
	"\"application/vnd.cncf.notary.payload.v1+json\"," \
	"\"io.cncf.notary.signingScheme\":\"notary.x509\"," \
	"\"io.cncf.notary.signingTime\":\"2026-01-01T00:00:00Z\"" extra "}"

/* ---------------------------------------------------------------- helpers */

static char *
fixture(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIX_DIR, name);
	return tu_slurp(path, len);
}

/* X as PEM text (caller frees). */
static char *
pem_of(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &p);
	s = strndup(p, (size_t)n);
	BIO_free(bio);
	assert_non_null(s);
	return s;
}

/* Unpadded base64url of LEN bytes at P (caller frees). */
static char *
b64url(const void *p, size_t len)
{
	char *s = malloc(len / 3 * 4 + 8);
	int n, i;

	assert_non_null(s);
	n = EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (i = 0; i < n; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

/* The fixture's x5c[0], which is its own root: the "right" trust store. */
static char *
fixture_root_pem(void)
{
	size_t len, dlen;
	char *env = fixture("jws_signature.sig", &len), *pem;
	json_t *j = json_loads(env, 0, NULL), *c;
	const unsigned char *p;
	unsigned char *der;
	X509 *x;

	assert_non_null(j);
	c = json_array_get(json_object_get(json_object_get(j, "header"),
	    "x5c"), 0);
	assert_int_equal(sig_b64_decode(json_string_value(c),
	    json_string_length(c), 0, &der, &dlen, NULL), RW_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)dlen);
	assert_non_null(x);
	pem = pem_of(x);
	X509_free(x);
	free(der);
	json_decref(j);
	free(env);
	return pem;
}

/* A self-signed certificate for KEY, with EKU (a NID, or 0 for none). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, int eku)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	ASN1_TIME_set(X509_getm_notBefore(x), 1735689600);	/* 2025 */
	ASN1_TIME_set(X509_getm_notAfter(x), 1893456000);	/* 2030 */
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
	    (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"Test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
	    "critical,digitalSignature");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (eku != 0) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage,
		    OBJ_nid2sn(eku));
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* Sign IN with KEY as PS256 or ES256 (raw r||s); returns base64url. */
static char *
jws_sign(EVP_PKEY *key, const char *in)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[1024], raw[64];
	const unsigned char *p = sig;
	size_t slen = sizeof(sig);
	ECDSA_SIG *es;
	char *out;

	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL,
	    key), 1);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen,
	    (const unsigned char *)in, strlen(in)), 1);
	EVP_MD_CTX_free(ctx);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return b64url(sig, slen);
	es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
	assert_non_null(es);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	out = b64url(raw, sizeof(raw));
	return out;
}

/* A JWS envelope over PROT and PAYLOAD, signed by KEY, x5c = [CERT]. */
static char *
make_jws(EVP_PKEY *key, X509 *cert, const char *prot, const char *payload)
{
	char *p64 = b64url(prot, strlen(prot));
	char *y64 = b64url(payload, strlen(payload));
	unsigned char *der = NULL;
	char *in, *sig, *c64, *out;
	json_t *env;
	int dlen;

	assert_true(asprintf(&in, "%s.%s", p64, y64) > 0);
	sig = jws_sign(key, in);
	dlen = i2d_X509(cert, &der);
	c64 = malloc((size_t)dlen / 3 * 4 + 8);
	assert_non_null(c64);
	EVP_EncodeBlock((unsigned char *)c64, der, dlen);
	env = json_pack("{s:s, s:s, s:{s:[s]}, s:s}", "payload", y64,
	    "protected", p64, "header", "x5c", c64, "signature", sig);
	out = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	OPENSSL_free(der);
	free(c64);
	free(sig);
	free(in);
	free(y64);
	free(p64);
	return out;
}

/* The fixture with envelope member KEY set to VALUE (caller frees). */
static char *
fixture_with(const char *key, const char *value)
{
	size_t len;
	char *env = fixture("jws_signature.sig", &len), *out;
	json_t *j = json_loads(env, 0, NULL);

	assert_non_null(j);
	json_object_set_new(j, key, json_string(value));
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(env);
	return out;
}

/* The fixture's base64url member KEY decoded, FROM replaced by TO. */
static char *
fixture_edited(const char *key, const char *from, const char *to)
{
	size_t len, dlen;
	char *env = fixture("jws_signature.sig", &len), *text, *hit, *out;
	json_t *j = json_loads(env, 0, NULL);
	const char *b;
	unsigned char *raw;
	char *std;
	size_t i, n;

	assert_non_null(j);
	b = json_string_value(json_object_get(j, key));
	n = strlen(b);
	std = calloc(1, n + 4);
	assert_non_null(std);
	for (i = 0; i < n; i++)
		std[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
	while (i % 4 != 0)
		std[i++] = '=';
	assert_int_equal(sig_b64_decode(std, i, 0, &raw, &dlen, NULL), RW_OK);
	text = (char *)raw;
	hit = strstr(text, from);
	assert_non_null(hit);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(hit, to, strlen(to));
	out = b64url(text, dlen);
	free(raw);
	free(std);
	json_decref(j);
	free(env);
	env = fixture_with(key, out);
	free(out);
	return env;
}

/* Verify ENV (NUL-terminated) against TRUST for the fixture manifest. */
static int
verify_level(const char *env, const char *trust, int64_t now, int level,
    struct sig_notation_result *res)
{
	struct rw_err err;

	rw_err_clear(&err);
	return sig_notation_verify_jws(env, strlen(env), trust, strlen(trust),
	    MAN_DIGEST, MAN_SIZE, MAN_TYPE, now, level, res, &err);
}

static int
verify(const char *env, const char *trust, int64_t now,
    struct sig_notation_result *res)
{
	return verify_level(env, trust, now, SIG_NOTATION_STRICT, res);
}

/* A fresh self-signed code-signing root nobody used: the wrong store. */
static char *
other_root_pem(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = make_cert(k, "other", NID_code_sign);
	char *pem = pem_of(x);

	X509_free(x);
	EVP_PKEY_free(k);
	return pem;
}

/* ------------------------------------------------------------------ tests */

static void
test_fixture_valid(void **state)
{
	struct sig_notation_result res;
	size_t len;
	char *env = fixture("jws_signature.sig", &len);
	char *trust = fixture_root_pem();
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_notation_verify_jws(env, len, trust,
	    strlen(trust), MAN_DIGEST, MAN_SIZE, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	assert_string_equal(res.reason, "signed by " FIX_SUBJECT);
	assert_string_equal(res.subject, FIX_SUBJECT);
	assert_int_equal(res.signing_time, 1678781402);	/* 08:10:02Z */
	assert_int_equal(res.expiry, 0);
	/* The media type is only compared when the caller knows it. */
	assert_int_equal(sig_notation_verify_jws(env, len, trust,
	    strlen(trust), MAN_DIGEST, MAN_SIZE, NULL, NOW,
	    SIG_NOTATION_STRICT, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	free(trust);
	free(env);
}

static void
test_fixture_untrusted(void **state)
{
	struct sig_notation_result res;
	size_t len;
	char *env = fixture("jws_signature.sig", &len);
	char *trust = other_root_pem(), *both, *right = fixture_root_pem();

	(void)state;
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNTRUSTED);
	assert_string_equal(res.reason, "the certificate chain does not lead "
	    "to the trust store at the signing time 2023-03-14T08:10:02Z: "
	    "self-signed certificate");
	assert_string_equal(res.subject, FIX_SUBJECT);
	/* A store holding the other root and the right one trusts it. */
	assert_true(asprintf(&both, "%s%s", trust, right) > 0);
	assert_int_equal(verify(env, both, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	free(both);
	free(right);
	free(trust);
	free(env);
}

static void
test_fixture_wrong_target(void **state)
{
	struct sig_notation_result res;
	struct rw_err err;
	size_t len;
	char *env = fixture("jws_signature.sig", &len);
	char *trust = fixture_root_pem();

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_notation_verify_jws(env, len, trust,
	    strlen(trust), OTHER_DIGEST, MAN_SIZE, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_WRONG_TARGET);
	assert_string_equal(res.reason, "signature is for \"" MAN_DIGEST
	    "\", not \"" OTHER_DIGEST "\"");
	assert_int_equal(sig_notation_verify_jws(env, len, trust,
	    strlen(trust), MAN_DIGEST, 482, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, &res, &err), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_WRONG_TARGET);
	assert_string_equal(res.reason, "signature is for a manifest of 481 "
	    "bytes, not 482");
	assert_int_equal(sig_notation_verify_jws(env, len, trust,
	    strlen(trust), MAN_DIGEST, MAN_SIZE,
	    "application/vnd.oci.image.index.v1+json", NOW,
	    SIG_NOTATION_STRICT, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_WRONG_TARGET);
	assert_string_equal(res.reason, "signature is for media type \""
	    MAN_TYPE "\", not \"application/vnd.oci.image.index.v1+json\"");
	free(trust);
	free(env);
}

static void
test_fixture_tampered(void **state)
{
	struct sig_notation_result res;
	char *trust = fixture_root_pem(), *env, *sig;
	size_t len;
	const char *bad_sig =
	    "signature does not verify with the x5c leaf's key";

	(void)state;
	/* Another signing time, re-encoded: the header no longer verifies. */
	env = fixture_edited("protected", "16:10:02", "16:10:03");
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	assert_string_equal(res.reason, bad_sig);
	free(env);
	/* Another target in the payload: caught before the target check. */
	env = fixture_edited("payload", "acecef0", "acecef1");
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	assert_string_equal(res.reason, bad_sig);
	free(env);
	/* One character of the signature changed. */
	env = fixture("jws_signature.sig", &len);
	sig = strstr(env, "\"signature\":\"");
	assert_non_null(sig);
	sig += strlen("\"signature\":\"") + 10;
	*sig = *sig == 'A' ? 'B' : 'A';
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	assert_string_equal(res.reason, bad_sig);
	free(env);
	/* A protected header that is not JSON; padding is not base64url. */
	env = fixture_with("protected", "bm90IGpzb24");
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	assert_string_equal(res.reason,
	    "protected header is not a JSON object");
	free(env);
	env = fixture_with("signature", "AAAA==");
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	assert_string_equal(res.reason, "envelope \"signature\" is not "
	    "base64url: invalid base64url character at offset 4");
	free(env);
	free(trust);
}

/* Generated JWS by KEY: expiry honoured against NOW, alg checked. */
static void
check_generated(EVP_PKEY *key, const char *prot, const char *wrong_alg)
{
	struct sig_notation_result res;
	X509 *cert = make_cert(key, "signer", NID_code_sign);
	char *trust = pem_of(cert), *env = make_jws(key, cert, prot,
	    GEN_PAYLOAD), *other = other_root_pem();

	assert_int_equal(verify(env, trust, EXPIRY - 1, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	assert_string_equal(res.reason, "signed by C=US, O=Test, CN=signer");
	assert_int_equal(res.expiry, EXPIRY);
	assert_int_equal(verify(env, trust, EXPIRY + 1, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_EXPIRED);
	assert_string_equal(res.reason,
	    "signature expired at 2026-06-01T00:00:00Z");
	/* The trust decision comes before the expiry. */
	assert_int_equal(verify(env, other, EXPIRY + 1, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNTRUSTED);
	/* Permissive: the expiry is only logged; the trust still counts. */
	assert_int_equal(verify_level(env, trust, EXPIRY + 1,
	    SIG_NOTATION_PERMISSIVE, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	assert_string_equal(res.reason, "signed by C=US, O=Test, CN=signer");
	assert_int_equal(res.logged, SIG_NOTATION_LOGGED_EXPIRED);
	assert_string_equal(res.logged_reason,
	    "signature expired at 2026-06-01T00:00:00Z");
	assert_int_equal(verify_level(env, other, EXPIRY + 1,
	    SIG_NOTATION_PERMISSIVE, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNTRUSTED);
	/* Audit: authenticity and expiry logged, integrity still enforced. */
	assert_int_equal(verify_level(env, other, EXPIRY + 1,
	    SIG_NOTATION_AUDIT, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	assert_int_equal(res.logged, SIG_NOTATION_LOGGED_EXPIRED |
	    SIG_NOTATION_LOGGED_UNTRUSTED);
	assert_non_null(strstr(res.logged_reason, "the certificate chain "
	    "does not lead to the trust store"));
	assert_int_equal(verify_level(env, trust, EXPIRY - 1,
	    SIG_NOTATION_AUDIT, &res), RW_OK);
	assert_int_equal(res.logged, 0);
	assert_string_equal(res.logged_reason, "");
	free(env);
	env = make_jws(key, cert, wrong_alg, GEN_PAYLOAD);
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	assert_int_equal(verify_level(env, other, NOW, SIG_NOTATION_AUDIT,
	    &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	free(env);
	free(other);
	free(trust);
	X509_free(cert);
}

static void
test_generated_expiry(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	EVP_PKEY *rsa = EVP_RSA_gen(2048);

	(void)state;
	assert_non_null(ec);
	assert_non_null(rsa);
	check_generated(ec, GEN_PROT("ES256", ",\"io.cncf.notary.expiry\"",
	    ",\"io.cncf.notary.expiry\":\"2026-06-01T00:00:00Z\""),
	    GEN_PROT("ES384", "", ""));
	check_generated(rsa, GEN_PROT("PS256", ",\"io.cncf.notary.expiry\"",
	    ",\"io.cncf.notary.expiry\":\"2026-06-01T00:00:00Z\""),
	    GEN_PROT("PS384", "", ""));
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void
test_generated_header(void **state)
{
	struct sig_notation_result res;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = make_cert(key, "signer", NID_code_sign);
	X509 *web = make_cert(key, "web", NID_server_auth);
	char *trust = pem_of(cert), *env;

	(void)state;
	env = make_jws(key, cert, GEN_PROT("ES256", ",\"x.unknown\"",
	    ",\"x.unknown\":1"), GEN_PAYLOAD);
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNSUPPORTED);
	assert_string_equal(res.reason,
	    "unknown critical header \"x.unknown\"");
	free(env);
	env = make_jws(key, cert, GEN_PROT("ES256", "",
	    ",\"io.cncf.notary.expiry\":\"2026-06-01T00:00:00Z\""),
	    GEN_PAYLOAD);
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	assert_string_equal(res.reason, "crit does not list "
	    "io.cncf.notary.expiry though it is present");
	free(env);
	env = make_jws(key, cert, GEN_PROT("HS256", "", ""), GEN_PAYLOAD);
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNSUPPORTED);
	assert_string_equal(res.reason,
	    "signature algorithm \"HS256\" is not supported");
	free(env);
	/* A TLS server certificate may not sign code, even if trusted. */
	free(trust);
	trust = pem_of(web);
	env = make_jws(key, web, GEN_PROT("ES256", "", ""), GEN_PAYLOAD);
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNTRUSTED);
	assert_string_equal(res.reason, "the signing certificate's extended "
	    "key usage does not allow code signing alone");
	free(env);
	free(trust);
	X509_free(web);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Verify the COSE bytes ENV (LEN) against TRUST for DIGEST. */
static int
verify_cose(const char *env, size_t len, const char *trust,
    const char *digest, struct sig_notation_result *res)
{
	struct rw_err err;

	rw_err_clear(&err);
	return sig_notation_verify_cose((const unsigned char *)env, len,
	    trust, strlen(trust), digest, MAN_SIZE, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, res, &err);
}

static void
test_cose_fixture(void **state)
{
	struct sig_notation_result res;
	size_t len;
	char *env = fixture("cose_signature.sig", &len);
	char *trust = fixture_root_pem(), *other = other_root_pem(), *hit;

	(void)state;
	assert_int_equal(verify_cose(env, len, trust, MAN_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_VALID);
	assert_string_equal(res.reason, "signed by " FIX_SUBJECT);
	assert_int_equal(res.signing_time, 1678769122);	/* 04:45:22Z */
	assert_int_equal(verify_cose(env, len, other, MAN_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_UNTRUSTED);
	assert_string_equal(res.reason, "the certificate chain does not lead "
	    "to the trust store at the signing time 2023-03-14T04:45:22Z: "
	    "self-signed certificate");
	assert_int_equal(verify_cose(env, len, trust, OTHER_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_WRONG_TARGET);
	/* Handed to the JWS verifier by mistake, it is not JSON. */
	assert_int_equal(verify(env, trust, NOW, &res), RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	/* The signed target edited in place: the signature fails. */
	hit = memmem(env, len, "acecef0", 7);
	assert_non_null(hit);
	hit[6] = '1';
	assert_int_equal(verify_cose(env, len, trust, OTHER_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	hit[6] = '0';
	/* The last signature byte flipped. */
	env[len - 1] ^= 1;
	assert_int_equal(verify_cose(env, len, trust, MAN_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_BAD_SIGNATURE);
	assert_string_equal(res.reason,
	    "signature does not verify with the x5c leaf's key");
	env[len - 1] ^= 1;
	/* Truncated, and with the tag changed. */
	assert_int_equal(verify_cose(env, len - 1, trust, MAN_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	assert_string_equal(res.reason, "COSE payload or signature is not a "
	    "byte string, or bytes follow them");
	env[0] = (char)0xd1;
	assert_int_equal(verify_cose(env, len, trust, MAN_DIGEST, &res),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	assert_string_equal(res.reason, "envelope is not a tagged COSE_Sign1 "
	    "(CBOR tag 18 around four items)");
	free(other);
	free(trust);
	free(env);
}

static void
test_bad_args(void **state)
{
	struct sig_notation_result res;
	struct rw_err err;
	size_t len;
	char *env = fixture("jws_signature.sig", &len);

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_notation_verify_jws(env, len, "junk", 4,
	    MAN_DIGEST, MAN_SIZE, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, &res, &err), RW_EINVAL);
	assert_string_equal(err.msg, "trust store holds no PEM certificate");
	assert_int_equal(res.verdict, SIG_NOTATION_MALFORMED);
	rw_err_clear(&err);
	assert_int_equal(sig_notation_verify_jws(NULL, 0, "", 0, MAN_DIGEST,
	    MAN_SIZE, MAN_TYPE, NOW,
	    SIG_NOTATION_STRICT, &res, &err), RW_EINVAL);
	assert_string_equal(err.msg, "NULL argument");
	assert_string_equal(sig_notation_verdict_str(SIG_NOTATION_EXPIRED),
	    "expired");
	assert_string_equal(sig_notation_verdict_str(
	    (enum sig_notation_verdict)99), "unknown");
	free(env);
}

static int
fixtures_present(void **state)
{
	char path[512];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/jws_signature.sig", FIX_DIR);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "notation fixtures missing: %s not found (the "
		    "tests/fixtures belongs to the source tree)\n",
		    path);
		return -1;
	}
	fclose(f);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_valid),
		cmocka_unit_test(test_fixture_untrusted),
		cmocka_unit_test(test_fixture_wrong_target),
		cmocka_unit_test(test_fixture_tampered),
		cmocka_unit_test(test_generated_expiry),
		cmocka_unit_test(test_generated_header),
		cmocka_unit_test(test_cose_fixture),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, fixtures_present, NULL);
}
