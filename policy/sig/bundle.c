/* bundle.c - Sigstore bundles: material, content, time, signer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/bundle_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/sig/internal.h"
#include "policy/sig/tsa.h"

#define MT_PREFIX	"application/vnd.dev.sigstore.bundle"
/* Most certificates of a v0.1/v0.2 chain read. */
#define CHAIN_MAX	8

int
sig_bundle_fail(struct sig_bundle_result *out, enum sig_verdict v,
    const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return -1;
}

int
sig_bundle_b64s(const char *s, size_t n, const char *what,
    unsigned char **buf, size_t *len, struct sig_bundle_result *out,
    struct rw_err *err)
{
	struct rw_err e;
	int rc;

	*buf = NULL;
	*len = 0;
	rw_err_clear(&e);
	/* Go's decoder, which the Sigstore tools use, skips line breaks. */
	rc = sig_b64_decode(s, n, SIG_B64_LINES, buf, len, &e);
	if (rc == RW_ENOMEM) {
		rw_err_set(err, rc, "out of memory");
		return -2;
	}
	if (rc != RW_OK)
		return sig_bundle_fail(out, SIG_MALFORMED, "%s is not valid "
		    "base64: %s", what, e.msg);
	return 0;
}

int
sig_bundle_b64(json_t *obj, const char *name, const char *what,
    unsigned char **buf, size_t *len, struct sig_bundle_result *out,
    struct rw_err *err)
{
	json_t *v = json_object_get(obj, name);

	*buf = NULL;
	*len = 0;
	if (!json_is_string(v))
		return sig_bundle_fail(out, SIG_MALFORMED, "%s is missing",
		    what);
	return sig_bundle_b64s(json_string_value(v), json_string_length(v),
	    what, buf, len, out, err);
}

/* "...bundle+json;version=0.N" or "...bundle.v0.N+json": N, or 0. */
static int
bundle_version(const char *mt)
{
	static const char *const known[][2] = {
		{ MT_PREFIX "+json;version=0.1", "1" },
		{ MT_PREFIX "+json;version=0.2", "2" },
		{ MT_PREFIX "+json;version=0.3", "3" },
		{ MT_PREFIX ".v0.3+json", "3" },
	};
	size_t i;

	for (i = 0; mt != NULL && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(mt, known[i][0]) == 0)
			return known[i][1][0] - '0';
	return 0;
}

/* ----------------------------------------------------------- material */

/* Whether the DER certificate (B, LEN) is self-signed: a root. */
static int
is_root(const unsigned char *b, size_t len)
{
	const unsigned char *q = b;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	int root = x != NULL && X509_check_issued(x, x) == X509_V_OK;

	X509_free(x);
	ERR_clear_error();
	return root;
}

/* The leaf of a v0.1/v0.2 "x509CertificateChain": no root may ride along. */
static int
read_chain(json_t *chain, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *certs = json_object_get(chain, "certificates"), *v;
	unsigned char *b;
	size_t i, len;
	int r;

	if (!json_is_array(certs) || json_array_size(certs) == 0 ||
	    json_array_size(certs) > CHAIN_MAX)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "certificate chain is empty or longer than %d", CHAIN_MAX);
	json_array_foreach(certs, i, v) {
		r = sig_bundle_b64(v, "rawBytes", "a chain certificate", &b,
		    &len, out, err);
		if (r != 0)
			return r;
		if (is_root(b, len)) {
			free(b);
			return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the "
			    "bundle's certificate chain holds a root "
			    "certificate: trust comes from the trusted root "
			    "only");
		}
		if (i > 0) {
			free(b);
			continue;
		}
		c->leaf = b;
		c->leaf_len = len;
	}
	return 0;
}

