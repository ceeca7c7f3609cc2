/* test_cache.c - the blob store: fill, follow, verify, evict, restart, full disk. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "util/util.h"

#define NREADERS	8
#define WAIT_MS		20000

static char root[] = "/tmp/rw-test-cache.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh store folder under the test's root. */
static void
fresh_dir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", root, name);
}

static struct cache *
open_cache(const char *dir, uint64_t max, uint64_t min_free)
{
	struct cache_cfg cfg = { dir, max, min_free, 0 };
	struct rw_err err;
	struct cache *c;

	rw_err_clear(&err);
	c = cache_open(&cfg, &err);
	if (c == NULL)
		fail_msg("cache_open %s: %s", dir, err.msg);
	return c;
}

/* N bytes of a pattern seeded by SEED, and their digest. */
static unsigned char *
blob(size_t n, int seed, char digest[RW_DIGEST_MAX])
{
	unsigned char *b = malloc(n ? n : 1);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++)
		b[i] = (unsigned char)((i * 31 + (size_t)seed * 7) ^ (i >> 8));
	assert_int_equal(rw_digest(RW_HASH_SHA256, b, n, digest), RW_OK);
	return b;
}

/* Put B whole through a writer; the store must not have had it. */
static void
put(struct cache *c, const char *digest, const unsigned char *b, size_t n)
{
	struct cache_rd *rd;
	struct cache_wr *wr;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(cache_get(c, digest, (int64_t)n, &rd, &wr, &err),
	    RW_OK);
	assert_null(rd);
	assert_non_null(wr);
	assert_int_equal(cache_wr_write(wr, b, n, &err), RW_OK);
	assert_int_equal(cache_wr_commit(wr, &err), RW_OK);
}

/* Read all of RD; returns the bytes (caller frees) and their count. */
static ssize_t
read_all(struct cache_rd *rd, unsigned char **out)
{
	size_t cap = 4096, n = 0;
	unsigned char *b = malloc(cap);
	ssize_t r;

	assert_non_null(b);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap);
			assert_non_null(b);
		}
		r = cache_rd_read(rd, n, b + n, cap - n > 1000 ? 1000 : cap - n,
		    WAIT_MS);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*out = b;
	return r < 0 ? r : (ssize_t)n;
}

/* Whether the store holds BLOB and nothing is left in its tmp folder. */
static int
count_files(const char *dir, const char *sub)
{
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
hit_is(struct cache *c, const char *digest, const unsigned char *b, size_t n)
{
	struct cache_rd *rd;
	unsigned char *got;

	assert_int_equal(cache_get(c, digest, -1, &rd, NULL, NULL), RW_OK);
	assert_non_null(rd);
	assert_true(cache_rd_fd(rd) >= 0);
	assert_int_equal(cache_rd_size(rd), (int64_t)n);
	assert_int_equal(read_all(rd, &got), (ssize_t)n);
	assert_memory_equal(got, b, n);
	free(got);
	cache_rd_close(rd);
}

static void
test_fill_then_hit(void **state)
{
	char dir[256], d[RW_DIGEST_MAX];
	unsigned char *b = blob(100000, 1, d);
	struct cache_stats st;
	struct cache_rd *rd;
	struct cache_wr *wr;
	struct cache *c;
	char buf[10];

	(void)state;
	fresh_dir(dir, sizeof(dir), "hit");
	c = open_cache(dir, 1 << 20, 0);
	assert_int_equal(cache_get(c, d, -1, &rd, NULL, NULL), RW_ENOTFOUND);
	put(c, d, b, 100000);
	hit_is(c, d, b, 100000);
	/* A range from the middle, as a resumed pull asks. */
	assert_int_equal(cache_get(c, d, -1, &rd, &wr, NULL), RW_OK);
	assert_null(wr);
	assert_int_equal(cache_rd_read(rd, 99995, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, b + 99995, 5);
	assert_int_equal(cache_rd_read(rd, 100000, buf, sizeof(buf), 0), 0);
	assert_int_equal(cache_rd_read(rd, 100001, buf, sizeof(buf), 0),
	    RW_EINVAL);
	cache_rd_close(rd);
	assert_int_equal(cache_get(c, "sha256:AB", -1, &rd, &wr, NULL),
	    RW_EINVAL);
	cache_stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.fills, 1);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, 100000);
	assert_int_equal(count_files(dir, "blobs/sha256"), 1);
	assert_int_equal(count_files(dir, "tmp"), 0);
	cache_free(c);
	free(b);
}

