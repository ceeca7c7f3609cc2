/* tsa.c - RFC 3161 timestamps of Sigstore bundles, checked offline. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/tsa.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/internal.h"

/* How much of a certificate's common name a reason quotes. */
#define SHOW_MAX	64
#define QBUF		(SHOW_MAX * 4 + 16)
/* The trusted root's member, named as trustroot.c names it. */
#define TSA_MEMBER	"timestampAuthorities"
/* A helper's "the verdict is set, stop here"; errors are negative. */
#define DECIDED		1
/* from_resp's "not a TimeStampResp": try the bytes as a bare token. */
#define NOT_RESP	2

/* A timestamp token, decoded. */
struct token {
	PKCS7		*p7;	/* the TimeStampToken: CMS SignedData */
	TS_TST_INFO	*info;	/* its content */
	int64_t		 gen;	/* genTime in whole Unix seconds */
	int		 frac;	/* genTime has a fraction of a second */
};

/* One timestamp authority of the trusted root, loaded. */
struct tsa {
	STACK_OF(X509)	*certs;	/* its chain as the trusted root lists it */
	X509		*leaf;	/* its leaf, or NULL; borrowed from CERTS */
	X509_STORE	*store;	/* its last certificate, the only anchor */
	/* "\"sigstore-tsa\" (timestampAuthorities[0])", for reasons. */
	char		 name[QBUF + 48];
};

/* How far a TSA got with the token: the farthest one gives the reason. */
enum stage {
	STAGE_UNSIGNED = 0,	/* its certificates do not verify the token */
	STAGE_SIGNED		/* they do; a later check refused it */
};

static void
tverdict(struct sig_tsa_result *out, enum sig_verdict v, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
tverdict(struct sig_tsa_result *out, enum sig_verdict v, const char *fmt,
    ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* X's subject common name in quotes, safe to print, cut at SHOW_MAX. */
static const char *
cn_of(X509 *x, char *buf, size_t size)
{
	char cn[SHOW_MAX * 2];
	struct rw_sb sb;

	rw_sb_init(&sb, buf, size);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) < 0)
		rw_sb_add(&sb, "(no common name)");
	else {
		rw_sb_add(&sb, "\"");
		rw_sb_safe(&sb, cn, SHOW_MAX);
		rw_sb_add(&sb, "\"");
	}
	rw_sb_finish(&sb);
	ERR_clear_error();
	return buf;
}

/*
 * Why OpenSSL refused, from the last error it queued.  TS_RESP_verify_
 * signature reports a failed chain as "certificate verify error" with
 * "Verify error:<X509_verify_cert's reason>" as data; the data says more.
 */
static const char *
ossl_why(char *buf, size_t size)
{
	const char *data = NULL, *r;
	unsigned long e;
	int flags = 0;

	e = ERR_peek_last_error_data(&data, &flags);
	r = ERR_reason_error_string(e);
	if (r == NULL)
		r = "does not verify";
	if (data != NULL && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
		if (strncmp(data, "Verify error:", 13) == 0)
			data += 13;
		snprintf(buf, size, "%s (%s)", r, data);
	} else
		snprintf(buf, size, "%s", r);
	return buf;
}

/* ------------------------------------------------------------ times */

/* T in whole Unix seconds; 0, or -1 when it is no time. */
static int
asn1_secs(const ASN1_TIME *t, int64_t *out)
{
	static const struct tm epoch = { .tm_year = 70, .tm_mday = 1 };
	struct tm tm;
	int day, sec;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    OPENSSL_gmtime_diff(&day, &sec, &epoch, &tm) != 1)
		return -1;
	*out = (int64_t)day * 86400 + sec;
	return 0;
}

/*
 * Whether GeneralizedTime T has a non-zero fraction of a second.  Whole
 * seconds are what the windows hold, so 12:02:20.5 is after a window that
 * ends at 12:02:20, as sigstore-go's time.After says.
 */
