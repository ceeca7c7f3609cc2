/* test_upload.c - upload sessions spooled for inspection: the table, the bytes, judging a whole upload, the protocol helpers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "content/content.h"
#include "server/upload.h"
#include "tests/content/mklayer.h"
#include "util/util.h"

#define MIB	((uint64_t)1 << 20)

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	rw_strlcpy(dir, "/tmp/rw-test-upload-XXXXXX", sizeof(dir));
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
exists(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static int
spool_files(void)
{
	char cmd[160];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '\\.spool$'", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

static void
touch(const char *name)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

/* A previous run's spool files go; nothing else in the folder does. */
static void
test_startup_cleans(void **state)
{
	struct upload_table *t;
	struct rw_err err;

	(void)state;
	touch("7-123.spool");
	touch("notes.txt");
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 4, 60, 0, &err);
	assert_non_null(t);
	assert_false(exists("7-123.spool"));
	assert_true(exists("notes.txt"));
	upload_table_free(t);
	t = upload_table_new("/proc/version/x", MIB, 4, 60, 0, &err);
	assert_null(t);
	assert_int_equal(err.code, RW_EIO);
}

static void
test_sessions(void **state)
{
	struct upload_table *t;
	struct upload *u = NULL, *v = NULL;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 2, 60, 0, &err);
	assert_non_null(t);
	assert_int_equal(upload_take(t, "a", "me", 0, 1000, &u, &err),
	    RW_ENOTFOUND);
	assert_int_equal(upload_take(t, "a", "me", 1, 1000, &u, &err), RW_OK);
	assert_int_equal(upload_table_count(t), 1);
	assert_int_equal(spool_files(), 1);
	/* One request at a time, and only its owner. */
	rw_err_clear(&err);
	assert_int_equal(upload_take(t, "a", "me", 1, 1000, &v, &err),
	    RW_EBUSY);
	assert_string_equal(err.msg, "another request is sending to this "
	    "upload");
	rw_err_clear(&err);
	assert_int_equal(upload_take(t, "a", "you", 1, 1000, &v, &err),
	    RW_EPERM);
	assert_string_equal(err.msg, "the upload was started by another "
	    "client");
	/* Pending bytes: committed when the upstream took them, cut off
	 * when it did not (given back without a commit). */
	assert_int_equal(upload_append(t, u, "hello", 5, &err), RW_OK);
	upload_commit(u);
	assert_int_equal(upload_append(t, u, " world", 6, &err), RW_OK);
	assert_int_equal(upload_size(u), 11);
	assert_int_equal(upload_committed(u), 5);
	upload_give(t, u, 1000);
	assert_int_equal(upload_take(t, "a", "me", 0, 1001, &u, &err), RW_OK);
	assert_int_equal(upload_size(u), 5);
	upload_give(t, u, 1001);
	/* Bounded: max_sessions, then idle ones make room. */
	assert_int_equal(upload_take(t, "b", "me", 1, 1002, &v, &err), RW_OK);
	upload_give(t, v, 1002);
	rw_err_clear(&err);
	assert_int_equal(upload_take(t, "c", "me", 1, 1003, &v, &err),
	    RW_ETOOBIG);
	assert_string_equal(err.msg, "2 uploads are being inspected already "
	    "(content.upload_max_sessions); retry later");
	assert_int_equal(upload_take(t, "c", "me", 1, 1061, &v, &err), RW_OK);
	assert_int_equal(upload_table_count(t), 2);	/* a went, b stays */
	assert_int_equal(upload_take(t, "a", "me", 0, 1061, &u, &err),
	    RW_ENOTFOUND);
	upload_end(t, v);
	assert_int_equal(upload_table_count(t), 1);
	assert_int_equal(spool_files(), 1);
	upload_table_free(t);
	assert_int_equal(spool_files(), 0);
}

