/*
 * fuzz_htpasswd.c - auth_htpasswd_load (a path API: the input goes to a
 * mode 0600 temporary file first), then auth_basic_decode on the same
 * bytes as an Authorization header.  No bcrypt runs: a check costs tens of
 * milliseconds and would starve the fuzzer.
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
	struct auth_htpasswd *h;
	struct rw_err err;
	char user[AUTH_USER_MAX + 1], pass[AUTH_PASS_MAX + 1], *s;
	const char *path;

	if (size > 64 * 1024)
		return 0;
	path = fz_tmpfile("htpasswd", data, size);
	rw_err_clear(&err);
	h = auth_htpasswd_load(path, &err);
	if (h == NULL)
		FZ_ASSERT(err.msg[0] != '\0', "refused without a message");
	auth_htpasswd_free(h);
	s = fz_strndup(data, size);
	if (auth_basic_decode(s, user, sizeof(user), pass, sizeof(pass)) ==
	    RW_OK)
		FZ_ASSERT(user[0] != '\0' && strchr(user, ':') == NULL,
		    "decoded user \"%s\"", user);
	else
		FZ_ASSERT(user[0] == '\0' && pass[0] == '\0',
		    "refusal leaves credentials");
	free(s);
	return 0;
}
