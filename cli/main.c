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

/*
 * `check-config [-c|--config FILE | FILE]`: serve's preflight without
 * serving, every problem on its own line.
 */
static int
check_config(int argc, char **argv, const char *path)
{
	struct rw_config *cfg = NULL;
	struct rw_diags d;

	if (argc == 3 && argv[2][0] != '-')
		path = argv[2];
	else if (argc == 4 && (strcmp(argv[2], "-c") == 0 ||
	    strcmp(argv[2], "--config") == 0))
		path = argv[3];
	else if (argc == 3 && strncmp(argv[2], "--config=", 9) == 0)
		path = argv[2] + 9;
	else if (argc != 2) {
		fputs(cli_cmd_find("check-config")->usage, stderr);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	if (config_load(path, &cfg, &d) != RW_OK) {
		server_print_diags(&d);
		return 1;
	}
	if (server_preflight(cfg, &d) != RW_OK) {
		server_print_diags(&d);
		config_free(cfg);
		return 1;
	}
	printf("%s: configuration OK\n", path);
	config_free(cfg);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct cli_env env;
	int i, rc;

	/*
	 * Stream buffers (128 KiB and up) come and go with every transfer.
	 * A fixed mmap threshold hands them back to the kernel when freed,
	 * and few arenas keep worker threads from each hoarding free memory:
	 * memory then follows the transfers in flight, not their history.
	 */
	mallopt(M_MMAP_THRESHOLD, 96 * 1024);
	mallopt(M_ARENA_MAX, 2);

	/* Before anything is opened: --help never needs a config. */
	rc = cli_help_requested(argc, argv, stdout);
	if (rc >= 0)
		return rc;
	if (argc < 2 || strcmp(argv[1], "serve") == 0) {
		for (i = 2; i < argc; i++) {
			if ((strcmp(argv[i], "-c") == 0 ||
			    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
				path = argv[++i];
			else if (strncmp(argv[i], "--config=", 9) == 0)
				path = argv[i] + 9;
			else {
				fputs(cli_cmd_find("serve")->usage, stderr);
				return 2;
			}
		}
		return server_serve(path);
	}
	if (strcmp(argv[1], "pins") == 0 || strcmp(argv[1], "audit") == 0 ||
	    strcmp(argv[1], "scans") == 0 || strcmp(argv[1], "exceptions") == 0 ||
	    strcmp(argv[1], "cache") == 0)
		return cli_main(argc - 1, argv + 1, path);
	if (strcmp(argv[1], "db") == 0) {
		cli_env_default(&env);
		return cli_db(argc - 1, argv + 1, path, &env);
	}
	if (strcmp(argv[1], "health") == 0)
		return health_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "check") == 0)
		return explain_check_main(argc - 1, argv + 1, path, stdout,
		    stderr);
	if (strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "content") == 0)
		return explain_content_main(argc - 1, argv + 1, path, stdout,
		    stderr);
	if (strcmp(argv[1], "sign") == 0 || strcmp(argv[1], "attest") == 0)
		return sign_main(argc - 1, argv + 1, path, stdout, stderr);
	if (strcmp(argv[1], "verify-bundle") == 0)
		return cli_verify_bundle(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "check-config") == 0)
		return check_config(argc, argv, path);
	if (strcmp(argv[1], "completion") == 0)
		return cli_completion(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("regwarden %s\n", RW_VERSION);
		return 0;
	}
	fprintf(stderr, "regwarden: unknown command \"%s\"\n", argv[1]);
	fputs(cli_top_usage, stderr);
	return 2;
}
