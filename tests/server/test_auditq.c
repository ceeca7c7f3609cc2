/* test_auditq.c - audit rows queued, written in batches, none lost. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/auditq.h"

struct tally {
	size_t	 n;
	int	 ordered;
	int64_t	 last;
	char	 msg[64];
};

static int
count(const struct db_audit_row *r, void *arg)
{
	struct tally *t = arg;

	if (r->ts < t->last)
		t->ordered = 0;
	t->last = r->ts;
	t->n++;
	snprintf(t->msg, sizeof(t->msg), "%s", r->message);
	return 0;
}

static size_t
rows(struct db *db, struct tally *t)
{
	struct db_audit_filter f;
	struct rw_err err;

	memset(&f, 0, sizeof(f));
	memset(t, 0, sizeof(*t));
	t->ordered = 1;
	rw_err_clear(&err);
	assert_int_equal(db_audit_query(db, &f, count, t, &err), RW_OK);
	return t->n;
}

static void
fill(struct db_audit_row *a, int64_t ts, char *msg, size_t size)
{
	memset(a, 0, sizeof(*a));
	snprintf(msg, size, "row %lld", (long long)ts);
	a->ts = ts;
	a->request_id = "r";
	a->client = "127.0.0.1";
	a->identity = "anonymous";
	a->operation = "pull";
	a->upstream = "local";
	a->host = "docker.io";
	a->repo = "e2e/app";
	a->reference = "1.0";
	a->verdict = "allow";
	a->message = msg;
}

static void
test_batches_and_flush(void **state)
{
	struct db_audit_row a;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	struct db *db;
	char msg[32];
	int i;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	q = auditq_new(db, &err);
	assert_non_null(q);
	for (i = 1; i <= 1000; i++) {
		fill(&a, i, msg, sizeof(msg));
		auditq_add(q, &a);	/* copies: msg is reused */
	}
	auditq_flush(q);
	assert_int_equal(rows(db, &t), 1000);
	assert_true(t.ordered);
	assert_string_equal(t.msg, "row 1000");
	/* Past the queue's bound the callers write themselves: none lost. */
	for (i = 1001; i <= 1000 + AUDITQ_MAX + 500; i++) {
		fill(&a, i, msg, sizeof(msg));
		auditq_add(q, &a);
	}
	auditq_free(q);		/* writes what is still queued */
	assert_int_equal(rows(db, &t), 1000 + AUDITQ_MAX + 500);
	db_close(db);
}

static void
test_bad_row_does_not_cost_others(void **state)
{
	struct db_audit_row a, bad;
	struct auditq *q;
	struct tally t;
	struct rw_err err;
	struct db *db;
	char msg[32];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(db_open(":memory:", &db, &err), RW_OK);
	q = auditq_new(db, &err);
	fill(&a, 1, msg, sizeof(msg));
	auditq_add(q, &a);
	bad = a;
	bad.verdict = "maybe";		/* refused by the store */
	auditq_add(q, &bad);
	fill(&a, 2, msg, sizeof(msg));
	auditq_add(q, &a);
	auditq_flush(q);
	assert_int_equal(rows(db, &t), 2);
	auditq_free(q);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_and_flush),
		cmocka_unit_test(test_bad_row_does_not_cost_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
