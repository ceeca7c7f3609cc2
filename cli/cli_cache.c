/* cli_cache.c - `regwarden cache ls | stats | purge`: the blob cache on disk, beside a running server. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "db/db.h"
#include "policy/policy.h"
#include "server/config.h"
#include "server/internal.h"

const char cli_cache_usage[] =
    "usage: regwarden cache [-c config.json] ls [--json]\n"
    "       regwarden cache [-c config.json] stats\n"
    "       regwarden cache [-c config.json] purge [--digest sha256:HEX] "
    "[--dry-run]\n"
    "       regwarden cache [-c config.json] purge --repo GLOB [--force] "
    "[--dry-run]\n"
    "purge with no option empties the cache; --digest removes one blob;\n"
    "--repo removes the blobs that the manifests of the repositories GLOB\n"
    "matches (\"docker.io/team/**\", as in policy rules) use, and keeps those\n"
    "that a repository outside GLOB uses too unless --force; --dry-run says\n"
    "what would go and removes nothing.  A running server may go on: it\n"
    "fetches a purged blob again at its next pull.\n";

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

/* ------------------------------------------------------------- purge */

/* One cached blob, and what purge --repo learnt of it from the store. */
struct pitem {
	char		 digest[RW_DIGEST_MAX];
	uint64_t	 size;
	int		 matched;	/* a repository of the glob uses it */
	size_t		 others;	/* repositories outside the glob that do */
	char		 other[600];	/* the first of them, "host/repo" */
};

struct purge_opts {
	const char	*digest;	/* --digest */
	const char	*glob;		/* --repo, as given */
	char		 canon[512];	/* --repo, canonical */
	int		 force;		/* --force: shared blobs go too */
	int		 dry_run;	/* --dry-run: say, remove nothing */
};

struct purge_ctx {
	const struct rw_config	*cfg;
	const struct purge_opts	*o;
	struct pitem		*v;
	size_t			 n, alloc;
	int			 rc;
};

static void
collect(const struct cache_item *it, void *arg)
{
	struct purge_ctx *p = arg;
	struct pitem *nv;
	size_t na;

	if (p->rc != RW_OK)
		return;
	if (p->n == p->alloc) {
		na = p->alloc > 0 ? p->alloc * 2 : 64;
		nv = realloc(p->v, na * sizeof(*nv));
		if (nv == NULL) {
			p->rc = RW_ENOMEM;
			return;
		}
		p->v = nv;
		p->alloc = na;
	}
	memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
	rw_strlcpy(p->v[p->n].digest, it->digest, RW_DIGEST_MAX);
	p->v[p->n].size = it->size;
	p->n++;
}

static int
by_digest(const void *a, const void *b)
{
	return strcmp(((const struct pitem *)a)->digest,
	    ((const struct pitem *)b)->digest);
}

/* "host/repo" as the policy names it: the upstream's host, or its name
 * when the configuration no longer has it. */
static void
policy_name(const struct rw_config *cfg, const char *upstream,
    const char *repo, char *out, size_t size)
{
	char host[256];
	size_t i;

	rw_strlcpy(host, upstream, sizeof(host));
	for (i = 0; i < cfg->nupstreams; i++) {
		if (strcmp(cfg->upstreams[i].name, upstream) == 0) {
			decide_host(&cfg->upstreams[i], host, sizeof(host));
			break;
		}
	}
	snprintf(out, size, "%s/%s", host, repo);
}

static int
note_use(const struct db_blob_use *u, void *arg)
{
	struct purge_ctx *p = arg;
	struct pitem key, *it;
	char name[600];

	if (p->n == 0)
		return 0;	/* an empty cache: nothing to look up */
	rw_strlcpy(key.digest, u->digest, sizeof(key.digest));
	it = bsearch(&key, p->v, p->n, sizeof(*p->v), by_digest);
	if (it == NULL)
		return 0;	/* not cached */
	policy_name(p->cfg, u->upstream, u->repo, name, sizeof(name));
	if (policy_glob_matches(p->o->canon, name)) {
		it->matched = 1;
	} else if (it->others++ == 0) {
		rw_strlcpy(it->other, name, sizeof(it->other));
	}
	return 0;
}

/* Whether IT goes: every blob without --repo, else a matched one that no
 * other repository uses (or any matched one with --force). */
static int
doomed(const struct purge_opts *o, const struct pitem *it)
{
	if (o->digest != NULL)
		return strcmp(it->digest, o->digest) == 0;
	if (o->glob == NULL)
		return 1;
	return it->matched && (it->others == 0 || o->force);
}

