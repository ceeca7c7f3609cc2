/* test_facts_sig.c - cosign .sig layers and signature referrers, parsed as the proxy and explain read them. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "server/facts.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D512 "sha512:33333333333333333333333333333333333333333333333333333333" \
	"333333333333333333333333333333333333333333333333333333333333333333333333"
#define SIGMT "application/vnd.dev.cosign.simplesigning.v1+json"
#define BUNDLE_MT "application/vnd.dev.sigstore.bundle.v0.3+json"

/* A JSON document as a string the caller frees. */
static char *
dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	assert_non_null(s);
	json_decref(o);
	return s;
}

/* A string of N copies of C (caller frees). */
static char *
filled(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
cleanup_all(struct facts_sig *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		facts_sig_cleanup(&s[i]);
}

/* ------------------------------------------------------------ .sig layers */

static void
test_layers(void **state)
{
	struct facts_sig s[FACTS_SIG_MAX];
	char *body;
	size_t n;

	(void)state;
	body = dump(json_pack("{s:i,s:[{s:s,s:s,s:i,s:{s:s,s:s,s:s,s:s}},"
	    "{s:s,s:i},{}]}", "schemaVersion", 2, "layers",
	    "mediaType", SIGMT, "digest", D1, "size", 245, "annotations",
	    "dev.cosignproject.cosign/signature", "MEUCIQ==",
	    "dev.sigstore.cosign/certificate", "-----BEGIN CERTIFICATE-----",
	    "dev.sigstore.cosign/chain", "chain-pem",
	    "dev.sigstore.cosign/bundle", "{\"SignedEntryTimestamp\":\"x\"}",
	    "digest", D512, "size", 10));
	n = facts_sig_layers(body, strlen(body), s, FACTS_SIG_MAX);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].origin, "signature layer 1");
	assert_string_equal(s[0].media_type, SIGMT);
	assert_string_equal(s[0].digest, D1);
	assert_int_equal(s[0].referrer, 0);
	assert_string_equal(s[0].sig_b64, "MEUCIQ==");
	assert_string_equal(s[0].cert_pem, "-----BEGIN CERTIFICATE-----");
	assert_string_equal(s[0].chain_pem, "chain-pem");
	assert_string_equal(s[0].bundle_json, "{\"SignedEntryTimestamp\":\"x\"}");
	assert_null(s[0].payload);
	/* A sha512 blob is not fetched; nothing else is there. */
	assert_string_equal(s[1].origin, "signature layer 2");
	assert_string_equal(s[1].media_type, "");
	assert_string_equal(s[1].digest, "");
	assert_null(s[1].sig_b64);
	assert_null(s[1].cert_pem);
	/* An empty layer still counts: the policy calls it malformed. */
	assert_string_equal(s[2].origin, "signature layer 3");
	assert_string_equal(s[2].digest, "");
	cleanup_all(s, n);
	free(body);
}

