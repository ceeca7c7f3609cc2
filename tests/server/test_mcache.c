/* test_mcache.c - the manifest cache (LRU, refcounts, db fallback) and refs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db/db.h"
#include "server/mcache.h"
#include "util/util.h"

#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define DOCKER_V2	"application/vnd.docker.distribution.manifest.v2+json"

/* Digests whose hex part repeats one string literal C. */
#define X8(c)	c c c c c c c c
#define D(c)	"sha256:" X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c)
#define D512(c)	"sha512:" X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) \
		X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c)

/* Fixed-size bodies and keys so that every entry is charged the same. */
static char bodies[26][33];

static void
fill_bodies(void)
{
	int i;

	for (i = 0; i < 26; i++) {
		memset(bodies[i], 'a' + i, 32);
		bodies[i][32] = '\0';
	}
}

static const char *
body_of(char name)
{
	return bodies[name - 'a'];
}

/* The digest of NAME's body: what a caller puts it under. */
static void
digest_of(char name, char digest[RW_DIGEST_MAX])
{
	assert_int_equal(rw_digest(RW_HASH_SHA256, body_of(name), 32, digest),
	    RW_OK);
}

static const struct mcache_entry *
put(struct mcache *mc, char name)
{
	char digest[RW_DIGEST_MAX];

	digest_of(name, digest);
	return mcache_put(mc, "hub", "r", digest, OCI_MANIFEST, body_of(name),
	    32, NULL, 0, 1);
}

static void
put_release(struct mcache *mc, char name)
{
	const struct mcache_entry *e = put(mc, name);

	assert_non_null(e);
	mcache_release(e);
}

/* Whether NAME is in memory; a hit also makes it most recently used. */
static int
cached(struct mcache *mc, char name)
{
	const struct mcache_entry *e;
	char digest[RW_DIGEST_MAX];

	digest_of(name, digest);
	e = mcache_get(mc, "hub", "r", digest);
	if (e == NULL)
		return 0;
	assert_int_equal(mcache_entry_len(e), 32);
	assert_memory_equal(mcache_entry_body(e), body_of(name), 32);
	assert_string_equal(mcache_entry_digest(e), digest);
	mcache_release(e);
	return 1;
}

/* The charge of one fixed-size entry, as the cache counts it. */
static size_t
charge_of_one(void)
{
	struct mcache *mc = mcache_new(1 << 20, NULL);
	struct mcache_stats st;

	assert_non_null(mc);
	put_release(mc, 'a');
	mcache_stats(mc, &st);
	mcache_free(mc);
	assert_int_equal(st.entries, 1);
	assert_true(st.bytes > 32);
	return st.bytes;
}

static void
test_hit_miss(void **state)
{
	struct mcache *mc = mcache_new(1 << 20, NULL);
	const struct mcache_entry *e, *e2;
	char da[RW_DIGEST_MAX], dbd[RW_DIGEST_MAX];
	struct mcache_stats st;

	(void)state;
	digest_of('a', da);
	digest_of('b', dbd);
	assert_null(mcache_get(mc, "hub", "r", da));
	e = put(mc, 'a');
	assert_non_null(e);
	assert_string_equal(mcache_entry_media_type(e), OCI_MANIFEST);
	assert_int_equal(mcache_entry_body(e)[32], '\0');
	e2 = mcache_get(mc, "hub", "r", da);
	assert_ptr_equal(e, e2);
	mcache_release(e2);
	/* A second put of the same key hands back the entry it has. */
	e2 = put(mc, 'a');
	assert_ptr_equal(e, e2);
	mcache_release(e2);
	mcache_release(e);
	/* The key is all three parts. */
	assert_null(mcache_get(mc, "hub", "other", da));
	assert_null(mcache_get(mc, "ghcr", "r", da));
	assert_null(mcache_get(mc, "hub", "r", dbd));
	mcache_stats(mc, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.entries, 1);
	mcache_release(NULL);
	mcache_free(mc);
	mcache_free(NULL);
}

