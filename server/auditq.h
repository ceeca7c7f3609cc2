/*
 * auditq.h - audit rows written in batches by a thread of their own.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every admission decision is one audit row.  Written one transaction per
 * row, the rows cost more than the decision itself on a hot path (a WAL
 * commit each); queued and written every AUDITQ_FLUSH_MS or AUDITQ_BATCH
 * rows in one transaction, they cost almost nothing.
 *
 * Audit or refuse.  A decision is served only when its row was taken
 * (auditq_add returned RW_OK).  A taken row counts as recorded: it stays in
 * memory until the store has it, however long that takes, and is lost only
 * if the process dies (a crash, SIGKILL) or shuts down while the store is
 * still failing (each such row is then logged, as the record of last
 * resort).  The queue refuses a row, and so its decision, when:
 *  - the store is failing: the last write failed and none has succeeded
 *    since.  The failed batch is kept and tried again every
 *    AUDITQ_RETRY_MS; the first write that succeeds clears the failure.
 *    Refusing at once, rather than holding decisions until the disk has
 *    room, keeps the memory bounded and the client's answer prompt;
 *  - AUDITQ_MAX rows are waiting (queued or being written): the writer is
 *    that far behind, and waiting would block the caller's thread;
 *  - the row itself is invalid (db_audit_check), or memory is short.
 * Thread-safe.
 */
#ifndef RW_AUDITQ_H
#define RW_AUDITQ_H

#include "db/db.h"
#include "util/util.h"

#define AUDITQ_FLUSH_MS	20
#define AUDITQ_BATCH	256
#define AUDITQ_MAX	8192	/* rows waiting before new ones are refused */
#define AUDITQ_RETRY_MS	200	/* a failing store is tried again this often */

struct auditq;

/** Start the writer for DB (borrowed; outlives the queue).  NULL + ERR. */
struct auditq	*auditq_new(struct db *db, struct rw_err *err);

/**
 * Take a copy of ROW for the writer.  RW_OK: the row counts as recorded.
 * Otherwise the row is not kept, the caller must not serve its decision,
 * and ERR says why in words that follow "could not record ... in the audit
 * log: ": the store's failure ("its last write failed (sqlite3_step COMMIT:
 * database or disk is full)", code of that failure), a full queue ("8192
 * rows are waiting to be written", RW_EBUSY), RW_EINVAL as
 * db_audit_check, or RW_ENOMEM.
 */
int		 auditq_add(struct auditq *q, const struct db_audit_row *row,
		    struct rw_err *err);

/**
 * Write every waiting row now and wait until they are in: RW_OK.  When a
 * write made after the call fails, returns at once with its code (ERR as
 * auditq_add says); the rows stay queued for the next try.
 */
int		 auditq_flush(struct auditq *q, struct rw_err *err);

/**
 * The writer's health: RW_OK, or the store's failure as auditq_add reports
 * it.  *WAITING (if not NULL) is the number of rows not yet written.
 */
int		 auditq_state(struct auditq *q, size_t *waiting,
		    struct rw_err *err);

/*
 * Retention: with DAYS > 0 the writer deletes rows older than DAYS days,
 * AUDITQ_PRUNE_BATCH at a time, only while it has nothing to write and the
 * store works; after a short batch (all old rows gone) or an error it waits
 * AUDITQ_PRUNE_EVERY_MS.  0 turns it off.  May be called again (reload).
 */
#define AUDITQ_PRUNE_BATCH	500
#define AUDITQ_PRUNE_EVERY_MS	(60 * 1000)
void		 auditq_set_retention(struct auditq *q, int days);

/** Rows deleted by retention so far (for tests and logs). */
uint64_t	 auditq_pruned(struct auditq *q);

/*
 * Layer index retention (content.index_retention_days): with DAYS > 0 the
 * writer also deletes the layer_index rows db_layer_index_prune selects
 * (layers no recorded manifest references, read more than DAYS days ago),
 * AUDITQ_PRUNE_BATCH at a time, on audit retention's terms: only while no
 * audit row waits and the store works, then every AUDITQ_PRUNE_EVERY_MS.
 * A round that deleted rows is logged once (info).  0 turns it off.  May
 * be called again (reload).
 */
void		 auditq_set_index_retention(struct auditq *q, int days);

/** Layer index rows deleted so far. */
uint64_t	 auditq_index_pruned(struct auditq *q);

/**
 * Write what is waiting (one more try when the store is failing; the rows
 * it cannot write are logged one line each, then dropped), stop the
 * thread, free.  NULL does nothing.
 */
void		 auditq_free(struct auditq *q);

#endif /* RW_AUDITQ_H */
