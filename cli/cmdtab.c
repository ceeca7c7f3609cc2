/* cmdtab.c - the table of commands that `--help` and shell completion read. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "cli/explain.h"
#include "cli/sign.h"

static const char serve_usage[] =
    "usage: regwarden serve [-c|--config config.json]\n"
    "runs the proxy (default config: config/regwarden.json)\n";

static const char check_config_usage[] =
    "usage: regwarden check-config [-c|--config config.json]\n"
    "       regwarden check-config config.json\n"
    "runs every check serve runs before it listens (the config, its secret\n"
    "and key files and their modes, a writable state_dir, the policy, the\n"
    "htpasswd file, the upstream and client CA files, the scanner command)\n"
    "and prints \"configuration OK\" only when serve would start.\n"
    "  exit status: 0 OK, 1 problems (each on its own line), 2 usage\n";

static const char version_usage[] = "usage: regwarden version\n";

static const char health_usage[] =
    "usage: regwarden health [--ready] [-c config.json]\n"
    "asks the running regwarden's admin listener (GET /healthz, or /readyz\n"
    "with --ready), for exec probes and the image's HEALTHCHECK.\n"
    "  exit status: 0 healthy (or ready), 1 not, 2 usage\n";

static const char content_usage[] =
    "usage: regwarden content [-c config.json] [--json] <image-ref>\n"
    "       regwarden content --layer FILE\n"
    "lists the final filesystem, the secret findings of every layer and the\n"
    "installed packages of an image, from the indexes the proxy kept (an\n"
    "image never pulled through regwarden is not listed); --layer reads one\n"
    "layer blob on disk.\n"
    "  exit status: 0 listed, 2 usage, 4 not indexed yet or any error\n";

static const char completion_usage[] =
    "usage: regwarden completion bash|zsh\n"
    "prints a completion script made from the command table:\n"
    "  bash: source <(regwarden completion bash)\n"
    "  zsh:  source <(regwarden completion zsh)\n";

const char cli_top_usage[] =
    "usage: regwarden COMMAND [options]   (regwarden COMMAND --help for "
    "more)\n"
    "  serve          run the proxy (default config: config/regwarden.json)\n"
    "  check-config   run serve's start-up checks and exit\n"
    "  check          validate a policy and exit\n"
    "  explain        decide one image against the live upstream\n"
    "  content        what an image's layers hold: files, secrets, packages\n"
    "  sign           sign an image as `cosign sign --key` does\n"
    "  attest         attest an image as `cosign attest --key` does\n"
    "  verify-bundle  verify a Sigstore bundle\n"
    "  pins           pin tags to digests: add, rm, ls\n"
    "  scans          vulnerability reports: import, ls\n"
    "  exceptions     vulnerability exceptions: add, ls, rm\n"
    "  audit          the decisions recorded\n"
    "  cache          the blob cache: ls, stats, purge\n"
    "  db             the store: status, migrate (SQLite into PostgreSQL)\n"
    "  health         ask a running regwarden whether it is alive or ready\n"
    "  completion     a bash or zsh completion script\n"
    "  version        print the version\n"
    "Every command takes -c|--config FILE (default config/regwarden.json)\n"
    "but verify-bundle, completion and version.\n";

/* Options ending in '=' take a value (the next word, or "--x=v"). */
#define CONFIG_OPTS	"-c=", "--config="
static const char *const serve_opts[] = { CONFIG_OPTS, NULL };
static const char *const check_opts[] = { CONFIG_OPTS, NULL };
static const char *const explain_opts[] = { CONFIG_OPTS, "--op=",
	"--json", NULL };
static const char *const content_opts[] = { CONFIG_OPTS, "--json",
	"--layer=", NULL };
static const char *const sign_opts[] = { CONFIG_OPTS, "--key=", "-a=",
	"--annotations=", NULL };
static const char *const attest_opts[] = { CONFIG_OPTS, "--key=",
	"--type=", "--predicate=", NULL };
static const char *const bundle_opts[] = { "--bundle=",
	"--certificate-identity=", "--certificate-identity-regexp=",
	"--certificate-oidc-issuer=", "--key=", "--trusted-root=", NULL };
