/*
 * fuzz_notation_cose.c - sig_notation_verify_cose: a Notation signature
 * envelope (COSE_Sign1, CBOR) as fetched from a referrer's layer, against the
 * fixture's certificate as trust store, at every trust level.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "policy/sig/sig.h"
#include "tests/fuzz/fuzznot.h"

static const char *store;
static size_t slen;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	store = fz_notation_store(&slen);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_notation_result res;
	struct rw_err err;
	int rc, level;

	if (size < 1 || size > SIG_NOTATION_ENVELOPE_MAX)
		return 0;
	/* The first byte picks the level (strict, permissive, audit). */
	level = data[0] % 3;
	rw_err_clear(&err);
	rc = sig_notation_verify_cose(data + 1, size - 1, store, slen,
	    FZ_NOT_DIGEST, FZ_NOT_SIZE, FZ_NOT_TYPE, FZ_NOT_NOW, level, &res,
	    &err);
	FZ_ASSERT(rc == RW_OK || res.verdict == SIG_NOTATION_MALFORMED,
	    "error %d with verdict %d", rc, res.verdict);
	return 0;
}
