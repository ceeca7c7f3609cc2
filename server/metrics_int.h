/*
 * metrics_int.h - what metrics.c and metrics_ops.c share.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not for use outside those two files.
 */
#ifndef RW_METRICS_INT_H
#define RW_METRICS_INT_H

#include <stddef.h>

#include "util/util.h"

struct metrics;
struct mops;

/** The operator's series (metrics_ops.c); NULL when out of memory. */
struct mops	*mops_new(void);
void		 mops_free(struct mops *o);
/** Append them to OUT; RW_OK or what rw_buf_add returned. */
int		 mops_render(struct mops *o, struct rw_buf *out);

/** M's operator series. */
struct mops	*metrics_mops(struct metrics *m);

/** S as a label value: backslash, quote and line feed escaped, into OUT. */
const char	*metrics_label(char *out, size_t size, const char *s);

#endif /* RW_METRICS_INT_H */
