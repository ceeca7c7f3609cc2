/* test_cache_cli.c - `regwarden cache ls | stats | purge`, output verbatim. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "cli/cli.h"
#include "db/db.h"
#include "util/util.h"

static char root[] = "/tmp/rw-test-cachecli.XXXXXX";
static char config[128], nocache[128], cdir[128];
static char *out, *err;

static void
write_config(const char *path, int with_cache)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "{\"listen\": \"127.0.0.1:5443\", \"state_dir\": \"%s\", "
	    "\"upstreams\": [{\"name\": \"hub\", \"url\": "
	    "\"https://registry-1.docker.io\", \"hosts\": [\"docker.io\"], "
	    "\"default\": true}]%s%s%s}\n", root,
	    with_cache ? ", \"cache\": {\"dir\": \"" : "",
	    with_cache ? cdir : "",
	    with_cache ? "\", \"max_bytes\": 2097152, \"min_free_bytes\": 0}" :
	    "");
	fclose(fp);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(config, sizeof(config), "%s/rw.json", root);
	snprintf(nocache, sizeof(nocache), "%s/nocache.json", root);
	snprintf(cdir, sizeof(cdir), "%s/cache", root);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[200];

	(void)state;
	free(out);
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
slurp(FILE *fp)
{
	long n;
	char *s;

	assert_int_equal(fflush(fp), 0);
	n = ftell(fp);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return s;
}

/* regwarden cache WORDS... with config PATH; output in out and err. */
static int
run(const char *path, ...)
{
	struct cli_env env;
	char *argv[8];
	va_list ap;
	int argc = 0, rc;

	argv[argc++] = (char *)(uintptr_t)"cache";
	va_start(ap, path);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	memset(&env, 0, sizeof(env));
	env.out = tmpfile();
	env.err = tmpfile();
	env.now = 1700000000;
	env.user = "alice";
	rc = cli_main_env(argc, argv, path, &env);
	free(out);
	free(err);
	out = slurp(env.out);
	err = slurp(env.err);
	return rc;
}

/* A blob of N bytes of C into the cache; its digest into D. */
static void
put(struct cache *c, size_t n, char ch, char d[RW_DIGEST_MAX])
{
	char *b = malloc(n);
	struct cache_rd *rd;
	struct cache_wr *wr;

	assert_non_null(b);
	memset(b, ch, n);
	assert_int_equal(rw_digest(RW_HASH_SHA256, b, n, d), RW_OK);
	assert_int_equal(cache_get(c, d, (int64_t)n, &rd, &wr, NULL), RW_OK);
	assert_int_equal(cache_wr_write(wr, b, n, NULL), RW_OK);
	assert_int_equal(cache_wr_commit(wr, NULL), RW_OK);
	free(b);
}

