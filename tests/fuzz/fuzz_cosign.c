/*
 * fuzz_cosign.c - sig_cosign_verify: a cosign simple-signing payload and
 * its base64 signature, as a .sig manifest's layer carries them, against
 * the fixture key (tests/fixtures/cosign/cosign.pub).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: the signature's base64 text, '\n', then the payload.  The seeds
 * are the fixtures' real signatures, so the payload parse is reached past
 * a valid signature and every mutation of it is checked to be refused.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sig/sig.h"

#define DIGEST \
	"sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"

static struct sig_key *key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rw_err err;
	size_t len;
	char *pem = fz_fixture("tests/fixtures/cosign/cosign.pub", &len);

	(void)argc;
	(void)argv;
	rw_err_clear(&err);
	if (sig_key_load(pem, len, &key, &err) != RW_OK)
		abort();
	free(pem);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct sig_result res;
	struct rw_err err;
	char *sig;
	int rc;

	if (nl == NULL)
		return 0;
	sig = fz_strndup(data, (size_t)(nl - data));
	rw_err_clear(&err);
	rc = sig_cosign_verify(key, (const char *)nl + 1,
	    size - (size_t)(nl - data) - 1, sig, DIGEST, &res, &err);
	FZ_ASSERT(rc == RW_OK || res.verdict == SIG_MALFORMED,
	    "error %d with verdict %d", rc, res.verdict);
	free(sig);
	return 0;
}
