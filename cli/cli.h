/*
 * cli.h - the admin subcommands that work on the state database:
 * `regwarden pins ...`, `audit ...`, `scans ...` and `exceptions ...`.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Module cli/ (library rw_cli): every command but `serve`: these, and
 * `check` and `explain` (explain.h), `sign` (sign.h), `verify-bundle`
 * (below), with the blocking registry client they share (upclient.h);
 * main.c dispatches, after cmdtab.c's table answered any --help (the
 * table also makes the completion scripts, completion.c).  May call server/ (its config, the facts gathering
 * and manifest parsing that `explain` shares with admission, upstream
 * token auth), scanreport/, policy/ (and policy/sig/), db/ and util/;
 * nothing calls cli/.  Single-threaded: each command runs once per
 * process.
 *
 *   regwarden pins [-c config.json] add <host/repo:tag> <sha256:digest>
 *   regwarden pins [-c config.json] rm <host/repo:tag>
 *   regwarden pins [-c config.json] ls [--json]
 *   regwarden audit [-c config.json] [--denied] [--since DURATION]
 *       [--repo GLOB] [--json] [--limit N]
 *   regwarden scans [-c config.json] import <report.json|->...
 *   regwarden scans [-c config.json] ls [--repo GLOB]
 *       [--failing[=SEVERITY]] [--findings] [--json]
 *   regwarden exceptions [-c config.json] add <CVE-id|pkg:NAME>
 *       --repo GLOB --expires <RFC3339|DURATION> --reason TEXT
 *   regwarden exceptions [-c config.json] add --from-scan <sha256:digest>
 *       --repo GLOB --expires <RFC3339|DURATION> --reason TEXT
 *   regwarden exceptions [-c config.json] ls [--json]
 *   regwarden exceptions [-c config.json] rm <id>
 *
 * `scans import` reads Trivy or Grype JSON reports (scanreport/scanreport.h;
 * "-" is standard input) and stores each in its own transaction, printing
 * per file "imported FILE: trivy 0.50.1, 3 findings (critical 1, high 2),
 * digest sha256:... (config)" or "FILE: already imported"; a file that
 * fails prints "regwarden: FILE: <why>" and the others still go in (exit 1
 * at the end).  `scans ls` lists scans newest first; --failing keeps those
 * not superseded by a newer scan of one of their digests whose worst
 * finding is at least SEVERITY (default high); --repo matches a policy glob
 * against "upstream/repo" of the manifests pulled with those digests, "repo"
 * alone, and the report's artifact name.  --findings adds the scan's
 * vulnerability ids, distinct and worst first (a VULNERABILITIES column;
 * "vulnerabilities": [{id, severity, package, installed, fixed}] in JSON),
 * "(superseded)" / null for a scan a newer one replaced on every digest.  `exceptions add` takes a CVE (or
 * any scanner id) or "pkg:NAME" for every finding in a package, a repository
 * glob as policy rules write it (docker.io aliases folded), and an expiry in
 * the future: an RFC 3339 time or a duration from now (within the policy's
 * "exception_limits", when it sets them); --from-scan DIGEST adds one for
 * every vulnerability id of the newest scan naming DIGEST; `exceptions ls` marks
 * rows past their expiry "expired <time>".
 *
 * The database is <state_dir>/regwarden.db, state_dir coming from the
 * server config.  Exit status: 0 done, 1 failed (database, config, a pin
 * that is not there), 2 usage (unknown option, bad reference, digest,
 * duration or number).  Errors go to the error stream as one line starting
 * "regwarden: "; usage errors add the usage text.
 *
 * Output: an aligned table with a header row by default (times in UTC,
 * RFC 3339), or one JSON object per line with --json.  An empty table prints
 * "no pins" / "no audit records"; empty JSON output prints nothing.
 * Control characters in table cells are shown as '?', so data recorded from
 * a request cannot drive the admin's terminal.
 *
 * Image references follow docker's normalisation: "host/repo:tag", where
 * the first path segment is the registry host only if it contains '.' or ':'
 * or is "localhost"; otherwise the host is docker.io.  On docker.io (also
 * spelt index.docker.io), a one-segment repository gets "library/", so
 * "nginx:1.25" is docker.io/library/nginx:1.25.  Hosts are lower-cased.
 *
 * Single-threaded use only; these functions run once per process.
 */
#ifndef RW_CLI_H
#define RW_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

struct rw_config;

/** Where the commands write, what time it is and who is asking. */
struct cli_env {
	FILE		*out;		/* results */
	FILE		*err;		/* error messages and usage */
	int64_t		 now;		/* unix seconds */
	const char	*user;		/* recorded as pinned_by, added_by */
	char		 userbuf[64];	/* storage for user, if needed */
	const char	*policy_path;	/* the config's "policy", or NULL */
	/* the loaded config (its "database"), set by cli_main_env */
	const struct rw_config *cfg;
};

/**
 * Fill ENV for a real run: stdout, stderr, the current time, and the user:
 * SUDO_USER when running as root through sudo, else the login name of the
 * real uid, else "uid N".
 */
void	 cli_env_default(struct cli_env *env);

/**
 * Run the subcommand in ARGV[0] ("pins", "audit", "scans" or "exceptions";
 * ARGC counts from it).
 * An optional "-c FILE" / "--config FILE" right after the subcommand
 * overrides CONFIG_PATH.  Loads the config with config_load (errors printed
 * as file:line:col, exit 1) to find state_dir.  Returns the exit status.
 */
int	 cli_main(int argc, char **argv, const char *config_path);

