/*
 * decide_int.h - what decide.c and decide_gather.c share: the facts one
 * evaluation gathers (struct decide_ctx) and the calls that fill them.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not a public header: only server/decide*.c include it.  decide.c owns a
 * request's context (rq->dx: calloc'ed in its lookup, freed by its
 * drop_ctx); decide_gather.c fills it.
 */
#ifndef RW_DECIDE_INT_H
#define RW_DECIDE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "policy/policy.h"
#include "server/facts.h"
#include "server/facts_content.h"
#include "server/internal.h"

#define MAX_CHILDREN	32			/* platforms gathered per index */

enum job_kind { JOB_CONFIG = 1, JOB_CHILD, JOB_TAG_DIGEST, JOB_SIG_MANIFEST,
	JOB_SIG_BLOB, JOB_REF_API, JOB_REF_TAG, JOB_NOTARY_MANIFEST,
	JOB_NOTARY_BLOB, JOB_ATT_MANIFEST, JOB_ATT_BLOB };

/*
 * Every fetch one evaluation may plan, so that none is ever dropped: the
 * tag's digest and the config; per platform its manifest and config; two
 * signature tags (the image's, its index's); one blob per signature; the
 * referrers (API, fallback tag) with a manifest and a blob each; the
 * attestation tag and one blob per attestation.
 */
#define MAX_JOBS	(2 + 2 * MAX_CHILDREN + 2 + FACTS_SIG_MAX + 2 + \
			    2 * FACTS_REFERRERS_MAX + 1 + FACTS_ATT_MAX)

struct job {
	int	 kind;
	int	 child;			/* platform index, or -1 */
	char	 digest[RW_DIGEST_MAX];
};

/* What one evaluation gathers; lives while the request is deciding. */
struct decide_ctx {
	unsigned		 needs;
	struct job		 jobs[MAX_JOBS];
	int			 njobs, next;
	int			 overflow;	/* a job did not fit */
	struct facts_image	 img;
	int			 have_img;
	struct facts_platforms	 plats;
	int			 have_plats;
	struct facts_image	 child_img[MAX_CHILDREN];
	struct policy_platform	 pl[MAX_CHILDREN];
	char			 pin[RW_DIGEST_MAX];
	int			 have_pin;
	char			 tag_digest[RW_DIGEST_MAX];
	int			 have_tag_digest;
	/* scan verdict and exceptions (POLICY_NEED_SCAN) */
	struct db_scan_view	 scanv;
	int			 have_scan;
	struct policy_finding	*pf;
	struct policy_scan_secret *psec;
	struct policy_scan	 ps;
	struct db_exception	*dbx;
	size_t			 ndbx;
	struct policy_exception	*px;
	size_t			 npx;
	int64_t			 first_admitted;	/* POLICY_NEED_GRACE */
	int64_t			*seen;		/* per finding of pf */
	/* signatures (POLICY_NEED_SIGS): layers of sha256-<hex>.sig, then
	 * the Notation and Sigstore bundle referrers */
	struct facts_sig	 sig[FACTS_SIG_MAX];
	int			 nnotary;
	int			 nsig;
	int			 sigs_gathered;
	char			 sig_subject[RW_DIGEST_MAX]; /* "" or the index */
	struct policy_sig_input	 sigin[FACTS_SIG_MAX];
	/* attestations (POLICY_NEED_ATTS): layers of sha256-<hex>.att */
	struct facts_sig	 att[FACTS_ATT_MAX];
	int			 natt;
	int			 atts_gathered;
	size_t			 att_held;	/* of srv->att_bytes */
	/* .att layers, then the Sigstore bundle referrers among SIG */
	struct policy_att_input	 attin[FACTS_ATT_MAX + FACTS_SIG_MAX];
	/* what the layers hold (POLICY_NEED_CONTENT, image manifests) */
	struct facts_content	 fc;
	struct facts_content	 cfc[MAX_CHILDREN];	/* an index's */
	int			 want_content;
	int			 content_ready;
};

/* --- decide.c ------------------------------------------------------------ */

/** The tag RQ names (a manifest by tag), or NULL for a digest or a blob. */
const char	*decide_req_tag(const struct request *rq);

/* --- decide_gather.c ----------------------------------------------------- */

/** Whether media type MT is an index (OCI index or Docker manifest list). */
int	 decide_is_index(const char *mt);
/**
 * Plan the upstream fetches DX->needs calls for into DX.  RW_OK, or an
 * error with ERR set (an index with more than MAX_CHILDREN platforms).
 */
int	 decide_plan(struct request *rq, struct decide_ctx *dx,
	    struct rw_err *err);
/**
 * Run DX's planned fetches in turn: S_NEXT when every fact is in, S_PARKED
 * while one is under way (RQ->aux), or S_FAIL with ERR set.
 */
int	 decide_gather(struct request *rq, struct decide_ctx *dx,
	    struct rw_err *err);
/**
 * Read RQ's scan verdict and the exceptions into DX (pulls, POLICY_NEED_SCAN).
 * RW_OK (no report is not an error: DX->have_scan stays 0), or an error.
 */
int	 decide_scan_facts(struct request *rq, struct decide_ctx *dx,
	    struct rw_err *err);
/**
 * Store the scan report of a verified vulnerability attestation in Q as
 * RQ's scan verdict ("as_scan").  RW_OK also when there is none or it
 * cannot be read (the image stays unscanned); else what db_scan_put said.
 */
int	 decide_att_scan(struct request *rq, const struct admission_req *q,
	    struct rw_err *err);

#endif /* RW_DECIDE_INT_H */
