/* rekor.c - offline checks of cosign's Rekor bundle (the SET). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/internal.h"

/* How much untrusted text a reason quotes. */
#define SHOW_MAX	100
#define QBUF		(SHOW_MAX * 4 + 16)
/* A hex SHA-256 log id. */
#define LOGID_LEN	64
/* The four members the SET signs, with a body of at most BODY_MAX. */
#define BODY_MAX	(128 * 1024)
#define B64_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789+/="

/* The bundle's fields, borrowed from the parsed document. */
struct bundle {
	const char	*set;
	const char	*body;
	const char	*log_id;
	json_int_t	 time;
	json_int_t	 index;
};

static void
rverdict(struct sig_rekor *out, enum sig_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
rverdict(struct sig_rekor *out, enum sig_verdict v, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* The string at OBJ.NAME, or NULL. */
static const char *
str_at(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* Reads the bundle's members; 0, or -1 with OUT's verdict set. */
static int
read_bundle(json_t *doc, struct bundle *b, struct sig_rekor *out)
{
	json_t *pl, *t, *i;

	pl = json_object_get(doc, "Payload");
	b->set = str_at(doc, "SignedEntryTimestamp");
	if (!json_is_object(pl) || b->set == NULL) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle lacks "
		    "SignedEntryTimestamp or Payload");
		return -1;
	}
	b->body = str_at(pl, "body");
	b->log_id = str_at(pl, "logID");
	t = json_object_get(pl, "integratedTime");
	i = json_object_get(pl, "logIndex");
	if (b->body == NULL || b->log_id == NULL || !json_is_integer(t) ||
	    !json_is_integer(i)) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle Payload lacks body, "
		    "integratedTime, logIndex or logID");
		return -1;
	}
	b->time = json_integer_value(t);
	b->index = json_integer_value(i);
	if (b->time <= 0 || b->index < 0) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle has a negative "
		    "integratedTime or logIndex");
		return -1;
	}
	return 0;
}

/*
 * Verifies the SET (standard base64 of the Rekor key's signature) over the
 * canonical JSON with K.  Sets *GOOD; an undecodable SET gets a reason in
 * WHY.
 */
static int
set_verify(const struct sig_key *k, const char *canon, size_t clen,
    const char *set_b64, int *good, char *why, size_t whysize,
    struct rw_err *err)
{
	unsigned char *sig = NULL;
	struct rw_err e;
	size_t n = 0;
	int rc;

	*good = 0;
	why[0] = '\0';
	rw_err_clear(&e);
	if (sig_b64_decode(set_b64, strlen(set_b64), 0, &sig, &n, &e) != RW_OK) {
		if (e.code == RW_ENOMEM)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		snprintf(why, whysize, " (%.200s)", e.msg);
		return RW_OK;
	}
	rc = sig_key_verify(k, canon, clen, sig, n, good, err);
	free(sig);
	return rc;
}

int
sig_rekor_set_ok(const struct sig_key *k, const char *body_b64,
    int64_t time, int64_t index, const char *set_b64, int *good, char *why,
    size_t whysize, struct rw_err *err)
{
	size_t blen = strlen(body_b64), clen;
	char *canon;
	int rc;

	*good = 0;
	why[0] = '\0';
	if (blen == 0 || strspn(body_b64, B64_CHARS) != blen) {
		snprintf(why, whysize, " (the body is not base64)");
		return RW_OK;
	}
	/*
	 * The body holds only base64 characters and the log id (the key's
	 * SHA-256) only hex, so neither needs JSON escaping: printing them is
	 * RFC 8785 canonical form.
	 */
	clen = blen + LOGID_LEN + 128;
	canon = malloc(clen);
	if (canon == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	snprintf(canon, clen, "{\"body\":\"%s\",\"integratedTime\":%lld,"
	    "\"logID\":\"%s\",\"logIndex\":%lld}", body_b64,
	    (long long)time, sig_key_id(k) + strlen("sha256:"),
	    (long long)index);
	rc = set_verify(k, canon, strlen(canon), set_b64, good, why, whysize,
	    err);
	free(canon);
	return rc;
}

/* "sha256:<hex>" of the key without its prefix equals LOG_ID. */
static int
log_id_matches(const struct sig_key *k, const char *log_id)
{
	const char *id = sig_key_id(k);
	const char *hex = strchr(id, ':');

	return hex != NULL && strcmp(hex + 1, log_id) == 0;
}

/* Is S strict base64?  ERR is set only when out of memory. */
static int
b64_ok(const char *s, struct rw_err *err)
{
	unsigned char *bytes = NULL;
	struct rw_err e;
	size_t n;
	int rc;

	rw_err_clear(&e);
	rc = sig_b64_decode(s, strlen(s), 0, &bytes, &n, &e);
	free(bytes);
	if (rc == RW_ENOMEM)
		rw_err_set(err, rc, "out of memory");
	return rc == RW_OK && n > 0;
}

/* Checks the logID and SET of B; 0, or -1 with OUT's verdict set. */
static int
check_set(const struct sig_key *k, const struct bundle *b,
    struct sig_rekor *out, struct rw_err *err)
{
	char q[QBUF], why[SIG_REASON_MAX + 1];
	int good, rc;

	if (!b64_ok(b->set, err)) {
		rverdict(out, SIG_MALFORMED, "Rekor SET is not valid base64");
		return err != NULL && err->code == RW_ENOMEM ? -2 : -1;
	}
	if (!log_id_matches(k, b->log_id)) {
		rverdict(out, SIG_BAD_SIGNATURE, "Rekor bundle logID %s is not "
		    "the Rekor key %s", rw_show(q, sizeof(q), b->log_id,
		    SHOW_MAX), sig_key_id(k));
		return -1;
	}
	rc = sig_rekor_set_ok(k, b->body, b->time, b->index, b->set, &good,
	    why, sizeof(why), err);
	if (rc != RW_OK)
		return -2;
	if (!good) {
		rverdict(out, SIG_BAD_SIGNATURE, "Rekor SET does not verify "
		    "with Rekor key %s%s", sig_key_id(k), why);
		return -1;
	}
	return 0;
}

/* The DER of the first certificate in PEM text, or NULL. */
static unsigned char *
cert_der(const char *pem, size_t len, int *dlen)
{
	unsigned char *der = NULL;
	X509 *x;
	BIO *bio;

	*dlen = 0;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x != NULL)
		*dlen = i2d_X509(x, &der);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return *dlen > 0 ? der : NULL;
}

