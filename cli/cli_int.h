/*
 * cli_int.h - what the files of the admin CLI share (cli.c, cli_scans.c):
 * error and usage output, aligned tables, JSON lines, opening the store.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not for use outside the CLI.  Single-threaded, like the commands.
 */
#ifndef RW_CLI_INT_H
#define RW_CLI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "db/db.h"
#include "cli/cli.h"

#define CLI_EXIT_FAIL	1
#define CLI_EXIT_USAGE	2
#define CLI_TABLE_MAXCOLS	9

/** Usage texts of `scans` and `exceptions` (cli_scans.c). */
extern const char cli_scans_usage[];
extern const char cli_exceptions_usage[];
/** Usage texts of `pins`, `audit` (cli.c) and `verify-bundle` (cli_bundle.c). */
extern const char cli_pins_usage[];
extern const char cli_audit_usage[];
extern const char cli_bundle_usage[];
/** Usage text of `db` (cli_db.c). */
extern const char cli_db_usage[];

/** "regwarden: MSG" on the error stream. */
void	 cli_fail(const struct cli_env *env, const char *msg);

/** cli_fail(MSG) unless MSG is NULL, then USAGE; returns CLI_EXIT_USAGE. */
int	 cli_usage_error(const struct cli_env *env, const char *usage,
	    const char *msg);

/** STATUS, or CLI_EXIT_FAIL (with a message) when output could not be written. */
int	 cli_finish(const struct cli_env *env, int status);

/** T as "2023-11-14T22:13:20Z" (UTC), or "-" if it cannot be shown. */
void	 cli_rfc3339(int64_t t, char buf[32]);

/* Rows of cells, printed once every width is known. */
struct cli_table {
	size_t	 ncols;		/* set before the first cli_table_add */
	size_t	 nrows;
	size_t	 alloc;		/* rows */
	char	**cells;
	size_t	 width[CLI_TABLE_MAXCOLS];
};

void	 cli_table_free(struct cli_table *t);
/**
 * Copy ROW (T->ncols cells; NULL or "" shows as "-", control characters as
 * '?') into T.  Returns RW_OK or RW_ENOMEM.
 */
int	 cli_table_add(struct cli_table *t, const char *const *row);
/** Print T, columns padded to their widest cell, two spaces apart. */
void	 cli_table_print(const struct cli_table *t, FILE *fp);
/**
 * The end of a listing into T (its header row first): RC is how filling it
 * went, N the rows found.  Unless JSON (rows went out as they came), prints
 * T, or "no WHAT" when N is 0.  Frees T.  Returns 0, or CLI_EXIT_FAIL after
 * reporting ERR (or RC's text).
 */
int	 cli_table_end(struct cli_table *t, int rc, size_t n, int json,
	    const char *what, const struct rw_err *err,
	    const struct cli_env *env);

/** A new JSON string; bytes that are not UTF-8 become '?'.  NULL: no memory. */
json_t	*cli_jstr(const char *s);
/** Print O as one line and release it; RW_ENOMEM unless OK and it printed. */
int	 cli_print_json(FILE *fp, json_t *o, int ok);

/**
 * Open <STATE_DIR>/regwarden.db into *DB.  Returns 0, or CLI_EXIT_FAIL with
 * the reason printed.
 */
int	 cli_open_db(const char *state_dir, const struct cli_env *env,
	    struct db **db);

/**
 * The value of option ARGV[*I] named NAME ("--x v", advancing *I, or
 * "--x=v"), or NULL when ARGV[*I] is not that option or has no value.
 */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name);

#endif /* RW_CLI_INT_H */
