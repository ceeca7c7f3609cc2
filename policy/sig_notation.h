/*
 * sig_notation.h - verifying Notation (Notary Project v1) signatures.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Part of policy/, and as pure as the rest of it: no network, no files, no
 * logging, no globals; OpenSSL 3 and jansson only.  The caller (server/)
 * finds the signature manifest (a referrer with artifactType
 * "application/vnd.cncf.notary.signature"), fetches its one layer, checks
 * the blob against its descriptor, and passes the envelope bytes in along
 * with the trust store's PEM text and the signed manifest's descriptor.
 * See shared/reference/signature-formats.md §4.
 *
 * What is here so far: JWS ("application/jose+json") and COSE
 * ("application/cose") envelopes under the notary.x509 signing scheme.
 * The notary.x509.signingAuthority scheme (which needs RFC 3161
 * timestamps) and verification plugins are SIG_NOTATION_UNSUPPORTED.  Trust-policy semantics
 * (scopes, trusted identities, levels) belong to the caller; this file
 * answers "did a certificate chaining to this trust store sign this
 * manifest, and is the signature still in date".  Every function is
 * reentrant.
 *
 * A verdict is not an error: a signature that does not verify is a
 * successful evaluation with a verdict other than SIG_NOTATION_VALID.
 * Functions return a negative RW_E* code only when they could not decide.
 */
#ifndef RW_POLICY_SIG_NOTATION_H
#define RW_POLICY_SIG_NOTATION_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Longest envelope accepted; notation writes about 2 KiB plus the chain. */
#define SIG_NOTATION_ENVELOPE_MAX	(1024 * 1024)
/* Longest trust store PEM text accepted. */
#define SIG_NOTATION_TRUST_MAX		(1024 * 1024)
/* Most certificates accepted in x5c. */
#define SIG_NOTATION_CHAIN_MAX		10
/* The payload content type every Notation envelope carries. */
#define SIG_NOTATION_PAYLOAD_TYPE \
	"application/vnd.cncf.notary.payload.v1+json"

/*
 * Verdicts.  Checks run in this order and the first failure decides:
 * the envelope and its protected header parse and are well formed
 * (MALFORMED; an algorithm, signing scheme or critical header this code
 * does not know is UNSUPPORTED), the leaf from x5c matches "alg" and the
 * signature verifies over BASE64URL(protected) "." BASE64URL(payload)
 * (BAD_SIGNATURE), x5c chains to a certificate of the trust store at the
 * signing time, and the leaf may sign code (UNTRUSTED), the expiry (if
 * any) is not past (EXPIRED), the payload parses (MALFORMED) and its
 * targetArtifact is the manifest (WRONG_TARGET).
 */
enum sig_notation_verdict {
	SIG_NOTATION_VALID = 0,
	SIG_NOTATION_BAD_SIGNATURE,	/* not made by x5c's leaf over these bytes */
	SIG_NOTATION_UNTRUSTED,		/* good signature, chain not to the store */
	SIG_NOTATION_WRONG_TARGET,	/* good signature, for another manifest */
	SIG_NOTATION_EXPIRED,		/* good signature, past its expiry */
	SIG_NOTATION_MALFORMED,		/* undecodable envelope or payload */
	SIG_NOTATION_UNSUPPORTED	/* a feature not implemented here */
};

/*
 * Notation's verification levels (its trust policy's
 * signatureVerification.level): what is enforced and what only logged.
 * STRICT enforces everything; PERMISSIVE logs the expiry; AUDIT logs the
 * expiry and authenticity (the chain to the trust store) and enforces
 * only integrity and the target.  Notation's "skip" verifies nothing and
 * has no place here.
 */
enum sig_notation_level {
	SIG_NOTATION_STRICT = 0,
	SIG_NOTATION_PERMISSIVE,
	SIG_NOTATION_AUDIT
};

/* sig_notation_result.logged: the failures a level let through. */
#define SIG_NOTATION_LOGGED_EXPIRED	0x01
#define SIG_NOTATION_LOGGED_UNTRUSTED	0x02

/* Longest sig_notation_result.reason, terminator excluded. */
#define SIG_NOTATION_REASON_MAX	400

