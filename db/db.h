/*
 * db.h - the store: verified manifests and their references, the
 * decision cache, the audit trail, pinned tags, scan verdicts and CVE
 * exceptions, in SQLite (one machine) or PostgreSQL (shared by replicas).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The only module that includes sqlite3.h or libpq-fe.h; callers see
 * verbs, never SQL or either library's result codes, and cannot tell the
 * backends apart.  db_open takes a SQLite path or a postgresql:// URL.  The
 * schema is a list of numbered migrations, the same numbers for both
 * backends, applied by db_open, each in its own transaction (SQLite: PRAGMA
 * user_version holds the number applied; PostgreSQL: table schema_version).
 *
 * Threads: one struct db may be shared by every thread.  Each verb runs on
 * one connection that is its own for the whole verb, so a verb's statements
 * (and its transaction) never interleave with another thread's.  SQLite has
 * a single connection (opened with SQLITE_OPEN_FULLMUTEX), so its verbs are
 * serialized; they are short, and the hot read path sits behind
 * server/mcache.  PostgreSQL may have a small pool (db_set_connections):
 * a verb takes whichever connection is free, or waits for one, so a long
 * audit batch does not hold up a decision.  SQLite's busy timeout (5 s)
 * only matters when another process (the CLI) writes too.  A PostgreSQL
 * connection that broke is made again by the next verb that takes it
 * (connect timeout 3 s); until then verbs fail.
 *
 * Errors: every verb fills a caller-provided struct rw_err with the call
 * and its message, e.g. "sqlite3_step: database is locked", or for
 * PostgreSQL "pq_step: <primary message>".  Codes: RW_EDB, RW_EBUSY (locked
 * past the busy timeout; PostgreSQL: serialization failure or deadlock),
 * RW_ENOMEM, RW_EINVAL (bad arguments), RW_ETOOBIG (a caller buffer is too
 * small), RW_ENOTFOUND.  db/ never logs.
 *
 * Module db/ (library rw_db): owns the schema, the migrations and every
 * SQL statement (db/stmt.c is the one statement layer; sqlite.c and pg.c
 * the two backends).  May call util/ only; called by server/, cli/ and,
 * for its types alone, scanreport/.
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

/**
 * Whether NAME is a PostgreSQL connection URI ("postgresql://..." or
 * "postgres://..."): db_open takes either a SQLite path or such a URL.
 */
int	 db_is_url(const char *name);

/**
 * Open the PostgreSQL database at URL (any libpq connection URI) and bring
 * its schema up to date, as db_open does for SQLite (the schema's version
 * is in table schema_version; concurrent openers migrate one at a time
 * under an advisory lock).  PASSWORD, when not NULL, is given to libpq
 * apart from the URL (from a password_file); NULL leaves libpq's own
 * sources (PGPASSWORD, ~/.pgpass).  db_open(URL) is db_open_pg(URL, NULL).
 * Errors name the URL with its password shown as "***".  A connection that
 * breaks later is made again by the next verb that needs it.
 */
int	 db_open_pg(const char *url, const char *password, struct db **out,
	    struct rw_err *err);

/** The most connections db_set_connections takes. */
#define DB_CONNECTIONS_MAX	64

/**
 * Let the verbs of DB (PostgreSQL) use up to N connections, 1 to
 * DB_CONNECTIONS_MAX; the first is the one db_open_pg made, the others are
 * connected when first needed.  Call before DB is shared between threads,
 * at most once.  SQLite keeps its one connection (N is accepted and has no
 * effect).  Returns RW_OK, RW_EINVAL ("database.connections: N is out of
 * range (1 to 64)") or RW_ENOMEM.
 */
int	 db_set_connections(struct db *db, int n, struct rw_err *err);

/** "sqlite" or "postgresql". */
const char *db_backend(const struct db *db);

/**
 * URL with the password of its user-info part shown as "***", into OUT
 * (SIZE bytes, truncated): for logs and messages.
 */
void	 db_url_redact(const char *url, char *out, size_t size);

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

/** One (upstream, repository) whose recorded manifests use a blob. */
struct db_blob_use {
	const char	*upstream;	/* the upstream's name, as recorded */
	const char	*repo;
	const char	*digest;	/* the blob: a config or a layer */
};

/** Called once per use; nonzero stops the listing and is returned. */
typedef int (*db_blob_use_cb)(const struct db_blob_use *use, void *arg);

