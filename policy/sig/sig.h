/*
 * sig.h - verifying image signatures over bytes already fetched: the one
 * header through which the rest of regwarden calls policy/sig/.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Owns: cosign key-based and keyless signatures (the `sha256-<hex>.sig`
 * tag, one "simple signing" layer per signature, see
 * shared/reference/signature-formats.md §1), cosign's Rekor bundle (SET),
 * Sigstore bundles with their transparency-log proofs and RFC 3161
 * timestamps, Notation JWS and COSE envelopes, and Sigstore
 * trusted_root.json files.  Library rw_sig, below policy/: it may call
 * util/ (and OpenSSL 3, jansson) and nothing else of regwarden; policy/
 * (sigcheck.c, sigload.c), server/ and cli/ call what this header
 * declares, and nothing includes policy/sig/internal.h, tlog.h, tsa.h or
 * bundle_int.h but the files of this folder and their tests.
 *
 * Pure: no network, no files, no logging, no globals, no clock (the
 * caller passes "now").  The caller (server/) discovers and fetches the
 * signature manifests and blobs, checks each blob against its
 * descriptor's digest and size, and passes the bytes in.  A struct
 * sig_key or struct sig_trustroot is immutable once loaded and may be
 * shared by every thread; every other function here is reentrant.
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
 *    cosign's default for Ed25519 keys; checked by policy/sig/ed25519.c,
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

/* ------------------------------------------------- Rekor bundles (SETs) */

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
 * Not checked (no clock here; trustroot.c parses trusted_root.json): that
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

/* ------------------------------------------------------- cosign keyless */

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

/* -------------------------------------------------------- trusted roots */

/* A window of validity from trusted_root.json, Unix seconds, inclusive. */
struct sig_window {
	int64_t		 start;
	int64_t		 end;		/* INT64_MAX when open-ended */
};

/* One Fulcio CA: its chain (leafmost first, root last) as PEM text. */
struct sig_trustca {
	char			*pem;
	size_t			 len;
	struct sig_window	 valid;
};

/* One transparency log (Rekor) or CT log key. */
struct sig_tlog_key {
	struct sig_key		*key;
	char			*pem;		/* the key as PEM text */
	size_t			 len;
	struct sig_window	 valid;
	/*
	 * Tlogs only: the log's checkpoint origin, the host of its "baseUrl"
	 * ("log2025-1.rekor.sigstore.dev"), or NULL when it has none.
	 */
	char			*origin;
	/* The "logId.keyId" as written (decoded), or all zeros when absent. */
	unsigned char		 log_id[32];
	int			 has_log_id;
	/*
	 * Ed25519 logs with an origin: the signed-note key id
	 * SHA-256(origin "\n" 0x01 raw key); its first 4 bytes are the key
	 * hint of the log's checkpoint signatures.
	 */
	unsigned char		 note_id[32];
	int			 has_note_id;
};

/* A Sigstore trusted_root.json, parsed (trustroot.c). */
struct sig_trustroot {
	struct sig_trustca	*cas;
	size_t			 ncas;
	struct sig_tlog_key	*tlogs;
	size_t			 ntlogs;
	struct sig_tlog_key	*ctlogs;
	size_t			 nctlogs;
	/* RFC 3161 timestamp authorities: chain leaf first, root last. */
	struct sig_trustca	*tsas;
	size_t			 ntsas;
};

/* sig_trustroot_parse flag: only the Rekor keys matter (key-based keys). */
#define SIG_TROOT_REKOR_ONLY	0x01

/*
 * trustroot.c: parse LEN bytes of trusted_root.json into a new *OUT (free
 * with sig_trustroot_free).  "tlogs" is required, and so is a non-empty
 * "certificateAuthorities" unless FLAGS has SIG_TROOT_REKOR_ONLY.
 * Returns RW_OK, or RW_EPARSE / RW_EINVAL with ERR naming the member
 * ("tlogs[0].publicKey.rawBytes: ...") and *OUT NULL, or RW_ENOMEM.  Every
 * certificate must parse as X.509 and every key as a key sig_key_load
 * accepts; a logId.keyId must be the SHA-256 of its key.  Pure: the
 * caller reads the file.
 */
int	 sig_trustroot_parse(const char *json, size_t len, int flags,
	    struct sig_trustroot **out, struct rw_err *err);
void	 sig_trustroot_free(struct sig_trustroot *t);
/*
 * trustroot.c: the identity a Fulcio certificate (PEM) claims, for
 * messages: its first email or URI SAN into SUBJECT and its OIDC issuer
 * extension into ISSUER (cut to fit; raw bytes, escape before printing).
 * Returns 0, or -1 with both "" or one missing when it has no such thing.
 */
int	 sig_cert_identity(const char *pem, char *subject, size_t ssize,
	    char *issuer, size_t isize);
/*
 * trustroot.c: the PEM texts of TR's CAs (CAS) or CT log keys (!CAS) whose
 * window holds AT, concatenated, in *OUT (NULL when none is valid then).
 * Returns 0, or -1 when out of memory.
 */
