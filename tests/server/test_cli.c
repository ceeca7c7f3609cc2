/* test_cli.c - `regwarden pins` and `regwarden audit`, output verbatim. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "db/db.h"
#include "server/cli.h"
#include "util/util.h"

#define NOW	1700000000	/* 2023-11-14T22:13:20Z */
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

struct fixture {
	char	 dir[64];
	char	 state[96];
	char	 config[96];
	char	 db[128];
	char	*out;
	char	*err;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	if (f == NULL)
		return -1;
	rw_strlcpy(f->dir, "/tmp/rwcliXXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/regwarden.json", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/regwarden.db", f->state);
	if (mkdir(f->state, 0700) != 0)
		return -1;
	fp = fopen(f->config, "w");
	if (fp == NULL)
		return -1;
	fprintf(fp, "{\n  \"listen\": \"127.0.0.1:5443\",\n"
	    "  \"state_dir\": \"%s\",\n"
	    "  \"upstreams\": [{\"name\": \"hub\", "
	    "\"url\": \"https://registry-1.docker.io\", "
	    "\"hosts\": [\"docker.io\"], \"default\": true}]\n}\n", f->state);
	fclose(fp);
	*state = f;
	return 0;
}

static void
remove_db(struct fixture *f)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, suffix[i]);
		unlink(p);
	}
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	remove_db(f);
	rmdir(f->state);
	unlink(f->config);
	rmdir(f->dir);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

static char *
slurp(FILE *fp)
{
	long n;
	char *s;

	assert_int_equal(fflush(fp), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return s;
}

/*
 * Run cli_main_env with the NULL-terminated words ..., capturing what it
 * writes in f->out and f->err.  Returns the exit status.
 */
static int
run(struct fixture *f, ...)
{
	struct cli_env env;
	char *argv[16];
	va_list ap;
	int argc = 0, rc;

	va_start(ap, f);
	for (;;) {
		argv[argc] = va_arg(ap, char *);
		if (argv[argc] == NULL)
			break;
		argc++;
		assert_true(argc < 16);
	}
	va_end(ap);
	memset(&env, 0, sizeof(env));
	env.out = tmpfile();
	env.err = tmpfile();
	assert_non_null(env.out);
	assert_non_null(env.err);
	env.now = NOW;
	env.user = "alice";
	rc = cli_main_env(argc, argv, f->config, &env);
	free(f->out);
	free(f->err);
	f->out = slurp(env.out);
	f->err = slurp(env.err);
	return rc;
}

/* ------------------------------------------------------------------ pins */

static void
test_pins_add_ls_rm(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "pins", "ls", NULL), 0);
	assert_string_equal(f->out, "no pins\n");
	assert_int_equal(run(f, "pins", "add", "nginx:1.25", D1, NULL), 0);
	assert_string_equal(f->out,
	    "pinned docker.io/library/nginx:1.25 to " D1 "\n");
	assert_string_equal(f->err, "");
	assert_int_equal(run(f, "pins", "add", "ghcr.io/org/app:v1", D2, NULL),
	    0);
	assert_int_equal(run(f, "pins", "add", "docker.io/nginx:1.25", D3,
	    NULL), 0);
	assert_string_equal(f->out, "pinned docker.io/library/nginx:1.25 to "
	    D3 " (was " D1 ")\n");

	assert_int_equal(run(f, "pins", "ls", NULL), 0);
	assert_string_equal(f->out,
	    "IMAGE                         DIGEST                                "
	    "                                   SOURCE  PINNED BY  PINNED AT\n"
	    "docker.io/library/nginx:1.25  " D3 "  cli     alice      "
	    "2023-11-14T22:13:20Z\n"
	    "ghcr.io/org/app:v1            " D2 "  cli     alice      "
	    "2023-11-14T22:13:20Z\n");
	assert_int_equal(run(f, "pins", "ls", "--json", NULL), 0);
	assert_string_equal(f->out,
	    "{\"image\":\"docker.io/library/nginx:1.25\",\"host\":\"docker.io\","
	    "\"repo\":\"library/nginx\",\"tag\":\"1.25\",\"digest\":\"" D3 "\","
	    "\"source\":\"cli\",\"pinned_by\":\"alice\","
	    "\"pinned_at\":\"2023-11-14T22:13:20Z\"}\n"
	    "{\"image\":\"ghcr.io/org/app:v1\",\"host\":\"ghcr.io\","
	    "\"repo\":\"org/app\",\"tag\":\"v1\",\"digest\":\"" D2 "\","
	    "\"source\":\"cli\",\"pinned_by\":\"alice\","
	    "\"pinned_at\":\"2023-11-14T22:13:20Z\"}\n");

	assert_int_equal(run(f, "pins", "rm", "index.docker.io/library/nginx:1.25",
	    NULL), 0);
	assert_string_equal(f->out, "unpinned docker.io/library/nginx:1.25\n");
	assert_int_equal(run(f, "pins", "rm", "nginx:1.25", NULL), 1);
	assert_string_equal(f->out, "");
	assert_string_equal(f->err,
	    "regwarden: docker.io/library/nginx:1.25 is not pinned\n");
	assert_int_equal(run(f, "pins", "ls", "--json", NULL), 0);
	assert_string_equal(f->out, "{\"image\":\"ghcr.io/org/app:v1\","
	    "\"host\":\"ghcr.io\",\"repo\":\"org/app\",\"tag\":\"v1\","
	    "\"digest\":\"" D2 "\",\"source\":\"cli\",\"pinned_by\":\"alice\","
	    "\"pinned_at\":\"2023-11-14T22:13:20Z\"}\n");
}

