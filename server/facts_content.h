/*
 * facts_content.h - the content facts of one image for policy_eval: its
 * layers' indexes from the store, combined into struct policy_content.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not thread-safe per struct facts_content; each request owns its own.
 */
#ifndef RW_FACTS_CONTENT_H
#define RW_FACTS_CONTENT_H

#include <stddef.h>

#include "policy/policy.h"
#include "util/util.h"

struct content_index;
struct content_fs;
struct db;

/* The most layers one image may have here (Docker's own limit is 127). */
#define FACTS_LAYERS_MAX	256

struct facts_content {
	char			**layers;	/* digests, bottom first */
	size_t			  nlayers;
	struct content_index	**idx;		/* NULL: missing or refused */
	char			 *refusal;	/* the first refused layer's */
	size_t			  refused;
	struct content_fs	 *fs;
	struct policy_cfile	 *files;
	struct policy_secret	 *secrets;
	struct policy_cpkg	 *pkgs;
	struct policy_content	  pc;
};

/**
 * The layer digests of image manifest BODY into FC.  Returns RW_OK,
 * RW_EPARSE (not a manifest with layers), RW_ETOOBIG or RW_ENOMEM.
 */
int	 facts_content_layers(const char *body, size_t len,
	    struct facts_content *fc, struct rw_err *err);

/**
 * Load the layers' indexes from DB.  On RW_OK, *MISSING (caller frees the
 * array, not the strings, which belong to FC) lists the layers not yet
 * indexed; when there are none, FC->pc is ready for policy_eval.
 */
int	 facts_content_load(struct db *db, struct facts_content *fc,
	    const char ***missing, size_t *nmissing, struct rw_err *err);

/**
 * facts_content_load for each of the N images of SET (one manifest, or
 * the platforms of an index): *MISSING (caller frees the array only)
 * lists every layer not yet indexed once, however many of them carry it.
 * Returns RW_OK, or the first error.
 */
int	 facts_content_load_set(struct db *db, struct facts_content *const *set,
	    size_t n, const char ***missing, size_t *nmissing,
	    struct rw_err *err);

void	 facts_content_cleanup(struct facts_content *fc);

#endif /* RW_FACTS_CONTENT_H */
