/*
 * facts.h - turn fetched, verified bytes (an image config blob, an index,
 * the signatures of a manifest) into the facts policy_eval reads.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure parsing over bytes the caller fetched; no I/O, no logging.  Image
 * configs and indexes are hashed by the caller; the signature parsers
 * (facts_sig.c) hash what they keep themselves, so the proxy (decide.c)
 * and `regwarden explain` check signatures alike.  A struct facts_image
 * owns every string its policy_image view points at; a struct facts_sig
 * owns its copies.  Nothing here keeps state: safe from any thread.
 */
#ifndef RW_FACTS_H
#define RW_FACTS_H

#include <stddef.h>

#include "db/db.h"
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

/**
 * The exceptions a scan rule weighs: the store's (DBX, NDBX rows, added
 * with `regwarden exceptions add`, source "cli") then the policy file's of
 * P, into a new array *OUT (*N entries; free it, the strings stay
 * borrowed from DBX and P).  Returns RW_OK or RW_ENOMEM.
 */
int	 facts_exceptions(const struct db_exception *dbx, size_t ndbx,
	    const struct policy *p, struct policy_exception **out, size_t *n,
	    struct rw_err *err);

/**
 * The secret findings of stored scan V as the policy reads them, into a new
 * array *OUT (V->nsecrets entries, at least one allocated; free it, the
 * strings stay borrowed from V).  Returns RW_OK or RW_ENOMEM.
 */
int	 facts_scan_secrets(const struct db_scan_view *v,
	    struct policy_scan_secret **out, struct rw_err *err);

/** RFC 3339 timestamp to unix seconds; -1 when malformed. */
long long facts_parse_time(const char *s);

/* ------------------------------------------------------------ signatures */

/*
 * Where signatures are found (config/POLICY.md, "signatures"): the layers of
 * cosign's `sha256-<hex>.sig` tag manifest, and the OCI referrers of the
 * digest whose artifactType is Notation's or a Sigstore bundle's.  The
 * caller fetches; these parse what came back and keep only bytes that hash
 * to the digest their descriptor names.
 */
#define FACTS_SIG_MAX		POLICY_SIG_MAX	/* signatures kept per image */
#define FACTS_SIG_BLOB_CAP	(64 * 1024)	/* one payload or envelope */
#define FACTS_SIG_B64_MAX	16384	/* the signature annotation, exclusive */
#define FACTS_REFERRERS_MAX	8	/* signature referrers fetched */
#define FACTS_ATT_MAX		POLICY_ATT_INPUT_MAX /* attestations kept */
#define FACTS_NOTARY_TYPE	"application/vnd.cncf.notary.signature"
#define FACTS_SIG_ANNOTATION	"dev.cosignproject.cosign/signature"
#define FACTS_CERT_ANNOTATION	"dev.sigstore.cosign/certificate"
#define FACTS_CHAIN_ANNOTATION	"dev.sigstore.cosign/chain"
#define FACTS_BUNDLE_ANNOTATION	"dev.sigstore.cosign/bundle"

/*
 * One signature as found.  DIGEST names the blob still to fetch (the
 * cosign payload, or a referrer's envelope): "" when the descriptor is not
 * a sha256 digest of at most FACTS_SIG_BLOB_CAP bytes, and then the blob is
 * never fetched: the signature is still counted, and judged over nothing
 * (facts_sig_input), so no key verifies it.  Strings are NUL-terminated
 * copies, NULL when absent; release with facts_sig_cleanup.
 */
struct facts_sig {
	char	 origin[96];		/* "signature layer 2", "Notation
					   signature 1a2b3c4d5e6f" */
	char	 digest[RW_DIGEST_MAX];
	size_t	 size;			/* DIGEST's size, as its descriptor says */
	size_t	 cap;			/* the largest blob kept (facts_sig_blob):
					   FACTS_SIG_BLOB_CAP, or an .att layer's
					   attestations.max_envelope_bytes */
	int	 referrer;		/* 0: a .sig layer, 1: an OCI referrer */
	/* a .sig layer: its media type, annotations and payload */
	char	 media_type[128];
	char	*sig_b64;
	char	*cert_pem;
	char	*chain_pem;
	char	*bundle_json;
	char	*payload;
	size_t	 plen;
	/* a referrer: its first layer's media type, and that layer's bytes */
	char	 etype[64];
	char	*envelope;
	size_t	 elen;
};

