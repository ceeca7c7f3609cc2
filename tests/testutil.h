/* testutil.h - helpers the unit tests share (cmocka; tests only). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RW_TESTUTIL_H
#define RW_TESTUTIL_H

#include <stddef.h>

#include "util/util.h"

/* The largest fixture a test reads whole. */
#define TU_FILE_MAX	((size_t)64 << 20)

/*
 * The whole regular file PATH, NUL-terminated (caller frees); its length in
 * *LEN (may be NULL).  Fails the running test, naming PATH, when it cannot
 * be read.
 */
char	*tu_slurp(const char *path, size_t *len);

/*
 * Hex text HEX (exactly 2 * N digits) into OUT's N bytes; fails the
 * running test when it is anything else.
 */
void	 tu_unhex(const char *hex, unsigned char *out, size_t n);

/*
 * The JSON document in file PATH, parsed (caller decrefs).  Fails the
 * running test, naming PATH and the line, when it is not JSON.
 */
struct json_t;
struct json_t *tu_load_json(const char *path);

/*
 * The diagnostics of D from index FROM on, one line each as rw_err_str
 * renders them, "" when there are none (caller frees).  Golden-file tests
 * compare it verbatim.
 */
char	*tu_render_diags(const struct rw_diags *d, size_t from);

/*
 * The db tests run twice: against SQLite, and with RW_TEST_PG_URL set (by
 * tests/db/pg_run.sh, which starts a PostgreSQL of its own) against that
 * database.  tu_pg_url is that URL or NULL.  tu_db_target returns what a
 * test should give db_open: with PostgreSQL, the URL of a database emptied
 * first (every table dropped, as a fresh file would be); else PATH.  A
 * test of something only one backend has calls tu_skip_unless_sqlite.
 */
const char *tu_pg_url(void);
const char *tu_db_target(const char *path);
void	 tu_skip_unless_sqlite(void);
/* Run SQL on the test PostgreSQL (fails the test on error). */
void	 tu_pg_exec(const char *sql);

#endif
