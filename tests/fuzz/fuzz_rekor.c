/*
 * fuzz_rekor.c - sig_rekor_verify_set: the "dev.sigstore.cosign/bundle"
 * annotation (a Rekor SET over a hashedrekord entry) of a key-signed
 * cosign signature, with the fixture's payload, signature and Rekor key
 * (tests/fixtures/cosign/dir-img-cosign-key-rekor-valid).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: the annotation's JSON.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/sig/sig.h"

static struct sig_key *rekor, *signer;
static char *payload, *sig_b64;
static size_t plen;

static struct sig_key *
load_key(const char *rel)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	size_t len;
	char *pem = fz_fixture(rel, &len);

	rw_err_clear(&err);
	if (sig_key_load(pem, len, &k, &err) != RW_OK)
		abort();
	free(pem);
	return k;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len;
	char *raw = fz_fixture("tests/fixtures/cosign/"
	    "dir-img-cosign-key-rekor-valid/signature-1", &len);
	json_t *doc;
	const char *p64;
	unsigned char *p;
	struct rw_err err;

	(void)argc;
	(void)argv;
	/* "\0sigstore-json\n" then the JSON object. */
	doc = json_loadb(raw + 15, len - 15, 0, NULL);
	if (doc == NULL)
		abort();
	p64 = json_string_value(json_object_get(doc, "payload"));
	sig_b64 = strdup(json_string_value(json_object_get(json_object_get(
	    doc, "annotations"), "dev.cosignproject.cosign/signature")));
	rw_err_clear(&err);
	if (p64 == NULL || sig_b64 == NULL ||
	    sig_b64_decode(p64, strlen(p64), 0, &p, &plen, &err) != RW_OK)
		abort();
	payload = (char *)p;
	json_decref(doc);
	free(raw);
	rekor = load_key("tests/fixtures/cosign/rekor.pub");
	signer = load_key("tests/fixtures/cosign/cosign2.pub");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_rekor out;
	struct rw_err err;
	int rc;

	if (size > SIG_REKOR_BUNDLE_MAX)
		return 0;
	rw_err_clear(&err);
	memset(&out, 0, sizeof(out));
	rc = sig_rekor_verify_set(rekor, (const char *)data, size, sig_b64,
	    payload, plen, NULL, signer, &out, &err);
	FZ_ASSERT(rc == RW_OK || out.verdict == SIG_MALFORMED,
	    "error %d with verdict %d", rc, out.verdict);
	return 0;
}