/**
 * Call CB once for every distinct (upstream, repo, blob) where a recorded
 * manifest of that repository has the blob as its config or a layer (child
 * manifests and subjects are manifests, not blobs), ordered by blob, then
 * upstream and repo: what `regwarden cache purge --repo` needs to tell a
 * repository's own blobs from shared ones.  Every row is read first and CB
 * runs without the db lock, so on an error CB is never called.  Returns
 * RW_OK, CB's nonzero result, RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_blob_uses(struct db *db, db_blob_use_cb cb, void *arg,
	    struct rw_err *err);

/* ------------------------------------------------------------- decisions */

/*
 * The verdict cache.  A decision is keyed by the policy revision (so a new
 * policy never reads an old verdict), the upstream, the repository, the
 * manifest digest and the reference it was pulled by: the tag, or "" for a
 * pull by digest (a tag check can refuse "latest" while the same digest
 * pulled by digest is admitted).
 */
struct db_decision_key {
	const char	*policy_rev;	/* policy_revision() */
	const char	*upstream;	/* upstream name */
	const char	*repo;
	const char	*digest;	/* manifest digest */
	const char	*ref;		/* tag, or "" when pulled by digest */
};

/*
 * One decision.  For db_decision_put every string is borrowed (NULL rule,
 * rule_file and message are stored as "", a NULL reasons_json as "[]").
 * db_decision_get points the strings into storage it owns; release it with
 * db_decision_cleanup.
 */
struct db_decision {
	const char	*verdict;	/* "allow", "deny", "warn" */
	const char	*mode;		/* "enforce", "warn", "audit" */
	const char	*rule;		/* deciding rule, or "default" */
	const char	*rule_file;
	int		 rule_line;
	const char	*reasons_json;	/* JSON text, stored as given */
	const char	*message;
	int64_t		 decided_at;	/* unix seconds */
	int64_t		 expires_at;	/* unix seconds; 0: until the policy changes */
	const char	*admitted_host;	/* put only; see db_decision_put */
	char		*mem;		/* db_decision_get's storage; do not touch */
};

/**
 * Record (insert or replace) the decision D under KEY.  With
 * D->admitted_host non-NULL it also notes, as db_admitted_note does, that
 * KEY's digest of HOST/REPO was admitted at D->decided_at; on PostgreSQL
 * both go in one statement (one round trip on a cold pull), and either
 * both are written or neither.  Returns RW_OK,
 * RW_EINVAL ("db_decision_put: missing argument" for a NULL key field,
 * verdict or mode; "db_decision_put: unknown verdict \"x\"" / "unknown mode
 * \"x\""; a negative expires_at), RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_decision_put(struct db *db, const struct db_decision_key *key,
	    const struct db_decision *d, struct rw_err *err);

/**
 * The decision stored under KEY that is still valid at NOW: its expires_at
 * is unset or later than NOW (a decision expiring at NOW is gone).  On RW_OK
 * *OUT is filled and owns storage (db_decision_cleanup); otherwise *OUT is
 * zeroed.  RW_ENOTFOUND (ERR untouched) for no row or an expired one;
 * RW_EINVAL, RW_EDB, RW_EBUSY, RW_ENOMEM.
 */
int	 db_decision_get(struct db *db, const struct db_decision_key *key,
	    int64_t now, struct db_decision *out, struct rw_err *err);

/** Free what db_decision_get stored in D and zero it; safe on a zeroed D. */
void	 db_decision_cleanup(struct db_decision *d);

/**
 * Delete every decision of a policy revision other than POLICY_REV, and
 * every decision that has expired at NOW.  Call after loading a policy; a
 * replica still on the old revision merely decides again.  Returns RW_OK or
 * an error as above.
 */
int	 db_decision_prune(struct db *db, const char *policy_rev, int64_t now,
	    struct rw_err *err);

/*
 * "Admitted" below means served: a decision valid at NOW under POLICY_REV
 * whose verdict is allow or warn, or a deny recorded under mode warn or
 * audit (those modes only warn or record, the image is still served).
 */

/**
 * Whether manifest DIGEST of (UPSTREAM, REPO) has an admitting decision
 * under POLICY_REV at NOW, for any reference.  Returns 1, 0, or a negative
 * RW_E* code with ERR set.
 */
int	 db_admitted(struct db *db, const char *policy_rev, const char *upstream,
	    const char *repo, const char *manifest_digest, int64_t now,
	    struct rw_err *err);

/**
 * The blob gate: whether BLOB_DIGEST is the config or a layer of a
 * manifest of (UPSTREAM, REPO) that is admitted under POLICY_REV at NOW, or
 * of a platform manifest whose index is (an admitted index admits its
 * children).  Subject and child references do not count: they name
 * manifests, not blobs.  Returns 1, 0, or a negative RW_E* code.
 */
