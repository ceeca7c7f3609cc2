/*
 * internal.h - what the files of db/ share: the connection (SQLite or
 * PostgreSQL), its statement cache, and helpers that turn either backend's
 * failures into struct rw_err.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not for use outside db/.  Every helper that takes a struct db expects the
 * caller to hold db->mu (db_open is the exception: nothing else can see the
 * struct yet).
 *
 * The verbs (audit.c, decision.c, ...) are written once, against struct
 * db_st below, in SQL both engines accept: "?N" parameters (rewritten to
 * "$N" for PostgreSQL), INSERT ... ON CONFLICT, RETURNING, and the two
 * functions rw_glob and group_concat (SQLite: glob.c registers rw_glob;
 * PostgreSQL: pg_schema.c creates both).  stmt.c dispatches each helper to
 * sqlite.c or pg.c, the only files that call either library.
 */
#ifndef RW_DB_INTERNAL_H
#define RW_DB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "db/db.h"

/* Slots of the prepared-statement cache; each verb owns its slots. */
enum db_stmt_slot {
	DB_ST_BEGIN,
	DB_ST_COMMIT,
	DB_ST_ROLLBACK,
	DB_ST_MANIFEST_PUT,
	DB_ST_MANIFEST_PUT_PG,
	DB_ST_REF_PUT,
	DB_ST_MANIFEST_GET,
	DB_ST_BLOB_REF,
	DB_ST_BLOB_USES,
	DB_ST_DECISION_PUT,
	DB_ST_DECISION_PUT_PG,
	DB_ST_DECISION_GET,
	DB_ST_ADMITTED,
	DB_ST_BLOB_ADMITTED,
	DB_ST_PARENT_OF,
	DB_ST_PIN_SET,
	DB_ST_PIN_ADD,
	DB_ST_PIN_GET,
	DB_ST_PIN_ALL,
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
	DB_ST_DECISION_PRUNE,
	DB_ST_AUDIT_PRUNE,
	DB_ST_CLAIM,
	DB_ST_CLAIM_END,
	DB_ST_CLAIM_GET,
	DB_ST_VERSION,
	DB_ST_MAINT,		/* copy.c: one statement at a time */
	DB_ST_LAYER_PUT,
	DB_ST_LAYER_GET,
	DB_ST_FIRST_NOTE,
	DB_ST_FIRST_GET,
	DB_ST_SCAN_SEEN,
	DB_ST_SCAN_SECRET,
	DB_ST_SCAN_SECRETS,
	DB_ST_LAYER_PRUNE,
	DB_ST_COUNT
};

/* What db_step returns besides an error: a row is there, or the end. */
#define DB_ROW		SQLITE_ROW
#define DB_DONE		SQLITE_DONE
/* db_step's failure code for PostgreSQL; the detail is in struct db_pg. */
#define DB_PG_FAIL	(-1)

/* PostgreSQL parameters a statement may have (the audit insert has 18). */
#define DB_PG_MAXPARAMS	24

/* pg_listen.c: what a write changed, for db_pg_notify / db_pg_changed. */
#define DB_CHANGED_SCANS	1	/* scans, their findings, exceptions */
#define DB_CHANGED_PINS		2

#define DB_PIN_SLOTS	512

struct db_pin_slot {
	char		 key[320];	/* "host|repo|tag" */
	char		 digest[RW_DIGEST_MAX];	/* "" : not pinned */
	unsigned long	 gen;		/* pins_gen + 1 when stored; 0 empty */
};

/*
 * Every pin at once, read in one query (pg_listen.c, pin.c): while it is
 * current, a tag absent from it is not pinned, so even the first pull of a
 * new tag asks PostgreSQL nothing.  Above DB_PIN_SNAP_MAX pins it is not
 * kept (each change would reread them all) and tags are looked up one by
 * one, through the slots.
 */
#define DB_PIN_SNAP_MAX	4096

struct db_pin_snap {
	unsigned long	 gen;		/* as a slot's; 0 none */
	int		 over;		/* more than DB_PIN_SNAP_MAX pins */
	size_t		 n;
	char		**rows;		/* "host\0repo\0tag\0digest", sorted */
};

/*
 * The listener and the caches it keeps right.  The generations move with
 * every notification (and local write); the caches themselves are read and
 * written under CACHE_MU alone, so a cached read never waits for db->mu
 * (held by the audit writer's batches, for one).
 */
