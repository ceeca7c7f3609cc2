/* denial.c - the answer plan for refused manifests and the denial documents HEAD answers with. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/denial.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/policy.h"

enum denial_answer
denial_plan(int is_head, int by_digest, int write_op, int kind)
{
	if (kind == DV_ERROR)
		return DENIAL_UNAVAILABLE;
	if (kind == VERDICT_DENY) {
		/* Only a tag's HEAD may stand in a denial digest: for a digest
		 * reference the client already knows the digest and may find
		 * the content in its own store. */
		if (is_head && !by_digest && !write_op)
			return DENIAL_SERVE_DOC;
		return DENIAL_REFUSE;
	}
	if (kind != VERDICT_ALLOW && kind != VERDICT_WARN)
		return DENIAL_REFUSE;	/* unknown: refusing wins */
	return write_op ? DENIAL_FORWARD : DENIAL_SERVE;
}

int
denial_doc(const struct denial_subject *s, struct rw_buf *out,
    char digest[RW_DIGEST_MAX], struct rw_err *err)
{
	char ref[1024], msgsum[RW_DIGEST_MAX];
	const char *sep;
	json_t *doc;
	char *text;
	int rc;

	if (s == NULL || s->host == NULL || s->repo == NULL || s->ref == NULL ||
	    s->media_type == NULL || s->policy_rev == NULL || s->v == NULL)
		return rw_err_set(err, RW_EINVAL, "denial_doc: missing field");
	sep = strchr(s->ref, ':') != NULL ? "@" : ":";
	snprintf(ref, sizeof(ref), "%s/%s%s%s", s->host, s->repo, sep, s->ref);
	if (rw_digest(RW_HASH_SHA256, s->v->message, strlen(s->v->message),
	    msgsum) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "denial_doc: cannot hash");
	/* Sorted keys and no white space: the same subject, the same bytes. */
	doc = json_pack("{s:i,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s}}",
	    "schemaVersion", 2, "mediaType", s->media_type, "annotations",
	    DENIAL_MARKER, "v1", "dev.regwarden.reference", ref,
	    "dev.regwarden.verdict", s->v->kind == VERDICT_DENY ? "deny" :
	    "other", "dev.regwarden.rule", s->v->rule,
	    "dev.regwarden.policy", s->policy_rev,
	    "dev.regwarden.message-digest", msgsum);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) :
	    NULL;
	json_decref(doc);
	if (text == NULL)
		return rw_err_set(err, RW_ENOMEM, "denial_doc: out of memory");
	rw_buf_init(out, 64 * 1024);	/* a few hundred bytes */
	rc = rw_buf_add(out, text, strlen(text));
	if (rc == RW_OK)
		rc = rw_digest(RW_HASH_SHA256, text, strlen(text), digest);
	free(text);
	if (rc != RW_OK) {
		rw_buf_free(out);
		return rw_err_set(err, RW_ENOMEM, "denial_doc: out of memory");
	}
	return RW_OK;
}

int
denial_is_doc(const void *body, size_t len)
{
	return body != NULL && memmem(body, len, "\"" DENIAL_MARKER "\"",
	    strlen(DENIAL_MARKER) + 2) != NULL;
}

/* ------------------------------------------------------------- table */

struct denial_slot {
	char		 key[RW_DIGEST_MAX];	/* sha256 of upstream, repo, digest */
	uint64_t	 expires_ms;
	char		 ref[200];
	struct dverdict	 v;
};

struct denial_table {
	pthread_mutex_t		 mu;
	atomic_int		 used;		/* any entry ever put */
	size_t			 n;
	uint64_t		 ttl_ms;
	struct denial_slot	*slots;
};

struct denial_table *
denial_table_new(size_t nslots, uint64_t ttl_ms)
{
	struct denial_table *t;

	if (nslots == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = calloc(nslots, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	t->n = nslots;
	t->ttl_ms = ttl_ms;
	atomic_init(&t->used, 0);
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void
denial_table_free(struct denial_table *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->slots);
	free(t);
}

/* The slot key: NUL-separated, so no two triples share one. */
static size_t
slot_of(const struct denial_table *t, const char *upstream, const char *repo,
    const char *digest, char key[RW_DIGEST_MAX])
{
	struct rw_hash h;

	rw_hash_init(&h, RW_HASH_SHA256);
	rw_hash_update(&h, upstream, strlen(upstream) + 1);
	rw_hash_update(&h, repo, strlen(repo) + 1);
	rw_hash_update(&h, digest, strlen(digest));
	rw_hash_final(&h, key);
	/* "sha256:" then 64 hex digits: the last 8 pick the slot. */
	return (size_t)strtoul(key + 7 + 56, NULL, 16) % t->n;
}

void
denial_table_put(struct denial_table *t, const char *upstream,
    const char *repo, const char *digest, const char *ref,
    const struct dverdict *v, uint64_t now_ms)
{
	struct denial_slot *s;
	char key[RW_DIGEST_MAX];
	size_t i = slot_of(t, upstream, repo, digest, key);

	pthread_mutex_lock(&t->mu);
	s = &t->slots[i];
	memcpy(s->key, key, sizeof(s->key));
	s->expires_ms = now_ms + t->ttl_ms;
	atomic_store(&t->used, 1);
	rw_strlcpy(s->ref, ref, sizeof(s->ref));
	s->v = *v;
	pthread_mutex_unlock(&t->mu);
}

int
denial_table_get(struct denial_table *t, const char *upstream,
    const char *repo, const char *digest, struct dverdict *v, char *ref,
    size_t refsize, uint64_t now_ms)
{
	struct denial_slot *s;
	char key[RW_DIGEST_MAX];
	size_t i;
	int found;

	/* Every pull by digest asks: a server that never refused a tag's
	 * HEAD answers without hashing or locking. */
	if (!atomic_load(&t->used))
		return 0;
	i = slot_of(t, upstream, repo, digest, key);
	pthread_mutex_lock(&t->mu);
	s = &t->slots[i];
	found = strcmp(s->key, key) == 0 && s->expires_ms > now_ms;
	if (found) {
		*v = s->v;
		rw_strlcpy(ref, s->ref, refsize);
	}
	pthread_mutex_unlock(&t->mu);
	return found;
}