static int
has_fraction(const ASN1_GENERALIZEDTIME *t)
{
	const unsigned char *s = ASN1_STRING_get0_data(t);
	const unsigned char *dot;
	int n = ASN1_STRING_length(t), i;

	dot = n > 0 ? memchr(s, '.', (size_t)n) : NULL;
	if (dot == NULL)
		return 0;
	for (i = (int)(dot - s) + 1; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (s[i] != '0')
			return 1;
	return 0;
}

/* Whether TOK's genTime lies in W, both ends included, fractions counted. */
static int
gen_within(const struct token *tok, const struct sig_window *w)
{
	return sig_window_has(w, tok->gen) &&
	    !(tok->frac && tok->gen == w->end);
}

/* "from S to E" or "from S" into BUF, for messages about W. */
static const char *
window_str(const struct sig_window *w, char *buf, size_t size)
{
	char s[64], e[64];

	rw_time_str(s, sizeof(s), w->start);
	if (w->end == INT64_MAX)
		snprintf(buf, size, "from %s", s);
	else {
		rw_time_str(e, sizeof(e), w->end);
		snprintf(buf, size, "from %s to %s", s, e);
	}
	return buf;
}

/* ------------------------------------------------------------ decoding */

/* The names RFC 3161 gives PKIStatus values, for messages. */
static const char *
status_name(long st)
{
	static const char *const names[] = { "granted", "grantedWithMods",
	    "rejection", "waiting", "revocationWarning",
	    "revocationNotification" };

	return st >= 0 && st < (long)(sizeof(names) / sizeof(names[0])) ?
	    names[st] : "unknown";
}

/*
 * RESP as a TimeStampResp into TOK.  Returns RW_OK, NOT_RESP, DECIDED
 * with OUT's verdict set, or RW_ENOMEM.
 */
static int
from_resp(const unsigned char *resp, size_t rlen, struct token *tok,
    struct sig_tsa_result *out, struct rw_err *err)
{
	const unsigned char *p = resp;
	TS_RESP *r;
	long st;
	int rc = RW_OK;

	r = d2i_TS_RESP(NULL, &p, (long)rlen);
	if (r == NULL)
		return NOT_RESP;
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(
	    TS_RESP_get_status_info(r)));
	if (p != resp + rlen) {
		tverdict(out, SIG_MALFORMED, "timestamp response is followed by "
		    "%zu other bytes", rlen - (size_t)(p - resp));
		rc = DECIDED;
	} else if ((st != TS_STATUS_GRANTED &&
	    st != TS_STATUS_GRANTED_WITH_MODS) || TS_RESP_get_token(r) == NULL) {
		tverdict(out, SIG_MALFORMED, "timestamp response holds no token "
		    "(status %ld, %s)", st, status_name(st));
		rc = DECIDED;
	} else {
		tok->p7 = PKCS7_dup(TS_RESP_get_token(r));
		tok->info = TS_TST_INFO_dup(TS_RESP_get_tst_info(r));
		if (tok->p7 == NULL || tok->info == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	TS_RESP_free(r);
	return rc;
}

/* RESP as a bare TimeStampToken into TOK; RW_OK or DECIDED. */
static int
from_token(const unsigned char *resp, size_t rlen, struct token *tok,
    struct sig_tsa_result *out)
{
	const unsigned char *p = resp;

	tok->p7 = d2i_PKCS7(NULL, &p, (long)rlen);
	if (tok->p7 == NULL) {
		tverdict(out, SIG_MALFORMED, "timestamp is neither a DER "
		    "TimeStampResp nor a TimeStampToken");
		return DECIDED;
	}
	if (p != resp + rlen) {
		tverdict(out, SIG_MALFORMED, "timestamp token is followed by "
		    "%zu other bytes", rlen - (size_t)(p - resp));
		return DECIDED;
	}
	tok->info = PKCS7_to_TS_TST_INFO(tok->p7);
	if (tok->info == NULL) {
		tverdict(out, SIG_MALFORMED, "timestamp token does not hold a "
		    "TSTInfo");
		return DECIDED;
	}
	return RW_OK;
}

/* TOK's version and genTime; RW_OK or DECIDED. */
static int
read_info(struct token *tok, struct sig_tsa_result *out)
{
	const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(tok->info);
	long v = TS_TST_INFO_get_version(tok->info);

	if (v != 1) {
		tverdict(out, SIG_MALFORMED, "timestamp is TSTInfo version %ld, "
		    "not 1", v);
		return DECIDED;
	}
	if (t == NULL || asn1_secs(t, &tok->gen) != 0) {
		tverdict(out, SIG_MALFORMED, "timestamp's genTime is not a "
		    "time");
		return DECIDED;
	}
	tok->frac = has_fraction(t);
	return RW_OK;
}

/* RESP into TOK: RW_OK, DECIDED (MALFORMED) or RW_ENOMEM. */
static int
decode(const unsigned char *resp, size_t rlen, struct token *tok,
    struct sig_tsa_result *out, struct rw_err *err)
{
	int rc;

	if (rlen == 0) {
		tverdict(out, SIG_MALFORMED, "timestamp is empty");
		return DECIDED;
	}
	if (rlen > SIG_TSA_MAX) {
		tverdict(out, SIG_MALFORMED, "timestamp is %zu bytes (at most "
		    "%d)", rlen, SIG_TSA_MAX);
		return DECIDED;
	}
	rc = from_resp(resp, rlen, tok, out, err);
	if (rc == NOT_RESP)
		rc = from_token(resp, rlen, tok, out);
	if (rc == RW_OK)
		rc = read_info(tok, out);
	ERR_clear_error();
	return rc;
}

/*
 * The messageImprint must be a hash of SIGNED_BYTES, with the algorithm it
 * names.  Returns RW_OK, DECIDED (BAD_SIGNATURE) or RW_ECRYPTO.
 */
static int
check_imprint(struct token *tok, const unsigned char *signed_bytes,
    size_t slen, struct sig_tsa_result *out, struct rw_err *err)
{
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tok->info);
	const ASN1_OCTET_STRING *h = TS_MSG_IMPRINT_get_msg(mi);
	unsigned char md[EVP_MAX_MD_SIZE];
	const ASN1_OBJECT *obj;
	const EVP_MD *alg;
	unsigned int n = 0;
	char name[80];

	X509_ALGOR_get0(&obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
	switch (OBJ_obj2nid(obj)) {
	case NID_sha256:
		alg = EVP_sha256();
		break;
	case NID_sha384:
		alg = EVP_sha384();
		break;
	case NID_sha512:
		alg = EVP_sha512();
		break;
	default:
		if (OBJ_obj2txt(name, sizeof(name), obj, 0) <= 0)
			snprintf(name, sizeof(name), "an unknown algorithm");
		tverdict(out, SIG_BAD_SIGNATURE, "timestamp hashes with %s, "
		    "not SHA-256, SHA-384 or SHA-512", name);
		return DECIDED;
	}
	if (EVP_Digest(signed_bytes, slen, md, &n, alg, NULL) != 1) {
		ERR_clear_error();
		return rw_err_set(err, RW_ECRYPTO, "EVP_Digest failed");
	}
	if ((unsigned int)ASN1_STRING_length(h) != n ||
	    memcmp(ASN1_STRING_get0_data(h), md, n) != 0) {
		tverdict(out, SIG_BAD_SIGNATURE, "timestamp is for other data");
		return DECIDED;
	}
	return RW_OK;
}

/* ------------------------------------------------------- authorities */

/*
 * Trusted-root TSA I (CA) into T: its certificates, leaf first, in
 * T->certs; its last one alone in T->store.  The first one is the leaf
 * when there are more and it is no CA, as sigstore-go decides.  Returns
 * RW_OK, or RW_EINVAL, RW_ENOMEM or RW_ECRYPTO with ERR set.
 */
static int
tsa_load(const struct sig_trustca *ca, size_t i, struct tsa *t,
    struct rw_err *err)
{
	BIO *bio = NULL;
	char q[QBUF];
	X509 *x;
	int rc = RW_OK, n;

	if (ca->pem == NULL || ca->len == 0 || ca->len > INT_MAX)
		return rw_err_set(err, RW_EINVAL, TSA_MEMBER "[%zu]: no "
		    "certificate chain", i);
	t->certs = sk_X509_new_null();
	t->store = X509_STORE_new();
	bio = BIO_new_mem_buf(ca->pem, (int)ca->len);
	if (t->certs == NULL || t->store == NULL || bio == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(t->certs, x) <= 0) {
			X509_free(x);
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* The loop ends at the end of the text or at a broken block. */
	n = sk_X509_num(t->certs);
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0) {
		rc = rw_err_set(err, RW_EINVAL, TSA_MEMBER "[%zu]: not PEM "
		    "certificates", i);
		goto out;
	}
	/*
	 * Time is checked by hand once the signature verified (check_chain),
	 * so that an expired certificate is named as such, not as a chain
	 * that does not verify.
	 */
	if (X509_STORE_add_cert(t->store, sk_X509_value(t->certs, n - 1)) !=
	    1 || X509_STORE_set_flags(t->store, X509_V_FLAG_NO_CHECK_TIME) != 1) {
		rc = rw_err_set(err, RW_ECRYPTO, "X509_STORE_add_cert failed");
		goto out;
	}
	x = sk_X509_value(t->certs, 0);
	t->leaf = n > 1 && X509_check_ca(x) == 0 ? x : NULL;
	snprintf(t->name, sizeof(t->name), "%s (" TSA_MEMBER "[%zu])",
	    cn_of(x, q, sizeof(q)), i);
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static void
tsa_cleanup(struct tsa *t)
{
	sk_X509_pop_free(t->certs, X509_free);
	X509_STORE_free(t->store);
}

/*
 * The chain from SIGNER to T's anchor, built as TS_RESP_verify_signature
 * built it (T's certificates, then those P7 embeds, as untrusted ones),
 * or NULL when OpenSSL fails.  The caller frees it.
 */
static STACK_OF(X509) *
chain_of(X509 *signer, const struct tsa *t, const PKCS7 *p7)
{
	STACK_OF(X509) *pool, *embedded = NULL, *chain = NULL;
	X509_STORE_CTX *ctx;
	int i, ok;

	if (PKCS7_type_is_signed(p7))
		embedded = p7->d.sign->cert;
	pool = sk_X509_dup(t->certs);
	ok = pool != NULL;
	for (i = 0; ok && i < sk_X509_num(embedded); i++)
		ok = sk_X509_push(pool, sk_X509_value(embedded, i)) > 0;
	ctx = X509_STORE_CTX_new();
	if (ok && ctx != NULL &&
	    X509_STORE_CTX_init(ctx, t->store, signer, pool) == 1 &&
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN) == 1 &&
	    X509_verify_cert(ctx) == 1)
		chain = X509_STORE_CTX_get1_chain(ctx);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(pool);	/* borrowed certificates: not freed */
	ERR_clear_error();
	return chain;
}

/*
 * genTime must lie inside every certificate of CHAIN (leaf first), and
 * each CA above the leaf that lists extended key usages must allow
 * timestamping ("EKU chaining", as sigstore's TSA verification does;
 * OpenSSL only checks the leaf's).  Returns RW_OK or DECIDED with RES set.
 */
static int
check_chain(STACK_OF(X509) *chain, const struct token *tok,
    struct sig_tsa_result *res)
{
	struct sig_window w;
	char when[64], win[160], q[QBUF];
	uint32_t xku;
	X509 *x;
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (asn1_secs(X509_get0_notBefore(x), &w.start) != 0 ||
		    asn1_secs(X509_get0_notAfter(x), &w.end) != 0) {
			tverdict(res, SIG_BAD_SIGNATURE, "TSA certificate %s has "
			    "an unreadable validity", cn_of(x, q, sizeof(q)));
			return DECIDED;
		}
		if (!gen_within(tok, &w)) {
			rw_time_str(when, sizeof(when), tok->gen);
			tverdict(res, SIG_BAD_SIGNATURE, "timestamp at %s is "
			    "outside the validity of TSA certificate %s (%s)",
			    when, cn_of(x, q, sizeof(q)),
			    window_str(&w, win, sizeof(win)));
			return DECIDED;
		}
		xku = X509_get_extended_key_usage(x);
		if (i > 0 && xku != UINT32_MAX &&
		    (xku & (XKU_TIMESTAMP | XKU_ANYEKU)) == 0) {
			tverdict(res, SIG_BAD_SIGNATURE, "TSA CA certificate %s "
			    "does not allow timestamping (extended key usage)",
			    cn_of(x, q, sizeof(q)));
			return DECIDED;
		}
	}
	return RW_OK;
}

/*
 * What T says of TOK once its certificates verified the signature, made
 * by SIGNER: leaf, trusted-root window, chain.  RW_OK with RES set (VALID
 * or not), or RW_ECRYPTO.
 */
static int
judge_signed(const struct token *tok, const struct sig_trustca *ca,
    const struct tsa *t, X509 *signer, struct sig_tsa_result *res,
    struct rw_err *err)
{
	STACK_OF(X509) *chain;
	char when[64], win[160], q[QBUF];

	rw_time_str(when, sizeof(when), tok->gen);
	if (t->leaf != NULL && X509_cmp(signer, t->leaf) != 0) {
		tverdict(res, SIG_BAD_SIGNATURE, "timestamp is signed by %s, "
		    "not by the leaf of %s", cn_of(signer, q, sizeof(q)),
		    t->name);
		return RW_OK;
	}
	if (!gen_within(tok, &ca->valid)) {
		tverdict(res, SIG_BAD_SIGNATURE, "timestamp at %s is outside "
		    "the validity of %s in the trusted root (%s)", when,
		    t->name, window_str(&ca->valid, win, sizeof(win)));
		return RW_OK;
	}
	chain = chain_of(signer, t, tok->p7);
	if (chain == NULL)
		return rw_err_set(err, RW_ECRYPTO, "could not rebuild the "
		    "certificate chain of %s", t->name);
	if (check_chain(chain, tok, res) == RW_OK) {
		tverdict(res, SIG_VALID, "timestamped at %s by %s", when,
		    t->name);
		res->time = tok->gen;
	}
	sk_X509_pop_free(chain, X509_free);
	return RW_OK;
}

/*
 * Trusted-root TSA I (CA) against TOK: RW_OK with RES's verdict and
 * reason and *ST set, or a negative RW_E* code.  When the TSA's
 * certificates do not verify the token, RES's reason is only "<TSA>: why",
 * for the caller to wrap.
 */
static int
try_tsa(const struct token *tok, const struct sig_trustca *ca, size_t i,
    struct sig_tsa_result *res, enum stage *st, struct rw_err *err)
{
	struct tsa t;
	X509 *signer = NULL;
	char why[200];
	int rc;

	memset(&t, 0, sizeof(t));
	memset(res, 0, sizeof(*res));
	*st = STAGE_UNSIGNED;
	rc = tsa_load(ca, i, &t, err);
	if (rc != RW_OK)
		goto out;
	/*
	 * One signer, found by issuer and serial among T's certificates first
	 * and the embedded ones after, chained to T's anchor with both as
	 * untrusted help, its ESS signing-certificate attribute matched
	 * against that chain, and the CMS signature checked.
	 */
	if (TS_RESP_verify_signature(tok->p7, t.certs, t.store, &signer) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    ERR_R_MALLOC_FAILURE)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		else
			tverdict(res, SIG_BAD_SIGNATURE, "%s: %s", t.name,
			    ossl_why(why, sizeof(why)));
		goto out;
	}
	*st = STAGE_SIGNED;
	rc = judge_signed(tok, ca, &t, signer, res, err);
out:
	X509_free(signer);
	tsa_cleanup(&t);
	ERR_clear_error();
	return rc;
}

