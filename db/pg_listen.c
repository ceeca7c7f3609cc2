/*
 * pg_listen.c - per-process caches of what every pull reads (the scans
 * revision, pins) for the PostgreSQL backend, kept right by LISTEN/NOTIFY.
 *
 * Every write that changes scans, exceptions or pins sends NOTIFY regwarden
 * in its transaction (so at commit).  A thread of each struct db listens on
 * a connection of its own and, for each notification, moves the matching
 * generation; a cached value taken under an older generation is not used.
 * While the listener is not connected (PostgreSQL restarting, a network
 * cut) the caches are off and every read goes to the database; when it
 * connects again both generations move, so nothing cached before the gap
 * is trusted after it.  Local writes move the generations too, at once.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "db/internal.h"

#define LISTEN_RETRY_MS	500

static void	snap_free(struct db_pin_snap *sn);

static void
bump_all(struct db_pg_listen *l)
{
	atomic_fetch_add(&l->scans_gen, 1);
	atomic_fetch_add(&l->pins_gen, 1);
}

void
db_pg_changed(struct db *db, int what)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;

	if (l == NULL)
		return;
	if (what & DB_CHANGED_SCANS)
		atomic_fetch_add(&l->scans_gen, 1);
	if (what & DB_CHANGED_PINS)
		atomic_fetch_add(&l->pins_gen, 1);
}

int
db_pg_notify(struct db *db, int what)
{
	if (db->pg == NULL)
		return RW_OK;
	db_pg_changed(db, what);
	/*
	 * Inside a transaction, what another connection of this process reads
	 * before the commit is still the old value, and it may cache it under
	 * the generation just moved: db_tx_commit moves it again.
	 */
	if (db->pg->conn != NULL &&
	    PQtransactionStatus(db->pg->conn) == PQTRANS_INTRANS)
		db->pg->notified |= what;
	return db_pg_exec(db, (what & DB_CHANGED_PINS) ?
	    "SELECT pg_notify('regwarden', 'pins')" :
	    "SELECT pg_notify('regwarden', 'scans')");
}

/* Connect and LISTEN; 1 when listening. */
static int
listen_connect(struct db_pg_listen *l, struct db_pg *pg)
{
	const char *keys[4] = { "connect_timeout", "dbname", NULL, NULL };
	const char *vals[4] = { "3", pg->conninfo_url, NULL, NULL };
	PGresult *res;
	int ok;

	if (pg->password != NULL) {
		keys[2] = "password";
		vals[2] = pg->password;
	}
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = PQconnectdbParams(keys, vals, 1);
	if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK)
		return 0;
	res = PQexec(l->conn, "LISTEN regwarden");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok;
}

/* Read what arrived; 0 when the connection broke. */
static int
listen_drain(struct db_pg_listen *l)
{
	PGnotify *n;

	if (!PQconsumeInput(l->conn))
		return 0;
	while ((n = PQnotifies(l->conn)) != NULL) {
		if (strcmp(n->extra, "pins") == 0)
			atomic_fetch_add(&l->pins_gen, 1);
		else
			atomic_fetch_add(&l->scans_gen, 1);
		PQfreemem(n);
	}
	return PQstatus(l->conn) == CONNECTION_OK;
}

static void *
listen_main(void *arg)
{
	struct db *db = arg;
	struct db_pg_listen *l = db->pg->listen;
	struct pollfd pfd[2];
	uint64_t v;
	ssize_t r;

	while (!atomic_load(&l->stop)) {
		if (!atomic_load(&l->up)) {
			if (listen_connect(l, db->pg)) {
				bump_all(l);	/* what changed in the gap */
				atomic_store(&l->up, 1);
			} else {
				pfd[0].fd = l->wake;
				pfd[0].events = POLLIN;
				poll(pfd, 1, LISTEN_RETRY_MS);
				continue;
			}
		}
		pfd[0].fd = l->wake;
		pfd[0].events = POLLIN;
		pfd[1].fd = PQsocket(l->conn);
		pfd[1].events = POLLIN;
		poll(pfd, 2, 1000);
		if (pfd[0].revents & POLLIN) {
			r = read(l->wake, &v, sizeof(v));
			(void)r;
		}
		if (!listen_drain(l)) {
			atomic_store(&l->up, 0);
			bump_all(l);
			/* The statements' connections idle through it too. */
			atomic_fetch_add(db->pg->losses, 1);
		}
	}
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	return NULL;
}

