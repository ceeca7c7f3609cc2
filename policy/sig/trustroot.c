/* trustroot.c - reading a Sigstore trusted_root.json (Fulcio CAs, Rekor and
 * CT log keys, with their windows of validity). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A trusted root with more entries than this is not one we were given. */
#define TR_MAX_ENTRIES	64
#define TR_MAX_CERTS	8
/* Where in the document a member is: "tlogs[0].publicKey.rawBytes". */
#define TR_PATH		128

/* PATH followed by SUFFIX into P, cut when too long (messages only). */
static void
subpath(char p[TR_PATH], const char *path, const char *suffix)
{
	if (snprintf(p, TR_PATH, "%s%s", path, suffix) >= TR_PATH)
		p[TR_PATH - 1] = '\0';
}

/* PATH[I]SUFFIX into P. */
static void
subidx(char p[TR_PATH], const char *path, size_t i, const char *suffix)
{
	if (snprintf(p, TR_PATH, "%s[%zu]%s", path, i, suffix) >= TR_PATH)
		p[TR_PATH - 1] = '\0';
}

/* "PATH: message" into ERR; returns RW_EINVAL. */
static int
bad(struct rw_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct rw_err *err, const char *path, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rw_err_set(err, RW_EINVAL, "%s: %s", path, msg);
}

/* Member NAME of object O as a non-empty string, or NULL after ERR. */
static const char *
want_str(json_t *o, const char *path, const char *name, int *rc,
    struct rw_err *err)
{
	json_t *v = json_object_get(o, name);
	char p[TR_PATH];

	if (snprintf(p, sizeof(p), "%s.%s", path, name) >= (int)sizeof(p))
		p[sizeof(p) - 1] = '\0';	/* cut: only for messages */
	if (v == NULL)
		*rc = bad(err, path, "missing \"%s\"", name);
	else if (!json_is_string(v) || json_string_length(v) == 0)
		*rc = bad(err, p, "expected a non-empty string");
	else
		return json_string_value(v);
	return NULL;
}

/*
 * Base64 text B64 (DER) as a PEM block with LABEL, in *OUT (*LEN bytes),
 * and the DER in *DER when DER is not NULL.  The base64 is checked strictly
 * so that the PEM text (the same characters in 64-column lines) decodes to
 * exactly what the file held.
 */
