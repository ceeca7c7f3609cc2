/*
 * policy.h - admission decisions for manifests: the policy model, its
 * loader, and evaluation.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure: no network, no logging, no globals; the clock comes in as an
 * argument.  A struct policy is immutable once loaded and may be shared by
 * every thread (regexec(3) on a shared pattern is thread-safe).  Facts
 * (image config, pins, the tag's current digest) are gathered by the
 * caller, lazily: policy_match() says which ones the deciding rule needs
 * (POLICY_NEED_*), and policy_eval() only reads those.  Scan verdicts
 * (struct policy_scan) are imported and stored by others; this module only
 * judges one against a rule's "scan" section and the exceptions the caller
 * passes.  The file format, every check and every message are described in
 * config/POLICY.md.
 *
 * Module policy/ (library rw_policy): owns the policy file's model, its
 * loader and checker, and evaluation.  May call policy/sig/ (the signature
 * verifiers, through policy/sig/sig.h only) and util/; never db/ or
 * anything above.  Called by server/ and cli/.
 */
#ifndef RW_POLICY_H
#define RW_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct policy;
struct policy_rule;

enum policy_op { POLICY_OP_PULL = 1, POLICY_OP_PUSH = 2 };
enum policy_mode { POLICY_ENFORCE = 0, POLICY_WARN = 1, POLICY_AUDIT = 2 };
enum verdict_kind { VERDICT_ALLOW = 0, VERDICT_DENY = 1, VERDICT_WARN = 2 };

/* Facts a rule may need; the caller fetches only these. */
#define POLICY_NEED_CONFIG	0x01	/* image config blob (image checks);
					   for an index, every platform's */
#define POLICY_NEED_PIN		0x02	/* pinned digest of the tag */
#define POLICY_NEED_TAG_DIGEST	0x04	/* push: what the tag points to now */
#define POLICY_NEED_SCAN	0x08	/* pull: the scan verdict of the digest
					   and the exceptions in force */
#define POLICY_NEED_SIGS	0x10	/* pull and push: the cosign and
					   Notation signatures of the digest
					   (struct policy_sig_input), and
					   manifest_size */
#define POLICY_NEED_ATTS	0x20	/* pull and push: the attestations of
					   the digest (struct
					   policy_att_input) */
#define POLICY_NEED_CONTENT	0x40	/* pull and push: what the image's
					   layers hold (struct
					   policy_content) */
#define POLICY_NEED_GRACE	0x80	/* pull, with POLICY_NEED_SCAN: when
					   the image was first admitted and
					   when each finding first appeared
					   (scan.grace_days) */

/*
 * One severity scale for every scanner: Trivy's UNKNOWN LOW MEDIUM HIGH
 * CRITICAL and Grype's Negligible Low Medium High Critical Unknown map onto
 * it by name (policy_severity_parse).  "unknown" sorts lowest.
 */
enum policy_severity {
	POLICY_SEV_UNKNOWN = 0,
	POLICY_SEV_NEGLIGIBLE,
	POLICY_SEV_LOW,
	POLICY_SEV_MEDIUM,
	POLICY_SEV_HIGH,
	POLICY_SEV_CRITICAL
};

/** Image config facts (from the config blob the manifest names). */
struct policy_kv {
	const char	*key;
	const char	*value;
};

struct policy_image {
	const char		*user;		/* config.User, "" when unset */
	const char *const	*env;		/* "NAME=value" strings */
	size_t			 nenv;
	const struct policy_kv	*labels;
	size_t			 nlabels;
	const char		*os;		/* "linux" */
	const char		*arch;		/* "amd64" */
	const char		*variant;	/* "v8" or "" */
	int64_t			 created;	/* unix seconds, -1 unknown */
};

/**
 * One platform of an index.  "platforms" checks read os/arch/variant (an
 * index passes when at least one platform is allowed).  The other image
 * checks read IMAGE, the config of that platform's manifest, and must pass
 * for every platform, so that admitting the index may admit its children.
 * Entries with os "unknown" (buildkit attestations) are ignored.
 */