struct follower {
	struct cache		*c;
	const char		*digest;
	const unsigned char	*want;
	size_t			 n;
	ssize_t			 result;	/* read_all's */
	int			 same;
	struct cache_rd		*rd;
};

static void *
follow_main(void *arg)
{
	struct follower *f = arg;
	unsigned char *got;

	f->result = read_all(f->rd, &got);
	f->same = f->result == (ssize_t)f->n &&
	    memcmp(got, f->want, f->n) == 0;
	free(got);
	cache_rd_close(f->rd);
	return NULL;
}

/*
 * NREADERS followers join a blob after its first bytes and before the
 * rest; the writer then writes the rest in pieces and ENDING decides how
 * it ends.  Returns the store (the caller checks and frees it).
 */
enum ending { END_COMMIT, END_ABORT, END_BADBYTES };

static struct cache *
run_followers(const char *name, enum ending ending, struct follower *f,
    unsigned char **bp, char *d)
{
	char dir[256];
	struct cache_wr *wr, *wr2;
	struct rw_err err;
	pthread_t th[NREADERS];
	unsigned char *b = blob(300000, 2, d);
	struct cache_rd *rd0;
	struct cache *c;
	size_t off;
	int i, rc;

	fresh_dir(dir, sizeof(dir), name);
	c = open_cache(dir, 1 << 22, 0);
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 300000, &rd0, &wr, &err), RW_OK);
	assert_non_null(wr);
	assert_int_equal(cache_wr_write(wr, b, 1000, &err), RW_OK);
	for (i = 0; i < NREADERS; i++) {
		f[i] = (struct follower){ c, d, b, 300000, 0, 0, NULL };
		/* Asked while it is written: a follower, never a writer. */
		assert_int_equal(cache_get(c, d, 300000, &f[i].rd, &wr2, &err),
		    RW_OK);
		assert_null(wr2);
		assert_int_equal(cache_rd_fd(f[i].rd), -1);
		assert_int_equal(pthread_create(&th[i], NULL, follow_main,
		    &f[i]), 0);
	}
	if (ending == END_BADBYTES)
		b[5000] ^= 1;
	for (off = 1000; off < 300000; off += 7000) {
		size_t n = 300000 - off < 7000 ? 300000 - off : 7000;
		if (ending == END_ABORT && off > 150000)
			break;
		assert_int_equal(cache_wr_write(wr, b + off, n, &err), RW_OK);
	}
	if (ending == END_ABORT) {
		cache_wr_abort(wr);
	} else {
		rc = cache_wr_commit(wr, &err);
		assert_int_equal(rc, ending == END_COMMIT ? RW_OK : RW_EDIGEST);
		if (ending == END_BADBYTES) {
			char want[300];
			snprintf(want, sizeof(want), "cache: %s: the bytes "
			    "hash to ", d);
			assert_memory_equal(err.msg, want, strlen(want));
		}
	}
	if (ending == END_BADBYTES)
		b[5000] ^= 1;
	for (i = 0; i < NREADERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	*bp = b;
	return c;
}

static void
test_followers_read_while_written(void **state)
{
	struct follower f[NREADERS];
	char d[RW_DIGEST_MAX], dir[256];
	struct cache_stats st;
	unsigned char *b;
	struct cache *c;
	int i;

	(void)state;
	c = run_followers("follow", END_COMMIT, f, &b, d);
	for (i = 0; i < NREADERS; i++) {
		assert_int_equal(f[i].result, 300000);
		assert_true(f[i].same);
	}
	cache_stats(c, &st);
	assert_int_equal(st.fills, 1);
	assert_int_equal(st.follows, NREADERS);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.filling, 0);
	hit_is(c, d, b, 300000);
	fresh_dir(dir, sizeof(dir), "follow");
	assert_int_equal(count_files(dir, "tmp"), 0);
	cache_free(c);
	free(b);
}

