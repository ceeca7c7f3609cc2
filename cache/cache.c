/* cache.c - the blob store: index, LRU by size, single writer, followers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cache/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define NBUCKETS	16384
/*
 * Bytes written between two requests for early writeback: a blob is
 * fdatasynced before it is renamed into place, on the thread that ends its
 * download (an event loop's); started early, that wait is short.
 */
#define WRITEBACK_STEP	(8u << 20)

enum { E_FILLING, E_READY, E_FAILED };

/*
 * One blob the index knows: complete (in the LRU list) or being written
 * (not in the list, its bytes reserved).  A writer and its followers each
 * hold a reference; an entry leaves the index when it fails or is
 * evicted, and is freed when the last reference goes.
 */
struct entry {
	char		 digest[RW_DIGEST_MAX];
	int		 state;
	int		 indexed;
	int		 refs;
	int		 fd;		/* the file being written, for followers */
	uint64_t	 size;		/* complete size, or bytes written so far */
	int64_t		 announced;	/* -1 unknown */
	uint64_t	 reserve;	/* bytes counted in c->reserved */
	int64_t		 used_ns;
	struct cache_rd	*waiters;	/* parked followers, to unpark */
	struct entry	*hnext;
	struct entry	*prev, *next;	/* LRU, most recent at head */
};

struct cache {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a writer appended, finished or failed */
	char		 dir[PATH_MAX / 2];
	uint64_t	 max_bytes;
	uint64_t	 min_free;
	uint64_t	 reserved;	/* by blobs being written */
	int64_t		 last_ns;
	struct entry	*head, *tail;
	struct entry	*buckets[NBUCKETS];
	struct cache_stats st;
};

struct cache_rd {
	struct cache	*c;
	struct entry	*e;		/* a follower's entry, else NULL */
	int		 fd;		/* own descriptor of a complete blob */
	int64_t		 size;
	struct cache_hooks hooks;	/* park/unpark instead of waiting */
	int		 parked;	/* on its entry's waiters list */
	struct cache_rd	*wnext;
};

struct cache_wr {
	struct cache	*c;
	struct entry	*e;
	struct rw_hash	 h;
	int		 caller_hashes;	/* cache_wr_caller_hashes: h unused */
	uint64_t	 flushed;	/* writeback requested up to here */
	int		 failed;	/* the RW_E* code of the first failure */
	char		 tmp[PATH_MAX];
};

/* ------------------------------------------------------------- helpers */

/* Whether D is "sha256:" + 64 or "sha512:" + 128 lower-case hex digits. */
static int
digest_ok(const char *d)
{
	size_t n, i, hex;

	if (strncmp(d, "sha256:", 7) == 0)
		hex = 64;
	else if (strncmp(d, "sha512:", 7) == 0)
		hex = 128;
	else
		return 0;
	n = strlen(d + 7);
	if (n != hex)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = d[7 + i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return 0;
	}
	return 1;
}

/* DIR/blobs/<alg>/<hex> for digest D. */
static void
blob_path(const struct cache *c, const char *d, char *out, size_t size)
{
	snprintf(out, size, "%s/blobs/%.6s/%s", c->dir, d, d + 7);
}

static unsigned
hash_of(const char *d)
{
	unsigned h = 2166136261u;

	for (; *d != '\0'; d++)
		h = (h ^ (unsigned char)*d) * 16777619u;
	return h % NBUCKETS;
}

static struct entry *
find(struct cache *c, const char *d)
{
	struct entry *e;

	for (e = c->buckets[hash_of(d)]; e != NULL; e = e->hnext)
		if (strcmp(e->digest, d) == 0)
			return e;
	return NULL;
}

static void
index_add(struct cache *c, struct entry *e)
{
	unsigned b = hash_of(e->digest);

	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	e->indexed = 1;
}

static void
index_del(struct cache *c, struct entry *e)
{
	struct entry **p;

	for (p = &c->buckets[hash_of(e->digest)]; *p != NULL; p = &(*p)->hnext)
		if (*p == e) {
			*p = e->hnext;
			break;
		}
	e->indexed = 0;
}

