/*
 * internal.h - what the files of db/ share: the connection, its statement
 * cache, and helpers that turn SQLite failures into struct rw_err.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not for use outside db/.  Every helper that takes a struct db expects the
 * caller to hold db->mu (db_open is the exception: nothing else can see the
 * struct yet).
 */
#ifndef RW_DB_INTERNAL_H
#define RW_DB_INTERNAL_H

#include <pthread.h>

#include <sqlite3.h>

#include "db/db.h"

/* Slots of the prepared-statement cache; each verb owns its slots. */
enum db_stmt_slot {
	DB_ST_BEGIN,
	DB_ST_COMMIT,
	DB_ST_ROLLBACK,
	DB_ST_MANIFEST_PUT,
	DB_ST_REF_PUT,
	DB_ST_MANIFEST_GET,
	DB_ST_BLOB_REF,
	DB_ST_DECISION_PUT,
	DB_ST_DECISION_GET,
	DB_ST_ADMITTED,
	DB_ST_BLOB_ADMITTED,
	DB_ST_PARENT_OF,
	DB_ST_PIN_SET,
	DB_ST_PIN_ADD,
	DB_ST_PIN_GET,
	DB_ST_PIN_RM,
	DB_ST_PIN_LIST,
	DB_ST_PIN_FORGET,
	DB_ST_AUDIT_ADD,
	DB_ST_AUDIT_START,
	DB_ST_AUDIT_PAGE,
	DB_ST_SCAN_FIND,
	DB_ST_SCAN_INSERT,
	DB_ST_SCAN_DIGEST,
	DB_ST_SCAN_VULN,
	DB_ST_SCAN_TOTALS,
	DB_ST_SCAN_LATEST,
	DB_ST_SCAN_FINDINGS,
	DB_ST_SCAN_LIST,
	DB_ST_SCAN_REV,
	DB_ST_SCAN_BUMP,
	DB_ST_EXC_ADD,
	DB_ST_EXC_RM,
	DB_ST_EXC_LIST,
	DB_ST_COUNT
};

struct db {
	sqlite3		*h;
	pthread_mutex_t	 mu;		/* held for the whole of each verb */
	sqlite3_stmt	*st[DB_ST_COUNT];
};

/* ------------------------------------------------ statements (stmt.c) */

/**
 * Record the failure of the SQLite call WHAT as "WHAT: <sqlite3_errmsg>".
 * RC (an SQLite result code) picks the RW_E* code returned: busy or locked
 * give RW_EBUSY, out of memory RW_ENOMEM, anything else RW_EDB.
 */
int	 db_fail(struct db *db, int rc, const char *what, struct rw_err *err);

/** Run SQL (one or more statements) with sqlite3_exec; errors as "WHAT: msg". */
int	 db_exec(struct db *db, const char *sql, const char *what,
	    struct rw_err *err);

/**
 * The prepared statement for SLOT, preparing SQL on first use.  The
 * statement is reset and its bindings cleared by db_stmt_done.
 */
int	 db_stmt(struct db *db, enum db_stmt_slot slot, const char *sql,
	    sqlite3_stmt **out, struct rw_err *err);
void	 db_stmt_done(sqlite3_stmt *st);

/**
 * Step ST (bound), which returns no row, and release it (db_stmt_done).
 * Returns RW_OK, or db_fail's code with "sqlite3_step: <msg>" in ERR.
 */
int	 db_step_done(struct db *db, sqlite3_stmt *st, struct rw_err *err);
/**
 * RC, what the last sqlite3_step of a statement read to its end returned:
 * RW_OK for SQLITE_DONE, else db_fail's code with "sqlite3_step: <msg>".
 */
int	 db_step_rc(struct db *db, int rc, struct rw_err *err);
/** As db_step_done, leaving ST to the caller to release. */
int	 db_step_end(struct db *db, sqlite3_stmt *st, struct rw_err *err);
/**
 * A sqlite3_bind_* call on DB's connection failed: "sqlite3_bind: <msg>"
 * into ERR.  Returns db_fail's code.
 */
int	 db_bind_fail(struct db *db, struct rw_err *err);

/** BEGIN IMMEDIATE / COMMIT; rollback never fails (errors are ignored). */
int	 db_tx_begin(struct db *db, struct rw_err *err);
int	 db_tx_commit(struct db *db, struct rw_err *err);
void	 db_tx_rollback(struct db *db);

/** Apply pending migrations (migrate.c). */
int	 db_migrate(struct db *db, struct rw_err *err);

/**
 * Bind the strings STRS[0..N-1] to parameters FIRST..FIRST+N-1 of ST (a NULL
 * string binds SQL NULL).  The strings must outlive the step.
 */
int	 db_bind_texts(struct db *db, sqlite3_stmt *st, int first,
	    const char *const *strs, size_t n, struct rw_err *err);

/**
 * Copy the text of columns COLS[0..N-1] of the current row of ST into one
 * malloc'ed block and point OUT[i] at column COLS[i] in it ("" for SQL
 * NULL).  Returns the block (the caller frees it) or NULL when out of
 * memory.
 */
char	*db_copy_texts(sqlite3_stmt *st, const int *cols, size_t n,
	    const char **out);

/**
 * Whether TEXT matches the policy glob PAT: "*" matches within one path
 * segment, "**" across segments, and a "**" that is a whole segment followed
 * by a slash also matches no segment at all (so "a/ ** /b", written without
 * the spaces, matches "a/b").  Anything else is literal and case matters.
 * Returns 1, 0, or RW_ENOMEM (glob.c).
 */
int	 db_glob_match(const char *pat, const char *text);

/**
 * Count one change to scans or exceptions, inside the caller's transaction,
 * so db_scans_revision moves (scan.c).
 */
int	 db_scans_bump(struct db *db, struct rw_err *err);

/** Register the SQL function rw_glob(pattern, text) on DB's connection. */
int	 db_glob_register(struct db *db, struct rw_err *err);

#endif /* RW_DB_INTERNAL_H */
