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
 * (POLICY_NEED_*), and policy_eval() only reads those.  The file format,
 * every check and every message are described in config/POLICY.md.
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
};

/** What is being admitted. */
struct admission_req {
	int			 op;		/* enum policy_op */
	const char		*host;		/* canonical registry host: "docker.io" */
	const char		*repo;		/* "library/nginx" */
	const char		*tag;		/* NULL when pulled by digest */
	const char		*digest;	/* manifest digest, verified */
	const char		*media_type;
	int			 is_index;	/* index / manifest list */
	const struct policy_platform *platforms; /* of an index's children */
	size_t			 nplatforms;
	/* facts, each present only if the matched rule needs it */
	const struct policy_image *image;	/* NULL: not an image / unknown */
	const char		*pinned_digest;	/* pin for tag, NULL none */
	const char		*tag_digest;	/* push: tag's current digest */
	const char		*identity;	/* client identity, for reasons */
};

#define VERDICT_REASONS	16

struct verdict_reason {
	/*
	 * "sources", "tags" (request by digest), "tags.deny",
	 * "tags.pattern", "tags.digest_only", "pins", "immutable_tags",
	 * "image.non_root", "image.no_secrets", "image.required_labels",
	 * "image.platforms", "image.max_age_days", or "default".
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

/** "sha256:<hex>" of the file's bytes: the revision decisions are keyed by. */
const char *policy_revision(const struct policy *p);

/** How many rules P holds (for `regwarden check`). */
size_t	 policy_nrules(const struct policy *p);

/** Pins declared in the policy file, for the caller to load into its store. */
size_t	 policy_npins(const struct policy *p);
/** Pin I: image "host/repo:tag" split into parts, and its digest. */
void	 policy_pin(const struct policy *p, size_t i, const char **host,
	    const char **repo, const char **tag, const char **digest);

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
 */
int	 policy_eval(const struct policy *p, const struct admission_req *req,
	    int64_t now, struct verdict *out, struct rw_err *err);

/** The name and line of a rule policy_match() returned. */
const char *policy_rule_name(const struct policy_rule *r);
int	 policy_rule_line(const struct policy_rule *r);

/** "enforce", "warn", "audit". */
const char *policy_mode_name(int mode);
/** "allow", "deny", "warn". */
const char *verdict_name(int kind);

#endif /* RW_POLICY_H */
