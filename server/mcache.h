/*
 * mcache.h - in-memory cache of verified manifests, in front of the db.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Manifests by digest are immutable, so once verified they can be served
 * from memory without an upstream round trip.  Entries are keyed by
 * (upstream name, repository, digest), immutable, reference counted and
 * shared by every thread; the cache keeps the least recently used ones
 * within a byte budget and reads through to the db on a memory miss.
 *
 * Threads: every function may be called from any thread.  One mutex guards
 * the hash table and the LRU list; a lookup is one keyed hash, one bucket
 * walk and a list splice under it.  The db read on a memory miss happens
 * outside the mutex (it blocks on SQLite for the duration of one query).
 *
 * Callers put only manifests whose bytes they have hashed; the cache checks
 * digests only where bytes come back from the db (the state database is a
 * file on disk, kept across restarts: a row whose bytes no longer hash to
 * its digest is logged and treated as a miss).  It logs db failures
 * (log_warnx) and otherwise treats them as misses, so a broken db costs
 * upstream round trips, never an allow.
 *
 * The second half, mcache_manifest_refs, extracts the digests a manifest
 * references; it lives here until the facts module wants it.
 */
#ifndef RW_MCACHE_H
#define RW_MCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "util/util.h"

struct mcache;
struct mcache_entry;

/** One digest a manifest references; KIND is a DB_REF_* value. */
struct mcache_ref {
	enum db_ref_kind	 kind;
	char			 digest[RW_DIGEST_MAX];
};

/** Counters since mcache_new, and the current size. */
struct mcache_stats {
	uint64_t	 hits;		/* found in memory */
	uint64_t	 db_hits;	/* found in the db, now in memory */
	uint64_t	 misses;	/* found nowhere */
	uint64_t	 db_errors;	/* db reads or writes that failed */
	uint64_t	 evictions;
	size_t		 entries;
	size_t		 bytes;		/* charged bytes, see mcache_new */
};

/**
 * A cache holding at most CAP_BYTES in memory.  Each entry is charged its
 * whole allocation: the body, the key and media type strings, and a fixed
 * overhead.  CAP_BYTES 0 turns the memory cache off (every get reads the
 * db).  DB (borrowed, may be NULL) is the durable store behind it and must
 * outlive the cache.  Returns NULL when out of memory.
 */
struct mcache	*mcache_new(size_t cap_bytes, struct db *db);

/**
 * Free the cache and drop its references.  Entries still held by callers
 * stay valid until their mcache_release.  NULL does nothing.
 */
void	 mcache_free(struct mcache *mc);

/**
 * The manifest (UPSTREAM, REPO, DIGEST): from memory, else from the db (and
 * then kept in memory).  Returns a reference the caller must give back with
 * mcache_release, or NULL when the manifest is in neither place or the db
 * failed (logged).
 */
const struct mcache_entry *mcache_get(struct mcache *mc, const char *upstream,
	    const char *repo, const char *digest);

/**
 * The manifest (UPSTREAM, REPO, DIGEST) only when it is kept in memory: no
 * db read, and no hit or miss counted.  For a caller that has just verified
 * bytes hashing to DIGEST and wants to know whether they are already kept
 * (with their references recorded), so it need not parse them again; or for
 * one on the request path that must not wait on the db for a hint.
 * Returns a reference to give back with mcache_release, or NULL.
 */
const struct mcache_entry *mcache_peek(struct mcache *mc, const char *upstream,
	    const char *repo, const char *digest);

/**
 * Store a verified manifest: BODY (LEN bytes, copied) of MEDIA_TYPE whose
 * digest is DIGEST, referencing REFS (NREFS), seen first at NOW (Unix
 * seconds).  It is written to the db first (insert or ignore), then kept in
 * memory.  When the key is already in memory, that entry is returned and
 * nothing is written.  An entry larger than the whole budget is returned
 * without being kept.  Returns a reference (release it), or NULL when out of
 * memory or when the db write failed (logged; nothing is kept in memory, so
 * the next put tries the db again).
 */
const struct mcache_entry *mcache_put(struct mcache *mc, const char *upstream,
	    const char *repo, const char *digest, const char *media_type,
	    const void *body, size_t len, const struct mcache_ref *refs,
	    size_t nrefs, int64_t now);

/** Give back a reference from mcache_get, mcache_peek or mcache_put.  NULL does nothing. */
void	 mcache_release(const struct mcache_entry *e);

/** The exact bytes; a NUL follows them, not counted in mcache_entry_len. */
const char	*mcache_entry_body(const struct mcache_entry *e);
size_t		 mcache_entry_len(const struct mcache_entry *e);
const char	*mcache_entry_media_type(const struct mcache_entry *e);
const char	*mcache_entry_digest(const struct mcache_entry *e);

/** A snapshot of MC's counters. */
void	 mcache_stats(struct mcache *mc, struct mcache_stats *out);

/**
 * Parse the manifest BODY (LEN bytes, JSON) and list the digests it
 * references: config.digest (DB_REF_CONFIG), layers[].digest (DB_REF_LAYER),
 * manifests[].digest of an index or list (DB_REF_CHILD) and subject.digest
 * (DB_REF_SUBJECT), in document order.  MEDIA_TYPE_OUT (MTSIZE bytes) gets
 * the body's mediaType, or "" when it has none (the caller then relies on
 * Content-Type).
 *
 * On RW_OK, *REFS is a malloc'ed array of *N entries (NULL when *N is 0;
 * caller frees).  Errors, with *REFS NULL and *N 0:
 *  - RW_EPARSE: not JSON, duplicate object keys, not an object, a field of
 *    the wrong type, a digest that is not "algorithm:encoded", a mediaType
 *    that is not a media type, or a document with both "manifests" and
 *    "config"/"layers" (ambiguous: clients may read it either way);
 *  - RW_EUNSUPPORTED: schemaVersion other than 2 (schema1 is not handled);
 *  - RW_ETOOBIG: a digest longer than RW_DIGEST_MAX - 1, or a mediaType that
 *    does not fit MTSIZE;
 *  - RW_ENOMEM.
 */
int	 mcache_manifest_refs(const char *body, size_t len,
	    struct mcache_ref **refs, size_t *n, char *media_type_out,
	    size_t mtsize, struct rw_err *err);

#endif /* RW_MCACHE_H */
