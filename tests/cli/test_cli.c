/* test_cli.c - `regwarden pins`, `audit`, `scans`, `exceptions`, output verbatim. */
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
#include "cli/cli.h"
#include "util/util.h"

#define NOW	1700000000	/* 2023-11-14T22:13:20Z */
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

/* Real reports made by other tools, kept in tests/fixtures. */
#define FIXTURES	RW_SOURCE_DIR "/tests/fixtures/scan-reports"

/* The time the commands see; tests of expiry move it. */
static int64_t clock_now = NOW;

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
	env.now = clock_now;
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
	assert_string_equal(f->err, "regwarden: cli: expected \"pins\", "
	    "\"audit\", \"scans\", \"exceptions\" or \"cache\"\n");
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

/* ----------------------------------------------------------------- scans */

#define ALPINE_CONFIG "sha256:055936d3920576da37aa9bc460d70c5f212028bda1c08c0879aedf03d7a66ea1"
#define CENTOS_CONFIG "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427"
#define GRYPE_MANIFEST "sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5"
#define GRYPE_CONFIG "sha256:ab5608d634db2716a297adbfa6a5dd5d8f8f5a7d0cab73649ea7fbb8c8da544f"

/* Work in the fixtures folder so that file names print short. */
static void
enter_fixtures(void)
{
	if (chdir(FIXTURES) != 0)
		fail_msg("scan report fixtures are missing at %s: the tests read "
		    "tests/fixtures in the source tree", FIXTURES);
}

/* Write TEXT to NAME in the test's directory; the path goes to PATH. */
static void
write_report(struct fixture *f, const char *name, const char *text,
    char *path, size_t size)
{
	FILE *fp;

	snprintf(path, size, "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_scans_import(void **state)
{
	struct fixture *f = *state;
	char old[160], grype[160], want[1024];

	enter_fixtures();
	assert_int_equal(run(f, "scans", "import", "trivy-alpine-39.json",
	    "grype-imgs.json", NULL), 0);
	assert_string_equal(f->out,
	    "imported trivy-alpine-39.json: trivy dev, 6 findings (critical 2, "
	    "medium 4), digest " ALPINE_CONFIG " (config)\n"
	    "imported grype-imgs.json: grype [not provided], 2 findings "
	    "(critical 1, low 1), digests " GRYPE_MANIFEST " (manifest), "
	    GRYPE_CONFIG " (config)\n");
	assert_string_equal(f->err, "");

	/* Each file on its own: the bad ones are named, the rest go in. */
	write_report(f, "old.json", "{\"SchemaVersion\": 1}", old, sizeof(old));
	assert_int_equal(run(f, "scans", "import", "trivy-alpine-39.json",
	    "grype-empty.json", "nope.json", old, "trivy-centos-7.json", NULL),
	    1);
	assert_string_equal(f->out,
	    "trivy-alpine-39.json: already imported\n"
	    "imported trivy-centos-7.json: trivy dev, 3 findings (medium 1, "
	    "low 2), digest " CENTOS_CONFIG " (config)\n");
	snprintf(want, sizeof(want),
	    "regwarden: grype-empty.json: the report names no image digest\n"
	    "regwarden: nope.json: cannot open: No such file or directory\n"
	    "regwarden: %s: Trivy report SchemaVersion 1 is not supported "
	    "(expected 2)\n", old);
	assert_string_equal(f->err, want);

	write_report(f, "grype.json", "{\"matches\": [{\"vulnerability\": "
	    "{\"id\": \"GHSA-x\", \"severity\": \"Negligible\"}, \"artifact\": "
	    "{\"name\": \"p\", \"version\": \"1\"}}], \"source\": {\"target\": "
	    "{\"manifestDigest\": \"" D1 "\"}}, \"descriptor\": {\"name\": "
	    "\"grype\", \"version\": \"0.74.0\", \"db\": {\"built\": "
	    "\"2024-02-29T01:23:45Z\", \"schemaVersion\": 5}}}", grype,
	    sizeof(grype));
	assert_int_equal(run(f, "scans", "import", grype, NULL), 0);
	snprintf(want, sizeof(want), "imported %s: grype 0.74.0 (db schema 5, "
	    "built 2024-02-29T01:23:45Z), 1 finding (negligible 1), digest " D1
	    " (manifest)\n", grype);
	assert_string_equal(f->out, want);
	unlink(old);
	unlink(grype);
}

/* "-" reads standard input; a file over the limit is named and refused. */
static void
test_scans_import_stdin_and_size(void **state)
{
	struct fixture *f = *state;
	char big[160], want[300];
	FILE *fp;

	enter_fixtures();
	assert_non_null(freopen("trivy-alpine-distroless.json", "r", stdin));
	assert_int_equal(run(f, "scans", "import", "-", NULL), 0);
	assert_string_equal(f->out, "imported -: trivy dev, 1 finding "
	    "(medium 1), digest sha256:22848737c0d272ad5d7c7369d8ca830a62929e"
	    "63e38edcb22085139a6ae0688d (config)\n");
	/* Secret findings are counted apart (each file, rule, line once). */
	assert_int_equal(run(f, "scans", "import",
	    "../../scanreport/data/trivy-secrets.json", NULL), 0);
	assert_string_equal(f->out, "imported ../../scanreport/data/trivy-"
	    "secrets.json: trivy dev, 1 finding (medium 1), 3 secrets, digest "
	    "sha256:22848737c0d272ad5d7c7369d8ca830a62929e63e38edcb22085139a6"
	    "ae0688d (config)\n");
	snprintf(big, sizeof(big), "%s/big.json", f->dir);
	fp = fopen(big, "w");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), (64 << 20) + 1), 0);
	fclose(fp);
	assert_int_equal(run(f, "scans", "import", big, NULL), 1);
	snprintf(want, sizeof(want), "regwarden: %s: report is larger than 64 "
	    "MiB\n", big);
	assert_string_equal(f->err, want);
	assert_string_equal(f->out, "");
	unlink(big);
}

