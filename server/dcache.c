/* dcache.c - decision cache with expiry, LRU bound and one flight per key. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/dcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS	4096

struct dentry {
	struct dentry	*hnext;		/* bucket chain */
	struct dentry	*prev, *next;	/* LRU, most recent first */
	uint32_t	 hash;
	uint64_t	 expires_ms;
	int		 kind, mode, line;
	char		 rule[64];
	char		 file[192];
	char		*message;	/* points into data[] */
	char		 data[];	/* key NUL message NUL */
};

struct flight {
	struct flight	*next;
	struct dc_waiter *waiters;
	char		 key[];
};

struct dcache {
	pthread_mutex_t	 mu;
	struct dentry	*buckets[NBUCKETS];
	struct dentry	*head, *tail;
	size_t		 n, max;
	struct flight	*flights;
	uint64_t	 hits, misses;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct dcache *
dcache_new(size_t max_entries)
{
	struct dcache *dc = calloc(1, sizeof(*dc));

	if (dc == NULL)
		return NULL;
	pthread_mutex_init(&dc->mu, NULL);
	dc->max = max_entries;
	return dc;
}

static void
unlink_entry(struct dcache *dc, struct dentry *e)
{
	struct dentry **pp = &dc->buckets[e->hash % NBUCKETS];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		dc->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		dc->tail = e->prev;
	dc->n--;
	free(e);
}

static struct dentry *
find(struct dcache *dc, const char *key, uint32_t h)
{
	struct dentry *e;

	for (e = dc->buckets[h % NBUCKETS]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->data, key) == 0)
			return e;
	return NULL;
}

static struct flight *
find_flight(struct dcache *dc, const char *key, struct flight ***prevp)
{
	struct flight **pp;

	for (pp = &dc->flights; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0) {
			if (prevp != NULL)
				*prevp = pp;
			return *pp;
		}
	return NULL;
}

static void
copy_out(const struct dentry *e, struct dverdict *out)
{
	out->kind = e->kind;
	out->mode = e->mode;
	out->line = e->line;
	rw_strlcpy(out->rule, e->rule, sizeof(out->rule));
	rw_strlcpy(out->file, e->file, sizeof(out->file));
	rw_strlcpy(out->message, e->message, sizeof(out->message));
}

int
dcache_lookup(struct dcache *dc, const char *key, uint64_t now_ms,
    struct dverdict *out, struct dc_waiter *w)
{
	uint32_t h = hash(key);
	struct dentry *e;
	struct flight *f;
	size_t n;
	int rc;

	pthread_mutex_lock(&dc->mu);
	e = find(dc, key, h);
	if (e != NULL && e->expires_ms > now_ms) {
		copy_out(e, out);
		dc->hits++;
		rc = DC_HIT;
		goto out;
	}
	if (e != NULL)
		unlink_entry(dc, e);	/* expired */
	dc->misses++;
	f = find_flight(dc, key, NULL);
	if (f != NULL) {
		w->flight = f;
		w->next = f->waiters;
		f->waiters = w;
		w->park(w->arg);
		rc = DC_WAIT;
		goto out;
	}
	n = strlen(key) + 1;
	f = malloc(sizeof(*f) + n);
	if (f != NULL) {
		memcpy(f->key, key, n);
		f->waiters = NULL;
		f->next = dc->flights;
		dc->flights = f;
	}
	/* Without memory for a flight the caller still decides, alone. */
	rc = DC_LEAD;
out:
	pthread_mutex_unlock(&dc->mu);
	return rc;
}

/* Wake and drop every waiter of KEY's flight, and the flight.  Locked. */
static void
land(struct dcache *dc, const char *key)
{
	struct flight *f, **pp;
	struct dc_waiter *w, *next;

	f = find_flight(dc, key, &pp);
	if (f == NULL)
		return;
	*pp = f->next;
	for (w = f->waiters; w != NULL; w = next) {
		next = w->next;
		w->flight = NULL;
		w->next = NULL;
		w->unpark(w->arg);
	}
	free(f);
}

void
dcache_complete(struct dcache *dc, const char *key, const struct dverdict *v,
    uint64_t expires_ms)
{
	size_t klen = strlen(key) + 1, mlen = strlen(v->message) + 1;
	uint32_t h = hash(key);
	struct dentry *e;

	pthread_mutex_lock(&dc->mu);
	e = find(dc, key, h);
	if (e != NULL)
		unlink_entry(dc, e);
	if (dc->max > 0 && v->kind != DV_ERROR &&
	    (e = malloc(sizeof(*e) + klen + mlen)) != NULL) {
		memcpy(e->data, key, klen);
		e->message = e->data + klen;
		memcpy(e->message, v->message, mlen);
		e->hash = h;
		e->expires_ms = expires_ms;
		e->kind = v->kind;
		e->mode = v->mode;
		e->line = v->line;
		rw_strlcpy(e->rule, v->rule, sizeof(e->rule));
		rw_strlcpy(e->file, v->file, sizeof(e->file));
		e->hnext = dc->buckets[h % NBUCKETS];
		dc->buckets[h % NBUCKETS] = e;
		e->prev = NULL;
		e->next = dc->head;
		if (dc->head != NULL)
			dc->head->prev = e;
		dc->head = e;
		if (dc->tail == NULL)
			dc->tail = e;
		if (++dc->n > dc->max)
			unlink_entry(dc, dc->tail);
	}
	land(dc, key);
	pthread_mutex_unlock(&dc->mu);
}

void
dcache_abandon(struct dcache *dc, const char *key)
{
	pthread_mutex_lock(&dc->mu);
	land(dc, key);
	pthread_mutex_unlock(&dc->mu);
}

void
dcache_forget(struct dcache *dc, struct dc_waiter *w)
{
	struct flight *f;
	struct dc_waiter **pp;

	pthread_mutex_lock(&dc->mu);
	f = w->flight;
	if (f != NULL) {
		for (pp = &f->waiters; *pp != NULL; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
		w->flight = NULL;
	}
	pthread_mutex_unlock(&dc->mu);
}

void
dcache_clear(struct dcache *dc)
{
	pthread_mutex_lock(&dc->mu);
	while (dc->head != NULL)
		unlink_entry(dc, dc->head);
	pthread_mutex_unlock(&dc->mu);
}

void
dcache_stats(struct dcache *dc, uint64_t *hits, uint64_t *misses,
    size_t *entries)
{
	pthread_mutex_lock(&dc->mu);
	*hits = dc->hits;
	*misses = dc->misses;
	*entries = dc->n;
	pthread_mutex_unlock(&dc->mu);
}

void
dcache_free(struct dcache *dc)
{
	struct flight *f;
	struct dc_waiter *w;

	if (dc == NULL)
		return;
	dcache_clear(dc);
	while ((f = dc->flights) != NULL) {
		dc->flights = f->next;
		for (w = f->waiters; w != NULL; w = w->next)
			w->flight = NULL;
		free(f);
	}
	pthread_mutex_destroy(&dc->mu);
	free(dc);
}
