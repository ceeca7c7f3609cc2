/* framing.c - one reading of a request's length: Content-Length, Transfer-Encoding and Host checked. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/framing.h"

#include <string.h>
#include <strings.h>

void
framing_init(struct framing *f)
{
	memset(f, 0, sizeof(*f));
}

void
framing_add(struct framing *f, const char *name, const char *value)
{
	if (strcasecmp(name, "Host") == 0) {
		f->nhost++;
	} else if (strcasecmp(name, "Content-Length") == 0) {
		if (f->ncl++ == 0)
			f->cl = value;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		if (f->nte++ == 0)
			f->te = value;
	}
}

/* Digits only: no sign, no space, no list ("5, 5"); at most 18 of them so
 * the value fits an int64_t. */
static int
parse_length(const char *s, int64_t *out)
{
	size_t n = s != NULL ? strspn(s, "0123456789") : 0;

	if (n == 0 || n > 18 || s[n] != '\0')
		return RW_EINVAL;
	return rw_parse_i64(s, 0, INT64_MAX, out);
}

static int
refuse(const char **code, const char *c, struct rw_err *err, const char *msg)
{
	*code = c;
	return rw_err_set(err, RW_EINVAL, "%s", msg);
}

int
framing_check(const struct framing *f, int http11, struct framing_body *out,
    const char **code, struct rw_err *err)
{
	out->len = -1;
	out->chunked = 0;
	if (f->ncl > 0 && f->nte > 0)
		return refuse(code, "UNSUPPORTED", err, "a request may not carry "
		    "both Content-Length and Transfer-Encoding");
	if (f->nte > 1 || (f->nte == 1 && strcasecmp(f->te, "chunked") != 0))
		return refuse(code, "UNSUPPORTED", err, "Transfer-Encoding other "
		    "than a single \"chunked\" is not supported");
	if (f->ncl > 1)
		return refuse(code, "SIZE_INVALID", err, "more than one "
		    "Content-Length header");
	if (f->ncl == 1 && parse_length(f->cl, &out->len) != RW_OK)
		return refuse(code, "SIZE_INVALID", err, "invalid "
		    "Content-Length");
	if (http11 && f->nhost == 0)
		return refuse(code, "UNSUPPORTED", err, "an HTTP/1.1 request "
		    "must carry a Host header");
	if (f->nhost > 1)
		return refuse(code, "UNSUPPORTED", err, "more than one Host "
		    "header");
	out->chunked = f->nte == 1;
	return RW_OK;
}