/* Which descriptors name a blob worth fetching. */
static void
test_layer_descriptors(void **state)
{
	static const struct {
		const char	*json;
		int		 fetched;
	} rows[] = {
		{ "{\"digest\":\"" D1 "\",\"size\":65536}", 1 },
		{ "{\"digest\":\"" D1 "\",\"size\":0}", 1 },
		{ "{\"digest\":\"" D1 "\",\"size\":65537}", 0 },
		{ "{\"digest\":\"" D1 "\",\"size\":-1}", 0 },
		{ "{\"digest\":\"" D1 "\",\"size\":\"12\"}", 0 },
		{ "{\"digest\":\"" D1 "\",\"size\":1.5}", 0 },
		{ "{\"digest\":\"" D1 "\"}", 0 },
		{ "{\"digest\":\"sha256:abcd\",\"size\":4}", 0 },
		{ "{\"digest\":\"" D1 "0\",\"size\":4}", 0 },
		/* Not lower-case hex: it would go into an upstream URL. */
		{ "{\"digest\":\"sha256:1111111111111111111111111111111111111"
		  "11111111111111111111111111 \",\"size\":4}", 0 },
		{ "{\"digest\":\"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"size\":4}", 0 },
		{ "{\"digest\":\"md5:1111111111111111111111111111111111111111"
		  "1111111111111111111111111\",\"size\":4}", 0 },
		{ "{\"digest\":7,\"size\":4}", 0 },
		{ "{\"mediaType\":7,\"digest\":\"" D1 "\",\"size\":4}", 1 },
	};
	struct facts_sig s[1];
	char body[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(body, sizeof(body), "{\"layers\":[%s]}", rows[i].json);
		assert_int_equal(facts_sig_layers(body, strlen(body), s, 1), 1);
		if (rows[i].fetched)
			assert_string_equal(s[0].digest, D1);
		else
			assert_string_equal(s[0].digest, "");
		assert_string_equal(s[0].media_type, "");
		facts_sig_cleanup(&s[0]);
	}
}

/* Annotations: strings only, and no longer than their caps. */
static void
test_layer_annotation_caps(void **state)
{
	char *sig_ok = filled(FACTS_SIG_B64_MAX - 1, 'A');
	char *sig_long = filled(FACTS_SIG_B64_MAX, 'A');
	char *cert_ok = filled(FACTS_SIG_BLOB_CAP, 'C');
	char *cert_long = filled(FACTS_SIG_BLOB_CAP + 1, 'C');
	struct facts_sig s[2];
	char *body;

	(void)state;
	body = dump(json_pack("{s:[{s:{s:s,s:s,s:s,s:i}},{s:{s:s,s:s,s:[]}}]}",
	    "layers", "annotations",
	    "dev.cosignproject.cosign/signature", sig_ok,
	    "dev.sigstore.cosign/certificate", cert_ok,
	    "dev.sigstore.cosign/chain", cert_long,
	    "dev.sigstore.cosign/bundle", 1,
	    "annotations",
	    "dev.cosignproject.cosign/signature", sig_long,
	    "dev.sigstore.cosign/certificate", cert_long,
	    "dev.sigstore.cosign/chain"));
	assert_int_equal(facts_sig_layers(body, strlen(body), s, 2), 2);
	assert_non_null(s[0].sig_b64);
	assert_int_equal(strlen(s[0].sig_b64), FACTS_SIG_B64_MAX - 1);
	assert_non_null(s[0].cert_pem);
	assert_int_equal(strlen(s[0].cert_pem), FACTS_SIG_BLOB_CAP);
	assert_null(s[0].chain_pem);
	assert_null(s[0].bundle_json);
	assert_null(s[1].sig_b64);
	assert_null(s[1].cert_pem);
	assert_null(s[1].chain_pem);
	cleanup_all(s, 2);
	free(body);
	free(sig_ok);
	free(sig_long);
	free(cert_ok);
	free(cert_long);
}

