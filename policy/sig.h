/*
 * sig.h - verifying image signatures over bytes already fetched.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Part of policy/, and as pure as the rest of it: no network, no files, no
 * logging, no globals; OpenSSL 3 and jansson only.  The caller (server/)
 * discovers and fetches the signature manifests and blobs, checks each
 * blob against its descriptor's digest and size, and passes the bytes in.
 *
 * What is here so far: cosign key-based signatures in the legacy layout
 * (the `sha256-<hex>.sig` tag, one "simple signing" layer per signature,
 * see shared/reference/signature-formats.md §1).  A struct sig_key is
 * immutable once loaded and may be shared by every thread; every other
 * function here is reentrant.
 *
 * A verdict is not an error: a signature that does not verify, or that
 * names another image, is a successful evaluation with a verdict other than
 * SIG_VALID.  Functions return a negative RW_E* code only when they could
 * not decide (bad arguments, out of memory, OpenSSL failing to set up).
 */
#ifndef RW_POLICY_SIG_H
#define RW_POLICY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct sig_key;

/* Longest PEM text sig_key_load accepts; a 4096-bit RSA key is 800 bytes. */
#define SIG_KEY_PEM_MAX		(64 * 1024)
/* Longest cosign payload; cosign writes about 250 bytes plus annotations. */
#define SIG_COSIGN_PAYLOAD_MAX	(1024 * 1024)
/* Longest signature annotation; a 4096-bit RSA signature is 684 chars. */
#define SIG_COSIGN_SIG_MAX	4096
/* The critical.type every cosign simple-signing payload carries. */
#define SIG_COSIGN_TYPE		"cosign container image signature"
/* The media type of a cosign signature layer (checked by the caller). */
#define SIG_COSIGN_MEDIA_TYPE	"application/vnd.dev.cosign.simplesigning.v1+json"

/**
 * Load a public key from PEM text (LEN bytes, need not be NUL-terminated):
 * exactly one "PUBLIC KEY" block holding a SubjectPublicKeyInfo, as cosign
 * writes cosign.pub.  Text before the block is ignored; a second PEM block,
 * PEM headers, or bytes after the DER inside the block are refused.
 * Accepted key types: ECDSA on P-256, P-384 or P-521; RSA of 2048 to 4096
 * bits; Ed25519.  Returns RW_OK and a new key in *OUT (free it with
 * sig_key_free), or leaves *OUT NULL and returns RW_EPARSE (not a PEM
 * PUBLIC KEY), RW_EUNSUPPORTED (another key type, curve or size; ERR names
 * it), RW_ETOOBIG (over SIG_KEY_PEM_MAX), RW_EINVAL, RW_ENOMEM or
 * RW_ECRYPTO (OpenSSL failed to re-encode the key).
 */
int		 sig_key_load(const char *pem, size_t len, struct sig_key **out,
		    struct rw_err *err);

/** Free K; NULL does nothing. */
void		 sig_key_free(struct sig_key *k);

/**
 * The key's id for messages and caches: "sha256:<hex>" of the DER
 * SubjectPublicKeyInfo (the form Sigstore trusted roots use for key ids).
 * Borrowed: valid as long as K.
 */
const char	*sig_key_id(const struct sig_key *k);

/** What K is, for messages: "ECDSA P-256", "RSA 4096", "Ed25519".  Borrowed. */
const char	*sig_key_kind(const struct sig_key *k);

/*
 * Verdicts.  Checks run in this order and the first failure decides:
 * the signature annotation decodes (MALFORMED), the signature verifies over
 * the payload bytes (BAD_SIGNATURE), the payload parses (MALFORMED), its
 * critical.type is the cosign one (WRONG_TYPE), and its
 * critical.image.docker-manifest-digest equals the manifest digest
 * (WRONG_DIGEST).  The payload is only parsed once its signature verified,
 * so MALFORMED after that point means the key's holder signed nonsense.
 */
enum sig_verdict {
	SIG_VALID = 0,
	SIG_BAD_SIGNATURE,	/* not made by this key over these bytes */
	SIG_WRONG_DIGEST,	/* a good signature, for another manifest */
	SIG_WRONG_TYPE,		/* a good signature over something else */
	SIG_MALFORMED		/* undecodable signature or payload */
};

/* Longest sig_result.reason, terminator excluded. */
#define SIG_REASON_MAX	400

