/* bentry.c - a Sigstore bundle's transparency log entries. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/bundle_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/internal.h"
#include "policy/sig/tlog.h"

/* Longest canonicalized body read; Rekor v1 bodies are a few KiB. */
#define BODY_MAX	(256 * 1024)
/* Most sibling hashes of a proof: a tree of 2^64 leaves needs 64. */
#define PROOF_MAX	SIG_TLOG_PROOF_MAX

/* The string at OBJ.NAME, or NULL. */
static const char *
str_at(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/*
 * An int64 that protobuf-JSON writes as a decimal string at OBJ.NAME:
 * 1 when absent, 0 when read into *V, -1 when not a non-negative decimal.
 */
static int
i64_at(json_t *obj, const char *name, int64_t *v)
{
	json_t *s = json_object_get(obj, name);

	*v = 0;
	if (s == NULL)
		return 1;
	if (json_is_integer(s) && json_integer_value(s) >= 0) {
		*v = json_integer_value(s);
		return 0;
	}
	if (!json_is_string(s) || rw_parse_i64(json_string_value(s), 0,
	    INT64_MAX, v) != RW_OK)
		return -1;
	return 0;
}

/* Whether HEX (lower or upper case) spells the 32 bytes BIN. */
static int
hex_is(const char *hex, const unsigned char bin[32])
{
	char want[65];
	size_t i;

	if (hex == NULL || strlen(hex) != 64)
		return 0;
	for (i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", bin[i]);
	return strcasecmp(hex, want) == 0;
}

/* The log of the trusted root whose logId is ID, or NULL. */
static const struct sig_tlog_key *
find_log(const struct sig_trustroot *r, const unsigned char *id,
    size_t len)
{
	size_t i;

	if (len != 32)
		return NULL;
	for (i = 0; i < r->ntlogs; i++)
		if (r->tlogs[i].has_log_id &&
		    memcmp(r->tlogs[i].log_id, id, 32) == 0)
			return &r->tlogs[i];
	return NULL;
}

/* ------------------------------------------------------------- signer */

/* The DER of the certificate in PEM text, or NULL. */
static unsigned char *
pem_cert_der(const unsigned char *pem, size_t len, int *dlen)
{
	unsigned char *der = NULL;
	X509 *x;
	BIO *bio;

	*dlen = 0;
	bio = BIO_new_mem_buf(pem, (int)len);
	x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (x != NULL)
		*dlen = i2d_X509(x, &der);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return *dlen > 0 ? der : NULL;
}

/* Forms of the signer an entry may log. */
enum signer_form { SIGNER_PEM, SIGNER_CERT_DER, SIGNER_KEY_DER };

/* Whether the signer an entry logged (B, LEN bytes in FORM) is C's. */
static int
signer_is(const struct bundle_ctx *c, const unsigned char *b, size_t len,
    enum signer_form form)
{
	unsigned char *der = NULL, h[32];
	struct sig_key *k = NULL;
	struct rw_err e;
	int dlen = 0, same = 0;

	if (c->leaf != NULL && form == SIGNER_CERT_DER)
		return len == c->leaf_len && memcmp(b, c->leaf, len) == 0;
	if (c->leaf != NULL && form == SIGNER_PEM) {
		der = pem_cert_der(b, len, &dlen);
		same = der != NULL && (size_t)dlen == c->leaf_len &&
		    memcmp(der, c->leaf, c->leaf_len) == 0;
		OPENSSL_free(der);
		return same;
	}
	if (c->leaf != NULL)
		return 0;
	if (form == SIGNER_KEY_DER) {
		if (EVP_Digest(b, len, h, NULL, EVP_sha256(), NULL) != 1)
			return 0;
		return hex_is(sig_key_id(c->t->key) + strlen("sha256:"), h);
	}
	rw_err_clear(&e);
	if (form == SIGNER_PEM && sig_key_load((const char *)b, len, &k, &e) ==
	    RW_OK)
		same = strcmp(sig_key_id(k), sig_key_id(c->t->key)) == 0;
	sig_key_free(k);
	return same;
}

/* The signer at OBJ.NAME (base64 of FORM) must be C's. */
static int
signer_at(json_t *obj, const char *name, enum signer_form form,
    const struct bundle_ctx *c, struct sig_bundle_result *out,
    struct rw_err *err)
{
	unsigned char *b = NULL;
	size_t len = 0;
	int r;

	r = sig_bundle_b64(obj, name, "the log entry's signer", &b, &len, out,
	    err);
	if (r != 0)
		return r;
	r = signer_is(c, b, len, form);
	free(b);
	/* Logged for another key: the bundle's real signer is not ours. */
	if (!r && c->leaf == NULL)
		out->stage = SIG_BUNDLE_SIGNER;
	if (!r)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the log entry "
		    "was made for another %s", c->leaf != NULL ?
		    "certificate" : "key");
	return 0;
}

/* The signature at OBJ.NAME (base64; twice when TWICE) must be C's. */
static int
sig_at(json_t *obj, const char *name, int twice, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	unsigned char *b = NULL, *b2 = NULL;
	size_t len = 0, len2 = 0;
	int r;

	r = sig_bundle_b64(obj, name, "the log entry's signature", &b, &len,
	    out, err);
	/* intoto 0.0.2 encodes it twice: undecodable is another signature. */
	if (r == 0 && twice) {
		r = sig_bundle_b64s((const char *)b, len,
		    "the log entry's signature", &b2, &len2, out, err);
		free(b);
		b = b2;
		len = r == 0 ? len2 : 0;
		r = r == -1 ? 0 : r;
	}
	if (r != 0) {
		free(b);
		return r;
	}
	r = b != NULL && len == c->slen && memcmp(b, c->sig, len) == 0;
	free(b);
	if (!r)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the log entry "
		    "holds another signature than the bundle's");
	return 0;
}

