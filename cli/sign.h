/*
 * sign.h - `regwarden sign`: cosign-compatible key-based image signatures,
 * written to the registry.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   regwarden sign [-c config.json] --key <private key PEM file>
 *       [-a key=value]... <image-ref>
 *
 * The image reference is resolved to its manifest digest on the upstream
 * the config names for its host (else the default upstream), exactly as
 * `regwarden explain` finds it: the manifest is fetched with every manifest
 * Accept type and hashed; a digest reference must match.  The signature is
 * what `cosign sign --key` writes in its legacy layout
 * (shared/reference/signature-formats.md §1): a "simple signing" payload
 * blob, a signature manifest at tag `sha256-<hex>.sig` of the same
 * repository with one layer per signature, and the signature in the layer's
 * "dev.cosignproject.cosign/signature" annotation.  When that tag already
 * holds a signature manifest the new signature is appended as a layer
 * (cosign does the same, and it is as racy: two signers at once can lose
 * one signature); when the same key already signed the same payload,
 * nothing is pushed.  Before anything is pushed, the new signature is
 * checked with sig_cosign_verify, the verifier the proxy uses.
 *
 * Keys: an unencrypted PEM private key (PKCS#8 "PRIVATE KEY", SEC1 "EC
 * PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY") of a type policy/sig/sig.h verifies:
 * ECDSA P-256 (cosign's default), P-384 or P-521, signed over SHA-256 with a
 * DER signature; RSA 2048 to 4096 bits, PKCS#1 v1.5 with SHA-256; Ed25519,
 * pure.  The file must not be accessible by group or others.  cosign's own
 * encrypted key files need NaCl secretbox, which OpenSSL lacks: they are
 * refused, as are keys encrypted with a passphrase.  The key is never
 * printed or logged; its file's bytes are wiped once parsed.
 *
 * Output: "signed docker.io/acme/api@sha256:... with key sha256:<key id>
 * (ECDSA P-256): pushed docker.io/acme/api:sha256-....sig", or "already
 * signed docker.io/acme/api@sha256:... with key ...: nothing pushed to
 * docker.io/acme/api:sha256-....sig".  Errors: "regwarden: cannot sign
 * <image>: <why>".
 * Exit status: 0 signed, 1 failed (key, config, upstream), 2 usage
 * (then the usage text follows the error line).
 *
 * The upstream's credentials (credentials_file) sign in, asking the token
 * service for pull and push; without any, only an upstream that lets
 * anonymous clients push can be signed on.  Single-threaded use only: these
 * run once per process.
 */
#ifndef RW_SIGN_H
#define RW_SIGN_H

#include <stddef.h>
#include <stdio.h>

#include "policy/sig/sig.h"
#include "util/util.h"

#define SIGN_EXIT_OK	0
#define SIGN_EXIT_FAIL	1
#define SIGN_EXIT_USAGE	2

/* Most -a options one signature takes. */
#define SIGN_ANNOT_MAX	64
/* Largest key file read. */
#define SIGN_KEY_FILE_MAX	(64 * 1024)
/* The annotation of a signature layer holding the signature. */
#define SIGN_SIG_ANNOTATION	"dev.cosignproject.cosign/signature"

/** Usage text, for `help` and usage errors. */
extern const char	sign_usage[];
extern const char	attest_usage[];

/* ------------------------------------------------------------- arguments */

/** One -a option: KEY (KLEN bytes) and VALUE point into the "k=v" argv. */
struct sign_annot {
	const char	*key;
	size_t		 klen;
	const char	*value;
};

/** What a command line asked for; strings point into argv. */
struct sign_args {
	const char		*config;	/* -c; the caller's default */
	const char		*key;		/* --key */
	const char		*ref;		/* the image reference */
	int			 help;		/* -h, --help */
	struct sign_annot	 annot[SIGN_ANNOT_MAX];
	size_t			 nannot;
	/* `attest` (ARGV[0] "attest"): --type and --predicate, required */
	int			 attest;
	const char		*type;
	const char		*predicate;
};

/**
 * Parse `sign` arguments, ARGV[0] being "sign": [-c FILE] --key FILE
 * [-a k=v]... <image-ref>, options in any order ("--key=FILE",
 * "--annotations k=v" and "--annotations=k=v" also work).  Returns RW_OK, or
 * RW_EINVAL with ERR saying what is wrong (`missing --key (a PEM private
 * key file)`, `-a "x": expected key=value`, `-a: annotation "k" given
 * twice`, `-a: annotation "k" is not valid UTF-8`, ...).  With --help,
 * returns RW_OK with OUT->help set and nothing else checked.
 */
