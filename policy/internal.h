/*
 * internal.h - what the files of policy/ share: the policy model, the
 * loader's walking helpers, globs, regex translation and image facts.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Nothing outside policy/ includes this file, except tests/policy, which
 * pins the small pure helpers (globs, secrets, root users) row by row.
 */
#ifndef RW_POLICY_INTERNAL_H
#define RW_POLICY_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "util/util.h"

/* The policy file is read whole; larger than any sane policy. */
#define POLICY_MAX_FILE		(4 * 1024 * 1024)
/* A rule's "message" and "default_message" keep refusals short. */
#define POLICY_NOTE_MAX		300
/* Rule names end up in verdict.rule (64 bytes) and in log lines. */
#define POLICY_NAME_MAX		63
/* The longest verdict.message we produce, terminator excluded. */
#define POLICY_MESSAGE_MAX	1500
/* User text quoted in a load error is cut here so a line stays a line. */
#define POLICY_QUOTE_MAX	64
/* Room for policy_quote of any string: every byte may become \xNN. */
#define POLICY_QBUF		(POLICY_QUOTE_MAX * 4 + 16)
/* Keys one rule's "signatures" may list: each costs a verification. */
#define POLICY_SIG_KEYS_MAX	8
/* Requirements one rule's "attestations" may list. */
#define POLICY_ATT_MAX		8
/* Conditions one requirement may list. */
#define POLICY_COND_MAX		16
/* Steps (keys and indices) of one condition path. */
#define POLICY_PATH_STEPS	16
/* The largest [n] a path may name. */
#define POLICY_PATH_IDX_MAX	9999
/* Values of one "in" list. */
#define POLICY_IN_MAX		32

/*
 * A condition path over an in-toto statement (attpath.c): dotted keys and
 * [n] / [*] indices.  A step with KEY NULL is an index; IDX -1 is [*].
 */
struct policy_step {
	char	*key;
	long	 idx;
};

struct policy_path {
	char			*text;	/* as written, for messages */
	struct policy_step	*s;
	size_t			 n;
};

enum policy_cond_op {
	POLICY_COND_EQUALS = 0,
	POLICY_COND_IN,
	POLICY_COND_MATCHES,
	POLICY_COND_EXISTS
};

/* One condition of an attestation requirement. */
struct policy_cond {
	struct policy_path	 path;
	int			 op;	/* enum policy_cond_op */
	json_t			*value;	/* equals: a scalar; in: an array
					   of scalars; matches: the ERE as
					   written */
	regex_t			 re;	/* matches: anchored */
	int			 has_re;
	int			 exists; /* exists: true (1) or false (0) */
};

/* One entry of a rule's "attestations". */
struct policy_attreq {
	char			*type;	/* as written */
	int			 kind;	/* enum policy_att_kind */
	const char		*uri;	/* kind URI: the predicate type */
	size_t			*keys;	/* indices into policy.keys */
	size_t			 nkeys;
	struct policy_cond	*conds;
	size_t			 nconds;
	int			 as_scan;
	int			 line;
};

/* What a requirement's "type" names (attpath.c, policy_att_type). */
enum policy_att_kind {
	POLICY_ATT_URI = 0,	/* exactly URI */
	POLICY_ATT_SLSA,	/* a short name for a SLSA provenance URI */
	POLICY_ATT_SBOM,	/* any SPDX or CycloneDX, any version */
	POLICY_ATT_SPDX,	/* SPDX, any version */
	POLICY_ATT_CYCLONEDX,	/* CycloneDX, any version */
	POLICY_ATT_VULN,	/* cosign's vulnerability scan */
	POLICY_ATT_OPENVEX,	/* OpenVEX */
	POLICY_ATT_CUSTOM	/* cosign's "custom" */
};

struct policy_plat {
	char	*os;
	char	*arch;
	char	*variant;	/* NULL: any variant */
	char	*text;		/* as written, for messages */
};