struct policy_platform {
	const char	*os;
	const char	*arch;
	const char	*variant;
	const struct policy_image *image; /* with POLICY_NEED_CONFIG */
	/* POLICY_NEED_CONTENT: this platform's layers; NULL for an
	 * attestation entry (unknown/unknown), never read */
	const struct policy_content *content;
};

/** One finding of a scan report. */
struct policy_finding {
	const char	*id;		/* "CVE-2024-1234", "GHSA-..." */
	const char	*pkg;		/* package name */
	const char	*installed;	/* installed version, may be NULL */
	const char	*fixed;		/* fixed version, NULL or "" when none */
	int		 severity;	/* enum policy_severity; a value
					   off the scale counts as critical */
	int		 fixable;	/* a fixed version exists */
};

/*
 * One secret finding of a scan report (Trivy's Secrets): which rule matched
 * which file.  Never the secret itself: nobody stores it.
 */
struct policy_scan_secret {
	const char	*target;	/* the file, as the scanner names it */
	const char	*rule_id;	/* "aws-access-key-id" */
	const char	*title;		/* "AWS Access Key ID"; NULL or "" */
	int		 severity;	/* enum policy_severity */
};

/** The scan verdict stored for the image's digest (the newest report). */
struct policy_scan {
	const char	*scanner;		/* "trivy", "grype" */
	const char	*scanner_version;	/* may be NULL */
	const char	*db_version;		/* vulnerability DB, may be NULL */
	int64_t		 scanned_at;		/* unix seconds, -1 unknown */
	const struct policy_finding *f;		/* NF of them, in any order */
	size_t		 nf;
	const struct policy_scan_secret *s;	/* NS of them, sorted by
						   target then rule */
	size_t		 ns;
};

/*
 * An exception: findings with this id (or in this package) are not counted
 * for repositories matching REPO_GLOB until EXPIRES.  With both ID and PKG
 * set, a finding must match both.  It applies while now < expires: at the
 * second it expires it stops applying.
 */
struct policy_exception {
	const char	*id;		/* CVE id, or NULL */
	const char	*pkg;		/* package, or NULL */
	const char	*repo_glob;	/* host/repository glob, as in rules */
	int64_t		 expires;	/* unix seconds */
	const char	*reason;
	const char	*source;	/* "policy" | "cli" */
	int		 line;		/* in the policy file; 0 otherwise */
};

/*
 * One signature found for the manifest digest, as fetched: for cosign's
 * legacy layout, one layer of the `sha256-<hex>.sig` manifest.  The caller
 * has checked the blob against its descriptor (digest and size); the
 * policy checks everything else.  All borrowed.
 */
struct policy_sig_input {
	const char	*payload;	/* the layer blob, exact bytes */
	size_t		 plen;
	const char	*sig_b64;	/* "dev.cosignproject.cosign/signature"
					   annotation; NULL when absent */
	const char	*media_type;	/* the layer's media type */
	const char	*origin;	/* for messages and explain, e.g.
					   "sha256-<hex>.sig layer 2" */
	/*
	 * The layer's keyless annotations, NUL-terminated, NULL when absent:
	 * "dev.sigstore.cosign/certificate" (the Fulcio leaf, PEM),
	 * "dev.sigstore.cosign/chain" (untrusted intermediates, PEM) and
	 * "dev.sigstore.cosign/bundle" (the Rekor bundle with its SET, JSON).
	 */
	const char	*cert_pem;
	const char	*chain_pem;
	const char	*bundle_json;
	/*
	 * A Notation signature: the envelope blob (the signature manifest's
	 * one layer, exact bytes) and its media type, "application/jose+json"
	 * or "application/cose"; or a Sigstore bundle (cosign v3, an OCI
	 * referrer's one layer), whose media type starts
	 * "application/vnd.dev.sigstore.bundle".  NULL for a cosign input,
	 * whose fields above are then the ones read; with ENVELOPE set they
	 * are ignored.
	 */
	const char	*envelope;
	size_t		 elen;
	const char	*envelope_type;
};

/*
 * One attestation found for the manifest digest, as fetched: one layer of
 * cosign's `sha256-<hex>.att` manifest (a DSSE envelope whose payload is
 * an in-toto statement), or a Sigstore bundle attached as an OCI referrer.
 * The caller has checked the blob against its descriptor; the policy
 * verifies the envelope with the keys the rule lists, then reads the
 * statement: its subject must name the digest.  All borrowed.
 */
