/*
 * scanner.h - hold-until-scanned: run the configured scanner command for an
 * image nobody has scanned yet, once per digest, while the pulls of that
 * image wait a bounded time.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One thread of its own runs the commands (argv template, no shell, stdout
 * is the report), enforces their timeout, hands each report to the import
 * callback, and wakes the waiting requests: when the scan is done, or when
 * a waiter's own deadline passes first.  Thread-safe.  Hooks are called
 * with the scanner's lock held and must only resume a connection.
 */
#ifndef RW_SCANNER_H
#define RW_SCANNER_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/** Import a report; returns RW_OK or an error with ERR set. */
typedef int	(*scanner_import_fn)(void *arg, const char *report, size_t len,
		    struct rw_err *err);

enum scan_wait_state {
	SCAN_PENDING = 0,	/* parked */
	SCAN_DONE,		/* the report was imported: decide again */
	SCAN_FAILED,		/* the scanner failed: msg says why */
	SCAN_TIMED_OUT,		/* the hold time ran out first */
};

struct scan_waiter {
	void		(*park)(void *arg);
	void		(*unpark)(void *arg);
	void		*arg;
	uint64_t	 deadline_ms;	/* rw_now_ms() based */
	int		 state;		/* enum scan_wait_state */
	char		 msg[256];
	/* private */
	struct scan_waiter *next;
	void		*job;
};

struct scanner;

/**
 * ARGV is the command template (NULL-terminated; "{ref}" and "{digest}" in
 * any argument are replaced), TIMEOUT the seconds one run may take,
 * MAX_RUNNING how many run at once.  NULL with ERR on failure.
 */
struct scanner	*scanner_new(const char *const *argv, int timeout,
		    int max_running, scanner_import_fn import, void *arg,
		    struct rw_err *err);
void		 scanner_free(struct scanner *sc);

/** Told of every run that ended: OK nonzero when its report went in, MS long. */
typedef void (*scanner_observe_fn)(void *arg, int ok, uint64_t ms);
/** Call FN(ARG, ...) from the scanner's thread (locked) after each run. */
void		 scanner_set_observer(struct scanner *sc, scanner_observe_fn fn,
		    void *arg);

/**
 * Wait for a scan of DIGEST (REF names it for the command).  Starts one
 * unless one is queued or running for that digest, and parks W until it
 * ends or W->deadline_ms passes; W->state then says which.  If a scan of
 * DIGEST finished less than a minute ago, returns at once with W->state
 * SCAN_FAILED and a message, so that a report which does not name the
 * digest cannot start scans in a loop.  Returns W->state.
 */
int	 scanner_wait(struct scanner *sc, const char *ref, const char *digest,
	    struct scan_waiter *w);

/**
 * Queue a scan of DIGEST (REF names it for the command) that nobody waits
 * for: the scheduled rescans.  Its report is imported like any other.
 * Returns 1 when queued (a record of a run that ended is run again), 0
 * when a scan of DIGEST is already queued or running (or out of memory).
 */
int	 scanner_submit(struct scanner *sc, const char *ref, const char *digest);

/**
 * Run scans through a scanner service instead of the command: each scan
 * POSTs {"ref", "digest"} (JSON) to URL, which answers 2xx and later POSTs
 * the report to the admin listener's /scans; the scan is over when
 * scanner_report_in names its digest, or fails at the timeout (or when
 * the POST fails or answers otherwise).  TOKEN, when not NULL, goes with
 * every POST as "Authorization: Bearer TOKEN" (copied; wiped when freed).
 * Call before the first scan.
 */
int	 scanner_set_webhook(struct scanner *sc, const char *url,
	    const char *token, struct rw_err *err);

/** A report naming DIGESTS[0..N-1] was imported: their webhook scans are done. */
void	 scanner_report_in(struct scanner *sc, const char *const *digests,
	    size_t n);

/*
 * One scan per digest across processes (replicas sharing a database).  The
 * scanner claims a digest before running its command; when another process
 * holds the claim, the job waits on that claim instead, polled every
 * SCANNER_POLL_MS, and its waiters are settled by the other's outcome.
 * The hooks run on the scanner's thread, with its lock held (they are short
 * database calls).
 */
#define SCANNER_POLL_MS	200

struct scanner_shared {
	/* 1: run it here; 0: another process runs it; <0: error, MSG why */
	int	(*claim)(void *arg, const char *digest, int lease_s,
		    char *msg, size_t size);
	/*
	 * Another's claim: SCAN_PENDING while it runs, SCAN_DONE, SCAN_FAILED
	 * (MSG why), or -1 when the claim is gone with no outcome (claim
	 * again).
	 */
	int	(*poll)(void *arg, const char *digest, char *msg, size_t size);
	/* This process's scan ended: OK, or MSG why not. */
	void	(*end)(void *arg, const char *digest, int ok, const char *msg);
	void	*arg;
};

/** Share single flight through SH (copied); call before the first wait. */
void	 scanner_set_shared(struct scanner *sc, const struct scanner_shared *sh);

/** W is going away: forget it (safe when not waiting). */
void	 scanner_forget(struct scanner *sc, struct scan_waiter *w);

/** Scans started since the scanner was made (for tests and metrics). */
uint64_t scanner_runs(struct scanner *sc);

/**
 * Build the argv for one run from TEMPLATE into OUT (at most MAX-1
 * strings + NULL); each string is malloc'ed (free with scanner_argv_free).
 * Exposed for tests.  Returns RW_OK or RW_ENOMEM/RW_ETOOBIG.
 */
int	 scanner_argv(const char *const *tmpl, const char *ref,
	    const char *digest, char **out, size_t max);
void	 scanner_argv_free(char **argv);

#endif /* RW_SCANNER_H */
