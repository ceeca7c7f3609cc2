/*
 * pg.c - the PostgreSQL backend: the connection (and reconnecting it),
 * running statements, and libpq failures as RW_E* codes and one-line text.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* Seconds a (re)connect may take: verbs wait for it under the db lock. */
#define PG_CONNECT_TIMEOUT	"3"

/* Record MSG (trailing newlines cut, first line only) as the last failure. */
static int
pg_set(struct db_pg *pg, int code, const char *msg)
{
	size_t n;

	rw_strlcpy(pg->msg, msg != NULL && *msg != '\0' ? msg :
	    "unknown error", sizeof(pg->msg));
	n = strcspn(pg->msg, "\n");
	pg->msg[n] = '\0';
	pg->code = code;
	return DB_PG_FAIL;
}

/* A connection of the pool was lost (or could not be made). */
static void
pg_lost(struct db_pg *pg)
{
	atomic_fetch_add(pg->losses, 1);
}

/*
 * Whether PG's connection can run a statement: connected, and connected
 * after the last loss any connection of its pool saw (one that idled
 * through a restart would fail its next statement).
 */
static int
pg_usable(struct db_pg *pg)
{
	return pg->conn != NULL && PQstatus(pg->conn) == CONNECTION_OK &&
	    pg->losses_seen == atomic_load(pg->losses);
}

/* The RW_E* code for a failed result: lost connection and lock waits differ. */
static int
pg_code(PGconn *conn, const PGresult *res)
{
	const char *state;

	if (PQstatus(conn) != CONNECTION_OK)
		return RW_EDB;
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return RW_EDB;
	/* serialization_failure, deadlock_detected, lock_not_available */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return RW_EBUSY;
	if (strcmp(state, "53200") == 0)	/* out_of_memory */
		return RW_ENOMEM;
	return RW_EDB;
}

static int
pg_fail_res(struct db_pg *pg, const PGresult *res)
{
	const char *m;

	/* The primary message alone: "ERROR:  " and CONTEXT lines are noise. */
	m = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (m == NULL || *m == '\0')
		m = res != NULL ? PQresultErrorMessage(res) : NULL;
	if (m == NULL || *m == '\0')
		m = PQerrorMessage(pg->conn);
	if (PQstatus(pg->conn) != CONNECTION_OK)
		pg_lost(pg);
	return pg_set(pg, pg_code(pg->conn, res), m);
}

/*
 * The URL with any password replaced by "***", into OUT: a URL may carry
 * one, and this text reaches logs and error messages.
 */
void
db_url_redact(const char *url, char *out, size_t size)
{
	const char *p, *at, *colon, *slash;
	char *q, *end;

	rw_strlcpy(out, url, size);
	p = strstr(url, "://");
	if (p == NULL)
		return;
	p += 3;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	colon = at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon != NULL && (slash == NULL || at < slash))
		snprintf(out, size, "%.*s:***%s", (int)(colon - url), url, at);
	/* A password given as a query parameter too. */
	q = strstr(out, "password=");
	if (q == NULL)
		return;
	q += 9;
	end = q + strcspn(q, "&");
	if ((size_t)(q - out) + 3 + strlen(end) + 1 > size)
		return;
	memmove(q + 3, end, strlen(end) + 1);
	memcpy(q, "***", 3);
}

static int
pg_connect(struct db_pg *pg)
{
	const char *keys[4], *vals[4];
	int n = 0;

	keys[n] = "connect_timeout";
	vals[n++] = PG_CONNECT_TIMEOUT;
	keys[n] = "dbname";		/* expanded: the URL's own keys win */
	vals[n++] = pg->conninfo_url;
	if (pg->password != NULL) {
		keys[n] = "password";
		vals[n++] = pg->password;
	}
	keys[n] = NULL;
	vals[n] = NULL;
	if (pg->conn != NULL)
		PQfinish(pg->conn);
	/* Read before connecting: a loss seen meanwhile forces another. */
	pg->losses_seen = atomic_load(pg->losses);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (pg->conn == NULL)
		return pg_set(pg, RW_ENOMEM, "out of memory");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		pg_lost(pg);
		return pg_set(pg, RW_EDB, PQerrorMessage(pg->conn));
	}
	pg->gen++;
	/* Plain UTC integers and text: nothing locale-dependent reaches us. */
	return db_pg_exec_conn(pg, "SET client_min_messages = warning; "
	    "SET TIME ZONE 'UTC'");
}

int
db_pg_exec_conn(struct db_pg *pg, const char *sql)
{
	PGresult *res;
	int rc = RW_OK;

	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail_res(pg, res);
	else
		pg->changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return rc;
}

int
db_pg_open(struct db *db, const char *url, const char *password,
    struct rw_err *err)
{
	char shown[512];
	struct db_pg *pg;

	db_url_redact(url, shown, sizeof(shown));
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	db->pg = pg;
	pg->losses = &pg->losses_own;
	pg->conninfo_url = strdup(url);
	pg->password = password != NULL ? strdup(password) : NULL;
	if (pg->conninfo_url == NULL || (password != NULL &&
	    pg->password == NULL))
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (pg_connect(pg) != RW_OK)
		return rw_err_set(err, pg->code, "%s: %s", shown, pg->msg);
	return RW_OK;
}