static void
test_pins_bad_input(void **state)
{
	static const struct {
		const char	*ref, *digest, *err;
	} rows[] = {
		{ "nginx:1.25", "sha256:abc",
		  "regwarden: invalid digest \"sha256:abc\": expected "
		  "\"sha256:\" and 64 lowercase hex digits\n" },
		{ "nginx:1.25", "SHA256:1111111111111111111111111111111111111111"
		  "111111111111111111111111",
		  "regwarden: invalid digest \"SHA256:11111111111111111111111111"
		  "11111111111111111111111111111111111111\": expected \"sha256:\" "
		  "and 64 lowercase hex digits\n" },
		{ "nginx:1.25", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAA",
		  "regwarden: invalid digest \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\": expected \"sha256:\" "
		  "and 64 lowercase hex digits\n" },
		{ "nginx", D1, "regwarden: \"nginx\" has no tag; a pin maps a "
		  "tag: use host/repo:tag\n" },
		{ "nginx@" D1, D1, "regwarden: \"nginx@" D1 "\" names a digest; "
		  "a pin maps a tag: use host/repo:tag\n" },
		{ "nginx:-x", D1, "regwarden: invalid tag \"-x\" in \"nginx:-x\": "
		  "a tag is up to 128 letters, digits, '_', '.' and '-', not "
		  "starting with '.' or '-'\n" },
		{ "nginx:", D1, "regwarden: invalid tag \"\" in \"nginx:\": a tag "
		  "is up to 128 letters, digits, '_', '.' and '-', not starting "
		  "with '.' or '-'\n" },
		{ "Nginx:1", D1, "regwarden: invalid repository \"Nginx\" in "
		  "\"Nginx:1\": each path component is lowercase letters and "
		  "digits, joined by '.', '_', '__' or '-'\n" },
		{ "ghcr.io/org//app:1", D1, "regwarden: invalid repository "
		  "\"org//app\" in \"ghcr.io/org//app:1\": each path component is "
		  "lowercase letters and digits, joined by '.', '_', '__' or "
		  "'-'\n" },
		{ "bad_host.io/app:1", D1, "regwarden: invalid registry host "
		  "\"bad_host.io\" in \"bad_host.io/app:1\"\n" },
		{ "host:99999/app:1", D1, "regwarden: invalid registry host "
		  "\"host:99999\" in \"host:99999/app:1\"\n" },
		{ "", D1, "regwarden: invalid image reference \"\": it is "
		  "empty\n" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(run(f, "pins", "add", rows[i].ref,
		    rows[i].digest, NULL), 2);
		assert_string_equal(f->err, rows[i].err);
		assert_string_equal(f->out, "");
	}
	/* rm checks references the same way. */
	assert_int_equal(run(f, "pins", "rm", "nginx", NULL), 2);
	assert_string_equal(f->err, "regwarden: \"nginx\" has no tag; a pin "
	    "maps a tag: use host/repo:tag\n");
	/* Nothing was stored. */
	assert_int_equal(run(f, "pins", "ls", NULL), 0);
	assert_string_equal(f->out, "no pins\n");
}

#define PINS_USAGE							\
	"usage: regwarden pins [-c config.json] add <host/repo:tag> "	\
	"<sha256:digest>\n"						\
	"       regwarden pins [-c config.json] rm <host/repo:tag>\n"	\
	"       regwarden pins [-c config.json] ls [--json]\n"

static void
test_pins_usage(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "pins", NULL), 2);
	assert_string_equal(f->err, "regwarden: pins: missing command\n"
	    PINS_USAGE);
	assert_int_equal(run(f, "pins", "list", NULL), 2);
	assert_string_equal(f->err, "regwarden: pins: unknown command "
	    "\"list\"\n" PINS_USAGE);
	assert_int_equal(run(f, "pins", "add", "nginx:1", NULL), 2);
	assert_string_equal(f->err, "regwarden: pins add: wrong number of "
	    "arguments\n" PINS_USAGE);
	assert_int_equal(run(f, "pins", "ls", "--yaml", NULL), 2);
	assert_string_equal(f->err, "regwarden: pins ls: unknown option "
	    "\"--yaml\"\n" PINS_USAGE);
	assert_int_equal(run(f, "pins", "--help", NULL), 0);
	assert_string_equal(f->out, PINS_USAGE);
	assert_string_equal(f->err, "");
	assert_int_equal(run(f, "pins", "-c", NULL), 2);
	assert_string_equal(f->err, "regwarden: option -c needs a value\n"
	    PINS_USAGE);
}

