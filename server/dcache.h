/*
 * dcache.h - the in-memory decision cache, with one evaluation per key.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Keys are opaque strings (server/decide.c builds them from the policy
 * revision, upstream, repository, digest and reference).  Concurrent cold
 * requests for one key share one evaluation: the first becomes the leader,
 * the others wait (parked through their hooks) until the leader completes
 * or abandons.  Thread-safe; the hooks are called with the cache locked, so
 * they must only flag or resume, never call back into the cache.
 */
#ifndef RW_DCACHE_H
#define RW_DCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/** A cached decision, as served again. */
struct dverdict {
	int	 kind;		/* enum verdict_kind, or DV_ERROR */
	int	 mode;
	char	 rule[64];
	char	 file[192];
	int	 line;
	char	 message[2048];
};

#define DV_ERROR	(-1)	/* could not decide: never cached */

/** A request waiting for another's evaluation. */
struct dc_waiter {
	void		(*park)(void *arg);
	void		(*unpark)(void *arg);
	void		*arg;
	struct dc_waiter *next;
	void		*flight;	/* private: what it waits on */
};

enum dc_result {
	DC_HIT = 1,	/* *OUT filled */
	DC_LEAD,	/* caller decides, then dcache_complete/abandon */
	DC_WAIT,	/* parked; look up again when unparked */
};

struct dcache	*dcache_new(size_t max_entries);
void		 dcache_free(struct dcache *dc);

/**
 * Look KEY up at NOW_MS.  A fresh entry is a hit.  Otherwise, when no one
 * is deciding KEY the caller leads; when someone is, W is parked (its park
 * hook is called) and DC_WAIT returned.
 */
int	 dcache_lookup(struct dcache *dc, const char *key, uint64_t now_ms,
	    struct dverdict *out, struct dc_waiter *w);

/** The leader's verdict: cached until EXPIRES_MS; waiters are woken. */
void	 dcache_complete(struct dcache *dc, const char *key,
	    const struct dverdict *v, uint64_t expires_ms);

/** The leader could not decide (or went away): waiters are woken to retry. */
void	 dcache_abandon(struct dcache *dc, const char *key);

/** W is going away while parked: forget it.  Safe if not waiting. */
void	 dcache_forget(struct dcache *dc, struct dc_waiter *w);

/** Drop every cached decision (policy reload, pin or exception change). */
void	 dcache_clear(struct dcache *dc);

/** Counters for /metrics. */
void	 dcache_stats(struct dcache *dc, uint64_t *hits, uint64_t *misses,
	    size_t *entries);

#endif /* RW_DCACHE_H */