/* Exactly one kind of material, and the one T can judge. */
static int
read_material(json_t *vm, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *cert = json_object_get(vm, "certificate");
	json_t *chain = json_object_get(vm, "x509CertificateChain");
	json_t *key = json_object_get(vm, "publicKey");
	int r;

	if (!json_is_object(vm) || (cert != NULL) + (chain != NULL) +
	    (key != NULL) != 1)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "verification material must hold exactly one of "
		    "certificate, x509CertificateChain and publicKey");
	if (chain != NULL && c->version >= 3)
		return sig_bundle_fail(out, SIG_MALFORMED, "a v0.3 bundle "
		    "must hold a single certificate, not a chain");
	if ((key != NULL && c->t->key == NULL) || (key == NULL &&
	    c->t->id == NULL))
		out->stage = SIG_BUNDLE_KIND;
	if (key != NULL && c->t->key == NULL)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the bundle is "
		    "signed with a key, and no trusted key was given");
	if (key == NULL && c->t->id == NULL)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the bundle is "
		    "signed with a certificate, and a key was required");
	if (key != NULL)
		return 0;	/* the hint is unauthenticated: not read */
	if (chain != NULL)
		return read_chain(chain, c, out, err);
	r = sig_bundle_b64(cert, "rawBytes", "the bundle's certificate",
	    &c->leaf, &c->leaf_len, out, err);
	if (r == 0 && c->leaf_len == 0)
		r = sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "certificate is empty");
	return r;
}

/* ------------------------------------------------------------ content */

/* A message signature: its bytes; its digest must be the subject's. */
static int
read_message(json_t *ms, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *md = json_object_get(ms, "messageDigest");
	const char *alg = json_string_value(json_object_get(md, "algorithm"));
	unsigned char *d = NULL;
	size_t dlen = 0;
	int r;

	r = sig_bundle_b64(ms, "signature", "the bundle's signature", &c->sig,
	    &c->slen, out, err);
	if (r != 0 || md == NULL)
		return r;
	/* Only an identifier (never verified against), but it must agree. */
	if (alg == NULL || strcmp(alg, "SHA2_256") != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "message digest is not SHA2_256");
	r = sig_bundle_b64(md, "digest", "the bundle's message digest", &d,
	    &dlen, out, err);
	if (r != 0)
		return r;
	r = dlen == 32 && memcmp(d, c->subj->sha256, 32) == 0;
	free(d);
	if (!r)
		return sig_bundle_fail(out, SIG_WRONG_DIGEST, "the bundle's "
		    "message digest is not the artifact's");
	return 0;
}

/*
 * The DSSE pre-authentication encoding of C's envelope, which the signature
 * covers ("DSSEv1" SP len(type) SP type SP len(payload) SP payload), and
 * the SHA-256 of it and of the payload, which log entries name.
 */
static int
make_pae(struct bundle_ctx *c)
{
	size_t tlen = strlen(c->ptype), n;

	c->pae = malloc(tlen + c->plen + 64);
	if (c->pae == NULL)
		return -1;
	n = (size_t)snprintf((char *)c->pae, 32, "DSSEv1 %zu ", tlen);
	memcpy(c->pae + n, c->ptype, tlen);
	n += tlen;
	n += (size_t)snprintf((char *)c->pae + n, 32, " %zu ", c->plen);
	memcpy(c->pae + n, c->payload, c->plen);
	c->pae_len = n + c->plen;
	return EVP_Digest(c->pae, c->pae_len, c->pae_sha, NULL, EVP_sha256(),
	    NULL) == 1 && EVP_Digest(c->payload, c->plen, c->payload_sha, NULL,
	    EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* A DSSE envelope: exactly one signature, its payload and type. */
static int
read_dsse(json_t *env, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *sigs = json_object_get(env, "signatures");
	int r;

	c->dsse = 1;
	c->ptype = json_string_value(json_object_get(env, "payloadType"));
	if (c->ptype == NULL || !json_is_array(sigs) ||
	    json_array_size(sigs) != 1)
		return sig_bundle_fail(out, SIG_MALFORMED, "the DSSE envelope "
		    "needs a payloadType and exactly one signature");
	r = sig_bundle_b64(env, "payload", "the DSSE payload", &c->payload,
	    &c->plen, out, err);
	if (r == 0)
		r = sig_bundle_b64(json_array_get(sigs, 0), "sig",
		    "the DSSE signature", &c->sig, &c->slen, out, err);
	if (r == 0 && make_pae(c) != 0) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		r = -2;
	}
	return r;
}

/* Exactly one content. */
static int
read_content(json_t *doc, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *ms = json_object_get(doc, "messageSignature");
	json_t *env = json_object_get(doc, "dsseEnvelope");

	if ((ms != NULL) == (env != NULL) || !json_is_object(ms != NULL ? ms :
	    env))
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle must "
		    "hold exactly one of messageSignature and dsseEnvelope");
	return ms != NULL ? read_message(ms, c, out, err) :
	    read_dsse(env, c, out, err);
}