/* After a failed blob: nothing on disk, and the next ask may write it. */
static void
nothing_left(struct cache *c, const char *name, const char *d)
{
	struct cache_stats st;
	struct cache_rd *rd;
	struct cache_wr *wr;
	char dir[256];

	fresh_dir(dir, sizeof(dir), name);
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(count_files(dir, "blobs/sha256"), 0);
	cache_stats(c, &st);
	assert_int_equal(st.fill_failures, 1);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.filling, 0);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr, NULL), RW_OK);
	assert_null(rd);
	assert_non_null(wr);
	cache_wr_abort(wr);
}

static void
test_writer_dies_mid_blob(void **state)
{
	struct follower f[NREADERS];
	char d[RW_DIGEST_MAX];
	unsigned char *b;
	struct cache *c;
	int i;

	(void)state;
	c = run_followers("dies", END_ABORT, f, &b, d);
	for (i = 0; i < NREADERS; i++)
		assert_int_equal(f[i].result, RW_EIO);
	nothing_left(c, "dies", d);
	cache_free(c);
	free(b);
}

static void
test_digest_mismatch(void **state)
{
	struct follower f[NREADERS];
	char d[RW_DIGEST_MAX];
	unsigned char *b;
	struct cache *c;
	int i;

	(void)state;
	c = run_followers("mismatch", END_BADBYTES, f, &b, d);
	/* They had every byte, but the end is an error, not EOF. */
	for (i = 0; i < NREADERS; i++)
		assert_int_equal(f[i].result, RW_EIO);
	nothing_left(c, "mismatch", d);
	cache_free(c);
	free(b);
}