/*
 * Every TSA of TR in turn, until one finds TOK VALID.  Else the reason of
 * the first TSA whose certificates verified the signature, or of the
 * first TSA when none did.  Returns DECIDED with OUT set, or an error.
 */
static int
try_tsas(const struct token *tok, const struct sig_trustroot *tr,
    struct sig_tsa_result *out, struct rw_err *err)
{
	struct sig_tsa_result one;
	char first[SIG_REASON_MAX + 1];
	struct rw_sb sb;
	enum stage st, best = STAGE_UNSIGNED;
	size_t i;
	int rc;

	if (tr->ntsas == 0) {
		tverdict(out, SIG_BAD_SIGNATURE, "trusted root has no "
		    "timestamp authority");
		return DECIDED;
	}
	for (i = 0; i < tr->ntsas; i++) {
		rc = try_tsa(tok, &tr->tsas[i], i, &one, &st, err);
		if (rc != RW_OK)
			return rc;
		if (one.verdict == SIG_VALID || i == 0 || st > best) {
			*out = one;
			best = st;
		}
		if (one.verdict == SIG_VALID)
			return DECIDED;
	}
	if (best == STAGE_UNSIGNED) {
		memcpy(first, out->reason, sizeof(first));
		rw_sb_init(&sb, out->reason, sizeof(out->reason));
		rw_sb_add(&sb, "timestamp is not from a trusted TSA: %s",
		    first);
		if (tr->ntsas > 1)
			rw_sb_add(&sb, " (nor from the %zu other TSAs)",
			    tr->ntsas - 1);
		rw_sb_finish(&sb);
	}
	return DECIDED;
}

int
sig_tsa_verify(const unsigned char *resp, size_t rlen,
    const unsigned char *signed_bytes, size_t slen,
    const struct sig_trustroot *tr, struct sig_tsa_result *out,
    struct rw_err *err)
{
	struct token tok;
	int rc;

	memset(&tok, 0, sizeof(tok));
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		tverdict(out, SIG_MALFORMED, "timestamp not verified");
	}
	if (out == NULL || tr == NULL || (resp == NULL && rlen > 0) ||
	    (signed_bytes == NULL && slen > 0))
		return rw_err_set(err, RW_EINVAL, "sig_tsa_verify: a NULL "
		    "argument");
	rc = decode(resp, rlen, &tok, out, err);
	if (rc == RW_OK)
		rc = check_imprint(&tok, signed_bytes, slen, out, err);
	if (rc == RW_OK)
		rc = try_tsas(&tok, tr, out, err);
	PKCS7_free(tok.p7);
	TS_TST_INFO_free(tok.info);
	ERR_clear_error();
	if (rc < 0) {
		tverdict(out, SIG_MALFORMED, "timestamp not verified: %s",
		    rw_strerror(rc));
		return rc;
	}
	return RW_OK;
}
