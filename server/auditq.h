/*
 * auditq.h - audit rows written in batches by a thread of their own.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every admission decision is one audit row.  Written one transaction per
 * row, the rows cost more than the decision itself on a hot path (a WAL
 * commit each); queued and written every AUDITQ_FLUSH_MS or AUDITQ_BATCH
 * rows in one transaction, they cost almost nothing.  Nothing is dropped:
 * when the queue is full the caller writes its row itself, and
 * auditq_free writes what is left.  A crash can lose the rows of the last
 * AUDITQ_FLUSH_MS.  Thread-safe.
 */
#ifndef RW_AUDITQ_H
#define RW_AUDITQ_H

#include "db/db.h"
#include "util/util.h"

#define AUDITQ_FLUSH_MS	20
#define AUDITQ_BATCH	256
#define AUDITQ_MAX	8192	/* rows queued before callers write directly */

struct auditq;

/** Start the writer for DB (borrowed; outlives the queue).  NULL + ERR. */
struct auditq	*auditq_new(struct db *db, struct rw_err *err);

/** Queue a copy of ROW (or write it at once when the queue is full). */
void		 auditq_add(struct auditq *q, const struct db_audit_row *row);

/** Write every queued row now and wait until they are in. */
void		 auditq_flush(struct auditq *q);

/** Write what is queued, stop the thread, free.  NULL does nothing. */
void		 auditq_free(struct auditq *q);

#endif /* RW_AUDITQ_H */