struct policy_rule {
	char		*name;
	int		 line;		/* of its "name" (or the rule object) */
	char		**match;	/* canonical host/repository globs */
	size_t		 nmatch;
	unsigned	 ops;		/* POLICY_OP_* bits */
	int		 mode;		/* enum policy_mode */
	char		*message;	/* appended to refusals, or NULL */
	int		 allow;		/* 0: blocked source */

	int		 has_tags;
	char		**deny;		/* tags refused outright */
	size_t		 ndeny;
	char		*pattern;	/* as written, shown in messages */
	regex_t		 re;		/* PATTERN translated and compiled */
	int		 has_re;
	int		 digest_only;

	int		 has_pins;
	int		 pin_require;	/* "enforce": unpinned tags refused */
	int		 pin_first;	/* "pin_on_first_pull" */

	int		 immutable;

	int		 non_root;
	int		 no_secrets;
	char		**labels;	/* required labels */
	size_t		 nlabels;
	struct policy_plat *plats;	/* allowed platforms */
	size_t		 nplats;
	int64_t		 max_age_days;	/* 0: no age check */

	int		 has_scan;	/* a "scan" section: pulls need a verdict */
	int		 scan_max_sev;	/* POLICY_SEV_*; -1: no threshold */
	int64_t		 scan_counts[POLICY_SEV_CRITICAL + 1]; /* -1: no limit */
	int		 has_counts;
	int		 scan_fixable;	/* fixable_only */
	int64_t		 scan_max_age;	/* days; 0: no age check */
	int64_t		 scan_grace;	/* grace_days; 0: no grace period */
	int		 scan_unscanned; /* enum policy_unscanned */
	int		 scan_secrets;	/* enum policy_secrets */

	int		 has_sigs;	/* a "signatures" section */
	size_t		*sig_keys;	/* indices into policy.keys, in the
					   order the rule lists them */
	size_t		 nsig_keys;
	int		 sig_require;	/* keys that must have signed: 1 for
					   "any"; 0 for "all" until pass two
					   resolves it to nsig_keys */

	int		 has_vex;	/* scan.vex: OpenVEX suppresses */
	size_t		*vex_keys;	/* indices into policy.keys */
	size_t		 nvex_keys;

	struct policy_attreq *atts;	/* "attestations" */
	size_t		 natts;
	int		 has_atts;

	int		 has_content;	/* a "content" section */
	int		 c_secrets;	/* no_secrets */
	int		 c_shell;	/* no_shell */
	int		 c_pkgmgr;	/* no_package_manager */
	int		 c_compilers;	/* no_compilers */
	int		 c_setuid;	/* no_setuid */
	char		**c_paths;	/* deny_paths globs */
	size_t		 nc_paths;
	char		**c_pkgs;	/* deny_packages globs */
	size_t		 nc_pkgs;
	int64_t		 c_max_bytes;	/* max_uncompressed_bytes; 0: none */
	int		 valid;		/* loaded without error: pass two may
					   compare it */
};

/* What a rule does with an image that has no scan verdict. */
enum policy_unscanned {
	POLICY_UNSCANNED_DENY = 0,
	POLICY_UNSCANNED_WARN,
	POLICY_UNSCANNED_ALLOW,
	POLICY_UNSCANNED_HOLD
};

/* What a rule's "scan" does with a report's secret findings ("secrets"). */
enum policy_secrets {
	POLICY_SECRETS_UNSET = 0,	/* no "secrets" key: not judged */
	POLICY_SECRETS_DENY,
	POLICY_SECRETS_WARN,
	POLICY_SECRETS_IGNORE
};

/* One exception of the file, for one glob of its "match". */
struct policy_excent {
	char	*id;		/* NULL when by package */
	char	*pkg;		/* NULL when by id */
	char	*glob;		/* canonical */
	char	*reason;
	int64_t	 expires;
	int	 line;		/* of the entry */
	size_t	 at;		/* index in the file's "exceptions" array */
};

struct policy_pinent {
	char	*host;
	char	*repo;
	char	*tag;
	char	*digest;
	int	 line;
	size_t	 at;	/* index in the file's "pins" array */
};


