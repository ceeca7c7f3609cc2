/*
 * dsse.c - cosign attestations: a DSSE envelope (one layer of the
 * `sha256-<hex>.att` manifest) signed by a key, holding an in-toto
 * statement about the image.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order matters: nothing of the payload is read before a signature over
 * its PAE verified, so a verdict past BAD_SIGNATURE is the key holder's
 * word.
 */
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/sig/internal.h"

static int
fail(struct sig_dsse_result *out, enum sig_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct sig_dsse_result *out, enum sig_verdict v, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return RW_OK;
}

/* "DSSEv1" SP len(type) SP type SP len(payload) SP payload, into *PAE. */
static int
make_pae(const char *type, const unsigned char *payload, size_t plen,
    unsigned char **pae, size_t *len)
{
	size_t tlen = strlen(type), n;

	*pae = malloc(tlen + plen + 64);
	if (*pae == NULL)
		return RW_ENOMEM;
	n = (size_t)snprintf((char *)*pae, 32, "DSSEv1 %zu ", tlen);
	memcpy(*pae + n, type, tlen);
	n += tlen;
	n += (size_t)snprintf((char *)*pae + n, 32, " %zu ", plen);
	memcpy(*pae + n, payload, plen);
	*len = n + plen;
	return RW_OK;
}

/* Whether one of SIGS (an array of {"sig": base64}) verifies with K. */
static int
any_sig(const struct sig_key *k, json_t *sigs, const unsigned char *pae,
    size_t plen, int *good, struct rw_err *err)
{
	unsigned char *raw;
	const char *b64;
	size_t i, rlen;
	json_t *s;
	int rc;

	*good = 0;
	json_array_foreach(sigs, i, s) {
		b64 = json_string_value(json_object_get(s, "sig"));
		if (b64 == NULL || sig_b64_decode(b64, strlen(b64), 0, &raw,
		    &rlen, NULL) != RW_OK)
			continue;	/* undecodable: not this key's */
		rc = sig_key_verify(k, pae, plen, raw, rlen, good, err);
		free(raw);
		if (rc != RW_OK)
			return rc;
		if (*good)
			return RW_OK;
	}
	return RW_OK;
}

/* Whether subject entry S names DIGEST ("sha256:<hex>"). */
static int
names(json_t *s, const char *digest)
{
	const char *colon = strchr(digest, ':'), *hex;
	char alg[16];

	if (colon == NULL || (size_t)(colon - digest) >= sizeof(alg))
		return 0;
	memcpy(alg, digest, (size_t)(colon - digest));
	alg[colon - digest] = '\0';
	hex = json_string_value(json_object_get(json_object_get(s, "digest"),
	    alg));
	return hex != NULL && strcmp(hex, colon + 1) == 0;
}

/* The verified payload: an in-toto statement about DIGEST. */
static int
statement(const unsigned char *payload, size_t plen, const char *digest,
    struct sig_dsse_result *out)
{
	json_t *st, *subs, *s, *pt;
	const char *type, *first = NULL;
	size_t i;
	int found = 0;

	st = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES,
	    NULL);
	type = json_string_value(json_object_get(st, "_type"));
	subs = json_object_get(st, "subject");
	pt = json_object_get(st, "predicateType");
	if (type == NULL || (strcmp(type, SIG_INTOTO_V01) != 0 &&
	    strcmp(type, SIG_INTOTO_V1) != 0) || !json_is_array(subs) ||
	    !json_is_string(pt) || !json_is_object(json_object_get(st,
	    "predicate"))) {
		json_decref(st);
		return fail(out, SIG_MALFORMED, "the DSSE payload is not an "
		    "in-toto statement (_type, subject, predicateType, "
		    "predicate)");
	}
	snprintf(out->predicate_type, sizeof(out->predicate_type), "%s",
	    json_string_value(pt));
	json_array_foreach(subs, i, s) {
		found |= names(s, digest);
		if (first == NULL)
			first = json_string_value(json_object_get(
			    json_object_get(s, "digest"), "sha256"));
	}
	if (!found) {
		snprintf(out->digest, sizeof(out->digest), "sha256:%.64s",
		    first != NULL ? first : "");
		json_decref(st);
		return fail(out, SIG_WRONG_DIGEST, "the in-toto statement is "
		    "about %s, not %s", first != NULL ? out->digest :
		    "no sha256 digest", digest);
	}
	json_decref(st);
	return RW_OK;
}