/* ------------------------------------------------------------- bodies */

/* A {"algorithm": "sha256", "value": hex} at OBJ.NAME must be WANT. */
static int
hash_is(json_t *obj, const char *name, const unsigned char want[32],
    const char *what, struct sig_bundle_result *out)
{
	json_t *h = json_object_get(obj, name);
	const char *alg = str_at(h, "algorithm");

	if (alg == NULL || strcmp(alg, "sha256") != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the log entry's "
		    "%s hash is not a sha256", what);
	if (!hex_is(str_at(h, "value"), want))
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the log entry "
		    "was made for another %s", what);
	return 0;
}

/* hashedrekord 0.0.1: a signature over the artifact. */
static int
hashedrekord1(json_t *spec, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *sig = json_object_get(spec, "signature");
	int r;

	if (c->dsse)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "a hashedrekord "
		    "0.0.1 log entry cannot log a DSSE envelope");
	r = hash_is(json_object_get(spec, "data"), "hash", c->subj->sha256,
	    "artifact", out);
	if (r == 0)
		r = sig_at(sig, "content", 0, c, out, err);
	if (r == 0)
		r = signer_at(json_object_get(sig, "publicKey"), "content",
		    SIGNER_PEM, c, out, err);
	return r;
}

/* The one signature of a DSSE entry's array SIGS. */
static json_t *
one_sig(json_t *sigs, struct sig_bundle_result *out)
{
	if (!json_is_array(sigs) || json_array_size(sigs) != 1) {
		sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the log entry does "
		    "not hold exactly one DSSE signature");
		return NULL;
	}
	return json_array_get(sigs, 0);
}

/* dsse 0.0.1: the envelope's payload hash, signature and verifier. */
static int
dsse1(json_t *spec, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *s;
	int r;

	if (!c->dsse)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "a dsse log "
		    "entry cannot log a message signature");
	r = hash_is(spec, "payloadHash", c->payload_sha, "DSSE payload", out);
	if (r != 0)
		return r;
	if ((s = one_sig(json_object_get(spec, "signatures"), out)) == NULL)
		return -1;
	r = sig_at(s, "signature", 0, c, out, err);
	return r != 0 ? r : signer_at(s, "verifier", SIGNER_PEM, c, out, err);
}

/* intoto 0.0.2: as dsse, with the signature base64 twice over. */
static int
intoto2(json_t *spec, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *content = json_object_get(spec, "content"), *s;
	int r;

	if (!c->dsse)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "an intoto log "
		    "entry cannot log a message signature");
	r = hash_is(content, "payloadHash", c->payload_sha, "DSSE payload",
	    out);
	if (r != 0)
		return r;
	s = one_sig(json_object_get(json_object_get(content, "envelope"),
	    "signatures"), out);
	if (s == NULL)
		return -1;
	r = sig_at(s, "sig", 1, c, out, err);
	return r != 0 ? r : signer_at(s, "publicKey", SIGNER_PEM, c, out, err);
}