int	 sign_parse_args(int argc, char **argv, const char *default_config,
	    struct sign_args *out, struct rw_err *err);

/* ------------------------------------------------------------------ keys */

struct sign_key;

/**
 * Read the private key in the file PATH: a regular file not accessible by
 * group or others (`PATH: mode 0644 is too open: it must not be accessible
 * by group or others (chmod 600)`, RW_EPERM), at most SIGN_KEY_FILE_MAX
 * bytes, then as sign_key_parse with PATH naming it.  Returns RW_OK and a
 * new key in *OUT, or leaves *OUT NULL and returns RW_EIO, RW_EPERM,
 * RW_ETOOBIG or sign_key_parse's codes.
 */
int	 sign_key_load(const char *path, struct sign_key **out,
	    struct rw_err *err);

/**
 * Parse PEM text (LEN bytes; need not be NUL-terminated) holding a private
 * key; NAME (a file name) starts every message.  Refused: cosign's
 * encrypted keys (`NAME: an encrypted cosign key (ENCRYPTED SIGSTORE
 * PRIVATE KEY) needs NaCl secretbox, which OpenSSL lacks: export it as an
 * unencrypted PEM key (see README, "Signing images")`, RW_EUNSUPPORTED),
 * keys encrypted with a passphrase (`NAME: the key is encrypted with a
 * passphrase: decrypt it first, e.g. openssl pkey -in NAME -out plain.pem`,
 * RW_EUNSUPPORTED), a public key alone, text with no private key
 * (RW_EPARSE), and key types or sizes policy/sig/sig.h does not verify
 * (RW_EUNSUPPORTED).  OpenSSL is never let ask for a passphrase.  Returns
 * RW_OK and a new key in *OUT, or leaves *OUT NULL and returns one of those
 * codes, RW_ENOMEM or RW_ECRYPTO.
 */
int	 sign_key_parse(const char *pem, size_t len, const char *name,
	    struct sign_key **out, struct rw_err *err);

/** Free K, private material included; NULL does nothing. */
void	 sign_key_free(struct sign_key *k);

/**
 * K's public half, as policy/sig/sig.h loads it from cosign.pub: its id
 * (sig_key_id) and kind (sig_key_kind) name it in messages.  Borrowed:
 * valid as long as K.
 */
const struct sig_key *sign_key_public(const struct sign_key *k);

/**
 * Sign the LEN bytes at DATA with K as cosign does (see the top of this
 * file).  Returns RW_OK and the signature in standard base64 with padding
 * in *SIG_B64 (NUL-terminated; the caller frees it), or RW_ENOMEM or
 * RW_ECRYPTO with ERR set.
 */
int	 sign_bytes(const struct sign_key *k, const void *data, size_t len,
	    char **sig_b64, struct rw_err *err);

/* --------------------------------------------------------------- payload */

/**
 * The simple-signing payload cosign signs, byte for byte as Go's
 * encoding/json writes it:
 * {"critical":{"identity":{"docker-reference":"<REF>"},"image":
 * {"docker-manifest-digest":"<DIGEST>"},"type":"cosign container image
 * signature"},"optional":null}, where "optional" holds the N annotations A
 * instead when N > 0, keys in byte order, as Go sorts map keys.  Strings are
 * escaped as Go escapes them ('<', '>' and '&' as \u003c..., control
 * characters, U+2028 and U+2029).  REF is the repository without tag or
 * digest ("docker.io/acme/api").  Returns RW_OK and the bytes in *OUT (*LEN
 * of them, NUL-terminated; the caller frees), or RW_EINVAL (a string that
 * is not UTF-8) or RW_ENOMEM.
 */
int	 sign_payload(const char *ref, const char *digest,
	    const struct sign_annot *a, size_t n, char **out, size_t *len,
	    struct rw_err *err);

/* ----------------------------------------------------- the .sig manifest */

/** The signature manifest to push, and its config blob. */
struct sign_manifest {
	char	*body;			/* the manifest bytes */
	size_t	 len;
	char	 media_type[96];	/* its Content-Type */
	char	*config;		/* the config blob */
	size_t	 config_len;
	char	 config_digest[RW_DIGEST_MAX];
	char	 payload_digest[RW_DIGEST_MAX];
	size_t	 nlayers;		/* signatures in it */
	int	 duplicate;		/* already signed: nothing to push */
};

