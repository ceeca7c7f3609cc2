/*
 * cli_db.c - `regwarden db`: status (backend, schema version, row counts),
 * migrate (copy an installation's SQLite store into PostgreSQL) and prune
 * (layer indexes no recorded manifest references).
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "db/db.h"
#include "server/config.h"

const char cli_db_usage[] =
    "usage: regwarden db [-c config.json] status\n"
    "       regwarden db [-c config.json] prune [--older-than DAYS]\n"
    "       regwarden db migrate --from STATE_DIR|FILE.db --to URL|FILE.db\n";

/* Layer indexes unreferenced this long are pruned unless told otherwise. */
#define PRUNE_DAYS	30
/* Rows per statement, as audit retention; batches are bounded too. */
#define PRUNE_BATCH	1000
#define PRUNE_MAX_BATCHES	100000

/* Print every table's rows of DB, after its backend and schema version. */
static int
status(const struct cli_env *env, struct db *db, const char *where)
{
	struct rw_err err;
	const char *t;
	int64_t n;
	size_t i;
	int v;

	rw_err_clear(&err);
	if (db_version(db, &v, &err) != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	fprintf(env->out, "backend: %s\nschema version: %d (this regwarden: "
	    "%d)\n", where, v, db_schema_version());
	for (i = 0; (t = db_table_name(i)) != NULL; i++) {
		if (db_count(db, t, &n, &err) != RW_OK) {
			cli_fail(env, err.msg);
			return CLI_EXIT_FAIL;
		}
		fprintf(env->out, "%-16s %lld\n", t, (long long)n);
	}
	return cli_finish(env, 0);
}

/*
 * Delete the layer indexes of layers no recorded manifest references and
 * read more than DAYS days ago, in batches.
 */
static int
prune(const struct cli_env *env, struct db *db, int64_t days)
{
	int64_t before = env->now - days * 86400, total = 0;
	struct rw_err err;
	char when[32];
	int n = PRUNE_BATCH, i;

	for (i = 0; i < PRUNE_MAX_BATCHES && n == PRUNE_BATCH; i++) {
		rw_err_clear(&err);
		n = db_layer_index_prune(db, before, PRUNE_BATCH, &err);
		if (n < 0) {
			fprintf(env->err, "regwarden: db prune: %s (%lld rows "
			    "pruned before)\n", err.msg, (long long)total);
			return CLI_EXIT_FAIL;
		}
		total += n;
	}
	rw_time_str(when, sizeof(when), before);
	fprintf(env->out, "layer_index: %lld row%s pruned (layers no recorded "
	    "manifest references, read before %s)\n", (long long)total,
	    total == 1 ? "" : "s", when);
	return cli_finish(env, 0);
}

/* "--older-than DAYS" (1..36500) into *DAYS; 0, or the usage error. */
static int
prune_args(int argc, char **argv, const struct cli_env *env, int64_t *days)
{
	const char *v = NULL;
	long long n;
	char *end;

	*days = PRUNE_DAYS;
	if (argc == 3 && strcmp(argv[1], "--older-than") == 0)
		v = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--older-than=", 13) == 0)
		v = argv[1] + 13;
	else if (argc != 1)
		return cli_usage_error(env, cli_db_usage, NULL);
	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 36500)
		return cli_usage_error(env, cli_db_usage, "db prune: "
		    "--older-than takes a number of days (1..36500)");
	*days = n;
	return 0;
}