struct sig_result {
	enum sig_verdict verdict;
	/*
	 * One line for a human, untrusted text quoted and cut: "signed by
	 * ECDSA P-256 key sha256:...", "signature does not verify with ...",
	 * "signature is for sha256:..., not sha256:...".
	 */
	char		 reason[SIG_REASON_MAX + 1];
	/*
	 * Once the payload parsed: the docker-manifest-digest it names, when
	 * that looks like a digest and fits (else ""), so that WRONG_DIGEST
	 * can say which image was signed.
	 */
	char		 digest[RW_DIGEST_MAX];
	/*
	 * Once the payload parsed: critical.identity.docker-reference as
	 * written (cut at 255 bytes; escape it before printing), or "".
	 * Cosign ignores it (images get copied); kept for policies.
	 */
	char		 reference[256];
};

/** The verdict's name: "valid", "bad signature", "wrong digest", ... */
const char	*sig_verdict_str(enum sig_verdict v);

/**
 * Judge one cosign key-based signature: PAYLOAD (PLEN bytes, the layer
 * blob exactly as fetched) signed by K, with SIG_B64 the layer's
 * "dev.cosignproject.cosign/signature" annotation (standard base64 with
 * padding; line breaks are skipped as cosign does, since signatures made
 * with `openssl base64` carry them, but any other whitespace or anything
 * else non-canonical is MALFORMED), for
 * the manifest MANIFEST_DIGEST ("sha256:<hex>", compared byte for byte).
 *
 * The signature is checked over the exact payload bytes, with the
 * algorithm the key type implies, since cosign stores none:
 *  - ECDSA: SHA-256 whatever the curve (cosign's default, also for P-384
 *    and P-521 keys), signature in ASN.1 DER;
 *  - RSA: PKCS#1 v1.5 with SHA-256;
 *  - Ed25519: pure Ed25519, or Ed25519ph (RFC 8032's prehashed variant,
 *    cosign's default for Ed25519 keys; checked by policy/sig_ed25519.c,
 *    as OpenSSL 3.0 lacks it).
 *
 * The payload is parsed with duplicate keys refused.  Go's encoding/json,
 * which cosign uses, matches object keys to fields case-insensitively, and
 * old cosign wrote "Critical": keys are matched ignoring ASCII case, so
 * such payloads verify.  Go also folds some non-ASCII letters onto ASCII
 * ones (U+212A onto 'k', U+017F onto 's', more in some versions), and its
 * newer decoder can ignore '-' and '_' in names; so the objects we read
 * (the top level, critical, critical.image, critical.identity) may hold
 * only ASCII keys, and two keys that name the same field when case, '-'
 * and '_' are ignored are refused (MALFORMED), where Go would merge them
 * or take the last one.  Whatever we accept, every Go version reads alike.
 * Other keys are ignored, as Go does; "optional" must be an object or null
 * but is not read.
 *
 * Not checked here (the caller's job): the layer's media type
 * (SIG_COSIGN_MEDIA_TYPE), the blob digest against its descriptor, the
 * Rekor bundle and any certificate annotations.
 *
 * Returns RW_OK with *OUT filled (verdict and reason), or RW_EINVAL (a
 * NULL argument, or MANIFEST_DIGEST empty or over RW_DIGEST_MAX - 1
 * bytes), RW_ENOMEM, or RW_ECRYPTO when OpenSSL could not set up a
 * verification; then *OUT says SIG_MALFORMED and ERR says why.
 */
int		 sig_cosign_verify(const struct sig_key *k, const char *payload,
		    size_t plen, const char *sig_b64,
		    const char *manifest_digest, struct sig_result *out,
		    struct rw_err *err);

/**
 * Verify SIG (SLEN raw bytes: DER for ECDSA) over MSG with K, hashing as
 * cosign does for that key type (SHA-256; Ed25519 pure or prehashed).
 * *GOOD is 1 when it verifies.  Returns RW_OK (a bad signature is *GOOD 0, not an error),
 * or RW_ENOMEM / RW_ECRYPTO when the check could not be set up.
 */
int		 sig_key_verify(const struct sig_key *k, const void *msg,
		    size_t mlen, const unsigned char *sig, size_t slen, int *good,
		    struct rw_err *err);

/**
 * As sig_key_verify, for a signature over a message of which only the
 * SHA-256 DGST (DLEN = 32) is known: ECDSA and RSA (PKCS#1 v1.5) only.
 * Returns RW_OK, RW_EUNSUPPORTED for an Ed25519 key (it signs the bytes),
 * RW_EINVAL, RW_ENOMEM or RW_ECRYPTO.
 */
int		 sig_key_verify_digest(const struct sig_key *k,
		    const unsigned char *dgst, size_t dlen,
		    const unsigned char *sig, size_t slen, int *good,
		    struct rw_err *err);

/**
 * The reason of a result that could not be decided (RC, a negative RW_E*
 * code, with ERR's message when it has one): "could not verify: <why>".
 */
void		 sig_reason_undecided(char *reason, size_t size, int rc,
		    const struct rw_err *err);