int	 db_blob_admitted(struct db *db, const char *policy_rev,
	    const char *upstream, const char *repo, const char *blob_digest,
	    int64_t now, struct rw_err *err);

/**
 * The index of (UPSTREAM, REPO) that lists CHILD_DIGEST as a platform
 * manifest (manifest_blobs kind child), copied into PARENT (SIZE bytes).
 * When several indexes list it, the most recently recorded one wins (ties:
 * the smallest digest).  Returns RW_OK, RW_ENOTFOUND (ERR untouched),
 * RW_ETOOBIG when SIZE is too small, RW_EINVAL, RW_EDB, RW_EBUSY.
 */
int	 db_parent_of(struct db *db, const char *upstream, const char *repo,
	    const char *child_digest, char *parent, size_t size,
	    struct rw_err *err);

/* ----------------------------------------------------------------- audit */

/*
 * One audit row: one per decision.  For db_audit_add the strings are
 * borrowed and NULL is stored as SQL NULL, except OPERATION, REPO and
 * VERDICT, which are required.  Rows handed to a db_audit_cb have "" for
 * NULL and are valid only during the call.
 */
struct db_audit_row {
	int64_t		 id;		/* set by db_audit_query; add ignores it */
	int64_t		 ts;		/* unix seconds */
	const char	*request_id;
	const char	*client;	/* client address */
	const char	*identity;	/* authenticated user, if any */
	const char	*operation;	/* "pull", "push" */
	const char	*upstream;
	const char	*host;		/* registry host as the client named it */
	const char	*repo;
	const char	*reference;	/* tag or digest as requested */
	const char	*digest;	/* manifest digest, when known */
	const char	*verdict;	/* "allow", "deny", "warn", "error" */
	const char	*mode;		/* "enforce", "warn", "audit" */
	const char	*rule;
	const char	*rule_file;
	int		 rule_line;	/* 0: none */
	const char	*reasons_json;
	const char	*message;
};

/**
 * Whether db_audit_add would take ROW, without the database: RW_OK, or
 * RW_EINVAL with the message db_audit_add would give ("db_audit_add:
 * missing argument", "db_audit_add: unknown verdict \"x\"").  Lets a
 * caller that writes later refuse a row now rather than lose it then.
 */
int	 db_audit_check(const struct db_audit_row *row, struct rw_err *err);

/** Append ROW.  Returns RW_OK, RW_EINVAL, RW_EDB, RW_EBUSY or RW_ENOMEM. */
int	 db_audit_add(struct db *db, const struct db_audit_row *row,
	    struct rw_err *err);

/**
 * Append ROWS[0..N-1] in one transaction: all or none.  Returns as
 * db_audit_add.  A failed insert or COMMIT (a full disk shows at either)
 * is rolled back, so the connection is never left inside the transaction
 * and the same rows can be tried again once the store has room.
 */
int	 db_audit_add_many(struct db *db, const struct db_audit_row *rows,
	    size_t n, struct rw_err *err);

/**
 * Delete at most LIMIT (1..10000) of the oldest audit rows with ts < BEFORE,
 * in one short transaction: retention, run in small batches so that the
 * writers are never held long.  Returns the rows deleted (0..LIMIT) or a
 * negative RW_E* code (RW_EINVAL for LIMIT out of range).
 */
int	 db_audit_prune(struct db *db, int64_t before, int limit,
	    struct rw_err *err);

/** Which rows db_audit_query returns; a zeroed filter means all. */
struct db_audit_filter {
	int		 denied_only;	/* verdict deny or error */
	int64_t		 since;		/* ts >= since; 0: no bound */
	/*
	 * Policy glob ("*" one segment, "**" any) matched against both
	 * "host/repo" and "repo", so "library/nginx" and
	 * "docker.io/library/nginx" both match that image.  NULL: any.
	 */
	const char	*repo_glob;
	size_t		 limit;		/* the newest LIMIT rows; 0: no limit */
};

/**
 * Called once per row; return 0 to go on, anything else to stop (the value
 * becomes db_audit_query's result).  May call db verbs.
 */
typedef int (*db_audit_cb)(const struct db_audit_row *row, void *arg);

/**
 * Call CB for every row passing F, oldest first (by ts, then id).  Rows are
 * read in pages and CB runs without the db lock held, so memory stays
 * bounded; the price is that an error reading a later page can come after
 * CB has seen earlier rows.  Returns RW_OK, CB's nonzero result, RW_EDB,
 * RW_EBUSY or RW_ENOMEM.
 */