/* The claimed predicateType, unverified, so a refusal can say what an
   untrusted signer offered. */
static void
peek(const unsigned char *payload, size_t plen, struct sig_dsse_result *out)
{
	json_t *st = json_loadb((const char *)payload, plen, 0, NULL);
	const char *pt = json_string_value(json_object_get(st,
	    "predicateType"));

	snprintf(out->predicate_type, sizeof(out->predicate_type), "%s",
	    pt != NULL ? pt : "");
	json_decref(st);
}

/* Once the envelope parsed: its payload, signature and statement. */
static int
judge(const struct sig_key *k, json_t *env, const char *digest,
    struct sig_dsse_result *out, struct rw_err *err)
{
	const char *type = json_string_value(json_object_get(env,
	    "payloadType"));
	const char *b64 = json_string_value(json_object_get(env, "payload"));
	json_t *sigs = json_object_get(env, "signatures");
	unsigned char *payload = NULL, *pae = NULL;
	size_t plen, paelen;
	int rc, good;

	if (type == NULL || b64 == NULL)
		return fail(out, SIG_MALFORMED, "not a DSSE envelope "
		    "(payloadType, payload, 1 to %d signatures)",
		    SIG_DSSE_SIGS_MAX);
	if (sig_b64_decode(b64, strlen(b64), 0, &payload, &plen, NULL) != RW_OK)
		return fail(out, SIG_MALFORMED, "the DSSE payload is not "
		    "base64");
	/* Peeked first: an unsigned envelope can then be named for what
	   it claims to be ("OpenVEX ... is not signed by ..."). */
	peek(payload, plen, out);
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    json_array_size(sigs) > SIG_DSSE_SIGS_MAX) {
		free(payload);
		return fail(out, SIG_MALFORMED, "not a DSSE envelope "
		    "(payloadType, payload, 1 to %d signatures)",
		    SIG_DSSE_SIGS_MAX);
	}
	rc = make_pae(type, payload, plen, &pae, &paelen);
	if (rc == RW_OK)
		rc = any_sig(k, sigs, pae, paelen, &good, err);
	free(pae);
	if (rc == RW_OK && !good)
		rc = fail(out, SIG_BAD_SIGNATURE, "the DSSE signature does not "
		    "verify with %s key %s", sig_key_kind(k), sig_key_id(k));
	else if (rc == RW_OK && strcmp(type, SIG_BUNDLE_INTOTO) != 0)
		rc = fail(out, SIG_WRONG_TYPE, "the DSSE payload type is not "
		    "%s", SIG_BUNDLE_INTOTO);
	else if (rc == RW_OK) {
		rc = statement(payload, plen, digest, out);
		if (rc == RW_OK && out->verdict == SIG_VALID) {
			out->statement = (char *)payload;
			out->slen = plen;
			payload = NULL;
			snprintf(out->reason, sizeof(out->reason), "attested "
			    "by %s key %s", sig_key_kind(k), sig_key_id(k));
		}
	}
	free(payload);
	return rc;
}

int
sig_dsse_verify(const struct sig_key *k, const char *env, size_t len,
    const char *digest, struct sig_dsse_result *out, struct rw_err *err)
{
	json_t *doc;
	int rc;

	if (out == NULL)
		return RW_EINVAL;
	memset(out, 0, sizeof(*out));
	out->verdict = SIG_MALFORMED;
	if (k == NULL || env == NULL || digest == NULL || digest[0] == '\0')
		return rw_err_set(err, RW_EINVAL, "sig_dsse_verify: missing "
		    "argument");
	if (len > SIG_DSSE_MAX)
		return fail(out, SIG_MALFORMED, "the DSSE envelope is larger "
		    "than %d bytes", SIG_DSSE_MAX);
	doc = json_loadb(env, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(out, SIG_MALFORMED, "the DSSE envelope is not a "
		    "JSON object");
	}
	out->verdict = SIG_VALID;
	rc = judge(k, doc, digest, out, err);
	json_decref(doc);
	if (rc != RW_OK) {
		out->verdict = SIG_MALFORMED;
		sig_reason_undecided(out->reason, sizeof(out->reason), rc, err);
	}
	return rc;
}

void
sig_dsse_result_free(struct sig_dsse_result *r)
{
	if (r == NULL)
		return;
	free(r->statement);
	r->statement = NULL;
	r->slen = 0;
}