/* sig_b64_decode flag: skip '\r' and '\n' anywhere, as Go's decoder does. */
#define SIG_B64_LINES	0x01

/**
 * Strict standard base64 (RFC 4648 §4, with padding): LEN bytes of IN,
 * length a multiple of 4, '=' only as the last one or two characters,
 * unused bits zero, no whitespace except line breaks when FLAGS has
 * SIG_B64_LINES.  Returns RW_OK and a new buffer in *OUT (*OUTLEN bytes,
 * NUL-terminated for convenience; the caller frees it), or RW_EPARSE with
 * ERR naming the offset in IN of the first bad character, or RW_ENOMEM.
 * An empty input decodes to an empty buffer.
 */
int		 sig_b64_decode(const char *in, size_t len, int flags,
		    unsigned char **out, size_t *outlen, struct rw_err *err);

/* ------------------------------------------------ Rekor bundles (SETs) */

/* Longest "dev.sigstore.cosign/bundle" annotation sig_rekor_verify_set reads. */
#define SIG_REKOR_BUNDLE_MAX	(256 * 1024)

/* What a verified Rekor bundle proves; see sig_rekor_verify_set. */
struct sig_rekor {
	enum sig_verdict verdict;	/* SIG_VALID, SIG_BAD_SIGNATURE, SIG_MALFORMED */
	/* One line for a human, as sig_result.reason. */
	char		 reason[SIG_REASON_MAX + 1];
	/* Set only when VALID: the log's time (Unix seconds) and index. */
	int64_t		 integrated_time;
	int64_t		 log_index;
	/* The entry's kind once the body parsed: "hashedrekord" or "rekord". */
	char		 kind[16];
};

/**
 * Judge the Rekor bundle annotation ("dev.sigstore.cosign/bundle", LEN
 * bytes of BUNDLE_JSON) of one cosign signature layer, offline, as
 * signature-formats.md §2.2 describes:
 *  - Payload.logID must be the hex SHA-256 of REKOR_KEY's SPKI (its
 *    sig_key_id without "sha256:");
 *  - SignedEntryTimestamp must verify with REKOR_KEY over the canonical
 *    JSON {"body","integratedTime","logID","logIndex"} rebuilt here;
 *  - the body (base64 of a "hashedrekord" or "rekord" entry) must name
 *    sha256 of PAYLOAD (PLEN bytes, the layer blob), hold SIG_B64 (the
 *    layer's signature annotation) byte for byte, and hold as its public
 *    key the certificate CERT_PEM (keyless: the DER of both certificates
 *    must be equal) or, when CERT_PEM is NULL, the key SIGNING_KEY (equal
 *    SPKI, compared by sig_key_id).
 * Exactly one of CERT_PEM and SIGNING_KEY must be non-NULL.
 *
 * Not checked (no clock here, nor parses trusted_root.json (policy/trustroot.c does)): that
 * integratedTime is not in the future and lies inside the Rekor key's
 * validity window; the caller does that with OUT->integrated_time.
 *
 * Returns RW_OK with OUT's verdict and reason set (VALID: "logged in
 * Rekor at index N, integrated at 2023-01-20T20:51:37Z"), or RW_EINVAL (a
 * NULL argument), RW_ENOMEM or RW_ECRYPTO; then OUT says SIG_MALFORMED.
 */
int		 sig_rekor_verify_set(const struct sig_key *rekor_key,
		    const char *bundle_json, size_t len, const char *sig_b64,
		    const char *payload, size_t plen, const char *cert_pem,
		    const struct sig_key *signing_key, struct sig_rekor *out,
		    struct rw_err *err);

/**
 * Whether SET_B64 (a Signed Entry Timestamp, standard base64) is REKOR_KEY's
 * signature over the canonical JSON {"body","integratedTime","logID",
 * "logIndex"} of an entry: BODY_B64 (the entry as logged, standard base64),
 * TIME, INDEX (the global log index) and the key's own log id.  *GOOD is 1
 * when it verifies; else WHY (WHYSIZE bytes) may say why (" (...)", or "").
 * Returns RW_OK, or RW_ENOMEM / RW_ECRYPTO.
 */
int		 sig_rekor_set_ok(const struct sig_key *rekor_key,
		    const char *body_b64, int64_t time, int64_t index,
		    const char *set_b64, int *good, char *why, size_t whysize,
		    struct rw_err *err);

/* --------------------------------------------------- cosign keyless */

/* Longest PEM text sig_keyless_verify reads, leaf or trusted bundle. */
#define SIG_CERT_PEM_MAX	(256 * 1024)
/* Most CT log keys a sig_keyless_trust may hold. */
#define SIG_CTLOG_MAX		16

