/* test_cosign.c - public keys and cosign key-based signatures. */
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
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/sig.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
/* Real signatures made by other tools, kept in tests/fixtures. */
#define FIX_DIR		RW_SOURCE_DIR "/tests/fixtures/cosign"
#define SIGSTORE_MAGIC	"\0sigstore-json\n"
#define SIGSTORE_MAGIC_LEN	(sizeof(SIGSTORE_MAGIC) - 1)

#define COSIGN_ID  "sha256:c87a79018f346cc02482448b77296b0bea143ef2ccab99b04776fb0f638f301f"
#define COSIGN2_ID "sha256:5e7eb6c1e2e6db06470ae59ee8253b3dc4ce33beefb9a0cca06a371cfc0ebdfa"
#define RSA_ID     "sha256:a39365192ecdea0826d7b9cdc2a9cb4cc389854620c424743d3761d3617feb81"
#define SINGLE_DIGEST \
	"sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
#define REKOR_DIGEST \
	"sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"
#define DIGEST_ERROR_DIGEST \
	"sha256:dc6d2c1a204b02b1ed4d0a9b29f075d24317a37da08041f89a88a2ebffbe46d8"
#define MODIFIED_DIGEST \
	"sha256:d9dcafdb480aa7c475e91737b96925e45844213dcb0290b4a90017459121f71f"
#define SINGLE_REF	"192.168.64.2:5000/cosign-signed-single-sample"

/* ---------------------------------------------------------------- helpers */

static char *
fixture(const char *rel, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIX_DIR, rel);
	return tu_slurp(path, len);
}

static struct sig_key *
fixture_key(const char *name)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	size_t len;
	char *pem = fixture(name, &len);

	rw_err_clear(&err);
	if (sig_key_load(pem, len, &k, &err) != RW_OK)
		fail_msg("%s: %s", name, err.msg);
	free(pem);
	return k;
}

/* One signature as containers/image stores it in a dir: layout. */
struct dirsig {
	unsigned char	*payload;
	size_t		 plen;
	char		*sig_b64;
	char		*mime;
	char		*cert;		/* dev.sigstore.cosign/certificate */
};

static void
dirsig_free(struct dirsig *ds)
{
	free(ds->payload);
	free(ds->sig_b64);
	free(ds->mime);
	free(ds->cert);
	memset(ds, 0, sizeof(*ds));
}

/*
 * Reads `\0sigstore-json\n` + {"mimeType", "payload" (base64), "annotations"}
 * into DS.  Test-only: in a registry the payload is a blob and the
 * annotations sit on the layer descriptor.
 */
static void
dirsig_read(const char *rel, struct dirsig *ds)
{
	struct rw_err err;
	json_error_t je;
	json_t *doc, *p, *s, *m, *c;
	size_t len;
	char *raw = fixture(rel, &len);

	memset(ds, 0, sizeof(*ds));
	if (len < SIGSTORE_MAGIC_LEN ||
	    memcmp(raw, SIGSTORE_MAGIC, SIGSTORE_MAGIC_LEN) != 0)
		fail_msg("%s: no sigstore-json header", rel);
	doc = json_loadb(raw + SIGSTORE_MAGIC_LEN, len - SIGSTORE_MAGIC_LEN,
	    JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		fail_msg("%s: %s", rel, je.text);
	p = json_object_get(doc, "payload");
	s = json_object_get(json_object_get(doc, "annotations"),
	    "dev.cosignproject.cosign/signature");
	m = json_object_get(doc, "mimeType");
	if (!json_is_string(p) || !json_is_string(s) || !json_is_string(m))
		fail_msg("%s: payload, signature or mimeType missing", rel);
	rw_err_clear(&err);
	if (sig_b64_decode(json_string_value(p), json_string_length(p), 0,
	    &ds->payload, &ds->plen, &err) != RW_OK)
		fail_msg("%s: payload: %s", rel, err.msg);
	ds->sig_b64 = strdup(json_string_value(s));
	ds->mime = strdup(json_string_value(m));
	c = json_object_get(json_object_get(doc, "annotations"),
	    "dev.sigstore.cosign/certificate");
	if (json_is_string(c))
		ds->cert = strdup(json_string_value(c));
	json_decref(doc);
	free(raw);
}

/* sha256 of DIR/manifest.json. */
static void
manifest_digest(const char *dir, char out[RW_DIGEST_MAX])
{
	char rel[256];
	size_t len;
	char *m;

	snprintf(rel, sizeof(rel), "%.200s/manifest.json", dir);
	m = fixture(rel, &len);
	assert_int_equal(rw_digest(RW_HASH_SHA256, m, len, out), RW_OK);
	free(m);
}

static void
verify_ok(const struct sig_key *k, const void *payload, size_t plen,
    const char *sig_b64, const char *digest, struct sig_result *res)
{
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(sig_cosign_verify(k, payload, plen, sig_b64, digest,
	    res, &err), RW_OK);
	assert_string_equal(err.msg, "");
}

static int
fixtures_present(void **state)
{
	char path[512];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/cosign.pub", FIX_DIR);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cosign fixtures missing: %s not found (the "
		    "tests/fixtures belongs to the source tree)\n",
		    path);
		return -1;
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ generated */

static EVP_PKEY *
gen_key(const char *type, const char *curve, size_t bits)
{
	EVP_PKEY *pk;

	if (curve != NULL)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type, curve);
	else if (bits != 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type, bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(pk);
	return pk;
}

/* An RSA-family public key with an N of BITS bits (not a real modulus). */
static EVP_PKEY *
fake_rsa(const char *type, int bits)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	BIGNUM *n = BN_new(), *e = BN_new();

	assert_true(bld != NULL && n != NULL && e != NULL);
	assert_int_equal(BN_set_bit(n, bits - 1), 1);
	assert_int_equal(BN_set_bit(n, 0), 1);
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	assert_true(params != NULL && ctx != NULL);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* PK's public half as PEM text (caller frees). */
static char *
pub_pem(EVP_PKEY *pk, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return out;
}

static struct sig_key *
load_pub(EVP_PKEY *pk)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	size_t len;
	char *pem = pub_pem(pk, &len);

	rw_err_clear(&err);
	if (sig_key_load(pem, len, &k, &err) != RW_OK)
		fail_msg("sig_key_load: %s", err.msg);
	free(pem);
	return k;
}