int	 db_audit_query(struct db *db, const struct db_audit_filter *f,
	    db_audit_cb cb, void *arg, struct rw_err *err);

/* ------------------------------------------------------------------ pins */

/*
 * A pinned tag: (HOST, REPO, TAG) must resolve to DIGEST.  HOST is the
 * canonical registry host ("docker.io"), REPO the full repository
 * ("library/nginx").  SOURCE says who pinned it: "cli", "policy" or
 * "first-pull".
 */
struct db_pin {
	const char	*host;
	const char	*repo;
	const char	*tag;
	const char	*digest;
	const char	*pinned_by;
	const char	*source;
	int64_t		 pinned_at;	/* unix seconds */
};

/**
 * Pin (HOST, REPO, TAG) to DIGEST, replacing any pin it had; BY says who
 * (a user name), SOURCE is "cli", "policy" or "first-pull", NOW becomes
 * pinned_at.  When the digest changes, cached decisions for that repo and
 * tag are deleted in the same transaction so none outlives its pin.
 * Returns RW_OK, RW_EINVAL (missing argument, unknown source), RW_EDB,
 * RW_EBUSY or RW_ENOMEM.
 */
int	 db_pin_set(struct db *db, const char *host, const char *repo,
	    const char *tag, const char *digest, const char *by,
	    const char *source, int64_t now, struct rw_err *err);

/**
 * As db_pin_set, but never replaces a pin (trust on first use: concurrent
 * first pulls of a tag agree on whichever came first).  Returns 1 when it
 * pinned, 0 when a pin was already there, or a negative RW_E* code.
 */
int	 db_pin_set_if_absent(struct db *db, const char *host,
	    const char *repo, const char *tag, const char *digest,
	    const char *by, const char *source, int64_t now,
	    struct rw_err *err);

/**
 * The digest pinned for (HOST, REPO, TAG) into DIGEST (SIZE bytes;
 * RW_DIGEST_MAX is enough).  With PostgreSQL, answered from a per-process
 * cache that every pin change in any process invalidates (LISTEN/NOTIFY;
 * off while the listener is disconnected): every pin is read at once, up to
 * 4,096 of them, so a tag never looked up costs no query either.  Returns RW_OK, RW_ENOTFOUND (ERR untouched),
 * RW_ETOOBIG, RW_EINVAL, RW_EDB, RW_EBUSY.
 */
int	 db_pin_get(struct db *db, const char *host, const char *repo,
	    const char *tag, char *digest, size_t size, struct rw_err *err);

/**
 * Remove the pin of (HOST, REPO, TAG) and the cached decisions for that
 * repo and tag.  Returns RW_OK, RW_ENOTFOUND (ERR untouched) when there was
 * none, RW_EINVAL, RW_EDB, RW_EBUSY.
 */
int	 db_pin_rm(struct db *db, const char *host, const char *repo,
	    const char *tag, struct rw_err *err);

/** Called once per pin; nonzero stops the listing and is returned. */
typedef int (*db_pin_cb)(const struct db_pin *pin, void *arg);

/**
 * Call CB for every pin, ordered by host, repo, tag.  All pins are read
 * first and CB runs without the db lock, so on an error CB is never called.
 * PIN is valid only during the call.  Returns RW_OK, CB's nonzero result,
 * RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_pin_list(struct db *db, db_pin_cb cb, void *arg, struct rw_err *err);

/* ----------------------------------------------------------------- scans */

/*
 * One severity scale for every scanner (policy/ mirrors it as POLICY_SEV_*
 * with the same values): Trivy's UNKNOWN LOW MEDIUM HIGH CRITICAL and
 * Grype's Negligible Low Medium High Critical Unknown map onto it by name.
 * "unknown" sorts lowest.
 */
enum db_sev {
	DB_SEV_UNKNOWN = 0,
	DB_SEV_NEGLIGIBLE,
	DB_SEV_LOW,
	DB_SEV_MEDIUM,
	DB_SEV_HIGH,
	DB_SEV_CRITICAL
};
#define DB_SEV_COUNT	6

/*
 * What a digest named by a scan report is.  MANIFEST: the platform
 * manifest that was analysed (Grype's manifestDigest).  CONFIG: its config
 * blob (Trivy's ImageID, Grype's imageID).  INDEX: the digest the scanned
 * reference resolved to (RepoDigests): the index for a multi-arch tag, the
 * manifest itself otherwise; Trivy cannot tell which.
 */
enum db_digest_kind {
	DB_DIGEST_MANIFEST = 1,
	DB_DIGEST_CONFIG,
	DB_DIGEST_INDEX
};

