/* db.c - opening and closing the store, whichever backend; transactions. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

int
db_is_url(const char *name)
{
	return name != NULL && (strncmp(name, "postgresql://", 13) == 0 ||
	    strncmp(name, "postgres://", 11) == 0);
}

const char *
db_backend(const struct db *db)
{
	return db->pg != NULL ? "postgresql" : "sqlite";
}

static int
tx_step(struct db *db, enum db_stmt_slot slot, const char *sql,
    const char *what, struct rw_err *err)
{
	struct db_st *st = NULL;
	int rc;

	rc = db_stmt(db, slot, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_step(st);
	db_stmt_done(st);
	if (rc != DB_DONE)
		return db_fail(db, rc, what, err);
	return RW_OK;
}

int
db_tx_begin(struct db *db, struct rw_err *err)
{
	if (db->pg != NULL)
		return db_exec(db, "BEGIN", "pq_exec BEGIN", err);
	/*
	 * IMMEDIATE takes the write lock up front: a deferred transaction that
	 * upgrades from read to write can fail with SQLITE_BUSY without the
	 * busy handler being consulted.
	 */
	return tx_step(db, DB_ST_BEGIN, "BEGIN IMMEDIATE", "sqlite3_step BEGIN",
	    err);
}

int
db_tx_commit(struct db *db, struct rw_err *err)
{
	int rc;

	if (db->pg != NULL) {
		rc = db_exec(db, "COMMIT", "pq_exec COMMIT", err);
		if (rc == RW_OK && db->pg->notified != 0)
			db_pg_changed(db, db->pg->notified);
		db->pg->notified = 0;
		return rc;
	}
	return tx_step(db, DB_ST_COMMIT, "COMMIT", "sqlite3_step COMMIT", err);
}

void
db_tx_rollback(struct db *db)
{
	if (db->pg != NULL) {
		db->pg->notified = 0;
		/* A broken connection has no transaction left to end. */
		if (PQstatus(db->pg->conn) == CONNECTION_OK &&
		    PQtransactionStatus(db->pg->conn) != PQTRANS_IDLE)
			db_pg_exec(db, "ROLLBACK");
		return;
	}
	if (sqlite3_get_autocommit(db->h))
		return;		/* SQLite already rolled back (e.g. on I/O error) */
	tx_step(db, DB_ST_ROLLBACK, "ROLLBACK", "sqlite3_step ROLLBACK", NULL);
}

static struct db *
db_new(struct rw_err *err)
{
	struct db *db;

	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&db->mu, NULL) != 0) {
		free(db);
		rw_err_set(err, RW_ENOMEM, "pthread_mutex_init failed");
		return NULL;
	}
	return db;
}

int
db_open_pg(const char *url, const char *password, struct db **out,
    struct rw_err *err)
{
	struct db *db;
	int ret;

	*out = NULL;
	if (!db_is_url(url))
		return rw_err_set(err, RW_EINVAL, "not a postgresql:// URL");
	db = db_new(err);
	if (db == NULL)
		return RW_ENOMEM;
	ret = db_pg_open(db, url, password, err);
	if (ret == RW_OK)
		ret = db_pg_migrate(db, err);
	if (ret == RW_OK)
		ret = db_pg_listen_start(db, err);
	if (ret != RW_OK) {
		db_close(db);
		return ret;
	}
	*out = db;
	return RW_OK;
}

int
db_open(const char *path, struct db **out, struct rw_err *err)
{
	struct rw_err e;
	struct db *db;
	int ret;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return rw_err_set(err, RW_EINVAL, "database path is empty");
	if (db_is_url(path))
		return db_open_pg(path, NULL, out, err);
	db = db_new(err);
	if (db == NULL)
		return RW_ENOMEM;
	ret = db_sqlite_open(db, path, err);
	if (ret == RW_OK) {
		rw_err_clear(&e);
		ret = db_migrate(db, &e);
		if (ret != RW_OK)
			rw_err_set(err, ret, "%s: %s", path, e.msg);
	}
	if (ret != RW_OK) {
		db_close(db);
		return ret;
	}
	*out = db;
	return RW_OK;
}

/* One connection: its statements, the connection, the struct. */
static void
close_conn(struct db *db)
{
	size_t i;

	for (i = 0; i < DB_ST_COUNT; i++)
		db_stmt_free(db->st[i]);
	if (db->pg != NULL)
		db_pg_close(db);
	else
		db_sqlite_close(db);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

void
db_close(struct db *db)
{
	struct db_pool *p;
	int i;

	if (db == NULL)
		return;
	if (db->pg != NULL)
		db_pg_listen_stop(db);
	p = db->pool;
	if (p != NULL) {
		for (i = 1; i < p->n; i++)
			close_conn(p->conn[i]);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
	}
	close_conn(db);
}

/* ------------------------------------------------------------- the pool */

struct db *
db_lock(struct db *db)
{
	struct db_pool *p = db->pool;
	struct db *c;
	int i;

	if (p == NULL) {
		pthread_mutex_lock(&db->mu);
		return db;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* The lowest free: idle connections beyond need stay unused. */
		for (i = 0; i < p->n && p->busy[i]; i++)
			;
		if (i < p->n)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	p->busy[i] = 1;
	c = p->conn[i];
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_lock(&c->mu);	/* never waits: it was free */
	return c;
}

void
db_unlock(struct db *conn)
{
	struct db_pool *p = conn->home;

	pthread_mutex_unlock(&conn->mu);
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->busy[conn->slot] = 0;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Another connection to DB's database, not connected until first used. */
static struct db *
new_member(struct db *db, int slot, struct rw_err *err)
{
	struct db *m;

	m = db_new(err);
	if (m == NULL)
		return NULL;
	m->pg = calloc(1, sizeof(*m->pg));
	if (m->pg == NULL)
		goto nomem;
	m->pg->conninfo_url = strdup(db->pg->conninfo_url);
	if (m->pg->conninfo_url == NULL)
		goto nomem;
	if (db->pg->password != NULL) {
		m->pg->password = strdup(db->pg->password);
		if (m->pg->password == NULL)
			goto nomem;
	}
	m->pg->listen = db->pg->listen;		/* shared, owned by DB */
	m->pg->losses = db->pg->losses;		/* shared, owned by DB */
	m->pg->losses_seen = atomic_load(m->pg->losses);
	m->home = db->pool;
	m->slot = slot;
	return m;
nomem:
	close_conn(m);
	rw_err_set(err, RW_ENOMEM, "out of memory");
	return NULL;
}

int
db_set_connections(struct db *db, int n, struct rw_err *err)
{
	struct db_pool *p;
	int i;

	if (n < 1 || n > DB_CONNECTIONS_MAX)
		return rw_err_set(err, RW_EINVAL, "database.connections: %d is "
		    "out of range (1 to %d)", n, DB_CONNECTIONS_MAX);
	if (db->pg == NULL || n == 1 || db->pool != NULL)
		return RW_OK;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->conn[0] = db;
	p->n = 1;
	db->pool = db->home = p;
	db->slot = 0;
	for (i = 1; i < n; i++) {
		p->conn[i] = new_member(db, i, err);
		if (p->conn[i] == NULL)
			break;
		p->n++;
	}
	/* Fewer connections than asked is an error, and then none is kept. */
	if (p->n < n) {
		for (i = 1; i < p->n; i++)
			close_conn(p->conn[i]);
		db->pool = db->home = NULL;
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return RW_ENOMEM;
	}
	return RW_OK;
}