/*
 * hashedrekord 0.0.2 (Rekor v2): the digest of the artifact, or of the
 * DSSE PAE for an envelope (rekor-v2 "hashedrekord over DSSE").
 */
static int
hashedrekord2(json_t *spec, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *h = json_object_get(spec, "hashedRekordV002");
	json_t *data = json_object_get(h, "data");
	json_t *sig = json_object_get(h, "signature");
	json_t *v = json_object_get(sig, "verifier");
	const char *alg = str_at(data, "algorithm");
	unsigned char *d = NULL;
	size_t dlen = 0;
	int r;

	if (alg == NULL || strcmp(alg, "SHA2_256") != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the log entry's "
		    "digest is not SHA2_256");
	r = sig_bundle_b64(data, "digest", "the log entry's digest", &d,
	    &dlen, out, err);
	if (r != 0)
		return r;
	r = dlen == 32 && memcmp(d, c->dsse ? c->pae_sha : c->subj->sha256,
	    32) == 0;
	free(d);
	if (!r)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "the log entry "
		    "was made for another %s", c->dsse ? "DSSE envelope" :
		    "artifact");
	r = sig_at(sig, "content", 0, c, out, err);
	if (r != 0)
		return r;
	if (json_object_get(v, "x509Certificate") != NULL)
		return signer_at(json_object_get(v, "x509Certificate"),
		    "rawBytes", SIGNER_CERT_DER, c, out, err);
	return signer_at(json_object_get(v, "publicKey"), "rawBytes",
	    SIGNER_KEY_DER, c, out, err);
}

/* The body (KIND, VERSION) must log C's signature, signer and artifact. */
static int
match_body(json_t *body, const char *kind, const char *ver,
    const struct bundle_ctx *c, struct sig_bundle_result *out,
    struct rw_err *err)
{
	json_t *spec = json_object_get(body, "spec");
	const char *bk = str_at(body, "kind"), *bv = str_at(body, "apiVersion");

	if (bk == NULL || bv == NULL || strcmp(bk, kind) != 0 ||
	    strcmp(bv, ver) != 0 || !json_is_object(spec))
		return sig_bundle_fail(out, SIG_MALFORMED, "the log entry's "
		    "body is not the %s %s its kindVersion says", kind, ver);
	if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.1") == 0)
		return hashedrekord1(spec, c, out, err);
	if (strcmp(kind, "hashedrekord") == 0 && strcmp(ver, "0.0.2") == 0)
		return hashedrekord2(spec, c, out, err);
	if (strcmp(kind, "dsse") == 0 && strcmp(ver, "0.0.1") == 0)
		return dsse1(spec, c, out, err);
	if (strcmp(kind, "intoto") == 0 && strcmp(ver, "0.0.2") == 0)
		return intoto2(spec, c, out, err);
	return sig_bundle_fail(out, SIG_MALFORMED, "log entries of kind %.32s "
	    "%.16s are not supported", kind, ver);
}

/* ------------------------------------------------------------ entries */

/* Standard base64 of LEN bytes of B, in a new string; NULL out of memory. */
static char *
b64_encode(const unsigned char *b, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);

	if (s != NULL)
		EVP_EncodeBlock((unsigned char *)s, b, (int)len);
	return s;
}

/* What one entry says, decoded. */
struct entry {
	size_t			 i;
	const struct sig_tlog_key *log;
	int64_t			 index;		/* global */
	int64_t			 time;		/* 0: none (Rekor v2) */
	int64_t			 proof_index;	/* tree-local, once proven */
	int			 set_ok;	/* a SET signed index and time */
	unsigned char		*body;
	size_t			 blen;
};

/*
 * The Signed Entry Timestamp: the log's promise, over the entry's body,
 * time, index and log id.  A verified one gives C a time.
 */
