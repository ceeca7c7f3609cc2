/* fuzz_trustroot.c - sig_trustroot_parse: a Sigstore trusted_root.json. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sig/sig.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_trustroot *t = NULL;
	struct rw_err err;
	size_t i;
	int flags;

	if (size < 1)
		return 0;
	/* The first byte picks the flags: full root or Rekor keys only. */
	flags = data[0] & 1 ? SIG_TROOT_REKOR_ONLY : 0;
	rw_err_clear(&err);
	if (sig_trustroot_parse((const char *)data + 1, size - 1, flags, &t,
	    &err) == RW_OK) {
		for (i = 0; i < t->ncas; i++)
			FZ_ASSERT(t->cas[i].valid.start <= t->cas[i].valid.end,
			    "CA window ends before it starts");
		for (i = 0; i < t->ntlogs; i++)
			FZ_ASSERT(t->tlogs[i].key != NULL, "tlog without a key");
		sig_trustroot_free(t);
	} else
		FZ_ASSERT(t == NULL && err.msg[0] != '\0',
		    "error leaves a root");
	return 0;
}
