/*
 * db.h - the SQLite store: verified manifests, their references, and (later)
 * decisions, scans, pins, exceptions and audit.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The only module that includes sqlite3.h; callers see verbs, never SQL or
 * SQLite result codes.  The schema is a list of numbered migrations applied
 * by db_open, each in its own transaction, with PRAGMA user_version holding
 * the number applied.
 *
 * Threads: one struct db may be shared by every thread.  It holds a single
 * connection opened with SQLITE_OPEN_FULLMUTEX, and each verb runs under the
 * struct's own mutex, so a verb's statements (and its transaction) never
 * interleave with another thread's.  Verbs are therefore serialized; they
 * are short, and the hot read path sits behind server/mcache.  The busy
 * timeout (5 s) only matters when another process (the CLI) writes too.
 *
 * Errors: every verb fills a caller-provided struct rw_err with the SQLite
 * call and its message, e.g. "sqlite3_step: database is locked".  Codes:
 * RW_EDB, RW_EBUSY (locked past the busy timeout), RW_ENOMEM, RW_EINVAL
 * (bad arguments), RW_ETOOBIG (a caller buffer is too small), RW_ENOTFOUND.
 * db/ never logs.
 */
#ifndef RW_DB_H
#define RW_DB_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct db;

/** How a manifest refers to another digest (manifest_blobs.kind). */
enum db_ref_kind {
	DB_REF_CONFIG = 1,	/* config.digest */
	DB_REF_LAYER,		/* layers[].digest */
	DB_REF_CHILD,		/* manifests[].digest of an index */
	DB_REF_SUBJECT		/* subject.digest (signatures, SBOMs, ...) */
};

/** One reference of a manifest; DIGEST is borrowed. */
struct db_ref {
	enum db_ref_kind	 kind;
	const char		*digest;
};

/** The schema version this build knows (the number of migrations). */
int	 db_schema_version(void);

/**
 * Open (creating if needed) the database at PATH and bring its schema up to
 * date: journal_mode=WAL, synchronous=NORMAL, busy_timeout 5000 ms,
 * foreign_keys on, then every migration not yet applied.  PATH ":memory:"
 * gives a private in-memory database (no WAL), for tests.
 *
 * Returns RW_OK and sets *OUT (free with db_close), or RW_EDB / RW_EBUSY /
 * RW_ENOMEM with nothing allocated; messages start with "<path>: ".  A
 * database whose user_version is newer than db_schema_version() is refused
 * with RW_EDB and
 * "<path>: database schema version N is newer than this regwarden supports
 * (M); upgrade regwarden or use another database".
 */
int	 db_open(const char *path, struct db **out, struct rw_err *err);

/** Close DB and free it; NULL does nothing.  No verb may be running. */
void	 db_close(struct db *db);

/**
 * Record a verified manifest: its exact BODY (LEN bytes, may contain NULs),
 * MEDIA_TYPE, and its NREFS references REFS, all in one transaction.  The
 * caller has checked that DIGEST is the digest of BODY.  Manifests by digest
 * are immutable, so a row that already exists is kept as it is (insert or
 * ignore) and RW_OK is returned.  NOW (Unix seconds) becomes first_seen.
 * Returns RW_OK, RW_EINVAL (unknown ref kind, NULL strings), RW_EDB,
 * RW_EBUSY or RW_ENOMEM.
 */
int	 db_manifest_put(struct db *db, const char *upstream, const char *repo,
	    const char *digest, const char *media_type, const void *body,
	    size_t len, const struct db_ref *refs, size_t nrefs, int64_t now,
	    struct rw_err *err);

/**
 * Fetch the manifest stored under (UPSTREAM, REPO, DIGEST).  On RW_OK,
 * *BODY is a malloc'ed copy of the bytes (caller frees; one NUL follows them,
 * not counted in *LEN) and MEDIA_TYPE (MTSIZE bytes) holds its media type.
 * Returns RW_ENOTFOUND, leaving ERR untouched (a miss is not a failure), when
 * there is no such row; RW_ETOOBIG
 * when MTSIZE is too small, RW_EDB, RW_EBUSY or RW_ENOMEM; on any error
 * *BODY is NULL.
 */
int	 db_manifest_get(struct db *db, const char *upstream, const char *repo,
	    const char *digest, char **body, size_t *len, char *media_type,
	    size_t mtsize, struct rw_err *err);

/**
 * Whether any recorded manifest of (UPSTREAM, REPO) references BLOB_DIGEST,
 * whatever the kind.  Returns 1, 0, or a negative RW_E* code with ERR set.
 */
int	 db_blob_referenced(struct db *db, const char *upstream,
	    const char *repo, const char *blob_digest, struct rw_err *err);

#endif /* RW_DB_H */
