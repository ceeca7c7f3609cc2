/*
 * explain.h - `regwarden check` and `regwarden explain`: the policy
 * lifecycle commands an admin runs by hand.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   regwarden check [-c config.json] [policy.json]
 *   regwarden explain [-c config.json] [--op pull|push] [--json] <image-ref>
 *
 * check loads a policy file (the argument, else the config's "policy" key)
 * and prints every diagnostic as `file:line:col: message` to the error
 * stream, or `<path>: policy OK (revision sha256:..., N rules)`.  Exit
 * status: 0 valid, 1 invalid (or no policy to check), 2 usage.
 *
 * explain decides one image the way the proxy would, against the live
 * upstream, and prints why: the manifest is fetched (and its digest
 * verified), then exactly the facts the matching rule needs (image configs,
 * verified by digest; the pin; the cosign, Notation and Sigstore bundle
 * signatures, each blob checked against its digest, as the proxy gathers
 * them).  It enforces nothing and records nothing:
 * no audit row, no decision, no pin (not even for pin_on_first_pull), and
 * the state database is opened only when it already exists.  Exit status:
 * 0 served (allow, warn, audit), 2 usage (bad option or image reference),
 * 3 refused (deny), 4 could not decide (config, policy, upstream or
 * database error).
 *
 * The upstream is fetched with libcurl's blocking easy interface; that is
 * fine for a command and keeps the proxy's asynchronous engine out of it.
 * Single-threaded use only: these run once per process.
 */
#ifndef RW_EXPLAIN_H
#define RW_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"
#include "util/util.h"

#define EXPLAIN_EXIT_SERVED	0
#define EXPLAIN_EXIT_INVALID	1	/* check: the policy has errors */
#define EXPLAIN_EXIT_USAGE	2
#define EXPLAIN_EXIT_DENIED	3
#define EXPLAIN_EXIT_UNDECIDED	4

/** Usage text of both commands (with the exit statuses), for `help`. */
extern const char	explain_usage[];

/* ------------------------------------------------------------- arguments */

/** What a command line asked for; strings point into argv. */
struct explain_args {
	const char	*config;	/* -c; the caller's default when absent */
	const char	*policy;	/* check: the policy file, or NULL */
	const char	*ref;		/* explain: the image reference */
	int		 op;		/* explain: POLICY_OP_PULL (default) or PUSH */
	int		 json;		/* explain: --json */
};

/**
 * Parse `check` arguments, ARGV[0] being "check": [-c FILE] [policy.json].
 * DEFAULT_CONFIG (borrowed) fills OUT->config when -c is absent.  Returns
 * RW_OK, or RW_EINVAL with ERR saying what is wrong (`option -c needs a
 * value`, `unknown option "-x"`, `too many arguments`).
 */
int	 explain_parse_check(int argc, char **argv, const char *default_config,
	    struct explain_args *out, struct rw_err *err);

/**
 * Parse `explain` arguments, ARGV[0] being "explain": [-c FILE] [--op
 * pull|push] [--json] <image-ref>, options in any order before or after the
 * reference.  Returns RW_OK, or RW_EINVAL with ERR set (`--op must be
 * "pull" or "push", not "x"`, `missing image reference`, ...).
 */
int	 explain_parse_explain(int argc, char **argv, const char *default_config,
	    struct explain_args *out, struct rw_err *err);

/* ------------------------------------------------------------- commands */

/**
 * Run `check` (ARGV[0] = "check") writing results to OUT and diagnostics to
 * ERR.  Returns the exit status.
 */
int	 explain_check_main(int argc, char **argv, const char *default_config,
	    FILE *out, FILE *err);

/**
 * Run `explain` (ARGV[0] = "explain") writing the report to OUT and errors
 * (`regwarden: could not decide: ...`) to ERR.  Returns the exit status.
 */
int	 explain_main(int argc, char **argv, const char *default_config,
	    FILE *out, FILE *err);

/* ------------------------------------------------------------ the report */