/* --------------------------------------------------------------- time */

/* RFC 3161 timestamps over the signature, each verified one a time. */
static int
read_timestamps(json_t *vm, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *a = json_object_get(json_object_get(vm,
	    "timestampVerificationData"), "rfc3161Timestamps"), *v;
	struct sig_tsa_result tr;
	unsigned char *der;
	char when[32];
	size_t i, len;
	int r;

	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > SIG_BUNDLE_ENTRIES_MAX)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "rfc3161Timestamps are not an array of at most %d",
		    SIG_BUNDLE_ENTRIES_MAX);
	json_array_foreach(a, i, v) {
		r = sig_bundle_b64(v, "signedTimestamp", "a signed timestamp",
		    &der, &len, out, err);
		if (r != 0)
			return r;
		r = sig_tsa_verify(der, len, c->sig, c->slen, c->t->root, &tr,
		    err);
		free(der);
		if (r != RW_OK)
			return -2;
		if (tr.verdict == SIG_VALID && tr.time > c->t->now) {
			tr.verdict = SIG_BAD_SIGNATURE;
			rw_time_str(when, sizeof(when), tr.time);
			snprintf(tr.reason, sizeof(tr.reason), "timestamp at "
			    "%s is in the future", when);
		}
		/* One that does not verify is not counted (sigstore-go). */
		if (tr.verdict == SIG_VALID && c->ntimes < BUNDLE_TIMES_MAX)
			c->times[c->ntimes++] = tr.time;
		else if (tr.verdict != SIG_VALID && c->tsa_why[0] == '\0')
			snprintf(c->tsa_why, sizeof(c->tsa_why), "%s",
			    tr.reason);
	}
	return 0;
}

/*
 * A log whose entry had no SET (Rekor v2) gave no time of its own: its key
 * must have been valid at the time the timestamps prove.
 */
static int
check_unsigned_logs(const struct bundle_ctx *c, struct sig_bundle_result *out)
{
	char when[32];
	size_t i, k;

	for (i = 0; i < c->nunsigned; i++)
		for (k = 0; k < c->ntimes; k++) {
			if (sig_window_has(&c->unsigned_logs[i]->valid,
			    c->times[k]))
				continue;
			rw_time_str(when, sizeof(when), c->times[k]);
			return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "signed "
			    "at %s, outside the validity of log key %s", when,
			    sig_key_id(c->unsigned_logs[i]->key));
		}
	return 0;
}

/* ------------------------------------------------------------- signer */

