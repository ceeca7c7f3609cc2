/* cli_cache.c - `regwarden cache ls | stats | purge`: the blob cache on disk, beside a running server. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "server/config.h"

const char cli_cache_usage[] =
    "usage: regwarden cache [-c config.json] ls [--json]\n"
    "       regwarden cache [-c config.json] stats\n"
    "       regwarden cache [-c config.json] purge [--digest sha256:HEX]\n";

struct ls_ctx {
	struct cli_table	*t;
	const struct cli_env	*env;
	int			 json;
	size_t			 n;
	int			 rc;
};

static void
ls_one(const struct cache_item *it, void *arg)
{
	struct ls_ctx *l = arg;
	char size[24], used[32];
	const char *row[3] = { it->digest, size, used };
	json_t *o;

	l->n++;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)it->size);
	cli_rfc3339(it->used_ns / 1000000000, used);
	if (l->json) {
		o = json_pack("{s:s, s:I, s:s}", "digest", it->digest, "size",
		    (json_int_t)it->size, "last_used", used);
		if (cli_print_json(l->env->out, o, o != NULL) != RW_OK)
			l->rc = RW_ENOMEM;
		return;
	}
	if (l->rc == RW_OK)
		l->rc = cli_table_add(l->t, row);
}

static int
cache_ls(struct cache *c, int json, const struct cli_env *env)
{
	static const char *const head[3] = { "DIGEST", "SIZE", "LAST USED" };
	struct cli_table t;
	struct ls_ctx l = { &t, env, json, 0, RW_OK };
	struct rw_err err;
	int rc;

	memset(&t, 0, sizeof(t));
	t.ncols = 3;
	rw_err_clear(&err);
	rc = cli_table_add(&t, head);
	if (rc == RW_OK)
		rc = cache_list(c, ls_one, &l);
	if (rc == RW_OK)
		rc = l.rc;
	return cli_table_end(&t, rc, l.n, json, "cached blobs", &err, env);
}

static int
cache_show_stats(struct cache *c, const struct rw_config *cfg,
    const struct cli_env *env)
{
	struct cache_stats st;

	cache_stats(c, &st);
	fprintf(env->out, "dir             %s\n", cfg->cache_dir);
	fprintf(env->out, "blobs           %llu\n",
	    (unsigned long long)st.entries);
	fprintf(env->out, "bytes           %llu\n",
	    (unsigned long long)st.bytes);
	fprintf(env->out, "max_bytes       %zu\n", cfg->cache_max_bytes);
	fprintf(env->out, "min_free_bytes  %zu\n", cfg->cache_min_free_bytes);
	return 0;
}

struct purge_ctx {
	struct cache	*c;
	uint64_t	 n, bytes;
};

static void
purge_one(const struct cache_item *it, void *arg)
{
	struct purge_ctx *p = arg;

	if (cache_remove(p->c, it->digest) == RW_OK) {
		p->n++;
		p->bytes += it->size;
	}
}

static int
cache_purge(struct cache *c, const char *digest, const struct cli_env *env)
{
	struct purge_ctx p = { c, 0, 0 };
	char msg[200];

	if (digest != NULL) {
		if (!cli_valid_digest(digest)) {
			snprintf(msg, sizeof(msg), "cache purge: not a digest: "
			    "\"%.100s\"", digest);
			return cli_usage_error(env, cli_cache_usage, msg);
		}
		if (cache_remove(c, digest) != RW_OK) {
			snprintf(msg, sizeof(msg), "cache purge: %s is not in "
			    "the cache", digest);
			cli_fail(env, msg);
			return CLI_EXIT_FAIL;
		}
		fprintf(env->out, "purged %s\n", digest);
		return 0;
	}
	if (cache_list(c, purge_one, &p) != RW_OK) {
		cli_fail(env, "out of memory");
		return CLI_EXIT_FAIL;
	}
	fprintf(env->out, "purged %llu blobs, %llu bytes\n",
	    (unsigned long long)p.n, (unsigned long long)p.bytes);
	return 0;
}

/* The verb and its options: 0 and *VERB, or the usage error's status. */
static int
args(int argc, char **argv, const struct cli_env *env, const char **verb,
    int *json, const char **digest)
{
	if (argc < 2)
		return cli_usage_error(env, cli_cache_usage, NULL);
	*verb = argv[1];
	if (strcmp(*verb, "ls") == 0 && argc == 3 &&
	    strcmp(argv[2], "--json") == 0)
		*json = 1;
	else if (strcmp(*verb, "purge") == 0 && argc == 4 &&
	    strcmp(argv[2], "--digest") == 0)
		*digest = argv[3];
	else if (argc != 2 || (strcmp(*verb, "ls") != 0 &&
	    strcmp(*verb, "stats") != 0 && strcmp(*verb, "purge") != 0))
		return cli_usage_error(env, cli_cache_usage, NULL);
	return 0;
}

int
cli_cache(int argc, char **argv, const struct rw_config *cfg,
    const struct cli_env *env)
{
	struct cache_cfg cc = { cfg->cache_dir, cfg->cache_max_bytes,
	    cfg->cache_min_free_bytes, 1 };
	const char *verb = NULL, *digest = NULL;
	struct rw_err err;
	struct cache *c;
	int json = 0, rc;

	rc = args(argc, argv, env, &verb, &json, &digest);
	if (rc != 0)
		return rc;
	if (cfg->cache_dir == NULL) {
		cli_fail(env, "cache: no \"cache\" in the configuration: the "
		    "blob cache is off");
		return CLI_EXIT_FAIL;
	}
	rw_err_clear(&err);
	c = cache_open(&cc, &err);
	if (c == NULL) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	if (strcmp(verb, "ls") == 0)
		rc = cache_ls(c, json, env);
	else if (strcmp(verb, "stats") == 0)
		rc = cache_show_stats(c, cfg, env);
	else
		rc = cache_purge(c, digest, env);
	cache_free(c);
	return cli_finish(env, rc);
}