static void
test_scans_ls(void **state)
{
	struct fixture *f = *state;
	char newer[160];

	assert_int_equal(run(f, "scans", "ls", NULL), 0);
	assert_string_equal(f->out, "no scans\n");
	enter_fixtures();
	assert_int_equal(run(f, "scans", "import", "trivy-alpine-39.json",
	    "trivy-centos-7.json", "grype-imgs.json", NULL), 0);
	/* Newest first; the Grype report has no scan time: its import counts. */
	assert_int_equal(run(f, "scans", "ls", NULL), 0);
	assert_string_equal(f->out,
	    "ID  SCANNED AT            SCANNER               WORST     "
	    "FINDINGS                           STATE    IMAGE"
	    "                                      DIGEST\n"
	    "3   -                     grype [not provided]  critical  "
	    "2 findings (critical 1, low 1)     current  user-input"
	    "                                 " GRYPE_MANIFEST " (manifest)\n"
	    "2   2021-08-25T12:20:30Z  trivy dev             medium    "
	    "3 findings (medium 1, low 2)       current  "
	    "testdata/fixtures/images/centos-7.tar.gz   " CENTOS_CONFIG
	    " (config)\n"
	    "1   2021-08-25T12:20:30Z  trivy dev             critical  "
	    "6 findings (critical 2, medium 4)  current  "
	    "testdata/fixtures/images/alpine-39.tar.gz  " ALPINE_CONFIG
	    " (config)\n");
	assert_int_equal(run(f, "scans", "ls", "--repo",
	    "testdata/**/centos-*", "--json", NULL), 0);
	assert_string_equal(f->out,
	    "{\"id\":2,\"scanner\":\"trivy\",\"scanner_version\":\"dev\","
	    "\"db_version\":\"\",\"artifact\":"
	    "\"testdata/fixtures/images/centos-7.tar.gz\","
	    "\"scanned_at\":\"2021-08-25T12:20:30Z\","
	    "\"imported_at\":\"2023-11-14T22:13:20Z\",\"report_digest\":"
	    "\"sha256:0f9688818062290bee9e752288ce16b0f95acf1ab3aa003204b4d5bddbd4baf6\","
	    "\"max_severity\":\"medium\",\"findings\":3,\"counts\":{"
	    "\"critical\":0,\"high\":0,\"medium\":1,\"low\":2,\"negligible\":0,"
	    "\"unknown\":0},\"superseded\":false,\"digests\":[{\"digest\":\""
	    CENTOS_CONFIG "\",\"kind\":\"config\"}],\"images\":[]}\n");

	/* --failing is high by default; another severity can be named. */
	assert_int_equal(run(f, "scans", "ls", "--failing", "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":3,", 8) == 0);
	assert_non_null(strstr(f->out, "}\n{\"id\":1,"));
	assert_null(strstr(f->out, "\"id\":2,"));
	assert_int_equal(run(f, "scans", "ls", "--failing=MEDIUM", "--json",
	    NULL), 0);
	assert_non_null(strstr(f->out, "\"id\":2,"));

	/* A newer clean scan of the alpine image supersedes scan 1. */
	write_report(f, "newer.json", "{\"SchemaVersion\": 2, \"Trivy\": {"
	    "\"Version\": \"0.47.0\"}, \"CreatedAt\": "
	    "\"2023-11-01T00:00:00Z\", \"ArtifactName\": \"alpine:3.9\", "
	    "\"Metadata\": {\"ImageID\": \"" ALPINE_CONFIG "\"}}", newer,
	    sizeof(newer));
	assert_int_equal(run(f, "scans", "import", newer, NULL), 0);
	assert_int_equal(run(f, "scans", "ls", "--repo", "alpine", NULL),
	    0);
	assert_string_equal(f->out,
	    "ID  SCANNED AT            SCANNER       WORST  FINDINGS    STATE    "
	    "IMAGE       DIGEST\n"
	    "4   2023-11-01T00:00:00Z  trivy 0.47.0  none   0 findings  current  "
	    "alpine:3.9  " ALPINE_CONFIG " (config)\n");
	assert_int_equal(run(f, "scans", "ls", NULL), 0);
	assert_non_null(strstr(f->out, "\n1   2021-08-25T12:20:30Z  trivy dev "
	    "            critical  6 findings (critical 2, medium 4)  "
	    "superseded  "));
	assert_int_equal(run(f, "scans", "ls", "--failing", "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":3,", 8) == 0);
	assert_ptr_equal(strchr(f->out, '\n'), f->out + strlen(f->out) - 1);
	unlink(newer);
}

#define SCANS_USAGE							\
	"usage: regwarden scans [-c config.json] import "		\
	"<report.json|->...\n"						\
	"       regwarden scans [-c config.json] ls [--repo GLOB] "	\
	"[--failing[=SEVERITY]] [--findings] [--json]\n"				\
	"       SEVERITY is negligible, low, medium, high (the default) "	\
	"or critical\n"

static void
test_scans_usage(void **state)
{
	static const struct {
		const char	*a, *b, *err;
	} rows[] = {
		{ NULL, NULL, "regwarden: scans: missing command\n" },
		{ "import", NULL, "regwarden: scans import: no report given\n" },
		{ "ls", "--failing=severe", "regwarden: invalid severity "
		  "\"severe\": expected negligible, low, medium, high or "
		  "critical\n" },
		{ "ls", "--failing=unknown", "regwarden: invalid severity "
		  "\"unknown\": expected negligible, low, medium, high or "
		  "critical\n" },
		{ "ls", "--repo", "regwarden: scans ls: option --repo needs a "
		  "value\n" },
		{ "ls", "--repo=", "regwarden: scans ls: option --repo needs a "
		  "value\n" },
		{ "ls", "--all", "regwarden: scans ls: unknown option "
		  "\"--all\"\n" },
		{ "rm", "1", "regwarden: scans: unknown command \"rm\"\n" },
	};
	struct fixture *f = *state;
	char want[1024];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(run(f, "scans", rows[i].a, rows[i].b, NULL), 2);
		snprintf(want, sizeof(want), "%s%s", rows[i].err, SCANS_USAGE);
		assert_string_equal(f->err, want);
		assert_string_equal(f->out, "");
	}
	assert_int_equal(run(f, "scans", "--help", NULL), 0);
	assert_string_equal(f->out, SCANS_USAGE);
	assert_int_equal(run(f, "scans", "-c", NULL), 2);
	assert_string_equal(f->err, "regwarden: option -c needs a value\n"
	    SCANS_USAGE);
}

/* ------------------------------------------------------------ exceptions */

static void
test_exceptions(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "exceptions", "ls", NULL), 0);
	assert_string_equal(f->out, "no exceptions\n");
	assert_int_equal(run(f, "exceptions", "add", "CVE-2019-14697", "--repo",
	    "docker.io/library/alpine", "--expires", "30d", "--reason",
	    "fix pending upstream", NULL), 0);
	assert_string_equal(f->out, "added exception 1: CVE-2019-14697 in "
	    "docker.io/library/alpine until 2023-12-14T22:13:20Z\n");
	assert_string_equal(f->err, "");
	/* Options in any order, "=" forms, Hub aliases folded. */
	assert_int_equal(run(f, "exceptions", "add", "--repo=index.docker.io/"
	    "library/*", "--reason=vendored copy", "pkg:musl",
	    "--expires=2023-11-15T01:00:00+01:00", NULL), 0);
	assert_string_equal(f->out, "added exception 2: package musl in "
	    "docker.io/library/* until 2023-11-15T00:00:00Z\n");
	assert_int_equal(run(f, "exceptions", "ls", NULL), 0);
	assert_string_equal(f->out,
	    "ID  VULNERABILITY   PACKAGE  REPOSITORY                "
	    "EXPIRES               ADDED BY  ADDED AT              REASON\n"
	    "1   CVE-2019-14697  -        docker.io/library/alpine  "
	    "2023-12-14T22:13:20Z  alice     2023-11-14T22:13:20Z  "
	    "fix pending upstream\n"
	    "2   -               musl     docker.io/library/*       "
	    "2023-11-15T00:00:00Z  alice     2023-11-14T22:13:20Z  "
	    "vendored copy\n");

	/* A second before its expiry it holds; at that second it is over. */
	clock_now = 1700006399;
	assert_int_equal(run(f, "exceptions", "ls", "--json", NULL), 0);
	assert_non_null(strstr(f->out, "\"expires\":\"2023-11-15T00:00:00Z\","
	    "\"expired\":false,"));
	clock_now = 1700006400;
	assert_int_equal(run(f, "exceptions", "ls", NULL), 0);
	assert_non_null(strstr(f->out, "\n2   -               musl     "
	    "docker.io/library/*       expired 2023-11-15T00:00:00Z  alice"));
	assert_int_equal(run(f, "exceptions", "ls", "--json", NULL), 0);
	assert_string_equal(f->out,
	    "{\"id\":1,\"vuln_id\":\"CVE-2019-14697\",\"pkg\":null,"
	    "\"repo\":\"docker.io/library/alpine\","
	    "\"expires\":\"2023-12-14T22:13:20Z\",\"expired\":false,"
	    "\"reason\":\"fix pending upstream\",\"added_by\":\"alice\","
	    "\"added_at\":\"2023-11-14T22:13:20Z\",\"source\":\"cli\"}\n"
	    "{\"id\":2,\"vuln_id\":null,\"pkg\":\"musl\","
	    "\"repo\":\"docker.io/library/*\","
	    "\"expires\":\"2023-11-15T00:00:00Z\",\"expired\":true,"
	    "\"reason\":\"vendored copy\",\"added_by\":\"alice\","
	    "\"added_at\":\"2023-11-14T22:13:20Z\",\"source\":\"cli\"}\n");
	clock_now = NOW;

	assert_int_equal(run(f, "exceptions", "rm", "2", NULL), 0);
	assert_string_equal(f->out, "removed exception 2\n");
	assert_int_equal(run(f, "exceptions", "rm", "2", NULL), 1);
	assert_string_equal(f->out, "");
	assert_string_equal(f->err, "regwarden: exception 2 does not exist\n");
	assert_int_equal(run(f, "exceptions", "ls", "--json", NULL), 0);
	assert_true(strncmp(f->out, "{\"id\":1,", 8) == 0);
	assert_ptr_equal(strchr(f->out, '\n'), f->out + strlen(f->out) - 1);
}

#define EXC_USAGE							\
	"usage: regwarden exceptions [-c config.json] add "		\
	"<CVE-id|pkg:NAME> --repo GLOB --expires <TIME|DURATION> "	\
	"--reason TEXT\n"						\
	"       regwarden exceptions [-c config.json] add --from-scan "	\
	"DIGEST --repo GLOB --expires <TIME|DURATION> --reason TEXT\n"	\
	"       regwarden exceptions [-c config.json] ls [--json]\n"	\
	"       regwarden exceptions [-c config.json] rm <id>\n"	\
	"       TIME is RFC 3339 (2025-06-30T00:00:00Z); DURATION counts "	\
	"from now: 30s, 15m, 2h, 7d\n"

static void
test_exceptions_usage(void **state)
{
	static const struct {
		const char	*args[9];
		const char	*err;
	} rows[] = {
		{ { NULL }, "exceptions: missing command" },
		{ { "add", NULL }, "exceptions add: missing <CVE-id|pkg:NAME> "
		    "or --from-scan DIGEST" },
		{ { "add", "CVE-1", "--from-scan", "sha256:ab", NULL },
		  "exceptions add: give an id or --from-scan, not both" },
		{ { "add", "--from-scan", "sha256:ab", NULL },
		  "exceptions add: --from-scan \"sha256:ab\" is not a digest "
		  "(sha256: and 64 hex digits)" },
		{ { "add", "CVE 1", "--repo", "docker.io/a", "--expires", "1d",
		    "--reason", "r", NULL }, "invalid exception target "
		    "\"CVE 1\": expected a vulnerability id (CVE-2024-1234) or "
		    "pkg:NAME" },
		{ { "add", "pkg:", "--repo", "docker.io/a", "--expires", "1d",
		    "--reason", "r", NULL }, "invalid exception target \"pkg:\": "
		    "expected a vulnerability id (CVE-2024-1234) or pkg:NAME" },
		{ { "add", "CVE-1", "--repo", "nginx", "--expires", "1d",
		    "--reason", "r", NULL }, "invalid --repo: pattern \"nginx\": "
		    "must start with a registry host, as in \"docker.io/nginx\" "
		    "(\"nginx\" is not a host name)" },
		{ { "add", "CVE-1", "--repo", "docker.io/a", "--expires", "soon",
		    "--reason", "r", NULL }, "invalid --expires \"soon\": use an "
		    "RFC 3339 time (2025-06-30T00:00:00Z) or a duration from now "
		    "(30d)" },
		{ { "add", "CVE-1", "--repo", "docker.io/a", "--expires",
		    "2023-11-14T22:13:20Z", "--reason", "r", NULL },
		  "--expires 2023-11-14T22:13:20Z is not in the future" },
		{ { "add", "CVE-1", "--repo", "docker.io/a", "--expires", "1d",
		    NULL }, "exceptions add: --reason is required" },
		{ { "add", "CVE-1", "--repo", "docker.io/a", "--expires", "1d",
		    "--reason", "", NULL }, "exceptions add: --reason is "
		    "required" },
		{ { "add", "CVE-1", "--reason", "r", "--expires", "1d", NULL },
		  "exceptions add: --repo is required" },
		{ { "add", "CVE-1", "--until", "1d", NULL }, "exceptions add: "
		  "unknown option or missing value \"--until\"" },
		{ { "add", "CVE-1", "CVE-2", NULL }, "exceptions add: unexpected "
		  "argument \"CVE-2\"" },
		{ { "rm", "abc", NULL }, "invalid exception id \"abc\": expected "
		  "a number from `exceptions ls`" },
		{ { "rm", "0", NULL }, "invalid exception id \"0\": expected a "
		  "number from `exceptions ls`" },
		{ { "rm", NULL }, "exceptions rm: wrong number of arguments" },
		{ { "ls", "--yaml", NULL }, "exceptions ls: unknown option "
		  "\"--yaml\"" },
		{ { "frob", NULL }, "exceptions: unknown command \"frob\"" },
	};
	struct fixture *f = *state;
	char want[1024];
	size_t i;
	const char *const *a;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		a = rows[i].args;
		assert_int_equal(run(f, "exceptions", a[0], a[1], a[2], a[3],
		    a[4], a[5], a[6], a[7], NULL), 2);
		snprintf(want, sizeof(want), "regwarden: %s\n%s", rows[i].err,
		    EXC_USAGE);
		assert_string_equal(f->err, want);
		assert_string_equal(f->out, "");
	}
	assert_int_equal(run(f, "exceptions", "ls", NULL), 0);
	assert_string_equal(f->out, "no exceptions\n");
	assert_int_equal(run(f, "exceptions", "help", NULL), 0);
	assert_string_equal(f->out, EXC_USAGE);
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

/* `regwarden db ARGS...` (main.c hands db to cli_db, not cli_main_env). */
static int
run_db(struct fixture *f, char *a1, char *a2, char *a3, char *a4)
{
	char *argv[] = { "db", "-c", f->config, a1, a2, a3, a4, NULL };
	struct cli_env env;
	int argc = 3, rc;

	while (argv[argc] != NULL)
		argc++;
	memset(&env, 0, sizeof(env));
	env.out = tmpfile();
	env.err = tmpfile();
	assert_non_null(env.out);
	assert_non_null(env.err);
	env.now = clock_now;
	rc = cli_db(argc, argv, f->config, &env);
	free(f->out);
	free(f->err);
	f->out = slurp(env.out);
	f->err = slurp(env.err);
	return rc;
}

/* `db prune`: unreferenced layer indexes older than the days given go. */
static void
test_db_prune(void **state)
{
	struct fixture *f = *state;
	struct rw_err err;
	struct db *db;
	char *refusal;
	void *body;
	size_t len;
	static const char *const l[] = {
		"sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"sha256:2222222222222222222222222222222222222222222222222222222222222222",
	};
	const struct db_ref ref = { DB_REF_LAYER, l[0] };

	clock_now = NOW;
	rw_err_clear(&err);
	assert_int_equal(db_open(f->db, &db, &err), RW_OK);
	/* Both read 40 days ago; only the first is in a recorded manifest. */
	assert_int_equal(db_layer_index_put(db, l[0], 2, "a", 1, NULL, 1, 0,
	    NOW - 40 * 86400, &err), RW_OK);
	assert_int_equal(db_layer_index_put(db, l[1], 2, "b", 1, NULL, 1, 0,
	    NOW - 40 * 86400, &err), RW_OK);
	assert_int_equal(db_manifest_put(db, "hub", "library/app", "sha256:"
	    "aaaa111111111111111111111111111111111111111111111111111111111111",
	    "application/json", "{}", 2, &ref, 1, NOW, &err), RW_OK);
	db_close(db);
	assert_int_equal(run_db(f, "prune", "--older-than", "41", NULL), 0);
	assert_string_equal(f->out, "layer_index: 0 rows pruned (layers no "
	    "recorded manifest references, read before 2023-10-04T22:13:20Z)"
	    "\n");
	assert_int_equal(run_db(f, "prune", NULL, NULL, NULL), 0);
	assert_string_equal(f->out, "layer_index: 1 row pruned (layers no "
	    "recorded manifest references, read before 2023-10-15T22:13:20Z)"
	    "\n");
	assert_int_equal(db_open(f->db, &db, &err), RW_OK);
	assert_int_equal(db_layer_index_get(db, l[1], 2, &body, &len, &refusal,
	    &err), RW_ENOTFOUND);
	assert_int_equal(db_layer_index_get(db, l[0], 2, &body, &len, &refusal,
	    &err), RW_OK);
	free(body);
	db_close(db);
	assert_int_equal(run_db(f, "prune", "--older-than=0", NULL, NULL), 2);
	assert_non_null(strstr(f->err, "db prune: --older-than takes a number "
	    "of days (1..36500)"));
	assert_int_equal(run_db(f, "prune", "--days", "3", NULL), 2);
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
		cmocka_unit_test_setup_teardown(test_scans_import, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scans_import_stdin_and_size,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_scans_ls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scans_usage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exceptions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exceptions_usage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_db_prune, setup, teardown),
		cmocka_unit_test(test_parse_image),
		cmocka_unit_test(test_parse_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