static void
test_lru_eviction_by_bytes(void **state)
{
	size_t c = charge_of_one();
	struct mcache *mc = mcache_new(3 * c, NULL);
	const struct mcache_entry *e;
	struct mcache_stats st;
	char *big;

	(void)state;
	put_release(mc, 'a');
	put_release(mc, 'b');
	put_release(mc, 'c');
	assert_true(cached(mc, 'a'));		/* order now: a c b */
	put_release(mc, 'd');			/* evicts b: d a c */
	mcache_stats(mc, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.bytes, 3 * c);
	assert_int_equal(st.evictions, 1);
	assert_false(cached(mc, 'b'));		/* a miss moves nothing */

	/* An entry charged 2c pushes out the two least recently used, c, a. */
	big = malloc(32 + c);
	assert_non_null(big);
	memset(big, 'e', 32 + c);
	e = mcache_put(mc, "hub", "r", D("e"), OCI_MANIFEST, big, 32 + c,
	    NULL, 0, 1);
	free(big);
	assert_non_null(e);
	mcache_release(e);
	mcache_stats(mc, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.bytes, 3 * c);
	assert_int_equal(st.evictions, 3);
	assert_true(cached(mc, 'd'));
	assert_false(cached(mc, 'a'));
	assert_false(cached(mc, 'b'));
	assert_false(cached(mc, 'c'));
	mcache_free(mc);
}