/**
 * The layers of a `sha256-<hex>.sig` manifest (BODY, LEN bytes), one
 * signature each, into OUT[0..MAX).  Each gets its origin ("signature
 * layer N", N counting from 1), media type, the blob digest to fetch (see
 * struct facts_sig) and copies of its annotations: the signature when
 * shorter than FACTS_SIG_B64_MAX, the certificate, chain and bundle when at
 * most FACTS_SIG_BLOB_CAP bytes.  A copy that is missing, not a string, too
 * long or cannot be allocated is NULL, and the signature is judged without
 * it: an odd layer still counts, and never stops the others.  Layers past
 * MAX are ignored; a body that is not JSON, or has no "layers" array, has
 * none.  Returns the number of entries filled (the caller owns them).
 */
size_t	 facts_sig_layers(const char *body, size_t len, struct facts_sig *out,
	    size_t max);

/**
 * As facts_sig_layers, for the layers of a `sha256-<hex>.att` manifest:
 * each envelope of at most CAP bytes (attestations.max_envelope_bytes,
 * not FACTS_SIG_BLOB_CAP: an SBOM runs to megabytes) is fetched.
 */
size_t	 facts_att_layers(const char *body, size_t len, struct facts_sig *out,
	    size_t max, size_t cap);

/**
 * The referrers worth fetching from a referrers index (BODY, LEN bytes:
 * the answer of GET /v2/<name>/referrers/<digest>, or the `sha256-<hex>`
 * fallback tag's index): entries of "manifests" whose artifactType is
 * FACTS_NOTARY_TYPE or starts with "application/vnd.dev.sigstore.bundle",
 * and whose digest is a sha256 digest.  Their digests are copied, in
 * order, into OUT[0..MAX).  Returns how many; 0 for a body that is not
 * JSON.
 */
size_t	 facts_sig_referrers(const char *body, size_t len,
	    char (*out)[RW_DIGEST_MAX], size_t max);

/**
 * A signature referrer manifest (BODY, LEN bytes) fetched as DIGEST.
 * Returns 1 and fills OUT (cleared first: origin "Sigstore bundle <12 hex>"
 * or "Notation signature <12 hex>" after the first layer's media type,
 * ETYPE, and DIGEST for that layer's blob) when the bytes hash to DIGEST and
 * its "subject.digest" is SUBJECT; otherwise 0 and OUT untouched, and the
 * referrer does not count: the fallback tag's index is anyone's to write.
 */
int	 facts_sig_referrer(const char *body, size_t len, const char *digest,
	    const char *subject, struct facts_sig *out);
/**
 * As facts_sig_referrer, when attestations are wanted too: a Sigstore
 * bundle's layer is fetched up to BUNDLE_CAP bytes (an attested SBOM runs
 * past FACTS_SIG_BLOB_CAP; the bundle verifier reads SIG_BUNDLE_MAX), a
 * Notation signature's still up to FACTS_SIG_BLOB_CAP.
 */
int	 facts_att_referrer(const char *body, size_t len, const char *digest,
	    const char *subject, struct facts_sig *out, size_t bundle_cap);

/**
 * The blob S->digest named (BODY, LEN bytes): kept as S's payload (a .sig
 * or .att layer) or envelope (a referrer) when it is at most S->cap bytes
 * and hashes to S->digest.  Other bytes are left out, and the
 * signature is judged without them.  Returns RW_OK either way, or
 * RW_ENOMEM with ERR set.
 */
int	 facts_sig_blob(struct facts_sig *s, const char *body, size_t len,
	    struct rw_err *err);

/**
 * The view policy_eval reads of S, into IN (whose strings point into S,
 * which must outlive it).  A .sig layer's missing payload or signature is
 * "", which no key verifies; a referrer is passed as an envelope of type
 * ETYPE ("" when missing), with media type FACTS_NOTARY_TYPE unless it is a
 * Sigstore bundle.  A referrer whose layer named no media type is passed
 * as an empty .sig layer, as the proxy always has.
 */
void	 facts_sig_input(const struct facts_sig *s, struct policy_sig_input *in);
/**
 * The policy's view of one `sha256-<hex>.att` layer (read with
 * facts_sig_layers; its blob, the DSSE envelope, with facts_sig_blob),
 * borrowing from S.  A blob not fetched is an empty envelope: no key
 * verifies it.
 */
void	 facts_att_input(const struct facts_sig *s, struct policy_att_input *in);

/**
 * When S is a Sigstore bundle referrer (cosign v3 attaches attestations
 * so): its view as an attestation into IN, borrowing from S, and 1; else
 * 0 and IN untouched.  An envelope not fetched is empty: no key verifies
 * it.
 */
int	 facts_att_bundle(const struct facts_sig *s, struct policy_att_input *in);

/** Free S's copies and clear it; S may be reused. */
void	 facts_sig_cleanup(struct facts_sig *s);

#endif /* RW_FACTS_H */