/* At most MAX layers, counted from the first; odd documents give none. */
static void
test_layers_max_and_odd(void **state)
{
	static const char *const odd[] = {
		"not json", "", "[]", "{\"layers\":{}}", "{\"layers\":null}",
		"{\"layers\":[{}],\"layers\":[{}]}",	/* duplicate key */
	};
	static const char five[] = "{\"layers\":[{},{},{},{},{}]}";
	struct facts_sig s[FACTS_SIG_MAX];
	size_t i;

	(void)state;
	assert_int_equal(facts_sig_layers(five, strlen(five), s, 2), 2);
	assert_string_equal(s[1].origin, "signature layer 2");
	cleanup_all(s, 2);
	assert_int_equal(facts_sig_layers(five, strlen(five), s, 0), 0);
	assert_int_equal(facts_sig_layers(NULL, 0, s, 2), 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_int_equal(facts_sig_layers(odd[i], strlen(odd[i]), s,
		    FACTS_SIG_MAX), 0);
}

/* -------------------------------------------------------------- referrers */

static void
test_referrers_filter(void **state)
{
	static const char body[] = "{\"schemaVersion\":2,\"manifests\":["
	    "{\"artifactType\":\"application/vnd.cncf.notary.signature\","
	    "\"digest\":\"" D1 "\"},"
	    "{\"artifactType\":\"application/vnd.in-toto+json\","
	    "\"digest\":\"" D2 "\"},"
	    "{\"digest\":\"" D2 "\"},"
	    "{\"artifactType\":7,\"digest\":\"" D2 "\"},"
	    "{\"artifactType\":\"application/vnd.cncf.notary.signature\","
	    "\"digest\":\"" D512 "\"},"
	    "{\"artifactType\":\"application/vnd.cncf.notary.signature\","
	    "\"digest\":\"sha256:12\"},"
	    "{\"artifactType\":\"application/vnd.cncf.notary.signature\"},"
	    "{\"artifactType\":\"application/vnd.cncf.notary.signature+x\","
	    "\"digest\":\"" D2 "\"},"
	    "{\"artifactType\":\"" BUNDLE_MT "\",\"digest\":\"" D2 "\"},"
	    "{\"artifactType\":\"application/vnd.dev.sigstore.bundle\","
	    "\"digest\":\"" D1 "\"}]}";
	char d[FACTS_REFERRERS_MAX][RW_DIGEST_MAX];

	(void)state;
	assert_int_equal(facts_sig_referrers(body, strlen(body), d,
	    FACTS_REFERRERS_MAX), 3);
	assert_string_equal(d[0], D1);
	assert_string_equal(d[1], D2);
	assert_string_equal(d[2], D1);
	assert_int_equal(facts_sig_referrers(body, strlen(body), d, 1), 1);
	assert_string_equal(d[0], D1);
}

static void
test_referrers_max_and_odd(void **state)
{
	static const char *const odd[] = {
		"not json", "{}", "{\"manifests\":{}}", "{\"manifests\":[1,\"a\"]}",
		"{\"manifests\":[],\"manifests\":[]}",
	};
	char d[FACTS_REFERRERS_MAX][RW_DIGEST_MAX];
	json_t *list = json_array();
	char *body;
	size_t i;

	(void)state;
	for (i = 0; i < FACTS_REFERRERS_MAX + 3; i++)
		json_array_append_new(list, json_pack("{s:s,s:s}",
		    "artifactType", FACTS_NOTARY_TYPE, "digest", D1));
	body = dump(json_pack("{s:o}", "manifests", list));
	assert_int_equal(facts_sig_referrers(body, strlen(body), d,
	    FACTS_REFERRERS_MAX), FACTS_REFERRERS_MAX);
	free(body);
	assert_int_equal(facts_sig_referrers(NULL, 0, d, FACTS_REFERRERS_MAX),
	    0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_int_equal(facts_sig_referrers(odd[i], strlen(odd[i]), d,
		    FACTS_REFERRERS_MAX), 0);
}

/* ------------------------------------------------------ one referrer */

/* A referrer manifest naming SUBJECT with one layer LAYER (consumed, or
 * NULL for none); *DIGEST gets its digest.  Caller frees. */
static char *
referrer(const char *subject, json_t *layer, char digest[RW_DIGEST_MAX])
{
	json_t *o = json_pack("{s:i,s:s,s:s}", "schemaVersion", 2,
	    "mediaType", "application/vnd.oci.image.manifest.v1+json",
	    "artifactType", FACTS_NOTARY_TYPE);
	char *s;

	if (subject != NULL)
		json_object_set_new(o, "subject", json_pack("{s:s,s:s,s:i}",
		    "mediaType", "application/vnd.oci.image.manifest.v1+json",
		    "digest", subject, "size", 500));
	json_object_set_new(o, "layers", layer != NULL ?
	    json_pack("[o]", layer) : json_array());
	s = dump(o);
	assert_int_equal(rw_digest(RW_HASH_SHA256, s, strlen(s), digest), RW_OK);
	return s;
}

static void
test_referrer(void **state)
{
	struct facts_sig s;
	char d[RW_DIGEST_MAX], *body;

	(void)state;
	body = referrer(D1, json_pack("{s:s,s:s,s:i}", "mediaType",
	    "application/jose+json", "digest", D2, "size", 2000), d);
	memset(&s, 0x5a, sizeof(s));	/* cleared by the parser */
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 1);
	assert_int_equal(s.referrer, 1);
	assert_memory_equal(s.origin, "Notation signature ", 19);
	assert_int_equal(strlen(s.origin), 19 + 12);
	assert_memory_equal(s.origin + 19, d + 7, 12);
	assert_string_equal(s.etype, "application/jose+json");
	assert_string_equal(s.digest, D2);
	assert_null(s.envelope);
	assert_null(s.sig_b64);
	assert_string_equal(s.media_type, "");
	facts_sig_cleanup(&s);
	free(body);

	/* A Sigstore bundle says so in its origin. */
	body = referrer(D1, json_pack("{s:s,s:s,s:i}", "mediaType", BUNDLE_MT,
	    "digest", D2, "size", 9000), d);
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 1);
	assert_memory_equal(s.origin, "Sigstore bundle ", 16);
	assert_string_equal(s.etype, BUNDLE_MT);
	facts_sig_cleanup(&s);
	free(body);
}