int
db_pg_listen_start(struct db *db, struct rw_err *err)
{
	struct db_pg_listen *l;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake < 0) {
		free(l);
		return rw_err_set(err, RW_EDB, "eventfd failed");
	}
	pthread_mutex_init(&l->cache_mu, NULL);
	db->pg->listen = l;
	if (pthread_create(&l->thr, NULL, listen_main, db) != 0) {
		close(l->wake);
		pthread_mutex_destroy(&l->cache_mu);
		free(l);
		db->pg->listen = NULL;
		return rw_err_set(err, RW_EDB, "cannot start the listener");
	}
	return RW_OK;
}

void
db_pg_listen_stop(struct db *db)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;
	uint64_t one = 1;
	ssize_t r;

	if (l == NULL)
		return;
	atomic_store(&l->stop, 1);
	r = write(l->wake, &one, sizeof(one));
	(void)r;
	pthread_join(l->thr, NULL);
	snap_free(&l->snap);
	close(l->wake);
	pthread_mutex_destroy(&l->cache_mu);
	free(l);
	db->pg->listen = NULL;
}

/* ------------------------------------------------------------- caches */

int
db_pg_scans_rev_cached(struct db *db, char out[64])
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;

	int hit;

	if (l == NULL || !atomic_load(&l->up))
		return 0;
	pthread_mutex_lock(&l->cache_mu);
	hit = l->rev_gen != 0 && l->rev_gen == atomic_load(&l->scans_gen) + 1;
	if (hit)
		memcpy(out, l->rev, 64);
	pthread_mutex_unlock(&l->cache_mu);
	return hit;
}

unsigned long
db_pg_scans_gen(struct db *db)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;

	/* +1 so that 0 means "nothing cached". */
	return l != NULL && atomic_load(&l->up) ?
	    atomic_load(&l->scans_gen) + 1 : 0;
}

void
db_pg_scans_rev_store(struct db *db, unsigned long gen, const char out[64])
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;

	if (l == NULL || gen == 0)
		return;
	pthread_mutex_lock(&l->cache_mu);
	memcpy(l->rev, out, 64);
	l->rev_gen = gen;
	pthread_mutex_unlock(&l->cache_mu);
}

/* The slot of (HOST, REPO, TAG) in the pin cache. */
static struct db_pin_slot *
pin_slot(struct db_pg_listen *l, const char *const key[3])
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;
	int i;

	for (i = 0; i < 3; i++) {
		for (p = key[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '|') * 1099511628211ULL;
	}
	return &l->pins[h % DB_PIN_SLOTS];
}

static void
pin_key(const char *const key[3], char *out, size_t size)
{
	snprintf(out, size, "%s|%s|%s", key[0], key[1], key[2]);
}

/* Order "host\0repo\0tag\0..." rows by host, then repo, then tag. */
static int
row_cmp3(const char *a, const char *b)
{
	int i, c;

	for (i = 0; i < 3; i++) {
		c = strcmp(a, b);
		if (c != 0)
			return c;
		a += strlen(a) + 1;
		b += strlen(b) + 1;
	}
	return 0;
}

static int
row_qcmp(const void *a, const void *b)
{
	return row_cmp3(*(char *const *)a, *(char *const *)b);
}