/* Remove (or with --dry-run, name) what goes; print one line per blob. */
static int
purge_apply(struct cache *c, struct purge_ctx *p, const struct cli_env *env)
{
	const struct purge_opts *o = p->o;
	uint64_t n = 0, bytes = 0, kept = 0;
	const char *verb = o->dry_run ? "would purge" : "purged";
	char msg[200];
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pitem *it = &p->v[i];

		if (o->glob != NULL && it->matched && !doomed(o, it)) {
			kept++;
			fprintf(env->out, "kept %s: also used by %s",
			    it->digest, it->other);
			if (it->others > 1)
				fprintf(env->out, " and %zu more",
				    it->others - 1);
			fputc('\n', env->out);
			continue;
		}
		if (!doomed(o, it))
			continue;
		if (!o->dry_run && cache_remove(c, it->digest) != RW_OK)
			continue;	/* evicted meanwhile */
		n++;
		bytes += it->size;
		if (o->glob != NULL)
			fprintf(env->out, "%s %s (%llu bytes)\n", verb,
			    it->digest, (unsigned long long)it->size);
	}
	if (o->digest != NULL && n == 0) {
		snprintf(msg, sizeof(msg), "cache purge: %s is not in the "
		    "cache", o->digest);
		cli_fail(env, msg);
		return CLI_EXIT_FAIL;
	}
	if (o->digest != NULL) {
		fprintf(env->out, "%s %s\n", verb, o->digest);
		return 0;
	}
	fprintf(env->out, "%s %llu blobs, %llu bytes freed", verb,
	    (unsigned long long)n, (unsigned long long)bytes);
	if (kept > 0)
		fprintf(env->out, "; kept %llu shared with other repositories "
		    "(--force purges them too)", (unsigned long long)kept);
	fputc('\n', env->out);
	return 0;
}

/* Which repositories use each cached blob, from the state database. */
static int
purge_uses(struct purge_ctx *p, const struct cli_env *env)
{
	struct rw_err err;
	struct db *db;
	int rc;

	rc = cli_open_db(p->cfg->state_dir, env, &db);
	if (rc != 0)
		return rc;
	rw_err_clear(&err);
	rc = db_blob_uses(db, note_use, p, &err);
	db_close(db);
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

static int
cache_purge(struct cache *c, const struct rw_config *cfg,
    const struct purge_opts *o, const struct cli_env *env)
{
	struct purge_ctx p = { cfg, o, NULL, 0, 0, RW_OK };
	int rc;

	if (cache_list(c, collect, &p) != RW_OK || p.rc != RW_OK) {
		free(p.v);
		cli_fail(env, "out of memory");
		return CLI_EXIT_FAIL;
	}
	if (p.n > 0)
		qsort(p.v, p.n, sizeof(*p.v), by_digest);
	rc = o->glob != NULL ? purge_uses(&p, env) : 0;
	if (rc == 0)
		rc = purge_apply(c, &p, env);
	free(p.v);
	return rc;
}

/* purge's options into O: 0, or the usage error's status. */
static int
purge_args(int argc, char **argv, const struct cli_env *env,
    struct purge_opts *o)
{
	struct rw_err err;
	const char *v;
	char msg[400];
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0) {
			o->force = 1;
			continue;
		}
		if (strcmp(argv[i], "--dry-run") == 0) {
			o->dry_run = 1;
			continue;
		}
		v = cli_opt_value(argc, argv, &i, "--digest");
		if (v != NULL) {
			o->digest = v;
			continue;
		}
		v = cli_opt_value(argc, argv, &i, "--repo");
		if (v != NULL) {
			o->glob = v;
			continue;
		}
		snprintf(msg, sizeof(msg), "cache purge: unknown option or "
		    "missing value: \"%.100s\"", argv[i]);
		return cli_usage_error(env, cli_cache_usage, msg);
	}
	if (o->digest != NULL && o->glob != NULL)
		return cli_usage_error(env, cli_cache_usage, "cache purge: "
		    "--digest and --repo do not go together");
	if (o->force && o->glob == NULL)
		return cli_usage_error(env, cli_cache_usage, "cache purge: "
		    "--force goes with --repo");
	if (o->digest != NULL && !cli_valid_digest(o->digest)) {
		snprintf(msg, sizeof(msg), "cache purge: not a digest: "
		    "\"%.100s\"", o->digest);
		return cli_usage_error(env, cli_cache_usage, msg);
	}
	rw_err_clear(&err);
	if (o->glob != NULL && policy_glob_canon(o->glob, o->canon,
	    sizeof(o->canon), &err) != RW_OK) {
		snprintf(msg, sizeof(msg), "cache purge: invalid --repo: %s",
		    err.msg);
		return cli_usage_error(env, cli_cache_usage, msg);
	}
	return 0;
}

/* The verb and its options: 0 and *VERB, or the usage error's status. */
static int
args(int argc, char **argv, const struct cli_env *env, const char **verb,
    int *json, struct purge_opts *o)
{
	if (argc < 2)
		return cli_usage_error(env, cli_cache_usage, NULL);
	*verb = argv[1];
	if (strcmp(*verb, "purge") == 0)
		return purge_args(argc, argv, env, o);
	if (strcmp(*verb, "ls") == 0 && argc == 3 &&
	    strcmp(argv[2], "--json") == 0)
		*json = 1;
	else if (argc != 2 || (strcmp(*verb, "ls") != 0 &&
	    strcmp(*verb, "stats") != 0))
		return cli_usage_error(env, cli_cache_usage, NULL);
	return 0;
}

int
cli_cache(int argc, char **argv, const struct rw_config *cfg,
    const struct cli_env *env)
{
	struct cache_cfg cc = { cfg->cache_dir, cfg->cache_max_bytes,
	    cfg->cache_min_free_bytes, 1 };
	struct purge_opts po;
	const char *verb = NULL;
	struct rw_err err;
	struct cache *c;
	int json = 0, rc;

	memset(&po, 0, sizeof(po));
	rc = args(argc, argv, env, &verb, &json, &po);
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
		rc = cache_purge(c, cfg, &po, env);
	cache_free(c);
	return cli_finish(env, rc);
}