static const char *const pins_opts[] = { CONFIG_OPTS, "--json", NULL };
static const char *const pins_subs[] = { "add", "rm", "ls", NULL };
static const char *const scans_opts[] = { CONFIG_OPTS, "--repo=",
	"--failing", "--findings", "--json", NULL };
static const char *const scans_subs[] = { "import", "ls", NULL };
static const char *const exc_opts[] = { CONFIG_OPTS, "--repo=",
	"--expires=", "--reason=", "--from-scan=", "--json", NULL };
static const char *const exc_subs[] = { "add", "ls", "rm", NULL };
static const char *const audit_opts[] = { CONFIG_OPTS, "--denied",
	"--since=", "--repo=", "--json", "--limit=", NULL };
static const char *const cache_opts[] = { CONFIG_OPTS, "--json",
	"--digest=", "--repo=", "--force", "--dry-run", NULL };
static const char *const cache_subs[] = { "ls", "stats", "purge", NULL };
static const char *const health_opts[] = { CONFIG_OPTS, "--ready", NULL };
static const char *const db_opts[] = { CONFIG_OPTS, "--from=", "--to=",
	"--older-than=", NULL };
static const char *const db_subs[] = { "status", "prune", "migrate", NULL };
static const char *const completion_subs[] = { "bash", "zsh", NULL };
static const char *const no_opts[] = { NULL };

const struct cli_cmd cli_commands[] = {
	{ "serve", NULL, serve_opts, serve_usage },
	{ "check-config", NULL, check_opts, check_config_usage },
	{ "check", NULL, check_opts, explain_usage },
	{ "explain", NULL, explain_opts, explain_usage },
	{ "content", NULL, content_opts, content_usage },
	{ "sign", NULL, sign_opts, sign_usage },
	{ "attest", NULL, attest_opts, attest_usage },
	{ "verify-bundle", NULL, bundle_opts, cli_bundle_usage },
	{ "pins", pins_subs, pins_opts, cli_pins_usage },
	{ "scans", scans_subs, scans_opts, cli_scans_usage },
	{ "exceptions", exc_subs, exc_opts, cli_exceptions_usage },
	{ "audit", NULL, audit_opts, cli_audit_usage },
	{ "cache", cache_subs, cache_opts, cli_cache_usage },
	{ "db", db_subs, db_opts, cli_db_usage },
	{ "health", NULL, health_opts, health_usage },
	{ "completion", completion_subs, no_opts, completion_usage },
	{ "version", NULL, no_opts, version_usage },
	{ NULL, NULL, NULL, NULL },
};

const struct cli_cmd *
cli_cmd_find(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Whether WORD is one of C's options that takes a value. */
static int
takes_value(const struct cli_cmd *c, const char *word)
{
	const char *const *o;
	size_t n;

	for (o = c->opts; *o != NULL; o++) {
		n = strlen(*o);
		if ((*o)[n - 1] == '=' && strlen(word) == n - 1 &&
		    strncmp(*o, word, n - 1) == 0)
			return 1;
	}
	return 0;
}

int
cli_help_requested(int argc, char **argv, FILE *out)
{
	const struct cli_cmd *c;
	int i, positional = 0;

	if (argc < 2)
		return -1;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		c = argc >= 3 ? cli_cmd_find(argv[2]) : NULL;
		fputs(c != NULL ? c->usage : cli_top_usage, out);
		return fflush(out) == 0 && !ferror(out) ? 0 : 1;
	}
	c = cli_cmd_find(argv[1]);
	if (c == NULL)
		return -1;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		/* "help" in the subcommand's place: the first word that is
		 * neither an option nor an option's value. */
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0 || (!positional &&
		    c->subs != NULL && strcmp(argv[i], "help") == 0)) {
			fputs(c->usage, out);
			return fflush(out) == 0 && !ferror(out) ? 0 : 1;
		}
		if (takes_value(c, argv[i]))
			i++;
		else if (argv[i][0] != '-')
			positional = 1;
	}
	return -1;
}
