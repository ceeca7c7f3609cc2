/* proxy_offline.c - what is known of a tag: which cached manifest a pull by tag gets while the upstream is down, and which digest to ask the upstream about. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A tag moves; while the upstream is down nobody can say where to.  Only
 * two answers are trusted: a pin (the admin said which digest), or the
 * digest this tag was admitted as within the decision's TTL (what a pull
 * a moment ago got).  Anything else stays a 502.
 */
static void
tag_key(const struct request *rq, const char *tag, char key[RW_DIGEST_MAX])
{
	struct rw_hash h;

	rw_hash_init(&h, RW_HASH_SHA256);
	rw_hash_update(&h, rq->rt.up->name, strlen(rq->rt.up->name) + 1);
	rw_hash_update(&h, rq->rt.name, strlen(rq->rt.name) + 1);
	rw_hash_update(&h, tag, strlen(tag));
	rw_hash_final(&h, key);
}

static size_t
slot_of(const char *key)
{
	return strtoul(key + 7 + 58, NULL, 16) % TAGMEM_SLOTS;
}

/* TAG of RQ's repository is RQ->digest, in TABLE, until EXPIRES_MS. */
static void
slot_write(struct request *rq, struct tagmem_slot *table, const char *tag,
    uint64_t expires_ms)
{
	char key[RW_DIGEST_MAX];
	struct tagmem_slot *s;

	tag_key(rq, tag, key);
	pthread_mutex_lock(&rq->srv->state_mu);
	s = &table[slot_of(key)];
	memcpy(s->key, key, sizeof(s->key));
	rw_strlcpy(s->digest, rq->digest, sizeof(s->digest));
	s->expires_ms = expires_ms;
	pthread_mutex_unlock(&rq->srv->state_mu);
}

/* RQ's tag's digest in TABLE into OUT, if it has one not expired at NOW_MS
 * (0: whatever its expiry); 1 if so. */
static int
slot_read(struct request *rq, const struct tagmem_slot *table,
    uint64_t now_ms, char out[RW_DIGEST_MAX])
{
	char key[RW_DIGEST_MAX];
	const struct tagmem_slot *s;
	int ok;

	tag_key(rq, rq->rt.ref, key);
	pthread_mutex_lock(&rq->srv->state_mu);
	s = &table[slot_of(key)];
	ok = strcmp(s->key, key) == 0 && s->digest[0] != '\0' &&
	    (now_ms == 0 || s->expires_ms > now_ms);
	if (ok)
		rw_strlcpy(out, s->digest, RW_DIGEST_MAX);
	pthread_mutex_unlock(&rq->srv->state_mu);
	return ok;
}

void
proxy_offline_note(struct request *rq, const char *tag, int ttl)
{
	if (rq->srv->cache == NULL || ttl <= 0)
		return;
	slot_write(rq, rq->srv->tagmem, tag,
	    rw_now_ms() + (uint64_t)ttl * 1000u);
}

/*
 * The hint: a tag's last fetched digest, with no expiry.  It only lets a
 * pull by tag ask the upstream "still this one?" (If-None-Match), which the
 * upstream answers from the tag as it is now; a stale or overwritten hint
 * costs a full fetch, never a wrong answer.  A 304 spares the registry
 * reading and sending the manifest (distribution answers it after reading
 * only the tag's link).
 */
void
proxy_tag_hint_put(struct request *rq)
{
	slot_write(rq, rq->srv->taghint, rq->rt.ref, 0);
}

int
proxy_tag_hint_get(struct request *rq, char out[RW_DIGEST_MAX])
{
	return slot_read(rq, rq->srv->taghint, 0, out);
}

/* The digest a fresh verdict gave this tag into OUT; 1 if there is one. */
static int
remembered(struct request *rq, char out[RW_DIGEST_MAX])
{
	return slot_read(rq, rq->srv->tagmem, rw_now_ms(), out);
}

int
proxy_offline_manifest(struct request *rq)
{
	char digest[RW_DIGEST_MAX], host[256];
	const char *how = "pin";
	struct rw_err err;

	if (rq->rt.ref_is_digest)
		return 0;	/* begin() already looked in the cache */
	decide_host(rq->rt.up, host, sizeof(host));
	rw_err_clear(&err);
	if (db_pin_get(rq->srv->db, host, rq->rt.name, rq->rt.ref, digest,
	    sizeof(digest), &err) != RW_OK) {
		how = "tag verdict";
		if (!remembered(rq, digest))
			return 0;
	}
	if (!proxy_cached_manifest(rq, digest))
		return 0;
	xfer_release(rq->x);
	rq->x = NULL;
	log_warnx("upstream %s is down: %s:%s served as %s (%s)",
	    rq->rt.up->name, rq->rt.name, rq->rt.ref, digest, how);
	snprintf(rq->note, sizeof(rq->note), "upstream down: %s by %s",
	    digest, how);
	return 1;
}
