/* testutil.c - helpers the unit tests share. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "tests/testutil.h"

char *
tu_slurp(const char *path, size_t *len)
{
	struct rw_err err;
	char *s = NULL;

	rw_err_clear(&err);
	if (rw_read_file(path, TU_FILE_MAX, 0, &s, len, &err) != RW_OK)
		fail_msg("cannot read a test file: %s", err.msg);
	return s;
}

void
tu_unhex(const char *hex, unsigned char *out, size_t n)
{
	unsigned int b;
	size_t i;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (unsigned char)b;
	}
}

struct json_t *
tu_load_json(const char *path)
{
	json_error_t je;
	size_t len;
	char *text = tu_slurp(path, &len);
	json_t *j = json_loadb(text, len, 0, &je);

	free(text);
	if (j == NULL)
		fail_msg("%s:%d: %s", path, je.line, je.text);
	return j;
}

char *
tu_render_diags(const struct rw_diags *d, size_t from)
{
	struct rw_buf b;
	char line[512];
	size_t i;

	rw_buf_init(&b, 1 << 20);
	assert_int_equal(rw_buf_add(&b, "", 0), RW_OK);
	for (i = from; i < d->n; i++)
		assert_int_equal(rw_buf_addf(&b, "%s\n",
		    rw_err_str(&d->e[i], line, sizeof(line))), RW_OK);
	return rw_buf_steal(&b, NULL);
}

const char *
tu_pg_url(void)
{
	const char *u = getenv("RW_TEST_PG_URL");

	return u != NULL && *u != '\0' ? u : NULL;
}

void
tu_pg_exec(const char *sql)
{
	PGresult *res;
	PGconn *c;

	c = PQconnectdb(tu_pg_url());
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("test postgresql: %s", PQerrorMessage(c));
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("test postgresql: %s: %s", sql,
		    PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
}

const char *
tu_db_target(const char *path)
{
	if (tu_pg_url() == NULL)
		return path;
	tu_pg_exec("SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
	return tu_pg_url();
}

void
tu_skip_unless_sqlite(void)
{
	if (tu_pg_url() != NULL)
		skip();
}
