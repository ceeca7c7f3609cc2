/* notation.c - Notation JWS signatures: envelope, x5c chain, target. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/internal.h"

/* Step results: carry on, or *OUT already holds the verdict. */
#define GO_ON		0
#define DECIDED		1

/* How much of an untrusted string a reason shows. */
#define SHOW_MAX	96

#define H_SCHEME	"io.cncf.notary.signingScheme"
#define H_TIME		"io.cncf.notary.signingTime"
#define H_AUTH_TIME	"io.cncf.notary.authenticSigningTime"
#define H_EXPIRY	"io.cncf.notary.expiry"
#define H_PLUGIN	"io.cncf.notary.verificationPlugin"
#define H_PLUGIN_MIN	"io.cncf.notary.verificationPluginMinVersion"

/* One JWS "alg" and the leaf key it goes with (§4.3). */
struct alg {
	const char	*name;
	const char	*md;		/* digest name for EVP_MD_fetch */
	int		 rsa_bits;	/* PS*: the RSA key size, else 0 */
	const char	*curve;		/* ES*: the group name, else NULL */
	size_t		 ec_len;	/* ES*: bytes of r and of s */
};

static const struct alg algs[] = {
	{ "PS256", "SHA256", 2048, NULL, 0 },
	{ "PS384", "SHA384", 3072, NULL, 0 },
	{ "PS512", "SHA512", 4096, NULL, 0 },
	{ "ES256", "SHA256", 0, "prime256v1", 32 },
	{ "ES384", "SHA384", 0, "secp384r1", 48 },
	{ "ES512", "SHA512", 0, "secp521r1", 66 },
};

/* One envelope being judged; everything here is owned by it. */
struct jws {
	json_t		*env;
	json_t		*prot;		/* the decoded protected header */
	unsigned char	*tbs;		/* the bytes the signature covers */
	size_t		 tbslen;
	unsigned char	*pay;		/* the decoded payload */
	size_t		 paylen;
	unsigned char	*sig;
	size_t		 siglen;
	STACK_OF(X509)	*x5c;		/* leaf first */
	const struct alg *alg;
	int		 has_expiry;
};

/* --------------------------------------------------------------- helpers */

const char *
sig_notation_verdict_str(enum sig_notation_verdict v)
{
	switch (v) {
	case SIG_NOTATION_VALID:		return "valid";
	case SIG_NOTATION_BAD_SIGNATURE:	return "bad signature";
	case SIG_NOTATION_UNTRUSTED:		return "untrusted";
	case SIG_NOTATION_WRONG_TARGET:		return "wrong target";
	case SIG_NOTATION_EXPIRED:		return "expired";
	case SIG_NOTATION_MALFORMED:		return "malformed";
	case SIG_NOTATION_UNSUPPORTED:		return "unsupported";
	}
	return "unknown";
}

static int judge(struct sig_notation_result *out, enum sig_notation_verdict v,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record verdict V with a printf-style reason; returns DECIDED. */
static int
judge(struct sig_notation_result *out, enum sig_notation_verdict v,
    const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return DECIDED;
}

/*
 * Base64url without padding (RFC 7515 §2), as strict as sig_b64_decode:
 * it is mapped onto the standard alphabet so that one decoder decides
 * what is canonical, and '+', '/' and '=' are refused first.
 */
static int
b64url_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen, struct rw_err *err)
{
	char *tmp;
	size_t i, n;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len % 4 == 1)
		return rw_err_set(err, RW_EPARSE,
		    "base64url length %zu is impossible", len);
	n = len + (4 - len % 4) % 4;
	if ((tmp = malloc(n)) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		if (in[i] == '+' || in[i] == '/' || in[i] == '=') {
			free(tmp);
			return rw_err_set(err, RW_EPARSE,
			    "invalid base64url character at offset %zu", i);
		}
		tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	for (; i < n; i++)
		tmp[i] = '=';
	rc = sig_b64_decode(tmp, n, 0, out, outlen, err);
	free(tmp);
	return rc;
}

/* The b64url member NAME of the envelope, decoded, or DECIDED. */
static int
member_b64url(struct jws *j, const char *name, const char **text,
    unsigned char **buf, size_t *blen, struct sig_notation_result *out)
{
	json_t *v = json_object_get(j->env, name);
	struct rw_err berr;

	if (!json_is_string(v))
		return judge(out, SIG_NOTATION_MALFORMED,
		    "envelope has no \"%s\" string", name);
	*text = json_string_value(v);
	rw_err_clear(&berr);
	if (b64url_decode(*text, json_string_length(v), buf, blen,
	    &berr) != RW_OK)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "envelope \"%s\" is not base64url: %s", name, berr.msg);
	return GO_ON;
}

/* ------------------------------------------------------------- envelope */