/*
 * One entry of the file's "keys": a named cosign public key, a keyless
 * identity (KEYLESS set, KEY NULL) judged by a trusted root, or a Notation
 * trust store (NOTATION set, KEY NULL).
 */
struct policy_keyent {
	char		*name;
	struct sig_key	*key;		/* NULL when the entry had errors */
	int		 keyless;	/* "keyless": the fields below are set */
	/*
	 * Keyless: "trusted_root" (NULL when the entry had errors).
	 * Key-based: "rekor_trusted_root", or NULL: no SET required.
	 */
	struct sig_trustroot *troot;
	char		 root_digest[RW_DIGEST_MAX];	/* of its file, or "" */
	char		*issuer;
	char		*subject;	/* or NULL, with SUBJECT_REGEX */
	char		*subject_regex;
	/*
	 * "notation": NOTATION set, KEY NULL; TRUST_PEM holds the trust
	 * store's PEM text (TRUST_LEN bytes, at least one certificate) and
	 * ROOT_DIGEST its sha256.  IDENTITIES: the leaf subjects accepted
	 * ("x509.subject: " stripped; "*" any); NIDENTITIES 0: any.
	 */
	int		 notation;
	char		*trust_pem;
	size_t		 trust_len;
	char		**identities;
	size_t		 nidentities;
	/*
	 * "registry_scopes": canonical "host/repository" strings or "*"
	 * (NSCOPES 0: every image the rules send it); "verification_level":
	 * an enum sig_notation_level.
	 */
	char		**scopes;
	size_t		 nscopes;
	int		 level;
	int		 line;		/* of its name */
	int		 from_file;	/* FILE_DIGEST or ROOT_DIGEST is set */
	char		 file_digest[RW_DIGEST_MAX];
};

struct policy {
	char			*file;		/* as the caller named it */
	const char		*base;		/* its last component, in messages */
	char			 rev[RW_DIGEST_MAX];
	int			 default_allow;
	char			*default_message;
	struct policy_rule	*rules;
	size_t			 nrules;
	struct policy_pinent	*pins;
	size_t			 npins;
	struct policy_excent	*excs;
	size_t			 nexcs;
	struct policy_keyent	*keys;
	size_t			 nkeys;
	int			 exc_max_days;	/* 0: no limit */
	int			 exc_single_repo;
};

/* ------------------------------------------------------------- loading */

/* One load: what it reads and where it reports. */
struct ld {
	const char	*file;	/* prefixes every diagnostic */
	const char	*base;	/* FILE's last component, cited inside messages */
	struct rw_jpos	*jp;	/* NULL when indexing failed: no positions */
	struct rw_diags	*d;
	int		 nomem;
	int		 errors;	/* reported by this load */
	struct policy	*p;
};

/*
 * Where a value sits: a JSON Pointer to look its position up, and a
 * display path ("rules[2].tags.pattern") to name it in a message.
 */
struct where {
	char	ptr[256];
	char	disp[192];
};

typedef void	(*policy_key_fn)(struct ld *ld, const struct where *w,
		    json_t *v, void *ctx);

/* One key an object may hold. */
struct policy_key {
	const char	*name;
	policy_key_fn	 fn;
	int		 required;
};

void	 policy_where_key(struct where *out, const struct where *parent,
	    const char *key);
void	 policy_where_idx(struct where *out, const struct where *parent,
	    size_t i);