/*
 * Decodes S; a parse failure is the entry's fault and becomes a verdict,
 * so ERR is only set when out of memory.
 */
static int
b64(const char *s, unsigned char **out, size_t *len, struct rw_err *err)
{
	struct rw_err e;
	int rc;

	rw_err_clear(&e);
	rc = sig_b64_decode(s, strlen(s), 0, out, len, &e);
	if (rc == RW_ENOMEM)
		rw_err_set(err, rc, "out of memory");
	return rc;
}

/* Compares the entry's certificate PEM with the annotation's. */
static int
same_cert(const char *epem, size_t elen, const char *cert_pem)
{
	unsigned char *a, *b;
	int alen, blen, same;

	a = cert_der(epem, elen, &alen);
	b = cert_der(cert_pem, strlen(cert_pem), &blen);
	same = a != NULL && b != NULL && alen == blen &&
	    memcmp(a, b, (size_t)alen) == 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	return same;
}

/* Compares the entry's PUBLIC KEY PEM with K. */
static int
same_key(const char *epem, size_t elen, const struct sig_key *k)
{
	struct sig_key *ek = NULL;
	struct rw_err e;
	int same;

	rw_err_clear(&e);
	if (sig_key_load(epem, elen, &ek, &e) != RW_OK)
		return 0;
	same = strcmp(sig_key_id(ek), sig_key_id(k)) == 0;
	sig_key_free(ek);
	return same;
}

/* The inputs an entry must be tied to. */
struct tie {
	const char		*sig_b64;
	const char		*payload;
	size_t			 plen;
	const char		*cert_pem;
	const struct sig_key	*key;
};

/* Checks the entry's public key or certificate against T. */
static int
check_signer(json_t *spec, const struct tie *t, struct sig_rekor *out,
    struct rw_err *err)
{
	unsigned char *pem = NULL;
	const char *pk;
	size_t plen;
	int same, rc;

	pk = str_at(json_object_get(json_object_get(spec, "signature"),
	    "publicKey"), "content");
	if (pk == NULL) {
		rverdict(out, SIG_MALFORMED, "Rekor entry has no public key");
		return -1;
	}
	rc = b64(pk, &pem, &plen, err);
	if (rc == RW_ENOMEM)
		return -2;
	if (rc != RW_OK) {
		rverdict(out, SIG_MALFORMED, "Rekor entry public key is not "
		    "valid base64");
		return -1;
	}
	if (t->cert_pem != NULL)
		same = same_cert((const char *)pem, plen, t->cert_pem);
	else
		same = same_key((const char *)pem, plen, t->key);
	free(pem);
	if (!same) {
		rverdict(out, SIG_BAD_SIGNATURE, "Rekor entry was logged for "
		    "another %s", t->cert_pem != NULL ? "certificate" : "key");
		return -1;
	}
	return 0;
}

/* Checks the entry's kind, payload hash and signature against T. */
static int
check_spec(json_t *entry, const struct tie *t, struct sig_rekor *out,
    struct rw_err *err)
{
	char q[QBUF], want[RW_DIGEST_MAX];
	const char *kind, *alg, *val, *sig;
	json_t *spec, *hash;