/*
 * One finding.  ID, PKG are required; INSTALLED, FIXED ("" when none;
 * several versions joined by ", ") and STATUS (the scanner's own word:
 * "fixed", "will_not_fix", "not-fixed", ...) may be "" but not NULL when
 * stored.  (ID, PKG, INSTALLED) identifies a finding within a report.
 */
struct db_finding {
	const char	*id;		/* "CVE-2024-1234", "GHSA-..." */
	const char	*pkg;
	const char	*installed;
	const char	*fixed;
	const char	*status;
	int		 severity;	/* enum db_sev */
	int		 fixable;	/* a fixed version exists */
};

/*
 * One secret finding of a report (Trivy's Results[].Secrets[]): which rule
 * matched which file at which line.  Never the matched text: the store
 * keeps where a secret is, not the secret.  (TARGET, RULE_ID, LINE)
 * identifies a secret finding within a report.
 */
struct db_secret {
	const char	*target;	/* the file, as the scanner names it */
	const char	*rule_id;	/* "aws-access-key-id" */
	const char	*title;		/* "AWS Access Key ID"; may be "" */
	int		 line;		/* first line, 0 when unknown */
	int		 severity;	/* enum db_sev */
};

/*
 * A parsed scan report, as server/scanreport.c builds it.  Every pointer is
 * borrowed.  SCANNED_AT is -1 when the report carries no scan time.
 * REPORT_DIGEST ("sha256:<hex>" of the raw report bytes) identifies the
 * report: importing the same bytes twice stores it once.
 */
struct db_scan_report {
	const char		*scanner;	/* "trivy" | "grype" */
	const char		*scanner_version;
	const char		*db_version;	/* "" when the report has none */
	const char		*artifact;	/* as the scanner was given it */
	int64_t			 scanned_at;	/* unix seconds, -1 unknown */
	const char		*report_digest;
	const char *const	*digests;	/* at least one */
	const int		*digest_kinds;	/* enum db_digest_kind each */
	size_t			 ndigests;
	const struct db_finding	*findings;
	size_t			 nfindings;
	const struct db_secret	*secrets;	/* may be NULL when none */
	size_t			 nsecrets;
};

/**
 * Store report R, imported at NOW, against every digest it names, with its
 * findings, in one transaction: a failure stores nothing.  Findings that
 * repeat an (id, pkg, installed) already stored for R count once (the first
 * is kept).  Idempotent: a report whose report_digest is already stored
 * changes nothing and gives *WAS_NEW 0 and that scan's *SCAN_ID; otherwise
 * *WAS_NEW is 1.  SCAN_ID and WAS_NEW may be NULL.  Returns RW_OK, RW_EINVAL
 * ("db_scan_put: missing argument", "db_scan_put: unknown scanner \"x\"",
 * "db_scan_put: digest 2 has an unknown kind", "db_scan_put: finding 7 has
 * severity 9", "db_scan_put: secret 0 has severity 9"), RW_EDB, RW_EBUSY
 * or RW_ENOMEM.  Secret findings are stored beside the vulnerabilities and
 * count in neither nfindings nor max_severity; repeats of a (target,
 * rule_id, line) count once.
 */
int	 db_scan_put(struct db *db, const struct db_scan_report *r,
	    int64_t now, int64_t *scan_id, int *was_new, struct rw_err *err);

/** At most this many digests per db_scan_latest call. */
#define DB_SCAN_MAX_DIGESTS	8

/*
 * A stored scan and its findings, as db_scan_latest returns it.  Strings
 * point into storage the view owns (release with db_scan_view_cleanup).
 * Findings come worst first: severity descending, then id, pkg, installed.
 */
struct db_scan_view {
	int64_t			 id;
	const char		*scanner;
	const char		*scanner_version;
	const char		*db_version;
	const char		*artifact;
	const char		*report_digest;
	int64_t			 scanned_at;	/* -1 unknown */
	int64_t			 imported_at;
	int			 max_severity;	/* enum db_sev; UNKNOWN if none */
	const char		*matched_digest; /* the argument it was found by */
	int			 matched_kind;	/* enum db_digest_kind */
	const struct db_finding	*findings;
	size_t			 nfindings;
	size_t			 counts[DB_SEV_COUNT]; /* findings per severity */
	const struct db_secret	*secrets;	/* by target, rule, line */
	size_t			 nsecrets;
	void			*mem;		/* storage; do not touch */
};

