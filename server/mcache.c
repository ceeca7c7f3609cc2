/* mcache.c - in-memory LRU cache of verified manifests, and manifest refs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/mcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "util/util.h"

#define MCACHE_BUCKETS0	256	/* initial table size, a power of two */
#define MCACHE_MT_MAX	256	/* media types: 127 + "/" + 127 (RFC 6838) */

struct mcache_entry {
	atomic_uint		 refs;		/* the cache's (if kept) + callers' */
	uint64_t		 hash;
	struct mcache_entry	*hnext;		/* bucket chain */
	struct mcache_entry	*prev;		/* LRU list, most recent first */
	struct mcache_entry	*next;
	size_t			 charge;	/* bytes counted against the cap */
	size_t			 len;
	const char		*upstream;	/* all point into data[] */
	const char		*repo;
	const char		*digest;
	const char		*media_type;
	char			 data[];	/* body NUL upstream NUL repo ... */
};

struct mcache {
	pthread_mutex_t		 mu;
	struct db		*db;
	size_t			 cap;
	size_t			 bytes;
	size_t			 count;
	struct mcache_entry	**buckets;
	size_t			 nbuckets;
	struct mcache_entry	*head;		/* most recently used */
	struct mcache_entry	*tail;		/* next to evict */
	uint64_t		 k0, k1;	/* hash key */
	atomic_uint_least64_t	 hits, db_hits, misses, db_errors, evictions;
};

/* ------------------------------------------------------------ hashing */

/*
 * SipHash-1-3 with a per-cache random key.  Repository names come from
 * clients, so an unkeyed hash would let someone who can get manifests
 * cached pick names that all land in one bucket.
 */
