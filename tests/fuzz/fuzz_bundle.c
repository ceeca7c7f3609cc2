/*
 * fuzz_bundle.c - sig_bundle_verify: a Sigstore bundle (cosign v3), with
 * the public-good trusted root and the conformance suite's identity.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Seeds: the conformance suite's bundles (tests/fixtures/sigstore-
 * conformance/bundle-verify/), which reach every stage: certificates
 * (X.509), SETs, inclusion proofs, checkpoints, RFC 3161 tokens (CMS).
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzzsig.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_bundle_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_bundle_check((const char *)data, size);
	return 0;
}
