/*
 * fuzz_pem.c - PEM through OpenSSL: sig_key_load (policy "cosign" keys,
 * key.pub of verify-bundle) and sig_cert_identity (the SANs and OIDC
 * issuer extension of a Fulcio certificate, X.509 via OpenSSL).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sig/sig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	char subject[256], issuer[256];
	char *s;

	rw_err_clear(&err);
	if (sig_key_load((const char *)data, size, &k, &err) == RW_OK) {
		FZ_ASSERT(k != NULL && strncmp(sig_key_id(k), "sha256:", 7) == 0,
		    "key without an id");
		sig_key_free(k);
	} else
		FZ_ASSERT(k == NULL && err.msg[0] != '\0', "error leaves a key");
	s = fz_strndup(data, size);
	if (sig_cert_identity(s, subject, sizeof(subject), issuer,
	    sizeof(issuer)) != 0)
		FZ_ASSERT(subject[0] == '\0' || issuer[0] == '\0',
		    "-1 with both subject and issuer");
	free(s);
	return 0;
}