/*
 * What explain found, as the formatters read it.  Every pointer is
 * borrowed; NULL (or 0 entries) means "not gathered" because the deciding
 * rule did not need it.
 */

/** One image's evidence: the manifest's own, or one platform's of an index. */
struct explain_image {
	const char			*platform;	/* "linux/arm64/v8"; NULL
							   for a single image */
	const char			*manifest;	/* platform manifest digest */
	const char			*config_digest;	/* verified */
	const struct policy_image	*img;		/* parsed config */
};

/** One signature found for the image. */
struct explain_sig {
	const char	*origin;	/* "signature layer 1", "Notation
					   signature 1a2b3c4d5e6f" */
	const char	*media_type;	/* of the layer holding it; may be "" */
};

struct explain_report {
	const char		*image;		/* "docker.io/library/nginx:1.25",
						   as the policy names it */
	const char		*upstream;	/* upstream name */
	const char		*upstream_url;
	const char		*upstream_why;	/* NULL, or why this upstream
						   ("the default: ...") */
	int			 op;		/* POLICY_OP_* */
	const char		*digest;	/* verified manifest digest */
	const char		*media_type;
	const char *const	*platforms;	/* "os/arch[/variant]" labels */
	size_t			 nplatforms;
	int			 has_policy;	/* 0: no policy configured */
	const struct verdict	*v;		/* with has_policy */
	const struct explain_image *images;
	size_t			 nimages;
	int			 pin_needed;	/* the rule reads a pin */
	const char		*pin;		/* pinned digest, or NULL */
	const char		*pin_source;	/* "policy file", "state db" */
	int			 sigs_gathered;	/* the rule reads signatures */
	const struct explain_sig *sigs;		/* with sigs_gathered */
	size_t			 nsigs;
	const char		*sig_subject;	/* the index whose .sig tag
						   stood in, or NULL */
};

/**
 * Print R as text: the image, digest, media type and platforms, the
 * decision and deciding rule, every check as `  PASS check: text` or
 * `  FAIL check: text`, the evidence (user, environment variable names but
 * never their values, labels, created, config digest, pin and, when
 * gathered, one line per signature: origin and media type) and the message
 * a client would see.  Bytes from the image are shown as printable ASCII
 * (others as \xNN).  Returns 0, or -1 when writing to FP failed.
 */
int	 explain_print_text(FILE *fp, const struct explain_report *r);

/**
 * Print R as one JSON object on one line: image, upstream, operation,
 * digest, media_type, platforms[], decision ("allow"|"deny"|"warn"), served
 * (bool), mode (null when no rule matched), rule ({name, file, line} or
 * null), default ("deny"|"allow" when the default decided, else null),
 * checks[] ({check, passed, text}), images[] ({platform, manifest, config,
 * user, env[] of names, labels{}, created}), pin ({digest, source} or null),
 * signatures ([{origin, media_type}], null when not gathered) and
 * message.  explain prints {image, decision: "error", error} instead
 * when it could not decide.  Returns 0, or -1 when out of memory or writing
 * failed.
 */
int	 explain_print_json(FILE *fp, const struct explain_report *r);

/*
 * `regwarden content [-c config.json] [--json] <image-ref>`: the indexed
 * files of the image's final filesystem (type, mode, owner, size, the
 * layer each comes from, link targets), the secret findings of every
 * layer and the installed packages, from the indexes the proxy kept in the
 * state database (it reads no layer itself).  `content --layer FILE`
 * reads one layer blob on disk instead and prints its entry count and
 * findings.  Exit status: 0 listed, 2 usage, 4 not indexed yet or any
 * error.
 */
int	 explain_content_main(int argc, char **argv,
	    const char *default_config, FILE *out, FILE *err);

struct facts_content;
/** Print FC for REF@DIGEST as text or JSON (--json).  Returns 0 or -1. */
int	 explain_print_content(FILE *out, const char *ref, const char *digest,
	    const struct facts_content *fc, int json);

/** The exit status for R: served, refused. */
int	 explain_exit_status(const struct explain_report *r);

#endif /* RW_EXPLAIN_H */