/* The store FROM names: a state_dir (its regwarden.db) or a file. */
static int
open_source(const struct cli_env *env, const char *from, struct db **db)
{
	char path[4096];
	struct rw_err err;
	struct stat sb;

	if (db_is_url(from)) {
		snprintf(path, sizeof(path), "%s", from);
	} else {
		if (stat(from, &sb) != 0) {
			fprintf(env->err, "regwarden: %s: %s\n", from,
			    strerror(errno));
			return CLI_EXIT_FAIL;
		}
		if ((size_t)snprintf(path, sizeof(path), S_ISDIR(sb.st_mode) ?
		    "%s/regwarden.db" : "%s", from) >= sizeof(path) ||
		    (S_ISDIR(sb.st_mode) && stat(path, &sb) != 0)) {
			fprintf(env->err, "regwarden: %s holds no regwarden.db\n",
			    from);
			return CLI_EXIT_FAIL;
		}
	}
	rw_err_clear(&err);
	if (db_open(path, db, &err) != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

static int
copy_all(const struct cli_env *env, struct db *from, struct db *to)
{
	int64_t read, added, tread = 0, tadded = 0;
	struct rw_err err;
	const char *t;
	size_t i;

	for (i = 0; (t = db_table_name(i)) != NULL; i++) {
		rw_err_clear(&err);
		if (db_copy_table(from, to, t, &read, &added, &err) != RW_OK) {
			fprintf(env->err, "regwarden: copying %s: %s\n", t,
			    err.msg);
			return CLI_EXIT_FAIL;
		}
		fprintf(env->out, "%-16s %lld read, %lld added\n", t,
		    (long long)read, (long long)added);
		fflush(env->out);
		tread += read;
		tadded += added;
	}
	fprintf(env->out, "done: %lld rows read, %lld added\n",
	    (long long)tread, (long long)tadded);
	return cli_finish(env, 0);
}

static int
migrate(int argc, char **argv, const struct cli_env *env)
{
	const char *from = NULL, *to = NULL;
	char shown[1100];
	struct db *src = NULL, *dst = NULL;
	struct rw_err err;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strncmp(argv[i], "--from=", 7) == 0)
			from = argv[i] + 7;
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strncmp(argv[i], "--to=", 5) == 0)
			to = argv[i] + 5;
		else
			return cli_usage_error(env, cli_db_usage, NULL);
	}
	if (from == NULL || to == NULL)
		return cli_usage_error(env, cli_db_usage,
		    "db migrate: --from and --to are required");
	rc = open_source(env, from, &src);
	if (rc != 0)
		return rc;
	rw_err_clear(&err);
	if (db_open(to, &dst, &err) != RW_OK) {
		cli_fail(env, err.msg);
		db_close(src);
		return CLI_EXIT_FAIL;
	}
	db_url_redact(to, shown, sizeof(shown));
	fprintf(env->out, "copying %s into %s (%s)\n", from, shown,
	    db_backend(dst));
	rc = copy_all(env, src, dst);
	db_close(dst);
	db_close(src);
	return rc;
}

int
cli_db(int argc, char **argv, const char *config_path,
    const struct cli_env *env)
{
	struct rw_config *cfg = NULL;
	struct rw_diags diags;
	struct db *db = NULL;
	struct rw_err err;
	char where[1200];
	int64_t days = 0;
	int rc, skip = 0, pruning;

	if (argc >= 3 && (strcmp(argv[1], "-c") == 0 ||
	    strcmp(argv[1], "--config") == 0)) {
		config_path = argv[2];
		skip = 2;
	}
	if (argc - skip >= 2 && strcmp(argv[1 + skip], "migrate") == 0)
		return migrate(argc - 1 - skip, argv + 1 + skip, env);
	pruning = argc - skip >= 2 && strcmp(argv[1 + skip], "prune") == 0;
	if (pruning) {
		rc = prune_args(argc - 1 - skip, argv + 1 + skip, env, &days);
		if (rc != 0)
			return rc;
	} else if (argc - skip != 2 || strcmp(argv[1 + skip], "status") != 0)
		return cli_usage_error(env, cli_db_usage, NULL);
	memset(&diags, 0, sizeof(diags));
	if (config_load(config_path, &cfg, &diags) != RW_OK) {
		cli_fail(env, diags.n > 0 ? diags.e[0].msg : "cannot load the "
		    "config");
		return CLI_EXIT_FAIL;
	}
	rw_err_clear(&err);
	rc = config_open_db(cfg, 0, &db, &err);
	config_db_where(cfg, where, sizeof(where));
	config_free(cfg);
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	rc = pruning ? prune(env, db, days) : status(env, db, where);
	db_close(db);
	return rc;
}
