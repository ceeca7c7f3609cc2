/* pin.c - pinned tags: a tag must resolve to the digest recorded here. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static const char *const sources[] = { "cli", "policy", "first-pull" };

static int
check_args(const char *verb, const char *host, const char *repo,
    const char *tag, const char *digest, const char *by, const char *source,
    struct rw_err *err)
{
	size_t i;

	if (host == NULL || repo == NULL || tag == NULL || digest == NULL ||
	    by == NULL || source == NULL)
		return rw_err_set(err, RW_EINVAL, "%s: missing argument", verb);
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (strcmp(source, sources[i]) == 0)
			return RW_OK;
	}
	return rw_err_set(err, RW_EINVAL, "%s: unknown source \"%s\"", verb,
	    source);
}

/* The pinned digest into DIGEST; the caller holds the lock. */
static int
lookup(struct db *db, const char *const key[3], char *digest, size_t size,
    struct rw_err *err)
{
	static const char sql[] = "SELECT digest FROM pins "
	    "WHERE host = ?1 AND repo = ?2 AND tag = ?3";
	struct db_st *st;
	const char *d;
	int rc;

	rc = db_stmt(db, DB_ST_PIN_GET, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, key, 3, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW) {
		d = db_col_text(st, 0);
		rc = RW_OK;
		if (d == NULL || rw_strlcpy(digest, d, size) >= size)
			rc = rw_err_set(err, RW_ETOOBIG, "pinned digest does "
			    "not fit in %zu bytes", size);
	} else if (rc == DB_DONE) {
		rc = RW_ENOTFOUND;
	} else {
		rc = db_fail(db, rc, "sqlite3_step", err);
	}
out:
	db_stmt_done(st);
	return rc;
}

/*
 * Drop cached decisions for REPO pulled by TAG: they were taken under the
 * old pin.  Any upstream, since pins are keyed by host; a needless drop only
 * costs one evaluation.
 */
static int
forget_decisions(struct db *db, const char *repo, const char *tag,
    struct rw_err *err)
{
	static const char sql[] = "DELETE FROM decisions "
	    "WHERE repo = ?1 AND ref = ?2";
	const char *args[] = { repo, tag };
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_PIN_FORGET, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, args, 2, err);
	if (rc != RW_OK) {
		db_stmt_done(st);
		return rc;
	}
	return db_step_done(db, st, err);
}

/* INSERT (OR IGNORE, or upserting) the pin; the caller holds the lock. */
static int
write_pin(struct db *db, enum db_stmt_slot slot, const char *sql,
    const char *const row[6], int64_t now, struct rw_err *err)
{
	struct db_st *st;
	int rc;

	rc = db_stmt(db, slot, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, row, 6, err);
	if (rc == RW_OK && db_bind_int64(st, 7, now) != RW_OK)
		rc = db_bind_fail(db, err);
	if (rc != RW_OK) {
		db_stmt_done(st);
		return rc;
	}
	return db_step_done(db, st, err);
}