/* Last-use times fixed, so the listing is verbatim. */
static void
set_used(const char *d, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char path[256];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cdir, d + 7);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_cache_commands(void **state)
{
	struct cache_cfg cc = { cdir, 2097152, 0, 0 };
	char d1[RW_DIGEST_MAX], d2[RW_DIGEST_MAX], want[1024];
	struct cache *c;

	(void)state;
	write_config(config, 1);
	write_config(nocache, 0);
	c = cache_open(&cc, NULL);
	assert_non_null(c);
	put(c, 1000, 'a', d1);
	put(c, 24, 'b', d2);
	cache_free(c);
	set_used(d1, 1700000100);
	set_used(d2, 1700000000);

	assert_int_equal(run(config, "ls", NULL), 0);
	snprintf(want, sizeof(want),
	    "DIGEST%*s  SIZE  LAST USED\n"
	    "%s  24    2023-11-14T22:13:20Z\n"
	    "%s  1000  2023-11-14T22:15:00Z\n", 65, "", d2, d1);
	assert_string_equal(out, want);
	assert_int_equal(run(config, "ls", "--json", NULL), 0);
	snprintf(want, sizeof(want),
	    "{\"digest\":\"%s\",\"size\":24,\"last_used\":\"2023-11-14T22:13:20Z\"}\n"
	    "{\"digest\":\"%s\",\"size\":1000,\"last_used\":\"2023-11-14T22:15:00Z\"}\n",
	    d2, d1);
	assert_string_equal(out, want);
	assert_int_equal(run(config, "stats", NULL), 0);
	snprintf(want, sizeof(want),
	    "dir             %s\nblobs           2\nbytes           1024\n"
	    "max_bytes       2097152\nmin_free_bytes  0\n", cdir);
	assert_string_equal(out, want);

	assert_int_equal(run(config, "purge", "--digest", d1, NULL), 0);
	snprintf(want, sizeof(want), "purged %s\n", d1);
	assert_string_equal(out, want);
	assert_int_equal(run(config, "purge", "--digest", d1, NULL), 1);
	snprintf(want, sizeof(want), "regwarden: cache purge: %s is not in "
	    "the cache\n", d1);
	assert_string_equal(err, want);
	assert_int_equal(run(config, "purge", "--digest", "sha256:x", NULL), 2);
	assert_non_null(strstr(err, "regwarden: cache purge: not a digest: "
	    "\"sha256:x\"\n"));
	assert_int_equal(run(config, "purge", NULL), 0);
	assert_string_equal(out, "purged 1 blobs, 24 bytes freed\n");
	assert_int_equal(run(config, "ls", NULL), 0);
	assert_string_equal(out, "no cached blobs\n");

	assert_int_equal(run(config, "rm", NULL), 2);
	assert_non_null(strstr(err, "usage: regwarden cache"));
	assert_int_equal(run(nocache, "stats", NULL), 1);
	assert_string_equal(err, "regwarden: cache: no \"cache\" in the "
	    "configuration: the blob cache is off\n");
}

/* A manifest of (UPSTREAM, REPO) using blobs A and B, in the state db. */
static void
record(struct db *db, const char *upstream, const char *repo,
    const char *m, const char *a, const char *b)
{
	const struct db_ref refs[] = { { DB_REF_CONFIG, a },
	    { DB_REF_LAYER, b } };

	assert_int_equal(db_manifest_put(db, upstream, repo, m,
	    "application/vnd.oci.image.manifest.v1+json", "{}", 2, refs, 2,
	    1700000000, NULL), RW_OK);
}

static int
exists(const char *d)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%.64s", cdir, d + 7);
	return access(path, F_OK) == 0;
}

/* Into WANT: L1 and L2 in the order of their digests D1 and D2, then TAIL. */
static void
ordered(char *want, size_t size, const char *d1, const char *l1,
    const char *d2, const char *l2, const char *tail)
{
	int first = strcmp(d1, d2) < 0;

	snprintf(want, size, "%s%s%s", first ? l1 : l2, first ? l2 : l1, tail);
}

/*
 * purge --repo: team/app's own blobs go, the base layer it shares with
 * team/web stays unless --force, another repository's blob and a blob no
 * manifest names are never touched; --dry-run removes nothing.
 */
