/* index.c - a layer index: its string arena and growing its arrays. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "content/content.h"

#include <stdlib.h>
#include <string.h>

#include "content/internal.h"

#define ARENA_CHUNK	((size_t)64 << 10)

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

struct content_arena {
	struct arena_chunk	*head;
	size_t			 bytes;
};

struct content_arena *
arena_new(void)
{
	return calloc(1, sizeof(struct content_arena));
}

void
arena_free(struct content_arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

size_t
arena_bytes(const struct content_arena *a)
{
	return a->bytes;
}

const char *
arena_strndup(struct content_arena *a, const char *s, size_t len)
{
	struct arena_chunk *c = a->head;
	size_t sz;
	char *p;

	if (c == NULL || c->size - c->used < len + 1) {
		/* A long string gets a chunk of its own size. */
		sz = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = sz;
		c->next = a->head;
		a->head = c;
		a->bytes += sz;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

struct content_index *
content_index_new(void)
{
	struct content_index *idx;

	if ((idx = calloc(1, sizeof(*idx))) == NULL)
		return NULL;
	if ((idx->arena = arena_new()) == NULL) {
		free(idx);
		return NULL;
	}
	return idx;
}

void
content_index_free(struct content_index *idx)
{
	if (idx == NULL)
		return;
	free(idx->entries);
	free(idx->findings);
	free(idx->packages);
	free(idx->pkgdb_unread);
	arena_free(idx->arena);
	free(idx);
}

/* Make room for one more element of SIZE in *ARR holding N; doubling. */
static int
grow(void **arr, size_t n, size_t size)
{
	size_t cap;
	void *p;

	/* Capacity is 16, then powers of two: full exactly at those. */
	if (n != 0 && (n < 16 || (n & (n - 1)) != 0))
		return RW_OK;
	cap = n == 0 ? 16 : n * 2;
	p = realloc(*arr, cap * size);
	if (p == NULL)
		return RW_ENOMEM;
	*arr = p;
	return RW_OK;
}

static const char *
sdup(struct content_index *idx, const char *s)
{
	return s == NULL ? NULL : arena_strndup(idx->arena, s, strlen(s));
}

int
index_add_entry(struct content_index *idx, const struct content_entry *e)
{
	struct content_entry *d;

	if (grow((void **)&idx->entries, idx->nentries, sizeof(*d)) != RW_OK)
		return RW_ENOMEM;
	d = &idx->entries[idx->nentries];
	*d = *e;
	if ((d->path = sdup(idx, e->path)) == NULL ||
	    (e->link != NULL && (d->link = sdup(idx, e->link)) == NULL))
		return RW_ENOMEM;
	idx->nentries++;
	return RW_OK;
}

int
index_add_finding(struct content_index *idx, const char *path,
    const char *what)
{
	struct content_finding *f;

	if (grow((void **)&idx->findings, idx->nfindings, sizeof(*f)) != RW_OK)
		return RW_ENOMEM;
	f = &idx->findings[idx->nfindings];
	if ((f->path = sdup(idx, path)) == NULL ||
	    (f->what = sdup(idx, what)) == NULL)
		return RW_ENOMEM;
	idx->nfindings++;
	return RW_OK;
}

int
index_add_package(struct content_index *idx, const char *name, size_t nlen,
    const char *version, size_t vlen, const char *db)
{
	struct content_package *p;

	if (grow((void **)&idx->packages, idx->npackages, sizeof(*p)) != RW_OK)
		return RW_ENOMEM;
	p = &idx->packages[idx->npackages];
	if ((p->name = arena_strndup(idx->arena, name, nlen)) == NULL ||
	    (p->version = arena_strndup(idx->arena, version, vlen)) == NULL ||
	    (p->db = sdup(idx, db)) == NULL)
		return RW_ENOMEM;
	idx->npackages++;
	return RW_OK;
}

int
index_add_unread(struct content_index *idx, const char *db)
{
	if (grow((void **)&idx->pkgdb_unread, idx->npkgdb_unread,
	    sizeof(char *)) != RW_OK)
		return RW_ENOMEM;
	if ((idx->pkgdb_unread[idx->npkgdb_unread] = sdup(idx, db)) == NULL)
		return RW_ENOMEM;
	idx->npkgdb_unread++;
	return RW_OK;
}

const char *
content_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}
