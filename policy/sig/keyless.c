/* keyless.c - cosign keyless signatures: Fulcio chain and identity. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/sig.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/internal.h"

#define SHOW_MAX	140
#define QBUF		(SHOW_MAX * 4 + 16)
/* Fulcio's OIDC issuer: raw string (deprecated), then DER UTF8String. */
#define OID_ISSUER_V1	"1.3.6.1.4.1.57264.1.1"
#define OID_ISSUER_V2	"1.3.6.1.4.1.57264.1.8"
/* Longest SAN or issuer we compare; Fulcio URIs stay far below. */
#define NAME_MAX_LEN	1024

/* What the leaf says about its holder, once read. */
struct leaf_id {
	char	san[NAME_MAX_LEN + 1];		/* the SAN that matched */
	char	issuer[NAME_MAX_LEN + 1];
};

static void
kverdict(struct sig_result *out, enum sig_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
kverdict(struct sig_result *out, enum sig_verdict v, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/*
 * Copies an ASN.1 string into BUF; 0, or -1 when it holds a NUL (which
 * would let "a@b.com\0.evil" compare equal to "a@b.com") or does not fit.
 */
static int
asn1_text(const unsigned char *data, int len, char *buf, size_t size)
{
	if (len < 0 || (size_t)len >= size || memchr(data, '\0', (size_t)len))
		return -1;
	memcpy(buf, data, (size_t)len);
	buf[len] = '\0';
	return 0;
}

/* ---------------------------------------------------------- certificates */

/* The one certificate in PEM; NULL with OUT's verdict set. */
static X509 *
read_leaf(const char *pem, size_t len, struct sig_result *out)
{
	X509 *x = NULL, *extra;
	BIO *bio;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x == NULL) {
		kverdict(out, SIG_MALFORMED, "certificate annotation is not a "
		    "PEM certificate");
	} else {
		extra = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (extra != NULL) {
			kverdict(out, SIG_MALFORMED, "certificate annotation "
			    "holds more than one certificate");
			X509_free(x);
			X509_free(extra);
			x = NULL;
		}
	}
	BIO_free(bio);
	ERR_clear_error();
	return x;
}

/*
 * The certificates of the chain annotation, untrusted, into *POOL (NULL
 * when there is no annotation).  Returns 0, -1 with OUT's verdict set, or
 * -2 when out of memory.
 */
static int
read_pool(const char *pem, size_t len, STACK_OF(X509) **pool,
    struct sig_result *out)
{
	BIO *bio;
	X509 *x;
	int rc = 0;

	*pool = NULL;
	if (pem == NULL)
		return 0;
	*pool = sk_X509_new_null();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (*pool == NULL || bio == NULL) {
		rc = -2;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(*pool, x) <= 0) {
			X509_free(x);
			rc = -2;
			goto out;
		}
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    sk_X509_num(*pool) == 0) {
		kverdict(out, SIG_MALFORMED, "chain annotation is not PEM "
		    "certificates");
		rc = -1;
	}
out:
	BIO_free(bio);
	ERR_clear_error();
	if (rc != 0) {
		sk_X509_pop_free(*pool, X509_free);
		*pool = NULL;
	}
	return rc;
}

/* A store holding every certificate of ROOTS; NULL with ERR set. */
static X509_STORE *
read_roots(const char *pem, size_t len, struct rw_err *err)
{
	X509_STORE *st;
	BIO *bio;
	X509 *x;
	int n = 0;

	st = X509_STORE_new();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (st == NULL || bio == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) != 1) {
			X509_free(x);
			rw_err_set(err, RW_ECRYPTO, "X509_STORE_add_cert failed");
			goto fail;
		}
		X509_free(x);
		n++;
	}
	/* The loop ends at the end of the text or at a broken block. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0) {
		rw_err_set(err, RW_EINVAL, "trusted Fulcio roots: %s", n == 0 ?
		    "no PEM certificate" : "a malformed PEM certificate");
		goto fail;
	}
	BIO_free(bio);
	ERR_clear_error();
	return st;
fail:
	BIO_free(bio);
	X509_STORE_free(st);
	ERR_clear_error();
	return NULL;
}

/*
 * Builds the chain from LEAF to a self-signed certificate of ST, valid at
 * AT, taking intermediates from ST or the untrusted POOL.  Partial chains
 * stay off: an intermediate of ST is no anchor by itself, and nothing in
 * POOL is ever one.  Returns 0, -1 with OUT's verdict set, or -2 with ERR.
 */
