/* err.c - error codes and caller-provided error reports. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

const char *
rw_strerror(int code)
{
	switch (code) {
	case RW_OK:
		return "success";
#define RW_ERR_CASE(name, val, text) case RW_##name: return text;
	RW_ERRNO_MAP(RW_ERR_CASE)
#undef RW_ERR_CASE
	default:
		return "unknown error";
	}
}

void
rw_err_clear(struct rw_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

static void
vset(struct rw_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
rw_err_set(struct rw_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	/* The first cause wins: callers higher up only add context. */
	if (err == NULL || err->msg[0] != '\0')
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
rw_err_setpos(struct rw_err *err, int code, const char *file, int line,
    int col, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->msg[0] != '\0')
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	rw_strlcpy(err->pos.file, file != NULL ? file : "", sizeof(err->pos.file));
	err->pos.line = line;
	err->pos.col = col;
	return code;
}

const char *
rw_err_str(const struct rw_err *err, char *buf, size_t size)
{
	const char *msg = err->msg[0] != '\0' ? err->msg : rw_strerror(err->code);

	if (err->pos.file[0] != '\0' && err->pos.line > 0)
		snprintf(buf, size, "%s:%d:%d: %s", err->pos.file, err->pos.line,
		    err->pos.col, msg);
	else if (err->pos.file[0] != '\0')
		snprintf(buf, size, "%s: %s", err->pos.file, msg);
	else
		snprintf(buf, size, "%s", msg);
	return buf;
}
