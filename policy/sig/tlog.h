/*
 * tlog.h - transparency-log proofs of Sigstore bundles: Merkle
 * inclusion proofs and signed checkpoints.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Part of policy/sig/ and as pure as the rest of it: bytes in, verdict out; no
 * files, network, logging or globals.  Every function is reentrant.  The
 * caller (the bundle verifier) pulls the pieces out of a bundle's
 * verificationMaterial.tlogEntries[i]: the decoded canonicalizedBody, the
 * inclusionProof (logIndex, treeSize, rootHash, hashes) and its
 * checkpoint.envelope, and picks the log of the trusted root whose log id
 * equals the entry's logId.keyId.
 *
 * What a good result proves: the entry's body is leaf INDEX of a tree of
 * SIZE leaves whose root is ROOT (RFC 6962 / RFC 9162 §2.1.3), and the log's
 * key signed a checkpoint (c2sp.org/tlog-checkpoint, a c2sp.org/signed-note)
 * naming that size and root.  Not checked here: which log the entry names
 * (the caller chose LOG), the log key's validity window, the entry's body
 * against the artifact, and consistency with other checkpoints.
 *
 * A verdict is not an error: a proof that does not reach its root, or a
 * checkpoint without the log's signature, is RW_OK with *GOOD 0 and a reason.
 * Functions return a negative RW_E* code only when they could not decide
 * (bad arguments, out of memory, OpenSSL failing to set up).
 *
 * Reasons are one line for a human.  Text from the bundle (origins, signer
 * names) is quoted with bytes outside printable ASCII written as \xNN.
 */
#ifndef RW_POLICY_SIG_TLOG_H
#define RW_POLICY_SIG_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct sig_tlog_key;

/* The length of a tree hash (SHA-256). */
#define SIG_TLOG_HASH_LEN	32
/* Most hashes a proof may hold: a path in a tree of 2^64 leaves. */
#define SIG_TLOG_PROOF_MAX	64
/* Longest checkpoint read; Rekor's are about 200 bytes, with witnesses 1 KiB. */
#define SIG_CHECKPOINT_MAX	(64 * 1024)
/* Most signature lines a checkpoint may carry (as golang.org/x/mod's note). */
#define SIG_CHECKPOINT_SIGS_MAX	100
/* Longest checkpoint origin line, terminator excluded. */
#define SIG_CHECKPOINT_ORIGIN_MAX	255

/* An inclusion proof, as a bundle's inclusionProof holds it (decoded). */
struct sig_tlog_proof {
	uint64_t		 index;	/* tree-local: inclusionProof.logIndex */
	uint64_t		 size;	/* inclusionProof.treeSize */
	unsigned char		 root[SIG_TLOG_HASH_LEN];	/* rootHash */
	/* The sibling hashes, leaf to root; borrowed. */
	const unsigned char	(*hashes)[SIG_TLOG_HASH_LEN];
	size_t			 nhashes;
};

/*
 * What a verified checkpoint says.  ORIGIN is its first line as written
 * (valid UTF-8 without control characters, not escaped: escape it before
 * printing it).
 */