static void
test_limit(void **state)
{
	struct upload_table *t;
	struct upload *u;
	struct rw_err err;
	static char block[512 * 1024];

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 2, 60, 0, &err);
	assert_non_null(t);
	assert_int_equal(upload_take(t, "a", "me", 1, 1, &u, &err), RW_OK);
	assert_int_equal(upload_append(t, u, block, sizeof(block), &err),
	    RW_OK);
	assert_int_equal(upload_append(t, u, block, sizeof(block), &err),
	    RW_OK);
	rw_err_clear(&err);
	assert_int_equal(upload_append(t, u, "x", 1, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "the upload is over the limit of "
	    "1048576 bytes a layer may have to be inspected "
	    "(content.upload_max_bytes)");
	/* Fail closed: the session takes nothing more. */
	assert_string_equal(upload_poisoned(u), "the upload is over the "
	    "limit");
	rw_err_clear(&err);
	assert_int_equal(upload_append(t, u, "x", 1, &err), RW_EINVAL);
	upload_end(t, u);
	upload_table_free(t);
}

/* A write that fails (here: past RLIMIT_FSIZE, as a full disk would)
 * refuses the upload: the bytes kept stay what the upstream took. */
static void
test_write_fails(void **state)
{
	static char block[8192];
	struct upload_table *t;
	struct upload *u;
	struct rlimit old, lim;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 2, 60, 0, &err);
	assert_non_null(t);
	assert_int_equal(upload_take(t, "a", "me", 1, 1, &u, &err), RW_OK);
	assert_int_equal(upload_append(t, u, block, 1000, &err), RW_OK);
	upload_commit(u);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rw_err_clear(&err);
	assert_int_equal(upload_append(t, u, block, sizeof(block), &err),
	    RW_EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_string_equal(err.msg, "cannot keep the upload for "
	    "inspection: File too large");
	assert_int_equal(upload_size(u), 1000);
	assert_string_equal(upload_poisoned(u), "the upload could not be "
	    "kept for inspection");
	upload_end(t, u);
	upload_table_free(t);
}

/* Feed BYTES to a new session of T in chunks of CHUNK. */
static struct upload *
fed(struct upload_table *t, const void *bytes, size_t len, size_t chunk)
{
	struct upload *u;
	struct rw_err err;
	const char *p = bytes;
	size_t n;

	rw_err_clear(&err);
	assert_int_equal(upload_take(t, "j", "me", 1, 1, &u, &err), RW_OK);
	while (len > 0) {
		n = len < chunk ? len : chunk;
		assert_int_equal(upload_append(t, u, p, n, &err), RW_OK);
		upload_commit(u);
		p += n;
		len -= n;
	}
	return u;
}

static void
test_judge(void **state)
{
	static const char key[] = "x\n-----BEGIN RSA PRIVATE KEY-----\nMII";
	static const char cfg[] = "{\"architecture\":\"amd64\"}";
	struct content_index *idx;
	struct upload_table *t;
	struct mklayer m;
	struct upload *u;
	struct rw_err err;
	char d[RW_DIGEST_MAX], note[256], want[400];

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 2, 60, 0, &err);
	assert_non_null(t);
	ml_begin(&m, ML_GZIP, 64 * 1024);
	ml_dir(&m, "root/.ssh");
	ml_file(&m, "root/.ssh/id_rsa", key);
	ml_file(&m, "app/server", "#!/bin/true\n");
	ml_end(&m);
	assert_int_equal(rw_digest(RW_HASH_SHA256, m.buf, m.used, d), RW_OK);
	u = fed(t, m.buf, m.used, 100);
	assert_int_equal(upload_judge(u, d, &idx, note, sizeof(note), &err),
	    RW_OK);
	assert_non_null(idx);
	assert_int_equal(idx->nfindings, 1);
	assert_string_equal(idx->findings[0].path, "/root/.ssh/id_rsa");
	assert_string_equal(idx->findings[0].what, "PEM RSA PRIVATE KEY");
	content_index_free(idx);
	/* A client naming another digest is refused, whatever the bytes. */
	rw_err_clear(&err);
	assert_int_equal(upload_judge(u, "sha256:00000000000000000000000000"
	    "00000000000000000000000000000000000000", &idx, note,
	    sizeof(note), &err), RW_EDIGEST);
	assert_null(idx);
	snprintf(want, sizeof(want), "the uploaded bytes hash to %s, not "
	    "sha256:0000000000000000000000000000000000000000000000000000000000"
	    "000000", d);
	assert_string_equal(err.msg, want);
	upload_end(t, u);
	/* A config blob is not a layer: no index, and the manifest's PUT
	 * judges it by its place. */
	assert_int_equal(rw_digest(RW_HASH_SHA256, cfg, strlen(cfg), d),
	    RW_OK);
	u = fed(t, cfg, strlen(cfg), 7);
	rw_err_clear(&err);
	assert_int_equal(upload_judge(u, d, &idx, note, sizeof(note), &err),
	    RW_OK);
	assert_null(idx);
	assert_true(note[0] != '\0');
	upload_end(t, u);
	free(m.buf);
	upload_table_free(t);
}

