/* test_util.c - errors, buffers, digests and log formatting. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/util.h"

static void
test_err_first_cause_wins(void **state)
{
	struct rw_err err;
	char buf[300];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(rw_err_set(&err, RW_EIO, "read %s: boom", "x"), RW_EIO);
	rw_err_set(&err, RW_EINVAL, "later context");
	assert_int_equal(err.code, RW_EIO);
	assert_string_equal(err.msg, "read x: boom");
	assert_string_equal(rw_err_str(&err, buf, sizeof(buf)), "read x: boom");
	rw_err_clear(&err);
	rw_err_setpos(&err, RW_ECONFIG, "a.json", 3, 7, "bad \"%s\"", "k");
	assert_string_equal(rw_err_str(&err, buf, sizeof(buf)),
	    "a.json:3:7: bad \"k\"");
	assert_string_equal(rw_strerror(RW_ETOOBIG), "too large");
	assert_string_equal(rw_strerror(12345), "unknown error");
}

static void
test_buf_cap(void **state)
{
	struct rw_buf b;
	char *p;
	size_t n;

	(void)state;
	rw_buf_init(&b, 8);
	assert_int_equal(rw_buf_add(&b, "12345", 5), RW_OK);
	assert_int_equal(rw_buf_add(&b, "6789", 4), RW_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_int_equal(rw_buf_addf(&b, "%d", 678), RW_OK);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(rw_buf_add(&b, "", 0), RW_OK);
	assert_int_equal(rw_buf_add(&b, "x", 1), RW_ETOOBIG);
	p = rw_buf_steal(&b, &n);
	assert_int_equal(n, 8);
	assert_null(b.data);
	free(p);
	rw_buf_free(&b);
}

static void
test_digest(void **state)
{
	char d[RW_DIGEST_MAX];
	struct rw_hash h;

	(void)state;
	assert_int_equal(rw_digest(RW_HASH_SHA256, "", 0, d), RW_OK);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
	    "649b934ca495991b7852b855");
	assert_int_equal(rw_hash_init(&h, RW_HASH_SHA256), RW_OK);
	rw_hash_update(&h, "a", 1);
	rw_hash_update(&h, "bc", 2);
	rw_hash_final(&h, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a3"
	    "96177a9cb410ff61f20015ad");
	assert_int_equal(rw_hash_alg_of("sha512:00"), RW_HASH_SHA512);
	assert_int_equal(rw_hash_alg_of("md5:00"), 0);
	assert_int_equal(rw_hash_init(&h, 99), RW_EINVAL);
}

static void
test_parse_i64(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(rw_parse_i64("42", 0, 100, &v), RW_OK);
	assert_int_equal(v, 42);
	assert_int_equal(rw_parse_i64("101", 0, 100, &v), RW_EINVAL);
	assert_int_equal(rw_parse_i64("4x", 0, 100, &v), RW_EINVAL);
	assert_int_equal(rw_parse_i64("", 0, 100, &v), RW_EINVAL);
	assert_int_equal(rw_parse_i64(" 4", 0, 100, &v), RW_EINVAL);
}

static void
test_diags(void **state)
{
	struct rw_diags d;
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < RW_DIAG_MAX + 3; i++)
		rw_diag_add(&d, RW_ECONFIG, "f.json", i + 1, 1, "e%d", i);
	assert_int_equal(d.n, RW_DIAG_MAX);
	assert_int_equal(d.dropped, 3);
	assert_string_equal(d.e[4].msg, "e4");
	assert_int_equal(d.e[4].pos.line, 5);
}

static void
test_log_json_escapes(void **state)
{
	char path[] = "/tmp/rwlogXXXXXX", line[512];
	struct rw_err err;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	rw_err_clear(&err);
	assert_int_equal(rw_log_open(path, "json", &err), RW_OK);
	rw_log_kv(RW_LOG_INFO, "r1", "request", "path", "/v2/\"x\"\n", "skip",
	    (const char *)NULL, "status", "200", (const char *)NULL);
	rw_log_kv(RW_LOG_DEBUG, "r1", "hidden", (const char *)NULL);
	assert_int_equal(rw_log_open(NULL, "text", &err), RW_OK);
	fp = fdopen(fd, "r");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "\"level\":\"info\",\"req\":\"r1\","
	    "\"event\":\"request\",\"path\":\"/v2/\\\"x\\\"\\u000a\","
	    "\"status\":\"200\"}"));
	assert_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(path);
	assert_int_equal(rw_log_open(NULL, "yaml", &err), RW_EINVAL);
	assert_string_equal(err.msg,
	    "unknown log format \"yaml\" (expected auto, text, json)");
}

/* '#' and '?' keys: bare numbers and booleans in JSON, strings otherwise. */
static void
test_log_json_types(void **state)
{
	char path[] = "/tmp/rwlogXXXXXX", line[512];
	struct rw_err err;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	rw_err_clear(&err);
	assert_int_equal(rw_log_open(path, "json", &err), RW_OK);
	rw_log_kv(RW_LOG_INFO, "r2", "request", "#status", "403", "#ms", "0",
	    "#neg", "-12.5", "#bad", "12x", "#lead", "012", "#empty", "",
	    "?cached", "true", "?no", "false", "?odd", "yes",
	    (const char *)NULL);
	assert_int_equal(rw_log_open(path, "text", &err), RW_OK);
	rw_log_kv(RW_LOG_INFO, "r2", "request", "#status", "403", "?cached",
	    "true", (const char *)NULL);
	assert_int_equal(rw_log_open(NULL, "text", &err), RW_OK);
	fp = fdopen(fd, "r");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "\"event\":\"request\",\"status\":403,"
	    "\"ms\":0,\"neg\":-12.5,\"bad\":\"12x\",\"lead\":\"012\","
	    "\"empty\":\"\",\"cached\":true,\"no\":false,\"odd\":\"yes\"}"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, " request status=403 cached=true\n"));
	fclose(fp);
	unlink(path);
}