int	 sig_trustroot_pems(const struct sig_trustroot *tr, int cas,
	    int64_t at, char **out);

/* Whether T lies in W. */
int	 sig_window_has(const struct sig_window *w, int64_t t);

/* ----------------------------------------------------- Sigstore bundles */

/*
 * verifying Sigstore bundles (cosign v3's signatures).
 *
 * As pure as the rest of this header: bytes in, verdict out,
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

struct sig_trustroot;

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
	const struct sig_trustroot	*root;
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
 * The in-toto statement of a DSSE bundle JSON (LEN bytes): its envelope's
 * payload, decoded, into a new *OUT (*OLEN bytes, NUL-terminated; the
 * caller frees).  Only meaningful once sig_bundle_verify judged the same
 * bytes VALID: it parses, it does not verify.  Returns RW_OK, or RW_EPARSE
 * (no DSSE envelope, a payload that is not base64), RW_EINVAL (over
 * SIG_BUNDLE_MAX), RW_ENOMEM, with ERR set.
 */
int		 sig_bundle_statement(const char *json, size_t len, char **out,
		    size_t *olen, struct rw_err *err);

/**
 * Parse LEN bytes of a Sigstore trusted_root.json (tlogs, Fulcio CAs, CT
 * logs, timestamp authorities, each with its validFor; a window without a
 * start is refused) into a new *OUT for sig_bundle_trust.root.  Returns
 * RW_OK, or RW_EPARSE / RW_EINVAL with ERR naming the member, RW_ENOMEM.
 */
int		 sig_bundle_root_parse(const char *json, size_t len,
		    struct sig_trustroot **out, struct rw_err *err);
/** Free a root from sig_bundle_root_parse; NULL does nothing. */
void		 sig_bundle_root_free(struct sig_trustroot *root);

/* ------------------------------------------- cosign attestations (DSSE) */

/*
 * A cosign attestation (`cosign attest`): one layer of the
 * `sha256-<hex>.att` manifest, of media type SIG_DSSE_MEDIA, holding a DSSE
 * envelope {"payloadType", "payload" (base64), "signatures": [{"sig"}]}
 * whose payload is an in-toto statement; the layer's "predicateType"
 * annotation is unsigned and not read.
 */
#define SIG_DSSE_MEDIA		"application/vnd.dsse.envelope.v1+json"
/* Largest envelope read: SBOMs of big images run to megabytes. */
#define SIG_DSSE_MAX		(16 * 1024 * 1024)
/* Most signatures one envelope may carry (cosign writes one). */
#define SIG_DSSE_SIGS_MAX	8
/* The in-toto statement types accepted. */
#define SIG_INTOTO_V01		"https://in-toto.io/Statement/v0.1"
#define SIG_INTOTO_V1		"https://in-toto.io/Statement/v1"

struct sig_dsse_result {
	enum sig_verdict verdict;
	/* One line for a human: "attested by ECDSA P-256 key sha256:..." */
	char		 reason[SIG_REASON_MAX + 1];
	/*
	 * Once the payload decoded: the statement's predicateType (cut), or
	 * "".  Before VALID, WRONG_DIGEST or WRONG_TYPE it is the unverified
	 * claim of whoever made the envelope: for messages only.
	 */
	char		 predicate_type[256];
	/* WRONG_DIGEST: the statement's first sha256 subject, or "". */
	char		 digest[RW_DIGEST_MAX];
	/* VALID: the statement's bytes (NUL-terminated, SLEN long); freed by
	   sig_dsse_result_free. */
	char		*statement;
	size_t		 slen;
};

/**
 * Judge one DSSE envelope ENV (LEN bytes, the layer blob as fetched) for
 * the manifest DIGEST with key K, in this order (the first failure
 * decides): the envelope parses (duplicate keys refused) with a
 * payloadType, a base64 payload and 1 to SIG_DSSE_SIGS_MAX signatures
 * (MALFORMED); one signature verifies with K over the DSSE PAE, hashed as
 * sig_key_verify does (BAD_SIGNATURE); the payload type is
 * SIG_BUNDLE_INTOTO (WRONG_TYPE); the payload is an in-toto statement
 * (v0.1 or v1) with subject, predicateType and an object predicate
 * (MALFORMED), one of whose subjects has DIGEST's algorithm and hex
 * (WRONG_DIGEST).  VALID hands the statement over in OUT (free it with
 * sig_dsse_result_free, which is harmless on any result).
 *
 * Returns RW_OK with *OUT filled, or RW_EINVAL (a NULL argument, an empty
 * DIGEST), RW_ENOMEM or RW_ECRYPTO; then OUT says MALFORMED.
 */
int		 sig_dsse_verify(const struct sig_key *k, const char *env,
		    size_t len, const char *digest, struct sig_dsse_result *out,
		    struct rw_err *err);
void		 sig_dsse_result_free(struct sig_dsse_result *r);

/* ------------------------------------------------------------- Notation */

/*
 * verifying Notation (Notary Project v1) signatures.
 *
 * As pure as the rest of this header: no network, no files, no
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

#endif /* RW_POLICY_SIG_H */
