/* fuzz_token.c - auth_parse_token_response: a token service's JSON answer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"

#define NOW	1767225600L	/* 2026-01-01T00:00:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_token tok = { 0 };
	struct rw_err err;
	size_t i;

	rw_err_clear(&err);
	if (auth_parse_token_response((const char *)data, size, NOW, &tok,
	    &err) == RW_OK) {
		FZ_ASSERT(tok.token != NULL && tok.len > 0 &&
		    tok.len <= AUTH_TOKEN_MAX && strlen(tok.token) == tok.len,
		    "token length");
		for (i = 0; i < tok.len; i++)
			FZ_ASSERT(tok.token[i] > 0x20 && tok.token[i] < 0x7f,
			    "token byte 0x%02x goes into a header",
			    (unsigned char)tok.token[i]);
		FZ_ASSERT(tok.expires_in >= 60 && tok.expires_at <= NOW +
		    tok.expires_in, "lifetime stretched");
	} else
		FZ_ASSERT(tok.token == NULL && err.msg[0] != '\0',
		    "error leaves a token");
	auth_token_cleanup(&tok);
	return 0;
}