static void
test_short_and_long_blobs(void **state)
{
	char dir[256], d[RW_DIGEST_MAX], want[300];
	unsigned char *b = blob(5000, 3, d);
	struct cache_rd *rd;
	struct cache_wr *wr;
	struct rw_err err;
	struct cache *c;

	(void)state;
	fresh_dir(dir, sizeof(dir), "sizes");
	c = open_cache(dir, 10000, 0);
	/* Fewer bytes than announced: not published. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 6000, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_commit(wr, &err), RW_EIO);
	snprintf(want, sizeof(want), "cache: %s: 5000 bytes of 6000", d);
	assert_string_equal(err.msg, want);
	/* More than announced: abandoned at the write. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 4000, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_ETOOBIG);
	cache_wr_abort(wr);
	/* Announced above max_bytes: not even tried. */
	assert_int_equal(cache_get(c, d, 10001, &rd, &wr, &err), RW_ENOTFOUND);
	assert_null(wr);
	/* Unannounced, growing past max_bytes: abandoned. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, 1, &err), RW_ETOOBIG);
	snprintf(want, sizeof(want), "cache: %s: larger than the cache "
	    "allows", d);
	assert_string_equal(err.msg, want);
	cache_wr_abort(wr);
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(count_files(dir, "blobs/sha256"), 0);
	cache_free(c);
	free(b);
}

/*
 * A writer whose caller hashes (the transfer engine checked the bytes):
 * published only with the caller's digest, and only when that is the
 * blob's; plain cache_wr_commit cannot publish it.
 */
static void
test_caller_hashes(void **state)
{
	char dir[256], d[RW_DIGEST_MAX], other[RW_DIGEST_MAX], want[300];
	unsigned char *b = blob(5000, 4, d), *o = blob(10, 5, other);
	struct cache_rd *rd;
	struct cache_wr *wr;
	struct rw_err err;
	struct cache *c;
	char got[5000];

	(void)state;
	fresh_dir(dir, sizeof(dir), "hashed");
	c = open_cache(dir, 10000, 0);
	/* No digest given: refused, nothing left. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 5000, &rd, &wr, &err), RW_OK);
	cache_wr_caller_hashes(wr);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_commit(wr, &err), RW_EDIGEST);
	snprintf(want, sizeof(want), "cache: %s: the caller hashed the bytes "
	    "but gave no digest", d);
	assert_string_equal(err.msg, want);
	/* The caller says they hashed to something else: refused. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 5000, &rd, &wr, &err), RW_OK);
	cache_wr_caller_hashes(wr);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_commit_hashed(wr, other, &err), RW_EDIGEST);
	snprintf(want, sizeof(want), "cache: %s: the bytes hash to %s", d,
	    other);
	assert_string_equal(err.msg, want);
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(count_files(dir, "blobs/sha256"), 0);
	/* Too late once bytes are written: the store hashes them itself and
	 * finds they are not the blob's. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 10, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_wr_write(wr, o, 5, &err), RW_OK);
	cache_wr_caller_hashes(wr);
	assert_int_equal(cache_wr_write(wr, o + 5, 5, &err), RW_OK);
	assert_int_equal(cache_wr_commit_hashed(wr, d, &err), RW_EDIGEST);
	/* The caller's digest is the blob's: published and served. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, 5000, &rd, &wr, &err), RW_OK);
	cache_wr_caller_hashes(wr);
	assert_int_equal(cache_wr_write(wr, b, 5000, &err), RW_OK);
	assert_int_equal(cache_wr_commit_hashed(wr, d, &err), RW_OK);
	assert_int_equal(cache_get(c, d, -1, &rd, NULL, &err), RW_OK);
	assert_non_null(rd);
	assert_int_equal(cache_rd_read(rd, 0, got, sizeof(got), 0), 5000);
	assert_memory_equal(got, b, 5000);
	cache_rd_close(rd);
	cache_free(c);
	free(b);
	free(o);
}

struct listed {
	char	 digests[8][RW_DIGEST_MAX];
	int	 n;
};

static void
list_one(const struct cache_item *it, void *arg)
{
	struct listed *l = arg;

	if (l->n < 8)
		rw_strlcpy(l->digests[l->n++], it->digest, RW_DIGEST_MAX);
}

/* The store's blobs, least recently used first, must be WANT's. */
static void
order_is(struct cache *c, int n, char want[][RW_DIGEST_MAX])
{
	struct listed l;
	int i;

	memset(&l, 0, sizeof(l));
	assert_int_equal(cache_list(c, list_one, &l), RW_OK);
	assert_int_equal(l.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l.digests[i], want[i]);
}

static void
test_lru_by_size(void **state)
{
	char dir[256], d[5][RW_DIGEST_MAX], want[4][RW_DIGEST_MAX];
	unsigned char *b[5];
	struct cache_stats st;
	struct cache_rd *rd;
	struct cache *c;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		b[i] = blob(1000, 10 + i, d[i]);
	fresh_dir(dir, sizeof(dir), "lru");
	c = open_cache(dir, 3000, 0);
	put(c, d[0], b[0], 1000);
	put(c, d[1], b[1], 1000);
	put(c, d[2], b[2], 1000);
	hit_is(c, d[0], b[0], 1000);	/* 0 is now the most recent */
	put(c, d[3], b[3], 1000);	/* evicts 1, and only 1 */
	cache_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.bytes, 3000);
	assert_int_equal(st.entries, 3);
	assert_int_equal(cache_get(c, d[1], -1, &rd, NULL, NULL), RW_ENOTFOUND);
	memcpy(want[0], d[2], RW_DIGEST_MAX);
	memcpy(want[1], d[0], RW_DIGEST_MAX);
	memcpy(want[2], d[3], RW_DIGEST_MAX);
	order_is(c, 3, want);
	/* A 2000-byte blob evicts the two least recent: 2 then 0. */
	free(b[4]);
	b[4] = blob(2000, 14, d[4]);
	put(c, d[4], b[4], 2000);
	memcpy(want[0], d[3], RW_DIGEST_MAX);
	memcpy(want[1], d[4], RW_DIGEST_MAX);
	order_is(c, 2, want);
	cache_stats(c, &st);
	assert_int_equal(st.evictions, 3);
	assert_int_equal(st.bytes, 3000);
	assert_int_equal(count_files(dir, "blobs/sha256"), 2);
	/* Removed by hand (purge). */
	assert_int_equal(cache_remove(c, d[3]), RW_OK);
	assert_int_equal(cache_remove(c, d[3]), RW_ENOTFOUND);
	assert_int_equal(count_files(dir, "blobs/sha256"), 1);
	cache_free(c);
	for (i = 0; i < 5; i++)
		free(b[i]);
}

static void
test_restart_keeps_blobs_and_order(void **state)
{
	char dir[256], path[512], d[3][RW_DIGEST_MAX], want[3][RW_DIGEST_MAX];
	unsigned char *b[3];
	struct cache_stats st;
	struct cache *c;
	FILE *fp;
	int i;

	(void)state;
	fresh_dir(dir, sizeof(dir), "restart");
	c = open_cache(dir, 10000, 0);
	for (i = 0; i < 3; i++) {
		b[i] = blob(1000 + (size_t)i, 20 + i, d[i]);
		put(c, d[i], b[i], 1000 + (size_t)i);
	}
	hit_is(c, d[0], b[0], 1000);
	cache_free(c);
	/* What a process killed mid-blob leaves, and a stranger's file. */
	snprintf(path, sizeof(path), "%s/tmp/deadbeef.0123", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/blobs/sha256/not-a-digest", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);

	c = open_cache(dir, 10000, 0);
	memcpy(want[0], d[1], RW_DIGEST_MAX);
	memcpy(want[1], d[2], RW_DIGEST_MAX);
	memcpy(want[2], d[0], RW_DIGEST_MAX);
	order_is(c, 3, want);
	cache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.bytes, 3003);
	assert_int_equal(count_files(dir, "tmp"), 0);
	assert_int_equal(count_files(dir, "blobs/sha256"), 3);
	for (i = 0; i < 3; i++)
		hit_is(c, d[i], b[i], 1000 + (size_t)i);
	cache_free(c);

	/* Passive (the CLI beside a server): sees all, touches nothing. */
	{
		struct cache_cfg pc = { dir, 0, 0, 1 };
		struct rw_err err;

		snprintf(path, sizeof(path), "%s/tmp/inflight.0123", dir);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fclose(fp);
		rw_err_clear(&err);
		c = cache_open(&pc, &err);
		assert_non_null(c);
		cache_stats(c, &st);
		assert_int_equal(st.entries, 3);
		assert_int_equal(count_files(dir, "tmp"), 1);
		cache_free(c);
		assert_int_equal(unlink(path), 0);
	}

	/* A smaller bound at the next start evicts the least recent only. */
	c = open_cache(dir, 2500, 0);
	memcpy(want[0], d[1], RW_DIGEST_MAX);
	memcpy(want[1], d[2], RW_DIGEST_MAX);
	order_is(c, 2, want);
	cache_stats(c, &st);
	assert_int_equal(st.bytes, 2003);
	assert_int_equal(st.evictions, 1);
	cache_free(c);
	for (i = 0; i < 3; i++)
		free(b[i]);
}

static void
test_full_disk(void **state)
{
	char dir[256], d[3][RW_DIGEST_MAX];
	unsigned char *b[3];
	struct cache_rd *rd;
	struct cache_wr *wr;
	struct rw_err err;
	struct cache *c;
	size_t off;
	int rc = RW_OK;

	(void)state;
	fresh_dir(dir, sizeof(dir), "tmpfs");
	assert_int_equal(mkdir(dir, 0700), 0);
	if (mount("rw-test-cache", dir, "tmpfs", 0, "size=1m") != 0) {
		print_message("mount tmpfs: %s: needs root\n", strerror(errno));
		skip();
	}
	b[0] = blob(100000, 30, d[0]);
	b[1] = blob(2 << 20, 31, d[1]);
	b[2] = blob(100000, 32, d[2]);
	c = open_cache(dir, 64 << 20, 0);
	put(c, d[0], b[0], 100000);
	/* 2 MiB into a 1 MiB file system, size unannounced. */
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d[1], -1, &rd, &wr, &err), RW_OK);
	for (off = 0; off < (2u << 20) && rc == RW_OK; off += 65536)
		rc = cache_wr_write(wr, b[1] + off, 65536, &err);
	assert_int_equal(rc, RW_EIO);
	assert_non_null(strstr(err.msg, ": No space left on device"));
	cache_wr_abort(wr);
	assert_int_equal(count_files(dir, "tmp"), 0);
	hit_is(c, d[0], b[0], 100000);
	put(c, d[2], b[2], 100000);
	hit_is(c, d[2], b[2], 100000);
	cache_free(c);

	/* min_free_bytes: a blob that would leave less is not started. */
	c = open_cache(dir, 64 << 20, 900000);
	assert_int_equal(cache_get(c, d[1], 200000, &rd, &wr, &err),
	    RW_ENOTFOUND);
	assert_null(wr);
	cache_free(c);
	assert_int_equal(umount(dir), 0);
	free(b[0]);
	free(b[1]);
	free(b[2]);
}