/* Base64 (standard, padded) of MSG signed by PK with MD (NULL: none). */
static char *
sign_b64(EVP_PKEY *pk, const char *md, const void *msg, size_t mlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig;
	size_t slen = 0;
	char *b64;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, pk,
	    NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, NULL, &slen, msg, mlen), 1);
	sig = malloc(slen);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen, msg, mlen), 1);
	b64 = malloc(4 * ((slen + 2) / 3) + 1);
	assert_non_null(b64);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
	free(sig);
	EVP_MD_CTX_free(ctx);
	return b64;
}

/* The payload cosign writes for DIGEST. */
static char *
make_payload(const char *digest)
{
	char *p = malloc(512);

	assert_non_null(p);
	snprintf(p, 512, "{\"critical\":{\"identity\":{\"docker-reference\":"
	    "\"registry.example/app\"},\"image\":{\"docker-manifest-digest\":"
	    "\"%s\"},\"type\":\"cosign container image signature\"},"
	    "\"optional\":null}", digest);
	return p;
}

/* ------------------------------------------------------------- fixtures */

struct fix_row {
	const char	*sig;		/* dir/signature-N */
	const char	*key;
	const char	*digest;	/* manifest digest the caller passes */
	int		 verdict;
	const char	*reason;
	const char	*named;		/* sig_result.digest */
};

#define BAD_P256(id) "signature does not verify with ECDSA P-256 key " id
#define BAD_RSA	"signature does not verify with RSA 4096 key " RSA_ID

