/* fuzz_route.c - route_parse: the request target of every client request. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/route.h"
#include "tests/fuzz/fuzzcfg.h"

static struct rw_config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg = fz_config();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route r;
	struct rw_err err;
	char *uri;
	int rc;

	if (size > 16384)
		return 0;
	uri = fz_strndup(data, size);
	rw_err_clear(&err);
	memset(&r, 0, sizeof(r));
	rc = route_parse(cfg, uri, &r, &err);
	if (rc == RW_OK) {
		/* What route_parse admits, the rest of the proxy trusts. */
		FZ_ASSERT(r.up != NULL, "no upstream for %s", uri);
		FZ_ASSERT(strlen(r.name) == 0 ||
		    route_valid_name(r.name, strlen(r.name)),
		    "admitted name %s", r.name);
		FZ_ASSERT(strpbrk(r.name, "\r\n%") == NULL &&
		    strpbrk(r.ref, "\r\n%/") == NULL &&
		    strpbrk(r.upstream_query, "\r\n ") == NULL,
		    "control bytes admitted from %s", uri);
		if (r.kind == ROUTE_BLOB || r.kind == ROUTE_REFERRERS ||
		    (r.kind == ROUTE_MANIFEST && r.ref_is_digest))
			FZ_ASSERT(route_valid_digest(r.ref, strlen(r.ref)) != 0,
			    "admitted digest %s", r.ref);
		else if (r.kind == ROUTE_MANIFEST)
			FZ_ASSERT(route_valid_tag(r.ref, strlen(r.ref)),
			    "admitted tag %s", r.ref);
	} else {
		FZ_ASSERT(r.http_status >= 400 && r.http_status < 600 &&
		    r.oci_code != NULL && err.msg[0] != '\0',
		    "refusal without an answer for %s", uri);
	}
	free(uri);
	return 0;
}
