/* facts_sig.c - cosign .sig layers and signature referrers, parsed. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/facts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/sig/sig.h"

/* A digest worth putting in a URL: sha256, of the right length. */
static int
sha256_digest(const char *d)
{
	/* Lower-case hex only: the digest goes into an upstream URL. */
	return d != NULL && strlen(d) == 71 &&
	    rw_hash_alg_of(d) == RW_HASH_SHA256 &&
	    strspn(d + 7, "0123456789abcdef") == 64;
}

/* Is the blob of descriptor D at most CAP bytes and named by a sha256
 * digest?  Other blobs are not fetched at all. */
static int
fetchable(json_t *d, size_t cap)
{
	json_t *sz = json_object_get(d, "size");

	return sha256_digest(json_string_value(json_object_get(d, "digest"))) &&
	    json_is_integer(sz) && json_integer_value(sz) >= 0 &&
	    (uint64_t)json_integer_value(sz) <= (uint64_t)cap;
}

static int
bundle_type(const char *mt)
{
	return strncmp(mt, SIG_BUNDLE_MEDIA_PREFIX,
	    strlen(SIG_BUNDLE_MEDIA_PREFIX)) == 0;
}

/* A copy of annotation NAME of LAYER when it is a string shorter than
 * LIMIT bytes; NULL otherwise (and when out of memory). */
static char *
annotation(json_t *layer, const char *name, size_t limit)
{
	const char *v = json_string_value(json_object_get(json_object_get(layer,
	    "annotations"), name));

	if (v == NULL || strlen(v) >= limit)
		return NULL;
	return strdup(v);
}

static void
one_layer(json_t *layer, size_t i, struct facts_sig *s, size_t cap)
{
	const char *mt = json_string_value(json_object_get(layer, "mediaType"));

	memset(s, 0, sizeof(*s));
	s->cap = cap;
	snprintf(s->origin, sizeof(s->origin), "signature layer %zu", i + 1);
	if (mt != NULL)
		rw_strlcpy(s->media_type, mt, sizeof(s->media_type));
	s->sig_b64 = annotation(layer, FACTS_SIG_ANNOTATION, FACTS_SIG_B64_MAX);
	s->cert_pem = annotation(layer, FACTS_CERT_ANNOTATION,
	    FACTS_SIG_BLOB_CAP + 1);
	s->chain_pem = annotation(layer, FACTS_CHAIN_ANNOTATION,
	    FACTS_SIG_BLOB_CAP + 1);
	s->bundle_json = annotation(layer, FACTS_BUNDLE_ANNOTATION,
	    FACTS_SIG_BLOB_CAP + 1);
	if (fetchable(layer, cap)) {
		rw_strlcpy(s->digest, json_string_value(json_object_get(layer,
		    "digest")), sizeof(s->digest));
		s->size = (size_t)json_integer_value(json_object_get(layer,
		    "size"));
	}
}

static size_t
layers(const char *body, size_t len, struct facts_sig *out, size_t max,
    size_t cap)
{
	json_t *root, *layer;
	size_t i, n = 0;

	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	    NULL);
	json_array_foreach(json_object_get(root, "layers"), i, layer) {
		if (n >= max)
			break;
		one_layer(layer, i, &out[n++], cap);
	}
	json_decref(root);
	return n;
}

size_t
facts_sig_layers(const char *body, size_t len, struct facts_sig *out,
    size_t max)
{
	return layers(body, len, out, max, FACTS_SIG_BLOB_CAP);
}

size_t
facts_att_layers(const char *body, size_t len, struct facts_sig *out,
    size_t max, size_t cap)
{
	return layers(body, len, out, max, cap);
}

size_t
facts_sig_referrers(const char *body, size_t len, char (*out)[RW_DIGEST_MAX],
    size_t max)
{
	json_t *root, *m;
	const char *at, *d;
	size_t i, n = 0;

	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	    NULL);
	json_array_foreach(json_object_get(root, "manifests"), i, m) {
		if (n >= max)
			break;
		at = json_string_value(json_object_get(m, "artifactType"));
		d = json_string_value(json_object_get(m, "digest"));
		/* Attestations, SBOMs and the like are other referrers. */
		if (at == NULL || (strcmp(at, FACTS_NOTARY_TYPE) != 0 &&
		    !bundle_type(at)) || !sha256_digest(d))
			continue;
		rw_strlcpy(out[n++], d, RW_DIGEST_MAX);
	}
	json_decref(root);
	return n;
}