static const struct fix_row fix_rows[] = {
	{ "dir-img-cosign-valid/signature-1", "cosign.pub", SINGLE_DIGEST,
	    SIG_VALID, "signed by ECDSA P-256 key " COSIGN_ID, SINGLE_DIGEST },
	{ "dir-img-cosign-valid-2/signature-1", "cosign.pub", SINGLE_DIGEST,
	    SIG_VALID, "signed by ECDSA P-256 key " COSIGN_ID, SINGLE_DIGEST },
	{ "dir-img-cosign-valid-2/signature-2", "cosign.pub", SINGLE_DIGEST,
	    SIG_VALID, "signed by ECDSA P-256 key " COSIGN_ID, SINGLE_DIGEST },
	/* mixed: an unknown key's signature first, then a good one */
	{ "dir-img-cosign-mixed/signature-1", "cosign.pub", SINGLE_DIGEST,
	    SIG_BAD_SIGNATURE, BAD_P256(COSIGN_ID), "" },
	{ "dir-img-cosign-mixed/signature-2", "cosign.pub", SINGLE_DIGEST,
	    SIG_VALID, "signed by ECDSA P-256 key " COSIGN_ID, SINGLE_DIGEST },
	/* good signatures naming another manifest */
	{ "dir-img-cosign-manifest-digest-error/signature-1", "cosign.pub",
	    DIGEST_ERROR_DIGEST, SIG_WRONG_DIGEST, "signature is for "
	    SINGLE_DIGEST ", not " DIGEST_ERROR_DIGEST, SINGLE_DIGEST },
	{ "dir-img-cosign-modified-manifest/signature-1", "cosign.pub",
	    MODIFIED_DIGEST, SIG_WRONG_DIGEST, "signature is for "
	    SINGLE_DIGEST ", not " MODIFIED_DIGEST, SINGLE_DIGEST },
	/* a text/plain attachment wearing a signature annotation */
	{ "dir-img-cosign-other-attachment/signature-1", "cosign.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_P256(COSIGN_ID), "" },
	/* key + Rekor bundle (the bundle is not checked yet) */
	{ "dir-img-cosign-key-rekor-valid/signature-1", "cosign2.pub",
	    REKOR_DIGEST, SIG_VALID, "signed by ECDSA P-256 key " COSIGN2_ID,
	    REKOR_DIGEST },
	{ "dir-img-cosign-key-rekor-valid/signature-1", "cosign.pub",
	    REKOR_DIGEST, SIG_BAD_SIGNATURE, BAD_P256(COSIGN_ID), "" },
	{ "dir-img-cosign-valid/signature-1", "cosign2.pub", SINGLE_DIGEST,
	    SIG_BAD_SIGNATURE, BAD_P256(COSIGN2_ID), "" },
	/* keyless and BYO-PKI signatures are not by cosign.pub */
	{ "dir-img-cosign-fulcio-rekor-valid/signature-1", "cosign.pub",
	    REKOR_DIGEST, SIG_BAD_SIGNATURE, BAD_P256(COSIGN_ID), "" },
	{ "dir-img-cosign-pki-valid/signature-1", "cosign.pub",
	    "sha256:253c890b744fe3efa923b68e3a1be07bd007eb44ba29da1e7deb1d4c53b3e212",
	    SIG_BAD_SIGNATURE, BAD_P256(COSIGN_ID), "" },
	/* an unrelated RSA key signed none of them */
	{ "dir-img-cosign-valid/signature-1", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-valid-2/signature-1", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-valid-2/signature-2", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-mixed/signature-1", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-mixed/signature-2", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-manifest-digest-error/signature-1",
	    "some-rsa-key.pub", DIGEST_ERROR_DIGEST, SIG_BAD_SIGNATURE,
	    BAD_RSA, "" },
	{ "dir-img-cosign-modified-manifest/signature-1", "some-rsa-key.pub",
	    MODIFIED_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-other-attachment/signature-1", "some-rsa-key.pub",
	    SINGLE_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
	{ "dir-img-cosign-key-rekor-valid/signature-1", "some-rsa-key.pub",
	    REKOR_DIGEST, SIG_BAD_SIGNATURE, BAD_RSA, "" },
};

static void
test_fixture_rows(void **state)
{
	struct sig_result res;
	struct dirsig ds;
	struct sig_key *k;
	char dir[256], md[RW_DIGEST_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < N(fix_rows); i++) {
		const struct fix_row *r = &fix_rows[i];

		/* The digest each row passes is the manifest's own. */
		snprintf(dir, sizeof(dir), "%s", r->sig);
		*strchr(dir, '/') = '\0';
		manifest_digest(dir, md);
		assert_string_equal(md, r->digest);
		k = fixture_key(r->key);
		dirsig_read(r->sig, &ds);
		verify_ok(k, ds.payload, ds.plen, ds.sig_b64, r->digest, &res);
		if ((int)res.verdict != r->verdict ||
		    strcmp(res.reason, r->reason) != 0)
			fail_msg("%s under %s: got %s (%s), want %s (%s)",
			    r->sig, r->key, sig_verdict_str(res.verdict),
			    res.reason, sig_verdict_str(r->verdict), r->reason);
		assert_string_equal(res.digest, r->named);
		dirsig_free(&ds);
		sig_key_free(k);
	}
}

/* The README's outcome per image: does any of its signatures pass? */
static void
test_fixture_images(void **state)
{
	static const struct {
		const char	*dir;
		int		 nsig;
		int		 nvalid;
	} rows[] = {
		{ "dir-img-cosign-valid", 1, 1 },
		{ "dir-img-cosign-valid-2", 2, 2 },
		{ "dir-img-cosign-mixed", 2, 1 },
		{ "dir-img-cosign-manifest-digest-error", 1, 0 },
		{ "dir-img-cosign-modified-manifest", 1, 0 },
		{ "dir-img-cosign-other-attachment", 1, 0 },
	};
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct dirsig ds;
	char rel[256], md[RW_DIGEST_MAX];
	size_t i;
	int j, nvalid;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		manifest_digest(rows[i].dir, md);
		nvalid = 0;
		for (j = 1; j <= rows[i].nsig; j++) {
			snprintf(rel, sizeof(rel), "%s/signature-%d",
			    rows[i].dir, j);
			dirsig_read(rel, &ds);
			verify_ok(k, ds.payload, ds.plen, ds.sig_b64, md, &res);
			if (res.verdict == SIG_VALID) {
				nvalid++;
				assert_string_equal(res.reference, SINGLE_REF);
				assert_string_equal(ds.mime,
				    SIG_COSIGN_MEDIA_TYPE);
			}
			dirsig_free(&ds);
		}
		if (nvalid != rows[i].nvalid)
			fail_msg("%s: %d valid signatures, want %d",
			    rows[i].dir, nvalid, rows[i].nvalid);
	}
	/* The attachment's media type alone lets the caller skip it. */
	dirsig_read("dir-img-cosign-other-attachment/signature-1", &ds);
	assert_string_equal(ds.mime, "text/plain");
	dirsig_free(&ds);
	sig_key_free(k);
}

/* ------------------------------------------------------------ tampering */

static void
test_tamper_payload(void **state)
{
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct dirsig ds;
	size_t i;

	(void)state;
	dirsig_read("dir-img-cosign-valid/signature-1", &ds);
	verify_ok(k, ds.payload, ds.plen, ds.sig_b64, SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_VALID);
	for (i = 0; i < ds.plen; i++) {
		ds.payload[i] ^= 0x01;
		verify_ok(k, ds.payload, ds.plen, ds.sig_b64, SINGLE_DIGEST,
		    &res);
		if (res.verdict != SIG_BAD_SIGNATURE)
			fail_msg("payload byte %zu flipped: %s", i, res.reason);
		assert_string_equal(res.reason, BAD_P256(COSIGN_ID));
		ds.payload[i] ^= 0x01;
	}
	/* One byte short, one byte more. */
	verify_ok(k, ds.payload, ds.plen - 1, ds.sig_b64, SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	dirsig_free(&ds);
	sig_key_free(k);
}

static void
test_tamper_signature(void **state)
{
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct rw_err err;
	struct dirsig ds;
	unsigned char *sig;
	size_t slen, i;
	char *b64;

	(void)state;
	dirsig_read("dir-img-cosign-valid/signature-1", &ds);
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(ds.sig_b64, strlen(ds.sig_b64), 0,
	    &sig, &slen, &err), RW_OK);
	b64 = malloc(4 * ((slen + 2) / 3) + 1);
	assert_non_null(b64);
	for (i = 0; i < slen; i++) {
		sig[i] ^= 0x01;
		EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
		verify_ok(k, ds.payload, ds.plen, b64, SINGLE_DIGEST, &res);
		if (res.verdict != SIG_BAD_SIGNATURE)
			fail_msg("signature byte %zu flipped: %s", i,
			    res.reason);
		sig[i] ^= 0x01;
	}
	/* Restored, it verifies again: the loop above changed one byte. */
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
	assert_string_equal(b64, ds.sig_b64);
	verify_ok(k, ds.payload, ds.plen, b64, SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_VALID);
	free(b64);
	free(sig);
	dirsig_free(&ds);
	sig_key_free(k);
}

static void
test_tamper_digest(void **state)
{
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct dirsig ds;
	char md[RW_DIGEST_MAX], want[2 * RW_DIGEST_MAX + 64];
	size_t i;

	(void)state;
	dirsig_read("dir-img-cosign-valid/signature-1", &ds);
	rw_strlcpy(md, SINGLE_DIGEST, sizeof(md));
	for (i = 0; md[i] != '\0'; i++) {
		md[i] ^= 0x01;
		verify_ok(k, ds.payload, ds.plen, ds.sig_b64, md, &res);
		snprintf(want, sizeof(want), "signature is for %s, not %s",
		    SINGLE_DIGEST, md);
		if (res.verdict != SIG_WRONG_DIGEST)
			fail_msg("digest byte %zu flipped: %s", i, res.reason);
		assert_string_equal(res.reason, want);
		assert_string_equal(res.digest, SINGLE_DIGEST);
		md[i] ^= 0x01;
	}
	/* A prefix or an extension of the digest is not the digest. */
	md[strlen(md) - 1] = '\0';
	verify_ok(k, ds.payload, ds.plen, ds.sig_b64, md, &res);
	assert_int_equal(res.verdict, SIG_WRONG_DIGEST);
	snprintf(md, sizeof(md), "%s0", SINGLE_DIGEST);
	verify_ok(k, ds.payload, ds.plen, ds.sig_b64, md, &res);
	assert_int_equal(res.verdict, SIG_WRONG_DIGEST);
	dirsig_free(&ds);
	sig_key_free(k);
}

/* ----------------------------------------------------------- line breaks */

/*
 * dir-img-cosign-pki-valid's signature annotation is wrapped at 76 columns
 * (made with `openssl base64`); cosign skips the line breaks.  Its signer
 * is the certificate's key, which cosign checks against a CA: here we
 * only take the key out of the certificate to check the bytes.
 */
static void
test_line_breaks(void **state)
{
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct dirsig ds;
	char md[RW_DIGEST_MAX], *wrapped;
	EVP_PKEY *pk;
	X509 *cert;
	BIO *bio;
	size_t i, o, n;

	(void)state;
	dirsig_read("dir-img-cosign-pki-valid/signature-1", &ds);
	assert_non_null(strchr(ds.sig_b64, '\n'));
	assert_non_null(ds.cert);
	bio = BIO_new_mem_buf(ds.cert, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(cert);
	pk = X509_get_pubkey(cert);
	assert_non_null(pk);
	{
		struct sig_key *ck = load_pub(pk);

		manifest_digest("dir-img-cosign-pki-valid", md);
		verify_ok(ck, ds.payload, ds.plen, ds.sig_b64, md, &res);
		assert_int_equal(res.verdict, SIG_VALID);
		assert_string_equal(res.reference, "localhost:5000/test");
		sig_key_free(ck);
	}
	EVP_PKEY_free(pk);
	X509_free(cert);
	BIO_free(bio);
	dirsig_free(&ds);

	/* cosign's own signature, wrapped every 8 characters with CRLF */
	dirsig_read("dir-img-cosign-valid/signature-1", &ds);
	n = strlen(ds.sig_b64);
	wrapped = malloc(n * 2 + 1);
	assert_non_null(wrapped);
	for (i = 0, o = 0; i < n; i++) {
		if (i > 0 && i % 8 == 0) {
			wrapped[o++] = '\r';
			wrapped[o++] = '\n';
		}
		wrapped[o++] = ds.sig_b64[i];
	}
	wrapped[o] = '\0';
	verify_ok(k, ds.payload, ds.plen, wrapped, SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_VALID);
	free(wrapped);
	dirsig_free(&ds);
	sig_key_free(k);
}

/* ------------------------------------------------------ generated keys */

struct gen_row {
	const char	*type;
	const char	*curve;
	size_t		 bits;
	const char	*md;		/* what cosign signs with */
	const char	*kind;
	const char	*other_md;	/* a digest cosign does not use, or NULL */
};

static const struct gen_row gen_rows[] = {
	{ "ED25519", NULL, 0, NULL, "Ed25519", NULL },
	{ "RSA", NULL, 2048, "SHA256", "RSA 2048", "SHA512" },
	{ "EC", "P-256", 0, "SHA256", "ECDSA P-256", "SHA384" },
	/* cosign verifies with SHA-256 whatever the curve */
	{ "EC", "P-384", 0, "SHA256", "ECDSA P-384", "SHA384" },
	{ "EC", "P-521", 0, "SHA256", "ECDSA P-521", "SHA512" },
};

static void
gen_one(const struct gen_row *r)
{
	EVP_PKEY *pk = gen_key(r->type, r->curve, r->bits);
	struct sig_key *k = load_pub(pk);
	struct sig_result res;
	char *payload = make_payload(SINGLE_DIGEST), *b64, want[256];
	unsigned char *der = NULL;
	int n;

	/* The id is sha256 of the DER SubjectPublicKeyInfo. */
	n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	assert_int_equal(rw_digest(RW_HASH_SHA256, der, (size_t)n, want),
	    RW_OK);
	OPENSSL_free(der);
	assert_string_equal(sig_key_id(k), want);
	assert_string_equal(sig_key_kind(k), r->kind);

	b64 = sign_b64(pk, r->md, payload, strlen(payload));
	verify_ok(k, payload, strlen(payload), b64, SINGLE_DIGEST, &res);
	snprintf(want, sizeof(want), "signed by %s key %s", r->kind,
	    sig_key_id(k));
	assert_int_equal(res.verdict, SIG_VALID);
	assert_string_equal(res.reason, want);
	assert_string_equal(res.reference, "registry.example/app");
	payload[10] ^= 0x01;
	verify_ok(k, payload, strlen(payload), b64, SINGLE_DIGEST, &res);
	snprintf(want, sizeof(want), "signature does not verify with %s key "
	    "%s", r->kind, sig_key_id(k));
	assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	assert_string_equal(res.reason, want);
	payload[10] ^= 0x01;
	free(b64);
	if (r->other_md != NULL) {
		b64 = sign_b64(pk, r->other_md, payload, strlen(payload));
		verify_ok(k, payload, strlen(payload), b64, SINGLE_DIGEST,
		    &res);
		assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
		free(b64);
	}
	free(payload);
	sig_key_free(k);
	EVP_PKEY_free(pk);
}

static void
test_generated_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(gen_rows); i++)
		gen_one(&gen_rows[i]);
}

