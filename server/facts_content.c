/*
 * facts_content.c - an image's layers from its manifest, their indexes
 * from the store, and the policy's view of them (secrets of every layer,
 * the final filesystem, packages, unpacked size).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "server/facts_content.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "content/content.h"
#include "db/db.h"

int
facts_content_layers(const char *body, size_t len, struct facts_content *fc,
    struct rw_err *err)
{
	json_t *root, *layers, *d;
	size_t i, n;
	int rc = RW_OK;

	root = json_loadb(body, len, 0, NULL);
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		json_decref(root);
		return rw_err_set(err, RW_EPARSE, "the manifest lists no "
		    "layers");
	}
	n = json_array_size(layers);
	if (n > FACTS_LAYERS_MAX) {
		json_decref(root);
		return rw_err_set(err, RW_ETOOBIG, "the image has %zu layers; "
		    "at most %d are inspected", n, FACTS_LAYERS_MAX);
	}
	fc->layers = calloc(n + 1, sizeof(char *));
	fc->idx = calloc(n + 1, sizeof(*fc->idx));
	if (fc->layers == NULL || fc->idx == NULL)
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; rc == RW_OK && i < n; i++) {
		d = json_object_get(json_array_get(layers, i), "digest");
		if (!json_is_string(d) ||
		    rw_hash_alg_of(json_string_value(d)) == 0)
			rc = rw_err_set(err, RW_EPARSE, "layer %zu of the "
			    "manifest has no valid digest", i + 1);
		else if ((fc->layers[i] = strdup(json_string_value(d))) ==
		    NULL)
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		else
			fc->nlayers++;
	}
	json_decref(root);
	return rc;
}

static int
ftype(int t)
{
	switch (t) {
	case CONTENT_FILE:
		return POLICY_F_FILE;
	case CONTENT_DIR:
		return POLICY_F_DIR;
	case CONTENT_SYMLINK:
		return POLICY_F_SYMLINK;
	case CONTENT_HARDLINK:
		return POLICY_F_HARDLINK;
	}
	return POLICY_F_OTHER;
}

/* Every index is in: the policy's view of them. */
static int
view(struct facts_content *fc, struct rw_err *err)
{
	struct policy_content *pc = &fc->pc;
	const struct content_index *l;
	size_t i, j, ns = 0, k = 0;

	pc->nlayers = fc->nlayers;
	if (fc->refusal != NULL) {
		pc->refusal = fc->refusal;
		pc->refused_layer = fc->refused;
		return RW_OK;
	}
	if (content_final(fc->idx, fc->nlayers, &fc->fs, err) != RW_OK)
		return err->code;
	for (i = 0; i < fc->nlayers; i++) {
		ns += fc->idx[i]->nfindings;
		pc->uncompressed_bytes += fc->idx[i]->stream_bytes;
	}
	fc->files = calloc(fc->fs->nfiles + 1, sizeof(*fc->files));
	fc->secrets = calloc(ns + 1, sizeof(*fc->secrets));
	fc->pkgs = calloc(fc->fs->npackages + 1, sizeof(*fc->pkgs));
	if (fc->files == NULL || fc->secrets == NULL || fc->pkgs == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < fc->fs->nfiles; i++) {
		fc->files[i].path = fc->fs->files[i].e->path;
		fc->files[i].mode = fc->fs->files[i].e->mode;
		fc->files[i].type = ftype(fc->fs->files[i].e->type);
	}
	/* Top layer first: what the developer added last is named first. */
	for (i = fc->nlayers; i-- > 0;) {
		l = fc->idx[i];
		for (j = 0; j < l->nfindings; j++, k++) {
			fc->secrets[k].layer = i;
			fc->secrets[k].path = l->findings[j].path;
			fc->secrets[k].what = l->findings[j].what;
			fc->secrets[k].deleted = content_fs_get(fc->fs,
			    l->findings[j].path) == NULL ||
			    content_fs_get(fc->fs, l->findings[j].path)->layer
			    != i;
		}
	}
	for (i = 0; i < fc->fs->npackages; i++) {
		fc->pkgs[i].name = fc->fs->packages[i].name;
		fc->pkgs[i].version = fc->fs->packages[i].version;
	}
	pc->secrets = fc->secrets;
	pc->nsecrets = ns;
	pc->files = fc->files;
	pc->nfiles = fc->fs->nfiles;
	pc->packages = fc->pkgs;
	pc->npackages = fc->fs->npackages;
	pc->pkgdb_unread = fc->fs->pkgdb_unread;
	pc->npkgdb_unread = fc->fs->npkgdb_unread;
	return RW_OK;
}

int
facts_content_load(struct db *db, struct facts_content *fc,
    const char ***missing, size_t *nmissing, struct rw_err *err)
{
	char *refusal;
	void *body;
	size_t i, len;
	int rc;

	*nmissing = 0;
	if ((*missing = calloc(fc->nlayers + 1, sizeof(char *))) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < fc->nlayers; i++) {
		if (fc->idx[i] != NULL)
			continue;
		rc = db_layer_index_get(db, fc->layers[i], CONTENT_FORMAT,
		    &body, &len, &refusal, err);
		if (rc == RW_ENOTFOUND) {
			(*missing)[(*nmissing)++] = fc->layers[i];
			continue;
		}
		if (rc != RW_OK)
			return rc;
		if (refusal != NULL) {
			if (fc->refusal == NULL) {
				fc->refusal = refusal;
				fc->refused = i;
			} else
				free(refusal);
			continue;
		}
		rc = content_decode(body, len, &fc->idx[i], err);
		free(body);
		if (rc != RW_OK)
			return rc;
	}
	if (*nmissing > 0)
		return RW_OK;
	return view(fc, err);
}

/* Whether digest D is among the N of V. */
static int
listed(const char **v, size_t n, const char *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], d) == 0)
			return 1;
	return 0;
}

int
facts_content_load_set(struct db *db, struct facts_content *const *set,
    size_t n, const char ***missing, size_t *nmissing, struct rw_err *err)
{
	const char **one;
	size_t i, j, k, all = 0;
	int rc = RW_OK;

	*nmissing = 0;
	for (i = 0; i < n; i++)
		all += set[i]->nlayers;
	if ((*missing = calloc(all + 1, sizeof(char *))) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; rc == RW_OK && i < n; i++) {
		rc = facts_content_load(db, set[i], &one, &k, err);
		for (j = 0; rc == RW_OK && j < k; j++)
			if (!listed(*missing, *nmissing, one[j]))
				(*missing)[(*nmissing)++] = one[j];
		free(one);
	}
	return rc;
}

void
facts_content_cleanup(struct facts_content *fc)
{
	size_t i;

	for (i = 0; i < fc->nlayers; i++) {
		free(fc->layers[i]);
		if (fc->idx != NULL)
			content_index_free(fc->idx[i]);
	}
	free(fc->layers);
	free(fc->idx);
	free(fc->refusal);
	content_fs_free(fc->fs);
	free(fc->files);
	free(fc->secrets);
	free(fc->pkgs);
	memset(fc, 0, sizeof(*fc));
}