int
facts_sig_referrer(const char *body, size_t len, const char *digest,
    const char *subject, struct facts_sig *out)
{
	return facts_att_referrer(body, len, digest, subject, out,
	    FACTS_SIG_BLOB_CAP);
}

int
facts_att_referrer(const char *body, size_t len, const char *digest,
    const char *subject, struct facts_sig *out, size_t bundle_cap)
{
	char got[RW_DIGEST_MAX];
	json_t *root, *layer;
	const char *sub, *mt, *d;
	int yes;

	if (rw_digest(RW_HASH_SHA256, body, len, got) != RW_OK ||
	    strcmp(got, digest) != 0)
		return 0;
	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	    NULL);
	sub = json_string_value(json_object_get(json_object_get(root,
	    "subject"), "digest"));
	yes = sub != NULL && strcmp(sub, subject) == 0;
	if (yes) {
		layer = json_array_get(json_object_get(root, "layers"), 0);
		mt = json_string_value(json_object_get(layer, "mediaType"));
		memset(out, 0, sizeof(*out));
		out->referrer = 1;
		out->cap = mt != NULL && bundle_type(mt) ? bundle_cap :
		    FACTS_SIG_BLOB_CAP;
		snprintf(out->origin, sizeof(out->origin), "%s %.12s",
		    mt != NULL && bundle_type(mt) ? "Sigstore bundle" :
		    "Notation signature", digest + 7);
		if (mt != NULL)
			rw_strlcpy(out->etype, mt, sizeof(out->etype));
		d = json_string_value(json_object_get(layer, "digest"));
		if (fetchable(layer, out->cap)) {
			rw_strlcpy(out->digest, d, sizeof(out->digest));
			out->size = (size_t)json_integer_value(json_object_get(
			    layer, "size"));
		}
	}
	json_decref(root);
	return yes;
}

int
facts_sig_blob(struct facts_sig *s, const char *body, size_t len,
    struct rw_err *err)
{
	char got[RW_DIGEST_MAX], *copy;

	if (len > (s->cap != 0 ? s->cap : FACTS_SIG_BLOB_CAP) ||
	    rw_digest(RW_HASH_SHA256, body, len, got) != RW_OK ||
	    strcmp(got, s->digest) != 0)
		return RW_OK;	/* unusable: judged without it */
	copy = malloc(len + 1);
	if (copy == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	if (s->referrer) {
		free(s->envelope);
		s->envelope = copy;
		s->elen = len;
	} else {
		free(s->payload);
		s->payload = copy;
		s->plen = len;
	}
	return RW_OK;
}

void
facts_sig_input(const struct facts_sig *s, struct policy_sig_input *in)
{
	memset(in, 0, sizeof(*in));
	in->origin = s->origin;
	/*
	 * A referrer whose layer named no media type stays a cosign input.
	 * A payload not fetched (or not matching its digest) or a missing
	 * signature annotation stays NULL: the policy counts it malformed.
	 */
	if (s->etype[0] == '\0') {
		in->payload = s->payload;
		in->plen = s->plen;
		in->sig_b64 = s->sig_b64;
		in->media_type = s->media_type;
		in->cert_pem = s->cert_pem;
		in->chain_pem = s->chain_pem;
		in->bundle_json = s->bundle_json;
		return;
	}
	in->media_type = bundle_type(s->etype) ? s->etype : FACTS_NOTARY_TYPE;
	in->envelope = s->envelope != NULL ? s->envelope : "";
	in->elen = s->elen;
	in->envelope_type = s->etype;
}

void
facts_att_input(const struct facts_sig *s, struct policy_att_input *in)
{
	memset(in, 0, sizeof(*in));
	in->origin = s->origin;
	in->envelope = s->payload != NULL ? s->payload : "";
	in->elen = s->plen;
	in->media_type = s->media_type;
	in->cert_pem = s->cert_pem;
	in->chain_pem = s->chain_pem;
	in->bundle_json = s->bundle_json;
}

int
facts_att_bundle(const struct facts_sig *s, struct policy_att_input *in)
{
	if (!s->referrer || !bundle_type(s->etype))
		return 0;
	memset(in, 0, sizeof(*in));
	in->origin = s->origin;
	in->envelope = s->envelope != NULL ? s->envelope : "";
	in->elen = s->elen;
	in->media_type = s->etype;
	return 1;
}

void
facts_sig_cleanup(struct facts_sig *s)
{
	free(s->sig_b64);
	free(s->cert_pem);
	free(s->chain_pem);
	free(s->bundle_json);
	free(s->payload);
	free(s->envelope);
	memset(s, 0, sizeof(*s));
}