static void
test_too_big_not_kept(void **state)
{
	size_t c = charge_of_one();
	struct mcache *mc = mcache_new(c - 1, NULL);
	const struct mcache_entry *e;
	struct mcache_stats st;

	(void)state;
	/* Larger than the whole budget: returned, never kept. */
	e = put(mc, 'a');
	assert_non_null(e);
	assert_memory_equal(mcache_entry_body(e), body_of('a'), 32);
	mcache_release(e);
	assert_false(cached(mc, 'a'));
	mcache_stats(mc, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	mcache_free(mc);
}

static void
test_refcount_outlives_eviction(void **state)
{
	size_t c = charge_of_one();
	struct mcache *mc = mcache_new(c, NULL);
	const struct mcache_entry *a;
	char da[RW_DIGEST_MAX];
	struct mcache_stats st;

	(void)state;
	digest_of('a', da);
	a = put(mc, 'a');
	assert_non_null(a);
	put_release(mc, 'b');			/* evicts a */
	mcache_stats(mc, &st);
	assert_int_equal(st.evictions, 1);
	assert_false(cached(mc, 'a'));
	/* Still ours: ASan would report a use after free here. */
	assert_memory_equal(mcache_entry_body(a), body_of('a'), 32);
	assert_string_equal(mcache_entry_digest(a), da);
	/* And it outlives the cache itself. */
	mcache_free(mc);
	assert_string_equal(mcache_entry_media_type(a), OCI_MANIFEST);
	mcache_release(a);
}

struct tmpdb {
	char	 dir[64];
	char	 path[128];
};

static struct db *
tmpdb_open(struct tmpdb *t)
{
	struct rw_err err;
	struct db *db = NULL;

	rw_strlcpy(t->dir, "/tmp/rwmcXXXXXX", sizeof(t->dir));
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/m.db", t->dir);
	rw_err_clear(&err);
	assert_int_equal(db_open(t->path, &db, &err), RW_OK);
	return db;
}

static void
tmpdb_close(struct tmpdb *t, struct db *db)
{
	char p[160];

	db_close(db);
	unlink(t->path);
	snprintf(p, sizeof(p), "%s-wal", t->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", t->path);
	unlink(p);
	assert_int_equal(rmdir(t->dir), 0);
}

static void
test_db_fallback(void **state)
{
	size_t c = charge_of_one();
	struct tmpdb t;
	struct db *db = tmpdb_open(&t);
	struct mcache *mc = mcache_new(c, db);
	const struct mcache_ref ref = { DB_REF_LAYER, D("1") };
	const struct mcache_entry *e;
	char da[RW_DIGEST_MAX];
	struct mcache_stats st;
	struct rw_err err;

	(void)state;
	digest_of('a', da);
	e = mcache_put(mc, "hub", "r", da, OCI_MANIFEST, body_of('a'),
	    32, &ref, 1, 1);
	assert_non_null(e);
	mcache_release(e);
	put_release(mc, 'b');			/* evicts a from memory */
	rw_err_clear(&err);
	assert_int_equal(db_blob_referenced(db, "hub", "r", D("1"), &err), 1);

	assert_true(cached(mc, 'a'));		/* from the db ... */
	assert_true(cached(mc, 'a'));		/* ... then from memory */
	assert_false(cached(mc, 'z'));
	mcache_stats(mc, &st);
	assert_int_equal(st.db_hits, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.evictions, 2);	/* b made way for a */
	assert_int_equal(st.entries, 1);
	mcache_free(mc);

	/* Memory off: every get reads the db, nothing is kept. */
	mc = mcache_new(0, db);
	assert_true(cached(mc, 'b'));
	assert_true(cached(mc, 'b'));
	mcache_stats(mc, &st);
	assert_int_equal(st.db_hits, 2);
	assert_int_equal(st.entries, 0);

	/* A row whose bytes no longer hash to its digest (the file damaged
	 * or edited since): a miss counted as a db error, never served. */
	rw_err_clear(&err);
	assert_int_equal(db_manifest_put(db, "hub", "r", D("e"), OCI_MANIFEST,
	    body_of('e'), 32, NULL, 0, 1, &err), RW_OK);
	assert_null(mcache_get(mc, "hub", "r", D("e")));
	mcache_stats(mc, &st);
	assert_int_equal(st.db_hits, 2);
	assert_int_equal(st.db_errors, 1);
	mcache_free(mc);
	tmpdb_close(&t, db);
}

/* mcache_peek: memory only (never the db), no hit or miss counted, and it
 * marks the entry recently used like a get. */
static void
test_peek_memory_only(void **state)
{
	size_t c = charge_of_one();
	struct tmpdb t;
	struct db *db = tmpdb_open(&t);
	struct mcache *mc = mcache_new(2 * c, db);
	const struct mcache_entry *e, *e2;
	char da[RW_DIGEST_MAX];
	struct mcache_stats st;

	(void)state;
	digest_of('a', da);
	assert_null(mcache_peek(mc, "hub", "r", da));
	e = put(mc, 'a');
	assert_non_null(e);
	e2 = mcache_peek(mc, "hub", "r", da);
	assert_ptr_equal(e, e2);
	assert_memory_equal(mcache_entry_body(e2), body_of('a'), 32);
	assert_string_equal(mcache_entry_media_type(e2), OCI_MANIFEST);
	mcache_release(e2);
	mcache_release(e);
	/* The key is all three parts. */
	assert_null(mcache_peek(mc, "hub", "other", da));
	assert_null(mcache_peek(mc, "ghcr", "r", da));
	put_release(mc, 'b');			/* order: b a */
	e = mcache_peek(mc, "hub", "r", da);	/* order: a b */
	mcache_release(e);
	put_release(mc, 'c');			/* evicts b, not a */
	e = mcache_peek(mc, "hub", "r", da);
	assert_non_null(e);
	mcache_release(e);
	digest_of('b', da);
	/* b is in the db only: peek does not read it, get does. */
	assert_null(mcache_peek(mc, "hub", "r", da));
	mcache_stats(mc, &st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 0);
	assert_int_equal(st.db_hits, 0);
	assert_true(cached(mc, 'b'));
	mcache_stats(mc, &st);
	assert_int_equal(st.db_hits, 1);
	mcache_free(mc);
	tmpdb_close(&t, db);
}

#define NTHREADS	4

struct hammer_arg {
	struct mcache	*mc;
	int		 id;
};

static void *
hammer(void *arg)
{
	struct hammer_arg *h = arg;
	struct mcache *mc = h->mc;
	const struct mcache_entry *e;
	char digest[RW_DIGEST_MAX], name;
	int i;

	for (i = 0; i < 2000; i++) {
		name = (char)('a' + (i * 7 + h->id * 5) % 26);
		/* No cmocka assertion off the main thread. */
		if (rw_digest(RW_HASH_SHA256, body_of(name), 32, digest) !=
		    RW_OK)
			return (void *)1;
		e = mcache_get(mc, "hub", "r", digest);
		if (e == NULL)
			e = put(mc, name);
		if (e == NULL || mcache_entry_len(e) != 32 ||
		    memcmp(mcache_entry_body(e), body_of(name), 32) != 0)
			return (void *)1;
		mcache_release(e);
	}
	return NULL;
}

static void
test_threads_share_entries(void **state)
{
	size_t c = charge_of_one();
	struct mcache *mc = mcache_new(8 * c, NULL);
	struct hammer_arg args[NTHREADS];
	struct mcache_stats st;
	pthread_t t[NTHREADS];
	void *ret;
	int i;

	(void)state;
	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct hammer_arg){ mc, i };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &args[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	mcache_stats(mc, &st);
	assert_true(st.entries <= 8);
	assert_true(st.bytes <= 8 * c);
	assert_int_equal(st.hits + st.misses, NTHREADS * 2000);
	mcache_free(mc);
}

/* ------------------------------------------------------------- refs */

static void
expect_refs(const char *json, const char *mt_want, size_t nwant,
    const struct mcache_ref *want)
{
	struct mcache_ref *refs = NULL;
	struct rw_err err;
	char mt[128];
	size_t n = 99, i;

	rw_err_clear(&err);
	assert_int_equal(mcache_manifest_refs(json, strlen(json), &refs, &n, mt,
	    sizeof(mt), &err), RW_OK);
	assert_string_equal(err.msg, "");
	assert_string_equal(mt, mt_want);
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		assert_int_equal(refs[i].kind, want[i].kind);
		assert_string_equal(refs[i].digest, want[i].digest);
	}
	free(refs);
}

static void
expect_refused(const char *json, int code, const char *msg)
{
	struct mcache_ref *refs = (struct mcache_ref *)(uintptr_t)16;
	struct rw_err err;
	char mt[128];
	size_t n = 99;

	rw_err_clear(&err);
	assert_int_equal(mcache_manifest_refs(json, strlen(json), &refs, &n, mt,
	    sizeof(mt), &err), code);
	assert_string_equal(err.msg, msg);
	assert_null(refs);
	assert_int_equal(n, 0);
	assert_string_equal(mt, "");
}

static void
test_refs_oci_manifest(void **state)
{
	static const char json[] = "{\"schemaVersion\":2,"
	    "\"mediaType\":\"" OCI_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"" D("c") "\",\"size\":7023},"
	    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	    "\"digest\":\"" D("1") "\",\"size\":32654},"
	    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	    "\"digest\":\"" D("2") "\",\"size\":16724}],"
	    "\"annotations\":{\"com.example.key1\":\"value1\"}}";
	const struct mcache_ref want[] = {
		{ DB_REF_CONFIG, D("c") },
		{ DB_REF_LAYER, D("1") },
		{ DB_REF_LAYER, D("2") },
	};

	(void)state;
	expect_refs(json, OCI_MANIFEST, 3, want);
}

static void
test_refs_docker_schema2(void **state)
{
	static const char json[] = "{\n"
	    "   \"schemaVersion\": 2,\n"
	    "   \"mediaType\": \"" DOCKER_V2 "\",\n"
	    "   \"config\": {\n"
	    "      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
	    "      \"size\": 1469,\n"
	    "      \"digest\": \"" D("9") "\"\n"
	    "   },\n"
	    "   \"layers\": [\n"
	    "      {\n"
	    "         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	    "         \"size\": 3370706,\n"
	    "         \"digest\": \"" D("8") "\"\n"
	    "      }\n"
	    "   ]\n"
	    "}";
	const struct mcache_ref want[] = {
		{ DB_REF_CONFIG, D("9") },
		{ DB_REF_LAYER, D("8") },
	};

	(void)state;
	expect_refs(json, DOCKER_V2, 2, want);
}

static void
test_refs_oci_index_with_subject(void **state)
{
	static const char json[] = "{\"schemaVersion\":2,"
	    "\"mediaType\":\"" OCI_INDEX "\","
	    "\"manifests\":[{\"mediaType\":\"" OCI_MANIFEST "\","
	    "\"digest\":\"" D("a") "\",\"size\":7143,"
	    "\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}},"
	    "{\"mediaType\":\"" OCI_MANIFEST "\","
	    "\"digest\":\"" D512("b") "\",\"size\":7682}],"
	    "\"subject\":{\"mediaType\":\"" OCI_MANIFEST "\","
	    "\"digest\":\"" D("5") "\",\"size\":1234}}";
	const struct mcache_ref want[] = {
		{ DB_REF_CHILD, D("a") },
		{ DB_REF_CHILD, D512("b") },
		{ DB_REF_SUBJECT, D("5") },
	};

	(void)state;
	expect_refs(json, OCI_INDEX, 3, want);
}

static void
test_refs_optional_parts(void **state)
{
	const struct mcache_ref none[1] = { { DB_REF_LAYER, "" } };

	(void)state;
	/* No mediaType (old OCI manifests): "" and the caller uses the header. */
	expect_refs("{\"schemaVersion\":2,\"layers\":[]}", "", 0, none);
	expect_refs("{\"schemaVersion\":2,\"manifests\":[]}", "", 0, none);
}

static void
test_refs_refused(void **state)
{
	(void)state;
	expect_refused("{\"schemaVersion\":2,", RW_EPARSE,
	    "manifest: invalid JSON at line 1 column 19: string or '}' "
	    "expected near end of file");
	expect_refused("[1]", RW_EPARSE, "manifest: top level is not an object");
	expect_refused("{\"schemaVersion\":2,\"layers\":[],\"layers\":[]}",
	    RW_EPARSE, "manifest: invalid JSON at line 1 column 39: duplicate "
	    "object key near '\"layers\"'");
	expect_refused("{\"schemaVersion\":1,\"fsLayers\":[]}", RW_EUNSUPPORTED,
	    "manifest: schemaVersion 1 is not supported (expected 2)");
	expect_refused("{\"layers\":[]}", RW_EPARSE,
	    "manifest: schemaVersion is missing");
	expect_refused("{\"schemaVersion\":\"2\"}", RW_EPARSE,
	    "manifest: schemaVersion is not an integer");
	expect_refused("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}",
	    RW_EPARSE, "manifest: has both \"manifests\" and \"config\" or "
	    "\"layers\"");
	expect_refused("{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX "\","
	    "\"layers\":[]}", RW_EPARSE, "manifest: mediaType " OCI_INDEX
	    " does not allow \"config\" or \"layers\"");
	expect_refused("{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_V2 "\","
	    "\"manifests\":[]}", RW_EPARSE, "manifest: mediaType " DOCKER_V2
	    " does not allow \"manifests\"");
	expect_refused("{\"schemaVersion\":2,\"mediaType\":\"text/plain\\r\\n"
	    "X-Evil: 1\"}", RW_EPARSE,
	    "manifest: mediaType is not a valid media type");
	expect_refused("{\"schemaVersion\":2,\"mediaType\":7}", RW_EPARSE,
	    "manifest: mediaType is not a string");
	expect_refused("{\"schemaVersion\":2,\"layers\":{}}", RW_EPARSE,
	    "manifest: layers is not an array");
	expect_refused("{\"schemaVersion\":2,\"layers\":[{\"digest\":\"" D("1")
	    "\"},7]}", RW_EPARSE, "manifest: layers[1] is not an object");
	expect_refused("{\"schemaVersion\":2,\"config\":{\"size\":1}}",
	    RW_EPARSE, "manifest: config.digest is missing");
	expect_refused("{\"schemaVersion\":2,\"subject\":{\"digest\":5}}",
	    RW_EPARSE, "manifest: subject.digest is not a string");
	expect_refused("{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
	    "\"sha256:ABC\"}]}", RW_EPARSE,
	    "manifest: manifests[0].digest is not a valid digest");
	/* 136 characters: one more than RW_DIGEST_MAX leaves room for. */
	expect_refused("{\"schemaVersion\":2,\"layers\":[{\"digest\":\""
	    D512("0") "f\"}]}", RW_ETOOBIG,
	    "manifest: layers[0].digest is longer than 135 characters");
}

static void
test_refs_digest_grammar(void **state)
{
	static const char *const good[] = {
		"sha256:" "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
		"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
	};
	static const char *const bad[] = {
		"sha256:e3b0", ":abc", "sha256:", "Sha256:abc", "sha256",
		"a..b:abc", "-a:abc", "a-:abc", "a:ab/c", "a:ab c",
	};
	struct mcache_ref *refs;
	struct rw_err err;
	char json[256], mt[8];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), "{\"schemaVersion\":2,\"subject\":"
		    "{\"digest\":\"%s\"}}", good[i]);
		rw_err_clear(&err);
		assert_int_equal(mcache_manifest_refs(json, strlen(json), &refs,
		    &n, mt, sizeof(mt), &err), RW_OK);
		assert_int_equal(n, 1);
		assert_string_equal(refs[0].digest, good[i]);
		free(refs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"schemaVersion\":2,\"subject\":"
		    "{\"digest\":\"%s\"}}", bad[i]);
		rw_err_clear(&err);
		assert_int_equal(mcache_manifest_refs(json, strlen(json), &refs,
		    &n, mt, sizeof(mt), &err), RW_EPARSE);
		assert_string_equal(err.msg,
		    "manifest: subject.digest is not a valid digest");
	}
	/* A media type that does not fit the caller's buffer is an error. */
	rw_err_clear(&err);
	snprintf(json, sizeof(json), "{\"schemaVersion\":2,\"mediaType\":\"%s\"}",
	    OCI_MANIFEST);
	assert_int_equal(mcache_manifest_refs(json, strlen(json), &refs, &n, mt,
	    sizeof(mt), &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "manifest: mediaType does not fit in 8 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_lru_eviction_by_bytes),
		cmocka_unit_test(test_too_big_not_kept),
		cmocka_unit_test(test_refcount_outlives_eviction),
		cmocka_unit_test(test_db_fallback),
		cmocka_unit_test(test_peek_memory_only),
		cmocka_unit_test(test_threads_share_entries),
		cmocka_unit_test(test_refs_oci_manifest),
		cmocka_unit_test(test_refs_docker_schema2),
		cmocka_unit_test(test_refs_oci_index_with_subject),
		cmocka_unit_test(test_refs_optional_parts),
		cmocka_unit_test(test_refs_refused),
		cmocka_unit_test(test_refs_digest_grammar),
	};
	fill_bodies();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
