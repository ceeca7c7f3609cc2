/*
 * final.c - an image's final filesystem from its layers' indexes: each
 * layer's whiteouts and opaque directories remove from the layers below,
 * then its entries replace the same paths.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "content/content.h"

#include <stdlib.h>
#include <string.h>

#include "content/internal.h"

struct pathset {
	const char	**v;
	size_t		  n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether S[0..LEN) is in SET (sorted). */
static int
has(const struct pathset *set, const char *s, size_t len)
{
	size_t lo = 0, hi = set->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(set->v[mid], s, len);
		if (c == 0 && set->v[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Whether PATH is removed: itself or an ancestor whited out (WH), or a
 * strict ancestor made opaque (OPQ).
 */
static int
removed(const char *path, const struct pathset *wh,
    const struct pathset *opq)
{
	size_t len = strlen(path);

	if (has(wh, path, len))
		return 1;
	/* The strict ancestors: "/a/b/c" -> "/a/b" -> "/a" -> "/". */
	while (len > 1) {
		do
			len--;
		while (len > 0 && path[len] != '/');
		if (len == 0)
			return has(opq, "/", 1);
		if (has(wh, path, len) || has(opq, path, len))
			return 1;
	}
	return 0;
}

static int
cmp_file(const void *a, const void *b)
{
	const struct content_file *x = a, *y = b;
	int c = strcmp(x->e->path, y->e->path);

	if (c != 0)
		return c;
	return x->layer < y->layer ? 1 : x->layer > y->layer ? -1 : 0;
}

/* Layer L over FS: remove, then add, then keep the top of each path. */
static int
apply(struct content_fs *fs, const struct content_index *l, size_t layer)
{
	struct pathset wh = { NULL, 0 }, opq = { NULL, 0 };
	struct content_file *v;
	size_t i, o, add = 0;
	int rc = RW_ENOMEM;

	for (i = 0; i < l->nentries; i++)
		if (l->entries[i].type == CONTENT_WHITEOUT)
			wh.n++;
		else if (l->entries[i].type == CONTENT_OPAQUE)
			opq.n++;
		else
			add++;
	if ((wh.n > 0 && (wh.v = calloc(wh.n, sizeof(char *))) == NULL) ||
	    (opq.n > 0 && (opq.v = calloc(opq.n, sizeof(char *))) == NULL))
		goto out;
	wh.n = opq.n = 0;
	for (i = 0; i < l->nentries; i++)
		if (l->entries[i].type == CONTENT_WHITEOUT)
			wh.v[wh.n++] = l->entries[i].path;
		else if (l->entries[i].type == CONTENT_OPAQUE)
			opq.v[opq.n++] = l->entries[i].path;
	if (wh.n > 1)
		qsort(wh.v, wh.n, sizeof(char *), cmp_str);
	if (opq.n > 1)
		qsort(opq.v, opq.n, sizeof(char *), cmp_str);
	for (i = o = 0; i < fs->nfiles; i++)
		if ((wh.n == 0 && opq.n == 0) ||
		    !removed(fs->files[i].e->path, &wh, &opq))
			fs->files[o++] = fs->files[i];
	fs->nfiles = o;
	if ((v = realloc(fs->files, (fs->nfiles + add + 1) * sizeof(*v))) ==
	    NULL)
		goto out;
	fs->files = v;
	for (i = 0; i < l->nentries; i++)
		if (l->entries[i].type != CONTENT_WHITEOUT &&
		    l->entries[i].type != CONTENT_OPAQUE) {
			v[fs->nfiles].e = &l->entries[i];
			v[fs->nfiles++].layer = layer;
		}
	if (fs->nfiles > 1)
		qsort(v, fs->nfiles, sizeof(*v), cmp_file);
	for (i = o = 0; i < fs->nfiles; i++)
		if (o == 0 || strcmp(v[o - 1].e->path, v[i].e->path) != 0)
			v[o++] = v[i];
	fs->nfiles = o;
	rc = RW_OK;
out:
	free(wh.v);
	free(opq.v);
	return rc;
}

/* The packages and unread databases whose file is in FS from its layer. */
static int
packages(struct content_fs *fs, struct content_index *const *layers,
    size_t n)
{
	const struct content_file *f;
	size_t i, j, np = 0, nu = 0;

	for (i = 0; i < n; i++) {
		np += layers[i]->npackages;
		nu += layers[i]->npkgdb_unread;
	}
	if ((np > 0 && (fs->packages = calloc(np, sizeof(*fs->packages))) ==
	    NULL) || (nu > 0 && (fs->pkgdb_unread = calloc(nu,
	    sizeof(char *))) == NULL))
		return RW_ENOMEM;
	for (i = 0; i < n; i++) {
		for (j = 0; j < layers[i]->npackages; j++) {
			f = content_fs_get(fs, layers[i]->packages[j].db);
			if (f != NULL && f->layer == i)
				fs->packages[fs->npackages++] =
				    layers[i]->packages[j];
		}
		for (j = 0; j < layers[i]->npkgdb_unread; j++) {
			f = content_fs_get(fs, layers[i]->pkgdb_unread[j]);
			if (f != NULL && f->layer == i)
				fs->pkgdb_unread[fs->npkgdb_unread++] =
				    layers[i]->pkgdb_unread[j];
		}
	}
	return RW_OK;
}

int
content_final(struct content_index *const *layers, size_t n,
    struct content_fs **out, struct rw_err *err)
{
	struct content_fs *fs;
	size_t i;

	*out = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return rw_err_set(err, RW_ENOMEM, "final filesystem: out of "
		    "memory");
	for (i = 0; i < n; i++)
		if (apply(fs, layers[i], i) != RW_OK)
			goto nomem;
	if (packages(fs, layers, n) != RW_OK)
		goto nomem;
	for (i = 0; i < fs->nfiles; i++)
		if (fs->files[i].e->type == CONTENT_FILE)
			fs->file_bytes += (uint64_t)fs->files[i].e->size;
	*out = fs;
	return RW_OK;
nomem:
	content_fs_free(fs);
	return rw_err_set(err, RW_ENOMEM, "final filesystem: out of memory");
}

void
content_fs_free(struct content_fs *fs)
{
	if (fs == NULL)
		return;
	free(fs->files);
	free(fs->packages);
	free(fs->pkgdb_unread);
	free(fs);
}

const struct content_file *
content_fs_get(const struct content_fs *fs, const char *path)
{
	size_t lo = 0, hi = fs->nfiles, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(fs->files[mid].e->path, path);
		if (c == 0)
			return &fs->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