void
db_pg_close(struct db *db)
{
	struct db_pg *pg = db->pg;

	if (pg == NULL)
		return;
	if (pg->conn != NULL)
		PQfinish(pg->conn);
	free(pg->conninfo_url);
	if (pg->password != NULL) {
		/* Not left behind in freed memory. */
		memset(pg->password, 0, strlen(pg->password));
		free(pg->password);
	}
	free(pg);
	db->pg = NULL;
}

int
db_pg_ready(struct db *db, struct rw_err *err)
{
	struct db_pg *pg = db->pg;

	if (pg_usable(pg))
		return RW_OK;
	/* Each verb tries once; a database that is down fails fast after. */
	if (pg_connect(pg) != RW_OK)
		return rw_err_set(err, RW_EDB, "postgresql: connection: %s",
		    pg->msg);
	return RW_OK;
}

int
db_pg_exec(struct db *db, const char *sql)
{
	return db_pg_exec_conn(db->pg, sql);
}

static int
pg_prepare(struct db_st *st)
{
	struct db_pg *pg = st->db->pg;
	char name[16];
	PGresult *res;
	int rc = RW_OK;

	if (st->prepared_gen == pg->gen)
		return RW_OK;
	snprintf(name, sizeof(name), "rw%d", (int)st->slot);
	res = PQprepare(pg->conn, name, st->pgsql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail_res(pg, res);
	else
		st->prepared_gen = pg->gen;
	PQclear(res);
	return rc;
}

/* Run ST with its parameters; its rows stay in st->res. */
static int
pg_run(struct db_st *st)
{
	struct db_pg *pg = st->db->pg;
	ExecStatusType s;
	char name[16];

	if (!pg_usable(pg) && pg_connect(pg) != RW_OK)
		return DB_PG_FAIL;
	if (pg_prepare(st) != RW_OK)
		return DB_PG_FAIL;
	snprintf(name, sizeof(name), "rw%d", (int)st->slot);
	st->res = PQexecPrepared(pg->conn, name, st->nparams, st->vals,
	    st->lens, st->fmts, 0);
	s = PQresultStatus(st->res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail_res(pg, st->res);
	pg->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
	return RW_OK;
}

int
db_pg_step(struct db_st *st)
{
	if (st->row < 0) {
		if (pg_run(st) != RW_OK)
			return DB_PG_FAIL;
	}
	st->row++;
	if (st->blob != NULL)
		PQfreemem(st->blob);
	st->blob = NULL;
	st->blobcol = -1;
	if (st->row < PQntuples(st->res))
		return DB_ROW;
	st->row = PQntuples(st->res);
	return DB_DONE;
}

void
db_pg_forget(struct db_st *st)
{
	struct db_pg *pg = st->db->pg;
	char sql[32];

	db_pg_reset(st);
	/* The name is taken again by the slot's next statement. */
	if (st->prepared_gen == pg->gen && pg->conn != NULL &&
	    PQstatus(pg->conn) == CONNECTION_OK) {
		snprintf(sql, sizeof(sql), "DEALLOCATE rw%d", (int)st->slot);
		db_pg_exec_conn(pg, sql);
	}
}

void
db_pg_reset(struct db_st *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	if (st->blob != NULL)
		PQfreemem(st->blob);
	st->blob = NULL;
	st->blobcol = -1;
	memset(st->vals, 0, sizeof(st->vals));
}

int
db_pg_copy_begin(struct db *db, const char *sql)
{
	struct db_pg *pg = db->pg;
	PGresult *res;
	int rc = RW_OK;

	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = pg_fail_res(pg, res);
	PQclear(res);
	return rc;
}

int
db_pg_copy_put(struct db *db, const char *data, size_t len)
{
	struct db_pg *pg = db->pg;

	if (len > INT32_MAX)
		return pg_set(pg, RW_ETOOBIG, "COPY data too big");
	if (PQputCopyData(pg->conn, data, (int)len) != 1)
		return pg_set(pg, RW_EDB, PQerrorMessage(pg->conn));
	return RW_OK;
}

int
db_pg_copy_end(struct db *db, const char *abort_why)
{
	struct db_pg *pg = db->pg;
	ExecStatusType s;
	PGresult *res;
	int rc = RW_OK;

	if (PQputCopyEnd(pg->conn, abort_why) != 1)
		rc = pg_set(pg, RW_EDB, PQerrorMessage(pg->conn));
	/* Every result read, so the next verb finds the connection idle. */
	while ((res = PQgetResult(pg->conn)) != NULL) {
		s = PQresultStatus(res);
		if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT) {
			/* Still inside COPY: only a new connection gets out. */
			PQclear(res);
			if (rc == RW_OK)
				rc = pg_set(pg, RW_EDB, "COPY did not end");
			PQfinish(pg->conn);
			pg->conn = NULL;
			return rc;
		}
		if (s != PGRES_COMMAND_OK && rc == RW_OK)
			rc = pg_fail_res(pg, res);
		else if (rc == RW_OK)
			pg->changes = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	return rc;
}
