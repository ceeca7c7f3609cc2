/*
 * fuzz_dsse.c - the DSSE envelope of a Sigstore bundle: the input is the
 * text of "dsseEnvelope" spliced into the conformance suite's happy-path
 * in-toto bundle (happy-path-intoto-in-dsse-v3), so that every input
 * reaches the envelope (payload, payloadType, signatures, the PAE) with a
 * real certificate and log entry around it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Without the signer's key, an envelope whose payload changes stops at
 * the signature check: the in-toto statement behind it is only reached
 * with the seed's own bytes.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzzsig.h"

#define MARK	"\"@@DSSE@@\""

static char *head, *tail;
static size_t hlen, tlen;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len;
	char *text = fz_fixture("tests/fixtures/sigstore-conformance/"
	    "bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
	    &len);
	json_t *doc = json_loadb(text, len, 0, NULL);
	char *out, *m;

	(void)argc;
	(void)argv;
	if (doc == NULL || json_object_set_new(doc, "dsseEnvelope",
	    json_string("@@DSSE@@")) != 0)
		abort();
	out = json_dumps(doc, JSON_COMPACT);
	m = out != NULL ? strstr(out, MARK) : NULL;
	if (m == NULL)
		abort();
	head = out;
	hlen = (size_t)(m - out);
	tail = m + strlen(MARK);
	tlen = strlen(tail);
	json_decref(doc);
	free(text);
	fz_bundle_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size > 256 * 1024)
		return 0;
	buf = malloc(hlen + size + tlen);
	if (buf == NULL)
		abort();
	memcpy(buf, head, hlen);
	if (size > 0)
		memcpy(buf + hlen, data, size);
	memcpy(buf + hlen + size, tail, tlen);
	fz_bundle_check(buf, hlen + size + tlen);
	free(buf);
	return 0;
}