static void
test_purge_repo(void **state)
{
	struct cache_cfg cc = { cdir, 2097152, 0, 0 };
	char own[RW_DIGEST_MAX], base[RW_DIGEST_MAX], web[RW_DIGEST_MAX];
	char stray[RW_DIGEST_MAX], dbpath[160], want[2048], l1[300], l2[300];
	struct cache *c;
	struct db *db;

	(void)state;
	write_config(config, 1);
	c = cache_open(&cc, NULL);
	assert_non_null(c);
	put(c, 100, 'o', own);
	put(c, 300, 's', base);
	put(c, 50, 'w', web);
	put(c, 7, 'x', stray);
	cache_free(c);
	snprintf(dbpath, sizeof(dbpath), "%s/regwarden.db", root);
	assert_int_equal(db_open(dbpath, &db, NULL), RW_OK);
	record(db, "hub", "team/app", "sha256:m1", own, base);
	record(db, "hub", "team/web", "sha256:m2", web, base);
	/* An upstream the config no longer has is named by its name. */
	record(db, "gone", "team/app", "sha256:m3", base, base);
	db_close(db);

	assert_int_equal(run(config, "purge", "--repo", "docker.io/team/app",
	    "--dry-run", NULL), 0);
	snprintf(l1, sizeof(l1), "would purge %s (100 bytes)\n", own);
	snprintf(l2, sizeof(l2), "kept %s: also used by gone/team/app and 1 "
	    "more\n", base);
	ordered(want, sizeof(want), own, l1, base, l2, "would purge 1 blobs, "
	    "100 bytes freed; kept 1 shared with other repositories (--force "
	    "purges them too)\n");
	assert_string_equal(out, want);
	assert_true(exists(own));

	assert_int_equal(run(config, "purge", "--repo", "docker.io/team/app",
	    NULL), 0);
	snprintf(l1, sizeof(l1), "purged %s (100 bytes)\n", own);
	ordered(want, sizeof(want), own, l1, base, l2, "purged 1 blobs, 100 "
	    "bytes freed; kept 1 shared with other repositories (--force "
	    "purges them too)\n");
	assert_string_equal(out, want);
	assert_false(exists(own));
	assert_true(exists(base) && exists(web) && exists(stray));

	/* Nothing of team/app left but the shared layer: --force takes it. */
	assert_int_equal(run(config, "purge", "--repo", "docker.io/team/*",
	    "--force", NULL), 0);
	snprintf(l1, sizeof(l1), "purged %s (300 bytes)\n", base);
	snprintf(l2, sizeof(l2), "purged %s (50 bytes)\n", web);
	ordered(want, sizeof(want), base, l1, web, l2,
	    "purged 2 blobs, 350 bytes freed\n");
	assert_string_equal(out, want);
	assert_false(exists(base) || exists(web));
	assert_true(exists(stray));
	assert_int_equal(run(config, "purge", "--repo", "gone/team/app", NULL),
	    2);
	assert_int_equal(run(config, "purge", "--repo", "gone.example/x/y",
	    NULL), 0);
	assert_string_equal(out, "purged 0 blobs, 0 bytes freed\n");

	assert_int_equal(run(config, "purge", "--repo", "team", NULL), 2);
	assert_non_null(strstr(err, "regwarden: cache purge: invalid --repo: "
	    "pattern \"team\": must start with a registry host"));
	assert_int_equal(run(config, "purge", "--force", NULL), 2);
	assert_non_null(strstr(err, "regwarden: cache purge: --force goes "
	    "with --repo\n"));
	assert_int_equal(run(config, "purge", "--repo", "docker.io/a/b",
	    "--digest", stray, NULL), 2);
	assert_non_null(strstr(err, "regwarden: cache purge: --digest and "
	    "--repo do not go together\n"));
	assert_int_equal(run(config, "purge", "--repo", NULL), 2);
	assert_non_null(strstr(err, "regwarden: cache purge: unknown option "
	    "or missing value: \"--repo\"\n"));
	assert_int_equal(run(config, "purge", "--digest", stray, "--dry-run",
	    NULL), 0);
	snprintf(want, sizeof(want), "would purge %s\n", stray);
	assert_string_equal(out, want);
	assert_true(exists(stray));
	/* An empty cache, manifests still recorded: nothing to purge. */
	assert_int_equal(run(config, "purge", NULL), 0);
	assert_string_equal(out, "purged 1 blobs, 7 bytes freed\n");
	assert_int_equal(run(config, "purge", "--repo", "docker.io/**", NULL),
	    0);
	assert_string_equal(out, "purged 0 blobs, 0 bytes freed\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_commands),
		cmocka_unit_test(test_purge_repo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