struct db_pg_listen {
	pthread_mutex_t	 cache_mu;
	pthread_t	 thr;
	int		 wake;		/* eventfd: stop */
	PGconn		*conn;		/* the listener's own */
	atomic_int	 stop;
	atomic_int	 up;		/* listening: the caches may be used */
	atomic_ulong	 scans_gen;
	atomic_ulong	 pins_gen;
	char		 rev[64];	/* db_scans_revision's last answer */
	unsigned long	 rev_gen;
	struct db_pin_slot pins[DB_PIN_SLOTS];
	struct db_pin_snap snap;
};

/* A PostgreSQL connection and what db_fail reports about its last error. */
struct db_pg {
	PGconn		*conn;
	char		*conninfo_url;	/* the URL, password never in it */
	char		*password;	/* from password_file, or NULL */
	unsigned	 gen;		/* bumped at every (re)connect */
	int		 code;		/* RW_E* of the last failure */
	char		 msg[256];	/* its message, one line */
	long long	 changes;	/* rows the last statement changed */
	int		 notified;	/* DB_CHANGED_* sent in the open transaction */
	struct db_pg_listen *listen;	/* pg_listen.c, or NULL */
	/*
	 * Connections lost, counted across a pool: a connection that sat idle
	 * through a server restart looks healthy until its next statement
	 * fails, so each reconnects before use once any of them saw a loss.
	 */
	atomic_uint	 losses_own;	/* the first connection's counter */
	atomic_uint	*losses;	/* the pool's: &first->losses_own */
	unsigned	 losses_seen;	/* *losses at this connect */
};

/*
 * One cached statement of either backend.  For PostgreSQL the SQL is
 * prepared on the connection (named "rwN" by slot) at its first step after
 * each connect, run at db_step with the parameters bound so far, and its
 * rows are then read from the result.
 */
struct db_st {
	struct db	*db;
	sqlite3_stmt	*s;			/* SQLite */
	enum db_stmt_slot slot;
	char		*pgsql;			/* "?N" rewritten to "$N" */
	unsigned	 prepared_gen;		/* db->pg->gen when prepared */
	int		 nparams;
	const char	*vals[DB_PG_MAXPARAMS];
	int		 lens[DB_PG_MAXPARAMS];
	int		 fmts[DB_PG_MAXPARAMS];
	char		 ints[DB_PG_MAXPARAMS][24];
	PGresult	*res;
	int		 row;			/* -1: not run yet */
	unsigned char	*blob;			/* unescaped bytea of BLOBCOL */
	size_t		 bloblen;
	int		 blobcol;
};

/*
 * The connections of a PostgreSQL struct db (db_set_connections): CONN[0]
 * is that struct db itself, the others are struct dbs of their own with
 * the same URL and listener.  BUSY says which a verb has taken.
 */
struct db_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a connection was given back */
	int		 n;
	struct db	*conn[DB_CONNECTIONS_MAX];
	unsigned char	 busy[DB_CONNECTIONS_MAX];
};

struct db {
	sqlite3		*h;		/* SQLite, or NULL */
	struct db_pg	*pg;		/* PostgreSQL, or NULL */
	pthread_mutex_t	 mu;		/* held for the whole of each verb */
	struct db_st	*st[DB_ST_COUNT];
	struct db_pool	*pool;		/* the handle callers hold: its pool */
	struct db_pool	*home;		/* the pool this connection is in */
	int		 slot;		/* its index there */
};

/**
 * Take a connection of DB for one verb: DB itself (its mutex locked) when
 * it has no pool, else a free one of its pool (waiting for one), locked.
 * The verb runs on what this returns and gives it back with db_unlock.
 */
struct db *db_lock(struct db *db);
void	 db_unlock(struct db *conn);

/* ------------------------------------------------ statements (stmt.c) */

/**
 * Record the failure of the call WHAT as "WHAT: <message>".  For SQLite,
 * RC (an SQLite result code) picks the RW_E* code returned: busy or locked
 * give RW_EBUSY, out of memory RW_ENOMEM, anything else RW_EDB.  For
 * PostgreSQL the last failure recorded by pg.c decides, and "sqlite3_" in
 * WHAT reads "pq_" ("pq_step: ...").
 */
int	 db_fail(struct db *db, int rc, const char *what, struct rw_err *err);

/** Run SQL (one or more statements, no parameters); errors as "WHAT: msg". */
int	 db_exec(struct db *db, const char *sql, const char *what,
	    struct rw_err *err);