static int
check_set(json_t *promise, struct entry *e, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	const char *set = str_at(promise, "signedEntryTimestamp");
	char why[SIG_REASON_MAX + 1], when[32], *body;
	int good = 0, rc;

	if (set == NULL || e->time <= 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has "
		    "an inclusion promise without a signedEntryTimestamp or "
		    "an integratedTime", e->i);
	body = b64_encode(e->body, e->blen);
	if (body == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return -2;
	}
	rc = sig_rekor_set_ok(e->log->key, body, e->time, e->index, set,
	    &good, why, sizeof(why), err);
	free(body);
	if (rc != RW_OK)
		return -2;
	if (!good)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "log entry %zu: "
		    "its signed entry timestamp does not verify with log key "
		    "%s%s", e->i, sig_key_id(e->log->key), why);
	rw_time_str(when, sizeof(when), e->time);
	if (!sig_window_has(&e->log->valid, e->time))
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "log entry %zu "
		    "was integrated at %s, outside the validity of log key %s",
		    e->i, when, sig_key_id(e->log->key));
	if (e->time > c->t->now)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "log entry %zu "
		    "was integrated at %s, in the future", e->i, when);
	if (c->ntimes < BUNDLE_TIMES_MAX)
		c->times[c->ntimes++] = e->time;
	e->set_ok = 1;
	return 0;
}

/* The proof's sibling hashes, decoded into H (N of them). */
static int
proof_hashes(json_t *a, unsigned char (*h)[32], size_t *n,
    struct sig_bundle_result *out, struct rw_err *err)
{
	unsigned char *b = NULL;
	size_t i, len = 0;
	json_t *v;
	int r;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > PROOF_MAX)
		return sig_bundle_fail(out, SIG_MALFORMED, "the inclusion "
		    "proof's hashes are not an array of at most %d", PROOF_MAX);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return sig_bundle_fail(out, SIG_MALFORMED, "an inclusion "
			    "proof hash is not a string");
		r = sig_bundle_b64s(json_string_value(v), json_string_length(v),
		    "an inclusion proof hash", &b, &len, out, err);
		if (r != 0)
			return r;
		if (len == 32)
			memcpy(h[i], b, 32);
		free(b);
		if (len != 32)
			return sig_bundle_fail(out, SIG_MALFORMED, "an inclusion "
			    "proof hash is not 32 bytes");
	}
	*n = json_array_size(a);
	return 0;
}

/* The inclusion proof of E up to a checkpoint signed by E's log. */
static int
check_proof(json_t *p, struct entry *e, struct sig_bundle_result *out,
    struct rw_err *err)
{
	unsigned char (*h)[32], *root = NULL;
	struct sig_tlog_proof pr;
	const char *note = str_at(json_object_get(p, "checkpoint"), "envelope");
	char why[SIG_REASON_MAX + 1];
	int64_t idx, size;
	size_t rlen = 0, n = 0;
	int r, good = 0;

	if (i64_at(p, "logIndex", &idx) != 0 || i64_at(p, "treeSize", &size)
	    != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu: the "
		    "inclusion proof lacks a logIndex or treeSize", e->i);
	/*
	 * Without a SET nothing signs the entry's own logIndex; in Rekor v2
	 * (no integratedTime) it is the proof's, so it must be that.
	 */
	if (e->time == 0 && idx != e->index)
		return sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu: "
		    "logIndex %lld is not its inclusion proof's %lld", e->i,
		    (long long)e->index, (long long)idx);
	e->proof_index = idx;
	h = calloc(PROOF_MAX, sizeof(*h));
	if (h == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return -2;
	}
	r = proof_hashes(json_object_get(p, "hashes"), h, &n, out, err);
	if (r == 0)
		r = sig_bundle_b64(p, "rootHash", "the inclusion proof's root",
		    &root, &rlen, out, err);
	if (r == 0 && rlen != 32)
		r = sig_bundle_fail(out, SIG_MALFORMED, "the inclusion proof's "
		    "root is not 32 bytes");
	if (r != 0)
		goto out;
	pr.index = (uint64_t)idx;
	pr.size = (uint64_t)size;
	memcpy(pr.root, root, 32);
	pr.hashes = (const unsigned char (*)[32])h;
	pr.nhashes = n;
	/* Without a checkpoint the proof is still judged first (and named). */
	if (sig_tlog_verify(e->body, e->blen, &pr, note, note != NULL ?
	    strlen(note) : 0, e->log,
	    &good, why, sizeof(why), err) != RW_OK)
		r = -2;
	else if (!good)
		r = sig_bundle_fail(out, SIG_BAD_SIGNATURE, "log entry %zu: %s",
		    e->i, why);
