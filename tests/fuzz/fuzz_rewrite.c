/*
 * fuzz_rewrite.c - route_rewrite_location and route_rewrite_link: an
 * upstream's Location and Link headers rewritten for the client.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: a selector byte (which route: the default upstream, a prefix
 * route to the plain-http one, an ns route), then the header value.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/route.h"
#include "tests/fuzz/fuzzcfg.h"

static struct route routes[3];
static struct rw_config *cfg;	/* the routes point into it */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *uris[3] = {
		"/v2/library/nginx/blobs/uploads/",
		"/v2/local/acme/app/tags/list",
		"/v2/acme/app/blobs/uploads/?ns=ghcr.io",
	};
	struct rw_err err;
	int i;

	(void)argc;
	(void)argv;
	cfg = fz_config();
	for (i = 0; i < 3; i++) {
		rw_err_clear(&err);
		if (route_parse(cfg, uris[i], &routes[i], &err) != RW_OK) {
			fprintf(stderr, "fuzz: %s: %s\n", uris[i], err.msg);
			abort();
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *bases[2] = { "https://127.0.0.1:5443", "" };
	const struct route *r;
	struct rw_err err;
	char out[8192];
	char *s;
	int rc;

	if (size < 1 || size > 8192)
		return 0;
	r = &routes[data[0] % 3];
	s = fz_strndup(data + 1, size - 1);
	rw_err_clear(&err);
	rc = route_rewrite_location(r, s, bases[data[0] >> 7], out,
	    sizeof(out), &err);
	if (rc == RW_OK)
		FZ_ASSERT(strpbrk(out, "\r\n") == NULL &&
		    strstr(out, "/v2/") != NULL, "location rewritten to %s",
		    out);
	rw_err_clear(&err);
	rc = route_rewrite_link(r, s, bases[data[0] >> 7], out, sizeof(out),
	    &err);
	if (rc == RW_OK)
		FZ_ASSERT(strpbrk(out, "\r\n") == NULL, "link rewritten to %s",
		    out);
	free(s);
	return 0;
}