/**
 * The prepared statement for SLOT, preparing SQL on first use.  The
 * statement is reset and its bindings cleared by db_stmt_done.
 */
int	 db_stmt(struct db *db, enum db_stmt_slot slot, const char *sql,
	    struct db_st **out, struct rw_err *err);
void	 db_stmt_done(struct db_st *st);
/** Finalize ST and free it (db_close); NULL does nothing. */
void	 db_stmt_free(struct db_st *st);

/*
 * Bind parameter I (from 1).  Text and blobs are borrowed until the step.
 * Return 0, or nonzero for db_bind_fail.
 */
int	 db_bind_text(struct db_st *st, int i, const char *s);
int	 db_bind_int64(struct db_st *st, int i, int64_t v);
int	 db_bind_null(struct db_st *st, int i);
int	 db_bind_blob(struct db_st *st, int i, const void *p, size_t len);

/** Step ST: DB_ROW, DB_DONE, or a failure code for db_fail. */
int	 db_step(struct db_st *st);

/* Column I of the current row; NULL text is NULL, NULL integers 0. */
const char *db_col_text(struct db_st *st, int i);
int64_t	 db_col_int64(struct db_st *st, int i);
const void *db_col_blob(struct db_st *st, int i);
size_t	 db_col_bytes(struct db_st *st, int i);
int	 db_col_is_null(struct db_st *st, int i);

/** Rows changed by the last INSERT, UPDATE or DELETE on DB. */
int64_t	 db_changes(struct db *db);

/**
 * Step ST, an INSERT ... RETURNING id, to its end, release it and set *ID.
 * Returns RW_OK or db_fail's code.
 */
int	 db_step_id(struct db *db, struct db_st *st, int64_t *id,
	    struct rw_err *err);

/**
 * Step ST (bound), which returns no row, and release it (db_stmt_done).
 * Returns RW_OK, or db_fail's code with "sqlite3_step: <msg>" in ERR.
 */
int	 db_step_done(struct db *db, struct db_st *st, struct rw_err *err);
/**
 * RC, what the last sqlite3_step of a statement read to its end returned:
 * RW_OK for SQLITE_DONE, else db_fail's code with "sqlite3_step: <msg>".
 */
int	 db_step_rc(struct db *db, int rc, struct rw_err *err);
/** As db_step_done, leaving ST to the caller to release. */
int	 db_step_end(struct db *db, struct db_st *st, struct rw_err *err);
/**
 * A db_bind_* call failed: "sqlite3_bind: <msg>" into ERR.  Returns
 * db_fail's code.
 */
int	 db_bind_fail(struct db *db, struct rw_err *err);

/**
 * BEGIN (IMMEDIATE for SQLite) / COMMIT; rollback never fails (errors are
 * ignored) and does nothing outside a transaction.
 */
int	 db_tx_begin(struct db *db, struct rw_err *err);
int	 db_tx_commit(struct db *db, struct rw_err *err);
void	 db_tx_rollback(struct db *db);

/** Apply pending migrations (migrate.c for SQLite, pg_schema.c). */
int	 db_migrate(struct db *db, struct rw_err *err);
int	 db_pg_migrate(struct db *db, struct rw_err *err);

/* ------------------------------------------------ backends (sqlite.c, pg.c) */

/** Open the SQLite file PATH into DB (configured, not migrated). */
int	 db_sqlite_open(struct db *db, const char *path, struct rw_err *err);
void	 db_sqlite_close(struct db *db);

/**
 * Connect DB to the PostgreSQL URL with PASSWORD (NULL: libpq's own
 * sources); errors name the URL without its password.
 */
int	 db_pg_open(struct db *db, const char *url, const char *password,
	    struct rw_err *err);
void	 db_pg_close(struct db *db);
/** Reconnect if the connection broke; RW_OK or RW_EDB "...: connection ...". */
int	 db_pg_ready(struct db *db, struct rw_err *err);
/** Run SQL with PQexec; RW_OK or the failure recorded for db_fail. */
int	 db_pg_exec(struct db *db, const char *sql);
int	 db_pg_exec_conn(struct db_pg *pg, const char *sql);
int	 db_pg_step(struct db_st *st);
void	 db_pg_reset(struct db_st *st);
/** Reset ST and drop its prepared statement from the connection. */
void	 db_pg_forget(struct db_st *st);
/* pg_listen.c: LISTEN/NOTIFY and the caches it guards (PostgreSQL only). */
int	 db_pg_listen_start(struct db *db, struct rw_err *err);
void	 db_pg_listen_stop(struct db *db);
/** Tell every process (NOTIFY, at commit) and this one what changed. */
int	 db_pg_notify(struct db *db, int what);
void	 db_pg_changed(struct db *db, int what);
/* 1 and OUT when the cached revision is current; else 0. */
int	 db_pg_scans_rev_cached(struct db *db, char out[64]);
/* The generation to store a value read now under (0: do not cache). */
unsigned long db_pg_scans_gen(struct db *db);
void	 db_pg_scans_rev_store(struct db *db, unsigned long gen,
	    const char out[64]);