static int
check_chain(X509 *leaf, STACK_OF(X509) *pool, X509_STORE *st, int64_t at,
    X509 **issuer, struct sig_result *out, struct rw_err *err)
{
	X509_VERIFY_PARAM *vp;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *chain;
	char when[64];
	int rc = 0, e;

	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, st, leaf, pool) != 1) {
		X509_STORE_CTX_free(ctx);
		rw_err_set(err, RW_ENOMEM, "X509_STORE_CTX_init failed");
		return -2;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, (time_t)at);
	X509_VERIFY_PARAM_clear_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		rw_time_str(when, sizeof(when), at);
		kverdict(out, SIG_BAD_SIGNATURE, "certificate does not chain to "
		    "a trusted Fulcio root at %s: %s", when,
		    X509_verify_cert_error_string(e));
		rc = -1;
	} else {
		/* A self-signed leaf would be its own root: refused here. */
		chain = X509_STORE_CTX_get0_chain(ctx);
		*issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) :
		    NULL;
		if (*issuer == NULL || X509_up_ref(*issuer) != 1) {
			*issuer = NULL;
			kverdict(out, SIG_BAD_SIGNATURE, "certificate is itself "
			    "a trusted root, not a Fulcio leaf");
			rc = -1;
		}
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* ------------------------------------------------------------------ SCT */

/* One CT log key and its RFC 6962 id, SHA-256 of the SPKI DER. */
struct ctlog {
	EVP_PKEY	*pkey;
	unsigned char	 id[32];
};

struct ctlogs {
	struct ctlog	 log[SIG_CTLOG_MAX];
	int		 n;
};

static void
ctlogs_free(struct ctlogs *cl)
{
	int i;

	for (i = 0; i < cl->n; i++)
		EVP_PKEY_free(cl->log[i].pkey);
	cl->n = 0;
}

/* SHA-256 of the DER of K's SPKI into ID; 0 or -1. */
static int
spki_hash(X509_PUBKEY *k, unsigned char id[32])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int dlen, ok;

	dlen = i2d_X509_PUBKEY(k, &der);
	ok = dlen > 0 && EVP_Digest(der, (size_t)dlen, id, &n, EVP_sha256(),
	    NULL) == 1 && n == 32;
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

/* Reads the PEM "PUBLIC KEY" blocks of the CT logs; ERR set on failure. */
static int
read_ctlogs(const char *pem, size_t len, struct ctlogs *cl, struct rw_err *err)
{
	X509_PUBKEY *xk;
	BIO *bio;
	int rc = RW_OK;

	cl->n = 0;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	while ((xk = PEM_read_bio_X509_PUBKEY(bio, NULL, NULL, NULL)) != NULL) {
		if (cl->n == SIG_CTLOG_MAX) {
			X509_PUBKEY_free(xk);
			rc = rw_err_set(err, RW_EINVAL, "more than %d CT log "
			    "keys", SIG_CTLOG_MAX);
			goto out;
		}
		cl->log[cl->n].pkey = X509_PUBKEY_get(xk);
		if (cl->log[cl->n].pkey == NULL ||
		    spki_hash(xk, cl->log[cl->n].id) != 0) {
			EVP_PKEY_free(cl->log[cl->n].pkey);
			X509_PUBKEY_free(xk);
			rc = rw_err_set(err, RW_EINVAL, "CT log key %d is not "
			    "usable", cl->n + 1);
			goto out;
		}
		X509_PUBKEY_free(xk);
		cl->n++;
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    cl->n == 0)
		rc = rw_err_set(err, RW_EINVAL, "CT log keys: %s", cl->n == 0 ?
		    "no PEM public key" : "a malformed PEM public key");
out:
	BIO_free(bio);
	ERR_clear_error();
	if (rc != RW_OK)
		ctlogs_free(cl);
	return rc;
}