/* Odd layers still count; the envelope is then not fetched. */
static void
test_referrer_odd_layer(void **state)
{
	struct facts_sig s;
	char d[RW_DIGEST_MAX], *body;

	(void)state;
	body = referrer(D1, json_pack("{s:s,s:i}", "digest", D2, "size",
	    FACTS_SIG_BLOB_CAP + 1), d);
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 1);
	assert_memory_equal(s.origin, "Notation signature ", 19);
	assert_string_equal(s.etype, "");
	assert_string_equal(s.digest, "");
	facts_sig_cleanup(&s);
	free(body);
	body = referrer(D1, NULL, d);		/* no layer at all */
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 1);
	assert_string_equal(s.digest, "");
	facts_sig_cleanup(&s);
	free(body);
}

/* Another subject, none, or bytes that are not the digest: not counted,
 * and OUT untouched. */
static void
test_referrer_not_counted(void **state)
{
	struct facts_sig s, zero;
	char d[RW_DIGEST_MAX], *body;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&s, 0, sizeof(s));
	body = referrer(D2, json_pack("{s:s,s:s,s:i}", "mediaType",
	    "application/cose", "digest", D2, "size", 10), d);
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 0);
	assert_memory_equal(&s, &zero, sizeof(s));
	/* The right subject, but fetched as another digest. */
	assert_int_equal(facts_sig_referrer(body, strlen(body), D1, D2, &s), 0);
	assert_memory_equal(&s, &zero, sizeof(s));
	free(body);
	body = referrer(NULL, json_pack("{s:s}", "mediaType",
	    "application/cose"), d);
	assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1, &s), 0);
	free(body);
	assert_int_equal(rw_digest(RW_HASH_SHA256, "[]", 2, d), RW_OK);
	assert_int_equal(facts_sig_referrer("[]", 2, d, D1, &s), 0);
	assert_int_equal(rw_digest(RW_HASH_SHA256, "{", 1, d), RW_OK);
	assert_int_equal(facts_sig_referrer("{", 1, d, D1, &s), 0);
	assert_memory_equal(&s, &zero, sizeof(s));
}

/* ------------------------------------------------------------------ blobs */

