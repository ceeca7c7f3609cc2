/* main.c - the regwarden command line. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/config.h"
#include "cli/explain.h"
#include "cli/health.h"
#include "server/server.h"
#include "cli/sign.h"
#include "util/util.h"

#define DEFAULT_CONFIG	"config/regwarden.json"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: regwarden serve [-c config.json]   run the proxy "
	    "(default config: " DEFAULT_CONFIG ")\n"
	    "       regwarden check-config [config.json]  validate a server "
	    "config and exit\n"
	    "       regwarden check [-c config.json] [policy.json]  validate "
	    "a policy and exit\n"
	    "       regwarden explain [-c config.json] [--op pull|push] [--json] "
	    "<image-ref>\n"
	    "       regwarden sign [-c config.json] --key KEY.pem [-a key=value]... "
	    "<image-ref>\n"
	    "       regwarden verify-bundle --bundle FILE (--key PUB | "
	    "--certificate-identity ID --certificate-oidc-issuer URL) "
	    "--trusted-root FILE FILE|sha256:HEX\n"
	    "       regwarden pins [-c config.json] add|rm|ls ...\n"
	    "       regwarden scans [-c config.json] import REPORT... | ls [--repo GLOB] "
	    "[--failing[=SEVERITY]] [--json]\n"
	    "       regwarden exceptions [-c config.json] add ID|pkg:NAME --repo GLOB "
	    "--expires WHEN --reason TEXT | ls [--json] | rm ID\n"
	    "       regwarden audit [-c config.json] [--denied] [--since DURATION] "
	    "[--repo GLOB] [--json] [--limit N]\n"
	    "       regwarden cache [-c config.json] ls [--json] | stats | "
	    "purge [--digest DIGEST]\n"
	    "       regwarden health [--ready] [-c config.json]  ask the admin "
	    "listener (exit 0 healthy, 1 not)\n"
	    "       regwarden version\n");
}

static int
check_config(const char *path)
{
	struct rw_config *cfg = NULL;
	struct rw_diags d;
	struct rw_err err;

	memset(&d, 0, sizeof(d));
	if (config_load(path, &cfg, &d) != RW_OK) {
		server_print_diags(&d);
		return 1;
	}
	/* "OK" means serve starts: the same refusal of a policy-less config. */
	rw_err_clear(&err);
	if (config_check_serve(cfg, &err) != RW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		config_free(cfg);
		return 1;
	}
	printf("%s: configuration OK\n", path);
	config_free(cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int i;

	/*
	 * Stream buffers (128 KiB and up) come and go with every transfer.
	 * A fixed mmap threshold hands them back to the kernel when freed,
	 * and few arenas keep worker threads from each hoarding free memory:
	 * memory then follows the transfers in flight, not their history.
	 */
	mallopt(M_MMAP_THRESHOLD, 96 * 1024);
	mallopt(M_ARENA_MAX, 2);

	if (argc < 2 || strcmp(argv[1], "serve") == 0) {
		for (i = 2; i < argc; i++) {
			if ((strcmp(argv[i], "-c") == 0 ||
			    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
				path = argv[++i];
			else {
				usage(stderr);
				return 2;
			}
		}
		return server_serve(path);
	}
	if (strcmp(argv[1], "pins") == 0 || strcmp(argv[1], "audit") == 0 ||
	    strcmp(argv[1], "scans") == 0 || strcmp(argv[1], "exceptions") == 0 ||
	    strcmp(argv[1], "cache") == 0)
		return cli_main(argc - 1, argv + 1, path);
	if (strcmp(argv[1], "health") == 0)
		return health_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "check") == 0)
		return explain_check_main(argc - 1, argv + 1, path, stdout,
		    stderr);
	if (strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "sign") == 0)
		return sign_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "verify-bundle") == 0)
		return cli_verify_bundle(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "check-config") == 0 && argc <= 3)
		return check_config(argc == 3 ? argv[2] : path);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("regwarden %s\n", RW_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