struct sip {
	uint64_t	 v0, v1, v2, v3;
	uint64_t	 tail;
	size_t		 n;
};

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(struct sip *s)
{
	s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static void
sip_word(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	s->v0 ^= m;
}

static void
sip_init(struct sip *s, uint64_t k0, uint64_t k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
	s->tail = 0;
	s->n = 0;
}

static void
sip_feed(struct sip *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (; len > 0; p++, len--) {
		s->tail |= (uint64_t)*p << (8 * (s->n & 7));
		if ((++s->n & 7) == 0) {
			sip_word(s, s->tail);
			s->tail = 0;
		}
	}
}

static uint64_t
sip_final(struct sip *s)
{
	uint64_t b = ((uint64_t)s->n << 56) | s->tail;

	sip_word(s, b);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static uint64_t
key_hash(const struct mcache *mc, const char *upstream, const char *repo,
    const char *digest)
{
	struct sip s;

	/* NUL separators keep ("ab","c") and ("a","bc") apart. */
	sip_init(&s, mc->k0, mc->k1);
	sip_feed(&s, upstream, strlen(upstream) + 1);
	sip_feed(&s, repo, strlen(repo) + 1);
	sip_feed(&s, digest, strlen(digest));
	return sip_final(&s);
}

static uint64_t
hex64(const char *hex)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = hex[i];

		v = (v << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return v;
}

/* ------------------------------------------------------------ entries */

static struct mcache_entry *
entry_new(const char *upstream, const char *repo, const char *digest,
    const char *media_type, const void *body, size_t len)
{
	size_t lu = strlen(upstream) + 1, lr = strlen(repo) + 1;
	size_t ld = strlen(digest) + 1, lm = strlen(media_type) + 1;
	size_t fixed = sizeof(struct mcache_entry) + lu + lr + ld + lm + 1;
	struct mcache_entry *e;
	char *p;

	if (len > SIZE_MAX - fixed)
		return NULL;
	e = malloc(fixed + len);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	atomic_init(&e->refs, 1);
	e->charge = fixed + len;
	e->len = len;
	p = e->data;
	if (len > 0)
		memcpy(p, body, len);
	p[len] = '\0';
	p += len + 1;
	e->upstream = memcpy(p, upstream, lu);
	p += lu;
	e->repo = memcpy(p, repo, lr);
	p += lr;
	e->digest = memcpy(p, digest, ld);
	p += ld;
	e->media_type = memcpy(p, media_type, lm);
	return e;
}

void
mcache_release(const struct mcache_entry *ce)
{
	struct mcache_entry *e;

	if (ce == NULL)
		return;
	/*
	 * Callers get const pointers because the bytes are shared; the count
	 * is the one field that changes, and it is atomic.
	 */
	e = (struct mcache_entry *)(uintptr_t)ce;
	if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		free(e);
}

const char *
mcache_entry_body(const struct mcache_entry *e)
{
	return e->data;
}

size_t
mcache_entry_len(const struct mcache_entry *e)
{
	return e->len;
}

const char *
mcache_entry_media_type(const struct mcache_entry *e)
{
	return e->media_type;
}

const char *
mcache_entry_digest(const struct mcache_entry *e)
{
	return e->digest;
}

/* --------------------------------------------- table and LRU (locked) */

static struct mcache_entry *
find(struct mcache *mc, uint64_t h, const char *upstream, const char *repo,
    const char *digest)
{
	struct mcache_entry *e;

	for (e = mc->buckets[h & (mc->nbuckets - 1)]; e != NULL; e = e->hnext) {
		if (e->hash == h && strcmp(e->digest, digest) == 0 &&
		    strcmp(e->repo, repo) == 0 &&
		    strcmp(e->upstream, upstream) == 0)
			return e;
	}
	return NULL;
}

static void
lru_unlink(struct mcache *mc, struct mcache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		mc->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		mc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct mcache *mc, struct mcache_entry *e)
{
	e->prev = NULL;
	e->next = mc->head;
	if (mc->head != NULL)
		mc->head->prev = e;
	else
		mc->tail = e;
	mc->head = e;
}

static void
table_remove(struct mcache *mc, struct mcache_entry *e)
{
	struct mcache_entry **pp;

	pp = &mc->buckets[e->hash & (mc->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	e->hnext = NULL;
}

/*
 * Double the table once it holds as many entries as buckets.  If that
 * allocation fails the chains just get longer: still correct.
 */
static void
table_grow(struct mcache *mc)
{
	struct mcache_entry **nb, *e, *next;
	size_t i, n = mc->nbuckets * 2;

	if (mc->count < mc->nbuckets || n < mc->nbuckets)
		return;
	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < mc->nbuckets; i++) {
		for (e = mc->buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(mc->buckets);
	mc->buckets = nb;
	mc->nbuckets = n;
}

/*
 * Evict from the tail until the cache fits its cap.  Victims are chained
 * on their `next` pointer and returned, to be released after the mutex is
 * dropped: freeing megabytes is no work to do while others wait.
 */
static struct mcache_entry *
evict(struct mcache *mc)
{
	struct mcache_entry *victims = NULL, *e;

	while (mc->bytes > mc->cap && mc->tail != NULL) {
		e = mc->tail;
		lru_unlink(mc, e);
		table_remove(mc, e);
		mc->bytes -= e->charge;
		mc->count--;
		atomic_fetch_add_explicit(&mc->evictions, 1,
		    memory_order_relaxed);
		e->next = victims;
		victims = e;
	}
	return victims;
}

static void
release_chain(struct mcache_entry *e)
{
	struct mcache_entry *next;

	for (; e != NULL; e = next) {
		next = e->next;
		mcache_release(e);
	}
}

/* A hit: most recently used now, and one more reference for the caller. */
static const struct mcache_entry *
take(struct mcache *mc, struct mcache_entry *e)
{
	if (mc->head != e) {
		lru_unlink(mc, e);
		lru_push(mc, e);
	}
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	return e;
}

/*
 * Keep E (holding the caller's one reference) in memory, unless it could
 * never fit.  When another thread kept the same key first, E is dropped
 * and the caller gets that entry instead.
 */
static const struct mcache_entry *
keep(struct mcache *mc, struct mcache_entry *e)
{
	const struct mcache_entry *ret;
	struct mcache_entry *old, *victims;

	if (e->charge > mc->cap)
		return e;
	pthread_mutex_lock(&mc->mu);
	old = find(mc, e->hash, e->upstream, e->repo, e->digest);
	if (old != NULL) {
		ret = take(mc, old);
		pthread_mutex_unlock(&mc->mu);
		mcache_release(e);
		return ret;
	}
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	e->hnext = mc->buckets[e->hash & (mc->nbuckets - 1)];
	mc->buckets[e->hash & (mc->nbuckets - 1)] = e;
	lru_push(mc, e);
	mc->bytes += e->charge;
	mc->count++;
	table_grow(mc);
	victims = evict(mc);
	pthread_mutex_unlock(&mc->mu);
	release_chain(victims);
	return e;
}

/* ------------------------------------------------------------ the API */

struct mcache *
mcache_new(size_t cap_bytes, struct db *db)
{
	char hex[33];
	struct mcache *mc;

	mc = calloc(1, sizeof(*mc));
	if (mc == NULL)
		return NULL;
	mc->buckets = calloc(MCACHE_BUCKETS0, sizeof(*mc->buckets));
	if (mc->buckets == NULL || pthread_mutex_init(&mc->mu, NULL) != 0) {
		free(mc->buckets);
		free(mc);
		return NULL;
	}
	mc->nbuckets = MCACHE_BUCKETS0;
	mc->cap = cap_bytes;
	mc->db = db;
	rw_random_hex(hex, 32);
	mc->k0 = hex64(hex);
	mc->k1 = hex64(hex + 16);
	return mc;
}

void
mcache_free(struct mcache *mc)
{
	struct mcache_entry *e, *next;

	if (mc == NULL)
		return;
	for (e = mc->head; e != NULL; e = next) {
		next = e->next;
		mcache_release(e);
	}
	free(mc->buckets);
	pthread_mutex_destroy(&mc->mu);
	free(mc);
}

/*
 * Whether BODY (LEN bytes, read back from the db) still hashes to DIGEST.
 * The bytes were hashed before they were stored, but the file outlives the
 * process: a damaged or edited row must cost an upstream fetch, not be
 * served as verified.
 */
static int
still_verified(const char *upstream, const char *repo, const char *digest,
    const char *body, size_t len)
{
	char got[RW_DIGEST_MAX];
	int alg = rw_hash_alg_of(digest);

	if (alg != 0 && rw_digest(alg, body, len, got) == RW_OK &&
	    strcmp(got, digest) == 0)
		return 1;
	log_warnx("manifest cache: %s/%s@%s in the state database does not "
	    "hash to its digest; fetching it again", upstream, repo, digest);
	return 0;
}

static const struct mcache_entry *
from_db(struct mcache *mc, uint64_t h, const char *upstream, const char *repo,
    const char *digest)
{
	char mt[MCACHE_MT_MAX], *body = NULL;
	struct mcache_entry *e;
	struct rw_err err;
	size_t len = 0;
	int rc;

	rw_err_clear(&err);
	rc = db_manifest_get(mc->db, upstream, repo, digest, &body, &len, mt,
	    sizeof(mt), &err);
	if (rc == RW_ENOTFOUND) {
		atomic_fetch_add_explicit(&mc->misses, 1, memory_order_relaxed);
		return NULL;
	}
	if (rc != RW_OK) {
		atomic_fetch_add_explicit(&mc->db_errors, 1,
		    memory_order_relaxed);
		log_warnx("manifest cache: %s", err.msg);
		return NULL;
	}
	if (!still_verified(upstream, repo, digest, body, len)) {
		atomic_fetch_add_explicit(&mc->db_errors, 1,
		    memory_order_relaxed);
		free(body);
		return NULL;
	}
	e = entry_new(upstream, repo, digest, mt, body, len);
	free(body);
	if (e == NULL)
		return NULL;
	e->hash = h;
	atomic_fetch_add_explicit(&mc->db_hits, 1, memory_order_relaxed);
	return keep(mc, e);
}

const struct mcache_entry *
mcache_peek(struct mcache *mc, const char *upstream, const char *repo,
    const char *digest)
{
	const struct mcache_entry *ret = NULL;
	struct mcache_entry *e;
	uint64_t h;

	h = key_hash(mc, upstream, repo, digest);
	pthread_mutex_lock(&mc->mu);
	e = find(mc, h, upstream, repo, digest);
	if (e != NULL)
		ret = take(mc, e);
	pthread_mutex_unlock(&mc->mu);
	return ret;
}

const struct mcache_entry *
mcache_get(struct mcache *mc, const char *upstream, const char *repo,
    const char *digest)
{
	const struct mcache_entry *ret;

	ret = mcache_peek(mc, upstream, repo, digest);
	if (ret != NULL) {
		atomic_fetch_add_explicit(&mc->hits, 1, memory_order_relaxed);
		return ret;
	}
	if (mc->db == NULL) {
		atomic_fetch_add_explicit(&mc->misses, 1, memory_order_relaxed);
		return NULL;
	}
	return from_db(mc, key_hash(mc, upstream, repo, digest), upstream,
	    repo, digest);
}

static int
put_db(struct mcache *mc, const char *upstream, const char *repo,
    const char *digest, const char *media_type, const void *body, size_t len,
    const struct mcache_ref *refs, size_t nrefs, int64_t now)
{
	struct db_ref *dr = NULL;
	struct rw_err err;
	size_t i;
	int rc;

	rw_err_clear(&err);
	if (nrefs > 0) {
		dr = calloc(nrefs, sizeof(*dr));
		if (dr == NULL)
			return RW_ENOMEM;
	}
	for (i = 0; i < nrefs; i++) {
		dr[i].kind = refs[i].kind;
		dr[i].digest = refs[i].digest;
	}
	rc = db_manifest_put(mc->db, upstream, repo, digest, media_type, body,
	    len, dr, nrefs, now, &err);
	free(dr);
	if (rc != RW_OK) {
		atomic_fetch_add_explicit(&mc->db_errors, 1,
		    memory_order_relaxed);
		log_warnx("manifest cache: %s", err.msg);
	}
	return rc;
}

const struct mcache_entry *
mcache_put(struct mcache *mc, const char *upstream, const char *repo,
    const char *digest, const char *media_type, const void *body, size_t len,
    const struct mcache_ref *refs, size_t nrefs, int64_t now)
{
	const struct mcache_entry *ret = NULL;
	struct mcache_entry *e;
	uint64_t h;

	/* Already kept means already in the db too: nothing to write. */
	h = key_hash(mc, upstream, repo, digest);
	pthread_mutex_lock(&mc->mu);
	e = find(mc, h, upstream, repo, digest);
	if (e != NULL)
		ret = take(mc, e);
	pthread_mutex_unlock(&mc->mu);
	if (ret != NULL)
		return ret;
	/*
	 * The db first: the blob gate reads manifest_blobs there, so a
	 * manifest served from memory must never be missing from the db.
	 */
	if (mc->db != NULL && put_db(mc, upstream, repo, digest, media_type,
	    body, len, refs, nrefs, now) != RW_OK)
		return NULL;
	e = entry_new(upstream, repo, digest, media_type, body, len);
	if (e == NULL)
		return NULL;
	e->hash = h;
	return keep(mc, e);
}

void
mcache_stats(struct mcache *mc, struct mcache_stats *out)
{
	pthread_mutex_lock(&mc->mu);
	out->entries = mc->count;
	out->bytes = mc->bytes;
	pthread_mutex_unlock(&mc->mu);
	out->hits = atomic_load_explicit(&mc->hits, memory_order_relaxed);
	out->db_hits = atomic_load_explicit(&mc->db_hits, memory_order_relaxed);
	out->misses = atomic_load_explicit(&mc->misses, memory_order_relaxed);
	out->db_errors = atomic_load_explicit(&mc->db_errors,
	    memory_order_relaxed);
	out->evictions = atomic_load_explicit(&mc->evictions,
	    memory_order_relaxed);
}

/* ------------------------------------------------------ manifest refs */

struct refvec {
	struct mcache_ref	*v;
	size_t			 n;
	size_t			 alloc;
};

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_lower_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

static int
is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int
is_alg_sep(char c)
{
	return c != '\0' && strchr("+._-", c) != NULL;
}

/*
 * OCI digest grammar: algorithm ":" encoded, where algorithm is lower-case
 * components joined by single [+._-] and encoded is [a-zA-Z0-9=_-]+; the
 * registered sha256 and sha512 need exactly 64 and 128 lower-case hex.
 */
static int
valid_digest(const char *s)
{
	const char *colon = strchr(s, ':'), *p;
	size_t hexlen = 0;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return 0;
	for (p = s; p < colon; p++) {
		if (is_alg_sep(*p) && (p == s || p + 1 == colon ||
		    is_alg_sep(p[1])))
			return 0;
		if (!is_alg_sep(*p) && !is_lower_alnum(*p))
			return 0;
	}
	if (strncmp(s, "sha256:", 7) == 0)
		hexlen = 64;
	else if (strncmp(s, "sha512:", 7) == 0)
		hexlen = 128;
	for (p = colon + 1; *p != '\0'; p++) {
		if (hexlen > 0 && !is_lower_hex(*p))
			return 0;
		if (hexlen == 0 && !is_alnum(*p) && strchr("=_-", *p) == NULL)
			return 0;
	}
	return hexlen == 0 || (size_t)(p - colon - 1) == hexlen;
}

/* RFC 6838 type "/" subtype of restricted-name characters, no parameters. */
static int
valid_media_type(const char *s)
{
	const char *p;
	int slashes = 0;
	size_t run = 0;

	for (p = s; *p != '\0'; p++) {
		if (*p == '/') {
			if (run == 0 || ++slashes > 1)
				return 0;
			run = 0;
		} else if (is_alnum(*p) ||
		    (run > 0 && strchr("!#$&-^_.+", *p) != NULL)) {
			if (++run > 127)
				return 0;
		} else
			return 0;
	}
	return slashes == 1 && run > 0;
}

static int
add_ref(json_t *obj, const char *path, enum db_ref_kind kind,
    struct refvec *rv, struct rw_err *err)
{
	json_t *d;
	const char *s;
	struct mcache_ref *nv;

	if (!json_is_object(obj))
		return rw_err_set(err, RW_EPARSE, "manifest: %s is not an object",
		    path);
	d = json_object_get(obj, "digest");	/* borrowed */
	if (d == NULL)
		return rw_err_set(err, RW_EPARSE, "manifest: %s.digest is missing",
		    path);
	if (!json_is_string(d))
		return rw_err_set(err, RW_EPARSE,
		    "manifest: %s.digest is not a string", path);
	s = json_string_value(d);
	if (json_string_length(d) >= RW_DIGEST_MAX)
		return rw_err_set(err, RW_ETOOBIG, "manifest: %s.digest is "
		    "longer than %d characters", path, RW_DIGEST_MAX - 1);
	if (!valid_digest(s))
		return rw_err_set(err, RW_EPARSE,
		    "manifest: %s.digest is not a valid digest", path);
	if (rv->n == rv->alloc) {
		size_t na = rv->alloc == 0 ? 8 : rv->alloc * 2;

		nv = realloc(rv->v, na * sizeof(*nv));
		if (nv == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		rv->v = nv;
		rv->alloc = na;
	}
	rv->v[rv->n].kind = kind;
	rw_strlcpy(rv->v[rv->n].digest, s, sizeof(rv->v[rv->n].digest));
	rv->n++;
	return RW_OK;
}

static int
add_array(json_t *root, const char *key, enum db_ref_kind kind,
    struct refvec *rv, struct rw_err *err)
{
	json_t *arr = json_object_get(root, key);	/* borrowed */
	char path[48];
	size_t i;
	int rc;

	if (arr == NULL)
		return RW_OK;
	if (!json_is_array(arr))
		return rw_err_set(err, RW_EPARSE, "manifest: %s is not an array",
		    key);
	for (i = 0; i < json_array_size(arr); i++) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		rc = add_ref(json_array_get(arr, i), path, kind, rv, err);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

static int
media_type(json_t *root, char *out, size_t size, struct rw_err *err)
{
	json_t *mt = json_object_get(root, "mediaType");	/* borrowed */
	const char *s;

	out[0] = '\0';
	if (mt == NULL)
		return RW_OK;
	if (!json_is_string(mt))
		return rw_err_set(err, RW_EPARSE,
		    "manifest: mediaType is not a string");
	s = json_string_value(mt);
	/* Not echoed: it may hold anything, and it becomes a header. */
	if (!valid_media_type(s))
		return rw_err_set(err, RW_EPARSE,
		    "manifest: mediaType is not a valid media type");
	if (strlen(s) >= size)
		return rw_err_set(err, RW_ETOOBIG, "manifest: mediaType does not "
		    "fit in %zu bytes", size);
	rw_strlcpy(out, s, size);
	return RW_OK;
}

/*
 * A document that is both an index and an image manifest can be read
 * either way by different clients (the OCI "ambiguous manifest" advisory,
 * GHSA-mc8v-mgrf-8f4m), so what we check and what they run could differ.
 */
static int
check_shape(json_t *root, const char *mt, struct rw_err *err)
{
	static const char oci_index[] = "application/vnd.oci.image.index.v1+json";
	static const char oci_image[] =
	    "application/vnd.oci.image.manifest.v1+json";
	static const char docker_list[] =
	    "application/vnd.docker.distribution.manifest.list.v2+json";
	static const char docker_image[] =
	    "application/vnd.docker.distribution.manifest.v2+json";
	int is_index = json_object_get(root, "manifests") != NULL;
	int is_image = json_object_get(root, "config") != NULL ||
	    json_object_get(root, "layers") != NULL;

	if (is_index && is_image)
		return rw_err_set(err, RW_EPARSE, "manifest: has both "
		    "\"manifests\" and \"config\" or \"layers\"");
	if (is_image && (strcmp(mt, oci_index) == 0 ||
	    strcmp(mt, docker_list) == 0))
		return rw_err_set(err, RW_EPARSE, "manifest: mediaType %s does "
		    "not allow \"config\" or \"layers\"", mt);
	if (is_index && (strcmp(mt, oci_image) == 0 ||
	    strcmp(mt, docker_image) == 0))
		return rw_err_set(err, RW_EPARSE, "manifest: mediaType %s does "
		    "not allow \"manifests\"", mt);
	return RW_OK;
}

static int
schema_version(json_t *root, struct rw_err *err)
{
	json_t *sv = json_object_get(root, "schemaVersion");	/* borrowed */

	if (sv == NULL)
		return rw_err_set(err, RW_EPARSE,
		    "manifest: schemaVersion is missing");
	if (!json_is_integer(sv))
		return rw_err_set(err, RW_EPARSE,
		    "manifest: schemaVersion is not an integer");
	if (json_integer_value(sv) != 2)
		return rw_err_set(err, RW_EUNSUPPORTED, "manifest: schemaVersion "
		    "%" JSON_INTEGER_FORMAT " is not supported (expected 2)",
		    json_integer_value(sv));
	return RW_OK;
}

static int
collect(json_t *root, struct refvec *rv, struct rw_err *err)
{
	json_t *o;
	int rc;

	o = json_object_get(root, "config");	/* borrowed */
	rc = o != NULL ? add_ref(o, "config", DB_REF_CONFIG, rv, err) : RW_OK;
	if (rc == RW_OK)
		rc = add_array(root, "layers", DB_REF_LAYER, rv, err);
	if (rc == RW_OK)
		rc = add_array(root, "manifests", DB_REF_CHILD, rv, err);
	o = json_object_get(root, "subject");	/* borrowed */
	if (rc == RW_OK && o != NULL)
		rc = add_ref(o, "subject", DB_REF_SUBJECT, rv, err);
	return rc;
}

int
mcache_manifest_refs(const char *body, size_t len, struct mcache_ref **refs,
    size_t *n, char *media_type_out, size_t mtsize, struct rw_err *err)
{
	struct refvec rv = { NULL, 0, 0 };
	json_error_t je;
	json_t *root;
	int rc;

	*refs = NULL;
	*n = 0;
	if (mtsize == 0)
		return rw_err_set(err, RW_EINVAL,
		    "mcache_manifest_refs: no room for the media type");
	media_type_out[0] = '\0';
	/* Duplicate keys are refused: parsers disagree on which one wins. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return rw_err_set(err, RW_EPARSE, "manifest: invalid JSON at "
		    "line %d column %d: %s", je.line, je.column, je.text);
	if (!json_is_object(root)) {
		rc = rw_err_set(err, RW_EPARSE,
		    "manifest: top level is not an object");
		goto out;
	}
	rc = schema_version(root, err);
	if (rc == RW_OK)
		rc = media_type(root, media_type_out, mtsize, err);
	if (rc == RW_OK)
		rc = check_shape(root, media_type_out, err);
	if (rc == RW_OK)
		rc = collect(root, &rv, err);
out:
	json_decref(root);
	if (rc != RW_OK) {
		free(rv.v);
		media_type_out[0] = '\0';
		return rc;
	}
	*refs = rv.v;
	*n = rv.n;
	return RW_OK;
}