int
db_pin_set(struct db *db, const char *host, const char *repo,
    const char *tag, const char *digest, const char *by, const char *source,
    int64_t now, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO pins(host, repo, tag, digest, "
	    "pinned_by, source, pinned_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT(host, repo, tag) DO UPDATE SET digest = excluded.digest, "
	    "pinned_by = excluded.pinned_by, source = excluded.source, "
	    "pinned_at = excluded.pinned_at";
	const char *row[] = { host, repo, tag, digest, by, source };
	char old[RW_DIGEST_MAX];
	int rc, changed;

	rc = check_args("db_pin_set", host, repo, tag, digest, by, source, err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	rc = lookup(db, row, old, sizeof(old), err);
	changed = rc == RW_ENOTFOUND || (rc == RW_OK && strcmp(old, digest) != 0);
	if (rc == RW_OK || rc == RW_ENOTFOUND)
		rc = write_pin(db, DB_ST_PIN_SET, sql, row, now, err);
	if (rc == RW_OK && changed)
		rc = forget_decisions(db, repo, tag, err);
	if (rc == RW_OK && db_pg_notify(db, DB_CHANGED_PINS) != RW_OK)
		rc = db_fail(db, DB_PG_FAIL, "pg_notify", err);
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	return rc;
}

int
db_pin_set_if_absent(struct db *db, const char *host, const char *repo,
    const char *tag, const char *digest, const char *by, const char *source,
    int64_t now, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO pins(host, repo, tag, "
	    "digest, pinned_by, source, pinned_at) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
	const char *row[] = { host, repo, tag, digest, by, source };
	int rc;

	rc = check_args("db_pin_set_if_absent", host, repo, tag, digest, by,
	    source, err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	rc = write_pin(db, DB_ST_PIN_ADD, sql, row, now, err);
	if (rc == RW_OK)
		rc = db_changes(db) > 0;
	/* After the insert committed: a lost notification costs a lookup. */
	if (rc == 1)
		db_pg_notify(db, DB_CHANGED_PINS);
	/*
	 * Someone pinned it first, perhaps another replica whose notification
	 * is still on its way: what this process cached about the tag is old.
	 */
	if (rc == 0)
		db_pg_changed(db, DB_CHANGED_PINS);
	db_unlock(db);
	return rc;
}

/* One "host\0repo\0tag\0digest\0" row of every pin; NULL out of memory. */
static char *
snap_row(struct db_st *st)
{
	const char *v[4];
	size_t len[4], n = 0, i;
	char *row;

	for (i = 0; i < 4; i++) {
		v[i] = db_col_text(st, (int)i);
		if (v[i] == NULL)
			v[i] = "";
		len[i] = strlen(v[i]) + 1;
		n += len[i];
	}
	row = malloc(n);
	if (row == NULL)
		return NULL;
	for (n = 0, i = 0; i < 4; i++) {
		memcpy(row + n, v[i], len[i]);
		n += len[i];
	}
	return row;
}

/*
 * PostgreSQL: read every pin in one query and keep them under GEN
 * (db_pg_pin_snap_store); the caller holds the lock.  One more than
 * DB_PIN_SNAP_MAX is asked for, to know when there are too many.
 */
static int
load_all(struct db *db, unsigned long gen, struct rw_err *err)
{
	static const char sql[] = "SELECT host, repo, tag, digest FROM pins "
	    "LIMIT 4097";
	struct db_st *st;
	char **rows = NULL, **grown;
	size_t n = 0, cap = 0;
	int rc, over = 0;

	_Static_assert(DB_PIN_SNAP_MAX == 4096, "LIMIT above is one more");
	rc = db_stmt(db, DB_ST_PIN_ALL, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		over = n == DB_PIN_SNAP_MAX;
		if (over)
			break;		/* the caller looks the tag up */
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			grown = realloc(rows, cap * sizeof(*rows));
			if (grown == NULL)
				break;
			rows = grown;
		}
		rows[n] = snap_row(st);
		if (rows[n] == NULL)
			break;
		n++;
	}
	if (rc == DB_DONE || over)
		rc = RW_OK;
	else if (rc == DB_ROW)
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
	db_stmt_done(st);
	/* On an error nothing is kept (generation 0): the rows are freed. */
	db_pg_pin_snap_store(db, rc == RW_OK ? gen : 0, rows, n, over);
	return rc;
}

int
db_pin_get(struct db *db, const char *host, const char *repo,
    const char *tag, char *digest, size_t size, struct rw_err *err)
{
	const char *key[] = { host, repo, tag };
	unsigned long gen;
	int rc;

	if (host == NULL || repo == NULL || digest == NULL || tag == NULL)
		return rw_err_set(err, RW_EINVAL, "db_pin_get: missing argument");
	/* PostgreSQL: from memory while no notification says pins moved. */
	rc = db_pg_pin_cached(db, key, digest, size);
	if (rc == RW_OK || rc == RW_ENOTFOUND)
		return rc;
	db = db_lock(db);
	gen = db_pg_pins_gen(db);
	/*
	 * Pins changed since every pin was last read (or never were): read
	 * them all, so that the tags not pinned are known too.
	 */
	if (db_pg_pin_snap_wanted(db, gen)) {
		rc = load_all(db, gen, err);
		if (rc != RW_OK)
			goto out;
		/* -1: too many pins, or they moved meanwhile. */
		rc = db_pg_pin_cached(db, key, digest, size);
		if (rc == RW_OK || rc == RW_ENOTFOUND)
			goto out;
	}
	rc = lookup(db, key, digest, size, err);
	if (rc == RW_OK || rc == RW_ENOTFOUND)
		db_pg_pin_store(db, gen, key, rc == RW_OK ? digest : NULL);
out:
	db_unlock(db);
	return rc;
}

int
db_pin_rm(struct db *db, const char *host, const char *repo,
    const char *tag, struct rw_err *err)
{
	static const char sql[] = "DELETE FROM pins "
	    "WHERE host = ?1 AND repo = ?2 AND tag = ?3";
	const char *key[] = { host, repo, tag };
	struct db_st *st;
	int rc;

	if (host == NULL || repo == NULL || tag == NULL)
		return rw_err_set(err, RW_EINVAL, "db_pin_rm: missing argument");
	db = db_lock(db);
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	rc = db_stmt(db, DB_ST_PIN_RM, sql, &st, err);
	if (rc == RW_OK) {
		rc = db_bind_texts(db, st, 1, key, 3, err);
		if (rc == RW_OK)
			rc = db_step_done(db, st, err);
		else
			db_stmt_done(st);
	}
	if (rc == RW_OK && db_changes(db) == 0)
		rc = RW_ENOTFOUND;
	if (rc == RW_OK)
		rc = forget_decisions(db, repo, tag, err);
	if (rc == RW_OK && db_pg_notify(db, DB_CHANGED_PINS) != RW_OK)
		rc = db_fail(db, DB_PG_FAIL, "pg_notify", err);
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	return rc;
}

/* Every pin, copied out so the callbacks run without the lock. */
struct pin_list {
	struct db_pin	*pins;
	char		**mem;
	size_t		 n;
	size_t		 alloc;
};

static void
pin_list_free(struct pin_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->mem[i]);
	free(l->pins);
	free(l->mem);
}

static int
pin_list_add(struct pin_list *l, struct db_st *st, struct rw_err *err)
{
	static const int cols[] = { 0, 1, 2, 3, 4, 5 };
	const char *s[6];
	struct db_pin *np;
	char **nm;
	size_t na;

	if (l->n == l->alloc) {
		na = l->alloc > 0 ? l->alloc * 2 : 16;
		np = realloc(l->pins, na * sizeof(*np));
		if (np != NULL)
			l->pins = np;
		nm = np != NULL ? realloc(l->mem, na * sizeof(*nm)) : NULL;
		if (nm == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		l->mem = nm;
		l->alloc = na;
	}
	l->mem[l->n] = db_copy_texts(st, cols, 6, s);
	if (l->mem[l->n] == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	l->pins[l->n] = (struct db_pin){ .host = s[0], .repo = s[1],
	    .tag = s[2], .digest = s[3], .pinned_by = s[4], .source = s[5],
	    .pinned_at = db_col_int64(st, 6) };
	l->n++;
	return RW_OK;
}

static int
read_pins(struct db *db, struct pin_list *l, struct rw_err *err)
{
	static const char sql[] = "SELECT host, repo, tag, digest, pinned_by, "
	    "source, pinned_at FROM pins ORDER BY host, repo, tag";
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_PIN_LIST, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		rc = pin_list_add(l, st, err);
		if (rc != RW_OK)
			goto out;
	}
	rc = db_step_rc(db, rc, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

int
db_pin_list(struct db *db, db_pin_cb cb, void *arg, struct rw_err *err)
{
	struct pin_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = read_pins(db, &l, err);
	for (i = 0; rc == RW_OK && i < l.n; i++)
		rc = cb(&l.pins[i], arg);
	pin_list_free(&l);
	return rc;
}