/**
 * `regwarden db ...` (ARGV[0] is "db"): `status` reads CONFIG_PATH (or
 * -c) and prints the backend, the schema version and each table's rows;
 * `migrate --from STATE_DIR|FILE --to URL|FILE` copies every table of one
 * store into another, idempotently, printing the rows read and added per
 * table.  Returns the exit status (0, 1 on failure, 2 on usage).
 */
int	 cli_db(int argc, char **argv, const char *config_path,
	    const struct cli_env *env);

/** As cli_main, with ENV instead of cli_env_default's. */
int	 cli_main_env(int argc, char **argv, const char *config_path,
	    const struct cli_env *env);

/**
 * `pins` with ARGV[0] = "pins" and the database in STATE_DIR.  ENV NULL
 * means cli_env_default.  Returns the exit status.
 */
int	 cli_pins(int argc, char **argv, const char *state_dir,
	    const struct cli_env *env);

struct rw_config;
/**
 * `cache` with ARGV[0] = "cache": ls (least recently used first: digest,
 * size, last use; --json), stats, purge [--digest D] (one blob, or all),
 * on CFG's cache folder, opened passively beside a running server (which
 * misses a purged blob at its next request and forgets it).  Exit 1 when
 * the config has no "cache" or a digest to purge is not there.
 */
int	 cli_cache(int argc, char **argv, const struct rw_config *cfg,
	    const struct cli_env *env);
extern const char cli_cache_usage[];

/** `audit` with ARGV[0] = "audit"; as cli_pins. */
int	 cli_audit(int argc, char **argv, const char *state_dir,
	    const struct cli_env *env);

/** `scans` with ARGV[0] = "scans"; as cli_pins. */
int	 cli_scans(int argc, char **argv, const char *state_dir,
	    const struct cli_env *env);

/** `exceptions` with ARGV[0] = "exceptions"; as cli_pins. */
int	 cli_exceptions(int argc, char **argv, const char *state_dir,
	    const struct cli_env *env);

/** A parsed image reference; strings are empty when absent. */
struct cli_image {
	char	 host[256];	/* "docker.io" */
	char	 repo[256];	/* "library/nginx" */
	char	 tag[129];	/* "1.25" */
	char	 digest[RW_DIGEST_MAX];	/* "sha256:..." after '@' */
};

/**
 * Parse and normalise REF ("nginx:1.25", "ghcr.io/org/app@sha256:...").
 * Returns RW_OK, or RW_EINVAL with ERR saying what is wrong, e.g.
 * `invalid tag "-x" in "nginx:-x": a tag is up to 128 letters, digits, '_',
 * '.' and '-', not starting with '.' or '-'`.
 */
int	 cli_parse_image(const char *ref, struct cli_image *out,
	    struct rw_err *err);

/**
 * Whether S is "sha256:" and 64 lowercase hex digits: the only digest form
 * a pin takes.  Returns 1 or 0.
 */
int	 cli_valid_digest(const char *s);

/**
 * Parse a duration "<n><unit>", unit s, m, h or d ("30s", "15m", "2h",
 * "7d"), into seconds.  Returns RW_OK or RW_EINVAL (zero, no unit, overflow).
 */
int	 cli_parse_duration(const char *s, int64_t *secs);

/*
 * `regwarden verify-bundle` (cli_bundle.c): the Sigstore conformance
 * suite's command line.  ARGV[0] is "verify-bundle"; then --bundle FILE,
 * either --key PUB or --certificate-identity ID (or
 * --certificate-identity-regexp RE) with --certificate-oidc-issuer URL,
 * --trusted-root FILE (required), and the artifact: a path, or
 * "sha256:<hex>" when only its digest is known.  Prints "verified: <who>;
 * logged in <log> at index N, signed at <time>" to OUT and returns 0, or
 * "regwarden: verify-bundle: <verdict>: <why>" to ERRF and returns 1 (2 for
 * a usage error).
 */
int	 cli_verify_bundle(int argc, char **argv, FILE *out, FILE *errf);

/*
 * The command table (cmdtab.c): every command's name, subcommands, options
 * and usage text.  `--help`, the top-level usage and the shell completion
 * scripts are all made from it, so a new option is listed once.
 */
struct cli_cmd {
	const char		*name;	/* "pins" */
	const char *const	*subs;	/* NULL-terminated, or NULL: none */
	const char *const	*opts;	/* NULL-terminated; "--x=" takes a value */
	const char		*usage;	/* "usage: regwarden pins ..." */
};

/** The table, ended by an entry whose name is NULL. */
extern const struct cli_cmd cli_commands[];
/** The summary `regwarden --help` prints. */
extern const char cli_top_usage[];

/** The entry named NAME, or NULL. */
const struct cli_cmd *cli_cmd_find(const char *name);

/**
 * Whether the command line ARGV (ARGV[0] the program) asks for help:
 * "--help" or "-h" anywhere after a known command word (not as the value of
 * an option that takes one, not after "--"), "help" as a subcommand, or
 * `regwarden help [COMMAND]`.  Then the usage is printed to OUT and the
 * exit status returned (0, or 1 when OUT could not be written); nothing is
 * opened.  Returns -1 when no help was asked for.
 */
int	 cli_help_requested(int argc, char **argv, FILE *out);

/**
 * `regwarden completion bash|zsh` (ARGV[0] "completion"): print a
 * completion script made from cli_commands to OUT.  Returns the exit
 * status: 0, or 2 with the usage on ERRF for another shell.
 */
int	 cli_completion(int argc, char **argv, FILE *out, FILE *errf);

#endif /* RW_CLI_H */