/* RW_OK (DIGEST), RW_ENOTFOUND (cached "not pinned"), or -1: not cached. */
int	 db_pg_pin_cached(struct db *db, const char *const key[3],
	    char *digest, size_t size);
unsigned long db_pg_pins_gen(struct db *db);
void	 db_pg_pin_store(struct db *db, unsigned long gen,
	    const char *const key[3], const char *digest);
/* 1 when no pin snapshot was read under GEN (not 0) yet. */
int	 db_pg_pin_snap_wanted(struct db *db, unsigned long gen);
/*
 * Keep ROWS[0..N-1] (malloc'd, "host\0repo\0tag\0digest\0"; ownership
 * passes, the array too) as every pin under GEN; OVER: there were more
 * than DB_PIN_SNAP_MAX, ROWS is NULL and tags are looked up one by one.
 */
void	 db_pg_pin_snap_store(struct db *db, unsigned long gen, char **rows,
	    size_t n, int over);

/*
 * COPY ... FROM STDIN on DB's connection (pg.c): begin with SQL, put the
 * data in any number of pieces, end (ABORT_WHY non-NULL: abandon it, none
 * of the rows is written).  RW_OK or the failure recorded for db_fail; end
 * always leaves the connection out of COPY (closed, if nothing else does).
 */
int	 db_pg_copy_begin(struct db *db, const char *sql);
int	 db_pg_copy_put(struct db *db, const char *data, size_t len);
int	 db_pg_copy_end(struct db *db, const char *abort_why);

/** db_admitted_note with the lock held (grace.c); arguments checked. */
int	 db_admitted_note_locked(struct db *db, const char *host,
	    const char *repo, const char *digest, int64_t now,
	    struct rw_err *err);

/** ROWS[0..N-1] into audit with one COPY (pg_audit.c); db->mu held. */
int	 db_pg_audit_insert(struct db *db, const struct db_audit_row *rows,
	    size_t n, struct rw_err *err);

/** The schema version a PostgreSQL database has (0: none yet). */
int	 db_pg_version(struct db *db, int *out, struct rw_err *err);

/**
 * Bind the strings STRS[0..N-1] to parameters FIRST..FIRST+N-1 of ST (a NULL
 * string binds SQL NULL).  The strings must outlive the step.
 */
int	 db_bind_texts(struct db *db, struct db_st *st, int first,
	    const char *const *strs, size_t n, struct rw_err *err);

/**
 * Copy the text of columns COLS[0..N-1] of the current row of ST into one
 * malloc'ed block and point OUT[i] at column COLS[i] in it ("" for SQL
 * NULL).  Returns the block (the caller frees it) or NULL when out of
 * memory.
 */
char	*db_copy_texts(struct db_st *st, const int *cols, size_t n,
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

/* scan_secret.c: the secret findings of a scan (table scan_secrets). */

/** R's secrets as db_scan_put checks them: RW_OK or RW_EINVAL. */
int	 db_secrets_check(const struct db_scan_report *r, struct rw_err *err);

/** Insert R's secrets under scan ID, in the caller's transaction. */
int	 db_secrets_insert(struct db *db, const struct db_scan_report *r,
	    int64_t id, struct rw_err *err);

/**
 * The secrets of scan ID into *OUT (*N of them), each row's strings in
 * (*BLOCKS)[i]; release with db_secrets_free even on error.  db->mu held.
 */
int	 db_secrets_read(struct db *db, int64_t id, struct db_secret **out,
	    char ***blocks, size_t *n, struct rw_err *err);

void	 db_secrets_free(struct db_secret *s, char **blocks, size_t n);

/** Register the SQL function rw_glob(pattern, text) on DB's connection. */
int	 db_glob_register(struct db *db, struct rw_err *err);

#endif /* RW_DB_INTERNAL_H */