/*
 * The precertificate's TBS as the log saw it: the leaf's TBS without the
 * SCT list extension, re-encoded (RFC 6962 §3.2).  NULL on failure.
 */
static unsigned char *
precert_tbs(X509 *leaf, int *len)
{
	unsigned char *tbs = NULL;
	X509_EXTENSION *ext;
	X509 *dup;
	int i;

	*len = 0;
	dup = X509_dup(leaf);
	if (dup == NULL)
		return NULL;
	i = X509_get_ext_by_NID(dup, NID_ct_precert_scts, -1);
	ext = i >= 0 ? X509_delete_ext(dup, i) : NULL;
	X509_EXTENSION_free(ext);
	if (ext != NULL)
		*len = i2d_re_X509_tbs(dup, &tbs);
	X509_free(dup);
	return *len > 0 ? tbs : NULL;
}

static void
put_be(unsigned char **p, uint64_t v, int bytes)
{
	while (bytes-- > 0)
		*(*p)++ = (unsigned char)(v >> (8 * bytes));
}

/*
 * The digitally-signed struct of a v1 precert SCT (RFC 6962 §3.2) into a
 * new buffer: version, signature type 0, timestamp, entry type 1, the
 * issuer key hash, the TBS (24-bit length) and the extensions (16-bit).
 */
static unsigned char *
sct_signed(const SCT *sct, const unsigned char ikh[32],
    const unsigned char *tbs, int tlen, size_t *len)
{
	unsigned char *ext = NULL, *buf, *p;
	size_t elen;

	elen = SCT_get0_extensions(sct, &ext);
	if (elen > 0xffff || tlen > 0xffffff)
		return NULL;
	*len = 1 + 1 + 8 + 2 + 32 + 3 + (size_t)tlen + 2 + elen;
	buf = malloc(*len);
	if (buf == NULL)
		return NULL;
	p = buf;
	put_be(&p, (uint64_t)SCT_get_version(sct), 1);
	put_be(&p, 0, 1);
	put_be(&p, SCT_get_timestamp(sct), 8);
	put_be(&p, 1, 2);
	memcpy(p, ikh, 32);
	p += 32;
	put_be(&p, (uint64_t)tlen, 3);
	memcpy(p, tbs, (size_t)tlen);
	p += tlen;
	put_be(&p, elen, 2);
	if (elen > 0)
		memcpy(p, ext, elen);
	return buf;
}

/* Does SCT verify over MSG with the log in CL that its log id names? */
static int
sct_good(const SCT *sct, const struct ctlogs *cl, const unsigned char *msg,
    size_t mlen)
{
	unsigned char *id = NULL, *sig = NULL;
	EVP_MD_CTX *ctx;
	size_t idlen, slen;
	int i, good = 0;

	idlen = SCT_get0_log_id(sct, &id);
	slen = SCT_get0_signature(sct, &sig);
	if (SCT_get_version(sct) != SCT_VERSION_V1 || idlen != 32 ||
	    slen == 0)
		return 0;
	for (i = 0; i < cl->n && !good; i++) {
		if (memcmp(cl->log[i].id, id, 32) != 0)
			continue;
		ctx = EVP_MD_CTX_new();
		good = ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL,
		    "SHA256", NULL, NULL, cl->log[i].pkey, NULL) == 1 &&
		    EVP_DigestVerify(ctx, sig, slen, msg, mlen) == 1;
		EVP_MD_CTX_free(ctx);
	}
	ERR_clear_error();
	return good;
}

/* Counts the SCTs of LEAF that verify with CL; -1 when out of memory. */
static int
good_scts(X509 *leaf, X509 *issuer, const struct ctlogs *cl, int *total)
{
	unsigned char ikh[32], *tbs = NULL, *msg;
	STACK_OF(SCT) *scts;
	size_t mlen;
	int i, tlen, good = 0;

	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	*total = sk_SCT_num(scts) > 0 ? sk_SCT_num(scts) : 0;
	if (*total > 0 && spki_hash(X509_get_X509_PUBKEY(issuer), ikh) == 0)
		tbs = precert_tbs(leaf, &tlen);
	for (i = 0; tbs != NULL && i < *total && good == 0; i++) {
		msg = sct_signed(sk_SCT_value(scts, i), ikh, tbs, tlen, &mlen);
		if (msg == NULL) {
			good = -1;
			break;
		}
		good = sct_good(sk_SCT_value(scts, i), cl, msg, mlen);
		free(msg);
	}
	OPENSSL_free(tbs);
	SCT_LIST_free(scts);
	ERR_clear_error();
	return good;
}

