/*
 * cache.h - content-addressed blob store on local disk.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A folder of files named by their digest (DIR/blobs/sha256/<hex>), each
 * written once while it streams to the first client and made visible
 * only after its bytes hashed to that digest (a temporary file in
 * DIR/tmp, fsynced, then renamed).  A failed, cut or mismatching
 * download leaves nothing behind.  While a blob is being written, other
 * callers asking for it follow the writer: they read what has arrived so
 * far and wait for the rest, so however many clients ask at once there is
 * one upstream fetch.
 *
 * The store keeps at most max_bytes of complete blobs and, when it starts
 * a new one, evicts the least recently used until the new one fits both
 * max_bytes and the file system's min_free_bytes; it never evicts more than
 * that.  Recency is kept in each file's mtime (set on every hit), so the
 * order survives a restart: cache_open rebuilds the index from the folder,
 * no database involved.
 *
 * What it never does: decide who may read a blob (the caller's gate and
 * policy do, before asking), talk to the network, or log.  Errors come
 * back as RW_E* codes with an rw_err.
 *
 * Threads: every function may be called from any thread; one mutex guards
 * the index, file I/O happens outside it.  A reader or writer handle is
 * used by one thread at a time.
 */
#ifndef RW_CACHE_H
#define RW_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

struct cache;
struct cache_rd;
struct cache_wr;

struct cache_cfg {
	const char	*dir;		/* created (0700) when missing */
	uint64_t	 max_bytes;	/* complete blobs kept, at most */
	uint64_t	 min_free_bytes; /* left free on DIR's file system */
	int		 passive;	/* another process owns DIR: see cache_open */
};

/** Counters since cache_open, and the current size. */
struct cache_stats {
	uint64_t	 hits;		/* complete blob found */
	uint64_t	 follows;	/* joined a blob being written */
	uint64_t	 misses;	/* not there, nobody writing it */
	uint64_t	 fills;		/* blobs written and verified */
	uint64_t	 fill_failures;	/* aborted, cut, mismatching, no room */
	uint64_t	 evictions;
	uint64_t	 bytes_served;	/* read through cache_rd_read or noted */
	uint64_t	 entries;	/* complete blobs */
	uint64_t	 bytes;		/* their sizes summed */
	uint64_t	 filling;	/* blobs being written */
};

/** One complete blob, as cache_list reports it. */
struct cache_item {
	char		 digest[RW_DIGEST_MAX];
	uint64_t	 size;
	int64_t		 used_ns;	/* last hit or fill, CLOCK_REALTIME */
};

/**
 * Open (or create) the store in CFG->dir: makes DIR/blobs/sha256,
 * DIR/blobs/sha512 and DIR/tmp, removes what an earlier process left in
 * DIR/tmp, indexes the blobs found (names that are not a digest's hex are
 * removed too), and evicts down to the bounds.  With CFG->passive (the
 * command line looking at a running server's cache) it only indexes what
 * is there: nothing is made, removed or evicted, and max_bytes may be 0;
 * cache_remove still removes (the server then misses, and forgets it).  Returns the store (free
 * with cache_free) or NULL with ERR: RW_EIO ("DIR/blobs: <strerror>"),
 * RW_EINVAL (max_bytes 0), RW_ENOMEM.
 */
struct cache	*cache_open(const struct cache_cfg *cfg, struct rw_err *err);

/**
 * Close the store.  Every reader and writer must have been closed first
 * (cache_rd_close, cache_wr_commit or cache_wr_abort).  NULL does nothing.
 */
void		 cache_free(struct cache *c);

/**
 * The blob DIGEST for reading, or for writing when nobody has it.
 * Exactly one of *RD, *WR is set on RW_OK:
 *  - *RD: the blob is complete (a hit, its recency refreshed) or being
 *    written by someone else (a follower);
 *  - *WR: the caller is now its only writer and must end with
 *    cache_wr_commit or cache_wr_abort.  SIZE is the size the upstream
 *    announced (-1 unknown); room for it is made now.
 * Returns RW_ENOTFOUND when the blob is not there and cannot be written
 * (WR NULL: a lookup only; or it would not fit: SIZE above max_bytes, or
 * no room left on the file system), RW_EINVAL for a malformed digest,
 * RW_EIO with ERR when the temporary file cannot be made.
 */
int		 cache_get(struct cache *c, const char *digest, int64_t size,
		    struct cache_rd **rd, struct cache_wr **wr,
		    struct rw_err *err);

/* -------------------------------------------------------------- readers */

/* How a follower waits without blocking its thread (an event loop's
 * suspend and resume). */
struct cache_hooks {
	void	(*park)(void *arg);	/* e.g. MHD_suspend_connection */
	void	(*unpark)(void *arg);	/* e.g. MHD_resume_connection */
	void	*arg;
};