struct policy_att_input {
	const char	*envelope;	/* the layer blob, exact bytes */
	size_t		 elen;
	/*
	 * The layer's media type: "application/vnd.dsse.envelope.v1+json"
	 * (cosign's .att), or a Sigstore bundle's (SIG_BUNDLE_MEDIA_PREFIX).
	 */
	const char	*media_type;
	const char	*origin;	/* "sha256-<hex>.att layer 1" */
	/* A .att layer's keyless annotations, as for policy_sig_input. */
	const char	*cert_pem;
	const char	*chain_pem;
	const char	*bundle_json;
};

/* At most this many attestations of one image are examined. */
#define POLICY_ATT_INPUT_MAX	32

/*
 * At most this many signatures of one image are examined (each against
 * every key the rule trusts); the rest are ignored, and a reason says so.
 */
#define POLICY_SIG_MAX	32

/*
 * What the image's layers hold, for a rule's "content" section: gathered
 * by the caller from the layers it read (content/), all borrowed.
 */
enum policy_ftype { POLICY_F_FILE = 0, POLICY_F_DIR, POLICY_F_SYMLINK,
	POLICY_F_HARDLINK, POLICY_F_OTHER };

/** One path of the image's final filesystem. */
struct policy_cfile {
	const char	*path;		/* absolute: "/usr/bin/su" */
	uint32_t	 mode;		/* permission bits, setuid included */
	int		 type;		/* enum policy_ftype */
};

/** One secret found in one layer (never its bytes). */
struct policy_secret {
	size_t		 layer;		/* 0-based, bottom first */
	const char	*path;
	const char	*what;		/* "PEM RSA PRIVATE KEY" */
	int		 deleted;	/* absent from the final filesystem */
};

/** One installed package of the final filesystem's databases. */
struct policy_cpkg {
	const char	*name;
	const char	*version;
};

struct policy_content {
	size_t			 nlayers;
	/*
	 * A layer that could not be inspected (REFUSAL, why; REFUSED_LAYER,
	 * which): the image is refused, never admitted unread.
	 */
	const char		*refusal;
	size_t			 refused_layer;
	const struct policy_secret *secrets;	/* of every layer */
	size_t			 nsecrets;
	const struct policy_cfile *files;	/* the final filesystem */
	size_t			 nfiles;
	const struct policy_cpkg *packages;
	size_t			 npackages;
	/* package databases present but not readable (rpm's) */
	const char *const	*pkgdb_unread;
	size_t			 npkgdb_unread;
	uint64_t		 uncompressed_bytes;	/* the layers' tar
							   streams, summed */
	/*
	 * One layer judged alone, before a manifest places it (a push's
	 * upload, policy_eval_layer): its digest, which messages name
	 * instead of "layer N of M".  NULL otherwise.
	 */
	const char		*layer;
};