static void
lru_unlink(struct cache *c, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/*
 * The writer moved (bytes, a size, the end): wake blocked readers and
 * unpark parked ones.  Mutex held, as xfer's wake() holds its own: a
 * follower unlinks itself under it before it goes, so none is unparked
 * after it closed.
 */
static void
wake(struct cache *c, struct entry *e)
{
	struct cache_rd *rd, *next;

	pthread_cond_broadcast(&c->cv);
	for (rd = e->waiters; rd != NULL; rd = next) {
		next = rd->wnext;
		rd->parked = 0;
		rd->wnext = NULL;
		rd->hooks.unpark(rd->hooks.arg);
	}
	e->waiters = NULL;
}

/* Park RD on its entry until the writer moves (mutex held). */
static void
park(struct cache_rd *rd)
{
	if (rd->parked)
		return;
	rd->parked = 1;
	rd->wnext = rd->e->waiters;
	rd->e->waiters = rd;
	rd->hooks.park(rd->hooks.arg);
}

static void
unpark_self(struct cache_rd *rd)
{
	struct cache_rd **p;

	if (!rd->parked)
		return;
	for (p = &rd->e->waiters; *p != NULL; p = &(*p)->wnext)
		if (*p == rd) {
			*p = rd->wnext;
			break;
		}
	rd->parked = 0;
}

/*
 * A strictly increasing wall-clock stamp: file systems keep the
 * nanoseconds we give them, and distinct stamps keep the LRU order exact
 * across a restart even when two hits share a clock tick.
 */
static int64_t
stamp(struct cache *c)
{
	struct timespec ts;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (ns <= c->last_ns)
		ns = c->last_ns + 1;
	c->last_ns = ns;
	return ns;
}

static void
set_mtime(int fd, int64_t ns)
{
	struct timespec ts[2];

	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = ns / 1000000000;
	ts[1].tv_nsec = ns % 1000000000;
	/* Only recency is lost if this fails; the blob is still good. */
	(void)futimens(fd, ts);
}

/* Drop one reference (mutex held); the last one frees an unindexed entry. */
static void
unref(struct cache *c, struct entry *e)
{
	if (--e->refs > 0)
		return;
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	if (!e->indexed)
		free(e);
}

/* Evict the least recently used complete blob (mutex held). */
static int
evict_one(struct cache *c)
{
	struct entry *e = c->tail;
	char path[PATH_MAX];

	if (e == NULL)
		return 0;
	lru_unlink(c, e);
	index_del(c, e);
	c->st.bytes -= e->size;
	c->st.entries--;
	c->st.evictions++;
	blob_path(c, e->digest, path, sizeof(path));
	(void)unlink(path);
	if (e->refs == 0)
		free(e);
	return 1;
}

static uint64_t
disk_free(const struct cache *c)
{
	struct statvfs sv;

	if (statvfs(c->dir, &sv) != 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/*
 * Evict until NEED more bytes fit under max_bytes and leave min_free on
 * the disk (mutex held); never more than that.  Returns 1 when they fit.
 */
static int
make_room(struct cache *c, uint64_t need)
{
	for (;;) {
		int over = c->st.bytes + c->reserved + need > c->max_bytes;
		if (!over && (c->min_free == 0 ||
		    disk_free(c) >= c->min_free + need))
			return 1;
		if (!evict_one(c))
			return 0;
	}
}

/* ------------------------------------------------------------- opening */

static int
mkdir_one(const char *path, struct rw_err *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return rw_err_set(err, RW_EIO, "%s: %s", path, strerror(errno));
	return RW_OK;
}

static int
make_dirs(const struct cache *c, struct rw_err *err)
{
	static const char *const sub[] = { "", "/blobs", "/blobs/sha256",
	    "/blobs/sha512", "/tmp" };
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", c->dir, sub[i]);
		rc = mkdir_one(path, err);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

/* Remove what a process that died mid-blob left in DIR/tmp. */
static int
clear_tmp(const struct cache *c, struct rw_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tmp", c->dir);
	d = opendir(path);
	if (d == NULL)
		return rw_err_set(err, RW_EIO, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return RW_OK;
}

static int
by_used(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->used_ns != y->used_ns)
		return x->used_ns < y->used_ns ? -1 : 1;
	return strcmp(x->digest, y->digest);
}

/* Append the blobs of DIR/blobs/ALG to *V (*N of them). */
static int
scan_alg(const struct cache *c, const char *alg, int passive,
    struct entry ***v, size_t *n, size_t *cap, struct rw_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	struct entry *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/blobs/%s", c->dir, alg);
	d = opendir(path);
	if (d == NULL)
		return rw_err_set(err, RW_EIO, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char digest[RW_DIGEST_MAX];

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* A longer name is not a digest: digest_ok refuses it cut. */
		if (strlen(de->d_name) >= sizeof(digest) - 8)
			digest[0] = '\0';
		else
			snprintf(digest, sizeof(digest), "%.6s:%.*s", alg,
			    (int)(sizeof(digest) - 8), de->d_name);
		if (!digest_ok(digest) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			/* Not ours: a store holds only what it verified. */
			if (!passive)
				(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct entry **nv = realloc(*v, nc * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			*v = nv;
			*cap = nc;
		}
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			goto nomem;
		rw_strlcpy(e->digest, digest, sizeof(e->digest));
		e->state = E_READY;
		e->fd = -1;
		e->size = (uint64_t)st.st_size;
		e->used_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		(*v)[(*n)++] = e;
	}
	closedir(d);
	return RW_OK;
nomem:
	closedir(d);
	return rw_err_set(err, RW_ENOMEM, "cache index: out of memory");
}

/* Index what is on disk, oldest first so the newest ends at the head. */
static int
rebuild(struct cache *c, int passive, struct rw_err *err)
{
	struct entry **v = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	rc = scan_alg(c, "sha256", passive, &v, &n, &cap, err);
	if (rc == RW_OK)
		rc = scan_alg(c, "sha512", passive, &v, &n, &cap, err);
	if (rc != RW_OK) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), by_used);
	for (i = 0; i < n; i++) {
		index_add(c, v[i]);
		lru_push(c, v[i]);
		c->st.entries++;
		c->st.bytes += v[i]->size;
		if (v[i]->used_ns > c->last_ns)
			c->last_ns = v[i]->used_ns;
	}
	free(v);
	if (!passive)
		(void)make_room(c, 0);
	return RW_OK;
}

struct cache *
cache_open(const struct cache_cfg *cfg, struct rw_err *err)
{
	struct cache *c;

	if (cfg->max_bytes == 0 && !cfg->passive) {
		rw_err_set(err, RW_EINVAL, "cache: max_bytes must be > 0");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rw_err_set(err, RW_ENOMEM, "cache: out of memory");
		return NULL;
	}
	if (rw_strlcpy(c->dir, cfg->dir, sizeof(c->dir)) >= sizeof(c->dir)) {
		rw_err_set(err, RW_EINVAL, "cache: dir: path too long");
		free(c);
		return NULL;
	}
	c->max_bytes = cfg->max_bytes;
	c->min_free = cfg->min_free_bytes;
	pthread_mutex_init(&c->mu, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&c->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (cfg->passive ? rebuild(c, 1, err) != RW_OK :
	    make_dirs(c, err) != RW_OK || clear_tmp(c, err) != RW_OK ||
	    rebuild(c, 0, err) != RW_OK) {
		cache_free(c);
		return NULL;
	}
	return c;
}

void
cache_free(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		struct entry *e = c->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->hnext;
			if (e->fd >= 0)
				close(e->fd);
			free(e);
		}
	}
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* -------------------------------------------------------------- getting */

/*
 * A reader of the complete blob E into *RD (mutex held): RW_OK,
 * RW_ENOTFOUND when its file is gone (E is forgotten), RW_ENOMEM.
 */
static int
open_ready(struct cache *c, struct entry *e, struct cache_rd **out)
{
	char path[PATH_MAX];
	struct cache_rd *rd;
	int fd;

	blob_path(c, e->digest, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Removed behind our back: forget it, a miss. */
		lru_unlink(c, e);
		index_del(c, e);
		c->st.entries--;
		c->st.bytes -= e->size;
		if (e->refs == 0)
			free(e);
		return RW_ENOTFOUND;
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		close(fd);
		return RW_ENOMEM;
	}
	rd->c = c;
	rd->fd = fd;
	rd->size = (int64_t)e->size;
	e->used_ns = stamp(c);
	set_mtime(fd, e->used_ns);
	lru_unlink(c, e);
	lru_push(c, e);
	c->st.hits++;
	*out = rd;
	return RW_OK;
}

static struct cache_rd *
follow(struct cache *c, struct entry *e)
{
	struct cache_rd *rd = calloc(1, sizeof(*rd));

	if (rd == NULL)
		return NULL;
	rd->c = c;
	rd->e = e;
	rd->fd = -1;
	rd->size = e->announced;
	e->refs++;
	c->st.follows++;
	return rd;
}

/* A new entry with its temporary file (mutex held); RW_OK or RW_EIO. */
static int
start_fill(struct cache *c, const char *digest, int64_t size,
    struct cache_wr **wr, struct rw_err *err)
{
	struct cache_wr *w;
	struct entry *e;
	char rnd[17];

	w = calloc(1, sizeof(*w));
	e = calloc(1, sizeof(*e));
	if (w == NULL || e == NULL ||
	    rw_hash_init(&w->h, rw_hash_alg_of(digest)) != RW_OK) {
		free(w);
		free(e);
		return rw_err_set(err, RW_ENOMEM, "cache: out of memory");
	}
	rw_random_hex(rnd, 16);
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/%.20s.%s", c->dir,
	    digest + 7, rnd);
	e->fd = open(w->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (e->fd < 0) {
		rw_err_set(err, RW_EIO, "%s: %s", w->tmp, strerror(errno));
		rw_hash_cleanup(&w->h);
		free(w);
		free(e);
		return RW_EIO;
	}
	rw_strlcpy(e->digest, digest, sizeof(e->digest));
	e->state = E_FILLING;
	e->announced = size;
	e->reserve = size > 0 ? (uint64_t)size : 0;
	e->refs = 1;
	c->reserved += e->reserve;
	c->st.filling++;
	index_add(c, e);
	w->c = c;
	w->e = e;
	*wr = w;
	return RW_OK;
}

int
cache_get(struct cache *c, const char *digest, int64_t size,
    struct cache_rd **rd, struct cache_wr **wr, struct rw_err *err)
{
	struct entry *e;
	int rc = RW_ENOTFOUND;

	*rd = NULL;
	if (wr != NULL)
		*wr = NULL;
	if (!digest_ok(digest))
		return rw_err_set(err, RW_EINVAL, "cache: malformed digest");
	pthread_mutex_lock(&c->mu);
	e = find(c, digest);
	if (e != NULL && e->state == E_READY) {
		rc = open_ready(c, e, rd);
		if (rc != RW_ENOTFOUND)
			goto out;
		e = NULL;
	}
	if (e != NULL) {
		*rd = follow(c, e);
		rc = *rd != NULL ? RW_OK : RW_ENOMEM;
		goto out;
	}
	c->st.misses++;
	if (wr == NULL || (size >= 0 && (uint64_t)size > c->max_bytes) ||
	    !make_room(c, size > 0 ? (uint64_t)size : 0))
		goto out;
	rc = start_fill(c, digest, size, wr, err);
out:
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* -------------------------------------------------------------- readers */

int64_t
cache_rd_size(const struct cache_rd *rd)
{
	return rd->size;
}

int
cache_rd_fd(const struct cache_rd *rd)
{
	return rd->e == NULL ? rd->fd : -1;
}

/*
 * Bytes of a followed blob readable at OFF, waiting for the writer (or
 * parking, with hooks and no timeout).  While the blob is written its last
 * byte is held back: a follower's client must not get every byte of a
 * blob that then fails its digest, as the upstream stream holds its own.
 */
static ssize_t
wait_for(struct cache_rd *rd, uint64_t off, int timeout_ms)
{
	struct cache *c = rd->c;
	struct entry *e = rd->e;
	struct timespec until;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (e->state == E_FILLING && off + 1 >= e->size &&
	    (timeout_ms > 0 || rd->hooks.park == NULL))
		if (pthread_cond_timedwait(&c->cv, &c->mu, &until) ==
		    ETIMEDOUT)
			break;
	if (e->state == E_FAILED)
		n = RW_EIO;
	else if (e->state == E_FILLING && off + 1 < e->size)
		n = (ssize_t)(e->size - 1 - off);
	else if (e->state == E_READY && off < e->size)
		n = (ssize_t)(e->size - off);
	else if (e->state == E_READY)
		n = off == e->size ? 0 : RW_EINVAL;
	else if (timeout_ms == 0 && rd->hooks.park != NULL) {
		park(rd);
		n = RW_EBUSY;
	} else
		n = RW_ETIMEOUT;
	if (e->state == E_READY)
		rd->size = (int64_t)e->size;
	pthread_mutex_unlock(&c->mu);
	return n;
}

ssize_t
cache_rd_read(struct cache_rd *rd, uint64_t off, void *buf, size_t len,
    int timeout_ms)
{
	ssize_t avail, n;
	int fd = rd->fd;

	if (rd->e == NULL) {
		if (off > (uint64_t)rd->size)
			return RW_EINVAL;
		avail = (ssize_t)((uint64_t)rd->size - off);
	} else {
		avail = wait_for(rd, off, timeout_ms);
		fd = rd->e->fd;
	}
	if (avail <= 0)
		return avail;
	if ((size_t)avail < len)
		len = (size_t)avail;
	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return RW_EIO;
	pthread_mutex_lock(&rd->c->mu);
	rd->c->st.bytes_served += (uint64_t)n;
	pthread_mutex_unlock(&rd->c->mu);
	return n;
}

void
cache_rd_set_hooks(struct cache_rd *rd, const struct cache_hooks *h)
{
	rd->hooks = *h;
}

int64_t
cache_rd_wait_size(struct cache_rd *rd)
{
	struct cache *c = rd->c;
	struct entry *e = rd->e;
	int64_t n;

	if (e == NULL)
		return rd->size;
	pthread_mutex_lock(&c->mu);
	if (e->state == E_FAILED) {
		n = RW_EIO;
	} else if (e->state == E_READY) {
		n = (int64_t)e->size;
	} else if (e->announced >= 0) {
		n = e->announced;
	} else if (rd->hooks.park != NULL) {
		park(rd);
		n = RW_EBUSY;
	} else {
		n = RW_EBUSY;
	}
	if (n >= 0)
		rd->size = n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void
cache_rd_note_served(struct cache_rd *rd, uint64_t n)
{
	pthread_mutex_lock(&rd->c->mu);
	rd->c->st.bytes_served += n;
	pthread_mutex_unlock(&rd->c->mu);
}

void
cache_rd_close(struct cache_rd *rd)
{
	if (rd == NULL)
		return;
	if (rd->e != NULL) {
		pthread_mutex_lock(&rd->c->mu);
		unpark_self(rd);
		unref(rd->c, rd->e);
		pthread_mutex_unlock(&rd->c->mu);
	} else if (rd->fd >= 0) {
		close(rd->fd);
	}
	free(rd);
}

/* -------------------------------------------------------------- writers */

/*
 * The blob will not be cached: followers are woken to fail, the entry
 * leaves the index so a later request may try again, and its bytes are
 * released.  Mutex held.
 */
static void
fail_locked(struct cache_wr *w, int code)
{
	struct cache *c = w->c;
	struct entry *e = w->e;

	if (w->failed != 0)
		return;
	w->failed = code;
	e->state = E_FAILED;
	index_del(c, e);
	c->reserved -= e->reserve;
	e->reserve = 0;
	c->st.filling--;
	c->st.fill_failures++;
	wake(c, e);
	(void)unlink(w->tmp);
}

static int
fail(struct cache_wr *w, int code)
{
	pthread_mutex_lock(&w->c->mu);
	fail_locked(w, code);
	pthread_mutex_unlock(&w->c->mu);
	return code;
}

/* Count LEN more bytes against the bounds (mutex held); 1 when they fit. */
static int
grow(struct cache_wr *w, size_t len)
{
	struct cache *c = w->c;
	struct entry *e = w->e;
	uint64_t after = e->size + len;

	if (e->announced >= 0)
		return after <= (uint64_t)e->announced;
	if (after <= e->reserve)
		return 1;
	if (after > c->max_bytes || !make_room(c, after - e->reserve))
		return 0;
	c->reserved += after - e->reserve;
	e->reserve = after;
	return 1;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Ask the kernel to start writing what W has written up to END, every
 * WRITEBACK_STEP bytes, without waiting for it: the final fdatasync then
 * finds little left to do (it took 0.13 s for a 256 MiB blob here when all
 * of it was still dirty), and the dirty pages do not pile up.  Only a hint:
 * its failure changes nothing, fdatasync still decides.
 */
static void
writeback(struct cache_wr *w, uint64_t end)
{
	if (end - w->flushed < WRITEBACK_STEP)
		return;
	(void)sync_file_range(w->e->fd, (off_t)w->flushed,
	    (off_t)(end - w->flushed), SYNC_FILE_RANGE_WRITE);
	w->flushed = end;
}

int
cache_wr_write(struct cache_wr *w, const void *data, size_t len,
    struct rw_err *err)
{
	struct cache *c = w->c;
	int ok, e;

	if (w->failed != 0)
		return rw_err_set(err, w->failed, "cache: blob abandoned");
	pthread_mutex_lock(&c->mu);
	ok = grow(w, len);
	pthread_mutex_unlock(&c->mu);
	if (!ok) {
		rw_err_set(err, RW_ETOOBIG, "cache: %s: larger than %s",
		    w->e->digest, w->e->announced >= 0 ? "announced" :
		    "the cache allows");
		return fail(w, RW_ETOOBIG);
	}
	e = write_all(w->e->fd, data, len);
	if (e != 0) {
		rw_err_set(err, RW_EIO, "%s: %s", w->tmp, strerror(e));
		return fail(w, RW_EIO);
	}
	if (!w->caller_hashes)
		rw_hash_update(&w->h, data, len);
	writeback(w, w->e->size + len);
	pthread_mutex_lock(&c->mu);
	w->e->size += len;
	wake(c, w->e);
	pthread_mutex_unlock(&c->mu);
	return RW_OK;
}

int
cache_wr_announce(struct cache_wr *w, int64_t size)
{
	struct cache *c = w->c;
	struct entry *e = w->e;
	int ok;

	if (w->failed != 0)
		return w->failed;
	pthread_mutex_lock(&c->mu);
	ok = size >= 0 && (uint64_t)size >= e->size &&
	    (uint64_t)size <= c->max_bytes &&
	    ((uint64_t)size <= e->reserve ||
	    make_room(c, (uint64_t)size - e->reserve));
	if (ok) {
		if ((uint64_t)size > e->reserve) {
			c->reserved += (uint64_t)size - e->reserve;
			e->reserve = (uint64_t)size;
		}
		e->announced = size;
		wake(c, e);
	}
	pthread_mutex_unlock(&c->mu);
	return ok ? RW_OK : fail(w, RW_ETOOBIG);
}

/* Release the writer's reference and the handle. */
static void
wr_free(struct cache_wr *w)
{
	pthread_mutex_lock(&w->c->mu);
	unref(w->c, w->e);
	pthread_mutex_unlock(&w->c->mu);
	rw_hash_cleanup(&w->h);
	free(w);
}

/*
 * Check the bytes (GIVEN: the digest the caller computed over them, for a
 * writer whose caller hashes) and move the file into place; RW_OK or the
 * failure.
 */
static int
verify_and_rename(struct cache_wr *w, const char *given, struct rw_err *err)
{
	char got[RW_DIGEST_MAX], path[PATH_MAX];
	struct entry *e = w->e;

	if (e->announced >= 0 && e->size != (uint64_t)e->announced)
		return rw_err_set(err, RW_EIO,
		    "cache: %s: %llu bytes of %lld", e->digest,
		    (unsigned long long)e->size, (long long)e->announced);
	if (w->caller_hashes && given == NULL)
		return rw_err_set(err, RW_EDIGEST, "cache: %s: the caller "
		    "hashed the bytes but gave no digest", e->digest);
	if (w->caller_hashes)
		rw_strlcpy(got, given, sizeof(got));
	else
		rw_hash_final(&w->h, got);
	if (strcmp(got, e->digest) != 0)
		return rw_err_set(err, RW_EDIGEST,
		    "cache: %s: the bytes hash to %s", e->digest, got);
	/* Durable before visible: a crash must not leave a named, torn file. */
	if (fdatasync(e->fd) != 0)
		return rw_err_set(err, RW_EIO, "%s: %s", w->tmp,
		    strerror(errno));
	blob_path(w->c, e->digest, path, sizeof(path));
	if (rename(w->tmp, path) != 0)
		return rw_err_set(err, RW_EIO, "%s: %s", path,
		    strerror(errno));
	return RW_OK;
}

void
cache_wr_caller_hashes(struct cache_wr *w)
{
	if (w->e->size == 0)
		w->caller_hashes = 1;
}

int
cache_wr_commit(struct cache_wr *w, struct rw_err *err)
{
	return cache_wr_commit_hashed(w, NULL, err);
}

int
cache_wr_commit_hashed(struct cache_wr *w, const char *got,
    struct rw_err *err)
{
	struct cache *c = w->c;
	struct entry *e = w->e;
	int rc = w->failed;

	if (rc != 0) {
		rw_err_set(err, rc, "cache: blob abandoned");
		wr_free(w);
		return rc;
	}
	rc = verify_and_rename(w, got, err);
	pthread_mutex_lock(&c->mu);
	if (rc != RW_OK) {
		fail_locked(w, rc);
	} else {
		e->state = E_READY;
		c->reserved -= e->reserve;
		e->reserve = 0;
		c->st.filling--;
		c->st.fills++;
		c->st.entries++;
		c->st.bytes += e->size;
		e->used_ns = stamp(c);
		set_mtime(e->fd, e->used_ns);
		lru_push(c, e);
		wake(c, e);
	}
	pthread_mutex_unlock(&c->mu);
	wr_free(w);
	return rc;
}

void
cache_wr_abort(struct cache_wr *w)
{
	if (w == NULL)
		return;
	(void)fail(w, RW_EIO);
	wr_free(w);
}

/* ---------------------------------------------------------- maintenance */

void
cache_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	pthread_mutex_unlock(&c->mu);
}

int
cache_list(struct cache *c, void (*fn)(const struct cache_item *, void *),
    void *arg)
{
	struct cache_item *v;
	struct entry *e;
	size_t n = 0, i;

	pthread_mutex_lock(&c->mu);
	v = calloc(c->st.entries + 1, sizeof(*v));
	if (v == NULL) {
		pthread_mutex_unlock(&c->mu);
		return RW_ENOMEM;
	}
	for (e = c->tail; e != NULL; e = e->prev, n++) {
		rw_strlcpy(v[n].digest, e->digest, sizeof(v[n].digest));
		v[n].size = e->size;
		v[n].used_ns = e->used_ns;
	}
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < n; i++)
		fn(&v[i], arg);
	free(v);
	return RW_OK;
}

int
cache_remove(struct cache *c, const char *digest)
{
	char path[PATH_MAX];
	struct entry *e;
	int rc = RW_ENOTFOUND;

	if (!digest_ok(digest))
		return RW_ENOTFOUND;
	pthread_mutex_lock(&c->mu);
	e = find(c, digest);
	if (e != NULL && e->state == E_READY) {
		lru_unlink(c, e);
		index_del(c, e);
		c->st.entries--;
		c->st.bytes -= e->size;
		blob_path(c, e->digest, path, sizeof(path));
		(void)unlink(path);
		if (e->refs == 0)
			free(e);
		rc = RW_OK;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}