/**
 * Make RD park instead of waiting: a read with TIMEOUT_MS 0, or
 * cache_rd_wait_size, that finds nothing calls H->park (with the cache's
 * mutex held) and returns RW_EBUSY; H->unpark is called (from the
 * writer's thread, mutex held) when the writer appends, announces, ends
 * or fails, and never after cache_rd_close.
 */
void		 cache_rd_set_hooks(struct cache_rd *rd,
		    const struct cache_hooks *h);

/**
 * The blob's size once known: at once for a complete blob, else when its
 * writer announces it (cache_wr_announce).  Returns it, RW_EBUSY (not yet;
 * parked when RD has hooks) or RW_EIO (the writer failed first: the
 * caller fetches the blob itself).
 */
int64_t		 cache_rd_wait_size(struct cache_rd *rd);

/** Size of the blob: known for a complete blob or an announced one, else -1. */
int64_t		 cache_rd_size(const struct cache_rd *rd);

/**
 * The blob's own read-only descriptor when it is complete (for a response
 * from a file), or -1 while it is being written.  Owned by RD.
 */
int		 cache_rd_fd(const struct cache_rd *rd);

/**
 * Read up to LEN bytes at OFF into BUF.  For a blob being written, waits
 * up to TIMEOUT_MS for bytes past what has arrived (its last byte is held
 * back until the blob is verified, so no follower gets every byte of a
 * blob that fails).  Returns the count read (> 0), 0 at the end of a
 * complete blob, or RW_EIO (the writer failed: the blob will not be
 * cached), RW_ETIMEOUT, RW_EBUSY (parked, see cache_rd_set_hooks),
 * RW_EINVAL (OFF past the end).
 */
ssize_t		 cache_rd_read(struct cache_rd *rd, uint64_t off, void *buf,
		    size_t len, int timeout_ms);

/** Count N bytes sent from RD's descriptor by the caller (statistics). */
void		 cache_rd_note_served(struct cache_rd *rd, uint64_t n);

/** Release RD.  NULL does nothing. */
void		 cache_rd_close(struct cache_rd *rd);

/* -------------------------------------------------------------- writers */

/**
 * Append LEN bytes.  Returns RW_OK, or the first failure (RW_EIO with
 * ERR: a full disk; RW_ETOOBIG: past the announced size or max_bytes),
 * after which the blob is abandoned: followers get RW_EIO, and the writer
 * must still call cache_wr_abort (its own client is not affected).
 */
int		 cache_wr_write(struct cache_wr *wr, const void *data,
		    size_t len, struct rw_err *err);

/**
 * The size the upstream announced, once the writer knows it (cache_get was
 * given -1): room is made for it now.  Returns RW_OK, or RW_ETOOBIG (it
 * does not fit, or fewer bytes than already written), after which the blob
 * is abandoned as by a failed write.
 */
int		 cache_wr_announce(struct cache_wr *w, int64_t size);

/**
 * Verify and publish: the bytes must hash to the digest (and match the
 * announced size).  Returns RW_OK, the blob now visible to all; or
 * RW_EDIGEST / RW_EIO with ERR, and nothing is left behind.  Frees WR
 * either way.
 */
int		 cache_wr_commit(struct cache_wr *wr, struct rw_err *err);

/**
 * The caller hashes the bytes it writes itself (an upstream transfer that
 * checks them against the digest as they arrive, on its own thread): WR
 * does not hash them a second time, and only cache_wr_commit_hashed with
 * the digest the caller computed can publish them (cache_wr_commit then
 * fails with RW_EDIGEST).  Has effect only before the first write.
 */
void		 cache_wr_caller_hashes(struct cache_wr *wr);

/**
 * cache_wr_commit for a writer whose caller hashes: GOT is the digest of
 * exactly the bytes written, computed by the caller; it must be the blob's
 * digest (and the size the announced one).  For any other writer GOT is
 * ignored and WR hashes as usual.  Returns as cache_wr_commit; frees WR.
 */
int		 cache_wr_commit_hashed(struct cache_wr *wr, const char *got,
		    struct rw_err *err);

/** Give up the blob (upstream cut, client gone): nothing left behind. */
void		 cache_wr_abort(struct cache_wr *wr);

/* ---------------------------------------------------------- maintenance */

void		 cache_stats(struct cache *c, struct cache_stats *out);

/**
 * Call FN for each complete blob, least recently used first, with the
 * index copied first (FN may call back into the cache).  Returns RW_OK or
 * RW_ENOMEM.
 */
int		 cache_list(struct cache *c,
		    void (*fn)(const struct cache_item *, void *), void *arg);

/**
 * Remove the complete blob DIGEST (readers that have it open keep it).
 * Returns RW_OK or RW_ENOTFOUND.
 */
int		 cache_remove(struct cache *c, const char *digest);

#endif
