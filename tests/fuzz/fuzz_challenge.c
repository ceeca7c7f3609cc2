/*
 * fuzz_challenge.c - auth_parse_challenge (an upstream's WWW-Authenticate)
 * and, for a Bearer challenge it accepts, the token URL built from it.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_challenge c;
	struct rw_err err;
	char url[4096];
	char *s;
	int rc;

	if (size > 16384)
		return 0;
	s = fz_strndup(data, size);
	rw_err_clear(&err);
	rc = auth_parse_challenge(s, &c, &err);
	if (rc == RW_OK) {
		FZ_ASSERT(strlen(c.realm) <= AUTH_REALM_MAX &&
		    strlen(c.scope) <= AUTH_SCOPE_MAX, "field over its max");
		rc = auth_token_url(&c, c.scope, url, sizeof(url));
		if (rc == RW_OK)
			FZ_ASSERT(strpbrk(url, " \r\n\t") == NULL,
			    "token URL with white space: %s", url);
		rc = auth_token_url(&c, "repository:a/b:pull,push", url,
		    sizeof(url));
		FZ_ASSERT(rc != RW_OK || strstr(url, "scope=") != NULL,
		    "token URL without scope: %s", url);
	} else
		FZ_ASSERT(err.msg[0] != '\0', "refused without a message");
	free(s);
	return 0;
}
