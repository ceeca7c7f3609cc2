/* cosign.c - public keys and cosign key-based signature verification. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/internal.h"

/* Untrusted text in a reason is cut here: longer than any digest. */
#define SHOW_MAX	140
#define QBUF		(SHOW_MAX * 4 + 16)
/* The RSA sizes cosign generates are 2048, 3072 and 4096 bits. */
#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	4096

struct sig_key {
	EVP_PKEY	*pkey;
	const char	*md;		/* digest name, NULL for Ed25519 */
	int		 ed25519;
	char		 kind[16];	/* "ECDSA P-256" */
	char		 id[RW_DIGEST_MAX];
};

/* ---------------------------------------------------------------- base64 */

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Is IN[I] a line break that FLAGS tell us to skip? */
static int
skipped(const char *in, size_t i, int flags)
{
	return (flags & SIG_B64_LINES) != 0 && (in[i] == '\n' || in[i] == '\r');
}

/* The number of '=' at the end of IN, line breaks skipped: 0, 1 or 2. */
static size_t
padding(const char *in, size_t len, int flags)
{
	size_t pad = 0;

	while (len > 0 && pad < 2) {
		len--;
		if (skipped(in, len, flags))
			continue;
		if (in[len] != '=')
			break;
		pad++;
	}
	return pad;
}

int
sig_b64_decode(const char *in, size_t len, int flags, unsigned char **out,
    size_t *outlen, struct rw_err *err)
{
	unsigned char *buf;
	uint32_t acc = 0;
	size_t i, n = 0, o = 0, pad;
	int v, bits = 0;

	*out = NULL;
	*outlen = 0;
	for (i = 0; i < len; i++)
		n += !skipped(in, i, flags);
	if (n % 4 != 0)
		return rw_err_set(err, RW_EPARSE,
		    "base64 length %zu is not a multiple of 4", n);
	pad = padding(in, len, flags);
	buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; n > pad; i++) {
		if (skipped(in, i, flags))
			continue;
		v = b64val((unsigned char)in[i]);
		if (v < 0) {
			free(buf);
			return rw_err_set(err, RW_EPARSE,
			    "invalid base64 character at offset %zu", i);
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
		n--;
	}
	/*
	 * Bits left over before the padding must be zero, so that one byte
	 * string has exactly one encoding: a signature cannot be altered in
	 * its text without being altered in its bytes.
	 */
	if ((acc & ((1u << bits) - 1)) != 0) {
		free(buf);
		return rw_err_set(err, RW_EPARSE,
		    "base64 has non-zero bits before the padding");
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return RW_OK;
}

/* ------------------------------------------------------------------- keys */

/* The DER of the one PEM "PUBLIC KEY" block in PEM. */
static int
pem_block(const char *pem, size_t len, unsigned char **der, long *dlen,
    struct rw_err *err)
{
	char q[QBUF], *name = NULL, *hdr = NULL, *rest = NULL;
	BIO *bio;
	long nrest;
	int rc = RW_OK;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (PEM_read_bio(bio, &name, &hdr, der, dlen) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
			rc = rw_err_set(err, RW_EPARSE, "no PEM block found "
			    "(expected -----BEGIN PUBLIC KEY-----)");
		else
			rc = rw_err_set(err, RW_EPARSE, "malformed PEM block");
		goto out;
	}
	if (strcmp(name, "PUBLIC KEY") != 0) {
		rc = rw_err_set(err, RW_EPARSE, "PEM block is %s, expected "
		    "\"PUBLIC KEY\"", rw_show(q, sizeof(q), name,
		    SHOW_MAX));
		goto out;
	}
	if (hdr[0] != '\0') {
		rc = rw_err_set(err, RW_EPARSE, "PEM block has headers");
		goto out;
	}
	/* cosign reads the first block only; a second one is a mistake. */
	nrest = BIO_get_mem_data(bio, &rest);
	if (nrest > 0 && memmem(rest, (size_t)nrest, "-----BEGIN", 10) != NULL)
		rc = rw_err_set(err, RW_EPARSE, "more than one PEM block");
out:
	if (rc != RW_OK) {
		OPENSSL_free(*der);
		*der = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static int
ec_kind(EVP_PKEY *pkey, struct sig_key *k, struct rw_err *err)
{
	static const char *const curves[][2] = {
		{ "prime256v1", "ECDSA P-256" },
		{ "secp384r1", "ECDSA P-384" },
		{ "secp521r1", "ECDSA P-521" },
	};
	char q[QBUF], group[64];
	size_t i;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1) {
		ERR_clear_error();
		return rw_err_set(err, RW_EUNSUPPORTED, "EC key without a "
		    "named curve (expected P-256, P-384 or P-521)");
	}
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (strcmp(group, curves[i][0]) == 0) {
			rw_strlcpy(k->kind, curves[i][1], sizeof(k->kind));
			k->md = "SHA256";
			return RW_OK;
		}
	}
	return rw_err_set(err, RW_EUNSUPPORTED, "unsupported EC curve %s "
	    "(expected P-256, P-384 or P-521)", rw_show(q, sizeof(q),
	    group, SHOW_MAX));
}

/* Fills K's kind and digest from PKEY, or refuses the key type. */
static int
classify(EVP_PKEY *pkey, struct sig_key *k, struct rw_err *err)
{
	const char *name;
	int bits;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		return ec_kind(pkey, k, err);
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			return rw_err_set(err, RW_EUNSUPPORTED, "RSA key of %d "
			    "bits (expected %d to %d)", bits, RSA_MIN_BITS,
			    RSA_MAX_BITS);
		snprintf(k->kind, sizeof(k->kind), "RSA %d", bits);
		k->md = "SHA256";
		return RW_OK;
	case EVP_PKEY_ED25519:
		rw_strlcpy(k->kind, "Ed25519", sizeof(k->kind));
		k->ed25519 = 1;
		return RW_OK;
	default:
		name = EVP_PKEY_get0_type_name(pkey);
		return rw_err_set(err, RW_EUNSUPPORTED, "unsupported key type "
		    "%s (expected ECDSA P-256/P-384/P-521, RSA or Ed25519)",
		    name != NULL ? name : "unknown");
	}
}