/* A reader thread does the final read; DONE wakes the waiting side. */
struct waker {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 woken;
};

static void
wake(void *arg)
{
	struct waker *w = arg;

	pthread_mutex_lock(&w->mu);
	w->woken++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
test_readers(void **state)
{
	static const char key[] = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl";
	struct waker w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0 };
	struct upload_table *t;
	struct upload_job j;
	struct mklayer m;
	struct upload *u;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 2, 60, 1, &err);
	assert_non_null(t);
	ml_begin(&m, ML_NONE, 64 * 1024);
	ml_file(&m, "home/u/.ssh/id_ed25519", key);
	ml_end(&m);
	u = fed(t, m.buf, m.used, 4096);
	memset(&j, 0, sizeof(j));
	j.u = u;
	assert_int_equal(rw_digest(RW_HASH_SHA256, m.buf, m.used, j.digest),
	    RW_OK);
	j.done = wake;
	j.arg = &w;
	assert_int_equal(upload_judge_start(t, &j), RW_OK);
	pthread_mutex_lock(&w.mu);
	while (w.woken == 0)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	assert_true(upload_job_done(t, &j));
	assert_int_equal(w.woken, 1);
	assert_int_equal(j.rc, RW_OK);
	assert_non_null(j.idx);
	assert_int_equal(j.idx->nfindings, 1);
	assert_string_equal(j.idx->findings[0].path, "/home/u/.ssh/id_ed25519");
	content_index_free(j.idx);
	/* Stopped: no more jobs are taken, and DONE is not called. */
	upload_table_stop(t);
	memset(&j, 0, sizeof(j));
	j.u = u;
	j.done = wake;
	j.arg = &w;
	assert_int_equal(upload_judge_start(t, &j), RW_EBUSY);
	assert_int_equal(w.woken, 1);
	upload_end(t, u);
	free(m.buf);
	upload_table_free(t);
}

