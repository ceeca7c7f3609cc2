/* test_keyless.c - Rekor bundles (SET) and cosign keyless signatures. */
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

#include "policy/sig/sig.h"

/* Real signatures made by other tools, kept in tests/fixtures. */
#define FIX_DIR		RW_SOURCE_DIR "/tests/fixtures/cosign"
#define SIGSTORE_MAGIC	"\0sigstore-json\n"
#define SIGSTORE_MAGIC_LEN	(sizeof(SIGSTORE_MAGIC) - 1)

#define KEY_DIR		"dir-img-cosign-key-rekor-valid"
#define FULCIO_DIR	"dir-img-cosign-fulcio-rekor-valid"
#define REKOR_ID \
	"sha256:c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
#define COSIGN_ID \
	"sha256:c87a79018f346cc02482448b77296b0bea143ef2ccab99b04776fb0f638f301f"
#define COSIGN2_ID \
	"sha256:5e7eb6c1e2e6db06470ae59ee8253b3dc4ce33beefb9a0cca06a371cfc0ebdfa"
/* Both fixtures sign the same manifest. */
#define DIGEST \
	"sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"
#define KEY_TIME	1674251859
#define FULCIO_TIME	1674247893
#define EMAIL		"mitr@redhat.com"
#define GH_ISSUER	"https://github.com/login/oauth"
#define VALID_KEYLESS	"signed by " EMAIL " (issuer " GH_ISSUER ") with a " \
	"Fulcio certificate (ECDSA P-256 key sha256:"
#define BAD_SET		"Rekor SET does not verify with Rekor key " REKOR_ID

/* ---------------------------------------------------------------- helpers */

