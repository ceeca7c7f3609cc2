/*
 * sig_bundle.h - verifying Sigstore bundles (cosign v3's signatures).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Part of policy/ and as pure as the rest of sig.h: bytes in, verdict out,
 * no clock (the caller passes "now"), no files, no network.  The formats
 * are in shared/reference/signature-formats.md §3; this follows what
 * sigstore-go does, and the Sigstore conformance suite's bundle-verify
 * cases (tests/fixtures/sigstore-conformance) are its test.
 *
 * A bundle (protobuf-JSON of dev.sigstore.bundle.v1.Bundle, media types
 * v0.1 to v0.3) holds one signature, over the artifact's bytes
 * ("messageSignature") or over an in-toto statement in a DSSE envelope
 * ("dsseEnvelope"), the signer's Fulcio certificate (keyless) or a hint of
 * a key the verifier must already hold, and evidence of when it was
 * signed: transparency log entries (Rekor v1 with a Signed Entry
 * Timestamp, v2 without), each with a Merkle inclusion proof up to a
 * signed checkpoint, and RFC 3161 timestamps.  Everything it holds is
 * checked against a trusted_root.json; nothing it carries is trusted.
 */
#ifndef RW_POLICY_SIG_BUNDLE_H
#define RW_POLICY_SIG_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/sig.h"

struct policy_trustroot;

/* Largest bundle read; public-good bundles are 5-10 KiB. */
#define SIG_BUNDLE_MAX		(1024 * 1024)
/* The media type of a bundle layer in an OCI referrer (cosign v3). */
#define SIG_BUNDLE_MEDIA_V03	"application/vnd.dev.sigstore.bundle.v0.3+json"
/* Cosign's reader takes any layer whose media type starts so. */
#define SIG_BUNDLE_MEDIA_PREFIX	"application/vnd.dev.sigstore.bundle"
/* The only DSSE payload type accepted: an in-toto statement. */
#define SIG_BUNDLE_INTOTO	"application/vnd.in-toto+json"
/* The predicate type cosign v3 gives an image signature. */
#define SIG_BUNDLE_COSIGN_SIGN	"https://sigstore.dev/cosign/sign/v1"
/* Most transparency log entries and timestamps read from one bundle. */
#define SIG_BUNDLE_ENTRIES_MAX	8

/* Whom the bundle must be signed by. */
struct sig_bundle_trust {
	/* Logs, CAs, CT logs, timestamp authorities; required. */
	const struct policy_trustroot	*root;
	/* A managed key (the bundle holds a publicKey hint), or NULL... */
	const struct sig_key		*key;
	/* ...a keyless identity (the bundle holds a certificate).  One. */
	const struct sig_identity	*id;
	/* The verifier's clock, Unix seconds: later log times are refused. */
	int64_t				 now;
};

/* What the bundle must be about. */
struct sig_bundle_subject {
	/* SHA-256 of the artifact (a file, or an image manifest). */
	unsigned char	 sha256[32];
	/*
	 * The artifact's bytes, or NULL when only the digest is known: then
	 * a message signature is checked against the digest (ECDSA, RSA).
	 */
	const void	*data;
	size_t		 len;
};

/* The step of sig_bundle_verify a verdict came from. */
enum sig_bundle_stage {
	SIG_BUNDLE_FORMAT = 0,	/* step 1: the bundle's shape */
	SIG_BUNDLE_KIND,	/* step 1: key where a certificate was wanted,
				   or the other way round */
	SIG_BUNDLE_LOG,		/* step 2: the log entries and their proofs */
	SIG_BUNDLE_TIME,	/* step 3: no verified time */
	SIG_BUNDLE_SIGNER,	/* step 4, or a log entry naming another key */
	SIG_BUNDLE_SIGNATURE,	/* step 5: the signature itself */
	SIG_BUNDLE_SUBJECT,	/* step 5: what the statement is about */
	SIG_BUNDLE_DONE		/* VALID */
};