/* The x5c certificates, leaf first, into j->x5c. */
static int
parse_x5c(struct jws *j, json_t *hdr, struct sig_notation_result *out,
    struct rw_err *err)
{
	json_t *x5c = json_object_get(hdr, "x5c"), *v;
	const unsigned char *p;
	unsigned char *der;
	struct rw_err berr;
	size_t i, dlen;
	X509 *c;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "unprotected header has no \"x5c\" certificate chain");
	if (json_array_size(x5c) > SIG_NOTATION_CHAIN_MAX)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "x5c holds %zu certificates, more than %d",
		    json_array_size(x5c), SIG_NOTATION_CHAIN_MAX);
	if ((j->x5c = sk_X509_new_null()) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	json_array_foreach(x5c, i, v) {
		rw_err_clear(&berr);
		if (!json_is_string(v) || sig_b64_decode(json_string_value(v),
		    json_string_length(v), 0, &der, &dlen, &berr) != RW_OK)
			return judge(out, SIG_NOTATION_MALFORMED,
			    "x5c[%zu] is not a base64 string%s%s", i,
			    berr.msg[0] != '\0' ? ": " : "", berr.msg);
		p = der;
		c = d2i_X509(NULL, &p, (long)dlen);
		if (c == NULL || p != der + dlen) {
			X509_free(c);
			free(der);
			ERR_clear_error();
			return judge(out, SIG_NOTATION_MALFORMED,
			    "x5c[%zu] is not one DER certificate", i);
		}
		free(der);
		if (!sk_X509_push(j->x5c, c)) {
			X509_free(c);
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		}
	}
	return GO_ON;
}

/* The envelope's four members: JSON, protected header, signature, x5c. */
static int
parse_envelope(struct jws *j, const char *envelope, size_t len,
    struct sig_notation_result *out, struct rw_err *err)
{
	json_error_t jerr;
	json_t *hdr;
	unsigned char *prot;
	const char *sig_text, *prot_b64, *pay_b64;
	char *tbs;
	size_t plen;
	int rc;

	j->env = json_loadb(envelope, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j->env == NULL || !json_is_object(j->env))
		return judge(out, SIG_NOTATION_MALFORMED,
		    "envelope is not a JSON object%s%s",
		    j->env == NULL ? ": " : "", j->env == NULL ? jerr.text : "");
	hdr = json_object_get(j->env, "header");
	if (json_object_size(j->env) != 4 || !json_is_object(hdr) ||
	    json_object_get(j->env, "payload") == NULL)
		return judge(out, SIG_NOTATION_MALFORMED, "envelope is not a "
		    "flattened JWS of exactly payload, protected, header and "
		    "signature");
	if ((rc = member_b64url(j, "protected", &prot_b64, &prot, &plen,
	    out)) != GO_ON)
		return rc;
	j->prot = json_loadb((const char *)prot, plen, JSON_REJECT_DUPLICATES,
	    &jerr);
	free(prot);
	if (j->prot == NULL || !json_is_object(j->prot))
		return judge(out, SIG_NOTATION_MALFORMED,
		    "protected header is not a JSON object");
	if ((rc = member_b64url(j, "signature", &sig_text, &j->sig,
	    &j->siglen, out)) != GO_ON)
		return rc;
	if ((rc = member_b64url(j, "payload", &pay_b64, &j->pay, &j->paylen,
	    out)) != GO_ON)
		return rc;
	/* JWS signs the two members exactly as stored (RFC 7515 §5.2). */
	if (asprintf(&tbs, "%s.%s", prot_b64, pay_b64) < 0)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	j->tbs = (unsigned char *)tbs;
	j->tbslen = strlen(tbs);
	return parse_x5c(j, hdr, out, err);
}

/* -------------------------------------------------------------- header */

/* Is every critical name one we understand, and are the needed ones there? */
static int
check_crit(json_t *prot, struct sig_notation_result *out)
{
	json_t *crit = json_object_get(prot, "crit"), *v;
	int scheme = 0, expiry = 0;
	char buf[SHOW_MAX + 8];
	const char *s;
	size_t i;

	if (!json_is_array(crit) || json_array_size(crit) == 0)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "protected header has no \"crit\" list");
	json_array_foreach(crit, i, v) {
		if (!json_is_string(v))
			return judge(out, SIG_NOTATION_MALFORMED,
			    "crit[%zu] is not a string", i);
		s = json_string_value(v);
		if (strcmp(s, H_SCHEME) == 0)
			scheme = 1;
		else if (strcmp(s, H_EXPIRY) == 0)
			expiry = 1;
		else if (strcmp(s, H_PLUGIN) == 0 ||
		    strcmp(s, H_PLUGIN_MIN) == 0)
			return judge(out, SIG_NOTATION_UNSUPPORTED,
			    "signatures that need a verification plugin are "
			    "not supported");
		else if (strcmp(s, H_AUTH_TIME) != 0)
			return judge(out, SIG_NOTATION_UNSUPPORTED,
			    "unknown critical header %s",
			    rw_show(buf, sizeof(buf), s, SHOW_MAX));
		if (json_object_get(prot, s) == NULL)
			return judge(out, SIG_NOTATION_MALFORMED,
			    "critical header %s is missing",
			    rw_show(buf, sizeof(buf), s, SHOW_MAX));
	}
	if (!scheme)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "crit does not list " H_SCHEME);
	if (!expiry && json_object_get(prot, H_EXPIRY) != NULL)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "crit does not list " H_EXPIRY " though it is present");
	return GO_ON;
}

/* The RFC 3339 time header NAME into *T, or DECIDED. */
static int
header_time(json_t *prot, const char *name, int64_t *t,
    struct sig_notation_result *out)
{
	json_t *v = json_object_get(prot, name);
	struct rw_err terr;