/* The trust material a keyless signature is judged by (PEM text). */
struct sig_keyless_trust {
	/* Fulcio roots and intermediates, all trusted; required. */
	const char	*roots_pem;
	size_t		 roots_len;
	/*
	 * "PUBLIC KEY" blocks of the CT logs Fulcio submits to, or NULL:
	 * then the embedded SCT is not checked (cosign's
	 * --insecure-ignore-sct).
	 */
	const char	*ctlogs_pem;
	size_t		 ctlogs_len;
};

/* Whom a keyless signature must come from. */
struct sig_identity {
	/*
	 * The SAN (email or URI) that must appear in the leaf, exactly; or
	 * NULL with SUBJECT_REGEX set: a POSIX ERE that must match a whole
	 * SAN (it is anchored as ^(RE)$, unlike cosign's Go regexp, so that
	 * "mitr@redhat\.com" cannot admit "mitr@redhat.com.evil.example").
	 */
	const char	*subject;
	const char	*subject_regex;
	/* The OIDC issuer, exactly (Fulcio extension .1.8, else .1.1). */
	const char	*issuer;
};

/**
 * Judge one cosign keyless signature (signature-formats.md §2.3, §2.4):
 * CERT_PEM (CERT_LEN bytes, the layer's "dev.sigstore.cosign/certificate"
 * annotation: one CERTIFICATE block) must chain, at time AT (Unix seconds:
 * the integrated time of a verified Rekor bundle, see
 * sig_rekor_verify_set), to a self-signed certificate in TRUST->roots_pem.
 * CHAIN_PEM (CHAIN_LEN bytes, or NULL: the layer's
 * "dev.sigstore.cosign/chain" annotation) is only a pool of untrusted
 * intermediates, as containers/image uses it: a root in it counts only
 * when the trusted roots hold the same certificate.  With
 * TRUST->ctlogs_pem, one of the leaf's embedded SCTs (RFC 6962 v1, over
 * the precertificate rebuilt from the leaf and its issuer) must verify
 * with one of those log keys, found by log id.  The leaf must carry
 * the code-signing EKU, a SAN matching ID->subject or ID->subject_regex,
 * and the OIDC issuer ID->issuer (when both issuer extensions are present
 * they must agree).  Then the signature SIG_B64 over PAYLOAD is checked
 * with the leaf's key, and the payload's claim against MANIFEST_DIGEST,
 * exactly as sig_cosign_verify does.
 *
 * Not checked: the validFor windows of trusted_root.json (the caller
 * picks the material valid at AT), the SCT's timestamp.
 *
 * Verdicts: MALFORMED (leaf not one PEM certificate, chain not PEM
 * certificates), BAD_SIGNATURE (no chain at AT, no verifying SCT, no
 * code-signing EKU, wrong identity or issuer, or the signature does not
 * verify), then those of sig_cosign_verify.  VALID
 * reads "signed by mitr@redhat.com (issuer https://github.com/login/oauth)
 * with a Fulcio certificate (ECDSA P-256 key sha256:...)".
 *
 * Returns RW_OK with *OUT filled, or RW_EINVAL (a NULL argument, no
 * identity or issuer, a regex that does not compile, roots with no
 * certificate or a bad one, CT log keys that are not PEM public keys or
 * more than SIG_CTLOG_MAX: configuration errors), RW_ETOOBIG, RW_ENOMEM
 * or RW_ECRYPTO; then *OUT says SIG_MALFORMED and ERR says why.
 */
int		 sig_keyless_verify(const char *cert_pem, size_t cert_len,
		    const char *chain_pem, size_t chain_len,
		    const struct sig_keyless_trust *trust,
		    const struct sig_identity *id, int64_t at,
		    const char *payload, size_t plen, const char *sig_b64,
		    const char *manifest_digest, struct sig_result *out,
		    struct rw_err *err);

/**
 * The certificate half of sig_keyless_verify, for signatures over other
 * things than a cosign payload (Sigstore bundles): CERT_PEM must chain at
 * AT to TRUST's roots (CHAIN_PEM, or NULL, an untrusted pool), carry a
 * verifying SCT when TRUST has CT logs, the code-signing EKU, ID's SAN and
 * issuer.  VALID puts the leaf's public key in *KEY (free it with
 * sig_key_free) and "signed by <san> (issuer <iss>) with a Fulcio
 * certificate (...)" in OUT->reason; other verdicts leave *KEY NULL.
 * Returns as sig_keyless_verify.
 */
int		 sig_keyless_leaf(const char *cert_pem, size_t cert_len,
		    const char *chain_pem, size_t chain_len,
		    const struct sig_keyless_trust *trust,
		    const struct sig_identity *id, int64_t at,
		    struct sig_key **key, struct sig_result *out,
		    struct rw_err *err);

#endif /* RW_POLICY_SIG_H */