/** What is being admitted. */
struct admission_req {
	int			 op;		/* enum policy_op */
	const char		*host;		/* canonical registry host: "docker.io" */
	const char		*repo;		/* "library/nginx" */
	const char		*tag;		/* NULL when pulled by digest */
	const char		*digest;	/* manifest digest, verified */
	const char		*media_type;
	/* bytes of the manifest served: Notation signs digest, size, type */
	int64_t			 manifest_size;
	int			 is_index;	/* index / manifest list */
	const struct policy_platform *platforms; /* of an index's children */
	size_t			 nplatforms;
	/* facts, each present only if the matched rule needs it */
	const struct policy_image *image;	/* NULL: not an image / unknown */
	const char		*pinned_digest;	/* pin for tag, NULL none */
	const char		*tag_digest;	/* push: tag's current digest */
	const struct policy_scan *scan;		/* pull: the digest's scan
						   verdict, NULL: none */
	/* every exception in force: the store's and the file's together */
	const struct policy_exception *exceptions;
	size_t			 nexceptions;
	/*
	 * POLICY_NEED_GRACE: when regwarden first admitted DIGEST in this
	 * repository (unix seconds); 0: never (or not known), and no finding
	 * gets a grace period.
	 */
	int64_t			 first_admitted;
	/*
	 * POLICY_NEED_GRACE: FIRST_SEEN[i] is when SCAN->f[i] first appeared
	 * for this image (unix seconds: a report carrying it was first
	 * stored); 0, or FIRST_SEEN NULL: not known, and no grace period.
	 */
	const int64_t		*first_seen;
	const char		*identity;	/* client identity, for reasons */
	/*
	 * POLICY_NEED_SIGS: the signatures found for DIGEST.  SIGS_GATHERED
	 * is 1 once the caller looked, even when it found none (NSIGS 0);
	 * 0 means it did not look, and policy_eval fails with RW_EINVAL.
	 */
	const struct policy_sig_input *sigs;
	size_t			 nsigs;
	int			 sigs_gathered;
	/*
	 * The digest the signatures must name, when it is not DIGEST: the
	 * index a platform manifest was pulled through, signed as a whole
	 * ("a multi-arch index signed as a whole admits its platform
	 * manifests").  NULL: DIGEST.
	 */
	const char		*sig_subject;
	/*
	 * POLICY_NEED_ATTS: the attestations found for DIGEST, gathered as
	 * signatures are (ATTS_GATHERED 0: the caller did not look, and
	 * policy_eval fails with RW_EINVAL).  Their statements must name
	 * DIGEST (or SIG_SUBJECT).
	 */
	const struct policy_att_input *atts;
	size_t			 natts;
	int			 atts_gathered;
	/* POLICY_NEED_CONTENT: NULL means not gathered (RW_EINVAL). */
	const struct policy_content *content;
};

#define VERDICT_REASONS	16

struct verdict_reason {
	/*
	 * "sources", "tags" (request by digest), "tags.deny",
	 * "tags.pattern", "tags.digest_only", "pins", "immutable_tags",
	 * "image.non_root", "image.no_secrets", "image.required_labels",
	 * "image.platforms", "image.max_age_days", "scan" (the report, or
	 * its absence), "scan.max_severity", "scan.max_counts",
	 * "scan.max_age_days", "scan.grace" (findings that would refuse,
	 * admitted with a warning within their grace period), "scan.excepted"
	 * (exceptions applied),
	 * "scan.expired" (exceptions that no longer apply), "signatures"
	 * (the rule's requirement and what was found), "signatures.key"
	 * (one per key the rule trusts, after "signatures": whether it
	 * signed; failed only when the requirement failed; never repeated
	 * in the message nor a failure of its own), "attestations" (one
	 * per requirement of the rule: what it asked for and what was
	 * found), "content" (a layer
	 * not inspected), "content.secrets", "content.shell",
	 * "content.pkg_manager", "content.compilers", "content.setuid",
	 * "content.deny_paths", "content.packages", "content.size", or
	 * "default".
	 */
	char	 check[24];
	int	 failed;	/* 0: passed (listed by explain), 1: failed */
	char	 text[512];	/* one sentence a developer can act on */
};

struct verdict {
	int			 kind;		/* enum verdict_kind */
	int			 mode;		/* mode of the deciding rule */
	int			 matched;	/* 0: no rule matched (default) */
	char			 rule[64];	/* rule name, or "default" */
	char			 file[192];	/* where it is declared */
	int			 line;
	/*
	 * The message shown to the developer (403 envelope, Warning header):
	 * starts with "regwarden: ", names the image, the rule and its
	 * file:line, what failed and what to do, and the rule's "message".
	 * One line of at most 1,500 bytes; bytes from the request or the
	 * image are shown as printable ASCII (others as \xNN).
	 */
	char			 message[2048];
	struct verdict_reason	 reasons[VERDICT_REASONS];
	size_t			 nreasons;
	int			 pin_now;	/* pin-on-first-pull: record tag->digest */
	/*
	 * 1: the rule holds unscanned images (unscanned: hold) and nothing
	 * else failed.  The verdict is a deny saying the image "is being
	 * scanned"; the caller scans it and evaluates again, or answers 503
	 * with Retry-After when the scan takes too long.  Never admit it.
	 */
	int			 hold;
	/*
	 * The second from which the same request and facts may be decided
	 * otherwise, because time passed: an exception that applied expires,
	 * the scan report or the image grows older than the rule allows.  0:
	 * time alone does not change it.  A decision cache keeps the verdict
	 * only while now < valid_until.
	 */
	int64_t			 valid_until;
};