/* The leaf as PEM text, for sig_keyless_leaf. */
static char *
leaf_pem(const struct bundle_ctx *c, size_t *len)
{
	const unsigned char *q = c->leaf;
	X509 *x = d2i_X509(NULL, &q, (long)c->leaf_len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (x != NULL && bio != NULL && PEM_write_bio_X509(bio, x) == 1) {
		n = BIO_get_mem_data(bio, &data);
		pem = n > 0 ? strndup(data, (size_t)n) : NULL;
		*len = pem != NULL ? (size_t)n : 0;
	}
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return pem;
}

/*
 * The leaf judged at time AT with the CAs and CT logs valid then; on the
 * first call (*KEY NULL) its key is kept in *KEY.
 */
static int
leaf_at(const struct bundle_ctx *c, const char *pem, size_t plen,
    int64_t at, struct sig_key **key, struct sig_bundle_result *out,
    struct rw_err *err)
{
	struct sig_keyless_trust tr = { NULL, 0, NULL, 0 };
	struct sig_key *k = NULL;
	struct sig_result res;
	char *cas = NULL, *cts = NULL, when[32];
	int r = 0;

	rw_time_str(when, sizeof(when), at);
	if (sig_trustroot_pems(c->t->root, 1, at, &cas) != 0 ||
	    sig_trustroot_pems(c->t->root, 0, at, &cts) != 0) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		r = -2;
	} else if (cas == NULL)
		r = sig_bundle_fail(out, SIG_BAD_SIGNATURE, "no Fulcio CA of "
		    "the trusted root is valid at %s", when);
	else if (cts == NULL && c->t->root->nctlogs > 0)
		r = sig_bundle_fail(out, SIG_BAD_SIGNATURE, "no CT log of the "
		    "trusted root is valid at %s", when);
	if (r == 0) {
		tr.roots_pem = cas;
		tr.roots_len = strlen(cas);
		tr.ctlogs_pem = cts;
		tr.ctlogs_len = cts != NULL ? strlen(cts) : 0;
		if (sig_keyless_leaf(pem, plen, NULL, 0, &tr, c->t->id, at, &k,
		    &res, err) != RW_OK)
			r = -2;
		else if (res.verdict != SIG_VALID)
			r = sig_bundle_fail(out, res.verdict, "%s", res.reason);
		else if (*key == NULL) {
			*key = k;
			k = NULL;
			/* Whom; the key's id is the certificate's business. */
			if (strstr(res.reason, " with a Fulcio ") != NULL)
				*strstr(res.reason, " with a Fulcio ") = '\0';
			snprintf(out->reason, sizeof(out->reason), "%s",
			    res.reason);
		}
	}
	sig_key_free(k);
	free(cas);
	free(cts);
	return r;
}

/* The certificate at every verified time; its key in *KEY. */
static int
check_leaf(const struct bundle_ctx *c, struct sig_key **key,
    struct sig_bundle_result *out, struct rw_err *err)
{
	size_t i, plen = 0;
	char *pem = leaf_pem(c, &plen);
	int r = 0;

	*key = NULL;
	if (pem == NULL)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "certificate is not a DER X.509 certificate");
	(void)sig_cert_identity(pem, out->who, sizeof(out->who),
	    out->who_issuer, sizeof(out->who_issuer));
	for (i = 0; r == 0 && i < c->ntimes; i++)
		r = leaf_at(c, pem, plen, c->times[i], key, out, err);
	free(pem);
	if (r != 0) {
		sig_key_free(*key);
		*key = NULL;
	}
	return r;
}

/* ---------------------------------------------------------- signature */

/* The signature over the artifact (or its digest) or the DSSE PAE. */
static int
check_signature(const struct bundle_ctx *c, const struct sig_key *k,
    struct sig_bundle_result *out, struct rw_err *err)
{
	struct rw_err e;
	int good = 0, rc;

	rw_err_clear(&e);
	if (!c->dsse && c->subj->data != NULL)
		rc = sig_key_verify(k, c->subj->data, c->subj->len, c->sig,
		    c->slen, &good, err);
	else if (!c->dsse)
		rc = sig_key_verify_digest(k, c->subj->sha256, 32, c->sig,
		    c->slen, &good, &e);
	else
		rc = sig_key_verify(k, c->pae, c->pae_len, c->sig, c->slen,
		    &good, err);
	if (rc == RW_EUNSUPPORTED)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "%s", e.msg);
	if (rc != RW_OK && e.code != 0)
		rw_err_set(err, rc, "%s", e.msg);
	if (rc != RW_OK)
		return -2;
	if (!good)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the %s does not "
		    "verify with the signer's key %s", c->dsse ? "DSSE "
		    "signature" : "signature over the artifact", sig_key_id(k));
	return 0;
}