/* The key id hashes the re-encoded SPKI, so equal keys get equal ids. */
static int
key_id(struct sig_key *k, struct rw_err *err)
{
	unsigned char *der = NULL;
	int n, rc;

	n = i2d_PUBKEY(k->pkey, &der);
	if (n <= 0)
		return sig_ossl_fail(err, RW_ECRYPTO, "i2d_PUBKEY");
	rc = rw_digest(RW_HASH_SHA256, der, (size_t)n, k->id);
	OPENSSL_free(der);
	if (rc != RW_OK)
		return rw_err_set(err, rc, "out of memory");
	return RW_OK;
}

int
sig_key_load(const char *pem, size_t len, struct sig_key **out,
    struct rw_err *err)
{
	const unsigned char *p;
	unsigned char *der = NULL;
	struct sig_key *k = NULL;
	long dlen = 0;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (pem == NULL || out == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_key_load: NULL argument");
	if (len > SIG_KEY_PEM_MAX)
		return rw_err_set(err, RW_ETOOBIG, "public key PEM is %zu "
		    "bytes (limit %d)", len, SIG_KEY_PEM_MAX);
	rc = pem_block(pem, len, &der, &dlen, err);
	if (rc != RW_OK)
		return rc;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	p = der;
	k->pkey = d2i_PUBKEY(NULL, &p, dlen);
	if (k->pkey == NULL) {
		rc = rw_err_set(err, RW_EPARSE, "PUBLIC KEY is not a valid "
		    "SubjectPublicKeyInfo");
		goto out;
	}
	if (p != der + dlen) {
		rc = rw_err_set(err, RW_EPARSE, "PUBLIC KEY has %ld bytes "
		    "after the SubjectPublicKeyInfo", (long)(der + dlen - p));
		goto out;
	}
	rc = classify(k->pkey, k, err);
	if (rc == RW_OK)
		rc = key_id(k, err);
out:
	OPENSSL_free(der);
	ERR_clear_error();
	if (rc != RW_OK) {
		sig_key_free(k);
		return rc;
	}
	*out = k;
	return RW_OK;
}

void
sig_key_free(struct sig_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *
sig_key_id(const struct sig_key *k)
{
	return k->id;
}

const char *
sig_key_kind(const struct sig_key *k)
{
	return k->kind;
}

/*
 * Sets *GOOD when SIG is K's signature over MSG.  Any failure of the
 * verification itself (a bad DER, a wrong length) is just "not good": the
 * bytes came from the registry.  Only setting up the context is an error.
 */
/*
 * Cosign signs with Ed25519ph (RFC 8032's prehashed variant) by default;
 * OpenSSL 3.0 knows only pure Ed25519, so the prehashed check is ours.
 */
static int
ed25519ph(const struct sig_key *k, const void *msg, size_t mlen,
    const unsigned char *sig, int *good, struct rw_err *err)
{
	unsigned char pub[32];
	size_t plen = sizeof(pub);

	if (EVP_PKEY_get_raw_public_key(k->pkey, pub, &plen) != 1 ||
	    plen != sizeof(pub)) {
		ERR_clear_error();
		return rw_err_set(err, RW_ECRYPTO, "cannot read the Ed25519 "
		    "public key");
	}
	if (sig_ed25519_verify(pub, msg, mlen, sig, 1, good) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return RW_OK;
}

int
sig_key_verify(const struct sig_key *k, const void *msg, size_t mlen,
    const unsigned char *sig, size_t slen, int *good, struct rw_err *err)
{
	EVP_MD_CTX *ctx;
	int rc = RW_OK;

	*good = 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit_ex(ctx, NULL, k->md, NULL, NULL, k->pkey,
	    NULL) != 1)
		rc = sig_ossl_fail(err, RW_ECRYPTO,
		    "EVP_DigestVerifyInit_ex");
	else
		*good = EVP_DigestVerify(ctx, sig, slen, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (rc == RW_OK && !*good && k->ed25519 && slen == 64)
		rc = ed25519ph(k, msg, mlen, sig, good, err);
	return rc;
}

void
sig_reason_undecided(char *reason, size_t size, int rc,
    const struct rw_err *err)
{
	snprintf(reason, size, "could not verify: %s", err != NULL &&
	    err->msg[0] != '\0' ? err->msg : rw_strerror(rc));
}

int
sig_key_verify_digest(const struct sig_key *k, const unsigned char *dgst,
    size_t dlen, const unsigned char *sig, size_t slen, int *good,
    struct rw_err *err)
{
	EVP_PKEY_CTX *ctx;
	int rc = RW_OK;

	*good = 0;
	if (k->ed25519)
		return rw_err_set(err, RW_EUNSUPPORTED, "an Ed25519 signature "
		    "cannot be checked against a digest: it needs the bytes");
	if (dlen != 32)
		return rw_err_set(err, RW_EINVAL, "expected a SHA-256 digest");
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (ctx == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		rc = sig_ossl_fail(err, RW_ECRYPTO, "EVP_PKEY_verify_init");
	else
		*good = EVP_PKEY_verify(ctx, sig, slen, dgst, dlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* -------------------------------------------------------------- verdicts */

const char *
sig_verdict_str(enum sig_verdict v)
{
	switch (v) {
	case SIG_VALID:
		return "valid";
	case SIG_BAD_SIGNATURE:
		return "bad signature";
	case SIG_WRONG_DIGEST:
		return "wrong digest";
	case SIG_WRONG_TYPE:
		return "wrong type";
	case SIG_MALFORMED:
		return "malformed";
	}
	return "unknown";
}

static void
verdict(struct sig_result *out, enum sig_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
verdict(struct sig_result *out, enum sig_verdict v, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- payload */

/* The fields of a simple-signing payload we read; NULL when absent. */
struct payload {
	json_t	*type;
	json_t	*digest;
	json_t	*reference;
};

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* KEY equals NAME (lower-case) ignoring ASCII case, as Go matches fields. */
static int
name_eq(const char *key, const char *name)
{
	for (; *key != '\0' && *name != '\0'; key++, name++)
		if (lower((unsigned char)*key) != (unsigned char)*name)
			return 0;
	return *key == *name;
}

/* KEY equals NAME ignoring case, '-' and '_': what some decoder may take. */
static int
name_near(const char *key, const char *name)
{
	for (;;) {
		while (*key == '-' || *key == '_')
			key++;
		while (*name == '-' || *name == '_')
			name++;
		if (*key == '\0' || *name == '\0')
			return *key == *name;
		if (lower((unsigned char)*key++) != (unsigned char)*name++)
			return 0;
	}
}

/* "payload" or "payload critical.image": how messages name object WHERE. */
static const char *
obj_name(char *buf, size_t size, const char *where)
{
	snprintf(buf, size, "payload%s%s", where[0] != '\0' ? " " : "", where);
	return buf;
}

/*
 * The value of field NAME in OBJ (at path WHERE, "" for the top), the way
 * Go would find it, with JSON null as absent.  Returns 0, or -1 with OUT's
 * verdict set when the object is ambiguous (see sig.h).
 */
static int
field(json_t *obj, const char *where, const char *name, json_t **val,
    struct sig_result *out)
{
	char q1[QBUF], q2[QBUF], on[64];
	const char *key, *near = NULL;
	json_t *v;

	*val = NULL;
	json_object_foreach(obj, key, v) {
		if (!is_ascii(key)) {
			verdict(out, SIG_MALFORMED, "%s has a non-ASCII key %s",
			    obj_name(on, sizeof(on), where),
			    rw_show(q1, sizeof(q1), key, SHOW_MAX));
			return -1;
		}
		if (!name_near(key, name))
			continue;
		if (near != NULL) {
			verdict(out, SIG_MALFORMED, "%s has both %s and %s",
			    obj_name(on, sizeof(on), where),
			    rw_show(q1, sizeof(q1), near, SHOW_MAX),
			    rw_show(q2, sizeof(q2), key, SHOW_MAX));
			return -1;
		}
		near = key;
		if (name_eq(key, name))
			*val = v;
	}
	if (*val != NULL && json_is_null(*val))
		*val = NULL;
	return 0;
}

/*
 * Looks up WHERE.NAME when PARENT exists and checks its JSON type (an
 * object when OBJ, else a string).  Returns 0 or -1 with OUT's verdict set.
 */
static int
typed(json_t *parent, const char *where, const char *name, int obj,
    json_t **val, struct sig_result *out)
{
	*val = NULL;
	if (parent == NULL)
		return 0;
	if (field(parent, where, name, val, out) != 0)
		return -1;
	if (*val == NULL || (obj ? json_is_object(*val) :
	    json_is_string(*val)))
		return 0;
	verdict(out, SIG_MALFORMED, "payload %s%s%s is not %s", where,
	    where[0] != '\0' ? "." : "", name, obj ? "an object" : "a string");
	return -1;
}

/*
 * Walks DOC for the fields cosign reads; any JSON type Go's decoder would
 * refuse is MALFORMED here, before the type and digest are judged.
 */
static int
walk(json_t *doc, struct payload *pl, struct sig_result *out)
{
	json_t *crit, *opt, *img, *ident;

	memset(pl, 0, sizeof(*pl));
	if (!json_is_object(doc)) {
		verdict(out, SIG_MALFORMED, "payload is not a JSON object");
		return -1;
	}
	if (typed(doc, "", "critical", 1, &crit, out) != 0 ||
	    typed(doc, "", "optional", 1, &opt, out) != 0 ||
	    typed(crit, "critical", "type", 0, &pl->type, out) != 0 ||
	    typed(crit, "critical", "image", 1, &img, out) != 0 ||
	    typed(crit, "critical", "identity", 1, &ident, out) != 0 ||
	    typed(img, "critical.image", "docker-manifest-digest", 0,
	    &pl->digest, out) != 0 ||
	    typed(ident, "critical.identity", "docker-reference", 0,
	    &pl->reference, out) != 0)
		return -1;
	return 0;
}

/* Digest-shaped text is shown as it is; anything else is quoted. */
static int
digest_shaped(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RW_DIGEST_MAX || strchr(s, ':') == NULL)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789:+._=-") == n;
}

static void
judge(const struct payload *pl, const char *want, struct sig_result *out)
{
	char q[QBUF];
	const char *s;

	if (pl->reference != NULL)
		rw_strlcpy(out->reference, json_string_value(pl->reference),
		    sizeof(out->reference));
	if (pl->type == NULL) {
		verdict(out, SIG_WRONG_TYPE, "payload has no critical.type");
		return;
	}
	s = json_string_value(pl->type);
	if (strcmp(s, SIG_COSIGN_TYPE) != 0) {
		verdict(out, SIG_WRONG_TYPE, "payload type is %s, not \"%s\"",
		    rw_show(q, sizeof(q), s, SHOW_MAX), SIG_COSIGN_TYPE);
		return;
	}
	if (pl->digest == NULL) {
		verdict(out, SIG_WRONG_DIGEST, "payload names no manifest digest");
		return;
	}
	s = json_string_value(pl->digest);
	if (digest_shaped(s))
		rw_strlcpy(out->digest, s, sizeof(out->digest));
	if (strcmp(s, want) != 0) {
		verdict(out, SIG_WRONG_DIGEST, "signature is for %s, not %s",
		    digest_shaped(s) ? s : rw_show(q, sizeof(q), s,
		    SHOW_MAX), want);
		return;
	}
	out->verdict = SIG_VALID;
}

/* jansson quotes the text near a syntax error: keep it printable. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* Parses and judges the payload; OUT's verdict is VALID only if it passes. */
static void
check_payload(const char *payload, size_t plen, const char *want,
    struct sig_result *out)
{
	struct payload pl;
	json_error_t je;
	json_t *doc;

	/*
	 * Integers as reals: jansson refuses integers past int64 that Go
	 * would read into "optional" as float64.
	 */
	doc = json_loadb(payload, plen, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_INT_AS_REAL, &je);
	if (doc == NULL) {
		printable(je.text);
		verdict(out, SIG_MALFORMED, "payload is not valid JSON: %s "
		    "(line %d, column %d)", je.text, je.line, je.column);
		return;
	}
	if (walk(doc, &pl, out) == 0)
		judge(&pl, want, out);
	json_decref(doc);
}

/* ----------------------------------------------------------------- cosign */

/*
 * The signature bytes of SIG_B64 in *SIG (the caller frees them), or *SIG
 * NULL with OUT's verdict set when the annotation is unusable.
 */
static int
decode_sig(const char *sig_b64, unsigned char **sig, size_t *slen,
    struct sig_result *out, struct rw_err *err)
{
	struct rw_err berr;
	size_t n;
	int rc;

	n = strnlen(sig_b64, SIG_COSIGN_SIG_MAX + 1);
	if (n > SIG_COSIGN_SIG_MAX) {
		verdict(out, SIG_MALFORMED, "signature annotation is longer "
		    "than %d characters", SIG_COSIGN_SIG_MAX);
		return RW_OK;
	}
	if (n == 0) {
		verdict(out, SIG_MALFORMED, "signature annotation is empty");
		return RW_OK;
	}
	rw_err_clear(&berr);
	rc = sig_b64_decode(sig_b64, n, SIG_B64_LINES, sig, slen, &berr);
	if (rc == RW_EPARSE) {
		verdict(out, SIG_MALFORMED, "signature annotation is not "
		    "valid base64: %s", berr.msg);
		return RW_OK;
	}
	if (rc != RW_OK)
		return rw_err_set(err, rc, "%s", berr.msg);
	return RW_OK;
}

static int
cosign_verify(const struct sig_key *k, const char *payload, size_t plen,
    const char *sig_b64, const char *want, struct sig_result *out,
    struct rw_err *err)
{
	unsigned char *sig = NULL;
	size_t slen = 0;
	int good, rc;

	if (plen > SIG_COSIGN_PAYLOAD_MAX) {
		verdict(out, SIG_MALFORMED, "payload is %zu bytes (limit %d)",
		    plen, SIG_COSIGN_PAYLOAD_MAX);
		return RW_OK;
	}
	rc = decode_sig(sig_b64, &sig, &slen, out, err);
	if (rc != RW_OK || sig == NULL)
		return rc;
	rc = sig_key_verify(k, payload, plen, sig, slen, &good, err);
	free(sig);
	if (rc != RW_OK)
		return rc;
	if (!good) {
		verdict(out, SIG_BAD_SIGNATURE, "signature does not verify with "
		    "%s key %s", k->kind, k->id);
		return RW_OK;
	}
	check_payload(payload, plen, want, out);
	if (out->verdict == SIG_VALID)
		verdict(out, SIG_VALID, "signed by %s key %s", k->kind, k->id);
	return RW_OK;
}

int
sig_cosign_verify(const struct sig_key *k, const char *payload, size_t plen,
    const char *sig_b64, const char *manifest_digest, struct sig_result *out,
    struct rw_err *err)
{
	size_t n;
	int rc;

	if (out == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_cosign_verify: NULL "
		    "result");
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (k == NULL || payload == NULL || sig_b64 == NULL ||
	    manifest_digest == NULL) {
		rc = rw_err_set(err, RW_EINVAL, "sig_cosign_verify: NULL "
		    "argument");
		goto out;
	}
	n = strlen(manifest_digest);
	if (n == 0 || n >= RW_DIGEST_MAX) {
		rc = rw_err_set(err, RW_EINVAL, "sig_cosign_verify: manifest "
		    "digest of %zu bytes", n);
		goto out;
	}
	rc = cosign_verify(k, payload, plen, sig_b64, manifest_digest, out,
	    err);
out:
	if (rc != RW_OK) {
		out->verdict = SIG_MALFORMED;
		sig_reason_undecided(out->reason, sizeof(out->reason), rc, err);
	}
	return rc;
}

/* Shared by the verifiers (declared in internal.h). */
int
sig_ossl_fail(struct rw_err *err, int code, const char *what)
{
	char buf[160];

	ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
	ERR_clear_error();
	return rw_err_set(err, code, "%s: %s", what, buf);
}