/* An error about the value at W, prefixed with its display path. */
void	 policy_bad(struct ld *ld, const struct where *w, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As policy_bad, positioned at the key of W rather than its value. */
void	 policy_bad_key(struct ld *ld, const struct where *obj,
	    const struct where *w, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* As policy_bad, without the display path: the message names the thing. */
void	 policy_bad_at(struct ld *ld, const struct where *w, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* Line of the value at W (its key when KEY), 0 when unknown. */
int	 policy_line_of(const struct ld *ld, const struct where *w, int key);
/* S in double quotes, escaped, cut at POLICY_QUOTE_MAX: for load errors. */
const char *policy_quote(char *buf, size_t size, const char *s);
char	*policy_strdup(struct ld *ld, const char *s);
/*
 * Walks object V: each known key to its handler (with CTX), unknown keys
 * reported with a suggestion, missing required keys reported.  Returns 0,
 * or -1 when V is not an object (reported).
 */
int	 policy_walk(struct ld *ld, const struct where *w, json_t *v,
	    const struct policy_key *keys, void *ctx);
/* V as a string, or NULL after reporting that it should have been one. */
const char *policy_want_string(struct ld *ld, const struct where *w,
	    json_t *v);
/* V as a boolean (0/1), or -1 after reporting. */
int	 policy_want_bool(struct ld *ld, const struct where *w, json_t *v);
/*
 * V as an array of non-empty strings, copied into *OUT (NULL-free, N
 * entries; the caller frees with policy_strv_free).  Each element is
 * checked with OK (may be NULL), which reports and returns -1 to drop it.
 * EMPTY_OK: whether [] is allowed.  Returns 0 or -1 (reported).
 */
int	 policy_want_strv(struct ld *ld, const struct where *w, json_t *v,
	    int empty_ok, int (*ok)(struct ld *, const struct where *,
	    const char *), char ***out, size_t *n);
void	 policy_strv_free(char **v, size_t n);
/*
 * V as a glob or an array of globs ("match"), each checked with
 * policy_glob_check and stored canonical in *OUT (N entries; freed with
 * policy_strv_free).  A repeated pattern is reported; EMPTY_HINT ends the
 * message for [] ("" for none).
 */
void	 policy_want_globs(struct ld *ld, const struct where *w, json_t *v,
	    const char *empty_hint, char ***out, size_t *n);

/*
 * rule.c: a one-line note ("message", "default_message") into *OUT,
 * replacing what it held.
 */
void	 policy_note_load(struct ld *ld, const struct where *w, json_t *v,
	    char **out);
/* rule.c: one entry of "rules"; fills R (zeroed by the caller). */
void	 policy_rule_load(struct ld *ld, const struct where *w, json_t *v,
	    struct policy_rule *r);
void	 policy_rule_cleanup(struct policy_rule *r);
/* check.c: duplicate names and rules that can never match. */
void	 policy_check_rules(struct ld *ld, const struct where *rules);
/* check.c: pins declared twice. */
void	 policy_check_pins(struct ld *ld, const struct where *pins);
/* scanload.c: a rule's "scan" section into R. */
/** "secrets" of a "scan" section into R->scan_secrets (scansecret.c). */
void	 policy_scan_secrets_load(struct ld *ld, const struct where *w,
	    json_t *v, void *ctx);
void	 policy_scan_load(struct ld *ld, const struct where *w, json_t *v,
	    struct policy_rule *r);
/*
 * scanload.c, pass two: the key names of every rule's scan.vex resolved
 * against "keys"; a key that is not a plain cosign key is an error.
 */
void	 policy_vex_resolve(struct ld *ld, json_t *doc);
/* scanload.c: the top-level "exceptions" into LD's policy. */
void	 policy_exceptions_load(struct ld *ld, const struct where *w,
	    json_t *v);
void	 policy_exceptions_free(struct policy *p);
/* contentload.c: a rule's "content" section into R. */
void	 policy_content_load(struct ld *ld, const struct where *w, json_t *v,
	    struct policy_rule *r);
/*
 * content.c: whether PATH (absolute) matches the deny_paths glob PAT
 * (a path from the root, or "**" and a name); whether BASE is a shell, package
 * manager or compiler name (KIND 0, 1, 2); whether PATH is in a directory
 * of the standard PATH.
 */
int	 policy_path_match(const char *pat, const char *path);
int	 policy_exec_kind(int kind, const char *base);
int	 policy_in_bin_dir(const char *path);

/* sigload.c: the top-level "keys" into LD's policy. */
void	 policy_keys_load(struct ld *ld, const struct where *w, json_t *v);
void	 policy_keys_free(struct policy *p);
/* sigload.c: a rule's "signatures" section into R. */
void	 policy_sigs_load(struct ld *ld, const struct where *w, json_t *v,
	    struct policy_rule *r);
/*
 * sigload.c, pass two: the key names of every rule's "signatures" (read
 * again from DOC, the whole file) resolved against "keys", which may come
 * later in the file.  Unknown names are reported with a suggestion.
 */
void	 policy_sigs_resolve(struct ld *ld, json_t *doc);
/* sigload.c: index of key NAME in P's "keys", or SIZE_MAX. */
size_t	 policy_key_index(const struct policy *p, const char *name);
/* sigload.c: reports that no key is named NAME, with a suggestion. */
void	 policy_key_unknown(struct ld *ld, const struct where *w,
	    const char *name);
/*
 * sigload.c: folds the digests of the key files into P's revision, so
 * that replacing a key file changes it.  Returns 0, or -1 (out of memory).
 */
int	 policy_keys_revision(struct policy *p);

/* attload.c: a rule's "attestations" section into R. */
void	 policy_atts_load(struct ld *ld, const struct where *w, json_t *v,
	    struct policy_rule *r);
/* attload.c, pass two: the key names of every requirement resolved. */
void	 policy_atts_resolve(struct ld *ld, json_t *doc);
void	 policy_atts_free(struct policy_rule *r);

/* ------------------------------------------------- attestation conditions */

/*
 * attpath.c: compiles path TEXT into *OUT (freed with policy_path_free).
 * Returns 0, or -1 with the reason in WHY ("empty key at character 11"),
 * or -2 when out of memory.
 */
int	 policy_path_compile(const char *text, struct policy_path *out,
	    char *why, size_t whysize);
void	 policy_path_free(struct policy_path *path);
/*
 * Short name or URI TYPE of a requirement into *KIND and *URI (a static
 * string; for POLICY_ATT_URI, NULL: the caller keeps TYPE).  Returns 0, or
 * -1 when TYPE is neither a known short name nor an absolute URI.
 */
int	 policy_att_type(const char *type, int *kind, const char **uri);
/* Whether predicate type PT is one requirement A accepts. */
int	 policy_att_type_match(const struct policy_attreq *a, const char *pt);
/* "SLSA provenance", "SBOM", ...: what A asks for, in a message. */
const char *policy_att_what(const struct policy_attreq *a);
/* "provenance", "SBOM", ...: one attestation of A's type, counted. */
const char *policy_att_noun(const struct policy_attreq *a);
/*
 * Whether statement ST meets condition C.  Writes what was found into SB
 * either way ("predicate.x https://a does not equal https://b", or
 * "predicate.x equals https://b").
 */
int	 policy_cond_eval(const struct policy_cond *c, json_t *st,
	    struct rw_sb *sb);

/*
 * One attestation verified for the image: its in-toto statement (subject
 * already checked against the digest) and the key of the policy that
 * verified it (SIZE_MAX: none of them).
 */
struct policy_att_stmt {
	json_t		*st;		/* NULL when OTHER is set */
	const char	*ptype;		/* its predicateType */
	size_t		 key;
	const char	*origin;	/* for explain */
	const char	*other;		/* KEY attested another digest: it */
};

/*
 * attcheck.c: whether requirement A is met by one of the N statements S
 * (verified by a key A lists, of A's type, meeting every condition).
 * Writes the reason's sentence into SB: what was required and found.
 */
int	 policy_att_judge(const struct policy *p, const struct policy_attreq *a,
	    const struct policy_att_stmt *s, size_t n, struct rw_sb *sb);

/* -------------------------------------------------------------- OpenVEX */

/* The OpenVEX predicate type, any version ("https://openvex.dev/ns/v0.2.0"). */
#define POLICY_OPENVEX_URI	"https://openvex.dev/ns"
/* Notes on VEX that suppressed nothing, kept for one evaluation. */
#define POLICY_VEX_NOTES	8

enum policy_vex_status {
	POLICY_VEX_NOT_AFFECTED = 0,
	POLICY_VEX_AFFECTED,
	POLICY_VEX_FIXED,
	POLICY_VEX_UNDER_INVESTIGATION
};

/* A subcomponent of a statement's product: a package of the image. */
struct policy_vex_pkg {
	char	*name;		/* "openssl" */
	char	*path;		/* purl namespace/name: "debian/openssl" */
	char	*version;	/* "3.0.1", or NULL: any */
};

/* One statement of an OpenVEX document (vex.c). */
struct policy_vex_stmt {
	char			*vuln;		/* vulnerability.name */
	char			**aliases;
	size_t			 naliases;
	int			 status;	/* enum policy_vex_status */
	char			*justification;	/* or NULL */
	char			*impact;	/* impact_statement, or NULL */
	int64_t			 ts;		/* its timestamp or the
						   document's; -1 none */
	int			 applies;	/* a product names the image */
	struct policy_vex_pkg	*pkgs;		/* that product's
						   subcomponents; none: all */
	size_t			 npkgs;
	char			*other_product;	/* !APPLIES: its first product */
};

struct policy_vex_doc {
	struct policy_vex_stmt	*s;
	size_t			 n;
};

/* The OpenVEX documents verified for one image, and notes on the rest. */
struct policy_vex_set {
	struct policy_vex_doc	 docs[POLICY_ATT_INPUT_MAX];
	size_t			 key[POLICY_ATT_INPUT_MAX];	/* signer */
	size_t			 ndocs;
	char			 notes[POLICY_VEX_NOTES][256];
	size_t			 nnotes;
	size_t			 total;		/* notes, kept or not */
};

/* "not_affected", "affected", "fixed", "under_investigation". */
const char *policy_vex_status_name(int status);
/*
 * vex.c: the OpenVEX document DOC (a statement's predicate) into *OUT
 * (freed with policy_vex_doc_free): every statement, each marked APPLIES
 * when one of its products names DIGEST.  Returns 0; -1 when the document
 * is malformed (no statements array, a statement without a vulnerability
 * name, an unknown status or justification, not_affected without either
 * justification or impact_statement, a bad timestamp, too many entries),
 * with WHY ("statements[2]: status \"maybe\" is none of ..."), *OUT
 * empty; -2 when out of memory.
 */
int	 policy_vex_parse(json_t *doc, const char *digest,
	    struct policy_vex_doc *out, char *why, size_t wsize);
void	 policy_vex_doc_free(struct policy_vex_doc *d);
/*
 * Whether product identifier ID names DIGEST: the digest, a reference
 * ending "@<digest>", or pkg:oci/<name>@<digest> (":" as is or "%3A").
 */
int	 policy_vex_id_names(const char *id, const char *digest);
/* Whether S speaks of F: its id (or an alias), its package if listed. */
int	 policy_vex_stmt_covers(const struct policy_vex_stmt *s,
	    const struct policy_finding *f);
/*
 * The statement of V that decides F (the latest covering it; at a tie one
 * that does not suppress), with its signer in *KEY; NULL when none.
 */
const struct policy_vex_stmt *policy_vex_decide(const struct policy_vex_set *v,
	    const struct policy_finding *f, size_t *key);
/* Whether V marks F not_affected or fixed. */
int	 policy_vex_suppresses(const struct policy_vex_set *v,
	    const struct policy_finding *f);

/*
 * attcheck.c: Sigstore bundle IN judged for DIGEST at NOW by key KEY of P
 * (a keyless identity or a key with rekor_trusted_root; another key
 * verifies nothing: *RES says MALFORMED).  Returns sig_bundle_verify's
 * code, *RES filled.
 */
int	 policy_bundle_check(const struct policy *p, size_t key,
	    const struct policy_att_input *in, const char *digest, int64_t now,
	    struct sig_bundle_result *res, struct rw_err *err);
/*
 * attcheck.c: the predicateType bundle IN's statement claims, unverified
 * (cosign's signing statement and a bundle without one leave OUT alone);
 * the first sha256 subject of its statement as "sha256:<hex>".
 */
void	 policy_bundle_peek(const struct policy_att_input *in, char *out,
	    size_t size);
void	 policy_bundle_subject(const struct policy_att_input *in, char *out,
	    size_t size);

/* ----------------------------------------------------- references, globs */

/*
 * Checks glob PAT (see POLICY.md) and writes its canonical form (docker.io
 * aliases folded) into OUT.  Returns 0, or -1 with the reason in WHY.
 */
int	 policy_glob_check(const char *pat, char *out, size_t outsize,
	    char *why, size_t whysize);
/* Whether glob PAT matches NAME ("host/repository", host lower-cased). */
int	 policy_glob_match(const char *pat, const char *name);
/*
 * Whether every name glob NARROW matches is also matched by glob WIDE.
 * Sound but not complete: 1 is always right, 0 may miss an odd case.
 */
int	 policy_glob_covers(const char *wide, const char *narrow);
/* Whether path segment SEG (LEN bytes) names a registry host, as docker
 * decides: it has a '.' or a ':' (or a '*' in a glob), or is "localhost". */
int	 policy_host_like(const char *seg, size_t len);
/* "registry-1.docker.io" and "index.docker.io" are "docker.io". */
const char *policy_canon_host(const char *host);
/* OCI tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. */
int	 policy_tag_ok(const char *tag);
/* OCI repository path grammar, lower case, components joined by '/'. */
int	 policy_repo_ok(const char *repo);
/* "sha256:" + 64, or "sha512:" + 128, lower-case hex. */
int	 policy_digest_ok(const char *digest);

/*
 * Translates a tag pattern into POSIX ERE: \d \w \s (and \D \W \S) become
 * bracket classes, other escapes of punctuation pass through.  Returns 0,
 * or -1 with the reason in WHY (an unsupported escape, too long).
 */
int	 policy_re_translate(const char *in, char *out, size_t outsize,
	    char *why, size_t whysize);

/* --------------------------------------------------------- image facts */

/* Whether config.User USER means root ("", "root", "0", "0:0", "root:x"). */
int	 policy_user_is_root(const char *user);
/*
 * Why environment entry ENTRY ("NAME=value") looks like a secret: NULL when
 * it does not, "" when its name does, else what its value looks like ("a
 * private key", "a GitHub token").  *HIDE_NAME is set when the name itself
 * looks like a credential, so that it is not printed either.
 */
const char *policy_env_secret(const char *entry, int *name_is_secret);

/* ----------------------------------------------------------- evaluation */

/* Longest host/repository we judge; the server's grammar allows 255 + 255. */
#define POLICY_SUBJECT_MAX	600
/* How much of a name, tag or value from the request a message quotes. */
#define POLICY_SHOW_NAME	300
#define POLICY_SHOW_TAG		128
#define POLICY_SHOW_ITEM	64
/* How many items (variables, labels, platforms) a reason lists. */
#define POLICY_LIST_MAX		5

/* One evaluation in progress (eval.c, image.c). */
struct policy_ev {
	const struct policy		*p;
	const struct policy_rule	*r;
	const struct admission_req	*req;
	size_t				 pat;	/* the pattern that matched */
	struct verdict			*v;
	char				 subject[POLICY_SUBJECT_MAX + 2];
	char				 name[POLICY_SHOW_NAME * 4 + 8];
	char				 ref[POLICY_SHOW_NAME * 4 + 320];
	char				 tag[POLICY_SHOW_TAG * 4 + 8];
	char				 digest[RW_DIGEST_MAX * 4];
	int64_t				 now;
	int				 nfail;
	int				 nsoft;	/* failures that only warn
						   (unscanned: warn) */
	int				 hold;	/* unscanned: hold applies */
	int64_t				 until;	/* see verdict.valid_until */
	int				 pin_now;
	/* content of an index: the platform being judged ("linux/arm64"),
	 * which starts each of its content reasons; "" otherwise */
	char				 cplat[POLICY_SHOW_ITEM * 12];
	/* bit I: reason I is evidence for another (policy_detail) */
	unsigned			 detail;
	/* scan.vex: the OpenVEX verified for the image, or NULL */
	const struct policy_vex_set	*vex;
	/* signature verification could not run: the decision fails */
	int				 fail_rc;
	char				 fail_msg[sizeof(((struct rw_err *)0)->msg)];
	char				 scratch[sizeof(((struct
					    verdict_reason *)0)->text)];
};


/*
 * Starts reason CHECK (failed or passed) in E's verdict and points SB at its
 * text.  Never fails: a reason that finds no room is written to scratch.
 */
void	 policy_reason(struct policy_ev *e, struct rw_sb *sb,
	    const char *check, int failed);
/*
 * As policy_reason, for evidence behind the reason just written (one per
 * key of a signature check): it is listed by explain, FAILED or not, but
 * not counted as a failure nor repeated in the message.  Written only
 * while the table has room; never replaces another reason.
 */
void	 policy_detail(struct policy_ev *e, struct rw_sb *sb,
	    const char *check, int failed);
/* " and N more" when TOTAL items were more than the SHOWN ones. */
void	 policy_list_more(struct rw_sb *sb, size_t shown, size_t total);
/*
 * The verdict may change at second T (later than now): keeps the earliest
 * such second in E->until.
 */
void	 policy_until(struct policy_ev *e, int64_t t);
/* Whether rule R reads the image config (beyond its platform). */
int	 policy_config_checks(const struct policy_rule *r);
/* image.c: non_root, no_secrets, required_labels, platforms, max_age_days. */
void	 policy_check_image(struct policy_ev *e);
/*
 * sigcheck.c: the signature check of a rule with "signatures" (pulls and
 * pushes).  Sets E->fail_rc when verification could not run.
 */
void	 policy_check_sigs(struct policy_ev *e);
/*
 * attcheck.c: a reason per requirement of the rule's "attestations".
 * Sets E->fail_rc when verification could not run.
 */
void	 policy_check_atts(struct policy_ev *e);
/*
 * vex.c: the OpenVEX attestations of E's request verified with the rule's
 * scan.vex keys, or NULL (E->fail_rc set: out of memory, a verification
 * that could not run).  Attestations that are not OpenVEX are skipped;
 * OpenVEX ones that cannot count leave a note (untrusted signer, another
 * image, malformed).  Free with policy_vex_set_free.
 */
struct policy_vex_set *policy_vex_gather(struct policy_ev *e);
void	 policy_vex_set_free(struct policy_vex_set *v);
/* vex.c: notes on the limited findings of the report VEX left counted. */
void	 policy_vex_notes(struct policy_ev *e, struct policy_vex_set *v);
/*
 * vex.c: reason "scan.vex" listing what V suppressed, and a detail with
 * the notes ("OpenVEX not applied: ...").
 */
void	 policy_vex_report(struct policy_ev *e, const struct policy_vex_set *v);
/* vex.c: for a failing scan reason: the first suppression, the first note. */
void	 policy_vex_tail(const struct policy_ev *e,
	    const struct policy_vex_set *v, struct rw_sb *sb);
/* scan.c: the scan checks of the rule (pulls only). */
void	 policy_check_scan(struct policy_ev *e);
/** The "scan.secrets" reason for E's rule and report (scansecret.c). */
void	 policy_check_scan_secrets(struct policy_ev *e);
/* content.c: the rule's "content" section against REQ->content. */
void	 policy_check_content(struct policy_ev *e);
/* Only the secrets of E's content (policy_eval_layer). */
void	 policy_check_secrets(struct policy_ev *e);
/* Whether index entry PL is an attestation (platform unknown/unknown). */
int	 policy_attestation(const struct policy_platform *pl);
/* "os/arch[/variant]" into BUF, safe to print. */
void	 policy_plat_label(char *buf, size_t size, const char *os,
	    const char *arch, const char *variant);

#endif /* RW_POLICY_INTERNAL_H */
