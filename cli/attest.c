/*
 * attest.c - `regwarden attest`: the in-toto statement and its DSSE
 * envelope, as `cosign attest --key` makes them (the rest of the command,
 * resolving, pushing, is sign.c's).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "cli/sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "policy/sig/sig.h"
#include "util/util.h"

/* The statement cosign writes: in-toto v0.1, one subject, the predicate. */
static char *
statement(const char *name, const char *digest, const char *ptype,
    json_t *pred)
{
	json_t *st;
	char *s;

	st = json_pack("{s:s,s:s,s:[{s:s,s:{s:s}}],s:O}", "_type",
	    SIG_INTOTO_V01, "predicateType", ptype, "subject", "name", name,
	    "digest", "sha256", digest + 7, "predicate", pred);
	if (st == NULL)
		return NULL;
	s = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	return s;
}

static char *
b64(const void *data, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* "DSSEv1" SP len(type) SP type SP len(body) SP body */
static char *
pae(const char *body, size_t blen, size_t *len)
{
	size_t tlen = strlen(SIG_BUNDLE_INTOTO), n;
	char *p = malloc(tlen + blen + 64);

	if (p == NULL)
		return NULL;
	n = (size_t)snprintf(p, 64, "DSSEv1 %zu %s %zu ", tlen,
	    SIG_BUNDLE_INTOTO, blen);
	memcpy(p + n, body, blen);
	*len = n + blen;
	return p;
}

int
attest_envelope(const struct sign_key *k, const char *name,
    const char *image_digest, const char *ptype, const char *predicate,
    size_t plen, char **out, size_t *outlen, struct rw_err *err)
{
	char *st = NULL, *p = NULL, *sig = NULL, *body64 = NULL;
	json_t *pred, *env = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	pred = json_loadb(predicate, plen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(pred)) {
		json_decref(pred);
		return rw_err_set(err, RW_EPARSE, "the predicate is not a JSON "
		    "object");
	}
	st = statement(name, image_digest, ptype, pred);
	json_decref(pred);
	p = st != NULL ? pae(st, strlen(st), &n) : NULL;
	body64 = st != NULL ? b64(st, strlen(st)) : NULL;
	if (p == NULL || body64 == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	rc = sign_bytes(k, p, n, &sig, err);
	if (rc != RW_OK)
		goto out;
	env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType",
	    SIG_BUNDLE_INTOTO, "payload", body64, "signatures", "keyid", "",
	    "sig", sig);
	*out = env != NULL ? json_dumps(env, JSON_COMPACT) : NULL;
	if (*out == NULL)
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	else
		*outlen = strlen(*out);
out:
	json_decref(env);
	free(st);
	free(p);
	free(sig);
	free(body64);
	return rc;
}