/* ------------------------------------------------------- key refusals */

struct key_row {
	const char	*pem;
	int		 rc;
	const char	*msg;
};

#define PEM_BEGIN	"-----BEGIN PUBLIC KEY-----\n"
#define PEM_END		"-----END PUBLIC KEY-----\n"
/* cosign.pub's DER with two bytes 00 00 appended inside the block. */
#define COSIGN_B64_1 "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFNLqFhf4fiN6o/glAuYnq2jYUeL0\n"
#define COSIGN_B64_2 "vRuLu/z39pmbVwS9ff5AYnlwaP9sxREajdLY9ynM6G1sy6AAmb7Z63TsLg==\n"

static const struct key_row key_rows[] = {
	{ "", RW_EPARSE,
	    "no PEM block found (expected -----BEGIN PUBLIC KEY-----)" },
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA user@host\n", RW_EPARSE,
	    "no PEM block found (expected -----BEGIN PUBLIC KEY-----)" },
	{ "-----BEGIN RSA PUBLIC KEY-----\nMAoCAwEAAQIDAQAB\n"
	    "-----END RSA PUBLIC KEY-----\n", RW_EPARSE,
	    "PEM block is \"RSA PUBLIC KEY\", expected \"PUBLIC KEY\"" },
	{ PEM_BEGIN "!!!!\n" PEM_END, RW_EPARSE, "malformed PEM block" },
	{ PEM_BEGIN COSIGN_B64_1, RW_EPARSE, "malformed PEM block" },
	{ PEM_BEGIN "aGVsbG8gd29ybGQ=\n" PEM_END, RW_EPARSE,
	    "PUBLIC KEY is not a valid SubjectPublicKeyInfo" },
	{ PEM_BEGIN "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
	    "00112233445566778899AABBCCDDEEFF\n\n" COSIGN_B64_1
	    COSIGN_B64_2 PEM_END, RW_EPARSE, "PEM block has headers" },
	{ PEM_BEGIN COSIGN_B64_1 COSIGN_B64_2 PEM_END PEM_BEGIN COSIGN_B64_1
	    COSIGN_B64_2 PEM_END, RW_EPARSE, "more than one PEM block" },
	{ PEM_BEGIN COSIGN_B64_1 COSIGN_B64_2 PEM_END "-----BEGIN", RW_EPARSE,
	    "more than one PEM block" },
};