static void
test_blob(void **state)
{
	static const char payload[] = "{\"critical\":{}}";
	struct facts_sig s;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rw_digest(RW_HASH_SHA256, payload, strlen(payload),
	    s.digest), RW_OK);
	/* Other bytes are left out. */
	assert_int_equal(facts_sig_blob(&s, "{}", 2, &err), RW_OK);
	assert_null(s.payload);
	assert_int_equal(facts_sig_blob(&s, payload, strlen(payload), &err),
	    RW_OK);
	assert_non_null(s.payload);
	assert_int_equal(s.plen, strlen(payload));
	assert_string_equal(s.payload, payload);
	assert_null(s.envelope);
	/* A referrer keeps it as its envelope. */
	s.referrer = 1;
	assert_int_equal(facts_sig_blob(&s, payload, strlen(payload), &err),
	    RW_OK);
	assert_string_equal(s.envelope, payload);
	assert_int_equal(s.elen, strlen(payload));
	facts_sig_cleanup(&s);
	/* No digest: nothing matches, not even nothing. */
	assert_int_equal(facts_sig_blob(&s, NULL, 0, &err), RW_OK);
	assert_null(s.payload);
	assert_string_equal(err.msg, "");
}

/* At most FACTS_SIG_BLOB_CAP bytes, even when they hash right. */
static void
test_blob_cap(void **state)
{
	char *big = filled(FACTS_SIG_BLOB_CAP + 1, 'x');
	struct facts_sig s;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rw_digest(RW_HASH_SHA256, big, FACTS_SIG_BLOB_CAP + 1,
	    s.digest), RW_OK);
	assert_int_equal(facts_sig_blob(&s, big, FACTS_SIG_BLOB_CAP + 1, &err),
	    RW_OK);
	assert_null(s.payload);
	assert_int_equal(rw_digest(RW_HASH_SHA256, big, FACTS_SIG_BLOB_CAP,
	    s.digest), RW_OK);
	assert_int_equal(facts_sig_blob(&s, big, FACTS_SIG_BLOB_CAP, &err),
	    RW_OK);
	assert_int_equal(s.plen, FACTS_SIG_BLOB_CAP);
	facts_sig_cleanup(&s);
	free(big);
}

/*
 * .att layers: fetched up to the cap the caller gives (an SBOM of
 * megabytes), their declared size kept for the memory budget, and the blob
 * kept up to that cap, not FACTS_SIG_BLOB_CAP.
 */
static void
test_att_layers(void **state)
{
	static const char body[] = "{\"layers\":[{\"digest\":\"" D1 "\","
	    "\"size\":2000000},{\"digest\":\"" D1 "\",\"size\":2000001}]}";
	char *big = filled(FACTS_SIG_BLOB_CAP + 1, 'x');
	struct facts_sig s[2];
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(facts_att_layers(body, strlen(body), s, 2, 2000000), 2);
	assert_string_equal(s[0].digest, D1);
	assert_int_equal(s[0].size, 2000000);
	assert_int_equal(s[0].cap, 2000000);
	assert_string_equal(s[1].digest, "");
	assert_int_equal(s[1].size, 0);
	/* a .sig layer of the same size is never fetched */
	cleanup_all(s, 2);
	assert_int_equal(facts_sig_layers(body, strlen(body), s, 1), 1);
	assert_string_equal(s[0].digest, "");
	facts_sig_cleanup(&s[0]);
	/* the blob: past FACTS_SIG_BLOB_CAP, within the layer's cap */
	assert_int_equal(facts_att_layers(body, strlen(body), s, 1, 2000000), 1);
	assert_int_equal(rw_digest(RW_HASH_SHA256, big, FACTS_SIG_BLOB_CAP + 1,
	    s[0].digest), RW_OK);
	assert_int_equal(facts_sig_blob(&s[0], big, FACTS_SIG_BLOB_CAP + 1,
	    &err), RW_OK);
	assert_int_equal(s[0].plen, FACTS_SIG_BLOB_CAP + 1);
	facts_sig_cleanup(&s[0]);
	free(big);
}