/* One bit per case (8, to fit an exit status): accepted as this process? */
static int
secret_cases(void)
{
	static const struct { uid_t uid; mode_t mode; } c[] = {
		{ 0, 0600 }, { 0, 0400 }, { 0, 0640 }, { 0, 0440 },
		{ 0, 0660 }, { 0, 0644 }, { 0, 0604 }, { 65532, 0640 },
	};
	struct stat st;
	size_t i;
	int bits = 0;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&st, 0, sizeof(st));
		st.st_uid = c[i].uid;
		st.st_mode = S_IFREG | c[i].mode;
		bits |= rw_secret_mode_ok(&st) << i;
	}
	return bits;
}

/*
 * Kubernetes mounts a Secret for a pod with an fsGroup as root:fsGroup 0440:
 * accepted by a process that is not root, since only root made it so.
 */
static void
test_secret_mode(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	/* As root (the tests run as root): 0600 and 0400 only. */
	if (geteuid() == 0)
		assert_int_equal(secret_cases(), 0x1 | 0x2);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65532) != 0 || setuid(65532) != 0))
			_exit(255);
		_exit(secret_cases());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* Not root: also root-owned 0640 and 0440; never 0660, 0644, 0604. */
	assert_int_equal(WEXITSTATUS(status), 0x1 | 0x2 | 0x4 | 0x8);
}

/* A shared byte budget: taken while it fits, never past its cap. */
static void
test_budget(void **state)
{
	atomic_size_t used = 0;

	(void)state;
	assert_int_equal(rw_budget_take(&used, 600, 1000), 1);
	assert_int_equal(rw_budget_take(&used, 401, 1000), 0);
	assert_int_equal(atomic_load(&used), 600);
	assert_int_equal(rw_budget_take(&used, 400, 1000), 1);
	assert_int_equal(rw_budget_take(&used, 1, 1000), 0);
	rw_budget_give(&used, 600);
	assert_int_equal(rw_budget_take(&used, 600, 1000), 1);
	assert_int_equal(rw_budget_take(&used, SIZE_MAX, 1000), 0);
	assert_int_equal(rw_budget_take(&used, 0, 1000), 1);
	rw_budget_give(&used, 1000);
	assert_int_equal(atomic_load(&used), 0);
	assert_int_equal(rw_budget_take(&used, 1001, 1000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_first_cause_wins),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_diags),
		cmocka_unit_test(test_log_json_escapes),
		cmocka_unit_test(test_log_json_types),
		cmocka_unit_test(test_secret_mode),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