static void
key_refused(const char *pem, size_t len, int rc, const char *msg)
{
	struct sig_key *k = (struct sig_key *)(uintptr_t)1;
	struct rw_err err;

	rw_err_clear(&err);
	if (sig_key_load(pem, len, &k, &err) != rc ||
	    strcmp(err.msg, msg) != 0)
		fail_msg("%.60s: got \"%s\", want \"%s\"", pem, err.msg, msg);
	assert_int_equal(err.code, rc);
	assert_null(k);
}

static void
test_key_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(key_rows); i++)
		key_refused(key_rows[i].pem, strlen(key_rows[i].pem),
		    key_rows[i].rc, key_rows[i].msg);
}

/* The DER SPKI of cosign.pub with two bytes appended, as PEM. */
static void
test_key_trailing_der(void **state)
{
	unsigned char der[256], b64[400];
	char pem[600];
	size_t len;
	char *txt = fixture("cosign.pub", &len);
	BIO *bio = BIO_new_mem_buf(txt, (int)len);
	EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	unsigned char *p = der;
	int n;

	(void)state;
	assert_non_null(pk);
	n = i2d_PUBKEY(pk, &p);
	assert_true(n > 0 && n + 2 <= (int)sizeof(der));
	der[n] = 0;
	der[n + 1] = 0;
	EVP_EncodeBlock(b64, der, n + 2);
	snprintf(pem, sizeof(pem), PEM_BEGIN "%s\n" PEM_END, b64);
	key_refused(pem, strlen(pem), RW_EPARSE,
	    "PUBLIC KEY has 2 bytes after the SubjectPublicKeyInfo");
	/* The same text without the two bytes loads, text before included. */
	EVP_EncodeBlock(b64, der, n);
	snprintf(pem, sizeof(pem), "cosign.pub of the test suite\n" PEM_BEGIN
	    "%s\n" PEM_END, b64);
	{
		struct sig_key *k = NULL;

		assert_int_equal(sig_key_load(pem, strlen(pem), &k, NULL),
		    RW_OK);
		assert_string_equal(sig_key_id(k), COSIGN_ID);
		sig_key_free(k);
	}
	EVP_PKEY_free(pk);
	BIO_free(bio);
	free(txt);
}

static void
test_key_types(void **state)
{
	static const struct {
		const char	*type;
		const char	*curve;
		int		 fake_bits;	/* fake_rsa when nonzero */
		const char	*msg;
	} rows[] = {
		{ "X25519", NULL, 0, "unsupported key type X25519 (expected "
		    "ECDSA P-256/P-384/P-521, RSA or Ed25519)" },
		{ "ED448", NULL, 0, "unsupported key type ED448 (expected "
		    "ECDSA P-256/P-384/P-521, RSA or Ed25519)" },
		{ "EC", "secp256k1", 0, "unsupported EC curve \"secp256k1\" "
		    "(expected P-256, P-384 or P-521)" },
		{ "RSA", NULL, 2047, "RSA key of 2047 bits (expected 2048 to "
		    "4096)" },
		{ "RSA", NULL, 4097, "RSA key of 4097 bits (expected 2048 to "
		    "4096)" },
		{ "RSA-PSS", NULL, 2048, "unsupported key type RSA-PSS "
		    "(expected ECDSA P-256/P-384/P-521, RSA or Ed25519)" },
	};
	EVP_PKEY *pk;
	size_t i, len;
	char *pem;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		if (rows[i].fake_bits != 0)
			pk = fake_rsa(rows[i].type, rows[i].fake_bits);
		else
			pk = gen_key(rows[i].type, rows[i].curve, 0);
		pem = pub_pem(pk, &len);
		key_refused(pem, len, RW_EUNSUPPORTED, rows[i].msg);
		free(pem);
		EVP_PKEY_free(pk);
	}
	/* The sizes at both ends of the range load. */
	pk = fake_rsa("RSA", 4096);
	{
		struct sig_key *k = load_pub(pk);

		assert_string_equal(sig_key_kind(k), "RSA 4096");
		sig_key_free(k);
	}
	EVP_PKEY_free(pk);
}