out:
	free(root);
	free(h);
	return r;
}

/* The fields of entry V that identify it: index, log, time, body. */
static int
read_entry(json_t *v, struct entry *e, const struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	unsigned char *id = NULL;
	size_t idlen = 0;
	int r;

	if (!json_is_object(v) || i64_at(v, "logIndex", &e->index) != 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has "
		    "no logIndex, or a negative one", e->i);
	if (i64_at(v, "integratedTime", &e->time) < 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has a "
		    "bad integratedTime", e->i);
	r = sig_bundle_b64(json_object_get(v, "logId"), "keyId",
	    "the log entry's logId", &id, &idlen, out, err);
	if (r != 0)
		return r;
	e->log = find_log(c->t->root, id, idlen);
	free(id);
	if (e->log == NULL)
		return sig_bundle_fail(out, SIG_BAD_SIGNATURE, "log entry %zu "
		    "is from a log that is not in the trusted root", e->i);
	r = sig_bundle_b64(v, "canonicalizedBody", "the log entry's body",
	    &e->body, &e->blen, out, err);
	if (r == 0 && e->blen > BODY_MAX)
		r = sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu: body "
		    "over %d bytes", e->i, BODY_MAX);
	return r;
}

/* Entry V: what it logs, its promise, its proof. */
static int
check_entry(json_t *v, size_t i, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	json_t *kv = json_object_get(v, "kindVersion"), *body = NULL;
	json_t *promise = json_object_get(v, "inclusionPromise");
	json_t *proof = json_object_get(v, "inclusionProof");
	struct entry e = { .i = i };
	const char *kind = str_at(kv, "kind"), *ver = str_at(kv, "version");
	int r;

	r = read_entry(v, &e, c, out, err);
	if (r == 0 && (kind == NULL || ver == NULL))
		r = sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has no "
		    "kindVersion", i);
	if (r == 0) {
		body = json_loadb((const char *)e.body, e.blen,
		    JSON_REJECT_DUPLICATES, NULL);
		r = body != NULL ? match_body(body, kind, ver, c, out, err) :
		    sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu: the "
		    "body is not JSON", i);
	}
	if (r == 0 && c->version == 1 && promise == NULL)
		r = sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has no "
		    "inclusion promise (a v0.1 bundle needs one)", i);
	if (r == 0 && c->version >= 2 && proof == NULL)
		r = sig_bundle_fail(out, SIG_MALFORMED, "log entry %zu has no "
		    "inclusion proof (a v0.%d bundle needs one)", i,
		    c->version);
	if (r == 0 && promise != NULL)
		r = check_set(promise, &e, c, out, err);
	if (r == 0 && promise == NULL && c->nunsigned < SIG_BUNDLE_ENTRIES_MAX)
		c->unsigned_logs[c->nunsigned++] = e.log;
	if (r == 0 && proof != NULL)
		r = check_proof(proof, &e, out, err);
	/* Only what a signature vouches for is told: the SET's index, or
	 * the proof's (whose checkpoint the log signed). */
	if (r == 0 && c->logged[0] == '\0')
		snprintf(c->logged, sizeof(c->logged), "logged in %.100s at "
		    "%sindex %lld", e.log->origin != NULL ? e.log->origin :
		    sig_key_id(e.log->key), e.set_ok ? "" : "tree ",
		    (long long)(e.set_ok ? e.index : e.proof_index));
	json_decref(body);
	free(e.body);
	return r;
}

int
sig_bundle_entries(json_t *entries, struct bundle_ctx *c,
    struct sig_bundle_result *out, struct rw_err *err)
{
	size_t i;
	json_t *v;
	int r;

	if (!json_is_array(entries) || json_array_size(entries) == 0)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle has no "
		    "transparency log entry");
	if (json_array_size(entries) > SIG_BUNDLE_ENTRIES_MAX)
		return sig_bundle_fail(out, SIG_MALFORMED, "the bundle has %zu "
		    "log entries (at most %d are read)",
		    json_array_size(entries), SIG_BUNDLE_ENTRIES_MAX);
	json_array_foreach(entries, i, v) {
		r = check_entry(v, i, c, out, err);
		if (r != 0)
			return r;
	}
	return 0;
}