static int
to_pem(const char *b64, const char *label, const char *path, char **out,
    size_t *len, unsigned char **der, size_t *dlen, struct rw_err *err)
{
	struct rw_err e;
	unsigned char *bin = NULL;
	size_t n = strlen(b64), blen = 0, size, off, i;
	char *pem;
	int rc;

	rw_err_clear(&e);
	rc = sig_b64_decode(b64, n, 0, &bin, &blen, &e);
	if (rc == RW_ENOMEM)
		return rw_err_set(err, rc, "out of memory");
	if (rc != RW_OK || blen == 0) {
		free(bin);
		return bad(err, path, "not base64 (%s)", rc != RW_OK ?
		    e.msg : "empty");
	}
	size = n + n / 64 + 2 * strlen(label) + 64;
	pem = malloc(size);
	if (pem == NULL) {
		free(bin);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	off = (size_t)snprintf(pem, size, "-----BEGIN %s-----\n", label);
	for (i = 0; i < n; i += 64)
		off += (size_t)snprintf(pem + off, size - off, "%.64s\n",
		    b64 + i);
	off += (size_t)snprintf(pem + off, size - off, "-----END %s-----\n",
	    label);
	*out = pem;
	*len = off;
	if (der != NULL) {
		*der = bin;
		*dlen = blen;
	} else
		free(bin);
	return RW_OK;
}

/*
 * O's "validFor" (required: a window with at least a start) into W.  An
 * "end" that is absent or null leaves the window open: protobuf's JSON
 * mapping writes an unset Timestamp as null, and sigstore's own tools emit
 * it that way for a key still in use.
 */
static int
window(json_t *o, const char *path, struct sig_window *w,
    struct rw_err *err)
{
	char p[TR_PATH];
	struct rw_err e;
	json_t *v = json_object_get(o, "validFor"), *t;
	int rc = RW_OK;

	subpath(p, path, ".validFor");
	if (v == NULL)
		return bad(err, path, "missing \"validFor\"");
	if (!json_is_object(v))
		return bad(err, p, "expected an object {\"start\", \"end\"}");
	if (want_str(v, p, "start", &rc, err) == NULL)
		return rc;
	rw_err_clear(&e);
	if (rw_parse_time(json_string_value(json_object_get(v, "start")),
	    &w->start, &e) != RW_OK)
		return bad(err, p, "start: %s", e.msg);
	w->end = INT64_MAX;
	t = json_object_get(v, "end");
	if (t == NULL || json_is_null(t))
		return RW_OK;
	if (!json_is_string(t) ||
	    rw_parse_time(json_string_value(t), &w->end, &e) != RW_OK)
		return bad(err, p, "end: %s", json_is_string(t) ? e.msg :
		    "expected a time string");
	if (w->end < w->start)
		return bad(err, p, "ends before it starts");
	return RW_OK;
}

/* logId.keyId (base64), when present, must name LG's key; kept in LG. */
static int
check_key_id(json_t *o, const char *path, struct sig_tlog_key *lg,
    struct rw_err *err)
{
	const struct sig_key *key = lg->key;
	json_t *id = json_object_get(json_object_get(o, "logId"), "keyId");
	char p[TR_PATH], hex[65];
	unsigned char *bin = NULL;
	struct rw_err e;
	size_t blen = 0, i;
	int rc;

	if (json_object_get(o, "logId") == NULL)
		return RW_OK;
	subpath(p, path, ".logId.keyId");
	if (!json_is_string(id))
		return bad(err, p, "expected a base64 string");
	rw_err_clear(&e);
	rc = sig_b64_decode(json_string_value(id), json_string_length(id), 0,
	    &bin, &blen, &e);
	if (rc == RW_ENOMEM)
		return rw_err_set(err, rc, "out of memory");
	if (rc != RW_OK || blen != 32) {
		free(bin);
		return bad(err, p, "not a base64 SHA-256");
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", bin[i]);
	memcpy(lg->log_id, bin, 32);
	lg->has_log_id = 1;
	free(bin);
	/* Rekor v2 names an Ed25519 log by its signed-note key id. */
	if (strcmp(hex, sig_key_id(key) + strlen("sha256:")) != 0 &&
	    (!lg->has_note_id || memcmp(lg->log_id, lg->note_id, 32) != 0))
		return bad(err, p, "does not match the key (%s)",
		    sig_key_id(key));
	return RW_OK;
}

/*
 * The checkpoint origin of a log: the host of its "baseUrl", as Rekor v2
 * names itself in its checkpoints.
 */
static int
origin(json_t *o, const char *path, struct sig_tlog_key *lg,
    struct rw_err *err)
{
	json_t *u = json_object_get(o, "baseUrl");
	const char *s;
	size_t n;

	if (u == NULL)
		return RW_OK;
	if (!json_is_string(u))
		return bad(err, path, "baseUrl: expected a string");
	s = json_string_value(u);
	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncmp(s, "http://", 7) == 0)
		s += 7;
	/* The host only, as sigstore-go's url.Hostname(): no port, no path. */
	if (*s == '[')
		n = strcspn(++s, "]");
	else
		n = strcspn(s, ":/");
	lg->origin = strndup(s, n);
	if (lg->origin == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return RW_OK;
}

/*
 * The C2SP signed-note key id of an Ed25519 log with an origin:
 * SHA-256(origin "\n" 0x01 key), the key being the 32 raw bytes that end
 * its SPKI (DER, BLEN bytes).  Nothing for other logs.
 */
static int
note_id(struct sig_tlog_key *lg, const unsigned char *spki, size_t blen)
{
	static const unsigned char ed25519_prefix[12] = { 0x30, 0x2a, 0x30,
	    0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
	EVP_MD_CTX *c;
	int ok;

	if (lg->origin == NULL || blen != 44 ||
	    memcmp(spki, ed25519_prefix, sizeof(ed25519_prefix)) != 0)
		return RW_OK;
	c = EVP_MD_CTX_new();
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, lg->origin, strlen(lg->origin)) == 1 &&
	    EVP_DigestUpdate(c, "\n\x01", 2) == 1 &&
	    EVP_DigestUpdate(c, spki + 12, 32) == 1 &&
	    EVP_DigestFinal_ex(c, lg->note_id, NULL) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return RW_ENOMEM;
	lg->has_note_id = 1;
	return RW_OK;
}

/*
 * A "PKCS1_RSA_*" key is a bare RSAPublicKey: the same key as base64 of a
 * SubjectPublicKeyInfo, in a new string (*OUT), or NULL when it is none.
 */
static int
pkcs1_to_spki(const char *b64, char **out, struct rw_err *err)
{
	unsigned char *bin = NULL, *spki = NULL;
	const unsigned char *q;
	EVP_PKEY *pk = NULL;
	struct rw_err e;
	size_t blen = 0;
	int n = 0;

	*out = NULL;
	rw_err_clear(&e);
	if (sig_b64_decode(b64, strlen(b64), 0, &bin, &blen, &e) == RW_ENOMEM)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	q = bin;
	if (bin != NULL)
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)blen);
	if (pk != NULL && q == bin + blen)
		n = i2d_PUBKEY(pk, &spki);
	if (n > 0 && (*out = malloc(4 * ((size_t)n + 2) / 3 + 4)) != NULL)
		EVP_EncodeBlock((unsigned char *)*out, spki, n);
	EVP_PKEY_free(pk);
	OPENSSL_free(spki);
	free(bin);
	ERR_clear_error();
	if (n > 0 && *out == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return RW_OK;
}

/* One entry of "tlogs" or "ctlogs". */
static int
one_log(json_t *o, const char *path, struct sig_tlog_key *lg,
    struct rw_err *err)
{
	char p[TR_PATH];
	struct rw_err e;
	json_t *pk = json_object_get(o, "publicKey");
	const char *raw;
	unsigned char *bin = NULL;
	char *spki = NULL;
	size_t blen = 0;
	int rc = RW_OK;

	if (!json_is_object(o))
		return bad(err, path, "expected an object");
	subpath(p, path, ".publicKey");
	if (!json_is_object(pk))
		return bad(err, pk == NULL ? path : p, pk == NULL ?
		    "missing \"publicKey\"" : "expected an object");
	if (want_str(pk, p, "keyDetails", &rc, err) == NULL)
		return rc;
	raw = want_str(pk, p, "rawBytes", &rc, err);
	if (raw == NULL)
		return rc;
	subpath(p, path, ".publicKey.rawBytes");
	if (strncmp(json_string_value(json_object_get(pk, "keyDetails")),
	    "PKCS1_RSA", 9) == 0) {
		if (pkcs1_to_spki(raw, &spki, err) != RW_OK)
			return err->code;
		if (spki == NULL)
			return bad(err, p, "not a PKCS#1 RSA public key");
		raw = spki;
	}
	rc = to_pem(raw, "PUBLIC KEY", p, &lg->pem, &lg->len, &bin, &blen,
	    err);
	free(spki);
	if (rc != RW_OK)
		return rc;
	rc = origin(o, path, lg, err);
	if (rc == RW_OK)
		rc = note_id(lg, bin, blen);
	free(bin);
	if (rc != RW_OK)
		return rc == RW_ENOMEM ? rw_err_set(err, rc, "out of memory") :
		    rc;
	rw_err_clear(&e);
	rc = sig_key_load(lg->pem, lg->len, &lg->key, &e);
	if (rc == RW_ENOMEM)
		return rw_err_set(err, rc, "out of memory");
	if (rc != RW_OK)
		return bad(err, p, "%s", e.msg);
	/* Sigstore puts validFor inside publicKey. */
	subpath(p, path, ".publicKey");
	rc = window(pk, p, &lg->valid, err);
	if (rc != RW_OK)
		return rc;
	return check_key_id(o, path, lg, err);
}

/* Member NAME (an array of logs) into *OUT. */
static int
logs(json_t *doc, const char *name, size_t max, struct sig_tlog_key **out,
    size_t *n, struct rw_err *err)
{
	json_t *a = json_object_get(doc, name), *e;
	char p[TR_PATH];
	size_t i;
	int rc;

	if (a == NULL)
		return RW_OK;
	if (!json_is_array(a))
		return bad(err, name, "expected an array");
	if (json_array_size(a) > max)
		return bad(err, name, "%zu entries (at most %zu)",
		    json_array_size(a), max);
	*out = calloc(json_array_size(a) + 1, sizeof(**out));
	if (*out == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	json_array_foreach(a, i, e) {
		subidx(p, name, i, "");
		rc = one_log(e, p, &(*out)[i], err);
		(*n)++;
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

/* The DER certificate (BIN, BLEN) must parse. */
static int
check_cert(const unsigned char *bin, size_t blen, const char *path,
    struct rw_err *err)
{
	const unsigned char *q = bin;
	X509 *x = d2i_X509(NULL, &q, (long)blen);
	int ok = x != NULL && q == bin + blen;

	X509_free(x);
	return ok ? RW_OK : bad(err, path, "not a DER X.509 certificate");
}

/* The PEM of each certificate of CERTS, appended to CA's. */
static int
ca_certs(json_t *certs, const char *path, struct sig_trustca *ca,
    struct rw_err *err)
{
	char p[TR_PATH], *pem = NULL, *grown;
	unsigned char *bin = NULL;
	size_t i, len, blen;
	json_t *c;
	int rc = RW_OK;

	json_array_foreach(certs, i, c) {
		subidx(p, path, i, "");
		if (!json_is_object(c))
			return bad(err, p, "expected an object {\"rawBytes\"}");
		if (want_str(c, p, "rawBytes", &rc, err) == NULL)
			return rc;
		subidx(p, path, i, ".rawBytes");
		rc = to_pem(json_string_value(json_object_get(c, "rawBytes")),
		    "CERTIFICATE", p, &pem, &len, &bin, &blen, err);
		if (rc != RW_OK)
			return rc;
		rc = check_cert(bin, blen, p, err);
		free(bin);
		grown = rc == RW_OK ? realloc(ca->pem, ca->len + len + 1) :
		    NULL;
		if (rc == RW_OK && grown == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		if (rc == RW_OK) {
			memcpy(grown + ca->len, pem, len + 1);
			ca->pem = grown;
			ca->len += len;
		}
		free(pem);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

/* One entry of "certificateAuthorities". */
static int
one_ca(json_t *o, const char *path, struct sig_trustca *ca,
    struct rw_err *err)
{
	json_t *chain = json_object_get(o, "certChain"), *certs;
	char p[TR_PATH];

	if (!json_is_object(o))
		return bad(err, path, "expected an object");
	subpath(p, path, ".certChain");
	if (chain == NULL)
		return bad(err, path, "missing \"certChain\"");
	certs = json_object_get(chain, "certificates");
	subpath(p, path, ".certChain.certificates");
	if (!json_is_array(certs) || json_array_size(certs) == 0 ||
	    json_array_size(certs) > TR_MAX_CERTS)
		return bad(err, p, "expected an array of 1 to %d certificates",
		    TR_MAX_CERTS);
	if (ca_certs(certs, p, ca, err) != RW_OK)
		return err->code;
	return window(o, path, &ca->valid, err);
}

/*
 * Member NAME ("certificateAuthorities" or "timestampAuthorities": both are
 * certificate chains with a validFor) into *OUT; only NEED makes it required.
 */
static int
cas(json_t *doc, const char *name, int need, struct sig_trustca **out,
    size_t *n, struct rw_err *err)
{
	json_t *a = json_object_get(doc, name), *e;
	char p[TR_PATH];
	size_t i;
	int rc;

	if ((a == NULL || (json_is_array(a) && json_array_size(a) == 0)) &&
	    !need)
		return RW_OK;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return bad(err, name, a == NULL ? "missing (a keyless "
		    "signature needs a Fulcio CA)" : "expected a non-empty "
		    "array");
	if (json_array_size(a) > TR_MAX_ENTRIES)
		return bad(err, name, "%zu entries (at most %d)",
		    json_array_size(a), TR_MAX_ENTRIES);
	*out = calloc(json_array_size(a), sizeof(**out));
	if (*out == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	json_array_foreach(a, i, e) {
		subidx(p, name, i, "");
		(*n)++;
		rc = one_ca(e, p, &(*out)[i], err);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

int
sig_trustroot_parse(const char *json, size_t len, int flags,
    struct sig_trustroot **out, struct rw_err *err)
{
	struct sig_trustroot *t;
	json_error_t je;
	json_t *doc;
	int rc;

	*out = NULL;
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return rw_err_set(err, RW_EPARSE, "%d:%d: %s", je.line,
		    je.column, je.text);
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		json_decref(doc);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	if (!json_is_object(doc))
		rc = rw_err_set(err, RW_EINVAL, "expected a JSON object");
	else if (json_object_get(doc, "tlogs") == NULL)
		rc = rw_err_set(err, RW_EINVAL, "tlogs: missing (no Rekor "
		    "key to check bundles with)");
	else
		rc = cas(doc, "certificateAuthorities",
		    (flags & SIG_TROOT_REKOR_ONLY) == 0, &t->cas, &t->ncas,
		    err);
	if (rc == RW_OK && (flags & SIG_TROOT_REKOR_ONLY) == 0)
		rc = cas(doc, "timestampAuthorities", 0, &t->tsas, &t->ntsas,
		    err);
	if (rc == RW_OK)
		rc = logs(doc, "tlogs", TR_MAX_ENTRIES, &t->tlogs, &t->ntlogs,
		    err);
	if (rc == RW_OK)
		rc = logs(doc, "ctlogs", SIG_CTLOG_MAX, &t->ctlogs,
		    &t->nctlogs, err);
	json_decref(doc);
	if (rc != RW_OK) {
		sig_trustroot_free(t);
		return rc;
	}
	*out = t;
	return RW_OK;
}

static void
logs_free(struct sig_tlog_key *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sig_key_free(l[i].key);
		free(l[i].pem);
		free(l[i].origin);
	}
	free(l);
}

void
sig_trustroot_free(struct sig_trustroot *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncas; i++)
		free(t->cas[i].pem);
	free(t->cas);
	for (i = 0; i < t->ntsas; i++)
		free(t->tsas[i].pem);
	free(t->tsas);
	logs_free(t->tlogs, t->ntlogs);
	logs_free(t->ctlogs, t->nctlogs);
	free(t);
}

int
sig_window_has(const struct sig_window *w, int64_t t)
{
	return w->start <= t && t <= w->end;
}

/* ------------------------------------------------- a leaf's identity */

/* At most SIZE - 1 bytes of DATA (LEN), up to a NUL, into BUF. */
static void
copy_text(char *buf, size_t size, const unsigned char *data, int len)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (n > size - 1)
		n = size - 1;
	memcpy(buf, data, n);
	buf[n] = '\0';
}

/* The first email or URI SAN of X into BUF, or "". */
static void
first_san(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	const GENERAL_NAME *g;
	int i;

	buf[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && buf[0] == '\0'; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_EMAIL || g->type == GEN_URI)
			copy_text(buf, size, ASN1_STRING_get0_data(
			    g->d.ia5), ASN1_STRING_length(g->d.ia5));
	}
	GENERAL_NAMES_free(gens);
}

/*
 * Fulcio's issuer extension into BUF, or "": 1.3.6.1.4.1.57264.1.8 holds
 * a DER UTF8String, the older .1.1 the bare text.
 */
static void
fulcio_issuer(X509 *x, char *buf, size_t size)
{
	static const char *const oids[] = { "1.3.6.1.4.1.57264.1.8",
	    "1.3.6.1.4.1.57264.1.1" };
	const ASN1_OCTET_STRING *os;
	const unsigned char *p;
	ASN1_UTF8STRING *u;
	ASN1_OBJECT *obj;
	size_t i;
	int at;

	buf[0] = '\0';
	for (i = 0; i < 2 && buf[0] == '\0'; i++) {
		obj = OBJ_txt2obj(oids[i], 1);
		at = obj != NULL ? X509_get_ext_by_OBJ(x, obj, -1) : -1;
		ASN1_OBJECT_free(obj);
		if (at < 0)
			continue;
		os = X509_EXTENSION_get_data(X509_get_ext(x, at));
		p = ASN1_STRING_get0_data(os);
		if (i == 1) {
			copy_text(buf, size, p, ASN1_STRING_length(os));
			continue;
		}
		u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));
		if (u != NULL)
			copy_text(buf, size, ASN1_STRING_get0_data(u),
			    ASN1_STRING_length(u));
		ASN1_UTF8STRING_free(u);
	}
}

int
sig_cert_identity(const char *pem, char *subject, size_t ssize,
    char *issuer, size_t isize)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	subject[0] = issuer[0] = '\0';
	if (x == NULL)
		return -1;
	first_san(x, subject, ssize);
	fulcio_issuer(x, issuer, isize);
	X509_free(x);
	return subject[0] != '\0' && issuer[0] != '\0' ? 0 : -1;
}

int
sig_trustroot_pems(const struct sig_trustroot *tr, int cas, int64_t at,
    char **out)
{
	size_t i, n = cas ? tr->ncas : tr->nctlogs, len = 0, off = 0;
	const struct sig_window *w;
	const char *pem;
	size_t plen;
	char *buf;

	*out = NULL;
	for (i = 0; i < n; i++) {
		w = cas ? &tr->cas[i].valid : &tr->ctlogs[i].valid;
		if (sig_window_has(w, at))
			len += cas ? tr->cas[i].len : tr->ctlogs[i].len;
	}
	if (len == 0)
		return 0;
	buf = malloc(len + 1);
	if (buf == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		w = cas ? &tr->cas[i].valid : &tr->ctlogs[i].valid;
		pem = cas ? tr->cas[i].pem : tr->ctlogs[i].pem;
		plen = cas ? tr->cas[i].len : tr->ctlogs[i].len;
		if (!sig_window_has(w, at))
			continue;
		memcpy(buf + off, pem, plen);
		off += plen;
	}
	buf[off] = '\0';
	*out = buf;
	return 0;
}