/**
 * Load and validate the policy file PATH.  The file is JSON that may carry
 * // and block comments (blanked before parsing, so positions stay exact).
 * Returns RW_OK and *OUT, or RW_ECONFIG/RW_EIO/RW_ENOMEM with every error
 * (up to RW_DIAG_MAX) in DIAGS as file:line:col, e.g.
 * `policy.json:14:9: unknown key "alow" (did you mean "allow"?)`.
 */
int	 policy_load(const char *path, struct policy **out,
	    struct rw_diags *diags);

/** As policy_load, from TEXT (LEN bytes) named NAME in messages. */
int	 policy_load_text(const char *name, const char *text, size_t len,
	    struct policy **out, struct rw_diags *diags);

void	 policy_free(struct policy *p);

/**
 * "sha256:<hex>" of the file's bytes: the revision decisions are keyed by.
 * When keys come from files ("cosign_file", trusted roots, Notation trust
 * stores), it is instead the sha256 of that digest followed by each such
 * key's name and file digests, so that a replaced file changes it.
 */
const char *policy_revision(const struct policy *p);

/** How many rules P holds (for `regwarden check`). */
size_t	 policy_nrules(const struct policy *p);

/**
 * The limits the policy's "exception_limits" puts on `regwarden exceptions
 * add`: *MAX_DAYS the longest expiry from now in days (0: no limit),
 * *SINGLE_REPO 1 when an exception must name one repository (no glob
 * wildcard).  Without the key: 0 and 0.
 */
void	 policy_exception_limits(const struct policy *p, int *max_days,
	    int *single_repo);

/** Pins declared in the policy file, for the caller to load into its store. */
size_t	 policy_npins(const struct policy *p);
/** Pin I: image "host/repo:tag" split into parts, and its digest. */
void	 policy_pin(const struct policy *p, size_t i, const char **host,
	    const char **repo, const char **tag, const char **digest);

/** How many exceptions the policy file declares (expired ones included). */
size_t	 policy_nexceptions(const struct policy *p);
/**
 * Exception I of the file into *OUT (strings borrowed from P; source is
 * "policy").  One entry per glob of its "match".  An exception already
 * expired at load is kept (it never applies): `regwarden check` compares
 * OUT->expires with the clock and lists it.
 */
void	 policy_exception(const struct policy *p, size_t i,
	    struct policy_exception *out);

/**
 * The first rule matching HOST/REPO for OP, or NULL when none matches (the
 * policy's default then applies).  *NEEDS gets the POLICY_NEED_* facts the
 * rule reads for a request with (or without) a tag.
 */
const struct policy_rule *policy_match(const struct policy *p,
	    const char *host, const char *repo, int op, int has_tag,
	    unsigned *needs);

/**
 * Decide REQ under P at time NOW (unix seconds).  Always fills *OUT with a
 * verdict (a deny is a result, not an error).  Returns RW_OK, or RW_EINVAL
 * when REQ lacks a fact the matched rule needs (the caller failed to gather
 * it: it must refuse with "could not decide", never allow); *OUT is then a
 * deny whose message says which fact, and ERR says it too.  Every check the
 * rule made is in OUT->reasons, passed ones too (for explain); the message
 * lists the failed ones.  pin_now is set only when the verdict is not deny.
 * Scan checks (pulls under a rule with "scan") read REQ->scan and
 * REQ->exceptions; REQ->scan NULL means the image has no verdict, which the
 * rule's "unscanned" decides: a deny, a warning, an allow, or a hold
 * (OUT->hold, see struct verdict).  A report's age and each exception's
 * expiry are judged against NOW, so a cached verdict goes stale.
 * Signature checks (rules with "signatures") verify REQ->sigs against the
 * rule's keys and REQ->digest (at most POLICY_SIG_MAX of them, CPU only;
 * Notation envelopes also against REQ->manifest_size and REQ->media_type);
 * when a verification cannot run at all, returns that error (RW_ENOMEM,
 * RW_ECRYPTO, RW_EINVAL) with a deny saying "could not be decided".
 */