/* Whether statement subject S names the digest WANT. */
static int
subject_is(json_t *s, const unsigned char want[32])
{
	const char *hex = json_string_value(json_object_get(json_object_get(s,
	    "digest"), "sha256"));
	char w[65];
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(w + 2 * i, 3, "%02x", want[i]);
	return hex != NULL && strcmp(hex, w) == 0;
}

/* A DSSE payload: an in-toto statement about the subject. */
static int
check_statement(const struct bundle_ctx *c, struct sig_bundle_result *out)
{
	json_t *st, *subs, *s;
	size_t i;
	int found = 0;

	if (strcmp(c->ptype, SIG_BUNDLE_INTOTO) != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the DSSE payload "
		    "type is not %s", SIG_BUNDLE_INTOTO);
	st = json_loadb((const char *)c->payload, c->plen,
	    JSON_REJECT_DUPLICATES, NULL);
	subs = json_object_get(st, "subject");
	if (!json_is_array(subs)) {
		json_decref(st);
		return sig_bundle_fail(out, SIG_MALFORMED, "the DSSE payload is "
		    "not an in-toto statement with subjects");
	}
	json_array_foreach(subs, i, s)
		found |= subject_is(s, c->subj->sha256);
	snprintf(out->predicate_type, sizeof(out->predicate_type), "%s",
	    json_string_value(json_object_get(st, "predicateType")) != NULL ?
	    json_string_value(json_object_get(st, "predicateType")) : "");
	json_decref(st);
	if (!found)
		return sig_bundle_fail(out, SIG_WRONG_DIGEST, "the in-toto "
		    "statement is about other artifacts, not this one");
	return 0;
}

/* ---------------------------------------------------------------- all */

/* The earliest verified time. */
static int64_t
earliest(const struct bundle_ctx *c)
{
	int64_t t = c->times[0];
	size_t i;

	for (i = 1; i < c->ntimes; i++)
		if (c->times[i] < t)
			t = c->times[i];
	return t;
}

/* Steps 2 to 5 of sig_bundle_verify, once the document parsed. */
static int
judge(json_t *doc, struct bundle_ctx *c, struct sig_bundle_result *out,
    struct rw_err *err)
{
	json_t *vm = json_object_get(doc, "verificationMaterial");
	struct sig_key *leafkey = NULL;
	char who[SIG_REASON_MAX + 1], when[32];
	int r;

	r = read_material(vm, c, out, err);
	if (r == 0)
		r = read_content(doc, c, out, err);
	if (r == 0 && (out->stage = SIG_BUNDLE_LOG))
		r = sig_bundle_entries(json_object_get(vm, "tlogEntries"), c,
		    out, err);
	if (r == 0 && (out->stage = SIG_BUNDLE_TIME))
		r = read_timestamps(vm, c, out, err);
	if (r == 0 && c->ntimes == 0)
		r = sig_bundle_fail(out, SIG_BAD_SIGNATURE, "no verified time "
		    "of signing: no log entry with a valid signed entry "
		    "timestamp%s%s", c->tsa_why[0] != '\0' ? "; " : " and no "
		    "timestamp", c->tsa_why[0] != '\0' ? c->tsa_why : "");
	if (r == 0)
		r = check_unsigned_logs(c, out);
	if (r == 0 && c->leaf != NULL && (out->stage = SIG_BUNDLE_SIGNER))
		r = check_leaf(c, &leafkey, out, err);
	snprintf(who, sizeof(who), "%s", out->reason);
	if (r == 0 && (out->stage = SIG_BUNDLE_SIGNATURE))
		r = check_signature(c, leafkey != NULL ? leafkey : c->t->key, out,
		    err);
	if (r == 0 && c->dsse && (out->stage = SIG_BUNDLE_SUBJECT))
		r = check_statement(c, out);
	if (r == 0) {
		out->stage = SIG_BUNDLE_DONE;
		out->time = earliest(c);
		rw_time_str(when, sizeof(when), out->time);
		if (c->leaf == NULL)
			snprintf(who, sizeof(who), "signed by %s key %s",
			    sig_key_kind(c->t->key), sig_key_id(c->t->key));
		out->verdict = SIG_VALID;
		snprintf(out->reason, sizeof(out->reason), "%.250s; %.100s, "
		    "signed at %s", who, c->logged, when);
	}
	sig_key_free(leafkey);
	return r;
}

