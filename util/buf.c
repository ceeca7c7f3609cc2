/* buf.c - growable byte buffers with a hard cap. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void
rw_buf_init(struct rw_buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

int
rw_buf_add(struct rw_buf *b, const void *data, size_t len)
{
	size_t need, n;
	char *p;

	if (len > b->cap || b->len > b->cap - len)
		return RW_ETOOBIG;
	need = b->len + len + 1;
	if (need > b->alloc) {
		n = b->alloc != 0 ? b->alloc : 256;
		while (n < need)
			n *= 2;
		if (b->cap < SIZE_MAX && n > b->cap + 1)
			n = b->cap + 1;
		p = realloc(b->data, n);
		if (p == NULL)
			return RW_ENOMEM;
		b->data = p;
		b->alloc = n;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return RW_OK;
}

int
rw_buf_addf(struct rw_buf *b, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return RW_EINVAL;
	if ((size_t)n < sizeof(small))
		return rw_buf_add(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return RW_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = rw_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

void
rw_buf_reset(struct rw_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
rw_buf_free(struct rw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

char *
rw_buf_steal(struct rw_buf *b, size_t *len)
{
	char *p = b->data;

	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}