/**
 * The current verdict for an image: of the scans naming any of DIGESTS[0..
 * N-1] (its manifest, config and index digests), the newest, with its
 * findings.  Newest means the latest scanned_at, a scan without one counting
 * at its import time; ties go to the later import.  So a newer scan of any
 * of the digests supersedes older ones.  Two indexed queries.  On RW_OK *OUT
 * owns storage (db_scan_view_cleanup); otherwise it is zeroed.  Returns
 * RW_ENOTFOUND (ERR untouched) when no scan names any of them; RW_EINVAL
 * (N is 0 or above DB_SCAN_MAX_DIGESTS, a NULL digest), RW_EDB, RW_EBUSY,
 * RW_ENOMEM.
 */
int	 db_scan_latest(struct db *db, const char *const *digests, size_t n,
	    struct db_scan_view *out, struct rw_err *err);

/** Free what db_scan_latest stored in V and zero it; safe on a zeroed V. */
void	 db_scan_view_cleanup(struct db_scan_view *v);

/*
 * One scan as `scans ls` shows it.  Strings are valid only during the
 * callback.  DIGESTS lists "kind digest" pairs separated by single spaces
 * ("manifest sha256:.. config sha256:.."), kinds named "manifest", "config",
 * "index".  IMAGES lists, space-separated, "upstream/repo" of every recorded
 * manifest that is, or has as its config, one of the scan's digests ("" when
 * none was pulled through regwarden).  SUPERSEDED is 1 when a newer scan
 * (as db_scan_latest orders them) names one of the same digests.
 */
struct db_scan_row {
	int64_t		 id;
	const char	*scanner;
	const char	*scanner_version;
	const char	*db_version;
	const char	*artifact;
	const char	*report_digest;
	int64_t		 scanned_at;	/* -1 unknown */
	int64_t		 imported_at;
	int		 max_severity;
	size_t		 nfindings;
	size_t		 counts[DB_SEV_COUNT];
	const char	*digests;
	const char	*images;
	int		 superseded;
};

/** Called once per scan; nonzero stops the listing and is returned. */
typedef int (*db_scan_cb)(const struct db_scan_row *row, void *arg);

/**
 * Call CB for every scan, newest first.  REPO_GLOB (policy glob, "*" one
 * segment, "**" any; NULL: any) keeps scans with an image whose
 * "upstream/repo" or "repo" matches, or whose artifact does once its tag or
 * digest is cut off.  FAILING_MIN (an enum db_sev above 0; 0: no filter)
 * keeps only scans that are not superseded and have a finding of at least
 * that severity.  Rows are read first and CB runs without the db lock, so on
 * an error CB is never called.  Returns RW_OK, CB's nonzero result,
 * RW_EINVAL (FAILING_MIN out of range), RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_scan_list(struct db *db, const char *repo_glob, int failing_min,
	    db_scan_cb cb, void *arg, struct rw_err *err);

/**
 * Write into OUT a short text that changes whenever a scan or an exception
 * is added or removed, in this process or another: put it in any cache key
 * of a decision that read scans.  One single-row read; with PostgreSQL it
 * is answered from memory while the listener connection is up and no
 * notification has said it moved, so another process's change shows
 * within milliseconds (as for db_pin_get), and at once after a reconnect.  Returns RW_OK,
 * RW_EDB, RW_EBUSY.
 */
int	 db_scans_revision(struct db *db, char out[64], struct rw_err *err);

/* ----------------------------------------------------------- maintenance */

/**
 * The name of table I of the schema (0, 1, ...), parents before children,
 * or NULL past the last: what `db status` counts and `db migrate` copies.
 */
const char *db_table_name(size_t i);

/** The schema version DB has (0: none).  RW_OK, RW_EDB, RW_EBUSY. */
int	 db_version(struct db *db, int *out, struct rw_err *err);

/** Rows in TABLE.  RW_OK, RW_EINVAL (unknown table), RW_EDB, RW_EBUSY. */
int	 db_count(struct db *db, const char *table, int64_t *out,
	    struct rw_err *err);

/**
 * Copy every row of TABLE from FROM into TO (either backend into the
 * other), keys as they are, keeping the rows TO already has with the same
 * key: running it again adds nothing.  Written in transactions of 1,000
 * rows.  *READ counts the rows read, *ADDED those new in TO.  Returns
 * RW_OK, RW_EINVAL (unknown table, FROM == TO), RW_EDB, RW_EBUSY.
 */
int	 db_copy_table(struct db *from, struct db *to, const char *table,
	    int64_t *read, int64_t *added, struct rw_err *err);

/* ------------------------------------------------------------ scan claims */

/*
 * One scan per digest across every process sharing the database (replicas
 * on PostgreSQL): a process claims DIGEST before running the scanner and
 * ends the claim with its outcome; the others wait on the claim.
 */