struct sig_bundle_result {
	enum sig_verdict verdict;	/* VALID, BAD_SIGNATURE, WRONG_DIGEST, MALFORMED */
	enum sig_bundle_stage stage;	/* where the verdict was reached */
	/* One line for a human: who signed, where logged, or why not. */
	char		 reason[SIG_REASON_MAX + 1];
	/* VALID: the earliest verified time of signing (Unix seconds). */
	int64_t		 time;
	/* A DSSE bundle: its statement's predicateType (cut), else "". */
	char		 predicate_type[128];
	/*
	 * Keyless, once the certificate was read: the first email or URI SAN
	 * and the OIDC issuer it claims (raw bytes: escape before printing),
	 * whether or not it is trusted; else "".
	 */
	char		 who[256];
	char		 who_issuer[256];
};

/**
 * Judge the bundle JSON (LEN bytes) for SUBJ under T, in this order (the
 * first failure decides):
 *  1. the JSON parses (duplicate keys refused), its media type is a
 *     v0.1-v0.3 bundle, it has exactly one kind of verification material
 *     (a v0.1/v0.2 chain holding no root; v0.3 a single certificate) and
 *     exactly one content (a DSSE envelope with exactly one signature);
 *     the material matches T (a certificate needs T->id, a key T->key);
 *  2. every transparency log entry (at least one, at most
 *     SIG_BUNDLE_ENTRIES_MAX) is by a log of T->root, logs exactly this
 *     signature, signer and artifact (hashedrekord 0.0.1/0.0.2, dsse
 *     0.0.1, intoto 0.0.2), has a Signed Entry Timestamp (required in
 *     v0.1) that verifies, and an inclusion proof (required from v0.2)
 *     that reaches a checkpoint signed by the log; a verified SET gives a
 *     time, which must lie in the log key's validity and not after T->now;
 *  3. RFC 3161 timestamps over the signature, from a timestamp authority
 *     of T->root, give more times (one that does not verify is not
 *     counted, as in sigstore-go); at least one time is required;
 *  4. the certificate must be valid, chain to a Fulcio CA of T->root
 *     valid, and carry an SCT from a CT log valid, at every verified
 *     time, and name T->id;
 *  5. the signature verifies with the certificate's key or T->key over
 *     the artifact (a message signature, whose messageDigest must also be
 *     SUBJ's) or over the DSSE PAE; a DSSE payload must be an in-toto
 *     statement with a subject whose sha256 is SUBJ's (WRONG_DIGEST).
 * VALID reads "signed by <who> ...; logged in <log> at index N at <time>".
 *
 * Returns RW_OK with *OUT filled (a bad bundle is a verdict), or RW_EINVAL
 * (NULL arguments, not exactly one of T->key and T->id), RW_ETOOBIG (over
 * SIG_BUNDLE_MAX), RW_ENOMEM, RW_ECRYPTO; then OUT says SIG_MALFORMED.
 */
int		 sig_bundle_verify(const char *json, size_t len,
		    const struct sig_bundle_trust *t,
		    const struct sig_bundle_subject *subj,
		    struct sig_bundle_result *out, struct rw_err *err);

/**
 * Parse LEN bytes of a Sigstore trusted_root.json (tlogs, Fulcio CAs, CT
 * logs, timestamp authorities, each with its validFor; a window without a
 * start is refused) into a new *OUT for sig_bundle_trust.root.  Returns
 * RW_OK, or RW_EPARSE / RW_EINVAL with ERR naming the member, RW_ENOMEM.
 */
int		 sig_bundle_root_parse(const char *json, size_t len,
		    struct policy_trustroot **out, struct rw_err *err);
/** Free a root from sig_bundle_root_parse; NULL does nothing. */
void		 sig_bundle_root_free(struct policy_trustroot *root);

#endif /* RW_POLICY_SIG_BUNDLE_H */