	rw_err_clear(&terr);
	if (!json_is_string(v) ||
	    rw_parse_time(json_string_value(v), t, &terr) != RW_OK)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "%s is not an RFC 3339 time%s%s", name,
		    terr.msg[0] != '\0' ? ": " : "", terr.msg);
	return GO_ON;
}

/* alg, cty, crit, the signing scheme and the times. */
static int
check_header(struct jws *j, struct sig_notation_result *out)
{
	const char *alg, *cty, *scheme;
	char buf[SHOW_MAX + 8];
	size_t i;
	int rc;

	alg = json_string_value(json_object_get(j->prot, "alg"));
	cty = json_string_value(json_object_get(j->prot, "cty"));
	scheme = json_string_value(json_object_get(j->prot, H_SCHEME));
	if (alg == NULL)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "protected header has no \"alg\"");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i].name) == 0)
			j->alg = &algs[i];
	if (j->alg == NULL)
		return judge(out, SIG_NOTATION_UNSUPPORTED,
		    "signature algorithm %s is not supported",
		    rw_show(buf, sizeof(buf), alg, SHOW_MAX));
	if (cty == NULL || strcmp(cty, SIG_NOTATION_PAYLOAD_TYPE) != 0)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "content type is not " SIG_NOTATION_PAYLOAD_TYPE);
	if ((rc = check_crit(j->prot, out)) != GO_ON)
		return rc;
	if (scheme == NULL)
		return judge(out, SIG_NOTATION_MALFORMED,
		    H_SCHEME " is not a string");
	if (strcmp(scheme, "notary.x509.signingAuthority") == 0)
		return judge(out, SIG_NOTATION_UNSUPPORTED,
		    "signing scheme notary.x509.signingAuthority is not "
		    "supported yet");
	if (strcmp(scheme, "notary.x509") != 0)
		return judge(out, SIG_NOTATION_UNSUPPORTED,
		    "unknown signing scheme %s", rw_show(buf, sizeof(buf),
		    scheme, SHOW_MAX));
	if ((rc = header_time(j->prot, H_TIME, &out->signing_time, out)) !=
	    GO_ON)
		return rc;
	if (json_object_get(j->prot, H_EXPIRY) == NULL)
		return GO_ON;
	j->has_expiry = 1;
	return header_time(j->prot, H_EXPIRY, &out->expiry, out);
}

/* ----------------------------------------------------------- signature */

/* Does the leaf's key fit "alg"?  Notation ties the two (§4.3). */
static int
check_key(struct jws *j, EVP_PKEY *pk, struct sig_notation_result *out)
{
	char group[64];

	if (j->alg->rsa_bits != 0) {
		if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
		    EVP_PKEY_get_bits(pk) == j->alg->rsa_bits)
			return GO_ON;
		return judge(out, SIG_NOTATION_BAD_SIGNATURE,
		    "alg %s needs an RSA %d key in the x5c leaf",
		    j->alg->name, j->alg->rsa_bits);
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) == 1 &&
	    strcmp(group, j->alg->curve) == 0)
		return GO_ON;
	ERR_clear_error();
	return judge(out, SIG_NOTATION_BAD_SIGNATURE,
	    "alg %s needs an ECDSA %s key in the x5c leaf", j->alg->name,
	    j->alg->curve);
}

/* JWA's raw r||s as the DER ECDSA-Sig-Value OpenSSL verifies. */
static int
ec_der(const struct jws *j, unsigned char **der, int *dlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r, *s;

	*der = NULL;
	r = BN_bin2bn(j->sig, (int)j->alg->ec_len, NULL);
	s = BN_bin2bn(j->sig + j->alg->ec_len, (int)j->alg->ec_len, NULL);
	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return RW_ECRYPTO;
	}
	*dlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *dlen > 0 ? RW_OK : RW_ECRYPTO;
}

/* Set up CTX for "alg" with the leaf's key PK. */
static int
verify_init(const struct jws *j, EVP_MD_CTX *ctx, EVP_PKEY *pk)
{
	EVP_PKEY_CTX *pctx = NULL;

	if (EVP_DigestVerifyInit_ex(ctx, &pctx, j->alg->md, NULL, NULL, pk,
	    NULL) != 1)
		return RW_ECRYPTO;
	/* RSASSA-PSS, MGF1 with the same hash, salt as long as the hash. */
	if (j->alg->rsa_bits != 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
	    1 || EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, j->alg->md, NULL) !=
	    1))
		return RW_ECRYPTO;
	return RW_OK;
}

/* The signature over BASE64URL(protected) "." BASE64URL(payload). */
static int
verify_sig(struct jws *j, struct sig_notation_result *out,
    struct rw_err *err)
{
	EVP_PKEY *pk = X509_get0_pubkey(sk_X509_value(j->x5c, 0));
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	int rc, dlen = 0, ok;