enum db_claim_state {
	DB_CLAIM_NONE = -1,	/* no claim, or it expired */
	DB_CLAIM_RUNNING = 0,
	DB_CLAIM_DONE = 1,	/* the report is imported */
	DB_CLAIM_FAILED = 2	/* msg says why */
};

/**
 * Claim the scan of DIGEST for OWNER (a name unique to the process) until
 * NOW + LEASE seconds, unless someone holds an unexpired claim on it.
 * Atomic across processes.  Returns 1 when claimed, 0 when held by another
 * (or by OWNER itself earlier), or a negative RW_E* code.
 */
int	 db_scan_claim(struct db *db, const char *digest, const char *owner,
	    int64_t now, int64_t lease, struct rw_err *err);

/**
 * OWNER's scan of DIGEST ended: STATE DB_CLAIM_DONE or DB_CLAIM_FAILED with
 * MSG, kept until NOW + KEEP seconds so that the others waiting see it (and
 * do not scan again at once).  Returns RW_OK (also when OWNER no longer
 * holds it), RW_EDB, RW_EBUSY.
 */
int	 db_scan_claim_end(struct db *db, const char *digest, const char *owner,
	    int state, const char *msg, int64_t now, int64_t keep,
	    struct rw_err *err);

/**
 * The claim on DIGEST at NOW: *STATE an enum db_claim_state (NONE when
 * there is none or it expired), its message in MSG (SIZE bytes, cut).
 * Returns RW_OK, RW_EDB, RW_EBUSY.
 */
int	 db_scan_claim_get(struct db *db, const char *digest, int64_t now,
	    int *state, char *msg, size_t size, struct rw_err *err);

/* ------------------------------------------------------------ exceptions */

/*
 * A CVE exception stored by `regwarden exceptions add`: findings with
 * VULN_ID (or, when VULN_ID is NULL, any finding in PKG; with both set, a
 * finding must match both) do not count for repositories matching
 * REPO_GLOB (a host/repository glob, as in policy rules) while now <
 * EXPIRES.  Rows handed out keep expired exceptions: the policy decides
 * expiry at the second and explain lists them.  SOURCE is "cli".
 */
struct db_exception {
	int64_t		 id;
	const char	*vuln_id;	/* NULL: any finding in pkg */
	const char	*pkg;		/* NULL: any package */
	const char	*repo_glob;
	int64_t		 expires;	/* unix seconds */
	const char	*reason;
	const char	*added_by;
	int64_t		 added_at;
	const char	*source;
};

/**
 * Add an exception (see struct db_exception) and set *ID (may be NULL) to
 * its id; ids are never reused.  Returns RW_OK, RW_EINVAL
 * ("db_exception_add: missing argument" for NULL REPO_GLOB, REASON or BY or
 * when VULN_ID and PKG are both NULL or empty), RW_EDB, RW_EBUSY, RW_ENOMEM.
 */
int	 db_exception_add(struct db *db, const char *vuln_id, const char *pkg,
	    const char *repo_glob, int64_t expires, const char *reason,
	    const char *by, int64_t now, int64_t *id, struct rw_err *err);

/**
 * Remove exception ID.  Returns RW_OK, RW_ENOTFOUND (ERR untouched) when
 * there is none, RW_EDB, RW_EBUSY.
 */
int	 db_exception_rm(struct db *db, int64_t id, struct rw_err *err);

/** Called once per exception; nonzero stops the listing and is returned. */
typedef int (*db_exception_cb)(const struct db_exception *e, void *arg);

/**
 * Call CB for every exception, expired ones too, by id.  Rows are read
 * first and CB runs without the db lock, so on an error CB is never called;
 * E is valid only during the call.  Returns RW_OK, CB's nonzero result,
 * RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_exception_list(struct db *db, db_exception_cb cb, void *arg,
	    struct rw_err *err);

/**
 * Every stored exception, expired ones too, by id, for a decision: the
 * policy matches globs and expiry itself.  On RW_OK *OUT is an array of *N
 * rows (NULL when there are none) to release with db_exceptions_free.
 * Returns RW_OK, RW_EDB, RW_EBUSY or RW_ENOMEM (then *OUT is NULL, *N 0).
 */
int	 db_exceptions_for(struct db *db, struct db_exception **out, size_t *n,
	    struct rw_err *err);

/** Free what db_exceptions_for returned; NULL does nothing. */
void	 db_exceptions_free(struct db_exception *rows, size_t n);

/* ------------------------------------------------------- layer indexes */