/* A bundle referrer's envelope up to the attestation cap; Notation's not. */
static void
test_att_referrer(void **state)
{
	static const char *types[] = {
	    "application/vnd.dev.sigstore.bundle.v0.3+json",
	    "application/jose+json" };
	static const size_t caps[] = { 1048576, FACTS_SIG_BLOB_CAP };
	char body[1024], d[RW_DIGEST_MAX];
	struct facts_sig s;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof(body), "{\"subject\":{\"digest\":\"" D1
		    "\"},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\""
		    D2 "\",\"size\":300000}]}", types[i]);
		assert_int_equal(rw_digest(RW_HASH_SHA256, body, strlen(body),
		    d), RW_OK);
		assert_int_equal(facts_att_referrer(body, strlen(body), d, D1,
		    &s, 1048576), 1);
		assert_int_equal(s.cap, caps[i]);
		assert_string_equal(s.digest, i == 0 ? D2 : "");
		facts_sig_cleanup(&s);
		/* for signatures alone, 64 KiB */
		assert_int_equal(facts_sig_referrer(body, strlen(body), d, D1,
		    &s), 1);
		assert_string_equal(s.digest, "");
		facts_sig_cleanup(&s);
	}
}

/* ------------------------------------------------------ policy's view */

static void
test_input(void **state)
{
	struct policy_sig_input in;
	struct facts_sig s;

	(void)state;
	/* A .sig layer with nothing fetched: no payload, no signature (the
	 * policy counts it malformed). */
	memset(&s, 0, sizeof(s));
	rw_strlcpy(s.origin, "signature layer 1", sizeof(s.origin));
	rw_strlcpy(s.media_type, SIGMT, sizeof(s.media_type));
	facts_sig_input(&s, &in);
	assert_string_equal(in.origin, "signature layer 1");
	assert_null(in.payload);
	assert_int_equal(in.plen, 0);
	assert_null(in.sig_b64);
	assert_string_equal(in.media_type, SIGMT);
	assert_null(in.cert_pem);
	assert_null(in.envelope);
	assert_null(in.envelope_type);

	/* A Notation referrer whose envelope was not kept. */
	s.referrer = 1;
	rw_strlcpy(s.etype, "application/jose+json", sizeof(s.etype));
	facts_sig_input(&s, &in);
	assert_null(in.payload);
	assert_null(in.sig_b64);
	assert_string_equal(in.media_type, FACTS_NOTARY_TYPE);
	assert_string_equal(in.envelope, "");
	assert_int_equal(in.elen, 0);
	assert_string_equal(in.envelope_type, "application/jose+json");

	/* A Sigstore bundle is passed with its own media type. */
	rw_strlcpy(s.etype, BUNDLE_MT, sizeof(s.etype));
	facts_sig_input(&s, &in);
	assert_string_equal(in.media_type, BUNDLE_MT);
	assert_string_equal(in.envelope_type, BUNDLE_MT);

	/* A referrer whose layer named no media type: a cosign input with
	 * nothing in it, which the policy reports. */
	s.etype[0] = '\0';
	s.media_type[0] = '\0';
	facts_sig_input(&s, &in);
	assert_null(in.envelope);
	assert_null(in.payload);
	assert_string_equal(in.media_type, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_att_layers),
		cmocka_unit_test(test_att_referrer),
		cmocka_unit_test(test_layer_descriptors),
		cmocka_unit_test(test_layer_annotation_caps),
		cmocka_unit_test(test_layers_max_and_odd),
		cmocka_unit_test(test_referrers_filter),
		cmocka_unit_test(test_referrers_max_and_odd),
		cmocka_unit_test(test_referrer),
		cmocka_unit_test(test_referrer_odd_layer),
		cmocka_unit_test(test_referrer_not_counted),
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_blob_cap),
		cmocka_unit_test(test_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