	if (pk == NULL)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "the x5c leaf has no usable public key");
	if ((rc = check_key(j, pk, out)) != GO_ON)
		return rc;
	if (j->alg->ec_len != 0 && j->siglen != 2 * j->alg->ec_len)
		return judge(out, SIG_NOTATION_BAD_SIGNATURE,
		    "%s signature is %zu bytes, not %zu", j->alg->name,
		    j->siglen, 2 * j->alg->ec_len);
	if ((ctx = EVP_MD_CTX_new()) == NULL || verify_init(j, ctx, pk) !=
	    RW_OK || (j->alg->ec_len != 0 && ec_der(j, &der, &dlen) != RW_OK)) {
		rc = sig_ossl_fail(err, RW_ECRYPTO,
		    "cannot set up verification");
		goto out;
	}
	ok = EVP_DigestVerify(ctx, der != NULL ? der : j->sig,
	    der != NULL ? (size_t)dlen : j->siglen,
	    j->tbs, j->tbslen);
	ERR_clear_error();
	rc = ok == 1 ? GO_ON : judge(out, SIG_NOTATION_BAD_SIGNATURE,
	    "signature does not verify with the x5c leaf's key");
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ----------------------------------------------------------------- trust */

/* The trust store's certificates, or RW_EINVAL. */
static int
load_store(const char *pem, size_t len, X509_STORE **out,
    struct rw_err *err)
{
	X509_STORE *st = X509_STORE_new();
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	unsigned long e;
	X509 *c;
	int n = 0, rc = RW_OK;

	if (st == NULL || bio == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n++;
		if (X509_STORE_add_cert(st, c) != 1)
			rc = sig_ossl_fail(err, RW_ECRYPTO, "trust store");
		X509_free(c);
		if (rc != RW_OK)
			goto out;
	}
	/* The loop ends at the end of the text, or at a bad block. */
	e = ERR_peek_last_error();
	ERR_clear_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) !=
	    PEM_R_NO_START_LINE || n == 0)
		rc = rw_err_set(err, RW_EINVAL, n == 0 ? "trust store holds "
		    "no PEM certificate" : "trust store: certificate %d is not "
		    "valid PEM", n + 1);
out:
	BIO_free(bio);
	if (rc != RW_OK)
		X509_STORE_free(st);
	else
		*out = st;
	return rc;
}

/* May the leaf sign code (§4.5)? */
static int
check_leaf(X509 *leaf, struct sig_notation_result *out)
{
	const uint32_t bad_ku = KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT |
	    KU_KEY_AGREEMENT | KU_KEY_CERT_SIGN | KU_CRL_SIGN |
	    KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY;
	const uint32_t bad_eku = XKU_ANYEKU | XKU_SSL_SERVER | XKU_SSL_CLIENT |
	    XKU_SMIME | XKU_TIMESTAMP;
	uint32_t ku = X509_get_key_usage(leaf);

	if (ku == UINT32_MAX || (ku & KU_DIGITAL_SIGNATURE) == 0 ||
	    (ku & bad_ku) != 0)
		return judge(out, SIG_NOTATION_UNTRUSTED, "the signing "
		    "certificate's key usage is not digitalSignature alone");
	if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) != 0 &&
	    ((X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) == 0 ||
	    (X509_get_extended_key_usage(leaf) & bad_eku) != 0))
		return judge(out, SIG_NOTATION_UNTRUSTED, "the signing "
		    "certificate's extended key usage does not allow code "
		    "signing alone");
	return GO_ON;
}

/* Does the verified chain end at a certificate that x5c carries? */
static int
anchor_in_x5c(const struct jws *j, X509_STORE_CTX *ctx)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	X509 *top;
	int i;

	if (chain == NULL || sk_X509_num(chain) == 0)
		return 0;
	top = sk_X509_value(chain, sk_X509_num(chain) - 1);
	for (i = 0; i < sk_X509_num(j->x5c); i++)
		if (X509_cmp(top, sk_X509_value(j->x5c, i)) == 0)
			return 1;
	return 0;
}