	kind = str_at(entry, "kind");
	spec = json_object_get(entry, "spec");
	if (kind == NULL || !json_is_object(spec) ||
	    (strcmp(kind, "hashedrekord") != 0 && strcmp(kind, "rekord") != 0)) {
		rverdict(out, SIG_MALFORMED, "Rekor entry kind %s is not "
		    "hashedrekord or rekord", kind != NULL ?
		    rw_show(q, sizeof(q), kind, SHOW_MAX) : "(none)");
		return -1;
	}
	rw_strlcpy(out->kind, kind, sizeof(out->kind));
	hash = json_object_get(json_object_get(spec, "data"), "hash");
	alg = str_at(hash, "algorithm");
	val = str_at(hash, "value");
	if (alg == NULL || val == NULL || strcmp(alg, "sha256") != 0) {
		rverdict(out, SIG_MALFORMED, "Rekor entry has no sha256 data "
		    "hash");
		return -1;
	}
	if (rw_digest(RW_HASH_SHA256, t->payload, t->plen, want) != RW_OK) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return -2;
	}
	if (strcmp(val, want + strlen("sha256:")) != 0) {
		rverdict(out, SIG_BAD_SIGNATURE, "Rekor entry is for payload "
		    "sha256:%s, not %s", rw_show(q, sizeof(q), val,
		    SHOW_MAX), want);
		return -1;
	}
	sig = str_at(json_object_get(spec, "signature"), "content");
	if (sig == NULL || strcmp(sig, t->sig_b64) != 0) {
		rverdict(out, SIG_BAD_SIGNATURE, "Rekor entry holds another "
		    "signature than the layer's");
		return -1;
	}
	return check_signer(spec, t, out, err);
}

/* Decodes and checks the body of B; 0, -1 (verdict set) or -2 (error). */
static int
check_body(const struct bundle *b, const struct tie *t, struct sig_rekor *out,
    struct rw_err *err)
{
	unsigned char *body = NULL;
	json_error_t je;
	json_t *entry;
	size_t blen;
	int rc;

	rc = b64(b->body, &body, &blen, err);
	if (rc == RW_ENOMEM)
		return -2;
	if (rc != RW_OK) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle body is not valid "
		    "base64");
		return -1;
	}
	entry = json_loadb((const char *)body, blen, JSON_REJECT_DUPLICATES,
	    &je);
	free(body);
	if (!json_is_object(entry)) {
		json_decref(entry);
		rverdict(out, SIG_MALFORMED, "Rekor bundle body is not a JSON "
		    "object");
		return -1;
	}
	rc = check_spec(entry, t, out, err);
	json_decref(entry);
	return rc;
}

static int
rekor_verify(const struct sig_key *rk, const char *json, size_t len,
    const struct tie *t, struct sig_rekor *out, struct rw_err *err)
{
	char when[64];
	struct bundle b;
	json_error_t je;
	json_t *doc;
	int rc;

	if (len > SIG_REKOR_BUNDLE_MAX) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle is %zu bytes (limit "
		    "%d)", len, SIG_REKOR_BUNDLE_MAX);
		return RW_OK;
	}
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	rc = 0;
	if (!json_is_object(doc)) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle is not a JSON "
		    "object");
		rc = -1;
	} else if (read_bundle(doc, &b, out) != 0) {
		rc = -1;
	} else if (strlen(b.body) > BODY_MAX || strlen(b.log_id) != LOGID_LEN) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle body or logID has "
		    "the wrong size");
		rc = -1;
	} else if (strspn(b.body, B64_CHARS) != strlen(b.body) ||
	    strspn(b.log_id, "0123456789abcdef") != LOGID_LEN) {
		rverdict(out, SIG_MALFORMED, "Rekor bundle body is not base64 "
		    "or logID not lower-case hex");
		rc = -1;
	} else {
		/* Authenticity first, so tampering reads as a bad SET. */
		rc = check_set(rk, &b, out, err);
		if (rc == 0)
			rc = check_body(&b, t, out, err);
	}
	if (rc == 0) {
		out->integrated_time = (int64_t)b.time;
		out->log_index = (int64_t)b.index;
		rw_time_str(when, sizeof(when), out->integrated_time);
		rverdict(out, SIG_VALID, "logged in Rekor at index %lld, "
		    "integrated at %s", (long long)out->log_index, when);
	}
	json_decref(doc);
	return rc == -2 ? (err != NULL && err->code != 0 ? err->code :
	    RW_ECRYPTO) : RW_OK;
}

int
sig_rekor_verify_set(const struct sig_key *rekor_key, const char *bundle_json,
    size_t len, const char *sig_b64, const char *payload, size_t plen,
    const char *cert_pem, const struct sig_key *signing_key,
    struct sig_rekor *out, struct rw_err *err)
{
	struct tie t;
	int rc;

	if (out == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_rekor_verify_set: NULL "
		    "result");
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (rekor_key == NULL || bundle_json == NULL || sig_b64 == NULL ||
	    payload == NULL || (cert_pem == NULL) == (signing_key == NULL)) {
		rc = rw_err_set(err, RW_EINVAL, "sig_rekor_verify_set: NULL "
		    "argument, or not exactly one of certificate and key");
		goto out;
	}
	t.sig_b64 = sig_b64;
	t.payload = payload;
	t.plen = plen;
	t.cert_pem = cert_pem;
	t.key = signing_key;
	rc = rekor_verify(rekor_key, bundle_json, len, &t, out, err);
out:
	if (rc != RW_OK) {
		out->verdict = SIG_MALFORMED;
		out->integrated_time = 0;
		out->log_index = 0;
		sig_reason_undecided(out->reason, sizeof(out->reason), rc, err);
	}
	return rc;
}
