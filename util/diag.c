/* diag.c - collecting several positioned errors from one file. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

void
rw_diag_add(struct rw_diags *d, int code, const char *file, int line, int col,
    const char *fmt, ...)
{
	struct rw_err *e;
	va_list ap;

	if (d->n >= RW_DIAG_MAX) {
		d->dropped++;
		return;
	}
	e = &d->e[d->n++];
	memset(e, 0, sizeof(*e));
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	rw_strlcpy(e->pos.file, file != NULL ? file : "", sizeof(e->pos.file));
	e->pos.line = line;
	e->pos.col = col;
}