/*
 * Requires an SCT of LEAF (issued by ISSUER) signed by one of the CT log
 * keys in PEM.  Returns 0, -1 with OUT's verdict set, or -2 with ERR set.
 */
static int
check_sct(X509 *leaf, X509 *issuer, const char *pem, size_t len,
    struct sig_result *out, struct rw_err *err)
{
	struct ctlogs cl;
	int good, total;

	if (read_ctlogs(pem, len, &cl, err) != RW_OK)
		return -2;
	good = good_scts(leaf, issuer, &cl, &total);
	ctlogs_free(&cl);
	if (good < 0) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return -2;
	}
	if (good > 0)
		return 0;
	if (total == 0)
		kverdict(out, SIG_BAD_SIGNATURE, "certificate has no embedded "
		    "SCT");
	else
		kverdict(out, SIG_BAD_SIGNATURE, "certificate has no SCT that "
		    "verifies with a trusted CT log key (%d SCT%s)", total,
		    total == 1 ? "" : "s");
	return -1;
}

/* ------------------------------------------------------------- identity */

/* Does SAN match ID: exactly, or the anchored regex RE? */
static int
san_matches(const char *san, const struct sig_identity *id, regex_t *re)
{
	if (id->subject != NULL)
		return strcmp(san, id->subject) == 0;
	return regexec(re, san, 0, NULL, 0) == 0;
}

/*
 * Finds a SAN of LEAF (email or URI) matching ID into L->san.  Returns 0,
 * or -1 with OUT's verdict set naming the first SAN seen.
 */
static int
check_san(X509 *leaf, const struct sig_identity *id, regex_t *re,
    struct leaf_id *l, struct sig_result *out)
{
	char q1[QBUF], q2[QBUF], first[NAME_MAX_LEN + 1] = "";
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	ASN1_IA5STRING *s;
	int i, found = 0;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && !found; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (g->type == GEN_URI)
			s = g->d.uniformResourceIdentifier;
		else
			continue;
		if (asn1_text(ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
		    l->san, sizeof(l->san)) != 0)
			continue;
		if (first[0] == '\0')
			rw_strlcpy(first, l->san, sizeof(first));
		found = san_matches(l->san, id, re);
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	if (found)
		return 0;
	if (first[0] == '\0')
		kverdict(out, SIG_BAD_SIGNATURE, "certificate has no email or "
		    "URI identity");
	else
		kverdict(out, SIG_BAD_SIGNATURE, "certificate identity %s does "
		    "not match %s%s", rw_show(q1, sizeof(q1), first,
		    SHOW_MAX), id->subject != NULL ? "" : "regex ",
		    rw_show(q2, sizeof(q2), id->subject != NULL ?
		    id->subject : id->subject_regex, SHOW_MAX));
	return -1;
}

/*
 * The value of extension OID in LEAF into BUF: its raw bytes when !DER,
 * else the UTF8String they encode.  1 when found, 0 when absent, -1 when
 * present but unreadable.
 */
static int
ext_text(X509 *leaf, const char *oid, int der, char *buf, size_t size)
{
	const unsigned char *p;
	ASN1_OCTET_STRING *data;
	ASN1_UTF8STRING *u;
	ASN1_OBJECT *obj;
	int i, rc;

	obj = OBJ_txt2obj(oid, 1);
	i = obj != NULL ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
	ASN1_OBJECT_free(obj);
	if (i < 0)
		return 0;
	data = X509_EXTENSION_get_data(X509_get_ext(leaf, i));
	p = ASN1_STRING_get0_data(data);
	if (!der)
		return asn1_text(p, ASN1_STRING_length(data), buf, size) == 0 ?
		    1 : -1;
	u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(data));
	rc = u != NULL && p == ASN1_STRING_get0_data(data) +
	    ASN1_STRING_length(data) && asn1_text(ASN1_STRING_get0_data(u),
	    ASN1_STRING_length(u), buf, size) == 0 ? 1 : -1;
	ASN1_UTF8STRING_free(u);
	ERR_clear_error();
	return rc;
}

