/*
 * tsa.h - RFC 3161 timestamps of Sigstore bundles, judged offline.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Part of policy/sig/, and as pure as the rest of it: bytes in, a verdict out.
 * No network, no files, no logging, no globals, and no clock: the time a
 * timestamp proves is returned to the caller, who checks the signing
 * (Fulcio) certificate against it.  Reentrant; OpenSSL 3 only.
 *
 * A Rekor v2 entry carries no integrated time, so a Sigstore bundle proves
 * when it was signed with a timestamp from a timestamp authority (TSA):
 * verificationMaterial.timestampVerificationData.rfc3161Timestamps[], each
 * a signedTimestamp over the bundle's signature bytes.  The trusted root's
 * "timestampAuthorities" say which TSAs count and when.
 *
 * A verdict is not an error: a timestamp that does not verify is a
 * successful evaluation with a verdict other than SIG_VALID.  The function
 * returns a negative RW_E* code only when it could not decide.
 */
#ifndef RW_POLICY_SIG_TSA_H
#define RW_POLICY_SIG_TSA_H

#include <stddef.h>
#include <stdint.h>

#include "policy/sig/sig.h"		/* enum sig_verdict, SIG_REASON_MAX */
#include "util/util.h"

/* policy/internal.h: a parsed trusted_root.json (sig_trustroot_parse). */
struct sig_trustroot;

/*
 * Longest signedTimestamp read, DER.  Sigstore's TSA answers in about 1.3
 * KB, 5.5 KB with its certificates embedded; a response with a long
 * commercial chain stays far below.
 */
#define SIG_TSA_MAX		(64 * 1024)

/* What one verified timestamp proves; see sig_tsa_verify. */
struct sig_tsa_result {
	enum sig_verdict verdict;	/* SIG_VALID, SIG_BAD_SIGNATURE or
					   SIG_MALFORMED */
	/*
	 * One line for a human: "timestamped at 2025-06-12T12:02:20Z by
	 * \"sigstore-tsa\" (timestampAuthorities[0])", "timestamp is for
	 * other data", "timestamp is not from a trusted TSA: ...".
	 */
	char		 reason[SIG_REASON_MAX + 1];
	/*
	 * Set only when VALID: the token's genTime, Unix seconds (a fraction
	 * of a second is dropped).  0 otherwise.
	 */
	int64_t		 time;
};

/**
 * Judge one RFC 3161 timestamp of a Sigstore bundle, as sigstore-go does.
 *
 * RESP (RLEN bytes) is the DER of rfc3161Timestamps[].signedTimestamp,
 * already base64-decoded: a TimeStampResp whose status is granted (or
 * grantedWithMods), or, when it does not parse as one, a bare
 * TimeStampToken (a CMS ContentInfo), which some producers store.  Bytes
 * after the DER are refused.  SIGNED_BYTES (SLEN bytes) is what was
 * timestamped: the bundle's messageSignature.signature or its DSSE
 * envelope's signatures[0].sig, decoded.  TR is the trusted root; its
 * timestamp authorities (certChain leaf first, root last, each with a
 * validFor window) are the only ones trusted.
 *
 * Checks, in this order; the first failure decides:
 *  1. RESP is 1 to SIG_TSA_MAX bytes, decodes, its status is granted, and
 *     its TSTInfo is version 1 (else MALFORMED);
 *  2. the messageImprint is SHA-256, SHA-384 or SHA-512 of SIGNED_BYTES
 *     (else BAD_SIGNATURE, "timestamp is for other data" when it is a
 *     hash of something else);
 *  3. some TSA of TR vouches for it (else BAD_SIGNATURE).  Each TSA is
 *     tried in turn, until one does:
 *     - the token's one signer must chain to the TSA's last certificate,
 *       the only trust anchor, through the TSA's other certificates or
 *       those the token embeds (untrusted: they can complete a chain,
 *       never end one);
 *     - when the TSA lists two or more certificates and the first is no
 *       CA, that one is its leaf, and the signer must be that very
 *       certificate whatever the token embeds; a TSA listed by CA
 *       certificates alone accepts any leaf the token embeds under them;
 *     - the leaf must be fit for timestamping as RFC 3161 says (extended
 *       key usage timeStamping only, and critical), and a CA above it
 *       that restricts its extended key usage must allow timeStamping;
 *     - the ESS signing-certificate attribute must name the signer by
 *       its hash (stricter than sigstore-go, which compares issuer and
 *       serial only), and the CMS signature must verify;
 *     - genTime must lie inside the TSA's validFor window (both ends
 *       included; a genTime a fraction of a second past the end is
 *       after it) and inside notBefore..notAfter of every certificate
 *       of the chain.
 *     When no TSA vouches, the reason is that of the first TSA whose
 *     certificates verified the signature, else that of the first TSA:
 *     "timestamp is not from a trusted TSA: \"sigstore-tsa\"
 *     (timestampAuthorities[0]): signer certificate not found".  A root
 *     with no TSA: "trusted root has no timestamp authority".
 * VALID sets OUT->time to genTime.
 *
 * Not checked: the TSA's name or policy OID in the TSTInfo, the nonce (no
 * request is at hand), the signing certificate (the caller's job, with
 * OUT->time), and anything about a clock.
 *
 * RESP may be NULL when RLEN is 0 (MALFORMED), SIGNED_BYTES when SLEN is
 * 0.  Returns RW_OK with *OUT filled, or RW_EINVAL (TR or OUT NULL, a NULL
 * buffer with a length, or a TSA of TR whose chain is not PEM
 * certificates), RW_ENOMEM or RW_ECRYPTO (OpenSSL could not set up a
 * verification); then *OUT says SIG_MALFORMED and ERR says why.
 */
int		 sig_tsa_verify(const unsigned char *resp, size_t rlen,
		    const unsigned char *signed_bytes, size_t slen,
		    const struct sig_trustroot *tr,
		    struct sig_tsa_result *out, struct rw_err *err);

#endif /* RW_POLICY_SIG_TSA_H */