/* Idle sessions go on their own, files and all; busy or fresh ones stay. */
static void
test_sweep(void **state)
{
	struct upload_table *t;
	struct upload *a = NULL, *b = NULL, *c = NULL;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	t = upload_table_new(dir, MIB, 8, 60, 0, &err);
	assert_non_null(t);
	assert_int_equal(upload_take(t, "a", "me", 1, 1000, &a, &err), RW_OK);
	upload_give(t, a, 1000);
	assert_int_equal(upload_take(t, "b", "me", 1, 1000, &b, &err), RW_OK);
	assert_int_equal(upload_append(t, b, "x", 1, &err), RW_OK);
	assert_int_equal(upload_take(t, "c", "me", 1, 1030, &c, &err), RW_OK);
	upload_give(t, c, 1030);
	assert_int_equal(spool_files(), 3);
	assert_int_equal(upload_sweep(t, 1059), 0);	/* not yet */
	/* a: idle 60 s, gone; b: held by a request; c: idle 30 s. */
	assert_int_equal(upload_sweep(t, 1060), 1);
	assert_int_equal(upload_table_count(t), 2);
	assert_int_equal(spool_files(), 2);
	assert_int_equal(upload_take(t, "a", "me", 0, 1060, &a, &err),
	    RW_ENOTFOUND);
	/* ... and is not started afresh: its first bytes are gone. */
	rw_err_clear(&err);
	assert_int_equal(upload_take(t, "a", "me", 1, 1060, &a, &err),
	    RW_ENOTFOUND);
	assert_string_equal(err.msg, "the upload was left idle longer than "
	    "60 s (content.upload_idle_seconds) and its bytes were dropped; "
	    "start the upload again");
	assert_int_equal(upload_table_count(t), 2);
	upload_give(t, b, 1060);
	assert_int_equal(upload_sweep(t, 1090), 1);	/* c */
	assert_int_equal(upload_sweep(t, 1120), 1);	/* b */
	assert_int_equal(spool_files(), 0);
	assert_int_equal(upload_table_swept(t), 3);
	upload_table_free(t);
}

static void
test_range(void **state)
{
	uint64_t a = 7, b = 7;

	(void)state;
	assert_int_equal(upload_parse_range("0-1023", &a, &b), 0);
	assert_true(a == 0 && b == 1023);
	assert_int_equal(upload_parse_range("bytes=10-10", &a, &b), 0);
	assert_true(a == 10 && b == 10);
	assert_int_equal(upload_parse_range("bytes 5-9", &a, &b), 0);
	assert_int_equal(upload_parse_range("9-5", &a, &b), -1);
	assert_int_equal(upload_parse_range("-5", &a, &b), -1);
	assert_int_equal(upload_parse_range("5-", &a, &b), -1);
	assert_int_equal(upload_parse_range("+5-9", &a, &b), -1);
	assert_int_equal(upload_parse_range("5-9/100", &a, &b), -1);
	assert_int_equal(upload_parse_range("99999999999999999999-1", &a, &b),
	    -1);
	assert_int_equal(upload_parse_range(NULL, &a, &b), -1);
}

static void
test_query(void **state)
{
	char v[80], q[200];

	(void)state;
	assert_int_equal(upload_query_param("?digest=sha256%3Aab&x=1",
	    "digest", v, sizeof(v)), 1);
	assert_string_equal(v, "sha256:ab");
	assert_int_equal(upload_query_param("?_state=zz&digest=sha256:cd",
	    "digest", v, sizeof(v)), 1);
	assert_string_equal(v, "sha256:cd");
	assert_int_equal(upload_query_param("?digests=x", "digest", v,
	    sizeof(v)), 0);
	assert_int_equal(upload_query_param("", "digest", v, sizeof(v)), 0);
	assert_int_equal(upload_query_param("?digest=a&digest=b", "digest",
	    v, sizeof(v)), -1);
	assert_int_equal(upload_query_param("?digest=a%3", "digest", v,
	    sizeof(v)), -1);
	assert_int_equal(upload_query_param("?digest=a%00", "digest", v,
	    sizeof(v)), -1);
	assert_int_equal(upload_query_param("?digest=0123456789", "digest",
	    v, 5), -1);
	rw_strlcpy(q, "?mount=sha256:ab&from=other/repo", sizeof(q));
	assert_int_equal(upload_query_drop_mount(q), 1);
	assert_string_equal(q, "");
	rw_strlcpy(q, "?from=x&digest=sha256:ab&mount=y&z", sizeof(q));
	assert_int_equal(upload_query_drop_mount(q), 1);
	assert_string_equal(q, "?digest=sha256:ab&z");
	rw_strlcpy(q, "?mounted=1", sizeof(q));
	assert_int_equal(upload_query_drop_mount(q), 0);
	assert_string_equal(q, "?mounted=1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_startup_cleans, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_judge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
