/*
 * facts.h - turn fetched, verified bytes (an image config blob, an index)
 * into the facts policy_eval reads.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure parsing over bytes already hashed by the caller; no I/O.  A struct
 * facts_image owns every string its policy_image view points at.
 */
#ifndef RW_FACTS_H
#define RW_FACTS_H

#include <stddef.h>

#include "policy/policy.h"
#include "util/util.h"

#define FACTS_MAX_ENV		1024
#define FACTS_MAX_LABELS	512
#define FACTS_MAX_PLATFORMS	64

struct facts_image {
	struct policy_image	 img;		/* the view policy_eval reads */
	char			*strings;	/* one allocation behind img */
	const char		**env;
	struct policy_kv	*labels;
};

/**
 * Parse an OCI/Docker image config (BODY, LEN bytes).  Returns RW_OK and
 * fills OUT (release with facts_image_cleanup), or RW_EPARSE with ERR saying
 * what is wrong (`image config: "config.Env" is not an array of strings`),
 * RW_ETOOBIG (more than FACTS_MAX_ENV variables or FACTS_MAX_LABELS labels)
 * or RW_ENOMEM.  "created" that is absent or not RFC 3339 gives -1.
 */
int	 facts_image_parse(const char *body, size_t len, struct facts_image *out,
	    struct rw_err *err);
void	 facts_image_cleanup(struct facts_image *fi);

struct facts_platforms {
	struct policy_platform	 p[FACTS_MAX_PLATFORMS];
	const char		*digest[FACTS_MAX_PLATFORMS]; /* child manifests */
	size_t			 n;
	char			*strings;
};

/**
 * The platforms of an index or manifest list's children (manifests[].
 * platform).  Children without a platform (attestations) are skipped.
 */
int	 facts_platforms_parse(const char *body, size_t len,
	    struct facts_platforms *out, struct rw_err *err);
void	 facts_platforms_cleanup(struct facts_platforms *fp);

/** RFC 3339 timestamp to unix seconds; -1 when malformed. */
long long facts_parse_time(const char *s);

#endif /* RW_FACTS_H */