/* Reads the issuer into L->issuer and compares it; 0 or -1 (verdict set). */
static int
check_issuer(X509 *leaf, const char *want, struct leaf_id *l,
    struct sig_result *out)
{
	char q1[QBUF], q2[QBUF], v1[NAME_MAX_LEN + 1];
	int h1, h8;

	h8 = ext_text(leaf, OID_ISSUER_V2, 1, l->issuer, sizeof(l->issuer));
	h1 = ext_text(leaf, OID_ISSUER_V1, 0, v1, sizeof(v1));
	if (h8 < 0 || h1 < 0) {
		kverdict(out, SIG_MALFORMED, "certificate OIDC issuer extension "
		    "is unreadable");
		return -1;
	}
	if (h8 == 0 && h1 == 0) {
		kverdict(out, SIG_BAD_SIGNATURE, "certificate names no OIDC "
		    "issuer");
		return -1;
	}
	if (h8 == 0)
		rw_strlcpy(l->issuer, v1, sizeof(l->issuer));
	else if (h1 == 1 && strcmp(v1, l->issuer) != 0) {
		kverdict(out, SIG_BAD_SIGNATURE, "certificate names two OIDC "
		    "issuers, %s and %s", rw_show(q1, sizeof(q1),
		    l->issuer, SHOW_MAX), rw_show(q2, sizeof(q2), v1,
		    SHOW_MAX));
		return -1;
	}
	if (strcmp(l->issuer, want) != 0) {
		kverdict(out, SIG_BAD_SIGNATURE, "certificate OIDC issuer %s is "
		    "not %s", rw_show(q1, sizeof(q1), l->issuer, SHOW_MAX),
		    rw_show(q2, sizeof(q2), want, SHOW_MAX));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ signature */

/* LEAF's public key as a sig_key, via PEM so sig_key_load judges it. */
static int
leaf_key(X509 *leaf, struct sig_key **k, struct sig_result *out,
    struct rw_err *err)
{
	struct rw_err kerr;
	char *pem = NULL;
	long n;
	BIO *bio;
	int rc;

	*k = NULL;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, X509_get0_pubkey(leaf))
	    != 1) {
		BIO_free(bio);
		ERR_clear_error();
		return rw_err_set(err, RW_ECRYPTO, "PEM_write_bio_PUBKEY "
		    "failed");
	}
	n = BIO_get_mem_data(bio, &pem);
	rw_err_clear(&kerr);
	rc = sig_key_load(pem, (size_t)n, k, &kerr);
	BIO_free(bio);
	if (rc == RW_ENOMEM)
		return rw_err_set(err, rc, "%s", kerr.msg);
	if (rc != RW_OK)
		kverdict(out, SIG_BAD_SIGNATURE, "certificate key refused: %s",
		    kerr.msg);
	return RW_OK;
}

/*
 * Everything after the chain: EKU, identity, issuer; then the leaf's key in
 * *K.  0, or -1 with OUT's verdict set (or -2 with ERR).
 */
static int
check_leaf(X509 *leaf, const struct sig_identity *id, regex_t *re,
    struct leaf_id *l, struct sig_key **k, struct sig_result *out,
    struct rw_err *err)
{
	*k = NULL;
	if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) == 0) {
		kverdict(out, SIG_BAD_SIGNATURE, "certificate is not for code "
		    "signing (no codeSigning extended key usage)");
		return -1;
	}
	if (check_san(leaf, id, re, l, out) != 0 ||
	    check_issuer(leaf, id->issuer, l, out) != 0)
		return -1;
	if (leaf_key(leaf, k, out, err) != RW_OK)
		return -2;
	if (*k == NULL)
		return -1;
	kverdict(out, SIG_VALID, "signed by %s (issuer %s) with a Fulcio "
	    "certificate (%s key %s)", l->san, l->issuer, sig_key_kind(*k),
	    sig_key_id(*k));
	return 0;
}

