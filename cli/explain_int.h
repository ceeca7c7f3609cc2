/*
 * explain_int.h - what the files of `regwarden explain` share (explain.c,
 * explain_sigs.c): the signatures of the image, gathered as the proxy
 * gathers them.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not for use outside explain.  Single-threaded, like the command.
 */
#ifndef RW_EXPLAIN_INT_H
#define RW_EXPLAIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "cli/explain.h"
#include "server/facts.h"
#include "cli/upclient.h"
#include "util/util.h"

/* The signatures of one image; zeroed storage is an empty set. */
struct explain_sigs {
	int			 gathered;	/* gather ran */
	struct facts_sig	 sig[FACTS_SIG_MAX];
	size_t			 n;
	/* "" or the index whose .sig tag stood in for the manifest's own */
	char			 subject[RW_DIGEST_MAX];
	/* the views of SIG: policy_eval's and the report's */
	struct policy_sig_input	 in[FACTS_SIG_MAX];
	struct explain_sig	 shown[FACTS_SIG_MAX];
};

/**
 * Gather the signatures of DIGEST (the verified manifest digest) from the
 * repository of S, as the proxy does (decide.c): the layers of its
 * `sha256-<hex>.sig` tag, else, when that tag is missing and the state db
 * records an index the proxy served this manifest through, that index's
 * .sig tag; then its Notation and Sigstore bundle referrers (the referrers
 * API, else the `sha256-<hex>` fallback tag).  Every payload, envelope and
 * referrer manifest is checked against its digest; what fails the check
 * is left out (the signature judged without it, the referrer not
 * counted), as at the proxy.  Fills ES (zeroed by the caller) and its
 * policy_eval view.
 * Returns RW_OK, or with ERR set: RW_EUPSTREAM (not reached, or a status
 * other than 200 or 404 for the .sig tag or the referrers), RW_ETOOBIG (a
 * .sig manifest or referrers index past max_manifest_bytes), RW_EAUTH or
 * RW_ENOMEM.  Release ES with explain_sigs_cleanup in every case.
 */
int	 explain_sigs_gather(struct upc *s, const char *digest,
	    struct explain_sigs *es, struct rw_err *err);

/**
 * Point Q's signature fields at ES (which must outlive Q): the signatures,
 * sigs_gathered, the index they must name when it stood in, and
 * MANIFEST_SIZE, the bytes of the manifest served.
 */
void	 explain_sigs_req(const struct explain_sigs *es,
	    int64_t manifest_size, struct admission_req *q);

/** Free what ES holds and zero it; NULL does nothing. */
void	 explain_sigs_cleanup(struct explain_sigs *es);

/*
 * The attestations of one image (cosign's .att tag, and the Sigstore
 * bundle referrers among its referrers); zeroed is empty.
 */
struct explain_atts {
	int			 gathered;
	struct facts_sig	 att[FACTS_ATT_MAX];
	size_t			 n;
	struct facts_sig	 ref[FACTS_SIG_MAX];
	size_t			 nref;
	struct policy_att_input	 in[FACTS_ATT_MAX + FACTS_SIG_MAX];
	size_t			 nin;
};

/**
 * Gather the layers of DIGEST's `sha256-<hex>.att` tag and their DSSE
 * envelopes, and its Sigstore bundle referrers, as the proxy does (a blob
 * that does not hash to its digest is an empty envelope), into AS (zeroed
 * by the caller).  Returns as explain_sigs_gather; release AS with
 * explain_atts_cleanup.
 */
int	 explain_atts_gather(struct upc *s, const char *digest,
	    struct explain_atts *as, struct rw_err *err);
/** Point Q's attestation fields at AS (which must outlive Q). */
void	 explain_atts_req(const struct explain_atts *as,
	    struct admission_req *q);
void	 explain_atts_cleanup(struct explain_atts *as);

#endif /* RW_EXPLAIN_INT_H */
