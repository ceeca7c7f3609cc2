/* fuzz_manifest.c - mcache_manifest_refs: manifests and indexes from upstreams and pushes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/mcache.h"
#include "server/route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcache_ref *refs = NULL;
	struct rw_err err;
	char mt[256];
	size_t n = 99, i;
	int rc;

	rw_err_clear(&err);
	rc = mcache_manifest_refs((const char *)data, size, &refs, &n, mt,
	    sizeof(mt), &err);
	if (rc != RW_OK) {
		FZ_ASSERT(refs == NULL && n == 0 && err.msg[0] != '\0',
		    "error %d leaves refs or no message", rc);
		return 0;
	}
	FZ_ASSERT((n == 0) == (refs == NULL), "refs and count disagree");
	FZ_ASSERT(strlen(mt) < sizeof(mt), "media type not terminated");
	for (i = 0; i < n; i++)
		FZ_ASSERT(strlen(refs[i].digest) < RW_DIGEST_MAX &&
		    strchr(refs[i].digest, ':') != NULL,
		    "ref %zu is not algorithm:encoded: %s", i, refs[i].digest);
	free(refs);
	return 0;
}