struct sig_checkpoint {
	char		 origin[SIG_CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t	 size;
	unsigned char	 root[SIG_TLOG_HASH_LEN];
};

/**
 * The RFC 6962 leaf hash of BODY (LEN bytes, the decoded canonicalizedBody):
 * SHA-256(0x00 || BODY) into OUT.  BODY may be NULL when LEN is 0.  Returns
 * RW_OK, or RW_EINVAL (OUT NULL, BODY NULL with LEN > 0), RW_ENOMEM or
 * RW_ECRYPTO (OpenSSL failed), with OUT all zeros when there is one.
 */
int	 sig_tlog_leaf_hash(const void *body, size_t len,
	    unsigned char out[SIG_TLOG_HASH_LEN], struct rw_err *err);

/**
 * Whether P proves that LEAF (a leaf hash) is leaf P->index of the tree of
 * P->size leaves with root P->root, by RFC 9162 §2.1.3.2, interior nodes
 * being SHA-256(0x01 || left || right).  *GOOD is 1 when it does, and
 * REASON (RSIZE bytes, may be NULL when RSIZE is 0) reads "inclusion proof
 * of leaf 5 in a tree of 8 leads to its root hash 1f2e3d4c5b6a7988...";
 * otherwise *GOOD is 0 and REASON says why:
 *  - "inclusion proof: leaf index 8 is not below tree size 8" (also for a
 *    tree of size 0);
 *  - "inclusion proof has 4 hashes; leaf 5 of a tree of 8 needs 3": the
 *    number of hashes must be exactly the path length (a tree of one leaf
 *    needs none: its root is the leaf hash);
 *  - "inclusion proof of leaf 5 in a tree of 8 does not lead to its root
 *    hash 1f2e3d4c5b6a7988...".
 * Returns RW_OK, or RW_EINVAL (a NULL argument, or HASHES NULL with
 * NHASHES > 0), RW_ENOMEM or RW_ECRYPTO, with *GOOD 0.
 */
int	 sig_tlog_inclusion_verify(const unsigned char leaf[SIG_TLOG_HASH_LEN],
	    const struct sig_tlog_proof *p, int *good, char *reason,
	    size_t rsize, struct rw_err *err);

/**
 * Judge checkpoint NOTE (LEN bytes, the inclusion proof's
 * checkpoint.envelope; need not be NUL-terminated) against LOG, a tlog of a
 * trusted root (policy/internal.h; it must have a key).
 *
 * The note must be a well-formed signed note: at most SIG_CHECKPOINT_MAX
 * bytes of UTF-8 without control characters other than '\n'; its text (the
 * signed message) is the lines before the first blank line, each ending
 * in '\n': the origin (1 to SIG_CHECKPOINT_ORIGIN_MAX bytes), the tree
 * size in decimal without sign or leading zeros, the root hash as base64
 * of exactly 32 bytes, then any extension lines (ignored).  After the
 * blank line come 1 to SIG_CHECKPOINT_SIGS_MAX signature lines, each
 * "— NAME BASE64\n" (U+2014, a space, a name that is non-empty without
 * white space or '+', a space, and strict base64 of a 4-byte key hint
 * followed by at least one byte of signature).  Anything else makes the
 * whole checkpoint malformed, even in a line that would be ignored.
 *
 * A signature line is the log's when its name and key hint are the log's:
 *  - Ed25519 logs (Rekor v2): the name is LOG->origin, and the hint the
 *    first 4 bytes of LOG->note_id, SHA-256(origin "\n" 0x01 key).  The
 *    checkpoint's origin line must be LOG->origin too.  Pure Ed25519 over
 *    the text.
 *  - Other logs (ECDSA: Rekor v1; RSA is judged alike): the hint is the
 *    first 4 bytes of the SHA-256 of the key's DER SPKI (sig_key_id, the
 *    log id).  The signature is checked as sig_key_verify does (ECDSA:
 *    DER, SHA-256) over the text.  The name depends on the origin line:
 *     - "HOST - TREEID" (TREEID decimal), as Rekor v1 writes it
 *       ("rekor.sigstore.dev - 2605736670972794746"): the name must be
 *       HOST, which is not compared with the trusted root: Rekor v1 signs
 *       with its configured hostname, which trusted_root.json does not
 *       record (sigstore-go ignores the name of such checkpoints);
 *     - anything else (an ECDSA Rekor v2 log): as for Ed25519, the origin
 *       line and the name must both be LOG->origin.
 * At least one line must be the log's, and every line that is the log's
 * must verify.  Other lines (witness cosignatures, other keys) are ignored.
 *
 * Compared with sigstore-go: for Rekor v2 it uses golang.org/x/mod's
 * note.Open, which also ignores unknown signers but checks only the first
 * of repeated lines by one key; for Rekor v1 checkpoints it requires every
 * line to carry the log's hint and verify, ignoring names, so a cosigned
 * v1 checkpoint passes here and fails there.  Its log name is the host of
 * baseUrl; LOG->origin keeps a port or path the baseUrl has.
 *
 * Returns RW_OK with *GOOD 1 and *CP filled when the checkpoint is the
 * log's; REASON then reads "checkpoint of log2025-alpha1.rekor.sigstage.dev
 * at size 736 signed by the log (key hint f30d5a99)".  Otherwise RW_OK with
 * *GOOD 0, *CP zeroed and REASON saying why, one of:
 *  - "checkpoint is malformed: <what>";
 *  - "checkpoint origin \"<origin>\" is not log <LOG->origin>";
 *  - "log has no origin (baseUrl) in the trusted root to identify its
 *    checkpoint signatures by" (Ed25519 logs, and other logs with a
 *    non-Rekor-v1 origin line);
 *  - "checkpoint has no signature by log rekor.sigstore.dev (key hint
 *    c0d23d6a)";
 *  - "checkpoint signature by log rekor.sigstore.dev (key hint c0d23d6a)
 *    does not verify".
 * The checkpoint's size and root are NOT compared with anything here:
 * sig_tlog_verify does that.  Returns RW_EINVAL (a NULL argument, LOG
 * without a key), RW_ENOMEM or RW_ECRYPTO, with *GOOD 0 and ERR saying
 * why.
 */
int	 sig_checkpoint_verify(const char *note, size_t len,
	    const struct sig_tlog_key *log, struct sig_checkpoint *cp,
	    int *good, char *reason, size_t rsize, struct rw_err *err);

/**
 * The whole offline proof of one tlog entry: BODY (BLEN bytes, the decoded
 * canonicalizedBody) is included by proof P, checkpoint NOTE (NLEN bytes)
 * is LOG's (sig_checkpoint_verify), and the checkpoint's size and root hash
 * equal P->size and P->root.  Checked in that order; the first failure
 * decides.  NOTE NULL (a bundle without checkpoint) is a failure: "inclusion
 * proof has no checkpoint".  The other reasons are those of
 * sig_tlog_inclusion_verify and sig_checkpoint_verify, and
 *  - "checkpoint size 736 is not the inclusion proof's tree size 735";
 *  - "checkpoint root hash 1a2b3c4d5e6f7081... is not the inclusion
 *    proof's root hash aebd583d8d327405...".
 * When *GOOD is 1, REASON is the checkpoint's.  Returns RW_OK, or a code
 * as those functions do, with *GOOD 0.
 */
int	 sig_tlog_verify(const void *body, size_t blen,
	    const struct sig_tlog_proof *p, const char *note, size_t nlen,
	    const struct sig_tlog_key *log, int *good, char *reason,
	    size_t rsize, struct rw_err *err);

#endif /* RW_POLICY_SIG_TLOG_H */