struct hookcount {
	int	 parks;
	int	 unparks;
};

static void
count_park(void *arg)
{
	((struct hookcount *)arg)->parks++;
}

static void
count_unpark(void *arg)
{
	((struct hookcount *)arg)->unparks++;
}

/* A follower on an event loop parks, and is unparked as the writer moves. */
static void
test_parked_follower(void **state)
{
	char dir[256], d[RW_DIGEST_MAX], buf[2000];
	unsigned char *b = blob(1000, 40, d);
	struct hookcount hc = { 0, 0 };
	struct cache_hooks h = { count_park, count_unpark, &hc };
	struct cache_rd *rd, *rd2;
	struct cache_wr *wr, *wr2;
	struct rw_err err;
	struct cache *c;

	(void)state;
	fresh_dir(dir, sizeof(dir), "park");
	c = open_cache(dir, 1 << 20, 0);
	rw_err_clear(&err);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr2, &err), RW_OK);
	cache_rd_set_hooks(rd, &h);
	assert_int_equal(cache_rd_wait_size(rd), RW_EBUSY);
	assert_int_equal(hc.parks, 1);
	assert_int_equal(cache_wr_announce(wr, 1000), RW_OK);
	assert_int_equal(hc.unparks, 1);
	assert_int_equal(cache_rd_wait_size(rd), 1000);
	assert_int_equal(cache_rd_read(rd, 0, buf, sizeof(buf), 0), RW_EBUSY);
	assert_int_equal(hc.parks, 2);
	assert_int_equal(cache_wr_write(wr, b, 1000, &err), RW_OK);
	assert_int_equal(hc.unparks, 2);
	/* All written, not yet verified: the last byte waits. */
	assert_int_equal(cache_rd_read(rd, 0, buf, sizeof(buf), 0), 999);
	assert_int_equal(cache_rd_read(rd, 999, buf, sizeof(buf), 0), RW_EBUSY);
	assert_int_equal(cache_wr_commit(wr, &err), RW_OK);
	assert_int_equal(hc.unparks, 3);
	assert_int_equal(cache_rd_read(rd, 999, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], (char)b[999]);
	assert_int_equal(cache_rd_read(rd, 1000, buf, sizeof(buf), 0), 0);
	cache_rd_close(rd);

	/* A writer that fails before it knows the size: the follower is told
	 * to fetch for itself, and a closed follower is never unparked. */
	free(b);
	b = blob(1000, 41, d);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr, &err), RW_OK);
	assert_int_equal(cache_get(c, d, -1, &rd, &wr2, &err), RW_OK);
	assert_int_equal(cache_get(c, d, -1, &rd2, &wr2, &err), RW_OK);
	cache_rd_set_hooks(rd, &h);
	cache_rd_set_hooks(rd2, &h);
	assert_int_equal(cache_rd_wait_size(rd), RW_EBUSY);
	assert_int_equal(cache_rd_wait_size(rd2), RW_EBUSY);
	assert_int_equal(hc.parks, 5);
	cache_rd_close(rd2);
	assert_int_equal(cache_wr_announce(wr, (1 << 20) + 1), RW_ETOOBIG);
	assert_int_equal(hc.unparks, 4);
	assert_int_equal(cache_rd_wait_size(rd), RW_EIO);
	cache_rd_close(rd);
	cache_wr_abort(wr);
	assert_int_equal(count_files(dir, "tmp"), 0);
	cache_free(c);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_then_hit),
		cmocka_unit_test(test_followers_read_while_written),
		cmocka_unit_test(test_writer_dies_mid_blob),
		cmocka_unit_test(test_digest_mismatch),
		cmocka_unit_test(test_short_and_long_blobs),
		cmocka_unit_test(test_caller_hashes),
		cmocka_unit_test(test_lru_by_size),
		cmocka_unit_test(test_restart_keeps_blobs_and_order),
		cmocka_unit_test(test_parked_follower),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