static void
test_key_args(void **state)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	char *big;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_key_load(NULL, 0, &k, &err), RW_EINVAL);
	assert_string_equal(err.msg, "sig_key_load: NULL argument");
	rw_err_clear(&err);
	assert_int_equal(sig_key_load("", 0, NULL, &err), RW_EINVAL);
	big = calloc(1, SIG_KEY_PEM_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', SIG_KEY_PEM_MAX + 1);
	key_refused(big, SIG_KEY_PEM_MAX + 1, RW_ETOOBIG,
	    "public key PEM is 65537 bytes (limit 65536)");
	free(big);
	sig_key_free(NULL);
}

/* -------------------------------------------------------------- payloads */

struct pl_row {
	const char	*payload;	/* %s: SINGLE_DIGEST, at most once */
	int		 verdict;
	const char	*reason;	/* NULL: "signed by ..." */
	const char	*named;		/* sig_result.digest */
	const char	*ref;		/* sig_result.reference */
};

#define A50	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CT	"\"type\":\"cosign container image signature\""
#define IMG	"\"image\":{\"docker-manifest-digest\":\"%s\"}"

static const struct pl_row pl_rows[] = {
	{ "{\"critical\":{" IMG "," CT "}}", SIG_VALID, NULL,
	    SINGLE_DIGEST, "" },
	/* Go matches keys case-insensitively; old cosign wrote these. */
	{ "{\"Critical\":{\"Identity\":{\"Docker-reference\":\"r/x\"},"
	    "\"Image\":{\"Docker-manifest-digest\":\"%s\"},\"Type\":"
	    "\"cosign container image signature\"},\"Optional\":null}",
	    SIG_VALID, NULL, SINGLE_DIGEST, "r/x" },
	{ "{\"CRITICAL\":{" IMG ",\"TYPE\":\"cosign container image "
	    "signature\"},\"optional\":{\"k\":\"v\",\"n\":1e300,"
	    "\"big\":123456789012345678901234567890,\"\\u212a\":1}}",
	    SIG_VALID, NULL, SINGLE_DIGEST, "" },
	/* ... but two keys for one field are refused. */
	{ "{\"critical\":{" IMG "," CT "},\"Critical\":{}}", SIG_MALFORMED,
	    "payload has both \"critical\" and \"Critical\"", "", "" },
	{ "{\"critical\":{" IMG "," CT ",\"TYPE\":\"x\"}}", SIG_MALFORMED,
	    "payload critical has both \"type\" and \"TYPE\"", "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"%s\","
	    "\"docker_manifest_digest\":\"sha256:00\"}," CT "}}",
	    SIG_MALFORMED, "payload critical.image has both "
	    "\"docker-manifest-digest\" and \"docker_manifest_digest\"", "",
	    "" },
	{ "{\"critical\":{\"image\":{\"dockermanifestdigest\":\"%s\"}," CT
	    "}}", SIG_WRONG_DIGEST, "payload names no manifest digest", "",
	    "" },
	{ "{\"critical\":null,\"critical\":{" IMG "," CT "}}", SIG_MALFORMED,
	    "payload is not valid JSON: duplicate object key near "
	    "'\"critical\"' (line 1, column 27)", "", "" },
	/* Keys Go may fold onto ours: U+212A is a Kelvin sign. */
	{ "{\"critical\":{\"image\":{\"doc\\u212Aer-manifest-digest\":\"%s\"},"
	    CT "}}", SIG_MALFORMED, "payload critical.image has a non-ASCII "
	    "key \"doc\\xe2\\x84\\xaaer-manifest-digest\"", "", "" },
	{ "{\"cr\\u0131tical\":{" IMG "," CT "}}", SIG_MALFORMED,
	    "payload has a non-ASCII key \"cr\\xc4\\xb1tical\"", "", "" },
	/* JSON types Go would refuse */
	{ "not json", SIG_MALFORMED, "payload is not valid JSON: '[' or '{' "
	    "expected near 'not' (line 1, column 3)", "", "" },
	{ "{\"critical\":{" IMG "," CT "}} x", SIG_MALFORMED,
	    "payload is not valid JSON: end of file expected near 'x' (line 1, "
	    "column 167)", "", "" },
	{ "[]", SIG_MALFORMED, "payload is not a JSON object", "", "" },
	{ "{\"critical\":\"x\"}", SIG_MALFORMED,
	    "payload critical is not an object", "", "" },
	{ "{\"critical\":{" IMG "," CT "},\"optional\":[]}", SIG_MALFORMED,
	    "payload optional is not an object", "", "" },
	{ "{\"critical\":{\"image\":{},\"type\":5}}", SIG_MALFORMED,
	    "payload critical.type is not a string", "", "" },
	{ "{\"critical\":{\"image\":\"%s\"," CT "}}", SIG_MALFORMED,
	    "payload critical.image is not an object", "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":7}," CT "}}",
	    SIG_MALFORMED, "payload critical.image.docker-manifest-digest is "
	    "not a string", "", "" },
	{ "{\"critical\":{" IMG "," CT ",\"identity\":[]}}", SIG_MALFORMED,
	    "payload critical.identity is not an object", "", "" },
	{ "{\"critical\":{" IMG "," CT ",\"identity\":{\"docker-reference\":"
	    "{}}}}", SIG_MALFORMED, "payload critical.identity."
	    "docker-reference is not a string", "", "" },
	/* the type is judged before the digest */
	{ "{}", SIG_WRONG_TYPE, "payload has no critical.type", "", "" },
	{ "{\"critical\":null}", SIG_WRONG_TYPE,
	    "payload has no critical.type", "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:1\"},"
	    "\"type\":\"cosign container image attestation\"}}",
	    SIG_WRONG_TYPE, "payload type is \"cosign container image "
	    "attestation\", not \"cosign container image signature\"", "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"%s\"},"
	    "\"type\":\"Cosign Container Image Signature\"}}", SIG_WRONG_TYPE,
	    "payload type is \"Cosign Container Image Signature\", not "
	    "\"cosign container image signature\"", "", "" },
	{ "{\"critical\":{" CT "}}", SIG_WRONG_DIGEST,
	    "payload names no manifest digest", "", "" },
	{ "{\"critical\":{\"image\":null," CT "}}", SIG_WRONG_DIGEST,
	    "payload names no manifest digest", "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"SHA256:"
	    "634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
	    "\"}," CT "}}", SIG_WRONG_DIGEST, "signature is for SHA256:"
	    "634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
	    ", not " SINGLE_DIGEST, "SHA256:634a8f35b5f16dcf4aaa0822adc0b19"
	    "64bb786fca12f6831de8ddc45e5986a00", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"%s \"},"
	    CT "}}", SIG_WRONG_DIGEST, "signature is for \"" SINGLE_DIGEST
	    " \", not " SINGLE_DIGEST, "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:1"
	    "\\nsha256:2\"}," CT "}}", SIG_WRONG_DIGEST, "signature is for "
	    "\"sha256:1\\x0asha256:2\", not " SINGLE_DIGEST, "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" A50
	    A50 A50 "\"}," CT "}}", SIG_WRONG_DIGEST, "signature is for \""
	    A50 A50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\", not "
	    SINGLE_DIGEST, "", "" },
	{ "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"\"}," CT
	    "}}", SIG_WRONG_DIGEST, "signature is for \"\", not "
	    SINGLE_DIGEST, "", "" },
};