/* x5c to the trust store at the signing time, then the leaf's usages. */
static int
check_chain(struct jws *j, X509_STORE *st, struct sig_notation_result *out,
    struct rw_err *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(j->x5c);
	X509 *leaf = sk_X509_value(j->x5c, 0);
	char when[40];
	int rc;

	if (ctx == NULL || untrusted == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	(void)sk_X509_shift(untrusted);
	if (X509_STORE_CTX_init(ctx, st, leaf, untrusted) != 1) {
		rc = sig_ossl_fail(err, RW_ECRYPTO,
		    "cannot set up chain check");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)out->signing_time);
	/* Notation ignores extensions it does not know (fail-open). */
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_IGNORE_CRITICAL);
	rw_time_str(when, sizeof(when), out->signing_time);
	if (X509_verify_cert(ctx) != 1)
		rc = judge(out, SIG_NOTATION_UNTRUSTED, "the certificate "
		    "chain does not lead to the trust store at the signing "
		    "time %s: %s", when, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	else if (!anchor_in_x5c(j, ctx))
		rc = judge(out, SIG_NOTATION_UNTRUSTED, "the trusted "
		    "certificate the chain reaches is not part of x5c");
	else
		rc = check_leaf(leaf, out);
	ERR_clear_error();
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* ---------------------------------------------------------------- target */

/* The payload's targetArtifact against the manifest's descriptor. */
static int
check_target(const struct jws *j, const char *digest, int64_t size,
    const char *media_type, struct sig_notation_result *out)
{
	char b1[SHOW_MAX + 8], b2[SHOW_MAX + 8];
	json_t *pay, *t, *mt, *dg, *sz;
	int rc;

	pay = json_loadb((const char *)j->pay, j->paylen,
	    JSON_REJECT_DUPLICATES, NULL);
	t = json_object_get(pay, "targetArtifact");
	mt = json_object_get(t, "mediaType");
	dg = json_object_get(t, "digest");
	sz = json_object_get(t, "size");
	if (!json_is_string(mt) || !json_is_string(dg) || !json_is_integer(sz))
		rc = judge(out, SIG_NOTATION_MALFORMED, "payload has no "
		    "targetArtifact with mediaType, digest and size");
	else if (strcmp(json_string_value(dg), digest) != 0)
		rc = judge(out, SIG_NOTATION_WRONG_TARGET,
		    "signature is for %s, not %s",
		    rw_show(b1, sizeof(b1), json_string_value(dg),
		    SHOW_MAX),
		    rw_show(b2, sizeof(b2), digest, SHOW_MAX));
	else if (json_integer_value(sz) != size)
		rc = judge(out, SIG_NOTATION_WRONG_TARGET, "signature is for "
		    "a manifest of %lld bytes, not %lld",
		    (long long)json_integer_value(sz), (long long)size);
	else if (media_type != NULL &&
	    strcmp(json_string_value(mt), media_type) != 0)
		rc = judge(out, SIG_NOTATION_WRONG_TARGET, "signature is for "
		    "media type %s, not %s",
		    rw_show(b1, sizeof(b1), json_string_value(mt),
		    SHOW_MAX),
		    rw_show(b2, sizeof(b2), media_type, SHOW_MAX));
	else
		rc = GO_ON;
	json_decref(pay);
	return rc;
}

/* ------------------------------------------------------------------ COSE */

/*
 * A CBOR reader for what notation writes (RFC 8949): definite lengths
 * only, which is all COSE_Sign1 from notation uses; an indefinite length
 * or a reserved head is refused as malformed.
 */
struct cbor {
	const unsigned char	*p;
	const unsigned char	*end;
};

/* One item head: major type and argument. */
static int
cb_head(struct cbor *c, int *major, uint64_t *arg)
{
	unsigned int info, n, i;

	if (c->p >= c->end)
		return -1;
	*major = *c->p >> 5;
	info = *c->p & 0x1f;
	c->p++;
	*arg = info;
	if (info < 24)
		return 0;
	if (info > 27)
		return -1;
	n = 1u << (info - 24);
	if ((size_t)(c->end - c->p) < n)
		return -1;
	for (*arg = 0, i = 0; i < n; i++)
		*arg = *arg << 8 | *c->p++;
	return 0;
}

/* A string of major type WANT (2 bytes, 3 text), borrowed from C. */
static int
cb_str(struct cbor *c, int want, const unsigned char **s, size_t *len)
{
	uint64_t n;
	int major;

	if (cb_head(c, &major, &n) != 0 || major != want ||
	    n > (uint64_t)(c->end - c->p))
		return -1;
	*s = c->p;
	*len = (size_t)n;
	c->p += n;
	return 0;
}

/* Skip one item, nested at most DEPTH deep. */
static int
cb_skip(struct cbor *c, int depth)
{
	uint64_t n, i;
	int major;

	if (depth == 0 || cb_head(c, &major, &n) != 0)
		return -1;
	switch (major) {
	case 2:
	case 3:
		if (n > (uint64_t)(c->end - c->p))
			return -1;
		c->p += n;
		return 0;
	case 4:
	case 5:
		/* Every item takes a byte: this bounds the loop. */
		if (n > (uint64_t)(c->end - c->p))
			return -1;
		for (i = 0; i < (major == 5 ? 2 * n : n); i++)
			if (cb_skip(c, depth - 1) != 0)
				return -1;
		return 0;
	case 6:
		return cb_skip(c, depth - 1);
	default:
		return 0;	/* integers and simple values: the head only */
	}
}

/* A map label: an integer, or text into TEXT (NUL-terminated, cut). */
static int
cb_label(struct cbor *c, int64_t *num, char *text, size_t size)
{
	const unsigned char *s;
	struct cbor peek = *c;
	uint64_t n;
	size_t len;
	int major;

	text[0] = '\0';
	if (cb_head(&peek, &major, &n) != 0)
		return -1;
	if ((major == 0 || major == 1) && n <= INT64_MAX) {
		*c = peek;
		*num = major == 0 ? (int64_t)n : -1 - (int64_t)n;
		return 0;
	}
	if (major != 3 || cb_str(c, 3, &s, &len) != 0 || len == 0 ||
	    len >= size || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	return 0;
}

/* COSE's algorithm numbers (RFC 9053, RFC 8230) under their JWS names. */
static const char *
cose_alg(int64_t n)
{
	switch (n) {
	case -37:	return "PS256";
	case -38:	return "PS384";
	case -39:	return "PS512";
	case -7:	return "ES256";
	case -35:	return "ES384";
	case -36:	return "ES512";
	}
	return NULL;
}

/* A protected value as JSON: text, epoch time (tag 1) as RFC 3339. */
static json_t *
cose_value(struct cbor *c)
{
	struct cbor peek = *c;
	const unsigned char *s;
	char when[40];
	uint64_t n, t;
	size_t len;
	int major;

	if (cb_head(&peek, &major, &n) != 0)
		return NULL;
	if (major == 3)
		return cb_str(c, 3, &s, &len) == 0 ?
		    json_stringn((const char *)s, len) : NULL;
	if (major == 6 && n == 1 && cb_head(&peek, &major, &t) == 0 &&
	    major == 0 && t < 253402300800ull) {
		*c = peek;
		rw_time_str(when, sizeof(when), (int64_t)t);
		return json_string(when);
	}
	/* Anything else counts as present, so that crit can name it. */
	return cb_skip(c, 8) == 0 ? json_true() : NULL;
}

/* The crit array (label 2): text labels, or "label N" for integers. */
static json_t *
cose_crit(struct cbor *c)
{
	json_t *a = json_array();
	char text[128], buf[32];
	uint64_t n, i;
	int64_t num;
	int major;

	if (a == NULL || cb_head(c, &major, &n) != 0 || major != 4 ||
	    n > 32) {
		json_decref(a);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		num = 0;
		if (cb_label(c, &num, text, sizeof(text)) != 0) {
			json_decref(a);
			return NULL;
		}
		if (text[0] == '\0')
			snprintf(buf, sizeof(buf), "label %lld", (long long)num);
		json_array_append_new(a, json_string(text[0] != '\0' ? text :
		    buf));
	}
	return a;
}

/* One protected pair under its JWS name into J->prot; -1 if malformed. */
static int
cose_pair(struct jws *j, struct cbor *c)
{
	char text[128], buf[32];
	const char *key = text;
	const unsigned char *s;
	json_t *v = NULL;
	int64_t num = 0;
	size_t len;

	if (cb_label(c, &num, text, sizeof(text)) != 0)
		return -1;
	if (text[0] == '\0' && num == 1) {
		key = "alg";
		if (cb_label(c, &num, buf, sizeof(buf)) != 0 || buf[0] != '\0')
			return -1;
		if (cose_alg(num) == NULL)
			snprintf(buf, sizeof(buf), "COSE %lld", (long long)num);
		v = json_string(cose_alg(num) != NULL ? cose_alg(num) : buf);
	} else if (text[0] == '\0' && num == 2) {
		key = "crit";
		v = cose_crit(c);
	} else if (text[0] == '\0' && num == 3) {
		key = "cty";
		v = cb_str(c, 3, &s, &len) == 0 ?
		    json_stringn((const char *)s, len) : NULL;
	} else if (text[0] == '\0') {
		return cb_skip(c, 8);
	} else if (strcmp(text, "alg") == 0 || strcmp(text, "crit") == 0 ||
	    strcmp(text, "cty") == 0) {
		return -1;	/* JWS names, which COSE spells as numbers */
	} else {
		v = cose_value(c);
	}
	if (v == NULL || json_object_get(j->prot, key) != NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(j->prot, key, v) == 0 ? 0 : -1;
}

/* The protected header map, decoded into J->prot under the JWS names. */
static int
cose_protected(struct jws *j, const unsigned char *p, size_t len,
    struct sig_notation_result *out)
{
	struct cbor c = { p, p + len };
	uint64_t n, i;
	int major;

	if ((j->prot = json_object()) == NULL)
		return judge(out, SIG_NOTATION_MALFORMED, "out of memory");
	if (cb_head(&c, &major, &n) != 0 || major != 5 || n > 64)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "COSE protected header is not a map");
	for (i = 0; i < n; i++)
		if (cose_pair(j, &c) != 0)
			return judge(out, SIG_NOTATION_MALFORMED, "COSE "
			    "protected header entry %llu is malformed or "
			    "repeated", (unsigned long long)i + 1);
	if (c.p != c.end)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "bytes after the COSE protected header map");
	return GO_ON;
}

/* The x5chain (label 33) of the unprotected map into J->x5c. */
static int
cose_unprotected(struct jws *j, struct cbor *c,
    struct sig_notation_result *out, struct rw_err *err)
{
	const unsigned char *s, *d;
	char text[128];
	uint64_t n, i, k;
	int64_t num;
	int major;
	size_t len;
	X509 *x;

	if (cb_head(c, &major, &n) != 0 || major != 5 || n > 64)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "COSE unprotected header is not a map");
	if ((j->x5c = sk_X509_new_null()) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		num = 0;
		if (cb_label(c, &num, text, sizeof(text)) != 0)
			return judge(out, SIG_NOTATION_MALFORMED,
			    "COSE unprotected header has a bad label");
		if (text[0] != '\0' || num != 33) {
			if (cb_skip(c, 8) != 0)
				return judge(out, SIG_NOTATION_MALFORMED,
				    "COSE unprotected header is truncated");
			continue;
		}
		if (cb_head(c, &major, &k) != 0 || major != 4 || k == 0 ||
		    k > SIG_NOTATION_CHAIN_MAX || sk_X509_num(j->x5c) != 0)
			return judge(out, SIG_NOTATION_MALFORMED, "COSE "
			    "x5chain is not one array of 1 to %d certificates",
			    SIG_NOTATION_CHAIN_MAX);
		for (; k > 0; k--) {
			if (cb_str(c, 2, &s, &len) != 0)
				return judge(out, SIG_NOTATION_MALFORMED,
				    "COSE x5chain holds a non-byte-string");
			d = s;
			x = d2i_X509(NULL, &d, (long)len);
			if (x == NULL || d != s + len || !sk_X509_push(j->x5c,
			    x)) {
				X509_free(x);
				ERR_clear_error();
				return judge(out, SIG_NOTATION_MALFORMED, "COSE "
				    "x5chain holds a bad DER certificate");
			}
		}
	}
	if (sk_X509_num(j->x5c) == 0)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "COSE unprotected header has no x5chain (label 33)");
	return GO_ON;
}

