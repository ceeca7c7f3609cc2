/* test_scanner.c - hold-until-scanned: one run per digest, deadlines, failures. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/scanner.h"

struct sink {
	int	 imports;
	char	 last[256];
};

static int
import(void *arg, const char *report, size_t len, struct rw_err *err)
{
	struct sink *s = arg;

	s->imports++;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)len, report);
	if (strstr(report, "bad") != NULL)
		return rw_err_set(err, RW_EPARSE, "not a report");
	return RW_OK;
}

static void
nop(void *arg)
{
	(void)arg;
}

/* Wait (bounded) until W is settled by the scanner thread. */
static int
settled(struct scanner *sc, struct scan_waiter *w)
{
	int i;

	for (i = 0; i < 1000; i++) {
		volatile int *st = &w->state;
		if (*st != SCAN_PENDING)
			return *st;
		usleep(10 * 1000);
	}
	scanner_forget(sc, w);
	return -1;
}

static struct scan_waiter
waiter(int hold_ms)
{
	struct scan_waiter w;

	memset(&w, 0, sizeof(w));
	w.park = nop;
	w.unpark = nop;
	w.deadline_ms = rw_now_ms() + (uint64_t)hold_ms;
	return w;
}

static void
test_argv(void **state)
{
	const char *tmpl[] = { "/bin/scan", "--ref={ref}", "{digest}", "{x}",
	    NULL };
	char *argv[8];

	(void)state;
	assert_int_equal(scanner_argv(tmpl, "docker.io/a/b:1", "sha256:ab", argv,
	    8), RW_OK);
	assert_string_equal(argv[1], "--ref=docker.io/a/b:1");
	assert_string_equal(argv[2], "sha256:ab");
	assert_string_equal(argv[3], "{x}");
	assert_null(argv[4]);
	scanner_argv_free(argv);
	assert_int_equal(scanner_argv(tmpl, "r", "d", argv, 3), RW_ETOOBIG);
}

static void
test_one_run_for_many(void **state)
{
	const char *cmd[] = { "/bin/sh", "-c", "sleep 0.3; echo report for $0",
	    "{digest}", NULL };
	struct sink s = { 0, "" };
	struct scan_waiter w[3];
	struct rw_err err;
	struct scanner *sc;
	int i;

	(void)state;
	rw_err_clear(&err);
	sc = scanner_new(cmd, 10, 2, import, &s, &err);
	assert_non_null(sc);
	for (i = 0; i < 3; i++) {
		w[i] = waiter(20000);
		assert_int_equal(scanner_wait(sc, "ref", "sha256:aa", &w[i]),
		    SCAN_PENDING);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(settled(sc, &w[i]), SCAN_DONE);
	assert_int_equal(s.imports, 1);
	assert_int_equal(scanner_runs(sc), 1);
	assert_string_equal(s.last, "report for sha256:aa\n");
	/* Finished a moment ago and still unscanned: no second run. */
	w[0] = waiter(20000);
	assert_int_equal(scanner_wait(sc, "ref", "sha256:aa", &w[0]),
	    SCAN_FAILED);
	assert_string_equal(w[0].msg,
	    "the scanner's report for it did not name sha256:aa");
	assert_int_equal(scanner_runs(sc), 1);
	scanner_free(sc);
}

static void
test_hold_deadline_and_timeout(void **state)
{
	const char *cmd[] = { "/bin/sh", "-c", "sleep 5; echo late", NULL };
	struct sink s = { 0, "" };
	struct scan_waiter w1 = waiter(200), w2;
	struct rw_err err;
	struct scanner *sc;

	(void)state;
	rw_err_clear(&err);
	sc = scanner_new(cmd, 1, 1, import, &s, &err);
	assert_non_null(sc);
	scanner_wait(sc, "ref", "sha256:bb", &w1);
	assert_int_equal(settled(sc, &w1), SCAN_TIMED_OUT);
	assert_string_equal(w1.msg, "the scan is still running");
	w2 = waiter(20000);
	scanner_wait(sc, "ref", "sha256:bb", &w2);	/* joins the same run */
	assert_int_equal(settled(sc, &w2), SCAN_FAILED);
	assert_string_equal(w2.msg, "the scanner did not finish within 1 s");
	assert_int_equal(s.imports, 0);
	assert_int_equal(scanner_runs(sc), 1);
	scanner_free(sc);
}

static void
test_failures(void **state)
{
	const char *fails[] = { "/bin/sh", "-c", "echo no db >&2; exit 3", NULL };
	const char *bad[] = { "/bin/sh", "-c", "echo bad", NULL };
	const char *missing[] = { "/nonexistent/scanner", NULL };
	struct sink s = { 0, "" };
	struct scan_waiter w;
	struct rw_err err;
	struct scanner *sc;

	(void)state;
	rw_err_clear(&err);
	sc = scanner_new(fails, 10, 1, import, &s, &err);
	w = waiter(20000);
	scanner_wait(sc, "ref", "sha256:cc", &w);
	assert_int_equal(settled(sc, &w), SCAN_FAILED);
	assert_string_equal(w.msg, "the scanner exited with status 3: no db\n");
	scanner_free(sc);

	sc = scanner_new(bad, 10, 1, import, &s, &err);
	w = waiter(20000);
	scanner_wait(sc, "ref", "sha256:dd", &w);
	assert_int_equal(settled(sc, &w), SCAN_FAILED);
	assert_string_equal(w.msg,
	    "the scanner's report was refused: not a report");
	scanner_free(sc);

	sc = scanner_new(missing, 10, 1, import, &s, &err);
	w = waiter(20000);
	scanner_wait(sc, "ref", "sha256:ee", &w);
	assert_int_equal(settled(sc, &w), SCAN_FAILED);
	assert_string_equal(w.msg, "cannot run the scanner "
	    "/nonexistent/scanner: No such file or directory");
	scanner_free(sc);

	assert_null(scanner_new((const char *[]){ NULL }, 10, 1, import, &s,
	    &err));
	assert_string_equal(err.msg, "the scanner command needs 1 to 63 "
	    "arguments");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_one_run_for_many),
		cmocka_unit_test(test_hold_deadline_and_timeout),
		cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
