/*
 * metrics.h - process-wide counters, rendered as Prometheus text.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One struct metrics per process, owned by the server and handed to the code
 * that counts.  Every counter update is a C11 atomic operation that never
 * blocks or allocates (except the first sighting of a rule name, which
 * copies it once), so any thread may count from inside an MHD callback or
 * the curl loop.  The two strings (policy revision, version) sit behind a
 * sequence lock: a writer waits only for another writer.  metrics_render()
 * may run at the same time as updates; it reads each counter once, so a
 * scrape is a consistent-enough snapshot, never a torn value.  Nothing here
 * logs.
 *
 * Every series has the prefix "regwarden_" but the standard process_*
 * ones (metrics_ops.c reads /proc/self for them when rendering: the only
 * I/O here).  Fixed label sets (methods,
 * status classes, verdicts, caches, histogram buckets) are always rendered,
 * zeros included, so rate() works from the first scrape.
 */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct metrics;

/** Verdict of one admission decision; ERROR = could not decide. */
enum metrics_verdict {
	METRICS_ALLOW = 0,
	METRICS_DENY,
	METRICS_WARN,
	METRICS_ERROR,
	METRICS_NVERDICTS
};

/** The caches whose lookups are counted. */
enum metrics_cache {
	METRICS_CACHE_MANIFEST = 0,	/* verified manifests (mcache) */
	METRICS_CACHE_DECISION,		/* decisions, in memory */
	METRICS_CACHE_TAG,		/* pulls by tag: hit = upstream's 304 */
	METRICS_NCACHES
};

/*
 * Rule names kept as their own label value.  Later names are counted under
 * rule="other", as is a rule literally named "other", so that no two series
 * share a label set.
 */
#define METRICS_MAX_RULES	256

/** A zeroed set of counters, or NULL when out of memory (metrics_free it). */
struct metrics	*metrics_new(void);

/** Free M and the rule names it copied; NULL is fine.  No update may run. */
void	 metrics_free(struct metrics *m);

/**
 * One client request answered.  METHOD is the HTTP method ("GET", ...;
 * others and NULL count as "OTHER"); STATUS its status code.  1xx and anything
 * outside 100..599 count as 5xx: a proxy answers with neither.
 */
void	 metrics_request(struct metrics *m, const char *method, int status);

/** BYTES of response body sent to a client. */
void	 metrics_bytes_sent(struct metrics *m, uint64_t bytes);

/** Requests being served now (a gauge: the caller sets it, we do not count). */
void	 metrics_set_inflight(struct metrics *m, int64_t n);

/**
 * One admission decision with verdict V (enum metrics_verdict) by the rule
 * named RULE ("default" when none matched; NULL counts the verdict only).
 */
void	 metrics_decision(struct metrics *m, int v, const char *rule);

/** One lookup in cache C (enum metrics_cache); HIT nonzero when found. */
void	 metrics_cache(struct metrics *m, int c, int hit);

/** Results of a lookup in the blob cache on disk (cache/). */
enum metrics_blob_result {
	METRICS_BLOB_MISS = 0,
	METRICS_BLOB_HIT,		/* a complete blob */
	METRICS_BLOB_FOLLOW,		/* joined a fetch under way */
	METRICS_NBLOB_RESULTS
};

/** One lookup in the blob cache with RESULT (enum metrics_blob_result). */
void	 metrics_blob_lookup(struct metrics *m, int result);

/** N bytes of blobs sent to clients, from the cache (FROM_CACHE) or not. */
void	 metrics_blob_bytes(struct metrics *m, int from_cache, uint64_t n);

/**
 * The blob cache as it is now: BYTES in BLOBS files, EVICTIONS since the
 * start.  The first call turns the regwarden_blob_cache_* families on
 * (they are absent while no cache is configured).
 */
void	 metrics_set_blob_store(struct metrics *m, uint64_t bytes,
	    uint64_t blobs, uint64_t evictions);

/** One request the upstream could not be reached for (shown with the
 * blob cache families). */
void	 metrics_upstream_down(struct metrics *m);

/** One upstream request that took USEC microseconds, start to last byte. */
void	 metrics_upstream_latency(struct metrics *m, uint64_t usec);

/**
 * The revision of the policy now in force ("sha256:<hex>", at most
 * RW_DIGEST_MAX - 1 bytes; longer is cut), or NULL when none is loaded.
 */
void	 metrics_set_policy(struct metrics *m, const char *revision);

/** One failed policy load or reload. */
void	 metrics_policy_error(struct metrics *m);

/** The version regwarden_build_info shows (default "unknown"). */
void	 metrics_set_version(struct metrics *m, const char *version);

/* ------------------------------------------- the operator's series
 * (metrics_ops.c): per upstream, per route class, reloads, TLS, scanner,
 * signatures, attestations, audit queue, and the standard process_* series (read from
 * /proc when rendered). */

/** Upstream failure kinds, for regwarden_upstream_errors_total. */
enum metrics_up_err {
	METRICS_UP_CONNECT = 0,	/* no connection (refused, DNS, TLS) */
	METRICS_UP_TIMEOUT,
	METRICS_UP_5XX,		/* answered with a 5xx status */
	METRICS_UP_DIGEST,	/* bytes that do not match their digest */
	METRICS_UP_OTHER,
	METRICS_NUP_ERRS
};

/** Route classes of regwarden_http_request_duration_seconds. */
enum metrics_route {
	METRICS_ROUTE_MANIFEST = 0,
	METRICS_ROUTE_BLOB,
	METRICS_ROUTE_UPLOAD,
	METRICS_ROUTE_OTHER,
	METRICS_NROUTES
};

/* Upstream names kept as their own label value; later ones are "other". */
#define METRICS_MAX_UPSTREAMS	32

/** Upstream NAME answered one request after USEC microseconds. */
void	 metrics_upstream(struct metrics *m, const char *name, uint64_t usec);
/** One failure of upstream NAME, of KIND (enum metrics_up_err). */
void	 metrics_upstream_error(struct metrics *m, const char *name, int kind);
/** One client request of ROUTE (enum metrics_route) took USEC. */
void	 metrics_client_latency(struct metrics *m, int route, uint64_t usec);
/** A policy load or reload at NOW (unix seconds): OK nonzero if it worked. */
void	 metrics_policy_reload(struct metrics *m, int ok, int64_t now);
/** The listener certificate's notAfter, unix seconds. */
void	 metrics_set_tls_expiry(struct metrics *m, int64_t not_after);
/** One scanner run: OK nonzero when its report was imported; USEC long. */
void	 metrics_scanner_run(struct metrics *m, int ok, uint64_t usec);
/** One signature requirement evaluated: VERIFIED nonzero when it was met. */
void	 metrics_signature_check(struct metrics *m, int verified);
/**
 * One requirement of a rule's "attestations" evaluated (a reason of its
 * own each): VERIFIED nonzero when it was met.
 */
void	 metrics_attestation_check(struct metrics *m, int verified);
/** Audit rows waiting to be written (a gauge the caller sets). */
void	 metrics_set_auditq(struct metrics *m, int64_t depth);
/** One decision whose audit row could not be queued. */
void	 metrics_audit_drop(struct metrics *m);

/**
 * Append the Prometheus text exposition format 0.0.4 (# HELP, # TYPE and
 * samples, label values escaped) to OUT.  Returns RW_OK, or what
 * rw_buf_add returned (RW_ETOOBIG past OUT's cap, RW_ENOMEM); OUT then
 * holds a truncated text that must not be served.
 */
int	 metrics_render(struct metrics *m, struct rw_buf *out);

#endif /* RW_METRICS_H */