/* The leaf's key K, judged: the cosign signature over the payload. */
static int
check_payload(const struct sig_key *k, const char *payload, size_t plen,
    const char *sig_b64, const char *digest, struct sig_result *out,
    struct rw_err *err)
{
	char who[SIG_REASON_MAX + 1];
	int rc;

	memcpy(who, out->reason, sizeof(who));
	rc = sig_cosign_verify(k, payload, plen, sig_b64, digest, out, err);
	if (rc == RW_OK && out->verdict == SIG_VALID)
		memcpy(out->reason, who, sizeof(out->reason));
	return rc;
}

/* Compiles ID's regex anchored to the whole SAN; *HAVE says it needs freeing. */
static int
compile_re(const struct sig_identity *id, regex_t *re, int *have,
    struct rw_err *err)
{
	char *pat;
	size_t n;
	int rc;

	*have = 0;
	if (id->subject != NULL)
		return RW_OK;
	n = strlen(id->subject_regex) + 5;
	pat = malloc(n);
	if (pat == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	snprintf(pat, n, "^(%s)$", id->subject_regex);
	rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc != 0)
		return rw_err_set(err, RW_EINVAL, "identity regex does not "
		    "compile");
	*have = 1;
	return RW_OK;
}

/* The PEM inputs of one verification. */
struct pems {
	const char	*cert;
	size_t		 cert_len;
	const char	*chain;
	size_t		 chain_len;
	const char	*roots;
	size_t		 roots_len;
	const char	*ctlogs;
	size_t		 ctlogs_len;
};

/*
 * Reads the leaf and the pool, checks the chain and then the SCT when CT
 * log keys are given: 0, -1 or -2.
 */
static int
leaf_and_chain(const struct pems *pm, X509_STORE *st, int64_t at,
    X509 **leaf, struct sig_result *out, struct rw_err *err)
{
	STACK_OF(X509) *pool = NULL;
	X509 *issuer = NULL;
	int c;

	*leaf = read_leaf(pm->cert, pm->cert_len, out);
	if (*leaf == NULL)
		return -1;
	c = read_pool(pm->chain, pm->chain_len, &pool, out);
	if (c == -2)
		rw_err_set(err, RW_ENOMEM, "out of memory");
	if (c == 0)
		c = check_chain(*leaf, pool, st, at, &issuer, out, err);
	if (c == 0 && pm->ctlogs != NULL)
		c = check_sct(*leaf, issuer, pm->ctlogs, pm->ctlogs_len, out,
		    err);
	X509_free(issuer);
	sk_X509_pop_free(pool, X509_free);
	if (c != 0) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	return c;
}

/*
 * The leaf of PM judged at AT under ID; with KEYOUT, its key is handed out
 * when VALID, else the cosign payload is checked with it.
 */
static int
keyless_verify(const struct pems *pm, const struct sig_identity *id,
    int64_t at, const char *payload, size_t plen, const char *sig_b64,
    const char *digest, struct sig_key **keyout, struct sig_result *out,
    struct rw_err *err)
{
	struct sig_key *k = NULL;
	struct leaf_id l;
	X509_STORE *st;
	X509 *leaf;
	regex_t re;
	int have_re, rc, c;

	rc = compile_re(id, &re, &have_re, err);
	if (rc != RW_OK)
		return rc;
	st = read_roots(pm->roots, pm->roots_len, err);
	if (st == NULL) {
		rc = err != NULL && err->code != 0 ? err->code : RW_EINVAL;
		goto out;
	}
	c = leaf_and_chain(pm, st, at, &leaf, out, err);
	if (c == 0)
		c = check_leaf(leaf, id, &re, &l, &k, out, err);
	if (c == -2)
		rc = err != NULL && err->code != 0 ? err->code : RW_ECRYPTO;
	else if (c == 0 && keyout != NULL)
		*keyout = k, k = NULL;
	else if (c == 0)
		rc = check_payload(k, payload, plen, sig_b64, digest, out, err);
	sig_key_free(k);
	X509_free(leaf);
	X509_STORE_free(st);
out:
	if (have_re)
		regfree(&re);
	return rc;
}