/* KEY in the current snapshot: RW_OK, RW_ENOTFOUND or -1 (too long). */
static int
snap_find(const struct db_pin_snap *sn, const char *const key[3],
    char *digest, size_t size)
{
	size_t lo = 0, hi = sn->n, mid, i;
	const char *r, *d;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = sn->rows[mid];
		c = 0;
		for (i = 0; i < 3 && c == 0; i++) {
			c = strcmp(key[i], r);
			r += strlen(r) + 1;
		}
		if (c == 0) {
			d = r;
			return rw_strlcpy(digest, d, size) < size ? RW_OK : -1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return RW_ENOTFOUND;
}

static void
snap_free(struct db_pin_snap *sn)
{
	size_t i;

	for (i = 0; i < sn->n; i++)
		free(sn->rows[i]);
	free(sn->rows);
	memset(sn, 0, sizeof(*sn));
}

int
db_pg_pin_snap_wanted(struct db *db, unsigned long gen)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;
	int want;

	if (l == NULL || gen == 0)
		return 0;
	pthread_mutex_lock(&l->cache_mu);
	want = l->snap.gen != gen;
	pthread_mutex_unlock(&l->cache_mu);
	return want;
}

void
db_pg_pin_snap_store(struct db *db, unsigned long gen, char **rows,
    size_t n, int over)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;
	struct db_pin_snap fresh = { gen, over, n, rows }, tmp;

	if (over) {
		snap_free(&fresh);	/* only the mark is kept */
		fresh.gen = gen;
		fresh.over = 1;
	} else if (rows != NULL) {
		qsort(rows, n, sizeof(*rows), row_qcmp);
	}
	if (l != NULL && gen != 0) {
		pthread_mutex_lock(&l->cache_mu);
		/* Two readers raced: never put an older one over a newer. */
		if (gen >= l->snap.gen) {
			tmp = l->snap;
			l->snap = fresh;
			fresh = tmp;
		}
		pthread_mutex_unlock(&l->cache_mu);
	}
	snap_free(&fresh);	/* the one replaced, or this one unused */
}

int
db_pg_pin_cached(struct db *db, const char *const key[3], char *digest,
    size_t size)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;
	struct db_pin_slot *s;
	char k[sizeof(s->key)];
	int rc = -1;

	if (l == NULL || !atomic_load(&l->up))
		return -1;
	s = pin_slot(l, key);
	pin_key(key, k, sizeof(k));
	pthread_mutex_lock(&l->cache_mu);
	if (l->snap.gen == atomic_load(&l->pins_gen) + 1 && !l->snap.over)
		rc = snap_find(&l->snap, key, digest, size);
	else if (s->gen == atomic_load(&l->pins_gen) + 1 &&
	    strcmp(s->key, k) == 0) {
		if (s->digest[0] == '\0')
			rc = RW_ENOTFOUND;
		else if (rw_strlcpy(digest, s->digest, size) < size)
			rc = RW_OK;
	}
	pthread_mutex_unlock(&l->cache_mu);
	return rc;
}

unsigned long
db_pg_pins_gen(struct db *db)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;

	return l != NULL && atomic_load(&l->up) ?
	    atomic_load(&l->pins_gen) + 1 : 0;
}

void
db_pg_pin_store(struct db *db, unsigned long gen, const char *const key[3],
    const char *digest)
{
	struct db_pg_listen *l = db->pg != NULL ? db->pg->listen : NULL;
	struct db_pin_slot *s;

	if (l == NULL || gen == 0)
		return;
	s = pin_slot(l, key);
	pthread_mutex_lock(&l->cache_mu);
	pin_key(key, s->key, sizeof(s->key));
	if (strlen(s->key) + 1 >= sizeof(s->key))
		s->gen = 0;	/* too long to cache: never matches */
	else {
		rw_strlcpy(s->digest, digest != NULL ? digest : "",
		    sizeof(s->digest));
		s->gen = gen;
	}
	pthread_mutex_unlock(&l->cache_mu);
}