/**
 * Keep what layer DIGEST holds (layer.c): either BODY (LEN bytes, content/'s
 * encoding in FORMAT, NENTRIES entries and NFINDINGS secret findings) or,
 * BODY NULL, REFUSAL, why it could not be inspected.  A layer is immutable
 * under its digest, so a later put replaces the row only to turn a refusal
 * into an index (a limit raised).  NOW becomes indexed_at.  Returns RW_OK,
 * RW_EINVAL (both or neither of BODY and REFUSAL), RW_EDB, RW_EBUSY or
 * RW_ENOMEM.
 */
int	 db_layer_index_put(struct db *db, const char *digest, int format,
	    const void *body, size_t len, const char *refusal,
	    int64_t nentries, int64_t nfindings, int64_t now,
	    struct rw_err *err);

/**
 * What is kept of layer DIGEST in FORMAT.  On RW_OK exactly one of *BODY
 * (malloc'ed, *LEN bytes; the caller frees) and *REFUSAL (malloc'ed text)
 * is set, the other NULL.  Returns RW_ENOTFOUND, ERR untouched, when no
 * row exists in that format (an index in an older format is computed
 * again); RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_layer_index_get(struct db *db, const char *digest, int format,
	    void **body, size_t *len, char **refusal, struct rw_err *err);

/* -------------------------------------------------- scan grace periods */

/**
 * Note that the image DIGEST of HOST/REPO (HOST as policies name the
 * registry) was admitted at NOW (grace.c): the first note is kept, later
 * ones change nothing.  Returns RW_OK, RW_EINVAL (a NULL argument), RW_EDB,
 * RW_EBUSY or RW_ENOMEM.
 */
int	 db_admitted_note(struct db *db, const char *host, const char *repo,
	    const char *digest, int64_t now, struct rw_err *err);

/**
 * When the image DIGEST of HOST/REPO was first admitted, into *FIRST_AT
 * (unix seconds).  Returns RW_ENOTFOUND, ERR untouched, when it never was;
 * RW_EINVAL, RW_EDB, RW_EBUSY or RW_ENOMEM.
 */
int	 db_admitted_first(struct db *db, const char *host, const char *repo,
	    const char *digest, int64_t *first_at, struct rw_err *err);

/**
 * When each finding of V (a view db_scan_latest filled from the same
 * DIGESTS[0..N-1]) first appeared: SEEN[i] (the caller's, V->nfindings
 * long) gets the import time of the earliest stored report naming one of
 * DIGESTS with a finding of the same id and package as V->findings[i].
 * One indexed query.  Returns RW_OK, RW_EINVAL (as db_scan_latest), RW_EDB,
 * RW_EBUSY or RW_ENOMEM; on an error every SEEN[i] is 0.
 */
int	 db_scan_first_seen(struct db *db, const char *const *digests,
	    size_t n, const struct db_scan_view *v, int64_t *seen,
	    struct rw_err *err);

/**
 * Delete at most LIMIT (1..10000) layer_index rows kept before BEFORE
 * (indexed_at < BEFORE) whose digest no recorded manifest references (no
 * manifest_blobs row of any kind names it), oldest first, in one short
 * statement: run in batches, as db_audit_prune is.  A pruned layer that
 * is pulled again is simply read again.  Returns the rows deleted
 * (0..LIMIT) or a negative RW_E* code (RW_EINVAL for LIMIT out of range).
 */
int	 db_layer_index_prune(struct db *db, int64_t before, int limit,
	    struct rw_err *err);

/* ------------------------------------------------------- rpm databases */

/**
 * Call FN(ARG, blob, len) for each header blob of the rpm sqlite database
 * in the file PATH (an absolute path without '?', '#' or '%'), in hnum
 * order: rpm's Packages(hnum, blob) table.  The file comes from an image,
 * so it is opened read-only and immutable (no -wal or -shm is read or
 * made), in SQLite's defensive mode with views, triggers and untrusted
 * schema functions off, one value at most 16 MiB and the work of any
 * query bounded (rpmdb.c).  No connection of a struct db is involved.
 * Returns RW_OK; FN's nonzero result, which stops the walk ("rpm database:
 * header 3 refused"); RW_EPARSE ("rpm database: no Packages table: ...",
 * "rpm database: reading Packages: database disk image is malformed",
 * "... interrupted" when the work bound is hit); RW_EINVAL for a PATH
 * refused; RW_ENOMEM.
 */
int	 db_rpmdb_headers(const char *path,
	    int (*fn)(void *arg, const void *blob, size_t len), void *arg,
	    struct rw_err *err);

#endif /* RW_DB_H */