struct sig_notation_result {
	enum sig_notation_verdict verdict;
	/*
	 * One line for a human, untrusted text escaped and cut: "signed by
	 * C=US, ST=WA, L=Seattle, O=Notary, CN=alpine", "signature does not
	 * verify with the x5c leaf", "signature is for sha256:..., not ...".
	 */
	char		 reason[SIG_NOTATION_REASON_MAX + 1];
	/*
	 * Once x5c decoded: the leaf's subject as "C=US, ST=WA, O=acme,
	 * CN=x" (RFC 2253 escaping, most significant RDN first, the form
	 * Notation's trustedIdentities use; cut at 255 bytes), else "".
	 */
	char		 subject[256];
	/* Once the header parsed: signingTime and expiry, or 0 if absent. */
	int64_t		 signing_time;
	int64_t		 expiry;
	/*
	 * VALID under a level below STRICT: SIG_NOTATION_LOGGED_* bits of the
	 * checks that failed and were only logged, and the first one's reason
	 * (else 0 and "").
	 */
	unsigned	 logged;
	char		 logged_reason[SIG_NOTATION_REASON_MAX + 1];
};

/** The verdict's name: "valid", "bad signature", "untrusted", ... */
const char	*sig_notation_verdict_str(enum sig_notation_verdict v);

/**
 * Judge one Notation JWS envelope: ENVELOPE (LEN bytes, the layer blob as
 * fetched; the flattened JWS JSON serialization), against the X.509
 * certificates in TRUST_STORE_PEM (TLEN bytes of concatenated PEM
 * "CERTIFICATE" blocks, normally roots), for the manifest described by
 * MANIFEST_DIGEST, MANIFEST_SIZE and MANIFEST_MEDIA_TYPE (NULL: not
 * compared), at time NOW (unix seconds) for the expiry check.
 *
 * The chain is built with OpenSSL from x5c's leaf, x5c's other
 * certificates as untrusted intermediates and the trust store as anchors,
 * verified at the header's signingTime (notary.x509: the signer's claim;
 * Notation uses it the same way when no timestamp is present), and the
 * anchor it reaches must itself appear in x5c (Notation's authenticity
 * rule).  The leaf needs keyUsage digitalSignature, and if it has an
 * extended key usage, codeSigning.  Unknown critical extensions are
 * ignored, as Notation does.  Revocation is not checked (offline).
 *
 * LEVEL (enum sig_notation_level) says which failures only get logged: at
 * PERMISSIVE an expired signature, at AUDIT also one whose chain does not
 * reach the store, are VALID with OUT->logged saying so.
 *
 * Returns RW_OK with *OUT filled (verdict, reason, subject, times), or
 * RW_EINVAL (a NULL argument, an empty or over-long digest, LEN over
 * SIG_NOTATION_ENVELOPE_MAX, or a trust store with no certificate or a
 * bad PEM block), RW_ENOMEM or RW_ECRYPTO (OpenSSL failed to set up); then
 * *OUT says SIG_NOTATION_MALFORMED and ERR says why.
 */
int		 sig_notation_verify_jws(const char *envelope, size_t len,
		    const char *trust_store_pem, size_t tlen,
		    const char *manifest_digest, int64_t manifest_size,
		    const char *manifest_media_type, int64_t now, int level,
		    struct sig_notation_result *out, struct rw_err *err);

/**
 * Judge one COSE envelope ("application/cose"): ENVELOPE (LEN bytes) is a
 * COSE_Sign1_Tagged (CBOR tag 18; definite lengths only) whose protected
 * map carries alg (1, a COSE number for one of the JWS algorithms above),
 * crit (2), content type (3) and the io.cncf.notary.* text labels with
 * times as tag 1 epoch seconds, and whose unprotected map carries the
 * chain as x5chain (33).  The signature covers the Sig_structure
 * ["Signature1", protected bytes as received, h'', payload].  Every other
 * rule, verdict, argument and return code is as for
 * sig_notation_verify_jws; reasons name COSE where the JWS ones name JWS
 * members.
 */
int		 sig_notation_verify_cose(const unsigned char *envelope,
		    size_t len, const char *trust_store_pem, size_t tlen,
		    const char *manifest_digest, int64_t manifest_size,
		    const char *manifest_media_type, int64_t now, int level,
		    struct sig_notation_result *out, struct rw_err *err);

#endif /* RW_POLICY_SIG_NOTATION_H */