int	 policy_eval(const struct policy *p, const struct admission_req *req,
	    int64_t now, struct verdict *out, struct rw_err *err);

/**
 * 1 when a push to HOST/REPO falls under a rule whose "content" has
 * no_secrets: the caller then reads each layer as it is uploaded and
 * judges it with policy_eval_layer before the registry commits it.
 */
int	 policy_push_reads_uploads(const struct policy *p, const char *host,
	    const char *repo);

/**
 * Judge one layer uploaded for a push to HOST/REPO by its secrets alone
 * (C->secrets, C->layer its digest; C->nlayers 1): the other content
 * checks need the manifest and are policy_eval's at its PUT.  Fills *OUT
 * as policy_eval does, the message composed the same way ("layer
 * sha256:... holds a private key: ..."); an allow when no rule matching
 * the push checks no_secrets.  Returns RW_OK, or RW_EINVAL (no
 * repository, no C) with a deny saying so.
 */
int	 policy_eval_layer(const struct policy *p, const char *host,
	    const char *repo, const struct policy_content *c,
	    struct verdict *out, struct rw_err *err);

/** The name and line of a rule policy_match() returned. */
const char *policy_rule_name(const struct policy_rule *r);
int	 policy_rule_line(const struct policy_rule *r);

/** "enforce", "warn", "audit". */
const char *policy_mode_name(int mode);
/** "allow", "deny", "warn". */
const char *verdict_name(int kind);

/** "unknown", "negligible", "low", "medium", "high", "critical". */
const char *policy_severity_name(int severity);
/**
 * POLICY_SEV_* for NAME, any case ("CRITICAL", "Negligible"), or -1 when
 * NAME is none of the six.
 */
int	 policy_severity_parse(const char *name);

/**
 * Checks glob PAT as a rule's "match" would (docker.io aliases folded)
 * and writes its canonical form into OUT, for exceptions added outside the
 * file.  Returns RW_OK, or RW_EINVAL with ERR (may be NULL) saying what
 * is wrong.
 */
int	 policy_glob_canon(const char *pat, char *out, size_t size,
	    struct rw_err *err);

/**
 * Whether PAT, a glob in the form policy_glob_canon writes, matches NAME
 * ("host/repository", host lower-cased) as a rule's "match" would: for
 * commands that select repositories by glob outside a policy.  1 or 0.
 */
int	 policy_glob_matches(const char *pat, const char *name);

/**
 * The predicate type URI an attestation of TYPE carries: TYPE itself when
 * it is a URI, else that of one of cosign's --type names (slsaprovenance,
 * slsaprovenance1, spdx, spdxjson, cyclonedx, vuln, openvex, custom); NULL
 * for anything else, "sbom" included (a rule's family, not one type).
 * Static or TYPE itself: never freed.
 */
const char *policy_att_type_uri(const char *type);

/**
 * "as_scan": the scan report a verified cosign vulnerability attestation
 * of REQ carries, for the caller to store as the digest's scan verdict
 * before policy_eval judges the rule's "scan" section.  For the rule REQ
 * matches, each requirement with "as_scan" is tried in order: the first
 * attestation in REQ->atts of type vuln whose DSSE envelope verifies with
 * one of its keys and whose statement names REQ->digest gives its
 * predicate's scanner.result (a Trivy or Grype report, as cosign's vuln
 * predicate holds it), re-encoded as JSON, in *REPORT (*LEN bytes, the
 * caller frees), and the key's name in SIGNER (SSIZE bytes).  Returns 1
 * found, 0 none (no such rule, requirement or attestation, or no
 * scanner.result object), or a negative RW_E* code with ERR set
 * (RW_ENOMEM, RW_ECRYPTO).
 */
int	 policy_att_scan(const struct policy *p,
	    const struct admission_req *req, char **report, size_t *len,
	    char *signer, size_t ssize, struct rw_err *err);

#endif /* RW_POLICY_H */