/**
 * Build the signature manifest holding the signature SIG_B64 by PUB over
 * PAYLOAD (PLEN bytes), which names the image IMAGE_DIGEST.  OLD (OLDLEN
 * bytes, with OLD_CTYPE its Content-Type or NULL) is what the `.sig` tag
 * holds now, or NULL when nothing: then the result is a new OCI image
 * manifest with one layer; else OLD's layers are kept and one is appended,
 * in OLD's media type (OCI or Docker v2 image manifest).  Like cosign, a
 * layer with the same media type and payload digest whose signature PUB
 * verifies (sig_cosign_verify says SIG_VALID) already is this signature:
 * OUT->duplicate is set and OUT holds no body.  The config blob lists each
 * layer as go-containerregistry's empty image does (rootfs.diff_ids, one
 * history entry per layer).
 *
 * Returns RW_OK with OUT filled (free with sign_manifest_cleanup), or
 * RW_EPARSE (OLD is not JSON, not an image manifest, or a layer has no
 * sha256 digest: `the tag holds application/vnd.oci.image.index.v1+json,
 * not a signature manifest`), RW_ENOMEM, RW_ECRYPTO, with ERR set.
 */
int	 sign_sig_manifest(const char *old, size_t oldlen, const char *old_ctype,
	    const struct sig_key *pub, const char *payload, size_t plen,
	    const char *image_digest, const char *sig_b64,
	    struct sign_manifest *out, struct rw_err *err);

/** Free what M holds and clear it; a cleared M is fine. */
void	 sign_manifest_cleanup(struct sign_manifest *m);

/* --------------------------------------------------------------- command */

/**
 * Run `sign` (ARGV[0] = "sign") writing the result to OUT and errors to
 * ERR.  Returns the exit status.
 */
int	 sign_main(int argc, char **argv, const char *default_config,
	    FILE *out, FILE *err);

/* ----------------------------------------------------------- attestations */

/*
 *   regwarden attest [-c config.json] --key KEY.pem --type TYPE
 *       --predicate FILE <image-ref>
 *
 * As `regwarden sign`, but what is pushed is an attestation in cosign's
 * .att layout (`cosign attest --key`): an in-toto statement (v0.1, as
 * cosign writes it) naming the image digest, with predicateType TYPE (a
 * URI, or one of cosign's --type names: slsaprovenance, slsaprovenance1,
 * spdx, spdxjson, cyclonedx, vuln, openvex, custom) and the JSON object in
 * FILE as its predicate, in a DSSE envelope signed over its PAE; appended
 * as a layer (application/vnd.dsse.envelope.v1+json, "predicateType"
 * annotation) of the manifest at tag `sha256-<hex>.att`.  The envelope is
 * checked with sig_dsse_verify, the proxy's verifier, before anything is
 * pushed.  Output: "attested docker.io/acme/api@sha256:... (TYPE URI)
 * with key sha256:<id> (ECDSA P-256): pushed docker.io/acme/api:sha256-
 * ....att".  Exit status as for sign.
 */

/* Largest --predicate file read. */
#define ATTEST_PREDICATE_MAX	(8 * 1024 * 1024)

/**
 * The DSSE envelope of the statement about IMAGE_DIGEST in repository
 * NAME ("docker.io/acme/api") with predicate type PTYPE (a URI) and the
 * JSON object PREDICATE (PLEN bytes), signed by K.  Returns RW_OK and the
 * envelope in *OUT (*OUTLEN bytes, NUL-terminated; the caller frees), or
 * RW_EPARSE (PREDICATE is not a JSON object), RW_ENOMEM, RW_ECRYPTO.
 */
int	 attest_envelope(const struct sign_key *k, const char *name,
	    const char *image_digest, const char *ptype, const char *predicate,
	    size_t plen, char **out, size_t *outlen, struct rw_err *err);

/**
 * As sign_sig_manifest, for the `.att` tag: ENV (ELEN bytes) appended as a
 * DSSE layer with annotation predicateType PTYPE; never a duplicate.
 */
int	 attest_manifest(const char *old, size_t oldlen, const char *old_ctype,
	    const char *env, size_t elen, const char *ptype,
	    struct sign_manifest *out, struct rw_err *err);

#endif /* RW_SIGN_H */