static void
test_payload_rows(void **state)
{
	EVP_PKEY *pk = gen_key("ED25519", NULL, 0);
	struct sig_key *k = load_pub(pk);
	struct sig_result res;
	char payload[1024], signed_by[200];
	size_t i;
	char *b64;

	(void)state;
	snprintf(signed_by, sizeof(signed_by), "signed by Ed25519 key %s",
	    sig_key_id(k));
	for (i = 0; i < N(pl_rows); i++) {
		const struct pl_row *r = &pl_rows[i];

		snprintf(payload, sizeof(payload), r->payload, SINGLE_DIGEST);
		b64 = sign_b64(pk, NULL, payload, strlen(payload));
		verify_ok(k, payload, strlen(payload), b64, SINGLE_DIGEST,
		    &res);
		if ((int)res.verdict != r->verdict || strcmp(res.reason,
		    r->reason != NULL ? r->reason : signed_by) != 0)
			fail_msg("row %zu: got %s (%s)", i,
			    sig_verdict_str(res.verdict), res.reason);
		assert_string_equal(res.digest, r->named);
		assert_string_equal(res.reference, r->ref);
		free(b64);
	}
	sig_key_free(k);
	EVP_PKEY_free(pk);
}

/* ------------------------------------------------ signature annotations */

static void
test_annotation_rows(void **state)
{
	static const struct {
		const char	*b64;
		const char	*reason;
	} rows[] = {
		{ "", "signature annotation is empty" },
		{ "abc", "signature annotation is not valid base64: base64 "
		    "length 3 is not a multiple of 4" },
		{ "MEUC\tIQD/", "signature annotation is not valid base64: "
		    "base64 length 9 is not a multiple of 4" },
		{ "MEUC IQD/", "signature annotation is not valid base64: "
		    "base64 length 9 is not a multiple of 4" },
		{ "MEUCIQ-_", "signature annotation is not valid base64: "
		    "invalid base64 character at offset 6" },
		{ "MEU=CIQD", "signature annotation is not valid base64: "
		    "invalid base64 character at offset 3" },
		{ "MEUCIR==", "signature annotation is not valid base64: "
		    "base64 has non-zero bits before the padding" },
	};
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct dirsig ds;
	char *long_b64;
	size_t i;

	(void)state;
	dirsig_read("dir-img-cosign-valid/signature-1", &ds);
	for (i = 0; i < N(rows); i++) {
		verify_ok(k, ds.payload, ds.plen, rows[i].b64, SINGLE_DIGEST,
		    &res);
		assert_int_equal(res.verdict, SIG_MALFORMED);
		assert_string_equal(res.reason, rows[i].reason);
	}
	/* Decodable, but not an ECDSA signature. */
	verify_ok(k, ds.payload, ds.plen, "MEUCIQ==", SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	long_b64 = malloc(SIG_COSIGN_SIG_MAX + 5);
	assert_non_null(long_b64);
	memset(long_b64, 'A', SIG_COSIGN_SIG_MAX + 4);
	long_b64[SIG_COSIGN_SIG_MAX + 4] = '\0';
	verify_ok(k, ds.payload, ds.plen, long_b64, SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_MALFORMED);
	assert_string_equal(res.reason,
	    "signature annotation is longer than 4096 characters");
	free(long_b64);
	/* The size cap comes before any work. */
	verify_ok(k, ds.payload, SIG_COSIGN_PAYLOAD_MAX + 1, ds.sig_b64,
	    SINGLE_DIGEST, &res);
	assert_int_equal(res.verdict, SIG_MALFORMED);
	assert_string_equal(res.reason, "payload is 1048577 bytes (limit "
	    "1048576)");
	dirsig_free(&ds);
	sig_key_free(k);
}

/* ---------------------------------------------------------------- base64 */

static void
test_b64_rows(void **state)
{
	static const struct {
		const char	*in;
		int		 flags;
		int		 rc;
		const char	*out;	/* decoded, or the message */
	} rows[] = {
		{ "", 0, RW_OK, "" },
		{ "Zg==", 0, RW_OK, "f" },
		{ "Zm8=", 0, RW_OK, "fo" },
		{ "Zm9v", 0, RW_OK, "foo" },
		{ "Zm9vYg==", 0, RW_OK, "foob" },
		{ "+/+/", 0, RW_OK, "\xfb\xff\xbf" },
		{ "Zh==", 0, RW_EPARSE, "base64 has non-zero bits before the "
		    "padding" },
		{ "Zm9=", 0, RW_EPARSE, "base64 has non-zero bits before the "
		    "padding" },
		{ "Zg=", 0, RW_EPARSE, "base64 length 3 is not a multiple of "
		    "4" },
		{ "Zg", 0, RW_EPARSE, "base64 length 2 is not a multiple of 4" },
		{ "Z===", 0, RW_EPARSE, "invalid base64 character at offset 1" },
		{ "====", 0, RW_EPARSE, "invalid base64 character at offset 0" },
		{ "Zg=a", 0, RW_EPARSE, "invalid base64 character at offset 2" },
		{ "Zm-v", 0, RW_EPARSE, "invalid base64 character at offset 2" },
		{ "Zm9v\r\nYg", 0, RW_EPARSE, "invalid base64 character at "
		    "offset 4" },
		/* Go's decoder skips line breaks, wherever they are */
		{ "Zm9v\r\nYg==", SIG_B64_LINES, RW_OK, "foob" },
		{ "\nZm9vYg=\n=\n", SIG_B64_LINES, RW_OK, "foob" },
		{ "\n\r\n", SIG_B64_LINES, RW_OK, "" },
		{ "Zm9vY\ng=", SIG_B64_LINES, RW_EPARSE, "base64 length 7 is "
		    "not a multiple of 4" },
		{ "Zm9v Yg==", SIG_B64_LINES, RW_EPARSE, "base64 length 9 is "
		    "not a multiple of 4" },
		{ "Zm\n9v\tY==", SIG_B64_LINES, RW_EPARSE, "invalid base64 "
		    "character at offset 5" },
		{ "Zm\n9v\nZh=\n=", SIG_B64_LINES, RW_EPARSE, "base64 has "
		    "non-zero bits before the padding" },
	};
	unsigned char *out = (unsigned char *)(uintptr_t)1;
	struct rw_err err;
	size_t i, len = 99;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		rw_err_clear(&err);
		if (sig_b64_decode(rows[i].in, strlen(rows[i].in),
		    rows[i].flags, &out, &len, &err) != rows[i].rc)
			fail_msg("row %zu: %s", i, err.msg);
		if (rows[i].rc == RW_OK) {
			assert_int_equal(len, strlen(rows[i].out));
			assert_memory_equal(out, rows[i].out, len);
			assert_int_equal(out[len], '\0');
			free(out);
		} else {
			assert_string_equal(err.msg, rows[i].out);
			assert_null(out);
			assert_int_equal(len, 0);
		}
	}
}

