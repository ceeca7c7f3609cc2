/* test_framing.c - one reading of a request's length: the framing and Host rules. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/framing.h"

/* A request's headers as "Name: value" lines, NULL-ended. */
struct fcase {
	const char	*hdrs[6];
	int		 http11;
	int		 rc;
	int64_t		 len;		/* on RW_OK */
	int		 chunked;
	const char	*code;		/* on error */
	const char	*msg;
};

#define BOTH	"a request may not carry both Content-Length and " \
		"Transfer-Encoding"
#define TE_ONLY	"Transfer-Encoding other than a single \"chunked\" is not " \
		"supported"

static const struct fcase fcases[] = {
	/* well framed */
	{ { "Host: r", NULL }, 1, RW_OK, -1, 0, NULL, NULL },
	{ { "Host: r", "Content-Length: 0", NULL }, 1, RW_OK, 0, 0, NULL, NULL },
	{ { "host: r", "content-length: 1234", NULL }, 1, RW_OK, 1234, 0,
	  NULL, NULL },
	{ { "Host: r", "Transfer-Encoding: chunked", NULL }, 1, RW_OK, -1, 1,
	  NULL, NULL },
	{ { "Host: r", "Transfer-Encoding: CHUNKED", NULL }, 1, RW_OK, -1, 1,
	  NULL, NULL },
	{ { "Content-Length: 5", NULL }, 0, RW_OK, 5, 0, NULL, NULL },
	{ { "Host: r", "Accept: */*", "X-Content-Length: 9", NULL }, 1, RW_OK,
	  -1, 0, NULL, NULL },
	/* smuggling shapes */
	{ { "Host: r", "Content-Length: 5", "Transfer-Encoding: chunked",
	    NULL }, 1, RW_EINVAL, 0, 0, "UNSUPPORTED", BOTH },
	{ { "Host: r", "Transfer-Encoding: chunked", "Content-Length: 0",
	    NULL }, 1, RW_EINVAL, 0, 0, "UNSUPPORTED", BOTH },
	{ { "Host: r", "Transfer-Encoding: xchunked", NULL }, 1, RW_EINVAL, 0,
	  0, "UNSUPPORTED", TE_ONLY },
	{ { "Host: r", "Transfer-Encoding: gzip, chunked", NULL }, 1,
	  RW_EINVAL, 0, 0, "UNSUPPORTED", TE_ONLY },
	{ { "Host: r", "Transfer-Encoding: chunked",
	    "Transfer-Encoding: chunked", NULL }, 1, RW_EINVAL, 0, 0,
	  "UNSUPPORTED", TE_ONLY },
	{ { "Host: r", "Transfer-Encoding: ", NULL }, 1, RW_EINVAL, 0, 0,
	  "UNSUPPORTED", TE_ONLY },
	{ { "Host: r", "Content-Length: 5", "Content-Length: 7", NULL }, 1,
	  RW_EINVAL, 0, 0, "SIZE_INVALID", "more than one Content-Length "
	  "header" },
	{ { "Host: r", "Content-Length: 5", "content-length: 5", NULL }, 1,
	  RW_EINVAL, 0, 0, "SIZE_INVALID", "more than one Content-Length "
	  "header" },
	{ { "Host: r", "Content-Length: 5, 5", NULL }, 1, RW_EINVAL, 0, 0,
	  "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: +5", NULL }, 1, RW_EINVAL, 0, 0,
	  "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: -1", NULL }, 1, RW_EINVAL, 0, 0,
	  "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: ", NULL }, 1, RW_EINVAL, 0, 0,
	  "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: 0x10", NULL }, 1, RW_EINVAL, 0, 0,
	  "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: 1234567890123456789", NULL }, 1,
	  RW_EINVAL, 0, 0, "SIZE_INVALID", "invalid Content-Length" },
	{ { "Host: r", "Content-Length: 123456789012345678", NULL }, 1, RW_OK,
	  INT64_C(123456789012345678), 0, NULL, NULL },
	/* Host (RFC 9112 §3.2) */
	{ { "Accept: */*", NULL }, 1, RW_EINVAL, 0, 0, "UNSUPPORTED",
	  "an HTTP/1.1 request must carry a Host header" },
	{ { NULL }, 0, RW_OK, -1, 0, NULL, NULL },
	{ { "Host: a", "Host: b", NULL }, 1, RW_EINVAL, 0, 0, "UNSUPPORTED",
	  "more than one Host header" },
	{ { "Host: a", "HOST: a", NULL }, 0, RW_EINVAL, 0, 0, "UNSUPPORTED",
	  "more than one Host header" },
};

static void
test_cases(void **state)
{
	struct framing f;
	struct framing_body b;
	struct rw_err err;
	char names[6][64];
	const char *code, *colon;
	size_t i, k, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		const struct fcase *c = &fcases[i];

		framing_init(&f);
		for (k = 0; c->hdrs[k] != NULL; k++) {
			colon = strchr(c->hdrs[k], ':');
			n = (size_t)(colon - c->hdrs[k]);
			memcpy(names[k], c->hdrs[k], n);
			names[k][n] = '\0';
			framing_add(&f, names[k], colon + 2);
		}
		rw_err_clear(&err);
		code = NULL;
		rc = framing_check(&f, c->http11, &b, &code, &err);
		print_message("case %zu\n", i);
		assert_int_equal(rc, c->rc);
		if (rc == RW_OK) {
			assert_int_equal(b.len, c->len);
			assert_int_equal(b.chunked, c->chunked);
		} else {
			assert_string_equal(code, c->code);
			assert_string_equal(err.msg, c->msg);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