/* Everything the bundle is, and which version. */
static int
parse(const char *json, size_t len, json_t **doc, struct bundle_ctx *c,
    struct sig_bundle_result *out)
{
	json_error_t je;

	*doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (*doc == NULL)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle is not "
		    "JSON: %d:%d: %.100s", je.line, je.column, je.text);
	c->version = bundle_version(json_string_value(json_object_get(*doc,
	    "mediaType")));
	if (c->version == 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle's "
		    "mediaType is not a Sigstore bundle v0.1 to v0.3");
	return 0;
}

int
sig_bundle_verify(const char *json, size_t len,
    const struct sig_bundle_trust *t, const struct sig_bundle_subject *subj,
    struct sig_bundle_result *out, struct rw_err *err)
{
	struct bundle_ctx c;
	json_t *doc = NULL;
	int r, rc = RW_OK;

	if (out == NULL)
		return rw_err_set(err, RW_EINVAL, "sig_bundle_verify: NULL "
		    "result");
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (json == NULL || t == NULL || subj == NULL || t->root == NULL ||
	    (t->key == NULL) == (t->id == NULL))
		rc = rw_err_set(err, RW_EINVAL, "sig_bundle_verify: NULL "
		    "argument, or not exactly one of key and identity");
	else if (len > SIG_BUNDLE_MAX)
		rc = rw_err_set(err, RW_ETOOBIG, "bundle over %d bytes",
		    SIG_BUNDLE_MAX);
	if (rc != RW_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.subj = subj;
	r = parse(json, len, &doc, &c, out);
	if (r == 0)
		r = judge(doc, &c, out, err);
	if (r == -2)
		rc = err != NULL && err->code != 0 ? err->code : RW_ECRYPTO;
	json_decref(doc);
	free(c.sig);
	free(c.leaf);
	free(c.payload);
	free(c.pae);
out:
	if (rc != RW_OK) {
		out->verdict = SIG_MALFORMED;
		sig_reason_undecided(out->reason, sizeof(out->reason), rc, err);
	}
	return rc;
}

int
sig_bundle_root_parse(const char *json, size_t len,
    struct sig_trustroot **out, struct rw_err *err)
{
	return sig_trustroot_parse(json, len, 0, out, err);
}

void
sig_bundle_root_free(struct sig_trustroot *root)
{
	sig_trustroot_free(root);
}

int
sig_bundle_statement(const char *json, size_t len, char **out, size_t *olen,
    struct rw_err *err)
{
	unsigned char *raw = NULL;
	const char *b64;
	json_t *doc;
	int rc;

	*out = NULL;
	*olen = 0;
	if (json == NULL || len > SIG_BUNDLE_MAX)
		return rw_err_set(err, RW_EINVAL, "sig_bundle_statement: no "
		    "bundle, or one over %d bytes", SIG_BUNDLE_MAX);
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	b64 = json_string_value(json_object_get(json_object_get(doc,
	    "dsseEnvelope"), "payload"));
	if (b64 == NULL) {
		json_decref(doc);
		return rw_err_set(err, RW_EPARSE, "the bundle holds no DSSE "
		    "envelope");
	}
	rc = sig_b64_decode(b64, strlen(b64), 0, &raw, olen, err);
	json_decref(doc);
	if (rc != RW_OK)
		return rc;
	*out = (char *)raw;	/* NUL-terminated by sig_b64_decode */
	return RW_OK;
}