/* Appends a CBOR byte-string head for LEN bytes to B. */
static int
put_bstr_head(struct rw_buf *b, size_t len)
{
	unsigned char h[9];
	size_t n, i;

	if (len < 24) {
		h[0] = (unsigned char)(0x40 | len);
		return rw_buf_add(b, h, 1);
	}
	n = len <= 0xff ? 1 : len <= 0xffff ? 2 : len <= 0xffffffffu ? 4 : 8;
	h[0] = (unsigned char)(0x40 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ?
	    26 : 27));
	for (i = 0; i < n; i++)
		h[1 + i] = (unsigned char)((uint64_t)len >> (8 * (n - 1 - i)));
	return rw_buf_add(b, h, n + 1);
}

/*
 * Sig_structure (RFC 9052 §4.4): ["Signature1", protected as received,
 * external_aad h'', payload], the bytes the signature covers.
 */
static int
cose_tbs(struct jws *j, const unsigned char *prot, size_t plen,
    const unsigned char *pay, size_t ylen, struct rw_err *err)
{
	static const unsigned char start[] = "\x84\x6aSignature1";
	struct rw_buf b;

	rw_buf_init(&b, 2 * SIG_NOTATION_ENVELOPE_MAX);
	if (rw_buf_add(&b, start, sizeof(start) - 1) != RW_OK ||
	    put_bstr_head(&b, plen) != RW_OK ||
	    rw_buf_add(&b, prot, plen) != RW_OK ||
	    rw_buf_add(&b, "\x40", 1) != RW_OK ||
	    put_bstr_head(&b, ylen) != RW_OK ||
	    rw_buf_add(&b, pay, ylen) != RW_OK) {
		rw_buf_free(&b);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	j->tbs = (unsigned char *)rw_buf_steal(&b, &j->tbslen);
	return GO_ON;
}

/* A copy of LEN bytes at P into *OUT. */
static int
dup_bytes(const unsigned char *p, size_t len, unsigned char **out,
    size_t *olen, struct rw_err *err)
{
	if ((*out = malloc(len + 1)) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	memcpy(*out, p, len);
	*olen = len;
	return GO_ON;
}

/* COSE_Sign1_Tagged: tag 18 around [protected, unprotected, payload, sig]. */
static int
parse_cose(struct jws *j, const unsigned char *env, size_t len,
    struct sig_notation_result *out, struct rw_err *err)
{
	struct cbor c = { env, env + len };
	const unsigned char *prot, *pay, *sig;
	size_t plen, ylen, slen;
	uint64_t n;
	int major, rc;

	if (cb_head(&c, &major, &n) != 0 || major != 6 || n != 18 ||
	    cb_head(&c, &major, &n) != 0 || major != 4 || n != 4)
		return judge(out, SIG_NOTATION_MALFORMED, "envelope is not a "
		    "tagged COSE_Sign1 (CBOR tag 18 around four items)");
	if (cb_str(&c, 2, &prot, &plen) != 0)
		return judge(out, SIG_NOTATION_MALFORMED,
		    "COSE protected header is not a byte string");
	if ((rc = cose_unprotected(j, &c, out, err)) != GO_ON)
		return rc;
	if (cb_str(&c, 2, &pay, &ylen) != 0 || cb_str(&c, 2, &sig, &slen) !=
	    0 || c.p != c.end)
		return judge(out, SIG_NOTATION_MALFORMED, "COSE payload or "
		    "signature is not a byte string, or bytes follow them");
	if ((rc = cose_protected(j, prot, plen, out)) != GO_ON ||
	    (rc = cose_tbs(j, prot, plen, pay, ylen, err)) != GO_ON ||
	    (rc = dup_bytes(pay, ylen, &j->pay, &j->paylen, err)) != GO_ON)
		return rc;
	return dup_bytes(sig, slen, &j->sig, &j->siglen, err);
}

/* ------------------------------------------------------------------ API */

/* The leaf's subject, "C=US, ST=WA, ..., CN=x", into out->subject. */
static void
leaf_subject(const struct jws *j, struct sig_notation_result *out)
{
	const unsigned long flags = ASN1_STRFLGS_RFC2253 |
	    XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS;
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	if (bio != NULL && X509_NAME_print_ex(bio,
	    X509_get_subject_name(sk_X509_value(j->x5c, 0)), 0, flags) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		if (n > 0)
			snprintf(out->subject, sizeof(out->subject), "%.*s",
			    (int)(n < 255 ? n : 255), p);
	}
	BIO_free(bio);
	ERR_clear_error();
}

static int
check_args(const void *envelope, size_t len, const char *trust, size_t tlen,
    const char *digest, struct sig_notation_result *out, struct rw_err *err)
{
	if (out == NULL)
		return rw_err_set(err, RW_EINVAL, "no result to fill");
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_NOTATION_MALFORMED;
	if (envelope == NULL || trust == NULL || digest == NULL)
		return rw_err_set(err, RW_EINVAL, "NULL argument");
	if (digest[0] == '\0' || strlen(digest) >= RW_DIGEST_MAX)
		return rw_err_set(err, RW_EINVAL, "bad manifest digest");
	if (len > SIG_NOTATION_ENVELOPE_MAX || tlen > SIG_NOTATION_TRUST_MAX)
		return rw_err_set(err, RW_EINVAL, "%s is over %d bytes",
		    len > SIG_NOTATION_ENVELOPE_MAX ? "envelope" :
		    "trust store", len > SIG_NOTATION_ENVELOPE_MAX ?
		    SIG_NOTATION_ENVELOPE_MAX : SIG_NOTATION_TRUST_MAX);
	return RW_OK;
}

/*
 * Everything after parsing, the same for both envelopes: J holds the
 * protected header under the JWS names, the signed bytes, the payload,
 * the signature and x5c.
 */
/* A failure LEVEL lets through: kept in OUT->logged; go on. */
static int
logged(struct sig_notation_result *out, unsigned bit)
{
	if (out->logged == 0)
		memcpy(out->logged_reason, out->reason,
		    sizeof(out->logged_reason));
	out->logged |= bit;
	out->verdict = SIG_NOTATION_VALID;
	out->reason[0] = '\0';
	return GO_ON;
}

static int
judge_parsed(struct jws *j, X509_STORE *st, const char *digest,
    int64_t size, const char *media_type, int64_t now, int level,
    struct sig_notation_result *out, struct rw_err *err)
{
	char when[40];
	int rc;

	leaf_subject(j, out);
	if ((rc = check_header(j, out)) != GO_ON ||
	    (rc = verify_sig(j, out, err)) != GO_ON)
		return rc;
	rc = check_chain(j, st, out, err);
	if (rc == DECIDED && out->verdict == SIG_NOTATION_UNTRUSTED &&
	    level >= SIG_NOTATION_AUDIT)
		rc = logged(out, SIG_NOTATION_LOGGED_UNTRUSTED);
	if (rc != GO_ON)
		return rc;
	if (j->has_expiry && now > out->expiry) {
		rw_time_str(when, sizeof(when), out->expiry);
		judge(out, SIG_NOTATION_EXPIRED, "signature expired at %s",
		    when);
		if (level < SIG_NOTATION_PERMISSIVE)
			return DECIDED;
		logged(out, SIG_NOTATION_LOGGED_EXPIRED);
	}
	if ((rc = check_target(j, digest, size, media_type, out)) != GO_ON)
		return rc;
	/* The subject is printable: RFC 2253 escaping covers the rest. */
	return judge(out, SIG_NOTATION_VALID, "signed by %s", out->subject);
}

/* Free what J owns and turn a step result into the API's return code. */
static int
finish(struct jws *j, X509_STORE *st, int rc, struct sig_notation_result *out)
{
	sk_X509_pop_free(j->x5c, X509_free);
	json_decref(j->prot);
	json_decref(j->env);
	free(j->sig);
	free(j->tbs);
	free(j->pay);
	X509_STORE_free(st);
	if (rc == DECIDED)
		return RW_OK;
	if (rc != RW_OK && out != NULL)
		out->verdict = SIG_NOTATION_MALFORMED;
	return rc;
}

int
sig_notation_verify_jws(const char *envelope, size_t len,
    const char *trust_store_pem, size_t tlen, const char *manifest_digest,
    int64_t manifest_size, const char *manifest_media_type, int64_t now,
    int level, struct sig_notation_result *out, struct rw_err *err)
{
	struct jws j;
	X509_STORE *st = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = check_args(envelope, len, trust_store_pem, tlen,
	    manifest_digest, out, err)) == RW_OK &&
	    (rc = load_store(trust_store_pem, tlen, &st, err)) == RW_OK &&
	    (rc = parse_envelope(&j, envelope, len, out, err)) == GO_ON)
		rc = judge_parsed(&j, st, manifest_digest, manifest_size,
		    manifest_media_type, now, level, out, err);
	return finish(&j, st, rc, out);
}

int
sig_notation_verify_cose(const unsigned char *envelope, size_t len,
    const char *trust_store_pem, size_t tlen, const char *manifest_digest,
    int64_t manifest_size, const char *manifest_media_type, int64_t now,
    int level, struct sig_notation_result *out, struct rw_err *err)
{
	struct jws j;
	X509_STORE *st = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = check_args(envelope, len, trust_store_pem, tlen,
	    manifest_digest, out, err)) == RW_OK &&
	    (rc = load_store(trust_store_pem, tlen, &st, err)) == RW_OK &&
	    (rc = parse_cose(&j, envelope, len, out, err)) == GO_ON)
		rc = judge_parsed(&j, st, manifest_digest, manifest_size,
		    manifest_media_type, now, level, out, err);
	return finish(&j, st, rc, out);
}