/* Fills PM from the arguments, once their sizes are checked. */
static int
fill_pems(struct pems *pm, const char *cert_pem, size_t cert_len,
    const char *chain_pem, size_t chain_len,
    const struct sig_keyless_trust *trust, struct rw_err *err)
{
	if (cert_len > SIG_CERT_PEM_MAX || trust->roots_len > SIG_CERT_PEM_MAX ||
	    (chain_pem != NULL && chain_len > SIG_CERT_PEM_MAX) ||
	    (trust->ctlogs_pem != NULL && trust->ctlogs_len >
	    SIG_CERT_PEM_MAX))
		return rw_err_set(err, RW_ETOOBIG, "certificate PEM over %d "
		    "bytes", SIG_CERT_PEM_MAX);
	pm->cert = cert_pem;
	pm->cert_len = cert_len;
	pm->chain = chain_pem;
	pm->chain_len = chain_len;
	pm->roots = trust->roots_pem;
	pm->roots_len = trust->roots_len;
	pm->ctlogs = trust->ctlogs_pem;
	pm->ctlogs_len = trust->ctlogs_len;
	return RW_OK;
}

/* Whether the common arguments are usable. */
static int
args_ok(const char *cert_pem, const struct sig_keyless_trust *trust,
    const struct sig_identity *id)
{
	return cert_pem != NULL && trust != NULL && trust->roots_pem != NULL &&
	    id != NULL && id->issuer != NULL &&
	    (id->subject == NULL) != (id->subject_regex == NULL);
}

/* A failure to decide, in OUT too. */
static int
undecided(int rc, struct sig_result *out, const struct rw_err *err)
{
	out->verdict = SIG_MALFORMED;
	sig_reason_undecided(out->reason, sizeof(out->reason), rc, err);
	return rc;
}

int
sig_keyless_leaf(const char *cert_pem, size_t cert_len,
    const char *chain_pem, size_t chain_len,
    const struct sig_keyless_trust *trust, const struct sig_identity *id,
    int64_t at, struct sig_key **key, struct sig_result *out,
    struct rw_err *err)
{
	struct pems pm;
	int rc;

	if (out == NULL || key == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_keyless_leaf: NULL "
		    "result");
	*key = NULL;
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (!args_ok(cert_pem, trust, id))
		return undecided(rw_err_set(err, RW_EINVAL, "sig_keyless_leaf: "
		    "NULL argument, or not exactly one of subject and regex"),
		    out, err);
	rc = fill_pems(&pm, cert_pem, cert_len, chain_pem, chain_len, trust,
	    err);
	if (rc == RW_OK)
		rc = keyless_verify(&pm, id, at, NULL, 0, NULL, NULL, key, out,
		    err);
	return rc != RW_OK ? undecided(rc, out, err) : RW_OK;
}

int
sig_keyless_verify(const char *cert_pem, size_t cert_len,
    const char *chain_pem, size_t chain_len,
    const struct sig_keyless_trust *trust, const struct sig_identity *id,
    int64_t at, const char *payload, size_t plen, const char *sig_b64,
    const char *manifest_digest, struct sig_result *out, struct rw_err *err)
{
	struct pems pm;
	int rc;

	if (out == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_keyless_verify: NULL "
		    "result");
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (!args_ok(cert_pem, trust, id) || payload == NULL ||
	    sig_b64 == NULL || manifest_digest == NULL)
		return undecided(rw_err_set(err, RW_EINVAL, "sig_keyless_verify: "
		    "NULL argument, or not exactly one of subject and regex"),
		    out, err);
	rc = fill_pems(&pm, cert_pem, cert_len, chain_pem, chain_len, trust,
	    err);
	if (rc == RW_OK)
		rc = keyless_verify(&pm, id, at, payload, plen, sig_b64,
		    manifest_digest, NULL, out, err);
	return rc != RW_OK ? undecided(rc, out, err) : RW_OK;
}