/* ------------------------------------------------------------- arguments */

static void
test_verify_args(void **state)
{
	struct sig_key *k = fixture_key("cosign.pub");
	struct sig_result res;
	struct rw_err err;
	char big[RW_DIGEST_MAX + 1];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_cosign_verify(k, "{}", 2, "MEUC", SINGLE_DIGEST,
	    NULL, &err), RW_EINVAL);
	assert_string_equal(err.msg, "sig_cosign_verify: NULL result");
	rw_err_clear(&err);
	assert_int_equal(sig_cosign_verify(NULL, "{}", 2, "MEUC",
	    SINGLE_DIGEST, &res, &err), RW_EINVAL);
	assert_int_equal(res.verdict, SIG_MALFORMED);
	assert_string_equal(res.reason, "could not verify: sig_cosign_verify: "
	    "NULL argument");
	rw_err_clear(&err);
	assert_int_equal(sig_cosign_verify(k, "{}", 2, "MEUC", "", &res,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "sig_cosign_verify: manifest digest of "
	    "0 bytes");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rw_err_clear(&err);
	assert_int_equal(sig_cosign_verify(k, "{}", 2, "MEUC", big, &res,
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "sig_cosign_verify: manifest digest of "
	    "136 bytes");
	/* Without an rw_err, the reason still says why. */
	assert_int_equal(sig_cosign_verify(k, NULL, 0, "MEUC", SINGLE_DIGEST,
	    &res, NULL), RW_EINVAL);
	assert_string_equal(res.reason, "could not verify: invalid argument");
	sig_key_free(k);
}

static void
test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(sig_verdict_str(SIG_VALID), "valid");
	assert_string_equal(sig_verdict_str(SIG_BAD_SIGNATURE),
	    "bad signature");
	assert_string_equal(sig_verdict_str(SIG_WRONG_DIGEST), "wrong digest");
	assert_string_equal(sig_verdict_str(SIG_WRONG_TYPE), "wrong type");
	assert_string_equal(sig_verdict_str(SIG_MALFORMED), "malformed");
	assert_string_equal(sig_verdict_str((enum sig_verdict)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_rows),
		cmocka_unit_test(test_fixture_images),
		cmocka_unit_test(test_tamper_payload),
		cmocka_unit_test(test_tamper_signature),
		cmocka_unit_test(test_tamper_digest),
		cmocka_unit_test(test_line_breaks),
		cmocka_unit_test(test_generated_keys),
		cmocka_unit_test(test_key_rows),
		cmocka_unit_test(test_key_trailing_der),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_key_args),
		cmocka_unit_test(test_payload_rows),
		cmocka_unit_test(test_annotation_rows),
		cmocka_unit_test(test_b64_rows),
		cmocka_unit_test(test_verify_args),
		cmocka_unit_test(test_verdict_names),
	};

	return cmocka_run_group_tests(tests, fixtures_present, NULL);
}