static void
test_config_and_state_dir(void **state)
{
	struct fixture *f = *state;
	char want[300], cfg[128];
	struct cli_env env;
	char *argv[] = { "pins", "ls", NULL };
	FILE *fp;

	/* -c after the command word overrides the path main() passes. */
	snprintf(cfg, sizeof(cfg), "%s", f->config);
	assert_int_equal(run(f, "pins", "-c", cfg, "ls", NULL), 0);
	assert_string_equal(f->out, "no pins\n");

	/* A config that does not load: its diagnostics, exit 1. */
	memset(&env, 0, sizeof(env));
	env.out = tmpfile();
	env.err = tmpfile();
	env.user = "alice";
	assert_int_equal(cli_main_env(2, argv, "/nonexistent/regwarden.json",
	    &env), 1);
	free(f->out);
	free(f->err);
	f->out = slurp(env.out);
	f->err = slurp(env.err);
	assert_string_equal(f->out, "");
	assert_string_equal(f->err, "/nonexistent/regwarden.json: cannot "
	    "open: No such file or directory\n");

	/* A state_dir that is not there is named, not SQLite's words. */
	remove_db(f);
	assert_int_equal(rmdir(f->state), 0);
	fp = fopen(f->state, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(run(f, "pins", "ls", NULL), 1);
	snprintf(want, sizeof(want), "regwarden: cannot use state_dir %s: not "
	    "a directory\n", f->state);
	assert_string_equal(f->err, want);
	unlink(f->state);
	assert_int_equal(run(f, "audit", NULL), 1);
	snprintf(want, sizeof(want), "regwarden: cannot use state_dir %s: No "
	    "such file or directory\n", f->state);
	assert_string_equal(f->err, want);
	assert_int_equal(mkdir(f->state, 0700), 0);

	assert_int_equal(run(f, "frobnicate", NULL), 2);
	assert_string_equal(f->err, "regwarden: cli: expected \"pins\" or "
	    "\"audit\"\n");
}

/* cli_main writes to the real stdout: capture it through a file. */
static void
test_cli_main_stdout(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "pins", "ls", NULL };
	char path[128];
	FILE *fp;
	int saved, fd, rc;

	snprintf(path, sizeof(path), "%s/stdout", f->dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	rc = cli_main(2, argv, f->config);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_int_equal(rc, 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	free(f->out);
	f->out = slurp(fp);
	unlink(path);
	assert_string_equal(f->out, "no pins\n");
}

/* ----------------------------------------------------------------- audit */

static void
seed_audit(struct fixture *f)
{
	const struct db_audit_row rows[] = {
		{ .ts = NOW - 3 * 3600, .request_id = "a1",
		  .client = "10.0.0.7", .operation = "pull", .upstream = "hub",
		  .host = "docker.io", .repo = "library/nginx",
		  .reference = "1.25", .digest = D1, .verdict = "allow",
		  .mode = "enforce", .rule = "hub", .rule_file = "policy.json",
		  .rule_line = 12, .reasons_json = "[]" },
		{ .ts = NOW - 3600, .request_id = "a2", .client = "10.0.0.8",
		  .identity = "ci", .operation = "pull", .upstream = "hub",
		  .host = "docker.io", .repo = "library/nginx",
		  .reference = "latest", .verdict = "deny", .mode = "enforce",
		  .rule = "no-latest", .rule_file = "policy.json",
		  .rule_line = 20,
		  .reasons_json = "[{\"check\":\"tags\",\"failed\":1}]",
		  .message = "regwarden: docker.io/library/nginx:latest is "
		  "refused\nby rule no-latest" },
		{ .ts = NOW - 60, .request_id = "a3", .client = "10.0.0.9",
		  .operation = "push", .upstream = "local",
		  .host = "localhost:5000", .repo = "team/app",
		  .reference = D2, .digest = D2, .verdict = "error",
		  .reasons_json = "not json",
		  .message = "regwarden: could not decide: upstream timed out" },
	};
	struct rw_err err;
	struct db *db;
	size_t i;

	rw_err_clear(&err);
	assert_int_equal(db_open(f->db, &db, &err), RW_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(db_audit_add(db, &rows[i], &err), RW_OK);
	db_close(db);
}

static void
test_audit_table(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "audit", NULL), 0);
	assert_string_equal(f->out, "no audit records\n");
	seed_audit(f);
	assert_int_equal(run(f, "audit", NULL), 0);
	assert_string_equal(f->err, "");
	/* Columns as wide as their widest cell; control bytes shown as ?. */
	assert_string_equal(f->out,
	    "TIME                  VERDICT  MODE     OP    CLIENT    "
	    "IMAGE"
	    "                                              "
	    "                                              "
	    "RULE                        "
	    "MESSAGE\n"
	    "2023-11-14T19:13:20Z  allow    enforce  pull  10.0.0.7  "
	    "docker.io/library/nginx:1.25"
	    "                                  "
	    "                                   "
	    "hub (policy.json:12)        "
	    "-\n"
	    "2023-11-14T21:13:20Z  deny     enforce  pull  ci        "
	    "docker.io/library/nginx:latest"
	    "                                 "
	    "                                  "
	    "no-latest (policy.json:20)  "
	    "docker.io/library/nginx:latest is refused?by rule no-latest\n"
	    "2023-11-14T22:12:20Z  error    -        push  10.0.0.9  "
	    "localhost:5000/team/app@" D2 "  "
	    "-                           "
	    "could not decide: upstream timed out\n");
}

static void
test_audit_filters(void **state)
{
	struct fixture *f = *state;

	seed_audit(f);
	assert_int_equal(run(f, "audit", "--denied", "--json", NULL), 0);
	assert_string_equal(f->out,
	    "{\"id\":2,\"time\":\"2023-11-14T21:13:20Z\",\"request_id\":\"a2\","
	    "\"client\":\"10.0.0.8\",\"identity\":\"ci\",\"operation\":\"pull\","
	    "\"upstream\":\"hub\",\"host\":\"docker.io\","
	    "\"repo\":\"library/nginx\",\"reference\":\"latest\",\"digest\":\"\","
	    "\"verdict\":\"deny\",\"mode\":\"enforce\",\"rule\":\"no-latest\","
	    "\"rule_file\":\"policy.json\",\"rule_line\":20,"
	    "\"reasons\":[{\"check\":\"tags\",\"failed\":1}],"
	    "\"message\":\"regwarden: docker.io/library/nginx:latest is "
	    "refused\\nby rule no-latest\"}\n"
	    "{\"id\":3,\"time\":\"2023-11-14T22:12:20Z\",\"request_id\":\"a3\","
	    "\"client\":\"10.0.0.9\",\"identity\":\"\",\"operation\":\"push\","
	    "\"upstream\":\"local\",\"host\":\"localhost:5000\","
	    "\"repo\":\"team/app\",\"reference\":\"" D2 "\",\"digest\":\"" D2
	    "\",\"verdict\":\"error\",\"mode\":\"\",\"rule\":\"\","
	    "\"rule_file\":\"\",\"rule_line\":0,\"reasons\":\"not json\","
	    "\"message\":\"regwarden: could not decide: upstream timed out\"}\n");
	/* --since counts back from now: 2h keeps the last two. */
	assert_int_equal(run(f, "audit", "--since", "2h", "--json", NULL), 0);
	assert_non_null(strstr(f->out, "\"id\":2,"));
	assert_non_null(strstr(f->out, "\"id\":3,"));
	assert_null(strstr(f->out, "\"id\":1,"));
	assert_int_equal(run(f, "audit", "--since=61s", "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":3,", 8) == 0);
	assert_ptr_equal(strchr(f->out, '\n'), f->out + strlen(f->out) - 1);
	assert_int_equal(run(f, "audit", "--since", "59s", NULL), 0);
	assert_string_equal(f->out, "no audit records\n");
	/* The glob sees host/repo and repo alike. */
	assert_int_equal(run(f, "audit", "--repo", "library/*", "--json", NULL),
	    0);
	assert_true(strncmp(f->out, "{\"id\":1,", 8) == 0);
	assert_non_null(strstr(f->out, "\n{\"id\":2,"));
	assert_null(strstr(f->out, "\"id\":3,"));
	assert_int_equal(run(f, "audit", "--repo", "localhost:5000/**",
	    "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":3,", 8) == 0);
	/* --limit keeps the newest, printed oldest first. */
	assert_int_equal(run(f, "audit", "--limit", "2", "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":2,", 8) == 0);
	assert_non_null(strstr(f->out, "\n{\"id\":3,"));
}

#define AUDIT_USAGE							\
	"usage: regwarden audit [-c config.json] [--denied] [--since "	\
	"DURATION] [--repo GLOB] [--json] [--limit N]\n"		\
	"       DURATION is a number and a unit: 30s, 15m, 2h, 7d\n"

static void
test_audit_usage(void **state)
{
	static const struct {
		const char	*a, *b, *err;
	} rows[] = {
		{ "--since", "5x", "regwarden: invalid duration \"5x\": use a "
		  "number and a unit, e.g. 30s, 15m, 2h or 7d\n" },
		{ "--since", "0m", "regwarden: invalid duration \"0m\": use a "
		  "number and a unit, e.g. 30s, 15m, 2h or 7d\n" },
		{ "--since", "h", "regwarden: invalid duration \"h\": use a "
		  "number and a unit, e.g. 30s, 15m, 2h or 7d\n" },
		{ "--limit", "0", "regwarden: invalid limit \"0\": expected a "
		  "whole number from 1 to 2147483647\n" },
		{ "--limit", "ten", "regwarden: invalid limit \"ten\": expected "
		  "a whole number from 1 to 2147483647\n" },
		{ "--denid", NULL, "regwarden: audit: unknown option "
		  "\"--denid\"\n" },
		{ "--repo", NULL, "regwarden: audit: option --repo needs a "
		  "value\n" },
	};
	struct fixture *f = *state;
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(run(f, "audit", rows[i].a, rows[i].b, NULL), 2);
		snprintf(want, sizeof(want), "%s%s", rows[i].err, AUDIT_USAGE);
		assert_string_equal(f->err, want);
		assert_string_equal(f->out, "");
	}
	assert_int_equal(run(f, "audit", "--help", NULL), 0);
	assert_string_equal(f->out, AUDIT_USAGE);
}

/* ------------------------------------------------------------ references */

static void
test_parse_image(void **state)
{
	static const struct {
		const char	*ref, *host, *repo, *tag, *digest;
	} rows[] = {
		{ "nginx", "docker.io", "library/nginx", "", "" },
		{ "nginx:1.25", "docker.io", "library/nginx", "1.25", "" },
		{ "docker.io/nginx:1", "docker.io", "library/nginx", "1", "" },
		{ "index.docker.io/nginx:1", "docker.io", "library/nginx", "1",
		  "" },
		{ "myorg/app:v2", "docker.io", "myorg/app", "v2", "" },
		{ "localhost/app:1", "localhost", "app", "1", "" },
		{ "localhost:5000/app:1", "localhost:5000", "app", "1", "" },
		{ "Registry.Example.COM:443/a/b/c:x_Y.z-1", "registry.example.com:443",
		  "a/b/c", "x_Y.z-1", "" },
		{ "ghcr.io/org/app@" D1, "ghcr.io", "org/app", "", D1 },
		{ "ghcr.io/org/app:v1@" D1, "ghcr.io", "org/app", "v1", D1 },
		{ "[::1]:5000/a__b/c-d--e.f:1", "[::1]:5000", "a__b/c-d--e.f",
		  "1", "" },
	};
	struct cli_image img;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rw_err_clear(&err);
		if (cli_parse_image(rows[i].ref, &img, &err) != RW_OK)
			fail_msg("%s: %s", rows[i].ref, err.msg);
		assert_string_equal(img.host, rows[i].host);
		assert_string_equal(img.repo, rows[i].repo);
		assert_string_equal(img.tag, rows[i].tag);
		assert_string_equal(img.digest, rows[i].digest);
	}
	rw_err_clear(&err);
	assert_int_equal(cli_parse_image("a/b___c:1", &img, &err), RW_EINVAL);
	assert_string_equal(err.msg, "invalid repository \"a/b___c\" in "
	    "\"a/b___c:1\": each path component is lowercase letters and digits, "
	    "joined by '.', '_', '__' or '-'");
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		int64_t		 secs;
	} rows[] = {
		{ "30s", RW_OK, 30 }, { "15m", RW_OK, 900 },
		{ "2h", RW_OK, 7200 }, { "7d", RW_OK, 604800 },
		{ "0s", RW_EINVAL, 0 }, { "-1h", RW_EINVAL, 0 },
		{ "10", RW_EINVAL, 0 }, { "1w", RW_EINVAL, 0 },
		{ "1.5h", RW_EINVAL, 0 }, { "", RW_EINVAL, 0 },
		{ "+1h", RW_EINVAL, 0 },
		{ "9999999999999999d", RW_EINVAL, 0 },
	};
	int64_t secs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		secs = 0;
		assert_int_equal(cli_parse_duration(rows[i].s, &secs), rows[i].rc);
		assert_int_equal(secs, rows[i].secs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pins_add_ls_rm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pins_bad_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pins_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_state_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cli_main_stdout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_usage, setup,
		    teardown),
		cmocka_unit_test(test_parse_image),
		cmocka_unit_test(test_parse_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
