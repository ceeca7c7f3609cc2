/* auth_limit.c - failed logins counted per client, to slow guessing. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

/* Clients tracked at once; an evicted one starts its count again. */
#define LIMIT_SLOTS	1024

struct limit_slot {
	uint64_t	 key;		/* keyed hash of the client; 0: free */
	uint64_t	 start_ms;	/* when its window began */
	unsigned	 failures;	/* in that window */
};

struct auth_limiter {
	pthread_mutex_t	 mu;
	unsigned	 max;		/* failures allowed per window */
	uint64_t	 window_ms;
	unsigned char	 salt[16];	/* so no one can aim at a slot */
	struct limit_slot slot[LIMIT_SLOTS];
};

struct auth_limiter *
auth_limiter_new(unsigned max_failures, unsigned window_seconds)
{
	struct auth_limiter *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (RAND_bytes(l->salt, sizeof(l->salt)) != 1 ||
	    pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l);
		return NULL;
	}
	l->max = max_failures;
	l->window_ms = (uint64_t)window_seconds * 1000u;
	return l;
}

void
auth_limiter_free(struct auth_limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* The keyed hash of CLIENT (never 0), or 0 when hashing failed. */
static uint64_t
client_key(const struct auth_limiter *l, const char *client)
{
	unsigned char h[32];
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint64_t k = 0;
	int ok;

	ok = m != NULL && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(m, l->salt, sizeof(l->salt)) == 1 &&
	    EVP_DigestUpdate(m, client, strlen(client)) == 1 &&
	    EVP_DigestFinal_ex(m, h, NULL) == 1;
	EVP_MD_CTX_free(m);
	if (ok)
		memcpy(&k, h, sizeof(k));
	return k != 0 ? k : (ok ? 1 : 0);
}

/*
 * The slot of the client with KEY (under MU), taken over from another
 * client or restarted when its window is over.
 */
static struct limit_slot *
slot_of(struct auth_limiter *l, uint64_t key, uint64_t now_ms)
{
	struct limit_slot *s = &l->slot[key % LIMIT_SLOTS];

	if (s->key != key || now_ms - s->start_ms >= l->window_ms) {
		s->key = key;
		s->start_ms = now_ms;
		s->failures = 0;
	}
	return s;
}

unsigned
auth_limiter_wait(struct auth_limiter *l, const char *client,
    uint64_t now_ms)
{
	struct limit_slot *s;
	uint64_t key, left;
	unsigned wait = 0;

	if (l == NULL || l->max == 0)
		return 0;
	/* Hashing failed (out of memory): refuse, as a failed check would. */
	if ((key = client_key(l, client)) == 0)
		return 1;
	/* Only look: a client that never failed claims no slot. */
	pthread_mutex_lock(&l->mu);
	s = &l->slot[key % LIMIT_SLOTS];
	if (s->key == key && now_ms - s->start_ms < l->window_ms &&
	    s->failures >= l->max) {
		left = s->start_ms + l->window_ms - now_ms;
		wait = (unsigned)((left + 999) / 1000);
	}
	pthread_mutex_unlock(&l->mu);
	return wait;
}

void
auth_limiter_failed(struct auth_limiter *l, const char *client,
    uint64_t now_ms)
{
	uint64_t key;

	if (l == NULL || l->max == 0 || (key = client_key(l, client)) == 0)
		return;
	pthread_mutex_lock(&l->mu);
	slot_of(l, key, now_ms)->failures++;
	pthread_mutex_unlock(&l->mu);
}
