/* test_health.c - `regwarden health`: exit statuses and lines verbatim, against a real admin listener. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/health.h"
#include "server/admin.h"
#include "util/util.h"

#define TOKEN	"s3cret-admin-token-0123456789"

static int ready = 1;

static int
h_ready(void *arg, struct rw_buf *why)
{
	(void)arg;
	if (!ready)
		rw_buf_addf(why, "policy /etc/regwarden/policy.json not "
		    "loaded\ndatabase not writable\n");
	return ready;
}

static void
h_metrics(void *arg, struct rw_buf *out)
{
	(void)arg;
	(void)out;
}

static int
h_reload(void *arg, struct rw_buf *msg)
{
	(void)arg;
	(void)msg;
	return 0;
}

static const struct admin_hooks hooks = { NULL, h_ready, h_metrics,
	h_reload, NULL };

struct run {
	int	 rc;
	char	*out;
	char	*err;
};

static char dir[64];
static char config[128];

/* A config whose admin listener is LISTEN (the token file when TOKEN). */
static void
write_config(const char *listen, int token)
{
	char tf[128];
	FILE *fp;

	snprintf(tf, sizeof(tf), "%s/admin.token", dir);
	fp = fopen(tf, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", TOKEN);
	fclose(fp);
	assert_int_equal(chmod(tf, 0600), 0);
	fp = fopen(config, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"listen\": \"127.0.0.1:5443\", \"state_dir\": \"%s\","
	    " \"upstreams\": [{\"name\": \"hub\", \"url\": "
	    "\"https://registry-1.docker.io\", \"default\": true}],"
	    " \"admin\": {\"listen\": \"%s\"%s}}\n", dir, listen,
	    token ? ", \"token_file\": \"admin.token\"" : "");
	fclose(fp);
}

static void
run(struct run *r, int argc, char **argv)
{
	size_t ol = 0, el = 0;
	FILE *out = open_memstream(&r->out, &ol);
	FILE *err = open_memstream(&r->err, &el);

	assert_non_null(out);
	assert_non_null(err);
	r->rc = health_main(argc, argv, config, out, err);
	fclose(out);
	fclose(err);
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static int
setup(void **state)
{
	(void)state;
	rw_strlcpy(dir, "/tmp/rwhealthXXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(config, sizeof(config), "%s/regwarden.json", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s/admin.token", dir);
	unlink(p);
	unlink(config);
	rmdir(dir);
	return 0;
}

static void
test_probes(void **state)
{
	char *live[] = { "health" }, *rdy[] = { "health", "--ready" };
	char listen[64], want[256];
	struct rw_err err;
	struct admin *a;
	struct run r;
	int port;

	(void)state;
	rw_err_clear(&err);
	/* The admin token guards /reload; probes never send it. */
	a = admin_start("127.0.0.1", 0, &(struct admin_tokens){ TOKEN, NULL,
	    0 }, &hooks, &err);
	assert_non_null(a);
	port = admin_port(a);
	/* A wildcard bind is asked on loopback. */
	snprintf(listen, sizeof(listen), "0.0.0.0:%d", port);
	write_config(listen, 1);

	ready = 1;
	run(&r, 1, live);
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/healthz: 200 ok\n",
	    port);
	assert_string_equal(r.out, want);
	assert_string_equal(r.err, "");
	run_free(&r);
	run(&r, 2, rdy);
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/readyz: 200 ready\n",
	    port);
	assert_string_equal(r.out, want);
	run_free(&r);

	/* Not ready: exit 1 with the first line of the reason. */
	ready = 0;
	run(&r, 2, rdy);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want), "regwarden health: http://127.0.0.1:%d/"
	    "readyz: 503 policy /etc/regwarden/policy.json not loaded\n", port);
	assert_string_equal(r.err, want);
	run_free(&r);
	/* Alive all the same. */
	run(&r, 1, live);
	assert_int_equal(r.rc, 0);
	run_free(&r);

	/* Nobody listening: exit 1, curl's reason. */
	admin_stop(a);
	run(&r, 1, live);
	assert_int_equal(r.rc, 1);
	snprintf(want, sizeof(want), "regwarden health: http://127.0.0.1:%d/"
	    "healthz: ", port);
	assert_true(strncmp(r.err, want, strlen(want)) == 0);
	assert_non_null(strstr(r.err, "onnect"));
	run_free(&r);
}

static void
test_config_and_usage(void **state)
{
	char *off[] = { "health", "-c", config };
	char *bad1[] = { "health", "--readyz" }, *bad2[] = { "health", "-c" };
	char *missing[] = { "health", "-c", "/nonexistent/regwarden.json" };
	char want[256];
	struct run r;

	(void)state;
	write_config("", 0);
	run(&r, 3, off);
	assert_int_equal(r.rc, 1);
	snprintf(want, sizeof(want), "regwarden health: %s: the admin listener "
	    "is off (\"admin.listen\" is \"\"), so there is nothing to ask\n",
	    config);
	assert_string_equal(r.err, want);
	run_free(&r);

	run(&r, 3, missing);
	assert_int_equal(r.rc, 1);
	assert_true(strncmp(r.err, "regwarden health: /nonexistent/"
	    "regwarden.json", 41) == 0);
	run_free(&r);

	run(&r, 2, bad1);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err,
	    "usage: regwarden health [--ready] [-c config.json]\n");
	run_free(&r);
	run(&r, 2, bad2);
	assert_int_equal(r.rc, 2);
	run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_config_and_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