static char *
fixture(const char *rel, size_t *len)
{
	char path[512];
	char *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIX_DIR, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read fixture %s", path);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf != NULL) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	if (buf == NULL)
		fail_msg("cannot read fixture %s", path);
	return buf;
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

/* One signature layer of a containers/image dir: fixture. */
struct layer {
	unsigned char	*payload;
	size_t		 plen;
	char		*sig;		/* dev.cosignproject.cosign/signature */
	char		*cert;		/* dev.sigstore.cosign/certificate */
	char		*bundle;	/* dev.sigstore.cosign/bundle */
	char		*chain;		/* dev.sigstore.cosign/chain */
};

static void
layer_free(struct layer *l)
{
	free(l->payload);
	free(l->sig);
	free(l->cert);
	free(l->bundle);
	free(l->chain);
	memset(l, 0, sizeof(*l));
}

static char *
annotation(json_t *doc, const char *name)
{
	json_t *v = json_object_get(json_object_get(doc, "annotations"), name);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static void
layer_read(const char *dir, struct layer *l)
{
	char rel[256];
	struct rw_err err;
	json_error_t je;
	json_t *doc, *p;
	size_t len;
	char *raw;

	snprintf(rel, sizeof(rel), "%s/signature-1", dir);
	raw = fixture(rel, &len);
	memset(l, 0, sizeof(*l));
	if (len < SIGSTORE_MAGIC_LEN ||
	    memcmp(raw, SIGSTORE_MAGIC, SIGSTORE_MAGIC_LEN) != 0)
		fail_msg("%s: no sigstore-json header", rel);
	doc = json_loadb(raw + SIGSTORE_MAGIC_LEN, len - SIGSTORE_MAGIC_LEN,
	    0, &je);
	if (doc == NULL)
		fail_msg("%s: %s", rel, je.text);
	p = json_object_get(doc, "payload");
	rw_err_clear(&err);
	if (!json_is_string(p) || sig_b64_decode(json_string_value(p),
	    json_string_length(p), 0, &l->payload, &l->plen, &err) != RW_OK)
		fail_msg("%s: payload", rel);
	l->sig = annotation(doc, "dev.cosignproject.cosign/signature");
	l->cert = annotation(doc, "dev.sigstore.cosign/certificate");
	l->bundle = annotation(doc, "dev.sigstore.cosign/bundle");
	l->chain = annotation(doc, "dev.sigstore.cosign/chain");
	if (l->sig == NULL || l->bundle == NULL)
		fail_msg("%s: no signature or bundle", rel);
	json_decref(doc);
	free(raw);
}

static int
fixtures_present(void **state)
{
	char path[512];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/rekor.pub", FIX_DIR);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cosign fixtures missing: %s not found\n", path);
		return -1;
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------------ Rekor */

/* Runs sig_rekor_verify_set on BUNDLE for layer L, signed by KEY or L's cert. */
static void
rekor(const char *key, const char *bundle, const struct layer *l,
    const char *payload, const char *sig, struct sig_rekor *out)
{
	struct sig_key *rk = fixture_key("rekor.pub"), *sk = NULL;
	struct rw_err err;

	if (key != NULL)
		sk = fixture_key(key);
	rw_err_clear(&err);
	assert_int_equal(sig_rekor_verify_set(rk, bundle, strlen(bundle),
	    sig != NULL ? sig : l->sig, payload != NULL ? payload :
	    (const char *)l->payload, payload != NULL ? strlen(payload) :
	    l->plen, key != NULL ? NULL : l->cert, sk, out, &err), RW_OK);
	sig_key_free(sk);
	sig_key_free(rk);
}

static void
test_rekor_key_valid(void **state)
{
	struct sig_rekor r;
	struct layer l;

	(void)state;
	layer_read(KEY_DIR, &l);
	rekor("cosign2.pub", l.bundle, &l, NULL, NULL, &r);
	assert_string_equal(r.reason, "logged in Rekor at index 11608800, "
	    "integrated at 2023-01-20T21:57:39Z");
	assert_int_equal(r.verdict, SIG_VALID);
	assert_int_equal(r.integrated_time, KEY_TIME);
	assert_int_equal(r.log_index, 11608800);
	assert_string_equal(r.kind, "hashedrekord");
	layer_free(&l);
}

static void
test_rekor_fulcio_valid(void **state)
{
	struct sig_rekor r;
	struct layer l;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	rekor(NULL, l.bundle, &l, NULL, NULL, &r);
	assert_string_equal(r.reason, "logged in Rekor at index 11605770, "
	    "integrated at 2023-01-20T20:51:33Z");
	assert_int_equal(r.verdict, SIG_VALID);
	assert_int_equal(r.integrated_time, FULCIO_TIME);
	layer_free(&l);
}

/* The bundle of L with Payload.MEMBER replaced by VAL (NULL: SET by SET). */
static char *
bundle_with(const struct layer *l, const char *member, json_t *val)
{
	json_t *doc = json_loads(l->bundle, 0, NULL);
	char *s;

	assert_non_null(doc);
	if (member == NULL)
		json_object_set_new(doc, "SignedEntryTimestamp", val);
	else
		json_object_set_new(json_object_get(doc, "Payload"), member,
		    val);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	assert_non_null(s);
	return s;
}

/* STR with the character at AT replaced by one that is still base64. */
static json_t *
flipped(json_t *str, size_t at)
{
	char *s = strdup(json_string_value(str));
	json_t *v;

	assert_true(at < strlen(s));
	s[at] = s[at] == 'A' ? 'B' : 'A';
	v = json_string(s);
	free(s);
	return v;
}

static void
tampered(const char *member, json_t *val, const char *want)
{
	struct sig_rekor r;
	struct layer l;
	char *b;

	layer_read(KEY_DIR, &l);
	b = bundle_with(&l, member, val);
	rekor("cosign2.pub", b, &l, NULL, NULL, &r);
	assert_string_equal(r.reason, want);
	assert_int_not_equal(r.verdict, SIG_VALID);
	assert_int_equal(r.integrated_time, 0);
	free(b);
	layer_free(&l);
}

static void
test_rekor_tampered(void **state)
{
	json_t *doc;
	struct layer l;

	(void)state;
	layer_read(KEY_DIR, &l);
	doc = json_loads(l.bundle, 0, NULL);
	assert_non_null(doc);
	tampered(NULL, flipped(json_object_get(doc, "SignedEntryTimestamp"),
	    30), BAD_SET);
	tampered("integratedTime", json_integer(KEY_TIME + 1), BAD_SET);
	tampered("logIndex", json_integer(11608801), BAD_SET);
	tampered("body", flipped(json_object_get(json_object_get(doc,
	    "Payload"), "body"), 100), BAD_SET);
	tampered("logID", json_string("c0d23d6ad406973f9559f3ba2d1ca01f84147d8f"
	    "fc5b8445c224f98b9591801e"), "Rekor bundle logID \"c0d23d6ad40697"
	    "3f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801e\" is not the "
	    "Rekor key " REKOR_ID);
	tampered(NULL, json_string("MEUC!"), "Rekor SET is not valid base64");
	tampered("integratedTime", json_string("1674251859"), "Rekor bundle "
	    "Payload lacks body, integratedTime, logIndex or logID");
	tampered("body", json_string("e30="), BAD_SET);
	json_decref(doc);
	layer_free(&l);
}

static void
test_rekor_tie(void **state)
{
	struct layer l, other;
	struct sig_rekor r;
	struct sig_key *rk;
	struct rw_err err;

	(void)state;
	layer_read(KEY_DIR, &l);
	layer_read(FULCIO_DIR, &other);
	/* A good SET, but for another layer's signature or payload. */
	rekor("cosign2.pub", l.bundle, &l, NULL, other.sig, &r);
	assert_string_equal(r.reason, "Rekor entry holds another signature "
	    "than the layer's");
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	rekor("cosign2.pub", l.bundle, &l, "{}", NULL, &r);
	assert_string_equal(r.reason, "Rekor entry is for payload sha256:"
	    "\"5f410774769a2edd4cd1ee36072223018ac93495c968a442d4208da5ca753f"
	    "37\", not sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e83"
	    "10c060f61caaff8a");
	/* Another signer than the one logged. */
	rekor("cosign.pub", l.bundle, &l, NULL, NULL, &r);
	assert_string_equal(r.reason, "Rekor entry was logged for another key");
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	other.cert[100] = other.cert[100] == 'A' ? 'B' : 'A';
	rekor(NULL, other.bundle, &other, NULL, NULL, &r);
	assert_string_equal(r.reason, "Rekor entry was logged for another "
	    "certificate");
	/* Neither a certificate nor a signing key: the caller's mistake. */
	rk = fixture_key("rekor.pub");
	rw_err_clear(&err);
	assert_int_equal(sig_rekor_verify_set(rk, l.bundle, strlen(l.bundle),
	    l.sig, (const char *)l.payload, l.plen, l.cert, NULL, &r, &err),
	    RW_EINVAL);
	sig_key_free(rk);
	layer_free(&l);
	layer_free(&other);
}

static void
test_rekor_wrong_log(void **state)
{
	struct sig_key *rk = fixture_key("cosign.pub");
	struct sig_key *sk = fixture_key("cosign2.pub");
	struct sig_rekor r;
	struct rw_err err;
	struct layer l;

	(void)state;
	layer_read(KEY_DIR, &l);
	rw_err_clear(&err);
	assert_int_equal(sig_rekor_verify_set(rk, l.bundle, strlen(l.bundle),
	    l.sig, (const char *)l.payload, l.plen, NULL, sk, &r, &err), RW_OK);
	assert_string_equal(r.reason, "Rekor bundle logID \"c0d23d6ad406973f95"
	    "59f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d\" is not the Rekor "
	    "key " COSIGN_ID);
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	rekor("cosign2.pub", "[]", &l, NULL, NULL, &r);
	assert_string_equal(r.reason, "Rekor bundle is not a JSON object");
	assert_int_equal(r.verdict, SIG_MALFORMED);
	sig_key_free(rk);
	sig_key_free(sk);
	layer_free(&l);
}

/* ---------------------------------------------------------------- keyless */

static int
keyless_ct(const char *pem, const char *ct, const char *subject,
    const char *regex, const char *issuer, int64_t at, const struct layer *l,
    struct sig_result *out)
{
	struct sig_identity id = { subject, regex, issuer };
	struct sig_keyless_trust t = { pem, strlen(pem), ct,
	    ct != NULL ? strlen(ct) : 0 };
	struct rw_err err;

	rw_err_clear(&err);
	return sig_keyless_verify(l->cert, strlen(l->cert), l->chain,
	    l->chain != NULL ? strlen(l->chain) : 0, &t, &id, at,
	    (const char *)l->payload, l->plen, l->sig, DIGEST, out, &err);
}

static int
keyless_pem(const char *pem, const char *subject, const char *regex,
    const char *issuer, int64_t at, const struct layer *l,
    struct sig_result *out)
{
	return keyless_ct(pem, NULL, subject, regex, issuer, at, l, out);
}

/*
 * The CT log keys of the public-good trusted root as PEM blocks: the one
 * place the fixtures hold Sigstore's CT log keys (DER SPKI, base64).
 */
static char *
ctlog_pem(void)
{
	char *buf, *pem;
	size_t len, i, n, off = 0;
	json_t *doc, *logs, *raw;
	const char *b64;

	buf = fixture("../sigstore-conformance/trusted_root.public-good.json",
	    &len);
	doc = json_loadb(buf, len, 0, NULL);
	free(buf);
	logs = json_object_get(doc, "ctlogs");
	assert_true(json_array_size(logs) > 0);
	pem = calloc(1, 16384);
	assert_non_null(pem);
	for (i = 0; i < json_array_size(logs); i++) {
		raw = json_object_get(json_object_get(json_array_get(logs, i),
		    "publicKey"), "rawBytes");
		b64 = json_string_value(raw);
		assert_non_null(b64);
		off += (size_t)snprintf(pem + off, 16384 - off,
		    "-----BEGIN PUBLIC KEY-----\n");
		for (n = 0; n < strlen(b64); n += 64)
			off += (size_t)snprintf(pem + off, 16384 - off,
			    "%.64s\n", b64 + n);
		off += (size_t)snprintf(pem + off, 16384 - off,
		    "-----END PUBLIC KEY-----\n");
		assert_true(off < 16384);
	}
	json_decref(doc);
	return pem;
}

static void
test_keyless_sct(void **state)
{
	struct sig_result r;
	struct layer l;
	size_t rlen;
	char *ct = ctlog_pem(), *root = fixture("fulcio_v1.crt.pem", &rlen);
	char *rekor = fixture("rekor.pub", &rlen);

	(void)state;
	layer_read(FULCIO_DIR, &l);
	assert_int_equal(keyless_ct(root, ct, EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_int_equal(r.verdict, SIG_VALID);
	assert_memory_equal(r.reason, VALID_KEYLESS, strlen(VALID_KEYLESS));
	/* Rekor's key is no CT log: the SCT finds no log to verify with. */
	assert_int_equal(keyless_ct(root, rekor, EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_string_equal(r.reason, "certificate has no SCT that verifies "
	    "with a trusted CT log key (1 SCT)");
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	assert_int_equal(keyless_ct(root, "junk", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_EINVAL);
	assert_string_equal(r.reason, "could not verify: CT log keys: no PEM "
	    "public key");
	layer_free(&l);
	free(ct);
	free(root);
	free(rekor);
}

static int
keyless(const char *roots, const char *subject, const char *regex,
    const char *issuer, int64_t at, const struct layer *l,
    struct sig_result *out)
{
	size_t rlen;
	char *pem = fixture(roots, &rlen);
	int rc;

	rc = keyless_pem(pem, subject, regex, issuer, at, l, out);
	free(pem);
	return rc;
}

/* Intermediates may come from the trusted bundle instead of the layer. */
static void
test_keyless_trusted_intermediate(void **state)
{
	struct sig_result r;
	struct layer l;
	char *bundle;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	bundle = l.chain;	/* here: the policy's intermediate + root */
	l.chain = NULL;
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_string_equal(r.reason, "certificate does not chain to a trusted "
	    "Fulcio root at 2023-01-20T20:51:33Z: unable to get local issuer "
	    "certificate");
	assert_int_equal(keyless_pem(bundle, EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_int_equal(r.verdict, SIG_VALID);
	l.chain = strdup("garbage");
	assert_int_equal(keyless_pem(bundle, EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_string_equal(r.reason, "chain annotation is not PEM "
	    "certificates");
	assert_int_equal(r.verdict, SIG_MALFORMED);
	free(bundle);
	layer_free(&l);
}

static void
test_keyless_valid(void **state)
{
	struct sig_result r;
	struct layer l;
	struct sig_rekor sr;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	/* The time comes from the verified SET, as a caller would do it. */
	rekor(NULL, l.bundle, &l, NULL, NULL, &sr);
	assert_int_equal(sr.verdict, SIG_VALID);
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER,
	    sr.integrated_time, &l, &r), RW_OK);
	assert_int_equal(r.verdict, SIG_VALID);
	assert_memory_equal(r.reason, VALID_KEYLESS, strlen(VALID_KEYLESS));
	assert_string_equal(r.digest, DIGEST);
	assert_int_equal(keyless("fulcio_v1.crt.pem", NULL, "[a-z]+@redhat\\.com",
	    GH_ISSUER, sr.integrated_time, &l, &r), RW_OK);
	assert_int_equal(r.verdict, SIG_VALID);
	layer_free(&l);
}

struct krow {
	const char	*roots;
	const char	*subject;
	const char	*regex;
	const char	*issuer;
	int64_t		 at;
	enum sig_verdict verdict;
	const char	*reason;
};

static const struct krow krows[] = {
	{ "fulcio_v1.crt.pem", "someone@redhat.com", NULL, GH_ISSUER,
	    FULCIO_TIME, SIG_BAD_SIGNATURE, "certificate identity "
	    "\"mitr@redhat.com\" does not match \"someone@redhat.com\"" },
	{ "fulcio_v1.crt.pem", "MITR@redhat.com", NULL, GH_ISSUER,
	    FULCIO_TIME, SIG_BAD_SIGNATURE, "certificate identity "
	    "\"mitr@redhat.com\" does not match \"MITR@redhat.com\"" },
	/* The regex is anchored: a prefix does not do. */
	{ "fulcio_v1.crt.pem", NULL, "mitr@redhat", GH_ISSUER, FULCIO_TIME,
	    SIG_BAD_SIGNATURE, "certificate identity \"mitr@redhat.com\" does "
	    "not match regex \"mitr@redhat\"" },
	{ "fulcio_v1.crt.pem", EMAIL, NULL, "https://accounts.google.com",
	    FULCIO_TIME, SIG_BAD_SIGNATURE, "certificate OIDC issuer "
	    "\"https://github.com/login/oauth\" is not "
	    "\"https://accounts.google.com\"" },
	{ "fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER "/", FULCIO_TIME,
	    SIG_BAD_SIGNATURE, "certificate OIDC issuer "
	    "\"https://github.com/login/oauth\" is not "
	    "\"https://github.com/login/oauth/\"" },
	/* The chain annotation ends at the Fulcio root: not trusted by itself. */
	{ "pki_root_crts.pem", EMAIL, NULL, GH_ISSUER, FULCIO_TIME,
	    SIG_BAD_SIGNATURE, "certificate does not chain to a trusted Fulcio "
	    "root at 2023-01-20T20:51:33Z: self-signed certificate in "
	    "certificate chain" },
	/* Ten minutes of validity: 20:51:31 to 21:01:31. */
	{ "fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER, FULCIO_TIME + 3600,
	    SIG_BAD_SIGNATURE, "certificate does not chain to a trusted Fulcio "
	    "root at 2023-01-20T21:51:33Z: certificate has expired" },
	{ "fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER, FULCIO_TIME - 60,
	    SIG_BAD_SIGNATURE, "certificate does not chain to a trusted Fulcio "
	    "root at 2023-01-20T20:50:33Z: certificate is not yet valid" },
};

static void
test_keyless_rows(void **state)
{
	struct sig_result r;
	struct layer l;
	size_t i;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	for (i = 0; i < sizeof(krows) / sizeof(krows[0]); i++) {
		assert_int_equal(keyless(krows[i].roots, krows[i].subject,
		    krows[i].regex, krows[i].issuer, krows[i].at, &l, &r),
		    RW_OK);
		assert_string_equal(r.reason, krows[i].reason);
		assert_int_equal(r.verdict, krows[i].verdict);
	}
	layer_free(&l);
}

static void
test_keyless_tampered(void **state)
{
	struct sig_result r;
	struct layer l;
	size_t n;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	/* Another payload: the leaf's key did not sign it. */
	l.payload[l.plen - 3] ^= 1;
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	assert_memory_equal(r.reason, "signature does not verify with ECDSA "
	    "P-256 key sha256:", 52);
	l.payload[l.plen - 3] ^= 1;
	/* A certificate byte changed: its issuer's signature breaks. */
	n = strlen(l.cert) / 2;
	l.cert[n] = l.cert[n] == 'A' ? 'B' : 'A';
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_int_not_equal(r.verdict, SIG_VALID);
	free(l.cert);
	l.cert = strdup("not a certificate");
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_OK);
	assert_string_equal(r.reason, "certificate annotation is not a PEM "
	    "certificate");
	assert_int_equal(r.verdict, SIG_MALFORMED);
	layer_free(&l);
}

static void
test_keyless_args(void **state)
{
	struct sig_result r;
	struct layer l;

	(void)state;
	layer_read(FULCIO_DIR, &l);
	/* Trust material that is no certificate is a configuration error. */
	assert_int_equal(keyless("rekor.pub", EMAIL, NULL, GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_EINVAL);
	assert_string_equal(r.reason, "could not verify: trusted Fulcio roots: "
	    "no PEM certificate");
	assert_int_equal(r.verdict, SIG_MALFORMED);
	assert_int_equal(keyless("fulcio_v1.crt.pem", NULL, "(", GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_EINVAL);
	assert_string_equal(r.reason, "could not verify: identity regex does "
	    "not compile");
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, ".*", GH_ISSUER,
	    FULCIO_TIME, &l, &r), RW_EINVAL);
	assert_int_equal(keyless("fulcio_v1.crt.pem", EMAIL, NULL, NULL,
	    FULCIO_TIME, &l, &r), RW_EINVAL);
	layer_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rekor_key_valid),
		cmocka_unit_test(test_rekor_fulcio_valid),
		cmocka_unit_test(test_rekor_tampered),
		cmocka_unit_test(test_rekor_tie),
		cmocka_unit_test(test_rekor_wrong_log),
		cmocka_unit_test(test_keyless_valid),
		cmocka_unit_test(test_keyless_rows),
		cmocka_unit_test(test_keyless_trusted_intermediate),
		cmocka_unit_test(test_keyless_sct),
		cmocka_unit_test(test_keyless_tampered),
		cmocka_unit_test(test_keyless_args),
	};

	return cmocka_run_group_tests(tests, fixtures_present, NULL);
}
